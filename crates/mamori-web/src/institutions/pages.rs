//! The institution list, an institution's page (years, users), and the forms that create
//! and edit an institution and add its users.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use mamori_domain::{FiscalYear, InstitutionKind, ItemStatus, Prefecture, Role, Severity};
use mamori_store::{Institution, NewInstitution};
use serde::Deserialize;

use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::ids::{Ids, InstitutionId};
use crate::http::page::SignedIn;
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app as service;

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions", institutions)
        .post("/institutions", create_institution)
        .get("/institutions/new", new_institution)
        .get("/institutions/{id}", institution_page)
        .get("/institutions/{id}/edit", edit_institution)
        .post("/institutions/{id}/edit", update_institution)
        .post("/institutions/{id}/users", add_institution_user)
}

// ----- institutions ----------------------------------------------------------------------

pub struct InstitutionRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub prefecture: String,
    pub beds: i64,
    pub form: String,
    pub answered: i64,
    pub required: usize,
    pub no_answers: i64,
    pub has_system: bool,
}

#[derive(Template)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    chrome: Chrome,
    fiscal_year_label: String,
    fiscal_year: i32,
    rows: Vec<InstitutionRow>,
    total: i64,
    page: i64,
    pages: i64,
    can_create: bool,
    scope_label: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

fn required_count(state: &AppState, institution: &Institution, fy: FiscalYear) -> usize {
    service::version_and_rules(state, institution, fy)
        .map(|(v, _)| {
            let profile = institution.profile();
            v.items
                .iter()
                .filter(|i| v.status_of(i, fy, &profile) == ItemStatus::Required)
                .count()
        })
        .unwrap_or(0)
}

async fn institutions(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    if let Some(id) = principal.institution_id {
        return Ok(redirect(&format!("/institutions/{id}")));
    }
    let scope = principal.institution_scope();
    let total = state.store.count_institutions(scope).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let list = state
        .store
        .list_institutions(scope, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    let fy = service::current_fiscal_year(&state);
    let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
    let counts = state.store.answer_counts(&ids, fy).await?;
    let rows = list
        .iter()
        .map(|i| {
            let c = counts
                .get(&i.id)
                .copied()
                .unwrap_or(mamori_store::InstitutionCounts {
                    first_answers: 0,
                    no_answers: 0,
                });
            InstitutionRow {
                id: i.id,
                name: i.name.clone(),
                kind: kind_label(lang, i.kind),
                prefecture: prefecture_label(lang, i.prefecture),
                beds: i.beds,
                form: lang
                    .pick(i.kind.form().label_ja(), i.kind.form().label_en())
                    .to_owned(),
                answered: c.first_answers,
                required: required_count(&state, i, fy),
                no_answers: c.no_answers,
                has_system: i.has_medical_information_system,
            }
        })
        .collect();
    let scope_label = match (user.user().role, user.user().prefecture) {
        (Role::Inspector, Some(p)) => prefecture_label(lang, p),
        _ => lang.t("scope-all"),
    };
    let page_view = InstitutionsPage {
        chrome: Chrome::new(&ctx, Some(&user), lang.t("institutions-title")),
        fiscal_year_label: fy_label(lang, fy),
        fiscal_year: fy.start_year(),
        rows,
        total,
        page,
        pages,
        can_create: principal.can_create_institutions(),
        scope_label,
    };
    Ok(render(StatusCode::OK, &page_view))
}

pub struct YearRow {
    pub fiscal_year: i32,
    pub label: String,
    pub version_label: String,
    pub answered: usize,
    pub required: usize,
    pub percent: u32,
    pub ready: bool,
    pub blocking: usize,
}

pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub last_login: String,
    pub disabled: bool,
    pub two_factor: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "institution.html")]
struct InstitutionPage {
    chrome: Chrome,
    id: i64,
    name: String,
    kind: String,
    prefecture: String,
    beds: i64,
    code: String,
    has_system: bool,
    has_vendors: bool,
    form: String,
    years: Vec<YearRow>,
    can_administer: bool,
    users: Vec<UserRow>,
    unused: Vec<UserRow>,
    unused_days: i64,
    require_two_factor: bool,
    error: Option<String>,
    notice: Option<String>,
    ledger: crate::ledger::pages::LedgerSummaryView,
    suggestions: Vec<crate::support::pages::SuggestionView>,
}

async fn institution_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(id): Ids<InstitutionId>,
) -> PageResult {
    institution_view(&state, &ctx, &user, id, None, None, StatusCode::OK).await
}

async fn institution_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = page_institution(state, &principal, id).await?;
    let mut years = Vec::new();
    // The suggestions below look at this year's answers: keep its assessment for them.
    let suggestion_year = crate::support::api::checklist_year(state);
    let mut suggestion_assessment = None;
    for &fy in state.catalog.fiscal_years() {
        let a = service::assessment(state, institution.clone(), fy).await?;
        years.push(YearRow {
            fiscal_year: fy.start_year(),
            label: fy_label(lang, fy),
            version_label: lang
                .pick(&a.version.version_label_ja, &a.version.version_label_en)
                .to_owned(),
            answered: a.progress.answered,
            required: a.progress.required,
            percent: a.progress.percent(),
            ready: a.verdict.ready,
            blocking: a
                .verdict
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Blocking)
                .count(),
        });
        if fy == suggestion_year {
            suggestion_assessment = Some(a);
        }
    }
    let can_administer = principal.can_administer(institution.id);
    let me = user.user().id;
    let user_row = |u: mamori_store::User| UserRow {
        id: u.id,
        role: lang.pick(u.role.label_ja(), u.role.label_en()).to_owned(),
        last_login: u
            .last_login_at
            .map(|t| t.chars().take(16).collect::<String>().replace('T', " "))
            .unwrap_or_else(|| "—".into()),
        disabled: u.disabled,
        two_factor: u.totp_enabled,
        is_self: u.id == me,
        login: u.login,
    };
    let (users, unused, require_two_factor) = if can_administer {
        let users = state.store.users_of_institution(institution.id).await?;
        let unused = crate::account::pages::unused_accounts(state, Some(institution.id)).await?;
        (
            users.into_iter().map(&user_row).collect(),
            unused.into_iter().map(&user_row).collect(),
            state.store.requires_two_factor(institution.id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), false)
    };
    service::record_read(state, &principal, institution.id, "profile").await?;
    // The ledger is read and flagged once for its summary and the suggestions.
    let (devices, flags) = crate::ledger::api::flagged_devices(state, institution.id).await?;
    let ledger = crate::ledger::pages::ledger_summary(lang, &devices, &flags, 5);
    let suggestions = crate::support::pages::suggestion_views(
        state,
        lang,
        &institution,
        suggestion_assessment.as_ref(),
        &devices,
        &flags,
    )
    .await?;
    let page = InstitutionPage {
        ledger,
        suggestions,
        chrome: Chrome::new(ctx, Some(user), institution.name.clone()),
        id: institution.id,
        name: institution.name.clone(),
        kind: kind_label(lang, institution.kind),
        prefecture: prefecture_label(lang, institution.prefecture),
        beds: institution.beds,
        code: institution
            .medical_institution_code
            .clone()
            .unwrap_or_else(|| "—".into()),
        has_system: institution.has_medical_information_system,
        has_vendors: institution.has_vendor_contracts,
        form: lang
            .pick(
                institution.kind.form().label_ja(),
                institution.kind.form().label_en(),
            )
            .to_owned(),
        years,
        can_administer,
        users,
        unused,
        unused_days: state.config.unused_account_days,
        require_two_factor,
        error,
        notice,
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "institution_form.html")]
struct InstitutionFormPage {
    chrome: Chrome,
    action: String,
    heading: String,
    values: InstitutionValues,
    kinds: Vec<(String, String)>,
    prefectures: Vec<(String, String)>,
    can_move: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct InstitutionValues {
    name: String,
    kind: String,
    prefecture: String,
    beds: String,
    has_medical_information_system: Option<String>,
    has_vendor_contracts: Option<String>,
    medical_institution_code: String,
}

impl InstitutionValues {
    fn from_institution(i: &Institution) -> Self {
        Self {
            name: i.name.clone(),
            kind: i.kind.as_str().into(),
            prefecture: i.prefecture.code(),
            beds: i.beds.to_string(),
            has_medical_information_system: i.has_medical_information_system.then(|| "on".into()),
            has_vendor_contracts: i.has_vendor_contracts.then(|| "on".into()),
            medical_institution_code: i.medical_institution_code.clone().unwrap_or_default(),
        }
    }

    pub fn mis(&self) -> bool {
        self.has_medical_information_system.is_some()
    }

    pub fn vendors(&self) -> bool {
        self.has_vendor_contracts.is_some()
    }

    fn parse(&self) -> Result<NewInstitution, AppError> {
        let beds = if self.beds.trim().is_empty() {
            0
        } else {
            self.beds.trim().parse::<i64>().map_err(|_| {
                AppError::invalid(mamori_domain::ParseError::new(
                    "beds",
                    mamori_locale::Message::new("institutions-number-beds-must-be-whole"),
                ))
            })?
        };
        let new = NewInstitution {
            name: self.name.trim().to_owned(),
            kind: InstitutionKind::parse(&self.kind)?,
            prefecture: Prefecture::parse(&self.prefecture)?,
            beds,
            has_medical_information_system: self.mis(),
            has_vendor_contracts: self.vendors(),
            medical_institution_code: Some(self.medical_institution_code.trim().to_owned())
                .filter(|c| !c.is_empty()),
            municipality_code: None,
            municipality_name: String::new(),
            address: String::new(),
        };
        service::check_institution(&new)?;
        Ok(new)
    }
}

#[allow(clippy::too_many_arguments)] // each argument is one part of the form page
fn institution_form(
    ctx: &PageCtx,
    user: &WebUser,
    action: String,
    heading: String,
    values: InstitutionValues,
    can_move: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let page = InstitutionFormPage {
        chrome: Chrome::new(ctx, Some(user), heading.clone()),
        action,
        heading,
        values,
        kinds: InstitutionKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), kind_label(lang, *k)))
            .collect(),
        prefectures: Prefecture::all()
            .map(|p| (p.code(), prefecture_label(lang, p)))
            .collect(),
        can_move,
        error,
    };
    render(status, &page)
}

async fn new_institution(SignedIn(ctx, user): SignedIn) -> PageResult {
    if !user.user().principal().can_create_institutions() {
        return Err(PageError::from(AppError::forbidden()));
    }
    let values = InstitutionValues {
        kind: "hospital".into(),
        prefecture: "13".into(),
        has_medical_information_system: Some("on".into()),
        ..Default::default()
    };
    Ok(institution_form(
        &ctx,
        &user,
        "/institutions".into(),
        ctx.lang.t("institution-new"),
        values,
        true,
        None,
        StatusCode::OK,
    ))
}

async fn create_institution(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Form(values): Form<InstitutionValues>,
) -> PageResult {
    let lang = ctx.lang;
    if !user.user().principal().can_create_institutions() {
        return Err(PageError::from(AppError::forbidden()));
    }
    match values.parse() {
        Ok(new) => {
            let id = state
                .store
                .create_institution(&new, Some(user.user().id))
                .await?;
            Ok(redirect(&format!("/institutions/{id}")))
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            Ok(institution_form(
                &ctx,
                &user,
                "/institutions".into(),
                lang.t("institution-new"),
                values,
                true,
                Some(msg),
                e.status(),
            ))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

async fn edit_institution(PageOpening(ctx, user, _, institution): AdministeredPage) -> PageResult {
    let lang = ctx.lang;
    let values = InstitutionValues::from_institution(&institution);
    Ok(institution_form(
        &ctx,
        &user,
        format!("/institutions/{}/edit", institution.id),
        lang.t("institution-edit"),
        values,
        user.user().role == Role::NationalAdmin,
        None,
        StatusCode::OK,
    ))
}

async fn update_institution(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Form(mut values): Form<InstitutionValues>,
) -> PageResult {
    let lang = ctx.lang;
    let can_move = user.user().role == Role::NationalAdmin;
    if !can_move {
        values.prefecture = institution.prefecture.code();
    }
    let action = format!("/institutions/{}/edit", institution.id);
    let parsed = match values.parse() {
        Ok(new) => service::check_institution_change(&state, &institution, &new)
            .await
            .map(|()| new)
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match parsed {
        Ok(new) => {
            state
                .store
                .update_institution(institution.id, &new, user.user().id)
                .await?;
            Ok(redirect(&format!("/institutions/{}", institution.id)))
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            Ok(institution_form(
                &ctx,
                &user,
                action,
                lang.t("institution-edit"),
                values,
                can_move,
                Some(msg),
                e.status(),
            ))
        }
        Err(e) => Err(PageError::from(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    login: String,
    password: String,
    role: String,
}

async fn add_institution_user(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AdministeredPage,
    Form(form): Form<NewUserForm>,
) -> PageResult {
    let lang = ctx.lang;
    let role = if form.role == "admin" {
        Role::InstitutionAdmin
    } else {
        Role::InstitutionStaff
    };
    match mamori_app::add_user(
        &state,
        Some(user.user().id),
        &form.login,
        &form.password,
        role,
        Some(institution.id),
        None,
    )
    .await
    .map_err(AppError::from)
    {
        Ok(_) => {
            institution_view(
                &state,
                &ctx,
                &user,
                InstitutionId::stored(institution.id),
                None,
                Some(lang.t("user-added")),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if e.status().is_client_error() => {
            let msg = message(lang, &e);
            institution_view(
                &state,
                &ctx,
                &user,
                InstitutionId::stored(institution.id),
                Some(msg),
                None,
                e.status(),
            )
            .await
        }
        Err(e) => Err(PageError::from(e)),
    }
}
