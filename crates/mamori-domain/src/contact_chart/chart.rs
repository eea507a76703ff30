//! The chart itself: the people inside, the vendors, the outside bodies and the order of calls.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::email::EmailAddress;
use super::hours::Hours;
use super::phone::PhoneNumber;
use crate::vendor::{ContractId, VendorContract};
use crate::{Lang, Message};

crate::wire_enum! {
    /// A role inside the institution.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum InternalRole {
        /// 管理者 (院長・理事長: the 医療法 管理者, who decides to stop systems)
        Administrator,
        /// 医療情報システム安全管理責任者
        SecurityManager,
        /// システム担当
        SystemStaff,
        /// 夜間・休日当番
        OnCall,
        /// その他
        Other,
    }
}

labels!(InternalRole: short_label, short_label_ja, short_label_en {
    Administrator => "domain-labels-internal-role-administrator-short",
    SecurityManager => "domain-labels-internal-role-security-manager-short",
    SystemStaff => "domain-labels-internal-role-system-staff-short",
    OnCall => "domain-labels-internal-role-on-call-short",
    Other => "domain-labels-internal-role-other-short",
});

labels!(InternalRole {
    Administrator => "domain-labels-internal-role-administrator",
    SecurityManager => "domain-labels-internal-role-security-manager",
    SystemStaff => "domain-labels-internal-role-system-staff",
    OnCall => "domain-labels-internal-role-on-call",
    Other => "domain-labels-internal-role-other",
});

crate::wire_enum! {
    /// An outside body (外部関係機関).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OutsideBody {
        /// 厚生労働省
        Mhlw,
        /// 都道府県
        Prefecture,
        /// 警察（サイバー犯罪相談窓口）
        Police,
        /// 保険会社
        Insurer,
        /// その他 (e.g. 保健所, 初動対応支援窓口, 医師会)
        Other,
    }
}

labels!(OutsideBody {
    Mhlw => "domain-labels-outside-body-mhlw",
    Prefecture => "domain-labels-outside-body-prefecture",
    Police => "domain-labels-outside-body-police",
    Insurer => "domain-labels-outside-body-insurer",
    Other => "domain-labels-outside-body-other",
});

labels!(OutsideBody: short_label, short_label_ja, short_label_en {
    Mhlw => "domain-labels-outside-body-mhlw-short",
    Prefecture => "domain-labels-outside-body-prefecture-short",
    Police => "domain-labels-outside-body-police-short",
    Insurer => "domain-labels-outside-body-insurer-short",
    Other => "domain-labels-outside-body-other-short",
});

/// One entry of the chart: a person or a desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactEntry {
    /// 氏名 (or the desk's name)
    pub name: String,
    /// 組織・部署
    pub organisation: String,
    /// In the order to try.
    pub phones: Vec<PhoneNumber>,
    pub email: Option<EmailAddress>,
    pub hours: Option<Hours>,
    pub notes: String,
}

/// Someone inside the institution; one person may hold several roles (in a clinic the
/// director is often 管理者 and 安全管理責任者 at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalContact {
    pub roles: Vec<InternalRole>,
    /// The title as the institution writes it (事務長, 情報システム課長 …), optional.
    pub title: String,
    pub entry: ContactEntry,
}

/// A contracted vendor's emergency contact (緊急連絡先).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContact {
    pub contract_id: ContractId,
    pub entry: ContactEntry,
}

/// An outside body's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideContact {
    pub body: OutsideBody,
    pub entry: ContactEntry,
}

/// Whom a step of the call order reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallTarget {
    /// 発見者: whoever notices the problem.
    Discoverer,
    /// Everyone inside with this role.
    Internal {
        role: InternalRole,
    },
    /// Every contracted vendor's contact.
    AllVendors,
    Vendor {
        contract_id: ContractId,
    },
    Outside {
        body: OutsideBody,
    },
}

impl CallTarget {
    /// Whom the step reaches, as users read it: a vendor by its name.
    pub fn label(&self, contracts: &[VendorContract]) -> Message {
        match self {
            Self::Discoverer => Message::new("domain-labels-call-target-discoverer"),
            Self::Internal { role } => role.short_label(),
            Self::AllVendors => Message::new("domain-labels-call-target-all-vendors"),
            Self::Vendor { contract_id } => vendor_name(contracts, *contract_id).map_or_else(
                || Message::new("domain-labels-call-target-vendor"),
                |name| crate::bilingual(name, name),
            ),
            Self::Outside { body } => body.short_label(),
        }
    }

    pub fn label_ja(&self, contracts: &[VendorContract]) -> String {
        self.label(contracts).render(Lang::Ja)
    }

    pub fn label_en(&self, contracts: &[VendorContract]) -> String {
        self.label(contracts).render(Lang::En)
    }
}

pub(super) fn vendor_name(contracts: &[VendorContract], id: ContractId) -> Option<&str> {
    contracts
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.vendor_name.as_str())
}

/// One step of the order of calls; steps are numbered from 1 in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStep {
    pub targets: Vec<CallTarget>,
    /// What to do or say at this step (e.g. 「夜間・休日は当番へ」).
    pub note: String,
}

/// The contact chart (連絡体制図) of one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChart {
    pub institution_name: String,
    /// 作成日・改訂日
    pub revised_on: NaiveDate,
    pub internal: Vec<InternalContact>,
    pub vendors: Vec<VendorContact>,
    pub outside: Vec<OutsideContact>,
    pub call_order: Vec<CallStep>,
}

impl ContactChart {
    pub fn entry_count(&self) -> usize {
        self.internal.len() + self.vendors.len() + self.outside.len()
    }

    /// The step (1-based) that first reaches a target, if any.
    pub fn step_of(&self, reached: impl Fn(&CallTarget) -> bool) -> Option<usize> {
        self.call_order
            .iter()
            .position(|s| s.targets.iter().any(&reached))
            .map(|i| i + 1)
    }

    /// The step that first reaches an internal contact.
    pub fn step_of_internal(&self, contact: &InternalContact) -> Option<usize> {
        self.step_of(|t| matches!(t, CallTarget::Internal { role } if contact.roles.contains(role)))
    }

    pub fn step_of_vendor(&self, contact: &VendorContact) -> Option<usize> {
        self.step_of(|t| match t {
            CallTarget::AllVendors => true,
            CallTarget::Vendor { contract_id } => *contract_id == contact.contract_id,
            _ => false,
        })
    }

    pub fn step_of_outside(&self, contact: &OutsideContact) -> Option<usize> {
        self.step_of(|t| matches!(t, CallTarget::Outside { body } if *body == contact.body))
    }
}

/// The order of calls most charts follow: 1. 発見者 → 2. 安全管理責任者 (and システム担当,
/// 夜間・休日当番) → 3. 事業者 and 管理者 → 4. 厚生労働省・警察・都道府県 (and the insurer and
/// others). Steps reaching nobody on the chart are left out.
pub fn default_call_order(chart: &ContactChart) -> Vec<CallStep> {
    let has_role = |role: InternalRole| chart.internal.iter().any(|c| c.roles.contains(&role));
    // Whether the chart has someone the target reaches.
    let reached = |target: &CallTarget| match *target {
        CallTarget::Internal { role } => has_role(role),
        CallTarget::Outside { body } => chart.outside.iter().any(|c| c.body == body),
        CallTarget::AllVendors | CallTarget::Vendor { .. } => !chart.vendors.is_empty(),
        CallTarget::Discoverer => true,
    };
    let internal = |role| CallTarget::Internal { role };
    let outside = |body| CallTarget::Outside { body };
    // Notes stay empty: they are free text in one language, and a drawing adds its own
    // hints (「異常に気づいたら、すぐに次の連絡先へ」) in the language it is drawn in.
    [
        vec![CallTarget::Discoverer],
        vec![
            internal(InternalRole::SecurityManager),
            internal(InternalRole::SystemStaff),
            internal(InternalRole::OnCall),
        ],
        vec![
            CallTarget::AllVendors,
            internal(InternalRole::Administrator),
        ],
        // The ministry and the police first, as the item names them, then the prefecture.
        vec![
            outside(OutsideBody::Mhlw),
            outside(OutsideBody::Police),
            outside(OutsideBody::Prefecture),
            outside(OutsideBody::Insurer),
            outside(OutsideBody::Other),
        ],
    ]
    .into_iter()
    .map(|targets| {
        targets
            .into_iter()
            .filter(|t| reached(t))
            .collect::<Vec<_>>()
    })
    .filter(|targets| !targets.is_empty())
    .map(|targets| CallStep {
        targets,
        note: String::new(),
    })
    .collect()
}

/// The ministry's contact as published in the seeds: the 照会先 of MHLW's 事務連絡 of
/// 2025-02-04 (医政局 特定医薬品開発支援・医療情報担当参事官室, 03-5253-1111, 内線 4392 for
/// that project). The main line is preset; check the ministry's page for the current desk.
/// Its words are Japanese in both languages: they become a record of the chart.
pub fn mhlw_preset() -> OutsideContact {
    OutsideContact {
        body: OutsideBody::Mhlw,
        entry: ContactEntry {
            name: String::new(),
            organisation: Lang::Ja.text("domain-incident-mhlw-desk").into(),
            phones: vec![PhoneNumber {
                number: "03-5253-1111".into(),
                extension: None,
            }],
            email: None,
            hours: None,
            notes: Lang::Ja.text("domain-incident-mhlw-desk-notes").into(),
        },
    }
}
