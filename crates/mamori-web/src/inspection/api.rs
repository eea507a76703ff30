//! The inspection (立入検査) over the API: the verdict with its findings, and the observations.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_inspection))
        .routes(routes!(put_observations))
}

// ----- inspection ------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct FindingJson {
    /// The item's number as printed, e.g. `2(4)`; null for findings about the whole form.
    item: Option<String>,
    item_key: Option<String>,
    code: String,
    /// `blocking` (not ready until fixed), `advice` or `info`.
    severity: String,
    message_ja: String,
    message_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct InspectionJson {
    ready: bool,
    fiscal_year: i32,
    guide_version: String,
    contact_chart_seen: Option<bool>,
    findings: Vec<FindingJson>,
}

/// The verdict for the on-site inspection, by the rules of that fiscal year's guide.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = InspectionJson), (status = 404, body = ErrorBody)))]
pub async fn get_inspection(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year)): Path<(String, String)>,
) -> ApiResult<Json<InspectionJson>> {
    let id = service::parse_id(&id)?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let a =
        service::visible_assessment(&state, &caller.user.principal(), id, fy, "inspection").await?;
    Ok(Json(inspection_json(&a)))
}

pub fn inspection_json(a: &service::Assessment<'_>) -> InspectionJson {
    InspectionJson {
        ready: a.verdict.ready,
        fiscal_year: a.fiscal_year.start_year(),
        guide_version: a.rules.version.clone(),
        contact_chart_seen: a.observation.as_ref().map(|o| o.contact_chart_seen),
        findings: a
            .verdict
            .findings
            .iter()
            .map(|f| FindingJson {
                item: f.item_number.clone(),
                item_key: f.item_key.clone(),
                code: f.code.as_str().into(),
                severity: match f.severity {
                    mamori_domain::Severity::Blocking => "blocking",
                    mamori_domain::Severity::Advice => "advice",
                    mamori_domain::Severity::Info => "info",
                }
                .into(),
                message_ja: f.message.render(crate::http::i18n::Lang::Ja),
                message_en: f.message.render(crate::http::i18n::Lang::En),
            })
            .collect(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationsRequest {
    /// Whether the inspector saw the contact chart (連絡体制図) itself.
    contact_chart_seen: bool,
}

/// Records what the inspector saw on site (inspectors of the institution's prefecture only).
#[utoipa::path(put, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/observations", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)), request_body = ObservationsRequest,
    responses((status = 200, body = InspectionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_observations(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year)): Path<(String, String)>,
    ApiJson(body): ApiJson<ObservationsRequest>,
) -> ApiResult<Json<InspectionJson>> {
    let principal = caller.user.principal();
    let institution =
        service::visible_institution(&state, &principal, service::parse_id(&id)?).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::record_observation(
        &state,
        &principal,
        &institution,
        fy,
        body.contact_chart_seen,
    )
    .await?;
    let a = service::assessment(&state, institution, fy).await?;
    Ok(Json(inspection_json(&a)))
}
