//! 年度: the Japanese fiscal year, April to March, named by the calendar year it starts in,
//! and shown in the 令和 era as people write it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::ParseError;

/// A fiscal year (年度), from 1 April of `start_year` to 31 March of the next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FiscalYear(i32);

/// 令和元年 is 2019.
const REIWA_FIRST_YEAR: i32 = 2019;
/// 平成元年 is 1989.
const HEISEI_FIRST_YEAR: i32 = 1989;

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

    /// The era name and year: ("令和", 7) for 2025.
    pub fn era(self) -> (&'static str, &'static str, i32) {
        if self.0 >= REIWA_FIRST_YEAR {
            ("令和", "Reiwa", self.0 - REIWA_FIRST_YEAR + 1)
        } else {
            ("平成", "Heisei", self.0 - HEISEI_FIRST_YEAR + 1)
        }
    }

    /// 令和7年度; the first year of an era is written 元年.
    pub fn era_label_ja(self) -> String {
        let (era, _, n) = self.era();
        if n == 1 {
            format!("{era}元年度")
        } else {
            format!("{era}{n}年度")
        }
    }

    /// 令和7年度 (2025年度), as the issue forms and the inspection guide write it.
    pub fn label_ja(self) -> String {
        format!("{} ({}年度)", self.era_label_ja(), self.0)
    }

    /// FY2025 (Reiwa 7)
    pub fn label_en(self) -> String {
        let (_, era, n) = self.era();
        format!("FY{} ({era} {n})", self.0)
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

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

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
