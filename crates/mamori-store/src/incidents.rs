//! インシデントかも? consultation cases (migration 0008): the report as answered, its
//! urgency and state, the notes of the desk and of the institution, and every state change.
//! Each change is written with its audit entry in one transaction; the audit entry names the
//! case, the urgency or the state, never the free text.
//!
//! Reads take a [`CaseScope`]: an institution reads only its own cases, the desk all of them,
//! so the scoping is in the signature.

use mamori_domain::incident::{AffectedSystem, CareImpact, CaseState, Report, Symptom, Urgency};

use crate::{Audit, EitherRow, Pool, Result, Store, StoreError, Written, now};

/// Whose cases a read may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    /// The cases of one institution.
    Institution(i64),
    /// Every case: the consultation desk.
    Desk,
}

impl CaseScope {
    fn institution(self) -> Option<i64> {
        match self {
            Self::Institution(id) => Some(id),
            Self::Desk => None,
        }
    }
}

/// Who wrote a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteSide {
    Desk,
    Institution,
}

impl NoteSide {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desk => "desk",
            Self::Institution => "institution",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "desk" => Ok(Self::Desk),
            "institution" => Ok(Self::Institution),
            other => Err(StoreError::Corrupt(format!("note side '{other}'"))),
        }
    }
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCase {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub reported_by: String,
    pub symptoms: Vec<Symptom>,
    pub systems: Vec<AffectedSystem>,
    /// Japan time, `YYYY-MM-DDTHH:MM:SS`.
    pub started_at: String,
    pub care: CareImpact,
    pub details: String,
    pub callback_phone: Option<String>,
    pub urgency: Urgency,
    pub state: CaseState,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentNote {
    pub id: i64,
    pub side: NoteSide,
    pub body: String,
    pub author: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub changed_by: String,
    pub changed_at: String,
}

/// A row of `case_select!`.
#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    institution_id: i64,
    institution_name: String,
    reported_by: String,
    symptoms: String,
    systems: String,
    started_at: String,
    care: String,
    details: String,
    callback_phone: Option<String>,
    urgency: String,
    state: String,
    created_at: String,
    updated_at: String,
}

/// The `SELECT` of [`CaseRow`], for `concat!` to finish.
macro_rules! case_select {
    () => {
        "SELECT c.id, c.institution_id, i.name AS institution_name, u.login AS reported_by, c.symptoms, c.systems, c.started_at, c.care_affected AS care, c.details, c.callback_phone, c.urgency, c.state, c.created_at, c.updated_at \
    FROM incident_cases c JOIN institutions i ON i.id = c.institution_id JOIN users u ON u.id = c.reported_by"
    };
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} '{value}'"))
}

fn codes<T>(json: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
    let texts: Vec<String> =
        serde_json::from_str(json).map_err(|_| corrupt("incident answers", json))?;
    texts
        .iter()
        .map(|t| parse(t).ok_or_else(|| corrupt("incident answer", t)))
        .collect()
}

pub(crate) fn parse_state(text: &str) -> Result<CaseState> {
    CaseState::parse(text).ok_or_else(|| corrupt("case state", text))
}

fn case_from_row(row: CaseRow) -> Result<IncidentCase> {
    Ok(IncidentCase {
        id: row.id,
        institution_id: row.institution_id,
        institution_name: row.institution_name,
        reported_by: row.reported_by,
        symptoms: codes(&row.symptoms, Symptom::parse)?,
        systems: codes(&row.systems, AffectedSystem::parse)?,
        started_at: row.started_at,
        care: CareImpact::parse(&row.care).ok_or_else(|| corrupt("care", &row.care))?,
        details: row.details,
        callback_phone: row.callback_phone,
        urgency: Urgency::parse(&row.urgency).ok_or_else(|| corrupt("urgency", &row.urgency))?,
        state: parse_state(&row.state)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn json_codes<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&codes.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Stores a new case (state 受付) for the institution, reported by `actor`.
    pub async fn create_incident(
        &self,
        institution_id: i64,
        report: &Report,
        urgency: Urgency,
        actor: i64,
    ) -> Result<i64> {
        let at = now();
        let symptoms = json_codes(report.symptoms.iter().map(|s| s.as_str()));
        let systems = json_codes(report.systems.iter().map(|s| s.as_str()));
        let started_at = report.started_at.format("%Y-%m-%dT%H:%M:%S").to_string();
        let phone = report.callback_phone.as_ref().map(|p| p.display_ja());
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO incident_cases (institution_id, reported_by, symptoms, systems, started_at, care_affected, details, callback_phone, urgency, urgency_rank, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(institution_id)
            .bind(actor)
            .bind(symptoms.clone())
            .bind(systems.clone())
            .bind(started_at)
            .bind(report.care.as_str())
            .bind(report.details.clone())
            .bind(phone)
            .bind(urgency.as_str())
            .bind(urgency.rank())
            .bind(CaseState::New.as_str())
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO incident_state_changes (case_id, from_state, to_state, changed_by, changed_at) VALUES ($1, NULL, $2, $3, $4)")
                .bind(id).bind(CaseState::New.as_str()).bind(actor).bind(at.clone())
                .execute(&mut *tx).await?;
            // The desk learns of it with the case itself.
            crate::notifications::notify_users!(
                tx,
                mamori_domain::notification::Rule::IncidentReported,
                format!("incident:{id}"),
                crate::notifications::today_in_japan(),
                institution_id,
                mamori_domain::Role::SupportOperator,
                None::<i64>,
                at.clone()
            );
            let detail = format!("case={id} urgency={urgency} symptoms={symptoms} systems={systems} care={}", report.care.as_str());
            Ok(Written::audited(id, Audit::new(&at, actor, "incident.create", institution_id, detail)))
        }).await?);
        Ok(id)
    }

    /// One case, if it is within `scope`.
    pub async fn incident(&self, scope: CaseScope, case_id: i64) -> Result<Option<IncidentCase>> {
        let sql = concat!(
            case_select!(),
            " WHERE c.id = $1 AND ($2 IS NULL OR c.institution_id = $2)"
        );
        let rows: Vec<CaseRow> = self.rows_of_case(sql, scope, case_id).await?;
        let row = rows.into_iter().next();
        row.map(case_from_row).transpose()
    }

    /// The cases within `scope`: open cases first (受付, then 対応中), the most urgent first,
    /// then the newest; at most `limit`.
    pub async fn incidents(
        &self,
        scope: CaseScope,
        state: Option<CaseState>,
        limit: i64,
    ) -> Result<Vec<IncidentCase>> {
        let sql = concat!(
            case_select!(),
            " WHERE ($1 IS NULL OR c.institution_id = $1) AND ($2 IS NULL OR c.state = $2) \
             ORDER BY CASE c.state WHEN 'new' THEN 0 WHEN 'in_progress' THEN 1 ELSE 2 END, c.urgency_rank, c.id DESC LIMIT $3"
        );
        let institution = scope.institution();
        let state = state.map(|s| s.as_str());
        let rows: Vec<CaseRow> = on_pool!(self, pool => {
            sqlx::query_as(sql).bind(institution).bind(state).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter().map(case_from_row).collect()
    }

    /// Moves a case within `scope` to a new state. `check` decides on the state the case is
    /// in inside the transaction; a refusal is returned as `Ok(Err(..))` and changes nothing.
    pub async fn set_incident_state<E>(
        &self,
        scope: CaseScope,
        case_id: i64,
        to: CaseState,
        actor: i64,
        check: impl FnOnce(CaseState) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let at = now();
        let institution = scope.institution();
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let current: Option<(String, i64)> = sqlx::query_as(
                "SELECT state, institution_id FROM incident_cases WHERE id = $1 AND ($2 IS NULL OR institution_id = $2)",
            )
            .bind(case_id).bind(institution).fetch_optional(&mut *tx).await?;
            let (from, institution_id) = current.ok_or(StoreError::NotFound)?;
            let from_state = parse_state(&from)?;
            if let Err(e) = check(from_state) {
                return Ok(Written::dropped(Err(e)));
            }
            // The state read above is the condition: a concurrent change makes this a conflict.
            let changed = sqlx::query("UPDATE incident_cases SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
                .bind(to.as_str()).bind(at.clone()).bind(case_id).bind(from.clone())
                .execute(&mut *tx).await?.rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict(format!("case {case_id}")));
            }
            sqlx::query("INSERT INTO incident_state_changes (case_id, from_state, to_state, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(case_id).bind(from.clone()).bind(to.as_str()).bind(actor).bind(at.clone())
                .execute(&mut *tx).await?;
            let detail = format!("case={case_id} from={from} to={}", to.as_str());
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "incident.state", institution_id, detail)))
        }).await?);
        Ok(outcome)
    }

    /// Adds a note to a case within `scope`.
    pub async fn add_incident_note(
        &self,
        scope: CaseScope,
        case_id: i64,
        side: NoteSide,
        body: &str,
        actor: i64,
    ) -> Result<i64> {
        let at = now();
        let institution = scope.institution();
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT institution_id FROM incident_cases WHERE id = $1 AND ($2 IS NULL OR institution_id = $2)",
            )
            .bind(case_id).bind(institution).fetch_optional(&mut *tx).await?;
            let (institution_id,) = found.ok_or(StoreError::NotFound)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO incident_notes (case_id, side, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(case_id).bind(side.as_str()).bind(body.to_owned()).bind(actor).bind(at.clone())
            .fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE incident_cases SET updated_at = $1 WHERE id = $2")
                .bind(at.clone()).bind(case_id).execute(&mut *tx).await?;
            if side == NoteSide::Desk {
                // The institution's admins and whoever reported the case hear the answer.
                let (reporter,): (Option<i64>,) = sqlx::query_as("SELECT reported_by FROM incident_cases WHERE id = $1")
                    .bind(case_id).fetch_one(&mut *tx).await?;
                crate::notifications::notify_users!(
                    tx,
                    mamori_domain::notification::Rule::IncidentReply,
                    format!("incident:{case_id}:note:{id}"),
                    crate::notifications::today_in_japan(),
                    institution_id,
                    mamori_domain::Role::InstitutionAdmin,
                    reporter,
                    at.clone()
                );
            }
            let detail = format!("case={case_id} note={id} side={} chars={}", side.as_str(), body.chars().count());
            Ok(Written::audited(id, Audit::new(&at, actor, "incident.note", institution_id, detail)))
        }).await?);
        Ok(id)
    }

    /// The notes of a case within `scope`, oldest first (none outside the scope).
    pub async fn incident_notes(
        &self,
        scope: CaseScope,
        case_id: i64,
    ) -> Result<Vec<IncidentNote>> {
        let rows: Vec<(i64, String, String, String, String)> = self
            .rows_of_case(
                "SELECT n.id, n.side, n.body, u.login, n.created_at FROM incident_notes n \
                 JOIN incident_cases c ON c.id = n.case_id JOIN users u ON u.id = n.created_by \
                 WHERE n.case_id = $1 AND ($2 IS NULL OR c.institution_id = $2) ORDER BY n.id",
                scope,
                case_id,
            )
            .await?;
        rows.into_iter()
            .map(|(id, side, body, author, created_at)| {
                Ok(IncidentNote {
                    id,
                    side: NoteSide::parse(&side)?,
                    body,
                    author,
                    created_at,
                })
            })
            .collect()
    }

    /// The state changes of a case within `scope`, oldest first.
    pub async fn incident_state_changes(
        &self,
        scope: CaseScope,
        case_id: i64,
    ) -> Result<Vec<StateChange>> {
        let rows: Vec<(Option<String>, String, String, String)> = self
            .rows_of_case(
                "SELECT s.from_state, s.to_state, u.login, s.changed_at FROM incident_state_changes s \
                 JOIN incident_cases c ON c.id = s.case_id JOIN users u ON u.id = s.changed_by \
                 WHERE s.case_id = $1 AND ($2 IS NULL OR c.institution_id = $2) ORDER BY s.id",
                scope,
                case_id,
            )
            .await?;
        rows.into_iter()
            .map(|(from, to, changed_by, changed_at)| {
                Ok(StateChange {
                    from: from.as_deref().map(parse_state).transpose()?,
                    to: parse_state(&to)?,
                    changed_by,
                    changed_at,
                })
            })
            .collect()
    }

    /// The rows `sql` selects for a case (`$1`) within `scope` (`$2`, the institution or NULL).
    async fn rows_of_case<R: EitherRow>(
        &self,
        sql: &'static str,
        scope: CaseScope,
        case_id: i64,
    ) -> Result<Vec<R>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sql).bind(case_id).bind(scope.institution()).fetch_all(pool).await?
        }))
    }
}
