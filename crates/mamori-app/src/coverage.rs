//! The vendors' part of an institution's file: the 事業者確認用 in force, and what the
//! coverage across the forms and the vendor verdict are computed from.

use mamori_locale::Message;

use crate::ErrorCode;
use std::collections::HashMap;

use mamori_domain::vendor::{
    Coverage, CoverageInput, VendorContract, VendorVerdict, coverage, vendor_verdict,
};
use mamori_domain::{ChecklistVersion, FiscalYear, FormKind, ItemAnswers, Principal, Role};
use mamori_store::{Institution, StoredContract};

use crate::error::{Error, Refusal};
use crate::fiscal_years::version_and_rules;
use crate::{App, today_in_japan};

/// The 事業者確認用 in force in the fiscal year.
pub fn vendor_version(
    app: &App,
    fiscal_year: FiscalYear,
) -> Result<&'static ChecklistVersion, Error> {
    let catalog: &'static mamori_catalog::Catalog = app.catalog;
    catalog
        .version_for(fiscal_year, FormKind::Vendor)
        .ok_or_else(|| {
            Error::rejected(
                Refusal::NotFound,
                ErrorCode::UnknownFiscalYear,
                Message::new("errors-unknown-vendor-fiscal-year")
                    .with("fiscal_year_ja", fiscal_year.label_ja())
                    .with("fiscal_year_en", fiscal_year.label_en()),
            )
        })
}

/// Whether the caller is a user of the vendor organisation serving the contract.
pub async fn serves(
    app: &App,
    principal: &Principal,
    contract: &StoredContract,
) -> Result<bool, Error> {
    if principal.role != Role::VendorUser {
        return Ok(false);
    }
    let org = app
        .store
        .vendor_organization_of_user(principal.user_id)
        .await?;
    Ok(mamori_domain::access::vendor_serves(
        principal.role,
        org.map(|(id, _)| id),
        contract.vendor_organization_id,
    ))
}

/// The institution's vendor contracts as the domain's rules take them (the contact chart's
/// vendor rows name them).
pub async fn vendor_contracts(
    app: &App,
    institution_id: i64,
) -> Result<Vec<VendorContract>, Error> {
    Ok(app
        .store
        .vendor_contracts_of_institution(institution_id)
        .await?
        .into_iter()
        .map(|c| c.contract)
        .collect())
}

/// Everything the coverage and the vendor verdict are computed from, loaded.
pub struct CoverageData {
    pub institution_version: &'static ChecklistVersion,
    pub vendor_version: &'static ChecklistVersion,
    pub institution_answers: HashMap<String, ItemAnswers>,
    pub contracts: Vec<StoredContract>,
    pub vendor_answers: HashMap<mamori_domain::vendor::ContractId, HashMap<String, ItemAnswers>>,
}

impl CoverageData {
    pub async fn load(
        app: &App,
        institution: &Institution,
        fiscal_year: FiscalYear,
    ) -> Result<Self, Error> {
        let (institution_version, _) = version_and_rules(app, institution, fiscal_year)?;
        let vendor_version = vendor_version(app, fiscal_year)?;
        let (institution_answers, contracts, vendor_answers) = tokio::try_join!(
            app.store.answers(institution.id, fiscal_year),
            app.store.vendor_contracts_of_institution(institution.id),
            app.store
                .vendor_answers_of_institution(institution.id, fiscal_year),
        )?;
        Ok(Self {
            institution_version,
            vendor_version,
            institution_answers,
            contracts,
            vendor_answers,
        })
    }

    pub fn domain_contracts(&self) -> Vec<VendorContract> {
        self.contracts.iter().map(|c| c.contract.clone()).collect()
    }

    pub fn coverage(
        &self,
        institution: &Institution,
        fiscal_year: FiscalYear,
    ) -> Result<Coverage, Error> {
        let contracts = self.domain_contracts();
        coverage(&self.input(institution, fiscal_year, &contracts))
            .map_err(|e| Error::Internal(e.message().render(mamori_locale::Lang::En)))
    }

    pub fn verdict(
        &self,
        app: &App,
        institution: &Institution,
        fiscal_year: FiscalYear,
    ) -> Result<VendorVerdict, Error> {
        let contracts = self.domain_contracts();
        let rules = app
            .catalog
            .rules_for(&self.institution_version.version)
            .ok_or_else(|| Error::Internal("no inspection rules".into()))?;
        vendor_verdict(
            &self.input(institution, fiscal_year, &contracts),
            rules,
            today_in_japan(),
        )
        .map_err(|e| Error::Internal(e.message().render(mamori_locale::Lang::En)))
    }

    fn input<'a>(
        &'a self,
        institution: &Institution,
        fiscal_year: FiscalYear,
        contracts: &'a [VendorContract],
    ) -> CoverageInput<'a> {
        CoverageInput {
            fiscal_year,
            profile: institution.profile(),
            institution_version: self.institution_version,
            institution_answers: &self.institution_answers,
            vendor_version: self.vendor_version,
            contracts,
            vendor_answers: &self.vendor_answers,
        }
    }
}
