//! Account pages: the second step of a login, two-factor enrolment, the user's own sessions,
//! logins and password; an administrator's account lifecycle (disable, delete, unused
//! accounts), the access log and the audit log with its CSV export.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::Utc;
use mamori_domain::Role;
use mamori_store::{LoginEvent, SessionKind, User};
use serde::Deserialize;

use crate::account::session::signed_in;
use crate::http::auth::{self, WebUser};
use crate::http::download::attachment;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::Lang;
use crate::http::i18n::Message;
use crate::http::ids::{Ids, InstitutionId, UserId};
use crate::http::page::{
    AdministeredPage, Chrome, PageCtx, PageError, PageOpening, PageResult, SignedIn, message,
    redirect, render, safe_next,
};
use crate::{AppState, Routes, http::two_factor};

/// The account and administration routes, each recorded with its method.
pub fn routes() -> Routes {
    Routes::default()
        .get("/login/two-factor", second_factor_page)
        .post("/login/two-factor", second_factor_submit)
        .get("/account", account_page)
        .post("/account/password", change_password)
        .post("/account/sessions/revoke", revoke_session)
        .get("/account/two-factor", enrolment_page)
        .post("/account/two-factor", enrolment_confirm)
        .post("/account/two-factor/disable", disable_two_factor)
        .post(
            "/institutions/{id}/users/{user_id}/{action}",
            institution_user_action,
        )
        .post(
            "/institutions/{id}/unused-users/disable",
            institution_disable_unused,
        )
        .post(
            "/institutions/{id}/two-factor",
            institution_require_two_factor,
        )
        .get("/institutions/{id}/access-log", access_log_page)
        .get("/institutions/{id}/audit", institution_audit)
        .get("/admin/users", admin_users)
        .post("/admin/users/{user_id}/{action}", admin_user_action)
        .post("/admin/unused-users/disable", admin_disable_unused)
        .get("/admin/audit", admin_audit)
}

fn local(at: &str) -> String {
    at.chars().take(19).collect::<String>().replace('T', " ")
}

// ----- second step of a login ------------------------------------------------------------

#[derive(Template)]
#[template(path = "login_two_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    next: String,
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn pending_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, mamori_store::Session)>, AppError> {
    let Some(token) = auth::session_cookie(headers, auth::PENDING_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::token_hash(&token);
    Ok(state
        .store
        .session(&hash, SessionKind::Pending)
        .await?
        .map(|s| (hash, s)))
}

async fn second_factor_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let Some((_, pending)) = pending_session(&state, &headers).await? else {
        return Ok(redirect("/login"));
    };
    let page = SecondFactorPage {
        chrome: Chrome::new(&ctx, None, ctx.lang.t("two-factor-title")),
        next: safe_next(q.next.as_deref()),
        csrf: pending.csrf_token,
        error: None,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct CodeForm {
    /// The pending login's token (this step has no session for `http::csrf` to check).
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

async fn second_factor_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    client: auth::ClientInfo,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let lang = ctx.lang;
    let Some((hash, pending)) = pending_session(&state, &headers).await? else {
        return Ok(redirect("/login"));
    };
    if !auth::same_secret(&form.csrf, &pending.csrf_token) {
        return Err(PageError::from(auth::csrf_error()));
    }
    let next = safe_next(form.next.as_deref());
    let login = pending.user.login.clone();
    // A locked account's pending login is void, and the right code is refused too.
    if let Err(locked) = auth::refuse_if_locked(&state, &login, &client).await {
        return void_pending_login(&state, &hash, locked).await;
    }
    if two_factor::verify(&state, &pending.user, &form.code).await? {
        state.store.delete_session(&hash).await?;
        let (token, _) =
            auth::open_session(&state, &pending.user, SessionKind::Web, &client).await?;
        return Ok(signed_in(&state, &token, &next));
    }
    if auth::count_failure(&state, &login, &client).await? {
        let locked = auth::locked_now(&state, &login, &client).await;
        return void_pending_login(&state, &hash, locked).await;
    }
    let page = SecondFactorPage {
        chrome: Chrome::new(&ctx, None, lang.t("two-factor-title")),
        next,
        csrf: pending.csrf_token,
        error: Some(message(lang, &auth::invalid_second_factor())),
    };
    Ok(render(StatusCode::UNAUTHORIZED, &page))
}

/// Ends a pending login and answers with the lock's refusal, the pending cookie cleared.
async fn void_pending_login(state: &AppState, pending_hash: &str, locked: AppError) -> PageResult {
    state.store.delete_session(pending_hash).await?;
    let mut response = PageError::from(locked).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        crate::http::page::cookie(auth::PENDING_COOKIE, "", 0, state.config.secure_cookies),
    );
    Ok(response)
}

// ----- the user's own account ------------------------------------------------------------

pub struct SessionRow {
    pub id: String,
    pub kind: String,
    pub created_at: String,
    pub expires_at: String,
    pub address: String,
    pub client: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    login: String,
    role: String,
    two_factor_enabled: bool,
    two_factor_required: bool,
    recovery_left: i64,
    sessions: Vec<SessionRow>,
    logins: Vec<LoginEvent>,
    error: Option<String>,
    notice: Option<String>,
}

async fn account_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let u = user.user();
    let sessions = state.store.sessions_of_user(u.id).await?;
    let current: String = user.token_hash.chars().take(16).collect();
    let logins = state.store.login_history(u, 10).await?;
    let page = AccountPage {
        chrome: Chrome::new(ctx, Some(user), lang.t("account-title")),
        login: u.login.clone(),
        role: lang.pick(u.role.label_ja(), u.role.label_en()).to_owned(),
        two_factor_enabled: u.totp_enabled,
        two_factor_required: two_factor::required(u, user.session.institution_requires_two_factor),
        recovery_left: state.store.unused_recovery_codes(u.id).await?,
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                current: s.id == current,
                kind: if s.kind == "api" {
                    lang.t("session-api")
                } else {
                    lang.t("session-web")
                },
                id: s.id,
                created_at: local(&s.created_at),
                expires_at: local(&s.expires_at),
                address: s.address,
                client: s.client.chars().take(60).collect(),
            })
            .collect(),
        logins: logins
            .into_iter()
            .map(|l| LoginEvent {
                at: local(&l.at),
                ..l
            })
            .collect(),
        error,
        notice,
    };
    Ok(render(status, &page))
}

async fn account_page(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> PageResult {
    account_view(&state, &ctx, &user, None, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    client: auth::ClientInfo,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let lang = ctx.lang;
    let u = user.user();
    let result: Result<(), AppError> = async {
        // The current password is a secret like any other: a stolen session may not guess
        // it faster than a login could.
        auth::refuse_if_locked(&state, &u.login, &client).await?;
        let hash = state.store.password_hash(u.id).await?;
        if !auth::verify_password(form.current.clone(), hash.clone()).await {
            auth::record_wrong_secret(&state, &u.login, &client).await?;
            return Err(AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::WrongCurrentPassword,
                Message::new("errors-wrong-current-password"),
            ));
        }
        if form.new != form.confirm {
            return Err(AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::PasswordMismatch,
                Message::new("errors-password-mismatch"),
            ));
        }
        if auth::verify_password(form.new.clone(), hash).await {
            return Err(AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::PasswordReused,
                Message::new("errors-password-reused"),
            ));
        }
        two_factor::check_new_password(&form.new, &u.login)?;
        let new_hash = auth::hash_password(form.new.clone()).await?;
        state
            .store
            .set_password(u.id, &new_hash, Some(&user.token_hash), u.id)
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            account_view(
                &state,
                &ctx,
                &user,
                None,
                Some(lang.t("password-changed")),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if e.status().is_client_error() => {
            let mut response = account_view(
                &state,
                &ctx,
                &user,
                Some(message(lang, &e)),
                None,
                e.status(),
            )
            .await?;
            e.decorate(&mut response);
            Ok(response)
        }
        Err(e) => Err(PageError::from(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    id: String,
}

async fn revoke_session(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    state.store.revoke_session(user.user().id, &form.id).await?;
    Ok(redirect("/account"))
}

// ----- two-factor enrolment --------------------------------------------------------------

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct EnrolmentPage {
    chrome: Chrome,
    enabled: bool,
    required: bool,
    secret: String,
    qr_svg: String,
    recovery_codes: Vec<String>,
    error: Option<String>,
}

async fn enrolment_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    error: Option<String>,
    codes: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let u = user.user();
    let required = two_factor::required(u, user.session.institution_requires_two_factor);
    // Nothing to scan once it is on, or while the new recovery codes are shown.
    let (secret, qr_svg) = if u.totp_enabled || !codes.is_empty() {
        (String::new(), String::new())
    } else {
        let secret = match state.store.totp_pending(u.id).await? {
            Some(s) => s,
            None => {
                let s = two_factor::new_secret();
                state.store.set_totp_pending(u.id, &s).await?;
                s
            }
        };
        let (_, svg) = two_factor::enrolment(&secret, &u.login)?;
        (secret, svg)
    };
    let page = EnrolmentPage {
        chrome: Chrome::new(ctx, Some(user), lang.t("two-factor-title")),
        enabled: u.totp_enabled || !codes.is_empty(),
        required,
        secret,
        qr_svg,
        recovery_codes: codes,
        error,
    };
    Ok(render(status, &page))
}

async fn enrolment_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
) -> PageResult {
    enrolment_view(&state, &ctx, &user, None, Vec::new(), StatusCode::OK).await
}

async fn enrolment_confirm(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let u = user.user();
    let Some(secret) = state.store.totp_pending(u.id).await? else {
        return Ok(redirect("/account/two-factor"));
    };
    match two_factor::check_code(&secret, &u.login, &form.code)? {
        Some(step) => {
            let codes = two_factor::new_recovery_codes();
            let hashes: Vec<String> = codes
                .iter()
                .map(|c| two_factor::hash_recovery_code(c))
                .collect();
            state
                .store
                .enable_totp(u.id, &secret, step, &hashes)
                .await?;
            enrolment_view(&state, &ctx, &user, None, codes, StatusCode::OK).await
        }
        None => wrong_code(&state, &ctx, &user).await,
    }
}

/// The two-factor page again after a wrong code.
async fn wrong_code(state: &AppState, ctx: &PageCtx, user: &WebUser) -> PageResult {
    let refused = message(ctx.lang, &auth::invalid_second_factor());
    enrolment_view(
        state,
        ctx,
        user,
        Some(refused),
        Vec::new(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn disable_two_factor(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    client: auth::ClientInfo,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let u = user.user();
    if two_factor::required(u, user.session.institution_requires_two_factor) {
        return Err(PageError::from(AppError::rejected(
            StatusCode::FORBIDDEN,
            ErrorCode::TwoFactorRequired,
            Message::new("errors-two-factor-required"),
        )));
    }
    auth::refuse_if_locked(&state, &u.login, &client).await?;
    if !two_factor::verify(&state, u, &form.code).await? {
        auth::record_wrong_secret(&state, &u.login, &client).await?;
        return wrong_code(&state, &ctx, &user).await;
    }
    state.store.disable_totp(u.id, u.id).await?;
    Ok(redirect("/account"))
}

// ----- administrators: users, unused accounts, two-factor rule ----------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TwoFactorRequirement {
    required: Option<String>,
}

/// The accounts unused for the configured time, of one institution or everywhere with
/// `None`.
pub async fn unused_accounts(
    state: &AppState,
    institution_id: Option<i64>,
) -> Result<Vec<mamori_store::User>, mamori_store::StoreError> {
    let cutoff = Utc::now() - chrono::Duration::days(state.config.unused_account_days);
    state.store.unused_users(institution_id, cutoff).await
}

/// Disables, in one step, the accounts unused for the configured time (of one institution,
/// or everywhere with `None`), except the administrator's own.
async fn disable_unused(
    state: &AppState,
    institution_id: Option<i64>,
    actor: i64,
) -> Result<(), mamori_store::StoreError> {
    let unused = unused_accounts(state, institution_id).await?;
    for u in unused.iter().filter(|u| u.id != actor) {
        state.store.set_user_disabled(u.id, true, actor).await?;
    }
    Ok(())
}

async fn apply_user_action(
    state: &AppState,
    actor: &User,
    target: i64,
    action: &str,
) -> Result<(), AppError> {
    if target == actor.id && matches!(action, "disable" | "delete") {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::OwnAccount,
            Message::new("errors-own-account"),
        ));
    }
    match action {
        "disable" => {
            state
                .store
                .set_user_disabled(target, true, actor.id)
                .await?
        }
        "enable" => {
            state
                .store
                .set_user_disabled(target, false, actor.id)
                .await?
        }
        "delete" => state.store.delete_user(target, actor.id).await?,
        "sign-out" => state.store.end_sessions_of(target, actor.id).await?,
        _ => return Err(AppError::not_found()),
    }
    Ok(())
}

async fn institution_user_action(
    State(state): State<AppState>,
    PageOpening(_, user, _, institution): AdministeredPage,
    Ids((_, target_id, action)): Ids<(InstitutionId, UserId, String)>,
) -> PageResult {
    let target_id = target_id.get();
    let target = state.store.user(target_id).await?;
    if target.as_ref().and_then(|t| t.institution_id) != Some(institution.id) {
        return Err(PageError::from(AppError::not_found()));
    }
    apply_user_action(&state, user.user(), target_id, &action).await?;
    Ok(redirect(&format!("/institutions/{}#users", institution.id)))
}

async fn institution_disable_unused(
    State(state): State<AppState>,
    PageOpening(_, user, _, institution): AdministeredPage,
) -> PageResult {
    disable_unused(&state, Some(institution.id), user.user().id).await?;
    Ok(redirect(&format!("/institutions/{}#users", institution.id)))
}

async fn institution_require_two_factor(
    State(state): State<AppState>,
    PageOpening(_, user, _, institution): AdministeredPage,
    Form(form): Form<TwoFactorRequirement>,
) -> PageResult {
    let required = form.required.as_deref() == Some("on");
    state
        .store
        .set_require_two_factor(institution.id, required, user.user().id)
        .await?;
    Ok(redirect(&format!("/institutions/{}#users", institution.id)))
}

pub struct AccessRow {
    pub at: String,
    pub login: String,
    pub role: String,
    pub resource: String,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    id: i64,
    name: String,
    rows: Vec<AccessRow>,
}

async fn access_log_page(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
) -> PageResult {
    let lang = ctx.lang;
    let rows = state.store.access_log(institution.id, 500).await?;
    let page = AccessLogPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("access-log-title")),
        id: institution.id,
        name: institution.name.clone(),
        rows: rows
            .into_iter()
            .map(|r| AccessRow {
                at: local(&r.at),
                role: Role::parse(&r.role)
                    .map(|role| lang.pick(role.label_ja(), role.label_en()).to_owned())
                    .unwrap_or(r.role),
                login: r.login,
                resource: resource_label(lang, &r.resource),
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn resource_label(lang: Lang, resource: &str) -> String {
    let (kind, rest) = resource.split_once(':').unwrap_or((resource, ""));
    let label = match kind {
        "checklist" => lang.t("open-checklist"),
        "inspection" => lang.t("open-inspection"),
        "profile" => lang.t("profile"),
        "history" => lang.t("history"),
        other => other.to_owned(),
    };
    if rest.is_empty() {
        label
    } else {
        format!("{label} ({rest})")
    }
}

pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub login: String,
    pub action: String,
    pub institution_id: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit_log.html")]
struct AuditPage {
    chrome: Chrome,
    heading: String,
    csv_link: String,
    rows: Vec<AuditView>,
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

fn csv_field(text: &str) -> String {
    // Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

async fn audit_response(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    institution: Option<(i64, String)>,
    format: Option<&str>,
) -> PageResult {
    let lang = ctx.lang;
    let rows = state
        .store
        .audit_entries(institution.as_ref().map(|(id, _)| *id), 10_000)
        .await?;
    if format == Some("csv") {
        let mut out = String::from("\u{feff}seq,at,login,action,institution_id,detail\r\n");
        for r in &rows {
            let fields = [
                r.seq.to_string(),
                r.at.clone(),
                r.login.clone().unwrap_or_default(),
                r.action.clone(),
                r.institution_id.map(|i| i.to_string()).unwrap_or_default(),
                r.detail.clone(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
        let name = match &institution {
            Some((id, _)) => format!("mamori-audit-{id}.csv"),
            None => "mamori-audit.csv".to_owned(),
        };
        return Ok(attachment("text/csv; charset=utf-8", &name, out));
    }
    let (heading, csv_link) = match &institution {
        Some((id, name)) => (
            format!("{} — {name}", lang.t("audit-title")),
            format!("/institutions/{id}/audit?format=csv"),
        ),
        None => (lang.t("audit-title"), "/admin/audit?format=csv".to_owned()),
    };
    let page = AuditPage {
        chrome: Chrome::new(ctx, Some(user), lang.t("audit-title")),
        heading,
        csv_link,
        rows: rows
            .into_iter()
            .take(500)
            .map(|r| AuditView {
                seq: r.seq,
                at: local(&r.at),
                login: r.login.unwrap_or_else(|| "—".into()),
                action: r.action,
                institution_id: r.institution_id.map(|i| i.to_string()).unwrap_or_default(),
                detail: r.detail,
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn institution_audit(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Query(q): Query<FormatQuery>,
) -> PageResult {
    audit_response(
        &state,
        &ctx,
        &user,
        Some((institution.id, institution.name.clone())),
        q.format.as_deref(),
    )
    .await
}

async fn admin_audit(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<FormatQuery>,
) -> PageResult {
    if user.user().role != Role::NationalAdmin {
        return Err(PageError::from(AppError::not_found()));
    }
    audit_response(&state, &ctx, &user, None, q.format.as_deref()).await
}

pub struct AdminUserRow {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub scope: String,
    pub last_login: String,
    pub disabled: bool,
    pub two_factor: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct AdminUsersPage {
    chrome: Chrome,
    users: Vec<AdminUserRow>,
    unused: Vec<AdminUserRow>,
    unused_days: i64,
}

fn admin_row(lang: Lang, u: &User, me: i64) -> AdminUserRow {
    AdminUserRow {
        id: u.id,
        login: u.login.clone(),
        role: lang.pick(u.role.label_ja(), u.role.label_en()).to_owned(),
        scope: match (u.prefecture, u.institution_id) {
            (Some(p), _) => format!("{} {}", p.code(), lang.pick(p.name_ja(), p.name_en())),
            (None, Some(i)) => format!("#{i}"),
            _ => "—".into(),
        },
        last_login: u
            .last_login_at
            .as_deref()
            .map(local)
            .unwrap_or_else(|| "—".into()),
        disabled: u.disabled,
        two_factor: u.totp_enabled,
        is_self: u.id == me,
    }
}

async fn admin_users(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> PageResult {
    let lang = ctx.lang;
    if user.user().role != Role::NationalAdmin {
        return Err(PageError::from(AppError::not_found()));
    }
    let me = user.user().id;
    let users = state.store.staff_users().await?;
    let unused = unused_accounts(&state, None).await?;
    let page = AdminUsersPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("admin-users-title")),
        users: users.iter().map(|u| admin_row(lang, u, me)).collect(),
        unused: unused.iter().map(|u| admin_row(lang, u, me)).collect(),
        unused_days: state.config.unused_account_days,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn admin_user_action(
    State(state): State<AppState>,
    user: WebUser,
    Ids((target, action)): Ids<(UserId, String)>,
) -> PageResult {
    if user.user().role != Role::NationalAdmin {
        return Err(PageError::from(AppError::not_found()));
    }
    let target = target.get();
    if state.store.user(target).await?.is_none() {
        return Err(PageError::from(AppError::not_found()));
    }
    apply_user_action(&state, user.user(), target, &action).await?;
    Ok(redirect("/admin/users"))
}

async fn admin_disable_unused(State(state): State<AppState>, user: WebUser) -> PageResult {
    if user.user().role != Role::NationalAdmin {
        return Err(PageError::from(AppError::not_found()));
    }
    disable_unused(&state, None, user.user().id).await?;
    Ok(redirect("/admin/users"))
}
