//! Reading an uploaded sheet (.xlsx, or CSV in UTF-8 or Shift_JIS) into a grid of cells, and
//! the problems an import reports.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};
use mamori_domain::joined;
use mamori_locale::{Lang, Message};

use super::QUOTA_SHEET;
use crate::ledger::column_letter;
use crate::workbook::{self, WorkbookProblem};

/// One problem of a quota file, with its place (1-based row, column letter as Excel shows
/// it; CSV columns are lettered the same way, as the file opens in a spreadsheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaImportProblem {
    pub row: Option<u32>,
    pub column: Option<String>,
    /// What is wrong, without its place, for a table that shows row and column apart.
    pub detail: Message,
}

impl QuotaImportProblem {
    pub(super) fn new(row: Option<u32>, column: Option<usize>, detail: Message) -> Self {
        Self {
            row,
            column: column.map(column_letter),
            detail,
        }
    }

    /// What is wrong, after its place ("row 3, column B: …").
    pub fn message(&self) -> Message {
        let at = match (self.row, &self.column) {
            (Some(row), Some(column)) => Message::new("reports-quota-at-row-column")
                .with("row", row)
                .with("column", column),
            (Some(row), None) => Message::new("reports-quota-at-row").with("row", row),
            (None, Some(column)) => Message::new("reports-quota-at-column").with("column", column),
            (None, None) => return self.detail.clone(),
        };
        at.with("detail", self.detail.clone())
    }
}

/// Every problem found in a quota file (up to [`MAX_PROBLEMS`]); nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaImportError {
    pub problems: Vec<QuotaImportProblem>,
}

/// The English message: what a log shows.
impl std::fmt::Display for QuotaImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render(Lang::En))
    }
}

impl std::error::Error for QuotaImportError {}

impl QuotaImportError {
    /// Every problem, each after its place.
    pub fn message(&self) -> Message {
        Message::new("reports-quota-file-problems")
            .with("count", self.problems.len())
            .with("problems", self.listed())
    }

    /// The problems one after another, each after its place.
    pub fn listed(&self) -> Message {
        joined(
            self.problems.iter().map(QuotaImportProblem::message),
            "domain-join-slash",
        )
    }

    pub(super) fn one(row: Option<u32>, column: Option<usize>, detail: Message) -> Self {
        Self {
            problems: vec![QuotaImportProblem::new(row, column, detail)],
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
                Message::new("reports-quota-legacy-excel"),
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
            Message::new("reports-quota-unreadable-xlsx").with("detail", e),
        )
    };
    let limit = workbook::MAX_EXPANDED_BYTES;
    workbook::check_workbook(bytes, limit).map_err(|problem| match problem {
        WorkbookProblem::Unreadable(detail) => unreadable(detail),
        refused => QuotaImportError::one(None, None, refused.message()),
    })?;
    let read_error = |e: calamine::XlsxError| {
        let text = e.to_string();
        if workbook::is_size_overrun(&text) {
            QuotaImportError::one(None, None, WorkbookProblem::SizeLies { limit }.message())
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
                Message::new("reports-quota-cell-out-of-range")
                    .with("at", at)
                    .with("last", last),
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
                QuotaImportError::one(None, None, Message::new("reports-quota-encoding"))
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
                Message::new("reports-quota-unreadable-csv").with("detail", e.to_string()),
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
