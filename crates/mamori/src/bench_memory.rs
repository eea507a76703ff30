//! `mamori bench-ledger --memory`: the server's memory for one ledger import, for the largest
//! real ledger (generated, `--rows` devices, as mamori's own .xlsx export), for a ZIP bomb of
//! the kind reported (a sheet of 200 MB in a file of ~200 KB) and for one just under the
//! limit on what a workbook may expand to (read to the end, then refused for its content).
//!
//! Each import runs in a child process of its own (`mamori bench-ledger --memory-child FILE`):
//! a real server on 127.0.0.1 over a scratch SQLite database, the file posted to the devices
//! import API with `commit=true`. The figure is the child's peak RSS (VmHWM, reset through
//! `/proc/self/clear_refs` just before the request) less its RSS then. Linux only.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use mamori_app::ledger::LedgerData;
use mamori_catalog::Catalog;
use mamori_store::Store;
use mamori_web::{AppState, WebConfig};

use crate::bench::api_login;
use crate::bench_ledger::{BenchLedgerArgs, generate, hospital};

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The child: one import of `file`, then one line `status baseline_kib peak_kib millis`.
pub async fn child(file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("mamori_bench_memory_")
        .tempdir()?;
    let dir = scratch.path();
    let store = Store::connect(&format!("sqlite:{}", dir.join("bench.db").display())).await?;
    store.migrate().await?;
    let (id, _) = hospital(&store, "メモリベンチ病院").await?;
    let catalog =
        Catalog::load(&mamori_catalog::bundled_dir()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = AppState::with_ledger_data(
        store.clone(),
        catalog,
        WebConfig::default(),
        LedgerData::bundled(),
    );
    let (base, server) = crate::bench::serve_locally(state).await?;
    let client = reqwest::Client::new();
    let token = api_login(&client, &base, &format!("ledger-admin-{id}"), None).await?;
    let url = format!("{base}/api/v1/institutions/{id}/devices/import?commit=true");
    // A first, small request warms the routes and the connection.
    client
        .get(format!("{base}/api/v1/institutions/{id}/devices"))
        .bearer_auth(&token)
        .send()
        .await?;
    let body = reqwest::Body::from(bytes);
    // Reset the peak to the current size ("5": the peak RSS only).
    std::fs::write("/proc/self/clear_refs", "5").context("/proc/self/clear_refs")?;
    let baseline = status_kib("VmRSS:")?;
    let started = Instant::now();
    let response = client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", mamori_reports::ledger::XLSX_CONTENT_TYPE)
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let millis = started.elapsed().as_millis();
    let peak = status_kib("VmHWM:")?;
    if status != 200 {
        eprintln!("{}", text.chars().take(300).collect::<String>());
    }
    println!("{status} {baseline} {peak} {millis}");
    server.abort();
    store.close().await;
    Ok(())
}

struct Measured {
    status: u16,
    increase_kib: u64,
    peak_kib: u64,
    millis: u64,
}

fn measure(file: &Path) -> Result<Measured> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("bench-ledger")
        .arg("--memory-child")
        .arg(file)
        .output()
        .context("cannot start the measured process")?;
    anyhow::ensure!(
        output.status.success(),
        "the measured process failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unexpected answer: {line}"))?;
    let [status, baseline, peak, millis] = fields[..] else {
        anyhow::bail!("unexpected answer: {line}");
    };
    Ok(Measured {
        status: u16::try_from(status)?,
        increase_kib: peak.saturating_sub(baseline),
        peak_kib: peak,
        millis,
    })
}

pub fn run(args: &BenchLedgerArgs) -> Result<String> {
    let scratch = tempfile::Builder::new()
        .prefix("mamori_bench_files_")
        .tempdir()?;
    let dir = scratch.path();
    let devices = generate(args.rows)?;
    let real = mamori_reports::ledger::export_xlsx(&devices)
        .map_err(|e| anyhow::anyhow!("{}", e.message().render(mamori_locale::Lang::En)))?;
    drop(devices);
    let bomb = mamori_reports::workbook::bomb(200 * 1024 * 1024, "", &[]);
    // The worst a workbook can now do: a bomb just under the limit, read to the end.
    let under = usize::try_from(mamori_reports::workbook::MAX_EXPANDED_BYTES)? - 64 * 1024;
    let under = mamori_reports::workbook::bomb(under, "", &[]);
    let files: [(String, PathBuf, Vec<u8>); 3] = [
        (
            format!("{} devices, mamori's .xlsx export", args.rows),
            dir.join("ledger.xlsx"),
            real,
        ),
        (
            "ZIP bomb: one cell of 200 MB".to_owned(),
            dir.join("bomb.xlsx"),
            bomb,
        ),
        (
            "ZIP bomb just under the limit: one cell".to_owned(),
            dir.join("under.xlsx"),
            under,
        ),
    ];
    let mut report = String::new();
    report.push_str(&format!(
        "Memory of one import through the devices API (`commit=true`), each in a fresh server process; limit on what a workbook may expand to: {:.0} MiB.\n\n",
        mamori_reports::workbook::MAX_EXPANDED_BYTES as f64 / 1_048_576.0
    ));
    report
        .push_str("| file | size | expands to | answer | peak RSS increase | peak RSS | time |\n");
    report.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for (label, path, bytes) in files {
        let expanded = mamori_reports::workbook::expanded_size(&bytes)
            .map_err(|e| anyhow::anyhow!("{}", e.message().render(mamori_locale::Lang::En)))?;
        std::fs::write(&path, &bytes)?;
        let m = measure(&path)?;
        report.push_str(&format!(
            "| {label} | {:.2} MiB | {:.1} MiB | {} | {:.1} MiB | {:.1} MiB | {} ms |\n",
            bytes.len() as f64 / 1_048_576.0,
            expanded as f64 / 1_048_576.0,
            m.status,
            mib(m.increase_kib),
            mib(m.peak_kib),
            m.millis
        ));
    }
    print!("{report}");
    Ok(report)
}
