//! Server-rendered pages. They work without JavaScript (plain forms and redirects); with
//! htmx an answer is saved in place and only its card is redrawn.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_domain::answer::parse_date;
use mamori_domain::{
    Answer, AnswerInput, FiscalYear, InstitutionKind, ItemAnswer, ItemStatus, Prefecture, Role,
    Round, Scope, Severity,
};
use mamori_store::{Institution, NewInstitution, SessionKind};
use serde::Deserialize;

use crate::auth::{self, LOGIN_CSRF_COOKIE, MaybeWebUser, SESSION_COOKIE, WebUser};
use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::service::{self, Assessment};
use crate::{AppState, Routes, demo};

/// The page routes, each recorded with its method (see [`crate::Routes`]).
pub fn routes() -> Routes {
    Routes::default()
        .get("/", home)
        .get("/login", login_page)
        .post("/login", login_submit)
        .post("/logout", logout)
        .get("/lang/{code}", switch_language)
        .get("/institutions", institutions)
        .post("/institutions", create_institution)
        .get("/institutions/new", new_institution)
        .get("/institutions/{id}", institution_page)
        .get("/institutions/{id}/edit", edit_institution)
        .post("/institutions/{id}/edit", update_institution)
        .post("/institutions/{id}/users", add_institution_user)
        .get("/institutions/{id}/checklist/{fy}", checklist)
        .get("/institutions/{id}/checklist/{fy}/print", checklist_print)
        .post("/institutions/{id}/checklist/{fy}/items/{key}", save_item)
        .get(
            "/institutions/{id}/checklist/{fy}/items/{key}/history",
            item_history,
        )
        .get("/institutions/{id}/inspection/{fy}", inspection_page)
        .post(
            "/institutions/{id}/inspection/{fy}/observations",
            save_observation,
        )
        .get("/static/style.css", || async {
            asset(
                "text/css; charset=utf-8",
                include_str!("../static/style.css"),
            )
        })
        .get("/static/htmx.min.js", || async {
            asset(
                "text/javascript; charset=utf-8",
                include_str!("../static/htmx.min.js"),
            )
        })
        .get("/static/app.js", || async {
            asset(
                "text/javascript; charset=utf-8",
                include_str!("../static/app.js"),
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
            lang: Lang::from_headers(&parts.headers),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
            htmx: parts.headers.get("hx-request").is_some(),
        })
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
                let user = u.user();
                NavUser {
                    login: user.login.clone(),
                    role_label: lang
                        .pick(user.role.label_ja(), user.role.label_en())
                        .to_owned(),
                    institution_id: user.institution_id,
                    sees_list: matches!(user.role, Role::NationalAdmin | Role::Inspector),
                    is_national: user.role == Role::NationalAdmin,
                    is_demo: user.is_demo,
                    is_vendor: user.role == Role::VendorUser,
                    is_incident_desk: user.principal().is_incident_desk(),
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
        match self.lang {
            Lang::Ja => "English",
            Lang::En => "日本語",
        }
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
                Html(
                    "<!doctype html><title>mamori</title><p>内部エラー / Internal error</p>"
                        .to_owned(),
                ),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

/// An error shown as a page in the user's language.
pub struct PageError {
    error: AppError,
    lang: Lang,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        if status.is_server_error() {
            tracing::error!(error = %self.error, "page failed");
        }
        let detail = self.error.detail();
        let message = match self.lang {
            Lang::Ja => detail.message_ja,
            Lang::En => detail.message_en,
        };
        let ctx = PageCtx {
            lang: self.lang,
            path: "/".into(),
            htmx: false,
        };
        let title = self.lang.t("error-title");
        let mut response = render(
            status,
            &ErrorPage {
                chrome: Chrome::new(&ctx, None, title),
                status: status.as_u16(),
                message,
            },
        );
        self.error.decorate(&mut response);
        response
    }
}

pub fn fail(lang: Lang) -> impl Fn(AppError) -> PageError {
    move |error| PageError { error, lang }
}

pub type PageResult = Result<Response, PageError>;

/// The institution named by a page's path, if the caller may see it (otherwise the page's
/// 404, as [`service::visible_institution`]).
pub async fn page_institution(
    state: &AppState,
    principal: &mamori_domain::Principal,
    id: &str,
    lang: Lang,
) -> Result<Institution, PageError> {
    let id = service::parse_id(id).map_err(fail(lang))?;
    service::visible_institution(state, principal, id)
        .await
        .map_err(fail(lang))
}

pub async fn not_found(ctx: PageCtx, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(AppError::NotFound).into_response()
    } else {
        PageError {
            error: AppError::NotFound,
            lang: ctx.lang,
        }
        .into_response()
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

// ----- login and language ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    login: String,
    error: Option<String>,
    login_csrf: String,
    demo_logins: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeWebUser(user): MaybeWebUser,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if user.is_some() {
        return Ok(redirect(&safe_next(q.next.as_deref())));
    }
    login_form(
        &state,
        &ctx,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn login_form(
    state: &AppState,
    ctx: &PageCtx,
    next: String,
    login: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let demo_logins = if state
        .store
        .user_for_login("demo-national")
        .await
        .map_err(|e| fail(ctx.lang)(e.into()))?
        .is_some()
    {
        demo::DEMO_LOGINS
            .iter()
            .map(|(l, ja, en)| ((*l).to_owned(), ctx.lang.pick(ja, en).to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let login_csrf = auth::new_token();
    let page = LoginPage {
        chrome: Chrome::new(ctx, None, ctx.lang.t("login-title")),
        next,
        login,
        error,
        login_csrf: login_csrf.clone(),
        demo_logins,
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(
            LOGIN_CSRF_COOKIE,
            &login_csrf,
            3600,
            state.config.secure_cookies,
        ),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    client: auth::ClientInfo,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let cookie_csrf = auth::session_cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !auth::same_secret(&form.csrf, &cookie_csrf) {
        let message = auth::csrf_error().detail();
        let msg = ctx
            .lang
            .pick(&message.message_ja, &message.message_en)
            .to_owned();
        return login_form(
            &state,
            &ctx,
            next,
            form.login,
            Some(msg),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    match auth::login(
        &state,
        &form.login,
        &form.password,
        SessionKind::Web,
        None,
        &client,
    )
    .await
    {
        Ok(auth::LoginStep::Done { token, .. }) => Ok(signed_in(&state, &token, &next)),
        Ok(auth::LoginStep::SecondFactor { pending_token }) => {
            let mut response = redirect(&format!(
                "/login/two-factor?next={}",
                auth::urlencode(&next)
            ));
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie(
                    auth::PENDING_COOKIE,
                    &pending_token,
                    300,
                    state.config.secure_cookies,
                ),
            );
            Ok(response)
        }
        Err(e) if e.status().is_client_error() => {
            let d = e.detail();
            let msg = ctx.lang.pick(&d.message_ja, &d.message_en).to_owned();
            let mut response =
                login_form(&state, &ctx, next, form.login, Some(msg), e.status()).await?;
            e.decorate(&mut response);
            Ok(response)
        }
        Err(e) => Err(fail(ctx.lang)(e)),
    }
}

/// The answer that sets the session cookie and goes on to `next`.
pub fn signed_in(state: &AppState, token: &str, next: &str) -> Response {
    let mut response = redirect(next);
    let ttl = state.config.session_ttl.num_seconds();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, token, ttl, state.config.secure_cookies),
    );
    h.append(
        header::SET_COOKIE,
        cookie(LOGIN_CSRF_COOKIE, "", 0, state.config.secure_cookies),
    );
    h.append(
        header::SET_COOKIE,
        cookie(auth::PENDING_COOKIE, "", 0, state.config.secure_cookies),
    );
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    user.check_csrf(&form.csrf).map_err(fail(ctx.lang))?;
    state
        .store
        .delete_session(&user.token_hash)
        .await
        .map_err(|e| fail(ctx.lang)(e.into()))?;
    let mut response = redirect("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies),
    );
    Ok(response)
}

async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut response = redirect(&safe_next(q.next.as_deref()));
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(
            LANG_COOKIE,
            lang.code(),
            60 * 60 * 24 * 365,
            state.config.secure_cookies,
        ),
    );
    response
}

async fn home(user: WebUser) -> Response {
    if user.user().role == Role::VendorUser {
        return redirect("/vendor");
    }
    if user.user().role == Role::PrefectureOfficer {
        return redirect("/assurance");
    }
    match user.user().institution_id {
        Some(id) => redirect(&format!("/institutions/{id}")),
        None => redirect("/institutions"),
    }
}

// ----- institutions ----------------------------------------------------------------------

pub struct InstitutionRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub prefecture: String,
    pub beds: i64,
    pub form: String,
    pub answered: i64,
    pub required: usize,
    pub no_answers: i64,
    pub has_system: bool,
}

#[derive(Template)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    chrome: Chrome,
    fiscal_year_label: String,
    fiscal_year: i32,
    rows: Vec<InstitutionRow>,
    total: i64,
    page: i64,
    pages: i64,
    can_create: bool,
    scope_label: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

fn required_count(state: &AppState, institution: &Institution, fy: FiscalYear) -> usize {
    service::version_and_rules(state, institution, fy)
        .map(|(v, _)| {
            let profile = institution.profile();
            v.items
                .iter()
                .filter(|i| v.status_of(i, fy, &profile) == ItemStatus::Required)
                .count()
        })
        .unwrap_or(0)
}

fn kind_label(lang: Lang, kind: InstitutionKind) -> String {
    lang.pick(kind.label_ja(), kind.label_en()).to_owned()
}

fn prefecture_label(lang: Lang, p: Prefecture) -> String {
    format!("{} {}", p.code(), lang.pick(p.name_ja(), p.name_en()))
}

fn fy_label(lang: Lang, fy: FiscalYear) -> String {
    match lang {
        Lang::Ja => fy.label_ja(),
        Lang::En => fy.label_en(),
    }
}

fn default_fiscal_year(state: &AppState) -> FiscalYear {
    demo::demo_fiscal_year(state)
        .unwrap_or_else(|| FiscalYear::containing(service::today_in_japan()))
}

async fn institutions(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    if let Some(id) = principal.institution_id {
        return Ok(redirect(&format!("/institutions/{id}")));
    }
    let scope = principal.institution_scope();
    let total = state
        .store
        .count_institutions(scope)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let list = state
        .store
        .list_institutions(scope, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let fy = default_fiscal_year(&state);
    let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
    let counts = state
        .store
        .answer_counts(&ids, fy)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let rows = list
        .iter()
        .map(|i| {
            let c = counts
                .get(&i.id)
                .copied()
                .unwrap_or(mamori_store::InstitutionCounts {
                    first_answers: 0,
                    no_answers: 0,
                });
            InstitutionRow {
                id: i.id,
                name: i.name.clone(),
                kind: kind_label(lang, i.kind),
                prefecture: prefecture_label(lang, i.prefecture),
                beds: i.beds,
                form: lang
                    .pick(i.kind.form().label_ja(), i.kind.form().label_en())
                    .to_owned(),
                answered: c.first_answers,
                required: required_count(&state, i, fy),
                no_answers: c.no_answers,
                has_system: i.has_medical_information_system,
            }
        })
        .collect();
    let scope_label = match (user.user().role, user.user().prefecture) {
        (Role::Inspector, Some(p)) => prefecture_label(lang, p),
        _ => lang.t("scope-all"),
    };
    let page_view = InstitutionsPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("institutions-title")),
        fiscal_year_label: fy_label(lang, fy),
        fiscal_year: fy.start_year(),
        rows,
        total,
        page,
        pages,
        can_create: principal.can_create_institutions(),
        scope_label,
    };
    Ok(render(StatusCode::OK, &page_view))
}

pub struct YearRow {
    pub fiscal_year: i32,
    pub label: String,
    pub version_label: String,
    pub answered: usize,
    pub required: usize,
    pub percent: u32,
    pub ready: bool,
    pub blocking: usize,
}

pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub last_login: String,
    pub disabled: bool,
    pub two_factor: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "institution.html")]
struct InstitutionPage {
    chrome: Chrome,
    id: i64,
    name: String,
    kind: String,
    prefecture: String,
    beds: i64,
    code: String,
    has_system: bool,
    has_vendors: bool,
    form: String,
    years: Vec<YearRow>,
    can_administer: bool,
    users: Vec<UserRow>,
    unused: Vec<UserRow>,
    unused_days: i64,
    require_two_factor: bool,
    error: Option<String>,
    notice: Option<String>,
    ledger: crate::ledger_pages::LedgerSummaryView,
    suggestions: Vec<crate::support_pages::SuggestionView>,
}

async fn institution_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path(id): Path<String>,
) -> PageResult {
    institution_view(&state, &ctx, &user, &id, None, None, StatusCode::OK).await
}

async fn institution_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: &str,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let id = service::parse_id(id).map_err(fail(lang))?;
    let institution = service::visible_institution(state, &principal, id)
        .await
        .map_err(fail(lang))?;
    let mut years = Vec::new();
    // The suggestions below look at this year's answers: keep its assessment for them.
    let suggestion_year = crate::support::checklist_year(state);
    let mut suggestion_assessment = None;
    for &fy in state.catalog.fiscal_years() {
        let a = service::assessment(state, institution.clone(), fy)
            .await
            .map_err(fail(lang))?;
        years.push(YearRow {
            fiscal_year: fy.start_year(),
            label: fy_label(lang, fy),
            version_label: lang
                .pick(&a.version.version_label_ja, &a.version.version_label_en)
                .to_owned(),
            answered: a.progress.answered,
            required: a.progress.required,
            percent: a.progress.percent(),
            ready: a.verdict.ready,
            blocking: a
                .verdict
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Blocking)
                .count(),
        });
        if fy == suggestion_year {
            suggestion_assessment = Some(a);
        }
    }
    let can_administer = principal.can_administer(institution.id);
    let me = user.user().id;
    let user_row = |u: mamori_store::User| UserRow {
        id: u.id,
        role: lang.pick(u.role.label_ja(), u.role.label_en()).to_owned(),
        last_login: u
            .last_login_at
            .map(|t| t.chars().take(16).collect::<String>().replace('T', " "))
            .unwrap_or_else(|| "—".into()),
        disabled: u.disabled,
        two_factor: u.totp_enabled,
        is_self: u.id == me,
        login: u.login,
    };
    let (users, unused, require_two_factor) = if can_administer {
        let store_err = |e: mamori_store::StoreError| fail(lang)(e.into());
        let cutoff = chrono::Utc::now() - chrono::Duration::days(state.config.unused_account_days);
        (
            state
                .store
                .users_of_institution(institution.id)
                .await
                .map_err(store_err)?
                .into_iter()
                .map(user_row)
                .collect(),
            state
                .store
                .unused_users(Some(institution.id), cutoff)
                .await
                .map_err(store_err)?
                .into_iter()
                .map(user_row)
                .collect(),
            state
                .store
                .requires_two_factor(institution.id)
                .await
                .map_err(store_err)?,
        )
    } else {
        (Vec::new(), Vec::new(), false)
    };
    service::record_read(state, &principal, institution.id, "profile")
        .await
        .map_err(fail(lang))?;
    // The ledger is read and flagged once for its summary and the suggestions.
    let devices = state
        .store
        .devices(institution.id)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let flags =
        crate::ledger::ledger_flags(state, institution.id, &devices, service::today_in_japan());
    let ledger = crate::ledger_pages::ledger_summary(lang, &devices, &flags);
    let suggestions = crate::support_pages::suggestion_views(
        state,
        lang,
        &institution,
        suggestion_assessment.as_ref(),
        &devices,
        &flags,
    )
    .await
    .map_err(fail(lang))?;
    let page = InstitutionPage {
        ledger,
        suggestions,
        chrome: Chrome::new(ctx, Some(user), institution.name.clone()),
        id: institution.id,
        name: institution.name.clone(),
        kind: kind_label(lang, institution.kind),
        prefecture: prefecture_label(lang, institution.prefecture),
        beds: institution.beds,
        code: institution
            .medical_institution_code
            .clone()
            .unwrap_or_else(|| "—".into()),
        has_system: institution.has_medical_information_system,
        has_vendors: institution.has_vendor_contracts,
        form: lang
            .pick(
                institution.kind.form().label_ja(),
                institution.kind.form().label_en(),
            )
            .to_owned(),
        years,
        can_administer,
        users,
        unused,
        unused_days: state.config.unused_account_days,
        require_two_factor,
        error,
        notice,
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "institution_form.html")]
struct InstitutionFormPage {
    chrome: Chrome,
    action: String,
    heading: String,
    values: InstitutionValues,
    kinds: Vec<(String, String)>,
    prefectures: Vec<(String, String)>,
    can_move: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct InstitutionValues {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    prefecture: String,
    #[serde(default)]
    beds: String,
    #[serde(default)]
    has_medical_information_system: Option<String>,
    #[serde(default)]
    has_vendor_contracts: Option<String>,
    #[serde(default)]
    medical_institution_code: String,
    #[serde(default)]
    csrf: String,
}

impl InstitutionValues {
    fn from_institution(i: &Institution) -> Self {
        Self {
            name: i.name.clone(),
            kind: i.kind.as_str().into(),
            prefecture: i.prefecture.code(),
            beds: i.beds.to_string(),
            has_medical_information_system: i.has_medical_information_system.then(|| "on".into()),
            has_vendor_contracts: i.has_vendor_contracts.then(|| "on".into()),
            medical_institution_code: i.medical_institution_code.clone().unwrap_or_default(),
            csrf: String::new(),
        }
    }

    pub fn mis(&self) -> bool {
        self.has_medical_information_system.is_some()
    }

    pub fn vendors(&self) -> bool {
        self.has_vendor_contracts.is_some()
    }

    fn parse(&self) -> Result<NewInstitution, AppError> {
        let beds = if self.beds.trim().is_empty() {
            0
        } else {
            self.beds.trim().parse::<i64>().map_err(|_| {
                AppError::Invalid(mamori_domain::ParseError::new(
                    "beds",
                    "病床数は整数で入力してください",
                    "the number of beds must be a whole number",
                ))
            })?
        };
        let new = NewInstitution {
            name: self.name.trim().to_owned(),
            kind: InstitutionKind::parse(&self.kind)?,
            prefecture: Prefecture::parse(&self.prefecture)?,
            beds,
            has_medical_information_system: self.mis(),
            has_vendor_contracts: self.vendors(),
            medical_institution_code: Some(self.medical_institution_code.trim().to_owned())
                .filter(|c| !c.is_empty()),
        };
        service::check_institution(&new)?;
        Ok(new)
    }
}

#[allow(clippy::too_many_arguments)] // each argument is one part of the form page
fn institution_form(
    ctx: &PageCtx,
    user: &WebUser,
    action: String,
    heading: String,
    values: InstitutionValues,
    can_move: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let page = InstitutionFormPage {
        chrome: Chrome::new(ctx, Some(user), heading.clone()),
        action,
        heading,
        values,
        kinds: InstitutionKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), kind_label(lang, *k)))
            .collect(),
        prefectures: Prefecture::all()
            .map(|p| (p.code(), prefecture_label(lang, p)))
            .collect(),
        can_move,
        error,
    };
    render(status, &page)
}

pub fn message(lang: Lang, e: &AppError) -> String {
    let d = e.detail();
    lang.pick(&d.message_ja, &d.message_en).to_owned()
}

async fn new_institution(ctx: PageCtx, user: WebUser) -> PageResult {
    if !user.user().principal().can_create_institutions() {
        return Err(fail(ctx.lang)(AppError::Forbidden));
    }
    let values = InstitutionValues {
        kind: "hospital".into(),
        prefecture: "13".into(),
        has_medical_information_system: Some("on".into()),
        ..Default::default()
    };
    Ok(institution_form(
        &ctx,
        &user,
        "/institutions".into(),
        ctx.lang.t("institution-new"),
        values,
        true,
        None,
        StatusCode::OK,
    ))
}

async fn create_institution(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Form(values): Form<InstitutionValues>,
) -> PageResult {
    let lang = ctx.lang;
    user.check_csrf(&values.csrf).map_err(fail(lang))?;
    if !user.user().principal().can_create_institutions() {
        return Err(fail(lang)(AppError::Forbidden));
    }
    match values.parse() {
        Ok(new) => {
            let id = state
                .store
                .create_institution(&new, Some(user.user().id))
                .await
                .map_err(|e| fail(lang)(e.into()))?;
            Ok(redirect(&format!("/institutions/{id}")))
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            Ok(institution_form(
                &ctx,
                &user,
                "/institutions".into(),
                lang.t("institution-new"),
                values,
                true,
                Some(msg),
                e.status(),
            ))
        }
        Err(e) => Err(fail(lang)(e)),
    }
}

async fn edit_institution(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path(id): Path<String>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = service::administered_institution(&state, &principal, &id)
        .await
        .map_err(fail(lang))?;
    let values = InstitutionValues::from_institution(&institution);
    Ok(institution_form(
        &ctx,
        &user,
        format!("/institutions/{}/edit", institution.id),
        lang.t("institution-edit"),
        values,
        principal.role == Role::NationalAdmin,
        None,
        StatusCode::OK,
    ))
}

async fn update_institution(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path(id): Path<String>,
    Form(mut values): Form<InstitutionValues>,
) -> PageResult {
    let lang = ctx.lang;
    user.check_csrf(&values.csrf).map_err(fail(lang))?;
    let principal = user.user().principal();
    let institution = service::administered_institution(&state, &principal, &id)
        .await
        .map_err(fail(lang))?;
    let can_move = principal.role == Role::NationalAdmin;
    if !can_move {
        values.prefecture = institution.prefecture.code();
    }
    let action = format!("/institutions/{}/edit", institution.id);
    let parsed = match values.parse() {
        Ok(new) => service::check_institution_change(&state, &institution, &new)
            .await
            .map(|()| new),
        Err(e) => Err(e),
    };
    match parsed {
        Ok(new) => {
            state
                .store
                .update_institution(institution.id, &new, user.user().id)
                .await
                .map_err(|e| fail(lang)(e.into()))?;
            Ok(redirect(&format!("/institutions/{}", institution.id)))
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            Ok(institution_form(
                &ctx,
                &user,
                action,
                lang.t("institution-edit"),
                values,
                can_move,
                Some(msg),
                e.status(),
            ))
        }
        Err(e) => Err(fail(lang)(e)),
    }
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    csrf: String,
}

async fn add_institution_user(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<NewUserForm>,
) -> PageResult {
    let lang = ctx.lang;
    user.check_csrf(&form.csrf).map_err(fail(lang))?;
    let principal = user.user().principal();
    let institution = service::administered_institution(&state, &principal, &id)
        .await
        .map_err(fail(lang))?;
    let role = if form.role == "admin" {
        Role::InstitutionAdmin
    } else {
        Role::InstitutionStaff
    };
    match crate::add_user(
        &state,
        Some(user.user().id),
        &form.login,
        &form.password,
        role,
        Some(institution.id),
        None,
    )
    .await
    {
        Ok(_) => {
            institution_view(
                &state,
                &ctx,
                &user,
                &id,
                None,
                Some(lang.t("user-added")),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            institution_view(&state, &ctx, &user, &id, Some(msg), None, e.status()).await
        }
        Err(e) => Err(fail(lang)(e)),
    }
}

// ----- checklist -------------------------------------------------------------------------

/// One item card on the checklist page.
pub struct ItemCard {
    pub key: String,
    pub dom_id: String,
    pub number: String,
    pub scope: String,
    pub text: String,
    /// `required`, `reference` or `na`.
    pub state: &'static str,
    pub badge: String,
    pub note: String,
    pub has_target_date: bool,
    pub first: RoundView,
    pub second: RoundView,
    pub editable: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    pub missing: bool,
    /// What the device ledger says about the item (2(1), 2(2), 2(7), 2(8)).
    pub evidence: Option<crate::ledger_pages::EvidenceView>,
}

#[derive(Default, Clone)]
pub struct RoundView {
    pub answer: String,
    pub answer_label: String,
    pub checked_on: String,
    pub target_date: String,
    pub present: bool,
}

impl RoundView {
    fn of(a: Option<&ItemAnswer>, lang: Lang) -> Self {
        match a {
            None => Self::default(),
            Some(a) => Self {
                answer: a.answer.as_str().into(),
                answer_label: lang.pick(a.answer.label_ja(), a.answer.label_en()).into(),
                checked_on: a.checked_on.to_string(),
                target_date: a.target_date.map(|d| d.to_string()).unwrap_or_default(),
                present: true,
            },
        }
    }

    pub fn is(&self, answer: &str) -> bool {
        self.answer == answer
    }
}

pub struct SectionView {
    pub number: u8,
    pub title: String,
    pub groups: Vec<GroupView>,
}

/// Items of one scope within a section, under the form's heading
/// (「サーバについて、以下を実施している。」).
pub struct GroupView {
    pub heading: String,
    pub items: Vec<ItemCard>,
}

pub struct FindingView {
    pub severity: &'static str,
    pub label: String,
    pub message: String,
    pub anchor: String,
}

fn scope_heading(lang: Lang, scope: Scope) -> String {
    match (lang, scope) {
        (_, Scope::None) => String::new(),
        (Lang::Ja, s) => format!("{}について、以下を実施している。", s.label_ja()),
        (Lang::En, s) => format!("{}: the following are in place.", s.label_en()),
    }
}

fn item_card(
    lang: Lang,
    a: &Assessment<'_>,
    state: &service::ItemState<'_>,
    editable: bool,
) -> ItemCard {
    let item = state.item;
    let fy = a.fiscal_year;
    let (css, badge, note) = match state.status {
        ItemStatus::Required => ("required", lang.t("badge-required"), String::new()),
        ItemStatus::Reference { required_from } => (
            "reference",
            lang.t("badge-reference"),
            match (required_from, lang) {
                (Some(from), Lang::Ja) => format!(
                    "{}から必須。{}の立入検査では確認されません",
                    from.era_label_ja(),
                    fy.era_label_ja()
                ),
                (Some(from), Lang::En) => format!(
                    "Required from {}; not inspected in {}",
                    from.label_en(),
                    fy.label_en()
                ),
                (None, _) => lang.t("reference-never"),
            },
        ),
        ItemStatus::NotApplicable(reason) => (
            "na",
            lang.t("badge-not-required"),
            lang.pick(reason.message_ja(), reason.message_en())
                .to_owned(),
        ),
    };
    let applicable = !matches!(state.status, ItemStatus::NotApplicable(_));
    ItemCard {
        key: item.key.clone(),
        dom_id: format!("item-{}", item.key),
        number: item.number.clone(),
        scope: lang
            .pick(item.scope.label_ja(), item.scope.label_en())
            .to_owned(),
        text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
        state: css,
        badge,
        note,
        has_target_date: item.has_target_date,
        first: RoundView::of(state.answers.first.as_ref(), lang),
        second: RoundView::of(state.answers.second.as_ref(), lang),
        editable: editable && applicable,
        message: None,
        error: None,
        missing: state.status == ItemStatus::Required && state.answers.first.is_none(),
        evidence: None,
    }
}

fn findings_view(lang: Lang, a: &Assessment<'_>) -> Vec<FindingView> {
    a.verdict
        .findings
        .iter()
        .map(|f| FindingView {
            severity: match f.severity {
                Severity::Blocking => "blocking",
                Severity::Advice => "advice",
                Severity::Info => "info",
            },
            label: match f.severity {
                Severity::Blocking => lang.t("severity-blocking"),
                Severity::Advice => lang.t("severity-advice"),
                Severity::Info => lang.t("severity-info"),
            },
            message: lang.pick(&f.message_ja, &f.message_en).to_owned(),
            anchor: f
                .item_key
                .as_ref()
                .map(|k| format!("#item-{k}"))
                .unwrap_or_default(),
        })
        .collect()
}

fn sections_view(lang: Lang, a: &Assessment<'_>, editable: bool) -> Vec<SectionView> {
    let mut sections: Vec<SectionView> = Vec::new();
    for state in &a.items {
        let item = state.item;
        if sections.last().is_none_or(|s| s.number != item.section) {
            let title = a
                .version
                .section(item.section)
                .map(|s| lang.pick(&s.title_ja, &s.title_en).to_owned())
                .unwrap_or_default();
            sections.push(SectionView {
                number: item.section,
                title,
                groups: Vec::new(),
            });
        }
        let heading = scope_heading(lang, item.scope);
        let Some(section) = sections.last_mut() else {
            continue;
        };
        if section.groups.last().is_none_or(|g| g.heading != heading) {
            section.groups.push(GroupView {
                heading: heading.clone(),
                items: Vec::new(),
            });
        }
        if let Some(group) = section.groups.last_mut() {
            group.items.push(item_card(lang, a, state, editable));
        }
    }
    sections
}

pub struct YearLink {
    pub fiscal_year: i32,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistPage {
    chrome: Chrome,
    id: i64,
    name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    years: Vec<YearLink>,
    form_label: String,
    version_label: String,
    title: String,
    gate: String,
    has_system: bool,
    has_vendors: bool,
    answered: usize,
    required: usize,
    yes: usize,
    no: usize,
    percent: u32,
    reference: usize,
    not_applicable: usize,
    ready: bool,
    blocking: Vec<FindingView>,
    sections: Vec<SectionView>,
    editable: bool,
    can_administer: bool,
    missing_target_dates: usize,
    /// What the contact chart and the backup / BCP records show, beside items 3(1)–3(3).
    evidence: Vec<crate::vendor_pages::EvidenceView>,
}

#[derive(Template)]
#[template(path = "item_card.html")]
struct ItemFragment {
    chrome: Chrome,
    id: i64,
    fiscal_year: i32,
    card: ItemCard,
}

/// Loads an assessment the caller may see, and records the read in the access log.
async fn load(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: &str,
    fy: &str,
    resource: &str,
) -> Result<Assessment<'static>, PageError> {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let id = service::parse_id(id).map_err(fail(lang))?;
    let fy = service::parse_fiscal_year(state, fy).map_err(fail(lang))?;
    service::visible_assessment(state, &principal, id, fy, resource)
        .await
        .map_err(fail(lang))
}

fn checklist_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    a: &Assessment<'_>,
    error: Option<(String, String)>,
    mut evidence: HashMap<String, crate::ledger_pages::EvidenceView>,
) -> ChecklistPage {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let editable = principal.can_answer(a.institution.id);
    let mut sections = sections_view(lang, a, editable);
    for card in sections
        .iter_mut()
        .flat_map(|s| s.groups.iter_mut())
        .flat_map(|g| g.items.iter_mut())
    {
        card.evidence = evidence.remove(&card.key);
    }
    if let Some((key, message)) = error {
        for card in sections
            .iter_mut()
            .flat_map(|s| s.groups.iter_mut())
            .flat_map(|g| g.items.iter_mut())
        {
            if card.key == key {
                card.error = Some(message.clone());
            }
        }
    }
    let p = a.progress;
    ChecklistPage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            format!("{} — {}", lang.t("checklist-title"), a.institution.name),
        ),
        id: a.institution.id,
        name: a.institution.name.clone(),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        years: state
            .catalog
            .fiscal_years()
            .iter()
            .map(|&fy| YearLink {
                fiscal_year: fy.start_year(),
                label: fy_label(lang, fy),
                current: fy == a.fiscal_year,
            })
            .collect(),
        form_label: lang
            .pick(a.version.form.label_ja(), a.version.form.label_en())
            .to_owned(),
        version_label: lang
            .pick(&a.version.version_label_ja, &a.version.version_label_en)
            .to_owned(),
        title: lang
            .pick(&a.version.title_ja, &a.version.title_en)
            .to_owned(),
        gate: a
            .version
            .gate
            .as_ref()
            .map(|g| lang.pick(&g.text_ja, &g.text_en).to_owned())
            .unwrap_or_default(),
        has_system: a.institution.has_medical_information_system,
        has_vendors: a.institution.has_vendor_contracts,
        answered: p.answered,
        required: p.required,
        yes: p.yes,
        no: p.no,
        percent: p.percent(),
        reference: p.reference,
        not_applicable: p.not_applicable,
        ready: a.verdict.ready,
        blocking: findings_view(lang, a)
            .into_iter()
            .filter(|f| f.severity == "blocking")
            .collect(),
        sections,
        editable,
        can_administer: principal.can_administer(a.institution.id),
        missing_target_dates: p.missing_target_dates,
        evidence: Vec::new(),
    }
}

async fn checklist(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy)): Path<(String, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let id = service::parse_id(&id).map_err(fail(lang))?;
    let fy = service::parse_fiscal_year(&state, &fy).map_err(fail(lang))?;
    let page = full_checklist_page(&state, &ctx, &user, &principal, id, fy, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The checklist page with the ledger's and the vendors' evidence beside the items, from
/// the institution's file (one query, plus the ledger when it has devices).
async fn full_checklist_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    principal: &mamori_domain::Principal,
    id: i64,
    fy: mamori_domain::FiscalYear,
    error: Option<(String, String)>,
) -> Result<ChecklistPage, PageError> {
    let lang = ctx.lang;
    let (a, file) = service::visible_file(state, principal, id, fy, "checklist")
        .await
        .map_err(fail(lang))?;
    let ledger_evidence =
        crate::ledger_pages::checklist_evidence(state, lang, &a, file.has_devices)
            .await
            .map_err(fail(lang))?;
    let mut page = checklist_page(state, ctx, user, &a, error, ledger_evidence);
    page.evidence =
        crate::vendor_pages::checklist_evidence(state, lang, &a, &file).map_err(fail(lang))?;
    Ok(page)
}

#[derive(Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    round: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    target_date: String,
    /// `save` (default) or `clear`.
    #[serde(default)]
    action: String,
}

fn form_input(form: &ItemForm) -> Result<(Round, Option<AnswerInput>), AppError> {
    let round = Round::from_number(form.round.trim().parse::<i64>().unwrap_or(0))?;
    if form.action == "clear" {
        return Ok((round, None));
    }
    if form.answer.is_empty() {
        return Err(AppError::Invalid(mamori_domain::ParseError::new(
            "answer",
            "「はい」か「いいえ」を選んでください",
            "choose yes or no",
        )));
    }
    if form.checked_on.trim().is_empty() {
        return Err(AppError::Invalid(mamori_domain::ParseError::new(
            "checked_on",
            "確認日を入力してください",
            "enter the date of the check",
        )));
    }
    let input = AnswerInput {
        round,
        answer: Answer::parse(&form.answer)?,
        checked_on: parse_date("checked_on", &form.checked_on)?,
        target_date: Some(form.target_date.trim())
            .filter(|t| !t.is_empty())
            .map(|t| parse_date("target_date", t))
            .transpose()?,
    };
    Ok((round, Some(input)))
}

async fn save_item(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy, key)): Path<(String, String, String)>,
    Form(form): Form<ItemForm>,
) -> PageResult {
    let lang = ctx.lang;
    user.check_csrf(&form.csrf).map_err(fail(lang))?;
    let principal = user.user().principal();
    let institution = page_institution(&state, &principal, &id, lang).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy).map_err(fail(lang))?;
    let result = match form_input(&form) {
        Ok((_, Some(input))) => {
            service::save_answer(&state, &principal, &institution, fiscal_year, &key, input)
                .await
                .map(|_| ())
        }
        Ok((round, None)) => {
            service::clear_answer(&state, &principal, &institution, fiscal_year, &key, round).await
        }
        Err(e) => Err(e),
    };
    let error = match result {
        Ok(()) => None,
        Err(e)
            if e.status().is_client_error()
                && e.status() != StatusCode::FORBIDDEN
                && e.status() != StatusCode::NOT_FOUND =>
        {
            Some(message(lang, &e))
        }
        Err(e) => return Err(fail(lang)(e)),
    };
    if !ctx.htmx {
        if error.is_none() {
            return Ok(redirect(&format!(
                "/institutions/{}/checklist/{}#item-{key}",
                institution.id, fiscal_year
            )));
        }
        let page = full_checklist_page(
            &state,
            &ctx,
            &user,
            &principal,
            institution.id,
            fiscal_year,
            error.map(|m| (key, m)),
        )
        .await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let a = service::assessment(&state, institution, fiscal_year)
        .await
        .map_err(fail(lang))?;
    let Some(item_state) = a.items.iter().find(|s| s.item.key == key) else {
        return Err(fail(lang)(AppError::NotFound));
    };
    let mut card = item_card(lang, &a, item_state, principal.can_answer(a.institution.id));
    let status = if let Some(e) = error {
        card.error = Some(e);
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        card.message = Some(lang.t("saved"));
        StatusCode::OK
    };
    let fragment = ItemFragment {
        chrome: Chrome::new(&ctx, Some(&user), String::new()),
        id: a.institution.id,
        fiscal_year: a.fiscal_year.start_year(),
        card,
    };
    let mut response = render(status, &fragment);
    // The progress and the verdict change with every answer: the page reloads its summary.
    response
        .headers_mut()
        .insert("HX-Trigger", HeaderValue::from_static("answer-saved"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "checklist_print.html")]
struct PrintPage {
    chrome: Chrome,
    name: String,
    prefecture: String,
    fiscal_year_label: String,
    form_label: String,
    version_label: String,
    title: String,
    gate: String,
    has_system: bool,
    sections: Vec<SectionView>,
}

async fn checklist_print(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy)): Path<(String, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, &id, &fy, "print").await?;
    let page = PrintPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!("{} — {}", lang.t("print-title"), a.institution.name),
        ),
        name: a.institution.name.clone(),
        prefecture: prefecture_label(lang, a.institution.prefecture),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        form_label: lang
            .pick(a.version.form.label_ja(), a.version.form.label_en())
            .to_owned(),
        version_label: lang
            .pick(&a.version.version_label_ja, &a.version.version_label_en)
            .to_owned(),
        title: lang
            .pick(&a.version.title_ja, &a.version.title_en)
            .to_owned(),
        gate: a
            .version
            .gate
            .as_ref()
            .map(|g| lang.pick(&g.text_ja, &g.text_en).to_owned())
            .unwrap_or_default(),
        has_system: a.institution.has_medical_information_system,
        sections: sections_view(lang, &a, false),
    };
    Ok(render(StatusCode::OK, &page))
}

pub struct HistoryRow {
    pub at: String,
    pub by: String,
    pub round: i64,
    pub action: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "item_history.html")]
struct HistoryPage {
    chrome: Chrome,
    id: i64,
    name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    item_label: String,
    item_text: String,
    rows: Vec<HistoryRow>,
}

fn describe(lang: Lang, a: Option<&ItemAnswer>) -> String {
    match a {
        None => "—".into(),
        Some(a) => {
            let mut s = format!(
                "{} ({})",
                lang.pick(a.answer.label_ja(), a.answer.label_en()),
                a.checked_on
            );
            if let Some(t) = a.target_date {
                s.push_str(&format!(" {} {t}", lang.t("target-date")));
            }
            s
        }
    }
}

async fn item_history(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy, key)): Path<(String, String, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, &id, &fy, "history").await?;
    let item = a
        .version
        .item(&key)
        .ok_or_else(|| fail(lang)(AppError::NotFound))?;
    let history = state
        .store
        .answer_history(a.institution.id, a.fiscal_year, &key)
        .await
        .map_err(|e| fail(lang)(e.into()))?;
    let rows = history
        .iter()
        .map(|h| HistoryRow {
            at: h
                .changed_at
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " "),
            by: h.changed_by.clone(),
            round: h.round.number(),
            action: if h.action == "clear" {
                lang.t("history-cleared")
            } else {
                lang.t("history-set")
            },
            before: describe(lang, h.previous.as_ref()),
            after: describe(lang, h.answer.as_ref()),
        })
        .collect();
    let page = HistoryPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("history-title")),
        id: a.institution.id,
        name: a.institution.name.clone(),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        item_label: match lang {
            Lang::Ja => item.label_ja(),
            Lang::En => item.label_en(),
        },
        item_text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- inspection ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage {
    chrome: Chrome,
    id: i64,
    name: String,
    prefecture: String,
    kind: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    years: Vec<YearLink>,
    guide_title: String,
    form_label: String,
    version_label: String,
    ready: bool,
    findings: Vec<FindingView>,
    blocking_count: usize,
    advice_count: usize,
    can_observe: bool,
    observation: Option<(bool, String, String)>,
    answered: usize,
    required: usize,
}

async fn inspection_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy)): Path<(String, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, &id, &fy, "inspection").await?;
    let findings = findings_view(lang, &a);
    let page = InspectionPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!("{} — {}", lang.t("inspection-title"), a.institution.name),
        ),
        id: a.institution.id,
        name: a.institution.name.clone(),
        prefecture: prefecture_label(lang, a.institution.prefecture),
        kind: kind_label(lang, a.institution.kind),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        years: state
            .catalog
            .fiscal_years()
            .iter()
            .map(|&fy| YearLink {
                fiscal_year: fy.start_year(),
                label: fy_label(lang, fy),
                current: fy == a.fiscal_year,
            })
            .collect(),
        guide_title: lang.pick(&a.rules.title_ja, &a.rules.title_en).to_owned(),
        form_label: lang
            .pick(a.version.form.label_ja(), a.version.form.label_en())
            .to_owned(),
        version_label: lang
            .pick(&a.version.version_label_ja, &a.version.version_label_en)
            .to_owned(),
        ready: a.verdict.ready,
        blocking_count: findings.iter().filter(|f| f.severity == "blocking").count(),
        advice_count: findings.iter().filter(|f| f.severity == "advice").count(),
        findings,
        can_observe: user
            .user()
            .principal()
            .can_record_observations(a.institution.prefecture),
        observation: a.observation.as_ref().map(|o| {
            (
                o.contact_chart_seen,
                o.recorded_by.clone(),
                o.recorded_at
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
            )
        }),
        answered: a.progress.answered,
        required: a.progress.required,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct ObservationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contact_chart_seen: String,
}

async fn save_observation(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: WebUser,
    Path((id, fy)): Path<(String, String)>,
    Form(form): Form<ObservationForm>,
) -> PageResult {
    let lang = ctx.lang;
    user.check_csrf(&form.csrf).map_err(fail(lang))?;
    let principal = user.user().principal();
    let institution = page_institution(&state, &principal, &id, lang).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy).map_err(fail(lang))?;
    let seen = match form.contact_chart_seen.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(fail(lang)(AppError::Invalid(
                mamori_domain::ParseError::new(
                    "contact_chart_seen",
                    "連絡体制図を確認できたかどうかを選んでください",
                    "choose whether the contact chart was seen",
                ),
            )));
        }
    };
    service::record_observation(&state, &principal, &institution, fiscal_year, seen)
        .await
        .map_err(fail(lang))?;
    Ok(redirect(&format!(
        "/institutions/{}/inspection/{}",
        institution.id, fiscal_year
    )))
}
