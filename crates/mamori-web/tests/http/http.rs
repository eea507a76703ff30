//! The HTTP parts every feature shares (`src/http/`): the health check, the OpenAPI
//! document, the error format of an unknown route, the security headers of a page, and
//! compressed answers.

use super::*;

on_both_engines!(
    health_and_openapi,
    responses_are_compressed_when_the_client_accepts_gzip,
);

async fn health_and_openapi(app: &TestApp) {
    let r = app.get("/healthz").await.assert_status(StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let spec = app.get("/api/openapi.json").await.json();
    let paths = spec["paths"].as_object().expect("paths");
    for path in [
        "/healthz",
        "/api/v1/login",
        "/api/v1/me",
        "/api/v1/checklists",
        "/api/v1/institutions",
        "/api/v1/institutions/{id}",
        "/api/v1/institutions/{id}/users",
        "/api/v1/institutions/{id}/assessments/{fiscal_year}",
        "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}",
        "/api/v1/institutions/{id}/inspection/{fiscal_year}",
        "/api/v1/institutions/{id}/inspection/{fiscal_year}/observations",
    ] {
        assert!(paths.contains_key(path), "OpenAPI lacks {path}");
    }
    assert!(paths["/api/v1/institutions/{id}"].get("patch").is_some());
    assert!(
        paths["/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}"]
            .get("put")
            .is_some()
    );
    app.get("/api/v1/nothing-here")
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let headers = app.get("/login").await.headers;
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(
        headers
            .get(header::X_FRAME_OPTIONS)
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
}

/// Sends a GET with the given headers; the body as it came over the wire (not decoded).
async fn get_raw(
    app: &TestApp,
    path: &str,
    headers: &[(header::HeaderName, String)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut builder = Request::get(path);
    for (name, value) in headers {
        builder = builder.header(name, value.as_str());
    }
    app.send_raw_to(&app.router, builder.body(Body::empty()).expect("request"))
        .await
}

async fn responses_are_compressed_when_the_client_accepts_gzip(app: &TestApp) {
    let year = app.year();
    let web = app.web_login("demo-hospital").await;
    let page = format!("/institutions/{HOSPITAL}/checklist/{year}");
    let cookie = (header::COOKIE, web.cookie.clone());
    let gzip = |v: &str| (header::ACCEPT_ENCODING, v.to_owned());

    // The page as it is, and the same page compressed: the same HTML after decoding.
    let (status, plain_headers, plain) = get_raw(app, &page, std::slice::from_ref(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&plain_headers, header::CONTENT_ENCODING), "");
    let plain = String::from_utf8(plain).expect("UTF-8 page");
    assert!(plain.contains("医療機関確認用"), "{plain}");
    let (status, headers, packed) =
        get_raw(app, &page, &[cookie.clone(), gzip("br;q=1.0, gzip;q=0.8")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::CONTENT_ENCODING), "gzip");
    assert!(
        header_str(&headers, header::VARY)
            .to_ascii_lowercase()
            .contains("accept-encoding"),
        "{headers:?}"
    );
    assert!(
        header_str(&headers, header::CONTENT_TYPE).starts_with("text/html"),
        "{headers:?}"
    );
    assert!(
        packed.len() * 3 < plain.len(),
        "{} of {}",
        packed.len(),
        plain.len()
    );
    assert_eq!(gunzip(&packed), plain);

    // gzip refused with q=0: sent as it is.
    let (_, headers, body) = get_raw(app, &page, &[cookie.clone(), gzip("gzip;q=0")]).await;
    assert_eq!(header_str(&headers, header::CONTENT_ENCODING), "");
    assert_eq!(String::from_utf8(body).expect("UTF-8"), plain);

    // JSON from the API, compressed the same way.
    let token = app.token("demo-hospital").await;
    let bearer = (header::AUTHORIZATION, format!("Bearer {token}"));
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let (status, headers, packed) = get_raw(app, &path, &[bearer.clone(), gzip("gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::CONTENT_ENCODING), "gzip");
    let json: Value = serde_json::from_str(&gunzip(&packed)).expect("JSON");
    assert_eq!(json["form"], "institution", "{json}");
    assert!(
        json["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty())
    );

    // A static file is compressed too (streamed, by the outer layer).
    let (status, headers, packed) = get_raw(app, "/static/style.css", &[gzip("gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::CONTENT_ENCODING), "gzip");
    assert!(gunzip(&packed).contains("body"));

    // A tiny answer is not worth compressing.
    let (status, headers, body) = get_raw(app, "/healthz", &[gzip("gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_str(&headers, header::CONTENT_ENCODING), "");
    let health: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(health["status"], "ok");
}
