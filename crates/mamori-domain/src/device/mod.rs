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

mod choice;
mod column;
mod key;
mod ledger;
mod record;
mod row;
#[cfg(test)]
mod tests;
mod value;

pub use choice::{DeviceKind, DeviceStatus, RemoteAccess, parse_yes_no};
pub use column::LedgerColumn;
pub use ledger::{LedgerValidator, ParsedLedger, parse_rows};
pub use record::Device;
pub use row::{
    MAX_DESCRIPTION_CHARS, MAX_ENTRIES, MAX_NAME_CHARS, MAX_TEXT_CHARS, RowError, is_blank_row,
    parse_ip_addresses, parse_row,
};
pub use value::{AssetNumber, Software, Version};
