//! Vendors (`src/vendors/`): invitations (links, expiry, mail through SMTP), the vendor's
//! checklist and its coverage of the hospital's items, the vendor pages, and MDS/SDS
//! deliveries.

use super::*;

on_both_engines!(
    vendors_are_invited_and_fill_their_form,
    invitation_links_expire_and_are_used_once,
    coverage_merges_the_forms,
    vendor_pages_invite_fill_and_show,
    mds_sds_deliveries_are_recorded_and_shown,
    mds_sds_bad_files_are_refused_clearly,
    invitations_are_mailed_through_smtp,
);

async fn vendors_are_invited_and_fill_their_form(app: &TestApp) {
    let year = app.year();
    let admin = app.token("demo-hospital").await;
    let staff = app.token("demo-hospital-staff").await;
    // Bad fields are refused with their paths, and nothing is stored.
    let vendor_contracts_path = format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts");
    let r = app
        .api_post(&vendor_contracts_path, &admin, json!({"vendor_name": " ", "systems": ["toaster"], "remote_maintenance": true, "invite_email": "pacs@@example"}))
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = r.problem_paths();
    for path in ["systems[0]", "invite_email", "vendor_name"] {
        assert!(paths.iter().any(|p| p == path), "{path} in {paths:?}");
    }
    // Staff may not record contracts; the admin may.
    let body = json!({"vendor_name": "北斗画像システム株式会社", "systems": ["PACS"], "remote_maintenance": true, "invite_email": "support@hokuto-pacs.example.jp"});
    app.api_post(&vendor_contracts_path, &staff, body.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let created = add_vendor_contract(app, &admin, body).await;
    let contract = created["contract_id"].as_i64().expect("contract id");
    assert_eq!(
        created["mail_sent"], false,
        "no mail server: the link is shown"
    );
    let url = created["invitation_url"].as_str().expect("url").to_owned();
    let token = url.rsplit('/').next().expect("token").to_owned();
    assert!(url.contains("/invitations/"), "{url}");
    // Before it is accepted, the contract is served by nobody.
    let emr_vendor = app.token("demo-vendor").await;
    app.api_get(
        &format!("/api/v1/vendor/contracts/{contract}/assessments/{year}/items/1-1"),
        &emr_vendor,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // The vendor accepts with a new login and password, then logs in.
    let r = accept_invitation(
        app,
        &token,
        json!({"login": "hokuto-pacs", "password": "northern lights over the harbour"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_eq!(r.json()["contract_id"], contract);
    // A vendor's user sets up two-factor login before the API serves it.
    let enrolled = app
        .enrol_two_factor("hokuto-pacs", "northern lights over the harbour")
        .await;
    let r = app
        .api_login(json!({"login": "hokuto-pacs", "password": "northern lights over the harbour", "totp": enrolled.recovery_codes[0]}))
        .await.assert_status(StatusCode::OK);
    let vendor = r.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        app.api_get("/api/v1/me", &vendor).await.json()["role"],
        "vendor"
    );
    let list = app
        .api_get("/api/v1/vendor/contracts", &vendor)
        .await
        .json();
    let list = list.as_array().expect("contracts");
    assert_eq!(list.len(), 1, "only its own contract: {list:?}");
    assert_eq!(list[0]["contract_id"], contract);
    assert_eq!(list[0]["institution_name"], "みなと中央病院");
    // Its form: the same body and rules as the institution's answers.
    let item = format!("/api/v1/vendor/contracts/{contract}/assessments/{year}/items/2-3-all");
    app
        .api_put(&item, &vendor, json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-09-01")}))
        .await.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "target_date_on_yes");
    let r = app
        .api_put_ok(&item, &vendor, json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-01"), "target_date": format!("{year}-09-01")})).await;
    assert_eq!(r.json()["first"]["answer"], "no");
    let fy = FiscalYear::new(year).expect("year");
    assert_eq!(
        app.state
            .store
            .vendor_answer_history_count(contract, fy, "2-3-all")
            .await
            .expect("history"),
        1
    );
    // The institution reads it, but may not write the vendor's form.
    let r = app.api_get_ok(&item, &staff).await;
    assert_eq!(r.json()["first"]["target_date"], format!("{year}-09-01"));
    let yes = json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")});
    app.api_put(&item, &staff, yes.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Another vendor sees neither this contract nor its answers, nor the hospital.
    let other = app.token("demo-vendor-46").await;
    for path in [
        item.clone(),
        format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/assessments/{year}/items/1-1"),
        format!("/api/v1/institutions/{HOSPITAL}"),
        format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}"),
        format!("/api/v1/institutions/{HOSPITAL}/contact-chart"),
    ] {
        let r = app.api_get(&path, &other).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    app.api_put(&item, &other, yes)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // And this vendor does not see the other's contract, nor the hospital's own file.
    for path in [
        format!("/api/v1/vendor/contracts/{VENDOR_46_CONTRACT}/assessments/{year}/items/1-1"),
        format!("/api/v1/institutions/{HOSPITAL}/assessments/{year}"),
    ] {
        let r = app.api_get(&path, &vendor).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    // The hospital's other vendor sees neither this contract nor the EMR vendor's.
    let network = app.token("demo-vendor-network").await;
    for c in [contract, VENDOR_CONTRACT] {
        app.api_get(
            &format!("/api/v1/vendor/contracts/{c}/assessments/{year}/items/1-1"),
            &network,
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    }
    // The contract is listed for the institution, accepted.
    let contracts = app.api_get(&vendor_contracts_path, &staff).await.json();
    let ours = element(&contracts, "contract_id", contract).clone();
    assert_eq!(ours["accepted"], true);
    assert_eq!(ours["systems"], json!(["pacs"]));
}

async fn invitation_links_expire_and_are_used_once(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let invite = |email: &'static str| {
        let admin = admin.clone();
        async move {
            let body = json!({"vendor_name": "検証用ベンダー", "systems": ["receipt_computer"], "remote_maintenance": false, "invite_email": email});
            invitation_token(&add_vendor_contract(app, &admin, body).await)
        }
    };
    let first = invite("a@example.jp").await;
    let accept = |token: String, login: &'static str| async move {
        accept_invitation(
            app,
            &token,
            json!({"login": login, "password": "a quiet harbour at dawn"}),
        )
        .await
    };
    // A weak password is refused and the link stays usable.
    accept_invitation(
        app,
        &first,
        json!({"login": "receipt-vendor", "password": "short"}),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let r = accept(first.clone(), "receipt-vendor")
        .await
        .assert_status(StatusCode::CREATED);
    let organization = r.json()["organization_id"].clone();
    accept(first, "receipt-vendor-2")
        .await
        .assert_bilingual_error(StatusCode::GONE, "invitation_used");
    assert!(
        app.state
            .store
            .user_for_login("receipt-vendor-2")
            .await
            .expect("lookup")
            .is_none(),
        "a used link creates no user"
    );
    // An expired link says so.
    let second = invite("b@example.jp").await;
    app.exec("UPDATE vendor_invitations SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL")
        .await;
    accept(second, "late-vendor")
        .await
        .assert_bilingual_error(StatusCode::GONE, "invitation_expired");
    accept("not-a-token".into(), "late-vendor")
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "invitation_unknown");
    // An existing vendor user accepting a new link adds the contract to its organisation
    // (with its second factor, as at login).
    let enrolled = app
        .enrol_two_factor("receipt-vendor", "a quiet harbour at dawn")
        .await;
    let third = invite("c@example.jp").await;
    let r = accept_invitation(app, &third, json!({"login": "receipt-vendor", "password": "a quiet harbour at dawn", "totp": enrolled.recovery_codes[0]}))
        .await.assert_status(StatusCode::CREATED);
    assert_eq!(r.json()["organization_id"], organization);
    let r = app
        .api_login(json!({"login": "receipt-vendor", "password": "a quiet harbour at dawn", "totp": enrolled.recovery_codes[1]}))
        .await;
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let list = app.api_get("/api/v1/vendor/contracts", &token).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    // It answers once and applies the answers to its other contract, then adjusts one.
    let ids: Vec<i64> = elements(&list)
        .iter()
        .filter_map(|c| c["contract_id"].as_i64())
        .collect();
    let year = app.year();
    for key in ["1-1", "2-2-all"] {
        app.api_put_ok(
            &format!(
                "/api/v1/vendor/contracts/{}/assessments/{year}/items/{key}",
                ids[0]
            ),
            &token,
            json!({"round": 1, "answer": "yes", "checked_on": format!("{year}-06-01")}),
        )
        .await;
    }
    let copy = format!(
        "/api/v1/vendor/contracts/{}/assessments/{year}/copy",
        ids[0]
    );
    app.api_post(&copy, &token, json!({"to": [VENDOR_CONTRACT]}))
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_contract");
    let r = app
        .api_post(&copy, &token, json!({"to": [ids[1]]}))
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["answers"], 2);
    let copied = app
        .api_get(
            &format!(
                "/api/v1/vendor/contracts/{}/assessments/{year}/items/2-2-all",
                ids[1]
            ),
            &token,
        )
        .await
        .json();
    assert_eq!(copied["first"]["answer"], "yes", "{copied}");
    app
        .api_put_ok(&format!("/api/v1/vendor/contracts/{}/assessments/{year}/items/2-2-all", ids[1]), &token, json!({"round": 1, "answer": "no", "checked_on": format!("{year}-06-02"), "target_date": format!("{year}-10-01")})).await;
    // Someone else's login with a wrong password joins nothing.
    let fourth = invite("d@example.jp").await;
    accept(fourth, "demo-hospital")
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "login_taken");
}

async fn coverage_merges_the_forms(app: &TestApp) {
    let year = app.year();
    let staff = app.token("demo-hospital-staff").await;
    let coverage_path = format!("/api/v1/institutions/{HOSPITAL}/coverage/{year}");
    let r = app.api_get_ok(&coverage_path, &staff).await;
    let v = r.json();
    let items = v["coverage"]["items"].as_array().expect("items");
    assert!(!items.is_empty());
    // The EMR vendor answered its items: some item is covered by its contract.
    assert!(
        items.iter().any(|i| i["covered_by"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(VENDOR_CONTRACT)))),
        "{v}"
    );
    // The network vendor answers for the network only; the EMR vendor not at all there.
    let network_item = items
        .iter()
        .find(|i| i["scope"] == "network")
        .expect("a network item");
    assert!(
        network_item["not_responsible"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(VENDOR_CONTRACT))),
        "{network_item}"
    );
    assert!(
        network_item["covered_by"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(NETWORK_CONTRACT))),
        "{network_item}"
    );
    assert_eq!(v["vendor_forms_ready"], true, "{v}");
    // A new contract's form is missing until its vendor fills it in.
    let admin = app.token("demo-hospital").await;
    let body =
        json!({"vendor_name": "北斗画像システム", "systems": ["pacs"], "remote_maintenance": true});
    let created = add_vendor_contract(app, &admin, body).await;
    assert!(
        created["invitation_url"].is_null(),
        "no address, no invitation"
    );
    let new_contract = created["contract_id"].clone();
    let v = app.api_get(&coverage_path, &staff).await.json();
    assert_eq!(v["vendor_forms_ready"], false);
    assert!(
        elements(&v["findings"])
            .iter()
            .any(|f| f["code"] == "vendor_form_missing" && f["contract_id"] == new_contract),
        "{v}"
    );
    let verdict = app
        .api_get(
            &format!("/api/v1/institutions/{HOSPITAL}/inspection/{year}"),
            &staff,
        )
        .await
        .json();
    assert!(
        elements(&verdict["findings"])
            .iter()
            .any(|f| f["code"] == "vendor_form_missing"),
        "the inspection verdict includes the vendor forms: {verdict}"
    );
    let inspector = app.token("demo-inspector-13").await;
    app.api_get_ok(&coverage_path, &inspector).await;
    let outsider = app.token("demo-inspector-46").await;
    app.api_get(&coverage_path, &outsider)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn vendor_pages_invite_fill_and_show(app: &TestApp) {
    let year = app.year();
    // The admin records a contract and sees the invitation link.
    let admin = app.web_login("demo-hospital").await;
    let form = format!(
        "csrf={}&vendor_name=%E5%8C%97%E6%96%97PACS&systems=pacs&remote_maintenance=yes&invite_email=pacs%40example.jp",
        admin.csrf
    );
    let vendors_path = format!("/institutions/{HOSPITAL}/vendors");
    let r = app
        .post_form(&admin.cookie, &vendors_path, &form, false)
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("北斗PACS"), "listed");
    let start = r.body.find("/invitations/").expect("the link is shown");
    let token: String = r.body[start + "/invitations/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);
    // A bad address is refused on the page, in the user's language.
    let bad = format!(
        "csrf={}&vendor_name=x&systems=pacs&invite_email=nope",
        admin.csrf
    );
    let r = app
        .post_form(&admin.cookie, &vendors_path, &bad, false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("invite_email");
    // The vendor accepts on the invitation page; the link then says it was used.
    let page = app
        .get(format!("/invitations/{token}"))
        .await
        .assert_status(StatusCode::OK);
    assert!(page.body.contains("みなと中央病院") && page.body.contains("北斗PACS"));
    let r = app
        .send(
            Request::post(format!("/invitations/{token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    "login=hokuto-web&password=northern+lights+over+the+harbour",
                ))
                .expect("request"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert!(r.body.contains("/login?next=/vendor"));
    let again = app.get(format!("/invitations/{token}")).await;
    again.assert_body_contains("既に使われています");
    // The demo vendor fills an item of its form on the page.
    let vendor = app.web_login("demo-vendor").await;
    let r = app.page(&vendor, "/vendor").await;
    assert!(r.body.contains("みなと中央病院"));
    assert!(
        !r.body.contains("桜島記念病院"),
        "only the institutions it serves"
    );
    let form_path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}");
    let r = app.page(&vendor, &form_path).await;
    assert!(r.body.contains("items/1-1"));
    let answer = format!(
        "csrf={}&round=1&answer=no&checked_on={year}-06-01&target_date={year}-12-01",
        vendor.csrf
    );
    app.post_form(
        &vendor.cookie,
        &format!("{form_path}/items/1-1"),
        &answer,
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let r = app.get_with_cookie(&vendor.cookie, form_path.clone()).await;
    assert!(r.body.contains(&format!("{year}-12-01")), "saved");
    // Another vendor gets 404 on this form; the hospital reads it without the answer forms.
    let other = app.web_login("demo-vendor-46").await;
    assert_eq!(
        app.get_with_cookie(&other.cookie, form_path.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let staff = app.web_login("demo-hospital-staff").await;
    let r = app.page(&staff, &form_path).await;
    assert!(
        !r.body.contains("items/1-1"),
        "the institution does not answer for the vendor"
    );
    // The consolidated view: every form side by side, uncovered items marked.
    let r = app
        .page(&staff, &format!("/institutions/{HOSPITAL}/coverage/{year}"))
        .await;
    for name in [
        "東和メディカルシステム株式会社",
        "みなとネットワークサービス",
        "医療機関確認用",
    ] {
        assert!(r.body.contains(name), "{name}");
    }
    assert!(
        r.body.contains("class=\"uncovered\""),
        "some required item is covered by nobody"
    );
    // The contact chart, its print view and the backup / BCP page.
    for (path, shows) in [
        ("contact-chart", "contact-chart.svg"),
        ("contact-chart/print", "chart-sheet"),
        ("contact-chart.svg", "<svg"),
    ] {
        let r = app
            .page(&staff, &format!("/institutions/{HOSPITAL}/{path}"))
            .await;
        assert!(r.body.contains(shows), "{path}");
    }
    let r = app
        .page(&staff, &format!("/institutions/{HOSPITAL}/continuity"))
        .await;
    assert!(
        r.body.contains("オフライン"),
        "the PACS copy has no offline copy: warned"
    );
    assert_eq!(
        app.get_with_cookie(
            &vendor.cookie,
            format!("/institutions/{HOSPITAL}/continuity")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

async fn mds_sds_deliveries_are_recorded_and_shown(app: &TestApp) {
    let year = app.year();
    let base = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/deliveries");
    let vendor = app.token("demo-vendor").await;
    // The demo vendor's MDS is listed for the vendor and for the hospital.
    let listed = app.api_get_ok(&base, &vendor).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    // The vendor records an SDS with its file.
    let r = app
        .upload(
            &format!("{base}?kind=sds&delivered_on={year}-05-20&file_name=SDS%E9%96%8B%E7%A4%BA%E6%9B%B8.pdf"),
            &vendor,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await.assert_status(StatusCode::CREATED);
    let saved = r.json();
    assert_eq!(saved["kind"], "sds");
    assert_eq!(saved["file_name"], "SDS開示書.pdf");
    assert_eq!(saved["size"], TINY_PDF.len());
    let file_url = saved["file_url"].as_str().expect("file_url").to_owned();
    // The hospital's users read the list and download the same bytes.
    let staff = app.token("demo-hospital-staff").await;
    let list = app.api_get(&base, &staff).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let file = app.api_get_ok(&file_url, &staff).await;
    assert_eq!(file.body.as_bytes(), TINY_PDF);
    assert_eq!(
        file.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(
        file.headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|d| d.starts_with("attachment") && d.contains("UTF-8''SDS%E9%96%8B")),
        "{:?}",
        file.headers
    );
    // The hospital does not record deliveries for its vendor.
    let r = app
        .upload(
            &format!("{base}?kind=mds&delivered_on={year}-05-20"),
            &staff,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::FORBIDDEN, "forbidden");
    // Another vendor (even of the same hospital) and another institution see nothing: 404.
    for login in ["demo-vendor-network", "demo-vendor-46", "demo-clinic"] {
        let other = app.token(login).await;
        for path in [base.as_str(), file_url.as_str()] {
            assert_eq!(
                app.api_get(path, &other).await.status,
                StatusCode::NOT_FOUND,
                "{login} {path}"
            );
        }
        let r = app
            .upload(
                &format!("{base}?kind=mds&delivered_on={year}-05-20"),
                &other,
                "application/pdf",
                TINY_PDF.to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{login}: {}", r.body);
    }
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        2,
        "nothing more stored"
    );
    // A delivery of another contract is not reached through this one.
    let network = app.token("demo-vendor-network").await;
    let r = app
        .upload(
            &format!("/api/v1/vendor/contracts/{NETWORK_CONTRACT}/deliveries?kind=sds&delivered_on={year}-05-21&file_name=net.pdf"),
            &network,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await.assert_status(StatusCode::CREATED);
    let network_delivery = r.json()["id"].as_i64().expect("id");
    assert_eq!(
        app.api_get(&format!("{base}/{network_delivery}/file"), &vendor)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Pages: the vendor uploads on its form; the hospital sees the file on its contracts
    // page and beside item 2(3) of its checklist.
    let web_vendor = app.web_login("demo-vendor").await;
    let form_path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}");
    app.post_delivery_form(
        &web_vendor,
        &format!("{form_path}/deliveries"),
        "mds",
        &format!("{year}-06-02"),
        Some(("MDS_web.pdf", TINY_PDF)),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let page = app.get_page(&web_vendor.cookie, &form_path).await;
    assert!(page.body.contains("MDS_web.pdf"), "listed on the form");
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let web_staff = app.web_login("demo-hospital-staff").await;
    let page = app
        .page(&web_staff, &format!("/institutions/{HOSPITAL}/vendors"))
        .await;
    assert!(page.body.contains("MDS_web.pdf") && page.body.contains("SDS開示書.pdf"));
    assert!(
        page.body.contains("net.pdf"),
        "each contract with its own files"
    );
    let start = page
        .body
        .find(&format!("/vendor/contracts/{VENDOR_CONTRACT}/deliveries/"))
        .expect("a download link");
    let link: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let download = app.page(&web_staff, &link).await;
    assert!(download.body.starts_with("%PDF-"));
    let checklist = app
        .page(
            &web_staff,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    assert!(
        checklist.body.contains("MDS/SDS: 全事業者から提出済"),
        "both vendors delivered: evidence beside 2(3)"
    );
    assert!(checklist.body.contains(&format!("MDS {year}-06-02")));
    // Another vendor's user gets 404 for the download page.
    let web_other = app.web_login("demo-vendor-46").await;
    assert_eq!(
        app.get_page(&web_other.cookie, &link).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn mds_sds_bad_files_are_refused_clearly(app: &TestApp) {
    let year = app.year();
    let vendor = app.token("demo-vendor").await;
    let base = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/deliveries");
    let before = app.deliveries(VENDOR_CONTRACT).await;
    let audit_before = app.audit_changes().await;
    let good = format!("{base}?kind=mds&delivered_on={year}-05-01");
    // An empty file, a bad kind and a bad date are named together.
    let r = app
        .upload(
            &format!("{base}?kind=pds&delivered_on={year}-02-30"),
            &vendor,
            "application/pdf",
            Vec::new(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    let paths: Vec<String> = elements(&r.json()["error"]["problems"])
        .iter()
        .filter_map(|p| p["path"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(paths, ["kind", "delivered_on", "file"]);
    let r = app
        .upload(&good, &vendor, "application/pdf", Vec::new())
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert!(r.message_ja().contains("空のファイル"));
    // A date in the future.
    let r = app
        .upload(
            &format!("{base}?kind=mds&delivered_on={}-04-01", year + 5),
            &vendor,
            "application/pdf",
            TINY_PDF.to_vec(),
        )
        .await;
    r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
    assert_eq!(r.json()["error"]["problems"][0]["code"], "in_future");
    // Too large: over the limit but under what is read, and over what is read.
    let pdf_of = |size: usize| {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(size, b' ');
        pdf
    };
    let as_xlsx = format!("{good}&file_name=MDS.xlsx");
    let too_large = (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large");
    let wrong_type = (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type");
    for (path, content_type, data, (status, code)) in [
        (
            &good,
            "application/pdf",
            pdf_of(mamori_store::MAX_DELIVERY_BYTES + 1),
            too_large,
        ),
        (&good, "application/pdf", pdf_of(5 * 1024 * 1024), too_large),
        // Wrong types: a text file, a Word file named .xlsx, a PDF named .xlsx.
        (&good, "text/plain", b"not a pdf".to_vec(), wrong_type),
        (
            &as_xlsx,
            "application/octet-stream",
            b"PK\x03\x04....word/document.xml".to_vec(),
            wrong_type,
        ),
        (
            &as_xlsx,
            "application/pdf",
            TINY_PDF.to_vec(),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_name_mismatch"),
        ),
    ] {
        app.upload(path, &vendor, content_type, data)
            .await
            .assert_bilingual_error(status, code);
    }
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        before,
        "nothing stored"
    );
    assert_eq!(app.audit_changes().await, audit_before, "nothing audited");
    // The page says the same, in the user's language, and keeps the form.
    let web = app.web_login("demo-vendor").await;
    let path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}/deliveries");
    let r = app
        .post_delivery_form(&web, &path, "mds", &format!("{year}-05-01"), None)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("空のファイルは受け付けません");
    let r = app
        .post_delivery_form(
            &web,
            &path,
            "mds",
            &format!("{year}-05-01"),
            Some(("notes.txt", b"hello")),
        )
        .await
        .assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    r.assert_body_contains("PDF（.pdf）か Excel（.xlsx）");
    // A forged form (wrong token) is refused before anything is read.
    let forged = WebSession {
        cookie: web.cookie.clone(),
        csrf: "forged".into(),
    };
    app.post_delivery_form(
        &forged,
        &path,
        "mds",
        &format!("{year}-05-01"),
        Some(("a.pdf", TINY_PDF)),
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        before,
        "nothing stored"
    );
}

async fn invitations_are_mailed_through_smtp(app: &TestApp) {
    let server = MailServer::start().await;
    let mailer = mamori_app::mail::Mailer::new(&server.url(), "mamori <noreply@mamori.example.jp>")
        .expect("mailer");
    let config = mamori_web::WebConfig {
        public_url: Some("https://mamori.example.jp".into()),
        ..mamori_web::WebConfig::default()
    };
    let state = AppState {
        config: std::sync::Arc::new(config.clone()),
        ..app.state.clone()
    }
    .with_mailer(mailer);
    let mailing = mamori_web::router(state.clone());
    let admin = app.token("demo-hospital").await;
    let path = format!("/api/v1/institutions/{HOSPITAL}/vendor-contracts");
    let body = json!({"vendor_name": "北斗PACS", "systems": ["pacs"], "remote_maintenance": true, "invite_email": "pacs@hokuto.example.jp"});
    let request = Request::post(path.as_str())
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "evil.example.com")
        .body(Body::from(body.to_string()))
        .expect("request");
    let r = app
        .send_to(&mailing, request)
        .await
        .assert_status(StatusCode::CREATED);
    let created = r.json();
    assert_eq!(created["mail_sent"], true, "{created}");
    assert!(created["mail_error"].is_null());
    let link = created["invitation_url"].as_str().expect("link").to_owned();
    assert!(
        link.starts_with("https://mamori.example.jp/invitations/"),
        "the public URL, not the Host header: {link}"
    );
    // The send returned once the server took the message: it is in the Maildir.
    let mails = server.messages_to("pacs@hokuto.example.jp");
    assert_eq!(mails.len(), 1, "one invitation");
    let mail = &mails[0];
    assert!(
        mail.raw
            .contains("From: mamori <noreply@mamori.example.jp>"),
        "{}",
        mail.raw
    );
    assert!(
        mail.subject.contains("北斗PACS") || mail.subject.contains("みなと中央病院"),
        "the subject decoded: {}",
        mail.subject
    );
    let text = &mail.text;
    assert!(text.contains(&link), "the link is in the mail: {text}");
    assert!(text.contains("北斗PACS") && text.contains("みなと中央病院"));
    // The link in the mail works: the vendor accepts it.
    let token = link.rsplit('/').next().expect("token");
    accept_invitation(
        app,
        token,
        json!({"login": "hokuto-mail", "password": "northern lights over the harbour"}),
    )
    .await
    .assert_status(StatusCode::CREATED);

    // A server that cannot be reached: the contract and the link stand, with the reason.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let unreachable = mamori_app::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{closed}"),
        "noreply@mamori.example.jp",
    )
    .expect("mailer");
    let failing = mamori_web::router(
        AppState {
            config: std::sync::Arc::new(config),
            ..app.state.clone()
        }
        .with_mailer(unreachable),
    );
    // How many vendor contracts the hospital has recorded.
    let contracts = || async {
        app.state
            .store
            .vendor_contracts_of_institution(HOSPITAL)
            .await
            .expect("contracts")
            .len()
    };
    let contracts_before = contracts().await;
    let request = Request::post(path.as_str())
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"vendor_name": "南風ネット", "systems": ["network"], "remote_maintenance": false, "invite_email": "net@minami.example.jp"}).to_string(),
        ))
        .expect("request");
    let r = app.send_to(&failing, request).await;
    assert_eq!(r.status, StatusCode::CREATED, "never a 500: {}", r.body);
    let created = r.json();
    assert_eq!(created["mail_sent"], false);
    assert!(
        created["mail_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        created["invitation_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://mamori.example.jp/invitations/"))
    );
    // The page says so and shows the link.
    let web = app.web_login("demo-hospital").await;
    let form = format!(
        "csrf={}&vendor_name=%E8%A5%BF%E6%B5%B7PACS&systems=pacs&invite_email=pacs%40saikai.example.jp",
        web.csrf
    );
    let request = Request::post(format!("/institutions/{HOSPITAL}/vendors"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, web.cookie.as_str())
        .body(Body::from(form))
        .expect("request");
    let r = app
        .send_to(&failing, request)
        .await
        .assert_status(StatusCode::OK);
    r.assert_body_contains("id=\"mail-failed\"");
    assert!(r.body.contains("招待メールを送信できませんでした"));
    assert!(r.body.contains("https://mamori.example.jp/invitations/"));
    let contracts_after = contracts().await;
    assert_eq!(
        contracts_after,
        contracts_before + 2,
        "both contracts recorded"
    );
}
