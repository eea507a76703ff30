//! Who may see and change what. Pure rules, used by every route.

use serde::{Deserialize, Serialize};

use crate::Prefecture;

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        /// 厚生労働省: sees every institution, creates institutions and users.
        NationalAdmin,
        /// 立入検査担当者: sees the institutions of one prefecture, records observations.
        Inspector,
        /// An institution's administrator: fills its checklist, manages its users and profile.
        InstitutionAdmin | "admin",
        /// An institution's staff member: fills its checklist.
        InstitutionStaff | "staff",
        /// A vendor's (事業者) user: fills the 事業者確認用 of the contracts its organisation
        /// serves. It sees no institution's own file: its scope is its contracts.
        VendorUser | "vendor",
        /// 都道府県の確保事業担当者: runs the security-assurance survey of one prefecture (ranks,
        /// selects, exports 別紙1, submits). Sees no institution's checklist.
        PrefectureOfficer,
        /// 支援窓口の運営者: publishes training courses and sessions (MIST), records attendance,
        /// and staffs the インシデントかも? consultation desk. Sees no institution's checklist.
        SupportOperator | "operator",
    }
    parse(exact) -> Err("role", "domain-parse-role-one-national-admin", text);
}

impl Role {
    /// The short name used by the API for institution roles.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::InstitutionAdmin => "admin",
            Self::InstitutionStaff => "staff",
            Self::VendorUser => "vendor",
            other => other.as_str(),
        }
    }
}

labels!(Role {
    NationalAdmin => "domain-labels-role-national-admin",
    Inspector => "domain-labels-role-inspector",
    InstitutionAdmin => "domain-labels-role-institution-admin",
    InstitutionStaff => "domain-labels-role-institution-staff",
    VendorUser => "domain-labels-role-vendor-user",
    PrefectureOfficer => "domain-labels-role-prefecture-officer",
    SupportOperator => "domain-labels-role-support-operator",
});

/// The caller, as far as access rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub prefecture: Option<Prefecture>,
}

/// Which institutions a caller may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionScope {
    All,
    Prefecture(Prefecture),
    Only(i64),
    None,
}

impl Principal {
    pub fn institution_scope(&self) -> InstitutionScope {
        match (self.role, self.prefecture, self.institution_id) {
            (Role::NationalAdmin, _, _) => InstitutionScope::All,
            // A prefecture's officers read its institutions' files as its inspectors do; what
            // is recorded on site stays the inspector's (`can_record_observations`).
            (Role::Inspector | Role::PrefectureOfficer, Some(p), _) => {
                InstitutionScope::Prefecture(p)
            }
            (Role::InstitutionAdmin | Role::InstitutionStaff, _, Some(id)) => {
                InstitutionScope::Only(id)
            }
            _ => InstitutionScope::None,
        }
    }

    /// May read the institution's file (profile, checklist, verdict).
    pub fn can_view(&self, institution_id: i64, institution_prefecture: Prefecture) -> bool {
        match self.institution_scope() {
            InstitutionScope::All => true,
            InstitutionScope::Prefecture(p) => p == institution_prefecture,
            InstitutionScope::Only(id) => id == institution_id,
            InstitutionScope::None => false,
        }
    }

    /// May fill the institution's checklist: its own users only.
    pub fn can_answer(&self, institution_id: i64) -> bool {
        matches!(self.role, Role::InstitutionAdmin | Role::InstitutionStaff)
            && self.institution_id == Some(institution_id)
    }

    /// May change the institution's profile and users: the national admin, or its admin.
    pub fn can_administer(&self, institution_id: i64) -> bool {
        match self.role {
            Role::NationalAdmin => true,
            Role::InstitutionAdmin => self.institution_id == Some(institution_id),
            _ => false,
        }
    }

    /// May record what was seen on site: an inspector of the institution's prefecture.
    pub fn can_record_observations(&self, institution_prefecture: Prefecture) -> bool {
        self.role == Role::Inspector && self.prefecture == Some(institution_prefecture)
    }

    /// May schedule an institution's inspection (立入検査の日程): an inspector or a
    /// prefecture officer of the institution's prefecture. What is seen on site is the
    /// inspector's alone ([`Self::can_record_observations`]).
    pub fn can_schedule_inspections(&self, institution_prefecture: Prefecture) -> bool {
        matches!(self.role, Role::Inspector | Role::PrefectureOfficer)
            && self.prefecture == Some(institution_prefecture)
    }

    pub fn can_create_institutions(&self) -> bool {
        self.role == Role::NationalAdmin
    }

    /// Roles bound to one prefecture (inspectors, prefecture officers) must have one.
    pub fn role_needs_prefecture(role: Role) -> bool {
        matches!(role, Role::Inspector | Role::PrefectureOfficer)
    }

    /// May run the security-assurance survey of a prefecture (rank, select, export, submit):
    /// its prefecture officer, or the national office.
    pub fn can_manage_survey(&self, prefecture: Prefecture) -> bool {
        match self.role {
            Role::NationalAdmin => true,
            Role::PrefectureOfficer => self.prefecture == Some(prefecture),
            _ => false,
        }
    }

    /// May see a prefecture's survey (an application, the list): those who manage it.
    /// Institution users see only their own application (see [`Self::can_apply_for`]).
    pub fn sees_survey(&self, prefecture: Prefecture) -> bool {
        self.can_manage_survey(prefecture)
    }

    /// May answer the survey for an institution: its administrator (「各医療機関管理者」 are
    /// asked), the officer of its prefecture, or the national office.
    pub fn can_apply_for(&self, institution_id: i64, institution_prefecture: Prefecture) -> bool {
        (self.role == Role::InstitutionAdmin && self.institution_id == Some(institution_id))
            || self.can_manage_survey(institution_prefecture)
    }
}

impl Principal {
    /// The institution this caller may report a suspected incident for (インシデントかも?):
    /// its own staff and admins only. Everyone else (signed out, vendors, inspectors,
    /// prefecture officers, the desk) is shown the first-response steps and the public
    /// contacts instead.
    pub fn incident_reporter_for(&self) -> Option<i64> {
        match self.role {
            Role::InstitutionAdmin | Role::InstitutionStaff => self.institution_id,
            _ => None,
        }
    }

    /// Staffs the consultation desk: sees every case, changes its state, adds notes. The
    /// support operator and the national office. Inspectors and prefecture officers do not:
    /// a consultation is not an inspection finding, and keeping regulators out keeps
    /// institutions calling early.
    pub fn is_incident_desk(&self) -> bool {
        matches!(self.role, Role::SupportOperator | Role::NationalAdmin)
    }
}

/// Whether a vendor's user (of organisation `caller_organization`) may see and fill the
/// 事業者確認用 of a contract held by `contract_organization`. A contract not yet accepted
/// (no organisation) is served by nobody.
pub fn vendor_serves(
    role: Role,
    caller_organization: Option<i64>,
    contract_organization: Option<i64>,
) -> bool {
    role == Role::VendorUser
        && caller_organization.is_some()
        && caller_organization == contract_organization
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(code: &str) -> Prefecture {
        Prefecture::parse(code).expect("valid")
    }

    fn principal(role: Role, institution: Option<i64>, prefecture: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            role,
            institution_id: institution,
            prefecture: prefecture.map(p),
        }
    }

    #[test]
    fn institutions_see_only_themselves() {
        let staff = principal(Role::InstitutionStaff, Some(7), None);
        assert!(staff.can_view(7, p("13")));
        assert!(!staff.can_view(8, p("13")));
        assert!(staff.can_answer(7));
        assert!(!staff.can_answer(8));
        assert!(!staff.can_administer(7));
        let admin = principal(Role::InstitutionAdmin, Some(7), None);
        assert!(admin.can_administer(7));
        assert!(!admin.can_administer(8));
        assert!(!admin.can_record_observations(p("13")));
    }

    #[test]
    fn inspectors_see_only_their_prefecture_and_do_not_answer() {
        let inspector = principal(Role::Inspector, None, Some("13"));
        assert!(inspector.can_view(1, p("13")));
        assert!(!inspector.can_view(1, p("46")));
        assert!(!inspector.can_answer(1));
        assert!(inspector.can_record_observations(p("13")));
        assert!(!inspector.can_record_observations(p("46")));
        let lost = principal(Role::Inspector, None, None);
        assert_eq!(lost.institution_scope(), InstitutionScope::None);
        assert!(!lost.can_view(1, p("13")));
    }

    #[test]
    fn the_national_admin_sees_all_but_does_not_answer() {
        let national = principal(Role::NationalAdmin, None, None);
        assert!(national.can_view(1, p("46")));
        assert!(!national.can_answer(1));
        assert!(national.can_administer(1));
        assert!(national.can_create_institutions());
        assert!(!national.can_record_observations(p("13")));
    }

    #[test]
    fn vendors_see_no_institution_file_and_only_their_own_contracts() {
        let vendor = principal(Role::VendorUser, None, None);
        assert_eq!(vendor.institution_scope(), InstitutionScope::None);
        assert!(!vendor.can_view(1, p("13")));
        assert!(!vendor.can_answer(1));
        assert!(!vendor.can_administer(1));
        assert!(vendor_serves(Role::VendorUser, Some(3), Some(3)));
        assert!(!vendor_serves(Role::VendorUser, Some(3), Some(4)));
        assert!(!vendor_serves(Role::VendorUser, Some(3), None));
        assert!(!vendor_serves(Role::VendorUser, None, None));
        assert!(!vendor_serves(Role::InstitutionAdmin, Some(3), Some(3)));
    }

    #[test]
    fn prefecture_officers_run_only_their_prefectures_survey() {
        let officer = principal(Role::PrefectureOfficer, None, Some("13"));
        assert_eq!(
            officer.institution_scope(),
            InstitutionScope::Prefecture(p("13"))
        );
        assert!(officer.can_view(1, p("13")));
        assert!(!officer.can_view(1, p("46")));
        assert!(officer.can_schedule_inspections(p("13")));
        assert!(!officer.can_schedule_inspections(p("46")));
        assert!(!officer.can_record_observations(p("13")));
        assert!(officer.can_manage_survey(p("13")));
        assert!(!officer.can_manage_survey(p("46")));
        assert!(officer.can_apply_for(1, p("13")));
        assert!(!officer.can_apply_for(1, p("46")));
        let admin = principal(Role::InstitutionAdmin, Some(7), None);
        assert!(admin.can_apply_for(7, p("13")));
        assert!(!admin.can_apply_for(8, p("13")));
        assert!(!admin.can_manage_survey(p("13")));
        let staff = principal(Role::InstitutionStaff, Some(7), None);
        assert!(!staff.can_apply_for(7, p("13")));
        let inspector = principal(Role::Inspector, None, Some("13"));
        assert!(!inspector.can_manage_survey(p("13")));
        let national = principal(Role::NationalAdmin, None, None);
        assert!(national.can_manage_survey(p("46")));
        assert!(national.can_apply_for(1, p("46")));
        assert_eq!(
            Role::parse("prefecture_officer"),
            Ok(Role::PrefectureOfficer)
        );
    }

    #[test]
    fn incidents_are_reported_by_institutions_and_handled_by_the_desk() {
        let staff = principal(Role::InstitutionStaff, Some(7), None);
        assert_eq!(staff.incident_reporter_for(), Some(7));
        assert!(!staff.is_incident_desk());
        let operator = principal(Role::SupportOperator, None, None);
        assert_eq!(operator.incident_reporter_for(), None);
        assert!(operator.is_incident_desk());
        assert!(principal(Role::NationalAdmin, None, None).is_incident_desk());
        for role in [Role::Inspector, Role::PrefectureOfficer, Role::VendorUser] {
            let p = principal(role, None, Some("13"));
            assert!(!p.is_incident_desk(), "{role:?}");
            assert_eq!(p.incident_reporter_for(), None, "{role:?}");
        }
    }

    #[test]
    fn roles_parse() {
        assert_eq!(Role::parse("vendor"), Ok(Role::VendorUser));
        assert_eq!(Role::parse("admin"), Ok(Role::InstitutionAdmin));
        assert_eq!(Role::parse("inspector"), Ok(Role::Inspector));
        assert_eq!(Role::parse("operator"), Ok(Role::SupportOperator));
        assert!(Role::parse("root").is_err());
    }
}
