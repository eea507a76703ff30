//! Why a ledger file is refused or cannot be written, as messages in the reader's language.

use mamori_domain::device::LedgerColumn;
use mamori_domain::{arg, bilingual, joined};
use mamori_locale::{Lang, Message};

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
    /// What the file seems to be, as a message names it ("a PNG image").
    pub fn label(self) -> Message {
        Message::new(match self {
            Self::Png => "reports-ledger-format-png",
            Self::Jpeg => "reports-ledger-format-jpeg",
            Self::Gif => "reports-ledger-format-gif",
            Self::Pdf => "reports-ledger-format-pdf",
            Self::Gzip => "reports-ledger-format-gzip",
            Self::SevenZip => "reports-ledger-format-7z",
            Self::Rar => "reports-ledger-format-rar",
            Self::Executable => "reports-ledger-format-executable",
            Self::Binary => "reports-ledger-format-binary",
        })
    }

    pub(super) fn sniff(bytes: &[u8]) -> Option<Self> {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    Empty,
    EmptySheet,
    TooLarge {
        size: usize,
        limit: usize,
    },
    NotASpreadsheet(ForeignFormat),
    LegacyExcel,
    UnreadableWorkbook {
        detail: String,
    },
    WorkbookTooLarge {
        expanded: u64,
        limit: u64,
    },
    TooManyStrings {
        declared: u64,
        limit: u64,
    },
    WorkbookSizeLies {
        limit: u64,
    },
    LongText {
        limit: u64,
    },
    Encoding {
        line: usize,
    },
    UnreadableCsv {
        detail: String,
    },
    NoHeaderRow {
        searched_rows: usize,
    },
    UnknownHeaders {
        headers: Vec<HeaderCell>,
    },
    DuplicateHeader {
        column: LedgerColumn,
        first: HeaderCell,
        second: HeaderCell,
    },
    RaggedRow {
        row: usize,
        expected: usize,
        found: usize,
    },
    DataWithoutHeader {
        row: usize,
        column: usize,
    },
    TooManyRows {
        limit: usize,
    },
}

/// The English message: what a log or the command line shows.
impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render(Lang::En))
    }
}

impl std::error::Error for ImportError {}

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

/// The ledger's columns as a message lists them: the Japanese headings, or the English keys.
fn known_headers() -> Message {
    joined(
        LedgerColumn::ALL
            .iter()
            .map(|c| bilingual(c.header_ja(), c.key())),
        "reports-join-comma",
    )
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

/// A header cell as a message names it, with its column.
fn header_cell(cell: &HeaderCell) -> Message {
    Message::new("reports-ledger-header-cell")
        .with("text", shown_header(&cell.text))
        .with("column", column_letter(cell.column))
}

fn unknown_headers(headers: &[HeaderCell]) -> Message {
    let list = joined(
        headers.iter().take(SHOWN_HEADERS).map(header_cell),
        "reports-join-comma",
    );
    let list = if headers.len() > SHOWN_HEADERS {
        Message::new("reports-ledger-and-more")
            .with("list", list)
            .with("count", headers.len() - SHOWN_HEADERS)
    } else {
        list
    };
    Message::new("reports-ledger-unknown-headers")
        .with("list", list)
        .with("known", known_headers())
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

    /// Why the file is refused, in the reader's language.
    pub fn message(&self) -> Message {
        let key = |key| Message::new(key);
        match self {
            Self::Empty => key("reports-ledger-empty"),
            Self::EmptySheet => key("reports-ledger-empty-sheet"),
            Self::TooLarge { size, limit } => key("reports-ledger-too-large")
                .with("size", *size)
                .with("limit", *limit),
            Self::NotASpreadsheet(format) => {
                key("reports-ledger-not-a-spreadsheet").with("format", format.label())
            }
            Self::LegacyExcel => key("reports-ledger-legacy-excel"),
            Self::UnreadableWorkbook { detail } => {
                key("reports-ledger-unreadable-workbook").with("detail", detail)
            }
            Self::WorkbookTooLarge { expanded, limit } => key("reports-ledger-workbook-too-large")
                .with("expanded", expanded.div_ceil(1 << 20))
                .with("limit", limit.div_ceil(1 << 20)),
            Self::TooManyStrings { declared, limit } => key("reports-ledger-too-many-strings")
                .with("declared", arg(declared))
                .with("limit", arg(limit)),
            Self::LongText { limit } => key("reports-ledger-long-text").with("limit", limit / 1024),
            Self::WorkbookSizeLies { limit } => {
                key("reports-ledger-workbook-size-lies").with("limit", limit.div_ceil(1 << 20))
            }
            Self::Encoding { line } => key("reports-ledger-encoding").with("line", *line),
            Self::UnreadableCsv { detail } => {
                key("reports-ledger-unreadable-csv").with("detail", detail)
            }
            Self::NoHeaderRow { searched_rows } => {
                key("reports-ledger-no-header-row").with("rows", *searched_rows)
            }
            Self::UnknownHeaders { headers } => unknown_headers(headers),
            Self::DuplicateHeader {
                column,
                first,
                second,
            } => key("reports-ledger-duplicate-header")
                .with("column", bilingual(column.header_ja(), column.header_en()))
                .with("first", shown_header(&first.text))
                .with("first_column", column_letter(first.column))
                .with("second", shown_header(&second.text))
                .with("second_column", column_letter(second.column)),
            Self::RaggedRow {
                row,
                expected,
                found,
            } => key("reports-ledger-ragged-row")
                .with("row", *row)
                .with("found", *found)
                .with("expected", *expected),
            Self::DataWithoutHeader { row, column } => key("reports-ledger-data-without-header")
                .with("row", *row)
                .with("column", column_letter(*column)),
            Self::TooManyRows { limit } => {
                key("reports-ledger-too-many-rows").with("limit", *limit)
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    Unmappable {
        /// The first characters found (at most [`ExportError::SHOWN_UNMAPPABLE`]).
        cells: Vec<UnmappableCell>,
        /// How many characters in all.
        total: usize,
    },
    TooManyRows {
        rows: usize,
        limit: usize,
    },
    Write(String),
}

/// The English message: what a log or the command line shows.
impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render(Lang::En))
    }
}

impl std::error::Error for ExportError {}

impl ExportError {
    pub const SHOWN_UNMAPPABLE: usize = 20;

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unmappable { .. } => "unmappable_character",
            Self::TooManyRows { .. } => "too_many_rows",
            Self::Write(_) => "write_failed",
        }
    }

    /// Why the export failed, in the reader's language.
    pub fn message(&self) -> Message {
        match self {
            Self::Unmappable { cells, total } => {
                let list = cells.iter().map(|c| {
                    Message::new("reports-ledger-unmappable-cell")
                        .with("asset", c.asset_number.as_str())
                        .with(
                            "column",
                            bilingual(c.column.header_ja(), c.column.header_en()),
                        )
                        .with("character", c.character.to_string())
                        .with("code", format!("{:04X}", c.character as u32))
                });
                Message::new("reports-ledger-unmappable")
                    .with("total", *total)
                    .with("list", joined(list, "reports-join-comma"))
            }
            Self::TooManyRows { rows, limit } => {
                Message::new("reports-ledger-export-too-many-rows")
                    .with("rows", *rows)
                    .with("limit", *limit)
            }
            Self::Write(detail) => {
                Message::new("reports-ledger-write-failed").with("detail", detail)
            }
        }
    }
}
