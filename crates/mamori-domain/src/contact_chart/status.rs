//! The status of checklist item 3(1): what the chart lacks to be complete.

use chrono::NaiveDate;
use mamori_locale::{Lang, Message};
use serde::{Deserialize, Serialize};

use super::chart::{ContactChart, ContactEntry, InternalRole, OutsideBody};
use super::hours::Hours;
use crate::vendor::{ContractId, VendorContract};

/// Where the chart stands for checklist item 3(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartState {
    /// No chart.
    None,
    /// A chart with gaps: required roles or outside bodies missing.
    Draft,
    /// Everything the item names is on it.
    Complete,
}

/// Something missing from the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ChartGap {
    RoleMissing {
        role: InternalRole,
    },
    NoOutsideBodies,
    OutsideBodyMissing {
        body: OutsideBody,
    },
    VendorContactMissing {
        contract_id: ContractId,
        vendor_name: String,
    },
    NoWayToReach {
        path: String,
        who: String,
    },
    NoCallOrder,
}

impl ChartGap {
    pub fn message(&self) -> Message {
        match self {
            Self::RoleMissing { role } => {
                Message::new("domain-records-gap-role-missing").with("role", role.label())
            }
            Self::NoOutsideBodies => Message::new("domain-records-gap-no-outside-bodies"),
            Self::OutsideBodyMissing { body } => {
                Message::new("domain-records-gap-outside-body-missing").with("body", body.label())
            }
            Self::VendorContactMissing { vendor_name, .. } => {
                Message::new("domain-records-gap-vendor-contact-missing")
                    .with("vendor", vendor_name)
            }
            Self::NoWayToReach { who, .. } => {
                Message::new("domain-records-gap-no-way-to-reach").with("who", who)
            }
            Self::NoCallOrder => Message::new("domain-records-gap-no-call-order"),
        }
    }
}

/// A gap with its messages, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartGapReport {
    #[serde(flatten)]
    pub gap: ChartGap,
    pub message_ja: String,
    pub message_en: String,
}

impl From<ChartGap> for ChartGapReport {
    fn from(gap: ChartGap) -> Self {
        Self {
            message_ja: gap.message().render(Lang::Ja),
            message_en: gap.message().render(Lang::En),
            gap,
        }
    }
}

/// The chart's status for item 3(1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartStatus {
    pub state: ChartState,
    /// What keeps it a draft.
    pub missing: Vec<ChartGapReport>,
    /// Not required, but a chart on the wall is better with them (night cover, the
    /// prefecture).
    pub suggestions: Vec<ChartGapReport>,
}

/// Roles every chart needs: the one who decides (管理者) and the one who runs the response
/// (医療情報システム安全管理責任者, item 1(1)).
const REQUIRED_ROLES: [InternalRole; 2] =
    [InternalRole::Administrator, InternalRole::SecurityManager];
/// Outside bodies the item names: 「外部関係機関（事業者、厚生労働省、警察等）」.
const REQUIRED_BODIES: [OutsideBody; 2] = [OutsideBody::Mhlw, OutsideBody::Police];

fn entry_label(entry: &ContactEntry, fallback: &str) -> String {
    if !entry.name.is_empty() {
        entry.name.clone()
    } else if !entry.organisation.is_empty() {
        entry.organisation.clone()
    } else {
        fallback.to_owned()
    }
}

/// The status of item 3(1) on `on`: the chart, if any, against the contracts running that day.
pub fn chart_status(
    chart: Option<&ContactChart>,
    contracts: &[VendorContract],
    on: NaiveDate,
) -> ChartStatus {
    let Some(chart) = chart.filter(|c| c.entry_count() > 0) else {
        return ChartStatus {
            state: ChartState::None,
            missing: vec![],
            suggestions: vec![],
        };
    };
    let mut missing: Vec<ChartGap> = Vec::new();
    for role in REQUIRED_ROLES {
        if !chart.internal.iter().any(|c| c.roles.contains(&role)) {
            missing.push(ChartGap::RoleMissing { role });
        }
    }
    for contract in contracts.iter().filter(|c| c.is_active_on(on)) {
        if !chart.vendors.iter().any(|v| v.contract_id == contract.id) {
            missing.push(ChartGap::VendorContactMissing {
                contract_id: contract.id,
                vendor_name: contract.vendor_name.clone(),
            });
        }
    }
    if chart.outside.is_empty() {
        missing.push(ChartGap::NoOutsideBodies);
    } else {
        for body in REQUIRED_BODIES {
            if !chart.outside.iter().any(|c| c.body == body) {
                missing.push(ChartGap::OutsideBodyMissing { body });
            }
        }
    }
    let unreachable = |e: &ContactEntry| e.phones.is_empty() && e.email.is_none();
    for (i, c) in chart.internal.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("internal[{i}]"),
                who: entry_label(&c.entry, Lang::Ja.text("domain-labels-inside")),
            });
        }
    }
    for (i, c) in chart.vendors.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("vendors[{i}]"),
                who: entry_label(&c.entry, Lang::Ja.text("domain-labels-call-target-vendor")),
            });
        }
    }
    for (i, c) in chart.outside.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("outside[{i}]"),
                who: entry_label(&c.entry, c.body.label_ja()),
            });
        }
    }
    if chart.call_order.is_empty() {
        missing.push(ChartGap::NoCallOrder);
    }
    let mut suggestions = Vec::new();
    let round_the_clock = chart.internal.iter().any(|c| {
        c.entry
            .hours
            .as_ref()
            .is_some_and(Hours::is_round_the_clock)
    });
    if !chart
        .internal
        .iter()
        .any(|c| c.roles.contains(&InternalRole::OnCall))
        && !round_the_clock
    {
        suggestions.push(ChartGap::RoleMissing {
            role: InternalRole::OnCall,
        });
    }
    if !chart
        .outside
        .iter()
        .any(|c| c.body == OutsideBody::Prefecture)
    {
        suggestions.push(ChartGap::OutsideBodyMissing {
            body: OutsideBody::Prefecture,
        });
    }
    ChartStatus {
        state: if missing.is_empty() {
            ChartState::Complete
        } else {
            ChartState::Draft
        },
        missing: missing.into_iter().map(ChartGapReport::from).collect(),
        suggestions: suggestions.into_iter().map(ChartGapReport::from).collect(),
    }
}
