//! The `mamori` command as an operator uses it: catalog check, demo, user add, inspect;
//! each on SQLite and on a fresh PostgreSQL database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mamori_store::{AuditEntry, AuditKey};
use sqlx::Connection;

mod support;
use support::{drop_postgres, on_postgres_server, postgres_url, text};

fn mamori() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mamori"));
    c.env_remove("MAMORI_DATABASE_URL")
        .env_remove("MAMORI_CATALOG_DIR")
        .env_remove("MAMORI_AUDIT_KEY_FILE")
        .env_remove("MAMORI_AUDIT_CHECKPOINTS")
        .env("MAMORI_LOG", "warn");
    c
}

/// `mamori` for the database `url`: SQLite finds its audit key beside the file; PostgreSQL
/// is given one.
fn mamori_for(url: &str) -> Command {
    let mut c = mamori();
    if let Some((_, name)) = url.rsplit_once('/').filter(|_| url.starts_with("postgres")) {
        let dir = std::env::temp_dir().join(format!("mamori-cli-audit-{name}"));
        std::fs::create_dir_all(&dir).expect("audit folder");
        c.env("MAMORI_AUDIT_KEY_FILE", dir.join("audit.key"))
            .env("MAMORI_AUDIT_CHECKPOINTS", dir.join("checkpoints"));
    }
    c
}

fn run(args: &[&str], url: &str) -> Output {
    mamori_for(url)
        .args(args)
        .arg("--database-url")
        .arg(url)
        .output()
        .expect("run mamori")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mamori-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A copy of the bundled catalog in a scratch folder, each edit (file, from, to) replacing
/// the first `from` of its file by `to`.
fn broken_catalog(name: &str, edits: &[(&str, &str, &str)]) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&bundled_catalog(), &dir);
    for (file, from, to) in edits {
        let file = dir.join(file);
        let edited = std::fs::read_to_string(&file)
            .expect("read")
            .replacen(from, to, 1);
        std::fs::write(&file, edited).expect("write");
    }
    dir
}

/// The catalog the binary ships with.
fn bundled_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

/// `mamori catalog check` of a catalog folder.
fn catalog_check(catalog: &Path) -> Output {
    mamori()
        .args(["catalog", "check", "--catalog"])
        .arg(catalog)
        .output()
        .expect("run")
}

/// What `mamori catalog check` says of a catalog it refuses (exit code 1).
fn refused_catalog(catalog: &Path) -> String {
    let bad = catalog_check(catalog);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    text(&bad)
}

/// `mamori user add` of `sato`, an admin of the institution, with the password given in
/// `MAMORI_PASSWORD`.
fn add_admin_sato(url: &str, institution: &str, password: &str) -> Output {
    mamori_for(url)
        .args(["user", "add", "--login", "sato", "--role", "admin"])
        .args(["--institution", institution, "--database-url", url])
        .env("MAMORI_PASSWORD", password)
        .output()
        .expect("run")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

#[test]
fn catalog_check_accepts_the_bundled_catalog_and_names_problems() {
    let bundled = bundled_catalog();
    let ok = catalog_check(&bundled);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("r7-institution"));

    let file = "checklists/r6-institution.toml";
    let dir = broken_catalog(
        "bad-catalog",
        &[(file, "scope = \"server\"", "scope = \"servers\"")],
    );
    let message = refused_catalog(&dir);
    assert!(
        message.contains("r6-institution.toml")
            && message.contains("item 2-4-server")
            && message.contains("servers"),
        "{message}"
    );

    // A malformed catalog stops the server at start, with the same message.
    let serve = mamori()
        .args(["serve", "--listen", "127.0.0.1:0", "--catalog"])
        .arg(&dir)
        .arg("--database-url")
        .arg(format!("sqlite:{}", dir.join("x.db").display()))
        .output()
        .expect("run");
    assert_eq!(serve.status.code(), Some(2));
    assert!(
        text(&serve).contains("r6-institution.toml"),
        "{}",
        text(&serve)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn catalog_check_refuses_bad_first_steps_and_training_obligation() {
    let bundled = bundled_catalog();
    let ok = catalog_check(&bundled);
    assert!(
        text(&ok).contains("ok  training/obligation.toml — hospital, 400 beds or more")
            && text(&ok).contains("ok  incident/first_steps.toml — 8 steps"),
        "{}",
        text(&ok)
    );

    let dir = broken_catalog(
        "bad-rules",
        &[
            (
                "incident/first_steps.toml",
                "when = \"ransom_note\"",
                "when = \"ransomware\"",
            ),
            (
                "training/obligation.toml",
                "kinds = [\"hospital\"]",
                "kinds = []",
            ),
        ],
    );
    let message = refused_catalog(&dir);
    assert!(
        message
            .contains("first_steps.toml: item do_not_pay: unknown condition when = 'ransomware'")
            && message.contains("obligation.toml: kinds: kinds is empty"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn operator_story(url: &str) {
    let migrate = run(&["migrate"], url);
    assert!(migrate.status.success(), "{}", text(&migrate));
    let demo = run(&["demo"], url);
    assert!(demo.status.success(), "{}", text(&demo));
    assert!(
        text(&run(&["demo"], url)).contains("already"),
        "demo data is loaded once"
    );

    let mut add = mamori_for(url)
        .args([
            "user",
            "add",
            "--login",
            "tanaka-13",
            "--role",
            "inspector",
            "--prefecture",
            "13",
            "--database-url",
            url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"a long enough password\n")
        .expect("write");
    let added = add.wait_with_output().expect("wait");
    assert!(added.status.success(), "{}", text(&added));
    let short = add_admin_sato(url, "1", "short");
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short).contains("12 characters"), "{}", text(&short));
    let nowhere = add_admin_sato(url, "999", "a long enough password");
    assert!(
        text(&nowhere).contains("no institution with id 999"),
        "{}",
        text(&nowhere)
    );

    // The hospital's current year has open items: not ready, exit code 1.
    let year = current_catalog_year();
    let inspect = run(
        &[
            "inspect",
            "--institution",
            "1",
            "--fiscal-year",
            &year.to_string(),
        ],
        url,
    );
    assert_eq!(inspect.status.code(), Some(1), "{}", text(&inspect));
    assert!(text(&inspect).contains("NOT READY") && text(&inspect).contains("連絡体制図"));
    let json = run(
        &[
            "inspect",
            "--institution",
            "1",
            "--fiscal-year",
            &year.to_string(),
            "--json",
        ],
        url,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["ready"], false);
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
    // The previous year was completed and inspected.
    let previous = run(
        &[
            "inspect",
            "--institution",
            "1",
            "--fiscal-year",
            &(year - 1).to_string(),
        ],
        url,
    );
    assert_eq!(previous.status.code(), Some(0), "{}", text(&previous));
    // The scheduler's first pass tells the admins of the demo's overdue target dates, once.
    let last_day = format!("{}-03-31", year + 1);
    let notify = run(&["notify", "run-once", "--today", &last_day], url);
    assert!(notify.status.success(), "{}", text(&notify));
    assert!(
        !text(&notify).contains(": 0 written") && text(&notify).contains("written"),
        "{}",
        text(&notify)
    );
    let again = run(&["notify", "run-once", "--today", &last_day], url);
    assert!(text(&again).contains(": 0 written"), "{}", text(&again));
    let unknown = run(
        &["inspect", "--institution", "1", "--fiscal-year", "2019"],
        url,
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown).contains("no checklist"),
        "{}",
        text(&unknown)
    );
}

/// The demo's year: the current fiscal year if the catalog covers it, else its latest.
fn current_catalog_year() -> i32 {
    let catalog = mamori_catalog::Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
    let years = catalog.fiscal_years();
    let now = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let current = mamori_domain::FiscalYear::containing(now);
    if years.contains(&current) {
        current.start_year()
    } else {
        years[0].start_year()
    }
}

#[test]
fn operator_story_on_sqlite() {
    let dir = scratch("sqlite");
    operator_story(&format!("sqlite:{}", dir.join("cli.db").display()));
    // The audit key was created beside the database, its owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(dir.join("cli.db.audit-key")).expect("the audit key");
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn operator_story_on_postgres() {
    let (url, name) = fresh_postgres("story").await;
    tokio::task::spawn_blocking(move || operator_story(&url))
        .await
        .expect("story");
    drop_postgres(&[name]).await;
}

// ----- the audit chain against someone holding the database -----------------------------

/// A database opened directly, as someone holding it (not mamori) would.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            Db::Sqlite($c) => $body,
            Db::Postgres($c) => $body,
        }
    };
}

/// seq, at, user_id, action, institution_id, detail, prev_hash, hash
type Entry = (
    i64,
    String,
    Option<i64>,
    String,
    Option<i64>,
    String,
    String,
    String,
);

impl Db {
    async fn open(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(url).await.expect("sqlite"))
        } else {
            Db::Postgres(sqlx::PgConnection::connect(url).await.expect("postgres"))
        }
    }

    async fn entries(&mut self) -> Vec<Entry> {
        const SQL: &str = "SELECT seq, at, user_id, action, institution_id, detail, prev_hash, hash FROM audit_log ORDER BY seq";
        on_db!(self, c => sqlx::query_as(SQL).fetch_all(&mut *c).await.expect("entries"))
    }

    async fn write_entry(&mut self, e: &Entry) {
        const SQL: &str =
            "UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4";
        on_db!(self, c => { sqlx::query(SQL).bind(&e.5).bind(&e.6).bind(&e.7).bind(e.0).execute(&mut *c).await.expect("update"); });
    }

    async fn write_head(&mut self, hash: &str) {
        const SQL: &str = "UPDATE audit_chain_head SET last_hash = $1 WHERE id = 1";
        on_db!(self, c => { sqlx::query(SQL).bind(hash).execute(&mut *c).await.expect("head"); });
    }

    /// Puts back entries saved by `entries` (and the head after the last of them).
    async fn put_back(&mut self, saved: &[Entry]) {
        for e in saved {
            self.write_entry(e).await;
        }
        self.write_head(&saved.last().expect("entries").7).await;
    }

    /// Sets the detail of entry `seq` (`None`: keeps it), then recomputes the hash of it and
    /// of every later entry, and the head, with `hash` — what someone covering their tracks
    /// does.
    async fn forge(
        &mut self,
        seq: i64,
        detail: Option<&str>,
        hash: impl Fn(&AuditEntry, &str) -> String,
    ) {
        let mut entries = self.entries().await;
        let mut prev = String::new();
        for e in entries.iter_mut().filter(|e| e.0 >= seq) {
            if e.0 == seq {
                if let Some(detail) = detail {
                    e.5 = detail.to_owned();
                }
                prev = e.6.clone();
            }
            let entry = AuditEntry {
                seq: e.0,
                at: e.1.clone(),
                user_id: e.2,
                action: e.3.clone(),
                institution_id: e.4,
                detail: e.5.clone(),
            };
            e.6 = prev.clone();
            e.7 = hash(&entry, &prev);
            prev = e.7.clone();
            self.write_entry(e).await;
        }
        self.write_head(&prev).await;
    }

    async fn exec(&mut self, sql: &'static str) {
        on_db!(self, c => { sqlx::query(sql).execute(&mut *c).await.expect(sql); });
    }

    /// Deletes the entries after `seq` and points the head at `seq`: a shorter, intact log.
    async fn truncate(&mut self, seq: i64) {
        let hash = self.entries().await[usize::try_from(seq - 1).expect("seq")]
            .7
            .clone();
        const DELETE: &str = "DELETE FROM audit_log WHERE seq > $1";
        const HEAD: &str = "UPDATE audit_chain_head SET seq = $1, last_hash = $2 WHERE id = 1";
        on_db!(self, c => {
            sqlx::query(DELETE).bind(seq).execute(&mut *c).await.expect("delete");
            sqlx::query(HEAD).bind(seq).bind(hash).execute(&mut *c).await.expect("head");
        });
    }
}

/// The chain's hash before it was keyed: SHA-256 over length-prefixed fields. Anyone can
/// compute it.
fn plain_sha256(e: &AuditEntry, prev: &str) -> String {
    use sha2::{Digest, Sha256};
    let (seq, user, institution) = (
        e.seq.to_string(),
        e.user_id.map(|u| u.to_string()).unwrap_or_default(),
        e.institution_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    let mut h = Sha256::new();
    for f in [prev, &seq, &e.at, &user, &e.action, &institution, &e.detail] {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// `mamori ARGS --database-url URL` with the audit key and checkpoints of `dir`.
fn keyed(args: &[&str], url: &str, dir: &Path) -> Output {
    mamori()
        .args(args)
        .arg("--database-url")
        .arg(url)
        .env("MAMORI_AUDIT_KEY_FILE", dir.join("audit.key"))
        .env("MAMORI_AUDIT_CHECKPOINTS", dir.join("checkpoints"))
        .output()
        .expect("run mamori")
}

fn assert_broken(verify: &Output, what: &str) {
    assert_eq!(verify.status.code(), Some(1), "{what}: {}", text(verify));
    assert!(text(verify).contains("broken"), "{what}: {}", text(verify));
}

async fn forged_chains_are_reported(url: &str, dir: &Path) {
    let demo = keyed(&["demo"], url, dir);
    assert!(demo.status.success(), "{}", text(&demo));
    let verify = keyed(&["audit", "verify"], url, dir);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("intact"), "{}", text(&verify));

    let mut db = Db::open(url).await;
    let saved = db.entries().await;
    let middle = saved[saved.len() / 2].0;

    // Edited, every later hash and the head recomputed with plain SHA-256.
    db.forge(middle, Some("login=someone-else"), plain_sha256)
        .await;
    assert_broken(
        &keyed(&["audit", "verify"], url, dir),
        "rewritten with SHA-256",
    );
    db.put_back(&saved).await;
    let verify = keyed(&["audit", "verify"], url, dir);
    assert!(verify.status.success(), "put back: {}", text(&verify));

    // The same with HMAC under a key that is not the database's.
    let wrong = AuditKey::generate();
    db.forge(middle, Some("login=someone-else"), |e, p| {
        wrong.chain_hash(e, p)
    })
    .await;
    assert_broken(
        &keyed(&["audit", "verify"], url, dir),
        "rewritten under another key",
    );
    db.put_back(&saved).await;

    // The key file is its owner's only; a server started with another key refuses, and
    // writes nothing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("audit.key"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let other = dir.join("other.key");
    AuditKey::create_file(&other).expect("another key");
    let refused = mamori()
        .args([
            "user",
            "add",
            "--login",
            "intruder",
            "--role",
            "national_admin",
        ])
        .args(["--database-url", url])
        .env("MAMORI_AUDIT_KEY_FILE", &other)
        .env("MAMORI_PASSWORD", "a long enough password")
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("監査ログの鍵がデータベースと一致しません")
            && text(&refused).contains("does not match the database"),
        "{}",
        text(&refused)
    );
    assert_eq!(db.entries().await, saved, "nothing was written");

    // A checkpoint, then more entries; someone holding the database AND the key rewrites
    // an entry the checkpoint covers and recomputes every later hash and the head.
    let checkpoint = keyed(&["audit", "checkpoint"], url, dir);
    assert!(checkpoint.status.success(), "{}", text(&checkpoint));
    let add = mamori()
        .args(["user", "add", "--login", "yamada-13", "--role", "inspector"])
        .args(["--prefecture", "13", "--database-url", url])
        .env("MAMORI_AUDIT_KEY_FILE", dir.join("audit.key"))
        .env("MAMORI_PASSWORD", "a long enough password")
        .output()
        .expect("run");
    assert!(add.status.success(), "{}", text(&add));
    let verify = keyed(&["audit", "verify"], url, dir);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("1 checkpoints"), "{}", text(&verify));
    let saved = db.entries().await;
    let key = AuditKey::read_file(&dir.join("audit.key")).expect("the key");
    db.forge(middle, Some("login=someone-else"), |e, p| {
        key.chain_hash(e, p)
    })
    .await;
    let verify = keyed(&["audit", "verify"], url, dir);
    assert_broken(&verify, "rewritten with the key before a checkpoint");
    assert!(
        text(&verify).contains(&format!(
            "entry {} differs from the checkpoint",
            saved.len() - 1
        )),
        "{}",
        text(&verify)
    );
    db.put_back(&saved).await;
    // Cutting the log short before a checkpoint, the rest intact.
    db.truncate(middle).await;
    let verify = keyed(&["audit", "verify"], url, dir);
    assert_broken(&verify, "cut short before a checkpoint");
    assert!(
        text(&verify).contains("but the log ends at entry"),
        "{}",
        text(&verify)
    );
}

/// A database whose chain was written before keys (plain SHA-256, no fingerprint) is
/// verified and re-keyed at the first start with a key — unless it is broken, or a
/// checkpoint signed with that key shows it was keyed before.
async fn old_chains_are_rekeyed(url: &str, dir: &Path) {
    let demo = keyed(&["demo"], url, dir);
    assert!(demo.status.success(), "{}", text(&demo));
    let checkpoint = keyed(&["audit", "checkpoint"], url, dir);
    assert!(checkpoint.status.success(), "{}", text(&checkpoint));
    let mut db = Db::open(url).await;
    // As migrations 0001–0009 left it.
    db.forge(1, None, plain_sha256).await;
    db.exec("UPDATE audit_chain_head SET key_fingerprint = NULL")
        .await;
    let old = db.entries().await;

    // Stripping the key from a keyed log is noticed by its checkpoints.
    let stripped = keyed(&["migrate"], url, dir);
    assert_eq!(stripped.status.code(), Some(2), "{}", text(&stripped));
    assert!(
        text(&stripped).contains("shows it was"),
        "{}",
        text(&stripped)
    );

    // A fresh key and checkpoints folder, as for a database of before keys.
    let fresh = dir.join("fresh");
    std::fs::create_dir_all(&fresh).expect("folder");
    // A broken old chain is not re-keyed.
    let mut edited = old[2].clone();
    edited.5 = "login=someone-else".into();
    db.write_entry(&edited).await;
    let start = keyed(&["migrate"], url, &fresh);
    assert_eq!(start.status.code(), Some(2), "{}", text(&start));
    assert!(
        text(&start).contains("was not re-keyed") && text(&start).contains("entry 3"),
        "{}",
        text(&start)
    );
    assert_broken(
        &keyed(&["audit", "verify"], url, &fresh),
        "old chain edited",
    );
    assert_eq!(db.entries().await[2], edited, "nothing was re-keyed");
    db.write_entry(&old[2]).await;

    let start = keyed(&["migrate"], url, &fresh);
    assert!(start.status.success(), "{}", text(&start));
    let verify = keyed(&["audit", "verify"], url, &fresh);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("1 checkpoints"), "{}", text(&verify));
    let rekeyed = db.entries().await;
    assert_eq!(rekeyed.len(), old.len() + 1);
    let last = rekeyed.last().expect("entries");
    assert_eq!(last.3, "audit.rekey");
    assert!(
        last.5.contains(&format!("entries={}", old.len())),
        "{}",
        last.5
    );
    for (before, after) in old.iter().zip(&rekeyed) {
        assert_eq!((before.0, &before.5), (after.0, &after.5));
        assert_ne!(before.7, after.7, "entry {} re-keyed", before.0);
    }
    // Once keyed, the old formula no longer passes.
    db.forge(2, Some("login=someone-else"), plain_sha256).await;
    assert_broken(
        &keyed(&["audit", "verify"], url, &fresh),
        "SHA-256 after re-keying",
    );
}

/// Declares a chain scenario (an `async fn(url, dir)`) as a test on SQLite and a test on a
/// fresh PostgreSQL database, each with a scratch folder of its own.
macro_rules! on_both_engines {
    ($scenario:ident, $tag:literal, $on_sqlite:ident, $on_postgres:ident) => {
        #[tokio::test]
        async fn $on_sqlite() {
            let dir = scratch(concat!($tag, "-sqlite"));
            $scenario(&format!("sqlite:{}", dir.join("a.db").display()), &dir).await;
            let _ = std::fs::remove_dir_all(&dir);
        }

        #[tokio::test]
        async fn $on_postgres() {
            let dir = scratch(concat!($tag, "-postgres"));
            let (url, name) = fresh_postgres($tag).await;
            $scenario(&url, &dir).await;
            drop_postgres(&[name]).await;
            let _ = std::fs::remove_dir_all(&dir);
        }
    };
}

on_both_engines!(
    old_chains_are_rekeyed,
    "rekey",
    old_chains_are_rekeyed_on_sqlite,
    old_chains_are_rekeyed_on_postgres
);
on_both_engines!(
    forged_chains_are_reported,
    "forged",
    forged_chains_are_reported_on_sqlite,
    forged_chains_are_reported_on_postgres
);

/// A new, empty PostgreSQL database: its URL and name.
async fn fresh_postgres(tag: &str) -> (String, String) {
    let name = format!("mamori_cli_{tag}_{}", std::process::id());
    on_postgres_server(&[
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ])
    .await;
    (postgres_url(&name), name)
}
