//! `mamori bench-oversight`: oversight's figures and search over a country of institutions,
//! at a tenth of the size and at the whole, on SQLite and (with `--database-url`)
//! PostgreSQL, so that the growth from one to the other shows.
//!
//! The institutions (the mix of the MHLW statistics: 3.4 % hospitals, 44 % medical clinics,
//! 28 % dental clinics, 26 % pharmacies; Tokyo a tenth, the rest spread over the other 46
//! prefectures), their kept fiscal-year states (four in five have one) and open target dates
//! (one in seven, half of them past) are written straight into a scratch database with one
//! `INSERT … SELECT` each: this measures the reads, the use cases the page and the API call,
//! one at a time. It does not seed answers, and does not measure concurrent clients or the
//! cost of keeping the states on the write path.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use mamori_app::App;
use mamori_app::oversight::{ListQuery, institutions, summary};
use mamori_catalog::Catalog;
use mamori_domain::{FiscalYear, Prefecture, Principal, Role};
use mamori_store::{OversightFilter, Store};

use crate::bench_ledger::{drop_engine, ms, scratch_engines};

#[derive(Args)]
pub struct BenchOversightArgs {
    /// Institutions of the whole country; a tenth of it is measured first.
    #[arg(long, default_value_t = 240_000)]
    institutions: u32,
    /// Times each query is run (one at a time); the median and the slowest are reported.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Also runs on PostgreSQL: a scratch database is created on this server and dropped.
    #[arg(long)]
    database_url: Option<String>,
    /// Also writes the markdown report to this file.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// The fiscal year seeded and measured.
const YEAR: i32 = 2026;

/// The seeding, per engine: a generator of `$1` rows, then the states and the target dates
/// of those rows.
fn seed_sql(postgres: bool) -> [String; 3] {
    let numbers = if postgres {
        "SELECT generate_series(1, $1) AS i"
    } else {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) SELECT i FROM n"
    };
    let boolean = |cond: &str| {
        if postgres {
            format!("({cond})")
        } else {
            format!("CASE WHEN {cond} THEN 1 ELSE 0 END")
        }
    };
    // Per thousand: 34 hospitals, 440 medical clinics (24 with beds), 280 dental, 246 pharmacies.
    let kind = "CASE WHEN i % 1000 < 34 THEN 'hospital' WHEN i % 1000 < 58 THEN 'clinic_with_beds' WHEN i % 1000 < 474 THEN 'clinic_without_beds' WHEN i % 1000 < 754 THEN 'clinic_without_beds' ELSE 'pharmacy' END";
    let oversight_kind = "CASE WHEN i % 1000 < 34 THEN 'hospital' WHEN i % 1000 < 58 THEN 'clinic_with_beds' WHEN i % 1000 < 474 THEN 'clinic_without_beds' WHEN i % 1000 < 754 THEN 'dental_clinic' ELSE 'pharmacy' END";
    let point_table = "CASE WHEN i % 1000 < 474 THEN '1' WHEN i % 1000 < 754 THEN '3' ELSE '4' END";
    let prefecture = "CASE WHEN i % 10 = 0 THEN 13 WHEN (i % 46) + 1 >= 13 THEN (i % 46) + 2 ELSE (i % 46) + 1 END";
    let two_digits = |n: &str| {
        if postgres {
            format!("lpad(({n})::text, 2, '0')")
        } else {
            format!("printf('%02d', {n})")
        }
    };
    let seven_digits = if postgres {
        "lpad(i::text, 7, '0')"
    } else {
        "printf('%07d', i)"
    };
    let institutions = format!(
        "INSERT INTO institutions (name, kind, prefecture, beds, has_medical_information_system, has_vendor_contracts, medical_institution_code, created_at, updated_at, municipality_name, search_key, oversight_kind) \
         SELECT '施設' || i, {kind}, {pref}, CASE WHEN i % 1000 < 34 THEN 20 + i % 600 WHEN i % 1000 < 58 THEN 1 + i % 19 ELSE 0 END, {system}, {vendors}, {pref} || {point_table} || {seven_digits}, '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z', '', 'しせつ' || i, {oversight_kind} FROM ({numbers}) n",
        pref = two_digits(prefecture),
        system = boolean("i % 50 <> 7"),
        vendors = boolean("i % 3 = 0"),
    );
    let states = format!(
        "INSERT INTO year_states (institution_id, fiscal_year, state, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts) \
         SELECT id, {YEAR}, CASE id % 8 WHEN 0 THEN 'ready' WHEN 1 THEN 'ready' WHEN 2 THEN 'completed' ELSE 'in_progress' END, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts FROM institutions WHERE id % 5 <> 0"
    );
    let targets = format!(
        "INSERT INTO open_targets (institution_id, fiscal_year, item_key, target_date, prefecture, oversight_kind) \
         SELECT id, {YEAR}, '1-1', CASE WHEN id % 2 = 0 THEN '2026-06-30' ELSE '2027-02-28' END, prefecture, oversight_kind FROM institutions WHERE id % 7 = 0"
    );
    [institutions, states, targets]
}

async fn seed(store: &Store, url: &str, n: u32) -> Result<Duration> {
    let started = Instant::now();
    let postgres = url.starts_with("postgres");
    let [institutions, states, targets] = seed_sql(postgres);
    // The same statements on either engine's pool.
    macro_rules! run_on {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await?;
            sqlx::query(sqlx::AssertSqlSafe(institutions))
                .bind(i64::from(n))
                .execute(&pool)
                .await?;
            for sql in [states, targets, "ANALYZE".to_owned()] {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
            }
            pool.close().await;
        }};
    }
    if postgres {
        run_on!(sqlx::PgPool);
    } else {
        run_on!(sqlx::SqlitePool);
    }
    // The store's own start: nothing to fill, but it must not find anything missing either.
    store.migrate().await?;
    Ok(started.elapsed())
}

/// The median and the slowest of `runs` runs of `op`, in milliseconds.
async fn time<F, Fut, T>(runs: usize, op: F) -> Result<(f64, f64)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        op().await?;
        times.push(ms(started.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[times.len() - 1]))
}

pub async fn run(args: BenchOversightArgs) -> Result<()> {
    let catalog_dir = mamori_catalog::bundled_dir();
    let catalog: &'static Catalog = Box::leak(Box::new(
        Catalog::load(&catalog_dir).map_err(|e| anyhow!("{e}"))?,
    ));
    let fy =
        FiscalYear::new(YEAR).map_err(|e| anyhow!(e.message.render(mamori_locale::Lang::En)))?;
    let national = Principal {
        user_id: 0,
        role: Role::NationalAdmin,
        institution_id: None,
        prefecture: None,
    };
    let pref = |code: &str| Prefecture::parse(code).map_err(|e| anyhow!("{e:?}"));
    let tokyo = pref("13")?;
    let tottori = pref("31")?;
    let mut report = String::new();
    writeln!(
        report,
        "`mamori bench-oversight --institutions {}{}` — each query {} times, one at a time; median / slowest in ms.\n",
        args.institutions,
        if args.database_url.is_some() {
            " --database-url …"
        } else {
            ""
        },
        args.runs
    )?;
    writeln!(
        report,
        "| engine | institutions | seeding (s) | national summary | Tokyo summary | Tottori summary | national list, first page | name search, national | name search, Tokyo | overdue filter, national |"
    )?;
    writeln!(report, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for size in [args.institutions / 10, args.institutions] {
        for engine in scratch_engines(args.database_url.as_deref(), "oversight").await? {
            let result = async {
                let store = Store::connect(&engine.url).await?;
                store.migrate().await?;
                store
                    .open_audit_log(mamori_store::AuditKey::generate(), None)
                    .await?;
                let seeded = seed(&store, &engine.url, size).await?;
                let app = App::new(store, catalog);
                let search = |prefecture: Option<Prefecture>, filter: OversightFilter| ListQuery {
                    prefecture,
                    filter,
                    ..ListQuery::default()
                };
                let named = OversightFilter {
                    query: Some("しせつ1234".into()),
                    ..OversightFilter::default()
                };
                let overdue = OversightFilter {
                    overdue_only: true,
                    ..OversightFilter::default()
                };
                let mut cells = Vec::new();
                for prefecture in [None, Some(tokyo), Some(tottori)] {
                    cells.push(
                        time(args.runs, || async {
                            summary(&app, &national, fy, prefecture)
                                .await
                                .map_err(|e| anyhow!("{}", e.message_en()))
                        })
                        .await?,
                    );
                }
                for query in [
                    search(None, OversightFilter::default()),
                    search(None, named.clone()),
                    search(Some(tokyo), named.clone()),
                    search(None, overdue.clone()),
                ] {
                    cells.push(
                        time(args.runs, || async {
                            institutions(&app, &national, fy, &query)
                                .await
                                .map_err(|e| anyhow!("{}", e.message_en()))
                        })
                        .await?,
                    );
                }
                app.store.close().await;
                let mut line =
                    format!("| {} | {size} | {:.1} |", engine.name, seeded.as_secs_f64());
                for (median, slowest) in cells {
                    write!(line, " {median:.1} / {slowest:.1} |")?;
                }
                anyhow::Ok(line)
            }
            .await;
            drop_engine(&engine).await;
            let line =
                result.with_context(|| format!("{} with {size} institutions", engine.name))?;
            println!("{line}");
            writeln!(report, "{line}")?;
        }
    }
    print!("\n{report}");
    if let Some(path) = &args.output {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
