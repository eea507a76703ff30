//! Loads `catalog/incident/first_steps.toml`: the first-response steps (初動対応) of the
//! consultation desk, each with the condition under which it is shown, as
//! `mamori_domain::incident::FirstStepRules`, checked by `FirstStepRules::validate` (codes
//! unique, texts not empty, every code mamori requires present). The file is required: the
//! incident pages and API have no other steps.

use std::path::Path;

use mamori_domain::incident::{FirstStep, FirstStepRules, StepCondition, StepRule};
use serde::Deserialize;

use crate::CatalogError;

/// Where the file lives under the catalog folder.
pub const FIRST_STEPS_FILE: &str = "incident/first_steps.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title_ja: String,
    title_en: String,
    sources: Vec<String>,
    /// What was confirmed and what was written for mamori: for the reader of the file.
    #[serde(rename = "notes")]
    _notes: String,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    code: String,
    when: String,
    general: bool,
    title_ja: String,
    title_en: String,
    detail_ja: String,
    detail_en: String,
    otherwise: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    code: String,
    title_ja: String,
    title_en: String,
    detail_ja: String,
    detail_en: String,
}

impl From<RawText> for FirstStep {
    fn from(t: RawText) -> Self {
        Self {
            code: t.code,
            title_ja: t.title_ja,
            title_en: t.title_en,
            detail_ja: t.detail_ja,
            detail_en: t.detail_en,
        }
    }
}

/// Loads `dir/incident/first_steps.toml`, collecting every problem; the rules are empty when
/// there is one (and the catalog is refused).
pub fn load(dir: &Path, errors: &mut Vec<CatalogError>) -> FirstStepRules {
    let path = dir.join(FIRST_STEPS_FILE);
    let missing = "missing: the first-response steps (初動対応) of the incident pages are read from this file";
    let Some(raw) = crate::read_required(&path, missing, errors, |path| {
        crate::read_table::<RawFile>(path, "steps")
    }) else {
        return FirstStepRules::default();
    };
    let before = errors.len();
    let titles = [
        ("title_ja", raw.title_ja.as_str()),
        ("title_en", &raw.title_en),
    ];
    crate::check_sources_and_titles(&path, &raw.sources, titles, errors);
    let mut steps = Vec::with_capacity(raw.steps.len());
    for s in raw.steps {
        let Some(when) = StepCondition::parse(&s.when) else {
            let known: Vec<&str> = StepCondition::ALL.iter().map(|c| c.as_str()).collect();
            errors.push(CatalogError::new(
                &path,
                Some(&s.code),
                format!(
                    "unknown condition when = '{}' (one of {})",
                    s.when,
                    known.join(", ")
                ),
            ));
            continue;
        };
        steps.push(StepRule {
            when,
            general: s.general,
            otherwise: s.otherwise.map(FirstStep::from),
            step: FirstStep {
                code: s.code,
                title_ja: s.title_ja,
                title_en: s.title_en,
                detail_ja: s.detail_ja,
                detail_en: s.detail_en,
            },
        });
    }
    let rules = FirstStepRules { steps };
    if let Err(problems) = rules.validate() {
        for p in problems {
            errors.push(CatalogError::new(&path, p.step.as_deref(), p.problem));
        }
    }
    crate::unless_refused(errors, before, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled_text() -> String {
        std::fs::read_to_string(crate::bundled_dir().join(FIRST_STEPS_FILE)).expect("bundled")
    }

    fn load_text(name: &str, text: Option<&str>) -> (FirstStepRules, Vec<String>) {
        let files: Vec<(&str, &str)> = text
            .map(|text| (FIRST_STEPS_FILE, text))
            .into_iter()
            .collect();
        let name = format!("first-steps-{name}");
        let (rules, errors) = crate::tests::load_scratch(&name, &files, load);
        (rules, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn the_bundled_steps_load() {
        let mut errors = Vec::new();
        let rules = load(&crate::bundled_dir(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rules.steps.len(), 8);
        assert_eq!(rules.general().len(), 7);
    }

    #[test]
    fn unknown_conditions_are_refused_with_the_step() {
        let text = bundled_text().replacen("when = \"ransom_note\"", "when = \"ransom\"", 1);
        let (rules, errors) = load_text("unknown", Some(&text));
        let all = errors.join("\n");
        assert!(
            all.contains("first_steps.toml: item do_not_pay: unknown condition when = 'ransom'")
                && all.contains("serious_or_vendor_warning"),
            "{all}"
        );
        assert!(
            all.contains("no step has the code 'do_not_pay'"),
            "the step is dropped, so its code is missing too: {all}"
        );
        assert!(rules.steps.is_empty(), "a refused file gives no rules");
    }

    #[test]
    fn duplicate_codes_and_empty_texts_are_refused() {
        let text = bundled_text()
            .replacen("code = \"keep_evidence\"", "code = \"keep_power_on\"", 1)
            .replacen("title_en = \"Call your vendor\"", "title_en = \"  \"", 1);
        let (_, errors) = load_text("duplicate", Some(&text));
        let all = errors.join("\n");
        for expected in [
            "item keep_power_on: duplicate code 'keep_power_on': step 2 already has it",
            "item call_vendor: title_en is empty",
            "no step has the code 'keep_evidence', which mamori requires",
        ] {
            assert!(all.contains(expected), "{expected} in\n{all}");
        }
    }

    #[test]
    fn a_file_without_a_required_step_or_no_file_is_refused() {
        let text = bundled_text();
        let start = text
            .find("[[steps]]\ncode = \"personal_data\"")
            .expect("step");
        let (_, errors) = load_text("no-personal-data", Some(&text[..start]));
        assert_eq!(
            errors,
            [format!(
                "{}: no step has the code 'personal_data', which mamori requires",
                std::env::temp_dir()
                    .join(format!(
                        "mamori-catalog-first-steps-no-personal-data-{}",
                        std::process::id()
                    ))
                    .join(FIRST_STEPS_FILE)
                    .display()
            )]
        );
        let (_, errors) = load_text("missing", None);
        assert!(
            errors[0].contains("first_steps.toml: missing"),
            "{errors:?}"
        );
        let (_, errors) = load_text(
            "field",
            Some(&text.replacen("general = true", "shown = true", 1)),
        );
        assert!(
            errors[0].contains("item isolate_network") && errors[0].contains("shown"),
            "{errors:?}"
        );
    }
}
