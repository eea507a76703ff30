use mamori_locale::Lang::{En, Ja};
use std::cmp::Ordering;
use std::net::IpAddr;

use super::choice::{DeviceKind, DeviceStatus, RemoteAccess, parse_yes_no};
use super::column::{HEADER_KEYS, LedgerColumn};
use super::key::fold_key;
use super::ledger::{LedgerValidator, parse_rows};
use super::record::Device;
use super::row::{MAX_NAME_CHARS, RowError, parse_ip_addresses, parse_row};
use super::value::{AssetNumber, Software, Version};
use crate::ParseError;
use crate::testing::{assert_says, date as d};

fn row(cells: &[(LedgerColumn, &str)]) -> Result<Device, Vec<RowError>> {
    parse_row(2, cells)
}

fn ok(cells: &[(LedgerColumn, &str)]) -> Device {
    row(cells).unwrap_or_else(|e| panic!("{e:?}"))
}

fn errs(cells: &[(LedgerColumn, &str)]) -> Vec<RowError> {
    match row(cells) {
        Ok(d) => panic!("accepted: {d:?}"),
        Err(e) => e,
    }
}

use LedgerColumn as C;

#[test]
fn the_manuals_example_rows_read() {
    let header = [
        "管理番号",
        "メーカー",
        "OS",
        "ソフトウェア",
        "ソフトウェアバージョン",
        "IPアドレス",
        "コンピュータ名",
        "設置場所",
        "利用者",
        "登録日",
        "状態",
        "説明",
    ];
    let columns: Vec<LedgerColumn> = header
        .iter()
        .map(|h| LedgerColumn::from_header(h).expect(h))
        .collect();
    let values = [
        "002",
        "A社",
        "Win11",
        "〇〇電子カルテ",
        "1.2",
        "192.168.0.0",
        "Room1のPC2",
        "Room1",
        "b医師(〇〇科)",
        "2020/12/1",
        "停止",
        "メンテナンス",
    ];
    let cells: Vec<(LedgerColumn, &str)> = columns.into_iter().zip(values).collect();
    let device = ok(&cells);
    assert_eq!(device.asset_number.as_str(), "002");
    assert_eq!(device.maker, "A社");
    assert_eq!(device.software.len(), 1);
    assert_eq!(device.software[0].name, "〇〇電子カルテ");
    assert_eq!(
        device.software[0].version.as_ref().map(Version::as_str),
        Some("1.2")
    );
    assert_eq!(
        device.ip_addresses,
        vec!["192.168.0.0".parse::<IpAddr>().expect("ip")]
    );
    assert_eq!(device.registered_on, Some(d(2020, 12, 1)));
    assert_eq!(device.status, DeviceStatus::Stopped);
    assert_eq!(device.description, "メンテナンス");
    assert_eq!(device.kind, None);
    assert!(!device.remote_maintenance);
}

#[test]
fn headers_in_every_spelling() {
    for (text, column) in [
        ("管理番号", C::AssetNumber),
        (" 管理番号 ", C::AssetNumber),
        ("管理番号（必須）", C::AssetNumber),
        ("管理番号※", C::AssetNumber),
        ("asset_number", C::AssetNumber),
        ("Asset Number", C::AssetNumber),
        ("ASSET NUMBER", C::AssetNumber),
        ("ａｓｓｅｔ＿ｎｕｍｂｅｒ", C::AssetNumber),
        ("ＩＰアドレス", C::IpAddress),
        ("IP Address", C::IpAddress),
        ("ｿﾌﾄｳｪｱﾊﾞｰｼﾞｮﾝ", C::SoftwareVersion),
        ("ソフトウェア バージョン", C::SoftwareVersion),
        ("コンピューター名", C::ComputerName),
        ("メーカ", C::Maker),
        ("備考", C::Description),
        ("初期・使い回しパスワード", C::WeakOrReusedPassword),
        ("初期使い回しパスワード", C::WeakOrReusedPassword),
        ("Always-on connection", C::AlwaysOnConnection),
        ("always_on_connection", C::AlwaysOnConnection),
        (
            "セキュリティ更新を含む保守契約",
            C::SecurityUpdatesInContract,
        ),
        ("last_patched_on", C::LastPatchedOn),
        ("Registered on", C::RegisteredOn),
        ("ｼﾘｱﾙ番号", C::SerialNumber),
    ] {
        assert_eq!(LedgerColumn::from_header(text), Some(column), "{text}");
    }
    for text in ["", "  ", "価格", "foo", "管理", "()"] {
        assert_eq!(LedgerColumn::from_header(text), None, "{text}");
    }
}

#[test]
fn every_column_reads_its_own_headers_and_no_two_columns_share_one() {
    let mut seen = std::collections::HashMap::new();
    for (key, column) in HEADER_KEYS.iter() {
        assert!(!key.is_empty(), "{column:?}");
        if let Some(other) = seen.insert(key.clone(), *column) {
            assert_eq!(other, *column, "'{key}' names two columns");
        }
    }
    for column in LedgerColumn::ALL {
        assert_eq!(LedgerColumn::from_header(column.header_ja()), Some(column));
        assert_eq!(LedgerColumn::from_header(column.header_en()), Some(column));
        assert_eq!(LedgerColumn::from_header(column.key()), Some(column));
        assert_eq!(LedgerColumn::ALL[column.index()], column);
    }
}

#[test]
fn half_width_kana_fold_with_their_marks() {
    for (text, key) in [
        ("ｻｰﾊﾞｰ", "サーバ"),
        ("ﾊﾟｽﾜｰﾄﾞ", "パスワード"),
        ("ｳﾞｨ", "ヴィ"),
        ("ﾂﾞ", "ヅ"),
        // A mark on a kana that takes none stays a mark.
        ("ｱﾞ", "ア\u{309B}"),
    ] {
        assert_eq!(fold_key(text), key, "{text:?}");
    }
}

#[test]
fn choices_in_every_spelling() {
    for (text, kind) in [
        ("サーバ", DeviceKind::Server),
        ("サーバー", DeviceKind::Server),
        ("ｻｰﾊﾞｰ", DeviceKind::Server),
        ("server", DeviceKind::Server),
        ("Server", DeviceKind::Server),
        ("端末PC", DeviceKind::Pc),
        ("端末ＰＣ", DeviceKind::Pc),
        ("PC", DeviceKind::Pc),
        ("ネットワーク機器", DeviceKind::Network),
        ("Network device", DeviceKind::Network),
        ("VPN装置", DeviceKind::Vpn),
        ("ＶＰＮ", DeviceKind::Vpn),
        ("医療機器", DeviceKind::Medical),
        ("その他", DeviceKind::Other),
    ] {
        assert_eq!(DeviceKind::parse(text), Ok(kind), "{text}");
    }
    for (text, status) in [
        ("稼働", DeviceStatus::Active),
        ("稼動", DeviceStatus::Active),
        ("稼働中", DeviceStatus::Active),
        ("Active", DeviceStatus::Active),
        ("停止", DeviceStatus::Stopped),
        ("stopped", DeviceStatus::Stopped),
        ("廃棄", DeviceStatus::Retired),
        ("廃棄済み", DeviceStatus::Retired),
        ("retired", DeviceStatus::Retired),
    ] {
        assert_eq!(DeviceStatus::parse(text), Ok(status), "{text}");
    }
    for (text, access) in [
        ("VPN", RemoteAccess::Vpn),
        ("リモートデスクトップ", RemoteAccess::RemoteDesktop),
        ("RDP", RemoteAccess::RemoteDesktop),
        ("事業者閉域網", RemoteAccess::VendorClosedNetwork),
        ("閉域網", RemoteAccess::VendorClosedNetwork),
        ("インターネット直接", RemoteAccess::DirectInternet),
        ("なし", RemoteAccess::NotConnected),
        ("None", RemoteAccess::NotConnected),
        ("その他", RemoteAccess::Other),
        ("remote_desktop", RemoteAccess::RemoteDesktop),
    ] {
        assert_eq!(RemoteAccess::parse(text), Ok(access), "{text}");
    }
    let e = DeviceKind::parse("冷蔵庫").expect_err("unknown kind");
    assert_eq!(e.field, "kind");
    assert_says(
        "冷蔵庫",
        &e.message,
        &[
            (Ja, "「冷蔵庫」"),
            (Ja, "サーバ、端末PC"),
            (En, "server (サーバ)"),
        ],
    );
    assert!(DeviceStatus::parse("").is_err());
}

#[test]
fn every_choice_reads_its_labels_and_no_spelling_is_shared() {
    fn check<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        spellings: impl Fn(T) -> &'static [&'static str],
        parse: impl Fn(&str) -> Result<T, ParseError>,
    ) {
        let mut seen: Vec<(String, T)> = Vec::new();
        for &v in all {
            for s in spellings(v) {
                assert_eq!(parse(s), Ok(v), "{s}");
                let key = fold_key(s);
                if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
                    assert_eq!(*other, v, "'{s}' is two choices");
                }
                seen.push((key, v));
            }
        }
    }
    check(DeviceKind::ALL, DeviceKind::spellings, DeviceKind::parse);
    check(
        DeviceStatus::ALL,
        DeviceStatus::spellings,
        DeviceStatus::parse,
    );
    check(
        RemoteAccess::ALL,
        RemoteAccess::spellings,
        RemoteAccess::parse,
    );
}

#[test]
fn yes_no_in_every_spelling() {
    for text in [
        "はい", "Yes", "y", "TRUE", "true", "○", "〇", "有", "あり", "1", "１",
    ] {
        assert_eq!(parse_yes_no("f", text), Ok(Some(true)), "{text}");
    }
    for text in ["いいえ", "no", "N", "FALSE", "×", "無", "なし", "0", "ｘ"] {
        assert_eq!(parse_yes_no("f", text), Ok(Some(false)), "{text}");
    }
    for text in ["", "  ", "-", "－", "ー", "　"] {
        assert_eq!(parse_yes_no("f", text), Ok(None), "{text:?}");
    }
    let e = parse_yes_no("always_on_connection", "たぶん").expect_err("maybe");
    assert_eq!(e.field, "always_on_connection");
    assert_says("たぶん", &e.message, &[(Ja, "「たぶん」")]);
}

#[test]
fn asset_numbers() {
    let longest = "9".repeat(64);
    let too_long = "9".repeat(65);
    for (text, expected) in [
        (" 001 ", Some("001")),
        ("００１", Some("001")),
        ("ＰＣ－０１", Some("PC-01")),
        ("", None),
        ("　", None),
        ("a\nb", None),
        (too_long.as_str(), None),
        (longest.as_str(), Some(longest.as_str())),
    ] {
        let read = AssetNumber::parse(text).ok();
        assert_eq!(read.as_ref().map(AssetNumber::as_str), expected, "{text:?}");
    }
}

#[test]
fn ip_addresses() {
    for (text, addresses, dhcp) in [
        ("", &[][..], false),
        ("-", &[], false),
        ("なし", &[], false),
        ("192.168.0.10", &["192.168.0.10"], false),
        ("192.168.001.010", &["192.168.1.10"], false),
        ("１９２．１６８．０．１", &["192.168.0.1"], false),
        (
            "10.0.0.1, 10.0.0.2;fe80::1\n2001:db8::1、10.0.0.3",
            &["10.0.0.1", "10.0.0.2", "fe80::1", "2001:db8::1", "10.0.0.3"],
            false,
        ),
        ("DHCP", &[], true),
        ("10.0.0.1\ndhcp", &["10.0.0.1"], true),
    ] {
        let ips = addresses.iter().map(|s| s.parse::<IpAddr>().expect("ip"));
        assert_eq!(
            parse_ip_addresses(text),
            Ok((ips.collect(), dhcp)),
            "{text:?}"
        );
    }
    for bad in [
        "192.168.0",
        "192.168.0.256",
        "1.2.3.4.5",
        "abc",
        "fe80::1::2",
        "192.168.0.1/24",
    ] {
        let e = parse_ip_addresses(bad).expect_err(bad);
        assert_eq!(e.field, "ip_address");
        assert_says(bad, &e.message, &[(Ja, "IPアドレスではありません")]);
    }
    let two_bad = "10.0.0.1, 300.1.1.1, x";
    let e = parse_ip_addresses(two_bad).expect_err("two bad");
    assert_says(two_bad, &e.message, &[(En, "'300.1.1.1', 'x'")]);
}

#[test]
fn versions_are_kept_as_written() {
    let v = |s: &str| {
        Version::parse("software_version", s)
            .expect("never refused")
            .expect("not blank")
    };
    for (text, parts) in [
        ("2.0", Some(&[2, 0][..])),
        ("Ver.10.0.19045", Some(&[10, 0, 19045])),
        ("v3", Some(&[3])),
        ("2.0 SP1", None),
        ("令和6年版", None),
        ("1..2", None),
    ] {
        assert_eq!(v(text).numeric_parts().as_deref(), parts, "{text:?}");
    }
    assert_eq!(v("２．１").as_str(), "2.1");
    assert_eq!(v("2.10").compare(&v("2.9")), Some(Ordering::Greater));
    assert_eq!(v("2.0").compare(&v("2")), Some(Ordering::Equal));
    assert_eq!(v("2.0").compare(&v("beta")), None);
    assert_eq!(Version::parse("f", " "), Ok(None));
}

#[test]
fn several_software_entries_one_per_line() {
    let device = ok(&[
        (C::AssetNumber, "001"),
        (C::Software, "電子カルテ\nPACSビューア\r\nウイルス対策"),
        (C::SoftwareVersion, "2.0\n\n12.1"),
    ]);
    let names: Vec<&str> = device.software.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["電子カルテ", "PACSビューア", "ウイルス対策"]);
    let versions: Vec<Option<&str>> = device
        .software
        .iter()
        .map(|s| s.version.as_ref().map(Version::as_str))
        .collect();
    assert_eq!(versions, [Some("2.0"), None, Some("12.1")]);

    // Fewer versions than names: the rest are unknown.
    let device = ok(&[
        (C::AssetNumber, "001"),
        (C::Software, "A\nB"),
        (C::SoftwareVersion, "1.0"),
    ]);
    assert_eq!(device.software[1].version, None);

    // More versions than names, or a version without a name.
    let e = errs(&[
        (C::AssetNumber, "001"),
        (C::Software, "A"),
        (C::SoftwareVersion, "1.0\n2.0"),
    ]);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].column, "ソフトウェアバージョン");
    assert_says("1.0\n2.0", &e[0].message, &[(Ja, "2行")]);

    let long = "x".repeat(MAX_NAME_CHARS + 1);
    for (column, text, said) in [
        (C::SoftwareVersion, "1.0", (En, "without a software name")),
        // A name too long for a full cell to fit in Excel.
        (C::Software, long.as_str(), (En, "at most 200")),
        // An empty name between names.
        (C::Software, "A\n\nB", (Ja, "2行目")),
    ] {
        let e = errs(&[(C::AssetNumber, "001"), (column, text)]);
        assert_says(text, &e[0].message, &[said]);
    }
}

#[test]
fn every_error_of_a_row_is_reported() {
    let e = errs(&[
        (C::AssetNumber, ""),
        (C::Kind, "冷蔵庫"),
        (C::IpAddress, "192.168.0.300"),
        (C::RegisteredOn, "2025/13/45"),
        (C::Status, "不明"),
        (C::RemoteMaintenance, "たぶん"),
        (C::LastPatchedOn, "昨日"),
    ]);
    let columns: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(
        columns,
        [
            "管理番号",
            "種別",
            "IPアドレス",
            "登録日",
            "状態",
            "リモートメンテナンス",
            "最終パッチ適用日"
        ]
    );
    assert!(e.iter().all(|e| e.row == 2));
    assert!(
        e.iter()
            .all(|e| !e.message.render(Ja).is_empty() && !e.message.render(En).is_empty())
    );
    assert_says("2025/13/45", &e[3].message, &[(Ja, "13月はありません")]);
}

#[test]
fn dates_in_japanese_and_western_forms() {
    for text in [
        "令和7年4月1日",
        "2025/4/1",
        "2025-04-01",
        "R7.4.1",
        "２０２５／４／１",
    ] {
        let device = ok(&[(C::AssetNumber, "1"), (C::RegisteredOn, text)]);
        assert_eq!(device.registered_on, Some(d(2025, 4, 1)), "{text}");
    }
    for text in ["2025/13/45", "2025-02-30", "45748", "来月"] {
        let e = errs(&[(C::AssetNumber, "1"), (C::LastPatchedOn, text)]);
        assert_eq!(e[0].column, "最終パッチ適用日", "{text}");
    }
    let device = ok(&[(C::AssetNumber, "1"), (C::RegisteredOn, "-")]);
    assert_eq!(device.registered_on, None);
}

#[test]
fn defaults_for_blank_cells() {
    let device = ok(&[(C::AssetNumber, "1")]);
    assert_eq!(device, Device::new(AssetNumber::parse("1").expect("valid")));
    assert_eq!(device.status, DeviceStatus::Active);
    assert_eq!(device.kind, None);
    assert!(!device.remote_maintenance);
    assert_eq!(device.security_updates_in_contract, None);
}

#[test]
fn text_cells_are_checked() {
    let device = ok(&[
        (C::AssetNumber, "1"),
        (C::Description, "  一行目\r\n二行目  "),
    ]);
    assert_eq!(device.description, "一行目\n二行目");
    let long = "x".repeat(1001);
    for (column, text, said) in [
        (C::Maker, "A\u{0}社", (Ja, "U+0000")),
        (C::Location, long.as_str(), (En, "1001 characters")),
    ] {
        let e = errs(&[(C::AssetNumber, "1"), (column, text)]);
        assert_says(text, &e[0].message, &[said]);
    }
    ok(&[(C::AssetNumber, "1"), (C::Description, &"x".repeat(4000))]);
}

#[test]
fn a_column_given_twice_is_refused() {
    let e = errs(&[(C::AssetNumber, "1"), (C::Maker, "A"), (C::Maker, "B")]);
    assert_says("メーカー A, B", &e[0].message, &[(Ja, "2回")]);
}

fn full_device() -> Device {
    let mut device = Device::new(AssetNumber::parse("PC-001").expect("valid"));
    device.kind = Some(DeviceKind::Vpn);
    device.maker = "A社".into();
    device.model = "FG-60F".into();
    device.os = "FortiOS".into();
    device.software = vec![
        Software {
            name: "〇〇電子カルテ".into(),
            version: None,
        },
        Software {
            name: "ウイルス対策".into(),
            version: Version::parse("v", "12.1").expect("valid"),
        },
        Software {
            name: "PACS".into(),
            version: None,
        },
    ];
    device.firmware_version = Version::parse("v", "7.0.12").expect("valid");
    device.ip_addresses = vec![
        "192.168.0.1".parse().expect("ip"),
        "2001:db8::1".parse().expect("ip"),
    ];
    device.dhcp = true;
    device.computer_name = "Room1のPC1".into();
    device.location = "サーバ室".into();
    device.user = "a医師(〇〇科)".into();
    device.registered_on = Some(d(2020, 12, 1));
    device.status = DeviceStatus::Retired;
    device.description = "説明\n二行目".into();
    device.serial_number = "SN123".into();
    device.remote_maintenance = true;
    device.maintenance_vendor = "B社".into();
    device.remote_access = Some(RemoteAccess::VendorClosedNetwork);
    device.security_updates_in_contract = Some(false);
    device.last_patched_on = Some(d(2025, 4, 1));
    device.always_on_connection = Some(true);
    device.weak_or_reused_password = Some(false);
    device
}

#[test]
fn cells_read_back_as_the_same_device() {
    for device in [
        full_device(),
        Device::new(AssetNumber::parse("1").expect("valid")),
    ] {
        let cells = device.to_row();
        assert_eq!(cells.len(), LedgerColumn::COUNT);
        assert_eq!(parse_row(5, &cells), Ok(device));
    }
    let cells = full_device().to_row();
    assert_eq!(cells[C::SoftwareVersion.index()].1, "\n12.1");
    assert_eq!(
        cells[C::IpAddress.index()].1,
        "192.168.0.1\n2001:db8::1\nDHCP"
    );
    assert_eq!(cells[C::RegisteredOn.index()].1, "2020-12-01");
    assert_eq!(cells[C::Kind.index()].1, "VPN装置");
    assert_eq!(cells[C::RemoteMaintenance.index()].1, "はい");
}

#[test]
fn duplicate_asset_numbers_refuse_every_row() {
    let rows: Vec<(usize, Vec<(LedgerColumn, &str)>)> = vec![
        (2, vec![(C::AssetNumber, "001")]),
        (3, vec![(C::AssetNumber, "002")]),
        (4, vec![(C::AssetNumber, "００１")]),
        (5, vec![(C::AssetNumber, ""), (C::Maker, "A社")]),
        (6, vec![(C::AssetNumber, "003"), (C::IpAddress, "x")]),
        (7, vec![(C::AssetNumber, "003")]),
        (8, vec![]),
        // Blank: skipped, not refused.
        (9, vec![(C::AssetNumber, " "), (C::Maker, "")]),
    ];
    let parsed = parse_rows(rows.iter().map(|(r, c)| (*r, c.as_slice())));
    let kept: Vec<usize> = parsed.devices.iter().map(|(r, _)| *r).collect();
    assert_eq!(kept, [3]);
    let rejected: Vec<(usize, &str)> = parsed
        .rejected
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (2, "管理番号"),
            (4, "管理番号"),
            (5, "管理番号"),
            (6, "IPアドレス"),
            (6, "管理番号"),
            (7, "管理番号")
        ]
    );
    assert_says(
        "001",
        &parsed.rejected[0].message,
        &[
            (Ja, "管理番号「001」が複数の行（2行目、4行目）"),
            (En, "(2, 4)"),
        ],
    );
    assert!(!parsed.is_clean());
}

#[test]
fn errors_beyond_the_limit_are_counted() {
    let mut validator = LedgerValidator::with_error_limit(3);
    for row in 2..12 {
        validator.push_row(row, &[(C::AssetNumber, "x"), (C::IpAddress, "bad")]);
    }
    let parsed = validator.finish();
    assert_eq!(parsed.rejected.len(), 3);
    // 10 IP errors + 10 duplicate errors, 3 described.
    assert_eq!(parsed.omitted_errors, 17);
    assert!(parsed.devices.is_empty());
}

#[test]
fn validators_of_parts_append() {
    let mut first = LedgerValidator::with_error_limit(2);
    first.push_row(2, &[(C::AssetNumber, "1")]);
    first.push_row(3, &[(C::AssetNumber, "2"), (C::IpAddress, "x")]);
    let mut second = LedgerValidator::with_error_limit(2);
    second.push_row(4, &[(C::AssetNumber, "1")]);
    second.push_row(5, &[(C::AssetNumber, "3"), (C::IpAddress, "y")]);
    second.push_row(6, &[(C::AssetNumber, "4"), (C::IpAddress, "z")]);
    first.append(second);
    let parsed = first.finish();
    assert!(parsed.devices.is_empty());
    let rows: Vec<usize> = parsed.rejected.iter().map(|e| e.row).collect();
    assert_eq!(rows, [2, 3]);
    // 3 IP errors and 2 duplicates, 2 described.
    assert_eq!(parsed.omitted_errors, 3);
}

#[test]
fn reader_errors_refuse_the_row() {
    let mut validator = LedgerValidator::new();
    validator.push_row(2, &[(C::AssetNumber, "1")]);
    validator.push_error(RowError::new(
        2,
        "説明",
        crate::bilingual("エラー値 #N/A", "error value #N/A"),
    ));
    validator.push_row(3, &[(C::AssetNumber, "2")]);
    let parsed = validator.finish();
    assert_eq!(parsed.devices.len(), 1);
    assert_eq!(parsed.devices[0].0, 3);
    assert_eq!(parsed.rejected.len(), 1);
}
