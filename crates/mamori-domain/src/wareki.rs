//! Dates and item numbers as people in Japanese hospitals write them in spreadsheets and on
//! paper forms: Western dates in several spellings (`2025-06-01`, `2025/6/1`, `2025.6.1`,
//! `2025年6月1日`), dates in the Japanese era (和暦: `令和7年6月1日`, `令和元年5月1日`,
//! `R7.6.1`, `H31.4.30`, `昭和64年1月7日`), full-width digits (`２０２５／６／１`), and
//! checklist item numbers as printed (`2(7)`, `２（７）`, `2-(7)`, `2⑦`, `2-7`).
//!
//! Every refusal is a [`ParseError`] whose Japanese and English messages say what was wrong.
//! Excel serial day numbers are not read here.

use chrono::{Datelike, NaiveDate};

use crate::text::fold::{fold_char, is_dash_or_long_vowel};
use crate::{ParseError, Scope};

/// The eras (元号) mamori reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// 昭和, 1926-12-25 to 1989-01-07.
    Showa,
    /// 平成, 1989-01-08 to 2019-04-30.
    Heisei,
    /// 令和, from 2019-05-01.
    Reiwa,
}

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid constant date"),
    }
}

const SHOWA_FIRST_DAY: NaiveDate = ymd(1926, 12, 25);
const HEISEI_FIRST_DAY: NaiveDate = ymd(1989, 1, 8);
const REIWA_FIRST_DAY: NaiveDate = ymd(2019, 5, 1);

/// At most this many digits are read for a year of an era: enough for every four-digit
/// Western year written in 令和, and no overflow.
const MAX_ERA_YEAR_DIGITS: usize = 4;

impl Era {
    pub const ALL: [Era; 3] = [Era::Showa, Era::Heisei, Era::Reiwa];

    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Showa => "昭和",
            Self::Heisei => "平成",
            Self::Reiwa => "令和",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Showa => "Showa",
            Self::Heisei => "Heisei",
            Self::Reiwa => "Reiwa",
        }
    }

    /// The letter used in short forms such as `R7.6.1`.
    pub fn letter(self) -> char {
        match self {
            Self::Showa => 'S',
            Self::Heisei => 'H',
            Self::Reiwa => 'R',
        }
    }

    pub fn first_day(self) -> NaiveDate {
        match self {
            Self::Showa => SHOWA_FIRST_DAY,
            Self::Heisei => HEISEI_FIRST_DAY,
            Self::Reiwa => REIWA_FIRST_DAY,
        }
    }

    /// The last day of the era; `None` for the current era.
    pub fn last_day(self) -> Option<NaiveDate> {
        match self {
            Self::Showa => HEISEI_FIRST_DAY.pred_opt(),
            Self::Heisei => REIWA_FIRST_DAY.pred_opt(),
            Self::Reiwa => None,
        }
    }

    /// The Western year of the era's first year (元年).
    pub fn first_year(self) -> i32 {
        self.first_day().year()
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && self.last_day().is_none_or(|last| date <= last)
    }

    /// The era a date falls in; `None` before 昭和 (1926-12-25).
    pub fn of(date: NaiveDate) -> Option<Era> {
        Self::ALL.into_iter().rev().find(|era| era.contains(date))
    }

    fn span(self) -> mamori_locale::Message {
        let first = self.first_day();
        let message = match self.last_day() {
            Some(last) => mamori_locale::Message::new("domain-wareki-era-span")
                .with("last-year", last.year())
                .with("last-month", last.month())
                .with("last-day", last.day())
                .with("last", last.to_string()),
            None => mamori_locale::Message::new("domain-wareki-era-span-open"),
        };
        message
            .with("era", crate::bilingual(self.name_ja(), self.name_en()))
            .with("first-year", first.year())
            .with("first-month", first.month())
            .with("first-day", first.day())
            .with("first", first.to_string())
    }
}

/// Writes a date in the Japanese era with the Western year beside it, as mail and notices
/// do: `令和9年（2027年）3月31日`.
pub fn format_wareki_with_western_year(date: NaiveDate) -> String {
    let wareki = format_wareki(date);
    match (Era::of(date), wareki.find('年')) {
        (Some(_), Some(end)) => {
            let end = end + '年'.len_utf8();
            format!("{}（{}年）{}", &wareki[..end], date.year(), &wareki[end..])
        }
        _ => wareki,
    }
}

/// Writes a date in the Japanese era as on forms: `令和7年6月1日`, `令和元年5月1日`.
/// Dates before 昭和 (1926-12-25) are written in the Western calendar: `1900年1月1日`.
/// Every date [`parse_date`] accepts is written so that `parse_date` reads it back.
pub fn format_wareki(date: NaiveDate) -> String {
    match Era::of(date) {
        Some(era) => {
            let n = date.year() - era.first_year() + 1;
            let year = if n == 1 {
                "元".to_owned()
            } else {
                n.to_string()
            };
            format!(
                "{}{year}年{}月{}日",
                era.name_ja(),
                date.month(),
                date.day()
            )
        }
        None => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    }
}

/// [`fold_char`] one character at a time, so that each character out comes with the index of
/// the character of `text` it stands for: full-width forms become ASCII and the era signs
/// (㋿ ㍻ ㍼) their two kanji. Every space is `' '`, and a dash or the long-vowel mark (which
/// Japanese input methods often give for a hyphen) is `-`. Circled and parenthesized numbers
/// stay for the item-number parser: NFKC would make `2⑦` read as 27.
fn normalize(text: &str) -> Vec<(char, usize)> {
    let mut out = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            out.push((' ', i));
        } else if is_dash_or_long_vowel(c) {
            out.push(('-', i));
        } else if enclosed_number(c).is_some() {
            out.push((c, i));
        } else {
            out.extend(fold_char(c).map(|f| (f, i)));
        }
    }
    out
}

/// A cursor over the normalized characters of a trimmed text; messages quote the text as
/// it was written.
struct Cursor {
    chars: Vec<char>,
    /// For each of `chars`, its index in `original`.
    origin: Vec<usize>,
    original: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn new(text: &str) -> Self {
        let mut normalized = normalize(text);
        while normalized.last().is_some_and(|&(c, _)| c == ' ') {
            normalized.pop();
        }
        let start = normalized.iter().take_while(|&&(c, _)| c == ' ').count();
        normalized.drain(..start);
        let (chars, origin) = normalized.into_iter().unzip();
        Self {
            chars,
            origin,
            original: text.chars().collect(),
            pos: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let mut n = 0;
        for c in s.chars() {
            if self.chars.get(self.pos + n) != Some(&c) {
                return false;
            }
            n += 1;
        }
        self.pos += n;
        true
    }

    fn skip_spaces(&mut self) {
        while self.eat(' ') {}
    }

    /// The run of ASCII digits at the cursor.
    fn digits(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// The run of ASCII letters at the cursor.
    fn letters(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// What is left, as written, shortened for a message.
    fn rest(&self) -> String {
        match (self.origin.get(self.pos), self.origin.last()) {
            (Some(&from), Some(&to)) => shorten(&self.original[from..=to]),
            _ => String::new(),
        }
    }
}

/// At most this many characters of a user's text are repeated in a message.
const SHOWN_CHARS: usize = 40;

fn shorten(chars: &[char]) -> String {
    if chars.len() > SHOWN_CHARS {
        let mut s: String = chars[..SHOWN_CHARS].iter().collect();
        s.push('…');
        s
    } else {
        chars.iter().collect()
    }
}

/// Why a date was refused, in both languages, before it is tied to the field and the text.
struct Problem(mamori_locale::Message);

fn problem(message: mamori_locale::Message) -> Problem {
    Problem(message)
}

const DATE_EXAMPLES_JA: &str = "2025-06-01、2025/6/1、2025年6月1日、令和7年6月1日、R7.6.1";
const DATE_EXAMPLES_EN: &str = "2025-06-01, 2025/6/1, 2025年6月1日, 令和7年6月1日 or R7.6.1";

fn not_a_date() -> Problem {
    problem(
        mamori_locale::Message::new("domain-wareki-date-write-like").with(
            "date-examples-ja",
            crate::bilingual(DATE_EXAMPLES_JA, DATE_EXAMPLES_EN),
        ),
    )
}

fn unsupported_era(name: &str) -> Problem {
    problem(
        mamori_locale::Message::new("domain-wareki-era-supported-only-r")
            .with("name", crate::arg(name)),
    )
}

/// How the year, month and day are separated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// 年 月 日
    Kanji,
    /// `-`, `/` or `.`, the same twice.
    Separator(char),
}

/// Parses a date as written in Japan, Western or 和暦, in any of the forms listed in the
/// module's documentation. `field` names the field in the error.
pub fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate, ParseError> {
    parse_date_inner(text).map_err(|Problem(reason)| {
        let shown = shorten(&text.chars().collect::<Vec<_>>());
        ParseError::new(
            field,
            mamori_locale::Message::new("domain-parse-date")
                .with("shown", crate::arg(shown))
                .with("reason", reason),
        )
    })
}

fn parse_date_inner(text: &str) -> Result<NaiveDate, Problem> {
    let mut cur = Cursor::new(text);
    if cur.is_empty() {
        return Err(problem(mamori_locale::Message::new(
            "domain-wareki-date-empty",
        )));
    }
    let era = parse_era(&mut cur)?;
    cur.skip_spaces();

    // The year.
    let year_digits = cur.digits();
    let (year, first_year) = match era {
        Some(era) => {
            let n = if year_digits.is_empty() {
                if cur.eat('元') {
                    1
                } else {
                    return Err(problem(
                        mamori_locale::Message::new("domain-wareki-era-year-missing")
                            .with("era", crate::bilingual(era.name_ja(), era.name_en()))
                            .with("name", era.name_ja())
                            .with("letter", era.letter().to_string()),
                    ));
                }
            } else if year_digits.len() > MAX_ERA_YEAR_DIGITS {
                return Err(problem(
                    mamori_locale::Message::new("domain-wareki-there-year-era")
                        .with("year-digits", crate::arg(year_digits))
                        .with("era", crate::bilingual(era.name_ja(), era.name_en())),
                ));
            } else {
                parse_small(&year_digits)
            };
            if n == 0 {
                return Err(problem(
                    mamori_locale::Message::new("domain-wareki-there-year-era-first")
                        .with("era", crate::bilingual(era.name_ja(), era.name_en())),
                ));
            }
            (era.first_year() + n as i32 - 1, Some((era, n)))
        }
        None => {
            if year_digits.is_empty() {
                if cur.peek() == Some('元') {
                    return Err(problem(mamori_locale::Message::new(
                        "domain-wareki-first-year-needs-era",
                    )));
                }
                return Err(not_a_date());
            }
            if year_digits.len() != 4 || year_digits.starts_with('0') {
                return Err(problem(
                    mamori_locale::Message::new("domain-wareki-western-year-have-four")
                        .with("year-digits", crate::arg(year_digits)),
                ));
            }
            (parse_small(&year_digits) as i32, None)
        }
    };

    // The separator after the year decides the style.
    cur.skip_spaces();
    let style = match cur.peek() {
        Some('年') => Style::Kanji,
        Some(c @ ('-' | '/' | '.')) => Style::Separator(c),
        Some(_) => {
            return Err(problem(
                mamori_locale::Message::new("domain-wareki-after-year-comes-separator")
                    .with("cur", crate::arg(cur.rest()))
                    .with(
                        "date-examples-ja",
                        crate::bilingual(DATE_EXAMPLES_JA, DATE_EXAMPLES_EN),
                    ),
            ));
        }
        None => {
            return Err(problem(mamori_locale::Message::new(
                "domain-wareki-month-day-are-missing",
            )));
        }
    };
    cur.pos += 1;

    let month = parse_part(&mut cur, Part::Month)?;
    expect_after(&mut cur, style, Part::Month)?;
    let day = parse_part(&mut cur, Part::Day)?;
    cur.skip_spaces();
    if style == Style::Kanji && !cur.eat('日') {
        return Err(if cur.at_end() {
            problem(mamori_locale::Message::new(
                "domain-wareki-missing-after-day",
            ))
        } else {
            problem(
                mamori_locale::Message::new("domain-wareki-after-day-comes")
                    .with("cur", crate::arg(cur.rest())),
            )
        });
    }
    cur.skip_spaces();
    if !cur.at_end() {
        return Err(problem(
            mamori_locale::Message::new("domain-wareki-unexpected-text-after-date")
                .with("cur", crate::arg(cur.rest())),
        ));
    }

    if !(1..=12).contains(&month) {
        return Err(problem(
            mamori_locale::Message::new("domain-wareki-there-month-months-are")
                .with("month", crate::arg(month)),
        ));
    }
    let written_ja = match first_year {
        Some((era, n)) => format!("{}{n}年{month}月", era.name_ja()),
        None => format!("{year}年{month}月"),
    };
    let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
        return Err(problem(
            mamori_locale::Message::new("domain-wareki-no-such-day")
                .with("day", day)
                .with(
                    "written",
                    crate::bilingual(written_ja, format!("{year}-{month:02}")),
                ),
        ));
    };
    if let Some((era, n)) = first_year
        && !era.contains(date)
    {
        let hint = match Era::of(date) {
            Some(_) => mamori_locale::Message::new("domain-wareki-that-day")
                .with("wareki", format_wareki(date)),
            None => mamori_locale::Message::new("domain-empty"),
        };
        return Err(problem(
            mamori_locale::Message::new("domain-wareki-month-day-outside-era")
                .with("n", crate::arg(n))
                .with("month", crate::arg(month))
                .with("day", crate::arg(day))
                .with("date", crate::arg(date))
                .with("era", crate::bilingual(era.name_ja(), era.name_en()))
                .with("span", era.span())
                .with("hint", hint),
        ));
    }
    Ok(date)
}

/// Reads an era at the start, if any: 令和 平成 昭和 (or ㋿ ㍻ ㍼), the letters R H S, or
/// the names Reiwa, Heisei, Showa (any case).
fn parse_era(cur: &mut Cursor) -> Result<Option<Era>, Problem> {
    for era in Era::ALL {
        if cur.eat_str(era.name_ja()) {
            return Ok(Some(era));
        }
    }
    for old in ["大正", "明治"] {
        if cur.eat_str(old) {
            return Err(unsupported_era(old));
        }
    }
    if cur.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
        let letters = cur.letters();
        return match letters.to_ascii_uppercase().as_str() {
            "R" | "REIWA" => Ok(Some(Era::Reiwa)),
            "H" | "HEISEI" => Ok(Some(Era::Heisei)),
            "S" | "SHOWA" => Ok(Some(Era::Showa)),
            // A single letter is an era's: T 大正, M 明治.
            _ if letters.len() == 1 => Err(unsupported_era(&letters)),
            _ => Err(not_a_date()),
        };
    }
    Ok(None)
}

/// Reads a run of at most [`MAX_ERA_YEAR_DIGITS`] digits (checked by the caller).
fn parse_small(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
}

#[derive(Clone, Copy)]
enum Part {
    Month,
    Day,
}

impl Part {
    fn ja(self) -> &'static str {
        match self {
            Self::Month => "月",
            Self::Day => "日",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Day => "day",
        }
    }
}

/// Reads a month or a day: one or two digits.
fn parse_part(cur: &mut Cursor, part: Part) -> Result<u32, Problem> {
    cur.skip_spaces();
    let digits = cur.digits();
    if digits.is_empty() {
        return Err(if cur.at_end() {
            problem(
                mamori_locale::Message::new("domain-wareki-missing")
                    .with("ja", crate::bilingual(part.ja(), part.en())),
            )
        } else {
            problem(
                mamori_locale::Message::new("domain-wareki-number")
                    .with("cur", crate::arg(cur.rest()))
                    .with("ja", crate::bilingual(part.ja(), part.en())),
            )
        });
    }
    if digits.len() > 2 {
        return Err(problem(
            mamori_locale::Message::new("domain-wareki-have-one-two-digits")
                .with("digits", crate::arg(digits))
                .with("ja", crate::bilingual(part.ja(), part.en())),
        ));
    }
    Ok(parse_small(&digits))
}

/// After the month: 月 in the kanji style, the same separator as after the year otherwise.
fn expect_after(cur: &mut Cursor, style: Style, part: Part) -> Result<(), Problem> {
    cur.skip_spaces();
    let ok = match style {
        Style::Kanji => cur.eat('月'),
        Style::Separator(sep) => cur.eat(sep),
    };
    if ok {
        return Ok(());
    }
    let found = cur.peek();
    Err(match (style, found) {
        (_, None) => problem(
            mamori_locale::Message::new("domain-wareki-day-missing-after")
                .with("ja", crate::bilingual(part.ja(), part.en())),
        ),
        (Style::Separator(sep), Some(other @ ('-' | '/' | '.'))) => problem(
            mamori_locale::Message::new("domain-wareki-separators-differ")
                .with("sep", crate::arg(sep))
                .with("other", crate::arg(other)),
        ),
        (Style::Separator(sep), Some(_)) => problem(
            mamori_locale::Message::new("domain-wareki-after-comes")
                .with("sep", crate::arg(sep))
                .with("cur", crate::arg(cur.rest()))
                .with("ja", crate::bilingual(part.ja(), part.en())),
        ),
        (Style::Kanji, Some(_)) => problem(
            mamori_locale::Message::new("domain-wareki-after-comes-2")
                .with("cur", crate::arg(cur.rest()))
                .with("ja", crate::bilingual(part.ja(), part.en())),
        ),
    })
}

/// A checklist item's number as printed on the sheet: `2(7)` is section 2, number 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemNumber {
    pub section: u8,
    pub number: u8,
}

impl std::fmt::Display for ItemNumber {
    /// As the catalog writes it: `2(7)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.section, self.number)
    }
}

/// An item's key as the catalog and the API write it: `2-7-server`, `1-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemKey {
    pub section: u8,
    pub number: u8,
    /// [`Scope::None`] for a key without a scope (`1-1`, `3-2`).
    pub scope: Scope,
}

impl ItemKey {
    pub fn item_number(self) -> ItemNumber {
        ItemNumber {
            section: self.section,
            number: self.number,
        }
    }
}

impl std::fmt::Display for ItemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scope {
            Scope::None => write!(f, "{}-{}", self.section, self.number),
            scope => write!(f, "{}-{}-{}", self.section, self.number, scope.as_str()),
        }
    }
}

/// The value of a circled (①) or parenthesized (⑴) number.
fn enclosed_number(c: char) -> Option<u8> {
    let n = match c {
        '①'..='⑳' => c as u32 - '①' as u32 + 1,
        '⑴'..='⒇' => c as u32 - '⑴' as u32 + 1,
        '㉑'..='㉟' => c as u32 - '㉑' as u32 + 21,
        '㊱'..='㊿' => c as u32 - '㊱' as u32 + 36,
        _ => return None,
    };
    u8::try_from(n).ok()
}

const ITEM_NUMBER_EXAMPLES: &str = "2(7), ２（７）, 2-(7), 2⑦, 2-7";

fn item_number_error(text: &str, reason: mamori_locale::Message) -> ParseError {
    let shown = shorten(&text.chars().collect::<Vec<_>>());
    ParseError::new(
        "item_number",
        mamori_locale::Message::new("domain-parse-item-number")
            .with("shown", crate::arg(shown))
            .with("reason", reason),
    )
}

fn section_what() -> mamori_locale::Message {
    mamori_locale::Message::new("domain-item-what-section")
}

fn number_what() -> mamori_locale::Message {
    mamori_locale::Message::new("domain-item-what-number")
}

/// Reads a number of at most three digits into a non-zero `u8`.
fn small_nonzero(
    digits: &str,
    what: &mamori_locale::Message,
) -> Result<u8, mamori_locale::Message> {
    let value = if digits.len() <= 3 {
        u8::try_from(parse_small(digits)).ok()
    } else {
        None
    };
    match value {
        Some(0) => {
            Err(mamori_locale::Message::new("domain-item-number-cannot").with("what", what.clone()))
        }
        Some(n) => Ok(n),
        None => Err(
            mamori_locale::Message::new("domain-item-number-too-large-most")
                .with("digits", crate::arg(digits))
                .with("what", what.clone()),
        ),
    }
}

/// Reads an item number as printed or typed: `2(7)`, `２（７）`, `2-(7)`, `2⑦`, `2⑺`, `2-7`.
pub fn parse_item_number(text: &str) -> Result<ItemNumber, ParseError> {
    if let Some(number) = plain_item_number(text) {
        return Ok(number);
    }
    parse_item_number_inner(text).map_err(|reason| item_number_error(text, reason))
}

/// The form every catalog item is printed in, `2(7)` in ASCII, read without the general
/// parser's allocations: the vendor coverage reads the numbers of both forms on every
/// checklist page. `None` for anything else, which the general parser then reads.
fn plain_item_number(text: &str) -> Option<ItemNumber> {
    let (section, rest) = text.split_once('(')?;
    let number = rest.strip_suffix(')')?;
    let small = |digits: &str| -> Option<u8> {
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u8>().ok().filter(|n| *n != 0)
    };
    Some(ItemNumber {
        section: small(section)?,
        number: small(number)?,
    })
}

fn parse_item_number_inner(text: &str) -> Result<ItemNumber, mamori_locale::Message> {
    let mut cur = Cursor::new(text);
    if cur.is_empty() {
        return Err(mamori_locale::Message::new(
            "domain-item-number-item-number-empty",
        ));
    }
    let section_digits = cur.digits();
    if section_digits.is_empty() {
        return Err(
            mamori_locale::Message::new("domain-item-number-start-section-number")
                .with("item-number-examples", crate::arg(ITEM_NUMBER_EXAMPLES)),
        );
    }
    let section = small_nonzero(&section_digits, &section_what())?;
    cur.skip_spaces();
    let dash = cur.eat('-');
    cur.skip_spaces();
    let number = match cur.peek() {
        Some('(') => {
            cur.pos += 1;
            cur.skip_spaces();
            let digits = cur.digits();
            if digits.is_empty() {
                return Err(mamori_locale::Message::new(
                    "domain-item-number-item-s-number-goes",
                ));
            }
            let n = small_nonzero(&digits, &number_what())?;
            cur.skip_spaces();
            if !cur.eat(')') {
                return Err(mamori_locale::Message::new(
                    "domain-item-number-closing-parenthesis-missing",
                ));
            }
            n
        }
        Some(c) if enclosed_number(c).is_some() => {
            cur.pos += 1;
            enclosed_number(c).unwrap_or_default()
        }
        Some(c) if c.is_ascii_digit() && dash => {
            let digits = cur.digits();
            small_nonzero(&digits, &number_what())?
        }
        _ => {
            return Err(
                mamori_locale::Message::new("domain-item-number-item-s-number-cannot")
                    .with("item-number-examples", crate::arg(ITEM_NUMBER_EXAMPLES)),
            );
        }
    };
    cur.skip_spaces();
    if !cur.at_end() {
        return Err(
            mamori_locale::Message::new("domain-item-number-unexpected-text-after-item")
                .with("cur", crate::arg(cur.rest())),
        );
    }
    Ok(ItemNumber { section, number })
}

/// Reads an item key exactly as the catalog and the API write it: `<section>-<number>` or
/// `<section>-<number>-<all|server|pc|network>`, ASCII, no leading zeros, nothing around it.
pub fn parse_item_key(text: &str) -> Result<ItemKey, ParseError> {
    let fail = |reason: mamori_locale::Message| {
        let shown = shorten(&text.chars().collect::<Vec<_>>());
        ParseError::new(
            "item_key",
            mamori_locale::Message::new("domain-parse-item-key-section-number")
                .with("shown", crate::arg(shown))
                .with("reason", reason),
        )
    };
    let parts: Vec<&str> = text.split('-').collect();
    let (section, number, scope) = match parts.as_slice() {
        [s, n] => (*s, *n, None),
        [s, n, scope] => (*s, *n, Some(*scope)),
        _ => {
            return Err(fail(mamori_locale::Message::new(
                "domain-item-key-does-have-two-three",
            )));
        }
    };
    let number_part = |part: &str, what: mamori_locale::Message| -> Result<u8, ParseError> {
        let canonical =
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && !part.starts_with('0');
        if !canonical {
            return Err(fail(
                mamori_locale::Message::new("domain-item-key-digits-starting")
                    .with("part", crate::arg(part))
                    .with("what", what.clone()),
            ));
        }
        small_nonzero(part, &what).map_err(fail)
    };
    let section = number_part(section, section_what())?;
    let number = number_part(number, number_what())?;
    let scope = match scope {
        None => Scope::None,
        Some("all") => Scope::All,
        Some("server") => Scope::Server,
        Some("pc") => Scope::Pc,
        Some("network") => Scope::Network,
        Some(other) => {
            return Err(fail(
                mamori_locale::Message::new("domain-item-key-scope-all-server-pc")
                    .with("other", crate::arg(other)),
            ));
        }
    };
    Ok(ItemKey {
        section,
        number,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_says, date as d};
    use mamori_locale::Lang::{En, Ja};

    fn parse(text: &str) -> Result<NaiveDate, ParseError> {
        parse_date("checked_on", text)
    }

    #[track_caller]
    fn ok(text: &str, expected: NaiveDate) {
        assert_eq!(parse(text), Ok(expected), "parsing {text:?}");
    }

    /// The error, checked to carry both languages and the field.
    #[track_caller]
    fn err(text: &str) -> ParseError {
        let e = parse(text).expect_err(text);
        assert_eq!(e.field, "checked_on");
        assert!(!e.message.render(Ja).is_empty() && !e.message.render(En).is_empty());
        e
    }

    #[test]
    fn the_western_year_goes_beside_the_era_year() {
        assert_eq!(
            format_wareki_with_western_year(d(2027, 3, 31)),
            "令和9年（2027年）3月31日"
        );
        assert_eq!(
            format_wareki_with_western_year(d(2019, 5, 1)),
            "令和元年（2019年）5月1日"
        );
        assert_eq!(
            format_wareki_with_western_year(d(1900, 1, 1)),
            "1900年1月1日"
        );
    }

    #[test]
    fn western_and_era_forms() {
        let june_first = d(2025, 6, 1);
        for text in [
            // Western
            "2025-06-01",
            "2025-6-1",
            "2025/6/1",
            "2025/06/01",
            "2025.6.1",
            "2025.06.01",
            "2025年6月1日",
            "2025年06月01日",
            "2025 年 6 月 1 日",
            "  2025/6/1  ",
            "\t2025-06-01\n",
            "２０２５／６／１",
            "２０２５－０６－０１",
            "２０２５．６．１",
            "２０２５年６月１日",
            "　2025年6月1日　",
            "2025−06−01",
            "2025ー06ー01",
            // Era
            "令和7年6月1日",
            "令和07年06月01日",
            "令和 7年 6月 1日",
            "令和　７年　６月　１日",
            "㋿7年6月1日",
            "R7.6.1",
            "R07/06/01",
            "R7-6-1",
            "r7.6.1",
            "Ｒ７．６．１",
            "ｒ7.6.1",
            "R 7.6.1",
            "令和7.6.1",
            "R7年6月1日",
            "Reiwa 7.6.1",
            "REIWA7/6/1",
        ] {
            ok(text, june_first);
        }
        for (text, expected) in [
            ("令和元年5月1日", d(2019, 5, 1)),
            ("令和1年5月1日", d(2019, 5, 1)),
            ("R元.5.1", d(2019, 5, 1)),
            ("R1.5.1", d(2019, 5, 1)),
            ("H31.4.30", d(2019, 4, 30)),
            ("h31/4/30", d(2019, 4, 30)),
            ("平成31年4月30日", d(2019, 4, 30)),
            ("㍻31年4月30日", d(2019, 4, 30)),
            ("平成30年12月1日", d(2018, 12, 1)),
            ("平成元年1月8日", d(1989, 1, 8)),
            ("H1.1.8", d(1989, 1, 8)),
            ("昭和64年1月7日", d(1989, 1, 7)),
            ("S64.1.7", d(1989, 1, 7)),
            ("㍼64年1月7日", d(1989, 1, 7)),
            ("昭和元年12月25日", d(1926, 12, 25)),
            ("昭和50年4月1日", d(1975, 4, 1)),
        ] {
            ok(text, expected);
        }
    }

    #[test]
    fn era_boundaries() {
        for (text, expected) in [
            // 昭和 → 平成
            ("昭和64年1月7日", Some(d(1989, 1, 7))),
            ("昭和64年1月8日", None),
            ("平成元年1月7日", None),
            ("平成元年1月8日", Some(d(1989, 1, 8))),
            // 平成 → 令和
            ("平成31年4月30日", Some(d(2019, 4, 30))),
            ("平成31年5月1日", None),
            ("令和1年4月30日", None),
            ("令和元年4月30日", None),
            ("令和元年5月1日", Some(d(2019, 5, 1))),
            // The start of 昭和, and years past the end of an era.
            ("昭和元年12月24日", None),
            ("昭和65年1月1日", None),
            ("平成32年1月1日", None),
            ("H32.1.1", None),
            // 令和 has no end.
            ("令和99年12月31日", Some(d(2117, 12, 31))),
        ] {
            match expected {
                Some(date) => ok(text, date),
                None => _ = err(text),
            }
        }
    }

    /// Each text is refused with a message that says every part in its language.
    #[track_caller]
    fn refused_saying(cases: &[(&str, &[(mamori_locale::Lang, &str)])]) {
        for &(text, parts) in cases {
            assert_says(text, &err(text).message, parts);
        }
    }

    #[test]
    fn era_refusals_say_which_era_and_which_day() {
        refused_saying(&[
            (
                "平成31年5月1日",
                &[
                    (Ja, "平成の期間外"),
                    (Ja, "2019年4月30日"),
                    (Ja, "令和元年5月1日"),
                    (En, "outside its era"),
                    (En, "2019-05-01"),
                ],
            ),
            (
                "令和1年4月30日",
                &[(Ja, "令和は2019年5月1日から"), (Ja, "平成31年4月30日")],
            ),
            ("R0.5.1", &[(Ja, "令和0年はありません"), (En, "no year 0")]),
        ]);
    }

    #[test]
    fn impossible_days_are_refused() {
        refused_saying(&[
            (
                "2025年2月30日",
                &[(Ja, "2月に30日はありません"), (En, "day 30 does not exist")],
            ),
            ("2025-13-01", &[(Ja, "13月はありません")]),
        ]);
        for (text, expected) in [
            ("2025-02-29", None),
            ("2024-02-29", Some(d(2024, 2, 29))),
            ("令和7年2月29日", None),
            ("令和6年2月29日", Some(d(2024, 2, 29))),
            ("2025-04-31", None),
            ("2025-06-00", None),
            ("2025-00-01", None),
        ] {
            match expected {
                Some(date) => ok(text, date),
                None => _ = err(text),
            }
        }
    }

    #[test]
    fn malformed_dates_are_refused() {
        for text in [
            "",
            "   ",
            "　",
            "abc",
            "2025",
            "2025-",
            "2025-06",
            "2025-06-",
            "2025/06-01",
            "2025.6/1",
            "25/6/1",
            "20250601",
            "02025-06-01",
            "0999-01-01",
            "2025-006-01",
            "2025-06-001",
            "2025年6月1",
            "2025年6月",
            "2025年6-1日",
            "2025-06-01T00:00:00",
            "2025-06-01 extra",
            "2025-06-01日",
            "元年5月1日",
            "令和",
            "令和年5月1日",
            "R.6.1",
            "R12345.1.1",
            "大正15年1月1日",
            "明治45年1月1日",
            "T15.1.1",
            "M45.1.1",
            "Taisho 15.1.1",
            "X7.6.1",
            "-2025-06-01",
            "+2025-06-01",
            "2025--06-01",
            "令和7年6月1日日",
            "45807",
        ] {
            err(text);
        }
    }

    #[test]
    fn refusals_explain_the_problem() {
        refused_saying(&[
            ("", &[(Ja, "空"), (En, "empty")]),
            ("25/6/1", &[(Ja, "4桁"), (En, "four digits")]),
            (
                "2025/06-01",
                &[
                    (Ja, "区切り文字がそろっていません"),
                    (En, "separators differ"),
                ],
            ),
            (
                "大正15年1月1日",
                &[(Ja, "元号「大正」"), (En, "not supported")],
            ),
            ("2025-06-01 extra", &[(Ja, "余分な文字「extra」")]),
            ("２０２５／６／１　おわり", &[(Ja, "余分な文字「おわり」")]),
            ("2025年6月1日 サーバー", &[(Ja, "「サーバー」")]),
            ("２０２５年６ー１日", &[(Ja, "「ー１日」")]),
            ("元年5月1日", &[(Ja, "元号")]),
        ]);
        // The text is repeated, shortened when it is long.
        let long = "x".repeat(1000);
        let e = err(&long);
        let shown = e.message.render(Ja);
        assert!(shown.chars().count() < 200, "{shown}");
        assert_says("x × 1000", &e.message, &[(En, "…")]);
    }

    #[test]
    fn format_wareki_writes_the_era() {
        for (date, written) in [
            (d(2025, 6, 1), "令和7年6月1日"),
            (d(2019, 5, 1), "令和元年5月1日"),
            (d(2019, 4, 30), "平成31年4月30日"),
            (d(1989, 1, 8), "平成元年1月8日"),
            (d(1989, 1, 7), "昭和64年1月7日"),
            (d(1926, 12, 25), "昭和元年12月25日"),
            (d(1926, 12, 24), "1926年12月24日"),
            (d(2020, 1, 1), "令和2年1月1日"),
        ] {
            assert_eq!(format_wareki(date), written, "{date}");
        }
    }

    #[test]
    fn eras_know_their_days() {
        for (date, era) in [
            (d(2019, 5, 1), Some(Era::Reiwa)),
            (d(2019, 4, 30), Some(Era::Heisei)),
            (d(1989, 1, 8), Some(Era::Heisei)),
            (d(1989, 1, 7), Some(Era::Showa)),
            (d(1926, 12, 25), Some(Era::Showa)),
            (d(1926, 12, 24), None),
        ] {
            assert_eq!(Era::of(date), era, "{date}");
        }
        assert_eq!(Era::Showa.last_day(), Some(d(1989, 1, 7)));
        assert_eq!(Era::Heisei.last_day(), Some(d(2019, 4, 30)));
        assert_eq!(Era::Reiwa.last_day(), None);
        assert_eq!(Era::Reiwa.first_year(), 2019);
    }

    #[test]
    fn round_trip_through_wareki_every_week_from_1989_to_2030() {
        let mut date = d(1989, 1, 1);
        let last = d(2030, 12, 31);
        let mut count = 0;
        while date <= last {
            let written = format_wareki(date);
            assert_eq!(parse(&written), Ok(date), "{written}");
            date += chrono::Duration::days(7);
            count += 1;
        }
        assert!(count > 2000);
        // And every day around each change of era.
        for (from, to) in [
            ((1989, 1, 1), (1989, 1, 15)),
            ((2019, 4, 20), (2019, 5, 10)),
        ] {
            let mut date = d(from.0, from.1, from.2);
            while date <= d(to.0, to.1, to.2) {
                let written = format_wareki(date);
                assert_eq!(parse(&written), Ok(date), "{written}");
                date += chrono::Duration::days(1);
            }
        }
    }

    #[test]
    fn western_dates_before_showa_round_trip() {
        for date in [d(1000, 1, 1), d(1900, 2, 28), d(1926, 12, 24)] {
            assert_eq!(parse(&format_wareki(date)), Ok(date));
        }
        // The largest Western date reads back as a 令和 year of four digits.
        let last = d(9999, 12, 31);
        assert_eq!(parse("9999-12-31"), Ok(last));
        assert_eq!(format_wareki(last), "令和7981年12月31日");
        assert_eq!(parse(&format_wareki(last)), Ok(last));
    }

    fn number(section: u8, number: u8) -> ItemNumber {
        ItemNumber { section, number }
    }

    #[test]
    fn item_numbers_as_printed() {
        for text in [
            "2(7)",
            "２（７）",
            "2（7）",
            "2-(7)",
            "2－(7)",
            "2⑦",
            "2-⑦",
            "2⑺",
            "2-7",
            "２－７",
            " 2 ( 7 ) ",
            "2 - 7",
        ] {
            assert_eq!(parse_item_number(text), Ok(number(2, 7)), "{text:?}");
        }
        for (text, section, item) in [
            ("1(1)", 1, 1),
            ("2(13)", 2, 13),
            ("2⑬", 2, 13),
            ("2⑳", 2, 20),
            ("2㉑", 2, 21),
            ("2㊿", 2, 50),
            ("3(4)", 3, 4),
        ] {
            assert_eq!(
                parse_item_number(text),
                Ok(number(section, item)),
                "{text:?}"
            );
        }
        assert_eq!(number(2, 7).to_string(), "2(7)");
    }

    #[test]
    fn plain_numbers_read_as_the_general_parser_reads_them() {
        let samples = [
            "2(7)", "1(1)", "2(13)", "02(07)", "255(255)", "256(1)", "2(0)", "0(2)", "2()", "(7)",
            "2(7", "2(7))", "2((7)", "2(+7)", "2( 7)", "2(7) ", "2(-7)", "1000(1)", "2(1000)",
            "２(7)", "2(７)",
        ];
        for text in samples {
            let general = parse_item_number_inner(text).ok();
            assert_eq!(
                plain_item_number(text).or(general),
                general,
                "{text:?}: the fast path must never disagree"
            );
            assert_eq!(parse_item_number(text).ok(), general, "{text:?}");
        }
        assert_eq!(plain_item_number("2(7)"), Some(number(2, 7)));
        assert_eq!(plain_item_number("2⑦"), None, "left to the general parser");
    }

    #[test]
    fn item_number_refusals() {
        for text in [
            "",
            " ",
            "2",
            "(7)",
            "⑦",
            "27",
            "2 7",
            "2(7",
            "2()",
            "2(x)",
            "2(7))",
            "2(7) サーバ",
            "0(7)",
            "2(0)",
            "2(256)",
            "256(1)",
            "2(1000)",
            "2-",
            "2--7",
            "a(7)",
            "2(7)⑦",
        ] {
            let e = parse_item_number(text).expect_err(text);
            assert_eq!(e.field, "item_number");
            assert!(
                !e.message.render(Ja).is_empty() && !e.message.render(En).is_empty(),
                "{text:?}"
            );
        }
        for (text, parts) in [
            ("2(7", [(Ja, "閉じ括弧")]),
            ("2(0)", [(En, "cannot be 0")]),
            ("2(7) サーバー", [(Ja, "「サーバー」")]),
            ("27", [(En, "cannot be read")]),
        ] {
            let e = parse_item_number(text).expect_err(text);
            assert_says(text, &e.message, &parts);
        }
    }

    #[test]
    fn item_keys() {
        let key = parse_item_key("2-7-server").expect("valid key");
        assert_eq!(
            key,
            ItemKey {
                section: 2,
                number: 7,
                scope: Scope::Server
            }
        );
        assert_eq!(key.item_number(), number(2, 7));
        assert_eq!(key.to_string(), "2-7-server");
        for (text, scope) in [
            ("2-1-all", Scope::All),
            ("2-12-pc", Scope::Pc),
            ("2-13-network", Scope::Network),
            ("1-1", Scope::None),
            ("3-4", Scope::None),
        ] {
            let key = parse_item_key(text).expect(text);
            assert_eq!(key.scope, scope);
            assert_eq!(key.to_string(), text);
        }
    }

    #[test]
    fn item_key_refusals() {
        for text in [
            "",
            "2",
            "2-",
            "-7",
            "2-7-",
            "2-7-none",
            "2-7-Server",
            "2-7-servers",
            "2-7-server-pc",
            "02-7-server",
            "2-07-server",
            "+2-7",
            "2-+7",
            "2-0",
            "0-1",
            "2-256",
            " 2-7-server",
            "2-7-server ",
            "２-７-server",
            "2(7)",
        ] {
            let e = parse_item_key(text).expect_err(text);
            assert_eq!(e.field, "item_key");
            assert_says(text, &e.message, &[(Ja, "例: 2-7-server")]);
        }
        let e = parse_item_key("2-7-servers").expect_err("bad scope");
        assert_says("2-7-servers", &e.message, &[(En, "scope 'servers'")]);
    }
}
