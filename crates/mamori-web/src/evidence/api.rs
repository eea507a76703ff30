//! 証跡 over the API: an item's evidence (list, attach), one evidence (its versions, a new
//! version, its file, removal) and carrying the previous year's into a year.

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::evidence::{read_form, standing};
use crate::http::api::*;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::ids::{EvidenceId, Ids, InstitutionId};
use mamori_app::{self as service, today_in_japan};
use mamori_domain::evidence::DocumentKind;
use mamori_store::{EvidenceVersion, StoredEvidence};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_item_evidence, add_item_evidence))
        .routes(routes!(get_evidence, remove_evidence))
        .routes(routes!(add_version))
        .routes(routes!(evidence_file))
        .routes(routes!(carry_forward))
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceJson {
    pub id: i64,
    pub fiscal_year: i64,
    /// The checklist item's key.
    pub item_key: String,
    /// 1 for the first; each replacement adds one.
    pub version: i64,
    pub title: String,
    /// Who is responsible for it (責任者).
    pub owner: String,
    /// YYYY-MM-DD.
    pub produced_on: String,
    /// YYYY-MM-DD, when it has an end.
    pub valid_until: Option<String>,
    /// `pdf`, `xlsx`, `docx`, `png`, `jpeg`, `text` (read from the content) or `link`.
    pub kind: String,
    /// The file's name (a file only).
    pub file_name: Option<String>,
    /// The link (a link only).
    pub url: Option<String>,
    /// Bytes of the file (0 for a link).
    pub size: i64,
    /// `valid`, `expires_soon` (30 days or fewer), `expired`, or `older_than_a_year`
    /// (without an end, produced more than a year ago).
    pub standing: String,
    /// The evidence of the previous year it was carried from.
    pub carried_from: Option<i64>,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Where to download the file (a file only).
    pub file_url: Option<String>,
}

pub fn evidence_json(e: &StoredEvidence) -> EvidenceJson {
    let is_link = e.kind == "link";
    EvidenceJson {
        id: e.id,
        fiscal_year: e.fiscal_year,
        item_key: e.item_key.clone(),
        version: e.version,
        title: e.title.clone(),
        owner: e.owner.clone(),
        produced_on: e.produced_on.clone(),
        valid_until: e.valid_until.clone(),
        kind: e.kind.clone(),
        file_name: (!is_link).then(|| e.file_name.clone()),
        url: is_link.then(|| e.url.clone()),
        size: e.size,
        standing: standing(e, today_in_japan()).as_str().to_owned(),
        carried_from: e.carried_from,
        updated_at: e.updated_at.clone(),
        file_url: (!is_link).then(|| format!("/api/v1/evidence/{}/file", e.id)),
    }
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceCreated {
    pub id: i64,
}

/// The multipart form of an evidence (the schema of the documentation: a file or a link).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceUploadForm {
    /// The file (PDF, .xlsx, .docx, PNG, JPEG or plain text; at most 10 MB; its kind is read
    /// from its content). Leave out when `url` is given.
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
    /// A link (http:// or https://) to where the proof is kept, instead of a file.
    url: Option<String>,
    title: String,
    /// Who is responsible for it.
    owner: String,
    /// YYYY-MM-DD, not in the future.
    produced_on: String,
    /// YYYY-MM-DD, not before `produced_on`; leave out when it has no end.
    valid_until: Option<String>,
    /// For a new version: the version the client last read (a later one is refused, 409).
    version: Option<i64>,
}

/// The evidence of a checklist item in a fiscal year, as added.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}/evidence", tag = "evidence", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)),
    responses((status = 200, body = Vec<EvidenceJson>), (status = 404, body = ErrorBody)))]
pub async fn list_item_evidence(
    State(state): State<AppState>,
    Opening(_, _, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
) -> ApiResult<Json<Vec<EvidenceJson>>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let list = service::evidence::evidence_of(&state, &institution, fy, Some(&key)).await?;
    Ok(Json(list.iter().map(evidence_json).collect()))
}

/// Attaches an evidence to a checklist item: a file or a link, with its title, who is
/// responsible, the day it was produced and, if it has one, the day it stops being valid.
/// Those who answer the institution's checklist only (403 for those who only see it).
/// Refusals: 422 with every field problem, 413 for a file over 10 MB or past the
/// institution's quota, 415 for a file of another kind.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}/evidence", tag = "evidence", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)),
    request_body(content = EvidenceUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_item_evidence(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
    request: Request,
) -> ApiResult<(StatusCode, Json<EvidenceCreated>)> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    if !principal.can_answer(institution.id) {
        return Err(AppError::forbidden().into());
    }
    let form = read_form(request).await?;
    let id =
        service::evidence::add_evidence(&state, &principal, &institution, fy, &key, form.upload)
            .await?;
    Ok((StatusCode::CREATED, Json(EvidenceCreated { id })))
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceVersionJson {
    pub version: i64,
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: Option<String>,
    pub kind: String,
    pub file_name: Option<String>,
    pub url: Option<String>,
    pub size: i64,
    /// The login of who kept this version.
    pub created_by: String,
    pub created_at: String,
    /// Where to download this version's file (a file only).
    pub file_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceDetailJson {
    #[serde(flatten)]
    pub evidence: EvidenceJson,
    /// When it was removed (RFC 3339, UTC); a removed evidence stays in the history.
    pub removed_at: Option<String>,
    /// Every version, the latest first.
    pub versions: Vec<EvidenceVersionJson>,
}

fn version_json(evidence_id: i64, v: &EvidenceVersion) -> EvidenceVersionJson {
    let is_link = v.kind == "link";
    EvidenceVersionJson {
        version: v.version,
        title: v.title.clone(),
        owner: v.owner.clone(),
        produced_on: v.produced_on.clone(),
        valid_until: v.valid_until.clone(),
        kind: v.kind.clone(),
        file_name: (!is_link).then(|| v.file_name.clone()),
        url: is_link.then(|| v.url.clone()),
        size: v.size,
        created_by: v.created_by_login.clone(),
        created_at: v.created_at.clone(),
        file_url: (!is_link)
            .then(|| format!("/api/v1/evidence/{evidence_id}/file?version={}", v.version)),
    }
}

/// One evidence with every version it has had, removed or not.
#[utoipa::path(get, path = "/api/v1/evidence/{evidence_id}", tag = "evidence", security(("bearer" = [])),
    params(("evidence_id" = i64, Path)),
    responses((status = 200, body = EvidenceDetailJson), (status = 404, body = ErrorBody)))]
pub async fn get_evidence(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(evidence_id): Ids<EvidenceId>,
) -> ApiResult<Json<EvidenceDetailJson>> {
    let principal = caller.user.principal();
    let (evidence, _) =
        service::evidence::visible_evidence(&state, &principal, evidence_id.get()).await?;
    let versions = state.store.evidence_versions(evidence.id).await?;
    Ok(Json(EvidenceDetailJson {
        removed_at: evidence.removed_at.clone(),
        versions: versions
            .iter()
            .map(|v| version_json(evidence.id, v))
            .collect(),
        evidence: evidence_json(&evidence),
    }))
}

/// Replaces an evidence as its next version: the same form as attaching one, with
/// `version`, the version last read (409 if it changed since). Without a file or a link, the
/// evidence keeps what it holds and takes the new description.
#[utoipa::path(post, path = "/api/v1/evidence/{evidence_id}/versions", tag = "evidence", security(("bearer" = [])),
    params(("evidence_id" = i64, Path)),
    request_body(content = EvidenceUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceJson), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_version(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(evidence_id): Ids<EvidenceId>,
    request: Request,
) -> ApiResult<(StatusCode, Json<EvidenceJson>)> {
    let principal = caller.user.principal();
    let (_, institution) =
        service::evidence::visible_evidence(&state, &principal, evidence_id.get()).await?;
    if !principal.can_answer(institution.id) {
        return Err(AppError::forbidden().into());
    }
    let form = read_form(request).await?;
    let expected = version_number(&form.version)?;
    let id = service::evidence::replace_evidence(
        &state,
        &principal,
        evidence_id.get(),
        expected,
        form.upload,
    )
    .await?;
    let evidence = state
        .store
        .evidence(id)
        .await?
        .ok_or(AppError::not_found())?;
    Ok((StatusCode::CREATED, Json(evidence_json(&evidence))))
}

/// The `version` field: a whole number from 1.
pub fn version_number(text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            AppError::fields(vec![mamori_domain::field_problem::FieldProblem::new(
                "version",
                "invalid_version",
                mamori_domain::Message::new("evidence-version-required"),
            )])
        })
}

/// Removes an evidence from its item; it stays in the history with its versions.
#[utoipa::path(delete, path = "/api/v1/evidence/{evidence_id}", tag = "evidence", security(("bearer" = [])),
    params(("evidence_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_evidence(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(evidence_id): Ids<EvidenceId>,
) -> ApiResult<StatusCode> {
    let principal = caller.user.principal();
    service::evidence::remove_evidence(&state, &principal, evidence_id.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct FileQuery {
    /// A version's file; left out, the current one.
    version: Option<i64>,
}

/// An evidence's file as it was uploaded (`Content-Disposition: attachment`); each download
/// is written to the access log.
#[utoipa::path(get, path = "/api/v1/evidence/{evidence_id}/file", tag = "evidence", security(("bearer" = [])),
    params(("evidence_id" = i64, Path), FileQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>, description = "the file, with the media type of its kind"), (status = 404, body = ErrorBody)))]
pub async fn evidence_file(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(evidence_id): Ids<EvidenceId>,
    Query(q): Query<FileQuery>,
) -> ApiResult<Response> {
    let principal = caller.user.principal();
    Ok(file_response(&state, &principal, evidence_id, q.version).await?)
}

/// A file of an evidence as a download.
pub async fn file_response(
    state: &AppState,
    principal: &mamori_domain::Principal,
    evidence_id: EvidenceId,
    version: Option<i64>,
) -> Result<Response, AppError> {
    let file =
        service::evidence::evidence_file(state, principal, evidence_id.get(), version).await?;
    let kind = DocumentKind::parse(&file.kind).ok_or(AppError::not_found())?;
    let name = mamori_domain::evidence::download_name(&file.file_name, &file.title, kind);
    Ok(crate::http::download::named_attachment(
        kind.content_type(),
        &name,
        file.content,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CarriedJson {
    /// How many evidence were carried into the year.
    pub carried: usize,
}

/// Carries the previous fiscal year's evidence that is still valid on 1 April into this
/// year, each onto the item of the same role; evidence already carried is not carried twice.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/evidence/carry-forward", tag = "evidence", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = CarriedJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn carry_forward(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<CarriedJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let carried = service::evidence::carry_forward(&state, &principal, &institution, fy).await?;
    Ok(Json(CarriedJson { carried }))
}
