//! The contact chart and the continuity records (`src/contact_chart/`): the chart validated
//! and drawn, its editor, and the backup and BCP records with their warnings and editor.

use super::*;

on_both_engines!(
    contact_chart_is_validated_and_drawn,
    backup_and_bcp_records_warn,
    continuity_form_adds_removes_and_refuses_by_field,
    contact_chart_editor_adds_removes_and_orders_calls,
);

async fn contact_chart_is_validated_and_drawn(app: &TestApp) {
    let staff = app.token("demo-hospital-staff").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/contact-chart");
    let v = app.api_get(&path, &staff).await.json();
    assert_eq!(v["institution_name"], "みなと中央病院");
    let version = v["updated_at"].as_str().expect("version").to_owned();
    assert!(
        ["draft", "complete"].contains(&v["status"]["state"].as_str().unwrap_or_default()),
        "{v}"
    );
    // Bad phone numbers and e-mail addresses are refused with their paths.
    let bad = json!({
        "institution_name": "みなと中央病院",
        "revised_on": "2025-05-01",
        "internal": [{"roles": ["security_manager"], "name": "中央 花子", "phones": ["03-1234"], "email": "hanako@"}],
        "outside": [{"body": "police", "phones": ["abc"]}]
    });
    let r = app.api_put(&path, &staff, bad).await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let problems = r.json()["error"]["problems"].clone();
    let paths = texts(&problems, "path");
    for expected in [
        "internal[0].phones[0]",
        "internal[0].email",
        "outside[0].phones[0]",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let unchanged = app.api_get(&path, &staff).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // A good chart is stored; an edit from an older version is refused.
    let good = json!({
        "institution_name": "みなと中央病院",
        "revised_on": "2025-05-01",
        "internal": [
            {"roles": ["administrator"], "name": "港 太郎", "phones": ["03-1234-5601"]},
            {"roles": ["security_manager"], "name": "中央 花子", "phones": ["０３－１２３４－５６０２"], "email": "hanako@minato-hp.example.jp"}
        ],
        "outside": [{"body": "police", "organisation": "警視庁 サイバー犯罪相談窓口", "phones": ["03-5805-1731"]}],
        "if_updated_at": version
    });
    let r = app.api_put_ok(&path, &staff, good.clone()).await;
    let saved = r.json();
    assert_eq!(
        saved["internal"][1]["phones"][0], "03-1234-5602",
        "full-width digits folded: {saved}"
    );
    app.api_put(&path, &staff, good)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");
    // The checklist shows the chart's state beside item 3(1), with what it still lacks.
    let state_label = match saved["status"]["state"].as_str() {
        Some("complete") => "連絡体制図: 作成済",
        Some("draft") => "連絡体制図: 不足あり",
        other => panic!("chart state {other:?}: {saved}"),
    };
    let checklist = hospital_checklist(app, "demo-hospital-staff").await;
    assert!(checklist.body.contains(state_label), "{state_label}");
    for gap in saved["status"]["missing"].as_array().into_iter().flatten() {
        let message = gap["message_ja"].as_str().expect("message_ja");
        assert!(checklist.body.contains(message), "{message}");
    }
    // Drawn as one A4 page.
    let r = app.api_get_ok(&format!("{path}.svg"), &staff).await;
    assert!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("image/svg+xml")
    );
    assert!(r.body.contains("210mm") && r.body.contains("297mm"), "A4");
    assert!(r.body.contains("中央 花子"));
    // Inspectors read it but do not edit it; the vendor does not see it.
    let inspector = app.token("demo-inspector-13").await;
    assert_eq!(app.api_get(&path, &inspector).await.status, StatusCode::OK);
    app.api_put(
        &path,
        &inspector,
        json!({"institution_name": "x", "revised_on": "2025-05-01"}),
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let vendor = app.token("demo-vendor").await;
    assert_eq!(
        app.api_get(&path, &vendor).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn backup_and_bcp_records_warn(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/continuity");
    let v = app.api_get(&path, &admin).await.json();
    assert_eq!(v["backups"].as_array().map(Vec::len), Some(2), "{v}");
    let codes = texts(&v["warnings"], "code");
    assert!(
        !codes.is_empty(),
        "the PACS copy is online only and its restore test is old: {v}"
    );
    let topics = texts(&v["evidence"], "number");
    assert!(
        topics.contains(&"3(2)") || topics.iter().any(|t| t.starts_with('3')),
        "{v}"
    );
    // A record without where its copies are kept is refused with its path.
    let bad = json!({"backups": [{"systems": ["emr"], "data": "DB", "locations": [], "write_once": false, "generations": 1, "encrypted": false, "frequency": "daily", "last_restore_test": null, "notes": ""}], "bcp": null});
    let r = app.api_put(&path, &admin, bad).await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(
        r.json()["error"]["problems"][0]["path"],
        "backups[0].locations"
    );
    // Online-only copies are stored and warned about.
    let online = json!({"backups": [{"systems": ["emr"], "data": "DB", "locations": ["cloud"], "write_once": false, "generations": 3, "encrypted": true, "frequency": "daily", "last_restore_test": null, "notes": ""}],
        "bcp": {"state": "established", "on": "2025-04-01", "last_drill": null, "notes": ""}});
    let r = app.api_put_ok(&path, &admin, online).await;
    let v = r.json();
    assert!(
        elements(&v["warnings"])
            .iter()
            .any(|w| w["code"].as_str().is_some_and(|c| c.contains("offline"))),
        "{v}"
    );
    // The checklist shows the records and their warnings beside items 3(2) and 3(3).
    let checklist = hospital_checklist(app, "demo-hospital").await;
    assert!(checklist.body.contains("バックアップとBCPを開く"));
    let offline = elements(&v["warnings"])
        .iter()
        .find(|w| w["code"].as_str().is_some_and(|c| c.contains("offline")))
        .and_then(|w| w["message_ja"].as_str())
        .expect("the offline warning in Japanese");
    assert!(checklist.body.contains(offline), "{offline}");
    let audit = app.audit_log().await;
    assert!(audit.iter().any(|e| e.action == "continuity.put"));
}

async fn continuity_form_adds_removes_and_refuses_by_field(app: &TestApp) {
    let year = app.year();
    let api = format!("/api/v1/institutions/{HOSPITAL}/continuity");
    let admin = app.token("demo-hospital").await;
    let version = stored_version(app, &api, &admin).await;
    let (web, edit, page) = staff_editor(app, "continuity").await;
    // Two stored records and a blank block to add one.
    assert!(page.body.contains("name=\"b0_generations\" value=\"7\""));
    assert!(
        page.body
            .contains("name=\"b1_loc_onsite\" value=\"on\" checked")
    );
    assert!(page.body.contains("name=\"b2_new\" value=\"1\""));
    assert_eq!(page.hidden("count").as_deref(), Some("3"));
    assert_eq!(page.hidden("version").as_deref(), Some(version.as_str()));
    // Bad fields are named beside each field; nothing is stored.
    let bad = format!(
        "csrf={}&version={version}&count=3\
         &b0_sys_emr=on&b0_data=DB&b0_loc_offline=on&b0_generations=abc&b0_frequency=daily&b0_restore_on={}-01-01&b0_restore_minutes=3%E6%99%82%E9%96%93\
         &b1_sys_pacs=on&b1_loc_onsite=on&b1_generations=2&b1_frequency=weekly\
         &b2_new=1&b2_data=%E7%94%BB%E5%83%8F&b2_generations=3&b2_frequency=daily\
         &bcp_state=established&bcp_date=",
        web.csrf,
        year + 5
    );
    let r = app
        .post_form(&web.cookie, &edit, &bad, false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "世代数「abc」は1〜999の数字で記入してください",
        "が未来です",
        "分単位の数字で記入してください",
        "保管方法を1つ以上選んでください",
        "策定済のときは策定日を記入してください",
        "バックアップ 1",
        "バックアップ 3",
    ] {
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    assert!(r.body.contains("aria-invalid=\"true\""), "fields marked");
    assert!(
        r.body.contains("name=\"b0_generations\" value=\"abc\""),
        "what was sent is kept"
    );
    let unchanged = app.api_get(&api, &admin).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // The same in English.
    let en_cookie = format!("{}; {}=en", web.cookie, "mamori_lang");
    let r = app
        .post_form(&en_cookie, &edit, &bad, false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("generations &#39;abc&#39; must be a number from 1 to 999");
    // Keep the first, remove the second, add one; the BCP is established.
    let good = format!(
        "csrf={}&version={version}&count=3\
         &b0_sys_emr=on&b0_data=DB&b0_loc_offline=on&b0_loc_offsite=on&b0_write_once=on&b0_generations=7&b0_encrypted=on&b0_frequency=daily&b0_restore_on={year}-04-20&b0_restore_minutes=150&b0_restore_ok=on\
         &b1_sys_pacs=on&b1_loc_onsite=on&b1_generations=2&b1_frequency=weekly&b1_remove=on\
         &b2_new=1&b2_sys_pacs=on&b2_data=%E7%94%BB%E5%83%8F&b2_loc_cloud=on&b2_loc_offline=on&b2_generations=14&b2_frequency=daily\
         &bcp_state=established&bcp_date={year}-04-01&bcp_last_drill={year}-05-10&bcp_notes=",
        web.csrf
    );
    app.post_form(&web.cookie, &edit, &good, false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let after = app.api_get(&api, &admin).await.json();
    let backups = after["backups"].as_array().expect("backups");
    assert_eq!(backups.len(), 2, "{after}");
    assert_eq!(backups[0]["last_restore_test"]["duration_minutes"], 150);
    assert_eq!(backups[1]["systems"], json!(["pacs"]));
    assert_eq!(backups[1]["locations"], json!(["offline", "cloud"]));
    assert_eq!(backups[1]["generations"], 14);
    assert_eq!(after["bcp"]["state"], "established");
    assert_eq!(after["bcp"]["on"], format!("{year}-04-01"));
    assert_eq!(after["bcp"]["last_drill"], format!("{year}-05-10"));
    // The old form's version is now stale: refused, not overwritten.
    let r = app
        .post_form(&web.cookie, &edit, &good, false)
        .await
        .assert_status(StatusCode::CONFLICT);
    assert!(r.body.contains("他の人が先に更新しました"));
    // A forged form, an inspector and a vendor change nothing.
    let forged = good.replacen(&web.csrf, "forged", 1);
    assert_eq!(
        app.post_form(&web.cookie, &edit, &forged, false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let inspector = app.web_login("demo-inspector-13").await;
    assert_eq!(
        app.get_page(&inspector.cookie, &edit).await.status,
        StatusCode::FORBIDDEN
    );
    let vendor = app.web_login("demo-vendor").await;
    assert_eq!(
        app.get_page(&vendor.cookie, &edit).await.status,
        StatusCode::NOT_FOUND
    );
    let last = app.api_get(&api, &admin).await.json();
    assert_eq!(last["updated_at"], after["updated_at"]);
}

async fn contact_chart_editor_adds_removes_and_orders_calls(app: &TestApp) {
    let api = format!("/api/v1/institutions/{HOSPITAL}/contact-chart");
    let staff_token = app.token("demo-hospital-staff").await;
    // A note on the first step, as the API may give one; the form has no field for it.
    let store = &app.state.store;
    let stored = store
        .contact_chart(HOSPITAL)
        .await
        .expect("read")
        .expect("the demo has a chart");
    let mut chart: Value = serde_json::from_str(&stored.json).expect("json");
    chart["call_order"][0]["note"] = json!("LANケーブルを抜いてから連絡");
    let staff_id = app.user("demo-hospital-staff").await.id;
    store
        .put_contact_chart(HOSPITAL, &chart.to_string(), None, staff_id)
        .await
        .expect("stored");
    let version = stored_version(app, &api, &staff_token).await;
    let (web, edit, page) = staff_editor(app, "contact-chart").await;
    // The stored people, vendors and bodies, each with its step after 発見者, and a blank row
    // per group.
    // The step the editor shows for a row (`i0`: the first person inside, `o2`: the third
    // outside body), named `who` in the failure.
    let assert_step = |page: &Response, row: &str, step: u32, who: &str| {
        let field = format!("name=\"{row}_step\" value=\"{step}\"");
        assert!(page.body.contains(&field), "{who}: step {step}");
    };
    assert!(page.body.contains("name=\"i0_name\" value=\"港 太郎\""));
    assert_step(&page, "i0", 2, "administrator");
    assert_step(&page, "i1", 1, "security manager");
    assert!(page.body.contains("name=\"i3_new\" value=\"1\""));
    assert!(page.body.contains("name=\"o4_new\" value=\"1\""));
    assert_eq!(page.hidden("i_count").as_deref(), Some("4"));
    assert_eq!(page.hidden("v_count").as_deref(), Some("2"));
    assert_eq!(page.hidden("o_count").as_deref(), Some("5"));
    let row = |key: &str, fields: &[(&str, &str)]| {
        fields
            .iter()
            .map(|(f, v)| format!("&{key}_{f}={}", v.replace(' ', "+")))
            .collect::<String>()
    };
    let base = |i0_phones: &str, v0_email: &str, police_step: &str| {
        let mut form = format!(
            "csrf={}&version={version}&revised_on=2025-06-01&i_count=4&v_count=2&o_count=5",
            web.csrf
        );
        form += &row(
            "i0",
            &[
                ("role_administrator", "on"),
                ("title", "院長"),
                ("name", "港 太郎"),
                ("phones", i0_phones),
                ("step", "3"),
            ],
        );
        form += &row(
            "i1",
            &[
                ("role_security_manager", "on"),
                ("name", "中央 花子"),
                ("phones", "03-1234-5602"),
                ("step", "1"),
            ],
        );
        // The on-call desk is removed; a system staff member is added at step 1.
        form += &row(
            "i2",
            &[
                ("role_on_call", "on"),
                ("name", "当直管理者"),
                ("phones", "03-1234-5699"),
                ("remove", "on"),
            ],
        );
        form += &row(
            "i3",
            &[
                ("new", "1"),
                ("role_system_staff", "on"),
                ("name", "情報 次郎"),
                ("phones", "03-1234-5610"),
                ("hours", "平日 8:30-17:30"),
                ("step", "1"),
            ],
        );
        form += &row(
            "v0",
            &[
                ("choice", &VENDOR_CONTRACT.to_string()),
                ("name", "保守センター"),
                ("phones", "0120-123-456"),
                ("email", v0_email),
                ("step", "3"),
            ],
        );
        form += &row(
            "v1",
            &[("new", "1"), ("choice", &VENDOR_CONTRACT.to_string())],
        );
        form += &row(
            "o0",
            &[
                ("choice", "mhlw"),
                ("organisation", "厚生労働省"),
                ("phones", "03-5253-1111"),
                ("step", "4"),
            ],
        );
        form += &row(
            "o1",
            &[
                ("choice", "prefecture"),
                ("organisation", "東京都"),
                ("phones", "03-5321-1111"),
                ("step", "4"),
            ],
        );
        form += &row(
            "o2",
            &[
                ("choice", "police"),
                ("organisation", "警視庁"),
                ("phones", "03-5805-1731"),
                ("step", police_step),
            ],
        );
        // The insurer is removed.
        form += &row(
            "o3",
            &[
                ("choice", "insurer"),
                ("organisation", "保険"),
                ("phones", "0120-987-654"),
                ("remove", "on"),
            ],
        );
        form += &row("o4", &[("new", "1"), ("choice", "mhlw")]);
        form
    };
    // Bad phone, e-mail and step: each named beside its field; nothing stored.
    let r = app
        .post_form(&web.cookie, &edit, &base("abc", "hoshu@", "99"), false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("連絡の順番「99」は1〜11の数字で記入してください");
    let r = app
        .post_form(&web.cookie, &edit, &base("abc", "hoshu@", "2"), false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("電話番号「abc」");
    r.assert_body_contains("メールアドレス「hoshu@」");
    assert!(
        r.body.contains("院内 1:") && r.body.contains("事業者 1:"),
        "{}",
        r.body
    );
    r.assert_body_contains("name=\"i0_phones\" value=\"abc\" aria-label=\"電話番号\" inputmode=\"tel\" aria-invalid=\"true\"");
    assert!(
        r.body.contains("name=\"i3_name\" value=\"情報 次郎\""),
        "the added row is kept"
    );
    let unchanged = app.api_get(&api, &staff_token).await.json();
    assert_eq!(unchanged["updated_at"], version.as_str(), "nothing stored");
    // Saved: people added and removed, and the order of calls as numbered.
    app.post_form(
        &web.cookie,
        &edit,
        &base("03-1234-5601", "support@towa-medical.example.jp", "2"),
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let chart = app.api_get(&api, &staff_token).await.json();
    let names = texts(&chart["internal"], "name");
    assert_eq!(names, ["港 太郎", "中央 花子", "情報 次郎"]);
    let bodies = texts(&chart["outside"], "body");
    assert_eq!(bodies, ["mhlw", "prefecture", "police"]);
    let order = chart["call_order"].as_array().expect("order").clone();
    let step = |i: usize| -> Vec<String> {
        elements(&order[i]["targets"])
            .iter()
            .map(|t| match t["kind"].as_str().unwrap_or_default() {
                "internal" => t["role"].as_str().unwrap_or_default().to_owned(),
                "outside" => t["body"].as_str().unwrap_or_default().to_owned(),
                "vendor" => format!("vendor {}", t["contract_id"]),
                other => other.to_owned(),
            })
            .collect()
    };
    assert_eq!(order.len(), 5, "{order:?}");
    assert_eq!(step(0), ["discoverer"]);
    assert_eq!(
        order[0]["note"], "LANケーブルを抜いてから連絡",
        "a step calling the same people keeps its note"
    );
    assert_eq!(step(1), ["security_manager", "system_staff"]);
    assert_eq!(step(2), ["police"]);
    assert_eq!(
        step(3),
        [
            "administrator".to_owned(),
            format!("vendor {VENDOR_CONTRACT}")
        ]
    );
    assert_eq!(step(4), ["mhlw", "prefecture"]);
    // The drawing follows: the new person is on it, the removed ones are not.
    let svg = app.api_get_ok(&format!("{api}.svg"), &staff_token).await;
    assert!(svg.body.contains("情報 次郎"));
    assert!(!svg.body.contains("当直管理者") && !svg.body.contains("0120-987-654"));
    // The editor shows the saved order back.
    let page = app.page(&web, &edit).await;
    assert_step(&page, "o2", 2, "police");
    assert_step(&page, "i0", 3, "administrator");
    // Without the editor's counts, nothing is stored.
    app.submit(&web, &edit, "revised_on=2025-06-01")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // English messages.
    let en = web.english_cookie();
    let latest = stored_version(app, &api, &staff_token).await;
    let bad = base("abc", "x@", "2").replace(&version, &latest);
    let r = app
        .post_form(&en, &edit, &bad, false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("phone number") && r.body.contains("Inside 1:"),
        "{}",
        r.body
    );
}

/// The version (`updated_at`) of the record the API path serves, which an editor's form
/// sends back.
async fn stored_version(app: &TestApp, api: &str, token: &str) -> String {
    let record = app.api_get_ok(api, token).await.json();
    record["updated_at"].as_str().expect("version").to_owned()
}

/// The demo hospital's checklist of this year as the signed-in `login` sees it.
async fn hospital_checklist(app: &TestApp, login: &str) -> Response {
    let web = app.web_login(login).await;
    let path = format!("/institutions/{HOSPITAL}/checklist/{}", app.year());
    app.page(&web, &path).await
}

/// The hospital's staff signed in on the page that edits its `records` (continuity,
/// contact-chart): the browser, the page's path and the page as first shown.
async fn staff_editor(app: &TestApp, records: &str) -> (WebSession, String, Response) {
    let web = app.web_login("demo-hospital-staff").await;
    let edit = format!("/institutions/{HOSPITAL}/{records}/edit");
    let page = app.page(&web, &edit).await;
    (web, edit, page)
}
