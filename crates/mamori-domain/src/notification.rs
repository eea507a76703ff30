//! Notifications (お知らせ): which dates mamori tells people about, and when.
//!
//! A notification is due on a day for a subject (an answer's target date, …). The scheduler
//! covers the days since it last ran, so a pass after a pause catches up; what it finds is
//! written once per rule, subject, date and recipient, whoever runs the pass and however
//! often.

use chrono::{Days, NaiveDate};

crate::wire_enum! {
    /// Why a user is notified.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Rule {
        /// The target date (目標日) of an item answered いいえ is 30 days away.
        TargetIn30Days = "target_in_30_days",
        /// The target date is 7 days away.
        TargetIn7Days = "target_in_7_days",
        /// The target date is today.
        TargetToday,
        /// The target date has passed and the item is still not done: told once.
        TargetOverdue,
        /// An inspection (立入検査) of the institution was scheduled or moved: told in the
        /// transaction that sets the date, once per date.
        InspectionScheduled,
        /// An inspection's result was notified with 指導: improvement reports (改善報告) are
        /// awaited; told to the institution's admins with the result.
        ImprovementReportsAwaited,
        /// A new インシデントかも? case: told to the consultation desk at once.
        IncidentReported,
        /// The desk answered a case: told to the institution's admins and the reporter.
        IncidentReply,
    }
    parse(exact) -> Option;
}

impl Rule {
    /// The rules about an answer's target date, which the scheduler runs together.
    pub const TARGET_DATES: [Rule; 4] = [
        Rule::TargetIn30Days,
        Rule::TargetIn7Days,
        Rule::TargetToday,
        Rule::TargetOverdue,
    ];

    /// How many days before its date a notification of this rule is due (after, when
    /// negative).
    pub fn days_before(self) -> i64 {
        match self {
            Rule::TargetIn30Days => 30,
            Rule::TargetIn7Days => 7,
            Rule::TargetToday => 0,
            Rule::TargetOverdue => -1,
            // Told as it happens, not by the scheduler.
            Rule::InspectionScheduled
            | Rule::ImprovementReportsAwaited
            | Rule::IncidentReported
            | Rule::IncidentReply => 0,
        }
    }

    /// The dates whose notification of this rule falls due after `covered_through` and
    /// until `today`: `(after, through]`. `None` when none can (the days are covered).
    pub fn dates_due(
        self,
        covered_through: NaiveDate,
        today: NaiveDate,
    ) -> Option<(NaiveDate, NaiveDate)> {
        if today <= covered_through {
            return None;
        }
        let shift = |day: NaiveDate| {
            let n = self.days_before();
            if n >= 0 {
                day.checked_add_days(Days::new(n.unsigned_abs()))
            } else {
                day.checked_sub_days(Days::new(n.unsigned_abs()))
            }
        };
        Some((shift(covered_through)?, shift(today)?))
    }
}

/// The day a rule that has never run counts as covered through: the day before `today`, so
/// that a first pass tells what falls due today rather than notices of days gone by; except
/// the overdue notice, which a first pass gives once for every target date already passed.
pub fn first_covered_day(rule: Rule, today: NaiveDate) -> NaiveDate {
    match rule {
        // Before any checklist of the programme.
        Rule::TargetOverdue => NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today),
        _ => today.pred_opt().unwrap_or(today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn each_rule_covers_the_dates_its_days_before_point_to() {
        let (covered, today) = (day(2027, 3, 1), day(2027, 3, 3));
        assert_eq!(
            Rule::TargetIn30Days.dates_due(covered, today),
            Some((day(2027, 3, 31), day(2027, 4, 2)))
        );
        assert_eq!(
            Rule::TargetToday.dates_due(covered, today),
            Some((covered, today))
        );
        assert_eq!(
            Rule::TargetOverdue.dates_due(covered, today),
            Some((day(2027, 2, 28), day(2027, 3, 2)))
        );
    }

    #[test]
    fn a_covered_day_is_not_covered_again() {
        let today = day(2027, 3, 3);
        for rule in Rule::TARGET_DATES {
            assert_eq!(rule.dates_due(today, today), None);
            assert_eq!(rule.dates_due(day(2027, 3, 4), today), None);
        }
    }

    #[test]
    fn a_first_pass_tells_today_and_every_date_already_passed() {
        let today = day(2027, 3, 3);
        let first = |rule: Rule| rule.dates_due(first_covered_day(rule, today), today);
        assert_eq!(first(Rule::TargetToday), Some((day(2027, 3, 2), today)));
        assert_eq!(
            first(Rule::TargetIn7Days),
            Some((day(2027, 3, 9), day(2027, 3, 10)))
        );
        let (after, through) = first(Rule::TargetOverdue).expect("overdue dates");
        assert!(after < day(2020, 1, 1));
        assert_eq!(through, day(2027, 3, 2));
    }

    #[test]
    fn the_wire_names_read_back() {
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.as_str()), Some(rule));
        }
        assert_eq!(Rule::parse("target_in_30_days"), Some(Rule::TargetIn30Days));
    }
}
