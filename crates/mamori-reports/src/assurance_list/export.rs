//! Writing 別紙1 (the list of applicants in rank order) and 別紙2 (the quotas) as .xlsx.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use mamori_domain::assurance::eligibility::month_label_ja;
use mamori_domain::assurance::{
    Application, ApplicationId, ApplicationOutcome, ApplicationStatus, BedBand, BedBands,
    FlagDecision, Program, QuotaTable, Selection, SystemRenewal,
};
use mamori_domain::{Prefecture, arg};
use mamori_locale::{Lang, Message};
use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::{HEADER_ROW, LIST_SHEET, LIST_TITLE, QUOTA_SHEET, QUOTA_TITLE, SUMMARY_SHEET};

#[derive(Debug, thiserror::Error)]
pub enum AssuranceListError {
    #[error("application {0} of the selection is not among the applications given")]
    MissingApplication(ApplicationId),
    #[error("could not write the spreadsheet: {0}")]
    Xlsx(#[from] XlsxError),
}

impl AssuranceListError {
    /// Why the list could not be written, in the reader's language.
    pub fn message(&self) -> Message {
        match self {
            Self::MissingApplication(id) => {
                Message::new("reports-list-missing-application").with("id", arg(id))
            }
            Self::Xlsx(e) => Message::new("reports-list-xlsx-failed").with("detail", e.to_string()),
        }
    }
}

/// 別紙1 and 別紙2 are the ministry's forms: they are written in Japanese whatever the
/// reader's language.
const FORM: Lang = Lang::Ja;

/// The columns of 別紙1, in order, with their widths. Headers naming a year follow the program
/// (「令和7年度中のシステム更改予定」「令和8年1月までの現地調査完了見込み」).
pub fn list_headers(program: &Program) -> Vec<String> {
    columns(program).into_iter().map(|(h, _)| h).collect()
}

pub(super) fn columns(program: &Program) -> Vec<(String, f64)> {
    const COLUMNS: [(&str, f64); 28] = [
        ("reports-list-rank", 6.0),
        ("reports-list-prefecture", 10.0),
        ("reports-list-institution-code", 14.0),
        ("reports-list-institution-name", 30.0),
        ("reports-list-beds", 8.0),
        ("reports-list-band", 13.0),
        ("reports-list-emr", 14.0),
        ("reports-list-network-check", 18.0),
        ("reports-list-offline-backup", 18.0),
        ("reports-list-gmis", 12.0),
        ("reports-list-renewal", 14.0),
        ("reports-list-survey", 16.0),
        ("reports-list-contact-name", 14.0),
        ("reports-list-phone", 16.0),
        ("reports-list-email", 28.0),
        ("reports-list-rank-reasons", 34.0),
        ("reports-list-eligible", 10.0),
        ("reports-list-ineligible-reasons", 40.0),
        ("reports-list-flags", 40.0),
        ("reports-list-decision", 12.0),
        ("reports-list-status", 10.0),
        ("reports-list-waitlist", 8.0),
        ("reports-list-replaced", 24.0),
        ("reports-list-withdrawn-on", 12.0),
        ("reports-list-withdrawal-reason", 30.0),
        ("reports-list-replaced-by", 24.0),
        ("reports-list-answered-on", 12.0),
        ("reports-list-remarks", 30.0),
    ];
    let year = program.fiscal_year.era_label_ja();
    let month = month_label_ja(program.onsite_survey_deadline);
    COLUMNS
        .iter()
        .map(|&(key, width)| {
            let heading = Message::new(key)
                .with("year", year.as_str())
                .with("month", month.as_str())
                .render(FORM);
            (heading, width)
        })
        .collect()
}

struct Formats {
    title: Format,
    subtitle: Format,
    header: Format,
    text: Format,
    number: Format,
    date: Format,
    selected: Format,
    waitlisted: Format,
    ineligible: Format,
    withdrawn: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Top);
        let status = |rgb| cell.clone().set_background_color(Color::RGB(rgb));
        Self {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new(),
            header: Format::new()
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDDEBF7)),
            number: cell.clone().set_align(FormatAlign::Right),
            date: cell.clone().set_num_format("yyyy/m/d"),
            selected: status(0xE2EFDA),
            waitlisted: status(0xFFF2CC),
            ineligible: status(0xEDEDED),
            withdrawn: status(0xFCE4D6),
            text: cell,
        }
    }
}

fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    date: Option<NaiveDate>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match date {
        Some(d) => {
            let (y, m, day) = (
                u16::try_from(d.year()).unwrap_or(1900),
                u8::try_from(d.month()).unwrap_or(1),
                u8::try_from(d.day()).unwrap_or(1),
            );
            let value = ExcelDateTime::from_ymd(y, m, day)?;
            sheet.write_datetime_with_format(row, col, value, &formats.date)?;
        }
        None => {
            sheet.write_blank(row, col, &formats.text)?;
        }
    }
    Ok(())
}

/// The label of `yes` or of `no` (message keys), as the form writes it.
fn yes_no(value: bool, yes: &str, no: &str) -> String {
    FORM.t(if value { yes } else { no })
}

/// Writes 別紙1 for one prefecture's selection: a title row, a subtitle row (program, year,
/// prefecture), the header (frozen, with a filter), one row per applicant in rank order; and a
/// second sheet with the quota of each band and its use.
pub fn export_assurance_list(
    program: &Program,
    applications: &[Application],
    selection: &Selection,
) -> Result<Vec<u8>, AssuranceListError> {
    let by_id: HashMap<ApplicationId, &Application> =
        applications.iter().map(|a| (a.id, a)).collect();
    let rows: Vec<(&ApplicationOutcome, &Application)> = selection
        .applications
        .iter()
        .map(|o| {
            by_id
                .get(&o.application_id)
                .map(|a| (o, *a))
                .ok_or(AssuranceListError::MissingApplication(o.application_id))
        })
        .collect::<Result<_, _>>()?;
    let name_of = |id: ApplicationId| {
        let rank = selection.outcome(id).map(|o| o.rank);
        match (by_id.get(&id), rank) {
            (Some(a), Some(r)) => Message::new("reports-list-named-with-rank")
                .with("name", a.institution_name.as_str())
                .with("rank", r)
                .render(FORM),
            (Some(a), None) => a.institution_name.clone(),
            (None, _) => Message::new("reports-list-application-id")
                .with("id", arg(id))
                .render(FORM),
        }
    };

    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(LIST_SHEET)?;
    let cols = columns(program);
    let last_col = u16::try_from(cols.len() - 1).unwrap_or(u16::MAX);
    sheet.write_string_with_format(0, 0, LIST_TITLE, &formats.title)?;
    sheet.write_string_with_format(
        1,
        0,
        Message::new("reports-list-subtitle")
            .with("title", program.title_ja.as_str())
            .with("year", program.fiscal_year.era_label_ja())
            .with("prefecture", selection.prefecture.name_ja())
            .with(
                "deadline",
                program.submission_deadline.format("%Y/%m/%d").to_string(),
            )
            .render(FORM),
        &formats.subtitle,
    )?;
    for (c, (header, width)) in cols.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(HEADER_ROW, c, header, &formats.header)?;
        sheet.set_column_width(c, *width)?;
    }
    sheet.set_row_height(HEADER_ROW, 48)?;
    // Header and the columns up to the hospital's name stay in view.
    sheet.set_freeze_panes(HEADER_ROW + 1, 4)?;
    let last_row = HEADER_ROW + u32::try_from(rows.len()).unwrap_or(u32::MAX - HEADER_ROW - 1);
    sheet.autofilter(HEADER_ROW, 0, last_row, last_col)?;
    sheet.set_landscape();
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;

    for (i, (outcome, app)) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + u32::try_from(i).unwrap_or(u32::MAX - HEADER_ROW - 1);
        let band = outcome.band.and_then(|b| program.bands.get(b));
        let survey = FORM.t(match app.renewal {
            SystemRenewal::NotPlanned => "reports-list-none",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(true),
            } => "reports-list-survey-likely",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(false),
            } => "reports-list-survey-unlikely",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: None,
            } => "reports-list-survey-undecided",
        });
        let decision = FORM.t(match outcome.decision {
            Some(FlagDecision::Accept) => "reports-list-decision-accept",
            Some(FlagDecision::Decline) => "reports-list-decision-decline",
            None if outcome.eligibility.needs_decision() => "reports-list-decision-pending",
            None => "reports-list-none",
        });
        let join = |items: Vec<String>| items.join("\n");
        let texts: Vec<(u16, String)> = vec![
            (1, app.prefecture.name_ja().to_owned()),
            (2, app.medical_institution_code.as_str().to_owned()),
            (3, app.institution_name.clone()),
            (
                5,
                band.map_or_else(|| FORM.t("reports-list-none"), BedBand::label_ja),
            ),
            (6, app.emr.label_ja().to_owned()),
            (
                7,
                yes_no(
                    app.participation.wants_network_check(),
                    "reports-list-wanted",
                    "reports-list-not-wanted",
                ),
            ),
            (
                8,
                yes_no(
                    app.participation.wants_offline_backup(),
                    "reports-list-wanted",
                    "reports-list-not-wanted",
                ),
            ),
            (
                9,
                yes_no(
                    app.gmis_reuse_consent,
                    "reports-list-consent",
                    "reports-list-no-consent",
                ),
            ),
            (
                10,
                yes_no(
                    matches!(app.renewal, SystemRenewal::Planned { .. }),
                    "reports-list-planned",
                    "reports-list-not-planned",
                ),
            ),
            (11, survey),
            (12, app.contact.name().to_owned()),
            (13, app.contact.phone().to_owned()),
            (14, app.contact.email().to_owned()),
            (
                15,
                join(outcome.rank_reasons.iter().map(|r| r.label_ja()).collect()),
            ),
            (
                16,
                yes_no(
                    outcome.eligibility.is_eligible(),
                    "reports-list-eligible-yes",
                    "reports-list-eligible-no",
                ),
            ),
            (
                17,
                join(
                    outcome
                        .eligibility
                        .reasons
                        .iter()
                        .map(|r| r.message.render(FORM))
                        .collect(),
                ),
            ),
            (
                18,
                join(
                    outcome
                        .eligibility
                        .flags
                        .iter()
                        .map(|f| f.message.render(FORM))
                        .collect(),
                ),
            ),
            (19, decision),
            (22, outcome.replaced.map(name_of).unwrap_or_default()),
            (
                24,
                outcome
                    .withdrawal
                    .as_ref()
                    .map(|w| w.reason.clone())
                    .unwrap_or_default(),
            ),
            (25, outcome.replaced_by.map(name_of).unwrap_or_default()),
            (27, app.remarks.clone()),
        ];
        for (c, text) in texts {
            if text.is_empty() {
                sheet.write_blank(r, c, &formats.text)?;
            } else {
                sheet.write_string_with_format(r, c, text, &formats.text)?;
            }
        }
        sheet.write_number_with_format(r, 0, f64::from(outcome.rank), &formats.number)?;
        sheet.write_number_with_format(r, 4, f64::from(app.beds), &formats.number)?;
        let status_format = match outcome.status {
            ApplicationStatus::Selected => &formats.selected,
            ApplicationStatus::Waitlisted => &formats.waitlisted,
            ApplicationStatus::Ineligible => &formats.ineligible,
            ApplicationStatus::Withdrawn => &formats.withdrawn,
        };
        sheet.write_string_with_format(r, 20, outcome.status.label_ja(), status_format)?;
        match outcome.waitlist_position {
            Some(p) => sheet.write_number_with_format(r, 21, f64::from(p), &formats.number)?,
            None => sheet.write_blank(r, 21, &formats.text)?,
        };
        write_date(
            sheet,
            r,
            23,
            outcome.withdrawal.as_ref().map(|w| w.date),
            &formats,
        )?;
        write_date(sheet, r, 26, app.answered_on, &formats)?;
    }

    let summary = workbook.add_worksheet();
    summary.set_name(SUMMARY_SHEET)?;
    summary.write_string_with_format(
        0,
        0,
        Message::new("reports-list-summary-title")
            .with("prefecture", selection.prefecture.name_ja())
            .render(FORM),
        &formats.title,
    )?;
    let heads = [
        ("reports-list-band", 14.0),
        ("reports-list-quota", 10.0),
        ("reports-list-selected", 10.0),
        ("reports-list-unused", 10.0),
        ("reports-list-waitlisted", 10.0),
        ("reports-list-withdrawn", 10.0),
    ];
    for (c, (h, w)) in heads.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        summary.write_string_with_format(HEADER_ROW, c, FORM.text(h), &formats.header)?;
        summary.set_column_width(c, *w)?;
    }
    summary.set_freeze_panes(HEADER_ROW + 1, 0)?;
    for (i, b) in selection.bands.iter().enumerate() {
        let r = HEADER_ROW + 1 + u32::try_from(i).unwrap_or(0);
        summary.write_string_with_format(r, 0, b.band.label_ja(), &formats.text)?;
        for (c, v) in [b.quota, b.selected, b.unused, b.waitlisted, b.withdrawn]
            .into_iter()
            .enumerate()
        {
            let c = u16::try_from(c + 1).unwrap_or(u16::MAX);
            summary.write_number_with_format(r, c, f64::from(v), &formats.number)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// Writes 別紙2: one row per prefecture (all 47, code and name), one column per band, a total
/// column and a total row. A prefecture without quotas has blank cells, which
/// [`import_quotas`] reads as "no quota given", so the file doubles as a blank template.
///
/// [`import_quotas`]: super::import_quotas
pub fn export_quotas(bands: &BedBands, quotas: &QuotaTable) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(QUOTA_SHEET)?;
    sheet.write_string_with_format(0, 0, QUOTA_TITLE, &formats.title)?;
    let mut heads: Vec<(String, f64)> = vec![
        (FORM.t("reports-list-prefecture-code"), 10.0),
        (FORM.t("reports-list-prefecture"), 12.0),
    ];
    heads.extend(bands.as_slice().iter().map(|b| (b.label_ja(), 12.0)));
    heads.push((FORM.t("reports-list-total"), 10.0));
    for (c, (h, w)) in heads.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(HEADER_ROW, c, h, &formats.header)?;
        sheet.set_column_width(c, *w)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 2)?;
    let total_col = u16::try_from(bands.len() + 2).unwrap_or(u16::MAX);
    let mut r = HEADER_ROW + 1;
    for p in Prefecture::all() {
        sheet.write_string_with_format(r, 0, p.code(), &formats.text)?;
        sheet.write_string_with_format(r, 1, p.name_ja(), &formats.text)?;
        let counts = quotas.get(p);
        for b in 0..bands.len() {
            let c = u16::try_from(b + 2).unwrap_or(u16::MAX);
            match counts.and_then(|v| v.get(b)) {
                Some(&n) => sheet.write_number_with_format(r, c, f64::from(n), &formats.number)?,
                None => sheet.write_blank(r, c, &formats.text)?,
            };
        }
        match counts {
            Some(v) => {
                let sum: u64 = v.iter().map(|&n| u64::from(n)).sum();
                sheet.write_number_with_format(r, total_col, sum as f64, &formats.number)?
            }
            None => sheet.write_blank(r, total_col, &formats.text)?,
        };
        r += 1;
    }
    sheet.write_string_with_format(r, 1, FORM.text("reports-list-total"), &formats.header)?;
    let totals = quotas.totals(bands.len());
    for (b, t) in totals.iter().enumerate() {
        let c = u16::try_from(b + 2).unwrap_or(u16::MAX);
        sheet.write_number_with_format(r, c, *t as f64, &formats.number)?;
    }
    let grand: u64 = totals.iter().sum();
    sheet.write_number_with_format(r, total_col, grand as f64, &formats.number)?;
    workbook.save_to_buffer()
}
