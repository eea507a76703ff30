//! mamori's store: one API over embedded SQLite (the default) and PostgreSQL (scale-out).
//!
//! Both engines run the same SQL text: `$1` bind parameters, `RETURNING`, `ON CONFLICT`, dates as
//! `TEXT`, instants as RFC 3339 `TEXT`. Each engine has its own migrations folder. Every method
//! that reads or writes an institution's data takes that institution's id, and every change is
//! written together with its history and its audit entry in one transaction.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_domain::login::login_key;
use mamori_domain::{
    Answer, FiscalYear, InstitutionKind, InstitutionProfile, InstitutionScope, ItemAnswer,
    ItemAnswers, Prefecture, Principal, Role, Round,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("the database URL '{0}' is neither sqlite: nor postgres:")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Audit(#[from] AuditProblem),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub mod backup;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever engine the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Appends one entry to the keyed, hash-chained audit log inside the transaction `$tx` of
/// `$store`, which must hold the key the chain is keyed with. The head row is updated first,
/// which takes its lock and so orders concurrent appends.
macro_rules! append_audit {
    ($store:expr, $tx:expr, $at:expr, $user:expr, $action:expr, $institution:expr, $detail:expr) => {{
        let key = $store.require_audit_key()?;
        let (seq, prev_hash, recorded): (i64, String, Option<String>) =
            sqlx::query_as("UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash, key_fingerprint")
                .fetch_one(&mut *$tx)
                .await?;
        key.check_recorded(recorded.as_deref())?;
        let entry = AuditEntry {
            seq,
            at: $at,
            user_id: $user.into(),
            action: $action.to_string(),
            institution_id: $institution.into(),
            detail: $detail,
        };
        let hash = key.chain_hash(&entry, &prev_hash);
        sqlx::query("INSERT INTO audit_log (seq, at, user_id, action, institution_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(entry.seq)
            .bind(entry.at)
            .bind(entry.user_id)
            .bind(entry.action)
            .bind(entry.institution_id)
            .bind(entry.detail)
            .bind(prev_hash)
            .bind(hash.clone())
            .execute(&mut *$tx)
            .await?;
        sqlx::query("UPDATE audit_chain_head SET last_hash = $1 WHERE id = 1").bind(hash).execute(&mut *$tx).await?;
    }};
}

/// A row that `query_as` reads on either engine.
pub(crate) trait EitherRow:
    Send
    + Unpin
    + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
{
}

impl<R> EitherRow for R where
    R: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
{
}

/// Opening a write transaction. SQLite takes the write lock at once (`BEGIN IMMEDIATE`), so
/// that a transaction that reads before it writes never fails on a stale snapshot; waiting
/// writers queue on the busy timeout instead.
trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

mod migrations;
use migrations::Dialect;
mod write;
pub(crate) use write::{Audit, Written};
mod audit;
pub use audit::{
    AUDIT_KEY_BYTES, AUDIT_KEY_MIGRATION, AuditCheckpoint, AuditKey, AuditOpening, AuditProblem,
    read_checkpoints,
};
mod group_commit;
pub use group_commit::{AnswerCheck, AnswerOutcome};
mod session_cache;
pub use session_cache::SESSION_CACHE_TTL;
mod training;
pub use training::{
    CourseRecord, LecturerRecord, NewCourse, NewLecturer, NewSession, Registered,
    RegistrationRecord, SessionChange, SessionRecord, TIME_FORMAT as TRAINING_TIME_FORMAT,
};
mod incidents;
pub use incidents::{CaseScope, IncidentCase, IncidentNote, NoteSide, StateChange};
mod file;
pub use file::InstitutionFile;
mod vendors;
pub use vendors::{
    Accepted, Delivery, Document, Invitation, InvitationRefusal, Joining, MAX_DELIVERY_BYTES,
    NewContract, NewInvitation, StoredContract, VendorAnswerCheck,
};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub action: String,
    pub institution_id: Option<i64>,
    pub detail: String,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub entries: i64,
    /// The first entry found broken, and how.
    pub problem: Option<(i64, String)>,
    /// Checkpoints found to agree with the log.
    pub checkpoints: usize,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// SQLite lets one connection write at a time: writers of this process queue here and
    /// are woken when the previous one commits, instead of sleeping in SQLite's busy handler.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The queue of the task that writes answers in batches (see `group_commit`).
    answers: group_commit::AnswerSender,
    sessions: Arc<session_cache::SessionCache>,
    /// The audit chain's key, given once by `open_audit_log`.
    audit_key: audit::KeySlot,
    /// The rules institutions' years are kept with, given once by `keep_year_states`.
    year_rules: year_states::RulesSlot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub id: i64,
    pub name: String,
    pub kind: InstitutionKind,
    pub prefecture: Prefecture,
    pub beds: i64,
    pub has_medical_information_system: bool,
    pub has_vendor_contracts: bool,
    pub medical_institution_code: Option<String>,
    /// 全国地方公共団体コード of its 市区町村, where known.
    pub municipality_code: Option<String>,
    /// 市区町村名
    pub municipality_name: String,
    /// 所在地
    pub address: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Institution {
    pub fn profile(&self) -> InstitutionProfile {
        InstitutionProfile {
            kind: self.kind,
            has_medical_information_system: self.has_medical_information_system,
            has_vendor_contracts: self.has_vendor_contracts,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInstitution {
    pub name: String,
    pub kind: InstitutionKind,
    pub prefecture: Prefecture,
    pub beds: i64,
    pub has_medical_information_system: bool,
    pub has_vendor_contracts: bool,
    pub medical_institution_code: Option<String>,
    /// 全国地方公共団体コード of its 市区町村, where known.
    pub municipality_code: Option<String>,
    /// 市区町村名
    pub municipality_name: String,
    /// 所在地
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub prefecture: Option<Prefecture>,
    pub is_demo: bool,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
    /// Two-factor authentication (TOTP) is set up.
    pub totp_enabled: bool,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id,
            role: self.role,
            institution_id: self.institution_id,
            prefecture: self.prefecture,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub password_hash: String,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub prefecture: Option<Prefecture>,
    pub is_demo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    Web,
    Api,
    /// Password checked, second factor still to give (web login only, minutes long).
    Pending,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
            Self::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    /// The user's institution requires two-factor authentication of all its users.
    pub institution_requires_two_factor: bool,
    /// How many of the user's notifications (お知らせ) are unread.
    pub unread_notifications: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub round: Round,
    /// `set` or `clear`.
    pub action: String,
    pub answer: Option<ItemAnswer>,
    pub previous: Option<ItemAnswer>,
    pub changed_by: String,
    pub changed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub contact_chart_seen: bool,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// One institution's state for one fiscal year, as the list pages need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstitutionCounts {
    pub first_answers: i64,
    pub no_answers: i64,
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date '{s}'")))
}

fn parse_item_answer(answer: &str, checked_on: &str, target: Option<&str>) -> Result<ItemAnswer> {
    Ok(ItemAnswer {
        answer: Answer::parse(answer).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        checked_on: parse_date(checked_on)?,
        target_date: target.map(parse_date).transpose()?,
    })
}

/// A row of `institutions` (`institution_select!`).
#[derive(sqlx::FromRow)]
pub(crate) struct InstitutionRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) prefecture: String,
    pub(crate) beds: i64,
    pub(crate) has_medical_information_system: bool,
    pub(crate) has_vendor_contracts: bool,
    pub(crate) medical_institution_code: Option<String>,
    pub(crate) municipality_code: Option<String>,
    pub(crate) municipality_name: String,
    pub(crate) address: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// The `SELECT` of [`InstitutionRow`], for `concat!` to finish.
macro_rules! institution_select {
    () => {
        "SELECT id, name, kind, prefecture, beds, has_medical_information_system, has_vendor_contracts, medical_institution_code, municipality_code, municipality_name, address, created_at, updated_at FROM institutions"
    };
}

/// Binds a new institution's fields (`$1`…`$7`, in the order of [`NewInstitution`]), the
/// instant of the change (`$8`), its municipality and address (`$9`…`$11`) and its search key
/// and oversight kind (`$12`, `$13`), as `create_institution` and `update_institution` write
/// them.
macro_rules! bind_institution {
    ($query:expr, $new:expr, $at:expr) => {{
        let new: &NewInstitution = $new;
        $query
            .bind(new.name.clone())
            .bind(new.kind.as_str())
            .bind(new.prefecture.code())
            .bind(new.beds)
            .bind(new.has_medical_information_system)
            .bind(new.has_vendor_contracts)
            .bind(new.medical_institution_code.clone())
            .bind($at.clone())
            .bind(new.municipality_code.clone())
            .bind(new.municipality_name.clone())
            .bind(new.address.clone())
            .bind(search_grams::institution_search_key(
                &new.name,
                &new.municipality_name,
            ))
            .bind(
                mamori_domain::oversight::OversightKind::of(
                    new.kind,
                    new.medical_institution_code.as_deref(),
                )
                .as_str(),
            )
    }};
}

fn institution_from_row(row: InstitutionRow) -> Result<Institution> {
    Ok(Institution {
        id: row.id,
        name: row.name,
        kind: InstitutionKind::parse(&row.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        prefecture: Prefecture::parse(&row.prefecture)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        beds: row.beds,
        has_medical_information_system: row.has_medical_information_system,
        has_vendor_contracts: row.has_vendor_contracts,
        medical_institution_code: row.medical_institution_code,
        municipality_code: row.municipality_code,
        municipality_name: row.municipality_name,
        address: row.address,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A row of `users` as [`User`] needs it: `disabled` counts a deleted account as disabled
/// where the query says so, and `totp_enabled` is `totp_secret IS NOT NULL`.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    login: String,
    role: String,
    institution_id: Option<i64>,
    prefecture: Option<String>,
    is_demo: bool,
    disabled: bool,
    created_at: String,
    last_login_at: Option<String>,
    totp_enabled: bool,
}

/// The `SELECT` of a live account's [`UserRow`], for `concat!` to finish.
macro_rules! user_select {
    () => {
        "SELECT id, login, role, institution_id, prefecture, is_demo, disabled, created_at, last_login_at, totp_secret IS NOT NULL AS totp_enabled FROM users"
    };
}

/// A user row and the password hash.
#[derive(sqlx::FromRow)]
struct UserWithHashRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

/// A session's CSRF token and expiry, and its user's row.
#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    expires_at: String,
    institution_requires_two_factor: bool,
    unread_notifications: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

pub(crate) fn user_from_row(row: UserRow) -> Result<User> {
    Ok(User {
        id: row.id,
        login: row.login,
        role: Role::parse(&row.role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        institution_id: row.institution_id,
        prefecture: row
            .prefecture
            .map(|p| Prefecture::parse(&p))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        is_demo: row.is_demo,
        disabled: row.disabled,
        created_at: row.created_at,
        last_login_at: row.last_login_at,
        totp_enabled: row.totp_enabled,
    })
}

/// `NotFound` when a write changed no row.
pub(crate) fn found(rows_changed: u64) -> Result<()> {
    if rows_changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    fn from_pool(pool: Pool) -> Self {
        let writer: Arc<tokio::sync::Mutex<()>> = Default::default();
        let audit_key: audit::KeySlot = Default::default();
        let year_rules: year_states::RulesSlot = Default::default();
        Self {
            answers: group_commit::start_writer(
                pool.clone(),
                Arc::clone(&writer),
                Arc::clone(&audit_key),
                year_rules.clone(),
            ),
            pool,
            writer,
            sessions: Default::default(),
            audit_key,
            year_rules,
        }
    }

    /// Waits for this process's turn to write (SQLite); PostgreSQL needs no turn.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.writer.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    /// Connects to `sqlite:PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::open_url(url, true, 8, 16).await
    }

    /// Opens a pool on `url` with the store's connection settings: WAL, foreign keys and a
    /// busy timeout on SQLite, whose file is created only when `create` is set.
    async fn open_url(
        url: &str,
        create: bool,
        sqlite_connections: u32,
        postgres_connections: u32,
    ) -> Result<Self> {
        match backup::Engine::of_url(url)? {
            backup::Engine::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(create)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal);
                Self::open_sqlite(options, sqlite_connections).await
            }
            backup::Engine::Postgres => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(postgres_connections)
                    .connect_with(options)
                    .await?;
                Ok(Self::from_pool(Pool::Postgres(pool)))
            }
        }
    }

    /// A SQLite pool of `connections` on `options`, with foreign keys on and a busy timeout.
    async fn open_sqlite(options: SqliteConnectOptions, connections: u32) -> Result<Self> {
        let options = options
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .connect_with(options)
            .await?;
        Ok(Self::from_pool(Pool::Sqlite(pool)))
    }

    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => migrations::migrator(Dialect::Sqlite).run(pool).await?,
            Pool::Postgres(pool) => migrations::migrator(Dialect::Postgres).run(pool).await?,
        }
        self.fill_login_keys().await?;
        self.fill_oversight_keys().await?;
        self.fill_search_grams().await?;
        self.rebuild_oversight_counts().await?;
        Ok(())
    }

    /// Every row `sql` selects (it has no parameter).
    pub(crate) async fn select_all<R: EitherRow>(&self, sql: &'static str) -> Result<Vec<R>> {
        Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Every row `sql` selects with `id` as its one parameter (`$1`).
    pub(crate) async fn select_by<R: EitherRow>(
        &self,
        sql: &'static str,
        id: i64,
    ) -> Result<Vec<R>> {
        Ok(on_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await?))
    }

    /// The row `sql` selects with `id` as its one parameter (`$1`), if there is one.
    pub(crate) async fn select_one_by<R: EitherRow>(
        &self,
        sql: &'static str,
        id: i64,
    ) -> Result<Option<R>> {
        Ok(on_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
    }

    /// [`Store::select_all`]'s rows, each turned into a record by `from_row`.
    pub(crate) async fn select_all_as<R: EitherRow, T>(
        &self,
        sql: &'static str,
        from_row: impl FnMut(R) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.select_all(sql)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// [`Store::select_by`]'s rows, each turned into a record by `from_row`.
    pub(crate) async fn select_by_as<R: EitherRow, T>(
        &self,
        sql: &'static str,
        id: i64,
        from_row: impl FnMut(R) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.select_by(sql, id)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// [`Store::select_one_by`]'s row, if there is one, turned into a record by `from_row`.
    pub(crate) async fn select_one_by_as<R: EitherRow, T>(
        &self,
        sql: &'static str,
        id: i64,
        from_row: impl FnOnce(R) -> Result<T>,
    ) -> Result<Option<T>> {
        self.select_one_by(sql, id).await?.map(from_row).transpose()
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    // ----- institutions -------------------------------------------------------------------

    pub async fn create_institution(
        &self,
        new: &NewInstitution,
        actor: Option<i64>,
    ) -> Result<i64> {
        let at = now();
        let detail = format!(
            "name={} kind={} prefecture={}",
            new.name,
            new.kind.as_str(),
            new.prefecture.code()
        );
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = bind_institution!(sqlx::query_as(
                "INSERT INTO institutions (name, kind, prefecture, beds, has_medical_information_system, has_vendor_contracts, medical_institution_code, created_at, updated_at, municipality_code, municipality_name, address, search_key, oversight_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13) RETURNING id",
            ), new, at)
            .fetch_one(&mut *tx)
            .await?;
            oversight::count_institution!(tx, id, 1);
            search_grams::index_search_keys!(tx, &[id]);
            Ok(Written::audited(id, Audit::new(&at, actor, "institution.create", id, detail)))
        }).await?);
        Ok(id)
    }

    /// Replaces the institution's editable fields (the caller merges a partial update first).
    pub async fn update_institution(
        &self,
        id: i64,
        new: &NewInstitution,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        let detail = format!(
            "name={} kind={} prefecture={} beds={} has_medical_information_system={} has_vendor_contracts={} code={}",
            new.name,
            new.kind.as_str(),
            new.prefecture.code(),
            new.beds,
            new.has_medical_information_system,
            new.has_vendor_contracts,
            new.medical_institution_code.as_deref().unwrap_or("-")
        );
        on_pool!(self, pool => self.write(pool, async |tx| {
            // Its profile leaves the counts as it was and joins them as it becomes.
            oversight::count_institution!(tx, id, -1);
            let done = bind_institution!(sqlx::query(
                "UPDATE institutions SET name = $1, kind = $2, prefecture = $3, beds = $4, has_medical_information_system = $5, has_vendor_contracts = $6, medical_institution_code = $7, updated_at = $8, municipality_code = $9, municipality_name = $10, address = $11, search_key = $12, oversight_kind = $13 WHERE id = $14",
            ), new, at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            found(done.rows_affected())?;
            oversight::count_institution!(tx, id, 1);
            search_grams::index_search_keys!(tx, &[id]);
            // The ledger's flags are counted under the prefecture and kind: counted again.
            sqlx::query("DELETE FROM device_flag_counts WHERE institution_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // The profile decides which items apply: every year kept is computed anew.
            let years: Vec<(i64,)> = sqlx::query_as(
                "SELECT fiscal_year FROM year_states WHERE institution_id = $1 UNION SELECT fiscal_year FROM answers WHERE institution_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for (year,) in years {
                let fiscal_year = i32::try_from(year)
                    .ok()
                    .and_then(|y| FiscalYear::new(y).ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("fiscal year {year}")))?;
                year_states::write_year_status!(self.year_rules, tx, id, fiscal_year);
            }
            Ok(Written::audited((), Audit::new(&at, actor, "institution.update", id, detail)))
        }).await?);
        Ok(())
    }

    pub async fn institution(&self, id: i64) -> Result<Option<Institution>> {
        let sql = concat!(institution_select!(), " WHERE id = $1");
        self.select_one_by_as(sql, id, institution_from_row).await
    }

    /// The institutions a caller may list, by name, at most `limit` from `offset`.
    pub async fn list_institutions(
        &self,
        scope: InstitutionScope,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Institution>> {
        let rows: Vec<InstitutionRow> = match scope {
            InstitutionScope::None => Vec::new(),
            InstitutionScope::All => on_pool!(self, pool => {
                sqlx::query_as(concat!(institution_select!(), " ORDER BY prefecture, id LIMIT $1 OFFSET $2"))
                    .bind(limit).bind(offset).fetch_all(pool).await?
            }),
            InstitutionScope::Prefecture(p) => on_pool!(self, pool => {
                sqlx::query_as(concat!(institution_select!(), " WHERE prefecture = $1 ORDER BY id LIMIT $2 OFFSET $3"))
                    .bind(p.code()).bind(limit).bind(offset).fetch_all(pool).await?
            }),
            InstitutionScope::Only(id) => {
                self.select_by(concat!(institution_select!(), " WHERE id = $1"), id)
                    .await?
            }
        };
        rows.into_iter().map(institution_from_row).collect()
    }

    pub async fn count_institutions(&self, scope: InstitutionScope) -> Result<i64> {
        let (n,): (i64,) = match scope {
            InstitutionScope::None => (0,),
            InstitutionScope::All => {
                on_pool!(self, pool => sqlx::query_as("SELECT COUNT(*) FROM institutions").fetch_one(pool).await?)
            }
            InstitutionScope::Prefecture(p) => on_pool!(self, pool => {
                sqlx::query_as("SELECT COUNT(*) FROM institutions WHERE prefecture = $1").bind(p.code()).fetch_one(pool).await?
            }),
            InstitutionScope::Only(id) => on_pool!(self, pool => {
                sqlx::query_as("SELECT COUNT(*) FROM institutions WHERE id = $1").bind(id).fetch_one(pool).await?
            }),
        };
        Ok(n)
    }

    /// Per institution of the list: how many first answers and how many いいえ in `fiscal_year`.
    pub async fn answer_counts(
        &self,
        institution_ids: &[i64],
        fiscal_year: FiscalYear,
    ) -> Result<HashMap<i64, InstitutionCounts>> {
        let mut out = HashMap::new();
        // One query per institution keeps the SQL identical on both engines; lists are paged.
        for id in institution_ids {
            let (first, no): (i64, i64) = on_pool!(self, pool => {
                sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(CASE WHEN answer = 'no' THEN 1 ELSE 0 END), 0) FROM answers WHERE institution_id = $1 AND fiscal_year = $2 AND round = 1")
                    .bind(*id).bind(i64::from(fiscal_year.start_year())).fetch_one(pool).await?
            });
            out.insert(
                *id,
                InstitutionCounts {
                    first_answers: first,
                    no_answers: no,
                },
            );
        }
        Ok(out)
    }

    // ----- users and sessions -------------------------------------------------------------

    /// Creates a user; a login whose folded form ([`login_key`]) another account already
    /// has is a [`StoreError::Conflict`].
    pub async fn create_user(&self, new: &NewUser, actor: Option<i64>) -> Result<i64> {
        let at = now();
        let detail = format!("login={} role={}", new.login, new.role.as_str());
        let key = login_key(&new.login);
        if self.login_key_in_use(&key).await? {
            return Err(StoreError::Conflict(new.login.clone()));
        }
        let result = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (login, password_hash, role, institution_id, prefecture, is_demo, disabled, created_at, login_key) VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8) RETURNING id",
            )
            .bind(new.login.clone())
            .bind(new.password_hash.clone())
            .bind(new.role.as_str())
            .bind(new.institution_id)
            .bind(new.prefecture.map(|p| p.code()))
            .bind(new.is_demo)
            .bind(at.clone())
            .bind(key.clone())
            .fetch_one(&mut *tx)
            .await?;
            Ok(Written::audited(id, Audit::new(&at, actor, "user.create", new.institution_id, detail.clone())))
        }).await);
        match result {
            Err(StoreError::Database(e)) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(new.login.clone()))
            }
            other => other,
        }
    }

    /// The user and their password hash, by login: the exact login, or else the account
    /// whose folded login ([`login_key`]) it is. Accounts that shared a folded login
    /// before migration 0011 are found by their exact login only.
    pub async fn user_for_login(&self, login: &str) -> Result<Option<(User, String)>> {
        let row: Option<UserWithHashRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, login, role, institution_id, prefecture, is_demo, disabled OR deleted_at IS NOT NULL AS disabled, created_at, last_login_at, totp_secret IS NOT NULL AS totp_enabled, password_hash FROM users WHERE login = $1 OR (login_key = $2 AND NOT login_key_shared) ORDER BY CASE WHEN login = $1 THEN 0 ELSE 1 END LIMIT 1")
                .bind(login.to_owned()).bind(login_key(login)).fetch_optional(pool).await?
        });
        row.map(|row| Ok((user_from_row(row.user)?, row.password_hash)))
            .transpose()
    }

    pub async fn users_of_institution(&self, institution_id: i64) -> Result<Vec<User>> {
        let sql = concat!(
            user_select!(),
            " WHERE institution_id = $1 AND deleted_at IS NULL ORDER BY login"
        );
        self.select_by_as(sql, institution_id, user_from_row).await
    }

    pub async fn record_login(&self, user_id: i64, login: &str) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(at.clone()).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login_key(login)).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, user_id, "login.success", None::<i64>, format!("login={login}"))))
        }).await?);
        self.forget_sessions();
        Ok(())
    }

    /// Counts a failed login for `login` (known or not) and returns the count so far.
    /// Counted by the folded login, so that another spelling gives no fresh guesses.
    pub async fn record_login_failure(&self, login: &str) -> Result<i64> {
        let at = now();
        let login = login_key(login);
        let (n,): (i64,) = on_pool!(self, pool => self.write(pool, async |tx| {
            let n = sqlx::query_as(
                "INSERT INTO login_failures (login, failures, last_failure_at) VALUES ($1, 1, $2) ON CONFLICT (login) DO UPDATE SET failures = login_failures.failures + 1, last_failure_at = excluded.last_failure_at RETURNING failures",
            )
            .bind(login.to_owned()).bind(at.clone()).fetch_one(&mut *tx).await?;
            Ok(Written::audited(n, Audit::new(&at, None::<i64>, "login.failure", None::<i64>, format!("login={login}"))))
        }).await?);
        Ok(n)
    }

    /// Failed logins so far and when the last one was (by the folded login).
    pub async fn login_failures(&self, login: &str) -> Result<Option<(i64, DateTime<Utc>)>> {
        let row: Option<(i64, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT failures, last_failure_at FROM login_failures WHERE login = $1").bind(login_key(login)).fetch_optional(pool).await?
        });
        row.map(|(n, at)| {
            DateTime::parse_from_rfc3339(&at)
                .map(|t| (n, t.with_timezone(&Utc)))
                .map_err(|_| StoreError::Corrupt(format!("instant '{at}'")))
        })
        .transpose()
    }

    #[allow(clippy::too_many_arguments)] // a session row has this many columns
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        kind: SessionKind,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        address: &str,
        client: &str,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, address, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(token_hash.to_owned()).bind(user_id).bind(kind.as_str()).bind(csrf_token.to_owned()).bind(now())
                .bind(expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .bind(address.chars().take(64).collect::<String>()).bind(client.chars().take(200).collect::<String>())
                .execute(pool).await?;
        });
        Ok(())
    }

    /// The live session of this kind for a token hash, with its user; expired sessions and
    /// disabled users give `None`.
    pub async fn session(&self, token_hash: &str, kind: SessionKind) -> Result<Option<Session>> {
        let (cached, generation) = self.sessions.get(token_hash, kind);
        if cached.is_some() {
            return Ok(cached);
        }
        let session = self.session_from_database(token_hash, kind).await?;
        if let Some(s) = &session {
            self.sessions.put(token_hash, kind, s, generation);
        }
        Ok(session)
    }

    /// Empties the session cache; every method that changes sessions or users calls it
    /// after its commit.
    pub(crate) fn forget_sessions(&self) {
        self.sessions.clear();
    }

    async fn session_from_database(
        &self,
        token_hash: &str,
        kind: SessionKind,
    ) -> Result<Option<Session>> {
        let row: Option<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.csrf_token, s.expires_at, COALESCE(i.require_two_factor, FALSE) AS institution_requires_two_factor, (SELECT COUNT(*) FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread_notifications, u.id, u.login, u.role, u.institution_id, u.prefecture, u.is_demo, u.disabled OR u.deleted_at IS NOT NULL AS disabled, u.created_at, u.last_login_at, u.totp_secret IS NOT NULL AS totp_enabled FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN institutions i ON i.id = u.institution_id WHERE s.token_hash = $1 AND s.kind = $2",
            )
            .bind(token_hash.to_owned()).bind(kind.as_str()).fetch_optional(pool).await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let expires = row.expires_at;
        let expires_at = DateTime::parse_from_rfc3339(&expires)
            .map_err(|_| StoreError::Corrupt(format!("instant '{expires}'")))?
            .with_timezone(&Utc);
        let user = user_from_row(row.user)?;
        if expires_at <= Utc::now() || user.disabled {
            return Ok(None);
        }
        Ok(Some(Session {
            user,
            csrf_token: row.csrf_token,
            expires_at,
            institution_requires_two_factor: row.institution_requires_two_factor,
            unread_notifications: row.unread_notifications,
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash.to_owned()).execute(pool).await?.rows_affected());
        self.forget_sessions();
        Ok(())
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let cutoff = now();
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(cutoff).execute(pool).await?.rows_affected());
        self.forget_sessions();
        Ok(done)
    }

    // ----- answers ----------------------------------------------------------------------

    /// Every answer of one institution in one fiscal year, by item key.
    pub async fn answers(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<HashMap<String, ItemAnswers>> {
        self.answers_by_key(
            "SELECT item_key, round, answer, checked_on, target_date FROM answers WHERE institution_id = $1 AND fiscal_year = $2",
            institution_id,
            fiscal_year,
        )
        .await
    }

    /// Both rounds of one item.
    pub async fn item_answers(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
    ) -> Result<ItemAnswers> {
        let rows: Vec<vendors::AnswerRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT item_key, round, answer, checked_on, target_date FROM answers WHERE institution_id = $1 AND fiscal_year = $2 AND item_key = $3")
                .bind(institution_id).bind(i64::from(fiscal_year.start_year())).bind(item_key.to_owned()).fetch_all(pool).await?
        });
        Ok(vendors::fold_answers(rows)?
            .remove(item_key)
            .unwrap_or_default())
    }

    /// Records one round's answer, with its history and audit entry, in one transaction
    /// (shared with the answers that arrive at the same moment: see `group_commit`).
    pub async fn set_answer(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        round: Round,
        answer: &ItemAnswer,
        actor: i64,
    ) -> Result<()> {
        self.set_answer_checked(
            institution_id,
            fiscal_year,
            item_key,
            round,
            answer,
            actor,
            Box::new(|_| Ok(())),
        )
        .await?
        .map_err(|e| StoreError::Corrupt(format!("unchecked answer refused: {e}")))?;
        Ok(())
    }

    /// Records one round's answer if `check` accepts it against the item's answers as they
    /// stand inside the writing transaction. Gives the item's answers after the change, or
    /// why it was refused.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_answer_checked(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        round: Round,
        answer: &ItemAnswer,
        actor: i64,
        check: AnswerCheck,
    ) -> Result<AnswerOutcome> {
        self.write_answer(group_commit::AnswerWrite {
            institution_id,
            fiscal_year: i64::from(fiscal_year.start_year()),
            item_key: item_key.to_owned(),
            round,
            answer: answer.clone(),
            actor,
            at: now(),
            check,
        })
        .await
    }

    /// Removes one round's answer (kept in the history). Returns whether there was one.
    pub async fn clear_answer(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        round: Round,
        actor: i64,
    ) -> Result<bool> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        let removed = on_pool!(self, pool => self.write(pool, async |tx| {
            let previous: Option<(String, String, Option<String>)> = sqlx::query_as(
                "DELETE FROM answers WHERE institution_id = $1 AND fiscal_year = $2 AND item_key = $3 AND round = $4 RETURNING answer, checked_on, target_date",
            )
            .bind(institution_id).bind(fy).bind(item_key.to_owned()).bind(round.number())
            .fetch_optional(&mut *tx).await?;
            if let Some((a, c, t)) = previous {
                sqlx::query(
                    "INSERT INTO answer_history (institution_id, fiscal_year, item_key, round, action, previous_answer, previous_checked_on, previous_target_date, changed_by, changed_at) VALUES ($1, $2, $3, $4, 'clear', $5, $6, $7, $8, $9)",
                )
                .bind(institution_id).bind(fy).bind(item_key.to_owned()).bind(round.number()).bind(a).bind(c).bind(t).bind(actor).bind(at.clone())
                .execute(&mut *tx).await?;
                year_states::write_year_status!(self.year_rules, tx, institution_id, fiscal_year);
                Ok(Written::audited(true, Audit::new(&at, actor, "answer.clear", institution_id, format!("fiscal_year={fy} item={item_key} round={}", round.number()))))
            } else {
                Ok(Written::dropped(false))
            }
        }).await?);
        Ok(removed)
    }

    /// The history of one item, newest first.
    pub async fn answer_history(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
    ) -> Result<Vec<HistoryEntry>> {
        /// A change and the one it replaced; `login` is the changer's.
        #[derive(sqlx::FromRow)]
        struct Row {
            round: i64,
            action: String,
            answer: Option<String>,
            checked_on: Option<String>,
            target_date: Option<String>,
            previous_answer: Option<String>,
            previous_checked_on: Option<String>,
            previous_target_date: Option<String>,
            login: Option<String>,
            changed_at: String,
        }
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT h.round, h.action, h.answer, h.checked_on, h.target_date, h.previous_answer, h.previous_checked_on, h.previous_target_date, u.login, h.changed_at FROM answer_history h LEFT JOIN users u ON u.id = h.changed_by WHERE h.institution_id = $1 AND h.fiscal_year = $2 AND h.item_key = $3 ORDER BY h.id DESC",
            )
            .bind(institution_id).bind(i64::from(fiscal_year.start_year())).bind(item_key.to_owned()).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let answer = match (row.answer, row.checked_on) {
                    (Some(a), Some(c)) => {
                        Some(parse_item_answer(&a, &c, row.target_date.as_deref())?)
                    }
                    _ => None,
                };
                let previous = match (row.previous_answer, row.previous_checked_on) {
                    (Some(a), Some(c)) => Some(parse_item_answer(
                        &a,
                        &c,
                        row.previous_target_date.as_deref(),
                    )?),
                    _ => None,
                };
                Ok(HistoryEntry {
                    round: Round::from_number(row.round)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    action: row.action,
                    answer,
                    previous,
                    changed_by: row.login.unwrap_or_default(),
                    changed_at: row.changed_at,
                })
            })
            .collect()
    }

    // ----- inspection -------------------------------------------------------------------

    pub async fn observation(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<Option<Observation>> {
        let row: Option<(bool, Option<String>, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT o.contact_chart_seen, u.login, o.recorded_at FROM inspection_observations o LEFT JOIN users u ON u.id = o.recorded_by WHERE o.institution_id = $1 AND o.fiscal_year = $2")
                .bind(institution_id).bind(i64::from(fiscal_year.start_year())).fetch_optional(pool).await?
        });
        Ok(row.map(|(seen, by, at)| Observation {
            contact_chart_seen: seen,
            recorded_by: by.unwrap_or_default(),
            recorded_at: at,
        }))
    }

    pub async fn set_observation(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        contact_chart_seen: bool,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query(
                "INSERT INTO inspection_observations (institution_id, fiscal_year, contact_chart_seen, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (institution_id, fiscal_year) DO UPDATE SET contact_chart_seen = excluded.contact_chart_seen, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(institution_id).bind(fy).bind(contact_chart_seen).bind(actor).bind(at.clone())
            .execute(&mut *tx).await?;
            year_states::write_year_status!(self.year_rules, tx, institution_id, fiscal_year);
            Ok(Written::audited((), Audit::new(&at, actor, "inspection.observation", institution_id, format!("fiscal_year={fy} contact_chart_seen={contact_chart_seen}"))))
        }).await?);
        Ok(())
    }

    /// Number of audit entries for an institution (for tests and the admin page).
    pub async fn audit_count(&self, institution_id: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE institution_id = $1").bind(institution_id).fetch_one(pool).await?
        });
        Ok(n)
    }
}

mod security;
pub use security::{AccessEntry, AuditRow, LoginEvent, SessionInfo, access_bucket};

mod assurance;
pub use assurance::{
    ApplicationChange, ApplicationRecord, AssuranceChange, ExcludedRecord, NewProgram,
    PrefectureBook, ProgramRecord, RankRecord, SubmissionRecord, SurveyResultNotice,
    WithdrawalRecord,
};
mod calendar;
mod notifications;
pub use calendar::CalendarRow;
mod mail;
pub use mail::{FailedMail, LeasedMail, MailSettings};
mod survey_notices;
pub use survey_notices::NonResponder;
mod deadline_notices;
mod evidence;
pub use evidence::{EvidenceFile, EvidenceVersion, EvidenceWrite, EvidenceWritten, StoredEvidence};
mod oversight;
mod search_grams;
mod training_notices;
mod upkeep_notices;
mod vendor_notices;
pub use training_notices::TrainingPlace;
mod year_states;
pub use notifications::{NOTIFICATION_LIST_LIMIT, StoredNotification};
pub use oversight::{
    OversightFilter, OversightRow, OversightSort, StateCounts, UnansweredState, YearView,
};
pub use year_states::{YearFacts, YearRules};
mod device_flags;
pub use device_flags::{DeviceFlagCounts, FlagTotals};

mod inspections;
pub use inspections::{
    FollowUp, FollowUpRefusal, InspectionRecord, OpenRemarkCounts, RemarkRecord, ReportRecord,
    ScheduledInspection,
};

mod devices;
pub use devices::{ImportCounts, LedgerUpload, StoredDevice, compare_ledger};
