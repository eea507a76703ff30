//! Institutions (`src/institutions/`): who sees which institution (institution users,
//! inspectors by prefecture, on the API and the pages, in either language), an institution
//! without a medical information system, and the national administrator registering
//! institutions and users.

use super::*;

on_both_engines!(
    institutions_and_inspectors_are_scoped,
    no_medical_information_system_needs_no_answers,
    national_admin_registers_institutions_and_users,
    pages_are_scoped_and_bilingual,
);

async fn institutions_and_inspectors_are_scoped(app: &TestApp) {
    let year = app.year();
    let clinic = app.token("demo-clinic").await;
    let inspector_46 = app.token("demo-inspector-46").await;
    let inspector_13 = app.token("demo-inspector-13").await;
    for (token, id) in [
        (&clinic, HOSPITAL),
        (&inspector_46, HOSPITAL),
        (&inspector_13, HOSPITAL_46),
    ] {
        for path in [
            format!("/api/v1/institutions/{id}"),
            format!("/api/v1/institutions/{id}/assessments/{year}"),
            format!("/api/v1/institutions/{id}/inspection/{year}"),
            format!("/api/v1/institutions/{id}/assessments/{year}/items/1-1/history"),
        ] {
            app.api_get(&path, token)
                .await
                .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        }
        app.api_put(
            &format!("/api/v1/institutions/{id}/assessments/{year}/items/1-1"),
            token,
            json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")}),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api_patch(
            &format!("/api/v1/institutions/{id}"),
            token,
            json!({"name": "x"}),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api_post(
            &format!("/api/v1/institutions/{id}/users"),
            token,
            json!({"login": "intruder", "password": "long enough password", "role": "admin"}),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api_put(
            &format!("/api/v1/institutions/{id}/inspection/{year}/observations"),
            token,
            json!({"contact_chart_seen": true}),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Lists are scoped the same way.
    let list = app.api_get("/api/v1/institutions", &clinic).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let list = app
        .api_get("/api/v1/institutions", &inspector_46)
        .await
        .json();
    assert!(elements(&list).iter().all(|i| i["prefecture"] == "46"));
    let list = app
        .api_get("/api/v1/institutions", &inspector_13)
        .await
        .json();
    // Four demo institutions and the six hospitals of the assurance-project demo.
    assert_eq!(list.as_array().map(Vec::len), Some(10));
    // A missing id and a foreign id answer the same.
    app.api_get("/api/v1/institutions/999999", &clinic)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    app.api_get("/api/v1/institutions/abc", &clinic)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn no_medical_information_system_needs_no_answers(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-clinic").await;
    app.api_patch(
        &format!("/api/v1/institutions/{CLINIC}"),
        &admin,
        json!({"has_medical_information_system": false}),
    )
    .await
    .assert_status(StatusCode::OK);
    let a = app.assessment(CLINIC, year, &admin).await;
    assert!(
        elements(&a["items"])
            .iter()
            .all(|i| i["applicable"] == false
                && i["not_applicable_reason"] == "no_medical_information_system")
    );
    let v = app
        .api_get(
            &format!("/api/v1/institutions/{CLINIC}/inspection/{year}"),
            &admin,
        )
        .await
        .json();
    assert_eq!(v["ready"], true);
    assert_eq!(v["findings"][0]["code"], "no_medical_information_system");
    // An institution admin cannot move the institution to another prefecture, nor send
    // bad values.
    let profile = format!("/api/v1/institutions/{CLINIC}");
    app.api_patch(&profile, &admin, json!({"prefecture": "46"}))
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    for bad in [
        json!({"beds": "many"}),
        json!({"colour": "red"}),
        json!({"beds": 30}),
    ] {
        app.api_patch(&profile, &admin, bad)
            .await
            .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    }
    // Staff may not change the profile.
    let staff = app.token("demo-hospital-staff").await;
    app.api_patch(
        &format!("/api/v1/institutions/{HOSPITAL}"),
        &staff,
        json!({"name": "x"}),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn national_admin_registers_institutions_and_users(app: &TestApp) {
    let national = app.token("demo-national").await;
    let body = json!({"name": "南海中央病院", "kind": "hospital", "prefecture": "47", "beds": 250, "has_medical_information_system": true, "has_vendor_contracts": true, "medical_institution_code": "4711234567"});
    let r = app
        .api_create("/api/v1/institutions", &national, body.clone())
        .await;
    let id = r["id"].as_i64().expect("id");
    let got = app
        .api_get(&format!("/api/v1/institutions/{id}"), &national)
        .await
        .json();
    assert_eq!(got["prefecture"], "47");
    assert_eq!(got["form"], "institution");
    let hospital = app.token("demo-hospital").await;
    app.api_post("/api/v1/institutions", &hospital, body.clone())
        .await
        .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    for (field, value) in [
        ("kind", json!("dentist")),
        ("prefecture", json!("48")),
        ("beds", json!(5)),
        ("medical_institution_code", json!("123")),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        app.api_post("/api/v1/institutions", &national, bad)
            .await
            .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    }
    let users_path = format!("/api/v1/institutions/{id}/users");
    app.api_post(
        &users_path,
        &national,
        json!({"login": "nankai-admin", "password": "a long pass phrase", "role": "admin"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let admin = {
        let r = app
            .api_login(json!({"login": "nankai-admin", "password": "a long pass phrase"}))
            .await;
        r.json()["token"].as_str().expect("token").to_owned()
    };
    // The institution's administrator adds staff; a login taken, a short password or a
    // role above theirs is refused.
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let staff =
        json!({"login": "nankai-staff", "password": "another long phrase", "role": "staff"});
    for (body, refusal) in [
        (staff.clone(), None),
        (staff, Some("invalid_fields")),
        (
            json!({"login": "short-pw", "password": "short", "role": "staff"}),
            Some("password_too_short"),
        ),
        (
            json!({"login": "boss", "password": "a long pass phrase", "role": "national_admin"}),
            Some("invalid_value"),
        ),
    ] {
        let r = app.api_post(&users_path, &admin, body).await;
        match refusal {
            None => assert_eq!(r.status, StatusCode::CREATED, "{}", r.body),
            Some(code) => r.assert_bilingual_error(unprocessable, code),
        }
    }
    let staff = app.token_with("nankai-staff", "another long phrase").await;
    app.api_post(
        &users_path,
        &staff,
        json!({"login": "nankai-2", "password": "another long phrase", "role": "staff"}),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn pages_are_scoped_and_bilingual(app: &TestApp) {
    let year = app.year();
    let clinic = app.web_login("demo-clinic").await;
    for path in [
        format!("/institutions/{HOSPITAL}"),
        format!("/institutions/{HOSPITAL}/checklist/{year}"),
        format!("/institutions/{HOSPITAL}/inspection/{year}"),
        format!("/institutions/{HOSPITAL}/checklist/{year}/print"),
        format!("/institutions/{HOSPITAL}/edit"),
    ] {
        let r = app.get_page(&clinic.cookie, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("見つかりません"));
    }
    app.submit(
        &clinic,
        &format!("/institutions/{HOSPITAL}/checklist/{year}/items/1-1"),
        &format!("round=1&answer=yes&checked_on={year}-06-01"),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    let inspector = app.web_login("demo-inspector-46").await;
    let list = app.get_page(&inspector.cookie, "/institutions").await;
    assert!(list.body.contains("桜島記念病院") && !list.body.contains("みなと中央病院"));
    assert_eq!(
        app.get_page(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL}/inspection/{year}")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let inspection_path = format!("/institutions/{HOSPITAL_46}/inspection/{year}");
    let own = app.page(&inspector, &inspection_path).await;
    assert!(own.body.contains("data-verdict=\"not-ready\""));
    // The English switch works on every page and is remembered.
    let r = app
        .get("/lang/en?next=/institutions")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(r.cookie("mamori_lang").as_deref(), Some("en"));
    let english = app
        .get_page(&inspector.english_cookie(), &inspection_path)
        .await;
    assert!(english.body.contains("Log out") && english.body.contains("lang=\"en\""));
    // A refusal is drawn as the error page in the reader's language, with its status.
    let missing = "/institutions/999999/checklist/2025";
    let refused = app
        .get_page(&inspector.english_cookie(), missing)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    refused.assert_body_contains("<title>Error");
    refused.assert_body_contains("Not found");
    let refused = app
        .get_page(&inspector.cookie, missing)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    refused.assert_body_contains("見つかりません");
    // Redirects after login stay on this site.
    let r = app.get("/lang/en?next=//evil.example").await;
    assert_eq!(r.location(), "/");
}
