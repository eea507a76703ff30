//! The device ledger (機器台帳) through files: the fixtures in `tests/fixtures/` (see its
//! README), refusals, and round trips through mamori's own exports.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use mamori_domain::device::{
    AssetNumber, Device, DeviceKind, DeviceStatus, LedgerColumn, RemoteAccess, Software, Version,
};
use mamori_locale::Lang;
use mamori_reports::ledger::{
    Encoding, ExportError, ForeignFormat, ImportError, ImportOptions, ParsedLedger,
    XLSX_CONTENT_TYPE, export_csv, export_xlsx, import, import_with,
};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn clean(bytes: &[u8], hint: Option<&str>) -> ParsedLedger {
    let parsed = import(bytes, hint).unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.is_clean(), "{:#?}", parsed.rejected);
    parsed
}

fn device<'a>(parsed: &'a ParsedLedger, asset_number: &str) -> &'a Device {
    parsed
        .devices
        .iter()
        .map(|(_, d)| d)
        .find(|d| d.asset_number.as_str() == asset_number)
        .unwrap_or_else(|| panic!("no device {asset_number}"))
}

fn rows(parsed: &ParsedLedger) -> Vec<usize> {
    parsed.devices.iter().map(|(r, _)| *r).collect()
}

/// Asserts that a message says `text` (showing the message if not).
#[track_caller]
fn assert_says(message: &str, text: &str) {
    assert!(message.contains(text), "{message}");
}

/// The refused rows, each with the column it is refused for.
fn refused(parsed: &ParsedLedger) -> Vec<(usize, &str)> {
    parsed
        .rejected
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect()
}

/// The message of the `i`th refused row, in `lang`.
fn message(parsed: &ParsedLedger, i: usize, lang: Lang) -> String {
    parsed.rejected[i].message.render(lang)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("valid address")
}

fn names(device: &Device) -> Vec<&str> {
    device.software.iter().map(|s| s.name.as_str()).collect()
}

fn versions(device: &Device) -> Vec<Option<&str>> {
    device
        .software
        .iter()
        .map(|s| s.version.as_ref().map(Version::as_str))
        .collect()
}

// --- good fixtures ----------------------------------------------------------------------

#[test]
fn shift_jis_csv_with_shuffled_japanese_headers() {
    let parsed = clean(&fixture("shift_jis_shuffled.csv"), Some("text/csv"));
    assert_eq!(rows(&parsed), [2, 3, 4, 5]);

    let server = device(&parsed, "SV-001");
    assert_eq!(server.kind, Some(DeviceKind::Server));
    assert_eq!(server.status, DeviceStatus::Active);
    assert_eq!(server.maker, "A社");
    assert_eq!(server.model, "PowerEdge R750");
    assert_eq!(server.os, "Windows Server 2019");
    assert_eq!(
        names(server),
        ["〇〇電子カルテ", "PACSビューア", "ｳｲﾙｽ対策"]
    );
    assert_eq!(versions(server), [Some("5.2"), None, Some("2024.1")]);
    assert_eq!(
        server.ip_addresses,
        [ip("192.168.10.5"), ip("192.168.20.5")]
    );
    assert_eq!(server.registered_on, Some(day(2020, 12, 1)));
    assert_eq!(server.location, "サーバ室①");
    assert_eq!(server.description, "髙橋さん管理");
    assert_eq!(server.serial_number, "ABC123");
    assert!(server.remote_maintenance);
    assert_eq!(server.maintenance_vendor, "B社");
    assert_eq!(
        server.remote_access,
        Some(RemoteAccess::VendorClosedNetwork)
    );
    assert_eq!(server.security_updates_in_contract, Some(true));
    assert_eq!(server.last_patched_on, Some(day(2025, 3, 10)));
    assert_eq!(server.always_on_connection, Some(false));
    assert_eq!(server.weak_or_reused_password, Some(false));

    let pc = device(&parsed, "PC-001");
    assert_eq!(pc.kind, Some(DeviceKind::Pc));
    assert_eq!(pc.status, DeviceStatus::Stopped);
    assert_eq!(pc.remote_access, Some(RemoteAccess::NotConnected));
    assert!(!pc.remote_maintenance);

    let network = device(&parsed, "NW-001");
    assert_eq!(network.status, DeviceStatus::Retired);
    assert_eq!(network.registered_on, Some(day(2018, 4, 1)));
    assert_eq!(
        network.firmware_version.as_ref().map(Version::as_str),
        Some("1.9.3")
    );

    let vpn = device(&parsed, "VPN-001");
    assert_eq!(vpn.kind, Some(DeviceKind::Vpn));
    assert_eq!(vpn.last_patched_on, Some(day(2024, 11, 5)));
    assert_eq!(vpn.always_on_connection, Some(true));
    assert_eq!(vpn.weak_or_reused_password, Some(true));
}

#[test]
fn utf8_bom_csv_with_english_headers() {
    let parsed = clean(&fixture("utf8_bom_english.csv"), None);
    assert_eq!(rows(&parsed), [2, 3]);
    let ct = device(&parsed, "MD-01");
    assert_eq!(ct.kind, Some(DeviceKind::Medical));
    assert_eq!(ct.status, DeviceStatus::Active);
    assert_eq!(names(ct), ["Modality console"]);
    assert_eq!(versions(ct), [Some("3.1")]);
    assert_eq!(ct.remote_access, Some(RemoteAccess::RemoteDesktop));
    assert_eq!(ct.always_on_connection, Some(false));
    assert_eq!(ct.weak_or_reused_password, Some(true));
    assert_eq!(ct.registered_on, Some(day(2021, 7, 15)));
    assert_eq!(
        ct.firmware_version.as_ref().map(Version::as_str),
        Some("FW 2.3")
    );
    assert_eq!(ct.serial_number, "CT9-0001");
    let pc = device(&parsed, "PC-100");
    assert_eq!(pc.kind, Some(DeviceKind::Pc));
    assert_eq!(pc.status, DeviceStatus::Stopped);
    assert_eq!(pc.ip_addresses, [ip("fe80::1"), ip("10.1.0.20")]);
    assert_eq!(pc.registered_on, Some(day(2025, 4, 1)));
    assert_eq!(pc.remote_access, Some(RemoteAccess::NotConnected));
}

#[test]
fn xlsx_made_by_libreoffice_with_a_title_row_and_date_cells() {
    let bytes = fixture("libreoffice_title_row.xlsx");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let parsed = clean(&bytes, Some(XLSX_CONTENT_TYPE));
    // Row 1 is the title, row 2 the header, row 5 is blank.
    assert_eq!(rows(&parsed), [3, 4, 6, 7]);

    // Numbers in 管理番号 read without ".0".
    let server = device(&parsed, "1001");
    assert_eq!(server.kind, Some(DeviceKind::Server));
    // A real date cell.
    assert_eq!(server.registered_on, Some(day(2020, 12, 1)));
    assert_eq!(names(server), ["〇〇電子カルテ", "PACSビューア"]);
    assert_eq!(versions(server), [Some("5.2"), None]);
    assert_eq!(
        server.ip_addresses,
        [ip("192.168.10.5"), ip("192.168.20.5")]
    );
    assert_eq!(
        server.remote_access,
        Some(RemoteAccess::VendorClosedNetwork)
    );
    assert_eq!(server.always_on_connection, Some(true));

    let pc = device(&parsed, "1002");
    assert_eq!(pc.registered_on, Some(day(2023, 4, 1)));
    assert_eq!(versions(pc), [Some("2.0.1")]);

    let vpn = device(&parsed, "1003");
    assert_eq!(vpn.kind, Some(DeviceKind::Vpn));
    assert_eq!(vpn.registered_on, Some(day(2019, 5, 1)));

    let old = device(&parsed, "1004");
    assert!(old.dhcp);
    assert!(old.ip_addresses.is_empty());
    assert_eq!(old.status, DeviceStatus::Stopped);
    assert_eq!(old.registered_on, Some(day(2014, 10, 1)));
}

// --- refusals ---------------------------------------------------------------------------

#[test]
fn duplicate_asset_numbers_refuse_every_duplicate_row() {
    let parsed = import(&fixture("duplicate_asset_numbers.csv"), None).expect("readable");
    assert_eq!(rows(&parsed), [6]);
    let refused: Vec<usize> = parsed.rejected.iter().map(|e| e.row).collect();
    assert_eq!(refused, [2, 3, 4, 5]);
    for e in &parsed.rejected {
        assert_eq!(e.column, "管理番号");
        assert_says(&e.message.render(mamori_locale::Lang::Ja), "複数の行");
        assert_says(&e.message.render(mamori_locale::Lang::En), "several rows");
    }
    assert!(
        message(&parsed, 0, Lang::Ja).contains("管理番号「001」が複数の行（2行目、4行目）"),
        "{}",
        message(&parsed, 0, Lang::Ja)
    );
    assert!(message(&parsed, 1, Lang::En).contains("'002'"));
}

#[test]
fn invalid_ip_addresses_are_refused_with_row_and_column() {
    let parsed = import(&fixture("invalid_ip.csv"), None).expect("readable");
    assert_eq!(rows(&parsed), [2, 5]);
    assert_eq!(
        device(&parsed, "004").ip_addresses,
        [ip("fe80::1"), ip("192.168.0.14")]
    );
    assert_eq!(refused(&parsed), [(3, "IPアドレス"), (4, "IPアドレス")]);
    assert!(message(&parsed, 0, Lang::Ja).contains("「192.168.0.300」"));
    assert!(message(&parsed, 1, Lang::En).contains("'abc'"));
    assert!(!message(&parsed, 1, Lang::En).contains("192.168.0.12"));
}

#[test]
fn dates_in_japanese_and_western_forms() {
    let parsed = import(&fixture("dates.csv"), None).expect("readable");
    assert_eq!(rows(&parsed), [2, 3, 4]);
    for (_, d) in &parsed.devices {
        assert_eq!(d.registered_on, Some(day(2025, 4, 1)), "{}", d.asset_number);
    }
    assert_eq!(
        device(&parsed, "002").last_patched_on,
        Some(day(2025, 4, 1))
    );
    assert_eq!(
        device(&parsed, "003").last_patched_on,
        Some(day(2025, 4, 1))
    );
    assert_eq!(
        refused(&parsed),
        [(5, "登録日"), (6, "登録日"), (6, "最終パッチ適用日")]
    );
    assert_says(&message(&parsed, 0, Lang::Ja), "13月はありません");
    assert!(message(&parsed, 0, Lang::Ja).contains("2025/13/45"));
}

#[test]
fn unknown_headers_refuse_the_file_naming_header_and_column() {
    let e = import(&fixture("unknown_header.csv"), None).expect_err("unknown header");
    let ImportError::UnknownHeaders { headers } = &e else {
        panic!("{e:?}");
    };
    let found: Vec<(&str, usize)> = headers
        .iter()
        .map(|h| (h.text.as_str(), h.column))
        .collect();
    assert_eq!(found, [("価格", 2), ("購入日", 4)]);
    assert_eq!(e.code(), "unknown_header");
    assert_says(
        &e.message().render(Lang::Ja),
        "見出し「価格」（C列）、「購入日」（E列）",
    );
    assert_says(&e.message().render(Lang::En), "'価格' (column C)");
}

#[test]
fn empty_file() {
    let e = import(&fixture("empty.csv"), Some("text/csv")).expect_err("empty");
    assert_eq!(e, ImportError::Empty);
    assert_eq!(e.message().render(Lang::Ja), "ファイルが空です");
    for bytes in [&b"\xef\xbb\xbf"[..], b"\r\n\r\n", b" , ,\n,,\n"] {
        assert_eq!(import(bytes, None), Err(ImportError::Empty), "{bytes:?}");
    }
}

#[test]
fn files_that_are_not_spreadsheets() {
    let e = import(&fixture("not_a_ledger.png"), Some("text/csv")).expect_err("png");
    assert_eq!(e, ImportError::NotASpreadsheet(ForeignFormat::Png));
    assert_says(&e.message().render(Lang::Ja), "PNG画像");
    assert_says(&e.message().render(Lang::En), "a PNG image");
    assert_eq!(
        import(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None),
        Err(ImportError::NotASpreadsheet(ForeignFormat::Pdf))
    );
    assert_eq!(
        import(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0", None),
        Err(ImportError::LegacyExcel)
    );
    assert_eq!(
        import(b"\x00\x01\x02\x03binary", None),
        Err(ImportError::NotASpreadsheet(ForeignFormat::Binary))
    );
    // A ZIP that is not a workbook.
    let e = import(b"PK\x03\x04\x14\0\0\0\0\0garbage", None).expect_err("not xlsx");
    assert!(matches!(e, ImportError::UnreadableWorkbook { .. }), "{e:?}");
    assert!(
        e.message()
            .render(Lang::Ja)
            .contains("ブックを読み込めません")
    );
}

#[test]
fn text_in_an_unknown_encoding_names_the_line() {
    // Latin-1 é (0xE9) followed by ASCII: neither UTF-8 nor Shift_JIS.
    let mut bytes = "管理番号,OS\n001,Win11\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"002,caf\xe9\"\n");
    let e = import(&bytes, None).expect_err("bad encoding");
    assert_eq!(e, ImportError::Encoding { line: 3 });
    assert_says(&e.message().render(Lang::Ja), "3行目");
}

#[test]
fn a_bad_byte_deep_in_a_shift_jis_file_names_its_line() {
    let mut bytes = encoding_rs::SHIFT_JIS
        .encode("管理番号,メーカー\n001,A社\n002,B社\n003,")
        .0
        .into_owned();
    // A lead byte followed by a space: no Shift_JIS character.
    bytes.extend_from_slice(b"\x81 \n004,D\n");
    assert_eq!(import(&bytes, None), Err(ImportError::Encoding { line: 4 }));
}

#[test]
fn files_over_the_size_limit() {
    let options = ImportOptions {
        max_bytes: 100,
        ..ImportOptions::default()
    };
    let e = import_with(&fixture("shift_jis_shuffled.csv"), None, &options).expect_err("large");
    assert!(
        matches!(e, ImportError::TooLarge { limit: 100, .. }),
        "{e:?}"
    );
    assert_says(&e.message().render(Lang::Ja), "100バイトまで");
    assert_eq!(ImportOptions::default().max_bytes, 20 * 1024 * 1024);
}

#[test]
fn ragged_rows_refuse_the_file() {
    let e = import(&fixture("ragged.csv"), None).expect_err("ragged");
    assert_eq!(
        e,
        ImportError::RaggedRow {
            row: 3,
            expected: 3,
            found: 2
        }
    );
    assert_says(&e.message().render(Lang::Ja), "3行目");
}

#[test]
fn the_header_row_is_searched_for() {
    let text = "機器台帳\n作成: 情報システム課\n\nNo.,管理番号,OS\n1,001,Win11\n";
    let parsed = clean(text.as_bytes(), None);
    assert_eq!(rows(&parsed), [5]);
    // Not within the first rows.
    let late = format!("{}管理番号,OS\n001,Win11\n", "title\n".repeat(10));
    assert_eq!(
        import(late.as_bytes(), None),
        Err(ImportError::NoHeaderRow { searched_rows: 10 })
    );
    // 管理番号 alone is not a header row; with unknown headers it says which.
    assert_eq!(
        import("管理番号\n001\n".as_bytes(), None),
        Err(ImportError::NoHeaderRow { searched_rows: 2 })
    );
    let e = import("管理番号,値段\n001,5\n".as_bytes(), None).expect_err("near miss");
    assert!(matches!(e, ImportError::UnknownHeaders { .. }), "{e:?}");
    // A column named twice.
    let e = import("管理番号,説明,備考\n001,a,b\n".as_bytes(), None).expect_err("twice");
    assert!(matches!(e, ImportError::DuplicateHeader { .. }), "{e:?}");
    assert_says(&e.message().render(Lang::Ja), "B列の「説明」");
}

#[test]
fn data_without_a_header_refuses_the_file() {
    let e = import("管理番号,OS,\n001,Win11,x\n".as_bytes(), None).expect_err("no header");
    assert_eq!(e, ImportError::DataWithoutHeader { row: 2, column: 2 });
    assert_says(&e.message().render(Lang::Ja), "C列");
    // Blank cells under a blank header are fine.
    clean("管理番号,,OS\n001,,Win11\n".as_bytes(), None);
    let e = import("管理番号,OS\n001,Win11,extra\n".as_bytes(), None).expect_err("right");
    assert_eq!(e, ImportError::DataWithoutHeader { row: 2, column: 2 });
}

#[test]
fn row_numbers_count_blank_lines_but_not_breaks_inside_cells() {
    let text = "管理番号,ソフトウェア\r\n\r\n001,\"A\r\nB\"\r\n002,\"C\nD\nE\"\n\n\n003,x\n004,\"a\n\nb\"\n";
    let parsed = import(text.as_bytes(), None).expect("readable");
    assert_eq!(rows(&parsed), [3, 4, 7]);
    assert_eq!(parsed.rejected.len(), 1);
    assert_eq!(parsed.rejected[0].row, 8);
    assert_eq!(parsed.rejected[0].column, "ソフトウェア");
}

#[test]
fn errors_name_the_column_as_the_file_does() {
    let parsed = import("Asset number,IP address\n1,nope\n".as_bytes(), None).expect("readable");
    assert_eq!(parsed.rejected[0].column, "IP address");
}

#[test]
fn tab_separated_and_utf16_text() {
    let tsv = "管理番号\tOS\tメーカー\n001\tWin11\tA社\n";
    let parsed = clean(tsv.as_bytes(), None);
    assert_eq!(device(&parsed, "001").maker, "A社");
    let parsed = clean(tsv.as_bytes(), Some("text/tab-separated-values"));
    assert_eq!(parsed.devices.len(), 1);
    // Excel's 「Unicode テキスト」: UTF-16LE with a BOM, tab-separated.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    let parsed = clean(&utf16, None);
    assert_eq!(device(&parsed, "001").os, "Win11");
}

#[test]
fn spreadsheet_escapes_in_csv_cells() {
    let text = "管理番号,説明,メーカー\n=\"001\",'=cmd|' /C calc'!A0,'-\n";
    let parsed = clean(text.as_bytes(), None);
    let d = device(&parsed, "001");
    assert_eq!(d.description, "=cmd|' /C calc'!A0");
    assert_eq!(d.maker, "-");
}

#[test]
fn a_workbook_that_expands_too_far_is_refused() {
    let bytes = export_xlsx(&[sample_device()]).expect("export");
    let options = ImportOptions {
        max_uncompressed_bytes: 1_000,
        ..ImportOptions::default()
    };
    assert!(matches!(
        import_with(&bytes, None, &options),
        Err(ImportError::WorkbookTooLarge { limit: 1_000, .. })
    ));
}

#[test]
fn too_many_rows_and_too_many_errors() {
    let mut text = String::from("管理番号,IPアドレス\n");
    for i in 0..50 {
        text.push_str(&format!("{i},x\n"));
    }
    let options = ImportOptions {
        max_rows: 10,
        ..ImportOptions::default()
    };
    assert_eq!(
        import_with(text.as_bytes(), None, &options),
        Err(ImportError::TooManyRows { limit: 10 })
    );
    let options = ImportOptions {
        max_errors: 5,
        ..ImportOptions::default()
    };
    let parsed = import_with(text.as_bytes(), None, &options).expect("readable");
    assert_eq!(parsed.rejected.len(), 5);
    assert_eq!(parsed.omitted_errors, 45);
}

/// Cells that only a spreadsheet has: error values, bare numbers in date columns, booleans,
/// date-times. Written with rust_xlsxwriter because LibreOffice's CSV import makes none of
/// them.
#[test]
fn spreadsheet_cells_become_text_as_people_read_them() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_time = Format::new().set_num_format("yyyy/mm/dd hh:mm");
    let write = |result: Result<&mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError>| {
        result.map(|_| ()).expect("write");
    };
    write(sheet.write_string(0, 0, "機器台帳"));
    for (col, header) in [
        "管理番号",
        "登録日",
        "説明",
        "リモートメンテナンス",
        "最終パッチ適用日",
    ]
    .iter()
    .enumerate()
    {
        write(sheet.write_string(1, col as u16, *header));
    }
    // Row 3: a serial day without a date format, an error value.
    write(sheet.write_string(2, 0, "X1"));
    write(sheet.write_number(2, 1, 45748.0));
    write(sheet.write_formula(2, 2, Formula::new("=NA()").set_result("#N/A")));
    // Row 4: a year where a date belongs.
    write(sheet.write_string(3, 0, "X2"));
    write(sheet.write_number(3, 1, 2025.0));
    // Row 5: a number as the asset number, a boolean, a date with a time.
    write(sheet.write_number(4, 0, 7.0));
    write(sheet.write_boolean(4, 3, true));
    let when = ExcelDateTime::parse_from_str("2025-03-10 14:30:00").expect("date-time");
    write(sheet.write_datetime_with_format(4, 4, &when, &date_time));
    let bytes = workbook.save_to_buffer().expect("save");

    let parsed = import(&bytes, None).expect("readable");
    assert_eq!(rows(&parsed), [5]);
    let d = device(&parsed, "7");
    assert!(d.remote_maintenance);
    assert_eq!(d.last_patched_on, Some(day(2025, 3, 10)));
    assert_eq!(refused(&parsed), [(3, "説明"), (4, "登録日")]);
    assert_says(&message(&parsed, 0, Lang::Ja), "#N/A");
    assert_says(&message(&parsed, 1, Lang::Ja), "2025");
}

#[test]
fn many_unknown_headers_are_named_up_to_a_limit() {
    let mut header = String::from("管理番号,OS");
    for i in 0..30 {
        header.push_str(&format!(",列{i}"));
    }
    let e = import(format!("{header}\n001,Win11\n").as_bytes(), None).expect_err("unknown");
    assert_says(&e.message().render(Lang::Ja), "ほか10件");
    assert_says(&e.message().render(Lang::En), "and 10 more");
}

// --- round trips ------------------------------------------------------------------------

fn sample_device() -> Device {
    let mut d = Device::new(AssetNumber::parse("001").expect("valid"));
    d.kind = Some(DeviceKind::Server);
    d.maker = "A社".into();
    d.model = "PowerEdge R750".into();
    d.os = "Windows Server 2019".into();
    d.software = vec![
        Software {
            name: "〇〇電子カルテ".into(),
            version: None,
        },
        Software {
            name: "PACSビューア".into(),
            version: Version::parse("v", "2.0").expect("valid"),
        },
    ];
    d.firmware_version = Version::parse("v", "7.0.12").expect("valid");
    d.ip_addresses = vec![ip("192.168.0.10"), ip("2001:db8::10")];
    d.dhcp = true;
    d.computer_name = "EMR-SV01".into();
    d.location = "サーバ室".into();
    d.user = "情報システム課".into();
    d.registered_on = Some(day(2020, 12, 1));
    d.status = DeviceStatus::Active;
    d.description = "=1+1 は数式ではなく文字\n二行目 \"引用\", カンマ".into();
    d.serial_number = "SN-0001".into();
    d.remote_maintenance = true;
    d.maintenance_vendor = "B社".into();
    d.remote_access = Some(RemoteAccess::Vpn);
    d.security_updates_in_contract = Some(true);
    d.last_patched_on = Some(day(1899, 12, 31));
    d.always_on_connection = Some(false);
    d.weak_or_reused_password = None;
    d
}

/// Every fixture's devices, a full device, and a bare one.
fn all_devices() -> Vec<Device> {
    let mut devices: Vec<Device> = Vec::new();
    for (name, hint) in [
        ("shift_jis_shuffled.csv", None),
        ("utf8_bom_english.csv", None),
        ("libreoffice_title_row.xlsx", Some(XLSX_CONTENT_TYPE)),
    ] {
        devices.extend(
            clean(&fixture(name), hint)
                .devices
                .into_iter()
                .map(|(_, d)| d),
        );
    }
    devices.push(sample_device());
    devices.push(Device::new(AssetNumber::parse("ZZ-9").expect("valid")));
    let mut leading_blank = Device::new(AssetNumber::parse("ZZ-10").expect("valid"));
    leading_blank.description = "-".into();
    // Around Excel's 29 February 1900, which never was.
    leading_blank.registered_on = Some(day(1900, 3, 1));
    leading_blank.last_patched_on = Some(day(1900, 2, 28));
    leading_blank.maker = "'quoted".into();
    leading_blank.software = vec![Software {
        name: "@tool".into(),
        version: Version::parse("v", "+1").expect("valid"),
    }];
    devices.push(leading_blank);
    devices
}

fn assert_same(original: &[Device], parsed: ParsedLedger) {
    assert!(parsed.is_clean(), "{:#?}", parsed.rejected);
    let back: Vec<Device> = parsed.devices.into_iter().map(|(_, d)| d).collect();
    assert_eq!(back.len(), original.len());
    for (a, b) in original.iter().zip(&back) {
        assert_eq!(a, b);
    }
}

/// The largest device the rules allow still fits in Excel's cells (32,767 characters).
#[test]
fn the_largest_device_round_trips_through_xlsx() {
    use mamori_domain::device::{MAX_DESCRIPTION_CHARS, MAX_ENTRIES, MAX_NAME_CHARS};
    let mut d =
        Device::new(AssetNumber::parse(&"9".repeat(AssetNumber::MAX_CHARS)).expect("valid"));
    d.software = (0..MAX_ENTRIES)
        .map(|i| Software {
            name: format!("{i:03}{}", "ソ".repeat(MAX_NAME_CHARS - 3)),
            version: Version::parse("v", &format!("{i}.{}", "9".repeat(Version::MAX_CHARS - 4)))
                .expect("valid"),
        })
        .collect();
    d.ip_addresses = (0..MAX_ENTRIES)
        .map(|i| ip(&format!("2001:db8:ffff:ffff:ffff:ffff:ffff:{i:x}")))
        .collect();
    d.description = "説".repeat(MAX_DESCRIPTION_CHARS);
    let devices = [d];
    let bytes = export_xlsx(&devices).expect("fits");
    assert_same(&devices, import(&bytes, None).expect("import"));
    let bytes = export_csv(&devices, Encoding::ShiftJis).expect("fits");
    assert_same(&devices, import(&bytes, None).expect("import"));
}

#[test]
fn round_trip_through_xlsx() {
    let devices = all_devices();
    let bytes = export_xlsx(&devices).expect("export");
    let parsed = import(&bytes, Some(XLSX_CONTENT_TYPE)).expect("import");
    let rows = rows(&parsed);
    assert_eq!(rows, (2..devices.len() + 2).collect::<Vec<_>>());
    assert_same(&devices, parsed);
}

#[test]
fn round_trip_through_csv_utf8() {
    let devices = all_devices();
    let bytes = export_csv(&devices, Encoding::Utf8).expect("export");
    assert!(bytes.starts_with(b"\xef\xbb\xbf\xe7\xae\xa1\xe7\x90\x86\xe7\x95\xaa\xe5\x8f\xb7"));
    assert_same(&devices, import(&bytes, Some("text/csv")).expect("import"));
}

#[test]
fn round_trip_through_csv_shift_jis() {
    let devices = all_devices();
    let bytes = export_csv(&devices, Encoding::ShiftJis).expect("export");
    assert!(std::str::from_utf8(&bytes).is_err(), "not Shift_JIS");
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(decoded.starts_with("管理番号,種別,メーカー,機種,OS,ソフトウェア,"));
    assert_same(&devices, import(&bytes, None).expect("import"));
}

#[test]
fn csv_export_protects_excel_from_formulas() {
    let bytes = export_csv(&[sample_device()], Encoding::Utf8).expect("export");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.contains("\"'=1+1 は数式ではなく文字"), "{text}");
    assert!(text.contains("\r\n"));
}

#[test]
fn shift_jis_export_reports_characters_it_cannot_hold() {
    let mut d = sample_device();
    d.location = "𠮷野家の隣".into();
    d.user = "Müller 🙂".into();
    let e = export_csv(&[d.clone()], Encoding::ShiftJis).expect_err("unmappable");
    let ExportError::Unmappable { cells, total } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*total, 3);
    let found: Vec<(LedgerColumn, char)> = cells.iter().map(|c| (c.column, c.character)).collect();
    assert_eq!(
        found,
        [
            (LedgerColumn::Location, '𠮷'),
            (LedgerColumn::User, 'ü'),
            (LedgerColumn::User, '🙂')
        ]
    );
    assert_says(
        &e.message().render(Lang::Ja),
        "管理番号「001」の設置場所の「𠮷」",
    );
    assert_says(&e.message().render(Lang::Ja), "UTF-8で出力");
    // UTF-8 holds them.
    let bytes = export_csv(&[d.clone()], Encoding::Utf8).expect("utf-8");
    assert_same(&[d], import(&bytes, None).expect("import"));

    // Look-alikes are written in their CP932 form instead of being refused.
    let mut d = sample_device();
    d.description = "10〜20 −5".into();
    let bytes = export_csv(&[d], Encoding::ShiftJis).expect("look-alikes");
    let parsed = import(&bytes, None).expect("import");
    assert_eq!(parsed.devices[0].1.description, "10～20 －5");
}

#[test]
fn xlsx_export_has_japanese_headers_and_date_cells() {
    use calamine::{Data, Reader, Xlsx};
    let bytes = export_xlsx(&[sample_device()]).expect("export");
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    assert_eq!(workbook.sheet_names(), ["機器台帳"]);
    let range = workbook.worksheet_range("機器台帳").expect("sheet");
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let expected: Vec<&str> = LedgerColumn::ALL.iter().map(|c| c.header_ja()).collect();
    assert_eq!(header, expected);
    assert_eq!(
        &header[..15],
        [
            "管理番号",
            "種別",
            "メーカー",
            "機種",
            "OS",
            "ソフトウェア",
            "ソフトウェアバージョン",
            "ファームウェアバージョン",
            "IPアドレス",
            "コンピュータ名",
            "設置場所",
            "利用者",
            "登録日",
            "状態",
            "説明"
        ]
    );
    let registered = range
        .get((1, LedgerColumn::RegisteredOn.index()))
        .expect("cell");
    assert!(matches!(registered, Data::DateTime(_)), "{registered:?}");
    // 1899 is before Excel's dates: written as text.
    let patched = range
        .get((1, LedgerColumn::LastPatchedOn.index()))
        .expect("cell");
    assert_eq!(patched, &Data::String("1899-12-31".into()));
    let asset = range.get((1, 0)).expect("cell");
    assert_eq!(asset, &Data::String("001".into()));
    // An empty ledger is a header row.
    let bytes = export_xlsx(&[]).expect("empty export");
    assert_eq!(import(&bytes, None), Ok(ParsedLedger::default()));
}

// --- performance ------------------------------------------------------------------------

/// A Shift_JIS ledger of `n` rows, in the spellings people use.
fn big_shift_jis_ledger(n: usize) -> Vec<u8> {
    let mut text = String::from(
        "管理番号,種別,メーカー,機種,OS,ソフトウェア,ソフトウェアバージョン,IPアドレス,コンピュータ名,設置場所,利用者,登録日,状態,説明,リモートメンテナンス\r\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "PC-{i:06},端末PC,A社,OptiPlex 7010,Win11,\"〇〇電子カルテ\nウイルス対策\",\"2.0\n12.1\",192.168.{}.{},Room{}のPC{},外来{}診察室,{}医師(内科),2023/4/{},稼働,メンテナンス済み,いいえ\r\n",
            (i / 250) % 256,
            i % 250 + 1,
            i % 50,
            i % 7,
            i % 30,
            i % 100,
            i % 28 + 1,
        ));
    }
    let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!bad);
    bytes.into_owned()
}

/// Run with `cargo test --release -p mamori-reports --test ledger -- --ignored --nocapture`
/// on an idle machine. Prints the import against three baselines over the same bytes: the
/// csv crate reading byte records (no decoding at all), the csv crate's record iterator,
/// and decoding Shift_JIS plus reading string records (what any reader of the text must
/// do). The ratio asserted is against the first, the strictest.
#[test]
#[ignore = "a measurement; run in release on an idle machine"]
fn perf_100k_shift_jis_rows_against_a_bare_csv_parse() {
    use std::time::{Duration, Instant};
    let bytes = big_shift_jis_ledger(100_000);
    // The best of several runs; what a run returns is dropped outside the timing.
    let best = |f: &dyn Fn() -> Box<dyn std::any::Any>| -> Duration {
        (0..7)
            .map(|_| {
                let start = Instant::now();
                let kept = f();
                let elapsed = start.elapsed();
                drop(kept);
                elapsed
            })
            .min()
            .expect("runs")
    };
    let byte_records = best(&|| {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let mut record = csv::ByteRecord::new();
        let mut n = 0;
        while reader.read_byte_record(&mut record).expect("csv") {
            n += record.len();
        }
        Box::new(n)
    });
    let record_iterator = best(&|| {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let records: Vec<csv::ByteRecord> =
            reader.byte_records().map(|r| r.expect("csv")).collect();
        Box::new(records)
    });
    let decoded_strings = best(&|| {
        let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut n = 0;
        while reader.read_record(&mut record).expect("csv") {
            n += record.len();
        }
        Box::new(n)
    });
    let import_with_threads = |parallel: bool| {
        let options = ImportOptions {
            parallel,
            ..ImportOptions::default()
        };
        best(&|| {
            let parsed = import_with(&bytes, Some("text/csv"), &options).expect("import");
            assert!(parsed.is_clean(), "{:?}", parsed.rejected.first());
            assert_eq!(parsed.devices.len(), 100_000);
            Box::new(parsed)
        })
    };
    let one_thread = import_with_threads(false);
    let two_threads = import_with_threads(true);
    let ratio = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64();
    println!("{} bytes, 100,000 rows", bytes.len());
    for (name, base) in [
        ("csv byte records (reused)", byte_records),
        ("csv byte_records() iterator", record_iterator),
        ("Shift_JIS decode + csv string records", decoded_strings),
    ] {
        println!(
            "  baseline {name}: {base:?}; import one thread {one_thread:?} = {:.1}x, two threads {two_threads:?} = {:.1}x",
            ratio(one_thread, base),
            ratio(two_threads, base)
        );
    }
    let best_import = one_thread.min(two_threads);
    assert!(
        ratio(best_import, byte_records) < 10.0,
        "{:.1}x",
        ratio(best_import, byte_records)
    );
}

/// Large enough to be read in two parts in parallel (more than 1 MiB of rows either side of
/// the split): rows, errors and duplicates come out as if read in one go, and the same as
/// with one thread.
#[test]
fn a_large_ledger_reads_the_same_in_parts() {
    let n = 40_000;
    let mut text = String::from("機器台帳\r\n\r\n管理番号,ソフトウェア,IPアドレス,説明\r\n");
    // Row 4 is the first data row; every row has a line break inside a quoted cell.
    for i in 0..n {
        let ip = match i {
            10 | 30_000 => "300.0.0.1".to_owned(),
            _ => format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
        };
        // The same asset number in the first and the last part.
        let asset = if i == 39_999 {
            "A-5".to_owned()
        } else {
            format!("A-{i}")
        };
        text.push_str(&format!(
            "{asset},\"電子カルテ\r\nPACS\",{ip},\"{}行目の機器\nです。説明を長めに書いておきます。\"\r\n",
            i + 4
        ));
        if i == 12_345 {
            // A blank line and a blank record.
            text.push_str("\r\n,,,\r\n");
        }
    }
    let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!bad);
    assert!(bytes.len() > 3 * 1024 * 1024, "{}", bytes.len());
    let parsed = import(&bytes, None).expect("import");
    let one_thread = ImportOptions {
        parallel: false,
        ..ImportOptions::default()
    };
    assert!(
        import_with(&bytes, None, &one_thread).as_ref() == Ok(&parsed),
        "one thread and two read the same"
    );
    // Rows after the blank line and the blank record shift by two.
    let row_of = |i: usize| if i > 12_345 { i + 6 } else { i + 4 };
    let expected: Vec<usize> = (0..n)
        .filter(|i| ![5, 10, 30_000, 39_999].contains(i))
        .map(row_of)
        .collect();
    let found = rows(&parsed);
    assert!(found == expected, "rows differ from the expected ones");
    for (row, d) in &parsed.devices {
        let written = if *row > 12_349 { row - 2 } else { *row };
        assert!(
            d.description.starts_with(&format!("{written}行目")),
            "{row}: {}",
            d.description
        );
    }
    assert_eq!(
        refused(&parsed),
        [
            (row_of(5), "管理番号"),
            (row_of(10), "IPアドレス"),
            (row_of(30_000), "IPアドレス"),
            (row_of(39_999), "管理番号")
        ]
    );
}

#[test]
fn a_thousand_shift_jis_rows() {
    let parsed = import(&big_shift_jis_ledger(1000), None).expect("import");
    assert!(parsed.is_clean(), "{:?}", parsed.rejected.first());
    assert_eq!(parsed.devices.len(), 1000);
    assert_eq!(parsed.devices[999].0, 1001);
}
