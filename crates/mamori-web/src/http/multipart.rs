//! A small reader of `multipart/form-data` bodies (RFC 7578), enough for the ledger's upload
//! form: named fields, one of them a file. The body is already in memory and limited in size.

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

/// The boundary of a `multipart/form-data; boundary=…` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A parameter of a `Content-Disposition` header: `name="csrf"`, `filename="台帳.xlsx"`.
fn disposition_param(header: &str, param: &str) -> Option<String> {
    for piece in header.split(';').skip(1) {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case(param) {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            return Some(v.replace("\\\"", "\""));
        }
    }
    None
}

/// One part as found in the body: its headers, and where its data starts and ends.
struct RawPart<'a> {
    name: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    data: &'a [u8],
}

/// Walks the parts of a body without copying their data.
fn walk<'a>(
    content_type: &str,
    body: &'a [u8],
    mut visit: impl FnMut(RawPart<'a>) -> Result<(), MultipartError>,
) -> Result<(), MultipartError> {
    let boundary = boundary(content_type).ok_or(MultipartError::NotMultipart)?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut next_delimiter = b"\r\n".to_vec();
    next_delimiter.extend_from_slice(&delimiter);
    let mut pos = find(body, &delimiter, 0).ok_or(MultipartError::Malformed)? + delimiter.len();
    loop {
        // After a delimiter: `--` ends the body, otherwise a line break starts a part.
        if body[pos..].starts_with(b"--") {
            return Ok(());
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err(MultipartError::Malformed);
        }
        pos += 2;
        let headers_end = find(body, b"\r\n\r\n", pos).ok_or(MultipartError::Malformed)?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]);
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, data_start).ok_or(MultipartError::Malformed)?;
        let mut part = RawPart {
            name: None,
            file_name: None,
            content_type: None,
            data: &body[data_start..data_end],
        };
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = disposition_param(value, "name");
                part.file_name = disposition_param(value, "filename");
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        visit(part)?;
        pos = data_end + next_delimiter.len();
    }
}

/// Every part of the body.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, MultipartError> {
    let mut parts = Vec::new();
    walk(content_type, body, |raw| {
        parts.push(Part {
            name: raw.name.ok_or(MultipartError::Malformed)?,
            file_name: raw.file_name,
            content_type: raw.content_type,
            data: raw.data.to_vec(),
        });
        Ok(())
    })?;
    Ok(parts)
}

/// The first text field (or file name) holding a control character, named as the form
/// names it; a file's content is the file reader's to judge. A malformed body is the
/// handler's to refuse.
pub fn text_field_problem(
    content_type: &str,
    body: &[u8],
) -> Option<(String, mamori_domain::text::ForbiddenCharacter)> {
    use mamori_domain::text::first_forbidden;
    let mut found = None;
    let _ = walk(content_type, body, |raw| {
        let name = raw.name.unwrap_or_default();
        let problem = match &raw.file_name {
            Some(file_name) => first_forbidden(file_name),
            None => first_forbidden(&String::from_utf8_lossy(raw.data)),
        };
        if let Some(bad) = problem.or_else(|| first_forbidden(&name)) {
            found = Some((name, bad));
            // Stop at the first problem.
            return Err(MultipartError::Malformed);
        }
        Ok(())
    });
    found
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
pub fn text_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let mut found = None;
    let _ = walk(content_type, body, |raw| {
        if raw.file_name.is_none() && raw.name.as_deref() == Some(name) {
            found = Some(String::from_utf8_lossy(raw.data).into_owned());
            // Found: stop walking.
            return Err(MultipartError::Malformed);
        }
        Ok(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_a_file_are_read() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe5\x8f\xb0\xe5\xb8\xb3.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].file_name.as_deref(), Some("台帳.csv"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/csv"));
        assert_eq!(parts[1].data, b"a,b\r\n1,2\r\n");
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        assert_eq!(parse("text/plain", b"x"), Err(MultipartError::NotMultipart));
        for body in [
            &b""[..],
            b"--b",
            b"--b\r\n",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            b"--b\r\nno end of headers",
            b"--bxx",
        ] {
            assert!(parse("multipart/form-data; boundary=b", body).is_err());
        }
        assert_eq!(
            parse("multipart/form-data; boundary=b", b"--b--").expect("empty"),
            Vec::new()
        );
    }

    #[test]
    fn text_fields_with_control_characters_are_named() {
        let ct = "multipart/form-data; boundary=b";
        let clean = b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nline\r\nnext\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n\x00\x01\x02\r\n--b--";
        assert_eq!(
            text_field_problem(ct, clean),
            None,
            "a file may hold any byte"
        );
        let bad = b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt\r\n--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\na\x00b\r\n--b--";
        assert_eq!(
            text_field_problem(ct, bad).map(|(f, _)| f).as_deref(),
            Some("title")
        );
        let bad_name = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x1b.pdf\"\r\n\r\nx\r\n--b--";
        assert_eq!(
            text_field_problem(ct, bad_name).map(|(f, _)| f).as_deref(),
            Some("file")
        );
    }
}
