//! An institution's assessment for a fiscal year: the form in force, each item's status
//! and answers, the progress and the inspection verdict (with the vendors' part), loaded in
//! one query where the checklist page needs it all.

use std::collections::HashMap;

use mamori_domain::inspection::{self, Progress};
use mamori_domain::{
    ChecklistItem, ChecklistVersion, FiscalYear, InspectionInput, InspectionRules, ItemAnswers,
    ItemStatus, Principal, Verdict,
};
use mamori_store::{Institution, Observation};

use crate::coverage::{CoverageData, vendor_version};
use crate::error::Error;
use crate::fiscal_years::version_and_rules;
use crate::institutions::record_read;
use crate::{App, today_in_japan};

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

/// The assessment of an institution the caller may see, loaded in one query; "not found"
/// for anything outside the caller's scope, as [`crate::visible_institution`].
pub async fn visible_assessment(
    app: &App,
    principal: &Principal,
    institution_id: i64,
    fiscal_year: FiscalYear,
    resource: &str,
) -> Result<Assessment<'static>, Error> {
    Ok(
        visible_file(app, principal, institution_id, fiscal_year, resource)
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
    app: &App,
    principal: &Principal,
    institution_id: i64,
    fiscal_year: FiscalYear,
    resource: &str,
) -> Result<(Assessment<'static>, FileExtras), Error> {
    let file = app
        .store
        .institution_file(institution_id, fiscal_year)
        .await?
        .ok_or(Error::NotFound)?;
    if !principal.can_view(file.institution.id, file.institution.prefecture) {
        return Err(Error::NotFound);
    }
    let (version, rules) = version_and_rules(app, &file.institution, fiscal_year)?;
    record_read(
        app,
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
    if let Ok(vendor_version) = vendor_version(app, fiscal_year) {
        let data = CoverageData {
            institution_version: version,
            vendor_version,
            institution_answers: file.answers,
            contracts,
            vendor_answers: file.vendor_answers,
        };
        apply_vendor_verdict(app, &mut a, &data)?;
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
pub async fn add_vendor_verdict(app: &App, a: &mut Assessment<'_>) -> Result<(), Error> {
    if vendor_version(app, a.fiscal_year).is_err() {
        // A year without a 事業者確認用 in the catalog has no vendor part.
        return Ok(());
    }
    let data = CoverageData::load(app, &a.institution, a.fiscal_year).await?;
    apply_vendor_verdict(app, a, &data)
}

fn apply_vendor_verdict(
    app: &App,
    a: &mut Assessment<'_>,
    data: &CoverageData,
) -> Result<(), Error> {
    let vendor = data.verdict(app, &a.institution, a.fiscal_year)?;
    a.verdict.ready &= vendor.ready;
    a.verdict
        .findings
        .extend(vendor.findings.iter().filter_map(|f| f.to_finding()));
    // Blocking first, as the institution's own findings are ordered.
    a.verdict.findings.sort_by_key(|f| f.severity);
    Ok(())
}

/// The assessment of an institution already found, with the vendor part of the verdict.
pub async fn assessment(
    app: &App,
    institution: Institution,
    fiscal_year: FiscalYear,
) -> Result<Assessment<'static>, Error> {
    let (version, rules) = version_and_rules(app, &institution, fiscal_year)?;
    let (answers, observation) = tokio::try_join!(
        app.store.answers(institution.id, fiscal_year),
        app.store.observation(institution.id, fiscal_year)
    )?;
    let mut a = build_assessment(
        institution,
        fiscal_year,
        version,
        rules,
        answers,
        observation,
    );
    add_vendor_verdict(app, &mut a).await?;
    Ok(a)
}

/// The assessment of the institution's own answers (statuses, progress, verdict).
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
