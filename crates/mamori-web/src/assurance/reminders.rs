//! The hospitals that have not answered the survey, on the prefecture's page, and the
//! officer's reminder to them in one step (`POST …/prefectures/{pref}/reminders`).

use axum::extract::{Path, State};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::{parse_prefecture, parse_program_year};
use crate::AppState;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::i18n::{Lang, Message};
use crate::http::page::{PageError, PageResult, SignedIn, instant_label, redirect};
use mamori_app as service;
use mamori_domain::{FiscalYear, Prefecture, Principal};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_reminders))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RemindersSent {
    /// How many people (the admins of the hospitals that have not answered) were told; 0
    /// when each was reminded today already.
    sent: u64,
}

/// Reminds the hospitals of the prefecture that have not answered the survey (their admins,
/// in the app and by mail as each chose), at most once a day each.
#[utoipa::path(post, path = "/api/v1/programs/{fiscal_year}/prefectures/{pref}/reminders", tag = "assurance", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ("pref" = String, Path, description = "JIS X 0401 code")),
    responses((status = 200, body = RemindersSent), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn send_reminders(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((fiscal_year, pref)): Path<(String, String)>,
) -> ApiResult<Json<RemindersSent>> {
    let principal = caller.user.principal();
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    // Whether the caller runs this prefecture's survey is the service's check.
    let sent = service::survey_notices::remind(&state, &principal, fy, prefecture).await?;
    Ok(Json(RemindersSent { sent }))
}

/// The page's form: the officer ticks that the mail cannot be taken back.
#[derive(Deserialize)]
pub struct RemindForm {
    confirm: Option<String>,
}

/// The page's form: reminds once confirmed, then shows the list again saying how many were
/// told; unconfirmed, shows it asking for the confirmation and sends nothing.
pub async fn remind_page(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Path((fiscal_year, pref)): Path<(String, String)>,
    Form(form): Form<RemindForm>,
) -> PageResult {
    let principal = user.user().principal();
    let fy = parse_program_year(&fiscal_year)?;
    let prefecture = parse_prefecture(&pref)?;
    // Whoever may not remind is answered as for any other page of the prefecture's survey,
    // confirmed or not.
    super::api::managed(&principal, prefecture)?;
    if form.confirm.as_deref() != Some("yes") {
        return Ok(redirect(&format!(
            "/assurance/{}/prefectures/{}?confirm=missing#non-responders",
            fy.start_year(),
            prefecture.code()
        )));
    }
    // Whether the caller runs this prefecture's survey is the service's check.
    let sent = service::survey_notices::remind(&state, &principal, fy, prefecture)
        .await
        .map_err(PageError::from)?;
    Ok(redirect(&format!(
        "/assurance/{}/prefectures/{}?reminded={sent}#non-responders",
        fy.start_year(),
        prefecture.code()
    )))
}

/// A hospital that has not answered, as the page lists it.
pub struct NonResponderRow {
    pub name: String,
    pub code: String,
    /// When it was last reminded, and how many of its admins that reached.
    pub reminded: Option<String>,
}

/// The hospitals of the prefecture that have not answered, for the page.
pub async fn rows(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    fy: FiscalYear,
    prefecture: Prefecture,
) -> Result<Vec<NonResponderRow>, PageError> {
    let list = service::survey_notices::non_responders(state, principal, fy, prefecture)
        .await
        .map_err(PageError::from)?;
    Ok(list
        .into_iter()
        .map(|h| NonResponderRow {
            name: h.name,
            code: h.medical_code.unwrap_or_default(),
            reminded: match (h.reminded_at, h.admins) {
                (Some(at), _) => Some(
                    Message::new("as-reminded-at")
                        .with("at", instant_label(lang, &at))
                        .with("count", h.reminded_admins)
                        .render(lang),
                ),
                // Nobody to send to: say so rather than "not sent yet".
                (None, 0) => Some(lang.t("as-no-admin-to-remind")),
                (None, _) => None,
            },
        })
        .collect())
}

/// What the page says after a reminder: how many people were told.
pub fn sent_notice(lang: Lang, reminded: Option<u64>) -> Option<String> {
    reminded.map(|n| {
        Message::new("as-reminders-sent")
            .with("count", n)
            .render(lang)
    })
}
