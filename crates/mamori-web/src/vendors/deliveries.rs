//! MDS/SDS deliveries (製造業者/サービス事業者による医療情報セキュリティ開示書): the vendor's
//! user records, per contract, the date it handed the document to the institution and the
//! file (PDF or .xlsx, as JAHIS/JIRA publish the form); the institution reads the list and
//! downloads the files. They are the evidence for checklist item 2(3).
//!
//! Access follows the vendor form: the serving vendor writes; those who see the institution
//! and the serving vendor read; everyone else gets 404.

use axum::Json;

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use mamori_domain::Principal;
use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::field_problem::{clean_file_name, required_past_date};
use mamori_domain::vendor::DeliveryKind;
use mamori_store::{Delivery, Institution, MAX_DELIVERY_BYTES, StoredContract};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use crate::http::ids::{ContractId, DeliveryId, Ids};
use crate::vendors::api::{served_contract, serves, visible_contract};
use mamori_app::{self as service, today_in_japan};

/// How much of a request body is read for an upload: more than a file may be, so that a
/// file over the limit gets its own message rather than the generic one.
pub const UPLOAD_READ_LIMIT: usize = 4 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries, add_delivery))
        .routes(routes!(delivery_file))
}

/// The kinds of file kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Xlsx,
}

impl FileKind {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Xlsx => crate::ledger::api::XLSX_CONTENT_TYPE,
        }
    }

    /// What the bytes seem to be: a PDF starts with `%PDF-` (and must then parse, see
    /// [`parses_as_pdf`]); an .xlsx is a ZIP archive whose entries (names stored
    /// uncompressed) include the workbook part.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04")
            && bytes
                .windows(b"xl/workbook".len())
                .any(|w| w == b"xl/workbook")
        {
            Some(Self::Xlsx)
        } else {
            None
        }
    }

    fn of_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".pdf") {
            Some(Self::Pdf)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
        }
    }
}

/// The longest file name kept (characters).
const FILE_NAME_MAX: usize = 200;

/// A delivery as sent, before it is checked.
pub struct DeliveryUpload<'a> {
    pub kind: &'a str,
    pub delivered_on: &'a str,
    pub file_name: &'a str,
    pub bytes: Vec<u8>,
}

/// A delivery that passed every check.
#[derive(Debug)]
pub struct CheckedDelivery {
    pub kind: DeliveryKind,
    pub delivered_on: NaiveDate,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub fn too_large() -> AppError {
    AppError::rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::FileTooLarge,
        Message::new("errors-delivery-file-too-large")
            .with("megabytes", MAX_DELIVERY_BYTES / (1024 * 1024)),
    )
}

/// Checks a delivery: the fields first (every problem with its field), then the file's size
/// (413) and kind (415).
pub fn check_delivery(
    upload: DeliveryUpload<'_>,
    today: NaiveDate,
) -> Result<CheckedDelivery, AppError> {
    let mut problems = Vec::new();
    let kind = DeliveryKind::parse(upload.kind);
    if kind.is_none() {
        problems.push(FieldProblem::new(
            "kind",
            "invalid_kind",
            mamori_locale::Message::new("vendors-kind-must-be-mds-manufacturer"),
        ));
    }
    let delivered_on = required_past_date(
        "delivered_on",
        upload.delivered_on,
        today,
        "vendors-date-delivery-required",
        "vendors-delivered-on-in-future",
    )
    .map_err(|problem| problems.push(problem))
    .ok();
    let name = clean_file_name(upload.file_name);
    if name.chars().count() > FILE_NAME_MAX {
        problems.push(FieldProblem::new(
            "file_name",
            "too_long",
            Message::new("vendors-file-name-too-long").with("max", FILE_NAME_MAX),
        ));
    }
    if upload.bytes.is_empty() {
        problems.push(FieldProblem::new(
            "file",
            "file_required",
            mamori_locale::Message::new("vendors-choose-mds-sds-file-pdf"),
        ));
    }
    let (Some(kind), Some(delivered_on), true) = (kind, delivered_on, problems.is_empty()) else {
        return Err(AppError::fields(problems));
    };
    if upload.bytes.len() > MAX_DELIVERY_BYTES {
        return Err(too_large());
    }
    let wrong_type = || {
        AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedFileType,
            Message::new("errors-unsupported-file-type"),
        )
    };
    let file_kind = FileKind::sniff(&upload.bytes).ok_or_else(wrong_type)?;
    let file_name = if name.is_empty() {
        format!("{}_{delivered_on}.{}", kind.label(), file_kind.extension())
    } else {
        // The name must say what the content is, so that the download opens as it should.
        if FileKind::of_name(&name) != Some(file_kind) {
            return Err(AppError::rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::FileNameMismatch,
                Message::new("errors-file-name-mismatch")
                    .with("name", name)
                    .with("extension", file_kind.extension()),
            ));
        }
        name
    };
    Ok(CheckedDelivery {
        kind,
        delivered_on,
        file_name,
        bytes: upload.bytes,
    })
}

/// Whether the bytes load as a PDF (see [`mamori_reports::document::parses_as_pdf`]).
pub use mamori_reports::document::parses_as_pdf;

pub fn unreadable_pdf() -> AppError {
    AppError::rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnreadablePdf,
        Message::new("errors-unreadable-pdf"),
    )
}

/// Records a delivery for a contract: its serving vendor only.
pub async fn record_delivery(
    state: &AppState,
    principal: &Principal,
    contract: &StoredContract,
    institution: &Institution,
    upload: DeliveryUpload<'_>,
) -> Result<i64, AppError> {
    if !serves(state, principal, contract).await? {
        return Err(AppError::forbidden());
    }
    let mut checked = check_delivery(upload, today_in_japan())?;
    if FileKind::sniff(&checked.bytes) == Some(FileKind::Pdf) {
        let bytes = std::mem::take(&mut checked.bytes);
        let (parses, bytes) = tokio::task::spawn_blocking(move || (parses_as_pdf(&bytes), bytes))
            .await
            .map_err(|e| AppError::internal(format!("PDF check task: {e}")))?;
        if !parses {
            return Err(unreadable_pdf());
        }
        checked.bytes = bytes;
    }
    let id = state
        .store
        .add_vendor_delivery(
            contract.contract.id.0,
            institution.id,
            checked.kind.as_str(),
            checked.delivered_on,
            &checked.file_name,
            &checked.bytes,
            principal.user_id,
        )
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::Conflict(_) => too_large(),
            other => other.into(),
        })?;
    Ok(id)
}

/// A delivery's file as a download, the name kept for the browser.
pub async fn file_response(
    state: &AppState,
    principal: &Principal,
    contract: &StoredContract,
    delivery_id: DeliveryId,
) -> Result<Response, AppError> {
    let delivery_id = delivery_id.get();
    let (name, bytes) = state
        .store
        .vendor_delivery_file(contract.contract.id.0, delivery_id)
        .await?
        .ok_or(AppError::not_found())?;
    service::record_read(
        state,
        principal,
        contract.institution_id,
        &format!("mds_sds:{delivery_id}"),
    )
    .await?;
    let content_type =
        FileKind::of_name(&name).map_or("application/octet-stream", FileKind::content_type);
    Ok(crate::http::download::named_attachment(
        content_type,
        &name,
        bytes,
    ))
}

// ----- API -------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct DeliveryJson {
    pub id: i64,
    pub contract_id: i64,
    /// `mds` or `sds`.
    pub kind: String,
    /// The date the document was handed to the institution.
    pub delivered_on: String,
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    pub created_at: String,
    /// Where to download the file.
    pub file_url: String,
}

pub fn delivery_json(d: &Delivery) -> DeliveryJson {
    DeliveryJson {
        id: d.id,
        contract_id: d.contract_id,
        kind: d.kind.clone(),
        delivered_on: d.delivered_on.clone(),
        file_name: d.file_name.clone(),
        size: d.size,
        created_at: d.created_at.clone(),
        file_url: format!(
            "/api/v1/vendor/contracts/{}/deliveries/{}/file",
            d.contract_id, d.id
        ),
    }
}

/// The MDS/SDS deliveries of a contract, oldest first: for the vendor serving it and for
/// those who see the institution.
#[utoipa::path(get, path = "/api/v1/vendor/contracts/{contract_id}/deliveries", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path)),
    responses((status = 200, body = Vec<DeliveryJson>), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(contract_id): Ids<ContractId>,
) -> ApiResult<Json<Vec<DeliveryJson>>> {
    let principal = caller.user.principal();
    let (contract, _) = visible_contract(&state, &principal, contract_id).await?;
    let list = state
        .store
        .vendor_deliveries(contract.contract.id.0)
        .await?;
    Ok(Json(list.iter().map(delivery_json).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeliveryQuery {
    /// `mds` (製造業者による医療情報セキュリティ開示書) or `sds` (サービス事業者による…).
    kind: Option<String>,
    /// The date the document was handed to the institution (YYYY-MM-DD, not in the future).
    delivered_on: Option<String>,
    /// The file's name, ending in .pdf or .xlsx as its content is; left out, one is made.
    file_name: Option<String>,
}

/// Records an MDS/SDS delivery: the body is the file (PDF or .xlsx, at most 1 MB, its kind
/// read from its content); the vendor serving the contract only (403 for those who only see
/// the institution). Refusals: 422 with every field problem (kind, date, empty file), 413
/// for a file too large, 415 for a file that is neither PDF nor .xlsx.
#[utoipa::path(post, path = "/api/v1/vendor/contracts/{contract_id}/deliveries", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path), DeliveryQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the MDS/SDS file (.pdf or .xlsx)"),
    responses((status = 201, body = DeliveryJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_delivery(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(contract_id): Ids<ContractId>,
    Query(q): Query<DeliveryQuery>,
    request: Request,
) -> ApiResult<(StatusCode, Json<DeliveryJson>)> {
    let principal = caller.user.principal();
    let (contract, institution) = served_contract(&state, &principal, contract_id).await?;
    let bytes = axum::body::to_bytes(request.into_body(), UPLOAD_READ_LIMIT)
        .await
        .map_err(|_| too_large())?
        .to_vec();
    let upload = DeliveryUpload {
        kind: q.kind.as_deref().unwrap_or_default(),
        delivered_on: q.delivered_on.as_deref().unwrap_or_default(),
        file_name: q.file_name.as_deref().unwrap_or_default(),
        bytes,
    };
    let id = record_delivery(&state, &principal, &contract, &institution, upload).await?;
    let list = state
        .store
        .vendor_deliveries(contract.contract.id.0)
        .await?;
    let saved = list
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| AppError::internal("delivery not found after insert"))?;
    Ok((StatusCode::CREATED, Json(delivery_json(saved))))
}

/// The file of a delivery, as it was uploaded (`Content-Disposition: attachment`).
#[utoipa::path(get, path = "/api/v1/vendor/contracts/{contract_id}/deliveries/{delivery_id}/file", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path), ("delivery_id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>, description = "the file: application/pdf or the .xlsx type"), (status = 404, body = ErrorBody)))]
pub async fn delivery_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((contract_id, delivery_id)): Ids<(ContractId, DeliveryId)>,
) -> ApiResult<Response> {
    let principal = caller.user.principal();
    let (contract, _) = visible_contract(&state, &principal, contract_id).await?;
    Ok(file_response(&state, &principal, &contract, delivery_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn upload<'a>(kind: &'a str, on: &'a str, name: &'a str, bytes: &[u8]) -> DeliveryUpload<'a> {
        DeliveryUpload {
            kind,
            delivered_on: on,
            file_name: name,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_pdf_and_an_xlsx_are_kept_with_their_names() {
        let today = day("2025-07-01");
        let pdf = check_delivery(
            upload(
                "MDS",
                "2025-06-30",
                "C:\\fakepath\\開示書.pdf",
                b"%PDF-1.4 x",
            ),
            today,
        )
        .expect("pdf");
        assert_eq!(pdf.kind, DeliveryKind::Mds);
        assert_eq!(pdf.file_name, "開示書.pdf");
        let xlsx = check_delivery(
            upload("sds", "2025-06-30", "", b"PK\x03\x04....xl/workbook.xml"),
            today,
        )
        .expect("xlsx");
        assert_eq!(xlsx.file_name, "SDS_2025-06-30.xlsx");
    }

    #[test]
    fn fields_are_refused_together() {
        let Err(AppError::Service(mamori_app::Error::Fields(problems))) =
            check_delivery(upload("pds", "2025-13-01", "a.pdf", b""), day("2025-07-01"))
        else {
            panic!("refused with fields");
        };
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["kind", "delivered_on", "file"]);
        let Err(AppError::Service(mamori_app::Error::Fields(future))) = check_delivery(
            upload("mds", "2025-07-02", "a.pdf", b"%PDF-"),
            day("2025-07-01"),
        ) else {
            panic!("future date refused");
        };
        assert_eq!(future[0].code, "in_future");
    }

    #[test]
    fn wrong_types_and_sizes_are_refused() {
        let today = day("2025-07-01");
        let status =
            |r: Result<CheckedDelivery, AppError>| r.map(|_| ()).expect_err("refused").status();
        assert_eq!(
            status(check_delivery(
                upload(
                    "mds",
                    "2025-06-01",
                    "a.docx",
                    b"PK\x03\x04word/document.xml"
                ),
                today
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            status(check_delivery(
                upload("mds", "2025-06-01", "a.xlsx", b"%PDF-1.7"),
                today
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_DELIVERY_BYTES + 1, b' ');
        assert_eq!(
            status(check_delivery(
                DeliveryUpload {
                    kind: "mds",
                    delivered_on: "2025-06-01",
                    file_name: "a.pdf",
                    bytes: big
                },
                today
            )),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn only_pdfs_that_parse_are_pdfs() {
        assert!(parses_as_pdf(&mamori_app::demo::demo_mds_pdf()));
        assert!(!parses_as_pdf(b"%PDF-1.7"));
        assert!(!parses_as_pdf(b"%PDF-1.7\n\x00\xff garbage \x13\x37"));
        // Nesting as deep as the upload allows: refused, the stack intact.
        let mut deep = b"%PDF-1.4\n1 0 obj\n".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 500_000));
        assert!(!parses_as_pdf(&deep));
        let mut deep = mamori_app::demo::demo_mds_pdf();
        deep.extend(std::iter::repeat_n(b"<<", 300_000).flatten());
        deep.extend_from_slice(
            b"\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
        );
        let _ = parses_as_pdf(&deep);
    }
}
