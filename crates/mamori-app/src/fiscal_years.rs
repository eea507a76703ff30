//! Which fiscal year a page opens at, which years the catalog has, and the form in force
//! for an institution in a year with its inspection rules.

use mamori_catalog::Catalog;
use mamori_domain::{ChecklistVersion, FiscalYear, InspectionRules};
use mamori_locale::Message;
use mamori_store::Institution;

use crate::error::{Error, Refusal};
use crate::{App, ErrorCode, today_in_japan};

/// The fiscal year pages open at: the demo's year when the demo is loaded (so that a
/// newcomer sees its answers), else the one containing today in Japan.
pub fn current_fiscal_year(app: &App) -> FiscalYear {
    demo_fiscal_year(app.catalog).unwrap_or_else(|| FiscalYear::containing(today_in_japan()))
}

/// A fiscal year as written (`2025`, `R7`, `令和7年度`), if the catalog has a checklist for it.
pub fn parse_fiscal_year(app: &App, text: &str) -> Result<FiscalYear, Error> {
    let fy = FiscalYear::parse(text)?;
    if app.catalog.fiscal_years().contains(&fy) {
        Ok(fy)
    } else {
        Err(unknown_fiscal_year(app, fy))
    }
}

fn unknown_fiscal_year(app: &App, fy: FiscalYear) -> Error {
    let known: Vec<String> = app
        .catalog
        .fiscal_years()
        .iter()
        .map(|y| y.to_string())
        .collect();
    Error::rejected(
        Refusal::NotFound,
        ErrorCode::UnknownFiscalYear,
        Message::new("errors-unknown-fiscal-year")
            .with("fiscal_year_ja", fy.label_ja())
            .with("known_years", known.join(", "))
            .with("fiscal_year_en", fy.label_en()),
    )
}

/// The fiscal year the demo is set in: the current one if the catalog has it, else the latest.
pub fn demo_fiscal_year(catalog: &Catalog) -> Option<FiscalYear> {
    let current = FiscalYear::containing(today_in_japan());
    let years = catalog.fiscal_years();
    if years.contains(&current) {
        Some(current)
    } else {
        years.first().copied()
    }
}

/// The form in force for the institution in the fiscal year, and that version's
/// inspection rules.
pub fn version_and_rules(
    app: &App,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> Result<(&'static ChecklistVersion, &'static InspectionRules), Error> {
    let catalog: &'static mamori_catalog::Catalog = app.catalog;
    let version = catalog
        .version_for(fiscal_year, institution.kind.form())
        .ok_or_else(|| unknown_fiscal_year(app, fiscal_year))?;
    let rules = catalog
        .rules_for(&version.version)
        .ok_or_else(|| Error::Internal(format!("no inspection rules for {}", version.version)))?;
    Ok((version, rules))
}
