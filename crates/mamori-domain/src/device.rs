//! The device ledger (機器台帳) of checklist item 2(1): 「サーバ、端末PC、ネットワーク機器の
//! 台帳管理を行っている」. One [`Device`] is one row of the ledger.
//!
//! # Columns
//!
//! The manual's example ledger (「●機器台帳の例」) has the columns 管理番号, メーカー, OS,
//! ソフトウェア, ソフトウェアバージョン, IPアドレス, コンピュータ名, 設置場所, 利用者, 登録日, 状態,
//! 説明. mamori adds 種別, 機種, ファームウェアバージョン, シリアル番号, and what items 2(2) and
//! the VPN notices ask about each device: リモートメンテナンス, 保守事業者, 外部接続方法,
//! セキュリティ更新を含む保守契約, 最終パッチ適用日, 常時接続, 初期・使い回しパスワード.
//! [`LedgerColumn`] lists them all in export order, with the Japanese header mamori writes
//! and the headers it reads (Japanese, English words or snake_case, full-width or
//! half-width, with or without spaces, and common synonyms such as 備考 for 説明).
//!
//! # Cells
//!
//! - **管理番号** is the only required cell. It is stored with full-width letters and digits
//!   folded to half-width (`００１` is `001`), so that both spellings are the same device;
//!   within one file every 管理番号 must be unique ([`LedgerValidator`]).
//! - **種別** may be blank: the manual's own example has no such column, so a ledger in that
//!   shape must import. A blank 種別 is `None` (未記入), not a guess.
//! - **状態** blank means 稼働 (a device listed in the ledger is in use unless it says
//!   otherwise).
//! - **リモートメンテナンス** blank means いいえ. The other yes/no columns (保守契約, 常時接続,
//!   初期・使い回しパスワード) keep blank as `None` (not checked yet).
//! - **Several values in one cell** are written one per line (Alt+Enter in Excel):
//!   - ソフトウェア holds one software name per line, and ソフトウェアバージョン the versions
//!     in the same order, one per line. A line may be empty (that software's version is not
//!     known); versions missing at the end are unknown; more versions than names is an
//!     error. A device with two systems is `〇〇電子カルテ⏎PACSビューア` and `2.0⏎`.
//!   - IPアドレス holds IPv4 or IPv6 addresses separated by line breaks, commas, semicolons,
//!     `、` or spaces; `DHCP` (or 自動) says the device takes its address from DHCP; `なし`
//!     or `-` says it has none. Exports write one address per line.
//! - **Versions** (ソフトウェアバージョン, ファームウェアバージョン) are kept as written, never
//!   refused: `2.0`, `Ver.3.1 SP2` and `令和6年版` are all versions. [`Version::numeric_parts`]
//!   reads the numbers when there are only numbers.
//! - **Dates** are read by [`crate::wareki::parse_date`] (`2025-04-01`, `2025/4/1`,
//!   `令和7年4月1日`, `R7.4.1` …) and written as `YYYY-MM-DD`.
//! - **Yes/no** cells read はい/いいえ, 有/無, あり/なし, ○/×, yes/no, true/false, 1/0 and
//!   are written はい/いいえ.
//! - A cell that holds only `-` (or `－`, `ー`) counts as blank, except in free text.
//!
//! Every refusal is a [`RowError`] naming the row, the column and what is wrong, in Japanese
//! and English; [`parse_row`] reports every error of a row, not only the first.
//! [`Device::to_row`] gives the cells back so that `parse_row(n, &device.to_row())` is the
//! same device.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ParseError;
use crate::wareki::parse_date;

// ---------------------------------------------------------------------------------------
// Folding text for comparison
// ---------------------------------------------------------------------------------------

/// Half-width katakana U+FF66..=U+FF9D as their full-width forms, in code point order.
const HALF_WIDTH_KANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// Maps a full-width ASCII character (U+FF01..=U+FF5E) or the ideographic space to ASCII;
/// other characters are returned as they are.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
}

/// Folds width (full-width ASCII to ASCII, half-width katakana to full-width, with their
/// voiced marks joined), and ASCII case.
fn fold_chars(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FF66}'..='\u{FF9D}' => {
                let index = (c as u32 - 0xFF66) as usize;
                out.push(HALF_WIDTH_KANA.chars().nth(index).unwrap_or(c));
            }
            // ﾞ and ﾟ join the kana before them: ｶﾞ is ガ, ﾊﾟ is パ, ｳﾞ is ヴ.
            '\u{FF9E}' | '\u{FF9F}' => {
                let voiced = c == '\u{FF9E}';
                let joined = out.last().and_then(|&prev| join_mark(prev, voiced));
                match joined {
                    Some(j) => {
                        out.pop();
                        out.push(j);
                    }
                    None => out.push(if voiced { '\u{309B}' } else { '\u{309C}' }),
                }
            }
            '\u{FF65}' => out.push('・'),
            c => out.push(fold_width(c).to_ascii_lowercase()),
        }
    }
    out
}

/// The kana with a dakuten (voiced, ゛) or handakuten (semi-voiced, ゜) mark, if it has one.
fn join_mark(kana: char, voiced: bool) -> Option<char> {
    const VOICEABLE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
    const SEMI_VOICEABLE: &str = "ハヒフヘホ";
    if voiced && kana == 'ウ' {
        Some('ヴ')
    } else if voiced && VOICEABLE.contains(kana) {
        // In Unicode the voiced form follows its kana: カ ガ, ツ ヅ, ハ バ パ.
        char::from_u32(kana as u32 + 1)
    } else if !voiced && SEMI_VOICEABLE.contains(kana) {
        char::from_u32(kana as u32 + 2)
    } else {
        None
    }
}

/// The key a header or a choice (サーバ, はい …) is compared by: width and case folded,
/// spaces, `_`, hyphens, `・`, `*` and `※` removed, and a long-vowel mark ー dropped when it
/// ends a katakana word (サーバー = サーバ, コンピューター名 = コンピュータ名).
fn fold_key(text: &str) -> String {
    let chars = fold_chars(text);
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            c if c.is_whitespace() => {}
            '_' | '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '・' | '*' | '※' =>
                {}
            'ー' => {
                let next_is_kana = chars.get(i + 1).is_some_and(|&n| is_katakana(n));
                let prev_is_kana = i > 0 && chars.get(i - 1).is_some_and(|&p| is_katakana(p));
                if prev_is_kana && next_is_kana {
                    out.push('ー');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// [`fold_key`] with a trailing note in parentheses removed: `管理番号（必須）`,
/// `IPアドレス(複数可)`.
fn header_key(text: &str) -> String {
    let mut key = fold_key(text);
    if key.ends_with(')')
        && let Some(open) = key.rfind('(')
        && open > 0
    {
        key.truncate(open);
    }
    key
}

/// Whether a cell says nothing: empty, spaces, or only a dash (`-`, `－`, `ー` …).
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '-' | '－' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー' | 'ｰ'
            )
    })
}

/// At most this many characters of a user's text are repeated in a message.
const SHOWN_CHARS: usize = 40;

fn shown(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > SHOWN_CHARS {
        let mut s: String = text.chars().take(SHOWN_CHARS).collect();
        s.push('…');
        s
    } else {
        text.to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------

/// A column of the ledger. [`LedgerColumn::ALL`] is the order of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerColumn {
    /// 管理番号
    AssetNumber,
    /// 種別
    Kind,
    /// メーカー
    Maker,
    /// 機種
    Model,
    /// OS
    Os,
    /// ソフトウェア
    Software,
    /// ソフトウェアバージョン
    SoftwareVersion,
    /// ファームウェアバージョン
    FirmwareVersion,
    /// IPアドレス
    IpAddress,
    /// コンピュータ名
    ComputerName,
    /// 設置場所
    Location,
    /// 利用者
    User,
    /// 登録日
    RegisteredOn,
    /// 状態
    Status,
    /// 説明
    Description,
    /// シリアル番号
    SerialNumber,
    /// リモートメンテナンス
    RemoteMaintenance,
    /// 保守事業者
    MaintenanceVendor,
    /// 外部接続方法
    RemoteAccess,
    /// セキュリティ更新を含む保守契約
    SecurityUpdatesInContract,
    /// 最終パッチ適用日
    LastPatchedOn,
    /// 常時接続
    AlwaysOnConnection,
    /// 初期・使い回しパスワード
    WeakOrReusedPassword,
}

impl LedgerColumn {
    pub const COUNT: usize = 23;

    /// Every column, in the order mamori writes them.
    pub const ALL: [LedgerColumn; Self::COUNT] = [
        Self::AssetNumber,
        Self::Kind,
        Self::Maker,
        Self::Model,
        Self::Os,
        Self::Software,
        Self::SoftwareVersion,
        Self::FirmwareVersion,
        Self::IpAddress,
        Self::ComputerName,
        Self::Location,
        Self::User,
        Self::RegisteredOn,
        Self::Status,
        Self::Description,
        Self::SerialNumber,
        Self::RemoteMaintenance,
        Self::MaintenanceVendor,
        Self::RemoteAccess,
        Self::SecurityUpdatesInContract,
        Self::LastPatchedOn,
        Self::AlwaysOnConnection,
        Self::WeakOrReusedPassword,
    ];

    /// The position of the column in [`LedgerColumn::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The header mamori writes.
    pub fn header_ja(self) -> &'static str {
        match self {
            Self::AssetNumber => "管理番号",
            Self::Kind => "種別",
            Self::Maker => "メーカー",
            Self::Model => "機種",
            Self::Os => "OS",
            Self::Software => "ソフトウェア",
            Self::SoftwareVersion => "ソフトウェアバージョン",
            Self::FirmwareVersion => "ファームウェアバージョン",
            Self::IpAddress => "IPアドレス",
            Self::ComputerName => "コンピュータ名",
            Self::Location => "設置場所",
            Self::User => "利用者",
            Self::RegisteredOn => "登録日",
            Self::Status => "状態",
            Self::Description => "説明",
            Self::SerialNumber => "シリアル番号",
            Self::RemoteMaintenance => "リモートメンテナンス",
            Self::MaintenanceVendor => "保守事業者",
            Self::RemoteAccess => "外部接続方法",
            Self::SecurityUpdatesInContract => "セキュリティ更新を含む保守契約",
            Self::LastPatchedOn => "最終パッチ適用日",
            Self::AlwaysOnConnection => "常時接続",
            Self::WeakOrReusedPassword => "初期・使い回しパスワード",
        }
    }

    /// The English header, in words.
    pub fn header_en(self) -> &'static str {
        match self {
            Self::AssetNumber => "Asset number",
            Self::Kind => "Kind",
            Self::Maker => "Maker",
            Self::Model => "Model",
            Self::Os => "OS",
            Self::Software => "Software",
            Self::SoftwareVersion => "Software version",
            Self::FirmwareVersion => "Firmware version",
            Self::IpAddress => "IP address",
            Self::ComputerName => "Computer name",
            Self::Location => "Location",
            Self::User => "User",
            Self::RegisteredOn => "Registered on",
            Self::Status => "Status",
            Self::Description => "Description",
            Self::SerialNumber => "Serial number",
            Self::RemoteMaintenance => "Remote maintenance",
            Self::MaintenanceVendor => "Maintenance vendor",
            Self::RemoteAccess => "Remote access",
            Self::SecurityUpdatesInContract => "Security updates in contract",
            Self::LastPatchedOn => "Last patched on",
            Self::AlwaysOnConnection => "Always-on connection",
            Self::WeakOrReusedPassword => "Weak or reused password",
        }
    }

    /// The snake_case key (API field names, English CSV headers).
    pub fn key(self) -> &'static str {
        match self {
            Self::AssetNumber => "asset_number",
            Self::Kind => "kind",
            Self::Maker => "maker",
            Self::Model => "model",
            Self::Os => "os",
            Self::Software => "software",
            Self::SoftwareVersion => "software_version",
            Self::FirmwareVersion => "firmware_version",
            Self::IpAddress => "ip_address",
            Self::ComputerName => "computer_name",
            Self::Location => "location",
            Self::User => "user",
            Self::RegisteredOn => "registered_on",
            Self::Status => "status",
            Self::Description => "description",
            Self::SerialNumber => "serial_number",
            Self::RemoteMaintenance => "remote_maintenance",
            Self::MaintenanceVendor => "maintenance_vendor",
            Self::RemoteAccess => "remote_access",
            Self::SecurityUpdatesInContract => "security_updates_in_contract",
            Self::LastPatchedOn => "last_patched_on",
            Self::AlwaysOnConnection => "always_on_connection",
            Self::WeakOrReusedPassword => "weak_or_reused_password",
        }
    }

    /// Other headers people use for the column, besides the Japanese and English ones.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::AssetNumber => &[
                "資産管理番号",
                "機器管理番号",
                "管理No",
                "管理No.",
                "機器番号",
                "資産番号",
                "asset no",
                "asset id",
                "asset tag",
            ],
            Self::Kind => &[
                "機器種別",
                "種類",
                "機器の種類",
                "機器区分",
                "区分",
                "type",
                "device type",
                "device kind",
                "category",
            ],
            Self::Maker => &[
                "メーカー名",
                "製造元",
                "製造業者",
                "製造会社",
                "manufacturer",
                "make",
            ],
            Self::Model => &[
                "機種名",
                "型番",
                "型式",
                "製品名",
                "モデル",
                "model name",
                "model number",
            ],
            Self::Os => &[
                "オペレーティングシステム",
                "OSバージョン",
                "OS名",
                "operating system",
            ],
            Self::Software => &[
                "ソフト",
                "ソフトウェア名",
                "ソフト名",
                "アプリケーション",
                "アプリケーション名",
                "システム名",
                "software name",
                "application",
            ],
            Self::SoftwareVersion => &[
                "ソフトウェアのバージョン",
                "ソフトバージョン",
                "ソフトウェアVer",
                "バージョン",
                "version",
                "software ver",
            ],
            Self::FirmwareVersion => &[
                "ファームウェア",
                "ファームウェアのバージョン",
                "ファームバージョン",
                "FWバージョン",
                "firmware",
                "fw version",
            ],
            Self::IpAddress => &["IP", "IPv4アドレス", "IPv4", "ip addresses"],
            Self::ComputerName => &[
                "ホスト名",
                "端末名",
                "機器名",
                "PC名",
                "host name",
                "device name",
            ],
            Self::Location => &[
                "場所",
                "設置部署",
                "設置箇所",
                "所在",
                "place",
                "installed at",
            ],
            Self::User => &["使用者", "ユーザー", "ユーザー名", "user name", "used by"],
            Self::RegisteredOn => &[
                "登録年月日",
                "登録日付",
                "台帳登録日",
                "registration date",
                "registered",
                "date registered",
            ],
            Self::Status => &[
                "ステータス",
                "稼働状況",
                "稼働状態",
                "稼動状況",
                "使用状況",
                "state",
            ],
            Self::Description => &[
                "備考", "摘要", "メモ", "notes", "note", "remarks", "memo", "comment",
            ],
            Self::SerialNumber => &[
                "シリアルNo",
                "シリアル",
                "製造番号",
                "S/N",
                "SN",
                "serial",
                "serial no",
            ],
            Self::RemoteMaintenance => &[
                "リモート保守",
                "リモートメンテナンスの有無",
                "リモートメンテナンス有無",
                "遠隔保守",
                "remote maintenance used",
            ],
            Self::MaintenanceVendor => &[
                "保守業者",
                "保守会社",
                "保守ベンダー",
                "保守事業者名",
                "保守委託先",
                "maintenance company",
                "maintainer",
                "vendor",
            ],
            Self::RemoteAccess => &[
                "外部接続",
                "外部接続の方法",
                "接続方法",
                "外部からの接続方法",
                "external connection",
                "remote access method",
                "access method",
            ],
            Self::SecurityUpdatesInContract => &[
                "セキュリティ更新を含む保守契約の有無",
                "保守契約(セキュリティ更新)",
                "security updates included",
                "security update contract",
            ],
            Self::LastPatchedOn => &[
                "パッチ適用日",
                "最終更新適用日",
                "最終アップデート日",
                "last patched",
                "last patch date",
                "patched on",
            ],
            Self::AlwaysOnConnection => &[
                "常時接続の有無",
                "常時接続有無",
                "always on",
                "always on connection",
            ],
            Self::WeakOrReusedPassword => &[
                "初期パスワード・使い回し",
                "初期パスワードまたは使い回し",
                "初期・使い回しパスワードの有無",
                "初期パスワード",
                "パスワード使い回し",
                "容易なパスワード・使い回し",
                "weak password",
                "reused password",
            ],
        }
    }

    /// The column a header names, or `None` for a header mamori does not know. Width, case,
    /// spaces, `_` and a trailing note in parentheses do not matter: `管理番号`, `管理番号（必須）`,
    /// `asset_number`, `Asset Number` and `ＩＰアドレス` are all read.
    pub fn from_header(text: &str) -> Option<LedgerColumn> {
        let key = header_key(text);
        if key.is_empty() {
            return None;
        }
        HEADER_KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, column)| column)
    }

    /// Whether the column holds a date, so that a spreadsheet cell is best read as one.
    pub fn holds_date(self) -> bool {
        matches!(self, Self::RegisteredOn | Self::LastPatchedOn)
    }
}

static HEADER_KEYS: LazyLock<Vec<(String, LedgerColumn)>> = LazyLock::new(|| {
    let mut keys = Vec::new();
    for column in LedgerColumn::ALL {
        let names = [column.header_ja(), column.header_en(), column.key()];
        for name in names.iter().chain(column.synonyms()) {
            keys.push((header_key(name), column));
        }
    }
    keys
});

impl std::fmt::Display for LedgerColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.header_ja())
    }
}

// ---------------------------------------------------------------------------------------
// Choices
// ---------------------------------------------------------------------------------------

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

            fn spellings(self) -> &'static [&'static str] {
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
                            format!(
                                "{}「{}」は {} のいずれかで記入してください",
                                $what_ja,
                                shown(text),
                                ja.join("、")
                            ),
                            format!(
                                "{} '{}' must be one of {}",
                                $what_en,
                                shown(text),
                                en.join(", ")
                            ),
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
                format!(
                    "「{}」は はい・いいえ（有・無、○・× も可）で記入してください",
                    shown(text)
                ),
                format!("'{}' must be yes or no (はい or いいえ)", shown(text)),
            )
        })
}

fn yes_no_label(value: bool) -> &'static str {
    if value { "はい" } else { "いいえ" }
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// 管理番号: the institution's own number for a device, unique within the institution.
/// Stored trimmed, with full-width letters and digits folded to half-width.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetNumber(String);

impl AssetNumber {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let folded = fold_width_str(text.trim());
        let folded = folded.trim();
        if folded.is_empty() {
            return Err(ParseError::new(
                "asset_number",
                "管理番号が空です。機器ごとに管理番号を記入してください",
                "the asset number is empty; every device needs one",
            ));
        }
        if folded.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new(
                "asset_number",
                format!(
                    "管理番号「{}」が長すぎます（{}文字まで）",
                    shown(folded),
                    Self::MAX_CHARS
                ),
                format!(
                    "the asset number '{}' is too long (at most {} characters)",
                    shown(folded),
                    Self::MAX_CHARS
                ),
            ));
        }
        if folded.chars().any(char::is_control) {
            return Err(ParseError::new(
                "asset_number",
                format!("管理番号「{}」に改行や制御文字は使えません", shown(folded)),
                format!(
                    "the asset number '{}' must not contain line breaks or control characters",
                    shown(folded)
                ),
            ));
        }
        Ok(Self(folded.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AssetNumber {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AssetNumber> for String {
    fn from(value: AssetNumber) -> Self {
        value.0
    }
}

impl std::fmt::Display for AssetNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A version as written: `2.0`, `Ver.3.1`, `10.0.19045`, `令和6年版`. Never refused; when it
/// is only numbers, [`Version::numeric_parts`] reads them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version(String);

impl Version {
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank text. Full-width letters and digits are folded to half-width.
    pub fn parse(field: &'static str, text: &str) -> Result<Option<Self>, ParseError> {
        if is_blank(text) {
            return Ok(None);
        }
        let folded = fold_width_str(text.trim());
        let folded = folded.trim();
        // A character takes at least one byte: short texts need no counting.
        if folded.len() > Self::MAX_CHARS && folded.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new(
                field,
                format!(
                    "バージョン「{}」が長すぎます（{}文字まで）",
                    shown(folded),
                    Self::MAX_CHARS
                ),
                format!(
                    "the version '{}' is too long (at most {} characters)",
                    shown(folded),
                    Self::MAX_CHARS
                ),
            ));
        }
        // Controls are single bytes below 0x20 or DEL, or U+0080..U+009F (0xC2 first).
        let suspicious = folded.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2);
        if suspicious && folded.chars().any(char::is_control) {
            return Err(ParseError::new(
                field,
                format!(
                    "バージョン「{}」に改行や制御文字は使えません",
                    shown(folded)
                ),
                format!(
                    "the version '{}' must not contain line breaks or control characters",
                    shown(folded)
                ),
            ));
        }
        Ok(Some(Self(folded.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numbers of a version made only of numbers and dots, after an optional `v`,
    /// `ver`, `ver.` or `version`: `2.0` is `[2, 0]`, `Ver.10.0.19045` is `[10, 0, 19045]`;
    /// `2.0 SP1` and `令和6年版` are `None`.
    pub fn numeric_parts(&self) -> Option<Vec<u64>> {
        let lower = self.0.to_ascii_lowercase();
        let mut rest = lower.as_str();
        for prefix in ["version", "ver.", "ver", "v"] {
            if let Some(r) = rest.strip_prefix(prefix) {
                rest = r.trim_start();
                break;
            }
        }
        if rest.is_empty() {
            return None;
        }
        rest.split('.')
            .map(|part| {
                if part.is_empty() || part.len() > 18 || !part.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    part.parse().ok()
                }
            })
            .collect()
    }

    /// Compares two versions by their numbers (`2.10` is newer than `2.9`; missing parts
    /// count as 0); `None` when either is not only numbers.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        let (a, b) = (self.numeric_parts()?, other.numeric_parts()?);
        let len = a.len().max(b.len());
        let part = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        Some(
            (0..len)
                .map(|i| part(&a, i).cmp(&part(&b, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        )
    }
}

impl TryFrom<String> for Version {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("version", &value)?
            .ok_or_else(|| ParseError::new("version", "バージョンが空です", "the version is empty"))
    }
}

impl From<Version> for String {
    fn from(value: Version) -> Self {
        value.0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One software entry of a device: ソフトウェア and its ソフトウェアバージョン.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Software {
    /// Never empty, one line.
    pub name: String,
    pub version: Option<Version>,
}

// ---------------------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Reading a row
// ---------------------------------------------------------------------------------------

/// A refusal of one cell (or one row) of a ledger file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("row {row}, column {column}: {message_en}")]
pub struct RowError {
    /// The row as the user sees it in Excel (1-based, header rows counted).
    pub row: usize,
    /// The column's header: as written in the file when the error comes from a file,
    /// otherwise the Japanese header of [`LedgerColumn`].
    pub column: String,
    pub message_ja: String,
    pub message_en: String,
}

impl RowError {
    pub fn new(
        row: usize,
        column: impl Into<String>,
        message_ja: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            row,
            column: column.into(),
            message_ja: message_ja.into(),
            message_en: message_en.into(),
        }
    }

    fn from_parse(row: usize, column: LedgerColumn, e: ParseError) -> Self {
        Self::new(row, column.header_ja(), e.message_ja, e.message_en)
    }
}

/// Free text longer than this is refused (a cell of a ledger, not a document).
pub const MAX_TEXT_CHARS: usize = 1000;
/// 説明 may be longer than the other cells.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// At most this many software entries or IP addresses in one cell.
pub const MAX_ENTRIES: usize = 100;
/// A software name is at most this long, so that a full ソフトウェア cell
/// ([`MAX_ENTRIES`] names) still fits in one Excel cell (32,767 characters).
pub const MAX_NAME_CHARS: usize = 200;

/// Trims a free-text cell, writes line breaks as `\n`, and refuses other control characters
/// and overlong text.
fn parse_text(field: &'static str, text: &str, max_chars: usize) -> Result<String, ParseError> {
    let trimmed = text.trim();
    // C0 controls and DEL are single bytes; C1 controls (U+0080..U+009F) start with 0xC2.
    let suspicious = trimmed
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7F || b == 0xC2);
    let owned = if trimmed.contains('\r') {
        trimmed.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        trimmed.to_owned()
    };
    if suspicious
        && let Some(c) = owned
            .chars()
            .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ParseError::new(
            field,
            format!(
                "制御文字（U+{:04X}）は使えません。文字化けしたデータでないか確認してください",
                c as u32
            ),
            format!(
                "the control character U+{:04X} is not allowed; check that the data is not garbled",
                c as u32
            ),
        ));
    }
    // A character takes at least one byte: short texts need no counting.
    if owned.len() > max_chars {
        let count = owned.chars().count();
        if count > max_chars {
            return Err(ParseError::new(
                field,
                format!("{count}文字あります。{max_chars}文字以内にしてください"),
                format!("it has {count} characters; at most {max_chars} are allowed"),
            ));
        }
    }
    Ok(owned)
}

/// The lines of a multi-value cell, trimmed, with trailing blank lines dropped. Leading and
/// inner blank lines are kept, because they keep versions in step with names.
fn lines(text: &str) -> impl Iterator<Item = &str> + Clone {
    let text = text.trim_end();
    let blank = text.is_empty();
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
        .map(str::trim)
        .filter(move |_| !blank)
}

fn parse_software(
    names: &str,
    versions: &str,
) -> Result<Vec<Software>, Vec<(LedgerColumn, ParseError)>> {
    let mut errors = Vec::new();
    let name_count = if is_blank(names) {
        0
    } else {
        lines(names).count()
    };
    let version_count = lines(versions).count();
    if name_count > MAX_ENTRIES {
        errors.push((
            LedgerColumn::Software,
            ParseError::new(
                "software",
                format!("ソフトウェアは1つの機器に{MAX_ENTRIES}件までです"),
                format!("at most {MAX_ENTRIES} software entries per device"),
            ),
        ));
        return Err(errors);
    }
    let mut software = Vec::with_capacity(name_count);
    for (i, name) in lines(names).take(name_count).enumerate() {
        if name.is_empty() {
            errors.push((
                LedgerColumn::Software,
                ParseError::new(
                    "software",
                    format!(
                        "{}行目のソフトウェア名が空です（複数のソフトウェアはセル内で改行して1行に1つずつ記入します）",
                        i + 1
                    ),
                    format!(
                        "software name on line {} of the cell is empty (write one software per line)",
                        i + 1
                    ),
                ),
            ));
            continue;
        }
        match parse_text("software", name, MAX_NAME_CHARS) {
            Ok(name) => software.push(Software {
                name,
                version: None,
            }),
            Err(e) => errors.push((LedgerColumn::Software, e)),
        }
    }
    if version_count > name_count {
        let (ja, en) = if name_count == 0 {
            (
                "ソフトウェアバージョンがありますが、ソフトウェア名がありません".to_owned(),
                "a software version is given without a software name".to_owned(),
            )
        } else {
            (
                format!(
                    "ソフトウェアバージョンが{}行ありますが、ソフトウェアは{}行です。バージョンはソフトウェアと同じ順に1行に1つずつ記入してください",
                    version_count, name_count
                ),
                format!(
                    "{version_count} software versions but {name_count} software names; write one version per line in the order of the names"
                ),
            )
        };
        errors.push((
            LedgerColumn::SoftwareVersion,
            ParseError::new("software_version", ja, en),
        ));
    } else if errors.is_empty() {
        for (entry, line) in software.iter_mut().zip(lines(versions)) {
            match Version::parse("software_version", line) {
                Ok(v) => entry.version = v,
                Err(e) => errors.push((LedgerColumn::SoftwareVersion, e)),
            }
        }
    }
    if errors.is_empty() {
        Ok(software)
    } else {
        Err(errors)
    }
}

/// Reads an IPv4 address, allowing leading zeros in a part (`192.168.001.010`), which
/// spreadsheets often hold and `std` refuses.
fn parse_ipv4_lenient(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// Folds full-width ASCII to ASCII, without copying text that has none.
fn fold_width_str(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| fold_width(c) != c) {
        Cow::Owned(text.chars().map(fold_width).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// IPアドレス: addresses separated by line breaks, `,`, `;`, `、` or spaces; `DHCP` or 自動
/// for a dynamic address; blank, `-` or なし for none.
pub fn parse_ip_addresses(text: &str) -> Result<(Vec<IpAddr>, bool), ParseError> {
    let mut addresses = Vec::new();
    let mut dhcp = false;
    if is_blank(text) {
        return Ok((addresses, dhcp));
    }
    let folded = fold_width_str(text);
    let mut bad = Vec::new();
    for token in folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '；'))
        .filter(|t| !t.is_empty())
    {
        let parsed = parse_ipv4_lenient(token)
            .map(IpAddr::V4)
            .or_else(|| token.parse::<IpAddr>().ok());
        match parsed {
            Some(ip) if !addresses.contains(&ip) => addresses.push(ip),
            Some(_) => {}
            None => match fold_key(token).as_str() {
                "dhcp" | "自動" | "自動取得" | "動的" => dhcp = true,
                "なし" | "無" | "無し" | "none" | "" => {}
                _ => bad.push(token.to_owned()),
            },
        }
    }
    if !bad.is_empty() {
        let list = bad.iter().map(|b| shown(b)).collect::<Vec<_>>();
        return Err(ParseError::new(
            "ip_address",
            format!(
                "「{}」はIPアドレスではありません。192.168.0.10 や fe80::1 のように記入し、複数あるときは改行またはカンマで区切ってください",
                list.join("」「")
            ),
            format!(
                "'{}' is not an IP address; write it like 192.168.0.10 or fe80::1, several separated by line breaks or commas",
                list.join("', '")
            ),
        ));
    }
    if addresses.len() > MAX_ENTRIES {
        return Err(ParseError::new(
            "ip_address",
            format!("IPアドレスは1つの機器に{MAX_ENTRIES}件までです"),
            format!("at most {MAX_ENTRIES} IP addresses per device"),
        ));
    }
    Ok((addresses, dhcp))
}

/// `YYYY-M-D`, `YYYY/M/D` or `YYYY.M.D` in ASCII, as most ledgers write dates; `None` for
/// anything else, which [`parse_date`] then reads or refuses with its message.
fn parse_plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if !(8..=10).contains(&b.len()) || !b[..4].iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return None;
    }
    let separator = b[4];
    if !matches!(separator, b'-' | b'/' | b'.') {
        return None;
    }
    let number = |part: &[u8]| -> Option<u32> {
        if part.is_empty() || part.len() > 2 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let rest = &b[5..];
    let second = rest.iter().position(|&c| c == separator)?;
    let month = number(&rest[..second])?;
    let day = number(&rest[second + 1..])?;
    let year = b[..4].iter().fold(0, |n, d| n * 10 + i32::from(d - b'0'));
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_optional_date(field: &'static str, text: &str) -> Result<Option<NaiveDate>, ParseError> {
    if is_blank(text) {
        return Ok(None);
    }
    let t = text.trim();
    match parse_plain_date(t) {
        Some(d) => Ok(Some(d)),
        None => parse_date(field, t).map(Some),
    }
}

fn parse_choice<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<Option<T>, ParseError> {
    if is_blank(text) {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

/// Whether every cell of a row is blank (such rows are skipped, not refused).
pub fn is_blank_row<S: AsRef<str>>(cells: &[(LedgerColumn, S)]) -> bool {
    cells
        .iter()
        .all(|(_, text)| text.as_ref().trim().is_empty())
}

/// Reads one row of a ledger. `row` is the row number the user sees (it goes into the
/// errors); `cells` holds the columns the file has, in any order; a column that is missing
/// is blank. Every error of the row is returned, not only the first.
pub fn parse_row<S: AsRef<str>>(
    row: usize,
    cells: &[(LedgerColumn, S)],
) -> Result<Device, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut by_column: [Option<&str>; LedgerColumn::COUNT] = [None; LedgerColumn::COUNT];
    for (column, text) in cells {
        let slot = &mut by_column[column.index()];
        if slot.is_some() {
            errors.push(RowError::new(
                row,
                column.header_ja(),
                format!("列「{}」が2回あります", column.header_ja()),
                format!("the column '{}' is given twice", column.header_en()),
            ));
        }
        *slot = Some(text.as_ref());
    }
    let get = |column: LedgerColumn| by_column[column.index()].unwrap_or("");

    let asset_number = match AssetNumber::parse(get(LedgerColumn::AssetNumber)) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(RowError::from_parse(row, LedgerColumn::AssetNumber, e));
            None
        }
    };
    // Given its asset number below; if that could not be read, the row is refused.
    let mut device = Device::new(AssetNumber(String::new()));

    macro_rules! take {
        ($column:expr, $result:expr, |$v:ident| $assign:expr) => {
            match $result {
                Ok($v) => $assign,
                Err(e) => errors.push(RowError::from_parse(row, $column, e)),
            }
        };
    }
    macro_rules! text {
        ($column:expr, $field:ident, $max:expr) => {
            take!(
                $column,
                parse_text($column.key(), get($column), $max),
                |v| { device.$field = v }
            )
        };
    }
    use LedgerColumn as C;

    take!(
        C::Kind,
        parse_choice(get(C::Kind), DeviceKind::parse),
        |v| { device.kind = v }
    );
    text!(C::Maker, maker, MAX_TEXT_CHARS);
    text!(C::Model, model, MAX_TEXT_CHARS);
    text!(C::Os, os, MAX_TEXT_CHARS);
    match parse_software(get(C::Software), get(C::SoftwareVersion)) {
        Ok(s) => device.software = s,
        Err(es) => errors.extend(
            es.into_iter()
                .map(|(column, e)| RowError::from_parse(row, column, e)),
        ),
    }
    take!(
        C::FirmwareVersion,
        Version::parse("firmware_version", get(C::FirmwareVersion)),
        |v| device.firmware_version = v
    );
    take!(C::IpAddress, parse_ip_addresses(get(C::IpAddress)), |v| {
        (device.ip_addresses, device.dhcp) = v
    });
    text!(C::ComputerName, computer_name, MAX_TEXT_CHARS);
    text!(C::Location, location, MAX_TEXT_CHARS);
    text!(C::User, user, MAX_TEXT_CHARS);
    take!(
        C::RegisteredOn,
        parse_optional_date("registered_on", get(C::RegisteredOn)),
        |v| device.registered_on = v
    );
    take!(
        C::Status,
        parse_choice(get(C::Status), DeviceStatus::parse),
        |v| device.status = v.unwrap_or(DeviceStatus::Active)
    );
    text!(C::Description, description, MAX_DESCRIPTION_CHARS);
    text!(C::SerialNumber, serial_number, MAX_TEXT_CHARS);
    take!(
        C::RemoteMaintenance,
        parse_yes_no("remote_maintenance", get(C::RemoteMaintenance)),
        |v| device.remote_maintenance = v.unwrap_or(false)
    );
    text!(C::MaintenanceVendor, maintenance_vendor, MAX_TEXT_CHARS);
    take!(
        C::RemoteAccess,
        parse_choice(get(C::RemoteAccess), RemoteAccess::parse),
        |v| device.remote_access = v
    );
    take!(
        C::SecurityUpdatesInContract,
        parse_yes_no(
            "security_updates_in_contract",
            get(C::SecurityUpdatesInContract)
        ),
        |v| device.security_updates_in_contract = v
    );
    take!(
        C::LastPatchedOn,
        parse_optional_date("last_patched_on", get(C::LastPatchedOn)),
        |v| device.last_patched_on = v
    );
    take!(
        C::AlwaysOnConnection,
        parse_yes_no("always_on_connection", get(C::AlwaysOnConnection)),
        |v| device.always_on_connection = v
    );
    take!(
        C::WeakOrReusedPassword,
        parse_yes_no("weak_or_reused_password", get(C::WeakOrReusedPassword)),
        |v| device.weak_or_reused_password = v
    );

    match asset_number {
        Some(asset_number) if errors.is_empty() => {
            device.asset_number = asset_number;
            Ok(device)
        }
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------
// A whole ledger
// ---------------------------------------------------------------------------------------

/// What came out of a ledger file: the devices that can be stored, with their row numbers,
/// and what was refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedLedger {
    /// Each device with the row it came from, in row order.
    pub devices: Vec<(usize, Device)>,
    /// Every refusal, in row order (at most the validator's error limit).
    pub rejected: Vec<RowError>,
    /// Refusals beyond the error limit, counted but not described.
    pub omitted_errors: usize,
}

impl ParsedLedger {
    /// Whether nothing was refused.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.omitted_errors == 0
    }
}

/// Reads a ledger row by row, keeps the errors of every row, and at the end refuses every
/// row whose 管理番号 appears more than once in the file (all of them, because mamori
/// cannot know which one is right).
#[derive(Debug)]
pub struct LedgerValidator {
    devices: Vec<(usize, Device)>,
    /// Rows refused, with their asset number when it could be read (for the duplicate
    /// check, which also counts refused rows).
    failed: Vec<(usize, Option<AssetNumber>)>,
    rejected: Vec<RowError>,
    omitted_errors: usize,
    error_limit: usize,
}

impl Default for LedgerValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl LedgerValidator {
    /// The number of refusals described by default; more are only counted, so that a file
    /// of garbage cannot fill the memory with messages.
    pub const DEFAULT_ERROR_LIMIT: usize = 1000;

    pub fn new() -> Self {
        Self::with_error_limit(Self::DEFAULT_ERROR_LIMIT)
    }

    pub fn with_error_limit(error_limit: usize) -> Self {
        Self {
            devices: Vec::new(),
            failed: Vec::new(),
            rejected: Vec::new(),
            omitted_errors: 0,
            error_limit,
        }
    }

    fn record_error(&mut self, error: RowError) {
        if self.rejected.len() < self.error_limit {
            self.rejected.push(error);
        } else {
            self.omitted_errors += 1;
        }
    }

    /// Reads one row (see [`parse_row`]). Blank rows are skipped.
    pub fn push_row<S: AsRef<str>>(&mut self, row: usize, cells: &[(LedgerColumn, S)]) {
        if is_blank_row(cells) {
            return;
        }
        match parse_row(row, cells) {
            Ok(device) => self.devices.push((row, device)),
            Err(errors) => {
                let asset_number = cells
                    .iter()
                    .find(|(c, _)| *c == LedgerColumn::AssetNumber)
                    .and_then(|(_, t)| AssetNumber::parse(t.as_ref()).ok());
                self.failed.push((row, asset_number));
                for e in errors {
                    self.record_error(e);
                }
            }
        }
    }

    /// Refuses a row for a reason found by the file reader (an Excel error cell, a value
    /// that cannot be a cell of this column). The row's device, pushed before or after, is
    /// not kept.
    pub fn push_error(&mut self, error: RowError) {
        self.failed.push((error.row, None));
        self.record_error(error);
    }

    /// Makes room for about this many more devices (a reader's estimate), so that the list of
    /// devices is not copied as it grows.
    pub fn reserve(&mut self, rows: usize) {
        self.devices.reserve(rows);
    }

    /// Takes over the rows of a validator that read a later part of the same file (rows
    /// after all of this one's), so that a file can be read in parts in parallel; duplicate
    /// asset numbers are found across the parts by [`LedgerValidator::finish`].
    pub fn append(&mut self, mut other: LedgerValidator) {
        if self.devices.is_empty() {
            std::mem::swap(&mut self.devices, &mut other.devices);
        } else {
            self.devices.append(&mut other.devices);
        }
        self.failed.extend(other.failed);
        self.omitted_errors += other.omitted_errors;
        for error in other.rejected {
            self.record_error(error);
        }
    }

    /// The rows read so far (kept or refused), for progress.
    pub fn rows_seen(&self) -> usize {
        self.devices.len() + self.failed.len()
    }

    pub fn finish(self) -> ParsedLedger {
        let Self {
            devices,
            failed,
            mut rejected,
            mut omitted_errors,
            error_limit,
        } = self;

        // Rows refused by the reader may also have been read as devices.
        let failed_rows: HashSet<usize> = failed.iter().map(|&(row, _)| row).collect();

        // Every row's asset number, refused rows included. One pass with a hash set finds
        // the numbers that repeat; only their rows are then sorted.
        let all_keys = || {
            devices
                .iter()
                .map(|(row, d)| (d.asset_number.as_str(), *row))
                .chain(
                    failed
                        .iter()
                        .filter_map(|(row, a)| a.as_ref().map(|a| (a.as_str(), *row))),
                )
        };
        let mut seen: HashSet<&str> = HashSet::with_capacity(devices.len() + failed.len());
        let mut repeated: HashSet<&str> = HashSet::new();
        for (key, _) in all_keys() {
            if !seen.insert(key) {
                repeated.insert(key);
            }
        }
        drop(seen);
        let mut keys: Vec<(&str, usize)> = if repeated.is_empty() {
            Vec::new()
        } else {
            all_keys().filter(|(k, _)| repeated.contains(k)).collect()
        };
        keys.sort_unstable();
        keys.dedup();

        // Each group of rows sharing an asset number, with its message made once.
        let mut groups: Vec<(String, String)> = Vec::new();
        let mut duplicate_rows: Vec<(usize, usize)> = Vec::new();
        for group in keys.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            const SHOWN_ROWS: usize = 10;
            let asset_number = group[0].0;
            let shown_rows = &group[..group.len().min(SHOWN_ROWS)];
            let more = group.len() - shown_rows.len();
            let ja_rows = shown_rows
                .iter()
                .map(|(_, r)| format!("{r}行目"))
                .collect::<Vec<_>>()
                .join("、");
            let en_rows = shown_rows
                .iter()
                .map(|(_, r)| r.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let (ja_more, en_more) = if more > 0 {
                (format!("ほか{more}行"), format!(" and {more} more"))
            } else {
                (String::new(), String::new())
            };
            groups.push((
                format!(
                    "管理番号「{asset_number}」が複数の行（{ja_rows}{ja_more}）にあります。管理番号は機器ごとに異なる番号にしてください"
                ),
                format!(
                    "the asset number '{asset_number}' appears in several rows ({en_rows}{en_more}); each device needs its own asset number"
                ),
            ));
            let index = groups.len() - 1;
            duplicate_rows.extend(group.iter().map(|&(_, row)| (row, index)));
        }
        // Only the errors that can be described are written out; the rest are counted.
        duplicate_rows.sort_unstable();
        let described = duplicate_rows.len().min(error_limit);
        omitted_errors += duplicate_rows.len() - described;
        rejected.extend(duplicate_rows[..described].iter().map(|&(row, index)| {
            let (ja, en) = &groups[index];
            RowError::new(row, LedgerColumn::AssetNumber.header_ja(), ja, en)
        }));
        let duplicate_rows: HashSet<usize> = duplicate_rows.iter().map(|&(row, _)| row).collect();

        let mut devices = devices;
        if !failed_rows.is_empty() || !duplicate_rows.is_empty() {
            devices.retain(|(row, _)| !failed_rows.contains(row) && !duplicate_rows.contains(row));
        }

        // Stable: a row's own errors keep their column order, the duplicate error last.
        rejected.sort_by_key(|e| e.row);
        if rejected.len() > error_limit {
            omitted_errors += rejected.len() - error_limit;
            rejected.truncate(error_limit);
        }
        ParsedLedger {
            devices,
            rejected,
            omitted_errors,
        }
    }
}

/// Reads whole rows with [`LedgerValidator`]: every device, every refusal, duplicates
/// refused.
pub fn parse_rows<'a, S, I>(rows: I) -> ParsedLedger
where
    S: AsRef<str> + 'a,
    I: IntoIterator<Item = (usize, &'a [(LedgerColumn, S)])>,
{
    let mut validator = LedgerValidator::new();
    for (row, cells) in rows {
        validator.push_row(row, cells);
    }
    validator.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn row(cells: &[(LedgerColumn, &str)]) -> Result<Device, Vec<RowError>> {
        parse_row(2, cells)
    }

    fn ok(cells: &[(LedgerColumn, &str)]) -> Device {
        row(cells).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn errs(cells: &[(LedgerColumn, &str)]) -> Vec<RowError> {
        match row(cells) {
            Ok(d) => panic!("accepted: {d:?}"),
            Err(e) => e,
        }
    }

    use LedgerColumn as C;

    #[test]
    fn the_manuals_example_rows_read() {
        let header = [
            "管理番号",
            "メーカー",
            "OS",
            "ソフトウェア",
            "ソフトウェアバージョン",
            "IPアドレス",
            "コンピュータ名",
            "設置場所",
            "利用者",
            "登録日",
            "状態",
            "説明",
        ];
        let columns: Vec<LedgerColumn> = header
            .iter()
            .map(|h| LedgerColumn::from_header(h).expect(h))
            .collect();
        let values = [
            "002",
            "A社",
            "Win11",
            "〇〇電子カルテ",
            "1.2",
            "192.168.0.0",
            "Room1のPC2",
            "Room1",
            "b医師(〇〇科)",
            "2020/12/1",
            "停止",
            "メンテナンス",
        ];
        let cells: Vec<(LedgerColumn, &str)> = columns.into_iter().zip(values).collect();
        let device = ok(&cells);
        assert_eq!(device.asset_number.as_str(), "002");
        assert_eq!(device.maker, "A社");
        assert_eq!(device.software.len(), 1);
        assert_eq!(device.software[0].name, "〇〇電子カルテ");
        assert_eq!(
            device.software[0].version.as_ref().map(Version::as_str),
            Some("1.2")
        );
        assert_eq!(
            device.ip_addresses,
            vec!["192.168.0.0".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(device.registered_on, Some(d(2020, 12, 1)));
        assert_eq!(device.status, DeviceStatus::Stopped);
        assert_eq!(device.description, "メンテナンス");
        assert_eq!(device.kind, None);
        assert!(!device.remote_maintenance);
    }

    #[test]
    fn headers_in_every_spelling() {
        for (text, column) in [
            ("管理番号", C::AssetNumber),
            (" 管理番号 ", C::AssetNumber),
            ("管理番号（必須）", C::AssetNumber),
            ("管理番号※", C::AssetNumber),
            ("asset_number", C::AssetNumber),
            ("Asset Number", C::AssetNumber),
            ("ASSET NUMBER", C::AssetNumber),
            ("ａｓｓｅｔ＿ｎｕｍｂｅｒ", C::AssetNumber),
            ("ＩＰアドレス", C::IpAddress),
            ("IP Address", C::IpAddress),
            ("ｿﾌﾄｳｪｱﾊﾞｰｼﾞｮﾝ", C::SoftwareVersion),
            ("ソフトウェア バージョン", C::SoftwareVersion),
            ("コンピューター名", C::ComputerName),
            ("メーカ", C::Maker),
            ("備考", C::Description),
            ("初期・使い回しパスワード", C::WeakOrReusedPassword),
            ("初期使い回しパスワード", C::WeakOrReusedPassword),
            ("Always-on connection", C::AlwaysOnConnection),
            ("always_on_connection", C::AlwaysOnConnection),
            (
                "セキュリティ更新を含む保守契約",
                C::SecurityUpdatesInContract,
            ),
            ("last_patched_on", C::LastPatchedOn),
            ("Registered on", C::RegisteredOn),
            ("ｼﾘｱﾙ番号", C::SerialNumber),
        ] {
            assert_eq!(LedgerColumn::from_header(text), Some(column), "{text}");
        }
        for text in ["", "  ", "価格", "foo", "管理", "()"] {
            assert_eq!(LedgerColumn::from_header(text), None, "{text}");
        }
    }

    #[test]
    fn every_column_reads_its_own_headers_and_no_two_columns_share_one() {
        let mut seen = std::collections::HashMap::new();
        for (key, column) in HEADER_KEYS.iter() {
            assert!(!key.is_empty(), "{column:?}");
            if let Some(other) = seen.insert(key.clone(), *column) {
                assert_eq!(other, *column, "'{key}' names two columns");
            }
        }
        for column in LedgerColumn::ALL {
            assert_eq!(LedgerColumn::from_header(column.header_ja()), Some(column));
            assert_eq!(LedgerColumn::from_header(column.header_en()), Some(column));
            assert_eq!(LedgerColumn::from_header(column.key()), Some(column));
            assert_eq!(LedgerColumn::ALL[column.index()], column);
        }
    }

    #[test]
    fn half_width_kana_fold_with_their_marks() {
        assert_eq!(fold_key("ｻｰﾊﾞｰ"), "サーバ");
        assert_eq!(fold_key("ﾊﾟｽﾜｰﾄﾞ"), "パスワード");
        assert_eq!(fold_key("ｳﾞｨ"), "ヴィ");
        assert_eq!(fold_key("ﾂﾞ"), "ヅ");
        // A mark on a kana that takes none stays a mark.
        assert_eq!(fold_key("ｱﾞ"), "ア\u{309B}");
    }

    #[test]
    fn choices_in_every_spelling() {
        for (text, kind) in [
            ("サーバ", DeviceKind::Server),
            ("サーバー", DeviceKind::Server),
            ("ｻｰﾊﾞｰ", DeviceKind::Server),
            ("server", DeviceKind::Server),
            ("Server", DeviceKind::Server),
            ("端末PC", DeviceKind::Pc),
            ("端末ＰＣ", DeviceKind::Pc),
            ("PC", DeviceKind::Pc),
            ("ネットワーク機器", DeviceKind::Network),
            ("Network device", DeviceKind::Network),
            ("VPN装置", DeviceKind::Vpn),
            ("ＶＰＮ", DeviceKind::Vpn),
            ("医療機器", DeviceKind::Medical),
            ("その他", DeviceKind::Other),
        ] {
            assert_eq!(DeviceKind::parse(text), Ok(kind), "{text}");
        }
        for (text, status) in [
            ("稼働", DeviceStatus::Active),
            ("稼動", DeviceStatus::Active),
            ("稼働中", DeviceStatus::Active),
            ("Active", DeviceStatus::Active),
            ("停止", DeviceStatus::Stopped),
            ("stopped", DeviceStatus::Stopped),
            ("廃棄", DeviceStatus::Retired),
            ("廃棄済み", DeviceStatus::Retired),
            ("retired", DeviceStatus::Retired),
        ] {
            assert_eq!(DeviceStatus::parse(text), Ok(status), "{text}");
        }
        for (text, access) in [
            ("VPN", RemoteAccess::Vpn),
            ("リモートデスクトップ", RemoteAccess::RemoteDesktop),
            ("RDP", RemoteAccess::RemoteDesktop),
            ("事業者閉域網", RemoteAccess::VendorClosedNetwork),
            ("閉域網", RemoteAccess::VendorClosedNetwork),
            ("インターネット直接", RemoteAccess::DirectInternet),
            ("なし", RemoteAccess::NotConnected),
            ("None", RemoteAccess::NotConnected),
            ("その他", RemoteAccess::Other),
            ("remote_desktop", RemoteAccess::RemoteDesktop),
        ] {
            assert_eq!(RemoteAccess::parse(text), Ok(access), "{text}");
        }
        let e = DeviceKind::parse("冷蔵庫").expect_err("unknown kind");
        assert_eq!(e.field, "kind");
        assert!(e.message_ja.contains("「冷蔵庫」"), "{}", e.message_ja);
        assert!(e.message_ja.contains("サーバ、端末PC"), "{}", e.message_ja);
        assert!(e.message_en.contains("server (サーバ)"), "{}", e.message_en);
        assert!(DeviceStatus::parse("").is_err());
    }

    #[test]
    fn every_choice_reads_its_labels_and_no_spelling_is_shared() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            spellings: impl Fn(T) -> &'static [&'static str],
            parse: impl Fn(&str) -> Result<T, ParseError>,
        ) {
            let mut seen: Vec<(String, T)> = Vec::new();
            for &v in all {
                for s in spellings(v) {
                    assert_eq!(parse(s), Ok(v), "{s}");
                    let key = fold_key(s);
                    if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
                        assert_eq!(*other, v, "'{s}' is two choices");
                    }
                    seen.push((key, v));
                }
            }
        }
        check(DeviceKind::ALL, DeviceKind::spellings, DeviceKind::parse);
        check(
            DeviceStatus::ALL,
            DeviceStatus::spellings,
            DeviceStatus::parse,
        );
        check(
            RemoteAccess::ALL,
            RemoteAccess::spellings,
            RemoteAccess::parse,
        );
    }

    #[test]
    fn yes_no_in_every_spelling() {
        for text in [
            "はい", "Yes", "y", "TRUE", "true", "○", "〇", "有", "あり", "1", "１",
        ] {
            assert_eq!(parse_yes_no("f", text), Ok(Some(true)), "{text}");
        }
        for text in ["いいえ", "no", "N", "FALSE", "×", "無", "なし", "0", "ｘ"] {
            assert_eq!(parse_yes_no("f", text), Ok(Some(false)), "{text}");
        }
        for text in ["", "  ", "-", "－", "ー", "　"] {
            assert_eq!(parse_yes_no("f", text), Ok(None), "{text:?}");
        }
        let e = parse_yes_no("always_on_connection", "たぶん").expect_err("maybe");
        assert_eq!(e.field, "always_on_connection");
        assert!(e.message_ja.contains("「たぶん」"), "{}", e.message_ja);
    }

    #[test]
    fn asset_numbers() {
        assert_eq!(AssetNumber::parse(" 001 ").map(|a| a.0), Ok("001".into()));
        assert_eq!(AssetNumber::parse("００１").map(|a| a.0), Ok("001".into()));
        assert_eq!(
            AssetNumber::parse("ＰＣ－０１").map(|a| a.0),
            Ok("PC-01".into())
        );
        assert!(AssetNumber::parse("").is_err());
        assert!(AssetNumber::parse("　").is_err());
        assert!(AssetNumber::parse("a\nb").is_err());
        assert!(AssetNumber::parse(&"9".repeat(65)).is_err());
        assert!(AssetNumber::parse(&"9".repeat(64)).is_ok());
    }

    #[test]
    fn ip_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(parse_ip_addresses(""), Ok((vec![], false)));
        assert_eq!(parse_ip_addresses("-"), Ok((vec![], false)));
        assert_eq!(parse_ip_addresses("なし"), Ok((vec![], false)));
        assert_eq!(
            parse_ip_addresses("192.168.0.10"),
            Ok((vec![ip("192.168.0.10")], false))
        );
        assert_eq!(
            parse_ip_addresses("192.168.001.010"),
            Ok((vec![ip("192.168.1.10")], false))
        );
        assert_eq!(
            parse_ip_addresses("１９２．１６８．０．１"),
            Ok((vec![ip("192.168.0.1")], false))
        );
        assert_eq!(
            parse_ip_addresses("10.0.0.1, 10.0.0.2;fe80::1\n2001:db8::1、10.0.0.3"),
            Ok((
                vec![
                    ip("10.0.0.1"),
                    ip("10.0.0.2"),
                    ip("fe80::1"),
                    ip("2001:db8::1"),
                    ip("10.0.0.3")
                ],
                false
            ))
        );
        assert_eq!(parse_ip_addresses("DHCP"), Ok((vec![], true)));
        assert_eq!(
            parse_ip_addresses("10.0.0.1\ndhcp"),
            Ok((vec![ip("10.0.0.1")], true))
        );
        for bad in [
            "192.168.0",
            "192.168.0.256",
            "1.2.3.4.5",
            "abc",
            "fe80::1::2",
            "192.168.0.1/24",
        ] {
            let e = parse_ip_addresses(bad).expect_err(bad);
            assert_eq!(e.field, "ip_address");
            assert!(
                e.message_ja.contains("IPアドレスではありません"),
                "{}",
                e.message_ja
            );
        }
        let e = parse_ip_addresses("10.0.0.1, 300.1.1.1, x").expect_err("two bad");
        assert!(
            e.message_en.contains("'300.1.1.1', 'x'"),
            "{}",
            e.message_en
        );
    }

    #[test]
    fn versions_are_kept_as_written() {
        let v = |s: &str| {
            Version::parse("software_version", s)
                .expect("never refused")
                .expect("not blank")
        };
        assert_eq!(v("2.0").numeric_parts(), Some(vec![2, 0]));
        assert_eq!(
            v("Ver.10.0.19045").numeric_parts(),
            Some(vec![10, 0, 19045])
        );
        assert_eq!(v("v3").numeric_parts(), Some(vec![3]));
        assert_eq!(v("２．１").as_str(), "2.1");
        assert_eq!(v("2.0 SP1").numeric_parts(), None);
        assert_eq!(v("令和6年版").numeric_parts(), None);
        assert_eq!(v("1..2").numeric_parts(), None);
        assert_eq!(v("2.10").compare(&v("2.9")), Some(Ordering::Greater));
        assert_eq!(v("2.0").compare(&v("2")), Some(Ordering::Equal));
        assert_eq!(v("2.0").compare(&v("beta")), None);
        assert_eq!(Version::parse("f", " "), Ok(None));
    }

    #[test]
    fn several_software_entries_one_per_line() {
        let device = ok(&[
            (C::AssetNumber, "001"),
            (C::Software, "電子カルテ\nPACSビューア\r\nウイルス対策"),
            (C::SoftwareVersion, "2.0\n\n12.1"),
        ]);
        let names: Vec<&str> = device.software.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["電子カルテ", "PACSビューア", "ウイルス対策"]);
        let versions: Vec<Option<&str>> = device
            .software
            .iter()
            .map(|s| s.version.as_ref().map(Version::as_str))
            .collect();
        assert_eq!(versions, [Some("2.0"), None, Some("12.1")]);

        // Fewer versions than names: the rest are unknown.
        let device = ok(&[
            (C::AssetNumber, "001"),
            (C::Software, "A\nB"),
            (C::SoftwareVersion, "1.0"),
        ]);
        assert_eq!(device.software[1].version, None);

        // More versions than names, or a version without a name.
        let e = errs(&[
            (C::AssetNumber, "001"),
            (C::Software, "A"),
            (C::SoftwareVersion, "1.0\n2.0"),
        ]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].column, "ソフトウェアバージョン");
        assert!(e[0].message_ja.contains("2行"), "{}", e[0].message_ja);
        let e = errs(&[(C::AssetNumber, "001"), (C::SoftwareVersion, "1.0")]);
        assert!(e[0].message_en.contains("without a software name"));

        // A name too long for a full cell to fit in Excel.
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e = errs(&[(C::AssetNumber, "001"), (C::Software, &long)]);
        assert!(
            e[0].message_en.contains("at most 200"),
            "{}",
            e[0].message_en
        );

        // An empty name between names.
        let e = errs(&[(C::AssetNumber, "001"), (C::Software, "A\n\nB")]);
        assert!(e[0].message_ja.contains("2行目"), "{}", e[0].message_ja);
    }

    #[test]
    fn every_error_of_a_row_is_reported() {
        let e = errs(&[
            (C::AssetNumber, ""),
            (C::Kind, "冷蔵庫"),
            (C::IpAddress, "192.168.0.300"),
            (C::RegisteredOn, "2025/13/45"),
            (C::Status, "不明"),
            (C::RemoteMaintenance, "たぶん"),
            (C::LastPatchedOn, "昨日"),
        ]);
        let columns: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            columns,
            [
                "管理番号",
                "種別",
                "IPアドレス",
                "登録日",
                "状態",
                "リモートメンテナンス",
                "最終パッチ適用日"
            ]
        );
        assert!(e.iter().all(|e| e.row == 2));
        assert!(
            e.iter()
                .all(|e| !e.message_ja.is_empty() && !e.message_en.is_empty())
        );
        assert!(
            e[3].message_ja.contains("13月はありません"),
            "{}",
            e[3].message_ja
        );
    }

    #[test]
    fn dates_in_japanese_and_western_forms() {
        for text in [
            "令和7年4月1日",
            "2025/4/1",
            "2025-04-01",
            "R7.4.1",
            "２０２５／４／１",
        ] {
            let device = ok(&[(C::AssetNumber, "1"), (C::RegisteredOn, text)]);
            assert_eq!(device.registered_on, Some(d(2025, 4, 1)), "{text}");
        }
        for text in ["2025/13/45", "2025-02-30", "45748", "来月"] {
            let e = errs(&[(C::AssetNumber, "1"), (C::LastPatchedOn, text)]);
            assert_eq!(e[0].column, "最終パッチ適用日", "{text}");
        }
        let device = ok(&[(C::AssetNumber, "1"), (C::RegisteredOn, "-")]);
        assert_eq!(device.registered_on, None);
    }

    #[test]
    fn defaults_for_blank_cells() {
        let device = ok(&[(C::AssetNumber, "1")]);
        assert_eq!(device, Device::new(AssetNumber::parse("1").expect("valid")));
        assert_eq!(device.status, DeviceStatus::Active);
        assert_eq!(device.kind, None);
        assert!(!device.remote_maintenance);
        assert_eq!(device.security_updates_in_contract, None);
    }

    #[test]
    fn text_cells_are_checked() {
        let device = ok(&[
            (C::AssetNumber, "1"),
            (C::Description, "  一行目\r\n二行目  "),
        ]);
        assert_eq!(device.description, "一行目\n二行目");
        let e = errs(&[(C::AssetNumber, "1"), (C::Maker, "A\u{0}社")]);
        assert!(e[0].message_ja.contains("U+0000"), "{}", e[0].message_ja);
        let e = errs(&[(C::AssetNumber, "1"), (C::Location, &"x".repeat(1001))]);
        assert!(
            e[0].message_en.contains("1001 characters"),
            "{}",
            e[0].message_en
        );
        ok(&[(C::AssetNumber, "1"), (C::Description, &"x".repeat(4000))]);
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let e = errs(&[(C::AssetNumber, "1"), (C::Maker, "A"), (C::Maker, "B")]);
        assert!(e[0].message_ja.contains("2回"), "{}", e[0].message_ja);
    }

    fn full_device() -> Device {
        let mut device = Device::new(AssetNumber::parse("PC-001").expect("valid"));
        device.kind = Some(DeviceKind::Vpn);
        device.maker = "A社".into();
        device.model = "FG-60F".into();
        device.os = "FortiOS".into();
        device.software = vec![
            Software {
                name: "〇〇電子カルテ".into(),
                version: None,
            },
            Software {
                name: "ウイルス対策".into(),
                version: Version::parse("v", "12.1").expect("valid"),
            },
            Software {
                name: "PACS".into(),
                version: None,
            },
        ];
        device.firmware_version = Version::parse("v", "7.0.12").expect("valid");
        device.ip_addresses = vec![
            "192.168.0.1".parse().expect("ip"),
            "2001:db8::1".parse().expect("ip"),
        ];
        device.dhcp = true;
        device.computer_name = "Room1のPC1".into();
        device.location = "サーバ室".into();
        device.user = "a医師(〇〇科)".into();
        device.registered_on = Some(d(2020, 12, 1));
        device.status = DeviceStatus::Retired;
        device.description = "説明\n二行目".into();
        device.serial_number = "SN123".into();
        device.remote_maintenance = true;
        device.maintenance_vendor = "B社".into();
        device.remote_access = Some(RemoteAccess::VendorClosedNetwork);
        device.security_updates_in_contract = Some(false);
        device.last_patched_on = Some(d(2025, 4, 1));
        device.always_on_connection = Some(true);
        device.weak_or_reused_password = Some(false);
        device
    }

    #[test]
    fn cells_read_back_as_the_same_device() {
        for device in [
            full_device(),
            Device::new(AssetNumber::parse("1").expect("valid")),
        ] {
            let cells = device.to_row();
            assert_eq!(cells.len(), LedgerColumn::COUNT);
            assert_eq!(parse_row(5, &cells), Ok(device));
        }
        let cells = full_device().to_row();
        assert_eq!(cells[C::SoftwareVersion.index()].1, "\n12.1");
        assert_eq!(
            cells[C::IpAddress.index()].1,
            "192.168.0.1\n2001:db8::1\nDHCP"
        );
        assert_eq!(cells[C::RegisteredOn.index()].1, "2020-12-01");
        assert_eq!(cells[C::Kind.index()].1, "VPN装置");
        assert_eq!(cells[C::RemoteMaintenance.index()].1, "はい");
    }

    #[test]
    fn duplicate_asset_numbers_refuse_every_row() {
        let rows: Vec<(usize, Vec<(LedgerColumn, &str)>)> = vec![
            (2, vec![(C::AssetNumber, "001")]),
            (3, vec![(C::AssetNumber, "002")]),
            (4, vec![(C::AssetNumber, "００１")]),
            (5, vec![(C::AssetNumber, ""), (C::Maker, "A社")]),
            (6, vec![(C::AssetNumber, "003"), (C::IpAddress, "x")]),
            (7, vec![(C::AssetNumber, "003")]),
            (8, vec![]),
            // Blank: skipped, not refused.
            (9, vec![(C::AssetNumber, " "), (C::Maker, "")]),
        ];
        let parsed = parse_rows(rows.iter().map(|(r, c)| (*r, c.as_slice())));
        let kept: Vec<usize> = parsed.devices.iter().map(|(r, _)| *r).collect();
        assert_eq!(kept, [3]);
        let rejected: Vec<(usize, &str)> = parsed
            .rejected
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (2, "管理番号"),
                (4, "管理番号"),
                (5, "管理番号"),
                (6, "IPアドレス"),
                (6, "管理番号"),
                (7, "管理番号")
            ]
        );
        let dup = &parsed.rejected[0];
        assert!(
            dup.message_ja
                .contains("管理番号「001」が複数の行（2行目、4行目）"),
            "{}",
            dup.message_ja
        );
        assert!(dup.message_en.contains("(2, 4)"), "{}", dup.message_en);
        assert!(!parsed.is_clean());
    }

    #[test]
    fn errors_beyond_the_limit_are_counted() {
        let mut validator = LedgerValidator::with_error_limit(3);
        for row in 2..12 {
            validator.push_row(row, &[(C::AssetNumber, "x"), (C::IpAddress, "bad")]);
        }
        let parsed = validator.finish();
        assert_eq!(parsed.rejected.len(), 3);
        // 10 IP errors + 10 duplicate errors, 3 described.
        assert_eq!(parsed.omitted_errors, 17);
        assert!(parsed.devices.is_empty());
    }

    #[test]
    fn validators_of_parts_append() {
        let mut first = LedgerValidator::with_error_limit(2);
        first.push_row(2, &[(C::AssetNumber, "1")]);
        first.push_row(3, &[(C::AssetNumber, "2"), (C::IpAddress, "x")]);
        let mut second = LedgerValidator::with_error_limit(2);
        second.push_row(4, &[(C::AssetNumber, "1")]);
        second.push_row(5, &[(C::AssetNumber, "3"), (C::IpAddress, "y")]);
        second.push_row(6, &[(C::AssetNumber, "4"), (C::IpAddress, "z")]);
        first.append(second);
        let parsed = first.finish();
        assert!(parsed.devices.is_empty());
        let rows: Vec<usize> = parsed.rejected.iter().map(|e| e.row).collect();
        assert_eq!(rows, [2, 3]);
        // 3 IP errors and 2 duplicates, 2 described.
        assert_eq!(parsed.omitted_errors, 3);
    }

    #[test]
    fn reader_errors_refuse_the_row() {
        let mut validator = LedgerValidator::new();
        validator.push_row(2, &[(C::AssetNumber, "1")]);
        validator.push_error(RowError::new(
            2,
            "説明",
            "エラー値 #N/A",
            "error value #N/A",
        ));
        validator.push_row(3, &[(C::AssetNumber, "2")]);
        let parsed = validator.finish();
        assert_eq!(parsed.devices.len(), 1);
        assert_eq!(parsed.devices[0].0, 3);
        assert_eq!(parsed.rejected.len(), 1);
    }
}
