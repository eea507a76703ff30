//! Oversight of the programme by the prefectures and the national office: where each
//! institution stands with a fiscal year's checklist, the kinds they count apart, the target
//! dates (対応目標日) left open, and the 全国地方公共団体コード an institution is found by.
//!
//! A fiscal year's state is exclusive, and a pure function of the answers, the institution's
//! profile, the year's form and inspection rules, and what the inspector recorded on site —
//! never of today's date (the only rule that reads the date, the second check falling due, is
//! advice and does not move the verdict). So the state can be kept with the answers, written
//! in the same transaction, and stay true until one of those inputs changes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::inspection::{InspectionInput, progress, verdict};
use crate::{Answer, InstitutionKind, ItemStatus, Message, ParseError, Prefecture};

crate::wire_enum! {
    /// Where an institution stands with a fiscal year's checklist; exactly one at a time.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum YearState {
        /// 未着手: nothing answered.
        NotStarted,
        /// 入力中: something answered, not yet every item that applies in the first round.
        InProgress,
        /// 入力完了: every item that applies answered in the first round (1回目), the
        /// inspection verdict not ready.
        Completed,
        /// 検査準備完了: the inspection verdict is ready.
        Ready,
    }
    parse(exact) -> Err("state", "domain-parse-year-state", text);
}

crate::labels!(YearState {
    NotStarted => "domain-labels-year-state-not-started",
    InProgress => "domain-labels-year-state-in-progress",
    Completed => "domain-labels-year-state-completed",
    Ready => "domain-labels-year-state-ready",
});

crate::wire_enum! {
    /// The kinds oversight counts apart. 歯科診療所 fill in the same 医療機関確認用 form as
    /// other clinics, so they are not a kind of their own for the checklist; they are told
    /// apart by the 医療機関コード, whose third digit (点数表番号) is 1 for 医科, 3 for 歯科 and
    /// 4 for 調剤.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OversightKind {
        /// 病院
        Hospital,
        /// 有床診療所 (医科)
        ClinicWithBeds,
        /// 無床診療所 (医科)
        ClinicWithoutBeds,
        /// 歯科診療所, with or without beds
        DentalClinic,
        /// 薬局
        Pharmacy,
    }
    parse(exact) -> Err("kind", "domain-parse-oversight-kind", text);
}

crate::labels!(OversightKind {
    Hospital => "domain-labels-institution-kind-hospital",
    ClinicWithBeds => "domain-labels-institution-kind-clinic-with-beds",
    ClinicWithoutBeds => "domain-labels-institution-kind-clinic-without-beds",
    DentalClinic => "domain-labels-oversight-kind-dental-clinic",
    Pharmacy => "domain-labels-institution-kind-pharmacy",
});

/// The 点数表番号 of a dental institution's 医療機関コード.
const DENTAL_POINT_TABLE: u8 = b'3';

impl OversightKind {
    /// The kind oversight counts an institution as: a clinic whose 医療機関コード has 3 as its
    /// point-table digit is a dental clinic; a hospital stays a hospital (歯科大学病院 are
    /// hospitals).
    pub fn of(kind: InstitutionKind, medical_institution_code: Option<&str>) -> Self {
        let dental = medical_institution_code
            .and_then(|code| code.as_bytes().get(2))
            .is_some_and(|&digit| digit == DENTAL_POINT_TABLE);
        match kind {
            InstitutionKind::Hospital => Self::Hospital,
            InstitutionKind::Pharmacy => Self::Pharmacy,
            InstitutionKind::ClinicWithBeds | InstitutionKind::ClinicWithoutBeds if dental => {
                Self::DentalClinic
            }
            InstitutionKind::ClinicWithBeds => Self::ClinicWithBeds,
            InstitutionKind::ClinicWithoutBeds => Self::ClinicWithoutBeds,
        }
    }
}

/// A fiscal year as oversight keeps it for one institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearStatus {
    pub state: YearState,
    /// Items whose latest answer is いいえ with a target date, and that date: overdue once
    /// the date has passed, until a later answer says はい.
    pub open_targets: Vec<(String, NaiveDate)>,
}

/// The status of one institution's fiscal year, from what its verdict is computed from.
/// The verdict's `today` does not move readiness (see the module's documentation).
pub fn year_status(input: &InspectionInput<'_>) -> YearStatus {
    let progress = progress(
        input.version,
        input.fiscal_year,
        &input.profile,
        input.answers,
    );
    let ready = verdict(input).ready;
    let anything_answered = input
        .answers
        .values()
        .any(|a| a.first.is_some() || a.second.is_some());
    let state = if ready {
        YearState::Ready
    } else if !anything_answered {
        YearState::NotStarted
    } else if progress.answered >= progress.required {
        YearState::Completed
    } else {
        YearState::InProgress
    };
    YearStatus {
        state,
        open_targets: open_targets(input),
    }
}

/// The open target dates of the items that apply this year, in the order of the form.
fn open_targets(input: &InspectionInput<'_>) -> Vec<(String, NaiveDate)> {
    input
        .version
        .items
        .iter()
        .filter(|item| {
            !matches!(
                input
                    .version
                    .status_of(item, input.fiscal_year, &input.profile),
                ItemStatus::NotApplicable(_)
            )
        })
        .filter_map(|item| {
            let answers = input.answers.get(&item.key)?;
            let latest = answers.latest()?;
            if latest.answer != Answer::No {
                return None;
            }
            let target = latest
                .target_date
                .or_else(|| answers.first.as_ref().and_then(|f| f.target_date))?;
            Some((item.key.clone(), target))
        })
        .collect()
}

/// 全国地方公共団体コード (JIS X 0402) of a 市区町村: six digits, the prefecture's two
/// (JIS X 0401), the municipality's three and a check digit (検査数字).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    /// Reads a code typed in any width; refuses one whose prefecture part is not one of the
    /// 47 or whose check digit does not match the other five.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let folded = crate::text::fold::fold(text.trim());
        let digits = folded.as_bytes();
        let refuse = |key: &'static str| {
            ParseError::new(
                "municipality_code",
                Message::new(key).with("text", crate::arg(text)),
            )
        };
        if digits.len() != 6 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(refuse("domain-parse-municipality-code-six-digits"));
        }
        if Prefecture::parse(&folded[..2]).is_err() {
            return Err(refuse("domain-parse-municipality-code-prefecture"));
        }
        if check_digit(&digits[..5]) != digits[5] - b'0' {
            return Err(refuse("domain-parse-municipality-code-check-digit"));
        }
        Ok(Self(folded.into_owned()))
    }

    /// The prefecture the municipality is in.
    pub fn prefecture(&self) -> Prefecture {
        Prefecture::parse(&self.0[..2]).expect("checked when parsed")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// JIS X 0402's check digit: the five digits weighted 6, 5, 4, 3, 2, their sum's remainder
/// by 11 taken from 11, and the last digit of that.
fn check_digit(five: &[u8]) -> u8 {
    let sum: u32 = five
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    u8::try_from((11 - sum % 11) % 10).expect("one digit")
}

impl TryFrom<String> for MunicipalityCode {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MunicipalityCode> for String {
    fn from(value: MunicipalityCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests;
