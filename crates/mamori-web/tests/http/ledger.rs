//! The device ledger (機器台帳, `src/ledger/`): the store and its audit, imports (preview,
//! all or nothing, a concurrent writer, bad files), flags and exports, and the pages.

use super::*;

on_both_engines!(
    ledger_store_keeps_devices_and_audits_every_change,
    ledger_import_meets_a_concurrent_writer,
    ledger_import_previews_then_stores_all_or_nothing,
    ledger_refuses_bad_files_clearly,
    ledger_devices_carry_flags_and_export_round_trips,
    ledger_pages_import_with_preview_and_confirm,
);

fn ledger_device(asset: &str, os: &str) -> mamori_domain::device::Device {
    use mamori_domain::device::{LedgerColumn as C, parse_row};
    parse_row(
        2,
        &[
            (C::AssetNumber, asset.to_owned()),
            (C::Kind, "端末PC".to_owned()),
            (C::Os, os.to_owned()),
            (C::Software, "電子カルテ\nウイルス対策".to_owned()),
            (C::SoftwareVersion, "5.2\n".to_owned()),
            (C::IpAddress, "192.168.0.5\nfe80::1".to_owned()),
            (C::LastPatchedOn, "2025/4/1".to_owned()),
            (C::SecurityUpdatesInContract, "はい".to_owned()),
        ],
    )
    .expect("device")
}

async fn ledger_store_keeps_devices_and_audits_every_change(app: &TestApp) {
    let store = &app.state.store;
    let admin = app.user("demo-clinic").await.id;
    assert!(store.devices(CLINIC).await.expect("devices").is_empty());
    let audit_before = store.audit_count(CLINIC).await.expect("audit");

    let pc = ledger_device("PC-1", "Windows 11 Pro 23H2");
    let id = store
        .create_device(CLINIC, &pc, admin)
        .await
        .expect("create");
    let stored = store
        .device(CLINIC, id)
        .await
        .expect("get")
        .expect("device");
    assert_eq!(stored.device, pc, "every column comes back as it went in");
    assert!(
        store.device(HOSPITAL, id).await.expect("get").is_none(),
        "a device is found only under its institution"
    );
    assert!(matches!(
        store.create_device(CLINIC, &pc, admin).await,
        Err(mamori_store::StoreError::Conflict(_))
    ));

    let mut changed = pc.clone();
    changed.os = "Windows 11 Pro 24H2".to_owned();
    changed.location = "受付".to_owned();
    store
        .update_device(CLINIC, id, &changed, admin)
        .await
        .expect("update");
    assert_eq!(
        store
            .device(CLINIC, id)
            .await
            .expect("get")
            .expect("device")
            .device,
        changed
    );
    assert!(matches!(
        store.update_device(HOSPITAL, id, &changed, admin).await,
        Err(mamori_store::StoreError::NotFound)
    ));
    store
        .retire_device(CLINIC, id, admin)
        .await
        .expect("retire");
    let retired = store.device(CLINIC, id).await.expect("get").expect("kept");
    assert_eq!(
        retired.device.status,
        mamori_domain::device::DeviceStatus::Retired
    );

    // An import adds new asset numbers, replaces changed ones and leaves the others.
    let mut import: Vec<_> = (0..2500)
        .map(|i| ledger_device(&format!("A-{i:05}"), "Windows 10 Pro 22H2"))
        .collect();
    import.push(changed.clone());
    // Text that bulk loading must carry unchanged: tabs, line breaks, backslashes, quotes;
    // answers left open and answered no.
    let mut odd = ledger_device("Z-\\タブ", "Windows 10 Pro 22H2");
    odd.maker = "\"富士通\"\t\\N".to_owned();
    odd.description = "一行目\r\n二行目\\n\tタブ".to_owned();
    odd.dhcp = true;
    odd.remote_maintenance = true;
    odd.always_on_connection = Some(false);
    odd.weak_or_reused_password = None;
    odd.security_updates_in_contract = None;
    import.push(odd.clone());
    let counts = store
        .import_devices(CLINIC, &import, admin)
        .await
        .expect("import");
    assert_eq!(
        (counts.added, counts.changed, counts.unchanged),
        (2501, 1, 0),
        "the retired device comes back as in the file"
    );
    let all = store.devices(CLINIC).await.expect("devices");
    assert_eq!(all.len(), 2502);
    assert_eq!(
        all.iter()
            .find(|d| d.device.asset_number == odd.asset_number)
            .expect("the odd device")
            .device,
        odd,
        "every column comes back as it went in"
    );
    assert!(
        all.windows(2)
            .all(|w| w[0].device.asset_number.as_str() < w[1].device.asset_number.as_str()),
        "by asset number"
    );
    import[7].user = "看護部".to_owned();
    let counts = store
        .import_devices(CLINIC, &import, admin)
        .await
        .expect("import again");
    assert_eq!(
        (counts.added, counts.changed, counts.unchanged),
        (0, 1, 2501)
    );
    let all = store.devices(CLINIC).await.expect("devices");
    assert_eq!(all.len(), 2502);
    assert_eq!(
        all.iter()
            .find(|d| d.device.asset_number.as_str() == "A-00007")
            .expect("A-00007")
            .device
            .user,
        "看護部"
    );
    // create, update, retire, two imports: one audit entry each.
    assert_eq!(
        store.audit_count(CLINIC).await.expect("audit") - audit_before,
        5
    );
    app.assert_audit_chain_intact().await;
}

/// Another writer adds one of an import's new asset numbers after the import has read the
/// ledger. On PostgreSQL the import's `COPY` meets the other row on the unique key, is
/// rolled back to its savepoint and every row goes through the upsert, which counts what it
/// did; on SQLite the import waits for the other writer's lock and reads the ledger after
/// it. Either way every row is stored once, the other writer's row of that asset number
/// takes the file's values and is counted changed (in the API's answer and the audit
/// entry), and its other row stays.
async fn ledger_import_meets_a_concurrent_writer(app: &TestApp) {
    let store = &app.state.store;
    let admin = app.user("demo-clinic").await.id;
    assert!(store.devices(CLINIC).await.expect("devices").is_empty());
    let before = vec![
        ledger_device("E-0001", "Windows 10 Pro 22H2"),
        ledger_device("E-0002", "Windows 10 Pro 22H2"),
    ];
    store
        .import_devices(CLINIC, &before, admin)
        .await
        .expect("first import");
    let first = store.devices(CLINIC).await.expect("devices");
    let token = app.token("demo-clinic").await;
    let audit_before = store.audit_count(CLINIC).await.expect("audit");

    // The file: E-0001 as stored, E-0002 changed, fifty new asset numbers.
    let mut file = before.clone();
    file[1].user = "看護部".to_owned();
    file.extend((0..50).map(|i| ledger_device(&format!("N-{i:05}"), "Windows 11 Pro 23H2")));

    // The other writer copies E-0001 as N-00025 (new to the import, with other values), as
    // N-00030 made the same as the file's row, and as W-0001 (not in the file), and keeps
    // its transaction open.
    const COPY_AS: &str = "INSERT INTO devices (institution_id, asset_number, kind, maker, model, os, software, firmware_version, ip_addresses, dhcp, computer_name, location, user_name, registered_on, status, description, serial_number, remote_maintenance, maintenance_vendor, remote_access, security_updates_in_contract, last_patched_on, always_on_connection, weak_or_reused_password, created_at, updated_at) \
         SELECT institution_id, $1, kind, maker, model, os, software, firmware_version, ip_addresses, dhcp, computer_name, location, user_name, registered_on, status, description, serial_number, remote_maintenance, maintenance_vendor, remote_access, security_updates_in_contract, last_patched_on, always_on_connection, weak_or_reused_password, created_at, updated_at \
         FROM devices WHERE institution_id = $2 AND asset_number = 'E-0001' RETURNING id";
    enum Writer {
        Sqlite(sqlx::SqliteConnection),
        Postgres(sqlx::PgConnection),
    }
    macro_rules! on_writer {
        ($w:expr, $c:ident => $body:expr) => {
            match &mut $w {
                Writer::Sqlite($c) => $body,
                Writer::Postgres($c) => $body,
            }
        };
    }
    let mut writer = if app.url.starts_with("sqlite:") {
        Writer::Sqlite(
            sqlx::SqliteConnection::connect(&app.url)
                .await
                .expect("connect"),
        )
    } else {
        Writer::Postgres(
            sqlx::PgConnection::connect(&app.url)
                .await
                .expect("connect"),
        )
    };
    let [conflicting, same, other]: [i64; 3] = on_writer!(writer, c => {
        sqlx::query("BEGIN").execute(&mut *c).await.expect("begin");
        let mut copies = [0; 3];
        for (id, asset) in copies.iter_mut().zip(["N-00025", "N-00030", "W-0001"]) {
            let (copied,): (i64,) = sqlx::query_as(COPY_AS)
                .bind(asset)
                .bind(CLINIC)
                .fetch_one(&mut *c)
                .await
                .unwrap_or_else(|e| panic!("the other writer's {asset}: {e}"));
            *id = copied;
        }
        sqlx::query("UPDATE devices SET os = 'Windows 11 Pro 23H2' WHERE institution_id = $1 AND asset_number = 'N-00030'")
            .bind(CLINIC)
            .execute(&mut *c)
            .await
            .expect("N-00030 as in the file");
        copies
    });

    // The import goes through the API, whose answer shows the counts to the user.
    let csv = mamori_reports::ledger::export_csv(&file, mamori_reports::ledger::Encoding::Utf8)
        .expect("the file as CSV");
    let path = format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true");
    let import = app.upload(&path, &token, "text/csv", csv);
    tokio::pin!(import);
    let wait = async {
        if let Writer::Postgres(c) = &mut writer {
            // Wait until the import's COPY waits on the other writer's uncommitted row.
            let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
                .fetch_one(&mut *c)
                .await
                .expect("pid");
            let mut watch = sqlx::PgConnection::connect(&app.url)
                .await
                .expect("connect");
            for _ in 0..200 {
                let (blocked,): (i64,) = sqlx::query_as(
                    "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE 'COPY devices%'",
                )
                .bind(pid)
                .fetch_one(&mut watch)
                .await
                .expect("pg_stat_activity");
                if blocked > 0 {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            false
        } else {
            // SQLite: the import waits for the other writer's lock before it reads.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            true
        }
    };
    // The import runs meanwhile; it cannot finish while the other writer holds its row.
    tokio::select! {
        r = &mut import => panic!("the import finished while the other writer held its row: {}", r.body),
        waited = wait => assert!(waited, "the import's COPY waits on the other writer's row"),
    }
    on_writer!(writer, c => {
        sqlx::query("COMMIT").execute(&mut *c).await.expect("commit");
    });

    // Both engines count what was written: N-00025 replaced the other writer's row, N-00030
    // found it as in the file.
    let r = import.await.assert_status(StatusCode::OK);
    let answer = r.json();
    assert_eq!(
        (
            &answer["added"],
            &answer["changed"],
            &answer["unchanged"],
            &answer["committed"]
        ),
        (&json!(48), &json!(2), &json!(2), &json!(true)),
        "{answer}"
    );
    let entries = store
        .audit_entries(Some(CLINIC), 1)
        .await
        .expect("audit entries");
    assert_eq!(entries[0].action, "device.import");
    assert_eq!(entries[0].detail, "added=48 changed=2 unchanged=2");

    let all = store.devices(CLINIC).await.expect("devices");
    let mut assets: Vec<&str> = all.iter().map(|d| d.device.asset_number.as_str()).collect();
    assert_eq!(
        all.len(),
        53,
        "two before, fifty new, the other writer's W-0001"
    );
    assets.dedup();
    assert_eq!(assets.len(), 53, "every asset number once");
    let find = |asset: &str| {
        all.iter()
            .find(|d| d.device.asset_number.as_str() == asset)
            .unwrap_or_else(|| panic!("{asset} is stored"))
    };
    for d in &file {
        assert_eq!(
            find(d.asset_number.as_str()).device,
            *d,
            "{} as in the file",
            d.asset_number
        );
    }
    let n25 = find("N-00025");
    assert_eq!(
        n25.id, conflicting,
        "the other writer's row is updated in place"
    );
    assert_eq!(n25.device.os, "Windows 11 Pro 23H2");
    let w1 = find("W-0001");
    assert_eq!(w1.id, other);
    let mut copied = before[0].clone();
    copied.asset_number = w1.device.asset_number.clone();
    assert_eq!(
        w1.device, copied,
        "the other writer's row outside the file stays"
    );
    let e1_before = first
        .iter()
        .find(|d| d.device.asset_number.as_str() == "E-0001")
        .expect("E-0001");
    assert_eq!(
        find("E-0001"),
        e1_before,
        "an unchanged row is not written again"
    );
    let n30 = find("N-00030");
    assert_eq!(
        (n30.id, n30.updated_at.as_str()),
        (same, e1_before.updated_at.as_str()),
        "the other writer's row as in the file is not written again"
    );
    assert_eq!(
        store.audit_count(CLINIC).await.expect("audit") - audit_before,
        1,
        "one audit entry for the import"
    );
    app.assert_audit_chain_intact().await;
}

async fn ledger_import_previews_then_stores_all_or_nothing(app: &TestApp) {
    let token = app.token("demo-clinic").await;
    let import = format!("/api/v1/institutions/{CLINIC}/devices/import");
    let list = format!("/api/v1/institutions/{CLINIC}/devices");

    // Shift_JIS, shuffled Japanese headers: a preview stores nothing.
    let sjis = fixture("shift_jis_shuffled.csv");
    let r = app
        .upload(&import, &token, "text/csv", sjis.clone())
        .await
        .assert_status(StatusCode::OK);
    let preview = r.json();
    assert_eq!(preview["added"], 4, "{preview}");
    assert_eq!(preview["changed"], 0);
    assert_eq!(preview["rejected"], json!([]));
    assert_eq!(preview["committed"], false);
    assert_eq!(
        app.api_get(&list, &token).await.json(),
        json!([]),
        "a preview stores nothing"
    );

    let r = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            "text/csv",
            sjis.clone(),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["added"], 4);
    assert_eq!(r.json()["committed"], true);
    let devices = app.api_get(&list, &token).await.json();
    let devices = devices.as_array().expect("list");
    assert_eq!(devices.len(), 4);
    let sv = devices
        .iter()
        .find(|d| d["asset_number"] == "SV-001")
        .expect("SV-001");
    assert_eq!(sv["kind"], "server");
    assert_eq!(sv["software"].as_array().expect("software").len(), 3);
    assert_eq!(sv["ip_addresses"], json!(["192.168.10.5", "192.168.20.5"]));
    assert_eq!(sv["registered_on"], "2020-12-01", "令和2年12月1日");
    assert_eq!(sv["remote_access"], "vendor_closed_network");

    // The same file again changes nothing; the .xlsx adds its own rows.
    let again = app.upload(&import, &token, "text/csv", sjis).await.json();
    assert_eq!(
        (
            again["added"].clone(),
            again["changed"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(4))
    );
    let xlsx = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            XLSX,
            fixture("libreoffice_title_row.xlsx"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(xlsx.json()["added"], 4, "{}", xlsx.body);
    let english = app
        .upload(
            &format!("{import}?commit=true"),
            &token,
            "text/csv",
            fixture("utf8_bom_english.csv"),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(english.json()["added"], 2);
    let count = |v: Value| v.as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(count(app.api_get(&list, &token).await.json()), 10);

    // Any rejected row: 422 with every row listed, and nothing stored.
    for (file, rows) in [
        ("duplicate_asset_numbers.csv", vec![2usize, 3, 4, 5]),
        ("invalid_ip.csv", vec![3, 4]),
        ("dates.csv", vec![5]),
    ] {
        let r = app
            .upload(
                &format!("{import}?commit=true"),
                &token,
                "text/csv",
                fixture(file),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file}: {}",
            r.body
        );
        let body = r.json();
        assert_eq!(body["committed"], false);
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "rows_rejected");
        let rejected = body["rejected"].as_array().expect("rejected");
        for row in &rows {
            assert!(
                rejected.iter().any(|e| e["row"] == *row),
                "{file}: row {row} is listed: {body}"
            );
        }
        for e in rejected {
            assert!(!e["column"].as_str().unwrap_or_default().is_empty(), "{e}");
            assert!(
                !e["message_ja"].as_str().unwrap_or_default().is_empty(),
                "{e}"
            );
            assert!(
                !e["message_en"].as_str().unwrap_or_default().is_empty(),
                "{e}"
            );
        }
        assert_eq!(
            count(app.api_get(&list, &token).await.json()),
            10,
            "{file}: nothing of a rejected import is stored"
        );
    }

    // Only its admin (and the national office) import; others are refused or not told.
    let staff = app.token("demo-hospital-staff").await;
    let outsider = app.token("demo-hospital-46").await;
    let own_import = format!("/api/v1/institutions/{HOSPITAL}/devices/import");
    for (path, token, status, code) in [
        (&own_import, &staff, StatusCode::FORBIDDEN, "forbidden"),
        (&import, &outsider, StatusCode::NOT_FOUND, "not_found"),
    ] {
        app.upload(path, token, "text/csv", fixture("dates.csv"))
            .await
            .assert_bilingual_error(status, code);
    }
    app.api_get(&list, &outsider)
        .await
        .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
}

async fn ledger_refuses_bad_files_clearly(app: &TestApp) {
    let token = app.token("demo-clinic").await;
    let import = format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true");
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "empty",
            "text/csv",
            fixture("empty.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "png",
            "text/csv",
            fixture("not_a_ledger.png"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_spreadsheet",
        ),
        (
            "unknown header",
            "text/csv",
            fixture("unknown_header.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_header",
        ),
        (
            "ragged",
            "text/csv",
            fixture("ragged.csv"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ragged_row",
        ),
        (
            "broken xlsx",
            XLSX,
            b"PK\x03\x04 not really a zip".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_workbook",
        ),
        (
            "25 MB",
            "text/csv",
            vec![b'a'; 25 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
        ),
    ];
    for (what, content_type, body, status, code) in cases {
        let r = app.upload(&import, &token, content_type, body).await;
        assert_eq!(
            r.status,
            status,
            "{what}: {}",
            r.body.chars().take(300).collect::<String>()
        );
        r.assert_bilingual_error(status, code);
    }
    app.upload(
        &format!("/api/v1/institutions/{CLINIC}/devices/import?commit=maybe"),
        &token,
        "text/csv",
        fixture("dates.csv"),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_commit");
    assert!(app.devices(CLINIC).await.is_empty());

    // One device through the API: bad cells are listed, nothing is stored.
    let devices = format!("/api/v1/institutions/{CLINIC}/devices");
    let r = app
        .api_post(&devices, &token, json!({"asset_number": "PC-9", "ip_address": "192.168.0.300", "registered_on": "2025/13/45"}))
        .await.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "invalid_device");
    assert_eq!(
        r.json()["rejected"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.body
    );
    app.api_post(
        &devices,
        &token,
        json!({"asset_number": "PC-9", "price": "100"}),
    )
    .await
    .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    let r = app
        .api_create(&devices, &token, json!({"asset_number": "PC-9", "os": "Windows 11 Pro 24H2", "registered_on": "令和7年4月1日", "ip_addresses": ["192.168.0.9"], "remote_maintenance": false}))
        .await;
    assert_eq!(r["registered_on"], "2025-04-01");
    let id = r["id"].as_i64().expect("id");
    app.api_post(&devices, &token, json!({"asset_number": "ＰＣ-9"}))
        .await
        .assert_bilingual_error(StatusCode::CONFLICT, "conflict");
    let one = format!("{devices}/{id}");
    let r = app
        .api_put_ok(
            &one,
            &token,
            json!({"asset_number": "PC-9", "os": "Windows 8.1", "status": "停止"}),
        )
        .await;
    assert_eq!(r.json()["status"], "stopped");
    assert!(
        elements(&r.json()["flags"])
            .iter()
            .any(|f| f["code"] == "end_of_support"),
        "Windows 8.1 is past its support: {}",
        r.body
    );
    let r = app
        .api("POST", &format!("{one}/retire"), Some(&token), None)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(r.json()["status"], "retired");
    assert_eq!(
        r.json()["flags"],
        json!([]),
        "a retired device needs nothing"
    );
    for id in ["999999", "x"] {
        app.api_get(&format!("{devices}/{id}"), &token)
            .await
            .assert_bilingual_error(StatusCode::NOT_FOUND, "not_found");
    }
}

async fn ledger_devices_carry_flags_and_export_round_trips(app: &TestApp) {
    let token = app.token("demo-hospital").await;
    let list = format!("/api/v1/institutions/{HOSPITAL}/devices");
    let devices = app.api_get_ok(&list, &token).await;
    let devices = devices.json();
    let by_asset = |asset: &str| -> Value {
        devices
            .as_array()
            .and_then(|l| l.iter().find(|d| d["asset_number"] == asset))
            .cloned()
            .unwrap_or_else(|| panic!("{asset} in {devices}"))
    };
    let codes = |d: &Value| -> Vec<String> {
        d["flags"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let fortigate = by_asset("NW-001");
    let fg = codes(&fortigate);
    for code in [
        "known_exploited",
        "vulnerable_version",
        "stale_patch",
        "vpn_no_security_updates",
        "vpn_always_on",
    ] {
        assert!(
            fg.contains(&code.to_owned()),
            "FortiOS 6.0.4 under vendor VPN: {code} in {fg:?}"
        );
    }
    let vulnerable = fortigate["flags"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == "vulnerable_version"))
        .expect("vulnerable_version");
    assert!(
        vulnerable["cves"].to_string().contains("CVE-2018-13379"),
        "{vulnerable}"
    );
    for f in fortigate["flags"].as_array().expect("flags") {
        for field in ["severity", "message_ja", "message_en", "evidence"] {
            assert!(
                !f[field].as_str().unwrap_or_default().is_empty(),
                "{field}: {f}"
            );
        }
    }
    assert!(
        codes(&by_asset("PC-002")).contains(&"end_of_support".to_owned()),
        "Windows 10 21H2"
    );
    assert!(
        codes(&by_asset("SV-001")).contains(&"end_of_support".to_owned()),
        "Windows Server 2012 R2"
    );
    assert!(
        codes(&by_asset("NW-002")).contains(&"support_date_unknown".to_owned()),
        "Yamaha RTX"
    );
    assert!(
        !codes(&by_asset("PC-003")).contains(&"end_of_support".to_owned()),
        "Windows 11 25H2 is supported"
    );

    // Staff and the prefecture's inspector read; the export reads back as the same ledger.
    for login in ["demo-hospital-staff", "demo-inspector-13", "demo-national"] {
        let t = app.token(login).await;
        assert_eq!(
            app.api_get(&list, &t).await.status,
            StatusCode::OK,
            "{login}"
        );
    }
    for (path, content_type) in [
        (format!("{list}/export.csv"), "text/csv"),
        (format!("{list}/export.csv?encoding=shift_jis"), "text/csv"),
        (format!("{list}/export.xlsx"), XLSX),
    ] {
        let request = Request::get(path.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let ct = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with(content_type), "{path}: {ct}");
        let bytes = to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body")
            .to_vec();
        let preview = app
            .upload(
                &format!("/api/v1/institutions/{HOSPITAL}/devices/import"),
                &token,
                content_type,
                bytes,
            )
            .await
            .json();
        assert_eq!(
            (
                preview["added"].clone(),
                preview["changed"].clone(),
                preview["unchanged"].clone()
            ),
            (json!(0), json!(0), json!(7)),
            "{path}: the round trip loses nothing: {preview}"
        );
    }
    let paged = app
        .api_get(&format!("{list}?limit=2&offset=1"), &token)
        .await
        .json();
    assert_eq!(paged.as_array().map(Vec::len), Some(2), "{paged}");
    assert_eq!(paged[0]["asset_number"], devices[1]["asset_number"]);
    app.api_get(&format!("{list}/export.csv?encoding=latin1"), &token)
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_encoding");
    let datasets = app.api_get("/api/v1/datasets", &token).await.json();
    assert!(
        datasets["kev_count"].as_u64().unwrap_or(0) > 1000,
        "{datasets}"
    );
    assert_eq!(datasets["licenses"].as_array().map(Vec::len), Some(2));
}

async fn ledger_pages_import_with_preview_and_confirm(app: &TestApp) {
    let web = app.web_login("demo-clinic").await;
    let ledger_path = format!("/institutions/{CLINIC}/ledger");
    let page = app.page(&web, &ledger_path).await;
    page.assert_body_contains("機器台帳");
    let upload = app
        .page(&web, &format!("/institutions/{CLINIC}/ledger/import"))
        .await;
    assert!(upload.body.contains("enctype=\"multipart/form-data\""));

    // The import form sends a CSV file of the fixtures under the name the browser gives it.
    let send_csv = |name: &'static str, file: &'static str| {
        app.send(ledger_import_request(
            &web,
            name,
            "text/csv",
            &fixture(file),
        ))
    };
    // A file with rejected rows: the preview lists them and offers no confirmation.
    let r = send_csv("dup.csv", "duplicate_asset_numbers.csv")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("管理番号");
    assert!(
        r.hidden("token").is_none(),
        "no confirmation of a rejected file"
    );

    // A clean file: preview, then confirm with the token only.
    let r = send_csv("台帳.csv", "shift_jis_shuffled.csv")
        .await
        .assert_status(StatusCode::OK);
    let token = r.hidden("token").expect("confirmation token");
    assert!(
        r.body.contains("<code>VPN-001</code>"),
        "the preview names the devices it adds"
    );
    assert!(
        app.devices(CLINIC).await.is_empty(),
        "preview stores nothing"
    );
    // Another user cannot confirm it.
    let other = app.web_login("demo-national").await;
    let token_field = format!("token={token}");
    let confirm_path = format!("/institutions/{CLINIC}/ledger/import/confirm");
    app.submit(&other, &confirm_path, &token_field)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    app.post_form(
        &web.cookie,
        &confirm_path,
        &format!("csrf=wrong&token={token}"),
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    app.submit_accepted(&web, &confirm_path, &token_field).await;
    assert_eq!(app.devices(CLINIC).await.len(), 4);
    let again = app.submit(&web, &confirm_path, &token_field).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a token serves once"
    );

    let ledger = app.get_page(&web.cookie, &ledger_path).await;
    assert!(
        ledger.body.contains("VPN-001") && ledger.body.contains("flag-"),
        "{}",
        ledger.body
    );
    let en = app.get_page(&web.english_cookie(), &ledger_path).await;
    en.assert_body_contains("Device ledger");

    // Add, edit and retire through the forms; staff may only read.
    let r = app
        .submit(
            &web,
            &ledger_path,
            "asset_number=PC-77&kind=pc&os=Windows+8.1&ip_address=192.168.0.300&status=active",
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("192.168.0.300"),
        "the form keeps what was typed"
    );
    app
        .submit_accepted(&web, &ledger_path, "asset_number=PC-77&kind=pc&os=Windows+8.1&ip_address=192.168.0.77&status=active&remote_maintenance=no").await;
    let stored = app.devices(CLINIC).await;
    let pc = stored
        .iter()
        .find(|d| d.device.asset_number.as_str() == "PC-77")
        .expect("PC-77");
    app.submit_accepted(
        &web,
        &format!("/institutions/{CLINIC}/ledger/{}", pc.id),
        "asset_number=PC-77&kind=pc&os=Windows+11+Pro+24H2&status=active",
    )
    .await;
    app.submit_accepted(
        &web,
        &format!("/institutions/{CLINIC}/ledger/{}/retire", pc.id),
        "",
    )
    .await;
    let pc = app
        .state
        .store
        .device(CLINIC, pc.id)
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(pc.device.os, "Windows 11 Pro 24H2");
    assert_eq!(
        pc.device.status,
        mamori_domain::device::DeviceStatus::Retired
    );

    let hospital = app.web_login("demo-hospital").await;
    let page = app
        .get_page(&hospital.cookie, &format!("/institutions/{HOSPITAL}"))
        .await;
    assert!(
        page.body.contains("/ledger"),
        "the institution page sums up the ledger"
    );
    let year = app.year();
    let checklist = app
        .page(
            &hospital,
            &format!("/institutions/{HOSPITAL}/checklist/{year}"),
        )
        .await;
    let evidence = checklist.body.matches("class=\"ledger-evidence\"").count();
    assert!(
        evidence >= 2,
        "the ledger speaks beside 2(1), 2(2), 2(7): {evidence}"
    );
    assert!(
        checklist.body.contains("data-suggested=\"no\""),
        "old FortiOS: patches are behind"
    );
    let datasets = app.page(&hospital, "/datasets").await;
    assert!(
        datasets.body.contains("CC0") && datasets.body.contains("MIT"),
        "{}",
        datasets.body
    );
}
