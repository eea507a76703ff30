//! How the device is kept: patches not applied for a while, and the checks of the MHLW VPN
//! notice (VPN装置等のネットワーク機器の点検).

use chrono::NaiveDate;

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
            message_ja: "最終パッチ適用日が台帳に記録されていません。保守事業者に最後にセキュリティパッチを適用した日を確認し、記録してください。".to_owned(),
            message_en: "The ledger has no date of the last security patch. Ask your maintenance vendor when a security patch was last applied and record it.".to_owned(),
            evidence: "last_patch_on is empty".to_owned(),
            cves: Vec::new(),
        }),
        Some(last) => {
            let days = (today - last).num_days();
            if days > i64::from(stale_after_days) {
                flags.push(Flag {
                    code: FlagCode::StalePatch,
                    severity: if entrance { FlagSeverity::High } else { FlagSeverity::Medium },
                    message_ja: format!(
                        "最後にセキュリティパッチを適用してから {days} 日経っています（{last}）。保守事業者に連絡し、最新のセキュリティパッチを適用してください。"
                    ),
                    message_en: format!(
                        "The last security patch was applied {days} days ago ({last}). Contact your maintenance vendor and apply the latest security patches."
                    ),
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
            message_ja: "VPN装置の保守契約にセキュリティアップデートが含まれていません。VPN装置はランサムウェアの主な侵入口です。保守事業者と契約を見直し、セキュリティアップデートを含む保守契約にしてください。".to_owned(),
            message_en: "The VPN device's maintenance contract does not include security updates. VPN devices are the main way in for ransomware: review the contract with your vendor so that it covers security updates.".to_owned(),
            evidence: format!("maintenance_includes_security_updates = false; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnNoSecurityUpdates,
            severity: FlagSeverity::Medium,
            message_ja: "VPN装置の保守契約にセキュリティアップデートが含まれているか確認されていません。保守事業者に契約内容を確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN device's maintenance contract covers security updates has not been confirmed. Check the contract with your vendor and record the answer.".to_owned(),
            evidence: format!("maintenance_includes_security_updates not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    if !ended.is_empty() {
        flags.push(Flag {
            code: FlagCode::VpnUnsupported,
            severity: FlagSeverity::High,
            message_ja: "サポートが終了した製品を VPN装置として使っています。脆弱性が修正されないまま外部からの入口になるため、保守事業者に連絡し、速やかにサポート中の製品・バージョンへ更新してください。".to_owned(),
            message_en: "A product past its end of support is used as a VPN device: an entrance from outside whose vulnerabilities will not be fixed. Contact your maintenance vendor and move to a supported product or version promptly.".to_owned(),
            evidence: format!("{}; {source}", ended.join(" | ")),
            cves: Vec::new(),
        });
    }
    match subject.always_on_connection {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Medium,
            message_ja: "VPN が常時接続になっています。保守事業者と常時接続が本当に必要か確認し、不要であれば保守作業のときだけ接続する運用に変えてください。".to_owned(),
            message_en: "The VPN is connected at all times. Confirm with your maintenance vendor whether that is needed; if not, connect only while maintenance work is done.".to_owned(),
            evidence: format!("always_on_connection = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Low,
            message_ja: "VPN に不要な常時接続がないか確認されていません。保守事業者に接続の運用を確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN is needlessly connected at all times has not been checked. Ask your maintenance vendor how it is used and record the answer.".to_owned(),
            evidence: format!("always_on_connection not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    match subject.weak_or_reused_password {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::High,
            message_ja: "VPN装置に容易なパスワードまたは使い回しのパスワードが設定されています。直ちに推測されにくい固有のパスワードに変更し、可能であれば多要素認証を設定してください。".to_owned(),
            message_en: "The VPN device has an easy or reused password. Change it now to a unique, hard-to-guess one and turn on multi-factor authentication if the device supports it.".to_owned(),
            evidence: format!("weak_or_reused_password = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::Low,
            message_ja: "VPN装置のパスワードが容易なものや使い回しでないか確認されていません。保守事業者と確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN device's passwords are easy or reused has not been checked. Check with your maintenance vendor and record the answer.".to_owned(),
            evidence: format!("weak_or_reused_password not answered; {source}"),
            cves: Vec::new(),
        }),
    }
}
