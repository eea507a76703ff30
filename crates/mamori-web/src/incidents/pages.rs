//! インシデントかも? pages: the button on every page leads to `/incidents/new`, which is the
//! guided form for an institution's users and, for everyone else (signed out, vendors,
//! inspectors, prefecture officers, the desk), the first-response steps and the public
//! contacts. The result is the case page: who to call now and the first steps on top, then
//! the case's state and notes. The desk's list orders open cases by urgency. Plain forms,
//! no JavaScript needed.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::incident::{
    self, AffectedSystem, CallNow, CallSource, CareImpact, CaseState, FirstStep, ReportInput,
    Symptom, Urgency,
};
use mamori_store::{IncidentCase, NoteSide};
use serde::Deserialize;

use crate::http::auth::{MaybeWebUser, WebUser};
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::ids::{CaseId, Ids};
use crate::http::page::{Chrome, PageCtx, PageError, PageResult, SignedIn, redirect, render};
use crate::incidents::api::{self as incidents, CaseView};
use crate::{AppState, Routes};

pub fn routes() -> Routes {
    Routes::default()
        .get("/incidents/new", new_incident)
        .post("/incidents", submit_incident)
        .get("/incidents", incident_list)
        .get("/incidents/{case_id}", case_page)
        .post("/incidents/{case_id}/state", change_state)
        .post("/incidents/{case_id}/notes", add_note)
}

// ----- shared rows -----------------------------------------------------------------------

pub struct CallRow {
    pub step: Option<usize>,
    pub who: String,
    pub name: String,
    pub organisation: String,
    /// (as shown, `tel:` link)
    pub phones: Vec<(String, String)>,
    pub hours: Option<String>,
    pub notes: String,
    pub link: Option<String>,
    pub added: bool,
    pub no_phone: bool,
}

pub struct StepRow {
    pub title: String,
    pub detail: String,
}

fn call_rows(lang: Lang, calls: &[CallNow]) -> Vec<CallRow> {
    calls
        .iter()
        .map(|c| {
            // The fallback calls carry their notes in Japanese only: English reads the
            // translation kept with the messages.
            let notes = match (lang, c.source) {
                (Lang::En, CallSource::National) if c.link.is_some() => {
                    lang.t("incidents-police-fallback-notes")
                }
                (Lang::En, CallSource::National) => lang.t("incidents-mhlw-fallback-notes"),
                _ => c.notes.clone(),
            };
            CallRow {
                step: c.step,
                who: lang.pick(&c.who_ja, &c.who_en).to_owned(),
                name: c.name.clone(),
                organisation: c.organisation.clone(),
                phones: c
                    .phones
                    .iter()
                    .map(|p| {
                        (
                            lang.pick(&p.display_ja(), &p.display_en()).to_owned(),
                            incidents::tel_href(&p.dial_string()),
                        )
                    })
                    .collect(),
                hours: match lang {
                    Lang::Ja => c.hours_ja.clone(),
                    Lang::En => c.hours_en.clone(),
                },
                notes,
                link: c.link.clone(),
                added: c.source == CallSource::National,
                no_phone: c.phones.is_empty(),
            }
        })
        .collect()
}

fn step_rows(lang: Lang, steps: &[FirstStep]) -> Vec<StepRow> {
    steps
        .iter()
        .map(|s| StepRow {
            title: lang.pick(&s.title_ja, &s.title_en).to_owned(),
            detail: lang.pick(&s.detail_ja, &s.detail_en).to_owned(),
        })
        .collect()
}

fn message(lang: Lang, e: &AppError) -> String {
    let d = e.detail();
    match lang {
        Lang::Ja => d.message_ja,
        Lang::En => d.message_en,
    }
}

/// An instant stored as RFC 3339 UTC, shown in Japan time: `2026-11-24 09:30`.
pub fn japan_time(rfc3339: &str) -> String {
    mamori_app::instant_in_japan(rfc3339).map_or_else(
        || rfc3339.to_owned(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn local_time(text: &str) -> String {
    incident::parse_local_time(text)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| text.to_owned())
}

fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical => "critical",
        Urgency::High => "high",
        Urgency::Medium => "medium",
        Urgency::Low => "low",
    }
}

// ----- the form, or the steps for those without an institution ----------------------------

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "incident_new.html")]
struct NewPage {
    chrome: Chrome,
    institution_name: String,
    symptoms: Vec<Choice>,
    systems: Vec<Choice>,
    care: Vec<Choice>,
    started_at: String,
    details: String,
    callback_phone: String,
    problems: Vec<String>,
    bad_fields: Vec<String>,
}

impl NewPage {
    fn bad(&self, field: &str) -> bool {
        self.bad_fields
            .iter()
            .any(|f| f == field || f.starts_with(&format!("{field}[")))
    }
}

#[derive(Template)]
#[template(path = "incident_guide.html")]
struct GuidePage {
    chrome: Chrome,
    signed_in: bool,
    is_desk: bool,
    steps: Vec<StepRow>,
    calls: Vec<CallRow>,
}

fn form_page(
    ctx: &PageCtx,
    user: &WebUser,
    institution_name: String,
    input: &ReportInput,
    problems: &[FieldProblem],
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let page = NewPage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            lang.t("incidents-report-suspected-incident"),
        ),
        institution_name,
        symptoms: Symptom::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: lang.pick(s.label_ja(), s.label_en()).to_owned(),
                checked: input.symptoms.iter().any(|x| x == s.as_str()),
            })
            .collect(),
        systems: AffectedSystem::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: lang.pick(s.label_ja(), s.label_en()).to_owned(),
                checked: input.systems.iter().any(|x| x == s.as_str()),
            })
            .collect(),
        care: CareImpact::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: lang.pick(c.label_ja(), c.label_en()).to_owned(),
                checked: input.care_affected == c.as_str(),
            })
            .collect(),
        started_at: if input.started_at.is_empty() {
            mamori_app::now_in_japan()
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        } else {
            input.started_at.clone()
        },
        details: input.details.clone(),
        callback_phone: input.callback_phone.clone(),
        problems: problems.iter().map(|p| p.message.render(lang)).collect(),
        bad_fields: problems.iter().map(|p| p.path.clone()).collect(),
    };
    Ok(render(status, &page))
}

async fn new_incident(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeWebUser(user): MaybeWebUser,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.as_ref().map(|u| u.user().principal());
    if let (Some(user), Some(institution_id)) = (
        user.as_ref(),
        principal.and_then(|p| p.incident_reporter_for()),
    ) {
        let institution = state
            .store
            .institution(institution_id)
            .await?
            .ok_or_else(|| PageError::from(AppError::not_found()))?;
        return form_page(
            &ctx,
            user,
            institution.name,
            &ReportInput::default(),
            &[],
            StatusCode::OK,
        );
    }
    let page = GuidePage {
        chrome: Chrome::new(
            &ctx,
            user.as_ref(),
            lang.t("incidents-suspect-incident-what-do"),
        ),
        signed_in: user.is_some(),
        is_desk: principal.is_some_and(|p| p.is_incident_desk()),
        steps: step_rows(
            lang,
            &incident::general_first_steps(&state.catalog.first_steps),
        ),
        calls: call_rows(lang, &incident::public_contacts()),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The form's fields: checkboxes repeat their name, so the body is read as pairs.
fn read_form(fields: &[(String, String)]) -> ReportInput {
    let mut input = ReportInput::default();
    for (k, v) in fields {
        match k.as_str() {
            "symptoms" => input.symptoms.push(v.clone()),
            "systems" => input.systems.push(v.clone()),
            "started_at" => input.started_at = v.clone(),
            "care_affected" => input.care_affected = v.clone(),
            "details" => input.details = v.clone(),
            "callback_phone" => input.callback_phone = v.clone(),
            _ => {}
        }
    }
    input
}

async fn submit_incident(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = read_form(&fields);
    let principal = user.user().principal();
    let institution_id = principal
        .incident_reporter_for()
        .ok_or_else(|| PageError::from(AppError::forbidden()))?;
    match incidents::report(&state, &principal, &input).await {
        Ok(reported) => Ok(redirect(&format!("/incidents/{}?sent=1", reported.case_id))),
        Err(AppError::Service(mamori_app::Error::Fields(problems))) => {
            let institution = state
                .store
                .institution(institution_id)
                .await?
                .ok_or_else(|| PageError::from(AppError::not_found()))?;
            form_page(
                &ctx,
                &user,
                institution.name,
                &input,
                &problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(PageError::from(e)),
    }
}

// ----- the list ----------------------------------------------------------------------------

pub struct CaseRow {
    pub id: i64,
    pub urgency: String,
    pub urgency_class: &'static str,
    pub state: String,
    pub open: bool,
    pub institution: String,
    pub symptoms: String,
    pub care: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    chrome: Chrome,
    is_desk: bool,
    can_report: bool,
    filter: String,
    states: Vec<(&'static str, String)>,
    rows: Vec<CaseRow>,
}

fn case_row(lang: Lang, c: &IncidentCase) -> CaseRow {
    CaseRow {
        id: c.id,
        urgency: lang
            .pick(c.urgency.label_ja(), c.urgency.label_en())
            .to_owned(),
        urgency_class: urgency_class(c.urgency),
        state: lang.pick(c.state.label_ja(), c.state.label_en()).to_owned(),
        open: c.state.is_open(),
        institution: c.institution_name.clone(),
        symptoms: c
            .symptoms
            .iter()
            .map(|s| lang.pick(s.label_ja(), s.label_en()))
            .collect::<Vec<_>>()
            .join(lang.text("incidents-list-separator")),
        care: lang.pick(c.care.label_ja(), c.care.label_en()).to_owned(),
        received: japan_time(&c.created_at),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn incident_list(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let scope =
        incidents::case_scope(&principal).ok_or_else(|| PageError::from(AppError::not_found()))?;
    let filter = incidents::parse_state_filter(q.state.as_deref())?;
    let cases = state.store.incidents(scope, filter, 500).await?;
    let is_desk = principal.is_incident_desk();
    let title = if is_desk {
        lang.text("incidents-desk-suspected-incidents")
    } else {
        lang.text("incidents-incident-consultations")
    };
    let page = ListPage {
        chrome: Chrome::new(&ctx, Some(&user), title.to_owned()),
        is_desk,
        can_report: principal.incident_reporter_for().is_some(),
        filter: filter.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        states: CaseState::ALL
            .iter()
            .map(|s| (s.as_str(), lang.pick(s.label_ja(), s.label_en()).to_owned()))
            .collect(),
        rows: cases.iter().map(|c| case_row(lang, c)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- the case --------------------------------------------------------------------------

pub struct NoteRow {
    pub desk: bool,
    pub author: String,
    pub at: String,
    pub text: String,
}

pub struct HistoryRow {
    pub to: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "incident_case.html")]
struct CasePage {
    chrome: Chrome,
    id: i64,
    sent: bool,
    is_desk: bool,
    institution: String,
    reported_by: String,
    urgency: String,
    urgency_class: &'static str,
    advice: String,
    state: String,
    state_value: &'static str,
    symptoms: Vec<String>,
    systems: Vec<String>,
    started_at: String,
    care: String,
    details: String,
    callback_phone: Option<String>,
    received: String,
    calls: Vec<CallRow>,
    steps: Vec<StepRow>,
    notes: Vec<NoteRow>,
    history: Vec<HistoryRow>,
    next_states: Vec<(&'static str, String)>,
    error: Option<String>,
    note_text: String,
}

#[derive(Deserialize)]
struct CaseQuery {
    sent: Option<String>,
}

/// What a case page shows besides the case: the banner after sending, a refusal, and the
/// note being written when it was refused.
#[derive(Default)]
struct Shown {
    sent: bool,
    error: Option<String>,
    note_text: String,
}

async fn case_view_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    case_id: CaseId,
    shown: Shown,
    status: StatusCode,
) -> PageResult {
    let Shown {
        sent,
        error,
        note_text,
    } = shown;
    let lang = ctx.lang;
    let principal = user.user().principal();
    let id = case_id.get();
    let CaseView {
        case,
        notes,
        history,
        steps,
        calls,
    } = incidents::case_view(state, &principal, id).await?;
    let pick = |ja: &str, en: &str| lang.pick(ja, en).to_owned();
    let page = CasePage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            format!("{} #{}", lang.text("incidents-suspected-incident"), case.id),
        ),
        id: case.id,
        sent,
        is_desk: principal.is_incident_desk(),
        institution: case.institution_name.clone(),
        reported_by: case.reported_by.clone(),
        urgency: pick(case.urgency.label_ja(), case.urgency.label_en()),
        urgency_class: urgency_class(case.urgency),
        advice: pick(case.urgency.advice_ja(), case.urgency.advice_en()),
        state: pick(case.state.label_ja(), case.state.label_en()),
        state_value: case.state.as_str(),
        symptoms: case
            .symptoms
            .iter()
            .map(|s| pick(s.label_ja(), s.label_en()))
            .collect(),
        systems: case
            .systems
            .iter()
            .map(|s| pick(s.label_ja(), s.label_en()))
            .collect(),
        started_at: local_time(&case.started_at),
        care: pick(case.care.label_ja(), case.care.label_en()),
        details: case.details.clone(),
        callback_phone: case.callback_phone.clone(),
        received: japan_time(&case.created_at),
        calls: call_rows(lang, &calls),
        steps: step_rows(lang, &steps),
        notes: notes
            .iter()
            .map(|n| NoteRow {
                desk: n.side == NoteSide::Desk,
                author: n.author.clone(),
                at: japan_time(&n.created_at),
                text: n.body.clone(),
            })
            .collect(),
        history: history
            .iter()
            .map(|h| HistoryRow {
                to: pick(h.to.label_ja(), h.to.label_en()),
                by: h.changed_by.clone(),
                at: japan_time(&h.changed_at),
            })
            .collect(),
        next_states: CaseState::ALL
            .iter()
            .filter(|s| incident::check_transition(case.state, **s).is_ok())
            .map(|s| (s.as_str(), pick(s.label_ja(), s.label_en())))
            .collect(),
        error,
        note_text,
    };
    Ok(render(status, &page))
}

async fn case_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(case_id): Ids<CaseId>,
    Query(q): Query<CaseQuery>,
) -> PageResult {
    case_view_page(
        &state,
        &ctx,
        &user,
        case_id,
        Shown {
            sent: q.sent.is_some(),
            ..Shown::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The case page again with the refusal of a form sent from it, and the note as typed; a
/// 403 or 404 is the error page.
async fn refused_on_case(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    case_id: CaseId,
    e: AppError,
    note_text: String,
) -> PageResult {
    if e.refuses_access() {
        return Err(PageError::from(e));
    }
    let shown = Shown {
        sent: false,
        error: Some(message(ctx.lang, &e)),
        note_text,
    };
    case_view_page(state, ctx, user, case_id, shown, e.status()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StateForm {
    state: String,
}

async fn change_state(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(case_id): Ids<CaseId>,
    Form(form): Form<StateForm>,
) -> PageResult {
    let principal = user.user().principal();
    let id = case_id.get();
    match incidents::change_state(&state, &principal, id, &form.state).await {
        Ok(()) => Ok(redirect(&format!("/incidents/{id}"))),
        Err(e) => refused_on_case(&state, &ctx, &user, case_id, e, String::new()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(case_id): Ids<CaseId>,
    Form(form): Form<NoteForm>,
) -> PageResult {
    let principal = user.user().principal();
    let id = case_id.get();
    match incidents::add_note(&state, &principal, id, &form.text).await {
        Ok(_) => Ok(redirect(&format!("/incidents/{id}#notes"))),
        Err(e) => refused_on_case(&state, &ctx, &user, case_id, e, form.text).await,
    }
}
