//! The checklist (チェックリスト): versions, forms, sections and items, and the rules that say
//! whether an item applies to an institution and whether it is required in a fiscal year.

use serde::{Deserialize, Serialize};

use crate::{FiscalYear, InstitutionProfile};

crate::wire_enum! {
    /// The form (様式) of the checklist.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FormKind {
        /// 医療機関確認用
        Institution,
        /// 事業者確認用
        Vendor,
        /// 薬局確認用
        Pharmacy,
    }
}

labels!(FormKind {
    Institution => "domain-labels-form-kind-institution",
    Vendor => "domain-labels-form-kind-vendor",
    Pharmacy => "domain-labels-form-kind-pharmacy",
});

crate::wire_enum! {
    /// What part of the systems a section-2 control is asked for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Scope {
        /// Sections 1 and 3 have no scope.
        None,
        /// 医療情報システム全般
        All,
        /// サーバ
        Server,
        /// 端末PC
        Pc,
        /// ネットワーク機器
        Network,
    }
}

labels!(Scope {
    None => "domain-labels-scope-none",
    All => "domain-labels-scope-all",
    Server => "domain-labels-scope-server",
    Pc => "domain-labels-scope-pc",
    Network => "domain-labels-scope-network",
});

/// When an item must be はい.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Must be はい from this fiscal year; a reference item (参考項目) before it.
    RequiredFrom(FiscalYear),
    /// Never inspected.
    ReferenceOnly,
}

/// A condition under which an item applies at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Only when the institution has a contract with a vendor (2(2), 2(3)).
    VendorContract,
}

crate::wire_enum! {
    /// What a checklist item is about, so that rules name the item they need instead of its
    /// number, which a new version may change (令和7年度版 moved パッチ from 2(7) to 2(6)).
    /// One role names one control of a form version: its items share one number and differ
    /// only in scope. Its wire name (`as_str`) is the name used in the catalog files, e.g.
    /// `contact_chart`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ItemRole {
        /// 医療情報システム安全管理責任者（事業者: 提供に係る管理責任者）
        SecurityOfficer,
        /// サーバ、端末PC、ネットワーク機器の台帳管理
        DeviceLedger,
        /// リモートメンテナンス（保守）を利用している機器の有無の確認
        RemoteMaintenance,
        /// 医療情報セキュリティ開示書（MDS/SDS）
        SecurityDisclosure,
        /// 職種・担当業務別のアクセス利用権限
        AccessRights,
        /// 退職者や使用していないアカウント等、不要なアカウントの削除
        UnusedAccounts,
        /// アクセスログの管理
        AccessLog,
        /// セキュリティパッチ（最新ファームウェアや更新プログラム）の適用
        SecurityPatches,
        /// パスワードの長さ・文字種・変更
        PasswordRules,
        /// パスワードの使い回しの禁止
        PasswordReuse,
        /// USBストレージ等の外部記録媒体や外部接続機器の接続制限
        ExternalMedia,
        /// 二要素認証
        TwoFactor,
        /// バックグラウンドで動作している不要なソフトウェア及びサービスの停止
        UnneededServices,
        /// 接続元制限
        ConnectionRestriction,
        /// インシデント発生時の連絡体制図
        ContactChart,
        /// データやシステムのバックアップの実施と復旧手順
        Backup,
        /// サイバー攻撃を想定した事業継続計画（BCP）
        Bcp,
        /// 医療情報システムの運用管理規程等
        OperatingRules,
    }
}

impl std::fmt::Display for ItemRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub text_ja: String,
    pub text_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub number: u8,
    pub title_ja: String,
    pub title_en: String,
}

/// An answerable item: a control applied to a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// e.g. `2-7-server`, `1-1`
    pub key: String,
    pub section: u8,
    /// As printed, e.g. `2(7)`.
    pub number: String,
    pub scope: Scope,
    /// What the item is about; rules find their item by it, never by number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ItemRole>,
    pub text_ja: String,
    pub text_en: String,
    pub requirement: Requirement,
    pub applies_when: Option<Condition>,
    /// Whether the sheet has a 目標日 and 2回目 column for this item.
    pub has_target_date: bool,
    pub provenance: Option<String>,
}

/// Why an item needs no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotApplicableReason {
    /// 医療情報システムの有無: いいえ
    NoMedicalInformationSystem,
    /// No contract with a vendor.
    NoVendorContract,
}

impl NotApplicableReason {
    pub fn message(self) -> mamori_locale::Message {
        mamori_locale::Message::new(match self {
            Self::NoMedicalInformationSystem => "domain-not-applicable-no-medical-system",
            Self::NoVendorContract => "domain-not-applicable-no-vendor-contract",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    Applies,
    NotApplicable(NotApplicableReason),
}

/// How an item stands in a given fiscal year, for a given institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Must be answered and is inspected.
    Required,
    /// 参考項目: may be answered, not inspected this year.
    Reference {
        required_from: Option<FiscalYear>,
    },
    NotApplicable(NotApplicableReason),
}

impl ChecklistItem {
    /// The label used in findings and pages: `2(7) サーバ`.
    pub fn label_ja(&self) -> String {
        match self.scope {
            Scope::None => self.number.clone(),
            scope => format!("{} {}", self.number, scope.label_ja()),
        }
    }

    pub fn label_en(&self) -> String {
        match self.scope {
            Scope::None => self.number.clone(),
            scope => format!("{} {}", self.number, scope.label_en()),
        }
    }

    /// Whether the item applies to this institution at all.
    pub fn applicability(
        &self,
        profile: &InstitutionProfile,
        form_has_gate: bool,
    ) -> Applicability {
        if form_has_gate && !profile.has_medical_information_system {
            return Applicability::NotApplicable(NotApplicableReason::NoMedicalInformationSystem);
        }
        match self.applies_when {
            Some(Condition::VendorContract) if !profile.has_vendor_contracts => {
                Applicability::NotApplicable(NotApplicableReason::NoVendorContract)
            }
            _ => Applicability::Applies,
        }
    }

    /// Whether the item is required (inspected) in `fiscal_year`, before applicability.
    pub fn is_required_in(&self, fiscal_year: FiscalYear) -> bool {
        match self.requirement {
            Requirement::RequiredFrom(from) => from <= fiscal_year,
            Requirement::ReferenceOnly => false,
        }
    }

    pub fn status(
        &self,
        fiscal_year: FiscalYear,
        profile: &InstitutionProfile,
        form_has_gate: bool,
    ) -> ItemStatus {
        match self.applicability(profile, form_has_gate) {
            Applicability::NotApplicable(reason) => ItemStatus::NotApplicable(reason),
            Applicability::Applies if self.is_required_in(fiscal_year) => ItemStatus::Required,
            Applicability::Applies => ItemStatus::Reference {
                required_from: match self.requirement {
                    Requirement::RequiredFrom(from) => Some(from),
                    Requirement::ReferenceOnly => None,
                },
            },
        }
    }
}

/// One published version of one form, e.g. 令和6年度版 医療機関確認用.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistVersion {
    /// e.g. `r6-institution`
    pub id: String,
    /// e.g. `r6`
    pub version: String,
    pub version_label_ja: String,
    pub version_label_en: String,
    pub form: FormKind,
    pub title_ja: String,
    pub title_en: String,
    pub fiscal_years: Vec<FiscalYear>,
    pub published_on: chrono::NaiveDate,
    pub sources: Vec<String>,
    pub notes: String,
    pub gate: Option<Gate>,
    pub sections: Vec<Section>,
    pub items: Vec<ChecklistItem>,
}

impl ChecklistVersion {
    pub fn item(&self, key: &str) -> Option<&ChecklistItem> {
        self.items.iter().find(|i| i.key == key)
    }

    /// The (first) item with `role`: for a control asked per scope, the first scope.
    pub fn item_with_role(&self, role: ItemRole) -> Option<&ChecklistItem> {
        self.items_with_role(role).next()
    }

    /// Every item with `role`: one per scope of that control, in the sheet's order.
    pub fn items_with_role(&self, role: ItemRole) -> impl Iterator<Item = &ChecklistItem> {
        self.items.iter().filter(move |i| i.role == Some(role))
    }

    pub fn section(&self, number: u8) -> Option<&Section> {
        self.sections.iter().find(|s| s.number == number)
    }

    pub fn is_in_force(&self, fiscal_year: FiscalYear) -> bool {
        self.fiscal_years.contains(&fiscal_year)
    }

    pub fn status_of(
        &self,
        item: &ChecklistItem,
        fiscal_year: FiscalYear,
        profile: &InstitutionProfile,
    ) -> ItemStatus {
        item.status(fiscal_year, profile, self.gate.is_some())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::InstitutionKind;

    pub fn fy(y: i32) -> FiscalYear {
        FiscalYear::new(y).expect("valid fiscal year")
    }

    pub fn item(key: &str, number: &str, scope: Scope, requirement: Requirement) -> ChecklistItem {
        ChecklistItem {
            key: key.into(),
            section: key[..1].parse().unwrap_or(2),
            number: number.into(),
            scope,
            role: None,
            text_ja: format!("{number} の本文"),
            text_en: format!("text of {number}"),
            requirement,
            applies_when: None,
            has_target_date: true,
            provenance: None,
        }
    }

    /// An item required from the fiscal year starting in `year`.
    pub fn required(key: &str, number: &str, scope: Scope, year: i32) -> ChecklistItem {
        item(key, number, scope, Requirement::RequiredFrom(fy(year)))
    }

    /// 2(2), asked only of an institution with a vendor contract.
    pub fn vendor_contract_item() -> ChecklistItem {
        ChecklistItem {
            applies_when: Some(Condition::VendorContract),
            ..required("2-2-all", "2(2)", Scope::All, 2023)
        }
    }

    /// An item with its role, as the catalog gives it.
    pub fn item_as(
        role: ItemRole,
        key: &str,
        number: &str,
        scope: Scope,
        requirement: Requirement,
    ) -> ChecklistItem {
        ChecklistItem {
            role: Some(role),
            ..item(key, number, scope, requirement)
        }
    }

    pub fn profile(mis: bool, vendors: bool) -> InstitutionProfile {
        InstitutionProfile {
            kind: InstitutionKind::Hospital,
            has_medical_information_system: mis,
            has_vendor_contracts: vendors,
        }
    }

    #[test]
    fn vendor_items_need_a_vendor_contract() {
        let remote = vendor_contract_item();
        assert_eq!(
            remote.applicability(&profile(true, false), true),
            Applicability::NotApplicable(NotApplicableReason::NoVendorContract)
        );
        assert_eq!(
            remote.applicability(&profile(true, true), true),
            Applicability::Applies
        );
    }

    #[test]
    fn no_medical_information_system_means_nothing_applies() {
        let manager = required("1-1", "1(1)", Scope::None, 2023);
        assert_eq!(
            manager.applicability(&profile(false, true), true),
            Applicability::NotApplicable(NotApplicableReason::NoMedicalInformationSystem)
        );
        // The vendor form has no gate: the question is not asked there.
        assert_eq!(
            manager.applicability(&profile(false, true), false),
            Applicability::Applies
        );
    }

    #[test]
    fn reference_items_become_required_in_their_year() {
        let patch = required("2-7-server", "2(7)", Scope::Server, 2024);
        let p = profile(true, true);
        assert_eq!(
            patch.status(fy(2023), &p, true),
            ItemStatus::Reference {
                required_from: Some(fy(2024))
            }
        );
        assert_eq!(patch.status(fy(2024), &p, true), ItemStatus::Required);
        let never = item("2-99-all", "2(99)", Scope::All, Requirement::ReferenceOnly);
        assert_eq!(
            never.status(fy(2030), &p, true),
            ItemStatus::Reference {
                required_from: None
            }
        );
    }

    #[test]
    fn labels_carry_the_scope() {
        let patch = required("2-7-pc", "2(7)", Scope::Pc, 2024);
        assert_eq!(patch.label_ja(), "2(7) 端末PC");
        assert_eq!(patch.label_en(), "2(7) Terminal PCs");
        let chart = required("3-1", "3(1)", Scope::None, 2023);
        assert_eq!(chart.label_ja(), "3(1)");
    }
}
