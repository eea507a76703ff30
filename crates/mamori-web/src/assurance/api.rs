//! The security-assurance project (確保事業) over HTTP: the national office opens a programme
//! year, hospitals answer their prefecture's survey, the prefecture ranks every applicant,
//! the selection fills the quota per bed band, withdrawals promote the next hospital, and the
//! prefecture exports and submits 別紙1. The rules are the domain's
//! ([`mamori_domain::assurance`]); this module parses, authorizes, loads and stores.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mamori_domain::assurance::{
    Application, ApplicationId, BedBand, BedBands, Contact, EmrAdoption, ExcludedInstitution,
    Participation, Program, QuotaRow, QuotaTable, RankEntry, Selection, SelectionError,
    SurveyAnswers, Withdrawal, select,
};
use mamori_domain::{FiscalYear, MedicalInstitutionCode, ParseError, Prefecture, Principal, Role};
use mamori_store::{
    ApplicationChange, ApplicationRecord, AssuranceChange, NewProgram, PrefectureBook,
    ProgramRecord,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ranking::{SelectionJson, selection_json};
use crate::AppState;
use crate::http::api::ApiJson;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{self, Ids};
use mamori_app::today_in_japan;

/// The national target of supported hospitals (seed 001: 「約 2,000 病院を目途」).
pub const NATIONAL_TARGET: u32 = 2000;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_program))
        .routes(routes!(import_quotas))
        .routes(routes!(national_overview))
        .routes(routes!(create_application))
        .routes(routes!(get_application, update_application))
        .routes(routes!(withdraw))
        .merge(super::ranking::router())
        .merge(super::reminders::router())
}

// ----- shared: loading and judging -----------------------------------------------------------

pub(super) fn rejected(status: StatusCode, code: ErrorCode, message: Message) -> AppError {
    AppError::rejected(status, code, message)
}

pub fn parse_program_year(text: &str) -> Result<FiscalYear, AppError> {
    FiscalYear::parse(text).map_err(|_| AppError::not_found())
}

pub fn parse_prefecture(text: &str) -> Result<Prefecture, AppError> {
    Prefecture::parse(text).map_err(|_| AppError::not_found())
}

pub(super) fn unknown_program(fy: FiscalYear) -> AppError {
    rejected(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownProgram,
        Message::new("errors-unknown-program")
            .with("fiscal_year_ja", fy.label_ja())
            .with("fiscal_year_en", fy.label_en()),
    )
}

pub fn submitted_error(p: Prefecture) -> AppError {
    rejected(
        StatusCode::CONFLICT,
        ErrorCode::ListSubmitted,
        Message::new("errors-list-submitted")
            .with("prefecture_ja", p.name_ja())
            .with("prefecture_en", p.name_en()),
    )
}

pub(super) fn selection_error(e: &SelectionError) -> AppError {
    let code = match e {
        SelectionError::Ranking(_) => ErrorCode::InvalidRanking,
        SelectionError::Withdrawal(_) => ErrorCode::InvalidWithdrawal,
        SelectionError::NoQuota(_) => ErrorCode::NoQuota,
        _ => ErrorCode::SelectionFailed,
    };
    rejected(StatusCode::CONFLICT, code, e.message())
}

/// The domain's programme for a stored one.
pub fn domain_program(record: &ProgramRecord) -> Program {
    let fy = record.fiscal_year;
    Program {
        id: format!("fy{}", fy.start_year()),
        // Japanese names the year by its era, as the programme's documents do.
        title_ja: Message::new("assurance-program-title")
            .with("year", fy.era_label_ja())
            .render(Lang::Ja),
        title_en: Message::new("assurance-program-title")
            .with("year", fy.label_en())
            .render(Lang::En),
        fiscal_year: fy,
        bands: record.bands.clone(),
        quotas: record.quotas.clone(),
        submission_deadline: record.deadline,
        survey_deadline: Some(record.deadline),
        onsite_survey_deadline: record.onsite_survey_deadline,
        excluded: record
            .excluded
            .iter()
            .filter_map(|e| {
                e.medical_institution_code
                    .as_deref()
                    .and_then(|c| MedicalInstitutionCode::parse(c).ok())
                    .map(|code| ExcludedInstitution {
                        medical_institution_code: code,
                        completed_in: fy.previous(),
                    })
            })
            .collect(),
        allow_backup_only: record.allow_backup_only,
        // The survey has no 導入予定 answer: an EMR must be at least partly in place.
        accept_planned_emr: false,
        sources: Vec::new(),
        notes: String::new(),
    }
}

fn answered_on(at: &str) -> Option<NaiveDate> {
    mamori_app::instant_in_japan(at).map(|t| t.date())
}

fn institution_code(record: &ApplicationRecord) -> Result<MedicalInstitutionCode, AppError> {
    record
        .medical_institution_code
        .as_deref()
        .and_then(|c| MedicalInstitutionCode::parse(c).ok())
        .ok_or_else(|| {
            AppError::internal(format!(
                "application {} has no valid institution code",
                record.id
            ))
        })
}

pub fn domain_application(record: &ApplicationRecord) -> Result<Application, AppError> {
    Ok(record.answers.to_application(
        ApplicationId(record.id),
        record.prefecture,
        institution_code(record)?,
        &record.institution_name,
        record.institution_kind,
        answered_on(&record.created_at),
    ))
}

/// The book in the domain's terms: programme, applications, ranking, withdrawals.
pub struct Judged {
    pub program: Program,
    pub applications: Vec<Application>,
    pub ranking: Vec<RankEntry>,
    pub withdrawals: Vec<Withdrawal>,
}

impl Judged {
    pub fn of(book: &PrefectureBook) -> Result<Self, AppError> {
        Ok(Self {
            program: domain_program(&book.program),
            applications: book
                .applications
                .iter()
                .map(domain_application)
                .collect::<Result<_, _>>()?,
            ranking: book
                .ranking
                .iter()
                .map(|r| RankEntry {
                    application_id: ApplicationId(r.application_id),
                    rank: r.rank,
                    reasons: r.reasons.clone(),
                    decision: r.decision,
                })
                .collect(),
            withdrawals: book
                .withdrawals
                .iter()
                .map(|w| Withdrawal {
                    application_id: ApplicationId(w.application_id),
                    date: w.date,
                    reason: w.reason.clone(),
                })
                .collect(),
        })
    }

    pub fn select(&self, prefecture: Prefecture) -> Result<Selection, SelectionError> {
        select(
            &self.program,
            prefecture,
            &self.applications,
            &self.ranking,
            &self.withdrawals,
        )
    }
}

pub(super) async fn book(
    state: &AppState,
    fy: FiscalYear,
    prefecture: Prefecture,
) -> Result<PrefectureBook, AppError> {
    state
        .store
        .prefecture_book(fy, prefecture)
        .await?
        .ok_or_else(|| unknown_program(fy))
}

/// The prefecture, if the caller runs its survey; "not found" for everyone else.
pub(super) fn managed(principal: &Principal, prefecture: Prefecture) -> Result<(), AppError> {
    if principal.can_manage_survey(prefecture) {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// May the caller answer for the institution: "forbidden" for those who see it without the
/// right, "not found" for the rest.
pub(super) fn may_apply(
    principal: &Principal,
    institution_id: i64,
    prefecture: Prefecture,
) -> Result<(), AppError> {
    if principal.can_apply_for(institution_id, prefecture) {
        Ok(())
    } else if principal.can_view(institution_id, prefecture) {
        Err(AppError::forbidden())
    } else {
        Err(AppError::not_found())
    }
}

pub(super) fn parse_error(e: ParseError) -> AppError {
    AppError::invalid(e)
}

// ----- programmes ----------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BandJson {
    min_beds: u32,
    max_beds: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgram {
    /// The year in which hospitals are supported, e.g. 2025 for 令和7年度.
    fiscal_year: i32,
    /// 病床規模区分; by default 20–199, 200–399, 400 and more.
    #[serde(default)]
    bands: Option<Vec<BandJson>>,
    /// 支援枠数 (別紙2): per prefecture (JIS X 0401 code), one count per band.
    #[serde(default)]
    quotas: HashMap<String, Vec<i64>>,
    /// Institution ids whose survey was completed in an earlier year's project.
    #[serde(default)]
    excluded_institutions: Vec<i64>,
    /// Whether taking part for the offline backup alone is allowed (not in seed 001).
    #[serde(default)]
    allow_backup_only: bool,
    /// Hospitals answer until this day, `YYYY-MM-DD`.
    deadline: String,
    /// A hospital renewing its systems must finish the on-site survey by this day; by
    /// default January 31 of the programme year (「令和8年1月までに現地調査を完了」).
    #[serde(default)]
    onsite_survey_deadline: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgramCreated {
    fiscal_year: i32,
}

fn quota_problems(problems: Vec<mamori_domain::assurance::QuotaProblem>) -> AppError {
    rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidQuotas,
        Message::new("errors-invalid-quotas").with(
            "problems",
            mamori_domain::joined(problems.into_iter().map(|p| p.message), "domain-join-slash"),
        ),
    )
}

/// Opens a programme year (national admin).
#[utoipa::path(post, path = "/api/v1/programs", tag = "assurance", security(("bearer" = [])), request_body = CreateProgram,
    responses((status = 201, body = ProgramCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_program(
    State(state): State<AppState>,
    caller: ApiUser,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ProgramCreated>)> {
    if caller.user.role != Role::NationalAdmin {
        return Err(AppError::forbidden().into());
    }
    let body: CreateProgram = ApiJson::parse(&body)?;
    let fy = FiscalYear::new(body.fiscal_year).map_err(parse_error)?;
    let bands = match body.bands {
        None => mamori_catalog::assurance::default_bands(&state.catalog.assurance, fy),
        Some(list) => BedBands::new(
            list.into_iter()
                .map(|b| BedBand {
                    min_beds: b.min_beds,
                    max_beds: b.max_beds,
                })
                .collect(),
        )
        .map_err(parse_error)?,
    };
    let mut rows: Vec<QuotaRow> = body
        .quotas
        .into_iter()
        .map(|(prefecture, counts)| QuotaRow { prefecture, counts })
        .collect();
    rows.sort_by(|a, b| a.prefecture.cmp(&b.prefecture));
    let quotas = QuotaTable::from_rows(&bands, &rows).map_err(quota_problems)?;
    let deadline = mamori_domain::answer::parse_date("deadline", &body.deadline)?;
    let onsite = match body.onsite_survey_deadline {
        Some(text) => Some(mamori_domain::answer::parse_date(
            "onsite_survey_deadline",
            &text,
        )?),
        None => None,
    };
    open_program(
        &state,
        caller.user.id,
        ProgramInput {
            fiscal_year: fy,
            bands,
            quotas,
            excluded: body.excluded_institutions,
            allow_backup_only: body.allow_backup_only,
            deadline,
            onsite_survey_deadline: onsite,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProgramCreated {
            fiscal_year: fy.start_year(),
        }),
    ))
}

/// A programme year as the API or the page gives it, parsed but not yet checked as a whole.
pub struct ProgramInput {
    pub fiscal_year: FiscalYear,
    pub bands: BedBands,
    pub quotas: QuotaTable,
    /// Institution ids.
    pub excluded: Vec<i64>,
    pub allow_backup_only: bool,
    pub deadline: NaiveDate,
    /// By default January 31 after the programme year's start.
    pub onsite_survey_deadline: Option<NaiveDate>,
}

/// Checks a programme year as a whole and stores it (the API and the page): excluded
/// institutions exist and have a 医療機関コード, deadlines fit the year, the year is not open
/// yet. Nothing is stored on a refusal.
pub async fn open_program(
    state: &AppState,
    actor: i64,
    input: ProgramInput,
) -> Result<(), AppError> {
    let ProgramInput {
        fiscal_year: fy,
        bands,
        quotas,
        mut excluded,
        allow_backup_only,
        deadline,
        onsite_survey_deadline,
    } = input;
    let onsite = match onsite_survey_deadline {
        Some(date) => date,
        None => NaiveDate::from_ymd_opt(fy.start_year() + 1, 1, 31)
            .ok_or_else(|| AppError::internal("January 31"))?,
    };
    excluded.sort_unstable();
    excluded.dedup();
    for id in &excluded {
        let institution = state.store.institution(*id).await?;
        let has_code = institution
            .as_ref()
            .and_then(|i| i.medical_institution_code.as_deref())
            .is_some_and(|c| MedicalInstitutionCode::parse(c).is_ok());
        if !has_code {
            return Err(rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidExcludedInstitution,
                Message::new("errors-invalid-excluded-institution").with("id", id.to_string()),
            ));
        }
    }
    let record = ProgramRecord {
        fiscal_year: fy,
        bands: bands.clone(),
        deadline,
        onsite_survey_deadline: onsite,
        allow_backup_only,
        quotas: quotas.clone(),
        excluded: Vec::new(),
        created_at: String::new(),
    };
    domain_program(&record).validate().map_err(|errors| {
        rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidProgram,
            mamori_domain::joined(
                errors.iter().map(|e| e.message.clone()),
                "domain-join-slash",
            ),
        )
    })?;
    let new = NewProgram {
        fiscal_year: fy,
        bands,
        deadline,
        onsite_survey_deadline: onsite,
        allow_backup_only,
        quotas,
        excluded,
    };
    state
        .store
        .create_program(&new, actor)
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::Conflict(_) => rejected(
                StatusCode::CONFLICT,
                ErrorCode::ProgramExists,
                Message::new("errors-program-exists")
                    .with("fiscal_year_ja", fy.label_ja())
                    .with("fiscal_year_en", fy.label_en()),
            ),
            other => other.into(),
        })?;
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct QuotaJson {
    prefecture: String,
    counts: Vec<u32>,
}

/// Replaces the quotas (支援枠数, 別紙2) from an .xlsx file or a CSV file (UTF-8 or
/// Shift_JIS) sent as the body (national admin). Nothing changes when the file has a problem.
#[utoipa::path(put, path = "/api/v1/programs/{fiscal_year}/quotas", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Vec<QuotaJson>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn import_quotas(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    if caller.user.role != Role::NationalAdmin {
        return Err(AppError::forbidden().into());
    }
    let fy = parse_program_year(&fiscal_year)?;
    let program = state
        .store
        .program(fy)
        .await?
        .ok_or_else(|| unknown_program(fy))?;
    let _import = match crate::http::uploads::api_import_permit(&state) {
        Ok(permit) => permit,
        Err(busy) => return Ok(*busy),
    };
    let quotas = quotas_from_file(&body, &program.bands)?;
    state
        .store
        .replace_quotas(fy, &quotas, caller.user.id)
        .await?;
    Ok(Json(
        quotas
            .iter()
            .map(|(p, counts)| QuotaJson {
                prefecture: p.code(),
                counts: counts.to_vec(),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

pub fn quotas_from_file(bytes: &[u8], bands: &BedBands) -> Result<QuotaTable, AppError> {
    mamori_reports::assurance_list::import_quotas(bytes, bands).map_err(|e| {
        rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidQuotaFile,
            e.message(),
        )
    })
}

// ----- national overview ---------------------------------------------------------------------

#[derive(Serialize, ToSchema, Clone)]
pub struct PrefectureOverview {
    pub prefecture: String,
    pub name_ja: String,
    pub name_en: String,
    pub applicants: u32,
    pub selected: u32,
    pub waitlisted: u32,
    pub ineligible: u32,
    pub withdrawn: u32,
    /// Per band.
    pub quota: Vec<u32>,
    /// Per band; `null` while the ranking is incomplete.
    pub unused_quota: Option<Vec<u32>>,
    /// Whether every applicant is ranked (the selection can be computed).
    pub ranking_complete: bool,
    pub submitted_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NationalOverview {
    pub fiscal_year: i32,
    pub target: u32,
    pub applicants: u32,
    pub selected: u32,
    pub waitlisted: u32,
    pub quota_total: u32,
    pub unused_quota_total: u32,
    pub submitted_prefectures: u32,
    pub prefectures: Vec<PrefectureOverview>,
}

pub async fn overview(state: &AppState, fy: FiscalYear) -> Result<NationalOverview, AppError> {
    let program = state
        .store
        .program(fy)
        .await?
        .ok_or_else(|| unknown_program(fy))?;
    let books = state
        .store
        .national_books(fy)
        .await?
        .ok_or_else(|| unknown_program(fy))?;
    let bands = program.bands.len();
    let mut out = NationalOverview {
        fiscal_year: fy.start_year(),
        target: NATIONAL_TARGET,
        applicants: 0,
        selected: 0,
        waitlisted: 0,
        quota_total: 0,
        unused_quota_total: 0,
        submitted_prefectures: 0,
        prefectures: Vec::new(),
    };
    for p in Prefecture::all() {
        let quota: Vec<u32> = program
            .quotas
            .get(p)
            .map(<[u32]>::to_vec)
            .unwrap_or_else(|| vec![0; bands]);
        let mut row = PrefectureOverview {
            prefecture: p.code(),
            name_ja: p.name_ja().to_owned(),
            name_en: p.name_en().to_owned(),
            applicants: 0,
            selected: 0,
            waitlisted: 0,
            ineligible: 0,
            withdrawn: 0,
            quota: quota.clone(),
            unused_quota: None,
            ranking_complete: false,
            submitted_at: None,
        };
        match books.get(&p) {
            Some(book) => {
                row.applicants = book.applications.len() as u32;
                row.submitted_at = book.submission.as_ref().map(|s| s.submitted_at.clone());
                if let Ok(selection) =
                    Judged::of(book).and_then(|j| j.select(p).map_err(|e| selection_error(&e)))
                {
                    row.selected = selection.selected.len() as u32;
                    row.waitlisted = selection.waitlisted.len() as u32;
                    row.ineligible = selection.ineligible.len() as u32;
                    row.withdrawn = selection.withdrawn.len() as u32;
                    row.unused_quota = Some(selection.unused_quota());
                    row.ranking_complete = true;
                }
            }
            None => {
                // No applicant: the whole quota is unused, and there is nothing to rank.
                row.unused_quota = Some(quota.clone());
                row.ranking_complete = true;
            }
        }
        out.applicants += row.applicants;
        out.selected += row.selected;
        out.waitlisted += row.waitlisted;
        out.quota_total += quota.iter().sum::<u32>();
        out.unused_quota_total += row.unused_quota.as_ref().map_or(0, |u| u.iter().sum());
        out.submitted_prefectures += u32::from(row.submitted_at.is_some());
        out.prefectures.push(row);
    }
    Ok(out)
}

/// Every prefecture's applicants, selected, waitlisted and unused quota against the national
/// target (national admin).
#[utoipa::path(get, path = "/api/v1/programs/{fiscal_year}/overview", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path)),
    responses((status = 200, body = NationalOverview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn national_overview(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
) -> ApiResult<Json<NationalOverview>> {
    if caller.user.role != Role::NationalAdmin {
        return Err(AppError::forbidden().into());
    }
    let fy = parse_program_year(&fiscal_year)?;
    Ok(Json(overview(&state, fy).await?))
}

// ----- applications --------------------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ContactJson {
    pub name: String,
    pub phone: String,
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    /// The applying institution; an institution's own users may leave it out.
    #[serde(default)]
    institution_id: Option<i64>,
    /// 電子カルテシステム: `full` (全部導入), `partial` (一部導入) or `none` (未導入).
    emr: String,
    /// 病床数
    beds: i64,
    /// `both`, `network_only` ((1) 外部ネットワーク接続の検証・検査のみ), `backup_only`
    /// ((2) オフライン・バックアップのみ) or `none`.
    participation: String,
    /// G-MIS 調査の回答結果の活用に同意する.
    gmis_reuse_consent: bool,
    /// 事業年度中にシステム更改を予定している.
    renewal_planned: bool,
    /// With a renewal: the on-site survey can be completed by January (`null`: not known).
    #[serde(default)]
    onsite_survey_by_january: Option<bool>,
    contact: ContactJson,
    // The application's other fields, as `GET` gives them: sent back, they are ignored.
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "id")]
    #[schema(value_type = Option<i64>)]
    _id: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "institution_name")]
    #[schema(value_type = Option<String>)]
    _institution_name: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "prefecture")]
    #[schema(value_type = Option<String>)]
    _prefecture: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "eligible")]
    #[schema(value_type = Option<bool>)]
    _eligible: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "reasons")]
    #[schema(value_type = Option<Vec<ReasonJson>>)]
    _reasons: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "flags")]
    #[schema(value_type = Option<Vec<ReasonJson>>)]
    _flags: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "status")]
    #[schema(value_type = Option<String>)]
    _status: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "rank")]
    #[schema(value_type = Option<u32>)]
    _rank: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "updated_at")]
    #[schema(value_type = Option<String>)]
    _updated_at: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "updated_by")]
    #[schema(value_type = Option<String>)]
    _updated_by: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "changes")]
    #[schema(value_type = Option<Vec<ChangeJson>>)]
    _changes: IgnoredAny,
}

/// The answers of a form or a body, every field checked.
pub struct AnswerFields<'a> {
    pub emr: &'a str,
    pub beds: i64,
    pub participation: &'a str,
    pub gmis_reuse_consent: bool,
    pub renewal_planned: bool,
    pub onsite_survey_by_january: Option<bool>,
    pub contact: &'a ContactJson,
}

pub fn survey_answers(
    fields: AnswerFields<'_>,
    bands: &BedBands,
) -> Result<SurveyAnswers, AppError> {
    let emr = match fields.emr {
        "full" => EmrAdoption::Full,
        "partial" => EmrAdoption::Partial,
        "none" => EmrAdoption::None,
        other => {
            return Err(parse_error(ParseError::new(
                "emr",
                Message::new("assurance-invalid-emr").with("value", other),
            )));
        }
    };
    let participation = match fields.participation {
        "both" => Participation::Both,
        "network_only" => Participation::NetworkOnly,
        "backup_only" => Participation::BackupOnly,
        "none" => Participation::None,
        other => {
            return Err(parse_error(ParseError::new(
                "participation",
                Message::new("assurance-invalid-participation").with("value", other),
            )));
        }
    };
    let beds = u32::try_from(fields.beds)
        .ok()
        .filter(|b| *b <= 100_000)
        .ok_or_else(|| {
            parse_error(ParseError::new(
                "beds",
                Message::new("assurance-invalid-beds").with("beds", fields.beds.to_string()),
            ))
        })?;
    // Below the first band the hospital is listed as ineligible (fewer than 20 beds); above a
    // bounded last band no quota can ever take it, which is a mistake of the answer or of the
    // bands: refused.
    if beds >= bands.min_beds() && bands.band_of(beds).is_none() {
        let last = bands
            .as_slice()
            .last()
            .map(|b| (b.label_ja(), b.label_en()))
            .unwrap_or_default();
        return Err(rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BedsFitNoBand,
            Message::new("errors-beds-fit-no-band")
                .with("beds", beds)
                .with("largest_band_ja", last.0)
                .with("largest_band_en", last.1),
        ));
    }
    let contact = Contact::new(
        &fields.contact.name,
        &fields.contact.phone,
        &fields.contact.email,
    )
    .map_err(|e| match e.0.into_iter().next() {
        Some(first) => parse_error(first),
        None => AppError::internal("empty contact error"),
    })?;
    Ok(SurveyAnswers {
        emr,
        beds,
        participation,
        gmis_reuse_consent: fields.gmis_reuse_consent,
        renewal_planned: fields.renewal_planned,
        onsite_survey_by_january: fields
            .onsite_survey_by_january
            .filter(|_| fields.renewal_planned),
        contact,
    })
}

fn deadline_passed(deadline: NaiveDate) -> AppError {
    rejected(
        StatusCode::CONFLICT,
        ErrorCode::DeadlinePassed,
        Message::new("errors-deadline-passed").with("deadline", deadline.to_string()),
    )
}

/// The rule for a new or changed answer, inside the writing transaction: the list is not
/// submitted, and an institution's own user answers only until the deadline.
fn answer_rule(
    book: &PrefectureBook,
    principal: &Principal,
    today: NaiveDate,
) -> Result<(), AppError> {
    if book.submission.is_some() {
        return Err(submitted_error(book.prefecture));
    }
    if !principal.can_manage_survey(book.prefecture) && today > book.program.deadline {
        return Err(deadline_passed(book.program.deadline));
    }
    Ok(())
}

/// Creates or changes an institution's answers (the API and the survey form).
pub async fn save_answers(
    state: &AppState,
    principal: &Principal,
    fy: FiscalYear,
    institution_id: i64,
    existing: Option<i64>,
    answers: SurveyAnswers,
) -> Result<i64, AppError> {
    let institution = state
        .store
        .institution(institution_id)
        .await?
        .ok_or(AppError::not_found())?;
    may_apply(principal, institution.id, institution.prefecture)?;
    let code = institution
        .medical_institution_code
        .as_deref()
        .and_then(|c| MedicalInstitutionCode::parse(c).ok())
        .ok_or_else(|| {
            rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InstitutionCodeRequired,
                Message::new("errors-institution-code-required"),
            )
        })?;
    // The row of 別紙1 must be consistent (the code's prefecture number, the name).
    answers
        .to_application(
            ApplicationId(0),
            institution.prefecture,
            code,
            &institution.name,
            institution.kind,
            None,
        )
        .validate()
        .map_err(|errors| match errors.into_iter().next() {
            Some(first) => parse_error(first),
            None => AppError::internal("empty validation"),
        })?;
    let today = today_in_japan();
    let outcome = state
        .store
        .change_survey(fy, institution.prefecture, principal.user_id, |book| {
            answer_rule(book, principal, today)?;
            let current = book
                .applications
                .iter()
                .find(|a| a.institution_id == institution.id);
            match (existing, current) {
                (None, Some(a)) => Err(rejected(
                    StatusCode::CONFLICT,
                    ErrorCode::ApplicationExists,
                    Message::new("errors-application-exists").with("application", a.id.to_string()),
                )),
                (None, None) => Ok(AssuranceChange::CreateApplication {
                    institution_id: institution.id,
                    answers: answers.clone(),
                }),
                (Some(id), Some(a)) if a.id == id => Ok(AssuranceChange::UpdateApplication {
                    id,
                    answers: answers.clone(),
                }),
                (Some(_), _) => Err(AppError::not_found()),
            }
        })
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::NotFound => unknown_program(fy),
            other => other.into(),
        })??;
    outcome.ok_or_else(|| AppError::internal("no application id"))
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationCreated {
    id: i64,
}

/// Answers the survey for an institution: its admin until the deadline, the officer of its
/// prefecture or the national admin at any time until the list is submitted.
#[utoipa::path(post, path = "/api/v1/programs/{fiscal_year}/applications", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path)), request_body = ApplicationBody,
    responses((status = 201, body = ApplicationCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_application(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ApplicationCreated>)> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let body: ApplicationBody = ApiJson::parse(&body)?;
    let institution_id = body
        .institution_id
        .or(principal.institution_id)
        .ok_or_else(|| {
            parse_error(ParseError::new(
                "institution_id",
                Message::new("assurance-institution-id-missing"),
            ))
        })?;
    let program = state
        .store
        .program(fy)
        .await?
        .ok_or_else(|| unknown_program(fy))?;
    let answers = survey_answers(fields_of(&body), &program.bands)?;
    let id = save_answers(&state, &principal, fy, institution_id, None, answers).await?;
    Ok((StatusCode::CREATED, Json(ApplicationCreated { id })))
}

fn fields_of(body: &ApplicationBody) -> AnswerFields<'_> {
    AnswerFields {
        emr: &body.emr,
        beds: body.beds,
        participation: &body.participation,
        gmis_reuse_consent: body.gmis_reuse_consent,
        renewal_planned: body.renewal_planned,
        onsite_survey_by_january: body.onsite_survey_by_january,
        contact: &body.contact,
    }
}

/// The application, its book, for a caller who may answer for its institution.
async fn application_in_scope(
    state: &AppState,
    principal: &Principal,
    fy: FiscalYear,
    application_id: ids::ApplicationId,
) -> Result<(PrefectureBook, ApplicationRecord), AppError> {
    let id = application_id.get();
    let prefecture = state
        .store
        .application_prefecture(fy, id)
        .await?
        .ok_or(AppError::not_found())?;
    let book = book(state, fy, prefecture).await?;
    let record = book.application(id).cloned().ok_or(AppError::not_found())?;
    may_apply(principal, record.institution_id, prefecture)?;
    Ok((book, record))
}

#[derive(Serialize, ToSchema)]
pub struct ReasonJson {
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

impl ReasonJson {
    pub fn new(code: &str, message: &Message) -> Self {
        Self {
            code: code.into(),
            message_ja: message.render(Lang::Ja),
            message_en: message.render(Lang::En),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChangeJson {
    /// `create`, `update` or `withdraw`.
    action: String,
    changed_by: String,
    changed_at: String,
    /// For `withdraw`: the date and the reason.
    detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationJson {
    id: i64,
    institution_id: i64,
    institution_name: String,
    prefecture: String,
    emr: String,
    beds: u32,
    participation: String,
    gmis_reuse_consent: bool,
    renewal_planned: bool,
    onsite_survey_by_january: Option<bool>,
    contact: ContactJson,
    eligible: bool,
    reasons: Vec<ReasonJson>,
    /// Points for the prefecture's decision (a renewal that may not finish the on-site survey
    /// by January, …).
    flags: Vec<ReasonJson>,
    /// `selected`, `waitlisted`, `ineligible` or `withdrawn`; `null` while the ranking is
    /// incomplete.
    status: Option<String>,
    rank: Option<u32>,
    updated_at: String,
    updated_by: String,
    changes: Vec<ChangeJson>,
}

/// One application with its eligibility, status and change log.
#[utoipa::path(get, path = "/api/v1/programs/{fiscal_year}/applications/{application_id}", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("application_id" = i64, Path)),
    responses((status = 200, body = ApplicationJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_application(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((fiscal_year, application_id)): Ids<(String, ids::ApplicationId)>,
) -> ApiResult<Json<ApplicationJson>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let (book, record) = application_in_scope(&state, &principal, fy, application_id).await?;
    let judged = Judged::of(&book)?;
    let program = &judged.program;
    let app = domain_application(&record)?;
    let eligibility = mamori_domain::assurance::assess(program, &app);
    let selection = judged.select(book.prefecture).ok();
    let outcome = selection
        .as_ref()
        .and_then(|s| s.outcome(ApplicationId(record.id)));
    let changes = state.store.application_changes(fy, record.id).await?;
    let a = &record.answers;
    Ok(Json(ApplicationJson {
        id: record.id,
        institution_id: record.institution_id,
        institution_name: record.institution_name.clone(),
        prefecture: record.prefecture.code(),
        emr: a.emr.as_str().into(),
        beds: a.beds,
        participation: a.participation.as_str().into(),
        gmis_reuse_consent: a.gmis_reuse_consent,
        renewal_planned: a.renewal_planned,
        onsite_survey_by_january: a.onsite_survey_by_january,
        contact: ContactJson {
            name: a.contact.name().into(),
            phone: a.contact.phone().into(),
            email: a.contact.email().into(),
        },
        eligible: eligibility.is_eligible(),
        reasons: eligibility
            .reasons
            .iter()
            .map(|r| ReasonJson::new(r.code.as_str(), &r.message))
            .collect(),
        flags: eligibility
            .flags
            .iter()
            .map(|f| ReasonJson::new(f.code.as_str(), &f.message))
            .collect(),
        status: outcome.map(|o| o.status.as_str().into()),
        rank: book
            .ranking
            .iter()
            .find(|r| r.application_id == record.id)
            .map(|r| r.rank),
        updated_at: record.updated_at.clone(),
        updated_by: record.updated_by.clone(),
        changes: changes.into_iter().map(change_json).collect(),
    }))
}

fn change_json(c: ApplicationChange) -> ChangeJson {
    ChangeJson {
        action: c.action,
        changed_by: c.changed_by,
        changed_at: c.changed_at,
        detail: c.detail,
    }
}

/// Changes an application's answers (same rules as answering); the application as `GET`
/// gives it is accepted, its fields other than the answers ignored.
#[utoipa::path(put, path = "/api/v1/programs/{fiscal_year}/applications/{application_id}", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("application_id" = i64, Path)), request_body = ApplicationBody,
    responses((status = 200, body = ApplicationCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_application(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((fiscal_year, application_id)): Ids<(String, ids::ApplicationId)>,
    body: Bytes,
) -> ApiResult<Json<ApplicationCreated>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let (book, record) = application_in_scope(&state, &principal, fy, application_id).await?;
    let body: ApplicationBody = ApiJson::parse(&body)?;
    if body
        .institution_id
        .is_some_and(|i| i != record.institution_id)
    {
        return Err(parse_error(ParseError::new(
            "institution_id",
            Message::new("assurance-institution-cannot-change"),
        ))
        .into());
    }
    let answers = survey_answers(fields_of(&body), &book.program.bands)?;
    let id = save_answers(
        &state,
        &principal,
        fy,
        record.institution_id,
        Some(record.id),
        answers,
    )
    .await?;
    Ok(Json(ApplicationCreated { id }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// 辞退の理由
    reason: String,
    /// 辞退日, `YYYY-MM-DD`; today (JST) when left out.
    #[serde(default)]
    date: Option<String>,
}

/// Records a withdrawal and returns the new selection.
pub async fn record_withdrawal(
    state: &AppState,
    principal: &Principal,
    fy: FiscalYear,
    application_id: ids::ApplicationId,
    reason: &str,
    date: Option<&str>,
) -> Result<SelectionJson, AppError> {
    let (book, record) = application_in_scope(state, principal, fy, application_id).await?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(parse_error(ParseError::new(
            "reason",
            Message::new("assurance-withdrawal-reason-missing"),
        )));
    }
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => mamori_domain::answer::parse_date("date", d)?,
        None => today_in_japan(),
    };
    let id = record.id;
    state
        .store
        .change_survey(fy, book.prefecture, principal.user_id, |book| {
            let mut judged = Judged::of(book)?;
            judged.withdrawals.push(Withdrawal {
                application_id: ApplicationId(id),
                date,
                reason: reason.clone(),
            });
            judged
                .select(book.prefecture)
                .map_err(|e| withdrawal_error(&e))?;
            Ok::<_, AppError>(AssuranceChange::Withdraw {
                application_id: id,
                date,
                reason: reason.clone(),
            })
        })
        .await??;
    let book = self::book(state, fy, record.prefecture).await?;
    selection_json(&book)
}

fn withdrawal_error(e: &SelectionError) -> AppError {
    match e {
        SelectionError::Withdrawal(w) => AppError::Rejected {
            status: StatusCode::CONFLICT,
            code: match w.code {
                mamori_domain::assurance::WithdrawalProblemCode::NotSelected => {
                    ErrorCode::NotSelected
                }
                mamori_domain::assurance::WithdrawalProblemCode::AlreadyWithdrawn => {
                    ErrorCode::AlreadyWithdrawn
                }
                _ => ErrorCode::InvalidWithdrawal,
            },
            message: w.message.clone(),
        },
        other => selection_error(other),
    }
}

/// Records that a selected hospital withdraws (辞退); the best-ranked waiting hospital of the
/// same band takes its place. Allowed after submission.
#[utoipa::path(post, path = "/api/v1/programs/{fiscal_year}/applications/{application_id}/withdraw", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("application_id" = i64, Path)), request_body = WithdrawBody,
    responses((status = 200, body = SelectionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((fiscal_year, application_id)): Ids<(String, ids::ApplicationId)>,
    body: Bytes,
) -> ApiResult<Json<SelectionJson>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    // Authorize before reading the body.
    application_in_scope(&state, &principal, fy, application_id).await?;
    let body: WithdrawBody = ApiJson::parse(&body)?;
    Ok(Json(
        record_withdrawal(
            &state,
            &principal,
            fy,
            application_id,
            &body.reason,
            body.date.as_deref(),
        )
        .await?,
    ))
}
