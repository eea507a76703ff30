//! Training (研修, `src/training/`): registration, the waitlist and cancellation, the last
//! seat, refused input, attendance and the yearly record, the operator's editing of
//! courses, sessions and lecturers, and the pages.

use super::*;

on_both_engines!(
    training_registration_waitlist_and_cancellation,
    training_bad_input_changes_nothing,
    training_last_seat_goes_to_exactly_one,
    training_operator_attendance_export_and_record,
    training_pages_register_waitlist_cancel_and_record,
    training_sessions_and_courses_are_edited_and_withdrawn,
    training_edits_refuse_bad_input_and_change_nothing,
    training_lecturers_are_listed_and_kept,
    training_edit_pages_mark_fields_and_withdraw,
);

/// The demo's session that has already been held.
async fn demo_past_session(app: &TestApp) -> mamori_store::SessionRecord {
    let sessions = app.state.store.training_sessions().await.expect("sessions");
    sessions
        .into_iter()
        .find(|s| s.rules.starts_at < mamori_web::training::api::now_in_japan())
        .expect("the demo has a past session")
}

/// The session as `GET /api/v1/training/sessions` shows it to the caller.
async fn training_session_json(app: &TestApp, token: &str, id: i64) -> Value {
    let list = app.api_get_ok("/api/v1/training/sessions", token).await;
    elements(&list.json()["sessions"])
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .expect("the session is listed")
}

async fn training_registration_waitlist_and_cancellation(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let hospital = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    let clinic = app.token("demo-clinic").await;
    let kagoshima = app.token("demo-hospital-46").await;

    let s = training_session_json(app, &hospital, session).await;
    assert_eq!(s["availability"], "open");
    assert_eq!(s["seats_left"], 2);

    // The first two take the two seats; then it is full: the next two go on the waitlist, in
    // order.
    let mut ids = [0; 4];
    for (id, (token, name, status)) in ids.iter_mut().zip([
        (&hospital, "山田 太郎", "registered"),
        (&clinic, "田中 一郎", "registered"),
        (&kagoshima, "西郷 花子", "waitlisted"),
        (&staff, "佐藤 次郎", "waitlisted"),
    ]) {
        let r = register_for_training(app, token, session, name)
            .await
            .assert_status(StatusCode::CREATED)
            .json();
        assert_eq!(r["status"], status, "{name}");
        *id = r["registration_id"].as_i64().expect("id");
    }
    let [a, _, c, d] = ids;

    let s = training_session_json(app, &kagoshima, session).await;
    assert_eq!(s["availability"], "waitlist_only");
    assert_eq!(s["waitlisted"], 2);
    let mine = s["my_registrations"].as_array().expect("mine");
    assert_eq!(mine.len(), 1, "only the caller's own places are shown: {s}");
    assert_eq!(mine[0]["waitlist_position"], 1);
    let s = training_session_json(app, &hospital, session).await;
    let places: Vec<(i64, String)> = elements(&s["my_registrations"])
        .iter()
        .map(|p| {
            (
                p["registration_id"].as_i64().expect("id"),
                p["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        places,
        vec![(a, "registered".to_owned()), (d, "waitlisted".to_owned())],
        "staff and admin of one institution see its places together"
    );

    // The hospital gives its seat back: the first on the waitlist (Kagoshima) moves up.
    let r = app
        .api_delete(&format!("/api/v1/training/registrations/{a}"), &staff)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["promoted"], 1);
    let s = training_session_json(app, &kagoshima, session).await;
    assert_eq!(s["my_registrations"][0]["registration_id"], c);
    assert_eq!(s["my_registrations"][0]["status"], "registered");
    let s = training_session_json(app, &hospital, session).await;
    let d_now = element(&s["my_registrations"], "registration_id", d).clone();
    assert_eq!(d_now["status"], "waitlisted");
    assert_eq!(d_now["waitlist_position"], 1, "d is now first in line");
    // A cancelled participant may register again (and queues behind).
    let again = register_for_training(app, &hospital, session, "山田　太郎")
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(again.json()["status"], "waitlisted");
    // Every change has its audit entry, and the chain holds.
    app.assert_audit_chain_intact().await;
}

async fn training_bad_input_changes_nothing(app: &TestApp) {
    let session = open_training_session(app, 1).await;
    let hospital = app.token("demo-hospital").await;
    let clinic = app.token("demo-clinic").await;
    let operator = app.token("demo-operator").await;
    let national = app.token("demo-national").await;
    let mine = register_for_training(app, &hospital, session, "山田 太郎")
        .await
        .json()["registration_id"]
        .as_i64()
        .expect("id");
    let places = || async {
        app.registrations(session)
            .await
            .into_iter()
            .map(|p| (p.id, p.status))
            .collect::<Vec<_>>()
    };
    let before = places().await;
    let audit_before = app.audit_log().await.len();

    // The same participant again (full-width space, extra spaces): refused.
    register_for_training(app, &hospital, session, "  山田　太郎 ")
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "already_registered");
    // Another institution's place cannot be cancelled, nor an unknown one.
    for id in [mine.to_string(), "999999".into(), "abc".into()] {
        app.api_delete(&format!("/api/v1/training/registrations/{id}"), &clinic)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "registration_not_found");
    }
    // The operator and the national office hold no place of their own.
    app.api_delete(&format!("/api/v1/training/registrations/{mine}"), &operator)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "registration_not_found");
    register_for_training(app, &national, session, "厚労 太郎")
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "institution_users_only");
    // Unknown sessions.
    for id in ["999999", "0", "-1", "x"] {
        register_for_training(app, &hospital, id.parse().unwrap_or(999_999), "山田 花子")
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
        let path = format!("/api/v1/training/sessions/{id}/registrations");
        app.api_post(&path, &hospital, json!({"participant_name": "山田 花子"}))
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    }
    // Bad names and bodies.
    for (body, code) in [
        (json!({"participant_name": "   "}), "invalid_value"),
        (
            json!({"participant_name": "あ".repeat(101)}),
            "invalid_value",
        ),
        (json!({}), "invalid_body"),
        (json!({"participant_name": 3}), "invalid_body"),
        (json!({"name": "x"}), "invalid_body"),
    ] {
        app.api_post(
            &format!("/api/v1/training/sessions/{session}/registrations"),
            &hospital,
            body,
        )
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    // A control character is refused before the handler, naming the field.
    let r = register_for_training(app, &hospital, session, "a\u{7}b").await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["field"], "participant_name");
    // After the deadline: the demo's past session.
    let past = demo_past_session(app).await;
    let past_before = app.registrations(past.id).await.len();
    let r = register_for_training(app, &clinic, past.id, "田中 一郎").await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "registration_closed");
    assert!(r.message_ja().contains("締め切りました"));
    assert_eq!(app.registrations(past.id).await.len(), past_before);
    // Sessions that make no sense are refused: a good session with one thing wrong, and the
    // field the answer names.
    let course = app.state.store.training_courses().await.expect("courses")[0].id;
    let session_with = |wrong: Value| {
        let mut body = json!({"course_id": course, "starts_at": "2030-01-10T16:00", "ends_at": "2030-01-10T18:00", "registration_deadline": "2030-01-05T13:00", "capacity": 10, "venue": "Zoom"});
        for (key, value) in wrong.as_object().expect("fields") {
            body[key] = value.clone();
        }
        body
    };
    for (wrong, field) in [
        (json!({"ends_at": "2030-01-10T15:00"}), "ends_at"),
        (
            json!({"registration_deadline": "2030-01-11T13:00"}),
            "registration_deadline",
        ),
        (json!({"capacity": 0}), "capacity"),
        (json!({"starts_at": "10 January"}), "starts_at"),
        (
            json!({"starts_at": "12030-01-10T16:00", "ends_at": "12030-01-10T18:00"}),
            "starts_at",
        ),
        (json!({"venue": " "}), "venue"),
    ] {
        let r = app
            .api_post("/api/v1/training/sessions", &operator, session_with(wrong))
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], field, "{}", r.body);
    }
    app.api_post(
        "/api/v1/training/sessions",
        &operator,
        session_with(json!({"course_id": 999999})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_course");
    // Courses: an unknown audience, and a course from anyone but the operator.
    for (token, audience, status, code) in [
        (
            &operator,
            "everyone",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
        ),
        (
            &hospital,
            "beginner",
            StatusCode::FORBIDDEN,
            "operator_only",
        ),
    ] {
        let course = json!({"title_ja": "x", "audience": audience, "format": "online"});
        app.api_post("/api/v1/training/courses", token, course)
            .await
            .assert_bilingual_error(status, code);
    }
    // Attendance before the session has started.
    app.api_put(
        &format!("/api/v1/training/registrations/{mine}/attendance"),
        &operator,
        json!({"attended": true}),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "session_not_started");

    assert_eq!(places().await, before, "nothing changed");
    let audit_after = app.audit_log().await.len();
    let logins = 4;
    assert!(
        audit_after <= audit_before + logins,
        "no change was written: {audit_before} → {audit_after}"
    );
}

async fn training_last_seat_goes_to_exactly_one(app: &TestApp) {
    // A second server on the same database: the seat is decided by the database's lock, not
    // by one process's queue.
    let second_store = Store::connect(&app.url).await.expect("second store");
    let key = app.state.store.audit_key().expect("key").clone();
    second_store
        .open_audit_log(key, None)
        .await
        .expect("same key");
    let catalog = Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
    let second = mamori_web::router(AppState::new(
        second_store.clone(),
        catalog,
        WebConfig::default(),
    ));
    let tokens = [
        app.token("demo-hospital").await,
        app.token("demo-clinic").await,
        app.token("demo-pharmacy").await,
        app.token("demo-hospital-46").await,
        app.token("demo-hospital-staff").await,
    ];
    for round in 0..3 {
        let session = open_training_session(app, 1).await;
        let requests: Vec<(usize, String, Request<Body>)> = (0..10)
            .map(|n| {
                let token = &tokens[n % tokens.len()];
                let request =
                    Request::post(format!("/api/v1/training/sessions/{session}/registrations"))
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(
                            json!({"participant_name": format!("同時 {round}-{n}")}).to_string(),
                        ))
                        .expect("request");
                (n, token.clone(), request)
            })
            .collect();
        let handles: Vec<_> = requests
            .into_iter()
            .map(|(n, _, request)| {
                let router = if n % 2 == 0 {
                    app.router.clone()
                } else {
                    second.clone()
                };
                tokio::spawn(async move {
                    let response = router.oneshot(request).await.expect("infallible");
                    let status = response.status();
                    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
                    (status, String::from_utf8_lossy(&body).into_owned())
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for h in handles {
            let (status, body) = h.await.expect("task");
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let v: Value = serde_json::from_str(&body).expect("json");
            statuses.push(v["status"].as_str().expect("status").to_owned());
        }
        let seats = statuses.iter().filter(|s| *s == "registered").count();
        let waiting = statuses.iter().filter(|s| *s == "waitlisted").count();
        assert_eq!((seats, waiting), (1, 9), "round {round}: {statuses:?}");
        let stored = app.registrations(session).await;
        assert_eq!(stored.len(), 10);
        assert_eq!(
            stored.iter().filter(|p| p.status.holds_seat()).count(),
            1,
            "exactly one seat is stored"
        );
        let positions: Vec<i64> = stored.iter().filter_map(|p| p.waitlist_position).collect();
        assert_eq!(
            positions,
            (1..=9).collect::<Vec<_>>(),
            "one ordered waitlist"
        );
    }
    second_store.close().await;
    app.assert_audit_chain_intact().await;
}

async fn training_operator_attendance_export_and_record(app: &TestApp) {
    let year = app.year();
    let operator = app.token("demo-operator").await;
    let national = app.token("demo-national").await;
    let hospital = app.token("demo-hospital").await;
    // The demo's past session has recorded attendance; the operator sees every place.
    let past = demo_past_session(app).await;
    let r = app
        .api_get_ok(
            &format!("/api/v1/training/sessions/{}/registrations", past.id),
            &operator,
        )
        .await;
    let places = r.json()["registrations"]
        .as_array()
        .expect("places")
        .clone();
    assert!(places.len() >= 2);
    assert!(places.iter().all(|p| p["status"] == "attended"));
    let place = places[0]["registration_id"].as_i64().expect("id");
    // Taking attendance back and recording it again.
    for (attended, status) in [(false, "registered"), (true, "attended")] {
        let r = app
            .api_put_ok(
                &format!("/api/v1/training/registrations/{place}/attendance"),
                &operator,
                json!({"attended": attended}),
            )
            .await;
        assert_eq!(r.json()["status"], status);
    }
    // The attendance list as .xlsx.
    let r = app
        .send(
            Request::get(format!(
                "/api/v1/training/sessions/{}/attendance.xlsx",
                past.id
            ))
            .header(header::AUTHORIZATION, format!("Bearer {operator}"))
            .body(Body::empty())
            .expect("request"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    // The 480-bed hospital has met the yearly obligation; the 250-bed demo hospital is not
    // subject to it; a year without training leaves the large hospital short.
    let big = app
        .state
        .store
        .list_institutions(mamori_domain::InstitutionScope::All, 1000, 0)
        .await
        .expect("institutions")
        .into_iter()
        .find(|i| i.beds >= 400)
        .expect("a hospital of 400 beds or more");
    let past_year = FiscalYear::containing(past.rules.starts_at.date()).start_year();
    let r = app
        .api_get_ok(
            &format!("/api/v1/institutions/{}/training/{past_year}", big.id),
            &national,
        )
        .await;
    let record = r.json();
    assert_eq!(record["subject_to_obligation"], true);
    assert_eq!(record["obligation"], "met");
    assert_eq!(record["attended"], 1);
    let r = app
        .api_get(
            &format!("/api/v1/institutions/{}/training/{}", big.id, past_year - 3),
            &national,
        )
        .await;
    assert_eq!(r.json()["obligation"], "not_met");
    let r = app
        .api_get(
            &format!("/api/v1/institutions/{HOSPITAL}/training/{past_year}"),
            &hospital,
        )
        .await;
    assert_eq!(r.json()["obligation"], "not_subject");
    assert!(!r.json()["lines"].as_array().expect("lines").is_empty());
    // Outside the caller's scope: not found.
    app.api_get(
        &format!("/api/v1/institutions/{}/training/{year}", big.id),
        &hospital,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // The content library is the catalog's.
    let r = app
        .api_get_ok("/api/v1/training/materials", &hospital)
        .await;
    assert!(r.body.contains("https://mhlw-training.saj.or.jp/"));
}

async fn training_pages_register_waitlist_cancel_and_record(app: &TestApp) {
    let session = open_training_session(app, 1).await;
    let hospital = app.web_login("demo-hospital").await;
    let clinic = app.web_login("demo-clinic").await;
    let operator = app.web_login("demo-operator").await;
    let page = |cookie: String| async move { app.get_with_cookie(cookie, "/training").await };
    let r = page(hospital.cookie.clone())
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("研修"), "Japanese by default");
    assert!(
        r.body
            .contains(&format!("/training/sessions/{session}/register"))
    );
    // Register for the last seat, then the clinic goes on the waitlist.
    let path = format!("/training/sessions/{session}/register");
    let r = app
        .submit_accepted(
            &hospital,
            &path,
            "participant_name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E",
        )
        .await;
    assert!(r.location().contains("notice=registered"));
    let r = app.submit(&clinic, &path, "participant_name=Tanaka").await;
    assert!(r.location().contains("notice=waitlisted"));
    // A double registration is shown on the page with the reason, as a 409.
    let r = app
        .submit(&clinic, &path, "participant_name=tanaka")
        .await
        .assert_status(StatusCode::CONFLICT);
    r.assert_body_contains("既に申し込まれています");
    // Without the CSRF token nothing happens.
    app.post_form(
        &clinic.cookie,
        &path,
        "csrf=wrong&participant_name=Other",
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    // The clinic may not cancel the hospital's place.
    let places = app.registrations(session).await;
    let hospital_place = places[0].id;
    let cancel_path = format!("/training/registrations/{hospital_place}/cancel");
    app.submit(&clinic, &cancel_path, "")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // The hospital cancels: the clinic moves up.
    app.submit_accepted(&hospital, &cancel_path, "").await;
    let places = app.registrations(session).await;
    assert_eq!(
        places[1].status,
        mamori_domain::training::RegistrationStatus::Registered
    );
    // The operator's pages: the session with its places, in English on request.
    let r = app
        .get_with_cookie(
            operator.english_cookie(),
            format!("/training/sessions/{session}"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert!(
        r.body.contains("Tanaka") && r.body.contains("Participants and attendance"),
        "{}",
        r.body
    );
    app.get_with_cookie(&clinic.cookie, "/training/manage")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // The operator publishes a session through the form; bad input is explained.
    let r = app
        .submit(&operator, "/training/sessions", &format!("course_id={INSPECTION_COURSE}&starts_at=2030-01-10T16%3A00&ends_at=2030-01-10T18%3A00&registration_deadline=2030-01-12T13%3A00&capacity=5&venue=Zoom"))
        .await.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("申込締切は開始日時以前にしてください");
    app
        .submit_accepted(&operator, "/training/sessions", &format!("course_id={INSPECTION_COURSE}&starts_at=2030-01-10T16%3A00&ends_at=2030-01-10T18%3A00&registration_deadline=2030-01-05T13%3A00&capacity=5&venue=Zoom")).await;
    // The library lists the portal and an empty list of lecturers, which the operator fills.
    let r = app
        .get_with_cookie(&hospital.cookie, "/training/library")
        .await;
    assert!(r.body.contains("https://mhlw-training.saj.or.jp/"));
    assert!(
        r.body.contains("初動対応支援チーム"),
        "the demo's list of lecturers and technicians"
    );
    app.submit_accepted(
        &operator,
        "/training/lecturers",
        "name=%E8%AC%9B%E5%B8%AB+%E4%B8%80&kind=lecturer&affiliation=&fields=Active+Directory",
    )
    .await;
    // The institution's record with the obligation banner.
    let year =
        FiscalYear::containing(mamori_web::training::api::now_in_japan().date()).start_year();
    let r = app
        .page(
            &hospital,
            &format!("/institutions/{HOSPITAL}/training/{year}"),
        )
        .await;
    r.assert_body_contains("data-obligation=\"not_subject\"");
}

/// A session edit with the session's current values, as `GET /api/v1/training/sessions`
/// gives them.
fn session_edit(session: &Value) -> Value {
    json!({
        "version": session["version"],
        "starts_at": session["starts_at"],
        "ends_at": session["ends_at"],
        "registration_deadline": session["registration_deadline"],
        "capacity": session["capacity"],
        "venue": session["venue"],
    })
}

async fn training_sessions_and_courses_are_edited_and_withdrawn(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let session_path = format!("/api/v1/training/sessions/{session}");
    let operator = app.token("demo-operator").await;
    let hospital = app.token("demo-hospital").await;
    let clinic = app.token("demo-clinic").await;
    // Two seats taken, two waitlisted (the clinic first).
    let mut places = Vec::new();
    for (token, name) in [
        (&hospital, "一番 太郎"),
        (&hospital, "二番 花子"),
        (&clinic, "三番 次郎"),
        (&hospital, "四番 三郎"),
    ] {
        let r = register_for_training(app, token, session, name)
            .await
            .assert_status(StatusCode::CREATED);
        places.push(r.json()["registration_id"].as_i64().expect("id"));
    }
    let before = training_session_json(app, &operator, session).await;
    assert_eq!(before["version"], 1);
    assert_eq!(before["waitlisted"], 2);
    let course = before["course"]["id"].as_i64().expect("course");

    // A capacity below the seats taken is refused, with the count, and changes nothing.
    let mut edit = session_edit(&before);
    edit["capacity"] = json!(1);
    let r = app.api_put(&session_path, &operator, edit).await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "capacity_below_seats");
    assert!(r.message_ja().contains("2名以上"));
    assert_eq!(training_session_json(app, &operator, session).await, before);

    // A larger capacity moves the waitlist up in order: one new seat, the first waitlisted.
    let mut edit = session_edit(&before);
    edit["capacity"] = json!(3);
    edit["venue"] = json!("https://zoom.example/j/123");
    let r = app.api_put_ok(&session_path, &operator, edit.clone()).await;
    assert_eq!(r.json()["promoted"], json!([places[2]]));
    assert_eq!(r.json()["version"], 2);
    let after = training_session_json(app, &clinic, session).await;
    assert_eq!(after["capacity"], 3);
    assert_eq!(after["venue"], "https://zoom.example/j/123");
    assert_eq!(after["my_registrations"][0]["status"], "registered");
    let hospital_view = training_session_json(app, &hospital, session).await;
    let fourth = element(
        &hospital_view["my_registrations"],
        "registration_id",
        places[3],
    )
    .clone();
    assert_eq!(fourth["status"], "waitlisted");
    assert_eq!(fourth["waitlist_position"], 1);
    assert_eq!(audit_count(app, "training.session.update").await, 1);
    assert_eq!(audit_count(app, "training.promote").await, 1);

    // The same edit again, made on version 1: someone else changed it since.
    let r = app.api_put(&session_path, &operator, edit).await;
    r.assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");
    assert!(r.message_ja().contains("他の人"));
    assert_eq!(audit_count(app, "training.session.update").await, 1);

    // The course: its fields change on the version read; a stale edit is refused.
    let courses = app
        .api_get("/api/v1/training/courses", &operator)
        .await
        .json();
    let version = elements(&courses["courses"])
        .iter()
        .find(|c| c["id"] == course)
        .map(|c| c["version"].clone())
        .expect("the course");
    let body = json!({"version": version, "title_ja": "改訂版コース", "title_en": "Revised course", "audience": "manager", "format": "workshop", "description_ja": "内容を改めました"});
    let courses_path = format!("/api/v1/training/courses/{course}");
    let r = app.api_put_ok(&courses_path, &operator, body.clone()).await;
    assert_eq!(r.json()["version"], 2);
    let shown = training_session_json(app, &hospital, session).await;
    assert_eq!(shown["course"]["title_ja"], "改訂版コース");
    assert_eq!(shown["course"]["audience"], "manager");
    app.api_put(&courses_path, &operator, body)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "stale_edit");

    // Withdrawn: the places are kept and marked, nobody joins, it leaves the open lists.
    let withdraw_path = format!("/api/v1/training/sessions/{session}/withdraw");
    app.api("POST", &withdraw_path, Some(&operator), None)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(audit_count(app, "training.session.withdraw").await, 1);
    let seen = training_session_json(app, &hospital, session).await;
    assert_eq!(seen["availability"], "withdrawn");
    assert_eq!(seen["notice_ja"], "この回は中止になりました");
    assert_eq!(seen["notice_en"], "this session has been withdrawn");
    assert_eq!(seen["my_registrations"].as_array().map(Vec::len), Some(3));
    assert!(seen["withdrawn_at"].is_string());
    let others = app.token("demo-hospital-46").await;
    let list = app
        .api_get("/api/v1/training/sessions", &others)
        .await
        .json();
    assert!(
        !elements(&list["sessions"])
            .iter()
            .any(|s| s["id"] == session),
        "a withdrawn session leaves the open lists"
    );
    register_for_training(app, &others, session, "五番 四郎")
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    app.api_delete(
        &format!("/api/v1/training/registrations/{}", places[0]),
        &hospital,
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    app.api_put(&session_path, &operator, session_edit(&seen))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    app.api("POST", &withdraw_path, Some(&operator), None)
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "session_withdrawn");
    // The institution's record marks the place.
    let fy = FiscalYear::containing(
        mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(10),
    )
    .start_year();
    let record = app
        .api_get(
            &format!("/api/v1/institutions/{HOSPITAL}/training/{fy}"),
            &hospital,
        )
        .await
        .json();
    assert!(
        elements(&record["lines"])
            .iter()
            .filter(|l| l["session_id"] == session)
            .all(|l| l["session_withdrawn"] == true)
    );

    // Withdrawing a course withdraws its sessions not yet held, not those already held.
    let past = demo_past_session(app).await;
    // A session of the past session's course in twenty days, from `start` to `end` o'clock.
    let day = mamori_web::training::api::now_in_japan().date() + chrono::Duration::days(20);
    let later_session = |start: u32, end: u32| {
        json!({
            "course_id": past.course.id,
            "starts_at": format!("{day}T{start}:00"),
            "ends_at": format!("{day}T{end}:00"),
            "registration_deadline": format!("{day}T09:00"),
            "capacity": 5,
            "venue": "オンライン",
        })
    };
    let r = app
        .api_create(
            "/api/v1/training/sessions",
            &operator,
            later_session(10, 12),
        )
        .await;
    let upcoming = r["id"].as_i64().expect("id");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/training/courses/{}/withdraw", past.course.id),
            Some(&operator),
            None,
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["sessions_withdrawn"], json!([upcoming]));
    let still = app.training_session(past.id).await;
    assert!(
        !still.is_withdrawn(),
        "a session already held keeps its record"
    );
    assert!(still.course.withdrawn_at.is_some());
    app.api_post(
        "/api/v1/training/sessions",
        &operator,
        later_session(14, 15),
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "course_withdrawn");
    app.api(
        "POST",
        &format!("/api/v1/training/courses/{}/withdraw", past.course.id),
        Some(&operator),
        None,
    )
    .await
    .assert_bilingual_error(StatusCode::CONFLICT, "course_withdrawn");
}

async fn training_edits_refuse_bad_input_and_change_nothing(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let operator = app.token("demo-operator").await;
    let hospital = app.token("demo-hospital").await;
    register_for_training(app, &hospital, session, "一番 太郎")
        .await
        .assert_status(StatusCode::CREATED);
    let before = training_session_json(app, &operator, session).await;
    let course = before["course"]["id"].as_i64().expect("course");
    let audit_before = app.audit_changes().await;
    // Institutions' users and vendors may not edit or withdraw.
    for login in [
        "demo-hospital",
        "demo-clinic",
        "demo-vendor",
        "demo-inspector-13",
    ] {
        let token = app.token(login).await;
        for (method, path, body) in [
            (
                "PUT",
                format!("/api/v1/training/sessions/{session}"),
                Some(session_edit(&before)),
            ),
            (
                "POST",
                format!("/api/v1/training/sessions/{session}/withdraw"),
                None,
            ),
            (
                "PUT",
                format!("/api/v1/training/courses/{course}"),
                Some(
                    json!({"version": 1, "title_ja": "乗っ取り", "audience": "beginner", "format": "online"}),
                ),
            ),
            (
                "POST",
                format!("/api/v1/training/courses/{course}/withdraw"),
                None,
            ),
        ] {
            app.api(method, &path, Some(&token), body)
                .await
                .assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
        }
    }
    // Bad input from the operator: the field named, in both languages.
    let put = |body: Value| {
        let path = format!("/api/v1/training/sessions/{session}");
        let token = operator.clone();
        async move { app.api_put(&path, &token, body).await }
    };
    for (field, value, named) in [
        ("capacity", json!(-1), "capacity"),
        ("capacity", json!(0), "capacity"),
        ("capacity", json!(100_000), "capacity"),
        (
            "registration_deadline",
            json!(format!(
                "{}T17:00",
                before["starts_at"]
                    .as_str()
                    .unwrap_or_default()
                    .get(..10)
                    .unwrap_or_default()
            )),
            "registration_deadline",
        ),
        ("ends_at", before["starts_at"].clone(), "ends_at"),
        ("starts_at", json!("来週"), "starts_at"),
        ("venue", json!("  "), "venue"),
    ] {
        let mut edit = session_edit(&before);
        edit[field] = value;
        let r = put(edit).await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
        assert_eq!(r.json()["error"]["field"], named, "{}", r.body);
    }
    // Broken JSON is refused as every JSON body of the API is; well-formed JSON that is not
    // a session edit names what is wrong.
    for (body, status, code) in [
        (
            "{\"version\": 1, \"capacity\": ",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "{\"version\": 1}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "{\"capacity\": 3}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        ("[]", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
    ] {
        app.raw(
            "PUT",
            &format!("/api/v1/training/sessions/{session}"),
            &operator,
            "application/json",
            body,
        )
        .await
        .assert_bilingual_error(status, code);
    }
    let mut extra = session_edit(&before);
    extra["course_id"] = json!(1);
    put(extra)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    app.api_put(
        "/api/v1/training/sessions/999999",
        &operator,
        session_edit(&before),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    app.api(
        "POST",
        "/api/v1/training/sessions/abc/withdraw",
        Some(&operator),
        None,
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_session");
    for (body, code) in [
        (
            json!({"version": 1, "title_ja": "", "audience": "beginner", "format": "online"}),
            "invalid_value",
        ),
        (
            json!({"version": 1, "title_ja": "A", "audience": "everyone", "format": "online"}),
            "invalid_value",
        ),
        (
            json!({"title_ja": "A", "audience": "beginner", "format": "online"}),
            "invalid_body",
        ),
    ] {
        app.api_put(
            &format!("/api/v1/training/courses/{course}"),
            &operator,
            body,
        )
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    app.api_put(
        "/api/v1/training/courses/999999",
        &operator,
        json!({"version": 1, "title_ja": "A", "audience": "beginner", "format": "online"}),
    )
    .await
    .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_course");
    // Nothing changed.
    assert_eq!(training_session_json(app, &operator, session).await, before);
    assert_eq!(app.audit_changes().await, audit_before, "nothing audited");
}

async fn training_lecturers_are_listed_and_kept(app: &TestApp) {
    let operator = app.token("demo-operator").await;
    let staff = app.token("demo-hospital-staff").await;
    let list = |token: String| async move {
        let r = app.api_get_ok("/api/v1/training/lecturers", &token).await;
        r.json()["lecturers"]
            .as_array()
            .cloned()
            .expect("lecturers")
    };
    // Anyone signed in reads the list (the demo's two entries).
    let demo = list(staff.clone()).await;
    assert_eq!(demo.len(), 2);
    assert!(demo.iter().any(|l| l["kind"] == "technician"));
    app.get("/api/v1/training/lecturers")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    let entry = json!({"name": "佐々木 健", "kind": "technician", "affiliation": "初動対応支援", "fields": "ログ保全"});
    for login in ["demo-hospital", "demo-vendor", "demo-prefecture-13"] {
        let token = app.token(login).await;
        app.api_post("/api/v1/training/lecturers", &token, entry.clone())
            .await
            .assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    }
    let r = app
        .api_create("/api/v1/training/lecturers", &operator, entry)
        .await;
    let id = r["id"].as_i64().expect("id");
    assert_eq!(list(staff.clone()).await.len(), 3);
    // Bad entries: the field named; nothing added or changed.
    for (body, field) in [
        (
            json!({"name": "", "kind": "lecturer", "fields": "x"}),
            Some("name"),
        ),
        (
            json!({"name": "A", "kind": "guest", "fields": "x"}),
            Some("kind"),
        ),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "  "}),
            Some("fields"),
        ),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "x".repeat(201)}),
            Some("fields"),
        ),
        (json!({"name": "A", "kind": "lecturer"}), None),
        (
            json!({"name": "A", "kind": "lecturer", "fields": "x", "phone": "1"}),
            None,
        ),
    ] {
        for (method, path) in [
            ("POST", "/api/v1/training/lecturers".to_owned()),
            ("PUT", format!("/api/v1/training/lecturers/{id}")),
        ] {
            let r = app
                .api(method, &path, Some(&operator), Some(body.clone()))
                .await;
            match field {
                Some(f) => {
                    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
                    assert_eq!(r.json()["error"]["field"], f);
                }
                None => r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            }
        }
    }
    let now = list(staff.clone()).await;
    assert_eq!(now.len(), 3);
    assert!(
        now.iter()
            .any(|l| l["id"] == id && l["fields"] == "ログ保全")
    );

    let change = json!({"name": "佐々木 健", "kind": "lecturer", "affiliation": "", "fields": "ログ保全、訓練"});
    let clinic = app.token("demo-clinic").await;
    let lecturers_path = format!("/api/v1/training/lecturers/{id}");
    app.api_put(&lecturers_path, &clinic, change.clone())
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    app.api_put_ok(&lecturers_path, &operator, change.clone())
        .await;
    let shown = list(staff.clone()).await;
    let entry = shown.iter().find(|l| l["id"] == id).expect("the entry");
    assert_eq!(entry["kind"], "lecturer");
    assert_eq!(entry["fields"], "ログ保全、訓練");
    app.api_put("/api/v1/training/lecturers/999999", &operator, change)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_lecturer");

    app.api_delete(&lecturers_path, &staff)
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "operator_only");
    app.api_delete(&lecturers_path, &operator)
        .await
        .assert_status(StatusCode::OK);
    app.api_delete(&lecturers_path, &operator)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "unknown_lecturer");
    assert_eq!(list(staff).await.len(), 2);
    for action in [
        "training.lecturer.add",
        "training.lecturer.update",
        "training.lecturer.delete",
    ] {
        assert!(audit_count(app, action).await >= 1, "{action} audited");
    }

    // The page: the operator edits and removes; others see the list only.
    let web = app.web_login("demo-operator").await;
    let page = app.page(&web, "/training/library").await;
    let first = demo[0]["id"].as_i64().expect("id");
    let edit_path = format!("/training/lecturers/{first}/edit");
    assert!(page.body.contains(&edit_path));
    let staff_web = app.web_login("demo-hospital-staff").await;
    let page = app.page(&staff_web, "/training/library").await;
    assert!(page.body.contains("初動対応支援チーム") && !page.body.contains("/edit\""));
    app.get_page(&staff_web.cookie, &edit_path)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Adding without a name: the field is marked with its message, the rest kept.
    let r = app
        .submit(
            &web,
            "/training/lecturers",
            "name=&kind=technician&affiliation=X%E7%97%85%E9%99%A2&fields=VPN",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("id=\"lecturer-name-error\">氏名を入力してください");
    assert!(r.body.contains("value=\"X病院\""));
    assert_eq!(list(app.token("demo-operator").await).await.len(), 2);
    app.page(&web, &edit_path).await;
    app.submit_accepted(
        &web,
        &edit_path,
        "name=%E9%AB%98%E6%A9%8B+%E8%AA%A0&kind=lecturer&affiliation=&fields=BCP",
    )
    .await;
    let delete_path = format!("/training/lecturers/{first}/delete");
    let r = app
        .post_form(&web.cookie, &delete_path, "csrf=wrong", false)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");
    app.submit_accepted(&web, &delete_path, "").await;
    assert_eq!(list(app.token("demo-operator").await).await.len(), 1);
}

async fn training_edit_pages_mark_fields_and_withdraw(app: &TestApp) {
    let session = open_training_session(app, 2).await;
    let hospital_token = app.token("demo-hospital").await;
    for name in ["一番 太郎", "二番 花子"] {
        register_for_training(app, &hospital_token, session, name)
            .await
            .assert_status(StatusCode::CREATED);
    }
    let operator = app.web_login("demo-operator").await;
    let hospital = app.web_login("demo-hospital").await;
    let edit_path = format!("/training/sessions/{session}/edit");
    app.get_page(&hospital.cookie, &edit_path)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let manage = app.page(&operator, "/training/manage").await;
    assert!(
        manage.body.contains(&edit_path),
        "the operator's list links to the edit page"
    );
    let page = app.page(&operator, &edit_path).await;
    let version = page.hidden("version").expect("version field");
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page
            .body
            .find(&marker)
            .map(|i| i + marker.len())
            .unwrap_or_default();
        let end = page.body[start..].find('"').unwrap_or_default();
        page.body[start..start + end].to_owned()
    };
    let form = |version: &str, capacity: &str, deadline: &str| {
        format!(
            "version={version}&starts_at={}&ends_at={}&registration_deadline={deadline}&capacity={capacity}&venue=Zoom",
            field("starts_at"),
            field("ends_at"),
        )
    };
    let deadline = field("registration_deadline");
    // A negative capacity and a deadline after the start: each marked at its field.
    let r = app
        .submit(&operator, &edit_path, &form(&version, "-3", &deadline))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("id=\"capacity-error\">定員は1〜10000人で指定してください");
    assert!(
        r.body.contains("name=\"capacity\" value=\"-3\""),
        "the value typed is kept"
    );
    let late = format!("{}T23:00", &field("starts_at")[..10]);
    let r = app
        .submit(&operator, &edit_path, &form(&version, "5", &late))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("id=\"registration_deadline-error\">申込締切は開始日時以前にしてください")
    );
    // Below the seats taken: refused at the capacity field.
    let r = app
        .submit(&operator, &edit_path, &form(&version, "1", &deadline))
        .await
        .assert_status(StatusCode::CONFLICT);
    r.assert_body_contains("id=\"capacity-error\">定員を1名にはできません");
    // Without the CSRF token: refused.
    app.post_form(
        &operator.cookie,
        &edit_path,
        &format!("csrf=x&{}", form(&version, "5", &deadline)),
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let unchanged = app.training_session(session).await;
    assert_eq!((unchanged.version, unchanged.rules.capacity), (1, 2));
    // Saved; then the same form again is a stale edit, shown with the stored values.
    app.submit_accepted(&operator, &edit_path, &form(&version, "4", &deadline))
        .await;
    let r = app
        .submit(&operator, &edit_path, &form(&version, "6", &deadline))
        .await
        .assert_status(StatusCode::CONFLICT);
    assert!(r.body.contains("他の人がこの内容を変更しました"));
    assert!(
        r.body.contains("name=\"capacity\" value=\"4\"")
            && r.body.contains("name=\"version\" value=\"2\"")
    );
    // Withdrawing asks for the box to be ticked.
    let withdraw = format!("/training/sessions/{session}/withdraw");
    let r = app
        .submit(&operator, &withdraw, "")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("確認欄にチェック"));
    app.submit(&hospital, &withdraw, "confirm=yes")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert!(!app.training_session(session).await.is_withdrawn());
    app.submit_accepted(&operator, &withdraw, "confirm=yes")
        .await;
    // The registrant sees it on /training; the form to register is gone.
    let page = app.page(&hospital, "/training").await;
    let section = page
        .body
        .split(&format!("id=\"session-{session}\""))
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the withdrawn session is shown to its registrants");
    assert!(section.contains("この回は中止になりました"));
    assert!(!section.contains("/register") && !section.contains("/cancel"));
    let fy = FiscalYear::containing(unchanged.rules.starts_at.date()).start_year();
    let record = app
        .page(
            &hospital,
            &format!("/institutions/{HOSPITAL}/training/{fy}"),
        )
        .await;
    assert!(
        record.body.contains("この回は中止になりました"),
        "the record marks the places"
    );
    let operator_view = app
        .page(&operator, &format!("/training/sessions/{session}"))
        .await;
    assert!(operator_view.body.contains("この回は中止になりました"));
    assert!(
        !operator_view.body.contains(&edit_path),
        "no edit link once withdrawn"
    );
    let clinic = app.web_login("demo-clinic").await;
    let page = app.page(&clinic, "/training").await;
    assert!(
        !page.body.contains(&format!("id=\"session-{session}\"")),
        "gone from the open list"
    );
    // The course page: edit with a marked field, then withdraw.
    let course = unchanged.course.id;
    let course_path = format!("/training/courses/{course}/edit");
    app.page(&operator, &course_path).await;
    let r = app
        .submit(
            &operator,
            &course_path,
            "version=1&title_ja=&audience=beginner&format=online",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("id=\"title_ja-error\">コース名を入力してください")
    );
    app.submit_accepted(
        &operator,
        &course_path,
        "version=1&title_ja=%E6%94%B9%E8%A8%82&audience=executive&format=workshop",
    )
    .await;
    app.submit_accepted(
        &operator,
        &format!("/training/courses/{course}/withdraw"),
        "confirm=yes",
    )
    .await;
    let course = app
        .state
        .store
        .training_course(course)
        .await
        .expect("read")
        .expect("course");
    assert_eq!(course.title_ja, "改訂");
    assert!(course.withdrawn_at.is_some());
}
