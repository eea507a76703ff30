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
use mamori_store::StoredNotification;

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
    for rule in Rule::TARGET_DATES {
        let covered = app
            .store
            .scheduler_covered_through(rule)
            .await?
            .unwrap_or_else(|| first_covered_day(rule, today));
        let Some(dates) = rule.dates_due(covered, today) else {
            continue;
        };
        let n = app.store.notify_target_dates(rule, dates, today).await?;
        report.written.push((rule, n));
    }
    Ok(report)
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

/// A day in both languages, as a message argument: 令和9年3月31日 / 31 March 2027.
fn day(date: NaiveDate) -> Message {
    bilingual(
        mamori_domain::wareki::format_wareki(date),
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

fn view(app: &App, row: StoredNotification) -> Result<Notification, Error> {
    let rule = row.rule()?;
    let title = Message::new(title_key(rule)).with("date", day(row.on_date()?));
    let title = match rule {
        Rule::InspectionScheduled
        | Rule::ImprovementReportsAwaited
        | Rule::IncidentReported
        | Rule::IncidentReply => title.with(
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
    app.store
        .notifications_of(user_id, unread_only)
        .await?
        .into_iter()
        .map(|row| view(app, row))
        .collect()
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
    let link = view(app, row)?.link;
    mark_read(app, user_id, id).await?;
    Ok(link)
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(app: &App, user_id: i64) -> Result<u64, Error> {
    Ok(app.store.mark_all_notifications_read(user_id).await?)
}
