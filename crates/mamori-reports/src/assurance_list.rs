//! The spreadsheets of the security-assurance project (確保事業):
//!
//! - 別紙1 「【様式】セキュリティ確保事業支援対象病院リスト」: every applicant of a prefecture,
//!   in rank order, with its answers, eligibility, status and band ([`export_assurance_list`]);
//! - 別紙2 「各都道府県対象数」: the quota (支援枠数) per prefecture and bed band, read from .xlsx
//!   or CSV in UTF-8 or Shift_JIS ([`import_quotas`]) and written back ([`export_quotas`]).
//!
//! Seed 001 names both forms but does not reproduce them; the columns of 別紙1 are the survey
//! items of seed 004 (電子カルテシステムの導入有無, 本事業の活用意向, G-MIS 回答結果の活用の可否)
//! and the checks seed 001 asks of the prefecture (病床数, システム更改, 順位).

use std::collections::HashMap;
use std::io::Cursor;

use crate::workbook::{self, WorkbookProblem};
use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Datelike, NaiveDate};
use mamori_domain::FiscalYear;
use mamori_domain::Prefecture;
use mamori_domain::assurance::{
    Application, ApplicationId, ApplicationOutcome, ApplicationStatus, BedBand, BedBands,
    FlagDecision, Program, QuotaProblemCode, QuotaRow, QuotaTable, RankReason, Selection,
    SystemRenewal, parse_prefecture,
};

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

/// The form's title as seed 001 writes it (「別紙 1 「【様式】セキュリティ確保事業支援対象病院リスト」」).
pub const LIST_TITLE: &str = "【様式】セキュリティ確保事業支援対象病院リスト";
pub const LIST_SHEET: &str = "別紙1";
pub const SUMMARY_SHEET: &str = "支援枠";
/// Seed 001: 「別紙 2 「各都道府県対象数」」.
pub const QUOTA_TITLE: &str = "各都道府県対象数（支援枠数）";
pub const QUOTA_SHEET: &str = "別紙2";
/// 0-based row of the header in both sheets written here (Excel row 3): a title row and a
/// subtitle row come first.
pub const HEADER_ROW: u32 = 2;

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

fn columns(program: &Program) -> Vec<(String, f64)> {
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

/// 令和8年1月
fn month_label_ja(date: NaiveDate) -> String {
    let (era, _, n) = FiscalYear::new(date.year())
        .map(FiscalYear::era)
        .unwrap_or(("", "", date.year()));
    let year = if n == 1 {
        "元".to_owned()
    } else {
        n.to_string()
    };
    format!("{era}{year}年{}月", date.month())
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
                        .map(|r| r.message_ja.clone())
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
                        .map(|f| f.message_ja.clone())
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

// ---------------------------------------------------------------------------------------
// Import of 別紙2
// ---------------------------------------------------------------------------------------

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
    fn new(row: Option<u32>, column: Option<usize>, ja: String, en: String) -> Self {
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

    fn one(row: Option<u32>, column: Option<usize>, ja: String, en: String) -> Self {
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
enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => t.trim().to_owned(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Self::Number(n) => n.to_string(),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(t) => t.trim().is_empty(),
            Self::Number(_) => false,
        }
    }
}

/// Rows of cells; index 0 is the file's first row.
type Grid = Vec<Vec<Cell>>;

/// Reads 別紙2 from .xlsx (sheet 「別紙2」 if present, else the first) or CSV (UTF-8 with or
/// without BOM, or Shift_JIS/CP932).
///
/// Layout: a header row with a prefecture column (「都道府県」「都道府県コード」「都道府県名」;
/// a code column and a name column may both be present and must agree) and one column per
/// bed band, headed by its range (「20〜199床」「20床以上200床未満」「400床以上」…) in the
/// program's order; title rows above it, and columns such as 「合計」 or 「備考」, are skipped.
/// Each row is a prefecture (code 13, or 東京都 / 東京); rows headed 合計 or …計 are skipped,
/// as are prefectures whose band cells are all blank (no quota given). A band cell holds a
/// whole number ≥ 0; 「-」 means 0.
pub fn import_quotas(bytes: &[u8], bands: &BedBands) -> Result<QuotaTable, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    parse_grid(&grid, bands)
}

/// The last row and column (0-based) a sheet of these files may use. Quotas are 47
/// prefectures, rankings and excluded lists a prefecture's hospitals; the bounds keep the
/// grid, which is laid out whole, small whatever a hostile file says.
const GRID_ROWS: u32 = 10_000;
const GRID_COLUMNS: u32 = 64;

fn read_xlsx(bytes: &[u8]) -> Result<Grid, QuotaImportError> {
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

fn read_csv(bytes: &[u8]) -> Result<Grid, QuotaImportError> {
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

/// 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Full-width digits, signs and range marks to ASCII, spaces and thousands separators out.
fn normalize(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
            '〜' | '～' | '~' => Some('~'),
            '－' | '−' | '‐' | 'ー' | '―' | '–' | '—' => Some('-'),
            ' ' | '　' | ',' | '，' => None,
            _ => Some(c),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Num(u32),
    Tilde,
    AtLeast,
    Under,
    AtMost,
    Over,
}

/// A range of beds read from a header: (min, max), either side open.
type BedRange = (Option<u32>, Option<u32>);

/// What a header cell says about bed bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BandHeader {
    /// No number: another column (備考, 合計 …).
    NotABand,
    /// Numbers, but no range can be read from them.
    Unreadable,
    Range(BedRange),
}

/// Reads a band header: 「20〜199床」「20-199」「20床以上200床未満」「400床以上」「400〜」
/// 「200床未満」.
fn parse_band_header(text: &str) -> BandHeader {
    let t = normalize(text).replace('-', "~");
    let mut tokens = Vec::new();
    let mut digits = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            match digits.parse() {
                Ok(n) => tokens.push(Token::Num(n)),
                Err(_) => return BandHeader::Unreadable,
            }
            digits.clear();
        }
        let next = chars.peek().copied();
        match (c, next) {
            ('~', _) => tokens.push(Token::Tilde),
            ('以', Some('上')) => {
                chars.next();
                tokens.push(Token::AtLeast);
            }
            ('以', Some('下')) => {
                chars.next();
                tokens.push(Token::AtMost);
            }
            ('未', Some('満')) => {
                chars.next();
                tokens.push(Token::Under);
            }
            ('超', _) => tokens.push(Token::Over),
            ('+', _) => tokens.push(Token::AtLeast),
            _ => {}
        }
    }
    if !digits.is_empty() {
        match digits.parse() {
            Ok(n) => tokens.push(Token::Num(n)),
            Err(_) => return BandHeader::Unreadable,
        }
    }
    if !tokens.iter().any(|t| matches!(t, Token::Num(_))) {
        return BandHeader::NotABand;
    }
    let lower = |n: u32, t: Option<&Token>| match t {
        Some(Token::Over) => n.checked_add(1),
        _ => Some(n),
    };
    let upper = |n: u32, t: Option<&Token>| match t {
        Some(Token::Under) => n.checked_sub(1),
        _ => Some(n),
    };
    use Token::*;
    let range = match tokens.as_slice() {
        [Num(a), Tilde, Num(b)] => Some((Some(*a), Some(*b))),
        [Num(a), q @ (AtLeast | Over), Num(b), r @ (Under | AtMost)]
        | [
            Num(a),
            q @ (AtLeast | Over),
            Tilde,
            Num(b),
            r @ (Under | AtMost),
        ] => match (lower(*a, Some(q)), upper(*b, Some(r))) {
            (Some(x), Some(y)) => Some((Some(x), Some(y))),
            _ => None,
        },
        [Num(a), q @ (AtLeast | Over)] => lower(*a, Some(q)).map(|x| (Some(x), None)),
        [Num(a), Tilde] => Some((Some(*a), None)),
        [Num(b), r @ (Under | AtMost)] | [Tilde, Num(b), r @ (Under | AtMost)] => {
            upper(*b, Some(r)).map(|y| (None, Some(y)))
        }
        [Tilde, Num(b)] => Some((None, Some(*b))),
        _ => None,
    };
    range.map_or(BandHeader::Unreadable, BandHeader::Range)
}

fn header_matches(parsed: BedRange, band: BedBand, first: bool) -> bool {
    let min_ok = match parsed.0 {
        Some(min) => min == band.min_beds,
        // 「200床未満」: the first band, from the program's minimum.
        None => first,
    };
    min_ok && parsed.1 == band.max_beds
}

/// A prefecture column's header. Exact names only: a title such as 「各都道府県対象数」 also
/// contains 都道府県.
fn is_key_header(text: &str) -> bool {
    const KEYS: [&str; 11] = [
        "都道府県",
        "都道府県名",
        "都道府県コード",
        "都道府県番号",
        "コード",
        "番号",
        "prefecture",
        "prefecturecode",
        "prefecture_code",
        "prefecture_name",
        "code",
    ];
    // Not `normalize`: it reads the ー of コード as a dash.
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    KEYS.contains(&t.as_str())
}

fn is_total_label(text: &str) -> bool {
    let t = normalize(text).to_lowercase();
    t == "total" || t == "全国" || t.ends_with('計')
}

/// A band cell: a whole number (full-width digits and thousands separators allowed),
/// 「-」 for 0.
fn parse_count(cell: &Cell) -> Result<Option<i64>, (String, String)> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Some(*n as i64)),
        Cell::Number(n) => Err((
            format!("支援枠数 {n} は整数ではありません"),
            format!("quota {n} is not a whole number"),
        )),
        Cell::Text(t) => {
            let n = normalize(t);
            if n.is_empty() {
                return Ok(None);
            }
            if n == "-" {
                return Ok(Some(0));
            }
            n.parse::<i64>().map(Some).map_err(|_| {
                (
                    format!(
                        "「{}」は数値ではありません（0以上の整数で入力してください）",
                        t.trim()
                    ),
                    format!(
                        "'{}' is not a number (enter a whole number, 0 or more)",
                        t.trim()
                    ),
                )
            })
        }
    }
}

fn to_row(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn parse_grid(grid: &Grid, bands: &BedBands) -> Result<QuotaTable, QuotaImportError> {
    let mut problems = Vec::new();
    let cell = |r: usize, c: usize| {
        grid.get(r)
            .and_then(|row| row.get(c))
            .unwrap_or(&Cell::Empty)
    };

    let Some(header) = grid
        .iter()
        .position(|row| row.iter().any(|c| is_key_header(&c.text())))
    else {
        return Err(QuotaImportError::one(
            None,
            None,
            "見出し行（「都道府県」の列）が見つかりません".into(),
            "no header row found (a column headed 都道府県 / prefecture)".into(),
        ));
    };

    let mut key_cols = Vec::new();
    let mut band_cols = Vec::new();
    for (c, h) in grid[header].iter().enumerate() {
        let text = h.text();
        if text.is_empty() || is_total_label(&text) {
            continue;
        }
        if is_key_header(&text) {
            key_cols.push(c);
            continue;
        }
        match parse_band_header(&text) {
            BandHeader::Range(range) => band_cols.push((c, range, text)),
            BandHeader::Unreadable => problems.push(QuotaImportProblem::new(
                Some(to_row(header)),
                Some(c),
                format!(
                    "見出し「{text}」から病床規模区分を読み取れません（例: 20〜199床、400床以上）"
                ),
                format!(
                    "cannot read a bed band from the header '{text}' (e.g. 20〜199床, 400床以上)"
                ),
            )),
            BandHeader::NotABand if text.contains('床') => problems.push(QuotaImportProblem::new(
                Some(to_row(header)),
                Some(c),
                format!("見出し「{text}」に病床数がありません（例: 20〜199床）"),
                format!("the header '{text}' has no bed numbers (e.g. 20〜199床)"),
            )),
            BandHeader::NotABand => {}
        }
    }
    let expected: Vec<String> = bands.as_slice().iter().map(|b| b.label_ja()).collect();
    if band_cols.len() != bands.len() {
        problems.push(QuotaImportProblem::new(
            Some(to_row(header)),
            None,
            format!(
                "病床規模区分の列が{}列あります。この事業の区分は{}列（{}）です",
                band_cols.len(),
                bands.len(),
                expected.join("、")
            ),
            format!(
                "{} bed-band column(s) found; the program has {} ({})",
                band_cols.len(),
                bands.len(),
                bands
                    .as_slice()
                    .iter()
                    .map(|b| b.label_en())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    } else {
        for (i, ((c, range, text), band)) in band_cols.iter().zip(bands.as_slice()).enumerate() {
            if !header_matches(*range, *band, i == 0) {
                problems.push(QuotaImportProblem::new(
                    Some(to_row(header)),
                    Some(*c),
                    format!(
                        "見出し「{text}」は{}番目の病床規模区分「{}」と一致しません",
                        i + 1,
                        band.label_ja()
                    ),
                    format!(
                        "the header '{text}' does not match bed band {} ({})",
                        i + 1,
                        band.label_en()
                    ),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(QuotaImportError { problems });
    }

    let mut rows: Vec<QuotaRow> = Vec::new();
    // For each row handed to the domain: (0-based grid row, column of its prefecture).
    let mut places: Vec<(usize, usize)> = Vec::new();
    for r in header + 1..grid.len() {
        let keys: Vec<(usize, String)> = key_cols
            .iter()
            .map(|&c| (c, cell(r, c).text()))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let band_cells: Vec<&Cell> = band_cols.iter().map(|(c, _, _)| cell(r, *c)).collect();
        let all_blank = band_cells.iter().all(|c| c.is_empty());
        if keys.is_empty() {
            if !all_blank {
                problems.push(QuotaImportProblem::new(
                    Some(to_row(r)),
                    key_cols.first().copied(),
                    "都道府県が空欄です".into(),
                    "the prefecture is blank".into(),
                ));
            }
            continue;
        }
        if keys.iter().any(|(_, t)| is_total_label(t)) || all_blank {
            continue;
        }
        // Code and name columns must name the same prefecture.
        let parsed: Vec<(usize, &String, Option<Prefecture>)> = keys
            .iter()
            .map(|(c, t)| (*c, t, parse_prefecture(t).ok()))
            .collect();
        let known: Vec<Prefecture> = parsed.iter().filter_map(|(_, _, p)| *p).collect();
        if known.windows(2).any(|w| w[0] != w[1]) {
            let shown: Vec<&str> = parsed.iter().map(|(_, t, _)| t.as_str()).collect();
            problems.push(QuotaImportProblem::new(
                Some(to_row(r)),
                parsed.get(1).map(|(c, _, _)| *c),
                format!("都道府県コードと名称が一致しません（{}）", shown.join("／")),
                format!(
                    "the prefecture code and name disagree ({})",
                    shown.join(" / ")
                ),
            ));
            continue;
        }
        // The first readable key, or the first key as typed so the domain names it.
        let (key_col, key_text) = parsed
            .iter()
            .find(|(_, _, p)| p.is_some())
            .or_else(|| parsed.first())
            .map(|(c, t, _)| (*c, (*t).clone()))
            .unwrap_or_default();
        let mut counts = Vec::with_capacity(band_cells.len());
        let mut row_ok = true;
        for (b, c) in band_cells.iter().enumerate() {
            let col = band_cols[b].0;
            match parse_count(c) {
                Ok(Some(n)) => counts.push(n),
                Ok(None) => {
                    row_ok = false;
                    problems.push(QuotaImportProblem::new(
                        Some(to_row(r)),
                        Some(col),
                        "支援枠数が空欄です（0 の場合は 0 と入力してください）".into(),
                        "the quota is blank (enter 0 for none)".into(),
                    ));
                }
                Err((ja, en)) => {
                    row_ok = false;
                    problems.push(QuotaImportProblem::new(Some(to_row(r)), Some(col), ja, en));
                }
            }
        }
        if row_ok {
            rows.push(QuotaRow {
                prefecture: key_text,
                counts,
            });
            places.push((r, key_col));
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }

    let table = match QuotaTable::from_rows(bands, &rows) {
        Ok(table) => Some(table),
        Err(found) => {
            for p in found {
                let (r, key_col) = places.get(p.row).copied().unwrap_or_default();
                let col = match (p.code, p.band) {
                    (QuotaProblemCode::Negative | QuotaProblemCode::TooLarge, Some(b)) => {
                        band_cols.get(b).map(|(c, _, _)| *c)
                    }
                    (QuotaProblemCode::WrongBandCount, _) => None,
                    _ => Some(key_col),
                };
                let (ja, en) = if p.code == QuotaProblemCode::DuplicatePrefecture {
                    // The domain counts rows it was given; name the file's row instead.
                    let first = rows
                        .iter()
                        .zip(&places)
                        .find(|(row, _)| {
                            parse_prefecture(&row.prefecture).ok()
                                == parse_prefecture(&rows[p.row].prefecture).ok()
                        })
                        .map_or(0, |(_, (fr, _))| to_row(*fr));
                    let name = parse_prefecture(&rows[p.row].prefecture).ok();
                    (
                        format!(
                            "{}が2回あります（{first}行目と同じ）",
                            name.map_or("", Prefecture::name_ja)
                        ),
                        format!(
                            "{} appears twice (also in row {first})",
                            name.map_or("", Prefecture::name_en)
                        ),
                    )
                } else {
                    (p.message_ja, p.message_en)
                };
                problems.push(QuotaImportProblem::new(Some(to_row(r)), col, ja, en));
            }
            None
        }
    };
    if problems.is_empty() {
        match table {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(QuotaImportError::one(
                None,
                None,
                "支援枠数の行が1つもありません".into(),
                "the file has no quota rows".into(),
            )),
        }
    } else {
        problems.sort_by_key(|p| p.row);
        problems.truncate(MAX_PROBLEMS);
        Err(QuotaImportError { problems })
    }
}

// ---------------------------------------------------------------------------------------
// A ranking from a spreadsheet: 別紙1 as exported, its 順位 column edited, or a short sheet
// of its own (申請ID or 医療機関コード, 順位, and optionally 順位指定の理由)

/// One ranked row of a ranking file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingRow {
    /// 1-based row of the file, for messages.
    pub row: u32,
    /// 申請ID, when the file has that column.
    pub application_id: Option<i64>,
    /// 医療機関コード, when the file has that column.
    pub medical_institution_code: Option<String>,
    pub rank: u32,
    /// The reasons of the row; `None` when the file has no reason column (the reasons already
    /// given are then kept), empty when its cell is blank.
    pub reasons: Option<Vec<RankReason>>,
}

/// A ranking file as read, with its columns (0-based) for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingFile {
    pub rows: Vec<RankingRow>,
    pub rank_column: usize,
    pub id_column: Option<usize>,
    pub code_column: Option<usize>,
    pub reason_column: Option<usize>,
}

impl RankingFile {
    /// The column naming the application: 申請ID if present, else 医療機関コード.
    fn key_column(&self) -> Option<usize> {
        self.id_column.or(self.code_column)
    }
}

fn header_is(cell: &Cell, names: &[&str]) -> bool {
    let t: String = cell
        .text()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_lowercase();
    names.iter().any(|n| *n == t)
}

const RANK_HEADERS: [&str; 2] = ["順位", "rank"];
const ID_HEADERS: [&str; 3] = ["申請id", "applicationid", "application"];
const CODE_HEADERS: [&str; 4] = [
    "医療機関コード",
    "institutioncode",
    "medicalinstitutioncode",
    "code",
];
const REASON_HEADERS: [&str; 5] = [
    "順位指定の理由",
    "順位の考え方",
    "理由",
    "reason",
    "reasons",
];

/// Reads a ranking (.xlsx, e.g. 別紙1 as exported and edited, or CSV in UTF-8 or Shift_JIS):
/// a header row with 順位 (`rank`) and 申請ID (`application_id`) or 医療機関コード
/// (`institution_code`), optionally 順位指定の理由 (`reason`: the codes or labels of
/// [`RankReason::parse`], one per line). Rows naming no application are skipped (titles,
/// totals); a rank that is not a whole number from 1, an id that is not a number and a reason
/// that cannot be read are problems with their row and column. Ties, gaps and unknown
/// applications are judged against the applications by [`resolve_ranking`].
pub fn import_ranking(bytes: &[u8]) -> Result<RankingFile, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    let header = grid.iter().position(|row| {
        row.iter().any(|c| header_is(c, &RANK_HEADERS))
            && row
                .iter()
                .any(|c| header_is(c, &ID_HEADERS) || header_is(c, &CODE_HEADERS))
    });
    let Some(header) = header else {
        return Err(QuotaImportError::one(
            None,
            None,
            "見出し行（「順位」と「申請ID」または「医療機関コード」の列）が見つかりません".into(),
            "no header row found (columns 順位/rank and 申請ID/application_id or 医療機関コード/institution_code)".into(),
        ));
    };
    let find = |names: &[&str]| grid[header].iter().position(|c| header_is(c, names));
    let file_columns = (
        find(&RANK_HEADERS),
        find(&ID_HEADERS),
        find(&CODE_HEADERS),
        find(&REASON_HEADERS),
    );
    let (Some(rank_column), id_column, code_column, reason_column) = file_columns else {
        return Err(QuotaImportError::one(
            Some(to_row(header)),
            None,
            "見出し行に「順位」が必要です".into(),
            "the header needs 順位 (rank)".into(),
        ));
    };
    let mut file = RankingFile {
        rows: Vec::new(),
        rank_column,
        id_column,
        code_column,
        reason_column,
    };
    let mut problems = Vec::new();
    for (r, cells) in grid.iter().enumerate().skip(header + 1) {
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(Cell::text)
                .map(|t| normalize(&t))
                .unwrap_or_default()
        };
        let id_text = get(id_column);
        let code_text = get(code_column);
        if id_text.is_empty() && code_text.is_empty() {
            continue;
        }
        let row = to_row(r);
        let application_id = if id_text.is_empty() {
            None
        } else {
            match id_text.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    problems.push(QuotaImportProblem::new(
                        Some(row),
                        id_column,
                        format!("申請ID「{id_text}」は数字で入力してください"),
                        format!("application id '{id_text}' must be a number"),
                    ));
                    None
                }
            }
        };
        let rank_text = get(Some(rank_column));
        let rank = match rank_text.parse::<u32>() {
            Ok(rank) if rank >= 1 => Some(rank),
            _ if rank_text.is_empty() => {
                problems.push(QuotaImportProblem::new(
                    Some(row),
                    Some(rank_column),
                    "順位が空欄です。希望したすべての病院に順位を付けてください".into(),
                    "the rank is blank; every applicant must be ranked".into(),
                ));
                None
            }
            _ => {
                problems.push(QuotaImportProblem::new(
                    Some(row),
                    Some(rank_column),
                    format!("順位「{rank_text}」は1以上の整数で入力してください"),
                    format!("rank '{rank_text}' must be a whole number from 1"),
                ));
                None
            }
        };
        let reasons = match reason_column {
            None => None,
            Some(c) => {
                let text = cells.get(c).map(Cell::text).unwrap_or_default();
                let mut reasons = Vec::new();
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    match RankReason::parse(line) {
                        Some(reason) => reasons.push(reason),
                        None => problems.push(QuotaImportProblem::new(
                            Some(row),
                            Some(c),
                            format!(
                                "順位指定の理由「{line}」が分かりません（地域の救急等の主要な診療機能／立入検査等で対策が不十分／前年度に事前調査後辞退／その他（内容））"
                            ),
                            format!(
                                "unknown reason '{line}' (regional_emergency_role, weak_security_at_inspection, withdrew_last_year_after_pre_survey or 'other: text')"
                            ),
                        )),
                    }
                }
                Some(reasons)
            }
        };
        if let Some(rank) = rank {
            file.rows.push(RankingRow {
                row,
                application_id,
                medical_institution_code: (!code_text.is_empty()).then_some(code_text),
                rank,
                reasons,
            });
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(QuotaImportError { problems });
    }
    if file.rows.is_empty() {
        return Err(QuotaImportError::one(
            None,
            None,
            "順位の行が1つもありません".into(),
            "the file has no ranked rows".into(),
        ));
    }
    Ok(file)
}

/// The entries of a list of institutions (.xlsx or CSV): every non-blank cell, with its
/// 1-based row, in reading order. A first row without a digit is a header and is skipped
/// (「医療機関コード」, 「施設名」). What each entry names is the caller's to judge.
pub fn import_institution_list(bytes: &[u8]) -> Result<Vec<(u32, String)>, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    let mut entries = Vec::new();
    let mut first = true;
    for (r, cells) in grid.iter().enumerate() {
        let texts: Vec<String> = cells
            .iter()
            .map(Cell::text)
            .filter(|t| !t.is_empty())
            .collect();
        if texts.is_empty() {
            continue;
        }
        if first
            && !texts
                .iter()
                .any(|t| normalize(t).bytes().any(|b| b.is_ascii_digit()))
        {
            first = false;
            continue;
        }
        first = false;
        entries.extend(texts.into_iter().map(|t| (to_row(r), t)));
    }
    Ok(entries)
}

/// One of the prefecture's applications, as a ranking file may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingTarget {
    pub application_id: i64,
    pub medical_institution_code: Option<String>,
    pub institution_name: String,
}

/// A row of a ranking file matched to its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRank {
    pub row: u32,
    pub application_id: i64,
    pub rank: u32,
    pub reasons: Option<Vec<RankReason>>,
}

/// Matches a ranking file to the prefecture's applications and checks it as a whole, naming
/// the row and column of every problem: an application that is unknown or of another
/// prefecture (an id the prefecture does not know is named as not its own, never as another
/// prefecture's: that would tell a caller what lies outside its scope; a code tells its
/// prefecture by its own first two digits), an id and a code that name different
/// applications, an application named twice, ranks tied, out of range (above the number of
/// applicants) or missing, and applicants without a row. On success the rows are in rank
/// order.
pub fn resolve_ranking(
    file: &RankingFile,
    prefecture: Prefecture,
    targets: &[RankingTarget],
) -> Result<Vec<ResolvedRank>, QuotaImportError> {
    let by_id: HashMap<i64, &RankingTarget> =
        targets.iter().map(|t| (t.application_id, t)).collect();
    let by_code: HashMap<&str, &RankingTarget> = targets
        .iter()
        .filter_map(|t| t.medical_institution_code.as_deref().map(|c| (c, t)))
        .collect();
    let n = targets.len();
    let mut problems = Vec::new();
    let mut resolved: Vec<ResolvedRank> = Vec::new();
    let mut first_row_of_app: HashMap<i64, u32> = HashMap::new();
    let mut first_row_of_rank: HashMap<u32, u32> = HashMap::new();
    let key_column = file.key_column();
    for row in &file.rows {
        let place = |column: Option<usize>, ja: String, en: String| {
            QuotaImportProblem::new(Some(row.row), column, ja, en)
        };
        let by_code_target = match row.medical_institution_code.as_deref() {
            None => None,
            Some(code) => match by_code.get(code) {
                Some(t) => Some(*t),
                None => {
                    if row.application_id.is_none() {
                        let other = code
                            .get(..2)
                            .and_then(|p| Prefecture::parse(p).ok())
                            .filter(|p| *p != prefecture);
                        problems.push(match other {
                            Some(p) => place(
                                file.code_column,
                                format!(
                                    "医療機関コード {code} は{}の医療機関です（{}の申請ではありません）",
                                    p.name_ja(),
                                    prefecture.name_ja()
                                ),
                                format!(
                                    "institution code {code} is in {}, not an application of {}",
                                    p.name_en(),
                                    prefecture.name_en()
                                ),
                            ),
                            None => place(
                                file.code_column,
                                format!(
                                    "医療機関コード {code} の申請は{}にありません",
                                    prefecture.name_ja()
                                ),
                                format!(
                                    "no application of {} has institution code {code}",
                                    prefecture.name_en()
                                ),
                            ),
                        });
                    }
                    None
                }
            },
        };
        let target = match row.application_id {
            Some(id) => match by_id.get(&id) {
                Some(t) => Some(*t),
                None => {
                    problems.push(place(
                        file.id_column,
                        format!("申請ID {id} の申請は{}にありません", prefecture.name_ja()),
                        format!("no application {id} in {}", prefecture.name_en()),
                    ));
                    None
                }
            },
            None => by_code_target,
        };
        let Some(target) = target else {
            continue;
        };
        if let (Some(code), Some(_)) = (row.medical_institution_code.as_deref(), row.application_id)
            && target.medical_institution_code.as_deref() != Some(code)
        {
            problems.push(place(
                file.code_column,
                format!(
                    "医療機関コード {code} は申請ID {}（{}）のものではありません",
                    target.application_id, target.institution_name
                ),
                format!(
                    "institution code {code} is not that of application {} ({})",
                    target.application_id, target.institution_name
                ),
            ));
            continue;
        }
        if let Some(first) = first_row_of_app.get(&target.application_id) {
            problems.push(place(
                key_column,
                format!(
                    "{}（申請ID {}）が2回あります（{first}行目と同じ）",
                    target.institution_name, target.application_id
                ),
                format!(
                    "{} (application {}) appears twice (also in row {first})",
                    target.institution_name, target.application_id
                ),
            ));
            continue;
        }
        first_row_of_app.insert(target.application_id, row.row);
        if usize::try_from(row.rank).map_or(true, |r| r > n) {
            problems.push(place(
                Some(file.rank_column),
                format!(
                    "順位 {} は申請数 {n} を超えています（1〜{n} の連番で指定してください）",
                    row.rank
                ),
                format!(
                    "rank {} is above the number of applicants, {n} (use 1 to {n})",
                    row.rank
                ),
            ));
        } else if let Some(first) = first_row_of_rank.get(&row.rank) {
            problems.push(place(
                Some(file.rank_column),
                format!(
                    "順位 {} が重複しています（{first}行目と同じ順位）",
                    row.rank
                ),
                format!("rank {} is tied (row {first} has it too)", row.rank),
            ));
        } else {
            first_row_of_rank.insert(row.rank, row.row);
        }
        resolved.push(ResolvedRank {
            row: row.row,
            application_id: target.application_id,
            rank: row.rank,
            reasons: row.reasons.clone(),
        });
    }
    if problems.is_empty() {
        // Whole-file problems: ranks not used, applicants not named (no row to point at).
        let missing: Vec<u32> = (1..=u32::try_from(n).unwrap_or(u32::MAX))
            .filter(|r| !first_row_of_rank.contains_key(r))
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().take(20).map(ToString::to_string).collect();
            problems.push(QuotaImportProblem::new(
                None,
                Some(file.rank_column),
                format!(
                    "順位 {} が抜けています（順位は1から{n}まで連番で指定してください）",
                    list.join("、")
                ),
                format!(
                    "rank(s) {} are missing (ranks must run from 1 to {n} without gaps)",
                    list.join(", ")
                ),
            ));
        }
        let unnamed: Vec<&RankingTarget> = targets
            .iter()
            .filter(|t| !first_row_of_app.contains_key(&t.application_id))
            .collect();
        if !unnamed.is_empty() {
            let ja: Vec<String> = unnamed
                .iter()
                .take(20)
                .map(|t| format!("{}（申請ID {}）", t.institution_name, t.application_id))
                .collect();
            let en: Vec<String> = unnamed
                .iter()
                .take(20)
                .map(|t| format!("{} (application {})", t.institution_name, t.application_id))
                .collect();
            problems.push(QuotaImportProblem::new(
                None,
                key_column,
                format!(
                    "次の申請の行がありません。希望したすべての病院に順位を付けてください: {}",
                    ja.join("、")
                ),
                format!(
                    "no row for these applications; every applicant must be ranked: {}",
                    en.join(", ")
                ),
            ));
        }
    }
    if problems.is_empty() {
        resolved.sort_by_key(|r| r.rank);
        Ok(resolved)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(QuotaImportError { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_headers() {
        let cases = [
            ("20〜199床", Some((Some(20), Some(199)))),
            ("２０～１９９床", Some((Some(20), Some(199)))),
            ("20-199", Some((Some(20), Some(199)))),
            ("20床以上200床未満", Some((Some(20), Some(199)))),
            ("200床以上～400床未満", Some((Some(200), Some(399)))),
            ("20床以上199床以下", Some((Some(20), Some(199)))),
            ("400床以上", Some((Some(400), None))),
            ("400床～", Some((Some(400), None))),
            ("400+", Some((Some(400), None))),
            ("399床超", Some((Some(400), None))),
            ("200床未満", Some((None, Some(199)))),
            ("病床数(20～199床)", Some((Some(20), Some(199)))),
        ];
        for (text, expected) in cases {
            let expected = expected.map_or(BandHeader::NotABand, BandHeader::Range);
            assert_eq!(parse_band_header(text), expected, "{text}");
        }
        assert_eq!(parse_band_header("備考"), BandHeader::NotABand);
        assert_eq!(parse_band_header("20床と200床"), BandHeader::Unreadable);
        assert_eq!(parse_band_header("99999999999床"), BandHeader::Unreadable);
    }

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count(&Cell::Text("１２".into())), Ok(Some(12)));
        assert_eq!(parse_count(&Cell::Text("1,200".into())), Ok(Some(1200)));
        assert_eq!(parse_count(&Cell::Text("－".into())), Ok(Some(0)));
        assert_eq!(parse_count(&Cell::Text("-3".into())), Ok(Some(-3)));
        assert_eq!(parse_count(&Cell::Number(4.0)), Ok(Some(4)));
        assert_eq!(parse_count(&Cell::Empty), Ok(None));
        assert!(parse_count(&Cell::Number(1.5)).is_err());
        assert!(parse_count(&Cell::Text("十".into())).is_err());
    }

    #[test]
    fn era_month() {
        assert_eq!(
            month_label_ja(NaiveDate::from_ymd_opt(2026, 1, 31).expect("valid")),
            "令和8年1月"
        );
    }
}
