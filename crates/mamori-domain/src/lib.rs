//! The pure domain of mamori: fiscal years, prefectures, institutions, the checklist
//! (医療機関におけるサイバーセキュリティ対策チェックリスト), answers and the inspection
//! verdict (立入検査). No I/O, no async, no database: plain functions over plain values.

/// The name users read for each value of an enum, as a Fluent message: `label()` for new
/// code, and `label_ja()` / `label_en()` (the plain message, resolved once) for the templates
/// and reports that show one language. The second form names the three methods (short labels).
#[macro_export]
macro_rules! labels {
    ($ty:ty { $($variant:ident => $key:literal),+ $(,)? }) => {
        $crate::labels!($ty: label, label_ja, label_en { $($variant => $key),+ });
    };
    ($ty:ty: $label:ident, $ja:ident, $en:ident { $($variant:ident => $key:literal),+ $(,)? }) => {
        impl $ty {
            /// The name users read, in either language.
            pub fn $label(self) -> $crate::Message {
                $crate::Message::new(match self {
                    $(Self::$variant => $key),+
                })
            }

            pub fn $ja(self) -> &'static str {
                $crate::Lang::Ja.text(self.$label().key)
            }

            pub fn $en(self) -> &'static str {
                $crate::Lang::En.text(self.$label().key)
            }
        }
    };
}

pub mod access;
pub mod answer;
pub mod assurance;
pub mod checklist;
pub mod contact_chart;
pub mod continuity;
pub mod device;
pub mod device_risk;
pub mod evidence;
pub mod field_problem;
pub mod fiscal_year;
pub mod follow_up;
pub mod incident;
pub mod inspection;
pub mod institution;
pub mod ledger_evidence;
pub mod login;
pub mod notification;
pub mod oversight;
pub mod prefecture;
pub mod support;
pub mod text;
pub mod training;
pub mod vendor;
pub mod wareki;
pub mod wire;

#[cfg(test)]
mod testing;

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
pub use mamori_locale::{Lang, Message};
pub use prefecture::Prefecture;

/// Text that arrives in both languages as data (an item's label, a fiscal year's label),
/// as an argument of a message: each language takes its own.
pub fn bilingual(ja: impl Into<String>, en: impl Into<String>) -> mamori_locale::Message {
    mamori_locale::Message::new("domain-text")
        .with("ja", ja.into())
        .with("en", en.into())
}

/// A message rendered in both languages, for records that carry the two texts side by side.
pub fn both(message: &mamori_locale::Message) -> (String, String) {
    (
        message.render(mamori_locale::Lang::Ja),
        message.render(mamori_locale::Lang::En),
    )
}

/// A value put into a message as it is written (ids, codes, dates, the user's own text).
pub fn arg(value: impl std::fmt::Display) -> mamori_locale::Arg {
    mamori_locale::Arg::Text(value.to_string())
}

/// Messages one after another, each language with its own separator (`key` names it, e.g.
/// `domain-join-slash`).
pub fn joined(
    messages: impl IntoIterator<Item = mamori_locale::Message>,
    key: &'static str,
) -> mamori_locale::Message {
    let mut messages = messages.into_iter();
    let Some(first) = messages.next() else {
        return mamori_locale::Message::new("domain-empty");
    };
    messages.fold(first, |head, tail| {
        mamori_locale::Message::new(key)
            .with("head", head)
            .with("tail", tail)
    })
}

/// A value given by a user or a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .message.render(mamori_locale::Lang::En))]
pub struct ParseError {
    pub field: &'static str,
    pub message: mamori_locale::Message,
}

impl ParseError {
    pub fn new(field: &'static str, message: mamori_locale::Message) -> Self {
        Self { field, message }
    }
}
