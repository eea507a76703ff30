//! What every page shares: the request context, the frame (chrome), rendering, the error
//! page, redirects and cookies, and the static assets.

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_domain::{FiscalYear, InstitutionKind, InstitutionScope, Prefecture, Role};
use mamori_store::Institution;

use crate::http::api;
use crate::http::auth::{self, WebUser};
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::ids::{self, InstitutionId};
use crate::{AppState, Routes};
use mamori_app as service;

/// The static assets (style sheet and scripts), cached for an hour.
pub fn routes() -> Routes {
    Routes::default()
        .get("/static/style.css", || async {
            asset(
                "text/css; charset=utf-8",
                include_str!("../../static/style.css"),
            )
        })
        .get("/static/htmx.min.js", || async {
            asset(
                "text/javascript; charset=utf-8",
                include_str!("../../static/htmx.min.js"),
            )
        })
        .get("/static/app.js", || async {
            asset(
                "text/javascript; charset=utf-8",
                include_str!("../../static/app.js"),
            )
        })
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

// ----- request context -------------------------------------------------------------------

/// The language and the path of a page request.
pub struct PageCtx {
    pub lang: Lang,
    pub path: String,
    pub htmx: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageCtx {
            lang: crate::http::i18n::lang_of(&parts.headers),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
            htmx: parts.headers.get("hx-request").is_some(),
        })
    }
}

/// A page request of a signed-in user: its context and the user (the way to the sign-in
/// page otherwise, as [`WebUser`] answers).
pub struct SignedIn(pub PageCtx, pub WebUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = auth::LoginRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = PageCtx::from_request_parts(parts, state).await;
        let user = WebUser::from_request_parts(parts, state).await?;
        Ok(SignedIn(ctx, user))
    }
}

/// What the frame of every page needs: language, the signed-in user, the CSRF token.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub path: String,
    pub csrf: String,
    pub user: Option<NavUser>,
}

pub struct NavUser {
    pub login: String,
    pub role_label: String,
    pub institution_id: Option<i64>,
    pub sees_list: bool,
    pub is_national: bool,
    pub is_demo: bool,
    pub is_vendor: bool,
    /// Takes part in the security-assurance project (answers, runs a prefecture's survey, or
    /// oversees the country).
    pub sees_assurance: bool,
    /// Staffs the インシデントかも? desk.
    pub is_incident_desk: bool,
    /// Inspects or runs the programme: sees oversight's figures and search.
    pub sees_oversight: bool,
    /// The header's link to the notifications, with the unread count when there are any.
    pub notifications_label: String,
    pub has_unread: bool,
}

impl Chrome {
    pub fn new(ctx: &PageCtx, user: Option<&WebUser>, title: String) -> Self {
        let lang = ctx.lang;
        Chrome {
            lang,
            title,
            path: ctx.path.clone(),
            csrf: user
                .map(|u| u.session.csrf_token.clone())
                .unwrap_or_default(),
            user: user.map(|u| {
                let unread = u.session.unread_notifications;
                let user = u.user();
                NavUser {
                    notifications_label: if unread > 0 {
                        crate::http::i18n::Message::new("notifications-nav-unread")
                            .with("count", unread)
                            .render(lang)
                    } else {
                        lang.text("notifications-nav").to_owned()
                    },
                    has_unread: unread > 0,
                    login: user.login.clone(),
                    role_label: lang
                        .pick(user.role.label_ja(), user.role.label_en())
                        .to_owned(),
                    institution_id: user.institution_id,
                    // The list is for those who see more than one institution.
                    sees_list: matches!(
                        user.principal().institution_scope(),
                        InstitutionScope::All | InstitutionScope::Prefecture(_)
                    ),
                    is_national: user.role == Role::NationalAdmin,
                    is_demo: user.is_demo,
                    is_vendor: user.role == Role::VendorUser,
                    is_incident_desk: user.principal().is_incident_desk(),
                    sees_oversight: matches!(
                        user.role,
                        Role::NationalAdmin | Role::Inspector | Role::PrefectureOfficer
                    ),
                    sees_assurance: matches!(
                        user.role,
                        Role::NationalAdmin | Role::PrefectureOfficer | Role::InstitutionAdmin
                    ),
                }
            }),
        }
    }

    pub fn t<'k>(&self, key: &'k str) -> &'k str {
        self.lang.text(key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn other_lang_label(&self) -> &'static str {
        self.lang.text("http-other-language")
    }

    pub fn path_encoded(&self) -> String {
        auth::urlencode(&self.path)
    }
}

pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                // The page that failed is gone, and its language with it: both languages.
                Html(format!(
                    "<!doctype html><title>mamori</title><p>{} / {}</p>",
                    Lang::Ja.text("http-internal-error"),
                    Lang::En.text("http-internal-error")
                )),
            )
                .into_response()
        }
    }
}

/// A page that shows what was sent on it: 422 when it shows a refusal of it, 200 otherwise.
pub fn render_form<T: Template>(refused: bool, page: &T) -> Response {
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, page)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

/// An error shown as the error page in the user's language. Handlers return it with `?`
/// from anything that converts into [`AppError`]; the page is drawn on the way out by
/// [`crate::http::rejections`], which knows the request's language.
pub struct PageError(AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

/// A page error on its way out, waiting for the request's language.
#[derive(Clone)]
pub struct UndrawnPageError(pub Arc<AppError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "page failed");
        }
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(UndrawnPageError(Arc::new(self.0)));
        response
    }
}

/// The error page for `error` in `lang`.
pub fn error_page(error: &AppError, lang: Lang) -> Response {
    let status = error.status();
    let ctx = PageCtx {
        lang,
        path: "/".into(),
        htmx: false,
    };
    let mut response = render(
        status,
        &ErrorPage {
            chrome: Chrome::new(&ctx, None, lang.t("error-title")),
            status: status.as_u16(),
            message: error.message_in(lang),
        },
    );
    error.decorate(&mut response);
    response
}

pub type PageResult = Result<Response, PageError>;

/// The institution named by a page's path, if the caller may see it (otherwise the page's
/// 404, as [`service::visible_institution`]).
pub async fn page_institution(
    state: &AppState,
    principal: &mamori_domain::Principal,
    id: InstitutionId,
) -> Result<Institution, PageError> {
    service::visible_institution(state, principal, id.get())
        .await
        .map_err(PageError::from)
}

/// The opening of the pages under `/institutions/{id}`: the request's context, the
/// signed-in user, its principal, and the institution the path names if the user reaches it
/// as `REACH` asks (see [`crate::http::api::SEES`]) — the error page otherwise, before the
/// handler reads anything else.
pub struct PageOpening<const REACH: u8>(
    pub PageCtx,
    pub WebUser,
    pub mamori_domain::Principal,
    pub Institution,
);

/// An institution the user sees.
pub type VisiblePage = PageOpening<{ api::SEES }>;

/// An institution the user administers.
pub type AdministeredPage = PageOpening<{ api::ADMINISTERS }>;

/// An institution the user answers for.
pub type AnsweredPage = PageOpening<{ api::ANSWERS_FOR }>;

impl<const REACH: u8> FromRequestParts<AppState> for PageOpening<REACH> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(ctx) = PageCtx::from_request_parts(parts, state).await;
        let user = WebUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = ids::named(parts, state, "id").await?;
        let principal = user.user().principal();
        match api::reach_institution(state, &principal, id, REACH).await {
            Ok(institution) => Ok(Self(ctx, user, principal, institution)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

pub async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    refuse(uri.path(), &headers, AppError::not_found())
}

/// An error in the form the caller of `path` reads: the JSON error on the API, the error
/// page in the user's language elsewhere.
pub fn refuse(path: &str, headers: &axum::http::HeaderMap, error: AppError) -> Response {
    if path.starts_with("/api/") {
        crate::http::error::ApiError(error).into_response()
    } else {
        error_page(&error, crate::http::i18n::lang_of(headers))
    }
}

pub fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Only local paths may be redirected to.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The messages of a refused form: next to their field where the refusal names one, else
/// at the top of the form.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub general: Option<String>,
    fields: Vec<(String, String)>,
}

impl FormErrors {
    pub fn of(lang: Lang, e: &AppError) -> Self {
        Self::with_field_of_code(lang, e, |_| None)
    }

    /// As [`FormErrors::of`], placing a refusal that names no field next to the field
    /// `field_of_code` gives for its code.
    pub fn with_field_of_code(
        lang: Lang,
        e: &AppError,
        field_of_code: impl Fn(&str) -> Option<&'static str>,
    ) -> Self {
        // Each field at fault beside its own field.
        if let AppError::Service(mamori_app::Error::Fields(problems)) = e {
            return Self {
                general: None,
                fields: problems
                    .iter()
                    .map(|p| (p.path.clone(), p.message.render(lang)))
                    .collect(),
            };
        }
        let d = e.detail();
        let message = match lang {
            Lang::Ja => d.message_ja,
            Lang::En => d.message_en,
        };
        let field = d
            .field
            .or_else(|| field_of_code(&d.code).map(str::to_owned));
        match field {
            Some(f) => Self {
                general: None,
                fields: vec![(f, message)],
            },
            None => Self {
                general: Some(message),
                fields: Vec::new(),
            },
        }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }

    pub fn has_fields(&self) -> bool {
        !self.fields.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }
}

pub fn message(lang: Lang, e: &AppError) -> String {
    e.message_in(lang)
}

/// An absolute link to `path` (from its `/`), for what is read outside the browser (mail,
/// calendars): on the configured public URL, else on the request's host.
pub fn absolute_url(state: &AppState, headers: &axum::http::HeaderMap, path: &str) -> String {
    if let Some(base) = &state.config.public_url {
        return format!("{base}{path}");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

// ----- labels ----------------------------------------------------------------------------

pub fn kind_label(lang: Lang, kind: InstitutionKind) -> String {
    lang.pick(kind.label_ja(), kind.label_en()).to_owned()
}

pub fn prefecture_label(lang: Lang, p: Prefecture) -> String {
    format!("{} {}", p.code(), lang.pick(p.name_ja(), p.name_en()))
}

/// A day as a clerk writes it: 令和8年12月7日, or 7 December 2026.
pub fn date_label(lang: Lang, date: chrono::NaiveDate) -> String {
    match lang {
        Lang::Ja => mamori_domain::wareki::format_wareki(date),
        Lang::En => date.format("%-d %B %Y").to_string(),
    }
}

/// A day with an optional time of day: 令和8年12月10日 10:00.
pub fn day_and_time_label(
    lang: Lang,
    date: chrono::NaiveDate,
    time: Option<chrono::NaiveTime>,
) -> String {
    match time {
        Some(t) => format!("{} {}", date_label(lang, date), t.format("%-H:%M")),
        None => date_label(lang, date),
    }
}

/// A stored instant (RFC 3339, UTC) in Japan time: 令和8年12月7日 9:42, or 7 December 2026
/// 9:42; the stored text itself if it cannot be read.
pub fn instant_label(lang: Lang, at: &str) -> String {
    match service::instant_in_japan(at) {
        Some(t) => format!("{} {}", date_label(lang, t.date()), t.format("%-H:%M")),
        None => at.to_owned(),
    }
}

pub fn fy_label(lang: Lang, fy: FiscalYear) -> String {
    match lang {
        Lang::Ja => fy.label_ja(),
        Lang::En => fy.label_en(),
    }
}
