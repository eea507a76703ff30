//! Excel files (.xlsx): cells as text, serial dates, and the rows of the first sheet.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use mamori_domain::device::ParsedLedger;
use mamori_locale::Message;

use super::ImportOptions;
use super::error::ImportError;
use super::header::Role;
use super::rows::Rows;
use crate::workbook::{self, WorkbookProblem};

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
pub(super) fn serial_date(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    if !(FIRST_SERIAL_DAY..2_958_466.0).contains(&serial) {
        return None;
    }
    let dt = calamine::ExcelDateTime::new(serial, calamine::ExcelDateTimeType::DateTime, is_1904);
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
}

pub(super) fn format_number(value: f64) -> String {
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

pub(super) fn import_xlsx(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ParsedLedger, ImportError> {
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
                Message::new("reports-ledger-cell-error-value").with("code", code.to_string()),
            );
        }
    }
    rows.row(
        row,
        texts.iter().map(|(c, t)| (*c, Cow::Borrowed(t.as_ref()))),
    )
}
