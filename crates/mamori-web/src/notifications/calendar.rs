//! Each user's calendar feed: the `.ics` at its secret address (no session: the address is
//! the key), the address in the settings (API) and on the notifications page, and renewing it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use mamori_reports::calendar::{CalendarEntry, calendar_feed};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Lang;
use crate::http::page::{PageError, PageResult, SignedIn, absolute_url, redirect};
use crate::notifications::settings::{NotificationSettingsJson, settings_json};
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/calendar/{file}", calendar_file)
        .post("/notifications/calendar-token", renew_page)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(renew_token))
}

/// The feed's address for `token`, in `lang` (Japanese unless English).
pub fn feed_url(state: &AppState, headers: &HeaderMap, token: &str, lang: Lang) -> String {
    let query = if lang == Lang::En { "?lang=en" } else { "" };
    absolute_url(state, headers, &format!("/calendar/{token}.ics{query}"))
}

#[derive(Deserialize)]
struct FeedQuery {
    lang: Option<String>,
}

/// The feed at `/calendar/{token}.ics`: an unknown or renewed token is not found.
async fn calendar_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
) -> Result<Response, PageError> {
    let lang = match query.lang.as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Ja,
    };
    let owner = match file.strip_suffix(".ics") {
        Some(token) => service::calendar::feed_owner(&state, token).await?,
        None => None,
    };
    let Some(owner) = owner else {
        return Err(AppError::not_found().into());
    };
    let entries: Vec<CalendarEntry> = service::calendar::feed(&state, &owner)
        .await?
        .into_iter()
        .map(|date| CalendarEntry {
            uid: date.uid,
            date: date.date,
            starts_at: date.starts_at,
            summary: date.summary.render(lang),
            description: date.description.render(lang),
            url: Some(absolute_url(&state, &headers, &date.path)),
        })
        .collect();
    let body = calendar_feed(lang.text("notifications-calendar-name"), &entries);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

/// Gives the caller's calendar feed a new address; the old one stops working.
#[utoipa::path(post, path = "/api/v1/me/calendar-token", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettingsJson), (status = 401, body = ErrorBody)))]
pub async fn renew_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: ApiUser,
) -> ApiResult<Json<NotificationSettingsJson>> {
    let user = &caller.user;
    service::calendar::renew_feed_token(&state, user.id).await?;
    let settings = service::notification_settings::settings(&state, &user.principal()).await?;
    settings_json(&state, &headers, user.id, settings).await
}

async fn renew_page(State(state): State<AppState>, SignedIn(_, user): SignedIn) -> PageResult {
    service::calendar::renew_feed_token(&state, user.user().id)
        .await
        .map_err(PageError::from)?;
    Ok(redirect("/notifications#calendar"))
}
