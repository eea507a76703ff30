//! Training's notices (研修): a place taken (a seat or the waitlist), a waitlisted place moved
//! into a seat, a session changed or withdrawn, and the day before a session. Each is told to
//! the institution's admins and to whoever registered the place; the ones a change causes are
//! written in the change's transaction (`notify_places!`), the day-before one by the scheduler.

use chrono::{Days, NaiveDate};
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::{Pool, Result, Store};

/// Inside a write transaction `$tx`: notifies by `$rule` (a `Rule`) the people of each place
/// `r` of `training_registrations` that `$which` (SQL over `r`, binding `$4`) selects, with
/// the subject `training:{place}{$suffix}`, at `$at`.
macro_rules! notify_places {
    ($tx:expr, $rule:expr, $which:literal, $id:expr, $suffix:expr, $at:expr) => {
        sqlx::query(concat!(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, created_at) \
             SELECT u.id, $1, 'training:' || r.id || $2, substr(s.starts_at, 1, 10), r.institution_id, $3 \
             FROM training_registrations r JOIN training_sessions s ON s.id = r.session_id \
             JOIN users u ON (u.institution_id = r.institution_id AND u.role = $5) OR u.id = r.created_by \
             WHERE ", $which, " AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
        ))
        .bind($rule.as_str())
        .bind($suffix)
        .bind(&$at)
        .bind($id)
        .bind(mamori_domain::Role::InstitutionAdmin.as_str())
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use notify_places;

/// A place as its notifications show it: the course, when and where, who, and its state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrainingPlace {
    pub registration_id: i64,
    pub session_id: i64,
    pub participant_name: String,
    /// `registered`, `waitlisted`, `cancelled` or `attended`.
    pub status: String,
    pub title_ja: String,
    pub title_en: String,
    /// Japan time, `YYYY-MM-DDTHH:MM:SS`.
    pub starts_at: String,
    pub ends_at: String,
    /// A place or a meeting link.
    pub venue: String,
    pub withdrawn: bool,
}

impl Store {
    /// The place `registration_id` as its notifications show it.
    pub async fn training_place(&self, registration_id: i64) -> Result<Option<TrainingPlace>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.id AS registration_id, s.id AS session_id, r.participant_name, r.status, c.title_ja, c.title_en, \
                 s.starts_at, s.ends_at, s.venue, s.withdrawn_at IS NOT NULL AS withdrawn \
                 FROM training_registrations r JOIN training_sessions s ON s.id = r.session_id \
                 JOIN training_courses c ON c.id = s.course_id WHERE r.id = $1",
            )
            .bind(registration_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Notifies by `rule` the people of every seat (not the waitlist) of the sessions that
    /// start on a day in `(after, through]` shifted by the rule (the day before); records
    /// `covered` as the rule's last day.
    pub async fn notify_sessions_ahead(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        // Session times are Japan time as text: a day is from its midnight to the next.
        let midnight = |day: NaiveDate| {
            day.checked_add_days(Days::new(1))
                .map(|d| format!("{d}T00:00:00"))
                .unwrap_or_default()
        };
        self.write_scheduled(
            rule,
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, created_at) \
             SELECT u.id, $1, 'training:' || r.id, substr(s.starts_at, 1, 10), r.institution_id, $2 \
             FROM training_sessions s JOIN training_registrations r ON r.session_id = s.id \
             JOIN users u ON (u.institution_id = r.institution_id AND u.role = $5) OR u.id = r.created_by \
             WHERE s.starts_at >= $3 AND s.starts_at < $4 AND s.withdrawn_at IS NULL AND r.status = 'registered' \
             AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
            (midnight(after), midnight(through)),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }
}
