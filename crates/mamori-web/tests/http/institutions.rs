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
            app.api("GET", &path, Some(token), None)
                .await
                .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        }
        app.api(
            "PUT",
            &format!("/api/v1/institutions/{id}/assessments/{year}/items/1-1"),
            Some(token),
            Some(json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "PATCH",
            &format!("/api/v1/institutions/{id}"),
            Some(token),
            Some(json!({"name": "x"})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "POST",
            &format!("/api/v1/institutions/{id}/users"),
            Some(token),
            Some(json!({"login": "intruder", "password": "long enough password", "role": "admin"})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
        app.api(
            "PUT",
            &format!("/api/v1/institutions/{id}/inspection/{year}/observations"),
            Some(token),
            Some(json!({"contact_chart_seen": true})),
        )
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Lists are scoped the same way.
    let list = app
        .api("GET", "/api/v1/institutions", Some(&clinic), None)
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let list = app
        .api("GET", "/api/v1/institutions", Some(&inspector_46), None)
        .await
        .json();
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|i| i["prefecture"] == "46")
    );
    let list = app
        .api("GET", "/api/v1/institutions", Some(&inspector_13), None)
        .await
        .json();
    // Four demo institutions and the six hospitals of the assurance-project demo.
    assert_eq!(list.as_array().map(Vec::len), Some(10));
    // A missing id and a foreign id answer the same.
    app.api("GET", "/api/v1/institutions/999999", Some(&clinic), None)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    app.api("GET", "/api/v1/institutions/abc", Some(&clinic), None)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn no_medical_information_system_needs_no_answers(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-clinic").await;
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/institutions/{CLINIC}"),
            Some(&admin),
            Some(json!({"has_medical_information_system": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/assessments/{year}"),
            Some(&admin),
            None,
        )
        .await
        .json();
    assert!(
        a["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["applicable"] == false
                && i["not_applicable_reason"] == "no_medical_information_system")
    );
    let v = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{CLINIC}/inspection/{year}"),
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(v["ready"], true);
    assert_eq!(v["findings"][0]["code"], "no_medical_information_system");
    // An institution admin cannot move the institution to another prefecture.
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"prefecture": "46"})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"beds": "many"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"colour": "red"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{CLINIC}"),
        Some(&admin),
        Some(json!({"beds": 30})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    // Staff may not change the profile.
    let staff = app.token("demo-hospital-staff").await;
    app.api(
        "PATCH",
        &format!("/api/v1/institutions/{HOSPITAL}"),
        Some(&staff),
        Some(json!({"name": "x"})),
    )
    .await
    .assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn national_admin_registers_institutions_and_users(app: &TestApp) {
    let national = app.token("demo-national").await;
    let body = json!({"name": "南海中央病院", "kind": "hospital", "prefecture": "47", "beds": 250, "has_medical_information_system": true, "has_vendor_contracts": true, "medical_institution_code": "4711234567"});
    let r = app
        .api(
            "POST",
            "/api/v1/institutions",
            Some(&national),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().expect("id");
    let got = app
        .api(
            "GET",
            &format!("/api/v1/institutions/{id}"),
            Some(&national),
            None,
        )
        .await
        .json();
    assert_eq!(got["prefecture"], "47");
    assert_eq!(got["form"], "institution");
    let hospital = app.token("demo-hospital").await;
    app.api(
        "POST",
        "/api/v1/institutions",
        Some(&hospital),
        Some(body.clone()),
    )
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
        let r = app
            .api("POST", "/api/v1/institutions", Some(&national), Some(bad))
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    }
    let r = app
        .api(
            "POST",
            &format!("/api/v1/institutions/{id}/users"),
            Some(&national),
            Some(
                json!({"login": "nankai-admin", "password": "a long pass phrase", "role": "admin"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let admin = {
        let r = app
            .api(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": "nankai-admin", "password": "a long pass phrase"})),
            )
            .await;
        r.json()["token"].as_str().expect("token").to_owned()
    };
    let r = app.api("POST", &format!("/api/v1/institutions/{id}/users"), Some(&admin), Some(json!({"login": "nankai-staff", "password": "another long phrase", "role": "staff"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "nankai-staff", "password": "another long phrase", "role": "staff"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "short-pw", "password": "short", "role": "staff"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "password_too_short");
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&admin),
        Some(json!({"login": "boss", "password": "a long pass phrase", "role": "national_admin"})),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value");
    let staff = app.token_with("nankai-staff", "another long phrase").await;
    app.api(
        "POST",
        &format!("/api/v1/institutions/{id}/users"),
        Some(&staff),
        Some(json!({"login": "nankai-2", "password": "another long phrase", "role": "staff"})),
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
    let r = app
        .post_form(
            &clinic.cookie,
            &format!("/institutions/{HOSPITAL}/checklist/{year}/items/1-1"),
            &format!(
                "csrf={}&round=1&answer=yes&checked_on={year}-06-01",
                clinic.csrf
            ),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
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
    let own = app
        .get_page(
            &inspector.cookie,
            &format!("/institutions/{HOSPITAL_46}/inspection/{year}"),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("data-verdict=\"not-ready\""));
    // The English switch works on every page and is remembered.
    let r = app
        .send(
            Request::get("/lang/en?next=/institutions")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.cookie("mamori_lang").as_deref(), Some("en"));
    let english = app
        .get_page(
            &format!("{}; mamori_lang=en", inspector.cookie),
            &format!("/institutions/{HOSPITAL_46}/inspection/{year}"),
        )
        .await;
    assert!(english.body.contains("Log out") && english.body.contains("lang=\"en\""));
    // Redirects after login stay on this site.
    let r = app
        .send(
            Request::get("/lang/en?next=//evil.example")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/")
    );
}
