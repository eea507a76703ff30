//! What backups and restores need from the store: opening a database that must already
//! exist without migrating it, a consistent snapshot on each engine (SQLite `VACUUM INTO`,
//! a PostgreSQL exported snapshot that `pg_dump --snapshot` shares), the tables with their
//! row counts, the schema version, and the checks made after a restore.
//!
//! The archive itself (manifest, checksum, `pg_dump`/`pg_restore`) is the binary's business.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

use crate::{Pool, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{0} works only on {1}")]
    WrongEngine(&'static str, &'static str),
    #[error("the path {0} cannot be used for a SQLite snapshot: {1}")]
    UnusablePath(PathBuf, &'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;

/// The engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sqlite" => Some(Self::Sqlite),
            "postgres" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// The highest migration version this build of mamori knows for the engine.
    pub fn known_schema_version(self) -> i64 {
        let migrator = match self {
            Self::Sqlite => crate::migrations::migrator(crate::migrations::Dialect::Sqlite),
            Self::Postgres => crate::migrations::migrator(crate::migrations::Dialect::Postgres),
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

/// The file a `sqlite:` URL names; `None` for an in-memory database.
pub fn sqlite_file(url: &str) -> Result<Option<PathBuf>, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename();
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory || file.as_os_str().is_empty() {
        return Ok(None);
    }
    Ok(Some(file.to_path_buf()))
}

/// `VACUUM INTO '…'` for `path`: the path is a SQL string literal with its single quotes
/// doubled. A path that is not UTF-8 or holds a NUL is refused.
pub fn vacuum_into_sql(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .ok_or_else(|| SnapshotError::UnusablePath(path.to_path_buf(), "it is not UTF-8"))?;
    if text.contains('\0') {
        return Err(SnapshotError::UnusablePath(
            path.to_path_buf(),
            "it contains a NUL character",
        ));
    }
    if text.is_empty() {
        return Err(SnapshotError::UnusablePath(
            path.to_path_buf(),
            "it is empty",
        ));
    }
    Ok(format!("VACUUM INTO '{}'", text.replace('\'', "''")))
}

/// An SQL identifier in double quotes, its own double quotes doubled.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
const PG_TABLES: &str = "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
const PG_ALL_TABLES: &str = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')";
const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

/// Counts the rows of each table through `$exec` (a pool or a transaction's connection).
macro_rules! count_rows {
    ($exec:expr, $tables_sql:expr) => {{
        let names: Vec<(String,)> = sqlx::query_as($tables_sql).fetch_all(&mut *$exec).await?;
        let mut counts = BTreeMap::new();
        for (name,) in names {
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {}",
                quote_identifier(&name)
            )))
            .fetch_one(&mut *$exec)
            .await?;
            counts.insert(name, n);
        }
        counts
    }};
}

/// The highest applied migration, or `None` when the database was never migrated.
macro_rules! schema_version {
    ($exec:expr, $tables:expr) => {{
        if $tables.contains_key("_sqlx_migrations") {
            let (v,): (Option<i64>,) = sqlx::query_as(SCHEMA_VERSION)
                .fetch_one(&mut *$exec)
                .await?;
            v
        } else {
            None
        }
    }};
}

/// What a snapshot holds: every table with its row count, and the schema version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub row_counts: BTreeMap<String, i64>,
    pub schema_version: Option<i64>,
}

impl Store {
    /// Opens a database that must exist already, without creating or migrating anything.
    pub async fn open_existing(url: &str) -> Result<Self> {
        Ok(Self::open_url(url, false, 2, 2).await?)
    }

    /// Opens a standalone SQLite file (a snapshot) in rollback-journal mode, so that it stays
    /// one self-contained file.
    pub async fn open_sqlite_file(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Delete);
        Ok(Self::open_sqlite(options, 1).await?)
    }

    /// Writes a consistent copy of a SQLite database to `path` (which must not exist) while
    /// other connections keep writing: `VACUUM INTO` reads one snapshot.
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        let sql = vacuum_into_sql(path)?;
        match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(SnapshotError::WrongEngine("VACUUM INTO", "SQLite")),
        }
    }

    /// Every table of the database (of the current schema on PostgreSQL) with its rows.
    pub async fn contents(&self) -> Result<Contents> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                let row_counts = count_rows!(conn, SQLITE_TABLES);
                let schema_version = schema_version!(conn, row_counts);
                Ok(Contents {
                    row_counts,
                    schema_version,
                })
            }
            Pool::Postgres(pool) => {
                // One snapshot for every count.
                let mut tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?;
                let row_counts = count_rows!(tx, PG_TABLES);
                let schema_version = schema_version!(tx, row_counts);
                tx.rollback().await?;
                Ok(Contents {
                    row_counts,
                    schema_version,
                })
            }
        }
    }

    /// How many tables the database holds (on PostgreSQL: in any schema but the system's).
    /// A restore goes only into a database with none.
    pub async fn table_count(&self) -> Result<i64> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let tables: Vec<(String,)> = sqlx::query_as(SQLITE_TABLES).fetch_all(pool).await?;
                Ok(tables.len() as i64)
            }
            Pool::Postgres(pool) => {
                let (n,): (i64,) = sqlx::query_as(PG_ALL_TABLES).fetch_one(pool).await?;
                Ok(n)
            }
        }
    }

    /// `PRAGMA integrity_check` on SQLite: `Some("ok")` when sound, else its findings;
    /// `None` on PostgreSQL, which has no such check.
    pub async fn integrity_check(&self) -> Result<Option<String>> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(pool)
                    .await?;
                let lines: Vec<String> = rows.into_iter().map(|(l,)| l).collect();
                Ok(Some(lines.join("; ")))
            }
            Pool::Postgres(_) => Ok(None),
        }
    }

    /// Opens a read-only transaction and exports its snapshot, so that `pg_dump --snapshot`
    /// dumps exactly what [`PgSnapshot::contents`] counts. Keep it open until the dump ends.
    pub async fn pg_snapshot(&self) -> Result<PgSnapshot> {
        match &self.pool {
            Pool::Postgres(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?;
                let (id,): (String,) = sqlx::query_as("SELECT pg_export_snapshot()")
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(PgSnapshot { tx, id })
            }
            Pool::Sqlite(_) => Err(SnapshotError::WrongEngine(
                "an exported snapshot",
                "PostgreSQL",
            )),
        }
    }
}

/// A PostgreSQL transaction whose snapshot is exported for `pg_dump --snapshot`.
pub struct PgSnapshot {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    id: String,
}

impl PgSnapshot {
    /// The name to pass to `pg_dump --snapshot`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tables and the schema version as the snapshot sees them.
    pub async fn contents(&mut self) -> Result<Contents> {
        let tx = &mut *self.tx;
        let row_counts = count_rows!(tx, PG_TABLES);
        let schema_version = schema_version!(tx, row_counts);
        Ok(Contents {
            row_counts,
            schema_version,
        })
    }

    /// Ends the read-only transaction.
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacuum_into_doubles_single_quotes_and_refuses_nul() {
        assert_eq!(
            vacuum_into_sql(Path::new("/tmp/it's here.db")).expect("a plain path"),
            "VACUUM INTO '/tmp/it''s here.db'"
        );
        assert_eq!(
            vacuum_into_sql(Path::new("a'';DROP TABLE x;--")).expect("quotes only"),
            "VACUUM INTO 'a'''';DROP TABLE x;--'"
        );
        assert!(matches!(
            vacuum_into_sql(Path::new("/tmp/a\0b")),
            Err(SnapshotError::UnusablePath(_, _))
        ));
        assert!(vacuum_into_sql(Path::new("")).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("answers"), "\"answers\"");
        assert_eq!(quote_identifier("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite:data/mamori.db").expect("url"),
            Some(PathBuf::from("data/mamori.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:").expect("url"), None);
        assert_eq!(
            Engine::of_url("postgres://h/db").ok(),
            Some(Engine::Postgres)
        );
        assert!(Engine::of_url("mysql://h/db").is_err());
        assert!(Engine::Sqlite.known_schema_version() >= 1);
    }

    #[tokio::test]
    async fn a_sqlite_snapshot_counts_what_was_written() {
        let dir = std::env::temp_dir().join(format!(
            "mamori-store-backup-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite:{}", dir.join("src.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let live = store.contents().await.expect("contents");
        let snap = dir.join("it's a snapshot.db");
        store.vacuum_into(&snap).await.expect("vacuum into");
        let copy = Store::open_sqlite_file(&snap).await.expect("open snapshot");
        assert_eq!(copy.contents().await.expect("contents"), live);
        assert_eq!(live.row_counts.get("audit_chain_head"), Some(&1));
        assert_eq!(
            live.schema_version,
            Some(Engine::Sqlite.known_schema_version())
        );
        assert_eq!(
            copy.integrity_check().await.expect("check").as_deref(),
            Some("ok")
        );
        copy.close().await;
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
