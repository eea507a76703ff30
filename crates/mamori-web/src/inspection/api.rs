//! The inspection (立入検査) over the API: the verdict with its findings, and the observations.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::ids::{Ids, InstitutionId};
use mamori_app as service;

pub use mamori_app::inspection::{FindingJson, InspectionJson, inspection_json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_inspection))
        .routes(routes!(put_observations))
}

// ----- inspection ------------------------------------------------------------------------

/// The verdict for the on-site inspection, by the rules of that fiscal year's guide.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = InspectionJson), (status = 404, body = ErrorBody)))]
pub async fn get_inspection(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((id, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<InspectionJson>> {
    let id = id.get();
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let a =
        service::visible_assessment(&state, &caller.user.principal(), id, fy, "inspection").await?;
    Ok(Json(inspection_json(&a)))
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
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
    ApiJson(body): ApiJson<ObservationsRequest>,
) -> ApiResult<Json<InspectionJson>> {
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
