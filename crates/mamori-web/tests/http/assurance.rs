//! The security-assurance project (確保事業, `src/assurance/`): the survey, the prefecture's
//! ranking and selection, withdrawal, refused input, and the pages (opening a programme
//! year, a ranking from a file, flagged hospitals, the export).

use super::*;

on_both_engines!(
    assurance_survey_ranking_selection_and_withdrawal,
    assurance_bad_input_is_refused_and_changes_nothing,
    assurance_pages_survey_ranking_withdrawal_and_export,
    assurance_page_opens_a_programme_year,
    assurance_pages_import_a_ranking_and_decide_flagged_hospitals,
);

async fn assurance_survey_ranking_selection_and_withdrawal(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    let tokyo = app.token("demo-prefecture-13").await;
    let kagoshima = app.token("demo-prefecture-46").await;
    let me = app.api_get("/api/v1/me", &tokyo).await.json();
    assert_eq!(me["role"], "prefecture_officer");
    assert_eq!(me["prefecture"], "13");
    let base = format!("/api/v1/programs/{year}");
    let selection_path = format!("{base}/prefectures/13/selection");

    // The demo: six Tokyo applicants ranked; quotas 2 / 1 / 1 per band.
    let s = app.api_get_ok(&selection_path, &tokyo).await;
    let s = s.json();
    let demo_selected = ids(&s["selected"]);
    assert_eq!(demo_selected.len(), 4, "{s}");
    assert_eq!(s["waitlisted"], json!([]));
    let ineligible = s["ineligible"].as_array().expect("ineligible");
    assert_eq!(ineligible.len(), 2);
    let codes: Vec<&str> = ineligible
        .iter()
        .flat_map(|i| i["reasons"].as_array().expect("reasons"))
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.contains(&"no_emr") && codes.contains(&"backup_only_not_allowed"),
        "{codes:?}"
    );
    for reason in ineligible
        .iter()
        .flat_map(|i| i["reasons"].as_array().expect("reasons"))
    {
        assert!(!reason["message_ja"].as_str().unwrap_or_default().is_empty());
        assert!(!reason["message_en"].as_str().unwrap_or_default().is_empty());
    }
    assert_eq!(s["unused_quota"], json!([0, 0, 0]));
    // Another prefecture's officer, the hospital and its staff do not see Tokyo's list.
    for token in [&kagoshima, &hospital, &staff] {
        app.api_get(&selection_path, token)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }

    // The hospital answers for itself; staff may not.
    let applications_path = format!("{base}/applications");
    app.api_post(&applications_path, &staff, assurance_survey_body(250))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .api_create(&applications_path, &hospital, assurance_survey_body(250))
        .await;
    let mine = r["id"].as_i64().expect("id");
    app.api_post(&applications_path, &hospital, assurance_survey_body(250))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "application_exists");
    // Until it is ranked the selection cannot be computed, and says why.
    app.api_get(&selection_path, &tokyo)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "invalid_ranking");
    // It changes its answers; every change is logged with who and when.
    let my_application_path = format!("{base}/applications/{mine}");
    app.api_put_ok(&my_application_path, &hospital, assurance_survey_body(260))
        .await;
    let a = app.api_get(&my_application_path, &hospital).await.json();
    assert_eq!(a["beds"], 260);
    assert_eq!(a["eligible"], true);
    let actions: Vec<&str> = elements(&a["changes"])
        .iter()
        .map(|c| c["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["create", "update"]);
    assert!(
        elements(&a["changes"])
            .iter()
            .all(|c| c["changed_by"] == "demo-hospital")
    );

    // Tokyo ranks it first: it takes the one 200–399 slot, the former holder waits.
    let mut ranking = vec![mine];
    let demo_ranked: Vec<i64> = {
        let mut all = demo_selected.clone();
        all.extend(
            ineligible
                .iter()
                .map(|i| i["application"].as_i64().expect("id")),
        );
        all.sort_unstable();
        all
    };
    ranking.extend(&demo_ranked);
    let ranking_path = format!("{base}/prefectures/13/ranking");
    let r = app
        .api_put_ok(&ranking_path, &tokyo, json!({"ranking": ranking, "reasons": {mine.to_string(): [{"kind": "regional_emergency_role"}]}})).await;
    let s = r.json();
    let selected = ids(&s["selected"]);
    let waitlisted = ids(&s["waitlisted"]);
    assert_eq!(selected[0], mine);
    assert_eq!(selected.len(), 4);
    assert_eq!(waitlisted.len(), 1, "{s}");
    // The same inputs give the same list.
    let again = app.api_get(&selection_path, &tokyo).await.json();
    assert_eq!(again["selected"], s["selected"]);
    assert_eq!(again["waitlisted"], s["waitlisted"]);

    // Withdrawing a hospital that is not selected is refused and changes nothing.
    let not_selected = ineligible[0]["application"].as_i64().expect("id");
    let before = app.audit_changes().await;
    app.api_post(
        &format!("{base}/applications/{not_selected}/withdraw"),
        &tokyo,
        json!({"reason": "辞退"}),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "not_selected");
    assert_eq!(app.audit_changes().await, before);
    // The hospital withdraws: the waiting hospital of the same band takes its place.
    let r = app
        .api_post(
            &format!("{base}/applications/{mine}/withdraw"),
            &hospital,
            json!({"reason": "現地調査の日程が調整できないため", "date": format!("{year}-10-01")}),
        )
        .await
        .assert_status(StatusCode::OK);
    let s = r.json();
    assert!(!ids(&s["selected"]).contains(&mine));
    assert!(ids(&s["selected"]).contains(&waitlisted[0]));
    assert_eq!(s["withdrawn"][0]["application"], mine);
    assert_eq!(s["withdrawn"][0]["replaced_by"], waitlisted[0]);
    assert_eq!(s["waitlisted"], json!([]));

    // 別紙1 as .xlsx, one row per applicant.
    let r = app
        .api_get_ok(&format!("{base}/prefectures/13/list.xlsx"), &tokyo)
        .await;
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .contains("spreadsheetml")
    );
    app.send(
        Request::get(format!("{base}/prefectures/13/list.xlsx"))
            .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .assert_status(StatusCode::OK);
    let raw = {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(format!("{base}/prefectures/13/list.xlsx"))
                    .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
    };
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(raw.to_vec())).expect("xlsx");
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).expect("sheet");
    let text: Vec<String> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(
        text.iter().any(|row| row.contains("みなと中央病院")),
        "{text:?}"
    );
    assert!(
        text.iter().filter(|row| row.contains("病院")).count() >= 7,
        "{text:?}"
    );

    // A ranking from a spreadsheet: 別紙1 as exported is taken back as it is; a tie is refused.
    let r = app
        .send(
            Request::put(format!("{base}/prefectures/13/ranking.xlsx"))
                .header(header::AUTHORIZATION, format!("Bearer {tokyo}"))
                .body(Body::from(raw.to_vec()))
                .expect("request"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["selected"], s["selected"]);
    let tie = "順位,医療機関コード\n1,1311234567\n1,1311000011\n";
    let ranking_xlsx_path = format!("{base}/prefectures/13/ranking.xlsx");
    let r = app
        .raw("PUT", &ranking_xlsx_path, &tokyo, "text/csv", tie)
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking_file");
    assert!(
        r.message_ja()
            .contains("3行目 A列: 順位 1 が重複しています"),
        "the tie is named by row and column: {}",
        r.body
    );
    let unknown = "順位,医療機関コード\n1,4611234567\n";
    let r = app
        .raw("PUT", &ranking_xlsx_path, &tokyo, "text/csv", unknown)
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking_file");
    assert!(
        r.body.contains("鹿児島県の医療機関") && r.body.contains("Kagoshima"),
        "another prefecture's hospital is named as such: {}",
        r.body
    );

    // Submission freezes the list except for withdrawals.
    let submit_path = format!("{base}/prefectures/13/submit");
    let r = app
        .api("POST", &submit_path, Some(&tokyo), None)
        .await
        .assert_status(StatusCode::OK);
    assert!(r.json()["submitted_at"].is_string());
    // Each applicant's admins are told the result with the submission.
    let submitted = r.json();
    let status_of_mine = if ids(&submitted["selected"]).contains(&mine) {
        "selected"
    } else if ids(&submitted["waitlisted"]).contains(&mine) {
        "waitlisted"
    } else if elements(&submitted["withdrawn"])
        .iter()
        .any(|w| w["application"] == mine)
    {
        "withdrawn"
    } else {
        "ineligible"
    };
    let told: Vec<Value> = elements(
        &app.api_get_ok("/api/v1/notifications", &hospital)
            .await
            .json(),
    )
    .iter()
    .filter(|n| n["kind"] == "survey_result")
    .cloned()
    .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0]["link"],
        format!("/assurance/{year}/institutions/{HOSPITAL}")
    );
    let title = told[0]["title_ja"].as_str().expect("a title");
    let expected = match status_of_mine {
        "selected" => "支援対象に選ばれました",
        "waitlisted" => "次点",
        "withdrawn" => "辞退",
        _ => "支援対象外",
    };
    assert!(
        title.contains(expected) && title.contains("確保事業"),
        "{title} ({status_of_mine})"
    );
    app.api_put(&ranking_path, &tokyo, json!({"ranking": ranking}))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    app.api_put(&my_application_path, &tokyo, assurance_survey_body(270))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    app.api("POST", &submit_path, Some(&tokyo), None)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "list_submitted");
    // A withdrawal with nobody waiting leaves the slot open (no second recruitment).
    let top = ids(&s["selected"])[0];
    let r = app
        .api_post(
            &format!("{base}/applications/{top}/withdraw"),
            &tokyo,
            json!({"reason": "辞退の申し出"}),
        )
        .await
        .assert_status(StatusCode::OK);
    let unused: u64 = elements(&r.json()["unused_quota"])
        .iter()
        .map(|u| u.as_u64().expect("count"))
        .sum();
    assert_eq!(unused, 1);

    // The national office sees every prefecture against the target.
    let overview_path = format!("{base}/overview");
    let o = app.api_get_ok(&overview_path, &national).await;
    let o = o.json();
    assert_eq!(o["target"], 2000);
    assert_eq!(o["prefectures"].as_array().map(Vec::len), Some(47));
    assert_eq!(o["submitted_prefectures"], 1);
    let t = &o["prefectures"][12];
    assert_eq!(t["prefecture"], "13");
    assert_eq!(t["applicants"], 7);
    assert!(o["quota_total"].as_u64().expect("quota") > 1500);
    app.api_get(&overview_path, &tokyo)
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn assurance_bad_input_is_refused_and_changes_nothing(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    let tokyo = app.token("demo-prefecture-13").await;
    let before = app.audit_changes().await;
    let program = |fy: i32, quotas: Value, deadline: String| {
        json!({
            "fiscal_year": fy,
            "bands": [{"min_beds": 20, "max_beds": 199}, {"min_beds": 200, "max_beds": 399}, {"min_beds": 400, "max_beds": 999}],
            "quotas": quotas, "excluded_institutions": [], "allow_backup_only": false, "deadline": deadline
        })
    };
    let next = year + 1;
    let cases = [
        (
            program(next, json!({"99": [1, 2, 3]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, 2]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, -2, 3]}), format!("{next}-05-01")),
            "invalid_quotas",
        ),
        (
            program(next, json!({"13": [1, 2, 3]}), "next week".into()),
            "invalid_value",
        ),
        (
            json!({"fiscal_year": next, "bands": [{"min_beds": 20, "max_beds": 199}, {"min_beds": 300, "max_beds": null}], "deadline": format!("{next}-05-01")}),
            "invalid_value",
        ),
        (
            program(year, json!({}), format!("{year}-05-01")),
            "program_exists",
        ),
    ];
    for (body, code) in cases {
        let r = app
            .api_post("/api/v1/programs", &national, body.clone())
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.body);
        assert_eq!(r.error_code(), code, "{body}: {}", r.body);
        r.assert_bilingual_error(r.status, code);
    }
    app.api_post(
        "/api/v1/programs",
        &tokyo,
        program(next, json!({}), format!("{next}-05-01")),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // Quota files: an unknown prefecture or a band that is not the programme's.
    let base = format!("/api/v1/programs/{year}");
    for csv in [
        "都道府県,20〜199床,200〜399床,400床以上\n99,1,2,3\n",
        "都道府県,20〜99床,100〜399床,400床以上\n13,1,2,3\n",
        "no header at all\n",
    ] {
        let r = app
            .raw("PUT", &format!("{base}/quotas"), &national, "text/csv", csv)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{csv}: {}",
            r.body
        );
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_quota_file");
    }
    // A ranking naming Kagoshima's application, one with a duplicate.
    let s46 = app
        .api_get(&format!("{base}/prefectures/46/selection"), &national)
        .await
        .json();
    let kagoshima_app = ids(&s46["selected"])[0];
    let s13 = app
        .api_get(&format!("{base}/prefectures/13/selection"), &tokyo)
        .await
        .json();
    let mut tokyo_apps = ids(&s13["selected"]);
    tokyo_apps.extend(
        elements(&s13["ineligible"])
            .iter()
            .map(|i| i["application"].as_i64().expect("id")),
    );
    let mut foreign = tokyo_apps.clone();
    foreign.push(kagoshima_app);
    let ranking_path = format!("{base}/prefectures/13/ranking");
    let r = app
        .api_put(&ranking_path, &tokyo, json!({"ranking": foreign}))
        .await;
    // Named as not Tokyo's, never as Kagoshima's: nothing outside the caller's scope.
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_application");
    let message = r.message_ja();
    assert!(
        message.contains(&format!(
            "申請ID {kagoshima_app} の申請は東京都にありません"
        )),
        "{message}"
    );
    assert!(
        !r.body.contains("鹿児島") && !r.body.contains("Kagoshima"),
        "{}",
        r.body
    );
    let mut duplicate = tokyo_apps.clone();
    duplicate.push(tokyo_apps[0]);
    app.api_put(&ranking_path, &tokyo, json!({"ranking": duplicate}))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ranking");
    // Tokyo's officer cannot rank Kagoshima.
    app.api_put(
        &format!("{base}/prefectures/46/ranking"),
        &tokyo,
        json!({"ranking": [kagoshima_app]}),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    // Survey answers: unknown values, a bad contact.
    let mut bad_emr = assurance_survey_body(250);
    bad_emr["emr"] = json!("sometimes");
    let mut bad_mail = assurance_survey_body(250);
    bad_mail["contact"]["email"] = json!("not-an-address");
    for body in [bad_emr, bad_mail, json!({"emr": "full"})] {
        app.api_post(&format!("{base}/applications"), &hospital, body)
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        app.audit_changes().await,
        before,
        "nothing refused was recorded"
    );

    // A programme whose last band is bounded and whose survey has closed.
    app.api_post(
        "/api/v1/programs",
        &national,
        program(next, json!({"13": [1, 1, 1]}), format!("{year}-06-01")),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let next_base = format!("/api/v1/programs/{next}");
    let after_program = app.audit_changes().await;
    let applications_path = format!("{next_base}/applications");
    app.api_post(&applications_path, &hospital, assurance_survey_body(1200))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "beds_fit_no_band");
    app.api_post(&applications_path, &hospital, assurance_survey_body(250))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "deadline_passed");
    assert_eq!(app.audit_changes().await, after_program);
    // After the deadline the prefecture still enters answers for its hospitals.
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    app.api_post(&applications_path, &tokyo, body)
        .await
        .assert_status(StatusCode::CREATED);
    // A valid quota file replaces the quotas.
    let r = app
        .raw(
            "PUT",
            &format!("{next_base}/quotas"),
            &national,
            "text/csv",
            "都道府県,20〜199床,200〜399床,400〜999床\n13,3,2,1\n46,1,1,0\n",
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()[0]["counts"], json!([3, 2, 1]));
}

async fn assurance_pages_survey_ranking_withdrawal_and_export(app: &TestApp) {
    let year = app.year();
    let hospital = app.web_login("demo-hospital").await;
    let tokyo = app.web_login("demo-prefecture-13").await;
    // The hospital finds its survey from the start page and answers it.
    let page = app.page(&hospital, "/assurance").await;
    assert!(page.body.contains("電子カルテシステムの導入状況"));
    assert!(page.body.contains("まだ回答していません"));
    let path = format!("/assurance/{year}/institutions/{HOSPITAL}");
    let form = |csrf: &str, beds: &str| {
        format!(
            "csrf={csrf}&emr=partial&beds={beds}&participation=both&gmis_reuse_consent=yes&renewal_planned=yes&onsite_survey_by_january=no&contact_name=%E5%B1%B1%E7%94%B0&contact_phone=03-1234-5678&contact_email=it%40minato.example.jp"
        )
    };
    // Bad input is answered in the form, in the user's language, and nothing is stored.
    let r = app
        .post_form(
            &hospital.cookie,
            &path,
            &form(&hospital.csrf, "many"),
            false,
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("病床数を整数で入力してください"));
    app.post_form(&hospital.cookie, &path, &form("wrong", "250"), false)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let r = app
        .post_form_and_follow(&hospital.cookie, &path, &form(&hospital.csrf, "250"))
        .await
        .assert_status(StatusCode::OK);
    r.assert_body_contains("回答を保存しました");
    assert!(
        r.body.contains("現地調査を完了できる見込みがありません"),
        "the flag is shown: {}",
        r.body
    );
    // The prefecture sees it unranked, ranks it first by number entry, and the list follows.
    let list_path = format!("/assurance/{year}/prefectures/13");
    let page = app.page(&tokyo, "/assurance").await;
    assert!(page.body.contains("みなと中央病院"));
    assert!(
        page.body
            .contains("希望したすべての病院に順位を付けてください")
    );
    assert!(
        page.body.contains("電子カルテシステムを導入していません"),
        "reasons are listed"
    );
    let mine = app
        .state
        .store
        .prefecture_book(
            FiscalYear::new(year).expect("year"),
            mamori_domain::Prefecture::parse("13").expect("13"),
        )
        .await
        .expect("book")
        .expect("programme");
    let mut fields = vec![format!("csrf={}", tokyo.csrf)];
    let own = mine
        .applications
        .iter()
        .find(|a| a.institution_id == HOSPITAL)
        .expect("answered")
        .id;
    fields.push(format!("rank_{own}=1&reason_{own}=regional_emergency_role"));
    let others: Vec<i64> = mine.ranking.iter().map(|r| r.application_id).collect();
    // A tie first: refused with the ranks named.
    let mut tied = fields.clone();
    tied.extend(others.iter().map(|id| format!("rank_{id}=1")));
    let ranking_path = format!("{list_path}/ranking");
    app.post_form(&tokyo.cookie, &ranking_path, &tied.join("&"), false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    fields.extend(
        others
            .iter()
            .enumerate()
            .map(|(n, id)| format!("rank_{id}={}", n + 2)),
    );
    let r = app
        .post_form_and_follow(&tokyo.cookie, &ranking_path, &fields.join("&"))
        .await
        .assert_status(StatusCode::OK);
    r.assert_body_contains("順位を保存し");
    assert!(r.body.contains("次点"), "a hospital now waits: {}", r.body);
    // Several reasons (as a file gives them): the page keeps the ones after the first as
    // hidden fields, so that saving the page again does not drop them.
    let officer_token = app.token("demo-prefecture-13").await;
    let mut order = vec![own];
    order.extend(&others);
    app.api_put_ok(
        &format!("/api/v1/programs/{year}/prefectures/13/ranking"),
        &officer_token,
        json!({"ranking": order, "reasons": {own.to_string(): [
            {"kind": "regional_emergency_role"}, {"kind": "weak_security_at_inspection"}
        ]}}),
    )
    .await;
    let page = app.get_page(&tokyo.cookie, &list_path).await;
    page.assert_body_contains(&format!(
        "<input type=\"hidden\" name=\"reason_{own}\" value=\"weak_security_at_inspection\">"
    ));
    // A withdrawal from the page.
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{list_path}/withdraw"),
            &format!(
                "csrf={}&application_id={own}&reason=%E6%97%A5%E7%A8%8B&date={year}-09-01",
                tokyo.csrf
            ),
        )
        .await
        .assert_status(StatusCode::OK);
    r.assert_body_contains("辞退を記録しました");
    // 別紙1 and submission.
    let r = app.page(&tokyo, &format!("{list_path}/list.xlsx")).await;
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or_default()
            .contains(".xlsx")
    );
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{list_path}/submit"),
            &format!("csrf={}", tokyo.csrf),
        )
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("リストを提出しました"));
    // The hospital's form is now read only; the English page says the same.
    let r = app.get_page(&hospital.cookie, &path).await;
    assert!(!r.body.contains("回答を送信"));
    let r = app.get_with_cookie(hospital.english_cookie(), &path).await;
    r.assert_body_contains("Electronic medical record system");
    // The national overview.
    let national = app.web_login("demo-national").await;
    let assurance_path = format!("/assurance/{year}");
    let r = app.page(&national, &assurance_path).await;
    assert!(r.body.contains("全国の目標") && r.body.contains("鹿児島県"));
    app.get_page(&tokyo.cookie, &assurance_path)
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

async fn assurance_page_opens_a_programme_year(app: &TestApp) {
    let year = app.year();
    let national = app.web_login("demo-national").await;
    let tokyo = app.web_login("demo-prefecture-13").await;
    let page = app.page(&national, "/assurance/new").await;
    assert!(page.body.contains("確保事業の年度を開始"));
    assert!(page.body.contains("47 沖縄県") && page.body.contains("name=\"q_47_2\""));
    assert_eq!(page.hidden("band_min_0").as_deref(), Some("20"));
    assert_eq!(page.hidden("band_max_1").as_deref(), Some("399"));
    assert_eq!(
        page.hidden("band_max_2").as_deref(),
        Some(""),
        "400 and more"
    );
    assert!(
        !page
            .body
            .contains("name=\"allow_backup_only\" value=\"yes\" checked"),
        "backup alone is not allowed by default"
    );
    app.get_page(&tokyo.cookie, "/assurance/new")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post_multipart(
        &tokyo.cookie,
        "/assurance/new",
        &[("csrf", &tokyo.csrf)],
        &[],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);

    let years = || async { app.state.store.program_years().await.expect("years").len() };
    let before = (years().await, app.audit_changes().await);
    let new_year = (year + 3).to_string();
    let deadline = format!("{}-06-30", year + 3);
    let base_fields = |action: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", national.csrf.clone()),
            ("action", action.to_owned()),
            ("fiscal_year", new_year.clone()),
            ("band_min_0", "20".into()),
            ("band_max_0", "199".into()),
            ("band_min_1", "200".into()),
            ("band_max_1", "399".into()),
            ("band_min_2", "400".into()),
            ("band_max_2", String::new()),
            ("deadline", deadline.clone()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let send = |fields: Vec<(&'static str, String)>,
                files: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let cookie = national.cookie.clone();
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let g: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(k, n, d)| (*k, *n, d.as_slice()))
                .collect();
            app.post_multipart(&cookie, "/assurance/new", &f, &g).await
        }
    };

    // A quota file fills the table; nothing is stored.
    let quota_csv = "都道府県,20〜199床,200〜399床,400床以上\n東京都,40,12,5\n鹿児島県,30,8,2\n";
    let r = send(
        as_refs(&base_fields("import")),
        vec![("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec())],
    )
    .await
    .assert_status(StatusCode::OK);
    r.assert_body_contains("ファイルを読み込みました");
    assert_eq!(r.hidden("q_13_0").as_deref(), Some("40"));
    assert_eq!(r.hidden("q_46_2").as_deref(), Some("2"));
    assert_eq!(r.hidden("q_01_0").as_deref(), Some(""));
    // A bad quota file: each problem with its row and column, nothing filled or stored.
    let r = send(
        as_refs(&base_fields("import")),
        vec![(
            "quota_file",
            "bad.csv",
            "都道府県,20〜199床,200〜399床,400床以上\n東京都,40,-1,5\n火星,1,1,1\n"
                .as_bytes()
                .to_vec(),
        )],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("2行目 C列");
    assert!(
        r.body.contains("3行目") && r.body.contains("火星"),
        "{}",
        r.body
    );
    assert!(r.body.contains("何も保存されていません"));

    // Opening with mistakes in several fields: all named at once, nothing stored.
    let mut fields = base_fields("open");
    fields.retain(|(k, _)| *k != "deadline");
    fields.push(("q_13_0", "40".into()));
    fields.push(("q_13_1", "十二".into()));
    fields.push(("excluded", "9999999999\nfoo".into()));
    let r = send(fields, vec![])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for expected in [
        "東京都（13）の「200〜399床」",
        "「十二」は0以上の整数",
        "回答期限を入力してください",
        "対象外の病院 1行目: 医療機関コード 9999999999 の施設は登録されていません",
        "対象外の病院 2行目: 「foo」",
        "aria-invalid=\"true\"",
    ] {
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
    }
    assert_eq!(
        r.hidden("q_13_1").as_deref(),
        Some("十二"),
        "the entry is shown back"
    );
    // Bands with a gap, in English.
    let mut fields = base_fields("open");
    fields.retain(|(k, _)| *k != "band_min_1");
    fields.push(("band_min_1", "250".into()));
    fields.push(("q_13_0", "1".into()));
    let (ct, body) = {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        multipart_form(&f, &[])
    };
    let r = app
        .send(
            Request::post("/assurance/new")
                .header(header::COOKIE, national.english_cookie())
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .expect("request"),
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("gap between bed bands");
    assert_eq!(
        (years().await, app.audit_changes().await),
        before,
        "nothing stored"
    );

    // A valid year: the quota file, the excluded hospitals by code (pasted) and by id (file).
    let code_46 = app
        .state
        .store
        .institution(HOSPITAL_46)
        .await
        .expect("institution")
        .expect("exists")
        .medical_institution_code
        .expect("code");
    let mut fields = base_fields("open");
    fields.push(("excluded", format!("{code_46}\n")));
    let r = send(
        fields,
        vec![
            ("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec()),
            (
                "excluded_file",
                "excluded.csv",
                format!("施設ID\n{HOSPITAL}\n").into_bytes(),
            ),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let to = r.redirect_target();
    assert_eq!(to, format!("/assurance/{new_year}?done=as-opened"));
    let page = app.page(&national, &to).await;
    page.assert_body_contains("確保事業の年度を開始しました");
    let program = app
        .state
        .store
        .program(FiscalYear::new(year + 3).expect("year"))
        .await
        .expect("program")
        .expect("opened");
    let tokyo_code = mamori_domain::Prefecture::parse("13").expect("13");
    assert_eq!(program.quotas.get(tokyo_code), Some(&[40, 12, 5][..]));
    assert_eq!(
        program.bands,
        mamori_domain::assurance::BedBands::standard()
    );
    assert!(!program.allow_backup_only);
    let mut excluded: Vec<i64> = program.excluded.iter().map(|e| e.institution_id).collect();
    excluded.sort_unstable();
    assert_eq!(excluded, vec![HOSPITAL, HOSPITAL_46]);
    // The prefecture's list links the other years.
    let page = app
        .get_page(&tokyo.cookie, &format!("/assurance/{year}/prefectures/13"))
        .await;
    page.assert_body_contains(&format!("href=\"/assurance/{new_year}/prefectures/13\""));
    // The same year again is refused in the form.
    let r = send(
        base_fields("open"),
        vec![("quota_file", "別紙2.csv", quota_csv.as_bytes().to_vec())],
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("既に開始されています");
}

async fn assurance_pages_import_a_ranking_and_decide_flagged_hospitals(app: &TestApp) {
    let year = app.year();
    let fy = FiscalYear::new(year).expect("year");
    let tokyo_pref = mamori_domain::Prefecture::parse("13").expect("13");
    let national = app.token("demo-national").await;
    // The hospital renews its systems and cannot finish the on-site survey by January.
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    body["renewal_planned"] = json!(true);
    body["onsite_survey_by_january"] = json!(false);
    let own = apply_for_assurance(app, &national, year, body).await;
    let book = app
        .state
        .store
        .prefecture_book(fy, tokyo_pref)
        .await
        .expect("book")
        .expect("programme");
    let others: Vec<i64> = book.ranking.iter().map(|r| r.application_id).collect();
    let kagoshima_app = app
        .state
        .store
        .prefecture_book(fy, mamori_domain::Prefecture::parse("46").expect("46"))
        .await
        .expect("book")
        .expect("programme")
        .applications[0]
        .id;
    let ranking_before = book.ranking.clone();

    let tokyo = app.web_login("demo-prefecture-13").await;
    let base = format!("/assurance/{year}/prefectures/13");
    let upload = format!("{base}/ranking/upload");
    let page = app.get_page(&tokyo.cookie, &base).await;
    assert!(page.body.contains(&format!("action=\"{upload}\"")));
    // No file, a file with problems: each named by row and column, nothing changed.
    let r = app
        .submit(&tokyo, &upload, "")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("順位のファイル（.xlsx または .csv）を選んでください")
    );
    let mut bad = format!("申請ID,順位,理由\n{own},1,地域の救急等の主要な診療機能\n");
    bad.push_str(&format!("{},1,\n", others[0]));
    bad.push_str(&format!("{kagoshima_app},3,\n"));
    let r = upload_ranking(app, &tokyo, &upload, &tokyo.csrf, &bad)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("<td class=\"num\">3</td><td>B</td><td>順位 1 が重複しています");
    // Another prefecture's application is named as not Tokyo's, never as Kagoshima's.
    r.assert_body_contains(&format!(
        "申請ID {kagoshima_app} の申請は東京都にありません"
    ));
    assert!(!r.body.contains("鹿児島"), "{}", r.body);
    assert!(!r.body.contains("この順位を適用して選定"));
    upload_ranking(app, &tokyo, &upload, "nope", &bad)
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // A clean file: a preview with the selection it gives; nothing stored until applied.
    let mut good = format!("申請ID,順位,順位指定の理由\n{own},1,地域の救急等の主要な診療機能\n");
    for (n, id) in others.iter().enumerate() {
        good.push_str(&format!("{id},{},\n", n + 2));
    }
    let r = upload_ranking(app, &tokyo, &upload, &tokyo.csrf, &good)
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("この順位を適用して選定"));
    assert_eq!(r.hidden(&format!("rank_{own}")).as_deref(), Some("1"));
    assert_eq!(
        r.hidden(&format!("reason_{own}")).as_deref(),
        Some("regional_emergency_role")
    );
    let stored = || async {
        app.state
            .store
            .prefecture_book(fy, tokyo_pref)
            .await
            .expect("book")
            .expect("programme")
            .ranking
    };
    assert_eq!(stored().await, ranking_before, "a preview stores nothing");
    // Applying it posts the preview's fields.
    let mut form = vec![
        format!("csrf={}", tokyo.csrf),
        format!("rank_{own}=1&reason_{own}=regional_emergency_role"),
    ];
    form.extend(
        others
            .iter()
            .enumerate()
            .map(|(n, id)| format!("rank_{id}={}", n + 2)),
    );
    let ranking_path = format!("{base}/ranking");
    let r = app
        .post_form_and_follow(&tokyo.cookie, &ranking_path, &form.join("&"))
        .await;
    r.assert_body_contains("順位を保存し");
    let ranking = stored().await;
    let first = ranking.iter().find(|r| r.rank == 1).expect("rank 1");
    assert_eq!(first.application_id, own);
    assert_eq!(
        first.reasons,
        vec![mamori_domain::assurance::RankReason::RegionalEmergencyRole]
    );
    // The flagged hospital awaits the prefecture's decision.
    r.assert_body_contains(&format!("name=\"decision_{own}\""));
    r.assert_body_contains("判断待ちの病院: ");
    let tokyo_token = app.token("demo-prefecture-13").await;
    let selection = |token: String| async move {
        app.api_get(
            &format!("/api/v1/programs/{year}/prefectures/13/selection"),
            &token,
        )
        .await
        .json()
    };
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(ids(&s["undecided"])[0], own, "in rank order");
    assert_eq!(ids(&s["selected"])[0], own, "undecided counts as accepted");

    // Declined from the page: listed as ineligible, and 別紙1 says so.
    let mut declined = form.clone();
    declined.push(format!("decision_{own}=decline"));
    let r = app
        .post_form_and_follow(&tokyo.cookie, &ranking_path, &declined.join("&"))
        .await;
    r.assert_body_contains("順位を保存し");
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(
        s["decisions"],
        json!([{"application": own, "decision": "decline"}])
    );
    assert!(!ids(&s["undecided"]).contains(&own));
    let ineligible = element(&s["ineligible"], "application", own);
    assert!(
        ineligible["reasons"]
            .to_string()
            .contains("declined_by_prefecture"),
        "{ineligible}"
    );
    assert_eq!(
        stored()
            .await
            .iter()
            .find(|r| r.application_id == own)
            .expect("ranked")
            .reasons,
        vec![mamori_domain::assurance::RankReason::RegionalEmergencyRole],
        "the reason stays"
    );
    let xlsx = {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(format!("{base}/list.xlsx"))
                    .header(header::COOKIE, tokyo.cookie.clone())
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
    };
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).expect("xlsx");
    use calamine::Reader;
    let range = workbook.worksheet_range("別紙1").expect("sheet");
    let row = range
        .rows()
        .find(|r| r.iter().any(|c| *c == "みなと中央病院"))
        .expect("row of the hospital");
    let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
    assert!(cells.iter().any(|c| c == "選定しない"), "{cells:?}");
    // Accepted: selected again.
    let mut accepted = form.clone();
    accepted.push(format!("decision_{own}=accept"));
    app.post_form_and_follow(&tokyo.cookie, &ranking_path, &accepted.join("&"))
        .await;
    let s = selection(tokyo_token.clone()).await;
    assert_eq!(
        s["decisions"],
        json!([{"application": own, "decision": "accept"}])
    );
    assert_eq!(ids(&s["selected"])[0], own);

    // A withdrawal shows who moved up, or the unused slot.
    let r = app
        .post_form_and_follow(
            &tokyo.cookie,
            &format!("{base}/withdraw"),
            &format!(
                "csrf={}&application_id={own}&reason=%E6%97%A5%E7%A8%8B&date={year}-09-01",
                tokyo.csrf
            ),
        )
        .await;
    r.assert_body_contains("辞退を記録しました");
    let s = selection(tokyo_token).await;
    let withdrawn = &s["withdrawn"][0];
    assert_eq!(withdrawn["application"], own);
    let expected = match withdrawn["replaced_by"].as_i64() {
        Some(id) => format!(
            "<td>{}</td></tr>",
            app.state
                .store
                .prefecture_book(fy, tokyo_pref)
                .await
                .expect("book")
                .expect("programme")
                .application(id)
                .expect("replacement")
                .institution_name
        ),
        None => "枠は未使用".to_owned(),
    };
    assert!(r.body.contains(&expected), "{expected}: {}", r.body);
}

/// Sends a prefecture's ranking file (CSV) through the upload form, with the form's CSRF
/// token `csrf`.
async fn upload_ranking(
    app: &TestApp,
    web: &WebSession,
    path: &str,
    csrf: &str,
    csv: &str,
) -> Response {
    let file = ("file", "順位.csv", csv.as_bytes());
    app.post_multipart(&web.cookie, path, &[("csrf", csrf)], &[file])
        .await
}
