//! The first-response steps (初動対応) for a report. The steps, their wording and the condition
//! under which each is shown are data (`catalog/incident/first_steps.toml`, loaded as
//! [`FirstStepRules`]); this module evaluates the closed set of conditions ([`StepCondition`])
//! against a report and checks a rule set ([`FirstStepRules::validate`]).

use serde::Serialize;

use super::{Report, Symptom, Urgency, urgency};

/// One first-response step (初動対応), in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirstStep {
    /// A stable code: `isolate_network`, `keep_power_on`, `keep_evidence`, `do_not_pay`,
    /// `call_vendor`, `tell_management`, `report_authorities`, `personal_data`, `watch`
    /// (every one of them required, [`FirstStepRules::REQUIRED_CODES`]).
    pub code: String,
    pub title_ja: String,
    pub title_en: String,
    pub detail_ja: String,
    pub detail_en: String,
}

crate::wire_enum! {
    /// When a step is shown: a closed set of conditions on the report, evaluated here.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StepCondition {
        /// Every report.
        Always,
        /// The report's [`urgency`] is critical or high.
        Serious,
        /// Serious, or a vendor warned ([`Symptom::VendorWarning`]).
        SeriousOrVendorWarning,
        /// A ransom note ([`Symptom::RansomNote`]).
        RansomNote,
        /// A ransom note or encrypted files ([`Symptom::FilesEncrypted`]).
        RansomNoteOrFilesEncrypted,
    }
    parse(exact) -> Option;
}

impl StepCondition {
    fn holds(self, facts: &Facts) -> bool {
        match self {
            Self::Always => true,
            Self::Serious => facts.serious,
            Self::SeriousOrVendorWarning => facts.serious || facts.vendor_warning,
            Self::RansomNote => facts.ransom_note,
            Self::RansomNoteOrFilesEncrypted => facts.ransom_note || facts.files_encrypted,
        }
    }
}

/// What the conditions read from a report, worked out once.
struct Facts {
    serious: bool,
    vendor_warning: bool,
    ransom_note: bool,
    files_encrypted: bool,
}

impl Facts {
    fn of(report: &Report) -> Self {
        let has = |s: Symptom| report.symptoms.contains(&s);
        Self {
            serious: matches!(urgency(report), Urgency::Critical | Urgency::High),
            vendor_warning: has(Symptom::VendorWarning),
            ransom_note: has(Symptom::RansomNote),
            files_encrypted: has(Symptom::FilesEncrypted),
        }
    }
}

/// One entry of the rule, in the order shown: `step` when `when` holds, else `otherwise`
/// (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRule {
    pub when: StepCondition,
    pub step: FirstStep,
    /// Shown when `when` does not hold; it may keep the step's code (the same step, worded
    /// for the other case).
    pub otherwise: Option<FirstStep>,
    /// Whether `step` (never `otherwise`) is among the steps shown to someone without an
    /// institution to report for ([`FirstStepRules::general`]).
    pub general: bool,
}

/// The first-response rule: the steps in order, each with its condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstStepRules {
    pub steps: Vec<StepRule>,
}

/// A problem of a rule set, naming the step (its code) when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepProblem {
    pub step: Option<String>,
    pub problem: String,
}

impl StepProblem {
    fn new(step: Option<&str>, problem: impl Into<String>) -> Self {
        Self {
            step: step.map(str::to_owned),
            problem: problem.into(),
        }
    }
}

impl FirstStepRules {
    /// The codes the API documents (`FirstStepJson.code`) and the pages and tests rely on:
    /// a rule set without one of them is refused.
    pub const REQUIRED_CODES: [&'static str; 9] = [
        "isolate_network",
        "keep_power_on",
        "keep_evidence",
        "do_not_pay",
        "call_vendor",
        "tell_management",
        "report_authorities",
        "personal_data",
        "watch",
    ];

    /// The steps for a report, in order.
    pub fn for_report(&self, report: &Report) -> Vec<FirstStep> {
        let facts = Facts::of(report);
        self.steps
            .iter()
            .filter_map(|rule| {
                if rule.when.holds(&facts) {
                    Some(&rule.step)
                } else {
                    rule.otherwise.as_ref()
                }
            })
            .cloned()
            .collect()
    }

    /// The steps shown to someone without an institution to report for (signed out, a
    /// vendor, an inspector), in order: those marked `general`, in their `when` form.
    pub fn general(&self) -> Vec<FirstStep> {
        self.steps
            .iter()
            .filter(|rule| rule.general)
            .map(|rule| rule.step.clone())
            .collect()
    }

    /// Every problem of the rule set: no step; a code that is not lower-case letters, digits
    /// and `_`; an empty text; a code used by two entries (an entry's `otherwise` may keep
    /// its own code); an `otherwise` that can never show (`when = always`); no general step;
    /// a required code missing.
    pub fn validate(&self) -> Result<(), Vec<StepProblem>> {
        let mut problems = Vec::new();
        if self.steps.is_empty() {
            problems.push(StepProblem::new(None, "no steps"));
        }
        let mut owner: Vec<(&str, usize)> = Vec::new();
        for (index, rule) in self.steps.iter().enumerate() {
            let name = Some(rule.step.code.as_str());
            for (form, step) in std::iter::once(("", &rule.step))
                .chain(rule.otherwise.as_ref().map(|s| ("otherwise: ", s)))
            {
                let valid_code = !step.code.is_empty()
                    && step
                        .code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !valid_code {
                    problems.push(StepProblem::new(
                        name,
                        format!(
                            "{form}code '{}' must be lower-case letters, digits and '_'",
                            step.code
                        ),
                    ));
                }
                for (field, text) in [
                    ("title_ja", &step.title_ja),
                    ("title_en", &step.title_en),
                    ("detail_ja", &step.detail_ja),
                    ("detail_en", &step.detail_en),
                ] {
                    if text.trim().is_empty() {
                        problems.push(StepProblem::new(name, format!("{form}{field} is empty")));
                    }
                }
                match owner.iter().find(|(code, _)| *code == step.code) {
                    Some((_, other)) if *other != index => problems.push(StepProblem::new(
                        name,
                        format!(
                            "duplicate code '{}': step {} already has it",
                            step.code,
                            other + 1
                        ),
                    )),
                    Some(_) => {}
                    None => owner.push((step.code.as_str(), index)),
                }
            }
            if rule.otherwise.is_some() && rule.when == StepCondition::Always {
                problems.push(StepProblem::new(
                    name,
                    "otherwise is never shown: the step's condition is 'always'",
                ));
            }
        }
        if !self.steps.is_empty() && !self.steps.iter().any(|r| r.general) {
            problems.push(StepProblem::new(
                None,
                "no step is general: the guide for those without an institution would be empty",
            ));
        }
        for code in Self::REQUIRED_CODES {
            if !owner.iter().any(|(c, _)| *c == code) {
                problems.push(StepProblem::new(
                    None,
                    format!("no step has the code '{code}', which mamori requires"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// The first-response steps for a report under `rules`, in the order to take them.
pub fn first_steps(rules: &FirstStepRules, report: &Report) -> Vec<FirstStep> {
    rules.for_report(report)
}

/// The steps shown to someone without an institution to report for under `rules`.
pub fn general_first_steps(rules: &FirstStepRules) -> Vec<FirstStep> {
    rules.general()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::tests::report;
    use crate::incident::{AffectedSystem as Sys, CareImpact as Care, Symptom as S};

    fn step(code: &str, title_ja: &str) -> FirstStep {
        FirstStep {
            code: code.into(),
            title_ja: title_ja.into(),
            title_en: format!("{code} (en)"),
            detail_ja: format!("{title_ja}の説明"),
            detail_en: format!("{code}: detail"),
        }
    }

    fn rule(when: StepCondition, s: FirstStep, otherwise: Option<FirstStep>) -> StepRule {
        StepRule {
            when,
            // Every step but the personal-data check is general.
            general: s.code != "personal_data",
            step: s,
            otherwise,
        }
    }

    /// The shape of `catalog/incident/first_steps.toml`, with short texts (the bundled file
    /// itself is checked against the steps as they were coded in mamori-catalog's tests).
    fn rules() -> FirstStepRules {
        use StepCondition::*;
        FirstStepRules {
            steps: vec![
                rule(
                    SeriousOrVendorWarning,
                    step("isolate_network", "ネットワークから切り離す"),
                    Some(step("watch", "様子を記録し、変化があればすぐ連絡する")),
                ),
                rule(
                    Always,
                    step("keep_power_on", "電源は切らない・再起動しない"),
                    None,
                ),
                rule(Always, step("keep_evidence", "記録を残す"), None),
                rule(RansomNote, step("do_not_pay", "身代金を払わない"), None),
                rule(Always, step("call_vendor", "保守事業者に連絡する"), None),
                rule(Always, step("tell_management", "管理者に報告する"), None),
                rule(
                    Serious,
                    step("report_authorities", "厚生労働省と警察に報告する"),
                    Some(step(
                        "report_authorities",
                        "攻撃とわかったら厚生労働省と警察に報告する",
                    )),
                ),
                rule(
                    RansomNoteOrFilesEncrypted,
                    step("personal_data", "患者情報の漏えいのおそれを確認する"),
                    None,
                ),
            ],
        }
    }

    fn codes(steps: &[FirstStep]) -> Vec<&str> {
        steps.iter().map(|s| s.code.as_str()).collect()
    }

    #[test]
    fn a_ransom_note_gets_every_step_isolation_first() {
        let steps = first_steps(&rules(), &report(&[S::RansomNote], &[Sys::Emr], Care::Yes));
        // Every required step but the last, `watch`, in the rules' order.
        assert_eq!(codes(&steps), FirstStepRules::REQUIRED_CODES[..8]);
        assert_eq!(FirstStepRules::REQUIRED_CODES[8], "watch");
        assert_eq!(steps[6].title_ja, "厚生労働省と警察に報告する");
    }

    #[test]
    fn a_low_case_keeps_watch_and_reports_once_confirmed() {
        let rules = rules();
        let steps = first_steps(&rules, &report(&[S::Other], &[Sys::Other], Care::No));
        assert_eq!(
            codes(&steps),
            [
                "watch",
                "keep_power_on",
                "keep_evidence",
                "call_vendor",
                "tell_management",
                "report_authorities"
            ]
        );
        assert!(steps[5].title_ja.starts_with("攻撃とわかったら"));
        let warned = first_steps(
            &rules,
            &report(&[S::VendorWarning], &[Sys::Network], Care::No),
        );
        assert_eq!(
            warned[0].code, "isolate_network",
            "a vendor's warning isolates"
        );
        assert!(
            warned[5].title_ja.starts_with("攻撃とわかったら"),
            "a warning alone is not serious"
        );
        let encrypted = first_steps(
            &rules,
            &report(&[S::FilesEncrypted], &[Sys::Pacs], Care::No),
        );
        assert!(codes(&encrypted).contains(&"personal_data"));
        assert!(!codes(&encrypted).contains(&"do_not_pay"));
        let high = first_steps(
            &rules,
            &report(&[S::StrangeTraffic], &[Sys::Network], Care::No),
        );
        assert_eq!(high[0].code, "isolate_network");
        assert_eq!(high[5].title_ja, "厚生労働省と警察に報告する");
    }

    #[test]
    fn the_general_steps_are_the_serious_cases_without_the_data_check() {
        // Those of a ransom note but the last, `personal_data`.
        assert_eq!(
            codes(&general_first_steps(&rules())),
            FirstStepRules::REQUIRED_CODES[..7]
        );
        assert_eq!(FirstStepRules::REQUIRED_CODES[7], "personal_data");
        assert_eq!(
            general_first_steps(&rules())[6].title_ja,
            "厚生労働省と警察に報告する"
        );
    }

    #[test]
    fn conditions_parse_back() {
        for c in StepCondition::ALL {
            assert_eq!(StepCondition::parse(c.as_str()), Some(c));
        }
        assert_eq!(StepCondition::parse("ransom"), None);
    }

    #[test]
    fn a_valid_rule_set_passes_and_bad_ones_are_named() {
        assert_eq!(rules().validate(), Ok(()));
        let problems = |r: FirstStepRules| -> Vec<String> {
            r.validate()
                .expect_err("refused")
                .into_iter()
                .map(|p| format!("{}: {}", p.step.unwrap_or_default(), p.problem))
                .collect()
        };
        let empty = problems(FirstStepRules::default());
        assert_eq!(empty[0], ": no steps");
        assert_eq!(
            empty.len(),
            1 + FirstStepRules::REQUIRED_CODES.len(),
            "{empty:?}"
        );

        let mut bad = rules();
        bad.steps[1].step.title_en = " ".into();
        bad.steps[2].step.code = "call_vendor".into();
        bad.steps[3].step.code = "Do-Not-Pay".into();
        bad.steps[4].when = StepCondition::Always;
        bad.steps[4].otherwise = Some(step("tell_management", "t"));
        let all = problems(bad).join("\n");
        for expected in [
            "keep_power_on: title_en is empty",
            "call_vendor: duplicate code 'call_vendor': step 3 already has it",
            "Do-Not-Pay: code 'Do-Not-Pay' must be lower-case",
            "tell_management: duplicate code 'tell_management': step 5 already has it",
            "call_vendor: otherwise is never shown",
            ": no step has the code 'keep_evidence'",
            ": no step has the code 'do_not_pay'",
        ] {
            assert!(all.contains(expected), "{expected} in\n{all}");
        }

        let mut none_general = rules();
        for r in &mut none_general.steps {
            r.general = false;
        }
        assert!(
            problems(none_general)
                .join("\n")
                .contains("no step is general")
        );
    }
}
