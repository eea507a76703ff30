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

/// The size of a file as people read it (KB below a megabyte).
pub fn size_label(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// What a name's UTF-8 form keeps unescaped in `filename*` (RFC 5987's attr-char, less the
/// few that some browsers mishandle).
const NAME_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// A file the browser saves under `name`, any script: `attachment` with an ASCII fallback
/// and the UTF-8 name (RFC 6266, RFC 5987).
pub fn named_attachment(content_type: &str, name: &str, body: impl Into<Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, content_disposition(name)),
        ],
        body.into(),
    )
        .into_response()
}

fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, NAME_ESCAPED);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_keep_a_japanese_name() {
        assert_eq!(
            content_disposition("開示書 v1.pdf"),
            "attachment; filename=\"____v1.pdf\"; filename*=UTF-8''%E9%96%8B%E7%A4%BA%E6%9B%B8%20v1.pdf"
        );
    }
}
