//! What mamori's records show beside a checklist item: the contact chart, the MDS/SDS
//! deliveries, and the backup and BCP records.

use mamori_domain::ItemRole;
use mamori_domain::contact_chart::{ChartState, chart_status};

use crate::AppState;
use crate::contact_chart::api as records;
use crate::http::error::AppError;
use crate::http::i18n::{Lang, Message};
use mamori_app::today_in_japan;

// ----- evidence on the checklist -------------------------------------------------------

/// What the records show beside one checklist item.
pub struct EvidenceView {
    pub key: String,
    pub class: &'static str,
    pub label: String,
    pub facts: Vec<String>,
    pub link: String,
    pub link_label: String,
}

/// Evidence for the contact chart, backup and BCP items (3(1), 3(2), 3(3) so far).
pub fn checklist_evidence(
    state: &AppState,
    lang: Lang,
    a: &mamori_app::Assessment<'_>,
    file: &mamori_app::FileExtras,
) -> Result<Vec<EvidenceView>, AppError> {
    let id = a.institution.id;
    let mut out = Vec::new();
    let chart_item = a.version.item_with_role(ItemRole::ContactChart);
    if let Some(item) = chart_item {
        let stored = records::chart_of(file.contact_chart.as_ref())?;
        let contracts: Vec<_> = file.contracts.iter().map(|c| c.contract.clone()).collect();
        let status = chart_status(stored.as_ref().map(|s| &s.0), &contracts, today_in_japan());
        let (class, label) = match status.state {
            ChartState::None => ("bad", lang.text("checklist-contact-chart-none")),
            ChartState::Draft => ("warn", lang.text("checklist-contact-chart-gaps")),
            ChartState::Complete => ("ok", lang.text("checklist-contact-chart-complete")),
        };
        out.push(EvidenceView {
            key: item.key.clone(),
            class,
            label: label.to_owned(),
            facts: status
                .missing
                .iter()
                .map(|g| lang.pick(&g.message_ja, &g.message_en).to_owned())
                .collect(),
            link: format!("/institutions/{id}/contact-chart"),
            link_label: lang.t("checklist-open-contact-chart"),
        });
    }
    mds_evidence(lang, a, file, &mut out);
    let (records, _) = records::continuity_of(file.continuity_records.as_ref())?;
    for e in records::continuity_evidence(state, &a.institution, a.fiscal_year, &records) {
        let facts = match lang {
            Lang::Ja => e.facts_ja.clone(),
            Lang::En => e.facts_en.clone(),
        };
        let mut facts = facts;
        facts.extend(
            e.warnings
                .iter()
                .map(|w| lang.pick(&w.message_ja, &w.message_en).to_owned()),
        );
        out.push(EvidenceView {
            key: e.item_key.clone(),
            class: if e.supports_yes && e.warnings.is_empty() {
                "ok"
            } else {
                "warn"
            },
            label: lang.t("checklist-records"),
            facts,
            link: format!("/institutions/{id}/continuity"),
            link_label: lang.t("checklist-open-backup-bcp"),
        });
    }
    Ok(out)
}

/// Evidence for the MDS/SDS item (2(3) so far): what each contracted vendor has delivered.
fn mds_evidence(
    lang: Lang,
    a: &mamori_app::Assessment<'_>,
    file: &mamori_app::FileExtras,
    out: &mut Vec<EvidenceView>,
) {
    let items: Vec<_> = a
        .version
        .items_with_role(ItemRole::SecurityDisclosure)
        .collect();
    if items.is_empty() {
        return;
    }
    let id = a.institution.id;
    let contracts: Vec<_> = file
        .contracts
        .iter()
        .filter(|c| c.contract.is_active_in(a.fiscal_year))
        .collect();
    if contracts.is_empty() {
        return;
    }
    let deliveries = &file.deliveries;
    let mut missing = 0;
    let facts: Vec<String> = contracts
        .iter()
        .map(|c| {
            let latest = deliveries
                .iter()
                .filter(|d| d.contract_id == c.contract.id.0)
                .max_by(|x, y| x.delivered_on.cmp(&y.delivered_on));
            match latest {
                Some(d) => format!(
                    "{}: {} {}",
                    c.contract.vendor_name,
                    mamori_domain::vendor::DeliveryKind::label_of(&d.kind),
                    Message::new("checklist-delivered-on")
                        .with("date", d.delivered_on.to_string())
                        .render(lang)
                ),
                None => {
                    missing += 1;
                    format!(
                        "{}: {}",
                        c.contract.vendor_name,
                        lang.text("checklist-not-delivered")
                    )
                }
            }
        })
        .collect();
    let (class, label) = if missing == 0 {
        ("ok", lang.text("checklist-mds-sds-all-delivered"))
    } else {
        ("warn", lang.text("checklist-mds-sds-some-missing"))
    };
    for item in items {
        out.push(EvidenceView {
            key: item.key.clone(),
            class,
            label: label.to_owned(),
            facts: facts.clone(),
            link: format!("/institutions/{id}/vendors"),
            link_label: lang.t("checklist-open-contracts-mds-sds"),
        });
    }
}
