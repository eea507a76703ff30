//! `FiscalYear::parse` never panics; a year it accepts is in range and its labels and
//! days can be computed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_domain::FiscalYear;

fuzz_target!(|text: &str| {
    if let Ok(fy) = FiscalYear::parse(text) {
        assert!((FiscalYear::MIN..=FiscalYear::MAX).contains(&fy.start_year()));
        assert!(fy.first_day() < fy.last_day());
        assert_eq!(FiscalYear::containing(fy.first_day()), fy);
        assert_eq!(FiscalYear::parse(&fy.to_string()), Ok(fy));
        let _ = (fy.label_ja(), fy.label_en());
    }
});
