//! What people type, folded to the form mamori reads and compares. Japanese input methods and
//! spreadsheets give the same text in several widths and shapes: `ＡＢＣ１２３`, `ｶﾞｲﾄﾞ`,
//! `平成` as `㍻`, and a hyphen as any of a dozen dashes. Every reader that folds goes through
//! here, so that a header, a phone number and a login are folded alike.
//!
//! [`fold`] is Unicode NFKC, which turns full-width letters, digits and signs into ASCII, the
//! ideographic space into a space, half-width katakana into full-width with their voiced marks
//! joined (`ｶﾞ` is `ガ`) and era signs into their kanji, followed by the one table NFKC has
//! no say in: every dash of [`DASHES`] becomes ASCII `-`.
//!
//! The long-vowel mark ー is a letter (オーダリング, サーバー) and stays as it is. Readers of
//! numbers (dates, phone numbers, ranges), where input methods often give it for a hyphen,
//! take it as one with [`is_dash_or_long_vowel`].

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The dashes, hyphens and minus signs that stand for `-` in typed or pasted text: ‐ ‑ ‒ – — ―
/// (U+2010..=U+2015), − (U+2212 MINUS SIGN), ﹣ (U+FE63) and － (U+FF0D). NFKC turns the last
/// two into `-` and ‑ into ‐ by itself, and leaves the others alone.
pub const DASHES: [char; 9] = [
    '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}', '\u{FE63}',
    '\u{FF0D}',
];

/// The katakana long-vowel mark, full- and half-width (ー, ｰ).
pub const LONG_VOWEL_MARKS: [char; 2] = ['\u{30FC}', '\u{FF70}'];

/// Whether `c` is ASCII `-` or one of [`DASHES`].
pub fn is_dash(c: char) -> bool {
    c == '-' || DASHES.contains(&c)
}

/// Whether `c` is a dash or a long-vowel mark: what stands for a hyphen among digits.
pub fn is_dash_or_long_vowel(c: char) -> bool {
    is_dash(c) || LONG_VOWEL_MARKS.contains(&c)
}

fn dash_to_hyphen(c: char) -> char {
    if DASHES.contains(&c) { '-' } else { c }
}

/// `text` in NFKC with every dash as `-`; borrowed when that changes nothing, as for most
/// text.
pub fn fold(text: &str) -> Cow<'_, str> {
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes && !text.contains(DASHES) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.nfkc().map(dash_to_hyphen).collect())
}

/// Full-width ASCII (U+FF01..=U+FF5E) and the ideographic space folded through NFKC, and
/// nothing else: for values stored in this form before [`fold`] existed (管理番号 is the key
/// a re-imported ledger updates its devices by), which a wider fold would no longer match.
pub fn fold_width(text: &str) -> Cow<'_, str> {
    let wide = |c: char| matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}');
    if !text.contains(wide) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if wide(c) {
            out.extend(std::iter::once(c).nfkc());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One character folded on its own (one, none or several characters), for readers that
/// point each folded character back at the character as written. A voiced mark is not
/// joined to the kana before it here.
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    std::iter::once(c).nfkc().map(dash_to_hyphen)
}

/// The form names are compared in when someone searches: [`fold`]ed, lower-case, katakana as
/// hiragana and without spaces, so that `ﾐﾅﾄ`, `ミナト` and `みなと` find the same
/// institution, and `みなと 中央` finds `みなと中央病院`.
pub fn search_key(text: &str) -> String {
    fold(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .map(katakana_as_hiragana)
        .collect()
}

/// ァ (U+30A1) to ヶ (U+30F6) as the hiragana at the same place, 0x60 below; the long-vowel
/// mark and ヷ–ヺ have no hiragana and stay.
fn katakana_as_hiragana(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn assert_folds(cases: &[(&str, &str)]) {
        for &(text, folded) in cases {
            assert_eq!(fold(text), folded, "{text:?}");
        }
    }

    #[test]
    fn full_width_ascii_and_the_ideographic_space_become_ascii() {
        assert_folds(&[
            ("ＡＢＣ　ａｂｃ　０１２３＠＋．／（）", "ABC abc 0123@+./()"),
            ("ｕｓｅｒ１２３＠ｅｘａｍｐｌｅ．ｊｐ", "user123@example.jp"),
        ]);
    }

    #[test]
    fn every_dash_becomes_a_hyphen_and_the_long_vowel_mark_stays() {
        assert_eq!(fold("０３－１２３４―５６７８"), "03-1234-5678");
        for dash in DASHES {
            assert_eq!(fold(&format!("a{dash}b")), "a-b", "{dash:?}");
            assert!(is_dash(dash));
        }
        assert_folds(&[("オーダリング", "オーダリング"), ("ｵｰﾀﾞﾘﾝｸﾞ", "オーダリング")]);
        assert!(!is_dash('ー'));
        assert!(is_dash_or_long_vowel('ー') && is_dash_or_long_vowel('ｰ'));
        assert!(!is_dash_or_long_vowel('_'));
    }

    #[test]
    fn half_width_katakana_become_full_width_with_their_marks_joined() {
        assert_folds(&[
            ("ｻｰﾊﾞｰ", "サーバー"),
            ("ﾊﾟｽﾜｰﾄﾞ", "パスワード"),
            ("ｳﾞｨ", "ヴィ"),
            ("ﾃﾞﾝｼｶﾙﾃ･ｼｽﾃﾑ", "デンシカルテ・システム"),
        ]);
    }

    #[test]
    fn search_keys_fold_width_case_kana_and_spaces() {
        for (text, key) in [
            ("ﾐﾅﾄ中央病院", "みなと中央病院"),
            ("ミナト中央病院", "みなと中央病院"),
            ("みなと　中央 病院", "みなと中央病院"),
            ("ＡＢＣ Clinic", "abcclinic"),
            ("サーバー", "さーばー"),
            ("ヴァ", "ゔぁ"),
            ("ヶ丘", "ゖ丘"),
        ] {
            assert_eq!(search_key(text), key, "{text:?}");
        }
    }

    #[test]
    fn era_signs_become_their_kanji() {
        assert_folds(&[
            ("㋿7年", "令和7年"),
            ("㍻31年", "平成31年"),
            ("㍼64年", "昭和64年"),
        ]);
    }

    #[test]
    fn text_that_needs_no_folding_is_borrowed() {
        for text in ["", "demo-hospital", "みなと中央病院", "サーバー 2.0"] {
            assert!(matches!(fold(text), Cow::Borrowed(_)), "{text:?}");
        }
        assert!(matches!(fold("ＡＢ"), Cow::Owned(_)));
        assert!(matches!(fold("a−b"), Cow::Owned(_)));
    }

    #[test]
    fn folding_width_alone_leaves_kana_and_dashes() {
        assert_eq!(fold_width("ＰＣ－０１　ｻｰﾊﾞ―１"), "PC-01 ｻｰﾊﾞ―1");
        assert!(matches!(fold_width("ｻｰﾊﾞ-01"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_character_folds_on_its_own() {
        for (c, folded) in [
            ('Ａ', "A"),
            ('㍻', "平成"),
            ('−', "-"),
            ('ｶ', "カ"),
            ('ﾞ', "\u{3099}"),
        ] {
            assert_eq!(fold_char(c).collect::<String>(), folded, "{c:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_is_idempotent(text in "\\PC{0,24}") {
            let once = fold(&text).into_owned();
            proptest::prop_assert_eq!(fold(&once).into_owned(), once.clone());
            proptest::prop_assert!(!once.contains(DASHES));
        }

        #[test]
        fn folding_by_character_agrees_on_text_without_marks(text in "[\\x20-\\x7E\\u{3000}\\u{FF01}-\\u{FF5E}\\u{2010}-\\u{2015}\\u{2212}ぁ-んァ-ヶ一-龯]{0,24}") {
            let by_char: String = text.chars().flat_map(fold_char).collect();
            proptest::prop_assert_eq!(by_char, fold(&text).into_owned());
        }
    }
}
