//! The one shape of a write: wait for this process's turn (SQLite), open the engine's write
//! transaction, run the body, append the audit entries the body describes, commit.
//!
//! The body runs once per engine (`on_pool!` instantiates it for each), so its SQL text is the
//! same on both; it gets the transaction's connection and says what to keep in a [`Written`].

use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

use crate::{AuditEntry, BeginWrite, Result, Store};

/// One entry for the audit log, as a write describes it; its sequence number and hashes are
/// given when it is appended.
pub(crate) struct Audit {
    at: String,
    user: Option<i64>,
    action: String,
    institution: Option<i64>,
    detail: String,
}

impl Audit {
    pub(crate) fn new(
        at: &str,
        user: impl Into<Option<i64>>,
        action: impl ToString,
        institution: impl Into<Option<i64>>,
        detail: String,
    ) -> Self {
        Self {
            at: at.to_owned(),
            user: user.into(),
            action: action.to_string(),
            institution: institution.into(),
            detail,
        }
    }
}

/// What a write's body asks for: keep its changes with their audit entries (appended in this
/// order), or drop them all (a refusal found inside the transaction).
pub(crate) enum Written<T> {
    Kept(T, Vec<Audit>),
    Dropped(T),
}

impl<T> Written<T> {
    /// Keeps the changes with one audit entry.
    pub(crate) fn audited(value: T, audit: Audit) -> Self {
        Self::Kept(value, vec![audit])
    }

    /// Keeps the changes without an audit entry: housekeeping that the log does not record.
    pub(crate) fn kept(value: T) -> Self {
        Self::Kept(value, Vec::new())
    }

    /// Keeps the changes with these audit entries (none for a write that changed nothing).
    pub(crate) fn audited_all(value: T, audit: Vec<Audit>) -> Self {
        Self::Kept(value, audit)
    }

    /// Rolls the transaction back and gives `value`.
    pub(crate) fn dropped(value: T) -> Self {
        Self::Dropped(value)
    }
}

/// A pool whose write transactions take audit entries.
pub(crate) trait WritePool: BeginWrite {
    type Connection: Send;

    async fn append(store: &Store, conn: &mut Self::Connection, audit: Audit) -> Result<()>;

    fn connection<'t>(tx: &'t mut sqlx::Transaction<'static, Self::Db>)
    -> &'t mut Self::Connection;
}

macro_rules! write_pool {
    ($pool:ty, $connection:ty) => {
        impl WritePool for $pool {
            type Connection = $connection;

            async fn append(store: &Store, conn: &mut $connection, audit: Audit) -> Result<()> {
                append_audit!(
                    store,
                    conn,
                    audit.at,
                    audit.user,
                    audit.action,
                    audit.institution,
                    audit.detail
                );
                Ok(())
            }

            fn connection<'t>(
                tx: &'t mut sqlx::Transaction<'static, Self::Db>,
            ) -> &'t mut $connection {
                &mut **tx
            }
        }
    };
}

write_pool!(SqlitePool, SqliteConnection);
write_pool!(PgPool, PgConnection);

impl Store {
    /// Runs `body` in a write transaction of `pool` (`BEGIN IMMEDIATE` on SQLite, after this
    /// process's turn), appends the audit entries it describes and commits; an error or
    /// [`Written::dropped`] rolls everything back.
    pub(crate) async fn write<P: WritePool, T>(
        &self,
        pool: &P,
        body: impl AsyncFnOnce(&mut P::Connection) -> Result<Written<T>>,
    ) -> Result<T> {
        let _turn = self.write_turn().await;
        let mut tx = pool.begin_write().await?;
        match body(P::connection(&mut tx)).await? {
            Written::Kept(value, audit) => {
                for entry in audit {
                    P::append(self, P::connection(&mut tx), entry).await?;
                }
                tx.commit().await?;
                Ok(value)
            }
            Written::Dropped(value) => Ok(value),
        }
    }
}

#[cfg(test)]
#[allow(dead_code)]
fn futures_stay_send(store: &Store, new: &crate::NewInstitution) {
    fn send<F: Send>(_: F) {}
    send(store.create_institution(new, None));
}
