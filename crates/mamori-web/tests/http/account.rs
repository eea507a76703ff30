//! Accounts (`src/account/`): signing in through the API, the limits on failed logins (per
//! account and per address), two-factor enrolment and login, an account's lifecycle and
//! sessions, the password rules, and the access and audit logs shown to administrators.

use super::*;

on_both_engines!(
    login_me_and_bad_credentials,
    repeated_failed_logins_are_refused,
    two_factor_enrolment_and_login,
    account_lifecycle_and_sessions,
    passwords_follow_the_rules,
    access_and_audit_logs_are_shown_to_admins,
    logins_are_limited_per_address,
);

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

async fn two_factor_enrolment_and_login(app: &TestApp) {
    let tokyo = mamori_domain::Prefecture::parse("13").expect("13");
    let login = "tanaka-13";
    let password = "a quiet harbour at dawn";
    mamori_app::add_user(
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
        !audit.body.contains(&format!("institution={CLINIC} ")),
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
