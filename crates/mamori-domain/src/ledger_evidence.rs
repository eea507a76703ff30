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
use mamori_locale::Message;

use crate::device::{Device, DeviceKind, DeviceStatus, RemoteAccess};
use crate::device_risk::{Flag, FlagCode};

/// The ledger's evidence for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvidence {
    pub message: Message,
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

fn scope_label(scope: Scope) -> Message {
    Message::new(match scope {
        Scope::Server => "domain-device-evidence-scope-server",
        Scope::Pc => "domain-device-evidence-scope-pc",
        Scope::Network => "domain-device-evidence-scope-network",
        Scope::All | Scope::None => "domain-device-evidence-scope-all",
    })
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
                    message: Message::new("domain-device-evidence-mamori-ledger-lists-device"),
                    suggested: Some(Answer::No),
                }
            } else {
                LedgerEvidence {
                    message: Message::new("domain-device-evidence-ledger-lists-devices-use")
                        .with("in-use-len", crate::arg(in_use.len()))
                        .with("servers", crate::arg(servers))
                        .with("pcs", crate::arg(pcs))
                        .with("network", crate::arg(network)),
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
                message: Message::new("domain-device-evidence-devices-are-maintained-remotely")
                    .with("remote-len", crate::arg(remote.len()))
                    .with(
                        "unclear",
                        if unclear > 0 {
                            Message::new("domain-device-evidence-unclear").with("count", unclear)
                        } else {
                            Message::new("domain-device-empty")
                        },
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
                message: Message::new("domain-device-evidence-ledger-are-flagged-old")
                    .with("scoped-len", crate::arg(scoped.len()))
                    .with("behind", crate::arg(behind))
                    .with("scope", scope_label(scope)),
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
                message: Message::new("domain-device-evidence-devices-are-reached-from")
                    .with("reached-len", crate::arg(reached.len()))
                    .with("direct", crate::arg(direct))
                    .with("always-on", crate::arg(always_on)),
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
    use crate::testing::assert_says;
    use mamori_locale::Lang::Ja;

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
        let stale = vec![Flag::new(
            FlagCode::StalePatch,
            crate::device_risk::FlagSeverity::Medium,
            Message::new("domain-device-empty"),
            "",
        )];
        let devices: Vec<(&Device, &[Flag])> = vec![(&vpn, &stale), (&pc, &[]), (&old, &stale)];
        let e = evidence(ItemRole::DeviceLedger, Scope::All, &devices).expect("2(1)");
        assert_eq!(e.suggested, Some(Answer::Yes));
        assert_says("2(1)", &e.message, &[(Ja, "2 台")]);
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
