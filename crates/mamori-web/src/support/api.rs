//! The support menu (支援メニュー), subsidy estimates and the suggestions for an institution:
//! the JSON API and what the pages share with it. The menus are catalog data
//! (`catalog/support/`), the rules are `mamori_domain::support`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::device::{DeviceKind, DeviceStatus};
use mamori_domain::device_risk::Flag;
use mamori_domain::support::{
    self, Estimate, EstimateError, EstimateInput, GapCode, GapFacts, Region, SupportProgram,
};
use mamori_domain::text::fold::{fold, is_dash_or_long_vowel};
use mamori_domain::{Answer, FiscalYear, InstitutionKind, Prefecture};
use mamori_store::{Institution, StoredDevice};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::api::{Opening, Visible};
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Lang;
use crate::http::i18n::Message;
use mamori_app as service;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(support_programs))
        .routes(routes!(subsidy_estimate))
        .routes(routes!(institution_suggestions))
}

/// A query string that cannot be read (a value given twice, bad percent-encoding).
pub fn query_rejection(rejection: &QueryRejection) -> AppError {
    let detail = rejection.body_text();
    AppError::rejected(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidQuery,
        Message::new("errors-invalid-query").with("detail", detail),
    )
}

fn estimate_error(e: EstimateError) -> AppError {
    AppError::rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::of_rule(e.code.as_str()),
        e.message,
    )
}

/// The fiscal year the menu is shown for: the pages' current year, else the newest menu.
pub fn default_fiscal_year(state: &AppState) -> FiscalYear {
    let current = service::current_fiscal_year(state);
    let years = state.catalog.support.fiscal_years();
    if years.contains(&current) || years.is_empty() {
        current
    } else {
        years[0]
    }
}

/// The fiscal year of the checklist the suggestions read: the pages' current year.
pub fn checklist_year(state: &AppState) -> FiscalYear {
    service::current_fiscal_year(state)
}

fn missing(field: &'static str, what: &'static str) -> AppError {
    AppError::rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::MissingParameter,
        Message::new("errors-missing-parameter")
            .with("what", Message::new(what))
            .with("field", field),
    )
}

/// A parameter's text, when one is given: a blank one counts as none.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

pub fn parse_fiscal_year(text: Option<&str>) -> Result<Option<FiscalYear>, AppError> {
    Ok(given(text).map(FiscalYear::parse).transpose()?)
}

pub fn parse_prefecture(text: Option<&str>) -> Result<Option<Prefecture>, AppError> {
    Ok(given(text).map(Prefecture::parse).transpose()?)
}

/// A parameter naming one of a closed set, when given: an unknown name is refused with
/// `code` and `message` (which takes the text as `t`).
fn parse_named<T>(
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    code: ErrorCode,
    message: &'static str,
) -> Result<Option<T>, AppError> {
    given(text)
        .map(|t| {
            parse(t).ok_or_else(|| {
                AppError::rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    Message::new(message).with("t", t.to_owned()),
                )
            })
        })
        .transpose()
}

/// A whole number typed by a person: `30000000`, `30,000,000`, full-width digits, a trailing 円 or 床.
pub fn parse_whole(text: &str, field: &'static str, what: &'static str) -> Result<i64, AppError> {
    let folded = fold(text.trim());
    let cleaned: String = folded
        .trim_end_matches(['円', '床'])
        .chars()
        .filter(|c| !matches!(c, ',' | ' '))
        .map(|c| if is_dash_or_long_vowel(c) { '-' } else { c })
        .collect();
    let ok = !cleaned.is_empty()
        && cleaned
            .strip_prefix('-')
            .unwrap_or(&cleaned)
            .chars()
            .all(|c| c.is_ascii_digit());
    let value = if ok {
        cleaned.parse::<i64>().ok()
    } else {
        None
    };
    value.ok_or_else(|| {
        AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotAWholeNumber,
            Message::new("errors-not-a-whole-number")
                .with("what", Message::new(what))
                .with("field", field)
                .with("text", text),
        )
    })
}

// ----- JSON shapes -------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct StandardAmountJson {
    /// Institution kinds of the row: hospital, clinic_with_beds, clinic_without_beds, pharmacy.
    kinds: Vec<String>,
    min_beds: Option<i32>,
    max_beds: Option<i32>,
    /// 基準額 in yen.
    amount: i64,
    label_ja: String,
    label_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct RateJson {
    key: String,
    label_ja: String,
    label_en: String,
    /// An exact fraction, e.g. `1/2`.
    rate: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubsidyJson {
    standard_amounts: Vec<StandardAmountJson>,
    rates: Vec<RateJson>,
    /// `floor_1000` (千円未満切り捨て) or `floor_1` (1円未満切り捨て).
    rounding: String,
    rounding_ja: String,
    rounding_en: String,
    rounding_source_ja: String,
    rounding_source_en: String,
    min_amount: Option<i64>,
    max_amount: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgramJson {
    id: String,
    /// `national` or the JIS X 0401 code of the prefecture.
    region: String,
    fiscal_year: i32,
    name_ja: String,
    name_en: String,
    /// `know` (知る), `grow` (育てる) or `check` (確認する).
    phase: String,
    phase_ja: String,
    phase_en: String,
    /// `prefecture`, `national`, `police` or `meti`.
    provider: String,
    provider_name_ja: String,
    provider_name_en: String,
    covers_ja: String,
    covers_en: String,
    who_ja: String,
    who_en: String,
    eligible_kinds: Vec<String>,
    amount_ja: String,
    amount_en: String,
    /// `YYYY-MM-DD` when the source gives one.
    deadline: Option<String>,
    deadline_note_ja: String,
    deadline_note_en: String,
    /// `open`, `closed`, `upcoming` or `ongoing`.
    status: String,
    status_ja: String,
    status_en: String,
    status_note_ja: String,
    status_note_en: String,
    url: String,
    eligible_items_ja: Vec<String>,
    eligible_items_en: Vec<String>,
    answers_gaps: Vec<String>,
    subsidy: Option<SubsidyJson>,
}

pub fn program_json(region: Region, fiscal_year: FiscalYear, p: &SupportProgram) -> ProgramJson {
    ProgramJson {
        id: p.id.clone(),
        region: region.code(),
        fiscal_year: fiscal_year.start_year(),
        name_ja: p.name_ja.clone(),
        name_en: p.name_en.clone(),
        phase: p.phase.as_str().into(),
        phase_ja: p.phase.label_ja().into(),
        phase_en: p.phase.label_en().into(),
        provider: p.provider.as_str().into(),
        provider_name_ja: p.provider_name_ja.clone(),
        provider_name_en: p.provider_name_en.clone(),
        covers_ja: p.covers_ja.clone(),
        covers_en: p.covers_en.clone(),
        who_ja: p.who_ja.clone(),
        who_en: p.who_en.clone(),
        eligible_kinds: p.eligible_kinds.iter().map(|k| k.as_str().into()).collect(),
        amount_ja: p.amount_ja.clone(),
        amount_en: p.amount_en.clone(),
        deadline: p.deadline.map(|d| d.to_string()),
        deadline_note_ja: p.deadline_note_ja.clone(),
        deadline_note_en: p.deadline_note_en.clone(),
        status: p.status.as_str().into(),
        status_ja: p.status.label_ja().into(),
        status_en: p.status.label_en().into(),
        status_note_ja: p.status_note_ja.clone(),
        status_note_en: p.status_note_en.clone(),
        url: p.url.clone(),
        eligible_items_ja: p.eligible_items_ja.clone(),
        eligible_items_en: p.eligible_items_en.clone(),
        answers_gaps: p.answers_gaps.iter().map(|g| g.as_str().into()).collect(),
        subsidy: p.subsidy.as_ref().map(|s| SubsidyJson {
            standard_amounts: s
                .standard_amounts
                .iter()
                .map(|r| StandardAmountJson {
                    kinds: r.kinds.iter().map(|k| k.as_str().into()).collect(),
                    min_beds: r.min_beds,
                    max_beds: r.max_beds,
                    amount: r.amount,
                    label_ja: r.label_ja.clone(),
                    label_en: r.label_en.clone(),
                })
                .collect(),
            rates: s
                .rates
                .iter()
                .map(|r| RateJson {
                    key: r.key.clone(),
                    label_ja: r.label_ja.clone(),
                    label_en: r.label_en.clone(),
                    rate: r.rate.to_string(),
                })
                .collect(),
            rounding: s.rounding.as_str().into(),
            rounding_ja: s.rounding.label_ja().into(),
            rounding_en: s.rounding.label_en().into(),
            rounding_source_ja: s.rounding_source_ja.clone(),
            rounding_source_en: s.rounding_source_en.clone(),
            min_amount: s.min_amount,
            max_amount: s.max_amount,
        }),
    }
}

#[derive(Serialize, ToSchema)]
pub struct MenuJson {
    region: String,
    fiscal_year: i32,
    title_ja: String,
    title_en: String,
    sources: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SupportProgramsJson {
    fiscal_year: i32,
    /// The prefecture asked for; absent: every region.
    prefecture: Option<String>,
    /// The fiscal years that have a menu, newest first.
    fiscal_years: Vec<i32>,
    menus: Vec<MenuJson>,
    programs: Vec<ProgramJson>,
}

#[derive(Deserialize, IntoParams)]
pub struct ProgramsQuery {
    /// JIS X 0401 code, e.g. `13`: that prefecture's programmes and the national ones.
    /// Absent: every region.
    prefecture: Option<String>,
    /// 年度 by its starting year, e.g. `2026`. Absent: the current fiscal year.
    fiscal_year: Option<String>,
    /// `know`, `grow` or `check`.
    phase: Option<String>,
    /// `prefecture`, `national`, `police` or `meti`.
    provider: Option<String>,
}

/// The filters of the menu, parsed.
pub struct MenuFilter {
    pub prefecture: Option<Prefecture>,
    pub fiscal_year: FiscalYear,
    pub phase: Option<support::Phase>,
    pub provider: Option<support::Provider>,
}

pub fn menu_filter(
    state: &AppState,
    prefecture: Option<&str>,
    fiscal_year: Option<&str>,
    phase: Option<&str>,
    provider: Option<&str>,
) -> Result<MenuFilter, AppError> {
    let phase = parse_named(
        phase,
        support::Phase::parse,
        ErrorCode::InvalidPhase,
        "errors-invalid-phase",
    )?;
    let provider = parse_named(
        provider,
        support::Provider::parse,
        ErrorCode::InvalidProvider,
        "errors-invalid-provider",
    )?;
    Ok(MenuFilter {
        prefecture: parse_prefecture(prefecture)?,
        fiscal_year: parse_fiscal_year(fiscal_year)?.unwrap_or_else(|| default_fiscal_year(state)),
        phase,
        provider,
    })
}

/// The programmes the filter selects, with their region.
pub fn filtered<'a>(state: &'a AppState, f: &MenuFilter) -> Vec<(Region, &'a SupportProgram)> {
    state
        .catalog
        .support
        .programs(f.prefecture, f.fiscal_year)
        .into_iter()
        .filter(|(_, p)| f.phase.is_none_or(|x| p.phase == x))
        .filter(|(_, p)| f.provider.is_none_or(|x| p.provider == x))
        .collect()
}

/// The support programmes of a prefecture (and the national ones) in a fiscal year. No login.
#[utoipa::path(get, path = "/api/v1/support-programs", tag = "support", params(ProgramsQuery),
    responses((status = 200, body = SupportProgramsJson), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn support_programs(
    State(state): State<AppState>,
    query: Result<Query<ProgramsQuery>, QueryRejection>,
) -> ApiResult<Json<SupportProgramsJson>> {
    let Query(q) = query.map_err(|r| query_rejection(&r))?;
    let f = menu_filter(
        &state,
        q.prefecture.as_deref(),
        q.fiscal_year.as_deref(),
        q.phase.as_deref(),
        q.provider.as_deref(),
    )?;
    let support = &state.catalog.support;
    Ok(Json(SupportProgramsJson {
        fiscal_year: f.fiscal_year.start_year(),
        prefecture: f.prefecture.map(Prefecture::code),
        fiscal_years: support
            .fiscal_years()
            .iter()
            .map(|y| y.start_year())
            .collect(),
        menus: support
            .menus
            .iter()
            .filter(|m| m.fiscal_year == f.fiscal_year)
            .filter(|m| f.prefecture.is_none_or(|p| m.region.serves(p)))
            .map(|m| MenuJson {
                region: m.region.code(),
                fiscal_year: m.fiscal_year.start_year(),
                title_ja: m.title_ja.clone(),
                title_en: m.title_en.clone(),
                sources: m.sources.clone(),
            })
            .collect(),
        programs: filtered(&state, &f)
            .into_iter()
            .map(|(r, p)| program_json(r, f.fiscal_year, p))
            .collect(),
    }))
}

// ----- estimate ----------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct EstimateQuery {
    /// The programme's id, e.g. `tokyo-cybersecurity-equipment`.
    #[param(required = true)]
    program: Option<String>,
    /// `hospital`, `clinic_with_beds`, `clinic_without_beds` or `pharmacy`.
    #[param(required = true)]
    kind: Option<String>,
    /// 許可病床数 (0 for a clinic without beds and a pharmacy).
    #[param(required = true, value_type = i32)]
    beds: Option<String>,
    /// 対象経費: the planned cost in yen.
    #[param(required = true, value_type = i64)]
    cost: Option<String>,
    /// The rate option of a programme with several (e.g. `small_business`, `sme`).
    rate_option: Option<String>,
    /// 年度 of the menu; absent: the latest that has the programme.
    #[param(value_type = Option<i32>)]
    fiscal_year: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EstimateJson {
    program: String,
    program_name_ja: String,
    program_name_en: String,
    fiscal_year: i32,
    kind: String,
    beds: i32,
    cost: i64,
    /// 基準額 of the row that applies; null for a programme without a table.
    standard_amount: Option<i64>,
    standard_label_ja: Option<String>,
    standard_label_en: Option<String>,
    /// The lower of 基準額 and the cost.
    base_amount: i64,
    /// An exact fraction, e.g. `1/2`.
    rate: String,
    rate_option: String,
    before_rounding: i64,
    /// `floor_1000` (千円未満切り捨て) or `floor_1` (1円未満切り捨て).
    rounding: String,
    rounding_ja: String,
    rounding_en: String,
    /// Where the rounding comes from.
    rounding_source_ja: String,
    rounding_source_en: String,
    min_amount: Option<i64>,
    max_amount: Option<i64>,
    capped: bool,
    below_minimum: bool,
    estimate: i64,
    formula_ja: String,
    formula_en: String,
    eligible_items_ja: Vec<String>,
    eligible_items_en: Vec<String>,
}

/// The inputs of an estimate as typed (a form or a query string).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EstimateFields {
    pub kind: Option<String>,
    pub beds: Option<String>,
    pub cost: Option<String>,
    pub rate_option: Option<String>,
}

/// Parses the typed inputs and estimates.
pub fn run_estimate(
    program: &SupportProgram,
    fields: &EstimateFields,
) -> Result<(EstimateInput, Estimate), AppError> {
    let nonempty = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let kind = nonempty(&fields.kind).ok_or_else(|| missing("kind", "support-field-kind"))?;
    let kind = InstitutionKind::parse(&kind)?;
    let beds = match nonempty(&fields.beds) {
        // A clinic without beds and a pharmacy need not type 0.
        None if matches!(
            kind,
            InstitutionKind::ClinicWithoutBeds | InstitutionKind::Pharmacy
        ) =>
        {
            0
        }
        None => return Err(missing("beds", "support-field-beds")),
        Some(t) => parse_whole(&t, "beds", "support-field-beds")?,
    };
    let cost = nonempty(&fields.cost).ok_or_else(|| missing("cost", "support-field-cost"))?;
    let cost = parse_whole(&cost, "cost", "support-field-cost")?;
    let beds = i32::try_from(beds).map_err(|_| {
        AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BedsOutOfRange,
            Message::new("errors-beds-out-of-range")
                .with("beds", beds)
                .with("max_beds", support::MAX_BEDS),
        )
    })?;
    let input = EstimateInput {
        kind,
        beds,
        cost,
        rate_option: nonempty(&fields.rate_option),
    };
    let estimate = support::estimate(program, &input).map_err(estimate_error)?;
    Ok((input, estimate))
}

pub fn find_program<'a>(
    state: &'a AppState,
    id: &str,
    fiscal_year: Option<FiscalYear>,
) -> Result<(&'a mamori_domain::support::SupportMenu, &'a SupportProgram), AppError> {
    state
        .catalog
        .support
        .program(id, fiscal_year)
        .ok_or_else(|| {
            AppError::rejected(
                StatusCode::NOT_FOUND,
                ErrorCode::ProgramNotFound,
                Message::new("errors-program-not-found").with("id", id),
            )
        })
}

/// Estimates a subsidy: the lower of 基準額 and the planned cost, times the rate, with the
/// programme's rounding and limits; the formula says how. No login.
#[utoipa::path(get, path = "/api/v1/subsidy-estimate", tag = "support", params(EstimateQuery),
    responses((status = 200, body = EstimateJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subsidy_estimate(
    State(state): State<AppState>,
    query: Result<Query<EstimateQuery>, QueryRejection>,
) -> ApiResult<Json<EstimateJson>> {
    let Query(q) = query.map_err(|r| query_rejection(&r))?;
    let id = q
        .program
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing("program", "support-field-program"))?;
    let fy = parse_fiscal_year(q.fiscal_year.as_deref())?;
    let (menu, program) = find_program(&state, id, fy)?;
    let fields = EstimateFields {
        kind: q.kind,
        beds: q.beds,
        cost: q.cost,
        rate_option: q.rate_option,
    };
    let (input, e) = run_estimate(program, &fields)?;
    let (source_ja, source_en) = program
        .subsidy
        .as_ref()
        .map(|s| (s.rounding_source_ja.clone(), s.rounding_source_en.clone()))
        .unwrap_or_default();
    Ok(Json(EstimateJson {
        program: program.id.clone(),
        program_name_ja: program.name_ja.clone(),
        program_name_en: program.name_en.clone(),
        fiscal_year: menu.fiscal_year.start_year(),
        kind: input.kind.as_str().into(),
        beds: input.beds,
        cost: input.cost,
        standard_amount: e.standard_amount,
        standard_label_ja: e.standard_label_ja,
        standard_label_en: e.standard_label_en,
        base_amount: e.base_amount,
        rate: e.rate.to_string(),
        rate_option: e.rate_option,
        before_rounding: e.before_rounding,
        rounding: e.rounding.as_str().into(),
        rounding_ja: e.rounding.label_ja().into(),
        rounding_en: e.rounding.label_en().into(),
        rounding_source_ja: source_ja,
        rounding_source_en: source_en,
        min_amount: e.min_amount,
        max_amount: e.max_amount,
        capped: e.capped,
        below_minimum: e.below_minimum,
        estimate: e.estimate,
        formula_ja: e.formula_ja,
        formula_en: e.formula_en,
        eligible_items_ja: program.eligible_items_ja.clone(),
        eligible_items_en: program.eligible_items_en.clone(),
    }))
}

// ----- suggestions -------------------------------------------------------------------------

#[derive(Serialize, ToSchema, Clone)]
pub struct ProgramRefJson {
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    pub provider_name_ja: String,
    pub provider_name_en: String,
    pub status: String,
    pub status_ja: String,
    pub status_en: String,
    pub url: String,
    /// mamori's page of the programme (with the estimator for a subsidy).
    pub page: String,
    pub has_estimate: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LinkJson {
    pub href: String,
    pub label_ja: String,
    pub label_en: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SuggestionJson {
    /// `no_offline_backup`, `training_items_no` or `vpn_device_flagged`.
    pub gap: String,
    pub title_ja: String,
    pub title_en: String,
    /// What in the institution's records shows the gap.
    pub detail_ja: String,
    pub detail_en: String,
    pub programs: Vec<ProgramRefJson>,
    /// Where in mamori to act on it.
    pub links: Vec<LinkJson>,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionsJson {
    institution_id: i64,
    fiscal_year: i32,
    /// The checklist items counted as training-related, and why.
    training_related_items: Vec<String>,
    training_related_reason_ja: String,
    training_related_reason_en: String,
    suggestions: Vec<SuggestionJson>,
}

/// Gathers the institution's gaps from its backup records, its checklist answers of the
/// fiscal year and its ledger, and matches them to the menus of its prefecture.
pub async fn suggestions(
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> Result<Vec<SuggestionJson>, AppError> {
    let (devices, flags) = crate::ledger::api::flagged_devices(state, institution.id).await?;
    suggestions_from(state, institution, fiscal_year, None, &devices, &flags).await
}

/// [`suggestions`] from what the caller has already read: the ledger with its flags, and
/// the assessment of `fiscal_year` if it has one (read here otherwise), so that a page that
/// shows them too does not read them twice.
pub async fn suggestions_from(
    state: &AppState,
    institution: &Institution,
    fiscal_year: FiscalYear,
    assessment: Option<&service::Assessment<'_>>,
    devices: &[StoredDevice],
    flags: &[std::sync::Arc<[Flag]>],
) -> Result<Vec<SuggestionJson>, AppError> {
    let mut facts = GapFacts::default();
    let (records, _) = crate::contact_chart::api::stored_continuity(state, institution.id).await?;
    facts.has_backup_records = !records.backups.is_empty();
    facts.backups_without_offline = records
        .backups
        .iter()
        .filter(|b| !b.has_offline_copy())
        .map(|b| (b.subject_ja(), b.subject_en()))
        .collect();
    if let Some(training) = &state.catalog.support.training_related
        && service::version_and_rules(state, institution, fiscal_year).is_ok()
    {
        let read;
        let a = match assessment.filter(|a| a.fiscal_year == fiscal_year) {
            Some(a) => a,
            None => {
                read = service::assessment(state, institution.clone(), fiscal_year).await?;
                &read
            }
        };
        for item in &a.items {
            let no = item
                .answers
                .latest()
                .is_some_and(|x| x.answer == Answer::No);
            if no
                && item.item.role.is_some_and(|r| training.roles.contains(&r))
                && !facts.training_items_no.contains(&item.item.number)
            {
                facts.training_items_no.push(item.item.number.clone());
            }
        }
    }
    for (d, f) in devices.iter().zip(flags.iter()) {
        let vpn = d.device.kind == Some(DeviceKind::Vpn);
        let mut codes: Vec<&'static str> = Vec::new();
        for flag in f.iter() {
            let code = flag.code.as_str();
            if flag.severity >= mamori_domain::device_risk::FlagSeverity::Medium
                && !codes.contains(&code)
            {
                codes.push(code);
            }
        }
        if vpn && d.device.status != DeviceStatus::Retired && !codes.is_empty() {
            let labels = |lang: Lang| codes.iter().map(|c| lang.t(&format!("flag-{c}"))).collect();
            facts.flagged_vpn_devices.push((
                d.device.asset_number.to_string(),
                labels(Lang::Ja),
                labels(Lang::En),
            ));
        }
    }
    let menu_year = if state.catalog.support.fiscal_years().contains(&fiscal_year) {
        fiscal_year
    } else {
        default_fiscal_year(state)
    };
    let programs: Vec<&SupportProgram> = state
        .catalog
        .support
        .programs(Some(institution.prefecture), menu_year)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let id = institution.id;
    Ok(support::suggest(&facts, institution.kind, &programs)
        .into_iter()
        .map(|s| SuggestionJson {
            gap: s.gap.as_str().into(),
            title_ja: s.gap.title_ja().into(),
            title_en: s.gap.title_en().into(),
            detail_ja: s.detail_ja,
            detail_en: s.detail_en,
            programs: s
                .programs
                .iter()
                .map(|p| ProgramRefJson {
                    id: p.id.clone(),
                    name_ja: p.name_ja.clone(),
                    name_en: p.name_en.clone(),
                    provider_name_ja: p.provider_name_ja.clone(),
                    provider_name_en: p.provider_name_en.clone(),
                    status: p.status.as_str().into(),
                    status_ja: p.status.label_ja().into(),
                    status_en: p.status.label_en().into(),
                    url: p.url.clone(),
                    page: format!("/support/programs/{}", p.id),
                    has_estimate: p.subsidy.is_some(),
                })
                .collect(),
            links: gap_links(s.gap, id),
        })
        .collect())
}

fn gap_links(gap: GapCode, id: i64) -> Vec<LinkJson> {
    // The label goes out in both languages: the API's readers choose.
    let link = |href: String, key: &str| LinkJson {
        href,
        label_ja: Lang::Ja.t(key),
        label_en: Lang::En.t(key),
    };
    match gap {
        GapCode::NoOfflineBackup => vec![link(
            format!("/institutions/{id}/continuity"),
            "support-link-continuity",
        )],
        GapCode::TrainingItemsNo => vec![link("/training".into(), "support-link-training")],
        GapCode::VpnDeviceFlagged => vec![link(
            format!("/institutions/{id}/ledger"),
            "support-link-ledger-vpn",
        )],
    }
}

/// The support programmes that fit the institution and the gap each answers: no offline
/// backup, いいえ on training-related checklist items, flagged VPN devices in its ledger.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/suggestions", tag = "support", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SuggestionsJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn institution_suggestions(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
) -> ApiResult<Json<SuggestionsJson>> {
    service::record_read(&state, &principal, institution.id, "suggestions").await?;
    let fy = checklist_year(&state);
    let training = state.catalog.support.training_related.clone();
    // The numbers as printed in the year's version of the institution's form (else the
    // newest version of it).
    let form = institution.kind.form();
    let version = state.catalog.version_for(fy, form).or_else(|| {
        let newest = *state.catalog.fiscal_years().first()?;
        state.catalog.version_for(newest, form)
    });
    Ok(Json(SuggestionsJson {
        institution_id: institution.id,
        fiscal_year: fy.start_year(),
        training_related_items: training
            .as_ref()
            .zip(version)
            .map(|(t, v)| t.item_numbers(v))
            .unwrap_or_default(),
        training_related_reason_ja: training
            .as_ref()
            .map(|t| t.reason_ja.clone())
            .unwrap_or_default(),
        training_related_reason_en: training.map(|t| t.reason_en).unwrap_or_default(),
        suggestions: suggestions(&state, &institution, fy).await?,
    }))
}
