//! `wareki::parse_date` never panics, and a date it reads, written again with
//! `format_wareki`, reads back as the same date.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_domain::Lang;
use mamori_domain::wareki::{format_wareki, parse_date};

fuzz_target!(|text: &str| {
    match parse_date("date", text) {
        Ok(date) => {
            let written = format_wareki(date);
            assert_eq!(
                parse_date("date", &written),
                Ok(date),
                "{text:?} read as {date}, written as {written:?}"
            );
        }
        Err(e) => {
            for lang in [Lang::Ja, Lang::En] {
                assert!(!e.message.render(lang).is_empty(), "{e:?}");
            }
        }
    }
});
