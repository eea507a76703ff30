//! `mamori notify`: the notification scheduler's pass, run once (for cron) or, inside
//! `serve`, every few minutes. A pass notifies each person once whoever runs it and however
//! often (see `mamori_app::notifications`), so several servers may all run it.

use std::time::Duration;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use mamori_app::App;
use mamori_locale::Message;

/// How often `serve` runs the scheduler's pass.
const PASS_EVERY: Duration = Duration::from_secs(600);

/// One pass for `today` (Japan's today without it); prints what it wrote.
pub async fn run_once(app: &App, today: Option<NaiveDate>) -> Result<()> {
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
    Ok(())
}

/// Runs the pass at start and every [`PASS_EVERY`] inside `serve`; a failed pass is logged
/// and tried again at the next.
pub fn spawn_scheduler(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PASS_EVERY);
        loop {
            tick.tick().await;
            let today = mamori_app::today_in_japan();
            match mamori_app::notifications::run_scheduler(&app, today).await {
                Ok(report) if report.total() > 0 => {
                    tracing::info!(day = %today, written = report.total(), "notifications written");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the notification pass failed"),
            }
        }
    });
}
