//! Training (研修, migration 0007): courses, sessions, the institutions' registrations with
//! the waitlist, attendance, and the operator's list of lecturers and technicians.
//!
//! Registrations and cancellations of one session are ordered by the session's row: each
//! transaction first updates it (a row lock on PostgreSQL; SQLite's write transactions open
//! with `BEGIN IMMEDIATE` and queue on the store's writer turn), then reads the session's
//! places as they stand and lets the domain's rule decide. Two people taking the last seat
//! at the same moment therefore see one another: one gets the seat, the other the waitlist.

use chrono::NaiveDateTime;
use mamori_domain::training::{
    Audience, Cancellation, Format, ParticipantName, Place, RegistrationStatus, SessionRules,
    TrainingError, decide_attendance, decide_cancellation, decide_registration,
};

use crate::{AuditEntry, BeginWrite, Pool, Result, Store, StoreError, now};

/// How session times are stored: Japan time, comparable as text.
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

fn time_text(t: NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

fn parse_time(text: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .map_err(|_| StoreError::Corrupt(format!("training time '{text}'")))
}

#[derive(Debug, Clone)]
pub struct NewCourse {
    pub title_ja: String,
    pub title_en: String,
    pub audience: Audience,
    pub format: Format,
    pub description_ja: String,
    pub description_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRecord {
    pub id: i64,
    pub title_ja: String,
    pub title_en: String,
    pub audience: Audience,
    pub format: Format,
    pub description_ja: String,
    pub description_en: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub course_id: i64,
    pub rules: SessionRules,
    pub venue: String,
}

/// A session with its course and how many places it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub course: CourseRecord,
    pub rules: SessionRules,
    pub venue: String,
    /// Registered or attended.
    pub seats_taken: i64,
    pub waitlisted: i64,
}

/// A registration with its institution's name and, when waitlisted, its place in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    pub id: i64,
    pub session_id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub participant_name: String,
    pub status: RegistrationStatus,
    /// 1-based; only for a waitlisted place.
    pub waitlist_position: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct NewLecturer {
    pub name: String,
    /// `lecturer` or `technician`.
    pub kind: String,
    pub affiliation: String,
    pub fields: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LecturerRecord {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub affiliation: String,
    pub fields: String,
    pub created_at: String,
}

type CourseRow = (i64, String, String, String, String, String, String);

fn course_from_row(row: CourseRow) -> Result<CourseRecord> {
    let (id, title_ja, title_en, audience, format, description_ja, description_en) = row;
    Ok(CourseRecord {
        id,
        title_ja,
        title_en,
        audience: Audience::parse(&audience).map_err(|e| StoreError::Corrupt(e.message_en))?,
        format: Format::parse(&format).map_err(|e| StoreError::Corrupt(e.message_en))?,
        description_ja,
        description_en,
    })
}

const COURSE_COLUMNS: &str =
    "id, title_ja, title_en, audience, format, description_ja, description_en";

type SessionRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
);

const SESSION_SELECT: &str = "SELECT s.id, s.starts_at, s.ends_at, s.deadline, s.capacity, s.venue, \
    (SELECT COUNT(*) FROM training_registrations r WHERE r.session_id = s.id AND r.status IN ('registered', 'attended')), \
    (SELECT COUNT(*) FROM training_registrations r WHERE r.session_id = s.id AND r.status = 'waitlisted'), \
    c.id, c.title_ja, c.title_en, c.audience, c.format, c.description_ja, c.description_en \
    FROM training_sessions s JOIN training_courses c ON c.id = s.course_id";

fn session_from_row(row: SessionRow) -> Result<SessionRecord> {
    let (
        id,
        starts,
        ends,
        deadline,
        capacity,
        venue,
        taken,
        waitlisted,
        cid,
        tja,
        ten,
        aud,
        fmt,
        dja,
        den,
    ) = row;
    let rules = SessionRules::new(
        parse_time(&starts)?,
        parse_time(&ends)?,
        parse_time(&deadline)?,
        capacity,
    )
    .map_err(|e| StoreError::Corrupt(format!("session {id}: {}", e.message_en)))?;
    Ok(SessionRecord {
        id,
        course: course_from_row((cid, tja, ten, aud, fmt, dja, den))?,
        rules,
        venue,
        seats_taken: taken,
        waitlisted,
    })
}

type RegistrationRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
);

const REGISTRATION_SELECT: &str = "SELECT r.id, r.session_id, r.institution_id, i.name, r.participant_name, r.status, \
    CASE WHEN r.status = 'waitlisted' THEN (SELECT COUNT(*) FROM training_registrations w WHERE w.session_id = r.session_id AND w.status = 'waitlisted' AND w.id <= r.id) END, \
    r.created_at, r.updated_at \
    FROM training_registrations r JOIN institutions i ON i.id = r.institution_id";

fn registration_from_row(row: RegistrationRow) -> Result<RegistrationRecord> {
    let (
        id,
        session_id,
        institution_id,
        institution_name,
        participant_name,
        status,
        position,
        created_at,
        updated_at,
    ) = row;
    Ok(RegistrationRecord {
        id,
        session_id,
        institution_id,
        institution_name,
        participant_name,
        status: RegistrationStatus::parse(&status)
            .map_err(|e| StoreError::Corrupt(e.message_en))?,
        waitlist_position: position,
        created_at,
        updated_at,
    })
}

/// The session's places inside a transaction, in order of arrival.
macro_rules! load_places {
    ($tx:expr, $session:expr) => {{
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, institution_id, participant_name, status FROM training_registrations WHERE session_id = $1 ORDER BY id",
        )
        .bind($session)
        .fetch_all(&mut *$tx)
        .await?;
        rows.into_iter()
            .map(|(id, institution_id, participant_name, status)| {
                Ok(Place {
                    id,
                    institution_id,
                    participant_name,
                    status: RegistrationStatus::parse(&status)
                        .map_err(|e| StoreError::Corrupt(e.message_en))?,
                })
            })
            .collect::<Result<Vec<Place>>>()?
    }};
}

/// Locks the session row and reads its rules; `None` when there is no such session.
macro_rules! lock_session {
    ($tx:expr, $session:expr, $at:expr) => {{
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "UPDATE training_sessions SET updated_at = $1 WHERE id = $2 RETURNING starts_at, ends_at, deadline, capacity",
        )
        .bind($at)
        .bind($session)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => None,
            Some((starts, ends, deadline, capacity)) => Some(
                SessionRules::new(parse_time(&starts)?, parse_time(&ends)?, parse_time(&deadline)?, capacity)
                    .map_err(|e| StoreError::Corrupt(format!("session {}: {}", $session, e.message_en)))?,
            ),
        }
    }};
}

/// A registration taken: its id and whether it has a seat or is waitlisted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub id: i64,
    pub status: RegistrationStatus,
}

impl Store {
    // ----- courses and sessions ------------------------------------------------------------

    pub async fn create_training_course(&self, new: &NewCourse, actor: Option<i64>) -> Result<i64> {
        let at = now();
        let id = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO training_courses (title_ja, title_en, audience, format, description_ja, description_en, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(new.title_ja.clone())
            .bind(new.title_en.clone())
            .bind(new.audience.as_str())
            .bind(new.format.as_str())
            .bind(new.description_ja.clone())
            .bind(new.description_en.clone())
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, at.clone(), actor, "training.course.create", None::<i64>, format!("course={id} audience={} format={} title={}", new.audience.as_str(), new.format.as_str(), new.title_ja));
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn training_courses(&self) -> Result<Vec<CourseRecord>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("SELECT {COURSE_COLUMNS} FROM training_courses ORDER BY id")
        });
        let rows: Vec<CourseRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).fetch_all(pool).await?
        });
        rows.into_iter().map(course_from_row).collect()
    }

    /// Publishes a session of a course; `NotFound` when the course does not exist.
    pub async fn create_training_session(
        &self,
        new: &NewSession,
        actor: Option<i64>,
    ) -> Result<i64> {
        let at = now();
        let id = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let course: Option<(i64,)> = sqlx::query_as("SELECT id FROM training_courses WHERE id = $1")
                .bind(new.course_id)
                .fetch_optional(&mut *tx)
                .await?;
            if course.is_none() {
                return Err(StoreError::NotFound);
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO training_sessions (course_id, starts_at, ends_at, deadline, capacity, venue, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(new.course_id)
            .bind(time_text(new.rules.starts_at))
            .bind(time_text(new.rules.ends_at))
            .bind(time_text(new.rules.deadline))
            .bind(i64::from(new.rules.capacity))
            .bind(new.venue.clone())
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, at.clone(), actor, "training.session.create", None::<i64>, format!("session={id} course={} starts_at={} capacity={}", new.course_id, time_text(new.rules.starts_at), new.rules.capacity));
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Every session, by start.
    pub async fn training_sessions(&self) -> Result<Vec<SessionRecord>> {
        static SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("{SESSION_SELECT} ORDER BY s.starts_at, s.id"));
        let rows: Vec<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).fetch_all(pool).await?
        });
        rows.into_iter().map(session_from_row).collect()
    }

    pub async fn training_session(&self, id: i64) -> Result<Option<SessionRecord>> {
        static SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("{SESSION_SELECT} WHERE s.id = $1"));
        let row: Option<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).bind(id).fetch_optional(pool).await?
        });
        row.map(session_from_row).transpose()
    }

    // ----- registrations -------------------------------------------------------------------

    /// Every place of a session (all institutions), in order of arrival: the operator's view.
    pub async fn training_session_registrations(
        &self,
        session_id: i64,
    ) -> Result<Vec<RegistrationRecord>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("{REGISTRATION_SELECT} WHERE r.session_id = $1 ORDER BY r.id")
        });
        let rows: Vec<RegistrationRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).bind(session_id).fetch_all(pool).await?
        });
        rows.into_iter().map(registration_from_row).collect()
    }

    /// Every place of one institution's staff, in any session.
    pub async fn training_registrations_of_institution(
        &self,
        institution_id: i64,
    ) -> Result<Vec<RegistrationRecord>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("{REGISTRATION_SELECT} WHERE r.institution_id = $1 ORDER BY r.session_id, r.id")
        });
        let rows: Vec<RegistrationRecord> = {
            let rows: Vec<RegistrationRow> = on_pool!(self, pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).bind(institution_id).fetch_all(pool).await?
            });
            rows.into_iter()
                .map(registration_from_row)
                .collect::<Result<_>>()?
        };
        Ok(rows)
    }

    pub async fn training_registration(&self, id: i64) -> Result<Option<RegistrationRecord>> {
        static SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("{REGISTRATION_SELECT} WHERE r.id = $1"));
        let row: Option<RegistrationRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str())).bind(id).fetch_optional(pool).await?
        });
        row.map(registration_from_row).transpose()
    }

    /// Registers a participant of the institution for the session at `now` (Japan time), in
    /// one transaction that holds the session's lock: a seat, the waitlist, or the rule's
    /// refusal. `NotFound` when the session does not exist.
    pub async fn register_for_training(
        &self,
        session_id: i64,
        institution_id: i64,
        name: &ParticipantName,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<Registered, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let Some(rules) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            let places = load_places!(tx, session_id);
            let status = match decide_registration(&rules, &places, institution_id, name, now_in_japan) {
                Ok(status) => status,
                Err(refused) => return Ok(Err(refused)),
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO training_registrations (session_id, institution_id, participant_name, name_key, status, created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7) RETURNING id",
            )
            .bind(session_id)
            .bind(institution_id)
            .bind(name.as_str().to_owned())
            .bind(name.key())
            .bind(status.as_str())
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, at.clone(), actor, "training.register", institution_id, format!("session={session_id} registration={id} status={} participant={}", status.as_str(), name.as_str()));
            tx.commit().await?;
            Ok(Registered { id, status })
        });
        Ok(outcome)
    }

    /// Cancels the institution's place at `now` (Japan time) and moves the first waitlisted
    /// up into a freed seat, in one transaction holding the session's lock.
    pub async fn cancel_training_registration(
        &self,
        registration_id: i64,
        institution_id: i64,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<Cancellation, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let session: Option<(i64,)> = sqlx::query_as("SELECT session_id FROM training_registrations WHERE id = $1")
                .bind(registration_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((session_id,)) = session else {
                return Ok(Err(TrainingError::NotYours));
            };
            let Some(rules) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            let places = load_places!(tx, session_id);
            let cancellation = match decide_cancellation(&rules, &places, registration_id, institution_id, now_in_japan) {
                Ok(c) => c,
                Err(refused) => return Ok(Err(refused)),
            };
            sqlx::query("UPDATE training_registrations SET status = 'cancelled', updated_by = $1, updated_at = $2 WHERE id = $3")
                .bind(actor).bind(at.clone()).bind(registration_id).execute(&mut *tx).await?;
            append_audit!(tx, at.clone(), actor, "training.cancel", institution_id, format!("session={session_id} registration={registration_id}"));
            for promoted in &cancellation.promoted {
                let (owner,): (i64,) = sqlx::query_as("UPDATE training_registrations SET status = 'registered', updated_by = $1, updated_at = $2 WHERE id = $3 RETURNING institution_id")
                    .bind(actor).bind(at.clone()).bind(*promoted).fetch_one(&mut *tx).await?;
                append_audit!(tx, at.clone(), actor, "training.promote", owner, format!("session={session_id} registration={promoted} after={registration_id}"));
            }
            tx.commit().await?;
            Ok(cancellation)
        });
        Ok(outcome)
    }

    /// Records (or takes back) a place's attendance; `NotFound` when there is no such place.
    pub async fn set_training_attendance(
        &self,
        registration_id: i64,
        attended: bool,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<RegistrationStatus, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let session: Option<(i64, i64)> = sqlx::query_as("SELECT session_id, institution_id FROM training_registrations WHERE id = $1")
                .bind(registration_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((session_id, institution_id)) = session else {
                return Err(StoreError::NotFound);
            };
            let Some(rules) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            let places = load_places!(tx, session_id);
            let Some(place) = places.iter().find(|p| p.id == registration_id) else {
                return Err(StoreError::NotFound);
            };
            let status = match decide_attendance(&rules, place, attended, now_in_japan) {
                Ok(s) => s,
                Err(refused) => return Ok(Err(refused)),
            };
            if status != place.status {
                sqlx::query("UPDATE training_registrations SET status = $1, updated_by = $2, updated_at = $3 WHERE id = $4")
                    .bind(status.as_str()).bind(actor).bind(at.clone()).bind(registration_id).execute(&mut *tx).await?;
                append_audit!(tx, at.clone(), actor, "training.attendance", institution_id, format!("session={session_id} registration={registration_id} status={}", status.as_str()));
            }
            tx.commit().await?;
            Ok(status)
        });
        Ok(outcome)
    }

    // ----- lecturers and technicians --------------------------------------------------------

    pub async fn add_training_lecturer(&self, new: &NewLecturer, actor: i64) -> Result<i64> {
        let at = now();
        let id = on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO training_lecturers (name, kind, affiliation, fields, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.name.clone())
            .bind(new.kind.clone())
            .bind(new.affiliation.clone())
            .bind(new.fields.clone())
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, at.clone(), actor, "training.lecturer.add", None::<i64>, format!("lecturer={id} kind={} name={}", new.kind, new.name));
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn training_lecturers(&self) -> Result<Vec<LecturerRecord>> {
        let rows: Vec<(i64, String, String, String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, kind, affiliation, fields, created_at FROM training_lecturers ORDER BY kind, name, id")
                .fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, name, kind, affiliation, fields, created_at)| LecturerRecord {
                    id,
                    name,
                    kind,
                    affiliation,
                    fields,
                    created_at,
                },
            )
            .collect())
    }
}
