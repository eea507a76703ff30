//! Versions as people write them in a ledger (`6.0.4`, `R3`, `build0231`), compared by
//! their numbers.

use std::cmp::Ordering;
use std::fmt;

use super::words::normalize;

/// A version read from what people write in a ledger: the numbers of `6.0.4`,
/// `v6.0.4 build0231`, `FortiOS 7.4.3`, `10.0.19044`, `9.1.0-h3`, `9.0R3.4`, `13.0-47.24`,
/// `Rev.15.02.29`. Compared number by number, missing numbers counting as 0, so `10.2.9` <
/// `10.2.9-h1` and `6.0.4 build0231` < `6.0.5`.
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<u32>,
}

impl Version {
    /// `None` when the text holds no version (`不明`, `latest`, `22H2`).
    pub fn parse(text: &str) -> Option<Self> {
        parse_parts(&normalize(text)).map(|parts| Self { parts })
    }

    pub fn from_parts(parts: Vec<u32>) -> Self {
        Self { parts }
    }

    pub fn parts(&self) -> &[u32] {
        &self.parts
    }

    /// Whether the version's leading numbers are `prefix` (`7.4.3` starts with `7.4`).
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.parts.len() >= prefix.len() && self.parts[..prefix.len()] == *prefix
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.parts.len().max(other.parts.len());
        (0..len)
            .map(|i| {
                let a = self.parts.get(i).copied().unwrap_or(0);
                let b = other.parts.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.parts.iter().map(u32::to_string).collect();
        f.write_str(&text.join("."))
    }
}

/// Words that may introduce a further number after the dotted core: `build0231`, `R3`, `-h3`.
const SUFFIX_WORDS: &[&str] = &[
    "build", "b", "r", "h", "hf", "hotfix", "p", "patch", "mr", "sp", "rev",
];

pub(super) fn parse_parts(s: &str) -> Option<Vec<u32>> {
    let b = s.as_bytes();
    (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()))
        .filter(|&i| starts_at_boundary(b, i))
        .find_map(|i| parse_at(b, i))
}

/// A version starts a word, or follows a short prefix such as `v`, `R`, `Rev`, `NS`.
fn starts_at_boundary(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && b[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    let clean = j == 0 || !b[j - 1].is_ascii_alphanumeric();
    clean && (i - j <= 4 || &b[j..i] == b"version")
}

fn read_number(b: &[u8], pos: &mut usize) -> Option<u32> {
    let start = *pos;
    let mut value: u32 = 0;
    while *pos < b.len() && b[*pos].is_ascii_digit() {
        value = value
            .checked_mul(10)?
            .checked_add(u32::from(b[*pos] - b'0'))?;
        *pos += 1;
    }
    (*pos > start).then_some(value)
}

fn parse_at(b: &[u8], start: usize) -> Option<Vec<u32>> {
    let mut pos = start;
    let mut parts = vec![read_number(b, &mut pos)?];
    while pos + 1 < b.len() && b[pos] == b'.' && b[pos + 1].is_ascii_digit() {
        pos += 1;
        parts.push(read_number(b, &mut pos)?);
    }
    if parts.len() == 1 {
        // A bare number ("16", "v6", "19c") stands alone; "22h2" is a name, not a version.
        let mut q = pos;
        while q < b.len() && b[q].is_ascii_alphabetic() {
            q += 1;
        }
        let end_ok = q == b.len() || !b[q].is_ascii_alphanumeric();
        return (q - pos <= 2 && end_ok).then_some(parts);
    }
    while let Some((n, next)) = suffix_number(b, pos) {
        parts.push(n);
        pos = next;
    }
    Some(parts)
}

/// One further number after the core: `-47`, `.24`, `-h3`, `R3`, ` build0231`, `_381`.
fn suffix_number(b: &[u8], mut pos: usize) -> Option<(u32, usize)> {
    let (mut strong, mut weak, mut seps) = (false, false, 0);
    while pos < b.len() && seps < 3 {
        match b[pos] {
            b'-' | b'_' | b'.' => strong = true,
            b' ' | b':' | b',' | b'(' | b'/' => weak = true,
            _ => break,
        }
        pos += 1;
        seps += 1;
    }
    let word_start = pos;
    while pos < b.len() && b[pos].is_ascii_alphabetic() {
        pos += 1;
    }
    let word = &b[word_start..pos];
    if word.is_empty() {
        // Only a strong separator may lead straight to a number ("13.0-47.24"); after a
        // space a number is something else ("Windows 10 21H2").
        if weak || !strong {
            return None;
        }
    } else {
        if !SUFFIX_WORDS.iter().any(|w| w.as_bytes() == word) {
            return None;
        }
        if pos < b.len() && b[pos] == b' ' {
            pos += 1;
        }
    }
    let n = read_number(b, &mut pos)?;
    Some((n, pos))
}
