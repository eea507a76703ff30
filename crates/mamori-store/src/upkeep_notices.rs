//! Notices the scheduler writes for an institution's upkeep: the second check (2回目) of items
//! answered いいえ before an inspection, a restore test a year old (3(2)), and a device whose
//! support ends soon.

use chrono::NaiveDate;
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::{Result, Store};

/// The notices of a day kept per institution in `$column` of `$table` (keyed by
/// `institution_id`), to its admins, with the subject `$subject:{institution}`.
macro_rules! institution_day_insert {
    ($subject:literal, $table:literal, $column:literal) => {
        concat!(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, created_at) \
             SELECT u.id, $1, '", $subject, ":' || r.institution_id, r.", $column, ", r.institution_id, $2 \
             FROM ", $table, " r JOIN users u ON u.institution_id = r.institution_id \
             WHERE r.", $column, " > $3 AND r.", $column, " <= $4 AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
        )
    };
}

impl Store {
    /// For each inspection on a day in `(after, through]` (the rule's 30 days ahead), tells
    /// the institution's admins how many items answered いいえ at the first check, with a
    /// target date on or before the inspection, have no second check (2回目); records
    /// `covered` as the rule's last day.
    pub async fn notify_second_checks(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        self.write_scheduled(
            rule,
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, detail, created_at) \
             SELECT u.id, $1, 'second-check:' || d.institution_id || ':' || d.fiscal_year, d.scheduled_on, d.institution_id, d.fiscal_year, CAST(d.items AS TEXT), $2 \
             FROM (SELECT n.institution_id, n.fiscal_year, n.scheduled_on, \
                   (SELECT COUNT(*) FROM answers a WHERE a.institution_id = n.institution_id AND a.fiscal_year = n.fiscal_year \
                    AND a.round = 1 AND a.answer = 'no' AND a.target_date <= n.scheduled_on \
                    AND NOT EXISTS (SELECT 1 FROM answers b WHERE b.institution_id = a.institution_id AND b.fiscal_year = a.fiscal_year AND b.item_key = a.item_key AND b.round = 2)) AS items \
                   FROM inspections n WHERE n.scheduled_on > $3 AND n.scheduled_on <= $4) d \
             JOIN users u ON u.institution_id = d.institution_id \
             WHERE d.items > 0 AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
            (after.to_string(), through.to_string()),
            Role::InstitutionAdmin,
            covered,
        )
        .await
    }

    /// Tells the admins of each institution whose day in `(after, through]` has come: the
    /// first day its restore test is a year old ([`Rule::RestoreTestDue`]) or the earliest end
    /// of support of a device in use ([`Rule::DeviceSupportEnding`]); records `covered` as the
    /// rule's last day.
    pub async fn notify_institution_days(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        let insert = match rule {
            Rule::RestoreTestDue => {
                institution_day_insert!("restore-test", "continuity_records", "restore_test_due")
            }
            _ => institution_day_insert!("device-support", "device_flag_counts", "support_ends_on"),
        };
        self.write_to_admins(rule, insert, (after, through), covered)
            .await
    }

    /// Tells the admins of the institution of each evidence (証跡) that became stale on a day
    /// in `(after, through]` (`evidence.stale_from`: past its 有効期限, or a year old without
    /// one), once per evidence, at its item; records `covered` as the rule's last day.
    pub async fn notify_stale_evidence(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        let insert = "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, item_key, detail, created_at) \
             SELECT u.id, $1, 'evidence:' || e.id, e.stale_from, e.institution_id, e.fiscal_year, e.item_key, e.title, $2 \
             FROM evidence e JOIN users u ON u.institution_id = e.institution_id \
             WHERE e.stale_from > $3 AND e.stale_from <= $4 AND e.removed_at IS NULL AND u.role = $5 AND NOT u.disabled AND u.deleted_at IS NULL \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING";
        self.write_to_admins(rule, insert, (after, through), covered)
            .await
    }
}
