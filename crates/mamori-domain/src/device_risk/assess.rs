//! The assessment of one device, and of a whole ledger.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use super::flag::{Flag, FlagCode};
use super::identify::VersionState;
use super::index::RiskData;
use super::lifecycle::{
    LifecycleOutcome, curated_lifecycle, lifecycle_flags, unknown_device_flag,
    unmatched_version_flag,
};
use super::subject::{DeviceKind, RiskSubject};
use super::upkeep::{stale_patch_flag, vpn_flags};
use super::vulnerability::{direct_kev_flags, known_exploited_flag, vulnerable_version_flags};

/// Every flag for one device on `today`. A patch older than `stale_after_days` is stale.
/// Flags come most severe first.
pub fn assess(
    subject: &RiskSubject<'_>,
    data: &RiskData,
    today: NaiveDate,
    stale_after_days: u32,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut ended: Vec<String> = Vec::new();
    let mut lifecycle_known = false;
    let matches = data.match_components(subject);
    for m in &matches {
        let outcome = lifecycle_flags(m, data, today, &mut flags);
        match outcome {
            LifecycleOutcome::Ended(evidence) => {
                lifecycle_known = true;
                ended.push(evidence);
            }
            LifecycleOutcome::Known => lifecycle_known = true,
            LifecycleOutcome::Unknown => {}
        }
        let version = match &m.version {
            VersionState::Parsed(v) => Some(v),
            _ => None,
        };
        let rows = data
            .fixed
            .get(&m.alias.alias.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let needs_version = m.alias.product.is_some() || !rows.is_empty();
        let unreadable = matches!(m.version, VersionState::Unparseable(_));
        // Without a lifecycle product nothing else speaks about a missing version.
        let missing_for_table = m.alias.product.is_none()
            && !rows.is_empty()
            && matches!(m.version, VersionState::Missing);
        if (needs_version && unreadable) || missing_for_table {
            flags.push(unmatched_version_flag(
                m,
                m.alias.product.map(|p| &data.products[p]),
            ));
        }
        if let Some(v) = version {
            vulnerable_version_flags(m, v, rows, data, &mut flags);
        }
        known_exploited_flag(
            m.alias.alias.title.as_str(),
            &m.alias.kev_entries,
            version,
            rows,
            subject.last_patch_on,
            data,
            &mut flags,
        );
    }
    direct_kev_flags(subject, data, &matches, &mut flags);
    match curated_lifecycle(subject, data, today, &mut flags) {
        LifecycleOutcome::Ended(evidence) => {
            lifecycle_known = true;
            ended.push(evidence);
        }
        LifecycleOutcome::Known => lifecycle_known = true,
        LifecycleOutcome::Unknown => {}
    }
    let any_lifecycle_product = matches.iter().any(|m| m.alias.product.is_some());
    if !lifecycle_known
        && !any_lifecycle_product
        && matches!(subject.kind, DeviceKind::VpnDevice | DeviceKind::Network)
        && !flags.iter().any(|f| f.code == FlagCode::SupportDateUnknown)
    {
        flags.push(unknown_device_flag(subject));
    }
    stale_patch_flag(subject, today, stale_after_days, &mut flags);
    if subject.vpn_check_applies() {
        vpn_flags(subject, &ended, &mut flags);
    }
    // Most severe first; within a severity, the order the checks ran.
    flags.sort_by_key(|f| std::cmp::Reverse(f.severity));
    flags
}

/// The flags of every device of a ledger, in its order; retired devices (廃棄) carry none,
/// being out of use. A ledger repeats the same configuration (maker, model, OS, firmware,
/// software, patch date, answers) on many devices and [`assess`] reads nothing else, so each
/// distinct [`RiskSubject`] is assessed once and its flags are shared by every device that
/// has it.
pub fn assess_ledger<'a>(
    devices: impl IntoIterator<Item = &'a crate::device::Device>,
    data: &RiskData,
    today: NaiveDate,
    stale_after_days: u32,
) -> Vec<Arc<[Flag]>> {
    let none: Arc<[Flag]> = Arc::from(Vec::new());
    let mut seen: HashMap<RiskSubject<'a>, Arc<[Flag]>> = HashMap::new();
    devices
        .into_iter()
        .map(|device| {
            if device.status == crate::device::DeviceStatus::Retired {
                return Arc::clone(&none);
            }
            let subject = RiskSubject::from_device(device);
            if let Some(flags) = seen.get(&subject) {
                return Arc::clone(flags);
            }
            let flags: Arc<[Flag]> = assess(&subject, data, today, stale_after_days).into();
            seen.insert(subject, Arc::clone(&flags));
            flags
        })
        .collect()
}
