//! Helpers shared by the unit tests of the domain.

use chrono::NaiveDate;
use mamori_locale::{Lang, Message};

/// Asserts that `message` says each `(language, part)`; a failure names `case` (the input
/// the message is about) and shows the whole text.
#[track_caller]
pub fn assert_says(case: &str, message: &Message, parts: &[(Lang, &str)]) {
    for &(lang, part) in parts {
        let shown = message.render(lang);
        assert!(
            shown.contains(part),
            "{case:?}: the {lang:?} message {shown:?} does not say {part:?}"
        );
    }
}

/// The day `d` of month `m` of year `y`, which the test knows to exist.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}
