//! Folding cell text for comparison: the keys headers and choices are looked up by, and
//! what counts as a blank cell.

/// Half-width katakana U+FF66..=U+FF9D as their full-width forms, in code point order.
const HALF_WIDTH_KANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// Maps a full-width ASCII character (U+FF01..=U+FF5E) or the ideographic space to ASCII;
/// other characters are returned as they are.
pub(super) fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
}

/// Folds width (full-width ASCII to ASCII, half-width katakana to full-width, with their
/// voiced marks joined), and ASCII case.
fn fold_chars(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FF66}'..='\u{FF9D}' => {
                let index = (c as u32 - 0xFF66) as usize;
                out.push(HALF_WIDTH_KANA.chars().nth(index).unwrap_or(c));
            }
            // ﾞ and ﾟ join the kana before them: ｶﾞ is ガ, ﾊﾟ is パ, ｳﾞ is ヴ.
            '\u{FF9E}' | '\u{FF9F}' => {
                let voiced = c == '\u{FF9E}';
                let joined = out.last().and_then(|&prev| join_mark(prev, voiced));
                match joined {
                    Some(j) => {
                        out.pop();
                        out.push(j);
                    }
                    None => out.push(if voiced { '\u{309B}' } else { '\u{309C}' }),
                }
            }
            '\u{FF65}' => out.push('・'),
            c => out.push(fold_width(c).to_ascii_lowercase()),
        }
    }
    out
}

/// The kana with a dakuten (voiced, ゛) or handakuten (semi-voiced, ゜) mark, if it has one.
fn join_mark(kana: char, voiced: bool) -> Option<char> {
    const VOICEABLE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
    const SEMI_VOICEABLE: &str = "ハヒフヘホ";
    if voiced && kana == 'ウ' {
        Some('ヴ')
    } else if voiced && VOICEABLE.contains(kana) {
        // In Unicode the voiced form follows its kana: カ ガ, ツ ヅ, ハ バ パ.
        char::from_u32(kana as u32 + 1)
    } else if !voiced && SEMI_VOICEABLE.contains(kana) {
        char::from_u32(kana as u32 + 2)
    } else {
        None
    }
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
            '_' | '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '・' | '*' | '※' =>
                {}
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
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '-' | '－' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー' | 'ｰ'
            )
    })
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
