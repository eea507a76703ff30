//! Each user's calendar feed (.ics): the dates of the programme that concern them, at a
//! secret address they can renew. An institution's users get its open target dates (目標日),
//! its inspections, the 確保事業 survey's deadline (a hospital) and its training sessions;
//! inspectors and prefecture officers the inspections of their prefecture; everyone else an
//! empty calendar.

use chrono::{NaiveDate, NaiveTime};
use mamori_domain::{FiscalYear, InstitutionKind, Role, bilingual};
use mamori_locale::Message;
use mamori_store::{CalendarRow, User};

use crate::{App, Error};

/// One date of a feed.
#[derive(Debug, Clone)]
pub struct FeedDate {
    /// Stable across feeds, so a calendar updates the event rather than adding it again.
    pub uid: String,
    pub date: NaiveDate,
    pub starts_at: Option<NaiveTime>,
    pub summary: Message,
    pub description: Message,
    /// Where to act on this server.
    pub path: String,
}

/// The user's feed token, made on first use.
pub async fn feed_token(app: &App, user_id: i64) -> Result<String, Error> {
    match app.store.calendar_token(user_id).await? {
        Some(token) => Ok(token),
        None => renew_feed_token(app, user_id).await,
    }
}

/// A new feed token for the user: the old address stops working.
pub async fn renew_feed_token(app: &App, user_id: i64) -> Result<String, Error> {
    let token = crate::tokens::new_token();
    app.store.set_calendar_token(user_id, &token).await?;
    Ok(token)
}

/// The user a feed token opens; `None` for a token that is unknown or was renewed.
pub async fn feed_owner(app: &App, token: &str) -> Result<Option<User>, Error> {
    // Tokens are URL-safe: anything else names no feed, without asking the database.
    if token.is_empty()
        || token.len() > 128
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    Ok(app.store.user_by_calendar_token(token).await?)
}

/// The dates of the user's feed, by date.
pub async fn feed(app: &App, user: &User) -> Result<Vec<FeedDate>, Error> {
    let rows = match (user.institution_id, user.role, user.prefecture) {
        (Some(id), Role::InstitutionAdmin | Role::InstitutionStaff, _) => {
            app.store.institution_calendar(id).await?
        }
        (_, Role::Inspector, Some(prefecture)) => {
            app.store.prefecture_inspection_calendar(prefecture).await?
        }
        (_, Role::PrefectureOfficer, Some(prefecture)) => {
            let mut rows = app.store.prefecture_inspection_calendar(prefecture).await?;
            rows.extend(app.store.survey_close_calendar(prefecture).await?);
            rows.sort_by(|a, b| a.on_date.cmp(&b.on_date));
            rows
        }
        (_, Role::VendorUser, _) => app.store.vendor_inspection_calendar(user.id).await?,
        _ => Vec::new(),
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| feed_date(app, row))
        .collect())
}

fn feed_date(app: &App, row: CalendarRow) -> Option<FeedDate> {
    let date = NaiveDate::parse_from_str(&row.on_date, "%Y-%m-%d").ok()?;
    let starts_at = row
        .starts_at
        .as_deref()
        .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
    if let ("training", Some(session), Some(participant)) =
        (row.kind.as_str(), row.ref_id, row.item_key.as_deref())
    {
        let course = bilingual(
            row.title_ja.clone().unwrap_or_default(),
            row.title_en.clone().unwrap_or_default(),
        );
        return Some(FeedDate {
            uid: format!(
                "training-{session}-{}-{}@mamori",
                row.institution_id,
                participant.replace(char::is_whitespace, "")
            ),
            date,
            starts_at,
            summary: Message::new("notifications-calendar-training")
                .with("course", course)
                .with("participant", participant),
            description: Message::new("notifications-calendar-training-about")
                .with("institution", &row.institution_name),
            path: format!("/training/sessions/{session}"),
        });
    }
    // An evidence going stale: its item's evidence page.
    if let ("evidence_stale", Some(evidence), Some(key)) =
        (row.kind.as_str(), row.ref_id, row.item_key.as_deref())
    {
        return Some(FeedDate {
            uid: format!("evidence-{evidence}@mamori"),
            date,
            starts_at: None,
            summary: Message::new("notifications-calendar-evidence-stale")
                .with("title", row.title_ja.clone().unwrap_or_default()),
            description: bilingual(row.institution_name.clone(), row.institution_name.clone()),
            path: format!(
                "/institutions/{}/checklist/{}/items/{key}/evidence",
                row.institution_id, row.fiscal_year
            ),
        });
    }
    // The institution's upkeep, in no fiscal year.
    let upkeep = match row.kind.as_str() {
        "restore_test" => Some((
            "restore-test",
            "notifications-calendar-restore-test",
            "continuity",
        )),
        "support_end" => Some((
            "support-end",
            "notifications-calendar-support-end",
            "ledger",
        )),
        _ => None,
    };
    if let Some((uid, summary, page)) = upkeep {
        return Some(FeedDate {
            uid: format!("{uid}-{}@mamori", row.institution_id),
            date,
            starts_at: None,
            summary: Message::new(summary),
            description: bilingual(row.institution_name.clone(), row.institution_name.clone()),
            path: format!("/institutions/{}/{page}", row.institution_id),
        });
    }
    let fiscal_year = FiscalYear::new(i32::try_from(row.fiscal_year).ok()?).ok()?;
    let about = Message::new("notifications-about")
        .with("institution", &row.institution_name)
        .with(
            "year",
            bilingual(fiscal_year.label_ja(), fiscal_year.label_en()),
        );
    let year = fiscal_year.start_year();
    match (row.kind.as_str(), row.item_key) {
        // The officer's: the prefecture's list is due.
        ("survey_close", Some(prefecture)) => {
            let name = mamori_domain::Prefecture::parse(&prefecture)
                .map(|p| bilingual(p.name_ja(), p.name_en()))
                .unwrap_or_else(|_| bilingual(prefecture.clone(), prefecture.clone()));
            Some(FeedDate {
                uid: format!("survey-close-{prefecture}-{year}@mamori"),
                date,
                starts_at: None,
                summary: Message::new("notifications-calendar-survey-close")
                    .with("prefecture", name),
                description: bilingual(fiscal_year.label_ja(), fiscal_year.label_en()),
                path: format!("/assurance/{year}/prefectures/{prefecture}"),
            })
        }
        // The vendor's: an institution it serves is inspected; its form and MDS/SDS are due
        // 30 days before.
        ("vendor_inspection", _) => row.ref_id.map(|contract| FeedDate {
            uid: format!("vendor-inspection-{contract}-{year}@mamori"),
            date,
            starts_at,
            summary: Message::new("notifications-calendar-vendor-inspection")
                .with("institution", &row.institution_name),
            description: about.clone(),
            path: format!("/vendor/contracts/{contract}/{year}"),
        }),
        ("target", Some(key)) => {
            let item = InstitutionKind::parse(&row.institution_kind)
                .ok()
                .and_then(|kind| app.catalog.version_for(fiscal_year, kind.form()))
                .and_then(|version| version.item(&key))
                .map(|item| bilingual(item.label_ja(), item.label_en()))
                .unwrap_or_else(|| bilingual(key.clone(), key.clone()));
            Some(FeedDate {
                uid: format!("target-{}-{year}-{key}@mamori", row.institution_id),
                date,
                starts_at: None,
                summary: Message::new("notifications-calendar-target").with("item", item),
                description: about,
                path: format!(
                    "/institutions/{}/checklist/{year}#item-{key}",
                    row.institution_id
                ),
            })
        }
        ("survey", _) => Some(FeedDate {
            uid: format!("survey-{}-{year}@mamori", row.institution_id),
            date,
            starts_at: None,
            summary: Message::new("notifications-calendar-survey"),
            description: about,
            path: format!("/assurance/{year}/institutions/{}", row.institution_id),
        }),
        ("inspection", _) => Some(FeedDate {
            uid: format!("inspection-{}-{year}@mamori", row.institution_id),
            date,
            starts_at,
            summary: Message::new("notifications-calendar-inspection")
                .with("institution", &row.institution_name),
            description: about,
            path: format!(
                "/institutions/{}/inspection/{year}/follow-up",
                row.institution_id
            ),
        }),
        _ => None,
    }
}
