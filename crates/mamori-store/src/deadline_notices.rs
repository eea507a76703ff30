//! Notices the scheduler writes for the people who run the programme and for vendors: the
//! 確保事業 survey closed with the prefecture's list not submitted (its officers), and a
//! vendor form not started or no MDS/SDS delivered 30 days before an inspection (the vendor
//! and the institution).

use chrono::NaiveDate;
use mamori_domain::Role;
use mamori_domain::notification::Rule;

use crate::{Result, Store};

/// The notices of a contract whose vendor owes something before an inspection: `$subject`
/// names it, `$missing` (SQL over the contract `c` and the inspection `n`) finds what is
/// owed, and `$recipients` (over `u` and `c`) selects who is told.
macro_rules! contract_notice_insert {
    ($subject:literal, $missing:expr, $recipients:expr) => {
        concat!(
            "INSERT INTO notifications (user_id, rule, subject, on_date, institution_id, fiscal_year, detail, created_at) \
             SELECT u.id, $1, '", $subject, ":' || c.id || ':' || n.fiscal_year, n.scheduled_on, c.institution_id, n.fiscal_year, c.vendor_name || '|' || c.id, $2 \
             FROM inspections n JOIN vendor_contracts c ON c.institution_id = n.institution_id \
             JOIN users u ON ", $recipients, " \
             WHERE n.scheduled_on > $3 AND n.scheduled_on <= $4 AND c.vendor_organization_id IS NOT NULL \
             AND NOT u.disabled AND u.deleted_at IS NULL \
             AND NOT EXISTS (", $missing, ") \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING"
        )
    };
}

/// The vendor's users of the contract `c`.
macro_rules! vendor_users {
    () => {
        "u.vendor_organization_id = c.vendor_organization_id AND u.role <> $5"
    };
}

/// The institution's admins of the contract `c`.
macro_rules! institution_admins {
    () => {
        "u.institution_id = c.institution_id AND u.role = $5"
    };
}

/// The year's 事業者確認用, started.
macro_rules! vendor_form_started {
    () => {
        "SELECT 1 FROM vendor_answers a WHERE a.contract_id = c.id AND a.fiscal_year = n.fiscal_year"
    };
}

/// An MDS/SDS, delivered.
macro_rules! mds_sds_delivered {
    () => {
        "SELECT 1 FROM vendor_deliveries v WHERE v.contract_id = c.id"
    };
}

impl Store {
    /// Notifies by `rule` the officers of each prefecture that has not submitted the list of a
    /// survey whose deadline is in `(after, through]`; records `covered` as the rule's last day.
    pub async fn notify_survey_closed(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        self.write_scheduled(
            rule,
            "INSERT INTO notifications (user_id, rule, subject, on_date, fiscal_year, detail, created_at) \
             SELECT u.id, $1, 'survey-closed:' || p.fiscal_year || ':' || u.prefecture, p.deadline, p.fiscal_year, u.prefecture, $2 \
             FROM assurance_programs p JOIN users u ON u.role = $5 AND u.prefecture IS NOT NULL \
             WHERE p.deadline > $3 AND p.deadline <= $4 AND NOT u.disabled AND u.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM assurance_submissions s WHERE s.fiscal_year = p.fiscal_year AND s.prefecture = u.prefecture) \
             ON CONFLICT (rule, subject, on_date, user_id) DO NOTHING",
            (after.to_string(), through.to_string()),
            Role::PrefectureOfficer,
            covered,
        )
        .await
    }

    /// For each inspection on a day in `(after, through]` (the rule's 30 days ahead), each
    /// contract of the institution whose vendor has not started that year's form (or, for
    /// [`Rule::MdsSdsDue`] and [`Rule::MdsSdsAwaited`], delivered no MDS/SDS): its vendor's
    /// users are told by [`Rule::VendorFormDue`] (or `MdsSdsDue`), the institution's admins
    /// by [`Rule::VendorFormAwaited`] (or `MdsSdsAwaited`); records `covered` as `rule`'s
    /// last day.
    pub async fn notify_vendor_forms_due(
        &self,
        rule: Rule,
        (after, through): (NaiveDate, NaiveDate),
        covered: NaiveDate,
    ) -> Result<u64> {
        let insert = match rule {
            Rule::VendorFormDue => {
                contract_notice_insert!("vendor-form", vendor_form_started!(), vendor_users!())
            }
            Rule::VendorFormAwaited => contract_notice_insert!(
                "vendor-form",
                vendor_form_started!(),
                institution_admins!()
            ),
            Rule::MdsSdsDue => {
                contract_notice_insert!("mds-sds", mds_sds_delivered!(), vendor_users!())
            }
            _ => contract_notice_insert!("mds-sds", mds_sds_delivered!(), institution_admins!()),
        };
        self.write_to_admins(rule, insert, (after, through), covered)
            .await
    }
}
