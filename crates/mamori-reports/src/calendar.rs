//! A user's calendar feed (iCalendar, RFC 5545): the dates of the programme that concern
//! them, each an event that Outlook, Google Calendar and Apple Calendar show once
//! subscribed. Every event keeps one UID across feeds, so a calendar that reads the feed
//! again updates an event instead of adding it twice.

use chrono::{NaiveDate, NaiveTime};
use icalendar::{Calendar, Component, Event, EventLike};

/// One date in a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Stable across feeds (`target-1-2026-2-3-all@mamori`).
    pub uid: String,
    pub date: NaiveDate,
    /// A time of day (Japan time), or an all-day event without one.
    pub starts_at: Option<NaiveTime>,
    pub summary: String,
    pub description: String,
    /// Where to act, as a full URL.
    pub url: Option<String>,
}

/// How long an event with a time of day lasts: the calendar shows its start.
const TIMED_EVENT_HOURS: i64 = 2;

/// The feed named `name`, its events in the order given.
pub fn calendar_feed(name: &str, entries: &[CalendarEntry]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).timezone("Asia/Tokyo");
    for entry in entries {
        let mut event = Event::new();
        event
            .uid(&entry.uid)
            .summary(&entry.summary)
            .description(&entry.description);
        match entry.starts_at {
            Some(time) => {
                let start = entry.date.and_time(time);
                event
                    .starts(icalendar::CalendarDateTime::WithTimezone {
                        date_time: start,
                        tzid: "Asia/Tokyo".into(),
                    })
                    .ends(icalendar::CalendarDateTime::WithTimezone {
                        date_time: start + chrono::Duration::hours(TIMED_EVENT_HOURS),
                        tzid: "Asia/Tokyo".into(),
                    });
            }
            None => {
                event.all_day(entry.date);
            }
        }
        if let Some(url) = &entry.url {
            event.url(url);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
