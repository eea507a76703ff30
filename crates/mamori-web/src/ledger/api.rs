//! The device ledger (機器台帳) in the web tier: the datasets behind its risk flags, the
//! service functions the API and the pages share (reading, flagging, importing, exporting),
//! and the JSON API under `/api/v1/institutions/{id}/devices`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mamori_domain::Principal;
use mamori_domain::device::{Device, LedgerColumn, ParsedLedger, RowError, parse_row};
use mamori_domain::device_risk::{Flag, FlagSeverity, RiskSubject, assess};
use mamori_reports::ledger::{Encoding, ImportError};
use mamori_store::{ImportCounts, Institution, StoredDevice};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::{Administered, Opening};
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{DeviceId, Ids, InstitutionId};
use mamori_app as service;

/// The largest ledger file accepted (the rest of the application accepts 2 MB bodies).
pub const IMPORT_LIMIT: usize = 20 * 1024 * 1024;

pub use crate::http::download::XLSX_CONTENT_TYPE;

// ----- datasets ------------------------------------------------------------------------------

pub use mamori_app::ledger::{DatasetsInfo, LedgerData, LedgerFlags};

// ----- service ---------------------------------------------------------------------------

/// The flags of one device today (in Japan). Retired devices carry none: they are out of use.
pub fn flags_of(state: &AppState, device: &Device, today: NaiveDate) -> Vec<Flag> {
    if device.status == mamori_domain::device::DeviceStatus::Retired {
        return Vec::new();
    }
    assess(
        &RiskSubject::from_device(device),
        &state.ledger.risk,
        today,
        state.config.stale_patch_days,
    )
}

/// The flags of every device of an institution's ledger, in the order of `devices`.
/// Flagging a large ledger is the costly part of its page, so the result is remembered per
/// institution with a fingerprint of the day, the settings and every device's id and last
/// change: any edit, retirement or import changes it, and the flags are computed again.
pub fn ledger_flags(
    state: &AppState,
    institution_id: i64,
    devices: &[StoredDevice],
    today: NaiveDate,
) -> LedgerFlags {
    state.ledger.ledger_flags(
        institution_id,
        devices,
        today,
        state.config.stale_patch_days,
    )
}

/// The institution's devices with their flags as of today.
pub async fn flagged_devices(
    state: &AppState,
    institution_id: i64,
) -> Result<(Vec<StoredDevice>, LedgerFlags), AppError> {
    let devices = state.store.devices(institution_id).await?;
    let flags = ledger_flags(state, institution_id, &devices, service::today_in_japan());
    Ok((devices, flags))
}

/// How many devices carry each severity, and how many flags of each code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagSummary {
    pub devices: usize,
    pub in_use: usize,
    /// Devices whose most severe flag is high, medium, low, info.
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// Flags per code, most frequent first.
    pub by_code: Vec<(String, usize)>,
}

pub fn summarize<'a>(devices: impl Iterator<Item = (&'a Device, &'a [Flag])>) -> FlagSummary {
    let mut s = FlagSummary::default();
    let mut codes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (device, flags) in devices {
        s.devices += 1;
        if device.status != mamori_domain::device::DeviceStatus::Retired {
            s.in_use += 1;
        }
        match flags.iter().map(|f| f.severity).max() {
            Some(FlagSeverity::High) => s.high += 1,
            Some(FlagSeverity::Medium) => s.medium += 1,
            Some(FlagSeverity::Low) => s.low += 1,
            Some(FlagSeverity::Info) => s.info += 1,
            None => {}
        }
        for f in flags {
            *codes.entry(f.code.as_str()).or_default() += 1;
        }
    }
    let mut by_code: Vec<(String, usize)> =
        codes.into_iter().map(|(c, n)| (c.to_owned(), n)).collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.by_code = by_code;
    s
}

/// The institution whose ledger the caller may read (its users, inspectors of its prefecture,
/// the national office), with the read recorded in the access log.
pub async fn readable_ledger(
    state: &AppState,
    principal: &Principal,
    id: InstitutionId,
) -> Result<Institution, AppError> {
    let institution = service::visible_institution(state, principal, id.get()).await?;
    service::record_read(state, principal, institution.id, "ledger").await?;
    Ok(institution)
}

/// A file that cannot be imported, as a bilingual refusal.
pub fn import_error(e: &ImportError) -> AppError {
    let status = match e {
        ImportError::TooLarge { .. }
        | ImportError::WorkbookTooLarge { .. }
        | ImportError::TooManyStrings { .. }
        | ImportError::WorkbookSizeLies { .. }
        | ImportError::LongText { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ImportError::NotASpreadsheet(_) | ImportError::LegacyExcel => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::rejected(status, ErrorCode::of_rule(e.code()), e.message())
}

pub fn too_large_error() -> AppError {
    AppError::rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::FileTooLarge,
        Message::new("errors-ledger-file-too-large")
            .with("megabytes", IMPORT_LIMIT / (1024 * 1024)),
    )
}

/// Reads a ledger file off the async threads.
pub async fn parse_file(
    bytes: Vec<u8>,
    content_type: Option<String>,
) -> Result<ParsedLedger, AppError> {
    tokio::task::spawn_blocking(move || {
        mamori_reports::ledger::import(&bytes, content_type.as_deref())
    })
    .await
    .map_err(|e| AppError::internal(format!("ledger import task: {e}")))?
    .map_err(|e| import_error(&e))
}

/// What an import would do: the parsed file and how it compares with the ledger.
pub struct ImportPreview {
    /// The refusals of the file (its devices are in `devices`).
    pub parsed: ParsedLedger,
    /// The file's devices, in row order.
    pub devices: Vec<Device>,
    pub counts: ImportCounts,
    /// The asset numbers the import adds and changes, in file order.
    pub added: Vec<String>,
    pub changed: Vec<String>,
}

pub async fn preview(
    state: &AppState,
    institution_id: i64,
    bytes: Vec<u8>,
    content_type: Option<String>,
) -> Result<ImportPreview, AppError> {
    let (parsed, existing) = tokio::try_join!(parse_file(bytes, content_type), async {
        Ok(state.store.devices(institution_id).await?)
    })?;
    let mut parsed = parsed;
    // Moved out, not copied: a 100,000-row ledger is tens of megabytes.
    let devices: Vec<Device> = std::mem::take(&mut parsed.devices)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let counts = mamori_store::compare_ledger(&existing, &devices);
    let by_asset: std::collections::HashMap<&str, &Device> = existing
        .iter()
        .map(|s| (s.device.asset_number.as_str(), &s.device))
        .collect();
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    for d in &devices {
        match by_asset.get(d.asset_number.as_str()) {
            None => added.push(d.asset_number.as_str().to_owned()),
            Some(old) if *old != d => changed.push(d.asset_number.as_str().to_owned()),
            Some(_) => {}
        }
    }
    Ok(ImportPreview {
        parsed,
        devices,
        counts,
        added,
        changed,
    })
}

/// Stores a clean import (all or nothing).
pub async fn commit(
    state: &AppState,
    institution_id: i64,
    devices: Vec<Device>,
    actor: i64,
) -> Result<ImportCounts, AppError> {
    Ok(state
        .store
        .import_devices(institution_id, &devices, actor)
        .await?)
}

/// Reads a device from cells keyed by column (API bodies, page forms).
pub fn device_from_cells(cells: &[(LedgerColumn, String)]) -> Result<Device, Vec<RowError>> {
    parse_row(1, cells)
}

/// The ledger as a file: .xlsx or CSV.
pub async fn export(
    devices: Vec<StoredDevice>,
    format: ExportFormat,
    file_stem: &str,
) -> Result<Response, AppError> {
    let devices: Vec<Device> = devices.into_iter().map(|s| s.device).collect();
    let (bytes, content_type, ext) =
        tokio::task::spawn_blocking(move || match format {
            ExportFormat::Xlsx => mamori_reports::ledger::export_xlsx(&devices)
                .map(|b| (b, XLSX_CONTENT_TYPE, "xlsx")),
            ExportFormat::Csv(encoding) => mamori_reports::ledger::export_csv(&devices, encoding)
                .map(|b| {
                    let ct = match encoding {
                        Encoding::Utf8 => "text/csv; charset=utf-8",
                        Encoding::ShiftJis => "text/csv; charset=shift_jis",
                    };
                    (b, ct, "csv")
                }),
        })
        .await
        .map_err(|e| AppError::internal(format!("ledger export task: {e}")))?
        .map_err(|e| {
            AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::of_rule(e.code()),
                e.message(),
            )
        })?;
    let file_name = Message::new("ledger-export-file-name").with("stem", file_stem);
    let disposition = format!(
        "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}.{ext}",
        // The plain name stays ASCII for old clients; the UTF-8 name is the Japanese one.
        file_name.render(Lang::En),
        crate::http::auth::urlencode(&file_name.render(Lang::Ja))
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv(Encoding),
}

pub fn csv_encoding(text: Option<&str>) -> Result<Encoding, AppError> {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "utf-8" | "utf8") => Ok(Encoding::Utf8),
        Some("shift_jis" | "sjis" | "cp932" | "shift-jis") => Ok(Encoding::ShiftJis),
        Some(other) => Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownEncoding,
            Message::new("errors-unknown-encoding").with("other", other),
        )),
    }
}

// ----- JSON ------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct FlagJson {
    /// `end_of_support`, `end_of_support_soon`, `known_exploited`, `vulnerable_version`,
    /// `stale_patch`, `unmatched_version`, `support_date_unknown`, `vpn_no_security_updates`,
    /// `vpn_unsupported`, `vpn_always_on`, `vpn_weak_password`.
    pub code: String,
    /// `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// What is wrong and what to do next.
    pub message_ja: String,
    pub message_en: String,
    /// Where the verdict comes from: dataset, product, release cycle, dates, advisory.
    pub evidence: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

pub fn flag_json(f: &Flag) -> FlagJson {
    FlagJson {
        code: f.code.as_str().to_owned(),
        severity: f.severity.as_str().to_owned(),
        message_ja: f.message.render(crate::http::i18n::Lang::Ja),
        message_en: f.message.render(crate::http::i18n::Lang::En),
        evidence: f.evidence.clone(),
        cves: f.cves.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SoftwareJson {
    pub name: String,
    pub version: Option<String>,
}

/// One device of the ledger with its flags.
#[derive(Serialize, ToSchema)]
pub struct DeviceJson {
    pub id: i64,
    /// 管理番号
    pub asset_number: String,
    /// 種別: `server`, `pc`, `network`, `vpn`, `medical`, `other`, or null when not stated.
    pub kind: Option<String>,
    pub maker: String,
    pub model: String,
    pub os: String,
    pub software: Vec<SoftwareJson>,
    pub firmware_version: Option<String>,
    pub ip_addresses: Vec<String>,
    pub dhcp: bool,
    pub computer_name: String,
    pub location: String,
    pub user: String,
    pub registered_on: Option<String>,
    /// 状態: `active` (稼働), `stopped` (停止), `retired` (廃棄).
    pub status: String,
    pub description: String,
    pub serial_number: String,
    pub remote_maintenance: bool,
    pub maintenance_vendor: String,
    /// `vpn`, `remote_desktop`, `vendor_closed_network`, `direct_internet`, `not_connected`,
    /// `other`, or null.
    pub remote_access: Option<String>,
    pub security_updates_in_contract: Option<bool>,
    pub last_patched_on: Option<String>,
    pub always_on_connection: Option<bool>,
    pub weak_or_reused_password: Option<bool>,
    pub updated_at: String,
    pub flags: Vec<FlagJson>,
}

pub fn device_json(s: &StoredDevice, flags: &[Flag]) -> DeviceJson {
    let d = &s.device;
    DeviceJson {
        id: s.id,
        asset_number: d.asset_number.as_str().to_owned(),
        kind: d.kind.map(|k| k.as_str().to_owned()),
        maker: d.maker.clone(),
        model: d.model.clone(),
        os: d.os.clone(),
        software: d
            .software
            .iter()
            .map(|s| SoftwareJson {
                name: s.name.clone(),
                version: s.version.as_ref().map(|v| v.as_str().to_owned()),
            })
            .collect(),
        firmware_version: d.firmware_version.as_ref().map(|v| v.as_str().to_owned()),
        ip_addresses: d.ip_addresses.iter().map(ToString::to_string).collect(),
        dhcp: d.dhcp,
        computer_name: d.computer_name.clone(),
        location: d.location.clone(),
        user: d.user.clone(),
        registered_on: d.registered_on.map(|d| d.to_string()),
        status: d.status.as_str().to_owned(),
        description: d.description.clone(),
        serial_number: d.serial_number.clone(),
        remote_maintenance: d.remote_maintenance,
        maintenance_vendor: d.maintenance_vendor.clone(),
        remote_access: d.remote_access.map(|r| r.as_str().to_owned()),
        security_updates_in_contract: d.security_updates_in_contract,
        last_patched_on: d.last_patched_on.map(|d| d.to_string()),
        always_on_connection: d.always_on_connection,
        weak_or_reused_password: d.weak_or_reused_password,
        updated_at: s.updated_at.clone(),
        flags: flags.iter().map(flag_json).collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorJson {
    /// The row as Excel numbers it (header rows counted).
    pub row: usize,
    /// The column's header as written in the file.
    pub column: String,
    pub message_ja: String,
    pub message_en: String,
}

/// What an import does (or, in a preview, would do).
#[derive(Serialize, ToSchema)]
pub struct ImportJson {
    /// Devices new to the ledger.
    pub added: usize,
    /// Devices of the ledger whose row changes.
    pub changed: usize,
    /// Devices of the ledger the file leaves as they are.
    pub unchanged: usize,
    /// Rows refused, with row, column and reason; an import with any is not stored.
    pub rejected: Vec<RowErrorJson>,
    /// Refusals beyond those listed.
    pub omitted_errors: usize,
    /// Whether the import was stored.
    pub committed: bool,
    /// Set when the import is refused (422): the answer is then also an error body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::http::error::ErrorDetail>,
}

pub fn row_error_json(e: &RowError) -> RowErrorJson {
    RowErrorJson {
        row: e.row,
        column: e.column.clone(),
        message_ja: e.message.render(crate::http::i18n::Lang::Ja),
        message_en: e.message.render(crate::http::i18n::Lang::En),
    }
}

fn import_json(p: &ImportPreview, committed: bool) -> ImportJson {
    ImportJson {
        added: p.counts.added,
        changed: p.counts.changed,
        unchanged: p.counts.unchanged,
        rejected: p.parsed.rejected.iter().map(row_error_json).collect(),
        omitted_errors: p.parsed.omitted_errors,
        committed,
        error: None,
    }
}

/// Fields of a device as `GET` gives it that no column holds; sent back, they are ignored.
const READ_ONLY_FIELDS: [&str; 3] = ["id", "updated_at", "flags"];

/// Turns a JSON body into ledger cells: each key is a column key (`asset_number`, `kind`,
/// `os`, `ip_address` …); a value is a string, a boolean, a number, null, or a list of
/// strings (one per line: several software entries or addresses). A device as `GET` gives
/// it reads the same: `ip_addresses`, `dhcp`, `software` as `{name, version}` objects, and
/// its read-only fields ignored.
fn cells_from_json(
    body: &serde_json::Map<String, Value>,
) -> Result<Vec<(LedgerColumn, String)>, AppError> {
    let mut cells = Vec::with_capacity(body.len());
    let mut dhcp = false;
    for (key, value) in body {
        if READ_ONLY_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if key == "dhcp" {
            dhcp = match value {
                Value::Bool(b) => *b,
                Value::Null => false,
                _ => return Err(wrong_type(key)),
            };
            continue;
        }
        if key == "software"
            && let Some(items) = value.as_array()
            && items.iter().any(Value::is_object)
        {
            let (names, versions) = software_cells(key, items)?;
            cells.push((LedgerColumn::Software, names));
            cells.push((LedgerColumn::SoftwareVersion, versions));
            continue;
        }
        let key_norm = if key == "ip_addresses" {
            "ip_address"
        } else {
            key.as_str()
        };
        let column = LedgerColumn::ALL
            .into_iter()
            .find(|c| c.key() == key_norm)
            .ok_or_else(|| {
                AppError::rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::UnknownField,
                    Message::new("errors-unknown-field").with("key", key),
                )
            })?;
        let text = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Null => Ok(String::new()),
                    _ => Err(()),
                })
                .collect::<Result<Vec<_>, ()>>()
                .map_err(|_| wrong_type(key))?
                .join("\n"),
            Value::Object(_) => return Err(wrong_type(key)),
        };
        cells.push((column, text));
    }
    // The ledger writes DHCP among the addresses.
    if dhcp {
        match cells
            .iter_mut()
            .find(|(c, _)| *c == LedgerColumn::IpAddress)
        {
            Some((_, text)) if !text.trim().is_empty() => text.push_str("\nDHCP"),
            Some((_, text)) => *text = "DHCP".to_owned(),
            None => cells.push((LedgerColumn::IpAddress, "DHCP".to_owned())),
        }
    }
    Ok(cells)
}

/// The software and software-version cells of `[{"name", "version"}]`, one line each.
fn software_cells(key: &str, items: &[Value]) -> Result<(String, String), AppError> {
    let mut names = Vec::with_capacity(items.len());
    let mut versions = Vec::with_capacity(items.len());
    for item in items {
        let name = item.get("name").and_then(Value::as_str);
        let version = match item.get("version") {
            None | Some(Value::Null) => Some(""),
            Some(v) => v.as_str(),
        };
        let (Some(name), Some(version)) = (name, version) else {
            return Err(wrong_type(key));
        };
        names.push(name);
        versions.push(version);
    }
    // Versions missing at the end are left out: they read back as unknown.
    let keep = versions
        .iter()
        .rposition(|v| !v.is_empty())
        .map_or(0, |i| i + 1);
    Ok((names.join("\n"), versions[..keep].join("\n")))
}

fn wrong_type(key: &str) -> AppError {
    AppError::rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidBody,
        Message::new("errors-invalid-field-type").with("key", key),
    )
}

/// A device refused field by field, with the errors listed.
#[derive(Serialize, ToSchema)]
pub struct DeviceRejected {
    pub error: crate::http::error::ErrorDetail,
    pub rejected: Vec<RowErrorJson>,
}

fn rejected_device(errors: &[RowError]) -> Response {
    let first = errors.first();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(DeviceRejected {
            error: crate::http::error::ErrorDetail {
                code: ErrorCode::InvalidDevice.as_str().to_owned(),
                message_ja: first
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.column,
                            e.message.render(crate::http::i18n::Lang::Ja)
                        )
                    })
                    .unwrap_or_default(),
                message_en: first
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.column,
                            e.message.render(crate::http::i18n::Lang::En)
                        )
                    })
                    .unwrap_or_default(),
                field: None,
                problems: Vec::new(),
            },
            rejected: errors.iter().map(row_error_json).collect(),
        }),
    )
        .into_response()
}

// ----- API -------------------------------------------------------------------------------

pub fn api_routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_devices, create_device))
        .routes(routes!(get_device, put_device))
        .routes(routes!(retire_device))
        .routes(routes!(import_devices))
        .routes(routes!(export_xlsx))
        .routes(routes!(export_csv))
        .routes(routes!(datasets))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DevicePage {
    /// At most this many devices (by asset number); all when left out.
    limit: Option<i64>,
    /// Skip this many devices first.
    offset: Option<i64>,
}

/// Every device of the institution's ledger, with its flags (end of support, known exploited
/// vulnerabilities, vulnerable VPN versions, stale patches, the VPN device check).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/devices", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), DevicePage),
    responses((status = 200, body = Vec<DeviceJson>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_devices(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<InstitutionId>,
    Query(page): Query<DevicePage>,
) -> ApiResult<Json<Vec<DeviceJson>>> {
    let institution = readable_ledger(&state, &caller.user.principal(), id).await?;
    let (devices, flags) = flagged_devices(&state, institution.id).await?;
    // Negative or absurd values are read as "from the start" and "all".
    let offset = page
        .offset
        .and_then(|o| usize::try_from(o).ok())
        .unwrap_or(0);
    let limit = page
        .limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(usize::MAX);
    Ok(Json(
        devices
            .iter()
            .zip(flags.iter())
            .skip(offset)
            .take(limit)
            .map(|(s, f)| device_json(s, f))
            .collect(),
    ))
}

/// One device with its flags.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/devices/{device_id}", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), ("device_id" = i64, Path)),
    responses((status = 200, body = DeviceJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_device(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((id, device_id)): Ids<(InstitutionId, DeviceId)>,
) -> ApiResult<Json<DeviceJson>> {
    let institution = readable_ledger(&state, &caller.user.principal(), id).await?;
    let device = state
        .store
        .device(institution.id, device_id.get())
        .await?
        .ok_or(AppError::not_found())?;
    let flags = flags_of(&state, &device.device, service::today_in_japan());
    Ok(Json(device_json(&device, &flags)))
}

/// Adds a device (the institution's admin, the national office). The body's keys are the
/// ledger's column keys (`asset_number`, `kind`, `maker`, `model`, `os`, `software`,
/// `software_version`, `firmware_version`, `ip_address`, `computer_name`, `location`, `user`,
/// `registered_on`, `status`, `description`, `serial_number`, `remote_maintenance`,
/// `maintenance_vendor`, `remote_access`, `security_updates_in_contract`, `last_patched_on`,
/// `always_on_connection`, `weak_or_reused_password`); values are read as ledger cells.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/devices", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 201, body = DeviceJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "refused cells: the body also lists them in rejected")))]
pub async fn create_device(
    State(state): State<AppState>,
    Opening(caller, _, institution): Administered,
    crate::http::api::ApiJson(body): crate::http::api::ApiJson<serde_json::Map<String, Value>>,
) -> ApiResult<Response> {
    save_device(&state, caller.user.id, institution.id, None, &body).await
}

/// Adds a device (`device_id` none: 201) or replaces one (200) from an API body, and answers
/// with the device as stored; refused cells are answered with their list.
async fn save_device(
    state: &AppState,
    actor: i64,
    institution_id: i64,
    device_id: Option<i64>,
    body: &serde_json::Map<String, Value>,
) -> ApiResult<Response> {
    let cells = cells_from_json(body)?;
    let device = match device_from_cells(&cells) {
        Ok(d) => d,
        Err(errors) => return Ok(rejected_device(&errors)),
    };
    let saved = store_device(state, institution_id, device_id, &device, actor).await?;
    let stored = state
        .store
        .device(institution_id, saved)
        .await?
        .ok_or(AppError::not_found())?;
    let flags = flags_of(state, &stored.device, service::today_in_japan());
    let status = match device_id {
        None => StatusCode::CREATED,
        Some(_) => StatusCode::OK,
    };
    Ok((status, Json(device_json(&stored, &flags))).into_response())
}

/// Adds the device (`device_id` none) or replaces the row of one; answers its id.
pub async fn store_device(
    state: &AppState,
    institution_id: i64,
    device_id: Option<i64>,
    device: &Device,
    actor: i64,
) -> Result<i64, mamori_store::StoreError> {
    match device_id {
        None => {
            state
                .store
                .create_device(institution_id, device, actor)
                .await
        }
        Some(id) => state
            .store
            .update_device(institution_id, id, device, actor)
            .await
            .map(|()| id),
    }
}

/// Replaces a device's row (the institution's admin, the national office); the body as for
/// adding a device, or the device as `GET` gives it (`software` as `{name, version}`
/// objects, `dhcp`; `id`, `updated_at` and `flags` are ignored). Columns left out are blank.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/devices/{device_id}", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), ("device_id" = i64, Path)), request_body = Object,
    responses((status = 200, body = DeviceJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "refused cells: the body also lists them in rejected")))]
pub async fn put_device(
    State(state): State<AppState>,
    Opening(caller, _, institution): Administered,
    Ids((_, device_id)): Ids<(InstitutionId, DeviceId)>,
    crate::http::api::ApiJson(body): crate::http::api::ApiJson<serde_json::Map<String, Value>>,
) -> ApiResult<Response> {
    let device_id = Some(device_id.get());
    save_device(&state, caller.user.id, institution.id, device_id, &body).await
}

/// Marks a device 廃棄 (retired); it stays in the ledger.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/devices/{device_id}/retire", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), ("device_id" = i64, Path)),
    responses((status = 200, body = DeviceJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retire_device(
    State(state): State<AppState>,
    Opening(caller, _, institution): Administered,
    Ids((_, device_id)): Ids<(InstitutionId, DeviceId)>,
) -> ApiResult<Json<DeviceJson>> {
    let device_id = device_id.get();
    state
        .store
        .retire_device(institution.id, device_id, caller.user.id)
        .await?;
    let stored = state
        .store
        .device(institution.id, device_id)
        .await?
        .ok_or(AppError::not_found())?;
    Ok(Json(device_json(&stored, &[])))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true` stores the import (all or nothing); otherwise only the preview is given.
    commit: Option<String>,
}

/// Imports a ledger file: the body is the file, `Content-Type: text/csv` (UTF-8 or Shift_JIS,
/// detected) or the .xlsx type. Without `commit=true` nothing is stored and the answer is the
/// preview; with it, everything is stored, or nothing (422 with the same list) when any row
/// is rejected. Headers as in the manual (管理番号, 種別, メーカー, 機種, OS, ソフトウェア, …)
/// or in English, in any order. Files up to 20 MB.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/devices/import", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "the ledger file (.csv or .xlsx)"),
    responses((status = 200, body = ImportJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody, description = "the file cannot be read, or (with commit=true) rows are rejected: then the body also has the fields of the preview, with every rejected row"), (status = 429, body = ErrorBody, description = "other imports are being read: try again after Retry-After seconds")))]
pub async fn import_devices(
    State(state): State<AppState>,
    Opening(caller, _, institution): Administered,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> ApiResult<Response> {
    let commit_it = match q.commit.as_deref().map(str::trim) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidCommit,
                Message::new("errors-invalid-commit").with("other", other),
            )
            .into());
        }
    };
    // The place is taken before the body is read: a waiting upload holds no bytes.
    let _import = match crate::http::uploads::api_import_permit(&state) {
        Ok(permit) => permit,
        Err(busy) => return Ok(*busy),
    };
    let content_type = crate::http::multipart::content_type_of(request.headers());
    let bytes = read_body(request.into_body()).await?;
    let p = preview(&state, institution.id, bytes, content_type).await?;
    if !commit_it {
        return Ok(Json(import_json(&p, false)).into_response());
    }
    if !p.parsed.is_clean() {
        let mut refused = import_json(&p, false);
        let n = refused.rejected.len() + refused.omitted_errors;
        let refusal = AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RowsRejected,
            Message::new("errors-rows-rejected").with("n", n),
        );
        refused.error = Some(refusal.detail());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(refused)).into_response());
    }
    let counts = commit(&state, institution.id, p.devices, caller.user.id).await?;
    Ok(Json(ImportJson {
        added: counts.added,
        changed: counts.changed,
        unchanged: counts.unchanged,
        rejected: Vec::new(),
        omitted_errors: 0,
        committed: true,
        error: None,
    })
    .into_response())
}

/// The whole body, up to [`IMPORT_LIMIT`].
pub async fn read_body(body: Body) -> Result<Vec<u8>, AppError> {
    match axum::body::to_bytes(body, IMPORT_LIMIT).await {
        Ok(b) => Ok(b.to_vec()),
        Err(_) => Err(too_large_error()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `utf-8` (default, with a BOM) or `shift_jis` (CP932, as Excel in Japan reads it).
    encoding: Option<String>,
}

/// The ledger as an Excel workbook, in the layout the import reads.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/devices/export.xlsx", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<InstitutionId>,
) -> ApiResult<Response> {
    let institution = readable_ledger(&state, &caller.user.principal(), id).await?;
    let devices = state.store.devices(institution.id).await?;
    Ok(export(devices, ExportFormat::Xlsx, &institution.id.to_string()).await?)
}

/// The ledger as CSV, in the layout the import reads.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/devices/export.csv", tag = "ledger", security(("bearer" = [])),
    params(("id" = i64, Path), ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<InstitutionId>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let encoding = csv_encoding(q.encoding.as_deref())?;
    let institution = readable_ledger(&state, &caller.user.principal(), id).await?;
    let devices = state.store.devices(institution.id).await?;
    Ok(export(
        devices,
        ExportFormat::Csv(encoding),
        &institution.id.to_string(),
    )
    .await?)
}

#[derive(Serialize, ToSchema)]
pub struct LicenseJson {
    pub dataset: String,
    pub publisher: String,
    pub license: String,
    pub url: String,
}

/// The datasets behind the flags: versions, counts and licenses.
#[derive(Serialize, ToSchema)]
pub struct DatasetsJson {
    pub kev_version: String,
    pub kev_released: Option<String>,
    pub kev_count: usize,
    pub endoflife_snapshot: String,
    pub endoflife_products_count: usize,
    pub product_aliases_count: usize,
    pub vpn_fixed_versions_count: usize,
    pub japan_network_lifecycle_count: usize,
    pub curated_compiled: String,
    pub licenses: Vec<LicenseJson>,
}

/// The versions, counts and licenses of the datasets the server loaded.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = DatasetsJson), (status = 401, body = ErrorBody)))]
pub async fn datasets(State(state): State<AppState>, _caller: ApiUser) -> Json<DatasetsJson> {
    let i = &state.ledger.info;
    Json(DatasetsJson {
        kev_version: i.kev_version.clone(),
        kev_released: i.kev_released.clone(),
        kev_count: i.kev_count,
        endoflife_snapshot: i.endoflife_snapshot.clone(),
        endoflife_products_count: i.endoflife_products_count,
        product_aliases_count: i.aliases_count,
        vpn_fixed_versions_count: i.fixed_versions_count,
        japan_network_lifecycle_count: i.lifecycles_count,
        curated_compiled: i.curated_compiled.clone(),
        licenses: i
            .licenses
            .iter()
            .map(|l| LicenseJson {
                dataset: l.dataset.clone(),
                publisher: l.publisher.clone(),
                license: l.license.clone(),
                url: l.url.clone(),
            })
            .collect(),
    })
}
