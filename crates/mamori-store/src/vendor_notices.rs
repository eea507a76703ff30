//! The vendors' notices: an invitation that ran its 14 days without being accepted is told
//! to the institution's admins on the day it expires.

use chrono::{Days, NaiveDate};
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::{Result, Store};

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
        // The expiry day, as the day before the bound: `until` is its next day's start.
        self.write_scheduled(
            rule,
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, detail, created_at) \
             SELECT u.id, $1, 'vendor-invitation:' || c.id || ':' || v.expires_at, substr($4, 1, 10), c.institution_id, c.vendor_name, $2 \
             FROM vendor_invitations v JOIN vendor_contracts c ON c.id = v.contract_id \
             JOIN users u ON u.institution_id = c.institution_id \
             WHERE v.expires_at >= $3 AND v.expires_at < $4 AND v.used_at IS NULL AND c.vendor_organization_id IS NULL \
             AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
            (from, until),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }
}
