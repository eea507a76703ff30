//! HTTP integration tests: the whole router, in process, against a real database. Every
//! test runs twice, on SQLite and on PostgreSQL (`MAMORI_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; each test gets a fresh database).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use mamori_catalog::Catalog;
use mamori_domain::FiscalYear;
use mamori_store::Store;
use mamori_web::{AppState, WebConfig, demo};
use serde_json::{Value, json};
use sqlx::Connection;
use tower::ServiceExt;

struct TestApp {
    router: Router,
    state: AppState,
    url: String,
    pg_database: Option<String>,
    _dir: Option<TempDir>,
}

use tempfile::TempDir;

fn postgres_admin_url() -> String {
    std::env::var("MAMORI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn unique(prefix: &str) -> String {
    let n: u64 = rand_u64();
    format!("{prefix}_{}_{n:x}", std::process::id())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

impl TestApp {
    async fn with_store(
        store: Store,
        url: String,
        pg_database: Option<String>,
        dir: Option<TempDir>,
    ) -> Self {
        store.migrate().await.expect("migrate");
        store
            .open_audit_log(mamori_store::AuditKey::generate(), None)
            .await
            .expect("audit key");
        let catalog = Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
        let state = AppState::new(store, catalog, WebConfig::default());
        demo::load(&state).await.expect("demo data");
        TestApp {
            router: mamori_web::router(state.clone()),
            state,
            url,
            pg_database,
            _dir: dir,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mamori_test")
            .tempdir()
            .expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let store = Store::connect(&url).await.expect("sqlite");
        Self::with_store(store, url, None, Some(dir)).await
    }

    async fn postgres() -> Self {
        let admin = postgres_admin_url();
        let name = unique("mamori_test");
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL must be running for the tests");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin.clone());
        let url = format!("{base}/{name}");
        let store = Store::connect(&url).await.expect("postgres");
        Self::with_store(store, url, Some(name), None).await
    }

    async fn cleanup(self) {
        self.state.store.close().await;
        if let Some(name) = self.pg_database
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut conn)
                .await;
        }
    }

    /// Runs one statement on the database directly (to age an account, say).
    async fn exec(&self, sql: &'static str) {
        if self.url.starts_with("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("execute");
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("execute");
        }
    }

    fn year(&self) -> i32 {
        demo::demo_fiscal_year(&self.state)
            .map(FiscalYear::start_year)
            .expect("a fiscal year")
    }

    async fn send(&self, request: Request<Body>) -> Response {
        self.send_to(&self.router, request).await
    }

    /// Sends a request to another router over the same database (other settings).
    async fn send_to(&self, router: &Router, request: Request<Body>) -> Response {
        let (status, headers, bytes) = self.send_raw_to(router, request).await;
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// The answer with its body's bytes as they came over the wire (not decoded).
    async fn send_raw_to(
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

    async fn api(
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

    async fn raw(
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
    async fn upload(&self, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Response {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    async fn token(&self, login: &str) -> String {
        let r = self
            .api(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": login, "password": demo::DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.body);
        r.json()["token"].as_str().expect("token").to_owned()
    }

    /// Logs in through the login form; returns the session cookie and the page's CSRF token.
    async fn web_login(&self, login: &str) -> WebSession {
        let page = self
            .send(Request::get("/login").body(Body::empty()).expect("request"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf_cookie = page.cookie("mamori_login_csrf").expect("login csrf cookie");
        let field = page.hidden("csrf").expect("csrf field");
        assert_eq!(csrf_cookie, field);
        let form = format!(
            "login={login}&password={}&csrf={field}&next=%2F",
            demo::DEMO_PASSWORD
        );
        let r = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("mamori_login_csrf={csrf_cookie}"))
                    .body(Body::from(form))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let session = r.cookie("mamori_session").expect("session cookie");
        let cookie = format!("mamori_session={session}");
        let home = self.get_page(&cookie, "/institutions").await;
        let csrf = home.hidden("csrf").expect("csrf on pages");
        WebSession { cookie, csrf }
    }

    async fn get_page(&self, cookie: &str, path: &str) -> Response {
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

    async fn post_form(&self, cookie: &str, path: &str, form: &str, htmx: bool) -> Response {
        let mut builder = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie);
        if htmx {
            builder = builder.header("HX-Request", "true");
        }
        self.send(builder.body(Body::from(form.to_owned())).expect("request"))
            .await
    }
}

struct WebSession {
    cookie: String,
    csrf: String,
}

struct Response {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(n, v)| *n == name && !v.is_empty())
            .map(|(_, v)| v.to_owned())
    }

    fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }

    fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn assert_bilingual_error(&self, status: StatusCode, code: &str) {
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

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let app = super::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.cleanup().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let app = super::TestApp::postgres().await;
                    super::$name(&app).await;
                    app.cleanup().await;
                }
            }
        )*
    };
}

mod csrf;
mod logins;
mod openapi_snapshot;
mod round_trips;
mod security;
mod uploads;

on_both_engines!(
    health_and_openapi,
    responses_are_compressed_when_the_client_accepts_gzip,
    login_me_and_bad_credentials,
    repeated_failed_logins_are_refused,
    checklists_list_every_version_and_form,
    institution_fills_its_checklist,
    concurrent_answers_are_judged_in_order,
    bad_answers_are_refused_and_change_nothing,
    inspection_verdict_follows_answers_and_observation,
    institutions_and_inspectors_are_scoped,
    forms_follow_the_kind_of_institution,
    no_medical_information_system_needs_no_answers,
    national_admin_registers_institutions_and_users,
    pages_login_fill_and_csrf,
    pages_are_scoped_and_bilingual,
    two_factor_enrolment_and_login,
    account_lifecycle_and_sessions,
    passwords_follow_the_rules,
    access_and_audit_logs_are_shown_to_admins,
    logins_are_limited_per_address,
    authorization_matrix_covers_every_route,
    vendors_are_invited_and_fill_their_form,
    invitation_links_expire_and_are_used_once,
    coverage_merges_the_forms,
    contact_chart_is_validated_and_drawn,
    backup_and_bcp_records_warn,
    vendor_pages_invite_fill_and_show,
    mds_sds_deliveries_are_recorded_and_shown,
    mds_sds_bad_files_are_refused_clearly,
    continuity_form_adds_removes_and_refuses_by_field,
    invitations_are_mailed_through_smtp,
    contact_chart_editor_adds_removes_and_orders_calls,
    assurance_survey_ranking_selection_and_withdrawal,
    assurance_bad_input_is_refused_and_changes_nothing,
    ledger_store_keeps_devices_and_audits_every_change,
    ledger_import_meets_a_concurrent_writer,
    ledger_import_previews_then_stores_all_or_nothing,
    ledger_refuses_bad_files_clearly,
    ledger_devices_carry_flags_and_export_round_trips,
    ledger_pages_import_with_preview_and_confirm,
    assurance_pages_survey_ranking_withdrawal_and_export,
    assurance_page_opens_a_programme_year,
    assurance_pages_import_a_ranking_and_decide_flagged_hospitals,
    training_registration_waitlist_and_cancellation,
    training_bad_input_changes_nothing,
    training_last_seat_goes_to_exactly_one,
    training_operator_attendance_export_and_record,
    training_pages_register_waitlist_cancel_and_record,
    training_sessions_and_courses_are_edited_and_withdrawn,
    training_edits_refuse_bad_input_and_change_nothing,
    training_lecturers_are_listed_and_kept,
    training_edit_pages_mark_fields_and_withdraw,
    support_menu_and_estimates_are_public,
    subsidy_estimates_refuse_bad_input_clearly,
    suggestions_follow_the_institution_records,
    incidents_are_reported_seen_and_handled,
    incident_pages_report_and_desk,
);

const HOSPITAL: i64 = 1;
const CLINIC: i64 = 2;
const PHARMACY: i64 = 3;
const HOSPITAL_46: i64 = 4;
/// The demo hospital's EMR contract, served by `demo-vendor`.
const VENDOR_CONTRACT: i64 = 1;
/// Its network contract (from this year), served by `demo-vendor-network`.
const NETWORK_CONTRACT: i64 = 2;
/// The Kagoshima hospital's contract, served by `demo-vendor-46`.
const VENDOR_46_CONTRACT: i64 = 3;

async fn health_and_openapi(app: &TestApp) {
    let r = app.api("GET", "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let spec = app.api("GET", "/api/openapi.json", None, None).await.json();
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
    let unknown = app.api("GET", "/api/v1/nothing-here", None, None).await;
    unknown.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let headers = app
        .send(Request::get("/login").body(Body::empty()).expect("request"))
        .await
        .headers;
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

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a gzip body");
    text
}

fn header_str(headers: &axum::http::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
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

async fn login_me_and_bad_credentials(app: &TestApp) {
    let token = app.token("demo-hospital").await;
    let me = app
        .api("GET", "/api/v1/me", Some(&token), None)
        .await
        .json();
    assert_eq!(
        me,
        json!({"login": "demo-hospital", "role": "admin", "institution_id": HOSPITAL, "prefecture": null})
    );
    let inspector = app.token("demo-inspector-13").await;
    let me = app
        .api("GET", "/api/v1/me", Some(&inspector), None)
        .await
        .json();
    assert_eq!(me["role"], "inspector");
    assert_eq!(me["prefecture"], "13");

    let wrong = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "demo-hospital", "password": "wrong-password"})),
        )
        .await;
    wrong.assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let unknown = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "nobody", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(
        unknown.body, wrong.body,
        "unknown users and wrong passwords get the same answer"
    );
    app.api(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"login": "demo-hospital"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    app.raw(
        "POST",
        "/api/v1/login",
        "",
        "application/json",
        "{\"login\": ",
    )
    .await
    .assert_bilingual_error(StatusCode::BAD_REQUEST, "malformed_json");
    app.api("GET", "/api/v1/me", None, None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.api("GET", "/api/v1/me", Some("not-a-token"), None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let r = app.api("POST", "/api/v1/logout", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.api("GET", "/api/v1/me", Some(&token), None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn repeated_failed_logins_are_refused(app: &TestApp) {
    for _ in 0..mamori_web::http::auth::MAX_FAILURES {
        let r = app
            .api(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": "demo-clinic", "password": "guess-guess-guess"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // Other accounts are not affected.
    app.token("demo-pharmacy").await;
}

async fn checklists_list_every_version_and_form(app: &TestApp) {
    let token = app.token("demo-national").await;
    let list = app
        .api("GET", "/api/v1/checklists", Some(&token), None)
        .await
        .json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for version in ["r5", "r6", "r7"] {
        for form in ["institution", "vendor", "pharmacy"] {
            assert!(
                ids.contains(&format!("{version}-{form}").as_str()),
                "missing {version}-{form}"
            );
        }
    }
    let r5 = list
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["id"] == "r5-institution")
        .expect("r5");
    let patch_server = r5["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["key"] == "2-7-server")
        .expect("2-7-server");
    assert_eq!(patch_server["number"], "2(7)");
    assert_eq!(patch_server["scope"], "server");
    assert_eq!(
        patch_server["required_from_fiscal_year"], 2024,
        "a reference item of 令和5年度"
    );
    assert!(
        patch_server["text_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("セキュリティパッチ")
    );
    assert!(
        !patch_server["text_en"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    let r6 = list
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["id"] == "r6-institution")
        .expect("r6");
    assert_eq!(r6["items"].as_array().expect("items").len(), 18);
}

async fn institution_fills_its_checklist(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let before = app.api("GET", &path, Some(&token), None).await.json();
    assert_eq!(before["form"], "institution");
    let open: Vec<String> = before["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["required"] == true && i["first"].is_null())
        .filter_map(|i| i["key"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(open.len(), 3, "the demo leaves three items open: {open:?}");
    let checked = format!("{year}-06-01");
    let target = format!("{year}-12-01");
    let r = app
        .api(
            "PUT",
            &format!("{path}/items/{}", open[0]),
            Some(&token),
            Some(json!({"round": 1, "answer": "no", "checked_on": checked, "target_date": target})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["first"]["answer"], "no");
    assert_eq!(r.json()["first"]["target_date"], target);
    // The second check, after the target date.
    let second = format!("{year}-12-15");
    let today = mamori_web::service::today_in_japan().to_string();
    let second = if second <= today { second } else { today };
    let r = app
        .api(
            "PUT",
            &format!("{path}/items/{}", open[0]),
            Some(&token),
            Some(json!({"round": 2, "answer": "yes", "checked_on": second})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["second"]["answer"], "yes");
    // Changing an answer keeps the history: who, what, when.
    let r = app
        .api("PUT", &format!("{path}/items/{}", open[0]), Some(&token), Some(json!({"round": 1, "answer": "no", "checked_on": checked, "target_date": format!("{year}-11-30")})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let history = app
        .api(
            "GET",
            &format!("{path}/items/{}/history", open[0]),
            Some(&token),
            None,
        )
        .await
        .json();
    let history = history.as_array().expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["changed_by"], "demo-hospital");
    assert_eq!(history[0]["previous"]["target_date"], target);
    assert_eq!(history[0]["answer"]["target_date"], format!("{year}-11-30"));
    // Staff may answer too; withdrawing an answer is kept in the history.
    let staff = app.token("demo-hospital-staff").await;
    let r = app
        .api(
            "DELETE",
            &format!("{path}/items/{}?round=2", open[0]),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["second"].is_null());
    let history = app
        .api(
            "GET",
            &format!("{path}/items/{}/history", open[0]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(history[0]["action"], "clear");
    assert_eq!(history[0]["changed_by"], "demo-hospital-staff");
    assert!(app.state.store.audit_count(HOSPITAL).await.expect("audit") > 3);
}

/// Answers saved at the same moment are written together (group commit) but judged one by
/// one, in order, against what the earlier ones left: every accepted answer has its history
/// row and its audit entry, and a second check is never stored without its first.
async fn concurrent_answers_are_judged_in_order(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let before = app.api("GET", &path, Some(&token), None).await.json();
    let open: Vec<String> = before["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["required"] == true && i["first"].is_null() && i["has_target_date"] == true)
        .filter_map(|i| i["key"].as_str().map(str::to_owned))
        .collect();
    assert!(!open.is_empty(), "the demo leaves items open");
    let key = &open[0];
    let item = format!("{path}/items/{key}");
    let audit_before = app.state.store.audit_count(HOSPITAL).await.expect("audit");
    // Twelve first checks and twelve second checks of the same item, all at once.
    let mut requests = Vec::new();
    for day in 1..=12 {
        requests.push(json!({"round": 1, "answer": "no", "checked_on": format!("{year}-05-{day:02}"), "target_date": format!("{year}-12-01")}));
        requests.push(
            json!({"round": 2, "answer": "yes", "checked_on": format!("{year}-07-{day:02}")}),
        );
    }
    let responses = futures_util::future::join_all(
        requests
            .iter()
            .map(|body| app.api("PUT", &item, Some(&token), Some(body.clone()))),
    )
    .await;
    let mut accepted = 0;
    for r in &responses {
        match r.status {
            StatusCode::OK => accepted += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(r.error_code(), "second_without_first", "{}", r.body)
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(accepted >= 12, "every first check is accepted: {accepted}");
    // The second check in the final state only exists together with a first.
    let after = app.api("GET", &path, Some(&token), None).await.json();
    let state = after["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["key"] == key.as_str())
        .expect("item")
        .clone();
    assert_eq!(state["first"]["answer"], "no", "{state}");
    // One history row and one audit entry per accepted answer, and the chain still holds.
    let history = app
        .api("GET", &format!("{item}/history"), Some(&token), None)
        .await
        .json();
    assert_eq!(history.as_array().expect("history").len(), accepted);
    let audit_after = app.state.store.audit_count(HOSPITAL).await.expect("audit");
    assert_eq!(
        audit_after - audit_before,
        i64::try_from(accepted).expect("count")
    );
    let verification = app.state.store.verify_audit_chain().await.expect("verify");
    assert!(verification.problem.is_none(), "{verification:?}");
}

async fn bad_answers_are_refused_and_change_nothing(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let before = app.api("GET", &path, Some(&token), None).await.body;
    let item = format!("{path}/items/1-1");
    let d = |m: &str| format!("{year}-{m}");
    let cases: Vec<(String, Value, StatusCode, &str)> = vec![
        (
            format!("{path}/items/9-9"),
            json!({"round": 1, "answer": "yes", "checked_on": d("06-01")}),
            StatusCode::NOT_FOUND,
            "unknown_item",
        ),
        (
            format!("/api/v1/institutions/{HOSPITAL}/assessments/2019/items/1-1"),
            json!({"round": 1, "answer": "yes", "checked_on": d("06-01")}),
            StatusCode::NOT_FOUND,
            "unknown_fiscal_year",
        ),
        (
            format!("/api/v1/institutions/{HOSPITAL}/assessments/20x5/items/1-1"),
            json!({"round": 1, "answer": "yes", "checked_on": d("06-01")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes", "checked_on": d("06-01"), "target_date": d("09-01")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "target_date_on_yes",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "no", "checked_on": d("06-01"), "target_date": d("05-01")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "target_date_before_check",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes", "checked_on": "01/06/2025"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes", "checked_on": d("02-30")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            item.clone(),
            json!({"round": 3, "answer": "yes", "checked_on": d("06-01")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "maybe", "checked_on": d("06-01")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes", "checked_on": "2999-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "check_date_in_future",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            item.clone(),
            json!({"round": 1, "answer": "yes", "checked_on": d("06-01"), "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (path, body, status, code) in cases {
        let r = app
            .api("PUT", &path, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{path} {body}: {}", r.body);
        assert_eq!(r.error_code(), code, "{path} {body}: {}", r.body);
        r.assert_bilingual_error(status, code);
    }
    app.raw("PUT", &item, &token, "application/json", "{not json")
        .await
        .assert_bilingual_error(StatusCode::BAD_REQUEST, "malformed_json");
    app.raw("PUT", &item, &token, "text/plain", "{}")
        .await
        .assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "json_required");
    // The clinic has no vendor contract: 2(2) does not apply and cannot be answered.
    let clinic = app.token("demo-clinic").await;
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/institutions/{CLINIC}/assessments/{year}/items/2-2-all"),
            Some(&clinic),
            Some(json!({"round": 1, "answer": "yes", "checked_on": d("06-01")})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "item_not_applicable");
    let after = app.api("GET", &path, Some(&token), None).await.body;
    assert_eq!(before, after, "refused answers change nothing");
}

async fn inspection_verdict_follows_answers_and_observation(app: &TestApp) {
    let year = app.year();
    let hospital = app.token("demo-hospital").await;
    let inspector = app.token("demo-inspector-13").await;
    let verdict_path = format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}");
    let v = app
        .api("GET", &verdict_path, Some(&inspector), None)
        .await
        .json();
    assert_eq!(v["ready"], false);
    let is_vendor = |f: &Value| {
        f["code"] == "vendor_form_missing"
            || f["message_ja"]
                .as_str()
                .is_some_and(|m| m.starts_with("事業者確認用"))
    };
    let (vendor_findings, blocking): (Vec<&Value>, Vec<&Value>) = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .partition(|f| is_vendor(f));
    assert_eq!(
        blocking.len(),
        4,
        "three open items and the contact chart: {v}"
    );
    // The demo's vendors have answered their forms: nothing is missing on their side.
    assert!(vendor_findings.is_empty(), "{v}");
    assert!(
        blocking
            .iter()
            .any(|f| f["code"] == "contact_chart_not_seen" && f["item"] == "3(1)")
    );
    assert!(
        blocking
            .iter()
            .all(|f| !f["message_ja"].as_str().unwrap_or_default().is_empty())
    );
    // The institution fills the open items.
    let assessment = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}"),
            Some(&hospital),
            None,
        )
        .await
        .json();
    for item in assessment["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["required"] == true && i["first"].is_null())
    {
        let key = item["key"].as_str().expect("key");
        let r = app
            .api(
                "PUT",
                &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}"),
                Some(&hospital),
                Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-07-01")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let v = app
        .api("GET", &verdict_path, Some(&inspector), None)
        .await
        .json();
    assert_eq!(v["ready"], false);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["contact_chart_not_seen"]);
    // Only an inspector of the prefecture records what was seen.
    let obs = format!("{verdict_path}/observations");
    app.api(
        "PUT",
        &obs,
        Some(&hospital),
        Some(json!({"contact_chart_seen": true})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let national = app.token("demo-national").await;
    app.api(
        "PUT",
        &obs,
        Some(&national),
        Some(json!({"contact_chart_seen": true})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api(
        "PUT",
        &obs,
        Some(&inspector),
        Some(json!({"contact_chart_seen": "yes"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let r = app
        .api(
            "PUT",
            &obs,
            Some(&inspector),
            Some(json!({"contact_chart_seen": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["ready"], false);
    assert!(
        r.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "contact_chart_missing")
    );
    let r = app
        .api(
            "PUT",
            &obs,
            Some(&inspector),
            Some(json!({"contact_chart_seen": true})),
        )
        .await;
    assert_eq!(r.json()["ready"], true, "{}", r.body);
    assert_eq!(r.json()["contact_chart_seen"], true);
    // Inspectors read; they do not answer for the institution.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/1-1"),
            Some(&inspector),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-07-01")})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // The previous year was completed and inspected in the demo.
    let previous = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{}", year - 1),
            Some(&inspector),
            None,
        )
        .await
        .json();
    assert_eq!(previous["ready"], true, "{previous}");
}

async fn institutions_and_inspectors_are_scoped(app: &TestApp) {
    let year = app.year();
    let clinic = app.token("demo-clinic").await;
    let inspector_46 = app.token("demo-inspector-46").await;
    let inspector_13 = app.token("demo-inspector-13").await;
    for (token, id) in [
        (&clinic, HOSPITAL),
        (&inspector_46, HOSPITAL),
        (&inspector_13, HOSPITAL_46),
    ] {
        for path in [
            format!("/api/v1/institutions/{id}"),
            format!("/api/v1/institutions/{id}/assessments/{year}"),
            format!("/api/v1/institutions/{id}/inspection/{year}"),
            format!("/api/v1/institutions/{id}/assessments/{year}/items/1-1/history"),
        ] {
            app.api("GET", &path, Some(token), None)
                .await
                .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        }
        app.api(
            "PUT",
            &format!("/api/v1/institutions/{id}/assessments/{year}/items/1-1"),
            Some(token),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "PATCH",
            &format!("/api/v1/institutions/{id}"),
            Some(token),
            Some(json!({"name": "x"})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "POST",
            &format!("/api/v1/institutions/{id}/users"),
            Some(token),
            Some(json!({"login": "intruder", "password": "long enough password", "role": "admin"})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "PUT",
            &format!("/api/v1/institutions/{id}/inspection/{year}/observations"),
            Some(token),
            Some(json!({"contact_chart_seen": true})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Lists are scoped the same way.
    let list = app
        .api("GET", "/api/v1/institutions", Some(&clinic), None)
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let list = app
        .api("GET", "/api/v1/institutions", Some(&inspector_46), None)
        .await
        .json();
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|i| i["prefecture"] == "46")
    );
    let list = app
        .api("GET", "/api/v1/institutions", Some(&inspector_13), None)
        .await
        .json();
    // Four demo institutions and the six hospitals of the assurance-project demo.
    assert_eq!(list.as_array().map(Vec::len), Some(10));
    // A missing id and a foreign id answer the same.
    app.api("GET", "/api/v1/institutions/999999", Some(&clinic), None)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    app.api("GET", "/api/v1/institutions/abc", Some(&clinic), None)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn forms_follow_the_kind_of_institution(app: &TestApp) {
    let year = app.year();
    let pharmacy = app.token("demo-pharmacy").await;
    let a = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{PHARMACY}/assessments/{year}"),
            Some(&pharmacy),
            None,
        )
        .await
        .json();
    assert_eq!(a["form"], "pharmacy");
    assert!(
        a["checklist_id"]
            .as_str()
            .unwrap_or_default()
            .ends_with("-pharmacy")
    );
    let clinic = app.token("demo-clinic").await;
    let a = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/assessments/{year}"),
            Some(&clinic),
            None,
        )
        .await
        .json();
    assert_eq!(a["form"], "institution");
    let remote = a["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["key"] == "2-2-all")
        .expect("2-2-all");
    assert_eq!(remote["applicable"], false);
    assert_eq!(remote["not_applicable_reason"], "no_vendor_contract");
    // 令和5年度: the 参考項目 are marked as such, and 2-7-server is one of them.
    let a = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/assessments/2023"),
            Some(&clinic),
            None,
        )
        .await
        .json();
    let patch = a["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["key"] == "2-7-server")
        .expect("2-7-server");
    assert_eq!(patch["reference"], true);
    assert_eq!(patch["required"], false);
    assert_eq!(a["checklist_id"], "r5-institution");
}

async fn no_medical_information_system_needs_no_answers(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-clinic").await;
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/institutions/{CLINIC}"),
            Some(&admin),
            Some(json!({"has_medical_information_system": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/assessments/{year}"),
            Some(&admin),
            None,
        )
        .await
        .json();
    assert!(
        a["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["applicable"] == false
                && i["not_applicable_reason"] == "no_medical_information_system")
    );
    let v = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/inspection/{year}"),
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(v["ready"], true);
    assert_eq!(v["findings"][0]["code"], "no_medical_information_system");
    // An institution admin cannot move the institution to another prefecture.
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"prefecture": "46"})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"beds": "many"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"colour": "red"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"beds": 30})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    // Staff may not change the profile.
    let staff = app.token("demo-hospital-staff").await;
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{HOSPITAL}"),
        Some(&staff),
        Some(json!({"name": "x"})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn national_admin_registers_institutions_and_users(app: &TestApp) {
    let national = app.token("demo-national").await;
    let body = json!({"name": "南海中央病院", "kind": "hospital", "prefecture": "47", "beds": 250, "has_medical_information_system": true, "has_vendor_contracts": true, "medical_institution_code": "4711234567"});
    let r = app
        .api(
            "POST",
            "/api/v1/institutions",
            Some(&national),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().expect("id");
    let got = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{id}"),
            Some(&national),
            None,
        )
        .await
        .json();
    assert_eq!(got["prefecture"], "47");
    assert_eq!(got["form"], "institution");
    let hospital = app.token("demo-hospital").await;
    app.api(
        "POST",
        "/api/v1/institutions",
        Some(&hospital),
        Some(body.clone()),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    for (field, value) in [
        ("kind", json!("dentist")),
        ("prefecture", json!("48")),
        ("beds", json!(5)),
        ("medical_institution_code", json!("123")),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let r = app
            .api("POST", "/api/v1/institutions", Some(&national), Some(bad))
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    }
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{id}/users"),
            Some(&national),
            Some(
                json!({"login": "nankai-admin", "password": "a long pass phrase", "role": "admin"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let admin = {
        let r = app
            .api(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": "nankai-admin", "password": "a long pass phrase"})),
            )
            .await;
        r.json()["token"].as_str().expect("token").to_owned()
    };
    let r = app.api("POST", &format!("/api/v1/institutions/{id}/users"), Some(&admin), Some(json!({"login": "nankai-staff", "password": "another long phrase", "role": "staff"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "nankai-staff", "password": "another long phrase", "role": "staff"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "short-pw", "password": "short", "role": "staff"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "password_too_short");
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "boss", "password": "a long pass phrase", "role": "national_admin"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    let staff = app.token_with("nankai-staff", "another long phrase").await;
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&staff),
        Some(json!({"login": "nankai-2", "password": "another long phrase", "role": "staff"})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

impl TestApp {
    async fn token_with(&self, login: &str, password: &str) -> String {
        let r = self
            .api(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["token"].as_str().expect("token").to_owned()
    }
}

async fn pages_login_fill_and_csrf(app: &TestApp) {
    let year = app.year();
    let s = app.web_login("demo-hospital").await;
    let page = app
        .get_page(
            &s.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("みなと中央病院")
            && page.body.contains("1(1)")
            && page.body.contains("医療機関確認用")
    );
    let assessment = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}"),
            Some(&app.token("demo-hospital").await),
            None,
        )
        .await
        .json();
    let open = assessment["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["required"] == true && i["first"].is_null())
        .expect("an open item");
    let key = open["key"].as_str().expect("key");
    let action = format!("/institutions/{HOSPITAL}/checklist/{year}/items/{key}");
    let form = format!("round=1&answer=yes&checked_on={year}-06-10&target_date=&action=save");
    // Without the CSRF token the form is refused.
    let r = app.post_form(&s.cookie, &action, &form, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A plain form post saves and redirects back to the item.
    let r = app
        .post_form(
            &s.cookie,
            &action,
            &format!("csrf={}&{form}", s.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .ends_with(&format!("#item-{key}"))
    );
    // With htmx only the item's card comes back; a refused answer is shown in place.
    let bad = format!(
        "csrf={}&round=1&answer=yes&checked_on={year}-06-10&target_date={year}-09-01&action=save",
        s.csrf
    );
    let r = app.post_form(&s.cookie, &action, &bad, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.starts_with("<article")
            && r.body.contains("目標日は「いいえ」の場合にのみ記入します"),
        "{}",
        r.body
    );
    let r = app.post_form(&s.cookie, &action, &format!("csrf={}&round=1&answer=no&checked_on={year}-06-10&target_date={year}-09-01&action=save", s.csrf), true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("保存しました"));
    assert_eq!(
        r.headers.get("HX-Trigger").and_then(|v| v.to_str().ok()),
        Some("answer-saved")
    );
    let history = app.get_page(&s.cookie, &format!("{action}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(history.body.contains("demo-hospital"));
    let print = app
        .get_page(
            &s.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}/print"),
        )
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("確認結果"));
    // Logging out ends the session.
    let r = app
        .post_form(&s.cookie, "/logout", &format!("csrf={}", s.csrf), false)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = app
        .send(
            Request::get("/institutions")
                .header(header::COOKIE, &s.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(
        after
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("/login")
    );
}

async fn pages_are_scoped_and_bilingual(app: &TestApp) {
    let year = app.year();
    let clinic = app.web_login("demo-clinic").await;
    for path in [
        format!("/institutions/{HOSPITAL}"),
        format!("/institutions/{HOSPITAL}/checklist/{year}"),
        format!("/institutions/{HOSPITAL}/inspection/{year}"),
        format!("/institutions/{HOSPITAL}/checklist/{year}/print"),
        format!("/institutions/{HOSPITAL}/edit"),
    ] {
        let r = app.get_page(&clinic.cookie, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("見つかりません"));
    }
    let r = app
        .post_form(
            &clinic.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}/items/1-1"),
            &format!(
                "csrf={}&round=1&answer=yes&checked_on={year}-06-01",
                clinic.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let inspector = app.web_login("demo-inspector-46").await;
    let list = app.get_page(&inspector.cookie, "/institutions").await;
    assert!(list.body.contains("桜島記念病院") && !list.body.contains("みなと中央病院"));
    assert_eq!(
        app.get_page(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let own = app
        .get_page(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL_46}/inspection/{year}"),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("data-verdict=\"not-ready\""));
    // The English switch works on every page and is remembered.
    let r = app
        .send(
            Request::get("/lang/en?next=/institutions")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.cookie("mamori_lang").as_deref(), Some("en"));
    let english = app
        .get_page(
            &format!("{}; mamori_lang=en", inspector.cookie),
            &format!("/institutions/{HOSPITAL_46}/inspection/{year}"),
        )
        .await;
    assert!(english.body.contains("Log out") && english.body.contains("lang=\"en\""));
    // Redirects after login stay on this site.
    let r = app
        .send(
            Request::get("/lang/en?next=//evil.example")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/")
    );
}

fn code_now(secret: &str, login: &str) -> String {
    mamori_web::http::two_factor::totp(secret, login)
        .expect("totp")
        .generate_current()
        .to_string()
}

async fn two_factor_enrolment_and_login(app: &TestApp) {
    let tokyo = mamori_domain::Prefecture::parse("13").expect("13");
    let login = "tanaka-13";
    let password = "a quiet harbour at dawn";
    mamori_web::add_user(
        &app.state,
        None,
        login,
        password,
        mamori_domain::Role::Inspector,
        None,
        Some(tokyo),
    )
    .await
    .expect("add inspector");
    // An inspector must set up two-factor authentication: the API refuses until then.
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": login, "password": password})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "two_factor_enrolment_required");
    // On the web, every page leads to the enrolment page until it is done.
    let page = app
        .send(Request::get("/login").body(Body::empty()).expect("request"))
        .await;
    let csrf = page.hidden("csrf").expect("csrf");
    let form = format!(
        "login={login}&password={}&csrf={csrf}&next=%2Finstitutions",
        password.replace(' ', "+")
    );
    let r = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("mamori_login_csrf={csrf}"))
                .body(Body::from(form.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = format!(
        "mamori_session={}",
        r.cookie("mamori_session").expect("session")
    );
    let list = app
        .send(
            Request::get("/institutions")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(list.status, StatusCode::SEE_OTHER);
    assert_eq!(
        list.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/account/two-factor")
    );
    let setup = app.get_page(&cookie, "/account/two-factor").await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.body.contains("<svg"), "a QR code is shown");
    let secret_start = setup.body.find("data-secret>").expect("secret") + "data-secret>".len();
    let secret = setup.body[secret_start..]
        .split('<')
        .next()
        .expect("secret")
        .to_owned();
    let page_csrf = setup.hidden("csrf").expect("csrf");
    let wrong = app
        .post_form(
            &cookie,
            "/account/two-factor",
            &format!("csrf={page_csrf}&code=000000"),
            false,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post_form(
            &cookie,
            "/account/two-factor",
            &format!("csrf={page_csrf}&code={}", code_now(&secret, login)),
            false,
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes: Vec<String> = done
        .body
        .split("<li><code>")
        .skip(1)
        .filter_map(|part| part.split('<').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
    assert_eq!(
        app.get_page(&cookie, "/institutions").await.status,
        StatusCode::OK
    );

    // Logging in again stops at the second factor.
    let page = app
        .send(Request::get("/login").body(Body::empty()).expect("request"))
        .await;
    let csrf = page.hidden("csrf").expect("csrf");
    let form = format!(
        "login={login}&password={}&csrf={csrf}&next=%2Finstitutions",
        password.replace(' ', "+")
    );
    let r = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("mamori_login_csrf={csrf}"))
                .body(Body::from(form))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("/login/two-factor")
    );
    assert!(
        r.cookie("mamori_session").is_none(),
        "no session before the second factor"
    );
    let pending = format!(
        "mamori_pending={}",
        r.cookie("mamori_pending").expect("pending")
    );
    let step = app.get_page(&pending, "/login/two-factor").await;
    let step_csrf = step.hidden("csrf").expect("csrf");
    let bad = app
        .post_form(
            &pending,
            "/login/two-factor",
            &format!("csrf={step_csrf}&code=123456&next=%2Finstitutions"),
            false,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // The code used at enrolment cannot be replayed; a recovery code works once.
    let ok = app
        .post_form(
            &pending,
            "/login/two-factor",
            &format!("csrf={step_csrf}&code={}&next=%2Finstitutions", codes[0]),
            false,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.cookie("mamori_session").is_some());

    // The API takes the second factor in the same request.
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": login, "password": password})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNAUTHORIZED, "second_factor_required");
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": login, "password": password, "totp": codes[0]})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_second_factor");
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": login, "password": password, "totp": codes[1]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Demo accounts are exempt and every page says so.
    let demo = app.web_login("demo-inspector-13").await;
    let page = app.get_page(&demo.cookie, "/institutions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("二要素認証の対象外"));
}

async fn account_lifecycle_and_sessions(app: &TestApp) {
    let staff_token = app.token("demo-hospital-staff").await;
    let admin = app.web_login("demo-hospital").await;
    let page = app
        .get_page(&admin.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    let staff_id = {
        let marker = "/users/";
        let start = page
            .body
            .find(&format!("/institutions/{HOSPITAL}{marker}"))
            .expect("a user action")
            + format!("/institutions/{HOSPITAL}{marker}").len();
        page.body[start..].split('/').next().expect("id").to_owned()
    };
    let action = |what: &str| format!("/institutions/{HOSPITAL}/users/{staff_id}/{what}");
    let r = app
        .post_form(
            &admin.cookie,
            &action("disable"),
            &format!("csrf={}", admin.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.api("GET", "/api/v1/me", Some(&staff_token), None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "demo-hospital-staff", "password": demo::DEMO_PASSWORD})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    app.post_form(
        &admin.cookie,
        &action("enable"),
        &format!("csrf={}", admin.csrf),
        false,
    )
    .await;
    app.token("demo-hospital-staff").await;
    // Another institution's admin cannot touch this user.
    let clinic = app.web_login("demo-clinic").await;
    let r = app
        .post_form(
            &clinic.cookie,
            &action("disable"),
            &format!("csrf={}", clinic.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post_form(
            &clinic.cookie,
            &format!("/institutions/{CLINIC}/users/{staff_id}/disable"),
            &format!("csrf={}", clinic.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Unused accounts: the staff account, aged, is listed and disabled in one step.
    app.exec("UPDATE users SET last_login_at = '2020-01-01T00:00:00.000Z', created_at = '2020-01-01T00:00:00.000Z' WHERE login = 'demo-hospital-staff'").await;
    let page = app
        .get_page(&admin.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    assert!(page.body.contains("使われていないアカウント"));
    let r = app
        .post_form(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/unused-users/disable"),
            &format!("csrf={}", admin.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "demo-hospital-staff", "password": demo::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.post_form(
        &admin.cookie,
        &action("delete"),
        &format!("csrf={}", admin.csrf),
        false,
    )
    .await;
    let page = app
        .get_page(&admin.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    assert!(
        !page.body.contains("demo-hospital-staff"),
        "a deleted user is not listed"
    );
    // An admin cannot disable themself.
    let me = app
        .api(
            "GET",
            "/api/v1/me",
            Some(&app.token("demo-hospital").await),
            None,
        )
        .await
        .json();
    assert_eq!(me["login"], "demo-hospital");
    // The user sees their sessions and can end one.
    let api_token = app.token("demo-hospital").await;
    let account = app.get_page(&admin.cookie, "/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("この端末") && account.body.contains("API"));
    let revoke_id = account
        .body
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a session to revoke")
        .to_owned();
    let r = app
        .post_form(
            &admin.cookie,
            "/account/sessions/revoke",
            &format!("csrf={}&id={revoke_id}", admin.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let still = app.api("GET", "/api/v1/me", Some(&api_token), None).await;
    let sessions_left = app
        .get_page(&admin.cookie, "/account")
        .await
        .body
        .matches("name=\"id\"")
        .count();
    assert!(
        still.status == StatusCode::UNAUTHORIZED
            || sessions_left < account.body.matches("name=\"id\"").count()
    );
    // National admins manage inspectors and national users.
    let national = app.web_login("demo-national").await;
    let users = app.get_page(&national.cookie, "/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("demo-inspector-46"));
    assert_eq!(
        app.get_page(&admin.cookie, "/admin/users").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn passwords_follow_the_rules(app: &TestApp) {
    let s = app.web_login("demo-pharmacy").await;
    let change = |current: &str, new: &str| {
        format!("csrf={}&current={current}&new={new}&confirm={new}", s.csrf)
    };
    let r = app
        .post_form(
            &s.cookie,
            "/account/password",
            &change("wrong-password", "a quiet harbour at dawn"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("現在のパスワードが正しくありません"));
    let r = app
        .post_form(
            &s.cookie,
            "/account/password",
            &change(demo::DEMO_PASSWORD, demo::DEMO_PASSWORD),
            false,
        )
        .await;
    assert!(
        r.body.contains("現在と同じパスワードには変更できません"),
        "reuse is refused"
    );
    let r = app
        .post_form(
            &s.cookie,
            "/account/password",
            &change(demo::DEMO_PASSWORD, "password1234"),
            false,
        )
        .await;
    assert!(
        r.body.contains("推測されやすい"),
        "a common password is refused"
    );
    let r = app
        .post_form(
            &s.cookie,
            "/account/password",
            &change(demo::DEMO_PASSWORD, "short"),
            false,
        )
        .await;
    assert!(r.body.contains("12文字以上"));
    let other = app.token("demo-pharmacy").await;
    let r = app
        .post_form(
            &s.cookie,
            "/account/password",
            &change(demo::DEMO_PASSWORD, "a+quiet+harbour+at+dawn"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("パスワードを変更しました"));
    app.api("GET", "/api/v1/me", Some(&other), None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(
        app.get_page(&s.cookie, "/account").await.status,
        StatusCode::OK,
        "the current session goes on"
    );
    app.token_with("demo-pharmacy", "a quiet harbour at dawn")
        .await;
}

async fn access_and_audit_logs_are_shown_to_admins(app: &TestApp) {
    let year = app.year();
    let inspector = app.token("demo-inspector-13").await;
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}"),
            Some(&inspector),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let admin = app.web_login("demo-hospital").await;
    let log = app
        .get_page(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/access-log"),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        log.body.contains("demo-inspector-13") && log.body.contains("立入検査担当者"),
        "the institution sees who looked at its data"
    );
    let clinic = app.web_login("demo-clinic").await;
    assert_eq!(
        app.get_page(
            &clinic.cookie,
            &format!("/institutions/{HOSPITAL}/access-log")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let staff = app.web_login("demo-hospital-staff").await;
    assert_eq!(
        app.get_page(&staff.cookie, &format!("/institutions/{HOSPITAL}/audit"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let audit = app
        .get_page(&admin.cookie, &format!("/institutions/{HOSPITAL}/audit"))
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("answer.set") && audit.body.contains("login.success"));
    assert!(
        !audit.body.contains("institution=2 "),
        "only this institution's part"
    );
    let csv = app
        .get_page(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/audit?format=csv"),
        )
        .await;
    assert!(
        csv.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.body
            .starts_with("\u{feff}seq,at,login,action,institution_id,detail\r\n")
    );
    assert!(csv.body.lines().count() > 5);
    assert_eq!(
        app.get_page(&admin.cookie, "/admin/audit").await.status,
        StatusCode::NOT_FOUND
    );
    let national = app.web_login("demo-national").await;
    let all = app
        .get_page(&national.cookie, "/admin/audit?format=csv")
        .await;
    assert!(all.body.contains("login.failure") || all.body.contains("login.success"));
    let verification = app.state.store.verify_audit_chain().await.expect("verify");
    assert_eq!(verification.problem, None);
    assert!(verification.entries > 50);
}

async fn logins_are_limited_per_address(app: &TestApp) {
    let from =
        |ip: [u8; 4], body: Value| {
            let mut request = Request::post("/api/v1/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request");
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from((ip, 40000)),
            ));
            request
        };
    let attacker = [192, 0, 2, 7];
    for n in 0..mamori_web::http::auth::MAX_FAILURES_PER_ADDRESS {
        // Different accounts each time, so that no single account is locked.
        let r = app
            .send(from(
                attacker,
                json!({"login": format!("guess-{n}"), "password": "wrong-password-here"}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .send(from(
            attacker,
            json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD}),
        ))
        .await;
    r.assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = app
        .send(from(
            [198, 51, 100, 1],
            json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "other addresses are not affected");
}

/// What a route allows, for the authorization matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user; it acts on the caller's own account.
    SignedIn,
    /// An institution's data: read by those who see it (its users, the inspectors of its
    /// prefecture, the national office); 404 for everyone else.
    Read,
    /// Its checklist answers: its own users only.
    Answer,
    /// Its profile and users: its admin and the national office.
    Administer,
    /// What was seen on site: the inspectors of its prefecture.
    Observe,
    /// The national office only; others get `others`.
    National(StatusCode),
    /// A contract's 事業者確認用, read: those who see the institution and the vendor serving
    /// the contract; 404 for everyone else (other vendors included).
    VendorForm,
    /// A contract's 事業者確認用, written: the vendor serving it only; those who see the
    /// institution get 403, everyone else 404.
    VendorAnswer,
    /// A prefecture's survey (ranking, selection, 別紙1, submission): its officer and the
    /// national office; 404 for everyone else.
    Prefecture,
    /// An institution's survey answers: its admin, its prefecture's officer, the national
    /// office; 403 for others who see the institution, 404 for the rest.
    Apply,
    /// Running training (courses, sessions, attendance, lecturers): the training operator
    /// and the national office; 403 for everyone else.
    TrainingOperator,
    /// Registering staff for a training session: any institution's users (for their own
    /// institution); 403 for everyone else.
    TrainingRegister,
    /// A registration: its institution's users only; 404 for everyone else.
    TrainingPlace,
    /// Reporting a suspected incident: any institution's users (for their own); 403 for
    /// every other signed-in caller.
    IncidentReport,
    /// The list of cases: institutions' users (their own) and the desk; 404 for the rest.
    IncidentList,
    /// The hospital's case, read or noted: its users and the desk; 404 for everyone else.
    IncidentCase,
    /// The hospital's case's state: the desk; 403 for the hospital's users, 404 for the rest.
    IncidentDesk,
}

/// A caller's part in the hospital's インシデントかも? case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Incident {
    /// No institution to report for, not the desk.
    NoPart,
    /// Reports for another institution.
    OtherInstitution,
    /// The hospital's users.
    Reporter,
    Desk,
}

/// Every route of the application and its rule. A route without an entry fails the test.
fn rule_for(method: &str, path: &str) -> Option<Rule> {
    use Rule::*;
    Some(match (method, path) {
        (
            _,
            "/healthz" | "/api/openapi.json" | "/api/v1/login" | "/login" | "/lang/{code}"
            | "/login/two-factor",
        ) => Public,
        ("POST", "/api/v1/invitations/{token}/accept") => Public,
        ("GET", "/incidents/new") => Public,
        ("POST", "/incidents" | "/api/v1/incidents") => IncidentReport,
        ("GET", "/incidents" | "/api/v1/incidents") => IncidentList,
        (
            "GET" | "POST",
            "/incidents/{case_id}"
            | "/api/v1/incidents/{case_id}"
            | "/incidents/{case_id}/notes"
            | "/api/v1/incidents/{case_id}/notes",
        ) => IncidentCase,
        ("POST" | "PUT", "/incidents/{case_id}/state" | "/api/v1/incidents/{case_id}/state") => {
            IncidentDesk
        }
        ("GET" | "POST", "/invitations/{token}") => Public,
        ("GET", "/vendor") => SignedIn,
        ("GET", "/vendor/contracts/{contract_id}/{fy}") => VendorForm,
        (
            "POST",
            "/vendor/contracts/{contract_id}/{fy}/items/{key}"
            | "/vendor/contracts/{contract_id}/{fy}/copy",
        ) => VendorAnswer,
        ("POST", "/institutions/{id}/vendors") => Administer,
        ("POST", "/vendor/contracts/{contract_id}/{fy}/deliveries") => VendorAnswer,
        ("GET", "/vendor/contracts/{contract_id}/deliveries/{delivery_id}") => VendorForm,
        (
            "GET",
            "/api/v1/vendor/contracts/{contract_id}/deliveries"
            | "/api/v1/vendor/contracts/{contract_id}/deliveries/{delivery_id}/file",
        ) => VendorForm,
        ("POST", "/api/v1/vendor/contracts/{contract_id}/deliveries") => VendorAnswer,
        (
            "GET" | "POST",
            "/institutions/{id}/contact-chart/edit" | "/institutions/{id}/continuity/edit",
        ) => Answer,
        (
            "GET",
            "/institutions/{id}/vendors"
            | "/institutions/{id}/coverage/{fy}"
            | "/institutions/{id}/contact-chart"
            | "/institutions/{id}/contact-chart/print"
            | "/institutions/{id}/contact-chart.svg"
            | "/institutions/{id}/continuity",
        ) => Read,
        (
            "GET",
            "/static/style.css" | "/static/htmx.min.js" | "/static/app.js" | "/static/ranking.js",
        ) => Public,
        ("GET", "/assurance") => SignedIn,
        ("GET", "/assurance/{fy}") => National(StatusCode::FORBIDDEN),
        ("GET" | "POST", "/assurance/new") => National(StatusCode::FORBIDDEN),
        (_, p) if p.starts_with("/assurance/{fy}/institutions/") => Apply,
        (_, "/" | "/logout" | "/api/v1/logout" | "/api/v1/me" | "/api/v1/checklists") => SignedIn,
        ("GET", "/api/v1/vendor/contracts") => SignedIn,
        (
            "GET",
            "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}",
        ) => VendorForm,
        (
            "PUT",
            "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}",
        )
        | ("POST", "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/copy") => {
            VendorAnswer
        }
        (
            "GET",
            "/api/v1/institutions/{id}/vendor-contracts"
            | "/api/v1/institutions/{id}/coverage/{fiscal_year}"
            | "/api/v1/institutions/{id}/contact-chart"
            | "/api/v1/institutions/{id}/contact-chart.svg"
            | "/api/v1/institutions/{id}/continuity",
        ) => Read,
        ("POST", "/api/v1/institutions/{id}/vendor-contracts") => Administer,
        (
            "PUT",
            "/api/v1/institutions/{id}/contact-chart" | "/api/v1/institutions/{id}/continuity",
        ) => Answer,
        ("GET", "/institutions" | "/api/v1/institutions") => SignedIn,
        (_, p) if p.starts_with("/account") => SignedIn,
        ("POST", "/institutions" | "/api/v1/institutions") => National(StatusCode::FORBIDDEN),
        ("GET", "/institutions/new") => National(StatusCode::FORBIDDEN),
        (_, p) if p.starts_with("/admin/") => National(StatusCode::NOT_FOUND),
        ("GET", "/institutions/{id}" | "/api/v1/institutions/{id}") => Read,
        ("GET", p)
            if p.contains("/checklist/")
                || p.contains("/assessments/")
                || p.contains("/inspection/") =>
        {
            Read
        }
        ("POST", "/institutions/{id}/checklist/{fy}/items/{key}") => Answer,
        ("PUT" | "DELETE", "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}") => {
            Answer
        }
        ("POST", "/institutions/{id}/inspection/{fy}/observations") => Observe,
        ("PUT", "/api/v1/institutions/{id}/inspection/{fiscal_year}/observations") => Observe,
        ("GET" | "POST", "/institutions/{id}/edit") => Administer,
        ("POST", "/institutions/{id}/users" | "/api/v1/institutions/{id}/users") => Administer,
        ("PATCH", "/api/v1/institutions/{id}") => Administer,
        (
            "POST",
            "/institutions/{id}/users/{user_id}/{action}"
            | "/institutions/{id}/unused-users/disable"
            | "/institutions/{id}/two-factor",
        ) => Administer,
        ("GET", "/institutions/{id}/access-log" | "/institutions/{id}/audit") => Administer,
        (
            "POST" | "PUT" | "GET",
            "/api/v1/programs"
            | "/api/v1/programs/{fiscal_year}/quotas"
            | "/api/v1/programs/{fiscal_year}/overview",
        ) => National(StatusCode::FORBIDDEN),
        (_, p) if p.contains("/prefectures/{pref}") => Prefecture,
        (_, p) if p.contains("/applications") => Apply,
        ("GET", "/api/v1/datasets" | "/datasets") => SignedIn,
        (
            "GET",
            "/support"
            | "/support/programs/{program_id}"
            | "/api/v1/support-programs"
            | "/api/v1/subsidy-estimate",
        ) => Public,
        ("GET", "/api/v1/institutions/{id}/suggestions") => Read,
        (
            "GET",
            "/training"
            | "/training/library"
            | "/api/v1/training/sessions"
            | "/api/v1/training/courses"
            | "/api/v1/training/materials",
        ) => SignedIn,
        ("GET", "/institutions/{id}/training/{fy}")
        | ("GET", "/api/v1/institutions/{id}/training/{fiscal_year}") => Read,
        (
            "POST",
            "/training/sessions/{session_id}/register"
            | "/api/v1/training/sessions/{session_id}/registrations",
        ) => TrainingRegister,
        ("POST", "/training/registrations/{registration_id}/cancel")
        | ("DELETE", "/api/v1/training/registrations/{registration_id}") => TrainingPlace,
        ("GET", "/api/v1/training/lecturers") => SignedIn,
        (
            "GET" | "POST",
            "/training/sessions/{session_id}/edit"
            | "/training/courses/{course_id}/edit"
            | "/training/lecturers/{lecturer_id}/edit",
        )
        | (
            "POST",
            "/training/sessions/{session_id}/withdraw"
            | "/training/courses/{course_id}/withdraw"
            | "/training/lecturers/{lecturer_id}/delete"
            | "/api/v1/training/sessions/{session_id}/withdraw"
            | "/api/v1/training/courses/{course_id}/withdraw"
            | "/api/v1/training/lecturers",
        )
        | (
            "PUT",
            "/api/v1/training/sessions/{session_id}"
            | "/api/v1/training/courses/{course_id}"
            | "/api/v1/training/lecturers/{lecturer_id}",
        )
        | ("DELETE", "/api/v1/training/lecturers/{lecturer_id}") => TrainingOperator,
        (
            "GET",
            "/training/manage"
            | "/training/sessions/{session_id}"
            | "/training/sessions/{session_id}/attendance.xlsx"
            | "/api/v1/training/sessions/{session_id}/registrations"
            | "/api/v1/training/sessions/{session_id}/attendance.xlsx",
        )
        | (
            "POST",
            "/training/courses"
            | "/training/sessions"
            | "/training/lecturers"
            | "/training/registrations/{registration_id}/attendance"
            | "/api/v1/training/courses"
            | "/api/v1/training/sessions",
        )
        | ("PUT", "/api/v1/training/registrations/{registration_id}/attendance") => {
            TrainingOperator
        }
        (
            "GET",
            "/institutions/{id}/ledger/new"
            | "/institutions/{id}/ledger/import"
            | "/institutions/{id}/ledger/{device_id}/edit",
        ) => Administer,
        ("GET", p)
            if p.starts_with("/api/v1/institutions/{id}/devices")
                || p.starts_with("/institutions/{id}/ledger") =>
        {
            Read
        }
        ("POST" | "PUT", p)
            if p.starts_with("/api/v1/institutions/{id}/devices")
                || p.starts_with("/institutions/{id}/ledger") =>
        {
            Administer
        }
        _ => return None,
    })
}

/// A caller's part in the Tokyo survey of the security-assurance project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Survey {
    Outside,
    /// Sees the hospital but may not answer for it.
    Sees,
    /// Answers for the hospital.
    Applies,
    /// Runs Tokyo's survey.
    Manages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Anonymous,
    /// Sees the hospital; may answer / administer / observe as given.
    Inside {
        answer: bool,
        administer: bool,
        observe: bool,
        national: bool,
    },
    /// The vendor serving the hospital's contract: its 事業者確認用 only, nothing of the
    /// hospital's own file.
    Vendor,
    Outside,
}

async fn authorization_matrix_covers_every_route(app: &TestApp) {
    let year = app.year();
    let spec = app.api("GET", "/api/openapi.json", None, None).await.json();
    let mut routes: Vec<(String, String, bool)> = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            routes.push((method.to_uppercase(), path.clone(), true));
        }
    }
    routes.push(("GET".into(), "/api/openapi.json".into(), true));
    for (method, path) in mamori_web::page_routes() {
        routes.push((method.to_string(), path.to_owned(), false));
    }
    // Routes that end the caller's session go last.
    routes.sort_by_key(|(_, path, _)| path.ends_with("/logout"));
    for (method, path, _) in &routes {
        assert!(
            rule_for(method, path).is_some(),
            "{method} {path} has no rule in the authorization matrix: add one"
        );
    }

    let staff_id = app
        .state
        .store
        .users_of_institution(HOSPITAL)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.login == "demo-hospital-staff")
        .expect("staff")
        .id;
    let inspector_46_id = app
        .state
        .store
        .user_for_login("demo-inspector-46")
        .await
        .expect("user")
        .expect("inspector")
        .0
        .id;
    // The hospital's answer to the survey, for the routes that name an application.
    let national = app.token("demo-national").await;
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/programs/{year}/applications"),
            Some(&national),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let application_id = r.json()["id"].as_i64().expect("id").to_string();
    let device_id = app
        .state
        .store
        .devices(HOSPITAL)
        .await
        .expect("devices")
        .first()
        .expect("the demo hospital has a ledger")
        .id;
    let delivery_id = app
        .state
        .store
        .vendor_deliveries(VENDOR_CONTRACT)
        .await
        .expect("deliveries")
        .first()
        .expect("the demo vendor delivered its MDS")
        .id;
    // A training session open for registration, and a place of the hospital in it.
    let training_session = open_training_session(app, 3).await;
    let hospital_token = app.token("demo-hospital").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/sessions/{training_session}/registrations"),
            Some(&hospital_token),
            Some(json!({"participant_name": "行列 検査"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let training_place = r.json()["registration_id"].as_i64().expect("id");
    let training_course = app
        .state
        .store
        .training_session(training_session)
        .await
        .expect("session")
        .expect("the session")
        .course
        .id;
    // The hospital's case, for the routes that name one.
    let reporter = app.token("demo-hospital-staff").await;
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&reporter),
            Some(incident_body(&["cannot_log_in"], &["emr"], "unknown")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case_id = r.json()["case_id"].as_i64().expect("case id").to_string();
    let fill = |path: &str| {
        let user = if path.starts_with("/admin/") {
            inspector_46_id
        } else {
            staff_id
        };
        path.replace("{id}", &HOSPITAL.to_string())
            .replace("{fiscal_year}", &year.to_string())
            .replace("{fy}", &year.to_string())
            .replace("{key}", "1-1")
            .replace("{user_id}", &user.to_string())
            .replace("{action}", "enable")
            .replace("{code}", "en")
            .replace("{item}", "1-1")
            .replace("{contract_id}", &VENDOR_CONTRACT.to_string())
            .replace("{token}", "no-such-invitation")
            .replace("{pref}", "13")
            .replace("{application_id}", &application_id)
            .replace("{device_id}", &device_id.to_string())
            .replace("{delivery_id}", &delivery_id.to_string())
            .replace("{session_id}", &training_session.to_string())
            .replace("{registration_id}", &training_place.to_string())
            .replace("{course_id}", &training_course.to_string())
            .replace("{program_id}", "tokyo-cybersecurity-equipment")
            .replace("{case_id}", &case_id)
    };
    let inside = |answer, administer, observe, national| Relation::Inside {
        answer,
        administer,
        observe,
        national,
    };
    let callers: Vec<(&str, Relation, Survey, Incident)> = vec![
        (
            "demo-clinic",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-vendor-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-vendor-network",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-pharmacy",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-hospital-46",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-inspector-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-prefecture-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        ("", Relation::Anonymous, Survey::Outside, Incident::NoPart),
        // Outside the hospital's file, but the desk of its case: it comes after the check
        // that outsiders changed nothing.
        (
            "demo-operator",
            Relation::Outside,
            Survey::Outside,
            Incident::Desk,
        ),
        (
            "demo-hospital",
            inside(true, true, false, false),
            Survey::Applies,
            Incident::Reporter,
        ),
        (
            "demo-hospital-staff",
            inside(true, false, false, false),
            Survey::Sees,
            Incident::Reporter,
        ),
        (
            "demo-inspector-13",
            inside(false, false, true, false),
            Survey::Sees,
            Incident::NoPart,
        ),
        // Runs Tokyo's survey but sees no institution's file.
        (
            "demo-prefecture-13",
            Relation::Outside,
            Survey::Manages,
            Incident::NoPart,
        ),
        (
            "demo-national",
            inside(false, true, false, true),
            Survey::Manages,
            Incident::Desk,
        ),
        (
            "demo-vendor",
            Relation::Vendor,
            Survey::Outside,
            Incident::NoPart,
        ),
    ];
    // Changes are counted by the audit log (logins aside: the callers log in).
    let changes = || async {
        let entries = app
            .state
            .store
            .audit_entries(None, 1_000_000)
            .await
            .expect("audit");
        entries
            .iter()
            .filter(|e| !e.action.starts_with("login."))
            .count()
    };
    // An entry of the lecturer list per caller and per door (API, page): an operator who
    // removes one through the API still finds its page's own entry there.
    let mut lecturers = std::collections::HashMap::new();
    for (login, ..) in &callers {
        for is_api in [true, false] {
            let id = app
                .state
                .store
                .add_training_lecturer(
                    &mamori_store::NewLecturer {
                        name: format!("行列 {login} {is_api}"),
                        kind: "lecturer".into(),
                        affiliation: String::new(),
                        fields: "matrix".into(),
                    },
                    staff_id,
                )
                .await
                .expect("lecturer");
            lecturers.insert((login.to_string(), is_api), id);
        }
    }
    let mut checked = 0;
    let mut outsiders_done = false;
    let changes_before_outsiders = changes().await;
    let callers_count = callers.len();
    for (login, relation, survey, incident) in callers {
        if relation != Relation::Outside && !outsiders_done {
            assert_eq!(
                changes().await,
                changes_before_outsiders,
                "callers outside the hospital's scope changed nothing"
            );
            outsiders_done = true;
        }
        let (token, web) = if login.is_empty() {
            (None, None)
        } else {
            (
                Some(app.token(login).await),
                Some(app.web_login(login).await),
            )
        };
        for (method, path, is_api) in &routes {
            let rule = rule_for(method, path).expect("rule");
            let target = fill(path).replace(
                "{lecturer_id}",
                &lecturers[&(login.to_string(), *is_api)].to_string(),
            );
            let response = if *is_api {
                let body = match (method.as_str(), path.as_str()) {
                    ("POST", "/api/v1/programs") => Some(json!({
                        "fiscal_year": year + 5, "quotas": {"13": [1, 1, 1]}, "deadline": format!("{}-05-01", year + 5)
                    })),
                    ("POST", p) if p.ends_with("/applications") => {
                        let mut body = assurance_survey_body(250);
                        body["institution_id"] = json!(HOSPITAL);
                        Some(body)
                    }
                    ("PUT", p) if p.ends_with("/{application_id}") => {
                        Some(assurance_survey_body(260))
                    }
                    ("PUT", p) if p.ends_with("/items/{key}") || p.ends_with("/items/{item}") => {
                        Some(
                            json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")}),
                        )
                    }
                    ("PUT", _) => Some(json!({"contact_chart_seen": true})),
                    ("PATCH", _) => Some(json!({"name": "みなと中央病院"})),
                    ("POST", "/api/v1/institutions") => Some(
                        json!({"name": "matrix", "kind": "pharmacy", "prefecture": "13", "has_medical_information_system": true, "has_vendor_contracts": false}),
                    ),
                    ("POST", p) if p.ends_with("/copy") => Some(json!({"to": []})),
                    ("POST", "/api/v1/incidents") => Some(json!({"symptoms": []})),
                    ("POST", p) if p.ends_with("/notes") => Some(json!({"text": "matrix"})),
                    ("POST", p) if p.ends_with("/vendor-contracts") => Some(
                        json!({"vendor_name": "matrix", "systems": ["emr"], "remote_maintenance": false}),
                    ),
                    ("POST", p) if p.ends_with("/devices") => {
                        Some(json!({"asset_number": format!("M-{checked}")}))
                    }
                    ("POST", p) if p.ends_with("/users") => Some(
                        json!({"login": format!("m{checked}"), "password": "a quiet harbour at dawn", "role": "staff"}),
                    ),
                    ("POST", "/api/v1/login") => {
                        Some(json!({"login": "nobody", "password": "nothing-at-all"}))
                    }
                    _ => None,
                };
                let target = if method == "DELETE" {
                    format!("{target}?round=2")
                } else {
                    target.clone()
                };
                app.api(method, &target, token.as_deref(), body).await
            } else {
                let cookie = web.as_ref().map(|w| w.cookie.clone()).unwrap_or_default();
                let csrf = web.as_ref().map(|w| w.csrf.clone()).unwrap_or_default();
                if method == "GET" {
                    app.send(
                        Request::get(target.as_str())
                            .header(header::COOKIE, cookie)
                            .body(Body::empty())
                            .expect("request"),
                    )
                    .await
                } else {
                    let form = format!(
                        "csrf={csrf}&contact_chart_seen=yes&round=1&answer=yes&checked_on={year}-06-01"
                    );
                    app.post_form(&cookie, &target, &form, false).await
                }
            };
            checked += 1;
            let status = response.status;
            let context = format!(
                "{login:?} {method} {target}: {status} {}",
                response.body.chars().take(200).collect::<String>()
            );
            assert!(status.as_u16() < 500, "{context}");
            let signed_in_redirect = || {
                if *is_api {
                    status == StatusCode::UNAUTHORIZED
                } else {
                    status == StatusCode::SEE_OTHER
                        && response
                            .headers
                            .get(header::LOCATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .starts_with("/login")
                }
            };
            let allowed = |permitted: bool| {
                if permitted {
                    !matches!(
                        status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                    )
                } else {
                    status == StatusCode::FORBIDDEN
                }
            };
            let institution_user = matches!(
                login,
                "demo-hospital"
                    | "demo-hospital-staff"
                    | "demo-clinic"
                    | "demo-pharmacy"
                    | "demo-hospital-46"
            );
            let hospital_user = matches!(login, "demo-hospital" | "demo-hospital-staff");
            match (rule, relation) {
                (Rule::Public, _) => {}
                (
                    Rule::TrainingOperator | Rule::TrainingRegister | Rule::TrainingPlace,
                    Relation::Anonymous,
                ) => assert!(
                    signed_in_redirect(),
                    "anonymous must be sent to log in: {context}"
                ),
                (Rule::TrainingOperator, _) => {
                    assert!(
                        allowed(matches!(login, "demo-operator" | "demo-national")),
                        "{context}"
                    )
                }
                (Rule::TrainingRegister, _) => assert!(allowed(institution_user), "{context}"),
                (Rule::TrainingPlace, _) => {
                    if hospital_user {
                        assert!(allowed(true), "{context}")
                    } else {
                        assert_eq!(status, StatusCode::NOT_FOUND, "{context}")
                    }
                }
                (_, Relation::Anonymous) => assert!(
                    signed_in_redirect(),
                    "anonymous must be sent to log in: {context}"
                ),
                (Rule::IncidentReport, _) => assert!(
                    allowed(matches!(
                        incident,
                        Incident::OtherInstitution | Incident::Reporter
                    )),
                    "{context}"
                ),
                (Rule::IncidentList, _) => match incident {
                    Incident::NoPart => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                    _ => assert!(allowed(true), "{context}"),
                },
                (Rule::IncidentCase, _) => match incident {
                    Incident::Reporter | Incident::Desk => assert!(allowed(true), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::IncidentDesk, _) => match incident {
                    Incident::Desk => assert!(allowed(true), "{context}"),
                    Incident::Reporter => assert!(allowed(false), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::SignedIn, _) => assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::FORBIDDEN,
                    "{context}"
                ),
                (Rule::National(_), Relation::Inside { national: true, .. }) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::National(others), _) => assert_eq!(status, others, "{context}"),
                (Rule::VendorForm | Rule::VendorAnswer, Relation::Vendor) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::Prefecture | Rule::Apply, Relation::Vendor) => {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{context}")
                }
                (_, Relation::Vendor) => assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "a vendor sees nothing of an institution's own file: {context}"
                ),
                (Rule::Prefecture, _) => match survey {
                    Survey::Manages => assert!(allowed(true), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::Apply, _) => match survey {
                    Survey::Manages | Survey::Applies => assert!(allowed(true), "{context}"),
                    Survey::Sees => assert!(allowed(false), "{context}"),
                    Survey::Outside => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (_, Relation::Outside) => assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "outside the caller's scope: {context}"
                ),
                (Rule::Read | Rule::VendorForm, Relation::Inside { .. }) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::VendorAnswer, Relation::Inside { .. }) => {
                    assert!(allowed(false), "{context}")
                }
                (Rule::Answer, Relation::Inside { answer, .. }) => {
                    assert!(allowed(answer), "{context}")
                }
                (Rule::Administer, Relation::Inside { administer, .. }) => {
                    assert!(allowed(administer), "{context}")
                }
                (Rule::Observe, Relation::Inside { observe, .. }) => {
                    assert!(allowed(observe), "{context}")
                }
            }
        }
    }
    println!(
        "authorization matrix: {} routes × {callers_count} callers = {checked} requests checked",
        routes.len()
    );
    assert!(checked >= routes.len() * callers_count);
}

// ----- vendors, contact chart, backup and BCP ---------------------------------------------

async fn vendors_are_invited_and_fill_their_form(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    // Bad fields are refused with their paths, and nothing is stored.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&admin),
            Some(json!({"vendor_name": " ", "systems": ["toaster"], "remote_maintenance": true, "invite_email": "pacs@@example"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = r.json()["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    for path in ["systems[0]", "invite_email", "vendor_name"] {
        assert!(paths.iter().any(|p| p == path), "{path} in {paths:?}");
    }
    // Staff may not record contracts; the admin may.
    let body = json!({"vendor_name": "北斗画像システム株式会社", "systems": ["PACS"], "remote_maintenance": true, "invite_email": "support@hokuto-pacs.example.jp"});
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&staff),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let contract = created["contract_id"].as_i64().expect("contract id");
    assert_eq!(
        created["mail_sent"], false,
        "no mail server: the link is shown"
    );
    let url = created["invitation_url"].as_str().expect("url").to_owned();
    let token = url.rsplit('/').next().expect("token").to_owned();
    assert!(url.contains("/invitations/"), "{url}");
    // Before it is accepted, the contract is served by nobody.
    let emr_vendor = app.token("demo-vendor").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/vendor/contracts/{contract}/assessments/{year}/items/1-1"),
            Some(&emr_vendor),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // The vendor accepts with a new login and password, then logs in.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"login": "hokuto-pacs", "password": "northern lights over the harbour"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["contract_id"], contract);
    // A vendor's user sets up two-factor login before the API serves it.
    let enrolled = app
        .enrol_two_factor("hokuto-pacs", "northern lights over the harbour")
        .await;
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "hokuto-pacs", "password": "northern lights over the harbour", "totp": enrolled.recovery_codes[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let vendor = r.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&vendor), None)
            .await
            .json()["role"],
        "vendor"
    );
    let list = app
        .api("GET", "/api/v1/vendor/contracts", Some(&vendor), None)
        .await
        .json();
    let list = list.as_array().expect("contracts");
    assert_eq!(list.len(), 1, "only its own contract: {list:?}");
    assert_eq!(list[0]["contract_id"], contract);
    assert_eq!(list[0]["institution_name"], "みなと中央病院");
    // Its form: the same body and rules as the institution's answers.
    let item = format!("/api/v1/vendor/contracts/{contract}/assessments/{year}/items/2-3-all");
    let r = app
        .api(
            "PUT",
            &item,
            Some(&vendor),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-09-01")})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "target_date_on_yes");
    let r = app
        .api(
            "PUT",
            &item,
            Some(&vendor),
            Some(json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-09-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["first"]["answer"], "no");
    let fy = FiscalYear::new(year).expect("year");
    assert_eq!(
        app.state
            .store
            .vendor_answer_history_count(contract, fy, "2-3-all")
            .await
            .expect("history"),
        1
    );
    // The institution reads it, but may not write the vendor's form.
    let r = app.api("GET", &item, Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["first"]["target_date"], format!("{year}-09-01"));
    let r = app
        .api(
            "PUT",
            &item,
            Some(&staff),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Another vendor sees neither this contract nor its answers, nor the hospital.
    let other = app.token("demo-vendor-46").await;
    for path in [
        item.clone(),
        format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/assessments/{year}/items/1-1"),
        format!("/api/v1/institutions/{HOSPITAL}"),
        format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
        format!("/api/v1/institutions/{HOSPITAL}/contact-chart"),
    ] {
        let r = app.api("GET", &path, Some(&other), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = app
        .api(
            "PUT",
            &item,
            Some(&other),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // And this vendor does not see the other's contract, nor the hospital's own file.
    for path in [
        format!("/api/v1/vendor/contracts/{VENDOR_46_CONTRACT}/assessments/{year}/items/1-1"),
        format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}"),
    ] {
        let r = app.api("GET", &path, Some(&vendor), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    // The hospital's other vendor sees neither this contract nor the EMR vendor's.
    let network = app.token("demo-vendor-network").await;
    for c in [contract, VENDOR_CONTRACT] {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/vendor/contracts/{c}/assessments/{year}/items/1-1"),
                Some(&network),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    // The contract is listed for the institution, accepted.
    let contracts = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&staff),
            None,
        )
        .await
        .json();
    let ours = contracts
        .as_array()
        .expect("contracts")
        .iter()
        .find(|c| c["contract_id"] == contract)
        .expect("listed")
        .clone();
    assert_eq!(ours["accepted"], true);
    assert_eq!(ours["systems"], json!(["pacs"]));
}

async fn invitation_links_expire_and_are_used_once(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let invite = |email: &'static str| {
        let admin = admin.clone();
        async move {
            let r = app
                .api(
                    "POST",
                    &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
                    Some(&admin),
                    Some(json!({"vendor_name": "検証用ベンダー", "systems": ["receipt_computer"], "remote_maintenance": false, "invite_email": email})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["invitation_url"]
                .as_str()
                .and_then(|u| u.rsplit('/').next())
                .expect("token")
                .to_owned()
        }
    };
    let first = invite("a@example.jp").await;
    let accept = |token: String, login: &'static str| async move {
        app.api(
            "POST",
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"login": login, "password": "a quiet harbour at dawn"})),
        )
        .await
    };
    // A weak password is refused and the link stays usable.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/invitations/{first}/accept"),
            None,
            Some(json!({"login": "receipt-vendor", "password": "short"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = accept(first.clone(), "receipt-vendor").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let organization = r.json()["organization_id"].clone();
    let r = accept(first, "receipt-vendor-2").await;
    r.assert_bilingual_error(StatusCode::GONE, "invitation_used");
    assert!(
        app.state
            .store
            .user_for_login("receipt-vendor-2")
            .await
            .expect("lookup")
            .is_none(),
        "a used link creates no user"
    );
    // An expired link says so.
    let second = invite("b@example.jp").await;
    app.exec("UPDATE vendor_invitations SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL")
        .await;
    let r = accept(second, "late-vendor").await;
    r.assert_bilingual_error(StatusCode::GONE, "invitation_expired");
    let r = accept("not-a-token".into(), "late-vendor").await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "invitation_unknown");
    // An existing vendor user accepting a new link adds the contract to its organisation
    // (with its second factor, as at login).
    let enrolled = app
        .enrol_two_factor("receipt-vendor", "a quiet harbour at dawn")
        .await;
    let third = invite("c@example.jp").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/invitations/{third}/accept"),
            None,
            Some(json!({"login": "receipt-vendor", "password": "a quiet harbour at dawn", "totp": enrolled.recovery_codes[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["organization_id"], organization);
    let r = app
        .api(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"login": "receipt-vendor", "password": "a quiet harbour at dawn", "totp": enrolled.recovery_codes[1]})),
        )
        .await;
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let list = app
        .api("GET", "/api/v1/vendor/contracts", Some(&token), None)
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    // It answers once and applies the answers to its other contract, then adjusts one.
    let ids: Vec<i64> = list
        .as_array()
        .expect("contracts")
        .iter()
        .filter_map(|c| c["contract_id"].as_i64())
        .collect();
    let year = app.year();
    for key in ["1-1", "2-2-all"] {
        let r = app
            .api(
                "PUT",
                &format!(
                    "/api/v1/vendor/contracts/{}/assessments/{year}/items/{key}",
                    ids[0]
                ),
                Some(&token),
                Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let copy = format!(
        "/api/v1/vendor/contracts/{}/assessments/{year}/copy",
        ids[0]
    );
    let r = app
        .api(
            "POST",
            &copy,
            Some(&token),
            Some(json!({"to": [VENDOR_CONTRACT]})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_contract");
    let r = app
        .api("POST", &copy, Some(&token), Some(json!({"to": [ids[1]]})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["answers"], 2);
    let copied = app
        .api(
            "GET",
            &format!(
                "/api/v1/vendor/contracts/{}/assessments/{year}/items/2-2-all",
                ids[1]
            ),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(copied["first"]["answer"], "yes", "{copied}");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/vendor/contracts/{}/assessments/{year}/items/2-2-all", ids[1]),
            Some(&token),
            Some(json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-02"), "target_date": format!("{year}-10-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Someone else's login with a wrong password joins nothing.
    let fourth = invite("d@example.jp").await;
    let r = accept(fourth, "demo-hospital").await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "login_taken");
}

async fn coverage_merges_the_forms(app: &TestApp) {
    let year = app.year();
    let staff = app.token("demo-hospital-staff").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let items = v["coverage"]["items"].as_array().expect("items");
    assert!(!items.is_empty());
    // The EMR vendor answered its items: some item is covered by contract 1.
    assert!(
        items.iter().any(|i| i["covered_by"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(VENDOR_CONTRACT)))),
        "{v}"
    );
    // The network vendor answers for the network only; the EMR vendor not at all there.
    let network_item = items
        .iter()
        .find(|i| i["scope"] == "network")
        .expect("a network item");
    assert!(
        network_item["not_responsible"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(VENDOR_CONTRACT))),
        "{network_item}"
    );
    assert!(
        network_item["covered_by"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(NETWORK_CONTRACT))),
        "{network_item}"
    );
    assert_eq!(v["vendor_forms_ready"], true, "{v}");
    // A new contract's form is missing until its vendor fills it in.
    let admin = app.token("demo-hospital").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&admin),
            Some(json!({"vendor_name": "北斗画像システム", "systems": ["pacs"], "remote_maintenance": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.json()["invitation_url"].is_null(),
        "no address, no invitation"
    );
    let new_contract = r.json()["contract_id"].clone();
    let v = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert_eq!(v["vendor_forms_ready"], false);
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "vendor_form_missing" && f["contract_id"] == new_contract),
        "{v}"
    );
    let verdict = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}"),
            Some(&staff),
            None,
        )
        .await
        .json();
    assert!(
        verdict["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "vendor_form_missing"),
        "the inspection verdict includes the vendor forms: {verdict}"
    );
    let inspector = app.token("demo-inspector-13").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
            Some(&inspector),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let outsider = app.token("demo-inspector-46").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
            Some(&outsider),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn contact_chart_is_validated_and_drawn(app: &TestApp) {
    let staff = app.token("demo-hospital-staff").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/contact-chart");
    let v = app.api("GET", &path, Some(&staff), None).await.json();
    assert_eq!(v["institution_name"], "みなと中央病院");
    let version = v["updated_at"].as_str().expect("version").to_owned();
    assert!(
        ["draft", "complete"].contains(&v["status"]["state"].as_str().unwrap_or_default()),
        "{v}"
    );
    // Bad phone numbers and e-mail addresses are refused with their paths.
    let bad = json!({
        "institution_name": "みなと中央病院",
        "revised_on": "2025-05-01",
        "internal": [{"roles": ["security_manager"], "name": "中央 花子", "phones": ["03-1234"], "email": "hanako@"}],
        "outside": [{"body": "police", "phones": ["abc"]}]
    });
    let r = app.api("PUT", &path, Some(&staff), Some(bad)).await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let problems = r.json()["error"]["problems"].clone();
    let paths: Vec<&str> = problems
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    for expected in [
        "internal[0].phones[0]",
        "internal[0].email",
        "outside[0].phones[0]",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let unchanged = app.api("GET", &path, Some(&staff), None).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // A good chart is stored; an edit from an older version is refused.
    let good = json!({
        "institution_name": "みなと中央病院",
        "revised_on": "2025-05-01",
        "internal": [
            {"roles": ["administrator"], "name": "港 太郎", "phones": ["03-1234-5601"]},
            {"roles": ["security_manager"], "name": "中央 花子", "phones": ["０３－１２３４－５６０２"], "email": "hanako@minato-hp.example.jp"}
        ],
        "outside": [{"body": "police", "organisation": "警視庁 サイバー犯罪相談窓口", "phones": ["03-5805-1731"]}],
        "if_updated_at": version
    });
    let r = app
        .api("PUT", &path, Some(&staff), Some(good.clone()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = r.json();
    assert_eq!(
        saved["internal"][1]["phones"][0], "03-1234-5602",
        "full-width digits folded: {saved}"
    );
    let r = app.api("PUT", &path, Some(&staff), Some(good)).await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");
    // The checklist shows the chart's state beside item 3(1), with what it still lacks.
    let state_label = match saved["status"]["state"].as_str() {
        Some("complete") => "連絡体制図: 作成済",
        Some("draft") => "連絡体制図: 不足あり",
        other => panic!("chart state {other:?}: {saved}"),
    };
    let web_staff = app.web_login("demo-hospital-staff").await;
    let checklist = app
        .get_page(
            &web_staff.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{}", app.year()),
        )
        .await;
    assert_eq!(checklist.status, StatusCode::OK);
    assert!(checklist.body.contains(state_label), "{state_label}");
    for gap in saved["status"]["missing"].as_array().into_iter().flatten() {
        let message = gap["message_ja"].as_str().expect("message_ja");
        assert!(checklist.body.contains(message), "{message}");
    }
    // Drawn as one A4 page.
    let r = app
        .api("GET", &format!("{path}.svg"), Some(&staff), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("image/svg+xml")
    );
    assert!(r.body.contains("210mm") && r.body.contains("297mm"), "A4");
    assert!(r.body.contains("中央 花子"));
    // Inspectors read it but do not edit it; the vendor does not see it.
    let inspector = app.token("demo-inspector-13").await;
    assert_eq!(
        app.api("GET", &path, Some(&inspector), None).await.status,
        StatusCode::OK
    );
    let r = app
        .api(
            "PUT",
            &path,
            Some(&inspector),
            Some(json!({"institution_name": "x", "revised_on": "2025-05-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let vendor = app.token("demo-vendor").await;
    assert_eq!(
        app.api("GET", &path, Some(&vendor), None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn backup_and_bcp_records_warn(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/continuity");
    let v = app.api("GET", &path, Some(&admin), None).await.json();
    assert_eq!(v["backups"].as_array().map(Vec::len), Some(2), "{v}");
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(
        !codes.is_empty(),
        "the PACS copy is online only and its restore test is old: {v}"
    );
    let topics: Vec<&str> = v["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e["number"].as_str())
        .collect();
    assert!(
        topics.contains(&"3(2)") || topics.iter().any(|t| t.starts_with('3')),
        "{v}"
    );
    // A record without where its copies are kept is refused with its path.
    let bad = json!({"backups": [{"systems": ["emr"], "data": "DB", "locations": [], "write_once": false, "generations": 1, "encrypted": false, "frequency": "daily", "last_restore_test": null, "notes": ""}], "bcp": null});
    let r = app.api("PUT", &path, Some(&admin), Some(bad)).await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(
        r.json()["error"]["problems"][0]["path"],
        "backups[0].locations"
    );
    // Online-only copies are stored and warned about.
    let online = json!({"backups": [{"systems": ["emr"], "data": "DB", "locations": ["cloud"], "write_once": false, "generations": 3, "encrypted": true, "frequency": "daily", "last_restore_test": null, "notes": ""}],
        "bcp": {"state": "established", "on": "2025-04-01", "last_drill": null, "notes": ""}});
    let r = app.api("PUT", &path, Some(&admin), Some(online)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert!(
        v["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w["code"].as_str().is_some_and(|c| c.contains("offline"))),
        "{v}"
    );
    // The checklist shows the records and their warnings beside items 3(2) and 3(3).
    let web_admin = app.web_login("demo-hospital").await;
    let checklist = app
        .get_page(
            &web_admin.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{}", app.year()),
        )
        .await;
    assert_eq!(checklist.status, StatusCode::OK);
    assert!(checklist.body.contains("バックアップとBCPを開く"));
    let offline = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"].as_str().is_some_and(|c| c.contains("offline")))
        .and_then(|w| w["message_ja"].as_str())
        .expect("the offline warning in Japanese");
    assert!(checklist.body.contains(offline), "{offline}");
    let audit = app
        .state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "continuity.put"));
}

async fn vendor_pages_invite_fill_and_show(app: &TestApp) {
    let year = app.year();
    let get = |cookie: String, path: String| async move {
        app.send(
            Request::get(path.as_str())
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    };
    // The admin records a contract and sees the invitation link.
    let admin = app.web_login("demo-hospital").await;
    let form = format!(
        "csrf={}&vendor_name=%E5%8C%97%E6%96%97PACS&systems=pacs&remote_maintenance=yes&invite_email=pacs%40example.jp",
        admin.csrf
    );
    let r = app
        .post_form(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/vendors"),
            &form,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("北斗PACS"), "listed");
    let start = r.body.find("/invitations/").expect("the link is shown");
    let token: String = r.body[start + "/invitations/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);
    // A bad address is refused on the page, in the user's language.
    let bad = format!(
        "csrf={}&vendor_name=x&systems=pacs&invite_email=nope",
        admin.csrf
    );
    let r = app
        .post_form(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/vendors"),
            &bad,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("invite_email"), "{}", r.body);
    // The vendor accepts on the invitation page; the link then says it was used.
    let page = app
        .send(
            Request::get(format!("/invitations/{token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("みなと中央病院") && page.body.contains("北斗PACS"));
    let r = app
        .send(
            Request::post(format!("/invitations/{token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    "login=hokuto-web&password=northern+lights+over+the+harbour",
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("/login?next=/vendor"));
    let again = app
        .send(
            Request::get(format!("/invitations/{token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(again.body.contains("既に使われています"), "{}", again.body);
    // The demo vendor fills an item of its form on the page.
    let vendor = app.web_login("demo-vendor").await;
    let r = get(vendor.cookie.clone(), "/vendor".into()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("みなと中央病院"));
    assert!(
        !r.body.contains("桜島記念病院"),
        "only the institutions it serves"
    );
    let form_path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}");
    let r = get(vendor.cookie.clone(), form_path.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("items/1-1"));
    let answer = format!(
        "csrf={}&round=1&answer=no&checked_on={year}-06-01&target_date={year}-12-01",
        vendor.csrf
    );
    let r = app
        .post_form(
            &vendor.cookie,
            &format!("{form_path}/items/1-1"),
            &answer,
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = get(vendor.cookie.clone(), form_path.clone()).await;
    assert!(r.body.contains(&format!("{year}-12-01")), "saved");
    // Another vendor gets 404 on this form; the hospital reads it without the answer forms.
    let other = app.web_login("demo-vendor-46").await;
    assert_eq!(
        get(other.cookie.clone(), form_path.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let staff = app.web_login("demo-hospital-staff").await;
    let r = get(staff.cookie.clone(), form_path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains("items/1-1"),
        "the institution does not answer for the vendor"
    );
    // The consolidated view: every form side by side, uncovered items marked.
    let r = get(
        staff.cookie.clone(),
        format!("/institutions/{HOSPITAL}/coverage/{year}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for name in [
        "東和メディカルシステム株式会社",
        "みなとネットワークサービス",
        "医療機関確認用",
    ] {
        assert!(r.body.contains(name), "{name}");
    }
    assert!(
        r.body.contains("class=\"uncovered\""),
        "some required item is covered by nobody"
    );
    // The contact chart, its print view and the backup / BCP page.
    let r = get(
        staff.cookie.clone(),
        format!("/institutions/{HOSPITAL}/contact-chart"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("contact-chart.svg"));
    let r = get(
        staff.cookie.clone(),
        format!("/institutions/{HOSPITAL}/contact-chart/print"),
    )
    .await;
    assert!(r.body.contains("chart-sheet"));
    let r = get(
        staff.cookie.clone(),
        format!("/institutions/{HOSPITAL}/contact-chart.svg"),
    )
    .await;
    assert!(r.body.starts_with("<svg") || r.body.contains("<svg"));
    let r = get(
        staff.cookie.clone(),
        format!("/institutions/{HOSPITAL}/continuity"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("オフライン"),
        "the PACS copy has no offline copy: warned"
    );
    assert_eq!(
        get(
            vendor.cookie.clone(),
            format!("/institutions/{HOSPITAL}/continuity")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

// ----- MDS/SDS deliveries -------------------------------------------------------------------

/// The smallest real PDF: one empty A4 page, with its cross-reference table.
const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";

impl TestApp {
    async fn deliveries(&self, contract: i64) -> usize {
        self.state
            .store
            .vendor_deliveries(contract)
            .await
            .expect("deliveries")
            .len()
    }

    /// Posts the vendor form's MDS/SDS upload as a browser does.
    async fn post_delivery_form(
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

async fn mds_sds_deliveries_are_recorded_and_shown(app: &TestApp) {
    let year = app.year();
    let base = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/deliveries");
    let vendor = app.token("demo-vendor").await;
    // The demo vendor's MDS is listed for the vendor and for the hospital.
    let listed = app.api("GET", &base, Some(&vendor), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    // The vendor records an SDS with its file.
    let r = app
        .upload(
            &format!("{base}?kind=sds&delivered_on={year}-05-20&file_name=SDS%E9%96%8B%E7%A4%BA%E6%9B%B8.pdf"),
            &vendor,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let saved = r.json();
    assert_eq!(saved["kind"], "sds");
    assert_eq!(saved["file_name"], "SDS開示書.pdf");
    assert_eq!(saved["size"], TINY_PDF.len());
    let file_url = saved["file_url"].as_str().expect("file_url").to_owned();
    // The hospital's users read the list and download the same bytes.
    let staff = app.token("demo-hospital-staff").await;
    let list = app.api("GET", &base, Some(&staff), None).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let file = app.api("GET", &file_url, Some(&staff), None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body.as_bytes(), TINY_PDF);
    assert_eq!(
        file.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(
        file.headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|d| d.starts_with("attachment") && d.contains("UTF-8''SDS%E9%96%8B")),
        "{:?}",
        file.headers
    );
    // The hospital does not record deliveries for its vendor.
    let r = app
        .upload(
            &format!("{base}?kind=mds&delivered_on={year}-05-20"),
            &staff,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // Another vendor (even of the same hospital) and another institution see nothing: 404.
    for login in ["demo-vendor-network", "demo-vendor-46", "demo-clinic"] {
        let other = app.token(login).await;
        for path in [base.as_str(), file_url.as_str()] {
            assert_eq!(
                app.api("GET", path, Some(&other), None).await.status,
                StatusCode::NOT_FOUND,
                "{login} {path}"
            );
        }
        let r = app
            .upload(
                &format!("{base}?kind=mds&delivered_on={year}-05-20"),
                &other,
                "application/pdf",
                TINY_PDF.to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{login}: {}", r.body);
    }
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        2,
        "nothing more stored"
    );
    // A delivery of another contract is not reached through this one.
    let network = app.token("demo-vendor-network").await;
    let r = app
        .upload(
            &format!("/api/v1/vendor/contracts/{NETWORK_CONTRACT}/deliveries?kind=sds&delivered_on={year}-05-21&file_name=net.pdf"),
            &network,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let network_delivery = r.json()["id"].as_i64().expect("id");
    assert_eq!(
        app.api(
            "GET",
            &format!("{base}/{network_delivery}/file"),
            Some(&vendor),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Pages: the vendor uploads on its form; the hospital sees the file on its contracts
    // page and beside item 2(3) of its checklist.
    let web_vendor = app.web_login("demo-vendor").await;
    let form_path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}");
    let r = app
        .post_delivery_form(
            &web_vendor,
            &format!("{form_path}/deliveries"),
            "mds",
            &format!("{year}-06-02"),
            Some(("MDS_web.pdf", TINY_PDF)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get_page(&web_vendor.cookie, &form_path).await;
    assert!(page.body.contains("MDS_web.pdf"), "listed on the form");
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let web_staff = app.web_login("demo-hospital-staff").await;
    let page = app
        .get_page(
            &web_staff.cookie,
            &format!("/institutions/{HOSPITAL}/vendors"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MDS_web.pdf") && page.body.contains("SDS開示書.pdf"));
    assert!(
        page.body.contains("net.pdf"),
        "each contract with its own files"
    );
    let start = page
        .body
        .find(&format!("/vendor/contracts/{VENDOR_CONTRACT}/deliveries/"))
        .expect("a download link");
    let link: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let download = app.get_page(&web_staff.cookie, &link).await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(download.body.starts_with("%PDF-"));
    let checklist = app
        .get_page(
            &web_staff.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    assert_eq!(checklist.status, StatusCode::OK);
    assert!(
        checklist.body.contains("MDS/SDS: 全事業者から提出済"),
        "both vendors delivered: evidence beside 2(3)"
    );
    assert!(checklist.body.contains(&format!("MDS {year}-06-02")));
    // Another vendor's user gets 404 for the download page.
    let web_other = app.web_login("demo-vendor-46").await;
    assert_eq!(
        app.get_page(&web_other.cookie, &link).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn mds_sds_bad_files_are_refused_clearly(app: &TestApp) {
    let year = app.year();
    let vendor = app.token("demo-vendor").await;
    let base = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/deliveries");
    let before = app.deliveries(VENDOR_CONTRACT).await;
    let audit_before = app.audit_changes().await;
    let good = format!("{base}?kind=mds&delivered_on={year}-05-01");
    // An empty file, a bad kind and a bad date are named together.
    let r = app
        .upload(
            &format!("{base}?kind=pds&delivered_on={year}-02-30"),
            &vendor,
            "application/pdf",
            Vec::new(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = r.json()["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["path"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(paths, ["kind", "delivered_on", "file"]);
    let r = app
        .upload(&good, &vendor, "application/pdf", Vec::new())
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert!(
        r.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("空のファイル")
    );
    // A date in the future.
    let r = app
        .upload(
            &format!("{base}?kind=mds&delivered_on={}-04-01", year + 5),
            &vendor,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["problems"][0]["code"], "in_future");
    // Too large: over the limit but under what is read, and over what is read.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(mamori_store::MAX_DELIVERY_BYTES + 1, b' ');
    let r = app.upload(&good, &vendor, "application/pdf", big).await;
    r.assert_bilingual_error(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large");
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(5 * 1024 * 1024, b' ');
    let r = app.upload(&good, &vendor, "application/pdf", huge).await;
    r.assert_bilingual_error(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large");
    // Wrong types: a text file, a Word file named .xlsx, a PDF named .xlsx.
    let r = app
        .upload(
            &good,
            &vendor,
            "text/plain",
            "not a pdf".as_bytes().to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type");
    let r = app
        .upload(
            &format!("{good}&file_name=MDS.xlsx"),
            &vendor,
            "application/octet-stream",
            b"PK\x03\x04....word/document.xml".to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type");
    let r = app
        .upload(
            &format!("{good}&file_name=MDS.xlsx"),
            &vendor,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_name_mismatch");
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        before,
        "nothing stored"
    );
    assert_eq!(app.audit_changes().await, audit_before, "nothing audited");
    // The page says the same, in the user's language, and keeps the form.
    let web = app.web_login("demo-vendor").await;
    let path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}/deliveries");
    let r = app
        .post_delivery_form(&web, &path, "mds", &format!("{year}-05-01"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("空のファイルは受け付けません"),
        "{}",
        r.body
    );
    let r = app
        .post_delivery_form(
            &web,
            &path,
            "mds",
            &format!("{year}-05-01"),
            Some(("notes.txt", b"hello")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert!(
        r.body.contains("PDF（.pdf）か Excel（.xlsx）"),
        "{}",
        r.body
    );
    // A forged form (wrong token) is refused before anything is read.
    let forged = WebSession {
        cookie: web.cookie.clone(),
        csrf: "forged".into(),
    };
    let r = app
        .post_delivery_form(
            &forged,
            &path,
            "mds",
            &format!("{year}-05-01"),
            Some(("a.pdf", TINY_PDF)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        before,
        "nothing stored"
    );
}

// ----- backup and BCP editor ---------------------------------------------------------------

async fn continuity_form_adds_removes_and_refuses_by_field(app: &TestApp) {
    let year = app.year();
    let api = format!("/api/v1/institutions/{HOSPITAL}/continuity");
    let admin = app.token("demo-hospital").await;
    let before = app.api("GET", &api, Some(&admin), None).await.json();
    let version = before["updated_at"].as_str().expect("version").to_owned();
    let web = app.web_login("demo-hospital-staff").await;
    let edit = format!("/institutions/{HOSPITAL}/continuity/edit");
    let page = app.get_page(&web.cookie, &edit).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Two stored records and a blank block to add one.
    assert!(page.body.contains("name=\"b0_generations\" value=\"7\""));
    assert!(
        page.body
            .contains("name=\"b1_loc_onsite\" value=\"on\" checked")
    );
    assert!(page.body.contains("name=\"b2_new\" value=\"1\""));
    assert_eq!(page.hidden("count").as_deref(), Some("3"));
    assert_eq!(page.hidden("version").as_deref(), Some(version.as_str()));
    // Bad fields are named beside each field; nothing is stored.
    let bad = format!(
        "csrf={}&version={version}&count=3\
         &b0_sys_emr=on&b0_data=DB&b0_loc_offline=on&b0_generations=abc&b0_frequency=daily&b0_restore_on={}-01-01&b0_restore_minutes=3%E6%99%82%E9%96%93\
         &b1_sys_pacs=on&b1_loc_onsite=on&b1_generations=2&b1_frequency=weekly\
         &b2_new=1&b2_data=%E7%94%BB%E5%83%8F&b2_generations=3&b2_frequency=daily\
         &bcp_state=established&bcp_date=",
        web.csrf,
        year + 5
    );
    let r = app.post_form(&web.cookie, &edit, &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for message in [
        "世代数「abc」は1〜999の数字で記入してください",
        "が未来です",
        "分単位の数字で記入してください",
        "保管方法を1つ以上選んでください",
        "策定済のときは策定日を記入してください",
        "バックアップ 1",
        "バックアップ 3",
    ] {
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    assert!(r.body.contains("aria-invalid=\"true\""), "fields marked");
    assert!(
        r.body.contains("name=\"b0_generations\" value=\"abc\""),
        "what was sent is kept"
    );
    let unchanged = app.api("GET", &api, Some(&admin), None).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // The same in English.
    let en_cookie = format!("{}; {}=en", web.cookie, "mamori_lang");
    let r = app.post_form(&en_cookie, &edit, &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("generations &#39;abc&#39; must be a number from 1 to 999"),
        "{}",
        r.body
    );
    // Keep the first, remove the second, add one; the BCP is established.
    let good = format!(
        "csrf={}&version={version}&count=3\
         &b0_sys_emr=on&b0_data=DB&b0_loc_offline=on&b0_loc_offsite=on&b0_write_once=on&b0_generations=7&b0_encrypted=on&b0_frequency=daily&b0_restore_on={year}-04-20&b0_restore_minutes=150&b0_restore_ok=on\
         &b1_sys_pacs=on&b1_loc_onsite=on&b1_generations=2&b1_frequency=weekly&b1_remove=on\
         &b2_new=1&b2_sys_pacs=on&b2_data=%E7%94%BB%E5%83%8F&b2_loc_cloud=on&b2_loc_offline=on&b2_generations=14&b2_frequency=daily\
         &bcp_state=established&bcp_date={year}-04-01&bcp_last_drill={year}-05-10&bcp_notes=",
        web.csrf
    );
    let r = app.post_form(&web.cookie, &edit, &good, false).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app.api("GET", &api, Some(&admin), None).await.json();
    let backups = after["backups"].as_array().expect("backups");
    assert_eq!(backups.len(), 2, "{after}");
    assert_eq!(backups[0]["last_restore_test"]["duration_minutes"], 150);
    assert_eq!(backups[1]["systems"], json!(["pacs"]));
    assert_eq!(backups[1]["locations"], json!(["offline", "cloud"]));
    assert_eq!(backups[1]["generations"], 14);
    assert_eq!(after["bcp"]["state"], "established");
    assert_eq!(after["bcp"]["on"], format!("{year}-04-01"));
    assert_eq!(after["bcp"]["last_drill"], format!("{year}-05-10"));
    // The old form's version is now stale: refused, not overwritten.
    let r = app.post_form(&web.cookie, &edit, &good, false).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("他の人が先に更新しました"));
    // A forged form, an inspector and a vendor change nothing.
    let forged = good.replacen(&web.csrf, "forged", 1);
    assert_eq!(
        app.post_form(&web.cookie, &edit, &forged, false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let inspector = app.web_login("demo-inspector-13").await;
    assert_eq!(
        app.get_page(&inspector.cookie, &edit).await.status,
        StatusCode::FORBIDDEN
    );
    let vendor = app.web_login("demo-vendor").await;
    assert_eq!(
        app.get_page(&vendor.cookie, &edit).await.status,
        StatusCode::NOT_FOUND
    );
    let last = app.api("GET", &api, Some(&admin), None).await.json();
    assert_eq!(last["updated_at"], after["updated_at"]);
}

// ----- invitation mail ---------------------------------------------------------------------

/// A one-connection SMTP server speaking just enough of the protocol (220, 250, 354, 250,
/// 221); it hands back the whole conversation, the message included.
async fn smtp_receiver() -> (u16, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = socket.into_split();
        let mut reader = BufReader::new(read);
        let mut conversation = String::new();
        let mut in_data = false;
        let _ = write.write_all(b"220 receiver.test ESMTP\r\n").await;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                break;
            }
            conversation.push_str(&line);
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 receiver.test\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 end with <CRLF>.<CRLF>\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    break;
                }
                _ => b"250 OK\r\n",
            };
            let _ = write.write_all(reply).await;
        }
        let _ = tx.send(conversation);
    });
    (port, rx)
}

/// The base64 body of a message (the blank line after the headers to the final dot).
fn decoded_body(message: &str) -> String {
    let start = message.find("\r\n\r\n").map_or(0, |i| i + 4);
    let text: Vec<u8> = message[start..]
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(value(*c)) << (18 - 6 * i))
        });
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn invitations_are_mailed_through_smtp(app: &TestApp) {
    let (port, conversation) = smtp_receiver().await;
    let mailer = mamori_web::http::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "mamori <noreply@mamori.example.jp>",
    )
    .expect("mailer");
    let config = mamori_web::WebConfig {
        public_url: Some("https://mamori.example.jp".into()),
        ..mamori_web::WebConfig::default()
    };
    let state = AppState {
        config: std::sync::Arc::new(config.clone()),
        ..app.state.clone()
    }
    .with_mailer(mailer);
    let mailing = mamori_web::router(state.clone());
    let admin = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts");
    let body = json!({"vendor_name": "北斗PACS", "systems": ["pacs"], "remote_maintenance": true, "invite_email": "pacs@hokuto.example.jp"});
    let request = Request::post(path.as_str())
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "evil.example.com")
        .body(Body::from(body.to_string()))
        .expect("request");
    let r = app.send_to(&mailing, request).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    assert_eq!(created["mail_sent"], true, "{created}");
    assert!(created["mail_error"].is_null());
    let link = created["invitation_url"].as_str().expect("link").to_owned();
    assert!(
        link.starts_with("https://mamori.example.jp/invitations/"),
        "the public URL, not the Host header: {link}"
    );
    let conversation = tokio::time::timeout(std::time::Duration::from_secs(10), conversation)
        .await
        .expect("the mail arrives")
        .expect("conversation");
    assert!(
        conversation.contains("RCPT TO:<pacs@hokuto.example.jp>"),
        "{conversation}"
    );
    assert!(conversation.contains("MAIL FROM:<noreply@mamori.example.jp>"));
    let message = conversation
        .split_once("DATA\r\n")
        .and_then(|(_, m)| m.split_once("\r\n.\r\n"))
        .map(|(m, _)| m)
        .expect("the message");
    assert!(
        message.contains("Content-Transfer-Encoding: base64"),
        "{message}"
    );
    let text = decoded_body(message);
    assert!(text.contains(&link), "the link is in the mail: {text}");
    assert!(text.contains("北斗PACS") && text.contains("みなと中央病院"));
    // The link in the mail works: the vendor accepts it.
    let token = link.rsplit('/').next().expect("token");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"login": "hokuto-mail", "password": "northern lights over the harbour"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // A server that cannot be reached: the contract and the link stand, with the reason.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let unreachable = mamori_web::http::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{closed}"),
        "noreply@mamori.example.jp",
    )
    .expect("mailer");
    let failing = mamori_web::router(
        AppState {
            config: std::sync::Arc::new(config),
            ..app.state.clone()
        }
        .with_mailer(unreachable),
    );
    let contracts_before = app
        .state
        .store
        .vendor_contracts_of_institution(HOSPITAL)
        .await
        .expect("contracts")
        .len();
    let request = Request::post(path.as_str())
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"vendor_name": "南風ネット", "systems": ["network"], "remote_maintenance": false, "invite_email": "net@minami.example.jp"}).to_string(),
        ))
        .expect("request");
    let r = app.send_to(&failing, request).await;
    assert_eq!(r.status, StatusCode::CREATED, "never a 500: {}", r.body);
    let created = r.json();
    assert_eq!(created["mail_sent"], false);
    assert!(
        created["mail_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        created["invitation_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://mamori.example.jp/invitations/"))
    );
    // The page says so and shows the link.
    let web = app.web_login("demo-hospital").await;
    let form = format!(
        "csrf={}&vendor_name=%E8%A5%BF%E6%B5%B7PACS&systems=pacs&invite_email=pacs%40saikai.example.jp",
        web.csrf
    );
    let request = Request::post(format!("/institutions/{HOSPITAL}/vendors"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, web.cookie.as_str())
        .body(Body::from(form))
        .expect("request");
    let r = app.send_to(&failing, request).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"mail-failed\""), "{}", r.body);
    assert!(r.body.contains("招待メールを送信できませんでした"));
    assert!(r.body.contains("https://mamori.example.jp/invitations/"));
    let contracts_after = app
        .state
        .store
        .vendor_contracts_of_institution(HOSPITAL)
        .await
        .expect("contracts")
        .len();
    assert_eq!(
        contracts_after,
        contracts_before + 2,
        "both contracts recorded"
    );
}

// ----- contact chart editor ----------------------------------------------------------------

async fn contact_chart_editor_adds_removes_and_orders_calls(app: &TestApp) {
    let api = format!("/api/v1/institutions/{HOSPITAL}/contact-chart");
    let staff_token = app.token("demo-hospital-staff").await;
    // A note on the first step, as the API may give one; the form has no field for it.
    let store = &app.state.store;
    let stored = store
        .contact_chart(HOSPITAL)
        .await
        .expect("read")
        .expect("the demo has a chart");
    let mut chart: Value = serde_json::from_str(&stored.json).expect("json");
    chart["call_order"][0]["note"] = json!("LANケーブルを抜いてから連絡");
    let staff_id = store
        .user_for_login("demo-hospital-staff")
        .await
        .expect("user")
        .expect("staff")
        .0
        .id;
    store
        .put_contact_chart(HOSPITAL, &chart.to_string(), None, staff_id)
        .await
        .expect("stored");
    let before = app.api("GET", &api, Some(&staff_token), None).await.json();
    let version = before["updated_at"].as_str().expect("version").to_owned();
    let web = app.web_login("demo-hospital-staff").await;
    let edit = format!("/institutions/{HOSPITAL}/contact-chart/edit");
    let page = app.get_page(&web.cookie, &edit).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The stored people, vendors and bodies, each with its step after 発見者, and a blank row
    // per group.
    assert!(page.body.contains("name=\"i0_name\" value=\"港 太郎\""));
    assert!(
        page.body.contains("name=\"i0_step\" value=\"2\""),
        "administrator: step 2"
    );
    assert!(
        page.body.contains("name=\"i1_step\" value=\"1\""),
        "security manager: step 1"
    );
    assert!(page.body.contains("name=\"i3_new\" value=\"1\""));
    assert!(page.body.contains("name=\"o4_new\" value=\"1\""));
    assert_eq!(page.hidden("i_count").as_deref(), Some("4"));
    assert_eq!(page.hidden("v_count").as_deref(), Some("2"));
    assert_eq!(page.hidden("o_count").as_deref(), Some("5"));
    let row = |key: &str, fields: &[(&str, &str)]| {
        fields
            .iter()
            .map(|(f, v)| format!("&{key}_{f}={}", v.replace(' ', "+")))
            .collect::<String>()
    };
    let base = |i0_phones: &str, v0_email: &str, police_step: &str| {
        let mut form = format!(
            "csrf={}&version={version}&revised_on=2025-06-01&i_count=4&v_count=2&o_count=5",
            web.csrf
        );
        form += &row(
            "i0",
            &[
                ("role_administrator", "on"),
                ("title", "院長"),
                ("name", "港 太郎"),
                ("phones", i0_phones),
                ("step", "3"),
            ],
        );
        form += &row(
            "i1",
            &[
                ("role_security_manager", "on"),
                ("name", "中央 花子"),
                ("phones", "03-1234-5602"),
                ("step", "1"),
            ],
        );
        // The on-call desk is removed; a system staff member is added at step 1.
        form += &row(
            "i2",
            &[
                ("role_on_call", "on"),
                ("name", "当直管理者"),
                ("phones", "03-1234-5699"),
                ("remove", "on"),
            ],
        );
        form += &row(
            "i3",
            &[
                ("new", "1"),
                ("role_system_staff", "on"),
                ("name", "情報 次郎"),
                ("phones", "03-1234-5610"),
                ("hours", "平日 8:30-17:30"),
                ("step", "1"),
            ],
        );
        form += &row(
            "v0",
            &[
                ("choice", &VENDOR_CONTRACT.to_string()),
                ("name", "保守センター"),
                ("phones", "0120-123-456"),
                ("email", v0_email),
                ("step", "3"),
            ],
        );
        form += &row(
            "v1",
            &[("new", "1"), ("choice", &VENDOR_CONTRACT.to_string())],
        );
        form += &row(
            "o0",
            &[
                ("choice", "mhlw"),
                ("organisation", "厚生労働省"),
                ("phones", "03-5253-1111"),
                ("step", "4"),
            ],
        );
        form += &row(
            "o1",
            &[
                ("choice", "prefecture"),
                ("organisation", "東京都"),
                ("phones", "03-5321-1111"),
                ("step", "4"),
            ],
        );
        form += &row(
            "o2",
            &[
                ("choice", "police"),
                ("organisation", "警視庁"),
                ("phones", "03-5805-1731"),
                ("step", police_step),
            ],
        );
        // The insurer is removed.
        form += &row(
            "o3",
            &[
                ("choice", "insurer"),
                ("organisation", "保険"),
                ("phones", "0120-987-654"),
                ("remove", "on"),
            ],
        );
        form += &row("o4", &[("new", "1"), ("choice", "mhlw")]);
        form
    };
    // Bad phone, e-mail and step: each named beside its field; nothing stored.
    let r = app
        .post_form(&web.cookie, &edit, &base("abc", "hoshu@", "99"), false)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("連絡の順番「99」は1〜11の数字で記入してください"),
        "{}",
        r.body
    );
    let r = app
        .post_form(&web.cookie, &edit, &base("abc", "hoshu@", "2"), false)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("電話番号「abc」"), "{}", r.body);
    assert!(r.body.contains("メールアドレス「hoshu@」"), "{}", r.body);
    assert!(
        r.body.contains("院内 1:") && r.body.contains("事業者 1:"),
        "{}",
        r.body
    );
    assert!(r.body.contains("name=\"i0_phones\" value=\"abc\" aria-label=\"電話番号\" inputmode=\"tel\" aria-invalid=\"true\""), "{}", r.body);
    assert!(
        r.body.contains("name=\"i3_name\" value=\"情報 次郎\""),
        "the added row is kept"
    );
    let unchanged = app.api("GET", &api, Some(&staff_token), None).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // Saved: people added and removed, and the order of calls as numbered.
    let r = app
        .post_form(
            &web.cookie,
            &edit,
            &base("03-1234-5601", "support@towa-medical.example.jp", "2"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let chart = app.api("GET", &api, Some(&staff_token), None).await.json();
    let names: Vec<&str> = chart["internal"]
        .as_array()
        .expect("internal")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["港 太郎", "中央 花子", "情報 次郎"]);
    let bodies: Vec<&str> = chart["outside"]
        .as_array()
        .expect("outside")
        .iter()
        .filter_map(|c| c["body"].as_str())
        .collect();
    assert_eq!(bodies, ["mhlw", "prefecture", "police"]);
    let order = chart["call_order"].as_array().expect("order").clone();
    let step = |i: usize| -> Vec<String> {
        order[i]["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .map(|t| match t["kind"].as_str().unwrap_or_default() {
                "internal" => t["role"].as_str().unwrap_or_default().to_owned(),
                "outside" => t["body"].as_str().unwrap_or_default().to_owned(),
                "vendor" => format!("vendor {}", t["contract_id"]),
                other => other.to_owned(),
            })
            .collect()
    };
    assert_eq!(order.len(), 5, "{order:?}");
    assert_eq!(step(0), ["discoverer"]);
    assert_eq!(
        order[0]["note"], "LANケーブルを抜いてから連絡",
        "a step calling the same people keeps its note"
    );
    assert_eq!(step(1), ["security_manager", "system_staff"]);
    assert_eq!(step(2), ["police"]);
    assert_eq!(
        step(3),
        [
            "administrator".to_owned(),
            format!("vendor {VENDOR_CONTRACT}")
        ]
    );
    assert_eq!(step(4), ["mhlw", "prefecture"]);
    // The drawing follows: the new person is on it, the removed ones are not.
    let svg = app
        .api("GET", &format!("{api}.svg"), Some(&staff_token), None)
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.contains("情報 次郎"));
    assert!(!svg.body.contains("当直管理者") && !svg.body.contains("0120-987-654"));
    // The editor shows the saved order back.
    let page = app.get_page(&web.cookie, &edit).await;
    assert!(
        page.body.contains("name=\"o2_step\" value=\"2\""),
        "police: step 2"
    );
    assert!(
        page.body.contains("name=\"i0_step\" value=\"3\""),
        "administrator: step 3"
    );
    // Without the editor's counts, nothing is stored.
    let r = app
        .post_form(
            &web.cookie,
            &edit,
            &format!("csrf={}&revised_on=2025-06-01", web.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // English messages.
    let en = format!("{}; mamori_lang=en", web.cookie);
    let latest = app.api("GET", &api, Some(&staff_token), None).await.json()["updated_at"]
        .as_str()
        .expect("version")
        .to_owned();
    let bad = base("abc", "x@", "2").replace(&version, &latest);
    let r = app.post_form(&en, &edit, &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("phone number") && r.body.contains("Inside 1:"),
        "{}",
        r.body
    );
}

// ----- security-assurance project (確保事業) ----------------------------------------------

impl TestApp {
    /// Posts a form that answers with a redirect (post/redirect/get) and loads where it leads.
    async fn post_form_and_follow(&self, cookie: &str, path: &str, form: &str) -> Response {
        let r = self.post_form(cookie, path, form, false).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        let to = r
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_owned();
        self.get_page(cookie, &to).await
    }

    /// Changes recorded so far (logins aside).
    async fn audit_changes(&self) -> usize {
        self.state
            .store
            .audit_entries(None, 1_000_000)
            .await
            .expect("audit")
            .iter()
            .filter(|e| !e.action.starts_with("login."))
            .count()
    }
}

fn assurance_survey_body(beds: i64) -> Value {
    json!({
        "emr": "full", "beds": beds, "participation": "both", "gmis_reuse_consent": true,
        "renewal_planned": false, "onsite_survey_by_january": null,
        "contact": {"name": "情報システム課 山田", "phone": "03-1234-5678", "email": "it@minato.example.jp"}
    })
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("id"))
        .collect()
}

async fn assurance_survey_ranking_selection_and_withdrawal(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    let tokyo = app.token("demo-prefecture-13").await;
    let kagoshima = app.token("demo-prefecture-46").await;
    let me = app
        .api("GET", "/api/v1/me", Some(&tokyo), None)
        .await
        .json();
    assert_eq!(me["role"], "prefecture_officer");
    assert_eq!(me["prefecture"], "13");
    let base = format!("/api/v1/programs/{year}");
    let selection_path = format!("{base}/prefectures/13/selection");

    // The demo: six Tokyo applicants ranked; quotas 2 / 1 / 1 per band.
    let s = app.api("GET", &selection_path, Some(&tokyo), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let s = s.json();
    let demo_selected = ids(&s["selected"]);
    assert_eq!(demo_selected.len(), 4, "{s}");
    assert_eq!(s["waitlisted"], json!([]));
    let ineligible = s["ineligible"].as_array().expect("ineligible");
    assert_eq!(ineligible.len(), 2);
    let codes: Vec<&str> = ineligible
        .iter()
        .flat_map(|i| i["reasons"].as_array().expect("reasons"))
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.contains(&"no_emr") && codes.contains(&"backup_only_not_allowed"),
        "{codes:?}"
    );
    for reason in ineligible
        .iter()
        .flat_map(|i| i["reasons"].as_array().expect("reasons"))
    {
        assert!(!reason["message_ja"].as_str().unwrap_or_default().is_empty());
        assert!(!reason["message_en"].as_str().unwrap_or_default().is_empty());
    }
    assert_eq!(s["unused_quota"], json!([0, 0, 0]));
    // Another prefecture's officer, the hospital and its staff do not see Tokyo's list.
    for token in [&kagoshima, &hospital, &staff] {
        app.api("GET", &selection_path, Some(token), None)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }

    // The hospital answers for itself; staff may not.
    app.api(
        "POST",
        &format!("{base}/applications"),
        Some(&staff),
        Some(assurance_survey_body(250)),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .api(
            "POST",
            &format!("{base}/applications"),
            Some(&hospital),
            Some(assurance_survey_body(250)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mine = r.json()["id"].as_i64().expect("id");
    app.api(
        "POST",
        &format!("{base}/applications"),
        Some(&hospital),
        Some(assurance_survey_body(250)),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "application_exists");
    // Until it is ranked the selection cannot be computed, and says why.
    app.api("GET", &selection_path, Some(&tokyo), None)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "invalid_ranking");
    // It changes its answers; every change is logged with who and when.
    let r = app
        .api(
            "PUT",
            &format!("{base}/applications/{mine}"),
            Some(&hospital),
            Some(assurance_survey_body(260)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = app
        .api(
            "GET",
            &format!("{base}/applications/{mine}"),
            Some(&hospital),
            None,
        )
        .await
        .json();
    assert_eq!(a["beds"], 260);
    assert_eq!(a["eligible"], true);
    let actions: Vec<&str> = a["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["create", "update"]);
    assert!(
        a["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["changed_by"] == "demo-hospital")
    );

    // Tokyo ranks it first: it takes the one 200–399 slot, the former holder waits.
    let mut ranking = vec![mine];
    let demo_ranked: Vec<i64> = {
        let mut all = demo_selected.clone();
        all.extend(
            ineligible
                .iter()
                .map(|i| i["application"].as_i64().expect("id")),
        );
        all.sort_unstable();
        all
    };
    ranking.extend(&demo_ranked);
    let r = app
        .api(
            "PUT",
            &format!("{base}/prefectures/13/ranking"),
            Some(&tokyo),
            Some(json!({"ranking": ranking, "reasons": {mine.to_string(): [{"kind": "regional_emergency_role"}]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    let selected = ids(&s["selected"]);
    let waitlisted = ids(&s["waitlisted"]);
    assert_eq!(selected[0], mine);
    assert_eq!(selected.len(), 4);
    assert_eq!(waitlisted.len(), 1, "{s}");
    // The same inputs give the same list.
    let again = app
        .api("GET", &selection_path, Some(&tokyo), None)
        .await
        .json();
    assert_eq!(again["selected"], s["selected"]);
    assert_eq!(again["waitlisted"], s["waitlisted"]);

    // Withdrawing a hospital that is not selected is refused and changes nothing.
    let not_selected = ineligible[0]["application"].as_i64().expect("id");
    let before = app.audit_changes().await;
    app.api(
        "POST",
        &format!("{base}/applications/{not_selected}/withdraw"),
        Some(&tokyo),
        Some(json!({"reason": "辞退"})),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "not_selected");
    assert_eq!(app.audit_changes().await, before);
    // The hospital withdraws: the waiting hospital of the same band takes its place.
    let r = app
        .api(
            "POST",
            &format!("{base}/applications/{mine}/withdraw"),
            Some(&hospital),
            Some(json!({"reason": "現地調査の日程が調整できないため", "date": format!("{year}-10-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert!(!ids(&s["selected"]).contains(&mine));
    assert!(ids(&s["selected"]).contains(&waitlisted[0]));
    assert_eq!(s["withdrawn"][0]["application"], mine);
    assert_eq!(s["withdrawn"][0]["replaced_by"], waitlisted[0]);
    assert_eq!(s["waitlisted"], json!([]));

    // 別紙1 as .xlsx, one row per applicant.
    let r = app
        .api(
            "GET",
            &format!("{base}/prefectures/13/list.xlsx"),
            Some(&tokyo),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .contains("spreadsheetml")
    );
    let bytes = app
        .send(
            Request::get(format!("{base}/prefectures/13/list.xlsx"))
                .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(bytes.status, StatusCode::OK);
    let raw = {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(format!("{base}/prefectures/13/list.xlsx"))
                    .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
    };
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(raw.to_vec())).expect("xlsx");
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).expect("sheet");
    let text: Vec<String> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(
        text.iter().any(|row| row.contains("みなと中央病院")),
        "{text:?}"
    );
    assert!(
        text.iter().filter(|row| row.contains("病院")).count() >= 7,
        "{text:?}"
    );

    // A ranking from a spreadsheet: 別紙1 as exported is taken back as it is; a tie is refused.
    let r = app
        .send(
            Request::put(format!("{base}/prefectures/13/ranking.xlsx"))
                .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
                .body(Body::from(raw.to_vec()))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["selected"], s["selected"]);
    let tie = "順位,医療機関コード\n1,1311234567\n1,1311000011\n";
    let r = app
        .raw(
            "PUT",
            &format!("{base}/prefectures/13/ranking.xlsx"),
            &tokyo,
            "text/csv",
            tie,
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking_file");
    assert!(
        r.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("3行目 A列: 順位 1 が重複しています"),
        "the tie is named by row and column: {}",
        r.body
    );
    let unknown = "順位,医療機関コード\n1,4611234567\n";
    let r = app
        .raw(
            "PUT",
            &format!("{base}/prefectures/13/ranking.xlsx"),
            &tokyo,
            "text/csv",
            unknown,
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking_file");
    assert!(
        r.body.contains("鹿児島県の医療機関") && r.body.contains("Kagoshima"),
        "another prefecture's hospital is named as such: {}",
        r.body
    );

    // Submission freezes the list except for withdrawals.
    let r = app
        .api(
            "POST",
            &format!("{base}/prefectures/13/submit"),
            Some(&tokyo),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["submitted_at"].is_string());
    app.api(
        "PUT",
        &format!("{base}/prefectures/13/ranking"),
        Some(&tokyo),
        Some(json!({"ranking": ranking})),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    app.api(
        "PUT",
        &format!("{base}/applications/{mine}"),
        Some(&tokyo),
        Some(assurance_survey_body(270)),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    app.api(
        "POST",
        &format!("{base}/prefectures/13/submit"),
        Some(&tokyo),
        None,
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    // A withdrawal with nobody waiting leaves the slot open (no second recruitment).
    let top = ids(&s["selected"])[0];
    let r = app
        .api(
            "POST",
            &format!("{base}/applications/{top}/withdraw"),
            Some(&tokyo),
            Some(json!({"reason": "辞退の申し出"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let unused: u64 = r.json()["unused_quota"]
        .as_array()
        .expect("unused")
        .iter()
        .map(|u| u.as_u64().expect("count"))
        .sum();
    assert_eq!(unused, 1);

    // The national office sees every prefecture against the target.
    let o = app
        .api("GET", &format!("{base}/overview"), Some(&national), None)
        .await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    let o = o.json();
    assert_eq!(o["target"], 2000);
    assert_eq!(o["prefectures"].as_array().map(Vec::len), Some(47));
    assert_eq!(o["submitted_prefectures"], 1);
    let t = &o["prefectures"][12];
    assert_eq!(t["prefecture"], "13");
    assert_eq!(t["applicants"], 7);
    assert!(o["quota_total"].as_u64().expect("quota") > 1500);
    app.api("GET", &format!("{base}/overview"), Some(&tokyo), None)
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn assurance_bad_input_is_refused_and_changes_nothing(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    let tokyo = app.token("demo-prefecture-13").await;
    let before = app.audit_changes().await;
    let program = |fy: i32, quotas: Value, deadline: String| {
        json!({
            "fiscal_year": fy,
            "bands": [{"min_beds": 20, "max_beds": 199}, {"min_beds": 200, "max_beds": 399}, {"min_beds": 400, "max_beds": 999}],
            "quotas": quotas, "excluded_institutions": [], "allow_backup_only": false, "deadline": deadline
        })
    };
    let next = year + 1;
    let cases = [
        (
            program(next, json!({"99": [1, 2, 3]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, 2]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, -2, 3]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, 2, 3]}), "next week".into()),
            "invalid_value",
        ),
        (
            json!({"fiscal_year": next, "bands": [{"min_beds": 20, "max_beds": 199}, {"min_beds": 300, "max_beds": null}], "deadline": format!("{next}-05-01")}),
            "invalid_value",
        ),
        (
            program(year, json!({}), format!("{year}-05-01")),
            "program_exists",
        ),
    ];
    for (body, code) in cases {
        let r = app
            .api(
                "POST",
                "/api/v1/programs",
                Some(&national),
                Some(body.clone()),
            )
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.body);
        assert_eq!(r.error_code(), code, "{body}: {}", r.body);
        r.assert_bilingual_error(r.status, code);
    }
    app.api(
        "POST",
        "/api/v1/programs",
        Some(&tokyo),
        Some(program(next, json!({}), format!("{next}-05-01"))),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // Quota files: an unknown prefecture or a band that is not the programme's.
    let base = format!("/api/v1/programs/{year}");
    for csv in [
        "都道府県,20〜199床,200〜399床,400床以上\n99,1,2,3\n",
        "都道府県,20〜99床,100〜399床,400床以上\n13,1,2,3\n",
        "no header at all\n",
    ] {
        let r = app
            .raw("PUT", &format!("{base}/quotas"), &national, "text/csv", csv)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{csv}: {}",
            r.body
        );
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_quota_file");
    }
    // A ranking naming Kagoshima's application, one with a duplicate.
    let s46 = app
        .api(
            "GET",
            &format!("{base}/prefectures/46/selection"),
            Some(&national),
            None,
        )
        .await
        .json();
    let kagoshima_app = ids(&s46["selected"])[0];
    let s13 = app
        .api(
            "GET",
            &format!("{base}/prefectures/13/selection"),
            Some(&tokyo),
            None,
        )
        .await
        .json();
    let mut tokyo_apps = ids(&s13["selected"]);
    tokyo_apps.extend(
        s13["ineligible"]
            .as_array()
            .expect("list")
            .iter()
            .map(|i| i["application"].as_i64().expect("id")),
    );
    let mut foreign = tokyo_apps.clone();
    foreign.push(kagoshima_app);
    let r = app
        .api(
            "PUT",
            &format!("{base}/prefectures/13/ranking"),
            Some(&tokyo),
            Some(json!({"ranking": foreign})),
        )
        .await;
    // Named as not Tokyo's, never as Kagoshima's: nothing outside the caller's scope.
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_application");
    let message = r.json()["error"]["message_ja"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(&format!(
            "申請ID {kagoshima_app} の申請は東京都にありません"
        )),
        "{message}"
    );
    assert!(
        !r.body.contains("鹿児島") && !r.body.contains("Kagoshima"),
        "{}",
        r.body
    );
    let mut duplicate = tokyo_apps.clone();
    duplicate.push(tokyo_apps[0]);
    app.api(
        "PUT",
        &format!("{base}/prefectures/13/ranking"),
        Some(&tokyo),
        Some(json!({"ranking": duplicate})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking");
    // Tokyo's officer cannot rank Kagoshima.
    app.api(
        "PUT",
        &format!("{base}/prefectures/46/ranking"),
        Some(&tokyo),
        Some(json!({"ranking": [kagoshima_app]})),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    // Survey answers: unknown values, a bad contact.
    let mut bad_emr = assurance_survey_body(250);
    bad_emr["emr"] = json!("sometimes");
    let mut bad_mail = assurance_survey_body(250);
    bad_mail["contact"]["email"] = json!("not-an-address");
    for body in [bad_emr, bad_mail, json!({"emr": "full"})] {
        let r = app
            .api(
                "POST",
                &format!("{base}/applications"),
                Some(&hospital),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    assert_eq!(
        app.audit_changes().await,
        before,
        "nothing refused was recorded"
    );

    // A programme whose last band is bounded and whose survey has closed.
    let r = app
        .api(
            "POST",
            "/api/v1/programs",
            Some(&national),
            Some(program(
                next,
                json!({"13": [1, 1, 1]}),
                format!("{year}-06-01"),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let next_base = format!("/api/v1/programs/{next}");
    let after_program = app.audit_changes().await;
    app.api(
        "POST",
        &format!("{next_base}/applications"),
        Some(&hospital),
        Some(assurance_survey_body(1200)),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "beds_fit_no_band");
    app.api(
        "POST",
        &format!("{next_base}/applications"),
        Some(&hospital),
        Some(assurance_survey_body(250)),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "deadline_passed");
    assert_eq!(app.audit_changes().await, after_program);
    // After the deadline the prefecture still enters answers for its hospitals.
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    let r = app
        .api(
            "POST",
            &format!("{next_base}/applications"),
            Some(&tokyo),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A valid quota file replaces the quotas.
    let r = app
        .raw(
            "PUT",
            &format!("{next_base}/quotas"),
            &national,
            "text/csv",
            "都道府県,20〜199床,200〜399床,400〜999床\n13,3,2,1\n46,1,1,0\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()[0]["counts"], json!([3, 2, 1]));
}

// ----- device ledger ---------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mamori-reports/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn ledger_device(asset: &str, os: &str) -> mamori_domain::device::Device {
    use mamori_domain::device::{LedgerColumn as C, parse_row};
    parse_row(
        2,
        &[
            (C::AssetNumber, asset.to_owned()),
            (C::Kind, "端末PC".to_owned()),
            (C::Os, os.to_owned()),
            (C::Software, "電子カルテ\nウイルス対策".to_owned()),
            (C::SoftwareVersion, "5.2\n".to_owned()),
            (C::IpAddress, "192.168.0.5\nfe80::1".to_owned()),
            (C::LastPatchedOn, "2025/4/1".to_owned()),
            (C::SecurityUpdatesInContract, "はい".to_owned()),
        ],
    )
    .expect("device")
}

async fn ledger_store_keeps_devices_and_audits_every_change(app: &TestApp) {
    let store = &app.state.store;
    let admin = app
        .state
        .store
        .user_for_login("demo-clinic")
        .await
        .expect("user")
        .expect("clinic admin")
        .0
        .id;
    assert!(store.devices(CLINIC).await.expect("devices").is_empty());
    let audit_before = store.audit_count(CLINIC).await.expect("audit");

    let pc = ledger_device("PC-1", "Windows 11 Pro 23H2");
    let id = store
        .create_device(CLINIC, &pc, admin)
        .await
        .expect("create");
    let stored = store
        .device(CLINIC, id)
        .await
        .expect("get")
        .expect("device");
    assert_eq!(stored.device, pc, "every column comes back as it went in");
    assert!(
        store.device(HOSPITAL, id).await.expect("get").is_none(),
        "a device is found only under its institution"
    );
    assert!(matches!(
        store.create_device(CLINIC, &pc, admin).await,
        Err(mamori_store::StoreError::Conflict(_))
    ));

    let mut changed = pc.clone();
    changed.os = "Windows 11 Pro 24H2".to_owned();
    changed.location = "受付".to_owned();
    store
        .update_device(CLINIC, id, &changed, admin)
        .await
        .expect("update");
    assert_eq!(
        store
            .device(CLINIC, id)
            .await
            .expect("get")
            .expect("device")
            .device,
        changed
    );
    assert!(matches!(
        store.update_device(HOSPITAL, id, &changed, admin).await,
        Err(mamori_store::StoreError::NotFound)
    ));
    store
        .retire_device(CLINIC, id, admin)
        .await
        .expect("retire");
    let retired = store.device(CLINIC, id).await.expect("get").expect("kept");
    assert_eq!(
        retired.device.status,
        mamori_domain::device::DeviceStatus::Retired
    );

    // An import adds new asset numbers, replaces changed ones and leaves the others.
    let mut import: Vec<_> = (0..2500)
        .map(|i| ledger_device(&format!("A-{i:05}"), "Windows 10 Pro 22H2"))
        .collect();
    import.push(changed.clone());
    // Text that bulk loading must carry unchanged: tabs, line breaks, backslashes, quotes;
    // answers left open and answered no.
    let mut odd = ledger_device("Z-\\タブ", "Windows 10 Pro 22H2");
    odd.maker = "\"富士通\"\t\\N".to_owned();
    odd.description = "一行目\r\n二行目\\n\tタブ".to_owned();
    odd.dhcp = true;
    odd.remote_maintenance = true;
    odd.always_on_connection = Some(false);
    odd.weak_or_reused_password = None;
    odd.security_updates_in_contract = None;
    import.push(odd.clone());
    let counts = store
        .import_devices(CLINIC, &import, admin)
        .await
        .expect("import");
    assert_eq!(
        (counts.added, counts.changed, counts.unchanged),
        (2501, 1, 0),
        "the retired device comes back as in the file"
    );
    let all = store.devices(CLINIC).await.expect("devices");
    assert_eq!(all.len(), 2502);
    assert_eq!(
        all.iter()
            .find(|d| d.device.asset_number == odd.asset_number)
            .expect("the odd device")
            .device,
        odd,
        "every column comes back as it went in"
    );
    assert!(
        all.windows(2)
            .all(|w| w[0].device.asset_number.as_str() < w[1].device.asset_number.as_str()),
        "by asset number"
    );
    import[7].user = "看護部".to_owned();
    let counts = store
        .import_devices(CLINIC, &import, admin)
        .await
        .expect("import again");
    assert_eq!(
        (counts.added, counts.changed, counts.unchanged),
        (0, 1, 2501)
    );
    let all = store.devices(CLINIC).await.expect("devices");
    assert_eq!(all.len(), 2502);
    assert_eq!(
        all.iter()
            .find(|d| d.device.asset_number.as_str() == "A-00007")
            .expect("A-00007")
            .device
            .user,
        "看護部"
    );
    // create, update, retire, two imports: one audit entry each.
    assert_eq!(
        store.audit_count(CLINIC).await.expect("audit") - audit_before,
        5
    );
    assert!(
        store
            .verify_audit_chain()
            .await
            .expect("verify")
            .problem
            .is_none()
    );
}

/// Another writer adds one of an import's new asset numbers after the import has read the
/// ledger. On PostgreSQL the import's `COPY` meets the other row on the unique key, is
/// rolled back to its savepoint and every row goes through the upsert, which counts what it
/// did; on SQLite the import waits for the other writer's lock and reads the ledger after
/// it. Either way every row is stored once, the other writer's row of that asset number
/// takes the file's values and is counted changed (in the API's answer and the audit
/// entry), and its other row stays.
async fn ledger_import_meets_a_concurrent_writer(app: &TestApp) {
    let store = &app.state.store;
    let admin = store
        .user_for_login("demo-clinic")
        .await
        .expect("user")
        .expect("clinic admin")
        .0
        .id;
    assert!(store.devices(CLINIC).await.expect("devices").is_empty());
    let before = vec![
        ledger_device("E-0001", "Windows 10 Pro 22H2"),
        ledger_device("E-0002", "Windows 10 Pro 22H2"),
    ];
    store
        .import_devices(CLINIC, &before, admin)
        .await
        .expect("first import");
    let first = store.devices(CLINIC).await.expect("devices");
    let token = app.token("demo-clinic").await;
    let audit_before = store.audit_count(CLINIC).await.expect("audit");

    // The file: E-0001 as stored, E-0002 changed, fifty new asset numbers.
    let mut file = before.clone();
    file[1].user = "看護部".to_owned();
    file.extend((0..50).map(|i| ledger_device(&format!("N-{i:05}"), "Windows 11 Pro 23H2")));

    // The other writer copies E-0001 as N-00025 (new to the import, with other values), as
    // N-00030 made the same as the file's row, and as W-0001 (not in the file), and keeps
    // its transaction open.
    const COPY_AS: &str = "INSERT INTO devices (institution_id, asset_number, kind, maker, model, os, software, firmware_version, ip_addresses, dhcp, computer_name, location, user_name, registered_on, status, description, serial_number, remote_maintenance, maintenance_vendor, remote_access, security_updates_in_contract, last_patched_on, always_on_connection, weak_or_reused_password, created_at, updated_at) \
         SELECT institution_id, $1, kind, maker, model, os, software, firmware_version, ip_addresses, dhcp, computer_name, location, user_name, registered_on, status, description, serial_number, remote_maintenance, maintenance_vendor, remote_access, security_updates_in_contract, last_patched_on, always_on_connection, weak_or_reused_password, created_at, updated_at \
         FROM devices WHERE institution_id = $2 AND asset_number = 'E-0001' RETURNING id";
    enum Writer {
        Sqlite(sqlx::SqliteConnection),
        Postgres(sqlx::PgConnection),
    }
    macro_rules! on_writer {
        ($w:expr, $c:ident => $body:expr) => {
            match &mut $w {
                Writer::Sqlite($c) => $body,
                Writer::Postgres($c) => $body,
            }
        };
    }
    let mut writer = if app.url.starts_with("sqlite:") {
        Writer::Sqlite(
            sqlx::SqliteConnection::connect(&app.url)
                .await
                .expect("connect"),
        )
    } else {
        Writer::Postgres(
            sqlx::PgConnection::connect(&app.url)
                .await
                .expect("connect"),
        )
    };
    let (conflicting, same, other): ((i64,), (i64,), (i64,)) = on_writer!(writer, c => {
        sqlx::query("BEGIN").execute(&mut *c).await.expect("begin");
        let conflicting = sqlx::query_as(COPY_AS)
            .bind("N-00025")
            .bind(CLINIC)
            .fetch_one(&mut *c)
            .await
            .expect("the other writer's row");
        let same = sqlx::query_as(COPY_AS)
            .bind("N-00030")
            .bind(CLINIC)
            .fetch_one(&mut *c)
            .await
            .expect("the other writer's row as in the file");
        sqlx::query("UPDATE devices SET os = 'Windows 11 Pro 23H2' WHERE institution_id = $1 AND asset_number = 'N-00030'")
            .bind(CLINIC)
            .execute(&mut *c)
            .await
            .expect("N-00030 as in the file");
        let other = sqlx::query_as(COPY_AS)
            .bind("W-0001")
            .bind(CLINIC)
            .fetch_one(&mut *c)
            .await
            .expect("the other writer's second row");
        (conflicting, same, other)
    });

    // The import goes through the API, whose answer shows the counts to the user.
    let csv = mamori_reports::ledger::export_csv(&file, mamori_reports::ledger::Encoding::Utf8)
        .expect("the file as CSV");
    let path = format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true");
    let import = app.upload(&path, &token, "text/csv", csv);
    tokio::pin!(import);
    let wait = async {
        if let Writer::Postgres(c) = &mut writer {
            // Wait until the import's COPY waits on the other writer's uncommitted row.
            let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
                .fetch_one(&mut *c)
                .await
                .expect("pid");
            let mut watch = sqlx::PgConnection::connect(&app.url)
                .await
                .expect("connect");
            for _ in 0..200 {
                let (blocked,): (i64,) = sqlx::query_as(
                    "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE 'COPY devices%'",
                )
                .bind(pid)
                .fetch_one(&mut watch)
                .await
                .expect("pg_stat_activity");
                if blocked > 0 {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            false
        } else {
            // SQLite: the import waits for the other writer's lock before it reads.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            true
        }
    };
    // The import runs meanwhile; it cannot finish while the other writer holds its row.
    tokio::select! {
        r = &mut import => panic!("the import finished while the other writer held its row: {}", r.body),
        waited = wait => assert!(waited, "the import's COPY waits on the other writer's row"),
    }
    on_writer!(writer, c => {
        sqlx::query("COMMIT").execute(&mut *c).await.expect("commit");
    });

    // Both engines count what was written: N-00025 replaced the other writer's row, N-00030
    // found it as in the file.
    let r = import.await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answer = r.json();
    assert_eq!(
        (
            &answer["added"],
            &answer["changed"],
            &answer["unchanged"],
            &answer["committed"]
        ),
        (&json!(48), &json!(2), &json!(2), &json!(true)),
        "{answer}"
    );
    let entries = store
        .audit_entries(Some(CLINIC), 1)
        .await
        .expect("audit entries");
    assert_eq!(entries[0].action, "device.import");
    assert_eq!(entries[0].detail, "added=48 changed=2 unchanged=2");

    let all = store.devices(CLINIC).await.expect("devices");
    let mut assets: Vec<&str> = all.iter().map(|d| d.device.asset_number.as_str()).collect();
    assert_eq!(
        all.len(),
        53,
        "two before, fifty new, the other writer's W-0001"
    );
    assets.dedup();
    assert_eq!(assets.len(), 53, "every asset number once");
    let find = |asset: &str| {
        all.iter()
            .find(|d| d.device.asset_number.as_str() == asset)
            .unwrap_or_else(|| panic!("{asset} is stored"))
    };
    for d in &file {
        assert_eq!(
            find(d.asset_number.as_str()).device,
            *d,
            "{} as in the file",
            d.asset_number
        );
    }
    let n25 = find("N-00025");
    assert_eq!(
        n25.id, conflicting.0,
        "the other writer's row is updated in place"
    );
    assert_eq!(n25.device.os, "Windows 11 Pro 23H2");
    let w1 = find("W-0001");
    assert_eq!(w1.id, other.0);
    let mut copied = before[0].clone();
    copied.asset_number = w1.device.asset_number.clone();
    assert_eq!(
        w1.device, copied,
        "the other writer's row outside the file stays"
    );
    let e1_before = first
        .iter()
        .find(|d| d.device.asset_number.as_str() == "E-0001")
        .expect("E-0001");
    assert_eq!(
        find("E-0001"),
        e1_before,
        "an unchanged row is not written again"
    );
    let n30 = find("N-00030");
    assert_eq!(
        (n30.id, n30.updated_at.as_str()),
        (same.0, e1_before.updated_at.as_str()),
        "the other writer's row as in the file is not written again"
    );
    assert_eq!(
        store.audit_count(CLINIC).await.expect("audit") - audit_before,
        1,
        "one audit entry for the import"
    );
    assert!(
        store
            .verify_audit_chain()
            .await
            .expect("verify")
            .problem
            .is_none()
    );
}

async fn ledger_import_previews_then_stores_all_or_nothing(app: &TestApp) {
    let token = app.token("demo-clinic").await;
    let import = format!("/api/v1/institutions/{CLINIC}/devices/import");
    let list = format!("/api/v1/institutions/{CLINIC}/devices");

    // Shift_JIS, shuffled Japanese headers: a preview stores nothing.
    let sjis = fixture("shift_jis_shuffled.csv");
    let r = app.upload(&import, &token, "text/csv", sjis.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let preview = r.json();
    assert_eq!(preview["added"], 4, "{preview}");
    assert_eq!(preview["changed"], 0);
    assert_eq!(preview["rejected"], json!([]));
    assert_eq!(preview["committed"], false);
    assert_eq!(
        app.api("GET", &list, Some(&token), None).await.json(),
        json!([]),
        "a preview stores nothing"
    );

    let r = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            "text/csv",
            sjis.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["added"], 4);
    assert_eq!(r.json()["committed"], true);
    let devices = app.api("GET", &list, Some(&token), None).await.json();
    let devices = devices.as_array().expect("list");
    assert_eq!(devices.len(), 4);
    let sv = devices
        .iter()
        .find(|d| d["asset_number"] == "SV-001")
        .expect("SV-001");
    assert_eq!(sv["kind"], "server");
    assert_eq!(sv["software"].as_array().expect("software").len(), 3);
    assert_eq!(sv["ip_addresses"], json!(["192.168.10.5", "192.168.20.5"]));
    assert_eq!(sv["registered_on"], "2020-12-01", "令和2年12月1日");
    assert_eq!(sv["remote_access"], "vendor_closed_network");

    // The same file again changes nothing; the .xlsx adds its own rows.
    let again = app.upload(&import, &token, "text/csv", sjis).await.json();
    assert_eq!(
        (
            again["added"].clone(),
            again["changed"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(4))
    );
    let xlsx = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            XLSX,
            fixture("libreoffice_title_row.xlsx"),
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    assert_eq!(xlsx.json()["added"], 4, "{}", xlsx.body);
    let english = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            "text/csv",
            fixture("utf8_bom_english.csv"),
        )
        .await;
    assert_eq!(english.status, StatusCode::OK, "{}", english.body);
    assert_eq!(english.json()["added"], 2);
    let count = |v: Value| v.as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(
        count(app.api("GET", &list, Some(&token), None).await.json()),
        10
    );

    // Any rejected row: 422 with every row listed, and nothing stored.
    for (file, rows) in [
        ("duplicate_asset_numbers.csv", vec![2usize, 3, 4, 5]),
        ("invalid_ip.csv", vec![3, 4]),
        ("dates.csv", vec![5]),
    ] {
        let r = app
            .upload(
                &format!("{import}?commit=true"),
                &token,
                "text/csv",
                fixture(file),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file}: {}",
            r.body
        );
        let body = r.json();
        assert_eq!(body["committed"], false);
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected");
        let rejected = body["rejected"].as_array().expect("rejected");
        for row in &rows {
            assert!(
                rejected.iter().any(|e| e["row"] == *row),
                "{file}: row {row} is listed: {body}"
            );
        }
        for e in rejected {
            assert!(!e["column"].as_str().unwrap_or_default().is_empty(), "{e}");
            assert!(
                !e["message_ja"].as_str().unwrap_or_default().is_empty(),
                "{e}"
            );
            assert!(
                !e["message_en"].as_str().unwrap_or_default().is_empty(),
                "{e}"
            );
        }
        assert_eq!(
            count(app.api("GET", &list, Some(&token), None).await.json()),
            10,
            "{file}: nothing of a rejected import is stored"
        );
    }

    // Only its admin (and the national office) import; others are refused or not told.
    let staff = app.token("demo-hospital-staff").await;
    let r = app
        .upload(
            &format!("/api/v1/institutions/{HOSPITAL}/devices/import"),
            &staff,
            "text/csv",
            fixture("dates.csv"),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let outsider = app.token("demo-hospital-46").await;
    let r = app
        .upload(&import, &outsider, "text/csv", fixture("dates.csv"))
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let r = app.api("GET", &list, Some(&outsider), None).await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn ledger_refuses_bad_files_clearly(app: &TestApp) {
    let token = app.token("demo-clinic").await;
    let import = format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true");
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "empty",
            "text/csv",
            fixture("empty.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "png",
            "text/csv",
            fixture("not_a_ledger.png"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_spreadsheet",
        ),
        (
            "unknown header",
            "text/csv",
            fixture("unknown_header.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_header",
        ),
        (
            "ragged",
            "text/csv",
            fixture("ragged.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ragged_row",
        ),
        (
            "broken xlsx",
            XLSX,
            b"PK\x03\x04 not really a zip".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_workbook",
        ),
        (
            "25 MB",
            "text/csv",
            vec![b'a'; 25 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
        ),
    ];
    for (what, content_type, body, status, code) in cases {
        let r = app.upload(&import, &token, content_type, body).await;
        assert_eq!(
            r.status,
            status,
            "{what}: {}",
            r.body.chars().take(300).collect::<String>()
        );
        r.assert_bilingual_error(status, code);
    }
    let r = app
        .upload(
            &format!("/api/v1/institutions/{CLINIC}/devices/import?commit=maybe"),
            &token,
            "text/csv",
            fixture("dates.csv"),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_commit");
    assert!(
        app.state
            .store
            .devices(CLINIC)
            .await
            .expect("devices")
            .is_empty()
    );

    // One device through the API: bad cells are listed, nothing is stored.
    let devices = format!("/api/v1/institutions/{CLINIC}/devices");
    let r = app
        .api("POST", &devices, Some(&token), Some(json!({"asset_number": "PC-9", "ip_address": "192.168.0.300", "registered_on": "2025/13/45"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "invalid_device");
    assert_eq!(
        r.json()["rejected"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.body
    );
    let r = app
        .api(
            "POST",
            &devices,
            Some(&token),
            Some(json!({"asset_number": "PC-9", "price": "100"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    let r = app
        .api("POST", &devices, Some(&token), Some(json!({"asset_number": "PC-9", "os": "Windows 11 Pro 24H2", "registered_on": "令和7年4月1日", "ip_addresses": ["192.168.0.9"], "remote_maintenance": false})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["registered_on"], "2025-04-01");
    let id = r.json()["id"].as_i64().expect("id");
    let r = app
        .api(
            "POST",
            &devices,
            Some(&token),
            Some(json!({"asset_number": "ＰＣ-9"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "conflict");
    let one = format!("{devices}/{id}");
    let r = app
        .api(
            "PUT",
            &one,
            Some(&token),
            Some(json!({"asset_number": "PC-9", "os": "Windows 8.1", "status": "停止"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "stopped");
    assert!(
        r.json()["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["code"] == "end_of_support"),
        "Windows 8.1 is past its support: {}",
        r.body
    );
    let r = app
        .api("POST", &format!("{one}/retire"), Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "retired");
    assert_eq!(
        r.json()["flags"],
        json!([]),
        "a retired device needs nothing"
    );
    let r = app
        .api("GET", &format!("{devices}/999999"), Some(&token), None)
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .api("GET", &format!("{devices}/x"), Some(&token), None)
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn ledger_devices_carry_flags_and_export_round_trips(app: &TestApp) {
    let token = app.token("demo-hospital").await;
    let list = format!("/api/v1/institutions/{HOSPITAL}/devices");
    let devices = app.api("GET", &list, Some(&token), None).await;
    assert_eq!(devices.status, StatusCode::OK, "{}", devices.body);
    let devices = devices.json();
    let by_asset = |asset: &str| -> Value {
        devices
            .as_array()
            .and_then(|l| l.iter().find(|d| d["asset_number"] == asset))
            .cloned()
            .unwrap_or_else(|| panic!("{asset} in {devices}"))
    };
    let codes = |d: &Value| -> Vec<String> {
        d["flags"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let fortigate = by_asset("NW-001");
    let fg = codes(&fortigate);
    for code in [
        "known_exploited",
        "vulnerable_version",
        "stale_patch",
        "vpn_no_security_updates",
        "vpn_always_on",
    ] {
        assert!(
            fg.contains(&code.to_owned()),
            "FortiOS 6.0.4 under vendor VPN: {code} in {fg:?}"
        );
    }
    let vulnerable = fortigate["flags"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == "vulnerable_version"))
        .expect("vulnerable_version");
    assert!(
        vulnerable["cves"].to_string().contains("CVE-2018-13379"),
        "{vulnerable}"
    );
    for f in fortigate["flags"].as_array().expect("flags") {
        for field in ["severity", "message_ja", "message_en", "evidence"] {
            assert!(
                !f[field].as_str().unwrap_or_default().is_empty(),
                "{field}: {f}"
            );
        }
    }
    assert!(
        codes(&by_asset("PC-002")).contains(&"end_of_support".to_owned()),
        "Windows 10 21H2"
    );
    assert!(
        codes(&by_asset("SV-001")).contains(&"end_of_support".to_owned()),
        "Windows Server 2012 R2"
    );
    assert!(
        codes(&by_asset("NW-002")).contains(&"support_date_unknown".to_owned()),
        "Yamaha RTX"
    );
    assert!(
        !codes(&by_asset("PC-003")).contains(&"end_of_support".to_owned()),
        "Windows 11 25H2 is supported"
    );

    // Staff and the prefecture's inspector read; the export reads back as the same ledger.
    for login in ["demo-hospital-staff", "demo-inspector-13", "demo-national"] {
        let t = app.token(login).await;
        assert_eq!(
            app.api("GET", &list, Some(&t), None).await.status,
            StatusCode::OK,
            "{login}"
        );
    }
    for (path, content_type) in [
        (format!("{list}/export.csv"), "text/csv"),
        (format!("{list}/export.csv?encoding=shift_jis"), "text/csv"),
        (format!("{list}/export.xlsx"), XLSX),
    ] {
        let request = Request::get(path.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let ct = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with(content_type), "{path}: {ct}");
        let bytes = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
            .to_vec();
        let preview = app
            .upload(
                &format!("/api/v1/institutions/{HOSPITAL}/devices/import"),
                &token,
                content_type,
                bytes,
            )
            .await
            .json();
        assert_eq!(
            (
                preview["added"].clone(),
                preview["changed"].clone(),
                preview["unchanged"].clone()
            ),
            (json!(0), json!(0), json!(7)),
            "{path}: the round trip loses nothing: {preview}"
        );
    }
    let paged = app
        .api(
            "GET",
            &format!("{list}?limit=2&offset=1"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(paged.as_array().map(Vec::len), Some(2), "{paged}");
    assert_eq!(paged[0]["asset_number"], devices[1]["asset_number"]);
    let r = app
        .api(
            "GET",
            &format!("{list}/export.csv?encoding=latin1"),
            Some(&token),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_encoding");
    let datasets = app
        .api("GET", "/api/v1/datasets", Some(&token), None)
        .await
        .json();
    assert!(
        datasets["kev_count"].as_u64().unwrap_or(0) > 1000,
        "{datasets}"
    );
    assert_eq!(datasets["licenses"].as_array().map(Vec::len), Some(2));
}

/// Builds a multipart/form-data body with the CSRF token and one file.
fn multipart_body(
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

async fn ledger_pages_import_with_preview_and_confirm(app: &TestApp) {
    let web = app.web_login("demo-clinic").await;
    let page = app
        .get_page(&web.cookie, &format!("/institutions/{CLINIC}/ledger"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("機器台帳"), "{}", page.body);
    let upload = app
        .get_page(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/import"),
        )
        .await;
    assert_eq!(upload.status, StatusCode::OK);
    assert!(upload.body.contains("enctype=\"multipart/form-data\""));

    // A file with rejected rows: the preview lists them and offers no confirmation.
    let (ct, body) = multipart_body(
        &web.csrf,
        "dup.csv",
        "text/csv",
        &fixture("duplicate_asset_numbers.csv"),
    );
    let r = app
        .send(
            Request::post(format!("/institutions/{CLINIC}/ledger/import").as_str())
                .header(header::COOKIE, web.cookie.clone())
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("管理番号"), "{}", r.body);
    assert!(
        r.hidden("token").is_none(),
        "no confirmation of a rejected file"
    );

    // A clean file: preview, then confirm with the token only.
    let (ct, body) = multipart_body(
        &web.csrf,
        "台帳.csv",
        "text/csv",
        &fixture("shift_jis_shuffled.csv"),
    );
    let r = app
        .send(
            Request::post(format!("/institutions/{CLINIC}/ledger/import").as_str())
                .header(header::COOKIE, web.cookie.clone())
                .header(header::CONTENT_TYPE, ct.clone())
                .body(Body::from(body.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = r.hidden("token").expect("confirmation token");
    assert!(
        r.body.contains("<code>VPN-001</code>"),
        "the preview names the devices it adds"
    );
    assert!(
        app.state
            .store
            .devices(CLINIC)
            .await
            .expect("devices")
            .is_empty(),
        "preview stores nothing"
    );
    // Another user cannot confirm it.
    let other = app.web_login("demo-national").await;
    let stolen = app
        .post_form(
            &other.cookie,
            &format!("/institutions/{CLINIC}/ledger/import/confirm"),
            &format!("csrf={}&token={token}", other.csrf),
            false,
        )
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stolen.body
    );
    let bad_csrf = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/import/confirm"),
            &format!("csrf=wrong&token={token}"),
            false,
        )
        .await;
    assert_eq!(bad_csrf.status, StatusCode::FORBIDDEN);
    let done = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/import/confirm"),
            &format!("csrf={}&token={token}", web.csrf),
            false,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        app.state
            .store
            .devices(CLINIC)
            .await
            .expect("devices")
            .len(),
        4
    );
    let again = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/import/confirm"),
            &format!("csrf={}&token={token}", web.csrf),
            false,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a token serves once"
    );

    let ledger = app
        .get_page(&web.cookie, &format!("/institutions/{CLINIC}/ledger"))
        .await;
    assert!(
        ledger.body.contains("VPN-001") && ledger.body.contains("flag-"),
        "{}",
        ledger.body
    );
    let en = app
        .get_page(
            &format!("{}; mamori_lang=en", web.cookie),
            &format!("/institutions/{CLINIC}/ledger"),
        )
        .await;
    assert!(en.body.contains("Device ledger"), "{}", en.body);

    // Add, edit and retire through the forms; staff may only read.
    let r = app
        .post_form(&web.cookie, &format!("/institutions/{CLINIC}/ledger"), &format!("csrf={}&asset_number=PC-77&kind=pc&os=Windows+8.1&ip_address=192.168.0.300&status=active", web.csrf), false)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("192.168.0.300"),
        "the form keeps what was typed"
    );
    let r = app
        .post_form(&web.cookie, &format!("/institutions/{CLINIC}/ledger"), &format!("csrf={}&asset_number=PC-77&kind=pc&os=Windows+8.1&ip_address=192.168.0.77&status=active&remote_maintenance=no", web.csrf), false)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let stored = app.state.store.devices(CLINIC).await.expect("devices");
    let pc = stored
        .iter()
        .find(|d| d.device.asset_number.as_str() == "PC-77")
        .expect("PC-77");
    let r = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/{}", pc.id),
            &format!(
                "csrf={}&asset_number=PC-77&kind=pc&os=Windows+11+Pro+24H2&status=active",
                web.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{CLINIC}/ledger/{}/retire", pc.id),
            &format!("csrf={}", web.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pc = app
        .state
        .store
        .device(CLINIC, pc.id)
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(pc.device.os, "Windows 11 Pro 24H2");
    assert_eq!(
        pc.device.status,
        mamori_domain::device::DeviceStatus::Retired
    );

    let hospital = app.web_login("demo-hospital").await;
    let page = app
        .get_page(&hospital.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    assert!(
        page.body.contains("/ledger"),
        "the institution page sums up the ledger"
    );
    let year = app.year();
    let checklist = app
        .get_page(
            &hospital.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    assert_eq!(checklist.status, StatusCode::OK);
    let evidence = checklist.body.matches("class=\"ledger-evidence\"").count();
    assert!(
        evidence >= 2,
        "the ledger speaks beside 2(1), 2(2), 2(7): {evidence}"
    );
    assert!(
        checklist.body.contains("data-suggested=\"no\""),
        "old FortiOS: patches are behind"
    );
    let datasets = app.get_page(&hospital.cookie, "/datasets").await;
    assert_eq!(datasets.status, StatusCode::OK);
    assert!(
        datasets.body.contains("CC0") && datasets.body.contains("MIT"),
        "{}",
        datasets.body
    );
}

async fn assurance_pages_survey_ranking_withdrawal_and_export(app: &TestApp) {
    let year = app.year();
    let hospital = app.web_login("demo-hospital").await;
    let tokyo = app.web_login("demo-prefecture-13").await;
    // The hospital finds its survey from the start page and answers it.
    let page = app.get_page(&hospital.cookie, "/assurance").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("電子カルテシステムの導入状況"));
    assert!(page.body.contains("まだ回答していません"));
    let path = format!("/assurance/{year}/institutions/{HOSPITAL}");
    let form = |csrf: &str, beds: &str| {
        format!(
            "csrf={csrf}&emr=partial&beds={beds}&participation=both&gmis_reuse_consent=yes&renewal_planned=yes&onsite_survey_by_january=no&contact_name=%E5%B1%B1%E7%94%B0&contact_phone=03-1234-5678&contact_email=it%40minato.example.jp"
        )
    };
    // Bad input is answered in the form, in the user's language, and nothing is stored.
    let r = app
        .post_form(
            &hospital.cookie,
            &path,
            &form(&hospital.csrf, "many"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("病床数を整数で入力してください"));
    let r = app
        .post_form(&hospital.cookie, &path, &form("wrong", "250"), false)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form_and_follow(&hospital.cookie, &path, &form(&hospital.csrf, "250"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("回答を保存しました"), "{}", r.body);
    assert!(
        r.body.contains("現地調査を完了できる見込みがありません"),
        "the flag is shown: {}",
        r.body
    );
    // The prefecture sees it unranked, ranks it first by number entry, and the list follows.
    let list_path = format!("/assurance/{year}/prefectures/13");
    let page = app.get_page(&tokyo.cookie, "/assurance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("みなと中央病院"));
    assert!(
        page.body
            .contains("希望したすべての病院に順位を付けてください")
    );
    assert!(
        page.body.contains("電子カルテシステムを導入していません"),
        "reasons are listed"
    );
    let mine = app
        .state
        .store
        .prefecture_book(
            FiscalYear::new(year).expect("year"),
            mamori_domain::Prefecture::parse("13").expect("13"),
        )
        .await
        .expect("book")
        .expect("programme");
    let mut fields = vec![format!("csrf={}", tokyo.csrf)];
    let own = mine
        .applications
        .iter()
        .find(|a| a.institution_id == HOSPITAL)
        .expect("answered")
        .id;
    fields.push(format!("rank_{own}=1&reason_{own}=regional_emergency_role"));
    let others: Vec<i64> = mine.ranking.iter().map(|r| r.application_id).collect();
    // A tie first: refused with the ranks named.
    let mut tied = fields.clone();
    tied.extend(others.iter().map(|id| format!("rank_{id}=1")));
    let r = app
        .post_form(
            &tokyo.cookie,
            &format!("{list_path}/ranking"),
            &tied.join("&"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    fields.extend(
        others
            .iter()
            .enumerate()
            .map(|(n, id)| format!("rank_{id}={}", n + 2)),
    );
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{list_path}/ranking"),
            &fields.join("&"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("順位を保存し"), "{}", r.body);
    assert!(r.body.contains("次点"), "a hospital now waits: {}", r.body);
    // Several reasons (as a file gives them): the page keeps the ones after the first as
    // hidden fields, so that saving the page again does not drop them.
    let officer_token = app.token("demo-prefecture-13").await;
    let mut order = vec![own];
    order.extend(&others);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/programs/{year}/prefectures/13/ranking"),
            Some(&officer_token),
            Some(json!({"ranking": order, "reasons": {own.to_string(): [
                {"kind": "regional_emergency_role"}, {"kind": "weak_security_at_inspection"}
            ]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get_page(&tokyo.cookie, &list_path).await;
    assert!(
        page.body.contains(&format!(
            "<input type=\"hidden\" name=\"reason_{own}\" value=\"weak_security_at_inspection\">"
        )),
        "{}",
        page.body
    );
    // A withdrawal from the page.
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{list_path}/withdraw"),
            &format!(
                "csrf={}&application_id={own}&reason=%E6%97%A5%E7%A8%8B&date={year}-09-01",
                tokyo.csrf
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("辞退を記録しました"), "{}", r.body);
    // 別紙1 and submission.
    let r = app
        .get_page(&tokyo.cookie, &format!("{list_path}/list.xlsx"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or_default()
            .contains(".xlsx")
    );
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{list_path}/submit"),
            &format!("csrf={}", tokyo.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("リストを提出しました"));
    // The hospital's form is now read only; the English page says the same.
    let r = app.get_page(&hospital.cookie, &path).await;
    assert!(!r.body.contains("回答を送信"));
    let r = app
        .send(
            Request::get(&path)
                .header(
                    header::COOKIE,
                    format!("{}; mamori_lang=en", hospital.cookie),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(
        r.body.contains("Electronic medical record system"),
        "{}",
        r.body
    );
    // The national overview.
    let national = app.web_login("demo-national").await;
    let r = app
        .get_page(&national.cookie, &format!("/assurance/{year}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("全国の目標") && r.body.contains("鹿児島県"));
    let r = app
        .get_page(&tokyo.cookie, &format!("/assurance/{year}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ----- assurance pages: opening a year, a ranking from a file, flagged hospitals ----------

/// A multipart/form-data body with fields and files (name, file name, bytes).
fn multipart_form(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
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

impl TestApp {
    async fn post_multipart(
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
}

async fn assurance_page_opens_a_programme_year(app: &TestApp) {
    let year = app.year();
    let national = app.web_login("demo-national").await;
    let tokyo = app.web_login("demo-prefecture-13").await;
    let page = app.get_page(&national.cookie, "/assurance/new").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("確保事業の年度を開始"));
    assert!(page.body.contains("47 沖縄県") && page.body.contains("name=\"q_47_2\""));
    assert_eq!(page.hidden("band_min_0").as_deref(), Some("20"));
    assert_eq!(page.hidden("band_max_1").as_deref(), Some("399"));
    assert_eq!(
        page.hidden("band_max_2").as_deref(),
        Some(""),
        "400 and more"
    );
    assert!(
        !page
            .body
            .contains("name=\"allow_backup_only\" value=\"yes\" checked"),
        "backup alone is not allowed by default"
    );
    let r = app.get_page(&tokyo.cookie, "/assurance/new").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_multipart(
            &tokyo.cookie,
            "/assurance/new",
            &[("csrf", &tokyo.csrf)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let years = || async { app.state.store.program_years().await.expect("years").len() };
    let before = (years().await, app.audit_changes().await);
    let new_year = (year + 3).to_string();
    let deadline = format!("{}-06-30", year + 3);
    let base_fields = |action: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", national.csrf.clone()),
            ("action", action.to_owned()),
            ("fiscal_year", new_year.clone()),
            ("band_min_0", "20".into()),
            ("band_max_0", "199".into()),
            ("band_min_1", "200".into()),
            ("band_max_1", "399".into()),
            ("band_min_2", "400".into()),
            ("band_max_2", String::new()),
            ("deadline", deadline.clone()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let send = |fields: Vec<(&'static str, String)>,
                files: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let cookie = national.cookie.clone();
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let g: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(k, n, d)| (*k, *n, d.as_slice()))
                .collect();
            app.post_multipart(&cookie, "/assurance/new", &f, &g).await
        }
    };

    // A quota file fills the table; nothing is stored.
    let quota_csv = "都道府県,20〜199床,200〜399床,400床以上\n東京都,40,12,5\n鹿児島県,30,8,2\n";
    let r = send(
        as_refs(&base_fields("import")),
        vec![("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ファイルを読み込みました"), "{}", r.body);
    assert_eq!(r.hidden("q_13_0").as_deref(), Some("40"));
    assert_eq!(r.hidden("q_46_2").as_deref(), Some("2"));
    assert_eq!(r.hidden("q_01_0").as_deref(), Some(""));
    // A bad quota file: each problem with its row and column, nothing filled or stored.
    let r = send(
        as_refs(&base_fields("import")),
        vec![(
            "quota_file",
            "bad.csv",
            "都道府県,20〜199床,200〜399床,400床以上\n東京都,40,-1,5\n火星,1,1,1\n"
                .as_bytes()
                .to_vec(),
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("2行目 C列"), "{}", r.body);
    assert!(
        r.body.contains("3行目") && r.body.contains("火星"),
        "{}",
        r.body
    );
    assert!(r.body.contains("何も保存されていません"));

    // Opening with mistakes in several fields: all named at once, nothing stored.
    let mut fields = base_fields("open");
    fields.retain(|(k, _)| *k != "deadline");
    fields.push(("q_13_0", "40".into()));
    fields.push(("q_13_1", "十二".into()));
    fields.push(("excluded", "9999999999\nfoo".into()));
    let r = send(fields, vec![]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for expected in [
        "東京都（13）の「200〜399床」",
        "「十二」は0以上の整数",
        "回答期限を入力してください",
        "対象外の病院 1行目: 医療機関コード 9999999999 の施設は登録されていません",
        "対象外の病院 2行目: 「foo」",
        "aria-invalid=\"true\"",
    ] {
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
    }
    assert_eq!(
        r.hidden("q_13_1").as_deref(),
        Some("十二"),
        "the entry is shown back"
    );
    // Bands with a gap, in English.
    let mut fields = base_fields("open");
    fields.retain(|(k, _)| *k != "band_min_1");
    fields.push(("band_min_1", "250".into()));
    fields.push(("q_13_0", "1".into()));
    let (ct, body) = {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        multipart_form(&f, &[])
    };
    let r = app
        .send(
            Request::post("/assurance/new")
                .header(
                    header::COOKIE,
                    format!("{}; mamori_lang=en", national.cookie),
                )
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("gap between bed bands"), "{}", r.body);
    assert_eq!(
        (years().await, app.audit_changes().await),
        before,
        "nothing stored"
    );

    // A valid year: the quota file, the excluded hospitals by code (pasted) and by id (file).
    let code_46 = app
        .state
        .store
        .institution(HOSPITAL_46)
        .await
        .expect("institution")
        .expect("exists")
        .medical_institution_code
        .expect("code");
    let mut fields = base_fields("open");
    fields.push(("excluded", format!("{code_46}\n")));
    let r = send(
        fields,
        vec![
            ("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec()),
            (
                "excluded_file",
                "excluded.csv",
                format!("施設ID\n{HOSPITAL}\n").into_bytes(),
            ),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(to, format!("/assurance/{new_year}?done=as-opened"));
    let page = app.get_page(&national.cookie, &to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("確保事業の年度を開始しました"),
        "{}",
        page.body
    );
    let program = app
        .state
        .store
        .program(FiscalYear::new(year + 3).expect("year"))
        .await
        .expect("program")
        .expect("opened");
    let tokyo_code = mamori_domain::Prefecture::parse("13").expect("13");
    assert_eq!(program.quotas.get(tokyo_code), Some(&[40, 12, 5][..]));
    assert_eq!(
        program.bands,
        mamori_domain::assurance::BedBands::standard()
    );
    assert!(!program.allow_backup_only);
    let mut excluded: Vec<i64> = program.excluded.iter().map(|e| e.institution_id).collect();
    excluded.sort_unstable();
    assert_eq!(excluded, vec![HOSPITAL, HOSPITAL_46]);
    // The prefecture's list links the other years.
    let page = app
        .get_page(&tokyo.cookie, &format!("/assurance/{year}/prefectures/13"))
        .await;
    assert!(
        page.body
            .contains(&format!("href=\"/assurance/{new_year}/prefectures/13\"")),
        "{}",
        page.body
    );
    // The same year again is refused in the form.
    let r = send(
        base_fields("open"),
        vec![("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("既に開始されています"), "{}", r.body);
}

async fn assurance_pages_import_a_ranking_and_decide_flagged_hospitals(app: &TestApp) {
    let year = app.year();
    let fy = FiscalYear::new(year).expect("year");
    let tokyo_pref = mamori_domain::Prefecture::parse("13").expect("13");
    let national = app.token("demo-national").await;
    // The hospital renews its systems and cannot finish the on-site survey by January.
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    body["renewal_planned"] = json!(true);
    body["onsite_survey_by_january"] = json!(false);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/programs/{year}/applications"),
            Some(&national),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let own = r.json()["id"].as_i64().expect("id");
    let book = app
        .state
        .store
        .prefecture_book(fy, tokyo_pref)
        .await
        .expect("book")
        .expect("programme");
    let others: Vec<i64> = book.ranking.iter().map(|r| r.application_id).collect();
    let kagoshima_app = app
        .state
        .store
        .prefecture_book(fy, mamori_domain::Prefecture::parse("46").expect("46"))
        .await
        .expect("book")
        .expect("programme")
        .applications[0]
        .id;
    let ranking_before = book.ranking.clone();

    let tokyo = app.web_login("demo-prefecture-13").await;
    let base = format!("/assurance/{year}/prefectures/13");
    let upload = format!("{base}/ranking/upload");
    let page = app.get_page(&tokyo.cookie, &base).await;
    assert!(page.body.contains(&format!("action=\"{upload}\"")));
    // No file, a file with problems: each named by row and column, nothing changed.
    let r = app
        .post_form(
            &tokyo.cookie,
            &upload,
            &format!("csrf={}", tokyo.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("順位のファイル（.xlsx または .csv）を選んでください")
    );
    let mut bad = format!("申請ID,順位,理由\n{own},1,地域の救急等の主要な診療機能\n");
    bad.push_str(&format!("{},1,\n", others[0]));
    bad.push_str(&format!("{kagoshima_app},3,\n"));
    let r = app
        .post_multipart(
            &tokyo.cookie,
            &upload,
            &[("csrf", &tokyo.csrf)],
            &[("file", "順位.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("<td class=\"num\">3</td><td>B</td><td>順位 1 が重複しています"),
        "{}",
        r.body
    );
    // Another prefecture's application is named as not Tokyo's, never as Kagoshima's.
    assert!(
        r.body.contains(&format!(
            "申請ID {kagoshima_app} の申請は東京都にありません"
        )),
        "{}",
        r.body
    );
    assert!(!r.body.contains("鹿児島"), "{}", r.body);
    assert!(!r.body.contains("この順位を適用して選定"));
    let wrong_csrf = app
        .post_multipart(
            &tokyo.cookie,
            &upload,
            &[("csrf", "nope")],
            &[("file", "a.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(wrong_csrf.status, StatusCode::FORBIDDEN);

    // A clean file: a preview with the selection it gives; nothing stored until applied.
    let mut good = format!("申請ID,順位,順位指定の理由\n{own},1,地域の救急等の主要な診療機能\n");
    for (n, id) in others.iter().enumerate() {
        good.push_str(&format!("{id},{},\n", n + 2));
    }
    let r = app
        .post_multipart(
            &tokyo.cookie,
            &upload,
            &[("csrf", &tokyo.csrf)],
            &[("file", "順位.csv", good.as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("この順位を適用して選定"));
    assert_eq!(r.hidden(&format!("rank_{own}")).as_deref(), Some("1"));
    assert_eq!(
        r.hidden(&format!("reason_{own}")).as_deref(),
        Some("regional_emergency_role")
    );
    let stored = || async {
        app.state
            .store
            .prefecture_book(fy, tokyo_pref)
            .await
            .expect("book")
            .expect("programme")
            .ranking
    };
    assert_eq!(stored().await, ranking_before, "a preview stores nothing");
    // Applying it posts the preview's fields.
    let mut form = vec![
        format!("csrf={}", tokyo.csrf),
        format!("rank_{own}=1&reason_{own}=regional_emergency_role"),
    ];
    form.extend(
        others
            .iter()
            .enumerate()
            .map(|(n, id)| format!("rank_{id}={}", n + 2)),
    );
    let r = app
        .post_form_and_follow(&tokyo.cookie, &format!("{base}/ranking"), &form.join("&"))
        .await;
    assert!(r.body.contains("順位を保存し"), "{}", r.body);
    let ranking = stored().await;
    let first = ranking.iter().find(|r| r.rank == 1).expect("rank 1");
    assert_eq!(first.application_id, own);
    assert_eq!(
        first.reasons,
        vec![mamori_domain::assurance::RankReason::RegionalEmergencyRole]
    );
    // The flagged hospital awaits the prefecture's decision.
    assert!(
        r.body.contains(&format!("name=\"decision_{own}\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("判断待ちの病院: "), "{}", r.body);
    let tokyo_token = app.token("demo-prefecture-13").await;
    let selection = |token: String| async move {
        app.api(
            "GET",
            &format!("/api/v1/programs/{year}/prefectures/13/selection"),
            Some(&token),
            None,
        )
        .await
        .json()
    };
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(ids(&s["undecided"])[0], own, "in rank order");
    assert_eq!(ids(&s["selected"])[0], own, "undecided counts as accepted");

    // Declined from the page: listed as ineligible, and 別紙1 says so.
    let mut declined = form.clone();
    declined.push(format!("decision_{own}=decline"));
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{base}/ranking"),
            &declined.join("&"),
        )
        .await;
    assert!(r.body.contains("順位を保存し"), "{}", r.body);
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(
        s["decisions"],
        json!([{"application": own, "decision": "decline"}])
    );
    assert!(!ids(&s["undecided"]).contains(&own));
    let ineligible = s["ineligible"]
        .as_array()
        .expect("ineligible")
        .iter()
        .find(|i| i["application"] == own)
        .expect("declined is listed as ineligible");
    assert!(
        ineligible["reasons"]
            .to_string()
            .contains("declined_by_prefecture"),
        "{ineligible}"
    );
    assert_eq!(
        stored()
            .await
            .iter()
            .find(|r| r.application_id == own)
            .expect("ranked")
            .reasons,
        vec![mamori_domain::assurance::RankReason::RegionalEmergencyRole],
        "the reason stays"
    );
    let xlsx = {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(format!("{base}/list.xlsx"))
                    .header(header::COOKIE, tokyo.cookie.clone())
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
    };
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).expect("xlsx");
    use calamine::Reader;
    let range = workbook.worksheet_range("別紙1").expect("sheet");
    let row = range
        .rows()
        .find(|r| r.iter().any(|c| *c == "みなと中央病院"))
        .expect("row of the hospital");
    let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
    assert!(cells.iter().any(|c| c == "選定しない"), "{cells:?}");
    // Accepted: selected again.
    let mut accepted = form.clone();
    accepted.push(format!("decision_{own}=accept"));
    app.post_form_and_follow(
        &tokyo.cookie,
        &format!("{base}/ranking"),
        &accepted.join("&"),
    )
    .await;
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(
        s["decisions"],
        json!([{"application": own, "decision": "accept"}])
    );
    assert_eq!(ids(&s["selected"])[0], own);

    // A withdrawal shows who moved up, or the unused slot.
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{base}/withdraw"),
            &format!(
                "csrf={}&application_id={own}&reason=%E6%97%A5%E7%A8%8B&date={year}-09-01",
                tokyo.csrf
            ),
        )
        .await;
    assert!(r.body.contains("辞退を記録しました"), "{}", r.body);
    let s = selection(tokyo_token).await;
    let withdrawn = &s["withdrawn"][0];
    assert_eq!(withdrawn["application"], own);
    let expected = match withdrawn["replaced_by"].as_i64() {
        Some(id) => format!(
            "<td>{}</td></tr>",
            app.state
                .store
                .prefecture_book(fy, tokyo_pref)
                .await
                .expect("book")
                .expect("programme")
                .application(id)
                .expect("replacement")
                .institution_name
        ),
        None => "枠は未使用".to_owned(),
    };
    assert!(r.body.contains(&expected), "{expected}: {}", r.body);
}

// ----- training --------------------------------------------------------------------------

/// Publishes a course and a session starting in ten days with the given capacity (as the
/// operator, through the API); returns the session's id.
async fn open_training_session(app: &TestApp, capacity: i64) -> i64 {
    let operator = app.token("demo-operator").await;
    let r = app
        .api(
            "POST",
            "/api/v1/training/courses",
            Some(&operator),
            Some(json!({"title_ja": "試験用コース", "title_en": "Test course", "audience": "beginner", "format": "online"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let course = r.json()["id"].as_i64().expect("course id");
    let day = mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(10);
    let r = app
        .api(
            "POST",
            "/api/v1/training/sessions",
            Some(&operator),
            Some(json!({
                "course_id": course,
                "starts_at": format!("{day}T16:00"),
                "ends_at": format!("{day}T18:00"),
                "registration_deadline": format!("{}T13:00", day - chrono::Duration::days(3)),
                "capacity": capacity,
                "venue": "オンライン（Zoom）",
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().expect("session id")
}

/// The session as `GET /api/v1/training/sessions` shows it to the caller.
async fn training_session_json(app: &TestApp, token: &str, id: i64) -> Value {
    let list = app
        .api("GET", "/api/v1/training/sessions", Some(token), None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.json()["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .expect("the session is listed")
}

async fn register_json(app: &TestApp, token: &str, session: i64, name: &str) -> Response {
    app.api(
        "POST",
        &format!("/api/v1/training/sessions/{session}/registrations"),
        Some(token),
        Some(json!({"participant_name": name})),
    )
    .await
}

async fn training_registration_waitlist_and_cancellation(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let hospital = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    let clinic = app.token("demo-clinic").await;
    let kagoshima = app.token("demo-hospital-46").await;

    let s = training_session_json(app, &hospital, session).await;
    assert_eq!(s["availability"], "open");
    assert_eq!(s["seats_left"], 2);

    let a = register_json(app, &hospital, session, "山田 太郎").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["status"], "registered");
    let a = a.json()["registration_id"].as_i64().expect("id");
    let b = register_json(app, &clinic, session, "田中 一郎")
        .await
        .json();
    assert_eq!(b["status"], "registered");
    // Full: the next two go on the waitlist, in order.
    let c = register_json(app, &kagoshima, session, "西郷 花子").await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.json()["status"], "waitlisted");
    let c = c.json()["registration_id"].as_i64().expect("id");
    let d = register_json(app, &staff, session, "佐藤 次郎")
        .await
        .json();
    assert_eq!(d["status"], "waitlisted");
    let d = d["registration_id"].as_i64().expect("id");

    let s = training_session_json(app, &kagoshima, session).await;
    assert_eq!(s["availability"], "waitlist_only");
    assert_eq!(s["waitlisted"], 2);
    let mine = s["my_registrations"].as_array().expect("mine");
    assert_eq!(mine.len(), 1, "only the caller's own places are shown: {s}");
    assert_eq!(mine[0]["waitlist_position"], 1);
    let s = training_session_json(app, &hospital, session).await;
    let places: Vec<(i64, String)> = s["my_registrations"]
        .as_array()
        .expect("mine")
        .iter()
        .map(|p| {
            (
                p["registration_id"].as_i64().expect("id"),
                p["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        places,
        vec![(a, "registered".to_owned()), (d, "waitlisted".to_owned())],
        "staff and admin of one institution see its places together"
    );

    // The hospital gives its seat back: the first on the waitlist (Kagoshima) moves up.
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/registrations/{a}"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["promoted"], 1);
    let s = training_session_json(app, &kagoshima, session).await;
    assert_eq!(s["my_registrations"][0]["registration_id"], c);
    assert_eq!(s["my_registrations"][0]["status"], "registered");
    let s = training_session_json(app, &hospital, session).await;
    let d_now = s["my_registrations"]
        .as_array()
        .expect("mine")
        .iter()
        .find(|p| p["registration_id"] == d)
        .cloned()
        .expect("d");
    assert_eq!(d_now["status"], "waitlisted");
    assert_eq!(d_now["waitlist_position"], 1, "d is now first in line");
    // A cancelled participant may register again (and queues behind).
    let again = register_json(app, &hospital, session, "山田　太郎").await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.json()["status"], "waitlisted");
    // Every change has its audit entry, and the chain holds.
    let verification = app.state.store.verify_audit_chain().await.expect("verify");
    assert!(verification.problem.is_none(), "{verification:?}");
}

async fn training_bad_input_changes_nothing(app: &TestApp) {
    let session = open_training_session(app, 1).await;
    let hospital = app.token("demo-hospital").await;
    let clinic = app.token("demo-clinic").await;
    let operator = app.token("demo-operator").await;
    let national = app.token("demo-national").await;
    let mine = register_json(app, &hospital, session, "山田 太郎")
        .await
        .json()["registration_id"]
        .as_i64()
        .expect("id");
    let places = || async {
        app.state
            .store
            .training_session_registrations(session)
            .await
            .expect("places")
            .into_iter()
            .map(|p| (p.id, p.status))
            .collect::<Vec<_>>()
    };
    let before = places().await;
    let audit_before = app
        .state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit")
        .len();

    // The same participant again (full-width space, extra spaces): refused.
    let r = register_json(app, &hospital, session, "  山田　太郎 ").await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "already_registered");
    // Another institution's place cannot be cancelled, nor an unknown one.
    for id in [mine.to_string(), "999999".into(), "abc".into()] {
        let r = app
            .api(
                "DELETE",
                &format!("/api/v1/training/registrations/{id}"),
                Some(&clinic),
                None,
            )
            .await;
        r.assert_bilingual_error(StatusCode::NOT_FOUND, "registration_not_found");
    }
    // The operator and the national office hold no place of their own.
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/registrations/{mine}"),
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "registration_not_found");
    let r = register_json(app, &national, session, "厚労 太郎").await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "institution_users_only");
    // Unknown sessions.
    for id in ["999999", "0", "-1", "x"] {
        let r = register_json(app, &hospital, id.parse().unwrap_or(999_999), "山田 花子").await;
        r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
        let r = app
            .api(
                "POST",
                &format!("/api/v1/training/sessions/{id}/registrations"),
                Some(&hospital),
                Some(json!({"participant_name": "山田 花子"})),
            )
            .await;
        r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    }
    // Bad names and bodies.
    for body in [
        json!({"participant_name": "   "}),
        json!({"participant_name": "あ".repeat(101)}),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/training/sessions/{session}/registrations"),
                Some(&hospital),
                Some(body),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    }
    // A control character is refused before the handler, naming the field.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/sessions/{session}/registrations"),
            Some(&hospital),
            Some(json!({"participant_name": "a\u{7}b"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "participant_name");
    for body in [
        json!({}),
        json!({"participant_name": 3}),
        json!({"name": "x"}),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/training/sessions/{session}/registrations"),
                Some(&hospital),
                Some(body),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    }
    // After the deadline: the demo's past session.
    let past = app
        .state
        .store
        .training_sessions()
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.rules.starts_at < mamori_web::training::api::now_in_japan())
        .expect("the demo has a past session");
    let past_before = app
        .state
        .store
        .training_session_registrations(past.id)
        .await
        .expect("places")
        .len();
    let r = register_json(app, &clinic, past.id, "田中 一郎").await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "registration_closed");
    assert!(
        r.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("締め切りました")
    );
    assert_eq!(
        app.state
            .store
            .training_session_registrations(past.id)
            .await
            .expect("places")
            .len(),
        past_before
    );
    // Sessions that make no sense are refused.
    let course = app.state.store.training_courses().await.expect("courses")[0].id;
    for (body, field) in [
        (
            json!({"course_id": course, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T15:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": "Zoom"}),
            "ends_at",
        ),
        (
            json!({"course_id": course, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-11T13:00", "capacity": 10, "venue": "Zoom"}),
            "registration_deadline",
        ),
        (
            json!({"course_id": course, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 0, "venue": "Zoom"}),
            "capacity",
        ),
        (
            json!({"course_id": course, "starts_at": "10 January", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": "Zoom"}),
            "starts_at",
        ),
        (
            json!({"course_id": course, "starts_at": "12030-01-10T16:00", "ends_at": "12030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": "Zoom"}),
            "starts_at",
        ),
        (
            json!({"course_id": course, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": " "}),
            "venue",
        ),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/training/sessions",
                Some(&operator),
                Some(body),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], field, "{}", r.body);
    }
    let r = app
        .api("POST", "/api/v1/training/sessions", Some(&operator), Some(json!({"course_id": 999999, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": "Zoom"})))
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_course");
    let r = app
        .api(
            "POST",
            "/api/v1/training/courses",
            Some(&operator),
            Some(json!({"title_ja": "x", "audience": "everyone", "format": "online"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    let r = app
        .api(
            "POST",
            "/api/v1/training/courses",
            Some(&hospital),
            Some(json!({"title_ja": "x", "audience": "beginner", "format": "online"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    // Attendance before the session has started.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/registrations/{mine}/attendance"),
            Some(&operator),
            Some(json!({"attended": true})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "session_not_started");

    assert_eq!(places().await, before, "nothing changed");
    let audit_after = app
        .state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit")
        .len();
    let logins = 4;
    assert!(
        audit_after <= audit_before + logins,
        "no change was written: {audit_before} → {audit_after}"
    );
}

async fn training_last_seat_goes_to_exactly_one(app: &TestApp) {
    // A second server on the same database: the seat is decided by the database's lock, not
    // by one process's queue.
    let second_store = Store::connect(&app.url).await.expect("second store");
    let key = app.state.store.audit_key().expect("key").clone();
    second_store
        .open_audit_log(key, None)
        .await
        .expect("same key");
    let catalog = Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
    let second = mamori_web::router(AppState::new(
        second_store.clone(),
        catalog,
        WebConfig::default(),
    ));
    let tokens = [
        app.token("demo-hospital").await,
        app.token("demo-clinic").await,
        app.token("demo-pharmacy").await,
        app.token("demo-hospital-46").await,
        app.token("demo-hospital-staff").await,
    ];
    for round in 0..3 {
        let session = open_training_session(app, 1).await;
        let requests: Vec<(usize, String, Request<Body>)> = (0..10)
            .map(|n| {
                let token = &tokens[n % tokens.len()];
                let request =
                    Request::post(format!("/api/v1/training/sessions/{session}/registrations"))
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(
                            json!({"participant_name": format!("同時 {round}-{n}")}).to_string(),
                        ))
                        .expect("request");
                (n, token.clone(), request)
            })
            .collect();
        let handles: Vec<_> = requests
            .into_iter()
            .map(|(n, _, request)| {
                let router = if n % 2 == 0 {
                    app.router.clone()
                } else {
                    second.clone()
                };
                tokio::spawn(async move {
                    let response = router.oneshot(request).await.expect("infallible");
                    let status = response.status();
                    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
                    (status, String::from_utf8_lossy(&body).into_owned())
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for h in handles {
            let (status, body) = h.await.expect("task");
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let v: Value = serde_json::from_str(&body).expect("json");
            statuses.push(v["status"].as_str().expect("status").to_owned());
        }
        let seats = statuses.iter().filter(|s| *s == "registered").count();
        let waiting = statuses.iter().filter(|s| *s == "waitlisted").count();
        assert_eq!((seats, waiting), (1, 9), "round {round}: {statuses:?}");
        let stored = app
            .state
            .store
            .training_session_registrations(session)
            .await
            .expect("places");
        assert_eq!(stored.len(), 10);
        assert_eq!(
            stored.iter().filter(|p| p.status.holds_seat()).count(),
            1,
            "exactly one seat is stored"
        );
        let positions: Vec<i64> = stored.iter().filter_map(|p| p.waitlist_position).collect();
        assert_eq!(
            positions,
            (1..=9).collect::<Vec<_>>(),
            "one ordered waitlist"
        );
    }
    second_store.close().await;
    let verification = app.state.store.verify_audit_chain().await.expect("verify");
    assert!(verification.problem.is_none(), "{verification:?}");
}

async fn training_operator_attendance_export_and_record(app: &TestApp) {
    let year = app.year();
    let operator = app.token("demo-operator").await;
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    // The demo's past session has recorded attendance; the operator sees every place.
    let past = app
        .state
        .store
        .training_sessions()
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.rules.starts_at < mamori_web::training::api::now_in_japan())
        .expect("past session");
    let r = app
        .api(
            "GET",
            &format!("/api/v1/training/sessions/{}/registrations", past.id),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let places = r.json()["registrations"]
        .as_array()
        .expect("places")
        .clone();
    assert!(places.len() >= 2);
    assert!(places.iter().all(|p| p["status"] == "attended"));
    let place = places[0]["registration_id"].as_i64().expect("id");
    // Taking attendance back and recording it again.
    for (attended, status) in [(false, "registered"), (true, "attended")] {
        let r = app
            .api(
                "PUT",
                &format!("/api/v1/training/registrations/{place}/attendance"),
                Some(&operator),
                Some(json!({"attended": attended})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], status);
    }
    // The attendance list as .xlsx.
    let r = app
        .send(
            Request::get(format!(
                "/api/v1/training/sessions/{}/attendance.xlsx",
                past.id
            ))
            .header(header::AUTHORIZATION, format!("Bearer {operator}"))
            .body(Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    // The 480-bed hospital has met the yearly obligation; the 250-bed demo hospital is not
    // subject to it; a year without training leaves the large hospital short.
    let big = app
        .state
        .store
        .list_institutions(mamori_domain::InstitutionScope::All, 1000, 0)
        .await
        .expect("institutions")
        .into_iter()
        .find(|i| i.beds >= 400)
        .expect("a hospital of 400 beds or more");
    let past_year = FiscalYear::containing(past.rules.starts_at.date()).start_year();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{}/training/{past_year}", big.id),
            Some(&national),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let record = r.json();
    assert_eq!(record["subject_to_obligation"], true);
    assert_eq!(record["obligation"], "met");
    assert_eq!(record["attended"], 1);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{}/training/{}", big.id, past_year - 3),
            Some(&national),
            None,
        )
        .await;
    assert_eq!(r.json()["obligation"], "not_met");
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/training/{past_year}"),
            Some(&hospital),
            None,
        )
        .await;
    assert_eq!(r.json()["obligation"], "not_subject");
    assert!(!r.json()["lines"].as_array().expect("lines").is_empty());
    // Outside the caller's scope: not found.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{}/training/{year}", big.id),
            Some(&hospital),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The content library is the catalog's.
    let r = app
        .api("GET", "/api/v1/training/materials", Some(&hospital), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("https://mhlw-training.saj.or.jp/"));
}

async fn training_pages_register_waitlist_cancel_and_record(app: &TestApp) {
    let session = open_training_session(app, 1).await;
    let hospital = app.web_login("demo-hospital").await;
    let clinic = app.web_login("demo-clinic").await;
    let operator = app.web_login("demo-operator").await;
    let page = |cookie: String| async move {
        app.send(
            Request::get("/training")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    };
    let r = page(hospital.cookie.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("研修"), "Japanese by default");
    assert!(
        r.body
            .contains(&format!("/training/sessions/{session}/register"))
    );
    // Register for the last seat, then the clinic goes on the waitlist.
    let path = format!("/training/sessions/{session}/register");
    let r = app
        .post_form(
            &hospital.cookie,
            &path,
            &format!(
                "csrf={}&participant_name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E",
                hospital.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .contains("notice=registered")
    );
    let r = app
        .post_form(
            &clinic.cookie,
            &path,
            &format!("csrf={}&participant_name=Tanaka", clinic.csrf),
            false,
        )
        .await;
    assert!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .contains("notice=waitlisted")
    );
    // A double registration is shown on the page with the reason, as a 409.
    let r = app
        .post_form(
            &clinic.cookie,
            &path,
            &format!("csrf={}&participant_name=tanaka", clinic.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("既に申し込まれています"), "{}", r.body);
    // Without the CSRF token nothing happens.
    let r = app
        .post_form(
            &clinic.cookie,
            &path,
            "csrf=wrong&participant_name=Other",
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The clinic may not cancel the hospital's place.
    let places = app
        .state
        .store
        .training_session_registrations(session)
        .await
        .expect("places");
    let hospital_place = places[0].id;
    let r = app
        .post_form(
            &clinic.cookie,
            &format!("/training/registrations/{hospital_place}/cancel"),
            &format!("csrf={}", clinic.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The hospital cancels: the clinic moves up.
    let r = app
        .post_form(
            &hospital.cookie,
            &format!("/training/registrations/{hospital_place}/cancel"),
            &format!("csrf={}", hospital.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let places = app
        .state
        .store
        .training_session_registrations(session)
        .await
        .expect("places");
    assert_eq!(
        places[1].status,
        mamori_domain::training::RegistrationStatus::Registered
    );
    // The operator's pages: the session with its places, in English on request.
    let r = app
        .send(
            Request::get(format!("/training/sessions/{session}"))
                .header(
                    header::COOKIE,
                    format!("{}; mamori_lang=en", operator.cookie),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Tanaka") && r.body.contains("Participants and attendance"),
        "{}",
        r.body
    );
    let r = app
        .send(
            Request::get("/training/manage")
                .header(header::COOKIE, clinic.cookie.clone())
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The operator publishes a session through the form; bad input is explained.
    let r = app
        .post_form(
            &operator.cookie,
            "/training/sessions",
            &format!("csrf={}&course_id=1&starts_at=2030-01-10T16%3A00&ends_at=2030-01-10T18%3A00&registration_deadline=2030-01-12T13%3A00&capacity=5&venue=Zoom", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("申込締切は開始日時以前にしてください"),
        "{}",
        r.body
    );
    let r = app
        .post_form(
            &operator.cookie,
            "/training/sessions",
            &format!("csrf={}&course_id=1&starts_at=2030-01-10T16%3A00&ends_at=2030-01-10T18%3A00&registration_deadline=2030-01-05T13%3A00&capacity=5&venue=Zoom", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The library lists the portal and an empty list of lecturers, which the operator fills.
    let r = app
        .send(
            Request::get("/training/library")
                .header(header::COOKIE, hospital.cookie.clone())
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(r.body.contains("https://mhlw-training.saj.or.jp/"));
    assert!(
        r.body.contains("初動対応支援チーム"),
        "the demo's list of lecturers and technicians"
    );
    let r = app
        .post_form(
            &operator.cookie,
            "/training/lecturers",
            &format!("csrf={}&name=%E8%AC%9B%E5%B8%AB+%E4%B8%80&kind=lecturer&affiliation=&fields=Active+Directory", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The institution's record with the obligation banner.
    let year =
        FiscalYear::containing(mamori_web::training::api::now_in_japan().date()).start_year();
    let r = app
        .send(
            Request::get(format!("/institutions/{HOSPITAL}/training/{year}"))
                .header(header::COOKIE, hospital.cookie.clone())
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("data-obligation=\"not_subject\""),
        "{}",
        r.body
    );
}

// ----- インシデントかも? ------------------------------------------------------------------

/// How many audit entries of `action` there are.
async fn audit_count(app: &TestApp, action: &str) -> usize {
    app.state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// A session edit with the session's current values, as `GET /api/v1/training/sessions`
/// gives them.
fn session_edit(session: &Value) -> Value {
    json!({
        "version": session["version"],
        "starts_at": session["starts_at"],
        "ends_at": session["ends_at"],
        "registration_deadline": session["registration_deadline"],
        "capacity": session["capacity"],
        "venue": session["venue"],
    })
}

async fn training_sessions_and_courses_are_edited_and_withdrawn(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let operator = app.token("demo-operator").await;
    let hospital = app.token("demo-hospital").await;
    let clinic = app.token("demo-clinic").await;
    // Two seats taken, two waitlisted (the clinic first).
    let mut places = Vec::new();
    for (token, name) in [
        (&hospital, "一番 太郎"),
        (&hospital, "二番 花子"),
        (&clinic, "三番 次郎"),
        (&hospital, "四番 三郎"),
    ] {
        let r = register_json(app, token, session, name).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        places.push(r.json()["registration_id"].as_i64().expect("id"));
    }
    let before = training_session_json(app, &operator, session).await;
    assert_eq!(before["version"], 1);
    assert_eq!(before["waitlisted"], 2);
    let course = before["course"]["id"].as_i64().expect("course");

    // A capacity below the seats taken is refused, with the count, and changes nothing.
    let mut edit = session_edit(&before);
    edit["capacity"] = json!(1);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/sessions/{session}"),
            Some(&operator),
            Some(edit),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "capacity_below_seats");
    assert!(
        r.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("2名以上")
    );
    assert_eq!(training_session_json(app, &operator, session).await, before);

    // A larger capacity moves the waitlist up in order: one new seat, the first waitlisted.
    let mut edit = session_edit(&before);
    edit["capacity"] = json!(3);
    edit["venue"] = json!("https://zoom.example/j/123");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/sessions/{session}"),
            Some(&operator),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["promoted"], json!([places[2]]));
    assert_eq!(r.json()["version"], 2);
    let after = training_session_json(app, &clinic, session).await;
    assert_eq!(after["capacity"], 3);
    assert_eq!(after["venue"], "https://zoom.example/j/123");
    assert_eq!(after["my_registrations"][0]["status"], "registered");
    let hospital_view = training_session_json(app, &hospital, session).await;
    let fourth = hospital_view["my_registrations"]
        .as_array()
        .expect("places")
        .iter()
        .find(|p| p["registration_id"] == places[3])
        .cloned()
        .expect("the fourth place");
    assert_eq!(fourth["status"], "waitlisted");
    assert_eq!(fourth["waitlist_position"], 1);
    assert_eq!(audit_count(app, "training.session.update").await, 1);
    assert_eq!(audit_count(app, "training.promote").await, 1);

    // The same edit again, made on version 1: someone else changed it since.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/sessions/{session}"),
            Some(&operator),
            Some(edit),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");
    assert!(
        r.json()["error"]["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("他の人")
    );
    assert_eq!(audit_count(app, "training.session.update").await, 1);

    // The course: its fields change on the version read; a stale edit is refused.
    let courses = app
        .api("GET", "/api/v1/training/courses", Some(&operator), None)
        .await
        .json();
    let version = courses["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .find(|c| c["id"] == course)
        .map(|c| c["version"].clone())
        .expect("the course");
    let body = json!({"version": version, "title_ja": "改訂版コース", "title_en": "Revised course", "audience": "manager", "format": "workshop", "description_ja": "内容を改めました"});
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/courses/{course}"),
            Some(&operator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    let shown = training_session_json(app, &hospital, session).await;
    assert_eq!(shown["course"]["title_ja"], "改訂版コース");
    assert_eq!(shown["course"]["audience"], "manager");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/courses/{course}"),
            Some(&operator),
            Some(body),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");

    // Withdrawn: the places are kept and marked, nobody joins, it leaves the open lists.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/sessions/{session}/withdraw"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(audit_count(app, "training.session.withdraw").await, 1);
    let seen = training_session_json(app, &hospital, session).await;
    assert_eq!(seen["availability"], "withdrawn");
    assert_eq!(seen["notice_ja"], "この回は中止になりました");
    assert_eq!(seen["notice_en"], "this session has been withdrawn");
    assert_eq!(seen["my_registrations"].as_array().map(Vec::len), Some(3));
    assert!(seen["withdrawn_at"].is_string());
    let others = app.token("demo-hospital-46").await;
    let list = app
        .api("GET", "/api/v1/training/sessions", Some(&others), None)
        .await
        .json();
    assert!(
        !list["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .any(|s| s["id"] == session),
        "a withdrawn session leaves the open lists"
    );
    let r = register_json(app, &others, session, "五番 四郎").await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/registrations/{}", places[0]),
            Some(&hospital),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/sessions/{session}"),
            Some(&operator),
            Some(session_edit(&seen)),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/sessions/{session}/withdraw"),
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    // The institution's record marks the place.
    let fy = FiscalYear::containing(
        mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(10),
    )
    .start_year();
    let record = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/training/{fy}"),
            Some(&hospital),
            None,
        )
        .await
        .json();
    assert!(
        record["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter(|l| l["session_id"] == session)
            .all(|l| l["session_withdrawn"] == true)
    );

    // Withdrawing a course withdraws its sessions not yet held, not those already held.
    let past = app
        .state
        .store
        .training_sessions()
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.rules.starts_at < mamori_web::training::api::now_in_japan())
        .expect("the demo's past session");
    let day = mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(20);
    let r = app
        .api(
            "POST",
            "/api/v1/training/sessions",
            Some(&operator),
            Some(json!({
                "course_id": past.course.id,
                "starts_at": format!("{day}T10:00"),
                "ends_at": format!("{day}T12:00"),
                "registration_deadline": format!("{day}T09:00"),
                "capacity": 5,
                "venue": "オンライン",
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let upcoming = r.json()["id"].as_i64().expect("id");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/courses/{}/withdraw", past.course.id),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["sessions_withdrawn"], json!([upcoming]));
    let still = app
        .state
        .store
        .training_session(past.id)
        .await
        .expect("read")
        .expect("the past session");
    assert!(
        !still.is_withdrawn(),
        "a session already held keeps its record"
    );
    assert!(still.course.withdrawn_at.is_some());
    let r = app
        .api(
            "POST",
            "/api/v1/training/sessions",
            Some(&operator),
            Some(json!({
                "course_id": past.course.id,
                "starts_at": format!("{day}T14:00"),
                "ends_at": format!("{day}T15:00"),
                "registration_deadline": format!("{day}T09:00"),
                "capacity": 5,
                "venue": "オンライン",
            })),
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "course_withdrawn");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/courses/{}/withdraw", past.course.id),
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "course_withdrawn");
}

async fn training_edits_refuse_bad_input_and_change_nothing(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let operator = app.token("demo-operator").await;
    let hospital = app.token("demo-hospital").await;
    let r = register_json(app, &hospital, session, "一番 太郎").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let before = training_session_json(app, &operator, session).await;
    let course = before["course"]["id"].as_i64().expect("course");
    let audit_before = app.audit_changes().await;
    // Institutions' users and vendors may not edit or withdraw.
    for login in [
        "demo-hospital",
        "demo-clinic",
        "demo-vendor",
        "demo-inspector-13",
    ] {
        let token = app.token(login).await;
        for (method, path, body) in [
            (
                "PUT",
                format!("/api/v1/training/sessions/{session}"),
                Some(session_edit(&before)),
            ),
            (
                "POST",
                format!("/api/v1/training/sessions/{session}/withdraw"),
                None,
            ),
            (
                "PUT",
                format!("/api/v1/training/courses/{course}"),
                Some(
                    json!({"version": 1, "title_ja": "乗っ取り", "audience": "beginner", "format": "online"}),
                ),
            ),
            (
                "POST",
                format!("/api/v1/training/courses/{course}/withdraw"),
                None,
            ),
        ] {
            let r = app.api(method, &path, Some(&token), body).await;
            r.assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
        }
    }
    // Bad input from the operator: the field named, in both languages.
    let put = |body: Value| {
        let path = format!("/api/v1/training/sessions/{session}");
        let token = operator.clone();
        async move { app.api("PUT", &path, Some(&token), Some(body)).await }
    };
    for (field, value, named) in [
        ("capacity", json!(-1), "capacity"),
        ("capacity", json!(0), "capacity"),
        ("capacity", json!(100_000), "capacity"),
        (
            "registration_deadline",
            json!(format!(
                "{}T17:00",
                before["starts_at"]
                    .as_str()
                    .unwrap_or_default()
                    .get(..10)
                    .unwrap_or_default()
            )),
            "registration_deadline",
        ),
        ("ends_at", before["starts_at"].clone(), "ends_at"),
        ("starts_at", json!("来週"), "starts_at"),
        ("venue", json!("  "), "venue"),
    ] {
        let mut edit = session_edit(&before);
        edit[field] = value;
        let r = put(edit).await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], named, "{}", r.body);
    }
    for body in [
        "{\"version\": 1, \"capacity\": ",
        "{\"version\": 1}",
        "{\"capacity\": 3}",
        "[]",
    ] {
        let r = app
            .raw(
                "PUT",
                &format!("/api/v1/training/sessions/{session}"),
                &operator,
                "application/json",
                body,
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    }
    let mut extra = session_edit(&before);
    extra["course_id"] = json!(1);
    put(extra)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let r = app
        .api(
            "PUT",
            "/api/v1/training/sessions/999999",
            Some(&operator),
            Some(session_edit(&before)),
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    let r = app
        .api(
            "POST",
            "/api/v1/training/sessions/abc/withdraw",
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    for (body, code) in [
        (
            json!({"version": 1, "title_ja": "", "audience": "beginner", "format": "online"}),
            "invalid_value",
        ),
        (
            json!({"version": 1, "title_ja": "A", "audience": "everyone", "format": "online"}),
            "invalid_value",
        ),
        (
            json!({"title_ja": "A", "audience": "beginner", "format": "online"}),
            "invalid_body",
        ),
    ] {
        let r = app
            .api(
                "PUT",
                &format!("/api/v1/training/courses/{course}"),
                Some(&operator),
                Some(body),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let r = app
        .api(
            "PUT",
            "/api/v1/training/courses/999999",
            Some(&operator),
            Some(
                json!({"version": 1, "title_ja": "A", "audience": "beginner", "format": "online"}),
            ),
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_course");
    // Nothing changed.
    assert_eq!(training_session_json(app, &operator, session).await, before);
    assert_eq!(app.audit_changes().await, audit_before, "nothing audited");
}

async fn training_lecturers_are_listed_and_kept(app: &TestApp) {
    let operator = app.token("demo-operator").await;
    let staff = app.token("demo-hospital-staff").await;
    let list = |token: String| async move {
        let r = app
            .api("GET", "/api/v1/training/lecturers", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["lecturers"]
            .as_array()
            .cloned()
            .expect("lecturers")
    };
    // Anyone signed in reads the list (the demo's two entries).
    let demo = list(staff.clone()).await;
    assert_eq!(demo.len(), 2);
    assert!(demo.iter().any(|l| l["kind"] == "technician"));
    let r = app
        .api("GET", "/api/v1/training/lecturers", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let entry = json!({"name": "佐々木 健", "kind": "technician", "affiliation": "初動対応支援", "fields": "ログ保全"});
    for login in ["demo-hospital", "demo-vendor", "demo-prefecture-13"] {
        let token = app.token(login).await;
        let r = app
            .api(
                "POST",
                "/api/v1/training/lecturers",
                Some(&token),
                Some(entry.clone()),
            )
            .await;
        r.assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    }
    let r = app
        .api(
            "POST",
            "/api/v1/training/lecturers",
            Some(&operator),
            Some(entry),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(list(staff.clone()).await.len(), 3);
    // Bad entries: the field named; nothing added or changed.
    for (body, field) in [
        (
            json!({"name": "", "kind": "lecturer", "fields": "x"}),
            Some("name"),
        ),
        (
            json!({"name": "A", "kind": "guest", "fields": "x"}),
            Some("kind"),
        ),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "  "}),
            Some("fields"),
        ),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "x".repeat(201)}),
            Some("fields"),
        ),
        (json!({"name": "A", "kind": "lecturer"}), None),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "x", "phone": "1"}),
            None,
        ),
    ] {
        for (method, path) in [
            ("POST", "/api/v1/training/lecturers".to_owned()),
            ("PUT", format!("/api/v1/training/lecturers/{id}")),
        ] {
            let r = app
                .api(method, &path, Some(&operator), Some(body.clone()))
                .await;
            match field {
                Some(f) => {
                    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
                    assert_eq!(r.json()["error"]["field"], f);
                }
                None => r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            }
        }
    }
    let now = list(staff.clone()).await;
    assert_eq!(now.len(), 3);
    assert!(
        now.iter()
            .any(|l| l["id"] == id && l["fields"] == "ログ保全")
    );

    let change = json!({"name": "佐々木 健", "kind": "lecturer", "affiliation": "", "fields": "ログ保全、訓練"});
    let clinic = app.token("demo-clinic").await;
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/lecturers/{id}"),
            Some(&clinic),
            Some(change.clone()),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/training/lecturers/{id}"),
            Some(&operator),
            Some(change.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shown = list(staff.clone()).await;
    let entry = shown.iter().find(|l| l["id"] == id).expect("the entry");
    assert_eq!(entry["kind"], "lecturer");
    assert_eq!(entry["fields"], "ログ保全、訓練");
    let r = app
        .api(
            "PUT",
            "/api/v1/training/lecturers/999999",
            Some(&operator),
            Some(change),
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_lecturer");

    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/lecturers/{id}"),
            Some(&staff),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/lecturers/{id}"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/training/lecturers/{id}"),
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_lecturer");
    assert_eq!(list(staff).await.len(), 2);
    for action in [
        "training.lecturer.add",
        "training.lecturer.update",
        "training.lecturer.delete",
    ] {
        assert!(audit_count(app, action).await >= 1, "{action} audited");
    }

    // The page: the operator edits and removes; others see the list only.
    let web = app.web_login("demo-operator").await;
    let page = app.get_page(&web.cookie, "/training/library").await;
    let first = demo[0]["id"].as_i64().expect("id");
    assert!(
        page.body
            .contains(&format!("/training/lecturers/{first}/edit"))
    );
    let staff_web = app.web_login("demo-hospital-staff").await;
    let page = app.get_page(&staff_web.cookie, "/training/library").await;
    assert!(page.body.contains("初動対応支援チーム") && !page.body.contains("/edit\""));
    let r = app
        .get_page(
            &staff_web.cookie,
            &format!("/training/lecturers/{first}/edit"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Adding without a name: the field is marked with its message, the rest kept.
    let r = app
        .post_form(
            &web.cookie,
            "/training/lecturers",
            &format!(
                "csrf={}&name=&kind=technician&affiliation=X%E7%97%85%E9%99%A2&fields=VPN",
                web.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"lecturer-name-error\">氏名を入力してください"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"X病院\""));
    assert_eq!(list(app.token("demo-operator").await).await.len(), 2);
    let r = app
        .get_page(&web.cookie, &format!("/training/lecturers/{first}/edit"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post_form(
            &web.cookie,
            &format!("/training/lecturers/{first}/edit"),
            &format!(
                "csrf={}&name=%E9%AB%98%E6%A9%8B+%E8%AA%A0&kind=lecturer&affiliation=&fields=BCP",
                web.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &web.cookie,
            &format!("/training/lecturers/{first}/delete"),
            "csrf=wrong",
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");
    let r = app
        .post_form(
            &web.cookie,
            &format!("/training/lecturers/{first}/delete"),
            &format!("csrf={}", web.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(list(app.token("demo-operator").await).await.len(), 1);
}

async fn training_edit_pages_mark_fields_and_withdraw(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let hospital_token = app.token("demo-hospital").await;
    for name in ["一番 太郎", "二番 花子"] {
        let r = register_json(app, &hospital_token, session, name).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let operator = app.web_login("demo-operator").await;
    let hospital = app.web_login("demo-hospital").await;
    let edit_path = format!("/training/sessions/{session}/edit");
    let r = app.get_page(&hospital.cookie, &edit_path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let manage = app.get_page(&operator.cookie, "/training/manage").await;
    assert!(
        manage.body.contains(&edit_path),
        "the operator's list links to the edit page"
    );
    let page = app.get_page(&operator.cookie, &edit_path).await;
    assert_eq!(page.status, StatusCode::OK);
    let version = page.hidden("version").expect("version field");
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page
            .body
            .find(&marker)
            .map(|i| i + marker.len())
            .unwrap_or_default();
        let end = page.body[start..].find('"').unwrap_or_default();
        page.body[start..start + end].to_owned()
    };
    let form = |version: &str, capacity: &str, deadline: &str| {
        format!(
            "csrf={}&version={version}&starts_at={}&ends_at={}&registration_deadline={deadline}&capacity={capacity}&venue=Zoom",
            operator.csrf,
            field("starts_at"),
            field("ends_at"),
        )
    };
    let deadline = field("registration_deadline");
    // A negative capacity and a deadline after the start: each marked at its field.
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "-3", &deadline),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"capacity-error\">定員は1〜10000人で指定してください"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("name=\"capacity\" value=\"-3\""),
        "the value typed is kept"
    );
    let late = format!("{}T23:00", &field("starts_at")[..10]);
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "5", &late),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"registration_deadline-error\">申込締切は開始日時以前にしてください")
    );
    // Below the seats taken: refused at the capacity field.
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "1", &deadline),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"capacity-error\">定員を1名にはできません"),
        "{}",
        r.body
    );
    // Without the CSRF token: refused.
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "5", &deadline).replace(&operator.csrf, "x"),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let unchanged = app
        .state
        .store
        .training_session(session)
        .await
        .expect("read")
        .expect("session");
    assert_eq!((unchanged.version, unchanged.rules.capacity), (1, 2));
    // Saved; then the same form again is a stale edit, shown with the stored values.
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "4", &deadline),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &operator.cookie,
            &edit_path,
            &form(&version, "6", &deadline),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("他の人がこの内容を変更しました"));
    assert!(
        r.body.contains("name=\"capacity\" value=\"4\"")
            && r.body.contains("name=\"version\" value=\"2\"")
    );
    // Withdrawing asks for the box to be ticked.
    let withdraw = format!("/training/sessions/{session}/withdraw");
    let r = app
        .post_form(
            &operator.cookie,
            &withdraw,
            &format!("csrf={}", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("確認欄にチェック"));
    let r = app
        .post_form(
            &hospital.cookie,
            &withdraw,
            &format!("csrf={}&confirm=yes", hospital.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !app.state
            .store
            .training_session(session)
            .await
            .expect("read")
            .expect("session")
            .is_withdrawn()
    );
    let r = app
        .post_form(
            &operator.cookie,
            &withdraw,
            &format!("csrf={}&confirm=yes", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The registrant sees it on /training; the form to register is gone.
    let page = app.get_page(&hospital.cookie, "/training").await;
    let section = page
        .body
        .split(&format!("id=\"session-{session}\""))
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the withdrawn session is shown to its registrants");
    assert!(section.contains("この回は中止になりました"));
    assert!(!section.contains("/register") && !section.contains("/cancel"));
    let fy = FiscalYear::containing(unchanged.rules.starts_at.date()).start_year();
    let record = app
        .get_page(
            &hospital.cookie,
            &format!("/institutions/{HOSPITAL}/training/{fy}"),
        )
        .await;
    assert!(
        record.body.contains("この回は中止になりました"),
        "the record marks the places"
    );
    let operator_view = app
        .get_page(&operator.cookie, &format!("/training/sessions/{session}"))
        .await;
    assert!(operator_view.body.contains("この回は中止になりました"));
    assert!(
        !operator_view.body.contains(&edit_path),
        "no edit link once withdrawn"
    );
    let clinic = app.web_login("demo-clinic").await;
    let page = app.get_page(&clinic.cookie, "/training").await;
    assert!(
        !page.body.contains(&format!("id=\"session-{session}\"")),
        "gone from the open list"
    );
    // The course page: edit with a marked field, then withdraw.
    let course = unchanged.course.id;
    let course_path = format!("/training/courses/{course}/edit");
    let r = app.get_page(&operator.cookie, &course_path).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post_form(
            &operator.cookie,
            &course_path,
            &format!(
                "csrf={}&version=1&title_ja=&audience=beginner&format=online",
                operator.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"title_ja-error\">コース名を入力してください")
    );
    let r = app
        .post_form(
            &operator.cookie,
            &course_path,
            &format!(
                "csrf={}&version=1&title_ja=%E6%94%B9%E8%A8%82&audience=executive&format=workshop",
                operator.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &operator.cookie,
            &format!("/training/courses/{course}/withdraw"),
            &format!("csrf={}&confirm=yes", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let course = app
        .state
        .store
        .training_course(course)
        .await
        .expect("read")
        .expect("course");
    assert_eq!(course.title_ja, "改訂");
    assert!(course.withdrawn_at.is_some());
}

fn incident_body(symptoms: &[&str], systems: &[&str], care: &str) -> Value {
    json!({
        "symptoms": symptoms,
        "systems": systems,
        "started_at": "2026-01-05T08:30",
        "care_affected": care,
        "details": "受付の端末に英語の脅迫文が表示されている",
        "callback_phone": "03-1234-5678"
    })
}

async fn incident_cases(app: &TestApp) -> usize {
    app.state
        .store
        .incidents(mamori_store::CaseScope::Desk, None, 1000)
        .await
        .expect("cases")
        .len()
}

async fn incidents_are_reported_seen_and_handled(app: &TestApp) {
    // The demo's case (the hospital's, taken up by the desk) is there from the start.
    let demo_cases = incident_cases(app).await;
    assert_eq!(demo_cases, 1, "the demo has one consultation case");
    let demo_entries = app
        .state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action.starts_with("incident."))
        .count();
    let staff = app.token("demo-hospital-staff").await;
    let admin = app.token("demo-hospital").await;
    let operator = app.token("demo-operator").await;
    // Missing answers: every field named, in both languages, nothing stored.
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&staff),
            Some(json!({"symptoms": [], "systems": [], "started_at": "", "care_affected": ""})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = r.json()["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        paths,
        ["symptoms", "systems", "started_at", "care_affected"]
    );
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&staff),
            Some(json!({"systems": ["emr"]})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&staff),
            Some(incident_body(&["fire"], &["emr"], "maybe")),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(incident_cases(app).await, demo_cases, "nothing stored");
    // Those with no institution to report for are refused before their answers are read.
    for login in ["demo-vendor", "demo-inspector-13", "demo-operator"] {
        let token = app.token(login).await;
        let r = app
            .api(
                "POST",
                "/api/v1/incidents",
                Some(&token),
                Some(incident_body(&["ransom_note"], &["emr"], "yes")),
            )
            .await;
        r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    }

    // A low case first, then a critical one: the desk sees the critical one first.
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&admin),
            Some(incident_body(&["other"], &["other"], "no")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["urgency"], "low");
    let low = r.json()["case_id"].as_i64().expect("id");
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&staff),
            Some(incident_body(
                &["ransom_note", "files_encrypted"],
                &["emr", "network"],
                "yes",
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let case = created["case_id"].as_i64().expect("id");
    assert_eq!(created["urgency"], "critical");
    let steps: Vec<&str> = created["first_steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(steps[0], "isolate_network");
    for code in [
        "keep_power_on",
        "keep_evidence",
        "do_not_pay",
        "call_vendor",
        "report_authorities",
    ] {
        assert!(steps.contains(&code), "{code} in {steps:?}");
    }
    let calls = created["call_now"].as_array().expect("call now");
    assert!(
        calls.iter().any(|c| c["source"] == "chart"
            && c["phones"][0]["tel"]
                .as_str()
                .unwrap_or_default()
                .starts_with("tel:")),
        "the hospital's contact chart, with tel: links: {calls:?}"
    );
    // The demo chart names the ministry and the police: they are not added twice, and the
    // chart's order of calls is kept.
    assert_eq!(
        calls.iter().filter(|c| c["who_ja"] == "厚生労働省").count(),
        1,
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c["source"] == "national"),
        "{calls:?}"
    );
    let steps_of_calls: Vec<i64> = calls.iter().filter_map(|c| c["step"].as_i64()).collect();
    assert_eq!(steps_of_calls.len(), calls.len());
    assert!(
        steps_of_calls.windows(2).all(|w| w[0] <= w[1]),
        "{steps_of_calls:?}"
    );

    // The reporting institution and the desk see the case; nobody else does.
    for token in [&staff, &admin, &operator] {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{case}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["state"], "new");
        assert_eq!(r.json()["institution_id"], HOSPITAL);
    }
    for login in [
        "demo-clinic",
        "demo-hospital-46",
        "demo-inspector-13",
        "demo-prefecture-13",
        "demo-vendor",
    ] {
        let token = app.token(login).await;
        let r = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{case}"),
                Some(&token),
                None,
            )
            .await;
        r.assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api(
                "POST",
                &format!("/api/v1/incidents/{case}/notes"),
                Some(&token),
                Some(json!({"text": "見せて"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{login}: {}", r.body);
    }
    let clinic = app.token("demo-clinic").await;
    let r = app
        .api("GET", "/api/v1/incidents", Some(&clinic), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json().as_array().map(Vec::len),
        Some(0),
        "another institution's list is its own"
    );
    let inspector = app.token("demo-inspector-13").await;
    let r = app
        .api("GET", "/api/v1/incidents", Some(&inspector), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The desk's list: open cases, most urgent first.
    let r = app
        .api("GET", "/api/v1/incidents", Some(&operator), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = r.json();
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["case_id"].as_i64())
        .collect();
    // New cases first, most urgent first; the demo's case (対応中) after them.
    assert_eq!(ids.len(), 2 + demo_cases, "{list}");
    assert_eq!(ids[..2], [case, low]);
    let r = app
        .api(
            "GET",
            "/api/v1/incidents?state=bogus",
            Some(&operator),
            None,
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");

    // Two desk members taking up the low case at the same moment: exactly one succeeds,
    // the other is told the case already is in progress; one state change is recorded.
    let national = app.token("demo-national").await;
    let path = format!("/api/v1/incidents/{low}/state");
    let body = json!({"state": "in_progress"});
    let (a, b) = tokio::join!(
        app.api("PUT", &path, Some(&operator), Some(body.clone())),
        app.api("PUT", &path, Some(&national), Some(body))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.body,
        b.body
    );
    let r = app
        .api(
            "GET",
            &format!("/api/v1/incidents/{low}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json()["history"].as_array().map(Vec::len), Some(2));

    // Only the desk changes the state.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/incidents/{case}/state"),
            Some(&staff),
            Some(json!({"state": "resolved"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/incidents/{case}/state"),
            Some(&operator),
            Some(json!({"state": "in_progress"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "in_progress");
    for (state, code, status) in [
        ("in_progress", "state_unchanged", StatusCode::CONFLICT),
        ("new", "back_to_new", StatusCode::CONFLICT),
        ("bogus", "invalid_value", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = app
            .api(
                "PUT",
                &format!("/api/v1/incidents/{case}/state"),
                Some(&operator),
                Some(json!({"state": state})),
            )
            .await;
        r.assert_bilingual_error(status, code);
    }
    let r = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{case}/notes"),
            Some(&operator),
            Some(json!({"text": "  "})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{case}/notes"),
            Some(&operator),
            Some(
                json!({"text": "初動対応支援の技術者が向かいます。LANは抜いたままにしてください"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["side"], "desk");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/incidents/{case}/notes"),
            Some(&staff),
            Some(json!({"text": "PACSも開けなくなりました"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["side"], "institution");
    // The reporter sees the new state, the notes and the history.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/incidents/{case}"),
            Some(&staff),
            None,
        )
        .await;
    let seen = r.json();
    assert_eq!(seen["state"], "in_progress");
    assert_eq!(seen["notes"].as_array().map(Vec::len), Some(2));
    assert_eq!(seen["history"][1]["to"], "in_progress");
    assert_eq!(seen["history"][1]["changed_by"], "demo-operator");
    assert_eq!(seen["callback_phone"], "03-1234-5678");
    // Every change is in the audit log, without the free text.
    let entries = app
        .state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit");
    let incident_entries: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("incident."))
        .collect();
    assert_eq!(
        incident_entries.len(),
        6 + demo_entries,
        "two reports, two state changes, two notes (and the demo case's)"
    );
    assert!(
        incident_entries
            .iter()
            .all(|e| e.institution_id == Some(HOSPITAL))
    );
    assert!(!incident_entries.iter().any(|e| e.detail.contains("脅迫文")));
    assert_eq!(
        app.state
            .store
            .verify_audit_chain()
            .await
            .expect("verify")
            .problem,
        None
    );
    // The desk's read shows in the institution's access log.
    let log = app
        .get_page(
            &app.web_login("demo-hospital").await.cookie,
            &format!("/institutions/{HOSPITAL}/access-log"),
        )
        .await;
    assert!(
        log.body.contains("demo-operator"),
        "the desk's reads are logged"
    );

    // Without a contact chart: the institution's admins, then the ministry and the police.
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&clinic),
            Some(incident_body(&["strange_traffic"], &["network"], "no")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    assert_eq!(created["urgency"], "high");
    assert_eq!(created["call_now"][0]["source"], "institution_admin");
    assert_eq!(created["call_now"][0]["name"], "demo-clinic");
    let police = created["call_now"]
        .as_array()
        .expect("calls")
        .iter()
        .find(|c| c["link"].is_string())
        .expect("the police");
    assert_eq!(police["phones"][0]["tel"], "tel:%239110");
}

/// Whether a page's header links to a list of consultation cases.
fn links_to_case_list(body: &str) -> bool {
    body.contains("<a href=\"/incidents\">")
}

async fn incident_pages_report_and_desk(app: &TestApp) {
    let demo_cases = incident_cases(app).await;
    // Signed out: the steps and the public contacts, and a way to log in.
    let r = app
        .send(
            Request::get("/incidents/new")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("LANケーブルを抜き") && r.body.contains("tel:%239110"));
    assert!(r.body.contains("/login?next=%2Fincidents%2Fnew"));
    assert!(
        r.body
            .contains("class=\"incident-button\" href=\"/incidents/new\""),
        "the button is on every page"
    );
    let vendor = app.web_login("demo-vendor").await;
    let r = app.get_page(&vendor.cookie, "/incidents/new").await;
    assert!(r.body.contains("事業者の方は") && !r.body.contains("name=\"symptoms\""));

    let staff = app.web_login("demo-hospital-staff").await;
    let r = app.get_page(&staff.cookie, "/incidents/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"symptoms\" value=\"ransom_note\""));
    assert!(
        r.body.contains("<a href=\"/incidents\">相談の記録</a>"),
        "an institution's users reach their cases from the header"
    );
    assert!(!links_to_case_list(
        &app.get_page(&vendor.cookie, "/vendor").await.body
    ));
    // Missing answers: the form again, each missing answer named, nothing stored.
    let r = app
        .post_form(
            &staff.cookie,
            "/incidents",
            &format!(
                "csrf={}&symptoms=cannot_log_in&started_at=&details=%E7%94%BB%E9%9D%A2",
                staff.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("どのシステムですか") && r.body.contains("診療に影響がありますか"));
    assert!(
        r.body.contains("value=\"cannot_log_in\" checked"),
        "answers are kept"
    );
    assert_eq!(incident_cases(app).await, demo_cases);
    // Without the CSRF token: refused.
    let r = app
        .post_form(
            &staff.cookie,
            "/incidents",
            "symptoms=ransom_note&systems=emr&started_at=2026-01-05T08%3A30&care_affected=yes",
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            &staff.cookie,
            "/incidents",
            &format!("csrf={}&symptoms=ransom_note&symptoms=files_encrypted&systems=emr&started_at=2026-01-05T08%3A30&care_affected=yes", staff.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert!(to.ends_with("?sent=1"), "{to}");
    let page = app.get_page(&staff.cookie, &to).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "相談を受け付けました",
        "緊急",
        "今すぐ電話する",
        "href=\"tel:",
        "電源は切らない",
        "受付",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(
        !page.body.contains("/state\""),
        "the reporter has no state form"
    );
    let case: i64 = to
        .trim_start_matches("/incidents/")
        .trim_end_matches("?sent=1")
        .parse()
        .expect("case id");

    // The desk sees it first and changes its state; the reporter sees the new state.
    let operator = app.web_login("demo-operator").await;
    let list = app.get_page(&operator.cookie, "/incidents").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("href=\"/incidents/{case}\""))
            && list.body.contains("みなと中央病院")
    );
    let r = app
        .post_form(
            &staff.cookie,
            &format!("/incidents/{case}/state"),
            &format!("csrf={}&state=resolved", staff.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            &operator.cookie,
            &format!("/incidents/{case}/state"),
            &format!("csrf={}&state=in_progress", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &operator.cookie,
            &format!("/incidents/{case}/state"),
            &format!("csrf={}&state=in_progress", operator.csrf),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("すでに「対応中」"));
    let r = app
        .post_form(
            &operator.cookie,
            &format!("/incidents/{case}/notes"),
            &format!(
                "csrf={}&text=%E6%8A%98%E3%82%8A%E8%BF%94%E3%81%97%E3%81%BE%E3%81%99",
                operator.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get_page(&staff.cookie, &format!("/incidents/{case}"))
        .await;
    assert!(
        page.body.contains("id=\"case-state\">対応中"),
        "the reporter sees the new state"
    );
    assert!(page.body.contains("折り返します"));
    // Another institution: 404; English on request.
    let clinic = app.web_login("demo-clinic").await;
    assert_eq!(
        app.get_page(&clinic.cookie, &format!("/incidents/{case}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let english = app
        .send(
            Request::get(format!("/incidents/{case}"))
                .header(header::COOKIE, format!("{}; mamori_lang=en", staff.cookie))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(english.body.contains("Call now") && english.body.contains("In progress"));
}

// ----- support menu, subsidy estimates, suggestions -----------------------------------------

async fn support_menu_and_estimates_are_public(app: &TestApp) {
    // The menu needs no login: Tokyo's programmes and the national ones.
    let r = app
        .api(
            "GET",
            "/api/v1/support-programs?prefecture=13&fiscal_year=2026",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let menu = r.json();
    let programs = menu["programs"].as_array().expect("programs");
    let find = |id: &str| {
        programs
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {programs:?}"))
            .clone()
    };
    let equipment = find("tokyo-cybersecurity-equipment");
    assert_eq!(equipment["region"], "13");
    assert_eq!(equipment["phase"], "check");
    assert_eq!(equipment["provider"], "prefecture");
    assert_eq!(equipment["subsidy"]["rates"][0]["rate"], "1/2");
    assert_eq!(
        equipment["subsidy"]["standard_amounts"][0]["amount"],
        35_000_000
    );
    assert_eq!(
        equipment["eligible_items_ja"].as_array().map(Vec::len),
        Some(3)
    );
    let assurance = find("mhlw-security-assurance");
    assert_eq!(
        (assurance["region"].as_str(), assurance["status"].as_str()),
        (Some("national"), Some("closed"))
    );
    assert!(
        assurance["status_note_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("令和8年度の申請の受付は終了")
    );
    assert_eq!(find("tokyo-police-seminar")["provider"], "police");
    assert_eq!(find("meti-otasuketai")["provider"], "meti");
    assert!(
        menu["menus"].as_array().is_some_and(|m| m.len() == 2),
        "{menu}"
    );

    // Kagoshima has no menu of its own yet: the national programmes only.
    let r = app
        .api(
            "GET",
            "/api/v1/support-programs?prefecture=46&fiscal_year=2026",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let kagoshima = r.json();
    assert!(
        !kagoshima["programs"]
            .as_array()
            .expect("programs")
            .is_empty()
    );
    assert!(
        kagoshima["programs"]
            .as_array()
            .expect("programs")
            .iter()
            .all(|p| p["region"] == "national")
    );
    // Filters by phase and provider.
    let r = app
        .api("GET", "/api/v1/support-programs?prefecture=13&fiscal_year=2026&phase=grow&provider=prefecture", None, None)
        .await;
    let ids: Vec<String> = r.json()["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["tokyo-medical-dx-training"]);
    // A year without a menu is an empty list, not an error.
    let r = app
        .api(
            "GET",
            "/api/v1/support-programs?fiscal_year=2031",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["programs"].as_array().map(Vec::len), Some(0));

    // Estimates, by the rule of the programme: min(基準額, cost) × rate, rounded as stated.
    let estimate = |q: String| async move {
        let r = app
            .api("GET", &format!("/api/v1/subsidy-estimate?{q}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        r.json()
    };
    let e = estimate(
        "program=tokyo-cybersecurity-equipment&kind=hospital&beds=350&cost=30000000".into(),
    )
    .await;
    assert_eq!(e["standard_amount"], 12_500_000);
    assert_eq!(e["rate"], "1/2");
    assert_eq!(e["estimate"], 6_250_000);
    assert_eq!(e["rounding"], "floor_1000");
    assert!(
        e["formula_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("千円未満切り捨て"),
        "{e}"
    );
    assert!(
        e["formula_en"]
            .as_str()
            .unwrap_or_default()
            .starts_with("min(standard amount 12,500,000 yen"),
        "{e}"
    );
    for (kind, beds, cost, standard, expected) in [
        ("hospital", 620, 80_000_000, 35_000_000, 17_500_000),
        ("hospital", 120, 3_000_001, 5_000_000, 1_500_000),
        ("clinic_with_beds", 19, 9_000_000, 4_375_000, 2_187_000),
        ("clinic_without_beds", 0, 10_000_000, 3_750_000, 1_875_000),
    ] {
        let e = estimate(format!(
            "program=tokyo-cybersecurity-equipment&kind={kind}&beds={beds}&cost={cost}"
        ))
        .await;
        assert_eq!(
            (e["standard_amount"].as_i64(), e["estimate"].as_i64()),
            (Some(standard), Some(expected)),
            "{e}"
        );
    }
    let e = estimate(
        "program=tokyo-medical-dx-training&kind=clinic_without_beds&beds=0&cost=800000".into(),
    )
    .await;
    assert_eq!(
        (e["rate"].as_str(), e["estimate"].as_i64()),
        (Some("10/10"), Some(500_000))
    );
    let e = estimate(
        "program=meti-otasuketai&kind=pharmacy&beds=0&cost=600000&rate_option=small_business"
            .into(),
    )
    .await;
    assert_eq!(
        (
            e["rate"].as_str(),
            e["estimate"].as_i64(),
            e["standard_amount"].is_null()
        ),
        (Some("2/3"), Some(400_000), true)
    );
    let e = estimate(
        "program=meti-otasuketai&kind=hospital&beds=300&cost=9000000&rate_option=sme".into(),
    )
    .await;
    assert_eq!(
        (e["capped"].as_bool(), e["estimate"].as_i64()),
        (Some(true), Some(1_500_000))
    );
    let e = estimate(
        "program=meti-otasuketai&kind=hospital&beds=300&cost=90000&rate_option=sme".into(),
    )
    .await;
    assert_eq!(
        (e["below_minimum"].as_bool(), e["estimate"].as_i64()),
        (Some(true), Some(0))
    );
    // Typed as people type: commas, full-width digits, 円.
    let e = estimate("program=tokyo-cybersecurity-equipment&kind=hospital&beds=%EF%BC%93%EF%BC%95%EF%BC%90&cost=30%2C000%2C000%E5%86%86".into()).await;
    assert_eq!(e["estimate"], 6_250_000);

    // Pages: the menu and the estimator work without login and without JavaScript.
    let page = app.get_page("", "/support").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "知る",
        "育てる",
        "確認する",
        "医療機関診療情報サイバーセキュリティ対策支援事業",
        "受付終了",
        "https://mist.mhlw.go.jp/lp/",
        "警視庁",
    ] {
        assert!(page.body.contains(text), "{text} on /support");
    }
    let page = app.get_page("", "/support?provider=meti").await;
    assert!(page.body.contains("お助け隊") && !page.body.contains("医療DX人材育成支援事業"));
    let page = app.get_page("", "/support?phase=soon").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("フェーズ（phase）「soon」"),
        "{}",
        page.body
    );
    let page = app
        .get_page(
            "",
            "/support/programs/tokyo-cybersecurity-equipment?kind=hospital&beds=350&cost=30000000",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "6,250,000円",
        "12,500,000",
        "千円未満切り捨て",
        "リモートゲートウェイ装置",
        "id=\"estimate-result\"",
    ] {
        assert!(page.body.contains(text), "{text} on the estimator");
    }
    let page = app
        .get_page(
            "mamori_lang=en",
            "/support/programs/tokyo-cybersecurity-equipment?kind=hospital&beds=350&cost=30000000",
        )
        .await;
    assert!(
        page.body.contains("6,250,000 yen")
            && page.body.contains("rounded down to the thousand yen"),
        "English"
    );
    let page = app
        .get_page(
            "",
            "/support/programs/tokyo-cybersecurity-equipment?kind=pharmacy&beds=0&cost=1000000",
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("薬局は対象外です"), "{}", page.body);
    let page = app
        .get_page("", "/support/programs/no-such-programme")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

async fn subsidy_estimates_refuse_bad_input_clearly(app: &TestApp) {
    let ok = "program=tokyo-cybersecurity-equipment&kind=hospital&beds=350&cost=30000000";
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            ok.replace("kind=hospital&beds=350", "kind=pharmacy&beds=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind_not_covered",
        ),
        (
            ok.replace("cost=30000000", "cost=-1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_not_positive",
        ),
        (
            ok.replace("cost=30000000", "cost=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_not_positive",
        ),
        (
            ok.replace("cost=30000000", "cost=99999999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_too_large",
        ),
        (
            ok.replace("cost=30000000", "cost=99999999999999999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_whole_number",
        ),
        (
            ok.replace("cost=30000000", "cost=3.5"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_whole_number",
        ),
        (
            ok.replace("beds=350", "beds=-3"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=80000"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=99999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=12"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_do_not_fit_kind",
        ),
        (
            ok.replace("kind=hospital", "kind=dentist"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            ok.replace("&cost=30000000", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_parameter",
        ),
        (
            ok.replace("program=tokyo-cybersecurity-equipment&", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_parameter",
        ),
        (
            ok.replace("tokyo-cybersecurity-equipment", "no-such-programme"),
            StatusCode::NOT_FOUND,
            "program_not_found",
        ),
        (
            ok.replace("tokyo-cybersecurity-equipment", "mhlw-mist-training"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_subsidy",
        ),
        (
            format!("{ok}&beds=20"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            format!("{ok}&fiscal_year=1999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            format!("{ok}&rate_option=large"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_rate_option",
        ),
        (
            "program=meti-otasuketai&kind=hospital&beds=300&cost=600000".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rate_option_required",
        ),
    ];
    for (query, status, code) in cases {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/subsidy-estimate?{query}"),
                None,
                None,
            )
            .await;
        assert!(r.status.as_u16() < 500, "{query}");
        r.assert_bilingual_error(status, code);
    }
    for query in [
        "prefecture=99",
        "fiscal_year=abc",
        "phase=later",
        "provider=city",
    ] {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/support-programs?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert!(
            !r.json()["error"]["message_ja"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
}

async fn suggestions_follow_the_institution_records(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let get = |token: String, id: i64| async move {
        app.api(
            "GET",
            &format!("/api/v1/institutions/{id}/suggestions"),
            Some(&token),
            None,
        )
        .await
    };
    let r = get(token.clone(), HOSPITAL).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    let gap = |body: &Value, code: &str| {
        body["suggestions"]
            .as_array()
            .expect("suggestions")
            .iter()
            .find(|s| s["gap"] == code)
            .cloned()
    };
    let ids = |s: &Value| -> Vec<String> {
        s["programs"]
            .as_array()
            .expect("programs")
            .iter()
            .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // The demo hospital's PACS copy is online only (its backup records).
    let backup = gap(&body, "no_offline_backup").expect("no offline backup");
    assert!(
        backup["detail_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("PACS"),
        "{backup}"
    );
    assert_eq!(
        ids(&backup),
        ["tokyo-cybersecurity-equipment", "mhlw-security-assurance"],
        "the closed project last"
    );
    assert_eq!(backup["programs"][1]["status"], "closed");
    // Its ledger has a FortiGate on an old FortiOS.
    let vpn = gap(&body, "vpn_device_flagged").expect("vpn flagged");
    assert!(
        vpn["detail_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("NW-001"),
        "{vpn}"
    );
    assert!(
        ids(&vpn).contains(&"mhlw-vpn-notice".to_owned())
            && ids(&vpn).contains(&"tokyo-cybersecurity-equipment".to_owned()),
        "{vpn}"
    );
    assert_eq!(
        vpn["links"][0]["href"],
        format!("/institutions/{HOSPITAL}/ledger")
    );
    assert_eq!(
        body["training_related_items"].as_array().map(Vec::len),
        Some(6)
    );

    // いいえ on 2(8) (password reuse) brings the training programmes and /training.
    let had_training = gap(&body, "training_items_no")
        .is_some_and(|s| s["detail_ja"].as_str().unwrap_or_default().contains("2(8)"));
    assert!(!had_training, "2(8) is はい in the demo");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/2-8-all"),
            Some(&token),
            Some(json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-12-01")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = get(token.clone(), HOSPITAL).await.json();
    let training = gap(&body, "training_items_no").expect("training gap");
    assert!(
        training["detail_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("2(8)"),
        "{training}"
    );
    assert!(ids(&training).contains(&"mhlw-mist-training".to_owned()));
    assert!(ids(&training).contains(&"tokyo-medical-dx-training".to_owned()));
    assert_eq!(training["links"][0]["href"], "/training");

    // The institution page shows the same, in the page's language.
    let web = app.web_login("demo-hospital").await;
    // The menu opens on the institution's own prefecture; 「すべての地域」 shows every region.
    let menu = app.get_page(&web.cookie, "/support").await;
    assert!(
        menu.body.contains("<option value=\"13\" selected>"),
        "Tokyo preselected"
    );
    let web46 = app.web_login("demo-hospital-46").await;
    let menu = app.get_page(&web46.cookie, "/support").await;
    assert!(
        !menu
            .body
            .contains("医療機関診療情報サイバーセキュリティ対策支援事業"),
        "Kagoshima sees no Tokyo programme"
    );
    let menu = app.get_page(&web46.cookie, "/support?prefecture=").await;
    assert!(
        menu.body
            .contains("医療機関診療情報サイバーセキュリティ対策支援事業"),
        "every region"
    );
    let page = app
        .get_page(&web.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    assert!(page.body.contains("id=\"suggestions\""));
    assert!(
        page.body.contains("data-gap=\"vpn_device_flagged\"")
            && page.body.contains("/support/programs/mhlw-vpn-notice")
    );
    assert!(page.body.contains("PACS"));

    // Kagoshima's hospital gets the national programmes only, none of Tokyo's.
    let token46 = app.token("demo-hospital-46").await;
    let body = get(token46, HOSPITAL_46).await.json();
    for s in body["suggestions"].as_array().expect("suggestions") {
        assert!(ids(s).iter().all(|id| !id.starts_with("tokyo-")), "{s}");
    }
    // Read access only: another institution gets 404, anonymous 401.
    let clinic = app.token("demo-clinic").await;
    get(clinic, HOSPITAL)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{HOSPITAL}/suggestions"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The inspector of Tokyo reads them as any of the hospital's data.
    let inspector = app.token("demo-inspector-13").await;
    assert_eq!(get(inspector, HOSPITAL).await.status, StatusCode::OK);
}
