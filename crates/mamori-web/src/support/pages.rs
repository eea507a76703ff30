//! The public support menu (`/support`) and each programme's page with its subsidy
//! estimator. Plain GET forms: they work without login and without JavaScript.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mamori_domain::InstitutionKind;
use mamori_domain::support::{Phase, Provider, Region, SupportProgram, yen};
use serde::Deserialize;

use super::api::{self, EstimateFields};
use crate::http::auth::MaybeWebUser;
use crate::http::i18n::{Lang, Message};
use crate::http::page::{Chrome, PageCtx, PageError, PageResult, render};
use crate::{AppState, Routes};

pub fn routes() -> Routes {
    Routes::default()
        .get("/support", menu_page)
        .get("/support/programs/{program_id}", program_page)
}

/// A programme as the pages show it, in the page's language.
pub struct ProgramView {
    pub id: String,
    pub name: String,
    pub region: String,
    pub provider: String,
    pub provider_kind: String,
    pub provider_name: String,
    pub covers: String,
    pub who: String,
    pub amount: String,
    pub deadline: String,
    pub status: String,
    pub status_kind: String,
    pub status_note: String,
    pub url: String,
    pub items: Vec<String>,
    pub has_estimate: bool,
}

fn program_view(lang: Lang, region: Region, p: &SupportProgram) -> ProgramView {
    let deadline = match (p.deadline, lang) {
        (Some(d), _) => d.format("%Y-%m-%d").to_string(),
        (None, Lang::Ja) if !p.deadline_note_ja.is_empty() => p.deadline_note_ja.clone(),
        (None, Lang::En) if !p.deadline_note_en.is_empty() => p.deadline_note_en.clone(),
        (None, _) => lang.t("support-see-official-page"),
    };
    ProgramView {
        id: p.id.clone(),
        name: lang.pick(&p.name_ja, &p.name_en).to_owned(),
        region: lang.pick(region.label_ja(), region.label_en()).to_owned(),
        provider: lang
            .pick(p.provider.label_ja(), p.provider.label_en())
            .to_owned(),
        provider_kind: p.provider.as_str().to_owned(),
        provider_name: lang
            .pick(&p.provider_name_ja, &p.provider_name_en)
            .to_owned(),
        covers: lang.pick(&p.covers_ja, &p.covers_en).to_owned(),
        who: lang.pick(&p.who_ja, &p.who_en).to_owned(),
        amount: {
            let a = lang.pick(&p.amount_ja, &p.amount_en);
            if a.is_empty() {
                "—".to_owned()
            } else {
                a.to_owned()
            }
        },
        deadline,
        status: lang
            .pick(p.status.label_ja(), p.status.label_en())
            .to_owned(),
        status_kind: p.status.as_str().to_owned(),
        status_note: lang.pick(&p.status_note_ja, &p.status_note_en).to_owned(),
        url: p.url.clone(),
        items: match lang {
            Lang::Ja => p.eligible_items_ja.clone(),
            Lang::En => p.eligible_items_en.clone(),
        },
        has_estimate: p.subsidy.is_some(),
    }
}

pub struct PhaseView {
    pub key: String,
    pub label: String,
    pub programs: Vec<ProgramView>,
}

#[derive(Template)]
#[template(path = "support.html")]
struct MenuPage {
    chrome: Chrome,
    fiscal_year_label: String,
    phases: Vec<PhaseView>,
    /// (value, label, selected)
    years: Vec<(String, String, bool)>,
    regions: Vec<(String, String, bool)>,
    phase_options: Vec<(String, String, bool)>,
    providers: Vec<(String, String, bool)>,
    sources: Vec<String>,
    count: usize,
    error: Option<String>,
}

impl MenuPage {
    /// How many programmes the filters show: 「12 件」.
    fn count_text(&self) -> String {
        Message::new("support-count")
            .with("count", self.count)
            .render(self.chrome.lang)
    }
}

#[derive(Deserialize, Default)]
pub struct MenuQuery {
    prefecture: Option<String>,
    fiscal_year: Option<String>,
    phase: Option<String>,
    provider: Option<String>,
}

async fn menu_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeWebUser(user): MaybeWebUser,
    query: Result<Query<MenuQuery>, QueryRejection>,
) -> PageResult {
    let lang = ctx.lang;
    let Query(q) = query.map_err(|r| PageError::from(api::query_rejection(&r)))?;
    // An institution's user first sees its own prefecture's menu; the filter's
    // 「すべての地域」 sends an empty value and shows every region.
    let own_prefecture = match (
        &q.prefecture,
        user.as_ref().and_then(|u| u.user().institution_id),
    ) {
        (None, Some(iid)) => state
            .store
            .institution(iid)
            .await?
            .map(|i| i.prefecture.code()),
        _ => None,
    };
    let (filter, error, status) = match api::menu_filter(
        &state,
        q.prefecture.as_deref().or(own_prefecture.as_deref()),
        q.fiscal_year.as_deref(),
        q.phase.as_deref(),
        q.provider.as_deref(),
    ) {
        Ok(f) => (f, None, StatusCode::OK),
        Err(e) => (
            api::menu_filter(&state, None, None, None, None)?,
            Some(crate::http::page::message(lang, &e)),
            e.status(),
        ),
    };
    let programs = api::filtered(&state, &filter);
    let count = programs.len();
    let phases = Phase::ALL
        .into_iter()
        .map(|ph| PhaseView {
            key: ph.as_str().to_owned(),
            label: lang.pick(ph.label_ja(), ph.label_en()).to_owned(),
            programs: programs
                .iter()
                .filter(|(_, p)| p.phase == ph)
                .map(|(r, p)| program_view(lang, *r, p))
                .collect(),
        })
        .filter(|v| !v.programs.is_empty())
        .collect();
    let support = &state.catalog.support;
    let fy = filter.fiscal_year;
    let years = support
        .fiscal_years()
        .into_iter()
        .map(|y| {
            (
                y.start_year().to_string(),
                lang.pick(&y.label_ja(), &y.label_en()).to_owned(),
                y == fy,
            )
        })
        .collect();
    let mut regions = vec![(
        String::new(),
        lang.t("support-every-region"),
        filter.prefecture.is_none(),
    )];
    for r in support.regions() {
        if let Region::Prefecture(p) = r {
            regions.push((
                p.code(),
                format!("{} {}", p.code(), lang.pick(p.name_ja(), p.name_en())),
                filter.prefecture == Some(p),
            ));
        }
    }
    // A prefecture without its own menu yet still sees the national programmes.
    if let Some(p) = filter.prefecture
        && !regions.iter().any(|(c, _, _)| *c == p.code())
    {
        regions.push((
            p.code(),
            format!("{} {}", p.code(), lang.pick(p.name_ja(), p.name_en())),
            true,
        ));
    }
    let mut phase_options = vec![(String::new(), lang.t("support-all"), filter.phase.is_none())];
    phase_options.extend(Phase::ALL.into_iter().map(|p| {
        (
            p.as_str().to_owned(),
            lang.pick(p.label_ja(), p.label_en()).to_owned(),
            filter.phase == Some(p),
        )
    }));
    let mut providers = vec![(
        String::new(),
        lang.t("support-all"),
        filter.provider.is_none(),
    )];
    providers.extend(Provider::ALL.into_iter().map(|p| {
        (
            p.as_str().to_owned(),
            lang.pick(p.label_ja(), p.label_en()).to_owned(),
            filter.provider == Some(p),
        )
    }));
    let sources = support
        .menus
        .iter()
        .filter(|m| m.fiscal_year == fy)
        .filter(|m| filter.prefecture.is_none_or(|p| m.region.serves(p)))
        .map(|m| lang.pick(&m.title_ja, &m.title_en).to_owned())
        .collect();
    let page = MenuPage {
        chrome: Chrome::new(&ctx, user.as_ref(), lang.t("support-menu")),
        fiscal_year_label: lang.pick(&fy.label_ja(), &fy.label_en()).to_owned(),
        phases,
        years,
        regions,
        phase_options,
        providers,
        sources,
        count,
        error,
    };
    Ok(render(status, &page))
}

pub struct TableRow {
    pub label: String,
    pub amount: String,
    pub estimate: String,
}

pub struct ResultView {
    pub standard: String,
    pub base: String,
    pub rate: String,
    pub before: String,
    pub rounding: String,
    pub limits: String,
    pub estimate: String,
    pub formula: String,
    pub below_minimum: bool,
    pub capped: bool,
}

#[derive(Template)]
#[template(path = "support_program.html")]
struct ProgramPage {
    chrome: Chrome,
    program: ProgramView,
    fiscal_year_label: String,
    table: Vec<TableRow>,
    /// (key, label with rate, selected)
    rates: Vec<(String, String, bool)>,
    rounding: String,
    rounding_source: String,
    limits: String,
    kinds: Vec<(String, String, bool)>,
    beds: String,
    cost: String,
    result: Option<ResultView>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct EstimateForm {
    kind: Option<String>,
    beds: Option<String>,
    cost: Option<String>,
    rate_option: Option<String>,
}

async fn program_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeWebUser(user): MaybeWebUser,
    Path(id): Path<String>,
    query: Result<Query<EstimateForm>, QueryRejection>,
) -> PageResult {
    let lang = ctx.lang;
    let Query(form) = query.map_err(|r| PageError::from(api::query_rejection(&r)))?;
    let (menu, program) = api::find_program(&state, &id, None)?;
    let view = program_view(lang, menu.region, program);
    // The estimator starts from the signed-in institution's kind and beds.
    let own = match user.as_ref().and_then(|u| u.user().institution_id) {
        Some(iid) => state.store.institution(iid).await.ok().flatten(),
        None => None,
    };
    let asked = form.cost.is_some();
    let kind = form
        .kind
        .clone()
        .or_else(|| own.as_ref().map(|i| i.kind.as_str().to_owned()))
        .unwrap_or_else(|| "hospital".to_owned());
    let beds = form
        .beds
        .clone()
        .or_else(|| own.as_ref().map(|i| i.beds.to_string()))
        .unwrap_or_default();
    let cost = form.cost.clone().unwrap_or_default();
    let (mut result, mut error, mut status) = (None, None, StatusCode::OK);
    if asked && program.subsidy.is_some() {
        let fields = EstimateFields {
            kind: Some(kind.clone()),
            beds: Some(beds.clone()),
            cost: Some(cost.clone()),
            rate_option: form.rate_option.clone(),
        };
        match api::run_estimate(program, &fields) {
            Ok((_, e)) => {
                let yen_of = |n: i64| {
                    Message::new("support-yen")
                        .with("amount", yen(n))
                        .render(lang)
                };
                result = Some(ResultView {
                    standard: match (
                        e.standard_amount,
                        lang.pick(
                            e.standard_label_ja.as_deref().unwrap_or(""),
                            e.standard_label_en.as_deref().unwrap_or(""),
                        ),
                    ) {
                        (Some(a), label) => Message::new("support-amount-with-label")
                            .with("amount", yen_of(a))
                            .with("label", label)
                            .render(lang),
                        (None, _) => lang.t("support-none-cost-alone"),
                    },
                    base: yen_of(e.base_amount),
                    rate: e.rate.to_string(),
                    before: yen_of(e.before_rounding),
                    rounding: format!(
                        "{} → {}",
                        lang.pick(e.rounding.label_ja(), e.rounding.label_en()),
                        yen_of(e.after_rounding)
                    ),
                    limits: limits_text(lang, e.min_amount, e.max_amount),
                    estimate: yen_of(e.estimate),
                    formula: lang.pick(&e.formula_ja, &e.formula_en).to_owned(),
                    below_minimum: e.below_minimum,
                    capped: e.capped,
                });
            }
            Err(e) => {
                status = e.status();
                error = Some(crate::http::page::message(lang, &e));
            }
        }
    }
    let (table, rates, rounding, rounding_source, limits) = match &program.subsidy {
        None => (
            Vec::new(),
            Vec::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
        Some(s) => {
            let first_rate = s.rates.first().map(|r| r.rate);
            let table = s
                .standard_amounts
                .iter()
                .map(|r| TableRow {
                    label: lang.pick(&r.label_ja, &r.label_en).to_owned(),
                    amount: yen(r.amount),
                    estimate: first_rate
                        .map(|rate| yen(s.rounding.apply(rate.apply(r.amount))))
                        .unwrap_or_default(),
                })
                .collect();
            let rates = s
                .rates
                .iter()
                .map(|r| {
                    (
                        r.key.clone(),
                        format!("{} {}", lang.pick(&r.label_ja, &r.label_en), r.rate),
                        form.rate_option.as_deref() == Some(r.key.as_str()),
                    )
                })
                .collect();
            (
                table,
                rates,
                lang.pick(s.rounding.label_ja(), s.rounding.label_en())
                    .to_owned(),
                lang.pick(&s.rounding_source_ja, &s.rounding_source_en)
                    .to_owned(),
                limits_text(lang, s.min_amount, s.max_amount),
            )
        }
    };
    if result.is_none() && error.is_none() && asked && program.subsidy.is_none() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
        error = Some(lang.t("support-programme-not-subsidy-there"));
    }
    let kinds = InstitutionKind::ALL
        .into_iter()
        .filter(|k| program.eligible_kinds.contains(k) || kind == k.as_str())
        .map(|k| {
            (
                k.as_str().to_owned(),
                lang.pick(k.label_ja(), k.label_en()).to_owned(),
                kind == k.as_str(),
            )
        })
        .collect();
    let page = ProgramPage {
        chrome: Chrome::new(&ctx, user.as_ref(), view.name.clone()),
        fiscal_year_label: lang
            .pick(&menu.fiscal_year.label_ja(), &menu.fiscal_year.label_en())
            .to_owned(),
        program: view,
        table,
        rates,
        rounding,
        rounding_source,
        limits,
        kinds,
        beds,
        cost,
        result,
        error,
    };
    Ok(render(status, &page))
}

fn limits_text(lang: Lang, min: Option<i64>, max: Option<i64>) -> String {
    let message = match (min, max) {
        (None, None) => return String::new(),
        (Some(a), Some(b)) => Message::new("support-limits-range")
            .with("min", yen(a))
            .with("max", yen(b)),
        (Some(a), None) => Message::new("support-limits-min").with("min", yen(a)),
        (None, Some(b)) => Message::new("support-limits-max").with("max", yen(b)),
    };
    message.render(lang)
}

/// Suggestions on the institution page, in the page's language.
pub struct SuggestionView {
    pub gap: String,
    pub title: String,
    pub detail: String,
    /// (page, name, provider, status, status_kind, has_estimate)
    pub programs: Vec<(String, String, String, String, String, bool)>,
    pub links: Vec<(String, String)>,
}

/// The suggestions of [`api::checklist_year`], from the ledger and flags the page has read
/// and that year's assessment if it has it.
pub async fn suggestion_views(
    state: &AppState,
    lang: Lang,
    institution: &mamori_store::Institution,
    assessment: Option<&mamori_app::Assessment<'_>>,
    devices: &[mamori_store::StoredDevice],
    flags: &[std::sync::Arc<[mamori_domain::device_risk::Flag]>],
) -> Result<Vec<SuggestionView>, crate::http::error::AppError> {
    let fy = api::checklist_year(state);
    let suggestions =
        api::suggestions_from(state, institution, fy, assessment, devices, flags).await?;
    Ok(suggestions
        .into_iter()
        .map(|s| SuggestionView {
            gap: s.gap,
            title: lang.pick(&s.title_ja, &s.title_en).to_owned(),
            detail: lang.pick(&s.detail_ja, &s.detail_en).to_owned(),
            programs: s
                .programs
                .iter()
                .map(|p| {
                    (
                        p.page.clone(),
                        lang.pick(&p.name_ja, &p.name_en).to_owned(),
                        lang.pick(&p.provider_name_ja, &p.provider_name_en)
                            .to_owned(),
                        lang.pick(&p.status_ja, &p.status_en).to_owned(),
                        p.status.clone(),
                        p.has_estimate,
                    )
                })
                .collect(),
            links: s
                .links
                .iter()
                .map(|l| {
                    (
                        l.href.clone(),
                        lang.pick(&l.label_ja, &l.label_en).to_owned(),
                    )
                })
                .collect(),
        })
        .collect())
}
