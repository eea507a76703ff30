//! Reading `multipart/form-data` bodies (RFC 7578) with `multer`, the reader axum's own
//! `multipart` extractor uses: named fields, some of them files. The body is already in
//! memory and limited in size by the caller.

use std::convert::Infallible;

use axum::body::Bytes;
use mamori_domain::text::{ForbiddenCharacter, first_forbidden};

/// One part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the content type is not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the multipart body is malformed")]
    Malformed,
}

/// The longest boundary taken (RFC 2046 allows 70 characters; browsers stay well below).
const MAX_BOUNDARY: usize = 200;

/// The boundary of a `multipart/form-data; boundary=…` content type, as sent (it is
/// case-sensitive).
pub fn boundary(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type)
        .ok()
        .map(|b| b.trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= MAX_BOUNDARY)
}

/// One part as read: its headers and its data.
struct RawPart {
    name: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

/// The parts of a body, one at a time.
struct Reader {
    multipart: multer::Multipart<'static>,
    /// Parts read so far.
    read: usize,
}

impl Reader {
    fn new(content_type: &str, body: &[u8]) -> Result<Self, MultipartError> {
        let boundary = boundary(content_type).ok_or(MultipartError::NotMultipart)?;
        Ok(Self::with_boundary(boundary, Bytes::copy_from_slice(body)))
    }

    fn with_boundary(boundary: String, body: Bytes) -> Self {
        let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
        Self {
            multipart: multer::Multipart::new(stream, boundary),
            read: 0,
        }
    }

    /// The next part; `None` after the closing delimiter.
    async fn next(&mut self) -> Result<Option<RawPart>, multer::Error> {
        let Some(field) = self.multipart.next_field().await? else {
            return Ok(None);
        };
        let name = field.name().map(str::to_owned);
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
        let data = field.bytes().await?;
        self.read += 1;
        Ok(Some(RawPart {
            name,
            file_name,
            content_type,
            data,
        }))
    }
}

/// Every part of the body.
pub async fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, MultipartError> {
    let mut reader = Reader::new(content_type, body)?;
    let mut parts = Vec::new();
    while let Some(raw) = reader.next().await.map_err(|_| MultipartError::Malformed)? {
        parts.push(Part {
            name: raw.name.ok_or(MultipartError::Malformed)?,
            file_name: raw.file_name,
            content_type: raw.content_type,
            data: raw.data.to_vec(),
        });
    }
    Ok(parts)
}

/// The first text field (or file name) holding a control character, named as the form
/// names it; a file's content is the file reader's to judge. A malformed body is the
/// handler's to refuse.
pub async fn text_field_problem(
    content_type: &str,
    body: &[u8],
) -> Option<(String, ForbiddenCharacter)> {
    let Ok(mut reader) = Reader::new(content_type, body) else {
        return None;
    };
    loop {
        match reader.next().await {
            Ok(Some(raw)) => {
                let name = raw.name.unwrap_or_default();
                let problem = match &raw.file_name {
                    Some(file_name) => first_forbidden(file_name),
                    None => first_forbidden(&String::from_utf8_lossy(&raw.data)),
                };
                if let Some(bad) = problem.or_else(|| first_forbidden(&name)) {
                    return Some((name, bad));
                }
            }
            Ok(None) => return None,
            Err(multer::Error::ReadHeaderFailed(_)) => {
                return unreadable_headers(content_type, body, reader.read).await;
            }
            Err(_) => return None,
        }
    }
}

/// A control character in a part's headers (a file name, say) stops the reader, which
/// refuses such headers outright. To name the field as for any other text, the headers of
/// that part (the `index`-th) are read again with their control characters masked.
async fn unreadable_headers(
    content_type: &str,
    body: &[u8],
    index: usize,
) -> Option<(String, ForbiddenCharacter)> {
    let boundary = boundary(content_type)?;
    let delimiter = format!("--{boundary}\r\n");
    let mut start = 0;
    for _ in 0..=index {
        start += find(&body[start..], delimiter.as_bytes())? + delimiter.len();
    }
    let headers = &body[start..];
    let headers = &headers[..find(headers, b"\r\n\r\n")?];
    let bad = first_forbidden(&String::from_utf8_lossy(headers))?;
    let masked: Vec<u8> = headers
        .iter()
        .map(|&b| match b {
            b'\r' | b'\n' | b'\t' => b,
            0..=0x1f | 0x7f => b'?',
            _ => b,
        })
        .collect();
    let mut again = format!("--{boundary}\r\n").into_bytes();
    again.extend_from_slice(&masked);
    again.extend_from_slice(format!("\r\n\r\n\r\n--{boundary}--\r\n").as_bytes());
    let mut reader = Reader::with_boundary(boundary, Bytes::from(again));
    let name = reader.next().await.ok().flatten()?.name.unwrap_or_default();
    Some((name, bad))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The request's content type as sent (a multipart boundary is case-sensitive).
pub fn content_type_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The value of the text field `name` (the first of that name), without reading the
/// rest of the body once it is found.
pub async fn text_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let mut reader = Reader::new(content_type, body).ok()?;
    while let Some(raw) = reader.next().await.ok()? {
        if raw.file_name.is_none() && raw.name.as_deref() == Some(name) {
            return Some(String::from_utf8_lossy(&raw.data).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fields_and_a_file_are_read() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe5\x8f\xb0\xe5\xb8\xb3.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body)
            .await
            .expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].file_name.as_deref(), Some("台帳.csv"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/csv"));
        assert_eq!(parts[1].data, b"a,b\r\n1,2\r\n");
    }

    #[tokio::test]
    async fn a_boundary_is_read_as_sent() {
        let ct = "multipart/form-data; boundary=----WebKitFormBoundaryAbC9";
        assert_eq!(boundary(ct).as_deref(), Some("----WebKitFormBoundaryAbC9"));
        let body = b"------WebKitFormBoundaryAbC9\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n------WebKitFormBoundaryAbC9--\r\n";
        assert_eq!(text_field(ct, body, "csrf").await.as_deref(), Some("abc"));
        assert_eq!(
            boundary("Multipart/Form-Data; Boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(
            boundary(&format!(
                "multipart/form-data; boundary={}",
                "b".repeat(201)
            )),
            None
        );
    }

    #[tokio::test]
    async fn bad_bodies_are_errors_not_panics() {
        assert_eq!(
            parse("text/plain", b"x").await,
            Err(MultipartError::NotMultipart)
        );
        for body in [
            &b""[..],
            b"--b",
            b"--b\r\n",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            b"--b\r\nno end of headers",
            b"--bxx",
        ] {
            assert!(
                parse("multipart/form-data; boundary=b", body)
                    .await
                    .is_err()
            );
        }
        assert_eq!(
            parse("multipart/form-data; boundary=b", b"--b--")
                .await
                .expect("empty"),
            Vec::new()
        );
    }

    #[tokio::test]
    async fn text_fields_with_control_characters_are_named() {
        let ct = "multipart/form-data; boundary=b";
        let clean = b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nline\r\nnext\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n\x00\x01\x02\r\n--b--";
        assert_eq!(
            text_field_problem(ct, clean).await,
            None,
            "a file may hold any byte"
        );
        let bad = b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt\r\n--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\na\x00b\r\n--b--";
        assert_eq!(
            text_field_problem(ct, bad).await.map(|(f, _)| f).as_deref(),
            Some("title")
        );
        let bad_name = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x1b.pdf\"\r\n\r\nx\r\n--b--";
        assert_eq!(
            text_field_problem(ct, bad_name)
                .await
                .map(|(f, _)| f)
                .as_deref(),
            Some("file")
        );
    }
}
