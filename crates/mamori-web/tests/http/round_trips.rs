//! Round trips: for every path the OpenAPI document gives both a `GET` and a `PUT`, the body
//! the `GET` returns is accepted by the `PUT` unchanged, and reading again gives the same
//! content. A client that reads, changes one field and writes back must never be refused
//! over a field it did not touch.

use super::*;

on_both_engines!(
    every_get_body_is_accepted_by_its_put,
    a_device_read_with_dhcp_and_versions_is_written_back,
    a_vendor_item_sent_back_records_the_rounds_that_changed,
);

/// Fields that record a write rather than the content: when, by whom, the version, and the
/// log of writes (an application's `changes` gains an entry per write).
const STAMPS: [&str; 4] = ["updated_at", "updated_by", "version", "changes"];

/// Pairs this test cannot exercise, with the reason. Empty: every pair round-trips.
const NOT_EXERCISED: [(&str, &str); 0] = [];

/// Who reads and writes a path's resource in the demo: a user who may write it.
fn writer_of(path: &str) -> Option<&'static str> {
    if path.starts_with("/api/v1/institutions/{id}/") {
        Some("demo-hospital")
    } else if path.starts_with("/api/v1/vendor/contracts/{contract_id}/") {
        Some("demo-vendor")
    } else if path.starts_with("/api/v1/programs/{fiscal_year}/") {
        Some("demo-national")
    } else if path.starts_with("/api/v1/me/") {
        Some("demo-hospital")
    } else {
        None
    }
}

/// A real demo value for a path parameter.
async fn demo_value(app: &TestApp, token: &str, name: &str) -> Option<String> {
    let year = app.year();
    let first_id = |list: Value, key: &str| {
        list.as_array()
            .and_then(|l| l.first())
            .and_then(|v| v[key].as_i64())
            .map(|id| id.to_string())
    };
    match name {
        "id" => Some(HOSPITAL.to_string()),
        "fiscal_year" => Some(year.to_string()),
        "contract_id" => Some(VENDOR_CONTRACT.to_string()),
        // An item of the EMR vendor's form that the demo answered.
        "item" => Some("1-1".into()),
        "device_id" => {
            let path = format!("/api/v1/institutions/{HOSPITAL}/devices");
            first_id(app.api_get(&path, token).await.json(), "id")
        }
        // A Tokyo application the demo selected.
        "application_id" => {
            let path = format!("/api/v1/programs/{year}/prefectures/13/selection");
            let r = app.api_get(&path, token).await;
            r.status.is_success().then_some(())?;
            r.json()["selected"][0].as_i64().map(|id| id.to_string())
        }
        _ => None,
    }
}

/// `template` with every `{name}` filled, or the name that has no demo value.
async fn fill_path(app: &TestApp, token: &str, template: &str) -> Result<String, String> {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or("unclosed {")?;
        let name = &rest[open + 1..close];
        let value = demo_value(app, token, name)
            .await
            .ok_or_else(|| format!("no demo value for {{{name}}}"))?;
        path.push_str(&rest[..open]);
        path.push_str(&value);
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    Ok(path)
}

/// The body without its stamps, at any depth.
fn without_stamps(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !STAMPS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without_stamps(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_stamps).collect()),
        other => other.clone(),
    }
}

/// The round trip of one path; `Err` says what went wrong.
async fn round_trip(app: &TestApp, template: &str) -> Result<(), String> {
    let login = writer_of(template).ok_or("no demo user is set for this path")?;
    let token = app.token(login).await;
    let path = fill_path(app, &token, template).await?;
    let read = app.api_get(&path, &token).await;
    if read.status != StatusCode::OK {
        return Err(format!(
            "GET {path} as {login}: {} {}",
            read.status, read.body
        ));
    }
    let body = read.json();
    let written = app.api_put(&path, &token, body.clone()).await;
    if !written.status.is_success() {
        return Err(format!(
            "PUT {path} as {login} with the body GET returned: {} {}",
            written.status, written.body
        ));
    }
    let again = app.api_get(&path, &token).await;
    if again.status != StatusCode::OK {
        return Err(format!(
            "second GET {path}: {} {}",
            again.status, again.body
        ));
    }
    let (before, after) = (without_stamps(&body), without_stamps(&again.json()));
    if before != after {
        return Err(format!(
            "GET {path} changed after writing its own body back:\nbefore: {before}\nafter:  {after}"
        ));
    }
    Ok(())
}

async fn every_get_body_is_accepted_by_its_put(app: &TestApp) {
    let spec = app.get("/api/openapi.json").await.json();
    let paths = spec["paths"].as_object().expect("paths");
    let pairs: Vec<&String> = paths
        .iter()
        .filter(|(_, ops)| ops.get("get").is_some() && ops.get("put").is_some())
        .map(|(path, _)| path)
        .collect();
    assert!(!pairs.is_empty(), "the document has GET/PUT pairs");
    let mut failures = Vec::new();
    for template in &pairs {
        if NOT_EXERCISED.iter().any(|(p, _)| p == template) {
            continue;
        }
        if let Err(e) = round_trip(app, template).await {
            failures.push(format!("{template}: {e}"));
        }
    }
    for (path, _) in NOT_EXERCISED {
        assert!(
            pairs.iter().any(|p| *p == path),
            "{path} is listed as not exercised but is no longer a GET/PUT pair"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} GET/PUT pairs do not round-trip (fix the pair, or list it in \
         NOT_EXERCISED with the reason):\n\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n\n")
    );
}

/// The body `GET` gives a device (addresses and DHCP apart, software as `{name, version}`)
/// reads as the ledger's cells: sent back with one change, only that change is recorded.
async fn a_device_read_with_dhcp_and_versions_is_written_back(app: &TestApp) {
    let admin = app.token("demo-hospital").await;
    let devices = format!("/api/v1/institutions/{HOSPITAL}/devices");
    let new = json!({
        "asset_number": "RT-001", "kind": "server", "os": "Windows Server 2022",
        "software": ["電子カルテ", "ウイルス対策", "PDF閲覧"], "software_version": ["5.1", "", ""],
        "ip_address": "192.168.10.5\nDHCP", "remote_access": "vpn", "last_patched_on": "2025-04-01"
    });
    let r = app.api_create(&devices, &admin, new).await;
    let created = r.clone();
    assert_eq!(created["dhcp"], true, "{created}");
    assert_eq!(
        created["software"][0],
        json!({"name": "電子カルテ", "version": "5.1"})
    );
    assert_eq!(created["software"][2]["version"], Value::Null);
    let path = format!("{devices}/{}", created["id"]);
    let mut body = created.clone();
    body["location"] = json!("サーバ室");
    app.api_put_ok(&path, &admin, body).await;
    let mut expected = without_stamps(&created);
    expected["location"] = json!("サーバ室");
    let after = app.api_get(&path, &admin).await.json();
    assert_eq!(without_stamps(&after), expected);
    // Without DHCP, the addresses alone; software of another shape is refused.
    let mut body = after.clone();
    body["dhcp"] = json!(false);
    let r = app.api_put_ok(&path, &admin, body).await;
    assert_eq!(r.json()["dhcp"], false);
    assert_eq!(r.json()["ip_addresses"], json!(["192.168.10.5"]));
    let mut body = after;
    body["software"] = json!([{"name": "電子カルテ"}, {"title": "ウイルス対策"}]);
    app.api_put(&path, &admin, body)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
}

/// The item `GET` gives on a vendor form, sent back: only the rounds that changed are
/// recorded, checked together; a recorded round is not withdrawn by sending null.
async fn a_vendor_item_sent_back_records_the_rounds_that_changed(app: &TestApp) {
    let vendor = app.token("demo-vendor").await;
    let year = app.year();
    let path = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/assessments/{year}/items/1-1");
    let read = app.api_get(&path, &vendor).await.json();
    let first = read["first"].clone();
    assert!(first.is_object() && read["second"].is_null(), "{read}");
    let checked_on = first["checked_on"].as_str().expect("checked_on").to_owned();
    // Both rounds changed, the second dated before the first: refused as a whole, so the
    // first's change is not recorded either.
    let mut body = read.clone();
    body["first"]["answer"] = json!("no");
    body["second"] = json!({"answer": "yes", "checked_on": format!("{}-04-01", year - 1)});
    app.api_put(&path, &vendor, body)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "second_before_first");
    let unchanged = app.api_get(&path, &vendor).await.json();
    assert_eq!(unchanged, read);
    // The second round added, the first sent as read: the second is recorded.
    let mut body = read.clone();
    body["second"] = json!({"answer": "yes", "checked_on": checked_on, "target_date": null});
    let r = app.api_put_ok(&path, &vendor, body.clone()).await;
    assert_eq!(r.json(), body, "the answer is the item as sent");
    // Leaving a recorded round out does not withdraw it.
    body["first"] = Value::Null;
    app.api_put(&path, &vendor, body)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "recorded_round_left_out");
    // A field the item does not have is refused, as in the one-round body.
    let mut body = read;
    body["sceond"] = json!(null);
    app.api_put(&path, &vendor, body)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
}
