//! The evidence page of a checklist item: what is attached, each with its versions; the
//! forms to attach, replace and remove (which asks first); the downloads; and carrying the
//! previous year's evidence into this one from the checklist page.

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use mamori_domain::Lang;
use mamori_store::StoredEvidence;
use serde::Deserialize;

use crate::evidence::api::{file_response, version_number};
use crate::evidence::{EvidenceForm, EvidenceView, evidence_view, read_form};
use crate::http::auth::WebUser;
use crate::http::download::size_label;
use crate::http::error::AppError;
use crate::http::ids::{EvidenceId, Ids, InstitutionId};
use crate::http::page::*;
use crate::{AppState, Routes};
use mamori_app::{self as service, today_in_japan};

pub fn routes() -> Routes {
    Routes::default()
        .get(
            "/institutions/{id}/checklist/{fy}/items/{key}/evidence",
            item_evidence_page,
        )
        .post(
            "/institutions/{id}/checklist/{fy}/items/{key}/evidence",
            attach,
        )
        .post("/institutions/{id}/checklist/{fy}/evidence/carry", carry)
        .post("/evidence/{evidence_id}/replace", replace)
        .post("/evidence/{evidence_id}/remove", remove)
        .get("/evidence/{evidence_id}/file", download)
}

/// One version as the history lists it.
pub struct VersionRow {
    pub version: i64,
    pub title: String,
    pub detail: String,
    pub by: String,
    pub at: String,
    pub href: String,
}

/// An evidence with its versions.
pub struct EvidenceEntry {
    pub view: EvidenceView,
    pub versions: Vec<VersionRow>,
    pub removed_at: String,
}

/// The values a refused form is shown again with (the file must be chosen again).
#[derive(Default)]
pub struct Typed {
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    chrome: Chrome,
    id: i64,
    name: String,
    fiscal_year: i32,
    fiscal_year_label: String,
    item_key: String,
    item_label: String,
    item_text: String,
    editable: bool,
    current: Vec<EvidenceEntry>,
    removed: Vec<EvidenceEntry>,
    usage: String,
    today: String,
    notice: Option<String>,
    /// The form refused: `0` the form to attach, else the evidence whose form it was.
    refused: Option<i64>,
    errors: FormErrors,
    typed: Typed,
}

impl EvidencePage {
    /// Whether the refused form is that of the evidence `id`.
    fn refused_for(&self, id: &i64) -> bool {
        self.refused == Some(*id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

async fn item_evidence_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy, key)): Ids<(InstitutionId, String, String)>,
    Query(done): Query<Done>,
) -> PageResult {
    let notice = match done.done.as_str() {
        "added" => Some(ctx.lang.t("evidence-added")),
        "replaced" => Some(ctx.lang.t("evidence-replaced")),
        "removed" => Some(ctx.lang.t("evidence-removed")),
        _ => None,
    };
    let page = evidence_page(&state, &ctx, &user, id, &fy, &key, None).await?;
    Ok(render(
        StatusCode::OK,
        &EvidencePage {
            notice: notice.map(|n| n.to_owned()),
            ..page
        },
    ))
}

/// The page of an item's evidence; `refused` the form that was refused, with its error and
/// what was typed.
async fn evidence_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    fy: &str,
    key: &str,
    refused: Option<(i64, &AppError, Typed)>,
) -> Result<EvidencePage, PageError> {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let fiscal_year = service::parse_fiscal_year(state, fy)?;
    let institution = service::visible_institution(state, &principal, id.get()).await?;
    let (version, _) = service::version_and_rules(state, &institution, fiscal_year)?;
    let item = version
        .item(key)
        .ok_or_else(|| PageError::from(AppError::not_found()))?;
    service::record_read(state, &principal, institution.id, "evidence").await?;
    let today = today_in_japan();
    let all = state
        .store
        .evidence_of_year(institution.id, fiscal_year, true)
        .await?;
    let (mut current, mut removed) = (Vec::new(), Vec::new());
    for e in all.iter().filter(|e| e.item_key == key) {
        let entry = entry(state, lang, e, today).await?;
        if e.removed_at.is_some() {
            removed.push(entry);
        } else {
            current.push(entry);
        }
    }
    let usage = state.store.evidence_usage(institution.id).await?;
    let (refused, errors, typed) = match refused {
        Some((form, error, typed)) => (Some(form), FormErrors::of(lang, error), typed),
        None => (None, FormErrors::default(), Typed::default()),
    };
    Ok(EvidencePage {
        chrome: Chrome::new(
            ctx,
            Some(user),
            format!("{} — {}", lang.t("evidence-title"), institution.name),
        ),
        id: institution.id,
        name: institution.name.clone(),
        fiscal_year: fiscal_year.start_year(),
        fiscal_year_label: fy_label(lang, fiscal_year),
        item_key: key.to_owned(),
        item_label: match lang {
            Lang::Ja => item.label_ja(),
            Lang::En => item.label_en(),
        },
        item_text: lang.pick(&item.text_ja, &item.text_en).to_owned(),
        editable: principal.can_answer(institution.id),
        current,
        removed,
        usage: mamori_domain::Message::new("evidence-usage")
            .with("used", size_label(usage))
            .with("quota", size_label(state.evidence_quota))
            .render(lang),
        today: today.to_string(),
        notice: None,
        refused,
        errors,
        typed,
    })
}

async fn entry(
    state: &AppState,
    lang: Lang,
    e: &StoredEvidence,
    today: chrono::NaiveDate,
) -> Result<EvidenceEntry, PageError> {
    let versions = state.store.evidence_versions(e.id).await?;
    Ok(EvidenceEntry {
        view: evidence_view(lang, None, e, today),
        versions: versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                title: v.title.clone(),
                detail: if v.kind == "link" {
                    v.url.clone()
                } else {
                    format!("{} ({})", v.file_name, size_label(v.size))
                },
                by: v.created_by_login.clone(),
                at: instant_label(lang, &v.created_at),
                href: if v.kind == "link" {
                    String::new()
                } else {
                    format!("/evidence/{}/file?version={}", e.id, v.version)
                },
            })
            .collect(),
        removed_at: e
            .removed_at
            .as_deref()
            .map(|at| instant_label(lang, at))
            .unwrap_or_default(),
    })
}

fn typed(form: &EvidenceForm) -> Typed {
    Typed {
        title: form.upload.title.clone(),
        owner: form.upload.owner.clone(),
        produced_on: form.upload.produced_on.clone(),
        valid_until: form.upload.valid_until.clone(),
        url: form.upload.url.clone(),
    }
}

async fn attach(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids((id, fy, key)): Ids<(InstitutionId, String, String)>,
    request: Request,
) -> PageResult {
    let principal = user.user().principal();
    let institution = service::visible_institution(&state, &principal, id.get()).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let form = read_form(request).await?;
    let shown = typed(&form);
    match service::evidence::add_evidence(
        &state,
        &principal,
        &institution,
        fiscal_year,
        &key,
        form.upload,
    )
    .await
    {
        Ok(_) => Ok(redirect(&format!(
            "/institutions/{}/checklist/{fy}/items/{key}/evidence?done=added",
            institution.id
        ))),
        Err(e) => refused_page(&state, &ctx, &user, id, &fy, &key, 0, e.into(), shown).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn refused_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    fy: &str,
    key: &str,
    form: i64,
    error: AppError,
    shown: Typed,
) -> PageResult {
    if matches!(
        error.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) {
        return Err(PageError::from(error));
    }
    let page = evidence_page(state, ctx, user, id, fy, key, Some((form, &error, shown))).await?;
    Ok(render_form(true, &page))
}

/// The item's page again, with the refused form of the evidence `e`.
async fn refused_at(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    e: &StoredEvidence,
    error: AppError,
    shown: Typed,
) -> PageResult {
    let id = InstitutionId::stored(e.institution_id);
    let fy = e.fiscal_year.to_string();
    refused_page(state, ctx, user, id, &fy, &e.item_key, e.id, error, shown).await
}

/// The evidence the path names, for those who change it, with the page of its item.
async fn named_evidence(
    state: &AppState,
    user: &WebUser,
    evidence_id: EvidenceId,
) -> Result<(StoredEvidence, String), PageError> {
    let principal = user.user().principal();
    let (e, _) = service::evidence::visible_evidence(state, &principal, evidence_id.get()).await?;
    // Those who only read the institution are refused before the form is judged.
    if !principal.can_answer(e.institution_id) {
        return Err(PageError::from(AppError::forbidden()));
    }
    let page = format!(
        "/institutions/{}/checklist/{}/items/{}/evidence",
        e.institution_id, e.fiscal_year, e.item_key
    );
    Ok((e, page))
}

async fn replace(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(evidence_id): Ids<EvidenceId>,
    request: Request,
) -> PageResult {
    let (e, page) = named_evidence(&state, &user, evidence_id).await?;
    let principal = user.user().principal();
    let form = read_form(request).await?;
    let shown = typed(&form);
    let result = match version_number(&form.version) {
        Ok(expected) => service::evidence::replace_evidence(
            &state,
            &principal,
            evidence_id.get(),
            expected,
            form.upload,
        )
        .await
        .map_err(AppError::from),
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(redirect(&format!("{page}?done=replaced#evidence-{}", e.id))),
        Err(error) => refused_at(&state, &ctx, &user, &e, error, shown).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemoveForm {
    confirm: String,
}

async fn remove(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(evidence_id): Ids<EvidenceId>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> PageResult {
    let (e, page) = named_evidence(&state, &user, evidence_id).await?;
    let principal = user.user().principal();
    let result = if form.confirm == "yes" {
        service::evidence::remove_evidence(&state, &principal, evidence_id.get())
            .await
            .map_err(AppError::from)
    } else {
        Err(AppError::fields(vec![
            mamori_domain::field_problem::FieldProblem::new(
                "confirm",
                "confirm_required",
                mamori_domain::Message::new("evidence-remove-confirm-required"),
            ),
        ]))
    };
    match result {
        Ok(()) => Ok(redirect(&format!("{page}?done=removed"))),
        Err(error) => refused_at(&state, &ctx, &user, &e, error, Typed::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VersionQuery {
    version: Option<i64>,
}

async fn download(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Ids(evidence_id): Ids<EvidenceId>,
    Query(q): Query<VersionQuery>,
) -> PageResult {
    let principal = user.user().principal();
    Ok(file_response(&state, &principal, evidence_id, q.version).await?)
}

async fn carry(
    State(state): State<AppState>,
    SignedIn(_, user): SignedIn,
    Ids((id, fy)): Ids<(InstitutionId, String)>,
) -> PageResult {
    let principal = user.user().principal();
    let institution = service::visible_institution(&state, &principal, id.get()).await?;
    let fiscal_year = service::parse_fiscal_year(&state, &fy)?;
    let carried =
        service::evidence::carry_forward(&state, &principal, &institution, fiscal_year).await?;
    Ok(redirect(&format!(
        "/institutions/{}/checklist/{fy}?carried={carried}#evidence-carry",
        institution.id
    )))
}
