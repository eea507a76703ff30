//! How the device is kept: patches not applied for a while, and the checks of the MHLW VPN
//! notice (VPN装置等のネットワーク機器の点検).

use chrono::NaiveDate;
use mamori_locale::Message;

use super::flag::{Flag, FlagCode, FlagSeverity};
use super::subject::RiskSubject;

pub(super) fn stale_patch_flag(
    subject: &RiskSubject<'_>,
    today: NaiveDate,
    stale_after_days: u32,
    flags: &mut Vec<Flag>,
) {
    let entrance = subject.vpn_check_applies();
    match subject.last_patch_on {
        None => flags.push(Flag::new(
            FlagCode::StalePatch,
            FlagSeverity::Low,
            Message::new("domain-device-patch-unrecorded"),
            "last_patch_on is empty",
        )),
        Some(last) => {
            let days = (today - last).num_days();
            if days > i64::from(stale_after_days) {
                flags.push(Flag::new(FlagCode::StalePatch, if entrance { FlagSeverity::High } else { FlagSeverity::Medium }, Message::new("domain-device-patch-stale")
.with("days", days)
.with("last", last.to_string()), format!(
"last patch {last}, {days} days before {today}; threshold {stale_after_days} days"
)));
            }
        }
    }
}

pub(super) fn vpn_flags(subject: &RiskSubject<'_>, ended: &[String], flags: &mut Vec<Flag>) {
    let source =
        "MHLW: VPN装置等のネットワーク機器におけるサイバーセキュリティ対策の徹底について (R8.3)";
    match subject.maintenance_includes_security_updates {
        Some(true) => {}
        Some(false) => flags.push(Flag::new(
            FlagCode::VpnNoSecurityUpdates,
            FlagSeverity::High,
            Message::new("domain-device-vpn-no-updates"),
            format!("maintenance_includes_security_updates = false; {source}"),
        )),
        None => flags.push(Flag::new(
            FlagCode::VpnNoSecurityUpdates,
            FlagSeverity::Medium,
            Message::new("domain-device-vpn-updates-unknown"),
            format!("maintenance_includes_security_updates not answered; {source}"),
        )),
    }
    if !ended.is_empty() {
        flags.push(Flag::new(
            FlagCode::VpnUnsupported,
            FlagSeverity::High,
            Message::new("domain-device-vpn-unsupported"),
            format!("{}; {source}", ended.join(" | ")),
        ));
    }
    match subject.always_on_connection {
        Some(false) => {}
        Some(true) => flags.push(Flag::new(
            FlagCode::VpnAlwaysOn,
            FlagSeverity::Medium,
            Message::new("domain-device-vpn-always-on"),
            format!("always_on_connection = true; {source}"),
        )),
        None => flags.push(Flag::new(
            FlagCode::VpnAlwaysOn,
            FlagSeverity::Low,
            Message::new("domain-device-vpn-always-on-unknown"),
            format!("always_on_connection not answered; {source}"),
        )),
    }
    match subject.weak_or_reused_password {
        Some(false) => {}
        Some(true) => flags.push(Flag::new(
            FlagCode::VpnWeakPassword,
            FlagSeverity::High,
            Message::new("domain-device-vpn-weak-password"),
            format!("weak_or_reused_password = true; {source}"),
        )),
        None => flags.push(Flag::new(
            FlagCode::VpnWeakPassword,
            FlagSeverity::Low,
            Message::new("domain-device-vpn-weak-password-unknown"),
            format!("weak_or_reused_password not answered; {source}"),
        )),
    }
}
