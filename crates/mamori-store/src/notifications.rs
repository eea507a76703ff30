//! Notifications (お知らせ) as stored: written by the scheduler's passes, read and marked
//! read by their recipient. The unique key (rule, subject, date, recipient) makes every
//! write an `INSERT … ON CONFLICT DO NOTHING`: two servers running the same pass, or one
//! pass run twice, notify each person once.

use chrono::NaiveDate;
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::write::Written;
use crate::{Pool, Result, Store, StoreError, now, parse_date};

/// Inside a write transaction `$tx`: notifies the admins of institution `$institution_id`
/// by `$rule` (a `Rule`) about `$subject` on `$on_date` (text), with the fiscal year
/// `$fiscal_year` (an `i64`) it concerns, at `$at`. Written once per rule, subject, date and
/// admin: repeating the change tells nobody again.
macro_rules! notify_institution_admins {
    ($tx:expr, $rule:expr, $subject:expr, $on_date:expr, $institution_id:expr, $fiscal_year:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, created_at) \
             SELECT u.id, $1, $2, $3, $4, $5, $6 FROM users u \
             WHERE u.institution_id = $4 AND u.role = $7 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
        )
        .bind($rule.as_str())
        .bind($subject)
        .bind($on_date)
        .bind($institution_id)
        .bind($fiscal_year)
        .bind($at)
        .bind(mamori_domain::Role::InstitutionAdmin.as_str())
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use notify_institution_admins;

/// Inside a write transaction `$tx`: notifies the users whose role is `$role` (a `Role`), or
/// the institution's admins and the user `$also` when `$role` is the institution admin's, by
/// `$rule` about `$subject` on `$on_date`, with the institution `$institution_id`, at `$at`;
/// once per rule, subject, date and user.
macro_rules! notify_users {
    ($tx:expr, $rule:expr, $subject:expr, $on_date:expr, $institution_id:expr, $role:expr, $also:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, created_at) \
             SELECT u.id, $1, $2, $3, $4, $5 FROM users u \
             WHERE ((u.role = $6 AND (u.institution_id = $4 OR u.institution_id IS NULL)) OR u.id = $7) \
             AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
        )
        .bind($rule.as_str())
        .bind($subject)
        .bind($on_date)
        .bind($institution_id)
        .bind($at)
        .bind($role.as_str())
        .bind($also)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use notify_users;

/// Now in Japan (UTC+9), by this machine's clock.
pub(crate) fn now_in_japan() -> chrono::NaiveDateTime {
    (chrono::Utc::now() + chrono::Duration::hours(9)).naive_utc()
}

/// Today in Japan as stored text: the day a notification written with a change is on.
pub(crate) fn today_in_japan() -> String {
    now_in_japan().date().to_string()
}

/// The columns of [`StoredNotification`], from `notifications n` and its institution `i`.
macro_rules! notification_select {
    () => {
        "SELECT n.id, n.rule, n.subject, n.on_date, n.institution_id, i.name AS institution_name, i.kind AS institution_kind, n.fiscal_year, n.item_key, n.detail, n.created_at, n.read_at \
         FROM notifications n LEFT JOIN institutions i ON i.id = n.institution_id"
    };
}
pub(crate) use notification_select;

/// One notification as its recipient reads it, with the institution it is about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredNotification {
    pub id: i64,
    pub rule: String,
    /// What it is about, as a key (`incident:{case}` …).
    pub subject: String,
    pub on_date: String,
    pub institution_id: Option<i64>,
    pub institution_name: Option<String>,
    pub institution_kind: Option<String>,
    pub fiscal_year: Option<i64>,
    pub item_key: Option<String>,
    /// What the change that caused it decided (a survey's result), as JSON.
    pub detail: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// The most notifications a list gives, newest first.
pub const NOTIFICATION_LIST_LIMIT: i64 = 200;

impl Store {
    /// The last day the scheduler's `rule` has covered, if it ever ran.
    pub async fn scheduler_covered_through(&self, rule: Rule) -> Result<Option<NaiveDate>> {
        let day: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT covered_through FROM scheduler_days WHERE rule = $1")
                .bind(rule.as_str())
                .fetch_optional(pool)
                .await?
        });
        day.map(|(d,)| parse_date(&d)).transpose()
    }

    /// Notifies the admins of every institution with an open target date in `(after,
    /// through]` by `rule`, and records `covered` as the day the rule has covered (never
    /// moving it back). Gives the number of notifications written: those written already,
    /// by this pass or another, are not written again.
    pub async fn notify_target_dates(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        self.write_scheduled(
            rule,
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, item_key, created_at) \
             SELECT u.id, $1, 'answer:' || t.institution_id || ':' || t.fiscal_year || ':' || t.item_key, t.target_date, t.institution_id, t.fiscal_year, t.item_key, $2 \
             FROM open_targets t JOIN users u ON u.institution_id = t.institution_id \
             WHERE t.target_date > $3 AND t.target_date <= $4 AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
            (after.to_string(), through.to_string()),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }

    /// [`Store::write_scheduled`] over the days `(after, through]`, with the institution
    /// admin's role as `$5`.
    pub(crate) async fn write_to_admins(
        &self,
        rule: Rule,
        insert: &'static str,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        self.write_scheduled(
            rule,
            insert,
            (after.to_string(), through.to_string()),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }

    /// Writes the notifications of a scheduler's `rule` with `insert`, an `INSERT … SELECT …
    /// ON CONFLICT DO NOTHING` that binds `$1` the rule, `$2` now, `$3` and `$4` the bounds of
    /// the dates it covers and `$5` the recipients' role; records `covered` as the rule's last
    /// day, in the same transaction. Gives the number written: those written already, by this
    /// pass or another, are not written again.
    pub(crate) async fn write_scheduled(
        &self,
        rule: Rule,
        insert: &'static str,
        (from, until): (String, String),
        role: Role,
        covered: NaiveDate,
    ) -> Result<u64> {
        let at = now();
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let written = sqlx::query(insert)
                    .bind(rule.as_str())
                    .bind(&at)
                    .bind(&from)
                    .bind(&until)
                    .bind(role.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                // The rule's last covered day, never moved back.
                sqlx::query(
                    "INSERT INTO scheduler_days (rule, covered_through) VALUES ($1, $2) \
                     ON CONFLICT (rule) DO UPDATE SET covered_through = excluded.covered_through \
                     WHERE scheduler_days.covered_through < excluded.covered_through",
                )
                .bind(rule.as_str())
                .bind(covered.to_string())
                .execute(&mut *conn)
                .await?;
                Ok(Written::kept(written))
            })
            .await
        })
    }

    /// A user's notifications, newest first (only the unread ones with `unread_only`).
    pub async fn notifications_of(
        &self,
        user_id: i64,
        unread_only: bool,
    ) -> Result<Vec<StoredNotification>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(concat!(
                notification_select!(),
                " WHERE n.user_id = $1 AND ($2 = FALSE OR n.read_at IS NULL) ORDER BY n.id DESC LIMIT $3"
            ))
            .bind(user_id)
            .bind(unread_only)
            .bind(NOTIFICATION_LIST_LIMIT)
            .fetch_all(pool)
            .await?
        }))
    }

    /// One of a user's notifications; `None` when the user has no notification `id`.
    pub async fn notification_of(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<StoredNotification>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(concat!(
                notification_select!(),
                " WHERE n.user_id = $1 AND n.id = $2"
            ))
            .bind(user_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// How many of a user's notifications are unread.
    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
                .bind(user_id)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Marks a user's notification read (once: the first reading's time stays). `false` when
    /// the user has no notification `id`.
    pub async fn mark_notification_read(&self, user_id: i64, id: i64) -> Result<bool> {
        let at = now();
        let found = on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let (found,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM notifications WHERE id = $1 AND user_id = $2",
                )
                .bind(id)
                .bind(user_id)
                .fetch_one(&mut *conn)
                .await?;
                sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
                )
                .bind(&at)
                .bind(id)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
                Ok(Written::kept(found > 0))
            })
            .await
        })?;
        // The header's unread count is read with the session.
        self.forget_sessions();
        Ok(found)
    }

    /// Marks every notification of a user read; how many were unread.
    pub async fn mark_all_notifications_read(&self, user_id: i64) -> Result<u64> {
        let at = now();
        let n = on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let n = sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                )
                .bind(&at)
                .bind(user_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(Written::kept(n))
            })
            .await
        });
        self.forget_sessions();
        n
    }
}

impl StoredNotification {
    /// The rule it was written by.
    pub fn rule(&self) -> Result<Rule> {
        Rule::parse(&self.rule).ok_or_else(|| StoreError::Corrupt(format!("rule {}", self.rule)))
    }

    /// The date it is about.
    pub fn on_date(&self) -> Result<NaiveDate> {
        parse_date(&self.on_date)
    }
}
