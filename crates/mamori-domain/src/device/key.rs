//! Folding cell text for comparison: the keys headers and choices are looked up by, and
//! what counts as a blank cell.

use crate::text::fold::{fold, is_dash_or_long_vowel};

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
}

/// [`fold`] and ASCII case. A voiced mark that joins no kana (`ｱﾞ`) stays a mark of its own
/// (゛, ゜), as before NFKC made it a combining one.
fn fold_chars(text: &str) -> Vec<char> {
    fold(text)
        .chars()
        .map(|c| match c {
            '\u{3099}' => '\u{309B}',
            '\u{309A}' => '\u{309C}',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The key a header or a choice (サーバ, はい …) is compared by: width and case folded,
/// spaces, `_`, hyphens, `・`, `*` and `※` removed, and a long-vowel mark ー dropped when it
/// ends a katakana word (サーバー = サーバ, コンピューター名 = コンピュータ名).
pub(super) fn fold_key(text: &str) -> String {
    let chars = fold_chars(text);
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            c if c.is_whitespace() => {}
            '_' | '-' | '・' | '*' | '※' => {}
            'ー' => {
                let next_is_kana = chars.get(i + 1).is_some_and(|&n| is_katakana(n));
                let prev_is_kana = i > 0 && chars.get(i - 1).is_some_and(|&p| is_katakana(p));
                if prev_is_kana && next_is_kana {
                    out.push('ー');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// [`fold_key`] with a trailing note in parentheses removed: `管理番号（必須）`,
/// `IPアドレス(複数可)`.
pub(super) fn header_key(text: &str) -> String {
    let mut key = fold_key(text);
    if key.ends_with(')')
        && let Some(open) = key.rfind('(')
        && open > 0
    {
        key.truncate(open);
    }
    key
}

/// Whether a cell says nothing: empty, spaces, or only a dash (`-`, `－`, `ー` …).
pub(super) fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || is_dash_or_long_vowel(c))
}

/// At most this many characters of a user's text are repeated in a message.
const SHOWN_CHARS: usize = 40;

pub(super) fn shown(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > SHOWN_CHARS {
        let mut s: String = text.chars().take(SHOWN_CHARS).collect();
        s.push('…');
        s
    } else {
        text.to_owned()
    }
}
