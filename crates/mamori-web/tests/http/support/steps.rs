//! Steps and request bodies that scenarios of several modules share.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{HOSPITAL, Response, TestApp};

/// The second factor's current code for the secret (as an authenticator app shows it).
pub(crate) fn code_now(secret: &str, login: &str) -> String {
    mamori_web::http::two_factor::totp(secret, login)
        .expect("totp")
        .generate_current()
        .to_string()
}

/// Confirms the two-factor enrolment of the signed-in `cookie` with the current code, as the
/// enrolment page's form (CSRF token `csrf`) sends it.
pub(crate) async fn confirm_two_factor(
    app: &TestApp,
    cookie: &str,
    csrf: &str,
    secret: &str,
    login: &str,
) -> Response {
    let form = format!("csrf={csrf}&code={}", code_now(secret, login));
    app.post_form(cookie, "/account/two-factor", &form, false)
        .await
}

/// Sends the second factor `code` on the login's two-factor step, as its form does: the
/// pending login's cookie `pending`, the step page's CSRF token `csrf`, and where to go on
/// to (`next`, URL-encoded).
pub(crate) async fn send_second_factor(
    app: &TestApp,
    pending: &str,
    csrf: &str,
    code: &str,
    next: &str,
) -> Response {
    let form = format!("csrf={csrf}&code={code}&next={next}");
    app.post_form(pending, "/login/two-factor", &form, false)
        .await
}

/// Adds a staff member of the institution; returns the account's id.
pub(crate) async fn add_staff(app: &TestApp, login: &str, password: &str, institution: i64) -> i64 {
    mamori_app::add_user(
        &app.state,
        None,
        login,
        password,
        mamori_domain::Role::InstitutionStaff,
        Some(institution),
        None,
    )
    .await
    .expect("add staff")
}

/// Adds a Tokyo inspector (who must set up two-factor login).
pub(crate) async fn add_inspector(app: &TestApp, login: &str, password: &str) {
    mamori_app::add_user(
        &app.state,
        None,
        login,
        password,
        mamori_domain::Role::Inspector,
        None,
        Some(mamori_domain::Prefecture::parse("13").expect("13")),
    )
    .await
    .expect("add inspector");
}

/// A complete survey answer of the security-assurance project, for a hospital of `beds`.
pub(crate) fn assurance_survey_body(beds: i64) -> Value {
    json!({
        "emr": "full", "beds": beds, "participation": "both", "gmis_reuse_consent": true,
        "renewal_planned": false, "onsite_survey_by_january": null,
        "contact": {"name": "情報システム課 山田", "phone": "03-1234-5678", "email": "it@minato.example.jp"}
    })
}

/// Submits a security-assurance application of the programme year through the API;
/// returns its id.
pub(crate) async fn apply_for_assurance(app: &TestApp, token: &str, year: i32, body: Value) -> i64 {
    let path = format!("/api/v1/programs/{year}/applications");
    let created = app.api_create(&path, token, body).await;
    created["id"].as_i64().expect("id")
}

/// The elements of the JSON array `list` (panics, showing it, if it is not an array).
pub(crate) fn elements(list: &Value) -> &[Value] {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
}

/// The text `field` of each element of the JSON array `list` that has one.
pub(crate) fn texts<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    elements(list)
        .iter()
        .filter_map(|e| e[field].as_str())
        .collect()
}

/// The element of the JSON array `list` whose `field` is `value` (panics if there is none).
pub(crate) fn element<'a, T: std::fmt::Debug>(list: &'a Value, field: &str, value: T) -> &'a Value
where
    Value: PartialEq<T>,
{
    elements(list)
        .iter()
        .find(|e| e[field] == value)
        .unwrap_or_else(|| panic!("no {field} {value:?} in {list}"))
}

/// The ids of a JSON array of numbers.
pub(crate) fn ids(v: &Value) -> Vec<i64> {
    elements(v)
        .iter()
        .map(|x| x.as_i64().expect("id"))
        .collect()
}

/// Publishes a course and a session starting in ten days with the given capacity (as the
/// operator, through the API); returns the session's id.
pub(crate) async fn open_training_session(app: &TestApp, capacity: i64) -> i64 {
    let operator = app.token("demo-operator").await;
    let r = app
        .api_post("/api/v1/training/courses", &operator, json!({"title_ja": "試験用コース", "title_en": "Test course", "audience": "beginner", "format": "online"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let course = r.json()["id"].as_i64().expect("course id");
    let day = mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(10);
    let r = app
        .api_post(
            "/api/v1/training/sessions",
            &operator,
            json!({
                "course_id": course,
                "starts_at": format!("{day}T16:00"),
                "ends_at": format!("{day}T18:00"),
                "registration_deadline": format!("{}T13:00", day - chrono::Duration::days(3)),
                "capacity": capacity,
                "venue": "オンライン（Zoom）",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().expect("session id")
}

/// Registers a participant for a training session through the API.
pub(crate) async fn register_for_training(
    app: &TestApp,
    token: &str,
    session: i64,
    name: &str,
) -> Response {
    app.api_post(
        &format!("/api/v1/training/sessions/{session}/registrations"),
        token,
        json!({"participant_name": name}),
    )
    .await
}

/// Records a vendor contract of the demo hospital through the API; returns the answer.
pub(crate) async fn add_vendor_contract(app: &TestApp, token: &str, body: Value) -> Value {
    let path = format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts");
    app.api_create(&path, token, body).await
}

/// Accepts a vendor invitation through the API (the link's token is the credential: no
/// bearer token) with the login, password and, for an existing login, second factor.
pub(crate) async fn accept_invitation(app: &TestApp, token: &str, body: Value) -> Response {
    let path = format!("/api/v1/invitations/{token}/accept");
    app.api("POST", &path, None, Some(body)).await
}

/// The token of the invitation a new vendor contract's answer links to.
pub(crate) fn invitation_token(created: &Value) -> String {
    created["invitation_url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .expect("invitation token")
        .to_owned()
}

/// A second vendor of the demo hospital, 南風ネット (network), invited by its admin (`token`)
/// and registered as `minami-net`; the contract's answer.
pub(crate) async fn a_second_vendor(app: &TestApp, token: &str) -> Value {
    let contract = add_vendor_contract(
        app,
        token,
        json!({"vendor_name": "南風ネット", "systems": ["network"], "remote_maintenance": false, "invite_email": "net@minami.example.jp"}),
    )
    .await;
    accept_invitation(
        app,
        &invitation_token(&contract),
        json!({"login": "minami-net", "password": "southern wind over the harbour"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    contract
}

/// Schedules the demo hospital's inspection of the demo year on `on`, at 10:00, as Tokyo's
/// inspector.
pub(crate) async fn schedule_hospital_inspection(app: &TestApp, on: chrono::NaiveDate) {
    let inspector = app.token("demo-inspector-13").await;
    app.api_put_ok(
        &format!(
            "/api/v1/institutions/{HOSPITAL}/inspection/{}/schedule",
            app.year()
        ),
        &inspector,
        json!({"date": on.to_string(), "starts_at": "10:00", "inspectors": ["行列 検査"]}),
    )
    .await;
}

/// Takes a place in a training session through the API; returns the place's id.
pub(crate) async fn take_training_place(
    app: &TestApp,
    token: &str,
    session: i64,
    name: &str,
) -> i64 {
    let r = register_for_training(app, token, session, name).await;
    r.assert_status(StatusCode::CREATED).json()["registration_id"]
        .as_i64()
        .expect("registration id")
}

/// How many audit entries of `action` there are.
pub(crate) async fn audit_count(app: &TestApp, action: &str) -> usize {
    app.audit_log()
        .await
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// Reports a consultation case through the API; returns its id.
pub(crate) async fn report_incident(app: &TestApp, token: &str, body: Value) -> i64 {
    let created = app.api_create("/api/v1/incidents", token, body).await;
    created["case_id"].as_i64().expect("case id")
}

/// A consultation case (インシデントかも?) as the report form sends it.
pub(crate) fn incident_body(symptoms: &[&str], systems: &[&str], care: &str) -> Value {
    json!({
        "symptoms": symptoms,
        "systems": systems,
        "started_at": "2026-01-05T08:30",
        "care_affected": care,
        "details": "受付の端末に英語の脅迫文が表示されている",
        "callback_phone": "03-1234-5678"
    })
}

/// The key of a required item the hospital has not answered this year (one with a target
/// date), as its user `token` sees the checklist.
pub(crate) async fn unanswered_item(app: &TestApp, token: &str) -> String {
    let assessment = app.assessment(HOSPITAL, app.year(), token).await;
    elements(&assessment["items"])
        .iter()
        .find(|i| i["required"] == true && i["first"].is_null() && i["has_target_date"] != false)
        .and_then(|i| i["key"].as_str())
        .expect("the demo hospital has unanswered items")
        .to_owned()
}

/// Answers one of the hospital's unanswered items いいえ with `target` as its target date,
/// as its admin (`token`); the item's key.
pub(crate) async fn answer_no_until(
    app: &TestApp,
    token: &str,
    target: chrono::NaiveDate,
) -> String {
    let year = app.year();
    let assessment = app.assessment(HOSPITAL, year, token).await;
    let key = elements(&assessment["items"])
        .iter()
        .find(|i| i["required"] == true && i["first"].is_null() && i["has_target_date"] != false)
        .and_then(|i| i["key"].as_str())
        .expect("the demo hospital has unanswered items")
        .to_owned();
    let body = json!({"round": 1, "answer": "no", "checked_on": format!("{year}-04-02"), "target_date": target.to_string()});
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}");
    app.api_put(&path, token, body)
        .await
        .assert_status(StatusCode::OK);
    key
}

/// A notification of the hospital's admin (`token`): an item answered いいえ, notified by the
/// scheduler on its target date (the last day of the demo's fiscal year); its id.
pub(crate) async fn notify_hospital_admin(app: &TestApp, token: &str) -> i64 {
    let target = chrono::NaiveDate::from_ymd_opt(app.year() + 1, 3, 30).expect("a date");
    let key = answer_no_until(app, token, target).await;
    mamori_app::notifications::run_scheduler(&app.state, target)
        .await
        .expect("a scheduler pass");
    let admin = app.user("demo-hospital").await;
    app.state
        .store
        .notifications_of(admin.id, false)
        .await
        .expect("notifications")
        .into_iter()
        .find(|n| n.item_key.as_deref() == Some(key.as_str()))
        .expect("the admin is notified on the target date")
        .id
}

/// The hospital's inspection of the demo's year, scheduled for today by `inspector` (the
/// inspector of its prefecture) with a 指導 on 1-1, its result not yet notified; the
/// inspection's API path.
pub(crate) async fn inspected_with_guidance(app: &TestApp, inspector: &str) -> String {
    let inspection = format!("/api/v1/institutions/{HOSPITAL}/inspection/{}", app.year());
    app.api_put_ok(
        &format!("{inspection}/schedule"),
        inspector,
        json!({"date": mamori_app::today_in_japan().to_string(), "inspectors": ["行列 検査"]}),
    )
    .await;
    app.api_put_ok(
        &format!("{inspection}/remarks/1-1"),
        inspector,
        json!({"level": "guidance"}),
    )
    .await;
    inspection
}

/// A mail of the hospital admin's notifications (the demo's at least) that failed after its
/// last attempt (their address set, the notifications routed, the first mail's attempt
/// recorded as the last); its id. The other mails are recorded as sent.
pub(crate) async fn a_failed_mail(app: &TestApp) -> i64 {
    use mamori_app::mail_delivery::{lease_due, route};
    let token = app.token("demo-hospital").await;
    app.api_put_ok(
        "/api/v1/me/notification-settings",
        &token,
        json!({"email": "failing-mailbox@hospital.example.jp"}),
    )
    .await;
    let now = chrono::Utc::now();
    route(&app.state, now).await.expect("routed");
    let leased = lease_due(&app.state, now).await.expect("leased");
    let (first, rest) = leased
        .split_first()
        .expect("a mail to the hospital's admin");
    let store = &app.state.store;
    store
        .mail_not_sent(first.id, "550 mailbox unavailable", None)
        .await
        .expect("failed");
    for mail in rest {
        store
            .mail_sent(mail.id, "2026-01-01T00:00:00.000Z")
            .await
            .expect("sent");
    }
    first.id
}

/// Attaches a one-page PDF as evidence to the hospital's item `key` of `year` through the
/// API (the hospital's `token`), produced a month ago, valid for a year; its id.
pub(crate) async fn attach_evidence(
    app: &TestApp,
    token: &str,
    year: i32,
    key: &str,
    title: &str,
) -> i64 {
    let today = mamori_app::today_in_japan();
    let produced = (today - chrono::Days::new(30)).to_string();
    let until = (today + chrono::Days::new(365)).to_string();
    let pdf = mamori_reports::document::simple_pdf(&["evidence"]);
    let (content_type, body) = super::multipart_form(
        &[
            ("title", title),
            ("owner", "情報システム課 佐藤"),
            ("produced_on", &produced),
            ("valid_until", &until),
        ],
        &[("file", "evidence.pdf", &pdf)],
    );
    let answer = app
        .upload(
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}/evidence"),
            token,
            &content_type,
            body,
        )
        .await
        .assert_status(StatusCode::CREATED);
    answer.json()["id"].as_i64().expect("an evidence id")
}
