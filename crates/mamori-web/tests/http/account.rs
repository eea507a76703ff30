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
    let me = app.api_get("/api/v1/me", &token).await.json();
    assert_eq!(
        me,
        json!({"login": "demo-hospital", "role": "admin", "institution_id": HOSPITAL, "prefecture": null})
    );
    let inspector = app.token("demo-inspector-13").await;
    let me = app.api_get("/api/v1/me", &inspector).await.json();
    assert_eq!(me["role"], "inspector");
    assert_eq!(me["prefecture"], "13");

    let wrong = app
        .api_login(json!({"login": "demo-hospital", "password": "wrong-password"}))
        .await;
    wrong.assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let unknown = app
        .api_login(json!({"login": "nobody", "password": "wrong-password"}))
        .await;
    assert_eq!(
        unknown.body, wrong.body,
        "unknown users and wrong passwords get the same answer"
    );
    app.api_login(json!({"login": "demo-hospital"}))
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
    app.get("/api/v1/me")
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.api_get("/api/v1/me", "not-a-token")
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    app.api("POST", "/api/v1/logout", Some(&token), None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.api_get("/api/v1/me", &token)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn repeated_failed_logins_are_refused(app: &TestApp) {
    for _ in 0..mamori_web::http::auth::MAX_FAILURES {
        app.api_login(json!({"login": "demo-clinic", "password": "guess-guess-guess"}))
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    app.api_login(json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD}))
        .await
        .assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // Other accounts are not affected.
    app.token("demo-pharmacy").await;
}

async fn two_factor_enrolment_and_login(app: &TestApp) {
    let login = "tanaka-13";
    let password = "a quiet harbour at dawn";
    add_inspector(app, login, password).await;
    // An inspector must set up two-factor authentication: the API refuses until then.
    app.api_login(json!({"login": login, "password": password}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "two_factor_enrolment_required");
    // On the web, every page leads to the enrolment page until it is done.
    let sign_in = || async {
        let csrf = app.get("/login").await.hidden("csrf").expect("csrf");
        let form = format!(
            "login={login}&password={}&csrf={csrf}&next=%2Finstitutions",
            password.replace(' ', "+")
        );
        app.post_login(&csrf, form).await
    };
    let r = sign_in().await.assert_status(StatusCode::SEE_OTHER);
    let cookie = r.cookie_header("mamori_session");
    let list = app
        .get_with_cookie(&cookie, "/institutions")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(list.location(), "/account/two-factor");
    let setup = app
        .get_page(&cookie, "/account/two-factor")
        .await
        .assert_status(StatusCode::OK);
    assert!(setup.body.contains("<svg"), "a QR code is shown");
    let secret = setup.two_factor_secret();
    let page_csrf = setup.hidden("csrf").expect("csrf");
    app.post_form(
        &cookie,
        "/account/two-factor",
        &format!("csrf={page_csrf}&code=000000"),
        false,
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let done = confirm_two_factor(app, &cookie, &page_csrf, &secret, login)
        .await
        .assert_status(StatusCode::OK);
    let codes: Vec<String> = done.recovery_codes();
    assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
    assert_eq!(
        app.get_page(&cookie, "/institutions").await.status,
        StatusCode::OK
    );

    // Logging in again stops at the second factor.
    let r = sign_in().await.assert_status(StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login/two-factor"));
    assert!(
        r.cookie("mamori_session").is_none(),
        "no session before the second factor"
    );
    let pending = r.cookie_header("mamori_pending");
    let step = app.get_page(&pending, "/login/two-factor").await;
    let step_csrf = step.hidden("csrf").expect("csrf");
    send_second_factor(app, &pending, &step_csrf, "123456", "%2Finstitutions")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // The code used at enrolment cannot be replayed; a recovery code works once.
    let ok = send_second_factor(app, &pending, &step_csrf, &codes[0], "%2Finstitutions")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(ok.cookie("mamori_session").is_some());

    // The API takes the second factor in the same request.
    app.api_login(json!({"login": login, "password": password}))
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "second_factor_required");
    app.api_login(json!({"login": login, "password": password, "totp": codes[0]}))
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_second_factor");
    app.api_login(json!({"login": login, "password": password, "totp": codes[1]}))
        .await
        .assert_status(StatusCode::OK);
    // Demo accounts are exempt and every page says so.
    let demo = app.web_login("demo-inspector-13").await;
    let page = app.page(&demo, "/institutions").await;
    assert!(page.body.contains("二要素認証の対象外"));
}

async fn account_lifecycle_and_sessions(app: &TestApp) {
    let staff_token = app.token("demo-hospital-staff").await;
    let admin = app.web_login("demo-hospital").await;
    let institutions_path = format!("/institutions/{HOSPITAL}");
    let page = app.get_page(&admin.cookie, &institutions_path).await;
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
    app.submit_accepted(&admin, &action("disable"), "").await;
    app.api_get("/api/v1/me", &staff_token)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.api_login(json!({"login": "demo-hospital-staff", "password": demo::DEMO_PASSWORD}))
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    app.submit(&admin, &action("enable"), "").await;
    app.token("demo-hospital-staff").await;
    // Another institution's admin cannot touch this user.
    let clinic = app.web_login("demo-clinic").await;
    app.submit(&clinic, &action("disable"), "")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.submit(
        &clinic,
        &format!("/institutions/{CLINIC}/users/{staff_id}/disable"),
        "",
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // Unused accounts: the staff account, aged, is listed and disabled in one step.
    app.exec("UPDATE users SET last_login_at = '2020-01-01T00:00:00.000Z', created_at = '2020-01-01T00:00:00.000Z' WHERE login = 'demo-hospital-staff'").await;
    let page = app.get_page(&admin.cookie, &institutions_path).await;
    assert!(page.body.contains("使われていないアカウント"));
    app.submit_accepted(
        &admin,
        &format!("/institutions/{HOSPITAL}/unused-users/disable"),
        "",
    )
    .await;
    app.api_login(json!({"login": "demo-hospital-staff", "password": demo::DEMO_PASSWORD}))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.submit(&admin, &action("delete"), "").await;
    let page = app.get_page(&admin.cookie, &institutions_path).await;
    assert!(
        !page.body.contains("demo-hospital-staff"),
        "a deleted user is not listed"
    );
    // An admin cannot disable themself.
    let me = app
        .api_get("/api/v1/me", &app.token("demo-hospital").await)
        .await
        .json();
    assert_eq!(me["login"], "demo-hospital");
    // The user sees their sessions and can end one.
    let api_token = app.token("demo-hospital").await;
    let account = app.page(&admin, "/account").await;
    assert!(account.body.contains("この端末") && account.body.contains("API"));
    let revoke_id = account
        .body
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a session to revoke")
        .to_owned();
    app.submit_accepted(
        &admin,
        "/account/sessions/revoke",
        &format!("id={revoke_id}"),
    )
    .await;
    let still = app.api_get("/api/v1/me", &api_token).await;
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
    let users = app.page(&national, "/admin/users").await;
    assert!(users.body.contains("demo-inspector-46"));
    assert_eq!(
        app.get_page(&admin.cookie, "/admin/users").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn passwords_follow_the_rules(app: &TestApp) {
    let s = app.web_login("demo-pharmacy").await;
    let s = &s;
    let change = |current: &str, new: &str| {
        let form = format!("csrf={}&current={current}&new={new}&confirm={new}", s.csrf);
        async move {
            app.post_form(&s.cookie, "/account/password", &form, false)
                .await
        }
    };
    let r = change("wrong-password", "a quiet harbour at dawn")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("現在のパスワードが正しくありません"));
    let r = change(demo::DEMO_PASSWORD, demo::DEMO_PASSWORD).await;
    assert!(
        r.body.contains("現在と同じパスワードには変更できません"),
        "reuse is refused"
    );
    let r = change(demo::DEMO_PASSWORD, "password1234").await;
    assert!(
        r.body.contains("推測されやすい"),
        "a common password is refused"
    );
    let r = change(demo::DEMO_PASSWORD, "short").await;
    assert!(r.body.contains("12文字以上"));
    let other = app.token("demo-pharmacy").await;
    let r = change(demo::DEMO_PASSWORD, "a+quiet+harbour+at+dawn")
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("パスワードを変更しました"));
    app.api_get("/api/v1/me", &other)
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
        app.api_get(
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}"),
            &inspector
        )
        .await
        .status,
        StatusCode::OK
    );
    let admin = app.web_login("demo-hospital").await;
    let access_log_path = format!("/institutions/{HOSPITAL}/access-log");
    let log = app.page(&admin, &access_log_path).await;
    assert!(
        log.body.contains("demo-inspector-13") && log.body.contains("立入検査担当者"),
        "the institution sees who looked at its data"
    );
    let clinic = app.web_login("demo-clinic").await;
    assert_eq!(
        app.get_page(&clinic.cookie, &access_log_path).await.status,
        StatusCode::NOT_FOUND
    );
    let staff = app.web_login("demo-hospital-staff").await;
    let audit_path = format!("/institutions/{HOSPITAL}/audit");
    assert_eq!(
        app.get_page(&staff.cookie, &audit_path).await.status,
        StatusCode::FORBIDDEN
    );
    let audit = app.page(&admin, &audit_path).await;
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
    let verification = app.assert_audit_chain_intact().await;
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
        app.send(from(
            attacker,
            json!({"login": format!("guess-{n}"), "password": "wrong-password-here"}),
        ))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    }
    app.send(from(
        attacker,
        json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD}),
    ))
    .await
    .assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = app
        .send(from(
            [198, 51, 100, 1],
            json!({"login": "demo-clinic", "password": demo::DEMO_PASSWORD}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "other addresses are not affected");
}
