//! axum's extractors refuse a bad query string, path parameter or body with a plain-text
//! answer in English. This layer gives every such refusal mamori's own form: the bilingual
//! JSON error on the API, the error page elsewhere — whatever extractor a route uses, so a
//! new route cannot forget it. It also draws the error page of every [`page::PageError`] a
//! page handler returned, in the request's language.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mamori_domain::contact_chart::FieldProblem;

use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, AppError};
use crate::http::i18n::Message;
use crate::http::{i18n, page};

/// Answers longer than this are not an extractor's one-line refusal.
const MAX_REJECTION_TEXT: usize = 4096;

/// The middleware.
pub async fn bilingual_rejections(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let lang = i18n::lang_of(request.headers());
    let mut response = next.run(request).await;
    if let Some(page::UndrawnPageError(error)) = response.extensions_mut().remove() {
        return page::error_page(&error, lang);
    }
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain_text {
        return response;
    }
    let status = response.status();
    let text = match axum::body::to_bytes(response.into_body(), MAX_REJECTION_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let error = error_of(status, &text);
    if api {
        ApiError(error).into_response()
    } else {
        page::error_page(&error, lang)
    }
}

/// The refusal in mamori's words, with the field where axum names one.
pub fn error_of(status: StatusCode, text: &str) -> AppError {
    let text = text.trim();
    if status == StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit exceeded") {
        return AppError::rejected(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            Message::new("errors-body-too-large"),
        );
    }
    if let Some(rest) = text.strip_prefix("Failed to deserialize query string: ") {
        return field_error(
            status,
            ErrorCode::InvalidQuery,
            rest,
            "errors-invalid-query-field",
            "errors-invalid-query-value",
        );
    }
    if text.starts_with("Invalid URL")
        || text.contains("path argument")
        || text.contains("paths parameters")
    {
        let rest = text.split_once(": ").map_or(text, |(_, r)| r);
        return field_error(
            status,
            ErrorCode::InvalidPath,
            rest,
            "errors-invalid-path-field",
            "errors-invalid-path-value",
        );
    }
    if text.contains("Content-Type") {
        return AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedContentType,
            Message::new("errors-unsupported-content-type"),
        );
    }
    let (code, key) = if text.contains("JSON") {
        (ErrorCode::InvalidJson, "errors-invalid-json")
    } else if text.contains("Form") || text.contains("form") {
        (ErrorCode::InvalidForm, "errors-invalid-form")
    } else {
        (ErrorCode::BadRequest, "errors-bad-request")
    };
    AppError::rejected(status, code, Message::new(key).with("text", text))
}

/// A refusal about one named value: `limit: number too large to fit in target type`.
fn field_error(
    status: StatusCode,
    code: ErrorCode,
    rest: &str,
    field_key: &'static str,
    value_key: &'static str,
) -> AppError {
    match rest.split_once(": ") {
        Some((field, why)) if !field.is_empty() && !field.contains(' ') => {
            let message = Message::new(field_key)
                .with("field", field)
                .with("why", why);
            AppError::fields(vec![FieldProblem::new(field, code.as_str(), message)])
        }
        _ => AppError::rejected(status, code, Message::new(value_key).with("why", rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_rejections_name_the_field() {
        let e = error_of(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string: limit: number too large to fit in target type",
        );
        let d = e.detail();
        assert_eq!(d.field.as_deref(), Some("limit"));
        assert!(d.message_ja.contains("「limit」"), "{}", d.message_ja);
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn other_rejections_are_bilingual() {
        let e = error_of(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        );
        assert_eq!(e.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(e.detail().code, "unsupported_content_type");
        let e = error_of(
            StatusCode::BAD_REQUEST,
            "Failed to parse the request body as JSON: x",
        );
        assert_eq!(e.detail().code, "invalid_json");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let e = error_of(StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded");
        assert_eq!(e.detail().code, "body_too_large");
    }
}
