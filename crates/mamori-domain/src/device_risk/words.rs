//! Ledger text as the rules compare it: folded, split into words, and keyed for look-ups.

use crate::text::fold::fold;

/// [`fold`]ed (full-width ＦｏｒｔｉＧａｔｅ, half-width katakana, dashes) and lower case.
pub(super) fn normalize(text: &str) -> String {
    fold(text).chars().flat_map(char::to_lowercase).collect()
}

/// Byte ranges of the words of normalized text. ASCII and Japanese runs are separate words;
/// `windows10pro` is `windows 10 pro`, but `21h2`, `r2`, `sp1`, `v6.0.4` stay whole.
pub(super) fn tokenize(norm: &str) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut current: Option<(usize, bool)> = None;
    for (i, c) in norm.char_indices() {
        let class = if c.is_ascii_alphanumeric() || c == '.' {
            Some(true)
        } else if !c.is_ascii() && c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (current, class) {
            (Some((_, a)), Some(b)) if a == b => {}
            (Some((s, a)), _) => {
                runs.push((s, i, a));
                current = class.map(|b| (i, b));
            }
            (None, Some(b)) => current = Some((i, b)),
            (None, None) => {}
        }
    }
    if let Some((s, a)) = current {
        runs.push((s, norm.len(), a));
    }
    let b = norm.as_bytes();
    let mut out = Vec::new();
    for (s, e, ascii) in runs {
        if ascii {
            split_mixed(b, s, e, &mut out);
        } else {
            out.push((s, e));
        }
    }
    out
}

fn push_trimmed(b: &[u8], mut s: usize, mut e: usize, out: &mut Vec<(usize, usize)>) {
    while s < e && b[s] == b'.' {
        s += 1;
    }
    while e > s && b[e - 1] == b'.' {
        e -= 1;
    }
    if s < e {
        out.push((s, e));
    }
}

fn split_mixed(b: &[u8], s: usize, e: usize, out: &mut Vec<(usize, usize)>) {
    // Letter runs and digit runs ('.' goes with digits).
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    for (i, byte) in b.iter().enumerate().take(e).skip(s) {
        let letter = byte.is_ascii_alphabetic();
        match runs.last_mut() {
            Some(last) if last.2 == letter => last.1 = i + 1,
            _ => runs.push((i, i + 1, letter)),
        }
    }
    let mut start = s;
    for w in runs.windows(2) {
        let (a, z) = (w[0], w[1]);
        let split = if a.2 && !z.2 {
            a.1 - a.0 >= 3
        } else if !a.2 && z.2 {
            z.1 - z.0 >= 3
        } else {
            false
        };
        if split {
            push_trimmed(b, start, a.1, out);
            start = z.0;
        }
    }
    push_trimmed(b, start, e, out);
}

pub(super) fn words(norm: &str) -> Vec<&str> {
    tokenize(norm)
        .into_iter()
        .map(|(s, e)| &norm[s..e])
        .collect()
}

/// The words of a phrase joined by single spaces: the key of the phrase index.
pub(super) fn phrase_key(text: &str) -> String {
    words(&normalize(text)).join(" ")
}

/// A model compared without spaces, hyphens or case: `RTX-1200`, `rtx 1200` → `rtx1200`.
pub(super) fn compact(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Legal-form words left out of maker names before looking them up.
const MAKER_NOISE: &[&str] = &[
    "株式会社",
    "(株)",
    "（株）",
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "k.k",
];

pub(super) fn maker_key(text: &str) -> String {
    let mut norm = normalize(text);
    for noise in MAKER_NOISE.iter().filter(|n| !n.is_ascii()) {
        norm = norm.replace(noise, " ");
    }
    words(&norm)
        .into_iter()
        .filter(|w| !MAKER_NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}
