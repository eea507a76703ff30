//! The caller's notifications on the API: the list (newest first) and marking one read.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::both;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::ids::{Ids, NotificationId};
use mamori_app as service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `true`: the unread ones only.
    unread: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationJson {
    id: i64,
    /// Why it was sent: `target_in_30_days`, `target_in_7_days`, `target_today`,
    /// `target_overdue`, `inspection_scheduled`, `improvement_reports_awaited`,
    /// `incident_reported` (to the desk),
    /// `incident_reply` (the desk's answer, to the institution), `survey_due_in_14_days`,
    /// `survey_due_in_3_days`, `survey_reminder` (the prefecture's request),
    /// `survey_result` (the 確保事業 selection, when the prefecture submits),
    /// `vendor_invitation_unaccepted`, `training_place_taken`, `training_seat_opened`,
    /// `training_session_changed`, `training_session_withdrawn`, `training_tomorrow`,
    /// `survey_closed_for_officer`, `vendor_form_due` (to the vendor), `vendor_form_awaited`,
    /// `second_check_due` (2回目 not recorded before an inspection), `mds_sds_due` (to the
    /// vendor), `mds_sds_awaited`, `restore_test_due` (3(2), a year since the last restore
    /// test), `device_support_ending` (90 days ahead), `evidence_stale` (an item's evidence
    /// past its end, or a year old without one).
    kind: String,
    title_ja: String,
    title_en: String,
    /// Where to act (a path of this server), if anywhere.
    link: Option<String>,
    /// RFC 3339, UTC.
    created_at: String,
    /// When it was first read (RFC 3339, UTC); `null` while unread.
    read_at: Option<String>,
}

/// The caller's notifications, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = Vec<NotificationJson>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<NotificationJson>>> {
    let list = service::notifications::notifications(
        &state,
        caller.user.id,
        query.unread.unwrap_or(false),
    )
    .await?;
    Ok(Json(
        list.into_iter()
            .map(|n| {
                let (title_ja, title_en) = both(&n.title);
                NotificationJson {
                    id: n.id,
                    kind: n.rule.as_str().to_owned(),
                    title_ja,
                    title_en,
                    link: n.link,
                    created_at: n.created_at,
                    read_at: n.read_at,
                }
            })
            .collect(),
    ))
}

/// Marks one of the caller's notifications read; another user's is not found.
#[utoipa::path(post, path = "/api/v1/notifications/{notification_id}/read", tag = "notifications", security(("bearer" = [])),
    params(("notification_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_notification(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids(id): Ids<NotificationId>,
) -> ApiResult<StatusCode> {
    service::notifications::mark_read(&state, caller.user.id, id.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}
