//! Authentication: argon2id password hashes, session tokens (stored only as SHA-256 hashes),
//! the login rule with its slow-down after repeated failures, and the extractors that tell
//! every handler who is asking.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::Utc;
use mamori_store::{Session, SessionKind, User};

use crate::AppState;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, AppError};
use crate::http::i18n::Message;

// Passwords and tokens are the use cases' (the command line hashes passwords too).
pub use mamori_app::passwords::{DUMMY_HASH, MIN_PASSWORD_LENGTH, hash_password, verify_password};
pub use mamori_app::tokens::{new_token, same_secret, token_hash};

pub const SESSION_COOKIE: &str = "mamori_session";
/// The cookie of a login waiting for its second factor.
pub const PENDING_COOKIE: &str = "mamori_pending";
/// The CSRF cookie for forms shown before login (double-submit).
pub const LOGIN_CSRF_COOKIE: &str = "mamori_login_csrf";
/// After this many failures in a row a login is refused for [`LOCKOUT_MINUTES`].
pub const MAX_FAILURES: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

fn bad_credentials() -> AppError {
    AppError::rejected(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        Message::new("errors-invalid-credentials"),
    )
}

fn too_many_attempts(retry_after_seconds: u64) -> AppError {
    AppError::Throttled {
        code: ErrorCode::TooManyAttempts,
        message: Message::new("errors-too-many-attempts").with("minutes", LOCKOUT_MINUTES),
        retry_after_seconds,
    }
}

/// After this many failures from one address (any accounts) the address is refused too.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// Where a request comes from, for the session list and the per-address limit.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub address: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts) -> Self {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        ClientInfo {
            address,
            user_agent,
        }
    }

    fn address_key(&self) -> Option<String> {
        (!self.address.is_empty()).then(|| format!("address:{}", self.address))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(parts))
    }
}

/// Seconds until the lock on `key` ends, if it is locked.
async fn lock_remaining(state: &AppState, key: &str, max: i64) -> Result<Option<u64>, AppError> {
    let Some((failures, last)) = state.store.login_failures(key).await? else {
        return Ok(None);
    };
    let left = chrono::Duration::minutes(LOCKOUT_MINUTES) - (Utc::now() - last);
    Ok((failures >= max && left > chrono::Duration::zero())
        .then(|| u64::try_from(left.num_seconds()).unwrap_or(0) + 1))
}

/// Refuses (429 with `Retry-After`) while the account or the address is locked. Every way
/// of trying a secret of an account asks this first — the password at login, the second
/// factor, a recovery code, the current password, an invitation joined with an existing
/// login — so the right secret is refused too until the lock ends.
pub async fn refuse_if_locked(
    state: &AppState,
    login: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if let Some(seconds) = lock_remaining(state, login, MAX_FAILURES).await? {
        return Err(too_many_attempts(seconds));
    }
    if let Some(key) = client.address_key()
        && let Some(seconds) = lock_remaining(state, &key, MAX_FAILURES_PER_ADDRESS).await?
    {
        return Err(too_many_attempts(seconds));
    }
    Ok(())
}

/// Counts a wrong secret against the account and the address; answers whether either is
/// now locked.
pub async fn count_failure(
    state: &AppState,
    login: &str,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    let mut locked = state.store.record_login_failure(login).await? >= MAX_FAILURES;
    if let Some(key) = client.address_key() {
        locked |= state.store.record_login_failure(&key).await? >= MAX_FAILURES_PER_ADDRESS;
    }
    Ok(locked)
}

/// The lock's own answer right after the failure that set it.
pub async fn locked_now(state: &AppState, login: &str, client: &ClientInfo) -> AppError {
    match refuse_if_locked(state, login, client).await {
        Err(e) => e,
        Ok(()) => too_many_attempts(u64::try_from(LOCKOUT_MINUTES * 60).unwrap_or(900)),
    }
}

/// Counts a wrong secret as [`count_failure`]; the failure that sets a lock is answered
/// with the lock's own refusal.
pub async fn record_wrong_secret(
    state: &AppState,
    login: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if count_failure(state, login, client).await? {
        return Err(locked_now(state, login, client).await);
    }
    Ok(())
}

/// Where a login stands after the password.
pub enum LoginStep {
    /// Signed in: the raw token (given to the client once), the CSRF token and the user.
    Done {
        token: String,
        csrf: String,
        user: User,
    },
    /// The password was right; the second factor is still to give on the next page.
    SecondFactor { pending_token: String },
}

/// Checks a login and, for a web login of a user with two-factor authentication, stops at
/// the second factor; an API login gives it in the same request (`totp`).
pub async fn login(
    state: &AppState,
    login: &str,
    password: &str,
    kind: SessionKind,
    second_factor: Option<&str>,
    client: &ClientInfo,
) -> Result<LoginStep, AppError> {
    let login = login.trim();
    if login.is_empty() || password.is_empty() {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::MissingCredentials,
            Message::new("errors-missing-credentials"),
        ));
    }
    if mamori_domain::text::first_forbidden(login).is_some() {
        // No account has such a login: a failed login like any unknown one, counted
        // against the address only (the login itself is not text the store may keep).
        verify_password(password.to_owned(), DUMMY_HASH.to_owned()).await;
        if let Some(key) = client.address_key() {
            if let Some(seconds) = lock_remaining(state, &key, MAX_FAILURES_PER_ADDRESS).await? {
                return Err(too_many_attempts(seconds));
            }
            state.store.record_login_failure(&key).await?;
        }
        return Err(bad_credentials());
    }
    refuse_if_locked(state, login, client).await?;
    let found = state.store.user_for_login(login).await?;
    let (user, hash) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, DUMMY_HASH.to_owned()),
    };
    let ok = verify_password(password.to_owned(), hash).await;
    let Some(user) = user.filter(|_| ok) else {
        count_failure(state, login, client).await?;
        return Err(bad_credentials());
    };
    if user.totp_enabled {
        match (second_factor, kind) {
            (Some(code), _) => check_second_factor(state, &user, Some(code), client).await?,
            (None, SessionKind::Web) => {
                let pending = new_token();
                let expires = Utc::now() + chrono::Duration::minutes(5);
                state
                    .store
                    .create_session(
                        &token_hash(&pending),
                        user.id,
                        SessionKind::Pending,
                        &new_token(),
                        expires,
                        &client.address,
                        &client.user_agent,
                    )
                    .await?;
                return Ok(LoginStep::SecondFactor {
                    pending_token: pending,
                });
            }
            (None, _) => return Err(second_factor_required()),
        }
    } else if kind == SessionKind::Api {
        let institution_requires = match user.institution_id {
            Some(id) => state.store.requires_two_factor(id).await?,
            None => false,
        };
        if crate::http::two_factor::required(&user, institution_requires) {
            return Err(enrolment_required());
        }
    }
    let (token, csrf) = open_session(state, &user, kind, client).await?;
    Ok(LoginStep::Done { token, csrf, user })
}

fn second_factor_required() -> AppError {
    AppError::rejected(
        StatusCode::UNAUTHORIZED,
        ErrorCode::SecondFactorRequired,
        Message::new("errors-second-factor-required"),
    )
}

/// Checks the second factor given together with a password (an API login, an invitation
/// joined with an existing login): a wrong code or recovery code counts as a failed login,
/// and the failure that locks the account answers with the lock.
pub async fn check_second_factor(
    state: &AppState,
    user: &User,
    code: Option<&str>,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(second_factor_required());
    };
    if crate::http::two_factor::verify(state, user, code).await? {
        return Ok(());
    }
    record_wrong_secret(state, &user.login, client).await?;
    Err(invalid_second_factor())
}

pub fn invalid_second_factor() -> AppError {
    AppError::rejected(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidSecondFactor,
        Message::new("errors-invalid-second-factor"),
    )
}

pub fn enrolment_required() -> AppError {
    AppError::rejected(
        StatusCode::FORBIDDEN,
        ErrorCode::TwoFactorEnrolmentRequired,
        Message::new("errors-two-factor-enrolment-required"),
    )
}

/// Opens a session of `kind` for a user whose credentials were checked.
pub async fn open_session(
    state: &AppState,
    user: &User,
    kind: SessionKind,
    client: &ClientInfo,
) -> Result<(String, String), AppError> {
    state.store.record_login(user.id, &user.login).await?;
    let token = new_token();
    let csrf = new_token();
    let ttl = match kind {
        SessionKind::Api => state.config.api_token_ttl,
        _ => state.config.session_ttl,
    };
    state
        .store
        .create_session(
            &token_hash(&token),
            user.id,
            kind,
            &csrf,
            Utc::now() + ttl,
            &client.address,
            &client.user_agent,
        )
        .await?;
    Ok((token, csrf))
}

/// The caller of an API route, by `Authorization: Bearer <token>`.
pub struct ApiUser {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let hash = token_hash(token);
        let session = state
            .store
            .session(&hash, SessionKind::Api)
            .await
            .map_err(AppError::from)?;
        let session = session.ok_or(AppError::Unauthenticated)?;
        // A token issued before the second factor became required (the institution's admin
        // turned the rule on, or the role now needs it) stops working until the user has
        // enrolled, as the pages send such a user to enrolment.
        if crate::http::two_factor::required(&session.user, session.institution_requires_two_factor)
            && !session.user.totp_enabled
        {
            return Err(enrolment_required().into());
        }
        Ok(ApiUser {
            user: session.user,
            token_hash: hash,
        })
    }
}

/// A cookie's value, if the request carries it.
pub fn session_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_owned())
}

/// The signed-in user of a page, by session cookie. Pages that need one redirect to the
/// login page when it is missing.
#[derive(Clone)]
pub struct WebUser {
    pub session: Session,
    pub token_hash: String,
}

impl WebUser {
    pub fn user(&self) -> &User {
        &self.session.user
    }
}

pub fn csrf_error() -> AppError {
    AppError::rejected(
        StatusCode::FORBIDDEN,
        ErrorCode::CsrfMismatch,
        Message::new("errors-csrf-mismatch"),
    )
}

/// Rejection of a page that needs a session: a redirect to the login page (with the page
/// to come back to), or to where the user must go first.
pub enum LoginRedirect {
    ToLogin(String),
    Other(String),
}

impl LoginRedirect {
    fn to_login(next: String) -> Self {
        Self::ToLogin(next)
    }
}

impl axum::response::IntoResponse for LoginRedirect {
    fn into_response(self) -> axum::response::Response {
        match self {
            Self::ToLogin(next) => {
                axum::response::Redirect::to(&format!("/login?next={}", urlencode(&next)))
                    .into_response()
            }
            Self::Other(to) => axum::response::Redirect::to(&to).into_response(),
        }
    }
}

/// Everything but unreserved characters and `/` is escaped: a local path stays readable in
/// a `next=` parameter.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes text for a query value or a file name in `Content-Disposition`.
pub fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// Pages a user who must set up two-factor authentication may still reach.
const ENROLMENT_PATHS: [&str; 3] = ["/account/two-factor", "/logout", "/lang/"];

/// The live web session of the session cookie, with its token's hash; none without a
/// cookie, for an unknown or expired token, or when the store cannot be read (logged).
pub async fn web_session(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Option<(Session, String)> {
    let token = session_cookie(headers, SESSION_COOKIE)?;
    let hash = token_hash(&token);
    match state.store.session(&hash, SessionKind::Web).await {
        Ok(session) => session.map(|s| (s, hash)),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let redirect = || LoginRedirect::to_login(here.clone());
        // Found already by the CSRF check of a form (`http::csrf`), from the same cookie.
        let (session, hash) = match parts.extensions.remove::<WebUser>() {
            Some(user) => (user.session, user.token_hash),
            None => web_session(state, &parts.headers)
                .await
                .ok_or_else(redirect)?,
        };
        let must_enrol = crate::http::two_factor::required(
            &session.user,
            session.institution_requires_two_factor,
        ) && !session.user.totp_enabled;
        if must_enrol
            && !ENROLMENT_PATHS
                .iter()
                .any(|p| parts.uri.path().starts_with(p))
        {
            return Err(LoginRedirect::Other("/account/two-factor".into()));
        }
        Ok(WebUser {
            session,
            token_hash: hash,
        })
    }
}

/// The session of a page that works with or without one (the login page).
pub struct MaybeWebUser(pub Option<WebUser>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeWebUser(
            WebUser::from_request_parts(parts, state).await.ok(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_percent_encoded_as_before() {
        assert_eq!(
            urlencode("/institutions/1?x=a b"),
            "/institutions/1%3Fx%3Da%20b"
        );
        assert_eq!(urlencode("機器"), "%E6%A9%9F%E5%99%A8");
        assert_eq!(urlencode("a-b_c.d~e/f"), "a-b_c.d~e/f");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append(
            header::COOKIE,
            "a=1; mamori_session=xyz".parse().expect("header"),
        );
        headers.append(header::COOKIE, "mamori_lang=en".parse().expect("header"));
        assert_eq!(
            session_cookie(&headers, "mamori_session").as_deref(),
            Some("xyz")
        );
        assert_eq!(
            session_cookie(&headers, "mamori_lang").as_deref(),
            Some("en")
        );
        assert_eq!(session_cookie(&headers, "missing"), None);
    }
}
