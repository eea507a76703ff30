//! Reading an uploaded sheet (.xlsx, or CSV in UTF-8 or Shift_JIS) into a grid of cells, and
//! the problems an import reports.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};

use super::QUOTA_SHEET;
use crate::ledger::column_letter;
use crate::workbook::{self, WorkbookProblem};

/// One problem of a quota file, with its place (1-based row, column letter as Excel shows
/// it; CSV columns are lettered the same way, as the file opens in a spreadsheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaImportProblem {
    pub row: Option<u32>,
    pub column: Option<String>,
    pub message_ja: String,
    pub message_en: String,
    /// The messages without their place, for a table that shows row and column apart.
    pub detail_ja: String,
    pub detail_en: String,
}

impl QuotaImportProblem {
    pub(super) fn new(row: Option<u32>, column: Option<usize>, ja: String, en: String) -> Self {
        let column = column.map(column_letter);
        let (pja, pen) = match (row, &column) {
            (Some(r), Some(c)) => (format!("{r}行目 {c}列: "), format!("row {r}, column {c}: ")),
            (Some(r), None) => (format!("{r}行目: "), format!("row {r}: ")),
            (None, Some(c)) => (format!("{c}列: "), format!("column {c}: ")),
            (None, None) => (String::new(), String::new()),
        };
        Self {
            row,
            column,
            message_ja: format!("{pja}{ja}"),
            message_en: format!("{pen}{en}"),
            detail_ja: ja,
            detail_en: en,
        }
    }
}

/// Every problem found in a quota file (up to [`MAX_PROBLEMS`]); nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the quota file has {} problem(s): {}", .problems.len(), .problems.iter().map(|p| p.message_en.as_str()).collect::<Vec<_>>().join("; "))]
pub struct QuotaImportError {
    pub problems: Vec<QuotaImportProblem>,
}

impl QuotaImportError {
    pub fn message_ja(&self) -> String {
        format!(
            "支援枠数のファイルに{}件の問題があります: {}",
            self.problems.len(),
            self.problems
                .iter()
                .map(|p| p.message_ja.as_str())
                .collect::<Vec<_>>()
                .join("／")
        )
    }

    pub(super) fn one(row: Option<u32>, column: Option<usize>, ja: String, en: String) -> Self {
        Self {
            problems: vec![QuotaImportProblem::new(row, column, ja, en)],
        }
    }
}

/// The most problems reported for one file.
pub const MAX_PROBLEMS: usize = 100;

/// The kind of file, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaFileFormat {
    Xlsx,
    Csv,
}

impl QuotaFileFormat {
    pub fn detect(bytes: &[u8]) -> Result<Self, QuotaImportError> {
        if bytes.starts_with(b"PK\x03\x04") {
            Ok(Self::Xlsx)
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Err(QuotaImportError::one(
                None,
                None,
                "旧形式の Excel（.xls）は読めません。.xlsx か CSV で保存してください".into(),
                "old Excel files (.xls) cannot be read; save as .xlsx or CSV".into(),
            ))
        } else {
            Ok(Self::Csv)
        }
    }
}

/// A cell as both formats give it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    pub(super) fn text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => t.trim().to_owned(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Self::Number(n) => n.to_string(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(t) => t.trim().is_empty(),
            Self::Number(_) => false,
        }
    }
}

/// Rows of cells; index 0 is the file's first row.
pub(super) type Grid = Vec<Vec<Cell>>;

/// The last row and column (0-based) a sheet of these files may use. Quotas are 47
/// prefectures, rankings and excluded lists a prefecture's hospitals; the bounds keep the
/// grid, which is laid out whole, small whatever a hostile file says.
const GRID_ROWS: u32 = 10_000;
const GRID_COLUMNS: u32 = 64;

pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Grid, QuotaImportError> {
    let unreadable = |e: String| {
        QuotaImportError::one(
            None,
            None,
            format!("Excel ファイルを読めません（{e}）"),
            format!("the Excel file cannot be read ({e})"),
        )
    };
    let limit = workbook::MAX_EXPANDED_BYTES;
    workbook::check_workbook(bytes, limit).map_err(|problem| match problem {
        WorkbookProblem::Unreadable(detail) => unreadable(detail),
        refused => QuotaImportError::one(None, None, refused.message_ja(), refused.message_en()),
    })?;
    let read_error = |e: calamine::XlsxError| {
        let text = e.to_string();
        if workbook::is_size_overrun(&text) {
            let mb = limit.div_ceil(1 << 20);
            QuotaImportError::one(
                None,
                None,
                format!(
                    "ブックの一部が、ZIPの目録に記された大きさを超えて展開されます。ファイルが壊れているか、メモリを使い果たすように作られています（展開した大きさの上限は{mb}MBです）"
                ),
                format!(
                    "a part of the workbook expands to more than its ZIP directory declares: the file is damaged or made to exhaust memory (workbooks may expand to {mb} MB)"
                ),
            )
        } else {
            unreadable(text)
        }
    };
    let mut workbook: Xlsx<Cursor<&[u8]>> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(read_error)?;
    let names = workbook.sheet_names();
    let name = names
        .iter()
        .find(|n| n.as_str() == QUOTA_SHEET)
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| unreadable("no worksheet".into()))?;
    // Cell by cell: a range would be laid out from the first to the last cell given, and two
    // cells in opposite corners make 17 billion.
    let mut reader = workbook.worksheet_cells_reader(&name).map_err(read_error)?;
    let mut grid: Grid = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(read_error)? {
        let value = cell.get_value();
        let cell_value = match value {
            DataRef::Empty => continue,
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::Bool(b) => Cell::Text(b.to_string()),
            DataRef::DateTime(d) => Cell::Text(format!("#date {}", d.as_f64())),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Text(format!("#{e:?}")),
        };
        let (row, column) = cell.get_position();
        if row >= GRID_ROWS || column >= GRID_COLUMNS {
            let at = format!("{}{}", column_letter(column as usize), u64::from(row) + 1);
            let last = format!("{}{GRID_ROWS}", column_letter(GRID_COLUMNS as usize - 1));
            return Err(QuotaImportError::one(
                Some(row.saturating_add(1)),
                Some(column as usize),
                format!(
                    "セル {at} は読み込める範囲（A1〜{last}）の外にあります。不要な行や列を削除してください"
                ),
                format!(
                    "cell {at} lies outside the range that can be read (A1 to {last}); delete the rows and columns not needed"
                ),
            ));
        }
        let (row, column) = (row as usize, column as usize);
        if grid.len() <= row {
            grid.resize_with(row + 1, Vec::new);
        }
        let cells = &mut grid[row];
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        cells[column] = cell_value;
    }
    Ok(grid)
}

pub(super) fn read_csv(bytes: &[u8]) -> Result<Grid, QuotaImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: String = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned())
            .ok_or_else(|| {
                QuotaImportError::one(
                    None,
                    None,
                    "文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）".into(),
                    "unknown text encoding (save the CSV as UTF-8 or Shift_JIS)".into(),
                )
            })?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    let (mut lines_before, mut counted_to) = (0usize, 0usize);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e
                .position()
                .map(|p| u32::try_from(p.line()).unwrap_or(u32::MAX));
            QuotaImportError::one(
                line,
                None,
                format!("CSV として読めません（{e}）"),
                format!("not a readable CSV ({e})"),
            )
        })?;
        // The reader skips blank lines, which a spreadsheet shows as empty rows: keep them,
        // so that the row numbers of messages are the ones the person sees.
        // (The reader's own line number counts from before the blank lines: find where the
        // record's text starts and count the line breaks before it.)
        if let Some(byte) = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
        {
            let start = text.get(byte..).map_or(byte, |rest| {
                byte + (rest.len() - rest.trim_start_matches(['\r', '\n']).len())
            });
            let line = text
                .get(counted_to..start)
                .map_or(0, |t| t.matches('\n').count());
            lines_before += line;
            counted_to = start.max(counted_to);
            while grid.len() < lines_before {
                grid.push(Vec::new());
            }
        }
        grid.push(
            record
                .iter()
                .map(|f| {
                    if f.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f.to_owned())
                    }
                })
                .collect(),
        );
    }
    Ok(grid)
}
