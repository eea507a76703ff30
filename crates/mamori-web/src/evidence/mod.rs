//! 証跡 (evidence) on checklist items: files and links an institution keeps as proof of an
//! item, with who is responsible, when each was produced and until when it is valid. The API
//! (`api.rs`) and the pages (`pages.rs`: an item's evidence, attaching, replacing, removing,
//! downloading, carrying the previous year's into this one) call `mamori_app::evidence`.
//! What is shown beside each item of the checklist and the inspector's page is made here.

pub mod api;
pub mod pages;

use axum::extract::Request;
use axum::http::StatusCode;
use chrono::NaiveDate;
use mamori_app::evidence::EvidenceUpload;
use mamori_domain::evidence::{DocumentKind, Standing};
use mamori_domain::{ChecklistVersion, Lang};
use mamori_store::StoredEvidence;

use crate::http::download::size_label;
use crate::http::error::{AppError, ErrorCode};
use crate::http::i18n::Message;
use crate::http::multipart;
use crate::http::page::date_label;

/// How much of a request body is read for an evidence upload: more than a file may be
/// (10 MiB), so that a larger file gets its own message rather than the generic one.
pub const UPLOAD_READ_LIMIT: usize = 12 * 1024 * 1024;

/// Whether a path takes an evidence upload (and so [`UPLOAD_READ_LIMIT`]).
pub fn is_upload_path(path: &str) -> bool {
    path.ends_with("/evidence")
        || (path.starts_with("/api/v1/evidence/") && path.ends_with("/versions"))
        || (path.starts_with("/evidence/") && path.ends_with("/replace"))
}

/// The refusal of a body over [`UPLOAD_READ_LIMIT`].
pub fn too_large() -> AppError {
    AppError::Service(mamori_app::evidence::too_large())
}

/// An evidence form as sent, and its other fields (`version`, `confirm`).
pub struct EvidenceForm {
    pub upload: EvidenceUpload,
    pub version: String,
}

/// Reads an evidence form, multipart (a file) or urlencoded (a link only).
pub async fn read_form(request: Request) -> Result<EvidenceForm, AppError> {
    let content_type = multipart::content_type_of(request.headers()).unwrap_or_default();
    let bytes = axum::body::to_bytes(request.into_body(), UPLOAD_READ_LIMIT)
        .await
        .map_err(|_| too_large())?;
    let fields: Vec<(String, Option<String>, Vec<u8>)> =
        if multipart::boundary(&content_type).is_some() {
            multipart::parse(&content_type, &bytes)
                .await
                .map_err(|_| {
                    AppError::rejected(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::MalformedUpload,
                        Message::new("errors-malformed-upload-file"),
                    )
                })?
                .into_iter()
                .map(|p| (p.name, p.file_name, p.data))
                .collect()
        } else {
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), None, v.into_owned().into_bytes()))
                .collect()
        };
    let text = |name: &str| {
        fields
            .iter()
            .find(|(n, file, _)| n == name && file.is_none())
            .map(|(_, _, data)| String::from_utf8_lossy(data).into_owned())
            .unwrap_or_default()
    };
    let (file_name, data) = fields
        .iter()
        .find(|(n, file, _)| n == "file" && file.is_some())
        .map(|(_, name, data)| (name.clone().unwrap_or_default(), data.clone()))
        .unwrap_or_default();
    Ok(EvidenceForm {
        upload: EvidenceUpload {
            title: text("title"),
            owner: text("owner"),
            produced_on: text("produced_on"),
            valid_until: text("valid_until"),
            url: text("url"),
            file_name,
            bytes: data,
        },
        version: text("version"),
    })
}

/// An evidence's standing today.
pub fn standing(e: &StoredEvidence, today: NaiveDate) -> Standing {
    match e.produced_on_date() {
        Some(produced) => Standing::of(produced, e.valid_until_date(), today),
        None => Standing::Valid,
    }
}

/// One evidence as a page shows it.
pub struct EvidenceView {
    pub id: i64,
    pub item_key: String,
    pub item_label: String,
    pub title: String,
    pub owner: String,
    pub produced_on: String,
    pub valid_until: String,
    /// `valid`, `expires_soon`, `expired` or `older_than_a_year`.
    pub standing: &'static str,
    pub standing_label: &'static str,
    /// Where to open it: the file's download or the link.
    pub href: String,
    pub is_link: bool,
    pub kind_label: String,
    pub size_label: String,
    pub version: i64,
    pub carried: bool,
    /// The form's values, as stored (YYYY-MM-DD).
    pub produced_on_value: String,
    pub valid_until_value: String,
    pub url: String,
}

pub fn evidence_view(
    lang: Lang,
    version: Option<&ChecklistVersion>,
    e: &StoredEvidence,
    today: NaiveDate,
) -> EvidenceView {
    let standing = standing(e, today);
    let is_link = e.kind == "link";
    let kind_label = match DocumentKind::parse(&e.kind) {
        Some(k) => lang.text(k.label().key).to_owned(),
        None => lang.t("evidence-kind-link").to_owned(),
    };
    let item_label = version.and_then(|v| v.item(&e.item_key)).map_or_else(
        || e.item_key.clone(),
        |item| match lang {
            Lang::Ja => item.label_ja(),
            Lang::En => item.label_en(),
        },
    );
    EvidenceView {
        id: e.id,
        item_key: e.item_key.clone(),
        item_label,
        title: e.title.clone(),
        owner: e.owner.clone(),
        produced_on: e
            .produced_on_date()
            .map_or_else(|| e.produced_on.clone(), |d| date_label(lang, d)),
        valid_until: e
            .valid_until_date()
            .map_or_else(String::new, |d| date_label(lang, d)),
        standing: standing.as_str(),
        standing_label: lang.text(standing.label().key),
        href: if is_link {
            e.url.clone()
        } else {
            format!("/evidence/{}/file", e.id)
        },
        is_link,
        kind_label,
        size_label: if is_link {
            String::new()
        } else {
            size_label(e.size)
        },
        version: e.version,
        carried: e.carried_from.is_some(),
        produced_on_value: e.produced_on.clone(),
        valid_until_value: e.valid_until.clone().unwrap_or_default(),
        url: e.url.clone(),
    }
}

/// The year's evidence of an institution by item, as the checklist and the inspector's
/// page show it.
pub async fn by_item(
    state: &crate::AppState,
    lang: Lang,
    institution: &mamori_store::Institution,
    fiscal_year: mamori_domain::FiscalYear,
    version: &ChecklistVersion,
) -> Result<std::collections::HashMap<String, Vec<EvidenceView>>, AppError> {
    let list = mamori_app::evidence::evidence_of(state, institution, fiscal_year, None).await?;
    Ok(views_by_item(lang, version, &list))
}

/// Evidence already read, as views by item.
pub fn views_by_item(
    lang: Lang,
    version: &ChecklistVersion,
    list: &[StoredEvidence],
) -> std::collections::HashMap<String, Vec<EvidenceView>> {
    let today = mamori_app::today_in_japan();
    let mut map: std::collections::HashMap<String, Vec<EvidenceView>> =
        std::collections::HashMap::new();
    for e in list {
        map.entry(e.item_key.clone())
            .or_default()
            .push(evidence_view(lang, Some(version), e, today));
    }
    map
}
