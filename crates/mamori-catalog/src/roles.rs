//! The item roles the rules need, per form: a version of a form that lacks one would switch
//! that rule off without a word, so the catalog refuses it.

use std::collections::BTreeMap;
use std::path::Path;

use mamori_domain::{ChecklistItem, ChecklistVersion, FormKind, ItemRole};

use crate::CatalogError;

const CHECKED_FORMS: &[FormKind] = &[FormKind::Institution, FormKind::Pharmacy];

/// Every role a rule reads, the forms it must be on, and what reads it.
pub const REQUIRED_ROLES: &[(ItemRole, &[FormKind], &str)] = &[
    (
        ItemRole::ContactChart,
        CHECKED_FORMS,
        "the inspection rule that the 連絡体制図 is seen on site, and the chart shown beside the item",
    ),
    (
        ItemRole::Bcp,
        CHECKED_FORMS,
        "the inspection rule on the BCP, and the BCP record shown beside the item",
    ),
    (
        ItemRole::Backup,
        CHECKED_FORMS,
        "the backup records shown beside the item",
    ),
    (
        ItemRole::SecurityDisclosure,
        CHECKED_FORMS,
        "the MDS/SDS deliveries shown beside the item",
    ),
    (
        ItemRole::DeviceLedger,
        CHECKED_FORMS,
        "the device ledger's evidence",
    ),
    (
        ItemRole::RemoteMaintenance,
        CHECKED_FORMS,
        "the device ledger's evidence",
    ),
    (
        ItemRole::SecurityPatches,
        CHECKED_FORMS,
        "the device ledger's evidence",
    ),
    (
        ItemRole::ConnectionRestriction,
        CHECKED_FORMS,
        "the device ledger's evidence",
    ),
];

/// The roles `form` must carry, with what reads each.
pub fn required_roles(form: FormKind) -> impl Iterator<Item = (ItemRole, &'static str)> {
    REQUIRED_ROLES
        .iter()
        .filter(move |(_, forms, _)| forms.contains(&form))
        .map(|(role, _, why)| (*role, *why))
}

/// A role names one control: every item carrying it has the same number.
pub(crate) fn check_unique(path: &Path, items: &[ChecklistItem], errors: &mut Vec<CatalogError>) {
    let mut first: BTreeMap<ItemRole, &ChecklistItem> = BTreeMap::new();
    for item in items {
        let Some(role) = item.role else { continue };
        match first.get(&role) {
            Some(earlier) if earlier.number != item.number => errors.push(CatalogError::new(
                path,
                Some(&item.key),
                format!(
                    "role '{role}' is already given to {} ({}): a role names one item of a form",
                    earlier.number, earlier.key
                ),
            )),
            Some(_) => {}
            None => {
                first.insert(role, item);
            }
        }
    }
}

/// Every role a rule needs is on some item of `version`.
pub(crate) fn check_required(
    path: &Path,
    version: &ChecklistVersion,
    errors: &mut Vec<CatalogError>,
) {
    for (role, why) in required_roles(version.form) {
        if version.item_with_role(role).is_none() {
            let years: Vec<String> = version.fiscal_years.iter().map(|y| y.to_string()).collect();
            errors.push(CatalogError::new(
                path,
                None,
                format!(
                    "no item has role '{role}', which {why} needs (the {} form of fiscal year {})",
                    version.form.as_str(),
                    years.join(", ")
                ),
            ));
        }
    }
}
