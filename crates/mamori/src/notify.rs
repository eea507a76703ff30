//! `mamori notify`: the notification scheduler's pass and the mail pass, run once (for cron)
//! or, inside `serve`, every minute. A pass notifies each person once whoever runs it and
//! however often (see `mamori_app::notifications`); one server at a time runs it (a lease in
//! the database), and a server that stops mid-pass leaves it to another when the lease ends.

use std::time::Duration;

use anyhow::{Result, anyhow};
use chrono::{NaiveDate, Utc};
use mamori_app::App;
use mamori_app::mail::Mailer;
use mamori_app::mail_delivery::{Links, MailReport, run_mail_pass};
use mamori_locale::Message;

/// How often `serve` runs the passes.
const PASS_EVERY: Duration = Duration::from_secs(60);

/// Where mail goes, from the command line.
#[derive(clap::Args, Debug, Clone)]
pub struct MailArgs {
    /// SMTP server for mamori's mail (invitations and notifications):
    /// smtp://[user:password@]host[:port] (?tls=required for STARTTLS) or smtps://…;
    /// without it no mail is sent.
    #[arg(long, env = "MAMORI_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of mamori's mail.
    #[arg(
        long,
        env = "MAMORI_MAIL_FROM",
        default_value = "mamori <noreply@localhost>"
    )]
    pub mail_from: String,
    /// Where replies to mamori's mail go (the programme's help desk, say).
    #[arg(long, env = "MAMORI_MAIL_REPLY_TO")]
    pub mail_reply_to: Option<String>,
}

impl MailArgs {
    /// The mailer these arguments give; `None` without an SMTP server.
    pub fn mailer(&self) -> Result<Option<Mailer>> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let mailer = Mailer::new(url, &self.mail_from)
            .map_err(|e| anyhow!("--smtp-url / --mail-from: {e}"))?;
        let mailer = match self
            .mail_reply_to
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            Some(reply_to) => mailer
                .with_reply_to(reply_to)
                .map_err(|e| anyhow!("--mail-reply-to: {e}"))?,
            None => mailer,
        };
        Ok(Some(mailer))
    }
}

/// Mail of the passes: the mailer and where its links point.
#[derive(Clone)]
pub struct Mail {
    pub mailer: Mailer,
    pub links: Links,
}

/// One pass for `today` (Japan's today without it), with mail when `mail` is given; prints
/// what it did.
pub async fn run_once(app: &App, today: Option<NaiveDate>, mail: Option<&Mail>) -> Result<()> {
    let today = today.unwrap_or_else(mamori_app::today_in_japan);
    let report = mamori_app::notifications::run_scheduler(app, today)
        .await
        .map_err(|e| anyhow!("{}", e.message_en()))?;
    println!(
        "{}",
        Message::new("operator-notify-pass")
            .with("day", today.to_string())
            .with("count", report.total())
            .render_both()
    );
    if let Some(mail) = mail {
        let sent = run_mail_pass(app, &mail.mailer, &mail.links, Utc::now())
            .await
            .map_err(|e| anyhow!("{}", e.message_en()))?;
        println!("{}", mail_line(&sent));
    }
    Ok(())
}

fn mail_line(report: &MailReport) -> String {
    Message::new("operator-notify-mail")
        .with("sent", report.sent)
        .with("retried", report.retried)
        .with("failed", report.failed)
        .render_both()
}

/// Runs the passes at start and every [`PASS_EVERY`] inside `serve`, while this server holds
/// the lease; a failed pass is logged and tried again at the next.
pub fn spawn_passes(app: App, mail: Option<Mail>) {
    let holder = format!("{}-{}", std::process::id(), mamori_app::tokens::new_token());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PASS_EVERY);
        loop {
            tick.tick().await;
            let now = Utc::now();
            match mamori_app::notifications::take_pass_lease(&app, &holder, now).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the notification lease could not be read");
                    continue;
                }
            }
            let today = mamori_app::today_in_japan();
            match mamori_app::notifications::run_scheduler(&app, today).await {
                Ok(report) if report.total() > 0 => {
                    tracing::info!(day = %today, written = report.total(), "notifications written");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the notification pass failed"),
            }
            if let Some(mail) = &mail {
                match run_mail_pass(&app, &mail.mailer, &mail.links, now).await {
                    Ok(report) if report != MailReport::default() => {
                        tracing::info!(
                            sent = report.sent,
                            retried = report.retried,
                            failed = report.failed,
                            "notification mail"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the mail pass failed"),
                }
            }
        }
    });
}
