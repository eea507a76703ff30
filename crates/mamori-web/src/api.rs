//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Every handler is annotated with `#[utoipa::path]` and registered with `routes!`, so that
//! the routes and the document cannot drift apart.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use mamori_domain::answer::parse_date;
use mamori_domain::{
    Answer, AnswerInput, FiscalYear, InstitutionKind, ItemStatus, NotApplicableReason, Prefecture,
    Requirement, Role, Round,
};
use mamori_store::{NewInstitution, SessionKind};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{self, ApiUser};
use crate::error::{ApiError, ApiResult, AppError, ErrorBody};
use crate::service;

#[derive(OpenApi)]
#[openapi(
    info(title = "mamori API", description = "医療機関のサイバーセキュリティ対策チェックリストと立入検査 — the cybersecurity checklist of medical institutions and its inspection"),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(checklists))
        .routes(routes!(list_institutions, create_institution))
        .routes(routes!(get_institution, patch_institution))
        .routes(routes!(create_user))
        .routes(routes!(get_assessment))
        .routes(routes!(put_answer, delete_answer))
        .routes(routes!(item_history))
        .routes(routes!(get_inspection))
        .routes(routes!(put_observations))
        .merge(crate::vendors::router())
        .merge(crate::incidents::router())
        .merge(crate::assurance::api_router())
        .merge(crate::support::api_router())
        .merge(crate::training::api_router());
    crate::ledger::api_routes(router)
}

/// A JSON body whose every rejection (malformed JSON, wrong types, missing fields, wrong
/// content type) is answered with the API's bilingual error.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection).into()),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            "Content-Type: application/json の本文を送ってください",
            "send a body with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => AppError::rejected(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("JSONの書式が正しくありません: {detail}"),
            format!("the body is not well-formed JSON: {detail}"),
        ),
        _ => AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("リクエスト本文の項目が正しくありません: {detail}"),
            format!("the body does not have the expected fields: {detail}"),
        ),
    }
}

// ----- health and session ----------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await.map_err(|_| {
        AppError::rejected(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "データベースに接続できません",
            "the database is unreachable",
        )
    })?;
    Ok(Json(Health {
        status: "ok",
        database: state.store.engine(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    login: String,
    password: String,
    /// The second factor, for accounts with two-factor authentication: the 6-digit code of
    /// the authenticator app, or a recovery code.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    expires_in_seconds: i64,
}

/// Exchanges a login and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    client: auth::ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    match auth::login(
        &state,
        &body.login,
        &body.password,
        SessionKind::Api,
        body.totp.as_deref(),
        &client,
    )
    .await?
    {
        auth::LoginStep::Done { token, .. } => Ok(Json(LoginResponse {
            token,
            expires_in_seconds: state.config.api_token_ttl.num_seconds(),
        })),
        auth::LoginStep::SecondFactor { .. } => {
            Err(AppError::Internal("an API login never stops at the second factor".into()).into())
        }
    }
}

/// Revokes the bearer token used for this request.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: ApiUser) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    login: String,
    /// `national_admin`, `inspector`, `prefecture_officer`, `admin` (of an institution) or
    /// `staff`.
    role: String,
    institution_id: Option<i64>,
    /// JIS X 0401 code of an inspector's or a prefecture officer's prefecture.
    prefecture: Option<String>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: ApiUser) -> Json<Me> {
    let u = caller.user;
    Json(Me {
        login: u.login,
        role: u.role.api_name().into(),
        institution_id: u.institution_id,
        prefecture: u.prefecture.map(|p| p.code()),
    })
}

// ----- checklists ------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ChecklistItemJson {
    key: String,
    number: String,
    section: u8,
    /// `none`, `all`, `server`, `pc` or `network`.
    scope: String,
    text_ja: String,
    text_en: String,
    /// The fiscal year from which the item must be はい; null when reference-only.
    required_from_fiscal_year: Option<i32>,
    reference_only: bool,
    /// `vendor_contract` when the item needs no answer without a vendor contract.
    applies_when: Option<String>,
    has_target_date: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistJson {
    id: String,
    version: String,
    version_label_ja: String,
    version_label_en: String,
    /// `institution` (医療機関確認用), `vendor` (事業者確認用) or `pharmacy` (薬局確認用).
    form: String,
    title_ja: String,
    title_en: String,
    fiscal_years: Vec<i32>,
    published_on: String,
    sources: Vec<String>,
    gate_ja: Option<String>,
    gate_en: Option<String>,
    items: Vec<ChecklistItemJson>,
}

fn item_json(item: &mamori_domain::ChecklistItem) -> ChecklistItemJson {
    let (required_from, reference_only) = match item.requirement {
        Requirement::RequiredFrom(fy) => (Some(fy.start_year()), false),
        Requirement::ReferenceOnly => (None, true),
    };
    ChecklistItemJson {
        key: item.key.clone(),
        number: item.number.clone(),
        section: item.section,
        scope: item.scope.as_str().into(),
        text_ja: item.text_ja.clone(),
        text_en: item.text_en.clone(),
        required_from_fiscal_year: required_from,
        reference_only,
        applies_when: item.applies_when.map(|_| "vendor_contract".to_owned()),
        has_target_date: item.has_target_date,
    }
}

/// Every checklist version and form in the catalog.
#[utoipa::path(get, path = "/api/v1/checklists", tag = "checklists", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChecklistJson>), (status = 401, body = ErrorBody)))]
pub async fn checklists(
    State(state): State<AppState>,
    _caller: ApiUser,
) -> Json<Vec<ChecklistJson>> {
    Json(
        state
            .catalog
            .checklists
            .iter()
            .map(|v| ChecklistJson {
                id: v.id.clone(),
                version: v.version.clone(),
                version_label_ja: v.version_label_ja.clone(),
                version_label_en: v.version_label_en.clone(),
                form: v.form.as_str().into(),
                title_ja: v.title_ja.clone(),
                title_en: v.title_en.clone(),
                fiscal_years: v.fiscal_years.iter().map(|f| f.start_year()).collect(),
                published_on: v.published_on.to_string(),
                sources: v.sources.clone(),
                gate_ja: v.gate.as_ref().map(|g| g.text_ja.clone()),
                gate_en: v.gate.as_ref().map(|g| g.text_en.clone()),
                items: v.items.iter().map(item_json).collect(),
            })
            .collect(),
    )
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
        return Err(AppError::Forbidden.into());
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
    Path(id): Path<String>,
) -> ApiResult<Json<InstitutionJson>> {
    let institution =
        service::visible_institution(&state, &caller.user.principal(), service::parse_id(&id)?)
            .await?;
    service::record_read(&state, &caller.user.principal(), institution.id, "profile").await?;
    Ok(Json(institution_json(&institution)))
}

fn field_error(field: &'static str, ja: &str, en: &str) -> AppError {
    AppError::Invalid(mamori_domain::ParseError::new(
        field,
        format!("{field}: {ja}"),
        format!("{field}: {en}"),
    ))
}

/// Changes any of the institution's fields (national admin, or the institution's admin).
#[utoipa::path(patch, path = "/api/v1/institutions/{id}", tag = "institutions", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = InstitutionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_institution(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<InstitutionJson>> {
    let principal = caller.user.principal();
    let institution = service::administered_institution(&state, &principal, &id).await?;
    let mut new = NewInstitution {
        name: institution.name.clone(),
        kind: institution.kind,
        prefecture: institution.prefecture,
        beds: institution.beds,
        has_medical_information_system: institution.has_medical_information_system,
        has_vendor_contracts: institution.has_vendor_contracts,
        medical_institution_code: institution.medical_institution_code.clone(),
    };
    for (field, value) in &body {
        match (field.as_str(), value) {
            ("name", Value::String(s)) => new.name = s.trim().to_owned(),
            ("kind", Value::String(s)) => new.kind = InstitutionKind::parse(s)?,
            ("prefecture", Value::String(s)) => {
                // Moving an institution to another prefecture is the national office's decision.
                if principal.role != Role::NationalAdmin {
                    return Err(AppError::Forbidden.into());
                }
                new.prefecture = Prefecture::parse(s)?
            }
            ("beds", Value::Number(n)) => {
                new.beds = n.as_i64().ok_or_else(|| {
                    field_error("beds", "整数で指定してください", "must be an integer")
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
            (
                "name"
                | "kind"
                | "prefecture"
                | "beds"
                | "has_medical_information_system"
                | "has_vendor_contracts"
                | "medical_institution_code",
                _,
            ) => {
                return Err(AppError::Invalid(mamori_domain::ParseError::new(
                    "body",
                    format!("項目「{field}」の値の型が正しくありません"),
                    format!("field '{field}' has the wrong type"),
                ))
                .into());
            }
            _ => {
                return Err(AppError::Invalid(mamori_domain::ParseError::new(
                    "body",
                    format!("項目「{field}」は変更できません"),
                    format!("unknown field '{field}'"),
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
        .ok_or(AppError::NotFound)?;
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
    caller: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let principal = caller.user.principal();
    let institution = service::administered_institution(&state, &principal, &id).await?;
    let role = match Role::parse(&body.role)? {
        r @ (Role::InstitutionAdmin | Role::InstitutionStaff) => r,
        _ => {
            return Err(field_error(
                "role",
                "施設ユーザーの役割は admin または staff です",
                "an institution user is admin or staff",
            )
            .into());
        }
    };
    let id = crate::add_user(
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

// ----- assessments -----------------------------------------------------------------------

/// One round's answer; sent back within its item, as `GET` gives it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundJson {
    /// `yes` or `no`.
    answer: String,
    checked_on: String,
    target_date: Option<String>,
}

impl RoundJson {
    /// The answer as the domain takes it, for `round`.
    pub fn input(&self, round: Round) -> Result<AnswerInput, AppError> {
        answer_input(
            round,
            &self.answer,
            &self.checked_on,
            self.target_date.as_deref(),
        )
    }
}

pub fn round_json(a: &mamori_domain::ItemAnswer) -> RoundJson {
    RoundJson {
        answer: a.answer.as_str().into(),
        checked_on: a.checked_on.to_string(),
        target_date: a.target_date.map(|d| d.to_string()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentItemJson {
    key: String,
    number: String,
    section: u8,
    scope: String,
    text_ja: String,
    text_en: String,
    /// Applies and must be answered (and is inspected) this fiscal year.
    required: bool,
    /// Applies to this institution at all.
    applicable: bool,
    /// A reference item (参考項目) this year.
    reference: bool,
    /// Why it does not apply: `no_medical_information_system` or `no_vendor_contract`.
    not_applicable_reason: Option<String>,
    not_applicable_reason_ja: Option<String>,
    has_target_date: bool,
    first: Option<RoundJson>,
    second: Option<RoundJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgressJson {
    required: usize,
    answered: usize,
    yes: usize,
    no: usize,
    missing_target_dates: usize,
    reference: usize,
    not_applicable: usize,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentJson {
    institution_id: i64,
    fiscal_year: i32,
    fiscal_year_label_ja: String,
    checklist_id: String,
    version_label_ja: String,
    /// `institution` (医療機関確認用) or `pharmacy` (薬局確認用).
    form: String,
    has_medical_information_system: bool,
    has_vendor_contracts: bool,
    progress: ProgressJson,
    ready_for_inspection: bool,
    items: Vec<AssessmentItemJson>,
}

fn item_state_json(s: &service::ItemState<'_>) -> AssessmentItemJson {
    let (applicable, required, reference, reason) = match s.status {
        ItemStatus::Required => (true, true, false, None),
        ItemStatus::Reference { .. } => (true, false, true, None),
        ItemStatus::NotApplicable(r) => (false, false, false, Some(r)),
    };
    AssessmentItemJson {
        key: s.item.key.clone(),
        number: s.item.number.clone(),
        section: s.item.section,
        scope: s.item.scope.as_str().into(),
        text_ja: s.item.text_ja.clone(),
        text_en: s.item.text_en.clone(),
        required,
        applicable,
        reference,
        not_applicable_reason: reason.map(|r| match r {
            NotApplicableReason::NoMedicalInformationSystem => {
                "no_medical_information_system".to_owned()
            }
            NotApplicableReason::NoVendorContract => "no_vendor_contract".to_owned(),
        }),
        not_applicable_reason_ja: reason.map(|r| r.message_ja().to_owned()),
        has_target_date: s.item.has_target_date,
        first: s.answers.first.as_ref().map(round_json),
        second: s.answers.second.as_ref().map(round_json),
    }
}

fn assessment_json(a: &service::Assessment<'_>) -> AssessmentJson {
    let items = a.items.iter().map(item_state_json).collect();
    let p = a.progress;
    AssessmentJson {
        institution_id: a.institution.id,
        fiscal_year: a.fiscal_year.start_year(),
        fiscal_year_label_ja: a.fiscal_year.label_ja(),
        checklist_id: a.version.id.clone(),
        version_label_ja: a.version.version_label_ja.clone(),
        form: a.version.form.as_str().into(),
        has_medical_information_system: a.institution.has_medical_information_system,
        has_vendor_contracts: a.institution.has_vendor_contracts,
        progress: ProgressJson {
            required: p.required,
            answered: p.answered,
            yes: p.yes,
            no: p.no,
            missing_target_dates: p.missing_target_dates,
            reference: p.reference,
            not_applicable: p.not_applicable,
        },
        ready_for_inspection: a.verdict.ready,
        items,
    }
}

/// The institution's checklist for a fiscal year: the form that applies and every item with
/// its status and both rounds' answers.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}", tag = "assessments", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path, description = "e.g. 2025 for 令和7年度")),
    responses((status = 200, body = AssessmentJson), (status = 404, body = ErrorBody)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year)): Path<(String, String)>,
) -> ApiResult<Json<AssessmentJson>> {
    let id = service::parse_id(&id)?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let a =
        service::visible_assessment(&state, &caller.user.principal(), id, fy, "checklist").await?;
    Ok(Json(assessment_json(&a)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// 1 (1回目) or 2 (2回目).
    round: i64,
    /// `yes` (はい) or `no` (いいえ).
    answer: String,
    /// `YYYY-MM-DD`.
    checked_on: String,
    /// `YYYY-MM-DD`, only with `no`.
    #[serde(default)]
    target_date: Option<String>,
}

impl AnswerRequest {
    /// The answer as the domain takes it.
    pub fn input(&self) -> Result<AnswerInput, AppError> {
        answer_input(
            Round::from_number(self.round)?,
            &self.answer,
            &self.checked_on,
            self.target_date.as_deref(),
        )
    }
}

fn answer_input(
    round: Round,
    answer: &str,
    checked_on: &str,
    target_date: Option<&str>,
) -> Result<AnswerInput, AppError> {
    Ok(AnswerInput {
        round,
        answer: Answer::parse(answer)?,
        checked_on: parse_date("checked_on", checked_on)?,
        target_date: target_date
            .filter(|t| !t.is_empty())
            .map(|t| parse_date("target_date", t))
            .transpose()?,
    })
}

/// The body of a `PUT` of one item of a vendor's form: one round, as for the institution's
/// answers, or the item as `GET` gives it.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ItemBody {
    Round(AnswerRequest),
    Item(ItemRounds),
}

impl ItemBody {
    /// Reads a body: with any of a round's fields (`round`, `answer`, …), one round;
    /// otherwise the item with both rounds.
    pub fn read(body: Value) -> Result<Self, AppError> {
        let one_round = ["round", "answer", "checked_on", "target_date"]
            .iter()
            .any(|k| body.get(k).is_some());
        let read = if one_round {
            serde_json::from_value(body).map(Self::Round)
        } else {
            serde_json::from_value(body).map(Self::Item)
        };
        read.map_err(|e| {
            AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("リクエスト本文の項目が正しくありません: {e}"),
                format!("the body does not have the expected fields: {e}"),
            )
        })
    }
}

/// An item of a vendor's form as `GET` gives it, sent back: the rounds that differ from
/// those recorded are recorded, checked together; a recorded round sent as null is refused
/// (`recorded_round_left_out`); the item's other fields are ignored.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRounds {
    /// 1回目, or null when not answered.
    #[serde(default)]
    first: Option<RoundJson>,
    /// 2回目, or null when not answered.
    #[serde(default)]
    second: Option<RoundJson>,
    // The item's other fields, as `GET` gives them: sent back, they are ignored.
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "contract_id")]
    #[schema(value_type = Option<i64>)]
    _contract_id: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "fiscal_year")]
    #[schema(value_type = Option<i32>)]
    _fiscal_year: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "key")]
    #[schema(value_type = Option<String>)]
    _key: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "number")]
    #[schema(value_type = Option<String>)]
    _number: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "scope")]
    #[schema(value_type = Option<String>)]
    _scope: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "text_ja")]
    #[schema(value_type = Option<String>)]
    _text_ja: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "text_en")]
    #[schema(value_type = Option<String>)]
    _text_en: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "in_contract_scope")]
    #[schema(value_type = Option<bool>)]
    _in_contract_scope: IgnoredAny,
    /// As `GET` gives it; ignored.
    #[serde(default, rename = "has_target_date")]
    #[schema(value_type = Option<bool>)]
    _has_target_date: IgnoredAny,
}

impl ItemRounds {
    /// Both rounds as the domain takes them.
    pub fn inputs(&self) -> Result<(Option<AnswerInput>, Option<AnswerInput>), AppError> {
        let first = self.first.as_ref().map(|r| r.input(Round::First));
        let second = self.second.as_ref().map(|r| r.input(Round::Second));
        Ok((first.transpose()?, second.transpose()?))
    }
}

/// Records one round's answer to one item. The item key carries the scope, e.g.
/// `2-7-server`, `2-1-all`, `1-1`, `3-1`.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}", tag = "assessments", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)), request_body = AnswerRequest,
    responses((status = 200, body = AssessmentItemJson), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_answer(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year, key)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<AnswerRequest>,
) -> ApiResult<Json<AssessmentItemJson>> {
    let principal = caller.user.principal();
    let institution =
        service::visible_institution(&state, &principal, service::parse_id(&id)?).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let input = body.input()?;
    // The item as saved, without reloading the whole assessment.
    let saved = service::save_answer(&state, &principal, &institution, fy, &key, input).await?;
    Ok(Json(item_state_json(&saved)))
}

async fn item_response(
    state: &AppState,
    institution: mamori_store::Institution,
    fy: FiscalYear,
    key: &str,
) -> ApiResult<Json<AssessmentItemJson>> {
    let a = service::assessment(state, institution, fy).await?;
    assessment_json(&a)
        .items
        .into_iter()
        .find(|i| i.key == key)
        .map(Json)
        .ok_or_else(|| AppError::NotFound.into())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RoundQuery {
    /// 1 or 2.
    round: i64,
}

/// Removes one round's answer; the history keeps it.
#[utoipa::path(delete, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}", tag = "assessments", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path), RoundQuery),
    responses((status = 200, body = AssessmentItemJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete_answer(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year, key)): Path<(String, String, String)>,
    Query(q): Query<RoundQuery>,
) -> ApiResult<Json<AssessmentItemJson>> {
    let principal = caller.user.principal();
    let institution =
        service::visible_institution(&state, &principal, service::parse_id(&id)?).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::clear_answer(
        &state,
        &principal,
        &institution,
        fy,
        &key,
        Round::from_number(q.round)?,
    )
    .await?;
    item_response(&state, institution, fy, &key).await
}

#[derive(Serialize, ToSchema)]
pub struct HistoryJson {
    round: i64,
    /// `set` or `clear`.
    action: String,
    answer: Option<RoundJson>,
    previous: Option<RoundJson>,
    changed_by: String,
    changed_at: String,
}

/// Who changed an item's answers, what and when; newest first.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/assessments/{fiscal_year}/items/{key}/history", tag = "assessments", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)),
    responses((status = 200, body = Vec<HistoryJson>), (status = 404, body = ErrorBody)))]
pub async fn item_history(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year, key)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<HistoryJson>>> {
    let institution =
        service::visible_institution(&state, &caller.user.principal(), service::parse_id(&id)?)
            .await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::record_read(
        &state,
        &caller.user.principal(),
        institution.id,
        &format!("history:{fy}"),
    )
    .await?;
    let history = state.store.answer_history(institution.id, fy, &key).await?;
    Ok(Json(
        history
            .iter()
            .map(|h| HistoryJson {
                round: h.round.number(),
                action: h.action.clone(),
                answer: h.answer.as_ref().map(round_json),
                previous: h.previous.as_ref().map(round_json),
                changed_by: h.changed_by.clone(),
                changed_at: h.changed_at.clone(),
            })
            .collect(),
    ))
}

// ----- inspection ------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct FindingJson {
    /// The item's number as printed, e.g. `2(4)`; null for findings about the whole form.
    item: Option<String>,
    item_key: Option<String>,
    code: String,
    /// `blocking` (not ready until fixed), `advice` or `info`.
    severity: String,
    message_ja: String,
    message_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct InspectionJson {
    ready: bool,
    fiscal_year: i32,
    guide_version: String,
    contact_chart_seen: Option<bool>,
    findings: Vec<FindingJson>,
}

/// The verdict for the on-site inspection, by the rules of that fiscal year's guide.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = InspectionJson), (status = 404, body = ErrorBody)))]
pub async fn get_inspection(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year)): Path<(String, String)>,
) -> ApiResult<Json<InspectionJson>> {
    let id = service::parse_id(&id)?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let a =
        service::visible_assessment(&state, &caller.user.principal(), id, fy, "inspection").await?;
    Ok(Json(inspection_json(&a)))
}

pub fn inspection_json(a: &service::Assessment<'_>) -> InspectionJson {
    InspectionJson {
        ready: a.verdict.ready,
        fiscal_year: a.fiscal_year.start_year(),
        guide_version: a.rules.version.clone(),
        contact_chart_seen: a.observation.as_ref().map(|o| o.contact_chart_seen),
        findings: a
            .verdict
            .findings
            .iter()
            .map(|f| FindingJson {
                item: f.item_number.clone(),
                item_key: f.item_key.clone(),
                code: f.code.as_str().into(),
                severity: match f.severity {
                    mamori_domain::Severity::Blocking => "blocking",
                    mamori_domain::Severity::Advice => "advice",
                    mamori_domain::Severity::Info => "info",
                }
                .into(),
                message_ja: f.message_ja.clone(),
                message_en: f.message_en.clone(),
            })
            .collect(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationsRequest {
    /// Whether the inspector saw the contact chart (連絡体制図) itself.
    contact_chart_seen: bool,
}

/// Records what the inspector saw on site (inspectors of the institution's prefecture only).
#[utoipa::path(put, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/observations", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)), request_body = ObservationsRequest,
    responses((status = 200, body = InspectionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_observations(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, fiscal_year)): Path<(String, String)>,
    ApiJson(body): ApiJson<ObservationsRequest>,
) -> ApiResult<Json<InspectionJson>> {
    let principal = caller.user.principal();
    let institution =
        service::visible_institution(&state, &principal, service::parse_id(&id)?).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::record_observation(
        &state,
        &principal,
        &institution,
        fy,
        body.contact_chart_seen,
    )
    .await?;
    let a = service::assessment(&state, institution, fy).await?;
    Ok(Json(inspection_json(&a)))
}
