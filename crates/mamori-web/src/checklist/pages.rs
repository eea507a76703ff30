//! The checklist page of an institution and fiscal year: one card per item, saved in place
//! with htmx or by a plain form; the print version and an item's history.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use mamori_catalog::Catalog;
use mamori_domain::answer::parse_date;
use mamori_domain::{
    Answer, AnswerInput, ChecklistVersion, FiscalYear, ItemAnswer, ItemStatus, Round, Scope,
    Severity,
};
use mamori_store::FollowUp;
use serde::Deserialize;

use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{Ids, InstitutionId};
use crate::http::page::SignedIn;
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app::{self as service, Assessment};

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/checklist/{fy}", checklist)
        .get("/institutions/{id}/checklist/{fy}/print", checklist_print)
        .post("/institutions/{id}/checklist/{fy}/items/{key}", save_item)
        .get(
            "/institutions/{id}/checklist/{fy}/items/{key}/history",
            item_history,
        )
}

// ----- checklist -------------------------------------------------------------------------

/// One item card on the checklist page.
pub struct ItemCard {
    pub key: String,
    pub dom_id: String,
    pub number: String,
    pub scope: String,
    pub text: String,
    /// `required`, `reference` or `na`.
    pub state: &'static str,
    pub badge: String,
    pub note: String,
    pub has_target_date: bool,
    pub first: RoundView,
    pub second: RoundView,
    pub editable: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    pub missing: bool,
    /// What the device ledger says about the item (2(1), 2(2), 2(7), 2(8)).
    pub evidence: Option<crate::ledger::pages::EvidenceView>,
    /// The inspector's remark on the item, once the result is notified.
    pub remark: Option<CardRemark>,
    /// The 証跡 attached to the item.
    pub kept_evidence: Vec<crate::evidence::EvidenceView>,
}

/// The inspector's 指摘 on an item, as its card shows it.
pub struct CardRemark {
    /// `no_remark`, `advice` or `guidance`.
    pub level: &'static str,
    pub level_label: String,
    pub progress_label: String,
    pub note: String,
    pub open: bool,
}

/// The inspection as the checklist's head shows it: when, and what is left open.
pub struct InspectionBanner {
    pub when: String,
    pub notified: bool,
    pub open_remarks: usize,
}

fn card_remark(lang: Lang, f: &FollowUp, key: &str) -> Option<CardRemark> {
    let r = f.remark(key).filter(|_| f.is_notified())?;
    Some(CardRemark {
        level: r.level.as_str(),
        level_label: lang.pick(r.level.label_ja(), r.level.label_en()).to_owned(),
        progress_label: lang
            .pick(r.progress.label_ja(), r.progress.label_en())
            .to_owned(),
        note: r.note.clone(),
        open: r.progress.is_open(),
    })
}

fn inspection_banner(lang: Lang, f: &FollowUp) -> Option<InspectionBanner> {
    let i = f.inspection.as_ref()?;
    Some(InspectionBanner {
        when: day_and_time_label(lang, i.schedule.date, i.schedule.starts_at),
        notified: i.notified_at.is_some(),
        open_remarks: f.remarks.iter().filter(|r| r.progress.is_open()).count(),
    })
}

#[derive(Default, Clone)]
pub struct RoundView {
    pub answer: String,
    pub answer_label: String,
    pub checked_on: String,
    pub target_date: String,
    pub present: bool,
}

impl RoundView {
    fn of(a: Option<&ItemAnswer>, lang: Lang) -> Self {
        match a {
            None => Self::default(),
            Some(a) => Self {
                answer: a.answer.as_str().into(),
                answer_label: lang.pick(a.answer.label_ja(), a.answer.label_en()).into(),
                checked_on: a.checked_on.to_string(),
                target_date: a.target_date.map(|d| d.to_string()).unwrap_or_default(),
                present: true,
            },
        }
    }

    pub fn is(&self, answer: &str) -> bool {
        self.answer == answer
    }
}

pub struct SectionView {
    pub number: u8,
    pub title: String,
    pub groups: Vec<GroupView>,
}

/// Items of one scope within a section, under the form's heading
/// (「サーバについて、以下を実施している。」).
pub struct GroupView {
    pub heading: String,
    pub items: Vec<ItemCard>,
}

pub struct FindingView {
    pub severity: &'static str,
    pub label: String,
    pub message: String,
    pub anchor: String,
}

fn scope_heading(lang: Lang, scope: Scope) -> String {
    match (lang, scope) {
        (_, Scope::None) => String::new(),
        (_, s) => Message::new("checklist-scope-heading")
            .with("scope", lang.pick(s.label_ja(), s.label_en()))
            .render(lang),
    }
}

fn item_card(
    lang: Lang,
    a: &Assessment<'_>,
    state: &service::ItemState<'_>,
    editable: bool,
) -> ItemCard {
    let item = state.item;
    let fy = a.fiscal_year;
    let (css, badge, note) = match state.status {
        ItemStatus::Required => ("required", lang.t("badge-required"), String::new()),
        ItemStatus::Reference { required_from } => (
            "reference",
            lang.t("badge-reference"),
            match (required_from, lang) {
                (Some(from), Lang::Ja) => Message::new("checklist-required-from")
                    .with("from", from.era_label_ja())
                    .with("year", fy.era_label_ja())
                    .render(lang),
                (Some(from), Lang::En) => Message::new("checklist-required-from")
                    .with("from", from.label_en())
                    .with("year", fy.label_en())
                    .render(lang),
                (None, _) => lang.t("reference-never"),
            },
        ),
        ItemStatus::NotApplicable(reason) => (
            "na",
            lang.t("badge-not-required"),
            reason.message().render(lang),
        ),
    };
    let applicable = !matches!(state.status, ItemStatus::NotApplicable(_));
    ItemCard {
        key: item.key.clone(),
        dom_id: format!("item-{}", item.key),
        number: item.number.clone(),
        scope: lang
            .pick(item.scope.label_ja(), item.scope.label_en())
            .to_owned(),
        text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
        state: css,
        badge,
        note,
        has_target_date: item.has_target_date,
        first: RoundView::of(state.answers.first.as_ref(), lang),
        second: RoundView::of(state.answers.second.as_ref(), lang),
        editable: editable && applicable,
        message: None,
        error: None,
        missing: state.status == ItemStatus::Required && state.answers.first.is_none(),
        evidence: None,
        remark: None,
        kept_evidence: Vec::new(),
    }
}

pub fn findings_view(lang: Lang, a: &Assessment<'_>) -> Vec<FindingView> {
    a.verdict
        .findings
        .iter()
        .map(|f| FindingView {
            severity: match f.severity {
                Severity::Blocking => "blocking",
                Severity::Advice => "advice",
                Severity::Info => "info",
            },
            label: match f.severity {
                Severity::Blocking => lang.t("severity-blocking"),
                Severity::Advice => lang.t("severity-advice"),
                Severity::Info => lang.t("severity-info"),
            },
            message: f.message.render(lang),
            anchor: f
                .item_key
                .as_ref()
                .map(|k| format!("#item-{k}"))
                .unwrap_or_default(),
        })
        .collect()
}

fn sections_view(lang: Lang, a: &Assessment<'_>, editable: bool) -> Vec<SectionView> {
    let mut sections: Vec<SectionView> = Vec::new();
    for state in &a.items {
        let item = state.item;
        if sections.last().is_none_or(|s| s.number != item.section) {
            let title = a
                .version
                .section(item.section)
                .map(|s| lang.pick(&s.title_ja, &s.title_en).to_owned())
                .unwrap_or_default();
            sections.push(SectionView {
                number: item.section,
                title,
                groups: Vec::new(),
            });
        }
        let heading = scope_heading(lang, item.scope);
        let Some(section) = sections.last_mut() else {
            continue;
        };
        if section.groups.last().is_none_or(|g| g.heading != heading) {
            section.groups.push(GroupView {
                heading: heading.clone(),
                items: Vec::new(),
            });
        }
        if let Some(group) = section.groups.last_mut() {
            group.items.push(item_card(lang, a, state, editable));
        }
    }
    sections
}

/// The links to every fiscal year of the catalog, `current` marked.
pub fn year_links(catalog: &Catalog, lang: Lang, current: FiscalYear) -> Vec<YearLink> {
    catalog
        .fiscal_years()
        .iter()
        .map(|&fy| YearLink {
            fiscal_year: fy.start_year(),
            label: fy_label(lang, fy),
            current: fy == current,
        })
        .collect()
}

/// The form a checklist version is (`institution` or `pharmacy`), in words.
pub fn form_label(lang: Lang, version: &ChecklistVersion) -> String {
    lang.pick(version.form.label_ja(), version.form.label_en())
        .to_owned()
}

pub fn version_label(lang: Lang, version: &ChecklistVersion) -> String {
    lang.pick(&version.version_label_ja, &version.version_label_en)
        .to_owned()
}

pub fn title_label(lang: Lang, version: &ChecklistVersion) -> String {
    lang.pick(&version.title_ja, &version.title_en).to_owned()
}

/// The question that decides whether the form applies at all; empty when it has none.
pub fn gate_text(lang: Lang, version: &ChecklistVersion) -> String {
    version
        .gate
        .as_ref()
        .map(|g| lang.pick(&g.text_ja, &g.text_en).to_owned())
        .unwrap_or_default()
}

pub struct YearLink {
    pub fiscal_year: i32,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistPage {
    chrome: Chrome,
    id: i64,
    name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    years: Vec<YearLink>,
    form_label: String,
    version_label: String,
    title: String,
    gate: String,
    has_system: bool,
    has_vendors: bool,
    answered: usize,
    required: usize,
    yes: usize,
    no: usize,
    percent: u32,
    reference: usize,
    not_applicable: usize,
    ready: bool,
    blocking: Vec<FindingView>,
    sections: Vec<SectionView>,
    editable: bool,
    can_administer: bool,
    missing_target_dates: usize,
    /// What the contact chart and the backup / BCP records show, beside items 3(1)–3(3).
    evidence: Vec<super::evidence::EvidenceView>,
    /// The year's on-site inspection, once scheduled.
    inspection: Option<InspectionBanner>,
    /// The previous year's evidence that can be carried into this year (for those who
    /// answer): how many, the panel's lead and button; and the notice of those just carried.
    carry_count: usize,
    carry_lead: String,
    carry_submit: String,
    carried: Option<String>,
}

#[derive(Template)]
#[template(path = "item_card.html")]
struct ItemFragment {
    chrome: Chrome,
    id: i64,
    fiscal_year: i32,
    card: ItemCard,
}

/// Loads an assessment the caller may see, and records the read in the access log.
pub async fn load(
    state: &AppState,
    _: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    fy: &str,
    resource: &str,
) -> Result<Assessment<'static>, PageError> {
    let principal = user.user().principal();
    let fy = service::parse_fiscal_year(state, fy)?;
    service::visible_assessment(state, &principal, id.get(), fy, resource)
        .await
        .map_err(PageError::from)
}

fn checklist_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    a: &Assessment<'_>,
    error: Option<(String, String)>,
    mut evidence: HashMap<String, crate::ledger::pages::EvidenceView>,
) -> ChecklistPage {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let editable = principal.can_answer(a.institution.id);
    let mut sections = sections_view(lang, a, editable);
    for card in sections
        .iter_mut()
        .flat_map(|s| s.groups.iter_mut())
        .flat_map(|g| g.items.iter_mut())
    {
        card.evidence = evidence.remove(&card.key);
    }
    if let Some((key, message)) = error {
        for card in sections
            .iter_mut()
            .flat_map(|s| s.groups.iter_mut())
            .flat_map(|g| g.items.iter_mut())
        {
            if card.key == key {
                card.error = Some(message.clone());
            }
        }
    }
    let p = a.progress;
    ChecklistPage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            format!("{} — {}", lang.t("checklist-title"), a.institution.name),
        ),
        id: a.institution.id,
        name: a.institution.name.clone(),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        years: year_links(state.catalog, lang, a.fiscal_year),
        form_label: form_label(lang, a.version),
        version_label: version_label(lang, a.version),
        title: title_label(lang, a.version),
        gate: gate_text(lang, a.version),
        has_system: a.institution.has_medical_information_system,
        has_vendors: a.institution.has_vendor_contracts,
        answered: p.answered,
        required: p.required,
        yes: p.yes,
        no: p.no,
        percent: p.percent(),
        reference: p.reference,
        not_applicable: p.not_applicable,
        ready: a.verdict.ready,
        blocking: findings_view(lang, a)
            .into_iter()
            .filter(|f| f.severity == "blocking")
            .collect(),
        sections,
        editable,
        can_administer: principal.can_administer(a.institution.id),
        missing_target_dates: p.missing_target_dates,
        evidence: Vec::new(),
        inspection: None,
        carry_count: 0,
        carry_lead: String::new(),
        carry_submit: String::new(),
        carried: None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChecklistQuery {
    /// How many evidence were just carried from the previous year.
    carried: Option<usize>,
}

async fn checklist(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy)): Ids<(InstitutionId, String)>,
    axum::extract::Query(q): axum::extract::Query<ChecklistQuery>,
) -> PageResult {
    let principal = user.user().principal();
    let fy = service::parse_fiscal_year(&state, &fy)?;
    let mut page = full_checklist_page(&state, &ctx, &user, &principal, id.get(), fy, None).await?;
    page.carried = q.carried.map(|n| {
        Message::new("evidence-carried-notice")
            .with("count", n)
            .render(ctx.lang)
    });
    Ok(render(StatusCode::OK, &page))
}

/// The checklist page with the ledger's and the vendors' evidence beside the items, from
/// the institution's file (one query, plus the ledger when it has devices).
async fn full_checklist_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    principal: &mamori_domain::Principal,
    id: i64,
    fy: mamori_domain::FiscalYear,
    error: Option<(String, String)>,
) -> Result<ChecklistPage, PageError> {
    let lang = ctx.lang;
    let (a, file) = service::visible_file(state, principal, id, fy, "checklist").await?;
    let ledger_evidence =
        crate::ledger::pages::checklist_evidence(state, lang, &a, file.has_devices).await?;
    let mut page = checklist_page(state, ctx, user, &a, error, ledger_evidence);
    page.evidence = super::evidence::checklist_evidence(state, lang, &a, &file)?;
    let follow_up =
        service::follow_up::seen_follow_up(state, principal, &a.institution, fy).await?;
    page.inspection = inspection_banner(lang, &follow_up);
    let year_evidence = service::evidence::evidence_of(state, &a.institution, fy, None).await?;
    let mut kept = crate::evidence::views_by_item(lang, a.version, &year_evidence);
    for card in page
        .sections
        .iter_mut()
        .flat_map(|s| s.groups.iter_mut())
        .flat_map(|g| g.items.iter_mut())
    {
        card.remark = card_remark(lang, &follow_up, &card.key);
        card.kept_evidence = kept.remove(&card.key).unwrap_or_default();
    }
    if page.editable {
        let count = service::evidence::carry_plan(state, &a.institution, fy, &year_evidence)
            .await?
            .len();
        let text = |key| Message::new(key).with("count", count).render(lang);
        page.carry_count = count;
        page.carry_lead = text("evidence-carry-lead");
        page.carry_submit = text("evidence-carry-submit");
    }
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ItemForm {
    round: String,
    answer: String,
    checked_on: String,
    target_date: String,
    /// `save` (default) or `clear`.
    action: String,
}

fn form_input(form: &ItemForm) -> Result<(Round, Option<AnswerInput>), AppError> {
    let round = Round::from_number(form.round.trim().parse::<i64>().unwrap_or(0))?;
    if form.action == "clear" {
        return Ok((round, None));
    }
    if form.answer.is_empty() {
        return Err(AppError::invalid(mamori_domain::ParseError::new(
            "answer",
            mamori_locale::Message::new("checklist-choose-yes-or-no"),
        )));
    }
    if form.checked_on.trim().is_empty() {
        return Err(AppError::invalid(mamori_domain::ParseError::new(
            "checked_on",
            mamori_locale::Message::new("checklist-enter-date-check"),
        )));
    }
    let input = AnswerInput {
        round,
        answer: Answer::parse(&form.answer)?,
        checked_on: parse_date("checked_on", &form.checked_on)?,
        target_date: Some(form.target_date.trim())
            .filter(|t| !t.is_empty())
            .map(|t| parse_date("target_date", t))
            .transpose()?,
    };
    Ok((round, Some(input)))
}

async fn save_item(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): VisiblePage,
    Ids((_, fy, key)): Ids<(InstitutionId, String, String)>,
    Form(form): Form<ItemForm>,
) -> PageResult {
    let lang = ctx.lang;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let result = match form_input(&form) {
        Ok((_, Some(input))) => {
            service::save_answer(&state, &principal, &institution, fiscal_year, &key, input)
                .await
                .map(|_| ())
                .map_err(AppError::from)
        }
        Ok((round, None)) => {
            service::clear_answer(&state, &principal, &institution, fiscal_year, &key, round)
                .await
                .map_err(AppError::from)
        }
        Err(e) => Err(e),
    };
    let error = match result {
        Ok(()) => None,
        Err(e)
            if e.status().is_client_error()
                && e.status() != StatusCode::FORBIDDEN
                && e.status() != StatusCode::NOT_FOUND =>
        {
            Some(message(lang, &e))
        }
        Err(e) => return Err(PageError::from(e)),
    };
    if !ctx.htmx {
        if error.is_none() {
            return Ok(redirect(&format!(
                "/institutions/{}/checklist/{}#item-{key}",
                institution.id, fiscal_year
            )));
        }
        let page = full_checklist_page(
            &state,
            &ctx,
            &user,
            &principal,
            institution.id,
            fiscal_year,
            error.map(|m| (key, m)),
        )
        .await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let a = service::assessment(&state, institution, fiscal_year).await?;
    let Some(item_state) = a.items.iter().find(|s| s.item.key == key) else {
        return Err(PageError::from(AppError::not_found()));
    };
    let mut card = item_card(lang, &a, item_state, principal.can_answer(a.institution.id));
    let follow_up =
        service::follow_up::seen_follow_up(&state, &principal, &a.institution, fiscal_year).await?;
    card.remark = card_remark(lang, &follow_up, &key);
    card.kept_evidence =
        crate::evidence::by_item(&state, lang, &a.institution, fiscal_year, a.version)
            .await?
            .remove(&key)
            .unwrap_or_default();
    let status = if let Some(e) = error {
        card.error = Some(e);
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        card.message = Some(lang.t("saved"));
        StatusCode::OK
    };
    let fragment = ItemFragment {
        chrome: Chrome::new(&ctx, Some(&user), String::new()),
        id: a.institution.id,
        fiscal_year: a.fiscal_year.start_year(),
        card,
    };
    let mut response = render(status, &fragment);
    // The progress and the verdict change with every answer: the page reloads its summary.
    response
        .headers_mut()
        .insert("HX-Trigger", HeaderValue::from_static("answer-saved"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "checklist_print.html")]
struct PrintPage {
    chrome: Chrome,
    name: String,
    prefecture: String,
    fiscal_year_label: String,
    form_label: String,
    version_label: String,
    title: String,
    gate: String,
    has_system: bool,
    sections: Vec<SectionView>,
}

async fn checklist_print(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, id, &fy, "print").await?;
    let mut sections = sections_view(lang, &a, false);
    let mut kept =
        crate::evidence::by_item(&state, lang, &a.institution, a.fiscal_year, a.version).await?;
    for card in sections
        .iter_mut()
        .flat_map(|s| s.groups.iter_mut())
        .flat_map(|g| g.items.iter_mut())
    {
        card.kept_evidence = kept.remove(&card.key).unwrap_or_default();
    }
    let page = PrintPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!("{} — {}", lang.t("print-title"), a.institution.name),
        ),
        name: a.institution.name.clone(),
        prefecture: prefecture_label(lang, a.institution.prefecture),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        form_label: form_label(lang, a.version),
        version_label: version_label(lang, a.version),
        title: title_label(lang, a.version),
        gate: gate_text(lang, a.version),
        has_system: a.institution.has_medical_information_system,
        sections,
    };
    Ok(render(StatusCode::OK, &page))
}

pub struct HistoryRow {
    pub at: String,
    pub by: String,
    pub round: i64,
    pub action: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "item_history.html")]
struct HistoryPage {
    chrome: Chrome,
    id: i64,
    name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    item_label: String,
    item_text: String,
    rows: Vec<HistoryRow>,
}

fn describe(lang: Lang, a: Option<&ItemAnswer>) -> String {
    match a {
        None => "—".into(),
        Some(a) => {
            let mut s = format!(
                "{} ({})",
                lang.pick(a.answer.label_ja(), a.answer.label_en()),
                a.checked_on
            );
            if let Some(t) = a.target_date {
                s.push_str(&format!(" {} {t}", lang.t("target-date")));
            }
            s
        }
    }
}

async fn item_history(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy, key)): Ids<(InstitutionId, String, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let a = load(&state, &ctx, &user, id, &fy, "history").await?;
    let item = a
        .version
        .item(&key)
        .ok_or_else(|| PageError::from(AppError::not_found()))?;
    let history = state
        .store
        .answer_history(a.institution.id, a.fiscal_year, &key)
        .await?;
    let rows = history
        .iter()
        .map(|h| HistoryRow {
            at: h
                .changed_at
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " "),
            by: h.changed_by.clone(),
            round: h.round.number(),
            action: if h.action == "clear" {
                lang.t("history-cleared")
            } else {
                lang.t("history-set")
            },
            before: describe(lang, h.previous.as_ref()),
            after: describe(lang, h.answer.as_ref()),
        })
        .collect();
    let page = HistoryPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("history-title")),
        id: a.institution.id,
        name: a.institution.name.clone(),
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, a.fiscal_year),
        item_label: match lang {
            Lang::Ja => item.label_ja(),
            Lang::En => item.label_en(),
        },
        item_text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}
