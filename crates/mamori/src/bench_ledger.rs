//! `mamori bench-ledger`: the device ledger's import and pages, each against a baseline of the
//! same run.
//!
//! - Import: a generated ledger of `--rows` devices as Shift_JIS CSV. The baseline is the
//!   `csv` crate reading the same bytes (records only, no decoding); the measured import
//!   reads, validates, flags and stores it, on SQLite and (with `--database-url`) PostgreSQL.
//! - Pages: a hospital of `--devices` devices; the ledger page and the devices API, served
//!   over HTTP by the real router, one request at a time, beside `/healthz`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use mamori_app::ledger::LedgerData;
use mamori_catalog::Catalog;
use mamori_domain::device::{Device, LedgerColumn as C, parse_row};
use mamori_domain::device_risk::assess_ledger;
use mamori_domain::{InstitutionKind, Prefecture, Role};
use mamori_reports::ledger::Encoding;
use mamori_store::{NewInstitution, NewUser, Store};
use mamori_web::{AppState, WebConfig};
use sqlx::Connection;

use crate::bench::{PASSWORD, api_login, page_login, pg_admin, with_database};

#[derive(Args)]
pub struct BenchLedgerArgs {
    /// Devices in the generated import file.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) rows: usize,
    /// Devices of the hospital whose ledger page is measured.
    #[arg(long, default_value_t = 5_000)]
    devices: usize,
    /// Requests per measured page (one at a time).
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// Also runs on PostgreSQL: a scratch database is created on this server and dropped.
    #[arg(long)]
    database_url: Option<String>,
    /// Also writes the markdown report to this file.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Measures memory instead: the peak RSS of one import of a `--rows` .xlsx ledger and of
    /// a ZIP bomb, each in a server process of its own (Linux).
    #[arg(long)]
    pub memory: bool,
    /// The measured process of `--memory` (internal): imports this file once.
    #[arg(long, hide = true)]
    pub memory_child: Option<PathBuf>,
}

const OSES: [&str; 6] = [
    "Windows 11 Pro 24H2",
    "Windows 10 Pro 22H2",
    "Windows Server 2019",
    "Windows Server 2012 R2",
    "Ubuntu 22.04",
    "Windows 11 Pro 25H2",
];

/// A plausible ledger of `n` devices (PCs, servers, network and VPN devices).
pub(crate) fn generate(n: usize) -> Result<Vec<Device>> {
    (0..n)
        .map(|i| {
            let (kind, maker, model, os, firmware) = match i % 20 {
                0 => ("VPN装置", "Fortinet", "FortiGate-60F", "FortiOS", "7.2.5"),
                1 => ("ネットワーク機器", "ヤマハ", "RTX1210", "", "Rev.14.01.38"),
                2 | 3 => ("サーバ", "富士通", "PRIMERGY RX2530", OSES[2 + i % 2], ""),
                _ => ("端末PC", "NEC", "Mate MKL44", OSES[i % OSES.len()], ""),
            };
            let cells = [
                (C::AssetNumber, format!("A-{i:06}")),
                (C::Kind, kind.to_owned()),
                (C::Maker, maker.to_owned()),
                (C::Model, model.to_owned()),
                (C::Os, os.to_owned()),
                (C::FirmwareVersion, firmware.to_owned()),
                (C::Software, "電子カルテ端末\nウイルス対策ソフト".to_owned()),
                (C::SoftwareVersion, format!("5.{}\n2024.{}", i % 7, i % 12)),
                (
                    C::IpAddress,
                    format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256),
                ),
                (C::ComputerName, format!("PC-{i:06}")),
                (C::Location, format!("{}階 病棟{}", i % 9 + 1, i % 30)),
                (C::User, "看護部".to_owned()),
                (C::RegisteredOn, format!("令和{}年4月1日", 2 + i % 6)),
                (C::Status, "稼働".to_owned()),
                (
                    C::RemoteMaintenance,
                    if i % 20 < 4 { "はい" } else { "いいえ" }.to_owned(),
                ),
                (
                    C::LastPatchedOn,
                    format!("2025/{}/{}", 1 + i % 12, 1 + i % 28),
                ),
            ];
            parse_row(i + 2, &cells).map_err(|e| anyhow::anyhow!("generated row {i}: {e:?}"))
        })
        .collect()
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) struct Engine {
    pub(crate) name: &'static str,
    pub(crate) url: String,
    /// A scratch PostgreSQL database to drop at the end.
    drop: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

async fn engines(args: &BenchLedgerArgs, tag: &str) -> Result<Vec<Engine>> {
    scratch_engines(args.database_url.as_deref(), &format!("ledger_{tag}")).await
}

/// A fresh SQLite file, and a scratch database on the PostgreSQL server of `database_url`
/// when there is one (dropped by [`drop_engine`]).
pub(crate) async fn scratch_engines(database_url: Option<&str>, tag: &str) -> Result<Vec<Engine>> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("mamori_bench_{tag}_"))
        .tempdir()?;
    let mut out = vec![Engine {
        name: "SQLite",
        url: format!("sqlite:{}", dir.path().join("bench.db").display()),
        drop: None,
        _dir: Some(dir),
    }];
    if let Some(admin) = database_url {
        let name = format!("mamori_bench_{tag}_{}", std::process::id());
        let mut conn = pg_admin(admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await.ok();
        out.push(Engine {
            name: "PostgreSQL",
            url: with_database(admin, &name)?,
            drop: Some((admin.to_owned(), name)),
            _dir: None,
        });
    }
    Ok(out)
}

pub(crate) async fn drop_engine(engine: &Engine) {
    if let Some((admin, name)) = &engine.drop
        && let Ok(mut conn) = pg_admin(admin).await
    {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

pub(crate) async fn hospital(store: &Store, name: &str) -> Result<(i64, i64)> {
    let id = store
        .create_institution(
            &NewInstitution {
                name: name.to_owned(),
                kind: InstitutionKind::Hospital,
                prefecture: Prefecture::parse("13").map_err(|e| anyhow::anyhow!("{e:?}"))?,
                beds: 800,
                has_medical_information_system: true,
                has_vendor_contracts: true,
                medical_institution_code: None,
                municipality_code: None,
                municipality_name: String::new(),
                address: String::new(),
            },
            None,
        )
        .await?;
    let hash = mamori_app::passwords::hash_password(PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = store
        .create_user(
            &NewUser {
                login: format!("ledger-admin-{id}"),
                password_hash: hash,
                role: Role::InstitutionAdmin,
                institution_id: Some(id),
                prefecture: None,
                is_demo: false,
            },
            None,
        )
        .await?;
    Ok((id, user))
}

/// Median and 95th percentile of `requests` sequential GETs, in milliseconds.
async fn time_get(
    client: &reqwest::Client,
    url: &str,
    auth: (&str, &str),
    requests: usize,
) -> Result<(f64, f64, usize)> {
    let mut times = Vec::with_capacity(requests);
    let mut size = 0;
    for i in 0..requests + 3 {
        let started = Instant::now();
        let response = client
            .get(url)
            .header(auth.0, auth.1)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        anyhow::ensure!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        size = response.bytes().await?.len();
        // The first requests warm the caches and are not counted.
        if i >= 3 {
            times.push(ms(started.elapsed()));
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    Ok((at(0.5), at(0.95), size))
}

pub async fn run(args: BenchLedgerArgs) -> Result<()> {
    let data = LedgerData::bundled();
    let mut report = String::new();
    let push = |report: &mut String, line: String| {
        println!("{line}");
        report.push_str(&line);
        report.push('\n');
    };

    // ----- import ---------------------------------------------------------------------
    let devices = generate(args.rows)?;
    let bytes = mamori_reports::ledger::export_csv(&devices, Encoding::ShiftJis)
        .map_err(|e| anyhow::anyhow!("{}", e.message().render(mamori_locale::Lang::En)))?;
    drop(devices);
    let mut bare = Duration::MAX;
    let mut records = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(&bytes[..]);
        let mut record = csv::ByteRecord::new();
        records = 0;
        while reader.read_byte_record(&mut record)? {
            records += 1;
        }
        bare = bare.min(started.elapsed());
    }
    push(
        &mut report,
        format!(
            "Import of a generated ledger: {} devices, Shift_JIS CSV of {:.1} MiB; bare `csv` parse of the same bytes: {:.0} ms ({records} records).\n",
            args.rows,
            bytes.len() as f64 / 1_048_576.0,
            ms(bare)
        ),
    );
    push(&mut report, "| engine | read and validate | flag | store (one transaction) | whole import | ÷ bare parse |".to_owned());
    push(&mut report, "|---|---:|---:|---:|---:|---:|".to_owned());
    let today = mamori_app::today_in_japan();
    for engine in engines(&args, "import").await? {
        let store = Store::connect(&engine.url).await?;
        store.migrate().await?;
        store
            .open_audit_log(mamori_store::AuditKey::generate(), None)
            .await?;
        let (id, user) = hospital(&store, "取込ベンチ病院").await?;
        let started = Instant::now();
        let parsed = mamori_reports::ledger::import(&bytes, Some("text/csv"))
            .map_err(|e| anyhow::anyhow!("{}", e.message().render(mamori_locale::Lang::En)))?;
        anyhow::ensure!(
            parsed.is_clean(),
            "the generated ledger has errors: {:?}",
            parsed.rejected.first()
        );
        let read = started.elapsed();
        let started = Instant::now();
        let flagged: usize = assess_ledger(
            parsed.devices.iter().map(|(_, d)| d),
            &data.risk,
            today,
            365,
        )
        .iter()
        .map(|f| f.len())
        .sum();
        let flag = started.elapsed();
        let devices: Vec<Device> = parsed.devices.into_iter().map(|(_, d)| d).collect();
        let started = Instant::now();
        let counts = store.import_devices(id, &devices, user).await?;
        let stored = started.elapsed();
        anyhow::ensure!(
            counts.added == args.rows,
            "stored {} of {}",
            counts.added,
            args.rows
        );
        let whole = read + flag + stored;
        push(
            &mut report,
            format!(
                "| {} | {:.0} ms | {:.0} ms ({flagged} flags) | {:.0} ms | {:.0} ms | {:.1}× |",
                engine.name,
                ms(read),
                ms(flag),
                ms(stored),
                ms(whole),
                whole.as_secs_f64() / bare.as_secs_f64()
            ),
        );
        store.close().await;
        drop_engine(&engine).await;
    }

    // ----- pages ----------------------------------------------------------------------
    push(
        &mut report,
        format!(
            "\nA hospital of {} devices; {} sequential requests each after 3 unmeasured, over HTTP on 127.0.0.1:\n",
            args.devices, args.requests
        ),
    );
    push(
        &mut report,
        "| engine | `/healthz` median | ledger page median / p95 | devices API median / p95 |"
            .to_owned(),
    );
    push(&mut report, "|---|---:|---:|---:|".to_owned());
    let ledger = generate(args.devices)?;
    for engine in engines(&args, "pages").await? {
        let store = Store::connect(&engine.url).await?;
        store.migrate().await?;
        store
            .open_audit_log(mamori_store::AuditKey::generate(), None)
            .await?;
        let (id, user) = hospital(&store, "台帳ベンチ病院").await?;
        store.import_devices(id, &ledger, user).await?;
        let catalog =
            Catalog::load(&mamori_catalog::bundled_dir()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let state =
            AppState::with_ledger_data(store.clone(), catalog, WebConfig::default(), data.clone());
        let (base, server) = crate::bench::serve_locally(state).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let login = format!("ledger-admin-{id}");
        let session = page_login(&client, &base, &login, None).await?;
        let token = api_login(&client, &base, &login, None).await?;
        let cookie = format!("mamori_session={session}");
        let bearer = format!("Bearer {token}");
        let (health, _, _) = time_get(
            &client,
            &format!("{base}/healthz"),
            ("x-bench", "1"),
            args.requests,
        )
        .await?;
        let (page, page95, page_size) = time_get(
            &client,
            &format!("{base}/institutions/{id}/ledger"),
            ("cookie", &cookie),
            args.requests,
        )
        .await?;
        let (api, api95, api_size) = time_get(
            &client,
            &format!("{base}/api/v1/institutions/{id}/devices"),
            ("authorization", &bearer),
            args.requests,
        )
        .await?;
        push(
            &mut report,
            format!(
                "| {} | {health:.1} ms | {page:.0} / {page95:.0} ms ({:.1} MiB) | {api:.0} / {api95:.0} ms ({:.1} MiB) |",
                engine.name,
                page_size as f64 / 1_048_576.0,
                api_size as f64 / 1_048_576.0
            ),
        );
        server.abort();
        store.close().await;
        drop_engine(&engine).await;
    }
    if let Some(path) = &args.output {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
