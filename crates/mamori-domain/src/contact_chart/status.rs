//! The status of checklist item 3(1): what the chart lacks to be complete.

use chrono::NaiveDate;
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
    pub fn message_ja(&self) -> String {
        match self {
            Self::RoleMissing { role } => format!("「{}」が登録されていません", role.label_ja()),
            Self::NoOutsideBodies => {
                "外部関係機関（厚生労働省、警察等）の連絡先がありません".into()
            }
            Self::OutsideBodyMissing { body } => {
                format!("外部関係機関「{}」の連絡先がありません", body.label_ja())
            }
            Self::VendorContactMissing { vendor_name, .. } => {
                format!("契約している事業者「{vendor_name}」の緊急連絡先がありません")
            }
            Self::NoWayToReach { who, .. } => {
                format!("「{who}」に電話番号もメールアドレスもありません")
            }
            Self::NoCallOrder => "連絡の順番が決まっていません".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::RoleMissing { role } => format!("nobody is listed as '{}'", role.label_en()),
            Self::NoOutsideBodies => {
                "no outside body (the ministry, the police …) is on the chart".into()
            }
            Self::OutsideBodyMissing { body } => {
                format!("the outside body '{}' is not on the chart", body.label_en())
            }
            Self::VendorContactMissing { vendor_name, .. } => {
                format!("no emergency contact for the contracted vendor '{vendor_name}'")
            }
            Self::NoWayToReach { who, .. } => {
                format!("'{who}' has neither a phone number nor an e-mail address")
            }
            Self::NoCallOrder => "the order of calls is not set".into(),
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
            message_ja: gap.message_ja(),
            message_en: gap.message_en(),
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
                who: entry_label(&c.entry, "院内"),
            });
        }
    }
    for (i, c) in chart.vendors.iter().enumerate() {
        if unreachable(&c.entry) {
            missing.push(ChartGap::NoWayToReach {
                path: format!("vendors[{i}]"),
                who: entry_label(&c.entry, "事業者"),
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
