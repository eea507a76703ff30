//! Pages of training (研修): the sessions with register and cancel forms, the content library
//! and the lecturers, the operator's pages to publish and record attendance, and an
//! institution's training record with the yearly obligation. Plain forms with CSRF tokens;
//! no JavaScript needed.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use mamori_domain::training::{
    Audience, Availability, Format, Obligation, ObligationRule, RegistrationStatus,
};
use mamori_domain::{FiscalYear, InstitutionKind};
use mamori_store::SessionRecord;
use serde::Deserialize;

use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{Ids, InstitutionId, OwnRegistrationId, RegistrationId, SessionId};
use crate::http::page::{Chrome, PageCtx, PageError, PageResult, SignedIn, redirect, render};
use crate::http::page::{PageOpening, VisiblePage};
use crate::training::api::{
    self as api, CourseInput, SessionInput, availability, is_operator, listed_for, now_in_japan,
    when_label,
};
use crate::training::edit_pages::{
    FormErrors, LecturerForm, LecturerFormView, form_errors, form_refusal,
};
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/training", list_page)
        .post("/training/sessions/{session_id}/register", register)
        .post("/training/registrations/{registration_id}/cancel", cancel)
        .get("/training/library", library_page)
        .post("/training/lecturers", add_lecturer)
        .get("/training/manage", manage_page)
        .post("/training/courses", create_course)
        .post("/training/sessions", create_session)
        .get("/training/sessions/{session_id}", session_page)
        .post(
            "/training/registrations/{registration_id}/attendance",
            record_attendance,
        )
        .get(
            "/training/sessions/{session_id}/attendance.xlsx",
            attendance_xlsx,
        )
        .get("/institutions/{id}/training/{fy}", record_page)
}

fn audience_label(lang: Lang, a: Audience) -> String {
    lang.pick(a.label_ja(), a.label_en()).to_owned()
}

fn format_label(lang: Lang, f: Format) -> String {
    lang.pick(f.label_ja(), f.label_en()).to_owned()
}

fn status_label(lang: Lang, s: RegistrationStatus) -> String {
    lang.pick(s.label_ja(), s.label_en()).to_owned()
}

fn time_label(t: NaiveDateTime) -> String {
    t.format("%Y/%m/%d %H:%M").to_string()
}

fn course_title(lang: Lang, ja: &str, en: &str) -> String {
    lang.pick(ja, en).to_owned()
}

// ----- the sessions --------------------------------------------------------------------------

pub struct PlaceView {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub status_label: String,
    pub position: Option<i64>,
    pub can_cancel: bool,
}

pub struct SessionView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub audience: String,
    pub format: String,
    pub when: String,
    pub venue: String,
    pub deadline: String,
    pub capacity: u32,
    pub seats_left: i64,
    pub waitlisted: i64,
    pub availability: &'static str,
    pub withdrawn: bool,
    pub can_register: bool,
    pub mine: Vec<PlaceView>,
}

impl PlaceView {
    /// The place on the waitlist: 「（2番目）」, " (#2)"; empty when not waitlisted.
    pub fn position_text(&self, lang: &Lang) -> String {
        let lang = *lang;
        self.position.map_or_else(String::new, |n| {
            Message::new("training-waitlist-position")
                .with("position", n)
                .render(lang)
        })
    }
}

impl SessionView {
    /// The seats of the session: 「20名 · 残り 5席 · キャンセル待ち 2名」.
    pub fn seats_text(&self, lang: &Lang) -> String {
        let lang = *lang;
        let seats = Message::new("training-seats")
            .with("capacity", self.capacity)
            .with("left", self.seats_left)
            .render(lang);
        if self.waitlisted > 0 {
            let waitlist = Message::new("training-seats-waitlisted")
                .with("waitlisted", self.waitlisted)
                .render(lang);
            format!("{seats} · {waitlist}")
        } else {
            seats
        }
    }
}

#[derive(Template)]
#[template(path = "training.html")]
struct ListPage {
    chrome: Chrome,
    sessions: Vec<SessionView>,
    registers: bool,
    operator: bool,
    record_link: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(lang: Lang, code: Option<&str>) -> Option<String> {
    let key = match code? {
        "registered" => "training-notice-registered",
        "waitlisted" => "training-notice-waitlisted",
        "cancelled" => "training-notice-cancelled",
        "course" => "training-notice-course",
        "session" => "training-notice-session",
        "attendance" => "training-notice-attendance",
        "lecturer" => "training-notice-lecturer",
        "lecturer_updated" => "training-notice-lecturer-updated",
        "lecturer_deleted" => "training-notice-lecturer-deleted",
        "course_updated" => "training-notice-course-updated",
        "course_withdrawn" => "training-notice-course-withdrawn",
        "session_updated" => "training-notice-session-updated",
        "session_promoted" => "training-notice-session-promoted",
        "session_withdrawn" => "training-notice-session-withdrawn",
        _ => return None,
    };
    Some(lang.t(key))
}

/// The status of a page and the refusal it shows, if it shows one.
fn shown(refused: Option<AppError>, lang: Lang) -> (StatusCode, Option<String>) {
    match refused {
        Some(e) => (e.status(), Some(e.message_in(lang))),
        None => (StatusCode::OK, None),
    }
}

/// The choices of a course's audience, for a form.
pub fn audience_options(lang: Lang) -> Vec<(&'static str, String)> {
    Audience::ALL
        .iter()
        .map(|a| (a.as_str(), audience_label(lang, *a)))
        .collect()
}

/// The choices of a course's format, for a form.
pub fn format_options(lang: Lang) -> Vec<(&'static str, String)> {
    Format::ALL
        .iter()
        .map(|f| (f.as_str(), format_label(lang, *f)))
        .collect()
}

async fn list_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    refused: Option<AppError>,
    notice: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    let u = user.user();
    let sessions = state.store.training_sessions().await?;
    let registers = api::registering_institution(u).is_ok();
    let mine = api::own_places(state, u).await?;
    let now = now_in_japan();
    let operator = is_operator(u);
    let views = sessions
        .iter()
        .filter(|s| s.rules.ends_at >= now && listed_for(s, operator, &mine))
        .map(|s| {
            let open = availability(s, now);
            SessionView {
                id: s.id,
                title: course_title(lang, &s.course.title_ja, &s.course.title_en),
                description: course_title(lang, &s.course.description_ja, &s.course.description_en),
                audience: audience_label(lang, s.course.audience),
                format: format_label(lang, s.course.format),
                when: when_label(&s.rules),
                venue: s.venue.clone(),
                deadline: time_label(s.rules.deadline),
                capacity: s.rules.capacity,
                seats_left: (i64::from(s.rules.capacity) - s.seats_taken).max(0),
                waitlisted: s.waitlisted,
                availability: open.as_str(),
                withdrawn: s.is_withdrawn(),
                can_register: registers
                    && matches!(open, Availability::Open | Availability::WaitlistOnly),
                mine: mine
                    .iter()
                    .filter(|p| p.session_id == s.id && p.status != RegistrationStatus::Cancelled)
                    .map(|p| PlaceView {
                        id: p.id,
                        name: p.participant_name.clone(),
                        status: p.status.as_str(),
                        status_label: status_label(lang, p.status),
                        position: p.waitlist_position,
                        can_cancel: matches!(
                            p.status,
                            RegistrationStatus::Registered | RegistrationStatus::Waitlisted
                        ) && now < s.rules.starts_at
                            && !s.is_withdrawn(),
                    })
                    .collect(),
            }
        })
        .collect();
    let fy = FiscalYear::containing(now.date()).start_year();
    let (status, error) = shown(refused, lang);
    Ok(render(
        status,
        &ListPage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-title")),
            sessions: views,
            registers,
            operator,
            record_link: u
                .institution_id
                .filter(|_| registers)
                .map(|id| format!("/institutions/{id}/training/{fy}")),
            error,
            notice,
        },
    ))
}

async fn list_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(ctx.lang, q.notice.as_deref());
    list_view(&state, &ctx, &user, None, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    participant_name: Option<String>,
}

async fn register(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(session): Ids<SessionId>,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    // A missing name is checked after the caller's right to register, as an empty one.
    let name = form.participant_name.as_deref().unwrap_or_default();
    let result = api::register_for(&state, user.user(), session, name).await;
    match result {
        Ok(r) => Ok(redirect(&format!(
            "/training?notice={}#session-{session}",
            r.status.as_str()
        ))),
        Err(e) => list_view(&state, &ctx, &user, Some(form_refusal(e)?), None).await,
    }
}

async fn cancel(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(registration): Ids<OwnRegistrationId>,
) -> PageResult {
    match api::cancel_for(&state, user.user(), registration).await {
        Ok(_) => Ok(redirect("/training?notice=cancelled")),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            list_view(&state, &ctx, &user, Some(e), None).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

// ----- library and lecturers -----------------------------------------------------------------

pub struct MaterialView {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub source: String,
}

pub struct AudienceGroup {
    pub label: String,
    pub materials: Vec<MaterialView>,
}

pub struct LecturerView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub affiliation: String,
    pub fields: String,
}

#[derive(Template)]
#[template(path = "training_library.html")]
struct LibraryPage {
    chrome: Chrome,
    groups: Vec<AudienceGroup>,
    sources: Vec<String>,
    lecturers: Vec<LecturerView>,
    operator: bool,
    /// The add form as sent, with its field messages, when it was refused.
    form: LecturerFormView,
    errors: FormErrors,
    notice: Option<String>,
}

fn lecturer_kind_label(lang: Lang, kind: &str) -> String {
    match kind {
        "technician" => lang.text("training-technician"),
        _ => lang.text("training-lecturer"),
    }
    .to_owned()
}

async fn library_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    refused: Option<(StatusCode, FormErrors, LecturerFormView)>,
    notice: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    let library = &state.catalog.training;
    let groups = Audience::ALL
        .iter()
        .map(|a| AudienceGroup {
            label: audience_label(lang, *a),
            materials: library
                .for_audience(*a)
                .map(|m| MaterialView {
                    kind: lang.pick(m.kind.label_ja(), m.kind.label_en()).to_owned(),
                    title: lang.pick(&m.title_ja, &m.title_en).to_owned(),
                    description: lang.pick(&m.description_ja, &m.description_en).to_owned(),
                    url: m.url.clone(),
                    source: m.source.clone(),
                })
                .collect(),
        })
        .collect();
    let lecturers = state
        .store
        .training_lecturers()
        .await?
        .into_iter()
        .map(|l| LecturerView {
            id: l.id,
            kind: lecturer_kind_label(lang, &l.kind),
            name: l.name,
            affiliation: l.affiliation,
            fields: l.fields,
        })
        .collect();
    let (status, errors, form) = refused.unwrap_or_else(|| {
        (
            StatusCode::OK,
            FormErrors::default(),
            LecturerFormView::default(),
        )
    });
    Ok(render(
        status,
        &LibraryPage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-library-lecturers")),
            groups,
            sources: library.sources.clone(),
            lecturers,
            operator: is_operator(user.user()),
            form,
            errors,
            notice,
        },
    ))
}

async fn library_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(ctx.lang, q.notice.as_deref());
    library_view(&state, &ctx, &user, None, notice).await
}

async fn add_lecturer(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(form): Form<LecturerForm>,
) -> PageResult {
    let lang = ctx.lang;
    match api::add_lecturer_for(&state, user.user(), &form.input()).await {
        Ok(_) => Ok(redirect("/training/library?notice=lecturer#lecturers")),
        Err(e) => {
            let e = form_refusal(e)?;
            let refused = (e.status(), form_errors(lang, &e), form.view());
            library_view(&state, &ctx, &user, Some(refused), None).await
        }
    }
}

// ----- the operator's pages ------------------------------------------------------------------

pub struct ManagedSession {
    pub id: i64,
    pub title: String,
    pub when: String,
    pub capacity: u32,
    pub seats_taken: i64,
    pub waitlisted: i64,
    pub availability: &'static str,
    /// Not started and not withdrawn: it can still be changed or withdrawn.
    pub editable: bool,
}

pub struct ManagedCourse {
    pub id: i64,
    pub title: String,
    pub audience: String,
    pub format: String,
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "training_manage.html")]
struct ManagePage {
    chrome: Chrome,
    courses: Vec<(i64, String)>,
    course_rows: Vec<ManagedCourse>,
    audiences: Vec<(&'static str, String)>,
    formats: Vec<(&'static str, String)>,
    sessions: Vec<ManagedSession>,
    error: Option<String>,
    notice: Option<String>,
}

async fn manage_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    refused: Option<AppError>,
    notice: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    if !is_operator(user.user()) {
        return Err(PageError::from(AppError::forbidden()));
    }
    let courses = state.store.training_courses().await?;
    let sessions = state.store.training_sessions().await?;
    let now = now_in_japan();
    let (status, error) = shown(refused, lang);
    Ok(render(
        status,
        &ManagePage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-running-training")),
            course_rows: courses
                .iter()
                .map(|c| ManagedCourse {
                    id: c.id,
                    title: course_title(lang, &c.title_ja, &c.title_en),
                    audience: audience_label(lang, c.audience),
                    format: format_label(lang, c.format),
                    withdrawn: c.withdrawn_at.is_some(),
                })
                .collect(),
            courses: courses
                .iter()
                .filter(|c| c.withdrawn_at.is_none())
                .map(|c| {
                    (
                        c.id,
                        Message::new("training-course-option")
                            .with("title", course_title(lang, &c.title_ja, &c.title_en))
                            .with("audience", audience_label(lang, c.audience))
                            .with("format", format_label(lang, c.format))
                            .render(lang),
                    )
                })
                .collect(),
            audiences: audience_options(lang),
            formats: format_options(lang),
            sessions: sessions
                .iter()
                .map(|s: &SessionRecord| ManagedSession {
                    id: s.id,
                    title: course_title(lang, &s.course.title_ja, &s.course.title_en),
                    when: when_label(&s.rules),
                    capacity: s.rules.capacity,
                    seats_taken: s.seats_taken,
                    waitlisted: s.waitlisted,
                    availability: availability(s, now).as_str(),
                    editable: !s.is_withdrawn() && now < s.rules.starts_at,
                })
                .collect(),
            error,
            notice,
        },
    ))
}

async fn manage_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(ctx.lang, q.notice.as_deref());
    manage_view(&state, &ctx, &user, None, notice).await
}

/// The course form, to publish a course and to edit one (which also sends the `version` it
/// was loaded with).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CourseForm {
    pub version: String,
    pub title_ja: String,
    pub title_en: String,
    pub audience: String,
    pub format: String,
    pub description_ja: String,
    pub description_en: String,
}

impl CourseForm {
    pub fn input(&self) -> CourseInput {
        CourseInput {
            title_ja: self.title_ja.clone(),
            title_en: self.title_en.clone(),
            audience: self.audience.clone(),
            format: self.format.clone(),
            description_ja: self.description_ja.clone(),
            description_en: self.description_en.clone(),
        }
    }
}

/// The capacity typed in a session form.
pub fn form_capacity(text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::from(mamori_domain::ParseError::new(
            "capacity",
            Message::new("training-capacity-not-a-number"),
        ))
    })
}

async fn after_manage(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    result: Result<i64, AppError>,
    notice: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(redirect(&format!("/training/manage?notice={notice}"))),
        Err(e) => manage_view(state, ctx, user, Some(form_refusal(e)?), None).await,
    }
}

async fn create_course(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(form): Form<CourseForm>,
) -> PageResult {
    let result = api::create_course_for(&state, user.user(), &form.input()).await;
    after_manage(&state, &ctx, &user, result, "course").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SessionForm {
    course_id: String,
    starts_at: String,
    ends_at: String,
    registration_deadline: String,
    capacity: String,
    venue: String,
}

async fn create_session(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(form): Form<SessionForm>,
) -> PageResult {
    let result = async {
        if !is_operator(user.user()) {
            return Err(AppError::forbidden());
        }
        let course_id = form.course_id.trim().parse::<i64>().map_err(|_| {
            AppError::from(mamori_domain::ParseError::new(
                "course_id",
                Message::new("training-choose-course"),
            ))
        })?;
        let capacity = form_capacity(&form.capacity)?;
        let input = SessionInput {
            course_id,
            starts_at: form.starts_at.clone(),
            ends_at: form.ends_at.clone(),
            registration_deadline: form.registration_deadline.clone(),
            capacity,
            venue: form.venue.clone(),
        };
        api::create_session_for(&state, user.user(), &input).await
    }
    .await;
    after_manage(&state, &ctx, &user, result, "session").await
}

pub struct PlaceRow {
    pub id: i64,
    pub institution: String,
    pub name: String,
    pub status: &'static str,
    pub status_label: String,
    pub position: Option<i64>,
    pub registered_at: String,
    pub can_mark: bool,
    pub attended: bool,
}

#[derive(Template)]
#[template(path = "training_session.html")]
struct SessionPage {
    chrome: Chrome,
    id: i64,
    title: String,
    audience: String,
    format: String,
    when: String,
    venue: String,
    deadline: String,
    capacity: u32,
    seats_taken: i64,
    waitlisted: i64,
    started: bool,
    withdrawn: bool,
    places: Vec<PlaceRow>,
    error: Option<String>,
    notice: Option<String>,
}

async fn session_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    session: SessionId,
    refused: Option<AppError>,
    notice: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    let s = api::operator_session(state, user.user(), session).await?;
    let places = state.store.training_session_registrations(s.id).await?;
    let now = now_in_japan();
    let started = now >= s.rules.starts_at;
    let (status, error) = shown(refused, lang);
    Ok(render(
        status,
        &SessionPage {
            chrome: Chrome::new(ctx, Some(user), lang.t("training-participants-attendance")),
            id: s.id,
            title: course_title(lang, &s.course.title_ja, &s.course.title_en),
            audience: audience_label(lang, s.course.audience),
            format: format_label(lang, s.course.format),
            when: when_label(&s.rules),
            venue: s.venue.clone(),
            deadline: time_label(s.rules.deadline),
            capacity: s.rules.capacity,
            seats_taken: s.seats_taken,
            waitlisted: s.waitlisted,
            started,
            withdrawn: s.is_withdrawn(),
            places: places
                .into_iter()
                .map(|p| PlaceRow {
                    id: p.id,
                    institution: p.institution_name,
                    name: p.participant_name,
                    status: p.status.as_str(),
                    status_label: status_label(lang, p.status),
                    position: p.waitlist_position,
                    registered_at: api::instant_label(&p.created_at),
                    can_mark: started && p.status.holds_seat() && !s.is_withdrawn(),
                    attended: p.status == RegistrationStatus::Attended,
                })
                .collect(),
            error,
            notice,
        },
    ))
}

async fn session_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(session): Ids<SessionId>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(ctx.lang, q.notice.as_deref());
    session_view(&state, &ctx, &user, session, None, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AttendanceForm {
    attended: Option<String>,
}

async fn record_attendance(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(registration): Ids<RegistrationId>,
    Form(form): Form<AttendanceForm>,
) -> PageResult {
    if !is_operator(user.user()) {
        return Err(PageError::from(AppError::forbidden()));
    }
    let place = state
        .store
        .training_registration(registration.get())
        .await?
        .ok_or_else(|| PageError::from(AppError::not_found()))?;
    let attended = match form.attended.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Err(PageError::from(AppError::from(
                mamori_domain::ParseError::new(
                    "attended",
                    Message::new("training-attended-yes-or-no"),
                ),
            )));
        }
    };
    let session = SessionId::stored(place.session_id);
    match api::attendance_for(&state, user.user(), registration, attended).await {
        Ok(_) => Ok(redirect(&format!(
            "/training/sessions/{session}?notice=attendance"
        ))),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            session_view(&state, &ctx, &user, session, Some(e), None).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

async fn attendance_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Ids(session): Ids<SessionId>,
) -> PageResult {
    let s = api::operator_session(&state, user.user(), session).await?;
    api::attendance_file(&state, &s)
        .await
        .map_err(PageError::from)
}

// ----- an institution's record ---------------------------------------------------------------

pub struct RecordRow {
    pub title: String,
    pub audience: String,
    pub format: String,
    pub when: String,
    pub name: String,
    pub status: &'static str,
    pub status_label: String,
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "training_record.html")]
struct RecordPage {
    chrome: Chrome,
    institution_id: i64,
    institution_name: String,
    beds: i64,
    year_label: String,
    previous_year: i32,
    next_year: i32,
    obligation: &'static str,
    /// Whom the obligation binds, from the catalog's rule: 「許可病床400床以上の病院」.
    obligation_who: String,
    /// How often: 「年1回」, "once a year".
    obligation_per_year: String,
    attended: usize,
    rows: Vec<RecordRow>,
}

impl RecordPage {
    /// A sentence about the yearly obligation, worded from the catalog's rule.
    fn obligation_text(&self, key: &'static str) -> String {
        Message::new(key)
            .with("per_year", &self.obligation_per_year)
            .with("who", &self.obligation_who)
            .with("attended", self.attended)
            .with("beds", self.beds)
            .render(self.chrome.lang)
    }
}

/// Whom the yearly training obligation binds, in words, from the catalog's rule:
/// 「許可病床400床以上の病院」, "hospitals of 400 beds or more".
fn obligation_who(lang: Lang, rule: &ObligationRule) -> String {
    let kinds: Vec<&str> = rule
        .kinds
        .iter()
        .map(|k| {
            lang.text(match k {
                InstitutionKind::Hospital => "training-obligation-hospitals",
                InstitutionKind::ClinicWithBeds => "training-obligation-clinics-with-beds",
                InstitutionKind::ClinicWithoutBeds => "training-obligation-clinics-without-beds",
                InstitutionKind::Pharmacy => "training-obligation-pharmacies",
            })
        })
        .collect();
    Message::new("training-obligation-who")
        .with(
            "kinds",
            kinds.join(lang.text("training-obligation-kinds-joiner")),
        )
        .with("beds", rule.min_beds)
        .render(lang)
}

/// How often the rule asks for training: 「年1回」, "once a year".
fn obligation_per_year(lang: Lang, rule: &ObligationRule) -> String {
    Message::new("training-obligation-per-year")
        .with("count", rule.min_sessions)
        .render(lang)
}

async fn record_page(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): VisiblePage,
    Ids((_, fy_text)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let fy = FiscalYear::parse(&fy_text).map_err(|_| PageError::from(AppError::not_found()))?;
    service::record_read(&state, &principal, institution.id, "training").await?;
    let record = api::record_of(&state, &institution, fy).await?;
    let sessions = state.store.training_sessions().await?;
    let rows = record
        .lines
        .iter()
        .map(|l| RecordRow {
            title: course_title(lang, &l.course_title_ja, &l.course_title_en),
            audience: audience_label(lang, l.audience),
            format: format_label(lang, l.format),
            when: sessions
                .iter()
                .find(|s| s.id == l.session_id)
                .map(|s| when_label(&s.rules))
                .unwrap_or_default(),
            name: l.participant_name.clone(),
            status: l.status.as_str(),
            status_label: status_label(lang, l.status),
            withdrawn: l.session_withdrawn,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &RecordPage {
            chrome: Chrome::new(&ctx, Some(&user), lang.t("training-record-title")),
            institution_id: institution.id,
            institution_name: institution.name.clone(),
            beds: institution.beds,
            year_label: match lang {
                Lang::Ja => fy.era_label_ja(),
                Lang::En => fy.label_en(),
            },
            previous_year: fy.start_year() - 1,
            next_year: fy.start_year() + 1,
            obligation: match record.obligation {
                Obligation::Met => "met",
                Obligation::NotMet => "not_met",
                Obligation::NotSubject => "not_subject",
            },
            obligation_who: obligation_who(lang, &state.catalog.training_obligation),
            obligation_per_year: obligation_per_year(lang, &state.catalog.training_obligation),
            attended: record.attended,
            rows,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_obligation_banner_is_worded_from_the_rule() {
        let rule = ObligationRule {
            kinds: vec![InstitutionKind::Hospital],
            min_beds: 400,
            min_sessions: 1,
        };
        assert_eq!(obligation_who(Lang::Ja, &rule), "許可病床400床以上の病院");
        assert_eq!(
            obligation_who(Lang::En, &rule),
            "hospitals of 400 beds or more"
        );
        assert_eq!(obligation_per_year(Lang::Ja, &rule), "年1回");
        assert_eq!(obligation_per_year(Lang::En, &rule), "once a year");
        let wider = ObligationRule {
            kinds: vec![InstitutionKind::Hospital, InstitutionKind::ClinicWithBeds],
            min_beds: 10,
            min_sessions: 2,
        };
        assert_eq!(
            obligation_who(Lang::Ja, &wider),
            "許可病床10床以上の病院・有床診療所"
        );
        assert_eq!(
            obligation_who(Lang::En, &wider),
            "hospitals and clinics with beds of 10 beds or more"
        );
        assert_eq!(obligation_per_year(Lang::En, &wider), "twice a year");
    }
}
