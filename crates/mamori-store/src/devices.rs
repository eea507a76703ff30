//! The device ledger (機器台帳): one row per device of an institution, unique by 管理番号, and
//! the files uploaded for an import, kept between the preview and the confirmation.
//!
//! An import is all or nothing: every device of the file is upserted by its asset number in
//! one transaction, in multi-row statements, with one audit entry for the whole import.
//! Rows that did not change are not written again.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use mamori_domain::device::{
    AssetNumber, Device, DeviceKind, DeviceStatus, RemoteAccess, Software, Version,
};
use sqlx::QueryBuilder;

use crate::{Audit, Pool, Result, Store, StoreError, Written, found, is_unique_violation, now};

/// A device as stored: its id, the device, and when it was last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDevice {
    pub id: i64,
    pub device: Device,
    pub updated_at: String,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Asset numbers new to the ledger.
    pub added: usize,
    /// Asset numbers already in the ledger whose row differs.
    pub changed: usize,
    /// Asset numbers already in the ledger with the same row.
    pub unchanged: usize,
}

/// A file waiting between an import's preview and its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerUpload {
    pub institution_id: i64,
    pub user_id: i64,
    pub content_type: String,
    pub file_name: String,
    pub body: Vec<u8>,
}

/// Columns of `devices` in the order every query reads and writes them (after `id`).
const COLUMNS: &str = "asset_number, kind, maker, model, os, software, firmware_version, ip_addresses, dhcp, computer_name, location, user_name, registered_on, status, description, serial_number, remote_maintenance, maintenance_vendor, remote_access, security_updates_in_contract, last_patched_on, always_on_connection, weak_or_reused_password";

/// Rows per multi-row statement: 26 binds each stays under SQLite's 32,766 and
/// PostgreSQL's 65,535 bind limits.
const CHUNK: usize = 1000;

/// The cells of a device as stored.
struct Cells {
    asset_number: String,
    kind: Option<&'static str>,
    software: String,
    firmware_version: Option<String>,
    ip_addresses: String,
    registered_on: Option<String>,
    status: &'static str,
    remote_access: Option<&'static str>,
    last_patched_on: Option<String>,
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn cells(d: &Device) -> Cells {
    Cells {
        asset_number: d.asset_number.as_str().to_owned(),
        kind: d.kind.map(DeviceKind::as_str),
        // A Vec of plain structs always serializes.
        software: serde_json::to_string(&d.software).unwrap_or_else(|_| "[]".to_owned()),
        firmware_version: d.firmware_version.as_ref().map(|v| v.as_str().to_owned()),
        ip_addresses: d
            .ip_addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        registered_on: date_text(d.registered_on),
        status: d.status.as_str(),
        remote_access: d.remote_access.map(RemoteAccess::as_str),
        last_patched_on: date_text(d.last_patched_on),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("device {what}: {e}"))
}

fn stored_date(text: Option<String>) -> Result<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|e| corrupt(&format!("date '{t}'"), e))
    })
    .transpose()
}

/// One `SELECT id, COLUMNS, updated_at` row in plain values; also read from a JSON array
/// of the same values in the same order (see [`DeviceSql::all_devices`]).
#[derive(serde::Deserialize)]
struct RawDevice {
    id: i64,
    asset_number: String,
    kind: Option<String>,
    maker: String,
    model: String,
    os: String,
    software: String,
    firmware_version: Option<String>,
    ip_addresses: String,
    #[serde(deserialize_with = "json_bool")]
    dhcp: bool,
    computer_name: String,
    location: String,
    user: String,
    registered_on: Option<String>,
    status: String,
    description: String,
    serial_number: String,
    #[serde(deserialize_with = "json_bool")]
    remote_maintenance: bool,
    maintenance_vendor: String,
    remote_access: Option<String>,
    #[serde(deserialize_with = "json_opt_bool")]
    security_updates_in_contract: Option<bool>,
    last_patched_on: Option<String>,
    #[serde(deserialize_with = "json_opt_bool")]
    always_on_connection: Option<bool>,
    #[serde(deserialize_with = "json_opt_bool")]
    weak_or_reused_password: Option<bool>,
    updated_at: String,
}

/// A boolean column in JSON: SQLite stores booleans as 0 and 1.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum JsonBool {
    Bool(bool),
    Int(i64),
}

fn json_bool<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(match <JsonBool as serde::Deserialize>::deserialize(d)? {
        JsonBool::Bool(b) => b,
        JsonBool::Int(i) => i != 0,
    })
}

fn json_opt_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<bool>, D::Error> {
    Ok(
        match <Option<JsonBool> as serde::Deserialize>::deserialize(d)? {
            None => None,
            Some(JsonBool::Bool(b)) => Some(b),
            Some(JsonBool::Int(i)) => Some(i != 0),
        },
    )
}

/// Reads a row of either engine into a [`RawDevice`].
macro_rules! raw_device {
    ($r:expr) => {{
        use sqlx::Row as _;
        let r = $r;
        std::result::Result::<RawDevice, sqlx::Error>::Ok(RawDevice {
            id: r.try_get(0)?,
            asset_number: r.try_get(1)?,
            kind: r.try_get(2)?,
            maker: r.try_get(3)?,
            model: r.try_get(4)?,
            os: r.try_get(5)?,
            software: r.try_get(6)?,
            firmware_version: r.try_get(7)?,
            ip_addresses: r.try_get(8)?,
            dhcp: r.try_get(9)?,
            computer_name: r.try_get(10)?,
            location: r.try_get(11)?,
            user: r.try_get(12)?,
            registered_on: r.try_get(13)?,
            status: r.try_get(14)?,
            description: r.try_get(15)?,
            serial_number: r.try_get(16)?,
            remote_maintenance: r.try_get(17)?,
            maintenance_vendor: r.try_get(18)?,
            remote_access: r.try_get(19)?,
            security_updates_in_contract: r.try_get(20)?,
            last_patched_on: r.try_get(21)?,
            always_on_connection: r.try_get(22)?,
            weak_or_reused_password: r.try_get(23)?,
            updated_at: r.try_get(24)?,
        })
    }};
}

fn device_from_raw(r: RawDevice) -> Result<StoredDevice> {
    let ip_addresses = r
        .ip_addresses
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.parse::<IpAddr>().map_err(|e| corrupt("IP address", e)))
        .collect::<Result<Vec<_>>>()?;
    let device = Device {
        asset_number: AssetNumber::parse(&r.asset_number)
            .map_err(|e| corrupt("asset number", e))?,
        kind: r
            .kind
            .map(|k| DeviceKind::parse(&k))
            .transpose()
            .map_err(|e| corrupt("kind", e))?,
        maker: r.maker,
        model: r.model,
        os: r.os,
        software: serde_json::from_str::<Vec<Software>>(&r.software)
            .map_err(|e| corrupt("software", e))?,
        firmware_version: r
            .firmware_version
            .map(|v| Version::parse("firmware_version", &v))
            .transpose()
            .map_err(|e| corrupt("firmware version", e))?
            .flatten(),
        ip_addresses,
        dhcp: r.dhcp,
        computer_name: r.computer_name,
        location: r.location,
        user: r.user,
        registered_on: stored_date(r.registered_on)?,
        status: DeviceStatus::parse(&r.status).map_err(|e| corrupt("status", e))?,
        description: r.description,
        serial_number: r.serial_number,
        remote_maintenance: r.remote_maintenance,
        maintenance_vendor: r.maintenance_vendor,
        remote_access: r
            .remote_access
            .map(|a| RemoteAccess::parse(&a))
            .transpose()
            .map_err(|e| corrupt("remote access", e))?,
        security_updates_in_contract: r.security_updates_in_contract,
        last_patched_on: stored_date(r.last_patched_on)?,
        always_on_connection: r.always_on_connection,
        weak_or_reused_password: r.weak_or_reused_password,
    };
    Ok(StoredDevice {
        id: r.id,
        device,
        updated_at: r.updated_at,
    })
}

/// Appends the binds of one device in the order of [`COLUMNS`].
macro_rules! push_device {
    ($b:expr, $d:expr, $c:expr) => {{
        let d: &Device = $d;
        let c: Cells = $c;
        $b.push_bind(c.asset_number)
            .push_bind(c.kind)
            .push_bind(d.maker.clone())
            .push_bind(d.model.clone())
            .push_bind(d.os.clone())
            .push_bind(c.software)
            .push_bind(c.firmware_version)
            .push_bind(c.ip_addresses)
            .push_bind(d.dhcp)
            .push_bind(d.computer_name.clone())
            .push_bind(d.location.clone())
            .push_bind(d.user.clone())
            .push_bind(c.registered_on)
            .push_bind(c.status)
            .push_bind(d.description.clone())
            .push_bind(d.serial_number.clone())
            .push_bind(d.remote_maintenance)
            .push_bind(d.maintenance_vendor.clone())
            .push_bind(c.remote_access)
            .push_bind(d.security_updates_in_contract)
            .push_bind(c.last_patched_on)
            .push_bind(d.always_on_connection)
            .push_bind(d.weak_or_reused_password);
    }};
}

/// What an import of `devices` does to a ledger holding `existing`.
pub fn compare_ledger(existing: &[StoredDevice], devices: &[Device]) -> ImportCounts {
    let by_asset: HashMap<&str, &Device> = existing
        .iter()
        .map(|s| (s.device.asset_number.as_str(), &s.device))
        .collect();
    let mut counts = ImportCounts::default();
    for d in devices {
        match by_asset.get(d.asset_number.as_str()) {
            None => counts.added += 1,
            Some(old) if *old == d => counts.unchanged += 1,
            Some(_) => counts.changed += 1,
        }
    }
    counts
}

/// `SET column = excluded.column, …` for every column of [`COLUMNS`].
static UPSERT_SET: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    COLUMNS
        .split(", ")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
});

/// Reading a whole ledger and writing an import's rows, each engine its fastest way.
trait DeviceSql {
    /// Every device of the institution, by asset number.
    async fn all_devices(&mut self, institution_id: i64) -> Result<Vec<StoredDevice>>;

    /// Writes an import's rows: `added` are not in the ledger as read in this transaction,
    /// `changed` replace the row of the same asset number. Returns what the writing did to
    /// these rows, which differs from the plan only when another writer changed the ledger
    /// since it was read (then some of `added` met a row of their asset number).
    async fn write_devices(
        &mut self,
        institution_id: i64,
        added: &[&Device],
        changed: &[&Device],
        at: &str,
    ) -> std::result::Result<ImportCounts, sqlx::Error>;
}

impl DeviceSql for sqlx::SqliteConnection {
    /// One row holding the ledger as a JSON array. sqlx-sqlite hands every row from its
    /// worker thread to the caller, and for a ledger of thousands of devices those hand-offs
    /// (and the allocations freed on the other thread) cost more than the query itself.
    async fn all_devices(&mut self, institution_id: i64) -> Result<Vec<StoredDevice>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT json_group_array(json_array(id, {COLUMNS}, updated_at) ORDER BY asset_number) FROM devices WHERE institution_id = $1"
            )
        });
        let (json,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(institution_id)
            .fetch_one(&mut *self)
            .await?;
        let raw: Vec<RawDevice> = serde_json::from_str(&json).map_err(|e| corrupt("row", e))?;
        raw.into_iter().map(device_from_raw).collect()
    }

    /// Multi-row statements of [`CHUNK`] rows: every full chunk is the same statement,
    /// prepared once. The ledger was read under the write lock (`BEGIN IMMEDIATE`), so no
    /// other writer can have changed it: the rows are written as planned.
    async fn write_devices(
        &mut self,
        institution_id: i64,
        added: &[&Device],
        changed: &[&Device],
        at: &str,
    ) -> std::result::Result<ImportCounts, sqlx::Error> {
        for chunk in added.chunks(CHUNK).chain(changed.chunks(CHUNK)) {
            let mut upsert = QueryBuilder::new(format!(
                "INSERT INTO devices (institution_id, {COLUMNS}, created_at, updated_at) "
            ));
            upsert.push_values(chunk, |mut b, d| {
                b.push_bind(institution_id);
                push_device!(b, d, cells(d));
                b.push_bind(at).push_bind(at);
            });
            upsert.push(format!(
                " ON CONFLICT (institution_id, asset_number) DO UPDATE SET {}, updated_at = excluded.updated_at",
                UPSERT_SET.as_str()
            ));
            upsert.build().execute(&mut *self).await?;
        }
        Ok(ImportCounts {
            added: added.len(),
            changed: changed.len(),
            unchanged: 0,
        })
    }
}

/// A text cell in PostgreSQL's `COPY` text format.
fn copy_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

fn copy_opt_text(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => copy_text(out, t),
        None => out.push_str("\\N"),
    }
}

fn copy_bool(out: &mut String, b: Option<bool>) {
    out.push_str(match b {
        Some(true) => "t",
        Some(false) => "f",
        None => "\\N",
    });
}

/// One cell of a `COPY` line in text format.
enum CopyCell<'a> {
    Text(&'a str),
    Nullable(Option<&'a str>),
    Bool(Option<bool>),
}

/// One device as a line of `COPY devices (institution_id, COLUMNS, created_at, updated_at)`.
fn copy_line(out: &mut String, institution_id: i64, d: &Device, at: &str) {
    use CopyCell::{Bool, Nullable, Text};
    let c = cells(d);
    out.push_str(&institution_id.to_string());
    for cell in [
        Text(&c.asset_number),
        Nullable(c.kind),
        Text(&d.maker),
        Text(&d.model),
        Text(&d.os),
        Text(&c.software),
        Nullable(c.firmware_version.as_deref()),
        Text(&c.ip_addresses),
        Bool(Some(d.dhcp)),
        Text(&d.computer_name),
        Text(&d.location),
        Text(&d.user),
        Nullable(c.registered_on.as_deref()),
        Text(c.status),
        Text(&d.description),
        Text(&d.serial_number),
        Bool(Some(d.remote_maintenance)),
        Text(&d.maintenance_vendor),
        Nullable(c.remote_access),
        Bool(d.security_updates_in_contract),
        Nullable(c.last_patched_on.as_deref()),
        Bool(d.always_on_connection),
        Bool(d.weak_or_reused_password),
        Text(at),
        Text(at),
    ] {
        out.push('\t');
        match cell {
            Text(t) => copy_text(out, t),
            Nullable(t) => copy_opt_text(out, t),
            Bool(b) => copy_bool(out, b),
        }
    }
    out.push('\n');
}

impl DeviceSql for sqlx::PgConnection {
    async fn all_devices(&mut self, institution_id: i64) -> Result<Vec<StoredDevice>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT id, {COLUMNS}, updated_at FROM devices WHERE institution_id = $1 ORDER BY asset_number"
            )
        });
        let rows = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(institution_id)
            .fetch_all(&mut *self)
            .await?;
        let raw = rows
            .iter()
            .map(|r| raw_device!(r))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        raw.into_iter().map(device_from_raw).collect()
    }

    /// New rows go in by `COPY`, PostgreSQL's bulk load, several times faster than
    /// `INSERT` for a large import; changed rows by one upsert of arrays (`UNNEST`). Should
    /// another writer have added one of the new asset numbers since the ledger was read,
    /// `COPY` fails on the unique key: it is undone to its savepoint and every row goes
    /// through the upsert instead, which then counts what it did (the ledger it was
    /// planned on is out of date).
    async fn write_devices(
        &mut self,
        institution_id: i64,
        added: &[&Device],
        changed: &[&Device],
        at: &str,
    ) -> std::result::Result<ImportCounts, sqlx::Error> {
        if !added.is_empty() {
            let mut data = String::with_capacity(added.len() * 256);
            for d in added {
                copy_line(&mut data, institution_id, d, at);
            }
            sqlx::query("SAVEPOINT device_copy")
                .execute(&mut *self)
                .await?;
            let copied = async {
                let mut copy = self
                    .copy_in_raw(&format!(
                        "COPY devices (institution_id, {COLUMNS}, created_at, updated_at) FROM STDIN"
                    ))
                    .await?;
                copy.send(data.as_bytes()).await?;
                copy.finish().await
            }
            .await;
            match copied {
                Ok(_) => {
                    sqlx::query("RELEASE SAVEPOINT device_copy")
                        .execute(&mut *self)
                        .await?;
                }
                Err(e) if is_unique_violation(&e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT device_copy")
                        .execute(&mut *self)
                        .await?;
                    let all: Vec<&Device> = added.iter().chain(changed).copied().collect();
                    return pg_upsert_counted(self, institution_id, &all, at).await;
                }
                Err(e) => return Err(e),
            }
        }
        pg_upsert(self, institution_id, changed, at).await?;
        Ok(ImportCounts {
            added: added.len(),
            changed: changed.len(),
            unchanged: 0,
        })
    }
}

/// `INSERT INTO devices … SELECT … FROM UNNEST(…) ON CONFLICT … DO UPDATE SET …`: one
/// statement for any number of rows, each column sent as one array (binds `$3`…`$25`, the
/// institution `$1`, the time `$2`).
static UNNEST_UPSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO devices (institution_id, {COLUMNS}, created_at, updated_at) \
         SELECT $1, u.*, $2, $2 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], \
         $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], \
         $19::boolean[], $20::text[], $21::text[], $22::boolean[], $23::text[], \
         $24::boolean[], $25::boolean[]) AS u \
         ON CONFLICT (institution_id, asset_number) DO UPDATE SET {}, updated_at = excluded.updated_at",
        UPSERT_SET.as_str()
    )
});

/// The upsert of arrays with the devices bound, in the order of [`UNNEST_UPSERT`].
fn bind_unnest(
    sql: &'static str,
    institution_id: i64,
    devices: &[&Device],
    at: &str,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let n = devices.len();
    let mut asset_number = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut maker = Vec::with_capacity(n);
    let mut model = Vec::with_capacity(n);
    let mut os = Vec::with_capacity(n);
    let mut software = Vec::with_capacity(n);
    let mut firmware_version = Vec::with_capacity(n);
    let mut ip_addresses = Vec::with_capacity(n);
    let mut dhcp = Vec::with_capacity(n);
    let mut computer_name = Vec::with_capacity(n);
    let mut location = Vec::with_capacity(n);
    let mut user = Vec::with_capacity(n);
    let mut registered_on = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut description = Vec::with_capacity(n);
    let mut serial_number = Vec::with_capacity(n);
    let mut remote_maintenance = Vec::with_capacity(n);
    let mut maintenance_vendor = Vec::with_capacity(n);
    let mut remote_access = Vec::with_capacity(n);
    let mut security_updates = Vec::with_capacity(n);
    let mut last_patched_on = Vec::with_capacity(n);
    let mut always_on = Vec::with_capacity(n);
    let mut weak_password = Vec::with_capacity(n);
    for d in devices {
        let c = cells(d);
        asset_number.push(c.asset_number);
        kind.push(c.kind);
        maker.push(d.maker.as_str());
        model.push(d.model.as_str());
        os.push(d.os.as_str());
        software.push(c.software);
        firmware_version.push(c.firmware_version);
        ip_addresses.push(c.ip_addresses);
        dhcp.push(d.dhcp);
        computer_name.push(d.computer_name.as_str());
        location.push(d.location.as_str());
        user.push(d.user.as_str());
        registered_on.push(c.registered_on);
        status.push(c.status);
        description.push(d.description.as_str());
        serial_number.push(d.serial_number.as_str());
        remote_maintenance.push(d.remote_maintenance);
        maintenance_vendor.push(d.maintenance_vendor.as_str());
        remote_access.push(c.remote_access);
        security_updates.push(d.security_updates_in_contract);
        last_patched_on.push(c.last_patched_on);
        always_on.push(d.always_on_connection);
        weak_password.push(d.weak_or_reused_password);
    }
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution_id)
        .bind(at)
        .bind(asset_number)
        .bind(kind)
        .bind(maker)
        .bind(model)
        .bind(os)
        .bind(software)
        .bind(firmware_version)
        .bind(ip_addresses)
        .bind(dhcp)
        .bind(computer_name)
        .bind(location)
        .bind(user)
        .bind(registered_on)
        .bind(status)
        .bind(description)
        .bind(serial_number)
        .bind(remote_maintenance)
        .bind(maintenance_vendor)
        .bind(remote_access)
        .bind(security_updates)
        .bind(last_patched_on)
        .bind(always_on)
        .bind(weak_password)
}

/// Writes the rows that replace rows of the ledger as read, in one upsert of arrays.
async fn pg_upsert(
    conn: &mut sqlx::PgConnection,
    institution_id: i64,
    devices: &[&Device],
    at: &str,
) -> std::result::Result<(), sqlx::Error> {
    if devices.is_empty() {
        return Ok(());
    }
    bind_unnest(UNNEST_UPSERT.as_str(), institution_id, devices, at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The upsert of every row of an import whose ledger changed after it was read, counting
/// what it did: a row met on its asset number is rewritten only when it differs from the
/// file (else it is left alone and counted unchanged), and `xmax = 0` tells an inserted row
/// from an updated one. The conflicting row is locked before its values are compared, so
/// the count is of the row as it stood when written.
async fn pg_upsert_counted(
    conn: &mut sqlx::PgConnection,
    institution_id: i64,
    devices: &[&Device],
    at: &str,
) -> std::result::Result<ImportCounts, sqlx::Error> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let row = |table: &str| {
            COLUMNS
                .split(", ")
                .map(|c| format!("{table}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "WITH written AS ({} WHERE ({}) IS DISTINCT FROM ({}) RETURNING (xmax = 0) AS inserted) \
             SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written",
            UNNEST_UPSERT.as_str(),
            row("devices"),
            row("excluded")
        )
    });
    if devices.is_empty() {
        return Ok(ImportCounts::default());
    }
    use sqlx::Row as _;
    let row = bind_unnest(SQL.as_str(), institution_id, devices, at)
        .fetch_one(&mut *conn)
        .await?;
    let (inserted, updated): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    let (added, changed) = (count(inserted), count(updated));
    Ok(ImportCounts {
        added,
        changed,
        unchanged: devices.len().saturating_sub(added + changed),
    })
}

impl Store {
    /// Every device of the institution, by asset number.
    pub async fn devices(&self, institution_id: i64) -> Result<Vec<StoredDevice>> {
        on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.all_devices(institution_id).await
        })
    }

    /// One device of the institution.
    pub async fn device(&self, institution_id: i64, id: i64) -> Result<Option<StoredDevice>> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT id, {COLUMNS}, updated_at FROM devices WHERE institution_id = $1 AND id = $2"
            )
        });
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str()))
                .bind(institution_id)
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let raw = row.as_ref().map(|r| raw_device!(r)).transpose()?;
            raw.map(device_from_raw).transpose()
        })
    }

    /// Adds a device. `Conflict` when the asset number is already in the ledger.
    pub async fn create_device(
        &self,
        institution_id: i64,
        device: &Device,
        actor: i64,
    ) -> Result<i64> {
        let at = now();
        let asset = device.asset_number.as_str().to_owned();
        let result = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut insert = QueryBuilder::new(format!(
                "INSERT INTO devices (institution_id, {COLUMNS}, created_at, updated_at) "
            ));
            insert.push_values(std::iter::once(device), |mut b, d| {
                b.push_bind(institution_id);
                push_device!(b, d, cells(d));
                b.push_bind(at.clone()).push_bind(at.clone());
            });
            insert.push(" RETURNING id");
            let (id,): (i64,) = insert.build_query_as().fetch_one(&mut *tx).await?;
            sqlx::query("DELETE FROM device_flag_counts WHERE institution_id = $1").bind(institution_id).execute(&mut *tx).await?;
            Ok(Written::audited(id, Audit::new(&at, actor, "device.create", institution_id, format!("id={id} asset_number={asset}"))))
        }).await);
        match result {
            Err(StoreError::Database(e)) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(asset))
            }
            other => other,
        }
    }

    /// Replaces a device's row. `NotFound` outside the institution, `Conflict` when the new
    /// asset number belongs to another device.
    pub async fn update_device(
        &self,
        institution_id: i64,
        id: i64,
        device: &Device,
        actor: i64,
    ) -> Result<()> {
        let at = now();
        let asset = device.asset_number.as_str().to_owned();
        let result = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut update = QueryBuilder::new("UPDATE devices SET (");
            update.push(COLUMNS);
            update.push(", updated_at) = (");
            {
                let c = cells(device);
                let mut b = update.separated(", ");
                push_device!(b, device, c);
                b.push_bind(at.clone());
            }
            update.push(") WHERE institution_id = ");
            update.push_bind(institution_id);
            update.push(" AND id = ");
            update.push_bind(id);
            let done = update.build().execute(&mut *tx).await?;
            found(done.rows_affected())?;
            sqlx::query("DELETE FROM device_flag_counts WHERE institution_id = $1").bind(institution_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "device.update", institution_id, format!("id={id} asset_number={asset}"))))
        }).await);
        match result {
            Err(StoreError::Database(e)) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(asset))
            }
            other => other,
        }
    }

    /// Marks a device 廃棄 (retired). The row stays in the ledger.
    pub async fn retire_device(&self, institution_id: i64, id: i64, actor: i64) -> Result<()> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            let done = sqlx::query("UPDATE devices SET status = $1, updated_at = $2 WHERE institution_id = $3 AND id = $4")
                .bind(DeviceStatus::Retired.as_str())
                .bind(at.clone())
                .bind(institution_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            found(done.rows_affected())?;
            sqlx::query("DELETE FROM device_flag_counts WHERE institution_id = $1").bind(institution_id).execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, "device.retire", institution_id, format!("id={id}"))))
        }).await?);
        Ok(())
    }

    /// Stores an import: every device is added or replaces the device of the same asset
    /// number, in one transaction; devices not in the file stay as they are. The asset
    /// numbers must be unique within `devices` (the importer refuses duplicates).
    pub async fn import_devices(
        &self,
        institution_id: i64,
        devices: &[Device],
        actor: i64,
    ) -> Result<ImportCounts> {
        let at = now();
        on_pool!(self, pool => self.write(pool, async |tx| {
            // The ledger as it stands inside the transaction, to skip unchanged rows.
            let existing = tx.all_devices(institution_id).await?;
            let by_asset: HashMap<&str, &Device> = existing
                .iter()
                .map(|s| (s.device.asset_number.as_str(), &s.device))
                .collect();
            let mut added: Vec<&Device> = Vec::new();
            let mut changed: Vec<&Device> = Vec::new();
            for d in devices {
                match by_asset.get(d.asset_number.as_str()) {
                    None => added.push(d),
                    Some(old) if *old != d => changed.push(d),
                    Some(_) => {}
                }
            }
            // Counted from what the writing did: on PostgreSQL another writer may have
            // added one of the new asset numbers since the ledger was read.
            let written = tx.write_devices(institution_id, &added, &changed, &at).await?;
            sqlx::query("DELETE FROM device_flag_counts WHERE institution_id = $1").bind(institution_id).execute(&mut *tx).await?;

            let counts = ImportCounts {
                added: written.added,
                changed: written.changed,
                unchanged: devices.len() - added.len() - changed.len() + written.unchanged,
            };
            Ok(Written::audited(Ok(counts), Audit::new(&at, actor, "device.import", institution_id, format!("added={} changed={} unchanged={}", counts.added, counts.changed, counts.unchanged))))
        }).await?)
    }

    /// Keeps an uploaded ledger file until `expires_at`, under the hash of its token.
    pub async fn save_ledger_upload(
        &self,
        token_hash: &str,
        upload: &LedgerUpload,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let at = now();
        let expires = expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        on_pool!(self, pool => self.write(pool, async |tx| {
            // Old uploads go as new ones come.
            sqlx::query("DELETE FROM ledger_uploads WHERE expires_at < $1")
                .bind(at.clone())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO ledger_uploads (token_hash, institution_id, user_id, content_type, file_name, body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(token_hash.to_owned())
                .bind(upload.institution_id)
                .bind(upload.user_id)
                .bind(upload.content_type.clone())
                .bind(upload.file_name.clone())
                .bind(upload.body.clone())
                .bind(at.clone())
                .bind(expires)
                .execute(&mut *tx)
                .await?;
            Ok(Written::kept(()))
        }).await?);
        Ok(())
    }

    /// The upload of this token, if it has not expired and belongs to this user and
    /// institution.
    pub async fn ledger_upload(
        &self,
        token_hash: &str,
        institution_id: i64,
        user_id: i64,
    ) -> Result<Option<LedgerUpload>> {
        let at = now();
        let row: Option<(String, String, Vec<u8>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT content_type, file_name, body FROM ledger_uploads WHERE token_hash = $1 AND institution_id = $2 AND user_id = $3 AND expires_at > $4")
                .bind(token_hash.to_owned())
                .bind(institution_id)
                .bind(user_id)
                .bind(at)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(content_type, file_name, body)| LedgerUpload {
            institution_id,
            user_id,
            content_type,
            file_name,
            body,
        }))
    }

    /// Forgets an upload (after its import was stored or cancelled).
    pub async fn delete_ledger_upload(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            let _turn = self.write_turn().await;
            sqlx::query("DELETE FROM ledger_uploads WHERE token_hash = $1")
                .bind(token_hash.to_owned())
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
