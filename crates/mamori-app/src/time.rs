//! The clock in Japan (JST, UTC+9, no daylight saving): check dates, training sessions and
//! incidents are judged by it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Now in Japan: training sessions are written in Japan time, and an incident's "since
/// when" is judged by it.
pub fn now_in_japan() -> NaiveDateTime {
    (Utc::now() + chrono::Duration::hours(9)).naive_utc()
}

/// An instant stored as RFC 3339 (UTC), in Japan time; `None` when it is not RFC 3339.
pub fn instant_in_japan(rfc3339: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| (t.to_utc() + chrono::Duration::hours(9)).naive_utc())
}

/// Today in Japan: the day that check dates are judged by.
pub fn today_in_japan() -> NaiveDate {
    now_in_japan().date()
}

/// An instant as the store keeps it: RFC 3339, UTC, to the millisecond (so that instants
/// compare as text on both engines).
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
