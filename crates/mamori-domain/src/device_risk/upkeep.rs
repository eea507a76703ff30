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
    flags.extend(question_flag(
        subject.maintenance_includes_security_updates,
        true,
        "maintenance_includes_security_updates",
        FlagCode::VpnNoSecurityUpdates,
        [
            (FlagSeverity::High, "domain-device-vpn-no-updates"),
            (FlagSeverity::Medium, "domain-device-vpn-updates-unknown"),
        ],
        source,
    ));
    if !ended.is_empty() {
        flags.push(Flag::new(
            FlagCode::VpnUnsupported,
            FlagSeverity::High,
            Message::new("domain-device-vpn-unsupported"),
            format!("{}; {source}", ended.join(" | ")),
        ));
    }
    flags.extend(question_flag(
        subject.always_on_connection,
        false,
        "always_on_connection",
        FlagCode::VpnAlwaysOn,
        [
            (FlagSeverity::Medium, "domain-device-vpn-always-on"),
            (FlagSeverity::Low, "domain-device-vpn-always-on-unknown"),
        ],
        source,
    ));
    flags.extend(question_flag(
        subject.weak_or_reused_password,
        false,
        "weak_or_reused_password",
        FlagCode::VpnWeakPassword,
        [
            (FlagSeverity::High, "domain-device-vpn-weak-password"),
            (FlagSeverity::Low, "domain-device-vpn-weak-password-unknown"),
        ],
        source,
    ));
}

/// The flag of one yes/no question of the VPN check: none when `field` is answered
/// `expected`; otherwise the first severity and message when answered the other way, the
/// second when not answered.
fn question_flag(
    answer: Option<bool>,
    expected: bool,
    field: &str,
    code: FlagCode,
    [(other, other_key), (unanswered, unanswered_key)]: [(FlagSeverity, &'static str); 2],
    source: &str,
) -> Option<Flag> {
    match answer {
        Some(answer) if answer == expected => None,
        Some(answer) => Some(Flag::new(
            code,
            other,
            Message::new(other_key),
            format!("{field} = {answer}; {source}"),
        )),
        None => Some(Flag::new(
            code,
            unanswered,
            Message::new(unanswered_key),
            format!("{field} not answered; {source}"),
        )),
    }
}
