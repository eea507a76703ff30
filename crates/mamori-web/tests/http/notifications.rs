//! Notifications (お知らせ): the scheduler's pass on the days a target date asks for, once per
//! person whoever runs it, and the list, the unread count and marking read, on the API and
//! the pages.

use super::*;
use chrono::{Days, NaiveDate};
use mamori_app::notifications::run_scheduler;

on_both_engines!(
    a_target_date_is_notified_on_its_days_once_each,
    two_servers_passing_at_once_notify_once,
    a_paused_scheduler_catches_up,
    the_recipient_reads_and_marks_read,
    the_pages_list_and_count_what_is_unread,
    the_calendar_feed_holds_the_dates_at_an_address_that_can_be_renewed,
    an_inspection_date_is_told_to_the_institution_once_per_date,
    a_new_case_reaches_the_desk_and_its_answer_the_institution,
    a_result_with_guidance_asks_the_institution_for_reports,
    the_survey_reminds_the_hospitals_that_have_not_answered,
    an_invitation_not_accepted_is_told_the_day_it_expires,
    a_training_place_is_confirmed_moved_up_changed_withdrawn_and_recalled,
    the_officer_is_told_when_the_survey_closes_and_vendors_before_an_inspection,
);

/// The caller's notifications on the API (the unread ones with `unread`), newest first.
pub(crate) async fn listed(app: &TestApp, token: &str, unread: bool) -> Vec<Value> {
    let path = if unread {
        "/api/v1/notifications?unread=true"
    } else {
        "/api/v1/notifications"
    };
    elements(&app.api_get_ok(path, token).await.json()).to_vec()
}

/// The caller's notifications about the item `key`, newest first.
async fn about(app: &TestApp, token: &str, key: &str, unread: bool) -> Vec<Value> {
    listed(app, token, unread)
        .await
        .into_iter()
        .filter(|n| {
            n["link"]
                .as_str()
                .is_some_and(|l| l.ends_with(&format!("#item-{key}")))
        })
        .collect()
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter().filter_map(|n| n["kind"].as_str()).collect()
}

fn day(target: NaiveDate, days_before: i64) -> NaiveDate {
    if days_before >= 0 {
        target - Days::new(days_before.unsigned_abs())
    } else {
        target + Days::new(days_before.unsigned_abs())
    }
}

/// A target date in the demo's fiscal year, far enough ahead for every rule.
fn target_of(app: &TestApp) -> NaiveDate {
    NaiveDate::from_ymd_opt(app.year() + 1, 2, 15).expect("a date")
}

/// The hospital admin's token, a target date and the item answered いいえ until it.
async fn an_item_due(app: &TestApp) -> (String, NaiveDate, String) {
    let admin = app.token("demo-hospital").await;
    let target = target_of(app);
    let key = answer_no_until(app, &admin, target).await;
    (admin, target, key)
}

pub(crate) async fn pass(app: &TestApp, today: NaiveDate) -> u64 {
    run_scheduler(&app.state, today)
        .await
        .expect("a scheduler pass")
        .total()
}

async fn a_target_date_is_notified_on_its_days_once_each(app: &TestApp) {
    let (admin, target, key) = an_item_due(app).await;
    // The day before the 30 days: nothing about the item yet.
    pass(app, day(target, 31)).await;
    assert!(about(app, &admin, &key, false).await.is_empty());
    pass(app, day(target, 30)).await;
    assert_eq!(
        kinds(&about(app, &admin, &key, false).await),
        ["target_in_30_days"]
    );
    // The same day again, and the days between: nothing new.
    assert_eq!(pass(app, day(target, 30)).await, 0);
    pass(app, day(target, 29)).await;
    pass(app, day(target, 8)).await;
    assert_eq!(about(app, &admin, &key, false).await.len(), 1);
    pass(app, day(target, 7)).await;
    pass(app, target).await;
    pass(app, day(target, -1)).await;
    pass(app, day(target, -2)).await;
    let list = about(app, &admin, &key, false).await;
    assert_eq!(
        kinds(&list),
        [
            "target_overdue",
            "target_today",
            "target_in_7_days",
            "target_in_30_days"
        ]
    );
    // Japanese first, with the date in 和暦 and the item's number; English beside it.
    let overdue = &list[0];
    let title = overdue["title_ja"].as_str().expect("a title");
    assert!(
        title.contains("令和") && title.contains("過ぎました"),
        "{title}"
    );
    assert!(
        overdue["title_en"].as_str().is_some_and(
            |t| t.contains("has passed") && t.contains(&target.format("%-d %B %Y").to_string())
        ),
        "{overdue}"
    );
    assert_eq!(
        overdue["link"],
        format!(
            "/institutions/{HOSPITAL}/checklist/{}#item-{key}",
            app.year()
        )
    );
    // Only the institution's admins are told: its staff are not.
    let staff = app.token("demo-hospital-staff").await;
    assert!(about(app, &staff, &key, false).await.is_empty());
    // An item answered はい has no open target date: nothing more about it.
    let year = app.year();
    app.api_put_ok(
        &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}"),
        &admin,
        json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-04-03")}),
    )
    .await;
    let other = answer_no_until(app, &admin, day(target, -30)).await;
    pass(app, day(target, -30)).await;
    assert_eq!(about(app, &admin, &key, false).await.len(), 4);
    // The other item was answered after its 30-day notice fell due (on the first item's
    // target date, already covered): the pass tells its 7-day notice, caught up, and today's.
    assert_eq!(
        kinds(&about(app, &admin, &other, false).await),
        ["target_today", "target_in_7_days"]
    );
}

async fn two_servers_passing_at_once_notify_once(app: &TestApp) {
    let (admin, target, key) = an_item_due(app).await;
    // A second server on the same database, with its own store.
    let second = mamori_app::App::new(
        Store::connect(&app.url).await.expect("a second store"),
        app.state.catalog,
    );
    let count = async || -> i64 {
        let (rows,): (i64,) = with_connection!(app, c => {
            sqlx::query_as("SELECT COUNT(*) FROM notifications")
                .fetch_one(&mut c)
                .await
                .expect("count")
        });
        rows
    };
    let rows_before = count().await;
    let today = day(target, 7);
    let (one, two, three) = tokio::join!(
        run_scheduler(&app.state, today),
        run_scheduler(&second, today),
        run_scheduler(&second, today),
    );
    let written: u64 = [one, two, three]
        .into_iter()
        .map(|r| r.expect("a pass").total())
        .sum();
    let list = about(app, &admin, &key, false).await;
    assert_eq!(kinds(&list), ["target_in_7_days"]);
    // What the passes say they wrote (to anyone) is what was written: no pass counted a
    // notification another had written.
    let rows = count().await - rows_before;
    assert_eq!(u64::try_from(rows).expect("a count"), written);
    second.store.close().await;
}

async fn a_paused_scheduler_catches_up(app: &TestApp) {
    let (admin, target, key) = an_item_due(app).await;
    pass(app, day(target, 40)).await;
    // Down for five weeks: the next pass tells what fell due meanwhile, each once.
    pass(app, day(target, -3)).await;
    let list = about(app, &admin, &key, false).await;
    let mut got = kinds(&list);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "target_in_30_days",
            "target_in_7_days",
            "target_overdue",
            "target_today"
        ]
    );
    assert_eq!(pass(app, day(target, -3)).await, 0);
}

/// The caller's notification `id` as listed (the unread ones only with `unread`).
async fn find(app: &TestApp, token: &str, id: i64, unread: bool) -> Option<Value> {
    listed(app, token, unread)
        .await
        .into_iter()
        .find(|n| n["id"] == id)
}

async fn read(app: &TestApp, token: &str, id: i64) -> Response {
    app.api_post(
        &format!("/api/v1/notifications/{id}/read"),
        token,
        json!({}),
    )
    .await
}

async fn the_recipient_reads_and_marks_read(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let id = notify_hospital_admin(app, &admin).await;
    let entry = find(app, &admin, id, true).await.expect("unread");
    assert!(entry["read_at"].is_null(), "{entry}");
    for field in ["id", "kind", "title_ja", "title_en", "link", "created_at"] {
        assert!(!entry[field].is_null(), "{field} in {entry}");
    }
    // Nobody else can mark it, nor learn it exists.
    for other in ["demo-hospital-staff", "demo-clinic", "demo-national"] {
        let token = app.token(other).await;
        read(app, &token, id)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
    read(app, &admin, id)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(
        find(app, &admin, id, true).await.is_none(),
        "no longer unread"
    );
    let first_read = find(app, &admin, id, false).await.expect("listed")["read_at"].clone();
    assert!(first_read.is_string(), "{first_read}");
    // Reading again keeps the first reading's time.
    read(app, &admin, id)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        find(app, &admin, id, false).await.expect("listed")["read_at"],
        first_read
    );
    // Ids that name nothing, and a query that is not a yes or no.
    read(app, &admin, 0)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.api_get("/api/v1/notifications?unread=perhaps", &admin)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    app.api_get("/api/v1/notifications", "not-a-token")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

async fn the_pages_list_and_count_what_is_unread(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let id = notify_hospital_admin(app, &admin).await;
    let web = app.web_login("demo-hospital").await;
    let unread_before = listed(app, &admin, true).await;
    let count = unread_before.len();
    let page = app.page(&web, "/notifications").await;
    page.assert_body_contains(&format!("お知らせ（未読 {count} 件）"));
    page.assert_body_contains("の目標日");
    page.assert_body_contains(&format!("/notifications/{id}/open"));
    // Opening it goes to the item and marks it read.
    let opened = app
        .send(
            Request::get(format!("/notifications/{id}/open"))
                .header(header::COOKIE, &web.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        opened.location(),
        format!("/institutions/{HOSPITAL}/checklist/{}#item-", app.year())
            + unread_before
                .iter()
                .find(|n| n["id"] == id)
                .and_then(|n| n["link"].as_str())
                .and_then(|l| l.split("#item-").nth(1))
                .expect("a link")
    );
    if count > 1 {
        app.page(&web, "/notifications")
            .await
            .assert_body_contains(&format!("お知らせ（未読 {} 件）", count - 1));
    }
    // Another user's notification is not found.
    let staff = app.web_login("demo-hospital-staff").await;
    app.get_page(&staff.cookie, &format!("/notifications/{id}/open"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // Everything read: the header says お知らせ without a count.
    let done = app.submit(&web, "/notifications/read-all", "").await;
    assert_eq!(done.location(), "/notifications");
    let page = app.page(&web, "/notifications").await;
    page.assert_body_contains(">お知らせ</a>");
    assert!(!page.body.contains("未読 "), "no unread count left");
    // In English.
    let english = app
        .get_page(&web.english_cookie(), "/notifications")
        .await
        .assert_status(StatusCode::OK);
    english.assert_body_contains("Notifications");
    english.assert_body_contains("The target date of");
}

/// The events of a feed as a real iCalendar parser reads them: (summary, start).
pub(crate) fn events(feed: &str) -> Vec<(String, icalendar::DatePerhapsTime)> {
    use icalendar::{CalendarComponent, Component};
    let calendar: icalendar::Calendar = feed.parse().expect("an iCalendar feed");
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_summary().expect("a summary").to_owned(),
                e.get_start().expect("a start"),
            )),
            _ => None,
        })
        .collect()
}

/// The feed at `url` (its path, on the test app), read without any session.
pub(crate) async fn feed(app: &TestApp, url: &str) -> Response {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or(rest, |i| &rest[i..]));
    app.send(Request::get(path).body(Body::empty()).expect("request"))
        .await
}

pub(crate) async fn calendar_url(app: &TestApp, token: &str) -> String {
    let settings = app
        .api_get_ok("/api/v1/me/notification-settings", token)
        .await
        .json();
    settings["calendar_url"]
        .as_str()
        .expect("a calendar address")
        .to_owned()
}

async fn the_calendar_feed_holds_the_dates_at_an_address_that_can_be_renewed(app: &TestApp) {
    let (admin, target, key) = an_item_due(app).await;
    // An inspection of the hospital at 10:00, ten days from now.
    let day_of_inspection = mamori_app::today_in_japan() + Days::new(10);
    let inspector = app.token("demo-inspector-13").await;
    app.api_put_ok(
        &format!(
            "/api/v1/institutions/{HOSPITAL}/inspection/{}/schedule",
            app.year()
        ),
        &inspector,
        json!({"date": day_of_inspection.to_string(), "starts_at": "10:00", "inspectors": ["行列 検査"]}),
    )
    .await;

    let url = calendar_url(app, &admin).await;
    assert!(url.contains("/calendar/") && url.ends_with(".ics"), "{url}");
    // The same address each time it is asked for.
    assert_eq!(calendar_url(app, &admin).await, url);
    let answer = feed(app, &url).await.assert_status(StatusCode::OK);
    assert!(
        header_str(&answer.headers, header::CONTENT_TYPE).starts_with("text/calendar"),
        "{:?}",
        answer.headers
    );
    let dates = events(&answer.body);
    assert!(
        dates
            .iter()
            .any(|(summary, start)| summary.ends_with("の目標日")
                && *start == icalendar::DatePerhapsTime::Date(target)),
        "the target date is in the feed: {dates:?}"
    );
    // At 10:00 Japan time (the demo's previous year holds an inspection of its own).
    let expected =
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone {
            date_time: day_of_inspection.and_hms_opt(10, 0, 0).expect("a time"),
            tzid: "Asia/Tokyo".into(),
        });
    assert!(
        dates
            .iter()
            .any(|(summary, start)| summary.starts_with("立入検査")
                && summary.contains("みなと中央病院")
                && *start == expected),
        "the inspection is in the feed: {dates:?}"
    );
    assert!(
        answer.body.contains(&format!("#item-{key}")),
        "a link to the item"
    );
    // The 確保事業 survey's deadline (the demo's programme closes in 60 days), all day.
    let deadline = mamori_app::today_in_japan() + Days::new(60);
    assert!(
        dates
            .iter()
            .any(|(summary, start)| summary == "確保事業の調査票の回答期限"
                && *start == icalendar::DatePerhapsTime::Date(deadline)),
        "the survey's deadline is in the feed: {dates:?}"
    );
    // A training place of the hospital, at its time; gone once cancelled.
    let session = open_training_session(app, 5).await;
    let staff = app.token("demo-hospital-staff").await;
    let place = take_training_place(app, &staff, session, "暦 一郎").await;
    let training_day =
        mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(10);
    let at_four = icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone {
        date_time: training_day.and_hms_opt(16, 0, 0).expect("a time"),
        tzid: "Asia/Tokyo".into(),
    });
    let in_feed = async || {
        let body = feed(app, &url).await.assert_status(StatusCode::OK).body;
        events(&body).into_iter().any(|(summary, start)| {
            summary.contains("試験用コース") && summary.contains("暦 一郎") && start == at_four
        })
    };
    assert!(in_feed().await, "the training session is in the feed");
    app.api(
        "DELETE",
        &format!("/api/v1/training/registrations/{place}"),
        Some(&staff),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    assert!(!in_feed().await, "a cancelled place leaves the feed");
    // In English.
    let english = feed(app, &format!("{url}?lang=en"))
        .await
        .assert_status(StatusCode::OK);
    assert!(
        events(&english.body)
            .iter()
            .any(|(summary, _)| summary.starts_with("Target date of")),
        "{}",
        english.body
    );

    // The hospital's staff see its dates in their own feed; the inspectors of its prefecture
    // its inspection; others nothing of it.
    let staff = app.token("demo-hospital-staff").await;
    let staff_url = calendar_url(app, &staff).await;
    assert_ne!(staff_url, url);
    assert!(
        events(&feed(app, &staff_url).await.body)
            .iter()
            .any(|(summary, _)| summary.ends_with("の目標日"))
    );
    let inspector_feed = feed(app, &calendar_url(app, &inspector).await).await.body;
    assert!(
        events(&inspector_feed)
            .iter()
            .any(|(s, _)| s.contains("みなと中央病院"))
    );
    // Another prefecture's inspector does not see it; the vendor that serves the hospital
    // does (its form is due before it).
    for (other, sees) in [("demo-inspector-46", false), ("demo-vendor", true)] {
        let token = app.token(other).await;
        let body = feed(app, &calendar_url(app, &token).await).await.body;
        assert_eq!(
            events(&body)
                .iter()
                .any(|(s, _)| s.contains("みなと中央病院")),
            sees,
            "{other}: {body}"
        );
    }

    // Renewed: the old address is gone, the new one works.
    let renewed = app
        .api_post("/api/v1/me/calendar-token", &admin, json!({}))
        .await
        .assert_status(StatusCode::OK)
        .json();
    let new_url = renewed["calendar_url"]
        .as_str()
        .expect("an address")
        .to_owned();
    assert_ne!(new_url, url);
    feed(app, &url).await.assert_status(StatusCode::NOT_FOUND);
    feed(app, &new_url).await.assert_status(StatusCode::OK);
    // Addresses that name no feed.
    for path in [
        "/calendar/unknown.ics",
        "/calendar/.ics",
        "/calendar/%27%3B--.ics",
        &new_url.replace(".ics", ""),
    ] {
        feed(app, path).await.assert_status(StatusCode::NOT_FOUND);
    }

    // On the page: the address, and a new one in one step.
    let web = app.web_login("demo-hospital").await;
    app.page(&web, "/notifications")
        .await
        .assert_body_contains(new_url.split("/calendar/").nth(1).expect("a token"));
    app.submit_accepted(&web, "/notifications/calendar-token", "")
        .await;
    feed(app, &new_url)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn an_inspection_date_is_told_to_the_institution_once_per_date(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let inspector = app.token("demo-inspector-13").await;
    let schedule = format!(
        "/api/v1/institutions/{HOSPITAL}/inspection/{}/schedule",
        app.year()
    );
    let told = async |token: &str| -> Vec<Value> {
        listed(app, token, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == "inspection_scheduled")
            .collect()
    };
    // The demo's inspections were scheduled as it was loaded: those are told already.
    let before = told(&admin).await.len();
    let first = mamori_app::today_in_japan() + Days::new(20);
    let second = first + Days::new(7);
    let body = |date: NaiveDate, inspectors: &[&str]| json!({"date": date.to_string(), "starts_at": "10:00", "inspectors": inspectors});
    app.api_put_ok(&schedule, &inspector, body(first, &["行列 検査"]))
        .await;
    let list = told(&admin).await;
    assert_eq!(list.len(), before + 1, "{list:?}");
    let title = list[0]["title_ja"].as_str().expect("a title");
    assert!(
        title.contains(&mamori_domain::wareki::format_wareki_with_western_year(
            first
        )) && title.contains("みなと中央病院"),
        "{title}"
    );
    assert_eq!(
        list[0]["link"],
        format!("/institutions/{HOSPITAL}/checklist/{}", app.year())
    );
    // The same date again (other inspectors): nothing new. A new date: told again.
    app.api_put_ok(
        &schedule,
        &inspector,
        body(first, &["行列 検査", "予定 花子"]),
    )
    .await;
    assert_eq!(told(&admin).await.len(), before + 1);
    app.api_put_ok(&schedule, &inspector, body(second, &["行列 検査"]))
        .await;
    let list = told(&admin).await;
    assert_eq!(list.len(), before + 2);
    assert!(
        list[0]["title_en"]
            .as_str()
            .is_some_and(|t| t.contains(&second.format("%-d %B %Y").to_string())),
        "{list:?}"
    );
    // The institution's admins only.
    for other in ["demo-hospital-staff", "demo-clinic", "demo-hospital-46"] {
        let token = app.token(other).await;
        assert!(
            told(&token).await.iter().all(|n| !n["title_ja"]
                .as_str()
                .is_some_and(|t| t.contains("みなと中央病院"))),
            "{other}"
        );
    }
}

async fn a_new_case_reaches_the_desk_and_its_answer_the_institution(app: &TestApp) {
    let staff = app.token("demo-hospital-staff").await;
    let operator = app.token("demo-operator").await;
    let admin = app.token("demo-hospital").await;
    let case = report_incident(
        app,
        &staff,
        incident_body(&["cannot_log_in"], &["emr"], "unknown"),
    )
    .await;
    // About this case (the demo holds one of its own).
    let kind_of = async |token: &str, kind: &str| -> Vec<Value> {
        listed(app, token, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == kind && n["link"] == format!("/incidents/{case}"))
            .collect()
    };
    let told = kind_of(&operator, "incident_reported").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["link"], format!("/incidents/{case}"));
    assert!(
        told[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("みなと中央病院")),
        "{told:?}"
    );
    // Not to the institution that reported it.
    assert!(kind_of(&admin, "incident_reported").await.is_empty());
    // The institution's own note tells nobody; the desk's answer tells its admins and the
    // reporter, not the desk nor another institution.
    let notes = format!("/api/v1/incidents/{case}/notes");
    app.api_post(&notes, &staff, json!({"text": "電子カルテが開けません"}))
        .await
        .assert_status(StatusCode::CREATED);
    assert!(kind_of(&admin, "incident_reply").await.is_empty());
    app.api_post(
        &notes,
        &operator,
        json!({"text": "LANケーブルを抜いてください"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    for login in ["demo-hospital", "demo-hospital-staff"] {
        let token = app.token(login).await;
        let replies = kind_of(&token, "incident_reply").await;
        assert_eq!(replies.len(), 1, "{login}: {replies:?}");
        assert_eq!(replies[0]["link"], format!("/incidents/{case}"));
    }
    for login in ["demo-operator", "demo-clinic"] {
        let token = app.token(login).await;
        assert!(
            kind_of(&token, "incident_reply").await.is_empty(),
            "{login}"
        );
    }
}

async fn a_result_with_guidance_asks_the_institution_for_reports(app: &TestApp) {
    let inspector = app.token("demo-inspector-13").await;
    let admin = app.token("demo-hospital").await;
    let awaited = async |token: &str| -> Vec<Value> {
        listed(app, token, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == "improvement_reports_awaited")
            .collect()
    };
    let before = awaited(&admin).await.len();
    let inspection = inspected_with_guidance(app, &inspector).await;
    // Nothing until the result is notified: the remarks are the inspector's draft.
    assert_eq!(awaited(&admin).await.len(), before);
    app.api_post(&format!("{inspection}/result"), &inspector, json!({}))
        .await
        .assert_status(StatusCode::OK);
    let list = awaited(&admin).await;
    assert_eq!(list.len(), before + 1, "{list:?}");
    assert!(
        list[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("改善報告")),
        "{list:?}"
    );
    assert_eq!(
        list[0]["link"],
        format!("/institutions/{HOSPITAL}/checklist/{}", app.year())
    );
    let staff = app.token("demo-hospital-staff").await;
    assert!(awaited(&staff).await.is_empty());
}

async fn the_survey_reminds_the_hospitals_that_have_not_answered(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let year = app.year();
    // The demo's programme closes in 60 days; the demo hospital has not answered.
    let deadline = mamori_app::today_in_japan() + Days::new(60);
    let survey = |list: &[Value], kind: &str| -> Vec<Value> {
        list.iter().filter(|n| n["kind"] == kind).cloned().collect()
    };
    pass(app, deadline - Days::new(15)).await;
    assert!(survey(&listed(app, &admin, false).await, "survey_due_in_14_days").is_empty());
    pass(app, deadline - Days::new(14)).await;
    pass(app, deadline - Days::new(3)).await;
    let list = listed(app, &admin, false).await;
    let due = survey(&list, "survey_due_in_14_days");
    assert_eq!(due.len(), 1, "{list:?}");
    assert_eq!(survey(&list, "survey_due_in_3_days").len(), 1);
    assert_eq!(
        due[0]["link"],
        format!("/assurance/{year}/institutions/{HOSPITAL}")
    );
    let title = due[0]["title_ja"].as_str().expect("a title");
    assert!(
        title.contains("確保事業") && title.contains("14日"),
        "{title}"
    );
    // The officer sees the hospitals that have not answered, and asks them in one step.
    let officer = app.token("demo-prefecture-13").await;
    let path = format!("/api/v1/programs/{year}/prefectures/13/reminders");
    let sent = app
        .api_post(&path, &officer, json!({}))
        .await
        .assert_status(StatusCode::OK)
        .json();
    assert!(sent["sent"].as_u64().is_some_and(|n| n >= 1), "{sent}");
    assert_eq!(
        survey(&listed(app, &admin, false).await, "survey_reminder").len(),
        1
    );
    // Once a day: nobody is asked twice.
    let again = app
        .api_post(&path, &officer, json!({}))
        .await
        .assert_status(StatusCode::OK)
        .json();
    assert_eq!(again["sent"], 0);
    // Another prefecture's officer, and the hospital itself, may not.
    for other in ["demo-prefecture-46", "demo-hospital"] {
        let token = app.token(other).await;
        app.api_post(&path, &token, json!({}))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    app.api_post(
        &format!("/api/v1/programs/{}/prefectures/13/reminders", year + 5),
        &officer,
        json!({}),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // On the prefecture's page: the hospital, when it was asked and how many admins.
    let web = app.web_login("demo-prefecture-13").await;
    let page = app
        .page(&web, &format!("/assurance/{year}/prefectures/13"))
        .await;
    page.assert_body_contains("調査票に未回答の病院");
    page.assert_body_contains("みなと中央病院");
    page.assert_body_contains("（管理者 1 人）");
    let done = app
        .submit(
            &web,
            &format!("/assurance/{year}/prefectures/13/reminders"),
            "confirm=yes",
        )
        .await;
    assert!(
        done.location().ends_with("?reminded=0#non-responders"),
        "{}",
        done.location()
    );
    app.page(&web, done.location())
        .await
        .assert_body_contains("新たに送った相手はいません");
    // Once the hospital answers, it is neither listed nor told.
    let national = app.token("demo-national").await;
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    apply_for_assurance(app, &national, year, body).await;
    let page = app
        .page(&web, &format!("/assurance/{year}/prefectures/13"))
        .await;
    assert!(
        !page
            .body
            .split("id=\"non-responders\"")
            .nth(1)
            .unwrap_or_default()
            .split("</section>")
            .next()
            .unwrap_or_default()
            .contains("みなと中央病院"),
        "no longer listed"
    );
}

async fn an_invitation_not_accepted_is_told_the_day_it_expires(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let invite = |vendor: &str, mail: &str| json!({"vendor_name": vendor, "systems": ["pacs"], "remote_maintenance": true, "invite_email": mail});
    add_vendor_contract(
        app,
        &admin,
        invite("北斗PACS保守", "pacs@hokuto.example.jp"),
    )
    .await;
    let accepted =
        add_vendor_contract(app, &admin, invite("南風ネット", "net@minami.example.jp")).await;
    accept_invitation(
        app,
        &invitation_token(&accepted),
        json!({"login": "minami-net", "password": "southern wind over the harbour"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let about = async |vendor: &str| -> Vec<Value> {
        listed(app, &admin, false)
            .await
            .into_iter()
            .filter(|n| {
                n["kind"] == "vendor_invitation_unaccepted"
                    && n["title_ja"].as_str().is_some_and(|t| t.contains(vendor))
            })
            .collect()
    };
    let today = mamori_app::today_in_japan();
    pass(app, today + Days::new(13)).await;
    assert!(
        about("北斗PACS保守").await.is_empty(),
        "not before it expires"
    );
    pass(app, today + Days::new(14)).await;
    let told = about("北斗PACS保守").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["link"], format!("/institutions/{HOSPITAL}/vendors"));
    assert!(
        told[0]["title_en"]
            .as_str()
            .is_some_and(|t| t.contains("expired"))
    );
    assert!(
        about("南風ネット").await.is_empty(),
        "the accepted one is not told"
    );
    pass(app, today + Days::new(15)).await;
    assert_eq!(about("北斗PACS保守").await.len(), 1, "once");
}

async fn a_training_place_is_confirmed_moved_up_changed_withdrawn_and_recalled(app: &TestApp) {
    let staff = app.token("demo-hospital-staff").await;
    let admin = app.token("demo-hospital").await;
    // The demo's hospital holds a place in a session to come and one in a session held
    // already: only the first is news.
    let demo_places: Vec<Value> = listed(app, &admin, false)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "training_place_taken")
        .collect();
    assert_eq!(demo_places.len(), 1, "{demo_places:?}");
    // One seat: the hospital's staff takes it, the clinic waits.
    let session = open_training_session(app, 1).await;
    let clinic = app.token("demo-clinic").await;
    let seat = take_training_place(app, &staff, session, "研修 一郎").await;
    take_training_place(app, &clinic, session, "待機 花子").await;
    // The notifications of this session (the demo's places are told too).
    let link = format!("/training/sessions/{session}");
    let training = async |token: &str, kind: &str| -> Vec<Value> {
        listed(app, token, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == kind && n["link"] == link.as_str())
            .collect()
    };
    // Whoever registered and the institution's admins: the date, time and venue.
    for token in [&staff, &admin] {
        let taken = training(token, "training_place_taken").await;
        assert_eq!(taken.len(), 1, "{taken:?}");
        let title = taken[0]["title_ja"].as_str().expect("a title");
        assert!(
            title.contains("試験用コース")
                && title.contains("研修 一郎")
                && title.contains("16:00〜18:00")
                && title.contains("オンライン（Zoom）"),
            "{title}"
        );
    }
    let waiting = training(&clinic, "training_place_taken").await;
    assert!(
        waiting[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("キャンセル待ち")),
        "{waiting:?}"
    );
    // The seat is given up: the clinic's place moves up and the clinic is told.
    app.api(
        "DELETE",
        &format!("/api/v1/training/registrations/{seat}"),
        Some(&staff),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    let opened = training(&clinic, "training_seat_opened").await;
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(
        opened[0]["title_en"]
            .as_str()
            .is_some_and(|t| t.contains("seat opened"))
    );
    // The operator moves the session an hour later: its people are told the new time.
    let operator = app.token("demo-operator").await;
    let sessions = app
        .api_get_ok("/api/v1/training/sessions", &operator)
        .await
        .json();
    let current = elements(&sessions["sessions"])
        .iter()
        .find(|s| s["id"] == session)
        .cloned()
        .expect("the session");
    let mut edit = json!({
        "version": current["version"],
        "starts_at": current["starts_at"].as_str().expect("a start").replace("T16:00", "T17:00"),
        "ends_at": current["ends_at"].as_str().expect("an end").replace("T18:00", "T19:00"),
        "registration_deadline": current["registration_deadline"],
        "capacity": current["capacity"],
        "venue": current["venue"],
    });
    app.api_put_ok(
        &format!("/api/v1/training/sessions/{session}"),
        &operator,
        edit.clone(),
    )
    .await;
    let changed = training(&clinic, "training_session_changed").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        changed[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("17:00〜19:00")),
        "{changed:?}"
    );
    // A change of the capacity alone tells nobody.
    edit["version"] = json!(current["version"].as_i64().expect("a version") + 1);
    edit["capacity"] = json!(5);
    app.api_put_ok(
        &format!("/api/v1/training/sessions/{session}"),
        &operator,
        edit,
    )
    .await;
    assert_eq!(training(&clinic, "training_session_changed").await.len(), 1);
    // The day before: the seats are reminded.
    let day = NaiveDate::parse_from_str(
        &current["starts_at"].as_str().expect("a start")[..10],
        "%Y-%m-%d",
    )
    .expect("a date");
    pass(app, day - Days::new(2)).await;
    assert!(training(&clinic, "training_tomorrow").await.is_empty());
    pass(app, day - Days::new(1)).await;
    assert_eq!(training(&clinic, "training_tomorrow").await.len(), 1);
    // Withdrawn: told to every place, once.
    app.api_post(
        &format!("/api/v1/training/sessions/{session}/withdraw"),
        &operator,
        json!({}),
    )
    .await
    .assert_status(StatusCode::OK);
    let withdrawn = training(&clinic, "training_session_withdrawn").await;
    assert_eq!(withdrawn.len(), 1, "{withdrawn:?}");
    assert!(
        withdrawn[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("中止"))
    );
    // The staff who gave up their seat is not told of the change.
    assert!(
        training(&staff, "training_session_withdrawn")
            .await
            .is_empty()
    );
}

async fn the_officer_is_told_when_the_survey_closes_and_vendors_before_an_inspection(
    app: &TestApp,
) {
    let year = app.year();
    let of_kind = async |token: &str, kind: &str| -> Vec<Value> {
        listed(app, token, false)
            .await
            .into_iter()
            .filter(|n| n["kind"] == kind)
            .collect()
    };
    // The survey closes (the demo's programme, in 60 days) with Tokyo's list not submitted.
    let deadline = mamori_app::today_in_japan() + Days::new(60);
    let officer = app.token("demo-prefecture-13").await;
    pass(app, deadline - Days::new(1)).await;
    assert!(
        of_kind(&officer, "survey_closed_for_officer")
            .await
            .is_empty()
    );
    pass(app, deadline).await;
    let closed = of_kind(&officer, "survey_closed_for_officer").await;
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(
        closed[0]["link"],
        format!("/assurance/{year}/prefectures/13")
    );
    assert!(
        closed[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("東京都")),
        "{closed:?}"
    );

    // A vendor that has not started its form, 30 days before the hospital's inspection.
    let admin = app.token("demo-hospital").await;
    let contract = a_second_vendor(app, &admin).await;
    let inspection_day = deadline + Days::new(40);
    schedule_hospital_inspection(app, inspection_day).await;
    // The vendor's users log in with a second factor: their notifications are read as the
    // service gives them.
    let vendor = app.user("minami-net").await;
    let due = async || -> Vec<mamori_app::notifications::Notification> {
        mamori_app::notifications::notifications(&app.state, vendor.id, false)
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| n.rule == mamori_domain::notification::Rule::VendorFormDue)
            .collect()
    };
    pass(app, inspection_day - Days::new(31)).await;
    assert!(due().await.is_empty());
    pass(app, inspection_day - Days::new(30)).await;
    let told = due().await;
    assert_eq!(told.len(), 1, "{told:?}");
    let contract_id = contract["contract_id"].as_i64().expect("a contract");
    assert_eq!(
        told[0].link.as_deref(),
        Some(format!("/vendor/contracts/{contract_id}/{year}").as_str())
    );
    let title = told[0].title.render(mamori_locale::Lang::Ja);
    assert!(
        title.contains("みなと中央病院") && title.contains("30日"),
        "{title}"
    );
    let awaited = of_kind(&admin, "vendor_form_awaited").await;
    assert!(
        awaited.iter().any(|n| n["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("南風ネット"))),
        "{awaited:?}"
    );
}
