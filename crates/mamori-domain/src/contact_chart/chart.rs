//! The chart itself: the people inside, the vendors, the outside bodies and the order of calls.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::email::EmailAddress;
use super::hours::Hours;
use super::phone::PhoneNumber;
use crate::vendor::{ContractId, VendorContract};

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

impl InternalRole {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Administrator => "管理者",
            Self::SecurityManager => "医療情報システム安全管理責任者",
            Self::SystemStaff => "システム担当",
            Self::OnCall => "夜間・休日当番",
            Self::Other => "その他",
        }
    }

    /// A shorter label for tight spaces (the drawing).
    pub fn short_label_ja(self) -> &'static str {
        match self {
            Self::SecurityManager => "安全管理責任者",
            other => other.label_ja(),
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator (director)",
            Self::SecurityManager => "Medical information system security manager",
            Self::SystemStaff => "System staff",
            Self::OnCall => "Night and holiday on-call",
            Self::Other => "Other",
        }
    }

    pub fn short_label_en(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator",
            Self::SecurityManager => "Security manager",
            other => other.label_en(),
        }
    }
}

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

impl OutsideBody {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Mhlw => "厚生労働省",
            Self::Prefecture => "都道府県",
            Self::Police => "警察（サイバー犯罪相談窓口）",
            Self::Insurer => "保険会社",
            Self::Other => "その他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Mhlw => "Ministry of Health, Labour and Welfare",
            Self::Prefecture => "Prefecture",
            Self::Police => "Police (cybercrime desk)",
            Self::Insurer => "Insurer",
            Self::Other => "Other",
        }
    }

    pub fn short_label_ja(self) -> &'static str {
        match self {
            Self::Police => "警察",
            other => other.label_ja(),
        }
    }

    pub fn short_label_en(self) -> &'static str {
        match self {
            Self::Mhlw => "MHLW",
            other => other.label_en(),
        }
    }
}

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
    pub fn label_ja(&self, contracts: &[VendorContract]) -> String {
        match self {
            Self::Discoverer => "発見者".into(),
            Self::Internal { role } => role.short_label_ja().into(),
            Self::AllVendors => "事業者".into(),
            Self::Vendor { contract_id } => {
                vendor_name(contracts, *contract_id).map_or_else(|| "事業者".into(), str::to_owned)
            }
            Self::Outside { body } => body.short_label_ja().into(),
        }
    }

    pub fn label_en(&self, contracts: &[VendorContract]) -> String {
        match self {
            Self::Discoverer => "Whoever notices".into(),
            Self::Internal { role } => role.short_label_en().into(),
            Self::AllVendors => "Vendors".into(),
            Self::Vendor { contract_id } => {
                vendor_name(contracts, *contract_id).map_or_else(|| "Vendor".into(), str::to_owned)
            }
            Self::Outside { body } => body.short_label_en().into(),
        }
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
    let has_body = |body: OutsideBody| chart.outside.iter().any(|c| c.body == body);
    // Notes stay empty: they are free text in one language, and a drawing adds its own
    // hints (「異常に気づいたら、すぐに次の連絡先へ」) in the language it is drawn in.
    let mut steps = vec![CallStep {
        targets: vec![CallTarget::Discoverer],
        note: String::new(),
    }];
    let second: Vec<CallTarget> = [
        InternalRole::SecurityManager,
        InternalRole::SystemStaff,
        InternalRole::OnCall,
    ]
    .into_iter()
    .filter(|r| has_role(*r))
    .map(|role| CallTarget::Internal { role })
    .collect();
    if !second.is_empty() {
        steps.push(CallStep {
            targets: second,
            note: String::new(),
        });
    }
    let mut third = Vec::new();
    if !chart.vendors.is_empty() {
        third.push(CallTarget::AllVendors);
    }
    if has_role(InternalRole::Administrator) {
        third.push(CallTarget::Internal {
            role: InternalRole::Administrator,
        });
    }
    if !third.is_empty() {
        steps.push(CallStep {
            targets: third,
            note: String::new(),
        });
    }
    // The ministry and the police first, as the item names them, then the prefecture.
    let fourth: Vec<CallTarget> = [
        OutsideBody::Mhlw,
        OutsideBody::Police,
        OutsideBody::Prefecture,
        OutsideBody::Insurer,
        OutsideBody::Other,
    ]
    .into_iter()
    .filter(|b| has_body(*b))
    .map(|body| CallTarget::Outside { body })
    .collect();
    if !fourth.is_empty() {
        steps.push(CallStep {
            targets: fourth,
            note: String::new(),
        });
    }
    steps
}

/// The ministry's contact as published in the seeds: the 照会先 of MHLW's 事務連絡 of
/// 2025-02-04 (医政局 特定医薬品開発支援・医療情報担当参事官室, 03-5253-1111, 内線 4392 for
/// that project). The main line is preset; check the ministry's page for the current desk.
pub fn mhlw_preset() -> OutsideContact {
    OutsideContact {
        body: OutsideBody::Mhlw,
        entry: ContactEntry {
            name: String::new(),
            organisation: "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室".into(),
            phones: vec![PhoneNumber {
                number: "03-5253-1111".into(),
                extension: None,
            }],
            email: None,
            hours: None,
            notes: "代表電話。医療情報担当参事官室へ。最新の連絡先は厚生労働省「医療分野のサイバーセキュリティ対策について」のページで確認".into(),
        },
    }
}
