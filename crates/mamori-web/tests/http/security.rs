//! Attacks on secrets and inputs, each as found and reproduced: guessing the second factor
//! (on the web step and in the API), the invitation as a password oracle, API tokens past a
//! new two-factor rule, control characters in every text input, headers on every answer,
//! the current password, and a foreign prefecture named in an error.

use super::*;

on_both_engines!(
    second_factor_guessing_on_the_web_locks_the_account,
    second_factor_guessing_in_the_api_locks_the_account,
    invitation_with_an_existing_login_is_checked_as_a_login,
    api_tokens_stop_when_two_factor_becomes_required,
    control_characters_are_refused_on_every_write,
    every_answer_carries_the_security_headers,
    current_password_guessing_locks_the_account,
    bad_query_and_path_values_answer_in_the_error_format,
    ledger_cells_with_control_characters_are_refused_by_row_and_column,
    a_surveyed_hospital_keeps_its_institution_code,
    multipart_text_fields_are_checked_whatever_the_boundary_case,
);

/// What a user holds after setting up two-factor authentication.
pub(crate) struct Enrolled {
    pub(crate) secret: String,
    pub(crate) recovery_codes: Vec<String>,
}

impl TestApp {
    /// Logs in on the web with a password (no second factor yet) and returns the cookie.
    pub(crate) async fn web_login_with(&self, login: &str, password: &str) -> Response {
        let page = self.get("/login").await;
        let csrf = page.hidden("csrf").expect("csrf");
        let form = format!(
            "login={}&password={}&csrf={csrf}&next=%2F",
            form_value(login),
            form_value(password)
        );
        self.post_login(&csrf, form).await
    }

    /// Sets up two-factor authentication for a user through the pages, as a person would.
    pub(crate) async fn enrol_two_factor(&self, login: &str, password: &str) -> Enrolled {
        let r = self
            .web_login_with(login, password)
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let cookie = r.cookie_header("mamori_session");
        let setup = self
            .get_page(&cookie, "/account/two-factor")
            .await
            .assert_status(StatusCode::OK);
        let secret = setup.two_factor_secret();
        let csrf = setup.hidden("csrf").expect("csrf");
        let done = confirm_two_factor(self, &cookie, &csrf, &secret, login)
            .await
            .assert_status(StatusCode::OK);
        let recovery_codes = done.recovery_codes();
        Enrolled {
            secret,
            recovery_codes,
        }
    }

    /// Signs in on the web up to the second factor; returns the pending cookie and the
    /// step's CSRF token.
    async fn pending_login(&self, login: &str, password: &str) -> (String, String) {
        let r = self
            .web_login_with(login, password)
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let pending = r.cookie_header("mamori_pending");
        let step = self.get_page(&pending, "/login/two-factor").await;
        (pending, step.hidden("csrf").expect("csrf"))
    }
}

/// A value as a form sends it.
fn form_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn assert_locked(r: &Response) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let seconds: u64 = r
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60).contains(&seconds), "{seconds}");
}

async fn second_factor_guessing_on_the_web_locks_the_account(app: &TestApp) {
    let (login, password) = ("guess-13", "a lantern by the northern gate");
    add_inspector(app, login, password).await;
    let enrolled = app.enrol_two_factor(login, password).await;
    let (pending, csrf) = app.pending_login(login, password).await;
    let wrong = |code: &'static str| {
        let (pending, csrf) = (pending.clone(), csrf.clone());
        async move { send_second_factor(app, &pending, &csrf, code, "%2F").await }
    };
    // Four wrong codes (app codes and recovery codes alike) are refused one by one…
    for code in ["000000", "999999", "abcde-01234", "111111"] {
        assert_eq!(wrong(code).await.status, StatusCode::UNAUTHORIZED);
    }
    // …the fifth locks the account and voids the pending login.
    let fifth = wrong("222222").await;
    assert_locked(&fifth);
    fifth.assert_body_contains("15分間ログインできません");
    // The right code is refused now, on this pending login and on any other path.
    let right = send_second_factor(app, &pending, &csrf, &enrolled.recovery_codes[0], "%2F").await;
    assert!(right.cookie("mamori_session").is_none(), "{}", right.body);
    assert_ne!(right.status, StatusCode::OK);
    let again = app.web_login_with(login, password).await;
    assert_locked(&again);
    let api = app
        .api_login(
            json!({"login": login, "password": password, "totp": enrolled.recovery_codes[1]}),
        )
        .await;
    api.assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert_locked(&api);
    // The lock ends after its time: then the right code signs in.
    app.exec("UPDATE login_failures SET last_failure_at = '2000-01-01T00:00:00.000Z'")
        .await;
    let (pending, csrf) = app.pending_login(login, password).await;
    let ok = send_second_factor(app, &pending, &csrf, &enrolled.recovery_codes[2], "%2F")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(ok.cookie("mamori_session").is_some());
}

async fn second_factor_guessing_in_the_api_locks_the_account(app: &TestApp) {
    let (login, password) = ("guess-api-13", "a lantern by the southern gate");
    add_inspector(app, login, password).await;
    let enrolled = app.enrol_two_factor(login, password).await;
    let attempt = |totp: String| async move {
        app.api_login(json!({"login": login, "password": password, "totp": totp}))
            .await
    };
    for code in ["000000", "fffff-00000", "123456", "abcde-12345"] {
        attempt(code.into())
            .await
            .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_second_factor");
    }
    assert_locked(&attempt("654321".into()).await);
    attempt(enrolled.recovery_codes[0].clone())
        .await
        .assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // Nothing was used up by the refused right code: it works once the lock has passed.
    app.exec("UPDATE login_failures SET last_failure_at = '2000-01-01T00:00:00.000Z'")
        .await;
    assert_eq!(
        attempt(enrolled.recovery_codes[0].clone()).await.status,
        StatusCode::OK
    );
}

async fn invite(app: &TestApp, admin: &str, email: &str) -> String {
    let body = json!({"vendor_name": "検証用ベンダー", "systems": ["receipt_computer"], "remote_maintenance": true, "invite_email": email});
    invitation_token(&add_vendor_contract(app, admin, body).await)
}

async fn contracts_of(app: &TestApp, login: &str) -> usize {
    let (user, _) = app
        .state
        .store
        .user_for_login(login)
        .await
        .expect("lookup")
        .expect("user");
    let (org, _) = app
        .state
        .store
        .vendor_organization_of_user(user.id)
        .await
        .expect("organisation")
        .expect("a vendor");
    app.state
        .store
        .vendor_contracts_of_organization(org)
        .await
        .expect("contracts")
        .len()
}

async fn invitation_with_an_existing_login_is_checked_as_a_login(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let accept = |token: String,
                  login: &'static str,
                  password: &'static str,
                  totp: Option<String>| async move {
        accept_invitation(
            app,
            &token,
            json!({"login": login, "password": password, "totp": totp}),
        )
        .await
    };
    // Wrong passwords for an existing vendor login count as failed logins and lock it.
    let token = invite(app, &admin, "a@example.jp").await;
    let before = contracts_of(app, "demo-vendor").await;
    for _ in 0..4 {
        accept(
            token.clone(),
            "demo-vendor",
            "not the password at all",
            None,
        )
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "login_taken");
    }
    assert_locked(
        &accept(
            token.clone(),
            "demo-vendor",
            "not the password at all",
            None,
        )
        .await,
    );
    // Locked: the right password attaches nothing, and the login is locked too.
    accept(token.clone(), "demo-vendor", demo::DEMO_PASSWORD, None)
        .await
        .assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert_eq!(contracts_of(app, "demo-vendor").await, before);
    let r = app
        .api_login(json!({"login": "demo-vendor", "password": demo::DEMO_PASSWORD}))
        .await;
    assert_locked(&r);

    // A vendor's own (not demo) account must use two-factor login, like an inspector.
    let (login, password) = ("kita-receipt", "a lantern by the eastern gate");
    accept(token, login, password, None)
        .await
        .assert_status(StatusCode::CREATED);
    app.api_login(json!({"login": login, "password": password}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "two_factor_enrolment_required");
    // Joining a second contract with the existing login needs the enrolment too…
    let second = invite(app, &admin, "b@example.jp").await;
    accept(second.clone(), login, password, None)
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "two_factor_enrolment_required");
    let web = app.web_login_with(login, password).await;
    assert_eq!(web.location(), "/", "{}", web.body);
    let enrolled = app.enrol_two_factor(login, password).await;
    // …and then the second factor, as at login.
    accept(second.clone(), login, password, None)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "second_factor_required");
    accept(second.clone(), login, password, Some("000000".into()))
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_second_factor");
    assert_eq!(contracts_of(app, login).await, 1);
    accept(
        second,
        login,
        password,
        Some(enrolled.recovery_codes[0].clone()),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_eq!(contracts_of(app, login).await, 2);
    app.api_login(
        json!({"login": login, "password": password, "totp": enrolled.recovery_codes[1]}),
    )
    .await
    .assert_status(StatusCode::OK);
    let _ = enrolled.secret;
}

async fn api_tokens_stop_when_two_factor_becomes_required(app: &TestApp) {
    let (login, password) = ("minato-staff", "a lantern by the western gate");
    add_staff(app, login, password, HOSPITAL).await;
    let token = app.token_with(login, password).await;
    app.api_get_ok("/api/v1/me", &token).await;
    // The admin requires two-factor login for every user of the hospital.
    let admin = app.web_login("demo-hospital").await;
    let r = app
        .submit(
            &admin,
            &format!("/institutions/{HOSPITAL}/two-factor"),
            "required=on",
        )
        .await;
    assert!(
        r.status.is_redirection() || r.status.is_success(),
        "{}",
        r.body
    );
    // The token issued before the rule no longer reads nor writes.
    let year = app.year();
    for (method, path, body) in [
        ("GET", "/api/v1/me".to_owned(), None),
        (
            "GET",
            format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}"),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/1-1"),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
        ),
    ] {
        app.api(method, &path, Some(&token), body)
            .await
            .assert_bilingual_error(StatusCode::FORBIDDEN, "two_factor_enrolment_required");
    }
    // Once enrolled, the user gets a new token with the second factor.
    let enrolled = app.enrol_two_factor(login, password).await;
    let r = app
        .api_login(
            json!({"login": login, "password": password, "totp": enrolled.recovery_codes[0]}),
        )
        .await
        .assert_status(StatusCode::OK);
    let fresh = r.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        app.api_get("/api/v1/me", &fresh).await.status,
        StatusCode::OK
    );
}

/// Every string property of a schema (following `$ref`s into the components), by name.
fn string_fields(doc: &Value, schema: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > 6 {
        return;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return string_fields(doc, &doc["components"]["schemas"][name], depth + 1, out);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            string_fields(doc, part, depth + 1, out);
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            let is_string = property["type"] == "string"
                || property["type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "string"));
            if is_string && !out.contains(name) {
                out.push(name.clone());
            }
            string_fields(doc, property, depth + 1, out);
        }
    }
    if schema["items"].is_object() {
        string_fields(doc, &schema["items"], depth + 1, out);
    }
}

async fn control_characters_are_refused_on_every_write(app: &TestApp) {
    let national = app.token("demo-national").await;
    let doc = app.get("/api/openapi.json").await.json();
    let mut tried = 0;
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{fiscal_year}", &app.year().to_string())
            .replace("{prefecture}", "13")
            .replace("{key}", "1-1")
            .replace("{token}", "not-a-token");
        let concrete = regex_free_ids(&concrete);
        for (method, operation) in operations.as_object().expect("operations") {
            if !matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                continue;
            }
            let content = &operation["requestBody"]["content"];
            let mut fields = Vec::new();
            if let Some(schema) = content["application/json"]["schema"].as_object() {
                string_fields(&doc, &Value::Object(schema.clone()), 0, &mut fields);
            }
            let multipart = content["multipart/form-data"].is_object();
            if let Some(schema) = content["multipart/form-data"]["schema"].as_object() {
                string_fields(&doc, &Value::Object(schema.clone()), 0, &mut fields);
            }
            for field in &fields {
                let bad = "みなと\u{0}病院";
                let r = if multipart {
                    let (content_type, body) =
                        multipart_form(&[(field.as_str(), bad), ("title", "ok")], &[]);
                    let request = Request::builder()
                        .method(method.to_uppercase().as_str())
                        .uri(&concrete)
                        .header(header::AUTHORIZATION, format!("Bearer {national}"))
                        .header(header::CONTENT_TYPE, content_type)
                        .body(Body::from(body))
                        .expect("request");
                    app.send(request).await
                } else {
                    // The login needs its other fields to be judged as a login at all.
                    let mut body = if path == "/api/v1/login" {
                        json!({"login": "demo-hospital", "password": "not the password"})
                    } else {
                        json!({})
                    };
                    body[field.as_str()] = json!(bad);
                    app.api(
                        &method.to_uppercase(),
                        &concrete,
                        Some(&national),
                        Some(body),
                    )
                    .await
                };
                tried += 1;
                let credential = path == "/api/v1/login";
                if credential {
                    assert_eq!(
                        r.status,
                        StatusCode::UNAUTHORIZED,
                        "{path} {field}: {}",
                        r.body
                    );
                } else {
                    assert_eq!(
                        r.status,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{method} {path} {field}: {}",
                        r.body
                    );
                    assert_eq!(r.json()["error"]["field"], field.as_str(), "{}", r.body);
                }
            }
        }
    }
    assert!(tried > 40, "only {tried} fields tried");

    // The cases as they were found, each by the user who may make the change.
    let hospital = app.token("demo-hospital").await;
    let institutions_path = format!("/api/v1/institutions/{HOSPITAL}");
    let before = app.api_get(&institutions_path, &hospital).await.json();
    let rename =
        |name: &'static str| app.api_patch(&institutions_path, &hospital, json!({ "name": name }));
    let r = rename("みなと\u{0}中央病院").await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert!(r.message_ja().contains("U+0000"), "{}", r.body);
    let after = app.api_get(&institutions_path, &hospital).await.json();
    assert_eq!(before, after, "nothing stored");
    let r = app
        .api_post(
            "/api/v1/incidents",
            &hospital,
            json!({"institution_id": HOSPITAL, "details": "画面に\u{1b}[31m表示"}),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "details");
    // A login with a control character is a failed login like any unknown one.
    for login in ["demo\u{0}", "demo-hospital\u{0}"] {
        app.api_login(json!({"login": login, "password": demo::DEMO_PASSWORD}))
            .await
            .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    app.web_login_with("demo-hospital\u{0}", demo::DEMO_PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // A page's form names the field on the error page, in the page's language.
    let admin = app.web_login("demo-hospital").await;
    let r = app
        .submit(
            &admin,
            &format!("/institutions/{HOSPITAL}/vendors"),
            "vendor_name=%E5%8C%97%00&systems=pacs",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("vendor_name: 使えない制御文字（U+0000");
    // Text keeps its tabs and line breaks.
    let r = rename("みなと中央病院").await;
    assert!(r.status.is_success(), "{}", r.body);
    // A query or a path with one is refused before any handler sees it.
    let r = app
        .api_get("/api/v1/institutions?q=a%00b", &national)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "q");
    accept_invitation(app, "a%00b", json!({"login": "x", "password": "y"}))
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

/// Path ids as the demo data has them.
fn regex_free_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push('1');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

async fn every_answer_carries_the_security_headers(app: &TestApp) {
    let hospital = app.token("demo-hospital").await;
    let too_large = Request::post(format!("/api/v1/institutions/{HOSPITAL}/observations"))
        .header(header::AUTHORIZATION, format!("Bearer {hospital}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "999999999")
        .body(Body::from("{}"))
        .expect("request");
    let page_too_large = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, "999999999")
        .body(Body::from("login=x"))
        .expect("request");
    let year = app.year();
    let assessment = Request::get(format!(
        "/api/v1/institutions/{HOSPITAL}/assessments/{year}"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {hospital}"))
    .body(Body::empty())
    .expect("request");
    let not_found = Request::get("/no/such/page")
        .body(Body::empty())
        .expect("request");
    let unauthenticated = Request::get("/api/v1/me")
        .body(Body::empty())
        .expect("request");
    for (request, status) in [
        (too_large, StatusCode::PAYLOAD_TOO_LARGE),
        (page_too_large, StatusCode::PAYLOAD_TOO_LARGE),
        (assessment, StatusCode::OK),
        (not_found, StatusCode::NOT_FOUND),
        (unauthenticated, StatusCode::UNAUTHORIZED),
    ] {
        let what = format!("{} {}", request.method(), request.uri());
        let r = app.send(request).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        for (name, value) in [
            ("content-security-policy", "frame-ancestors 'none'"),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "same-origin"),
            ("cache-control", "no-store"),
        ] {
            let got = r
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(got.contains(value), "{what}: {name} is '{got}'");
        }
    }
    // A static file may be kept by the browser.
    let css = app.get("/static/style.css").await;
    assert_eq!(
        header_str(&css.headers, header::CACHE_CONTROL),
        "public, max-age=3600"
    );
    assert_eq!(
        header_str(&css.headers, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    // The page of an institution's checklist is not kept either.
    let s = app.web_login("demo-hospital").await;
    let page = app
        .get_page(
            &s.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    assert_eq!(header_str(&page.headers, header::CACHE_CONTROL), "no-store");
}

async fn current_password_guessing_locks_the_account(app: &TestApp) {
    let (login, password) = ("guess-password-13", "a lantern by the river gate");
    add_inspector(app, login, password).await;
    app.enrol_two_factor(login, password).await;
    // A stolen session: the thief tries to change the password by guessing the current one.
    let enrolled_session = {
        app.api_login(json!({"login": "demo-hospital", "password": demo::DEMO_PASSWORD}))
            .await
            .assert_status(StatusCode::OK);
        app.web_login("demo-hospital-staff").await
    };
    let change = |current: &'static str| {
        let s = &enrolled_session;
        async move {
            app.submit(
                s,
                "/account/password",
                &format!(
                    "current={}&new=a+brand+new+lantern+phrase&confirm=a+brand+new+lantern+phrase",
                    form_value(current)
                ),
            )
            .await
        }
    };
    for _ in 0..4 {
        assert_eq!(
            change("wrong guess number").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_locked(&change("wrong guess number").await);
    // Locked: the right current password is refused too, and so is a login.
    assert_locked(&change(demo::DEMO_PASSWORD).await);
    let r = app
        .api_login(json!({"login": "demo-hospital-staff", "password": demo::DEMO_PASSWORD}))
        .await;
    assert_locked(&r);
}

async fn bad_query_and_path_values_answer_in_the_error_format(app: &TestApp) {
    let national = app.token("demo-national").await;
    let r = app
        .api_get(
            "/api/v1/institutions?limit=99999999999999999999999",
            &national,
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "limit");
    assert_eq!(r.json()["error"]["problems"][0]["code"], "invalid_query");
    assert!(r.message_ja().contains("「limit」"), "{}", r.body);
    let r = app
        .api_get("/api/v1/institutions?limit=abc", &national)
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["problems"][0]["code"], "invalid_query");
    // On a page, the same refusal is the error page in the page's language.
    let s = app.web_login("demo-national").await;
    let r = app.get_page(&s.cookie, "/institutions?page=abc").await;
    assert!(r.status.is_client_error(), "{}", r.body);
    r.assert_body_contains("<html");
    // A JSON body sent as something else is refused in the same form.
    let r = app
        .raw(
            "POST",
            "/api/v1/institutions",
            &national,
            "text/plain",
            "{}",
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert!(!r.error_code().is_empty(), "{}", r.body);
}

async fn ledger_cells_with_control_characters_are_refused_by_row_and_column(app: &TestApp) {
    let token = app.token("demo-clinic").await;
    let list = format!("/api/v1/institutions/{CLINIC}/devices");
    let count = |v: Value| v.as_array().map(Vec::len).unwrap_or(0);
    let before = count(app.api_get(&list, &token).await.json());
    // (A NUL byte makes the file binary, refused as not a spreadsheet; an escape is text.)
    let csv = "管理番号,メーカー,OS\nESC-1,A社,Win11\nESC-2,B\u{1b}社,Win11\n";
    let r = app
        .upload(
            &format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true"),
            &token,
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected");
    let rejected = r.json()["rejected"].clone();
    let first = &rejected[0];
    assert_eq!(first["row"], 3, "{rejected}");
    assert_eq!(first["column"], "メーカー", "{rejected}");
    assert!(
        first["message_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("U+001B"),
        "{rejected}"
    );
    assert_eq!(
        count(app.api_get(&list, &token).await.json()),
        before,
        "nothing of a refused import is stored"
    );
}

/// Removing the 医療機関コード of a hospital that answered a 確保事業 survey made every page
/// reading its prefecture's survey answer 500; it is refused instead.
async fn a_surveyed_hospital_keeps_its_institution_code(app: &TestApp) {
    let national = app.token("demo-national").await;
    let path = format!("/api/v1/institutions/{HOSPITAL_46}");
    let before = app.api_get(&path, &national).await.json();
    assert!(before["medical_institution_code"].is_string(), "{before}");
    app.api_patch(&path, &national, json!({"medical_institution_code": null}))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "institution_code_in_use");
    assert_eq!(app.api_get(&path, &national).await.json(), before);
    // The survey pages of its prefecture still answer.
    let year = app.year();
    let r = app
        .api_get(&format!("/api/v1/programs/{year}/overview"), &national)
        .await;
    assert!(!r.status.is_server_error(), "{}", r.body);
    // On the page too, with the message on the form.
    let s = app.web_login("demo-national").await;
    let edit_path = format!("/institutions/{HOSPITAL_46}/edit");
    let form = app.page(&s, &edit_path).await;
    let name = form.hidden_or_value("name");
    let r = app
        .submit(
            &s,
            &edit_path,
            &format!(
                "name={}&kind=hospital&beds=120&prefecture=46&medical_institution_code=",
                form_value(&name)
            ),
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("医療機関コードは削除できません");
}

impl Response {
    /// The value of a form's input, hidden or not.
    fn hidden_or_value(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\"");
        let start = self.body.find(&marker).expect("input");
        let rest = &self.body[start..];
        let value = rest.find("value=\"").expect("value") + "value=\"".len();
        rest[value..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The text fields of a multipart form were checked only when its boundary was lower case
/// (the content type was lower-cased before the boundary was read), so a browser's
/// `----WebKitFormBoundaryAbC…` carried a control character past the check.
async fn multipart_text_fields_are_checked_whatever_the_boundary_case(app: &TestApp) {
    let web = app.web_login("demo-hospital").await;
    let r = app
        .post_multipart(
            &web.cookie,
            &format!("/institutions/{HOSPITAL}/ledger/import"),
            &[("csrf", &web.csrf), ("note", "a\u{0}b")],
            &[("file", "ledger.csv", "管理番号,OS\nA-1,Win11\n".as_bytes())],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("U+0000");
}
