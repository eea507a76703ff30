//! Loads `catalog/support/<region>-<fiscal year>.toml`: one support menu (支援メニュー) per
//! region (`national` or a JIS X 0401 prefecture code) and fiscal year.

use std::collections::HashSet;
use std::path::Path;

use mamori_domain::support::{Region, SupportMenu, SupportProgram};
use mamori_domain::{ChecklistVersion, FiscalYear, ItemRole};
use serde::Deserialize;

use crate::CatalogError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMenu {
    region: String,
    fiscal_year: i32,
    title_ja: String,
    title_en: String,
    sources: Vec<String>,
    notes: String,
    training_related: Option<TrainingRelated>,
    programs: Vec<SupportProgram>,
}

/// The checklist items counted as training-related, by role (`password_reuse`), with why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRelated {
    pub roles: Vec<ItemRole>,
    pub reason_ja: String,
    pub reason_en: String,
}

/// Every menu of the folder and the training-related items they name.
#[derive(Debug, Clone, Default)]
pub struct SupportCatalog {
    pub menus: Vec<SupportMenu>,
    pub training_related: Option<TrainingRelated>,
}

impl TrainingRelated {
    /// The numbers (`2(8)`) of the training-related items of `version`, in the sheet's order,
    /// each once.
    pub fn item_numbers(&self, version: &ChecklistVersion) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in &version.items {
            if item.role.is_some_and(|r| self.roles.contains(&r)) && !out.contains(&item.number) {
                out.push(item.number.clone());
            }
        }
        out
    }
}

impl SupportCatalog {
    /// The programmes open to an institution of `prefecture` (its prefecture's and the
    /// national ones; every region's when `None`) in `fiscal_year`, with their region.
    pub fn programs(
        &self,
        prefecture: Option<mamori_domain::Prefecture>,
        fiscal_year: FiscalYear,
    ) -> Vec<(Region, &SupportProgram)> {
        let mut menus: Vec<&SupportMenu> = self
            .menus
            .iter()
            .filter(|m| m.fiscal_year == fiscal_year)
            .filter(|m| prefecture.is_none_or(|p| m.region.serves(p)))
            .collect();
        // The prefecture's own menu first, then the national one.
        menus.sort_by_key(|m| (m.region == Region::National, m.region));
        menus
            .into_iter()
            .flat_map(|m| m.programs.iter().map(move |p| (m.region, p)))
            .collect()
    }

    /// The programme `id` of `fiscal_year`, or of the latest year that has it.
    pub fn program(
        &self,
        id: &str,
        fiscal_year: Option<FiscalYear>,
    ) -> Option<(&SupportMenu, &SupportProgram)> {
        self.menus
            .iter()
            .filter(|m| fiscal_year.is_none_or(|fy| m.fiscal_year == fy))
            .filter_map(|m| m.programs.iter().find(|p| p.id == id).map(|p| (m, p)))
            .max_by_key(|(m, _)| m.fiscal_year)
    }

    /// The fiscal years with a menu, newest first.
    pub fn fiscal_years(&self) -> Vec<FiscalYear> {
        let mut years: Vec<FiscalYear> = self.menus.iter().map(|m| m.fiscal_year).collect();
        years.sort();
        years.dedup();
        years.reverse();
        years
    }

    /// The regions with a menu.
    pub fn regions(&self) -> Vec<Region> {
        let mut regions: Vec<Region> = self.menus.iter().map(|m| m.region).collect();
        regions.sort();
        regions.dedup();
        regions
    }
}

/// Loads the folder; a missing folder is an empty menu.
pub fn load(dir: &Path, errors: &mut Vec<CatalogError>) -> SupportCatalog {
    let mut out = SupportCatalog::default();
    if !dir.is_dir() {
        return out;
    }
    let mut ids: HashSet<(FiscalYear, String)> = HashSet::new();
    let mut regions: HashSet<(Region, FiscalYear)> = HashSet::new();
    for path in crate::toml_files(dir, errors) {
        let read = crate::read_table::<RawMenu>(&path, "programs");
        let Some(raw) = read.map_err(|e| errors.push(e)).ok() else {
            continue;
        };
        let before = errors.len();
        let region = Region::parse(&raw.region).map_err(|e| {
            errors.push(CatalogError::new(
                &path,
                None,
                format!(
                    "region: '{}' is not 'national' nor a prefecture code: {}",
                    raw.region, e
                ),
            ))
        });
        let fiscal_year =
            crate::fiscal_year(&path, None, raw.fiscal_year).map_err(|e| errors.push(e));
        let (Ok(region), Ok(fiscal_year)) = (region, fiscal_year) else {
            continue;
        };
        let expected = format!("{}-{}", region.code(), fiscal_year.start_year());
        if path.file_stem().and_then(|s| s.to_str()) != Some(expected.as_str()) {
            errors.push(CatalogError::new(
                &path,
                None,
                format!(
                    "the file should be named {expected}.toml after its region and fiscal_year"
                ),
            ));
        }
        if !regions.insert((region, fiscal_year)) {
            errors.push(CatalogError::new(
                &path,
                None,
                format!(
                    "a second menu for region {} in fiscal year {fiscal_year}",
                    region.code()
                ),
            ));
        }
        if raw.sources.is_empty() {
            errors.push(CatalogError::new(
                &path,
                None,
                "sources is empty: every file cites where its text comes from",
            ));
        }
        if raw.title_ja.trim().is_empty() || raw.title_en.trim().is_empty() {
            errors.push(CatalogError::new(
                &path,
                None,
                "title_ja / title_en is empty",
            ));
        }
        for (i, program) in raw.programs.iter().enumerate() {
            let item = format!("programs[{i}] {}", program.id);
            for (field, problem) in program.problems() {
                errors.push(CatalogError::new(
                    &path,
                    Some(&item),
                    format!("{field}: {problem}"),
                ));
            }
            if !ids.insert((fiscal_year, program.id.clone())) {
                errors.push(CatalogError::new(
                    &path,
                    Some(&item),
                    format!(
                        "id '{}' is used twice in fiscal year {fiscal_year}",
                        program.id
                    ),
                ));
            }
        }
        if let Some(t) = raw.training_related {
            if t.roles.is_empty() {
                errors.push(CatalogError::new(
                    &path,
                    None,
                    "training_related.roles is empty",
                ));
            }
            if out.training_related.is_some() {
                errors.push(CatalogError::new(
                    &path,
                    None,
                    "training_related is given in a second file: keep it in one (the national menu)",
                ));
            }
            out.training_related = Some(t);
        }
        if errors.len() == before {
            out.menus.push(SupportMenu {
                region,
                fiscal_year,
                title_ja: raw.title_ja,
                title_en: raw.title_en,
                sources: raw.sources,
                notes: raw.notes,
                programs: raw.programs,
            });
        }
    }
    out.menus
        .sort_by_key(|m| (std::cmp::Reverse(m.fiscal_year), m.region));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> SupportCatalog {
        let mut errors = Vec::new();
        let s = load(&crate::bundled_dir().join("support"), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        s
    }

    fn scratch(name: &str, files: &[(&str, &str)]) -> Vec<CatalogError> {
        crate::tests::load_scratch(&format!("support-{name}"), files, load).1
    }

    fn tokyo() -> String {
        std::fs::read_to_string(crate::bundled_dir().join("support/13-2026.toml")).expect("tokyo")
    }

    #[test]
    fn the_bundled_menus_load() {
        let s = bundled();
        let fy = FiscalYear::new(2026).expect("year");
        let tokyo = s.programs(
            Some(mamori_domain::Prefecture::parse("13").expect("13")),
            fy,
        );
        assert!(
            tokyo
                .iter()
                .any(|(r, p)| p.id == "tokyo-cybersecurity-equipment" && *r != Region::National)
        );
        assert!(
            tokyo
                .iter()
                .any(|(r, p)| p.id == "mhlw-mist-training" && *r == Region::National)
        );
        assert_eq!(
            tokyo.first().map(|(r, _)| *r),
            Some(Region::Prefecture(
                mamori_domain::Prefecture::parse("13").expect("13")
            )),
            "the prefecture's own first"
        );
        let kagoshima = s.programs(
            Some(mamori_domain::Prefecture::parse("46").expect("46")),
            fy,
        );
        assert!(kagoshima.iter().all(|(r, _)| *r == Region::National));
        let (_, p) = s
            .program("mhlw-security-assurance", None)
            .expect("assurance");
        assert_eq!(p.status, mamori_domain::support::ProgramStatus::Closed);
        assert!(s.training_related.is_some());
    }

    #[test]
    fn bad_files_name_the_file_the_programme_and_the_field() {
        let tokyo = tokyo();
        let menu = |from, to| tokyo.replace(from, to);
        let cases: [(&str, &str, String, &[&str]); 6] = [
            (
                "bad-rate",
                "13-2026.toml",
                menu("rate = \"1/2\"", "rate = \"3/2\""),
                &["13-2026.toml: item tokyo-cybersecurity-equipment", "3/2"],
            ),
            (
                "bad-field",
                "13-2026.toml",
                menu(
                    "covers_en = \"Pays for buying",
                    "coverz_en = \"Pays for buying",
                ),
                &["item tokyo-cybersecurity-equipment", "coverz_en"],
            ),
            (
                "bad-amount",
                "13-2026.toml",
                menu("amount = 12500000", "amount = -1"),
                &[
                    "programs[3] tokyo-cybersecurity-equipment",
                    "subsidy.standard_amounts[1].amount",
                ],
            ),
            (
                "bad-name",
                "tokyo.toml",
                tokyo.clone(),
                &["should be named 13-2026.toml"],
            ),
            (
                "twice",
                "13-2026.toml",
                menu(
                    "id = \"tokyo-police-seminar\"",
                    "id = \"tokyo-digital-seminar\"",
                ),
                &["used twice"],
            ),
            // Any refusal will do.
            (
                "no-sources",
                "13-2026.toml",
                tokyo.replacen("sources = [", "sources = [] \nold_sources = [", 1),
                &[],
            ),
        ];
        for (name, file, text, parts) in cases {
            let errors = scratch(name, &[(file, &text)]);
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            assert!(
                text.iter()
                    .any(|e| parts.iter().all(|part| e.contains(part))),
                "{name}: {parts:?} in {text:?}"
            );
        }
    }

    /// Every row of every bundled 基準額 table, at a cost above and below its amount, and
    /// every rate option, through the estimate: the rule min(基準額, cost) × rate, rounded.
    #[test]
    fn every_bundled_subsidy_table_estimates_by_its_rule() {
        use mamori_domain::InstitutionKind;
        use mamori_domain::support::{EstimateInput, estimate};
        let s = bundled();
        let mut checked = 0;
        for menu in &s.menus {
            for p in &menu.programs {
                let Some(subsidy) = &p.subsidy else { continue };
                for option in &subsidy.rates {
                    let rate_option = (subsidy.rates.len() > 1).then(|| option.key.clone());
                    let beds_for = |k: InstitutionKind, row: Option<&mamori_domain::support::StandardAmount>| match k {
                        InstitutionKind::Hospital => row.and_then(|r| r.min_beds).unwrap_or(20).max(20),
                        InstitutionKind::ClinicWithBeds => 19,
                        _ => 0,
                    };
                    let rows: Vec<_> = if subsidy.standard_amounts.is_empty() {
                        p.eligible_kinds.iter().map(|k| (*k, None)).collect()
                    } else {
                        subsidy
                            .standard_amounts
                            .iter()
                            .flat_map(|r| r.kinds.iter().map(move |k| (*k, Some(r))))
                            .collect()
                    };
                    for (kind, row) in rows {
                        let standard = row.map(|r| r.amount);
                        for cost in [
                            standard.unwrap_or(1_000_000) * 2,
                            standard.unwrap_or(1_000_000) / 2 + 777,
                        ] {
                            let input = EstimateInput {
                                kind,
                                beds: beds_for(kind, row),
                                cost,
                                rate_option: rate_option.clone(),
                            };
                            let e = estimate(p, &input)
                                .unwrap_or_else(|e| panic!("{} {input:?}: {e}", p.id));
                            let base = standard.map_or(cost, |a| a.min(cost));
                            let expected = subsidy
                                .rounding
                                .apply(base * option.rate.numerator() / option.rate.denominator());
                            let expected = subsidy.max_amount.map_or(expected, |m| expected.min(m));
                            let expected = if subsidy.min_amount.is_some_and(|m| expected < m) {
                                0
                            } else {
                                expected
                            };
                            assert_eq!(e.standard_amount, standard, "{} {input:?}", p.id);
                            assert_eq!(e.estimate, expected, "{} {input:?}", p.id);
                            checked += 1;
                        }
                    }
                }
            }
        }
        // Tokyo's equipment table (5 rows), its DX training subsidy (3 kinds), お助け隊 (4 kinds × 2 rates).
        assert_eq!(checked, 2 * (5 + 3 + 8));
    }
}
