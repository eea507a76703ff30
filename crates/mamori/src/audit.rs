//! The audit log's key file and checkpoints folder, as every command finds them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use mamori_locale::Message;
use mamori_store::backup::{Engine, sqlite_file};
use mamori_store::{AuditKey, AuditOpening, Store};

#[derive(Args, Clone, Debug, Default)]
pub struct AuditArgs {
    /// The audit log's key (64 hexadecimal digits, readable by its owner only). SQLite:
    /// default `<database file>.audit-key`, created at the first start. PostgreSQL: required,
    /// and the same file for every server of the database.
    #[arg(long, env = "MAMORI_AUDIT_KEY_FILE", value_name = "FILE")]
    pub audit_key_file: Option<PathBuf>,
    /// The folder of the audit log's signed checkpoints. Default: `<database
    /// file>.audit-checkpoints` (SQLite), `audit-checkpoints` beside the key file
    /// (PostgreSQL).
    #[arg(long, env = "MAMORI_AUDIT_CHECKPOINTS", value_name = "DIR")]
    pub audit_checkpoints: Option<PathBuf>,
}

/// Where the key and the checkpoints of one database are.
#[derive(Debug, Clone)]
pub struct AuditPaths {
    pub key: PathBuf,
    pub checkpoints: PathBuf,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl AuditArgs {
    pub fn paths(&self, url: &str) -> Result<AuditPaths> {
        let database = match Engine::of_url(url)? {
            Engine::Sqlite => sqlite_file(url)?,
            Engine::Postgres => None,
        };
        let key = match (&self.audit_key_file, &database) {
            (Some(key), _) => key.clone(),
            (None, Some(file)) => with_suffix(file, ".audit-key"),
            (None, None) => bail!(Message::new("operator-audit-key-file-needed").render_both()),
        };
        let checkpoints = match (&self.audit_checkpoints, &database) {
            (Some(dir), _) => dir.clone(),
            (None, Some(file)) => with_suffix(file, ".audit-checkpoints"),
            (None, None) => key
                .parent()
                .unwrap_or(Path::new(""))
                .join("audit-checkpoints"),
        };
        Ok(AuditPaths { key, checkpoints })
    }
}

/// Gives `store` its audit key. With `create`, a missing key file is created (owner-only)
/// when the database's log is not keyed yet; a log written before keys is re-keyed, and a
/// checkpoint is written after it.
pub async fn open(store: &Store, args: &AuditArgs, url: &str, create: bool) -> Result<AuditPaths> {
    let paths = args.paths(url)?;
    let key = if paths.key.exists() {
        AuditKey::read_file(&paths.key)?
    } else if let Some(recorded) = store.recorded_audit_key_fingerprint().await? {
        bail!(
            Message::new("operator-audit-key-file-missing-keyed")
                .with("path", paths.key.display().to_string())
                .with("fingerprint", recorded.get(..16).unwrap_or(&recorded))
                .render_both()
        );
    } else if create {
        let key = AuditKey::create_file(&paths.key)?;
        tracing::info!(file = %paths.key.display(), "audit key created: keep a copy apart from the database and its backups");
        key
    } else {
        bail!(
            Message::new("operator-audit-key-file-missing")
                .with("path", paths.key.display().to_string())
                .render_both()
        );
    };
    let opened = store
        .open_audit_log(key, Some(&paths.checkpoints))
        .await
        .with_context(|| format!("the audit key file {}", paths.key.display()))?;
    if let AuditOpening::Rekeyed { entries } = opened
        && entries > 0
    {
        tracing::info!(
            entries,
            "the audit log was verified and re-keyed with the audit key"
        );
        checkpoint(store, &paths.checkpoints).await?;
    }
    Ok(paths)
}

/// Writes a checkpoint of the audit log's head into `dir`.
pub async fn checkpoint(store: &Store, dir: &Path) -> Result<PathBuf> {
    let (path, c) = store
        .write_audit_checkpoint(dir)
        .await
        .with_context(|| format!("cannot write an audit checkpoint into {}", dir.display()))?;
    tracing::info!(file = %path.display(), seq = c.seq, "audit checkpoint written");
    Ok(path)
}

/// Writes a checkpoint now (a wrong folder stops the server at start) and then daily.
pub async fn spawn_daily_checkpoints(store: Store, dir: PathBuf) -> Result<()> {
    checkpoint(&store, &dir).await?;
    tokio::spawn(async move {
        let day = Duration::from_secs(24 * 3600);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + day, day);
        loop {
            tick.tick().await;
            if let Err(e) = checkpoint(&store, &dir).await {
                tracing::error!(
                    error = format!("{e:#}"),
                    "the daily audit checkpoint failed"
                );
            }
        }
    });
    Ok(())
}
