//! `mamori bench`: measures a real server under load against baselines taken in the same
//! run, so that the figures can be compared as ratios rather than as absolute numbers that
//! depend on the machine.
//!
//! One run: a scratch database (a fresh SQLite file, or fresh PostgreSQL databases on the
//! server given) is seeded through the store with N institutions, their admins and a year of
//! answers; `mamori serve` is started on it as a child process; the bench logs in over HTTP
//! and loads, with C concurrent clients for S seconds each:
//!
//! * `GET /healthz` (the baseline of the web tier),
//! * the checklist page as the national admin's cookie session,
//! * the assessment API with the national admin's bearer token,
//! * answer writes through the API, each by the institution's own admin,
//! * the write baseline: the same rows inserted with the database driver alone, one row per
//!   transaction, in a scratch table of a separate scratch database of the same engine.
//!
//! Everything it creates (the child, the files, the PostgreSQL databases) is removed at the end.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Days, NaiveDate, Utc};
use clap::Args;
use mamori_catalog::Catalog;
use mamori_domain::{
    Answer, FiscalYear, InstitutionKind, ItemAnswer, ItemStatus, Prefecture, Role, Round,
};
use mamori_store::{NewInstitution, NewUser, Store};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};
use tokio::process::{Child, Command};
use tokio::task::JoinSet;

mod login;
use login::*;
pub(crate) use login::{api_login, page_login};

/// The fiscal year the bench works in.
const FISCAL_YEAR: i32 = 2025;
/// The password of every user the bench creates.
pub(crate) const PASSWORD: &str = "bench-password-2025";
const NATIONAL_LOGIN: &str = "bench-national";
/// The item every answer write changes: present on both forms of the 令和7年度版.
const WRITE_ITEM: &str = "1-1";
/// How many institution admins share the answer writes.
const WRITERS: usize = 64;
/// The store's pool sizes (`Store::connect`), used for the raw-insert baseline too.
const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 16;
/// Not counted: lets the client open its connections and the server warm its caches.
const WARM_UP: Duration = Duration::from_secs(1);
/// A bound on the requests of one client task in one measurement.
const MAX_REQUESTS_PER_TASK: u64 = 50_000_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Where to run: by default a fresh SQLite file in a temporary folder; with
    /// `postgres://…`, fresh scratch databases are created on that server (CREATE DATABASE)
    /// and dropped at the end. Never read from MAMORI_DATABASE_URL.
    #[arg(long)]
    database_url: Option<String>,
    /// Institutions to seed (each with its admin and a year of answers).
    #[arg(long, default_value_t = 2000)]
    institutions: usize,
    /// Concurrent clients in each measurement.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of each measurement (after a one-second warm-up that is not counted).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Also writes the markdown report to this file.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    if !(1..=1_000_000).contains(&args.institutions) {
        bail!("--institutions must be between 1 and 1000000");
    }
    if !(1..=1024).contains(&args.connections) {
        bail!("--connections must be between 1 and 1024");
    }
    if !(1..=3600).contains(&args.seconds) {
        bail!("--seconds must be between 1 and 3600");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let outcome = bench(&args, &scratch).await;
    let cleaned = scratch.remove().await;
    let report = outcome?;
    cleaned?;
    println!();
    println!("{report}");
    if let Some(path) = &args.output {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

// ----- scratch databases --------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What the bench creates and must remove: a temporary folder (server log, SQLite files) and,
/// on PostgreSQL, the scratch databases.
struct Scratch {
    engine: Engine,
    dir: PathBuf,
    /// The database the server runs on.
    app_url: String,
    /// The database of the raw-insert baseline.
    raw_url: String,
    /// PostgreSQL: the URL given (to create and drop databases) and the databases created.
    admin_url: Option<String>,
    databases: Vec<String>,
}

impl Scratch {
    async fn create(database_url: Option<&str>) -> Result<Self> {
        let engine = match database_url {
            None => Engine::Sqlite,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Engine::Postgres
            }
            Some(url) if url.starts_with("sqlite:") => {
                bail!("--database-url takes postgres://…; SQLite runs on a fresh file by default")
            }
            Some(url) => bail!("the database URL '{url}' is not postgres://…"),
        };
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("mamori-bench-{pid}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot empty {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let Some(url) = database_url.filter(|_| engine == Engine::Postgres) else {
            return Ok(Self {
                engine,
                app_url: format!("sqlite:{}", dir.join("mamori.db").display()),
                raw_url: format!("sqlite:{}", dir.join("raw.db").display()),
                dir,
                admin_url: None,
                databases: Vec::new(),
            });
        };
        let app = format!("mamori_bench_{pid}");
        let raw = format!("mamori_bench_{pid}_raw");
        let mut scratch = Self {
            engine,
            app_url: with_database(url, &app)?,
            raw_url: with_database(url, &raw)?,
            dir,
            admin_url: Some(url.to_owned()),
            databases: Vec::new(),
        };
        let created = scratch.create_databases(url, [app, raw]).await;
        if let Err(e) = created {
            if let Err(cleanup) = scratch.remove().await {
                eprintln!("mamori bench: {cleanup:#}");
            }
            return Err(e);
        }
        Ok(scratch)
    }

    async fn create_databases(&mut self, url: &str, names: [String; 2]) -> Result<()> {
        let mut admin = pg_admin(url).await?;
        for name in names {
            // Recorded once created, so that only what this run created is dropped.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .with_context(|| format!("cannot create the database {name}"))?;
            self.databases.push(name);
        }
        admin
            .close()
            .await
            .context("closing the admin connection")?;
        Ok(())
    }

    /// Drops the scratch databases and removes the folder. Call after the server has stopped.
    async fn remove(&self) -> Result<()> {
        let mut failures = Vec::new();
        if let (Some(url), false) = (&self.admin_url, self.databases.is_empty()) {
            match pg_admin(url).await {
                Ok(mut admin) => {
                    for name in &self.databases {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut admin)
                            .await
                        {
                            failures.push(format!("cannot drop the database {name}: {e}"));
                        }
                    }
                    let _ = admin.close().await;
                }
                Err(e) => failures.push(format!("{e:#}")),
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            failures.push(format!("cannot remove {}: {e}", self.dir.display()));
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(anyhow!("cleaning up failed: {}", failures.join("; ")))
        }
    }
}

/// Serves `state`'s router on a free port of 127.0.0.1: its base URL, and the task to abort
/// when done.
pub(crate) async fn serve_locally(
    state: mamori_web::AppState,
) -> Result<(String, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = mamori_web::router(state);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    Ok((base, server))
}

pub(crate) async fn pg_admin(url: &str) -> Result<sqlx::PgConnection> {
    // CREATE and DROP DATABASE can take a second: not worth a slow-statement warning.
    let options = PgConnectOptions::from_str(url)
        .context("the PostgreSQL URL is not valid")?
        .disable_statement_logging();
    sqlx::PgConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

/// The URL with its database (the path) replaced by `name`.
pub(crate) fn with_database(url: &str, name: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").context("the URL has no scheme")? + 3;
    let rest = &base[host_start..];
    let host = rest.split_once('/').map_or(rest, |(h, _)| h);
    Ok(format!("{}{host}/{name}{query}", &base[..host_start]))
}

// ----- the run ------------------------------------------------------------------------------

async fn bench(args: &BenchArgs, scratch: &Scratch) -> Result<String> {
    let catalog_dir = mamori_catalog::bundled_dir();
    let catalog = Catalog::load(&catalog_dir)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("the catalog in {} is not valid", catalog_dir.display()))?;
    let fy = FiscalYear::new(FISCAL_YEAR)
        .map_err(|e| anyhow!(e.message.render(mamori_locale::Lang::En)))?;
    let engine = scratch.engine;
    let c = args.connections;
    let secs = args.seconds;
    println!(
        "mamori bench: {} with {} institutions, {c} concurrent clients, {secs} s per measurement",
        engine.name(),
        args.institutions
    );

    println!("seeding the scratch database…");
    let key_file = scratch.dir.join("audit.key");
    let key = mamori_store::AuditKey::create_file(&key_file)?;
    let seeded = seed(
        &scratch.app_url,
        &key,
        engine,
        args.institutions,
        &catalog,
        fy,
    )
    .await?;
    println!(
        "seeded {} institutions, {} users, {} answers in {:.1} s",
        seeded.institutions.len(),
        seeded.institutions.len() + 1,
        seeded.answers,
        seeded.seconds
    );

    let server = Server::start(&scratch.dir, &scratch.app_url, &catalog_dir).await?;
    let base = server.base.clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.memory()?;
    println!(
        "server pid {} listening on {base}, idle RSS {:.1} MiB",
        server.pid,
        mib(idle.rss_kib)
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(c + WRITERS)
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client")?;

    let mut codes = seeded.national_codes.iter().map(String::as_str);
    let national_token = api_login(&client, &base, NATIONAL_LOGIN, codes.next()).await?;
    let session_cookie = page_login(&client, &base, NATIONAL_LOGIN, codes.next()).await?;
    let first = seeded
        .institutions
        .first()
        .context("no institution was seeded")?
        .id;
    check_ok(
        client
            .get(format!(
                "{base}/institutions/{first}/checklist/{FISCAL_YEAR}"
            ))
            .header(
                reqwest::header::COOKIE,
                format!("mamori_session={session_cookie}"),
            ),
        "the checklist page with the national admin's session",
    )
    .await?;
    check_ok(
        client
            .get(format!(
                "{base}/api/v1/institutions/{first}/assessments/{FISCAL_YEAR}"
            ))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {national_token}"),
            ),
        "the assessment API with the national admin's token",
    )
    .await?;
    let writers = log_in_writers(&client, &base, &seeded).await?;
    let logged_in = server.memory()?;
    println!(
        "logged in: the national admin (API token and page session), {} institution admins; RSS {:.1} MiB",
        writers.len(),
        mib(logged_in.rss_kib)
    );

    let ids: Arc<Vec<i64>> = Arc::new(seeded.institutions.iter().map(|i| i.id).collect());
    let mut results = Vec::new();

    let healthz_url = format!("{base}/healthz");
    let op = {
        let client = client.clone();
        move |_seq: u64| {
            let request = client.get(healthz_url.as_str());
            http_op(request)
        }
    };
    results.push(measure("GET /healthz", c, secs, Arc::new(op)).await);

    let op = {
        let client = client.clone();
        let base = base.clone();
        let ids = Arc::clone(&ids);
        let cookie = format!("mamori_session={session_cookie}");
        move |seq: u64| {
            let id = ids[(seq % ids.len() as u64) as usize];
            let request = client
                .get(format!("{base}/institutions/{id}/checklist/{FISCAL_YEAR}"))
                .header(reqwest::header::COOKIE, cookie.as_str())
                .header(reqwest::header::ACCEPT, "text/html")
                .header(reqwest::header::ACCEPT_ENCODING, "gzip");
            http_op(request)
        }
    };
    results.push(
        measure(
            "GET /institutions/{id}/checklist/2025 (page, gzip)",
            c,
            secs,
            Arc::new(op),
        )
        .await,
    );

    let op = {
        let client = client.clone();
        let base = base.clone();
        let ids = Arc::clone(&ids);
        let bearer = format!("Bearer {national_token}");
        move |seq: u64| {
            let id = ids[(seq % ids.len() as u64) as usize];
            let request = client
                .get(format!(
                    "{base}/api/v1/institutions/{id}/assessments/{FISCAL_YEAR}"
                ))
                .header(reqwest::header::AUTHORIZATION, bearer.as_str());
            http_op(request)
        }
    };
    results.push(
        measure(
            "GET /api/v1/institutions/{id}/assessments/2025",
            c,
            secs,
            Arc::new(op),
        )
        .await,
    );

    let writers = Arc::new(writers);
    let body = serde_json::json!({
        "round": 1,
        "answer": "yes",
        "checked_on": "2025-06-01",
        "target_date": null,
    })
    .to_string();
    let op = {
        let client = client.clone();
        let base = base.clone();
        let writers = Arc::clone(&writers);
        move |seq: u64| {
            let w = &writers[(seq % writers.len() as u64) as usize];
            let request = client
                .put(format!(
                    "{base}/api/v1/institutions/{}/assessments/{FISCAL_YEAR}/items/{WRITE_ITEM}",
                    w.institution_id
                ))
                .header(reqwest::header::AUTHORIZATION, w.bearer.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            http_op(request)
        }
    };
    results.push(
        measure(
            "PUT …/assessments/2025/items/1-1 (answer write)",
            c,
            secs,
            Arc::new(op),
        )
        .await,
    );

    let peak = server.memory()?;
    let log_path = scratch.dir.join("server.log");
    let server_exit = server.stop().await;
    let server_log = log_summary(&log_path);

    let raw = RawPool::open(engine, &scratch.raw_url).await?;
    let raw_version = raw.version().await?;
    raw.create_table().await?;
    let raw = Arc::new(raw);
    let writer_rows: Arc<Vec<(i64, i64)>> = Arc::new(
        writers
            .iter()
            .map(|w| (w.institution_id, w.user_id))
            .collect(),
    );
    let op = {
        let raw = Arc::clone(&raw);
        move |seq: u64| {
            let raw = Arc::clone(&raw);
            let (institution_id, user_id) = writer_rows[(seq % writer_rows.len() as u64) as usize];
            let fut: OpFuture = Box::pin(async move {
                match raw.insert(institution_id, user_id).await {
                    Ok(()) => Outcome::Ok(0),
                    Err(e) => Outcome::Failed(format!("{e}")),
                }
            });
            fut
        }
    };
    results.push(
        measure(
            "INSERT one row per transaction (driver alone)",
            c,
            secs,
            Arc::new(op),
        )
        .await,
    );
    raw.close().await;
    server_exit?;

    let report = Report {
        engine,
        engine_version: raw_version,
        institutions: &seeded,
        connections: c,
        seconds: secs,
        machine: Machine::read(),
        results: &results,
        idle_rss_kib: idle.rss_kib,
        logged_in_rss_kib: logged_in.rss_kib,
        logins: writers.len() + 2,
        server_log,
        peak_kib: peak.hwm_kib,
        rss_after_kib: peak.rss_kib,
    };
    Ok(report.markdown())
}

// ----- seeding ------------------------------------------------------------------------------

struct SeededInstitution {
    id: i64,
    kind: InstitutionKind,
    admin_login: String,
    admin_id: i64,
    /// Whether the write item applies (the institution has a medical information system).
    writable: bool,
}

struct Seeded {
    institutions: Vec<SeededInstitution>,
    /// The national admin's recovery codes.
    national_codes: Vec<String>,
    answers: u64,
    seconds: f64,
}

fn new_institution(n: usize) -> Result<NewInstitution> {
    // Roughly Japan's mix: few hospitals, many clinics without beds, many pharmacies.
    let (kind, beds) = match n % 20 {
        0 => (InstitutionKind::Hospital, 20 + (n * 37 % 480) as i64),
        1 => (InstitutionKind::ClinicWithBeds, 1 + (n % 19) as i64),
        2..=12 => (InstitutionKind::ClinicWithoutBeds, 0),
        _ => (InstitutionKind::Pharmacy, 0),
    };
    let pref_code = n % 47 + 1;
    let prefecture = Prefecture::parse(&format!("{pref_code:02}"))
        .map_err(|e| anyhow!(e.message.render(mamori_locale::Lang::En)))?;
    let table = if kind == InstitutionKind::Pharmacy {
        4
    } else {
        1
    };
    Ok(NewInstitution {
        name: format!("ベンチ{}{n:05}", kind.label_ja()),
        kind,
        prefecture,
        beds,
        // A few small clinics still run on paper.
        has_medical_information_system: n % 50 != 7,
        has_vendor_contracts: n % 7 != 3,
        medical_institution_code: Some(format!(
            "{pref_code:02}{table}{:06}{}",
            n % 1_000_000,
            n % 10
        )),
        municipality_code: None,
        municipality_name: String::new(),
        address: String::new(),
    })
}

async fn seed(
    url: &str,
    key: &mamori_store::AuditKey,
    engine: Engine,
    n: usize,
    catalog: &Catalog,
    fy: FiscalYear,
) -> Result<Seeded> {
    let started = Instant::now();
    let store = Store::connect(url)
        .await
        .with_context(|| format!("cannot open the scratch database {url}"))?;
    store
        .migrate()
        .await
        .context("cannot migrate the scratch database")?;
    store.open_audit_log(key.clone(), None).await?;
    let hash = mamori_app::passwords::hash_password(PASSWORD.to_owned())
        .await
        .context("cannot hash the bench password")?;
    let national = NewUser {
        login: NATIONAL_LOGIN.to_owned(),
        password_hash: hash.clone(),
        role: Role::NationalAdmin,
        institution_id: None,
        prefecture: None,
        is_demo: false,
    };
    let national_id = store
        .create_user(&national, None)
        .await
        .context("cannot create the national admin")?;
    // National administrators must use a second factor: enrol one, as the account page
    // would, and log in with its recovery codes (each accepted once).
    let secret = mamori_app::two_factor::new_secret();
    let national_codes = mamori_app::two_factor::new_recovery_codes();
    let hashes: Vec<String> = national_codes
        .iter()
        .map(|c| mamori_app::two_factor::hash_recovery_code(c))
        .collect();
    store
        .enable_totp(national_id, &secret, 0, &hashes)
        .await
        .context("cannot enrol the national admin in two-factor authentication")?;

    // Institutions are seeded by a few workers in parallel (one on SQLite, whose writes are
    // serial anyway); each takes the next number until all are done.
    let workers = match engine {
        Engine::Sqlite => 1,
        Engine::Postgres => POSTGRES_POOL as usize,
    };
    let next = Arc::new(AtomicU64::new(0));
    let shared = Arc::new((store.clone(), catalog.clone(), hash));
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let next = Arc::clone(&next);
        let shared = Arc::clone(&shared);
        set.spawn(async move {
            let (store, catalog, hash) = &*shared;
            let mut done = Vec::new();
            let mut answers = 0u64;
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                if k >= n {
                    break;
                }
                let (inst, count) =
                    seed_institution(store, catalog, hash, k, fy, national_id).await?;
                answers += count;
                done.push(inst);
            }
            anyhow::Ok((done, answers))
        });
    }
    let mut institutions = Vec::with_capacity(n);
    let mut answers = 0;
    while let Some(joined) = set.join_next().await {
        let (done, count) = joined.context("a seeding task failed")??;
        institutions.extend(done);
        answers += count;
    }
    institutions.sort_by_key(|i| i.id);
    store.close().await;
    Ok(Seeded {
        institutions,
        national_codes,
        answers,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One institution, its admin and its answers for the year: every item of the form that
/// applies, first round; a few いいえ with a target date, checked again in the second round.
async fn seed_institution(
    store: &Store,
    catalog: &Catalog,
    hash: &str,
    n: usize,
    fy: FiscalYear,
    national_id: i64,
) -> Result<(SeededInstitution, u64)> {
    let new = new_institution(n)?;
    let profile = mamori_domain::InstitutionProfile {
        kind: new.kind,
        has_medical_information_system: new.has_medical_information_system,
        has_vendor_contracts: new.has_vendor_contracts,
    };
    let id = store
        .create_institution(&new, Some(national_id))
        .await
        .with_context(|| format!("cannot create institution {n}"))?;
    let login = format!("bench-admin-{id}");
    let admin = NewUser {
        login: login.clone(),
        password_hash: hash.to_owned(),
        role: Role::InstitutionAdmin,
        institution_id: Some(id),
        prefecture: None,
        is_demo: false,
    };
    let admin_id = store
        .create_user(&admin, Some(national_id))
        .await
        .with_context(|| format!("cannot create the admin of institution {id}"))?;
    let version = catalog
        .version_for(fy, new.kind.form())
        .with_context(|| format!("no {} form in force in {fy}", new.kind.form().as_str()))?;
    let first_check = date(2025, 5, 1)? + Days::new((n % 60) as u64);
    let second_check = date(2025, 11, 4)? + Days::new((n % 60) as u64);
    let target = date(2026, 2, 27)?;
    let mut count = 0u64;
    let mut writable = false;
    for (k, item) in version.items.iter().enumerate() {
        if let ItemStatus::NotApplicable(_) = version.status_of(item, fy, &profile) {
            continue;
        }
        writable |= item.key == WRITE_ITEM;
        let no = item.has_target_date && (n + k).is_multiple_of(11) && item.key != WRITE_ITEM;
        let first = ItemAnswer {
            answer: if no { Answer::No } else { Answer::Yes },
            checked_on: first_check,
            target_date: no.then_some(target),
        };
        store
            .set_answer(id, fy, &item.key, Round::First, &first, admin_id)
            .await
            .with_context(|| format!("cannot answer {} for institution {id}", item.key))?;
        count += 1;
        if no {
            let second = ItemAnswer {
                answer: Answer::Yes,
                checked_on: second_check,
                target_date: None,
            };
            store
                .set_answer(id, fy, &item.key, Round::Second, &second, admin_id)
                .await
                .with_context(|| format!("cannot answer {} for institution {id}", item.key))?;
            count += 1;
        }
    }
    Ok((
        SeededInstitution {
            id,
            kind: new.kind,
            admin_login: login,
            admin_id,
            writable,
        },
        count,
    ))
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).with_context(|| format!("{y}-{m}-{d} is not a date"))
}

// ----- the server ---------------------------------------------------------------------------

/// `mamori serve` as a child process, on a database of its own.
pub(crate) struct Server {
    child: Child,
    pub(crate) pid: u32,
    pub(crate) base: String,
}

pub(crate) struct Memory {
    pub(crate) rss_kib: u64,
    pub(crate) hwm_kib: u64,
}

impl Server {
    /// Starts the server on `database_url`, with its key, checkpoints and log in `dir`, and
    /// waits until it answers.
    pub(crate) async fn start(dir: &Path, database_url: &str, catalog_dir: &Path) -> Result<Self> {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")
                .context("cannot find a free port on 127.0.0.1")?;
            listener.local_addr().context("no local address")?.port()
        };
        let exe = std::env::current_exe().context("cannot find the mamori executable")?;
        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let child = Command::new(&exe)
            .arg("serve")
            .arg("--database-url")
            .arg(database_url)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--catalog")
            .arg(catalog_dir)
            .arg("--audit-key-file")
            .arg(dir.join("audit.key"))
            .arg("--audit-checkpoints")
            .arg(dir.join("audit-checkpoints"))
            .env("MAMORI_LOG", "info,tower_http=warn,sqlx=warn")
            .env("NO_COLOR", "1")
            .env_remove("MAMORI_SECURE_COOKIES")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {} serve", exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut server = Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
        };
        let probe = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .context("cannot build the HTTP client")?;
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().context("cannot watch the server")? {
                bail!(
                    "the server exited ({status}) before answering; its log:\n{}",
                    log_tail(&log_path)
                );
            }
            let answer = probe.get(format!("{}/healthz", server.base)).send().await;
            if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                break;
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                bail!(
                    "the server did not answer /healthz within {} s; its log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    log_tail(&log_path)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    pub(crate) fn memory(&self) -> Result<Memory> {
        let path = format!("/proc/{}/status", self.pid);
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("no {name} in {path}"))
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }

    pub(crate) async fn stop(mut self) -> Result<()> {
        if self
            .child
            .try_wait()
            .context("cannot watch the server")?
            .is_some()
        {
            bail!("the server exited during the run");
        }
        self.child.kill().await.context("cannot stop the server")?;
        Ok(())
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The server log's errors and warnings, without their time, most frequent first.
fn log_summary(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let line = strip_ansi(line);
        let line = line.as_str();
        let found = [" ERROR ", " WARN "]
            .iter()
            .find_map(|level| line.find(level).map(|at| &line[at + 1..]));
        if let Some(message) = found {
            // Per-request latencies would make every line distinct.
            let message = message.split(" latency=").next().unwrap_or(message);
            let message: String = message.chars().take(300).collect();
            *counts.entry(message).or_insert(0) += 1;
        }
    }
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    list
}

/// The line without its terminal colour codes (`ESC [ … m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(ch);
        }
    }
    out
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ----- load ---------------------------------------------------------------------------------

pub(crate) enum Outcome {
    /// A 2xx answer, with its body's length.
    Ok(usize),
    /// Another status.
    Status(u16),
    /// No answer: a transport or database error.
    Failed(String),
}

pub(crate) type OpFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;
pub(crate) type Op = Arc<dyn Fn(u64) -> OpFuture + Send + Sync>;

pub(crate) fn http_op(request: reqwest::RequestBuilder) -> OpFuture {
    Box::pin(async move {
        match request.send().await {
            Ok(r) => {
                let status = r.status();
                match r.bytes().await {
                    Ok(body) if status.is_success() => Outcome::Ok(body.len()),
                    Ok(_) => Outcome::Status(status.as_u16()),
                    Err(e) => Outcome::Failed(format!("reading the body: {e}")),
                }
            }
            Err(e) => Outcome::Failed(format!("{e}")),
        }
    })
}

pub(crate) struct Measurement {
    name: &'static str,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    /// Error kinds and their counts.
    error_kinds: BTreeMap<String, u64>,
    pub(crate) rate: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    mean_body: f64,
}

struct TaskResult {
    latencies_us: Vec<u64>,
    ok: u64,
    body_bytes: u64,
    errors: BTreeMap<String, u64>,
}

async fn run_tasks(c: usize, duration: Duration, op: &Op, seq: &Arc<AtomicU64>) -> Vec<TaskResult> {
    let deadline = Instant::now() + duration;
    let mut set = JoinSet::new();
    for _ in 0..c {
        let op = Arc::clone(op);
        let seq = Arc::clone(seq);
        set.spawn(async move {
            let mut r = TaskResult {
                latencies_us: Vec::with_capacity(4096),
                ok: 0,
                body_bytes: 0,
                errors: BTreeMap::new(),
            };
            let mut n = 0u64;
            while n < MAX_REQUESTS_PER_TASK && Instant::now() < deadline {
                let s = seq.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let outcome = op(s).await;
                r.latencies_us
                    .push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                match outcome {
                    Outcome::Ok(bytes) => {
                        r.ok += 1;
                        r.body_bytes += bytes as u64;
                    }
                    Outcome::Status(code) => {
                        *r.errors.entry(format!("HTTP {code}")).or_insert(0) += 1
                    }
                    Outcome::Failed(e) => {
                        let kind: String = e.chars().take(160).collect();
                        *r.errors.entry(kind).or_insert(0) += 1;
                    }
                }
                n += 1;
            }
            r
        });
    }
    let mut out = Vec::with_capacity(c);
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => {
                let mut errors = BTreeMap::new();
                errors.insert(format!("client task failed: {e}"), 1);
                out.push(TaskResult {
                    latencies_us: Vec::new(),
                    ok: 0,
                    body_bytes: 0,
                    errors,
                });
            }
        }
    }
    out
}

pub(crate) async fn measure(name: &'static str, c: usize, secs: u64, op: Op) -> Measurement {
    println!("measuring {name} ({c} clients, {secs} s)…");
    let seq = Arc::new(AtomicU64::new(0));
    run_tasks(c, WARM_UP, &op, &seq).await;
    let started = Instant::now();
    let results = run_tasks(c, Duration::from_secs(secs), &op, &seq).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<u64> = Vec::new();
    let mut ok = 0;
    let mut body = 0;
    let mut error_kinds: BTreeMap<String, u64> = BTreeMap::new();
    for r in results {
        latencies.extend(r.latencies_us);
        ok += r.ok;
        body += r.body_bytes;
        for (k, v) in r.errors {
            *error_kinds.entry(k).or_insert(0) += v;
        }
    }
    latencies.sort_unstable();
    let errors = error_kinds.values().sum();
    let m = Measurement {
        name,
        ok,
        errors,
        error_kinds,
        rate: ok as f64 / elapsed,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        mean_body: if ok > 0 { body as f64 / ok as f64 } else { 0.0 },
    };
    println!(
        "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} ok, {} errors",
        m.rate, m.p50_ms, m.p99_ms, m.ok, m.errors
    );
    for (kind, count) in &m.error_kinds {
        println!("  error ×{count}: {kind}");
    }
    m
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us[i] as f64 / 1000.0
}

// ----- the raw-insert baseline ---------------------------------------------------------------

enum RawPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

const RAW_TABLE: &str = "CREATE TABLE bench_raw (institution_id BIGINT, fiscal_year BIGINT, item_key TEXT, round BIGINT, answer TEXT, checked_on TEXT, target_date TEXT, updated_by BIGINT, updated_at TEXT)";
const RAW_INSERT: &str = "INSERT INTO bench_raw (institution_id, fiscal_year, item_key, round, answer, checked_on, target_date, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

impl RawPool {
    /// A pool like the store's: same pragmas on SQLite, same sizes.
    async fn open(engine: Engine, url: &str) -> Result<Self> {
        match engine {
            Engine::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .context("the scratch SQLite URL is not valid")?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(SQLITE_POOL)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("cannot open {url}"))?;
                Ok(Self::Sqlite(pool))
            }
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .context("the scratch PostgreSQL URL is not valid")?;
                let pool = PgPoolOptions::new()
                    .max_connections(POSTGRES_POOL)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("cannot open {url}"))?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    async fn version(&self) -> Result<String> {
        let (v,): (String,) = match self {
            Self::Sqlite(p) => sqlx::query_as("SELECT sqlite_version()").fetch_one(p).await,
            Self::Postgres(p) => sqlx::query_as("SHOW server_version").fetch_one(p).await,
        }
        .context("cannot read the database version")?;
        Ok(v)
    }

    async fn create_table(&self) -> Result<()> {
        match self {
            Self::Sqlite(p) => sqlx::query(RAW_TABLE).execute(p).await.map(|_| ()),
            Self::Postgres(p) => sqlx::query(RAW_TABLE).execute(p).await.map(|_| ()),
        }
        .context("cannot create the scratch table bench_raw")
    }

    async fn insert(&self, institution_id: i64, user_id: i64) -> Result<(), sqlx::Error> {
        let at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        macro_rules! insert {
            ($pool:expr) => {
                sqlx::query(RAW_INSERT)
                    .bind(institution_id)
                    .bind(i64::from(FISCAL_YEAR))
                    .bind(WRITE_ITEM.to_owned())
                    .bind(1i64)
                    .bind("yes".to_owned())
                    .bind("2025-06-01".to_owned())
                    .bind(None::<String>)
                    .bind(user_id)
                    .bind(at)
                    .execute($pool)
                    .await
                    .map(|_| ())
            };
        }
        match self {
            Self::Sqlite(p) => insert!(p),
            Self::Postgres(p) => insert!(p),
        }
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }
}

// ----- the report ---------------------------------------------------------------------------

struct Machine {
    cpus: usize,
    model: String,
    memory: String,
    kernel: String,
}

impl Machine {
    fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            model,
            memory,
            kernel,
        }
    }
}

struct Report<'a> {
    engine: Engine,
    engine_version: String,
    institutions: &'a Seeded,
    connections: usize,
    seconds: u64,
    machine: Machine,
    results: &'a [Measurement],
    idle_rss_kib: u64,
    logged_in_rss_kib: u64,
    logins: usize,
    /// Error and warning lines of the server's log, without their time, with counts.
    server_log: Vec<(String, u64)>,
    peak_kib: u64,
    rss_after_kib: u64,
}

impl Report<'_> {
    fn markdown(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let seeded = self.institutions;
        let kinds: BTreeMap<&str, usize> =
            seeded
                .institutions
                .iter()
                .fold(BTreeMap::new(), |mut m, i| {
                    *m.entry(i.kind.as_str()).or_insert(0) += 1;
                    m
                });
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            s,
            "### mamori bench — {} {}\n",
            self.engine.name(),
            self.engine_version
        );
        let _ = writeln!(
            s,
            "- Run: {} UTC, mamori {}",
            Utc::now().format("%Y-%m-%d %H:%M"),
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            s,
            "- Engine: {} {} (server pool: {} connections)",
            self.engine.name(),
            self.engine_version,
            match self.engine {
                Engine::Sqlite => SQLITE_POOL,
                Engine::Postgres => POSTGRES_POOL,
            }
        );
        let _ = writeln!(
            s,
            "- Data: N = {} institutions ({}) across 47 prefectures, {} users, {} answers for fiscal year {FISCAL_YEAR}; seeded through the store in {:.1} s",
            seeded.institutions.len(),
            kinds.join(", "),
            seeded.institutions.len() + 1,
            seeded.answers,
            seeded.seconds
        );
        let _ = writeln!(
            s,
            "- Load: C = {} concurrent clients, S = {} s per measurement (after {} s of warm-up, not counted)",
            self.connections,
            self.seconds,
            WARM_UP.as_secs()
        );
        let _ = writeln!(
            s,
            "- Machine: {} × {} (nproc {}), {} RAM, Linux {}; the server and the load generator share it\n",
            self.machine.cpus,
            self.machine.model,
            self.machine.cpus,
            self.machine.memory,
            self.machine.kernel
        );
        let _ = writeln!(
            s,
            "| Measurement | Requests/s | p50 (ms) | p99 (ms) | OK | Errors | Mean body (bytes) |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for m in self.results {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {:.0} |",
                m.name, m.rate, m.p50_ms, m.p99_ms, m.ok, m.errors, m.mean_body
            );
        }
        let total_errors: u64 = self.results.iter().map(|m| m.errors).sum();
        if total_errors > 0 {
            let _ = writeln!(
                s,
                "\n**This run had {total_errors} errors** (rates count only 2xx answers; latencies count every answer):\n"
            );
            for m in self.results.iter().filter(|m| m.errors > 0) {
                for (kind, count) in &m.error_kinds {
                    let _ = writeln!(s, "- {}: {count} × {kind}", m.name);
                }
            }
        } else {
            let _ = writeln!(s, "\nNo errors: every request was answered 2xx.");
        }
        let rate = |i: usize| self.results.get(i).map_or(0.0, |m| m.rate);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let page = ratio(rate(1), rate(0));
        let api = ratio(rate(2), rate(0));
        let writes = ratio(rate(3), rate(4));
        let met = |ok: bool| if ok { "met" } else { "**not met**" };
        let _ = writeln!(s, "\n| Ratio | Value | Goal | Result |");
        let _ = writeln!(s, "|---|---:|---:|---|");
        let _ = writeln!(
            s,
            "| checklist page ÷ /healthz | {page:.3} | ≥ 0.5 | {} |",
            met(page >= 0.5)
        );
        let _ = writeln!(s, "| assessment API ÷ /healthz | {api:.3} | — | — |");
        let _ = writeln!(
            s,
            "| answer writes ÷ raw inserts | {writes:.3} | ≥ 0.333 | {} |",
            met(writes >= 1.0 / 3.0)
        );
        let _ = writeln!(
            s,
            "\nServer memory: idle {:.1} MiB RSS (after start, before any login); {:.1} MiB after the {} logins (argon2, two at a time); {:.1} MiB after the load; peak {:.1} MiB (VmHWM over the whole run).",
            mib(self.idle_rss_kib),
            mib(self.logged_in_rss_kib),
            self.logins,
            mib(self.rss_after_kib),
            mib(self.peak_kib)
        );
        if self.server_log.is_empty() {
            let _ = writeln!(s, "\nServer log: no errors or warnings.");
        } else {
            let total: u64 = self.server_log.iter().map(|(_, n)| n).sum();
            let _ = writeln!(
                s,
                "\nServer log: {total} error/warning lines; the most frequent:\n"
            );
            for (message, count) in self.server_log.iter().take(5) {
                let _ = writeln!(s, "- {count} × `{}`", message.replace('`', "'"));
            }
        }
        s
    }
}
