//! Notices the scheduler writes for the people who run the programme and for vendors: the
//! 確保事業 survey closed with the prefecture's list not submitted (its officers), and a
//! vendor form not started 30 days before an inspection (the vendor and the institution).

use chrono::NaiveDate;
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::notifications::cover_day;
use crate::write::Written;
use crate::{Pool, Result, Store, now};

impl Store {
    /// Notifies by `rule` the officers of each prefecture that has not submitted the list of a
    /// survey whose deadline is in `(after, through]`; records `covered` as the rule's last day.
    pub async fn notify_survey_closed(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        let at = now();
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let written = sqlx::query(
                    "INSERT INTO notifications (user_id, rule, subject, on_date, fiscal_year, detail, created_at) \
                     SELECT u.id, $1, 'survey-closed:' || p.fiscal_year || ':' || u.prefecture, p.deadline, p.fiscal_year, u.prefecture, $2 \
                     FROM assurance_programs p JOIN users u ON u.role = $5 AND u.prefecture IS NOT NULL \
                     WHERE p.deadline > $3 AND p.deadline <= $4 AND NOT u.disabled AND u.deleted_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM assurance_submissions s WHERE s.fiscal_year = p.fiscal_year AND s.prefecture = u.prefecture) \
                     ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
                )
                .bind(rule.as_str())
                .bind(&at)
                .bind(after.to_string())
                .bind(through.to_string())
                .bind(Role::PrefectureOfficer.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                cover_day!(conn, rule, covered);
                Ok(Written::kept(written))
            })
            .await
        })
    }

    /// For each inspection on a day in `(after, through]` (the rule's 30 days ahead), each
    /// contract of the institution whose vendor has not started that year's form: its vendor's
    /// users are told by [`Rule::VendorFormDue`], the institution's admins by
    /// [`Rule::VendorFormAwaited`]; records `covered` as `rule`'s last day.
    pub async fn notify_vendor_forms_due(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        let at = now();
        // Vendor users for the one, the institution's admins for the other.
        let recipients = match rule {
            Rule::VendorFormDue => {
                "u.vendor_organization_id = c.vendor_organization_id AND u.role <> $5"
            }
            _ => "u.institution_id = c.institution_id AND u.role = $5",
        };
        let sql = format!(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, detail, created_at) \
             SELECT u.id, $1, 'vendor-form:' || c.id || ':' || n.fiscal_year, n.scheduled_on, c.institution_id, n.fiscal_year, c.vendor_name || '|' || c.id, $2 \
             FROM inspections n JOIN vendor_contracts c ON c.institution_id = n.institution_id \
             JOIN users u ON {recipients} \
             WHERE n.scheduled_on > $3 AND n.scheduled_on <= $4 AND c.vendor_organization_id IS NOT NULL \
             AND NOT u.disabled AND u.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM vendor_answers a WHERE a.contract_id = c.id AND a.fiscal_year = n.fiscal_year) \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
        );
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let written = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(rule.as_str())
                    .bind(&at)
                    .bind(after.to_string())
                    .bind(through.to_string())
                    .bind(Role::InstitutionAdmin.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                cover_day!(conn, rule, covered);
                Ok(Written::kept(written))
            })
            .await
        })
    }
}
