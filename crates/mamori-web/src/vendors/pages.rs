//! The vendor pages: the institution's contracts and invitations, accepting an invitation,
//! the vendor's contracts and its 事業者確認用, the consolidated coverage view, the contact
//! chart (連絡体制図) with its one-page print, and the backup / BCP records with warnings.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mamori_domain::answer::parse_date;
use mamori_domain::vendor::{CoverageState, Coverer};
use mamori_domain::{Answer, AnswerInput, Round};
use serde::Deserialize;

use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{ContractId, DeliveryId, Ids, InstitutionId};
use crate::http::page::{
    Chrome, PageCtx, PageError, PageResult, SignedIn, page_institution, redirect, render,
};
use crate::http::page::{PageOpening, VisiblePage};
use crate::vendors::api::{self as vendors, CoverageData, CreateContract};
use crate::{AppState, Routes};
use mamori_app::{self as service, today_in_japan};

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/vendors", contracts_page)
        .post("/institutions/{id}/vendors", add_contract)
        .get("/invitations/{token}", invitation_page)
        .post("/invitations/{token}", accept_invitation)
        .get("/vendor", vendor_home)
        .get("/vendor/contracts/{contract_id}/{fy}", vendor_form)
        .post(
            "/vendor/contracts/{contract_id}/{fy}/items/{key}",
            save_vendor_item,
        )
        .post("/vendor/contracts/{contract_id}/{fy}/copy", copy_answers)
        .post(
            "/vendor/contracts/{contract_id}/{fy}/deliveries",
            upload_delivery,
        )
        .get(
            "/vendor/contracts/{contract_id}/deliveries/{delivery_id}",
            download_delivery,
        )
        .get("/institutions/{id}/coverage/{fy}", coverage_page)
}

// ----- the institution's contracts ------------------------------------------------------

pub struct ContractRow {
    pub id: i64,
    pub vendor_name: String,
    pub systems: String,
    pub scopes: String,
    pub remote_maintenance: bool,
    pub accepted: bool,
    pub deliveries: Vec<DeliveryRow>,
}

/// An MDS/SDS delivery as listed on a page.
pub struct DeliveryRow {
    pub kind: &'static str,
    pub delivered_on: String,
    pub file_name: String,
    pub size: String,
    pub url: String,
}

fn delivery_row(d: &mamori_store::Delivery) -> DeliveryRow {
    let kind = mamori_domain::vendor::DeliveryKind::label_of(&d.kind);
    let size = crate::http::download::size_label(d.size);
    DeliveryRow {
        kind,
        delivered_on: d.delivered_on.clone(),
        file_name: d.file_name.clone(),
        size,
        url: format!("/vendor/contracts/{}/deliveries/{}", d.contract_id, d.id),
    }
}

#[derive(Template)]
#[template(path = "vendor_contracts.html")]
struct ContractsPage {
    chrome: Chrome,
    id: i64,
    name: String,
    year: i32,
    rows: Vec<ContractRow>,
    can_administer: bool,
    invitation_url: Option<String>,
    /// Whether the link was mailed, and if a configured server refused it.
    mail_sent: bool,
    mail_failed: bool,
    error: Option<String>,
}

fn systems_label(lang: Lang, c: &mamori_domain::vendor::VendorContract) -> String {
    c.systems
        .iter()
        .map(|s| lang.pick(s.label_ja(), s.label_en()).to_owned())
        .collect::<Vec<_>>()
        .join(lang.text("vendors-list-separator"))
}

async fn contracts_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    invited: Option<vendors::Invited>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = page_institution(state, &principal, id).await?;
    let contracts = state
        .store
        .vendor_contracts_of_institution(institution.id)
        .await?;
    let deliveries = state
        .store
        .vendor_deliveries_of_institution(institution.id)
        .await?;
    let rows = contracts
        .iter()
        .map(|c| ContractRow {
            deliveries: deliveries
                .iter()
                .filter(|d| d.contract_id == c.contract.id.0)
                .map(delivery_row)
                .collect(),
            id: c.contract.id.0,
            vendor_name: c.contract.vendor_name.clone(),
            systems: systems_label(lang, &c.contract),
            scopes: c
                .contract
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            remote_maintenance: c.contract.remote_maintenance,
            accepted: c.vendor_organization_id.is_some(),
        })
        .collect();
    let title = lang.t("vendors-vendor-contracts");
    Ok(render(
        status,
        &ContractsPage {
            chrome: Chrome::new(ctx, Some(user), title),
            id: institution.id,
            name: institution.name.clone(),
            year: service::current_fiscal_year(state).start_year(),
            rows,
            can_administer: principal.can_administer(institution.id),
            mail_sent: invited.as_ref().is_some_and(|i| i.mail_sent),
            mail_failed: invited.as_ref().is_some_and(|i| i.mail_error.is_some()),
            invitation_url: invited.map(|i| i.url),
            error,
        },
    ))
}

async fn contracts_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(id): Ids<InstitutionId>,
) -> PageResult {
    contracts_view(&state, &ctx, &user, id, None, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContractForm {
    vendor_name: String,
    /// Comma- or 、-separated system kinds.
    systems: String,
    remote_maintenance: Option<String>,
    invite_email: String,
}

async fn add_contract(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    headers: HeaderMap,
    Ids(id): Ids<InstitutionId>,
    Form(form): Form<ContractForm>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = page_institution(&state, &principal, id).await?;
    let body = CreateContract {
        vendor_name: form.vendor_name.clone(),
        systems: form
            .systems
            .split([',', '、', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        remote_maintenance: form.remote_maintenance.is_some(),
        scopes: None,
        start_on: None,
        end_on: None,
        invite_email: Some(form.invite_email.clone()),
    };
    match vendors::add_contract(&state, &principal, &institution, &body).await {
        Ok(added) => {
            let invited = vendors::invite(&state, &headers, &institution, &added).await;
            contracts_view(&state, &ctx, &user, id, invited, None, StatusCode::OK).await
        }
        Err(e) if e.refuses_access() => Err(PageError::from(e)),
        Err(e) => {
            let status = e.status();
            let d = e.detail();
            let message = match lang {
                Lang::Ja => d.message_ja,
                Lang::En => d.message_en,
            };
            contracts_view(&state, &ctx, &user, id, None, Some(message), status).await
        }
    }
}

// ----- accepting an invitation ----------------------------------------------------------

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    token: String,
    institution_name: String,
    vendor_name: String,
    login: String,
    usable: bool,
    error: Option<String>,
    accepted: bool,
}

fn message(lang: Lang, e: &AppError) -> String {
    let d = e.detail();
    match lang {
        Lang::Ja => d.message_ja,
        Lang::En => d.message_en,
    }
}

async fn invitation_view(
    state: &AppState,
    ctx: &PageCtx,
    token: &str,
    login: String,
    error: Option<String>,
    accepted: bool,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let invitation = state
        .store
        .vendor_invitation(&crate::http::auth::token_hash(token))
        .await?
        .ok_or_else(|| {
            PageError::from(AppError::rejected(
                StatusCode::NOT_FOUND,
                ErrorCode::InvitationUnknown,
                Message::new("errors-invitation-link-unknown"),
            ))
        })?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (usable, state_error) = if accepted {
        (false, None)
    } else if invitation.used_at.is_some() {
        (false, Some(lang.text("vendors-invitation-used")))
    } else if invitation.expires_at <= now {
        (false, Some(lang.text("vendors-invitation-expired")))
    } else {
        (true, None)
    };
    let title = lang.t("vendors-invitation-as-vendor");
    Ok(render(
        status,
        &InvitationPage {
            chrome: Chrome::new(ctx, None, title),
            token: token.to_owned(),
            institution_name: invitation.institution_name,
            vendor_name: invitation.vendor_name,
            login,
            usable,
            error: error.or(state_error.map(str::to_owned)),
            accepted,
        },
    ))
}

async fn invitation_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> PageResult {
    invitation_view(
        &state,
        &ctx,
        &token,
        String::new(),
        None,
        false,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    login: String,
    password: String,
    totp: String,
}

/// No CSRF token here: the form is posted without a session, and the invitation token in
/// the path is the secret a forged request would need.
async fn accept_invitation(
    State(state): State<AppState>,
    ctx: PageCtx,
    client: crate::http::auth::ClientInfo,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> PageResult {
    let credentials = vendors::AcceptCredentials {
        login: &form.login,
        password: &form.password,
        second_factor: Some(form.totp.as_str()),
    };
    match vendors::accept(&state, &token, credentials, &client).await {
        Ok(_) => {
            invitation_view(&state, &ctx, &token, form.login, None, true, StatusCode::OK).await
        }
        Err(e) => {
            let status = e.status();
            let message = message(ctx.lang, &e);
            let mut response = invitation_view(
                &state,
                &ctx,
                &token,
                form.login,
                Some(message),
                false,
                status,
            )
            .await?;
            e.decorate(&mut response);
            Ok(response)
        }
    }
}

// ----- the vendor's contracts and form --------------------------------------------------

#[derive(Template)]
#[template(path = "vendor_home.html")]
struct VendorHome {
    chrome: Chrome,
    organization: String,
    year: i32,
    rows: Vec<(i64, String, String, i64)>,
}

async fn vendor_home(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let year = service::current_fiscal_year(&state);
    let contracts = vendors::contracts_served(&state, &principal).await?;
    let organization = state
        .store
        .vendor_organization_of_user(principal.user_id)
        .await?
        .map(|(_, n)| n)
        .unwrap_or_default();
    let mut rows = Vec::new();
    for c in &contracts {
        let answered = state
            .store
            .vendor_answers(c.contract.id.0, year)
            .await?
            .values()
            .filter(|a| a.first.is_some())
            .count();
        rows.push((
            c.contract.id.0,
            c.institution_name.clone(),
            systems_label(lang, &c.contract),
            i64::try_from(answered).unwrap_or(i64::MAX),
        ));
    }
    let title = lang.t("vendors-institutions-served");
    Ok(render(
        StatusCode::OK,
        &VendorHome {
            chrome: Chrome::new(&ctx, Some(&user), title),
            organization,
            year: year.start_year(),
            rows,
        },
    ))
}

pub struct VendorItemRow {
    pub key: String,
    pub number: String,
    pub text: String,
    pub in_scope: bool,
    pub has_target_date: bool,
    pub first: Option<String>,
    pub second: Option<String>,
}

#[derive(Template)]
#[template(path = "vendor_form.html")]
struct VendorFormPage {
    chrome: Chrome,
    contract_id: i64,
    institution_name: String,
    vendor_name: String,
    year: i32,
    year_label: String,
    version_label: String,
    items: Vec<VendorItemRow>,
    can_answer: bool,
    error: Option<String>,
    notice: Option<String>,
    today: String,
    /// The vendor's other contracts: (id, institution name), to copy these answers to.
    others: Vec<(i64, String)>,
    deliveries: Vec<DeliveryRow>,
    file_label: String,
}

fn round_label(lang: Lang, a: &mamori_domain::ItemAnswer) -> String {
    let answer = lang.pick(a.answer.label_ja(), a.answer.label_en());
    match a.target_date {
        Some(t) => format!(
            "{answer} {} ({})",
            a.checked_on,
            Message::new("vendors-target-date")
                .with("date", t.to_string())
                .render(lang)
        ),
        None => format!("{answer} {}", a.checked_on),
    }
}

#[allow(clippy::too_many_arguments)]
async fn vendor_form_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    contract_id: ContractId,
    fy: &str,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let (contract, _) = vendors::visible_contract(state, &principal, contract_id).await?;
    let fiscal_year = service::parse_fiscal_year(state, fy)?;
    let version = vendors::vendor_version(state, fiscal_year)?;
    let answers = state
        .store
        .vendor_answers(contract.contract.id.0, fiscal_year)
        .await?;
    let can_answer = vendors::serves(state, &principal, &contract).await?;
    let items = version
        .items
        .iter()
        .map(|item| {
            let a = answers.get(&item.key).cloned().unwrap_or_default();
            VendorItemRow {
                key: item.key.clone(),
                number: item.number.clone(),
                text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
                in_scope: contract.contract.answers_for(item.scope),
                has_target_date: item.has_target_date,
                first: a.first.as_ref().map(|r| round_label(lang, r)),
                second: a.second.as_ref().map(|r| round_label(lang, r)),
            }
        })
        .collect();
    let others = if can_answer {
        vendors::contracts_served(state, &principal)
            .await?
            .into_iter()
            .filter(|c| c.contract.id != contract.contract.id)
            .map(|c| (c.contract.id.0, c.institution_name))
            .collect()
    } else {
        Vec::new()
    };
    let deliveries = state
        .store
        .vendor_deliveries(contract.contract.id.0)
        .await?
        .iter()
        .map(delivery_row)
        .collect();
    let title = lang.t("vendors-vendor-form");
    Ok(render(
        status,
        &VendorFormPage {
            notice,
            others,
            deliveries,
            file_label: Message::new("vendors-delivery-file")
                .with("mb", mamori_store::MAX_DELIVERY_BYTES / (1024 * 1024))
                .render(lang),
            chrome: Chrome::new(ctx, Some(user), title),
            contract_id: contract.contract.id.0,
            institution_name: contract.institution_name.clone(),
            vendor_name: contract.contract.vendor_name.clone(),
            year: fiscal_year.start_year(),
            year_label: lang
                .pick(&fiscal_year.label_ja(), &fiscal_year.label_en())
                .to_owned(),
            version_label: lang
                .pick(&version.version_label_ja, &version.version_label_en)
                .to_owned(),
            items,
            can_answer,
            error,
            today: today_in_japan().to_string(),
        },
    ))
}

async fn vendor_form(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((contract_id, fy)): Ids<(ContractId, String)>,
) -> PageResult {
    vendor_form_view(
        &state,
        &ctx,
        &user,
        contract_id,
        &fy,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// The vendor form again with the refusal of what was sent on it, as `word` says it; a 403
/// or 404 is the error page.
async fn refused_on_form(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    contract_id: ContractId,
    fy: &str,
    e: AppError,
    word: impl FnOnce(&AppError) -> String,
) -> PageResult {
    if e.refuses_access() {
        return Err(PageError::from(e));
    }
    let refused = word(&e);
    vendor_form_view(
        state,
        ctx,
        user,
        contract_id,
        fy,
        Some(refused),
        None,
        e.status(),
    )
    .await
}

/// Copies this form's answers to the contracts ticked (`to_<id>` fields).
async fn copy_answers(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((contract_id, fy)): Ids<(ContractId, String)>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let (contract, _) = vendors::visible_contract(&state, &principal, contract_id).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let to: Vec<i64> = form
        .keys()
        .filter_map(|k| k.strip_prefix("to_"))
        .filter_map(|id| id.parse().ok())
        .collect();
    match vendors::copy_to_contracts(&state, &principal, &contract, &to, fiscal_year).await {
        Ok(done) => {
            let notice = Message::new("vendors-answers-applied")
                .with("contracts", done.contracts)
                .with("answers", done.answers)
                .render(lang);
            vendor_form_view(
                &state,
                &ctx,
                &user,
                contract_id,
                &fy,
                None,
                Some(notice),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let word = |e: &AppError| message(lang, e);
            refused_on_form(&state, &ctx, &user, contract_id, &fy, e, word).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VendorAnswerForm {
    round: String,
    answer: String,
    checked_on: String,
    target_date: String,
}

fn answer_input(form: &VendorAnswerForm) -> Result<AnswerInput, AppError> {
    Ok(AnswerInput {
        round: Round::from_number(form.round.trim().parse::<i64>().unwrap_or(0))?,
        answer: Answer::parse(form.answer.trim())?,
        checked_on: parse_date("checked_on", form.checked_on.trim())?,
        target_date: Some(form.target_date.trim())
            .filter(|t| !t.is_empty())
            .map(|t| parse_date("target_date", t))
            .transpose()?,
    })
}

async fn save_vendor_item(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((contract_id, fy, key)): Ids<(ContractId, String, String)>,
    Form(form): Form<VendorAnswerForm>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let (contract, institution) =
        vendors::visible_contract(&state, &principal, contract_id).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    if !vendors::serves(&state, &principal, &contract).await? {
        return Err(PageError::from(AppError::forbidden()));
    }
    let saved = match answer_input(&form) {
        Ok(input) => service::answers::save_vendor_answer(
            &state,
            &principal,
            &contract,
            &institution,
            fiscal_year,
            &key,
            input,
        )
        .await
        .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(redirect(&format!(
            "/vendor/contracts/{}/{}#item-{key}",
            contract.contract.id.0,
            fiscal_year.start_year()
        ))),
        Err(e) => {
            let word = |e: &AppError| format!("{key}: {}", message(lang, e));
            refused_on_form(&state, &ctx, &user, contract_id, &fy, e, word).await
        }
    }
}

// ----- MDS/SDS deliveries ---------------------------------------------------------------

/// A field of an urlencoded body (empty when there is none).
fn urlencoded_field(bytes: &[u8], name: &str) -> String {
    form_urlencoded::parse(bytes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The fields and the file of the upload form. A form sent without a file (or urlencoded)
/// comes back as an empty file, which the checks then name.
async fn read_delivery_form(
    request: axum::extract::Request,
) -> Result<(String, String, String, Vec<u8>), AppError> {
    let content_type =
        crate::http::multipart::content_type_of(request.headers()).unwrap_or_default();
    let bytes = axum::body::to_bytes(
        request.into_body(),
        crate::vendors::deliveries::UPLOAD_READ_LIMIT,
    )
    .await
    .map_err(|_| crate::vendors::deliveries::too_large())?;
    if crate::http::multipart::boundary(&content_type).is_none() {
        return Ok((
            urlencoded_field(&bytes, "kind"),
            urlencoded_field(&bytes, "delivered_on"),
            String::new(),
            Vec::new(),
        ));
    }
    let parsed = crate::http::multipart::parse(&content_type, &bytes).await;
    let parts = parsed.map_err(|_| {
        AppError::rejected(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedUpload,
            Message::new("errors-malformed-upload-file"),
        )
    })?;
    let field = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    };
    let (kind, on) = (field("kind"), field("delivered_on"));
    let file = parts.into_iter().find(|p| p.name == "file");
    let (name, data) = file.map_or((String::new(), Vec::new()), |f| {
        (f.file_name.unwrap_or_default(), f.data)
    });
    Ok((kind, on, name, data))
}

/// Records an MDS/SDS delivery from the vendor form's upload.
async fn upload_delivery(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((contract_id, fy)): Ids<(ContractId, String)>,
    request: axum::extract::Request,
) -> PageResult {
    let lang = ctx.lang;
    // A forged form is refused before anything else.
    let fields = match read_delivery_form(request).await {
        Err(e) if e.status() == StatusCode::FORBIDDEN => return Err(PageError::from(e)),
        other => other,
    };
    let principal = user.user().principal();
    let (contract, institution) = vendors::served_contract(&state, &principal, contract_id).await?;
    let saved = match fields {
        Ok((kind, delivered_on, file_name, bytes)) => {
            crate::vendors::deliveries::record_delivery(
                &state,
                &principal,
                &contract,
                &institution,
                crate::vendors::deliveries::DeliveryUpload {
                    kind: &kind,
                    delivered_on: &delivered_on,
                    file_name: &file_name,
                    bytes,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(redirect(&format!(
            "/vendor/contracts/{}/{fy}#deliveries",
            contract.contract.id.0
        ))),
        Err(e) => {
            let word = |e: &AppError| {
                let m = match e {
                    AppError::Service(mamori_app::Error::Fields(problems)) => problems
                        .iter()
                        .map(|p| p.message.render(lang))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    other => message(lang, other),
                };
                format!("MDS/SDS: {m}")
            };
            refused_on_form(&state, &ctx, &user, contract_id, &fy, e, word).await
        }
    }
}

/// The file of a delivery, for the vendor and for those who see the institution.
async fn download_delivery(
    State(state): State<AppState>,
    user: WebUser,
    Ids((contract_id, delivery_id)): Ids<(ContractId, DeliveryId)>,
) -> Result<Response, crate::http::page::PageError> {
    let principal = user.user().principal();
    let (contract, _) = vendors::visible_contract(&state, &principal, contract_id).await?;
    crate::vendors::deliveries::file_response(&state, &principal, &contract, delivery_id)
        .await
        .map_err(PageError::from)
}

// ----- coverage -------------------------------------------------------------------------

pub struct CoverageRow {
    pub number: String,
    pub text: String,
    pub required: bool,
    /// One cell per form: the institution's, then each contract's.
    pub cells: Vec<String>,
    pub covered_by: String,
    pub state: &'static str,
    pub uncovered: bool,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    id: i64,
    name: String,
    year_label: String,
    columns: Vec<String>,
    rows: Vec<CoverageRow>,
    ready: bool,
    findings: Vec<String>,
    uncovered: usize,
}

async fn coverage_page(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): VisiblePage,
    Ids((_, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let lang = ctx.lang;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    service::record_read(
        &state,
        &principal,
        institution.id,
        &format!("coverage:{fiscal_year}"),
    )
    .await?;
    let data = CoverageData::load(&state, &institution, fiscal_year).await?;
    let verdict = data.verdict(&state, &institution, fiscal_year)?;
    let contracts: Vec<_> = verdict
        .coverage
        .contracts
        .iter()
        .filter_map(|id| data.contracts.iter().find(|c| c.contract.id == *id))
        .collect();
    let mut columns = vec![lang.t("vendors-institution-form")];
    columns.extend(contracts.iter().map(|c| c.contract.vendor_name.clone()));
    let name_of = |c: &Coverer| match c {
        Coverer::Institution => lang.t("vendors-by-institution"),
        Coverer::Contract(id) => contracts
            .iter()
            .find(|k| k.contract.id == *id)
            .map_or_else(|| id.to_string(), |k| k.contract.vendor_name.clone()),
    };
    let text_of = |form: mamori_domain::FormKind, key: &str| {
        let version = if form == mamori_domain::FormKind::Vendor {
            data.vendor_version
        } else {
            data.institution_version
        };
        version
            .item(key)
            .map(|i| lang.pick(&i.text_ja, &i.text_en).to_owned())
            .unwrap_or_default()
    };
    let rows = verdict
        .coverage
        .items
        .iter()
        .map(|item| {
            let cell = |by: Coverer| {
                if let Some(a) = item.answers.iter().find(|a| a.by == by) {
                    let answer = lang.pick(a.answer.label_ja(), a.answer.label_en());
                    format!("{answer} {}", a.checked_on)
                } else if item.missing.contains(&by) {
                    lang.t("vendors-blank")
                } else if let Coverer::Contract(id) = by
                    && item.not_responsible.contains(&id)
                {
                    lang.t("vendors-outside-scope")
                } else {
                    "—".to_owned()
                }
            };
            let mut cells = vec![cell(Coverer::Institution)];
            cells.extend(
                contracts
                    .iter()
                    .map(|c| cell(Coverer::Contract(c.contract.id))),
            );
            let covered_by = if item.covered_by.is_empty() {
                lang.t("vendors-nobody")
            } else {
                item.covered_by
                    .iter()
                    .map(name_of)
                    .collect::<Vec<_>>()
                    .join(lang.text("vendors-list-separator"))
            };
            let state = match item.state {
                CoverageState::Covered => "ok",
                CoverageState::Partly => "warn",
                CoverageState::Uncovered => "bad",
            };
            CoverageRow {
                number: item.number.clone(),
                text: text_of(item.form, &item.item_key),
                required: item.required,
                cells,
                covered_by,
                state,
                uncovered: item.required && item.state == CoverageState::Uncovered,
            }
        })
        .collect();
    let findings = verdict
        .findings
        .iter()
        .filter(|f| f.severity == mamori_domain::Severity::Blocking)
        .map(|f| f.message.render(lang))
        .collect();
    let uncovered = verdict.coverage.uncovered().count();
    let title = lang.t("vendors-coverage-title");
    Ok(render(
        StatusCode::OK,
        &CoveragePage {
            chrome: Chrome::new(&ctx, Some(&user), title),
            id: institution.id,
            name: institution.name.clone(),
            year_label: lang
                .pick(&fiscal_year.label_ja(), &fiscal_year.label_en())
                .to_owned(),
            columns,
            rows,
            ready: verdict.ready,
            findings,
            uncovered,
        },
    ))
}
