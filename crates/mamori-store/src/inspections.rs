//! What follows the on-site inspection (立入検査): the schedule, the inspector's remarks per
//! item, the notified result and the improvement reports (改善報告). Each step is one audited
//! write that checks, inside its transaction, that the step is still allowed (a remark only
//! before the result is notified, a report only on an open 指導, a decision only on the
//! latest undecided report), so two people acting at once cannot both succeed.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use mamori_domain::follow_up::{
    ImprovementReport, InspectionSchedule, RemarkLevel, RemarkProgress, ReportDecision,
    remark_progress,
};
use mamori_domain::oversight::OversightKind;
use mamori_domain::{FiscalYear, InstitutionScope, Prefecture};

use crate::write::{Audit, Written};
use crate::{Pool, Result, Store, StoreError, now, parse_date};

/// An inspection as stored, with who scheduled and notified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRecord {
    pub schedule: InspectionSchedule,
    pub scheduled_by: String,
    pub scheduled_at: String,
    /// 総評
    pub overall_comment: String,
    pub notified_by: Option<String>,
    /// When the result was notified (結果の確定); `None` while remarks are drafts.
    pub notified_at: Option<String>,
}

/// The inspector's remark on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemarkRecord {
    pub item_key: String,
    pub level: RemarkLevel,
    pub note: String,
    pub progress: RemarkProgress,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// One improvement report and the decision on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    pub id: i64,
    pub item_key: String,
    pub action_taken: String,
    pub done_on: NaiveDate,
    pub filed_by: String,
    pub filed_at: String,
    pub decision: Option<ReportDecision>,
    pub decision_note: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// Everything that followed one institution's inspection of a fiscal year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUp {
    pub inspection: Option<InspectionRecord>,
    /// In the order of their item keys.
    pub remarks: Vec<RemarkRecord>,
    /// Oldest first.
    pub reports: Vec<ReportRecord>,
}

impl FollowUp {
    pub fn remark(&self, item_key: &str) -> Option<&RemarkRecord> {
        self.remarks.iter().find(|r| r.item_key == item_key)
    }

    /// The reports on one item, oldest first.
    pub fn reports_on<'a>(&'a self, item_key: &'a str) -> impl Iterator<Item = &'a ReportRecord> {
        self.reports.iter().filter(move |r| r.item_key == item_key)
    }

    pub fn is_notified(&self) -> bool {
        self.inspection
            .as_ref()
            .is_some_and(|i| i.notified_at.is_some())
    }
}

/// Why a step of the follow-up was refused; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpRefusal {
    /// No inspection is scheduled for that year.
    NotScheduled,
    /// The result is notified; the schedule and the remarks are fixed.
    AlreadyNotified,
    /// The inspection's day has not come: a result is notified once it is held.
    NotHeldYet,
    /// The item has no 指導 waiting for a report.
    NoReportAwaited,
    /// The report is not the latest undecided one of its item.
    NoReportToDecide,
}

/// Open 指摘 counted for one prefecture and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenRemarkCounts {
    pub remarks: i64,
    pub institutions: i64,
}

/// A scheduled inspection as the oversight list shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduledInspection {
    pub institution_id: i64,
    pub name: String,
    pub prefecture: String,
    pub scheduled_on: String,
    pub starts_at: Option<String>,
    pub notified_at: Option<String>,
    pub open_remarks: i64,
}

#[derive(sqlx::FromRow)]
struct InspectionRow {
    scheduled_on: String,
    starts_at: Option<String>,
    inspectors: String,
    scheduled_by: Option<String>,
    scheduled_at: String,
    overall_comment: String,
    notified_by: Option<String>,
    notified_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RemarkRow {
    item_key: String,
    level: String,
    note: String,
    progress: String,
    recorded_by: Option<String>,
    recorded_at: String,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    item_key: String,
    action_taken: String,
    done_on: String,
    filed_by: Option<String>,
    filed_at: String,
    decision: Option<String>,
    decision_note: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OpenCountRow {
    prefecture: String,
    oversight_kind: String,
    remarks: i64,
    institutions: i64,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn time_text(t: Option<NaiveTime>) -> Option<String> {
    t.map(|t| t.format("%H:%M").to_string())
}

/// The notified state and the latest report of one remark, read inside a write.
macro_rules! remark_state {
    ($tx:expr, $institution_id:expr, $year:expr, $item_key:expr) => {{
        let remark: Option<(String, String)> = sqlx::query_as(
            "SELECT level, progress FROM inspection_remarks WHERE institution_id = $1 AND fiscal_year = $2 AND item_key = $3",
        )
        .bind($institution_id)
        .bind($year)
        .bind($item_key)
        .fetch_optional(&mut *$tx)
        .await?;
        remark
    }};
}

impl Store {
    /// The inspection of an institution's fiscal year, its remarks and its reports.
    pub async fn follow_up(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<FollowUp> {
        let year = i64::from(fiscal_year.start_year());
        // Most institutions have no inspection in a year: the first query tells, and nothing
        // else exists without one.
        let (inspection, remarks, reports): (
            Option<InspectionRow>,
            Vec<RemarkRow>,
            Vec<ReportRow>,
        ) = on_pool!(self, pool => {
            let inspection: Option<InspectionRow> = sqlx::query_as(
                "SELECT n.scheduled_on, n.starts_at, n.inspectors, s.login AS scheduled_by, n.scheduled_at, n.overall_comment, d.login AS notified_by, n.notified_at FROM inspections n LEFT JOIN users s ON s.id = n.scheduled_by LEFT JOIN users d ON d.id = n.notified_by WHERE n.institution_id = $1 AND n.fiscal_year = $2",
            )
            .bind(institution_id).bind(year).fetch_optional(pool).await?;
            if inspection.is_none() {
                return Ok(FollowUp::default());
            }
            let remarks = sqlx::query_as(
                "SELECT r.item_key, r.level, r.note, r.progress, u.login AS recorded_by, r.recorded_at FROM inspection_remarks r LEFT JOIN users u ON u.id = r.recorded_by WHERE r.institution_id = $1 AND r.fiscal_year = $2 ORDER BY r.item_key",
            )
            .bind(institution_id).bind(year).fetch_all(pool).await?;
            let reports = sqlx::query_as(
                "SELECT p.id, p.item_key, p.action_taken, p.done_on, f.login AS filed_by, p.filed_at, p.decision, p.decision_note, d.login AS decided_by, p.decided_at FROM improvement_reports p LEFT JOIN users f ON f.id = p.filed_by LEFT JOIN users d ON d.id = p.decided_by WHERE p.institution_id = $1 AND p.fiscal_year = $2 ORDER BY p.id",
            )
            .bind(institution_id).bind(year).fetch_all(pool).await?;
            (inspection, remarks, reports)
        });
        let inspection = inspection
            .map(|row| -> Result<InspectionRecord> {
                let starts_at = row
                    .starts_at
                    .as_deref()
                    .map(|t| NaiveTime::parse_from_str(t, "%H:%M").map_err(corrupt))
                    .transpose()?;
                Ok(InspectionRecord {
                    schedule: InspectionSchedule {
                        date: parse_date(&row.scheduled_on)?,
                        starts_at,
                        inspectors: row.inspectors.lines().map(str::to_owned).collect(),
                    },
                    scheduled_by: row.scheduled_by.unwrap_or_default(),
                    scheduled_at: row.scheduled_at,
                    overall_comment: row.overall_comment,
                    notified_by: row.notified_by,
                    notified_at: row.notified_at,
                })
            })
            .transpose()?;
        let remarks = remarks
            .into_iter()
            .map(|row| {
                Ok(RemarkRecord {
                    item_key: row.item_key,
                    level: RemarkLevel::parse(&row.level).map_err(corrupt)?,
                    note: row.note,
                    progress: RemarkProgress::parse(&row.progress).map_err(corrupt)?,
                    recorded_by: row.recorded_by.unwrap_or_default(),
                    recorded_at: row.recorded_at,
                })
            })
            .collect::<Result<_>>()?;
        let reports = reports
            .into_iter()
            .map(|row| {
                Ok(ReportRecord {
                    id: row.id,
                    item_key: row.item_key,
                    action_taken: row.action_taken,
                    done_on: parse_date(&row.done_on)?,
                    filed_by: row.filed_by.unwrap_or_default(),
                    filed_at: row.filed_at,
                    decision: row
                        .decision
                        .as_deref()
                        .map(ReportDecision::parse)
                        .transpose()
                        .map_err(corrupt)?,
                    decision_note: row.decision_note,
                    decided_by: row.decided_by,
                    decided_at: row.decided_at,
                })
            })
            .collect::<Result<_>>()?;
        Ok(FollowUp {
            inspection,
            remarks,
            reports,
        })
    }

    /// Schedules the inspection of an institution's fiscal year, or moves it; refused once
    /// the result is notified.
    pub async fn schedule_inspection(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        schedule: &InspectionSchedule,
        actor: i64,
    ) -> Result<Result<(), FollowUpRefusal>> {
        let at = now();
        let year = i64::from(fiscal_year.start_year());
        let detail = format!(
            "fiscal_year={year} date={} starts_at={} inspectors={}",
            schedule.date,
            time_text(schedule.starts_at).unwrap_or_default(),
            schedule.inspectors.join("、")
        );
        Ok(on_pool!(self, pool => self.write(pool, async |tx| {
            let notified: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT notified_at FROM inspections WHERE institution_id = $1 AND fiscal_year = $2",
            )
            .bind(institution_id).bind(year).fetch_optional(&mut *tx).await?;
            if matches!(notified, Some((Some(_),))) {
                return Ok(Written::dropped(Err(FollowUpRefusal::AlreadyNotified)));
            }
            sqlx::query(
                "INSERT INTO inspections (institution_id, fiscal_year, scheduled_on, starts_at, inspectors, scheduled_by, scheduled_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (institution_id, fiscal_year) DO UPDATE SET scheduled_on = excluded.scheduled_on, starts_at = excluded.starts_at, inspectors = excluded.inspectors, scheduled_by = excluded.scheduled_by, scheduled_at = excluded.scheduled_at",
            )
            .bind(institution_id).bind(year).bind(schedule.date.to_string()).bind(time_text(schedule.starts_at))
            .bind(schedule.inspectors_text()).bind(actor).bind(at.clone())
            .execute(&mut *tx).await?;
            // The institution learns the date with the change; a date set again is not told again.
            crate::notifications::notify_institution_admins!(
                tx,
                mamori_domain::notification::Rule::InspectionScheduled,
                format!("inspection:{institution_id}:{year}"),
                schedule.date.to_string(),
                institution_id,
                year,
                at.clone()
            );
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "inspection.schedule", institution_id, detail)))
        }).await?))
    }

    /// Records (or changes) the remark on one item, before the result is notified.
    pub async fn record_remark(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        level: RemarkLevel,
        note: &str,
        actor: i64,
    ) -> Result<Result<(), FollowUpRefusal>> {
        let at = now();
        let year = i64::from(fiscal_year.start_year());
        let detail = format!(
            "fiscal_year={year} item={item_key} level={}",
            level.as_str()
        );
        Ok(on_pool!(self, pool => self.write(pool, async |tx| {
            let notified: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT notified_at FROM inspections WHERE institution_id = $1 AND fiscal_year = $2",
            )
            .bind(institution_id).bind(year).fetch_optional(&mut *tx).await?;
            match notified {
                None => return Ok(Written::dropped(Err(FollowUpRefusal::NotScheduled))),
                Some((Some(_),)) => return Ok(Written::dropped(Err(FollowUpRefusal::AlreadyNotified))),
                Some((None,)) => {}
            }
            sqlx::query(
                "INSERT INTO inspection_remarks (institution_id, fiscal_year, item_key, level, note, progress, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (institution_id, fiscal_year, item_key) DO UPDATE SET level = excluded.level, note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(institution_id).bind(year).bind(item_key).bind(level.as_str()).bind(note)
            .bind(RemarkProgress::Draft.as_str()).bind(actor).bind(at.clone())
            .execute(&mut *tx).await?;
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "inspection.remark", institution_id, detail)))
        }).await?))
    }

    /// Notifies the result (結果の確定): fixes the schedule and the remarks, and opens each
    /// 指導 for an improvement report. Refused before the inspection's day (`today`, in
    /// Japan). Cannot be undone.
    pub async fn notify_result(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        overall_comment: &str,
        today: NaiveDate,
        actor: i64,
    ) -> Result<Result<(), FollowUpRefusal>> {
        let at = now();
        let year = i64::from(fiscal_year.start_year());
        Ok(on_pool!(self, pool => self.write(pool, async |tx| {
            let inspection: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT scheduled_on, notified_at FROM inspections WHERE institution_id = $1 AND fiscal_year = $2",
            )
            .bind(institution_id).bind(year).fetch_optional(&mut *tx).await?;
            match inspection {
                None => return Ok(Written::dropped(Err(FollowUpRefusal::NotScheduled))),
                Some((_, Some(_))) => return Ok(Written::dropped(Err(FollowUpRefusal::AlreadyNotified))),
                Some((day, None)) if parse_date(&day)? > today => {
                    return Ok(Written::dropped(Err(FollowUpRefusal::NotHeldYet)));
                }
                Some(_) => {}
            }
            sqlx::query("UPDATE inspections SET overall_comment = $1, notified_by = $2, notified_at = $3 WHERE institution_id = $4 AND fiscal_year = $5")
                .bind(overall_comment).bind(actor).bind(at.clone()).bind(institution_id).bind(year)
                .execute(&mut *tx).await?;
            let levels: Vec<(String, String)> = sqlx::query_as(
                "SELECT item_key, level FROM inspection_remarks WHERE institution_id = $1 AND fiscal_year = $2",
            )
            .bind(institution_id).bind(year).fetch_all(&mut *tx).await?;
            let mut guidance = 0;
            for (item_key, level) in &levels {
                let level = RemarkLevel::parse(level).map_err(corrupt)?;
                guidance += usize::from(level == RemarkLevel::Guidance);
                sqlx::query("UPDATE inspection_remarks SET progress = $1 WHERE institution_id = $2 AND fiscal_year = $3 AND item_key = $4")
                    .bind(remark_progress(level, true, None).as_str())
                    .bind(institution_id).bind(year).bind(item_key)
                    .execute(&mut *tx).await?;
            }
            if guidance > 0 {
                // The institution learns with the result that reports are awaited.
                crate::notifications::notify_institution_admins!(
                    tx,
                    mamori_domain::notification::Rule::ImprovementReportsAwaited,
                    format!("inspection:{institution_id}:{year}"),
                    today.to_string(),
                    institution_id,
                    year,
                    at.clone()
                );
            }
            let detail = format!("fiscal_year={year} remarks={} guidance={guidance}", levels.len());
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "inspection.notify", institution_id, detail)))
        }).await?))
    }

    /// Files an improvement report on an open 指導; gives the report's id.
    pub async fn file_improvement_report(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        report: &ImprovementReport,
        actor: i64,
    ) -> Result<Result<i64, FollowUpRefusal>> {
        let at = now();
        let year = i64::from(fiscal_year.start_year());
        Ok(on_pool!(self, pool => self.write(pool, async |tx| {
            let awaited = remark_state!(tx, institution_id, year, item_key).is_some_and(|(_, progress)| {
                matches!(RemarkProgress::parse(&progress), Ok(RemarkProgress::AwaitingReport | RemarkProgress::Returned))
            });
            if !awaited {
                return Ok(Written::dropped(Err(FollowUpRefusal::NoReportAwaited)));
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO improvement_reports (institution_id, fiscal_year, item_key, action_taken, done_on, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(institution_id).bind(year).bind(item_key).bind(report.action_taken.clone())
            .bind(report.done_on.to_string()).bind(actor).bind(at.clone())
            .fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE inspection_remarks SET progress = $1 WHERE institution_id = $2 AND fiscal_year = $3 AND item_key = $4")
                .bind(RemarkProgress::Reported.as_str()).bind(institution_id).bind(year).bind(item_key)
                .execute(&mut *tx).await?;
            let detail = format!("fiscal_year={year} item={item_key} report={id} done_on={}", report.done_on);
            Ok(Written::audited(Ok(id), Audit::new(&at, actor, "inspection.improvement_report", institution_id, detail)))
        }).await?))
    }

    /// Accepts or returns the latest report on an item, which must not be decided yet.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_improvement_report(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        report_id: i64,
        decision: ReportDecision,
        note: &str,
        actor: i64,
    ) -> Result<Result<(), FollowUpRefusal>> {
        let at = now();
        let year = i64::from(fiscal_year.start_year());
        Ok(on_pool!(self, pool => self.write(pool, async |tx| {
            let latest: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, decision FROM improvement_reports WHERE institution_id = $1 AND fiscal_year = $2 AND item_key = $3 ORDER BY id DESC LIMIT 1",
            )
            .bind(institution_id).bind(year).bind(item_key).fetch_optional(&mut *tx).await?;
            let reported = remark_state!(tx, institution_id, year, item_key)
                .is_some_and(|(_, progress)| progress == RemarkProgress::Reported.as_str());
            if !reported || latest != Some((report_id, None)) {
                return Ok(Written::dropped(Err(FollowUpRefusal::NoReportToDecide)));
            }
            sqlx::query("UPDATE improvement_reports SET decision = $1, decision_note = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
                .bind(decision.as_str()).bind(note).bind(actor).bind(at.clone()).bind(report_id)
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE inspection_remarks SET progress = $1 WHERE institution_id = $2 AND fiscal_year = $3 AND item_key = $4")
                .bind(remark_progress(RemarkLevel::Guidance, true, Some(Some(decision))).as_str())
                .bind(institution_id).bind(year).bind(item_key)
                .execute(&mut *tx).await?;
            let detail = format!("fiscal_year={year} item={item_key} report={report_id} decision={}", decision.as_str());
            Ok(Written::audited(Ok(()), Audit::new(&at, actor, "inspection.decision", institution_id, detail)))
        }).await?))
    }

    /// Open 指摘 (notified 指導 not yet resolved) per prefecture and kind, in a scope, from
    /// the remarks' progress index: open ones are few beside the institutions.
    pub async fn open_remark_counts(
        &self,
        fiscal_year: FiscalYear,
        scope: InstitutionScope,
    ) -> Result<HashMap<(Prefecture, OversightKind), OpenRemarkCounts>> {
        let year = i64::from(fiscal_year.start_year());
        let prefecture = match scope {
            InstitutionScope::All => None,
            InstitutionScope::Prefecture(p) => Some(p.code()),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(HashMap::new()),
        };
        let sql = format!(
            "SELECT i.prefecture, i.oversight_kind, COUNT(*) AS remarks, COUNT(DISTINCT r.institution_id) AS institutions FROM inspection_remarks r JOIN institutions i ON i.id = r.institution_id WHERE r.fiscal_year = $1 AND r.progress IN ('{}', '{}', '{}'){} GROUP BY i.prefecture, i.oversight_kind",
            RemarkProgress::OPEN[0].as_str(),
            RemarkProgress::OPEN[1].as_str(),
            RemarkProgress::OPEN[2].as_str(),
            if prefecture.is_some() {
                " AND i.prefecture = $2"
            } else {
                ""
            },
        );
        let rows: Vec<OpenCountRow> = on_pool!(self, pool => {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(year);
            match &prefecture {
                Some(p) => query.bind(p.clone()).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            }
        });
        let mut out = HashMap::new();
        for row in rows {
            let key = (
                Prefecture::parse(&row.prefecture).map_err(corrupt)?,
                OversightKind::parse(&row.oversight_kind).map_err(corrupt)?,
            );
            out.insert(
                key,
                OpenRemarkCounts {
                    remarks: row.remarks,
                    institutions: row.institutions,
                },
            );
        }
        Ok(out)
    }

    /// The inspections of a fiscal year in a scope, by day, with their open 指摘.
    pub async fn scheduled_inspections(
        &self,
        fiscal_year: FiscalYear,
        scope: InstitutionScope,
        limit: i64,
    ) -> Result<Vec<ScheduledInspection>> {
        let year = i64::from(fiscal_year.start_year());
        let (condition, prefecture) = match scope {
            InstitutionScope::All => ("", None),
            InstitutionScope::Prefecture(p) => (" AND i.prefecture = $3", Some(p.code())),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(Vec::new()),
        };
        let sql = format!(
            "SELECT n.institution_id, i.name, i.prefecture, n.scheduled_on, n.starts_at, n.notified_at, (SELECT COUNT(*) FROM inspection_remarks r WHERE r.institution_id = n.institution_id AND r.fiscal_year = n.fiscal_year AND r.progress IN ('{}', '{}', '{}')) AS open_remarks FROM inspections n JOIN institutions i ON i.id = n.institution_id WHERE n.fiscal_year = $1{condition} ORDER BY n.scheduled_on, COALESCE(n.starts_at, ''), n.institution_id LIMIT $2",
            RemarkProgress::OPEN[0].as_str(),
            RemarkProgress::OPEN[1].as_str(),
            RemarkProgress::OPEN[2].as_str(),
        );
        Ok(on_pool!(self, pool => {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(year).bind(limit);
            match &prefecture {
                Some(p) => query.bind(p.clone()).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            }
        }))
    }
}
