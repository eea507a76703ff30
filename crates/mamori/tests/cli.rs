//! The `mamori` command as an operator uses it: catalog check, demo, user add, inspect;
//! each on SQLite and on a fresh PostgreSQL database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sqlx::Connection;

fn mamori() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mamori"));
    c.env_remove("MAMORI_DATABASE_URL")
        .env_remove("MAMORI_CATALOG_DIR")
        .env("MAMORI_LOG", "warn");
    c
}

fn run(args: &[&str], url: &str) -> Output {
    mamori()
        .args(args)
        .arg("--database-url")
        .arg(url)
        .output()
        .expect("run mamori")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mamori-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
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
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    let ok = mamori()
        .args(["catalog", "check", "--catalog"])
        .arg(&bundled)
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("r7-institution"));

    let dir = scratch("bad-catalog");
    copy_dir(&bundled, &dir);
    let file = dir.join("checklists/r6-institution.toml");
    let broken = std::fs::read_to_string(&file).expect("read").replacen(
        "scope = \"server\"",
        "scope = \"servers\"",
        1,
    );
    std::fs::write(&file, broken).expect("write");
    let bad = mamori()
        .args(["catalog", "check", "--catalog"])
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let message = text(&bad);
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

fn operator_story(url: &str) {
    let migrate = run(&["migrate"], url);
    assert!(migrate.status.success(), "{}", text(&migrate));
    let demo = run(&["demo"], url);
    assert!(demo.status.success(), "{}", text(&demo));
    assert!(
        text(&run(&["demo"], url)).contains("already"),
        "demo data is loaded once"
    );

    let mut add = mamori()
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
    let short = mamori()
        .args([
            "user",
            "add",
            "--login",
            "sato",
            "--role",
            "admin",
            "--institution",
            "1",
            "--database-url",
            url,
        ])
        .env("MAMORI_PASSWORD", "short")
        .output()
        .expect("run");
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short).contains("12 characters"), "{}", text(&short));
    let nowhere = mamori()
        .args([
            "user",
            "add",
            "--login",
            "sato",
            "--role",
            "admin",
            "--institution",
            "999",
            "--database-url",
            url,
        ])
        .env("MAMORI_PASSWORD", "a long enough password")
        .output()
        .expect("run");
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
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn operator_story_on_postgres() {
    let admin = std::env::var("MAMORI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("mamori_cli_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must be running for the tests");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await
    .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    tokio::task::spawn_blocking(move || operator_story(&url))
        .await
        .expect("story");
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
}
