//! Support and subsidy menus (支援メニュー, `src/support/`): the public menu and estimates,
//! refused estimate input, and the suggestions drawn from an institution's records. It is
//! the module `support_menu`: `support/` beside it is the shared test support.

use super::*;

on_both_engines!(
    support_menu_and_estimates_are_public,
    subsidy_estimates_refuse_bad_input_clearly,
    suggestions_follow_the_institution_records,
);

async fn support_menu_and_estimates_are_public(app: &TestApp) {
    // The menu needs no login: Tokyo's programmes and the national ones.
    let r = app
        .get("/api/v1/support-programs?prefecture=13&fiscal_year=2026")
        .await
        .assert_status(StatusCode::OK);
    let menu = r.json();
    let programs = menu["programs"].as_array().expect("programs");
    let find = |id: &str| {
        programs
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {programs:?}"))
            .clone()
    };
    let equipment = find("tokyo-cybersecurity-equipment");
    assert_eq!(equipment["region"], "13");
    assert_eq!(equipment["phase"], "check");
    assert_eq!(equipment["provider"], "prefecture");
    assert_eq!(equipment["subsidy"]["rates"][0]["rate"], "1/2");
    assert_eq!(
        equipment["subsidy"]["standard_amounts"][0]["amount"],
        35_000_000
    );
    assert_eq!(
        equipment["eligible_items_ja"].as_array().map(Vec::len),
        Some(3)
    );
    let assurance = find("mhlw-security-assurance");
    assert_eq!(
        (assurance["region"].as_str(), assurance["status"].as_str()),
        (Some("national"), Some("closed"))
    );
    assert!(
        assurance["status_note_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("令和8年度の申請の受付は終了")
    );
    assert_eq!(find("tokyo-police-seminar")["provider"], "police");
    assert_eq!(find("meti-otasuketai")["provider"], "meti");
    assert!(
        menu["menus"].as_array().is_some_and(|m| m.len() == 2),
        "{menu}"
    );

    // Kagoshima has no menu of its own yet: the national programmes only.
    let r = app
        .get("/api/v1/support-programs?prefecture=46&fiscal_year=2026")
        .await
        .assert_status(StatusCode::OK);
    let kagoshima = r.json();
    assert!(
        !kagoshima["programs"]
            .as_array()
            .expect("programs")
            .is_empty()
    );
    assert!(
        elements(&kagoshima["programs"])
            .iter()
            .all(|p| p["region"] == "national")
    );
    // Filters by phase and provider.
    let r = app
        .get("/api/v1/support-programs?prefecture=13&fiscal_year=2026&phase=grow&provider=prefecture")
        .await;
    let ids: Vec<String> = elements(&r.json()["programs"])
        .iter()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["tokyo-medical-dx-training"]);
    // A year without a menu is an empty list, not an error.
    let r = app
        .get("/api/v1/support-programs?fiscal_year=2031")
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["programs"].as_array().map(Vec::len), Some(0));

    // Estimates, by the rule of the programme: min(基準額, cost) × rate, rounded as stated.
    let estimate = |q: String| async move {
        let r = app.get(&format!("/api/v1/subsidy-estimate?{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        r.json()
    };
    let e = estimate(
        "program=tokyo-cybersecurity-equipment&kind=hospital&beds=350&cost=30000000".into(),
    )
    .await;
    assert_eq!(e["standard_amount"], 12_500_000);
    assert_eq!(e["rate"], "1/2");
    assert_eq!(e["estimate"], 6_250_000);
    assert_eq!(e["rounding"], "floor_1000");
    assert!(
        e["formula_ja"]
            .as_str()
            .unwrap_or_default()
            .contains("千円未満切り捨て"),
        "{e}"
    );
    assert!(
        e["formula_en"]
            .as_str()
            .unwrap_or_default()
            .starts_with("min(standard amount 12,500,000 yen"),
        "{e}"
    );
    for (kind, beds, cost, standard, expected) in [
        ("hospital", 620, 80_000_000, 35_000_000, 17_500_000),
        ("hospital", 120, 3_000_001, 5_000_000, 1_500_000),
        ("clinic_with_beds", 19, 9_000_000, 4_375_000, 2_187_000),
        ("clinic_without_beds", 0, 10_000_000, 3_750_000, 1_875_000),
    ] {
        let e = estimate(format!(
            "program=tokyo-cybersecurity-equipment&kind={kind}&beds={beds}&cost={cost}"
        ))
        .await;
        assert_eq!(
            (e["standard_amount"].as_i64(), e["estimate"].as_i64()),
            (Some(standard), Some(expected)),
            "{e}"
        );
    }
    // Other programmes' rates, the cap and the minimum: each query with the fields it gives.
    for (query, expected) in [
        (
            "program=tokyo-medical-dx-training&kind=clinic_without_beds&beds=0&cost=800000",
            json!({"rate": "10/10", "estimate": 500_000}),
        ),
        (
            "program=meti-otasuketai&kind=pharmacy&beds=0&cost=600000&rate_option=small_business",
            json!({"rate": "2/3", "estimate": 400_000, "standard_amount": null}),
        ),
        (
            "program=meti-otasuketai&kind=hospital&beds=300&cost=9000000&rate_option=sme",
            json!({"capped": true, "estimate": 1_500_000}),
        ),
        (
            "program=meti-otasuketai&kind=hospital&beds=300&cost=90000&rate_option=sme",
            json!({"below_minimum": true, "estimate": 0}),
        ),
    ] {
        let e = estimate(query.into()).await;
        for (field, value) in expected.as_object().expect("fields") {
            assert_eq!(&e[field], value, "{query}: {field} in {e}");
        }
    }
    // Typed as people type: commas, full-width digits, 円.
    let e = estimate("program=tokyo-cybersecurity-equipment&kind=hospital&beds=%EF%BC%93%EF%BC%95%EF%BC%90&cost=30%2C000%2C000%E5%86%86".into()).await;
    assert_eq!(e["estimate"], 6_250_000);

    // Pages: the menu and the estimator work without login and without JavaScript.
    let page = app
        .get_page("", "/support")
        .await
        .assert_status(StatusCode::OK);
    for text in [
        "知る",
        "育てる",
        "確認する",
        "医療機関診療情報サイバーセキュリティ対策支援事業",
        "受付終了",
        "https://mist.mhlw.go.jp/lp/",
        "警視庁",
    ] {
        assert!(page.body.contains(text), "{text} on /support");
    }
    let page = app.get_page("", "/support?provider=meti").await;
    assert!(page.body.contains("お助け隊") && !page.body.contains("医療DX人材育成支援事業"));
    let page = app
        .get_page("", "/support?phase=soon")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_body_contains("フェーズ（phase）「soon」");
    let page = app
        .get_page(
            "",
            "/support/programs/tokyo-cybersecurity-equipment?kind=hospital&beds=350&cost=30000000",
        )
        .await
        .assert_status(StatusCode::OK);
    for text in [
        "6,250,000円",
        "12,500,000",
        "千円未満切り捨て",
        "リモートゲートウェイ装置",
        "id=\"estimate-result\"",
    ] {
        assert!(page.body.contains(text), "{text} on the estimator");
    }
    let page = app
        .get_page(
            "mamori_lang=en",
            "/support/programs/tokyo-cybersecurity-equipment?kind=hospital&beds=350&cost=30000000",
        )
        .await;
    assert!(
        page.body.contains("6,250,000 yen")
            && page.body.contains("rounded down to the thousand yen"),
        "English"
    );
    let page = app
        .get_page(
            "",
            "/support/programs/tokyo-cybersecurity-equipment?kind=pharmacy&beds=0&cost=1000000",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_body_contains("薬局は対象外です");
    app.get_page("", "/support/programs/no-such-programme")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn subsidy_estimates_refuse_bad_input_clearly(app: &TestApp) {
    let ok = "program=tokyo-cybersecurity-equipment&kind=hospital&beds=350&cost=30000000";
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            ok.replace("kind=hospital&beds=350", "kind=pharmacy&beds=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind_not_covered",
        ),
        (
            ok.replace("cost=30000000", "cost=-1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_not_positive",
        ),
        (
            ok.replace("cost=30000000", "cost=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_not_positive",
        ),
        (
            ok.replace("cost=30000000", "cost=99999999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_too_large",
        ),
        (
            ok.replace("cost=30000000", "cost=99999999999999999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_whole_number",
        ),
        (
            ok.replace("cost=30000000", "cost=3.5"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_whole_number",
        ),
        (
            ok.replace("beds=350", "beds=-3"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=80000"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=99999999999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_out_of_range",
        ),
        (
            ok.replace("beds=350", "beds=12"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "beds_do_not_fit_kind",
        ),
        (
            ok.replace("kind=hospital", "kind=dentist"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            ok.replace("&cost=30000000", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_parameter",
        ),
        (
            ok.replace("program=tokyo-cybersecurity-equipment&", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_parameter",
        ),
        (
            ok.replace("tokyo-cybersecurity-equipment", "no-such-programme"),
            StatusCode::NOT_FOUND,
            "program_not_found",
        ),
        (
            ok.replace("tokyo-cybersecurity-equipment", "mhlw-mist-training"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_subsidy",
        ),
        (
            format!("{ok}&beds=20"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            format!("{ok}&fiscal_year=1999"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            format!("{ok}&rate_option=large"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_rate_option",
        ),
        (
            "program=meti-otasuketai&kind=hospital&beds=300&cost=600000".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rate_option_required",
        ),
    ];
    for (query, status, code) in cases {
        let r = app.get(&format!("/api/v1/subsidy-estimate?{query}")).await;
        assert!(r.status.as_u16() < 500, "{query}");
        r.assert_bilingual_error(status, code);
    }
    for query in [
        "prefecture=99",
        "fiscal_year=abc",
        "phase=later",
        "provider=city",
    ] {
        let r = app.get(&format!("/api/v1/support-programs?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert!(!r.message_ja().is_empty());
    }
}

async fn suggestions_follow_the_institution_records(app: &TestApp) {
    let year = app.year();
    let token = app.token("demo-hospital").await;
    let get = |token: String, id: i64| async move {
        app.api_get(&format!("/api/v1/institutions/{id}/suggestions"), &token)
            .await
    };
    let r = get(token.clone(), HOSPITAL)
        .await
        .assert_status(StatusCode::OK);
    let body = r.json();
    let gap = |body: &Value, code: &str| {
        elements(&body["suggestions"])
            .iter()
            .find(|s| s["gap"] == code)
            .cloned()
    };
    // A suggestion's reason, in Japanese.
    let detail = |s: &Value| s["detail_ja"].as_str().unwrap_or_default().to_owned();
    let ids = |s: &Value| -> Vec<String> {
        elements(&s["programs"])
            .iter()
            .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // The demo hospital's PACS copy is online only (its backup records).
    let backup = gap(&body, "no_offline_backup").expect("no offline backup");
    assert!(detail(&backup).contains("PACS"), "{backup}");
    assert_eq!(
        ids(&backup),
        ["tokyo-cybersecurity-equipment", "mhlw-security-assurance"],
        "the closed project last"
    );
    assert_eq!(backup["programs"][1]["status"], "closed");
    // Its ledger has a FortiGate on an old FortiOS.
    let vpn = gap(&body, "vpn_device_flagged").expect("vpn flagged");
    assert!(detail(&vpn).contains("NW-001"), "{vpn}");
    assert!(
        ids(&vpn).contains(&"mhlw-vpn-notice".to_owned())
            && ids(&vpn).contains(&"tokyo-cybersecurity-equipment".to_owned()),
        "{vpn}"
    );
    assert_eq!(
        vpn["links"][0]["href"],
        format!("/institutions/{HOSPITAL}/ledger")
    );
    assert_eq!(
        body["training_related_items"].as_array().map(Vec::len),
        Some(6)
    );

    // いいえ on 2(8) (password reuse) brings the training programmes and /training.
    let had_training = gap(&body, "training_items_no").is_some_and(|s| detail(&s).contains("2(8)"));
    assert!(!had_training, "2(8) is はい in the demo");
    app
        .api_put_ok(&format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/2-8-all"), &token, json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-12-01")})).await;
    let body = get(token.clone(), HOSPITAL).await.json();
    let training = gap(&body, "training_items_no").expect("training gap");
    assert!(detail(&training).contains("2(8)"), "{training}");
    assert!(ids(&training).contains(&"mhlw-mist-training".to_owned()));
    assert!(ids(&training).contains(&"tokyo-medical-dx-training".to_owned()));
    assert_eq!(training["links"][0]["href"], "/training");

    // The institution page shows the same, in the page's language.
    let web = app.web_login("demo-hospital").await;
    // The menu opens on the institution's own prefecture; 「すべての地域」 shows every region.
    let menu = app.page(&web, "/support").await;
    assert!(
        menu.body.contains("<option value=\"13\" selected>"),
        "Tokyo preselected"
    );
    let web46 = app.web_login("demo-hospital-46").await;
    let menu = app.page(&web46, "/support").await;
    assert!(
        !menu
            .body
            .contains("医療機関診療情報サイバーセキュリティ対策支援事業"),
        "Kagoshima sees no Tokyo programme"
    );
    let menu = app.page(&web46, "/support?prefecture=").await;
    assert!(
        menu.body
            .contains("医療機関診療情報サイバーセキュリティ対策支援事業"),
        "every region"
    );
    let page = app.page(&web, &format!("/institutions/{HOSPITAL}")).await;
    assert!(page.body.contains("id=\"suggestions\""));
    assert!(
        page.body.contains("data-gap=\"vpn_device_flagged\"")
            && page.body.contains("/support/programs/mhlw-vpn-notice")
    );
    assert!(page.body.contains("PACS"));

    // Kagoshima's hospital gets the national programmes only, none of Tokyo's.
    let token46 = app.token("demo-hospital-46").await;
    let body = get(token46, HOSPITAL_46).await.json();
    for s in body["suggestions"].as_array().expect("suggestions") {
        assert!(ids(s).iter().all(|id| !id.starts_with("tokyo-")), "{s}");
    }
    // Read access only: another institution gets 404, anonymous 401.
    let clinic = app.token("demo-clinic").await;
    get(clinic, HOSPITAL)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/api/v1/institutions/{HOSPITAL}/suggestions"))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // The inspector of Tokyo reads them as any of the hospital's data.
    let inspector = app.token("demo-inspector-13").await;
    assert_eq!(get(inspector, HOSPITAL).await.status, StatusCode::OK);
}
