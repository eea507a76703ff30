//! The training operator's edit pages: a published course, a session (times, place, capacity,
//! deadline), and an entry of the list of lecturers and technicians; withdrawing (中止) a
//! course or a session and removing an entry. Every form carries the CSRF token, and the
//! course and session forms the version they were loaded with, so that an edit made on a
//! page someone else has changed since is refused (409) instead of overwriting theirs.
//! A refused field is marked, with its message, next to the field.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use mamori_store::{CourseRecord, LecturerRecord, SessionRecord};
use serde::Deserialize;

use super::api::{self, CourseEdit, LecturerInput, SessionEdit};
use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{CourseId, Ids, LecturerId, SessionId};
use crate::http::page::{Chrome, PageCtx, PageError, PageResult, SignedIn, redirect, render};
use crate::training::pages::{CourseForm, audience_options, form_capacity, format_options};
use crate::{AppState, Routes};

pub fn routes() -> Routes {
    Routes::default()
        .get("/training/courses/{course_id}/edit", course_page)
        .post("/training/courses/{course_id}/edit", save_course)
        .post("/training/courses/{course_id}/withdraw", withdraw_course)
        .get("/training/sessions/{session_id}/edit", session_page)
        .post("/training/sessions/{session_id}/edit", save_session)
        .post("/training/sessions/{session_id}/withdraw", withdraw_session)
        .get("/training/lecturers/{lecturer_id}/edit", lecturer_page)
        .post("/training/lecturers/{lecturer_id}/edit", save_lecturer)
        .post("/training/lecturers/{lecturer_id}/delete", delete_lecturer)
}

pub use crate::http::page::FormErrors;

/// The messages of a refused training form; a capacity below the seats taken is a refusal
/// of the capacity the operator typed.
pub fn form_errors(lang: Lang, e: &AppError) -> FormErrors {
    FormErrors::with_field_of_code(lang, e, |code| {
        (code == "capacity_below_seats").then_some("capacity")
    })
}

/// A lecturer form's values as shown (as stored, or as sent when refused).
#[derive(Debug, Default)]
pub struct LecturerFormView {
    pub name: String,
    pub kind: String,
    pub affiliation: String,
    pub fields: String,
}

/// The lecturer form, to add an entry and to edit one.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LecturerForm {
    name: String,
    kind: String,
    affiliation: String,
    fields: String,
}

impl LecturerForm {
    pub fn input(&self) -> LecturerInput {
        LecturerInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            affiliation: self.affiliation.clone(),
            fields: self.fields.clone(),
        }
    }

    /// The form as sent, to be shown again with its refusal.
    pub fn view(self) -> LecturerFormView {
        LecturerFormView {
            name: self.name,
            kind: self.kind,
            affiliation: self.affiliation,
            fields: self.fields,
        }
    }
}

impl From<&LecturerRecord> for LecturerFormView {
    fn from(l: &LecturerRecord) -> Self {
        Self {
            name: l.name.clone(),
            kind: l.kind.clone(),
            affiliation: l.affiliation.clone(),
            fields: l.fields.clone(),
        }
    }
}

/// A refusal shown on the form that was sent (any 4xx but 403); a 403 or a fault is the
/// error page.
pub fn form_refusal(e: AppError) -> Result<AppError, PageError> {
    if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN {
        Ok(e)
    } else {
        Err(PageError::from(e))
    }
}

fn refusal(e: AppError, lang: Lang) -> Result<(StatusCode, FormErrors), PageError> {
    let e = form_refusal(e)?;
    Ok((e.status(), form_errors(lang, &e)))
}

/// A version sent by a form: a missing or garbled one is a refusal of the form, not a 500.
fn form_version(text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::from(mamori_domain::ParseError::new(
            "version",
            Message::new("training-form-outdated"),
        ))
    })
}

// ----- a course ------------------------------------------------------------------------------

pub struct CourseFormView {
    pub version: String,
    pub title_ja: String,
    pub title_en: String,
    pub audience: String,
    pub format: String,
    pub description_ja: String,
    pub description_en: String,
}

impl From<&CourseRecord> for CourseFormView {
    fn from(c: &CourseRecord) -> Self {
        Self {
            version: c.version.to_string(),
            title_ja: c.title_ja.clone(),
            title_en: c.title_en.clone(),
            audience: c.audience.as_str().to_owned(),
            format: c.format.as_str().to_owned(),
            description_ja: c.description_ja.clone(),
            description_en: c.description_en.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "training_course_edit.html")]
struct CoursePage {
    chrome: Chrome,
    id: i64,
    withdrawn: bool,
    /// Sessions of the course not yet held and not withdrawn: withdrawn with it.
    upcoming: usize,
    audiences: Vec<(&'static str, String)>,
    formats: Vec<(&'static str, String)>,
    form: CourseFormView,
    errors: FormErrors,
}

impl CoursePage {
    /// What withdrawing the course does, with the count of its sessions withdrawn with it.
    fn withdraw_note(&self) -> String {
        Message::new("training-course-withdraw-note")
            .with("upcoming", self.upcoming)
            .render(self.chrome.lang)
    }
}

async fn operator_course(
    state: &AppState,
    user: &WebUser,
    course: CourseId,
) -> Result<CourseRecord, PageError> {
    api::require_operator(user.user())?;
    state
        .store
        .training_course(course.get())
        .await?
        .ok_or_else(|| PageError::from(AppError::not_found()))
}

async fn course_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    course: &CourseRecord,
    form: CourseFormView,
    refused: Option<(StatusCode, FormErrors)>,
) -> PageResult {
    let lang = ctx.lang;
    let now = api::now_in_japan();
    let upcoming = state
        .store
        .training_sessions()
        .await?
        .iter()
        .filter(|s| s.course.id == course.id && !s.is_withdrawn() && s.rules.starts_at > now)
        .count();
    let (status, errors) = refused.unwrap_or((StatusCode::OK, FormErrors::default()));
    Ok(render(
        status,
        &CoursePage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-edit-course")),
            id: course.id,
            withdrawn: course.withdrawn_at.is_some(),
            upcoming,
            audiences: audience_options(lang),
            formats: format_options(lang),
            form,
            errors,
        },
    ))
}

async fn course_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(course): Ids<CourseId>,
) -> PageResult {
    let c = operator_course(&state, &user, course).await?;
    course_view(&state, &ctx, &user, &c, CourseFormView::from(&c), None).await
}

async fn save_course(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(course): Ids<CourseId>,
    Form(form): Form<CourseForm>,
) -> PageResult {
    let lang = ctx.lang;
    let current = operator_course(&state, &user, course).await?;
    let result = async {
        let edit = CourseEdit {
            version: form_version(&form.version)?,
            course: form.input(),
        };
        api::update_course_for(&state, user.user(), course, &edit).await
    }
    .await;
    match result {
        Ok(_) => Ok(redirect("/training/manage?notice=course_updated#courses")),
        Err(e) => {
            let stale = e.detail().code == "stale_edit";
            let refused = refusal(e, lang)?;
            // A stale edit shows what is stored now, to be checked and saved again.
            let shown = if stale {
                CourseFormView::from(&current)
            } else {
                CourseFormView {
                    version: form.version,
                    title_ja: form.title_ja,
                    title_en: form.title_en,
                    audience: form.audience,
                    format: form.format,
                    description_ja: form.description_ja,
                    description_en: form.description_en,
                }
            };
            course_view(&state, &ctx, &user, &current, shown, Some(refused)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    confirm: Option<String>,
}

/// Withdrawing cannot be undone: the page asks for the box to be ticked (no script needed).
fn confirmed(form: &WithdrawForm) -> Result<(), AppError> {
    if form.confirm.as_deref() == Some("yes") {
        Ok(())
    } else {
        Err(
            mamori_domain::ParseError::new("confirm", Message::new("training-confirm-withdrawal"))
                .into(),
        )
    }
}

async fn withdraw_course(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(course): Ids<CourseId>,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    let lang = ctx.lang;
    let current = operator_course(&state, &user, course).await?;
    let result = match confirmed(&form) {
        Ok(()) => api::withdraw_course_for(&state, user.user(), course).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect("/training/manage?notice=course_withdrawn#courses")),
        Err(e) => {
            let refused = refusal(e, lang)?;
            let shown = CourseFormView::from(&current);
            course_view(&state, &ctx, &user, &current, shown, Some(refused)).await
        }
    }
}

// ----- a session -----------------------------------------------------------------------------

pub struct SessionFormView {
    pub version: String,
    pub starts_at: String,
    pub ends_at: String,
    pub registration_deadline: String,
    pub capacity: String,
    pub venue: String,
}

fn local(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

impl From<&SessionRecord> for SessionFormView {
    fn from(s: &SessionRecord) -> Self {
        Self {
            version: s.version.to_string(),
            starts_at: local(s.rules.starts_at),
            ends_at: local(s.rules.ends_at),
            registration_deadline: local(s.rules.deadline),
            capacity: s.rules.capacity.to_string(),
            venue: s.venue.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "training_session_edit.html")]
struct SessionEditPage {
    chrome: Chrome,
    id: i64,
    title: String,
    when: String,
    seats_taken: i64,
    waitlisted: i64,
    withdrawn: bool,
    started: bool,
    form: SessionFormView,
    errors: FormErrors,
}

async fn session_view(
    ctx: &PageCtx,
    user: &WebUser,
    s: &SessionRecord,
    form: SessionFormView,
    refused: Option<(StatusCode, FormErrors)>,
) -> PageResult {
    let lang = ctx.lang;
    let (status, errors) = refused.unwrap_or((StatusCode::OK, FormErrors::default()));
    Ok(render(
        status,
        &SessionEditPage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-edit-session")),
            id: s.id,
            title: lang.pick(&s.course.title_ja, &s.course.title_en).to_owned(),
            when: api::when_label(&s.rules),
            seats_taken: s.seats_taken,
            waitlisted: s.waitlisted,
            withdrawn: s.is_withdrawn(),
            started: api::now_in_japan() >= s.rules.starts_at,
            form,
            errors,
        },
    ))
}

async fn session_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(session): Ids<SessionId>,
) -> PageResult {
    let s = api::operator_session(&state, user.user(), session).await?;
    session_view(&ctx, &user, &s, SessionFormView::from(&s), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SessionForm {
    version: String,
    starts_at: String,
    ends_at: String,
    registration_deadline: String,
    capacity: String,
    venue: String,
}

async fn save_session(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(session): Ids<SessionId>,
    Form(form): Form<SessionForm>,
) -> PageResult {
    let lang = ctx.lang;
    let current = api::operator_session(&state, user.user(), session).await?;
    let result = async {
        let version = form_version(&form.version)?;
        let capacity = form_capacity(&form.capacity)?;
        let edit = SessionEdit {
            version,
            starts_at: form.starts_at.clone(),
            ends_at: form.ends_at.clone(),
            registration_deadline: form.registration_deadline.clone(),
            capacity,
            venue: form.venue.clone(),
        };
        api::update_session_for(&state, user.user(), session, &edit).await
    }
    .await;
    match result {
        Ok(promoted) if promoted.is_empty() => {
            Ok(redirect("/training/manage?notice=session_updated#sessions"))
        }
        Ok(_) => Ok(redirect(
            "/training/manage?notice=session_promoted#sessions",
        )),
        Err(e) => {
            let stale = e.detail().code == "stale_edit";
            let refused = refusal(e, lang)?;
            let shown = if stale {
                SessionFormView::from(&current)
            } else {
                SessionFormView {
                    version: form.version,
                    starts_at: form.starts_at,
                    ends_at: form.ends_at,
                    registration_deadline: form.registration_deadline,
                    capacity: form.capacity,
                    venue: form.venue,
                }
            };
            session_view(&ctx, &user, &current, shown, Some(refused)).await
        }
    }
}

async fn withdraw_session(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(session): Ids<SessionId>,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    let lang = ctx.lang;
    let current = api::operator_session(&state, user.user(), session).await?;
    let result = match confirmed(&form) {
        Ok(()) => api::withdraw_session_for(&state, user.user(), session).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect(
            "/training/manage?notice=session_withdrawn#sessions",
        )),
        Err(e) => {
            let refused = refusal(e, lang)?;
            let shown = SessionFormView::from(&current);
            session_view(&ctx, &user, &current, shown, Some(refused)).await
        }
    }
}

// ----- an entry of the list of lecturers and technicians ----------------------------------------

#[derive(Template)]
#[template(path = "training_lecturer_edit.html")]
struct LecturerPage {
    chrome: Chrome,
    id: i64,
    form: LecturerFormView,
    errors: FormErrors,
}

fn lecturer_view(
    ctx: &PageCtx,
    user: &WebUser,
    id: i64,
    form: LecturerFormView,
    refused: Option<(StatusCode, FormErrors)>,
) -> PageResult {
    let (status, errors) = refused.unwrap_or((StatusCode::OK, FormErrors::default()));
    Ok(render(
        status,
        &LecturerPage {
            chrome: Chrome::new(
                ctx,
                Some(user),
                ctx.lang.t("training-edit-lecturer-technician"),
            ),
            id,
            form,
            errors,
        },
    ))
}

async fn lecturer_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(lecturer): Ids<LecturerId>,
) -> PageResult {
    let l = api::operator_lecturer(&state, user.user(), lecturer).await?;
    lecturer_view(&ctx, &user, l.id, LecturerFormView::from(&l), None)
}

async fn save_lecturer(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(lecturer): Ids<LecturerId>,
    Form(form): Form<LecturerForm>,
) -> PageResult {
    let lang = ctx.lang;
    let current = api::operator_lecturer(&state, user.user(), lecturer).await?;
    match api::update_lecturer_for(&state, user.user(), lecturer, &form.input()).await {
        Ok(()) => Ok(redirect(
            "/training/library?notice=lecturer_updated#lecturers",
        )),
        Err(e) => {
            let refused = refusal(e, lang)?;
            lecturer_view(&ctx, &user, current.id, form.view(), Some(refused))
        }
    }
}

async fn delete_lecturer(
    State(state): State<AppState>,
    user: WebUser,
    Ids(lecturer): Ids<LecturerId>,
) -> PageResult {
    api::delete_lecturer_for(&state, user.user(), lecturer).await?;
    Ok(redirect(
        "/training/library?notice=lecturer_deleted#lecturers",
    ))
}
