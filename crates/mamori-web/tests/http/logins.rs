//! Logins compared by their folded form (NFKC, lower case): another spelling of a login
//! finds the same account, counts against the same failures, and cannot be registered
//! beside it. Accounts that already collided before the folding keep working by their
//! exact login and are reported when the store opens.

use super::*;

on_both_engines!(
    logins_fold_case_and_width,
    login_failures_count_per_folded_login,
    new_logins_colliding_by_case_or_width_are_refused,
    colliding_logins_found_at_migration,
);

/// The account an API token belongs to.
async fn me(app: &TestApp, token: &str) -> String {
    let r = app.api("GET", "/api/v1/me", Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["login"].as_str().expect("login").to_owned()
}

async fn api_login(app: &TestApp, login: &str, password: &str) -> Response {
    app.api(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"login": login, "password": password})),
    )
    .await
}

async fn logins_fold_case_and_width(app: &TestApp) {
    for spelling in [
        "DEMO-Hospital",
        "DEMO-HOSPITAL",
        "ＤＥＭＯ－ＨＯＳＰＩＴＡＬ",
        "ｄｅｍｏ－ｈｏｓｐｉｔａｌ",
    ] {
        let r = api_login(app, spelling, demo::DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{spelling}: {}", r.body);
        let token = r.json()["token"].as_str().expect("token").to_owned();
        assert_eq!(me(app, &token).await, "demo-hospital", "{spelling}");
    }
    // The login form too: the session is the account's.
    let page = app
        .send(Request::get("/login").body(Body::empty()).expect("request"))
        .await;
    let csrf = page.hidden("csrf").expect("csrf");
    let r = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("mamori_login_csrf={csrf}"))
                .body(Body::from(format!(
                    "login=%EF%BC%A4%EF%BC%A5%EF%BC%AD%EF%BC%AF-Hospital&password={}&csrf={csrf}&next=%2F",
                    demo::DEMO_PASSWORD
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = format!(
        "mamori_session={}",
        r.cookie("mamori_session").expect("session")
    );
    let home = app.get_page(&cookie, "/account").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("demo-hospital"), "{}", home.body);
    // A wrong password is wrong in every spelling.
    let r = api_login(app, "DEMO-HOSPITAL", "not the password at all").await;
    r.assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

async fn login_failures_count_per_folded_login(app: &TestApp) {
    let spellings = [
        "demo-clinic",
        "DEMO-CLINIC",
        "Demo-Clinic",
        "ｄｅｍｏ－ｃｌｉｎｉｃ",
        "ＤＥＭＯ－ｃｌｉｎｉｃ",
    ];
    assert_eq!(spellings.len() as i64, mamori_web::http::auth::MAX_FAILURES);
    for spelling in spellings {
        let r = api_login(app, spelling, "guess-guess-guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{spelling}: {}", r.body);
    }
    // Five guesses in five spellings lock the one account, in every spelling.
    for spelling in ["demo-clinic", "DEMO-clinic", "ｄｅｍｏ－ｃｌｉｎｉｃ"] {
        api_login(app, spelling, demo::DEMO_PASSWORD)
            .await
            .assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    }
    // The account's own history lists the failures, whatever the spelling.
    let user = app
        .state
        .store
        .user_for_login("demo-clinic")
        .await
        .expect("user")
        .expect("demo-clinic")
        .0;
    let history = app
        .state
        .store
        .login_history(&user, 50)
        .await
        .expect("history");
    assert_eq!(
        history.iter().filter(|e| !e.success).count(),
        spellings.len()
    );
    app.token("demo-pharmacy").await;
}

async fn new_logins_colliding_by_case_or_width_are_refused(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let users = format!("/api/v1/institutions/{HOSPITAL}/users");
    let before = app
        .state
        .store
        .users_of_institution(HOSPITAL)
        .await
        .expect("users")
        .len();
    for login in [
        "demo-hospital-staff",
        "DEMO-HOSPITAL-STAFF",
        "Demo-Hospital-Staff",
        "DEMO-CLINIC",
    ] {
        let r = app
            .api(
                "POST",
                &users,
                Some(&admin),
                Some(
                    json!({"login": login, "password": "a quiet harbour at dawn", "role": "staff"}),
                ),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
        let e = &r.json()["error"];
        assert_eq!(e["field"], "login", "{}", r.body);
        assert_eq!(e["problems"][0]["code"], "login_taken", "{}", r.body);
        assert!(
            e["message_ja"]
                .as_str()
                .unwrap_or_default()
                .contains("ログインID"),
            "{}",
            r.body
        );
    }
    // The page says the same, in the form's language.
    let web = app.web_login("demo-hospital").await;
    let r = app
        .post_form(
            &web.cookie,
            &format!("/institutions/{HOSPITAL}/users"),
            &format!(
                "csrf={}&login=DEMO-hospital-STAFF&password=a+quiet+harbour+at+dawn&role=staff",
                web.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("既に使われています"), "{}", r.body);
    assert_eq!(
        app.state
            .store
            .users_of_institution(HOSPITAL)
            .await
            .expect("users")
            .len(),
        before,
        "no account was added"
    );
    // A vendor accepting an invitation cannot take another account's login either.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts"),
            Some(&admin),
            Some(json!({"vendor_name": "折返しシステム", "systems": ["emr"], "remote_maintenance": false, "invite_email": "sales@orikaeshi.example.jp"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.json()["invitation_url"].as_str().expect("url").to_owned();
    let token = url.rsplit('/').next().expect("token").to_owned();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"login": "DEMO-Vendor-46", "password": "a quiet harbour at dawn"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        app.state
            .store
            .user_for_login("DEMO-Vendor-46")
            .await
            .expect("user")
            .is_some_and(|(u, _)| u.login == "demo-vendor-46"),
        "the vendor's own account, not a new one"
    );
}

/// Runs one statement with text parameters directly on the database.
async fn execute_with(app: &TestApp, sql: &str, binds: &[&str]) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if app.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&app.url)
            .await
            .expect("connect");
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&mut c).await.expect("execute");
    } else {
        let mut c = sqlx::PgConnection::connect(&app.url)
            .await
            .expect("connect");
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&mut c).await.expect("execute");
    }
}

/// The logins of the accounts that match a condition, read directly.
async fn logins_where(app: &TestApp, condition: &str) -> Vec<String> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT login FROM users WHERE {condition}"));
    let rows: Vec<(String,)> = if app.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&app.url)
            .await
            .expect("connect");
        sqlx::query_as(sql).fetch_all(&mut c).await.expect("query")
    } else {
        let mut c = sqlx::PgConnection::connect(&app.url)
            .await
            .expect("connect");
        sqlx::query_as(sql).fetch_all(&mut c).await.expect("query")
    };
    rows.into_iter().map(|(l,)| l).collect()
}

async fn colliding_logins_found_at_migration(app: &TestApp) {
    // Accounts written before the folding: two that differ only in case, and one alone.
    let staff = mamori_domain::Role::InstitutionStaff.as_str();
    let legacy = [
        ("Sato-Clinic", "upper case harbour lights"),
        ("sato-clinic", "lower case harbour lights"),
        ("Legacy-Only", "a lonely harbour light"),
    ];
    for (login, password) in legacy {
        let hash = mamori_web::http::auth::hash_password(password.to_owned())
            .await
            .expect("hash");
        execute_with(
            app,
            &format!("INSERT INTO users (login, password_hash, role, institution_id, is_demo, disabled, created_at) VALUES ($1, $2, $3, {CLINIC}, FALSE, FALSE, '2025-04-01T00:00:00Z')"),
            &[login, &hash, staff],
        )
        .await;
    }
    // The store opens again (a new version starting on the old database).
    app.state.store.migrate().await.expect("migrate");
    app.state.store.migrate().await.expect("migrate twice");
    let mut shared = logins_where(app, "login_key_shared").await;
    shared.sort();
    assert_eq!(shared, ["Sato-Clinic", "sato-clinic"]);
    // What the warning at start names.
    assert_eq!(
        app.state
            .store
            .login_collisions()
            .await
            .expect("collisions"),
        vec![vec!["Sato-Clinic".to_owned(), "sato-clinic".to_owned()]]
    );
    // Both keep working by their exact login, each with its own password.
    for (login, password) in &legacy[..2] {
        let r = api_login(app, login, password).await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.body);
        let token = r.json()["token"].as_str().expect("token").to_owned();
        assert_eq!(&me(app, &token).await, login);
    }
    // Another spelling names neither: it cannot be told which one is meant.
    api_login(app, "SATO-CLINIC", legacy[0].1)
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    // The account alone is found by any spelling.
    let r = api_login(app, "ＬＥＧＡＣＹ－ＯＮＬＹ", legacy[2].1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // No third account joins the colliding two.
    let admin = app.token("demo-clinic").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{CLINIC}/users"),
            Some(&admin),
            Some(json!({"login": "SATO-clinic", "password": "a quiet harbour at dawn", "role": "staff"})),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "login");
}
