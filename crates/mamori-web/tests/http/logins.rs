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
    let r = app.api_get_ok("/api/v1/me", token).await;
    r.json()["login"].as_str().expect("login").to_owned()
}

async fn api_login(app: &TestApp, login: &str, password: &str) -> Response {
    app.api_login(json!({"login": login, "password": password}))
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
    let page = app.get("/login").await;
    let csrf = page.hidden("csrf").expect("csrf");
    let r = app
        .post_login(&csrf, format!(
                    "login=%EF%BC%A4%EF%BC%A5%EF%BC%AD%EF%BC%AF-Hospital&password={}&csrf={csrf}&next=%2F",
                    demo::DEMO_PASSWORD
                ))
        .await.assert_status(StatusCode::SEE_OTHER);
    let cookie = r.cookie_header("mamori_session");
    let home = app
        .get_page(&cookie, "/account")
        .await
        .assert_status(StatusCode::OK);
    home.assert_body_contains("demo-hospital");
    // A wrong password is wrong in every spelling.
    api_login(app, "DEMO-HOSPITAL", "not the password at all")
        .await
        .assert_bilingual_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
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
    let user = app.user("demo-clinic").await;
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
            .api_post(
                &users,
                &admin,
                json!({"login": login, "password": "a quiet harbour at dawn", "role": "staff"}),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
        let e = &r.json()["error"];
        assert_eq!(e["field"], "login", "{}", r.body);
        assert_eq!(e["problems"][0]["code"], "login_taken", "{}", r.body);
        assert!(r.message_ja().contains("ログインID"), "{}", r.body);
    }
    // The page says the same, in the form's language.
    let web = app.web_login("demo-hospital").await;
    let r = app
        .submit(
            &web,
            &format!("/institutions/{HOSPITAL}/users"),
            "login=DEMO-hospital-STAFF&password=a+quiet+harbour+at+dawn&role=staff",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("既に使われています");
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
    let body = json!({"vendor_name": "折返しシステム", "systems": ["emr"], "remote_maintenance": false, "invite_email": "sales@orikaeshi.example.jp"});
    let token = invitation_token(&add_vendor_contract(app, &admin, body).await);
    accept_invitation(
        app,
        &token,
        json!({"login": "DEMO-Vendor-46", "password": "a quiet harbour at dawn"}),
    )
    .await
    .assert_status(StatusCode::CONFLICT);
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
    with_connection!(app, c => {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&mut c).await.expect("execute");
    });
}

/// The logins of the accounts that match a condition, read directly.
async fn logins_where(app: &TestApp, condition: &str) -> Vec<String> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT login FROM users WHERE {condition}"));
    let rows: Vec<(String,)> = with_connection!(app, c => {
        sqlx::query_as(sql).fetch_all(&mut c).await.expect("query")
    });
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
    api_login(app, "ＬＥＧＡＣＹ－ＯＮＬＹ", legacy[2].1)
        .await
        .assert_status(StatusCode::OK);
    // No third account joins the colliding two.
    let admin = app.token("demo-clinic").await;
    let r = app
        .api_post(
            &format!("/api/v1/institutions/{CLINIC}/users"),
            &admin,
            json!({"login": "SATO-clinic", "password": "a quiet harbour at dawn", "role": "staff"}),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "login");
}
