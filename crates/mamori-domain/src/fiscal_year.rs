//! 年度: the Japanese fiscal year, April to March, named by the calendar year it starts in,
//! and shown in the 令和 era as people write it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::wareki::Era;
use crate::{Lang, Message, ParseError};

/// A fiscal year (年度), from 1 April of `start_year` to 31 March of the next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FiscalYear(i32);

/// 令和元年 is 2019.
const REIWA_FIRST_YEAR: i32 = 2019;

impl FiscalYear {
    pub const MIN: i32 = 2000;
    pub const MAX: i32 = 2100;

    pub fn new(start_year: i32) -> Result<Self, ParseError> {
        if (Self::MIN..=Self::MAX).contains(&start_year) {
            Ok(Self(start_year))
        } else {
            Err(ParseError::new(
                "fiscal_year",
                mamori_locale::Message::new("domain-parse-fiscal-year-out-range")
                    .with("start-year", crate::arg(start_year))
                    .with("min", crate::arg(Self::MIN))
                    .with("max", crate::arg(Self::MAX)),
            ))
        }
    }

    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let t = text.trim();
        let digits = t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit());
        let year: i32 = digits.then(|| t.parse().ok()).flatten().ok_or_else(|| {
            ParseError::new(
                "fiscal_year",
                mamori_locale::Message::new("domain-parse-fiscal-year-four-digit")
                    .with("text", crate::arg(text)),
            )
        })?;
        Self::new(year)
    }

    /// The fiscal year a date falls in: January to March belong to the previous year's 年度.
    pub fn containing(date: NaiveDate) -> Self {
        let year = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        Self(year)
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    pub fn previous(self) -> Self {
        Self(self.0 - 1)
    }

    /// The era name and year: ("令和", "Reiwa", 7) for 2025.
    pub fn era(self) -> (&'static str, &'static str, i32) {
        let era = if self.0 >= REIWA_FIRST_YEAR {
            Era::Reiwa
        } else {
            Era::Heisei
        };
        (era.name_ja(), era.name_en(), self.0 - era.first_year() + 1)
    }

    /// 令和7年度 (Reiwa 7); the first year of an era is written 元年.
    pub fn era_label(self) -> Message {
        let (ja, en, n) = self.era();
        Message::new("domain-labels-fiscal-year-era")
            .with("era", crate::bilingual(ja, en))
            .with("n", n)
    }

    pub fn era_label_ja(self) -> String {
        self.era_label().render(Lang::Ja)
    }

    /// 令和7年度 (2025年度) as the issue forms and the inspection guide write it; FY2025
    /// (Reiwa 7) in English.
    pub fn label(self) -> Message {
        Message::new("domain-labels-fiscal-year")
            .with("era-year", self.era_label())
            .with("year", crate::arg(self.0))
    }

    pub fn label_ja(self) -> String {
        self.label().render(Lang::Ja)
    }

    pub fn label_en(self) -> String {
        self.label().render(Lang::En)
    }
}

impl std::fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::date;

    #[test]
    fn fiscal_year_starts_in_april() {
        assert_eq!(FiscalYear::containing(date(2025, 4, 1)).start_year(), 2025);
        assert_eq!(FiscalYear::containing(date(2026, 3, 31)).start_year(), 2025);
        assert_eq!(FiscalYear::containing(date(2026, 1, 15)).start_year(), 2025);
        assert_eq!(FiscalYear::containing(date(2025, 3, 31)).start_year(), 2024);
    }

    #[test]
    fn reiwa_labels() {
        assert_eq!(
            FiscalYear::new(2025).expect("valid").label_ja(),
            "令和7年度 (2025年度)"
        );
        assert_eq!(
            FiscalYear::new(2019).expect("valid").era_label_ja(),
            "令和元年度"
        );
        assert_eq!(
            FiscalYear::new(2018).expect("valid").era_label_ja(),
            "平成30年度"
        );
        assert_eq!(
            FiscalYear::new(2023).expect("valid").label_en(),
            "FY2023 (Reiwa 5)"
        );
    }

    #[test]
    fn bounds_and_parsing() {
        assert!(FiscalYear::new(1999).is_err());
        assert!(FiscalYear::parse("20x5").is_err());
        assert!(FiscalYear::parse("+2025").is_err());
        assert!(FiscalYear::parse("02025").is_err());
        assert_eq!(
            FiscalYear::parse(" 2024 ").expect("valid").start_year(),
            2024
        );
        let fy = FiscalYear::new(2024).expect("valid");
        assert!(fy.contains(date(2025, 3, 31)));
        assert!(!fy.contains(date(2025, 4, 1)));
        assert_eq!(fy.last_day(), date(2025, 3, 31));
    }
}
