//! Every page route that changes something checks the form's CSRF token before its handler
//! runs, so that no route can forget it: the token of the signed-in session must come as
//! the form field `csrf` (urlencoded or multipart). A mismatch is 403 with the bilingual
//! "the form has expired" page, and the handler never runs.
//!
//! Three routes have no session to hold a token and prove themselves otherwise: the login
//! form (a double-submit cookie, checked by `account::session`), the second step of a login
//! (the pending login's own token) and accepting a vendor invitation (the token in the
//! path). Without a session the request goes on, and the handler's `WebUser` sends it to
//! the login page.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::auth::{self, WebUser};
use crate::http::input_guard::read_body;
use crate::http::{multipart, page};

/// Routes that prove the sender without a session's token (see the module's comment).
fn proves_itself(path: &str) -> bool {
    matches!(path, "/login" | "/login/two-factor") || path.starts_with("/invitations/")
}

/// The middleware, layered around the page routes only (the API uses bearer tokens).
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD)
        || proves_itself(request.uri().path())
    {
        return next.run(request).await;
    }
    // No live session: the handler's `WebUser` answers (the login page).
    let Some((session, hash)) = auth::web_session(&state, request.headers()).await else {
        return next.run(request).await;
    };
    // Over the body limit the handler's extractor answers 413, and cannot act without it.
    let (mut parts, bytes) = match read_body(request).await {
        Ok(read) => read,
        Err(unread) => return next.run(unread).await,
    };
    // As sent: a multipart boundary is case-sensitive.
    let content_type = multipart::content_type_of(&parts.headers).unwrap_or_default();
    let sent = sent_token(&content_type, &bytes).await.unwrap_or_default();
    if !auth::same_secret(&sent, &session.csrf_token) {
        return page::PageError::from(auth::csrf_error()).into_response();
    }
    // The handler's `WebUser` takes the session found here instead of reading it again.
    parts.extensions.insert(WebUser {
        session,
        token_hash: hash,
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The `csrf` field of a urlencoded or multipart form.
async fn sent_token(content_type: &str, body: &[u8]) -> Option<String> {
    let kind = content_type.to_ascii_lowercase();
    if kind.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::parse(body)
            .find(|(name, _)| name == "csrf")
            .map(|(_, value)| value.into_owned())
    } else if kind.starts_with("multipart/form-data") {
        multipart::text_field(content_type, body, "csrf").await
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_token_is_read_from_either_kind_of_form() {
        let form = "application/x-www-form-urlencoded";
        assert_eq!(
            sent_token(form, b"a=1&csrf=t%2Bk").await.as_deref(),
            Some("t+k")
        );
        assert_eq!(sent_token(form, b"a=1").await, None);
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ--\r\n";
        assert_eq!(
            sent_token("multipart/form-data; boundary=XyZ", body)
                .await
                .as_deref(),
            Some("abc")
        );
        assert_eq!(
            sent_token("application/json", b"{\"csrf\":\"abc\"}").await,
            None
        );
    }

    #[test]
    fn only_the_sessionless_routes_are_left_to_their_handlers() {
        assert!(proves_itself("/login"));
        assert!(proves_itself("/login/two-factor"));
        assert!(proves_itself("/invitations/abc"));
        assert!(!proves_itself("/logout"));
        assert!(!proves_itself("/institutions/1/edit"));
    }
}
