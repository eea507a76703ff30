//! `mamori bench-oversight`: oversight's figures and search over a country of institutions,
//! at a tenth of the size and at the whole, on SQLite and (with `--database-url`)
//! PostgreSQL, so that the growth from one to the other shows.
//!
//! The institutions (the mix of the MHLW statistics: 3.4 % hospitals, 44 % medical clinics,
//! 28 % dental clinics, 26 % pharmacies; Tokyo a tenth, the rest spread over the other 46
//! prefectures), their kept fiscal-year states (four in five have one) and open target dates
//! (one in seven, half of them past) are written straight into a scratch database with one
//! `INSERT … SELECT` each, with the first-round answers of the institutions with a state
//! (21 items each, one in nine いいえ: about 4 million rows at 240,000). It measures the
//! reads, the use cases the page and the API call, one at a time and by sixteen callers at
//! once (in process), then, at the whole country's size, starts `mamori serve` on the same
//! database and loads it over HTTP, and measures the answer writes with the states kept
//! against the write path before them (`bench_oversight_load`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use mamori_app::App;
use mamori_app::oversight::{ListQuery, institutions, items_answered_no, summary};
use mamori_catalog::Catalog;
use mamori_domain::{FiscalYear, Prefecture, Principal, Role};
use mamori_store::{OversightFilter, Store};

use crate::bench_ledger::{drop_engine, ms, scratch_engines};
use crate::bench_oversight_load::{self, national_account, write_rates};

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
    /// Keeps the seeded PostgreSQL databases (their addresses are printed), to read query
    /// plans on them; drop them by hand afterwards. SQLite's files go with their folder.
    #[arg(long)]
    keep_databases: bool,
}

/// The fiscal year seeded and measured.
const YEAR: i32 = 2026;

/// The keys of the R7 form's items, each with its place (which spreads the いいえ).
const ITEM_KEYS: [&str; 21] = [
    "1-1",
    "2-1-all",
    "2-2-all",
    "2-3-all",
    "2-4-server",
    "2-4-pc",
    "2-5-server",
    "2-5-pc",
    "2-6-all",
    "2-7-all",
    "2-8-all",
    "2-9-all",
    "2-10-all",
    "2-11-server",
    "2-12-server",
    "2-12-pc",
    "2-13-network",
    "3-1",
    "3-2",
    "3-3",
    "3-4",
];

/// The first-round answers of every institution with a kept state (four in five): one
/// answer in nine いいえ, spread over the items; `$1` is the user who answered.
fn answers_sql() -> String {
    let items = ITEM_KEYS
        .iter()
        .enumerate()
        .map(|(n, key)| format!("SELECT '{key}' AS item_key, {n} AS n"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    format!(
        "INSERT INTO answers (institution_id, fiscal_year, item_key, round, answer, checked_on, target_date, updated_by, updated_at) \
         SELECT i.id, {YEAR}, k.item_key, 1, CASE WHEN (i.id * 7 + k.n * k.n) % 9 = 0 THEN 'no' ELSE 'yes' END, '2026-06-01', CASE WHEN (i.id * 7 + k.n * k.n) % 9 = 0 THEN '2027-03-31' END, $1, '2026-06-01T00:00:00Z' \
         FROM institutions i CROSS JOIN ({items}) k WHERE i.id % 5 <> 0"
    )
}

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

/// Seeds `n` institutions; how long it took, and the user the answers are by.
async fn seed(store: &Store, url: &str, n: u32) -> Result<(Duration, i64)> {
    let started = Instant::now();
    let answering = store
        .create_user(
            &mamori_store::NewUser {
                login: "bench-answers".into(),
                password_hash: String::new(),
                role: Role::NationalAdmin,
                institution_id: None,
                prefecture: None,
                is_demo: false,
            },
            None,
        )
        .await?;
    let answers = answers_sql();
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
            for sql in [states, targets] {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
            }
            sqlx::query(sqlx::AssertSqlSafe(answers))
                .bind(answering)
                .execute(&pool)
                .await?;
            // What each state was counted under, as the store keeps it.
            sqlx::query("UPDATE year_states SET answered_no = n.keys FROM (SELECT institution_id, fiscal_year, string_agg(item_key, ',' ORDER BY item_key) AS keys FROM answers WHERE round = 1 AND answer = 'no' GROUP BY institution_id, fiscal_year) n WHERE n.institution_id = year_states.institution_id AND n.fiscal_year = year_states.fiscal_year")
                .execute(&pool)
                .await?;
            pool.close().await;
        }};
    }
    if postgres {
        run_on!(sqlx::PgPool);
    } else {
        run_on!(sqlx::SqlitePool);
    }
    // The store's own start indexes the names (the rows were written straight into the
    // table); then the statistics, as a running database's would be (PostgreSQL plans the
    // search by the gram index's).
    store.migrate().await?;
    macro_rules! analyze {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await?;
            sqlx::query("ANALYZE").execute(&pool).await?;
            pool.close().await;
        }};
    }
    if postgres {
        analyze!(sqlx::PgPool);
    } else {
        analyze!(sqlx::SqlitePool);
    }
    Ok((started.elapsed(), answering))
}

/// The clients that call at once in the concurrent measure.
const CLIENTS: usize = 16;

/// The median and the 99th percentile of `runs` calls of `op` by each of [`CLIENTS`] clients
/// calling at once, in milliseconds.
async fn time_concurrently<F, Fut, T>(runs: usize, op: F) -> Result<(f64, f64)>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<T>> + Send,
    T: Send + 'static,
{
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let op = op.clone();
        clients.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let started = Instant::now();
                op().await?;
                times.push(ms(started.elapsed()));
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(CLIENTS * runs);
    for client in clients {
        times.extend(client.await??);
    }
    times.sort_by(f64::total_cmp);
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    Ok((times[times.len() / 2], p99))
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
        "| engine | institutions | seeding (s) | national summary | Tokyo summary | Tottori summary | national list, first page | name search, national | name search, Tokyo | overdue filter, national | items answered No, national | items answered No, Tokyo |"
    )?;
    writeln!(
        report,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    let mut concurrent = String::new();
    writeln!(
        concurrent,
        "\n{CLIENTS} callers of the service layer at once, each calling {} times; median / 99th percentile in ms.\n",
        args.runs
    )?;
    writeln!(
        concurrent,
        "| engine | institutions | national summary | Tokyo summary | Tottori summary | name search, national | hospitals in progress, Tokyo | the national page's reads |"
    )?;
    writeln!(concurrent, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
    let mut loaded = String::new();
    writeln!(
        loaded,
        "\nThe whole country over HTTP: `mamori serve` on the seeded database, 16 clients for 5 s each (p50 / p99 in ms, and requests per second), its memory (RSS when idle, and the peak, VmHWM, after all the loads), and answers written per second by 16 writers through the service layer with the fiscal-year states kept and without them (the write path before oversight), each measured twice in turn: Yes to item 1-1 each time, on another day of checking (most writes change neither the state nor the open target dates, as the answer write of `mamori bench`), and Yes and No with a target date in turn (each write changes the open target dates).\n"
    )?;
    writeln!(
        loaded,
        "| engine | institutions | answers/s, the same answer: states kept / before (ratio) | answers/s, flipping answers: kept / before (ratio) | national summary | Tokyo summary | Tottori summary | name search, national | hospitals in progress, Tokyo | the national page | idle RSS (MiB) | peak RSS (MiB) |"
    )?;
    writeln!(
        loaded,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    let mut scheduler = String::new();
    writeln!(
        scheduler,
        "\nThe notification scheduler's passes, once every institution has an admin (ms, and the notifications written): the first pass on the day the later seeded target dates fall on (every open target date already passed, once, and those due that day), the same day again, and the next day. Then the mail pass, every admin with an address: routing every notice to a mail of its own (ms, and the mails made), sending for 10 s to aiosmtpd on loopback (its Sink handler), and what a minimal client (Python's smtplib, one connection) gets through to the same server.\n"
    )?;
    writeln!(
        scheduler,
        "| engine | institutions | first pass | the same day again | the next day | mail: routing | mail: sending | the SMTP server's ceiling |"
    )?;
    writeln!(scheduler, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
    for size in [args.institutions / 10, args.institutions] {
        for engine in scratch_engines(args.database_url.as_deref(), "oversight").await? {
            let result = async {
                // The audit key in a file, for the server started on the same database.
                let files = tempfile::Builder::new()
                    .prefix("mamori_bench_oversight_server_")
                    .tempdir()?;
                let key = mamori_store::AuditKey::create_file(&files.path().join("audit.key"))?;
                let store = Store::connect(&engine.url).await?;
                store.migrate().await?;
                store.open_audit_log(key.clone(), None).await?;
                let (seeded, answering) = seed(&store, &engine.url, size).await?;
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
                for prefecture in [None, Some(tokyo)] {
                    cells.push(
                        time(args.runs, || async {
                            items_answered_no(&app, &national, fy, prefecture, 10)
                                .await
                                .map_err(|e| anyhow!("{}", e.message_en()))
                        })
                        .await?,
                    );
                }
                // The same reads, by many callers at once.
                let mut together = Vec::new();
                for prefecture in [None, Some(tokyo), Some(tottori)] {
                    let app = app.clone();
                    together.push(
                        time_concurrently(args.runs, move || {
                            let app = app.clone();
                            async move {
                                summary(&app, &national, fy, prefecture)
                                    .await
                                    .map_err(|e| anyhow!("{}", e.message_en()))
                            }
                        })
                        .await?,
                    );
                }
                let in_progress = OversightFilter {
                    kind: Some(mamori_domain::oversight::OversightKind::Hospital),
                    state: Some(mamori_domain::oversight::YearState::InProgress),
                    ..OversightFilter::default()
                };
                for query in [
                    search(None, named.clone()),
                    search(Some(tokyo), in_progress),
                ] {
                    let app = app.clone();
                    together.push(
                        time_concurrently(args.runs, move || {
                            let app = app.clone();
                            let query = query.clone();
                            async move {
                                institutions(&app, &national, fy, &query)
                                    .await
                                    .map_err(|e| anyhow!("{}", e.message_en()))
                            }
                        })
                        .await?,
                    );
                }
                // What the national page reads: this year's and last year's figures, the
                // items answered いいえ (both years), the inspections and the first page.
                {
                    let app = app.clone();
                    together.push(
                        time_concurrently(args.runs, move || {
                            let app = app.clone();
                            async move {
                                let fail = |e: mamori_app::Error| anyhow!("{}", e.message_en());
                                summary(&app, &national, fy, None).await.map_err(fail)?;
                                summary(&app, &national, fy.previous(), None)
                                    .await
                                    .map_err(fail)?;
                                items_answered_no(&app, &national, fy, None, 10)
                                    .await
                                    .map_err(fail)?;
                                items_answered_no(&app, &national, fy.previous(), None, i64::MAX)
                                    .await
                                    .map_err(fail)?;
                                mamori_app::oversight::inspections(&app, &national, fy, None, 200)
                                    .await
                                    .map_err(fail)?;
                                institutions(&app, &national, fy, &ListQuery::default())
                                    .await
                                    .map_err(fail)
                            }
                        })
                        .await?,
                    );
                }
                let mut over_http = None;
                if size == args.institutions {
                    let codes = national_account(&app.store).await?;
                    let rates =
                        write_rates(&app, &engine.url, &key, catalog, fy, size, answering).await?;
                    over_http = Some((
                        rates,
                        bench_oversight_load::over_http(files.path(), &engine.url, &codes, fy)
                            .await?,
                    ));
                }
                let passes = bench_oversight_load::scheduler_passes(&app, &engine.url).await?;
                let mail = crate::bench_mail::mail_pass(&app, &engine.url).await?;
                app.store.close().await;
                let scheduler_line = format!(
                    "| {} | {size} | {:.0} ({}) | {:.1} ({}) | {:.0} ({}) |",
                    engine.name,
                    ms(passes.first.0),
                    passes.first.1,
                    ms(passes.again.0),
                    passes.again.1,
                    ms(passes.next_day.0),
                    passes.next_day.1,
                ) + &format!(
                    " {:.0} ({}) | {} in {:.1} s ({:.0}/s) | {:.0}/s |",
                    ms(mail.routed.0),
                    mail.routed.1,
                    mail.sent.1,
                    mail.sent.0.as_secs_f64(),
                    mail.sent.1 as f64 / mail.sent.0.as_secs_f64(),
                    mail.ceiling_per_second,
                );
                let loaded_line = match over_http {
                    None => None,
                    Some((rates, http)) => {
                        let (same, flipping) = (rates.same, rates.flipping);
                        let mut line = format!(
                            "| {} | {size} | {:.0} / {:.0} ({:.2}) | {:.0} / {:.0} ({:.2}) |",
                            engine.name,
                            same.0,
                            same.1,
                            same.0 / same.1,
                            flipping.0,
                            flipping.1,
                            flipping.0 / flipping.1,
                        );
                        for m in &http.reads {
                            write!(
                                line,
                                " {:.1} / {:.1} ({:.0}/s{}) |",
                                m.p50_ms,
                                m.p99_ms,
                                m.rate,
                                if m.errors > 0 {
                                    format!(", {} errors", m.errors)
                                } else {
                                    String::new()
                                }
                            )?;
                        }
                        write!(line, " {:.1} | {:.1} |", http.idle_mib, http.peak_mib)?;
                        Some(line)
                    }
                };
                let mut line =
                    format!("| {} | {size} | {:.1} |", engine.name, seeded.as_secs_f64());
                for (median, slowest) in cells {
                    write!(line, " {median:.1} / {slowest:.1} |")?;
                }
                let mut at_once = format!("| {} | {size} |", engine.name);
                for (median, p99) in together {
                    write!(at_once, " {median:.1} / {p99:.1} |")?;
                }
                anyhow::Ok((line, at_once, loaded_line, scheduler_line))
            }
            .await;
            if args.keep_databases && engine.url.starts_with("postgres") {
                println!("kept: {}", engine.url);
            } else {
                drop_engine(&engine).await;
            }
            let (line, at_once, loaded_line, scheduler_line) =
                result.with_context(|| format!("{} with {size} institutions", engine.name))?;
            println!("{line}\n{at_once}\n{scheduler_line}");
            writeln!(scheduler, "{scheduler_line}")?;
            writeln!(report, "{line}")?;
            writeln!(concurrent, "{at_once}")?;
            if let Some(l) = loaded_line {
                println!("{l}");
                writeln!(loaded, "{l}")?;
            }
        }
    }
    report.push_str(&concurrent);
    report.push_str(&loaded);
    report.push_str(&scheduler);
    print!("\n{report}");
    if let Some(path) = &args.output {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
