//! gzip for responses whose whole body is already in memory (every page, every JSON
//! answer, every CSV): compressed in one call with a compressor kept per thread.
//!
//! The streaming compression layer allocates and zeroes a new compressor (about 300 KB of
//! window and hash tables) for every response and compresses the body chunk by chunk. A page
//! is rendered whole before it is sent, so it can be compressed whole, and the compressor's
//! memory can be reset and used again. Streamed bodies (static files, large downloads)
//! still go through the streaming layer, which skips a response that already carries a
//! `Content-Encoding`.

use std::cell::RefCell;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use flate2::{Compress, Compression, FlushCompress, Status};
use http_body_util::BodyExt;

/// Bodies smaller than this are sent as they are: the gzip header and trailer alone are 18
/// bytes, and a few hundred bytes fit one packet either way. The streaming layer uses the
/// same threshold.
pub const MIN_SIZE: u64 = 1024;
/// Bodies larger than this are left to the streaming layer, so one large export does not
/// hold a second copy of itself in memory.
const MAX_SIZE: u64 = 4 * 1024 * 1024;

thread_local! {
    /// One compressor per worker thread, reset before each use.
    static GZIP: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// Whether the client accepts gzip (`Accept-Encoding`, with `q=0` meaning "not").
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// `input` as one gzip member (fastest level, 32 KB window).
pub fn gzip(input: &[u8]) -> Result<Vec<u8>, flate2::CompressError> {
    GZIP.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = cell.get_or_insert_with(|| Compress::new_gzip(Compression::fast(), 15));
        compressor.reset();
        // HTML compresses to a fifth or less; the loop below grows the buffer if not.
        let mut out = Vec::with_capacity(input.len() / 3 + 64);
        loop {
            let consumed = usize::try_from(compressor.total_in()).unwrap_or(input.len());
            let rest = input.get(consumed..).unwrap_or_default();
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(1024));
            }
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish)? {
                Status::StreamEnd => return Ok(out),
                Status::Ok | Status::BufError => {}
            }
        }
    })
}

/// Whether a body of this content type is worth compressing (text; not images, archives or
/// spreadsheets, which are compressed already).
fn compressible(headers: &HeaderMap) -> bool {
    let Some(kind) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let kind = kind.split(';').next().unwrap_or_default().trim();
    kind.starts_with("text/")
        || kind == "application/json"
        || kind == "application/javascript"
        || kind == "image/svg+xml"
}

/// Middleware: compresses a whole in-memory body when the client accepts gzip; leaves
/// every other response to the layers outside it.
pub async fn gzip_whole_bodies(req: Request, next: Next) -> Response {
    let wants_gzip = accepts_gzip(req.headers());
    let response = next.run(req).await;
    if !wants_gzip
        || matches!(
            response.status(),
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED | StatusCode::PARTIAL_CONTENT
        )
        || response.headers().contains_key(header::CONTENT_ENCODING)
        || response.headers().contains_key(header::CONTENT_RANGE)
        || !compressible(response.headers())
    {
        return response;
    }
    let Some(size) = HttpBody::size_hint(response.body()).exact() else {
        return response;
    };
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // A body of known size held in memory yields it without waiting and without error; if
    // one ever failed, the client gets an empty answer with the original status rather than
    // a half-written one.
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::error!(error = %e, "response body failed before compression");
            parts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(parts, Body::empty());
        }
    };
    match gzip(&bytes) {
        Ok(compressed) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts
                .headers
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
            Response::from_parts(parts, Body::from(compressed))
        }
        Err(e) => {
            tracing::warn!(error = %e, "gzip failed; sending the body uncompressed");
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).expect("header"),
        );
        h
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts_gzip(&headers("gzip, deflate, br")));
        assert!(accepts_gzip(&headers("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&headers("*")));
        assert!(!accepts_gzip(&headers("gzip;q=0")));
        assert!(!accepts_gzip(&headers("gzip; q=0.0, br")));
        assert!(!accepts_gzip(&headers("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn gzip_round_trips_and_the_compressor_is_reused() {
        let page = "<article class=\"item\">医療情報システム</article>\n".repeat(500);
        for _ in 0..3 {
            let packed = gzip(page.as_bytes()).expect("gzip");
            assert!(packed.len() < page.len() / 5, "{} bytes", packed.len());
            let mut back = String::new();
            GzDecoder::new(packed.as_slice())
                .read_to_string(&mut back)
                .expect("gunzip");
            assert_eq!(back, page);
        }
        // Incompressible input needs a larger buffer than the first guess.
        let noise: Vec<u8> = (0..50_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let packed = gzip(&noise).expect("gzip");
        let mut back = Vec::new();
        GzDecoder::new(packed.as_slice())
            .read_to_end(&mut back)
            .expect("gunzip");
        assert_eq!(back, noise);
    }
}
