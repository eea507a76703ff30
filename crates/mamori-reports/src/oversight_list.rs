//! The institutions an oversight search found, as .xlsx or CSV (UTF-8 or Shift_JIS), for a
//! prefecture's or the national office's own work and for publication: one row an
//! institution, the columns as the page shows them, in the reader's language.

use mamori_locale::Lang;
use rust_xlsxwriter::{Format, FormatBorder, Workbook};

use crate::ledger::Encoding;
use crate::ledger::export::{escape_formula, to_cp932_forms};

/// The messages heading the columns, in order.
pub const HEADERS: [&str; 9] = [
    "oversight-col-name",
    "oversight-col-kind",
    "oversight-col-prefecture",
    "oversight-col-municipality",
    "oversight-col-beds",
    "oversight-col-code",
    "oversight-col-state",
    "oversight-col-overdue",
    "oversight-col-flagged",
];

/// The message naming the sheet.
pub const SHEET: &str = "oversight-sheet";

/// One institution, its cells as the reader reads them.
pub struct ListRow {
    pub name: String,
    pub kind: String,
    pub prefecture: String,
    pub municipality: String,
    pub beds: i64,
    pub medical_institution_code: String,
    pub state: String,
    pub overdue_targets: i64,
    /// Devices in use under a high-severity flag.
    pub flagged_devices: i64,
}

/// Why a list could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("writing the list failed: {0}")]
    Write(String),
    /// A cell has a character Shift_JIS cannot hold: row (1 = the first institution) and the
    /// column's message key.
    #[error("row {row}, column {column}: a character Shift_JIS cannot hold")]
    Unmappable { row: usize, column: &'static str },
}

fn text_cells(row: &ListRow) -> [&str; 9] {
    [
        &row.name,
        &row.kind,
        &row.prefecture,
        &row.municipality,
        "",
        &row.medical_institution_code,
        &row.state,
        "",
        "",
    ]
}

/// The list as an .xlsx workbook: a bold header, numbers as numbers, codes as text.
pub fn export_xlsx(rows: &[ListRow], lang: Lang) -> Result<Vec<u8>, ListError> {
    let err = |e: rust_xlsxwriter::XlsxError| ListError::Write(e.to_string());
    let header = Format::new()
        .set_bold()
        .set_background_color("#E8EEF4")
        .set_border(FormatBorder::Thin);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(lang.text(SHEET)).map_err(err)?;
    for (col, key) in (0u16..).zip(HEADERS) {
        sheet
            .write_string_with_format(0, col, lang.text(key), &header)
            .map_err(err)?;
    }
    for (r, row) in (1u32..).zip(rows) {
        for (col, text) in (0u16..).zip(text_cells(row)) {
            if col == 4 {
                sheet.write_number(r, col, row.beds as f64).map_err(err)?;
            } else if col == 7 {
                sheet
                    .write_number(r, col, row.overdue_targets as f64)
                    .map_err(err)?;
            } else if col == 8 {
                sheet
                    .write_number(r, col, row.flagged_devices as f64)
                    .map_err(err)?;
            } else {
                sheet
                    .write_string(r, col, escape_formula(text).as_ref())
                    .map_err(err)?;
            }
        }
    }
    sheet.set_column_width(0, 36).map_err(err)?;
    sheet.set_column_width(3, 16).map_err(err)?;
    sheet.set_column_width(5, 14).map_err(err)?;
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    workbook.save_to_buffer().map_err(err)
}

/// The list as CSV with a header row; UTF-8 with a byte-order mark (which Excel needs to
/// read it as UTF-8) or Shift_JIS.
pub fn export_csv(rows: &[ListRow], lang: Lang, encoding: Encoding) -> Result<Vec<u8>, ListError> {
    let err = |e: csv::Error| ListError::Write(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(HEADERS.iter().map(|k| lang.text(k)))
        .map_err(err)?;
    for row in rows {
        let beds = row.beds.to_string();
        let overdue = row.overdue_targets.to_string();
        let flagged = row.flagged_devices.to_string();
        let mut cells = text_cells(row);
        cells[4] = &beds;
        cells[7] = &overdue;
        cells[8] = &flagged;
        writer
            .write_record(cells.iter().map(|c| escape_formula(c).into_owned()))
            .map_err(err)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ListError::Write(e.to_string()))?;
    match encoding {
        Encoding::Utf8 => {
            let mut out = b"\xef\xbb\xbf".to_vec();
            out.extend_from_slice(&body);
            Ok(out)
        }
        Encoding::ShiftJis => {
            let text = String::from_utf8(body).map_err(|e| ListError::Write(e.to_string()))?;
            let text = to_cp932_forms(&text);
            let (encoded, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
            if had_errors {
                return Err(first_unmappable(rows));
            }
            Ok(encoded.into_owned())
        }
    }
}

/// The first cell Shift_JIS cannot hold.
fn first_unmappable(rows: &[ListRow]) -> ListError {
    for (r, row) in (1..).zip(rows) {
        for (key, text) in HEADERS.iter().zip(text_cells(row)) {
            let (_, _, bad) = encoding_rs::SHIFT_JIS.encode(&to_cp932_forms(text));
            if bad {
                return ListError::Unmappable {
                    row: r,
                    column: key,
                };
            }
        }
    }
    ListError::Write("a character Shift_JIS cannot hold".into())
}

/// The messages heading the columns of the figures, after the line's name.
pub const FIGURE_HEADERS: [&str; 15] = [
    "oversight-institutions",
    "domain-labels-year-state-not-started",
    "domain-labels-year-state-in-progress",
    "domain-labels-year-state-completed",
    "domain-labels-year-state-ready",
    "oversight-ready-share",
    "oversight-with-overdue",
    "oversight-overdue-targets-column",
    "oversight-with-open-remarks",
    "oversight-open-remarks",
    "oversight-with-flagged",
    "oversight-col-flagged",
    "oversight-flag-eos",
    "oversight-flag-kev",
    "oversight-flag-vpn",
];

/// One line of figures: a kind or a prefecture, and its counts.
pub struct FigureLine {
    pub label: String,
    pub institutions: i64,
    /// Not started, in progress, completed, ready.
    pub states: [i64; 4],
    pub with_overdue: i64,
    pub overdue_targets: i64,
    /// Institutions with open 指導, and the open 指導.
    pub with_open_remarks: i64,
    pub open_remarks: i64,
    /// Institutions with a device with a high-severity flag.
    pub with_flagged: i64,
    /// Devices with a high-severity flag; flagged end of support, known exploited, and a
    /// vulnerable VPN version.
    pub flagged: [i64; 4],
}

/// An item of the form and how many institutions answered it いいえ, this year and the year
/// before.
pub struct ItemFigure {
    pub number: String,
    pub text: String,
    pub institutions: i64,
    pub previous: Option<i64>,
}

/// The items most often answered いいえ: the title, the headings of the two years (none for
/// the year before where the catalog has no such year), and the items.
pub struct ItemFigures<'a> {
    pub title: &'a str,
    pub year_heading: String,
    pub previous_heading: Option<String>,
    pub lines: &'a [ItemFigure],
}

/// A table of figures: its title, the heading of its first column, and its lines.
pub struct FigureTable<'a> {
    pub title: &'a str,
    pub first_heading: &'a str,
    pub lines: &'a [FigureLine],
}

/// The figures as an .xlsx workbook for publication: the title and the year on top, then each
/// table with its header; shares as percentages Excel computes from the counts.
pub fn figures_xlsx(
    heading: &str,
    tables: &[FigureTable<'_>],
    items: &ItemFigures<'_>,
    lang: Lang,
) -> Result<Vec<u8>, ListError> {
    let err = |e: rust_xlsxwriter::XlsxError| ListError::Write(e.to_string());
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color("#E8EEF4")
        .set_border(FormatBorder::Thin);
    let percent = Format::new().set_num_format("0%");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(lang.text(FIGURES_SHEET)).map_err(err)?;
    sheet
        .write_string_with_format(0, 0, heading, &title)
        .map_err(err)?;
    let mut row = 2u32;
    for table in tables {
        sheet
            .write_string_with_format(row, 0, table.title, &bold)
            .map_err(err)?;
        row += 1;
        sheet
            .write_string_with_format(row, 0, table.first_heading, &header)
            .map_err(err)?;
        for (col, key) in (1u16..).zip(FIGURE_HEADERS) {
            sheet
                .write_string_with_format(row, col, lang.text(key), &header)
                .map_err(err)?;
        }
        row += 1;
        for line in table.lines {
            sheet
                .write_string(row, 0, escape_formula(&line.label).as_ref())
                .map_err(err)?;
            sheet
                .write_number(row, 1, line.institutions as f64)
                .map_err(err)?;
            for (col, n) in (2u16..).zip(line.states) {
                sheet.write_number(row, col, n as f64).map_err(err)?;
            }
            // The share ready: the ready count over the institutions, left empty for none.
            if line.institutions > 0 {
                let excel_row = row + 1;
                sheet
                    .write_formula_with_format(
                        row,
                        6,
                        format!("=F{excel_row}/B{excel_row}").as_str(),
                        &percent,
                    )
                    .map_err(err)?;
            }
            sheet
                .write_number(row, 7, line.with_overdue as f64)
                .map_err(err)?;
            let rest = [
                line.overdue_targets,
                line.with_open_remarks,
                line.open_remarks,
                line.with_flagged,
            ]
            .into_iter()
            .chain(line.flagged);
            for (col, n) in (8u16..).zip(rest) {
                sheet.write_number(row, col, n as f64).map_err(err)?;
            }
            row += 1;
        }
        row += 1;
    }
    sheet.set_column_width(0, 22).map_err(err)?;
    // The items most often answered いいえ, on a sheet of their own.
    let sheet = workbook.add_worksheet();
    sheet.set_name(lang.text(ITEMS_SHEET)).map_err(err)?;
    sheet
        .write_string_with_format(0, 0, heading, &title)
        .map_err(err)?;
    sheet
        .write_string_with_format(2, 0, items.title, &bold)
        .map_err(err)?;
    let mut headings = vec![
        lang.text("follow-up-item").to_owned(),
        lang.text("oversight-answered-no-text").to_owned(),
        items.year_heading.clone(),
    ];
    headings.extend(items.previous_heading.clone());
    for (col, text) in (0u16..).zip(&headings) {
        sheet
            .write_string_with_format(3, col, text, &header)
            .map_err(err)?;
    }
    for (row, line) in (4u32..).zip(items.lines) {
        sheet
            .write_string(row, 0, escape_formula(&line.number).as_ref())
            .map_err(err)?;
        sheet
            .write_string(row, 1, escape_formula(&line.text).as_ref())
            .map_err(err)?;
        sheet
            .write_number(row, 2, line.institutions as f64)
            .map_err(err)?;
        if let (Some(_), Some(n)) = (&items.previous_heading, line.previous) {
            sheet.write_number(row, 3, n as f64).map_err(err)?;
        }
    }
    sheet.set_column_width(1, 60).map_err(err)?;
    workbook.save_to_buffer().map_err(err)
}

/// The message naming the sheet of the items most often answered いいえ.
pub const ITEMS_SHEET: &str = "oversight-items-sheet";

/// The message naming the figures' sheet.
pub const FIGURES_SHEET: &str = "oversight-figures-sheet";

#[cfg(test)]
mod tests;
