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
        None => flags.push(Flag {
            code: FlagCode::StalePatch,
            severity: FlagSeverity::Low,
            message: Message::new("domain-device-patch-unrecorded"),
            evidence: "last_patch_on is empty".to_owned(),
            cves: Vec::new(),
        }),
        Some(last) => {
            let days = (today - last).num_days();
            if days > i64::from(stale_after_days) {
                flags.push(Flag {
                    code: FlagCode::StalePatch,
                    severity: if entrance { FlagSeverity::High } else { FlagSeverity::Medium },
                    message: Message::new("domain-device-patch-stale")
                        .with("days", days)
                        .with("last", last.to_string()),
                    evidence: format!(
                        "last patch {last}, {days} days before {today}; threshold {stale_after_days} days"
                    ),
                    cves: Vec::new(),
                });
            }
        }
    }
}

pub(super) fn vpn_flags(subject: &RiskSubject<'_>, ended: &[String], flags: &mut Vec<Flag>) {
    let source =
        "MHLW: VPN装置等のネットワーク機器におけるサイバーセキュリティ対策の徹底について (R8.3)";
    match subject.maintenance_includes_security_updates {
        Some(true) => {}
        Some(false) => flags.push(Flag {
            code: FlagCode::VpnNoSecurityUpdates,
            severity: FlagSeverity::High,
            message: Message::new("domain-device-vpn-no-updates"),
            evidence: format!("maintenance_includes_security_updates = false; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnNoSecurityUpdates,
            severity: FlagSeverity::Medium,
            message: Message::new("domain-device-vpn-updates-unknown"),
            evidence: format!("maintenance_includes_security_updates not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    if !ended.is_empty() {
        flags.push(Flag {
            code: FlagCode::VpnUnsupported,
            severity: FlagSeverity::High,
            message: Message::new("domain-device-vpn-unsupported"),
            evidence: format!("{}; {source}", ended.join(" | ")),
            cves: Vec::new(),
        });
    }
    match subject.always_on_connection {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Medium,
            message: Message::new("domain-device-vpn-always-on"),
            evidence: format!("always_on_connection = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Low,
            message: Message::new("domain-device-vpn-always-on-unknown"),
            evidence: format!("always_on_connection not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    match subject.weak_or_reused_password {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::High,
            message: Message::new("domain-device-vpn-weak-password"),
            evidence: format!("weak_or_reused_password = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::Low,
            message: Message::new("domain-device-vpn-weak-password-unknown"),
            evidence: format!("weak_or_reused_password not answered; {source}"),
            cves: Vec::new(),
        }),
    }
}
