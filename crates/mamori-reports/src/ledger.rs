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

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use mamori_domain::device::{Device, LedgerColumn, LedgerValidator};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook};

use crate::workbook::{self, WorkbookProblem};

pub use mamori_domain::device::{ParsedLedger, RowError};

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

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// What a file that is not a spreadsheet seems to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForeignFormat {
    Png,
    Jpeg,
    Gif,
    Pdf,
    Gzip,
    SevenZip,
    Rar,
    Executable,
    /// Binary data of no known kind.
    Binary,
}

impl ForeignFormat {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Png => "PNG画像",
            Self::Jpeg => "JPEG画像",
            Self::Gif => "GIF画像",
            Self::Pdf => "PDF",
            Self::Gzip => "gzip圧縮ファイル",
            Self::SevenZip => "7-Zip圧縮ファイル",
            Self::Rar => "RAR圧縮ファイル",
            Self::Executable => "実行ファイル",
            Self::Binary => "バイナリファイル",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Png => "a PNG image",
            Self::Jpeg => "a JPEG image",
            Self::Gif => "a GIF image",
            Self::Pdf => "a PDF document",
            Self::Gzip => "a gzip archive",
            Self::SevenZip => "a 7-Zip archive",
            Self::Rar => "a RAR archive",
            Self::Executable => "a program",
            Self::Binary => "binary data",
        }
    }

    fn sniff(bytes: &[u8]) -> Option<Self> {
        const MAGIC: &[(&[u8], ForeignFormat)] = &[
            (b"\x89PNG\r\n\x1a\n", ForeignFormat::Png),
            (b"\xff\xd8\xff", ForeignFormat::Jpeg),
            (b"GIF87a", ForeignFormat::Gif),
            (b"GIF89a", ForeignFormat::Gif),
            (b"%PDF-", ForeignFormat::Pdf),
            (b"\x1f\x8b", ForeignFormat::Gzip),
            (b"7z\xbc\xaf\x27\x1c", ForeignFormat::SevenZip),
            (b"Rar!\x1a\x07", ForeignFormat::Rar),
            (b"\x7fELF", ForeignFormat::Executable),
        ];
        MAGIC
            .iter()
            .find(|(magic, _)| bytes.starts_with(magic))
            .map(|&(_, format)| format)
    }
}

/// A header cell, with its column (0-based; shown as a letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCell {
    pub text: String,
    pub column: usize,
}

/// Why a file as a whole cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the first worksheet of the workbook is empty")]
    EmptySheet,
    #[error("the file is {size} bytes; files up to {limit} bytes can be imported")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "the file is {}, not a spreadsheet; upload the ledger as an Excel workbook (.xlsx) or CSV",
        .0.label_en()
    )]
    NotASpreadsheet(ForeignFormat),
    #[error(
        "Excel 97-2003 workbooks (.xls) cannot be read; in Excel, save the ledger as \"Excel Workbook (*.xlsx)\" or as CSV"
    )]
    LegacyExcel,
    #[error(
        "the workbook cannot be read ({detail}); open it in Excel and save it again as .xlsx, or save it as CSV"
    )]
    UnreadableWorkbook { detail: String },
    #[error(
        "the workbook expands to {} MB when read, more than the limit of {} MB; remove other sheets, pictures and unused rows, or save the ledger as CSV",
        .expanded.div_ceil(1 << 20), .limit.div_ceil(1 << 20)
    )]
    WorkbookTooLarge { expanded: u64, limit: u64 },
    #[error(
        "the workbook's string table declares {declared} strings, more than the limit of {limit}; save the ledger again from Excel, or as CSV"
    )]
    TooManyStrings { declared: u64, limit: u64 },
    #[error(
        "a part of the workbook expands to more than its ZIP directory declares: the file is damaged or made to exhaust memory (workbooks may expand to {} MB); save the ledger again from Excel, or as CSV",
        .limit.div_ceil(1 << 20)
    )]
    WorkbookSizeLies { limit: u64 },
    #[error(
        "the workbook holds a text or a tag longer than {} KB (an Excel cell holds at most 32,767 characters); save the ledger again from Excel, or as CSV",
        .limit / 1024
    )]
    LongText { limit: u64 },
    #[error(
        "the text is neither UTF-8 nor Shift_JIS (first bad byte on line {line}); save the CSV as \"CSV UTF-8\" or as Shift_JIS"
    )]
    Encoding { line: usize },
    #[error("the CSV cannot be read: {detail}")]
    UnreadableCsv { detail: String },
    #[error(
        "no header row found in the first {searched_rows} non-blank rows; the header row must name 管理番号 (asset_number) and at least one other column"
    )]
    NoHeaderRow { searched_rows: usize },
    #[error("{}", unknown_headers_en(.headers))]
    UnknownHeaders { headers: Vec<HeaderCell> },
    #[error(
        "the column {} is given twice: '{}' in column {} and '{}' in column {}",
        .column.header_en(), shown_header(&.first.text), column_letter(.first.column),
        shown_header(&.second.text), column_letter(.second.column)
    )]
    DuplicateHeader {
        column: LedgerColumn,
        first: HeaderCell,
        second: HeaderCell,
    },
    #[error(
        "row {row} has {found} fields but the header row has {expected}; every row must have the same number of fields"
    )]
    RaggedRow {
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "row {row} has data in column {} which has no header; give the column a header or remove the data",
        column_letter(*.column)
    )]
    DataWithoutHeader { row: usize, column: usize },
    #[error("the ledger has more than {limit} rows")]
    TooManyRows { limit: usize },
}

/// `A`, `B`, … `Z`, `AA` … for a 0-based column.
pub fn column_letter(column: usize) -> String {
    let mut n = column.saturating_add(1);
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn known_headers_ja() -> String {
    LedgerColumn::ALL
        .iter()
        .map(|c| c.header_ja())
        .collect::<Vec<_>>()
        .join("、")
}

fn known_headers_en() -> String {
    LedgerColumn::ALL
        .iter()
        .map(|c| c.key())
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most this many unknown headers are named in a message.
const SHOWN_HEADERS: usize = 20;

/// A header as a message repeats it: at most 40 characters.
fn shown_header(text: &str) -> String {
    if text.chars().count() > 40 {
        text.chars().take(40).collect::<String>() + "…"
    } else {
        text.to_owned()
    }
}

fn unknown_headers_en(headers: &[HeaderCell]) -> String {
    let mut list = headers
        .iter()
        .take(SHOWN_HEADERS)
        .map(|h| {
            format!(
                "'{}' (column {})",
                shown_header(&h.text),
                column_letter(h.column)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > SHOWN_HEADERS {
        list.push_str(&format!(" and {} more", headers.len() - SHOWN_HEADERS));
    }
    format!(
        "unknown header {list}; the ledger's columns are {} (or their Japanese headers)",
        known_headers_en()
    )
}

impl ImportError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::EmptySheet => "empty_sheet",
            Self::TooLarge { .. } => "file_too_large",
            Self::NotASpreadsheet(_) => "not_a_spreadsheet",
            Self::LegacyExcel => "legacy_excel",
            Self::UnreadableWorkbook { .. } => "unreadable_workbook",
            Self::WorkbookTooLarge { .. }
            | Self::TooManyStrings { .. }
            | Self::WorkbookSizeLies { .. }
            | Self::LongText { .. } => "workbook_too_large",
            Self::Encoding { .. } => "unknown_encoding",
            Self::UnreadableCsv { .. } => "unreadable_csv",
            Self::NoHeaderRow { .. } => "no_header_row",
            Self::UnknownHeaders { .. } => "unknown_header",
            Self::DuplicateHeader { .. } => "duplicate_header",
            Self::RaggedRow { .. } => "ragged_row",
            Self::DataWithoutHeader { .. } => "data_without_header",
            Self::TooManyRows { .. } => "too_many_rows",
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }

    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "ファイルが空です".into(),
            Self::EmptySheet => "ブックの最初のシートが空です".into(),
            Self::TooLarge { size, limit } => format!(
                "ファイルの大きさが{size}バイトあります。取り込めるのは{limit}バイトまでです"
            ),
            Self::NotASpreadsheet(format) => format!(
                "このファイルは{}で、表計算のファイルではありません。機器台帳をExcelブック（.xlsx）かCSVで保存して取り込んでください",
                format.label_ja()
            ),
            Self::LegacyExcel => "Excel 97-2003 形式（.xls）のブックは読み込めません。Excelで「Excel ブック (*.xlsx)」またはCSVとして保存し直してください".into(),
            Self::UnreadableWorkbook { detail } => format!(
                "ブックを読み込めません（{detail}）。Excelで開いて .xlsx として保存し直すか、CSVで保存してください"
            ),
            Self::WorkbookTooLarge { expanded, limit } => format!(
                "ブックを展開すると{}MBになり、上限の{}MBを超えるため読み込めません。ほかのシート、画像、使っていない行を削除するか、CSVで保存してください",
                expanded.div_ceil(1 << 20),
                limit.div_ceil(1 << 20)
            ),
            Self::TooManyStrings { declared, limit } => format!(
                "ブックの文字列の表が{declared}件の文字列を宣言しており、上限の{limit}件を超えるため読み込めません。Excelで保存し直すか、CSVで保存してください"
            ),
            Self::LongText { limit } => format!(
                "ブックに{}KBを超える一続きの文字列かタグがあるため読み込めません（Excelのセルは32,767文字までです）。Excelで保存し直すか、CSVで保存してください",
                limit / 1024
            ),
            Self::WorkbookSizeLies { limit } => format!(
                "ブックの一部が、ZIPの目録に記された大きさを超えて展開されます。ファイルが壊れているか、メモリを使い果たすように作られています（ブックを展開した大きさの上限は{}MBです）。Excelで保存し直すか、CSVで保存してください",
                limit.div_ceil(1 << 20)
            ),
            Self::Encoding { line } => format!(
                "文字コードがUTF-8でもShift_JISでもありません（{line}行目に読めない文字があります）。CSVを「CSV UTF-8」またはShift_JISで保存してください"
            ),
            Self::UnreadableCsv { detail } => format!("CSVを読み込めません: {detail}"),
            Self::NoHeaderRow { searched_rows } => format!(
                "最初の{searched_rows}行（空行を除く）に見出し行が見つかりません。見出し行には「管理番号」と、ほかに少なくとも1つの列の見出しが必要です"
            ),
            Self::UnknownHeaders { headers } => {
                let mut list = headers
                    .iter()
                    .take(SHOWN_HEADERS)
                    .map(|h| format!("「{}」（{}列）", shown_header(&h.text), column_letter(h.column)))
                    .collect::<Vec<_>>()
                    .join("、");
                if headers.len() > SHOWN_HEADERS {
                    list.push_str(&format!("ほか{}件", headers.len() - SHOWN_HEADERS));
                }
                format!(
                    "見出し{list}は機器台帳の列ではありません。使える見出しは {} です（英語の asset_number なども使えます）。不要な列は削除してください",
                    known_headers_ja()
                )
            }
            Self::DuplicateHeader {
                column,
                first,
                second,
            } => format!(
                "列「{}」が2回あります: {}列の「{}」と{}列の「{}」。どちらか一方にしてください",
                column.header_ja(),
                column_letter(first.column),
                shown_header(&first.text),
                column_letter(second.column),
                shown_header(&second.text)
            ),
            Self::RaggedRow {
                row,
                expected,
                found,
            } => format!(
                "{row}行目の項目数が{found}個ですが、見出し行は{expected}個です。すべての行の項目数をそろえてください"
            ),
            Self::DataWithoutHeader { row, column } => format!(
                "{row}行目の{}列にデータがありますが、その列に見出しがありません。見出しを付けるか、データを削除してください",
                column_letter(*column)
            ),
            Self::TooManyRows { limit } => {
                format!("機器台帳の行数が{limit}行を超えています")
            }
        }
    }
}

/// A character of a device that Shift_JIS cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappableCell {
    pub asset_number: String,
    pub column: LedgerColumn,
    pub character: char,
}

/// Why an export failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(
        "{total} character(s) cannot be written in Shift_JIS, e.g. {}; export as UTF-8 instead",
        unmappable_en(.cells)
    )]
    Unmappable {
        /// The first characters found (at most [`ExportError::SHOWN_UNMAPPABLE`]).
        cells: Vec<UnmappableCell>,
        /// How many characters in all.
        total: usize,
    },
    #[error("{rows} devices do not fit in one worksheet (at most {limit} rows)")]
    TooManyRows { rows: usize, limit: usize },
    #[error("the file could not be written: {0}")]
    Write(String),
}

fn unmappable_en(cells: &[UnmappableCell]) -> String {
    cells
        .iter()
        .map(|c| {
            format!(
                "'{}' (U+{:04X}) in {} of asset {}",
                c.character,
                c.character as u32,
                c.column.header_en(),
                c.asset_number
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl ExportError {
    pub const SHOWN_UNMAPPABLE: usize = 20;

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unmappable { .. } => "unmappable_character",
            Self::TooManyRows { .. } => "too_many_rows",
            Self::Write(_) => "write_failed",
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }

    pub fn message_ja(&self) -> String {
        match self {
            Self::Unmappable { cells, total } => {
                let list = cells
                    .iter()
                    .map(|c| {
                        format!(
                            "管理番号「{}」の{}の「{}」(U+{:04X})",
                            c.asset_number,
                            c.column.header_ja(),
                            c.character,
                            c.character as u32
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("、");
                format!(
                    "Shift_JISで表せない文字が{total}文字あります（{list}）。UTF-8で出力してください"
                )
            }
            Self::TooManyRows { rows, limit } => {
                format!("{rows}台の機器は1つのシートに入りません（{limit}行まで）")
            }
            Self::Write(detail) => format!("ファイルを書き出せませんでした: {detail}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------

/// Reads a ledger file (.xlsx or CSV) with the default [`ImportOptions`].
pub fn import(bytes: &[u8], content_type_hint: Option<&str>) -> Result<ParsedLedger, ImportError> {
    import_with(bytes, content_type_hint, &ImportOptions::default())
}

/// Reads a ledger file (.xlsx or CSV). See the module documentation.
pub fn import_with(
    bytes: &[u8],
    content_type_hint: Option<&str>,
    options: &ImportOptions,
) -> Result<ParsedLedger, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    if bytes.len() > options.max_bytes {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            limit: options.max_bytes,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return import_xlsx(bytes, options);
    }
    if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Err(ImportError::LegacyExcel);
    }
    if let Some(format) = ForeignFormat::sniff(bytes) {
        return Err(ImportError::NotASpreadsheet(format));
    }
    let text = csv_text(bytes)?;
    let raw = text.bytes();
    if raw.contains(&0) {
        return Err(ImportError::NotASpreadsheet(ForeignFormat::Binary));
    }
    if raw.iter().all(u8::is_ascii_whitespace) || text.is_blank() {
        return Err(ImportError::Empty);
    }
    let tab_first = content_type_hint.is_some_and(|hint| {
        let hint = hint.to_ascii_lowercase();
        hint.contains("tab-separated") || hint.ends_with(".tsv")
    }) || bytes.starts_with(b"\xff\xfe")
        || bytes.starts_with(b"\xfe\xff");
    let (first, second) = if tab_first {
        (b'\t', b',')
    } else {
        (b',', b'\t')
    };
    let result = import_csv(&text, first, options);
    match result {
        // The other delimiter; its failure says more only if it finds a header row.
        Err(ImportError::NoHeaderRow { .. }) if raw.contains(&second) => {
            match import_csv(&text, second, options) {
                Err(ImportError::NoHeaderRow { .. }) => result,
                other => other,
            }
        }
        other => other,
    }
}

/// The text of a CSV file.
enum CsvText<'a> {
    /// UTF-8, checked (from UTF-8, or decoded from UTF-16).
    Utf8(Cow<'a, str>),
    /// Shift_JIS (CP932), decoded cell by cell as it is read. The CSV structure can be read
    /// on the bytes: no byte of a two-byte Shift_JIS character is a comma, a tab, a quote or
    /// a line break.
    ShiftJis(&'a [u8]),
}

impl CsvText<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Utf8(text) => text.as_bytes(),
            Self::ShiftJis(bytes) => bytes,
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Self::Utf8(text) => text.trim().is_empty(),
            Self::ShiftJis(_) => false,
        }
    }
}

/// UTF-8 (BOM or not), UTF-16 with a BOM, or Shift_JIS (CP932).
///
/// Valid UTF-8 is UTF-8. Text that is not, with only ASCII before its first bad byte, is
/// Shift_JIS (checked as it is read). Text that has UTF-8 characters before a bad byte was
/// meant to be UTF-8: unless all of it happens to be valid Shift_JIS, the bad byte's line is
/// reported (rather than reading the file as garbled Shift_JIS).
fn csv_text(bytes: &[u8]) -> Result<CsvText<'_>, ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest)
            .map(|text| CsvText::Utf8(Cow::Borrowed(text)))
            .map_err(|e| ImportError::Encoding {
                line: line_of(bytes, 3 + e.valid_up_to()),
            });
    }
    for (bom, encoding) in [
        (b"\xff\xfe", encoding_rs::UTF_16LE),
        (b"\xfe\xff", encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(CsvText::Utf8)
                .ok_or(ImportError::Encoding { line: 1 });
        }
    }
    let utf8_valid_up_to = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(CsvText::Utf8(Cow::Borrowed(text))),
        Err(e) => e.valid_up_to(),
    };
    if bytes.contains(&0) {
        return Err(ImportError::NotASpreadsheet(ForeignFormat::Binary));
    }
    if bytes[..utf8_valid_up_to].is_ascii() {
        return Ok(CsvText::ShiftJis(bytes));
    }
    // Meant as UTF-8, or Shift_JIS that happens to start like UTF-8: the whole text decides.
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len()),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    let shift_jis_valid_up_to = match result {
        encoding_rs::DecoderResult::InputEmpty => return Ok(CsvText::ShiftJis(bytes)),
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(usize::from(bad)),
        encoding_rs::DecoderResult::OutputFull => read,
    };
    Err(ImportError::Encoding {
        line: line_of(bytes, utf8_valid_up_to.max(shift_jis_valid_up_to)),
    })
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
}

/// What a column of the sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Ledger(LedgerColumn),
    /// A row counter such as `No.`: ignored.
    Ignored,
    /// No header: its cells must be blank.
    Blank,
}

/// Headers of row counters, which mamori neither needs nor refuses.
fn is_row_counter(header: &str) -> bool {
    let key: String = header
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c.to_ascii_lowercase(),
        })
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(
        key.as_str(),
        "no" | "no." | "#" | "連番" | "項番" | "通し番号" | "行番号"
    )
}

#[derive(Debug, Clone)]
struct Header {
    roles: Vec<Role>,
    /// The header text of each ledger column present, by [`LedgerColumn::index`].
    texts: Vec<Option<String>>,
}

impl Header {
    fn role(&self, column: usize) -> Option<Role> {
        self.roles.get(column).copied()
    }

    fn text(&self, column: LedgerColumn) -> &str {
        self.texts[column.index()]
            .as_deref()
            .unwrap_or(column.header_ja())
    }
}

enum HeaderVerdict {
    Header(Header),
    /// Not a header row; `Some` when it names 管理番号 but no other known column, with the
    /// error to give if no header is found at all.
    NotHeader(Option<ImportError>),
}

fn read_header<S: AsRef<str>>(cells: &[(usize, S)]) -> Result<HeaderVerdict, ImportError> {
    let mut known: Vec<(LedgerColumn, HeaderCell)> = Vec::new();
    let mut unknown: Vec<HeaderCell> = Vec::new();
    let mut ignored: Vec<usize> = Vec::new();
    for (column, text) in cells {
        let text = text.as_ref().trim();
        if text.is_empty() {
            continue;
        }
        let cell = HeaderCell {
            text: text.to_owned(),
            column: *column,
        };
        match LedgerColumn::from_header(text) {
            Some(c) => known.push((c, cell)),
            None if is_row_counter(text) => ignored.push(*column),
            None => unknown.push(cell),
        }
    }
    let has_asset = known.iter().any(|(c, _)| *c == LedgerColumn::AssetNumber);
    if !has_asset || known.len() < 2 {
        let near_miss = (has_asset && !unknown.is_empty())
            .then_some(ImportError::UnknownHeaders { headers: unknown });
        return Ok(HeaderVerdict::NotHeader(near_miss));
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownHeaders { headers: unknown });
    }
    let width = cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
    let mut roles = vec![Role::Blank; width];
    let mut texts: Vec<Option<String>> = vec![None; LedgerColumn::COUNT];
    let mut first_cell: Vec<Option<HeaderCell>> = vec![None; LedgerColumn::COUNT];
    for (column, cell) in known {
        if let Some(first) = &first_cell[column.index()] {
            return Err(ImportError::DuplicateHeader {
                column,
                first: first.clone(),
                second: cell,
            });
        }
        roles[cell.column] = Role::Ledger(column);
        texts[column.index()] = Some(cell.text.clone());
        first_cell[column.index()] = Some(cell);
    }
    for column in ignored {
        roles[column] = Role::Ignored;
    }
    Ok(HeaderVerdict::Header(Header { roles, texts }))
}

/// The rows of a sheet, whatever the file: finds the header, then validates data rows.
struct Rows<'o> {
    options: &'o ImportOptions,
    header: Option<Header>,
    /// Non-blank rows looked at while searching for the header.
    searched: usize,
    near_miss: Option<ImportError>,
    validator: LedgerValidator,
    data_rows: usize,
}

impl<'o> Rows<'o> {
    fn new(options: &'o ImportOptions) -> Self {
        Self {
            options,
            header: None,
            searched: 0,
            near_miss: None,
            validator: LedgerValidator::with_error_limit(options.max_errors),
            data_rows: 0,
        }
    }

    fn searching(&self) -> bool {
        self.header.is_none()
    }

    /// One row; `cells` are (0-based column, text), blank cells may be left out.
    fn row<'c, I>(&mut self, row: usize, cells: I) -> Result<(), ImportError>
    where
        I: Iterator<Item = (usize, Cow<'c, str>)> + Clone,
    {
        if cells.clone().all(|(_, t)| t.trim().is_empty()) {
            return Ok(());
        }
        let Some(header) = &self.header else {
            self.searched += 1;
            let cells: Vec<(usize, Cow<'c, str>)> = cells.collect();
            match read_header(&cells)? {
                HeaderVerdict::Header(header) => self.header = Some(header),
                HeaderVerdict::NotHeader(near_miss) => {
                    if self.near_miss.is_none() {
                        self.near_miss = near_miss;
                    }
                    if self.searched >= self.options.header_search_rows {
                        return Err(self.no_header());
                    }
                }
            }
            return Ok(());
        };
        self.data_rows += 1;
        if self.data_rows > self.options.max_rows {
            return Err(ImportError::TooManyRows {
                limit: self.options.max_rows,
            });
        }
        // The header names each ledger column at most once: the row fits on the stack.
        let mut mapped: [(LedgerColumn, Cow<'c, str>); LedgerColumn::COUNT] =
            std::array::from_fn(|_| (LedgerColumn::AssetNumber, Cow::Borrowed("")));
        let mut len = 0;
        for (column, text) in cells {
            match header.role(column) {
                Some(Role::Ledger(c)) if len < mapped.len() => {
                    mapped[len] = (c, text);
                    len += 1;
                }
                Some(Role::Ledger(_) | Role::Ignored) => {}
                Some(Role::Blank) | None if text.trim().is_empty() => {}
                Some(Role::Blank) | None => {
                    return Err(ImportError::DataWithoutHeader { row, column });
                }
            }
        }
        self.validator.push_row(row, &mapped[..len]);
        Ok(())
    }

    /// Makes room for the devices of `bytes` more bytes of rows (a guess: ledger rows are
    /// rarely shorter than this), so that the list of devices is not copied as it grows.
    fn reserve_for(&mut self, bytes: usize) {
        const ROW_BYTES_GUESS: usize = 96;
        self.validator
            .reserve((bytes / ROW_BYTES_GUESS).min(self.options.max_rows));
    }

    /// Rows for a later part of the same sheet, read with the same header.
    fn fork(&self) -> Rows<'o> {
        Rows {
            options: self.options,
            header: self.header.clone(),
            searched: self.searched,
            near_miss: None,
            validator: LedgerValidator::with_error_limit(self.options.max_errors),
            data_rows: 0,
        }
    }

    /// Takes over the rows of a [`Rows::fork`] that read the part after this one.
    fn join(&mut self, later: Rows<'o>) -> Result<(), ImportError> {
        self.data_rows += later.data_rows;
        if self.data_rows > self.options.max_rows {
            return Err(ImportError::TooManyRows {
                limit: self.options.max_rows,
            });
        }
        self.validator.append(later.validator);
        Ok(())
    }

    /// Refuses a row for a cell the reader could not turn into text.
    fn cell_error(&mut self, row: usize, column: usize, message_ja: String, message_en: String) {
        let header_text = match self.header.as_ref().and_then(|h| h.role(column)) {
            Some(Role::Ledger(c)) => self.header.as_ref().map(|h| h.text(c).to_owned()),
            _ => None,
        };
        let column_text = header_text.unwrap_or_else(|| column_letter(column));
        self.validator
            .push_error(RowError::new(row, column_text, message_ja, message_en));
    }

    fn no_header(&mut self) -> ImportError {
        self.near_miss.take().unwrap_or(ImportError::NoHeaderRow {
            searched_rows: self.searched,
        })
    }

    fn finish(mut self, empty: ImportError) -> Result<ParsedLedger, ImportError> {
        let Some(header) = self.header.take() else {
            return Err(if self.searched == 0 {
                empty
            } else {
                self.no_header()
            });
        };
        let mut parsed = self.validator.finish();
        // Errors name the column as the file's header says it.
        for error in &mut parsed.rejected {
            if let Some(column) = LedgerColumn::ALL
                .iter()
                .find(|c| c.header_ja() == error.column)
                && let Some(text) = &header.texts[column.index()]
                && *text != error.column
            {
                error.column = text.clone();
            }
        }
        Ok(parsed)
    }
}

// --- CSV -------------------------------------------------------------------------------

/// Line breaks in `bytes[from..to]`: `\n`, and `\r` not followed by `\n` (looking past `to`).
fn count_breaks(bytes: &[u8], from: usize, to: usize) -> usize {
    let slice = &bytes[from..to];
    // Counting one byte value at a time lets the compiler vectorize the loops.
    let newlines = slice.iter().filter(|&&b| b == b'\n').count();
    let returns = slice.iter().filter(|&&b| b == b'\r').count();
    if returns == 0 {
        return newlines;
    }
    let followed = bytes.get(to).copied();
    let crlf = slice
        .iter()
        .zip(slice.iter().skip(1).copied().chain(followed))
        .filter(|&(&a, b)| a == b'\r' && b == b'\n')
        .count();
    newlines + returns - crlf
}

/// Undoes what spreadsheets do to keep a CSV cell text: `'=…` and `="001"`.
fn unescape_csv_cell(text: &str) -> Cow<'_, str> {
    if let Some(rest) = text.strip_prefix('\'')
        && rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\''])
    {
        return Cow::Borrowed(rest);
    }
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        return Cow::Owned(inner.replace("\"\"", "\""));
    }
    Cow::Borrowed(text)
}

/// Below this many bytes of data rows a CSV is read on one thread.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

fn two_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Excel row numbers of CSV records: one row per record, however many line breaks its
/// quoted cells hold, plus one row per blank line the reader skipped.
#[derive(Debug, Clone, Copy)]
struct LineCount {
    /// The row of the next record if no blank line comes before it.
    next_row: usize,
}

impl LineCount {
    const START: LineCount = LineCount { next_row: 1 };

    /// The row of the record the reader found from `reported` on. The reader reports where
    /// it started looking: right after the first byte of the previous record's line end,
    /// before any blank lines.
    fn row(&mut self, bytes: &[u8], reported: usize) -> usize {
        let mut gap = reported.min(bytes.len());
        // The LF of a CRLF ending the previous record is not a blank line.
        if gap > 0 && bytes[gap - 1] == b'\r' && bytes.get(gap) == Some(&b'\n') {
            gap += 1;
        }
        let mut start = gap;
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        let row = self.next_row + count_breaks(bytes, gap, start);
        self.next_row = row + 1;
        row
    }
}

fn csv_reader(text: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text)
}

/// How a region of the text was read.
enum Region {
    /// To its end.
    Done,
    /// Stopped right after the header row, because the rest is worth reading in parallel;
    /// the data rows start at this offset.
    HeaderFound(usize),
}

/// The cells of one record as text, in one buffer reused from record to record.
#[derive(Default)]
struct Cells {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Cells {
    /// Decodes the fields of `record`; `false` when one is not valid text.
    fn decode(&mut self, record: &csv::ByteRecord, shift_jis: bool) -> bool {
        self.text.clear();
        self.spans.clear();
        for field in record {
            let start = self.text.len();
            if shift_jis && !field.is_ascii() {
                let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
                if let Some(room) = decoder.max_utf8_buffer_length_without_replacement(field.len())
                {
                    self.text.reserve(room);
                }
                let (result, _) =
                    decoder.decode_to_string_without_replacement(field, &mut self.text, true);
                if result != encoding_rs::DecoderResult::InputEmpty {
                    return false;
                }
            } else {
                match std::str::from_utf8(field) {
                    Ok(text) => self.text.push_str(text),
                    Err(_) => return false,
                }
            }
            self.spans.push((start, self.text.len()));
        }
        true
    }

    fn iter(&self) -> impl Iterator<Item = (usize, Cow<'_, str>)> + Clone {
        self.spans.iter().enumerate().map(|(i, &(start, end))| {
            (
                i,
                unescape_csv_cell(self.text.get(start..end).unwrap_or_default()),
            )
        })
    }

    fn is_blank(&self) -> bool {
        self.iter().all(|(_, text)| text.trim().is_empty())
    }
}

/// Reads the records of `bytes[from..to]` into `rows`. `from` must be the start of a record
/// (or of the text) and `count` the line count there.
fn read_region(
    text: &CsvText<'_>,
    (from, to): (usize, usize),
    delimiter: u8,
    count: &mut LineCount,
    rows: &mut Rows<'_>,
    header_width: &mut usize,
    stop_after_header: bool,
) -> Result<Region, ImportError> {
    let bytes = text.bytes();
    let shift_jis = matches!(text, CsvText::ShiftJis(_));
    let mut reader = csv_reader(&bytes[from..to], delimiter);
    let mut record = csv::ByteRecord::new();
    let mut cells = Cells::default();
    if !rows.searching() {
        rows.reserve_for(to - from);
    }
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(Region::Done),
            Err(e) => {
                return Err(ImportError::UnreadableCsv {
                    detail: e.to_string(),
                });
            }
        }
        let reported = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map_or(from, |p| from + p);
        let row = count.row(bytes, reported);
        if !cells.decode(&record, shift_jis) {
            return Err(ImportError::Encoding {
                line: line_of(bytes, reported),
            });
        }

        let searching = rows.searching();
        if !searching && record.len() < *header_width && !cells.is_blank() {
            return Err(ImportError::RaggedRow {
                row,
                expected: *header_width,
                found: record.len(),
            });
        }
        rows.row(row, cells.iter())?;
        if searching && !rows.searching() {
            *header_width = record.len();
            let next = from + usize::try_from(reader.position().byte()).unwrap_or(0);
            if stop_after_header && to.saturating_sub(next) >= PARALLEL_MIN_BYTES {
                return Ok(Region::HeaderFound(next));
            }
            rows.reserve_for(to.saturating_sub(next));
        }
    }
}

/// The start of the first record at or after the middle of `text[from..]`, with the line
/// count there; `None` when there is no such record.
fn split_point(
    bytes: &[u8],
    from: usize,
    delimiter: u8,
    mut count: LineCount,
) -> Option<(usize, LineCount)> {
    let middle = from + (bytes.len() - from) / 2;
    let mut reader = csv_reader(&bytes[from..], delimiter);
    let mut record = csv::ByteRecord::new();
    // Reading as bytes is enough to find where records start.
    while reader.read_byte_record(&mut record).ok()? {
        let reported = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map_or(from, |p| from + p);
        count.row(bytes, reported);
        let next = from + usize::try_from(reader.position().byte()).ok()?;
        if next >= middle {
            return (next < bytes.len()).then_some((next, count));
        }
    }
    None
}

fn import_csv(
    text: &CsvText<'_>,
    delimiter: u8,
    options: &ImportOptions,
) -> Result<ParsedLedger, ImportError> {
    let len = text.bytes().len();
    let mut rows = Rows::new(options);
    let mut count = LineCount::START;
    let mut header_width = 0;
    let parallel = options.parallel && two_cores();
    let region = read_region(
        text,
        (0, len),
        delimiter,
        &mut count,
        &mut rows,
        &mut header_width,
        parallel,
    )?;
    let Region::HeaderFound(data_start) = region else {
        return rows.finish(ImportError::Empty);
    };
    // The header is known and much is left: the data rows in two halves, in parallel.
    let Some((middle, middle_count)) = split_point(text.bytes(), data_start, delimiter, count)
    else {
        read_region(
            text,
            (data_start, len),
            delimiter,
            &mut count,
            &mut rows,
            &mut header_width,
            false,
        )?;
        return rows.finish(ImportError::Empty);
    };
    let mut second = rows.fork();
    let mut second_count = middle_count;
    let mut second_width = header_width;
    let (first_result, second_result) = std::thread::scope(|scope| {
        let later = scope.spawn(|| {
            read_region(
                text,
                (middle, len),
                delimiter,
                &mut second_count,
                &mut second,
                &mut second_width,
                false,
            )
        });
        let first = read_region(
            text,
            (data_start, middle),
            delimiter,
            &mut count,
            &mut rows,
            &mut header_width,
            false,
        );
        let second = later
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    // The earlier part's problem is the one the user meets first.
    first_result?;
    second_result?;
    rows.join(second)?;
    rows.finish(ImportError::Empty)
}

// --- xlsx ------------------------------------------------------------------------------

fn unreadable(e: impl std::fmt::Display) -> ImportError {
    let mut detail = e.to_string();
    if detail.chars().count() > 200 {
        detail = detail.chars().take(200).collect::<String>() + "…";
    }
    ImportError::UnreadableWorkbook { detail }
}

/// Excel's serial day number of 1950-01-01. A plain number in a date column is read as a
/// date only from this day on: a ledger has no earlier devices, and a smaller number is more
/// likely a mistake (a year, `2025`, would otherwise become 1905-07-17).
const FIRST_SERIAL_DAY: f64 = 18_264.0;

/// An Excel serial day number (1 = 1900-01-01) as a date, if it is a plausible one.
fn serial_date(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    if !(FIRST_SERIAL_DAY..2_958_466.0).contains(&serial) {
        return None;
    }
    let dt = calamine::ExcelDateTime::new(serial, calamine::ExcelDateTimeType::DateTime, is_1904);
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
}

fn format_number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A cell of a workbook as text; `Err` with the Excel error (`#N/A` …) for an error cell.
fn xlsx_cell_text<'a>(
    value: &'a DataRef<'_>,
    date_column: bool,
    is_1904: bool,
) -> Result<Cow<'a, str>, String> {
    Ok(match value {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) => Cow::Borrowed(s.as_str()),
        DataRef::SharedString(s) => Cow::Borrowed(s),
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        DataRef::Float(f) => match serial_date(*f, is_1904).filter(|_| date_column) {
            Some(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            None => Cow::Owned(format_number(*f)),
        },
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, min, s, ms) = dt.to_ymd_hms_milli();
            match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                // A date column wants the day; a time of day there is noise.
                Some(date) if date_column || (h, min, s, ms) == (0, 0, 0, 0) => {
                    Cow::Owned(date.format("%Y-%m-%d").to_string())
                }
                Some(date) => Cow::Owned(format!(
                    "{} {h:02}:{min:02}:{s:02}",
                    date.format("%Y-%m-%d")
                )),
                None => Cow::Owned(format_number(dt.as_f64())),
            }
        }
        DataRef::DateTime(dt) => Cow::Owned(format_number(dt.as_f64())),
        DataRef::DateTimeIso(s) => {
            let day = s
                .get(..10)
                .filter(|d| date_column && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
            Cow::Borrowed(day.unwrap_or(s.as_str()))
        }
        DataRef::DurationIso(s) => Cow::Borrowed(s.as_str()),
        DataRef::Error(e) => return Err(e.to_string()),
    })
}

/// A reading error of calamine; a part that inflates past its declared size is a bomb whose
/// directory lies, refused as one (the ZIP reader stopped it at that size).
fn xlsx_error(e: impl std::fmt::Display, limit: u64) -> ImportError {
    let text = e.to_string();
    if workbook::is_size_overrun(&text) {
        ImportError::WorkbookSizeLies { limit }
    } else {
        unreadable(text)
    }
}

fn import_xlsx(bytes: &[u8], options: &ImportOptions) -> Result<ParsedLedger, ImportError> {
    let limit = options.max_uncompressed_bytes;
    workbook::check_workbook(bytes, limit).map_err(|problem| match problem {
        WorkbookProblem::Unreadable(detail) => unreadable(detail),
        WorkbookProblem::TooLarge { expanded, limit } => {
            ImportError::WorkbookTooLarge { expanded, limit }
        }
        WorkbookProblem::TooManyStrings { declared, limit } => {
            ImportError::TooManyStrings { declared, limit }
        }
        WorkbookProblem::LongRun { limit } => ImportError::LongText { limit },
        WorkbookProblem::SizeLies { limit } => ImportError::WorkbookSizeLies { limit },
    })?;
    let read_error = |e: calamine::XlsxError| xlsx_error(e, limit);
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(read_error)?;
    let is_1904 = workbook.has_1904_epoch();
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        return Err(unreadable("it has no worksheet"));
    };
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(read_error)?;
    let mut rows = Rows::new(options);
    let mut current: Option<u32> = None;
    let mut cells: Vec<(u32, DataRef<'_>)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(read_error)? {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(previous) = current {
                if r < previous {
                    return Err(unreadable("the rows of its first sheet are out of order"));
                }
                flush_xlsx_row(&mut rows, previous, &cells, is_1904)?;
            }
            cells.clear();
            current = Some(r);
        }
        if !matches!(cell.get_value(), DataRef::Empty) {
            cells.push((c, cell.get_value().clone()));
        }
    }
    if let Some(previous) = current {
        flush_xlsx_row(&mut rows, previous, &cells, is_1904)?;
    }
    rows.finish(ImportError::EmptySheet)
}

fn flush_xlsx_row(
    rows: &mut Rows<'_>,
    row_index: u32,
    cells: &[(u32, DataRef<'_>)],
    is_1904: bool,
) -> Result<(), ImportError> {
    let row = row_index as usize + 1;
    let mut texts: Vec<(usize, Cow<'_, str>)> = Vec::with_capacity(cells.len());
    let mut errors = Vec::new();
    for (column, value) in cells {
        let column = *column as usize;
        let date_column = matches!(
            rows.header.as_ref().and_then(|h| h.role(column)),
            Some(Role::Ledger(c)) if c.holds_date()
        );
        match xlsx_cell_text(value, date_column, is_1904) {
            Ok(text) => texts.push((column, text)),
            Err(code) => errors.push((column, code)),
        }
    }
    let searching = rows.searching();
    for (column, code) in errors {
        if !searching
            && matches!(
                rows.header.as_ref().and_then(|h| h.role(column)),
                Some(Role::Ledger(_))
            )
        {
            rows.cell_error(
                row,
                column,
                format!("セルがExcelのエラー値 {code} です。正しい値を入れてください"),
                format!("the cell holds the Excel error {code}; enter a value"),
            );
        }
    }
    rows.row(
        row,
        texts.iter().map(|(c, t)| (*c, Cow::Borrowed(t.as_ref()))),
    )
}

// ---------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------

/// Columns whose cells often have several lines.
fn is_multiline(column: LedgerColumn) -> bool {
    matches!(
        column,
        LedgerColumn::Software
            | LedgerColumn::SoftwareVersion
            | LedgerColumn::IpAddress
            | LedgerColumn::Description
    )
}

/// The width of a text in Excel's units: about 1 for ASCII, 2 for Japanese.
fn display_width(text: &str) -> usize {
    text.lines()
        .map(|line| {
            line.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

/// The first day Excel and the calendar agree on.
const FIRST_SAFE_EXCEL_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1900, 3, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Excel's row limit.
const MAX_SHEET_ROWS: usize = 1_048_576;

/// The ledger as an .xlsx workbook (see the module documentation).
pub fn export_xlsx(devices: &[Device]) -> Result<Vec<u8>, ExportError> {
    if devices.len() + 1 > MAX_SHEET_ROWS {
        return Err(ExportError::TooManyRows {
            rows: devices.len(),
            limit: MAX_SHEET_ROWS - 1,
        });
    }
    let write_err = |e: rust_xlsxwriter::XlsxError| ExportError::Write(e.to_string());
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_NAME).map_err(write_err)?;

    let header = Format::new()
        .set_bold()
        .set_background_color(0xDDEBF7)
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_align(rust_xlsxwriter::FormatAlign::Top);
    let wrapped = text.clone().set_text_wrap();
    let date = text.clone().set_num_format("yyyy-mm-dd");

    let mut widths: Vec<usize> = LedgerColumn::ALL
        .iter()
        .map(|c| display_width(c.header_ja()))
        .collect();
    for (i, column) in LedgerColumn::ALL.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, column.header_ja(), &header)
            .map_err(write_err)?;
    }
    for (r, device) in devices.iter().enumerate() {
        let row = (r + 1) as u32;
        for (i, column) in LedgerColumn::ALL.iter().enumerate() {
            let col = i as u16;
            let day = match column {
                LedgerColumn::RegisteredOn => device.registered_on,
                LedgerColumn::LastPatchedOn => device.last_patched_on,
                _ => None,
            };
            // Excel's dates start in 1900, and until 1900-03-01 they count a 29 February that
            // never was: earlier dates are written as text.
            let excel_day = day.filter(|d| *d >= FIRST_SAFE_EXCEL_DAY).and_then(|d| {
                let year = u16::try_from(d.year()).ok()?;
                ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
            });
            if let Some(excel_day) = excel_day {
                sheet
                    .write_datetime_with_format(row, col, excel_day, &date)
                    .map_err(write_err)?;
                widths[i] = widths[i].max(10);
                continue;
            }
            let value = device.cell(*column);
            if value.is_empty() {
                continue;
            }
            widths[i] = widths[i].max(display_width(&value));
            let format = if value.contains('\n') || is_multiline(*column) {
                &wrapped
            } else {
                &text
            };
            sheet
                .write_string_with_format(row, col, value, format)
                .map_err(write_err)?;
        }
    }
    for (i, width) in widths.iter().enumerate() {
        sheet
            .set_column_width(i as u16, (*width + 2).clamp(6, 60) as f64)
            .map_err(write_err)?;
    }
    let last_col = (LedgerColumn::COUNT - 1) as u16;
    sheet
        .autofilter(0, 0, devices.len() as u32, last_col)
        .map_err(write_err)?;
    sheet.set_freeze_panes(1, 1).map_err(write_err)?;
    workbook.save_to_buffer().map_err(write_err)
}

/// Prefixes an apostrophe to a cell that Excel would read as a formula (CSV injection).
fn escape_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The characters whose Unicode form Shift_JIS lacks but whose CP932 look-alike it has.
fn cp932_look_alike(c: char) -> Option<char> {
    Some(match c {
        '\u{301C}' => '\u{FF5E}', // 〜 → ～
        '\u{2212}' => '\u{FF0D}', // − → －
        '\u{2016}' => '\u{2225}', // ‖ → ∥
        '\u{2014}' => '\u{2015}', // — → ―
        '\u{00A2}' => '\u{FFE0}', // ¢ → ￠
        '\u{00A3}' => '\u{FFE1}', // £ → ￡
        '\u{00AC}' => '\u{FFE2}', // ¬ → ￢
        _ => return None,
    })
}

fn to_cp932_forms(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| cp932_look_alike(c).is_some()) {
        Cow::Owned(
            text.chars()
                .map(|c| cp932_look_alike(c).unwrap_or(c))
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// The ledger as CSV (see the module documentation).
pub fn export_csv(devices: &[Device], encoding: Encoding) -> Result<Vec<u8>, ExportError> {
    let write_err = |e: csv::Error| ExportError::Write(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(devices.len() * 128 + 512));
    writer
        .write_record(LedgerColumn::ALL.iter().map(|c| c.header_ja()))
        .map_err(write_err)?;
    let mut record: Vec<String> = Vec::with_capacity(LedgerColumn::COUNT);
    for device in devices {
        record.clear();
        for column in LedgerColumn::ALL {
            let value = device.cell(column);
            record.push(match escape_formula(&value) {
                Cow::Borrowed(_) => value,
                Cow::Owned(escaped) => escaped,
            });
        }
        writer.write_record(&record).map_err(write_err)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ExportError::Write(e.to_string()))?;
    match encoding {
        Encoding::Utf8 => {
            let mut out = Vec::with_capacity(body.len() + 3);
            out.extend_from_slice(b"\xef\xbb\xbf");
            out.extend_from_slice(&body);
            Ok(out)
        }
        Encoding::ShiftJis => {
            let text = String::from_utf8(body).map_err(|e| ExportError::Write(e.to_string()))?;
            let text = to_cp932_forms(&text);
            let (encoded, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
            if had_errors {
                return Err(unmappable(devices));
            }
            Ok(encoded.into_owned())
        }
    }
}

/// Finds the characters Shift_JIS cannot hold (only called when there are some).
fn unmappable(devices: &[Device]) -> ExportError {
    let mut cells = Vec::new();
    let mut total = 0;
    let mut buf = [0u8; 4];
    for device in devices {
        for column in LedgerColumn::ALL {
            let value = device.cell(column);
            for c in to_cp932_forms(&value).chars() {
                if c.is_ascii() {
                    continue;
                }
                let (_, _, bad) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
                if bad {
                    total += 1;
                    if cells.len() < ExportError::SHOWN_UNMAPPABLE {
                        cells.push(UnmappableCell {
                            asset_number: device.asset_number.to_string(),
                            column,
                            character: c,
                        });
                    }
                }
            }
        }
    }
    ExportError::Unmappable { cells, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn csv_cells_lose_their_spreadsheet_escapes() {
        assert_eq!(unescape_csv_cell("'=1+1"), "=1+1");
        assert_eq!(unescape_csv_cell("''x"), "'x");
        assert_eq!(unescape_csv_cell("'abc"), "'abc");
        assert_eq!(unescape_csv_cell("=\"001\""), "001");
        assert_eq!(unescape_csv_cell("=\"a\"\"b\""), "a\"b");
        assert_eq!(unescape_csv_cell("=SUM(A1)"), "=SUM(A1)");
        for text in ["=1+1", "-", "+81", "@x", "'x", "'=y", "plain"] {
            assert_eq!(unescape_csv_cell(&escape_formula(text)), text, "{text}");
        }
    }

    #[test]
    fn numbers_as_people_read_them() {
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(1e20), "100000000000000000000");
        assert_eq!(format_number(f64::NAN), "NaN");
    }

    #[test]
    fn serial_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(serial_date(45748.0, false), d(2025, 4, 1));
        assert_eq!(serial_date(45748.75, false), d(2025, 4, 1));
        assert_eq!(serial_date(18264.0, false), d(1950, 1, 1));
        // A year is not a day: 2025 would be 1905-07-17.
        assert_eq!(serial_date(2025.0, false), None);
        // Excel's 1900-02-29, which never was.
        assert_eq!(serial_date(60.0, false), None);
        assert_eq!(serial_date(0.0, false), None);
        assert_eq!(serial_date(-1.0, false), None);
        assert_eq!(serial_date(f64::NAN, false), None);
        assert_eq!(serial_date(1e300, false), None);
    }

    #[test]
    fn breaks_are_counted_once_per_line() {
        let text = b"a\r\nb\nc\rd";
        assert_eq!(count_breaks(text, 0, text.len()), 3);
        // A CRLF split between two ranges counts once.
        assert_eq!(
            count_breaks(text, 0, 2) + count_breaks(text, 2, text.len()),
            3
        );
    }

    #[test]
    fn csv_rows_as_excel_numbers_them() {
        let rows_of = |text: &str| -> Vec<(usize, String)> {
            let mut reader = csv_reader(text.as_bytes(), b',');
            let mut record = csv::StringRecord::new();
            let mut count = LineCount::START;
            let mut out = Vec::new();
            while reader.read_record(&mut record).expect("csv") {
                let reported = record
                    .position()
                    .and_then(|p| usize::try_from(p.byte()).ok())
                    .unwrap_or(0);
                let row = count.row(text.as_bytes(), reported);
                out.push((row, record.get(0).unwrap_or_default().to_owned()));
            }
            out
        };
        let expect = |pairs: &[(usize, &str)]| -> Vec<(usize, String)> {
            pairs.iter().map(|(r, s)| (*r, (*s).to_owned())).collect()
        };
        assert_eq!(
            rows_of("a,b\n\n\"x\ny\",z\r\n1,2\n ,\n\n\n3,4\n\n"),
            expect(&[(1, "a"), (3, "x\ny"), (4, "1"), (5, " "), (8, "3")])
        );
        assert_eq!(
            rows_of("\r\n\r\na\r\n\"b\r\nc\"\r\n\r\nd"),
            expect(&[(3, "a"), (4, "b\r\nc"), (6, "d")])
        );
        assert_eq!(
            rows_of("a\rb\r\rc"),
            expect(&[(1, "a"), (2, "b"), (4, "c")])
        );
    }

    #[test]
    fn shift_jis_look_alikes() {
        assert_eq!(to_cp932_forms("10〜20 −5"), "10～20 －5");
        assert_eq!(to_cp932_forms("plain"), "plain");
    }

    #[test]
    fn row_counters_are_ignored_headers() {
        for header in ["No", "No.", "ＮＯ．", "no", "#", "連番", "項番"] {
            assert!(is_row_counter(header), "{header}");
        }
        assert!(!is_row_counter("番号"));
    }
}
