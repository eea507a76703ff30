//! The authorization matrix: every route of the application (every API operation of the
//! OpenAPI document and every page route) with the rule it follows ([`rule_for`]), called
//! by each kind of caller, inside and outside the scope of the data it names. A route
//! without a rule fails the test.

use super::*;

on_both_engines!(authorization_matrix_covers_every_route,);

/// What a route allows, for the authorization matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user; it acts on the caller's own account.
    SignedIn,
    /// An institution's data: read by those who see it (its users, the inspectors and
    /// prefecture officers of its prefecture, the national office); 404 for everyone else.
    Read,
    /// Its checklist answers: its own users only.
    Answer,
    /// Its profile and users: its admin and the national office.
    Administer,
    /// What was seen on site: the inspectors of its prefecture.
    Observe,
    /// The inspection's date: the inspectors and the prefecture officers of its prefecture.
    Schedule,
    /// The national office only; others get `others`.
    National(StatusCode),
    /// A contract's 事業者確認用, read: those who see the institution and the vendor serving
    /// the contract; 404 for everyone else (other vendors included).
    VendorForm,
    /// A contract's 事業者確認用, written: the vendor serving it only; those who see the
    /// institution get 403, everyone else 404.
    VendorAnswer,
    /// A prefecture's survey (ranking, selection, 別紙1, submission): its officer and the
    /// national office; 404 for everyone else.
    Prefecture,
    /// An institution's survey answers: its admin, its prefecture's officer, the national
    /// office; 403 for others who see the institution, 404 for the rest.
    Apply,
    /// Running training (courses, sessions, attendance, lecturers): the training operator
    /// and the national office; 403 for everyone else.
    TrainingOperator,
    /// Registering staff for a training session: any institution's users (for their own
    /// institution); 403 for everyone else.
    TrainingRegister,
    /// A registration: its institution's users only; 404 for everyone else.
    TrainingPlace,
    /// Reporting a suspected incident: any institution's users (for their own); 403 for
    /// every other signed-in caller.
    IncidentReport,
    /// The list of cases: institutions' users (their own) and the desk; 404 for the rest.
    IncidentList,
    /// The hospital's case, read or noted: its users and the desk; 404 for everyone else.
    IncidentCase,
    /// The hospital's case's state: the desk; 403 for the hospital's users, 404 for the rest.
    IncidentDesk,
    /// Oversight's figures and search: inspectors, prefecture officers and the national
    /// office (each for its own scope); 403 for every other signed-in caller.
    Oversight,
    /// The hospital admin's notification: its recipient only; 404 for everyone else.
    OwnNotification,
}

/// A caller's part in the hospital's インシデントかも? case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Incident {
    /// No institution to report for, not the desk.
    NoPart,
    /// Reports for another institution.
    OtherInstitution,
    /// The hospital's users.
    Reporter,
    Desk,
}

/// Every route of the application and its rule. A route without an entry fails the test.
fn rule_for(method: &str, path: &str) -> Option<Rule> {
    use Rule::*;
    Some(match (method, path) {
        (_, p) if p.starts_with("/api/v1/oversight/") || p.starts_with("/oversight") => Oversight,
        (
            _,
            "/healthz" | "/api/openapi.json" | "/api/v1/login" | "/login" | "/lang/{code}"
            | "/login/two-factor",
        ) => Public,
        ("POST", "/api/v1/invitations/{token}/accept") => Public,
        ("GET", "/incidents/new") => Public,
        ("POST", "/incidents" | "/api/v1/incidents") => IncidentReport,
        ("GET", "/incidents" | "/api/v1/incidents") => IncidentList,
        (
            "GET" | "POST",
            "/incidents/{case_id}"
            | "/api/v1/incidents/{case_id}"
            | "/incidents/{case_id}/notes"
            | "/api/v1/incidents/{case_id}/notes",
        ) => IncidentCase,
        ("POST" | "PUT", "/incidents/{case_id}/state" | "/api/v1/incidents/{case_id}/state") => {
            IncidentDesk
        }
        ("GET" | "POST", "/invitations/{token}") => Public,
        ("GET", "/vendor") => SignedIn,
        ("GET", "/vendor/contracts/{contract_id}/{fy}") => VendorForm,
        (
            "POST",
            "/vendor/contracts/{contract_id}/{fy}/items/{key}"
            | "/vendor/contracts/{contract_id}/{fy}/copy",
        ) => VendorAnswer,
        ("POST", "/institutions/{id}/vendors") => Administer,
        ("POST", "/vendor/contracts/{contract_id}/{fy}/deliveries") => VendorAnswer,
        ("GET", "/vendor/contracts/{contract_id}/deliveries/{delivery_id}") => VendorForm,
        (
            "GET",
            "/api/v1/vendor/contracts/{contract_id}/deliveries"
            | "/api/v1/vendor/contracts/{contract_id}/deliveries/{delivery_id}/file",
        ) => VendorForm,
        ("POST", "/api/v1/vendor/contracts/{contract_id}/deliveries") => VendorAnswer,
        (
            "GET" | "POST",
            "/institutions/{id}/contact-chart/edit" | "/institutions/{id}/continuity/edit",
        ) => Answer,
        (
            "GET",
            "/institutions/{id}/vendors"
            | "/institutions/{id}/coverage/{fy}"
            | "/institutions/{id}/contact-chart"
            | "/institutions/{id}/contact-chart/print"
            | "/institutions/{id}/contact-chart.svg"
            | "/institutions/{id}/continuity",
        ) => Read,
        (
            "GET",
            "/static/style.css" | "/static/htmx.min.js" | "/static/app.js" | "/static/ranking.js",
        ) => Public,
        ("GET", "/assurance") => SignedIn,
        ("GET", "/assurance/{fy}") => National(StatusCode::FORBIDDEN),
        ("GET" | "POST", "/assurance/new") => National(StatusCode::FORBIDDEN),
        (_, p) if p.starts_with("/assurance/{fy}/institutions/") => Apply,
        (_, "/" | "/logout" | "/api/v1/logout" | "/api/v1/me" | "/api/v1/checklists") => SignedIn,
        ("GET", "/api/v1/vendor/contracts") => SignedIn,
        (
            "GET",
            "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}",
        ) => VendorForm,
        (
            "PUT",
            "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}",
        )
        | ("POST", "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/copy") => {
            VendorAnswer
        }
        (
            "GET",
            "/api/v1/institutions/{id}/vendor-contracts"
            | "/api/v1/institutions/{id}/coverage/{fiscal_year}"
            | "/api/v1/institutions/{id}/contact-chart"
            | "/api/v1/institutions/{id}/contact-chart.svg"
            | "/api/v1/institutions/{id}/continuity",
        ) => Read,
        ("POST", "/api/v1/institutions/{id}/vendor-contracts") => Administer,
        (
            "PUT",
            "/api/v1/institutions/{id}/contact-chart" | "/api/v1/institutions/{id}/continuity",
        ) => Answer,
        ("GET", "/institutions" | "/api/v1/institutions") => SignedIn,
        (_, p) if p.starts_with("/account") => SignedIn,
        (_, p)
            if p.starts_with("/notifications/failed-mail")
                || p.starts_with("/api/v1/notifications/failed-mail") =>
        {
            National(StatusCode::FORBIDDEN)
        }
        (_, p) if p.contains("{notification_id}") => OwnNotification,
        (_, p)
            if p.starts_with("/notifications")
                || p.starts_with("/api/v1/notifications")
                || p.starts_with("/api/v1/me/") =>
        {
            SignedIn
        }
        // The feed's token is its key: one that names no feed is not found, for everyone.
        ("GET", "/calendar/{file}") => Public,
        ("POST", "/institutions" | "/api/v1/institutions") => National(StatusCode::FORBIDDEN),
        ("GET", "/institutions/new") => National(StatusCode::FORBIDDEN),
        (_, p) if p.starts_with("/admin/") => National(StatusCode::NOT_FOUND),
        ("GET", "/institutions/{id}" | "/api/v1/institutions/{id}") => Read,
        ("GET", p)
            if p.contains("/checklist/")
                || p.contains("/assessments/")
                || p.contains("/inspection/") =>
        {
            Read
        }
        ("POST", "/institutions/{id}/checklist/{fy}/items/{key}") => Answer,
        (
            "POST",
            "/institutions/{id}/checklist/{fy}/items/{key}/evidence"
            | "/institutions/{id}/checklist/{fy}/evidence/carry"
            | "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}/evidence"
            | "/api/v1/institutions/{id}/assessments/{fiscal_year}/evidence/carry-forward"
            | "/evidence/{evidence_id}/replace"
            | "/evidence/{evidence_id}/remove"
            | "/api/v1/evidence/{evidence_id}/versions",
        )
        | ("DELETE", "/api/v1/evidence/{evidence_id}") => Answer,
        (
            "GET",
            "/evidence/{evidence_id}/file"
            | "/api/v1/evidence/{evidence_id}"
            | "/api/v1/evidence/{evidence_id}/file",
        ) => Read,
        ("PUT" | "DELETE", "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}") => {
            Answer
        }
        ("POST", "/institutions/{id}/inspection/{fy}/observations") => Observe,
        ("POST", "/institutions/{id}/inspection/{fy}/schedule")
        | ("PUT", "/api/v1/institutions/{id}/inspection/{fiscal_year}/schedule") => Schedule,
        (
            "POST",
            "/institutions/{id}/inspection/{fy}/remarks"
            | "/institutions/{id}/inspection/{fy}/result"
            | "/institutions/{id}/inspection/{fy}/remarks/{key}/reports/{report_id}/decision"
            | "/api/v1/institutions/{id}/inspection/{fiscal_year}/result"
            | "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}/reports/{report_id}/decision",
        )
        | ("PUT", "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}") => Observe,
        (
            "POST",
            "/institutions/{id}/inspection/{fy}/remarks/{key}/reports"
            | "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}/reports",
        ) => Answer,
        ("PUT", "/api/v1/institutions/{id}/inspection/{fiscal_year}/observations") => Observe,
        ("GET" | "POST", "/institutions/{id}/edit") => Administer,
        ("POST", "/institutions/{id}/users" | "/api/v1/institutions/{id}/users") => Administer,
        ("PATCH", "/api/v1/institutions/{id}") => Administer,
        (
            "POST",
            "/institutions/{id}/users/{user_id}/{action}"
            | "/institutions/{id}/unused-users/disable"
            | "/institutions/{id}/two-factor",
        ) => Administer,
        ("GET", "/institutions/{id}/access-log" | "/institutions/{id}/audit") => Administer,
        (
            "POST" | "PUT" | "GET",
            "/api/v1/programs"
            | "/api/v1/programs/{fiscal_year}/quotas"
            | "/api/v1/programs/{fiscal_year}/overview",
        ) => National(StatusCode::FORBIDDEN),
        (_, p) if p.contains("/prefectures/{pref}") => Prefecture,
        (_, p) if p.contains("/applications") => Apply,
        ("GET", "/api/v1/datasets" | "/datasets") => SignedIn,
        (
            "GET",
            "/support"
            | "/support/programs/{program_id}"
            | "/api/v1/support-programs"
            | "/api/v1/subsidy-estimate",
        ) => Public,
        ("GET", "/api/v1/institutions/{id}/suggestions") => Read,
        (
            "GET",
            "/training"
            | "/training/library"
            | "/api/v1/training/sessions"
            | "/api/v1/training/courses"
            | "/api/v1/training/materials",
        ) => SignedIn,
        ("GET", "/institutions/{id}/training/{fy}")
        | ("GET", "/api/v1/institutions/{id}/training/{fiscal_year}") => Read,
        (
            "POST",
            "/training/sessions/{session_id}/register"
            | "/api/v1/training/sessions/{session_id}/registrations",
        ) => TrainingRegister,
        ("POST", "/training/registrations/{registration_id}/cancel")
        | ("DELETE", "/api/v1/training/registrations/{registration_id}") => TrainingPlace,
        ("GET", "/api/v1/training/lecturers") => SignedIn,
        (
            "GET" | "POST",
            "/training/sessions/{session_id}/edit"
            | "/training/courses/{course_id}/edit"
            | "/training/lecturers/{lecturer_id}/edit",
        )
        | (
            "POST",
            "/training/sessions/{session_id}/withdraw"
            | "/training/courses/{course_id}/withdraw"
            | "/training/lecturers/{lecturer_id}/delete"
            | "/api/v1/training/sessions/{session_id}/withdraw"
            | "/api/v1/training/courses/{course_id}/withdraw"
            | "/api/v1/training/lecturers",
        )
        | (
            "PUT",
            "/api/v1/training/sessions/{session_id}"
            | "/api/v1/training/courses/{course_id}"
            | "/api/v1/training/lecturers/{lecturer_id}",
        )
        | ("DELETE", "/api/v1/training/lecturers/{lecturer_id}") => TrainingOperator,
        (
            "GET",
            "/training/manage"
            | "/training/sessions/{session_id}"
            | "/training/sessions/{session_id}/attendance.xlsx"
            | "/api/v1/training/sessions/{session_id}/registrations"
            | "/api/v1/training/sessions/{session_id}/attendance.xlsx",
        )
        | (
            "POST",
            "/training/courses"
            | "/training/sessions"
            | "/training/lecturers"
            | "/training/registrations/{registration_id}/attendance"
            | "/api/v1/training/courses"
            | "/api/v1/training/sessions",
        )
        | ("PUT", "/api/v1/training/registrations/{registration_id}/attendance") => {
            TrainingOperator
        }
        (
            "GET",
            "/institutions/{id}/ledger/new"
            | "/institutions/{id}/ledger/import"
            | "/institutions/{id}/ledger/{device_id}/edit",
        ) => Administer,
        ("GET", p)
            if p.starts_with("/api/v1/institutions/{id}/devices")
                || p.starts_with("/institutions/{id}/ledger") =>
        {
            Read
        }
        ("POST" | "PUT", p)
            if p.starts_with("/api/v1/institutions/{id}/devices")
                || p.starts_with("/institutions/{id}/ledger") =>
        {
            Administer
        }
        _ => return None,
    })
}

/// A caller's part in the Tokyo survey of the security-assurance project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Survey {
    Outside,
    /// Sees the hospital but may not answer for it.
    Sees,
    /// Answers for the hospital.
    Applies,
    /// Runs Tokyo's survey.
    Manages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Anonymous,
    /// Sees the hospital; may answer / administer / observe as given.
    Inside {
        answer: bool,
        administer: bool,
        observe: bool,
        national: bool,
    },
    /// The vendor serving the hospital's contract: its 事業者確認用 only, nothing of the
    /// hospital's own file.
    Vendor,
    Outside,
}

async fn authorization_matrix_covers_every_route(app: &TestApp) {
    let year = app.year();
    let spec = app.get("/api/openapi.json").await.json();
    let mut routes: Vec<(String, String, bool)> = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            routes.push((method.to_uppercase(), path.clone(), true));
        }
    }
    routes.push(("GET".into(), "/api/openapi.json".into(), true));
    for (method, path) in mamori_web::page_routes() {
        routes.push((method.to_string(), path.to_owned(), false));
    }
    // Routes that end the caller's session go last.
    routes.sort_by_key(|(_, path, _)| path.ends_with("/logout"));
    for (method, path, _) in &routes {
        assert!(
            rule_for(method, path).is_some(),
            "{method} {path} has no rule in the authorization matrix: add one"
        );
    }

    let staff_id = app
        .state
        .store
        .users_of_institution(HOSPITAL)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.login == "demo-hospital-staff")
        .expect("staff")
        .id;
    let inspector_46_id = app.user("demo-inspector-46").await.id;
    // The hospital's answer to the survey, for the routes that name an application.
    let national = app.token("demo-national").await;
    let mut body = assurance_survey_body(250);
    body["institution_id"] = json!(HOSPITAL);
    let application_id = apply_for_assurance(app, &national, year, body)
        .await
        .to_string();
    let device_id = app
        .devices(HOSPITAL)
        .await
        .first()
        .expect("the demo hospital has a ledger")
        .id;
    let delivery_id = app
        .state
        .store
        .vendor_deliveries(VENDOR_CONTRACT)
        .await
        .expect("deliveries")
        .first()
        .expect("the demo vendor delivered its MDS")
        .id;
    // A training session open for registration, and a place of the hospital in it.
    let training_session = open_training_session(app, 3).await;
    let hospital_token = app.token("demo-hospital").await;
    let training_place =
        take_training_place(app, &hospital_token, training_session, "行列 検査").await;
    let training_course = app.training_session(training_session).await.course.id;
    // The hospital's case, for the routes that name one.
    let reporter = app.token("demo-hospital-staff").await;
    let case_id = report_incident(
        app,
        &reporter,
        incident_body(&["cannot_log_in"], &["emr"], "unknown"),
    )
    .await
    .to_string();
    // The hospital's inspection, notified with a 指導 on 1-1 and its improvement report, for
    // the routes that name a report and the notice that exists once notified.
    let inspector = app.token("demo-inspector-13").await;
    let inspection = inspected_with_guidance(app, &inspector).await;
    app.api_post(&format!("{inspection}/result"), &inspector, json!({}))
        .await
        .assert_status(StatusCode::OK);
    let report_id = app
        .api_create(
            &format!("{inspection}/remarks/1-1/reports"),
            &hospital_token,
            json!({"action_taken": "行列", "done_on": mamori_app::today_in_japan().to_string()}),
        )
        .await["id"]
        .to_string();
    // A notification of the hospital's admin: its item answered いいえ, notified on its
    // target date.
    let notification_id = notify_hospital_admin(app, &hospital_token)
        .await
        .to_string();
    // A mail of the hospital admin's notifications that failed: the national office sends
    // it again.
    let mail_id = a_failed_mail(app).await.to_string();
    // An evidence of the hospital's item 1-1, for the routes that name one.
    let evidence_id = attach_evidence(app, &hospital_token, year, "1-1", "行列 証跡")
        .await
        .to_string();
    let fill = |path: &str| {
        let user = if path.starts_with("/admin/") {
            inspector_46_id
        } else {
            staff_id
        };
        path.replace("{id}", &HOSPITAL.to_string())
            .replace("{fiscal_year}", &year.to_string())
            .replace("{fy}", &year.to_string())
            .replace("{key}", "1-1")
            .replace("{user_id}", &user.to_string())
            .replace("{action}", "enable")
            .replace("{code}", "en")
            .replace("{item}", "1-1")
            .replace("{contract_id}", &VENDOR_CONTRACT.to_string())
            .replace("{token}", "no-such-invitation")
            .replace("{pref}", "13")
            .replace("{application_id}", &application_id)
            .replace("{device_id}", &device_id.to_string())
            .replace("{delivery_id}", &delivery_id.to_string())
            .replace("{session_id}", &training_session.to_string())
            .replace("{registration_id}", &training_place.to_string())
            .replace("{course_id}", &training_course.to_string())
            .replace("{program_id}", "tokyo-cybersecurity-equipment")
            .replace("{case_id}", &case_id)
            .replace("{report_id}", &report_id)
            .replace("{notification_id}", &notification_id)
            .replace("{mail_id}", &mail_id)
            .replace("{evidence_id}", &evidence_id)
    };
    let inside = |answer, administer, observe, national| Relation::Inside {
        answer,
        administer,
        observe,
        national,
    };
    let callers: Vec<(&str, Relation, Survey, Incident)> = vec![
        (
            "demo-clinic",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-vendor-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-vendor-network",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-pharmacy",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-hospital-46",
            Relation::Outside,
            Survey::Outside,
            Incident::OtherInstitution,
        ),
        (
            "demo-inspector-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        (
            "demo-prefecture-46",
            Relation::Outside,
            Survey::Outside,
            Incident::NoPart,
        ),
        ("", Relation::Anonymous, Survey::Outside, Incident::NoPart),
        // Outside the hospital's file, but the desk of its case: it comes after the check
        // that outsiders changed nothing.
        (
            "demo-operator",
            Relation::Outside,
            Survey::Outside,
            Incident::Desk,
        ),
        (
            "demo-hospital",
            inside(true, true, false, false),
            Survey::Applies,
            Incident::Reporter,
        ),
        (
            "demo-hospital-staff",
            inside(true, false, false, false),
            Survey::Sees,
            Incident::Reporter,
        ),
        (
            "demo-inspector-13",
            inside(false, false, true, false),
            Survey::Sees,
            Incident::NoPart,
        ),
        // Runs Tokyo's survey, reads its institutions' files and sets inspection dates.
        (
            "demo-prefecture-13",
            inside(false, false, false, false),
            Survey::Manages,
            Incident::NoPart,
        ),
        (
            "demo-national",
            inside(false, true, false, true),
            Survey::Manages,
            Incident::Desk,
        ),
        (
            "demo-vendor",
            Relation::Vendor,
            Survey::Outside,
            Incident::NoPart,
        ),
    ];
    // Changes are counted by the audit log (logins aside: the callers log in).
    let changes = || app.audit_changes();
    // An entry of the lecturer list per caller and per door (API, page): an operator who
    // removes one through the API still finds its page's own entry there.
    let mut lecturers = std::collections::HashMap::new();
    for (login, ..) in &callers {
        for is_api in [true, false] {
            let id = app
                .state
                .store
                .add_training_lecturer(
                    &mamori_store::NewLecturer {
                        name: format!("行列 {login} {is_api}"),
                        kind: "lecturer".into(),
                        affiliation: String::new(),
                        fields: "matrix".into(),
                    },
                    staff_id,
                )
                .await
                .expect("lecturer");
            lecturers.insert((login.to_string(), is_api), id);
        }
    }
    let mut checked = 0;
    let mut outsiders_done = false;
    let changes_before_outsiders = changes().await;
    let callers_count = callers.len();
    for (login, relation, survey, incident) in callers {
        if relation != Relation::Outside && !outsiders_done {
            assert_eq!(
                changes().await,
                changes_before_outsiders,
                "callers outside the hospital's scope changed nothing"
            );
            outsiders_done = true;
        }
        let (token, web) = if login.is_empty() {
            (None, None)
        } else {
            (
                Some(app.token(login).await),
                Some(app.web_login(login).await),
            )
        };
        for (method, path, is_api) in &routes {
            let rule = rule_for(method, path).expect("rule");
            let target = fill(path).replace(
                "{lecturer_id}",
                &lecturers[&(login.to_string(), *is_api)].to_string(),
            );
            let response = if *is_api {
                let body = match (method.as_str(), path.as_str()) {
                    ("POST", "/api/v1/programs") => Some(json!({
                        "fiscal_year": year + 5, "quotas": {"13": [1, 1, 1]}, "deadline": format!("{}-05-01", year + 5)
                    })),
                    ("POST", p) if p.ends_with("/applications") => {
                        let mut body = assurance_survey_body(250);
                        body["institution_id"] = json!(HOSPITAL);
                        Some(body)
                    }
                    ("PUT", p) if p.ends_with("/{application_id}") => {
                        Some(assurance_survey_body(260))
                    }
                    ("PUT", p) if p.ends_with("/items/{key}") || p.ends_with("/items/{item}") => {
                        Some(
                            json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")}),
                        )
                    }
                    ("PUT", p) if p.ends_with("/schedule") => {
                        Some(json!({"date": format!("{year}-12-11"), "inspectors": ["行列 検査"]}))
                    }
                    ("PUT", p) if p.contains("/remarks/") => Some(json!({"level": "advice"})),
                    ("POST", p) if p.ends_with("/inspection/{fiscal_year}/result") => {
                        Some(json!({}))
                    }
                    ("POST", p) if p.ends_with("/reports") => Some(
                        json!({"action_taken": "行列", "done_on": mamori_app::today_in_japan().to_string()}),
                    ),
                    ("POST", p) if p.ends_with("/decision") => {
                        Some(json!({"decision": "accepted"}))
                    }
                    ("PUT", _) => Some(json!({"contact_chart_seen": true})),
                    ("PATCH", _) => Some(json!({"name": "みなと中央病院"})),
                    ("POST", "/api/v1/institutions") => Some(
                        json!({"name": "matrix", "kind": "pharmacy", "prefecture": "13", "has_medical_information_system": true, "has_vendor_contracts": false}),
                    ),
                    ("POST", p) if p.ends_with("/copy") => Some(json!({"to": []})),
                    ("POST", "/api/v1/incidents") => Some(json!({"symptoms": []})),
                    ("POST", p) if p.ends_with("/notes") => Some(json!({"text": "matrix"})),
                    ("POST", p) if p.ends_with("/vendor-contracts") => Some(
                        json!({"vendor_name": "matrix", "systems": ["emr"], "remote_maintenance": false}),
                    ),
                    ("POST", p) if p.ends_with("/devices") => {
                        Some(json!({"asset_number": format!("M-{checked}")}))
                    }
                    ("POST", p) if p.ends_with("/users") => Some(
                        json!({"login": format!("m{checked}"), "password": "a quiet harbour at dawn", "role": "staff"}),
                    ),
                    ("POST", "/api/v1/login") => {
                        Some(json!({"login": "nobody", "password": "nothing-at-all"}))
                    }
                    _ => None,
                };
                let target = if method == "DELETE" {
                    format!("{target}?round=2")
                } else {
                    target.clone()
                };
                app.api(method, &target, token.as_deref(), body).await
            } else {
                let cookie = web.as_ref().map(|w| w.cookie.clone()).unwrap_or_default();
                let csrf = web.as_ref().map(|w| w.csrf.clone()).unwrap_or_default();
                if method == "GET" {
                    app.get_with_cookie(cookie, target.as_str()).await
                } else {
                    let form = format!(
                        "csrf={csrf}&contact_chart_seen=yes&round=1&answer=yes&checked_on={year}-06-01"
                    );
                    app.post_form(&cookie, &target, &form, false).await
                }
            };
            checked += 1;
            let status = response.status;
            let context = format!(
                "{login:?} {method} {target}: {status} {}",
                response.body.chars().take(200).collect::<String>()
            );
            assert!(status.as_u16() < 500, "{context}");
            let signed_in_redirect = || {
                if *is_api {
                    status == StatusCode::UNAUTHORIZED
                } else {
                    status == StatusCode::SEE_OTHER && response.location().starts_with("/login")
                }
            };
            let allowed = |permitted: bool| {
                if permitted {
                    !matches!(
                        status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                    )
                } else {
                    status == StatusCode::FORBIDDEN
                }
            };
            let institution_user = matches!(
                login,
                "demo-hospital"
                    | "demo-hospital-staff"
                    | "demo-clinic"
                    | "demo-pharmacy"
                    | "demo-hospital-46"
            );
            let hospital_user = matches!(login, "demo-hospital" | "demo-hospital-staff");
            match (rule, relation) {
                (Rule::Public, _) => {}
                (
                    Rule::TrainingOperator | Rule::TrainingRegister | Rule::TrainingPlace,
                    Relation::Anonymous,
                ) => assert!(
                    signed_in_redirect(),
                    "anonymous must be sent to log in: {context}"
                ),
                (Rule::TrainingOperator, _) => {
                    assert!(
                        allowed(matches!(login, "demo-operator" | "demo-national")),
                        "{context}"
                    )
                }
                (Rule::TrainingRegister, _) => assert!(allowed(institution_user), "{context}"),
                (Rule::TrainingPlace, _) => {
                    if hospital_user {
                        assert!(allowed(true), "{context}")
                    } else {
                        assert_eq!(status, StatusCode::NOT_FOUND, "{context}")
                    }
                }
                (_, Relation::Anonymous) => assert!(
                    signed_in_redirect(),
                    "anonymous must be sent to log in: {context}"
                ),
                (Rule::IncidentReport, _) => assert!(
                    allowed(matches!(
                        incident,
                        Incident::OtherInstitution | Incident::Reporter
                    )),
                    "{context}"
                ),
                (Rule::IncidentList, _) => match incident {
                    Incident::NoPart => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                    _ => assert!(allowed(true), "{context}"),
                },
                (Rule::IncidentCase, _) => match incident {
                    Incident::Reporter | Incident::Desk => assert!(allowed(true), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::IncidentDesk, _) => match incident {
                    Incident::Desk => assert!(allowed(true), "{context}"),
                    Incident::Reporter => assert!(allowed(false), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::Oversight, _) => assert!(
                    allowed(matches!(
                        login,
                        "demo-national"
                            | "demo-inspector-13"
                            | "demo-inspector-46"
                            | "demo-prefecture-13"
                            | "demo-prefecture-46"
                    )),
                    "{context}"
                ),
                (Rule::OwnNotification, _) => {
                    if login == "demo-hospital" {
                        assert!(allowed(true), "{context}")
                    } else {
                        assert_eq!(status, StatusCode::NOT_FOUND, "{context}")
                    }
                }
                (Rule::SignedIn, _) => assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::FORBIDDEN,
                    "{context}"
                ),
                (Rule::National(_), Relation::Inside { national: true, .. }) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::National(others), _) => assert_eq!(status, others, "{context}"),
                (Rule::VendorForm | Rule::VendorAnswer, Relation::Vendor) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::Prefecture | Rule::Apply, Relation::Vendor) => {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{context}")
                }
                (_, Relation::Vendor) => assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "a vendor sees nothing of an institution's own file: {context}"
                ),
                (Rule::Prefecture, _) => match survey {
                    Survey::Manages => assert!(allowed(true), "{context}"),
                    _ => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (Rule::Apply, _) => match survey {
                    Survey::Manages | Survey::Applies => assert!(allowed(true), "{context}"),
                    Survey::Sees => assert!(allowed(false), "{context}"),
                    Survey::Outside => assert_eq!(status, StatusCode::NOT_FOUND, "{context}"),
                },
                (_, Relation::Outside) => assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "outside the caller's scope: {context}"
                ),
                (Rule::Read | Rule::VendorForm, Relation::Inside { .. }) => {
                    assert!(allowed(true), "{context}")
                }
                (Rule::VendorAnswer, Relation::Inside { .. }) => {
                    assert!(allowed(false), "{context}")
                }
                (Rule::Answer, Relation::Inside { answer, .. }) => {
                    assert!(allowed(answer), "{context}")
                }
                (Rule::Administer, Relation::Inside { administer, .. }) => {
                    assert!(allowed(administer), "{context}")
                }
                (Rule::Observe, Relation::Inside { observe, .. }) => {
                    assert!(allowed(observe), "{context}")
                }
                (Rule::Schedule, Relation::Inside { observe, .. }) => assert!(
                    allowed(observe || login == "demo-prefecture-13"),
                    "{context}"
                ),
            }
        }
    }
    println!(
        "authorization matrix: {} routes × {callers_count} callers = {checked} requests checked",
        routes.len()
    );
    assert!(checked >= routes.len() * callers_count);
}
