//! What the API, the pages and the CLI share: finding an institution the caller may see,
//! loading an assessment with its statuses, progress and verdict, and saving an answer.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use mamori_domain::answer::{validate_answer, validate_removal};
use mamori_domain::inspection::{self, Progress};
use mamori_domain::{
    AnswerInput, ChecklistItem, ChecklistVersion, FiscalYear, InspectionInput, InspectionRules,
    ItemAnswer, ItemAnswers, ItemStatus, Principal, Round, Verdict,
};
use mamori_store::{Institution, NewInstitution, Observation};

use crate::AppState;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::Message;

/// Now in Japan (JST, UTC+9, no daylight saving): training sessions are written in Japan
/// time, and an incident's "since when" is judged by it.
pub fn now_in_japan() -> NaiveDateTime {
    (Utc::now() + chrono::Duration::hours(9)).naive_utc()
}

/// An instant stored as RFC 3339 (UTC), in Japan time; `None` when it is not RFC 3339.
pub fn instant_in_japan(rfc3339: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| (t.to_utc() + chrono::Duration::hours(9)).naive_utc())
}

/// Today in Japan: the day that check dates are judged by.
pub fn today_in_japan() -> NaiveDate {
    now_in_japan().date()
}

/// The fiscal year pages open at: the demo's year when the demo is loaded (so that a
/// newcomer sees its answers), else the one containing today in Japan.
pub fn current_fiscal_year(state: &AppState) -> FiscalYear {
    crate::demo::demo_fiscal_year(state).unwrap_or_else(|| FiscalYear::containing(today_in_japan()))
}

/// The institution, if the caller may see it. Anything else is "not found", so that the
/// existence of other institutions is not revealed.
pub async fn visible_institution(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<Institution, AppError> {
    let institution = state
        .store
        .institution(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if principal.can_view(institution.id, institution.prefecture) {
        Ok(institution)
    } else {
        Err(AppError::NotFound)
    }
}

/// Records in the access log that the caller read `resource` of the institution.
pub async fn record_read(
    state: &AppState,
    principal: &Principal,
    institution_id: i64,
    resource: &str,
) -> Result<(), AppError> {
    let bucket = mamori_store::access_bucket(&Utc::now());
    let key = (principal.user_id, institution_id, resource.to_owned());
    {
        // A poisoned lock only means another request panicked while holding it; the set
        // is still a valid (at worst incomplete) memo.
        let seen = state
            .access_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.bucket == bucket && seen.entries.contains(&key) {
            return Ok(());
        }
    }
    state
        .store
        .record_access(principal.user_id, institution_id, resource)
        .await?;
    let mut seen = state
        .access_seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.bucket != bucket {
        seen.bucket = bucket;
        seen.entries.clear();
    }
    seen.entries.insert(key);
    Ok(())
}

/// The institution, if the caller may administer it (its admin, the national office):
/// "not found" outside the caller's scope, "forbidden" inside it without the right.
pub async fn administered_institution(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Institution, AppError> {
    let institution = visible_institution(state, principal, parse_id(id)?).await?;
    if principal.can_administer(institution.id) {
        Ok(institution)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn parse_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

pub fn parse_fiscal_year(state: &AppState, text: &str) -> Result<FiscalYear, AppError> {
    let fy = FiscalYear::parse(text)?;
    if state.catalog.fiscal_years().contains(&fy) {
        Ok(fy)
    } else {
        Err(unknown_fiscal_year(state, fy))
    }
}

fn unknown_fiscal_year(state: &AppState, fy: FiscalYear) -> AppError {
    let known: Vec<String> = state
        .catalog
        .fiscal_years()
        .iter()
        .map(|y| y.to_string())
        .collect();
    AppError::rejected(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownFiscalYear,
        Message::new("errors-unknown-fiscal-year")
            .with("fiscal_year_ja", fy.label_ja())
            .with("known_years", known.join(", "))
            .with("fiscal_year_en", fy.label_en()),
    )
}

/// One item as shown: the item, how it stands this year, its answers.
#[derive(Debug, Clone)]
pub struct ItemState<'a> {
    pub item: &'a ChecklistItem,
    pub status: ItemStatus,
    pub answers: ItemAnswers,
}

pub struct Assessment<'a> {
    pub institution: Institution,
    pub fiscal_year: FiscalYear,
    pub version: &'a ChecklistVersion,
    pub rules: &'a InspectionRules,
    pub items: Vec<ItemState<'a>>,
    pub progress: Progress,
    pub verdict: Verdict,
    pub observation: Option<Observation>,
}

pub fn version_and_rules(
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> Result<(&'static ChecklistVersion, &'static InspectionRules), AppError> {
    let catalog: &'static mamori_catalog::Catalog = state.catalog;
    let version = catalog
        .version_for(fiscal_year, institution.kind.form())
        .ok_or_else(|| unknown_fiscal_year(state, fiscal_year))?;
    let rules = catalog.rules_for(&version.version).ok_or_else(|| {
        AppError::Internal(format!("no inspection rules for {}", version.version))
    })?;
    Ok((version, rules))
}

/// The assessment of an institution the caller may see, loaded in one query; "not found"
/// for anything outside the caller's scope, as [`visible_institution`].
pub async fn visible_assessment(
    state: &AppState,
    principal: &Principal,
    institution_id: i64,
    fiscal_year: FiscalYear,
    resource: &str,
) -> Result<Assessment<'static>, AppError> {
    Ok(
        visible_file(state, principal, institution_id, fiscal_year, resource)
            .await?
            .0,
    )
}

/// What the checklist shows beside the answers, read with them in one query
/// ([`mamori_store::Store::institution_file`]).
pub struct FileExtras {
    pub contracts: Vec<mamori_store::StoredContract>,
    pub deliveries: Vec<mamori_store::Delivery>,
    pub contact_chart: Option<mamori_store::Document>,
    pub continuity_records: Option<mamori_store::Document>,
    /// Whether the device ledger has any device (the ledger is read only then).
    pub has_devices: bool,
}

/// An assessment the caller may see, with the vendor part of the verdict, and what the
/// checklist page shows beside it; records the read in the access log. The whole file is
/// one database query.
pub async fn visible_file(
    state: &AppState,
    principal: &Principal,
    institution_id: i64,
    fiscal_year: FiscalYear,
    resource: &str,
) -> Result<(Assessment<'static>, FileExtras), AppError> {
    let file = state
        .store
        .institution_file(institution_id, fiscal_year)
        .await?
        .ok_or(AppError::NotFound)?;
    if !principal.can_view(file.institution.id, file.institution.prefecture) {
        return Err(AppError::NotFound);
    }
    let (version, rules) = version_and_rules(state, &file.institution, fiscal_year)?;
    record_read(
        state,
        principal,
        file.institution.id,
        &format!("{resource}:{fiscal_year}"),
    )
    .await?;
    let mut a = build_assessment(
        file.institution,
        fiscal_year,
        version,
        rules,
        file.answers.clone(),
        file.observation,
    );
    let mut contracts = file.contracts;
    // A year without a 事業者確認用 in the catalog has no vendor part; the contracts are
    // still shown beside the checklist (contact chart, MDS/SDS).
    if let Ok(vendor_version) = crate::vendors::api::vendor_version(state, fiscal_year) {
        let data = crate::vendors::api::CoverageData {
            institution_version: version,
            vendor_version,
            institution_answers: file.answers,
            contracts,
            vendor_answers: file.vendor_answers,
        };
        apply_vendor_verdict(state, &mut a, &data)?;
        contracts = data.contracts;
    }
    let extras = FileExtras {
        contracts,
        deliveries: file.deliveries,
        contact_chart: file.contact_chart,
        continuity_records: file.continuity_records,
        has_devices: file.has_devices,
    };
    Ok((a, extras))
}

/// Adds the vendor part of the verdict (②「事業者確認用」チェックリスト): one form per
/// contracted vendor, every item in its scope answered, coverage across the forms.
pub async fn add_vendor_verdict(state: &AppState, a: &mut Assessment<'_>) -> Result<(), AppError> {
    if crate::vendors::api::vendor_version(state, a.fiscal_year).is_err() {
        // A year without a 事業者確認用 in the catalog has no vendor part.
        return Ok(());
    }
    let data =
        crate::vendors::api::CoverageData::load(state, &a.institution, a.fiscal_year).await?;
    apply_vendor_verdict(state, a, &data)
}

fn apply_vendor_verdict(
    state: &AppState,
    a: &mut Assessment<'_>,
    data: &crate::vendors::api::CoverageData,
) -> Result<(), AppError> {
    let vendor = data.verdict(state, &a.institution, a.fiscal_year)?;
    a.verdict.ready &= vendor.ready;
    a.verdict
        .findings
        .extend(vendor.findings.iter().filter_map(|f| f.to_finding()));
    // Blocking first, as the institution's own findings are ordered.
    a.verdict.findings.sort_by_key(|f| f.severity);
    Ok(())
}

pub async fn assessment(
    state: &AppState,
    institution: Institution,
    fiscal_year: FiscalYear,
) -> Result<Assessment<'static>, AppError> {
    let (version, rules) = version_and_rules(state, &institution, fiscal_year)?;
    let (answers, observation) = tokio::try_join!(
        state.store.answers(institution.id, fiscal_year),
        state.store.observation(institution.id, fiscal_year)
    )?;
    let mut a = build_assessment(
        institution,
        fiscal_year,
        version,
        rules,
        answers,
        observation,
    );
    add_vendor_verdict(state, &mut a).await?;
    Ok(a)
}

pub fn build_assessment<'a>(
    institution: Institution,
    fiscal_year: FiscalYear,
    version: &'a ChecklistVersion,
    rules: &'a InspectionRules,
    answers: HashMap<String, ItemAnswers>,
    observation: Option<Observation>,
) -> Assessment<'a> {
    let profile = institution.profile();
    let verdict = inspection::verdict(&InspectionInput {
        fiscal_year,
        version,
        rules,
        profile,
        answers: &answers,
        contact_chart_seen: observation.as_ref().map(|o| o.contact_chart_seen),
        today: today_in_japan(),
    });
    let progress = inspection::progress(version, fiscal_year, &profile, &answers);
    let items = version
        .items
        .iter()
        .map(|item| ItemState {
            item,
            status: version.status_of(item, fiscal_year, &profile),
            answers: answers.get(&item.key).cloned().unwrap_or_default(),
        })
        .collect();
    Assessment {
        institution,
        fiscal_year,
        version,
        rules,
        items,
        progress,
        verdict,
        observation,
    }
}

fn unknown_item(version: &ChecklistVersion, key: &str) -> AppError {
    AppError::rejected(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownItem,
        Message::new("errors-unknown-item")
            .with("key", key)
            .with("version_ja", &version.version_label_ja)
            .with("form_ja", version.form.label_ja())
            .with("version_en", &version.version_label_en)
            .with("form_en", version.form.label_en()),
    )
}

/// Validates and records one round's answer to one item.
pub async fn save_answer(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    input: AnswerInput,
) -> Result<ItemState<'static>, AppError> {
    if !principal.can_answer(institution.id) {
        return Err(AppError::Forbidden);
    }
    let (version, _) = version_and_rules(state, institution, fiscal_year)?;
    let item = version
        .item(key)
        .ok_or_else(|| unknown_item(version, key))?;
    let status = version.status_of(item, fiscal_year, &institution.profile());
    let answer = ItemAnswer {
        answer: input.answer,
        checked_on: input.checked_on,
        target_date: input.target_date,
    };
    // Judged inside the writing transaction, against the answers as they stand there.
    let today = today_in_japan();
    let round = input.round;
    let check: mamori_store::AnswerCheck =
        Box::new(move |existing| validate_answer(item, status, &input, existing, today));
    let answers = state
        .store
        .set_answer_checked(
            institution.id,
            fiscal_year,
            key,
            round,
            &answer,
            principal.user_id,
            check,
        )
        .await??;
    Ok(ItemState {
        item,
        status,
        answers,
    })
}

/// Removes one round's answer (the history keeps it).
pub async fn clear_answer(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    round: Round,
) -> Result<(), AppError> {
    if !principal.can_answer(institution.id) {
        return Err(AppError::Forbidden);
    }
    let (version, _) = version_and_rules(state, institution, fiscal_year)?;
    version
        .item(key)
        .ok_or_else(|| unknown_item(version, key))?;
    let existing = state
        .store
        .item_answers(institution.id, fiscal_year, key)
        .await?;
    validate_removal(round, &existing)?;
    state
        .store
        .clear_answer(institution.id, fiscal_year, key, round, principal.user_id)
        .await?;
    Ok(())
}

pub async fn record_observation(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    contact_chart_seen: bool,
) -> Result<(), AppError> {
    if !principal.can_record_observations(institution.prefecture) {
        return Err(AppError::Forbidden);
    }
    version_and_rules(state, institution, fiscal_year)?;
    state
        .store
        .set_observation(
            institution.id,
            fiscal_year,
            contact_chart_seen,
            principal.user_id,
        )
        .await?;
    Ok(())
}

/// Checks a change of an institution against what depends on it: a hospital that has
/// answered a 確保事業 survey keeps a 医療機関コード, since its applications are judged and
/// listed by it.
pub async fn check_institution_change(
    state: &AppState,
    institution: &Institution,
    new: &NewInstitution,
) -> Result<(), AppError> {
    if institution.medical_institution_code.is_some()
        && new.medical_institution_code.is_none()
        && state
            .store
            .institution_has_application(institution.id)
            .await?
    {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InstitutionCodeInUse,
            Message::new("errors-institution-code-in-use"),
        ));
    }
    Ok(())
}

/// Checks a new or changed institution's fields together.
pub fn check_institution(new: &NewInstitution) -> Result<(), AppError> {
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidName,
            Message::new("errors-invalid-name"),
        ));
    }
    let beds = i32::try_from(new.beds).map_err(|_| {
        AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBeds,
            Message::new("errors-invalid-beds"),
        )
    })?;
    new.kind.check_beds(beds)?;
    if let Some(code) = &new.medical_institution_code {
        mamori_domain::MedicalInstitutionCode::parse(code)?;
    }
    Ok(())
}
