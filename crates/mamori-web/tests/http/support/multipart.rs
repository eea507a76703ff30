//! multipart/form-data bodies, as a browser sends a form with files.

use axum::body::Body;
use axum::http::{Request, header};

use super::{CLINIC, WebSession};

/// Builds a multipart/form-data body with the CSRF token and one file.
pub(crate) fn multipart_body(
    csrf: &str,
    file_name: &str,
    content_type: &str,
    data: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "----mamoriTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A multipart/form-data body with fields and files (name, file name, bytes).
pub(crate) fn multipart_form(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "----mamoriTestBoundaryQ2x9";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, data) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The clinic's ledger import page sent one file, as its upload form does.
pub(crate) fn ledger_import_request(
    web: &WebSession,
    file_name: &str,
    content_type: &str,
    data: &[u8],
) -> Request<Body> {
    let (ct, body) = multipart_body(&web.csrf, file_name, content_type, data);
    Request::post(format!("/institutions/{CLINIC}/ledger/import").as_str())
        .header(header::COOKIE, web.cookie.clone())
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .expect("request")
}
