//! The cells that hold one of a few choices (種別, 状態, 外部接続方法) and yes/no cells.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::key::{fold_key, is_blank, shown};
use crate::ParseError;

/// Declares an enum of choices with a snake_case key, Japanese and English labels, other
/// spellings it reads, and a `parse` that reads any of them by [`fold_key`].
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($field:literal, $what_ja:literal, $what_en:literal) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = ($key:literal, $ja:literal, $en:literal, [$($alias:literal),* $(,)?])
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $key,)+ }
            }

            pub fn label_ja(self) -> &'static str {
                match self { $(Self::$variant => $ja,)+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $(Self::$variant => $en,)+ }
            }

            pub(super) fn spellings(self) -> &'static [&'static str] {
                match self { $(Self::$variant => &[$key, $ja, $en, $($alias),*],)+ }
            }

            /// Reads the key, the Japanese or English label, or a common other spelling;
            /// width, case and spaces do not matter.
            pub fn parse(text: &str) -> Result<Self, ParseError> {
                static KEYS: LazyLock<Vec<(String, $name)>> = LazyLock::new(|| {
                    $name::ALL
                        .iter()
                        .flat_map(|&v| v.spellings().iter().map(move |s| (fold_key(s), v)))
                        .collect()
                });
                // Most cells hold a label exactly: no folding needed.
                let trimmed = text.trim();
                if let Some(&v) = Self::ALL.iter().find(|v| v.spellings().contains(&trimmed)) {
                    return Ok(v);
                }
                let key = fold_key(text);
                KEYS.iter()
                    .find(|(k, _)| !k.is_empty() && *k == key)
                    .map(|&(_, v)| v)
                    .ok_or_else(|| {
                        let ja = Self::ALL.iter().map(|v| v.label_ja()).collect::<Vec<_>>();
                        let en = Self::ALL
                            .iter()
                            .map(|v| format!("{} ({})", v.as_str(), v.label_ja()))
                            .collect::<Vec<_>>();
                        ParseError::new(
                            $field,
mamori_locale::Message::new("domain-device-parse-one").with("text", crate::arg(shown(text))).with("what", crate::bilingual($what_ja, $what_en)).with("ja", crate::bilingual(ja.join("、"), en.join(", "))),
                        )
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label_ja())
            }
        }
    };
}

choice! {
    /// 種別: what kind of device. The checklist's scopes are サーバ, 端末PC and ネットワーク機器;
    /// VPN装置 and 医療機器 are kept apart because the VPN notices and the MDS/SDS item (2(3))
    /// ask about them.
    pub enum DeviceKind ("kind", "種別", "kind") {
        /// サーバ
        Server = ("server", "サーバ", "Server", ["サーバー", "サーバ機", "servers"]),
        /// 端末PC
        Pc = ("pc", "端末PC", "PC", [
            "端末", "パソコン", "PC端末", "クライアント", "クライアントPC", "端末パソコン",
            "terminal", "client", "client pc", "personal computer",
        ]),
        /// ネットワーク機器 (無線LAN, ルータ, スイッチ …)
        Network = ("network", "ネットワーク機器", "Network device", [
            "ネットワーク", "NW機器", "NW", "ネットワーク装置", "ルータ", "ルーター", "スイッチ",
            "無線LAN", "無線LANアクセスポイント", "network equipment", "router", "switch",
        ]),
        /// VPN装置
        Vpn = ("vpn", "VPN装置", "VPN device", [
            "VPN", "VPN機器", "VPNルータ", "VPNルーター", "リモートゲートウェイ", "vpn appliance",
            "vpn gateway",
        ]),
        /// 医療機器
        Medical = ("medical", "医療機器", "Medical device", [
            "医療用機器", "医用機器", "モダリティ", "medical equipment",
        ]),
        /// その他
        Other = ("other", "その他", "Other", ["他", "その他機器"]),
    }
}

choice! {
    /// 状態: whether the device is in use (使用可否の状態 in the manual).
    pub enum DeviceStatus ("status", "状態", "status") {
        /// 稼働
        Active = ("active", "稼働", "Active", [
            "稼動", "稼働中", "稼動中", "使用中", "運用中", "利用中", "in use", "in service",
            "running",
        ]),
        /// 停止
        Stopped = ("stopped", "停止", "Stopped", [
            "停止中", "休止", "休止中", "未使用", "保管", "保管中", "inactive", "stop",
        ]),
        /// 廃棄
        Retired = ("retired", "廃棄", "Retired", [
            "廃棄済", "廃棄済み", "廃棄予定", "除却", "除却済", "disposed", "decommissioned",
        ]),
    }
}

choice! {
    /// 外部接続方法: how the device is reached from outside the institution.
    pub enum RemoteAccess ("remote_access", "外部接続方法", "remote access") {
        /// VPN
        Vpn = ("vpn", "VPN", "VPN", ["VPN接続", "インターネットVPN", "SSL-VPN", "IPsec-VPN"]),
        /// リモートデスクトップ
        RemoteDesktop = ("remote_desktop", "リモートデスクトップ", "Remote desktop", [
            "RDP", "リモートデスクトップ接続", "画面共有", "リモートアクセスツール",
        ]),
        /// 事業者閉域網
        VendorClosedNetwork = ("vendor_closed_network", "事業者閉域網", "Vendor's closed network", [
            "閉域網", "閉域", "閉域網接続", "IP-VPN", "専用線", "closed network",
        ]),
        /// インターネット直接
        DirectInternet = ("direct_internet", "インターネット直接", "Direct internet", [
            "インターネット", "インターネット直結", "直接", "internet",
        ]),
        /// なし (no connection from outside)
        NotConnected = ("not_connected", "なし", "None", [
            "無", "無し", "接続なし", "外部接続なし", "none", "no", "not connected",
        ]),
        /// その他
        Other = ("other", "その他", "Other", ["他"]),
    }
}

/// Reads はい/いいえ in the spellings ledgers use. `None` for a blank cell.
pub fn parse_yes_no(field: &'static str, text: &str) -> Result<Option<bool>, ParseError> {
    match text.trim() {
        "はい" | "有" | "○" | "yes" | "TRUE" => return Ok(Some(true)),
        "いいえ" | "無" | "×" | "no" | "FALSE" => return Ok(Some(false)),
        _ => {}
    }
    if is_blank(text) {
        return Ok(None);
    }
    static KEYS: LazyLock<Vec<(String, bool)>> = LazyLock::new(|| {
        let yes = [
            "はい", "yes", "y", "true", "1", "○", "〇", "◯", "有", "有り", "あり", "する", "要",
        ];
        let no = [
            "いいえ",
            "no",
            "n",
            "false",
            "0",
            "×",
            "✕",
            "✖",
            "x",
            "無",
            "無し",
            "なし",
            "しない",
            "不要",
        ];
        yes.iter()
            .map(|s| (fold_key(s), true))
            .chain(no.iter().map(|s| (fold_key(s), false)))
            .collect()
    });
    let key = fold_key(text);
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map(|&(_, v)| Some(v))
        .ok_or_else(|| {
            ParseError::new(
                field,
                mamori_locale::Message::new("domain-device-parse-yes")
                    .with("text", crate::arg(shown(text))),
            )
        })
}

pub(super) fn yes_no_label(value: bool) -> &'static str {
    if value { "はい" } else { "いいえ" }
}
