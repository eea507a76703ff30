//! The contact chart for incidents (連絡体制図), checklist item 3(1): 「インシデント発生時に
//! おける組織内と外部関係機関（事業者、厚生労働省、警察等）への連絡体制図がある。」
//!
//! The inspector sees the chart itself (立入検査の手引き: 「連絡体制図の有無を、現物を見て確認
//! してください」). mamori keeps it structured: the people inside the institution and their
//! roles, each contracted vendor's emergency contact, the outside bodies, and the order of
//! calls; it validates every phone number and e-mail address, and says what is missing for
//! the chart to be complete.
//!
//! Two shapes: [`ContactChartInput`] is what a form or an API client sends, and what the API
//! gives back (plain strings); [`ContactChartInput::parse`] turns it into a [`ContactChart`] of
//! checked values, or returns every problem with its field path (`internal[2].phones[0]`), and
//! [`ContactChart::to_input`] goes back.

use std::fmt;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::vendor::{ContractId, VendorContract};

/// A problem with one field of an input, with its path (`internal[2].phones[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub path: String,
    pub code: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

impl FieldProblem {
    pub fn new(
        path: impl Into<String>,
        code: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            code,
            message_ja: ja.into(),
            message_en: en.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message_en)
    }
}

/// Folds full-width ASCII (ＡＢＣ０１２＠＋), the ideographic space and the dashes Japanese
/// input methods produce (－ ― ‐ − …) into plain ASCII. The long-vowel mark ー is left alone
/// here (it is part of words like オーダリング); phone numbers fold it themselves.
pub(crate) fn fold_full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
            _ => c,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------------------

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

    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "電話番号が空です".into(),
            Self::UnexpectedCharacter(c) => format!(
                "電話番号に使えない文字「{c}」があります（数字・ハイフン・括弧・+・空白のみ）"
            ),
            Self::MisplacedPlus => {
                "「+」は国際番号の先頭にのみ使えます（例: +81-3-1234-5678）".into()
            }
            Self::NoLeadingZero => {
                "市外局番（0から始まる番号）から記入してください（例: 03-1234-5678）".into()
            }
            Self::BadPrefix { prefix } => {
                format!("「{prefix}」で始まる番号は国内の電話番号として使われていません")
            }
            Self::WrongLength {
                prefix,
                expected,
                digits,
            } => format!(
                "{prefix}で始まる番号は{expected}桁です（入力は{digits}桁）。桁数を確認してください"
            ),
            Self::WrongInternationalLength(n) => {
                format!("国際番号は「+」の後に8〜15桁です（入力は{n}桁）")
            }
            Self::BadExtension(e) => format!("内線番号「{e}」は1〜6桁の数字で記入してください"),
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A checked phone number, kept in the grouping people read (`03-1234-5678`), with an
/// optional extension (内線).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber {
    number: String,
    extension: Option<String>,
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
        let folded = fold_full_width(text).replace(['\u{30FC}', '\u{FF70}'], "-");
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

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.display_ja()
    }
}

// ---------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------

/// Why an e-mail address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("an e-mail address has exactly one '@'")]
    At,
    #[error("the part before '@' is empty or has characters not allowed there")]
    Local,
    #[error("the domain after '@' is not valid (e.g. example.jp)")]
    Domain,
    #[error("the e-mail address is longer than 254 characters")]
    TooLong,
}

impl EmailError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "email_empty",
            Self::At => "email_at",
            Self::Local => "email_local_part",
            Self::Domain => "email_domain",
            Self::TooLong => "email_too_long",
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "メールアドレスが空です".into(),
            Self::At => "メールアドレスには「@」が1つだけ必要です".into(),
            Self::Local => "「@」の前の部分が空か、使えない文字を含んでいます".into(),
            Self::Domain => "「@」の後のドメインが正しくありません（例: example.jp）".into(),
            Self::TooLong => "メールアドレスが254文字を超えています".into(),
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A checked e-mail address; the domain is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let folded = fold_full_width(text);
        let t = folded.trim();
        if t.is_empty() {
            return Err(EmailError::Empty);
        }
        if t.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let mut parts = t.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !local_ok {
            return Err(EmailError::Local);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !domain_ok {
            return Err(EmailError::Domain);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

// ---------------------------------------------------------------------------------------
// Hours
// ---------------------------------------------------------------------------------------

/// When a contact can be reached (受付時間).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hours {
    /// 24時間365日
    Always,
    /// 平日 9:00〜17:00
    Weekdays { from: NaiveTime, to: NaiveTime },
    /// 毎日 9:00〜21:00
    Daily { from: NaiveTime, to: NaiveTime },
    /// Anything else, as written (e.g. 「平日9時〜17時、夜間は当番携帯」).
    Text { text: String },
}

const HOURS_TEXT_MAX: usize = 100;

impl Hours {
    /// Reads hours as written: `24時間`, `24時間365日`, `24h`, `平日 9:00-17:00`,
    /// `平日9時〜17時`, `毎日 9:00～21:00`; anything else is kept as text. `None` for an empty
    /// text.
    pub fn parse(text: &str) -> Option<Self> {
        let folded = fold_full_width(text);
        let t = folded.trim();
        if t.is_empty() {
            return None;
        }
        let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = compact.to_lowercase();
        if matches!(
            lower.as_str(),
            "24時間" | "24時間365日" | "24時間対応" | "24h" | "24/7" | "24h365d" | "常時" | "終日"
        ) {
            return Some(Self::Always);
        }
        let range = |rest: &str| parse_time_range(rest);
        if let Some(rest) = compact.strip_prefix("平日")
            && let Some((from, to)) = range(rest)
        {
            return Some(Self::Weekdays { from, to });
        }
        for prefix in ["毎日", "年中無休", "365日"] {
            if let Some(rest) = compact.strip_prefix(prefix)
                && let Some((from, to)) = range(rest)
            {
                return Some(Self::Daily { from, to });
            }
        }
        Some(Self::Text { text: t.to_owned() })
    }

    pub fn label_ja(&self) -> String {
        match self {
            Self::Always => "24時間365日".into(),
            Self::Weekdays { from, to } => format!("平日 {}〜{}", hm(*from), hm(*to)),
            Self::Daily { from, to } => format!("毎日 {}〜{}", hm(*from), hm(*to)),
            Self::Text { text } => text.clone(),
        }
    }

    pub fn label_en(&self) -> String {
        match self {
            Self::Always => "24 hours, every day".into(),
            Self::Weekdays { from, to } => format!("Weekdays {}–{}", hm(*from), hm(*to)),
            Self::Daily { from, to } => format!("Every day {}–{}", hm(*from), hm(*to)),
            Self::Text { text } => text.clone(),
        }
    }

    /// Whether the contact answers at night and on holidays.
    pub fn is_round_the_clock(&self) -> bool {
        matches!(self, Self::Always)
    }
}

fn hm(t: NaiveTime) -> String {
    t.format("%-H:%M").to_string()
}

/// `9:00-17:00`, `9時〜17時`, `9:30～18:15`, `9-17`.
fn parse_time_range(text: &str) -> Option<(NaiveTime, NaiveTime)> {
    let t = text.trim_start_matches([':', ' ']);
    let (a, b) = t.split_once(['-', '〜', '～', '~'])?;
    let from = parse_time(a)?;
    let to = parse_time(b)?;
    (from < to).then_some((from, to))
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim().trim_end_matches('分');
    let (h, m) = match t.split_once([':', '時']) {
        Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
        None => (t, "0"),
    };
    let short = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !short(h) || !short(m) {
        return None;
    }
    let hour: u32 = h.parse().ok()?;
    let minute: u32 = m.parse().ok()?;
    // 24:00 as an end is written by people; read it as 23:59.
    if hour == 24 && minute == 0 {
        return NaiveTime::from_hms_opt(23, 59, 0);
    }
    NaiveTime::from_hms_opt(hour, minute, 0)
}

// ---------------------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------------------

/// A role inside the institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InternalRole {
    /// 管理者 (院長・理事長: the 医療法 管理者, who decides to stop systems)
    Administrator,
    /// 医療情報システム安全管理責任者
    SecurityManager,
    /// システム担当
    SystemStaff,
    /// 夜間・休日当番
    OnCall,
    /// その他
    Other,
}

impl InternalRole {
    pub const ALL: [InternalRole; 5] = [
        Self::Administrator,
        Self::SecurityManager,
        Self::SystemStaff,
        Self::OnCall,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::SecurityManager => "security_manager",
            Self::SystemStaff => "system_staff",
            Self::OnCall => "on_call",
            Self::Other => "other",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Administrator => "管理者",
            Self::SecurityManager => "医療情報システム安全管理責任者",
            Self::SystemStaff => "システム担当",
            Self::OnCall => "夜間・休日当番",
            Self::Other => "その他",
        }
    }

    /// A shorter label for tight spaces (the drawing).
    pub fn short_label_ja(self) -> &'static str {
        match self {
            Self::SecurityManager => "安全管理責任者",
            other => other.label_ja(),
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator (director)",
            Self::SecurityManager => "Medical information system security manager",
            Self::SystemStaff => "System staff",
            Self::OnCall => "Night and holiday on-call",
            Self::Other => "Other",
        }
    }

    pub fn short_label_en(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator",
            Self::SecurityManager => "Security manager",
            other => other.label_en(),
        }
    }
}

/// An outside body (外部関係機関).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideBody {
    /// 厚生労働省
    Mhlw,
    /// 都道府県
    Prefecture,
    /// 警察（サイバー犯罪相談窓口）
    Police,
    /// 保険会社
    Insurer,
    /// その他 (e.g. 保健所, 初動対応支援窓口, 医師会)
    Other,
}

impl OutsideBody {
    pub const ALL: [OutsideBody; 5] = [
        Self::Mhlw,
        Self::Prefecture,
        Self::Police,
        Self::Insurer,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mhlw => "mhlw",
            Self::Prefecture => "prefecture",
            Self::Police => "police",
            Self::Insurer => "insurer",
            Self::Other => "other",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Mhlw => "厚生労働省",
            Self::Prefecture => "都道府県",
            Self::Police => "警察（サイバー犯罪相談窓口）",
            Self::Insurer => "保険会社",
            Self::Other => "その他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Mhlw => "Ministry of Health, Labour and Welfare",
            Self::Prefecture => "Prefecture",
            Self::Police => "Police (cybercrime desk)",
            Self::Insurer => "Insurer",
            Self::Other => "Other",
        }
    }

    pub fn short_label_ja(self) -> &'static str {
        match self {
            Self::Police => "警察",
            other => other.label_ja(),
        }
    }

    pub fn short_label_en(self) -> &'static str {
        match self {
            Self::Mhlw => "MHLW",
            other => other.label_en(),
        }
    }
}

/// One entry of the chart: a person or a desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactEntry {
    /// 氏名 (or the desk's name)
    pub name: String,
    /// 組織・部署
    pub organisation: String,
    /// In the order to try.
    pub phones: Vec<PhoneNumber>,
    pub email: Option<EmailAddress>,
    pub hours: Option<Hours>,
    pub notes: String,
}

/// Someone inside the institution; one person may hold several roles (in a clinic the
/// director is often 管理者 and 安全管理責任者 at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalContact {
    pub roles: Vec<InternalRole>,
    /// The title as the institution writes it (事務長, 情報システム課長 …), optional.
    pub title: String,
    pub entry: ContactEntry,
}

/// A contracted vendor's emergency contact (緊急連絡先).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContact {
    pub contract_id: ContractId,
    pub entry: ContactEntry,
}

/// An outside body's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideContact {
    pub body: OutsideBody,
    pub entry: ContactEntry,
}

/// Whom a step of the call order reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallTarget {
    /// 発見者: whoever notices the problem.
    Discoverer,
    /// Everyone inside with this role.
    Internal {
        role: InternalRole,
    },
    /// Every contracted vendor's contact.
    AllVendors,
    Vendor {
        contract_id: ContractId,
    },
    Outside {
        body: OutsideBody,
    },
}

impl CallTarget {
    pub fn label_ja(&self, contracts: &[VendorContract]) -> String {
        match self {
            Self::Discoverer => "発見者".into(),
            Self::Internal { role } => role.short_label_ja().into(),
            Self::AllVendors => "事業者".into(),
            Self::Vendor { contract_id } => {
                vendor_name(contracts, *contract_id).map_or_else(|| "事業者".into(), str::to_owned)
            }
            Self::Outside { body } => body.short_label_ja().into(),
        }
    }

    pub fn label_en(&self, contracts: &[VendorContract]) -> String {
        match self {
            Self::Discoverer => "Whoever notices".into(),
            Self::Internal { role } => role.short_label_en().into(),
            Self::AllVendors => "Vendors".into(),
            Self::Vendor { contract_id } => {
                vendor_name(contracts, *contract_id).map_or_else(|| "Vendor".into(), str::to_owned)
            }
            Self::Outside { body } => body.short_label_en().into(),
        }
    }
}

fn vendor_name(contracts: &[VendorContract], id: ContractId) -> Option<&str> {
    contracts
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.vendor_name.as_str())
}

/// One step of the order of calls; steps are numbered from 1 in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStep {
    pub targets: Vec<CallTarget>,
    /// What to do or say at this step (e.g. 「夜間・休日は当番へ」).
    pub note: String,
}

/// The contact chart (連絡体制図) of one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChart {
    pub institution_name: String,
    /// 作成日・改訂日
    pub revised_on: NaiveDate,
    pub internal: Vec<InternalContact>,
    pub vendors: Vec<VendorContact>,
    pub outside: Vec<OutsideContact>,
    pub call_order: Vec<CallStep>,
}

impl ContactChart {
    pub fn entry_count(&self) -> usize {
        self.internal.len() + self.vendors.len() + self.outside.len()
    }

    /// The step (1-based) that first reaches a target, if any.
    pub fn step_of(&self, reached: impl Fn(&CallTarget) -> bool) -> Option<usize> {
        self.call_order
            .iter()
            .position(|s| s.targets.iter().any(&reached))
            .map(|i| i + 1)
    }

    /// The step that first reaches an internal contact.
    pub fn step_of_internal(&self, contact: &InternalContact) -> Option<usize> {
        self.step_of(|t| matches!(t, CallTarget::Internal { role } if contact.roles.contains(role)))
    }

    pub fn step_of_vendor(&self, contact: &VendorContact) -> Option<usize> {
        self.step_of(|t| match t {
            CallTarget::AllVendors => true,
            CallTarget::Vendor { contract_id } => *contract_id == contact.contract_id,
            _ => false,
        })
    }

    pub fn step_of_outside(&self, contact: &OutsideContact) -> Option<usize> {
        self.step_of(|t| matches!(t, CallTarget::Outside { body } if *body == contact.body))
    }
}

/// The order of calls most charts follow: 1. 発見者 → 2. 安全管理責任者 (and システム担当,
/// 夜間・休日当番) → 3. 事業者 and 管理者 → 4. 厚生労働省・警察・都道府県 (and the insurer and
/// others). Steps reaching nobody on the chart are left out.
pub fn default_call_order(chart: &ContactChart) -> Vec<CallStep> {
    let has_role = |role: InternalRole| chart.internal.iter().any(|c| c.roles.contains(&role));
    let has_body = |body: OutsideBody| chart.outside.iter().any(|c| c.body == body);
    // Notes stay empty: they are free text in one language, and a drawing adds its own
    // hints (「異常に気づいたら、すぐに次の連絡先へ」) in the language it is drawn in.
    let mut steps = vec![CallStep {
        targets: vec![CallTarget::Discoverer],
        note: String::new(),
    }];
    let second: Vec<CallTarget> = [
        InternalRole::SecurityManager,
        InternalRole::SystemStaff,
        InternalRole::OnCall,
    ]
    .into_iter()
    .filter(|r| has_role(*r))
    .map(|role| CallTarget::Internal { role })
    .collect();
    if !second.is_empty() {
        steps.push(CallStep {
            targets: second,
            note: String::new(),
        });
    }
    let mut third = Vec::new();
    if !chart.vendors.is_empty() {
        third.push(CallTarget::AllVendors);
    }
    if has_role(InternalRole::Administrator) {
        third.push(CallTarget::Internal {
            role: InternalRole::Administrator,
        });
    }
    if !third.is_empty() {
        steps.push(CallStep {
            targets: third,
            note: String::new(),
        });
    }
    // The ministry and the police first, as the item names them, then the prefecture.
    let fourth: Vec<CallTarget> = [
        OutsideBody::Mhlw,
        OutsideBody::Police,
        OutsideBody::Prefecture,
        OutsideBody::Insurer,
        OutsideBody::Other,
    ]
    .into_iter()
    .filter(|b| has_body(*b))
    .map(|body| CallTarget::Outside { body })
    .collect();
    if !fourth.is_empty() {
        steps.push(CallStep {
            targets: fourth,
            note: String::new(),
        });
    }
    steps
}

/// The ministry's contact as published in the seeds: the 照会先 of MHLW's 事務連絡 of
/// 2025-02-04 (医政局 特定医薬品開発支援・医療情報担当参事官室, 03-5253-1111, 内線 4392 for
/// that project). The main line is preset; check the ministry's page for the current desk.
pub fn mhlw_preset() -> OutsideContact {
    OutsideContact {
        body: OutsideBody::Mhlw,
        entry: ContactEntry {
            name: String::new(),
            organisation: "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室".into(),
            phones: vec![PhoneNumber {
                number: "03-5253-1111".into(),
                extension: None,
            }],
            email: None,
            hours: None,
            notes: "代表電話。医療情報担当参事官室へ。最新の連絡先は厚生労働省「医療分野のサイバーセキュリティ対策について」のページで確認".into(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Input and parsing
// ---------------------------------------------------------------------------------------

/// An entry as sent by a form or an API client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactEntryInput {
    pub name: String,
    pub organisation: String,
    pub phones: Vec<String>,
    pub email: String,
    pub hours: String,
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InternalContactInput {
    pub roles: Vec<InternalRole>,
    pub title: String,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContactInput {
    pub contract_id: ContractId,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideContactInput {
    pub body: OutsideBody,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

/// The chart as sent by a form or an API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChartInput {
    pub institution_name: String,
    pub revised_on: NaiveDate,
    #[serde(default)]
    pub internal: Vec<InternalContactInput>,
    #[serde(default)]
    pub vendors: Vec<VendorContactInput>,
    #[serde(default)]
    pub outside: Vec<OutsideContactInput>,
    /// Empty: the default order ([`default_call_order`]) is used.
    #[serde(default)]
    pub call_order: Vec<CallStep>,
}

mod to_input;

/// Limits that keep a chart printable and an input bounded.
const NAME_MAX: usize = 100;
const NOTES_MAX: usize = 300;
const PHONES_MAX: usize = 5;
const ENTRIES_MAX: usize = 100;
const STEPS_MAX: usize = 12;

fn too_long(path: String, what_ja: &str, what_en: &str, max: usize) -> FieldProblem {
    FieldProblem::new(
        path,
        "too_long",
        format!("{what_ja}は{max}文字以内で記入してください"),
        format!("{what_en} must be at most {max} characters"),
    )
}

fn parse_entry(
    path: &str,
    input: &ContactEntryInput,
    problems: &mut Vec<FieldProblem>,
) -> ContactEntry {
    let name = input.name.trim().to_owned();
    let organisation = input.organisation.trim().to_owned();
    if name.is_empty() && organisation.is_empty() {
        problems.push(FieldProblem::new(
            format!("{path}.name"),
            "required",
            "氏名または組織・部署名を記入してください",
            "a name or an organisation is required",
        ));
    }
    if name.chars().count() > NAME_MAX {
        problems.push(too_long(
            format!("{path}.name"),
            "氏名",
            "the name",
            NAME_MAX,
        ));
    }
    if organisation.chars().count() > NAME_MAX {
        problems.push(too_long(
            format!("{path}.organisation"),
            "組織・部署名",
            "the organisation",
            NAME_MAX,
        ));
    }
    if input.phones.len() > PHONES_MAX {
        problems.push(FieldProblem::new(
            format!("{path}.phones"),
            "too_many",
            format!("電話番号は{PHONES_MAX}件までです"),
            format!("at most {PHONES_MAX} phone numbers"),
        ));
    }
    let mut phones = Vec::new();
    for (i, raw) in input.phones.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match PhoneNumber::parse(raw) {
            Ok(p) => phones.push(p),
            Err(e) => problems.push(FieldProblem::new(
                format!("{path}.phones[{i}]"),
                e.code(),
                format!("電話番号「{}」: {}", raw.trim(), e.message_ja()),
                format!("phone number '{}': {}", raw.trim(), e.message_en()),
            )),
        }
    }
    let email = if input.email.trim().is_empty() {
        None
    } else {
        match EmailAddress::parse(&input.email) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(FieldProblem::new(
                    format!("{path}.email"),
                    e.code(),
                    format!(
                        "メールアドレス「{}」: {}",
                        input.email.trim(),
                        e.message_ja()
                    ),
                    format!(
                        "e-mail address '{}': {}",
                        input.email.trim(),
                        e.message_en()
                    ),
                ));
                None
            }
        }
    };
    let hours = Hours::parse(&input.hours);
    if let Some(Hours::Text { text }) = &hours
        && text.chars().count() > HOURS_TEXT_MAX
    {
        problems.push(too_long(
            format!("{path}.hours"),
            "受付時間",
            "the hours",
            HOURS_TEXT_MAX,
        ));
    }
    let notes = input.notes.trim().to_owned();
    if notes.chars().count() > NOTES_MAX {
        problems.push(too_long(
            format!("{path}.notes"),
            "備考",
            "the notes",
            NOTES_MAX,
        ));
    }
    ContactEntry {
        name,
        organisation,
        phones,
        email,
        hours,
        notes,
    }
}

impl ContactChartInput {
    /// Checks every field and returns the chart, or every problem with its path. `contracts`
    /// are the institution's vendor contracts: a vendor contact must name one of them.
    pub fn parse(&self, contracts: &[VendorContract]) -> Result<ContactChart, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let institution_name = self.institution_name.trim().to_owned();
        if institution_name.is_empty() {
            problems.push(FieldProblem::new(
                "institution_name",
                "required",
                "医療機関名を記入してください",
                "the institution's name is required",
            ));
        } else if institution_name.chars().count() > NAME_MAX {
            problems.push(too_long(
                "institution_name".into(),
                "医療機関名",
                "the institution's name",
                NAME_MAX,
            ));
        }
        let total = self.internal.len() + self.vendors.len() + self.outside.len();
        if total > ENTRIES_MAX {
            problems.push(FieldProblem::new(
                "",
                "too_many_entries",
                format!("連絡先は合計{ENTRIES_MAX}件までです（{total}件）"),
                format!("at most {ENTRIES_MAX} entries in all ({total} given)"),
            ));
        }
        let internal = self
            .internal
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let path = format!("internal[{i}]");
                if c.roles.is_empty() {
                    problems.push(FieldProblem::new(
                        format!("{path}.roles"),
                        "required",
                        "役割を1つ以上選んでください",
                        "choose at least one role",
                    ));
                }
                if c.title.trim().chars().count() > NAME_MAX {
                    problems.push(too_long(
                        format!("{path}.title"),
                        "役職",
                        "the title",
                        NAME_MAX,
                    ));
                }
                let mut roles = c.roles.clone();
                roles.sort();
                roles.dedup();
                InternalContact {
                    roles,
                    title: c.title.trim().to_owned(),
                    entry: parse_entry(&path, &c.entry, &mut problems),
                }
            })
            .collect::<Vec<_>>();
        let vendors = self
            .vendors
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let path = format!("vendors[{i}]");
                if !contracts.iter().any(|k| k.id == c.contract_id) {
                    problems.push(FieldProblem::new(
                        format!("{path}.contract_id"),
                        "unknown_contract",
                        format!("契約 {} はこの医療機関の契約にありません", c.contract_id),
                        format!(
                            "contract {} is not one of the institution's contracts",
                            c.contract_id
                        ),
                    ));
                }
                let mut entry = c.entry.clone();
                // The organisation defaults to the contract's vendor name.
                if entry.organisation.trim().is_empty()
                    && let Some(name) = vendor_name(contracts, c.contract_id)
                {
                    entry.organisation = name.to_owned();
                }
                VendorContact {
                    contract_id: c.contract_id,
                    entry: parse_entry(&path, &entry, &mut problems),
                }
            })
            .collect::<Vec<_>>();
        let outside = self
            .outside
            .iter()
            .enumerate()
            .map(|(i, c)| OutsideContact {
                body: c.body,
                entry: parse_entry(&format!("outside[{i}]"), &c.entry, &mut problems),
            })
            .collect::<Vec<_>>();
        let mut chart = ContactChart {
            institution_name,
            revised_on: self.revised_on,
            internal,
            vendors,
            outside,
            call_order: self.call_order.clone(),
        };
        if chart.call_order.is_empty() {
            chart.call_order = default_call_order(&chart);
        } else {
            check_call_order(&chart, &mut problems);
        }
        if problems.is_empty() {
            Ok(chart)
        } else {
            Err(problems)
        }
    }
}

fn check_call_order(chart: &ContactChart, problems: &mut Vec<FieldProblem>) {
    if chart.call_order.len() > STEPS_MAX {
        problems.push(FieldProblem::new(
            "call_order",
            "too_many",
            format!("連絡の順番は{STEPS_MAX}段階までです"),
            format!("at most {STEPS_MAX} steps in the call order"),
        ));
    }
    for (i, step) in chart.call_order.iter().enumerate() {
        if step.targets.is_empty() {
            problems.push(FieldProblem::new(
                format!("call_order[{i}].targets"),
                "required",
                format!("{}番目の連絡先が空です", i + 1),
                format!("step {} has nobody to call", i + 1),
            ));
        }
        if step.note.chars().count() > NOTES_MAX {
            problems.push(too_long(
                format!("call_order[{i}].note"),
                "説明",
                "the note",
                NOTES_MAX,
            ));
        }
        for (j, target) in step.targets.iter().enumerate() {
            let path = format!("call_order[{i}].targets[{j}]");
            let (reached, ja, en) = match target {
                CallTarget::Discoverer => (true, String::new(), String::new()),
                CallTarget::Internal { role } => (
                    chart.internal.iter().any(|c| c.roles.contains(role)),
                    format!("「{}」の役割の人が登録されていません", role.label_ja()),
                    format!("nobody has the role '{}'", role.label_en()),
                ),
                CallTarget::AllVendors => (
                    !chart.vendors.is_empty(),
                    "事業者の連絡先が登録されていません".into(),
                    "no vendor contact is on the chart".into(),
                ),
                CallTarget::Vendor { contract_id } => (
                    chart.vendors.iter().any(|v| v.contract_id == *contract_id),
                    format!("契約 {contract_id} の事業者の連絡先が登録されていません"),
                    format!("no contact for the vendor of contract {contract_id}"),
                ),
                CallTarget::Outside { body } => (
                    chart.outside.iter().any(|c| c.body == *body),
                    format!("「{}」の連絡先が登録されていません", body.label_ja()),
                    format!("no contact for '{}'", body.label_en()),
                ),
            };
            if !reached {
                problems.push(FieldProblem::new(path, "target_not_on_chart", ja, en));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Status for item 3(1)
// ---------------------------------------------------------------------------------------

/// Where the chart stands for checklist item 3(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartState {
    /// No chart.
    None,
    /// A chart with gaps: required roles or outside bodies missing.
    Draft,
    /// Everything the item names is on it.
    Complete,
}

/// Something missing from the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ChartGap {
    RoleMissing {
        role: InternalRole,
    },
    NoOutsideBodies,
    OutsideBodyMissing {
        body: OutsideBody,
    },
    VendorContactMissing {
        contract_id: ContractId,
        vendor_name: String,
    },
    NoWayToReach {
        path: String,
        who: String,
    },
    NoCallOrder,
}

impl ChartGap {
    pub fn message_ja(&self) -> String {
        match self {
            Self::RoleMissing { role } => format!("「{}」が登録されていません", role.label_ja()),
            Self::NoOutsideBodies => {
                "外部関係機関（厚生労働省、警察等）の連絡先がありません".into()
            }
            Self::OutsideBodyMissing { body } => {
                format!("外部関係機関「{}」の連絡先がありません", body.label_ja())
            }
            Self::VendorContactMissing { vendor_name, .. } => {
                format!("契約している事業者「{vendor_name}」の緊急連絡先がありません")
            }
            Self::NoWayToReach { who, .. } => {
                format!("「{who}」に電話番号もメールアドレスもありません")
            }
            Self::NoCallOrder => "連絡の順番が決まっていません".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::RoleMissing { role } => format!("nobody is listed as '{}'", role.label_en()),
            Self::NoOutsideBodies => {
                "no outside body (the ministry, the police …) is on the chart".into()
            }
            Self::OutsideBodyMissing { body } => {
                format!("the outside body '{}' is not on the chart", body.label_en())
            }
            Self::VendorContactMissing { vendor_name, .. } => {
                format!("no emergency contact for the contracted vendor '{vendor_name}'")
            }
            Self::NoWayToReach { who, .. } => {
                format!("'{who}' has neither a phone number nor an e-mail address")
            }
            Self::NoCallOrder => "the order of calls is not set".into(),
        }
    }
}

/// A gap with its messages, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartGapReport {
    #[serde(flatten)]
    pub gap: ChartGap,
    pub message_ja: String,
    pub message_en: String,
}

impl From<ChartGap> for ChartGapReport {
    fn from(gap: ChartGap) -> Self {
        Self {
            message_ja: gap.message_ja(),
            message_en: gap.message_en(),
            gap,
        }
    }
}

/// The chart's status for item 3(1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartStatus {
    pub state: ChartState,
    /// What keeps it a draft.
    pub missing: Vec<ChartGapReport>,
    /// Not required, but a chart on the wall is better with them (night cover, the
    /// prefecture).
    pub suggestions: Vec<ChartGapReport>,
}

/// Roles every chart needs: the one who decides (管理者) and the one who runs the response
/// (医療情報システム安全管理責任者, item 1(1)).
const REQUIRED_ROLES: [InternalRole; 2] =
    [InternalRole::Administrator, InternalRole::SecurityManager];
/// Outside bodies the item names: 「外部関係機関（事業者、厚生労働省、警察等）」.
const REQUIRED_BODIES: [OutsideBody; 2] = [OutsideBody::Mhlw, OutsideBody::Police];

fn entry_label(entry: &ContactEntry, fallback: &str) -> String {
    if !entry.name.is_empty() {
        entry.name.clone()
    } else if !entry.organisation.is_empty() {
        entry.organisation.clone()
    } else {
        fallback.to_owned()
    }
}

/// The status of item 3(1) on `on`: the chart, if any, against the contracts running that day.
pub fn chart_status(
    chart: Option<&ContactChart>,
    contracts: &[VendorContract],
    on: NaiveDate,
) -> ChartStatus {
    let Some(chart) = chart.filter(|c| c.entry_count() > 0) else {
        return ChartStatus {
            state: ChartState::None,
            missing: vec![],
            suggestions: vec![],
        };
    };
    let mut missing: Vec<ChartGap> = Vec::new();
    for role in REQUIRED_ROLES {
        if !chart.internal.iter().any(|c| c.roles.contains(&role)) {
            missing.push(ChartGap::RoleMissing { role });
        }
    }
    for contract in contracts.iter().filter(|c| c.is_active_on(on)) {
        if !chart.vendors.iter().any(|v| v.contract_id == contract.id) {
            missing.push(ChartGap::VendorContactMissing {
                contract_id: contract.id,
                vendor_name: contract.vendor_name.clone(),
            });
        }
    }
    if chart.outside.is_empty() {
        missing.push(ChartGap::NoOutsideBodies);
    } else {
        for body in REQUIRED_BODIES {
            if !chart.outside.iter().any(|c| c.body == body) {
                missing.push(ChartGap::OutsideBodyMissing { body });
            }
        }
    }
    let unreachable = |e: &ContactEntry| e.phones.is_empty() && e.email.is_none();
    for (i, c) in chart.internal.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("internal[{i}]"),
                who: entry_label(&c.entry, "院内"),
            });
        }
    }
    for (i, c) in chart.vendors.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("vendors[{i}]"),
                who: entry_label(&c.entry, "事業者"),
            });
        }
    }
    for (i, c) in chart.outside.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("outside[{i}]"),
                who: entry_label(&c.entry, c.body.label_ja()),
            });
        }
    }
    if chart.call_order.is_empty() {
        missing.push(ChartGap::NoCallOrder);
    }
    let mut suggestions = Vec::new();
    let round_the_clock = chart.internal.iter().any(|c| {
        c.entry
            .hours
            .as_ref()
            .is_some_and(Hours::is_round_the_clock)
    });
    if !chart
        .internal
        .iter()
        .any(|c| c.roles.contains(&InternalRole::OnCall))
        && !round_the_clock
    {
        suggestions.push(ChartGap::RoleMissing {
            role: InternalRole::OnCall,
        });
    }
    if !chart
        .outside
        .iter()
        .any(|c| c.body == OutsideBody::Prefecture)
    {
        suggestions.push(ChartGap::OutsideBodyMissing {
            body: OutsideBody::Prefecture,
        });
    }
    ChartStatus {
        state: if missing.is_empty() {
            ChartState::Complete
        } else {
            ChartState::Draft
        },
        missing: missing.into_iter().map(ChartGapReport::from).collect(),
        suggestions: suggestions.into_iter().map(ChartGapReport::from).collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Scope;
    use crate::vendor::SystemKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn phone(text: &str) -> String {
        PhoneNumber::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .display_ja()
    }

    #[test]
    fn japanese_phone_numbers_are_read_and_normalised() {
        assert_eq!(phone("03-1234-5678"), "03-1234-5678");
        assert_eq!(phone("0120-123-456"), "0120-123-456");
        assert_eq!(phone("090-1234-5678"), "090-1234-5678");
        assert_eq!(phone("+81-3-1234-5678"), "+81-3-1234-5678");
        assert_eq!(phone("＋８１－３－１２３４－５６７８"), "+81-3-1234-5678");
        assert_eq!(phone("０３－１２３４－５６７８"), "03-1234-5678");
        assert_eq!(phone("０３ー１２３４ー５６７８"), "03-1234-5678");
        assert_eq!(phone("03(5253)1111"), "03-5253-1111");
        assert_eq!(phone("(03) 5253-1111"), "03-5253-1111");
        assert_eq!(phone("0352531111"), "03-5253-1111");
        assert_eq!(phone("09012345678"), "090-1234-5678");
        assert_eq!(phone("0120123456"), "0120-123-456");
        assert_eq!(phone("0800-123-4567"), "0800-123-4567");
        assert_eq!(phone("0992862707"), "0992862707");
        assert_eq!(phone("099-286-2707"), "099-286-2707");
        assert_eq!(phone("+81 (0)3 1234 5678"), "+81-3-1234-5678");
        assert_eq!(phone("+81-03-1234-5678"), "+81-3-1234-5678");
        assert_eq!(phone("+81-90-1234-5678"), "+81-90-1234-5678");
        assert_eq!(phone("+1-202-555-0100"), "+1-202-555-0100");
        assert_eq!(phone("03-5253-1111（内線：4392）"), "03-5253-1111 内線4392");
        assert_eq!(phone("03-5253-1111 (内線: 4392)"), "03-5253-1111 内線4392");
        assert_eq!(phone("03-5253-1111 ext. 4392"), "03-5253-1111 内線4392");
        assert_eq!(phone("110"), "110");
        assert_eq!(phone("＃９１１０"), "#9110");
        let p = PhoneNumber::parse("03-5253-1111 内線4392").expect("valid");
        assert_eq!(p.dial_string(), "0352531111");
        assert_eq!(p.display_en(), "03-5253-1111 ext. 4392");
        assert_eq!(p.extension(), Some("4392"));
    }

    #[test]
    fn bad_phone_numbers_get_clear_messages() {
        let err = |t: &str| PhoneNumber::parse(t).expect_err(t);
        assert_eq!(err(""), PhoneError::Empty);
        assert_eq!(err("  "), PhoneError::Empty);
        assert_eq!(err("03-1234-567a"), PhoneError::UnexpectedCharacter('a'));
        assert_eq!(err("5253-1111"), PhoneError::NoLeadingZero);
        assert_eq!(
            err("03-1234-567"),
            PhoneError::WrongLength {
                prefix: "03".into(),
                expected: 10,
                digits: 9
            }
        );
        assert_eq!(
            err("090-1234-567"),
            PhoneError::WrongLength {
                prefix: "090".into(),
                expected: 11,
                digits: 10
            }
        );
        assert!(matches!(
            err("0120-123-4567"),
            PhoneError::WrongLength { .. }
        ));
        assert!(matches!(
            err("+81-3-1234-567"),
            PhoneError::WrongLength { .. }
        ));
        assert_eq!(err("03-1234+5678"), PhoneError::MisplacedPlus);
        assert!(matches!(
            err("010-81-3-1234-5678"),
            PhoneError::BadPrefix { .. }
        ));
        assert_eq!(err("+1-23"), PhoneError::WrongInternationalLength(3));
        assert!(matches!(
            err("03-5253-1111 内線"),
            PhoneError::BadExtension(_)
        ));
        let e = err("03-1234-567");
        assert!(e.message_ja().contains("10桁"), "{}", e.message_ja());
        assert!(e.message_en().contains("10 digits"), "{}", e.message_en());
    }

    #[test]
    fn phones_round_trip_through_their_text() {
        for t in [
            "03-5253-1111 内線4392",
            "+81-3-1234-5678",
            "#9110",
            "0120-123-456",
        ] {
            let p = PhoneNumber::parse(t).expect("valid");
            let back = PhoneNumber::try_from(String::from(p.clone())).expect("round trip");
            assert_eq!(p, back);
        }
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            EmailAddress::parse(" Isei-CS@MHLW.go.JP ").map(|e| e.0),
            Ok("Isei-CS@mhlw.go.jp".into())
        );
        assert_eq!(
            EmailAddress::parse("ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ").map(|e| e.0),
            Ok("support@example.jp".into())
        );
        assert_eq!(EmailAddress::parse(""), Err(EmailError::Empty));
        assert_eq!(EmailAddress::parse("a.example.jp"), Err(EmailError::At));
        assert_eq!(EmailAddress::parse("a@b@example.jp"), Err(EmailError::At));
        assert_eq!(EmailAddress::parse(".a@example.jp"), Err(EmailError::Local));
        assert_eq!(
            EmailAddress::parse("山田@example.jp"),
            Err(EmailError::Local)
        );
        assert_eq!(EmailAddress::parse("a@example"), Err(EmailError::Domain));
        assert_eq!(EmailAddress::parse("a@-x.jp"), Err(EmailError::Domain));
        assert_eq!(EmailAddress::parse("a@example.j1"), Err(EmailError::Domain));
        assert!(EmailError::Domain.message_ja().contains("ドメイン"));
    }

    #[test]
    fn hours_are_read() {
        let t = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        assert_eq!(Hours::parse("24時間"), Some(Hours::Always));
        assert_eq!(Hours::parse("２４時間３６５日"), Some(Hours::Always));
        assert_eq!(Hours::parse("24h"), Some(Hours::Always));
        assert_eq!(
            Hours::parse("平日 9:00-17:00"),
            Some(Hours::Weekdays {
                from: t(9, 0),
                to: t(17, 0)
            })
        );
        assert_eq!(
            Hours::parse("平日９時〜１７時３０分"),
            Some(Hours::Weekdays {
                from: t(9, 0),
                to: t(17, 30)
            })
        );
        assert_eq!(
            Hours::parse("毎日 9:00～21:00"),
            Some(Hours::Daily {
                from: t(9, 0),
                to: t(21, 0)
            })
        );
        assert_eq!(
            Hours::parse("平日昼のみ"),
            Some(Hours::Text {
                text: "平日昼のみ".into()
            })
        );
        assert_eq!(Hours::parse("  "), None);
        assert_eq!(
            Hours::parse("平日 9:00-17:00").map(|h| h.label_ja()),
            Some("平日 9:00〜17:00".into())
        );
    }

    pub fn entry(name: &str, org: &str, phones: &[&str]) -> ContactEntryInput {
        ContactEntryInput {
            name: name.into(),
            organisation: org.into(),
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            email: String::new(),
            hours: String::new(),
            notes: String::new(),
        }
    }

    pub fn contracts() -> Vec<VendorContract> {
        vec![
            VendorContract {
                id: ContractId(1),
                vendor_name: "株式会社みなとメディカルシステムズ".into(),
                systems: vec![SystemKind::Emr, SystemKind::Ordering],
                remote_maintenance: true,
                scopes: vec![Scope::Server, Scope::Pc],
                start_on: None,
                end_on: None,
            },
            VendorContract {
                id: ContractId(2),
                vendor_name: "東京ネットワークサービス株式会社".into(),
                systems: vec![SystemKind::Network],
                remote_maintenance: true,
                scopes: vec![Scope::Network],
                start_on: None,
                end_on: None,
            },
        ]
    }

    pub fn sample_input() -> ContactChartInput {
        ContactChartInput {
            institution_name: "みなと中央病院".into(),
            revised_on: d(2025, 6, 1),
            internal: vec![
                InternalContactInput {
                    roles: vec![InternalRole::Administrator],
                    title: "院長".into(),
                    entry: entry("港 一郎", "", &["03-1234-5000", "090-1111-2222"]),
                },
                InternalContactInput {
                    roles: vec![InternalRole::SecurityManager],
                    title: "情報システム課長".into(),
                    entry: ContactEntryInput {
                        hours: "平日 8:30-17:15".into(),
                        email: "sato@minato-hp.example.jp".into(),
                        ..entry(
                            "佐藤 花子",
                            "情報システム課",
                            &["03-1234-5100 内線210", "080-3333-4444"],
                        )
                    },
                },
                InternalContactInput {
                    roles: vec![InternalRole::SystemStaff],
                    title: String::new(),
                    entry: entry("鈴木 健", "情報システム課", &["03-1234-5100 内線211"]),
                },
                InternalContactInput {
                    roles: vec![InternalRole::OnCall],
                    title: String::new(),
                    entry: ContactEntryInput {
                        hours: "24時間".into(),
                        ..entry("当直事務", "", &["03-1234-5999"])
                    },
                },
            ],
            vendors: vec![
                VendorContactInput {
                    contract_id: ContractId(1),
                    entry: ContactEntryInput {
                        hours: "24時間365日".into(),
                        ..entry("保守センター", "", &["0120-123-456"])
                    },
                },
                VendorContactInput {
                    contract_id: ContractId(2),
                    entry: ContactEntryInput {
                        hours: "平日 9:00-18:00".into(),
                        ..entry("高橋 誠", "", &["03-5555-6666", "090-7777-8888"])
                    },
                },
            ],
            outside: vec![
                OutsideContactInput {
                    body: OutsideBody::Mhlw,
                    entry: ContactEntryInput {
                        notes: mhlw_preset().entry.notes,
                        ..entry(
                            "",
                            "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
                            &["03-5253-1111"],
                        )
                    },
                },
                OutsideContactInput {
                    body: OutsideBody::Police,
                    entry: entry("", "警視庁 サイバー犯罪対策課", &["03-3431-8109"]),
                },
                OutsideContactInput {
                    body: OutsideBody::Prefecture,
                    entry: entry("", "東京都 保健医療局 医療政策部", &["03-5320-4445"]),
                },
                OutsideContactInput {
                    body: OutsideBody::Insurer,
                    entry: entry("", "○○損害保険 サイバー保険事故受付", &["0120-987-654"]),
                },
            ],
            call_order: vec![],
        }
    }

    #[test]
    fn a_full_chart_parses_with_the_default_call_order_and_is_complete() {
        let chart = sample_input().parse(&contracts()).expect("valid chart");
        assert_eq!(chart.entry_count(), 10);
        assert_eq!(chart.call_order.len(), 4);
        assert_eq!(chart.call_order[0].targets, vec![CallTarget::Discoverer]);
        assert_eq!(
            chart.call_order[2].targets,
            vec![
                CallTarget::AllVendors,
                CallTarget::Internal {
                    role: InternalRole::Administrator
                }
            ]
        );
        assert_eq!(chart.step_of_internal(&chart.internal[1]), Some(2));
        assert_eq!(chart.step_of_vendor(&chart.vendors[0]), Some(3));
        assert_eq!(chart.step_of_outside(&chart.outside[3]), Some(4));
        assert_eq!(
            chart.vendors[0].entry.organisation,
            "株式会社みなとメディカルシステムズ"
        );
        let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
        assert_eq!(status.state, ChartState::Complete, "{:#?}", status.missing);
        assert!(status.suggestions.is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut input = sample_input();
        input.institution_name = " ".into();
        input.internal[2].entry.phones = vec!["03-1234-567".into(), "".into(), "abc".into()];
        input.internal[1].entry.email = "sato@".into();
        input.internal[0].roles.clear();
        input.vendors[1].contract_id = ContractId(9);
        input.outside[0].entry.organisation = String::new();
        input.call_order = vec![
            CallStep {
                targets: vec![CallTarget::Discoverer],
                note: String::new(),
            },
            CallStep {
                targets: vec![CallTarget::Vendor {
                    contract_id: ContractId(5),
                }],
                note: String::new(),
            },
            CallStep {
                targets: vec![],
                note: String::new(),
            },
        ];
        let problems = input.parse(&contracts()).expect_err("invalid");
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "institution_name",
                "internal[0].roles",
                "internal[1].email",
                "internal[2].phones[0]",
                "internal[2].phones[2]",
                "vendors[1].contract_id",
                "outside[0].name",
                "call_order[1].targets[0]",
                "call_order[2].targets",
            ]
        );
        let phone = &problems[3];
        assert_eq!(phone.code, "phone_wrong_length");
        assert!(phone.message_ja.contains("03-1234-567"));
        assert!(phone.message_en.contains("10 digits"));
    }

    #[test]
    fn a_chart_missing_roles_or_bodies_is_a_draft() {
        assert_eq!(
            chart_status(None, &[], d(2025, 6, 1)).state,
            ChartState::None
        );
        let mut input = sample_input();
        input.internal.remove(0); // no 管理者
        input.outside.retain(|o| o.body != OutsideBody::Police);
        input.vendors.remove(1);
        input.internal[2].entry.phones.clear(); // the on-call desk
        input.internal[2].entry.hours.clear();
        let chart = input.parse(&contracts()).expect("valid");
        let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
        assert_eq!(status.state, ChartState::Draft);
        let gaps: Vec<_> = status.missing.iter().map(|g| g.gap.clone()).collect();
        assert_eq!(
            gaps,
            vec![
                ChartGap::RoleMissing {
                    role: InternalRole::Administrator
                },
                ChartGap::VendorContactMissing {
                    contract_id: ContractId(2),
                    vendor_name: "東京ネットワークサービス株式会社".into()
                },
                ChartGap::OutsideBodyMissing {
                    body: OutsideBody::Police
                },
                ChartGap::NoWayToReach {
                    path: "internal[2]".into(),
                    who: "当直事務".into()
                },
            ]
        );
        assert!(status.missing[0].message_ja.contains("管理者"));
        // No outside bodies at all.
        let mut input = sample_input();
        input.outside.clear();
        let chart = input.parse(&contracts()).expect("valid");
        let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
        assert_eq!(status.state, ChartState::Draft);
        assert_eq!(status.missing[0].gap, ChartGap::NoOutsideBodies);
        // An ended contract needs no contact.
        let mut ended = contracts();
        ended[1].end_on = Some(d(2025, 3, 31));
        let mut input = sample_input();
        input.vendors.remove(1);
        let chart = input.parse(&ended).expect("valid");
        assert_eq!(
            chart_status(Some(&chart), &ended, d(2025, 6, 1)).state,
            ChartState::Complete
        );
    }

    #[test]
    fn the_mhlw_preset_is_valid() {
        let preset = mhlw_preset();
        assert_eq!(preset.entry.phones[0].number(), "03-5253-1111");
        assert!(PhoneNumber::parse(preset.entry.phones[0].number()).is_ok());
    }

    #[test]
    fn width_folding_covers_japanese_input() {
        assert_eq!(
            fold_full_width("０３－１２３４―５６７８　ＡＢ＠"),
            "03-1234-5678 AB@"
        );
        assert_eq!(fold_full_width("オーダリング"), "オーダリング");
    }
}
