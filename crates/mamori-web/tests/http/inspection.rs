//! The on-site inspection (`src/inspection/`): the verdict follows the answers and the
//! inspector's observation.

use super::*;

on_both_engines!(inspection_verdict_follows_answers_and_observation,);

async fn inspection_verdict_follows_answers_and_observation(app: &TestApp) {
    let year = app.year();
    let hospital = app.token("demo-hospital").await;
    let inspector = app.token("demo-inspector-13").await;
    let verdict_path = format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}");
    let v = app.api_get(&verdict_path, &inspector).await.json();
    assert_eq!(v["ready"], false);
    let is_vendor = |f: &Value| {
        f["code"] == "vendor_form_missing"
            || f["message_ja"]
                .as_str()
                .is_some_and(|m| m.starts_with("事業者確認用"))
    };
    let (vendor_findings, blocking): (Vec<&Value>, Vec<&Value>) = elements(&v["findings"])
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
    let assessment = app.assessment(HOSPITAL, year, &hospital).await;
    for item in elements(&assessment["items"])
        .iter()
        .filter(|i| i["required"] == true && i["first"].is_null())
    {
        let key = item["key"].as_str().expect("key");
        app.api_put_ok(
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}"),
            &hospital,
            json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-07-01")}),
        )
        .await;
    }
    let v = app.api_get(&verdict_path, &inspector).await.json();
    assert_eq!(v["ready"], false);
    let codes: Vec<&str> = elements(&v["findings"])
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["contact_chart_not_seen"]);
    // Only an inspector of the prefecture records what was seen.
    let obs = format!("{verdict_path}/observations");
    app.api_put(&obs, &hospital, json!({"contact_chart_seen": true}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let national = app.token("demo-national").await;
    app.api_put(&obs, &national, json!({"contact_chart_seen": true}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api_put(&obs, &inspector, json!({"contact_chart_seen": "yes"}))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let r = app
        .api_put_ok(&obs, &inspector, json!({"contact_chart_seen": false}))
        .await;
    assert_eq!(r.json()["ready"], false);
    assert!(
        elements(&r.json()["findings"])
            .iter()
            .any(|f| f["code"] == "contact_chart_missing")
    );
    let r = app
        .api_put(&obs, &inspector, json!({"contact_chart_seen": true}))
        .await;
    assert_eq!(r.json()["ready"], true, "{}", r.body);
    assert_eq!(r.json()["contact_chart_seen"], true);
    // Inspectors read; they do not answer for the institution.
    app.api_put(
        &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/1-1"),
        &inspector,
        json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-07-01")}),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // The previous year was completed and inspected in the demo.
    let previous = app
        .api_get(
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{}", year - 1),
            &inspector,
        )
        .await
        .json();
    assert_eq!(previous["ready"], true, "{previous}");
}
