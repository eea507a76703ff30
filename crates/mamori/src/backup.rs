//! `mamori backup`, `mamori restore` and the scheduled backups of `mamori serve`.
//!
//! A backup is one tar file, written to `FILE.tmp` and renamed, so that a crash never leaves
//! half a backup under the final name:
//!
//! | entry | what |
//! |---|---|
//! | `manifest.json` | [`Manifest`]: mamori's version, engine, time, schema version, rows per table, the payload's size and SHA-256 |
//! | `manifest.json.sha256` | the SHA-256 of `manifest.json`, so that a damaged manifest is caught too |
//! | `database.sqlite` or `database.pgdump` | the payload: a `VACUUM INTO` copy, or `pg_dump --format=custom` |
//!
//! Both engines take a consistent snapshot while the server keeps writing: SQLite's
//! `VACUUM INTO` reads one snapshot, and `pg_dump --snapshot` dumps the snapshot of a
//! transaction in which the rows are counted too. A restore goes only into an empty
//! database, checks both checksums first, and verifies the result: rows per table as in the
//! manifest, `PRAGMA integrity_check` on SQLite, and the audit chain.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{NaiveDateTime, SecondsFormat, Utc};
use clap::Args;
use mamori_locale::Message;
use mamori_store::backup::{Contents, Engine, sqlite_file};
use mamori_store::{AUDIT_KEY_MIGRATION, AuditKey, Store};

use crate::audit::AuditArgs;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const FORMAT: &str = "mamori-backup";
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const MANIFEST_SUM: &str = "manifest.json.sha256";
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (a tar archive). It is written to FILE.tmp and renamed.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// `sqlite:PATH` or `postgres://…`: the database to back up.
    #[arg(long, env = "MAMORI_DATABASE_URL", default_value = "sqlite:mamori.db")]
    database_url: String,
    /// The audit key signs a checkpoint of the audit log written with each backup.
    #[command(flatten)]
    audit: AuditArgs,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file written by `mamori backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The empty database to restore into: `sqlite:PATH` (a new file) or `postgres://…`
    /// (a database without tables). The engine must be the backup's.
    #[arg(long, env = "MAMORI_DATABASE_URL", default_value = "sqlite:mamori.db")]
    database_url: String,
    /// The key of the database the backup was taken from verifies its audit log (SQLite:
    /// by default the target's `<file>.audit-key`, copy it there).
    #[command(flatten)]
    audit: AuditArgs,
}

/// Scheduled backups while the server runs.
#[derive(Args, Clone, Debug)]
pub struct ScheduleArgs {
    /// Writes a backup `mamori-YYYYMMDD-HHMMSS.tar` (UTC) to this folder on a schedule.
    /// Off when unset.
    #[arg(long, env = "MAMORI_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Hours between two scheduled backups.
    #[arg(long, env = "MAMORI_BACKUP_EVERY_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub backup_every_hours: u64,
    /// How many scheduled backups to keep; older ones are deleted.
    #[arg(long, env = "MAMORI_BACKUP_KEEP", default_value_t = 7,
          value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub backup_keep: u64,
}

/// What a backup holds; `manifest.json` in the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub mamori_version: String,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// RFC 3339, UTC: when the snapshot was taken.
    pub created_at: String,
    /// The highest migration applied to the database.
    pub schema_version: Option<i64>,
    /// Every table of the snapshot with its rows.
    pub row_counts: BTreeMap<String, i64>,
    pub payload: Payload,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payload {
    /// The entry's name in the archive: `database.sqlite` or `database.pgdump`.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn total_rows(&self) -> i64 {
        self.row_counts.values().sum()
    }
}

fn payload_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "database.sqlite",
        Engine::Postgres => "database.pgdump",
    }
}

fn damaged(what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        Message::new("operator-backup-damaged")
            .with("what", what.to_string())
            .render_both()
    )
}

/// Removes a file when dropped, unless it was renamed away before.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let mut name: OsString = name.to_owned();
    name.push(suffix);
    Ok(path.with_file_name(name))
}

/// Creates `path` (replacing a leftover of ours) readable by its owner only: backups hold
/// password hashes.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable; not every platform can open a directory, so best effort.
    if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        let _ = d.sync_all();
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

// ----- PostgreSQL client tools ----------------------------------------------------------

/// `pg_dump` or `pg_restore`: from `MAMORI_PG_BIN_DIR` when set (to match a newer server),
/// else from the PATH.
fn pg_tool(name: &str) -> PathBuf {
    match std::env::var_os("MAMORI_PG_BIN_DIR") {
        Some(dir) if !dir.is_empty() => Path::new(&dir).join(name),
        _ => PathBuf::from(name),
    }
}

fn percent_decode(text: &str) -> String {
    fn hex_digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| {
                Some((
                    hex_digit(*bytes.get(i + 1)?)?,
                    hex_digit(*bytes.get(i + 2)?)?,
                ))
            })
            .flatten();
        if let Some((hi, lo)) = escaped {
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits the password out of a `postgres://user:password@host/db` URL, so that it goes to
/// the client tools through `PGPASSWORD` rather than their command line (which `ps` shows).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    split_password(url).0
}

/// Runs a PostgreSQL client tool with the database URL as an argument (no shell) and the
/// password, if any, in the environment.
async fn run_pg_tool(tool: &str, args: &[OsString], url: &str) -> Result<()> {
    let (url, password) = split_password(url);
    let program = pg_tool(tool);
    let mut command = tokio::process::Command::new(&program);
    command
        .args(args)
        .arg("--dbname")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    let output = command.output().await.with_context(|| {
        format!(
            "cannot run {} (install the PostgreSQL client, or set MAMORI_PG_BIN_DIR)",
            program.display()
        )
    })?;
    if !output.status.success() {
        bail!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

// ----- writing a backup -----------------------------------------------------------------

/// Takes a consistent snapshot of the database behind `store` (whose URL is `url`, needed
/// by `pg_dump`) and writes it to `to` as one archive.
pub async fn write_backup(store: &Store, url: &str, to: &Path) -> Result<Manifest> {
    let engine = Engine::parse(store.engine())
        .with_context(|| format!("unknown engine {}", store.engine()))?;
    if to.is_dir() {
        bail!("{} is a folder: name the backup file", to.display());
    }
    let dir = parent_of(to);
    if !dir.as_os_str().is_empty() && !dir.is_dir() {
        bail!("the folder {} does not exist", dir.display());
    }
    let payload_path = with_suffix(to, ".payload.tmp")?;
    let archive_tmp = with_suffix(to, ".tmp")?;
    let payload_guard = TempFile(payload_path.clone());
    let archive_guard = TempFile(archive_tmp.clone());
    // An empty file of our own, private: VACUUM INTO and pg_dump write into it.
    create_private(&payload_path)
        .with_context(|| format!("cannot create {}", payload_path.display()))?;
    let created_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);

    let contents: Contents = match engine {
        Engine::Sqlite => {
            store
                .vacuum_into(&payload_path)
                .await
                .context("VACUUM INTO failed")?;
            let copy = Store::open_sqlite_file(&payload_path)
                .await
                .context("cannot open the snapshot")?;
            let checked = async {
                let integrity = copy.integrity_check().await?;
                let contents = copy.contents().await?;
                anyhow::Ok((integrity, contents))
            }
            .await;
            copy.close().await;
            let (integrity, contents) = checked?;
            if let Some(i) = integrity.filter(|i| i != "ok") {
                bail!("the snapshot fails PRAGMA integrity_check: {i}");
            }
            contents
        }
        Engine::Postgres => {
            let mut snapshot = store.pg_snapshot().await?;
            let contents = snapshot.contents().await?;
            let args: Vec<OsString> = vec![
                "--format=custom".into(),
                "--no-owner".into(),
                "--no-privileges".into(),
                format!("--snapshot={}", snapshot.id()).into(),
                "--file".into(),
                payload_path.clone().into_os_string(),
            ];
            let dumped = run_pg_tool("pg_dump", &args, url).await;
            // The snapshot must stay open until pg_dump has ended.
            snapshot.finish().await?;
            dumped?;
            contents
        }
    };

    let name = payload_name(engine);
    let to_owned = to.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || -> Result<Manifest> {
        let (bytes, sha256) = sha256_file(&payload_path)
            .with_context(|| format!("cannot read {}", payload_path.display()))?;
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            mamori_version: env!("CARGO_PKG_VERSION").into(),
            engine: engine.as_str().into(),
            created_at,
            schema_version: contents.schema_version,
            row_counts: contents.row_counts,
            payload: Payload {
                file: name.into(),
                bytes,
                sha256,
            },
        };
        write_archive(&archive_tmp, &manifest, &payload_path)
            .with_context(|| format!("cannot write {}", archive_tmp.display()))?;
        std::fs::rename(&archive_tmp, &to_owned).with_context(|| {
            format!(
                "cannot rename {} to {}",
                archive_tmp.display(),
                to_owned.display()
            )
        })?;
        sync_dir(parent_of(&to_owned));
        Ok(manifest)
    })
    .await
    .context("the backup task failed")??;
    drop(payload_guard);
    drop(archive_guard);
    Ok(manifest)
}

fn write_archive(path: &Path, manifest: &Manifest, payload: &Path) -> Result<()> {
    let file = create_private(path)?;
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    let mtime = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let mut append = |name: &str, size: u64, data: &mut dyn Read| -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        builder.append_data(&mut header, name, data)
    };
    let json = serde_json::to_vec_pretty(manifest)?;
    let sum = format!("{}  {MANIFEST}\n", hex::encode(Sha256::digest(&json)));
    append(MANIFEST, json.len() as u64, &mut json.as_slice())?;
    append(MANIFEST_SUM, sum.len() as u64, &mut sum.as_bytes())?;
    let mut data = File::open(payload)?;
    append(&manifest.payload.file, manifest.payload.bytes, &mut data)?;
    let mut writer = builder.into_inner()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

// ----- reading and restoring ------------------------------------------------------------

/// Reads an archive: checks the manifest's own checksum, then copies the payload to
/// `payload_to` while hashing it and compares with the manifest.
pub fn read_archive(from: &Path, payload_to: &Path) -> Result<Manifest> {
    let file = File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut manifest_bytes: Option<Vec<u8>> = None;
    let mut manifest_sum: Option<String> = None;
    let mut manifest: Option<Manifest> = None;
    let mut payload_seen = false;
    let entries = archive
        .entries()
        .map_err(|e| damaged(format!("the archive cannot be read ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("the archive cannot be read ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| damaged(format!("an entry has no usable name ({e})")))?
            .to_string_lossy()
            .into_owned();
        if name == MANIFEST {
            let mut bytes = Vec::new();
            entry
                .by_ref()
                .take(MAX_MANIFEST_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| damaged(format!("{MANIFEST} cannot be read ({e})")))?;
            manifest_bytes = Some(bytes);
        } else if name == MANIFEST_SUM {
            let mut text = String::new();
            entry
                .by_ref()
                .take(1024)
                .read_to_string(&mut text)
                .map_err(|e| damaged(format!("{MANIFEST_SUM} cannot be read ({e})")))?;
            manifest_sum = text.split_whitespace().next().map(str::to_owned);
        } else if name == "database.sqlite" || name == "database.pgdump" {
            if manifest.is_none()
                && let (Some(bytes), Some(sum)) = (&manifest_bytes, &manifest_sum)
            {
                manifest = Some(check_manifest(bytes, sum)?);
            }
            let Some(m) = &manifest else {
                return Err(damaged(format!("{name} comes before {MANIFEST}")));
            };
            if m.payload.file != name {
                return Err(damaged(format!(
                    "the manifest describes {}, the archive holds {name}",
                    m.payload.file
                )));
            }
            let mut out = create_private(payload_to)
                .with_context(|| format!("cannot create {}", payload_to.display()))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0u64;
            loop {
                let n = entry
                    .read(&mut buf)
                    .map_err(|e| damaged(format!("{name} cannot be read ({e})")))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])
                    .with_context(|| format!("cannot write {}", payload_to.display()))?;
                total += n as u64;
            }
            out.sync_all()?;
            let sha = hex::encode(hasher.finalize());
            if total != m.payload.bytes {
                return Err(damaged(format!(
                    "{name} has {total} bytes, the manifest says {}",
                    m.payload.bytes
                )));
            }
            if sha != m.payload.sha256 {
                return Err(damaged(format!(
                    "the SHA-256 of {name} is {sha}, the manifest says {}",
                    m.payload.sha256
                )));
            }
            payload_seen = true;
        }
        // Other entries are ignored: a later format may add some.
    }
    let manifest = match (manifest, manifest_bytes, manifest_sum) {
        (Some(m), _, _) => m,
        (None, Some(bytes), Some(sum)) => check_manifest(&bytes, &sum)?,
        (None, None, _) => return Err(damaged(format!("there is no {MANIFEST}"))),
        (None, Some(_), None) => return Err(damaged(format!("there is no {MANIFEST_SUM}"))),
    };
    if !payload_seen {
        return Err(damaged(format!(
            "there is no {} (the archive is cut short?)",
            manifest.payload.file
        )));
    }
    Ok(manifest)
}

fn check_manifest(bytes: &[u8], sum: &str) -> Result<Manifest> {
    let actual = hex::encode(Sha256::digest(bytes));
    if actual != sum {
        return Err(damaged(format!(
            "the SHA-256 of {MANIFEST} is {actual}, {MANIFEST_SUM} says {sum}"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| damaged(format!("{MANIFEST} is not a mamori manifest ({e})")))?;
    if manifest.format != FORMAT {
        bail!("this is not a mamori backup (format '{}')", manifest.format);
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            Message::new("operator-backup-newer-format")
                .with("version", manifest.format_version)
                .with("known", FORMAT_VERSION)
                .render_both()
        );
    }
    Ok(manifest)
}

/// What a restore verified.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub audit_entries: i64,
    pub integrity: Option<String>,
}

fn not_empty(what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        Message::new("operator-restore-not-empty")
            .with("what", what.to_string())
            .render_both()
    )
}

/// Verifies the audit chain of a restored database: a keyed one with `key`, one of a backup
/// taken before keys as it was written then (it is re-keyed at its first start).
async fn verify_audit(store: &Store, manifest: &Manifest, key: Option<&AuditKey>) -> Result<i64> {
    let keyed = manifest.schema_version.unwrap_or(0) >= AUDIT_KEY_MIGRATION
        && store.recorded_audit_key_fingerprint().await?.is_some();
    let audit = if keyed {
        let key = key.with_context(|| Message::new("operator-restore-key-needed").render_both())?;
        store.open_audit_log(key.clone(), None).await?;
        store.verify_audit_chain().await?
    } else {
        store.verify_legacy_audit_chain().await?
    };
    if let Some((seq, problem)) = audit.problem {
        bail!("the audit log is broken at entry {seq}: {problem}");
    }
    Ok(audit.entries)
}

/// Compares what a restored database holds with the manifest, and checks its integrity
/// and its audit chain.
async fn verify(
    store: &Store,
    manifest: &Manifest,
    key: Option<&AuditKey>,
) -> Result<(i64, Option<String>)> {
    let integrity = store.integrity_check().await?;
    if let Some(i) = integrity.as_deref().filter(|i| *i != "ok") {
        bail!("PRAGMA integrity_check reports: {i}");
    }
    let contents = store.contents().await?;
    if contents.row_counts != manifest.row_counts {
        let mut diffs = Vec::new();
        let names: std::collections::BTreeSet<&String> = contents
            .row_counts
            .keys()
            .chain(manifest.row_counts.keys())
            .collect();
        for name in names {
            let got = contents.row_counts.get(name);
            let want = manifest.row_counts.get(name);
            if got != want {
                diffs.push(format!(
                    "{name}: {} rows, the manifest says {}",
                    got.map_or("no table".into(), |n| n.to_string()),
                    want.map_or("no table".into(), |n| n.to_string())
                ));
            }
        }
        bail!("the rows differ from the manifest: {}", diffs.join("; "));
    }
    if contents.schema_version != manifest.schema_version {
        bail!(
            "the schema version is {:?}, the manifest says {:?}",
            contents.schema_version,
            manifest.schema_version
        );
    }
    Ok((verify_audit(store, manifest, key).await?, integrity))
}

fn check_restorable(manifest: &Manifest, engine: Engine) -> Result<()> {
    if manifest.engine != engine.as_str() {
        bail!(
            Message::new("operator-restore-other-engine")
                .with("backup", manifest.engine.as_str())
                .with("target", engine.as_str())
                .render_both()
        );
    }
    let known = engine.known_schema_version();
    if let Some(v) = manifest.schema_version
        && v > known
    {
        bail!(
            Message::new("operator-restore-newer-schema")
                .with("version", v)
                .with("known", known)
                .render_both()
        );
    }
    Ok(())
}

/// Restores the archive `from` into the empty database `url` and verifies it.
pub async fn restore(url: &str, from: &Path, key: Option<&AuditKey>) -> Result<Restored> {
    let engine = Engine::of_url(url)?;
    if !from.is_file() {
        bail!("there is no backup file {}", from.display());
    }
    match engine {
        Engine::Sqlite => restore_sqlite(url, from, key).await,
        Engine::Postgres => restore_postgres(url, from, key).await,
    }
}

async fn read_archive_blocking(from: &Path, payload_to: &Path) -> Result<Manifest> {
    let from = from.to_path_buf();
    let payload_to = payload_to.to_path_buf();
    tokio::task::spawn_blocking(move || read_archive(&from, &payload_to))
        .await
        .context("the restore task failed")?
}

async fn restore_sqlite(url: &str, from: &Path, key: Option<&AuditKey>) -> Result<Restored> {
    let target = sqlite_file(url)?
        .with_context(|| format!("{url} is an in-memory database: name a file"))?;
    let dir = parent_of(&target);
    if !dir.as_os_str().is_empty() && !dir.is_dir() {
        bail!("the folder {} does not exist", dir.display());
    }
    let wal = with_suffix(&target, "-wal")?;
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(not_empty(format!(
            "{} exists (a database was in use there)",
            wal.display()
        )));
    }
    if std::fs::metadata(&target).is_ok_and(|m| m.len() > 0) {
        let existing = Store::open_existing(url)
            .await
            .with_context(|| format!("cannot open {}", target.display()))?;
        let tables = existing.table_count().await;
        existing.close().await;
        let tables = tables?;
        if tables > 0 {
            return Err(not_empty(format!(
                "{} holds {tables} tables",
                target.display()
            )));
        }
    }
    let staged = with_suffix(&target, ".restore-tmp")?;
    let guard = TempFile(staged.clone());
    let manifest = read_archive_blocking(from, &staged).await?;
    check_restorable(&manifest, Engine::Sqlite)?;

    // Verify the copy before it takes the target's place, so that a failure leaves the
    // target as it was.
    let copy = Store::open_sqlite_file(&staged).await?;
    let verified = verify(&copy, &manifest, key).await;
    copy.close().await;
    verified.context("the backup does not verify; nothing was restored")?;
    File::open(&staged)?.sync_all()?;
    std::fs::rename(&staged, &target)
        .with_context(|| format!("cannot move {} to {}", staged.display(), target.display()))?;
    drop(guard);
    sync_dir(parent_of(&target));

    let store = Store::open_existing(url)
        .await
        .with_context(|| format!("cannot open the restored {}", target.display()))?;
    let verified = verify(&store, &manifest, key).await;
    store.close().await;
    let (audit_entries, integrity) = verified.context("the restored database does not verify")?;
    Ok(Restored {
        manifest,
        audit_entries,
        integrity,
    })
}

async fn restore_postgres(url: &str, from: &Path, key: Option<&AuditKey>) -> Result<Restored> {
    let store = Store::open_existing(url)
        .await
        .context("cannot connect to the target database")?;
    let tables = store.table_count().await;
    store.close().await;
    let tables = tables?;
    if tables > 0 {
        return Err(not_empty(format!("it holds {tables} tables")));
    }

    let staged = std::env::temp_dir().join(format!(
        "mamori-restore-{}-{}.pgdump",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let _guard = TempFile(staged.clone());
    let manifest = read_archive_blocking(from, &staged).await?;
    check_restorable(&manifest, Engine::Postgres)?;

    let args: Vec<OsString> = vec![
        "--no-owner".into(),
        "--no-privileges".into(),
        "--exit-on-error".into(),
        "--single-transaction".into(),
        staged.clone().into_os_string(),
    ];
    run_pg_tool("pg_restore", &args, url).await?;

    let store = Store::open_existing(url).await?;
    let verified = verify(&store, &manifest, key).await;
    store.close().await;
    let (audit_entries, integrity) = verified
        .context("the restored database does not verify: drop it and investigate the backup")?;
    Ok(Restored {
        manifest,
        audit_entries,
        integrity,
    })
}

// ----- commands -------------------------------------------------------------------------

pub async fn run_backup(args: BackupArgs) -> Result<ExitCode> {
    if Engine::of_url(&args.database_url)? == Engine::Sqlite {
        let file = sqlite_file(&args.database_url)?
            .with_context(|| format!("{} is an in-memory database", args.database_url))?;
        if !file.is_file() {
            bail!("there is no database at {}", file.display());
        }
    }
    let store = Store::open_existing(&args.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", redacted(&args.database_url)))?;
    // A checkpoint of the audit log with every backup: the backup holds at least what it
    // covers.
    let checkpoint = match crate::audit::open(&store, &args.audit, &args.database_url, false).await
    {
        Ok(paths) => crate::audit::checkpoint(&store, &paths.checkpoints).await,
        Err(e) => Err(e),
    };
    let checkpoint = match checkpoint {
        Ok(path) => path,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let written = write_backup(&store, &args.database_url, &args.to).await;
    store.close().await;
    let m = written?;
    println!("audit checkpoint written to {}", checkpoint.display());
    println!(
        "backup written to {}: {} database, schema version {}, {} rows in {} tables, payload {} bytes, sha256 {}",
        args.to.display(),
        m.engine,
        m.schema_version.map_or("-".into(), |v| v.to_string()),
        m.total_rows(),
        m.row_counts.len(),
        m.payload.bytes,
        m.payload.sha256
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    let key = match args.audit.paths(&args.database_url) {
        Ok(paths) if paths.key.exists() => Some(AuditKey::read_file(&paths.key)?),
        _ => None,
    };
    let r = restore(&args.database_url, &args.from, key.as_ref()).await?;
    // Logins live when the backup was taken do not come back with it.
    let store = Store::open_existing(&args.database_url).await?;
    let ended = store.delete_all_sessions().await?;
    store.close().await;
    println!(
        "restored {} (taken {}) into {}: {} rows in {} tables match the manifest{}; the audit log is intact ({} entries)",
        args.from.display(),
        r.manifest.created_at,
        redacted(&args.database_url),
        r.manifest.total_rows(),
        r.manifest.row_counts.len(),
        if r.integrity.is_some() {
            "; integrity_check ok"
        } else {
            ""
        },
        r.audit_entries
    );
    println!("{ended} session(s) of the backup were ended: everyone logs in again");
    if let Some(engine) = Engine::parse(&r.manifest.engine)
        && r.manifest.schema_version.unwrap_or(0) < engine.known_schema_version()
    {
        println!(
            "the backup's schema (version {}) is older than this mamori's ({}): `mamori migrate` or `mamori serve` upgrades it",
            r.manifest.schema_version.unwrap_or(0),
            engine.known_schema_version()
        );
    }
    Ok(ExitCode::SUCCESS)
}

// ----- scheduled backups ----------------------------------------------------------------

const NAME_FORMAT: &str = "%Y%m%d-%H%M%S";

/// The time in a scheduled backup's name `mamori-YYYYMMDD-HHMMSS.tar`, or `None` for any
/// other name (such files are never touched).
pub fn scheduled_time(name: &str) -> Option<NaiveDateTime> {
    let stamp = name.strip_prefix("mamori-")?.strip_suffix(".tar")?;
    if stamp.len() != 15 {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, NAME_FORMAT).ok()
}

pub fn scheduled_name(at: chrono::DateTime<Utc>) -> String {
    format!("mamori-{}.tar", at.format(NAME_FORMAT))
}

/// Of these file names, the scheduled backups to delete so that the newest `keep` remain.
pub fn beyond_generations(names: &[String], keep: usize) -> Vec<String> {
    let mut backups: Vec<(NaiveDateTime, &String)> = names
        .iter()
        .filter_map(|n| scheduled_time(n).map(|t| (t, n)))
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    backups
        .into_iter()
        .take(excess)
        .map(|(_, n)| n.clone())
        .collect()
}

fn backup_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file()
            && let Some(name) = entry.file_name().to_str()
            && scheduled_time(name).is_some()
        {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Deletes the oldest scheduled backups in `dir` beyond `keep`; returns those deleted.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut deleted = Vec::new();
    for name in beyond_generations(&backup_names(dir)?, keep) {
        let path = dir.join(name);
        std::fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// When the next scheduled backup is due: `every` after the newest one in `dir`, at once
/// when there is none (or it is older).
fn first_due(dir: &Path, every: Duration) -> Duration {
    let newest = backup_names(dir)
        .ok()
        .and_then(|names| names.iter().filter_map(|n| scheduled_time(n)).max());
    match newest {
        Some(t) => {
            let age = (Utc::now().naive_utc() - t)
                .to_std()
                .unwrap_or(Duration::ZERO);
            every.saturating_sub(age)
        }
        None => Duration::ZERO,
    }
}

/// Starts the scheduled backups when `--backup-dir` is set. The folder is created now, so
/// that a wrong setting stops the server at start rather than failing silently later.
pub fn spawn_scheduled(
    args: &ScheduleArgs,
    store: Store,
    url: String,
    checkpoints: PathBuf,
) -> Result<()> {
    let Some(dir) = args.backup_dir.clone() else {
        return Ok(());
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the backup folder {}", dir.display()))?;
    let every = Duration::from_secs(args.backup_every_hours.saturating_mul(3600));
    let keep = usize::try_from(args.backup_keep).unwrap_or(usize::MAX);
    let retry = every.min(Duration::from_secs(600));
    tracing::info!(
        dir = %dir.display(),
        every_hours = args.backup_every_hours,
        keep,
        "scheduled backups are on"
    );
    tokio::spawn(async move {
        let mut wait = first_due(&dir, every);
        loop {
            tokio::time::sleep(wait).await;
            let path = dir.join(scheduled_name(Utc::now()));
            if let Err(e) = crate::audit::checkpoint(&store, &checkpoints).await {
                tracing::error!(
                    error = format!("{e:#}"),
                    "the backup's audit checkpoint failed"
                );
            }
            match write_backup(&store, &url, &path).await {
                Ok(m) => {
                    tracing::info!(
                        file = %path.display(),
                        bytes = m.payload.bytes,
                        rows = m.total_rows(),
                        "scheduled backup written"
                    );
                    match prune(&dir, keep) {
                        Ok(deleted) => {
                            for d in deleted {
                                tracing::info!(file = %d.display(), "old backup deleted");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "could not delete old backups"),
                    }
                    wait = every;
                }
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), file = %path.display(), "scheduled backup failed");
                    wait = retry;
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_names_round_trip_and_others_are_ignored() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-04-01T09:05:07Z")
            .expect("instant")
            .with_timezone(&Utc);
        let name = scheduled_name(at);
        assert_eq!(name, "mamori-20260401-090507.tar");
        assert_eq!(scheduled_time(&name), Some(at.naive_utc()));
        for other in [
            "mamori-20260401-090507.tar.tmp",
            "mamori-20260401-090507.tar.payload.tmp",
            "mamori-2026041-090507.tar",
            "mamori-20261301-090507.tar",
            "mamori-20260401-090507-x.tar",
            "backup.tar",
            "notes.txt",
        ] {
            assert_eq!(scheduled_time(other), None, "{other}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_generations() {
        let names: Vec<String> = [
            "mamori-20260105-000000.tar",
            "mamori-20260101-000000.tar",
            "notes.txt",
            "mamori-20260103-120000.tar",
            "mamori-20260102-000000.tar.tmp",
            "mamori-20260104-000000.tar",
            "mamori-20260102-000000.tar",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            beyond_generations(&names, 3),
            vec![
                "mamori-20260101-000000.tar".to_owned(),
                "mamori-20260102-000000.tar".to_owned()
            ]
        );
        assert!(beyond_generations(&names, 5).is_empty());
        assert!(beyond_generations(&names, 9).is_empty());
        assert_eq!(beyond_generations(&names, 1).len(), 4);
    }

    #[test]
    fn pruning_deletes_only_old_backups_on_disk() {
        let scratch = tempfile::tempdir().expect("scratch dir");
        let dir = scratch.path().to_path_buf();
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        for day in 0..10 {
            let name = scheduled_name(start + chrono::Duration::days(day));
            std::fs::write(dir.join(name), b"x").expect("write");
        }
        std::fs::write(dir.join("keep-me.tar"), b"x").expect("write");
        std::fs::write(dir.join("mamori-20250101-000000.tar.tmp"), b"x").expect("write");
        std::fs::create_dir(dir.join("mamori-20200101-000000.tar")).expect("a folder");
        let deleted = prune(&dir, 7).expect("prune");
        assert_eq!(deleted.len(), 3);
        let mut left = backup_names(&dir).expect("list");
        left.sort();
        assert_eq!(left.len(), 7);
        assert_eq!(
            left.first().map(String::as_str),
            Some("mamori-20260104-000000.tar")
        );
        assert!(dir.join("keep-me.tar").exists());
        assert!(dir.join("mamori-20250101-000000.tar.tmp").exists());
        assert!(dir.join("mamori-20200101-000000.tar").is_dir());
        assert!(prune(&dir, 7).expect("again").is_empty());
    }

    #[test]
    fn first_backup_is_due_at_once_or_after_the_newest() {
        let scratch = tempfile::tempdir().expect("scratch dir");
        let dir = scratch.path().to_path_buf();
        let day = Duration::from_secs(86400);
        assert_eq!(first_due(&dir, day), Duration::ZERO);
        let an_hour_ago = Utc::now() - chrono::Duration::hours(1);
        std::fs::write(dir.join(scheduled_name(an_hour_ago)), b"x").expect("write");
        let due = first_due(&dir, day);
        assert!(due > Duration::from_secs(22 * 3600) && due <= Duration::from_secs(23 * 3600));
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://mamori:s%40cret@db:5432/mamori?sslmode=require"),
            (
                "postgres://mamori@db:5432/mamori?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_owned(), None)
        );
        assert_eq!(
            split_password("postgres://h/x"),
            ("postgres://h/x".to_owned(), None)
        );
        assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
    }

    #[test]
    fn archives_are_checked_before_use() {
        let scratch = tempfile::tempdir().expect("scratch dir");
        let dir = scratch.path().to_path_buf();
        let payload = dir.join("p");
        std::fs::write(&payload, b"SQLite format 3\0 and some pages").expect("write");
        let (bytes, sha256) = sha256_file(&payload).expect("hash");
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            mamori_version: "0".into(),
            engine: "sqlite".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            schema_version: Some(1),
            row_counts: BTreeMap::from([("answers".to_owned(), 3)]),
            payload: Payload {
                file: "database.sqlite".into(),
                bytes,
                sha256,
            },
        };
        let archive = dir.join("b.tar");
        write_archive(&archive, &manifest, &payload).expect("write");
        let out = dir.join("out");
        assert_eq!(read_archive(&archive, &out).expect("read"), manifest);
        assert_eq!(
            std::fs::read(&out).expect("out"),
            std::fs::read(&payload).expect("in")
        );

        let good = std::fs::read(&archive).expect("archive");
        let flip = |at: usize| {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            let path = dir.join(format!("bad-{at}.tar"));
            std::fs::write(&path, bad).expect("write");
            read_archive(&path, &out)
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        };
        let in_payload = good
            .windows(15)
            .position(|w| w == b"SQLite format 3")
            .expect("payload")
            + 20;
        let e = flip(in_payload).expect_err("a damaged payload");
        assert!(e.contains("SHA-256 of database.sqlite"), "{e}");
        let e = flip(512 + 40).expect_err("a damaged manifest");
        assert!(e.contains("SHA-256 of manifest.json"), "{e}");
        let e = flip(100).expect_err("a damaged header");
        assert!(e.contains("damaged"), "{e}");
        let cut = dir.join("cut.tar");
        std::fs::write(&cut, &good[..good.len() / 2]).expect("write");
        let e = read_archive(&cut, &out).expect_err("a cut archive");
        assert!(format!("{e:#}").contains("damaged"), "{e:#}");
    }
}
