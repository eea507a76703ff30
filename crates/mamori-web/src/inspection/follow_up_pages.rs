//! The pages of what follows the inspection: one page per institution and fiscal year where
//! the inspector (or a prefecture officer, for the date) schedules, the inspector records
//! remarks, notifies the result and decides the reports, and the institution reads the
//! result and files its improvement reports; and the result notice (立入検査結果通知書), one
//! A4 sheet to print.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_domain::follow_up::{RemarkLevel, ReportDecision, overall_result, result_label};
use mamori_domain::{FiscalYear, ItemStatus};
use mamori_store::{FollowUp, Institution};
use serde::Deserialize;

use crate::checklist::pages::{YearLink, year_links};
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::ids::{Ids, InstitutionId, ReportId};
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get(
            "/institutions/{id}/inspection/{fy}/follow-up",
            follow_up_page,
        )
        .post("/institutions/{id}/inspection/{fy}/schedule", save_schedule)
        .post("/institutions/{id}/inspection/{fy}/remarks", save_remark)
        .post("/institutions/{id}/inspection/{fy}/result", notify_result)
        .post(
            "/institutions/{id}/inspection/{fy}/remarks/{key}/reports",
            file_report,
        )
        .post(
            "/institutions/{id}/inspection/{fy}/remarks/{key}/reports/{report_id}/decision",
            decide_report,
        )
        .get("/institutions/{id}/inspection/{fy}/notice", notice_page)
}

/// A checklist item the inspector may remark on.
pub struct ItemOption {
    pub key: String,
    pub label: String,
}

pub struct ReportView {
    pub id: i64,
    pub action_taken: String,
    pub done_on: String,
    pub filed: String,
    pub decision: Option<String>,
    pub decision_class: &'static str,
    pub decision_note: String,
    pub decided: String,
}

pub struct RemarkView {
    pub key: String,
    pub dom_id: String,
    pub number: String,
    pub text: String,
    /// `no_remark`, `advice` or `guidance`.
    pub level: &'static str,
    pub level_label: String,
    pub note: String,
    /// The progress's wire name, for the page's markup and tests.
    pub progress: &'static str,
    pub progress_label: String,
    pub open: bool,
    /// The institution may file a report now.
    pub awaits_report: bool,
    /// The latest report, undecided: the inspector may decide it.
    pub pending_report: Option<i64>,
    pub reports: Vec<ReportView>,
    /// The names [`Drafts::form`] gives this remark's report and decision forms.
    pub report_form: String,
    pub decision_form: String,
}

pub struct ScheduleView {
    pub when: String,
    pub inspectors: String,
}

/// What the last refused form held, shown again beside its messages.
#[derive(Default)]
pub struct Drafts {
    /// The form refused: `schedule`, `remark`, `result`, or `report-{key}` / `decision-{key}`.
    pub form: String,
    pub date: String,
    pub starts_at: String,
    pub inspectors: String,
    pub item_key: String,
    pub level: String,
    pub note: String,
    pub action_taken: String,
    pub done_on: String,
}

impl Drafts {
    pub fn is(&self, form: &str) -> bool {
        self.form == form
    }
}

#[derive(Template)]
#[template(path = "inspection_follow_up.html")]
struct FollowUpPage {
    chrome: Chrome,
    id: i64,
    home: String,
    name: String,
    fiscal_year: i32,
    lead: String,
    years: Vec<YearLink>,
    can_inspect: bool,
    /// An inspector or a prefecture officer of the prefecture: the schedule's form.
    can_schedule: bool,
    is_institution: bool,
    schedule: Option<ScheduleView>,
    notified: Option<String>,
    result: String,
    overall_comment: String,
    items: Vec<ItemOption>,
    remarks: Vec<RemarkView>,
    open_count: usize,
    errors: FormErrors,
    drafts: Drafts,
}

fn remark_views(
    lang: Lang,
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
    f: &FollowUp,
) -> Vec<RemarkView> {
    let version = state
        .catalog
        .version_for(fiscal_year, institution.kind.form());
    f.remarks
        .iter()
        .map(|r| {
            let item = version.and_then(|v| v.item(&r.item_key));
            let reports: Vec<ReportView> = f
                .reports_on(&r.item_key)
                .map(|p| ReportView {
                    id: p.id,
                    action_taken: p.action_taken.clone(),
                    done_on: date_label(lang, p.done_on),
                    filed: format!("{} · {}", instant_label(lang, &p.filed_at), p.filed_by),
                    decision: p
                        .decision
                        .map(|d| lang.pick(d.label_ja(), d.label_en()).to_owned()),
                    decision_class: match p.decision {
                        Some(ReportDecision::Accepted) => "ok",
                        Some(ReportDecision::Returned) => "bad",
                        None => "warn",
                    },
                    decision_note: p.decision_note.clone(),
                    decided: p
                        .decided_at
                        .as_deref()
                        .map(|at| {
                            format!(
                                "{} · {}",
                                instant_label(lang, at),
                                p.decided_by.clone().unwrap_or_default()
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect();
            let pending_report = reports
                .last()
                .filter(|p| p.decision.is_none())
                .map(|p| p.id);
            RemarkView {
                key: r.item_key.clone(),
                dom_id: format!("remark-{}", r.item_key),
                number: item.map_or_else(|| r.item_key.clone(), |i| i.number.clone()),
                text: item
                    .map(|i| lang.pick(&i.text_ja, &i.text_en).to_owned())
                    .unwrap_or_default(),
                level: r.level.as_str(),
                level_label: lang.pick(r.level.label_ja(), r.level.label_en()).to_owned(),
                note: r.note.clone(),
                progress: r.progress.as_str(),
                progress_label: lang
                    .pick(r.progress.label_ja(), r.progress.label_en())
                    .to_owned(),
                open: r.progress.is_open(),
                awaits_report: matches!(
                    r.progress,
                    mamori_domain::follow_up::RemarkProgress::AwaitingReport
                        | mamori_domain::follow_up::RemarkProgress::Returned
                ),
                pending_report,
                reports,
                report_form: format!("report-{}", r.item_key),
                decision_form: format!("decision-{}", r.item_key),
            }
        })
        .collect()
}

fn schedule_view(lang: Lang, f: &FollowUp) -> Option<ScheduleView> {
    f.inspection.as_ref().map(|i| ScheduleView {
        when: day_and_time_label(lang, i.schedule.date, i.schedule.starts_at),
        inspectors: i.schedule.inspectors.join(lang.pick("、", ", ")),
    })
}

/// Draws the page, with the messages and values of a refused form where there is one.
async fn draw(
    state: &AppState,
    opening: &VisiblePage,
    fy: &str,
    refused: Option<(AppError, Drafts)>,
) -> PageResult {
    let PageOpening(ctx, user, principal, institution) = opening;
    let lang = ctx.lang;
    let fiscal_year = service::parse_fiscal_year(state, fy)?;
    let (version, _) = service::version_and_rules(state, institution, fiscal_year)?;
    let f = service::follow_up::follow_up(state, principal, institution, fiscal_year).await?;
    let can_inspect = principal.can_record_observations(institution.prefecture);
    let can_schedule = principal.can_schedule_inspections(institution.prefecture);
    let profile = institution.profile();
    let items = version
        .items
        .iter()
        .filter(|i| {
            !matches!(
                version.status_of(i, fiscal_year, &profile),
                ItemStatus::NotApplicable(_)
            )
        })
        .map(|i| {
            let scope = match i.scope {
                mamori_domain::Scope::None => String::new(),
                scope => format!(" {}", lang.pick(scope.label_ja(), scope.label_en())),
            };
            ItemOption {
                key: i.key.clone(),
                label: format!(
                    "{}{scope} — {}",
                    i.number,
                    lang.pick(&i.text_ja, &i.text_en)
                ),
            }
        })
        .collect();
    let remarks = remark_views(lang, state, institution, fiscal_year, &f);
    let notified = f
        .inspection
        .as_ref()
        .and_then(|i| i.notified_at.as_deref())
        .map(|at| instant_label(lang, at));
    let result = result_label(overall_result(f.remarks.iter().map(|r| r.level))).render(lang);
    let (status, errors, drafts) = match refused {
        Some((e, drafts)) => (e.status(), FormErrors::of(lang, &e), drafts),
        None => (StatusCode::OK, FormErrors::default(), Drafts::default()),
    };
    let page = FollowUpPage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            format!("{} — {}", lang.t("follow-up-title"), institution.name),
        ),
        id: institution.id,
        home: format!("/institutions/{}", institution.id),
        name: institution.name.clone(),
        fiscal_year: fiscal_year.start_year(),
        lead: format!(
            "{} · {}",
            fy_label(lang, fiscal_year),
            lang.t("follow-up-lead")
        ),
        years: year_links(state.catalog, lang, fiscal_year),
        can_inspect,
        can_schedule,
        is_institution: principal.can_answer(institution.id),
        schedule: schedule_view(lang, &f),
        notified,
        result,
        overall_comment: f
            .inspection
            .as_ref()
            .map(|i| i.overall_comment.clone())
            .unwrap_or_default(),
        items,
        open_count: remarks.iter().filter(|r| r.open).count(),
        remarks,
        errors,
        drafts,
    };
    Ok(render(status, &page))
}

async fn follow_up_page(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    draw(&state, &opening, &fy, None).await
}

fn back_to(institution: &Institution, fy: &str, anchor: &str) -> Response {
    redirect(&format!(
        "/institutions/{}/inspection/{}/follow-up#{anchor}",
        institution.id, fy
    ))
}

/// The page again after a step: its anchor on success, the refused form otherwise (a fault
/// of mamori or a refusal of who asks is the error page).
async fn after(
    state: &AppState,
    opening: &VisiblePage,
    fy: &str,
    outcome: Result<(), mamori_app::Error>,
    anchor: &str,
    drafts: Drafts,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(back_to(&opening.3, fy, anchor)),
        Err(e) => {
            let e = AppError::from(e);
            if matches!(
                e.status(),
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
            ) {
                draw(state, opening, fy, Some((e, drafts))).await
            } else {
                Err(e.into())
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScheduleForm {
    date: String,
    starts_at: String,
    inspectors: String,
}

async fn save_schedule(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
    Form(form): Form<ScheduleForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let PageOpening(_, _, principal, institution) = &opening;
    let outcome = service::follow_up::schedule(
        &state,
        principal,
        institution,
        fiscal_year,
        &form.date,
        &form.starts_at,
        &form.inspectors,
    )
    .await;
    let drafts = Drafts {
        form: "schedule".into(),
        date: form.date,
        starts_at: form.starts_at,
        inspectors: form.inspectors,
        ..Drafts::default()
    };
    after(&state, &opening, &fy, outcome, "schedule", drafts).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemarkForm {
    item_key: String,
    level: String,
    note: String,
}

async fn save_remark(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
    Form(form): Form<RemarkForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let PageOpening(_, _, principal, institution) = &opening;
    let outcome = service::follow_up::record_remark(
        &state,
        principal,
        institution,
        fiscal_year,
        &form.item_key,
        &form.level,
        &form.note,
    )
    .await;
    let anchor = format!("remark-{}", form.item_key);
    let drafts = Drafts {
        form: "remark".into(),
        item_key: form.item_key,
        level: form.level,
        note: form.note,
        ..Drafts::default()
    };
    after(&state, &opening, &fy, outcome, &anchor, drafts).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResultForm {
    overall_comment: String,
    confirm: String,
}

async fn notify_result(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
    Form(form): Form<ResultForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let PageOpening(_, _, principal, institution) = &opening;
    let outcome = async {
        service::follow_up::inspector_only(principal, institution)?;
        if form.confirm != "yes" {
            // Notifying cannot be undone: the inspector says so first.
            return Err(mamori_domain::ParseError::new(
                "confirm",
                mamori_locale::Message::new("follow-up-confirm-notify-required"),
            )
            .into());
        }
        service::follow_up::notify_result(
            &state,
            principal,
            institution,
            fiscal_year,
            &form.overall_comment,
        )
        .await
    }
    .await;
    let drafts = Drafts {
        form: "result".into(),
        note: form.overall_comment,
        ..Drafts::default()
    };
    after(&state, &opening, &fy, outcome, "result", drafts).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    action_taken: String,
    done_on: String,
}

async fn file_report(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy, key)): Ids<(InstitutionId, String, String)>,
    Form(form): Form<ReportForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let PageOpening(_, _, principal, institution) = &opening;
    let outcome = service::follow_up::file_report(
        &state,
        principal,
        institution,
        fiscal_year,
        &key,
        &form.action_taken,
        &form.done_on,
    )
    .await
    .map(|_| ());
    let anchor = format!("remark-{key}");
    let drafts = Drafts {
        form: format!("report-{key}"),
        action_taken: form.action_taken,
        done_on: form.done_on,
        ..Drafts::default()
    };
    after(&state, &opening, &fy, outcome, &anchor, drafts).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    note: String,
}

async fn decide_report(
    State(state): State<AppState>,
    opening: VisiblePage,
    Ids((_, fy, key, report)): Ids<(InstitutionId, String, String, ReportId)>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let PageOpening(_, _, principal, institution) = &opening;
    let outcome = service::follow_up::decide_report(
        &state,
        principal,
        institution,
        fiscal_year,
        &key,
        report.get(),
        &form.decision,
        &form.note,
    )
    .await;
    let anchor = format!("remark-{key}");
    let drafts = Drafts {
        form: format!("decision-{key}"),
        note: form.note,
        ..Drafts::default()
    };
    after(&state, &opening, &fy, outcome, &anchor, drafts).await
}

// ----- the result notice -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "inspection_notice.html")]
struct NoticePage {
    chrome: Chrome,
    id: i64,
    fiscal_year: i32,
    /// 案 until the result is notified.
    draft: bool,
    issued_on: String,
    addressee: String,
    issuer: String,
    held: String,
    inspectors: String,
    result: String,
    remarks: Vec<RemarkView>,
    overall_comment: String,
    asks_report: bool,
}

/// The result notice: the inspector prints it at any time (marked 案 until notified), the
/// institution once notified.
async fn notice_page(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let f = service::follow_up::follow_up(&state, &principal, &institution, fiscal_year).await?;
    let Some(inspection) = f.inspection.as_ref() else {
        return Err(AppError::not_found().into());
    };
    let draft = inspection.notified_at.is_none();
    if draft && !principal.can_record_observations(institution.prefecture) {
        return Err(AppError::not_found().into());
    }
    let issued_on = inspection
        .notified_at
        .as_deref()
        .and_then(service::instant_in_japan)
        .map_or_else(service::today_in_japan, |t| t.date());
    let schedule = schedule_view(lang, &f).expect("the inspection is scheduled");
    let prefecture = lang.pick(
        institution.prefecture.name_ja(),
        institution.prefecture.name_en(),
    );
    let remarks: Vec<RemarkView> = remark_views(lang, &state, &institution, fiscal_year, &f)
        .into_iter()
        .filter(|r| r.level != RemarkLevel::NoRemark.as_str())
        .collect();
    let page = NoticePage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!(
                "{} — {}",
                lang.t("follow-up-notice-title"),
                institution.name
            ),
        ),
        id: institution.id,
        fiscal_year: fiscal_year.start_year(),
        draft,
        issued_on: date_label(lang, issued_on),
        addressee: mamori_locale::Message::new("follow-up-notice-addressee")
            .with("name", institution.name.as_str())
            .render(lang),
        issuer: mamori_locale::Message::new("follow-up-notice-issuer")
            .with("prefecture", prefecture)
            .render(lang),
        held: schedule.when,
        inspectors: schedule.inspectors,
        result: result_label(overall_result(f.remarks.iter().map(|r| r.level))).render(lang),
        asks_report: remarks
            .iter()
            .any(|r| r.level == RemarkLevel::Guidance.as_str()),
        remarks,
        overall_comment: inspection.overall_comment.clone(),
    };
    Ok(render(StatusCode::OK, &page))
}
