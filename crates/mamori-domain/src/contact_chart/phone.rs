//! Phone numbers as Japanese charts write them: checked, grouped and normalised.

use std::fmt;

use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::text::fold::{LONG_VOWEL_MARKS, fold};

/// Why a phone number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("the phone number contains '{0}', which is not a digit, '-', '(', ')', '+' or a space")]
    UnexpectedCharacter(char),
    #[error("'+' may only begin an international number, e.g. +81-3-1234-5678")]
    MisplacedPlus,
    #[error("the number must start with the area code (0…), e.g. 03-1234-5678, or with +81")]
    NoLeadingZero,
    #[error("'{prefix}' is not a prefix used for Japanese phone numbers")]
    BadPrefix { prefix: String },
    #[error("a number starting with {prefix} has {expected} digits, this one has {digits}")]
    WrongLength {
        prefix: String,
        expected: usize,
        digits: usize,
    },
    #[error("an international number has 8 to 15 digits after '+', this one has {0}")]
    WrongInternationalLength(usize),
    #[error("the extension '{0}' must be 1 to 6 digits")]
    BadExtension(String),
}

impl PhoneError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "phone_empty",
            Self::UnexpectedCharacter(_) => "phone_unexpected_character",
            Self::MisplacedPlus => "phone_misplaced_plus",
            Self::NoLeadingZero => "phone_no_leading_zero",
            Self::BadPrefix { .. } => "phone_bad_prefix",
            Self::WrongLength { .. } => "phone_wrong_length",
            Self::WrongInternationalLength(_) => "phone_wrong_international_length",
            Self::BadExtension(_) => "phone_bad_extension",
        }
    }

    pub fn message(&self) -> Message {
        match self {
            Self::Empty => Message::new("domain-records-phone-empty"),
            Self::UnexpectedCharacter(c) => {
                Message::new("domain-records-phone-unexpected-character")
                    .with("char", c.to_string())
            }
            Self::MisplacedPlus => Message::new("domain-records-phone-misplaced-plus"),
            Self::NoLeadingZero => Message::new("domain-records-phone-no-leading-zero"),
            Self::BadPrefix { prefix } => {
                Message::new("domain-records-phone-bad-prefix").with("prefix", prefix)
            }
            Self::WrongLength {
                prefix,
                expected,
                digits,
            } => Message::new("domain-records-phone-wrong-length")
                .with("prefix", prefix)
                .with("expected", *expected)
                .with("digits", *digits),
            Self::WrongInternationalLength(n) => {
                Message::new("domain-records-phone-wrong-international-length").with("digits", *n)
            }
            Self::BadExtension(e) => {
                Message::new("domain-records-phone-bad-extension").with("extension", e)
            }
        }
    }
}

/// A checked phone number, kept in the grouping people read (`03-1234-5678`), with an
/// optional extension (内線).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber {
    pub(super) number: String,
    pub(super) extension: Option<String>,
}

/// Emergency and consultation short numbers that appear on contact charts.
const SHORT_NUMBERS: [&str; 6] = ["110", "119", "118", "171", "188", "189"];

/// (prefix, digits) for non-geographic numbers; the longest prefix wins. Geographic numbers
/// (0 + area code + subscriber) have 10 digits.
const PREFIX_LENGTHS: [(&str, usize); 10] = [
    ("0120", 10), // フリーダイヤル
    ("0800", 11), // フリーダイヤル
    ("0570", 10), // ナビダイヤル
    ("0180", 10), // テレドーム
    ("0990", 10), // ダイヤルQ2
    ("020", 11),  // M2M / ポケベル
    ("050", 11),  // IP電話
    ("060", 11),  // FMC
    ("070", 11),  // 携帯・PHS
    ("080", 11),  // 携帯
];

fn expected_length(digits: &str) -> (String, usize) {
    if digits.starts_with("090") {
        return ("090".into(), 11);
    }
    PREFIX_LENGTHS
        .iter()
        .find(|(p, _)| digits.starts_with(p))
        .map_or_else(
            || (digits.chars().take(2).collect(), 10),
            |(p, n)| ((*p).to_owned(), *n),
        )
}

/// Groups a domestic number when the writer gave no hyphens, where the grouping is certain.
fn group_domestic(digits: &str) -> String {
    let split = |sizes: &[usize]| {
        let mut out = Vec::new();
        let mut rest = digits;
        for &n in sizes {
            let (head, tail) = rest.split_at(n.min(rest.len()));
            out.push(head);
            rest = tail;
        }
        out.join("-")
    };
    let (prefix, len) = expected_length(digits);
    match (prefix.as_str(), len) {
        ("0120" | "0570" | "0180" | "0990", _) => split(&[4, 3, 3]),
        ("0800", _) => split(&[4, 3, 4]),
        (_, 11) => split(&[3, 4, 4]),
        // Tokyo and Osaka have two-digit area codes; others vary (3–5 digits): left as is.
        _ if digits.starts_with("03") || digits.starts_with("06") => split(&[2, 4, 4]),
        _ => digits.to_owned(),
    }
}

impl PhoneNumber {
    /// Reads a phone number as people write it: `03-1234-5678`, `03(1234)5678`,
    /// `０３－１２３４－５６７８`, `0120-123-456`, `090 1234 5678`, `+81-3-1234-5678`,
    /// `+81 (0)3 1234 5678`, `03-5253-1111（内線 4392）`, `110`, `#9110`.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        // In a phone number ー (typed for a hyphen) is a hyphen.
        let folded = fold(text).replace(LONG_VOWEL_MARKS, "-");
        let trimmed = folded.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (main, extension) = split_extension(trimmed)?;
        if let Some(rest) = main.strip_prefix('#') {
            if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Self {
                    number: main.to_owned(),
                    extension,
                });
            }
            return Err(PhoneError::UnexpectedCharacter('#'));
        }
        if let Some(c) = main
            .chars()
            .find(|c| !(c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ' | '.' | '+')))
        {
            return Err(PhoneError::UnexpectedCharacter(c));
        }
        let international = main.starts_with('+');
        if main.chars().skip(1).any(|c| c == '+') {
            return Err(PhoneError::MisplacedPlus);
        }
        let groups: Vec<&str> = main
            .trim_start_matches('+')
            .split(['-', '(', ')', ' ', '.'])
            .filter(|g| !g.is_empty())
            .collect();
        let digits: String = groups.concat();
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if international {
            return Self::parse_international(&groups, extension);
        }
        if SHORT_NUMBERS.contains(&digits.as_str()) {
            return Ok(Self {
                number: digits,
                extension,
            });
        }
        let number = check_domestic(&digits, &groups)?;
        Ok(Self { number, extension })
    }

    fn parse_international(groups: &[&str], extension: Option<String>) -> Result<Self, PhoneError> {
        let digits: String = groups.concat();
        if let Some(national_groups) = japan_groups(groups) {
            // +81: the national number without its trunk 0; people also write +81-03-… or +81 (0)3.
            let mut national: Vec<String> = national_groups
                .iter()
                .filter(|g| **g != "0")
                .map(|g| (*g).to_owned())
                .collect();
            if let Some(first) = national.first_mut()
                && let Some(stripped) = first.strip_prefix('0')
            {
                *first = stripped.to_owned();
            }
            national.retain(|g| !g.is_empty());
            let national_digits: String = national.concat();
            let domestic = format!("0{national_digits}");
            let mut domestic_groups = national.clone();
            if let Some(first) = domestic_groups.first_mut() {
                *first = format!("0{first}");
            }
            let grouped: Vec<&str> = domestic_groups.iter().map(String::as_str).collect();
            let checked = check_domestic(&domestic, &grouped)?;
            // Back to +81 form, in the same grouping.
            let number = format!("+81-{}", checked.strip_prefix('0').unwrap_or(&checked));
            return Ok(Self { number, extension });
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(PhoneError::WrongInternationalLength(digits.len()));
        }
        Ok(Self {
            number: format!("+{}", groups.join("-")),
            extension,
        })
    }

    /// The number as written on the chart: `03-1234-5678`.
    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Digits only (and a leading `+` or `#`), for a `tel:` link.
    pub fn dial_string(&self) -> String {
        self.number
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+' || *c == '#')
            .collect()
    }

    /// `03-5253-1111 内線4392`
    pub fn display_ja(&self) -> String {
        match &self.extension {
            Some(e) => format!("{} 内線{e}", self.number),
            None => self.number.clone(),
        }
    }

    /// `03-5253-1111 ext. 4392`
    pub fn display_en(&self) -> String {
        match &self.extension {
            Some(e) => format!("{} ext. {e}", self.number),
            None => self.number.clone(),
        }
    }
}

/// The groups after the country code 81, when the number is Japanese.
fn japan_groups<'a>(groups: &'a [&'a str]) -> Option<Vec<&'a str>> {
    let first = groups.first()?;
    if *first == "81" {
        Some(groups[1..].to_vec())
    } else if let Some(rest) = first.strip_prefix("81")
        && groups.len() == 1
    {
        Some(vec![rest])
    } else if first.starts_with("81") && first.len() > 2 {
        // +813-1234-5678: the area code glued to the country code.
        let mut v = vec![&first[2..]];
        v.extend_from_slice(&groups[1..]);
        Some(v)
    } else {
        None
    }
}

fn check_domestic(digits: &str, groups: &[&str]) -> Result<String, PhoneError> {
    if !digits.starts_with('0') {
        return Err(PhoneError::NoLeadingZero);
    }
    // 00… is a carrier / international prefix, 010 the international call prefix.
    if digits.starts_with("00") || digits.starts_with("010") {
        return Err(PhoneError::BadPrefix {
            prefix: digits.chars().take(3).collect(),
        });
    }
    let (prefix, expected) = expected_length(digits);
    if digits.len() != expected {
        return Err(PhoneError::WrongLength {
            prefix,
            expected,
            digits: digits.len(),
        });
    }
    Ok(if groups.len() >= 2 {
        groups.join("-")
    } else {
        group_domestic(digits)
    })
}

/// Splits `03-5253-1111（内線: 4392）`, `03-5253-1111 ext. 4392`, `… x4392` into number and
/// extension.
fn split_extension(text: &str) -> Result<(&str, Option<String>), PhoneError> {
    let lower = text.to_ascii_lowercase();
    let marker = ["内線", "ext.", "ext", " x"]
        .iter()
        .filter_map(|m| lower.find(m).map(|at| (at, m.len())))
        .min_by_key(|(at, _)| *at);
    let Some((at, len)) = marker else {
        return Ok((text, None));
    };
    let main = text[..at]
        .trim_end()
        .trim_end_matches(['(', ' '])
        .trim_end();
    let ext: String = text[at + len..]
        .chars()
        .filter(|c| !matches!(c, ':' | '.' | ' ' | '(' | ')' | '：'))
        .collect();
    if ext.is_empty() || ext.len() > 6 || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::BadExtension(ext));
    }
    Ok((main, Some(ext)))
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_ja())
    }
}

crate::text_conversions!(PhoneNumber, PhoneError, |number| number.display_ja());
