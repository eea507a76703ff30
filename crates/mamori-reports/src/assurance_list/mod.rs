//! The spreadsheets of the security-assurance project (確保事業):
//!
//! - 別紙1 「【様式】セキュリティ確保事業支援対象病院リスト」: every applicant of a prefecture,
//!   in rank order, with its answers, eligibility, status and band ([`export_assurance_list`]);
//! - 別紙2 「各都道府県対象数」: the quota (支援枠数) per prefecture and bed band, read from .xlsx
//!   or CSV in UTF-8 or Shift_JIS ([`import_quotas`]) and written back ([`export_quotas`]).
//!
//! Seed 001 names both forms but does not reproduce them; the columns of 別紙1 are the survey
//! items of seed 004 (電子カルテシステムの導入有無, 本事業の活用意向, G-MIS 回答結果の活用の可否)
//! and the checks seed 001 asks of the prefecture (病床数, システム更改, 順位).

mod export;
mod grid;
mod quota;
mod ranking;
#[cfg(test)]
mod tests;

/// Column letters as in the ledger's messages: one helper for both.
pub use crate::ledger::column_letter;
pub use export::{AssuranceListError, export_assurance_list, export_quotas, list_headers};
pub use grid::{MAX_PROBLEMS, QuotaFileFormat, QuotaImportError, QuotaImportProblem};
pub use quota::import_quotas;
pub use ranking::{
    RankingFile, RankingRow, RankingTarget, ResolvedRank, import_institution_list, import_ranking,
    resolve_ranking,
};

/// The form's title as seed 001 writes it (「別紙 1 「【様式】セキュリティ確保事業支援対象病院リスト」」).
pub const LIST_TITLE: &str = "【様式】セキュリティ確保事業支援対象病院リスト";
pub const LIST_SHEET: &str = "別紙1";
pub const SUMMARY_SHEET: &str = "支援枠";
/// Seed 001: 「別紙 2 「各都道府県対象数」」.
pub const QUOTA_TITLE: &str = "各都道府県対象数（支援枠数）";
pub const QUOTA_SHEET: &str = "別紙2";
/// 0-based row of the header in both sheets written here (Excel row 3): a title row and a
/// subtitle row come first.
pub const HEADER_ROW: u32 = 2;
