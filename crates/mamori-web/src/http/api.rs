//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Every handler is annotated with `#[utoipa::path]` and registered with `routes!`, so that
//! the routes and the document cannot drift apart. This module holds what every feature's
//! API shares: the document's root, the bearer scheme, the JSON body extractor and the
//! health check.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use mamori_app as service;
use mamori_domain::Principal;
use mamori_store::Institution;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use crate::http::ids::{self, InstitutionId};

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

/// Reads a body the handler has taken as a JSON value, for routes that check who asks before
/// they read it, so that those without the right learn nothing from its errors: a body that
/// does not fit is 422, `message` (which takes the `detail`) saying what is wrong.
pub fn body_after_access<T: serde::de::DeserializeOwned>(
    body: serde_json::Value,
    message: &'static str,
) -> Result<T, AppError> {
    serde_json::from_value(body).map_err(|e| {
        AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            Message::new(message).with("detail", e.to_string()),
        )
    })
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

/// How a route may reach the institution its path names: the caller sees it (404 otherwise,
/// as [`service::visible_institution`])…
pub const SEES: u8 = 0;
/// …administers it (its admin, the national office: 404 outside the caller's scope, 403
/// inside it without the right)…
pub const ADMINISTERS: u8 = 1;
/// …or answers for it (its own users: 404 outside the caller's scope, 403 inside it).
pub const ANSWERS_FOR: u8 = 2;

/// The institution `id`, if the caller reaches it as `reach` asks.
pub async fn reach_institution(
    state: &AppState,
    principal: &Principal,
    id: InstitutionId,
    reach: u8,
) -> Result<Institution, AppError> {
    if reach == ADMINISTERS {
        return Ok(service::administered_institution(state, principal, id.get()).await?);
    }
    let institution = service::visible_institution(state, principal, id.get()).await?;
    if reach == ANSWERS_FOR && !principal.can_answer(institution.id) {
        return Err(AppError::forbidden());
    }
    Ok(institution)
}

/// The opening of the routes under `/api/v1/institutions/{id}`: the caller, its principal,
/// and the institution the path names if the caller reaches it as `REACH` asks, before the
/// handler reads anything else.
pub struct Opening<const REACH: u8>(pub ApiUser, pub Principal, pub Institution);

/// An institution the caller sees.
pub type Visible = Opening<SEES>;

/// An institution the caller administers.
pub type Administered = Opening<ADMINISTERS>;

/// An institution the caller answers for.
pub type Answered = Opening<ANSWERS_FOR>;

impl<const REACH: u8> FromRequestParts<AppState> for Opening<REACH> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = ApiUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = ids::named(parts, state, "id").await?;
        let principal = caller.user.principal();
        match reach_institution(state, &principal, id, REACH).await {
            Ok(institution) => Ok(Self(caller, principal, institution)),
            Err(e) => Err(ApiError(e).into_response()),
        }
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
