//! Writing 別紙1 (the list of applicants in rank order) and 別紙2 (the quotas) as .xlsx.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use mamori_domain::Prefecture;
use mamori_domain::assurance::eligibility::month_label_ja;
use mamori_domain::assurance::{
    Application, ApplicationId, ApplicationOutcome, ApplicationStatus, BedBand, BedBands,
    FlagDecision, Program, QuotaTable, Selection, SystemRenewal,
};
use mamori_locale::Lang;
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
    pub fn message_ja(&self) -> String {
        match self {
            Self::MissingApplication(id) => {
                format!("選定結果の申請ID {id} の回答が見つかりません")
            }
            Self::Xlsx(e) => format!("Excel ファイルを作成できませんでした: {e}"),
        }
    }
}

/// The columns of 別紙1, in order, with their widths. Headers naming a year follow the program
/// (「令和7年度中のシステム更改予定」「令和8年1月までの現地調査完了見込み」).
pub fn list_headers(program: &Program) -> Vec<String> {
    columns(program).into_iter().map(|(h, _)| h).collect()
}

pub(super) fn columns(program: &Program) -> Vec<(String, f64)> {
    let fy = program.fiscal_year.era_label_ja();
    let month = month_label_ja(program.onsite_survey_deadline);
    vec![
        ("順位".into(), 6.0),
        ("都道府県".into(), 10.0),
        ("医療機関コード".into(), 14.0),
        ("医療機関名".into(), 30.0),
        ("病床数".into(), 8.0),
        ("病床規模区分".into(), 13.0),
        ("電子カルテシステムの導入状況".into(), 14.0),
        (
            "(1)外部ネットワークとの接続の安全性の検証・検査".into(),
            18.0,
        ),
        ("(2)オフライン・バックアップ体制の整備".into(), 18.0),
        ("G-MIS調査回答結果の活用".into(), 12.0),
        (format!("{fy}中のシステム更改予定"), 14.0),
        (format!("{month}までの現地調査完了見込み"), 16.0),
        ("担当者名".into(), 14.0),
        ("電話番号".into(), 16.0),
        ("メールアドレス".into(), 28.0),
        ("順位指定の理由".into(), 34.0),
        ("支援対象要件".into(), 10.0),
        ("要件を満たさない理由".into(), 40.0),
        ("確認事項".into(), 40.0),
        ("都道府県の判断".into(), 12.0),
        ("選定結果".into(), 10.0),
        ("次点順位".into(), 8.0),
        ("繰上げ（辞退した病院）".into(), 24.0),
        ("辞退日".into(), 12.0),
        ("辞退理由".into(), 30.0),
        ("辞退後の繰上げ".into(), 24.0),
        ("回答日".into(), 12.0),
        ("特記事項".into(), 30.0),
    ]
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

fn yes_no(value: bool, yes: &str, no: &str) -> String {
    if value { yes } else { no }.to_owned()
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
            (Some(a), Some(r)) => format!("{}（順位{r}）", a.institution_name),
            (Some(a), None) => a.institution_name.clone(),
            (None, _) => format!("申請ID {id}"),
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
        format!(
            "{}　{}　{}　（提出期限 {}）",
            program.title_ja,
            program.fiscal_year.era_label_ja(),
            selection.prefecture.name_ja(),
            program.submission_deadline.format("%Y/%m/%d")
        ),
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
        let survey = match app.renewal {
            SystemRenewal::NotPlanned => "－",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(true),
            } => "見込みあり",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(false),
            } => "見込みなし",
            SystemRenewal::Planned {
                onsite_survey_by_deadline: None,
            } => "未定",
        };
        let decision = match outcome.decision {
            Some(FlagDecision::Accept) => "選定する",
            Some(FlagDecision::Decline) => "選定しない",
            None if outcome.eligibility.needs_decision() => "未判断",
            None => "－",
        };
        let join = |items: Vec<String>| items.join("\n");
        let texts: Vec<(u16, String)> = vec![
            (1, app.prefecture.name_ja().to_owned()),
            (2, app.medical_institution_code.as_str().to_owned()),
            (3, app.institution_name.clone()),
            (5, band.map_or_else(|| "－".to_owned(), BedBand::label_ja)),
            (6, app.emr.label_ja().to_owned()),
            (
                7,
                yes_no(
                    app.participation.wants_network_check(),
                    "希望する",
                    "希望しない",
                ),
            ),
            (
                8,
                yes_no(
                    app.participation.wants_offline_backup(),
                    "希望する",
                    "希望しない",
                ),
            ),
            (9, yes_no(app.gmis_reuse_consent, "可", "否")),
            (
                10,
                yes_no(
                    matches!(app.renewal, SystemRenewal::Planned { .. }),
                    "あり",
                    "なし",
                ),
            ),
            (11, survey.to_owned()),
            (12, app.contact.name().to_owned()),
            (13, app.contact.phone().to_owned()),
            (14, app.contact.email().to_owned()),
            (
                15,
                join(outcome.rank_reasons.iter().map(|r| r.label_ja()).collect()),
            ),
            (
                16,
                yes_no(outcome.eligibility.is_eligible(), "該当", "非該当"),
            ),
            (
                17,
                join(
                    outcome
                        .eligibility
                        .reasons
                        .iter()
                        .map(|r| r.message.render(Lang::Ja))
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
                        .map(|f| f.message.render(Lang::Ja))
                        .collect(),
                ),
            ),
            (19, decision.to_owned()),
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
        format!("支援枠数と選定状況（{}）", selection.prefecture.name_ja()),
        &formats.title,
    )?;
    let heads = [
        ("病床規模区分", 14.0),
        ("支援枠数", 10.0),
        ("選定数", 10.0),
        ("未使用枠", 10.0),
        ("次点", 10.0),
        ("辞退", 10.0),
    ];
    for (c, (h, w)) in heads.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        summary.write_string_with_format(HEADER_ROW, c, *h, &formats.header)?;
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
    let mut heads: Vec<(String, f64)> =
        vec![("都道府県コード".into(), 10.0), ("都道府県".into(), 12.0)];
    heads.extend(bands.as_slice().iter().map(|b| (b.label_ja(), 12.0)));
    heads.push(("合計".into(), 10.0));
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
    sheet.write_string_with_format(r, 1, "合計", &formats.header)?;
    let totals = quotas.totals(bands.len());
    for (b, t) in totals.iter().enumerate() {
        let c = u16::try_from(b + 2).unwrap_or(u16::MAX);
        sheet.write_number_with_format(r, c, *t as f64, &formats.number)?;
    }
    let grand: u64 = totals.iter().sum();
    sheet.write_number_with_format(r, total_col, grand as f64, &formats.number)?;
    workbook.save_to_buffer()
}
