//! The training content library (`catalog/training/library.toml`): materials per audience
//! and e-learning links, each with its source, checked at load.

use std::collections::HashSet;
use std::path::Path;

use mamori_domain::training::Audience;
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

impl MaterialKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Portal => "ポータルサイト",
            Self::ELearning => "e-learning",
            Self::CourseOutline => "研修の概要",
            Self::Document => "資料",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Portal => "Portal",
            Self::ELearning => "E-learning",
            Self::CourseOutline => "Course outline",
            Self::Document => "Document",
        }
    }
}

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
    let raw: RawLibrary = match read(&path) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(e);
            return TrainingLibrary::default();
        }
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
                Err(e) => problem(e.message_en),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (TrainingLibrary, Vec<CatalogError>) {
        let dir = std::env::temp_dir().join(format!(
            "mamori_training_catalog_{}_{}",
            std::process::id(),
            text.len()
        ));
        std::fs::create_dir_all(dir.join("training")).expect("dir");
        std::fs::write(dir.join("training").join("library.toml"), text).expect("write");
        let mut errors = Vec::new();
        let library = load(&dir, &mut errors);
        let _ = std::fs::remove_dir_all(&dir);
        (library, errors)
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
        let (_, errors) = load_text(
            r#"
sources = ["x"]
[[materials]]
id = "Bad Id"
kind = "portal"
audiences = ["everyone", "manager", "manager"]
title_ja = ""
title_en = "t"
url = "http://insecure.example"
description_ja = "d"
description_en = "d"
source = "s"
[[materials]]
id = "ok"
kind = "document"
audiences = []
title_ja = "t"
title_en = "t"
description_ja = "d"
description_en = "d"
source = "s"
[[materials]]
id = "ok"
kind = "document"
audiences = ["beginner"]
title_ja = "t"
title_en = "t"
description_ja = "d"
description_en = "d"
source = "s"
"#,
        );
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
}
