//! The inspection verdict (立入検査): by the rules of the fiscal year's inspection guide
//! (医療機関におけるサイバーセキュリティ確保に係る立入検査の手引き), is the institution's
//! checklist ready, and what is found item by item.
//!
//! Each rule is a small function below; [`InspectionRules`] (loaded from
//! `catalog/inspection/<version>.toml`) switches them on per guide version.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::{
    Answer, ChecklistItem, ChecklistVersion, FiscalYear, InstitutionProfile, ItemAnswers, ItemRole,
    ItemStatus,
};

/// The rules of one version of the inspection guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionRules {
    pub version: String,
    pub title_ja: String,
    pub title_en: String,
    pub sources: Vec<String>,
    pub notes: String,
    /// Whether 参考項目 are inspected (never so far).
    pub inspect_reference_items: bool,
    /// The 連絡体制図 must be seen on site by the inspector.
    pub contact_chart_seen_on_site: bool,
    /// Every いいえ needs a 目標日.
    pub target_date_for_no: bool,
    /// The 目標日 should fall within the fiscal year (advice).
    pub target_date_within_fiscal_year: bool,
    /// The BCP (3(3)) is looked at (from 令和6年度).
    pub bcp_checked: bool,
    /// One 事業者確認用 per contracted vendor is checked.
    pub vendor_forms_checked: bool,
}

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not ready for the inspection until fixed.
    Blocking,
    /// The inspector urges action (指導); does not make the checklist incomplete.
    Advice,
    /// For the record.
    Info,
}

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FindingCode {
        NoMedicalInformationSystem,
        FirstAnswerMissing,
        TargetDateMissing,
        AnsweredNo,
        TargetDateOutsideFiscalYear,
        SecondCheckDue,
        ContactChartNotSeen,
        ContactChartMissing,
        BcpNotInPlace,
        ReferenceItemsNotInspected,
        /// Vendor contracts declared but none registered (事業者確認用 cannot be checked).
        VendorContractsNotRegistered,
        /// Contracts registered while the profile says there are none.
        VendorContractsNotDeclared,
        /// A contracted vendor's 事業者確認用 is missing.
        VendorFormMissing,
        /// An item outside every vendor's scope and blank on every form.
        ItemNotCovered,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item_key: Option<String>,
    /// The number as printed, e.g. `2(4)`.
    pub item_number: Option<String>,
    pub code: FindingCode,
    pub severity: Severity,
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub ready: bool,
    pub findings: Vec<Finding>,
}

/// Everything the verdict is computed from.
pub struct InspectionInput<'a> {
    pub fiscal_year: FiscalYear,
    pub version: &'a ChecklistVersion,
    pub rules: &'a InspectionRules,
    pub profile: InstitutionProfile,
    pub answers: &'a HashMap<String, ItemAnswers>,
    /// What the inspector recorded on site: `None` until recorded.
    pub contact_chart_seen: Option<bool>,
    pub today: NaiveDate,
}

fn finding(
    item: Option<&ChecklistItem>,
    code: FindingCode,
    severity: Severity,
    message: Message,
) -> Finding {
    Finding {
        item_key: item.map(|i| i.key.clone()),
        item_number: item.map(|i| i.number.clone()),
        code,
        severity,
        message,
    }
}

pub(crate) fn item_label(item: &ChecklistItem) -> Message {
    crate::bilingual(item.label_ja(), item.label_en())
}

pub(crate) fn year_label(fiscal_year: FiscalYear) -> Message {
    crate::bilingual(fiscal_year.era_label_ja(), fiscal_year.label_en())
}

/// Rule: every inspected item has a first answer (はい/いいえ) and its date.
pub fn rule_first_answer(item: &ChecklistItem, answers: &ItemAnswers) -> Option<Finding> {
    answers.first.is_none().then(|| {
        finding(
            Some(item),
            FindingCode::FirstAnswerMissing,
            Severity::Blocking,
            Message::new("domain-inspection-first-answer-missing").with("item", item_label(item)),
        )
    })
}

/// Rule: every いいえ carries a target date, where the form has the column.
pub fn rule_target_date_for_no(item: &ChecklistItem, answers: &ItemAnswers) -> Option<Finding> {
    let first = answers.first.as_ref()?;
    (item.has_target_date && first.answer == Answer::No && first.target_date.is_none()).then(|| {
        finding(
            Some(item),
            FindingCode::TargetDateMissing,
            Severity::Blocking,
            Message::new("domain-inspection-target-date-missing").with("item", item_label(item)),
        )
    })
}

/// Rule: a いいえ still standing is advised to become はい within the fiscal year.
pub fn rule_answered_no(
    item: &ChecklistItem,
    answers: &ItemAnswers,
    fiscal_year: FiscalYear,
) -> Option<Finding> {
    let latest = answers.latest()?;
    (latest.answer == Answer::No && item.has_target_date).then(|| {
        finding(
            Some(item),
            FindingCode::AnsweredNo,
            Severity::Advice,
            Message::new("domain-inspection-answered-no")
                .with("item", item_label(item))
                .with("year", year_label(fiscal_year)),
        )
    })
}

/// Rule: the target date lies within the fiscal year.
pub fn rule_target_within_year(
    item: &ChecklistItem,
    answers: &ItemAnswers,
    fiscal_year: FiscalYear,
) -> Option<Finding> {
    let target = answers.first.as_ref()?.target_date?;
    (!fiscal_year.contains(target)
        && answers
            .second
            .as_ref()
            .is_none_or(|s| s.answer == Answer::No))
    .then(|| {
        finding(
            Some(item),
            FindingCode::TargetDateOutsideFiscalYear,
            Severity::Advice,
            Message::new("domain-inspection-target-outside-year")
                .with("item", item_label(item))
                .with("target", target.to_string())
                .with("year", year_label(fiscal_year)),
        )
    })
}

/// Rule: once the target date has passed, a second check (2回目) is due.
pub fn rule_second_check_due(
    item: &ChecklistItem,
    answers: &ItemAnswers,
    today: NaiveDate,
) -> Option<Finding> {
    let first = answers.first.as_ref()?;
    let target = first.target_date?;
    (first.answer == Answer::No && answers.second.is_none() && target < today).then(|| {
        finding(
            Some(item),
            FindingCode::SecondCheckDue,
            Severity::Advice,
            Message::new("domain-inspection-second-check-due")
                .with("item", item_label(item))
                .with("target", target.to_string()),
        )
    })
}

/// Rule: the inspector sees the contact chart (連絡体制図) itself.
pub fn rule_contact_chart_seen(item: &ChecklistItem, seen: Option<bool>) -> Option<Finding> {
    match seen {
        Some(true) => None,
        Some(false) => Some(finding(
            Some(item),
            FindingCode::ContactChartMissing,
            Severity::Blocking,
            Message::new("domain-inspection-contact-chart-missing").with("item", item_label(item)),
        )),
        None => Some(finding(
            Some(item),
            FindingCode::ContactChartNotSeen,
            Severity::Blocking,
            Message::new("domain-inspection-contact-chart-not-seen").with("item", item_label(item)),
        )),
    }
}

/// Rule (from 令和6年度): the BCP for cyber attacks is looked at.
pub fn rule_bcp(item: &ChecklistItem, answers: &ItemAnswers) -> Option<Finding> {
    (answers.latest()?.answer == Answer::No).then(|| {
        finding(
            Some(item),
            FindingCode::BcpNotInPlace,
            Severity::Advice,
            Message::new("domain-inspection-bcp-missing").with("item", item_label(item)),
        )
    })
}

/// Computes the verdict. Ready means: no blocking finding.
pub fn verdict(input: &InspectionInput<'_>) -> Verdict {
    let mut findings = Vec::new();
    let rules = input.rules;
    let has_gate = input.version.gate.is_some();
    if has_gate && !input.profile.has_medical_information_system {
        findings.push(finding(
            None,
            FindingCode::NoMedicalInformationSystem,
            Severity::Info,
            Message::new("domain-inspection-no-medical-system"),
        ));
        return Verdict {
            ready: true,
            findings,
        };
    }
    let empty = ItemAnswers::default();
    let mut reference_items = Vec::new();
    for item in &input.version.items {
        let answers = input.answers.get(&item.key).unwrap_or(&empty);
        let inspected = match input
            .version
            .status_of(item, input.fiscal_year, &input.profile)
        {
            ItemStatus::Required => true,
            ItemStatus::Reference { .. } => {
                reference_items.push(item.label_ja());
                rules.inspect_reference_items
            }
            ItemStatus::NotApplicable(_) => false,
        };
        if !inspected {
            continue;
        }
        findings.extend(rule_first_answer(item, answers));
        if rules.target_date_for_no {
            findings.extend(rule_target_date_for_no(item, answers));
        }
        if item.role == Some(ItemRole::ContactChart) && rules.contact_chart_seen_on_site {
            findings.extend(rule_contact_chart_seen(item, input.contact_chart_seen));
        }
        if item.role == Some(ItemRole::Bcp) && rules.bcp_checked {
            findings.extend(rule_bcp(item, answers));
        } else {
            findings.extend(rule_answered_no(item, answers, input.fiscal_year));
        }
        if rules.target_date_within_fiscal_year {
            findings.extend(rule_target_within_year(item, answers, input.fiscal_year));
        }
        findings.extend(rule_second_check_due(item, answers, input.today));
    }
    if !reference_items.is_empty() && !rules.inspect_reference_items {
        findings.push(finding(
            None,
            FindingCode::ReferenceItemsNotInspected,
            Severity::Info,
            Message::new("domain-inspection-reference-items")
                .with("items", reference_items.join("、"))
                .with("count", reference_items.len())
                .with("year", year_label(input.fiscal_year)),
        ));
    }
    findings.sort_by_key(|f| f.severity);
    let ready = !findings.iter().any(|f| f.severity == Severity::Blocking);
    Verdict { ready, findings }
}

/// Progress of one assessment, for the institution's own page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Items that apply and are required this year.
    pub required: usize,
    /// Of those, with a first answer.
    pub answered: usize,
    /// Of those, answered はい (latest round).
    pub yes: usize,
    /// Of those, answered いいえ (latest round).
    pub no: usize,
    /// いいえ without a target date.
    pub missing_target_dates: usize,
    /// Reference items (参考項目) this year.
    pub reference: usize,
    /// Items that do not apply.
    pub not_applicable: usize,
}

impl Progress {
    pub fn percent(&self) -> u32 {
        (self.answered * 100)
            .checked_div(self.required)
            .map_or(100, |p| u32::try_from(p).unwrap_or(100))
    }
}

pub fn progress(
    version: &ChecklistVersion,
    fiscal_year: FiscalYear,
    profile: &InstitutionProfile,
    answers: &HashMap<String, ItemAnswers>,
) -> Progress {
    let mut p = Progress::default();
    let empty = ItemAnswers::default();
    for item in &version.items {
        let a = answers.get(&item.key).unwrap_or(&empty);
        match version.status_of(item, fiscal_year, profile) {
            ItemStatus::NotApplicable(_) => p.not_applicable += 1,
            ItemStatus::Reference { .. } => p.reference += 1,
            ItemStatus::Required => {
                p.required += 1;
                if let Some(first) = &a.first {
                    p.answered += 1;
                    if item.has_target_date
                        && first.answer == Answer::No
                        && first.target_date.is_none()
                    {
                        p.missing_target_dates += 1;
                    }
                }
                match a.latest().map(|l| l.answer) {
                    Some(Answer::Yes) => p.yes += 1,
                    Some(Answer::No) => p.no += 1,
                    None => {}
                }
            }
        }
    }
    p
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checklist::tests::{fy, item_as, profile, required, vendor_contract_item};
    use crate::testing::date as d;
    use crate::{FormKind, Gate, ItemAnswer, Requirement, Scope};
    use mamori_locale::Lang;

    pub(crate) fn rules(version: &str, bcp: bool) -> InspectionRules {
        InspectionRules {
            version: version.into(),
            title_ja: String::new(),
            title_en: String::new(),
            sources: vec![],
            notes: String::new(),
            inspect_reference_items: false,
            contact_chart_seen_on_site: true,
            target_date_for_no: true,
            target_date_within_fiscal_year: true,
            bcp_checked: bcp,
            vendor_forms_checked: true,
        }
    }

    /// A small 令和5年度-like form: 1(1), 2(2) (vendor only), 2(7) サーバ (参考項目), 3(1), 3(3).
    pub(crate) fn r5() -> ChecklistVersion {
        let remote = vendor_contract_item();
        let mut chart = item_as(
            ItemRole::ContactChart,
            "3-1",
            "3(1)",
            Scope::None,
            Requirement::RequiredFrom(fy(2023)),
        );
        chart.has_target_date = false;
        ChecklistVersion {
            id: "r5-institution".into(),
            version: "r5".into(),
            version_label_ja: "令和5年度版".into(),
            version_label_en: "FY2023 edition".into(),
            form: FormKind::Institution,
            title_ja: String::new(),
            title_en: String::new(),
            fiscal_years: vec![fy(2023)],
            published_on: d(2023, 6, 1),
            sources: vec![],
            notes: String::new(),
            gate: Some(Gate {
                text_ja: "医療情報システムを導入、運用している。".into(),
                text_en: String::new(),
            }),
            sections: vec![],
            items: vec![
                required("1-1", "1(1)", Scope::None, 2023),
                remote,
                required("2-7-server", "2(7)", Scope::Server, 2024),
                chart,
                item_as(
                    ItemRole::Bcp,
                    "3-3",
                    "3(3)",
                    Scope::None,
                    Requirement::RequiredFrom(fy(2024)),
                ),
            ],
        }
    }

    pub(crate) fn yes(on: NaiveDate) -> ItemAnswers {
        ItemAnswers {
            first: Some(ItemAnswer {
                answer: Answer::Yes,
                checked_on: on,
                target_date: None,
            }),
            second: None,
        }
    }

    pub(crate) fn no(on: NaiveDate, target: Option<NaiveDate>) -> ItemAnswers {
        ItemAnswers {
            first: Some(ItemAnswer {
                answer: Answer::No,
                checked_on: on,
                target_date: target,
            }),
            second: None,
        }
    }

    fn run(
        version: &ChecklistVersion,
        rules: &InspectionRules,
        year: i32,
        p: InstitutionProfile,
        answers: &HashMap<String, ItemAnswers>,
        seen: Option<bool>,
    ) -> Verdict {
        verdict(&InspectionInput {
            fiscal_year: fy(year),
            version,
            rules,
            profile: p,
            answers,
            contact_chart_seen: seen,
            today: d(2023, 11, 1),
        })
    }

    /// The verdict on the r5 form for an institution with systems and vendor contracts.
    fn judge(
        rules: &InspectionRules,
        year: i32,
        answers: &HashMap<String, ItemAnswers>,
        seen: Option<bool>,
    ) -> Verdict {
        run(&r5(), rules, year, profile(true, true), answers, seen)
    }

    /// Answers by item key.
    fn answers<const N: usize>(list: [(&str, ItemAnswers); N]) -> HashMap<String, ItemAnswers> {
        list.into_iter()
            .map(|(key, answer)| (key.to_owned(), answer))
            .collect()
    }

    /// はい on `on` for every item required in FY2023.
    fn all_yes(on: NaiveDate) -> HashMap<String, ItemAnswers> {
        answers([("1-1", yes(on)), ("2-2-all", yes(on)), ("3-1", yes(on))])
    }

    fn codes(v: &Verdict) -> Vec<(Option<&str>, FindingCode)> {
        v.findings
            .iter()
            .map(|f| (f.item_key.as_deref(), f.code))
            .collect()
    }

    /// Asserts which findings a verdict has and which it has not.
    #[track_caller]
    fn assert_findings(v: &Verdict, has: &[(&str, FindingCode)], has_not: &[(&str, FindingCode)]) {
        let c = codes(v);
        for &(key, code) in has {
            assert!(
                c.contains(&(Some(key), code)),
                "{key} {code:?} missing: {c:?}"
            );
        }
        for &(key, code) in has_not {
            assert!(
                !c.contains(&(Some(key), code)),
                "{key} {code:?} found: {c:?}"
            );
        }
    }

    #[test]
    fn a_complete_checklist_with_the_chart_seen_is_ready() {
        let v = judge(
            &rules("r5", false),
            2023,
            &all_yes(d(2023, 7, 1)),
            Some(true),
        );
        assert!(v.ready, "{:?}", v.findings);
        assert_eq!(
            codes(&v),
            vec![(None, FindingCode::ReferenceItemsNotInspected)]
        );
    }

    #[test]
    fn every_required_item_needs_a_first_answer() {
        let v = judge(&rules("r5", false), 2023, &HashMap::new(), Some(true));
        assert!(!v.ready);
        let missing: Vec<_> = v
            .findings
            .iter()
            .filter(|f| f.code == FindingCode::FirstAnswerMissing)
            .filter_map(|f| f.item_key.as_deref())
            .collect();
        assert_eq!(missing, vec!["1-1", "2-2-all", "3-1"]);
    }

    #[test]
    fn vendor_items_are_not_inspected_without_a_vendor_contract() {
        let on = d(2023, 7, 1);
        let answers = answers([("1-1", yes(on)), ("3-1", yes(on))]);
        let without_vendor = profile(true, false);
        let v = run(
            &r5(),
            &rules("r5", false),
            2023,
            without_vendor,
            &answers,
            Some(true),
        );
        assert!(v.ready, "{:?}", v.findings);
    }

    #[test]
    fn no_medical_information_system_means_ready_with_nothing_to_check() {
        let no_system = profile(false, true);
        let v = run(
            &r5(),
            &rules("r5", false),
            2023,
            no_system,
            &HashMap::new(),
            None,
        );
        assert!(v.ready);
        assert_eq!(
            codes(&v),
            vec![(None, FindingCode::NoMedicalInformationSystem)]
        );
    }

    #[test]
    fn a_no_without_target_date_blocks_and_a_no_is_advised() {
        let on = d(2023, 7, 1);
        let answers = answers([
            ("1-1", no(on, None)),
            ("2-2-all", no(on, Some(d(2023, 12, 1)))),
            ("3-1", yes(on)),
        ]);
        let v = judge(&rules("r5", false), 2023, &answers, Some(true));
        assert!(!v.ready);
        assert_findings(
            &v,
            &[
                ("1-1", FindingCode::TargetDateMissing),
                ("1-1", FindingCode::AnsweredNo),
                ("2-2-all", FindingCode::AnsweredNo),
            ],
            &[("2-2-all", FindingCode::TargetDateMissing)],
        );
    }

    #[test]
    fn the_contact_chart_must_be_seen_on_site() {
        let answers = all_yes(d(2023, 7, 1));
        for (seen, code) in [
            (None, FindingCode::ContactChartNotSeen),
            (Some(false), FindingCode::ContactChartMissing),
        ] {
            let v = judge(&rules("r5", false), 2023, &answers, seen);
            assert!(!v.ready, "{seen:?}");
            assert_findings(&v, &[("3-1", code)], &[]);
        }
        let mut lax = rules("r5", false);
        lax.contact_chart_seen_on_site = false;
        assert!(judge(&lax, 2023, &answers, None).ready);
    }

    #[test]
    fn reference_items_are_inspected_once_required() {
        let answers = all_yes(d(2024, 7, 1));
        // The same items in 2024: 2(7) サーバ and 3(3) are now required.
        let v = judge(&rules("r6", true), 2024, &answers, Some(true));
        assert_findings(
            &v,
            &[
                ("2-7-server", FindingCode::FirstAnswerMissing),
                ("3-3", FindingCode::FirstAnswerMissing),
            ],
            &[],
        );
        let mut strict = rules("r5", false);
        strict.inspect_reference_items = true;
        let v = judge(&strict, 2023, &answers, Some(true));
        assert_findings(&v, &[("2-7-server", FindingCode::FirstAnswerMissing)], &[]);
    }

    #[test]
    fn the_bcp_is_looked_at_from_r6() {
        let answers = answers([("3-3", no(d(2024, 7, 1), Some(d(2025, 1, 1))))]);
        let bcp_not_in_place = [("3-3", FindingCode::BcpNotInPlace)];
        let v = judge(&rules("r6", true), 2024, &answers, Some(true));
        assert_findings(&v, &bcp_not_in_place, &[]);
        let v = judge(&rules("r6", false), 2024, &answers, Some(true));
        assert_findings(&v, &[], &bcp_not_in_place);
    }

    #[test]
    fn rules_follow_the_role_when_a_version_renumbers_its_items() {
        // A later version that prints the contact chart as 3(4) and the BCP as 3(1).
        let mut version = r5();
        for i in &mut version.items {
            match i.role {
                Some(ItemRole::ContactChart) => (i.key, i.number) = ("3-4".into(), "3(4)".into()),
                Some(ItemRole::Bcp) => (i.key, i.number) = ("3-1".into(), "3(1)".into()),
                _ => {}
            }
        }
        let on = d(2024, 7, 1);
        let answers = answers([("3-4", yes(on)), ("3-1", no(on, Some(d(2025, 1, 1))))]);
        let v = run(
            &version,
            &rules("r6", true),
            2024,
            profile(true, true),
            &answers,
            None,
        );
        assert_findings(
            &v,
            &[
                ("3-4", FindingCode::ContactChartNotSeen),
                ("3-1", FindingCode::BcpNotInPlace),
            ],
            &[("3-1", FindingCode::ContactChartNotSeen)],
        );
        let chart = v
            .findings
            .iter()
            .find(|f| f.code == FindingCode::ContactChartNotSeen)
            .expect("chart finding");
        let shown = chart.message.render(Lang::Ja);
        assert!(shown.starts_with("3(4):"), "{shown}");
    }

    #[test]
    fn target_dates_outside_the_year_and_overdue_second_checks_are_advised() {
        let on = d(2023, 5, 1);
        let answers = answers([
            ("1-1", no(on, Some(d(2024, 5, 1)))),
            ("2-2-all", no(on, Some(d(2023, 9, 1)))),
            ("3-1", yes(d(2023, 7, 1))),
        ]);
        let v = judge(&rules("r5", false), 2023, &answers, Some(true));
        assert!(v.ready, "advice does not block: {:?}", v.findings);
        assert_findings(
            &v,
            &[
                ("1-1", FindingCode::TargetDateOutsideFiscalYear),
                ("2-2-all", FindingCode::SecondCheckDue),
            ],
            &[("1-1", FindingCode::SecondCheckDue)],
        );
        let mut quiet = rules("r5", false);
        quiet.target_date_within_fiscal_year = false;
        let v = judge(&quiet, 2023, &answers, Some(true));
        assert_findings(
            &v,
            &[],
            &[("1-1", FindingCode::TargetDateOutsideFiscalYear)],
        );
    }

    #[test]
    fn blocking_findings_come_first() {
        let v = judge(&rules("r5", false), 2023, &HashMap::new(), None);
        let severities: Vec<_> = v.findings.iter().map(|f| f.severity).collect();
        let mut sorted = severities.clone();
        sorted.sort();
        assert_eq!(severities, sorted);
    }

    #[test]
    fn progress_counts_required_items_only() {
        let version = r5();
        let on = d(2023, 7, 1);
        let answers = answers([
            ("1-1", no(on, None)),
            ("3-1", yes(on)),
            ("2-7-server", yes(on)),
        ]);
        let p = progress(&version, fy(2023), &profile(true, false), &answers);
        assert_eq!(p.required, 2);
        assert_eq!(p.answered, 2);
        assert_eq!(p.yes, 1);
        assert_eq!(p.no, 1);
        assert_eq!(p.missing_target_dates, 1);
        assert_eq!(p.reference, 2);
        assert_eq!(p.not_applicable, 1);
        assert_eq!(p.percent(), 100);
    }
}
