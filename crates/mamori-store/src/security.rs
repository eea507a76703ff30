//! Two-factor secrets, passwords, account lifecycle, sessions, the access log and reading
//! the audit log: what mamori itself must practise of the checklist it implements.

use chrono::{DateTime, Utc};
use mamori_domain::login::login_key;

use crate::{
    Audit, Pool, Result, Store, StoreError, User, UserRow, Written, found, now, user_from_row,
};

/// The ten-minute bucket of an instant in the access log: "2026-11-24T08:2".
pub fn access_bucket(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        .chars()
        .take(15)
        .collect()
}

/// One of a user's live sessions, as shown on their account page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionInfo {
    /// The first characters of the token's hash: enough to revoke it, useless to use it.
    pub id: String,
    pub kind: String,
    pub created_at: String,
    pub expires_at: String,
    pub address: String,
    pub client: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginEvent {
    pub at: String,
    pub success: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessEntry {
    pub at: String,
    pub login: String,
    pub role: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub login: Option<String>,
    pub action: String,
    pub institution_id: Option<i64>,
    pub detail: String,
}

impl Store {
    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = concat!(user_select!(), " WHERE id = $1 AND deleted_at IS NULL");
        self.select_one_by_as(sql, id, user_from_row).await
    }

    /// Users that belong to no institution (inspectors and national administrators).
    pub async fn staff_users(&self) -> Result<Vec<User>> {
        let sql = concat!(
            user_select!(),
            " WHERE institution_id IS NULL AND deleted_at IS NULL ORDER BY role, login"
        );
        self.select_all_as(sql, user_from_row).await
    }

    /// Enabled accounts not used since `cutoff` (never logged in: created before it), in one
    /// institution or, with `None`, everywhere.
    pub async fn unused_users(
        &self,
        institution_id: Option<i64>,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<User>> {
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let rows: Vec<UserRow> = match institution_id {
            Some(id) => on_pool!(self, pool => {
                sqlx::query_as(concat!(user_select!(), " WHERE institution_id = $1 AND deleted_at IS NULL AND NOT disabled AND COALESCE(last_login_at, created_at) < $2 ORDER BY login"))
                    .bind(id).bind(cutoff).fetch_all(pool).await?
            }),
            None => on_pool!(self, pool => {
                sqlx::query_as(concat!(user_select!(), " WHERE deleted_at IS NULL AND NOT disabled AND COALESCE(last_login_at, created_at) < $1 ORDER BY login"))
                    .bind(cutoff).fetch_all(pool).await?
            }),
        };
        rows.into_iter().map(user_from_row).collect()
    }

    pub async fn password_hash(&self, user_id: i64) -> Result<String> {
        let (hash,): (String,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
        })
        .ok_or(StoreError::NotFound)?;
        Ok(hash)
    }

    /// Replaces the password and ends every other session of the user.
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        keep_session: Option<&str>,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(hash.to_owned()).bind(at.clone()).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id).bind(keep_session.unwrap_or_default().to_owned()).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "user.password", None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    /// Disables or enables an account; disabling ends its sessions.
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(disabled).bind(user_id).execute(&mut *tx).await?;
            found(done.rows_affected())?;
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            }
            let action = if disabled { "user.disable" } else { "user.enable" };
            Ok(Written::audited((), Audit::new(&at, actor, action, None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    /// Deletes an account: it can no longer log in and disappears from lists; what it did
    /// stays attributed to it in the history and the audit log.
    pub async fn delete_user(&self, user_id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let done = sqlx::query("UPDATE users SET deleted_at = $1, disabled = TRUE, totp_secret = NULL, password_hash = '!' WHERE id = $2 AND deleted_at IS NULL")
                .bind(at.clone()).bind(user_id).execute(&mut *tx).await?;
            found(done.rows_affected())?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "user.delete", None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    // ----- two-factor authentication ------------------------------------------------------

    pub async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2").bind(secret.to_owned()).bind(user_id).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn totp_pending(&self, user_id: i64) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT totp_pending_secret FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.and_then(|(s,)| s))
    }

    /// The active secret and the last time step accepted (a code is accepted once).
    pub async fn totp(&self, user_id: i64) -> Result<Option<(String, i64)>> {
        let row: Option<(Option<String>, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT totp_secret, totp_last_step FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.and_then(|(s, step)| s.map(|s| (s, step))))
    }

    /// Records the time step of an accepted code; false if it (or a later one) was used.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1").bind(step).bind(user_id).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    /// Turns on two-factor authentication with the confirmed secret and new recovery codes.
    pub async fn enable_totp(
        &self,
        user_id: i64,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("UPDATE users SET totp_secret = $1, totp_pending_secret = NULL, totp_last_step = $2 WHERE id = $3")
                .bind(secret.to_owned()).bind(step).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            for hash in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)").bind(user_id).bind(hash.clone()).execute(&mut *tx).await?;
            }
            Ok(Written::audited((), Audit::new(&at, user_id, "user.two_factor.enable", None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    pub async fn disable_totp(&self, user_id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "user.two_factor.disable", None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    /// Uses up a recovery code; false if it is unknown or used.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> Result<bool> {
        let at = now();
        let used = on_pool!(self, pool => self.write(pool, async |tx| {
            let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                .bind(at.clone()).bind(user_id).bind(code_hash.to_owned()).execute(&mut *tx).await?.rows_affected();
            let audit = (done == 1).then(|| Audit::new(&at, user_id, "user.two_factor.recovery_code", None::<i64>, format!("user={user_id}")));
            Ok(Written::audited_all(done == 1, audit.into_iter().collect()))
        }).await?);
        Ok(used)
    }

    pub async fn unused_recovery_codes(&self, user_id: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL").bind(user_id).fetch_one(pool).await?
        });
        Ok(n)
    }

    pub async fn set_require_two_factor(
        &self,
        institution_id: i64,
        required: bool,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("UPDATE institutions SET require_two_factor = $1 WHERE id = $2").bind(required).bind(institution_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "institution.require_two_factor", institution_id, format!("required={required}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    pub async fn requires_two_factor(&self, institution_id: i64) -> Result<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT require_two_factor FROM institutions WHERE id = $1").bind(institution_id).fetch_optional(pool).await?
        });
        Ok(row.is_some_and(|(r,)| r))
    }

    // ----- sessions and logins --------------------------------------------------------------

    pub async fn sessions_of_user(&self, user_id: i64) -> Result<Vec<SessionInfo>> {
        let cutoff = now();
        // The id shown is the hash's first 16 (hex, so one-byte) characters.
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT SUBSTR(token_hash, 1, 16) AS id, kind, created_at, expires_at, address, client FROM sessions WHERE user_id = $1 AND expires_at > $2 AND kind <> 'pending' ORDER BY created_at DESC")
                .bind(user_id).bind(cutoff).fetch_all(pool).await?
        }))
    }

    /// Ends every session of one user ("sign out everywhere"), by an administrator.
    pub async fn end_sessions_of(&self, user_id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "user.sign_out", None::<i64>, format!("user={user_id}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    /// Ends every session (after a restore).
    pub async fn delete_all_sessions(&self) -> Result<u64> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sessions").execute(pool).await?.rows_affected());
        self.forget_sessions();
        Ok(done)
    }

    /// Ends one of the user's sessions by the prefix shown on the account page.
    pub async fn revoke_session(&self, user_id: i64, id_prefix: &str) -> Result<bool> {
        if id_prefix.len() != 16 || !id_prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let pattern = format!("{id_prefix}%");
        let done = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash LIKE $2").bind(user_id).bind(pattern).execute(pool).await?.rows_affected()
        });
        self.forget_sessions();
        Ok(done > 0)
    }

    /// The user's recent logins, successful or not, newest first.
    pub async fn login_history(&self, user: &User, limit: i64) -> Result<Vec<LoginEvent>> {
        Ok(on_pool!(self, pool => {
            // Failures name the folded login (before migration 0011, the login as typed).
            sqlx::query_as("SELECT at, action = 'login.success' AS success FROM audit_log WHERE (action = 'login.success' AND user_id = $1) OR (action = 'login.failure' AND (detail = $2 OR detail = $3)) ORDER BY seq DESC LIMIT $4")
                .bind(user.id).bind(format!("login={}", user.login)).bind(format!("login={}", login_key(&user.login))).bind(limit).fetch_all(pool).await?
        }))
    }

    // ----- access log -----------------------------------------------------------------------

    /// Records that `user_id` read `resource` of an institution; repeated reads within ten
    /// minutes are one entry.
    pub async fn record_access(
        &self,
        user_id: i64,
        institution_id: i64,
        resource: &str,
    ) -> Result<()> {
        let at = now();
        // RFC 3339 text: "2026-11-24T08:2" is the ten-minute bucket.
        let bucket: String = at.chars().take(15).collect();
        let exists: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM access_log WHERE institution_id = $1 AND user_id = $2 AND resource = $3 AND bucket = $4")
                .bind(institution_id).bind(user_id).bind(resource.to_owned()).bind(bucket.clone()).fetch_optional(pool).await?
        });
        if exists.is_none() {
            on_pool!(self, pool => {
                sqlx::query("INSERT INTO access_log (at, bucket, user_id, institution_id, resource) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (institution_id, user_id, resource, bucket) DO NOTHING")
                    .bind(at).bind(bucket).bind(user_id).bind(institution_id).bind(resource.to_owned()).execute(pool).await?;
            });
        }
        Ok(())
    }

    pub async fn access_log(&self, institution_id: i64, limit: i64) -> Result<Vec<AccessEntry>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT a.at, u.login, u.role, a.resource FROM access_log a JOIN users u ON u.id = a.user_id WHERE a.institution_id = $1 ORDER BY a.id DESC LIMIT $2")
                .bind(institution_id).bind(limit).fetch_all(pool).await?
        }))
    }

    // ----- audit log ------------------------------------------------------------------------

    /// Audit entries, newest first: one institution's (with the logins and user changes of
    /// its users), or all with `None`.
    pub async fn audit_entries(
        &self,
        institution_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        Ok(match institution_id {
            Some(id) => on_pool!(self, pool => {
                sqlx::query_as("SELECT a.seq, a.at, u.login, a.action, a.institution_id, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.institution_id = $1 OR (a.institution_id IS NULL AND u.institution_id = $1) ORDER BY a.seq DESC LIMIT $2")
                    .bind(id).bind(limit).fetch_all(pool).await?
            }),
            None => on_pool!(self, pool => {
                sqlx::query_as("SELECT a.seq, a.at, u.login, a.action, a.institution_id, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.seq DESC LIMIT $1")
                    .bind(limit).fetch_all(pool).await?
            }),
        })
    }

    // ----- folded logins (migration 0011) ---------------------------------------------------

    /// Whether an account (deleted ones included) already has this folded login.
    pub(crate) async fn login_key_in_use(&self, key: &str) -> Result<bool> {
        let found: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM users WHERE login_key = $1 LIMIT 1")
                .bind(key.to_owned()).fetch_optional(pool).await?
        });
        Ok(found.is_some())
    }

    /// Gives every account without one (or with one of an older folding) its folded login.
    /// Accounts whose folded logins collide are marked shared, keep logging in by their
    /// exact login, and are named in a warning at every start until one is renamed away
    /// or removed from the database.
    pub(crate) async fn fill_login_keys(&self) -> Result<()> {
        let rows: Vec<(i64, String, Option<String>, bool)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, login, login_key, login_key_shared FROM users ORDER BY id")
                .fetch_all(pool).await?
        });
        let mut holders: std::collections::HashMap<String, usize> = Default::default();
        for (_, login, ..) in &rows {
            *holders.entry(login_key(login)).or_default() += 1;
        }
        let stale: Vec<(i64, String, bool)> = rows
            .iter()
            .filter_map(|(id, login, key, shared)| {
                let folded = login_key(login);
                let collides = holders[&folded] > 1;
                let fresh = key.as_deref() == Some(folded.as_str()) && *shared == collides;
                (!fresh).then_some((*id, folded, collides))
            })
            .collect();
        if !stale.is_empty() {
            on_pool!(self, pool => self.write(pool, async |tx| {
                // The shared ones first, so that the unique index never sees two holders.
                for (id, key, shared) in stale.iter().filter(|s| s.2).chain(stale.iter().filter(|s| !s.2)) {
                    sqlx::query("UPDATE users SET login_key = $1, login_key_shared = $2 WHERE id = $3")
                        .bind(key.clone()).bind(*shared).bind(*id).execute(&mut *tx).await?;
                }
                // Not an entry of the audit log: this runs before the log is opened.
                Ok(Written::kept(()))
            }).await?);
            self.forget_sessions();
        }
        let collisions = self.login_collisions().await?;
        if !collisions.is_empty() {
            let listed: Vec<String> = collisions.iter().map(|group| group.join(" / ")).collect();
            tracing::warn!(
                collisions = %listed.join("; "),
                "accounts whose logins differ only in upper/lower case or full/half width: each still logs in by its exact login only; rename or remove all but one"
            );
        }
        Ok(())
    }

    /// The logins that share a folded login with another account, in groups.
    pub async fn login_collisions(&self) -> Result<Vec<Vec<String>>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT login_key, login FROM users WHERE login_key_shared ORDER BY login_key, login")
                .fetch_all(pool).await?
        });
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for (key, login) in rows {
            match groups.last_mut() {
                Some((k, logins)) if *k == key => logins.push(login),
                _ => groups.push((key, vec![login])),
            }
        }
        // Sorted here: the engines' collations order case differently.
        Ok(groups
            .into_iter()
            .map(|(_, mut logins)| {
                logins.sort();
                logins
            })
            .collect())
    }
}
