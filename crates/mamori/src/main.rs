//! The `mamori` command: runs the server and the operator's tasks.

mod audit;
mod backup;
mod bench;
mod bench_ledger;
mod bench_mail;
mod bench_memory;
mod bench_oversight;
mod bench_oversight_load;
mod bench_selection;
mod datasets_update;
mod notify;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use mamori_app::App;
use mamori_app::ledger::LedgerData;
use mamori_catalog::Catalog;
use mamori_domain::{Prefecture, Role, Severity};
use mamori_locale::{Lang, Message};
use mamori_store::{AuditProblem, Store, StoreError};
use mamori_web::{AppState, WebConfig};

/// mimalloc instead of the system allocator: a page builds and drops thousands of small
/// strings, and glibc's malloc spent a tenth of the server's time on them under load
/// (`docs/PERFORMANCE.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = Message::new("operator-about").render_both()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// `sqlite:PATH` (the default, a file in the working directory) or `postgres://…`.
    #[arg(long, env = "MAMORI_DATABASE_URL", default_value = "sqlite:mamori.db")]
    database_url: String,
    /// The catalog folder (checklists/, inspection/). Default: ./catalog, else the one
    /// shipped with the source.
    #[arg(long, env = "MAMORI_CATALOG_DIR")]
    catalog: Option<PathBuf>,
    /// The datasets behind the device ledger's flags (KEV, endoflife.date, curated tables),
    /// as `mamori catalog update` keeps them. Default: the datasets shipped with mamori.
    #[arg(long, env = "MAMORI_DATASETS_DIR")]
    datasets: Option<PathBuf>,
    #[command(flatten)]
    audit: audit::AuditArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the web server (pages and API).
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Loads the demo data (institutions and logins with the password `demo-password`).
        #[arg(long)]
        demo: bool,
        /// Marks cookies Secure and sends HSTS: set when served over TLS (by a proxy).
        #[arg(long, env = "MAMORI_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Accounts not used for this many days are listed as unused (checklist 2(5)).
        #[arg(long, env = "MAMORI_UNUSED_ACCOUNT_DAYS", default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3650))]
        unused_account_days: i64,
        /// A device of the ledger whose last patch is older than this many days is flagged.
        #[arg(long, env = "MAMORI_STALE_PATCH_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
        stale_patch_days: u32,
        /// The address users reach mamori at (https://mamori.example.jp), used for links
        /// sent by mail; without it, links are made from the request's Host header.
        #[arg(long, env = "MAMORI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Imports of uploaded files (ledgers, 確保事業 spreadsheets) read at the same time;
        /// more are answered 429 with Retry-After. Each can take ~100 MiB.
        #[arg(long, env = "MAMORI_MAX_CONCURRENT_IMPORTS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
        max_concurrent_imports: u16,
        /// The megabytes of evidence files (証跡) each institution may keep, earlier versions
        /// included.
        #[arg(long, env = "MAMORI_EVIDENCE_QUOTA_MB", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
        evidence_quota_mb: u32,
        #[command(flatten)]
        mail: notify::MailArgs,
        #[command(flatten)]
        backup: backup::ScheduleArgs,
    },
    /// Creates or upgrades the database schema.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Loads the demo data into the database.
    Demo {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Works with the rule catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Prints the inspection verdict of an institution for a fiscal year.
    Inspect {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        institution: i64,
        /// e.g. 2025 for 令和7年度.
        #[arg(long)]
        fiscal_year: String,
        /// Prints JSON, as the API does.
        #[arg(long)]
        json: bool,
    },
    /// Works with the hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Measures the server under load against baselines taken in the same run.
    Bench(bench::BenchArgs),
    /// Measures the device ledger: a 100,000-row Shift_JIS import against a bare CSV parse,
    /// and the ledger page and devices API of a 5,000-device hospital.
    BenchLedger(bench_ledger::BenchLedgerArgs),
    /// Times the security-assurance project's national selection on generated data.
    BenchSelection(bench_selection::BenchSelectionArgs),
    /// Times oversight's figures and search over 24,000 and 240,000 generated institutions.
    BenchOversight(bench_oversight::BenchOversightArgs),
    /// Writes a consistent backup (one archive) while the server keeps running.
    Backup(backup::BackupArgs),
    /// Restores a backup into an empty database and verifies it.
    Restore(backup::RestoreArgs),
    /// Notifications (お知らせ): the scheduler's pass.
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a user. The password is read from standard input (or MAMORI_PASSWORD).
    Add {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        login: String,
        /// national_admin, inspector, prefecture_officer, admin or staff.
        #[arg(long)]
        role: String,
        /// For admin and staff: the institution's id.
        #[arg(long)]
        institution: Option<i64>,
        /// For inspectors and prefecture officers: the prefecture's JIS X 0401 code, e.g. 13.
        #[arg(long)]
        prefecture: Option<String>,
    },
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Runs the scheduler's pass once: writes what falls due up to today (Japan) and exits.
    RunOnce {
        #[command(flatten)]
        store: StoreArgs,
        /// The day to run for (YYYY-MM-DD) instead of today in Japan.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// With an SMTP server, the notifications are mailed too.
        #[command(flatten)]
        mail: notify::MailArgs,
        /// The address users reach mamori at, for the links in mail.
        #[arg(
            long,
            env = "MAMORI_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recomputes the keyed chain of the audit log and checks it against every checkpoint:
    /// an edited, inserted or deleted entry, a chain recomputed without the key, or entries
    /// that differ from a checkpoint are reported and the exit code is 1.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Writes a checkpoint of the audit log's head, signed with the key, into the
    /// checkpoints folder (`serve` writes one daily, `backup` one each time): copy them
    /// elsewhere.
    Checkpoint {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Validates every catalog file without starting the server.
    Check {
        #[arg(long, env = "MAMORI_CATALOG_DIR")]
        catalog: Option<PathBuf>,
    },
    /// Installs newer KEV / endoflife.date files (validated) into the datasets folder the
    /// servers read at start, and prints the versions.
    Update(datasets_update::UpdateArgs),
}

fn catalog_dir(given: Option<&Path>) -> PathBuf {
    match given {
        Some(dir) => dir.to_path_buf(),
        None if Path::new("catalog/checklists").is_dir() => PathBuf::from("catalog"),
        None => mamori_catalog::bundled_dir(),
    }
}

fn load_catalog(given: Option<&Path>) -> Result<Catalog> {
    let dir = catalog_dir(given);
    Catalog::load(&dir)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("the catalog in {} is not valid", dir.display()))
}

use backup::redacted;

/// Opens (creating it if missing) and migrates the database, and gives it its audit key.
async fn open_store(args: &StoreArgs) -> Result<(Store, audit::AuditPaths)> {
    let store = Store::connect(&args.database_url).await.map_err(Into::into);
    migrate_and_key(store, args, true).await
}

/// An existing database only (a mistyped path must not pass as an empty, intact log),
/// migrated, with its audit key.
async fn open_existing_store(args: &StoreArgs) -> Result<(Store, audit::AuditPaths)> {
    let store = Store::open_existing(&args.database_url)
        .await
        .map_err(Into::into);
    migrate_and_key(store, args, false).await
}

/// Migrates the database just opened (or says why it did not open) and gives it its audit
/// key, which may be created only with `create` (see [`audit::open`]).
async fn migrate_and_key(
    store: Result<Store>,
    args: &StoreArgs,
    create: bool,
) -> Result<(Store, audit::AuditPaths)> {
    let url = &args.database_url;
    let store = store.with_context(|| format!("cannot open the database {}", redacted(url)))?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    let paths = audit::open(&store, &args.audit, url, create).await?;
    Ok((store, paths))
}

/// The ledger's datasets of `dir`, or those shipped with mamori; refused when not valid.
fn load_ledger_data(dir: Option<&Path>) -> Result<std::sync::Arc<LedgerData>> {
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(mamori_catalog::datasets::bundled_datasets_dir);
    LedgerData::load(&dir)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("the datasets in {} are not valid", dir.display()))
}

/// The use cases over the store and the catalog of `args`, for the operator's tasks.
async fn app(args: &StoreArgs) -> Result<App> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let (store, _) = open_store(args).await?;
    Ok(App::new(store, Box::leak(Box::new(catalog))))
}

/// The web tier's state, for `serve`.
async fn state(args: &StoreArgs, config: WebConfig) -> Result<(AppState, audit::AuditPaths)> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let ledger = load_ledger_data(args.datasets.as_deref())?;
    let (store, paths) = open_store(args).await?;
    let state = AppState::with_ledger_data(store, catalog, config, ledger);
    // Answers stored before the store kept each institution's year get theirs now.
    let filled = state
        .store
        .fill_year_states()
        .await
        .context("cannot compute the institutions' fiscal years")?;
    if filled > 0 {
        tracing::info!(filled, "fiscal years of institutions computed");
    }
    Ok((state, paths))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mamori: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            store,
            listen,
            demo,
            secure_cookies,
            unused_account_days,
            stale_patch_days,
            public_url,
            max_concurrent_imports,
            evidence_quota_mb,
            mail,
            backup,
        } => {
            let started = std::time::Instant::now();
            let public_url = public_url
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .map(mamori_web::parse_public_url)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--public-url: {e}"))?;
            let mailer = mail.mailer()?;
            let links = mamori_app::mail_delivery::Links::new(
                public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{listen}"))
                    .as_str(),
            );
            let config = WebConfig {
                secure_cookies,
                unused_account_days,
                stale_patch_days,
                public_url,
                max_concurrent_imports: usize::from(max_concurrent_imports),
                ..WebConfig::default()
            };
            let (mut state, audit_paths) = state(&store, config).await?;
            state.app = state
                .app
                .with_evidence_quota(i64::from(evidence_quota_mb) * 1024 * 1024);
            if let Some(mailer) = &mailer {
                tracing::info!(server = mailer.server(), "mail goes through SMTP");
                state = state.with_mailer(mailer.clone());
            }
            if demo
                && mamori_app::demo::load(&state.store, state.catalog)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                tracing::info!("demo data loaded; log in as demo-hospital / demo-password");
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            audit::spawn_daily_checkpoints(state.store.clone(), audit_paths.checkpoints.clone())
                .await?;
            backup::spawn_scheduled(
                &backup,
                state.store.clone(),
                store.database_url.clone(),
                audit_paths.checkpoints,
            )?;
            let cleaner = state.store.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    if let Err(e) = cleaner.delete_expired_sessions().await {
                        tracing::warn!(error = %e, "could not delete expired sessions");
                    }
                }
            });
            mamori_web::spawn_counters(state.clone());
            notify::spawn_passes(
                (*state).clone(),
                mailer.map(|mailer| notify::Mail { mailer, links }),
            );
            let engine = state.store.engine();
            let app = mamori_web::router(state);
            tracing::info!(
                "mamori listens on http://{} ({engine}); ready in {} ms",
                listener
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or(listen),
                started.elapsed().as_millis()
            );
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notify {
            command:
                NotifyCommand::RunOnce {
                    store,
                    today,
                    mail,
                    public_url,
                },
        } => {
            let mail = mail.mailer()?.map(|mailer| notify::Mail {
                mailer,
                links: mamori_app::mail_delivery::Links::new(&public_url),
            });
            let (existing, _) = open_existing_store(&store).await?;
            let app = App::new(
                existing,
                Box::leak(Box::new(load_catalog(store.catalog.as_deref())?)),
            );
            notify::run_once(&app, today, mail.as_ref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { store } => {
            open_store(&store).await?;
            println!(
                "the database {} is up to date",
                redacted(&store.database_url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { store } => {
            let app = app(&store).await?;
            let added = mamori_app::demo::load(&app.store, app.catalog)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}",
                if added {
                    "demo data loaded"
                } else {
                    "demo data is already there"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Add {
                    store,
                    login,
                    role,
                    institution,
                    prefecture,
                },
        } => {
            let app = app(&store).await?;
            let role = Role::parse(&role)
                .map_err(|e| anyhow::anyhow!(e.message.render(mamori_locale::Lang::En)))?;
            let prefecture = prefecture
                .map(|p| Prefecture::parse(&p))
                .transpose()
                .map_err(|e| anyhow::anyhow!(e.message.render(mamori_locale::Lang::En)))?;
            if let Some(id) = institution
                && app.store.institution(id).await?.is_none()
            {
                bail!("there is no institution with id {id}");
            }
            let password = match std::env::var("MAMORI_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut p = String::new();
                    std::io::stdin()
                        .read_to_string(&mut p)
                        .context("cannot read the password from standard input")?;
                    p.trim_end_matches(['\n', '\r']).to_owned()
                }
            };
            let id =
                mamori_app::add_user(&app, None, &login, &password, role, institution, prefecture)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            println!("user {login} added (id {id})");
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Update(args),
        } => {
            datasets_update::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Check { catalog },
        } => {
            let dir = catalog_dir(catalog.as_deref());
            match Catalog::load(&dir) {
                Ok(c) => {
                    for v in &c.checklists {
                        let years: Vec<String> =
                            v.fiscal_years.iter().map(|y| y.to_string()).collect();
                        println!(
                            "ok  {:<18} {} {} — {} items, fiscal years {}",
                            v.id,
                            v.version_label_ja,
                            v.form.label_ja(),
                            v.items.len(),
                            years.join(", ")
                        );
                    }
                    for r in c.inspection.values() {
                        println!("ok  inspection/{}.toml", r.version);
                    }
                    for m in &c.support.menus {
                        println!(
                            "ok  support/{}-{}.toml — {}, {} programmes",
                            m.region.code(),
                            m.fiscal_year.start_year(),
                            m.title_ja,
                            m.programs.len()
                        );
                    }
                    if !c.training.materials.is_empty() {
                        println!(
                            "ok  training/library.toml — {} materials",
                            c.training.materials.len()
                        );
                    }
                    let kinds: Vec<&str> = c
                        .training_obligation
                        .kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect();
                    println!(
                        "ok  training/obligation.toml — {}, {} beds or more, {} training(s) a year",
                        kinds.join(", "),
                        c.training_obligation.min_beds,
                        c.training_obligation.min_sessions
                    );
                    println!(
                        "ok  incident/first_steps.toml — {} steps, {} for those without an institution",
                        c.first_steps.steps.len(),
                        c.first_steps.general().len()
                    );
                    println!("the catalog in {} is valid", dir.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Inspect {
            store,
            institution,
            fiscal_year,
            json,
        } => {
            // An existing database only: a mistyped path must not pass as an empty one.
            let existing = Store::open_existing(&store.database_url)
                .await
                .with_context(|| {
                    format!("cannot open the database {}", redacted(&store.database_url))
                })?;
            existing
                .migrate()
                .await
                .context("cannot migrate the database")?;
            let app = App::new(
                existing,
                Box::leak(Box::new(load_catalog(store.catalog.as_deref())?)),
            );
            let inst = app
                .store
                .institution(institution)
                .await?
                .with_context(|| format!("there is no institution with id {institution}"))?;
            let fy = mamori_app::parse_fiscal_year(&app, &fiscal_year)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            let a = mamori_app::assessment(&app, inst, fy)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&mamori_app::inspection::inspection_json(&a))?
                );
            } else {
                println!(
                    "{} (id {}) — {} {} {}",
                    a.institution.name,
                    a.institution.id,
                    fy.label_ja(),
                    a.version.form.label_ja(),
                    a.version.version_label_ja
                );
                let verdict = if a.verdict.ready {
                    "operator-verdict-ready"
                } else {
                    "operator-verdict-not-ready"
                };
                println!("{}", Message::new(verdict).render_both());
                for f in &a.verdict.findings {
                    let tag = match f.severity {
                        Severity::Blocking => "operator-severity-blocking",
                        Severity::Advice => "operator-severity-advice",
                        Severity::Info => "operator-severity-info",
                    };
                    println!(
                        "[{} {}] {}",
                        Lang::Ja.text(tag),
                        Lang::En.text(tag),
                        f.message.render(Lang::Ja)
                    );
                    println!("        {}", f.message.render(Lang::En));
                }
            }
            Ok(if a.verdict.ready {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Audit {
            command: AuditCommand::Verify { store },
        } => {
            let (store, paths) = match open_existing_store(&store).await {
                Ok(opened) => opened,
                Err(e) => {
                    // An old chain that does not verify was not re-keyed: it is broken.
                    if let Some(StoreError::Audit(AuditProblem::LegacyChainBroken { .. })) =
                        e.downcast_ref::<StoreError>()
                    {
                        let broken =
                            Message::new("operator-audit-broken").with("detail", format!("{e:#}"));
                        eprintln!("{}", broken.render_both());
                        return Ok(ExitCode::from(1));
                    }
                    return Err(e);
                }
            };
            let v = store.verify_audit_log(Some(&paths.checkpoints)).await?;
            match v.problem {
                None => {
                    let intact = Message::new("operator-audit-intact")
                        .with("entries", v.entries)
                        .with("checkpoints", v.checkpoints)
                        .with("folder", paths.checkpoints.display().to_string());
                    println!("{}", intact.render_both());
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, problem)) => {
                    let broken = Message::new("operator-audit-broken-at")
                        .with("seq", seq)
                        .with("problem", problem)
                        .with("entries", v.entries);
                    eprintln!("{}", broken.render_both());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { store },
        } => {
            let (store, paths) = open_existing_store(&store).await?;
            let path = audit::checkpoint(&store, &paths.checkpoints).await?;
            let written = Message::new("operator-audit-checkpoint-written")
                .with("path", path.display().to_string());
            println!("{}", written.render_both());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => bench::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::BenchLedger(args) => bench_ledger_command(args).await.map(|()| ExitCode::SUCCESS),
        Command::BenchSelection(args) => bench_selection::run(args).map(|()| ExitCode::SUCCESS),
        Command::BenchOversight(args) => {
            bench_oversight::run(args).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Backup(args) => backup::run_backup(args).await,
        Command::Restore(args) => backup::run_restore(args).await,
    }
}

/// `bench-ledger`: the memory measurement when asked for it, else the timings.
async fn bench_ledger_command(args: bench_ledger::BenchLedgerArgs) -> Result<()> {
    if let Some(file) = &args.memory_child {
        return bench_memory::child(file).await;
    }
    if args.memory {
        let report = bench_memory::run(&args)?;
        if let Some(path) = &args.output {
            std::fs::write(path, &report)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(());
    }
    bench_ledger::run(args).await
}
