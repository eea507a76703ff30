//! 証跡 (evidence) on checklist items: attaching files and links through the API and the
//! pages, what each kind of reader sees, refusals with their field, versions and removals
//! kept in the history, the quota, and carrying a year's evidence into the next by role.

use super::notifications::{calendar_url, events, feed, listed, pass};
use super::*;
use mamori_domain::evidence::MAX_EVIDENCE_BYTES;
use mamori_domain::{FormKind, ItemRole};

on_both_engines!(
    files_and_links_are_attached_and_read_by_those_who_see_the_institution,
    bad_evidence_is_refused_naming_its_field_and_nothing_is_stored,
    a_replacement_is_a_new_version_and_a_removal_stays_in_the_history,
    a_full_quota_refuses_the_file_and_keeps_nothing,
    still_valid_evidence_is_carried_into_the_next_year_by_role,
    the_evidence_page_attaches_replaces_and_removes_after_asking,
    stale_evidence_is_told_on_the_day_it_expires,
);

/// The key of the item with `role` in the institution form of `year`.
fn key_of(app: &TestApp, year: i32, role: ItemRole) -> String {
    app.state
        .catalog
        .version_for(
            FiscalYear::new(year).expect("a year"),
            FormKind::Institution,
        )
        .expect("a version")
        .item_with_role(role)
        .expect("the role")
        .key
        .clone()
}

fn evidence_path(year: i32, key: &str) -> String {
    format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}/evidence")
}

/// Sends an evidence form (fields and at most one file) to the API.
async fn send_evidence(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Response {
    let files: Vec<(&str, &str, &[u8])> = file
        .map(|(name, data)| ("file", name, data))
        .into_iter()
        .collect();
    let (content_type, body) = multipart_form(fields, &files);
    app.upload(path, token, &content_type, body).await
}

fn days_ago(n: u64) -> String {
    (mamori_app::today_in_japan() - chrono::Days::new(n)).to_string()
}

fn days_ahead(n: u64) -> String {
    (mamori_app::today_in_japan() + chrono::Days::new(n)).to_string()
}

fn png_image() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 1, 1);
    encoder.set_color(png::ColorType::Grayscale);
    let mut writer = encoder.write_header().expect("a header");
    writer.write_image_data(&[0]).expect("a pixel");
    writer.finish().expect("finished");
    bytes
}

async fn files_and_links_are_attached_and_read_by_those_who_see_the_institution(app: &TestApp) {
    let year = app.year();
    let backup = key_of(app, year, ItemRole::Backup);
    let hospital = app.token("demo-hospital").await;
    let pdf = mamori_reports::document::simple_pdf(&["Restore test", "2026-11-02"]);
    let produced = days_ago(30);
    let until = days_ahead(200);
    let created = send_evidence(
        app,
        &hospital,
        &evidence_path(year, &backup),
        &[
            ("title", "バックアップ復元テスト記録"),
            ("owner", "情報システム課 佐藤"),
            ("produced_on", &produced),
            ("valid_until", &until),
        ],
        Some(("復元テスト.pdf", &pdf)),
    )
    .await
    .assert_status(StatusCode::CREATED)
    .json();
    let file_id = created["id"].as_i64().expect("id");
    send_evidence(
        app,
        &hospital,
        &evidence_path(year, &backup),
        &[
            ("title", "バックアップ運用手順（院内共有）"),
            ("owner", "情報システム課"),
            ("produced_on", &days_ago(400)),
            ("url", "https://intra.example.jp/backup"),
        ],
        None,
    )
    .await
    .assert_status(StatusCode::CREATED);

    // The list: the file and the link, the link over a year old without an end.
    let list = app
        .api_get_ok(&evidence_path(year, &backup), &hospital)
        .await
        .json();
    assert_eq!(texts(&list, "kind"), ["pdf", "link"]);
    assert_eq!(texts(&list, "standing"), ["valid", "older_than_a_year"]);
    assert_eq!(list[0]["file_name"], "復元テスト.pdf");
    assert_eq!(list[0]["size"], pdf.len());
    assert_eq!(list[1]["url"], "https://intra.example.jp/backup");

    // Tokyo's inspector reads the list and downloads the file; the read is in the access log.
    let inspector = app.token("demo-inspector-13").await;
    app.api_get_ok(&evidence_path(year, &backup), &inspector)
        .await;
    let request = Request::get(format!("/api/v1/evidence/{file_id}/file"))
        .header(header::AUTHORIZATION, format!("Bearer {inspector}"))
        .body(Body::empty())
        .expect("request");
    let (status, headers, bytes) = app.send_raw_to(&app.router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, pdf);
    assert_eq!(
        header_str(&headers, header::CONTENT_TYPE),
        "application/pdf"
    );
    assert!(header_str(&headers, header::CONTENT_DISPOSITION).contains("filename*=UTF-8''"));
    let log = app
        .state
        .store
        .access_log(HOSPITAL, 50)
        .await
        .expect("access log");
    assert!(
        log.iter()
            .any(|e| e.login == "demo-inspector-13" && e.resource == format!("evidence:{file_id}")),
        "the download is in the access log"
    );
    // It may read but not attach.
    send_evidence(
        app,
        &inspector,
        &evidence_path(year, &backup),
        &[("title", "x"), ("owner", "x"), ("produced_on", &produced)],
        Some(("a.pdf", &pdf)),
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    // Outside the hospital: nothing of it exists.
    let clinic = app.token("demo-clinic").await;
    for path in [
        evidence_path(year, &backup),
        format!("/api/v1/evidence/{file_id}"),
        format!("/api/v1/evidence/{file_id}/file"),
    ] {
        app.api_get(&path, &clinic)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    app.api_delete(&format!("/api/v1/evidence/{file_id}"), &clinic)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The checklist page shows the titles beside the item; the inspector's page and the
    // print list them too.
    let admin = app.web_login("demo-hospital").await;
    let page = app
        .page(
            &admin,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await
        .assert_status(StatusCode::OK);
    page.assert_body_contains("バックアップ復元テスト記録");
    page.assert_body_contains("作成から1年以上");
    let inspector_web = app.web_login("demo-inspector-13").await;
    let inspection = app
        .page(
            &inspector_web,
            &format!("/institutions/{HOSPITAL}/inspection/{year}"),
        )
        .await
        .assert_status(StatusCode::OK);
    inspection.assert_body_contains("バックアップ復元テスト記録");
    inspection.assert_body_contains(&format!("/evidence/{file_id}/file"));
    let print = app
        .page(
            &admin,
            &format!("/institutions/{HOSPITAL}/checklist/{year}/print"),
        )
        .await
        .assert_status(StatusCode::OK);
    print.assert_body_contains("バックアップ運用手順（院内共有）");
    // The page's download is the same file.
    assert_eq!(
        app.get_bytes(&inspector_web.cookie, &format!("/evidence/{file_id}/file"))
            .await,
        pdf
    );
}

async fn bad_evidence_is_refused_naming_its_field_and_nothing_is_stored(app: &TestApp) {
    let year = app.year();
    let key = key_of(app, year, ItemRole::UnusedAccounts);
    let path = evidence_path(year, &key);
    let hospital = app.token("demo-hospital").await;
    let pdf = mamori_reports::document::simple_pdf(&["accounts"]);
    let today = days_ago(0);
    let good = [
        ("title", "不要アカウント削除記録"),
        ("owner", "総務課"),
        ("produced_on", today.as_str()),
    ];
    // Kinds are read from the content, whatever the name says.
    send_evidence(
        app,
        &hospital,
        &path,
        &good,
        Some(("記録.pdf", b"MZ\x90\x00 not a pdf")),
    )
    .await
    .assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type");
    send_evidence(
        app,
        &hospital,
        &path,
        &good,
        Some(("記録.pdf", b"%PDF-1.7 only a signature")),
    )
    .await
    .assert_bilingual_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type");
    // A file over 10 MB.
    let mut big = pdf.clone();
    big.resize(MAX_EVIDENCE_BYTES + 1, b' ');
    send_evidence(app, &hospital, &path, &good, Some(("big.pdf", &big)))
        .await
        .assert_bilingual_error(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large");
    // Every field at fault, named.
    let future = days_ahead(1);
    let refused = send_evidence(
        app,
        &hospital,
        &path,
        &[
            ("title", ""),
            ("owner", "総務課"),
            ("produced_on", &future),
            ("valid_until", "2026-02-30"),
        ],
        Some(("a.pdf", &pdf)),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(
        refused.problem_paths(),
        ["title", "produced_on", "valid_until"]
    );
    let both = send_evidence(
        app,
        &hospital,
        &path,
        &[good[0], good[1], good[2], ("url", "https://example.jp")],
        Some(("a.pdf", &pdf)),
    )
    .await;
    assert_eq!(both.problem_paths(), ["url"]);
    let neither = send_evidence(app, &hospital, &path, &good, None).await;
    assert_eq!(neither.problem_paths(), ["file"]);
    let script = send_evidence(
        app,
        &hospital,
        &path,
        &[good[0], good[1], good[2], ("url", "javascript:alert(1)")],
        None,
    )
    .await;
    assert_eq!(script.problem_paths(), ["url"]);
    // An item the form does not have.
    send_evidence(
        app,
        &hospital,
        &evidence_path(year, "9-9"),
        &good,
        Some(("a.pdf", &pdf)),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // Nothing was kept, not even the bytes.
    let list = app.api_get_ok(&path, &hospital).await.json();
    assert!(elements(&list).is_empty(), "{list}");
    assert_eq!(
        app.state
            .store
            .evidence_usage(HOSPITAL)
            .await
            .expect("usage"),
        0
    );
}

async fn a_replacement_is_a_new_version_and_a_removal_stays_in_the_history(app: &TestApp) {
    let year = app.year();
    let key = key_of(app, year, ItemRole::Backup);
    let hospital = app.token("demo-hospital").await;
    let id = attach_evidence(app, &hospital, year, &key, "バックアップ取得記録").await;
    let versions = format!("/api/v1/evidence/{id}/versions");
    let png = png_image();
    let produced = days_ago(1);
    let replaced = send_evidence(
        app,
        &hospital,
        &versions,
        &[
            ("version", "1"),
            ("title", "バックアップ取得記録（画面）"),
            ("owner", "情報システム課 佐藤"),
            ("produced_on", &produced),
        ],
        Some(("screen.png", &png)),
    )
    .await
    .assert_status(StatusCode::CREATED)
    .json();
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["kind"], "png");
    assert_eq!(replaced["valid_until"], Value::Null);
    // A form loaded before the replacement is refused.
    send_evidence(
        app,
        &hospital,
        &versions,
        &[
            ("version", "1"),
            ("title", "古い"),
            ("owner", "x"),
            ("produced_on", &produced),
        ],
        None,
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");
    // Without a file, the description changes and the file stays.
    let renamed = send_evidence(
        app,
        &hospital,
        &versions,
        &[
            ("version", "2"),
            ("title", "バックアップ取得記録（2026年11月）"),
            ("owner", "情報システム課 佐藤"),
            ("produced_on", &produced),
            ("valid_until", &days_ahead(90)),
        ],
        None,
    )
    .await
    .assert_status(StatusCode::CREATED)
    .json();
    assert_eq!(renamed["version"], 3);
    assert_eq!(renamed["kind"], "png");
    assert_eq!(renamed["file_name"], "screen.png");
    // Every version is kept, each file downloadable.
    let detail = app
        .api_get_ok(&format!("/api/v1/evidence/{id}"), &hospital)
        .await
        .json();
    let numbers: Vec<i64> = elements(&detail["versions"])
        .iter()
        .map(|v| v["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    let first = app
        .api_get_ok(&format!("/api/v1/evidence/{id}/file?version=1"), &hospital)
        .await;
    assert!(first.body.starts_with("%PDF-"), "the first version's file");
    let current = app
        .api_get_ok(&format!("/api/v1/evidence/{id}/file"), &hospital)
        .await;
    assert_eq!(
        header_str(&current.headers, header::CONTENT_TYPE),
        "image/png"
    );
    // Removed: gone from the item, kept in the history; removing again is refused.
    app.api_delete(&format!("/api/v1/evidence/{id}"), &hospital)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let list = app
        .api_get_ok(&evidence_path(year, &key), &hospital)
        .await
        .json();
    assert!(elements(&list).is_empty());
    let detail = app
        .api_get_ok(&format!("/api/v1/evidence/{id}"), &hospital)
        .await
        .json();
    assert!(detail["removed_at"].is_string());
    assert_eq!(elements(&detail["versions"]).len(), 3);
    app.api_delete(&format!("/api/v1/evidence/{id}"), &hospital)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "evidence_removed");
    for action in ["evidence.add", "evidence.replace", "evidence.remove"] {
        assert!(audit_count(app, action).await >= 1, "{action} is audited");
    }
    app.assert_audit_chain_intact().await;
}

async fn a_full_quota_refuses_the_file_and_keeps_nothing(app: &TestApp) {
    let year = app.year();
    let key = key_of(app, year, ItemRole::Backup);
    let hospital = app.token("demo-hospital").await;
    let pdf = mamori_reports::document::simple_pdf(&["a quota"]);
    let quota = i64::try_from(pdf.len()).expect("small") + 10;
    // The same server with a quota of one file.
    let state = AppState {
        app: app.state.app.clone().with_evidence_quota(quota),
        ..app.state.clone()
    };
    let router = mamori_web::router(state);
    let produced = days_ago(3);
    let fields = [
        ("title", "ログ"),
        ("owner", "総務課"),
        ("produced_on", produced.as_str()),
    ];
    let send = |data: Vec<u8>| {
        let (content_type, body) = multipart_form(&fields, &[("file", "log.pdf", &data)]);
        let request = Request::post(evidence_path(year, &key))
            .header(header::AUTHORIZATION, format!("Bearer {hospital}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        app.send_to(&router, request)
    };
    send(pdf.clone()).await.assert_status(StatusCode::CREATED);
    // The same file again takes no more room.
    send(pdf.clone()).await.assert_status(StatusCode::CREATED);
    let other = mamori_reports::document::simple_pdf(&["another file"]);
    send(other)
        .await
        .assert_bilingual_error(StatusCode::PAYLOAD_TOO_LARGE, "evidence_quota_full");
    let list = app
        .api_get_ok(&evidence_path(year, &key), &hospital)
        .await
        .json();
    assert_eq!(elements(&list).len(), 2);
    assert_eq!(
        app.state
            .store
            .evidence_usage(HOSPITAL)
            .await
            .expect("usage"),
        i64::try_from(pdf.len()).expect("small")
    );
}

async fn still_valid_evidence_is_carried_into_the_next_year_by_role(app: &TestApp) {
    let hospital = app.token("demo-hospital").await;
    // 2024 has the 令和6年度 form, 2025 the 令和7年度 one: the item is found by its role.
    let (old_key, new_key) = (
        key_of(app, 2024, ItemRole::Backup),
        key_of(app, 2025, ItemRole::Backup),
    );
    let pdf = mamori_reports::document::simple_pdf(&["backup 2024"]);
    for (title, until) in [
        ("有効な記録", "2025-09-30"),
        ("期限切れの記録", "2025-03-31"),
    ] {
        send_evidence(
            app,
            &hospital,
            &evidence_path(2024, &old_key),
            &[
                ("title", title),
                ("owner", "情報システム課"),
                ("produced_on", "2024-10-01"),
                ("valid_until", until),
            ],
            Some(("backup.pdf", &pdf)),
        )
        .await
        .assert_status(StatusCode::CREATED);
    }
    let carry = format!("/api/v1/institutions/{HOSPITAL}/assessments/2025/evidence/carry-forward");
    let carried = app.api_post(&carry, &hospital, json!({})).await.json();
    assert_eq!(carried["carried"], 1);
    let list = app
        .api_get_ok(&evidence_path(2025, &new_key), &hospital)
        .await
        .json();
    assert_eq!(texts(&list, "title"), ["有効な記録"]);
    assert!(list[0]["carried_from"].is_i64());
    // Carried once only; the file is shared, not copied.
    let again = app.api_post(&carry, &hospital, json!({})).await.json();
    assert_eq!(again["carried"], 0);
    assert_eq!(
        app.state
            .store
            .evidence_usage(HOSPITAL)
            .await
            .expect("usage"),
        i64::try_from(pdf.len()).expect("small")
    );
    // The checklist page of 2026 offers the one still valid on 1 April 2026 (none: it ended
    // in September), and the staff of 2025's page after a new one.
    let admin = app.web_login("demo-hospital").await;
    let page = app
        .page(&admin, &format!("/institutions/{HOSPITAL}/checklist/2026"))
        .await;
    assert!(
        !page.body.contains("id=\"evidence-carry\""),
        "nothing to carry"
    );
    send_evidence(
        app,
        &hospital,
        &evidence_path(2025, &new_key),
        &[
            ("title", "2025年度の記録"),
            ("owner", "情報システム課"),
            ("produced_on", "2025-11-01"),
        ],
        Some(("backup.pdf", &pdf)),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let page = app
        .page(&admin, &format!("/institutions/{HOSPITAL}/checklist/2026"))
        .await;
    page.assert_body_contains("id=\"evidence-carry\"");
    let done = app
        .post_form_and_follow(
            &admin.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/2026/evidence/carry"),
            &format!("csrf={}", admin.csrf),
        )
        .await
        .assert_status(StatusCode::OK);
    done.assert_body_contains("前年度の証跡を1件引き継ぎました");
    let list = app
        .api_get_ok(&evidence_path(2026, &new_key), &hospital)
        .await
        .json();
    assert_eq!(texts(&list, "title"), ["2025年度の記録"]);
}

async fn the_evidence_page_attaches_replaces_and_removes_after_asking(app: &TestApp) {
    let year = app.year();
    let key = key_of(app, year, ItemRole::UnusedAccounts);
    let admin = app.web_login("demo-hospital").await;
    let page_path = format!("/institutions/{HOSPITAL}/checklist/{year}/items/{key}/evidence");
    let page = app
        .page(&admin, &page_path)
        .await
        .assert_status(StatusCode::OK);
    page.assert_body_contains("証跡を添付する");
    let produced = days_ago(2);
    let attach = async |title: &str| {
        app.post_multipart(
            &admin.cookie,
            &page_path,
            &[
                ("csrf", &admin.csrf),
                ("title", title),
                ("owner", "総務課 田中"),
                ("produced_on", &produced),
            ],
            &[(
                "file",
                "accounts.txt",
                "退職者アカウント削除 3件\n".as_bytes(),
            )],
        )
        .await
    };
    // A form missing its title comes back with the message at the field and what was typed.
    let refused = attach("").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_body_contains("証跡の名称を入力してください");
    refused.assert_body_contains("value=\"総務課 田中\"");
    let added = attach("退職者アカウント削除記録").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = app.page(&admin, added.location()).await;
    page.assert_body_contains("証跡を添付しました");
    page.assert_body_contains("退職者アカウント削除記録");
    page.assert_body_contains("テキスト");
    let id = app
        .state
        .store
        .evidence_of_year(HOSPITAL, FiscalYear::new(year).expect("year"), false)
        .await
        .expect("evidence")[0]
        .id;
    // A replacement from its form: a new title, the file kept, a second version.
    let replaced = app
        .post_multipart(
            &admin.cookie,
            &format!("/evidence/{id}/replace"),
            &[
                ("csrf", &admin.csrf),
                ("version", "1"),
                ("title", "退職者アカウント削除記録（11月分）"),
                ("owner", "総務課 田中"),
                ("produced_on", &produced),
            ],
            &[],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER, "{}", replaced.body);
    let page = app.page(&admin, replaced.location()).await;
    page.assert_body_contains("証跡を新しい版に差し替えました");
    page.assert_body_contains("退職者アカウント削除記録（11月分）");
    page.assert_body_contains(&format!("/evidence/{id}/file?version=1"));
    // Removing asks first.
    let remove = format!("/evidence/{id}/remove");
    let unconfirmed = app
        .post_form(
            &admin.cookie,
            &remove,
            &format!("csrf={}", admin.csrf),
            false,
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    unconfirmed.assert_body_contains("外してよいか確認のチェックを入れてください");
    let removed = app
        .post_form(
            &admin.cookie,
            &remove,
            &format!("csrf={}&confirm=yes", admin.csrf),
            false,
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = app.page(&admin, removed.location()).await;
    page.assert_body_contains("外した証跡");
    page.assert_body_contains("この項目にはまだ証跡がありません");
    // The staff of another institution finds nothing there.
    let clinic = app.web_login("demo-clinic").await;
    assert_eq!(
        app.get_page(&clinic.cookie, &page_path).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn stale_evidence_is_told_on_the_day_it_expires(app: &TestApp) {
    let year = app.year();
    let key = key_of(app, year, ItemRole::Backup);
    let hospital = app.token("demo-hospital").await;
    let today = mamori_app::today_in_japan();
    let pdf = mamori_reports::document::simple_pdf(&["log"]);
    let until = today + chrono::Days::new(10);
    let path = evidence_path(year, &key);
    for (title, until) in [
        ("期限つきの記録", until.to_string()),
        ("外す記録", until.to_string()),
    ] {
        send_evidence(
            app,
            &hospital,
            &path,
            &[
                ("title", title),
                ("owner", "情報システム課"),
                ("produced_on", &days_ago(5)),
                ("valid_until", &until),
            ],
            Some(("log.pdf", &pdf)),
        )
        .await
        .assert_status(StatusCode::CREATED);
    }
    let removed = app.api_get_ok(&path, &hospital).await.json()[1]["id"]
        .as_i64()
        .expect("id");
    app.api_delete(&format!("/api/v1/evidence/{removed}"), &hospital)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let stale = || async {
        listed(app, &hospital, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == "evidence_stale")
            .collect::<Vec<Value>>()
    };
    // The day is in the institution's calendar feed, parsed as iCalendar.
    let body = feed(app, &calendar_url(app, &hospital).await).await.body;
    let days: Vec<_> = events(&body)
        .into_iter()
        .filter(|(summary, _)| summary.contains("期限つきの記録"))
        .map(|(_, start)| start)
        .collect();
    assert_eq!(
        days,
        [icalendar::DatePerhapsTime::Date(
            until + chrono::Days::new(1)
        )],
        "{body}"
    );
    assert!(!body.contains("外す記録"), "a removed evidence has no date");
    pass(app, until).await;
    assert!(stale().await.is_empty(), "still valid on its last day");
    pass(app, until + chrono::Days::new(1)).await;
    let told = stale().await;
    assert_eq!(told.len(), 1, "the removed one is not told: {told:?}");
    assert!(
        told[0]["title_ja"]
            .as_str()
            .expect("title")
            .contains("期限つきの記録")
    );
    assert_eq!(
        told[0]["link"],
        format!("/institutions/{HOSPITAL}/checklist/{year}/items/{key}/evidence")
    );
    pass(app, until + chrono::Days::new(2)).await;
    assert_eq!(stale().await.len(), 1, "once");
    // The staff do not get it: the admins replace evidence.
    let staff = app.token("demo-hospital-staff").await;
    assert!(
        listed(app, &staff, false)
            .await
            .iter()
            .all(|n| n["kind"] != "evidence_stale")
    );
}
