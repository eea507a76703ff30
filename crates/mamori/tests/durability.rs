//! Durability: an online backup taken while the real server is under concurrent writes and
//! restored into a fresh database; the server killed with SIGKILL in the middle of a write
//! load and started again; restores refused for a non-empty target or a damaged archive.
//! Every test runs on SQLite and on a fresh PostgreSQL database
//! (`MAMORI_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! Every write is made unique (its date checked encodes its number), and each item is
//! written by one task only, in order, so that "the value acknowledged" is well defined: an
//! acknowledged write must be in the item's history, and the item's current answer must be
//! that write or one made after it. Figures are printed: run with `--nocapture`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mamori_domain::FiscalYear;
use mamori_store::Store;
use serde_json::{Value, json};

mod support;
use support::{drop_postgres, on_postgres_server, postgres_url, text};

const LOGINS: [&str; 5] = [
    "demo-hospital",
    "demo-hospital-staff",
    "demo-clinic",
    "demo-pharmacy",
    "demo-hospital-46",
];
const PASSWORD: &str = "demo-password";
/// Concurrent writing tasks per login.
const TASKS_PER_LOGIN: usize = 2;
/// Bounds of every write loop, whatever happens.
const MAX_WRITES_PER_TASK: u32 = 2000;
const LOAD_TIME_LIMIT: Duration = Duration::from_secs(90);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

/// Declares a scenario (an `async fn(Engine)`) as a test on SQLite and a test on PostgreSQL,
/// each on a runtime of `$threads` worker threads.
macro_rules! on_both_engines {
    ($scenario:ident, $threads:literal, $on_sqlite:ident, $on_postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
        async fn $on_sqlite() {
            $scenario(Engine::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
        async fn $on_postgres() {
            $scenario(Engine::Postgres).await;
        }
    };
}

// ----- databases and the server ---------------------------------------------------------

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("mamori_dur_{tag}_{}_{nanos:x}", std::process::id())
}

/// A scratch folder and the databases made for one test; dropped, it removes them.
struct Scratch {
    dir: PathBuf,
    pg_databases: Vec<String>,
}

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(tag));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch {
            dir,
            pg_databases: Vec::new(),
        }
    }

    /// A fresh, empty database of the engine: a new SQLite file, or a new PostgreSQL database.
    async fn database(&mut self, engine: Engine, tag: &str) -> String {
        match engine {
            Engine::Sqlite => format!("sqlite:{}", self.dir.join(format!("{tag}.db")).display()),
            Engine::Postgres => {
                let name = unique(tag);
                on_postgres_server(&[format!("CREATE DATABASE {name}")]).await;
                self.pg_databases.push(name.clone());
                postgres_url(&name)
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let names = std::mem::take(&mut self.pg_databases);
        if names.is_empty() {
            return;
        }
        // Drop runs outside any async context: a small runtime of its own on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(drop_postgres(&names));
        })
        .join();
    }
}

fn mamori() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mamori"));
    c.env_remove("MAMORI_DATABASE_URL")
        .env_remove("MAMORI_CATALOG_DIR")
        .env_remove("MAMORI_BACKUP_DIR")
        .env("MAMORI_LOG", "warn");
    c
}

/// The audit key of every database of this run (one file, as servers of one database share
/// it), and a checkpoints folder per database.
fn audit_files(url: &str) -> (PathBuf, PathBuf) {
    static KEY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("mamori-durability-audit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("audit folder");
        let key = dir.join("audit.key");
        mamori_store::AuditKey::create_file(&key).expect("audit key");
        key
    });
    let dir = key.parent().expect("folder");
    let tag: String = url
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    (key.clone(), dir.join(format!("checkpoints-{tag}")))
}

fn with_audit(c: &mut Command, url: &str) {
    let (key, checkpoints) = audit_files(url);
    c.env("MAMORI_AUDIT_KEY_FILE", key)
        .env("MAMORI_AUDIT_CHECKPOINTS", checkpoints);
}

/// The key `mamori` created for the run's databases.
fn audit_key(url: &str) -> mamori_store::AuditKey {
    mamori_store::AuditKey::read_file(&audit_files(url).0).expect("the audit key")
}

/// `mamori backup --to ARCHIVE` or `mamori restore --from ARCHIVE` (`command`, the two
/// words before the archive) of the database, off the async threads.
fn with_archive(
    command: [&str; 2],
    archive: &Path,
    url: &str,
) -> impl std::future::Future<Output = Output> + use<> {
    let mut args: Vec<String> = command.iter().map(|w| (*w).to_owned()).collect();
    args.push(archive.display().to_string());
    run_mamori(args, url)
}

/// Runs `mamori ARGS --database-url URL` off the async threads.
fn run_mamori(args: Vec<String>, url: &str) -> impl std::future::Future<Output = Output> + use<> {
    let url = url.to_owned();
    async move {
        tokio::task::spawn_blocking(move || {
            let mut c = mamori();
            with_audit(&mut c, &url);
            c.args(&args)
                .arg("--database-url")
                .arg(&url)
                .output()
                .expect("run mamori")
        })
        .await
        .expect("mamori task")
    }
}

/// The real server as a child process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(url: &str, demo: bool, extra: &[String], log: PathBuf) -> Server {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("address").port()
        };
        let listen = format!("127.0.0.1:{port}");
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut command = mamori();
        with_audit(&mut command, url);
        command
            .arg("serve")
            .args(["--listen", &listen, "--database-url", url])
            .args(extra)
            .env("MAMORI_LOG", "info,tower_http=warn,sqlx=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        if demo {
            command.arg("--demo");
        }
        let child = command.spawn().expect("start mamori serve");
        let mut server = Server {
            child,
            base: format!("http://{listen}"),
            log,
        };
        let client = client();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}):\n{}", server.log_text());
            }
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "the server did not come up:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// The demo's year: the current fiscal year if the catalog covers it, else its latest.
fn demo_year() -> FiscalYear {
    let catalog = mamori_catalog::Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
    let years = catalog.fiscal_years();
    let now = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let current = FiscalYear::containing(now);
    if years.contains(&current) {
        current
    } else {
        years[0]
    }
}

// ----- the write load -------------------------------------------------------------------

/// One login's session and the items it may write.
struct Writer {
    login: &'static str,
    token: String,
    institution: i64,
}

#[derive(Clone, Debug)]
struct Item {
    key: String,
    has_target_date: bool,
}

/// The value of one round's answer as text: (answer, checked_on, target_date).
type Value3 = (String, String, Option<String>);

#[derive(Clone, Debug)]
struct Write {
    institution: i64,
    key: String,
    value: Value3,
    /// When the 2xx response arrived; `None` when it did not (error or no answer).
    acked_at: Option<Instant>,
    /// The HTTP status, or `None` when the request got no response at all.
    status: Option<u16>,
}

async fn log_in(client: &reqwest::Client, base: &str, login: &'static str) -> Writer {
    let r = client
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"login": login, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success(), "login {login}: {}", r.status());
    let v: Value = r.json().await.expect("login JSON");
    let token = v["token"].as_str().expect("token").to_owned();
    let me: Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me JSON");
    let institution = me["institution_id"].as_i64().expect("an institution");
    Writer {
        login,
        token,
        institution,
    }
}

async fn assessment(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    institution: i64,
    fy: FiscalYear,
) -> Value {
    let r = client
        .get(format!(
            "{base}/api/v1/institutions/{institution}/assessments/{}",
            fy.start_year()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("assessment");
    assert!(r.status().is_success(), "assessment: {}", r.status());
    r.json().await.expect("assessment JSON")
}

/// Items that can take a first-round answer of any date: applicable, no second round.
fn writable_items(assessment: &Value) -> Vec<Item> {
    assessment["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["applicable"] == true && i["second"].is_null())
        .map(|i| Item {
            key: i["key"].as_str().expect("key").to_owned(),
            has_target_date: i["has_target_date"] == true,
        })
        .collect()
}

/// Logs every demo login in and splits each institution's items among its tasks, so that
/// each item is written by one task only.
async fn plan(
    client: &reqwest::Client,
    base: &str,
    fy: FiscalYear,
) -> (Vec<Writer>, Vec<(usize, Vec<Item>)>) {
    let mut writers = Vec::new();
    for login in LOGINS {
        writers.push(log_in(client, base, login).await);
    }
    let mut tasks: Vec<(usize, Vec<Item>)> = Vec::new();
    let mut by_institution: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, w) in writers.iter().enumerate() {
        by_institution.entry(w.institution).or_default().push(i);
    }
    for (institution, members) in by_institution {
        let first = &writers[members[0]];
        let items = writable_items(&assessment(client, base, &first.token, institution, fy).await);
        assert!(!items.is_empty(), "{} has no writable item", first.login);
        let slots: Vec<usize> = members
            .iter()
            .flat_map(|m| std::iter::repeat_n(*m, TASKS_PER_LOGIN))
            .collect();
        let mut shares: Vec<Vec<Item>> = vec![Vec::new(); slots.len()];
        for (i, item) in items.into_iter().enumerate() {
            shares[i % slots.len()].push(item);
        }
        for (slot, share) in slots.into_iter().zip(shares) {
            if !share.is_empty() {
                tasks.push((slot, share));
            }
        }
    }
    (writers, tasks)
}

/// The value of write number `n`: unique per item, valid for a first round.
fn value_of(n: u32, item: &Item) -> Value3 {
    let base = NaiveDate::from_ymd_opt(2015, 1, 1).expect("date");
    let checked = base + chrono::Duration::days(i64::from(n));
    let no = n.is_multiple_of(3);
    let target = (no && item.has_target_date)
        .then(|| (checked + chrono::Duration::days(30 + i64::from(n % 7))).to_string());
    (
        if no { "no" } else { "yes" }.to_owned(),
        checked.to_string(),
        target,
    )
}

/// One writing task: its session, its items, and the load's shared flags.
struct Task {
    client: reqwest::Client,
    base: String,
    token: String,
    institution: i64,
    fy: FiscalYear,
    items: Vec<Item>,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
}

/// Writes the task's items in turn until stopped, bounded in count and time. Stops at the
/// first request that gets no response (the server is gone).
async fn write_loop(task: Task) -> Vec<Write> {
    let Task {
        client,
        base,
        token,
        institution,
        fy,
        items,
        stop,
        acked,
    } = task;
    let deadline = Instant::now() + LOAD_TIME_LIMIT;
    let mut writes = Vec::new();
    for n in 0..MAX_WRITES_PER_TASK {
        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            break;
        }
        let item = &items[n as usize % items.len()];
        let value = value_of(n, item);
        let body =
            json!({"round": 1, "answer": value.0, "checked_on": value.1, "target_date": value.2});
        let sent = client
            .put(format!(
                "{base}/api/v1/institutions/{institution}/assessments/{}/items/{}",
                fy.start_year(),
                item.key
            ))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        let (status, acked_at) = match &sent {
            Ok(r) => (
                Some(r.status().as_u16()),
                r.status().is_success().then(Instant::now),
            ),
            Err(_) => (None, None),
        };
        if acked_at.is_some() {
            acked.fetch_add(1, Ordering::Relaxed);
        }
        writes.push(Write {
            institution,
            key: item.key.clone(),
            value,
            acked_at,
            status,
        });
        if status.is_none() {
            break;
        }
    }
    writes
}

struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Write>>>,
}

fn start_load(
    client: &reqwest::Client,
    base: &str,
    fy: FiscalYear,
    writers: &[Writer],
    plan: Vec<(usize, Vec<Item>)>,
) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let tasks = plan
        .into_iter()
        .map(|(w, items)| {
            tokio::spawn(write_loop(Task {
                client: client.clone(),
                base: base.to_owned(),
                token: writers[w].token.clone(),
                institution: writers[w].institution,
                fy,
                items,
                stop: stop.clone(),
                acked: acked.clone(),
            }))
        })
        .collect();
    Load { stop, acked, tasks }
}

impl Load {
    async fn finish(self) -> Vec<Write> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for t in self.tasks {
            all.extend(t.await.expect("write task"));
        }
        all
    }

    /// Waits until `at_least` writes were acknowledged, or `limit` has passed.
    async fn wait_for_acks(&self, at_least: usize, limit: Duration) {
        let started = Instant::now();
        while self.acked.load(Ordering::Relaxed) < at_least && started.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

// ----- checking what a database holds ---------------------------------------------------

/// Per item, its writes in the order they were made.
fn by_item(writes: &[Write]) -> BTreeMap<(i64, String), Vec<&Write>> {
    let mut map: BTreeMap<(i64, String), Vec<&Write>> = BTreeMap::new();
    for w in writes {
        map.entry((w.institution, w.key.clone()))
            .or_default()
            .push(w);
    }
    map
}

fn value_text(a: &mamori_domain::ItemAnswer) -> Value3 {
    (
        a.answer.as_str().to_owned(),
        a.checked_on.to_string(),
        a.target_date.map(|d| d.to_string()),
    )
}

/// Checks that every write `required` selects is in its item's history with its value, and
/// that each item's current answer is the last required write or one made after it.
/// Returns (required, found).
async fn check_writes(
    store: &Store,
    fy: FiscalYear,
    writes: &[Write],
    required: impl Fn(&Write) -> bool,
) -> (usize, usize) {
    let mut wanted = 0;
    let mut found = 0;
    let mut answers: HashMap<i64, HashMap<String, mamori_domain::ItemAnswers>> = HashMap::new();
    for ((institution, key), list) in by_item(writes) {
        let Some(last) = list.iter().rposition(|w| required(w)) else {
            continue;
        };
        let history: HashSet<Value3> = store
            .answer_history(institution, fy, &key)
            .await
            .expect("history")
            .into_iter()
            .filter(|h| h.action == "set")
            .filter_map(|h| h.answer.as_ref().map(value_text))
            .collect();
        for w in list.iter().filter(|w| required(w)) {
            wanted += 1;
            if history.contains(&w.value) {
                found += 1;
            } else {
                eprintln!(
                    "missing: institution {institution} item {key} {:?}",
                    w.value
                );
            }
        }
        if let std::collections::hash_map::Entry::Vacant(e) = answers.entry(institution) {
            e.insert(store.answers(institution, fy).await.expect("answers"));
        }
        let current = answers[&institution]
            .get(&key)
            .and_then(|a| a.first.as_ref())
            .map(value_text);
        let allowed: Vec<&Value3> = list[last..].iter().map(|w| &w.value).collect();
        assert!(
            current.as_ref().is_some_and(|c| allowed.contains(&c)),
            "institution {institution} item {key}: the answer is {current:?}, expected the acknowledged {:?} or a later write",
            list[last].value
        );
    }
    (wanted, found)
}

fn read_manifest(archive: &Path) -> Value {
    let file = std::fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(file);
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_string_lossy() == "manifest.json" {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("manifest");
            return serde_json::from_str(&text).expect("manifest JSON");
        }
    }
    panic!("no manifest.json in {}", archive.display());
}

fn row_counts(manifest: &Value) -> BTreeMap<String, i64> {
    manifest["row_counts"]
        .as_object()
        .expect("row_counts")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().expect("a count")))
        .collect()
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    }
}

// ----- a. backup under concurrent writes ------------------------------------------------

async fn backup_under_load(engine: Engine) {
    let mut scratch = Scratch::new("backup");
    let source = scratch.database(engine, "source").await;
    let scheduled = scratch.dir.join("scheduled");
    let server = Server::start(
        &source,
        true,
        &[
            "--backup-dir".into(),
            scheduled.display().to_string(),
            "--backup-keep".into(),
            "2".into(),
        ],
        scratch.dir.join("server.log"),
    )
    .await;
    let client = client();
    let fy = demo_year();
    let (writers, plan) = plan(&client, &server.base, fy).await;
    let tasks = plan.len();
    let load = start_load(&client, &server.base, fy, &writers, plan);

    // Let the load run a while, then back up while it goes on.
    load.wait_for_acks(200, Duration::from_secs(20)).await;
    let archive = scratch.dir.join("under load.tar");
    let backup_started = Instant::now();
    let backup = with_archive(["backup", "--to"], &archive, &source).await;
    let backup_ended = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writes = load.finish().await;
    assert!(backup.status.success(), "backup: {}", text(&backup));
    assert!(!archive.with_file_name("under load.tar.tmp").exists());
    assert!(
        !archive
            .with_file_name("under load.tar.payload.tmp")
            .exists()
    );

    let failed: Vec<&Write> = writes.iter().filter(|w| w.acked_at.is_none()).collect();
    assert!(
        failed.is_empty(),
        "every write is served while the backup runs; failed: {:?}\n{}",
        failed.iter().take(5).collect::<Vec<_>>(),
        server.log_text()
    );
    let before = |w: &Write| w.acked_at.is_some_and(|t| t < backup_started);
    let acked_before = writes.iter().filter(|w| before(w)).count();
    let during = writes
        .iter()
        .filter(|w| {
            w.acked_at
                .is_some_and(|t| t >= backup_started && t <= backup_ended)
        })
        .count();
    assert!(
        acked_before > 0,
        "writes were acknowledged before the backup"
    );
    assert!(during > 0, "writes were acknowledged while the backup ran");

    // The scheduled backup of this server (due at once: the folder was empty).
    let started = Instant::now();
    let scheduled_file = loop {
        let found = std::fs::read_dir(&scheduled)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("mamori-") && n.ends_with(".tar"));
        if let Some(name) = found {
            break scheduled.join(name);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no scheduled backup in {}:\n{}",
            scheduled.display(),
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let scheduled_manifest = read_manifest(&scheduled_file);
    drop(server);

    // Restore into a fresh, empty database and compare.
    let target = scratch.database(engine, "restored").await;
    let restore = with_archive(["restore", "--from"], &archive, &target).await;
    assert!(restore.status.success(), "restore: {}", text(&restore));
    assert!(
        text(&restore).contains("match the manifest"),
        "{}",
        text(&restore)
    );
    let manifest = read_manifest(&archive);
    let store = Store::connect(&target).await.expect("restored database");
    store
        .open_audit_log(audit_key(&target), None)
        .await
        .expect("the same key");
    let contents = store.contents().await.expect("contents");
    // Every table comes back as it was, but the sessions: a restore ends them all.
    let mut expected = row_counts(&manifest);
    expected.insert("sessions".to_owned(), 0);
    assert_eq!(contents.row_counts, expected);
    assert!(
        text(&restore).contains("session(s) of the backup were ended"),
        "{}",
        text(&restore)
    );
    assert_eq!(
        manifest["engine"],
        if engine == Engine::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let audit = store.verify_audit_chain().await.expect("audit");
    assert_eq!(audit.problem, None);
    let (wanted, found) = check_writes(&store, fy, &writes, before).await;
    if let Some(check) = store.integrity_check().await.expect("integrity") {
        assert_eq!(check, "ok");
    }
    store.close().await;
    assert_eq!(wanted, acked_before);
    assert_eq!(
        found, wanted,
        "every write acknowledged before the backup is restored"
    );
    println!(
        "[{}] backup under load: {tasks} writing tasks, {} writes acknowledged ({} before the backup started, {} while it ran for {} ms); restored: {} of {} found with their value; {} rows in {} tables match the manifest; audit chain intact ({} entries); scheduled backup {} ({} rows)",
        engine_name(engine),
        writes.len(),
        acked_before,
        during,
        (backup_ended - backup_started).as_millis(),
        found,
        wanted,
        contents.row_counts.values().sum::<i64>(),
        contents.row_counts.len(),
        audit.entries,
        scheduled_file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        row_counts(&scheduled_manifest).values().sum::<i64>()
    );
}

on_both_engines!(
    backup_under_load,
    4,
    backup_under_load_on_sqlite,
    backup_under_load_on_postgres
);

// ----- b. SIGKILL in the middle of the load ---------------------------------------------

async fn crash_mid_load(engine: Engine) {
    let mut scratch = Scratch::new("crash");
    let url = scratch.database(engine, "crash").await;
    let mut server = Server::start(&url, true, &[], scratch.dir.join("server-1.log")).await;
    let client = client();
    let fy = demo_year();
    let (writers, plan) = plan(&client, &server.base, fy).await;
    let load = start_load(&client, &server.base, fy, &writers, plan);
    // Kill once a good number of writes were acknowledged, while the load still goes on.
    load.wait_for_acks(300, Duration::from_secs(20)).await;
    let running = load.tasks.iter().filter(|t| !t.is_finished()).count();
    assert!(running > 0, "the load is still running at the kill");
    server.kill();
    let writes = load.finish().await;
    let acked: Vec<&Write> = writes.iter().filter(|w| w.acked_at.is_some()).collect();
    let cut = writes.iter().filter(|w| w.status.is_none()).count();
    let refused: Vec<&Write> = writes
        .iter()
        .filter(|w| w.status.is_some() && w.acked_at.is_none())
        .collect();
    assert!(
        refused.is_empty(),
        "no write is refused before the kill: {refused:?}"
    );
    assert!(
        !acked.is_empty(),
        "writes were acknowledged before the kill"
    );
    assert!(cut > 0, "the kill cut writes in flight");

    // Start again on the same database: every acknowledged write is served back.
    let server = Server::start(&url, false, &[], scratch.dir.join("server-2.log")).await;
    let mut served = 0;
    for ((institution, key), list) in by_item(&writes) {
        let Some(last) = list.iter().rposition(|w| w.acked_at.is_some()) else {
            continue;
        };
        let token = &writers
            .iter()
            .find(|w| w.institution == institution)
            .expect("a writer")
            .token;
        let a = assessment(&client, &server.base, token, institution, fy).await;
        let item = a["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["key"] == key.as_str())
            .expect("the item");
        let first = &item["first"];
        let current: Value3 = (
            first["answer"].as_str().unwrap_or_default().to_owned(),
            first["checked_on"].as_str().unwrap_or_default().to_owned(),
            first["target_date"].as_str().map(str::to_owned),
        );
        assert!(
            list[last..].iter().any(|w| w.value == current),
            "institution {institution} item {key}: served {current:?}, acknowledged {:?}",
            list[last].value
        );
        served += 1;
    }
    drop(server);

    let store = Store::connect(&url).await.expect("database");
    let (wanted, found) = check_writes(&store, fy, &writes, |w| w.acked_at.is_some()).await;
    let integrity = store.integrity_check().await.expect("integrity");
    store.close().await;
    if let Some(check) = &integrity {
        assert_eq!(check, "ok", "PRAGMA integrity_check");
    }
    let audit = run_mamori(vec!["audit".into(), "verify".into()], &url).await;
    assert!(audit.status.success(), "audit verify: {}", text(&audit));
    assert_eq!(wanted, acked.len());
    assert_eq!(found, wanted, "every acknowledged write survives SIGKILL");
    println!(
        "[{}] SIGKILL mid-load: {} writes acknowledged before the kill, {} cut in flight; after restart: {} of {} found with their value, {} items served with the acknowledged value; {}{}",
        engine_name(engine),
        acked.len(),
        cut,
        found,
        wanted,
        served,
        integrity.map_or(String::new(), |i| format!("integrity_check {i}; ")),
        String::from_utf8_lossy(&audit.stdout).trim()
    );
}

on_both_engines!(
    crash_mid_load,
    4,
    crash_mid_load_on_sqlite,
    crash_mid_load_on_postgres
);

// ----- c. restores refused --------------------------------------------------------------

async fn table_count(url: &str) -> i64 {
    match Store::open_existing(url).await {
        Ok(store) => {
            let n = store.table_count().await.expect("tables");
            store.close().await;
            n
        }
        // A SQLite file that was never created holds nothing.
        Err(_) => 0,
    }
}

async fn restore_refusals(engine: Engine) {
    let mut scratch = Scratch::new("refuse");
    let source = scratch.database(engine, "source").await;
    let demo = run_mamori(vec!["demo".into()], &source).await;
    assert!(demo.status.success(), "{}", text(&demo));
    let archive = scratch.dir.join("good.tar");
    let backup = with_archive(["backup", "--to"], &archive, &source).await;
    assert!(backup.status.success(), "{}", text(&backup));

    // A non-empty target: the source itself.
    let refused = with_archive(["restore", "--from"], &archive, &source).await;
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("復元先のデータベースが空ではありません")
            && text(&refused).contains("the target database is not empty"),
        "{}",
        text(&refused)
    );
    println!(
        "[{}] refused, a non-empty target: {}",
        engine_name(engine),
        text(&refused).trim()
    );

    // Damaged archives, into an empty target that must stay empty.
    let target = scratch.database(engine, "target").await;
    let good = std::fs::read(&archive).expect("archive");
    let magic: &[u8] = match engine {
        Engine::Sqlite => b"SQLite format 3",
        Engine::Postgres => b"PGDMP",
    };
    let payload_at = good
        .windows(magic.len())
        .position(|w| w == magic)
        .expect("the payload");
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: [(&str, Damage, &str); 4] = [
        (
            "a byte of the payload flipped",
            Box::new(move |b: &mut Vec<u8>| b[payload_at + 200] ^= 0x20),
            match engine {
                Engine::Sqlite => "SHA-256 of database.sqlite",
                Engine::Postgres => "SHA-256 of database.pgdump",
            },
        ),
        (
            "a byte of the manifest flipped",
            Box::new(|b: &mut Vec<u8>| b[512 + 30] ^= 0x01),
            "SHA-256 of manifest.json",
        ),
        (
            "a byte of a header flipped",
            Box::new(|b: &mut Vec<u8>| b[3] ^= 0x01),
            "the archive cannot be read",
        ),
        (
            "cut short",
            Box::new(move |b: &mut Vec<u8>| b.truncate(payload_at + 100)),
            "damaged",
        ),
    ];
    for (what, damage, expected) in cases {
        let mut bytes = good.clone();
        damage(&mut bytes);
        let bad = scratch.dir.join("bad.tar");
        std::fs::write(&bad, &bytes).expect("write");
        let refused = with_archive(["restore", "--from"], &bad, &target).await;
        assert!(!refused.status.success(), "{what}: {}", text(&refused));
        let message = text(&refused);
        assert!(
            message.contains("バックアップが破損しています") && message.contains(expected),
            "{what}: {message}"
        );
        assert_eq!(
            table_count(&target).await,
            0,
            "{what}: the target is untouched"
        );
        println!(
            "[{}] refused, {what}: {}",
            engine_name(engine),
            message.trim()
        );
    }

    // The good archive still restores into that target.
    let restored = with_archive(["restore", "--from"], &archive, &target).await;
    assert!(restored.status.success(), "{}", text(&restored));
}

on_both_engines!(
    restore_refusals,
    2,
    restore_refusals_on_sqlite,
    restore_refusals_on_postgres
);
