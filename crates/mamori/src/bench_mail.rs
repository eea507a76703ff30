//! The mail pass on the seeded country (`mamori bench-oversight`): once the scheduler's passes
//! have written their notices, every admin gets an address and the pass routes them to mails
//! and sends for a fixed slice of time to a real SMTP server on loopback (Debian's aiosmtpd,
//! its `Sink` handler, which drops what it receives). The same server is then fed by a
//! minimal client (Python's smtplib, one connection), the ceiling any sender meets there.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use chrono::Utc;
use mamori_app::App;
use mamori_app::mail::Mailer;
use mamori_app::mail_delivery::{Links, route, run_mail_pass_within};

/// How long the benchmark lets the pass send.
const SENDING_SLICE: Duration = Duration::from_secs(10);

/// How many mails the minimal client sends for the ceiling.
const CEILING_MAILS: u32 = 2_000;

/// What the mail pass did on the seeded country.
pub(crate) struct MailPass {
    /// Routing every notice written so far to a mail of its own: the time and the mails.
    pub(crate) routed: (Duration, u64),
    /// Sending for [`SENDING_SLICE`]: the time taken and the mails sent.
    pub(crate) sent: (Duration, u64),
    /// The minimal client's mails per second to the same server.
    pub(crate) ceiling_per_second: f64,
}

/// aiosmtpd on a free loopback port, stopped when dropped.
struct SinkServer {
    child: Child,
    port: u16,
}

impl SinkServer {
    fn start() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let python =
            std::env::var("MAMORI_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Sink",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("aiosmtpd (apt-get install python3-aiosmtpd)")?;
        let server = Self { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(anyhow!("aiosmtpd did not start on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }
}

impl Drop for SinkServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Gives every seeded admin an address, then routes and sends (see the module's words).
pub(crate) async fn mail_pass(app: &App, url: &str) -> Result<MailPass> {
    const ADDRESSES: &str =
        "UPDATE users SET email = login || '@bench.example.jp' WHERE login LIKE 'bench-admin-%'";
    macro_rules! give_addresses {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await?;
            sqlx::query(ADDRESSES).execute(&pool).await?;
            pool.close().await;
        }};
    }
    if url.starts_with("postgres") {
        give_addresses!(sqlx::PgPool);
    } else {
        give_addresses!(sqlx::SqlitePool);
    }
    let sink = SinkServer::start()?;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{}", sink.port),
        "mamori <noreply@bench.example.jp>",
    )
    .map_err(|e| anyhow!("{e}"))?;
    let links = Links::new("https://mamori.example.jp");
    let now = Utc::now();
    let started = Instant::now();
    let made = route(app, now)
        .await
        .map_err(|e| anyhow!("{}", e.message_en()))?;
    let routed = (started.elapsed(), made);
    let started = Instant::now();
    let report = run_mail_pass_within(app, &mailer, &links, now, SENDING_SLICE)
        .await
        .map_err(|e| anyhow!("{}", e.message_en()))?;
    let sent = (started.elapsed(), report.sent);
    let ceiling_per_second = ceiling(sink.port)?;
    Ok(MailPass {
        routed,
        sent,
        ceiling_per_second,
    })
}

/// Mails per second a minimal client (one connection, a small text mail each) gets through
/// to the server on `port`.
fn ceiling(port: u16) -> Result<f64> {
    let script = format!(
        "import smtplib, time\n\
         s = smtplib.SMTP('127.0.0.1', {port})\n\
         body = 'Subject: bench\\r\\n\\r\\n' + ('x' * 70 + '\\r\\n') * 30\n\
         t = time.monotonic()\n\
         for i in range({CEILING_MAILS}):\n    s.sendmail('a@bench.example.jp', ['b@bench.example.jp'], body)\n\
         print({CEILING_MAILS} / (time.monotonic() - t))\n\
         s.quit()\n"
    );
    let python = std::env::var("MAMORI_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let out = Command::new(python).args(["-c", &script]).output()?;
    if !out.status.success() {
        return Err(anyhow!(
            "the ceiling client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}
