use super::*;
use mamori_domain::device_risk::{DeviceKind, FlagCode, RiskSubject, assess, identify};

fn scratch(name: &str) -> PathBuf {
    crate::tests::scratch_dir(&format!("datasets-{name}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

const KEV: &str = r#"{
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2025.08.25",
        "dateReleased": "2025-08-25T17:04:19.9796Z",
        "count": 2,
        "vulnerabilities": [
            {"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS",
             "vulnerabilityName": "Fortinet FortiOS SSL VPN Path Traversal Vulnerability",
             "dateAdded": "2021-11-03", "shortDescription": "…",
             "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-05-03",
             "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"]},
            {"cveID": "CVE-2024-3400", "vendorProject": "Palo Alto Networks", "product": "PAN-OS",
             "vulnerabilityName": "PAN-OS Command Injection", "dateAdded": "2024-04-12",
             "requiredAction": "Apply mitigations.", "knownRansomwareCampaignUse": "Unknown",
             "aFieldFromTheFuture": 1}
        ]
    }"#;

#[test]
fn a_kev_file_in_cisas_format_loads() {
    let kev = parse_kev(KEV.as_bytes(), Path::new("kev.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kev.catalog_version, "2025.08.25");
    assert_eq!(kev.entries.len(), 2);
    assert_eq!(
        kev.entries[0].known_ransomware_campaign_use,
        RansomwareUse::Known
    );
    assert_eq!(kev.entries[1].date_added, date(2024, 4, 12));
}

#[test]
fn kev_errors_name_the_file_the_entry_and_the_problem() {
    let file = Path::new("kev.json");
    parsed_text_refused_saying(
        |text| parse_kev(text.as_bytes(), file),
        &[
            (
                KEV.replace("\"count\": 2", "\"count\": 3"),
                "kev.json: count is 3 but the file lists 2",
            ),
            (
                KEV.replace("CVE-2024-3400", "CVE-24-3400"),
                "kev.json: CVE-24-3400: cveID \"CVE-24-3400\" is not a CVE id",
            ),
            (
                KEV.replace("2025.08.25", "latest"),
                "catalogVersion \"latest\"",
            ),
            (
                KEV.replace("2021-11-03", "3 Nov 2021"),
                "CVE-2018-13379: dateAdded \"3 Nov 2021\"",
            ),
            (
                "{\"catalogVersion\": 1}".to_owned(),
                "kev.json: line 1 column",
            ),
        ],
    );
}

/// `parse` must refuse each text with an error that says its part.
#[track_caller]
fn parsed_text_refused_saying<T: std::fmt::Debug, E: std::fmt::Display>(
    parse: impl Fn(&str) -> Result<T, E>,
    cases: &[(String, &str)],
) {
    for (text, says) in cases {
        let err = parse(text).expect_err(says).to_string();
        assert!(err.contains(says), "{says:?} in {err}");
    }
}

const FORTIOS: &str = r#"---
title: FortiOS
category: os
permalink: /fortios
releaseLabel: "FortiOS __RELEASE_CYCLE__"
somethingNew: [1, 2]
identifiers:
  - cpe: cpe:2.3:o:fortinet:fortios

releases:
  - releaseCycle: "7.4"
    releaseDate: 2023-05-11
    eoas: 2027-05-11
    eol: 2028-11-11
    lts: true

  - releaseCycle: 6.0
    releaseLabel: "Six (__CODENAME__)"
    codename: Legacy
    eol: true
    latest: 6.0.18

  - releaseCycle: "8.0"
    eol: false # not announced
---

> [FortiOS](https://example.org) is Fortinet's operating system.
"#;

#[test]
fn an_endoflife_product_file_loads() {
    let p = parse_endoflife_product("fortios", FORTIOS, Path::new("fortios.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.title, "FortiOS");
    assert_eq!(p.source_url(), "https://endoflife.date/fortios");
    assert_eq!(p.identifiers, ["cpe:2.3:o:fortinet:fortios"]);
    assert_eq!(p.releases.len(), 3);
    assert_eq!(p.releases[0].eol, Some(Eol::On(date(2028, 11, 11))));
    assert_eq!(p.releases[0].label.as_deref(), Some("FortiOS 7.4"));
    assert!(p.releases[0].lts);
    // An unquoted number is a cycle too (YAML reads `6.0` as a float).
    assert_eq!(p.releases[1].cycle, "6.0");
    assert_eq!(p.releases[1].eol, Some(Eol::Ended));
    assert_eq!(p.releases[1].label.as_deref(), Some("Six (Legacy)"));
    assert_eq!(p.releases[1].latest.as_deref(), Some("6.0.18"));
    assert_eq!(p.releases[2].eol, Some(Eol::NotAnnounced));
}

#[test]
fn endoflife_errors_name_the_file_the_release_and_the_problem() {
    let file = Path::new("fortios.md");
    parsed_text_refused_saying(
        |text| parse_endoflife_product("fortios", text, file),
        &[
            (
                "title: FortiOS\n".to_owned(),
                "fortios.md: no YAML front matter",
            ),
            (
                FORTIOS.replace("eol: 2028-11-11", "eol: someday"),
                "fortios.md: release 7.4: eol must be a YYYY-MM-DD date, true or false, not someday",
            ),
            (
                FORTIOS.replace("  - releaseCycle: \"8.0\"", "  - releaseCycle: \"7.4\""),
                "release 7.4: releaseCycle listed twice",
            ),
            (
                "---\ntitle: [unclosed\n---\n".to_owned(),
                "fortios.md: line",
            ),
        ],
    );
}

/// Writes each text to `path` in turn; `load` must refuse it with an error that says every
/// part.
#[track_caller]
fn refused_saying<T: std::fmt::Debug>(
    path: &Path,
    load: impl Fn(&Path) -> Result<T, DatasetErrors>,
    cases: &[(&str, &[&str])],
) {
    for &(text, parts) in cases {
        std::fs::write(path, text).expect("write");
        let err = load(path).expect_err(text).to_string();
        for part in parts {
            assert!(err.contains(part), "{part:?} in {err}");
        }
    }
}

#[test]
fn curated_rows_must_cite_a_source() {
    let dir = scratch("curated");
    refused_saying(
        &dir.join("aliases.toml"),
        load_aliases,
        &[
            (
                "[[products]]\nid = \"fortios\"\ntitle = \"FortiOS\"\nnames = [\"fortios\"]\nscheme = \"dotted\"\n",
                &["aliases.toml: product fortios: source is missing"],
            ),
            (
                "[[products]]\nid = \"w\"\ntitle = \"W\"\nnames = [\"w\"]\nscheme = \"named\"\nsource = \"https://example.org\"\n",
                &["product w: scheme is \"named\" but [products.named] is missing"],
            ),
        ],
    );

    let table = AliasTable {
        makers: Vec::new(),
        products: vec![ProductAlias {
            id: "fortios".into(),
            title: "FortiOS".into(),
            names: vec!["fortios".into()],
            exclude: Vec::new(),
            makers: Vec::new(),
            endoflife: None,
            scheme: CycleScheme::Dotted {
                legacy_one_prefix: false,
            },
            kev: Vec::new(),
            kev_cves: Vec::new(),
        }],
    };
    let kev = parse_kev(KEV.as_bytes(), Path::new("kev.json")).expect("kev");
    let fixed = dir.join("fixed.toml");
    let load_fixed = |path: &Path| load_fixed_versions(path, &table.products, &kev.entries);
    let row = "[[rows]]\nproduct = \"fortios\"\ncves = [\"CVE-2018-13379\"]\nbranch = \"6.0\"\nfixed = \"6.0.5\"\nadvisory_id = \"FG-IR-18-384\"\n";
    let with_source = format!("{row}source = \"https://www.fortiguard.com/psirt/FG-IR-18-384\"\n");
    refused_saying(
        &fixed,
        load_fixed,
        &[(
            row,
            &["fixed.toml: row 1 (fortios CVE-2018-13379 6.0): source is missing"],
        )],
    );
    std::fs::write(&fixed, &with_source).expect("write");
    assert_eq!(
        load_fixed(&fixed).unwrap_or_else(|e| panic!("{e}")).len(),
        1
    );
    refused_saying(
        &fixed,
        load_fixed,
        &[
            (
                &with_source.replace("6.0.5", "6.2.0"),
                &["fixed 6.2.0 is not in branch 6.0"],
            ),
            (
                &with_source.replace("CVE-2018-13379", "CVE-2099-0001"),
                &["CVE-2099-0001 is not in the KEV catalog"],
            ),
        ],
    );

    refused_saying(
        &dir.join("lifecycle.toml"),
        load_lifecycles,
        &[
            (
                "[[rows]]\nmaker = \"Yamaha\"\nmodel = \"RTX1200\"\nsource = \"https://www.rtpro.yamaha.co.jp/\"\nsource_title = \"RTpro\"\n",
                &["lifecycle.toml: Yamaha RTX1200: no end_of_support"],
            ),
            (
                "[[rows]]\nmaker = \"Yamaha\"\nmodel = \"RTX1200\"\nend_of_support = \"2099-13-01\"\nsource_title = \"RTpro\"\n",
                &["Yamaha RTX1200: source is missing"],
            ),
            (
                "[[rows]]\nmaker = \"Yamaha\"\nmodel = \"RTX1200\"\nend_of_support = \"2099-13-01\"\nsource = \"https://example.org\"\nsource_title = \"t\"\n",
                &["end_of_support \"2099-13-01\" is not a YYYY-MM-DD date"],
            ),
            (
                "[[rows]]\nmaker = \"Yamaha\"\nmodl = \"RTX\"\n",
                &["lifecycle.toml: line 3", "modl"],
            ),
        ],
    );
}

fn bundled() -> Datasets {
    Datasets::load(&bundled_datasets_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_bundled_datasets_load() {
    let d = bundled();
    assert_eq!(d.kev_version, "2025.08.25");
    assert_eq!(d.kev_count, 1404);
    assert_eq!(d.endoflife_snapshot, "2026-08-22");
    assert!(
        (40..=80).contains(&d.endoflife_products_count),
        "{} products",
        d.endoflife_products_count
    );
    let licenses: Vec<&str> = d.licenses.iter().map(|l| l.license.as_str()).collect();
    assert_eq!(licenses, ["CC0-1.0", "MIT"]);
    let data = d.risk_data();
    assert_eq!(data.kev_count(), 1404);
    // Every KEV pattern of the alias table names entries of the bundled catalog.
    assert!(
        data.unmatched_kev_patterns().is_empty(),
        "{:?}",
        data.unmatched_kev_patterns()
    );
    // Every bundled product file is there for an alias (the repository stays lean).
    let used: HashSet<&str> = d
        .aliases
        .iter()
        .filter_map(|a| a.endoflife.as_deref())
        .collect();
    for p in &d.endoflife {
        assert!(
            used.contains(p.id.as_str()),
            "{} is bundled but no alias uses it",
            p.id
        );
    }
}

#[test]
fn the_whole_endoflife_publisher_folder_loads() {
    let dir = Path::new("/work/shared/data/endoflife/products");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let products = load_endoflife_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(products.len(), 464);
}

#[test]
fn the_bundled_datasets_drive_the_risk_rules() {
    let d = bundled();
    let data = d.risk_data();
    let today = date(2026, 11, 24);
    let has = |s: &RiskSubject<'_>, code: FlagCode| {
        assess(s, &data, today, 90).iter().any(|f| f.code == code)
    };
    let pc = |os: &'static str, v: Option<&'static str>| RiskSubject {
        kind: DeviceKind::TerminalPc,
        os: Some(os),
        os_version: v,
        last_patch_on: Some(date(2026, 11, 1)),
        ..Default::default()
    };

    assert!(has(&pc("Windows 8.1", None), FlagCode::EndOfSupport));
    let m = identify(&pc("Windows 10", Some("21H2")), &data);
    assert_eq!(m[0].cycle.as_deref(), Some("10-21h2-w"));
    assert!(has(&pc("Windows 10", Some("21H2")), FlagCode::EndOfSupport));
    let m = identify(&pc("Windows 10 Enterprise LTSC 2021", None), &data);
    assert_eq!(m[0].cycle.as_deref(), Some("10-21h2-e-lts"));
    let m = identify(&pc("Windows Server 2012 R2", None), &data);
    assert_eq!(
        (m[0].product.as_str(), m[0].cycle.as_deref()),
        ("windows-server", Some("2012-r2"))
    );
    assert!(has(
        &pc("Windows Server 2012 R2", None),
        FlagCode::EndOfSupport
    ));
    assert!(!has(
        &pc("Windows 11 Pro", Some("25H2")),
        FlagCode::EndOfSupport
    ));
    let m = identify(&pc("Microsoft SQL Server 2016 SP3", None), &data);
    assert_eq!(m[0].cycle.as_deref(), Some("13.0-sp3"));

    let vpn = |maker: &'static str, model: &'static str, fw: &'static str| RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some(maker),
        model: Some(model),
        firmware_version: Some(fw),
        remote_maintenance: true,
        ..Default::default()
    };
    let flags = assess(
        &vpn("Fortinet", "FortiGate 60E", "v6.0.4 build0231"),
        &data,
        today,
        90,
    );
    let v = flags
        .iter()
        .find(|f| f.code == FlagCode::VulnerableVersion && f.cves == ["CVE-2018-13379"])
        .expect("CVE-2018-13379");
    assert!(
        v.message
            .render(mamori_domain::Lang::Ja)
            .contains("FortiOS 6.0.5 以降へ更新"),
        "{}",
        v.message.render(mamori_domain::Lang::Ja)
    );
    assert!(v.evidence.contains("FG-IR-18-384"));
    let k = flags
        .iter()
        .find(|f| f.code == FlagCode::KnownExploited)
        .expect("KEV");
    assert!(k.cves.contains(&"CVE-2018-13379".to_owned()));
    for code in [
        FlagCode::EndOfSupport,
        FlagCode::VpnUnsupported,
        FlagCode::VpnNoSecurityUpdates,
    ] {
        assert!(flags.iter().any(|f| f.code == code), "{code:?}");
    }
    let fortigate_74 = vpn("Fortinet", "FortiGate 60F", "v7.4.8 build2795");
    assert!(!has(&fortigate_74, FlagCode::EndOfSupport));
    assert!(!has(&fortigate_74, FlagCode::VulnerableVersion));

    for (maker, model, firmware, vulnerable) in [
        ("Pulse Secure", "PCS-3000", "9.0R3.3", true),
        ("Pulse Secure", "PCS-3000", "9.0R3.4", false),
        ("Citrix", "NetScaler Gateway", "13.0-47.22", true),
        ("Palo Alto Networks", "PA-220", "10.2.8", true),
        ("Palo Alto Networks", "PA-220", "10.2.8-h3", false),
        ("SonicWall", "SMA 210", "10.2.0.2-20sv", true),
        ("SonicWall", "SMA 210", "9.0.0.9-26sv", false),
    ] {
        let flagged = has(&vpn(maker, model, firmware), FlagCode::VulnerableVersion);
        assert_eq!(flagged, vulnerable, "{maker} {model} {firmware}");
    }

    let rtx = RiskSubject {
        kind: DeviceKind::Network,
        maker: Some("ヤマハ"),
        model: Some("RTX1200"),
        firmware_version: Some("Rev.10.01.78"),
        ..Default::default()
    };
    let flags = assess(&rtx, &data, today, 90);
    let unknown = flags
        .iter()
        .find(|f| f.code == FlagCode::SupportDateUnknown)
        .expect("support date unknown");
    assert!(unknown.evidence.contains("RTX1200"), "{}", unknown.evidence);
    assert!(unknown.evidence.contains("rtpro.yamaha.co.jp"));
}

#[test]
fn flags_serialize_with_snake_case_codes() {
    use mamori_domain::device_risk::FlagSeverity;
    for code in FlagCode::ALL {
        let json = serde_json::to_value(code).expect("serializes");
        assert_eq!(json, code.as_str());
        let back: FlagCode = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, code);
    }
    assert_eq!(
        serde_json::to_value(FlagSeverity::Medium).expect("severity"),
        "medium"
    );
    for kind in DeviceKind::ALL {
        assert_eq!(serde_json::to_value(kind).expect("kind"), kind.as_str());
    }
}

/// `cargo test -p mamori-catalog --release -- --ignored --nocapture many_devices`
#[test]
#[ignore = "timing; run in release"]
fn many_devices() {
    let d = bundled();
    let data = d.risk_data();
    let today = date(2026, 11, 24);
    let versions: Vec<String> = (0..100_000)
        .map(|i| format!("{}.{}.{}", 5 + i % 3, i % 5, i % 17))
        .collect();
    let start = std::time::Instant::now();
    let mut flags = 0;
    for (i, v) in versions.iter().enumerate() {
        let subject = match i % 4 {
            0 => RiskSubject {
                kind: DeviceKind::VpnDevice,
                maker: Some("Fortinet"),
                model: Some("FortiGate 60E"),
                firmware_version: Some(v),
                ..Default::default()
            },
            1 => RiskSubject {
                kind: DeviceKind::TerminalPc,
                maker: Some("NEC"),
                model: Some("Mate MKM"),
                os: Some("Windows 10 Pro"),
                os_version: Some("22H2"),
                software: vec![mamori_domain::device_risk::SoftwareRef {
                    name: "Microsoft Office 2016",
                    version: Some("16.0.5435"),
                }],
                ..Default::default()
            },
            2 => RiskSubject {
                kind: DeviceKind::Server,
                os: Some("Windows Server 2016 Standard"),
                software: vec![mamori_domain::device_risk::SoftwareRef {
                    name: "SQL Server 2016",
                    version: None,
                }],
                ..Default::default()
            },
            _ => RiskSubject {
                kind: DeviceKind::Network,
                maker: Some("ヤマハ"),
                model: Some("RTX1210"),
                firmware_version: Some("Rev.14.01.42"),
                ..Default::default()
            },
        };
        flags += assess(&subject, &data, today, 90).len();
    }
    let assessed = start.elapsed();
    let start = std::time::Instant::now();
    let mut matches = 0;
    for i in 0..100_000 {
        let subject = RiskSubject {
            kind: DeviceKind::TerminalPc,
            os: Some(if i % 2 == 0 {
                "Windows 10 Pro"
            } else {
                "Windows Server 2016"
            }),
            os_version: Some("22H2"),
            ..Default::default()
        };
        matches += identify(&subject, &data).len();
    }
    eprintln!(
        "100,000 identifications in {:?} ({matches} matches)",
        start.elapsed()
    );
    eprintln!("100,000 devices assessed in {assessed:?} ({flags} flags)");
}
