//! Vendors (事業者) through the JSON API: the institution's contracts and invitations, the
//! vendors' 事業者確認用 answers, coverage across forms, the contact chart (連絡体制図) and the
//! backup / BCP records.
//!
//! Access: an institution's data is read by those who see the institution and changed by its
//! own users (contracts by its admin); a vendor's user sees only the contracts its
//! organisation serves, and nothing of any institution's own file. Everything else is 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{NaiveDate, Utc};
use mamori_domain::answer::{parse_date, rounds_to_record};
use mamori_domain::contact_chart::{EmailAddress, FieldProblem};
use mamori_domain::vendor::{Coverage, SystemKind, VendorContract};
use mamori_domain::{FiscalYear, ItemAnswers, Principal, Role, Scope};
use mamori_store::{
    Institution, InvitationRefusal, Joining, NewContract, NewInvitation, StoredContract,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::checklist::api::{ItemBody, RoundJson};
use crate::http::api::ApiJson;
use crate::http::api::{Opening, Visible};
use crate::http::auth::{self, ApiUser};
use crate::http::error::ErrorCode;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use crate::http::i18n::Message;
use crate::http::ids::{ContractId, Ids, InstitutionId};
use mamori_app::{self as service, today_in_japan};

pub use mamori_app::coverage::{CoverageData, serves, vendor_version};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 14;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contracts, create_contract))
        .routes(routes!(accept_invitation))
        .routes(routes!(vendor_contracts))
        .routes(routes!(get_vendor_answer, put_vendor_answer))
        .routes(routes!(copy_answers))
        .routes(routes!(get_coverage))
        .merge(crate::vendors::deliveries::router())
}

// ----- shared rules ----------------------------------------------------------------------

/// The contract, if the caller may see its 事業者確認用: the vendor organisation serving it,
/// or those who see the institution. "Not found" for everyone else.
pub async fn visible_contract(
    state: &AppState,
    principal: &Principal,
    contract_id: ContractId,
) -> Result<(StoredContract, Institution), AppError> {
    let contract = state
        .store
        .vendor_contract(contract_id.get())
        .await?
        .ok_or(AppError::not_found())?;
    let institution = state
        .store
        .institution(contract.institution_id)
        .await?
        .ok_or(AppError::not_found())?;
    if principal.can_view(institution.id, institution.prefecture)
        || serves(state, principal, &contract).await?
    {
        Ok((contract, institution))
    } else {
        Err(AppError::not_found())
    }
}

/// A contract the caller's organisation serves, with its institution: 404 for one the
/// caller does not see, 403 for one it sees without serving it.
pub async fn served_contract(
    state: &AppState,
    principal: &Principal,
    contract_id: ContractId,
) -> Result<(StoredContract, Institution), AppError> {
    let (contract, institution) = visible_contract(state, principal, contract_id).await?;
    if !serves(state, principal, &contract).await? {
        return Err(AppError::forbidden());
    }
    Ok((contract, institution))
}

/// Records the body of a `PUT` of one item of a vendor form: one round, or the item as
/// read and sent back, whose rounds that changed are checked together, then recorded.
pub async fn save_vendor_item(
    state: &AppState,
    principal: &Principal,
    contract: &StoredContract,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    body: ItemBody,
) -> Result<ItemAnswers, AppError> {
    let save = |input| {
        service::answers::save_vendor_answer(
            state,
            principal,
            contract,
            institution,
            fiscal_year,
            key,
            input,
        )
    };
    let rounds = match body {
        ItemBody::Round(r) => return Ok(save(r.input()?).await?),
        ItemBody::Item(item) => item.inputs()?,
    };
    let (item, status) =
        service::answers::vendor_item(state, principal, contract, institution, fiscal_year, key)
            .await?;
    let recorded = state
        .store
        .vendor_answers(contract.contract.id.0, fiscal_year)
        .await?;
    let mut saved = recorded.get(key).cloned().unwrap_or_default();
    for input in rounds_to_record(item, status, rounds, &saved, today_in_japan())? {
        saved = save(input).await?;
    }
    Ok(saved)
}

// ----- contracts and invitations ---------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    /// 事業者名
    pub vendor_name: String,
    /// System kinds: `emr` (電子カルテ), `receipt_computer` (レセコン), `pacs`, `departmental`,
    /// `ordering`, `network`, `server_infrastructure`, `terminals`, `cloud_service`, `other`;
    /// Japanese labels are accepted too.
    pub systems: Vec<String>,
    pub remote_maintenance: bool,
    /// The device scopes the vendor answers for: `all`, `server`, `pc`, `network`. Left out:
    /// the scopes usual for the systems.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub start_on: Option<String>,
    #[serde(default)]
    pub end_on: Option<String>,
    /// Where to send the invitation; left out, no invitation is made.
    #[serde(default)]
    pub invite_email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContractCreated {
    pub contract_id: i64,
    /// The link to give the vendor (valid for 14 days, once).
    pub invitation_url: Option<String>,
    /// Whether the invitation was mailed (an SMTP server is configured and took it).
    /// Otherwise give the link to the vendor yourself.
    pub mail_sent: bool,
    /// Why the mail was not sent, when the SMTP server refused it or could not be reached.
    pub mail_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContractJson {
    pub contract_id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub vendor_name: String,
    pub systems: Vec<String>,
    pub remote_maintenance: bool,
    pub scopes: Vec<String>,
    pub start_on: Option<String>,
    pub end_on: Option<String>,
    /// Whether a vendor organisation has accepted the invitation.
    pub accepted: bool,
}

pub fn contract_json(c: &StoredContract) -> ContractJson {
    ContractJson {
        contract_id: c.contract.id.0,
        institution_id: c.institution_id,
        institution_name: c.institution_name.clone(),
        vendor_name: c.contract.vendor_name.clone(),
        systems: c
            .contract
            .systems
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        remote_maintenance: c.contract.remote_maintenance,
        scopes: c
            .contract
            .scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        start_on: c.contract.start_on.map(|d| d.to_string()),
        end_on: c.contract.end_on.map(|d| d.to_string()),
        accepted: c.vendor_organization_id.is_some(),
    }
}

fn parse_scope(text: &str) -> Option<Scope> {
    match text.trim() {
        "all" | "全般" => Some(Scope::All),
        "server" | "サーバ" => Some(Scope::Server),
        "pc" | "端末PC" | "端末" => Some(Scope::Pc),
        "network" | "ネットワーク機器" | "ネットワーク" => Some(Scope::Network),
        _ => None,
    }
}

/// A new contract from its fields, every problem with its path.
pub fn new_contract(
    body: &CreateContract,
) -> Result<(NewContract, Option<EmailAddress>), AppError> {
    let mut problems = Vec::new();
    let mut systems = Vec::new();
    for (i, s) in body.systems.iter().enumerate() {
        match SystemKind::parse(s) {
            Ok(k) if !systems.contains(&k) => systems.push(k),
            Ok(_) => {}
            Err(e) => problems.push(FieldProblem::new(
                format!("systems[{i}]"),
                "invalid_system",
                e.message,
            )),
        }
    }
    let scopes: Vec<Scope> = match &body.scopes {
        Some(list) => {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match parse_scope(s) {
                    Some(sc) if !out.contains(&sc) => out.push(sc),
                    Some(_) => {}
                    None => problems.push(FieldProblem::new(
                        format!("scopes[{i}]"),
                        "invalid_scope",
                        Message::new("vendors-scope-invalid").with("scope", s.as_str()),
                    )),
                }
            }
            out
        }
        None => {
            let mut out: Vec<Scope> = Vec::new();
            for k in &systems {
                for s in k.usual_scopes() {
                    if !out.contains(s) {
                        out.push(*s);
                    }
                }
            }
            if out.is_empty() {
                out.push(Scope::All);
            }
            out
        }
    };
    let mut date = |field: &'static str, text: &Option<String>| -> Option<NaiveDate> {
        let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        match parse_date(field, text) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(FieldProblem::new(field, "invalid_date", e.message));
                None
            }
        }
    };
    let start_on = date("start_on", &body.start_on);
    let end_on = date("end_on", &body.end_on);
    let email = match body
        .invite_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(text) => match EmailAddress::parse(text) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(FieldProblem::new("invite_email", e.code(), e.message()));
                None
            }
        },
    };
    let new = NewContract {
        vendor_name: body.vendor_name.trim().to_owned(),
        systems,
        remote_maintenance: body.remote_maintenance,
        scopes,
        start_on,
        end_on,
    };
    let check = VendorContract {
        // Not stored yet: any valid id, so that only the fields are judged.
        id: mamori_domain::vendor::ContractId(1),
        vendor_name: new.vendor_name.clone(),
        systems: new.systems.clone(),
        remote_maintenance: new.remote_maintenance,
        scopes: new.scopes.clone(),
        start_on: new.start_on,
        end_on: new.end_on,
    };
    problems.extend(check.problems());
    if problems.is_empty() {
        Ok((new, email))
    } else {
        Err(AppError::fields(problems))
    }
}

/// A recorded contract, with its invitation's token and address when one was made.
pub struct AddedContract {
    pub id: i64,
    pub vendor_name: String,
    pub invitation: Option<(String, String)>,
}

/// Where an invitation stands after the contract is recorded.
pub struct Invited {
    pub url: String,
    pub mail_sent: bool,
    /// Why the mail did not go, when a server is configured and refused it.
    pub mail_error: Option<String>,
}

/// Makes the invitation's link and, with an SMTP server configured, mails it. A failed send
/// is reported, never raised: the link is still given to the institution.
pub async fn invite(
    state: &AppState,
    headers: &HeaderMap,
    institution: &Institution,
    added: &AddedContract,
) -> Option<Invited> {
    let (token, email) = added.invitation.as_ref()?;
    let url = invitation_url(state, headers, token);
    let Some(mailer) = &state.mailer else {
        return Some(Invited {
            url,
            mail_sent: false,
            mail_error: None,
        });
    };
    let sent = mailer
        .send_invitation(&mamori_app::mail::Invitation {
            to: email,
            institution_name: &institution.name,
            vendor_name: &added.vendor_name,
            link: &url,
            valid_days: INVITATION_DAYS,
        })
        .await;
    let mail_error = match sent {
        Ok(()) => None,
        Err(e) => {
            tracing::warn!(error = %e, server = mailer.server(), contract = added.id, "invitation mail not sent");
            Some(e.to_string())
        }
    };
    Some(Invited {
        url,
        mail_sent: mail_error.is_none(),
        mail_error,
    })
}

/// Records a contract and, with an e-mail address, its invitation.
pub async fn add_contract(
    state: &AppState,
    principal: &Principal,
    institution: &Institution,
    body: &CreateContract,
) -> Result<AddedContract, AppError> {
    if !principal.can_administer(institution.id) {
        return Err(AppError::forbidden());
    }
    let (new, email) = new_contract(body)?;
    let token = email.as_ref().map(|_| auth::new_token());
    let invitation = match (&token, &email) {
        (Some(t), Some(e)) => Some(NewInvitation {
            token_hash: auth::token_hash(t),
            email: e.as_str().to_owned(),
            expires_at: (Utc::now() + chrono::Duration::days(INVITATION_DAYS))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }),
        _ => None,
    };
    let id = state
        .store
        .create_vendor_contract(institution.id, &new, invitation.as_ref(), principal.user_id)
        .await?;
    Ok(AddedContract {
        id,
        vendor_name: new.vendor_name,
        invitation: token.zip(email.map(|e| e.as_str().to_owned())),
    })
}

/// The absolute link of an invitation: on the configured public URL, else on the
/// request's host.
pub fn invitation_url(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    crate::http::page::absolute_url(state, headers, &format!("/invitations/{token}"))
}

/// The institution's vendor contracts.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/vendor-contracts", tag = "vendors", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractJson>), (status = 404, body = ErrorBody)))]
pub async fn list_contracts(
    State(state): State<AppState>,
    Opening(_, _, institution): Visible,
) -> ApiResult<Json<Vec<ContractJson>>> {
    let contracts = state
        .store
        .vendor_contracts_of_institution(institution.id)
        .await?;
    Ok(Json(contracts.iter().map(contract_json).collect()))
}

/// Records a contract with a vendor (its admin only) and, with `invite_email`, makes an
/// invitation link for the vendor. With an SMTP server configured the link is mailed
/// (`mail_sent`); if that fails, or no server is configured, the link is still returned to be
/// given to the vendor, with `mail_error` saying why the mail did not go.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/vendor-contracts", tag = "vendors", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateContract,
    responses((status = 201, body = ContractCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(state): State<AppState>,
    headers: HeaderMap,
    Opening(_, principal, institution): Visible,
    ApiJson(body): ApiJson<CreateContract>,
) -> ApiResult<(StatusCode, Json<ContractCreated>)> {
    let added = add_contract(&state, &principal, &institution, &body).await?;
    let invited = invite(&state, &headers, &institution, &added).await;
    Ok((
        StatusCode::CREATED,
        Json(ContractCreated {
            contract_id: added.id,
            mail_sent: invited.as_ref().is_some_and(|i| i.mail_sent),
            mail_error: invited.as_ref().and_then(|i| i.mail_error.clone()),
            invitation_url: invited.map(|i| i.url),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// A new login, or the login of an existing user of the vendor (the contract joins its
    /// organisation).
    pub login: String,
    pub password: String,
    /// The existing account's second factor (6 digits or a recovery code), when it uses one.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationAccepted {
    pub contract_id: i64,
    pub organization_id: i64,
    pub login: String,
}

fn refusal_error(refusal: InvitationRefusal) -> AppError {
    match refusal {
        InvitationRefusal::Unknown => AppError::rejected(
            StatusCode::NOT_FOUND,
            ErrorCode::InvitationUnknown,
            Message::new("errors-invitation-unknown"),
        ),
        InvitationRefusal::Expired => AppError::rejected(
            StatusCode::GONE,
            ErrorCode::InvitationExpired,
            Message::new("errors-invitation-expired").with("invitation_days", INVITATION_DAYS),
        ),
        InvitationRefusal::Used => AppError::rejected(
            StatusCode::GONE,
            ErrorCode::InvitationUsed,
            Message::new("errors-invitation-used"),
        ),
        InvitationRefusal::OtherOrganization => AppError::rejected(
            StatusCode::CONFLICT,
            ErrorCode::InvitationOtherOrganization,
            Message::new("errors-invitation-other-organization"),
        ),
    }
}

fn login_taken() -> AppError {
    AppError::rejected(
        StatusCode::CONFLICT,
        ErrorCode::LoginTaken,
        Message::new("errors-login-taken"),
    )
}

/// What a vendor's user gives to accept an invitation.
pub struct AcceptCredentials<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub second_factor: Option<&'a str>,
}

/// Accepts an invitation: with a new login, creates the vendor's user (and its organisation);
/// with the login and password of an existing vendor user, adds the contract to that
/// user's organisation. The existing login is checked as a login is — lockout, failures
/// counted, the second factor — since anyone who can invite could otherwise try passwords
/// here.
pub async fn accept(
    state: &AppState,
    token: &str,
    credentials: AcceptCredentials<'_>,
    client: &auth::ClientInfo,
) -> Result<InvitationAccepted, AppError> {
    let AcceptCredentials {
        login,
        password,
        second_factor,
    } = credentials;
    let hash = auth::token_hash(token);
    let invitation = state
        .store
        .vendor_invitation(&hash)
        .await?
        .ok_or_else(|| refusal_error(InvitationRefusal::Unknown))?;
    if invitation.used_at.is_some() {
        return Err(refusal_error(InvitationRefusal::Used));
    }
    let login = login.trim();
    let found = if mamori_domain::text::first_forbidden(login).is_some() {
        None
    } else {
        state.store.user_for_login(login).await?
    };
    let joining = match found {
        Some((user, password_hash)) => {
            auth::refuse_if_locked(state, &user.login, client).await?;
            let org = state.store.vendor_organization_of_user(user.id).await?;
            if !auth::verify_password(password.to_owned(), password_hash).await {
                auth::record_wrong_secret(state, &user.login, client).await?;
                return Err(login_taken());
            }
            let Some((organization_id, _)) =
                org.filter(|_| user.role == Role::VendorUser && !user.disabled)
            else {
                return Err(login_taken());
            };
            if user.totp_enabled {
                auth::check_second_factor(state, &user, second_factor, client).await?;
            } else if crate::http::two_factor::required(&user, false) {
                return Err(auth::enrolment_required());
            }
            Joining::ExistingUser {
                user_id: user.id,
                organization_id,
            }
        }
        None => {
            mamori_app::check_login(login)?;
            crate::http::two_factor::check_new_password(password, login)?;
            Joining::NewUser {
                login: login.to_owned(),
                password_hash: auth::hash_password(password.to_owned()).await?,
                is_demo: false,
            }
        }
    };
    let accepted = state
        .store
        .accept_vendor_invitation(&hash, &joining)
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::Conflict(_) => AppError::from(mamori_app::login_taken(login)),
            other => other.into(),
        })?
        .map_err(refusal_error)?;
    Ok(InvitationAccepted {
        contract_id: accepted.contract_id,
        organization_id: accepted.organization_id,
        login: login.to_owned(),
    })
}

/// Accepts a vendor invitation (no login needed: the token is the proof). An expired or
/// used link is refused with `invitation_expired` / `invitation_used` (410).
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "vendors",
    params(("token" = String, Path)), request_body = AcceptInvitation,
    responses((status = 201, body = InvitationAccepted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    client: auth::ClientInfo,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationAccepted>)> {
    let credentials = AcceptCredentials {
        login: &body.login,
        password: &body.password,
        second_factor: body.totp.as_deref(),
    };
    let accepted = accept(&state, &token, credentials, &client).await?;
    Ok((StatusCode::CREATED, Json(accepted)))
}

/// The contracts the caller's vendor organisation serves (empty for other users).
#[utoipa::path(get, path = "/api/v1/vendor/contracts", tag = "vendors", security(("bearer" = [])),
    responses((status = 200, body = Vec<ContractJson>), (status = 401, body = ErrorBody)))]
pub async fn vendor_contracts(
    State(state): State<AppState>,
    caller: ApiUser,
) -> ApiResult<Json<Vec<ContractJson>>> {
    Ok(Json(
        contracts_served(&state, &caller.user.principal())
            .await?
            .iter()
            .map(contract_json)
            .collect(),
    ))
}

pub async fn contracts_served(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<StoredContract>, AppError> {
    if principal.role != Role::VendorUser {
        return Ok(Vec::new());
    }
    match state
        .store
        .vendor_organization_of_user(principal.user_id)
        .await?
    {
        Some((org, _)) => Ok(state.store.vendor_contracts_of_organization(org).await?),
        None => Ok(Vec::new()),
    }
}

// ----- vendor answers --------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct VendorItemJson {
    pub contract_id: i64,
    pub fiscal_year: i32,
    pub key: String,
    pub number: String,
    pub scope: String,
    pub text_ja: String,
    pub text_en: String,
    /// Whether the contract's scopes include the item (「契約内容によっては…確認が不要」).
    pub in_contract_scope: bool,
    pub has_target_date: bool,
    pub first: Option<RoundJson>,
    pub second: Option<RoundJson>,
}

fn vendor_item_json(
    contract: &StoredContract,
    fiscal_year: FiscalYear,
    item: &mamori_domain::ChecklistItem,
    answers: &ItemAnswers,
) -> VendorItemJson {
    VendorItemJson {
        contract_id: contract.contract.id.0,
        fiscal_year: fiscal_year.start_year(),
        key: item.key.clone(),
        number: item.number.clone(),
        scope: item.scope.as_str().into(),
        text_ja: item.text_ja.clone(),
        text_en: item.text_en.clone(),
        in_contract_scope: contract.contract.answers_for(item.scope),
        has_target_date: item.has_target_date,
        first: answers
            .first
            .as_ref()
            .map(crate::checklist::api::round_json),
        second: answers
            .second
            .as_ref()
            .map(crate::checklist::api::round_json),
    }
}

/// One item of the contract's 事業者確認用: for the vendor serving it and for those who see
/// the institution.
#[utoipa::path(get, path = "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path), ("fiscal_year" = i32, Path), ("item" = String, Path)),
    responses((status = 200, body = VendorItemJson), (status = 404, body = ErrorBody)))]
pub async fn get_vendor_answer(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((contract_id, fiscal_year, key)): Ids<(ContractId, String, String)>,
) -> ApiResult<Json<VendorItemJson>> {
    let (contract, _) = visible_contract(&state, &caller.user.principal(), contract_id).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let (_, item) = service::answers::vendor_form_item(&state, fy, &key)?;
    let answers = state
        .store
        .vendor_answers(contract.contract.id.0, fy)
        .await?
        .remove(&key)
        .unwrap_or_default();
    Ok(Json(vendor_item_json(&contract, fy, item, &answers)))
}

/// Records one round of one item of the contract's 事業者確認用 (the same body and rules as
/// the institution's answers), or the item as `GET` gives it (the rounds that changed): the
/// vendor serving it only.
#[utoipa::path(put, path = "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/items/{item}", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path), ("fiscal_year" = i32, Path), ("item" = String, Path)), request_body = ItemBody,
    responses((status = 200, body = VendorItemJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_vendor_answer(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((contract_id, fiscal_year, key)): Ids<(ContractId, String, String)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<VendorItemJson>> {
    let principal = caller.user.principal();
    let (contract, institution) = visible_contract(&state, &principal, contract_id).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    let body = ItemBody::read(body)?;
    let saved =
        save_vendor_item(&state, &principal, &contract, &institution, fy, &key, body).await?;
    let (_, item) = service::answers::vendor_form_item(&state, fy, &key)?;
    Ok(Json(vendor_item_json(&contract, fy, item, &saved)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyAnswers {
    /// The contracts (of the same vendor) whose forms receive this contract's answers.
    pub to: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswersCopied {
    pub contracts: usize,
    pub answers: usize,
}

/// Copies this contract's answers to the vendor's other contracts; each can then be
/// adjusted item by item. Only contracts the caller's organisation serves; any other id
/// refuses the whole copy.
pub async fn copy_to_contracts(
    state: &AppState,
    principal: &Principal,
    from: &StoredContract,
    to: &[i64],
    fiscal_year: FiscalYear,
) -> Result<AnswersCopied, AppError> {
    if !serves(state, principal, from).await? {
        return Err(AppError::forbidden());
    }
    vendor_version(state, fiscal_year)?;
    let served = contracts_served(state, principal).await?;
    let mut targets = Vec::new();
    for id in to {
        let target = served
            .iter()
            .find(|c| c.contract.id.0 == *id && c.contract.id != from.contract.id)
            .ok_or_else(|| {
                AppError::rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::UnknownContract,
                    Message::new("errors-unknown-contract").with("id", id.to_string()),
                )
            })?;
        if !targets.iter().any(|(t, _)| *t == *id) {
            targets.push((*id, target.institution_id));
        }
    }
    let answers = state
        .store
        .copy_vendor_answers(from.contract.id.0, &targets, fiscal_year, principal.user_id)
        .await?;
    Ok(AnswersCopied {
        contracts: targets.len(),
        answers,
    })
}

/// Applies the same answers to many contracts: copies every answer of this contract's form
/// of the fiscal year onto the forms of `to` (contracts the same vendor serves).
#[utoipa::path(post, path = "/api/v1/vendor/contracts/{contract_id}/assessments/{fiscal_year}/copy", tag = "vendors", security(("bearer" = [])),
    params(("contract_id" = i64, Path), ("fiscal_year" = i32, Path)), request_body = CopyAnswers,
    responses((status = 200, body = AnswersCopied), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn copy_answers(
    State(state): State<AppState>,
    caller: ApiUser,
    Ids((contract_id, fiscal_year)): Ids<(ContractId, String)>,
    ApiJson(body): ApiJson<CopyAnswers>,
) -> ApiResult<Json<AnswersCopied>> {
    let principal = caller.user.principal();
    let (contract, _) = visible_contract(&state, &principal, contract_id).await?;
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    Ok(Json(
        copy_to_contracts(&state, &principal, &contract, &body.to, fy).await?,
    ))
}

// ----- coverage --------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct CoverageJson {
    pub institution_id: i64,
    pub fiscal_year: i32,
    #[schema(value_type = Object)]
    pub coverage: Coverage,
    /// Required items nobody covers, by number.
    pub uncovered: Vec<String>,
    /// The vendor part of the inspection verdict.
    pub vendor_forms_ready: bool,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<mamori_domain::vendor::VendorFinding>,
}

/// Per item, who covers it across the institution's form and its vendors' forms: in
/// `coverage.items[].covered_by`, `"institution"` or a contract id; an empty list means
/// nobody.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/coverage/{fiscal_year}", tag = "vendors", security(("bearer" = [])),
    params(("id" = i64, Path), ("fiscal_year" = i32, Path)),
    responses((status = 200, body = CoverageJson), (status = 404, body = ErrorBody)))]
pub async fn get_coverage(
    State(state): State<AppState>,
    Opening(_, principal, institution): Visible,
    Ids((_, fiscal_year)): Ids<(InstitutionId, String)>,
) -> ApiResult<Json<CoverageJson>> {
    let fy = service::parse_fiscal_year(&state, &fiscal_year)?;
    service::record_read(
        &state,
        &principal,
        institution.id,
        &format!("coverage:{fy}"),
    )
    .await?;
    let data = CoverageData::load(&state, &institution, fy).await?;
    let verdict = data.verdict(&state, &institution, fy)?;
    Ok(Json(CoverageJson {
        institution_id: institution.id,
        fiscal_year: fy.start_year(),
        uncovered: verdict
            .coverage
            .uncovered()
            .map(|i| i.number.clone())
            .collect(),
        vendor_forms_ready: verdict.ready,
        findings: verdict.findings,
        coverage: verdict.coverage,
    }))
}
