//! Steps and request bodies that scenarios of several modules share.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::TestApp;

/// The second factor's current code for the secret (as an authenticator app shows it).
pub(crate) fn code_now(secret: &str, login: &str) -> String {
    mamori_web::http::two_factor::totp(secret, login)
        .expect("totp")
        .generate_current()
        .to_string()
}

/// A complete survey answer of the security-assurance project, for a hospital of `beds`.
pub(crate) fn assurance_survey_body(beds: i64) -> Value {
    json!({
        "emr": "full", "beds": beds, "participation": "both", "gmis_reuse_consent": true,
        "renewal_planned": false, "onsite_survey_by_january": null,
        "contact": {"name": "情報システム課 山田", "phone": "03-1234-5678", "email": "it@minato.example.jp"}
    })
}

/// The ids of a JSON array of numbers.
pub(crate) fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("id"))
        .collect()
}

/// Publishes a course and a session starting in ten days with the given capacity (as the
/// operator, through the API); returns the session's id.
pub(crate) async fn open_training_session(app: &TestApp, capacity: i64) -> i64 {
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

/// How many audit entries of `action` there are.
pub(crate) async fn audit_count(app: &TestApp, action: &str) -> usize {
    app.state
        .store
        .audit_entries(None, 1_000_000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == action)
        .count()
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
