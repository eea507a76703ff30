//! Notifications by mail, through a real SMTP server on loopback (aiosmtpd), read back with a
//! MIME parser: each mail once in its recipient's language with a text and an HTML part,
//! each kind as its recipient chose (at once, a daily digest, the app only), retries with
//! backoff until the national office is shown the failure, at most one duplicate after a
//! crash, two servers sending each mail once, and the settings that refuse what is not a
//! mailbox.

use super::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use mamori_app::mail::Mailer;
use mamori_app::mail_delivery::{
    Links, MAIL_LEASE, MailReport, deliver, lease_due, route, run_mail_pass,
};
use mamori_app::notifications::run_scheduler;

on_both_engines!(
    a_notification_is_mailed_once_in_its_recipients_language,
    each_kind_goes_as_its_recipient_chose,
    a_refusing_server_is_tried_again_then_shown_to_the_national_office,
    a_crash_between_sending_and_marking_sends_one_duplicate,
    two_servers_send_each_mail_once,
    the_settings_refuse_what_is_not_a_mailbox_and_save_nothing,
    a_busy_hour_goes_out_in_one_pass,
);

const ADMIN_MAIL: &str = "anzen@minato-chuo.example.jp";
const PUBLIC: &str = "https://mamori.example.jp";

fn mailer(server_url: &str) -> Mailer {
    Mailer::new(server_url, "mamori <noreply@mamori.example.jp>")
        .expect("a mailer")
        .with_reply_to("help@mamori.example.jp")
        .expect("a reply-to")
}

fn links() -> Links {
    Links::new(PUBLIC)
}

async fn settings(app: &TestApp, token: &str, body: Value) -> Value {
    app.api_put_ok("/api/v1/me/notification-settings", token, body)
        .await
        .json()
}

/// What the demo's dates notify up to the day before `day`, and the notifications already
/// there, leave the outbox before a scenario: nobody has an address yet, so they stay in the
/// app. A scheduler pass on `day` then tells only what the scenario adds (and that day's).
async fn quiet(app: &TestApp, day: NaiveDate) {
    run_scheduler(&app.state, day - Duration::days(1))
        .await
        .expect("a pass");
    route(&app.state, Utc::now()).await.expect("routed");
}

/// The mails to the hospital's admin about the item `key`.
fn about(server: &MailServer, key: &str) -> Vec<ReceivedMail> {
    server
        .messages_to(ADMIN_MAIL)
        .into_iter()
        .filter(|m| {
            m.text
                .lines()
                .any(|l| l.trim_end().ends_with(&format!("#item-{key}")))
        })
        .collect()
}

/// An item of the hospital answered いいえ until `target`, and the scheduler run on `day`.
async fn due_on(app: &TestApp, token: &str, target: NaiveDate, day: NaiveDate) -> String {
    let key = answer_no_until(app, token, target).await;
    run_scheduler(&app.state, day)
        .await
        .expect("a scheduler pass");
    key
}

fn target_of(app: &TestApp) -> NaiveDate {
    NaiveDate::from_ymd_opt(app.year() + 1, 2, 15).expect("a date")
}

/// An SMTP server and its mailer, and the hospital's admin (their token) with an address, an
/// item answered いいえ until `target` and that day's pass run; the item's key.
async fn an_item_due_with_mail(app: &TestApp) -> (MailServer, Mailer, String, NaiveDate, String) {
    let server = MailServer::start().await;
    let mailer = mailer(&server.url());
    let target = target_of(app);
    quiet(app, target).await;
    let admin = app.token("demo-hospital").await;
    settings(app, &admin, json!({"email": ADMIN_MAIL})).await;
    let key = due_on(app, &admin, target, target).await;
    (server, mailer, admin, target, key)
}

async fn pass(app: &TestApp, mailer: &Mailer, now: DateTime<Utc>) -> MailReport {
    run_mail_pass(&app.state, mailer, &links(), now)
        .await
        .expect("a mail pass")
}

async fn a_notification_is_mailed_once_in_its_recipients_language(app: &TestApp) {
    let (server, mailer, admin, target, key) = an_item_due_with_mail(app).await;
    let report = pass(app, &mailer, Utc::now()).await;
    assert_eq!(report.failed, 0, "{report:?}");
    let mails = about(&server, &key);
    assert_eq!(mails.len(), 1, "one mail about the item");
    let mail = &mails[0];
    // The subject is encoded for the wire and reads back as Japanese.
    let subject_header = mail
        .raw
        .split("\r\nReply-To:")
        .next()
        .and_then(|head| head.split("Subject: ").nth(1))
        .expect("a subject header");
    assert!(
        subject_header.is_ascii() && subject_header.contains("=?utf-8?b?"),
        "{subject_header}"
    );
    assert!(
        mail.subject.starts_with("[mamori] ") && mail.subject.contains("の目標日"),
        "{}",
        mail.subject
    );
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);
    assert_eq!(mail.reply_to.as_deref(), Some("help@mamori.example.jp"));
    // The date in 和暦 with the Western year, the link to the item and the settings page in
    // both parts.
    let wareki = format!("（{}年）", target.format("%Y"));
    let item_link = format!(
        "{PUBLIC}/institutions/{HOSPITAL}/checklist/{}#item-{key}",
        app.year()
    );
    let settings_link = format!("{PUBLIC}/notifications/settings");
    for part in [&mail.text, &mail.html] {
        assert!(part.contains(&wareki), "{part}");
        assert!(part.contains(&item_link), "{part}");
        assert!(part.contains(&settings_link), "{part}");
        assert!(part.contains("みなと中央病院"), "{part}");
    }
    assert!(mail.html.contains("<a href=\""), "{}", mail.html);
    assert!(!mail.text.contains('<'), "plain text: {}", mail.text);
    // No other institution is named.
    assert!(!mail.text.contains("みなと歯科") && !mail.text.contains("薬局"));
    // Again: nothing more.
    let received = server.messages().len();
    let again = pass(app, &mailer, Utc::now()).await;
    assert_eq!(again.sent, 0);
    assert_eq!(server.messages().len(), received);

    // In English once the admin chooses it.
    settings(app, &admin, json!({"language": "en"})).await;
    let next = target + Duration::days(1);
    let key = due_on(app, &admin, next, next).await;
    pass(app, &mailer, Utc::now()).await;
    let mails = about(&server, &key);
    assert_eq!(mails.len(), 1);
    let english = &mails[0];
    assert!(
        english.subject.contains("target date"),
        "{}",
        english.subject
    );
    assert!(english.text.contains("notifications"), "{}", english.text);
}

async fn each_kind_goes_as_its_recipient_chose(app: &TestApp) {
    let server = MailServer::start().await;
    let mailer = mailer(&server.url());
    let target = target_of(app);
    // Three items: one 30 days ahead, one 7 days ahead, one today (all on one pass day).
    let today = target - Duration::days(7);
    quiet(app, today).await;
    let admin = app.token("demo-hospital").await;
    let chosen = settings(
        app,
        &admin,
        json!({"email": ADMIN_MAIL, "kinds": {"target_in_30_days": "in_app", "target_in_7_days": "daily_digest"}}),
    )
    .await;
    assert_eq!(chosen["kinds"]["target_in_30_days"], "in_app", "{chosen}");
    assert_eq!(chosen["kinds"]["target_today"], "mail_now", "{chosen}");
    let in_30 = answer_no_until(app, &admin, today + Duration::days(30)).await;
    let in_7 = answer_no_until(app, &admin, today + Duration::days(7)).await;
    let on_the_day = answer_no_until(app, &admin, today).await;
    run_scheduler(&app.state, today).await.expect("a pass");
    let now = Utc::now();
    pass(app, &mailer, now).await;
    // Only the one chosen at once.
    let mails = about(&server, &on_the_day);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("今日"), "{}", mails[0].subject);
    assert!(about(&server, &in_30).is_empty() && about(&server, &in_7).is_empty());
    let received = server.messages().len();
    // The digest waits for the next morning in Japan, 7 o'clock.
    let next_day = (now + Duration::hours(9)).date_naive() + Duration::days(1);
    let at_japan = |hour: u32| {
        next_day.and_hms_opt(hour, 0, 0).expect("a time").and_utc() - Duration::hours(9)
    };
    assert_eq!(pass(app, &mailer, at_japan(6)).await.sent, 0);
    let morning = pass(app, &mailer, at_japan(7)).await;
    assert_eq!((morning.digests, morning.sent), (1, 1), "{morning:?}");
    assert_eq!(server.messages().len(), received + 1);
    let digests = about(&server, &in_7);
    assert_eq!(digests.len(), 1, "the 7-day notice in the digest");
    let digest = &digests[0];
    assert!(
        digest.subject.contains("お知らせ") && digest.subject.contains("件"),
        "{}",
        digest.subject
    );
    assert!(digest.text.contains("7日です"), "{}", digest.text);
    assert!(about(&server, &in_30).is_empty(), "in the app only");
    // One digest a day.
    assert_eq!(pass(app, &mailer, at_japan(9)).await.sent, 0);
    // The 30-day notice is in the app all the same.
    let listed = app.api_get_ok("/api/v1/notifications", &admin).await.json();
    assert!(
        elements(&listed)
            .iter()
            .any(|n| n["kind"] == "target_in_30_days"),
        "{listed}"
    );
}

async fn a_refusing_server_is_tried_again_then_shown_to_the_national_office(app: &TestApp) {
    quiet(app, mamori_app::today_in_japan()).await;
    // The desk has an address and no choice: a new case goes at once.
    let operator = app.token("demo-operator").await;
    let desk_mail = "desk@mamori-support.example.jp";
    settings(app, &operator, json!({"email": desk_mail})).await;
    let closed = Mailer::new(
        &format!("smtp://127.0.0.1:{}", free_port()),
        "noreply@mamori.example.jp",
    )
    .expect("a mailer");
    // The report itself never waits for mail, nor fails with it.
    let staff = app.token("demo-hospital-staff").await;
    report_incident(
        app,
        &staff,
        incident_body(&["cannot_log_in"], &["emr"], "unknown"),
    )
    .await;
    let start = Utc::now();
    let first = pass(app, &closed, start).await;
    assert_eq!((first.sent, first.retried), (0, 1), "{first:?}");
    // Not before its time: 1, 5, 30 and 120 minutes after each attempt.
    assert_eq!(
        pass(app, &closed, start + Duration::seconds(30)).await,
        MailReport::default()
    );
    let mut at = start;
    for (wait, retried, failed) in [(1, 1, 0), (5, 1, 0), (30, 1, 0), (120, 0, 1)] {
        at += Duration::minutes(wait);
        let report = pass(app, &closed, at).await;
        assert_eq!(
            (report.retried, report.failed),
            (retried, failed),
            "{report:?}"
        );
    }
    assert_eq!(
        pass(app, &closed, at + Duration::days(1)).await,
        MailReport::default()
    );
    // The national office sees it, with the reason; nobody else may.
    let national = app.token("demo-national").await;
    let failed = app
        .api_get_ok("/api/v1/notifications/failed-mail", &national)
        .await
        .json();
    let entry = elements(&failed)
        .iter()
        .find(|m| m["email"] == desk_mail)
        .cloned()
        .expect("the desk's mail is listed");
    assert_eq!(entry["kind"], "incident_reported");
    assert_eq!(entry["attempts"], 5);
    assert!(entry["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    app.api_get("/api/v1/notifications/failed-mail", &operator)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let web = app.web_login("demo-national").await;
    app.page(&web, "/notifications")
        .await
        .assert_body_contains("送信できなかったメール（");
    let page = app.page(&web, "/notifications/failed-mail").await;
    page.assert_body_contains(desk_mail);
    page.assert_body_contains("インシデントかも? の新しい相談");
    // Sent again once the server takes mail.
    let id = entry["id"].as_i64().expect("an id");
    let sent_again = app
        .submit(&web, &format!("/notifications/failed-mail/{id}/retry"), "")
        .await;
    assert_eq!(sent_again.location(), "/notifications/failed-mail");
    let server = MailServer::start().await;
    let report = pass(app, &mailer(&server.url()), Utc::now()).await;
    assert_eq!(report.sent, 1, "{report:?}");
    let mails = server.messages_to(desk_mail);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("インシデントかも?"),
        "{}",
        mails[0].subject
    );
    app.api_post(
        &format!("/api/v1/notifications/failed-mail/{id}/retry"),
        &national,
        json!({}),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

async fn a_crash_between_sending_and_marking_sends_one_duplicate(app: &TestApp) {
    let (server, mailer, _, _, key) = an_item_due_with_mail(app).await;
    route(&app.state, Utc::now()).await.expect("routed");
    // A sender leases the mails and sends them, then dies before it records the sends.
    let start = Utc::now();
    let leased = lease_due(&app.state, start).await.expect("leased");
    assert!(!leased.is_empty());
    for mail in &leased {
        deliver(&app.state, &mailer, &links(), mail)
            .await
            .expect("sent");
    }
    assert_eq!(about(&server, &key).len(), 1);
    // While the lease runs, nobody sends them again.
    assert_eq!(
        pass(app, &mailer, start + Duration::minutes(1)).await.sent,
        0
    );
    // After the lease each goes once more — the one duplicate — and never again.
    let later = start + MAIL_LEASE + Duration::seconds(1);
    let n = u64::try_from(leased.len()).expect("a count");
    assert_eq!(pass(app, &mailer, later).await.sent, n);
    assert_eq!(pass(app, &mailer, later + MAIL_LEASE * 3).await.sent, 0);
    assert_eq!(about(&server, &key).len(), 2);
}

async fn two_servers_send_each_mail_once(app: &TestApp) {
    let server = MailServer::start().await;
    let mailer = mailer(&server.url());
    let day = NaiveDate::from_ymd_opt(app.year() + 1, 1, 10).expect("a date");
    quiet(app, day).await;
    let admin = app.token("demo-hospital").await;
    settings(app, &admin, json!({"email": ADMIN_MAIL})).await;
    let mut keys = Vec::new();
    for days in [0, 10, 30] {
        keys.push(answer_no_until(app, &admin, day + Duration::days(days)).await);
    }
    run_scheduler(&app.state, day).await.expect("a pass");
    let second = mamori_app::App::new(
        Store::connect(&app.url).await.expect("a second store"),
        app.state.catalog,
    );
    let now = Utc::now();
    let links = links();
    let (one, two) = tokio::join!(
        run_mail_pass(&app.state, &mailer, &links, now),
        run_mail_pass(&second, &mailer, &links, now),
    );
    let sent = one.expect("a pass").sent + two.expect("a pass").sent;
    let mails = server.messages_to(ADMIN_MAIL);
    assert_eq!(u64::try_from(mails.len()).expect("a count"), sent);
    let mut texts: Vec<_> = mails.iter().map(|m| m.text.clone()).collect();
    texts.sort();
    let before = texts.len();
    texts.dedup();
    assert_eq!(texts.len(), before, "no mail twice");
    // The item due today and the one 30 days ahead; not the others.
    assert_eq!(about(&server, &keys[0]).len(), 1);
    assert_eq!(about(&server, &keys[2]).len(), 1);
    assert!(about(&server, &keys[1]).is_empty());
    second.store.close().await;
}

async fn the_settings_refuse_what_is_not_a_mailbox_and_save_nothing(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let path = "/api/v1/me/notification-settings";
    let before = app.api_get_ok(path, &admin).await.json();
    assert!(before["email"].is_null(), "{before}");
    assert_eq!(before["language"], "ja");
    assert!(
        before["calendar_url"]
            .as_str()
            .is_some_and(|u| u.contains("/calendar/"))
    );
    // The admin is offered the kinds that reach them, not the desk's.
    assert_eq!(before["kinds"]["target_overdue"], "mail_now");
    assert!(
        before["kinds"].get("incident_reported").is_none(),
        "{before}"
    );
    let refused = app
        .api_put(
            path,
            &admin,
            json!({"email": "anzen@@example", "language": "fr", "kinds": {"target_today": "pigeon", "incident_reported": "mail_now"}}),
        )
        .await;
    refused.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<_> = elements(&refused.json()["error"]["problems"])
        .iter()
        .filter_map(|p| p["path"].as_str().map(str::to_owned))
        .collect();
    for field in [
        "email",
        "language",
        "kinds.target_today",
        "kinds.incident_reported",
    ] {
        assert!(paths.iter().any(|p| p == field), "{field} in {paths:?}");
    }
    assert_eq!(
        app.api_get_ok(path, &admin).await.json(),
        before,
        "nothing saved"
    );
    app.api_put(path, &admin, json!({"mail": "x"}))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // The desk cannot turn off a new case's mail.
    let operator = app.token("demo-operator").await;
    app.api_put(
        path,
        &operator,
        json!({"kinds": {"incident_reported": "in_app"}}),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    // The page: the field at fault beside it, nothing saved; then saved.
    let web = app.web_login("demo-hospital").await;
    let page = app.page(&web, "/notifications/settings").await;
    page.assert_body_contains("種類ごとの受け取り方");
    page.assert_body_contains("目標日を過ぎたとき");
    let bad = app
        .submit(
            &web,
            "/notifications/settings",
            "email=not+a+mailbox&language=ja&target_overdue=in_app",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_body_contains("email-error");
    bad.assert_body_contains("保存していません");
    assert_eq!(
        app.api_get_ok(path, &admin).await.json(),
        before,
        "nothing saved"
    );
    let saved = app
        .submit(
            &web,
            "/notifications/settings",
            "email=anzen%40minato-chuo.example.jp&language=en&target_overdue=daily_digest",
        )
        .await;
    assert_eq!(saved.location(), "/notifications/settings?saved=true");
    let after = app.api_get_ok(path, &admin).await.json();
    assert_eq!(after["email"], ADMIN_MAIL);
    assert_eq!(after["language"], "en");
    assert_eq!(after["kinds"]["target_overdue"], "daily_digest");
    assert_eq!(after["kinds"]["target_today"], "mail_now");
    app.page(&web, "/notifications/settings?saved=true")
        .await
        .assert_body_contains("保存しました");
}

async fn a_busy_hour_goes_out_in_one_pass(app: &TestApp) {
    const DESK_MAIL: &str = "desk@mamori-support.example.jp";
    let server = MailServer::start().await;
    let mailer = mailer(&server.url());
    route(&app.state, Utc::now()).await.expect("routed");
    let operator = app.token("demo-operator").await;
    settings(app, &operator, json!({"email": DESK_MAIL})).await;
    // More new cases than one batch of leases: the desk is told of each at once.
    let staff = app.token("demo-hospital-staff").await;
    let cases = 120;
    for _ in 0..cases {
        report_incident(
            app,
            &staff,
            incident_body(&["ransom_note"], &["emr"], "unknown"),
        )
        .await;
    }
    let report = pass(app, &mailer, Utc::now()).await;
    assert_eq!(report.sent, cases, "{report:?}");
    assert_eq!(server.messages_to(DESK_MAIL).len(), 120);
    assert_eq!(pass(app, &mailer, Utc::now()).await.sent, 0);
}
