//! 証跡 (evidence) per checklist item (migration `0021_evidence`): each evidence as it
//! stands, every version it has had, and the files, kept once per institution and content.
//! Adding a file and counting it against the institution's quota happen in one
//! transaction: the usage row's update orders concurrent uploads, and an upload that would
//! pass the quota rolls back, leaving nothing stored.

use chrono::NaiveDate;
use mamori_domain::FiscalYear;
use mamori_domain::evidence::{Content, EvidenceFacts, stale_from};
use sha2::{Digest, Sha256};

use crate::write::{Audit, Written};
use crate::{Pool, Result, Store, StoreError, now};

/// An evidence as it stands, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvidence {
    pub id: i64,
    pub institution_id: i64,
    pub fiscal_year: i64,
    pub item_key: String,
    pub version: i64,
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: Option<String>,
    /// A document kind's wire name, or `link`.
    pub kind: String,
    pub file_name: String,
    pub url: String,
    /// Bytes of the file (0 for a link).
    pub size: i64,
    pub carried_from: Option<i64>,
    pub updated_at: String,
    pub removed_at: Option<String>,
}

impl StoredEvidence {
    pub fn produced_on_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.produced_on, "%Y-%m-%d").ok()
    }

    pub fn valid_until_date(&self) -> Option<NaiveDate> {
        self.valid_until
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

/// One version of an evidence, as it was kept.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EvidenceVersion {
    pub version: i64,
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: Option<String>,
    pub kind: String,
    pub file_name: String,
    pub url: String,
    pub size: i64,
    pub created_by_login: String,
    pub created_at: String,
}

/// A file's bytes for a download, with its name and kind.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EvidenceFile {
    pub institution_id: i64,
    pub kind: String,
    pub file_name: String,
    pub title: String,
    pub content: Vec<u8>,
}

/// An evidence to add or the new version of one: its checked facts and, for a file, its
/// bytes.
pub struct EvidenceWrite<'a> {
    pub facts: &'a EvidenceFacts,
    pub bytes: Option<&'a [u8]>,
}

/// What became of an evidence write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceWritten {
    /// Kept, as this evidence id.
    Kept(i64),
    /// Refused: the institution's files would pass the quota (bytes in use before).
    QuotaFull { used: i64 },
    /// Refused: the evidence changed since the form was loaded (its version now).
    Stale { version: i64 },
}

/// A query of [`StoredEvidence`] rows: the select list and join, then `$rest`.
macro_rules! select_evidence {
    ($rest:literal) => {
        concat!(
            "SELECT e.id, e.institution_id, CAST(e.fiscal_year AS BIGINT) AS fiscal_year, e.item_key, CAST(e.version AS BIGINT) AS version, e.title, e.owner, e.produced_on, e.valid_until, e.kind, e.file_name, e.url, COALESCE(f.size, 0) AS size, e.carried_from, e.updated_at, e.removed_at FROM evidence e LEFT JOIN evidence_files f ON f.id = e.file_id ",
            $rest
        )
    };
}

/// The columns of the facts, in the order the inserts bind them.
fn fact_values(
    facts: &EvidenceFacts,
) -> (
    String,
    Option<String>,
    Option<String>,
    &'static str,
    String,
    String,
) {
    let (kind, file_name, url) = match &facts.content {
        Content::File { name, kind } => (kind.as_str(), name.clone(), String::new()),
        Content::Link { url } => ("link", String::new(), url.clone()),
    };
    (
        facts.produced_on.to_string(),
        facts.valid_until.map(|d| d.to_string()),
        stale_from(facts.produced_on, facts.valid_until).map(|d| d.to_string()),
        kind,
        file_name,
        url,
    )
}

/// Keeps a file once per institution and content; counts new bytes against the quota.
/// `Ok(Err(used))` when the quota would be passed.
macro_rules! keep_file {
    ($tx:expr, $institution:expr, $bytes:expr, $quota:expr, $at:expr) => {{
        let bytes: &[u8] = $bytes;
        let sha = hex::encode(Sha256::digest(bytes));
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let inserted: Option<(i64,)> = sqlx::query_as("INSERT INTO evidence_files (institution_id, sha256, size, content, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (institution_id, sha256) DO NOTHING RETURNING id")
            .bind($institution).bind(sha.clone()).bind(size).bind(bytes.to_vec()).bind($at.clone())
            .fetch_optional(&mut *$tx).await?;
        match inserted {
            Some((id,)) => {
                let (total,): (i64,) = sqlx::query_as("INSERT INTO evidence_usage (institution_id, bytes) VALUES ($1, $2) ON CONFLICT (institution_id) DO UPDATE SET bytes = evidence_usage.bytes + excluded.bytes RETURNING bytes")
                    .bind($institution).bind(size).fetch_one(&mut *$tx).await?;
                if total > $quota { Err(total - size) } else { Ok(id) }
            }
            None => {
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM evidence_files WHERE institution_id = $1 AND sha256 = $2")
                    .bind($institution).bind(sha).fetch_one(&mut *$tx).await?;
                Ok(id)
            }
        }
    }};
}

/// Records the evidence's current state as a version.
macro_rules! insert_version {
    ($tx:expr, $evidence:expr) => {{
        sqlx::query("INSERT INTO evidence_versions (evidence_id, version, title, owner, produced_on, valid_until, kind, file_name, url, file_id, created_by, created_at) SELECT id, version, title, owner, produced_on, valid_until, kind, file_name, url, file_id, updated_by, updated_at FROM evidence WHERE id = $1")
            .bind($evidence).execute(&mut *$tx).await?;
    }};
}

impl Store {
    /// Adds an evidence to an item of a fiscal year, its file counted against `quota` bytes.
    pub async fn add_evidence(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        new: EvidenceWrite<'_>,
        quota: i64,
        actor: i64,
    ) -> Result<EvidenceWritten> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        let (produced_on, valid_until, stale, kind, file_name, url) = fact_values(new.facts);
        let detail = format!(
            "fy={fy} item={item_key} kind={kind} title={}",
            new.facts.title
        );
        on_pool!(self, pool => self.write(pool, async |tx| {
            let file_id = match new.bytes {
                Some(bytes) => match keep_file!(tx, institution_id, bytes, quota, at) {
                    Ok(id) => Some(id),
                    Err(used) => return Ok(Written::dropped(EvidenceWritten::QuotaFull { used })),
                },
                None => None,
            };
            let (id,): (i64,) = sqlx::query_as("INSERT INTO evidence (institution_id, fiscal_year, item_key, version, title, owner, produced_on, valid_until, stale_from, kind, file_name, url, file_id, created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $14) RETURNING id")
                .bind(institution_id).bind(fy).bind(item_key.to_owned()).bind(new.facts.title.clone()).bind(new.facts.owner.clone())
                .bind(produced_on.clone()).bind(valid_until.clone()).bind(stale.clone()).bind(kind).bind(file_name.clone()).bind(url.clone())
                .bind(file_id).bind(actor).bind(at.clone())
                .fetch_one(&mut *tx).await?;
            insert_version!(tx, id);
            Ok(Written::audited(EvidenceWritten::Kept(id), Audit::new(&at, actor, "evidence.add", institution_id, format!("id={id} {detail}"))))
        }).await)
    }

    /// Replaces an evidence's facts (and file, when `bytes` is given; otherwise the file is
    /// kept), as its next version, if it is still at `expected_version`.
    pub async fn replace_evidence(
        &self,
        evidence_id: i64,
        expected_version: i64,
        new: EvidenceWrite<'_>,
        quota: i64,
        actor: i64,
    ) -> Result<EvidenceWritten> {
        let at = now();
        let (produced_on, valid_until, stale, kind, file_name, url) = fact_values(new.facts);
        on_pool!(self, pool => self.write(pool, async |tx| {
            let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as("UPDATE evidence SET updated_at = $1 WHERE id = $2 AND removed_at IS NULL RETURNING institution_id, CAST(version AS BIGINT), file_id")
                .bind(at.clone()).bind(evidence_id).fetch_optional(&mut *tx).await?;
            let Some((institution_id, version, old_file)) = row else {
                return Err(StoreError::NotFound);
            };
            if version != expected_version {
                return Ok(Written::dropped(EvidenceWritten::Stale { version }));
            }
            let file_id = match (new.bytes, kind) {
                (_, "link") => None,
                (Some(bytes), _) => match keep_file!(tx, institution_id, bytes, quota, at) {
                    Ok(id) => Some(id),
                    Err(used) => return Ok(Written::dropped(EvidenceWritten::QuotaFull { used })),
                },
                (None, _) => old_file,
            };
            sqlx::query("UPDATE evidence SET version = version + 1, title = $1, owner = $2, produced_on = $3, valid_until = $4, stale_from = $5, kind = $6, file_name = $7, url = $8, file_id = $9, updated_by = $10 WHERE id = $11")
                .bind(new.facts.title.clone()).bind(new.facts.owner.clone()).bind(produced_on.clone()).bind(valid_until.clone()).bind(stale.clone())
                .bind(kind).bind(file_name.clone()).bind(url.clone()).bind(file_id).bind(actor).bind(evidence_id)
                .execute(&mut *tx).await?;
            insert_version!(tx, evidence_id);
            let detail = format!("id={evidence_id} version={} kind={kind} title={}", version + 1, new.facts.title);
            Ok(Written::audited(EvidenceWritten::Kept(evidence_id), Audit::new(&at, actor, "evidence.replace", institution_id, detail)))
        }).await)
    }

    /// Removes an evidence from its item; it and its versions stay in the history.
    pub async fn remove_evidence(&self, evidence_id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let row: Option<(i64, String)> = sqlx::query_as("UPDATE evidence SET removed_at = $1, removed_by = $2 WHERE id = $3 AND removed_at IS NULL RETURNING institution_id, title")
                .bind(at.clone()).bind(actor).bind(evidence_id).fetch_optional(&mut *tx).await?;
            let (institution_id, title) = row.ok_or(StoreError::NotFound)?;
            Ok(Written::audited((), Audit::new(&at, actor, "evidence.remove", institution_id, format!("id={evidence_id} title={title}"))))
        }).await)
    }

    /// One evidence, removed or not.
    pub async fn evidence(&self, evidence_id: i64) -> Result<Option<StoredEvidence>> {
        let sql = select_evidence!("WHERE e.id = $1");
        self.select_one_by(sql, evidence_id).await
    }

    /// The evidence of an institution's fiscal year, by item and then as added; `removed`
    /// adds those removed.
    pub async fn evidence_of_year(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        removed: bool,
    ) -> Result<Vec<StoredEvidence>> {
        let sql = select_evidence!(
            "WHERE e.institution_id = $1 AND e.fiscal_year = $2 AND ($3 OR e.removed_at IS NULL) ORDER BY e.item_key, e.id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(sql)
            .bind(institution_id).bind(i64::from(fiscal_year.start_year())).bind(removed)
            .fetch_all(pool).await?))
    }

    /// Every version of an evidence, the latest first, with who kept it.
    pub async fn evidence_versions(&self, evidence_id: i64) -> Result<Vec<EvidenceVersion>> {
        self.select_by(
            "SELECT CAST(v.version AS BIGINT) AS version, v.title, v.owner, v.produced_on, v.valid_until, v.kind, v.file_name, v.url, COALESCE(f.size, 0) AS size, u.login AS created_by_login, v.created_at FROM evidence_versions v JOIN users u ON u.id = v.created_by LEFT JOIN evidence_files f ON f.id = v.file_id WHERE v.evidence_id = $1 ORDER BY v.version DESC",
            evidence_id,
        )
        .await
    }

    /// A version's file (the current one when `version` is `None`), if it has one.
    pub async fn evidence_file(
        &self,
        evidence_id: i64,
        version: Option<i64>,
    ) -> Result<Option<EvidenceFile>> {
        Ok(
            on_pool!(self, pool => sqlx::query_as("SELECT e.institution_id, v.kind, v.file_name, v.title, f.content FROM evidence e JOIN evidence_versions v ON v.evidence_id = e.id AND v.version = COALESCE($2, e.version) JOIN evidence_files f ON f.id = v.file_id WHERE e.id = $1")
            .bind(evidence_id).bind(version).fetch_optional(pool).await?),
        )
    }

    /// The bytes of files an institution keeps.
    pub async fn evidence_usage(&self, institution_id: i64) -> Result<i64> {
        let row: Option<(i64,)> = self
            .select_one_by(
                "SELECT bytes FROM evidence_usage WHERE institution_id = $1",
                institution_id,
            )
            .await?;
        Ok(row.map_or(0, |(bytes,)| bytes))
    }

    /// Copies evidence into another fiscal year, each onto the item key given, as it stands
    /// (its file shared, not copied); one already carried into that year is skipped. The
    /// ids of the new evidence.
    pub async fn carry_evidence(
        &self,
        institution_id: i64,
        into: FiscalYear,
        carried: &[(i64, String)],
        actor: i64,
    ) -> Result<Vec<i64>> {
        let at = now();
        let fy = i64::from(into.start_year());
        on_pool!(self, pool => self.write(pool, async |tx| {
            let mut ids = Vec::new();
            for (from, key) in carried {
                let id: Option<(i64,)> = sqlx::query_as("INSERT INTO evidence (institution_id, fiscal_year, item_key, version, title, owner, produced_on, valid_until, stale_from, kind, file_name, url, file_id, carried_from, created_by, created_at, updated_by, updated_at) SELECT institution_id, $1, $2, 1, title, owner, produced_on, valid_until, stale_from, kind, file_name, url, file_id, id, $3, $4, $3, $4 FROM evidence WHERE id = $5 AND institution_id = $6 AND removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM evidence c WHERE c.carried_from = $5 AND c.fiscal_year = $1 AND c.removed_at IS NULL) RETURNING id")
                    .bind(fy).bind(key.clone()).bind(actor).bind(at.clone()).bind(*from).bind(institution_id)
                    .fetch_optional(&mut *tx).await?;
                if let Some((id,)) = id {
                    insert_version!(tx, id);
                    ids.push(id);
                }
            }
            let detail = format!("fy={fy} carried={}", ids.len());
            if ids.is_empty() {
                Ok(Written::kept(ids))
            } else {
                Ok(Written::audited(ids, Audit::new(&at, actor, "evidence.carry", institution_id, detail)))
            }
        }).await)
    }

    /// The institutions' evidence that became stale in `(after, through]`: for the
    /// scheduler's notice (see `mamori_domain::evidence::stale_from`).
    pub async fn evidence_turning_stale(
        &self,
        after: NaiveDate,
        through: NaiveDate,
    ) -> Result<Vec<StoredEvidence>> {
        let sql = select_evidence!(
            "WHERE e.stale_from > $1 AND e.stale_from <= $2 AND e.removed_at IS NULL ORDER BY e.id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(sql)
            .bind(after.to_string()).bind(through.to_string())
            .fetch_all(pool).await?))
    }
}
