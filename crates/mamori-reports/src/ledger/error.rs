//! Why a ledger file is refused or cannot be written, in Japanese and English.

use mamori_domain::device::LedgerColumn;

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
