//! The contact chart (連絡体制図) and the backup and BCP records over the API, and the
//! reading of both that the pages, the checklist's evidence and the support suggestions share.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_domain::contact_chart::{
    ChartStatus, ContactChart, ContactChartInput, FieldProblem, chart_status,
};
use mamori_domain::continuity::{ContinuityWarning, ItemEvidence, continuity_warnings, evidence};
use mamori_domain::{FiscalYear, Principal};
use mamori_reports::contact_chart_svg::{ChartLanguage, render_contact_chart_svg};
use mamori_store::Institution;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::{Answered, Opening, Visible};
use crate::http::api::{ApiJson, body_after_access};
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use mamori_app::{self as service, today_in_japan};

pub use mamori_app::ContinuityRecords;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_contact_chart, put_contact_chart))
        .routes(routes!(contact_chart_svg))
        .routes(routes!(get_continuity, put_continuity))
}

// ----- contact chart ---------------------------------------------------------------------

/// The chart as `PUT` takes it, with its version and its state: `PUT` accepts it unchanged.
#[derive(Serialize, ToSchema)]
pub struct ContactChartJson {
    /// The chart's fields as `PUT` takes them (each entry flat; `phones`, `email` and `hours`
    /// as text: `03-5253-1111 内線4392`, `平日 9:00〜17:00`); left out without a chart.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub chart: Option<ContactChartInput>,
    /// The version to send back as `if_updated_at` to avoid overwriting another edit.
    pub updated_at: Option<String>,
    /// Where the chart stands for item 3(1): `none`, `draft` or `complete`, with what is
    /// missing.
    #[schema(value_type = Object)]
    pub status: ChartStatus,
}

/// The stored chart, parsed.
pub async fn stored_chart(
    state: &AppState,
    institution_id: i64,
) -> Result<Option<(ContactChart, String)>, AppError> {
    chart_of(state.store.contact_chart(institution_id).await?.as_ref())
}

/// The contact chart of a stored document, with its version (`updated_at`).
pub fn chart_of(
    doc: Option<&mamori_store::Document>,
) -> Result<Option<(ContactChart, String)>, AppError> {
    match doc {
        None => Ok(None),
        Some(doc) => {
            let chart: ContactChart = serde_json::from_str(&doc.json)
                .map_err(|e| AppError::internal(format!("stored contact chart: {e}")))?;
            Ok(Some((chart, doc.updated_at.clone())))
        }
    }
}

/// The institution's contact chart (連絡体制図) and its state for item 3(1).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/contact-chart", tag = "readiness", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContactChartJson), (status = 404, body = ErrorBody)))]
pub async fn get_contact_chart(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
) -> ApiResult<Json<ContactChartJson>> {
    service::record_read(&state, &principal, institution.id, "contact_chart").await?;
    let (stored, contracts) = tokio::try_join!(stored_chart(&state, institution.id), async {
        Ok(service::coverage::vendor_contracts(&state, institution.id).await?)
    })?;
    let status = chart_status(stored.as_ref().map(|s| &s.0), &contracts, today_in_japan());
    let (chart, updated_at) = stored.unzip();
    Ok(Json(ContactChartJson {
        chart: chart.as_ref().map(ContactChart::to_input),
        updated_at,
        status,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PutContactChart {
    /// The chart: `institution_name`, `revised_on`, `internal` (roles `administrator`,
    /// `security_manager`, `on_call`, …), `vendors` (by `contract_id`), `outside` (bodies
    /// `mhlw`, `prefecture`, `police`, `insurer`, …), each entry flat with `name`,
    /// `organisation`, `phones`, `email`, `hours`, `notes`; `call_order` (empty: the default
    /// order). The fields `GET` gives besides (`updated_at`, `status`) are ignored.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub chart: ContactChartInput,
    /// The `updated_at` the edit started from; a newer stored chart refuses the edit (409).
    #[serde(default)]
    pub if_updated_at: Option<String>,
}

/// Validates the chart (phone numbers, e-mail addresses, …: every problem with its path)
/// and stores it.
pub async fn save_chart(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    input: &ContactChartInput,
    if_updated_at: Option<&str>,
) -> Result<(), AppError> {
    if !principal.can_answer(institution.id) {
        return Err(AppError::forbidden());
    }
    let contracts = service::coverage::vendor_contracts(state, institution.id).await?;
    let chart = input.parse(&contracts).map_err(AppError::fields)?;
    let json = serde_json::to_string(&chart).map_err(|e| AppError::internal(e.to_string()))?;
    state
        .store
        .put_contact_chart(institution.id, &json, if_updated_at, principal.user_id)
        .await
        .map_err(stale_edit)?;
    Ok(())
}

fn stale_edit(e: mamori_store::StoreError) -> AppError {
    match e {
        mamori_store::StoreError::Conflict(_) => AppError::rejected(
            StatusCode::CONFLICT,
            ErrorCode::StaleEdit,
            Message::new("errors-stale-edit"),
        ),
        other => other.into(),
    }
}

/// Replaces the institution's contact chart: its own users only.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/contact-chart", tag = "readiness", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PutContactChart,
    responses((status = 200, body = ContactChartJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_contact_chart(
    State(state): State<AppState>,
    Opening(caller, principal, institution): Answered,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<ContactChartJson>> {
    // Parsed after the access check, so that outsiders learn nothing from the errors.
    let body: PutContactChart = body_after_access(body, "errors-invalid-contact-chart")?;
    save_chart(
        &state,
        &principal,
        &institution,
        &body.chart,
        body.if_updated_at.as_deref(),
    )
    .await?;
    get_contact_chart(State(state), Opening(caller, principal, institution)).await
}

/// The contact chart drawn on one A4 page (SVG), in the caller's language (`?lang=en`).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/contact-chart.svg", tag = "readiness", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn contact_chart_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    Opening(_, principal, institution): Visible,
) -> ApiResult<Response> {
    let lang = crate::http::i18n::lang_of(&headers);
    Ok(chart_svg_response(&state, &principal, &institution, lang).await?)
}

pub async fn chart_svg_response(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    lang: crate::http::i18n::Lang,
) -> Result<Response, AppError> {
    service::record_read(state, principal, institution.id, "contact_chart").await?;
    let (chart, _) = stored_chart(state, institution.id)
        .await?
        .ok_or_else(no_chart)?;
    let contracts = service::coverage::vendor_contracts(state, institution.id).await?;
    let language = if lang == crate::http::i18n::Lang::En {
        ChartLanguage::En
    } else {
        ChartLanguage::Ja
    };
    let svg = render_contact_chart_svg(&chart, &contracts, language);
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}

pub fn no_chart() -> AppError {
    AppError::rejected(
        StatusCode::NOT_FOUND,
        ErrorCode::NoContactChart,
        Message::new("errors-no-contact-chart"),
    )
}

// ----- backup and BCP --------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ContinuityJson {
    #[serde(flatten)]
    pub records: ContinuityRecords,
    pub updated_at: Option<String>,
    /// A restore test older than a year, no offline copy, no BCP …
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<ContinuityWarning>,
    /// What the records show for items 3(2) and 3(3) of this fiscal year's form.
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<ItemEvidence>,
}

pub async fn stored_continuity(
    state: &AppState,
    institution_id: i64,
) -> Result<(ContinuityRecords, Option<String>), AppError> {
    continuity_of(
        state
            .store
            .continuity_records(institution_id)
            .await?
            .as_ref(),
    )
}

/// The backup and BCP records of a stored document, with its version (`updated_at`); empty
/// records when there is none.
pub fn continuity_of(
    doc: Option<&mamori_store::Document>,
) -> Result<(ContinuityRecords, Option<String>), AppError> {
    match doc {
        None => Ok((ContinuityRecords::default(), None)),
        Some(doc) => Ok((
            serde_json::from_str(&doc.json)
                .map_err(|e| AppError::internal(format!("stored continuity records: {e}")))?,
            Some(doc.updated_at.clone()),
        )),
    }
}

/// Evidence for items 3(2) and 3(3) on the institution's form of the fiscal year.
pub fn continuity_evidence(
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
    records: &ContinuityRecords,
) -> Vec<ItemEvidence> {
    match service::version_and_rules(state, institution, fiscal_year) {
        Ok((version, _)) => evidence(
            version,
            fiscal_year,
            &records.backups,
            records.bcp.as_ref(),
            today_in_japan(),
        ),
        Err(_) => Vec::new(),
    }
}

/// The institution's backup and BCP records, their warnings and the evidence they give.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/continuity", tag = "readiness", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContinuityJson), (status = 404, body = ErrorBody)))]
pub async fn get_continuity(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
) -> ApiResult<Json<ContinuityJson>> {
    service::record_read(&state, &principal, institution.id, "continuity").await?;
    let (records, updated_at) = stored_continuity(&state, institution.id).await?;
    let today = today_in_japan();
    let fy = FiscalYear::containing(today);
    Ok(Json(ContinuityJson {
        warnings: continuity_warnings(&records.backups, records.bcp.as_ref(), today),
        evidence: continuity_evidence(&state, &institution, fy, &records),
        records,
        updated_at,
    }))
}

/// Checks and stores the records.
pub async fn save_continuity(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    records: &ContinuityRecords,
    if_updated_at: Option<&str>,
) -> Result<(), AppError> {
    if !principal.can_answer(institution.id) {
        return Err(AppError::forbidden());
    }
    let today = today_in_japan();
    let problems: Vec<FieldProblem> = records
        .backups
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            b.problems(today).into_iter().map(move |p| FieldProblem {
                path: format!("backups[{i}].{}", p.path),
                ..p
            })
        })
        .collect();
    if !problems.is_empty() {
        return Err(AppError::fields(problems));
    }
    let json = serde_json::to_string(records).map_err(|e| AppError::internal(e.to_string()))?;
    state
        .store
        .put_continuity_records(
            institution.id,
            (
                &json,
                mamori_domain::continuity::restore_test_due(&records.backups),
            ),
            if_updated_at,
            principal.user_id,
        )
        .await
        .map_err(stale_edit)?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct PutContinuity {
    #[serde(flatten)]
    pub records: ContinuityRecords,
    #[serde(default)]
    pub if_updated_at: Option<String>,
}

/// Replaces the institution's backup and BCP records: its own users only.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/continuity", tag = "readiness", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PutContinuity,
    responses((status = 200, body = ContinuityJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_continuity(
    State(state): State<AppState>,
    Opening(caller, principal, institution): Answered,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<ContinuityJson>> {
    let body: PutContinuity = body_after_access(body, "errors-invalid-backup-records")?;
    save_continuity(
        &state,
        &principal,
        &institution,
        &body.records,
        body.if_updated_at.as_deref(),
    )
    .await?;
    get_continuity(State(state), Opening(caller, principal, institution)).await
}
