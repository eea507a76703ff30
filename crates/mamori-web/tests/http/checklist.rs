//! The checklist (`src/checklist/`): the versions and forms listed, an institution filling
//! its form (through the API, and on the pages with their CSRF token), answers saved at
//! once, refused answers, and the form each kind of institution gets.

use super::*;

on_both_engines!(
    checklists_list_every_version_and_form,
    institution_fills_its_checklist,
    concurrent_answers_are_judged_in_order,
    bad_answers_are_refused_and_change_nothing,
    forms_follow_the_kind_of_institution,
    pages_login_fill_and_csrf,
);

async fn checklists_list_every_version_and_form(app: &TestApp) {
    let token = app.token("demo-national").await;
    let list = app.api_get("/api/v1/checklists", &token).await.json();
    let ids = texts(&list, "id");
    for version in ["r5", "r6", "r7"] {
        for form in ["institution", "vendor", "pharmacy"] {
            assert!(
                ids.contains(&format!("{version}-{form}").as_str()),
                "missing {version}-{form}"
            );
        }
    }
    let r5 = element(&list, "id", "r5-institution");
    let patch_server = element(&r5["items"], "key", "2-7-server");
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
    let r6 = element(&list, "id", "r6-institution");
    assert_eq!(r6["items"].as_array().expect("items").len(), 18);
}

async fn institution_fills_its_checklist(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let before = app.api_get(&path, &token).await.json();
    assert_eq!(before["form"], "institution");
    let open: Vec<String> = elements(&before["items"])
        .iter()
        .filter(|i| i["required"] == true && i["first"].is_null())
        .filter_map(|i| i["key"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(open.len(), 3, "the demo leaves three items open: {open:?}");
    let checked = format!("{year}-06-01");
    let target = format!("{year}-12-01");
    let r = app
        .api_put_ok(
            &format!("{path}/items/{}", open[0]),
            &token,
            json!({"round": 1, "answer": "no", "checked_on": checked, "target_date": target}),
        )
        .await;
    assert_eq!(r.json()["first"]["answer"], "no");
    assert_eq!(r.json()["first"]["target_date"], target);
    // The second check, after the target date.
    let second = format!("{year}-12-15");
    let today = mamori_app::today_in_japan().to_string();
    let second = if second <= today { second } else { today };
    let r = app
        .api_put_ok(
            &format!("{path}/items/{}", open[0]),
            &token,
            json!({"round": 2, "answer": "yes", "checked_on": second}),
        )
        .await;
    assert_eq!(r.json()["second"]["answer"], "yes");
    // Changing an answer keeps the history: who, what, when.
    app
        .api_put_ok(&format!("{path}/items/{}", open[0]), &token, json!({"round": 1, "answer": "no", "checked_on": checked, "target_date": format!("{year}-11-30")})).await;
    let history = app
        .api_get(&format!("{path}/items/{}/history", open[0]), &token)
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
        .api_delete(&format!("{path}/items/{}?round=2", open[0]), &staff)
        .await
        .assert_status(StatusCode::OK);
    assert!(r.json()["second"].is_null());
    let history = app
        .api_get(&format!("{path}/items/{}/history", open[0]), &token)
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
    let before = app.api_get(&path, &token).await.json();
    let open: Vec<String> = elements(&before["items"])
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
            .map(|body| app.api_put(&item, &token, body.clone())),
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
    let after = app.api_get(&path, &token).await.json();
    let state = element(&after["items"], "key", key.as_str()).clone();
    assert_eq!(state["first"]["answer"], "no", "{state}");
    // One history row and one audit entry per accepted answer, and the chain still holds.
    let history = app.api_get(&format!("{item}/history"), &token).await.json();
    assert_eq!(history.as_array().expect("history").len(), accepted);
    let audit_after = app.state.store.audit_count(HOSPITAL).await.expect("audit");
    assert_eq!(
        audit_after - audit_before,
        i64::try_from(accepted).expect("count")
    );
    app.assert_audit_chain_intact().await;
}

async fn bad_answers_are_refused_and_change_nothing(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}");
    let before = app.api_get(&path, &token).await.body;
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
        let r = app.api_put(&path, &token, body.clone()).await;
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
    app.api_put(
        &format!("/api/v1/institutions/{CLINIC}/assessments/{year}/items/2-2-all"),
        &clinic,
        json!({"round": 1, "answer": "yes", "checked_on": d("06-01")}),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "item_not_applicable");
    let after = app.api_get(&path, &token).await.body;
    assert_eq!(before, after, "refused answers change nothing");
}

async fn forms_follow_the_kind_of_institution(app: &TestApp) {
    let year = app.year();
    let pharmacy = app.token("demo-pharmacy").await;
    let a = app.assessment(PHARMACY, year, &pharmacy).await;
    assert_eq!(a["form"], "pharmacy");
    assert!(
        a["checklist_id"]
            .as_str()
            .unwrap_or_default()
            .ends_with("-pharmacy")
    );
    let clinic = app.token("demo-clinic").await;
    let a = app.assessment(CLINIC, year, &clinic).await;
    assert_eq!(a["form"], "institution");
    let remote = element(&a["items"], "key", "2-2-all");
    assert_eq!(remote["applicable"], false);
    assert_eq!(remote["not_applicable_reason"], "no_vendor_contract");
    // 令和5年度: the 参考項目 are marked as such, and 2-7-server is one of them.
    let a = app
        .api_get(
            &format!("/api/v1/institutions/{CLINIC}/assessments/2023"),
            &clinic,
        )
        .await
        .json();
    let patch = element(&a["items"], "key", "2-7-server");
    assert_eq!(patch["reference"], true);
    assert_eq!(patch["required"], false);
    assert_eq!(a["checklist_id"], "r5-institution");
}

async fn pages_login_fill_and_csrf(app: &TestApp) {
    let year = app.year();
    let s = app.web_login("demo-hospital").await;
    let page = app
        .page(&s, &format!("/institutions/{HOSPITAL}/checklist/{year}"))
        .await;
    assert!(
        page.body.contains("みなと中央病院")
            && page.body.contains("1(1)")
            && page.body.contains("医療機関確認用")
    );
    let assessment = app
        .assessment(HOSPITAL, year, &app.token("demo-hospital").await)
        .await;
    let open = elements(&assessment["items"])
        .iter()
        .find(|i| i["required"] == true && i["first"].is_null())
        .expect("an open item");
    let key = open["key"].as_str().expect("key");
    let action = format!("/institutions/{HOSPITAL}/checklist/{year}/items/{key}");
    let form = format!("round=1&answer=yes&checked_on={year}-06-10&target_date=&action=save");
    // Without the CSRF token the form is refused.
    app.post_form(&s.cookie, &action, &form, false)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // A plain form post saves and redirects back to the item.
    let r = app.submit_accepted(&s, &action, &form).await;
    assert!(r.location().ends_with(&format!("#item-{key}")));
    // With htmx only the item's card comes back; a refused answer is shown in place.
    let bad = format!(
        "csrf={}&round=1&answer=yes&checked_on={year}-06-10&target_date={year}-09-01&action=save",
        s.csrf
    );
    let r = app
        .post_form(&s.cookie, &action, &bad, true)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.starts_with("<article")
            && r.body.contains("目標日は「いいえ」の場合にのみ記入します"),
        "{}",
        r.body
    );
    let r = app.post_form(&s.cookie, &action, &format!("csrf={}&round=1&answer=no&checked_on={year}-06-10&target_date={year}-09-01&action=save", s.csrf), true).await.assert_status(StatusCode::OK);
    assert!(r.body.contains("保存しました"));
    assert_eq!(
        r.headers.get("HX-Trigger").and_then(|v| v.to_str().ok()),
        Some("answer-saved")
    );
    let history = app.page(&s, &format!("{action}/history")).await;
    assert!(history.body.contains("demo-hospital"));
    let print = app
        .page(
            &s,
            &format!("/institutions/{HOSPITAL}/checklist/{year}/print"),
        )
        .await;
    assert!(print.body.contains("確認結果"));
    // Logging out ends the session.
    app.submit_accepted(&s, "/logout", "").await;
    let after = app
        .get_with_cookie(&s.cookie, "/institutions")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login"));
}
