//! Notifications (お知らせ): the scheduler's pass that writes what falls due, and what a
//! user reads of theirs (those the store writes with a change, such as an inspection's
//! date, included).
//!
//! The pass takes the day as an argument (the server gives Japan's today; the tests move it):
//! each rule covers the days since it last ran, so a pause is caught up and a second pass on
//! the same day reads nothing. The store writes each notification once per rule, subject,
//! date and recipient, so two servers or a re-run never notify twice.

use chrono::NaiveDate;
use mamori_domain::notification::{Rule, first_covered_day};
use mamori_domain::{FiscalYear, InstitutionKind, bilingual};
use mamori_locale::Message;
use mamori_store::{StoredNotification, TrainingPlace};

use crate::{App, Error};

/// What one pass wrote, rule by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub written: Vec<(Rule, u64)>,
}

impl PassReport {
    pub fn total(&self) -> u64 {
        self.written.iter().map(|(_, n)| n).sum()
    }
}

/// Runs every rule of the scheduler up to `today` (Japan's day).
pub async fn run_scheduler(app: &App, today: NaiveDate) -> Result<PassReport, Error> {
    let mut report = PassReport::default();
    for rule in Rule::scheduled() {
        let covered = app
            .store
            .scheduler_covered_through(rule)
            .await?
            .unwrap_or_else(|| first_covered_day(rule, today));
        let Some(mut dates) = rule.dates_due(covered, today) else {
            continue;
        };
        if rule == Rule::DeviceSupportEnding {
            // Every end of support within the notice's days, not only the days that came
            // into it since the last pass: a device entered with its end 60 days away is
            // told too (once per day of end, as every notice).
            dates.0 = today;
        }
        let store = &app.store;
        let n = match rule {
            Rule::SurveyDueIn14Days | Rule::SurveyDueIn3Days => {
                store.notify_survey_deadlines(rule, dates, today).await?
            }
            Rule::VendorInvitationUnaccepted => {
                store
                    .notify_unaccepted_invitations(rule, dates, today)
                    .await?
            }
            Rule::TrainingTomorrow => store.notify_sessions_ahead(rule, dates, today).await?,
            Rule::SurveyClosedForOfficer => store.notify_survey_closed(rule, dates, today).await?,
            Rule::VendorFormDue
            | Rule::VendorFormAwaited
            | Rule::MdsSdsDue
            | Rule::MdsSdsAwaited => store.notify_vendor_forms_due(rule, dates, today).await?,
            Rule::SecondCheckDue => store.notify_second_checks(rule, dates, today).await?,
            Rule::RestoreTestDue | Rule::DeviceSupportEnding => {
                store.notify_institution_days(rule, dates, today).await?
            }
            Rule::EvidenceStale => store.notify_stale_evidence(rule, dates, today).await?,
            Rule::TargetIn30Days
            | Rule::TargetIn7Days
            | Rule::TargetToday
            | Rule::TargetOverdue => store.notify_target_dates(rule, dates, today).await?,
            // Told in the transaction of the change that causes them, never scheduled.
            Rule::InspectionScheduled
            | Rule::ImprovementReportsAwaited
            | Rule::IncidentReported
            | Rule::IncidentReply
            | Rule::SurveyReminder
            | Rule::SurveyResult
            | Rule::TrainingPlaceTaken
            | Rule::TrainingSeatOpened
            | Rule::TrainingSessionChanged
            | Rule::TrainingSessionWithdrawn => 0,
        };
        report.written.push((rule, n));
    }
    Ok(report)
}

/// The lease that lets one server at a time run the passes, and how long it is held.
const PASS_LEASE: &str = "notification-pass";
const PASS_LEASE_FOR: chrono::Duration = chrono::Duration::minutes(5);

/// Takes (or keeps) the passes' lease for `holder` at `now`: `false` while another server
/// holds it; a holder that stops leaves it to another once it runs out.
pub async fn take_pass_lease(
    app: &App,
    holder: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, Error> {
    use crate::time::stamp;
    Ok(app
        .store
        .take_lease(
            PASS_LEASE,
            holder,
            &stamp(now),
            &stamp(now + PASS_LEASE_FOR),
        )
        .await?)
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub rule: Rule,
    /// What happened, with the item and its date.
    pub title: Message,
    /// The institution and fiscal year it is about.
    pub about: Option<Message>,
    /// Where to act: the item on the institution's checklist.
    pub link: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A day in both languages, as a message argument: 令和9年（2027年）3月31日 / 31 March 2027.
pub(crate) fn day(date: NaiveDate) -> Message {
    bilingual(
        mamori_domain::wareki::format_wareki_with_western_year(date),
        date.format("%-d %B %Y").to_string(),
    )
}

fn title_key(rule: Rule) -> &'static str {
    match rule {
        Rule::TargetIn30Days => "notifications-rule-target-in-30-days",
        Rule::TargetIn7Days => "notifications-rule-target-in-7-days",
        Rule::TargetToday => "notifications-rule-target-today",
        Rule::TargetOverdue => "notifications-rule-target-overdue",
        Rule::InspectionScheduled => "notifications-rule-inspection-scheduled",
        Rule::ImprovementReportsAwaited => "notifications-rule-improvement-reports-awaited",
        Rule::IncidentReported => "notifications-rule-incident-reported",
        Rule::IncidentReply => "notifications-rule-incident-reply",
        Rule::SurveyDueIn14Days => "notifications-rule-survey-due-in-14-days",
        Rule::SurveyDueIn3Days => "notifications-rule-survey-due-in-3-days",
        Rule::SurveyReminder => "notifications-rule-survey-reminder",
        Rule::SurveyResult => "notifications-rule-survey-result-unknown",
        Rule::VendorInvitationUnaccepted => "notifications-rule-vendor-invitation-unaccepted",
        // A place that no longer exists: the training list.
        Rule::TrainingPlaceTaken
        | Rule::TrainingSeatOpened
        | Rule::TrainingSessionChanged
        | Rule::TrainingSessionWithdrawn
        | Rule::TrainingTomorrow => "notifications-rule-training-unknown",
        Rule::SurveyClosedForOfficer => "notifications-rule-survey-closed-for-officer",
        Rule::VendorFormDue => "notifications-rule-vendor-form-due",
        Rule::VendorFormAwaited => "notifications-rule-vendor-form-awaited",
        Rule::SecondCheckDue => "notifications-rule-second-check-due",
        Rule::MdsSdsDue => "notifications-rule-mds-sds-due",
        Rule::MdsSdsAwaited => "notifications-rule-mds-sds-awaited",
        Rule::RestoreTestDue => "notifications-rule-restore-test-due",
        Rule::DeviceSupportEnding => "notifications-rule-device-support-ending",
        Rule::EvidenceStale => "notifications-rule-evidence-stale",
    }
}

/// The item's label in the checklist the institution answers that year (its key where the
/// catalog has none).
fn item_label(app: &App, row: &StoredNotification) -> Message {
    let key = row.item_key.clone().unwrap_or_default();
    let item = row
        .institution_kind
        .as_deref()
        .and_then(|k| InstitutionKind::parse(k).ok())
        .zip(row.fiscal_year.and_then(|y| i32::try_from(y).ok()))
        .and_then(|(kind, year)| {
            let fy = FiscalYear::new(year).ok()?;
            app.catalog.version_for(fy, kind.form())?.item(&key)
        });
    match item {
        Some(item) => bilingual(item.label_ja(), item.label_en()),
        None => bilingual(key.clone(), key),
    }
}

/// A notification as its recipient sees it, with the training place it is about read now
/// (the session's time and venue as they stand).
pub(crate) async fn view(app: &App, row: StoredNotification) -> Result<Notification, Error> {
    let place = match row.subject.strip_prefix("training:") {
        Some(rest) => match rest.split(':').next().and_then(|id| id.parse::<i64>().ok()) {
            Some(id) => app.store.training_place(id).await?,
            None => None,
        },
        None => None,
    };
    view_of(app, row, place.as_ref())
}

/// The vendor's name and contract of a vendor-form notice (kept as `name|contract`).
fn vendor_of(row: &StoredNotification) -> (String, Option<i64>) {
    let detail = row.detail.as_deref().unwrap_or_default();
    match detail.rsplit_once('|') {
        Some((name, id)) => (name.to_owned(), id.parse().ok()),
        None => (detail.to_owned(), None),
    }
}

/// The title of a training notice: the course, when and where, who (and whether a seat or
/// the waitlist, for a place taken).
fn training_title(rule: Rule, place: &TrainingPlace) -> Message {
    let key = match rule {
        Rule::TrainingPlaceTaken if place.status == "waitlisted" => {
            "notifications-rule-training-waitlisted"
        }
        Rule::TrainingPlaceTaken => "notifications-rule-training-place-taken",
        Rule::TrainingSeatOpened => "notifications-rule-training-seat-opened",
        Rule::TrainingSessionChanged => "notifications-rule-training-session-changed",
        Rule::TrainingSessionWithdrawn => "notifications-rule-training-session-withdrawn",
        _ => "notifications-rule-training-tomorrow",
    };
    let time = |text: &str| text.get(11..16).unwrap_or_default().to_owned();
    let date = NaiveDate::parse_from_str(place.starts_at.get(..10).unwrap_or_default(), "%Y-%m-%d")
        .map(day)
        .unwrap_or_else(|_| bilingual(place.starts_at.clone(), place.starts_at.clone()));
    Message::new(key)
        .with(
            "course",
            bilingual(place.title_ja.clone(), place.title_en.clone()),
        )
        .with("date", date)
        .with("from", time(&place.starts_at))
        .with("until", time(&place.ends_at))
        .with("venue", place.venue.clone())
        .with("participant", place.participant_name.clone())
}

fn view_of(
    app: &App,
    row: StoredNotification,
    place: Option<&TrainingPlace>,
) -> Result<Notification, Error> {
    let rule = row.rule()?;
    let title = match (rule, place) {
        (Rule::SurveyResult, _) => crate::survey_notices::result_title(row.detail.as_deref()),
        (
            Rule::TrainingPlaceTaken
            | Rule::TrainingSeatOpened
            | Rule::TrainingSessionChanged
            | Rule::TrainingSessionWithdrawn
            | Rule::TrainingTomorrow,
            Some(place),
        ) => training_title(rule, place),
        _ => Message::new(title_key(rule)),
    }
    .with("date", day(row.on_date()?));
    let title = match rule {
        Rule::InspectionScheduled
        | Rule::ImprovementReportsAwaited
        | Rule::IncidentReported
        | Rule::IncidentReply
        | Rule::SurveyDueIn14Days
        | Rule::SurveyDueIn3Days
        | Rule::SurveyReminder
        | Rule::SurveyResult => title.with(
            "institution",
            row.institution_name.clone().unwrap_or_default(),
        ),
        Rule::VendorInvitationUnaccepted => title
            .with(
                "institution",
                row.institution_name.clone().unwrap_or_default(),
            )
            .with("vendor", row.detail.clone().unwrap_or_default()),
        Rule::TrainingPlaceTaken
        | Rule::TrainingSeatOpened
        | Rule::TrainingSessionChanged
        | Rule::TrainingSessionWithdrawn
        | Rule::TrainingTomorrow => title,
        Rule::SurveyClosedForOfficer => title.with(
            "prefecture",
            row.detail
                .as_deref()
                .and_then(|code| mamori_domain::Prefecture::parse(code).ok())
                .map(|p| bilingual(p.name_ja(), p.name_en()))
                .unwrap_or_else(|| bilingual(String::new(), String::new())),
        ),
        Rule::VendorFormDue | Rule::VendorFormAwaited | Rule::MdsSdsDue | Rule::MdsSdsAwaited => {
            title
                .with(
                    "institution",
                    row.institution_name.clone().unwrap_or_default(),
                )
                .with("vendor", vendor_of(&row).0)
        }
        Rule::SecondCheckDue => title
            .with(
                "institution",
                row.institution_name.clone().unwrap_or_default(),
            )
            .with(
                "count",
                row.detail
                    .as_deref()
                    .and_then(|n| n.parse::<i64>().ok())
                    .unwrap_or_default(),
            ),
        Rule::RestoreTestDue | Rule::DeviceSupportEnding => title.with(
            "institution",
            row.institution_name.clone().unwrap_or_default(),
        ),
        Rule::EvidenceStale => title
            .with("item", item_label(app, &row))
            .with("title", row.detail.clone().unwrap_or_default())
            .with(
                "institution",
                row.institution_name.clone().unwrap_or_default(),
            ),
        _ => title.with("item", item_label(app, &row)),
    };
    let fiscal_year = row
        .fiscal_year
        .and_then(|y| i32::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok());
    let about = row
        .institution_name
        .as_ref()
        .zip(fiscal_year)
        .map(|(name, fy)| {
            Message::new("notifications-about")
                .with("institution", name)
                .with("year", bilingual(fy.label_ja(), fy.label_en()))
        });
    // A case's page for the インシデントかも? desk and its reporters; otherwise the checklist of
    // the year, at the item where there is one (the institution sees its inspection's date
    // there too).
    let case = row
        .subject
        .strip_prefix("incident:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse::<i64>().ok());
    let link = match (rule, case) {
        (Rule::IncidentReported | Rule::IncidentReply, Some(case)) => {
            Some(format!("/incidents/{case}"))
        }
        // The hospital's survey form of the programme year.
        (
            Rule::SurveyDueIn14Days
            | Rule::SurveyDueIn3Days
            | Rule::SurveyReminder
            | Rule::SurveyResult,
            _,
        ) => row
            .institution_id
            .zip(fiscal_year)
            .map(|(id, fy)| format!("/assurance/{}/institutions/{id}", fy.start_year())),
        // The session's page, with its time, venue and the institution's places.
        (
            Rule::TrainingPlaceTaken
            | Rule::TrainingSeatOpened
            | Rule::TrainingSessionChanged
            | Rule::TrainingSessionWithdrawn
            | Rule::TrainingTomorrow,
            _,
        ) => Some(
            place
                .map(|p| format!("/training/sessions/{}", p.session_id))
                .unwrap_or_else(|| "/training".to_owned()),
        ),
        // The prefecture's list of the programme year.
        (Rule::SurveyClosedForOfficer, _) => row
            .detail
            .as_deref()
            .zip(fiscal_year)
            .map(|(p, fy)| format!("/assurance/{}/prefectures/{p}", fy.start_year())),
        // The vendor's form of the year; the institution's vendors.
        (Rule::VendorFormDue | Rule::MdsSdsDue, _) => {
            let anchor = if rule == Rule::MdsSdsDue {
                "#deliveries"
            } else {
                ""
            };
            vendor_of(&row)
                .1
                .zip(fiscal_year)
                .map(|(c, fy)| format!("/vendor/contracts/{c}/{}{anchor}", fy.start_year()))
        }
        (Rule::VendorFormAwaited | Rule::MdsSdsAwaited, _) => row
            .institution_id
            .map(|id| format!("/institutions/{id}/vendors")),
        // The backup and BCP records, where the test is recorded.
        (Rule::RestoreTestDue, _) => row
            .institution_id
            .map(|id| format!("/institutions/{id}/continuity")),
        // The item's evidence page, where it is replaced.
        (Rule::EvidenceStale, _) => row
            .institution_id
            .zip(fiscal_year)
            .zip(row.item_key.as_ref())
            .map(|((id, fy), key)| {
                format!(
                    "/institutions/{id}/checklist/{}/items/{key}/evidence",
                    fy.start_year()
                )
            }),
        // The device ledger, with each device's flags.
        (Rule::DeviceSupportEnding, _) => row
            .institution_id
            .map(|id| format!("/institutions/{id}/ledger")),
        // The institution's vendors, where it invites again.
        (Rule::VendorInvitationUnaccepted, _) => row
            .institution_id
            .map(|id| format!("/institutions/{id}/vendors")),
        _ => None,
    };
    let link = link.or_else(|| {
        row.institution_id.zip(fiscal_year).map(|(id, fy)| {
            let anchor = row
                .item_key
                .as_deref()
                .map(|k| format!("#item-{k}"))
                .unwrap_or_default();
            format!("/institutions/{id}/checklist/{}{anchor}", fy.start_year())
        })
    });
    Ok(Notification {
        id: row.id,
        rule,
        title,
        about,
        link,
        created_at: row.created_at,
        read_at: row.read_at,
    })
}

/// The caller's notifications, newest first (the unread ones only with `unread_only`).
pub async fn notifications(
    app: &App,
    user_id: i64,
    unread_only: bool,
) -> Result<Vec<Notification>, Error> {
    let rows = app.store.notifications_of(user_id, unread_only).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.push(view(app, row).await?);
    }
    Ok(list)
}

/// How many of the caller's notifications are unread.
pub async fn unread(app: &App, user_id: i64) -> Result<i64, Error> {
    Ok(app.store.unread_notifications(user_id).await?)
}

/// Marks one of the caller's notifications read; another user's is not found.
pub async fn mark_read(app: &App, user_id: i64, id: i64) -> Result<(), Error> {
    if app.store.mark_notification_read(user_id, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Opens one of the caller's notifications: marks it read and gives where it asks to act
/// (`None` when nowhere); another user's is not found.
pub async fn open(app: &App, user_id: i64, id: i64) -> Result<Option<String>, Error> {
    let row = app
        .store
        .notification_of(user_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let link = view(app, row).await?.link;
    mark_read(app, user_id, id).await?;
    Ok(link)
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(app: &App, user_id: i64) -> Result<u64, Error> {
    Ok(app.store.mark_all_notifications_read(user_id).await?)
}
