//! The mails that could not be sent after the last attempt (送信できなかったメール), for the
//! national office: to whom, why, and sending one again.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::i18n::Lang;
use crate::http::ids::{Ids, MailId};
use crate::http::page::{Chrome, PageError, PageResult, SignedIn, instant_label, redirect, render};
use crate::notifications::settings::kind_label;
use crate::{AppState, Routes};
use mamori_app as service;
use mamori_domain::notification::Rule;
use mamori_store::FailedMail;

pub fn routes() -> Routes {
    Routes::default()
        .get("/notifications/failed-mail", failed_page)
        .post("/notifications/failed-mail/{mail_id}/retry", retry_page)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_failed))
        .routes(routes!(retry_failed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedMailJson {
    id: i64,
    /// The recipient's login.
    login: String,
    /// The address it was sent to (as the user has it now).
    email: Option<String>,
    /// The notification's kind; `null` for a daily digest.
    kind: Option<String>,
    attempts: i64,
    /// What the mail server (or the connection) said at the last attempt.
    last_error: Option<String>,
    /// RFC 3339, UTC.
    created_at: String,
}

/// The mails that failed after the last attempt, newest first (the national office only).
#[utoipa::path(get, path = "/api/v1/notifications/failed-mail", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<FailedMailJson>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_failed(
    State(state): State<AppState>,
    caller: ApiUser,
) -> ApiResult<Json<Vec<FailedMailJson>>> {
    let list = service::mail_delivery::failed_mails(&state, caller.user.role).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| FailedMailJson {
                id: m.id,
                login: m.login,
                email: m.email,
                kind: m.rule,
                attempts: m.attempts,
                last_error: m.last_error,
                created_at: m.created_at,
            })
            .collect(),
    ))
}

/// Sends a failed mail again from the next mail pass (the national office only).
#[utoipa::path(post, path = "/api/v1/notifications/failed-mail/{mail_id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("mail_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retry_failed(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<MailId>,
) -> ApiResult<StatusCode> {
    service::mail_delivery::retry_failed_mail(&state, caller.user.role, id.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub struct Row {
    id: i64,
    login: String,
    email: String,
    kind: String,
    attempts: i64,
    error: String,
    created: String,
}

#[derive(Template)]
#[template(path = "failed_mail.html")]
struct FailedPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

fn row(lang: Lang, m: FailedMail) -> Row {
    Row {
        id: m.id,
        login: m.login,
        email: m.email.unwrap_or_default(),
        kind: match m.rule.as_deref().and_then(Rule::parse) {
            Some(rule) => kind_label(lang, rule),
            None => lang.text("notifications-failed-digest").to_owned(),
        },
        attempts: m.attempts,
        error: m.last_error.unwrap_or_default(),
        created: instant_label(lang, &m.created_at),
    }
}

async fn failed_page(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> PageResult {
    let lang = ctx.lang;
    let list = service::mail_delivery::failed_mails(&state, user.user().role)
        .await
        .map_err(PageError::from)?;
    let page = FailedPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            lang.text("notifications-failed-title").to_owned(),
        ),
        rows: list.into_iter().map(|m| row(lang, m)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn retry_page(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Ids(id): Ids<MailId>,
) -> PageResult {
    service::mail_delivery::retry_failed_mail(&state, user.user().role, id.get())
        .await
        .map_err(PageError::from)?;
    Ok(redirect("/notifications/failed-mail"))
}
