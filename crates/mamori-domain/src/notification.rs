//! Notifications (お知らせ): which dates mamori tells people about, and when.
//!
//! A notification is due on a day for a subject (an answer's target date, …). The scheduler
//! covers the days since it last ran, so a pass after a pause catches up; what it finds is
//! written once per rule, subject, date and recipient, whoever runs the pass and however
//! often.

use chrono::{Days, NaiveDate};

use crate::{InstitutionKind, Role};

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
        /// The 確保事業 survey closes in 14 days and the hospital has not answered: told to
        /// its admins.
        SurveyDueIn14Days = "survey_due_in_14_days",
        /// The survey closes in 3 days and the hospital has not answered.
        SurveyDueIn3Days = "survey_due_in_3_days",
        /// The prefecture officer reminded the hospitals that have not answered the survey
        /// (on demand, at most once a day per hospital).
        SurveyReminder,
        /// The prefecture submitted its list: each applicant is told its result (selected,
        /// waitlisted or not eligible, with the reason).
        SurveyResult,
        /// An invitation to a vendor (事業者) ran its 14 days without being accepted: told to
        /// the institution's admins on the day it expires.
        VendorInvitationUnaccepted,
        /// A place in a training session (研修) was taken: a seat or the waitlist, with the
        /// session's date, time and venue or meeting link. Told to the institution's admins
        /// and whoever registered it, as are the training rules below.
        TrainingPlaceTaken,
        /// A waitlisted place moved into a seat.
        TrainingSeatOpened,
        /// The session's time or venue changed.
        TrainingSessionChanged,
        /// The session was withdrawn (中止).
        TrainingSessionWithdrawn,
        /// The session is tomorrow (seats only).
        TrainingTomorrow,
        /// The 確保事業 survey closed today and the prefecture has not submitted its list: told
        /// to its officers.
        SurveyClosedForOfficer,
        /// An inspection of an institution is 30 days away and a vendor it contracts has not
        /// started that year's 事業者確認用: told to the vendor's users.
        VendorFormDue,
        /// The same, told to the institution's admins.
        VendorFormAwaited,
        /// An inspection is 30 days away and items answered いいえ at the first check (1回目)
        /// whose target date falls before it have no second check (2回目): told to the
        /// institution's admins, who record it before the inspectors read the checklist.
        SecondCheckDue,
        /// An inspection is 30 days away and a vendor it contracts has delivered no MDS/SDS
        /// (医療情報セキュリティ開示書, item 2(3)): told to the vendor's users.
        MdsSdsDue,
        /// The same, told to the institution's admins.
        MdsSdsAwaited,
        /// A backup's last restore test (3(2) バックアップと復旧手順) is older than a year from
        /// today: told to the institution's admins.
        RestoreTestDue,
        /// A device in use reaches its end of support (サポート終了) within 90 days: told to
        /// the institution's admins, once per date.
        DeviceSupportEnding,
        /// An evidence (証跡) of a checklist item passed its 有効期限, or, without one, is a
        /// year old: told to the institution's admins on that day, once per evidence.
        EvidenceStale,
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

    /// The rules about the 確保事業 survey's deadline, which the scheduler runs together.
    pub const SURVEY_DEADLINES: [Rule; 2] = [Rule::SurveyDueIn14Days, Rule::SurveyDueIn3Days];

    /// How many days before its date a notification of this rule is due (after, when
    /// negative); `None` for the rules told in the transaction of the change that causes
    /// them, which the scheduler does not run.
    pub fn days_before(self) -> Option<i64> {
        match self {
            Rule::TargetIn30Days => Some(30),
            Rule::TargetIn7Days => Some(7),
            Rule::TargetToday => Some(0),
            Rule::TargetOverdue => Some(-1),
            Rule::SurveyDueIn14Days => Some(14),
            Rule::SurveyDueIn3Days => Some(3),
            Rule::VendorInvitationUnaccepted => Some(0),
            Rule::TrainingTomorrow => Some(1),
            Rule::SurveyClosedForOfficer => Some(0),
            Rule::VendorFormDue
            | Rule::VendorFormAwaited
            | Rule::SecondCheckDue
            | Rule::MdsSdsDue
            | Rule::MdsSdsAwaited => Some(30),
            Rule::RestoreTestDue => Some(0),
            Rule::DeviceSupportEnding => Some(DEVICE_SUPPORT_NOTICE_DAYS),
            Rule::EvidenceStale => Some(0),
            Rule::InspectionScheduled
            | Rule::ImprovementReportsAwaited
            | Rule::IncidentReported
            | Rule::IncidentReply
            | Rule::SurveyReminder
            | Rule::SurveyResult
            | Rule::TrainingPlaceTaken
            | Rule::TrainingSeatOpened
            | Rule::TrainingSessionChanged
            | Rule::TrainingSessionWithdrawn => None,
        }
    }

    /// The rules the scheduler runs, each over the days since it last ran.
    pub fn scheduled() -> impl Iterator<Item = Rule> {
        Rule::ALL
            .into_iter()
            .filter(|rule| rule.days_before().is_some())
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
        let n = self.days_before()?;
        let shift = |day: NaiveDate| {
            if n >= 0 {
                day.checked_add_days(Days::new(n.unsigned_abs()))
            } else {
                day.checked_sub_days(Days::new(n.unsigned_abs()))
            }
        };
        Some((shift(covered_through)?, shift(today)?))
    }
}

impl Rule {
    /// Whether a user of `role` (at an institution of `kind`, for institutions' users) can
    /// receive notifications of this rule: the settings offer a user only these. The
    /// 確保事業 survey is for hospitals.
    pub fn reaches(self, role: Role, kind: Option<InstitutionKind>) -> bool {
        let at_institution = matches!(role, Role::InstitutionAdmin | Role::InstitutionStaff);
        match self {
            Rule::IncidentReported => role == Role::SupportOperator,
            Rule::SurveyClosedForOfficer => role == Role::PrefectureOfficer,
            Rule::VendorFormDue | Rule::MdsSdsDue => role == Role::VendorUser,
            Rule::SurveyDueIn14Days
            | Rule::SurveyDueIn3Days
            | Rule::SurveyReminder
            | Rule::SurveyResult => {
                role == Role::InstitutionAdmin && kind == Some(InstitutionKind::Hospital)
            }
            Rule::IncidentReply
            | Rule::TrainingPlaceTaken
            | Rule::TrainingSeatOpened
            | Rule::TrainingSessionChanged
            | Rule::TrainingSessionWithdrawn
            | Rule::TrainingTomorrow => at_institution,
            Rule::TargetIn30Days
            | Rule::TargetIn7Days
            | Rule::TargetToday
            | Rule::TargetOverdue
            | Rule::InspectionScheduled
            | Rule::ImprovementReportsAwaited
            | Rule::VendorInvitationUnaccepted
            | Rule::VendorFormAwaited
            | Rule::SecondCheckDue
            | Rule::MdsSdsAwaited
            | Rule::RestoreTestDue
            | Rule::DeviceSupportEnding
            | Rule::EvidenceStale => role == Role::InstitutionAdmin,
        }
    }

    /// Whether this rule always goes by mail at once, whatever the recipient chose: a new
    /// インシデントかも? case waits for nobody.
    pub fn always_at_once(self) -> bool {
        self == Rule::IncidentReported
    }
}

crate::wire_enum! {
    /// How a user wants a kind of notification: each notification is in the app whatever
    /// they choose.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum Delivery {
        /// A mail for each, as soon as it is written.
        #[default]
        MailNow,
        /// One mail a day with those of the day before.
        DailyDigest,
        /// In the app only.
        InAppOnly = "in_app",
    }
    parse(exact) -> Option;
}

/// How many days ahead a device's end of support is told.
pub const DEVICE_SUPPORT_NOTICE_DAYS: i64 = 90;

/// How many times mamori tries to send a mail before it counts as failed (and is shown to
/// the national office).
pub const MAIL_ATTEMPTS: u32 = 5;

/// How long to wait after the failed attempt number `attempts` (1 for the first) before the
/// next: 1, 5, 30 and 120 minutes; `None` after the last attempt.
pub fn mail_retry_after(attempts: u32) -> Option<chrono::Duration> {
    let minutes = match attempts {
        1 => 1,
        2 => 5,
        3 => 30,
        4 => 120,
        _ => return None,
    };
    (attempts < MAIL_ATTEMPTS).then(|| chrono::Duration::minutes(minutes))
}

/// The day a rule that has never run counts as covered through: the day before `today`, so
/// that a first pass tells what falls due today rather than notices of days gone by; except
/// the overdue notice, the restore test a year old and stale evidence, which a first pass
/// gives once for every target date already passed and every test or evidence already old.
pub fn first_covered_day(rule: Rule, today: NaiveDate) -> NaiveDate {
    match rule {
        // Before any checklist of the programme.
        Rule::TargetOverdue | Rule::RestoreTestDue | Rule::EvidenceStale => {
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today)
        }
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
    fn failed_mail_is_tried_again_later_each_time_until_the_last_attempt() {
        let waits: Vec<_> = (1..=MAIL_ATTEMPTS).map(mail_retry_after).collect();
        assert_eq!(waits.last(), Some(&None));
        let minutes: Vec<i64> = waits.iter().flatten().map(|d| d.num_minutes()).collect();
        assert_eq!(minutes, [1, 5, 30, 120]);
    }

    #[test]
    fn each_kind_reaches_the_people_who_act_on_it() {
        let clinic = Some(InstitutionKind::ClinicWithoutBeds);
        assert!(Rule::TargetOverdue.reaches(Role::InstitutionAdmin, clinic));
        assert!(!Rule::TargetOverdue.reaches(Role::Inspector, None));
        assert!(Rule::IncidentReported.reaches(Role::SupportOperator, None));
        assert!(Rule::IncidentReply.reaches(Role::InstitutionStaff, clinic));
        assert!(Rule::MdsSdsDue.reaches(Role::VendorUser, None));
        // The 確保事業 survey is for hospitals.
        let hospital = Some(InstitutionKind::Hospital);
        assert!(Rule::SurveyReminder.reaches(Role::InstitutionAdmin, hospital));
        assert!(!Rule::SurveyReminder.reaches(Role::InstitutionAdmin, clinic));
        assert!(Rule::IncidentReported.always_at_once());
        assert_eq!(Delivery::parse("in_app"), Some(Delivery::InAppOnly));
        assert_eq!(Delivery::default().as_str(), "mail_now");
    }

    #[test]
    fn the_scheduler_runs_the_rules_with_a_date_and_no_other() {
        let scheduled: Vec<Rule> = Rule::scheduled().collect();
        assert!(scheduled.contains(&Rule::TargetOverdue));
        assert!(scheduled.contains(&Rule::DeviceSupportEnding));
        assert!(!scheduled.contains(&Rule::IncidentReported));
        assert_eq!(
            Rule::IncidentReported.dates_due(day(2027, 3, 1), day(2027, 3, 3)),
            None
        );
    }

    #[test]
    fn the_wire_names_read_back() {
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.as_str()), Some(rule));
        }
        assert_eq!(Rule::parse("target_in_30_days"), Some(Rule::TargetIn30Days));
    }
}
