//! Mail for notifications, as stored: each user's address, language and choice per kind; the
//! routing of new notifications to mails (one each, or a daily digest); the outbox that
//! senders lease mails from; and the mails that failed for good.
//!
//! A sender leases a mail (`leased_until`) and counts the attempt before it talks to the SMTP
//! server: a second server skips a leased mail, and a sender that dies between the send and
//! [`Store::mail_sent`] leaves the mail to be sent again once the lease is over — at most one
//! duplicate per crash.

use mamori_domain::notification::{Delivery, Rule};

use crate::notifications::notification_select;
use crate::write::Written;
use crate::{Pool, Result, Store, StoredNotification};

/// A user's mail settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub email: Option<String>,
    /// `ja` or `en`.
    pub language: String,
    /// The kinds the user chose other than mail at once.
    pub deliveries: Vec<(Rule, Delivery)>,
}

/// A mail a sender has leased.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeasedMail {
    pub id: i64,
    pub user_id: i64,
    /// The notification of a mail of its own; `None` for a digest.
    pub notification_id: Option<i64>,
    pub digest_day: Option<String>,
    /// This attempt's number (1 for the first).
    pub attempts: i64,
    /// The address as it stands now (`None`: the user took it away).
    pub email: Option<String>,
    pub language: String,
}

/// A mail that could not be sent after the last attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedMail {
    pub id: i64,
    pub login: String,
    pub email: Option<String>,
    /// The notification's rule; `None` for a digest.
    pub rule: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The most mails one lease takes.
const LEASE_BATCH: i64 = 50;

/// How a notification goes to its recipient, as SQL over `notifications` (the row being
/// routed): their choice for its kind, mail at once without one; a new incident case always
/// at once.
macro_rules! delivery_of {
    () => {
        "(CASE WHEN notifications.rule = 'incident_reported' THEN 'mail_now' ELSE COALESCE(\
         (SELECT s.delivery FROM notification_settings s WHERE s.user_id = notifications.user_id AND s.rule = notifications.rule), \
         'mail_now') END)"
    };
}

/// The recipient has an address, as SQL over `notifications`.
macro_rules! has_address {
    () => {
        "EXISTS (SELECT 1 FROM users u WHERE u.id = notifications.user_id AND u.email IS NOT NULL)"
    };
}

impl Store {
    /// A user's mail settings.
    pub async fn mail_settings(&self, user_id: i64) -> Result<MailSettings> {
        let (email, language, rows): (Option<String>, String, Vec<(String, String)>) = on_pool!(self, pool => {
            let (email, language): (Option<String>, String) =
                sqlx::query_as("SELECT email, language FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_one(pool)
                    .await?;
            let rows = sqlx::query_as(
                "SELECT rule, delivery FROM notification_settings WHERE user_id = $1 ORDER BY rule",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            (email, language, rows)
        });
        Ok(MailSettings {
            email,
            language,
            // A kind this version no longer has is left out.
            deliveries: rows
                .into_iter()
                .filter_map(|(r, d)| Some((Rule::parse(&r)?, Delivery::parse(&d)?)))
                .collect(),
        })
    }

    /// Saves a user's mail settings whole (the kinds not given go by mail at once).
    pub async fn save_mail_settings(&self, user_id: i64, settings: &MailSettings) -> Result<()> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query("UPDATE users SET email = $1, language = $2 WHERE id = $3")
                    .bind(&settings.email)
                    .bind(&settings.language)
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM notification_settings WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
                for (rule, delivery) in &settings.deliveries {
                    if *delivery == Delivery::MailNow {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO notification_settings (user_id, rule, delivery) VALUES ($1, $2, $3)",
                    )
                    .bind(user_id)
                    .bind(rule.as_str())
                    .bind(delivery.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(Written::kept(()))
            })
            .await
        })
    }

    /// Takes the lease `name` for `holder` until `until` if it is free at `now` (or already
    /// `holder`'s): one server at a time runs what it guards.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: &str,
        until: &str,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let taken = sqlx::query(
                    "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
                     WHERE leases.held_until <= $4 OR leases.holder = excluded.holder",
                )
                .bind(name)
                .bind(holder)
                .bind(until)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(Written::kept(taken == 1))
            })
            .await
        })
    }

    /// Gives the lease `name` back if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                    .bind(name)
                    .bind(holder)
                    .execute(&mut *conn)
                    .await?;
                Ok(Written::kept(()))
            })
            .await
        })
    }

    /// Routes the notifications not routed yet by their recipients' settings: a mail of its
    /// own, the next digest, or the app only (no address, in-app chosen, or written before
    /// `stale_before`: news of days ago is not mailed when mail is first switched on). Gives
    /// the number of mails made.
    pub async fn route_notifications(&self, now: &str, stale_before: &str) -> Result<u64> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query(concat!(
                    "UPDATE notifications SET mail_state = 'none' WHERE mail_state = 'new' AND (created_at < $1 OR NOT ",
                    has_address!(), " OR ", delivery_of!(), " = 'in_app')"
                ))
                .bind(stale_before)
                .execute(&mut *conn)
                .await?;
                sqlx::query(concat!(
                    "UPDATE notifications SET mail_state = 'digest' WHERE mail_state = 'new' AND ",
                    has_address!(), " AND ", delivery_of!(), " = 'daily_digest'"
                ))
                .execute(&mut *conn)
                .await?;
                // On PostgreSQL a notification committed meanwhile is either in both of the
                // next two statements or in neither (it waits for the next pass).
                // The recipient joined, not asked with EXISTS: SQLite flattens that EXISTS into a
                // join whose order it takes from the statistics, and a connection still holding
                // those of a smaller table scanned every user for each notification (13 s for
                // 25,000 at 24,000 institutions). Joined on the key, either order is one lookup.
                let made = sqlx::query(concat!(
                    "INSERT INTO mail_outbox (user_id, notification_id, state, attempts, next_attempt_at, created_at) \
                     SELECT notifications.user_id, notifications.id, 'pending', 0, $1, $1 \
                     FROM notifications JOIN users u ON u.id = notifications.user_id \
                     WHERE notifications.mail_state = 'new' AND u.email IS NOT NULL AND ", delivery_of!(), " = 'mail_now' \
                     ON CONFLICT (notification_id) DO NOTHING"
                ))
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE notifications SET mail_state = 'mail' WHERE mail_state = 'new' AND \
                     EXISTS (SELECT 1 FROM mail_outbox o WHERE o.notification_id = notifications.id)",
                )
                .execute(&mut *conn)
                .await?;
                Ok(Written::kept(made))
            })
            .await
        })
    }

    /// Makes the digest of `day` for every user with notifications waiting that were written
    /// before `cutoff` (the start of the day), at most one per user and day. Gives the number
    /// of digests made.
    pub async fn make_digests(&self, day: &str, cutoff: &str, now: &str) -> Result<u64> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let made = sqlx::query(
                    "INSERT INTO mail_outbox (user_id, digest_day, state, attempts, next_attempt_at, created_at) \
                     SELECT DISTINCT user_id, $1, 'pending', 0, $2, $2 FROM notifications \
                     WHERE mail_state = 'digest' AND created_at < $3 \
                     ON CONFLICT (user_id, digest_day) DO NOTHING",
                )
                .bind(day)
                .bind(now)
                .bind(cutoff)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                // Only into a digest not tried yet: one being sent or sent keeps what it had,
                // and the rest waits for the next day's.
                sqlx::query(
                    "UPDATE notifications SET mail_state = 'digested', digest_mail_id = \
                     (SELECT o.id FROM mail_outbox o WHERE o.user_id = notifications.user_id AND o.digest_day = $1) \
                     WHERE mail_state = 'digest' AND created_at < $2 AND EXISTS (SELECT 1 FROM mail_outbox o \
                     WHERE o.user_id = notifications.user_id AND o.digest_day = $1 AND o.attempts = 0)",
                )
                .bind(day)
                .bind(cutoff)
                .execute(&mut *conn)
                .await?;
                Ok(Written::kept(made))
            })
            .await
        })
    }

    /// Leases the mails due at `now` until `until` and counts the attempt: a mail leased by
    /// another sender, even one that has just committed its lease, is not taken.
    pub async fn lease_mails(&self, now: &str, until: &str) -> Result<Vec<LeasedMail>> {
        let ids: Vec<(i64,)> = on_pool!(self, pool => {
            self.write(pool, async |conn| {
                // The lease is checked again on the row itself: on PostgreSQL a sender that
                // waited for another's lock sees the row as the other left it.
                let ids = sqlx::query_as(
                    "UPDATE mail_outbox SET leased_until = $1, attempts = attempts + 1 \
                     WHERE state = 'pending' AND next_attempt_at <= $2 AND (leased_until IS NULL OR leased_until <= $2) \
                     AND id IN (SELECT id FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= $2 \
                     AND (leased_until IS NULL OR leased_until <= $2) ORDER BY id LIMIT $3) \
                     RETURNING id",
                )
                .bind(until)
                .bind(now)
                .bind(LEASE_BATCH)
                .fetch_all(&mut *conn)
                .await?;
                Ok(Written::kept(ids))
            })
            .await
        })?;
        let mut mails = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let mail: LeasedMail = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT o.id, o.user_id, o.notification_id, o.digest_day, o.attempts, u.email, u.language \
                     FROM mail_outbox o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
                )
                .bind(id)
                .fetch_one(pool)
                .await?
            });
            mails.push(mail);
        }
        mails.sort_by_key(|m| m.id);
        Ok(mails)
    }

    /// The notifications a digest mail carries, oldest first.
    pub async fn digest_notifications(&self, mail_id: i64) -> Result<Vec<StoredNotification>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(concat!(
                notification_select!(),
                " WHERE n.digest_mail_id = $1 ORDER BY n.id"
            ))
            .bind(mail_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The notification a mail of its own carries.
    pub async fn mailed_notification(&self, notification_id: i64) -> Result<StoredNotification> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(concat!(notification_select!(), " WHERE n.id = $1"))
                .bind(notification_id)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Records a mail as sent (or as not to be sent: its recipient has no address any more).
    pub async fn mail_sent(&self, id: i64, at: &str) -> Result<()> {
        self.finish_mail(id, "sent", Some(at), None, None).await
    }

    /// Records a failed attempt: tried again at `next_attempt_at`, or failed for good without
    /// one.
    pub async fn mail_not_sent(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<()> {
        match next_attempt_at {
            Some(next) => {
                self.finish_mail(id, "pending", None, Some(error), Some(next))
                    .await
            }
            None => {
                self.finish_mail(id, "failed", None, Some(error), None)
                    .await
            }
        }
    }

    async fn finish_mail(
        &self,
        id: i64,
        state: &str,
        sent_at: Option<&str>,
        error: Option<&str>,
        next_attempt_at: Option<&str>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query(
                    "UPDATE mail_outbox SET state = $1, sent_at = $2, last_error = COALESCE($3, last_error), \
                     next_attempt_at = COALESCE($4, next_attempt_at), leased_until = NULL WHERE id = $5",
                )
                .bind(state)
                .bind(sent_at)
                .bind(error)
                .bind(next_attempt_at)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                Ok(Written::kept(()))
            })
            .await
        })
    }

    /// The mails that failed after the last attempt, newest first.
    pub async fn failed_mails(&self) -> Result<Vec<FailedMail>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT o.id, u.login, u.email, n.rule, o.attempts, o.last_error, o.created_at \
                 FROM mail_outbox o JOIN users u ON u.id = o.user_id LEFT JOIN notifications n ON n.id = o.notification_id \
                 WHERE o.state = 'failed' ORDER BY o.id DESC LIMIT 500",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// How many mails failed after their last attempt.
    pub async fn failed_mail_count(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE state = 'failed'")
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Puts a failed mail back to be sent at `now`, with its attempts counted afresh (a mail
    /// waiting to be sent already is left to it); `false` when no mail waits or failed with
    /// that id.
    pub async fn retry_failed_mail(&self, id: i64, now: &str) -> Result<bool> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query(
                    "UPDATE mail_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 \
                     WHERE id = $2 AND state = 'failed'",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                let (waiting,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM mail_outbox WHERE id = $1 AND state = 'pending'",
                )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
                Ok(Written::kept(waiting == 1))
            })
            .await
        })
    }
}
