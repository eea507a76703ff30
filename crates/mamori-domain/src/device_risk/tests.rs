use mamori_locale::Lang::Ja;
use std::sync::Arc;

use chrono::NaiveDate;

use super::assess::{assess, assess_ledger};
use super::dataset::{
    CycleScheme, Eol, EolProduct, FixedVersionRow, KevEntry, KevPattern, LifecycleRow, MakerAlias,
    NamedScheme, NamedTokens, ProductAlias, RansomwareUse, ReleaseCycle, RiskDataParts, Synonym,
};
use super::flag::{Flag, FlagCode, FlagSeverity};
use super::identify::identify;
use super::index::RiskData;
use super::subject::{DeviceKind, RiskSubject, SoftwareRef};
use super::version::Version;
use super::words::{maker_key, words};
use crate::testing::{assert_says, date};

fn cycle(id: &str, label: Option<&str>, eol: Eol, latest: Option<&str>) -> ReleaseCycle {
    ReleaseCycle {
        cycle: id.to_owned(),
        label: label.map(str::to_owned),
        release_date: None,
        eol: Some(eol),
        eoas: None,
        eoes: None,
        latest: latest.map(str::to_owned),
        lts: false,
    }
}

fn on(y: i32, m: u32, d: u32) -> Eol {
    Eol::On(date(y, m, d))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn synonyms(pairs: &[(&str, &str)]) -> Vec<Synonym> {
    pairs
        .iter()
        .map(|(p, r)| Synonym {
            phrase: (*p).to_owned(),
            replacement: (*r).to_owned(),
        })
        .collect()
}

fn kev(cve: &str, vendor: &str, product: &str, added: NaiveDate, ransomware: bool) -> KevEntry {
    KevEntry {
        cve_id: cve.to_owned(),
        vendor_project: vendor.to_owned(),
        product: product.to_owned(),
        vulnerability_name: format!("{product} vulnerability"),
        date_added: added,
        required_action: "Apply updates per vendor instructions.".to_owned(),
        known_ransomware_campaign_use: if ransomware {
            RansomwareUse::Known
        } else {
            RansomwareUse::Unknown
        },
    }
}

fn fixed_row(product: &str, cve: &str, branch: &str, fixed: Option<&str>) -> FixedVersionRow {
    FixedVersionRow {
        product: product.to_owned(),
        cves: vec![cve.to_owned()],
        branch: branch.to_owned(),
        affected_from: None,
        fixed: fixed.map(str::to_owned),
        also_fixed: Vec::new(),
        advisory_id: "ADV".to_owned(),
        source: "https://example.org/advisory".to_owned(),
        note: None,
    }
}

/// A product of endoflife.date.
fn product(
    id: &str,
    title: &str,
    permalink: &str,
    identifiers: &[&str],
    releases: Vec<ReleaseCycle>,
) -> EolProduct {
    EolProduct {
        id: id.to_owned(),
        title: title.to_owned(),
        permalink: Some(permalink.to_owned()),
        identifiers: strings(identifiers),
        releases,
    }
}

/// A product alias tracked by endoflife.date under its own id, excluding no words and
/// naming no catch-all KEV entry.
fn alias(
    id: &str,
    title: &str,
    names: &[&str],
    makers: &[&str],
    scheme: CycleScheme,
    kev: Vec<KevPattern>,
) -> ProductAlias {
    ProductAlias {
        id: id.to_owned(),
        title: title.to_owned(),
        names: strings(names),
        exclude: Vec::new(),
        makers: strings(makers),
        endoflife: Some(id.to_owned()),
        scheme,
        kev,
        kev_cves: Vec::new(),
    }
}

fn dotted() -> CycleScheme {
    CycleScheme::Dotted {
        legacy_one_prefix: false,
    }
}

fn kev_pattern(vendor: &str, product: &str) -> KevPattern {
    KevPattern {
        vendor: vendor.to_owned(),
        product: product.to_owned(),
    }
}

/// A small excerpt of the real datasets, dates as published.
fn data() -> RiskData {
    let windows = product(
        "windows",
        "Microsoft Windows",
        "/windows",
        &["cpe:2.3:o:microsoft:windows"],
        vec![
            cycle(
                "11-24h2-w",
                Some("11 24H2 (W)"),
                on(2026, 10, 13),
                Some("10.0.26100"),
            ),
            ReleaseCycle {
                eoes: Some(on(2028, 10, 10)),
                ..cycle(
                    "10-22h2",
                    Some("10 22H2"),
                    on(2025, 10, 14),
                    Some("10.0.19045"),
                )
            },
            cycle(
                "10-21h2-iot-lts",
                Some("10 21H2 IoT"),
                on(2032, 1, 13),
                Some("10.0.19044"),
            ),
            cycle(
                "10-21h2-e-lts",
                Some("10 21H2 (E)"),
                on(2027, 1, 12),
                Some("10.0.19044"),
            ),
            cycle(
                "10-21h2-e",
                Some("10 21H2 (E)"),
                on(2024, 6, 11),
                Some("10.0.19044"),
            ),
            cycle(
                "10-21h2-w",
                Some("10 21H2 (W)"),
                on(2023, 6, 13),
                Some("10.0.19044"),
            ),
            cycle("8.1", Some("8.1"), on(2023, 1, 10), None),
            cycle("7-sp1", Some("7 SP1"), on(2020, 1, 14), None),
            cycle("5-sp3", Some("XP SP3"), on(2014, 4, 8), None),
        ],
    );
    let windows_server = product(
        "windows-server",
        "Microsoft Windows Server",
        "/windows-server",
        &[],
        vec![
            cycle(
                "2019",
                Some("Windows Server 2019"),
                on(2029, 1, 9),
                Some("10.0.17763"),
            ),
            cycle(
                "1809-sac",
                Some("Windows Server 1809 SAC"),
                on(2020, 11, 10),
                Some("10.0.17763"),
            ),
            cycle(
                "2012-r2",
                Some("Windows Server 2012 R2"),
                on(2023, 10, 10),
                None,
            ),
            cycle("2012", Some("Windows Server 2012"), on(2023, 10, 10), None),
        ],
    );
    let fortios = product(
        "fortios",
        "FortiOS",
        "/fortios",
        &["cpe:2.3:o:fortinet:fortios"],
        vec![
            cycle("7.6", None, on(2030, 1, 25), None),
            cycle("7.4", None, on(2028, 11, 11), None),
            cycle("7.2", None, on(2026, 9, 30), None),
            cycle("7.0", None, on(2025, 9, 30), None),
            cycle("6.4", None, on(2024, 9, 30), None),
            cycle("6.2", None, on(2023, 9, 28), None),
            cycle("6.0", None, on(2022, 9, 29), None),
        ],
    );
    let pan_os = product(
        "pan-os",
        "Palo Alto Networks PAN-OS",
        "/panos",
        &[],
        vec![
            cycle("11.1", None, on(2027, 5, 3), None),
            cycle("10.2", None, on(2027, 8, 27), None),
        ],
    );
    let windows_scheme = CycleScheme::Named(NamedScheme {
        tokens_from: NamedTokens::Cycle,
        synonyms: synonyms(&[
            ("xp", "5"),
            ("iot enterprise", "iot"),
            ("enterprise", "e"),
            ("education", "e"),
            ("pro", "w"),
            ("home", "w"),
            ("ltsc", "lts"),
            ("ltsc 2021", "21h2 lts"),
        ]),
        qualifiers: strings(&["w", "e", "lts", "iot", "sp1", "sp3"]),
        default_qualifiers: Some(strings(&["w"])),
        default_note_ja: Some("エディション未記入のため Home/Pro とみなしました".to_owned()),
        default_note_en: Some("edition not stated; assumed Home/Pro (W)".to_owned()),
        build_from_latest: true,
    });
    let aliases = vec![
        alias(
            "windows",
            "Windows",
            &["windows", "win"],
            &["Microsoft"],
            windows_scheme,
            vec![kev_pattern("Microsoft", "Windows")],
        ),
        alias(
            "windows-server",
            "Windows Server",
            &["windows server"],
            &["Microsoft"],
            CycleScheme::Named(NamedScheme {
                tokens_from: NamedTokens::Cycle,
                synonyms: Vec::new(),
                qualifiers: strings(&["sac", "ac", "sp1", "sp2"]),
                default_qualifiers: Some(Vec::new()),
                default_note_ja: None,
                default_note_en: None,
                build_from_latest: true,
            }),
            Vec::new(),
        ),
        alias(
            "fortios",
            "FortiOS",
            &["fortios", "fortigate"],
            &["Fortinet"],
            dotted(),
            vec![
                kev_pattern("Fortinet", "FortiOS"),
                kev_pattern("Fortinet", "FortiOS and FortiProxy*"),
            ],
        ),
        alias(
            "pan-os",
            "PAN-OS",
            &["pan-os", "palo alto"],
            &["Palo Alto Networks"],
            dotted(),
            vec![kev_pattern("Palo Alto Networks", "PAN-OS")],
        ),
        ProductAlias {
            endoflife: None,
            ..alias(
                "citrix-netscaler",
                "NetScaler ADC / Gateway",
                &["netscaler", "citrix adc"],
                &["Citrix"],
                dotted(),
                vec![kev_pattern("Citrix", "NetScaler ADC and NetScaler Gateway")],
            )
        },
    ];
    let mut fixed = vec![
        FixedVersionRow {
            cves: strings(&["CVE-2018-13379"]),
            affected_from: Some("5.6.3".to_owned()),
            ..fixed_row("fortios", "CVE-2018-13379", "5.6", Some("5.6.8"))
        },
        fixed_row("fortios", "CVE-2018-13379", "6.0", Some("6.0.5")),
        fixed_row("fortios", "CVE-2018-13379", "6.2", Some("6.2.0")),
        fixed_row("fortios", "CVE-2024-21762", "7.4", Some("7.4.3")),
        fixed_row("fortios", "CVE-2024-21762", "6.0", None),
        fixed_row(
            "citrix-netscaler",
            "CVE-2023-4966",
            "13.1",
            Some("13.1-49.15"),
        ),
    ];
    fixed.push(FixedVersionRow {
        also_fixed: strings(&["10.2.8-h3", "10.2.7-h8"]),
        ..fixed_row("pan-os", "CVE-2024-3400", "10.2", Some("10.2.9-h1"))
    });
    RiskData::new(RiskDataParts {
        kev_version: "2025.08.25".to_owned(),
        kev: vec![
            kev(
                "CVE-2018-13379",
                "Fortinet",
                "FortiOS",
                date(2021, 11, 3),
                true,
            ),
            kev(
                "CVE-2024-21762",
                "Fortinet",
                "FortiOS",
                date(2024, 2, 9),
                true,
            ),
            kev(
                "CVE-2023-27997",
                "Fortinet",
                "FortiOS and FortiProxy SSL-VPN",
                date(2023, 6, 13),
                true,
            ),
            kev(
                "CVE-2024-3400",
                "Palo Alto Networks",
                "PAN-OS",
                date(2024, 4, 12),
                true,
            ),
            kev(
                "CVE-2023-4966",
                "Citrix",
                "NetScaler ADC and NetScaler Gateway",
                date(2023, 10, 18),
                true,
            ),
            kev(
                "CVE-2024-38112",
                "Microsoft",
                "Windows ",
                date(2024, 7, 9),
                false,
            ),
            kev(
                "CVE-2016-0000",
                "QNAP",
                "Photo Station",
                date(2022, 1, 1),
                false,
            ),
        ],
        products: vec![windows, windows_server, fortios, pan_os],
        aliases,
        makers: vec![
            MakerAlias {
                name: "Yamaha".to_owned(),
                spellings: strings(&["ヤマハ", "YAMAHA Corporation"]),
            },
            MakerAlias {
                name: "Fortinet".to_owned(),
                spellings: strings(&["フォーティネット", "Fortinet, Inc."]),
            },
        ],
        fixed_versions: fixed,
        lifecycles: vec![
            LifecycleRow {
                maker: "Yamaha".to_owned(),
                model: "RTX1200".to_owned(),
                also_matches: Vec::new(),
                end_of_sale: None,
                end_of_support: None,
                note: Some("no published date found".to_owned()),
                source: "https://network.yamaha.com/".to_owned(),
                source_title: "ヤマハ ネットワーク製品".to_owned(),
            },
            LifecycleRow {
                maker: "Example".to_owned(),
                model: "EX-100".to_owned(),
                also_matches: Vec::new(),
                end_of_sale: Some(date(2019, 3, 31)),
                end_of_support: Some(date(2024, 3, 31)),
                note: None,
                source: "https://example.org/eol".to_owned(),
                source_title: "Example EOL list".to_owned(),
            },
        ],
    })
}

fn today() -> NaiveDate {
    date(2026, 11, 24)
}

fn codes(flags: &[Flag]) -> Vec<&'static str> {
    flags.iter().map(|f| f.code.as_str()).collect()
}

fn find(flags: &[Flag], code: FlagCode) -> &Flag {
    flags
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {} in {:?}", code.as_str(), codes(flags)))
}

#[track_caller]
fn assert_severities<const N: usize>(flags: &[Flag], expected: [(FlagCode, FlagSeverity); N]) {
    for (code, severity) in expected {
        assert_eq!(find(flags, code).severity, severity, "{}", code.as_str());
    }
}

fn has(flags: &[Flag], code: FlagCode) -> bool {
    flags.iter().any(|f| f.code == code)
}

fn pc<'a>(os: &'a str, version: Option<&'a str>) -> RiskSubject<'a> {
    RiskSubject {
        kind: DeviceKind::TerminalPc,
        os: Some(os),
        os_version: version,
        last_patch_on: Some(date(2026, 11, 1)),
        ..Default::default()
    }
}

fn fortigate(version: &str) -> RiskSubject<'_> {
    RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some("Fortinet"),
        model: Some("FortiGate-60E"),
        firmware_version: Some(version),
        last_patch_on: Some(date(2026, 11, 1)),
        remote_maintenance: true,
        maintenance_includes_security_updates: Some(true),
        always_on_connection: Some(false),
        weak_or_reused_password: Some(false),
        ..Default::default()
    }
}

#[test]
fn versions_are_read_from_what_people_write() {
    let cases: &[(&str, Option<&[u32]>)] = &[
        ("6.0.4", Some(&[6, 0, 4])),
        ("v6.0.4 build0231", Some(&[6, 0, 4, 231])),
        ("FortiOS 7.4.3", Some(&[7, 4, 3])),
        ("10.0.19044", Some(&[10, 0, 19044])),
        ("Windows 8.1", Some(&[8, 1])),
        ("9.1.0-h3", Some(&[9, 1, 0, 3])),
        ("Rev.15.02.29", Some(&[15, 2, 29])),
        ("9.0R3.4", Some(&[9, 0, 3, 4])),
        ("13.0-47.24", Some(&[13, 0, 47, 24])),
        ("NS13.0: Build 47.24.nc", Some(&[13, 0, 47, 24])),
        ("10.2.0.5-29sv", Some(&[10, 2, 0, 5, 29])),
        ("1.8.0_381", Some(&[1, 8, 0, 381])),
        ("ｖ７．４．３", Some(&[7, 4, 3])),
        ("16", Some(&[16])),
        ("19c", Some(&[19])),
        ("22H2", None),
        ("不明", None),
        ("latest", None),
        ("", None),
    ];
    for (text, want) in cases {
        let got = Version::parse(text);
        assert_eq!(got.as_ref().map(Version::parts), *want, "parsing {text:?}");
    }
    // "Windows 10 21H2" reads as 10: the feature release is a name, read by the Windows
    // scheme, not a number.
    assert_eq!(
        Version::parse("Windows 10 21H2").map(|v| v.parts().to_vec()),
        Some(vec![10])
    );
}

#[test]
fn versions_compare_number_by_number() {
    let v = |s: &str| Version::parse(s).expect("parses");
    assert!(v("6.0.4 build0231") < v("6.0.5"));
    assert!(v("10.2.9") < v("10.2.9-h1"));
    assert!(v("9.0R3.3") < v("9.0R3.4"));
    assert!(v("8.3R7") < v("8.3R7.1"));
    assert!(v("13.0-41.20") < v("13.0-47.24"));
    assert!(v("6.0") == v("6.0.0"));
    assert!(v("7.10.1") > v("7.9.9"));
}

#[test]
fn words_split_where_ledgers_run_them_together() {
    assert_eq!(
        words("windows10pro 21h2"),
        vec!["windows", "10", "pro", "21h2"]
    );
    assert_eq!(
        words("fortigate-60e v6.0.4"),
        vec!["fortigate", "60e", "v6.0.4"]
    );
    assert_eq!(
        words("windows server 2012r2"),
        vec!["windows", "server", "2012r2"]
    );
    assert_eq!(words(".net framework 4.8"), vec!["net", "framework", "4.8"]);
    assert_eq!(
        words("ウイルスバスターcorp."),
        vec!["ウイルスバスター", "corp"]
    );
    assert_eq!(maker_key("ヤマハ株式会社"), "ヤマハ");
    assert_eq!(maker_key("Fortinet, Inc."), "fortinet");
}

#[test]
fn windows_8_1_is_past_support() {
    let data = data();
    let flags = assess(&pc("Windows 8.1 Pro", None), &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert_eq!(eos.severity, FlagSeverity::High);
    assert!(eos.evidence.contains("cycle 8.1"), "{}", eos.evidence);
    assert!(eos.evidence.contains("2023-01-10"), "{}", eos.evidence);
    assert!(eos.evidence.contains("https://endoflife.date/windows"));
    assert_says(
        "eos",
        &eos.message,
        &[(Ja, "サポートが終了"), (Ja, "保守事業者に連絡")],
    );
}

#[test]
fn windows_10_21h2_is_past_support_and_the_edition_is_shown() {
    let data = data();
    let flags = assess(&pc("Windows 10", Some("21H2")), &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert!(eos.evidence.contains("cycle 10-21h2-w"), "{}", eos.evidence);
    assert!(
        eos.evidence.contains("assumed Home/Pro"),
        "{}",
        eos.evidence
    );
    assert_says("eos", &eos.message, &[(Ja, "Home/Pro とみなしました")]);
    assert!(!has(&flags, FlagCode::UnmatchedVersion));

    let matches = identify(&pc("Windows 10", Some("21H2")), &data);
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].product, "windows");
    assert_eq!(matches[0].cycle.as_deref(), Some("10-21h2-w"));
    assert_eq!(matches[0].eol, Some(on(2023, 6, 13)));

    // The edition written in the ledger decides: Enterprise ended later, LTSC not yet.
    let enterprise = identify(&pc("Windows 10 Enterprise", Some("21H2")), &data);
    assert_eq!(enterprise[0].cycle.as_deref(), Some("10-21h2-e"));
    assert_eq!(enterprise[0].assumption, None);
    let ltsc = assess(
        &pc("Windows 10 Enterprise LTSC 2021", None),
        &data,
        today(),
        90,
    );
    assert!(!has(&ltsc, FlagCode::EndOfSupport), "{:?}", codes(&ltsc));
    let iot = identify(&pc("Windows 10 IoT Enterprise LTSC 2021", None), &data);
    assert_eq!(iot[0].cycle.as_deref(), Some("10-21h2-iot-lts"));

    // A build number selects the feature release, however it is written.
    let build = identify(&pc("Windows10 Pro", Some("10.0.19044.5371")), &data);
    assert_eq!(build[0].cycle.as_deref(), Some("10-21h2-w"));
}

#[test]
fn windows_10_22h2_mentions_extended_security_updates() {
    let data = data();
    let flags = assess(&pc("Windows 10 Pro 22H2", None), &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert!(eos.evidence.contains("cycle 10-22h2"), "{}", eos.evidence);
    assert_says("eos", &eos.message, &[(Ja, "ESU"), (Ja, "2028-10-10")]);
}

#[test]
fn windows_10_without_a_release_is_judged_on_every_candidate() {
    // Every Home/Pro release of Windows 10 has ended, so the release need not be known.
    let data = data();
    let flags = assess(&pc("Windows 10 Home", None), &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert!(
        eos.evidence.contains("cycle not determined"),
        "{}",
        eos.evidence
    );
}

#[test]
fn windows_server_2012_r2_is_its_own_product_and_cycle() {
    let data = data();
    let m = identify(&pc("Windows Server 2012 R2 Standard", None), &data);
    assert_eq!(m[0].product, "windows-server");
    assert_eq!(m[0].cycle.as_deref(), Some("2012-r2"));
    let flags = assess(
        &pc("Windows Server 2012 R2 Standard", None),
        &data,
        today(),
        90,
    );
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert_says("Windows Server 2012 R2", &eos.message, &[(Ja, "2012 R2")]);
    // A build number picks the long-term release, not the semi-annual one.
    let m = identify(&pc("Windows Server", Some("10.0.17763.6414")), &data);
    assert_eq!(m[0].cycle.as_deref(), Some("2019"));
}

#[test]
fn fortios_6_0_4_is_vulnerable_to_cve_2018_13379_and_known_exploited() {
    let data = data();
    let flags = assess(&fortigate("v6.0.4 build0231"), &data, today(), 90);
    let vulnerable: Vec<&Flag> = flags
        .iter()
        .filter(|f| f.code == FlagCode::VulnerableVersion)
        .collect();
    let cve_2018 = vulnerable
        .iter()
        .find(|f| f.cves == ["CVE-2018-13379"])
        .expect("CVE-2018-13379 flagged");
    assert_eq!(cve_2018.severity, FlagSeverity::High);
    assert_says(
        "cve_2018",
        &cve_2018.message,
        &[
            (
                Ja,
                "保守事業者に連絡し、FortiOS 6.0.5 以降へ更新してください",
            ),
            (Ja, "ランサムウェア"),
        ],
    );
    assert!(cve_2018.evidence.contains("https://example.org/advisory"));
    // 6.0 has no fix for CVE-2024-21762: the message says to change branch.
    let no_fix = vulnerable
        .iter()
        .find(|f| f.cves == ["CVE-2024-21762"])
        .expect("CVE-2024-21762 flagged");
    assert_says(
        "no_fix",
        &no_fix.message,
        &[(Ja, "修正版が提供されていません")],
    );

    let known = find(&flags, FlagCode::KnownExploited);
    assert!(known.cves.contains(&"CVE-2018-13379".to_owned()));
    // CVE-2023-27997 (product "FortiOS and FortiProxy SSL-VPN", a prefix pattern) was
    // listed before the last patch: taken as fixed, unless nothing was ever patched.
    assert!(!known.cves.contains(&"CVE-2023-27997".to_owned()));
    let mut unpatched = fortigate("v6.0.4 build0231");
    unpatched.last_patch_on = None;
    let unpatched_flags = assess(&unpatched, &data, today(), 90);
    let unpatched_known = find(&unpatched_flags, FlagCode::KnownExploited);
    assert!(
        unpatched_known.cves.contains(&"CVE-2023-27997".to_owned()),
        "prefix pattern"
    );
    assert!(known.evidence.contains("CISA KEV 2025.08.25"));
    // FortiOS 6.0 ended in 2022: end of support, and the VPN check says the same.
    assert!(has(&flags, FlagCode::EndOfSupport));
    assert!(has(&flags, FlagCode::VpnUnsupported));
}

#[test]
fn fortios_7_4_is_supported_and_its_fixed_release_is_not_vulnerable() {
    let data = data();
    let flags = assess(&fortigate("7.4.3"), &data, today(), 90);
    assert!(
        !flags.iter().any(|f| matches!(
            f.code,
            FlagCode::EndOfSupport
                | FlagCode::EndOfSupportSoon
                | FlagCode::VulnerableVersion
                | FlagCode::VpnUnsupported
        )),
        "{:?}",
        codes(&flags)
    );
    let m = identify(&fortigate("7.4.3"), &data);
    assert_eq!(m[0].cycle.as_deref(), Some("7.4"));
    // CVE-2024-21762 is ruled out by the fixed-version table; the rest predate the patch.
    assert!(
        !has(&flags, FlagCode::KnownExploited),
        "{:?}",
        codes(&flags)
    );

    let flags = assess(&fortigate("7.4.2"), &data, today(), 90);
    let v = find(&flags, FlagCode::VulnerableVersion);
    assert_says("v", &v.message, &[(Ja, "FortiOS 7.4.3 以降へ更新")]);
}

#[test]
fn support_ending_within_180_days_is_flagged_soon() {
    let data = data();
    // FortiOS 7.2 ends on 2026-09-30.
    let flags = assess(&fortigate("7.2.8"), &data, date(2026, 6, 1), 90);
    let soon = find(&flags, FlagCode::EndOfSupportSoon);
    assert_eq!(soon.severity, FlagSeverity::Medium);
    // The day support ends, which the institution is told of 90 days ahead.
    assert_eq!(soon.support_ends_on, Some(date(2026, 9, 30)));
    assert_says(
        "soon",
        &soon.message,
        &[(Ja, "2026-09-30"), (Ja, "あと 121 日")],
    );
    // 181 days before: nothing yet.
    let flags = assess(&fortigate("7.2.8"), &data, date(2026, 4, 2), 90);
    assert!(!has(&flags, FlagCode::EndOfSupportSoon));
    // On the day: ended.
    let flags = assess(&fortigate("7.2.8"), &data, date(2026, 9, 30), 90);
    assert!(has(&flags, FlagCode::EndOfSupport));
}

#[test]
fn an_unreadable_version_is_flagged_unmatched() {
    let data = data();
    let flags = assess(&fortigate("不明"), &data, today(), 90);
    let u = find(&flags, FlagCode::UnmatchedVersion);
    assert_says("u", &u.message, &[(Ja, "「不明」を読み取れませんでした")]);
    assert_eq!(
        flags
            .iter()
            .filter(|f| f.code == FlagCode::UnmatchedVersion)
            .count(),
        1
    );
    assert!(!has(&flags, FlagCode::VulnerableVersion));
    // A product without lifecycle data still needs the version for the fixed-version table.
    let netscaler = RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some("Citrix"),
        model: Some("NetScaler MPX 5900"),
        ..Default::default()
    };
    let flags = assess(&netscaler, &data, today(), 90);
    assert!(
        has(&flags, FlagCode::UnmatchedVersion),
        "{:?}",
        codes(&flags)
    );
    // A version older than every listed cycle of a fully ended product is past support.
    let flags = assess(&fortigate("5.2.15"), &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert!(
        eos.evidence.contains("older than the oldest cycle"),
        "{}",
        eos.evidence
    );
}

#[test]
fn citrix_bleed_is_checked_against_its_fixed_build() {
    let data = data();
    let device = |v| RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some("Citrix"),
        model: Some("NetScaler Gateway"),
        firmware_version: Some(v),
        ..Default::default()
    };
    let flags = assess(&device("NS13.1: Build 49.13.nc"), &data, today(), 90);
    let vulnerable = find(&flags, FlagCode::VulnerableVersion);
    assert_says("NS13.1 49.13", &vulnerable.message, &[(Ja, "13.1-49.15")]);
    let flags = assess(&device("13.1-49.15"), &data, today(), 90);
    assert!(!has(&flags, FlagCode::VulnerableVersion));
    // No lifecycle data: the device is told that its support date is unknown.
    assert!(
        has(&flags, FlagCode::SupportDateUnknown),
        "{:?}",
        codes(&flags)
    );
}

#[test]
fn pan_os_hotfixes_of_earlier_releases_count_as_fixed() {
    let data = data();
    let device = |v| RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some("Palo Alto Networks"),
        model: Some("PA-220"),
        firmware_version: Some(v),
        ..Default::default()
    };
    for (v, vulnerable) in [
        ("10.2.8", true),
        ("10.2.8-h3", false),
        ("10.2.7-h8", false),
        ("10.2.7-h7", true),
        ("10.2.9-h1", false),
        ("10.2.10", false),
        ("11.1.2", false),
    ] {
        let flags = assess(&device(v), &data, today(), 90);
        assert_eq!(
            has(&flags, FlagCode::VulnerableVersion),
            vulnerable,
            "PAN-OS {v}: {:?}",
            codes(&flags)
        );
    }
}

#[test]
fn kev_entries_listed_before_the_last_patch_are_taken_as_fixed() {
    let data = data();
    let mut subject = pc("Windows 11 Pro", Some("24H2"));
    subject.last_patch_on = Some(date(2024, 6, 1));
    let flags = assess(&subject, &data, today(), 3650);
    let known = find(&flags, FlagCode::KnownExploited);
    assert_eq!(known.cves, ["CVE-2024-38112"]);
    subject.last_patch_on = Some(date(2024, 8, 1));
    let flags = assess(&subject, &data, today(), 3650);
    assert!(!has(&flags, FlagCode::KnownExploited));
    // Maker and product named exactly as in KEV, with no alias.
    let nas = RiskSubject {
        kind: DeviceKind::Other,
        maker: Some("QNAP"),
        software: vec![SoftwareRef {
            name: "Photo Station",
            version: None,
        }],
        ..Default::default()
    };
    let flags = assess(&nas, &data, today(), 90);
    assert_eq!(
        find(&flags, FlagCode::KnownExploited).cves,
        ["CVE-2016-0000"]
    );
}

#[test]
fn stale_patches() {
    let data = data();
    let mut subject = pc("Windows 11 Pro", Some("24H2"));
    subject.last_patch_on = Some(date(2026, 5, 1));
    let flags = assess(&subject, &data, today(), 90);
    let stale = find(&flags, FlagCode::StalePatch);
    assert_eq!(stale.severity, FlagSeverity::Medium);
    assert_says("stale", &stale.message, &[(Ja, "207 日")]);
    let flags = assess(&subject, &data, today(), 365);
    assert!(!has(&flags, FlagCode::StalePatch));
    subject.last_patch_on = None;
    let flags = assess(&subject, &data, today(), 365);
    assert_eq!(
        find(&flags, FlagCode::StalePatch).severity,
        FlagSeverity::Low
    );
}

#[test]
fn japan_market_routers_from_the_curated_table() {
    let data = data();
    let rtx = RiskSubject {
        kind: DeviceKind::Network,
        maker: Some("ヤマハ株式会社"),
        model: Some("RTX-1200"),
        firmware_version: Some("Rev.10.01.78"),
        last_patch_on: Some(date(2026, 11, 1)),
        ..Default::default()
    };
    let flags = assess(&rtx, &data, today(), 90);
    let unknown = find(&flags, FlagCode::SupportDateUnknown);
    assert_eq!(unknown.severity, FlagSeverity::Info);
    assert_says(
        "unknown",
        &unknown.message,
        &[(Ja, "公開情報では確認できませんでした")],
    );
    assert!(unknown.evidence.contains("no published date found"));
    assert!(unknown.evidence.contains("https://network.yamaha.com/"));
    assert_eq!(
        flags
            .iter()
            .filter(|f| f.code == FlagCode::SupportDateUnknown)
            .count(),
        1
    );
    // RTX1210 is another model.
    let rtx1210 = RiskSubject {
        model: Some("RTX1210"),
        ..rtx.clone()
    };
    let flags = assess(&rtx1210, &data, today(), 90);
    assert!(
        !find(&flags, FlagCode::SupportDateUnknown)
            .evidence
            .contains("RTX1200"),
        "RTX1210 must not match the RTX1200 row"
    );
    // A row with a published date gives end of support, with its source.
    let ex = RiskSubject {
        kind: DeviceKind::VpnDevice,
        maker: Some("Example"),
        model: Some("EX-100 VPN"),
        remote_maintenance: true,
        ..Default::default()
    };
    let flags = assess(&ex, &data, today(), 90);
    let eos = find(&flags, FlagCode::EndOfSupport);
    assert!(eos.evidence.contains("https://example.org/eol"));
    assert_says("eos", &eos.message, &[(Ja, "2024-03-31")]);
    assert!(has(&flags, FlagCode::VpnUnsupported));
}

#[test]
fn the_vpn_device_check() {
    let data = data();
    let mut subject = fortigate("7.4.3");
    subject.maintenance_includes_security_updates = Some(false);
    subject.always_on_connection = Some(true);
    subject.weak_or_reused_password = Some(true);
    let flags = assess(&subject, &data, today(), 90);
    assert_severities(
        &flags,
        [
            (FlagCode::VpnNoSecurityUpdates, FlagSeverity::High),
            (FlagCode::VpnAlwaysOn, FlagSeverity::Medium),
            (FlagCode::VpnWeakPassword, FlagSeverity::High),
        ],
    );
    let password = find(&flags, FlagCode::VpnWeakPassword);
    assert_says("password", &password.message, &[(Ja, "パスワードに変更")]);
    assert!(!has(&flags, FlagCode::VpnUnsupported));
    // Flags come most severe first.
    assert!(flags.windows(2).all(|w| w[0].severity >= w[1].severity));

    // Unanswered questions are flagged as unconfirmed.
    subject.maintenance_includes_security_updates = None;
    subject.always_on_connection = None;
    subject.weak_or_reused_password = None;
    let flags = assess(&subject, &data, today(), 90);
    assert_severities(
        &flags,
        [
            (FlagCode::VpnNoSecurityUpdates, FlagSeverity::Medium),
            (FlagCode::VpnAlwaysOn, FlagSeverity::Low),
            (FlagCode::VpnWeakPassword, FlagSeverity::Low),
        ],
    );

    // All answered well: no VPN flag.
    let flags = assess(&fortigate("7.4.3"), &data, today(), 90);
    assert!(
        !flags.iter().any(|f| f.code.as_str().starts_with("vpn_")),
        "{:?}",
        codes(&flags)
    );

    // Not a VPN device, no remote maintenance: the check does not apply.
    let mut router = fortigate("7.4.3");
    router.kind = DeviceKind::Network;
    router.remote_maintenance = false;
    router.maintenance_includes_security_updates = None;
    let flags = assess(&router, &data, today(), 90);
    assert!(!flags.iter().any(|f| f.code.as_str().starts_with("vpn_")));
    router.remote_maintenance = true;
    let flags = assess(&router, &data, today(), 90);
    assert!(
        flags
            .iter()
            .any(|f| f.code == FlagCode::VpnNoSecurityUpdates)
    );
}

#[test]
fn makers_keep_products_apart() {
    let mut parts_data = data();
    let ios = |id: &str, maker: &str| ProductAlias {
        endoflife: None,
        ..alias(id, id, &["ios"], &[maker], dotted(), Vec::new())
    };
    // Rebuild with two products called "IOS".
    parts_data = {
        let mut aliases: Vec<ProductAlias> =
            parts_data.aliases.iter().map(|a| a.alias.clone()).collect();
        aliases.push(ios("apple-ios", "Apple"));
        aliases.push(ios("cisco-ios", "Cisco"));
        RiskData::new(RiskDataParts {
            kev_version: parts_data.kev_version.clone(),
            kev: parts_data.kev.clone(),
            products: parts_data.products.clone(),
            aliases,
            makers: Vec::new(),
            fixed_versions: Vec::new(),
            lifecycles: Vec::new(),
        })
    };
    let data = parts_data;
    let device = |maker: Option<&'static str>, os: &'static str| RiskSubject {
        kind: DeviceKind::Network,
        maker,
        os: Some(os),
        ..Default::default()
    };
    let product = |s: &RiskSubject<'_>| identify(s, &data).first().map(|m| m.product.clone());
    // The maker breaks ties between products of the same name.
    assert_eq!(
        product(&device(Some("Cisco"), "IOS 15.2(7)E")).as_deref(),
        Some("cisco-ios")
    );
    assert_eq!(
        product(&device(None, "iOS 17.5")).as_deref(),
        Some("apple-ios")
    );
    // A PC's maker is not its OS's maker: NEC's PC runs Windows.
    assert_eq!(
        product(&device(Some("NEC"), "Windows 7")).as_deref(),
        Some("windows")
    );
    // In the maker + model field a maker outside the product's list rules it out.
    let subject = RiskSubject {
        kind: DeviceKind::Network,
        maker: Some("Dell"),
        model: Some("FortiGate look-alike"),
        firmware_version: Some("7.4.3"),
        ..Default::default()
    };
    assert_eq!(product(&subject), None);
    let subject = RiskSubject {
        kind: DeviceKind::MedicalDevice,
        os: Some("Windows XP Embedded"),
        ..Default::default()
    };
    let m = identify(&subject, &data);
    assert_eq!(m[0].cycle.as_deref(), Some("5-sp3"));
}

#[test]
fn codes_and_kinds_round_trip_through_their_names() {
    // The serde names are checked against `as_str` in mamori-catalog, which has JSON.
    for code in FlagCode::ALL {
        assert_eq!(FlagCode::parse(code.as_str()), Some(code));
    }
    for kind in DeviceKind::ALL {
        assert_eq!(DeviceKind::parse(kind.as_str()), Some(kind));
    }
    assert!(FlagSeverity::High > FlagSeverity::Medium);
    assert!(FlagSeverity::Low > FlagSeverity::Info);
}

#[test]
fn many_devices_are_assessed_without_scanning_the_datasets() {
    let data = data();
    let versions: Vec<String> = (0..2000)
        .map(|i| format!("6.{}.{}", i % 5, i % 17))
        .collect();
    let mut total = 0;
    for v in &versions {
        total += assess(&fortigate(v), &data, today(), 90).len();
        total += assess(
            &pc("Windows 10 Pro", Some("10.0.19045")),
            &data,
            today(),
            90,
        )
        .len();
    }
    assert!(total > 0);
}

#[test]
fn a_ledger_row_becomes_a_subject() {
    use crate::device::{AssetNumber, Device, DeviceKind as Ledger, Software, Version as V};
    let mut d = Device::new(AssetNumber::parse("NW-001").expect("asset number"));
    d.maker = "  ".to_owned();
    d.model = "FortiGate-60E".to_owned();
    d.os = "FortiOS 6.0.4".to_owned();
    d.software = vec![Software {
        name: "FortiClient EMS".to_owned(),
        version: V::parse("software_version", "7.0").expect("version"),
    }];
    d.last_patched_on = Some(date(2020, 1, 1));
    d.security_updates_in_contract = Some(false);
    d.remote_maintenance = true;
    let s = RiskSubject::from_device(&d);
    assert_eq!(s.kind, DeviceKind::Other, "no 種別 is その他");
    assert_eq!(s.maker, None, "a blank cell is absent");
    assert_eq!(s.model, Some("FortiGate-60E"));
    assert_eq!(s.os, Some("FortiOS 6.0.4"));
    assert_eq!(s.software[0].version, Some("7.0"));
    assert_eq!(s.last_patch_on, Some(date(2020, 1, 1)));
    assert_eq!(s.maintenance_includes_security_updates, Some(false));
    assert!(s.remote_maintenance);
    d.kind = Some(Ledger::Vpn);
    assert_eq!(RiskSubject::from_device(&d).kind, DeviceKind::VpnDevice);
    d.kind = Some(Ledger::Pc);
    assert_eq!(RiskSubject::from_device(&d).kind, DeviceKind::TerminalPc);
}

#[test]
fn a_ledger_is_flagged_as_each_device_alone() {
    use crate::device::{AssetNumber, Device, DeviceKind as Ledger, DeviceStatus};
    let data = data();
    let device = |n: &str, os: &str, patched: Option<NaiveDate>| {
        let mut d = Device::new(AssetNumber::parse(n).expect("asset number"));
        d.kind = Some(Ledger::Pc);
        d.os = os.to_owned();
        d.last_patched_on = patched;
        d
    };
    let mut retired = device("PC-004", "Windows 8.1", None);
    retired.status = DeviceStatus::Retired;
    let mut vpn = device("NW-001", "FortiOS 6.0.4", Some(date(2020, 1, 1)));
    vpn.kind = Some(Ledger::Vpn);
    vpn.maker = "Fortinet".to_owned();
    let ledger = vec![
        device("PC-001", "Windows 8.1", None),
        device("PC-002", "Windows 8.1", None),
        // Same configuration, another patch date: assessed on its own.
        device("PC-003", "Windows 8.1", Some(today())),
        retired,
        vpn,
        device("PC-005", "Windows 8.1", None),
    ];
    let flags = assess_ledger(&ledger, &data, today(), 90);
    assert_eq!(flags.len(), ledger.len());
    for (d, f) in ledger.iter().zip(&flags) {
        let alone = if d.status == DeviceStatus::Retired {
            Vec::new()
        } else {
            assess(&RiskSubject::from_device(d), &data, today(), 90)
        };
        assert_eq!(&f[..], &alone[..], "{}", d.asset_number.as_str());
    }
    assert!(!flags[0].is_empty(), "Windows 8.1 is flagged");
    assert!(flags[3].is_empty(), "a retired device carries no flag");
    assert!(
        codes(&flags[0]).contains(&"stale_patch") && !codes(&flags[2]).contains(&"stale_patch"),
        "the patch date is part of what is compared"
    );
    assert!(
        Arc::ptr_eq(&flags[0], &flags[5]),
        "one configuration is assessed once"
    );
}
