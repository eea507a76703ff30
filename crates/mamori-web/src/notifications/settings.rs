//! Each user's notification settings (通知の設定): their mail address and language, and per
//! kind whether it comes by mail at once, in a daily digest or in the app only; on a page
//! and on the API (`/api/v1/me/notification-settings`, with the calendar feed's address).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Form, Json};
use mamori_app::notification_settings::{Settings, SettingsChange};
use mamori_domain::notification::{Delivery, Rule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::api::ApiJson;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Lang;
use crate::http::page::{Chrome, FormErrors, PageError, PageResult, SignedIn, redirect, render};
use crate::notifications::calendar::feed_url;
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/notifications/settings", settings_page)
        .post("/notifications/settings", save_page)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettingsJson {
    /// The caller's calendar feed (.ics): a secret address, renewed by
    /// `POST /api/v1/me/calendar-token`.
    pub calendar_url: String,
    /// Where mail goes; `null`: no mail, the app only.
    pub email: Option<String>,
    /// The language of the mail: `ja` or `en`.
    pub language: String,
    /// Per kind of notification the caller can receive (`target_in_30_days`, …): `mail_now`,
    /// `daily_digest` or `in_app`. `incident_reported` is always `mail_now`.
    pub kinds: BTreeMap<String, String>,
}

/// A change of the settings: what is left out stays as it is. The settings as read are a
/// change that changes nothing (`calendar_url` is read only: renew it with
/// `POST /api/v1/me/calendar-token`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsChange {
    /// Read only: ignored.
    #[allow(dead_code)]
    calendar_url: Option<String>,
    /// The new address; `""` removes it.
    email: Option<String>,
    /// `ja` or `en`.
    language: Option<String>,
    /// Kinds and their delivery, as in the settings.
    kinds: Option<BTreeMap<String, String>>,
}

/// The settings as JSON, with the feed's address made on first use.
pub async fn settings_json(
    state: &AppState,
    headers: &HeaderMap,
    user_id: i64,
    settings: Settings,
) -> ApiResult<Json<NotificationSettingsJson>> {
    let token = service::calendar::feed_token(state, user_id).await?;
    Ok(Json(NotificationSettingsJson {
        calendar_url: feed_url(state, headers, &token, Lang::Ja),
        email: settings.email,
        language: settings.language.code().to_owned(),
        kinds: settings
            .kinds
            .into_iter()
            .map(|(rule, delivery)| (rule.as_str().to_owned(), delivery.as_str().to_owned()))
            .collect(),
    }))
}

/// The caller's notification settings, with the address of their calendar feed.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettingsJson), (status = 401, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: ApiUser,
) -> ApiResult<Json<NotificationSettingsJson>> {
    let user = &caller.user;
    let settings = service::notification_settings::settings(&state, &user.principal()).await?;
    settings_json(&state, &headers, user.id, settings).await
}

/// Changes the caller's notification settings. An address that is not a mailbox, an unknown
/// kind or delivery is refused (422) with every field at fault, and nothing is saved.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications", security(("bearer" = [])),
    request_body = NotificationSettingsChange,
    responses((status = 200, body = NotificationSettingsJson), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: ApiUser,
    ApiJson(body): ApiJson<NotificationSettingsChange>,
) -> ApiResult<Json<NotificationSettingsJson>> {
    let user = &caller.user;
    let change = SettingsChange {
        email: body.email,
        language: body.language,
        kinds: body.kinds.unwrap_or_default().into_iter().collect(),
    };
    let settings =
        service::notification_settings::save_settings(&state, &user.principal(), change).await?;
    settings_json(&state, &headers, user.id, settings).await
}

/// One kind on the page, with its choices.
pub struct KindRow {
    pub name: &'static str,
    pub label: String,
    /// Always mail at once: shown, not offered.
    pub fixed: bool,
    pub choices: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    email: String,
    language: &'static str,
    kinds: Vec<KindRow>,
    saved: bool,
    errors: FormErrors,
}

#[derive(Deserialize)]
struct PageQuery {
    saved: Option<bool>,
}

fn kind_label_key(rule: Rule) -> &'static str {
    match rule {
        Rule::TargetIn30Days => "notifications-kind-target-in-30-days",
        Rule::TargetIn7Days => "notifications-kind-target-in-7-days",
        Rule::TargetToday => "notifications-kind-target-today",
        Rule::TargetOverdue => "notifications-kind-target-overdue",
        Rule::InspectionScheduled => "notifications-kind-inspection-scheduled",
        Rule::ImprovementReportsAwaited => "notifications-kind-improvement-reports-awaited",
        Rule::IncidentReported => "notifications-kind-incident-reported",
        Rule::IncidentReply => "notifications-kind-incident-reply",
        Rule::SurveyDueIn14Days => "notifications-kind-survey-due-in-14-days",
        Rule::SurveyDueIn3Days => "notifications-kind-survey-due-in-3-days",
        Rule::SurveyReminder => "notifications-kind-survey-reminder",
        Rule::SurveyResult => "notifications-kind-survey-result",
        Rule::VendorInvitationUnaccepted => "notifications-kind-vendor-invitation-unaccepted",
        Rule::TrainingPlaceTaken => "notifications-kind-training-place-taken",
        Rule::TrainingSeatOpened => "notifications-kind-training-seat-opened",
        Rule::TrainingSessionChanged => "notifications-kind-training-session-changed",
        Rule::TrainingSessionWithdrawn => "notifications-kind-training-session-withdrawn",
        Rule::TrainingTomorrow => "notifications-kind-training-tomorrow",
        Rule::SurveyClosedForOfficer => "notifications-kind-survey-closed-for-officer",
        Rule::VendorFormDue => "notifications-kind-vendor-form-due",
        Rule::VendorFormAwaited => "notifications-kind-vendor-form-awaited",
        Rule::SecondCheckDue => "notifications-kind-second-check-due",
        Rule::MdsSdsDue => "notifications-kind-mds-sds-due",
        Rule::MdsSdsAwaited => "notifications-kind-mds-sds-awaited",
        Rule::RestoreTestDue => "notifications-kind-restore-test-due",
        Rule::DeviceSupportEnding => "notifications-kind-device-support-ending",
        Rule::EvidenceStale => "notifications-kind-evidence-stale",
    }
}

/// A kind of notification as the settings name it.
pub fn kind_label(lang: Lang, rule: Rule) -> String {
    lang.text(kind_label_key(rule)).to_owned()
}

fn delivery_label_key(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::MailNow => "notifications-delivery-mail-now",
        Delivery::DailyDigest => "notifications-delivery-daily-digest",
        Delivery::InAppOnly => "notifications-delivery-in-app",
    }
}

fn kind_rows(lang: Lang, kinds: &[(Rule, Delivery)]) -> Vec<KindRow> {
    kinds
        .iter()
        .map(|&(rule, chosen)| KindRow {
            name: rule.as_str(),
            label: kind_label(lang, rule),
            fixed: rule.always_at_once(),
            choices: Delivery::ALL
                .into_iter()
                .map(|d| {
                    (
                        d.as_str(),
                        lang.text(delivery_label_key(d)).to_owned(),
                        d == chosen,
                    )
                })
                .collect(),
        })
        .collect()
}

fn page(
    ctx: &crate::http::page::PageCtx,
    user: &crate::http::auth::WebUser,
    settings: &Settings,
    email: String,
    saved: bool,
    errors: FormErrors,
) -> SettingsPage {
    let lang = ctx.lang;
    SettingsPage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            lang.text("notifications-settings-title").to_owned(),
        ),
        email,
        language: settings.language.code(),
        kinds: kind_rows(lang, &settings.kinds),
        saved,
        errors,
    }
}

async fn settings_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let u = user.user();
    let settings = service::notification_settings::settings(&state, &u.principal())
        .await
        .map_err(PageError::from)?;
    let email = settings.email.clone().unwrap_or_default();
    let body = page(
        &ctx,
        &user,
        &settings,
        email,
        q.saved.unwrap_or(false),
        FormErrors::default(),
    );
    Ok(render(StatusCode::OK, &body))
}

/// The form: `email`, `language` and one field per kind named by its wire name.
async fn save_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(fields): Form<BTreeMap<String, String>>,
) -> PageResult {
    let u = user.user();
    let mut fields = fields;
    fields.remove("csrf");
    let email = fields.remove("email").unwrap_or_default();
    let change = SettingsChange {
        email: Some(email.clone()),
        language: fields.remove("language"),
        kinds: fields.into_iter().collect(),
    };
    match service::notification_settings::save_settings(&state, &u.principal(), change).await {
        Ok(_) => Ok(redirect("/notifications/settings?saved=true")),
        Err(e) => {
            let e = AppError::from(e);
            if !e.status().is_client_error() || e.refuses_access() {
                return Err(PageError::from(e));
            }
            // What was sent stays on the form; what is stored is shown for the rest.
            let settings = service::notification_settings::settings(&state, &u.principal())
                .await
                .map_err(PageError::from)?;
            let errors = FormErrors::of(ctx.lang, &e);
            let body = page(&ctx, &user, &settings, email, false, errors);
            Ok(render(e.status(), &body))
        }
    }
}
