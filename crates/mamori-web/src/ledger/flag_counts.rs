//! Counting each institution's flagged devices for oversight. The flags need the datasets and
//! today's date, which this tier holds; the store keeps the counts and forgets an
//! institution's on every device write, and [`count_pending`] counts again what is missing or
//! was counted before today. The server runs it every few seconds
//! ([`COUNT_INTERVAL_SECONDS`]), so oversight's figures follow a ledger change within that.

use mamori_domain::device::DeviceStatus;
use mamori_domain::device_risk::{FlagCode, FlagSeverity};
use mamori_store::DeviceFlagCounts;

use crate::AppState;
use crate::http::error::AppError;
use crate::ledger::api::flagged_devices;
use mamori_app as service;

/// How often the server counts what is pending.
pub const COUNT_INTERVAL_SECONDS: u64 = 10;

/// Institutions counted per query for what is pending.
const BATCH: i64 = 200;

/// Counts one institution's flagged devices in use, as of today, and keeps the counts.
pub async fn count_institution(state: &AppState, institution_id: i64) -> Result<(), AppError> {
    let (devices, flags) = flagged_devices(state, institution_id).await?;
    let mut counts = DeviceFlagCounts::default();
    for (device, flags) in devices.iter().zip(flags.iter()) {
        if device.device.status == DeviceStatus::Retired {
            continue;
        }
        let has = |code: FlagCode| flags.iter().any(|f| f.code == code);
        counts.flagged_devices += i64::from(flags.iter().any(|f| f.severity == FlagSeverity::High));
        counts.end_of_support += i64::from(has(FlagCode::EndOfSupport));
        counts.known_exploited += i64::from(has(FlagCode::KnownExploited));
        counts.vulnerable_vpn +=
            i64::from(has(FlagCode::VulnerableVersion) || has(FlagCode::VpnUnsupported));
        let ends = flags.iter().filter_map(|f| f.support_ends_on);
        counts.support_ends_on = counts.support_ends_on.into_iter().chain(ends).min();
    }
    state
        .store
        .keep_device_flag_counts(institution_id, service::today_in_japan(), counts)
        .await?;
    Ok(())
}

/// Counts every institution whose counts are missing or older than today; how many.
pub async fn count_pending(state: &AppState) -> Result<usize, AppError> {
    let mut counted = 0;
    loop {
        let pending = state
            .store
            .institutions_to_count_flags(service::today_in_japan(), BATCH)
            .await?;
        if pending.is_empty() {
            return Ok(counted);
        }
        for id in pending {
            count_institution(state, id).await?;
            counted += 1;
        }
    }
}

/// Counts what is pending every [`COUNT_INTERVAL_SECONDS`], for as long as the server runs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick =
            tokio::time::interval(std::time::Duration::from_secs(COUNT_INTERVAL_SECONDS));
        loop {
            tick.tick().await;
            if let Err(e) = count_pending(&state).await {
                tracing::warn!(error = %e, "could not count flagged devices");
            }
        }
    });
}
