//! The parts of `mamori bench-oversight` that load a whole server: answer writes per second
//! with the fiscal-year states kept against the same writes without them (the write path
//! before oversight), and the reads over HTTP by sixteen clients against `mamori serve` run
//! as a child process on the seeded database, with the server's peak memory.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use chrono::NaiveDate;
use mamori_app::App;
use mamori_catalog::Catalog;
use mamori_domain::{Answer, AnswerInput, FiscalYear, Principal, Role, Round};
use mamori_store::{AuditKey, NewUser, Store};

use crate::bench::{Measurement, Server, api_login, http_op, measure, mib, page_login};

/// Clients (and writers) at once.
const CLIENTS: usize = 16;
/// Seconds of each measurement over HTTP, after the warm-up.
const HTTP_SECONDS: u64 = 5;
/// How long the writers write in each of the two write measurements.
const WRITE_TIME: Duration = Duration::from_secs(5);
const NATIONAL_LOGIN: &str = "bench-oversight-national";

/// What the writers write to item 1-1.
#[derive(Clone, Copy)]
enum Writes {
    /// はい each time, on another day of checking: most writes change neither the year's
    /// state nor its open target dates (as the answer write `mamori bench` measures).
    Same,
    /// はい and いいえ with a target date in turn: each write changes the open target dates.
    Flipping,
}

/// Answers written per second by [`CLIENTS`] writers through the service layer, each answer
/// by its institution's admin, spread over `institutions` ids.
async fn answers_per_second(
    app: &App,
    fy: FiscalYear,
    institutions: u32,
    user_id: i64,
    writes: Writes,
) -> Result<f64> {
    let written = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + WRITE_TIME;
    let checked_on = NaiveDate::from_ymd_opt(2026, 6, 1).context("a date")?;
    let target = NaiveDate::from_ymd_opt(2027, 3, 31).context("a date")?;
    let mut writers = Vec::with_capacity(CLIENTS);
    let started = Instant::now();
    for _ in 0..CLIENTS {
        let (app, written, next) = (app.clone(), Arc::clone(&written), Arc::clone(&next));
        writers.push(tokio::spawn(async move {
            let writes = writes;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                // Spread over the country, from the first institution on.
                let id = i64::try_from(1 + (n * 7_919) % u64::from(institutions))?;
                // The seeding gives every fiftieth (`id % 50 = 7`) no medical information
                // system, where item 1-1 does not apply.
                if id % 50 == 7 {
                    continue;
                }
                let institution = app
                    .store
                    .institution(id)
                    .await?
                    .with_context(|| format!("no institution {id}"))?;
                let principal = Principal {
                    user_id,
                    role: Role::InstitutionAdmin,
                    institution_id: Some(id),
                    prefecture: None,
                };
                let no = matches!(writes, Writes::Flipping) && n % 2 == 1;
                let input = AnswerInput {
                    round: Round::First,
                    answer: if no { Answer::No } else { Answer::Yes },
                    // A new day of checking each time, so that every write changes the row.
                    checked_on: checked_on + chrono::Days::new(n % 90),
                    target_date: no.then_some(target),
                };
                mamori_app::answers::save_answer(&app, &principal, &institution, fy, "1-1", input)
                    .await
                    .map_err(|e| anyhow!("{}", e.message_en()))?;
                written.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(written.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Answers per second, for the same answer and for flipping ones, with the states kept
/// (`app`, as served) and without them (a second store on the same database, given no rules:
/// the write path before oversight).
pub(crate) struct WriteRates {
    pub(crate) same: (f64, f64),
    pub(crate) flipping: (f64, f64),
}

/// [`WriteRates`], each measured twice in turn so neither side gets only the warm or the
/// cold half.
pub(crate) async fn write_rates(
    app: &App,
    url: &str,
    key: &AuditKey,
    catalog: &'static Catalog,
    fy: FiscalYear,
    institutions: u32,
    user_id: i64,
) -> Result<WriteRates> {
    println!("measuring answer writes with the states kept and without them…");
    let bare_store = Store::connect(url).await?;
    bare_store.open_audit_log(key.clone(), None).await?;
    let bare = App::without_year_states(bare_store, catalog);
    let mut rates = WriteRates {
        same: (0.0, 0.0),
        flipping: (0.0, 0.0),
    };
    for _ in 0..2 {
        for (writes, (kept, before)) in [
            (Writes::Same, &mut rates.same),
            (Writes::Flipping, &mut rates.flipping),
        ] {
            *kept += answers_per_second(app, fy, institutions, user_id, writes).await? / 2.0;
            *before += answers_per_second(&bare, fy, institutions, user_id, writes).await? / 2.0;
        }
    }
    bare.store.close().await;
    Ok(rates)
}

/// The national office's account: a password and a second factor, as the server requires,
/// with recovery codes to log in by (each accepted once).
pub(crate) async fn national_account(store: &Store) -> Result<Vec<String>> {
    let hash = mamori_app::passwords::hash_password(crate::bench::PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow!("{}", e.message_en()))?;
    let id = store
        .create_user(
            &NewUser {
                login: NATIONAL_LOGIN.into(),
                password_hash: hash,
                role: Role::NationalAdmin,
                institution_id: None,
                prefecture: None,
                is_demo: false,
            },
            None,
        )
        .await?;
    let codes = mamori_app::two_factor::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| mamori_app::two_factor::hash_recovery_code(c))
        .collect();
    store
        .enable_totp(id, &mamori_app::two_factor::new_secret(), 0, &hashes)
        .await?;
    Ok(codes)
}

/// What the HTTP load measured: each read's figures, and the server's memory.
pub(crate) struct OverHttp {
    pub(crate) reads: Vec<Measurement>,
    pub(crate) idle_mib: f64,
    pub(crate) peak_mib: f64,
}

/// Starts `mamori serve` on the seeded database (its files in `dir`, where the audit key
/// is), logs the national office in with two of `codes`, and loads each read with
/// [`CLIENTS`] clients.
pub(crate) async fn over_http(
    dir: &Path,
    url: &str,
    codes: &[String],
    fy: FiscalYear,
) -> Result<OverHttp> {
    let server = Server::start(dir, url, &mamori_catalog::bundled_dir()).await?;
    let base = server.base.clone();
    let idle = server.memory()?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(CLIENTS)
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client")?;
    let token = api_login(
        &client,
        &base,
        NATIONAL_LOGIN,
        codes.first().map(String::as_str),
    )
    .await?;
    let session = page_login(
        &client,
        &base,
        NATIONAL_LOGIN,
        codes.get(1).map(String::as_str),
    )
    .await?;
    let year = fy.start_year();
    let api = [
        (
            "national summary",
            format!("/api/v1/oversight/{year}/summary"),
        ),
        (
            "Tokyo summary",
            format!("/api/v1/oversight/{year}/summary?prefecture=13"),
        ),
        (
            "Tottori summary",
            format!("/api/v1/oversight/{year}/summary?prefecture=31"),
        ),
        (
            "name search, national",
            format!("/api/v1/oversight/{year}/institutions?q=%E3%81%97%E3%81%9B%E3%81%A41234"),
        ),
        (
            "hospitals in progress, Tokyo",
            format!(
                "/api/v1/oversight/{year}/institutions?prefecture=13&kind=hospital&state=in_progress"
            ),
        ),
    ];
    let mut reads = Vec::new();
    for (name, path) in api {
        let (client, url, bearer) = (
            client.clone(),
            format!("{base}{path}"),
            format!("Bearer {token}"),
        );
        let op = move |_seq: u64| {
            http_op(
                client
                    .get(url.as_str())
                    .header(reqwest::header::AUTHORIZATION, bearer.as_str()),
            )
        };
        reads.push(measure(name, CLIENTS, HTTP_SECONDS, Arc::new(op)).await);
    }
    let (page_client, page, cookie) = (
        client.clone(),
        format!("{base}/oversight?year={year}"),
        format!("mamori_session={session}"),
    );
    let op = move |_seq: u64| {
        http_op(
            page_client
                .get(page.as_str())
                .header(reqwest::header::COOKIE, cookie.as_str())
                .header(reqwest::header::ACCEPT, "text/html"),
        )
    };
    reads.push(measure("the national page", CLIENTS, HTTP_SECONDS, Arc::new(op)).await);
    let peak = server.memory()?;
    server.stop().await?;
    Ok(OverHttp {
        reads,
        idle_mib: mib(idle.rss_kib),
        peak_mib: mib(peak.hwm_kib),
    })
}

/// What the notification scheduler's passes took on the seeded country, once each
/// institution has an admin: the first pass (every open target date already passed, and
/// those due today), the same day again, and the next day.
pub(crate) struct SchedulerPasses {
    pub(crate) first: (Duration, u64),
    pub(crate) again: (Duration, u64),
    pub(crate) next_day: (Duration, u64),
}

/// Gives every institution an admin (who never logs in) and times the scheduler's passes on
/// the day the later seeded target dates fall on.
pub(crate) async fn scheduler_passes(app: &App, url: &str) -> Result<SchedulerPasses> {
    const ADMINS: &str = "INSERT INTO users (login, password_hash, role, institution_id, created_at) \
        SELECT 'bench-admin-' || id, '-', 'institution_admin', id, '2026-04-01T00:00:00Z' FROM institutions";
    macro_rules! add_admins {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await?;
            sqlx::query(ADMINS).execute(&pool).await?;
            sqlx::query("ANALYZE").execute(&pool).await?;
            pool.close().await;
        }};
    }
    if url.starts_with("postgres") {
        add_admins!(sqlx::PgPool);
    } else {
        add_admins!(sqlx::SqlitePool);
    }
    let day = NaiveDate::from_ymd_opt(2027, 2, 28).context("a date")?;
    let pass = async |today: NaiveDate| -> Result<(Duration, u64)> {
        let started = Instant::now();
        let report = mamori_app::notifications::run_scheduler(app, today)
            .await
            .map_err(|e| anyhow!("{}", e.message_en()))?;
        Ok((started.elapsed(), report.total()))
    };
    let first = pass(day).await?;
    let again = pass(day).await?;
    let next_day = pass(day.succ_opt().context("a date")?).await?;
    Ok(SchedulerPasses {
        first,
        again,
        next_day,
    })
}
