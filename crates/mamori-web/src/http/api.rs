//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Every handler is annotated with `#[utoipa::path]` and registered with `routes!`, so that
//! the routes and the document cannot drift apart. This module holds what every feature's
//! API shares: the document's root, the bearer scheme, the JSON body extractor and the
//! health check.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;

#[derive(OpenApi)]
#[openapi(
    info(title = "mamori API", description = "医療機関のサイバーセキュリティ対策チェックリストと立入検査 — the cybersecurity checklist of medical institutions and its inspection"),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A JSON body whose every rejection (malformed JSON, wrong types, missing fields, wrong
/// content type) is answered with the API's bilingual error.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection).into()),
        }
    }
}

impl<T: serde::de::DeserializeOwned> ApiJson<T> {
    /// Reads a body the handler has taken as bytes, with the extractor's refusals: for routes
    /// that check who asks before they read the body, so a caller without the right gets 403
    /// whatever the body holds.
    pub fn parse(bytes: &[u8]) -> Result<T, AppError> {
        Json::<T>::from_bytes(bytes)
            .map(|Json(value)| value)
            .map_err(|rejection| json_rejection(&rejection))
    }
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::JsonRequired,
            Message::new("errors-json-required"),
        ),
        JsonRejection::JsonSyntaxError(_) => AppError::rejected(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            Message::new("errors-malformed-json").with("detail", detail),
        ),
        _ => AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            Message::new("errors-invalid-body-fields").with("detail", detail),
        ),
    }
}

/// The document's root with the health check; each feature merges its own routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(healthz))
}

// ----- health and session ----------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await.map_err(|_| {
        AppError::rejected(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
            Message::new("errors-database-unavailable"),
        )
    })?;
    Ok(Json(Health {
        status: "ok",
        database: state.store.engine(),
    }))
}
