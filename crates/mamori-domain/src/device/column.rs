//! The ledger's columns ([`LedgerColumn`]): export order, the Japanese header mamori writes
//! and the headers it reads.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::key::header_key;

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

pub(super) static HEADER_KEYS: LazyLock<Vec<(String, LedgerColumn)>> = LazyLock::new(|| {
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
