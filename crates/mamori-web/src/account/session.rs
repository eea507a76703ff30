//! Signing in and out with the login form, the language switch and the home page, which
//! sends each role where it works.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use mamori_domain::Role;
use mamori_store::SessionKind;
use serde::Deserialize;

use crate::http::auth::{self, LOGIN_CSRF_COOKIE, MaybeWebUser, SESSION_COOKIE, WebUser};
use crate::http::i18n::{LANG_COOKIE, Lang};
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app::demo;

pub fn routes() -> Routes {
    Routes::default()
        .get("/", home)
        .get("/login", login_page)
        .post("/login", login_submit)
        .post("/logout", logout)
        .get("/lang/{code}", switch_language)
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
    let demo_logins = if state.store.user_for_login("demo-national").await?.is_some() {
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
    /// The double-submit token of the login form (no session yet).
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
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
        Err(e) => Err(PageError::from(e)),
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

async fn logout(State(state): State<AppState>, user: WebUser) -> PageResult {
    state.store.delete_session(&user.token_hash).await?;
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
    match (user.user().role, user.user().institution_id) {
        (_, Some(id)) => redirect(&format!("/institutions/{id}")),
        // Those who inspect or run the programme start from its figures and search.
        (Role::Inspector | Role::NationalAdmin, None) => redirect("/oversight"),
        (_, None) => redirect("/institutions"),
    }
}
