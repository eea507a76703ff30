//! 証跡 (evidence) on checklist items: attaching a file or a link, replacing it as a new
//! version, removing it (kept in the history), reading it, and carrying what is still valid
//! into the next fiscal year. Those who answer the institution's checklist change its
//! evidence; everyone who sees the institution reads it (the inspector beside the verdict),
//! each download written to the access log.

use mamori_domain::evidence::{
    DocumentKind, EvidenceFacts, EvidenceInput, MAX_EVIDENCE_BYTES, carries_into, validate,
};
use mamori_domain::{FiscalYear, Principal};
use mamori_locale::Message;
use mamori_store::{EvidenceWrite, EvidenceWritten, Institution, StoredEvidence};

use crate::error::{Error, Refusal};
use crate::{App, ErrorCode, record_read, today_in_japan, version_and_rules, visible_institution};

/// The bytes an institution may keep as evidence files unless configured otherwise (1 GiB).
pub const DEFAULT_QUOTA_BYTES: i64 = 1024 * 1024 * 1024;

/// An evidence as sent from a form or the API, before it is checked.
#[derive(Debug, Default)]
pub struct EvidenceUpload {
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: String,
    pub url: String,
    /// The file's name as the browser sent it (may be empty).
    pub file_name: String,
    /// The file's bytes; empty when no file was sent.
    pub bytes: Vec<u8>,
}

/// An evidence that passed every check, with its file's bytes.
pub struct CheckedEvidence {
    pub facts: EvidenceFacts,
    pub bytes: Option<Vec<u8>>,
}

impl CheckedEvidence {
    /// What the store keeps of it.
    fn write(&self) -> EvidenceWrite<'_> {
        EvidenceWrite {
            facts: &self.facts,
            bytes: self.bytes.as_deref(),
        }
    }
}

pub fn too_large() -> Error {
    Error::rejected(
        Refusal::TooLarge,
        ErrorCode::FileTooLarge,
        Message::new("errors-evidence-file-too-large")
            .with("megabytes", MAX_EVIDENCE_BYTES / (1024 * 1024)),
    )
}

/// Checks an upload: its size (413), what its content is (415, read by each format's
/// parser, off the async threads), then every field with its problem (422).
pub async fn check_upload(upload: EvidenceUpload) -> Result<CheckedEvidence, Error> {
    if upload.bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(too_large());
    }
    let (kind, bytes) = if upload.bytes.is_empty() {
        (None, None)
    } else {
        let bytes = upload.bytes;
        let (kind, bytes) = tokio::task::spawn_blocking(move || {
            (mamori_reports::document::read_kind(&bytes), bytes)
        })
        .await
        .map_err(|e| Error::Internal(format!("file check task: {e}")))?;
        let kind = kind.ok_or_else(|| {
            Error::rejected(
                Refusal::UnsupportedType,
                ErrorCode::UnsupportedFileType,
                Message::new("errors-evidence-unsupported-file-type"),
            )
        })?;
        (Some(kind), Some(bytes))
    };
    let input = EvidenceInput {
        title: &upload.title,
        owner: &upload.owner,
        produced_on: &upload.produced_on,
        valid_until: &upload.valid_until,
        url: &upload.url,
        file: kind.map(|k: DocumentKind| (upload.file_name.as_str(), k)),
    };
    let facts = validate(input, today_in_japan()).map_err(Error::Fields)?;
    Ok(CheckedEvidence { facts, bytes })
}

fn removed() -> Error {
    Error::rejected(
        Refusal::Conflict,
        ErrorCode::EvidenceRemoved,
        Message::new("errors-evidence-removed"),
    )
}

fn may_change(principal: &Principal, institution: &Institution) -> Result<(), Error> {
    if principal.can_answer(institution.id) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The item's key, if the institution's checklist of that year has it.
fn known_item(
    app: &App,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
) -> Result<(), Error> {
    let (version, _) = version_and_rules(app, institution, fiscal_year)?;
    version
        .item(key)
        .map(|_| ())
        .ok_or_else(|| crate::answers::unknown_item(version, key))
}

fn refused(written: EvidenceWritten, quota: i64) -> Result<i64, Error> {
    match written {
        EvidenceWritten::Kept(id) => Ok(id),
        EvidenceWritten::QuotaFull { used } => Err(Error::rejected(
            Refusal::TooLarge,
            ErrorCode::EvidenceQuotaFull,
            Message::new("errors-evidence-quota-full")
                .with("used_megabytes", used / (1024 * 1024))
                .with("quota_megabytes", quota / (1024 * 1024)),
        )),
        EvidenceWritten::Stale { version } => Err(Error::rejected(
            Refusal::Conflict,
            ErrorCode::StaleEdit,
            Message::new("errors-evidence-stale").with("version", version),
        )),
    }
}

/// Attaches an evidence to an item of the institution's checklist of a fiscal year.
pub async fn add_evidence(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    upload: EvidenceUpload,
) -> Result<i64, Error> {
    may_change(principal, institution)?;
    known_item(app, institution, fiscal_year, key)?;
    let checked = check_upload(upload).await?;
    let written = app
        .store
        .add_evidence(
            institution.id,
            fiscal_year,
            key,
            checked.write(),
            app.evidence_quota,
            principal.user_id,
        )
        .await?;
    refused(written, app.evidence_quota)
}

/// An evidence and its institution, if the caller sees the institution (else 404).
pub async fn visible_evidence(
    app: &App,
    principal: &Principal,
    evidence_id: i64,
) -> Result<(StoredEvidence, Institution), Error> {
    let evidence = app
        .store
        .evidence(evidence_id)
        .await?
        .ok_or(Error::NotFound)?;
    let institution = visible_institution(app, principal, evidence.institution_id).await?;
    Ok((evidence, institution))
}

/// An evidence the caller may change: seen (else 404), answered for (else 403), not removed
/// (else 409).
async fn changeable_evidence(
    app: &App,
    principal: &Principal,
    evidence_id: i64,
) -> Result<StoredEvidence, Error> {
    let (current, institution) = visible_evidence(app, principal, evidence_id).await?;
    may_change(principal, &institution)?;
    if current.removed_at.is_some() {
        return Err(removed());
    }
    Ok(current)
}

/// Replaces an evidence's description and, when a file is sent, its file, as its next
/// version; `expected_version` is the version the form was loaded with.
pub async fn replace_evidence(
    app: &App,
    principal: &Principal,
    evidence_id: i64,
    expected_version: i64,
    upload: EvidenceUpload,
) -> Result<i64, Error> {
    let current = changeable_evidence(app, principal, evidence_id).await?;
    // A replacement with neither a new file nor a link keeps what the evidence holds.
    let keeps_content = upload.bytes.is_empty() && upload.url.trim().is_empty();
    let checked = if keeps_content {
        let file = match current.kind.as_str() {
            "link" => None,
            kind => Some((
                current.file_name.as_str(),
                DocumentKind::parse(kind).ok_or_else(|| {
                    Error::Internal(format!("evidence {evidence_id}: kind {kind}"))
                })?,
            )),
        };
        let input = EvidenceInput {
            title: &upload.title,
            owner: &upload.owner,
            produced_on: &upload.produced_on,
            valid_until: &upload.valid_until,
            url: if file.is_none() { &current.url } else { "" },
            file,
        };
        CheckedEvidence {
            facts: validate(input, today_in_japan()).map_err(Error::Fields)?,
            bytes: None,
        }
    } else {
        check_upload(upload).await?
    };
    let written = app
        .store
        .replace_evidence(
            evidence_id,
            expected_version,
            checked.write(),
            app.evidence_quota,
            principal.user_id,
        )
        .await?;
    refused(written, app.evidence_quota)
}

/// Removes an evidence from its item (it stays in the history).
pub async fn remove_evidence(
    app: &App,
    principal: &Principal,
    evidence_id: i64,
) -> Result<(), Error> {
    changeable_evidence(app, principal, evidence_id).await?;
    Ok(app
        .store
        .remove_evidence(evidence_id, principal.user_id)
        .await?)
}

/// An evidence's file (a version's, or the current one) for a download, the read written
/// to the access log.
pub async fn evidence_file(
    app: &App,
    principal: &Principal,
    evidence_id: i64,
    version: Option<i64>,
) -> Result<mamori_store::EvidenceFile, Error> {
    let (_, institution) = visible_evidence(app, principal, evidence_id).await?;
    let file = app
        .store
        .evidence_file(evidence_id, version)
        .await?
        .ok_or(Error::NotFound)?;
    record_read(
        app,
        principal,
        institution.id,
        &format!("evidence:{evidence_id}"),
    )
    .await?;
    Ok(file)
}

/// The evidence of an item (or of every item when `key` is `None`) of a fiscal year, for
/// those who see the institution.
pub async fn evidence_of(
    app: &App,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: Option<&str>,
) -> Result<Vec<StoredEvidence>, Error> {
    let all = app
        .store
        .evidence_of_year(institution.id, fiscal_year, false)
        .await?;
    Ok(match key {
        Some(key) => all.into_iter().filter(|e| e.item_key == key).collect(),
        None => all,
    })
}

/// What carrying the previous year's evidence into `into` would copy: each evidence still
/// valid on 1 April, onto the item of the same role (the same key when the two years share
/// a checklist version), not yet carried into `current`, the evidence `into` has.
pub async fn carry_plan(
    app: &App,
    institution: &Institution,
    into: FiscalYear,
    current: &[StoredEvidence],
) -> Result<Vec<(StoredEvidence, String)>, Error> {
    let from = into.previous();
    // A first year of the catalog has nothing before it to carry.
    let Ok((old, _)) = version_and_rules(app, institution, from) else {
        return Ok(Vec::new());
    };
    let (new, _) = version_and_rules(app, institution, into)?;
    let carried: std::collections::HashSet<i64> =
        current.iter().filter_map(|e| e.carried_from).collect();
    let mut plan = Vec::new();
    for evidence in app
        .store
        .evidence_of_year(institution.id, from, false)
        .await?
    {
        if carried.contains(&evidence.id) || !carries_into(evidence.valid_until_date(), into) {
            continue;
        }
        let target = if std::ptr::eq(old, new) {
            new.item(&evidence.item_key).map(|i| i.key.clone())
        } else {
            old.item(&evidence.item_key)
                .and_then(|i| i.role)
                .and_then(|role| new.item_with_role(role))
                .map(|i| i.key.clone())
        };
        if let Some(key) = target {
            plan.push((evidence, key));
        }
    }
    Ok(plan)
}

/// Carries the previous year's still-valid evidence into `into` in one step; how many.
pub async fn carry_forward(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    into: FiscalYear,
) -> Result<usize, Error> {
    may_change(principal, institution)?;
    let current = evidence_of(app, institution, into, None).await?;
    let plan: Vec<(i64, String)> = carry_plan(app, institution, into, &current)
        .await?
        .into_iter()
        .map(|(e, key)| (e.id, key))
        .collect();
    let ids = app
        .store
        .carry_evidence(institution.id, into, &plan, principal.user_id)
        .await?;
    Ok(ids.len())
}
