//! Training (研修, MIST) over HTTP: the training operator publishes courses and sessions and
//! records attendance; an institution's users register their staff, cancel, and read their
//! training record per fiscal year with the yearly obligation of hospitals of 400 beds and
//! more. The rules are the domain's ([`mamori_domain::training`]); the store orders the
//! registrations of a session under its row lock. This module holds the JSON API and the
//! service functions the pages share.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use chrono::NaiveDateTime;
use mamori_domain::training::{
    Audience, Availability, Format, Obligation, ParticipantName, RegistrationStatus, SessionRules,
    TrainingError, yearly_obligation,
};
use mamori_domain::{FiscalYear, ParseError, Role};
use mamori_store::{
    CourseRecord, Institution, LecturerRecord, NewCourse, NewLecturer, NewSession, Registered,
    RegistrationRecord, SessionChange, SessionRecord, StoreError, User,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::ApiJson;
use crate::http::api::{Opening, Visible};
use crate::http::auth::ApiUser;
use crate::http::download::{XLSX_CONTENT_TYPE, attachment};
use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, ApiResult, AppError, ErrorBody};
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{
    CourseId, Ids, InstitutionId, LecturerId, OwnRegistrationId, RegistrationId, SessionId,
    unknown_course, unknown_lecturer, unknown_session,
};
use mamori_app as service;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, create_session))
        .routes(routes!(list_courses, create_course))
        .routes(routes!(update_course))
        .routes(routes!(withdraw_course))
        .routes(routes!(update_session))
        .routes(routes!(withdraw_session))
        .routes(routes!(list_lecturers, add_lecturer))
        .routes(routes!(update_lecturer, delete_lecturer))
        .routes(routes!(session_registrations, register))
        .routes(routes!(cancel))
        .routes(routes!(put_attendance))
        .routes(routes!(attendance_xlsx))
        .routes(routes!(institution_record))
        .routes(routes!(materials))
}

// ----- shared ---------------------------------------------------------------------------------

pub use mamori_app::now_in_japan;

/// Publishes courses and sessions and records attendance: the support desk's operator, and
/// the national office that commissions the programme.
pub fn is_operator(user: &User) -> bool {
    matches!(user.role, Role::SupportOperator | Role::NationalAdmin)
}

/// The caller of an operator's route: 401 without a caller, 403 `operator_only` for anyone
/// but the operator, before the path or the body is read.
pub struct Operator(pub User);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = ApiUser::from_request_parts(parts, state).await?;
        require_operator(&caller.user)?;
        Ok(Self(caller.user))
    }
}

pub fn require_operator(user: &User) -> Result<(), AppError> {
    if is_operator(user) {
        Ok(())
    } else {
        Err(AppError::rejected(
            StatusCode::FORBIDDEN,
            ErrorCode::OperatorOnly,
            Message::new("errors-operator-only"),
        ))
    }
}

/// The institution whose staff the caller registers: institution users only.
pub fn registering_institution(user: &User) -> Result<i64, AppError> {
    match (user.role, user.institution_id) {
        (Role::InstitutionAdmin | Role::InstitutionStaff, Some(id)) => Ok(id),
        _ => Err(AppError::rejected(
            StatusCode::FORBIDDEN,
            ErrorCode::InstitutionUsersOnly,
            Message::new("errors-institution-users-only"),
        )),
    }
}

/// The places of the caller's institution, when the caller registers for it; none otherwise.
pub async fn own_places(
    state: &AppState,
    user: &User,
) -> Result<Vec<RegistrationRecord>, AppError> {
    match registering_institution(user) {
        Ok(id) => Ok(state
            .store
            .training_registrations_of_institution(id)
            .await?),
        Err(_) => Ok(Vec::new()),
    }
}

/// A store's "not found" as the record's own refusal (`unknown_course`…).
fn unknown_if_missing(unknown: fn() -> AppError) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => unknown(),
        other => other.into(),
    }
}

/// A training change as the store settled it: a missing record as `unknown`, a rule's
/// refusal as its error.
fn settled<T>(
    result: Result<Result<T, TrainingError>, StoreError>,
    unknown: fn() -> AppError,
) -> Result<T, AppError> {
    result
        .map_err(unknown_if_missing(unknown))?
        .map_err(|e| training_error(&e))
}

pub fn training_error(e: &TrainingError) -> AppError {
    let status = match e {
        TrainingError::NotYours => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    AppError::rejected(status, ErrorCode::of_rule(e.code()), e.message())
}

/// Parses a date and time in Japan time: `2026-12-01T16:00`, with seconds, or with a space.
pub fn parse_time(field: &'static str, text: &str) -> Result<NaiveDateTime, AppError> {
    let text = text.trim();
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            // Four-digit years only, so that stored times keep comparing as text.
            if !(2000..=2100).contains(&chrono::Datelike::year(&t)) {
                let message = Message::new("training-time-out-of-range").with("text", text);
                return Err(ParseError::new(field, message).into());
            }
            return Ok(t);
        }
    }
    let message = Message::new("training-not-a-time").with("text", text);
    Err(ParseError::new(field, message).into())
}

/// A field's text; `label` is the message naming the field (Japanese names it, English
/// gives the field itself).
fn required_text(
    field: &'static str,
    label: &str,
    text: &str,
    max: usize,
) -> Result<String, AppError> {
    let text = text.trim();
    let label = Lang::Ja.text(label);
    if text.is_empty() {
        let message = Message::new("training-field-required")
            .with("label", label)
            .with("field", field);
        return Err(ParseError::new(field, message).into());
    }
    if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n') {
        let message = Message::new("training-field-too-long")
            .with("label", label)
            .with("field", field)
            .with("max", max);
        return Err(ParseError::new(field, message).into());
    }
    Ok(text.to_owned())
}

// ----- service: what the API and the pages share ----------------------------------------------

/// The fields of a new course, as text from a form or JSON.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CourseInput {
    pub title_ja: String,
    /// Defaults to the Japanese title.
    #[serde(default)]
    pub title_en: String,
    /// `executive` (経営者), `manager` (システム・セキュリティ管理者), `beginner`
    /// (初学者・医療従事者) or `introductory` (導入研修).
    pub audience: String,
    /// `online`, `e_learning`, `workshop` or `site_visit`.
    pub format: String,
    #[serde(default)]
    pub description_ja: String,
    #[serde(default)]
    pub description_en: String,
}

/// Checks a course's fields, as published or as edited.
fn course_fields(input: &CourseInput) -> Result<NewCourse, AppError> {
    let title_ja = required_text("title_ja", "training-label-title", &input.title_ja, 200)?;
    let title_en = if input.title_en.trim().is_empty() {
        title_ja.clone()
    } else {
        required_text("title_en", "training-label-title-en", &input.title_en, 200)?
    };
    let audience = Audience::parse(&input.audience)?;
    let format = Format::parse(&input.format)?;
    let description = |field, text: &str| -> Result<String, AppError> {
        if text.trim().is_empty() {
            Ok(String::new())
        } else {
            required_text(field, "training-label-description", text, 2000)
        }
    };
    Ok(NewCourse {
        title_ja,
        title_en,
        audience,
        format,
        description_ja: description("description_ja", &input.description_ja)?,
        description_en: description("description_en", &input.description_en)?,
    })
}

pub async fn create_course_for(
    state: &AppState,
    user: &User,
    input: &CourseInput,
) -> Result<i64, AppError> {
    require_operator(user)?;
    let new = course_fields(input)?;
    Ok(state
        .store
        .create_training_course(&new, Some(user.id))
        .await?)
}

/// The fields of a new session.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionInput {
    pub course_id: i64,
    /// Japan time, e.g. `2026-12-01T16:00`.
    pub starts_at: String,
    pub ends_at: String,
    /// 申込締切, Japan time; registrations are taken until this minute.
    pub registration_deadline: String,
    pub capacity: i64,
    /// Where: `オンライン（Zoom）`, a hospital's address …
    pub venue: String,
}

/// Checks a session's times, capacity and place, as published or as edited.
fn session_fields(
    starts_at: &str,
    ends_at: &str,
    registration_deadline: &str,
    capacity: i64,
    venue: &str,
) -> Result<SessionChange, AppError> {
    let rules = SessionRules::new(
        parse_time("starts_at", starts_at)?,
        parse_time("ends_at", ends_at)?,
        parse_time("registration_deadline", registration_deadline)?,
        capacity,
    )?;
    let venue = required_text("venue", "training-label-venue", venue, 200)?;
    Ok(SessionChange { rules, venue })
}

pub async fn create_session_for(
    state: &AppState,
    user: &User,
    input: &SessionInput,
) -> Result<i64, AppError> {
    require_operator(user)?;
    let SessionChange { rules, venue } = session_fields(
        &input.starts_at,
        &input.ends_at,
        &input.registration_deadline,
        input.capacity,
        &input.venue,
    )?;
    let new = NewSession {
        course_id: input.course_id,
        rules,
        venue,
    };
    state
        .store
        .create_training_session(&new, Some(user.id))
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::NotFound => AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownCourse,
                Message::new("errors-unknown-course-id")
                    .with("course", input.course_id.to_string()),
            ),
            other => other.into(),
        })?
        .map_err(|e| training_error(&e))
}

/// A course's fields as edited, on the version the form or client loaded.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CourseEdit {
    /// The course's `version` when it was read: an edit made on an older one is refused
    /// with 409 `stale_edit`.
    pub version: i64,
    #[serde(flatten)]
    pub course: CourseInput,
}

/// Changes a published course; returns its new version.
pub async fn update_course_for(
    state: &AppState,
    user: &User,
    course: CourseId,
    edit: &CourseEdit,
) -> Result<i64, AppError> {
    require_operator(user)?;
    let id = course.get();
    let change = course_fields(&edit.course)?;
    settled(
        state
            .store
            .update_training_course(id, edit.version, &change, user.id)
            .await,
        unknown_course,
    )
}

/// Withdraws (中止) a course and its sessions not yet started; returns those sessions.
pub async fn withdraw_course_for(
    state: &AppState,
    user: &User,
    course: CourseId,
) -> Result<Vec<i64>, AppError> {
    require_operator(user)?;
    let id = course.get();
    settled(
        state
            .store
            .withdraw_training_course(id, user.id, now_in_japan())
            .await,
        unknown_course,
    )
}

/// A session's times, capacity and place as edited, on the version loaded.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionEdit {
    /// The session's `version` when it was read: an edit made on an older one is refused
    /// with 409 `stale_edit`.
    pub version: i64,
    /// Japan time, e.g. `2026-12-01T16:00`.
    pub starts_at: String,
    pub ends_at: String,
    /// 申込締切, Japan time; not after the start.
    pub registration_deadline: String,
    /// Not below the seats already taken (409 `capacity_below_seats`); a larger capacity
    /// moves the waitlist up in order.
    pub capacity: i64,
    /// Where: a place or the URL of the online session.
    pub venue: String,
}

/// Changes a session; returns the places that moved up from the waitlist.
pub async fn update_session_for(
    state: &AppState,
    user: &User,
    session: SessionId,
    edit: &SessionEdit,
) -> Result<Vec<i64>, AppError> {
    require_operator(user)?;
    let id = session.get();
    let change = session_fields(
        &edit.starts_at,
        &edit.ends_at,
        &edit.registration_deadline,
        edit.capacity,
        &edit.venue,
    )?;
    settled(
        state
            .store
            .update_training_session(id, edit.version, &change, user.id, now_in_japan())
            .await,
        unknown_session,
    )
}

/// Withdraws (中止) a session; its places are kept and marked.
pub async fn withdraw_session_for(
    state: &AppState,
    user: &User,
    session: SessionId,
) -> Result<(), AppError> {
    require_operator(user)?;
    let id = session.get();
    settled(
        state
            .store
            .withdraw_training_session(id, user.id, now_in_japan())
            .await,
        unknown_session,
    )
}

/// An entry of the list of lecturers and technicians (講師・技術者リスト).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LecturerInput {
    /// 氏名
    pub name: String,
    /// `lecturer` (講師) or `technician` (技術者).
    pub kind: String,
    /// 所属 (optional).
    #[serde(default)]
    pub affiliation: String,
    /// 分野: what they teach or support, as one line.
    pub fields: String,
}

fn lecturer_field(
    field: &'static str,
    label: &str,
    text: &str,
    required: bool,
) -> Result<String, AppError> {
    let text = text.trim();
    let label = Lang::Ja.text(label);
    if required && text.is_empty() {
        let message = Message::new("training-field-required")
            .with("label", label)
            .with("field", field);
        return Err(ParseError::new(field, message).into());
    }
    if text.chars().count() > 200 || text.chars().any(char::is_control) {
        let message = Message::new("training-field-too-long")
            .with("label", label)
            .with("field", field)
            .with("max", 200);
        return Err(ParseError::new(field, message).into());
    }
    Ok(text.to_owned())
}

/// Checks an entry of the list.
pub fn lecturer_fields(input: &LecturerInput) -> Result<NewLecturer, AppError> {
    let kind = match input.kind.trim() {
        k @ ("lecturer" | "technician") => k.to_owned(),
        other => {
            let message = Message::new("training-invalid-lecturer-kind").with("value", other);
            return Err(ParseError::new("kind", message).into());
        }
    };
    Ok(NewLecturer {
        name: lecturer_field("name", "training-label-name", &input.name, true)?,
        kind,
        affiliation: lecturer_field(
            "affiliation",
            "training-label-affiliation",
            &input.affiliation,
            false,
        )?,
        fields: lecturer_field("fields", "training-label-fields", &input.fields, true)?,
    })
}

pub async fn add_lecturer_for(
    state: &AppState,
    user: &User,
    input: &LecturerInput,
) -> Result<i64, AppError> {
    require_operator(user)?;
    let new = lecturer_fields(input)?;
    Ok(state.store.add_training_lecturer(&new, user.id).await?)
}

/// An entry the operator edits or removes; "not found" for an unknown id.
pub async fn operator_lecturer(
    state: &AppState,
    user: &User,
    lecturer: LecturerId,
) -> Result<LecturerRecord, AppError> {
    require_operator(user)?;
    let id = lecturer.get();
    state
        .store
        .training_lecturer(id)
        .await?
        .ok_or_else(unknown_lecturer)
}

pub async fn update_lecturer_for(
    state: &AppState,
    user: &User,
    lecturer: LecturerId,
    input: &LecturerInput,
) -> Result<(), AppError> {
    require_operator(user)?;
    let id = lecturer.get();
    let change = lecturer_fields(input)?;
    state
        .store
        .update_training_lecturer(id, &change, user.id)
        .await
        .map_err(unknown_if_missing(unknown_lecturer))
}

pub async fn delete_lecturer_for(
    state: &AppState,
    user: &User,
    lecturer: LecturerId,
) -> Result<(), AppError> {
    require_operator(user)?;
    let id = lecturer.get();
    state
        .store
        .delete_training_lecturer(id, user.id)
        .await
        .map_err(unknown_if_missing(unknown_lecturer))
}

/// Registers a participant of the caller's institution.
pub async fn register_for(
    state: &AppState,
    user: &User,
    session: SessionId,
    participant_name: &str,
) -> Result<Registered, AppError> {
    let institution_id = registering_institution(user)?;
    let session_id = session.get();
    let name = ParticipantName::parse(participant_name)?;
    settled(
        state
            .store
            .register_for_training(session_id, institution_id, &name, user.id, now_in_japan())
            .await,
        unknown_session,
    )
}

/// Cancels a place of the caller's institution.
pub async fn cancel_for(
    state: &AppState,
    user: &User,
    registration: OwnRegistrationId,
) -> Result<mamori_domain::training::Cancellation, AppError> {
    let institution_id = registering_institution(user).map_err(|_| {
        // Nobody outside an institution holds a place: the same answer as another's place.
        training_error(&TrainingError::NotYours)
    })?;
    let id = registration.get();
    state
        .store
        .cancel_training_registration(id, institution_id, user.id, now_in_japan())
        .await?
        .map_err(|e| training_error(&e))
}

/// Records (or takes back) the attendance of a place.
pub async fn attendance_for(
    state: &AppState,
    user: &User,
    registration: RegistrationId,
    attended: bool,
) -> Result<RegistrationStatus, AppError> {
    require_operator(user)?;
    let id = registration.get();
    state
        .store
        .set_training_attendance(id, attended, user.id, now_in_japan())
        .await?
        .map_err(|e| training_error(&e))
}

/// A session the operator looks at; "not found" for an unknown id.
pub async fn operator_session(
    state: &AppState,
    user: &User,
    session: SessionId,
) -> Result<SessionRecord, AppError> {
    require_operator(user)?;
    let id = session.get();
    state
        .store
        .training_session(id)
        .await?
        .ok_or_else(unknown_session)
}

/// `2026/12/01 16:00–18:00` (same day) or with both dates.
pub fn when_label(rules: &SessionRules) -> String {
    let start = rules.starts_at.format("%Y/%m/%d %H:%M");
    if rules.starts_at.date() == rules.ends_at.date() {
        format!("{start}–{}", rules.ends_at.format("%H:%M"))
    } else {
        format!("{start}–{}", rules.ends_at.format("%Y/%m/%d %H:%M"))
    }
}

/// `2026/11/24 10:05` for a stored RFC 3339 instant, in Japan time.
pub fn instant_label(at: &str) -> String {
    mamori_app::instant_in_japan(at)
        .map_or_else(|| at.to_owned(), |t| t.format("%Y/%m/%d %H:%M").to_string())
}

/// The attendance list of a session as an .xlsx download.
pub async fn attendance_file(
    state: &AppState,
    session: &SessionRecord,
) -> Result<Response, AppError> {
    use mamori_reports::training_attendance::{AttendanceRow, SessionHeading, export_attendance};
    let places = state
        .store
        .training_session_registrations(session.id)
        .await?;
    let when = when_label(&session.rules);
    let times: Vec<String> = places
        .iter()
        .map(|p| instant_label(&p.created_at))
        .collect();
    let rows: Vec<AttendanceRow<'_>> = places
        .iter()
        .zip(&times)
        .map(|(p, at)| AttendanceRow {
            institution_name: &p.institution_name,
            participant_name: &p.participant_name,
            status: p.status,
            waitlist_position: p.waitlist_position,
            registered_at: at,
        })
        .collect();
    let bytes = export_attendance(
        &SessionHeading {
            course_title: &session.course.title_ja,
            audience: session.course.audience,
            format: session.course.format,
            when: &when,
            venue: &session.venue,
            capacity: session.rules.capacity,
        },
        &rows,
    )
    .map_err(|e| AppError::internal(e.to_string()))?;
    let name = format!(
        "attendance_{}_{}.xlsx",
        session.id,
        session.rules.starts_at.format("%Y%m%d")
    );
    Ok(attachment(XLSX_CONTENT_TYPE, &name, bytes))
}

/// One line of an institution's training record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordLine {
    pub registration_id: i64,
    pub session_id: i64,
    pub course_title_ja: String,
    pub course_title_en: String,
    #[schema(value_type = String)]
    pub audience: Audience,
    #[schema(value_type = String)]
    pub format: Format,
    /// Japan time, `YYYY-MM-DDTHH:MM:SS`.
    pub starts_at: String,
    pub participant_name: String,
    /// `registered`, `waitlisted`, `cancelled` or `attended`.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waitlist_position: Option<i64>,
    /// The operator withdrew (中止) the session: 「この回は中止になりました」.
    pub session_withdrawn: bool,
}

/// An institution's staff training in one fiscal year, with the yearly obligation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingRecord {
    pub institution_id: i64,
    pub fiscal_year: i32,
    /// Bound by the rule of `catalog/training/obligation.toml` (許可病床400床以上の病院): the
    /// 診療録管理体制加算 asks for staff training at least once a year.
    pub subject_to_obligation: bool,
    /// `met`, `not_met` or `not_subject`.
    #[schema(value_type = String)]
    pub obligation: Obligation,
    /// Places recorded as attended in the year.
    pub attended: usize,
    pub lines: Vec<RecordLine>,
}

pub async fn record_of(
    state: &AppState,
    institution: &Institution,
    fy: FiscalYear,
) -> Result<TrainingRecord, AppError> {
    let sessions: HashMap<i64, SessionRecord> = state
        .store
        .training_sessions()
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let places = state
        .store
        .training_registrations_of_institution(institution.id)
        .await?;
    let mut lines: Vec<RecordLine> = places
        .iter()
        .filter_map(|p| sessions.get(&p.session_id).map(|s| (p, s)))
        .filter(|(_, s)| fy.contains(s.rules.starts_at.date()))
        .map(|(p, s)| record_line(p, s))
        .collect();
    lines.sort_by(|a, b| (&a.starts_at, a.registration_id).cmp(&(&b.starts_at, b.registration_id)));
    let attended = lines
        .iter()
        .filter(|l| l.status == RegistrationStatus::Attended)
        .count();
    let obligation = yearly_obligation(
        &state.catalog.training_obligation,
        institution.kind,
        institution.beds,
        attended,
    );
    Ok(TrainingRecord {
        institution_id: institution.id,
        fiscal_year: fy.start_year(),
        subject_to_obligation: obligation != Obligation::NotSubject,
        obligation,
        attended,
        lines,
    })
}

pub fn record_line(p: &RegistrationRecord, s: &SessionRecord) -> RecordLine {
    RecordLine {
        registration_id: p.id,
        session_id: s.id,
        course_title_ja: s.course.title_ja.clone(),
        course_title_en: s.course.title_en.clone(),
        audience: s.course.audience,
        format: s.course.format,
        starts_at: s
            .rules
            .starts_at
            .format(mamori_store::TRAINING_TIME_FORMAT)
            .to_string(),
        participant_name: p.participant_name.clone(),
        status: p.status,
        waitlist_position: p.waitlist_position,
        session_withdrawn: s.is_withdrawn(),
    }
}

// ----- JSON API ---------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct CourseJson {
    id: i64,
    title_ja: String,
    title_en: String,
    #[schema(value_type = String)]
    audience: Audience,
    #[schema(value_type = String)]
    format: Format,
    description_ja: String,
    description_en: String,
    /// Send it back with an edit (`PUT`); raised by every edit.
    version: i64,
    /// RFC 3339, when the course was withdrawn (中止).
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawn_at: Option<String>,
}

fn course_json(c: &CourseRecord) -> CourseJson {
    CourseJson {
        id: c.id,
        title_ja: c.title_ja.clone(),
        title_en: c.title_en.clone(),
        audience: c.audience,
        format: c.format,
        description_ja: c.description_ja.clone(),
        description_en: c.description_en.clone(),
        version: c.version,
        withdrawn_at: c.withdrawn_at.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CourseList {
    courses: Vec<CourseJson>,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// The courses published (any signed-in user).
#[utoipa::path(get, path = "/api/v1/training/courses", tag = "training", security(("bearer" = [])),
    responses((status = 200, body = CourseList), (status = 401, body = ErrorBody)))]
pub async fn list_courses(
    State(state): State<AppState>,
    _caller: ApiUser,
) -> ApiResult<Json<CourseList>> {
    let courses = state.store.training_courses().await?;
    Ok(Json(CourseList {
        courses: courses.iter().map(course_json).collect(),
    }))
}

/// Publishes a course (training operator).
#[utoipa::path(post, path = "/api/v1/training/courses", tag = "training", security(("bearer" = [])), request_body = CourseInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_course(
    State(state): State<AppState>,
    Operator(user): Operator,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = create_course_for(&state, &user, &ApiJson::parse(&body)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Serialize, ToSchema)]
pub struct MyPlace {
    registration_id: i64,
    participant_name: String,
    /// `registered`, `waitlisted`, `cancelled` or `attended`.
    #[schema(value_type = String)]
    status: RegistrationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    waitlist_position: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    id: i64,
    course: CourseJson,
    /// Japan time, `YYYY-MM-DDTHH:MM:SS`.
    starts_at: String,
    ends_at: String,
    registration_deadline: String,
    capacity: u32,
    seats_taken: i64,
    seats_left: i64,
    waitlisted: i64,
    /// `open` (seats left), `waitlist_only` (full: a registration is waitlisted), `closed`
    /// (the deadline has passed or the session has started) or `withdrawn` (中止).
    #[schema(value_type = String)]
    availability: Availability,
    venue: String,
    /// Send it back with an edit (`PUT`); raised by every edit, not by registrations.
    version: i64,
    /// RFC 3339, when the operator withdrew (中止) the session. Its places are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawn_at: Option<String>,
    /// For a withdrawn session: 「この回は中止になりました」 and its English.
    #[serde(skip_serializing_if = "Option::is_none")]
    notice_ja: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice_en: Option<String>,
    /// The places of the caller's institution in this session.
    my_registrations: Vec<MyPlace>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    sessions: Vec<SessionJson>,
}

pub fn availability(s: &SessionRecord, now: NaiveDateTime) -> Availability {
    if s.is_withdrawn() {
        Availability::Withdrawn
    } else if !s.rules.taking_registrations(now) {
        Availability::Closed
    } else if s.seats_taken < i64::from(s.rules.capacity) {
        Availability::Open
    } else {
        Availability::WaitlistOnly
    }
}

/// Whether a session is listed for the caller: a withdrawn (中止) session leaves the open
/// lists but stays visible to the operator and to institutions with a place in it, so that
/// their registrants learn it was withdrawn.
pub fn listed_for(s: &SessionRecord, operator: bool, mine: &[RegistrationRecord]) -> bool {
    !s.is_withdrawn()
        || operator
        || mine
            .iter()
            .any(|p| p.session_id == s.id && p.status != RegistrationStatus::Cancelled)
}

/// Every session with its seats, and the places of the caller's institution (any signed-in
/// user). A withdrawn session is listed only for the operator and for institutions that
/// have a place in it, with `availability` `withdrawn` and the notice.
#[utoipa::path(get, path = "/api/v1/training/sessions", tag = "training", security(("bearer" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: ApiUser,
) -> ApiResult<Json<SessionList>> {
    let sessions = state.store.training_sessions().await?;
    let mine = own_places(&state, &caller.user).await?;
    let now = now_in_japan();
    let operator = is_operator(&caller.user);
    let fmt = |t: NaiveDateTime| t.format(mamori_store::TRAINING_TIME_FORMAT).to_string();
    Ok(Json(SessionList {
        sessions: sessions
            .iter()
            .filter(|s| listed_for(s, operator, &mine))
            .map(|s| SessionJson {
                id: s.id,
                course: course_json(&s.course),
                starts_at: fmt(s.rules.starts_at),
                ends_at: fmt(s.rules.ends_at),
                registration_deadline: fmt(s.rules.deadline),
                capacity: s.rules.capacity,
                seats_taken: s.seats_taken,
                seats_left: (i64::from(s.rules.capacity) - s.seats_taken).max(0),
                waitlisted: s.waitlisted,
                availability: availability(s, now),
                venue: s.venue.clone(),
                version: s.version,
                withdrawn_at: s.withdrawn_at.clone(),
                notice_ja: s.is_withdrawn().then(|| {
                    TrainingError::SessionWithdrawn
                        .message()
                        .render(crate::http::i18n::Lang::Ja)
                }),
                notice_en: s.is_withdrawn().then(|| {
                    TrainingError::SessionWithdrawn
                        .message()
                        .render(crate::http::i18n::Lang::En)
                }),
                my_registrations: mine
                    .iter()
                    .filter(|p| p.session_id == s.id)
                    .map(|p| MyPlace {
                        registration_id: p.id,
                        participant_name: p.participant_name.clone(),
                        status: p.status,
                        waitlist_position: p.waitlist_position,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

/// Publishes a session of a course (training operator).
#[utoipa::path(post, path = "/api/v1/training/sessions", tag = "training", security(("bearer" = [])), request_body = SessionInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    Operator(user): Operator,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = create_session_for(&state, &user, &ApiJson::parse(&body)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// 受講者名: the staff member who will attend.
    participant_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationJson {
    registration_id: i64,
    /// `registered` (a seat) or `waitlisted` (the session is full).
    #[schema(value_type = String)]
    status: RegistrationStatus,
}

/// Registers a staff member of the caller's institution: a seat while seats are left, the
/// waitlist once the session is full; refused after the deadline and for a participant
/// already registered.
#[utoipa::path(post, path = "/api/v1/training/sessions/{session_id}/registrations", tag = "training", security(("bearer" = [])),
    params(("session_id" = i64, Path)), request_body = RegistrationRequest,
    responses((status = 201, body = RegistrationJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(session): Ids<SessionId>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RegistrationJson>)> {
    registering_institution(&caller.user)?;
    let request: RegistrationRequest = ApiJson::parse(&body)?;
    let registered = register_for(&state, &caller.user, session, &request.participant_name).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegistrationJson {
            registration_id: registered.id,
            status: registered.status,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SessionPlace {
    registration_id: i64,
    institution_id: i64,
    institution_name: String,
    participant_name: String,
    #[schema(value_type = String)]
    status: RegistrationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    waitlist_position: Option<i64>,
    /// RFC 3339.
    registered_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionPlaces {
    session_id: i64,
    registrations: Vec<SessionPlace>,
}

/// Every place of a session, in order of arrival (training operator).
#[utoipa::path(get, path = "/api/v1/training/sessions/{session_id}/registrations", tag = "training", security(("bearer" = [])),
    params(("session_id" = i64, Path)),
    responses((status = 200, body = SessionPlaces), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn session_registrations(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(session): Ids<SessionId>,
) -> ApiResult<Json<SessionPlaces>> {
    let session = operator_session(&state, &user, session).await?;
    let places = state
        .store
        .training_session_registrations(session.id)
        .await?;
    Ok(Json(SessionPlaces {
        session_id: session.id,
        registrations: places
            .into_iter()
            .map(|p| SessionPlace {
                registration_id: p.id,
                institution_id: p.institution_id,
                institution_name: p.institution_name,
                participant_name: p.participant_name,
                status: p.status,
                waitlist_position: p.waitlist_position,
                registered_at: p.created_at,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    registration_id: i64,
    /// Always `cancelled`.
    status: String,
    /// How many waitlisted places took the freed seat.
    promoted: usize,
}

/// Cancels a place of the caller's institution; the first on the waitlist moves up.
#[utoipa::path(delete, path = "/api/v1/training/registrations/{registration_id}", tag = "training", security(("bearer" = [])),
    params(("registration_id" = i64, Path)),
    responses((status = 200, body = Cancelled), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(registration): Ids<OwnRegistrationId>,
) -> ApiResult<Json<Cancelled>> {
    let c = cancel_for(&state, &caller.user, registration).await?;
    Ok(Json(Cancelled {
        registration_id: c.cancelled,
        status: "cancelled".into(),
        promoted: c.promoted.len(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRequest {
    attended: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceJson {
    registration_id: i64,
    /// `attended` or `registered`.
    #[schema(value_type = String)]
    status: RegistrationStatus,
}

/// Records that a participant attended, or takes it back (training operator), from the
/// session's start.
#[utoipa::path(put, path = "/api/v1/training/registrations/{registration_id}/attendance", tag = "training", security(("bearer" = [])),
    params(("registration_id" = i64, Path)), request_body = AttendanceRequest,
    responses((status = 200, body = AttendanceJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_attendance(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(registration): Ids<RegistrationId>,
    body: Bytes,
) -> ApiResult<Json<AttendanceJson>> {
    let request: AttendanceRequest = ApiJson::parse(&body)?;
    let status = attendance_for(&state, &user, registration, request.attended).await?;
    let registration_id = registration.get();
    Ok(Json(AttendanceJson {
        registration_id,
        status,
    }))
}

/// The attendance list of a session as .xlsx (training operator).
#[utoipa::path(get, path = "/api/v1/training/sessions/{session_id}/attendance.xlsx", tag = "training", security(("bearer" = [])),
    params(("session_id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn attendance_xlsx(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(session): Ids<SessionId>,
) -> ApiResult<Response> {
    let session = operator_session(&state, &user, session).await?;
    Ok(attendance_file(&state, &session).await?)
}

/// An institution's staff training in a fiscal year, and whether a hospital of 400 beds and
/// more has met the yearly training obligation (those who see the institution).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/training/{fiscal_year}", tag = "training", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = TrainingRecord), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn institution_record(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<TrainingRecord>> {
    let fy = FiscalYear::parse(&fiscal_year)?;
    service::record_read(&state, &principal, institution.id, "training").await?;
    Ok(Json(record_of(&state, &institution, fy).await?))
}

#[derive(Serialize, ToSchema)]
pub struct MaterialJson {
    id: String,
    /// `portal`, `e_learning`, `course_outline` or `document`.
    kind: String,
    audiences: Vec<String>,
    title_ja: String,
    title_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    description_ja: String,
    description_en: String,
    source: String,
}

#[derive(Serialize, ToSchema)]
pub struct MaterialList {
    materials: Vec<MaterialJson>,
    sources: Vec<String>,
}

/// The content library: materials per audience and e-learning links (any signed-in user).
#[utoipa::path(get, path = "/api/v1/training/materials", tag = "training", security(("bearer" = [])),
    responses((status = 200, body = MaterialList), (status = 401, body = ErrorBody)))]
pub async fn materials(
    State(state): State<AppState>,
    _caller: ApiUser,
) -> ApiResult<Json<MaterialList>> {
    use mamori_catalog::training::MaterialKind;
    let library = &state.catalog.training;
    Ok(Json(MaterialList {
        materials: library
            .materials
            .iter()
            .map(|m| MaterialJson {
                id: m.id.clone(),
                kind: match m.kind {
                    MaterialKind::Portal => "portal",
                    MaterialKind::ELearning => "e_learning",
                    MaterialKind::CourseOutline => "course_outline",
                    MaterialKind::Document => "document",
                }
                .into(),
                audiences: m.audiences.iter().map(|a| a.as_str().to_owned()).collect(),
                title_ja: m.title_ja.clone(),
                title_en: m.title_en.clone(),
                url: m.url.clone(),
                description_ja: m.description_ja.clone(),
                description_en: m.description_en.clone(),
                source: m.source.clone(),
            })
            .collect(),
        sources: library.sources.clone(),
    }))
}

// ----- editing and withdrawing ------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct Versioned {
    id: i64,
    /// The version after the edit.
    version: i64,
}

/// Changes a published course (training operator): title, audience, format, description.
/// `version` is the one read; an older one is a stale edit (409 `stale_edit`). A withdrawn
/// course is not changed (409 `course_withdrawn`).
#[utoipa::path(put, path = "/api/v1/training/courses/{course_id}", tag = "training", security(("bearer" = [])),
    params(("course_id" = i64, Path)), request_body = CourseEdit,
    responses((status = 200, body = Versioned), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_course(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(course): Ids<CourseId>,
    body: Bytes,
) -> ApiResult<Json<Versioned>> {
    let edit: CourseEdit = ApiJson::parse(&body)?;
    let version = update_course_for(&state, &user, course, &edit).await?;
    let id = course.get();
    Ok(Json(Versioned { id, version }))
}

#[derive(Serialize, ToSchema)]
pub struct Withdrawn {
    id: i64,
    /// Always true.
    withdrawn: bool,
    /// The sessions withdrawn with it (for a course: those not yet started).
    sessions_withdrawn: Vec<i64>,
}

/// Withdraws (中止) a course and every session of it not yet started (training operator).
/// Sessions already held keep their attendance. No body.
#[utoipa::path(post, path = "/api/v1/training/courses/{course_id}/withdraw", tag = "training", security(("bearer" = [])),
    params(("course_id" = i64, Path)),
    responses((status = 200, body = Withdrawn), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw_course(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(course): Ids<CourseId>,
) -> ApiResult<Json<Withdrawn>> {
    let sessions = withdraw_course_for(&state, &user, course).await?;
    Ok(Json(Withdrawn {
        id: course.get(),
        withdrawn: true,
        sessions_withdrawn: sessions,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SessionUpdated {
    id: i64,
    version: i64,
    /// Registrations that moved up from the waitlist into the new seats, in order.
    promoted: Vec<i64>,
}

/// Changes a session (training operator): date and time, place or URL, capacity, deadline.
/// Refused once the session has started; a capacity below the seats taken is refused (409
/// `capacity_below_seats`); a larger capacity moves the waitlist up in order; an edit on an
/// older `version` is refused (409 `stale_edit`).
#[utoipa::path(put, path = "/api/v1/training/sessions/{session_id}", tag = "training", security(("bearer" = [])),
    params(("session_id" = i64, Path)), request_body = SessionEdit,
    responses((status = 200, body = SessionUpdated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_session(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(session): Ids<SessionId>,
    body: Bytes,
) -> ApiResult<Json<SessionUpdated>> {
    let edit: SessionEdit = ApiJson::parse(&body)?;
    let promoted = update_session_for(&state, &user, session, &edit).await?;
    Ok(Json(SessionUpdated {
        id: session.get(),
        version: edit.version + 1,
        promoted,
    }))
}

/// Withdraws (中止) a session not yet started (training operator). Its registrations are
/// kept and shown to their institutions as withdrawn; nobody can register any more and it
/// leaves the open lists. No body.
#[utoipa::path(post, path = "/api/v1/training/sessions/{session_id}/withdraw", tag = "training", security(("bearer" = [])),
    params(("session_id" = i64, Path)),
    responses((status = 200, body = Withdrawn), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw_session(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(session): Ids<SessionId>,
) -> ApiResult<Json<Withdrawn>> {
    withdraw_session_for(&state, &user, session).await?;
    let id = session.get();
    Ok(Json(Withdrawn {
        id,
        withdrawn: true,
        sessions_withdrawn: vec![id],
    }))
}

// ----- lecturers and technicians -----------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct LecturerJson {
    id: i64,
    name: String,
    /// `lecturer` (講師) or `technician` (技術者).
    kind: String,
    affiliation: String,
    fields: String,
    /// RFC 3339.
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct LecturerList {
    lecturers: Vec<LecturerJson>,
}

/// The list of lecturers and technicians (講師・技術者リスト), technicians and lecturers by
/// name (any signed-in user, as on the library page).
#[utoipa::path(get, path = "/api/v1/training/lecturers", tag = "training", security(("bearer" = [])),
    responses((status = 200, body = LecturerList), (status = 401, body = ErrorBody)))]
pub async fn list_lecturers(
    State(state): State<AppState>,
    _caller: ApiUser,
) -> ApiResult<Json<LecturerList>> {
    let lecturers = state.store.training_lecturers().await?;
    Ok(Json(LecturerList {
        lecturers: lecturers
            .into_iter()
            .map(|l| LecturerJson {
                id: l.id,
                name: l.name,
                kind: l.kind,
                affiliation: l.affiliation,
                fields: l.fields,
                created_at: l.created_at,
            })
            .collect(),
    }))
}

/// Adds a lecturer or technician to the list (training operator).
#[utoipa::path(post, path = "/api/v1/training/lecturers", tag = "training", security(("bearer" = [])), request_body = LecturerInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_lecturer(
    State(state): State<AppState>,
    Operator(user): Operator,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = add_lecturer_for(&state, &user, &ApiJson::parse(&body)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Serialize, ToSchema)]
pub struct LecturerDone {
    id: i64,
}

/// Changes an entry of the list (training operator).
#[utoipa::path(put, path = "/api/v1/training/lecturers/{lecturer_id}", tag = "training", security(("bearer" = [])),
    params(("lecturer_id" = i64, Path)), request_body = LecturerInput,
    responses((status = 200, body = LecturerDone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_lecturer(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(lecturer): Ids<LecturerId>,
    body: Bytes,
) -> ApiResult<Json<LecturerDone>> {
    let input: LecturerInput = ApiJson::parse(&body)?;
    update_lecturer_for(&state, &user, lecturer, &input).await?;
    Ok(Json(LecturerDone { id: lecturer.get() }))
}

/// Removes an entry of the list (training operator); the audit log keeps who it was.
#[utoipa::path(delete, path = "/api/v1/training/lecturers/{lecturer_id}", tag = "training", security(("bearer" = [])),
    params(("lecturer_id" = i64, Path)),
    responses((status = 200, body = LecturerDone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_lecturer(
    State(state): State<AppState>,
    Operator(user): Operator,
    Ids(lecturer): Ids<LecturerId>,
) -> ApiResult<Json<LecturerDone>> {
    delete_lecturer_for(&state, &user, lecturer).await?;
    Ok(Json(LecturerDone { id: lecturer.get() }))
}
