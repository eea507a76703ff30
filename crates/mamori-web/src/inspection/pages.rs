//! The inspector's page (立入検査): the verdict per item, the findings, and the observations.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::checklist::pages::{
    FindingView, YearLink, findings_view, form_label, load, version_label, year_links,
};
use crate::http::error::AppError;
use crate::http::ids::{Ids, InstitutionId};
use crate::http::page::SignedIn;
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/inspection/{fy}", inspection_page)
        .post(
            "/institutions/{id}/inspection/{fy}/observations",
            save_observation,
        )
}

// ----- inspection ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage {
    chrome: Chrome,
    id: i64,
    name: String,
    prefecture: String,
    kind: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    years: Vec<YearLink>,
    guide_title: String,
    form_label: String,
    version_label: String,
    ready: bool,
    findings: Vec<FindingView>,
    blocking_count: usize,
    advice_count: usize,
    can_observe: bool,
    observation: Option<(bool, String, String)>,
    answered: usize,
    required: usize,
    /// The 証跡 the institution attached, by item in the checklist's order (read only).
    kept_evidence: Vec<crate::evidence::EvidenceView>,
}

async fn inspection_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, id, &fy, "inspection").await?;
    let findings = findings_view(lang, &a);
    let mut by_item =
        crate::evidence::by_item(&state, lang, &a.institution, a.fiscal_year, a.version).await?;
    let kept_evidence = a
        .version
        .items
        .iter()
        .filter_map(|item| by_item.remove(&item.key))
        .flatten()
        .collect();
    let page = InspectionPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!("{} — {}", lang.t("inspection-title"), a.institution.name),
        ),
        id: a.institution.id,
        name: a.institution.name.clone(),
        prefecture: prefecture_label(lang, a.institution.prefecture),
        kind: kind_label(lang, a.institution.kind),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        years: year_links(state.catalog, lang, a.fiscal_year),
        guide_title: lang.pick(&a.rules.title_ja, &a.rules.title_en).to_owned(),
        form_label: form_label(lang, a.version),
        version_label: version_label(lang, a.version),
        ready: a.verdict.ready,
        blocking_count: findings.iter().filter(|f| f.severity == "blocking").count(),
        advice_count: findings.iter().filter(|f| f.severity == "advice").count(),
        findings,
        can_observe: user
            .user()
            .principal()
            .can_record_observations(a.institution.prefecture),
        observation: a.observation.as_ref().map(|o| {
            (
                o.contact_chart_seen,
                o.recorded_by.clone(),
                o.recorded_at
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
            )
        }),
        answered: a.progress.answered,
        required: a.progress.required,
        kept_evidence,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ObservationForm {
    contact_chart_seen: String,
}

async fn save_observation(
    State(state): State<AppState>,
    PageOpening(_, _, principal, institution): VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
    Form(form): Form<ObservationForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let seen = match form.contact_chart_seen.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(PageError::from(AppError::invalid(
                mamori_domain::ParseError::new(
                    "contact_chart_seen",
                    mamori_locale::Message::new("inspection-choose-whether-contact-chart-was"),
                ),
            )));
        }
    };
    service::record_observation(&state, &principal, &institution, fiscal_year, seen).await?;
    Ok(redirect(&format!(
        "/institutions/{}/inspection/{}",
        institution.id, fiscal_year
    )))
}
