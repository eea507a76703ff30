//! The checklist over the API: the catalog's versions, an assessment, answers and an item's history.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::answer::parse_date;
use mamori_domain::{
    Answer, AnswerInput, FiscalYear, ItemStatus, NotApplicableReason, Requirement, Round,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use crate::http::ids::{Ids, InstitutionId};
use mamori_app as service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checklists))
        .routes(routes!(get_assessment))
        .routes(routes!(put_answer, delete_answer))
        .routes(routes!(item_history))
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
        not_applicable_reason_ja: reason
            .map(|r| r.message().render(crate::http::i18n::Lang::Ja).to_owned()),
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
    Ids((id, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<AssessmentJson>> {
    let id = id.get();
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
                ErrorCode::InvalidBody,
                Message::new("errors-invalid-body-fields").with("detail", e.to_string()),
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
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
    ApiJson(body): ApiJson<AnswerRequest>,
) -> ApiResult<Json<AssessmentItemJson>> {
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
        .ok_or_else(|| AppError::not_found().into())
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
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
    Query(q): Query<RoundQuery>,
) -> ApiResult<Json<AssessmentItemJson>> {
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
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
) -> ApiResult<Json<Vec<HistoryJson>>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let resource = format!("history:{fy}");
    service::record_read(&state, &principal, institution.id, &resource).await?;
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
