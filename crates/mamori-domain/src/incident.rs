//! 「インシデントかも？」: the consultation of an institution that fears a cyber incident is
//! under way (the consultation and first-response desk, 相談・初動対応依頼窓口, of the national
//! training portal MIST, seed 002).
//!
//! A short guided form ([`ReportInput`]) becomes a checked [`Report`]; from it mamori derives
//! the [`Urgency`] of the case ([`urgency`]), the first-response steps to take at once
//! ([`first_steps`], under the rule of `catalog/incident/first_steps.toml`), and who to call
//! now ([`call_now`]) from the institution's contact chart (連絡体制図, checklist item 3(1)).
//! The desk moves a case through its [`CaseState`]s ([`check_transition`]).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDateTime};
use mamori_locale::{Lang, Message};
use serde::{Deserialize, Serialize};

use crate::contact_chart::{
    CallTarget, ContactChart, ContactEntry, FieldProblem, OutsideBody, PhoneNumber,
    default_call_order, mhlw_preset,
};
use crate::vendor::VendorContract;

mod first_steps;

pub use first_steps::{
    FirstStep, FirstStepRules, StepCondition, StepProblem, StepRule, first_steps,
    general_first_steps,
};

// ---------------------------------------------------------------------------------------
// The answers
// ---------------------------------------------------------------------------------------

crate::wire_enum! {
    /// What is happening (several may apply).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Symptom {
        /// 脅迫文（身代金の要求）が表示された・印刷された
        RansomNote,
        /// ファイルが暗号化された・開けない（拡張子が変わった）
        FilesEncrypted,
        /// ログインできない
        CannotLogIn,
        /// 不審な通信
        StrangeTraffic,
        /// 事業者から警告・連絡を受けた
        VendorWarning,
        /// その他
        Other,
    }
    parse(trim) -> Option;
}

labels!(Symptom {
    RansomNote => "domain-labels-symptom-ransom-note",
    FilesEncrypted => "domain-labels-symptom-files-encrypted",
    CannotLogIn => "domain-labels-symptom-cannot-log-in",
    StrangeTraffic => "domain-labels-symptom-strange-traffic",
    VendorWarning => "domain-labels-symptom-vendor-warning",
    Other => "domain-labels-symptom-other",
});

crate::wire_enum! {
    /// Which systems are concerned.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AffectedSystem {
        /// 電子カルテ
        Emr,
        /// レセコン（医事会計システム）
        ReceiptComputer,
        /// PACS（医用画像）
        Pacs,
        /// ネットワーク（VPN装置・ルータ・無線LANなど）
        Network,
        /// その他
        Other,
    }
    parse(trim) -> Option;
}

impl AffectedSystem {
    /// Systems care depends on from minute to minute.
    pub fn is_clinical(self) -> bool {
        matches!(self, Self::Emr | Self::ReceiptComputer | Self::Pacs)
    }
}

labels!(AffectedSystem {
    Emr => "domain-labels-affected-system-emr",
    ReceiptComputer => "domain-labels-affected-system-receipt-computer",
    Pacs => "domain-labels-affected-system-pacs",
    Network => "domain-labels-affected-system-network",
    Other => "domain-labels-affected-system-other",
});

crate::wire_enum! {
    /// Is patient care affected (診療への影響)?
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CareImpact {
        Yes,
        No,
        Unknown,
    }
    parse(trim) -> Option;
}

labels!(CareImpact {
    Yes => "domain-labels-care-impact-yes",
    No => "domain-labels-care-impact-no",
    Unknown => "domain-labels-care-impact-unknown",
});

/// The longest free text kept with a report or a note.
pub const DETAILS_MAX: usize = 4000;

/// The form as sent by a page or an API client: plain strings, checked by [`ReportInput::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportInput {
    pub symptoms: Vec<String>,
    pub systems: Vec<String>,
    /// Since when, Japan time: `2026-11-24T09:30` (a `datetime-local` field), or RFC 3339.
    pub started_at: String,
    /// `yes`, `no` or `unknown`.
    pub care_affected: String,
    pub details: String,
    /// A number the desk can call back (optional).
    pub callback_phone: String,
}

/// A checked report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Sorted, without duplicates; at least one.
    pub symptoms: Vec<Symptom>,
    /// Sorted, without duplicates; at least one.
    pub systems: Vec<AffectedSystem>,
    /// Japan time (JST).
    pub started_at: NaiveDateTime,
    pub care: CareImpact,
    pub details: String,
    pub callback_phone: Option<PhoneNumber>,
}

/// How far ahead of `now` a start time may lie (clocks differ a little).
const FUTURE_TOLERANCE_MINUTES: i64 = 10;

/// Reads `2026-11-24T09:30`, `2026-11-24T09:30:15`, `2026-11-24 09:30` (Japan time) or an
/// RFC 3339 instant (converted to Japan time).
pub fn parse_local_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(v) = NaiveDateTime::parse_from_str(t, format) {
            return Some(v);
        }
    }
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| (d.to_utc() + chrono::Duration::hours(9)).naive_utc())
}

/// The choices of a list field, each once and in order. An unknown one is a problem at
/// `field[i]` (`unknown`: its code and message), and an empty list one at `field`.
fn choices<T: Ord>(
    texts: &[String],
    field: &'static str,
    parse: impl Fn(&str) -> Option<T>,
    unknown: (&'static str, &'static str),
    required: &'static str,
    problems: &mut Vec<FieldProblem>,
) -> Vec<T> {
    let mut out = Vec::new();
    for (i, s) in texts.iter().enumerate() {
        match parse(s) {
            Some(v) => out.push(v),
            None => problems.push(FieldProblem::new(
                format!("{field}[{i}]"),
                unknown.0,
                Message::new(unknown.1).with("s", crate::arg(s)),
            )),
        }
    }
    out.sort();
    out.dedup();
    if texts.is_empty() {
        problems.push(FieldProblem::new(field, "required", Message::new(required)));
    }
    out
}

impl ReportInput {
    /// Checks every answer against `now` (Japan time); returns every problem, each with the
    /// field it concerns, so that one answer names all that is missing.
    pub fn parse(&self, now: NaiveDateTime) -> Result<Report, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let symptoms = choices(
            &self.symptoms,
            "symptoms",
            Symptom::parse,
            (
                "unknown_symptom",
                "domain-records-field-one-ransom-note-files",
            ),
            "domain-records-field-choose-least-one-answer",
            &mut problems,
        );
        let systems = choices(
            &self.systems,
            "systems",
            AffectedSystem::parse,
            (
                "unknown_system",
                "domain-records-field-one-emr-receipt-computer",
            ),
            "domain-records-field-choose-least-one-answer-2",
            &mut problems,
        );
        let started_at = if self.started_at.trim().is_empty() {
            problems.push(FieldProblem::new(
                "started_at",
                "required",
                mamori_locale::Message::new("domain-records-field-give-date-time-since"),
            ));
            None
        } else {
            match parse_local_time(&self.started_at) {
                None => {
                    problems.push(FieldProblem::new(
                        "started_at",
                        "invalid_date_time",
                        mamori_locale::Message::new("domain-records-field-date-time-t")
                            .with("started-at", crate::arg(self.started_at.trim())),
                    ));
                    None
                }
                Some(t) if t > now + chrono::Duration::minutes(FUTURE_TOLERANCE_MINUTES) => {
                    problems.push(FieldProblem::new(
                        "started_at",
                        "in_the_future",
                        mamori_locale::Message::new("domain-records-field-since-when-lies-future"),
                    ));
                    None
                }
                Some(t) if t.year() < 2000 => {
                    problems.push(FieldProblem::new(
                        "started_at",
                        "too_old",
                        mamori_locale::Message::new("domain-records-field-since-when-later"),
                    ));
                    None
                }
                Some(t) => Some(t),
            }
        };
        let care = if self.care_affected.trim().is_empty() {
            problems.push(FieldProblem::new(
                "care_affected",
                "required",
                mamori_locale::Message::new("domain-records-field-answer-patient-care-affected"),
            ));
            None
        } else {
            let parsed = CareImpact::parse(&self.care_affected);
            if parsed.is_none() {
                problems.push(FieldProblem::new(
                    "care_affected",
                    "invalid_choice",
                    mamori_locale::Message::new("domain-records-field-one-yes-unknown")
                        .with("care-affected", crate::arg(self.care_affected.trim())),
                ));
            }
            parsed
        };
        let details = self.details.trim().to_owned();
        if details.chars().count() > DETAILS_MAX {
            problems.push(FieldProblem::new(
                "details",
                "too_long",
                mamori_locale::Message::new("domain-records-field-details-most-characters")
                    .with("details-max", crate::arg(DETAILS_MAX)),
            ));
        }
        let callback_phone = if self.callback_phone.trim().is_empty() {
            None
        } else {
            match PhoneNumber::parse(&self.callback_phone) {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(FieldProblem::new(
                        "callback_phone",
                        e.code(),
                        mamori_locale::Message::new("domain-records-field-call-back-number")
                            .with("message", e.message()),
                    ));
                    None
                }
            }
        };
        match (started_at, care) {
            (Some(started_at), Some(care)) if problems.is_empty() => Ok(Report {
                symptoms,
                systems,
                started_at,
                care,
                details,
                callback_phone,
            }),
            _ => Err(problems),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Urgency
// ---------------------------------------------------------------------------------------

crate::wire_enum! {
    /// How urgent a case is; the desk takes the most urgent first.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Urgency {
        /// 緊急: call now.
        Critical,
        /// 高: today, within hours.
        High,
        /// 中
        Medium,
        /// 低
        Low,
    }
    parse(exact) -> Option;
}

impl Urgency {
    /// 0 for the most urgent: the desk's sort key.
    pub fn rank(self) -> i64 {
        match self {
            Self::Critical => 0,
            Self::High => 1,
            Self::Medium => 2,
            Self::Low => 3,
        }
    }
}

// What the reporter should do about the call list, said once at the top of the result.
labels!(Urgency: advice, advice_ja, advice_en {
    Critical => "domain-incident-advice-critical",
    High => "domain-incident-advice-high",
    Medium => "domain-incident-advice-medium",
    Low => "domain-incident-advice-low",
});

labels!(Urgency {
    Critical => "domain-labels-urgency-critical",
    High => "domain-labels-urgency-high",
    Medium => "domain-labels-urgency-medium",
    Low => "domain-labels-urgency-low",
});

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The urgency of a report. The rule, most urgent first:
///
/// 1. 緊急 (critical): a ransom note, encrypted files, or patient care affected — the signs
///    of ransomware, where every minute of spread counts.
/// 2. 高 (high): strange traffic; no log-in to a clinical system (電子カルテ, レセコン, PACS);
///    or care affected "unknown" with a concrete sign (anything but "other").
/// 3. 中 (medium): a vendor's warning; no log-in to another system; or care "unknown".
/// 4. 低 (low): anything else ("other" only, care not affected).
pub fn urgency(report: &Report) -> Urgency {
    let has = |s: Symptom| report.symptoms.contains(&s);
    let concrete = report.symptoms.iter().any(|s| *s != Symptom::Other);
    let clinical = report.systems.iter().any(|s| s.is_clinical());
    if has(Symptom::RansomNote) || has(Symptom::FilesEncrypted) || report.care == CareImpact::Yes {
        Urgency::Critical
    } else if has(Symptom::StrangeTraffic)
        || (has(Symptom::CannotLogIn) && clinical)
        || (report.care == CareImpact::Unknown && concrete)
    {
        Urgency::High
    } else if has(Symptom::VendorWarning)
        || has(Symptom::CannotLogIn)
        || report.care == CareImpact::Unknown
    {
        Urgency::Medium
    } else {
        Urgency::Low
    }
}

// ---------------------------------------------------------------------------------------
// Who to call now
// ---------------------------------------------------------------------------------------

/// Where a call-now entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// The institution's contact chart (連絡体制図).
    Chart,
    /// No chart: the institution's administrators in mamori.
    InstitutionAdmin,
    /// The national contacts, added when the chart does not name them.
    National,
}

/// One entry of the call-now list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallNow {
    /// The step of the chart's order of calls (1-based); none for entries added by mamori.
    pub step: Option<usize>,
    /// Whom this reaches (a role, a vendor, a body).
    pub who_ja: String,
    pub who_en: String,
    pub name: String,
    pub organisation: String,
    pub phones: Vec<PhoneNumber>,
    pub hours_ja: Option<String>,
    pub hours_en: Option<String>,
    pub notes: String,
    /// A page listing the desks (the police's prefectural desks).
    pub link: Option<String>,
    pub source: CallSource,
}

/// The National Police Agency's list of the prefectural police's cybercrime desks
/// (都道府県警察のサイバー犯罪相談窓口).
pub const POLICE_DESKS_URL: &str = "https://www.npa.go.jp/bureau/cyber/soudan.html";

fn entry_call(step: Option<usize>, who: &Message, e: &ContactEntry) -> CallNow {
    let (who_ja, who_en) = crate::both(who);
    CallNow {
        step,
        who_ja,
        who_en,
        name: e.name.clone(),
        organisation: e.organisation.clone(),
        phones: e.phones.clone(),
        hours_ja: e.hours.as_ref().map(|h| h.label_ja()),
        hours_en: e.hours.as_ref().map(|h| h.label_en()),
        notes: e.notes.clone(),
        link: None,
        source: CallSource::Chart,
    }
}

/// The police when the chart has none: the consultation number #9110 (警察相談専用電話),
/// which reaches the prefecture's police, and the list of the cybercrime desks.
fn police_fallback() -> CallNow {
    CallNow {
        step: None,
        who_ja: OutsideBody::Police.label_ja().into(),
        who_en: OutsideBody::Police.label_en().into(),
        name: String::new(),
        // Shown as a contact of the chart, whose records are written in Japanese.
        organisation: Lang::Ja.text("domain-incident-police-desk").into(),
        phones: PhoneNumber::parse("#9110").into_iter().collect(),
        hours_ja: None,
        hours_en: None,
        notes: Lang::Ja.text("domain-incident-police-desk-notes").into(),
        link: Some(POLICE_DESKS_URL.into()),
        source: CallSource::National,
    }
}

fn mhlw_fallback() -> CallNow {
    let preset = mhlw_preset();
    let mut call = entry_call(None, &OutsideBody::Mhlw.label(), &preset.entry);
    call.source = CallSource::National;
    call
}

/// Who to call now, in order. With a contact chart: its order of calls (the default order
/// when it has none), each step's contacts in turn, each contact once; the reporter (発見者)
/// is left out. Without a chart, or with a chart that names nobody: the institution's
/// administrators (`admins`, names only: mamori holds no phone numbers of users). Either way
/// the ministry and the police follow when the chart does not name them.
pub fn call_now(
    chart: Option<&ContactChart>,
    contracts: &[VendorContract],
    admins: &[String],
) -> Vec<CallNow> {
    let mut calls = Vec::new();
    let mut has_mhlw = false;
    let mut has_police = false;
    match chart.filter(|c| c.entry_count() > 0) {
        Some(chart) => {
            let order = if chart.call_order.is_empty() {
                default_call_order(chart)
            } else {
                chart.call_order.clone()
            };
            let mut seen_internal = vec![false; chart.internal.len()];
            let mut seen_vendor = vec![false; chart.vendors.len()];
            let mut seen_outside = vec![false; chart.outside.len()];
            for (i, step) in order.iter().enumerate() {
                let n = Some(i + 1);
                for target in &step.targets {
                    match target {
                        CallTarget::Discoverer => {}
                        CallTarget::Internal { role } => {
                            for (j, c) in chart.internal.iter().enumerate() {
                                if c.roles.contains(role) && !seen_internal[j] {
                                    seen_internal[j] = true;
                                    let roles = c.roles.iter().map(|r| r.label());
                                    let who = crate::joined(roles, "domain-join-dot");
                                    calls.push(entry_call(n, &who, &c.entry));
                                }
                            }
                        }
                        CallTarget::AllVendors | CallTarget::Vendor { .. } => {
                            for (j, c) in chart.vendors.iter().enumerate() {
                                let reached = match target {
                                    CallTarget::Vendor { contract_id } => {
                                        *contract_id == c.contract_id
                                    }
                                    _ => true,
                                };
                                if reached && !seen_vendor[j] {
                                    seen_vendor[j] = true;
                                    let vendor = CallTarget::Vendor {
                                        contract_id: c.contract_id,
                                    };
                                    let who = Message::new("domain-incident-who-vendor")
                                        .with("vendor", vendor.label(contracts));
                                    calls.push(entry_call(n, &who, &c.entry));
                                }
                            }
                        }
                        CallTarget::Outside { body } => {
                            for (j, c) in chart.outside.iter().enumerate() {
                                if c.body == *body && !seen_outside[j] {
                                    seen_outside[j] = true;
                                    has_mhlw |= c.body == OutsideBody::Mhlw;
                                    has_police |= c.body == OutsideBody::Police;
                                    calls.push(entry_call(n, &c.body.label(), &c.entry));
                                }
                            }
                        }
                    }
                }
            }
        }
        None => {
            let (who_ja, who_en) = crate::both(&Message::new("domain-incident-who-admin"));
            for login in admins {
                calls.push(CallNow {
                    step: None,
                    who_ja: who_ja.clone(),
                    who_en: who_en.clone(),
                    name: login.clone(),
                    organisation: String::new(),
                    phones: Vec::new(),
                    hours_ja: None,
                    hours_en: None,
                    notes: String::new(),
                    link: None,
                    source: CallSource::InstitutionAdmin,
                });
            }
        }
    }
    if !has_mhlw {
        calls.push(mhlw_fallback());
    }
    if !has_police {
        calls.push(police_fallback());
    }
    calls
}

/// The contacts anyone can call, for those with no institution in mamori.
pub fn public_contacts() -> Vec<CallNow> {
    vec![mhlw_fallback(), police_fallback()]
}

// ---------------------------------------------------------------------------------------
// Case states
// ---------------------------------------------------------------------------------------

crate::wire_enum! {
    /// Where a case stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CaseState {
        /// 受付: sent, nobody at the desk has taken it up yet.
        New,
        /// 対応中
        InProgress,
        /// 解決: the desk considers it resolved; the institution can still add notes.
        Resolved,
        /// 終了
        Closed,
    }
    parse(trim) -> Option;
}

impl CaseState {
    /// Still needs the desk.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::InProgress)
    }
}

labels!(CaseState {
    New => "domain-labels-case-state-new",
    InProgress => "domain-labels-case-state-in-progress",
    Resolved => "domain-labels-case-state-resolved",
    Closed => "domain-labels-case-state-closed",
});

/// Why a state change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the case is already {}", .0.as_str())]
    Unchanged(CaseState),
    #[error("a case taken up does not go back to new")]
    BackToNew,
}

impl TransitionError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unchanged(_) => "state_unchanged",
            Self::BackToNew => "back_to_new",
        }
    }

    pub fn message(self) -> Message {
        match self {
            Self::Unchanged(s) => {
                Message::new("domain-records-incident-unchanged").with("state", s.label())
            }
            Self::BackToNew => Message::new("domain-records-incident-back-to-new"),
        }
    }
}

/// The desk may move a case to any other state (reopening a resolved or closed one by
/// setting it in progress), but never back to 受付.
pub fn check_transition(from: CaseState, to: CaseState) -> Result<(), TransitionError> {
    if from == to {
        Err(TransitionError::Unchanged(from))
    } else if to == CaseState::New {
        Err(TransitionError::BackToNew)
    } else {
        Ok(())
    }
}

/// Checks a note's text: not empty, at most [`DETAILS_MAX`] characters.
pub fn parse_note(text: &str) -> Result<String, FieldProblem> {
    let t = text.trim();
    if t.is_empty() {
        Err(FieldProblem::new(
            "text",
            "required",
            mamori_locale::Message::new("domain-records-field-write-note-s-text"),
        ))
    } else if t.chars().count() > DETAILS_MAX {
        Err(FieldProblem::new(
            "text",
            "too_long",
            mamori_locale::Message::new("domain-records-field-note-most-characters")
                .with("details-max", crate::arg(DETAILS_MAX)),
        ))
    } else {
        Ok(t.to_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contact_chart::{
        CallStep, Hours, InternalContact, InternalRole, OutsideContact, VendorContact,
    };
    use crate::vendor::ContractId;
    use chrono::NaiveDate;
    use mamori_locale::Lang;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date")
    }

    /// A report of these answers, started at [`now`], with no details and no phone.
    pub(crate) fn report(
        symptoms: &[Symptom],
        systems: &[AffectedSystem],
        care: CareImpact,
    ) -> Report {
        Report {
            symptoms: symptoms.to_vec(),
            systems: systems.to_vec(),
            started_at: now(),
            care,
            details: String::new(),
            callback_phone: None,
        }
    }

    fn input(symptoms: &[&str], systems: &[&str], started: &str, care: &str) -> ReportInput {
        ReportInput {
            symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
            systems: systems.iter().map(|s| (*s).to_owned()).collect(),
            started_at: started.into(),
            care_affected: care.into(),
            details: String::new(),
            callback_phone: String::new(),
        }
    }

    use AffectedSystem as Sys;
    use CareImpact as Care;
    use Symptom as S;

    /// Each case is the report's symptoms, systems and care, and the urgency it is given.
    fn assert_urgencies(cases: &[(&[Symptom], &[AffectedSystem], CareImpact, Urgency)]) {
        for &(symptoms, systems, care, expected) in cases {
            assert_eq!(
                urgency(&report(symptoms, systems, care)),
                expected,
                "{symptoms:?} {systems:?} {care:?}"
            );
        }
    }

    #[test]
    fn ransom_encryption_or_affected_care_is_critical() {
        assert_urgencies(&[
            (&[S::RansomNote], &[Sys::Other], Care::No, Urgency::Critical),
            (
                &[S::FilesEncrypted],
                &[Sys::Other],
                Care::No,
                Urgency::Critical,
            ),
            (&[S::Other], &[Sys::Other], Care::Yes, Urgency::Critical),
            // The most urgent sign wins.
            (
                &[S::VendorWarning, S::FilesEncrypted],
                &[Sys::Pacs],
                Care::Unknown,
                Urgency::Critical,
            ),
        ]);
    }

    #[test]
    fn traffic_clinical_log_in_and_unknown_care_are_high() {
        assert_urgencies(&[
            (
                &[S::StrangeTraffic],
                &[Sys::Network],
                Care::No,
                Urgency::High,
            ),
            (&[S::CannotLogIn], &[Sys::Emr], Care::No, Urgency::High),
            (
                &[S::VendorWarning],
                &[Sys::Network],
                Care::Unknown,
                Urgency::High,
            ),
        ]);
    }

    #[test]
    fn warnings_and_other_log_ins_are_medium_the_rest_low() {
        assert_urgencies(&[
            (
                &[S::VendorWarning],
                &[Sys::Network],
                Care::No,
                Urgency::Medium,
            ),
            (&[S::CannotLogIn], &[Sys::Other], Care::No, Urgency::Medium),
            (&[S::Other], &[Sys::Other], Care::Unknown, Urgency::Medium),
            (&[S::Other], &[Sys::Emr], Care::No, Urgency::Low),
        ]);
        assert!(Urgency::Critical < Urgency::Low);
        assert_eq!(Urgency::Critical.rank(), 0);
    }

    #[test]
    fn the_form_names_every_missing_answer() {
        let problems = input(&[], &[], "", "").parse(now()).expect_err("refused");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["symptoms", "systems", "started_at", "care_affected"]
        );
        assert!(problems.iter().all(|p| p.code == "required"));
        assert!(
            problems[0]
                .message
                .render(Lang::Ja)
                .contains("何が起きていますか")
        );
    }

    #[test]
    fn the_form_refuses_unknown_choices_and_bad_times() {
        let problems = input(&["fire"], &["toaster"], "yesterday", "maybe")
            .parse(now())
            .expect_err("refused");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["symptoms[0]", "systems[0]", "started_at", "care_affected"]
        );
        let future = input(&["other"], &["emr"], "2026-11-24T11:00", "no")
            .parse(now())
            .expect_err("future");
        assert_eq!(future[0].code, "in_the_future");
        let old = input(&["other"], &["emr"], "1999-01-01T00:00", "no")
            .parse(now())
            .expect_err("old");
        assert_eq!(old[0].code, "too_old");
        let mut bad_phone = input(&["other"], &["emr"], "2026-11-24T09:00", "no");
        bad_phone.callback_phone = "03-12".into();
        let problems = bad_phone.parse(now()).expect_err("phone");
        assert_eq!(problems[0].path, "callback_phone");
    }

    #[test]
    fn the_form_reads_local_and_rfc3339_times_and_sorts_answers() {
        let mut ok = input(
            &["strange_traffic", "ransom_note", "ransom_note"],
            &["network", "emr"],
            "2026-11-24T09:30",
            "unknown",
        );
        ok.callback_phone = "０３－１２３４－５６７８".into();
        ok.details = "  受付のPCに英語の画面  ".into();
        let r = ok.parse(now()).expect("valid");
        assert_eq!(r.symptoms, [S::RansomNote, S::StrangeTraffic]);
        assert_eq!(r.systems, [Sys::Emr, Sys::Network]);
        assert_eq!(r.details, "受付のPCに英語の画面");
        assert_eq!(
            r.callback_phone.as_ref().map(|p| p.number()),
            Some("03-1234-5678")
        );
        // 00:30 UTC is 09:30 in Japan.
        assert_eq!(
            parse_local_time("2026-11-24T00:30:00Z"),
            parse_local_time("2026-11-24 09:30")
        );
        // A few minutes ahead of the server's clock is accepted.
        assert!(
            input(&["other"], &["other"], "2026-11-24T10:05", "no")
                .parse(now())
                .is_ok()
        );
    }

    fn entry(name: &str, phone: &str) -> ContactEntry {
        ContactEntry {
            name: name.into(),
            organisation: String::new(),
            phones: vec![PhoneNumber::parse(phone).expect("phone")],
            email: None,
            hours: Hours::parse("24時間"),
            notes: String::new(),
        }
    }

    fn chart() -> ContactChart {
        ContactChart {
            institution_name: "みなと中央病院".into(),
            revised_on: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
            internal: vec![
                InternalContact {
                    roles: vec![InternalRole::Administrator],
                    title: "院長".into(),
                    entry: entry("院長 太郎", "03-1111-0001"),
                },
                InternalContact {
                    roles: vec![InternalRole::SecurityManager, InternalRole::SystemStaff],
                    title: String::new(),
                    entry: entry("情報 花子", "090-1111-0002"),
                },
            ],
            vendors: vec![VendorContact {
                contract_id: ContractId(7),
                entry: entry("保守窓口", "0120-111-222"),
            }],
            outside: vec![OutsideContact {
                body: OutsideBody::Police,
                entry: entry("警視庁 サイバー犯罪対策課", "03-3431-8109"),
            }],
            call_order: Vec::new(),
        }
    }

    #[test]
    fn call_now_follows_the_charts_order_and_adds_the_ministry() {
        let calls = call_now(Some(&chart()), &[], &["demo-admin".into()]);
        let names: Vec<&str> = calls
            .iter()
            .map(|c| {
                if c.name.is_empty() {
                    c.organisation.as_str()
                } else {
                    c.name.as_str()
                }
            })
            .collect();
        // Default order: 安全管理責任者 → 事業者・管理者 → 警察; the reporter is left out;
        // the ministry, missing from the chart, is added; the police is not added twice.
        assert_eq!(
            names,
            [
                "情報 花子",
                "保守窓口",
                "院長 太郎",
                "警視庁 サイバー犯罪対策課",
                "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室"
            ]
        );
        assert_eq!(calls[0].step, Some(2));
        assert_eq!(calls[1].step, Some(3));
        assert!(calls[0].who_ja.contains("医療情報システム安全管理責任者"));
        assert_eq!(calls[4].source, CallSource::National);
        assert_eq!(calls[4].step, None);
        assert_eq!(calls[4].phones[0].dial_string(), "0352531111");
    }

    #[test]
    fn call_now_uses_the_charts_own_order() {
        let mut c = chart();
        c.call_order = vec![
            CallStep {
                targets: vec![CallTarget::Outside {
                    body: OutsideBody::Police,
                }],
                note: String::new(),
            },
            CallStep {
                targets: vec![
                    CallTarget::Internal {
                        role: InternalRole::SystemStaff,
                    },
                    CallTarget::Internal {
                        role: InternalRole::SecurityManager,
                    },
                ],
                note: String::new(),
            },
        ];
        let calls = call_now(Some(&c), &[], &[]);
        assert_eq!(calls[0].organisation, "");
        assert_eq!(calls[0].name, "警視庁 サイバー犯罪対策課");
        assert_eq!(calls[1].name, "情報 花子");
        assert_eq!(
            calls.iter().filter(|x| x.name == "情報 花子").count(),
            1,
            "a person holding two roles is listed once"
        );
        assert_eq!(
            calls.len(),
            3,
            "only the steps of the chart, then the ministry"
        );
    }

    #[test]
    fn without_a_chart_the_admins_and_the_national_contacts() {
        let calls = call_now(None, &[], &["demo-hospital".into()]);
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].source, CallSource::InstitutionAdmin);
        assert_eq!(calls[0].name, "demo-hospital");
        assert_eq!(calls[1].who_ja, "厚生労働省");
        assert_eq!(calls[2].phones[0].number(), "#9110");
        assert_eq!(calls[2].link.as_deref(), Some(POLICE_DESKS_URL));
        let empty = ContactChart {
            internal: Vec::new(),
            vendors: Vec::new(),
            outside: Vec::new(),
            ..chart()
        };
        assert_eq!(
            call_now(Some(&empty), &[], &["a".into()])[0].source,
            CallSource::InstitutionAdmin,
            "a chart naming nobody counts as none"
        );
        assert_eq!(public_contacts().len(), 2);
    }

    #[test]
    fn states_move_forward_and_reopen_but_never_back_to_new() {
        use CaseState::*;
        assert_eq!(check_transition(New, InProgress), Ok(()));
        assert_eq!(check_transition(InProgress, Resolved), Ok(()));
        assert_eq!(check_transition(Resolved, Closed), Ok(()));
        assert_eq!(check_transition(Closed, InProgress), Ok(()));
        assert_eq!(check_transition(New, Closed), Ok(()));
        assert_eq!(
            check_transition(InProgress, New),
            Err(TransitionError::BackToNew)
        );
        assert_eq!(
            check_transition(Resolved, Resolved),
            Err(TransitionError::Unchanged(Resolved))
        );
        assert!(
            TransitionError::BackToNew
                .message()
                .render(Lang::Ja)
                .contains("受付")
        );
        assert!(New.is_open() && !Closed.is_open());
        assert_eq!(CaseState::parse("in_progress"), Some(InProgress));
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(parse_note("  折り返し済み "), Ok("折り返し済み".into()));
        assert_eq!(parse_note(" ").map_err(|p| p.code), Err("required"));
        let long = "あ".repeat(DETAILS_MAX + 1);
        assert_eq!(parse_note(&long).map_err(|p| p.code), Err("too_long"));
    }
}
