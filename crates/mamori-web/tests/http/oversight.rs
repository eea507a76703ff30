//! Oversight (`src/oversight/`): a fiscal year's figures and the institution search, for
//! the people who run the programme, and counts that equal a recount from the answers.

use std::collections::HashMap;

use mamori_domain::oversight::{OversightKind, year_status};
use mamori_domain::{
    Answer, FiscalYear, InspectionInput, InstitutionKind, ItemAnswer, Prefecture, Round,
};
use mamori_store::NewInstitution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

on_both_engines!(
    oversight_is_for_those_who_run_the_programme,
    institutions_are_found_by_name_code_and_state,
    counts_equal_a_recount_from_the_answers,
    the_oversight_page_counts_finds_and_exports,
    the_items_most_often_answered_no_equal_a_recount,
    flagged_devices_are_counted_from_the_ledgers,
    institutions_are_filtered_by_beds_and_survey,
    the_name_index_finds_what_reading_every_name_finds,
);

const STATES: [&str; 4] = ["not_started", "in_progress", "completed", "ready"];

#[track_caller]
fn assert_states_sum(counts: &Value) {
    let sum: i64 = STATES.iter().map(|s| counts[*s].as_i64().expect(s)).sum();
    assert_eq!(Some(sum), counts["institutions"].as_i64(), "{counts}");
}

async fn oversight_is_for_those_who_run_the_programme(app: &TestApp) {
    let year = app.year();
    let summary = format!("/api/v1/oversight/{year}/summary");
    let national = app.token("demo-national").await;
    let all = app.api_get_ok(&summary, &national).await.json();
    assert_eq!(all["scope"], "all");
    assert_eq!(all["fiscal_year"], year);
    assert_states_sum(&all);
    assert_eq!(elements(&all["by_prefecture"]).len(), 47);
    for counts in elements(&all["by_prefecture"]) {
        assert_states_sum(counts);
    }
    let kinds: Vec<&String> = all["by_kind"]
        .as_object()
        .expect("by kind")
        .keys()
        .collect();
    assert_eq!(
        kinds,
        [
            "clinic_with_beds",
            "clinic_without_beds",
            "dental_clinic",
            "hospital",
            "pharmacy"
        ]
    );
    let tokyo = all["by_prefecture"][12].clone();
    assert_eq!(tokyo["prefecture"], "13");
    // An inspector and a prefecture officer see their own prefecture, with the same figures.
    for login in ["demo-inspector-13", "demo-prefecture-13"] {
        let token = app.token(login).await;
        let own = app.api_get_ok(&summary, &token).await.json();
        assert_eq!(own["scope"], "13", "{login}");
        assert_eq!(own["institutions"], tokyo["institutions"], "{login}");
        assert_eq!(elements(&own["by_prefecture"]).len(), 1);
        let asked = app
            .api_get_ok(&format!("{summary}?prefecture=13"), &token)
            .await
            .json();
        assert_eq!(asked["institutions"], own["institutions"]);
        // Another prefecture is not found, in the figures as in the list.
        app.api_get(&format!("{summary}?prefecture=46"), &token)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api_get(
            &format!("/api/v1/oversight/{year}/institutions?prefecture=46"),
            &token,
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
    let national_tokyo = app
        .api_get_ok(&format!("{summary}?prefecture=13"), &national)
        .await
        .json();
    assert_eq!(national_tokyo["scope"], "13");
    assert_eq!(national_tokyo["institutions"], tokyo["institutions"]);
    // Institutions, vendors and the training operator see no figures.
    for login in [
        "demo-hospital",
        "demo-hospital-staff",
        "demo-vendor",
        "demo-operator",
    ] {
        let token = app.token(login).await;
        for path in [
            summary.clone(),
            format!("/api/v1/oversight/{year}/institutions"),
        ] {
            app.api_get(&path, &token)
                .await
                .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
        }
    }
    // Bad input is refused, naming the field.
    let r = app
        .api_get(&format!("{summary}?prefecture=48"), &national)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "prefecture");
    let r = app
        .api_get("/api/v1/oversight/1999/summary", &national)
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = app.api_get("/api/v1/oversight/", &national).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn institutions_are_found_by_name_code_and_state(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let list = |query: &str| format!("/api/v1/oversight/{year}/institutions?{query}");
    let ids = |v: &Value| -> Vec<i64> {
        elements(&v["items"])
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect()
    };
    // みなと中央病院, by part of its name in katakana, half-width katakana or hiragana.
    for q in [
        "ミナト",
        "%EF%BE%90%EF%BE%85%EF%BE%84",
        "みなと中央",
        "%E3%81%BF%E3%81%AA%E3%81%A8%20%E4%B8%AD%E5%A4%AE",
    ] {
        let found = app
            .api_get_ok(&list(&format!("q={q}")), &national)
            .await
            .json();
        assert_eq!(ids(&found), vec![HOSPITAL], "{q}: {found}");
        assert_eq!(found["total"], 1);
        let item = &found["items"][0];
        assert_eq!(item["kind"], "hospital");
        assert_eq!(item["prefecture"], "13");
        assert!(STATES.contains(&item["state"].as_str().expect("state")));
    }
    // By its whole 医療機関コード.
    let hospital = app
        .api_get_ok(&format!("/api/v1/institutions/{HOSPITAL}"), &national)
        .await
        .json();
    let code = hospital["medical_institution_code"]
        .as_str()
        .expect("the demo hospital has a code");
    let found = app
        .api_get_ok(&list(&format!("q={code}")), &national)
        .await
        .json();
    assert_eq!(ids(&found), vec![HOSPITAL]);
    // By its municipality's name or its 全国地方公共団体コード (港区, 131032).
    for q in ["%E6%B8%AF%E5%8C%BA", "131032"] {
        let found = app
            .api_get_ok(&list(&format!("q={q}")), &national)
            .await
            .json();
        assert_eq!(ids(&found), vec![HOSPITAL], "{q}: {found}");
        assert_eq!(found["items"][0]["municipality"], "港区");
    }
    // LIKE's wildcards are taken as they are typed.
    let found = app.api_get_ok(&list("q=%25"), &national).await.json();
    assert_eq!(found["total"], 0, "{found}");
    // The state filter finds each institution under its own state only.
    let everyone = app.api_get_ok(&list("limit=500"), &national).await.json();
    let total = everyone["total"].as_i64().expect("total");
    assert_eq!(elements(&everyone["items"]).len() as i64, total);
    let mut by_state = 0;
    for state in STATES {
        let found = app
            .api_get_ok(&list(&format!("state={state}&limit=500")), &national)
            .await
            .json();
        assert!(
            elements(&found["items"])
                .iter()
                .all(|i| i["state"] == state)
        );
        by_state += found["total"].as_i64().expect("total");
    }
    assert_eq!(by_state, total);
    // Paging and sorting.
    let page = app
        .api_get_ok(&list("sort=-name&limit=1&offset=1"), &national)
        .await
        .json();
    assert_eq!(page["total"], total);
    assert_eq!(elements(&page["items"]).len(), 1);
    let by_name = app
        .api_get_ok(&list("sort=name&limit=500"), &national)
        .await
        .json();
    let descending = app
        .api_get_ok(&list("sort=-name&limit=500"), &national)
        .await
        .json();
    let mut reversed = ids(&descending);
    reversed.reverse();
    assert_eq!(ids(&by_name), reversed);
    assert_eq!(page["items"][0]["id"], descending["items"][1]["id"]);
    // A filtered list counts what it finds on any page, past its last one too.
    for filter in ["kind=hospital", "overdue=true"] {
        let first = app
            .api_get_ok(&list(&format!("{filter}&limit=1")), &national)
            .await
            .json();
        let found = first["total"].as_i64().expect("total");
        assert!(found >= 1, "{filter}: {first}");
        for paging in ["limit=1&offset=1", "limit=5&offset=10000"] {
            let paged = app
                .api_get_ok(&list(&format!("{filter}&{paging}")), &national)
                .await
                .json();
            assert_eq!(paged["total"], found, "{filter} {paging}");
        }
    }
    let none = app
        .api_get_ok(
            &list("q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84&limit=5"),
            &national,
        )
        .await
        .json();
    assert_eq!(none["total"], 0);
    // A dental clinic is told apart by its code's third digit.
    app.api_patch(
        &format!("/api/v1/institutions/{CLINIC}"),
        &national,
        json!({"medical_institution_code": "1331234567"}),
    )
    .await
    .assert_status(StatusCode::OK);
    let dental = app
        .api_get_ok(&list("kind=dental_clinic"), &national)
        .await
        .json();
    assert_eq!(ids(&dental), vec![CLINIC]);
    let summary = app
        .api_get_ok(&format!("/api/v1/oversight/{year}/summary"), &national)
        .await
        .json();
    assert_eq!(summary["by_kind"]["dental_clinic"]["institutions"], 1);
    // A target date that has passed makes the institution overdue until it is met.
    let overdue_of = async |id: i64| -> i64 {
        let found = app.api_get_ok(&list("limit=500"), &national).await.json();
        elements(&found["items"])
            .iter()
            .find(|i| i["id"] == id)
            .and_then(|i| i["overdue_targets"].as_i64())
            .expect("listed")
    };
    let before = overdue_of(HOSPITAL).await;
    let total_before = summary["overdue_targets"].as_i64().expect("count");
    let staff = app.token("demo-hospital").await;
    let open = unanswered_item(app, &staff).await;
    let item = format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{open}");
    app.api_put_ok(
        &item,
        &staff,
        json!({"round": 1, "answer": "no", "checked_on": format!("{year}-04-02"), "target_date": format!("{year}-04-03")}),
    )
    .await;
    assert_eq!(overdue_of(HOSPITAL).await, before + 1);
    let overdue = app
        .api_get_ok(&list("overdue=true"), &national)
        .await
        .json();
    assert!(ids(&overdue).contains(&HOSPITAL), "{overdue}");
    assert!(
        elements(&overdue["items"])
            .iter()
            .all(|i| i["overdue_targets"].as_i64() > Some(0)),
        "{overdue}"
    );
    let summary = app
        .api_get_ok(&format!("/api/v1/oversight/{year}/summary"), &national)
        .await
        .json();
    assert_eq!(summary["overdue_targets"].as_i64(), Some(total_before + 1));
    app.api_put_ok(
        &item,
        &staff,
        json!({"round": 2, "answer": "yes", "checked_on": format!("{year}-04-04")}),
    )
    .await;
    assert_eq!(overdue_of(HOSPITAL).await, before);
    // Bad filters name their field.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("sort=size", "sort"),
        ("kind=dentist", "kind"),
        ("state=done", "state"),
    ] {
        let r = app.api_get(&list(query), &national).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["field"], field, "{query}");
    }
}

/// Random institutions, answers (both rounds, target dates past and future, some cleared),
/// profile changes and inspectors' records; the figures the API gives must equal a recount
/// made from the stored answers with the domain's rules, institution by institution.
async fn counts_equal_a_recount_from_the_answers(app: &TestApp) {
    let store = &app.state.store;
    let catalog = app.state.catalog;
    let fy = FiscalYear::new(app.year()).expect("year");
    let today = mamori_app::today_in_japan();
    let mut rng = StdRng::seed_from_u64(20_261_207);
    let kinds = [
        (InstitutionKind::Hospital, 200),
        (InstitutionKind::ClinicWithBeds, 10),
        (InstitutionKind::ClinicWithoutBeds, 0),
        (InstitutionKind::Pharmacy, 0),
    ];
    let mut ids = Vec::new();
    for n in 0..24 {
        let (kind, beds) = kinds[rng.random_range(0..kinds.len())];
        let point_table = ["1", "3", "4"][rng.random_range(0..3)];
        let prefecture = ["13", "46", "01"][rng.random_range(0..3)];
        let id = store
            .create_institution(
                &NewInstitution {
                    name: format!("試験施設{n}"),
                    kind,
                    prefecture: Prefecture::parse(prefecture).expect("prefecture"),
                    beds,
                    has_medical_information_system: rng.random_bool(0.9),
                    has_vendor_contracts: rng.random_bool(0.5),
                    medical_institution_code: Some(format!("{prefecture}{point_table}{n:07}")),
                    municipality_code: None,
                    municipality_name: String::new(),
                    address: String::new(),
                },
                None,
            )
            .await
            .expect("institution");
        ids.push(id);
    }
    let actor = 1;
    for &id in &ids {
        let institution = store.institution(id).await.expect("read").expect("there");
        let Some(version) = catalog.version_for(fy, institution.kind.form()) else {
            continue;
        };
        for item in &version.items {
            if !rng.random_bool(0.7) {
                continue;
            }
            let no = rng.random_bool(0.4);
            let target = no.then(|| {
                today - chrono::Days::new(30) + chrono::Days::new(rng.random_range(0..60))
            });
            let first = ItemAnswer {
                answer: if no { Answer::No } else { Answer::Yes },
                checked_on: fy.first_day(),
                target_date: target,
            };
            store
                .set_answer(id, fy, &item.key, Round::First, &first, actor)
                .await
                .expect("first");
            if no && rng.random_bool(0.5) {
                let met = rng.random_bool(0.5);
                let second = ItemAnswer {
                    answer: if met { Answer::Yes } else { Answer::No },
                    checked_on: fy.first_day() + chrono::Days::new(10),
                    target_date: (!met && rng.random_bool(0.5))
                        .then(|| today + chrono::Days::new(rng.random_range(0..20))),
                };
                store
                    .set_answer(id, fy, &item.key, Round::Second, &second, actor)
                    .await
                    .expect("second");
            }
            if rng.random_bool(0.1) {
                store
                    .clear_answer(id, fy, &item.key, Round::First, actor)
                    .await
                    .expect("clear");
            }
        }
        if rng.random_bool(0.4) {
            store
                .set_observation(id, fy, rng.random_bool(0.7), actor)
                .await
                .expect("observation");
        }
        if rng.random_bool(0.3) {
            // Some move to another prefecture (their code's prefecture part with them): their
            // counts, target dates and いいえ go with them.
            let prefecture = if rng.random_bool(0.5) {
                Prefecture::parse(["13", "46", "01"][rng.random_range(0..3)]).expect("prefecture")
            } else {
                institution.prefecture
            };
            let mut changed = NewInstitution {
                name: institution.name.clone(),
                kind: institution.kind,
                prefecture,
                beds: institution.beds,
                has_medical_information_system: !institution.has_medical_information_system,
                has_vendor_contracts: !institution.has_vendor_contracts,
                medical_institution_code: institution
                    .medical_institution_code
                    .as_deref()
                    .map(|code| format!("{}{}", prefecture.code(), &code[2..])),
                municipality_code: None,
                municipality_name: "港区".into(),
                address: String::new(),
            };
            changed.name.push('改');
            store
                .update_institution(id, &changed, actor)
                .await
                .expect("update");
        }
    }

    // The recount: every institution, its answers and record read back, the domain's rules.
    let mut expected: HashMap<(String, String), [i64; 7]> = HashMap::new();
    let mut answered_no: HashMap<(String, String), i64> = HashMap::new();
    let mut states: HashMap<i64, (String, i64)> = HashMap::new();
    let all = store
        .list_institutions(mamori_domain::InstitutionScope::All, 10_000, 0)
        .await
        .expect("all");
    for institution in &all {
        let answers = store.answers(institution.id, fy).await.expect("answers");
        let seen = store
            .observation(institution.id, fy)
            .await
            .expect("observation")
            .map(|o| o.contact_chart_seen);
        let version = catalog
            .version_for(fy, institution.kind.form())
            .expect("a form");
        let rules = catalog.rules_for(&version.version).expect("rules");
        let status = year_status(&InspectionInput {
            fiscal_year: fy,
            version,
            rules,
            profile: institution.profile(),
            answers: &answers,
            contact_chart_seen: seen,
            today,
        });
        let overdue = status
            .open_targets
            .iter()
            .filter(|(_, date)| *date < today)
            .count() as i64;
        let kind = OversightKind::of(
            institution.kind,
            institution.medical_institution_code.as_deref(),
        );
        let counts = expected
            .entry((institution.prefecture.code(), kind.as_str().to_owned()))
            .or_default();
        counts[0] += 1;
        counts[1 + STATES
            .iter()
            .position(|s| *s == status.state.as_str())
            .expect("state")] += 1;
        counts[5] += overdue;
        counts[6] += i64::from(overdue > 0);
        for (key, item) in &answers {
            if item.first.as_ref().is_some_and(|f| f.answer == Answer::No) {
                *answered_no
                    .entry((institution.prefecture.code(), key.clone()))
                    .or_default() += 1;
            }
        }
        states.insert(institution.id, (status.state.as_str().to_owned(), overdue));
    }
    let national = app.token("demo-national").await;
    let year = fy.start_year();
    let summary = app
        .api_get_ok(&format!("/api/v1/oversight/{year}/summary"), &national)
        .await
        .json();
    let counted = |c: &Value| -> [i64; 7] {
        let n = |k: &str| c[k].as_i64().expect(k);
        [
            n("institutions"),
            n("not_started"),
            n("in_progress"),
            n("completed"),
            n("ready"),
            n("overdue_targets"),
            n("institutions_with_overdue"),
        ]
    };
    let sum = |filter: &dyn Fn(&(String, String)) -> bool| -> [i64; 7] {
        let mut out = [0; 7];
        for (key, c) in &expected {
            if filter(key) {
                for (o, v) in out.iter_mut().zip(c) {
                    *o += v;
                }
            }
        }
        out
    };
    assert_eq!(counted(&summary), sum(&|_| true), "{summary}");
    items_answered_no_equal(app, &national, &answered_no).await;
    for kind in OversightKind::ALL {
        assert_eq!(
            counted(&summary["by_kind"][kind.as_str()]),
            sum(&|(_, k)| k == kind.as_str()),
            "{kind:?}"
        );
    }
    for p in elements(&summary["by_prefecture"]) {
        let code = p["prefecture"].as_str().expect("code").to_owned();
        assert_eq!(counted(p), sum(&|(pc, _)| *pc == code), "{code}");
    }
    // Some of each state, or the comparison proves little.
    let recounted = sum(&|_| true);
    assert!(
        recounted[1..5].iter().filter(|n| **n > 0).count() >= 3,
        "{recounted:?}"
    );
    assert!(
        recounted[5] > 0,
        "some target dates are overdue: {recounted:?}"
    );
    // Computed anew from the answers alone, as for answers stored before the states were
    // kept, the figures are the same.
    with_connection!(app, c => {
        for table in ["DELETE FROM open_targets", "DELETE FROM year_states"] {
            sqlx::query(table).execute(&mut c).await.expect("emptied");
        }
    });
    // The store opening again counts anew what it finds.
    store.migrate().await.expect("opened again");
    let emptied = app
        .api_get_ok(&format!("/api/v1/oversight/{year}/summary"), &national)
        .await
        .json();
    assert_ne!(
        counted(&emptied),
        sum(&|_| true),
        "the states were kept, not recomputed"
    );
    let filled = store.fill_year_states().await.expect("filled");
    assert!(filled > 0);
    let refilled = app
        .api_get_ok(&format!("/api/v1/oversight/{year}/summary"), &national)
        .await
        .json();
    assert_eq!(counted(&refilled), sum(&|_| true), "{refilled}");
    items_answered_no_equal(app, &national, &answered_no).await;
    // Institution by institution, as the list shows them.
    let list = app
        .api_get_ok(
            &format!("/api/v1/oversight/{year}/institutions?limit=500"),
            &national,
        )
        .await
        .json();
    for item in elements(&list["items"]) {
        let id = item["id"].as_i64().expect("id");
        let (state, overdue) = &states[&id];
        assert_eq!(item["state"], state.as_str(), "{item}");
        assert_eq!(item["overdue_targets"], *overdue, "{item}");
    }
}

/// The items answered いいえ the API lists, in the country and in each prefecture of the
/// recount, equal `answered_no` (counts by prefecture and item; the demo's institutions are
/// in it too, since the recount reads every institution).
async fn items_answered_no_equal(
    app: &TestApp,
    national: &str,
    answered_no: &HashMap<(String, String), i64>,
) {
    let year = app.year();
    for prefecture in ["", "13", "46", "01"] {
        let mut recounted: Vec<(String, i64)> = answered_no
            .iter()
            .filter(|((p, _), _)| prefecture.is_empty() || p == prefecture)
            .fold(
                HashMap::<String, i64>::new(),
                |mut by_item, ((_, key), n)| {
                    *by_item.entry(key.clone()).or_default() += n;
                    by_item
                },
            )
            .into_iter()
            .collect();
        recounted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        recounted.truncate(10);
        let scope = if prefecture.is_empty() {
            String::new()
        } else {
            format!("?prefecture={prefecture}")
        };
        let listed = app
            .api_get_ok(
                &format!("/api/v1/oversight/{year}/items-answered-no{scope}"),
                national,
            )
            .await
            .json();
        let listed: Vec<(String, i64)> = elements(&listed["items"])
            .iter()
            .map(|i| {
                (
                    i["item_key"].as_str().expect("key").to_owned(),
                    i["institutions"].as_i64().expect("count"),
                )
            })
            .collect();
        assert_eq!(listed, recounted, "prefecture {prefecture:?}");
        assert!(!listed.is_empty(), "prefecture {prefecture:?}");
    }
}

async fn the_oversight_page_counts_finds_and_exports(app: &TestApp) {
    let year = app.year();
    // Inspectors and the national office land on it.
    for login in ["demo-inspector-13", "demo-national"] {
        let web = app.web_login(login).await;
        let home = app.get_with_cookie(web.cookie.clone(), "/").await;
        assert_eq!(home.location(), "/oversight", "{login}");
    }
    let inspector = app.web_login("demo-inspector-13").await;
    let page = app.page(&inspector, "/oversight").await;
    page.assert_body_contains("対策状況");
    page.assert_body_contains("東京都");
    page.assert_body_contains("みなと中央病院");
    // The year before stands beside each count, as the API counts it.
    let token = app.token("demo-inspector-13").await;
    let before = app
        .api_get_ok(&format!("/api/v1/oversight/{}/summary", year - 1), &token)
        .await
        .json();
    let ready_before = before["ready"].as_i64().expect("ready");
    page.assert_body_contains(&format!(
        "<small class=\"previous\">令和{}年度 ({}年度): {ready_before}</small>",
        year - 1 - 2018,
        year - 1
    ));
    // The prefecture sees no map of the country, and no other prefecture.
    assert!(!page.body.contains("class=\"tile-map\""));
    assert!(!page.body.contains("桜島記念病院"));
    app.get_page(&inspector.cookie, "/oversight?prefecture=46")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // A search in half-width katakana, as typed on some keyboards.
    let found = app
        .page(&inspector, "/oversight?q=%EF%BE%90%EF%BE%85%EF%BE%84")
        .await;
    found.assert_body_contains("みなと中央病院");
    assert!(!found.body.contains("さくら内科クリニック"));
    // Every count links to the institutions it counts (askama writes `&` as `&#38;`).
    page.assert_body_contains(&format!(
        "href=\"/oversight?year={year}&#38;state=ready#results\""
    ));
    page.assert_body_contains(&format!(
        "href=\"/oversight?year={year}&#38;kind=hospital&#38;overdue=1#results\""
    ));
    // In English, with the states in words, never their codes.
    let english = app
        .get_page(&inspector.english_cookie(), "/oversight")
        .await
        .assert_status(StatusCode::OK);
    english.assert_body_contains("Ready for inspection");
    assert!(!english.body.contains(">not_started<") && !english.body.contains(">in_progress<"));
    // The national office sees the map: one square a prefecture, each a link to its page.
    let national = app.web_login("demo-national").await;
    let map = app.page(&national, "/oversight").await;
    assert_eq!(map.body.matches("<a class=\"tile step-").count(), 47);
    map.assert_body_contains(&format!(
        "href=\"/oversight?year={year}&amp;prefecture=13\""
    ));
    let tokyo = app
        .page(&national, &format!("/oversight?year={year}&prefecture=13"))
        .await;
    tokyo.assert_body_contains("13 東京都");
    assert!(!tokyo.body.contains("class=\"tile-map\""));
    // Institutions and vendors are refused.
    for login in ["demo-hospital", "demo-vendor"] {
        let web = app.web_login(login).await;
        app.get_page(&web.cookie, "/oversight")
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    // The result as a workbook, read back by a spreadsheet reader.
    let xlsx = app
        .get_with_cookie(
            inspector.cookie.clone(),
            "/oversight/export.xlsx?q=%E3%81%BF%E3%81%AA%E3%81%A8",
        )
        .await;
    assert_eq!(header_str(&xlsx.headers, header::CONTENT_TYPE), XLSX);
    let bytes = app
        .get_bytes(
            &inspector.cookie,
            "/oversight/export.xlsx?q=%E3%81%BF%E3%81%AA%E3%81%A8",
        )
        .await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = calamine::Reader::worksheet_range(&mut book, "施設一覧").expect("the sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], "施設名");
    assert_eq!(rows[1][0], "みなと中央病院");
    assert_eq!(rows[1][2], "東京都");
    // And as Shift_JIS CSV, decoded.
    let csv = app
        .get_bytes(
            &inspector.cookie,
            "/oversight/export.csv?encoding=shift_jis",
        )
        .await;
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&csv);
    assert!(!bad);
    assert!(text.starts_with("施設名,種別,都道府県"), "{text}");
    assert!(text.contains("みなと中央病院,病院,東京都"), "{text}");
    assert!(!text.contains("桜島記念病院"));
    app.get_page(&inspector.cookie, "/oversight/export.csv?encoding=latin1")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // The figures for publication: by kind, and for the country by prefecture.
    let figures = |bytes: Vec<u8>| -> Vec<Vec<String>> {
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
        calamine::Reader::worksheet_range(&mut book, "集計")
            .expect("the sheet")
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    };
    let national_figures = figures(
        app.get_bytes(&national.cookie, "/oversight/figures.xlsx")
            .await,
    );
    assert!(
        national_figures[0][0].starts_with("対策状況 — 全国"),
        "{national_figures:?}"
    );
    let labels: Vec<&str> = national_figures.iter().map(|r| r[0].as_str()).collect();
    assert!(labels.contains(&"施設種別ごと") && labels.contains(&"都道府県ごと"));
    assert!(labels.contains(&"13 東京都") && labels.contains(&"47 沖縄県"));
    let tokyo_figures = figures(
        app.get_bytes(&inspector.cookie, "/oversight/figures.xlsx")
            .await,
    );
    let labels: Vec<&str> = tokyo_figures.iter().map(|r| r[0].as_str()).collect();
    assert!(
        tokyo_figures[0][0].contains("13 東京都"),
        "{tokyo_figures:?}"
    );
    assert!(!labels.contains(&"都道府県ごと") && labels.contains(&"歯科診療所"));
    let all_kinds = tokyo_figures
        .iter()
        .find(|r| r[0] == "すべての種別")
        .expect("the line of all kinds");
    let tokyo_count = app
        .page(&inspector, "/oversight")
        .await
        .body
        .contains(&format!("<span class=\"n\">{}</span>", all_kinds[1]));
    assert!(
        tokyo_count,
        "the workbook's count is the page's: {all_kinds:?}"
    );
}

/// The first-round いいえ of every institution the caller sees, counted by item from the
/// assessments, most first (ties by key), as the API lists them.
async fn recount_answered_no(app: &TestApp, token: &str, prefecture: &str) -> Vec<(String, i64)> {
    let year = app.year();
    let listed = app
        .api_get_ok(
            &format!("/api/v1/oversight/{year}/institutions?limit=500&prefecture={prefecture}"),
            token,
        )
        .await
        .json();
    let national = app.token("demo-national").await;
    let mut counts: HashMap<String, i64> = HashMap::new();
    let listed: Vec<i64> = elements(&listed["items"])
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    for id in listed {
        let assessment = app.assessment(id, year, &national).await;
        for item in elements(&assessment["items"]) {
            if item["first"]["answer"] == "no" {
                *counts
                    .entry(item["key"].as_str().expect("key").to_owned())
                    .or_default() += 1;
            }
        }
    }
    let mut counted: Vec<(String, i64)> = counts.into_iter().collect();
    counted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counted.truncate(10);
    counted
}

async fn the_items_most_often_answered_no_equal_a_recount(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    // Two いいえ more: one in Tokyo, on an item the demo may not have answered so.
    let assessment = app.assessment(HOSPITAL, year, &hospital).await;
    let keys: Vec<String> = elements(&assessment["items"])
        .iter()
        .filter(|i| i["required"] == true && i["has_target_date"] == true)
        .filter_map(|i| i["key"].as_str().map(str::to_owned))
        .take(2)
        .collect();
    for key in &keys {
        app.api_put_ok(
            &format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}/items/{key}"),
            &hospital,
            json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-09-30")}),
        )
        .await;
    }
    let listed = |scope: &str| format!("/api/v1/oversight/{year}/items-answered-no{scope}");
    let as_pairs = |v: &Value| -> Vec<(String, i64)> {
        elements(&v["items"])
            .iter()
            .map(|i| {
                (
                    i["item_key"].as_str().expect("key").to_owned(),
                    i["institutions"].as_i64().expect("count"),
                )
            })
            .collect()
    };
    let all = app.api_get_ok(&listed(""), &national).await.json();
    assert_eq!(all["scope"], "all");
    assert_eq!(
        as_pairs(&all),
        recount_answered_no(app, &national, "").await
    );
    assert!(!as_pairs(&all).is_empty());
    assert!(
        elements(&all["items"])
            .iter()
            .all(|i| i["item"].as_str().is_some_and(|n| n.contains('(')))
    );
    // A prefecture's inspector sees its own, and nothing of another.
    let inspector = app.token("demo-inspector-13").await;
    let tokyo = app.api_get_ok(&listed(""), &inspector).await.json();
    assert_eq!(tokyo["scope"], "13");
    assert_eq!(
        as_pairs(&tokyo),
        recount_answered_no(app, &inspector, "13").await
    );
    app.api_get(&listed("?prefecture=46"), &inspector)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    app.api_get(&listed(""), &hospital)
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // The page lists them, in words.
    let web = app.web_login("demo-inspector-13").await;
    let page = app.page(&web, "/oversight").await;
    page.assert_body_contains("「いいえ」の多い項目");
    let first = &elements(&tokyo["items"])[0];
    page.assert_body_contains(first["text_ja"].as_str().expect("text"));
    // The workbook for publication carries them on a sheet of their own, as the API counts.
    let bytes = app.get_bytes(&web.cookie, "/oversight/figures.xlsx").await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = calamine::Reader::worksheet_range(&mut book, "「いいえ」の多い項目")
        .expect("the items sheet");
    let on_sheet: Vec<(String, String)> = sheet
        .rows()
        .skip(4)
        .map(|r| (r[0].to_string(), r[2].to_string()))
        .collect();
    let from_api: Vec<(String, String)> = elements(&tokyo["items"])
        .iter()
        .map(|i| {
            (
                i["item"].as_str().expect("number").to_owned(),
                i["institutions"].to_string(),
            )
        })
        .collect();
    assert_eq!(on_sheet, from_api);
}

/// Devices in use with a high-severity flag, and with an end-of-support flag, in every
/// institution's ledger as the API shows it.
async fn recount_flagged(app: &TestApp, token: &str, ids: &[i64]) -> HashMap<i64, (i64, i64)> {
    let mut out = HashMap::new();
    for id in ids {
        let devices = app
            .api_get_ok(
                &format!("/api/v1/institutions/{id}/devices?limit=10000"),
                token,
            )
            .await
            .json();
        let mut high = 0;
        let mut end_of_support = 0;
        for d in elements(&devices) {
            if d["status"] == "retired" {
                continue;
            }
            let flags = elements(&d["flags"]);
            high += i64::from(flags.iter().any(|f| f["severity"] == "high"));
            end_of_support += i64::from(flags.iter().any(|f| f["code"] == "end_of_support"));
        }
        out.insert(*id, (high, end_of_support));
    }
    out
}

async fn flagged_devices_are_counted_from_the_ledgers(app: &TestApp) {
    use mamori_web::ledger::flag_counts::count_pending;
    let year = app.year();
    let national = app.token("demo-national").await;
    let summary = format!("/api/v1/oversight/{year}/summary");
    let list = format!("/api/v1/oversight/{year}/institutions?limit=500");
    let all: Vec<i64> = elements(&app.api_get_ok(&list, &national).await.json()["items"])
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    // Counted by the server's counter: everything pending, then nothing.
    assert!(count_pending(&app.state).await.expect("counted") >= 1);
    assert_eq!(count_pending(&app.state).await.expect("counted"), 0);
    let check = async || {
        let expected = recount_flagged(app, &national, &all).await;
        let listed = app.api_get_ok(&list, &national).await.json();
        for item in elements(&listed["items"]) {
            let id = item["id"].as_i64().expect("id");
            assert_eq!(item["flagged_devices"], expected[&id].0, "{id}: {item}");
        }
        let s = app.api_get_ok(&summary, &national).await.json();
        let high: i64 = expected.values().map(|(h, _)| h).sum();
        let eos: i64 = expected.values().map(|(_, e)| e).sum();
        let with: i64 = expected.values().filter(|(h, _)| *h > 0).count() as i64;
        assert_eq!(s["flagged_devices"], high, "{s}");
        assert_eq!(s["flags"]["end_of_support"], eos, "{s}");
        assert_eq!(s["institutions_with_flagged_devices"], with, "{s}");
        let flagged = app
            .api_get_ok(&format!("{list}&flagged=true"), &national)
            .await
            .json();
        assert_eq!(flagged["total"], with);
        high
    };
    let before = check().await;
    assert!(before > 0, "the demo ledger has flagged devices");
    // A flagged device retired: the write forgets the counts, the counter counts again.
    let staff = app.token("demo-hospital").await;
    let devices = app
        .api_get_ok(
            &format!("/api/v1/institutions/{HOSPITAL}/devices?limit=10000"),
            &staff,
        )
        .await
        .json();
    let flagged = elements(&devices)
        .iter()
        .find(|d| {
            d["status"] != "retired"
                && elements(&d["flags"])
                    .iter()
                    .any(|f| f["severity"] == "high")
        })
        .and_then(|d| d["id"].as_i64())
        .expect("a flagged device of the hospital");
    app.api_post(
        &format!("/api/v1/institutions/{HOSPITAL}/devices/{flagged}/retire"),
        &staff,
        json!({}),
    )
    .await
    .assert_status(StatusCode::OK);
    assert_eq!(count_pending(&app.state).await.expect("counted"), 1);
    assert_eq!(check().await, before - 1);
    // The page shows the count and filters by it.
    let web = app.web_login("demo-national").await;
    let page = app
        .page(&web, &format!("/oversight?year={year}&flagged=1"))
        .await;
    page.assert_body_contains("重大な警告のある機器を持つ施設");
    page.assert_body_contains("みなと中央病院");
}

async fn institutions_are_filtered_by_beds_and_survey(app: &TestApp) {
    let year = app.year();
    let national = app.token("demo-national").await;
    let list = |query: &str| format!("/api/v1/oversight/{year}/institutions?limit=500&{query}");
    let everyone = app.api_get_ok(&list(""), &national).await.json();
    let by = |v: &Value, keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        elements(&v["items"])
            .iter()
            .filter(|i| keep(i))
            .map(|i| i["id"].as_i64().expect("id"))
            .collect()
    };
    for (band, min, max) in [
        ("0", 0, Some(0)),
        ("20-199", 20, Some(199)),
        ("200-399", 200, Some(399)),
        ("400-", 400, None),
    ] {
        let found = app
            .api_get_ok(&list(&format!("beds={band}")), &national)
            .await
            .json();
        let expected = by(&everyone, &|i| {
            let beds = i["beds"].as_i64().expect("beds");
            beds >= min && max.is_none_or(|m| beds <= m)
        });
        assert_eq!(by(&found, &|_| true), expected, "{band}");
        assert_eq!(found["total"], expected.len());
    }
    let r = app.api_get(&list("beds=400-20"), &national).await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    assert_eq!(r.json()["error"]["field"], "beds");
    // The 確保事業 survey: answered by the hospital this year.
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    apply_for_assurance(app, &national, year, body).await;
    let answered = app
        .api_get_ok(&list("survey=answered"), &national)
        .await
        .json();
    let not_answered = app
        .api_get_ok(&list("survey=not_answered"), &national)
        .await
        .json();
    assert!(by(&answered, &|_| true).contains(&HOSPITAL));
    assert!(!by(&not_answered, &|_| true).contains(&HOSPITAL));
    assert_eq!(
        answered["total"].as_i64().expect("total") + not_answered["total"].as_i64().expect("total"),
        everyone["total"].as_i64().expect("total")
    );
    app.api_get(&list("survey=maybe"), &national)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    // The page offers both, in words.
    let web = app.web_login("demo-national").await;
    let page = app
        .page(
            &web,
            &format!("/oversight?year={year}&beds=200-399&survey=answered"),
        )
        .await;
    page.assert_body_contains("200〜399床");
    page.assert_body_contains("<option value=\"answered\" selected>回答済み</option>");
    page.assert_body_contains("みなと中央病院");
}

/// What the list finds for `query` as the national office asks for it, one page of 500.
async fn searched(app: &TestApp, token: &str, query: &str) -> Value {
    let encoded = percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC);
    app.api_get_ok(
        &format!(
            "/api/v1/oversight/{}/institutions?limit=500&q={encoded}",
            app.year()
        ),
        token,
    )
    .await
    .json()
}

/// The search reads the institutions holding a query's rarest pieces (grams) instead of every
/// name: it must find exactly what reading every name finds, for queries of every length, and
/// follow a change of name.
async fn the_name_index_finds_what_reading_every_name_finds(app: &TestApp) {
    use mamori_domain::text::fold::search_key;
    let store = &app.state.store;
    let year = app.year();
    let national = app.token("demo-national").await;
    let mut ids = Vec::new();
    for (n, (name, municipality)) in [
        ("さくら記念病院", "新宿区"),
        ("サクラ記念クリニック", "札幌市"),
        ("記念さくら薬局", "新宿区"),
        ("医療法人社団 桜会 さくら内科", "中央区"),
        ("ﾐﾄﾞﾘ歯科医院", "みどり市"),
        ("緑の森病院", "港区"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = store
            .create_institution(
                &NewInstitution {
                    name: name.into(),
                    kind: InstitutionKind::ClinicWithoutBeds,
                    prefecture: Prefecture::parse("13").expect("prefecture"),
                    beds: 0,
                    has_medical_information_system: true,
                    has_vendor_contracts: false,
                    medical_institution_code: Some(format!("13190{n:05}")),
                    municipality_code: None,
                    municipality_name: municipality.into(),
                    address: String::new(),
                },
                None,
            )
            .await
            .expect("institution");
        ids.push(id);
    }
    let list = |query: &str| format!("/api/v1/oversight/{year}/institutions?limit=500&{query}");
    let found_ids = |v: &Value| -> Vec<i64> {
        let mut out: Vec<i64> = elements(&v["items"])
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect();
        out.sort_unstable();
        out
    };
    let check = |everyone: Value, query: &'static str| {
        let key = search_key(query);
        let mut expected: Vec<i64> = elements(&everyone["items"])
            .iter()
            .filter(|i| {
                let text = |f: &str| search_key(i[f].as_str().unwrap_or_default());
                text("name").contains(&key)
                    || text("municipality").contains(&key)
                    || i["medical_institution_code"].as_str() == Some(key.as_str())
            })
            .map(|i| i["id"].as_i64().expect("id"))
            .collect();
        expected.sort_unstable();
        expected
    };
    let everyone = app.api_get_ok(&list(""), &national).await.json();
    for query in [
        "さ",
        "記念",
        "さくら",
        "サクラ記念",
        "ｻｸﾗ",
        "さくら内科",
        "桜会さくら",
        "みどり",
        "緑",
        "新宿",
        "病院",
        "記念病院",
        "念さ",
        "ない名前",
        "1319000003",
    ] {
        let expected = check(everyone.clone(), query);
        let found = searched(app, &national, query).await;
        assert_eq!(found_ids(&found), expected, "{query}: {found}");
        assert_eq!(found["total"], expected.len(), "{query}");
    }
    // Some queries find several; one finds none.
    assert!(check(everyone.clone(), "さくら").len() >= 4);
    assert!(check(everyone.clone(), "ない名前").is_empty());
    // A new name is found by its own pieces, and no longer by the old name's.
    let renamed = ids[5];
    let before = store
        .institution(renamed)
        .await
        .expect("read")
        .expect("there");
    store
        .update_institution(
            renamed,
            &NewInstitution {
                name: "青葉台ホスピタル".into(),
                kind: before.kind,
                prefecture: before.prefecture,
                beds: before.beds,
                has_medical_information_system: before.has_medical_information_system,
                has_vendor_contracts: before.has_vendor_contracts,
                medical_institution_code: before.medical_institution_code.clone(),
                municipality_code: None,
                municipality_name: "港区".into(),
                address: String::new(),
            },
            1,
        )
        .await
        .expect("rename");
    let everyone = app.api_get_ok(&list(""), &national).await.json();
    for query in ["緑の森", "青葉台", "ホスピタル", "あおば"] {
        let expected = check(everyone.clone(), query);
        let found = searched(app, &national, query).await;
        assert_eq!(found_ids(&found), expected, "{query}: {found}");
    }
    assert!(check(everyone.clone(), "緑の森").is_empty());
    assert_eq!(check(everyone, "青葉台"), vec![renamed]);
}
