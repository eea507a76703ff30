//! Oversight over the API: a fiscal year's figures and the institution search.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use mamori_domain::oversight::{OversightKind, YearState};
use mamori_domain::{FiscalYear, Prefecture, Principal};
use mamori_store::{OversightFilter, StateCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use mamori_app as service;
use mamori_app::oversight::{ListQuery, Summary};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_summary))
        .routes(routes!(list_institutions))
        .routes(routes!(get_items_answered_no))
}

/// Institutions by where they stand with the year, and their overdue target dates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsJson {
    institutions: i64,
    not_started: i64,
    in_progress: i64,
    completed: i64,
    ready: i64,
    /// Target dates (対応目標日) past and not met.
    overdue_targets: i64,
    /// Institutions with at least one such date.
    institutions_with_overdue: i64,
    /// Open 指摘 of the year's inspections: notified 指導 not yet resolved.
    open_remarks: i64,
    /// Institutions with at least one open 指摘.
    institutions_with_open_remarks: i64,
    /// Devices in use with a high-severity flag, counted within seconds of a ledger change
    /// and again each day.
    flagged_devices: i64,
    institutions_with_flagged_devices: i64,
    /// Devices in use by flag.
    flags: FlagsJson,
}

/// Devices in use by flag.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagsJson {
    /// サポート終了
    end_of_support: i64,
    /// With a vulnerability in CISA's Known Exploited Vulnerabilities catalog.
    known_exploited: i64,
    /// VPN devices below a fixed version, or whose support has ended.
    vulnerable_vpn: i64,
}

impl From<&StateCounts> for CountsJson {
    fn from(c: &StateCounts) -> Self {
        CountsJson {
            institutions: c.institutions,
            not_started: c.not_started,
            in_progress: c.in_progress,
            completed: c.completed,
            ready: c.ready,
            overdue_targets: c.overdue_targets,
            institutions_with_overdue: c.institutions_with_overdue,
            open_remarks: c.open_remarks,
            institutions_with_open_remarks: c.institutions_with_open_remarks,
            flagged_devices: c.flagged_devices,
            institutions_with_flagged_devices: c.institutions_with_flagged_devices,
            flags: FlagsJson {
                end_of_support: c.end_of_support,
                known_exploited: c.known_exploited,
                vulnerable_vpn: c.vulnerable_vpn,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrefectureCountsJson {
    /// JIS X 0401 code, `01`–`47`.
    prefecture: String,
    #[serde(flatten)]
    counts: CountsJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryJson {
    fiscal_year: i32,
    /// The prefecture's code, or `all`.
    scope: String,
    #[serde(flatten)]
    total: CountsJson,
    /// By `hospital`, `clinic_with_beds`, `clinic_without_beds`, `dental_clinic`, `pharmacy`.
    by_kind: BTreeMap<String, CountsJson>,
    by_prefecture: Vec<PrefectureCountsJson>,
}

fn summary_json(s: &Summary) -> SummaryJson {
    SummaryJson {
        fiscal_year: s.fiscal_year.start_year(),
        scope: s.prefecture.map_or_else(|| "all".to_owned(), |p| p.code()),
        total: CountsJson::from(&s.total),
        by_kind: s
            .by_kind
            .iter()
            .map(|(k, c)| (k.as_str().to_owned(), CountsJson::from(c)))
            .collect(),
        by_prefecture: s
            .by_prefecture
            .iter()
            .map(|(p, c)| PrefectureCountsJson {
                prefecture: p.code(),
                counts: CountsJson::from(c),
            })
            .collect(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ScopeQuery {
    /// A prefecture's code (`13`); without it, the caller's whole scope.
    prefecture: Option<String>,
}

/// The caller, the fiscal year and the prefecture asked, once the caller may look at that
/// prefecture: who may look comes before what they asked for.
fn opening(
    state: &AppState,
    caller: &ApiUser,
    fiscal_year: &str,
    prefecture: Option<&str>,
) -> Result<(Principal, FiscalYear, Option<Prefecture>), AppError> {
    let principal = caller.user.principal();
    let prefecture = prefecture
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Prefecture::parse)
        .transpose()?;
    service::oversight::oversight_scope(&principal, prefecture)?;
    let fy = service::parse_fiscal_year(state, fiscal_year)?;
    Ok((principal, fy, prefecture))
}

/// A fiscal year's figures for the caller's scope (national office: every prefecture;
/// inspectors and prefecture officers: their own), or for one prefecture of it.
#[utoipa::path(get, path = "/api/v1/oversight/{fiscal_year}/summary", tag = "oversight", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path, description = "the year it starts in: 2026 for the fiscal year April 2026 to March 2027"), ScopeQuery),
    responses((status = 200, body = SummaryJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_summary(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
    Query(query): Query<ScopeQuery>,
) -> ApiResult<Json<SummaryJson>> {
    let (principal, fy, prefecture) =
        opening(&state, &caller, &fiscal_year, query.prefecture.as_deref())?;
    let summary = service::oversight::summary(&state, &principal, fy, prefecture).await?;
    Ok(Json(summary_json(&summary)))
}

/// The most items [`get_items_answered_no`] lists.
pub const ITEMS_ANSWERED_NO: i64 = 10;

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemAnsweredNoJson {
    /// The item's number as printed, e.g. `2(7)`.
    item: String,
    item_key: String,
    text_ja: String,
    text_en: String,
    /// Institutions that answered it いいえ in the first round.
    institutions: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsAnsweredNoJson {
    fiscal_year: i32,
    /// The prefecture's code, or `all`.
    scope: String,
    /// At most ten, most first.
    items: Vec<ItemAnsweredNoJson>,
}

/// The items most often answered いいえ in the first round (1回目) of a fiscal year, in the
/// caller's scope or one prefecture of it.
#[utoipa::path(get, path = "/api/v1/oversight/{fiscal_year}/items-answered-no", tag = "oversight", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path), ScopeQuery),
    responses((status = 200, body = ItemsAnsweredNoJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_items_answered_no(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
    Query(query): Query<ScopeQuery>,
) -> ApiResult<Json<ItemsAnsweredNoJson>> {
    let (principal, fy, prefecture) =
        opening(&state, &caller, &fiscal_year, query.prefecture.as_deref())?;
    let items = service::oversight::items_answered_no(
        &state,
        &principal,
        fy,
        prefecture,
        ITEMS_ANSWERED_NO,
    )
    .await?;
    let scope = match service::oversight::oversight_scope(&principal, prefecture)? {
        mamori_domain::InstitutionScope::Prefecture(p) => p.code(),
        _ => "all".to_owned(),
    };
    Ok(Json(ItemsAnsweredNoJson {
        fiscal_year: fy.start_year(),
        scope,
        items: items
            .into_iter()
            .map(|i| ItemAnsweredNoJson {
                item: i.item.number.clone(),
                item_key: i.item.key.clone(),
                text_ja: i.item.text_ja.clone(),
                text_en: i.item.text_en.clone(),
                institutions: i.institutions,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InstitutionQuery {
    /// Part of the name or the municipality (any width, hiragana or katakana), or a whole
    /// 医療機関コード or 全国地方公共団体コード.
    q: Option<String>,
    /// `hospital`, `clinic_with_beds`, `clinic_without_beds`, `dental_clinic` or `pharmacy`.
    kind: Option<String>,
    /// A prefecture's code (`13`).
    prefecture: Option<String>,
    /// `not_started`, `in_progress`, `completed` or `ready`.
    state: Option<String>,
    /// Only institutions with a target date past and not met.
    overdue: Option<bool>,
    /// Only institutions with a device in use with a high-severity flag.
    flagged: Option<bool>,
    /// A bed band: `0` (無床), `1-19`, `20-199`, `400-` (open-ended).
    beds: Option<String>,
    /// The year's security-assurance survey (確保事業): `answered` or `not_answered`.
    survey: Option<String>,
    /// `prefecture` (default), `name`, `beds`, `state` or `overdue`; `-` before it for
    /// descending.
    sort: Option<String>,
    /// 1–500, 50 by default.
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OversightInstitutionJson {
    id: i64,
    name: String,
    /// As oversight counts it: `hospital`, `clinic_with_beds`, `clinic_without_beds`,
    /// `dental_clinic` or `pharmacy`.
    kind: String,
    prefecture: String,
    municipality: String,
    beds: i64,
    medical_institution_code: Option<String>,
    /// `not_started`, `in_progress`, `completed` or `ready`.
    state: String,
    overdue_targets: i64,
    /// Devices in use with a high-severity flag.
    flagged_devices: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionListJson {
    total: i64,
    items: Vec<OversightInstitutionJson>,
}

/// The institutions of the caller's scope the query finds, one page of them.
#[utoipa::path(get, path = "/api/v1/oversight/{fiscal_year}/institutions", tag = "oversight", security(("bearer" = [])),
    params(("fiscal_year" = i32, Path, description = "the year it starts in: 2026 for the fiscal year April 2026 to March 2027"), InstitutionQuery),
    responses((status = 200, body = InstitutionListJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_institutions(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(fiscal_year): Path<String>,
    Query(query): Query<InstitutionQuery>,
) -> ApiResult<Json<InstitutionListJson>> {
    let (principal, fy, prefecture) =
        opening(&state, &caller, &fiscal_year, query.prefecture.as_deref())?;
    let (sort, descending) = match query.sort.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => service::oversight::parse_sort(text)?,
        _ => Default::default(),
    };
    let list = ListQuery {
        prefecture,
        filter: OversightFilter {
            query: query.q.clone(),
            kind: query
                .kind
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(OversightKind::parse)
                .transpose()?,
            state: query
                .state
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(YearState::parse)
                .transpose()?,
            overdue_only: query.overdue.unwrap_or(false),
            flagged_only: query.flagged.unwrap_or(false),
            beds: query
                .beds
                .as_deref()
                .filter(|b| !b.is_empty())
                .map(service::oversight::parse_bed_band)
                .transpose()?,
            survey_answered: query
                .survey
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(service::oversight::parse_survey)
                .transpose()?,
        },
        sort,
        descending,
        limit: query.limit,
        offset: query.offset,
    };
    let page = service::oversight::institutions(&state, &principal, fy, &list).await?;
    Ok(Json(InstitutionListJson {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|r| OversightInstitutionJson {
                id: r.id,
                name: r.name,
                kind: r.kind,
                prefecture: r.prefecture,
                municipality: r.municipality_name,
                beds: r.beds,
                medical_institution_code: r.medical_institution_code,
                state: r.state,
                overdue_targets: r.overdue_targets,
                flagged_devices: r.flagged_devices,
            })
            .collect(),
    }))
}
