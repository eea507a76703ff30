//! The national office opens a programme year of the security-assurance project (確保事業) from
//! a page: the fiscal year, the bed bands, the deadlines, whether offline backup alone is
//! allowed, the hospitals completed in an earlier year (pasted or from a file), and each
//! prefecture's quota per band (支援枠数, 別紙2) in a 47-row table or read from .xlsx/CSV.
//!
//! A file fills the form first (「ファイルを読み込む」), so the national office sees what it
//! will open; 「開始する」 checks everything and stores it in one step, or nothing.

use mamori_domain::text::fold::fold_width;
use std::collections::BTreeMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use mamori_domain::assurance::{BedBand, BedBands, QuotaRow, QuotaTable};
use mamori_domain::{FiscalYear, MedicalInstitutionCode, Prefecture, Role};
use mamori_reports::assurance_list::{QuotaImportError, import_institution_list, import_quotas};

use super::api::{self, NATIONAL_TARGET, ProgramInput};
use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::{Lang, Message};
use crate::http::multipart;
use crate::http::page::{
    Chrome, PageCtx, PageError, PageResult, SignedIn, redirect, render, render_form,
};
use crate::{AppState, Routes};

pub fn routes() -> Routes {
    Routes::default()
        .get("/assurance/new", new_program)
        .post("/assurance/new", post_program)
}

/// Rows of the band table; blank rows are ignored.
const BAND_ROWS: usize = 5;

/// A submitted form: its fields, and its files (multipart only).
pub struct FormData {
    pub fields: Vec<(String, String)>,
    pub files: Vec<multipart::Part>,
}

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A file that was chosen (an empty file input sends an empty part).
    pub fn file(&self, name: &str) -> Option<&multipart::Part> {
        self.files
            .iter()
            .find(|p| p.name == name && !p.data.is_empty())
    }
}

/// Reads a form sent as `multipart/form-data` (with files) or urlencoded (its CSRF token
/// checked before, by `http::csrf`).
pub async fn read_form(state: &AppState, request: Request) -> Result<FormData, AppError> {
    let content_type =
        crate::http::multipart::content_type_of(request.headers()).unwrap_or_default();
    let data = if multipart::boundary(&content_type).is_some() {
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|_| crate::ledger::api::too_large_error())?;
        let parts = multipart::parse(&content_type, &bytes).await.map_err(|_| {
            AppError::rejected(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedUpload,
                Message::new("errors-malformed-form"),
            )
        })?;
        let mut data = FormData {
            fields: Vec::new(),
            files: Vec::new(),
        };
        for part in parts {
            if part.file_name.is_some() {
                data.files.push(part);
            } else {
                data.fields
                    .push((part.name, String::from_utf8_lossy(&part.data).into_owned()));
            }
        }
        data
    } else {
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Body::new(body));
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|_| {
                AppError::rejected(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::MalformedForm,
                    Message::new("errors-malformed-form"),
                )
            })?;
        FormData {
            fields,
            files: Vec::new(),
        }
    };
    Ok(data)
}

pub struct BandInput {
    pub min: String,
    pub max: String,
}

pub struct QuotaCell {
    pub name: String,
    pub value: String,
    pub invalid: bool,
    pub label: String,
}

pub struct QuotaInputRow {
    pub code: String,
    pub name: String,
    pub cells: Vec<QuotaCell>,
}

#[derive(Template)]
#[template(path = "assurance_program_new.html")]
struct ProgramPage {
    chrome: Chrome,
    error: Option<String>,
    problems: Vec<String>,
    notice: Option<String>,
    fiscal_year: String,
    fiscal_year_hint: String,
    opened: Vec<String>,
    bands: Vec<BandInput>,
    band_labels: Vec<String>,
    deadline: String,
    onsite_deadline: String,
    allow_backup_only: bool,
    excluded: String,
    rows: Vec<QuotaInputRow>,
    totals: Vec<u64>,
    total: u64,
    target: u32,
}

/// What the form holds, as text, so that it is shown back exactly as entered.
struct Values {
    fiscal_year: String,
    bands: Vec<BandInput>,
    deadline: String,
    onsite_deadline: String,
    allow_backup_only: bool,
    excluded: String,
    /// (prefecture code, band index) → cell text.
    quotas: BTreeMap<(String, usize), String>,
}

impl Values {
    /// The form as first shown: the bed bands of the catalog's programme (`assurance/*.toml`).
    fn defaults(fy: FiscalYear, bands: &BedBands) -> Self {
        let bands = bands
            .as_slice()
            .iter()
            .map(|b| BandInput {
                min: b.min_beds.to_string(),
                max: b.max_beds.map(|m| m.to_string()).unwrap_or_default(),
            })
            .collect();
        Self {
            fiscal_year: fy.start_year().to_string(),
            bands,
            deadline: String::new(),
            onsite_deadline: NaiveDate::from_ymd_opt(fy.start_year() + 1, 1, 31)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            allow_backup_only: false,
            excluded: String::new(),
            quotas: BTreeMap::new(),
        }
    }

    fn of(form: &FormData) -> Self {
        let bands = (0..BAND_ROWS)
            .map(|i| BandInput {
                min: form.get(&format!("band_min_{i}")).trim().to_owned(),
                max: form.get(&format!("band_max_{i}")).trim().to_owned(),
            })
            .filter(|b| !b.min.is_empty() || !b.max.is_empty())
            .collect();
        let mut quotas = BTreeMap::new();
        for (key, value) in &form.fields {
            let Some((code, band)) = key.strip_prefix("q_").and_then(|k| k.split_once('_')) else {
                continue;
            };
            if let (Ok(p), Ok(band)) = (Prefecture::parse(code), band.parse::<usize>())
                && !value.trim().is_empty()
            {
                quotas.insert((p.code(), band), value.trim().to_owned());
            }
        }
        Self {
            fiscal_year: form.get("fiscal_year").trim().to_owned(),
            bands,
            deadline: form.get("deadline").trim().to_owned(),
            onsite_deadline: form.get("onsite_survey_deadline").trim().to_owned(),
            allow_backup_only: form.get("allow_backup_only") == "yes",
            excluded: form.get("excluded").to_owned(),
            quotas,
        }
    }
}

/// A problem of the form, in the user's language, and the quota cells it points at.
struct Problems {
    lang: Lang,
    messages: Vec<String>,
    cells: Vec<(String, usize)>,
}

impl Problems {
    fn push(&mut self, message: Message) {
        self.messages.push(message.render(self.lang));
    }

    /// A problem found by the domain's checks, which word it in both languages.
    fn push_checked(&mut self, message: &Message) {
        self.messages.push(message.render(self.lang));
    }

    /// The problems of an uploaded file; `what` is the message naming the file's kind.
    fn file(&mut self, what: &str, name: &str, e: &QuotaImportError) {
        for p in &e.problems {
            let message = Message::new("assurance-problem-in-file")
                .with("what", self.lang.text(what))
                .with("name", name)
                .with("detail", p.message());
            self.push(message);
        }
    }
}

fn band_labels(lang: Lang, bands: &[BandInput]) -> Vec<String> {
    bands
        .iter()
        .enumerate()
        .map(
            |(i, b)| match (b.min.parse::<u32>(), b.max.parse::<u32>()) {
                (Ok(min), Ok(max)) => {
                    let band = BedBand {
                        min_beds: min,
                        max_beds: Some(max),
                    };
                    lang.pick(&band.label_ja(), &band.label_en()).to_owned()
                }
                (Ok(min), Err(_)) if b.max.is_empty() => {
                    let band = BedBand {
                        min_beds: min,
                        max_beds: None,
                    };
                    lang.pick(&band.label_ja(), &band.label_en()).to_owned()
                }
                _ => format!("{} {}", lang.text("assurance-band"), i + 1),
            },
        )
        .collect()
}

fn page(
    ctx: &PageCtx,
    user: &WebUser,
    values: &Values,
    problems: Option<Problems>,
    notice: Option<String>,
    opened: Vec<FiscalYear>,
) -> ProgramPage {
    let lang = ctx.lang;
    let labels = band_labels(lang, &values.bands);
    let (messages, bad_cells) =
        problems.map_or((Vec::new(), Vec::new()), |p| (p.messages, p.cells));
    let mut totals = vec![0u64; values.bands.len()];
    let rows = Prefecture::all()
        .map(|p| {
            let code = p.code();
            let cells = (0..values.bands.len())
                .map(|band| {
                    let value = values
                        .quotas
                        .get(&(code.clone(), band))
                        .cloned()
                        .unwrap_or_default();
                    if let Ok(n) = value.parse::<u64>() {
                        totals[band] += n;
                    }
                    QuotaCell {
                        name: format!("q_{code}_{band}"),
                        invalid: bad_cells.contains(&(code.clone(), band)),
                        label: format!(
                            "{} {}",
                            lang.pick(p.name_ja(), p.name_en()),
                            labels.get(band).cloned().unwrap_or_default()
                        ),
                        value,
                    }
                })
                .collect();
            QuotaInputRow {
                name: lang.pick(p.name_ja(), p.name_en()).to_owned(),
                code,
                cells,
            }
        })
        .collect();
    let fiscal_year_hint = values
        .fiscal_year
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .map(|fy| {
            let year = match lang {
                Lang::Ja => fy.era_label_ja(),
                Lang::En => fy.label_en(),
            };
            Message::new("assurance-year-hint")
                .with("year", year)
                .render(lang)
        })
        .unwrap_or_default();
    ProgramPage {
        chrome: Chrome::new(ctx, Some(user), lang.t("as-open-title")),
        error: (!messages.is_empty()).then(|| lang.t("as-open-refused")),
        problems: messages,
        notice,
        fiscal_year: values.fiscal_year.clone(),
        fiscal_year_hint,
        opened: opened
            .into_iter()
            .map(|fy| match lang {
                Lang::Ja => fy.era_label_ja(),
                Lang::En => fy.label_en(),
            })
            .collect(),
        bands: (0..BAND_ROWS)
            .map(|i| {
                values.bands.get(i).map_or(
                    BandInput {
                        min: String::new(),
                        max: String::new(),
                    },
                    |b| BandInput {
                        min: b.min.clone(),
                        max: b.max.clone(),
                    },
                )
            })
            .collect(),
        band_labels: labels,
        deadline: values.deadline.clone(),
        onsite_deadline: values.onsite_deadline.clone(),
        allow_backup_only: values.allow_backup_only,
        excluded: values.excluded.clone(),
        rows,
        total: totals.iter().sum(),
        totals,
        target: NATIONAL_TARGET,
    }
}

fn national(user: &WebUser) -> Result<(), AppError> {
    if user.user().role == Role::NationalAdmin {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

async fn new_program(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> PageResult {
    national(&user)?;
    let opened = state.store.program_years().await?;
    // The first year from the current one that is not open yet.
    let mut fy = FiscalYear::containing(mamori_app::today_in_japan());
    while opened.contains(&fy) {
        match FiscalYear::new(fy.start_year() + 1) {
            Ok(next) => fy = next,
            Err(_) => break,
        }
    }
    let bands = mamori_catalog::assurance::default_bands(&state.catalog.assurance, fy);
    let values = Values::defaults(fy, &bands);
    Ok(render(
        StatusCode::OK,
        &page(&ctx, &user, &values, None, None, opened),
    ))
}

/// The bands of the form, or the problems of its rows.
fn parse_bands(values: &Values, problems: &mut Problems) -> Option<BedBands> {
    let mut bands = Vec::new();
    for (i, b) in values.bands.iter().enumerate() {
        let row = i + 1;
        let min = b.min.parse::<u32>();
        let max = if b.max.is_empty() {
            Ok(None)
        } else {
            b.max.parse::<u32>().map(Some)
        };
        match (min, max) {
            (Ok(min_beds), Ok(max_beds)) => bands.push(BedBand { min_beds, max_beds }),
            _ => problems.push(
                Message::new("assurance-problem-band-row")
                    .with("row", row)
                    .with("min", &b.min)
                    .with("max", &b.max),
            ),
        }
    }
    if problems.messages.is_empty() {
        match BedBands::new(bands) {
            Ok(b) => return Some(b),
            Err(e) => {
                let detail = e.message.render(problems.lang);
                problems.push(Message::new("assurance-problem-bands").with("detail", detail));
            }
        }
    }
    None
}

/// The quota table of the form; each bad cell is named by prefecture and band.
fn parse_quotas(
    values: &Values,
    bands: &BedBands,
    labels: &[String],
    problems: &mut Problems,
) -> QuotaTable {
    let mut rows = Vec::new();
    for p in Prefecture::all() {
        let code = p.code();
        let cells: Vec<Option<&String>> = (0..bands.len())
            .map(|band| values.quotas.get(&(code.clone(), band)))
            .collect();
        // A prefecture with every cell blank has no quota given.
        if cells.iter().all(Option::is_none) {
            continue;
        }
        let mut counts = Vec::new();
        for (band, cell) in cells.into_iter().enumerate() {
            let text = cell.map_or("0", String::as_str);
            let label = labels.get(band).cloned().unwrap_or_default();
            match text.parse::<i64>() {
                Ok(n) if (0..=100_000).contains(&n) => counts.push(n),
                _ => {
                    problems.cells.push((code.clone(), band));
                    let prefecture = problems.lang.pick(p.name_ja(), p.name_en());
                    let message = Message::new("assurance-problem-quota-cell")
                        .with("prefecture", prefecture)
                        .with("code", &code)
                        .with("band", &label)
                        .with("text", text);
                    problems.push(message);
                }
            }
        }
        rows.push(QuotaRow {
            prefecture: code,
            counts,
        });
    }
    if !problems.messages.is_empty() {
        return QuotaTable::new();
    }
    QuotaTable::from_rows(bands, &rows).unwrap_or_else(|errors| {
        for e in errors {
            problems.push_checked(&e.message);
        }
        QuotaTable::new()
    })
}

/// The excluded hospitals: one institution id or 医療機関コード (10 digits) per line, comma or
/// space; each entry that names no registered institution is a problem with its line.
async fn parse_excluded(
    state: &AppState,
    text: &str,
    problems: &mut Problems,
) -> Result<Vec<i64>, AppError> {
    let mut entries: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for token in line
            .split(|c: char| c == ',' || c == '、' || c == '\t' || c.is_whitespace())
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            entries.push((i + 1, fold_width(token).into_owned()));
        }
    }
    let codes: Vec<String> = entries
        .iter()
        .filter(|(_, t)| MedicalInstitutionCode::parse(t).is_ok())
        .map(|(_, t)| t.clone())
        .collect();
    let by_code = state.store.institutions_by_code(&codes).await?;
    let mut ids = Vec::new();
    for (line, token) in entries {
        if MedicalInstitutionCode::parse(&token).is_ok() {
            match by_code.get(&token) {
                Some(id) => ids.push(*id),
                None => problems.push(
                    Message::new("assurance-problem-excluded-unknown-code")
                        .with("line", line)
                        .with("code", &token),
                ),
            }
        } else if let Ok(id) = token.parse::<i64>() {
            let institution = state.store.institution(id).await?;
            let has_code = institution
                .as_ref()
                .and_then(|i| i.medical_institution_code.as_deref())
                .is_some_and(|c| MedicalInstitutionCode::parse(c).is_ok());
            if has_code {
                ids.push(id);
            } else {
                problems.push(
                    Message::new("assurance-problem-excluded-no-code")
                        .with("line", line)
                        .with("id", id.to_string()),
                );
            }
        } else {
            problems.push(
                Message::new("assurance-problem-excluded-not-an-entry")
                    .with("line", line)
                    .with("token", &token),
            );
        }
    }
    Ok(ids)
}

/// The date of a field; `what` is the message naming the field.
fn parse_date(text: &str, what: &str, problems: &mut Problems) -> Option<NaiveDate> {
    match mamori_domain::wareki::parse_date("date", text) {
        Ok(d) => Some(d),
        Err(_) => {
            let message = Message::new("assurance-problem-not-a-date")
                .with("what", problems.lang.text(what))
                .with("text", text);
            problems.push(message);
            None
        }
    }
}

async fn post_program(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    request: Request,
) -> PageResult {
    let lang = ctx.lang;
    national(&user)?;
    let form = read_form(&state, request).await?;
    let opened = state.store.program_years().await?;
    let mut values = Values::of(&form);
    let mut problems = Problems {
        lang,
        messages: Vec::new(),
        cells: Vec::new(),
    };
    let bands = parse_bands(&values, &mut problems);
    let mut read_files = Vec::new();
    let _import = if form.file("quota_file").is_some() || form.file("excluded_file").is_some() {
        match crate::http::uploads::import_permit(&state) {
            Ok(permit) => Some(permit),
            Err(e) => {
                return Ok(crate::http::uploads::retry_later(
                    PageError::from(e).into_response(),
                ));
            }
        }
    } else {
        None
    };
    // Files fill the form: the quota table and the excluded list.
    if let (Some(file), Some(bands)) = (form.file("quota_file"), bands.as_ref()) {
        let name = file.file_name.clone().unwrap_or_default();
        match import_quotas(&file.data, bands) {
            Ok(table) => {
                values.quotas.clear();
                for (p, counts) in table.iter() {
                    for (band, n) in counts.iter().enumerate() {
                        values.quotas.insert((p.code(), band), n.to_string());
                    }
                }
                read_files.push(name);
            }
            Err(e) => problems.file("assurance-quota-file", &name, &e),
        }
    }
    if let Some(file) = form.file("excluded_file") {
        let name = file.file_name.clone().unwrap_or_default();
        match import_institution_list(&file.data) {
            Ok(entries) => {
                let mut text = values.excluded.trim_end().to_owned();
                for (_, entry) in entries {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&entry);
                }
                values.excluded = text;
                read_files.push(name);
            }
            Err(e) => problems.file("assurance-excluded-file", &name, &e),
        }
    }
    let show = |values: &Values, problems: Option<Problems>, notice: Option<String>| {
        let refused = problems.as_ref().is_some_and(|p| !p.messages.is_empty());
        render_form(
            refused,
            &page(&ctx, &user, values, problems, notice, opened.clone()),
        )
    };
    if form.get("action") != "open" {
        let notice = (!read_files.is_empty())
            .then(|| format!("{} {}", lang.t("as-open-files-read"), read_files.join(", ")));
        return Ok(show(&values, Some(problems), notice));
    }
    // Open: everything is checked, and the problems of every field shown at once.
    let fiscal_year = match values.fiscal_year.parse::<i32>().map(FiscalYear::new) {
        Ok(Ok(fy)) => Some(fy),
        _ => {
            problems.push(
                Message::new("assurance-problem-fiscal-year").with("text", &values.fiscal_year),
            );
            None
        }
    };
    if let Some(fy) = fiscal_year
        && opened.contains(&fy)
    {
        let year = lang.pick(&fy.label_ja(), &fy.label_en()).to_owned();
        problems.push(Message::new("assurance-problem-program-exists").with("year", year));
    }
    let deadline = if values.deadline.is_empty() {
        problems.push(Message::new("assurance-problem-deadline-missing"));
        None
    } else {
        parse_date(&values.deadline, "assurance-survey-deadline", &mut problems)
    };
    let onsite = if values.onsite_deadline.is_empty() {
        None
    } else {
        parse_date(
            &values.onsite_deadline,
            "assurance-onsite-deadline",
            &mut problems,
        )
    };
    if let (Some(fy), Some(d)) = (fiscal_year, onsite)
        && !fy.contains(d)
    {
        // Japanese names the year by its era, as the programme's documents do.
        let year = lang.pick(&fy.era_label_ja(), &fy.label_en()).to_owned();
        problems.push(
            Message::new("assurance-problem-onsite-outside-year")
                .with("date", d.to_string())
                .with("year", year),
        );
    }
    let quotas = bands.as_ref().map(|bands| {
        let labels = band_labels(lang, &values.bands);
        parse_quotas(&values, bands, &labels, &mut problems)
    });
    let excluded = parse_excluded(&state, &values.excluded, &mut problems).await?;
    let (Some(fy), Some(bands), Some(quotas), Some(deadline), true) = (
        fiscal_year,
        bands,
        quotas,
        deadline,
        problems.messages.is_empty(),
    ) else {
        return Ok(show(&values, Some(problems), None));
    };
    if quotas.is_empty() {
        problems.push(Message::new("assurance-problem-no-quota"));
        return Ok(show(&values, Some(problems), None));
    }
    let result = api::open_program(
        &state,
        user.user().id,
        ProgramInput {
            fiscal_year: fy,
            bands,
            quotas,
            excluded,
            allow_backup_only: values.allow_backup_only,
            deadline,
            onsite_survey_deadline: onsite,
        },
    )
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/assurance/{}?done=as-opened",
            fy.start_year()
        ))),
        Err(e) if e.status().is_client_error() => {
            problems.messages.push(e.message_in(problems.lang));
            Ok(show(&values, Some(problems), None))
        }
        Err(e) => Err(PageError::from(e)),
    }
    .map(IntoResponse::into_response)
}
