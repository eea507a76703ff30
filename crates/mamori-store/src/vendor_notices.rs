//! The vendors' notices: an invitation that ran its 14 days without being accepted is told
//! to the institution's admins on the day it expires.

use chrono::{Days, NaiveDate};
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::notifications::cover_day;
use crate::write::Written;
use crate::{Pool, Result, Store, now};

impl Store {
    /// Notifies by `rule` the admins of each institution with an invitation that expires
    /// (Japan's day) in `(after, through]` unaccepted, its contract still without a vendor;
    /// records `covered` as the rule's last day.
    pub async fn notify_unaccepted_invitations(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        // Japan's days as instants: a day starts at 15:00 UTC the day before.
        let start_of = |day: NaiveDate| {
            day.pred_opt()
                .map(|d| format!("{d}T15:00:00"))
                .unwrap_or_default()
        };
        let from = after
            .checked_add_days(Days::new(1))
            .map(start_of)
            .unwrap_or_default();
        let until = through
            .checked_add_days(Days::new(1))
            .map(start_of)
            .unwrap_or_default();
        let at = now();
        on_pool!(self, pool => {
            self.write(pool, async |conn| {
                let written = sqlx::query(
                    "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, detail, created_at) \
                     SELECT u.id, $1, 'vendor-invitation:' || c.id || ':' || v.expires_at, $2, c.institution_id, c.vendor_name, $3 \
                     FROM vendor_invitations v JOIN vendor_contracts c ON c.id = v.contract_id \
                     JOIN users u ON u.institution_id = c.institution_id \
                     WHERE v.expires_at >= $4 AND v.expires_at < $5 AND v.used_at IS NULL AND c.vendor_organization_id IS NULL \
                     AND u.role = $6 AND NOT u.disabled AND u.deleted_at IS NULL \
                     ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
                )
                .bind(rule.as_str())
                .bind(through.to_string())
                .bind(&at)
                .bind(from)
                .bind(until)
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
