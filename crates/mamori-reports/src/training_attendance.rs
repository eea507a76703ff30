//! The attendance list of a training session (受講者名簿) as .xlsx: the session's heading,
//! then one row per place in the order of arrival, with its state.

use mamori_domain::training::{Audience, Format as CourseFormat, RegistrationStatus};
use mamori_locale::{Lang, Message};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

/// The list is written in Japanese: the course's Japanese title heads it.
const LANG: Lang = Lang::Ja;
/// The message naming the sheet.
pub const SHEET: &str = "reports-attendance-sheet";
/// 0-based row of the header (Excel row 4): the course, the session and a blank row first.
pub const HEADER_ROW: u32 = 3;
/// The messages heading the columns.
pub const HEADERS: [&str; 6] = [
    "reports-attendance-number",
    "reports-attendance-institution",
    "reports-attendance-participant",
    "reports-attendance-status",
    "reports-attendance-waitlist",
    "reports-attendance-registered-at",
];

/// The session as the heading shows it.
pub struct SessionHeading<'a> {
    pub course_title: &'a str,
    pub audience: Audience,
    pub format: CourseFormat,
    /// e.g. `2026/12/01 16:00–18:00`.
    pub when: &'a str,
    pub venue: &'a str,
    pub capacity: u32,
}

/// One place of the session.
pub struct AttendanceRow<'a> {
    pub institution_name: &'a str,
    pub participant_name: &'a str,
    pub status: RegistrationStatus,
    pub waitlist_position: Option<i64>,
    /// As people read it, e.g. `2026/11/24 10:05`.
    pub registered_at: &'a str,
}

/// Writes the workbook.
pub fn export_attendance(
    session: &SessionHeading<'_>,
    rows: &[AttendanceRow<'_>],
) -> Result<Vec<u8>, XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color("#E8EEF4")
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(LANG.text(SHEET))?;
    sheet.write_string_with_format(0, 0, session.course_title, &title)?;
    sheet.write_string(
        1,
        0,
        Message::new("reports-attendance-session")
            .with("audience", session.audience.label_ja())
            .with("format", session.format.label_ja())
            .with("when", session.when)
            .with("venue", session.venue)
            .with("capacity", session.capacity)
            .render(LANG),
    )?;
    for (c, (h, width)) in HEADERS
        .iter()
        .zip([6.0, 28.0, 20.0, 14.0, 16.0, 18.0])
        .enumerate()
    {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(HEADER_ROW, c, LANG.text(h), &header)?;
        sheet.set_column_width(c, width)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    for (i, row) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + u32::try_from(i).unwrap_or(u32::MAX - HEADER_ROW - 1);
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &cell)?;
        sheet.write_string_with_format(r, 1, row.institution_name, &cell)?;
        sheet.write_string_with_format(r, 2, row.participant_name, &cell)?;
        sheet.write_string_with_format(r, 3, row.status.label_ja(), &cell)?;
        match row.waitlist_position {
            Some(p) => sheet.write_number_with_format(r, 4, p as f64, &cell)?,
            None => sheet.write_blank(r, 4, &cell)?,
        };
        sheet.write_string_with_format(r, 5, row.registered_at, &cell)?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_a_row_per_place_under_the_header() {
        let heading = SessionHeading {
            course_title: "導入研修",
            audience: Audience::Introductory,
            format: CourseFormat::Online,
            when: "2026/09/13 16:00–18:00",
            venue: "オンライン（Zoom）",
            capacity: 2,
        };
        let rows = [
            AttendanceRow {
                institution_name: "みなと中央病院",
                participant_name: "山田 太郎",
                status: RegistrationStatus::Attended,
                waitlist_position: None,
                registered_at: "2026/09/01 10:00",
            },
            AttendanceRow {
                institution_name: "桜島記念病院",
                participant_name: "佐藤 花子",
                status: RegistrationStatus::Waitlisted,
                waitlist_position: Some(1),
                registered_at: "2026/09/02 11:00",
            },
        ];
        let bytes = export_attendance(&heading, &rows).expect("xlsx");
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("open");
        let range = book.worksheet_range(LANG.text(SHEET)).expect("sheet");
        let cell = |r: u32, c: u32| {
            range
                .get_value((r, c))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        assert_eq!(cell(HEADER_ROW, 2), "受講者名");
        assert_eq!(cell(HEADER_ROW + 1, 1), "みなと中央病院");
        assert_eq!(cell(HEADER_ROW + 1, 3), "受講済み");
        assert_eq!(cell(HEADER_ROW + 2, 3), "キャンセル待ち");
        assert_eq!(cell(HEADER_ROW + 2, 4), "1");
        assert!(cell(1, 0).contains("定員 2名"));
    }
}
