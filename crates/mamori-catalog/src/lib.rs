//! Loads the versioned rule files under `catalog/` and validates them, so that a malformed
//! file stops mamori at start with a message naming the file, the item and the problem.

pub mod assurance;
pub mod datasets;
pub mod incident;
pub mod roles;
pub mod support;
pub mod training;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use mamori_domain::{
    ChecklistItem, ChecklistVersion, Condition, FiscalYear, FormKind, Gate, InspectionRules,
    ItemRole, Requirement, Scope, Section,
};
use serde::Deserialize;

/// A problem in one catalog file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {problem}", file.display(), item.as_ref().map(|i| format!(": item {i}")).unwrap_or_default())]
pub struct CatalogError {
    pub file: PathBuf,
    pub item: Option<String>,
    pub problem: String,
}

impl CatalogError {
    fn new(file: &Path, item: Option<&str>, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            item: item.map(str::to_owned),
            problem: problem.into(),
        }
    }
}

/// Every problem found while loading, so that one run reports them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the catalog has {} problem(s):\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct CatalogErrors(pub Vec<CatalogError>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: String,
    version: String,
    version_label_ja: String,
    version_label_en: String,
    form: FormKind,
    title_ja: String,
    title_en: String,
    fiscal_years: Vec<i32>,
    published_on: String,
    sources: Vec<String>,
    notes: String,
    gate: Option<Gate>,
    sections: Vec<Section>,
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    key: String,
    section: u8,
    number: String,
    scope: Scope,
    role: Option<ItemRole>,
    text_ja: String,
    text_en: String,
    required_from: Option<i32>,
    #[serde(default)]
    reference_only: bool,
    applies_when: Option<Condition>,
    #[serde(default = "default_true")]
    target_date: bool,
    provenance: Option<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    version: String,
    title_ja: String,
    title_en: String,
    sources: Vec<String>,
    notes: String,
    inspect_reference_items: bool,
    contact_chart_seen_on_site: bool,
    target_date_for_no: bool,
    target_date_within_fiscal_year: bool,
    bcp_checked: bool,
    vendor_forms_checked: bool,
}

/// The loaded, validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub checklists: Vec<ChecklistVersion>,
    pub inspection: BTreeMap<String, InspectionRules>,
    /// Every fiscal year some version is in force, newest first; derived once at load.
    fiscal_years: Vec<FiscalYear>,
    /// The support menus (支援メニュー) by region and fiscal year.
    pub support: support::SupportCatalog,
    /// The training content library (`training/library.toml`).
    pub training: training::TrainingLibrary,
    /// The yearly training obligation of the 診療録管理体制加算 (`training/obligation.toml`).
    pub training_obligation: mamori_domain::training::ObligationRule,
    /// The first-response steps (初動対応) of the incident pages (`incident/first_steps.toml`).
    pub first_steps: mamori_domain::incident::FirstStepRules,
    /// The security-assurance project's years (`assurance/*.toml`), oldest first.
    pub assurance: Vec<mamori_domain::assurance::Program>,
}

impl Catalog {
    /// Loads `dir/checklists/*.toml`, `dir/inspection/*.toml`, `dir/support/*.toml`,
    /// `dir/training/library.toml` and `obligation.toml`, `dir/assurance/*.toml` and
    /// `dir/incident/first_steps.toml`.
    pub fn load(dir: &Path) -> Result<Self, CatalogErrors> {
        let mut errors = Vec::new();
        let mut checklists = Vec::new();
        for path in toml_files(&dir.join("checklists"), &mut errors) {
            match read::<RawChecklist>(&path) {
                Ok(raw) => match convert_checklist(&path, raw) {
                    Ok(v) => checklists.push(v),
                    Err(mut e) => errors.append(&mut e),
                },
                Err(e) => errors.push(e),
            }
        }
        let mut inspection = BTreeMap::new();
        for path in toml_files(&dir.join("inspection"), &mut errors) {
            match read::<RawRules>(&path) {
                Ok(raw) => {
                    if inspection.contains_key(&raw.version) {
                        errors.push(CatalogError::new(
                            &path,
                            None,
                            format!("a second inspection guide for version '{}'", raw.version),
                        ));
                    }
                    inspection.insert(raw.version.clone(), convert_rules(raw));
                }
                Err(e) => errors.push(e),
            }
        }
        checklists
            .sort_by(|a, b| (a.fiscal_years.first(), &a.id).cmp(&(b.fiscal_years.first(), &b.id)));
        let mut fiscal_years: Vec<FiscalYear> = checklists
            .iter()
            .flat_map(|v| v.fiscal_years.iter().copied())
            .collect();
        fiscal_years.sort();
        fiscal_years.dedup();
        fiscal_years.reverse();
        let support = support::load(&dir.join("support"), &mut errors);
        let training = training::load(dir, &mut errors);
        let training_obligation = training::load_obligation(dir, &mut errors);
        let first_steps = incident::load(dir, &mut errors);
        let assurance = assurance::load(&dir.join("assurance"), &mut errors);
        let catalog = Catalog {
            checklists,
            inspection,
            fiscal_years,
            support,
            training,
            training_obligation,
            first_steps,
            assurance,
        };
        catalog.cross_check(dir, &mut errors);
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(CatalogErrors(errors))
        }
    }

    fn cross_check(&self, dir: &Path, errors: &mut Vec<CatalogError>) {
        let mut seen_ids = HashSet::new();
        let mut in_force: HashSet<(FiscalYear, FormKind)> = HashSet::new();
        for v in &self.checklists {
            let file = dir.join("checklists").join(format!("{}.toml", v.id));
            if !seen_ids.insert(v.id.clone()) {
                errors.push(CatalogError::new(
                    &file,
                    None,
                    format!("duplicate checklist id '{}'", v.id),
                ));
            }
            for fy in &v.fiscal_years {
                if !in_force.insert((*fy, v.form)) {
                    errors.push(CatalogError::new(
                        &file,
                        None,
                        format!(
                            "two versions of the {} form are in force in fiscal year {fy}",
                            v.form.as_str()
                        ),
                    ));
                }
            }
            roles::check_required(&file, v, errors);
            if !self.inspection.contains_key(&v.version) {
                errors.push(CatalogError::new(
                    &file,
                    None,
                    format!(
                        "no inspection guide for version '{}' (expected inspection/{}.toml)",
                        v.version, v.version
                    ),
                ));
            }
        }
    }

    /// The version of `form` in force in `fiscal_year`.
    pub fn version_for(
        &self,
        fiscal_year: FiscalYear,
        form: FormKind,
    ) -> Option<&ChecklistVersion> {
        self.checklists
            .iter()
            .find(|v| v.form == form && v.is_in_force(fiscal_year))
    }

    pub fn version_by_id(&self, id: &str) -> Option<&ChecklistVersion> {
        self.checklists.iter().find(|v| v.id == id)
    }

    pub fn rules_for(&self, version: &str) -> Option<&InspectionRules> {
        self.inspection.get(version)
    }

    /// Every fiscal year some version is in force, newest first.
    pub fn fiscal_years(&self) -> &[FiscalYear] {
        &self.fiscal_years
    }
}

fn toml_files(dir: &Path, errors: &mut Vec<CatalogError>) -> Vec<PathBuf> {
    files_ending(dir, "toml").unwrap_or_else(|e| {
        let problem = format!("cannot read the folder: {e}");
        errors.push(CatalogError::new(dir, None, problem));
        Vec::new()
    })
}

/// The files of `dir` named `*.<extension>`, sorted.
fn files_ending(dir: &Path, extension: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == extension))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a file the catalog must have with `read`. A missing file is recorded in `errors` as
/// `missing` (which says what is read from it), an unreadable one as its reader's error;
/// either gives `None`.
fn read_required<T>(
    path: &Path,
    missing: &str,
    errors: &mut Vec<CatalogError>,
    read: impl FnOnce(&Path) -> Result<T, CatalogError>,
) -> Option<T> {
    if !path.is_file() {
        errors.push(CatalogError::new(path, None, missing));
        return None;
    }
    read(path).map_err(|e| errors.push(e)).ok()
}

/// What a file gave, or nothing (the default) when problems were recorded since there were
/// `before` of them: a refused file gives nothing.
fn unless_refused<T: Default>(errors: &[CatalogError], before: usize, value: T) -> T {
    if errors.len() == before {
        value
    } else {
        T::default()
    }
}

/// Records a file that cites no source, or whose titles are blank.
fn check_sources_and_titles(
    path: &Path,
    sources: &[String],
    titles: [(&str, &str); 2],
    errors: &mut Vec<CatalogError>,
) {
    if sources.iter().all(|s| s.trim().is_empty()) {
        errors.push(CatalogError::new(
            path,
            None,
            "sources is empty: every file cites where its text comes from",
        ));
    }
    for (field, value) in titles {
        if value.trim().is_empty() {
            errors.push(CatalogError::new(path, None, format!("{field} is empty")));
        }
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CatalogError> {
    read_table(path, "items")
}

/// Reads a TOML file; a parse error names the entry of the `[[table]]` array it falls in.
fn read_table<T: serde::de::DeserializeOwned>(path: &Path, table: &str) -> Result<T, CatalogError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CatalogError::new(path, None, format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        let item = item_at(&text, table, e.span().map(|s| s.start));
        CatalogError::new(path, item.as_deref(), e.message().to_string())
    })
}

/// The `key` (or `id`, or `code`) of the `[[table]]` entry a byte offset falls in, to name the
/// entry in a parse error.
fn item_at(text: &str, table: &str, offset: Option<usize>) -> Option<String> {
    let offset = offset?;
    let before = text.get(..offset)?;
    let table_start = before.rfind(&format!("[[{table}]]"))?;
    text[table_start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| {
            let l = l.trim();
            ["key", "id", "code"].iter().find_map(|name| {
                l.strip_prefix(name)
                    .and_then(|rest| rest.trim_start().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
        })
}

fn fiscal_year(path: &Path, item: Option<&str>, year: i32) -> Result<FiscalYear, CatalogError> {
    FiscalYear::new(year).map_err(|e| CatalogError::new(path, item, e.to_string()))
}

fn convert_checklist(
    path: &Path,
    raw: RawChecklist,
) -> Result<ChecklistVersion, Vec<CatalogError>> {
    let mut errors = Vec::new();
    let expected_id = format!("{}-{}", raw.version, raw.form.as_str());
    if raw.id != expected_id {
        errors.push(CatalogError::new(
            path,
            None,
            format!("id '{}' should be '{expected_id}' (version-form)", raw.id),
        ));
    }
    if path.file_stem().and_then(|s| s.to_str()) != Some(raw.id.as_str()) {
        errors.push(CatalogError::new(
            path,
            None,
            format!("the file should be named {}.toml after its id", raw.id),
        ));
    }
    if raw.fiscal_years.is_empty() {
        errors.push(CatalogError::new(path, None, "fiscal_years is empty"));
    }
    let fiscal_years: Vec<FiscalYear> = raw
        .fiscal_years
        .iter()
        .filter_map(|y| fiscal_year(path, None, *y).map_err(|e| errors.push(e)).ok())
        .collect();
    let published_on = chrono::NaiveDate::parse_from_str(&raw.published_on, "%Y-%m-%d")
        .map_err(|_| {
            errors.push(CatalogError::new(
                path,
                None,
                format!("published_on '{}' is not YYYY-MM-DD", raw.published_on),
            ))
        })
        .unwrap_or_default();
    if raw.sources.is_empty() {
        errors.push(CatalogError::new(
            path,
            None,
            "sources is empty: every file cites where its text comes from",
        ));
    }
    match (raw.form, &raw.gate) {
        (FormKind::Vendor, Some(_)) => errors.push(CatalogError::new(
            path,
            None,
            "the vendor form has no gate question",
        )),
        (FormKind::Institution | FormKind::Pharmacy, None) => errors.push(CatalogError::new(
            path,
            None,
            "missing [gate] (医療情報システムの有無)",
        )),
        _ => {}
    }
    if raw.items.is_empty() {
        errors.push(CatalogError::new(path, None, "no items"));
    }
    let mut keys = HashSet::new();
    let mut items = Vec::with_capacity(raw.items.len());
    for raw_item in raw.items {
        match convert_item(path, raw_item, &raw.sections) {
            Ok(item) => {
                if !keys.insert(item.key.clone()) {
                    errors.push(CatalogError::new(path, Some(&item.key), "duplicate key"));
                }
                items.push(item);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    roles::check_unique(path, &items, &mut errors);
    if errors.is_empty() {
        Ok(ChecklistVersion {
            id: raw.id,
            version: raw.version,
            version_label_ja: raw.version_label_ja,
            version_label_en: raw.version_label_en,
            form: raw.form,
            title_ja: raw.title_ja,
            title_en: raw.title_en,
            fiscal_years,
            published_on,
            sources: raw.sources,
            notes: raw.notes,
            gate: raw.gate,
            sections: raw.sections,
            items,
        })
    } else {
        Err(errors)
    }
}

/// A key part that is a number as written: ASCII digits, no sign, no leading zero.
fn key_number(text: &str) -> Option<u8> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    plain.then(|| text.parse().ok()).flatten()
}

fn convert_item(
    path: &Path,
    raw: RawItem,
    sections: &[Section],
) -> Result<ChecklistItem, Vec<CatalogError>> {
    let key = raw.key.as_str();
    let mut errors = Vec::new();
    let mut problem = |p: String| errors.push(CatalogError::new(path, Some(key), p));
    let parts: Vec<&str> = key.split('-').collect();
    let expected_scope = match parts.as_slice() {
        [section, n] if key_number(section).is_some() && key_number(n).is_some() => {
            Some(Scope::None)
        }
        [section, n, scope] if key_number(section).is_some() && key_number(n).is_some() => {
            match *scope {
                "all" => Some(Scope::All),
                "server" => Some(Scope::Server),
                "pc" => Some(Scope::Pc),
                "network" => Some(Scope::Network),
                _ => None,
            }
        }
        _ => None,
    };
    match expected_scope {
        None => problem(
            "key must be <section>-<number> or <section>-<number>-<all|server|pc|network>".into(),
        ),
        Some(s) if s != raw.scope => problem(format!(
            "scope '{}' does not match the key (expected '{}')",
            raw.scope.as_str(),
            s.as_str()
        )),
        Some(_) => {}
    }
    if parts.first().and_then(|s| key_number(s)) != Some(raw.section) {
        problem(format!("section {} does not match the key", raw.section));
    }
    let control = parts.get(1).copied().unwrap_or_default();
    if raw.number != format!("{}({control})", raw.section) {
        problem(format!(
            "number '{}' does not match the key (expected '{}({control})')",
            raw.number, raw.section
        ));
    }
    if !sections.iter().any(|s| s.number == raw.section) {
        problem(format!(
            "section {} is not listed in [[sections]]",
            raw.section
        ));
    }
    if raw.text_ja.trim().is_empty() || raw.text_en.trim().is_empty() {
        problem("text_ja and text_en must not be empty".into());
    }
    let requirement = match (raw.required_from, raw.reference_only) {
        (Some(year), false) => match FiscalYear::new(year) {
            Ok(fy) => Requirement::RequiredFrom(fy),
            Err(e) => {
                problem(format!("required_from: {}", e));
                Requirement::ReferenceOnly
            }
        },
        (None, true) => Requirement::ReferenceOnly,
        (Some(_), true) => {
            problem("give either required_from or reference_only, not both".into());
            Requirement::ReferenceOnly
        }
        (None, false) => {
            problem("missing required_from (or reference_only = true)".into());
            Requirement::ReferenceOnly
        }
    };
    if errors.is_empty() {
        Ok(ChecklistItem {
            key: raw.key,
            section: raw.section,
            number: raw.number,
            scope: raw.scope,
            role: raw.role,
            text_ja: raw.text_ja,
            text_en: raw.text_en,
            requirement,
            applies_when: raw.applies_when,
            has_target_date: raw.target_date,
            provenance: raw.provenance,
        })
    } else {
        Err(errors)
    }
}

fn convert_rules(raw: RawRules) -> InspectionRules {
    InspectionRules {
        version: raw.version,
        title_ja: raw.title_ja,
        title_en: raw.title_en,
        sources: raw.sources,
        notes: raw.notes,
        inspect_reference_items: raw.inspect_reference_items,
        contact_chart_seen_on_site: raw.contact_chart_seen_on_site,
        target_date_for_no: raw.target_date_for_no,
        target_date_within_fiscal_year: raw.target_date_within_fiscal_year,
        bcp_checked: raw.bcp_checked,
        vendor_forms_checked: raw.vendor_forms_checked,
    }
}

/// The catalog folder shipped in this repository, for tests and as the default.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty folder for a test; `name` is unique in the crate's tests.
    pub(crate) fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mamori-catalog-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch");
        dir
    }

    /// Writes `files` (path under the folder, text) into the scratch folder `name`, loads the
    /// folder with `load` and removes it: what was loaded and the problems recorded.
    pub(crate) fn load_scratch<T>(
        name: &str,
        files: &[(&str, &str)],
        load: impl FnOnce(&Path, &mut Vec<CatalogError>) -> T,
    ) -> (T, Vec<CatalogError>) {
        let dir = scratch_dir(name);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().expect("folder")).expect("create");
            std::fs::write(path, text).expect("write");
        }
        let mut errors = Vec::new();
        let loaded = load(&dir, &mut errors);
        let _ = std::fs::remove_dir_all(&dir);
        (loaded, errors)
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = scratch_dir(name);
        std::fs::create_dir_all(dir.join("checklists")).expect("create scratch");
        std::fs::create_dir_all(dir.join("inspection")).expect("create scratch");
        for entry in
            std::fs::read_dir(bundled_dir().join("inspection")).expect("bundled inspection")
        {
            let p = entry.expect("entry").path();
            std::fs::copy(
                &p,
                dir.join("inspection").join(p.file_name().expect("name")),
            )
            .expect("copy");
        }
        // The rules every catalog needs besides its checklists.
        for file in [training::OBLIGATION_FILE, incident::FIRST_STEPS_FILE] {
            let target = dir.join(file);
            std::fs::create_dir_all(target.parent().expect("folder")).expect("create");
            std::fs::copy(bundled_dir().join(file), target).expect("copy");
        }
        dir
    }

    const GOOD: &str = r#"
id = "r5-institution"
version = "r5"
version_label_ja = "令和5年度版"
version_label_en = "FY2023 edition"
form = "institution"
title_ja = "t"
title_en = "t"
fiscal_years = [2023]
published_on = "2023-06-01"
sources = ["seed"]
notes = ""
[gate]
text_ja = "医療情報システムを導入、運用している。"
text_en = "Has a medical information system."
[[sections]]
number = 2
title_ja = "医療情報システムの管理・運用"
title_en = "Management"
[[sections]]
number = 3
title_ja = "インシデント発生に備えた対応"
title_en = "Incidents"
[[items]]
key = "2-7-server"
section = 2
number = "2(7)"
scope = "server"
role = "security_patches"
text_ja = "セキュリティパッチを適用している。"
text_en = "Security patches are applied."
required_from = 2024
"#;

    /// The items every institution form needs for the rules that read them, besides 2(7).
    const NEEDED: &[(&str, &str, &str)] = &[
        ("2-1-all", "all", "device_ledger"),
        ("2-2-all", "all", "remote_maintenance"),
        ("2-3-all", "all", "security_disclosure"),
        ("2-8-network", "network", "connection_restriction"),
        ("3-1", "none", "contact_chart"),
        ("3-2", "none", "backup"),
        ("3-3", "none", "bcp"),
    ];

    /// `GOOD` with every needed role.
    fn good() -> String {
        let mut text = GOOD.to_owned();
        for (key, scope, role) in NEEDED {
            let (section, control) = key.split_once('-').expect("key");
            let control = control.split('-').next().expect("control");
            text.push_str(&format!(
                "[[items]]\nkey = \"{key}\"\nsection = {section}\nnumber = \"{section}({control})\"\n\
                 scope = \"{scope}\"\nrole = \"{role}\"\ntext_ja = \"本文\"\ntext_en = \"text\"\n\
                 required_from = 2023\n"
            ));
        }
        text
    }

    /// A copy of the bundled checklists, inspection guides, support menus, training library and
    /// obligation, and first-response steps.
    fn bundled_copy(name: &str) -> PathBuf {
        let dir = scratch(name);
        for folder in ["checklists", "support", "training"] {
            std::fs::create_dir_all(dir.join(folder)).expect("create");
            for entry in std::fs::read_dir(bundled_dir().join(folder)).expect("bundled") {
                let p = entry.expect("entry").path();
                std::fs::copy(&p, dir.join(folder).join(p.file_name().expect("name")))
                    .expect("copy");
            }
        }
        dir
    }

    fn edit(dir: &Path, file: &str, from: &str, to: &str) {
        let path = dir.join("checklists").join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    #[test]
    fn the_bundled_catalog_is_valid() {
        let catalog = Catalog::load(&bundled_dir()).unwrap_or_else(|e| panic!("{e}"));
        // Every file found is loaded under its own id.
        for entry in std::fs::read_dir(bundled_dir().join("checklists")).expect("checklists") {
            let path = entry.expect("entry").path();
            let id = path.file_stem().and_then(|s| s.to_str()).expect("name");
            assert!(catalog.version_by_id(id).is_some(), "{id} not loaded");
        }
        // Every fiscal year any file names has every form, its guide and its roles.
        assert!(catalog.fiscal_years().len() >= 3);
        for fy in catalog.fiscal_years() {
            for form in [FormKind::Institution, FormKind::Vendor, FormKind::Pharmacy] {
                let v = catalog
                    .version_for(*fy, form)
                    .unwrap_or_else(|| panic!("no {form:?} form for {fy}"));
                assert!(catalog.rules_for(&v.version).is_some());
                for (role, _) in roles::required_roles(form) {
                    assert!(v.item_with_role(role).is_some(), "{} lacks {role}", v.id);
                }
            }
        }
        let r6 = catalog
            .version_for(FiscalYear::new(2024).expect("valid"), FormKind::Institution)
            .expect("r6");
        assert_eq!(r6.items.len(), 18, "令和6年度版 has 18 items");
        // 令和7年度版 moved the patch item from 2(7) to 2(6); the role follows it.
        let r7 = catalog.version_by_id("r7-institution").expect("r7");
        assert_eq!(
            r7.item_with_role(ItemRole::SecurityPatches)
                .map(|i| i.key.as_str()),
            Some("2-6-all")
        );
        assert_eq!(
            r6.items_with_role(ItemRole::SecurityPatches).count(),
            3,
            "サーバ, 端末PC, ネットワーク機器"
        );
    }

    #[test]
    fn training_related_items_follow_their_roles() {
        let catalog = Catalog::load(&bundled_dir()).unwrap_or_else(|e| panic!("{e}"));
        let training = catalog.support.training_related.as_ref().expect("training");
        let r7 = catalog.version_by_id("r7-institution").expect("r7");
        assert_eq!(
            training.item_numbers(r7),
            ["2(5)", "2(7)", "2(8)", "2(9)", "3(1)", "3(3)"]
        );
        // In 令和6年度版 2(7) is the patch item and 2(8) 接続元制限: not training-related.
        let r6 = catalog.version_by_id("r6-institution").expect("r6");
        assert_eq!(training.item_numbers(r6), ["2(5)", "3(1)", "3(3)"]);
    }

    #[test]
    fn a_form_without_a_role_a_rule_needs_is_refused() {
        let dir = bundled_copy("no-chart-role");
        edit(
            &dir,
            "r7-institution.toml",
            "role = \"contact_chart\"\n",
            "",
        );
        let err = Catalog::load(&dir).expect_err("must fail").to_string();
        assert!(
            err.contains("r7-institution.toml: no item has role 'contact_chart'")
                && err.contains("fiscal year 2025, 2026"),
            "{err}"
        );
        assert_eq!(err.matches("no item has role").count(), 1, "{err}");
    }

    #[test]
    fn a_renumbered_form_keeps_its_roles() {
        // A year that prints the contact chart as 3(4) and 運用管理規程 as 3(1).
        let dir = bundled_copy("renumbered");
        let file = "r7-institution.toml";
        edit(&dir, file, "key = \"3-1\"", "key = \"3-x\"");
        edit(&dir, file, "number = \"3(1)\"", "number = \"3(x)\"");
        edit(&dir, file, "key = \"3-4\"", "key = \"3-1\"");
        edit(&dir, file, "number = \"3(4)\"", "number = \"3(1)\"");
        edit(&dir, file, "key = \"3-x\"", "key = \"3-4\"");
        edit(&dir, file, "number = \"3(x)\"", "number = \"3(4)\"");
        let catalog = Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let r7 = catalog.version_by_id("r7-institution").expect("r7");
        let chart = r7.item_with_role(ItemRole::ContactChart).expect("chart");
        assert_eq!((chart.key.as_str(), chart.number.as_str()), ("3-4", "3(4)"));
        assert!(chart.text_ja.contains("連絡体制図"));
    }

    /// Each case edits `good()` once (`from` → `to`), and the catalog with it as its one form
    /// is refused with an error that says every part.
    #[track_caller]
    fn refused_saying(cases: &[(&str, &str, &str, &[&str])]) {
        for &(name, from, to, parts) in cases {
            let dir = scratch(name);
            let form = good();
            assert!(form.contains(from), "{name}: no {from:?}");
            std::fs::write(
                dir.join("checklists/r5-institution.toml"),
                form.replace(from, to),
            )
            .expect("write");
            let err = Catalog::load(&dir).expect_err(name).to_string();
            for part in parts {
                assert!(err.contains(part), "{name}: {part:?} in {err}");
            }
        }
    }

    #[test]
    fn a_role_names_one_item() {
        refused_saying(&[
            (
                "two-numbers",
                "role = \"backup\"",
                "role = \"bcp\"",
                &["item 3-3: role 'bcp' is already given to 3(2) (3-2)"],
            ),
            (
                "unknown-role",
                "role = \"backup\"",
                "role = \"backups\"",
                &["item 3-2", "backups"],
            ),
        ]);
    }

    #[test]
    fn a_good_file_loads() {
        let dir = scratch("good");
        std::fs::write(dir.join("checklists/r5-institution.toml"), good()).expect("write");
        let catalog = Catalog::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(catalog.checklists.len(), 1);
    }

    #[test]
    fn errors_name_the_file_the_item_and_the_problem() {
        refused_saying(&[
            (
                "bad-scope",
                "scope = \"server\"",
                "scope = \"pc\"",
                &["r5-institution.toml: item 2-7-server: scope 'pc' does not match"],
            ),
            (
                "bad-field",
                "required_from = 2024",
                "required_form = 2024",
                &["item 2-7-server", "required_form"],
            ),
            (
                "bad-year",
                "required_from = 2024",
                "required_from = 1924",
                &["item 2-7-server: required_from"],
            ),
        ]);
    }

    #[test]
    fn overlapping_versions_are_refused() {
        let dir = scratch("overlap");
        std::fs::write(dir.join("checklists/r5-institution.toml"), good()).expect("write");
        let second = good()
            .replace("\"r5-institution\"", "\"r6-institution\"")
            .replace("version = \"r5\"", "version = \"r6\"");
        std::fs::write(dir.join("checklists/r6-institution.toml"), second).expect("write");
        let err = Catalog::load(&dir).expect_err("must fail").to_string();
        assert!(
            err.contains("two versions of the institution form are in force in fiscal year 2023"),
            "{err}"
        );
    }

    #[test]
    fn a_version_without_an_inspection_guide_is_refused() {
        let dir = scratch("no-guide");
        std::fs::remove_file(dir.join("inspection/r5.toml")).expect("remove");
        std::fs::write(dir.join("checklists/r5-institution.toml"), good()).expect("write");
        let err = Catalog::load(&dir).expect_err("must fail").to_string();
        assert!(
            err.contains("no inspection guide for version 'r5'"),
            "{err}"
        );
    }
}
