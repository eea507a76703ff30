//! The 確保事業 survey's notices: the hospitals that have not answered a programme year's
//! survey (in their prefecture, not excluded, the prefecture's list not yet submitted), the
//! scheduler's notices before the deadline, and the prefecture officer's reminder.

use chrono::NaiveDate;
use mamori_domain::notification::Rule;
use mamori_domain::{FiscalYear, InstitutionKind, Prefecture, Role};

use crate::write::{Audit, Written};
use crate::{Pool, Result, Store, now};

/// A hospital that has not answered the survey, with the last reminder sent to it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NonResponder {
    pub institution_id: i64,
    pub name: String,
    pub medical_code: Option<String>,
    /// When the officer last reminded it (RFC 3339), if ever.
    pub reminded_at: Option<String>,
    /// How many of its admins that reminder reached.
    pub reminded_admins: i64,
    /// How many admins it has now (none: a reminder reaches nobody there).
    pub admins: i64,
}

/// The hospitals `i` of programme year `$fy` that have not answered its survey, as SQL: not
/// excluded, and their prefecture's list not yet submitted.
macro_rules! not_answered {
    ($fy:literal) => {
        concat!(
            "i.kind = 'hospital' \
             AND NOT EXISTS (SELECT 1 FROM assurance_applications a WHERE a.fiscal_year = ",
            $fy,
            " AND a.institution_id = i.id) \
             AND NOT EXISTS (SELECT 1 FROM assurance_excluded x WHERE x.fiscal_year = ",
            $fy,
            " AND x.institution_id = i.id) \
             AND NOT EXISTS (SELECT 1 FROM assurance_submissions s WHERE s.fiscal_year = ",
            $fy,
            " AND s.prefecture = i.prefecture)"
        )
    };
}

impl Store {
    /// Notifies by `rule` the admins of every hospital that has not answered a survey whose
    /// deadline is in `(after, through]`, and records `covered` as the rule's last day.
    pub async fn notify_survey_deadlines(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        debug_assert_eq!(InstitutionKind::Hospital.as_str(), "hospital");
        self.write_scheduled(
            rule,
            concat!(
                "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, created_at) \
                 SELECT u.id, $1, 'survey:' || p.fiscal_year || ':' || i.id, p.deadline, i.id, p.fiscal_year, $2 \
                 FROM assurance_programs p JOIN institutions i ON ", not_answered!("p.fiscal_year"), " \
                 JOIN users u ON u.institution_id = i.id \
                 WHERE p.deadline > $3 AND p.deadline <= $4 AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
                 ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
            ),
            (after.to_string(), through.to_string()),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }

    /// The hospitals of `prefecture` that have not answered the survey of `fiscal_year`, by
    /// name, with the officer's last reminder.
    pub async fn survey_non_responders(
        &self,
        fiscal_year: FiscalYear,
        prefecture: Prefecture,
    ) -> Result<Vec<NonResponder>> {
        let fy = i64::from(fiscal_year.start_year());
        Ok(on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT i.id AS institution_id, i.name, i.medical_institution_code AS medical_code, \
                 (SELECT MAX(n.created_at) FROM notifications n WHERE n.rule = $3 AND n.institution_id = i.id AND n.fiscal_year = $1) AS reminded_at, \
                 (SELECT COUNT(*) FROM notifications n WHERE n.rule = $3 AND n.institution_id = i.id AND n.fiscal_year = $1 \
                  AND n.created_at = (SELECT MAX(m.created_at) FROM notifications m WHERE m.rule = $3 AND m.institution_id = i.id AND m.fiscal_year = $1)) AS reminded_admins, \
                 (SELECT COUNT(*) FROM users u WHERE u.institution_id = i.id AND u.role = $4 AND NOT u.disabled AND u.deleted_at IS NULL) AS admins \
                 FROM institutions i WHERE i.prefecture = $2 AND ", not_answered!("$1"), " ORDER BY i.name, i.id"
            ))
            .bind(fy)
            .bind(prefecture.code())
            .bind(Rule::SurveyReminder.as_str())
            .bind(Role::InstitutionAdmin.as_str())
            .fetch_all(pool)
            .await?
        }))
    }

    /// Reminds the admins of the hospitals of `prefecture` that have not answered the survey
    /// of `fiscal_year`, once per hospital and day (`on`); gives how many people were told.
    pub async fn remind_survey_non_responders(
        &self,
        fiscal_year: FiscalYear,
        prefecture: Prefecture,
        on: NaiveDate,
        actor: i64,
    ) -> Result<u64> {
        let fy = i64::from(fiscal_year.start_year());
        let at = now();
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let sent = sqlx::query(concat!(
                    "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, created_at) \
                     SELECT u.id, $1, 'survey:' || $2 || ':' || i.id, $3, i.id, $2, $4 \
                     FROM institutions i JOIN users u ON u.institution_id = i.id \
                     WHERE i.prefecture = $5 AND u.role = $6 AND NOT u.disabled AND u.deleted_at IS NULL AND ",
                    not_answered!("$2"),
                    " ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
                ))
                .bind(Rule::SurveyReminder.as_str())
                .bind(fy)
                .bind(on.to_string())
                .bind(&at)
                .bind(prefecture.code())
                .bind(Role::InstitutionAdmin.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                let audit = Audit::new(
                    &at,
                    actor,
                    "assurance.reminders",
                    None,
                    format!("fiscal_year={fy} prefecture={} sent={sent}", prefecture.code()),
                );
                Ok(Written::audited(sent, audit))
            })
            .await
        })
    }
}
