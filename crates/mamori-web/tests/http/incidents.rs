//! Incident consultation (インシデントかも?, `src/incidents/`): a case reported, seen and
//! handled through the API, and the report and desk pages.

use super::*;

on_both_engines!(
    incidents_are_reported_seen_and_handled,
    incident_pages_report_and_desk,
);

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
        .audit_log()
        .await
        .iter()
        .filter(|e| e.action.starts_with("incident."))
        .count();
    let staff = app.token("demo-hospital-staff").await;
    let admin = app.token("demo-hospital").await;
    let operator = app.token("demo-operator").await;
    // Missing answers: every field named, in both languages, nothing stored.
    let r = app
        .api_post(
            "/api/v1/incidents",
            &staff,
            json!({"symptoms": [], "systems": [], "started_at": "", "care_affected": ""}),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = r.problem_paths();
    assert_eq!(
        paths,
        ["symptoms", "systems", "started_at", "care_affected"]
    );
    // A body without the answers' fields, and an answer out of its list.
    for (body, code) in [
        (json!({"systems": ["emr"]}), "invalid_body"),
        (
            incident_body(&["fire"], &["emr"], "maybe"),
            "invalid_fields",
        ),
    ] {
        app.api_post("/api/v1/incidents", &staff, body)
            .await
            .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    assert_eq!(incident_cases(app).await, demo_cases, "nothing stored");
    // Those with no institution to report for are refused before their answers are read.
    for login in ["demo-vendor", "demo-inspector-13", "demo-operator"] {
        let token = app.token(login).await;
        app.api_post(
            "/api/v1/incidents",
            &token,
            incident_body(&["ransom_note"], &["emr"], "yes"),
        )
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    }

    // A low case first, then a critical one: the desk sees the critical one first.
    let r = app
        .api_create(
            "/api/v1/incidents",
            &admin,
            incident_body(&["other"], &["other"], "no"),
        )
        .await;
    assert_eq!(r["urgency"], "low");
    let low = r["case_id"].as_i64().expect("id");
    let r = app
        .api_create(
            "/api/v1/incidents",
            &staff,
            incident_body(
                &["ransom_note", "files_encrypted"],
                &["emr", "network"],
                "yes",
            ),
        )
        .await;
    let created = r.clone();
    let case = created["case_id"].as_i64().expect("id");
    assert_eq!(created["urgency"], "critical");
    let steps = texts(&created["first_steps"], "code");
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
            .api_get_ok(&format!("/api/v1/incidents/{case}"), token)
            .await;
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
        app.api_get(&format!("/api/v1/incidents/{case}"), &token)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api_post(
                &format!("/api/v1/incidents/{case}/notes"),
                &token,
                json!({"text": "見せて"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{login}: {}", r.body);
    }
    let clinic = app.token("demo-clinic").await;
    let r = app.api_get_ok("/api/v1/incidents", &clinic).await;
    assert_eq!(
        r.json().as_array().map(Vec::len),
        Some(0),
        "another institution's list is its own"
    );
    let inspector = app.token("demo-inspector-13").await;
    app.api_get("/api/v1/incidents", &inspector)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The desk's list: open cases, most urgent first.
    let r = app.api_get_ok("/api/v1/incidents", &operator).await;
    let list = r.json();
    let ids: Vec<i64> = elements(&list)
        .iter()
        .filter_map(|c| c["case_id"].as_i64())
        .collect();
    // New cases first, most urgent first; the demo's case (対応中) after them.
    assert_eq!(ids.len(), 2 + demo_cases, "{list}");
    assert_eq!(ids[..2], [case, low]);
    app.api_get("/api/v1/incidents?state=bogus", &operator)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");

    // Two desk members taking up the low case at the same moment: exactly one succeeds,
    // the other is told the case already is in progress; one state change is recorded.
    let national = app.token("demo-national").await;
    let path = format!("/api/v1/incidents/{low}/state");
    let body = json!({"state": "in_progress"});
    let (a, b) = tokio::join!(
        app.api_put(&path, &operator, body.clone()),
        app.api_put(&path, &national, body)
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
        .api_get(&format!("/api/v1/incidents/{low}"), &admin)
        .await;
    assert_eq!(r.json()["history"].as_array().map(Vec::len), Some(2));

    // Only the desk changes the state.
    let state_path = format!("/api/v1/incidents/{case}/state");
    let notes_path = format!("/api/v1/incidents/{case}/notes");
    app.api_put(&state_path, &staff, json!({"state": "resolved"}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .api_put_ok(&state_path, &operator, json!({"state": "in_progress"}))
        .await;
    assert_eq!(r.json()["state"], "in_progress");
    for (state, code, status) in [
        ("in_progress", "state_unchanged", StatusCode::CONFLICT),
        ("new", "back_to_new", StatusCode::CONFLICT),
        ("bogus", "invalid_value", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        app.api_put(&state_path, &operator, json!({"state": state}))
            .await
            .assert_bilingual_error(status, code);
    }
    app.api_post(&notes_path, &operator, json!({"text": "  "}))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    // Each note says which side wrote it.
    for (token, text, side) in [
        (
            &operator,
            "初動対応支援の技術者が向かいます。LANは抜いたままにしてください",
            "desk",
        ),
        (&staff, "PACSも開けなくなりました", "institution"),
    ] {
        let r = app
            .api_create(&notes_path, token, json!({ "text": text }))
            .await;
        assert_eq!(r["side"], side);
    }
    // The reporter sees the new state, the notes and the history.
    let r = app
        .api_get(&format!("/api/v1/incidents/{case}"), &staff)
        .await;
    let seen = r.json();
    assert_eq!(seen["state"], "in_progress");
    assert_eq!(seen["notes"].as_array().map(Vec::len), Some(2));
    assert_eq!(seen["history"][1]["to"], "in_progress");
    assert_eq!(seen["history"][1]["changed_by"], "demo-operator");
    assert_eq!(seen["callback_phone"], "03-1234-5678");
    // Every change is in the audit log, without the free text.
    let entries = app.audit_log().await;
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
    app.assert_audit_chain_intact().await;
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
        .api_create(
            "/api/v1/incidents",
            &clinic,
            incident_body(&["strange_traffic"], &["network"], "no"),
        )
        .await;
    let created = r.clone();
    assert_eq!(created["urgency"], "high");
    assert_eq!(created["call_now"][0]["source"], "institution_admin");
    assert_eq!(created["call_now"][0]["name"], "demo-clinic");
    let police = elements(&created["call_now"])
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
        .get("/incidents/new")
        .await
        .assert_status(StatusCode::OK);
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
    let r = app.page(&staff, "/incidents/new").await;
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
        .submit(
            &staff,
            "/incidents",
            "symptoms=cannot_log_in&started_at=&details=%E7%94%BB%E9%9D%A2",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("どのシステムですか") && r.body.contains("診療に影響がありますか"));
    assert!(
        r.body.contains("value=\"cannot_log_in\" checked"),
        "answers are kept"
    );
    assert_eq!(incident_cases(app).await, demo_cases);
    // Without the CSRF token: refused.
    app.post_form(
        &staff.cookie,
        "/incidents",
        "symptoms=ransom_note&systems=emr&started_at=2026-01-05T08%3A30&care_affected=yes",
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let r = app
        .submit_accepted(&staff, "/incidents", "symptoms=ransom_note&symptoms=files_encrypted&systems=emr&started_at=2026-01-05T08%3A30&care_affected=yes").await;
    let to = r.redirect_target();
    assert!(to.ends_with("?sent=1"), "{to}");
    let page = app.page(&staff, &to).await;
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
    let list = app.page(&operator, "/incidents").await;
    assert!(
        list.body.contains(&format!("href=\"/incidents/{case}\""))
            && list.body.contains("みなと中央病院")
    );
    let state_path = format!("/incidents/{case}/state");
    app.submit(&staff, &state_path, "state=resolved")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.submit_accepted(&operator, &state_path, "state=in_progress")
        .await;
    let r = app
        .submit(&operator, &state_path, "state=in_progress")
        .await
        .assert_status(StatusCode::CONFLICT);
    assert!(r.body.contains("すでに「対応中」"));
    app.submit_accepted(
        &operator,
        &format!("/incidents/{case}/notes"),
        "text=%E6%8A%98%E3%82%8A%E8%BF%94%E3%81%97%E3%81%BE%E3%81%99",
    )
    .await;
    let incidents_path = format!("/incidents/{case}");
    let page = app.get_page(&staff.cookie, &incidents_path).await;
    assert!(
        page.body.contains("id=\"case-state\">対応中"),
        "the reporter sees the new state"
    );
    assert!(page.body.contains("折り返します"));
    // Another institution: 404; English on request.
    let clinic = app.web_login("demo-clinic").await;
    assert_eq!(
        app.get_page(&clinic.cookie, &incidents_path).await.status,
        StatusCode::NOT_FOUND
    );
    let english = app
        .get_with_cookie(staff.english_cookie(), format!("/incidents/{case}"))
        .await;
    assert!(english.body.contains("Call now") && english.body.contains("In progress"));
}
