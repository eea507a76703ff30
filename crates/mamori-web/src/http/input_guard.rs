//! Every text a request carries passes [`mamori_domain::text`]'s rule before any handler
//! sees it: the query string, the path, JSON bodies, form bodies and the text fields of
//! multipart bodies. A control character (other than tab and line breaks) is refused with
//! 422 naming the field, so no handler can forget the check and PostgreSQL never receives
//! a U+0000 it would answer with an error.
//!
//! The login routes are the exception for their credentials: a login or password with a
//! control character is a failed login (401, counted), which `auth::login` decides.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::text::{ForbiddenCharacter, first_forbidden};
use serde_json::Value;

use crate::http::error::AppError;
use crate::http::i18n::Message;
use crate::http::{multipart, page};

/// The refusal of a field holding a control character.
pub fn control_character_error(field: &str, bad: ForbiddenCharacter) -> AppError {
    let message = Message::new("http-control-character")
        .with("character", bad.code_point())
        .with("position", bad.position + 1);
    AppError::fields(vec![FieldProblem::new(field, "control_character", message)])
}

/// Fields whose value is a credential on a login route: checked by the login itself.
fn is_credential(path: &str, field: &str) -> bool {
    matches!(path, "/login" | "/api/v1/login") && matches!(field, "login" | "password" | "totp")
}

/// The middleware.
pub async fn check_request_text(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let decoded_path = percent_encoding::percent_decode_str(&path).decode_utf8_lossy();
    if first_forbidden(&decoded_path).is_some() {
        // No resource has a control character in its name.
        return page::refuse(&path, request.headers(), AppError::not_found());
    }
    if let Some(query) = request.uri().query()
        && let Some((field, bad)) = form_problem(&path, query.as_bytes())
    {
        return page::refuse(
            &path,
            request.headers(),
            control_character_error(&field, bad),
        );
    }
    // As sent: a multipart boundary is case-sensitive.
    let content_type = multipart::content_type_of(request.headers()).unwrap_or_default();
    let lowered = content_type.to_ascii_lowercase();
    let kind = if lowered.starts_with("application/json") || lowered.contains("+json") {
        BodyKind::Json
    } else if lowered.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if lowered.starts_with("multipart/form-data") {
        BodyKind::Multipart
    } else {
        return next.run(request).await;
    };
    let (parts, bytes) = match read_body(request).await {
        Ok(read) => read,
        Err(unread) => return next.run(unread).await,
    };
    let problem = match kind {
        BodyKind::Json => json_problem(&bytes),
        BodyKind::Form => form_problem(&path, &bytes),
        BodyKind::Multipart => multipart::text_field_problem(&content_type, &bytes).await,
    };
    if let Some((field, bad)) = problem
        && !is_credential(&path, &field)
    {
        return page::refuse(&path, &parts.headers, control_character_error(&field, bad));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

enum BodyKind {
    Json,
    Form,
    Multipart,
}

/// Whether the raw bytes of a JSON or urlencoded body could carry a control character at
/// all: JSON only escaped (after a backslash) or raw, a form only percent-encoded or raw.
fn may_hold_control(bytes: &[u8], escape: u8) -> bool {
    bytes
        .iter()
        .any(|&b| b == escape || b < 0x20 || b == 0x7F || b == 0xC2)
}

fn json_problem(bytes: &Bytes) -> Option<(String, ForbiddenCharacter)> {
    if !may_hold_control(bytes, b'\\') {
        return None;
    }
    // A body that is not JSON is the handler's to refuse, with its own message.
    let value: Value = serde_json::from_slice(bytes).ok()?;
    json_value_problem(&value, String::new())
}

fn json_value_problem(value: &Value, at: String) -> Option<(String, ForbiddenCharacter)> {
    match value {
        Value::String(s) => first_forbidden(s).map(|bad| (root_named(at), bad)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| json_value_problem(v, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, v)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match first_forbidden(key) {
                Some(bad) => Some((root_named(path), bad)),
                None => json_value_problem(v, path),
            }
        }),
        _ => None,
    }
}

fn root_named(path: String) -> String {
    if path.is_empty() { "body".into() } else { path }
}

fn form_problem(path: &str, bytes: &[u8]) -> Option<(String, ForbiddenCharacter)> {
    if !may_hold_control(bytes, b'%') {
        return None;
    }
    form_urlencoded::parse(bytes).find_map(|(name, value)| {
        if let Some(bad) = first_forbidden(&name) {
            return Some(("name".to_owned(), bad));
        }
        if is_credential(path, &name) {
            return None;
        }
        first_forbidden(&value).map(|bad| (name.into_owned(), bad))
    })
}

/// The request's whole body. Over the body limit, the request again with the limit's error
/// as its body: the handler's extractor answers it (413) the way it always has.
pub(crate) async fn read_body(request: Request) -> Result<(Parts, Bytes), Request> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(e) => Err(Request::from_parts(parts, Body::new(ErrorBody(Some(e))))),
    }
}

/// A body whose reading already failed (over the limit), handed on as that failure.
struct ErrorBody(Option<axum::Error>);

impl http_body::Body for ErrorBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Option<String> {
        json_problem(&Bytes::from(text.to_owned())).map(|(f, _)| f)
    }

    #[test]
    fn json_fields_are_named_by_their_path() {
        assert_eq!(json(r#"{"name":"病院"}"#), None);
        assert_eq!(json(r#"{"note":"a\nb\tc"}"#), None);
        assert_eq!(json(r#"{"name":"demo\u0000"}"#).as_deref(), Some("name"));
        assert_eq!(
            json(r#"{"entries":[{"x":1},{"name":"\u001b[31m"}]}"#).as_deref(),
            Some("entries[1].name")
        );
        assert_eq!(json(r#"{"a\u0000":1}"#).as_deref(), Some("a\u{0}"));
        assert_eq!(json(r#""\u0007""#).as_deref(), Some("body"));
        assert_eq!(json(r#"{"a":"\u0085"}"#).as_deref(), Some("a"));
        // Not JSON: the handler refuses it itself.
        assert_eq!(json("{\"a\":\"\\u0000"), None);
    }

    #[test]
    fn form_fields_are_named_and_credentials_left_to_the_login() {
        assert_eq!(form_problem("/x", b"name=%E7%97%85%E9%99%A2&n=1"), None);
        assert_eq!(form_problem("/x", b"note=a%0D%0Ab"), None);
        assert_eq!(
            form_problem("/x", b"csrf=t&name=a%00b").map(|(f, _)| f),
            Some("name".to_owned())
        );
        assert_eq!(form_problem("/login", b"login=demo%00&password=x"), None);
        assert_eq!(
            form_problem("/login", b"login=demo&next=%2F%00").map(|(f, _)| f),
            Some("next".to_owned())
        );
    }
}
