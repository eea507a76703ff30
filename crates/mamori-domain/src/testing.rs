//! Helpers shared by the unit tests of the domain.

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
