//! `mamori catalog update`: installs newer KEV and endoflife.date files into a datasets
//! folder that servers read at start (`--datasets`, `MAMORI_DATASETS_DIR`), without a new
//! release. The new files go through the same loaders first; the whole folder is then
//! assembled beside the old one, validated as a whole, and swapped in, so a bad download
//! never replaces good data and a server never starts on a half-written folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use mamori_catalog::datasets::{Datasets, bundled_datasets_dir, load_endoflife_dir, load_kev};

#[derive(Args)]
pub struct UpdateArgs {
    /// CISA's `known_exploited_vulnerabilities.json`.
    #[arg(long)]
    kev: Option<PathBuf>,
    /// endoflife.date's `products/` folder (or some of its `<id>.md` files).
    #[arg(long)]
    endoflife: Option<PathBuf>,
    /// The date of the endoflife.date repository state the files come from (YYYY-MM-DD);
    /// default: today.
    #[arg(long)]
    endoflife_snapshot: Option<String>,
    /// The datasets folder servers read (`mamori serve --datasets`). Created from the
    /// bundled datasets when it does not exist yet.
    #[arg(long, env = "MAMORI_DATASETS_DIR", default_value = "mamori-datasets")]
    datasets: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn print_versions(datasets: &Datasets) {
    println!(
        "KEV            catalogVersion {} ({} entries)",
        datasets.kev_version, datasets.kev_count
    );
    println!(
        "endoflife.date snapshot {} ({} products)",
        datasets.endoflife_snapshot, datasets.endoflife_products_count
    );
}

pub fn run(args: &UpdateArgs) -> Result<()> {
    if args.kev.is_none() && args.endoflife.is_none() {
        bail!("give --kev FILE and/or --endoflife DIR");
    }
    // The new files alone, with the publishers' formats.
    let kev = args
        .kev
        .as_deref()
        .map(|path| {
            load_kev(path)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{} is not a valid KEV catalog", path.display()))
        })
        .transpose()?;
    let endoflife_files: Vec<PathBuf> = match args.endoflife.as_deref() {
        None => Vec::new(),
        Some(dir) => {
            load_endoflife_dir(dir)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| {
                    format!(
                        "{} is not a valid endoflife.date products folder",
                        dir.display()
                    )
                })?;
            let mut files = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "md") {
                    files.push(path);
                }
            }
            files
        }
    };

    let target = &args.datasets;
    let current = if target.join("manifest.toml").is_file() {
        target.clone()
    } else {
        bundled_datasets_dir()
    };
    let before = Datasets::load(&current)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("the datasets in {} are not valid", current.display()))?;
    if let Some(k) = &kev
        && k.catalog_version < before.kev_version
    {
        bail!(
            "the KEV file is version {}, older than the installed {}",
            k.catalog_version,
            before.kev_version
        );
    }

    let staging = target.with_extension("new");
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    copy_dir(&current, &staging)?;
    if let Some(path) = &args.kev {
        std::fs::copy(path, staging.join(&before.manifest.kev.file))
            .with_context(|| format!("cannot copy {}", path.display()))?;
    }
    if !endoflife_files.is_empty() {
        let products = staging.join(&before.manifest.endoflife.dir);
        for file in &endoflife_files {
            if let Some(name) = file.file_name() {
                std::fs::copy(file, products.join(name))
                    .with_context(|| format!("cannot copy {}", file.display()))?;
            }
        }
        let snapshot = args.endoflife_snapshot.clone().unwrap_or_else(|| {
            chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        });
        if chrono::NaiveDate::parse_from_str(&snapshot, "%Y-%m-%d").is_err() {
            bail!("--endoflife-snapshot '{snapshot}' is not a YYYY-MM-DD date");
        }
        let manifest_path = staging.join("manifest.toml");
        let manifest = std::fs::read_to_string(&manifest_path)?;
        let old = format!("snapshot = \"{}\"", before.manifest.endoflife.snapshot);
        if !manifest.contains(&old) {
            bail!("{} has no line {old}", manifest_path.display());
        }
        std::fs::write(
            &manifest_path,
            manifest.replacen(&old, &format!("snapshot = \"{snapshot}\""), 1),
        )?;
    }
    // The whole folder must load: aliases still find their products, fixed versions their CVEs.
    let after = match Datasets::load(&staging) {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(anyhow::anyhow!("{e}"))
                .context("the updated datasets are not valid; nothing was changed");
        }
    };
    let old = target.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if target.exists() {
        std::fs::rename(target, &old)?;
    }
    std::fs::rename(&staging, target)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    println!("before:");
    print_versions(&before);
    println!("installed in {}:", target.display());
    print_versions(&after);
    println!(
        "servers started with --datasets {} (or MAMORI_DATASETS_DIR) use them from their next start",
        target.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mamori_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_valid_kev_file_is_installed_and_a_bad_one_changes_nothing() {
        let dir = temp("datasets_update");
        let bundled = bundled_datasets_dir();
        let kev_file = bundled.join("kev/known_exploited_vulnerabilities.json");
        let args = UpdateArgs {
            kev: Some(kev_file),
            endoflife: Some(bundled.join("endoflife/products")),
            endoflife_snapshot: Some("2026-11-01".to_owned()),
            datasets: dir.clone(),
        };
        run(&args).expect("update");
        let installed = Datasets::load(&dir).expect("installed datasets load");
        assert_eq!(installed.endoflife_snapshot, "2026-11-01");

        let bad = dir.with_extension("bad.json");
        std::fs::write(&bad, b"{\"catalogVersion\": \"x\"}").expect("write");
        let args = UpdateArgs {
            kev: Some(bad.clone()),
            endoflife: None,
            endoflife_snapshot: None,
            datasets: dir.clone(),
        };
        assert!(run(&args).is_err());
        assert_eq!(
            Datasets::load(&dir).expect("still loads").kev_version,
            installed.kev_version
        );
        let _ = std::fs::remove_file(bad);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
