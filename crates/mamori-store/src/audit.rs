//! The audit log's keyed hash chain, its key, and signed checkpoints of its head.
//!
//! Each entry's hash is an HMAC-SHA-256, under a key kept outside the database, of the
//! previous entry's hash and the entry's fields: holding the database is not enough to edit
//! an entry and recompute the chain. The database records only the key's fingerprint (in the
//! head row), so that a server started with another key refuses instead of forking the chain.
//! A checkpoint is the head (sequence number and hash) signed with the key, written to a file
//! outside the database; once a copy is kept elsewhere, not even someone holding both the
//! database and the key can rewrite the entries it covers unnoticed.
//!
//! A chain written before the key (plain SHA-256) is verified, then re-keyed in one
//! transaction, at the first start with a key; the re-keying is an entry of its own.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use mamori_domain::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;

use crate::{AuditEntry, AuditVerification, BeginWrite, Pool, Result, Store, StoreError, now};

type HmacSha256 = Hmac<Sha256>;

/// The migration that keys the chain (`0010_audit_key`): a database of an older schema
/// holds a chain of plain SHA-256 hashes.
pub const AUDIT_KEY_MIGRATION: i64 = 10;

/// The key's length in bytes (64 hexadecimal digits in its file).
pub const AUDIT_KEY_BYTES: usize = 32;

/// Where a store keeps its audit key once given; shared with the answer writer task.
pub(crate) type KeySlot = Arc<OnceLock<AuditKey>>;

/// Why the audit log cannot be opened or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// The store was not given its key (`Store::open_audit_log`).
    NoKey,
    /// The key file cannot be read or is not a key.
    KeyFile(String),
    /// The database's chain is keyed with another key.
    KeyMismatch { recorded: String, given: String },
    /// A chain written before keys does not verify, so it was not re-keyed.
    LegacyChainBroken { seq: i64, problem: String },
    /// The database's chain is not keyed, but a checkpoint signed with this key says it was.
    KeyedBefore { checkpoint: String },
}

impl AuditProblem {
    /// What is wrong, for the operator.
    pub fn message(&self) -> Message {
        match self {
            Self::NoKey => Message::new("operator-audit-no-key"),
            Self::KeyFile(why) => Message::new("operator-audit-key-file").with("why", why),
            Self::KeyMismatch { recorded, given } => Message::new("operator-audit-key-mismatch")
                .with("recorded", short(recorded))
                .with("given", short(given)),
            Self::LegacyChainBroken { seq, problem } => {
                Message::new("operator-audit-legacy-chain-broken")
                    .with("seq", *seq)
                    .with("problem", problem)
            }
            Self::KeyedBefore { checkpoint } => {
                Message::new("operator-audit-keyed-before").with("checkpoint", checkpoint)
            }
        }
    }
}

/// In Japanese, then in English: the operator's console has no language of its own.
impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render_both())
    }
}

impl std::error::Error for AuditProblem {}

/// Lets the append of an audit entry fail with its reason inside code that returns sqlx's
/// errors.
impl From<AuditProblem> for sqlx::Error {
    fn from(problem: AuditProblem) -> Self {
        sqlx::Error::Protocol(problem.to_string())
    }
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..16).unwrap_or(fingerprint)
}

fn audit_error(problem: AuditProblem) -> StoreError {
    StoreError::Audit(problem)
}

/// The secret key of the audit chain. Never stored in the database; `Debug` shows only its
/// fingerprint.
#[derive(Clone)]
pub struct AuditKey {
    bytes: [u8; AUDIT_KEY_BYTES],
    fingerprint: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Length-prefixes each field, so that no two different lists feed the same bytes.
fn feed(mut update: impl FnMut(&[u8]), fields: &[&str]) {
    for field in fields {
        update(&(field.len() as u64).to_be_bytes());
        update(field.as_bytes());
    }
}

impl AuditEntry {
    fn fields<'a>(&'a self, prev_hash: &'a str, scratch: &'a mut [String; 3]) -> [&'a str; 7] {
        scratch[0] = self.seq.to_string();
        scratch[1] = self.user_id.map(|u| u.to_string()).unwrap_or_default();
        scratch[2] = self
            .institution_id
            .map(|i| i.to_string())
            .unwrap_or_default();
        [
            prev_hash,
            scratch[0].as_str(),
            self.at.as_str(),
            scratch[1].as_str(),
            self.action.as_str(),
            scratch[2].as_str(),
            self.detail.as_str(),
        ]
    }

    /// The hash of the chain before it was keyed: plain SHA-256 over the previous hash and
    /// the fields. Only read, to verify an old chain before it is re-keyed.
    pub fn legacy_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let mut scratch = Default::default();
        feed(|b| h.update(b), &self.fields(prev_hash, &mut scratch));
        hex::encode(h.finalize())
    }
}

impl AuditKey {
    pub fn from_bytes(bytes: [u8; AUDIT_KEY_BYTES]) -> Self {
        // Domain-separated, so that the fingerprint is no hash the chain or a checkpoint uses.
        let mut derived = HmacSha256::new_from_slice(&bytes).expect("HMAC takes any key length");
        derived.update(b"mamori audit key fingerprint v1");
        let mut h = Sha256::new();
        h.update(b"mamori audit key fingerprint v1\0");
        h.update(derived.finalize().into_bytes());
        Self {
            bytes,
            fingerprint: hex::encode(h.finalize()),
        }
    }

    /// A new random key.
    pub fn generate() -> Self {
        Self::from_bytes(rand::random())
    }

    /// What the database records of the key: SHA-256 of a value derived from it, never the
    /// key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes any key length")
    }

    /// HMAC-SHA-256 over the previous entry's hash and every field of this one.
    pub fn chain_hash(&self, entry: &AuditEntry, prev_hash: &str) -> String {
        let mut m = self.mac();
        let mut scratch = Default::default();
        feed(|b| m.update(b), &entry.fields(prev_hash, &mut scratch));
        hex::encode(m.finalize().into_bytes())
    }

    /// Refuses to write when the database's chain is not keyed with this key.
    pub(crate) fn check_recorded(
        &self,
        recorded: Option<&str>,
    ) -> std::result::Result<(), AuditProblem> {
        match recorded {
            Some(fp) if fp == self.fingerprint => Ok(()),
            Some(fp) => Err(AuditProblem::KeyMismatch {
                recorded: fp.to_owned(),
                given: self.fingerprint.clone(),
            }),
            None => Err(AuditProblem::NoKey),
        }
    }

    /// Reads a key file: 64 hexadecimal digits.
    pub fn read_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            audit_error(AuditProblem::KeyFile(format!(
                "cannot read the audit key file {}: {e}",
                path.display()
            )))
        })?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; AUDIT_KEY_BYTES]>::try_from(b).ok())
            .ok_or_else(|| {
                audit_error(AuditProblem::KeyFile(format!(
                    "the audit key file {} does not hold a key ({} hexadecimal digits)",
                    path.display(),
                    AUDIT_KEY_BYTES * 2
                )))
            })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
                tracing::warn!(file = %path.display(), "the audit key file can be read by others than its owner: chmod 600 it");
            }
        }
        Ok(Self::from_bytes(bytes))
    }

    /// Writes a new random key to `path`, readable by its owner only; never overwrites.
    pub fn create_file(path: &Path) -> Result<Self> {
        use std::io::Write;
        let key = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(path).and_then(|mut f| {
            f.write_all(format!("{}\n", hex::encode(key.bytes)).as_bytes())?;
            f.sync_all()
        });
        written.map_err(|e| {
            audit_error(AuditProblem::KeyFile(format!(
                "cannot create the audit key file {}: {e}",
                path.display()
            )))
        })?;
        Ok(key)
    }
}

/// The head of the chain at one moment, signed with the key; one JSON file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCheckpoint {
    pub format: String,
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub key_fingerprint: String,
    pub mac: String,
}

const CHECKPOINT_FORMAT: &str = "mamori-audit-checkpoint-v1";
const CHECKPOINT_PREFIX: &str = "audit-checkpoint-";

impl AuditCheckpoint {
    fn signature(key: &AuditKey, seq: i64, hash: &str, at: &str) -> String {
        let mut m = key.mac();
        feed(
            |b| m.update(b),
            &[CHECKPOINT_FORMAT, &seq.to_string(), hash, at],
        );
        hex::encode(m.finalize().into_bytes())
    }

    fn signed(key: &AuditKey, seq: i64, hash: String, at: String) -> Self {
        Self {
            format: CHECKPOINT_FORMAT.to_owned(),
            mac: Self::signature(key, seq, &hash, &at),
            seq,
            hash,
            at,
            key_fingerprint: key.fingerprint.clone(),
        }
    }

    /// The signature is this key's over these fields.
    pub fn is_signed_by(&self, key: &AuditKey) -> bool {
        let Ok(mac) = hex::decode(&self.mac) else {
            return false;
        };
        let mut m = key.mac();
        feed(
            |b| m.update(b),
            &[&self.format, &self.seq.to_string(), &self.hash, &self.at],
        );
        self.format == CHECKPOINT_FORMAT && m.verify_slice(&mac).is_ok()
    }
}

/// The checkpoint files of `dir` (none if it does not exist), each read or with why not.
pub fn read_checkpoints(
    dir: &Path,
) -> Result<Vec<(PathBuf, std::result::Result<AuditCheckpoint, String>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::Corrupt(format!(
                "cannot read the checkpoint folder {}: {e}",
                dir.display()
            )));
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", dir.display())))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with(CHECKPOINT_PREFIX) || !name.ends_with(".json") {
            continue;
        }
        let read = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
        found.push((path, read));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// How `Store::open_audit_log` found the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOpening {
    /// Already keyed with this key.
    Keyed,
    /// Not keyed before: its entries (none in a new database) were verified and re-keyed.
    Rekeyed { entries: i64 },
}

/// A stored entry with the hashes that chain it.
#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    entry: AuditEntry,
    prev_hash: String,
    hash: String,
}

const PAGE: i64 = 5000;
const SELECT_PAGE: &str = "SELECT seq, at, user_id, action, institution_id, detail, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2";

/// Follows the chain one stored row at a time.
struct ChainWalk {
    prev: String,
    seq: i64,
}

impl ChainWalk {
    fn new() -> Self {
        Self {
            prev: "genesis".to_owned(),
            seq: 1,
        }
    }

    fn entries(&self) -> i64 {
        self.seq - 1
    }

    /// The row as an entry, if it follows the chain with `hash`; else where and how not.
    fn step(
        &mut self,
        row: Row,
        hash: &impl Fn(&AuditEntry, &str) -> String,
    ) -> std::result::Result<AuditEntry, (i64, String)> {
        let Row {
            entry,
            prev_hash,
            hash: stored,
        } = row;
        let (seq, expected) = (entry.seq, self.seq);
        if seq != expected {
            return Err((
                expected,
                format!("entry {expected} is missing (next is {seq})"),
            ));
        }
        if prev_hash != self.prev {
            return Err((
                seq,
                format!("entry {seq} does not follow entry {}", seq - 1),
            ));
        }
        if hash(&entry, &prev_hash) != stored {
            return Err((seq, format!("entry {seq} was altered")));
        }
        self.prev = stored;
        self.seq += 1;
        Ok(entry)
    }

    /// Whether the head agrees with where the chain ended.
    fn end(&self, head_seq: i64, head_hash: &str) -> Option<(i64, String)> {
        let entries = self.entries();
        (head_seq != entries || head_hash != self.prev).then(|| {
            (
                entries + 1,
                format!("the log ends at entry {entries} but {head_seq} entries were written"),
            )
        })
    }
}

impl Store {
    /// The key this store writes with, once given.
    pub fn audit_key(&self) -> Option<&AuditKey> {
        self.audit_key.get()
    }

    pub(crate) fn require_audit_key(&self) -> std::result::Result<&AuditKey, AuditProblem> {
        self.audit_key.get().ok_or(AuditProblem::NoKey)
    }

    fn keep_key(&self, key: AuditKey) -> Result<()> {
        let kept = self.audit_key.get_or_init(|| key.clone());
        Ok(kept.check_recorded(Some(key.fingerprint()))?)
    }

    /// The fingerprint of the key the chain is keyed with, if it is.
    pub async fn recorded_audit_key_fingerprint(&self) -> Result<Option<String>> {
        let (fp,): (Option<String>,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT key_fingerprint FROM audit_chain_head WHERE id = 1").fetch_one(pool).await?
        });
        Ok(fp)
    }

    /// Gives the store its audit key: required before anything is written. A chain keyed with
    /// another key is refused. A chain not keyed yet is verified as written before keys
    /// (refused if broken, or if a checkpoint of `checkpoints` signed with this key shows it
    /// was keyed before), re-keyed, and the re-keying appended as `audit.rekey`.
    pub async fn open_audit_log(
        &self,
        key: AuditKey,
        checkpoints: Option<&Path>,
    ) -> Result<AuditOpening> {
        if let Some(recorded) = self.recorded_audit_key_fingerprint().await? {
            key.check_recorded(Some(&recorded))?;
            self.keep_key(key)?;
            return Ok(AuditOpening::Keyed);
        }
        if let Some(dir) = checkpoints {
            for (path, checkpoint) in read_checkpoints(dir)? {
                if let Ok(c) = checkpoint
                    && c.seq > 0
                    && c.is_signed_by(&key)
                {
                    return Err(audit_error(AuditProblem::KeyedBefore {
                        checkpoint: path.display().to_string(),
                    }));
                }
            }
        }
        self.rekey(key).await
    }

    async fn rekey(&self, key: AuditKey) -> Result<AuditOpening> {
        on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            // Locks the head: appends, and other servers re-keying, wait.
            let (head_seq, head_hash, recorded): (i64, String, Option<String>) = sqlx::query_as(
                "UPDATE audit_chain_head SET seq = seq WHERE id = 1 RETURNING seq, last_hash, key_fingerprint",
            )
            .fetch_one(&mut *tx)
            .await?;
            if let Some(recorded) = recorded {
                // Another server keyed it meanwhile.
                tx.rollback().await?;
                key.check_recorded(Some(&recorded))?;
                self.keep_key(key)?;
                return Ok(AuditOpening::Keyed);
            }
            let mut walk = ChainWalk::new();
            let mut new_prev = "genesis".to_owned();
            loop {
                let rows: Vec<Row> = sqlx::query_as(SELECT_PAGE)
                    .bind(walk.seq)
                    .bind(PAGE)
                    .fetch_all(&mut *tx)
                    .await?;
                let last_page = (rows.len() as i64) < PAGE;
                let mut rekeyed = Vec::with_capacity(rows.len());
                for row in rows {
                    let entry = walk
                        .step(row, &|e: &AuditEntry, p: &str| e.legacy_hash(p))
                        .map_err(|(seq, problem)| {
                            audit_error(AuditProblem::LegacyChainBroken { seq, problem })
                        })?;
                    let hash = key.chain_hash(&entry, &new_prev);
                    rekeyed.push((entry.seq, std::mem::replace(&mut new_prev, hash.clone()), hash));
                }
                for chunk in rekeyed.chunks(1000) {
                    let mut update = QueryBuilder::new(
                        "UPDATE audit_log SET prev_hash = v.column2, hash = v.column3 FROM (",
                    );
                    update.push_values(chunk, |mut b, (seq, prev, hash)| {
                        b.push_bind(*seq).push_bind(prev.as_str()).push_bind(hash.as_str());
                    });
                    update.push(") AS v WHERE audit_log.seq = v.column1");
                    update.build().execute(&mut *tx).await?;
                }
                if last_page {
                    break;
                }
            }
            if let Some((seq, problem)) = walk.end(head_seq, &head_hash) {
                return Err(audit_error(AuditProblem::LegacyChainBroken { seq, problem }));
            }
            sqlx::query("UPDATE audit_chain_head SET last_hash = $1, key_fingerprint = $2 WHERE id = 1")
                .bind(new_prev)
                .bind(key.fingerprint())
                .execute(&mut *tx)
                .await?;
            let entries = walk.entries();
            let fingerprint = key.fingerprint().to_owned();
            self.keep_key(key)?;
            if entries > 0 {
                append_audit!(self, tx, now(), None::<i64>, "audit.rekey", None::<i64>, format!("entries={entries} key_fingerprint={fingerprint}"));
            }
            tx.commit().await?;
            Ok(AuditOpening::Rekeyed { entries })
        })
    }

    /// Follows the whole chain with `hash`, calling `seen` with each entry's sequence number
    /// and stored hash.
    async fn walk_chain(
        &self,
        hash: impl Fn(&AuditEntry, &str) -> String,
        mut seen: impl FnMut(i64, &str),
    ) -> Result<AuditVerification> {
        let mut walk = ChainWalk::new();
        loop {
            let rows: Vec<Row> = on_pool!(self, pool => {
                sqlx::query_as(SELECT_PAGE).bind(walk.seq).bind(PAGE).fetch_all(pool).await?
            });
            let last_page = (rows.len() as i64) < PAGE;
            for row in rows {
                if let Err(problem) = walk.step(row, &hash) {
                    return Ok(AuditVerification {
                        entries: walk.entries(),
                        problem: Some(problem),
                        checkpoints: 0,
                    });
                }
                seen(walk.entries(), &walk.prev);
            }
            if last_page {
                break;
            }
        }
        let (head_seq, head_hash): (i64, String) = on_pool!(self, pool => {
            sqlx::query_as("SELECT seq, last_hash FROM audit_chain_head WHERE id = 1").fetch_one(pool).await?
        });
        Ok(AuditVerification {
            entries: walk.entries(),
            problem: walk.end(head_seq, &head_hash),
            checkpoints: 0,
        })
    }

    /// Recomputes the keyed audit chain from the first entry and compares it with what is
    /// stored: an edited, inserted or deleted entry breaks it, and so does a chain recomputed
    /// without the key.
    pub async fn verify_audit_chain(&self) -> Result<AuditVerification> {
        self.verify_audit_log(None).await
    }

    /// `verify_audit_chain`, then every checkpoint of `checkpoints`: an entry at a
    /// checkpoint's sequence number with another hash, a checkpoint beyond the log's end or
    /// one not signed with the key is a problem.
    pub async fn verify_audit_log(&self, checkpoints: Option<&Path>) -> Result<AuditVerification> {
        let key = self.require_audit_key()?.clone();
        let recorded = self.recorded_audit_key_fingerprint().await?;
        key.check_recorded(recorded.as_deref())?;
        let files = match checkpoints {
            Some(dir) => read_checkpoints(dir)?,
            None => Vec::new(),
        };
        let wanted: HashSet<i64> = files
            .iter()
            .filter_map(|(_, c)| c.as_ref().ok().map(|c| c.seq))
            .collect();
        let mut hashes: HashMap<i64, String> = HashMap::new();
        let mut v = self
            .walk_chain(
                |e, p| key.chain_hash(e, p),
                |seq, hash| {
                    if wanted.contains(&seq) {
                        hashes.insert(seq, hash.to_owned());
                    }
                },
            )
            .await?;
        if v.problem.is_some() {
            return Ok(v);
        }
        hashes.insert(0, "genesis".to_owned());
        for (path, checkpoint) in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let c = match checkpoint {
                Ok(c) => c,
                Err(why) => {
                    v.problem = Some((0, format!("the checkpoint {name} cannot be read: {why}")));
                    return Ok(v);
                }
            };
            let problem = if !c.is_signed_by(&key) {
                Some((
                    c.seq,
                    format!("the checkpoint {name} is not signed with this key"),
                ))
            } else if c.seq > v.entries {
                Some((
                    v.entries + 1,
                    format!(
                        "the checkpoint {name} of {} covers {} entries, but the log ends at entry {}",
                        c.at, c.seq, v.entries
                    ),
                ))
            } else if hashes.get(&c.seq) != Some(&c.hash) {
                Some((
                    c.seq,
                    format!(
                        "entry {} differs from the checkpoint {name} of {}: the log was rewritten up to it",
                        c.seq, c.at
                    ),
                ))
            } else {
                None
            };
            if problem.is_some() {
                v.problem = problem;
                return Ok(v);
            }
            v.checkpoints += 1;
        }
        Ok(v)
    }

    /// Verifies a chain written before keys (plain SHA-256), as a backup of then holds it.
    pub async fn verify_legacy_audit_chain(&self) -> Result<AuditVerification> {
        self.walk_chain(|e, p| e.legacy_hash(p), |_, _| {}).await
    }

    /// Writes a checkpoint of the chain's head, signed with the key, into `dir` (created if
    /// missing); the file is written whole or not at all.
    pub async fn write_audit_checkpoint(&self, dir: &Path) -> Result<(PathBuf, AuditCheckpoint)> {
        let key = self.require_audit_key()?;
        let (seq, hash, recorded): (i64, String, Option<String>) = on_pool!(self, pool => {
            sqlx::query_as("SELECT seq, last_hash, key_fingerprint FROM audit_chain_head WHERE id = 1").fetch_one(pool).await?
        });
        key.check_recorded(recorded.as_deref())?;
        let stamp = chrono::Utc::now();
        let checkpoint = AuditCheckpoint::signed(key, seq, hash, now());
        let name = format!(
            "{CHECKPOINT_PREFIX}{seq:012}-{}.json",
            stamp.format("%Y%m%dT%H%M%S%3fZ")
        );
        let path = dir.join(&name);
        let io = |e: std::io::Error| {
            StoreError::Corrupt(format!(
                "cannot write the checkpoint {}: {e}",
                path.display()
            ))
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        let json = serde_json::to_vec_pretty(&checkpoint)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(io)?;
        Ok((path, checkpoint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 7,
            at: "2026-04-01T00:00:00.000Z".into(),
            user_id: Some(3),
            action: "answer.set".into(),
            institution_id: None,
            detail: "item=2-7-server".into(),
        }
    }

    #[test]
    fn the_fingerprint_names_the_key_without_revealing_it() {
        let key = AuditKey::from_bytes([7; AUDIT_KEY_BYTES]);
        assert_eq!(
            key.fingerprint(),
            AuditKey::from_bytes([7; AUDIT_KEY_BYTES]).fingerprint()
        );
        assert_ne!(key.fingerprint(), AuditKey::generate().fingerprint());
        assert!(
            !key.fingerprint()
                .contains(&hex::encode([7u8; AUDIT_KEY_BYTES]))
        );
        assert!(!format!("{key:?}").contains(&hex::encode([7u8; AUDIT_KEY_BYTES])));
        // Not a hash the chain uses.
        assert_ne!(key.fingerprint(), key.chain_hash(&entry(), "genesis"));
    }

    #[test]
    fn the_keyed_hash_depends_on_the_key_and_every_field() {
        let key = AuditKey::from_bytes([1; AUDIT_KEY_BYTES]);
        let base = key.chain_hash(&entry(), "prev");
        assert_ne!(base, entry().legacy_hash("prev"));
        assert_ne!(base, AuditKey::generate().chain_hash(&entry(), "prev"));
        assert_ne!(base, key.chain_hash(&entry(), "prev2"));
        let mut moved = entry();
        moved.user_id = None;
        moved.institution_id = Some(3);
        assert_ne!(base, key.chain_hash(&moved, "prev"));
    }

    #[test]
    fn a_checkpoint_is_checked_against_its_key_and_fields() {
        let key = AuditKey::from_bytes([2; AUDIT_KEY_BYTES]);
        let c = AuditCheckpoint::signed(&key, 12, "abc".into(), "2026-04-01".into());
        assert!(c.is_signed_by(&key));
        assert!(!c.is_signed_by(&AuditKey::generate()));
        let mut moved = c.clone();
        moved.seq = 11;
        assert!(!moved.is_signed_by(&key));
        let mut rehashed = c;
        rehashed.hash = "abd".into();
        assert!(!rehashed.is_signed_by(&key));
    }

    #[test]
    fn key_files_are_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("mamori-audit-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("k");
        let key = AuditKey::create_file(&path).expect("create");
        assert_eq!(
            AuditKey::read_file(&path).expect("read").fingerprint(),
            key.fingerprint()
        );
        assert!(AuditKey::create_file(&path).is_err(), "never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(
            AuditKey::read_file(&path),
            Err(StoreError::Audit(AuditProblem::KeyFile(_)))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
