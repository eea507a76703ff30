//! `Answer::parse` and `answer::parse_date` never panic; what they accept reads back the
//! same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_domain::Answer;
use mamori_domain::answer::parse_date;

fuzz_target!(|text: &str| {
    if let Ok(answer) = Answer::parse(text) {
        assert_eq!(Answer::parse(answer.as_str()), Ok(answer));
        assert_eq!(Answer::parse(answer.label_ja()), Ok(answer));
    }
    if let Ok(date) = parse_date("checked_on", text) {
        let written = date.format("%Y-%m-%d").to_string();
        assert_eq!(parse_date("checked_on", &written), Ok(date), "{text:?}");
    }
});
