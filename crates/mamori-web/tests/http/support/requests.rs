//! Requests as the scenarios send them (JSON API calls, files, forms with their session
//! cookie, multipart uploads) and the answers they get back.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use mamori_app::demo;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{TestApp, multipart_form};

impl TestApp {
    /// Sends a request to the application.
    pub(crate) async fn send(&self, request: Request<Body>) -> Response {
        self.send_to(&self.router, request).await
    }

    /// Sends a request to another router over the same database (other settings).
    pub(crate) async fn send_to(&self, router: &Router, request: Request<Body>) -> Response {
        let (status, headers, bytes) = self.send_raw_to(router, request).await;
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The answer with its body's bytes as they came over the wire (not decoded).
    pub(crate) async fn send_raw_to(
        &self,
        router: &Router,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        (status, headers, bytes.to_vec())
    }

    /// GETs a path without a session.
    pub(crate) async fn get(&self, path: impl AsRef<str>) -> Response {
        self.send(
            Request::get(path.as_ref())
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// GETs a file with the given cookie: its bytes as they came, after asserting 200.
    pub(crate) async fn get_bytes(&self, cookie: &str, path: &str) -> Vec<u8> {
        let request = Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request");
        let (status, _, bytes) = self.send_raw_to(&self.router, request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        bytes
    }

    /// GETs a path with the given cookie, not following a redirect (see [`TestApp::get_page`]).
    pub(crate) async fn get_with_cookie(
        &self,
        cookie: impl AsRef<str>,
        path: impl AsRef<str>,
    ) -> Response {
        let request = Request::get(path.as_ref())
            .header(header::COOKIE, cookie.as_ref())
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    /// Posts the login form (its fields URL-encoded) with the login page's CSRF cookie.
    pub(crate) async fn post_login(&self, csrf: &str, form: impl Into<String>) -> Response {
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("mamori_login_csrf={csrf}"))
            .body(Body::from(form.into()))
            .expect("request");
        self.send(request).await
    }

    /// Logs in through the API with the given JSON body (login, password, second factor).
    pub(crate) async fn api_login(&self, body: Value) -> Response {
        self.api("POST", "/api/v1/login", None, Some(body)).await
    }

    /// Calls the JSON API, with a bearer token if given.
    pub(crate) async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let request = match body {
            Some(b) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    /// GETs an API path with a bearer token.
    pub(crate) async fn api_get(&self, path: &str, token: &str) -> Response {
        self.api("GET", path, Some(token), None).await
    }

    /// GETs an API path with a bearer token and asserts the answer is 200 OK.
    pub(crate) async fn api_get_ok(&self, path: &str, token: &str) -> Response {
        self.api_get(path, token)
            .await
            .assert_status(StatusCode::OK)
    }

    /// DELETEs an API path with a bearer token.
    pub(crate) async fn api_delete(&self, path: &str, token: &str) -> Response {
        self.api("DELETE", path, Some(token), None).await
    }

    /// POSTs a JSON body to an API path with a bearer token.
    pub(crate) async fn api_post(&self, path: &str, token: &str, body: Value) -> Response {
        self.api("POST", path, Some(token), Some(body)).await
    }

    /// POSTs a JSON body that must create a record (201); returns the answer's JSON.
    pub(crate) async fn api_create(&self, path: &str, token: &str, body: Value) -> Value {
        self.api_post(path, token, body)
            .await
            .assert_status(StatusCode::CREATED)
            .json()
    }

    /// PUTs a JSON body to an API path with a bearer token.
    pub(crate) async fn api_put(&self, path: &str, token: &str, body: Value) -> Response {
        self.api("PUT", path, Some(token), Some(body)).await
    }

    /// PUTs a JSON body to an API path with a bearer token and asserts it is taken (200 OK).
    pub(crate) async fn api_put_ok(&self, path: &str, token: &str, body: Value) -> Response {
        let answer = self.api_put(path, token, body).await;
        answer.assert_status(StatusCode::OK)
    }

    /// PATCHes an API path with a JSON body and a bearer token.
    pub(crate) async fn api_patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.api("PATCH", path, Some(token), Some(body)).await
    }

    /// Calls the API with a body of the given content type, as it is (not JSON-encoded).
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &str,
    ) -> Response {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(request).await
    }

    /// Sends a file as the body, as the ledger import takes it.
    pub(crate) async fn upload(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Logs a demo user in through the API (the demo password); returns the API token.
    pub(crate) async fn token(&self, login: &str) -> String {
        let r = self
            .api_login(json!({"login": login, "password": demo::DEMO_PASSWORD}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.body);
        r.json()["token"].as_str().expect("token").to_owned()
    }

    /// Logs in through the login form; returns the session cookie and the page's CSRF token.
    pub(crate) async fn web_login(&self, login: &str) -> WebSession {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf_cookie = page.cookie("mamori_login_csrf").expect("login csrf cookie");
        let field = page.hidden("csrf").expect("csrf field");
        assert_eq!(csrf_cookie, field);
        let form = format!(
            "login={login}&password={}&csrf={field}&next=%2F",
            demo::DEMO_PASSWORD
        );
        let r = self.post_login(&csrf_cookie, form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let session = r.cookie("mamori_session").expect("session cookie");
        let cookie = format!("mamori_session={session}");
        let home = self.get_page(&cookie, "/institutions").await;
        let csrf = home.hidden("csrf").expect("csrf on pages");
        WebSession { cookie, csrf }
    }

    /// Loads a page with the session cookie, following one redirect.
    pub(crate) async fn get_page(&self, cookie: &str, path: &str) -> Response {
        let mut r = self
            .send(
                Request::get(path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        // Follow one redirect, as a browser would.
        if r.status == StatusCode::SEE_OTHER
            && let Some(to) = r
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        {
            let request = Request::get(to.as_str())
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request");
            r = self.send(request).await;
        }
        r
    }

    /// Loads a page as the signed-in browser (following one redirect) and asserts it is shown.
    pub(crate) async fn page(&self, web: &WebSession, path: &str) -> Response {
        self.get_page(&web.cookie, path)
            .await
            .assert_status(StatusCode::OK)
    }

    /// Posts a URL-encoded form with the session cookie (as htmx does, if `htmx`).
    pub(crate) async fn post_form(
        &self,
        cookie: &str,
        path: &str,
        form: &str,
        htmx: bool,
    ) -> Response {
        let mut builder = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie);
        if htmx {
            builder = builder.header("HX-Request", "true");
        }
        self.send(builder.body(Body::from(form.to_owned())).expect("request"))
            .await
    }

    /// Posts a page form as the signed-in browser does: its CSRF token first, then `fields`
    /// (URL-encoded, without a leading `&`; empty for a form of the token alone).
    pub(crate) async fn submit(&self, web: &WebSession, path: &str, fields: &str) -> Response {
        let form = if fields.is_empty() {
            format!("csrf={}", web.csrf)
        } else {
            format!("csrf={}&{fields}", web.csrf)
        };
        self.post_form(&web.cookie, path, &form, false).await
    }

    /// Posts a page form (see [`TestApp::submit`]) and asserts it is taken: answered with a
    /// redirect (post/redirect/get).
    pub(crate) async fn submit_accepted(
        &self,
        web: &WebSession,
        path: &str,
        fields: &str,
    ) -> Response {
        self.submit(web, path, fields)
            .await
            .assert_status(StatusCode::SEE_OTHER)
    }

    /// Logs in through the API with the given password; returns the API token.
    pub(crate) async fn token_with(&self, login: &str, password: &str) -> String {
        let r = self
            .api_login(json!({"login": login, "password": password}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["token"].as_str().expect("token").to_owned()
    }

    /// Posts a form that answers with a redirect (post/redirect/get) and loads where it leads.
    pub(crate) async fn post_form_and_follow(
        &self,
        cookie: &str,
        path: &str,
        form: &str,
    ) -> Response {
        let r = self.post_form(cookie, path, form, false).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        let to = r.redirect_target();
        // A browser keeps the anchor to itself.
        let to = to.split('#').next().unwrap_or(&to);
        self.get_page(cookie, to).await
    }

    /// Posts a multipart form (fields and files, see [`multipart_form`]) with the cookie.
    pub(crate) async fn post_multipart(
        &self,
        cookie: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let (ct, body) = multipart_form(fields, files);
        self.send(
            Request::post(path)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// Posts the vendor form's MDS/SDS upload as a browser does.
    pub(crate) async fn post_delivery_form(
        &self,
        web: &WebSession,
        path: &str,
        kind: &str,
        on: &str,
        file: Option<(&str, &[u8])>,
    ) -> Response {
        let boundary = "----mamoriDeliveryBoundary";
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", web.csrf.as_str()),
            ("kind", kind),
            ("delivered_on", on),
        ] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (file_name, data) = file.unwrap_or(("", b""));
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header(header::COOKIE, web.cookie.as_str())
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }
}

/// A signed-in browser: its session cookie and the CSRF token of its pages.
pub(crate) struct WebSession {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

impl WebSession {
    /// The session cookie with the choice of English (`mamori_lang=en`).
    pub(crate) fn english_cookie(&self) -> String {
        format!("{}; mamori_lang=en", self.cookie)
    }
}

/// An answer, its body read as text.
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Response {
    /// Asserts the answer's status (showing the body if it is another) and passes it on.
    #[track_caller]
    pub(crate) fn assert_status(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Asserts that the body contains `text` (showing the body if not).
    #[track_caller]
    pub(crate) fn assert_body_contains(&self, text: &str) {
        assert!(self.body.contains(text), "{}", self.body);
    }

    /// The body as JSON (panics, with the body, if it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of a cookie the answer sets (not one it clears).
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(n, v)| *n == name && !v.is_empty())
            .map(|(_, v)| v.to_owned())
    }

    /// The value of a form field of the page, as `name="…" value="…"`.
    pub(crate) fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }

    /// Where the answer redirects to (panics if it does not).
    #[track_caller]
    pub(crate) fn redirect_target(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_owned()
    }

    /// Where the answer redirects to (empty if it does not).
    pub(crate) fn location(&self) -> &str {
        header_str(&self.headers, header::LOCATION)
    }

    /// The paths of the fields an `invalid_fields` error names.
    pub(crate) fn problem_paths(&self) -> Vec<String> {
        self.json()["error"]["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| p["path"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The recovery codes the page lists (`<li><code>…`).
    pub(crate) fn recovery_codes(&self) -> Vec<String> {
        self.body
            .split("<li><code>")
            .skip(1)
            .filter_map(|part| part.split('<').next())
            .map(str::to_owned)
            .collect()
    }

    /// The two-factor key the enrolment page shows (`data-secret>…`).
    pub(crate) fn two_factor_secret(&self) -> String {
        let start = self.body.find("data-secret>").expect("secret") + "data-secret>".len();
        self.body[start..]
            .split('<')
            .next()
            .expect("secret")
            .to_owned()
    }

    /// A cookie the answer sets, as a `Cookie` header sends it back (`name=value`).
    #[track_caller]
    pub(crate) fn cookie_header(&self, name: &str) -> String {
        let value = self
            .cookie(name)
            .unwrap_or_else(|| panic!("no cookie {name}"));
        format!("{name}={value}")
    }

    /// The API error's message in Japanese ("" without one).
    pub(crate) fn message_ja(&self) -> String {
        self.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The API error's message in English ("" without one).
    pub(crate) fn message_en(&self) -> String {
        self.json()["error"]["message_en"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The API error's code.
    pub(crate) fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts the status and the error code, with a message in Japanese and in English.
    pub(crate) fn assert_bilingual_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let e = &self.json()["error"];
        assert_eq!(e["code"], code, "{}", self.body);
        assert!(
            !e["message_ja"].as_str().unwrap_or_default().is_empty(),
            "Japanese message: {}",
            self.body
        );
        assert!(
            !e["message_en"].as_str().unwrap_or_default().is_empty(),
            "English message: {}",
            self.body
        );
    }
}

/// A gzip body, decompressed.
pub(crate) fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a gzip body");
    text
}

/// A header of the answer as text (empty if missing).
pub(crate) fn header_str(headers: &axum::http::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
