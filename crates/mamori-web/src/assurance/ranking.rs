//! The prefecture's part of the 確保事業 over the API: the ranking (by numbers or a file),
//! the selection it gives, the 別紙1 list and its submission, and withdrawals' replacements.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::assurance::{ApplicationId, FlagDecision, RankEntry, RankReason};
use mamori_domain::{FiscalYear, Prefecture, Principal};
use mamori_reports::assurance_list::{QuotaImportError, RankingTarget, resolve_ranking};
use mamori_store::{AssuranceChange, PrefectureBook, RankRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::ApiJson;
use crate::http::auth::ApiUser;
use crate::http::download::{XLSX_CONTENT_TYPE, attachment};
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;

/// The national target of supported hospitals (seed 001: 「約 2,000 病院を目途」).
pub const NATIONAL_TARGET: u32 = 2000;
use super::api::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_ranking))
        .routes(routes!(put_ranking_file))
        .routes(routes!(get_selection))
        .routes(routes!(list_xlsx))
        .routes(routes!(submit))
}

// ----- ranking, selection, list, submission ---------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingBody {
    /// Every application of the prefecture, best first.
    ranking: Vec<i64>,
    /// Reasons of the ranking by application id (順位指定の考え方): `regional_emergency_role`,
    /// `weak_security_at_inspection`, `withdrew_last_year_after_pre_survey`, `other`.
    #[serde(default)]
    #[schema(value_type = Object)]
    reasons: HashMap<String, Vec<RankReason>>,
    /// For flagged applications: `accept` or `decline`, by application id.
    #[serde(default)]
    #[schema(value_type = Object)]
    decisions: HashMap<String, FlagDecision>,
}

/// One line of a ranking as entered (number entry gives the ranks, the API the order).
pub struct RankInput {
    pub application_id: i64,
    pub rank: u32,
    pub reasons: Vec<RankReason>,
    pub decision: Option<FlagDecision>,
}

/// Checks and stores a prefecture's ranking.
pub async fn save_ranking(
    state: &AppState,
    principal: &Principal,
    fy: FiscalYear,
    prefecture: Prefecture,
    entries: Vec<RankInput>,
) -> Result<(), AppError> {
    // An id the prefecture's book does not know is refused as not its own, whoever it
    // belongs to: naming another prefecture would tell the caller what lies outside its scope.
    let known = book(state, fy, prefecture).await?;
    let unknown: Vec<i64> = entries
        .iter()
        .map(|e| e.application_id)
        .filter(|id| known.application(*id).is_none())
        .collect();
    if !unknown.is_empty() {
        let ids = unknown
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownApplication,
            Message::new("errors-unknown-application")
                .with("ids", ids)
                .with("prefecture_ja", prefecture.name_ja())
                .with("prefecture_en", prefecture.name_en()),
        ));
    }
    let entries: Vec<RankEntry> = entries
        .into_iter()
        .map(|e| RankEntry {
            application_id: ApplicationId(e.application_id),
            rank: e.rank,
            reasons: e.reasons,
            decision: e.decision,
        })
        .collect();
    state
        .store
        .change_survey(fy, prefecture, principal.user_id, |book| {
            if book.submission.is_some() {
                return Err(submitted_error(prefecture));
            }
            let judged = Judged::of(book)?;
            mamori_domain::assurance::validate_ranking(
                &judged.program,
                prefecture,
                &judged.applications,
                &entries,
            )
            .map_err(|e| {
                rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidRanking,
                    e.message(),
                )
            })?;
            let mut records: Vec<RankRecord> = entries
                .iter()
                .map(|e| RankRecord {
                    application_id: e.application_id.0,
                    rank: e.rank,
                    reasons: e.reasons.clone(),
                    decision: e.decision,
                })
                .collect();
            records.sort_by_key(|r| r.rank);
            Ok(AssuranceChange::SetRanking(records))
        })
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::NotFound => unknown_program(fy),
            other => other.into(),
        })??;
    Ok(())
}

fn keyed<T>(map: HashMap<String, T>) -> Result<HashMap<i64, T>, AppError> {
    map.into_iter()
        .map(|(k, v)| {
            k.trim().parse::<i64>().map(|id| (id, v)).map_err(|_| {
                parse_error(mamori_domain::ParseError::new(
                    "reasons",
                    Message::new("assurance-not-an-application-id").with("value", k.as_str()),
                ))
            })
        })
        .collect()
}

/// Sets the prefecture's ranking of all its applicants, beyond the quota too (prefecture
/// officer or national admin). Ranks are 1..n in the order given.
#[utoipa::path(put, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/ranking", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")), request_body = RankingBody,
    responses((status = 200, body = SelectionJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_ranking(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<SelectionJson>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&principal, prefecture)?;
    let body: RankingBody = ApiJson::parse(&body)?;
    let mut reasons = keyed(body.reasons)?;
    let decisions = keyed(body.decisions)?;
    let entries = body
        .ranking
        .iter()
        .enumerate()
        .map(|(i, id)| RankInput {
            application_id: *id,
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            reasons: reasons.remove(id).unwrap_or_default(),
            decision: decisions.get(id).copied(),
        })
        .collect();
    save_ranking(&state, &principal, fy, prefecture, entries).await?;
    let book = book(&state, fy, prefecture).await?;
    Ok(Json(selection_json(&book)?))
}

/// Sets the ranking from a spreadsheet (.xlsx or CSV, UTF-8 or Shift_JIS) with the columns 順位
/// and 申請ID or 医療機関コード, and optionally 順位指定の理由 — typically 別紙1 as exported, its
/// 順位 column edited. Without a reason column the reasons already given are kept; decisions on
/// flagged applications are kept. Every problem is named by its row and column.
#[utoipa::path(put, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/ranking.xlsx", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = SelectionJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn put_ranking_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&principal, prefecture)?;
    let _import = match crate::http::uploads::api_import_permit(&state) {
        Ok(permit) => permit,
        Err(busy) => return Ok(*busy),
    };
    let entries = match ranking_from_file(&state, fy, prefecture, &body).await? {
        Ok(entries) => entries,
        Err(problems) => return Err(ranking_file_error(&problems).into()),
    };
    save_ranking(&state, &principal, fy, prefecture, entries).await?;
    let book = book(&state, fy, prefecture).await?;
    Ok(Json(selection_json(&book)?).into_response())
}

/// A ranking read from a spreadsheet and matched to the prefecture's applications: the
/// entries in rank order, or every problem of the file with its row and column. A file without
/// a reason column keeps the reasons already given; the prefecture's decisions on flagged
/// applications are kept.
pub async fn ranking_from_file(
    state: &AppState,
    fy: FiscalYear,
    prefecture: Prefecture,
    bytes: &[u8],
) -> Result<Result<Vec<RankInput>, QuotaImportError>, AppError> {
    let file = match mamori_reports::assurance_list::import_ranking(bytes) {
        Ok(file) => file,
        Err(problems) => return Ok(Err(problems)),
    };
    let current = book(state, fy, prefecture).await?;
    let targets: Vec<RankingTarget> = current
        .applications
        .iter()
        .map(|a| RankingTarget {
            application_id: a.id,
            medical_institution_code: a.medical_institution_code.clone(),
            institution_name: a.institution_name.clone(),
        })
        .collect();
    let resolved = match resolve_ranking(&file, prefecture, &targets) {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(problems)),
    };
    Ok(Ok(resolved
        .into_iter()
        .map(|r| {
            let previous = current
                .ranking
                .iter()
                .find(|p| p.application_id == r.application_id);
            RankInput {
                application_id: r.application_id,
                rank: r.rank,
                reasons: r
                    .reasons
                    .unwrap_or_else(|| previous.map(|p| p.reasons.clone()).unwrap_or_default()),
                decision: previous.and_then(|p| p.decision),
            }
        })
        .collect()))
}

/// Every problem of a ranking file in one refusal, each with its row and column.
pub fn ranking_file_error(e: &QuotaImportError) -> AppError {
    rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidRankingFile,
        Message::new("errors-invalid-ranking-file")
            .with("count", e.problems.len())
            .with("problems", e.listed()),
    )
}

#[derive(Serialize, ToSchema)]
pub struct IneligibleJson {
    application: i64,
    reasons: Vec<ReasonJson>,
}

#[derive(Serialize, ToSchema)]
pub struct WithdrawnJson {
    application: i64,
    date: String,
    reason: String,
    replaced_by: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BandJsonOut {
    min_beds: u32,
    max_beds: Option<u32>,
    quota: u32,
    selected: u32,
    waitlisted: u32,
    unused: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SelectionJson {
    /// Application ids in rank order.
    selected: Vec<i64>,
    /// Application ids in rank order.
    waitlisted: Vec<i64>,
    ineligible: Vec<IneligibleJson>,
    /// Open slots per band (未使用枠).
    unused_quota: Vec<u32>,
    withdrawn: Vec<WithdrawnJson>,
    bands: Vec<BandJsonOut>,
    /// Applications flagged for the prefecture's decision (a renewal whose on-site survey
    /// cannot finish by January) that have none yet, in rank order; counted as accepted
    /// meanwhile.
    undecided: Vec<i64>,
    /// The prefecture's decisions on flagged applications, in rank order; a declined one is
    /// listed as ineligible with the reason `declined_by_prefecture`.
    decisions: Vec<DecisionJson>,
    submitted_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionJson {
    application: i64,
    /// `accept` or `decline`.
    decision: String,
}

pub fn selection_json(book: &PrefectureBook) -> Result<SelectionJson, AppError> {
    let s = Judged::of(book)?
        .select(book.prefecture)
        .map_err(|e| selection_error(&e))?;
    Ok(SelectionJson {
        selected: s.selected.iter().map(|a| a.0).collect(),
        waitlisted: s.waitlisted.iter().map(|a| a.0).collect(),
        ineligible: s
            .ineligible
            .iter()
            .map(|i| IneligibleJson {
                application: i.application_id.0,
                reasons: i
                    .reasons
                    .iter()
                    .map(|r| ReasonJson::new(r.code.as_str(), &r.message))
                    .collect(),
            })
            .collect(),
        unused_quota: s.unused_quota(),
        withdrawn: s
            .withdrawn
            .iter()
            .map(|w| WithdrawnJson {
                application: w.application_id.0,
                date: w.date.to_string(),
                reason: w.reason.clone(),
                replaced_by: w.replaced_by.map(|a| a.0),
            })
            .collect(),
        bands: s
            .bands
            .iter()
            .map(|b| BandJsonOut {
                min_beds: b.band.min_beds,
                max_beds: b.band.max_beds,
                quota: b.quota,
                selected: b.selected,
                waitlisted: b.waitlisted,
                unused: b.unused,
            })
            .collect(),
        undecided: s.undecided.iter().map(|a| a.0).collect(),
        decisions: s
            .applications
            .iter()
            .filter_map(|o| {
                o.decision.map(|d| DecisionJson {
                    application: o.application_id.0,
                    decision: match d {
                        FlagDecision::Accept => "accept".into(),
                        FlagDecision::Decline => "decline".into(),
                    },
                })
            })
            .collect(),
        submitted_at: book.submission.as_ref().map(|s| s.submitted_at.clone()),
    })
}

/// The selection: walking the ranking from the top, an eligible hospital is selected while its
/// band has quota; the others wait in rank order; the ineligible are listed with reasons.
#[utoipa::path(get, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/selection", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")),
    responses((status = 200, body = SelectionJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get_selection(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
) -> ApiResult<Json<SelectionJson>> {
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&caller.user.principal(), prefecture)?;
    let book = book(&state, fy, prefecture).await?;
    Ok(Json(selection_json(&book)?))
}

/// 別紙1 as .xlsx bytes with its file name.
pub async fn list_file(
    state: &AppState,
    fy: FiscalYear,
    prefecture: Prefecture,
) -> Result<Response, AppError> {
    let book = book(state, fy, prefecture).await?;
    let judged = Judged::of(&book)?;
    let selection = judged.select(prefecture).map_err(|e| selection_error(&e))?;
    let bytes = mamori_reports::assurance_list::export_assurance_list(
        &judged.program,
        &judged.applications,
        &selection,
    )
    .map_err(|e| AppError::internal(e.to_string()))?;
    let name = format!("betsushi1_{}_{}.xlsx", fy.start_year(), prefecture.code());
    Ok(attachment(XLSX_CONTENT_TYPE, &name, bytes))
}

/// 別紙1「セキュリティ確保事業支援対象病院リスト」: one row per applicant with its answers,
/// rank, eligibility and status.
#[utoipa::path(get, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/list.xlsx", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn list_xlsx(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
) -> ApiResult<Response> {
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&caller.user.principal(), prefecture)?;
    Ok(list_file(&state, fy, prefecture).await?)
}

/// Submits the list; afterwards it is frozen except for withdrawals.
pub async fn submit_list(
    state: &AppState,
    principal: &Principal,
    fy: FiscalYear,
    prefecture: Prefecture,
) -> Result<SelectionJson, AppError> {
    state
        .store
        .change_survey(fy, prefecture, principal.user_id, |book| {
            if book.submission.is_some() {
                return Err(submitted_error(prefecture));
            }
            let selection = Judged::of(book)?
                .select(prefecture)
                .map_err(|e| selection_error(&e))?;
            // Each applicant is told its result in the transaction that submits the list.
            Ok(AssuranceChange::Submit(
                mamori_app::survey_notices::result_notices(book, &selection),
            ))
        })
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::NotFound => unknown_program(fy),
            other => other.into(),
        })??;
    let book = book(state, fy, prefecture).await?;
    selection_json(&book)
}

/// Submits the prefecture's list (別紙1) to the national office.
#[utoipa::path(post, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/submit", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")),
    responses((status = 200, body = SelectionJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
) -> ApiResult<Json<SelectionJson>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&principal, prefecture)?;
    Ok(Json(submit_list(&state, &principal, fy, prefecture).await?))
}
