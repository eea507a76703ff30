//! Files handed to the browser to be saved.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The media type of an .xlsx workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file the browser saves as `name` (plain ASCII).
pub fn attachment(content_type: &str, name: &str, body: impl Into<Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}
