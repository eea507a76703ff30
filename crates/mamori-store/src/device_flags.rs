//! What each institution's ledger is flagged for, counted for oversight
//! (`device_flag_counts`): written by the web tier, which holds the datasets the flags come
//! from; deleted by every device write and every change of the institution's profile in
//! its transaction, so that a missing or old row marks what the web tier must count again.
//! Each row carries the prefecture and kind it is counted under, so the totals add up this
//! table alone.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_domain::oversight::OversightKind;
use mamori_domain::{InstitutionScope, Prefecture};

use crate::write::Written;
use crate::{Pool, Result, Store, StoreError};

/// One institution's ledger as oversight counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceFlagCounts {
    /// Devices in use with a high-severity flag.
    pub flagged_devices: i64,
    /// Devices in use flagged end of support (サポート終了).
    pub end_of_support: i64,
    /// Devices in use with a known exploited vulnerability (CISA KEV).
    pub known_exploited: i64,
    /// VPN devices below a fixed version, or whose product's support has ended.
    pub vulnerable_vpn: i64,
    /// The earliest day a device in use ends its support, where one ends soon: the
    /// scheduler tells the institution of it ahead.
    pub support_ends_on: Option<NaiveDate>,
}

/// Flagged devices counted for one prefecture and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagTotals {
    pub counts: DeviceFlagCounts,
    /// Institutions with at least one device with a high-severity flag.
    pub institutions: i64,
}

#[derive(sqlx::FromRow)]
struct TotalRow {
    prefecture: String,
    oversight_kind: String,
    flagged_devices: i64,
    end_of_support: i64,
    known_exploited: i64,
    vulnerable_vpn: i64,
    institutions: i64,
}

impl Store {
    /// Keeps an institution's counts as computed on `computed_on`.
    pub async fn keep_device_flag_counts(
        &self,
        institution_id: i64,
        computed_on: NaiveDate,
        counts: DeviceFlagCounts,
    ) -> Result<()> {
        on_pool!(self, pool => self.write(pool, async |tx| {
            sqlx::query(
                "INSERT INTO device_flag_counts (institution_id, computed_on, flagged_devices, end_of_support, known_exploited, vulnerable_vpn, support_ends_on, prefecture, oversight_kind) SELECT $1, $2, $3, $4, $5, $6, $7, prefecture, oversight_kind FROM institutions WHERE id = $1 \
                 ON CONFLICT (institution_id) DO UPDATE SET computed_on = excluded.computed_on, flagged_devices = excluded.flagged_devices, end_of_support = excluded.end_of_support, known_exploited = excluded.known_exploited, vulnerable_vpn = excluded.vulnerable_vpn, support_ends_on = excluded.support_ends_on, prefecture = excluded.prefecture, oversight_kind = excluded.oversight_kind",
            )
            .bind(institution_id)
            .bind(computed_on.to_string())
            .bind(counts.flagged_devices)
            .bind(counts.end_of_support)
            .bind(counts.known_exploited)
            .bind(counts.vulnerable_vpn)
            .bind(counts.support_ends_on.map(|d| d.to_string()))
            .execute(&mut *tx)
            .await?;
            Ok(Written::kept(()))
        }).await?);
        Ok(())
    }

    /// Institutions with devices whose counts are missing or were computed before `today`,
    /// at most `most`.
    pub async fn institutions_to_count_flags(
        &self,
        today: NaiveDate,
        most: i64,
    ) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT DISTINCT d.institution_id FROM devices d LEFT JOIN device_flag_counts f ON f.institution_id = d.institution_id WHERE f.institution_id IS NULL OR f.computed_on < $1 ORDER BY d.institution_id LIMIT $2",
            )
            .bind(today.to_string())
            .bind(most)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Flagged devices per prefecture and kind in a scope.
    pub async fn device_flag_totals(
        &self,
        scope: InstitutionScope,
    ) -> Result<HashMap<(Prefecture, OversightKind), FlagTotals>> {
        let (condition, prefecture) = match scope {
            InstitutionScope::All => ("", None),
            InstitutionScope::Prefecture(p) => (" AND prefecture = $1", Some(p.code())),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(HashMap::new()),
        };
        let sql = format!(
            "SELECT prefecture, oversight_kind, CAST(SUM(flagged_devices) AS BIGINT) AS flagged_devices, CAST(SUM(end_of_support) AS BIGINT) AS end_of_support, CAST(SUM(known_exploited) AS BIGINT) AS known_exploited, CAST(SUM(vulnerable_vpn) AS BIGINT) AS vulnerable_vpn, CAST(SUM(CASE WHEN flagged_devices > 0 THEN 1 ELSE 0 END) AS BIGINT) AS institutions FROM device_flag_counts WHERE (flagged_devices > 0 OR end_of_support > 0 OR known_exploited > 0 OR vulnerable_vpn > 0){condition} GROUP BY prefecture, oversight_kind"
        );
        let rows: Vec<TotalRow> = on_pool!(self, pool => {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            match &prefecture {
                Some(p) => query.bind(p.clone()).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            }
        });
        let corrupt = |e: mamori_domain::ParseError| StoreError::Corrupt(e.to_string());
        let mut out = HashMap::new();
        for row in rows {
            out.insert(
                (
                    Prefecture::parse(&row.prefecture).map_err(corrupt)?,
                    OversightKind::parse(&row.oversight_kind).map_err(corrupt)?,
                ),
                FlagTotals {
                    counts: DeviceFlagCounts {
                        flagged_devices: row.flagged_devices,
                        end_of_support: row.end_of_support,
                        known_exploited: row.known_exploited,
                        vulnerable_vpn: row.vulnerable_vpn,
                        support_ends_on: None,
                    },
                    institutions: row.institutions,
                },
            );
        }
        Ok(out)
    }
}
