//! Vendors (医療情報システム・サービス事業者, 「事業者」): the systems they provide, their
//! contracts with an institution, and who answers which checklist item.
//!
//! Each contracted vendor fills a 事業者確認用 for the institution. The inspection guide
//! (医療機関におけるサイバーセキュリティ確保に係る立入検査の手引き, 令和5年度版, ②「事業者確認用」
//! チェックリストについて) says:
//!
//! > 「事業者確認用」は、医療機関と契約している事業者ごとに作成するため、複数事業者と契約して
//! > いる場合は、すべてを確認してください。
//! >
//! > チェック項目について、1回目の確認結果（日付と「はい」または「いいえ」）が記入されている
//! > ことを確認してください。
//! >
//! > 契約内容によっては、一部の項目の確認が不要になることもあります。その場合、同項目について
//! > 「医療機関確認用」または別の事業者が作成する「事業者確認用」に記入があれば問題ありません。
//! > (※) 例えば、サーバのみを提供している事業者の場合、ネットワークの状況は必ずしも把握できて
//! > いない等のケースが想定されます。
//!
//! From this, [`coverage`] merges the institution's form and every vendor's form item by item,
//! and [`vendor_verdict`] gives the vendor part of the inspection verdict.
//!
//! Rules derived (each cited above):
//! - A vendor "cannot answer" an item when its contract leaves the item's scope out
//!   ([`VendorContract::answers_for`]); it then leaves the item blank. The item is fine when the
//!   same item has an entry (記入) on the institution's form or another vendor's form.
//! - "Covered" means an entry exists: a first-round answer, はい or いいえ, with its date
//!   (every stored answer has its date). The guide asks for 「記入があれば」, not for はい: a
//!   いいえ with a target date is a proper entry; the いいえ itself is advice, not a gap.
//! - An item inside a vendor's contract scope must be answered by that vendor itself.
//! - One 事業者確認用 per contracted vendor: a contract without a form is a blocking finding.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::field_problem::FieldProblem;
use crate::inspection::{
    self, Finding, FindingCode, InspectionRules, Severity, item_label, year_label,
};
use crate::text::fold::fold;
use crate::wareki::{ItemNumber, parse_item_number};
use crate::{
    Answer, ChecklistItem, ChecklistVersion, FiscalYear, FormKind, InstitutionProfile, ItemAnswers,
    ItemStatus, ParseError, Scope,
};

crate::wire_enum! {
    /// The kind of system a vendor provides (システム種別).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum SystemKind {
        /// 電子カルテ
        Emr,
        /// レセコン（レセプトコンピュータ）
        ReceiptComputer,
        /// PACS（医用画像管理システム）
        Pacs,
        /// 部門システム
        Departmental,
        /// オーダリング
        Ordering,
        /// ネットワーク
        Network,
        /// サーバ基盤
        ServerInfrastructure,
        /// 端末
        Terminals,
        /// クラウドサービス
        CloudService,
        /// その他
        Other,
    }
}

impl SystemKind {
    /// A short English label for tight spaces (the drawing).
    pub fn short_label_en(self) -> &'static str {
        match self {
            Self::Emr => "EMR",
            Self::ReceiptComputer => "Receipt computer",
            Self::Pacs => "PACS",
            Self::Departmental => "Departmental",
            Self::Ordering => "Order entry",
            Self::Network => "Network",
            Self::ServerInfrastructure => "Servers",
            Self::Terminals => "Terminals",
            Self::CloudService => "Cloud",
            Self::Other => "Other",
        }
    }

    /// Other spellings people write in spreadsheets.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Emr => &[
                "emr",
                "ehr",
                "電子カルテ",
                "電子カルテシステム",
                "電カル",
                "electronic medical records",
            ],
            Self::ReceiptComputer => &[
                "receipt_computer",
                "receipt computer",
                "レセコン",
                "レセプトコンピュータ",
                "レセプトコンピューター",
                "医事会計システム",
            ],
            Self::Pacs => &["pacs", "医用画像管理システム", "画像管理システム"],
            Self::Departmental => &["departmental", "departmental system", "部門システム"],
            Self::Ordering => &[
                "ordering",
                "order entry",
                "オーダリング",
                "オーダリングシステム",
            ],
            Self::Network => &["network", "ネットワーク", "ネットワーク機器"],
            Self::ServerInfrastructure => &[
                "server_infrastructure",
                "server infrastructure",
                "サーバ基盤",
                "サーバー基盤",
                "サーバ",
                "サーバー",
            ],
            Self::Terminals => &["terminals", "terminal", "端末", "端末pc", "端末機"],
            Self::CloudService => &[
                "cloud_service",
                "cloud service",
                "cloud",
                "クラウドサービス",
                "クラウド",
            ],
            Self::Other => &["other", "その他"],
        }
    }

    /// Reads a system kind from its code, its Japanese or English label, or a common alias;
    /// full-width letters and surrounding spaces are accepted.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let folded = fold(text).trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|kind| {
                kind.as_str() == folded
                    || kind.label_en().to_lowercase() == folded
                    || kind.label_ja() == folded
                    || kind.aliases().contains(&folded.as_str())
            })
            .ok_or_else(|| {
                let ja: Vec<_> = Self::ALL.iter().map(|k| k.label_ja()).collect();
                let en: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                ParseError::new(
                    "system",
                    mamori_locale::Message::new("domain-parse-system-kind-one")
                        .with("text", crate::arg(text))
                        .with("ja", crate::bilingual(ja.join("、"), en.join(", "))),
                )
            })
    }

    /// The checklist scopes a vendor of this system usually answers for: a suggestion when
    /// the contract's scopes are first filled in, not a rule.
    pub fn usual_scopes(self) -> &'static [Scope] {
        match self {
            // Application vendors usually install both the servers and the terminals.
            Self::Emr
            | Self::ReceiptComputer
            | Self::Pacs
            | Self::Departmental
            | Self::Ordering => &[Scope::Server, Scope::Pc],
            Self::Network => &[Scope::Network],
            Self::ServerInfrastructure | Self::CloudService => &[Scope::Server],
            Self::Terminals => &[Scope::Pc],
            Self::Other => &[],
        }
    }
}

labels!(SystemKind {
    Emr => "domain-labels-system-kind-emr",
    ReceiptComputer => "domain-labels-system-kind-receipt-computer",
    Pacs => "domain-labels-system-kind-pacs",
    Departmental => "domain-labels-system-kind-departmental",
    Ordering => "domain-labels-system-kind-ordering",
    Network => "domain-labels-system-kind-network",
    ServerInfrastructure => "domain-labels-system-kind-server-infrastructure",
    Terminals => "domain-labels-system-kind-terminals",
    CloudService => "domain-labels-system-kind-cloud-service",
    Other => "domain-labels-system-kind-other",
});

/// The id of a vendor contract, as the store numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContractId(pub i64);

impl fmt::Display for ContractId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A contract between the institution and a vendor (事業者との契約).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContract {
    pub id: ContractId,
    /// 事業者名
    pub vendor_name: String,
    pub systems: Vec<SystemKind>,
    /// Whether the vendor maintains devices remotely (リモートメンテナンス（保守）), the subject
    /// of item 2(2).
    pub remote_maintenance: bool,
    /// The device scopes (サーバ / 端末PC / ネットワーク機器) this vendor answers for on its
    /// 事業者確認用, by contract. [`Scope::All`] means every device scope.
    pub scopes: Vec<Scope>,
    /// Contract period; `None` means open-ended.
    pub start_on: Option<NaiveDate>,
    pub end_on: Option<NaiveDate>,
}

impl VendorContract {
    /// Whether this vendor answers items of `scope` on its form.
    ///
    /// Section 1 (no scope: the vendor's own 管理責任者) and 医療情報システム全般 items
    /// (2(2) remote maintenance, 2(3) MDS/SDS, and from 令和7年度 the patch and password
    /// items) concern every vendor for what it provides. Device-scoped items concern a
    /// vendor only when its contract covers that scope: the guide's example is a server-only
    /// vendor, which need not answer for the network.
    pub fn answers_for(&self, scope: Scope) -> bool {
        match scope {
            Scope::None | Scope::All => true,
            Scope::Server | Scope::Pc | Scope::Network => {
                self.scopes.iter().any(|s| *s == scope || *s == Scope::All)
            }
        }
    }

    /// Whether the contract runs on `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.start_on.is_none_or(|s| s <= date) && self.end_on.is_none_or(|e| date <= e)
    }

    /// Whether the contract runs on any day of the fiscal year.
    pub fn is_active_in(&self, fiscal_year: FiscalYear) -> bool {
        self.start_on.is_none_or(|s| s <= fiscal_year.last_day())
            && self.end_on.is_none_or(|e| fiscal_year.first_day() <= e)
    }

    /// Every problem with the contract's fields, with their paths (e.g. `scopes[1]`).
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        let name = self.vendor_name.trim();
        if name.is_empty() {
            problems.push(FieldProblem::new(
                "vendor_name",
                "required",
                mamori_locale::Message::new("domain-records-field-vendor-s-name-required"),
            ));
        } else if name.chars().count() > 200 {
            problems.push(FieldProblem::new(
                "vendor_name",
                "too_long",
                mamori_locale::Message::new("domain-records-field-vendor-s-name-most"),
            ));
        }
        if self.id.0 <= 0 {
            problems.push(FieldProblem::new(
                "id",
                "invalid",
                mamori_locale::Message::new("domain-records-field-contract-id-positive-integer")
                    .with("id", crate::arg(self.id)),
            ));
        }
        for (i, scope) in self.scopes.iter().enumerate() {
            if *scope == Scope::None {
                problems.push(FieldProblem::new(
                    format!("scopes[{i}]"),
                    "invalid_scope",
                    mamori_locale::Message::new("domain-records-field-scope-one-all-server"),
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.start_on, self.end_on)
            && end < start
        {
            problems.push(FieldProblem::new(
                "end_on",
                "end_before_start",
                mamori_locale::Message::new("domain-records-field-contract-ends-before-starts")
                    .with("end", crate::arg(end))
                    .with("start", crate::arg(start)),
            ));
        }
        problems
    }
}

/// Who covers an item: the institution's own form, or the 事業者確認用 of one contract.
/// In JSON: `"institution"` or the contract's id (a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Coverer {
    Institution,
    Contract(ContractId),
}

impl Serialize for Coverer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Institution => serializer.serialize_str("institution"),
            Self::Contract(id) => serializer.serialize_i64(id.0),
        }
    }
}

impl<'de> Deserialize<'de> for Coverer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Coverer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"institution\" or a contract id")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Coverer, E> {
                if v == "institution" {
                    Ok(Coverer::Institution)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Coverer, E> {
                Ok(Coverer::Contract(ContractId(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Coverer, E> {
                i64::try_from(v)
                    .map(|v| Coverer::Contract(ContractId(v)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// How an item of the 事業者確認用 relates to the 医療機関確認用 of the same version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Correspondence {
    /// The same control on the same scope, seen from the vendor's side: it covers the
    /// institution's item of this key.
    SameAs { institution_key: String },
    /// About the vendor itself; only that vendor can answer it.
    VendorOwn,
}

/// One vendor-form item and its counterpart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLink {
    pub vendor_key: String,
    pub number: String,
    pub scope: Scope,
    pub correspondence: Correspondence,
}

/// Sections of the 事業者確認用 that are about the vendor's own organisation. On the
/// 令和5年度 sheets 1(1) reads 「事業者内に、医療情報システム等の提供に係る管理責任者を設置
/// している。」 on the vendor form and 「医療情報システム安全管理責任者を設置している。」 on the
/// institution's: the same number, a different subject. The 令和7年度 manual marks 1① as
/// 【医療機関等確認用・事業者確認用】, each answering for itself.
const VENDOR_OWN_SECTIONS: [u8; 1] = [1];

/// The correspondence between the two forms of one version. Section 2 controls are matched
/// by (section, number, scope): the 事業者確認用 asks the same control of the same scope from
/// the vendor's side (令和5年度: vendor 2(2) 「リモートメンテナンス（保守）している機器の有無を確認
/// した」 ↔ institution 2(2) 「…を利用している機器の有無を事業者等に確認した」; vendor 2(3)
/// 「医療機関に…MDS/SDSを提出した」 ↔ institution 2(3) 「事業者から…MDS/SDSを提出してもらう」;
/// 2(4)–2(9) the same words). A vendor item with no counterpart is [`Correspondence::VendorOwn`].
/// Numbers are compared as numbers (`2(12)` = `2⑫`), so a future form with renumbered items
/// maps wherever the catalog gives both forms the same number.
pub fn correspondence(
    institution: &ChecklistVersion,
    vendor: &ChecklistVersion,
) -> Result<Vec<ItemLink>, CoverageError> {
    check_versions(institution, vendor)?;
    let institution_index: HashMap<(ItemNumber, Scope), &ChecklistItem> = institution
        .items
        .iter()
        .filter_map(|i| item_number(i).map(|n| ((n, i.scope), i)))
        .collect();
    Ok(vendor
        .items
        .iter()
        .map(|item| {
            let counterpart = item_number(item)
                .filter(|n| !VENDOR_OWN_SECTIONS.contains(&n.section))
                .and_then(|n| institution_index.get(&(n, item.scope)));
            ItemLink {
                vendor_key: item.key.clone(),
                number: item.number.clone(),
                scope: item.scope,
                correspondence: match counterpart {
                    Some(i) => Correspondence::SameAs {
                        institution_key: i.key.clone(),
                    },
                    None => Correspondence::VendorOwn,
                },
            }
        })
        .collect())
}

fn item_number(item: &ChecklistItem) -> Option<ItemNumber> {
    parse_item_number(&item.number).ok().or_else(|| {
        // Fall back on the key (`2-7-server`) when the printed number is unusual.
        let mut parts = item.key.split('-');
        let section = parts.next()?.parse().ok()?;
        let number = parts.next()?.parse().ok()?;
        Some(ItemNumber { section, number })
    })
}

fn check_versions(
    institution: &ChecklistVersion,
    vendor: &ChecklistVersion,
) -> Result<(), CoverageError> {
    if institution.form == FormKind::Vendor {
        return Err(CoverageError::InstitutionFormIsVendorForm(
            institution.id.clone(),
        ));
    }
    if vendor.form != FormKind::Vendor {
        return Err(CoverageError::NotAVendorForm(vendor.id.clone()));
    }
    // Item numbers mean different controls in different versions (2(7) is the server patch
    // in 令和6年度版 and the password rule in 令和7年度版): never mix them.
    if institution.version != vendor.version {
        return Err(CoverageError::VersionMismatch {
            institution: institution.id.clone(),
            vendor: vendor.id.clone(),
        });
    }
    Ok(())
}

/// Why coverage cannot be computed from the given forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageError {
    #[error("{}", self.message().render(crate::Lang::En))]
    InstitutionFormIsVendorForm(String),
    #[error("{}", self.message().render(crate::Lang::En))]
    NotAVendorForm(String),
    #[error(
        "the vendor form '{vendor}' is not of the same version as the institution's form '{institution}'"
    )]
    VersionMismatch { institution: String, vendor: String },
    #[error("contract {0} is listed twice")]
    DuplicateContract(ContractId),
    #[error("answers were given for contract {0}, which is not among the institution's contracts")]
    UnknownContract(ContractId),
}

impl CoverageError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InstitutionFormIsVendorForm(_) => "institution_form_is_vendor_form",
            Self::NotAVendorForm(_) => "not_a_vendor_form",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::DuplicateContract(_) => "duplicate_contract",
            Self::UnknownContract(_) => "unknown_contract",
        }
    }

    pub fn message(&self) -> Message {
        match self {
            Self::InstitutionFormIsVendorForm(id) => {
                Message::new("domain-vendor-institution-form-is-vendor-form").with("id", id)
            }
            Self::NotAVendorForm(id) => {
                Message::new("domain-vendor-not-a-vendor-form").with("id", id)
            }
            Self::VersionMismatch {
                institution,
                vendor,
            } => Message::new("domain-vendor-version-mismatch")
                .with("vendor", vendor)
                .with("institution", institution),
            Self::DuplicateContract(id) => {
                Message::new("domain-vendor-duplicate-contract").with("id", id.to_string())
            }
            Self::UnknownContract(id) => {
                Message::new("domain-vendor-unknown-contract").with("id", id.to_string())
            }
        }
    }
}

/// Everything coverage is computed from, for one institution and one fiscal year.
#[derive(Debug, Clone, Copy)]
pub struct CoverageInput<'a> {
    pub fiscal_year: FiscalYear,
    pub profile: InstitutionProfile,
    /// The institution's form (医療機関確認用 or 薬局確認用) in force this year.
    pub institution_version: &'a ChecklistVersion,
    pub institution_answers: &'a HashMap<String, ItemAnswers>,
    /// The 事業者確認用 of the same version.
    pub vendor_version: &'a ChecklistVersion,
    /// All the institution's contracts; those not running in the fiscal year are left out.
    pub contracts: &'a [VendorContract],
    /// Each contract's 事業者確認用 answers, by item key. A contract without an entry has no
    /// form yet.
    pub vendor_answers: &'a HashMap<ContractId, HashMap<String, ItemAnswers>>,
}

/// Whether an item is covered across the forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageState {
    /// Answered, and by every form expected to answer it.
    Covered,
    /// Answered somewhere, but a form expected to answer it has not (see `missing`).
    Partly,
    /// Nobody has answered it.
    Uncovered,
}

/// One form's latest answer to an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CovererAnswer {
    pub by: Coverer,
    pub answer: Answer,
    pub checked_on: NaiveDate,
    pub target_date: Option<NaiveDate>,
}

/// Who covers one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCoverage {
    /// The key on the form named by `form`: the institution's key, or for a vendor's own
    /// item (1(1)) the vendor form's key.
    pub item_key: String,
    /// As printed, e.g. `2(4)`.
    pub number: String,
    pub scope: Scope,
    /// `institution` / `pharmacy` for items of the institution's form (answered there or on
    /// a vendor form), `vendor` for items only vendors answer about themselves.
    pub form: FormKind,
    /// Whether some form must answer it this year (not a 参考項目 everywhere).
    pub required: bool,
    /// Forms with a first-round entry (はい or いいえ, with its date).
    pub covered_by: Vec<Coverer>,
    /// Forms expected to answer and still blank: the institution's own form for its required
    /// items, a contract whose scope includes the item.
    pub missing: Vec<Coverer>,
    /// Contracts whose scope leaves this item out (「契約内容によっては…確認が不要」).
    pub not_responsible: Vec<ContractId>,
    /// The latest answer of each form in `covered_by`.
    pub answers: Vec<CovererAnswer>,
    pub state: CoverageState,
}

/// Who covers what, item by item, for one institution and fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub fiscal_year: FiscalYear,
    pub institution_version: String,
    pub vendor_version: String,
    /// The contracts running in the fiscal year, in the order given.
    pub contracts: Vec<ContractId>,
    pub items: Vec<ItemCoverage>,
}

impl Coverage {
    pub fn item(&self, form: FormKind, key: &str) -> Option<&ItemCoverage> {
        self.items
            .iter()
            .find(|i| i.form == form && i.item_key == key)
    }

    /// Required items nobody answered.
    pub fn uncovered(&self) -> impl Iterator<Item = &ItemCoverage> {
        self.items
            .iter()
            .filter(|i| i.required && i.state == CoverageState::Uncovered)
    }
}

struct Row {
    cov: ItemCoverage,
    section: u8,
}

fn first_entry(answers: Option<&ItemAnswers>, by: Coverer) -> Option<CovererAnswer> {
    let answers = answers?;
    answers.first.as_ref()?;
    let latest = answers.latest()?;
    Some(CovererAnswer {
        by,
        answer: latest.answer,
        checked_on: latest.checked_on,
        target_date: answers.first.as_ref().and_then(|f| f.target_date),
    })
}

fn active_contracts<'a>(
    input: &CoverageInput<'a>,
) -> Result<Vec<&'a VendorContract>, CoverageError> {
    let mut seen = std::collections::HashSet::new();
    for c in input.contracts {
        if !seen.insert(c.id) {
            return Err(CoverageError::DuplicateContract(c.id));
        }
    }
    if let Some(unknown) = input
        .vendor_answers
        .keys()
        .filter(|id| !seen.contains(id))
        .min()
    {
        return Err(CoverageError::UnknownContract(*unknown));
    }
    Ok(input
        .contracts
        .iter()
        .filter(|c| c.is_active_in(input.fiscal_year))
        .collect())
}

/// The profile the forms are judged with: registered contracts running this year are a
/// fact, whatever the profile's flag says (the verdict reports the mismatch).
fn effective_profile(input: &CoverageInput<'_>, active: &[&VendorContract]) -> InstitutionProfile {
    InstitutionProfile {
        has_vendor_contracts: input.profile.has_vendor_contracts || !active.is_empty(),
        ..input.profile
    }
}

/// Merges the institution's form and every contracted vendor's form, item by item.
///
/// Rows: every item of the institution's form that applies this year (in the form's order),
/// then each vendor-own item (vendor 1(1)) after its section. Nothing applies when the
/// institution has no medical information system (the guide: 「それ以下すべての項目は確認
/// 不要」), so the coverage is then empty.
pub fn coverage(input: &CoverageInput<'_>) -> Result<Coverage, CoverageError> {
    let links = correspondence(input.institution_version, input.vendor_version)?;
    let active = active_contracts(input)?;
    let profile = effective_profile(input, &active);
    let fy = input.fiscal_year;
    let mut rows: Vec<Row> = Vec::new();
    let no_system =
        input.institution_version.gate.is_some() && !profile.has_medical_information_system;
    if !no_system {
        for item in &input.institution_version.items {
            let status = input.institution_version.status_of(item, fy, &profile);
            let required = match status {
                ItemStatus::NotApplicable(_) => continue,
                ItemStatus::Required => true,
                ItemStatus::Reference { .. } => false,
            };
            let mut cov = ItemCoverage {
                item_key: item.key.clone(),
                number: item.number.clone(),
                scope: item.scope,
                form: input.institution_version.form,
                required,
                covered_by: Vec::new(),
                missing: Vec::new(),
                not_responsible: Vec::new(),
                answers: Vec::new(),
                state: CoverageState::Uncovered,
            };
            match first_entry(
                input.institution_answers.get(&item.key),
                Coverer::Institution,
            ) {
                Some(a) => {
                    cov.covered_by.push(Coverer::Institution);
                    cov.answers.push(a);
                }
                None if required => cov.missing.push(Coverer::Institution),
                None => {}
            }
            rows.push(Row {
                cov,
                section: item.section,
            });
        }
        for contract in &active {
            let answers = input.vendor_answers.get(&contract.id);
            for (item, link) in input.vendor_version.items.iter().zip(&links) {
                let required = item.is_required_in(fy);
                let index = match &link.correspondence {
                    Correspondence::SameAs { institution_key } => rows.iter().position(|r| {
                        r.cov.form != FormKind::Vendor && &r.cov.item_key == institution_key
                    }),
                    Correspondence::VendorOwn => rows
                        .iter()
                        .position(|r| r.cov.form == FormKind::Vendor && r.cov.item_key == item.key),
                };
                let index = match index {
                    Some(i) => i,
                    None => {
                        let at = rows
                            .iter()
                            .rposition(|r| r.section <= item.section)
                            .map_or(0, |i| i + 1);
                        let (key, form) = match &link.correspondence {
                            Correspondence::SameAs { institution_key } => {
                                (institution_key.clone(), input.institution_version.form)
                            }
                            Correspondence::VendorOwn => (item.key.clone(), FormKind::Vendor),
                        };
                        rows.insert(
                            at,
                            Row {
                                cov: ItemCoverage {
                                    item_key: key,
                                    number: item.number.clone(),
                                    scope: item.scope,
                                    form,
                                    required: false,
                                    covered_by: Vec::new(),
                                    missing: Vec::new(),
                                    not_responsible: Vec::new(),
                                    answers: Vec::new(),
                                    state: CoverageState::Uncovered,
                                },
                                section: item.section,
                            },
                        );
                        at
                    }
                };
                let row = &mut rows[index].cov;
                let by = Coverer::Contract(contract.id);
                let responsible = contract.answers_for(item.scope);
                if responsible && required {
                    row.required = true;
                }
                match first_entry(answers.and_then(|a| a.get(&item.key)), by) {
                    Some(a) => {
                        row.covered_by.push(by);
                        row.answers.push(a);
                    }
                    None if responsible && required => row.missing.push(by),
                    None => {}
                }
                if !responsible {
                    row.not_responsible.push(contract.id);
                }
            }
        }
    }
    let items = rows
        .into_iter()
        .map(|mut r| {
            r.cov.state = if r.cov.covered_by.is_empty() {
                CoverageState::Uncovered
            } else if r.cov.missing.is_empty() {
                CoverageState::Covered
            } else {
                CoverageState::Partly
            };
            r.cov
        })
        .collect();
    Ok(Coverage {
        fiscal_year: fy,
        institution_version: input.institution_version.id.clone(),
        vendor_version: input.vendor_version.id.clone(),
        contracts: active.iter().map(|c| c.id).collect(),
        items,
    })
}

crate::wire_enum! {
    /// What a vendor finding is about.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum VendorFindingCode {
        /// The institution says it has vendor contracts, but none is registered for the year.
        ContractsNotRegistered,
        /// Contracts are registered, but the institution's profile says it has none.
        ContractsNotDeclared,
        /// A contracted vendor's 事業者確認用 is missing.
        VendorFormMissing,
        /// An item inside the vendor's scope has no first answer.
        FirstAnswerMissing,
        TargetDateMissing,
        AnsweredNo,
        TargetDateOutsideFiscalYear,
        SecondCheckDue,
        /// Outside the vendor's scope and answered on another form: no problem.
        CoveredElsewhere,
        /// Outside every answering vendor's scope and blank on every form.
        ItemNotCovered,
    }
}

impl VendorFindingCode {
    /// The institution verdict's code for the same finding, where one exists.
    pub fn finding_code(self) -> Option<FindingCode> {
        match self {
            Self::FirstAnswerMissing => Some(FindingCode::FirstAnswerMissing),
            Self::TargetDateMissing => Some(FindingCode::TargetDateMissing),
            Self::AnsweredNo => Some(FindingCode::AnsweredNo),
            Self::TargetDateOutsideFiscalYear => Some(FindingCode::TargetDateOutsideFiscalYear),
            Self::SecondCheckDue => Some(FindingCode::SecondCheckDue),
            Self::ContractsNotRegistered => Some(FindingCode::VendorContractsNotRegistered),
            Self::ContractsNotDeclared => Some(FindingCode::VendorContractsNotDeclared),
            Self::VendorFormMissing => Some(FindingCode::VendorFormMissing),
            Self::ItemNotCovered => Some(FindingCode::ItemNotCovered),
            // Not a problem: nothing to report in the institution's verdict.
            Self::CoveredElsewhere => None,
        }
    }
}

/// A finding about the vendors' forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorFinding {
    /// The contract the finding is about; `None` for findings across forms.
    pub contract_id: Option<ContractId>,
    pub vendor_name: Option<String>,
    pub item_key: Option<String>,
    pub item_number: Option<String>,
    pub code: VendorFindingCode,
    pub severity: Severity,
    pub message: Message,
}

/// Sent as JSON with the message in both languages, as the API has always sent it.
impl Serialize for VendorFinding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use mamori_locale::Lang;
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("VendorFinding", 8)?;
        s.serialize_field("contract_id", &self.contract_id)?;
        s.serialize_field("vendor_name", &self.vendor_name)?;
        s.serialize_field("item_key", &self.item_key)?;
        s.serialize_field("item_number", &self.item_number)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("severity", &self.severity)?;
        s.serialize_field("message_ja", &self.message.render(Lang::Ja))?;
        s.serialize_field("message_en", &self.message.render(Lang::En))?;
        s.end()
    }
}

impl VendorFinding {
    /// The same finding in the institution verdict's type, where its code exists there; the
    /// messages already name the vendor.
    pub fn to_finding(&self) -> Option<Finding> {
        Some(Finding {
            item_key: self.item_key.clone(),
            item_number: self.item_number.clone(),
            code: self.code.finding_code()?,
            severity: self.severity,
            message: self.message.clone(),
        })
    }
}

/// The vendor part of the inspection verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorVerdict {
    /// No blocking finding.
    pub ready: bool,
    /// Blocking first, then advice, then information.
    pub findings: Vec<VendorFinding>,
    pub coverage: Coverage,
}

fn vendor_finding(
    contract: Option<&VendorContract>,
    item: Option<&ChecklistItem>,
    code: VendorFindingCode,
    severity: Severity,
    message: Message,
) -> VendorFinding {
    VendorFinding {
        contract_id: contract.map(|c| c.id),
        vendor_name: contract.map(|c| c.vendor_name.clone()),
        item_key: item.map(|i| i.key.clone()),
        item_number: item.map(|i| i.number.clone()),
        code,
        severity,
        message,
    }
}

/// Re-labels an institution-verdict finding as one on a vendor's form.
fn on_vendor_form(contract: &VendorContract, f: Finding, code: VendorFindingCode) -> VendorFinding {
    VendorFinding {
        contract_id: Some(contract.id),
        vendor_name: Some(contract.vendor_name.clone()),
        item_key: f.item_key,
        item_number: f.item_number,
        code,
        severity: f.severity,
        message: Message::new("domain-vendor-form-of")
            .with("vendor", &contract.vendor_name)
            .with("finding", f.message),
    }
}

fn both_names(coverers: &[Coverer], contracts: &[&VendorContract]) -> Message {
    crate::bilingual(
        names(coverers, contracts, true),
        names(coverers, contracts, false),
    )
}

fn names(coverers: &[Coverer], contracts: &[&VendorContract], ja: bool) -> String {
    coverers
        .iter()
        .map(|c| match c {
            Coverer::Institution if ja => FormKind::Institution.label_ja().to_owned(),
            Coverer::Institution => "the institution's form".to_owned(),
            Coverer::Contract(id) => contracts
                .iter()
                .find(|k| k.id == *id)
                .map_or_else(|| id.to_string(), |k| k.vendor_name.clone()),
        })
        .collect::<Vec<_>>()
        .join(if ja { "、" } else { ", " })
}

/// The vendor part of the inspection verdict (②「事業者確認用」チェックリストについて):
/// one 事業者確認用 per contracted vendor; every item inside the vendor's contract scope has a
/// first answer and its date; every いいえ a target date; an item outside a vendor's scope is
/// fine when another form has an entry for it, and blocking when no form does.
pub fn vendor_verdict(
    input: &CoverageInput<'_>,
    rules: &InspectionRules,
    today: NaiveDate,
) -> Result<VendorVerdict, CoverageError> {
    let coverage = coverage(input)?;
    let links = correspondence(input.institution_version, input.vendor_version)?;
    let active = active_contracts(input)?;
    let mut findings = Vec::new();
    let fy = input.fiscal_year;
    let no_system =
        input.institution_version.gate.is_some() && !input.profile.has_medical_information_system;
    if !rules.vendor_forms_checked || no_system {
        return Ok(VendorVerdict {
            ready: true,
            findings,
            coverage,
        });
    }
    if input.profile.has_vendor_contracts && active.is_empty() {
        findings.push(vendor_finding(
            None,
            None,
            VendorFindingCode::ContractsNotRegistered,
            Severity::Blocking,
            Message::new("domain-vendor-contracts-not-registered").with("year", year_label(fy)),
        ));
    }
    if !input.profile.has_vendor_contracts && !active.is_empty() {
        findings.push(vendor_finding(
            None,
            None,
            VendorFindingCode::ContractsNotDeclared,
            Severity::Advice,
            Message::new("domain-vendor-contracts-not-declared").with("count", active.len()),
        ));
    }
    let empty = ItemAnswers::default();
    let mut reported_uncovered: Vec<String> = Vec::new();
    for contract in &active {
        let Some(answers) = input.vendor_answers.get(&contract.id) else {
            findings.push(vendor_finding(
                Some(contract),
                None,
                VendorFindingCode::VendorFormMissing,
                Severity::Blocking,
                Message::new("domain-vendor-form-missing").with("vendor", &contract.vendor_name),
            ));
            continue;
        };
        for item in &input.vendor_version.items {
            let inspected = if item.is_required_in(fy) {
                true
            } else {
                rules.inspect_reference_items
            };
            if !inspected {
                continue;
            }
            let a = answers.get(&item.key).unwrap_or(&empty);
            if a.first.is_none() {
                if contract.answers_for(item.scope) {
                    if let Some(f) = inspection::rule_first_answer(item, a) {
                        findings.push(on_vendor_form(
                            contract,
                            f,
                            VendorFindingCode::FirstAnswerMissing,
                        ));
                    }
                    continue;
                }
                let row = coverage_row(&coverage, input.institution_version.form, item, &links);
                match row {
                    Some(row) if !row.covered_by.is_empty() => findings.push(vendor_finding(
                        Some(contract),
                        Some(item),
                        VendorFindingCode::CoveredElsewhere,
                        Severity::Info,
                        Message::new("domain-vendor-covered-elsewhere")
                            .with("vendor", &contract.vendor_name)
                            .with("item", item_label(item))
                            .with("names", both_names(&row.covered_by, &active)),
                    )),
                    _ => {
                        if !reported_uncovered.contains(&item.key) {
                            reported_uncovered.push(item.key.clone());
                            findings.push(uncovered_finding(item, input, &active));
                        }
                    }
                }
                continue;
            }
            if rules.target_date_for_no
                && let Some(f) = inspection::rule_target_date_for_no(item, a)
            {
                findings.push(on_vendor_form(
                    contract,
                    f,
                    VendorFindingCode::TargetDateMissing,
                ));
            }
            if a.latest().is_some_and(|l| l.answer == Answer::No) && item.has_target_date {
                findings.push(vendor_finding(
                    Some(contract),
                    Some(item),
                    VendorFindingCode::AnsweredNo,
                    Severity::Advice,
                    Message::new("domain-vendor-answered-no")
                        .with("vendor", &contract.vendor_name)
                        .with("item", item_label(item))
                        .with("year", year_label(fy)),
                ));
            }
            if rules.target_date_within_fiscal_year
                && let Some(f) = inspection::rule_target_within_year(item, a, fy)
            {
                findings.push(on_vendor_form(
                    contract,
                    f,
                    VendorFindingCode::TargetDateOutsideFiscalYear,
                ));
            }
            if let Some(f) = inspection::rule_second_check_due(item, a, today) {
                findings.push(on_vendor_form(
                    contract,
                    f,
                    VendorFindingCode::SecondCheckDue,
                ));
            }
        }
    }
    findings.sort_by_key(|f| f.severity);
    let ready = !findings.iter().any(|f| f.severity == Severity::Blocking);
    Ok(VendorVerdict {
        ready,
        findings,
        coverage,
    })
}

fn coverage_row<'c>(
    coverage: &'c Coverage,
    institution_form: FormKind,
    item: &ChecklistItem,
    links: &[ItemLink],
) -> Option<&'c ItemCoverage> {
    let link = links.iter().find(|l| l.vendor_key == item.key)?;
    match &link.correspondence {
        Correspondence::SameAs { institution_key } => {
            coverage.item(institution_form, institution_key)
        }
        Correspondence::VendorOwn => coverage.item(FormKind::Vendor, &item.key),
    }
}

fn uncovered_finding(
    item: &ChecklistItem,
    input: &CoverageInput<'_>,
    active: &[&VendorContract],
) -> VendorFinding {
    let blank: Vec<Coverer> = active
        .iter()
        .filter(|c| input.vendor_answers.contains_key(&c.id))
        .map(|c| Coverer::Contract(c.id))
        .collect();
    vendor_finding(
        None,
        Some(item),
        VendorFindingCode::ItemNotCovered,
        Severity::Blocking,
        Message::new("domain-vendor-item-not-covered")
            .with("item", item_label(item))
            .with("names", both_names(&blank, active)),
    )
}

crate::wire_enum! {
    /// An MDS/SDS delivery: which 医療情報セキュリティ開示書 a vendor handed over.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum DeliveryKind {
        /// 製造業者による医療情報セキュリティ開示書
        Mds,
        /// サービス事業者による医療情報セキュリティ開示書
        Sds,
    }
    parse(trim_lowercase) -> Option;
}

impl DeliveryKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Mds => "MDS",
            Self::Sds => "SDS",
        }
    }

    /// The label of a stored kind; "MDS/SDS" for one that is neither.
    pub fn label_of(stored: &str) -> &'static str {
        Self::parse(stored).map_or("MDS/SDS", Self::label)
    }
}

#[cfg(test)]
mod tests;
