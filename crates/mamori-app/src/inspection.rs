//! The inspection verdict as a record: what the API answers and `mamori inspect --json`
//! prints.

use serde::Serialize;
use utoipa::ToSchema;

use crate::assessment::Assessment;

#[derive(Serialize, ToSchema)]
pub struct FindingJson {
    /// The item's number as printed, e.g. `2(4)`; null for findings about the whole form.
    item: Option<String>,
    item_key: Option<String>,
    code: String,
    /// `blocking` (not ready until fixed), `advice` or `info`.
    severity: String,
    message_ja: String,
    message_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct InspectionJson {
    ready: bool,
    fiscal_year: i32,
    guide_version: String,
    contact_chart_seen: Option<bool>,
    findings: Vec<FindingJson>,
}

pub fn inspection_json(a: &Assessment<'_>) -> InspectionJson {
    InspectionJson {
        ready: a.verdict.ready,
        fiscal_year: a.fiscal_year.start_year(),
        guide_version: a.rules.version.clone(),
        contact_chart_seen: a.observation.as_ref().map(|o| o.contact_chart_seen),
        findings: a
            .verdict
            .findings
            .iter()
            .map(|f| FindingJson {
                item: f.item_number.clone(),
                item_key: f.item_key.clone(),
                code: f.code.as_str().into(),
                severity: match f.severity {
                    mamori_domain::Severity::Blocking => "blocking",
                    mamori_domain::Severity::Advice => "advice",
                    mamori_domain::Severity::Info => "info",
                }
                .into(),
                message_ja: f.message.render(mamori_locale::Lang::Ja),
                message_en: f.message.render(mamori_locale::Lang::En),
            })
            .collect(),
    }
}
