//! What follows the inspection (`src/inspection/follow_up_*`): the inspector (or a prefecture
//! officer) schedules it, the inspector records a remark per item and notifies the result; the institution reads it and files
//! improvement reports until each 指導 is accepted; the oversight figures count what is open.

use mamori_domain::wareki::format_wareki;

use super::*;

on_both_engines!(
    an_inspection_runs_from_schedule_to_accepted_report,
    the_follow_up_pages_take_the_same_steps_in_the_browser,
    a_prefecture_officer_schedules_but_records_nothing,
);

/// The prefecture's officer sets the inspection's date, by the API and on the page; what is
/// seen on site stays the inspector's, and another prefecture's officer sees nothing.
async fn a_prefecture_officer_schedules_but_records_nothing(app: &TestApp) {
    let year = app.year();
    let base = format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}");
    let officer = app.token("demo-prefecture-13").await;
    let coming = (mamori_app::today_in_japan() + chrono::Duration::days(9)).to_string();
    let scheduled = app
        .api_put_ok(
            &format!("{base}/schedule"),
            &officer,
            json!({"date": coming, "starts_at": "13:30", "inspectors": ["高橋 次郎"]}),
        )
        .await
        .json();
    assert_eq!(scheduled["schedule"]["date"], coming);
    let hospital = app.token("demo-hospital").await;
    let seen = app
        .api_get_ok(&format!("{base}/follow-up"), &hospital)
        .await
        .json();
    assert_eq!(seen["schedule"]["starts_at"], "13:30");
    app.api_put(
        &format!("{base}/remarks/{PASSWORDS}"),
        &officer,
        json!({"level": "guidance"}),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let other = app.token("demo-prefecture-46").await;
    app.api_put(
        &format!("{base}/schedule"),
        &other,
        json!({"date": coming, "inspectors": ["高橋 次郎"]}),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    // On the page: the schedule's form, and none of the inspector's.
    let web = app.web_login("demo-prefecture-13").await;
    let page = format!("/institutions/{HOSPITAL}/inspection/{year}/follow-up");
    let opened = app.page(&web, &page).await;
    opened.assert_body_contains(&format!(
        "action=\"/institutions/{HOSPITAL}/inspection/{year}/schedule\""
    ));
    assert!(!opened.body.contains(&format!(
        "action=\"/institutions/{HOSPITAL}/inspection/{year}/remarks\""
    )));
    let moved = mamori_app::today_in_japan() + chrono::Duration::days(12);
    let rescheduled = app
        .post_form_and_follow(
            &web.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}/schedule"),
            &format!(
                "csrf={}&date={moved}&starts_at=09%3A00&inspectors=%E9%AB%98%E6%A9%8B+%E6%AC%A1%E9%83%8E",
                web.csrf
            ),
        )
        .await;
    rescheduled.assert_body_contains(&format!("{} 9:00", format_wareki(moved)));
}

/// A day the improvement was made: before today, whatever today is.
fn done_on(days_ago: i64) -> String {
    (mamori_app::today_in_japan() - chrono::Duration::days(days_ago)).to_string()
}

/// Item 2(7) (passwords) and 2(8) (no reuse) of the demo's year.
const PASSWORDS: &str = "2-7-all";
const REUSE: &str = "2-8-all";

async fn open_remarks(app: &TestApp, token: &str) -> (i64, i64) {
    let s = app
        .api_get_ok(&format!("/api/v1/oversight/{}/summary", app.year()), token)
        .await
        .json();
    (
        s["open_remarks"].as_i64().expect("open remarks"),
        s["institutions_with_open_remarks"].as_i64().expect("with"),
    )
}

async fn an_inspection_runs_from_schedule_to_accepted_report(app: &TestApp) {
    let year = app.year();
    let base = format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}");
    let inspector = app.token("demo-inspector-13").await;
    let hospital = app.token("demo-hospital").await;
    let national = app.token("demo-national").await;
    let follow_up = format!("{base}/follow-up");
    let empty = app.api_get_ok(&follow_up, &inspector).await.json();
    assert!(empty["schedule"].is_null(), "{empty}");
    assert_eq!(elements(&empty["remarks"]).len(), 0);
    let open_before = open_remarks(app, &national).await;

    // Nothing is remarked before the inspection is scheduled.
    app.api_put(
        &format!("{base}/remarks/{PASSWORDS}"),
        &inspector,
        json!({"level": "guidance"}),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "inspection_not_scheduled");
    // Only the inspector of the prefecture schedules.
    let coming = (mamori_app::today_in_japan() + chrono::Duration::days(5)).to_string();
    let schedule =
        json!({"date": coming, "starts_at": "10:00", "inspectors": ["佐藤 一郎", "鈴木 花子"]});
    for (token, status, code) in [
        (&hospital, StatusCode::FORBIDDEN, "forbidden"),
        (&national, StatusCode::FORBIDDEN, "forbidden"),
    ] {
        app.api_put(&format!("{base}/schedule"), token, schedule.clone())
            .await
            .assert_bilingual_error(status, code);
    }
    app.api_put(
        &format!("/api/v1/institutions/{HOSPITAL_46}/inspection/{year}/schedule"),
        &inspector,
        schedule.clone(),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    // A schedule that cannot be read says which field.
    for (body, field) in [
        (
            json!({"date": format!("{year}/12/10"), "inspectors": ["佐藤"]}),
            "date",
        ),
        (
            json!({"date": format!("{year}-12-10"), "starts_at": "25:00", "inspectors": ["佐藤"]}),
            "starts_at",
        ),
        (
            json!({"date": format!("{year}-12-10"), "inspectors": []}),
            "inspectors",
        ),
        (
            json!({"date": format!("{year}-12-10"), "inspectors": [" "]}),
            "inspectors",
        ),
    ] {
        let r = app
            .api_put(&format!("{base}/schedule"), &inspector, body)
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], field, "{}", r.body);
    }
    let scheduled = app
        .api_put_ok(&format!("{base}/schedule"), &inspector, schedule)
        .await
        .json();
    assert_eq!(scheduled["schedule"]["date"], coming);
    assert_eq!(scheduled["schedule"]["starts_at"], "10:00");
    assert_eq!(
        scheduled["schedule"]["inspectors"],
        json!(["佐藤 一郎", "鈴木 花子"])
    );
    // The institution sees the schedule.
    let seen = app.api_get_ok(&follow_up, &hospital).await.json();
    assert_eq!(seen["schedule"]["date"], coming);

    // Remarks per item: an unknown item is not found, an unknown level is refused.
    app.api_put(
        &format!("{base}/remarks/9-9-none"),
        &inspector,
        json!({"level": "guidance"}),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .api_put(
            &format!("{base}/remarks/{PASSWORDS}"),
            &inspector,
            json!({"level": "serious"}),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    assert_eq!(r.json()["error"]["field"], "level");
    app.api_put(
        &format!("{base}/remarks/{PASSWORDS}"),
        &hospital,
        json!({"level": "no_remark"}),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api_put_ok(
        &format!("{base}/remarks/{PASSWORDS}"),
        &inspector,
        json!({"level": "advice", "note": "最初の記録"}),
    )
    .await;
    let recorded = app
        .api_put_ok(
            &format!("{base}/remarks/{PASSWORDS}"),
            &inspector,
            json!({"level": "guidance", "note": "保守用端末のパスワードが8文字未満"}),
        )
        .await
        .json();
    app.api_put_ok(
        &format!("{base}/remarks/{REUSE}"),
        &inspector,
        json!({"level": "advice", "note": "使い回し禁止を規程に明記するとよい"}),
    )
    .await;
    let remarks = elements(&recorded["remarks"]);
    assert_eq!(remarks.len(), 1, "{recorded}");
    assert_eq!(remarks[0]["item"], "2(7)");
    assert_eq!(remarks[0]["level"], "guidance");
    assert_eq!(remarks[0]["progress"], "draft");
    assert_eq!(remarks[0]["open"], false);
    // Drafts are the inspector's: the institution sees none, nothing is open, nothing can
    // be reported.
    let hidden = app.api_get_ok(&follow_up, &hospital).await.json();
    assert_eq!(elements(&hidden["remarks"]).len(), 0, "{hidden}");
    assert!(hidden["overall_result"].is_null());
    assert_eq!(open_remarks(app, &national).await, open_before);
    let report =
        json!({"action_taken": "保守用端末のパスワードを13文字以上に変更", "done_on": done_on(3)});
    app.api_post(
        &format!("{base}/remarks/{PASSWORDS}/reports"),
        &hospital,
        report.clone(),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "no_report_awaited");

    // Notified once held: fixed, seen, open.
    app.api_post(&format!("{base}/result"), &hospital, json!({}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api_post(&format!("{base}/result"), &inspector, json!({}))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "inspection_not_held");
    let held = json!({"date": done_on(10), "starts_at": "10:00", "inspectors": ["佐藤 一郎", "鈴木 花子"]});
    app.api_put_ok(&format!("{base}/schedule"), &inspector, held)
        .await;
    let notified = app
        .api_post(
            &format!("{base}/result"),
            &inspector,
            json!({"overall_comment": "概ね適切に対策されている"}),
        )
        .await
        .assert_status(StatusCode::OK)
        .json();
    assert_eq!(notified["overall_result"], "guidance");
    assert!(notified["notified_at"].is_string());
    assert_eq!(notified["open_remarks"], 1);
    app.api_post(&format!("{base}/result"), &inspector, json!({}))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "result_already_notified");
    app.api_put(
        &format!("{base}/remarks/{REUSE}"),
        &inspector,
        json!({"level": "guidance"}),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "result_already_notified");
    app.api_put(
        &format!("{base}/schedule"),
        &inspector,
        json!({"date": format!("{year}-12-11"), "inspectors": ["佐藤"]}),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "result_already_notified");
    let seen = app.api_get_ok(&follow_up, &hospital).await.json();
    let by_item = |v: &Value, key: &str| -> Value {
        elements(&v["remarks"])
            .iter()
            .find(|r| r["item_key"] == key)
            .map(|r| (*r).clone())
            .unwrap_or_else(|| panic!("{key} in {v}"))
    };
    assert_eq!(by_item(&seen, PASSWORDS)["progress"], "awaiting_report");
    assert_eq!(by_item(&seen, PASSWORDS)["open"], true);
    assert_eq!(by_item(&seen, REUSE)["progress"], "no_report_asked");
    assert_eq!(seen["overall_comment"], "概ね適切に対策されている");
    let (open, with) = open_remarks(app, &national).await;
    assert_eq!((open, with), (open_before.0 + 1, open_before.1 + 1));
    let tokyo_inspector = open_remarks(app, &inspector).await;
    assert_eq!(tokyo_inspector.0, open);

    // The improvement report: the institution's own users, something done, not in future.
    app.api_post(
        &format!("{base}/remarks/{PASSWORDS}/reports"),
        &inspector,
        report.clone(),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    for (body, field) in [
        (
            json!({"action_taken": " ", "done_on": done_on(3)}),
            "action_taken",
        ),
        (
            json!({"action_taken": "変更", "done_on": "2999-01-01"}),
            "done_on",
        ),
        (
            json!({"action_taken": "変更", "done_on": "昨日"}),
            "done_on",
        ),
    ] {
        let r = app
            .api_post(
                &format!("{base}/remarks/{PASSWORDS}/reports"),
                &hospital,
                body,
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], field, "{}", r.body);
    }
    app.api_post(
        &format!("{base}/remarks/{REUSE}/reports"),
        &hospital,
        report.clone(),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "no_report_awaited");
    let first = app
        .api_create(
            &format!("{base}/remarks/{PASSWORDS}/reports"),
            &hospital,
            report.clone(),
        )
        .await["id"]
        .as_i64()
        .expect("report id");
    app.api_post(
        &format!("{base}/remarks/{PASSWORDS}/reports"),
        &hospital,
        report.clone(),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "no_report_awaited");
    // Returned, reported again, accepted.
    let decide = |id: i64| format!("{base}/remarks/{PASSWORDS}/reports/{id}/decision");
    app.api_post(&decide(first), &hospital, json!({"decision": "accepted"}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .api_post(&decide(first), &inspector, json!({"decision": "maybe"}))
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    assert_eq!(r.json()["error"]["field"], "decision");
    let returned = app
        .api_post(
            &decide(first),
            &inspector,
            json!({"decision": "returned", "note": "全端末の変更記録を添えてください"}),
        )
        .await
        .assert_status(StatusCode::OK)
        .json();
    assert_eq!(by_item(&returned, PASSWORDS)["progress"], "returned");
    assert_eq!(by_item(&returned, PASSWORDS)["open"], true);
    app.api_post(&decide(first), &inspector, json!({"decision": "accepted"}))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "no_report_to_decide");
    let second = app
        .api_create(
            &format!("{base}/remarks/{PASSWORDS}/reports"),
            &hospital,
            json!({"action_taken": "全端末で変更し記録を保管", "done_on": done_on(1)}),
        )
        .await["id"]
        .as_i64()
        .expect("report id");
    assert!(second > first);
    let accepted = app
        .api_post(&decide(second), &inspector, json!({"decision": "accepted"}))
        .await
        .assert_status(StatusCode::OK)
        .json();
    let remark = by_item(&accepted, PASSWORDS);
    assert_eq!(remark["progress"], "accepted");
    assert_eq!(remark["open"], false);
    let reports = elements(&remark["reports"]);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["decision"], "returned");
    assert_eq!(
        reports[0]["decision_note"],
        "全端末の変更記録を添えてください"
    );
    assert_eq!(reports[1]["decision"], "accepted");
    assert_eq!(open_remarks(app, &national).await, open_before);

    // Every step is audited, every read of the record logged.
    let actions: Vec<String> = app
        .audit_log()
        .await
        .into_iter()
        .filter(|e| e.institution_id == Some(HOSPITAL) && e.action.starts_with("inspection."))
        .map(|e| e.action)
        .collect();
    for action in [
        "inspection.schedule",
        "inspection.remark",
        "inspection.notify",
        "inspection.improvement_report",
        "inspection.decision",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    let reads = app
        .store()
        .access_log(HOSPITAL, 500)
        .await
        .expect("access log");
    for login in ["demo-hospital", "demo-inspector-13"] {
        assert!(
            reads
                .iter()
                .any(|e| e.login == login && e.resource == "inspection-follow-up"),
            "{login}: {reads:?}"
        );
    }
    app.assert_audit_chain_intact().await;
}

/// The page's path without its anchor, as a browser would load it.
fn without_anchor(path: &str) -> &str {
    path.split('#').next().unwrap_or(path)
}

async fn the_follow_up_pages_take_the_same_steps_in_the_browser(app: &TestApp) {
    let year = app.year();
    let page = format!("/institutions/{HOSPITAL}/inspection/{year}/follow-up");
    let held = mamori_app::today_in_japan() - chrono::Duration::days(2);
    let inspector = app.web_login("demo-inspector-13").await;
    let first = app.page(&inspector, &page).await;
    first.assert_body_contains("立入検査の予定と結果");
    first.assert_body_contains("まだ予定されていません");
    // A refused schedule keeps what was typed and says what is missing, at the field.
    let csrf = format!("csrf={}", inspector.csrf);
    let refused = app
        .post_form(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}/schedule"),
            &format!("{csrf}&date={year}-12-10&starts_at=10%3A00&inspectors="),
            false,
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_body_contains("検査員の氏名を1人以上入力してください");
    refused.assert_body_contains("id=\"schedule-inspectors-error\"");
    refused.assert_body_contains(&format!("value=\"{year}-12-10\""));
    let scheduled = app
        .post_form_and_follow(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}/schedule"),
            &format!(
                "{csrf}&date={held}&starts_at=10%3A00&inspectors=%E4%BD%90%E8%97%A4+%E4%B8%80%E9%83%8E"
            ),
        )
        .await;
    // The day in the Japanese era, never as ISO.
    scheduled.assert_body_contains(&format!("{} 10:00", format_wareki(held)));
    scheduled.assert_body_contains("佐藤 一郎");
    let r = app
        .post_form(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}/remarks"),
            &format!("{csrf}&item_key={PASSWORDS}&level=guidance&note=8%E6%96%87%E5%AD%97%E6%9C%AA%E6%BA%80"),
            false,
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(
        r.redirect_target()
            .ends_with(&format!("#remark-{PASSWORDS}"))
    );
    let recorded = app.page(&inspector, &page).await;
    recorded.assert_body_contains(&format!(
        "id=\"remark-{PASSWORDS}\" data-progress=\"draft\""
    ));
    recorded.assert_body_contains("指導事項あり");
    // The notice prints as a draft until notified, addressed by the prefecture.
    let notice = format!("/institutions/{HOSPITAL}/inspection/{year}/notice");
    let draft = app.page(&inspector, &notice).await;
    draft.assert_body_contains("立入検査結果通知書");
    draft.assert_body_contains("data-draft");
    draft.assert_body_contains("東京都知事");
    draft.assert_body_contains("2(7)");
    // The institution sees neither the draft notice nor the remarks.
    let hospital = app.web_login("demo-hospital").await;
    app.get_page(&hospital.cookie, &notice)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let waiting = app.page(&hospital, &page).await;
    waiting.assert_body_contains("検査結果はまだ通知されていません");
    assert!(!waiting.body.contains(&format!("id=\"remark-{PASSWORDS}\"")));
    // Notifying cannot be undone: the inspector ticks that first.
    let result = format!("/institutions/{HOSPITAL}/inspection/{year}/result");
    let unconfirmed = app
        .post_form(
            &inspector.cookie,
            &result,
            &format!("{csrf}&overall_comment="),
            false,
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    unconfirmed.assert_body_contains("通知後は取り消せないことを確認し");
    app.post_form_and_follow(
        &inspector.cookie,
        &result,
        &format!("{csrf}&overall_comment=&confirm=yes"),
    )
    .await
    .assert_body_contains("通知済み");
    // The institution sees the 指摘 on its checklist item and reports.
    let checklist = app
        .page(
            &hospital,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    checklist.assert_body_contains("data-remark=\"guidance\"");
    checklist.assert_body_contains("改善報告待ち");
    let hospital_csrf = format!("csrf={}", hospital.csrf);
    let reports = format!("/institutions/{HOSPITAL}/inspection/{year}/remarks/{PASSWORDS}/reports");
    let future = app
        .post_form(
            &hospital.cookie,
            &reports,
            &format!("{hospital_csrf}&action_taken=%E5%A4%89%E6%9B%B4&done_on=2999-01-01"),
            false,
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    future.assert_body_contains("改善した日に未来の日付は入力できません");
    future.assert_body_contains(&format!("id=\"report-{PASSWORDS}-done_on-error\""));
    let r = app
        .post_form(
            &hospital.cookie,
            &reports,
            &format!(
                "{hospital_csrf}&action_taken=%E5%A4%89%E6%9B%B4%E3%81%97%E3%81%9F&done_on={}",
                done_on(2)
            ),
            false,
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let filed = app
        .page(&hospital, without_anchor(&r.redirect_target()))
        .await;
    filed.assert_body_contains(&format!(
        "id=\"remark-{PASSWORDS}\" data-progress=\"reported\""
    ));
    let printed = app.page(&hospital, &notice).await;
    assert!(!printed.body.contains("data-draft"));
    printed.assert_body_contains("指導事項あり（改善報告を求めます）");
    // The inspector accepts it.
    let reviewed = app.page(&inspector, &page).await;
    let marker = format!("/remarks/{PASSWORDS}/reports/");
    let start = reviewed.body.find(&marker).expect("decision form") + marker.len();
    let id: String = reviewed.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let accepted = app
        .post_form_and_follow(
            &inspector.cookie,
            &format!(
                "/institutions/{HOSPITAL}/inspection/{year}/remarks/{PASSWORDS}/reports/{id}/decision"
            ),
            &format!("{csrf}&decision=accepted&note="),
        )
        .await;
    accepted.assert_body_contains(&format!(
        "id=\"remark-{PASSWORDS}\" data-progress=\"accepted\""
    ));
    accepted.assert_body_contains("改善確認済み");
    // In English, in words.
    let english = app
        .get_page(&inspector.english_cookie(), &page)
        .await
        .assert_status(StatusCode::OK);
    english.assert_body_contains("Improvement confirmed");
    assert!(!english.body.contains(">accepted<") && !english.body.contains(">guidance<"));
    // The oversight page lists the inspection.
    let oversight = app.page(&inspector, "/oversight").await;
    oversight.assert_body_contains(&page);
    oversight.assert_body_contains("未解決の指導");
}
