//! The training content library (`catalog/training/library.toml`): materials per audience
//! and e-learning links, each with its source, checked at load; and the yearly training
//! obligation (`catalog/training/obligation.toml`), checked by `ObligationRule::validate`.

use std::collections::HashSet;
use std::path::Path;

use mamori_domain::InstitutionKind;
use mamori_domain::training::{Audience, ObligationRule};
use serde::Deserialize;

use crate::{CatalogError, read};

/// What a material is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// The training portal itself.
    Portal,
    /// An e-learning programme, open without registration.
    ELearning,
    /// The outline of a course, as the programme describes it.
    CourseOutline,
    /// A document to read.
    Document,
}

mamori_domain::labels!(MaterialKind {
    Portal => "domain-labels-material-kind-portal",
    ELearning => "domain-labels-material-kind-e-learning",
    CourseOutline => "domain-labels-material-kind-course-outline",
    Document => "domain-labels-material-kind-document",
});

/// One entry of the content library (コンテンツ集).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub id: String,
    pub kind: MaterialKind,
    pub audiences: Vec<Audience>,
    pub title_ja: String,
    pub title_en: String,
    pub url: Option<String>,
    pub description_ja: String,
    pub description_en: String,
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingLibrary {
    pub sources: Vec<String>,
    pub materials: Vec<Material>,
}

impl TrainingLibrary {
    /// The materials for one audience, in file order.
    pub fn for_audience(&self, audience: Audience) -> impl Iterator<Item = &Material> {
        self.materials
            .iter()
            .filter(move |m| m.audiences.contains(&audience))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLibrary {
    sources: Vec<String>,
    materials: Vec<RawMaterial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaterial {
    id: String,
    kind: MaterialKind,
    audiences: Vec<String>,
    title_ja: String,
    title_en: String,
    #[serde(default)]
    url: Option<String>,
    description_ja: String,
    description_en: String,
    source: String,
}

/// Loads `dir/training/library.toml`, collecting every problem. A catalog without the file
/// (one made for a test, say) has an empty library; a file that is there must be valid.
pub fn load(dir: &Path, errors: &mut Vec<CatalogError>) -> TrainingLibrary {
    let path = dir.join("training").join("library.toml");
    if !path.exists() {
        return TrainingLibrary::default();
    }
    let Some(raw) = read::<RawLibrary>(&path).map_err(|e| errors.push(e)).ok() else {
        return TrainingLibrary::default();
    };
    if raw.sources.iter().all(|s| s.trim().is_empty()) {
        errors.push(CatalogError::new(
            &path,
            None,
            "the library names no source",
        ));
    }
    let mut seen = HashSet::new();
    let mut materials = Vec::with_capacity(raw.materials.len());
    for m in raw.materials {
        let item = Some(m.id.as_str());
        let mut problem = |text: String| errors.push(CatalogError::new(&path, item, text));
        let valid_id = !m.id.is_empty()
            && m.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_id {
            problem(format!(
                "id '{}' must be lower-case letters, digits and '-'",
                m.id
            ));
        }
        if !seen.insert(m.id.clone()) {
            problem(format!("duplicate material id '{}'", m.id));
        }
        for (field, value) in [
            ("title_ja", &m.title_ja),
            ("title_en", &m.title_en),
            ("description_ja", &m.description_ja),
            ("description_en", &m.description_en),
            ("source", &m.source),
        ] {
            if value.trim().is_empty() {
                problem(format!("{field} is empty"));
            }
        }
        if let Some(url) = &m.url
            && (!url.starts_with("https://") || url.contains(char::is_whitespace))
        {
            problem(format!("url '{url}' must be an https:// address"));
        }
        let mut audiences = Vec::new();
        for a in &m.audiences {
            match Audience::parse(a) {
                Ok(a) if !audiences.contains(&a) => audiences.push(a),
                Ok(_) => problem(format!("audience '{a}' is listed twice")),
                Err(e) => problem(e.to_string()),
            }
        }
        if m.audiences.is_empty() {
            problem("a material needs at least one audience".into());
        }
        materials.push(Material {
            id: m.id,
            kind: m.kind,
            audiences,
            title_ja: m.title_ja,
            title_en: m.title_en,
            url: m.url,
            description_ja: m.description_ja,
            description_en: m.description_en,
            source: m.source,
        });
    }
    TrainingLibrary {
        sources: raw.sources,
        materials,
    }
}

/// Where the obligation lives under the catalog folder.
pub const OBLIGATION_FILE: &str = "training/obligation.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObligation {
    title_ja: String,
    title_en: String,
    kinds: Vec<String>,
    min_beds: i64,
    min_sessions: usize,
    sources: Vec<String>,
    /// What the source says and how mamori reads it: for the reader of the file.
    #[serde(rename = "notes")]
    _notes: String,
}

/// Loads `dir/training/obligation.toml`, collecting every problem. The file is required:
/// the training record judges the obligation by it. On a problem the rule returned binds
/// nobody (and the catalog is refused).
pub fn load_obligation(dir: &Path, errors: &mut Vec<CatalogError>) -> ObligationRule {
    let path = dir.join(OBLIGATION_FILE);
    let missing =
        "missing: the yearly training obligation (診療録管理体制加算) is read from this file";
    let Some(raw) = crate::read_required::<RawObligation>(&path, missing, errors, read) else {
        return ObligationRule::default();
    };
    let before = errors.len();
    let titles = [
        ("title_ja", raw.title_ja.as_str()),
        ("title_en", &raw.title_en),
    ];
    crate::check_sources_and_titles(&path, &raw.sources, titles, errors);
    let mut problem = |text: String| errors.push(CatalogError::new(&path, None, text));
    let mut kinds = Vec::with_capacity(raw.kinds.len());
    for k in &raw.kinds {
        match InstitutionKind::parse(k) {
            Ok(kind) => kinds.push(kind),
            Err(e) => problem(e.to_string()),
        }
    }
    let rule = ObligationRule {
        kinds,
        min_beds: raw.min_beds,
        min_sessions: raw.min_sessions,
    };
    if let Err(problems) = rule.validate() {
        for p in problems {
            problem(format!("{}: {}", p.field, p));
        }
    }
    crate::unless_refused(errors, before, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (TrainingLibrary, Vec<CatalogError>) {
        // Each test's library differs in length, which names its folder.
        let name = format!("training-library-{}", text.len());
        crate::tests::load_scratch(&name, &[("training/library.toml", text)], load)
    }

    #[test]
    fn the_bundled_library_loads_with_every_audience_served() {
        let mut errors = Vec::new();
        let library = load(&crate::bundled_dir(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        for a in Audience::ALL {
            assert!(library.for_audience(a).count() >= 2, "{a:?}");
        }
        assert!(
            library
                .materials
                .iter()
                .any(|m| m.url.as_deref() == Some("https://mhlw-training.saj.or.jp/"))
        );
    }

    #[test]
    fn bad_entries_are_named() {
        // A material whose other fields are filled in.
        let material = |id: &str, kind: &str, audiences: &str, title_ja: &str, url: &str| {
            format!(
                "[[materials]]\nid = \"{id}\"\nkind = \"{kind}\"\naudiences = {audiences}\n\
                 title_ja = \"{title_ja}\"\ntitle_en = \"t\"\n{url}description_ja = \"d\"\n\
                 description_en = \"d\"\nsource = \"s\"\n"
            )
        };
        let library = [
            "sources = [\"x\"]\n".to_owned(),
            material(
                "Bad Id",
                "portal",
                r#"["everyone", "manager", "manager"]"#,
                "",
                "url = \"http://insecure.example\"\n",
            ),
            material("ok", "document", "[]", "t", ""),
            material("ok", "document", r#"["beginner"]"#, "t", ""),
        ];
        let (_, errors) = load_text(&library.concat());
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let all = text.join("\n");
        for expected in [
            "lower-case",
            "everyone",
            "listed twice",
            "title_ja is empty",
            "https://",
            "at least one audience",
            "duplicate material id 'ok'",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
    }

    fn load_obligation_text(name: &str, text: &str) -> Vec<String> {
        let name = format!("training-obligation-{name}");
        let files = [(OBLIGATION_FILE, text)];
        let (_, errors) = crate::tests::load_scratch(&name, &files, load_obligation);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_bundled_obligation_is_hospitals_of_400_beds_once_a_year() {
        let mut errors = Vec::new();
        let rule = load_obligation(&crate::bundled_dir(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        // The rule as it was coded (OBLIGATION_MIN_BEDS = 400, hospitals, one training).
        assert_eq!(
            rule,
            ObligationRule {
                kinds: vec![InstitutionKind::Hospital],
                min_beds: 400,
                min_sessions: 1,
            }
        );
    }

    #[test]
    fn a_bad_or_missing_obligation_is_refused() {
        let bundled =
            std::fs::read_to_string(crate::bundled_dir().join(OBLIGATION_FILE)).expect("bundled");
        let errors = load_obligation_text(
            "bad",
            &bundled
                .replace(
                    "kinds = [\"hospital\"]",
                    "kinds = [\"hospital\", \"hospitals\"]",
                )
                .replace("min_sessions = 1", "min_sessions = 0"),
        );
        let all = errors.join("\n");
        assert!(
            all.contains("obligation.toml: kind 'hospitals' must be one of")
                && all.contains("min_sessions must be 1 or more"),
            "{all}"
        );
        let errors = load_obligation_text(
            "beds",
            &bundled.replace("min_beds = 400", "min_beds = \"400\""),
        );
        assert!(
            errors[0].contains("obligation.toml: invalid type"),
            "{errors:?}"
        );
        let mut errors = Vec::new();
        let rule = load_obligation(&std::env::temp_dir().join("mamori-no-catalog"), &mut errors);
        assert!(
            errors[0].to_string().contains("obligation.toml: missing"),
            "{errors:?}"
        );
        assert!(rule.kinds.is_empty());
    }
}
