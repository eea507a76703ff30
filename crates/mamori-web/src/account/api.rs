//! Signing in and out of the API with a bearer token, and who the token belongs to.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use mamori_store::SessionKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::auth::{self, ApiUser};
use crate::http::error::{ApiResult, AppError, ErrorBody};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    login: String,
    password: String,
    /// The second factor, for accounts with two-factor authentication: the 6-digit code of
    /// the authenticator app, or a recovery code.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    expires_in_seconds: i64,
}

/// Exchanges a login and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    client: auth::ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    match auth::login(
        &state,
        &body.login,
        &body.password,
        SessionKind::Api,
        body.totp.as_deref(),
        &client,
    )
    .await?
    {
        auth::LoginStep::Done { token, .. } => Ok(Json(LoginResponse {
            token,
            expires_in_seconds: state.config.api_token_ttl.num_seconds(),
        })),
        auth::LoginStep::SecondFactor { .. } => {
            Err(AppError::internal("an API login never stops at the second factor").into())
        }
    }
}

/// Revokes the bearer token used for this request.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: ApiUser) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    login: String,
    /// `national_admin`, `inspector`, `prefecture_officer`, `admin` (of an institution) or
    /// `staff`.
    role: String,
    institution_id: Option<i64>,
    /// JIS X 0401 code of an inspector's or a prefecture officer's prefecture.
    prefecture: Option<String>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: ApiUser) -> Json<Me> {
    let u = caller.user;
    Json(Me {
        login: u.login,
        role: u.role.api_name().into(),
        institution_id: u.institution_id,
        prefecture: u.prefecture.map(|p| p.code()),
    })
}
