//! The pure domain of mamori: fiscal years, prefectures, institutions, the checklist
//! (医療機関におけるサイバーセキュリティ対策チェックリスト), answers and the inspection
//! verdict (立入検査). No I/O, no async, no database: plain functions over plain values.

pub mod access;
pub mod answer;
pub mod assurance;
pub mod checklist;
pub mod contact_chart;
pub mod continuity;
pub mod device;
pub mod device_risk;
pub mod fiscal_year;
pub mod incident;
pub mod inspection;
pub mod institution;
pub mod ledger_evidence;
pub mod login;
pub mod prefecture;
pub mod support;
pub mod text;
pub mod training;
pub mod vendor;
pub mod wareki;

pub use access::{InstitutionScope, Principal, Role};
pub use answer::{Answer, AnswerError, AnswerInput, ItemAnswer, ItemAnswers, Round};
pub use checklist::{
    Applicability, ChecklistItem, ChecklistVersion, Condition, FormKind, Gate, ItemRole,
    ItemStatus, NotApplicableReason, Requirement, Scope, Section,
};
pub use fiscal_year::FiscalYear;
pub use inspection::{
    Finding, FindingCode, InspectionInput, InspectionRules, Progress, Severity, Verdict,
};
pub use institution::{InstitutionKind, InstitutionProfile, MedicalInstitutionCode};
pub use prefecture::Prefecture;

/// A value given by a user or a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message_en}")]
pub struct ParseError {
    pub field: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

impl ParseError {
    pub fn new(
        field: &'static str,
        message_ja: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            field,
            message_ja: message_ja.into(),
            message_en: message_en.into(),
        }
    }
}
