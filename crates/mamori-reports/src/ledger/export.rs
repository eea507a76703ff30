//! Writing the ledger ([`export_xlsx`], [`export_csv`]): one row a device, Excel-safe
//! cells, and Shift_JIS where asked.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use mamori_domain::device::{Device, LedgerColumn};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook};

use super::error::{ExportError, UnmappableCell};
use super::{Encoding, SHEET_NAME};

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
pub(crate) fn escape_formula(text: &str) -> Cow<'_, str> {
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

pub(crate) fn to_cp932_forms(text: &str) -> Cow<'_, str> {
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
