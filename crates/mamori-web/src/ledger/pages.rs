//! The ledger's pages (機器台帳): the list with each device's flags, the forms to add, edit
//! and retire a device, the import (upload → preview → confirm, the file kept server-side
//! under a one-time token), the exports, and the datasets page.

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use mamori_domain::Principal;
use mamori_domain::device::{
    Device, DeviceKind, DeviceStatus, LedgerColumn, RemoteAccess, RowError,
};
use mamori_domain::device_risk::{Flag, FlagSeverity};
use mamori_store::{Institution, LedgerUpload, StoredDevice};
use serde::Deserialize;

use crate::http::auth::{self, WebUser};
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::Lang;
use crate::http::i18n::Message;
use crate::http::ids::{DeviceId, Ids, InstitutionId};
use crate::http::page::{AdministeredPage, PageOpening, SignedIn};
use crate::http::page::{Chrome, PageCtx, PageError, PageResult, redirect, render};
use crate::ledger::api::{self as ledger, ExportFormat, FlagSummary};
use crate::{AppState, Routes, http::multipart};
use mamori_app as service;

/// The preview names at most this many added and changed devices.
const ASSETS_SHOWN: usize = 100;

/// How long an uploaded file waits for its confirmation.
const UPLOAD_TTL_MINUTES: i64 = 30;

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/ledger", ledger_page)
        .post("/institutions/{id}/ledger", create_device)
        .get("/institutions/{id}/ledger/new", new_device)
        .get("/institutions/{id}/ledger/export.xlsx", export_xlsx)
        .get("/institutions/{id}/ledger/export.csv", export_csv)
        .get("/institutions/{id}/ledger/import", import_page)
        .post("/institutions/{id}/ledger/import", import_upload)
        .post("/institutions/{id}/ledger/import/confirm", import_confirm)
        .get("/institutions/{id}/ledger/{device_id}/edit", edit_device)
        .post("/institutions/{id}/ledger/{device_id}", update_device)
        .post(
            "/institutions/{id}/ledger/{device_id}/retire",
            retire_device,
        )
        .get("/datasets", datasets_page)
}

// ----- what the templates show -------------------------------------------------------------

pub struct FlagView {
    pub code: String,
    pub severity: String,
    pub severity_label: String,
    pub message: String,
    pub evidence: String,
}

fn severity_label(lang: Lang, severity: &str) -> String {
    lang.t(&format!("flag-severity-{severity}"))
}

pub fn flag_view(lang: Lang, f: &Flag) -> FlagView {
    FlagView {
        code: f.code.as_str().to_owned(),
        severity: f.severity.as_str().to_owned(),
        severity_label: severity_label(lang, f.severity.as_str()),
        message: f.message.render(lang),
        evidence: f.evidence.clone(),
    }
}

pub struct DeviceRow {
    pub id: i64,
    pub asset_number: String,
    pub kind: String,
    pub maker_model: String,
    pub os: String,
    pub software: String,
    pub location: String,
    pub status: String,
    pub retired: bool,
    pub remote: String,
    pub flags: Vec<FlagView>,
    /// The most severe flag's severity, for the row's colour.
    pub worst: String,
}

fn device_row(lang: Lang, s: &StoredDevice, flags: &[Flag]) -> DeviceRow {
    let d = &s.device;
    let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
        (false, false) => format!("{a} {b}"),
        (false, true) => a.to_owned(),
        (true, false) => b.to_owned(),
        (true, true) => String::new(),
    };
    let os = match &d.firmware_version {
        Some(v) if d.os.is_empty() => format!("FW {v}"),
        Some(v) => format!("{} · FW {v}", d.os),
        None => d.os.clone(),
    };
    let software = d
        .software
        .iter()
        .map(|s| match &s.version {
            Some(v) => format!("{} {v}", s.name),
            None => s.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(" / ");
    let remote = if d.remote_maintenance {
        let how = d
            .remote_access
            .map(|r| lang.pick(r.label_ja(), r.label_en()).to_owned())
            .unwrap_or_default();
        join(
            &join(&lang.t("ledger-remote-yes"), &d.maintenance_vendor),
            &how,
        )
    } else {
        String::new()
    };
    DeviceRow {
        id: s.id,
        asset_number: d.asset_number.as_str().to_owned(),
        kind: d
            .kind
            .map(|k| lang.pick(k.label_ja(), k.label_en()).to_owned())
            .unwrap_or_else(|| "—".to_owned()),
        maker_model: join(&d.maker, &d.model),
        os,
        software,
        location: d.location.clone(),
        status: lang
            .pick(d.status.label_ja(), d.status.label_en())
            .to_owned(),
        retired: d.status == DeviceStatus::Retired,
        remote,
        worst: flags
            .iter()
            .map(|f| f.severity)
            .max()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        flags: flags.iter().map(|f| flag_view(lang, f)).collect(),
    }
}

/// The ledger's summary on the institution page.
pub struct LedgerSummaryView {
    pub devices: usize,
    pub in_use: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub top: Vec<(String, usize)>,
}

impl LedgerSummaryView {
    /// How many devices the ledger holds, retired ones too, as the summary says it.
    pub fn registered(&self, lang: &Lang) -> String {
        Message::new("ledger-devices-registered")
            .with("count", self.devices)
            .render(*lang)
    }
}

/// Sums up the flags of every device of the institution (`flags` by `devices`, as
/// [`ledger::ledger_flags`] gives them), naming its `top` most frequent flags.
pub fn ledger_summary(
    lang: Lang,
    devices: &[StoredDevice],
    flags: &[std::sync::Arc<[Flag]>],
    top: usize,
) -> LedgerSummaryView {
    let s: FlagSummary = ledger::summarize(
        devices
            .iter()
            .zip(flags.iter())
            .map(|(d, f)| (&d.device, &f[..])),
    );
    LedgerSummaryView {
        devices: s.devices,
        in_use: s.in_use,
        high: s.high,
        medium: s.medium,
        low: s.low,
        info: s.info,
        top: s
            .by_code
            .into_iter()
            .take(top)
            .map(|(code, n)| (lang.t(&format!("flag-{code}")), n))
            .collect(),
    }
}

/// The ledger's evidence beside a checklist item, with the answer it suggests.
#[derive(Debug, Clone)]
pub struct EvidenceView {
    pub message: String,
    /// `yes`, `no`, or empty when the ledger cannot tell.
    pub suggested: String,
    pub suggested_label: String,
}

/// The evidence for every item of the assessment the ledger speaks about, by item key.
pub async fn checklist_evidence(
    state: &AppState,
    lang: Lang,
    a: &service::Assessment<'_>,
    has_devices: bool,
) -> Result<std::collections::HashMap<String, EvidenceView>, AppError> {
    use mamori_domain::ledger_evidence::{LEDGER_ROLES, evidence};
    let mut out = std::collections::HashMap::new();
    if !a
        .items
        .iter()
        .any(|i| i.item.role.is_some_and(|r| LEDGER_ROLES.contains(&r)))
    {
        return Ok(out);
    }
    // An empty ledger needs no read: the evidence then says that it lists nothing.
    let devices = if has_devices {
        state.store.devices(a.institution.id).await?
    } else {
        Vec::new()
    };
    let today = service::today_in_japan();
    let flags = ledger::ledger_flags(state, a.institution.id, &devices, today);
    let pairs: Vec<(&Device, &[Flag])> = devices
        .iter()
        .zip(flags.iter())
        .map(|(d, f)| (&d.device, &f[..]))
        .collect();
    for item in &a.items {
        let Some(role) = item.item.role else {
            continue;
        };
        if let Some(e) = evidence(role, item.item.scope, &pairs) {
            let suggested = e
                .suggested
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            let suggested_label = match e.suggested {
                Some(mamori_domain::Answer::Yes) => lang.t("answer-yes"),
                Some(mamori_domain::Answer::No) => lang.t("answer-no"),
                None => lang.t("ledger-evidence-unsure"),
            };
            out.insert(
                item.item.key.clone(),
                EvidenceView {
                    message: e.message.render(lang),
                    suggested,
                    suggested_label,
                },
            );
        }
    }
    Ok(out)
}

// ----- the list ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    id: i64,
    name: String,
    rows: Vec<DeviceRow>,
    summary: LedgerSummaryView,
    can_edit: bool,
    show_retired: bool,
    retired_hidden: usize,
    notice: Option<String>,
    stale_days: u32,
    page: usize,
    pages: usize,
    shown: usize,
    /// The query string of the other pages' links, without the page number.
    page_query: String,
}

impl LedgerPage {
    /// How many devices the list shows over all its pages.
    fn shown_text(&self) -> String {
        Message::new("ledger-devices-shown")
            .with("count", self.shown)
            .render(self.chrome.lang)
    }
}

/// Devices per page of the ledger: a large hospital's ledger is read a page at a time,
/// the devices that need the most attention first.
const PAGE_SIZE: usize = 200;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LedgerQuery {
    retired: Option<String>,
    page: Option<String>,
    imported: Option<String>,
}

async fn readable(
    state: &AppState,
    principal: &Principal,
    id: InstitutionId,
) -> Result<Institution, crate::http::page::PageError> {
    ledger::readable_ledger(state, principal, id)
        .await
        .map_err(PageError::from)
}

async fn ledger_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(id): Ids<InstitutionId>,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = readable(&state, &principal, id).await?;
    let (devices, flags) = ledger::flagged_devices(&state, institution.id).await?;
    let show_retired = q.retired.as_deref() == Some("1");
    let summary = ledger_summary(lang, &devices, &flags, 0);
    // Devices that need the most attention first, then by asset number. Only the rows of
    // the page shown are built: a large ledger's other rows would be made and dropped.
    let rank = |f: &[Flag]| match f.iter().map(|f| f.severity).max() {
        Some(FlagSeverity::High) => 0,
        Some(FlagSeverity::Medium) => 1,
        Some(FlagSeverity::Low) => 2,
        Some(FlagSeverity::Info) => 3,
        None => 4,
    };
    let mut order: Vec<(u8, &StoredDevice, &[Flag])> = devices
        .iter()
        .zip(flags.iter())
        .filter(|(s, _)| show_retired || s.device.status != DeviceStatus::Retired)
        .map(|(s, f)| (rank(f), s, &f[..]))
        .collect();
    let retired_hidden = devices.len() - order.len();
    order.sort_by(|a, b| {
        a.0.cmp(&b.0).then(
            a.1.device
                .asset_number
                .as_str()
                .cmp(b.1.device.asset_number.as_str()),
        )
    });
    let shown = order.len();
    let pages = shown.div_ceil(PAGE_SIZE).max(1);
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let rows: Vec<DeviceRow> = order
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|(_, s, f)| device_row(lang, s, f))
        .collect();
    let notice = q.imported.as_deref().and_then(|text| {
        // Only numbers are repeated from the address.
        let (added, changed) = text.split_once('-')?;
        let (added, changed) = (added.parse::<usize>().ok()?, changed.parse::<usize>().ok()?);
        Some(
            lang.t("ledger-imported")
                .replace("%added%", &added.to_string())
                .replace("%changed%", &changed.to_string()),
        )
    });
    let page = LedgerPage {
        chrome: Chrome::new(
            &ctx,
            Some(&user),
            format!("{} — {}", lang.t("ledger-title"), institution.name),
        ),
        id: institution.id,
        name: institution.name.clone(),
        rows,
        summary,
        can_edit: principal.can_administer(institution.id),
        show_retired,
        retired_hidden,
        notice,
        stale_days: state.config.stale_patch_days,
        page,
        pages,
        shown,
        page_query: if show_retired {
            "retired=1&".to_owned()
        } else {
            String::new()
        },
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- the device form -----------------------------------------------------------------------

/// The form's fields: one text per ledger column, keyed as the column.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DeviceForm {
    asset_number: String,
    kind: String,
    maker: String,
    model: String,
    os: String,
    software: String,
    software_version: String,
    firmware_version: String,
    ip_address: String,
    computer_name: String,
    location: String,
    user: String,
    registered_on: String,
    status: String,
    description: String,
    serial_number: String,
    remote_maintenance: String,
    maintenance_vendor: String,
    remote_access: String,
    security_updates_in_contract: String,
    last_patched_on: String,
    always_on_connection: String,
    weak_or_reused_password: String,
}

impl DeviceForm {
    fn from_device(d: &Device) -> Self {
        let yes_no = |v: Option<bool>| match v {
            Some(true) => "yes".to_owned(),
            Some(false) => "no".to_owned(),
            None => String::new(),
        };
        Self {
            asset_number: d.cell(LedgerColumn::AssetNumber),
            kind: d.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            maker: d.maker.clone(),
            model: d.model.clone(),
            os: d.os.clone(),
            software: d.cell(LedgerColumn::Software),
            software_version: d.cell(LedgerColumn::SoftwareVersion),
            firmware_version: d.cell(LedgerColumn::FirmwareVersion),
            ip_address: d.cell(LedgerColumn::IpAddress),
            computer_name: d.computer_name.clone(),
            location: d.location.clone(),
            user: d.user.clone(),
            registered_on: d.cell(LedgerColumn::RegisteredOn),
            status: d.status.as_str().to_owned(),
            description: d.description.clone(),
            serial_number: d.serial_number.clone(),
            remote_maintenance: yes_no(Some(d.remote_maintenance)),
            maintenance_vendor: d.maintenance_vendor.clone(),
            remote_access: d
                .remote_access
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            security_updates_in_contract: yes_no(d.security_updates_in_contract),
            last_patched_on: d.cell(LedgerColumn::LastPatchedOn),
            always_on_connection: yes_no(d.always_on_connection),
            weak_or_reused_password: yes_no(d.weak_or_reused_password),
        }
    }

    fn cells(&self) -> Vec<(LedgerColumn, String)> {
        use LedgerColumn as C;
        // Browsers send line breaks in a textarea as CR LF.
        let text = |s: &str| s.replace("\r\n", "\n");
        vec![
            (C::AssetNumber, text(&self.asset_number)),
            (C::Kind, text(&self.kind)),
            (C::Maker, text(&self.maker)),
            (C::Model, text(&self.model)),
            (C::Os, text(&self.os)),
            (C::Software, text(&self.software)),
            (C::SoftwareVersion, text(&self.software_version)),
            (C::FirmwareVersion, text(&self.firmware_version)),
            (C::IpAddress, text(&self.ip_address)),
            (C::ComputerName, text(&self.computer_name)),
            (C::Location, text(&self.location)),
            (C::User, text(&self.user)),
            (C::RegisteredOn, text(&self.registered_on)),
            (C::Status, text(&self.status)),
            (C::Description, text(&self.description)),
            (C::SerialNumber, text(&self.serial_number)),
            (C::RemoteMaintenance, text(&self.remote_maintenance)),
            (C::MaintenanceVendor, text(&self.maintenance_vendor)),
            (C::RemoteAccess, text(&self.remote_access)),
            (
                C::SecurityUpdatesInContract,
                text(&self.security_updates_in_contract),
            ),
            (C::LastPatchedOn, text(&self.last_patched_on)),
            (C::AlwaysOnConnection, text(&self.always_on_connection)),
            (C::WeakOrReusedPassword, text(&self.weak_or_reused_password)),
        ]
    }
}

#[derive(Template)]
#[template(path = "device_form.html")]
struct DeviceFormPage {
    chrome: Chrome,
    id: i64,
    name: String,
    heading: String,
    action: String,
    v: DeviceForm,
    kinds: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    accesses: Vec<(String, String)>,
    errors: Vec<String>,
}

fn choices<T: Copy>(
    lang: Lang,
    all: &[T],
    key: impl Fn(T) -> &'static str,
    ja: impl Fn(T) -> &'static str,
    en: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|&v| (key(v).to_owned(), lang.pick(ja(v), en(v)).to_owned()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn device_form_page(
    ctx: &PageCtx,
    user: &WebUser,
    institution: &Institution,
    device_id: Option<i64>,
    v: DeviceForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let heading = match device_id {
        Some(_) => lang.t("ledger-edit-device"),
        None => lang.t("ledger-add-device"),
    };
    let action = match device_id {
        Some(d) => format!("/institutions/{}/ledger/{d}", institution.id),
        None => format!("/institutions/{}/ledger", institution.id),
    };
    let page = DeviceFormPage {
        chrome: Chrome::new(ctx, Some(user), heading.clone()),
        id: institution.id,
        name: institution.name.clone(),
        heading,
        action,
        v,
        kinds: choices(
            lang,
            DeviceKind::ALL,
            DeviceKind::as_str,
            DeviceKind::label_ja,
            DeviceKind::label_en,
        ),
        statuses: choices(
            lang,
            DeviceStatus::ALL,
            DeviceStatus::as_str,
            DeviceStatus::label_ja,
            DeviceStatus::label_en,
        ),
        accesses: choices(
            lang,
            RemoteAccess::ALL,
            RemoteAccess::as_str,
            RemoteAccess::label_ja,
            RemoteAccess::label_en,
        ),
        errors,
    };
    render(status, &page)
}

fn row_error_text(lang: Lang, e: &RowError) -> String {
    format!("{}: {}", e.column, &e.message.render(lang))
}

async fn new_device(PageOpening(ctx, user, _, institution): AdministeredPage) -> PageResult {
    let v = DeviceForm {
        status: DeviceStatus::Active.as_str().to_owned(),
        remote_maintenance: "no".to_owned(),
        ..DeviceForm::default()
    };
    Ok(device_form_page(
        &ctx,
        &user,
        &institution,
        None,
        v,
        Vec::new(),
        StatusCode::OK,
    ))
}

async fn create_device(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Form(form): Form<DeviceForm>,
) -> PageResult {
    save_device(&state, &ctx, &user, &institution, None, form).await
}

/// Adds a device (`device_id` none) or changes one from the form; a refused form is shown
/// again with what is wrong.
async fn save_device(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    institution: &Institution,
    device_id: Option<i64>,
    form: DeviceForm,
) -> PageResult {
    let lang = ctx.lang;
    let device = match ledger::device_from_cells(&form.cells()) {
        Ok(d) => d,
        Err(errors) => {
            let errors = errors.iter().map(|e| row_error_text(lang, e)).collect();
            return Ok(device_form_page(
                ctx,
                user,
                institution,
                device_id,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let saved = ledger::store_device(state, institution.id, device_id, &device, user.user().id);
    match saved.await {
        Ok(_) => Ok(redirect(&format!(
            "/institutions/{}/ledger",
            institution.id
        ))),
        Err(mamori_store::StoreError::Conflict(asset)) => {
            let message = lang.t("ledger-asset-taken").replace("%asset%", &asset);
            Ok(device_form_page(
                ctx,
                user,
                institution,
                device_id,
                form,
                vec![message],
                StatusCode::CONFLICT,
            ))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

async fn edit_device(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Ids((_, device_id)): Ids<(InstitutionId, DeviceId)>,
) -> PageResult {
    let device_id = device_id.get();
    let stored = state
        .store
        .device(institution.id, device_id)
        .await?
        .ok_or_else(|| PageError::from(AppError::not_found()))?;
    Ok(device_form_page(
        &ctx,
        &user,
        &institution,
        Some(device_id),
        DeviceForm::from_device(&stored.device),
        Vec::new(),
        StatusCode::OK,
    ))
}

async fn update_device(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Ids((_, device_id)): Ids<(InstitutionId, DeviceId)>,
    Form(form): Form<DeviceForm>,
) -> PageResult {
    let device_id = Some(device_id.get());
    save_device(&state, &ctx, &user, &institution, device_id, form).await
}

async fn retire_device(
    State(state): State<AppState>,
    PageOpening(_, user, _, institution): AdministeredPage,
    Ids((_, device_id)): Ids<(InstitutionId, DeviceId)>,
) -> PageResult {
    let device_id = device_id.get();
    state
        .store
        .retire_device(institution.id, device_id, user.user().id)
        .await?;
    Ok(redirect(&format!(
        "/institutions/{}/ledger",
        institution.id
    )))
}

// ----- exports -------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ExportQuery {
    encoding: Option<String>,
}

async fn export_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Ids(id): Ids<InstitutionId>,
) -> PageResult {
    let institution = readable(&state, &user.user().principal(), id).await?;
    let devices = state.store.devices(institution.id).await?;
    ledger::export(devices, ExportFormat::Xlsx, &institution.id.to_string())
        .await
        .map_err(PageError::from)
}

async fn export_csv(
    State(state): State<AppState>,
    user: WebUser,
    Ids(id): Ids<InstitutionId>,
    Query(q): Query<ExportQuery>,
) -> PageResult {
    let institution = readable(&state, &user.user().principal(), id).await?;
    let encoding = ledger::csv_encoding(q.encoding.as_deref())?;
    let devices = state.store.devices(institution.id).await?;
    ledger::export(
        devices,
        ExportFormat::Csv(encoding),
        &institution.id.to_string(),
    )
    .await
    .map_err(PageError::from)
}

// ----- import --------------------------------------------------------------------------------

pub struct RejectedRow {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "ledger_import.html")]
struct ImportPage {
    chrome: Chrome,
    id: i64,
    name: String,
    error: Option<String>,
    file_name: String,
    /// Set when a file was read: what it would do.
    previewed: bool,
    added: usize,
    changed: usize,
    unchanged: usize,
    rejected: Vec<RejectedRow>,
    omitted: usize,
    /// The first asset numbers added and changed (the counts above give the totals).
    added_assets: Vec<String>,
    changed_assets: Vec<String>,
    /// The one-time token of a clean upload, to confirm it.
    token: Option<String>,
    limit_mb: usize,
}

impl ImportPage {
    fn new(ctx: &PageCtx, user: &WebUser, institution: &Institution) -> Self {
        Self {
            chrome: Chrome::new(ctx, Some(user), ctx.lang.t("ledger-import-title")),
            id: institution.id,
            name: institution.name.clone(),
            error: None,
            file_name: String::new(),
            previewed: false,
            added: 0,
            changed: 0,
            unchanged: 0,
            rejected: Vec::new(),
            omitted: 0,
            added_assets: Vec::new(),
            changed_assets: Vec::new(),
            token: None,
            limit_mb: ledger::IMPORT_LIMIT / (1024 * 1024),
        }
    }
}

async fn import_page(PageOpening(ctx, user, _, institution): AdministeredPage) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &ImportPage::new(&ctx, &user, &institution),
    ))
}

fn upload_error(lang: Lang, e: &AppError) -> String {
    let d = e.detail();
    lang.pick(&d.message_ja, &d.message_en).to_owned()
}

/// The file of an upload form, from a multipart body. A form sent without a file (or
/// urlencoded) is answered with what to do.
async fn read_upload(
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Option<String>, Vec<u8>), AppError> {
    let content_type = multipart::content_type_of(headers).unwrap_or_default();
    let bytes = ledger::read_body(body).await?;
    let no_file = || {
        AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::FileRequired,
            Message::new("errors-file-required"),
        )
    };
    if multipart::boundary(&content_type).is_none() {
        // A plain form has no file.
        return Err(no_file());
    }
    let parts = multipart::parse(&content_type, &bytes).await.map_err(|_| {
        AppError::rejected(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedUpload,
            Message::new("errors-malformed-upload-file"),
        )
    })?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "file" && !p.data.is_empty())
        .ok_or_else(no_file)?;
    Ok((
        file.file_name.unwrap_or_default(),
        file.content_type,
        file.data,
    ))
}

/// The content type to read a file by: the one the browser gave, else from its name.
fn file_content_type(file_name: &str, given: Option<String>) -> Option<String> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xlsx") {
        Some(ledger::XLSX_CONTENT_TYPE.to_owned())
    } else if lower.ends_with(".csv") {
        Some("text/csv".to_owned())
    } else {
        given
    }
}

async fn import_upload(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    request: Request,
) -> PageResult {
    let lang = ctx.lang;
    let (parts, body) = request.into_parts();
    let mut page = ImportPage::new(&ctx, &user, &institution);
    // The place is taken before the upload is read: a waiting upload holds no bytes.
    let _import = match crate::http::uploads::import_permit(&state) {
        Ok(permit) => permit,
        Err(e) => {
            page.error = Some(upload_error(lang, &e));
            return Ok(crate::http::uploads::retry_later(render(e.status(), &page)));
        }
    };
    let (file_name, given_type, bytes) = match read_upload(&parts.headers, body).await {
        Ok(upload) => upload,
        Err(e) if e.status() == StatusCode::FORBIDDEN => return Err(PageError::from(e)),
        Err(e) => {
            page.error = Some(upload_error(lang, &e));
            return Ok(render(e.status(), &page));
        }
    };
    let content_type = file_content_type(&file_name, given_type);
    page.file_name = file_name.clone();
    let preview =
        match ledger::preview(&state, institution.id, bytes.clone(), content_type.clone()).await {
            Ok(p) => p,
            Err(e) if e.status().is_client_error() => {
                page.error = Some(upload_error(lang, &e));
                return Ok(render(e.status(), &page));
            }
            Err(e) => return Err(PageError::from(e)),
        };
    page.previewed = true;
    page.added = preview.counts.added;
    page.changed = preview.counts.changed;
    page.unchanged = preview.counts.unchanged;
    page.omitted = preview.parsed.omitted_errors;
    page.added_assets = preview.added.iter().take(ASSETS_SHOWN).cloned().collect();
    page.changed_assets = preview.changed.iter().take(ASSETS_SHOWN).cloned().collect();
    page.rejected = preview
        .parsed
        .rejected
        .iter()
        .map(|e| RejectedRow {
            row: e.row,
            column: e.column.clone(),
            reason: e.message.render(lang),
        })
        .collect();
    if !preview.parsed.is_clean() {
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    // The file waits server-side; the browser holds only a random token for it.
    let token = auth::new_token();
    state
        .store
        .save_ledger_upload(
            &auth::token_hash(&token),
            &LedgerUpload {
                institution_id: institution.id,
                user_id: user.user().id,
                content_type: content_type.unwrap_or_default(),
                file_name,
                body: bytes,
            },
            Utc::now() + chrono::Duration::minutes(UPLOAD_TTL_MINUTES),
        )
        .await?;
    page.token = Some(token);
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    token: String,
}

async fn import_confirm(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Form(form): Form<ConfirmForm>,
) -> PageResult {
    let lang = ctx.lang;
    let token_hash = auth::token_hash(&form.token);
    let upload = state
        .store
        .ledger_upload(&token_hash, institution.id, user.user().id)
        .await?;
    let mut page = ImportPage::new(&ctx, &user, &institution);
    let Some(upload) = upload.filter(|_| !form.token.is_empty()) else {
        page.error = Some(lang.t("ledger-upload-expired"));
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let _import = match crate::http::uploads::import_permit(&state) {
        Ok(permit) => permit,
        Err(e) => {
            page.error = Some(upload_error(lang, &e));
            return Ok(crate::http::uploads::retry_later(render(e.status(), &page)));
        }
    };
    // Read again: the ledger may have changed since the preview.
    let parsed = match ledger::parse_file(upload.body, Some(upload.content_type)).await {
        Ok(p) if p.is_clean() => p,
        Ok(_) | Err(_) => {
            page.error = Some(lang.t("ledger-upload-expired"));
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let devices = parsed.devices.into_iter().map(|(_, d)| d).collect();
    let counts = ledger::commit(&state, institution.id, devices, user.user().id).await?;
    state.store.delete_ledger_upload(&token_hash).await?;
    Ok(redirect(&format!(
        "/institutions/{}/ledger?imported={}-{}",
        institution.id, counts.added, counts.changed
    )))
}

// ----- datasets ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "datasets.html")]
struct DatasetsPage {
    chrome: Chrome,
    info: ledger::DatasetsInfo,
    stale_days: u32,
}

async fn datasets_page(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    let page = DatasetsPage {
        chrome: Chrome::new(&ctx, Some(&user), ctx.lang.t("datasets-title")),
        info: state.ledger.info.clone(),
        stale_days: state.config.stale_patch_days,
    };
    render(StatusCode::OK, &page).into_response()
}
