//! The datasets indexed once by [`RiskData::new`], so that one assessment is a few hash
//! look-ups.

use std::collections::{HashMap, HashSet};

use super::dataset::{
    CycleScheme, EolProduct, FixedVersionRow, KevEntry, LifecycleRow, NamedScheme, NamedTokens,
    ProductAlias, ReleaseCycle, RiskDataParts,
};
use super::version::Version;
use super::words::{compact, maker_key, normalize, phrase_key, words};

#[derive(Debug, Clone)]
pub(super) struct PreparedCycle {
    /// The cycle's numbers when it is purely numeric (`7.4` → [7, 4]).
    pub(super) numeric: Option<Vec<u32>>,
    pub(super) core: Vec<String>,
    /// Sorted, without duplicates.
    pub(super) qualifiers: Vec<String>,
    /// The first three numbers of `latest` (`10.0.19044`).
    pub(super) latest_build: Option<Vec<u32>>,
}

#[derive(Debug, Clone)]
pub(super) struct PreparedAlias {
    pub(super) alias: ProductAlias,
    pub(super) product: Option<usize>,
    pub(super) cycles: Vec<PreparedCycle>,
    pub(super) vocabulary: HashSet<String>,
    pub(super) qualifiers: HashSet<String>,
    pub(super) synonyms: Vec<(Vec<String>, Vec<String>)>,
    pub(super) exclude: Vec<Vec<String>>,
    pub(super) makers: HashSet<String>,
    pub(super) kev_entries: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct PreparedFixed {
    pub(super) row: FixedVersionRow,
    pub(super) branch: Version,
    pub(super) affected_from: Option<Version>,
    pub(super) fixed: Option<Version>,
    pub(super) also_fixed: Vec<Version>,
}

#[derive(Debug, Clone)]
pub(super) struct PreparedLifecycle {
    pub(super) row: LifecycleRow,
    pub(super) patterns: Vec<String>,
}

/// The datasets, indexed once so that one assessment is a few hash look-ups.
#[derive(Debug, Clone)]
pub struct RiskData {
    pub(super) kev_version: String,
    pub(super) kev: Vec<KevEntry>,
    pub(super) kev_by_key: HashMap<(String, String), Vec<usize>>,
    kev_by_cve: HashMap<String, usize>,
    pub(super) products: Vec<EolProduct>,
    pub(super) aliases: Vec<PreparedAlias>,
    pub(super) phrase_index: HashMap<String, Vec<usize>>,
    pub(super) max_phrase_words: usize,
    makers: HashMap<String, String>,
    pub(super) fixed: HashMap<String, Vec<PreparedFixed>>,
    pub(super) lifecycle_by_maker: HashMap<String, Vec<usize>>,
    pub(super) lifecycle_by_model: HashMap<String, usize>,
    pub(super) lifecycle: Vec<PreparedLifecycle>,
    unmatched_kev_patterns: Vec<(String, String, String)>,
}

impl RiskData {
    /// Indexes the datasets. Rows that cannot be used (an alias naming an endoflife product
    /// that is not loaded, a version that does not parse) are left out; the catalog loader
    /// refuses such files before they get here.
    pub fn new(parts: RiskDataParts) -> Self {
        let RiskDataParts {
            kev_version,
            kev,
            products,
            aliases,
            makers,
            fixed_versions,
            lifecycles,
        } = parts;

        let mut maker_index = HashMap::new();
        for maker in &makers {
            let canonical = maker_key(&maker.name);
            maker_index.insert(canonical.clone(), canonical.clone());
            for spelling in &maker.spellings {
                maker_index.insert(maker_key(spelling), canonical.clone());
            }
        }
        let canonical_maker = |text: &str| -> String {
            let key = maker_key(text);
            maker_index.get(&key).cloned().unwrap_or(key)
        };

        let mut kev_by_key: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut kev_by_cve = HashMap::new();
        for (i, entry) in kev.iter().enumerate() {
            let key = (
                canonical_maker(&entry.vendor_project),
                phrase_key(&entry.product),
            );
            kev_by_key.entry(key).or_default().push(i);
            kev_by_cve.insert(entry.cve_id.clone(), i);
        }
        let mut kev_products_by_vendor: HashMap<&str, Vec<&str>> = HashMap::new();
        for (vendor, product) in kev_by_key.keys() {
            kev_products_by_vendor
                .entry(vendor.as_str())
                .or_default()
                .push(product.as_str());
        }

        let product_index: HashMap<&str, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();

        let mut unmatched_kev_patterns = Vec::new();
        let mut prepared = Vec::with_capacity(aliases.len());
        let mut phrase_index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut max_phrase_words = 1;
        for alias in aliases {
            let index = prepared.len();
            for name in &alias.names {
                let key = phrase_key(name);
                if key.is_empty() {
                    continue;
                }
                max_phrase_words = max_phrase_words.max(key.split(' ').count());
                phrase_index.entry(key).or_default().push(index);
            }
            let product = alias
                .endoflife
                .as_deref()
                .and_then(|id| product_index.get(id).copied());
            let (qualifiers, synonyms) = match &alias.scheme {
                CycleScheme::Named(scheme) => (
                    scheme.qualifiers.iter().map(|q| phrase_key(q)).collect(),
                    named_synonyms(scheme),
                ),
                CycleScheme::Dotted { .. } => (HashSet::new(), Vec::new()),
            };
            let cycles: Vec<PreparedCycle> = product
                .map(|p| {
                    products[p]
                        .releases
                        .iter()
                        .map(|r| prepare_cycle(r, &alias.scheme, &qualifiers))
                        .collect()
                })
                .unwrap_or_default();
            let vocabulary = cycles.iter().flat_map(|c| c.core.iter().cloned()).collect();

            let mut kev_entries = Vec::new();
            for pattern in &alias.kev {
                let vendor = canonical_maker(&pattern.vendor);
                let before = kev_entries.len();
                if let Some(prefix) = pattern.product.strip_suffix('*') {
                    let prefix = phrase_key(prefix);
                    for product in kev_products_by_vendor
                        .get(vendor.as_str())
                        .into_iter()
                        .flatten()
                        .filter(|p| p.starts_with(&prefix))
                    {
                        if let Some(ids) = kev_by_key.get(&(vendor.clone(), (*product).to_owned()))
                        {
                            kev_entries.extend(ids.iter().copied());
                        }
                    }
                } else if let Some(ids) =
                    kev_by_key.get(&(vendor.clone(), phrase_key(&pattern.product)))
                {
                    kev_entries.extend(ids.iter().copied());
                }
                if kev_entries.len() == before {
                    unmatched_kev_patterns.push((
                        alias.id.clone(),
                        pattern.vendor.clone(),
                        pattern.product.clone(),
                    ));
                }
            }
            kev_entries.extend(alias.kev_cves.iter().filter_map(|c| kev_by_cve.get(c)));
            kev_entries.sort_unstable();
            kev_entries.dedup();
            // Newest first, once, so that flags list them in that order without sorting.
            kev_entries.sort_by(|&a, &b| {
                kev[b]
                    .date_added
                    .cmp(&kev[a].date_added)
                    .then(kev[a].cve_id.cmp(&kev[b].cve_id))
            });

            prepared.push(PreparedAlias {
                exclude: alias
                    .exclude
                    .iter()
                    .map(|e| phrase_key(e).split(' ').map(str::to_owned).collect())
                    .collect(),
                makers: alias.makers.iter().map(|m| canonical_maker(m)).collect(),
                product,
                cycles,
                vocabulary,
                qualifiers,
                synonyms,
                kev_entries,
                alias,
            });
        }

        let mut fixed: HashMap<String, Vec<PreparedFixed>> = HashMap::new();
        for row in fixed_versions {
            let Some(branch) = Version::parse(&row.branch) else {
                continue;
            };
            let parse_opt = |v: &Option<String>| v.as_deref().map(Version::parse);
            let (Some(affected_from), Some(fixed_version)) = (
                parse_opt(&row.affected_from).map_or(Some(None), |v| v.map(Some)),
                parse_opt(&row.fixed).map_or(Some(None), |v| v.map(Some)),
            ) else {
                continue;
            };
            let also_fixed: Option<Vec<Version>> =
                row.also_fixed.iter().map(|v| Version::parse(v)).collect();
            let Some(also_fixed) = also_fixed else {
                continue;
            };
            fixed
                .entry(row.product.clone())
                .or_default()
                .push(PreparedFixed {
                    row,
                    branch,
                    affected_from,
                    fixed: fixed_version,
                    also_fixed,
                });
        }

        let mut lifecycle = Vec::with_capacity(lifecycles.len());
        let mut lifecycle_by_maker: HashMap<String, Vec<usize>> = HashMap::new();
        let mut lifecycle_by_model = HashMap::new();
        for row in lifecycles {
            let mut patterns: Vec<String> = std::iter::once(&row.model)
                .chain(row.also_matches.iter())
                .map(|m| compact(m))
                .filter(|m| !m.is_empty())
                .collect();
            patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
            let entry = PreparedLifecycle { row, patterns };
            for p in &entry.patterns {
                lifecycle_by_model.insert(p.clone(), lifecycle.len());
            }
            lifecycle_by_maker
                .entry(canonical_maker(&entry.row.maker))
                .or_default()
                .push(lifecycle.len());
            lifecycle.push(entry);
        }

        Self {
            kev_version,
            kev,
            kev_by_key,
            kev_by_cve,
            products,
            aliases: prepared,
            phrase_index,
            max_phrase_words,
            makers: maker_index,
            fixed,
            lifecycle_by_maker,
            lifecycle_by_model,
            lifecycle,
            unmatched_kev_patterns,
        }
    }

    pub fn kev_version(&self) -> &str {
        &self.kev_version
    }

    pub fn kev_count(&self) -> usize {
        self.kev.len()
    }

    pub fn kev_entry(&self, cve_id: &str) -> Option<&KevEntry> {
        self.kev_by_cve.get(cve_id).map(|&i| &self.kev[i])
    }

    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    pub fn alias_ids(&self) -> impl Iterator<Item = &str> {
        self.aliases.iter().map(|a| a.alias.id.as_str())
    }

    /// KEV patterns of the alias table that match no entry of the loaded KEV catalog, as
    /// (alias id, vendor, product): a typo, or a product CISA renamed.
    pub fn unmatched_kev_patterns(&self) -> &[(String, String, String)] {
        &self.unmatched_kev_patterns
    }

    pub(super) fn canonical_maker(&self, text: &str) -> String {
        let key = maker_key(text);
        self.makers.get(&key).cloned().unwrap_or(key)
    }
}

fn named_synonyms(scheme: &NamedScheme) -> Vec<(Vec<String>, Vec<String>)> {
    let mut synonyms: Vec<(Vec<String>, Vec<String>)> = scheme
        .synonyms
        .iter()
        .map(|s| {
            let split = |t: &str| -> Vec<String> {
                phrase_key(t)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            (split(&s.phrase), split(&s.replacement))
        })
        .filter(|(p, _)| !p.is_empty())
        .collect();
    // Longest phrase first, so that `iot enterprise` wins over `enterprise`.
    synonyms.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    synonyms
}

pub(super) fn numeric_cycle(cycle: &str) -> Option<Vec<u32>> {
    let plain = !cycle.is_empty()
        && cycle.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !cycle.starts_with('.')
        && !cycle.ends_with('.');
    if !plain {
        return None;
    }
    cycle.split('.').map(|p| p.parse().ok()).collect()
}

fn prepare_cycle(
    release: &ReleaseCycle,
    scheme: &CycleScheme,
    qualifiers: &HashSet<String>,
) -> PreparedCycle {
    let words: Vec<String> = match scheme {
        CycleScheme::Named(NamedScheme {
            tokens_from: NamedTokens::Label,
            ..
        }) => {
            let label = release.label.as_deref().unwrap_or(&release.cycle);
            words(&normalize(&strip_quoted(label)))
                .into_iter()
                .map(str::to_owned)
                .collect()
        }
        _ => normalize(&release.cycle)
            .split('-')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let (mut qual, core): (Vec<String>, Vec<String>) =
        words.into_iter().partition(|w| qualifiers.contains(w));
    qual.sort();
    qual.dedup();
    PreparedCycle {
        numeric: numeric_cycle(&release.cycle),
        core,
        qualifiers: qual,
        latest_build: release
            .latest
            .as_deref()
            .and_then(Version::parse)
            .filter(|v| v.parts().len() >= 3)
            .map(|v| v.parts()[..3].to_vec()),
    }
}

/// Leaves out 'quoted' code names of labels such as `2022 'Dallas'`.
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '\'' {
            inside = !inside;
            out.push(' ');
        } else if !inside {
            out.push(c);
        }
    }
    out
}
