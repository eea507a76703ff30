//! The application under test, on either engine, with a fresh database of the demo data,
//! and what the scenarios read from that database directly.

use axum::Router;
use mamori_app::demo;
use mamori_catalog::Catalog;
use mamori_domain::FiscalYear;
use mamori_store::Store;
use mamori_web::{AppState, WebConfig};
use serde_json::Value;
use sqlx::Connection;
use tempfile::TempDir;

/// Evaluates `$body` with `$c`, a connection of its own to the test app's database, on
/// either engine (the body is written once, for both connection types).
macro_rules! with_connection {
    ($app:expr, $c:ident => $body:expr) => {
        if $app.url.starts_with("sqlite:") {
            let mut $c = sqlx::SqliteConnection::connect(&$app.url)
                .await
                .expect("connect");
            $body
        } else {
            let mut $c = sqlx::PgConnection::connect(&$app.url)
                .await
                .expect("connect");
            $body
        }
    };
}
pub(crate) use with_connection;

/// The router over a fresh database holding the demo data, and that database.
pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) state: AppState,
    pub(crate) url: String,
    pg_database: Option<String>,
    _dir: Option<TempDir>,
}

/// The PostgreSQL server the tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("MAMORI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database name no other test of any run uses.
fn unique(prefix: &str) -> String {
    let n: u64 = rand_u64();
    format!("{prefix}_{}_{n:x}", std::process::id())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

impl TestApp {
    /// Migrates the store, opens its audit log and loads the catalog and the demo data.
    async fn with_store(
        store: Store,
        url: String,
        pg_database: Option<String>,
        dir: Option<TempDir>,
    ) -> Self {
        store.migrate().await.expect("migrate");
        store
            .open_audit_log(mamori_store::AuditKey::generate(), None)
            .await
            .expect("audit key");
        let catalog = Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
        let state = AppState::new(store, catalog, WebConfig::default());
        demo::load(&state.store, state.catalog)
            .await
            .expect("demo data");
        TestApp {
            router: mamori_web::router(state.clone()),
            state,
            url,
            pg_database,
            _dir: dir,
        }
    }

    /// A SQLite database in a temporary directory.
    pub(crate) async fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mamori_test")
            .tempdir()
            .expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let store = Store::connect(&url).await.expect("sqlite");
        Self::with_store(store, url, None, Some(dir)).await
    }

    /// A new PostgreSQL database of its own (see [`postgres_admin_url`]).
    pub(crate) async fn postgres() -> Self {
        let admin = postgres_admin_url();
        let name = unique("mamori_test");
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL must be running for the tests");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin.clone());
        let url = format!("{base}/{name}");
        let store = Store::connect(&url).await.expect("postgres");
        Self::with_store(store, url, Some(name), None).await
    }

    /// Closes the store and drops the PostgreSQL database.
    pub(crate) async fn cleanup(self) {
        self.state.store.close().await;
        if let Some(name) = self.pg_database
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut conn)
                .await;
        }
    }

    /// Runs one statement on the database directly (to age an account, say).
    pub(crate) async fn exec(&self, sql: &'static str) {
        with_connection!(self, c => {
            sqlx::query(sql).execute(&mut c).await.expect("execute");
        });
    }

    /// The application's store.
    pub(crate) fn store(&self) -> &Store {
        &self.state.store
    }

    /// The demo's fiscal year (its first calendar year).
    pub(crate) fn year(&self) -> i32 {
        demo::demo_fiscal_year(self.state.catalog)
            .map(FiscalYear::start_year)
            .expect("a fiscal year")
    }

    /// The institution's form (checklist answers) of the fiscal year, as the API shows it
    /// to the caller.
    pub(crate) async fn assessment(&self, institution: i64, year: i32, token: &str) -> Value {
        let path = format!("/api/v1/institutions/{institution}/assessments/{year}");
        self.api_get(&path, token).await.json()
    }

    /// The institution's devices (機器台帳), as stored.
    pub(crate) async fn devices(&self, institution: i64) -> Vec<mamori_store::StoredDevice> {
        self.store().devices(institution).await.expect("devices")
    }

    /// A training session (which must exist), as stored.
    pub(crate) async fn training_session(&self, id: i64) -> mamori_store::SessionRecord {
        self.store()
            .training_session(id)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no training session {id}"))
    }

    /// The places of a training session, as stored.
    pub(crate) async fn registrations(
        &self,
        session: i64,
    ) -> Vec<mamori_store::RegistrationRecord> {
        self.store()
            .training_session_registrations(session)
            .await
            .expect("places")
    }

    /// The account of a login (which must exist).
    pub(crate) async fn user(&self, login: &str) -> mamori_store::User {
        self.store()
            .user_for_login(login)
            .await
            .expect("user")
            .unwrap_or_else(|| panic!("no user {login}"))
            .0
    }

    /// Asserts that the audit chain verifies; returns what the verification found.
    pub(crate) async fn assert_audit_chain_intact(&self) -> mamori_store::AuditVerification {
        let verification = self.state.store.verify_audit_chain().await.expect("verify");
        assert!(verification.problem.is_none(), "{verification:?}");
        verification
    }

    /// How many MDS/SDS deliveries the contract has.
    pub(crate) async fn deliveries(&self, contract: i64) -> usize {
        self.store()
            .vendor_deliveries(contract)
            .await
            .expect("deliveries")
            .len()
    }

    /// The whole audit log, newest first.
    pub(crate) async fn audit_log(&self) -> Vec<mamori_store::AuditRow> {
        self.store()
            .audit_entries(None, 1_000_000)
            .await
            .expect("audit")
    }

    /// Changes recorded so far (logins aside).
    pub(crate) async fn audit_changes(&self) -> usize {
        self.audit_log()
            .await
            .iter()
            .filter(|e| !e.action.starts_with("login."))
            .count()
    }
}
