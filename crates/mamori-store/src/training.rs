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
    decide_session_change, decide_withdrawal,
};

use crate::training_notices::notify_places;
use crate::{Audit, Pool, Result, Store, StoreError, Written, found, now};

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
    /// Raised by every edit: an edit names the version it was made on.
    pub version: i64,
    /// RFC 3339, when the operator withdrew (中止) the course.
    pub withdrawn_at: Option<String>,
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
    /// Raised by every edit (not by registrations): an edit names the version it was made on.
    pub version: i64,
    /// RFC 3339, when the operator withdrew (中止) the session; its places are kept.
    pub withdrawn_at: Option<String>,
}

impl SessionRecord {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }
}

/// The fields of a session an operator changes (the course stays).
#[derive(Debug, Clone)]
pub struct SessionChange {
    pub rules: SessionRules,
    pub venue: String,
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

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LecturerRecord {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub affiliation: String,
    pub fields: String,
    pub created_at: String,
}

/// A row of `training_courses` (`course_select!`).
#[derive(sqlx::FromRow)]
struct CourseRow {
    id: i64,
    title_ja: String,
    title_en: String,
    audience: String,
    format: String,
    description_ja: String,
    description_en: String,
    version: i64,
    withdrawn_at: Option<String>,
}

fn course_from_row(row: CourseRow) -> Result<CourseRecord> {
    Ok(CourseRecord {
        id: row.id,
        title_ja: row.title_ja,
        title_en: row.title_en,
        audience: Audience::parse(&row.audience).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        format: Format::parse(&row.format).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        description_ja: row.description_ja,
        description_en: row.description_en,
        version: row.version,
        withdrawn_at: row.withdrawn_at,
    })
}

/// The `SELECT` of [`CourseRow`], for `concat!` to finish.
macro_rules! course_select {
    () => {
        "SELECT id, title_ja, title_en, audience, format, description_ja, description_en, version, withdrawn_at FROM training_courses"
    };
}

/// A session's row (`session_select!`); its course is read apart.
#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    starts_at: String,
    ends_at: String,
    deadline: String,
    capacity: i64,
    venue: String,
    seats_taken: i64,
    waitlisted: i64,
    version: i64,
    withdrawn_at: Option<String>,
    course_id: i64,
}

/// The `SELECT` of [`SessionRow`], for `concat!` to finish.
macro_rules! session_select {
    () => {
        "SELECT s.id, s.starts_at, s.ends_at, s.deadline, s.capacity, s.venue, \
    (SELECT COUNT(*) FROM training_registrations r WHERE r.session_id = s.id AND r.status IN ('registered', 'attended')) AS seats_taken, \
    (SELECT COUNT(*) FROM training_registrations r WHERE r.session_id = s.id AND r.status = 'waitlisted') AS waitlisted, \
    s.version, s.withdrawn_at, s.course_id \
    FROM training_sessions s"
    };
}

fn session_from_row(
    row: SessionRow,
    courses: &std::collections::HashMap<i64, CourseRecord>,
) -> Result<SessionRecord> {
    let id = row.id;
    let rules = SessionRules::new(
        parse_time(&row.starts_at)?,
        parse_time(&row.ends_at)?,
        parse_time(&row.deadline)?,
        row.capacity,
    )
    .map_err(|e| StoreError::Corrupt(format!("session {id}: {}", e)))?;
    let course = courses
        .get(&row.course_id)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("session {id}: course {}", row.course_id)))?;
    Ok(SessionRecord {
        id,
        course,
        rules,
        venue: row.venue,
        seats_taken: row.seats_taken,
        waitlisted: row.waitlisted,
        version: row.version,
        withdrawn_at: row.withdrawn_at,
    })
}

/// A place's row (`registration_select!`), with its institution's name.
#[derive(sqlx::FromRow)]
struct RegistrationRow {
    id: i64,
    session_id: i64,
    institution_id: i64,
    institution_name: String,
    participant_name: String,
    status: String,
    waitlist_position: Option<i64>,
    created_at: String,
    updated_at: String,
}

/// The `SELECT` of [`RegistrationRow`], for `concat!` to finish.
macro_rules! registration_select {
    () => {
        "SELECT r.id, r.session_id, r.institution_id, i.name AS institution_name, r.participant_name, r.status, \
    CASE WHEN r.status = 'waitlisted' THEN (SELECT COUNT(*) FROM training_registrations w WHERE w.session_id = r.session_id AND w.status = 'waitlisted' AND w.id <= r.id) END AS waitlist_position, \
    r.created_at, r.updated_at \
    FROM training_registrations r JOIN institutions i ON i.id = r.institution_id"
    };
}

fn registration_from_row(row: RegistrationRow) -> Result<RegistrationRecord> {
    Ok(RegistrationRecord {
        id: row.id,
        session_id: row.session_id,
        institution_id: row.institution_id,
        institution_name: row.institution_name,
        participant_name: row.participant_name,
        status: RegistrationStatus::parse(&row.status)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        waitlist_position: row.waitlist_position,
        created_at: row.created_at,
        updated_at: row.updated_at,
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
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect::<Result<Vec<Place>>>()?
    }};
}

/// Binds a course's fields (`$1`…`$6`, in the order of [`NewCourse`]), as its creation and
/// its edit write them.
macro_rules! bind_course {
    ($query:expr, $course:expr) => {{
        let course: &NewCourse = $course;
        $query
            .bind(course.title_ja.clone())
            .bind(course.title_en.clone())
            .bind(course.audience.as_str())
            .bind(course.format.as_str())
            .bind(course.description_ja.clone())
            .bind(course.description_en.clone())
    }};
}

/// Binds a session's times and capacity and then its venue, as its creation and its edit
/// write them.
macro_rules! bind_session {
    ($query:expr, $rules:expr, $venue:expr) => {{
        let rules: &SessionRules = $rules;
        $query
            .bind(time_text(rules.starts_at))
            .bind(time_text(rules.ends_at))
            .bind(time_text(rules.deadline))
            .bind(i64::from(rules.capacity))
            .bind($venue.clone())
    }};
}

/// Binds an entry of the lecturers' list (`$1`…`$4`, in the order of [`NewLecturer`]), as
/// its addition and its edit write them.
macro_rules! bind_lecturer {
    ($query:expr, $lecturer:expr) => {{
        let lecturer: &NewLecturer = $lecturer;
        $query
            .bind(lecturer.name.clone())
            .bind(lecturer.kind.clone())
            .bind(lecturer.affiliation.clone())
            .bind(lecturer.fields.clone())
    }};
}

/// Locks the course row and reads its version and when it was withdrawn; `None` when there
/// is no such course.
macro_rules! lock_course {
    ($tx:expr, $course:expr) => {{
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "UPDATE training_courses SET version = version WHERE id = $1 RETURNING version, withdrawn_at",
        )
        .bind($course)
        .fetch_optional(&mut *$tx)
        .await?;
        row
    }};
}

/// The domain rule's decision, or the write ends with its refusal and writes nothing.
macro_rules! decided {
    ($decision:expr) => {
        match $decision {
            Ok(decided) => decided,
            Err(refused) => return Ok(Written::dropped(Err(refused))),
        }
    };
}

/// Gives each registration of `promoted` the seat it moved up to, each with its audit entry
/// (`why` ends its detail), inside the session's transaction.
macro_rules! promote {
    ($tx:expr, $audit:expr, $promoted:expr, $session:expr, $actor:expr, $at:expr, $why:expr) => {
        for promoted in $promoted {
            let (owner,): (i64,) = sqlx::query_as("UPDATE training_registrations SET status = 'registered', updated_by = $1, updated_at = $2 WHERE id = $3 RETURNING institution_id")
                .bind($actor).bind($at.clone()).bind(*promoted).fetch_one(&mut *$tx).await?;
            notify_places!($tx, mamori_domain::notification::Rule::TrainingSeatOpened, "r.id = $4", *promoted, "", $at);
            $audit.push(Audit::new(&$at, $actor, "training.promote", owner, format!("session={} registration={promoted} {}", $session, $why)));
        }
    };
}

/// The session as locked: its rules, whether it was withdrawn, its version.
struct Locked {
    rules: SessionRules,
    withdrawn: bool,
    version: i64,
}

/// Locks the session row and reads its rules; `None` when there is no such session.
macro_rules! lock_session {
    ($tx:expr, $session:expr, $at:expr) => {{
        let row: Option<(String, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "UPDATE training_sessions SET updated_at = $1 WHERE id = $2 RETURNING starts_at, ends_at, deadline, capacity, withdrawn_at, version",
        )
        .bind($at)
        .bind($session)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => None,
            Some((starts, ends, deadline, capacity, withdrawn_at, version)) => Some(Locked {
                rules: SessionRules::new(parse_time(&starts)?, parse_time(&ends)?, parse_time(&deadline)?, capacity)
                    .map_err(|e| StoreError::Corrupt(format!("session {}: {}", $session, e.to_string())))?,
                withdrawn: withdrawn_at.is_some(),
                version,
            }),
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
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = bind_course!(sqlx::query_as(
                "INSERT INTO training_courses (title_ja, title_en, audience, format, description_ja, description_en, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            ), new)
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            Ok(Written::audited(id, Audit::new(&at, actor, "training.course.create", None::<i64>, format!("course={id} audience={} format={} title={}", new.audience.as_str(), new.format.as_str(), new.title_ja))))
        }).await?);
        Ok(id)
    }

    pub async fn training_courses(&self) -> Result<Vec<CourseRecord>> {
        let sql = concat!(course_select!(), " ORDER BY id");
        self.select_all_as(sql, course_from_row).await
    }

    /// Publishes a session of a course; `NotFound` when the course does not exist, refused
    /// when it was withdrawn.
    pub async fn create_training_session(
        &self,
        new: &NewSession,
        actor: Option<i64>,
    ) -> Result<std::result::Result<i64, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let course: Option<(Option<String>,)> = sqlx::query_as("SELECT withdrawn_at FROM training_courses WHERE id = $1")
                .bind(new.course_id)
                .fetch_optional(&mut *tx)
                .await?;
            match course {
                None => return Err(StoreError::NotFound),
                Some((Some(_),)) => return Ok(Written::dropped(Err(TrainingError::CourseWithdrawn))),
                Some((None,)) => {}
            }
            let (id,): (i64,) = bind_session!(sqlx::query_as(
                "INSERT INTO training_sessions (course_id, starts_at, ends_at, deadline, capacity, venue, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(new.course_id), &new.rules, new.venue)
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            Ok(Written::audited(Ok(id), Audit::new(&at, actor, "training.session.create", None::<i64>, format!("session={id} course={} starts_at={} capacity={}", new.course_id, time_text(new.rules.starts_at), new.rules.capacity))))
        }).await?);
        Ok(outcome)
    }

    pub async fn training_course(&self, id: i64) -> Result<Option<CourseRecord>> {
        let sql = concat!(course_select!(), " WHERE id = $1");
        self.select_one_by_as(sql, id, course_from_row).await
    }

    async fn courses_by_id(&self) -> Result<std::collections::HashMap<i64, CourseRecord>> {
        Ok(self
            .training_courses()
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect())
    }

    /// Every session (withdrawn ones included), by start.
    pub async fn training_sessions(&self) -> Result<Vec<SessionRecord>> {
        let sql = concat!(session_select!(), " ORDER BY s.starts_at, s.id");
        let rows: Vec<SessionRow> = self.select_all(sql).await?;
        let courses = self.courses_by_id().await?;
        rows.into_iter()
            .map(|row| session_from_row(row, &courses))
            .collect()
    }

    pub async fn training_session(&self, id: i64) -> Result<Option<SessionRecord>> {
        let sql = concat!(session_select!(), " WHERE s.id = $1");
        let row: Option<SessionRow> = self.select_one_by(sql, id).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let course = self.training_course(row.course_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("session {id}: course {}", row.course_id))
        })?;
        let courses = std::iter::once((course.id, course)).collect();
        session_from_row(row, &courses).map(Some)
    }

    /// Changes a course's fields, on the version the operator loaded (`Stale` otherwise);
    /// a withdrawn course is not changed. `NotFound` when there is no such course.
    pub async fn update_training_course(
        &self,
        id: i64,
        expected_version: i64,
        change: &NewCourse,
        actor: i64,
    ) -> Result<std::result::Result<i64, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let Some((version, withdrawn_at)) = lock_course!(tx, id) else {
                return Err(StoreError::NotFound);
            };
            if withdrawn_at.is_some() {
                return Ok(Written::dropped(Err(TrainingError::CourseWithdrawn)));
            }
            if version != expected_version {
                return Ok(Written::dropped(Err(TrainingError::Stale)));
            }
            bind_course!(sqlx::query(
                "UPDATE training_courses SET title_ja = $1, title_en = $2, audience = $3, format = $4, description_ja = $5, description_en = $6, version = version + 1 WHERE id = $7",
            ), change)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            Ok(Written::audited(Ok(version + 1), Audit::new(&at, actor, "training.course.update", None::<i64>, format!("course={id} version={} audience={} format={} title={}", version + 1, change.audience.as_str(), change.format.as_str(), change.title_ja))))
        }).await?);
        Ok(outcome)
    }

    /// Withdraws (中止) a course and every session of it that has not started at `now`
    /// (Japan time); sessions held already keep their record. Returns the sessions withdrawn.
    pub async fn withdraw_training_course(
        &self,
        id: i64,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<Vec<i64>, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut audit = Vec::new();
            match lock_course!(tx, id) {
                None => return Err(StoreError::NotFound),
                Some((_, Some(_))) => return Ok(Written::dropped(Err(TrainingError::CourseWithdrawn))),
                Some((_, None)) => {}
            }
            sqlx::query("UPDATE training_courses SET withdrawn_at = $1, version = version + 1 WHERE id = $2")
                .bind(at.clone()).bind(id).execute(&mut *tx).await?;
            let sessions: Vec<(i64,)> = sqlx::query_as(
                "UPDATE training_sessions SET withdrawn_at = $1, updated_at = $1, version = version + 1 WHERE course_id = $2 AND withdrawn_at IS NULL AND starts_at > $3 RETURNING id",
            )
            .bind(at.clone())
            .bind(id)
            .bind(time_text(now_in_japan))
            .fetch_all(&mut *tx)
            .await?;
            let mut sessions: Vec<i64> = sessions.into_iter().map(|(s,)| s).collect();
            sessions.sort_unstable();
            audit.push(Audit::new(&at, actor, "training.course.withdraw", None::<i64>, format!("course={id} sessions={sessions:?}")));
            for session in &sessions {
                audit.push(Audit::new(&at, actor, "training.session.withdraw", None::<i64>, format!("session={session} course={id}")));
            }
            Ok(Written::audited_all(Ok(sessions), audit))
        }).await?);
        Ok(outcome)
    }

    /// Changes a session's times, capacity and place at `now` (Japan time), on the version
    /// the operator loaded, under the session's lock: the domain refuses a capacity below the
    /// seats taken, and a larger one moves the waitlist up in order. Returns the places that
    /// moved up. `NotFound` when there is no such session.
    pub async fn update_training_session(
        &self,
        id: i64,
        expected_version: i64,
        change: &SessionChange,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<Vec<i64>, TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut audit = Vec::new();
            let Some(locked) = lock_session!(tx, id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            if locked.withdrawn {
                return Ok(Written::dropped(Err(TrainingError::SessionWithdrawn)));
            }
            if locked.version != expected_version {
                return Ok(Written::dropped(Err(TrainingError::Stale)));
            }
            let places = load_places!(tx, id);
            let promoted = decided!(decide_session_change(&locked.rules, &change.rules, &places, now_in_japan));
            let (venue,): (String,) = sqlx::query_as("SELECT venue FROM training_sessions WHERE id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            // Its people are told when the time or the place changes, not the capacity.
            let moved = locked.rules.starts_at != change.rules.starts_at
                || locked.rules.ends_at != change.rules.ends_at
                || venue != change.venue;
            bind_session!(sqlx::query(
                "UPDATE training_sessions SET starts_at = $1, ends_at = $2, deadline = $3, capacity = $4, venue = $5, version = version + 1 WHERE id = $6",
            ), &change.rules, change.venue)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let r = &change.rules;
            audit.push(Audit::new(&at, actor, "training.session.update", None::<i64>, format!("session={id} version={} starts_at={} ends_at={} deadline={} capacity={} venue={}", locked.version + 1, time_text(r.starts_at), time_text(r.ends_at), time_text(r.deadline), r.capacity, change.venue)));
            promote!(tx, audit, &promoted, id, actor, at, format_args!("capacity={}", r.capacity));
            if moved {
                notify_places!(tx, mamori_domain::notification::Rule::TrainingSessionChanged,
                    "r.session_id = $4 AND r.status IN ('registered', 'waitlisted')", id, format!(":v{}", locked.version + 1), at);
            }
            Ok(Written::audited_all(Ok(promoted), audit))
        }).await?);
        Ok(outcome)
    }

    /// Withdraws (中止) a session that has not started at `now` (Japan time). Its places stay
    /// as they are; registrants are told the session was withdrawn.
    pub async fn withdraw_training_session(
        &self,
        id: i64,
        actor: i64,
        now_in_japan: NaiveDateTime,
    ) -> Result<std::result::Result<(), TrainingError>> {
        let at = now();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let Some(locked) = lock_session!(tx, id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            if let Err(refused) = decide_withdrawal(&locked.rules, locked.withdrawn, now_in_japan) {
                return Ok(Written::dropped(Err(refused)));
            }
            sqlx::query("UPDATE training_sessions SET withdrawn_at = $1, version = version + 1 WHERE id = $2")
                .bind(at.clone()).bind(id).execute(&mut *tx).await?;
            notify_places!(tx, mamori_domain::notification::Rule::TrainingSessionWithdrawn,
                "r.session_id = $4 AND r.status IN ('registered', 'waitlisted')", id, "", at);
            let (places,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM training_registrations WHERE session_id = $1 AND status <> 'cancelled'")
                .bind(id).fetch_one(&mut *tx).await?;
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "training.session.withdraw", None::<i64>, format!("session={id} places_kept={places}"))))
        }).await?);
        Ok(outcome)
    }

    // ----- registrations -------------------------------------------------------------------

    /// Every place of a session (all institutions), in order of arrival: the operator's view.
    pub async fn training_session_registrations(
        &self,
        session_id: i64,
    ) -> Result<Vec<RegistrationRecord>> {
        let sql = concat!(
            registration_select!(),
            " WHERE r.session_id = $1 ORDER BY r.id"
        );
        self.select_by_as(sql, session_id, registration_from_row)
            .await
    }

    /// Every place of one institution's staff, in any session.
    pub async fn training_registrations_of_institution(
        &self,
        institution_id: i64,
    ) -> Result<Vec<RegistrationRecord>> {
        let sql = concat!(
            registration_select!(),
            " WHERE r.institution_id = $1 ORDER BY r.session_id, r.id"
        );
        self.select_by_as(sql, institution_id, registration_from_row)
            .await
    }

    pub async fn training_registration(&self, id: i64) -> Result<Option<RegistrationRecord>> {
        let sql = concat!(registration_select!(), " WHERE r.id = $1");
        self.select_one_by_as(sql, id, registration_from_row).await
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
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let Some(locked) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            if locked.withdrawn {
                return Ok(Written::dropped(Err(TrainingError::SessionWithdrawn)));
            }
            let rules = locked.rules;
            let places = load_places!(tx, session_id);
            let status = decided!(decide_registration(&rules, &places, institution_id, name, now_in_japan));
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
            // A place recorded for a session held already (the demo's past session) is not news.
            if rules.starts_at > crate::notifications::now_in_japan() {
                notify_places!(tx, mamori_domain::notification::Rule::TrainingPlaceTaken, "r.id = $4", id, "", at);
            }
            Ok(Written::audited(Ok(Registered { id, status }), Audit::new(&at, actor, "training.register", institution_id, format!("session={session_id} registration={id} status={} participant={}", status.as_str(), name.as_str()))))
        }).await?);
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
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut audit = Vec::new();
            let session: Option<(i64,)> = sqlx::query_as("SELECT session_id FROM training_registrations WHERE id = $1")
                .bind(registration_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((session_id,)) = session else {
                return Ok(Written::dropped(Err(TrainingError::NotYours)));
            };
            let Some(locked) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            let rules = locked.rules;
            let places = load_places!(tx, session_id);
            // The places of a withdrawn session are its record: the owner is told so.
            if locked.withdrawn && places.iter().any(|p| p.id == registration_id && p.institution_id == institution_id) {
                return Ok(Written::dropped(Err(TrainingError::SessionWithdrawn)));
            }
            let cancellation = decided!(decide_cancellation(&rules, &places, registration_id, institution_id, now_in_japan));
            sqlx::query("UPDATE training_registrations SET status = 'cancelled', updated_by = $1, updated_at = $2 WHERE id = $3")
                .bind(actor).bind(at.clone()).bind(registration_id).execute(&mut *tx).await?;
            audit.push(Audit::new(&at, actor, "training.cancel", institution_id, format!("session={session_id} registration={registration_id}")));
            promote!(tx, audit, &cancellation.promoted, session_id, actor, at, format_args!("after={registration_id}"));
            Ok(Written::audited_all(Ok(cancellation), audit))
        }).await?);
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
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut audit = Vec::new();
            let session: Option<(i64, i64)> = sqlx::query_as("SELECT session_id, institution_id FROM training_registrations WHERE id = $1")
                .bind(registration_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((session_id, institution_id)) = session else {
                return Err(StoreError::NotFound);
            };
            let Some(locked) = lock_session!(tx, session_id, at.clone()) else {
                return Err(StoreError::NotFound);
            };
            if locked.withdrawn {
                return Ok(Written::dropped(Err(TrainingError::SessionWithdrawn)));
            }
            let rules = locked.rules;
            let places = load_places!(tx, session_id);
            let Some(place) = places.iter().find(|p| p.id == registration_id) else {
                return Err(StoreError::NotFound);
            };
            let status = decided!(decide_attendance(&rules, place, attended, now_in_japan));
            if status != place.status {
                sqlx::query("UPDATE training_registrations SET status = $1, updated_by = $2, updated_at = $3 WHERE id = $4")
                    .bind(status.as_str()).bind(actor).bind(at.clone()).bind(registration_id).execute(&mut *tx).await?;
                audit.push(Audit::new(&at, actor, "training.attendance", institution_id, format!("session={session_id} registration={registration_id} status={}", status.as_str())));
            }
            Ok(Written::audited_all(Ok(status), audit))
        }).await?);
        Ok(outcome)
    }

    // ----- lecturers and technicians --------------------------------------------------------

    pub async fn add_training_lecturer(&self, new: &NewLecturer, actor: i64) -> Result<i64> {
        let at = now();
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = bind_lecturer!(sqlx::query_as(
                "INSERT INTO training_lecturers (name, kind, affiliation, fields, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            ), new)
            .bind(actor)
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            Ok(Written::audited(id, Audit::new(&at, actor, "training.lecturer.add", None::<i64>, format!("lecturer={id} kind={} name={}", new.kind, new.name))))
        }).await?);
        Ok(id)
    }

    pub async fn training_lecturer(&self, id: i64) -> Result<Option<LecturerRecord>> {
        self.select_one_by(
            "SELECT id, name, kind, affiliation, fields, created_at FROM training_lecturers WHERE id = $1",
            id,
        )
        .await
    }

    /// Changes an entry of the list; `NotFound` when there is none.
    pub async fn update_training_lecturer(
        &self,
        id: i64,
        change: &NewLecturer,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let changed = bind_lecturer!(sqlx::query(
                "UPDATE training_lecturers SET name = $1, kind = $2, affiliation = $3, fields = $4, updated_at = $5 WHERE id = $6",
            ), change)
            .bind(at.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            found(changed)?;
            Ok(Written::audited((), Audit::new(&at, actor, "training.lecturer.update", None::<i64>, format!("lecturer={id} kind={} name={}", change.kind, change.name))))
        }).await?);
        Ok(())
    }

    /// Removes an entry of the list; `NotFound` when there is none.
    pub async fn delete_training_lecturer(&self, id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let removed: Option<(String, String)> = sqlx::query_as(
                "DELETE FROM training_lecturers WHERE id = $1 RETURNING kind, name",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((kind, name)) = removed else {
                return Err(StoreError::NotFound);
            };
            Ok(Written::audited((), Audit::new(&at, actor, "training.lecturer.delete", None::<i64>, format!("lecturer={id} kind={kind} name={name}"))))
        }).await?);
        Ok(())
    }

    pub async fn training_lecturers(&self) -> Result<Vec<LecturerRecord>> {
        self.select_all(
            "SELECT id, name, kind, affiliation, fields, created_at FROM training_lecturers ORDER BY kind, name, id",
        )
        .await
    }
}
