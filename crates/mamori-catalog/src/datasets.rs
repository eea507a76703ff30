//! The datasets behind the device-ledger risk rules (機器台帳のリスク判定), under
//! `catalog/datasets/`: CISA's Known Exploited Vulnerabilities catalog (JSON), endoflife.date's
//! product files (`products/*.md`, YAML front matter), and mamori's curated tables (TOML): the
//! product aliases, the fixed versions of the VPN CVEs behind hospital incidents, and the
//! lifecycle of Japan-market network devices.
//!
//! Every loader takes the publisher's own format, so the same functions validate a newer file
//! before `mamori catalog update` installs it. A problem names the file, the entry and what is
//! wrong; loading collects every problem instead of stopping at the first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mamori_domain::device_risk::{
    CycleScheme, Eol, EolProduct, FixedVersionRow, KevEntry, KevPattern, LifecycleRow, MakerAlias,
    NamedScheme, NamedTokens, ProductAlias, RansomwareUse, ReleaseCycle, RiskData, RiskDataParts,
    Synonym, Version,
};
use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value as Yaml;

/// A problem in one dataset file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {problem}", file.display(), entry.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
pub struct DatasetError {
    pub file: PathBuf,
    /// The entry, when the problem is in one: `CVE-2018-13379`, `release 7.4`, `row 3`.
    pub entry: Option<String>,
    pub problem: String,
}

impl DatasetError {
    fn new(file: &Path, entry: Option<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            entry,
            problem: problem.into(),
        }
    }
}

/// Every problem found while loading, so that one run reports them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the datasets have {} problem(s):\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct DatasetErrors(pub Vec<DatasetError>);

impl From<DatasetError> for DatasetErrors {
    fn from(e: DatasetError) -> Self {
        Self(vec![e])
    }
}

/// The datasets folder shipped in this repository.
pub fn bundled_datasets_dir() -> PathBuf {
    crate::bundled_dir().join("datasets")
}

// ------------------------------------------------------------------------------------------
// Manifest
// ------------------------------------------------------------------------------------------

/// `manifest.toml`: what the folder holds, where it comes from, under which license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub kev: KevManifest,
    pub endoflife: EndoflifeManifest,
    pub curated: CuratedManifest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KevManifest {
    pub title: String,
    pub publisher: String,
    pub url: String,
    pub file: PathBuf,
    pub license: String,
    pub license_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndoflifeManifest {
    pub title: String,
    pub publisher: String,
    pub url: String,
    pub dir: PathBuf,
    /// The repository state the product files were copied from, e.g. `2026-08-22`.
    pub snapshot: String,
    pub license: String,
    pub license_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CuratedManifest {
    pub publisher: String,
    pub aliases: PathBuf,
    pub fixed_versions: PathBuf,
    pub lifecycles: PathBuf,
    pub compiled: String,
    pub license: String,
}

pub fn load_manifest(path: &Path) -> Result<Manifest, DatasetErrors> {
    read_toml(path).map_err(DatasetErrors::from)
}

/// The license of one shipped dataset, for the NOTICE and the about page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetLicense {
    pub dataset: String,
    pub publisher: String,
    pub license: String,
    pub license_file: PathBuf,
    pub url: String,
}

// ------------------------------------------------------------------------------------------
// All datasets
// ------------------------------------------------------------------------------------------

/// The loaded, validated datasets.
#[derive(Debug, Clone)]
pub struct Datasets {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// `catalogVersion` of the KEV file, e.g. `2025.08.25`.
    pub kev_version: String,
    pub kev_released: Option<String>,
    pub kev_count: usize,
    pub endoflife_products_count: usize,
    /// From the manifest: the endoflife.date repository state, e.g. `2026-08-22`.
    pub endoflife_snapshot: String,
    pub licenses: Vec<DatasetLicense>,
    pub kev: Vec<KevEntry>,
    pub endoflife: Vec<EolProduct>,
    pub aliases: Vec<ProductAlias>,
    pub makers: Vec<MakerAlias>,
    pub fixed_versions: Vec<FixedVersionRow>,
    pub lifecycles: Vec<LifecycleRow>,
}

impl Datasets {
    /// Loads `dir/manifest.toml` and every file it names, and checks that they agree: each
    /// alias's endoflife.date product is loaded, each fixed-version row names a known alias
    /// and KEV CVEs.
    pub fn load(dir: &Path) -> Result<Self, DatasetErrors> {
        let manifest = load_manifest(&dir.join("manifest.toml"))?;
        let mut errors = Vec::new();
        for license in [&manifest.kev.license_file, &manifest.endoflife.license_file] {
            let path = dir.join(license);
            if !path.is_file() {
                errors.push(DatasetError::new(
                    &path,
                    None,
                    "the license file named in manifest.toml is missing",
                ));
            }
        }
        let kev = load_kev(&dir.join(&manifest.kev.file))
            .map_err(|mut e| errors.append(&mut e.0))
            .ok();
        let endoflife = load_endoflife_dir(&dir.join(&manifest.endoflife.dir))
            .map_err(|mut e| errors.append(&mut e.0))
            .ok();
        let aliases_path = dir.join(&manifest.curated.aliases);
        let aliases = load_aliases(&aliases_path)
            .map_err(|mut e| errors.append(&mut e.0))
            .ok();
        let lifecycles = load_lifecycles(&dir.join(&manifest.curated.lifecycles))
            .map_err(|mut e| errors.append(&mut e.0))
            .ok();
        let (Some(kev), Some(endoflife), Some(aliases), Some(lifecycles)) =
            (kev, endoflife, aliases, lifecycles)
        else {
            return Err(DatasetErrors(errors));
        };
        let known: HashSet<&str> = endoflife.iter().map(|p| p.id.as_str()).collect();
        for alias in &aliases.products {
            if let Some(id) = &alias.endoflife
                && !known.contains(id.as_str())
            {
                errors.push(DatasetError::new(
                    &aliases_path,
                    Some(format!("product {}", alias.id)),
                    format!(
                        "endoflife = \"{id}\" but {}/{id}.md is not loaded",
                        manifest.endoflife.dir.display()
                    ),
                ));
            }
        }
        let fixed_versions = load_fixed_versions(
            &dir.join(&manifest.curated.fixed_versions),
            &aliases.products,
            &kev.entries,
        )
        .map_err(|mut e| errors.append(&mut e.0))
        .unwrap_or_default();
        if !errors.is_empty() {
            return Err(DatasetErrors(errors));
        }
        let licenses = vec![
            DatasetLicense {
                dataset: manifest.kev.title.clone(),
                publisher: manifest.kev.publisher.clone(),
                license: manifest.kev.license.clone(),
                license_file: manifest.kev.license_file.clone(),
                url: manifest.kev.url.clone(),
            },
            DatasetLicense {
                dataset: manifest.endoflife.title.clone(),
                publisher: manifest.endoflife.publisher.clone(),
                license: manifest.endoflife.license.clone(),
                license_file: manifest.endoflife.license_file.clone(),
                url: manifest.endoflife.url.clone(),
            },
        ];
        Ok(Self {
            dir: dir.to_path_buf(),
            kev_version: kev.catalog_version.clone(),
            kev_released: kev.date_released.clone(),
            kev_count: kev.entries.len(),
            endoflife_products_count: endoflife.len(),
            endoflife_snapshot: manifest.endoflife.snapshot.clone(),
            licenses,
            manifest,
            kev: kev.entries,
            endoflife,
            aliases: aliases.products,
            makers: aliases.makers,
            fixed_versions,
            lifecycles,
        })
    }

    /// The domain's indexed view, built once and shared by every assessment.
    pub fn risk_data(&self) -> RiskData {
        RiskData::new(RiskDataParts {
            kev_version: self.kev_version.clone(),
            kev: self.kev.clone(),
            products: self.endoflife.clone(),
            aliases: self.aliases.clone(),
            makers: self.makers.clone(),
            fixed_versions: self.fixed_versions.clone(),
            lifecycles: self.lifecycles.clone(),
        })
    }
}

// ------------------------------------------------------------------------------------------
// CISA KEV
// ------------------------------------------------------------------------------------------

/// A parsed KEV catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalog {
    pub title: Option<String>,
    pub catalog_version: String,
    pub date_released: Option<String>,
    pub entries: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKev {
    title: Option<String>,
    catalog_version: String,
    date_released: Option<String>,
    count: usize,
    vulnerabilities: Vec<RawKevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKevEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    required_action: String,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Loads CISA's `known_exploited_vulnerabilities.json`.
pub fn load_kev(path: &Path) -> Result<KevCatalog, DatasetErrors> {
    let bytes = std::fs::read(path)
        .map_err(|e| DatasetError::new(path, None, format!("cannot read: {e}")))?;
    parse_kev(&bytes, path)
}

/// Parses a KEV catalog in CISA's JSON format (`file` names it in errors). Checks that
/// `catalogVersion` is a `YYYY.MM.DD` version, that `count` is the number of entries, that
/// every `cveID` is a CVE id and appears once, and that every `dateAdded` is a date. Fields
/// mamori does not use are ignored, so newer files with more fields load.
pub fn parse_kev(bytes: &[u8], file: &Path) -> Result<KevCatalog, DatasetErrors> {
    let raw: RawKev = serde_json::from_slice(bytes).map_err(|e| {
        DatasetError::new(
            file,
            Some(format!("line {} column {}", e.line(), e.column())),
            format!("not a KEV catalog in CISA's JSON format: {e}"),
        )
    })?;
    let mut errors = Vec::new();
    if !is_catalog_version(&raw.catalog_version) {
        errors.push(DatasetError::new(
            file,
            None,
            format!(
                "catalogVersion \"{}\" is not a YYYY.MM.DD version",
                raw.catalog_version
            ),
        ));
    }
    if raw.count != raw.vulnerabilities.len() {
        errors.push(DatasetError::new(
            file,
            None,
            format!(
                "count is {} but the file lists {} vulnerabilities",
                raw.count,
                raw.vulnerabilities.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let mut entries = Vec::with_capacity(raw.vulnerabilities.len());
    for (i, v) in raw.vulnerabilities.into_iter().enumerate() {
        let entry = Some(if v.cve_id.is_empty() {
            format!("vulnerability #{}", i + 1)
        } else {
            v.cve_id.clone()
        });
        if !is_cve_id(&v.cve_id) {
            errors.push(DatasetError::new(
                file,
                entry.clone(),
                format!("cveID \"{}\" is not a CVE id (CVE-YYYY-NNNN…)", v.cve_id),
            ));
        } else if !seen.insert(v.cve_id.clone()) {
            errors.push(DatasetError::new(file, entry.clone(), "listed twice"));
        }
        if v.vendor_project.trim().is_empty() || v.product.trim().is_empty() {
            errors.push(DatasetError::new(
                file,
                entry.clone(),
                "vendorProject and product must not be empty",
            ));
        }
        let Some(date_added) = parse_date(&v.date_added) else {
            errors.push(DatasetError::new(
                file,
                entry,
                format!("dateAdded \"{}\" is not a YYYY-MM-DD date", v.date_added),
            ));
            continue;
        };
        entries.push(KevEntry {
            cve_id: v.cve_id,
            vendor_project: v.vendor_project.trim().to_owned(),
            product: v.product.trim().to_owned(),
            vulnerability_name: v.vulnerability_name.trim().to_owned(),
            date_added,
            required_action: v.required_action.trim().to_owned(),
            // CISA writes "Known" or "Unknown"; anything else is not a confirmed use.
            known_ransomware_campaign_use: match v.known_ransomware_campaign_use.as_deref() {
                Some("Known") => RansomwareUse::Known,
                _ => RansomwareUse::Unknown,
            },
        });
    }
    if errors.is_empty() {
        Ok(KevCatalog {
            title: raw.title,
            catalog_version: raw.catalog_version,
            date_released: raw.date_released,
            entries,
        })
    } else {
        Err(DatasetErrors(errors))
    }
}

fn is_catalog_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
            && [y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// `CVE-YYYY-NNNN…`: four digits of year, then four to nineteen digits.
pub fn is_cve_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && (4..=19).contains(&number.len())
        && year
            .bytes()
            .chain(number.bytes())
            .all(|b| b.is_ascii_digit())
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

// ------------------------------------------------------------------------------------------
// endoflife.date
// ------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawEolProduct {
    title: Option<String>,
    permalink: Option<String>,
    #[serde(rename = "releaseLabel")]
    release_label: Option<String>,
    #[serde(default)]
    identifiers: Vec<Yaml>,
    #[serde(default)]
    releases: Vec<RawRelease>,
}

#[derive(Deserialize)]
struct RawRelease {
    #[serde(rename = "releaseCycle")]
    release_cycle: Yaml,
    #[serde(rename = "releaseLabel")]
    release_label: Option<Yaml>,
    codename: Option<Yaml>,
    #[serde(rename = "releaseDate")]
    release_date: Option<Yaml>,
    eol: Option<Yaml>,
    eoas: Option<Yaml>,
    eoes: Option<Yaml>,
    latest: Option<Yaml>,
    lts: Option<Yaml>,
}

/// Loads every `*.md` of an endoflife.date `products/` folder; the product id is the file stem.
pub fn load_endoflife_dir(dir: &Path) -> Result<Vec<EolProduct>, DatasetErrors> {
    let files = crate::files_ending(dir, "md")
        .map_err(|e| DatasetError::new(dir, None, format!("cannot read the folder: {e}")))?;
    if files.is_empty() {
        return Err(DatasetError::new(dir, None, "no product files (*.md)").into());
    }
    let mut errors = Vec::new();
    let mut products = Vec::with_capacity(files.len());
    for path in files {
        let Some(id) = path.file_stem().and_then(|s| s.to_str()) else {
            errors.push(DatasetError::new(&path, None, "the file name is not UTF-8"));
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(DatasetError::new(&path, None, format!("cannot read: {e}")));
                continue;
            }
        };
        match parse_endoflife_product(id, &text, &path) {
            Ok(p) => products.push(p),
            Err(mut e) => errors.append(&mut e.0),
        }
    }
    if errors.is_empty() {
        Ok(products)
    } else {
        Err(DatasetErrors(errors))
    }
}

/// The YAML between the first line `---` and the next `---`.
fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let start = first.len();
    let mut end = start;
    for line in lines {
        if line.trim_end() == "---" {
            return Some(&text[start..end]);
        }
        end += line.len();
    }
    None
}

/// Parses one endoflife.date product file: its YAML front matter, tolerating keys mamori does
/// not use. `eol`, `eoas` and `eoes` may be a date or `true`/`false`.
pub fn parse_endoflife_product(
    id: &str,
    text: &str,
    file: &Path,
) -> Result<EolProduct, DatasetErrors> {
    let Some(yaml) = front_matter(text) else {
        return Err(DatasetError::new(
            file,
            None,
            "no YAML front matter (a first line `---` and a closing `---`)",
        )
        .into());
    };
    let raw: RawEolProduct = serde_yaml_ng::from_str(yaml).map_err(|e| {
        // +1: the front matter starts after the opening `---` line.
        let entry = e.location().map(|l| format!("line {}", l.line() + 1));
        DatasetError::new(file, entry, format!("invalid front matter: {e}"))
    })?;
    let mut errors = Vec::new();
    let title = raw.title.unwrap_or_else(|| {
        errors.push(DatasetError::new(file, None, "title is missing"));
        String::new()
    });
    let identifiers = raw
        .identifiers
        .iter()
        .filter_map(|i| match i {
            Yaml::Mapping(m) => m.values().find_map(scalar),
            other => scalar(other),
        })
        .collect();
    let mut seen = HashSet::new();
    let mut releases = Vec::with_capacity(raw.releases.len());
    for (n, r) in raw.releases.into_iter().enumerate() {
        let Some(cycle) = scalar(&r.release_cycle) else {
            errors.push(DatasetError::new(
                file,
                Some(format!("release #{}", n + 1)),
                "releaseCycle must be a string or a number",
            ));
            continue;
        };
        let entry = || Some(format!("release {cycle}"));
        if !seen.insert(cycle.clone()) {
            errors.push(DatasetError::new(
                file,
                entry(),
                "releaseCycle listed twice",
            ));
        }
        let mut milestone = |key: &str, value: &Option<Yaml>| -> Option<Eol> {
            match value {
                None | Some(Yaml::Null) => None,
                Some(Yaml::Bool(true)) => Some(Eol::Ended),
                Some(Yaml::Bool(false)) => Some(Eol::NotAnnounced),
                Some(Yaml::String(s)) if parse_date(s).is_some() => parse_date(s).map(Eol::On),
                Some(other) => {
                    errors.push(DatasetError::new(
                        file,
                        entry(),
                        format!(
                            "{key} must be a YYYY-MM-DD date, true or false, not {}",
                            show(other)
                        ),
                    ));
                    None
                }
            }
        };
        let eol = milestone("eol", &r.eol);
        let eoas = milestone("eoas", &r.eoas);
        let eoes = milestone("eoes", &r.eoes);
        let release_date = match &r.release_date {
            None | Some(Yaml::Null) => None,
            Some(Yaml::String(s)) if parse_date(s).is_some() => parse_date(s),
            Some(other) => {
                errors.push(DatasetError::new(
                    file,
                    entry(),
                    format!("releaseDate must be a YYYY-MM-DD date, not {}", show(other)),
                ));
                None
            }
        };
        let lts = match &r.lts {
            Some(Yaml::Bool(b)) => *b,
            // A date: the cycle becomes LTS on that day.
            Some(Yaml::String(s)) => parse_date(s).is_some(),
            _ => false,
        };
        let codename = r.codename.as_ref().and_then(scalar);
        let label = r
            .release_label
            .as_ref()
            .and_then(scalar)
            .or_else(|| raw.release_label.clone())
            .and_then(|template| expand_label(&template, &cycle, codename.as_deref()));
        releases.push(ReleaseCycle {
            cycle,
            label,
            release_date,
            eol,
            eoas,
            eoes,
            latest: r.latest.as_ref().and_then(scalar),
            lts,
        });
    }
    if errors.is_empty() {
        Ok(EolProduct {
            id: id.to_owned(),
            title,
            permalink: raw.permalink,
            identifiers,
            releases,
        })
    } else {
        Err(DatasetErrors(errors))
    }
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn show(value: &Yaml) -> String {
    serde_yaml_ng::to_string(value)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "an unreadable value".to_owned())
}

/// Expands `__RELEASE_CYCLE__` and `__CODENAME__`; a label still holding template syntax
/// (Liquid `{{ }}`) is left out and the cycle is shown instead.
fn expand_label(template: &str, cycle: &str, codename: Option<&str>) -> Option<String> {
    let label = template
        .replace("__RELEASE_CYCLE__", cycle)
        .replace("__CODENAME__", codename.unwrap_or_default());
    let plain = !label.contains("{{") && !label.contains("{%") && !label.contains("__");
    (plain && !label.trim().is_empty()).then(|| label.trim().to_owned())
}

// ------------------------------------------------------------------------------------------
// Curated tables
// ------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliasFile {
    #[serde(default)]
    makers: Vec<RawMaker>,
    products: Vec<RawAlias>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaker {
    name: String,
    #[serde(default)]
    spellings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    id: String,
    title: String,
    names: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    makers: Vec<String>,
    endoflife: Option<String>,
    scheme: RawScheme,
    #[serde(default)]
    legacy_one_prefix: bool,
    named: Option<RawNamed>,
    #[serde(default)]
    kev: Vec<(String, String)>,
    #[serde(default)]
    kev_cves: Vec<String>,
    source: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawScheme {
    Dotted,
    Named,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNamed {
    tokens_from: RawTokens,
    #[serde(default)]
    synonyms: Vec<(String, String)>,
    #[serde(default)]
    qualifiers: Vec<String>,
    default_qualifiers: Option<Vec<String>>,
    default_note_ja: Option<String>,
    default_note_en: Option<String>,
    #[serde(default)]
    build_from_latest: bool,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawTokens {
    Cycle,
    Label,
}

/// The alias table: makers' other spellings and the products mamori recognizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTable {
    pub makers: Vec<MakerAlias>,
    pub products: Vec<ProductAlias>,
}

/// Loads `product_aliases.toml`. Each product needs an id (unique), names, a `source`, and a
/// `[products.named]` table exactly when its scheme is `named`.
pub fn load_aliases(path: &Path) -> Result<AliasTable, DatasetErrors> {
    let raw: RawAliasFile = read_toml(path)?;
    let mut errors = Vec::new();
    let mut ids = HashSet::new();
    let mut products = Vec::with_capacity(raw.products.len());
    for a in raw.products {
        let entry = Some(format!("product {}", a.id));
        let mut problem = |p: String| errors.push(DatasetError::new(path, entry.clone(), p));
        if a.id.trim().is_empty() {
            problem("id is empty".into());
        }
        if !ids.insert(a.id.clone()) {
            problem("duplicate id".into());
        }
        if a.names.iter().all(|n| n.trim().is_empty()) {
            problem("names is empty: nothing would recognize the product".into());
        }
        if a.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            problem("source is missing: every row cites where its data is published".into());
        }
        for (vendor, product) in &a.kev {
            if vendor.trim().is_empty() || product.trim().is_empty() {
                problem("a kev pair has an empty vendor or product".into());
            }
        }
        for cve in &a.kev_cves {
            if !is_cve_id(cve) {
                problem(format!("kev_cves: \"{cve}\" is not a CVE id"));
            }
        }
        let scheme = match (a.scheme, a.named) {
            (RawScheme::Dotted, None) => CycleScheme::Dotted {
                legacy_one_prefix: a.legacy_one_prefix,
            },
            (RawScheme::Named, Some(n)) => {
                if a.legacy_one_prefix {
                    problem("legacy_one_prefix applies to the dotted scheme only".into());
                }
                CycleScheme::Named(NamedScheme {
                    tokens_from: match n.tokens_from {
                        RawTokens::Cycle => NamedTokens::Cycle,
                        RawTokens::Label => NamedTokens::Label,
                    },
                    synonyms: n
                        .synonyms
                        .into_iter()
                        .map(|(phrase, replacement)| Synonym {
                            phrase,
                            replacement,
                        })
                        .collect(),
                    qualifiers: n.qualifiers,
                    default_qualifiers: n.default_qualifiers,
                    default_note_ja: n.default_note_ja,
                    default_note_en: n.default_note_en,
                    build_from_latest: n.build_from_latest,
                })
            }
            (RawScheme::Dotted, Some(_)) => {
                problem("[products.named] is given but scheme is \"dotted\"".into());
                continue;
            }
            (RawScheme::Named, None) => {
                problem("scheme is \"named\" but [products.named] is missing".into());
                continue;
            }
        };
        products.push(ProductAlias {
            id: a.id,
            title: a.title,
            names: a.names,
            exclude: a.exclude,
            makers: a.makers,
            endoflife: a.endoflife,
            scheme,
            kev: a
                .kev
                .into_iter()
                .map(|(vendor, product)| KevPattern { vendor, product })
                .collect(),
            kev_cves: a.kev_cves,
        });
    }
    let mut makers = Vec::with_capacity(raw.makers.len());
    for m in raw.makers {
        if m.name.trim().is_empty() {
            errors.push(DatasetError::new(path, None, "a maker has an empty name"));
        }
        makers.push(MakerAlias {
            name: m.name,
            spellings: m.spellings,
        });
    }
    if errors.is_empty() {
        Ok(AliasTable { makers, products })
    } else {
        Err(DatasetErrors(errors))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRows<T> {
    rows: Vec<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixed {
    product: String,
    cves: Vec<String>,
    branch: String,
    affected_from: Option<String>,
    fixed: Option<String>,
    #[serde(default)]
    also_fixed: Vec<String>,
    advisory_id: String,
    source: Option<String>,
    note: Option<String>,
}

/// Loads `vpn_fixed_versions.toml`. Each row must cite its advisory (`advisory_id`, `source`),
/// name a product of the alias table and CVEs of the KEV catalog, and give versions that parse
/// and lie in the row's branch.
pub fn load_fixed_versions(
    path: &Path,
    aliases: &[ProductAlias],
    kev: &[KevEntry],
) -> Result<Vec<FixedVersionRow>, DatasetErrors> {
    let raw: RawRows<RawFixed> = read_toml(path)?;
    let products: HashSet<&str> = aliases.iter().map(|a| a.id.as_str()).collect();
    let cves: HashSet<&str> = kev.iter().map(|e| e.cve_id.as_str()).collect();
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(raw.rows.len());
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for (n, r) in raw.rows.into_iter().enumerate() {
        let entry = Some(format!(
            "row {} ({} {} {})",
            n + 1,
            r.product,
            r.cves.join(","),
            r.branch
        ));
        let mut problem = |p: String| errors.push(DatasetError::new(path, entry.clone(), p));
        let Some(source) = r.source.filter(|s| !s.trim().is_empty()) else {
            problem("source is missing: every row cites the vendor advisory".into());
            continue;
        };
        if !source.starts_with("https://") {
            problem(format!("source \"{source}\" is not an https URL"));
        }
        if r.advisory_id.trim().is_empty() {
            problem("advisory_id is empty".into());
        }
        if !products.contains(r.product.as_str()) {
            problem(format!(
                "product \"{}\" is not an id of the alias table",
                r.product
            ));
        }
        if r.cves.is_empty() {
            problem("cves is empty".into());
        }
        for cve in &r.cves {
            if !is_cve_id(cve) {
                problem(format!("\"{cve}\" is not a CVE id"));
            } else if !cves.contains(cve.as_str()) {
                problem(format!("{cve} is not in the KEV catalog"));
            }
            if let Some(first) = seen.insert((r.product.clone(), cve.clone(), r.branch.clone()), n)
            {
                problem(format!(
                    "{cve} in branch {} is also in row {}",
                    r.branch,
                    first + 1
                ));
            }
        }
        let Some(branch) = Version::parse(&r.branch) else {
            problem(format!("branch \"{}\" is not a version", r.branch));
            continue;
        };
        let versions = r
            .affected_from
            .iter()
            .map(|v| ("affected_from", v))
            .chain(r.fixed.iter().map(|v| ("fixed", v)))
            .chain(r.also_fixed.iter().map(|v| ("also_fixed", v)));
        for (key, text) in versions {
            match Version::parse(text) {
                None => problem(format!("{key} \"{text}\" is not a version")),
                Some(v) if !v.starts_with(branch.parts()) => {
                    problem(format!("{key} {text} is not in branch {}", r.branch))
                }
                Some(_) => {}
            }
        }
        if r.fixed.is_none() && r.also_fixed.is_empty() && r.note.is_none() {
            problem("no fixed version: say in `note` that the branch has no fix".into());
        }
        rows.push(FixedVersionRow {
            product: r.product,
            cves: r.cves,
            branch: r.branch,
            affected_from: r.affected_from,
            fixed: r.fixed,
            also_fixed: r.also_fixed,
            advisory_id: r.advisory_id,
            source,
            note: r.note,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(DatasetErrors(errors))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    maker: String,
    model: String,
    #[serde(default)]
    also_matches: Vec<String>,
    end_of_sale: Option<String>,
    end_of_support: Option<String>,
    note: Option<String>,
    source: Option<String>,
    source_title: Option<String>,
}

/// Loads `japan_network_lifecycle.toml`. Each row cites its source; a row without an
/// end-of-support date must say in `note` that none could be sourced.
pub fn load_lifecycles(path: &Path) -> Result<Vec<LifecycleRow>, DatasetErrors> {
    let raw: RawRows<RawLifecycle> = read_toml(path)?;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(raw.rows.len());
    let mut seen = HashSet::new();
    for r in raw.rows {
        let entry = Some(format!("{} {}", r.maker, r.model));
        let mut problem = |p: String| errors.push(DatasetError::new(path, entry.clone(), p));
        if r.maker.trim().is_empty() || r.model.trim().is_empty() {
            problem("maker and model must not be empty".into());
        }
        if !seen.insert((r.maker.clone(), r.model.clone())) {
            problem("listed twice".into());
        }
        let Some(source) = r.source.filter(|s| !s.trim().is_empty()) else {
            problem("source is missing: every row cites where its dates are published".into());
            continue;
        };
        if !source.starts_with("https://") && !source.starts_with("http://") {
            problem(format!("source \"{source}\" is not a URL"));
        }
        let source_title = r.source_title.unwrap_or_default();
        if source_title.trim().is_empty() {
            problem("source_title is missing".into());
        }
        let mut date = |key: &str, value: &Option<String>| -> Option<NaiveDate> {
            let text = value.as_deref()?;
            let parsed = parse_date(text);
            if parsed.is_none() {
                problem(format!("{key} \"{text}\" is not a YYYY-MM-DD date"));
            }
            parsed
        };
        let end_of_sale = date("end_of_sale", &r.end_of_sale);
        let end_of_support = date("end_of_support", &r.end_of_support);
        if r.end_of_support.is_none() && r.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            errors.push(DatasetError::new(
                path,
                entry.clone(),
                "no end_of_support: say in `note` that no published date could be found",
            ));
        }
        rows.push(LifecycleRow {
            maker: r.maker,
            model: r.model,
            also_matches: r.also_matches,
            end_of_sale,
            end_of_support,
            note: r.note,
            source,
            source_title,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(DatasetErrors(errors))
    }
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, DatasetError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| DatasetError::new(path, None, format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        let entry = e.span().map(|s| {
            let line = text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1;
            format!("line {line}")
        });
        DatasetError::new(path, entry, e.message().to_string())
    })
}

#[cfg(test)]
mod tests;
