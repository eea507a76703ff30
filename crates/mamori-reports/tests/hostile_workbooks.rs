//! Workbooks made to exhaust memory: every reader of an uploaded .xlsx refuses them with a
//! message that names the limit, before it inflates them. The files are built here: a few
//! hundred kilobytes that expand to hundreds of megabytes, a ZIP directory that lies about
//! a part's size, a string table declaring an absurd count, a sheet spanning every cell.

use mamori_domain::assurance::BedBands;
use mamori_locale::Lang;
use mamori_reports::assurance_list::{import_institution_list, import_quotas, import_ranking};
use mamori_reports::ledger::{ImportError, import};
use mamori_reports::workbook::{MAX_EXPANDED_BYTES, WorkbookProblem, check_workbook};

fn workbook(rows: &str, filler: usize, extra: &[(&str, &str)]) -> Vec<u8> {
    mamori_reports::workbook::bomb(filler, rows, extra)
}

/// A workbook of 200 MB once inflated, as the reported one.
fn bomb() -> Vec<u8> {
    workbook("", 200 * 1024 * 1024, &[])
}

fn bands() -> BedBands {
    BedBands::standard()
}

/// The ledger import refuses the workbook as too large, and the quota import refuses it
/// naming `quota_word`; the ledger's error, for its messages.
fn assert_too_large_and_quotas_refused(bytes: &[u8], quota_word: &str) -> ImportError {
    let e = import(bytes, None).expect_err("refused");
    assert_eq!(e.code(), "workbook_too_large", "{e}");
    let problems = import_quotas(bytes, &bands()).expect_err("refused");
    assert!(problems.to_string().contains(quota_word), "{problems}");
    e
}

#[test]
fn the_bomb_is_small() {
    let bytes = bomb();
    assert!(bytes.len() < 1024 * 1024, "{} bytes", bytes.len());
}

#[test]
fn a_ledger_bomb_is_refused_before_it_is_inflated() {
    let e = import(&bomb(), None).expect_err("refused");
    assert_eq!(e.code(), "workbook_too_large", "{e}");
    let (ja, en) = (e.message().render(Lang::Ja), e.message().render(Lang::En));
    assert!(en.contains("96 MB"), "{en}");
    assert!(ja.contains("96MB"), "{ja}");
    assert!(
        matches!(e, ImportError::WorkbookTooLarge { expanded, limit }
            if expanded > 200 * 1024 * 1024 && limit == MAX_EXPANDED_BYTES),
        "{e:?}"
    );
}

#[test]
fn assurance_files_refuse_the_bomb() {
    let bytes = bomb();
    for (what, problems) in [
        ("quotas", import_quotas(&bytes, &bands()).err()),
        ("ranking", import_ranking(&bytes).err()),
        ("excluded", import_institution_list(&bytes).err()),
    ] {
        let problems = problems.unwrap_or_else(|| panic!("{what}: the bomb was read"));
        let text = problems.to_string();
        assert!(text.contains("96 MB"), "{what}: {text}");
        assert!(
            problems.message().render(Lang::Ja).contains("96MB"),
            "{what}"
        );
    }
}

/// The bomb with its directory (and local header) declaring a small size for the sheet.
fn lying_bomb() -> Vec<u8> {
    let mut bytes = workbook("", 50 * 1024 * 1024, &[]);
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    let mut p = 0;
    while p + 30 < bytes.len() {
        let (size_at, name_at) = match &bytes[p..p + 4] {
            b"PK\x03\x04" => (p + 22, p + 30),
            b"PK\x01\x02" => (p + 24, p + 46),
            _ => {
                p += 1;
                continue;
            }
        };
        if bytes.get(name_at..name_at + name.len()) == Some(name) {
            bytes[size_at..size_at + 4].copy_from_slice(&4096u32.to_le_bytes());
            patched += 1;
        }
        p += 4;
    }
    assert_eq!(patched, 2, "the local header and the directory entry");
    bytes
}

#[test]
fn declared_sizes_that_lie_are_enforced_while_inflating() {
    let bytes = lying_bomb();
    assert!(matches!(
        check_workbook(&bytes, MAX_EXPANDED_BYTES),
        Err(WorkbookProblem::SizeLies { .. })
    ));
    let e = import(&bytes, None).expect_err("refused");
    assert_eq!(e.code(), "workbook_too_large", "{e}");
    for (what, problems) in [
        ("quotas", import_quotas(&bytes, &bands()).err()),
        ("ranking", import_ranking(&bytes).err()),
    ] {
        let problems = problems.unwrap_or_else(|| panic!("{what}: the bomb was read"));
        assert!(
            problems
                .to_string()
                .contains("more than its ZIP directory declares"),
            "{what}: {problems}"
        );
    }
}

#[test]
fn one_cell_just_under_the_limit_is_refused_before_calamine_reads_it() {
    // The XML reader keeps a whole text: 90 MB in one cell cost 800 MiB.
    let bytes = workbook("", 90 * 1024 * 1024, &[]);
    assert_eq!(
        check_workbook(&bytes, MAX_EXPANDED_BYTES),
        Err(WorkbookProblem::LongRun { limit: 1024 * 1024 })
    );
    let e = assert_too_large_and_quotas_refused(&bytes, "1024 KB");
    assert!(e.message().render(Lang::Ja).contains("32,767"), "{e}");
}

#[test]
fn an_absurd_string_count_is_refused_not_reserved() {
    // calamine reserves room for `uniqueCount` strings before reading one: 10^14 of them
    // would be 2.4 PB, an allocation that fails and ends the process.
    let strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000000"><si><t>管理番号</t></si></sst>"#;
    let bytes = workbook(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
        0,
        &[("xl/sharedStrings.xml", strings)],
    );
    assert!(matches!(
        check_workbook(&bytes, MAX_EXPANDED_BYTES),
        Err(WorkbookProblem::TooManyStrings {
            declared: 100_000_000_000_000,
            ..
        })
    ));
    let e = assert_too_large_and_quotas_refused(&bytes, "strings");
    assert!(
        e.message().render(Lang::En).contains("100000000000000"),
        "{e}"
    );
}

#[test]
fn a_sheet_spanning_every_cell_is_not_laid_out_whole() {
    // Two cells, A1 and XFD1048576: read as one range, 17 billion cells.
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>都道府県</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#;
    let bytes = workbook(rows, 0, &[]);
    for (what, problems) in [
        ("quotas", import_quotas(&bytes, &bands()).err()),
        ("ranking", import_ranking(&bytes).err()),
        ("excluded", import_institution_list(&bytes).err()),
    ] {
        let problems = problems.unwrap_or_else(|| panic!("{what}: read"));
        assert!(
            problems.message().render(Lang::Ja).contains("XFD1048576"),
            "{what}: {}",
            problems.message().render(Lang::Ja)
        );
    }
}
