//! Institutions (施設) over the API: list, create, read, change, and add a user.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::{InstitutionKind, Prefecture, Role};
use mamori_store::NewInstitution;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{Ids, InstitutionId};
use mamori_app as service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_institutions, create_institution))
        .routes(routes!(get_institution, patch_institution))
        .routes(routes!(create_user))
}

// ----- institutions ----------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct InstitutionJson {
    id: i64,
    name: String,
    /// `hospital`, `clinic_with_beds`, `clinic_without_beds` or `pharmacy`.
    kind: String,
    /// JIS X 0401 code, `01`–`47`.
    prefecture: String,
    beds: i64,
    has_medical_information_system: bool,
    has_vendor_contracts: bool,
    medical_institution_code: Option<String>,
    /// 全国地方公共団体コード (JIS X 0402, six digits with the check digit) of its 市区町村.
    municipality_code: Option<String>,
    /// 市区町村名
    municipality_name: String,
    /// 所在地
    address: String,
    /// `institution` or `pharmacy`: the form this institution fills.
    form: String,
}

fn institution_json(i: &mamori_store::Institution) -> InstitutionJson {
    InstitutionJson {
        id: i.id,
        name: i.name.clone(),
        kind: i.kind.as_str().into(),
        prefecture: i.prefecture.code(),
        beds: i.beds,
        has_medical_information_system: i.has_medical_information_system,
        has_vendor_contracts: i.has_vendor_contracts,
        medical_institution_code: i.medical_institution_code.clone(),
        municipality_code: i.municipality_code.clone(),
        municipality_name: i.municipality_name.clone(),
        address: i.address.clone(),
        form: i.kind.form().as_str().into(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// At most 500.
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The institutions the caller may see: all (national admin), the prefecture's (inspector),
/// or its own (institution users).
#[utoipa::path(get, path = "/api/v1/institutions", tag = "institutions", security(("bearer" = [])), params(Page),
    responses((status = 200, body = Vec<InstitutionJson>), (status = 401, body = ErrorBody)))]
pub async fn list_institutions(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<InstitutionJson>>> {
    let limit = page.limit.unwrap_or(100).clamp(1, 500);
    let offset = page.offset.unwrap_or(0).max(0);
    let list = state
        .store
        .list_institutions(caller.user.principal().institution_scope(), limit, offset)
        .await?;
    Ok(Json(list.iter().map(institution_json).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstitution {
    name: String,
    kind: String,
    prefecture: String,
    #[serde(default)]
    beds: i64,
    has_medical_information_system: bool,
    has_vendor_contracts: bool,
    #[serde(default)]
    medical_institution_code: Option<String>,
    /// 全国地方公共団体コード of its 市区町村 (six digits, with the check digit).
    #[serde(default)]
    municipality_code: Option<String>,
    #[serde(default)]
    municipality_name: String,
    #[serde(default)]
    address: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// Registers an institution (national admin only).
#[utoipa::path(post, path = "/api/v1/institutions", tag = "institutions", security(("bearer" = [])), request_body = CreateInstitution,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_institution(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(body): ApiJson<CreateInstitution>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    if !caller.user.principal().can_create_institutions() {
        return Err(AppError::forbidden().into());
    }
    let new = NewInstitution {
        name: body.name.trim().to_owned(),
        kind: InstitutionKind::parse(&body.kind)?,
        prefecture: Prefecture::parse(&body.prefecture)?,
        beds: body.beds,
        has_medical_information_system: body.has_medical_information_system,
        has_vendor_contracts: body.has_vendor_contracts,
        medical_institution_code: body
            .medical_institution_code
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        municipality_code: body
            .municipality_code
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        municipality_name: body.municipality_name.trim().to_owned(),
        address: body.address.trim().to_owned(),
    };
    service::check_institution(&new)?;
    let id = state
        .store
        .create_institution(&new, Some(caller.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "institutions", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = InstitutionJson), (status = 404, body = ErrorBody)))]
pub async fn get_institution(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<InstitutionId>,
) -> ApiResult<Json<InstitutionJson>> {
    let institution =
        service::visible_institution(&state, &caller.user.principal(), id.get()).await?;
    service::record_read(&state, &caller.user.principal(), institution.id, "profile").await?;
    Ok(Json(institution_json(&institution)))
}

fn field_error(field: &'static str, ja: &str, en: &str) -> AppError {
    AppError::invalid(mamori_domain::ParseError::new(
        field,
        mamori_locale::Message::new("domain-input-message")
            .with("field", mamori_domain::arg(field))
            .with("ja", mamori_domain::bilingual(ja, en)),
    ))
}

/// Changes any of the institution's fields (national admin, or the institution's admin).
#[utoipa::path(patch, path = "/api/v1/institutions/{id}", tag = "institutions", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = InstitutionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_institution(
    State(state): State<AppState>,
    Opening(caller, principal, institution): Administered,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<InstitutionJson>> {
    let mut new = NewInstitution {
        name: institution.name.clone(),
        kind: institution.kind,
        prefecture: institution.prefecture,
        beds: institution.beds,
        has_medical_information_system: institution.has_medical_information_system,
        has_vendor_contracts: institution.has_vendor_contracts,
        medical_institution_code: institution.medical_institution_code.clone(),
        municipality_code: institution.municipality_code.clone(),
        municipality_name: institution.municipality_name.clone(),
        address: institution.address.clone(),
    };
    for (field, value) in &body {
        match (field.as_str(), value) {
            ("name", Value::String(s)) => new.name = s.trim().to_owned(),
            ("kind", Value::String(s)) => new.kind = InstitutionKind::parse(s)?,
            ("prefecture", Value::String(s)) => {
                // Moving an institution to another prefecture is the national office's decision.
                if principal.role != Role::NationalAdmin {
                    return Err(AppError::forbidden().into());
                }
                new.prefecture = Prefecture::parse(s)?
            }
            ("beds", Value::Number(n)) => {
                new.beds = n.as_i64().ok_or_else(|| {
                    field_error(
                        "beds",
                        Lang::Ja.text("institutions-must-be-integer"),
                        Lang::En.text("institutions-must-be-integer"),
                    )
                })?
            }
            ("has_medical_information_system", Value::Bool(b)) => {
                new.has_medical_information_system = *b
            }
            ("has_vendor_contracts", Value::Bool(b)) => new.has_vendor_contracts = *b,
            ("medical_institution_code", Value::Null) => new.medical_institution_code = None,
            ("medical_institution_code", Value::String(s)) => {
                new.medical_institution_code = Some(s.trim().to_owned()).filter(|c| !c.is_empty())
            }
            ("municipality_code", Value::Null) => new.municipality_code = None,
            ("municipality_code", Value::String(s)) => {
                new.municipality_code = Some(s.trim().to_owned()).filter(|c| !c.is_empty())
            }
            ("municipality_name", Value::String(s)) => new.municipality_name = s.trim().to_owned(),
            ("address", Value::String(s)) => new.address = s.trim().to_owned(),
            (
                "name"
                | "kind"
                | "prefecture"
                | "beds"
                | "has_medical_information_system"
                | "has_vendor_contracts"
                | "medical_institution_code"
                | "municipality_code"
                | "municipality_name"
                | "address",
                _,
            ) => {
                return Err(AppError::invalid(mamori_domain::ParseError::new(
                    "body",
                    Message::new("institutions-field-wrong-type").with("field", field.as_str()),
                ))
                .into());
            }
            _ => {
                return Err(AppError::invalid(mamori_domain::ParseError::new(
                    "body",
                    Message::new("institutions-field-unknown").with("field", field.as_str()),
                ))
                .into());
            }
        }
    }
    service::check_institution(&new)?;
    service::check_institution_change(&state, &institution, &new).await?;
    state
        .store
        .update_institution(institution.id, &new, caller.user.id)
        .await?;
    let updated = state
        .store
        .institution(institution.id)
        .await?
        .ok_or(AppError::not_found())?;
    Ok(Json(institution_json(&updated)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    login: String,
    password: String,
    /// `admin` or `staff`.
    role: String,
}

/// Adds a user to an institution (national admin, or the institution's admin).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/users", tag = "institutions", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateUser,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    Opening(caller, _, institution): Administered,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let role = match Role::parse(&body.role)? {
        r @ (Role::InstitutionAdmin | Role::InstitutionStaff) => r,
        _ => {
            return Err(field_error(
                "role",
                Lang::Ja.text("institutions-institution-user-admin-or-staff"),
                Lang::En.text("institutions-institution-user-admin-or-staff"),
            )
            .into());
        }
    };
    let id = mamori_app::add_user(
        &state,
        Some(caller.user.id),
        &body.login,
        &body.password,
        role,
        Some(institution.id),
        None,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
