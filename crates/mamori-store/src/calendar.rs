//! Calendar feeds as stored: each user's secret address (migration `0018_calendar_feeds`)
//! and the dates a feed shows — an institution's open target dates, inspections, survey
//! deadlines, training sessions, restore tests due and devices' ends of support; the
//! inspections of a prefecture (and, for its officers, the survey's deadline); or the
//! inspections of the institutions a vendor serves.

use mamori_domain::Prefecture;

use crate::write::Written;
use crate::{Pool, Result, Store, User, UserRow, user_from_row};

/// One date of a feed: an open target date (`kind` `target`, with its item) or a scheduled
/// inspection (`inspection`, with its time of day where fixed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CalendarRow {
    pub kind: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub institution_kind: String,
    pub fiscal_year: i64,
    pub item_key: Option<String>,
    pub on_date: String,
    pub starts_at: Option<String>,
    /// A training session's course.
    pub title_ja: Option<String>,
    pub title_en: Option<String>,
    /// A training session's id.
    pub ref_id: Option<i64>,
}

const TARGETS: &str = "SELECT 'target' AS kind, t.institution_id, i.name AS institution_name, i.kind AS institution_kind, t.fiscal_year, t.item_key, t.target_date AS on_date, NULL AS starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id FROM open_targets t JOIN institutions i ON i.id = t.institution_id";
const INSPECTIONS: &str = "SELECT 'inspection' AS kind, n.institution_id, i.name AS institution_name, i.kind AS institution_kind, n.fiscal_year, NULL AS item_key, n.scheduled_on AS on_date, n.starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id FROM inspections n JOIN institutions i ON i.id = n.institution_id";
/// The 確保事業 survey's deadline of each programme year, for a hospital not excluded from it.
const SURVEYS: &str = "SELECT 'survey' AS kind, i.id AS institution_id, i.name AS institution_name, i.kind AS institution_kind, p.fiscal_year, NULL AS item_key, p.deadline AS on_date, NULL AS starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id FROM assurance_programs p JOIN institutions i ON i.kind = 'hospital' AND NOT EXISTS (SELECT 1 FROM assurance_excluded x WHERE x.fiscal_year = p.fiscal_year AND x.institution_id = i.id)";
/// The training sessions of an institution's live places (the participant as `item_key`, the
/// session as `ref_id`; the calendar year stands for the fiscal year).
const TRAINING: &str = "SELECT 'training' AS kind, r.institution_id, i.name AS institution_name, i.kind AS institution_kind, CAST(substr(s.starts_at, 1, 4) AS BIGINT) AS fiscal_year, r.participant_name AS item_key, substr(s.starts_at, 1, 10) AS on_date, substr(s.starts_at, 12, 5) AS starts_at, c.title_ja, c.title_en, s.id AS ref_id FROM training_registrations r JOIN training_sessions s ON s.id = r.session_id JOIN training_courses c ON c.id = s.course_id JOIN institutions i ON i.id = r.institution_id";
/// The first day a restore test is a year old (no fiscal year: 0).
const RESTORE_TESTS: &str = "SELECT 'restore_test' AS kind, r.institution_id, i.name AS institution_name, i.kind AS institution_kind, CAST(0 AS BIGINT) AS fiscal_year, NULL AS item_key, r.restore_test_due AS on_date, NULL AS starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id FROM continuity_records r JOIN institutions i ON i.id = r.institution_id";
/// The earliest end of support of a device in use, where one ends soon (no fiscal year: 0).
const SUPPORT_ENDS: &str = "SELECT 'support_end' AS kind, f.institution_id, i.name AS institution_name, i.kind AS institution_kind, CAST(0 AS BIGINT) AS fiscal_year, NULL AS item_key, f.support_ends_on AS on_date, NULL AS starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id FROM device_flag_counts f JOIN institutions i ON i.id = f.institution_id";

/// The first day an evidence (証跡) is stale, with its title and id.
const EVIDENCE_ENDS: &str = "SELECT 'evidence_stale' AS kind, e.institution_id, i.name AS institution_name, i.kind AS institution_kind, CAST(e.fiscal_year AS BIGINT) AS fiscal_year, e.item_key, e.stale_from AS on_date, NULL AS starts_at, e.title AS title_ja, e.title AS title_en, e.id AS ref_id FROM evidence e JOIN institutions i ON i.id = e.institution_id";

impl Store {
    /// The user's feed token, if one was made.
    pub async fn calendar_token(&self, user_id: i64) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT calendar_token FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(t,)| t))
    }

    /// Gives the user a new feed token: the old address stops working.
    pub async fn set_calendar_token(&self, user_id: i64, token: &str) -> Result<()> {
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                sqlx::query("UPDATE users SET calendar_token = $1 WHERE id = $2")
                    .bind(token)
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
                Ok(Written::kept(()))
            })
            .await
        })
    }

    /// The live user whose feed `token` opens.
    pub async fn user_by_calendar_token(&self, token: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                user_select!(),
                " WHERE calendar_token = $1 AND deleted_at IS NULL AND NOT disabled"
            ))
            .bind(token)
            .fetch_optional(pool)
            .await?
        });
        row.map(user_from_row).transpose()
    }

    /// An institution's open target dates, inspections, 確保事業 survey deadlines (a hospital),
    /// training sessions (its live places), the day its restore test is a year old, the
    /// earliest end of support of its devices and the day each evidence goes stale, by date.
    pub async fn institution_calendar(&self, institution_id: i64) -> Result<Vec<CalendarRow>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{TARGETS} WHERE t.institution_id = $1 UNION ALL {INSPECTIONS} WHERE n.institution_id = $1 \
                 UNION ALL {SURVEYS} WHERE i.id = $1 \
                 UNION ALL {TRAINING} WHERE r.institution_id = $1 AND r.status IN ('registered', 'waitlisted') AND s.withdrawn_at IS NULL \
                 UNION ALL {RESTORE_TESTS} WHERE r.institution_id = $1 AND r.restore_test_due IS NOT NULL \
                 UNION ALL {SUPPORT_ENDS} WHERE f.institution_id = $1 AND f.support_ends_on IS NOT NULL \
                 UNION ALL {EVIDENCE_ENDS} WHERE e.institution_id = $1 AND e.stale_from IS NOT NULL AND e.removed_at IS NULL \
                 ORDER BY on_date, kind"
            )))
            .bind(institution_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The inspections of the institutions the vendor user `user_id`'s organisation serves,
    /// once per contract (the contract as `ref_id`), by date.
    pub async fn vendor_inspection_calendar(&self, user_id: i64) -> Result<Vec<CalendarRow>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT 'vendor_inspection' AS kind, n.institution_id, i.name AS institution_name, i.kind AS institution_kind, n.fiscal_year, NULL AS item_key, n.scheduled_on AS on_date, n.starts_at, NULL AS title_ja, NULL AS title_en, c.id AS ref_id \
                 FROM inspections n JOIN institutions i ON i.id = n.institution_id \
                 JOIN vendor_contracts c ON c.institution_id = n.institution_id \
                 JOIN users u ON u.vendor_organization_id = c.vendor_organization_id \
                 WHERE u.id = $1 ORDER BY on_date, c.id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The 確保事業 survey's deadline of each programme year whose list `prefecture` has not
    /// submitted (the prefecture's code as `item_key`).
    pub async fn survey_close_calendar(&self, prefecture: Prefecture) -> Result<Vec<CalendarRow>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT 'survey_close' AS kind, CAST(0 AS BIGINT) AS institution_id, '' AS institution_name, '' AS institution_kind, p.fiscal_year, CAST($1 AS TEXT) AS item_key, p.deadline AS on_date, NULL AS starts_at, NULL AS title_ja, NULL AS title_en, CAST(NULL AS BIGINT) AS ref_id \
                 FROM assurance_programs p \
                 WHERE NOT EXISTS (SELECT 1 FROM assurance_submissions s WHERE s.fiscal_year = p.fiscal_year AND s.prefecture = $1) \
                 ORDER BY on_date",
            )
            .bind(prefecture.code())
            .fetch_all(pool)
            .await?
        }))
    }

    /// The inspections of a prefecture's institutions, by date.
    pub async fn prefecture_inspection_calendar(
        &self,
        prefecture: Prefecture,
    ) -> Result<Vec<CalendarRow>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{INSPECTIONS} WHERE i.prefecture = $1 ORDER BY on_date, n.institution_id"
            )))
            .bind(prefecture.code())
            .fetch_all(pool)
            .await?
        }))
    }
}
