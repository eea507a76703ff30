//! インシデントかも?: the consultation cases' service and JSON API. An institution's users
//! report; the answer carries the urgency, the first-response steps and who to call now (from
//! the institution's contact chart). The desk (support operator, national office) lists the
//! cases, changes their state and adds notes; the reporting institution reads its cases and
//! adds notes. Anyone else gets 404 for a case: another institution, vendors, inspectors and
//! prefecture officers alike.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::incident::{
    self, CallNow, CallSource, CaseState, FirstStep, Report, ReportInput, Urgency,
};
use mamori_domain::{Principal, Role};
use mamori_store::{CaseScope, IncidentCase, IncidentNote, NoteSide, StateChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::contact_chart::api::stored_chart;
use crate::http::api::{ApiJson, body_after_access};
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use crate::http::ids::{CaseId, Ids};
use mamori_app as service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident))
        .routes(routes!(put_state))
        .routes(routes!(post_note))
}

// ----- service ---------------------------------------------------------------------------

/// Which cases the caller may read; none (404) for everyone but the desk and institutions.
pub fn case_scope(principal: &Principal) -> Option<CaseScope> {
    if principal.is_incident_desk() {
        Some(CaseScope::Desk)
    } else {
        principal
            .incident_reporter_for()
            .map(CaseScope::Institution)
    }
}

/// A new case, as stored and as answered.
pub struct Reported {
    pub case_id: i64,
    pub report: Report,
    pub urgency: Urgency,
}

/// Checks the answers and stores the case for the caller's institution. Those who have no
/// institution to report for get 403 before their answers are read.
pub async fn report(
    state: &AppState,
    principal: &Principal,
    input: &ReportInput,
) -> Result<Reported, AppError> {
    let institution_id = principal
        .incident_reporter_for()
        .ok_or(AppError::forbidden())?;
    let report = input
        .parse(service::now_in_japan())
        .map_err(AppError::fields)?;
    let urgency = incident::urgency(&report);
    let case_id = state
        .store
        .create_incident(institution_id, &report, urgency, principal.user_id)
        .await?;
    Ok(Reported {
        case_id,
        report,
        urgency,
    })
}

/// The report of a stored case, for its steps.
pub fn stored_report(case: &IncidentCase) -> Report {
    Report {
        symptoms: case.symptoms.clone(),
        systems: case.systems.clone(),
        started_at: incident::parse_local_time(&case.started_at).unwrap_or_default(),
        care: case.care,
        details: case.details.clone(),
        callback_phone: None,
    }
}

/// Who the institution should call now: its contact chart, else its admins; then the
/// ministry and the police when the chart does not name them.
pub async fn contacts_of(state: &AppState, institution_id: i64) -> Result<Vec<CallNow>, AppError> {
    let (stored, contracts, users) = tokio::try_join!(
        stored_chart(state, institution_id),
        async { Ok(service::coverage::vendor_contracts(state, institution_id).await?) },
        async { Ok(state.store.users_of_institution(institution_id).await?) },
    )?;
    let stored = stored.map(|(chart, _)| chart);
    let admins: Vec<String> = users
        .into_iter()
        .filter(|u| u.role == Role::InstitutionAdmin && !u.disabled)
        .map(|u| u.login)
        .collect();
    Ok(incident::call_now(stored.as_ref(), &contracts, &admins))
}

/// The case, if the caller may read it (else 404); the read is written to the institution's
/// access log.
pub async fn visible_case(
    state: &AppState,
    principal: &Principal,
    case_id: i64,
) -> Result<(IncidentCase, CaseScope), AppError> {
    let scope = case_scope(principal).ok_or(AppError::not_found())?;
    let case = state
        .store
        .incident(scope, case_id)
        .await?
        .ok_or(AppError::not_found())?;
    service::record_read(state, principal, case.institution_id, "incident").await?;
    Ok((case, scope))
}

/// Everything a case page or answer shows.
pub struct CaseView {
    pub case: IncidentCase,
    pub notes: Vec<IncidentNote>,
    pub history: Vec<StateChange>,
    pub steps: Vec<FirstStep>,
    pub calls: Vec<CallNow>,
}

pub async fn case_view(
    state: &AppState,
    principal: &Principal,
    case_id: i64,
) -> Result<CaseView, AppError> {
    let (case, scope) = visible_case(state, principal, case_id).await?;
    let (notes, history, calls) = tokio::try_join!(
        async { Ok::<_, AppError>(state.store.incident_notes(scope, case.id).await?) },
        async { Ok(state.store.incident_state_changes(scope, case.id).await?) },
        contacts_of(state, case.institution_id),
    )?;
    let steps = incident::first_steps(&state.catalog.first_steps, &stored_report(&case));
    Ok(CaseView {
        case,
        notes,
        history,
        steps,
        calls,
    })
}

/// Moves a case to `to` (the desk only: 403 for the reporting institution, 404 for others).
pub async fn change_state(
    state: &AppState,
    principal: &Principal,
    case_id: i64,
    to: &str,
) -> Result<(), AppError> {
    let (case, scope) = visible_case(state, principal, case_id).await?;
    if !principal.is_incident_desk() {
        return Err(AppError::forbidden());
    }
    let to = CaseState::parse(to).ok_or_else(|| {
        AppError::invalid(mamori_domain::ParseError::new(
            "state",
            Message::new("incidents-invalid-state").with("value", to.trim()),
        ))
    })?;
    let outcome = state
        .store
        .set_incident_state(scope, case.id, to, principal.user_id, |from| {
            incident::check_transition(from, to)
        })
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::Conflict(_) => AppError::rejected(
                StatusCode::CONFLICT,
                ErrorCode::StaleState,
                Message::new("errors-stale-state"),
            ),
            other => other.into(),
        })?;
    outcome.map_err(|e| {
        AppError::rejected(
            StatusCode::CONFLICT,
            ErrorCode::of_rule(e.code()),
            e.message(),
        )
    })
}

/// Adds a note: the desk's, or the reporting institution's.
pub async fn add_note(
    state: &AppState,
    principal: &Principal,
    case_id: i64,
    text: &str,
) -> Result<i64, AppError> {
    let (case, scope) = visible_case(state, principal, case_id).await?;
    let body = incident::parse_note(text).map_err(|p| AppError::fields(vec![p]))?;
    let side = if principal.is_incident_desk() {
        NoteSide::Desk
    } else {
        NoteSide::Institution
    };
    Ok(state
        .store
        .add_incident_note(scope, case.id, side, &body, principal.user_id)
        .await?)
}

/// A `tel:` link for a dial string; `#` (as in #9110) is escaped as the URI requires.
pub fn tel_href(dial: &str) -> String {
    format!("tel:{}", dial.replace('#', "%23"))
}

// ----- JSON ------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct CreateIncident {
    /// What is happening, one or more of `ransom_note`, `files_encrypted`, `cannot_log_in`,
    /// `strange_traffic`, `vendor_warning`, `other`.
    pub symptoms: Vec<String>,
    /// Which systems, one or more of `emr` (電子カルテ), `receipt_computer` (レセコン),
    /// `pacs`, `network`, `other`.
    pub systems: Vec<String>,
    /// Since when, Japan time: `2026-11-24T09:30`, or an RFC 3339 instant.
    pub started_at: String,
    /// Is patient care affected: `yes`, `no` or `unknown`.
    pub care_affected: String,
    /// What else the desk should know.
    #[serde(default)]
    pub details: String,
    /// A number the desk can call back.
    #[serde(default)]
    pub callback_phone: String,
}

impl CreateIncident {
    fn input(self) -> ReportInput {
        ReportInput {
            symptoms: self.symptoms,
            systems: self.systems,
            started_at: self.started_at,
            care_affected: self.care_affected,
            details: self.details,
            callback_phone: self.callback_phone,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FirstStepJson {
    /// `isolate_network`, `keep_power_on`, `keep_evidence`, `do_not_pay`, `call_vendor`,
    /// `tell_management`, `report_authorities`, `personal_data` or `watch`.
    pub code: String,
    pub title_ja: String,
    pub title_en: String,
    pub detail_ja: String,
    pub detail_en: String,
}

pub fn step_json(s: &FirstStep) -> FirstStepJson {
    FirstStepJson {
        code: s.code.clone(),
        title_ja: s.title_ja.clone(),
        title_en: s.title_en.clone(),
        detail_ja: s.detail_ja.clone(),
        detail_en: s.detail_en.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct PhoneJson {
    /// As written on the chart: `03-5253-1111`.
    pub number: String,
    pub extension: Option<String>,
    /// A `tel:` link.
    pub tel: String,
}

#[derive(Serialize, ToSchema)]
pub struct CallNowJson {
    /// The step of the chart's order of calls; null for contacts added by mamori.
    pub step: Option<usize>,
    pub who_ja: String,
    pub who_en: String,
    pub name: String,
    pub organisation: String,
    pub phones: Vec<PhoneJson>,
    pub hours_ja: Option<String>,
    pub hours_en: Option<String>,
    pub notes: String,
    pub link: Option<String>,
    /// `chart` (the contact chart), `institution_admin` (no chart: the institution's admins,
    /// no phone numbers held) or `national` (the ministry and the police).
    pub source: String,
}

pub fn call_json(c: &CallNow) -> CallNowJson {
    CallNowJson {
        step: c.step,
        who_ja: c.who_ja.clone(),
        who_en: c.who_en.clone(),
        name: c.name.clone(),
        organisation: c.organisation.clone(),
        phones: c
            .phones
            .iter()
            .map(|p| PhoneJson {
                number: p.number().into(),
                extension: p.extension().map(str::to_owned),
                tel: tel_href(&p.dial_string()),
            })
            .collect(),
        hours_ja: c.hours_ja.clone(),
        hours_en: c.hours_en.clone(),
        notes: c.notes.clone(),
        link: c.link.clone(),
        source: match c.source {
            CallSource::Chart => "chart",
            CallSource::InstitutionAdmin => "institution_admin",
            CallSource::National => "national",
        }
        .into(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct IncidentCreated {
    pub case_id: i64,
    /// `critical` (緊急), `high`, `medium` or `low`.
    pub urgency: String,
    pub advice_ja: String,
    pub advice_en: String,
    /// What to do now, in order.
    pub first_steps: Vec<FirstStepJson>,
    /// Who to call now, in order.
    pub call_now: Vec<CallNowJson>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentSummaryJson {
    pub case_id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub reported_by: String,
    /// `critical`, `high`, `medium` or `low`.
    pub urgency: String,
    /// `new` (受付), `in_progress` (対応中), `resolved` (解決) or `closed` (終了).
    pub state: String,
    pub symptoms: Vec<String>,
    pub systems: Vec<String>,
    /// `yes`, `no` or `unknown`.
    pub care_affected: String,
    /// Japan time.
    pub started_at: String,
    pub created_at: String,
    pub updated_at: String,
}

fn summary_json(c: &IncidentCase) -> IncidentSummaryJson {
    IncidentSummaryJson {
        case_id: c.id,
        institution_id: c.institution_id,
        institution_name: c.institution_name.clone(),
        reported_by: c.reported_by.clone(),
        urgency: c.urgency.as_str().into(),
        state: c.state.as_str().into(),
        symptoms: c.symptoms.iter().map(|s| s.as_str().to_owned()).collect(),
        systems: c.systems.iter().map(|s| s.as_str().to_owned()).collect(),
        care_affected: c.care.as_str().into(),
        started_at: c.started_at.clone(),
        created_at: c.created_at.clone(),
        updated_at: c.updated_at.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct NoteJson {
    pub id: i64,
    /// `desk` or `institution`.
    pub side: String,
    pub author: String,
    pub text: String,
    pub created_at: String,
}

fn note_json(n: &IncidentNote) -> NoteJson {
    NoteJson {
        id: n.id,
        side: n.side.as_str().into(),
        author: n.author.clone(),
        text: n.body.clone(),
        created_at: n.created_at.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct StateChangeJson {
    /// Null for the case's creation.
    pub from: Option<String>,
    pub to: String,
    pub changed_by: String,
    pub changed_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentJson {
    #[serde(flatten)]
    pub summary: IncidentSummaryJson,
    pub details: String,
    pub callback_phone: Option<String>,
    pub first_steps: Vec<FirstStepJson>,
    pub call_now: Vec<CallNowJson>,
    pub notes: Vec<NoteJson>,
    pub history: Vec<StateChangeJson>,
}

fn incident_json(v: &CaseView) -> IncidentJson {
    IncidentJson {
        summary: summary_json(&v.case),
        details: v.case.details.clone(),
        callback_phone: v.case.callback_phone.clone(),
        first_steps: v.steps.iter().map(step_json).collect(),
        call_now: v.calls.iter().map(call_json).collect(),
        notes: v.notes.iter().map(note_json).collect(),
        history: v
            .history
            .iter()
            .map(|h| StateChangeJson {
                from: h.from.map(|s| s.as_str().to_owned()),
                to: h.to.as_str().into(),
                changed_by: h.changed_by.clone(),
                changed_at: h.changed_at.clone(),
            })
            .collect(),
    }
}

// ----- handlers --------------------------------------------------------------------------

/// Reports a suspected incident for the caller's institution (its admins and staff). The
/// answer says at once how urgent it is, what to do and whom to call. A missing or unknown
/// answer is refused (422) with every field at fault, and nothing is stored.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    request_body = CreateIncident,
    responses((status = 201, body = IncidentCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_incident(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<IncidentCreated>)> {
    let principal = caller.user.principal();
    let institution_id = principal
        .incident_reporter_for()
        .ok_or(AppError::forbidden())?;
    // Read after the access check, so that those who may not report learn nothing more.
    let body: CreateIncident = body_after_access(body, "errors-invalid-body-fields")?;
    let reported = report(&state, &principal, &body.input()).await?;
    let calls = contacts_of(&state, institution_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(IncidentCreated {
            case_id: reported.case_id,
            urgency: reported.urgency.as_str().into(),
            advice_ja: reported.urgency.advice_ja().into(),
            advice_en: reported.urgency.advice_en().into(),
            first_steps: incident::first_steps(&state.catalog.first_steps, &reported.report)
                .iter()
                .map(step_json)
                .collect(),
            call_now: calls.iter().map(call_json).collect(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only the cases in this state: `new`, `in_progress`, `resolved` or `closed`.
    state: Option<String>,
}

/// The cases the caller may see: every case for the desk, the institution's own for its
/// users (404 for everyone else). Cases 受付 first, then 対応中, the most urgent first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = Vec<IncidentSummaryJson>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<IncidentSummaryJson>>> {
    let principal = caller.user.principal();
    let scope = case_scope(&principal).ok_or(AppError::not_found())?;
    let filter = parse_state_filter(q.state.as_deref())?;
    let cases = state.store.incidents(scope, filter, 500).await?;
    Ok(Json(cases.iter().map(summary_json).collect()))
}

pub fn parse_state_filter(text: Option<&str>) -> Result<Option<CaseState>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => CaseState::parse(t).map(Some).ok_or_else(|| {
            AppError::invalid(mamori_domain::ParseError::new(
                "state",
                Message::new("incidents-invalid-state").with("value", t),
            ))
        }),
    }
}

/// One case with its steps, whom to call, notes and state history: the reporting
/// institution's users and the desk; 404 for everyone else.
#[utoipa::path(get, path = "/api/v1/incidents/{case_id}", tag = "incidents", security(("bearer" = [])),
    params(("case_id" = i64, Path)),
    responses((status = 200, body = IncidentJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_incident(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(case_id): Ids<CaseId>,
) -> ApiResult<Json<IncidentJson>> {
    let principal = caller.user.principal();
    let view = case_view(&state, &principal, case_id.get()).await?;
    Ok(Json(incident_json(&view)))
}

#[derive(Deserialize, ToSchema)]
pub struct PutState {
    /// `in_progress`, `resolved` or `closed` (a case never goes back to `new`).
    pub state: String,
}

/// Changes a case's state: the desk only (403 for the reporting institution, 404 for
/// others). The same state again, or back to `new`, is refused with 409.
#[utoipa::path(put, path = "/api/v1/incidents/{case_id}/state", tag = "incidents", security(("bearer" = [])),
    params(("case_id" = i64, Path)), request_body = PutState,
    responses((status = 200, body = IncidentJson), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_state(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(case_id): Ids<CaseId>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<IncidentJson>> {
    let principal = caller.user.principal();
    let case_id = case_id.get();
    let (case, _) = visible_case(&state, &principal, case_id).await?;
    if !principal.is_incident_desk() {
        return Err(AppError::forbidden().into());
    }
    let body: PutState = body_after_access(body, "errors-invalid-body-fields")?;
    change_state(&state, &principal, case.id, &body.state).await?;
    let view = case_view(&state, &principal, case.id).await?;
    Ok(Json(incident_json(&view)))
}

#[derive(Deserialize, ToSchema)]
pub struct PostNote {
    /// At most 4,000 characters. Notes are shown to the desk and to the institution alike.
    pub text: String,
}

/// Adds a note to a case: the desk, or the reporting institution's users.
#[utoipa::path(post, path = "/api/v1/incidents/{case_id}/notes", tag = "incidents", security(("bearer" = [])),
    params(("case_id" = i64, Path)), request_body = PostNote,
    responses((status = 201, body = NoteJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_note(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(case_id): Ids<CaseId>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<NoteJson>)> {
    let principal = caller.user.principal();
    let case_id = case_id.get();
    let (case, scope) = visible_case(&state, &principal, case_id).await?;
    let body: PostNote = body_after_access(body, "errors-invalid-body-fields")?;
    let id = add_note(&state, &principal, case.id, &body.text).await?;
    let note = state
        .store
        .incident_notes(scope, case.id)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(AppError::not_found())?;
    Ok((StatusCode::CREATED, Json(note_json(&note))))
}
