//! Logins compared as people read them: `DEMO-Hospital`, `demo-hospital` and the full-width
//! `ｄｅｍｏ－ｈｏｓｐｉｔａｌ` are one login. Two accounts whose logins differ only in case
//! or width would let one pass for the other, and would give a guesser a fresh count of
//! failures per spelling.

use crate::text::fold::fold;

/// The form a login is compared and counted by: [`fold`]ed (full-width letters, digits and
/// signs become their ASCII forms, every dash `-`), lower case, folded again (lower-casing
/// can leave a decomposed character), without surrounding spaces (full-width ones included).
pub fn login_key(login: &str) -> String {
    let lower = fold(login).to_lowercase();
    fold(&lower).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_fold_to_their_key() {
        for (login, key) in [
            // ASCII lower case is unchanged.
            ("demo-hospital", "demo-hospital"),
            ("a.b_c@example.jp", "a.b_c@example.jp"),
            // Upper and mixed case fold.
            ("DEMO-HOSPITAL", "demo-hospital"),
            ("Demo-Hospital", "demo-hospital"),
            ("dEmO-hOsPiTaL", "demo-hospital"),
            // Full width folds to ASCII; U+FF0D FULLWIDTH HYPHEN-MINUS becomes '-'.
            ("ＤＥＭＯ－ＨＯＳＰＩＴＡＬ", "demo-hospital"),
            ("ｄｅｍｏ－ｈｏｓｐｉｔａｌ", "demo-hospital"),
            ("ＤＥＭＯ-hospital", "demo-hospital"),
            // Any dash an input method gives is the hyphen.
            ("demo\u{2010}hospital", "demo-hospital"),
            ("demo−hospital", "demo-hospital"),
            ("ｕｓｅｒ１２３＠ｅｘａｍｐｌｅ．ｊｐ", "user123@example.jp"),
            // Surrounding spaces go, full-width ones included.
            ("  demo-hospital ", "demo-hospital"),
            ("\u{3000}demo-hospital\u{3000}", "demo-hospital"),
        ] {
            assert_eq!(login_key(login), key, "{login:?}");
        }
    }

    #[test]
    fn distinct_logins_stay_distinct() {
        assert_ne!(login_key("demo-hospital"), login_key("demo-hospital-staff"));
        assert_ne!(login_key("demo_hospital"), login_key("demo-hospital"));
    }

    #[test]
    fn the_key_of_a_key_is_itself() {
        for login in [
            "ＤＥＭＯ－ＨＯＳＰＩＴＡＬ",
            "Ǆemo",
            "ß-Straße",
            "İstanbul",
            "ℌospital",
            "ｶﾀｶﾅ",
        ] {
            let key = login_key(login);
            assert_eq!(login_key(&key), key, "{login}");
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_is_idempotent(login in "\\PC{0,20}") {
            let key = login_key(&login);
            proptest::prop_assert_eq!(login_key(&key), key);
        }
    }
}
