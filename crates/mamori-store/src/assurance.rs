//! The security-assurance project (確保事業): programmes, the hospitals' survey answers with
//! their change log, rankings (順位指定), withdrawals (辞退) and submissions of 別紙1.
//!
//! Every write to a programme first updates the programme's row, which takes its lock on both
//! engines; the rule that decides whether the write is allowed then runs against the
//! prefecture's state as read inside the same transaction, so that two writes never decide on
//! the same stale state (two withdrawals promoting the same waiting hospital, say).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use mamori_domain::assurance::{BedBand, BedBands, FlagDecision, QuotaTable, RankReason};
use mamori_domain::{FiscalYear, InstitutionKind, Prefecture, assurance::SurveyAnswers};

use crate::{Audit, Pool, Result, Store, StoreError, Written, found, now, parse_date};

/// A programme year as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRecord {
    pub fiscal_year: FiscalYear,
    pub bands: BedBands,
    /// Hospitals change their answers until this day; afterwards only the prefecture does.
    pub deadline: NaiveDate,
    pub onsite_survey_deadline: NaiveDate,
    pub allow_backup_only: bool,
    pub quotas: QuotaTable,
    /// Institutions done in an earlier year's project, with their 医療機関コード.
    pub excluded: Vec<ExcludedRecord>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExcludedRecord {
    pub institution_id: i64,
    pub medical_institution_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewProgram {
    pub fiscal_year: FiscalYear,
    pub bands: BedBands,
    pub deadline: NaiveDate,
    pub onsite_survey_deadline: NaiveDate,
    pub allow_backup_only: bool,
    pub quotas: QuotaTable,
    pub excluded: Vec<i64>,
}

/// One hospital's application with what its registration says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: i64,
    pub fiscal_year: FiscalYear,
    pub institution_id: i64,
    pub institution_name: String,
    pub institution_kind: InstitutionKind,
    pub medical_institution_code: Option<String>,
    pub prefecture: Prefecture,
    pub answers: SurveyAnswers,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankRecord {
    pub application_id: i64,
    pub rank: u32,
    pub reasons: Vec<RankReason>,
    pub decision: Option<FlagDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRecord {
    pub application_id: i64,
    pub date: NaiveDate,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    pub submitted_by: String,
    pub submitted_at: String,
}

/// One entry of an application's change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationChange {
    /// `create`, `update` or `withdraw`.
    pub action: String,
    pub answers: Option<SurveyAnswers>,
    pub previous: Option<SurveyAnswers>,
    pub detail: Option<String>,
    pub changed_by: String,
    pub changed_at: String,
}

/// A prefecture's survey for a programme year, everything the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefectureBook {
    pub program: ProgramRecord,
    pub prefecture: Prefecture,
    /// By id.
    pub applications: Vec<ApplicationRecord>,
    /// By rank.
    pub ranking: Vec<RankRecord>,
    /// In the order recorded.
    pub withdrawals: Vec<WithdrawalRecord>,
    pub submission: Option<SubmissionRecord>,
}

impl PrefectureBook {
    pub fn application(&self, id: i64) -> Option<&ApplicationRecord> {
        self.applications.iter().find(|a| a.id == id)
    }
}

/// A change to a prefecture's survey, decided by the caller's rule.
#[derive(Debug, Clone)]
pub enum AssuranceChange {
    CreateApplication {
        institution_id: i64,
        answers: SurveyAnswers,
    },
    UpdateApplication {
        id: i64,
        answers: SurveyAnswers,
    },
    /// Replaces the whole ranking of the prefecture.
    SetRanking(Vec<RankRecord>),
    Withdraw {
        application_id: i64,
        date: NaiveDate,
        reason: String,
    },
    /// Submits the list (別紙1) and tells each applicant's admins its result.
    Submit(Vec<SurveyResultNotice>),
}

/// What a hospital is told of its survey when the prefecture submits its list.
#[derive(Debug, Clone)]
pub struct SurveyResultNotice {
    pub institution_id: i64,
    /// JSON: the status and its reason in both languages.
    pub detail: String,
}

/// The prefecture's state on the open connection `$conn` (a transaction or a pooled
/// connection), or `None` without such a programme.
macro_rules! load_book {
    ($conn:expr, $fy:expr, $pref:expr) => {{
        let fy: i64 = $fy;
        let pref: Prefecture = $pref;
        let program = load_program!($conn, fy);
        match program {
            None => None,
            Some(program) => {
                let apps: Vec<ApplicationRow> = sqlx::query_as(APPLICATIONS_SQL)
                    .bind(fy)
                    .bind(pref.code())
                    .fetch_all(&mut *$conn)
                    .await?;
                let ranks: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT application_id, rank, reasons, decision FROM assurance_rankings WHERE fiscal_year = $1 AND prefecture = $2 ORDER BY rank, application_id",
                )
                .bind(fy)
                .bind(pref.code())
                .fetch_all(&mut *$conn)
                .await?;
                let withdrawals: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
                    "SELECT w.application_id, w.withdrawn_on, w.reason, u.login, w.recorded_at FROM assurance_withdrawals w LEFT JOIN users u ON u.id = w.recorded_by WHERE w.fiscal_year = $1 AND w.prefecture = $2 ORDER BY w.id",
                )
                .bind(fy)
                .bind(pref.code())
                .fetch_all(&mut *$conn)
                .await?;
                let submission: Option<(Option<String>, String)> = sqlx::query_as(
                    "SELECT u.login, s.submitted_at FROM assurance_submissions s LEFT JOIN users u ON u.id = s.submitted_by WHERE s.fiscal_year = $1 AND s.prefecture = $2",
                )
                .bind(fy)
                .bind(pref.code())
                .fetch_optional(&mut *$conn)
                .await?;
                Some(build_book(program, pref, apps, ranks, withdrawals, submission)?)
            }
        }
    }};
}

macro_rules! load_program {
    ($conn:expr, $fy:expr) => {{
        let fy: i64 = $fy;
        let row: Option<(String, String, String, bool, String)> = sqlx::query_as(
            "SELECT bands, deadline, onsite_survey_deadline, allow_backup_only, created_at FROM assurance_programs WHERE fiscal_year = $1",
        )
        .bind(fy)
        .fetch_optional(&mut *$conn)
        .await?;
        match row {
            None => None,
            Some(row) => {
                let quotas: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT prefecture, band, quota FROM assurance_quotas WHERE fiscal_year = $1 ORDER BY prefecture, band",
                )
                .bind(fy)
                .fetch_all(&mut *$conn)
                .await?;
                let excluded: Vec<ExcludedRecord> = sqlx::query_as(
                    "SELECT e.institution_id, i.medical_institution_code FROM assurance_excluded e JOIN institutions i ON i.id = e.institution_id WHERE e.fiscal_year = $1 ORDER BY e.institution_id",
                )
                .bind(fy)
                .fetch_all(&mut *$conn)
                .await?;
                Some(build_program(fy, row, quotas, excluded)?)
            }
        }
    }};
}

/// A row of `APPLICATIONS_SQL` / `ALL_APPLICATIONS_SQL`.
#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: i64,
    institution_id: i64,
    institution_name: String,
    institution_kind: String,
    medical_institution_code: Option<String>,
    prefecture: String,
    answers: String,
    created_at: String,
    updated_at: String,
    updated_by: Option<String>,
}

/// The applications of a programme year (`$1`), with their institutions' registration.
macro_rules! applications_select {
    () => {
        "SELECT a.id, a.institution_id, i.name AS institution_name, i.kind AS institution_kind, i.medical_institution_code, a.prefecture, a.answers, a.created_at, a.updated_at, u.login AS updated_by FROM assurance_applications a JOIN institutions i ON i.id = a.institution_id LEFT JOIN users u ON u.id = a.updated_by WHERE a.fiscal_year = $1"
    };
}
const APPLICATIONS_SQL: &str = concat!(
    applications_select!(),
    " AND a.prefecture = $2 ORDER BY a.id"
);
const ALL_APPLICATIONS_SQL: &str = concat!(applications_select!(), " ORDER BY a.id");

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn fiscal_year(fy: i64) -> Result<FiscalYear> {
    i32::try_from(fy)
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| corrupt(format!("fiscal year {fy}")))
}

fn build_program(
    fy: i64,
    (bands, deadline, onsite, allow_backup_only, created_at): (
        String,
        String,
        String,
        bool,
        String,
    ),
    quotas: Vec<(String, i64, i64)>,
    excluded: Vec<ExcludedRecord>,
) -> Result<ProgramRecord> {
    let bands: Vec<BedBand> =
        serde_json::from_str(&bands).map_err(|e| corrupt(format!("bands: {e}")))?;
    let bands = BedBands::new(bands).map_err(|e| corrupt(e.to_string()))?;
    let mut by_prefecture: BTreeMap<Prefecture, Vec<u32>> = BTreeMap::new();
    for (p, band, quota) in quotas {
        let p = Prefecture::parse(&p).map_err(|e| corrupt(e.to_string()))?;
        let counts = by_prefecture.entry(p).or_default();
        let band = usize::try_from(band).map_err(|_| corrupt(format!("band {band}")))?;
        if counts.len() <= band {
            counts.resize(band + 1, 0);
        }
        counts[band] = u32::try_from(quota).map_err(|_| corrupt(format!("quota {quota}")))?;
    }
    let mut table = QuotaTable::new();
    for (p, counts) in by_prefecture {
        table.insert(p, counts);
    }
    Ok(ProgramRecord {
        fiscal_year: fiscal_year(fy)?,
        bands,
        deadline: parse_date(&deadline)?,
        onsite_survey_deadline: parse_date(&onsite)?,
        allow_backup_only,
        quotas: table,
        excluded,
        created_at,
    })
}

fn application_from_row(fy: FiscalYear, row: ApplicationRow) -> Result<ApplicationRecord> {
    let id = row.id;
    Ok(ApplicationRecord {
        id,
        fiscal_year: fy,
        institution_id: row.institution_id,
        institution_name: row.institution_name,
        institution_kind: InstitutionKind::parse(&row.institution_kind)
            .map_err(|e| corrupt(e.to_string()))?,
        medical_institution_code: row.medical_institution_code,
        prefecture: Prefecture::parse(&row.prefecture).map_err(|e| corrupt(e.to_string()))?,
        answers: serde_json::from_str(&row.answers)
            .map_err(|e| corrupt(format!("answers of application {id}: {e}")))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        updated_by: row.updated_by.unwrap_or_default(),
    })
}

fn build_book(
    program: ProgramRecord,
    prefecture: Prefecture,
    apps: Vec<ApplicationRow>,
    ranks: Vec<(i64, i64, String, Option<String>)>,
    withdrawals: Vec<(i64, String, String, Option<String>, String)>,
    submission: Option<(Option<String>, String)>,
) -> Result<PrefectureBook> {
    let fy = program.fiscal_year;
    let applications = apps
        .into_iter()
        .map(|row| application_from_row(fy, row))
        .collect::<Result<Vec<_>>>()?;
    let ranking = ranks
        .into_iter()
        .map(|(application_id, rank, reasons, decision)| {
            Ok(RankRecord {
                application_id,
                rank: u32::try_from(rank).map_err(|_| corrupt(format!("rank {rank}")))?,
                reasons: serde_json::from_str(&reasons)
                    .map_err(|e| corrupt(format!("rank reasons: {e}")))?,
                decision: decision
                    .map(|d| match d.as_str() {
                        "accept" => Ok(FlagDecision::Accept),
                        "decline" => Ok(FlagDecision::Decline),
                        other => Err(corrupt(format!("decision {other}"))),
                    })
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let withdrawals = withdrawals
        .into_iter()
        .map(|(application_id, date, reason, by, at)| {
            Ok(WithdrawalRecord {
                application_id,
                date: parse_date(&date)?,
                reason,
                recorded_by: by.unwrap_or_default(),
                recorded_at: at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PrefectureBook {
        program,
        prefecture,
        applications,
        ranking,
        withdrawals,
        submission: submission.map(|(by, at)| SubmissionRecord {
            submitted_by: by.unwrap_or_default(),
            submitted_at: at,
        }),
    })
}

fn decision_text(d: Option<FlagDecision>) -> Option<&'static str> {
    d.map(|d| match d {
        FlagDecision::Accept => "accept",
        FlagDecision::Decline => "decline",
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Opens a programme year: bands, quotas, deadline, exclusions. `Conflict` if it exists.
    pub async fn create_program(&self, new: &NewProgram, actor: i64) -> Result<()> {
        let at = now();
        let fy = i64::from(new.fiscal_year.start_year());
        let bands = to_json(&new.bands.as_slice())?;
        let detail = format!(
            "fiscal_year={fy} bands={bands} deadline={} allow_backup_only={} quotas={} excluded={}",
            new.deadline,
            new.allow_backup_only,
            new.quotas.len(),
            new.excluded.len()
        );
        let result = on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query("INSERT INTO assurance_programs (fiscal_year, bands, deadline, onsite_survey_deadline, allow_backup_only, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
                .bind(fy).bind(bands.clone()).bind(new.deadline.to_string()).bind(new.onsite_survey_deadline.to_string())
                .bind(new.allow_backup_only).bind(actor).bind(at.clone())
                .execute(&mut *tx).await?;
            for (p, counts) in new.quotas.iter() {
                for (band, quota) in counts.iter().enumerate() {
                    sqlx::query("INSERT INTO assurance_quotas (fiscal_year, prefecture, band, quota) VALUES ($1, $2, $3, $4)")
                        .bind(fy).bind(p.code()).bind(band as i64).bind(i64::from(*quota))
                        .execute(&mut *tx).await?;
                }
            }
            for id in &new.excluded {
                sqlx::query("INSERT INTO assurance_excluded (fiscal_year, institution_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(fy).bind(*id).execute(&mut *tx).await?;
            }
            Ok(Written::audited((), Audit::new(&at, actor, "assurance.program.create", None::<i64>, detail.clone())))
        }).await);
        match result {
            Err(StoreError::Database(e)) if crate::is_unique_violation(&e) => {
                Err(StoreError::Conflict(new.fiscal_year.label_ja()))
            }
            other => other,
        }
    }

    /// Replaces every quota (支援枠数) of a programme, as imported from 別紙2.
    pub async fn replace_quotas(
        &self,
        fiscal_year: FiscalYear,
        quotas: &QuotaTable,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        on_pool!(self, pool => self.write(pool, async |tx| {
            let done = sqlx::query("UPDATE assurance_programs SET updated_at = $1 WHERE fiscal_year = $2")
                .bind(at.clone()).bind(fy).execute(&mut *tx).await?;
            found(done.rows_affected())?;
            sqlx::query("DELETE FROM assurance_quotas WHERE fiscal_year = $1").bind(fy).execute(&mut *tx).await?;
            for (p, counts) in quotas.iter() {
                for (band, quota) in counts.iter().enumerate() {
                    sqlx::query("INSERT INTO assurance_quotas (fiscal_year, prefecture, band, quota) VALUES ($1, $2, $3, $4)")
                        .bind(fy).bind(p.code()).bind(band as i64).bind(i64::from(*quota))
                        .execute(&mut *tx).await?;
                }
            }
            Ok(Written::audited((), Audit::new(&at, actor, "assurance.quotas.replace", None::<i64>, format!("fiscal_year={fy} prefectures={}", quotas.len()))))
        }).await?);
        Ok(())
    }

    /// The institutions with these medical institution codes (医療機関コード), by code; codes
    /// no institution has are left out. For the list of hospitals excluded from a programme,
    /// which the national office keeps by code.
    pub async fn institutions_by_code(&self, codes: &[String]) -> Result<BTreeMap<String, i64>> {
        let mut found = BTreeMap::new();
        for chunk in codes.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT medical_institution_code, id FROM institutions WHERE medical_institution_code IN ({}) ORDER BY id",
                placeholders.join(", ")
            );
            let rows: Vec<(String, i64)> = on_pool!(self, pool => {
                // Only numbered placeholders are formatted into the text.
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for code in chunk {
                    query = query.bind(code);
                }
                query.fetch_all(pool).await?
            });
            for (code, id) in rows {
                found.entry(code).or_insert(id);
            }
        }
        Ok(found)
    }

    /// The programme years, latest first.
    pub async fn program_years(&self) -> Result<Vec<FiscalYear>> {
        let rows: Vec<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT fiscal_year FROM assurance_programs ORDER BY fiscal_year DESC").fetch_all(pool).await?
        });
        rows.into_iter().map(|(fy,)| fiscal_year(fy)).collect()
    }

    pub async fn program(&self, fiscal_year: FiscalYear) -> Result<Option<ProgramRecord>> {
        let fy = i64::from(fiscal_year.start_year());
        let program = on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            load_program!(conn, fy)
        });
        Ok(program)
    }

    /// A prefecture's survey of a programme year; `None` without the programme.
    pub async fn prefecture_book(
        &self,
        fiscal_year: FiscalYear,
        prefecture: Prefecture,
    ) -> Result<Option<PrefectureBook>> {
        let fy = i64::from(fiscal_year.start_year());
        let book = on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            load_book!(conn, fy, prefecture)
        });
        Ok(book)
    }

    /// Every prefecture's survey of a programme year in a few queries (the national overview);
    /// `None` without the programme.
    pub async fn national_books(
        &self,
        fiscal_year: FiscalYear,
    ) -> Result<Option<BTreeMap<Prefecture, PrefectureBook>>> {
        let fy = i64::from(fiscal_year.start_year());
        type Rows = (
            Vec<(String, ApplicationRow)>,
            Vec<(String, i64, i64, String, Option<String>)>,
            Vec<(String, i64, String, String, Option<String>, String)>,
            Vec<(String, Option<String>, String)>,
        );
        let loaded: Option<(ProgramRecord, Rows)> = on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            match load_program!(conn, fy) {
                None => None,
                Some(program) => {
                    let apps: Vec<ApplicationRow> = sqlx::query_as(ALL_APPLICATIONS_SQL)
                        .bind(fy).fetch_all(&mut *conn).await?;
                    let apps = apps.into_iter().map(|r| (r.prefecture.clone(), r)).collect();
                    let ranks = sqlx::query_as("SELECT prefecture, application_id, rank, reasons, decision FROM assurance_rankings WHERE fiscal_year = $1 ORDER BY prefecture, rank, application_id")
                        .bind(fy).fetch_all(&mut *conn).await?;
                    let withdrawals = sqlx::query_as("SELECT w.prefecture, w.application_id, w.withdrawn_on, w.reason, u.login, w.recorded_at FROM assurance_withdrawals w LEFT JOIN users u ON u.id = w.recorded_by WHERE w.fiscal_year = $1 ORDER BY w.id")
                        .bind(fy).fetch_all(&mut *conn).await?;
                    let submissions = sqlx::query_as("SELECT s.prefecture, u.login, s.submitted_at FROM assurance_submissions s LEFT JOIN users u ON u.id = s.submitted_by WHERE s.fiscal_year = $1")
                        .bind(fy).fetch_all(&mut *conn).await?;
                    Some((program, (apps, ranks, withdrawals, submissions)))
                }
            }
        });
        let Some((program, (apps, ranks, withdrawals, submissions))) = loaded else {
            return Ok(None);
        };
        type Parts = (
            Vec<ApplicationRow>,
            Vec<(i64, i64, String, Option<String>)>,
            Vec<(i64, String, String, Option<String>, String)>,
            Option<(Option<String>, String)>,
        );
        let mut parts: BTreeMap<String, Parts> = BTreeMap::new();
        for (p, row) in apps {
            parts.entry(p).or_default().0.push(row);
        }
        for (p, a, r, reasons, d) in ranks {
            parts.entry(p).or_default().1.push((a, r, reasons, d));
        }
        for (p, a, on, reason, by, at) in withdrawals {
            parts.entry(p).or_default().2.push((a, on, reason, by, at));
        }
        for (p, by, at) in submissions {
            parts.entry(p).or_default().3 = Some((by, at));
        }
        let mut out = BTreeMap::new();
        for (p, (a, r, w, s)) in parts {
            let pref = Prefecture::parse(&p).map_err(|e| corrupt(e.to_string()))?;
            out.insert(pref, build_book(program.clone(), pref, a, r, w, s)?);
        }
        Ok(Some(out))
    }

    /// An application's change log, oldest first.
    pub async fn application_changes(
        &self,
        fiscal_year: FiscalYear,
        application_id: i64,
    ) -> Result<Vec<ApplicationChange>> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let fy = i64::from(fiscal_year.start_year());
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT c.action, c.answers, c.previous_answers, u.login, c.changed_at FROM assurance_application_changes c JOIN assurance_applications a ON a.id = c.application_id LEFT JOIN users u ON u.id = c.changed_by WHERE c.application_id = $1 AND a.fiscal_year = $2 ORDER BY c.id")
                .bind(application_id).bind(fy).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(action, answers, previous, by, at)| {
                let parse =
                    |text: Option<String>| -> Result<(Option<SurveyAnswers>, Option<String>)> {
                        match text {
                            None => Ok((None, None)),
                            Some(t) if t.starts_with('{') => Ok((
                                Some(
                                    serde_json::from_str(&t)
                                        .map_err(|e| corrupt(format!("change log: {e}")))?,
                                ),
                                None,
                            )),
                            Some(t) => Ok((None, Some(t))),
                        }
                    };
                let (answers, detail) = parse(answers)?;
                let (previous, _) = parse(previous)?;
                Ok(ApplicationChange {
                    action,
                    answers,
                    previous,
                    detail,
                    changed_by: by.unwrap_or_default(),
                    changed_at: at,
                })
            })
            .collect()
    }

    /// The prefecture (and programme) of an application.
    /// Whether the institution has answered the survey of any programme year (its
    /// applications are read with its current 医療機関コード).
    pub async fn institution_has_application(&self, institution_id: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM assurance_applications WHERE institution_id = $1 LIMIT 1")
                .bind(institution_id).fetch_optional(pool).await?
        });
        Ok(row.is_some())
    }

    pub async fn application_prefecture(
        &self,
        fiscal_year: FiscalYear,
        application_id: i64,
    ) -> Result<Option<Prefecture>> {
        let fy = i64::from(fiscal_year.start_year());
        let row: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT prefecture FROM assurance_applications WHERE id = $1 AND fiscal_year = $2")
                .bind(application_id).bind(fy).fetch_optional(pool).await?
        });
        row.map(|(p,)| Prefecture::parse(&p).map_err(|e| corrupt(e.to_string())))
            .transpose()
    }

    /// Applies one change to a prefecture's survey if `decide` allows it against the state as
    /// read inside the writing transaction (see the module comment). `decide` returns the
    /// change, or why it is refused; the outer error is the store's. Returns the id of the
    /// application concerned, if any.
    pub async fn change_survey<E>(
        &self,
        fiscal_year: FiscalYear,
        prefecture: Prefecture,
        actor: i64,
        decide: impl FnOnce(&PrefectureBook) -> std::result::Result<AssuranceChange, E>,
    ) -> Result<std::result::Result<Option<i64>, E>> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let locked = sqlx::query("UPDATE assurance_programs SET updated_at = $1 WHERE fiscal_year = $2")
                .bind(at.clone()).bind(fy).execute(&mut *tx).await?;
            found(locked.rows_affected())?;
            let Some(book) = load_book!(tx, fy, prefecture) else {
                return Err(StoreError::NotFound);
            };
            let change = match decide(&book) {
                Ok(change) => change,
                Err(refused) => return Ok(Written::dropped(Err(refused))),
            };
            let pref = prefecture.code();
            let (id, audit) = match change {
                AssuranceChange::CreateApplication { institution_id, answers } => {
                    let json = to_json(&answers)?;
                    let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                        "INSERT INTO assurance_applications (fiscal_year, institution_id, prefecture, answers, created_by, created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $5, $6) RETURNING id",
                    )
                    .bind(fy).bind(institution_id).bind(pref.clone()).bind(json.clone()).bind(actor).bind(at.clone())
                    .fetch_one(&mut *tx).await;
                    let (id,) = match inserted {
                        Ok(row) => row,
                        Err(e) if crate::is_unique_violation(&e) => {
                            return Err(StoreError::Conflict(format!("application of institution {institution_id}")));
                        }
                        Err(e) => return Err(e.into()),
                    };
                    sqlx::query("INSERT INTO assurance_application_changes (application_id, action, answers, changed_by, changed_at) VALUES ($1, 'create', $2, $3, $4)")
                        .bind(id).bind(json.clone()).bind(actor).bind(at.clone()).execute(&mut *tx).await?;
                    (
                        Some(id),
                        Audit::new(&at, actor, "assurance.application.create", institution_id, format!("fiscal_year={fy} application={id} answers={json}")),
                    )
                }
                AssuranceChange::UpdateApplication { id, answers } => {
                    let json = to_json(&answers)?;
                    let previous: Option<(String, i64)> = sqlx::query_as(
                        "SELECT answers, institution_id FROM assurance_applications WHERE id = $1 AND fiscal_year = $2 AND prefecture = $3",
                    )
                    .bind(id).bind(fy).bind(pref.clone()).fetch_optional(&mut *tx).await?;
                    let Some((previous, institution_id)) = previous else {
                        return Err(StoreError::NotFound);
                    };
                    sqlx::query("UPDATE assurance_applications SET answers = $1, updated_by = $2, updated_at = $3 WHERE id = $4")
                        .bind(json.clone()).bind(actor).bind(at.clone()).bind(id).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO assurance_application_changes (application_id, action, answers, previous_answers, changed_by, changed_at) VALUES ($1, 'update', $2, $3, $4, $5)")
                        .bind(id).bind(json.clone()).bind(previous).bind(actor).bind(at.clone()).execute(&mut *tx).await?;
                    (
                        Some(id),
                        Audit::new(&at, actor, "assurance.application.update", institution_id, format!("fiscal_year={fy} application={id} answers={json}")),
                    )
                }
                AssuranceChange::SetRanking(entries) => {
                    sqlx::query("DELETE FROM assurance_rankings WHERE fiscal_year = $1 AND prefecture = $2")
                        .bind(fy).bind(pref.clone()).execute(&mut *tx).await?;
                    for e in &entries {
                        sqlx::query("INSERT INTO assurance_rankings (fiscal_year, prefecture, application_id, rank, reasons, decision) VALUES ($1, $2, $3, $4, $5, $6)")
                            .bind(fy).bind(pref.clone()).bind(e.application_id).bind(i64::from(e.rank))
                            .bind(to_json(&e.reasons)?).bind(decision_text(e.decision))
                            .execute(&mut *tx).await?;
                    }
                    let order: Vec<String> = entries.iter().map(|e| e.application_id.to_string()).collect();
                    (
                        None,
                        Audit::new(&at, actor, "assurance.ranking.set", None::<i64>, format!("fiscal_year={fy} prefecture={pref} ranking={}", order.join(","))),
                    )
                }
                AssuranceChange::Withdraw { application_id, date, reason } => {
                    let institution: Option<(i64,)> = sqlx::query_as(
                        "SELECT institution_id FROM assurance_applications WHERE id = $1 AND fiscal_year = $2 AND prefecture = $3",
                    )
                    .bind(application_id).bind(fy).bind(pref.clone()).fetch_optional(&mut *tx).await?;
                    let Some((institution_id,)) = institution else {
                        return Err(StoreError::NotFound);
                    };
                    sqlx::query("INSERT INTO assurance_withdrawals (fiscal_year, prefecture, application_id, withdrawn_on, reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(fy).bind(pref.clone()).bind(application_id).bind(date.to_string()).bind(reason.clone()).bind(actor).bind(at.clone())
                        .execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO assurance_application_changes (application_id, action, answers, changed_by, changed_at) VALUES ($1, 'withdraw', $2, $3, $4)")
                        .bind(application_id).bind(format!("{date} {reason}")).bind(actor).bind(at.clone()).execute(&mut *tx).await?;
                    (
                        Some(application_id),
                        Audit::new(&at, actor, "assurance.withdraw", institution_id, format!("fiscal_year={fy} application={application_id} date={date} reason={reason}")),
                    )
                }
                AssuranceChange::Submit(results) => {
                    sqlx::query("INSERT INTO assurance_submissions (fiscal_year, prefecture, submitted_by, submitted_at) VALUES ($1, $2, $3, $4)")
                        .bind(fy).bind(pref.clone()).bind(actor).bind(at.clone()).execute(&mut *tx).await?;
                    let today = crate::notifications::today_in_japan();
                    for result in &results {
                        sqlx::query(
                            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, detail, created_at) \
                             SELECT u.id, $1, $2, $3, $4, $5, $6, $7 FROM users u \
                             WHERE u.institution_id = $4 AND u.role = $8 AND NOT u.disabled AND u.deleted_at IS NULL \
                             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
                        )
                        .bind(mamori_domain::notification::Rule::SurveyResult.as_str())
                        .bind(format!("survey-result:{fy}:{}", result.institution_id))
                        .bind(&today)
                        .bind(result.institution_id)
                        .bind(fy)
                        .bind(&result.detail)
                        .bind(&at)
                        .bind(mamori_domain::Role::InstitutionAdmin.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    (
                        None,
                        Audit::new(&at, actor, "assurance.submit", None::<i64>, format!("fiscal_year={fy} prefecture={pref}")),
                    )
                }
            };
            Ok(Written::audited(Ok(id), audit))
        }).await?);
        Ok(outcome)
    }
}
