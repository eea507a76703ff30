//! Notices of an institution's upkeep (`Rule::SecondCheckDue`, `MdsSdsDue`/`MdsSdsAwaited`,
//! `RestoreTestDue`, `DeviceSupportEnding`): each on its day, to the people who act on it,
//! once; the dates in the institution's, the officer's and the vendor's calendar feeds; the
//! kinds offered by the settings as the user's institution receives them; and the officer's
//! reminder that asks first.

use super::notifications::{calendar_url, events, feed, listed, pass};
use super::*;
use chrono::{Days, Months, NaiveDate};
use mamori_domain::notification::Rule;

on_both_engines!(
    the_second_check_is_asked_for_before_an_inspection,
    a_vendor_without_an_mds_sds_is_asked_for_it_before_an_inspection,
    a_restore_test_a_year_old_is_told_and_in_the_calendar,
    a_device_ending_its_support_is_told_90_days_ahead,
    each_user_is_offered_the_kinds_that_reach_them,
    the_officers_reminder_asks_before_it_sends,
    the_officer_and_the_vendor_have_their_dates_in_their_feeds,
);

async fn of_kind(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    listed(app, token, false)
        .await
        .into_iter()
        .filter(|n| n["kind"] == kind)
        .collect()
}

/// The items of the hospital's checklist answered いいえ at the first check with a target date
/// on or before `by` and no second check, as its assessment reads.
async fn second_checks_owed(app: &TestApp, token: &str, by: NaiveDate) -> usize {
    let assessment = app.assessment(HOSPITAL, app.year(), token).await;
    elements(&assessment["items"])
        .iter()
        .filter(|i| {
            i["first"]["answer"] == "no"
                && i["second"].is_null()
                && i["first"]["target_date"]
                    .as_str()
                    .is_some_and(|t| t <= by.to_string().as_str())
        })
        .count()
}

async fn the_second_check_is_asked_for_before_an_inspection(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-hospital").await;
    let target = NaiveDate::from_ymd_opt(year + 1, 1, 10).expect("a date");
    let key = answer_no_until(app, &admin, target).await;
    let inspection = target + Days::new(31);
    schedule_hospital_inspection(app, inspection).await;
    let owed = second_checks_owed(app, &admin, inspection).await;
    assert!(owed >= 1);

    pass(app, inspection - Days::new(31)).await;
    assert!(of_kind(app, &admin, "second_check_due").await.is_empty());
    pass(app, inspection - Days::new(30)).await;
    let told = of_kind(app, &admin, "second_check_due").await;
    assert_eq!(told.len(), 1, "{told:?}");
    let title = told[0]["title_ja"].as_str().expect("a title");
    assert!(
        title.contains(&format!("{owed} 件")) && title.contains("2回目"),
        "{title}"
    );
    assert!(
        told[0]["title_en"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("{owed} items"))),
        "{told:?}"
    );
    assert_eq!(
        told[0]["link"],
        format!("/institutions/{HOSPITAL}/checklist/{year}")
    );
    // Only the admins: the staff are not told.
    let staff = app.token("demo-hospital-staff").await;
    assert!(of_kind(app, &staff, "second_check_due").await.is_empty());
    // The same day again: nothing new.
    assert_eq!(pass(app, inspection - Days::new(30)).await, 0);

    // The item's second check recorded, and the inspection moved: the notice counts what is
    // still owed (none: no notice).
    app.api_put_ok(
        &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}"),
        &admin,
        json!({"round": 2, "answer": "yes", "checked_on": mamori_app::today_in_japan().to_string()}),
    )
    .await;
    let moved = inspection + Days::new(14);
    schedule_hospital_inspection(app, moved).await;
    let still_owed = second_checks_owed(app, &admin, moved).await;
    pass(app, moved - Days::new(30)).await;
    let told = of_kind(app, &admin, "second_check_due").await;
    if still_owed == 0 {
        assert_eq!(told.len(), 1, "{told:?}");
    } else {
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(
            told[0]["title_ja"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("{still_owed} 件"))),
            "{told:?}"
        );
    }
}

async fn a_vendor_without_an_mds_sds_is_asked_for_it_before_an_inspection(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-hospital").await;
    let contract = a_second_vendor(app, &admin).await;
    let inspection = NaiveDate::from_ymd_opt(year + 1, 2, 20).expect("a date");
    schedule_hospital_inspection(app, inspection).await;
    // The vendor's users log in with a second factor: their notifications are read as the
    // service gives them.
    let vendor = app.user("minami-net").await;
    let due = async || -> Vec<mamori_app::notifications::Notification> {
        mamori_app::notifications::notifications(&app.state, vendor.id, false)
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| n.rule == Rule::MdsSdsDue)
            .collect()
    };
    pass(app, inspection - Days::new(31)).await;
    assert!(due().await.is_empty());
    assert!(of_kind(app, &admin, "mds_sds_awaited").await.is_empty());
    pass(app, inspection - Days::new(30)).await;
    let told = due().await;
    assert_eq!(told.len(), 1, "{told:?}");
    let contract_id = contract["contract_id"].as_i64().expect("a contract");
    assert_eq!(
        told[0].link.as_deref(),
        Some(format!("/vendor/contracts/{contract_id}/{year}#deliveries").as_str())
    );
    let title = told[0].title.render(mamori_locale::Lang::Ja);
    assert!(
        title.contains("みなと中央病院") && title.contains("MDS/SDS"),
        "{title}"
    );
    // The institution is told of the vendor that owes it, not of the one that delivered
    // (the demo's 東和メディカルシステム has delivered its MDS).
    let awaited = of_kind(app, &admin, "mds_sds_awaited").await;
    let titles: Vec<&str> = awaited
        .iter()
        .filter_map(|n| n["title_ja"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("南風ネット")),
        "{titles:?}"
    );
    assert!(!titles.iter().any(|t| t.contains("東和")), "{titles:?}");
    assert_eq!(
        awaited[0]["link"],
        format!("/institutions/{HOSPITAL}/vendors")
    );
}

fn backup_tested_on(on: NaiveDate) -> Value {
    json!({"backups": [{"systems": ["emr"], "data": "DB", "locations": ["offline"], "write_once": true, "generations": 7, "encrypted": true, "frequency": "daily",
        "last_restore_test": {"on": on.to_string(), "duration_minutes": 60, "succeeded": true}, "notes": ""}],
        "bcp": null})
}

async fn a_restore_test_a_year_old_is_told_and_in_the_calendar(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let today = mamori_app::today_in_japan();
    // The demo's PACS copy was last restored 500 days ago: the first pass tells it once.
    pass(app, today).await;
    let told = of_kind(app, &admin, "restore_test_due").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0]["link"],
        format!("/institutions/{HOSPITAL}/continuity")
    );
    assert!(
        told[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains("復旧テスト") && t.contains("令和")),
        "{told:?}"
    );
    // Tested again ten days ago: told on the first day the test is more than a year old.
    let tested = today - Days::new(10);
    app.api_put_ok(
        &format!("/api/v1/institutions/{HOSPITAL}/continuity"),
        &admin,
        backup_tested_on(tested),
    )
    .await;
    // The first day a year before it is after the test (29 February steps back to the 28th).
    let mut due = tested + Months::new(12);
    while due - Months::new(12) <= tested {
        due = due + Days::new(1);
    }
    pass(app, due - Days::new(1)).await;
    assert_eq!(of_kind(app, &admin, "restore_test_due").await.len(), 1);
    // On that day the records' page warns of the old test, and the notice comes.
    pass(app, due).await;
    let told = of_kind(app, &admin, "restore_test_due").await;
    assert_eq!(told.len(), 2, "{told:?}");
    let wareki = mamori_domain::wareki::format_wareki_with_western_year(due);
    assert!(
        told[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains(&wareki)),
        "{wareki}: {told:?}"
    );
    // The day is in the institution's calendar feed.
    let url = calendar_url(app, &admin).await;
    let body = feed(app, &url).await.body;
    let restore: Vec<_> = events(&body)
        .into_iter()
        .filter(|(summary, _)| summary.contains("復旧テスト"))
        .collect();
    assert_eq!(
        restore,
        [(
            "復旧テストから1年（バックアップの復旧テストを行う）".to_owned(),
            icalendar::DatePerhapsTime::Date(due)
        )]
    );
}

async fn a_device_ending_its_support_is_told_90_days_ahead(app: &TestApp) {
    use mamori_store::DeviceFlagCounts;
    let admin = app.token("demo-hospital").await;
    let ends = mamori_app::today_in_japan() + Days::new(200);
    // The ledger's counts as the server's counter keeps them (from the devices' flags, each
    // day): a device in use ends its support on `ends`.
    let keep = async |day: NaiveDate, ends: NaiveDate| {
        app.state
            .store
            .keep_device_flag_counts(
                HOSPITAL,
                day,
                DeviceFlagCounts {
                    support_ends_on: Some(ends),
                    ..DeviceFlagCounts::default()
                },
            )
            .await
            .expect("counts kept");
    };
    keep(mamori_app::today_in_japan(), ends).await;
    pass(app, ends - Days::new(91)).await;
    assert!(
        of_kind(app, &admin, "device_support_ending")
            .await
            .is_empty()
    );
    pass(app, ends - Days::new(90)).await;
    let told = of_kind(app, &admin, "device_support_ending").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["link"], format!("/institutions/{HOSPITAL}/ledger"));
    // A device entered the next day whose support ends in 60 days is told at once, not
    // missed for coming in after its 90 days began.
    let sooner = ends - Days::new(30);
    keep(ends - Days::new(89), sooner).await;
    pass(app, ends - Days::new(89)).await;
    let told = of_kind(app, &admin, "device_support_ending").await;
    assert_eq!(told.len(), 2, "{told:?}");
    let wareki = mamori_domain::wareki::format_wareki_with_western_year(sooner);
    assert!(
        told[0]["title_ja"]
            .as_str()
            .is_some_and(|t| t.contains(&wareki) && t.contains("サポート")),
        "{told:?}"
    );
    assert_eq!(pass(app, ends - Days::new(89)).await, 0);
    // The day is in the institution's calendar feed.
    let body = feed(app, &calendar_url(app, &admin).await).await.body;
    assert!(
        events(&body).contains(&(
            "機器のサポート終了日".to_owned(),
            icalendar::DatePerhapsTime::Date(sooner)
        )),
        "{body}"
    );
}

async fn each_user_is_offered_the_kinds_that_reach_them(app: &TestApp) {
    let kinds = async |login: &str| -> Vec<String> {
        let token = app.token(login).await;
        let settings = app
            .api_get_ok("/api/v1/me/notification-settings", &token)
            .await
            .json();
        settings["kinds"]
            .as_object()
            .expect("kinds")
            .keys()
            .cloned()
            .collect()
    };
    let hospital = kinds("demo-hospital").await;
    for kind in [
        "survey_reminder",
        "second_check_due",
        "restore_test_due",
        "device_support_ending",
        "mds_sds_awaited",
    ] {
        assert!(hospital.iter().any(|k| k == kind), "{kind}: {hospital:?}");
    }
    // The 確保事業 survey is for hospitals: a clinic is not offered its kinds, and choosing
    // one is refused by name.
    let clinic = kinds("demo-clinic").await;
    assert!(
        clinic.iter().all(|k| !k.starts_with("survey_")),
        "{clinic:?}"
    );
    assert!(clinic.iter().any(|k| k == "restore_test_due"), "{clinic:?}");
    let token = app.token("demo-clinic").await;
    let r = app
        .api_put(
            "/api/v1/me/notification-settings",
            &token,
            json!({"kinds": {"survey_reminder": "in_app"}}),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(
        r.json()["error"]["problems"][0]["path"],
        "kinds.survey_reminder"
    );
    // The settings page offers the same.
    let web = app.web_login("demo-clinic").await;
    let page = app.page(&web, "/notifications/settings").await;
    page.assert_body_contains("復旧テストから1年");
    assert!(!page.body.contains("survey_reminder"), "{}", page.body);
}

async fn the_officers_reminder_asks_before_it_sends(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-hospital").await;
    let web = app.web_login("demo-prefecture-13").await;
    let page_path = format!("/assurance/{year}/prefectures/13");
    app.page(&web, &page_path)
        .await
        .assert_body_contains("取り消せません");
    // Without the tick: nothing is sent, and the page says so beside the box.
    let r = app
        .submit_accepted(&web, &format!("{page_path}/reminders"), "")
        .await;
    assert!(r.location().contains("confirm=missing"), "{}", r.location());
    app.page(&web, r.location())
        .await
        .assert_body_contains("まだ何も送っていません");
    assert!(of_kind(app, &admin, "survey_reminder").await.is_empty());
    // Ticked: the hospitals that have not answered are reminded.
    let r = app
        .submit_accepted(&web, &format!("{page_path}/reminders"), "confirm=yes")
        .await;
    assert!(r.location().contains("reminded="), "{}", r.location());
    assert_eq!(of_kind(app, &admin, "survey_reminder").await.len(), 1);
}

async fn the_officer_and_the_vendor_have_their_dates_in_their_feeds(app: &TestApp) {
    // The officer: the survey's deadline (the demo's programme, in 60 days), their list due.
    let deadline = mamori_app::today_in_japan() + Days::new(60);
    let officer = app.token("demo-prefecture-13").await;
    let body = feed(app, &calendar_url(app, &officer).await).await.body;
    assert!(
        events(&body).contains(&(
            "確保事業の調査票の回答期限（東京都の一覧の提出）".to_owned(),
            icalendar::DatePerhapsTime::Date(deadline)
        )),
        "{body}"
    );
    // An inspector of the prefecture runs no survey: the inspections only.
    let inspector = app.token("demo-inspector-13").await;
    let body = feed(app, &calendar_url(app, &inspector).await).await.body;
    assert!(!body.contains("回答期限"), "{body}");

    // A vendor: the inspection of an institution it serves, with its form due before it.
    let admin = app.token("demo-hospital").await;
    let contract = a_second_vendor(app, &admin).await;
    let vendor = app.user("minami-net").await;
    // Vendors log in with a second factor: the feed's address is read as the service gives it.
    let token = mamori_app::calendar::feed_token(&app.state, vendor.id)
        .await
        .expect("a feed token");
    let path = format!("/calendar/{token}.ics");
    let inspection = NaiveDate::from_ymd_opt(app.year() + 1, 2, 20).expect("a date");
    schedule_hospital_inspection(app, inspection).await;
    let body = feed(app, &path).await.body;
    let on_the_day: Vec<String> = events(&body)
        .into_iter()
        .filter(|(_, start)| match start {
            icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone {
                date_time,
                tzid,
            }) => date_time.date() == inspection && tzid == "Asia/Tokyo",
            _ => false,
        })
        .map(|(summary, _)| summary)
        .collect();
    assert_eq!(
        on_the_day,
        [
            "みなと中央病院 の立入検査（事業者確認用チェックリストと MDS/SDS はこの日の30日前までに）"
        ],
        "{body}"
    );
    // Its link is the vendor's form of the year.
    let contract_id = contract["contract_id"].as_i64().expect("a contract");
    let calendar: icalendar::Calendar = body.parse().expect("an iCalendar feed");
    let urls: Vec<String> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => {
                icalendar::Component::property_value(e, "URL").map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.ends_with(&format!("/vendor/contracts/{contract_id}/{}", app.year()))),
        "{urls:?}"
    );
}
