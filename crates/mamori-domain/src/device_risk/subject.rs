//! The device as the rules see it: one ledger row borrowed as a [`RiskSubject`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    /// The kind of device (機器の種別) as the ledger records it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DeviceKind {
        /// サーバ
        Server,
        /// 端末PC
        TerminalPc,
        /// ネットワーク機器 (router, switch, firewall, access point)
        Network,
        /// VPN装置
        VpnDevice,
        /// 医療機器
        MedicalDevice,
        /// その他
        #[default]
        Other,
    }
    parse(exact) -> Option;
}

/// One piece of software installed on the device (導入ソフトウェア).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SoftwareRef<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
}

/// What the risk rules read from one ledger row. A view: it borrows the row's text, so that
/// callers can assess many devices without copying them. Blank strings count as absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RiskSubject<'a> {
    pub kind: DeviceKind,
    /// メーカー
    pub maker: Option<&'a str>,
    /// 型番・機種名
    pub model: Option<&'a str>,
    /// OS, e.g. `Windows 10 Pro`, `FortiOS`.
    pub os: Option<&'a str>,
    /// OS version as written, e.g. `21H2`, `10.0.19044`, `7.4.3`.
    pub os_version: Option<&'a str>,
    /// ファームウェアのバージョン, as written, e.g. `v6.0.4 build0231`, `Rev.15.02.29`.
    pub firmware_version: Option<&'a str>,
    pub software: Vec<SoftwareRef<'a>>,
    /// The day a security patch was last applied (最終パッチ適用日).
    pub last_patch_on: Option<NaiveDate>,
    /// The device is reached from outside for maintenance (リモート保守).
    pub remote_maintenance: bool,
    /// The maintenance contract includes security updates (セキュリティアップデートを含む保守契約);
    /// `None` when not confirmed.
    pub maintenance_includes_security_updates: Option<bool>,
    /// VPN check: the connection is always on (常時接続); `None` when not answered.
    pub always_on_connection: Option<bool>,
    /// VPN check: an easy password or one reused elsewhere (容易なパスワード設定や使い回し);
    /// `None` when not answered.
    pub weak_or_reused_password: Option<bool>,
}

impl RiskSubject<'_> {
    /// The VPN device check applies to VPN devices, and to network devices that open the way in
    /// for remote maintenance: the notice's point is the entrance from outside, whatever the box
    /// is called in the ledger.
    pub fn vpn_check_applies(&self) -> bool {
        self.kind == DeviceKind::VpnDevice
            || (self.kind == DeviceKind::Network && self.remote_maintenance)
    }
}

impl From<crate::device::DeviceKind> for DeviceKind {
    fn from(kind: crate::device::DeviceKind) -> Self {
        use crate::device::DeviceKind as Ledger;
        match kind {
            Ledger::Server => Self::Server,
            Ledger::Pc => Self::TerminalPc,
            Ledger::Network => Self::Network,
            Ledger::Vpn => Self::VpnDevice,
            Ledger::Medical => Self::MedicalDevice,
            Ledger::Other => Self::Other,
        }
    }
}

impl<'a> RiskSubject<'a> {
    /// The rules' view of one ledger row. Blank cells are absent; a row without 種別 counts
    /// as その他; the OS cell carries its version (`Windows 10 21H2`).
    pub fn from_device(device: &'a crate::device::Device) -> Self {
        fn text(s: &str) -> Option<&str> {
            let s = s.trim();
            (!s.is_empty()).then_some(s)
        }
        RiskSubject {
            kind: device.kind.map(DeviceKind::from).unwrap_or_default(),
            maker: text(&device.maker),
            model: text(&device.model),
            os: text(&device.os),
            os_version: None,
            firmware_version: device.firmware_version.as_ref().map(|v| v.as_str()),
            software: device
                .software
                .iter()
                .map(|s| SoftwareRef {
                    name: s.name.as_str(),
                    version: s.version.as_ref().map(|v| v.as_str()),
                })
                .collect(),
            last_patch_on: device.last_patched_on,
            remote_maintenance: device.remote_maintenance,
            maintenance_includes_security_updates: device.security_updates_in_contract,
            always_on_connection: device.always_on_connection,
            weak_or_reused_password: device.weak_or_reused_password,
        }
    }
}
