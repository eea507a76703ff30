use chrono::NaiveDate;
use mamori_domain::assurance::eligibility::month_label_ja;

use super::grid::Cell;
use super::quota::{BandHeader, parse_band_header, parse_count};

#[test]
fn band_headers() {
    let cases = [
        ("20〜199床", Some((Some(20), Some(199)))),
        ("２０～１９９床", Some((Some(20), Some(199)))),
        ("20-199", Some((Some(20), Some(199)))),
        ("20床以上200床未満", Some((Some(20), Some(199)))),
        ("200床以上～400床未満", Some((Some(200), Some(399)))),
        ("20床以上199床以下", Some((Some(20), Some(199)))),
        ("400床以上", Some((Some(400), None))),
        ("400床～", Some((Some(400), None))),
        ("400+", Some((Some(400), None))),
        ("399床超", Some((Some(400), None))),
        ("200床未満", Some((None, Some(199)))),
        ("病床数(20～199床)", Some((Some(20), Some(199)))),
    ];
    for (text, expected) in cases {
        let expected = expected.map_or(BandHeader::NotABand, BandHeader::Range);
        assert_eq!(parse_band_header(text), expected, "{text}");
    }
    assert_eq!(parse_band_header("備考"), BandHeader::NotABand);
    assert_eq!(parse_band_header("20床と200床"), BandHeader::Unreadable);
    assert_eq!(parse_band_header("99999999999床"), BandHeader::Unreadable);
}

#[test]
fn counts() {
    assert_eq!(parse_count(&Cell::Text("１２".into())), Ok(Some(12)));
    assert_eq!(parse_count(&Cell::Text("1,200".into())), Ok(Some(1200)));
    assert_eq!(parse_count(&Cell::Text("－".into())), Ok(Some(0)));
    assert_eq!(parse_count(&Cell::Text("-3".into())), Ok(Some(-3)));
    assert_eq!(parse_count(&Cell::Number(4.0)), Ok(Some(4)));
    assert_eq!(parse_count(&Cell::Empty), Ok(None));
    assert!(parse_count(&Cell::Number(1.5)).is_err());
    assert!(parse_count(&Cell::Text("十".into())).is_err());
}

#[test]
fn era_month() {
    assert_eq!(
        month_label_ja(NaiveDate::from_ymd_opt(2026, 1, 31).expect("valid")),
        "令和8年1月"
    );
}
