//! Loads `catalog/assurance/<id>.toml`: one year of the security-assurance project
//! (医療機関におけるサイバーセキュリティ確保事業) each, as `mamori_domain::assurance::Program`,
//! checked by `Program::validate`. The bed bands (病床規模区分) of the newest year are the
//! defaults offered when a programme year is opened.

use std::collections::HashSet;
use std::path::Path;

use mamori_domain::FiscalYear;
use mamori_domain::assurance::{BedBands, Program};

use crate::CatalogError;

/// Loads the folder; a missing folder is no programme.
pub fn load(dir: &Path, errors: &mut Vec<CatalogError>) -> Vec<Program> {
    let mut out: Vec<Program> = Vec::new();
    if !dir.is_dir() {
        return out;
    }
    let mut years: HashSet<FiscalYear> = HashSet::new();
    for path in crate::toml_files(dir, errors) {
        let read = crate::read_table::<Program>(&path, "excluded");
        let Some(program) = read.map_err(|e| errors.push(e)).ok() else {
            continue;
        };
        let before = errors.len();
        if path.file_stem().and_then(|s| s.to_str()) != Some(program.id.as_str()) {
            errors.push(CatalogError::new(
                &path,
                None,
                format!("the file should be named {}.toml after its id", program.id),
            ));
        }
        if let Err(e) = crate::fiscal_year(&path, None, program.fiscal_year.start_year()) {
            errors.push(e);
        }
        if !years.insert(program.fiscal_year) {
            errors.push(CatalogError::new(
                &path,
                None,
                format!("a second programme for fiscal year {}", program.fiscal_year),
            ));
        }
        if program.sources.is_empty() {
            errors.push(CatalogError::new(
                &path,
                None,
                "sources is empty: every file cites where its text comes from",
            ));
        }
        if let Err(problems) = program.validate() {
            for p in problems {
                errors.push(CatalogError::new(
                    &path,
                    None,
                    format!("{}: {}", p.field, p),
                ));
            }
        }
        if errors.len() == before {
            out.push(program);
        }
    }
    out.sort_by_key(|p| p.fiscal_year);
    out
}

/// The bed bands to offer for `fiscal_year`: that year's programme's, else the newest
/// programme's, else the working default.
pub fn default_bands(programs: &[Program], fiscal_year: FiscalYear) -> BedBands {
    programs
        .iter()
        .find(|p| p.fiscal_year == fiscal_year)
        .or_else(|| programs.last())
        .map_or_else(BedBands::standard, |p| p.bands.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, text: &str) -> Vec<CatalogError> {
        let name = format!("assurance-{name}");
        crate::tests::load_scratch(&name, &[("r7.toml", text)], load).1
    }

    fn r7() -> String {
        std::fs::read_to_string(crate::bundled_dir().join("assurance/r7.toml")).expect("r7")
    }

    #[test]
    fn the_bundled_programme_loads_with_the_standard_bands() {
        let mut errors = Vec::new();
        let programs = load(&crate::bundled_dir().join("assurance"), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let r7 = programs.iter().find(|p| p.id == "r7").expect("r7");
        assert_eq!(r7.fiscal_year, FiscalYear::new(2025).expect("year"));
        assert_eq!(r7.bands, BedBands::standard());
        let later = FiscalYear::new(2027).expect("year");
        assert_eq!(default_bands(&programs, later), r7.bands);
        assert_eq!(default_bands(&[], later), BedBands::standard());
    }

    #[test]
    fn bad_programmes_are_refused_with_their_file() {
        let gap = r7().replace(
            "{ min_beds = 200, max_beds = 399 }",
            "{ min_beds = 250, max_beds = 399 }",
        );
        let errors = scratch("gap", &gap);
        assert!(
            errors
                .iter()
                .any(|e| e.file.ends_with("r7.toml") && e.problem.contains("gap")),
            "{errors:?}"
        );
        let errors = scratch("id", &r7().replace("id = \"r7\"", "id = \"r8\""));
        assert!(
            errors.iter().any(|e| e.problem.contains("named r8.toml")),
            "{errors:?}"
        );
    }
}
