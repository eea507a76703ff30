//! The device ledger (機器台帳) as files: .xlsx and CSV (UTF-8 or Shift_JIS) in, .xlsx and
//! CSV out. The columns and the rules of each cell are those of
//! [`mamori_domain::device`]; this module only turns bytes into rows and rows into bytes.
//!
//! # Reading ([`import`])
//!
//! - **What the file is** is decided by its content, not its name: a ZIP (`PK\x03\x04`) is
//!   read as an .xlsx workbook (the first worksheet); everything else as CSV text. Images,
//!   PDFs, archives and Excel 97-2003 `.xls` files are refused with a message saying what
//!   the file seems to be. The content-type hint only chooses the delimiter to try first
//!   (`text/tab-separated-values` or a `.tsv` name: tab).
//! - **CSV text** is UTF-8 (with or without BOM) when it is valid UTF-8, otherwise Shift_JIS
//!   (CP932, as Excel for Japanese Windows saves it); a file that is neither is refused with
//!   the line of the first bad byte. A file with UTF-8 characters before its first bad byte
//!   is taken as broken UTF-8, not read as garbled Shift_JIS. UTF-16 with a BOM (Excel's
//!   「Unicode テキスト」) is read too. The delimiter is a comma, or a tab when no header row
//!   is found with commas. Shift_JIS is decoded cell by cell while the CSV is read (no byte
//!   of a two-byte Shift_JIS character is a comma, tab, quote or line break), and a CSV with
//!   more than 1 MiB of rows is read in two halves on two threads
//!   ([`ImportOptions::parallel`]); the result is the same as on one thread.
//! - **The header row** need not be the first: ledgers often have a title above it. It is the
//!   first of the first [`ImportOptions::header_search_rows`] non-blank rows that names
//!   管理番号 and at least one other known column. Every other non-blank cell of that row
//!   must name a column too: an unknown header refuses the file, naming the header and its
//!   column letter, because silently dropping a column would lose data. Row counters
//!   (`No.`, `連番`, `項番`, `#`) are the only headers that are ignored. A data cell under
//!   a blank header, or right of the last header, refuses the file too.
//! - **Rows** are numbered as Excel shows them (1-based, title and header rows counted,
//!   blank lines counted, line breaks inside quoted CSV cells not counted). Blank rows are
//!   skipped. In CSV, every data row must have as many fields as the header row.
//! - **Cells of an .xlsx** become text as a person reads them: a date cell becomes
//!   `YYYY-MM-DD`, a whole number shows without `.0`, TRUE/FALSE read as yes/no. In the date
//!   columns (登録日, 最終パッチ適用日) a plain number from 18264 (1950-01-01) on is read as an
//!   Excel serial date, because Excel sometimes loses the date format of a cell (a smaller
//!   number, such as a year, is refused as a date instead). Error cells (`#N/A`, `#REF!` …) refuse
//!   the row.
//! - **Cells of a CSV**: `'=…` (a leading apostrophe before `= + - @`, which mamori's own CSV
//!   export adds so that Excel does not run a cell as a formula) and `="001"` (the trick
//!   people use to keep leading zeros in Excel) are read as the text inside.
//!
//! The result is a [`ParsedLedger`]: the devices with their rows, and every refused row with
//! its column and message in Japanese and English. A problem with the file as a whole is an
//! [`ImportError`], also in both languages.
//!
//! # Several software entries and addresses
//!
//! One device is one row. A device with several software entries lists the names in the
//! ソフトウェア cell one per line (Alt+Enter in Excel) and the versions in the
//! ソフトウェアバージョン cell one per line in the same order; an empty line is an unknown
//! version. IPアドレス lists one address per line. This is what Excel users already write,
//! it keeps one device per row for filters and sorting, and it reads back exactly.
//!
//! # Writing ([`export_xlsx`], [`export_csv`])
//!
//! - Both write every column of [`LedgerColumn::ALL`] under its Japanese header, so that
//!   `import(export(devices))` gives the same devices.
//! - .xlsx: one sheet 機器台帳, bold header row, frozen header row and 管理番号 column,
//!   an autofilter, widths fitted to the content, multi-line cells wrapped, dates as real
//!   date cells (`yyyy-mm-dd`), everything else as text (管理番号 `001` stays `001`).
//! - CSV: CRLF line ends, quoted where needed. UTF-8 starts with a BOM so that Excel opens it
//!   as UTF-8. A cell that starts with `= + - @` (or an apostrophe) gets an apostrophe in
//!   front, so that Excel shows it as text instead of running it as a formula (CSV
//!   injection); [`import`] removes it again.
//! - Shift_JIS (CP932): characters that have a look-alike in CP932 are written as that
//!   look-alike (〜 U+301C as ～, − U+2212 as －, ‖ as ∥, — U+2014 as ―, ¢ £ ¬ as ￠ ￡ ￢),
//!   as Windows itself does. Any other character Shift_JIS cannot hold (𠮷, emoji, most
//!   non-Japanese scripts) refuses the export with [`ExportError::Unmappable`], listing the
//!   devices, columns and characters, so that nothing is lost in silence; UTF-8 can always
//!   be used instead.
//!
//! # Limits
//!
//! [`ImportOptions`]: the file size (20 MB by default), the size a workbook may expand to
//! ([`workbook::MAX_EXPANDED_BYTES`]: checked on the sizes its ZIP directory declares before
//! anything is inflated, and enforced while inflating; see [`crate::workbook`]), the number
//! of data rows, and the number of row errors described (more are counted in
//! [`ParsedLedger::omitted_errors`]).
//!
//! [`LedgerColumn::ALL`]: mamori_domain::device::LedgerColumn::ALL

mod csv_input;
mod error;
pub(crate) mod export;
mod header;
mod import;
mod rows;
#[cfg(test)]
mod tests;
mod xlsx_input;

pub use error::{
    ExportError, ForeignFormat, HeaderCell, ImportError, UnmappableCell, column_letter,
};
pub use export::{export_csv, export_xlsx};
pub use import::{import, import_with};
pub use mamori_domain::device::{ParsedLedger, RowError};

use mamori_domain::device::LedgerValidator;

use crate::workbook;

/// The media type of an .xlsx workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The media type of a CSV file.
pub const CSV_CONTENT_TYPE: &str = "text/csv";
/// The name of the worksheet mamori writes.
pub const SHEET_NAME: &str = "機器台帳";

/// The text encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8 with a BOM.
    Utf8,
    /// Shift_JIS as Windows writes it (CP932).
    ShiftJis,
}

/// Limits of an import. The defaults suit one institution's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Larger files are refused before they are read.
    pub max_bytes: usize,
    /// An .xlsx whose parts would expand to more than this is refused (ZIP bomb).
    pub max_uncompressed_bytes: u64,
    /// At most this many non-blank data rows.
    pub max_rows: usize,
    /// At most this many row errors are described; more are counted.
    pub max_errors: usize,
    /// The header row is looked for among this many first non-blank rows.
    pub header_search_rows: usize,
    /// Read a large CSV (more than 1 MiB of rows) on two threads when the machine has two
    /// cores or more. Off, everything runs on the caller's thread.
    pub parallel: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_uncompressed_bytes: workbook::MAX_EXPANDED_BYTES,
            max_rows: 200_000,
            max_errors: LedgerValidator::DEFAULT_ERROR_LIMIT,
            header_search_rows: 10,
            parallel: true,
        }
    }
}
