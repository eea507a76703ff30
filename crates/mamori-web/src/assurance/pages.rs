//! Pages of the security-assurance project (確保事業): a hospital's survey form (seed 004's
//! questions), the prefecture's list of applicants with eligibility, ranking (number entry or
//! drag-and-drop), selection, withdrawals, 別紙1 and submission; the national overview.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_domain::assurance::{
    ApplicationId, ApplicationStatus, FlagDecision, RankReason, Selection, assess,
};
use mamori_domain::{FiscalYear, Prefecture, Role};
use mamori_store::PrefectureBook;
use serde::Deserialize;

use crate::assurance::api::{
    self as api, AnswerFields, ContactJson, Judged, managed, may_apply, parse_prefecture,
    parse_program_year,
};
use crate::assurance::ranking::{self, RankInput};
use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{self, Ids, InstitutionId};
use crate::http::page::{
    Chrome, PageCtx, PageError, PageResult, SignedIn, redirect, render, render_form,
};
use crate::{AppState, Routes};

pub fn routes() -> Routes {
    Routes::default()
        .get("/assurance", start)
        .get("/assurance/{fy}", overview_page)
        .get("/assurance/{fy}/institutions/{id}", survey_page)
        .post("/assurance/{fy}/institutions/{id}", save_survey)
        .get("/assurance/{fy}/prefectures/{pref}", prefecture_page)
        .post("/assurance/{fy}/prefectures/{pref}/ranking", save_ranking)
        .post(
            "/assurance/{fy}/prefectures/{pref}/ranking/upload",
            upload_ranking,
        )
        .post("/assurance/{fy}/prefectures/{pref}/withdraw", withdraw)
        .post("/assurance/{fy}/prefectures/{pref}/submit", submit)
        .post(
            "/assurance/{fy}/prefectures/{pref}/reminders",
            super::reminders::remind_page,
        )
        .get("/assurance/{fy}/prefectures/{pref}/list.xlsx", list_xlsx)
        .get("/static/ranking.js", || async {
            (
                [
                    (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                include_str!("../../static/ranking.js"),
            )
        })
}

fn fy_label(lang: Lang, fy: FiscalYear) -> String {
    match lang {
        Lang::Ja => fy.era_label_ja(),
        Lang::En => fy.label_en(),
    }
}

fn pref_label(lang: Lang, p: Prefecture) -> String {
    lang.pick(p.name_ja(), p.name_en()).to_owned()
}

/// Where a user's survey work is: its institution's form, its prefecture's list, the
/// national overview.
async fn start(State(state): State<AppState>, user: WebUser) -> PageResult {
    let years = state.store.program_years().await?;
    let Some(fy) = years.first().map(|y| y.start_year()) else {
        // No programme yet: the national office opens the first one.
        return Ok(redirect(if user.user().role == Role::NationalAdmin {
            "/assurance/new"
        } else {
            "/"
        }));
    };
    let u = user.user();
    Ok(match (u.role, u.institution_id, u.prefecture) {
        (Role::NationalAdmin, _, _) => redirect(&format!("/assurance/{fy}")),
        (Role::PrefectureOfficer, _, Some(p)) => {
            redirect(&format!("/assurance/{fy}/prefectures/{}", p.code()))
        }
        (_, Some(id), _) => redirect(&format!("/assurance/{fy}/institutions/{id}")),
        _ => redirect("/"),
    })
}

// ----- the hospital's survey form -------------------------------------------------------------

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    emr: String,
    beds: String,
    participation: String,
    gmis_reuse_consent: String,
    renewal_planned: String,
    onsite_survey_by_january: String,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "assurance_survey.html")]
struct SurveyPage {
    chrome: Chrome,
    action: String,
    institution_name: String,
    program_label: String,
    prefecture_label: String,
    deadline: String,
    closed: bool,
    can_edit: bool,
    emr: Vec<Choice>,
    participation: Vec<Choice>,
    gmis: Vec<Choice>,
    renewal: Vec<Choice>,
    onsite: Vec<Choice>,
    beds: String,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    answered: Option<String>,
    eligible: Option<bool>,
    reasons: Vec<String>,
    flags: Vec<String>,
    status: Option<String>,
    changes: Vec<(String, String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

fn choices(options: &[(&'static str, &'static str)], lang: Lang, current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, key)| Choice {
            value,
            label: lang.t(key),
            checked: *value == current,
        })
        .collect()
}

/// Each answer's value and the message of its label.
const EMR: [(&str, &str); 3] = [
    ("full", "assurance-emr-full"),
    ("partial", "assurance-emr-partial"),
    ("none", "assurance-emr-none"),
];
const PARTICIPATION: [(&str, &str); 4] = [
    ("both", "assurance-participation-both"),
    ("network_only", "assurance-participation-network-only"),
    ("backup_only", "assurance-participation-backup-only"),
    ("none", "assurance-participation-none"),
];
const YES_NO: [(&str, &str); 2] = [("yes", "assurance-yes"), ("no", "assurance-no")];
const ONSITE: [(&str, &str); 3] = [
    ("yes", "assurance-onsite-yes"),
    ("no", "assurance-onsite-no"),
    ("unknown", "assurance-onsite-unknown"),
];

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

async fn survey_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((fy, id)): Ids<(String, InstitutionId)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = done_notice(ctx.lang, q.done.as_deref());
    survey_view(&state, &ctx, &user, &fy, id, None, None, notice).await
}

#[allow(clippy::too_many_arguments)] // a page with its form, error and notice
async fn survey_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    fy: &str,
    id: InstitutionId,
    form: Option<&SurveyForm>,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let fy = parse_program_year(fy)?;
    let institution = state
        .store
        .institution(id.get())
        .await?
        .ok_or(AppError::not_found())?;
    may_apply(&principal, institution.id, institution.prefecture)?;
    let book = load_book(state, fy, institution.prefecture).await?;
    let record = book
        .applications
        .iter()
        .find(|a| a.institution_id == institution.id);
    let today = mamori_app::today_in_japan();
    let closed = today > book.program.deadline;
    let manages = principal.can_manage_survey(institution.prefecture);
    let can_edit = book.submission.is_none() && (!closed || manages);
    let (mut eligible, mut reasons, mut flags, mut status) = (None, Vec::new(), Vec::new(), None);
    let mut changes = Vec::new();
    if let Some(r) = record {
        let judged = Judged::of(&book)?;
        if let Ok(app) = api::domain_application(r) {
            let e = assess(&judged.program, &app);
            eligible = Some(e.is_eligible());
            reasons = e.reasons.iter().map(|x| x.message.render(lang)).collect();
            flags = e.flags.iter().map(|x| x.message.render(lang)).collect();
        }
        if book.submission.is_some()
            && let Ok(s) = judged.select(book.prefecture)
        {
            status = s.outcome(ApplicationId(r.id)).map(|o| {
                lang.pick(o.status.label_ja(), o.status.label_en())
                    .to_owned()
            });
        }
        changes = state
            .store
            .application_changes(fy, r.id)
            .await?
            .into_iter()
            .map(|c| {
                let action = match c.action.as_str() {
                    "create" => lang.t("as-change-create"),
                    "update" => lang.t("as-change-update"),
                    "withdraw" => lang.t("as-change-withdraw"),
                    other => other.to_owned(),
                };
                (c.changed_at, c.changed_by, action)
            })
            .collect();
    }
    let a = record.map(|r| &r.answers);
    let value = |from_form: Option<&str>, stored: Option<String>| -> String {
        from_form.map(str::to_owned).or(stored).unwrap_or_default()
    };
    let emr = value(
        form.map(|f| f.emr.as_str()),
        a.map(|a| a.emr.as_str().to_owned()),
    );
    let participation = value(
        form.map(|f| f.participation.as_str()),
        a.map(|a| a.participation.as_str().to_owned()),
    );
    let gmis = value(
        form.map(|f| f.gmis_reuse_consent.as_str()),
        a.map(|a| yes_no(a.gmis_reuse_consent).to_owned()),
    );
    let renewal = value(
        form.map(|f| f.renewal_planned.as_str()),
        a.map(|a| yes_no(a.renewal_planned).to_owned()),
    );
    let onsite = value(
        form.map(|f| f.onsite_survey_by_january.as_str()),
        a.map(|a| match a.onsite_survey_by_january {
            Some(b) => yes_no(b).to_owned(),
            None => "unknown".to_owned(),
        }),
    );
    let page = SurveyPage {
        chrome: Chrome::new(ctx, Some(user), lang.t("as-survey-title")),
        action: format!(
            "/assurance/{}/institutions/{}",
            fy.start_year(),
            institution.id
        ),
        institution_name: institution.name.clone(),
        program_label: fy_label(lang, fy),
        prefecture_label: pref_label(lang, institution.prefecture),
        deadline: book.program.deadline.to_string(),
        closed,
        can_edit,
        emr: choices(&EMR, lang, &emr),
        participation: choices(&PARTICIPATION, lang, &participation),
        gmis: choices(&YES_NO, lang, &gmis),
        renewal: choices(&YES_NO, lang, &renewal),
        onsite: choices(&ONSITE, lang, &onsite),
        beds: value(
            form.map(|f| f.beds.as_str()),
            a.map(|a| a.beds.to_string())
                .or_else(|| Some(institution.beds.to_string())),
        ),
        contact_name: value(
            form.map(|f| f.contact_name.as_str()),
            a.map(|a| a.contact.name().to_owned()),
        ),
        contact_phone: value(
            form.map(|f| f.contact_phone.as_str()),
            a.map(|a| a.contact.phone().to_owned()),
        ),
        contact_email: value(
            form.map(|f| f.contact_email.as_str()),
            a.map(|a| a.contact.email().to_owned()),
        ),
        answered: record.map(|r| r.updated_at.clone()),
        eligible,
        reasons,
        flags,
        status,
        changes,
        error,
        notice,
    };
    Ok(render_form(page.error.is_some(), &page))
}

async fn load_book(
    state: &AppState,
    fy: FiscalYear,
    prefecture: Prefecture,
) -> Result<PrefectureBook, AppError> {
    state
        .store
        .prefecture_book(fy, prefecture)
        .await?
        .ok_or(AppError::not_found())
}

fn form_bool(text: &str) -> Option<bool> {
    match text {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

async fn save_survey(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((fy_text, id)): Ids<(String, InstitutionId)>,
    Form(form): Form<SurveyForm>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let fy = parse_program_year(&fy_text)?;
    let institution = state
        .store
        .institution(id.get())
        .await?
        .ok_or(AppError::not_found())?;
    may_apply(&principal, institution.id, institution.prefecture)?;
    let result = async {
        let book = load_book(&state, fy, institution.prefecture).await?;
        let beds = form.beds.trim().parse::<i64>().map_err(|_| {
            AppError::invalid(mamori_domain::ParseError::new(
                "beds",
                Message::new("assurance-beds-not-a-number"),
            ))
        })?;
        let gmis = form_bool(&form.gmis_reuse_consent);
        let renewal = form_bool(&form.renewal_planned);
        let (Some(gmis), Some(renewal)) = (gmis, renewal) else {
            return Err(AppError::invalid(mamori_domain::ParseError::new(
                "answers",
                Message::new("assurance-answer-every-question"),
            )));
        };
        let contact = ContactJson {
            name: form.contact_name.clone(),
            phone: form.contact_phone.clone(),
            email: form.contact_email.clone(),
        };
        let answers = api::survey_answers(
            AnswerFields {
                emr: &form.emr,
                beds,
                participation: &form.participation,
                gmis_reuse_consent: gmis,
                renewal_planned: renewal,
                onsite_survey_by_january: form_bool(&form.onsite_survey_by_january),
                contact: &contact,
            },
            &book.program.bands,
        )?;
        let existing = book
            .applications
            .iter()
            .find(|a| a.institution_id == institution.id)
            .map(|a| a.id);
        api::save_answers(&state, &principal, fy, institution.id, existing, answers).await
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/assurance/{fy_text}/institutions/{id}?done=as-saved"
        ))),
        Err(e) if e.status().is_client_error() => {
            let message = crate::http::page::message(lang, &e);
            survey_view(
                &state,
                &ctx,
                &user,
                &fy_text,
                id,
                Some(&form),
                Some(message),
                None,
            )
            .await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

// ----- the prefecture's list ------------------------------------------------------------------

pub struct ApplicantRow {
    pub id: i64,
    pub rank: String,
    pub name: String,
    pub beds: u32,
    pub band: String,
    pub emr: String,
    pub participation: String,
    pub renewal: String,
    pub contact: String,
    pub eligible: bool,
    pub reasons: Vec<String>,
    pub flags: Vec<String>,
    pub status: String,
    pub status_class: &'static str,
    pub selected: bool,
    pub reason_tag: &'static str,
    /// The text of an `other` reason, kept when the ranking is saved again.
    pub reason_text: String,
    /// Reasons after the first (an imported file may give several): the select edits the
    /// first, these go back as hidden fields (tag, label) so that saving keeps them.
    pub extra_reasons: Vec<(&'static str, String)>,
    pub withdrawal: Option<String>,
    /// Flagged for the prefecture's decision (a renewal without the on-site survey by January).
    pub needs_decision: bool,
    /// `accept`, `decline` or empty.
    pub decision: &'static str,
    /// Selected in place of a withdrawn hospital: its name.
    pub promoted_from: Option<String>,
    /// Withdrawn: the hospital that moved up in its place.
    pub replaced_by: Option<String>,
}

pub struct WithdrawalRow {
    pub date: String,
    pub name: String,
    pub reason: String,
    pub replaced_by: Option<String>,
}

pub struct BandRow {
    pub label: String,
    pub quota: u32,
    pub selected: u32,
    pub waitlisted: u32,
    pub unused: u32,
}

#[derive(Template)]
#[template(path = "assurance_prefecture.html")]
struct PrefecturePage {
    chrome: Chrome,
    base: String,
    prefecture_label: String,
    program_label: String,
    deadline: String,
    rows: Vec<ApplicantRow>,
    bands: Vec<BandRow>,
    reason_tags: Vec<(&'static str, String)>,
    withdrawals: Vec<WithdrawalRow>,
    /// The other programme years of this prefecture's list: (label, path).
    other_years: Vec<(String, String)>,
    any_selected: bool,
    undecided: usize,
    today: String,
    selection_problem: Option<String>,
    submitted: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    /// The hospitals that have not answered the survey, with the last reminder.
    non_responders: Vec<super::reminders::NonResponderRow>,
    /// The reminder was asked for without ticking that it sends mail that cannot be taken
    /// back.
    reminder_unconfirmed: bool,
}

/// Each reason of a ranking and the message of its label.
const REASON_TAGS: [(&str, &str); 4] = [
    (
        "regional_emergency_role",
        "assurance-reason-regional-emergency-role",
    ),
    (
        "weak_security_at_inspection",
        "assurance-reason-weak-security",
    ),
    (
        "withdrew_last_year_after_pre_survey",
        "assurance-reason-withdrew-last-year",
    ),
    ("other", "assurance-other"),
];

fn tag_of(reasons: &[RankReason]) -> &'static str {
    reasons.first().map_or("", |r| r.as_str())
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
    /// How many people a reminder just told.
    reminded: Option<u64>,
    /// `missing` when a reminder was asked for without its confirmation.
    confirm: Option<String>,
}

/// The notice of an action that redirected back here (post/redirect/get).
/// The words of a ranking's "other" reason; empty when it gives none.
fn other_reason(reasons: &[RankReason]) -> String {
    reasons
        .iter()
        .find_map(|r| match r {
            RankReason::Other { text } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The decision on a flagged application as the form names it.
fn decision_name(decision: Option<FlagDecision>) -> &'static str {
    match decision {
        Some(FlagDecision::Accept) => "accept",
        Some(FlagDecision::Decline) => "decline",
        None => "",
    }
}

/// The quotas of a selection, one row per bed band.
fn band_rows(lang: Lang, selection: &Selection) -> Vec<BandRow> {
    selection
        .bands
        .iter()
        .map(|b| BandRow {
            label: lang.pick(&b.band.label_ja(), &b.band.label_en()).to_owned(),
            quota: b.quota,
            selected: b.selected,
            waitlisted: b.waitlisted,
            unused: b.unused,
        })
        .collect()
}

fn done_notice(lang: Lang, done: Option<&str>) -> Option<String> {
    const KEYS: [&str; 5] = [
        "as-opened",
        "as-ranking-saved",
        "as-withdrawn-done",
        "as-submitted",
        "as-saved",
    ];
    done.and_then(|d| KEYS.iter().find(|k| **k == d))
        .map(|k| lang.t(k))
}

async fn prefecture_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((fy, pref)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = done_notice(ctx.lang, q.done.as_deref())
        .or_else(|| super::reminders::sent_notice(ctx.lang, q.reminded));
    let unconfirmed = q.confirm.as_deref() == Some("missing");
    prefecture_view(
        &state,
        &ctx,
        &user,
        (&fy, &pref),
        (None, notice),
        unconfirmed,
    )
    .await
}

async fn prefecture_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    (fy, pref): (&str, &str),
    (error, notice): (Option<String>, Option<String>),
    reminder_unconfirmed: bool,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let fy = parse_program_year(fy)?;
    let prefecture = parse_prefecture(pref)?;
    managed(&principal, prefecture)?;
    let book = load_book(state, fy, prefecture).await?;
    let judged = Judged::of(&book)?;
    let selection = judged.select(prefecture);
    let selection_problem = selection.as_ref().err().map(|e| e.message().render(lang));
    let selection: Option<&Selection> = selection.as_ref().ok();
    let program = &judged.program;
    // Ranked applications first, by rank; the unranked after them by id, numbered on.
    let mut order: Vec<(u32, usize)> = Vec::new();
    let ranked = |id: i64| book.ranking.iter().find(|r| r.application_id == id);
    let mut next = book.ranking.len() as u32;
    for (i, a) in book.applications.iter().enumerate() {
        match ranked(a.id) {
            Some(r) => order.push((r.rank, i)),
            None => {
                next += 1;
                order.push((next, i));
            }
        }
    }
    order.sort();
    let name_of = |id: ApplicationId| {
        book.application(id.0)
            .map_or_else(|| id.0.to_string(), |a| a.institution_name.clone())
    };
    let rows: Vec<ApplicantRow> = order
        .iter()
        .filter_map(|&(rank, i)| {
            let record = &book.applications[i];
            let app = judged.applications.get(i)?;
            let e = assess(program, app);
            let outcome = selection.and_then(|s| s.outcome(ApplicationId(record.id)));
            let (status, status_class, selected) = match outcome.map(|o| o.status) {
                Some(ApplicationStatus::Selected) => (lang.t("assurance-selected"), "tag ok", true),
                Some(ApplicationStatus::Waitlisted) => {
                    let place = outcome.and_then(|o| o.waitlist_position).unwrap_or(0);
                    (
                        Message::new("assurance-waitlisted-place")
                            .with("place", place)
                            .render(lang),
                        "tag warn",
                        false,
                    )
                }
                Some(ApplicationStatus::Ineligible) => {
                    (lang.t("assurance-ineligible"), "tag bad", false)
                }
                Some(ApplicationStatus::Withdrawn) => (lang.t("assurance-withdrawn"), "tag", false),
                None => (lang.t("assurance-not-decided"), "tag", false),
            };
            let band = e
                .band
                .and_then(|b| program.bands.get(b))
                .map(|b| lang.pick(&b.label_ja(), &b.label_en()).to_owned())
                .unwrap_or_else(|| "—".into());
            Some(ApplicantRow {
                id: record.id,
                rank: rank.to_string(),
                name: record.institution_name.clone(),
                beds: app.beds,
                band,
                emr: lang.pick(app.emr.label_ja(), app.emr.label_en()).to_owned(),
                participation: lang
                    .pick(app.participation.label_ja(), app.participation.label_en())
                    .to_owned(),
                renewal: match record.answers.renewal_planned {
                    false => lang.t("assurance-none"),
                    true => match record.answers.onsite_survey_by_january {
                        Some(true) => lang.t("assurance-planned-survey-january"),
                        Some(false) => lang.t("assurance-planned-survey-not-january"),
                        None => lang.t("assurance-planned-not-known"),
                    },
                },
                contact: format!(
                    "{} / {} / {}",
                    app.contact.name(),
                    app.contact.phone(),
                    app.contact.email()
                ),
                eligible: e.is_eligible(),
                reasons: e.reasons.iter().map(|x| x.message.render(lang)).collect(),
                flags: e.flags.iter().map(|x| x.message.render(lang)).collect(),
                status,
                status_class,
                selected,
                reason_tag: ranked(record.id).map_or("", |r| tag_of(&r.reasons)),
                extra_reasons: ranked(record.id)
                    .map(|r| {
                        r.reasons
                            .iter()
                            .skip(1)
                            .map(|x| {
                                let tag = x.as_str();
                                let label = REASON_TAGS
                                    .iter()
                                    .find(|(v, _)| *v == tag)
                                    .map_or_else(|| tag.to_owned(), |(_, key)| lang.t(key));
                                (tag, label)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                reason_text: ranked(record.id)
                    .map_or_else(String::new, |r| other_reason(&r.reasons)),
                withdrawal: outcome
                    .and_then(|o| o.withdrawal.as_ref())
                    .map(|w| format!("{} {}", w.date, w.reason)),
                needs_decision: e.needs_decision(),
                decision: decision_name(ranked(record.id).and_then(|r| r.decision)),
                promoted_from: outcome.and_then(|o| o.replaced).map(name_of),
                replaced_by: outcome.and_then(|o| o.replaced_by).map(name_of),
            })
        })
        .collect();
    let bands = match selection {
        Some(s) => band_rows(lang, s),
        None => program
            .bands
            .as_slice()
            .iter()
            .enumerate()
            .map(|(i, b)| BandRow {
                label: lang.pick(&b.label_ja(), &b.label_en()).to_owned(),
                quota: program
                    .quota_for(prefecture)
                    .and_then(|q| q.get(i).copied())
                    .unwrap_or(0),
                selected: 0,
                waitlisted: 0,
                unused: 0,
            })
            .collect(),
    };
    let withdrawals = selection
        .map(|s| {
            s.withdrawn
                .iter()
                .map(|w| WithdrawalRow {
                    date: w.date.to_string(),
                    name: name_of(w.application_id),
                    reason: w.reason.clone(),
                    replaced_by: w.replaced_by.map(name_of),
                })
                .collect()
        })
        .unwrap_or_default();
    let undecided = selection.map_or(0, |s| s.undecided.len());
    let other_years = state
        .store
        .program_years()
        .await?
        .into_iter()
        .filter(|y| *y != fy)
        .map(|y| {
            (
                fy_label(lang, y),
                format!(
                    "/assurance/{}/prefectures/{}",
                    y.start_year(),
                    prefecture.code()
                ),
            )
        })
        .collect();
    let non_responders = super::reminders::rows(state, &principal, lang, fy, prefecture).await?;
    let page = PrefecturePage {
        non_responders,
        reminder_unconfirmed,
        other_years,
        chrome: Chrome::new(ctx, Some(user), lang.t("as-prefecture-title")),
        withdrawals,
        any_selected: rows.iter().any(|r| r.selected),
        undecided,
        today: mamori_app::today_in_japan().to_string(),
        base: format!(
            "/assurance/{}/prefectures/{}",
            fy.start_year(),
            prefecture.code()
        ),
        prefecture_label: pref_label(lang, prefecture),
        program_label: fy_label(lang, fy),
        deadline: book.program.deadline.to_string(),
        rows,
        bands,
        reason_tags: REASON_TAGS
            .iter()
            .map(|(v, key)| (*v, lang.t(key)))
            .collect(),
        selection_problem,
        submitted: book.submission.as_ref().map(|s| s.submitted_at.clone()),
        error,
        notice,
    };
    Ok(render_form(page.error.is_some(), &page))
}

/// Runs a prefecture action and shows the list again with its outcome.
async fn after_action(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    fy: &str,
    pref: &str,
    result: Result<(), AppError>,
    done: &str,
) -> PageResult {
    match result {
        // Post/redirect/get: reloading the list does not send the form again.
        Ok(()) => Ok(redirect(&format!(
            "/assurance/{fy}/prefectures/{pref}?done={done}"
        ))),
        Err(e) if e.status().is_client_error() => {
            let message = crate::http::page::message(ctx.lang, &e);
            prefecture_view(state, ctx, user, (fy, pref), (Some(message), None), false).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

/// Checks scope; gives the programme year and the prefecture.
fn authorize(user: &WebUser, fy: &str, pref: &str) -> Result<(FiscalYear, Prefecture), AppError> {
    let fy = parse_program_year(fy)?;
    let prefecture = parse_prefecture(pref)?;
    managed(&user.user().principal(), prefecture)?;
    Ok((fy, prefecture))
}

async fn save_ranking(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((fy_text, pref)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let lang = ctx.lang;
    let (fy, prefecture) = authorize(&user, &fy_text, &pref)?;
    let mut entries: Vec<RankInput> = Vec::new();
    let mut problem = None;
    for (key, value) in &fields {
        let Some(id) = key
            .strip_prefix("rank_")
            .and_then(|i| i.parse::<i64>().ok())
        else {
            continue;
        };
        let rank = match value.trim().parse::<u32>() {
            Ok(r) => r,
            Err(_) => {
                problem = Some(AppError::rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidRank,
                    Message::new("errors-invalid-rank")
                        .with("id", id)
                        .with("value", value),
                ));
                break;
            }
        };
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        // One tag from the page's select; several from an imported file's preview.
        let reason_key = format!("reason_{id}");
        let mut reasons = Vec::new();
        for tag in fields
            .iter()
            .filter(|(k, _)| *k == reason_key)
            .map(|(_, v)| v.as_str())
        {
            let reason = match tag {
                "regional_emergency_role" => RankReason::RegionalEmergencyRole,
                "weak_security_at_inspection" => RankReason::WeakSecurityAtInspection,
                "withdrew_last_year_after_pre_survey" => RankReason::WithdrewLastYearAfterPreSurvey,
                "other" => {
                    let text = field(&format!("reason_text_{id}")).trim();
                    RankReason::Other {
                        text: if text.is_empty() {
                            lang.t("assurance-other")
                        } else {
                            text.to_owned()
                        },
                    }
                }
                _ => continue,
            };
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        let decision = match field(&format!("decision_{id}")) {
            "accept" => Some(FlagDecision::Accept),
            "decline" => Some(FlagDecision::Decline),
            _ => None,
        };
        entries.push(RankInput {
            application_id: id,
            rank,
            reasons,
            decision,
        });
    }
    let result = match problem {
        Some(p) => Err(p),
        None => {
            ranking::save_ranking(&state, &user.user().principal(), fy, prefecture, entries).await
        }
    };
    after_action(
        &state,
        &ctx,
        &user,
        &fy_text,
        &pref,
        result,
        "as-ranking-saved",
    )
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    application_id: String,
    reason: String,
    date: String,
}

async fn withdraw(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((fy_text, pref)): Path<(String, String)>,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    let (fy, prefecture) = authorize(&user, &fy_text, &pref)?;
    let principal = user.user().principal();
    let result = async {
        // Only an application of this prefecture, from this page.
        let id = ids::ApplicationId::parse(&form.application_id).ok_or(AppError::not_found())?;
        if state.store.application_prefecture(fy, id.get()).await? != Some(prefecture) {
            return Err(AppError::not_found());
        }
        api::record_withdrawal(
            &state,
            &principal,
            fy,
            id,
            &form.reason,
            Some(form.date.as_str()),
        )
        .await
        .map(|_| ())
    }
    .await;
    after_action(
        &state,
        &ctx,
        &user,
        &fy_text,
        &pref,
        result,
        "as-withdrawn-done",
    )
    .await
}

async fn submit(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((fy_text, pref)): Path<(String, String)>,
) -> PageResult {
    let (fy, prefecture) = authorize(&user, &fy_text, &pref)?;
    let result = ranking::submit_list(&state, &user.user().principal(), fy, prefecture)
        .await
        .map(|_| ());
    after_action(&state, &ctx, &user, &fy_text, &pref, result, "as-submitted").await
}

async fn list_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path((fy, pref)): Path<(String, String)>,
) -> Result<Response, crate::http::page::PageError> {
    let fy = parse_program_year(&fy)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&user.user().principal(), prefecture)?;
    ranking::list_file(&state, fy, prefecture)
        .await
        .map_err(PageError::from)
}

// ----- the national overview ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "assurance_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    program_label: String,
    fiscal_year: i32,
    overview: api::NationalOverview,
    percent: u32,
    lang_en: bool,
    notice: Option<String>,
    /// Per band: the national quota, and how much of it is unused.
    band_totals: Vec<(String, u32, u32)>,
}

async fn overview_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(fy): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let lang = ctx.lang;
    if user.user().role != Role::NationalAdmin {
        return Err(PageError::from(AppError::forbidden()));
    }
    let fy = parse_program_year(&fy)?;
    let overview = api::overview(&state, fy).await?;
    let percent = (overview.selected * 100 / overview.target.max(1)).min(100);
    let program = state.store.program(fy).await?;
    let band_totals = program
        .map(|p| {
            p.bands
                .as_slice()
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let sum = |f: &dyn Fn(&api::PrefectureOverview) -> Option<u32>| {
                        overview.prefectures.iter().filter_map(f).sum::<u32>()
                    };
                    (
                        lang.pick(&b.label_ja(), &b.label_en()).to_owned(),
                        sum(&|r| r.quota.get(i).copied()),
                        sum(&|r| r.unused_quota.as_ref().and_then(|u| u.get(i).copied())),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = OverviewPage {
        notice: done_notice(lang, q.done.as_deref()),
        band_totals,
        chrome: Chrome::new(&ctx, Some(&user), lang.t("as-overview-title")),
        program_label: fy_label(lang, fy),
        fiscal_year: fy.start_year(),
        overview,
        percent,
        lang_en: lang == Lang::En,
    };
    Ok(render(StatusCode::OK, &page).into_response())
}

// ----- a ranking from a file: preview, then apply ---------------------------------------------

pub struct ProblemRow {
    pub row: String,
    pub column: String,
    pub message: String,
}

pub struct PreviewRow {
    pub id: i64,
    pub rank: u32,
    pub name: String,
    pub code: String,
    pub reasons: Vec<String>,
    pub reason_tags: Vec<&'static str>,
    pub reason_text: String,
    pub decision: &'static str,
    pub status: String,
    pub status_class: &'static str,
}

#[derive(Template)]
#[template(path = "assurance_ranking_upload.html")]
struct UploadPage {
    chrome: Chrome,
    base: String,
    prefecture_label: String,
    program_label: String,
    file_name: String,
    problems: Vec<ProblemRow>,
    rows: Vec<PreviewRow>,
    reasons_kept: bool,
    bands: Vec<BandRow>,
    error: Option<String>,
}

/// Reads a ranking file and shows what it would do: its problems (row, column, reason), or
/// the ranking with the selection it gives, and a form that applies it through the same
/// route as number entry (checked again there). Nothing is stored here.
async fn upload_ranking(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((fy_text, pref)): Path<(String, String)>,
    request: axum::extract::Request,
) -> PageResult {
    let lang = ctx.lang;
    let fy = parse_program_year(&fy_text)?;
    let prefecture = parse_prefecture(&pref)?;
    managed(&user.user().principal(), prefecture)?;
    let form = crate::assurance::program_page::read_form(&state, request).await?;
    let book = load_book(&state, fy, prefecture).await?;
    let mut page = UploadPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("as-upload-preview-title")),
        base: format!(
            "/assurance/{}/prefectures/{}",
            fy.start_year(),
            prefecture.code()
        ),
        prefecture_label: pref_label(lang, prefecture),
        program_label: fy_label(lang, fy),
        file_name: String::new(),
        problems: Vec::new(),
        rows: Vec::new(),
        reasons_kept: false,
        bands: Vec::new(),
        error: None,
    };
    if book.submission.is_some() {
        let e = crate::assurance::api::submitted_error(prefecture);
        page.error = Some(crate::http::page::message(lang, &e));
        return Ok(render(e.status(), &page));
    }
    let Some(file) = form.file("file") else {
        page.error = Some(lang.t("assurance-choose-ranking-file-xlsx"));
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    page.file_name = file.file_name.clone().unwrap_or_default();
    let _import = match crate::http::uploads::import_permit(&state) {
        Ok(permit) => permit,
        Err(e) => {
            page.error = Some(crate::http::page::message(lang, &e));
            return Ok(crate::http::uploads::retry_later(render(e.status(), &page)));
        }
    };
    let entries = match ranking::ranking_from_file(&state, fy, prefecture, &file.data).await? {
        Ok(entries) => entries,
        Err(e) => {
            page.error = Some(lang.t("as-upload-problems"));
            page.problems = e
                .problems
                .iter()
                .map(|p| ProblemRow {
                    row: p.row.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                    column: p.column.clone().unwrap_or_else(|| "—".into()),
                    message: p.detail.render(lang),
                })
                .collect();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    // The selection the ranking would give (the same rule as on saving).
    let mut judged = Judged::of(&book)?;
    judged.ranking = entries
        .iter()
        .map(|e| mamori_domain::assurance::RankEntry {
            application_id: ApplicationId(e.application_id),
            rank: e.rank,
            reasons: e.reasons.clone(),
            decision: e.decision,
        })
        .collect();
    let selection = match judged.select(prefecture) {
        Ok(s) => s,
        Err(e) => {
            page.error = Some(e.message().render(lang));
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    page.reasons_kept = mamori_reports::assurance_list::import_ranking(&file.data)
        .map(|f| f.reason_column.is_none())
        .unwrap_or(false);
    page.rows = entries
        .iter()
        .map(|e| {
            let record = book.application(e.application_id);
            let outcome = selection.outcome(ApplicationId(e.application_id));
            let (status, status_class) = match outcome.map(|o| o.status) {
                Some(ApplicationStatus::Selected) => (lang.text("assurance-selected"), "tag ok"),
                Some(ApplicationStatus::Waitlisted) => {
                    (lang.text("assurance-waitlisted"), "tag warn")
                }
                Some(ApplicationStatus::Ineligible) => {
                    (lang.text("assurance-ineligible"), "tag bad")
                }
                Some(ApplicationStatus::Withdrawn) => (lang.text("assurance-withdrawn"), "tag"),
                None => ("—", "tag"),
            };
            PreviewRow {
                id: e.application_id,
                rank: e.rank,
                name: record
                    .map(|r| r.institution_name.clone())
                    .unwrap_or_default(),
                code: record
                    .and_then(|r| r.medical_institution_code.clone())
                    .unwrap_or_default(),
                reasons: e
                    .reasons
                    .iter()
                    .map(|r| match lang {
                        Lang::Ja => r.label_ja(),
                        Lang::En => r.label_en(),
                    })
                    .collect(),
                reason_tags: e.reasons.iter().map(RankReason::as_str).collect(),
                reason_text: other_reason(&e.reasons),
                decision: decision_name(e.decision),
                status: status.to_owned(),
                status_class,
            }
        })
        .collect();
    page.bands = band_rows(lang, &selection);
    Ok(render(StatusCode::OK, &page))
}
