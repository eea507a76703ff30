//! What the device ledger (機器台帳) says about the checklist items 台帳管理, リモートメンテナンス
//! の確認, セキュリティパッチの適用 and 接続元制限 (2(1), 2(2), 2(7), 2(8) in 令和5・6年度版; 2(1),
//! 2(2), 2(6), 2(13) in 令和7年度版), found by their role: evidence to show beside the item and
//! a suggested answer. The answer stays the person's: this only informs it.

use crate::answer::Answer;
use crate::checklist::{ItemRole, Scope};

/// The roles of the items the ledger speaks about.
pub const LEDGER_ROLES: [ItemRole; 4] = [
    ItemRole::DeviceLedger,
    ItemRole::RemoteMaintenance,
    ItemRole::SecurityPatches,
    ItemRole::ConnectionRestriction,
];
use crate::device::{Device, DeviceKind, DeviceStatus, RemoteAccess};
use crate::device_risk::{Flag, FlagCode};

/// The ledger's evidence for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvidence {
    pub message_ja: String,
    pub message_en: String,
    /// `None` when the ledger cannot tell.
    pub suggested: Option<Answer>,
}

fn in_scope(device: &Device, scope: Scope) -> bool {
    match scope {
        Scope::Server => device.kind == Some(DeviceKind::Server),
        Scope::Pc => device.kind == Some(DeviceKind::Pc),
        Scope::Network => matches!(device.kind, Some(DeviceKind::Network | DeviceKind::Vpn)),
        Scope::All | Scope::None => true,
    }
}

fn scope_ja(scope: Scope) -> &'static str {
    match scope {
        Scope::Server => "サーバ",
        Scope::Pc => "端末PC",
        Scope::Network => "ネットワーク機器",
        Scope::All | Scope::None => "機器",
    }
}

fn scope_en(scope: Scope) -> &'static str {
    match scope {
        Scope::Server => "servers",
        Scope::Pc => "PCs",
        Scope::Network => "network devices",
        Scope::All | Scope::None => "devices",
    }
}

/// The evidence for the item of `role` and `scope`, from the devices in use with their
/// flags; `None` for items the ledger says nothing about.
pub fn evidence(
    role: ItemRole,
    scope: Scope,
    devices: &[(&Device, &[Flag])],
) -> Option<LedgerEvidence> {
    let in_use: Vec<(&Device, &[Flag])> = devices
        .iter()
        .copied()
        .filter(|(d, _)| d.status != DeviceStatus::Retired)
        .collect();
    match role {
        ItemRole::DeviceLedger => {
            let count = |k: DeviceKind| in_use.iter().filter(|(d, _)| d.kind == Some(k)).count();
            let (servers, pcs, network) = (
                count(DeviceKind::Server),
                count(DeviceKind::Pc),
                count(DeviceKind::Network) + count(DeviceKind::Vpn),
            );
            Some(if in_use.is_empty() {
                LedgerEvidence {
                    message_ja: "mamori の機器台帳に使用中の機器がありません。".to_owned(),
                    message_en: "The mamori ledger lists no device in use.".to_owned(),
                    suggested: Some(Answer::No),
                }
            } else {
                LedgerEvidence {
                    message_ja: format!(
                        "機器台帳に使用中の機器 {} 台（サーバ {servers}・端末PC {pcs}・ネットワーク機器 {network}）。",
                        in_use.len()
                    ),
                    message_en: format!(
                        "The ledger lists {} devices in use ({servers} servers, {pcs} PCs, {network} network devices).",
                        in_use.len()
                    ),
                    suggested: Some(Answer::Yes),
                }
            })
        }
        ItemRole::RemoteMaintenance => {
            if in_use.is_empty() {
                return None;
            }
            let remote: Vec<&Device> = in_use
                .iter()
                .filter(|(d, _)| d.remote_maintenance)
                .map(|(d, _)| *d)
                .collect();
            let unclear = remote
                .iter()
                .filter(|d| d.maintenance_vendor.trim().is_empty() || d.remote_access.is_none())
                .count();
            Some(LedgerEvidence {
                message_ja: format!(
                    "リモートメンテナンスありの機器 {} 台{}。",
                    remote.len(),
                    if unclear > 0 {
                        format!("（うち {unclear} 台は保守事業者か外部接続方法が未記入）")
                    } else {
                        String::new()
                    }
                ),
                message_en: format!(
                    "{} devices are maintained remotely{}.",
                    remote.len(),
                    if unclear > 0 {
                        format!(" ({unclear} without vendor or access method)")
                    } else {
                        String::new()
                    }
                ),
                suggested: Some(if unclear == 0 {
                    Answer::Yes
                } else {
                    Answer::No
                }),
            })
        }
        ItemRole::SecurityPatches => {
            let scoped: Vec<&(&Device, &[Flag])> =
                in_use.iter().filter(|(d, _)| in_scope(d, scope)).collect();
            if scoped.is_empty() {
                return None;
            }
            let patch_codes = [
                FlagCode::StalePatch,
                FlagCode::EndOfSupport,
                FlagCode::VulnerableVersion,
                FlagCode::VpnUnsupported,
            ];
            let behind = scoped
                .iter()
                .filter(|(_, flags)| flags.iter().any(|f| patch_codes.contains(&f.code)))
                .count();
            Some(LedgerEvidence {
                message_ja: format!(
                    "台帳の{} {} 台のうち、パッチ未適用・サポート終了・脆弱なバージョンの指摘があるもの {behind} 台。",
                    scope_ja(scope),
                    scoped.len()
                ),
                message_en: format!(
                    "Of {} {} in the ledger, {behind} are flagged for old patches, end of support or a vulnerable version.",
                    scoped.len(),
                    scope_en(scope)
                ),
                suggested: Some(if behind == 0 { Answer::Yes } else { Answer::No }),
            })
        }
        ItemRole::ConnectionRestriction => {
            let reached: Vec<&Device> = in_use
                .iter()
                .map(|(d, _)| *d)
                .filter(|d| in_scope(d, scope))
                .filter(|d| {
                    matches!(
                        d.remote_access,
                        Some(
                            RemoteAccess::Vpn
                                | RemoteAccess::RemoteDesktop
                                | RemoteAccess::DirectInternet
                                | RemoteAccess::Other
                        )
                    )
                })
                .collect();
            if reached.is_empty() {
                return None;
            }
            let direct = reached
                .iter()
                .filter(|d| d.remote_access == Some(RemoteAccess::DirectInternet))
                .count();
            let always_on = reached
                .iter()
                .filter(|d| d.always_on_connection == Some(true))
                .count();
            Some(LedgerEvidence {
                message_ja: format!(
                    "外部から接続される機器 {} 台（インターネット直接 {direct} 台、常時接続 {always_on} 台）。接続元を保守事業者の拠点などに限定しているか確認してください。",
                    reached.len()
                ),
                message_en: format!(
                    "{} devices are reached from outside ({direct} directly from the internet, {always_on} always connected). Check that connections are limited to known sources such as the vendor's site.",
                    reached.len()
                ),
                // The ledger does not record the restriction itself: only a direct
                // connection is a clear no.
                suggested: (direct > 0).then_some(Answer::No),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{AssetNumber, Device};

    fn device(asset: &str, kind: DeviceKind) -> Device {
        let mut d = Device::new(AssetNumber::parse(asset).expect("asset"));
        d.kind = Some(kind);
        d
    }

    #[test]
    fn the_ledger_informs_its_four_items() {
        let mut vpn = device("NW-1", DeviceKind::Vpn);
        vpn.remote_maintenance = true;
        vpn.remote_access = Some(RemoteAccess::Vpn);
        vpn.always_on_connection = Some(true);
        let pc = device("PC-1", DeviceKind::Pc);
        let mut old = device("PC-2", DeviceKind::Pc);
        old.status = DeviceStatus::Retired;
        let stale = vec![Flag {
            code: FlagCode::StalePatch,
            severity: crate::device_risk::FlagSeverity::Medium,
            message_ja: String::new(),
            message_en: String::new(),
            evidence: String::new(),
            cves: Vec::new(),
        }];
        let devices: Vec<(&Device, &[Flag])> = vec![(&vpn, &stale), (&pc, &[]), (&old, &stale)];
        let e = evidence(ItemRole::DeviceLedger, Scope::All, &devices).expect("2(1)");
        assert_eq!(e.suggested, Some(Answer::Yes));
        assert!(e.message_ja.contains("2 台"), "{}", e.message_ja);
        let e = evidence(ItemRole::RemoteMaintenance, Scope::All, &devices).expect("2(2)");
        assert_eq!(e.suggested, Some(Answer::No), "no vendor named");
        assert_eq!(
            evidence(ItemRole::SecurityPatches, Scope::Pc, &devices)
                .expect("pc")
                .suggested,
            Some(Answer::Yes),
            "the retired PC does not count"
        );
        assert_eq!(
            evidence(ItemRole::SecurityPatches, Scope::Network, &devices)
                .expect("network")
                .suggested,
            Some(Answer::No)
        );
        assert!(evidence(ItemRole::SecurityPatches, Scope::Server, &devices).is_none());
        let e = evidence(ItemRole::ConnectionRestriction, Scope::All, &devices).expect("2(8)");
        assert_eq!(e.suggested, None, "the ledger cannot tell");
        assert!(evidence(ItemRole::SecurityOfficer, Scope::None, &devices).is_none());
        assert_eq!(
            evidence(ItemRole::DeviceLedger, Scope::All, &[])
                .expect("empty")
                .suggested,
            Some(Answer::No)
        );
    }
}
