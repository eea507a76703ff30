//! What follows the inspection, over the API: the schedule, the remarks per item, the
//! notified result, and the improvement reports with their decisions.

use axum::Json;
use axum::extract::State;
use mamori_domain::FiscalYear;
use mamori_domain::follow_up::overall_result;
use mamori_store::{FollowUp, Institution};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::*;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::ids::{Ids, InstitutionId, ReportId};
use mamori_app as service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_follow_up))
        .routes(routes!(put_schedule))
        .routes(routes!(put_remark))
        .routes(routes!(post_result))
        .routes(routes!(post_report))
        .routes(routes!(post_decision))
}

#[derive(Serialize, ToSchema)]
pub struct ScheduleJson {
    /// `YYYY-MM-DD`
    date: String,
    /// `HH:MM` Japan time, where fixed.
    starts_at: Option<String>,
    inspectors: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportJson {
    id: i64,
    action_taken: String,
    /// `YYYY-MM-DD`
    done_on: String,
    filed_by: String,
    filed_at: String,
    /// `accepted`, `returned`, or null until decided.
    decision: Option<String>,
    decision_note: String,
    decided_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RemarkJson {
    /// The item's number as printed, e.g. `2(7)`.
    item: String,
    item_key: String,
    /// `no_remark` (指摘なし), `advice` (助言) or `guidance` (指導).
    level: String,
    note: String,
    /// `draft`, `no_report_asked`, `awaiting_report`, `reported`, `returned` or `accepted`.
    progress: String,
    /// Whether it is an open 指摘 (a notified 指導 not yet resolved).
    open: bool,
    reports: Vec<ReportJson>,
}

#[derive(Serialize, ToSchema)]
pub struct FollowUpJson {
    fiscal_year: i32,
    /// Null until an inspection is scheduled.
    schedule: Option<ScheduleJson>,
    /// When the result was notified; null while the remarks are drafts.
    notified_at: Option<String>,
    /// `no_remark`, `advice` or `guidance`: the weightiest remark, once notified.
    overall_result: Option<String>,
    overall_comment: String,
    /// The institution's own users see the remarks once the result is notified.
    remarks: Vec<RemarkJson>,
    open_remarks: usize,
}

fn follow_up_json(
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
    f: &FollowUp,
) -> FollowUpJson {
    let version = state
        .catalog
        .version_for(fiscal_year, institution.kind.form());
    let number = |key: &str| {
        version
            .and_then(|v| v.item(key))
            .map_or_else(|| key.to_owned(), |i| i.number.clone())
    };
    let notified_at = f.inspection.as_ref().and_then(|i| i.notified_at.clone());
    FollowUpJson {
        fiscal_year: fiscal_year.start_year(),
        schedule: f.inspection.as_ref().map(|i| ScheduleJson {
            date: i.schedule.date.to_string(),
            starts_at: i.schedule.starts_at.map(|t| t.format("%H:%M").to_string()),
            inspectors: i.schedule.inspectors.clone(),
        }),
        overall_result: notified_at.as_ref().map(|_| {
            overall_result(f.remarks.iter().map(|r| r.level))
                .as_str()
                .to_owned()
        }),
        notified_at,
        overall_comment: f
            .inspection
            .as_ref()
            .map(|i| i.overall_comment.clone())
            .unwrap_or_default(),
        remarks: f
            .remarks
            .iter()
            .map(|r| RemarkJson {
                item: number(&r.item_key),
                item_key: r.item_key.clone(),
                level: r.level.as_str().to_owned(),
                note: r.note.clone(),
                progress: r.progress.as_str().to_owned(),
                open: r.progress.is_open(),
                reports: f
                    .reports_on(&r.item_key)
                    .map(|p| ReportJson {
                        id: p.id,
                        action_taken: p.action_taken.clone(),
                        done_on: p.done_on.to_string(),
                        filed_by: p.filed_by.clone(),
                        filed_at: p.filed_at.clone(),
                        decision: p.decision.map(|d| d.as_str().to_owned()),
                        decision_note: p.decision_note.clone(),
                        decided_at: p.decided_at.clone(),
                    })
                    .collect(),
            })
            .collect(),
        open_remarks: f.remarks.iter().filter(|r| r.progress.is_open()).count(),
    }
}

async fn follow_up_response(
    state: &AppState,
    principal: &mamori_domain::Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> ApiResult<Json<FollowUpJson>> {
    let f = service::follow_up::follow_up(state, principal, institution, fiscal_year).await?;
    Ok(Json(follow_up_json(state, institution, fiscal_year, &f)))
}

/// The inspection's schedule, remarks, result and improvement reports. The institution's
/// own users see the remarks once the result is notified.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/follow-up", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = FollowUpJson), (status = 404, body = ErrorBody)))]
pub async fn get_follow_up(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<FollowUpJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    follow_up_response(&state, &principal, &institution, fy).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// `YYYY-MM-DD`
    date: String,
    /// `HH:MM` Japan time.
    #[serde(default)]
    starts_at: Option<String>,
    /// The inspectors' names (1 to 10).
    inspectors: Vec<String>,
}

/// Schedules the inspection or moves it (inspectors of the institution's prefecture), until
/// the result is notified.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/schedule", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)), request_body = ScheduleRequest,
    responses((status = 200, body = FollowUpJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
    ApiJson(body): ApiJson<ScheduleRequest>,
) -> ApiResult<Json<FollowUpJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    // One name a line, as the page's form sends them.
    let names: Vec<&str> = body.inspectors.iter().map(String::as_str).collect();
    service::follow_up::schedule(
        &state,
        &principal,
        &institution,
        fy,
        &body.date,
        body.starts_at.as_deref().unwrap_or(""),
        &names.join("\n"),
    )
    .await?;
    follow_up_response(&state, &principal, &institution, fy).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemarkRequest {
    /// `no_remark` (指摘なし), `advice` (助言) or `guidance` (指導).
    level: String,
    #[serde(default)]
    note: String,
}

/// Records the remark on one item (inspectors of the institution's prefecture), until the
/// result is notified.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)), request_body = RemarkRequest,
    responses((status = 200, body = FollowUpJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_remark(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
    ApiJson(body): ApiJson<RemarkRequest>,
) -> ApiResult<Json<FollowUpJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::follow_up::record_remark(
        &state,
        &principal,
        &institution,
        fy,
        &key,
        &body.level,
        &body.note,
    )
    .await?;
    follow_up_response(&state, &principal, &institution, fy).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    /// 総評
    #[serde(default)]
    overall_comment: String,
}

/// Notifies the result to the institution: the remarks are fixed and each 指導 awaits an
/// improvement report. Cannot be undone.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/result", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)), request_body = ResultRequest,
    responses((status = 200, body = FollowUpJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_result(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
    ApiJson(body): ApiJson<ResultRequest>,
) -> ApiResult<Json<FollowUpJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::follow_up::notify_result(&state, &principal, &institution, fy, &body.overall_comment)
        .await?;
    follow_up_response(&state, &principal, &institution, fy).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// 改善内容: what was done.
    action_taken: String,
    /// `YYYY-MM-DD`, not after today.
    done_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedReportJson {
    id: i64,
}

/// Files an improvement report (改善報告) on a 指導 awaiting one (the institution's own users).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}/reports", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path)), request_body = ReportRequest,
    responses((status = 201, body = CreatedReportJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_report(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key)): Ids<(InstitutionId, String, String)>,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<CreatedReportJson>)> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let id = service::follow_up::file_report(
        &state,
        &principal,
        &institution,
        fy,
        &key,
        &body.action_taken,
        &body.done_on,
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(CreatedReportJson { id }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `accepted` (受理) or `returned` (差戻し).
    decision: String,
    #[serde(default)]
    note: String,
}

/// Accepts or returns the latest improvement report on an item (inspectors of the
/// institution's prefecture).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/inspection/{fiscal_year}/remarks/{key}/reports/{report_id}/decision", tag = "inspection", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path), ("key" = String, Path), ("report_id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = FollowUpJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_decision(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year, key, report)): Ids<(InstitutionId, String, String, ReportId)>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> ApiResult<Json<FollowUpJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::follow_up::decide_report(
        &state,
        &principal,
        &institution,
        fy,
        &key,
        report.get(),
        &body.decision,
        &body.note,
    )
    .await?;
    follow_up_response(&state, &principal, &institution, fy).await
}
