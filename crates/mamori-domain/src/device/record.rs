//! One device of the ledger (機器台帳の1行) and its cells in export order.

use std::net::IpAddr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::choice::{DeviceKind, DeviceStatus, RemoteAccess, yes_no_label};
use super::column::LedgerColumn;
use super::value::{AssetNumber, Software, Version};

/// One device of the ledger (機器台帳の1行).
///
/// Free-text fields are trimmed; an empty string means the cell was blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// 管理番号
    pub asset_number: AssetNumber,
    /// 種別; `None` when the ledger does not say.
    pub kind: Option<DeviceKind>,
    /// メーカー
    pub maker: String,
    /// 機種
    pub model: String,
    /// OS (with its version, as written: `Win11`, `Windows Server 2019`)
    pub os: String,
    /// ソフトウェア and ソフトウェアバージョン, in the order of the ledger.
    pub software: Vec<Software>,
    /// ファームウェアバージョン
    pub firmware_version: Option<Version>,
    /// IPアドレス (fixed addresses)
    pub ip_addresses: Vec<IpAddr>,
    /// The IPアドレス cell says DHCP (the address is given out automatically).
    pub dhcp: bool,
    /// コンピュータ名
    pub computer_name: String,
    /// 設置場所
    pub location: String,
    /// 利用者
    pub user: String,
    /// 登録日
    pub registered_on: Option<NaiveDate>,
    /// 状態
    pub status: DeviceStatus,
    /// 説明
    pub description: String,
    /// シリアル番号
    pub serial_number: String,
    /// リモートメンテナンス: whether the vendor maintains the device remotely (item 2(2)).
    pub remote_maintenance: bool,
    /// 保守事業者
    pub maintenance_vendor: String,
    /// 外部接続方法; `None` when the ledger does not say.
    pub remote_access: Option<RemoteAccess>,
    /// セキュリティ更新を含む保守契約: the maintenance contract includes security updates.
    pub security_updates_in_contract: Option<bool>,
    /// 最終パッチ適用日
    pub last_patched_on: Option<NaiveDate>,
    /// 常時接続: the connection from outside is always on (the VPN notices ask that it is
    /// not, unless needed).
    pub always_on_connection: Option<bool>,
    /// 初期・使い回しパスワード: `Some(true)` when the device still has its initial password
    /// or shares a password with other devices or services (a finding, not a good thing).
    pub weak_or_reused_password: Option<bool>,
}

impl Device {
    /// A device with only its asset number: 稼働, no remote maintenance, everything else
    /// blank.
    pub fn new(asset_number: AssetNumber) -> Self {
        Self {
            asset_number,
            kind: None,
            maker: String::new(),
            model: String::new(),
            os: String::new(),
            software: Vec::new(),
            firmware_version: None,
            ip_addresses: Vec::new(),
            dhcp: false,
            computer_name: String::new(),
            location: String::new(),
            user: String::new(),
            registered_on: None,
            status: DeviceStatus::Active,
            description: String::new(),
            serial_number: String::new(),
            remote_maintenance: false,
            maintenance_vendor: String::new(),
            remote_access: None,
            security_updates_in_contract: None,
            last_patched_on: None,
            always_on_connection: None,
            weak_or_reused_password: None,
        }
    }

    /// The cell of one column, as mamori exports it and [`parse_row`] reads it back.
    ///
    /// [`parse_row`]: super::parse_row
    pub fn cell(&self, column: LedgerColumn) -> String {
        fn date(d: Option<NaiveDate>) -> String {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        fn yes_no(v: Option<bool>) -> String {
            v.map(|v| yes_no_label(v).to_owned()).unwrap_or_default()
        }
        match column {
            LedgerColumn::AssetNumber => self.asset_number.0.clone(),
            LedgerColumn::Kind => self
                .kind
                .map(|k| k.label_ja().to_owned())
                .unwrap_or_default(),
            LedgerColumn::Maker => self.maker.clone(),
            LedgerColumn::Model => self.model.clone(),
            LedgerColumn::Os => self.os.clone(),
            LedgerColumn::Software => {
                let names: Vec<&str> = self.software.iter().map(|s| s.name.as_str()).collect();
                names.join("\n")
            }
            LedgerColumn::SoftwareVersion => {
                let versions: Vec<&str> = self
                    .software
                    .iter()
                    .map(|s| s.version.as_ref().map_or("", Version::as_str))
                    .collect();
                // Versions missing at the end are left out: they read back as unknown.
                let keep = versions
                    .iter()
                    .rposition(|v| !v.is_empty())
                    .map_or(0, |i| i + 1);
                versions[..keep].join("\n")
            }
            LedgerColumn::FirmwareVersion => self
                .firmware_version
                .as_ref()
                .map(|v| v.0.clone())
                .unwrap_or_default(),
            LedgerColumn::IpAddress => {
                let mut lines: Vec<String> =
                    self.ip_addresses.iter().map(ToString::to_string).collect();
                if self.dhcp {
                    lines.push("DHCP".to_owned());
                }
                lines.join("\n")
            }
            LedgerColumn::ComputerName => self.computer_name.clone(),
            LedgerColumn::Location => self.location.clone(),
            LedgerColumn::User => self.user.clone(),
            LedgerColumn::RegisteredOn => date(self.registered_on),
            LedgerColumn::Status => self.status.label_ja().to_owned(),
            LedgerColumn::Description => self.description.clone(),
            LedgerColumn::SerialNumber => self.serial_number.clone(),
            LedgerColumn::RemoteMaintenance => yes_no_label(self.remote_maintenance).to_owned(),
            LedgerColumn::MaintenanceVendor => self.maintenance_vendor.clone(),
            LedgerColumn::RemoteAccess => self
                .remote_access
                .map(|r| r.label_ja().to_owned())
                .unwrap_or_default(),
            LedgerColumn::SecurityUpdatesInContract => yes_no(self.security_updates_in_contract),
            LedgerColumn::LastPatchedOn => date(self.last_patched_on),
            LedgerColumn::AlwaysOnConnection => yes_no(self.always_on_connection),
            LedgerColumn::WeakOrReusedPassword => yes_no(self.weak_or_reused_password),
        }
    }

    /// Every cell, in the order of [`LedgerColumn::ALL`]. `parse_row(n, &device.to_row())`
    /// gives the device back.
    pub fn to_row(&self) -> Vec<(LedgerColumn, String)> {
        LedgerColumn::ALL
            .iter()
            .map(|&column| (column, self.cell(column)))
            .collect()
    }
}
