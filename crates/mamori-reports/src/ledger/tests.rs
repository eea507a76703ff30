use chrono::NaiveDate;

use super::csv_input::{LineCount, count_breaks, csv_reader, unescape_csv_cell};
use super::error::column_letter;
use super::export::{escape_formula, to_cp932_forms};
use super::header::is_row_counter;
use super::xlsx_input::{format_number, serial_date};

/// The column letters of the ledger's errors and of the assurance list's cells (one function).
#[test]
fn column_letters() {
    let indices = [0, 25, 26, 27, 701, 702, 16383];
    let letters = ["A", "Z", "AA", "AB", "ZZ", "AAA", "XFD"];
    for (index, expected) in indices.into_iter().zip(letters) {
        assert_eq!(column_letter(index), expected, "column {index}");
    }
}

#[test]
fn csv_cells_lose_their_spreadsheet_escapes() {
    assert_eq!(unescape_csv_cell("'=1+1"), "=1+1");
    assert_eq!(unescape_csv_cell("''x"), "'x");
    assert_eq!(unescape_csv_cell("'abc"), "'abc");
    assert_eq!(unescape_csv_cell("=\"001\""), "001");
    assert_eq!(unescape_csv_cell("=\"a\"\"b\""), "a\"b");
    assert_eq!(unescape_csv_cell("=SUM(A1)"), "=SUM(A1)");
    for text in ["=1+1", "-", "+81", "@x", "'x", "'=y", "plain"] {
        assert_eq!(unescape_csv_cell(&escape_formula(text)), text, "{text}");
    }
}

#[test]
fn numbers_as_people_read_them() {
    assert_eq!(format_number(1.0), "1");
    assert_eq!(format_number(-3.0), "-3");
    assert_eq!(format_number(2.5), "2.5");
    assert_eq!(format_number(0.1), "0.1");
    assert_eq!(format_number(1e20), "100000000000000000000");
    assert_eq!(format_number(f64::NAN), "NaN");
}

#[test]
fn serial_dates() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
    assert_eq!(serial_date(45748.0, false), d(2025, 4, 1));
    assert_eq!(serial_date(45748.75, false), d(2025, 4, 1));
    assert_eq!(serial_date(18264.0, false), d(1950, 1, 1));
    // A year is not a day: 2025 would be 1905-07-17.
    assert_eq!(serial_date(2025.0, false), None);
    // Excel's 1900-02-29, which never was.
    assert_eq!(serial_date(60.0, false), None);
    assert_eq!(serial_date(0.0, false), None);
    assert_eq!(serial_date(-1.0, false), None);
    assert_eq!(serial_date(f64::NAN, false), None);
    assert_eq!(serial_date(1e300, false), None);
}

#[test]
fn breaks_are_counted_once_per_line() {
    let text = b"a\r\nb\nc\rd";
    assert_eq!(count_breaks(text, 0, text.len()), 3);
    // A CRLF split between two ranges counts once.
    assert_eq!(
        count_breaks(text, 0, 2) + count_breaks(text, 2, text.len()),
        3
    );
}

#[test]
fn csv_rows_as_excel_numbers_them() {
    let rows_of = |text: &str| -> Vec<(usize, String)> {
        let mut reader = csv_reader(text.as_bytes(), b',');
        let mut record = csv::StringRecord::new();
        let mut count = LineCount::START;
        let mut out = Vec::new();
        while reader.read_record(&mut record).expect("csv") {
            let reported = record
                .position()
                .and_then(|p| usize::try_from(p.byte()).ok())
                .unwrap_or(0);
            let row = count.row(text.as_bytes(), reported);
            out.push((row, record.get(0).unwrap_or_default().to_owned()));
        }
        out
    };
    let expect = |pairs: &[(usize, &str)]| -> Vec<(usize, String)> {
        pairs.iter().map(|(r, s)| (*r, (*s).to_owned())).collect()
    };
    assert_eq!(
        rows_of("a,b\n\n\"x\ny\",z\r\n1,2\n ,\n\n\n3,4\n\n"),
        expect(&[(1, "a"), (3, "x\ny"), (4, "1"), (5, " "), (8, "3")])
    );
    assert_eq!(
        rows_of("\r\n\r\na\r\n\"b\r\nc\"\r\n\r\nd"),
        expect(&[(3, "a"), (4, "b\r\nc"), (6, "d")])
    );
    assert_eq!(
        rows_of("a\rb\r\rc"),
        expect(&[(1, "a"), (2, "b"), (4, "c")])
    );
}

#[test]
fn shift_jis_look_alikes() {
    assert_eq!(to_cp932_forms("10〜20 −5"), "10～20 －5");
    assert_eq!(to_cp932_forms("plain"), "plain");
}

#[test]
fn row_counters_are_ignored_headers() {
    for header in ["No", "No.", "ＮＯ．", "no", "#", "連番", "項番"] {
        assert!(is_row_counter(header), "{header}");
    }
    assert!(!is_row_counter("番号"));
}
