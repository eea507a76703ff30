//! The contact chart (連絡体制図) page with its drawing and A4 print, and the backup and BCP
//! page, read by those who see the institution.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_domain::contact_chart::{ChartState, chart_status};
use mamori_domain::continuity::continuity_warnings;

use super::api as records;
use crate::http::auth::WebUser;
use crate::http::i18n::{Lang, Message};
use crate::http::ids::{Ids, InstitutionId};
use crate::http::page::{
    Chrome, PageCtx, PageError, PageResult, SignedIn, page_institution, render,
};
use crate::http::page::{PageOpening, VisiblePage};
use crate::{AppState, Routes};
use mamori_app::{self as service, today_in_japan};

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/contact-chart", contact_chart_page)
        .get(
            "/institutions/{id}/contact-chart/print",
            contact_chart_print,
        )
        .get("/institutions/{id}/contact-chart.svg", contact_chart_svg)
        .get("/institutions/{id}/continuity", continuity_page)
}

// ----- contact chart and continuity ----------------------------------------------------

#[derive(Template)]
#[template(path = "contact_chart.html")]
struct ContactChartPage {
    chrome: Chrome,
    id: i64,
    name: String,
    has_chart: bool,
    state: &'static str,
    state_label: String,
    missing: Vec<String>,
    suggestions: Vec<String>,
    updated_at: String,
    print: bool,
}

async fn chart_view(
    state: &AppState,
    ctx: &PageCtx,
    user: &WebUser,
    id: InstitutionId,
    print: bool,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let institution = page_institution(state, &principal, id).await?;
    service::record_read(state, &principal, institution.id, "contact_chart").await?;
    let stored = records::stored_chart(state, institution.id).await?;
    let contracts = service::coverage::vendor_contracts(state, institution.id).await?;
    let status = chart_status(stored.as_ref().map(|s| &s.0), &contracts, today_in_japan());
    let (state_class, state_label) = match status.state {
        ChartState::None => ("bad", lang.text("contact-chart-none")),
        ChartState::Draft => ("warn", lang.text("contact-chart-draft-gaps")),
        ChartState::Complete => ("ok", lang.text("contact-chart-complete")),
    };
    let gap = |g: &mamori_domain::contact_chart::ChartGapReport| {
        lang.pick(&g.message_ja, &g.message_en).to_owned()
    };
    let title = lang.t("contact-chart-contact-chart");
    Ok(render(
        StatusCode::OK,
        &ContactChartPage {
            chrome: Chrome::new(ctx, Some(user), title),
            id: institution.id,
            name: institution.name.clone(),
            has_chart: stored.is_some(),
            state: state_class,
            state_label: state_label.to_owned(),
            missing: status.missing.iter().map(gap).collect(),
            suggestions: status.suggestions.iter().map(gap).collect(),
            updated_at: stored.map(|s| s.1).unwrap_or_default(),
            print,
        },
    ))
}

async fn contact_chart_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(id): Ids<InstitutionId>,
) -> PageResult {
    chart_view(&state, &ctx, &user, id, false).await
}

async fn contact_chart_print(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Ids(id): Ids<InstitutionId>,
) -> PageResult {
    chart_view(&state, &ctx, &user, id, true).await
}

async fn contact_chart_svg(
    State(state): State<AppState>,
    PageOpening(ctx, _, principal, institution): VisiblePage,
) -> Result<Response, crate::http::page::PageError> {
    let lang = ctx.lang;
    records::chart_svg_response(&state, &principal, &institution, lang)
        .await
        .map_err(PageError::from)
}

#[derive(Template)]
#[template(path = "continuity.html")]
struct ContinuityPage {
    chrome: Chrome,
    id: i64,
    name: String,
    backups: Vec<(String, String, String, String)>,
    bcp: String,
    warnings: Vec<(&'static str, String)>,
    evidence: Vec<(String, bool, Vec<String>)>,
    can_edit: bool,
}

async fn continuity_page(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): VisiblePage,
) -> PageResult {
    let lang = ctx.lang;
    service::record_read(&state, &principal, institution.id, "continuity").await?;
    let (records, _) = records::stored_continuity(&state, institution.id).await?;
    let today = today_in_japan();
    let backups = records
        .backups
        .iter()
        .map(|b| {
            let subject = match lang {
                Lang::Ja => b.subject_ja(),
                Lang::En => b.subject_en(),
            };
            let how = b
                .locations
                .iter()
                .map(|l| lang.pick(l.label_ja(), l.label_en()))
                .collect::<Vec<_>>()
                .join(lang.text("contact-chart-list-separator"));
            let how = format!(
                "{how} / {} / {}",
                Message::new("contact-chart-generation-count")
                    .with("count", b.generations)
                    .render(lang),
                if b.encrypted {
                    lang.text("contact-chart-encrypted-yes")
                } else {
                    lang.text("contact-chart-not-encrypted")
                }
            );
            let freq = lang
                .pick(b.frequency.label_ja(), b.frequency.label_en())
                .to_owned();
            let restore = b.last_restore_test.map_or_else(
                || lang.t("contact-chart-never"),
                |t| {
                    Message::new("contact-chart-restore-test")
                        .with("date", t.on.to_string())
                        .with("minutes", t.duration_minutes)
                        .render(lang)
                },
            );
            (subject, how, freq, restore)
        })
        .collect();
    let bcp = match &records.bcp {
        None => lang.t("contact-chart-no-record-lower"),
        Some(b) => {
            let state = match b.state {
                mamori_domain::continuity::BcpState::Established { on } => {
                    Message::new("contact-chart-established-on")
                        .with("date", on.to_string())
                        .render(lang)
                }
                mamori_domain::continuity::BcpState::Drafting { target } => {
                    Message::new("contact-chart-drafting-target")
                        .with("date", target.to_string())
                        .render(lang)
                }
                mamori_domain::continuity::BcpState::NotStarted => {
                    lang.t("contact-chart-not-started")
                }
            };
            let drill = b.last_drill.map_or_else(
                || lang.t("contact-chart-never-drilled"),
                |d| {
                    Message::new("contact-chart-last-drill-on")
                        .with("date", d.to_string())
                        .render(lang)
                },
            );
            format!("{state} · {drill}")
        }
    };
    let warnings = continuity_warnings(&records.backups, records.bcp.as_ref(), today)
        .into_iter()
        .map(|w| {
            let class = if w.severity == mamori_domain::Severity::Blocking {
                "bad"
            } else {
                "warn"
            };
            (class, lang.pick(&w.message_ja, &w.message_en).to_owned())
        })
        .collect();
    let evidence = records::continuity_evidence(
        &state,
        &institution,
        service::current_fiscal_year(&state),
        &records,
    )
    .into_iter()
    .map(|e| {
        let facts = match lang {
            Lang::Ja => e.facts_ja,
            Lang::En => e.facts_en,
        };
        (
            format!("{} {}", e.number, lang.pick(&e.text_ja, &e.text_en)),
            e.supports_yes,
            facts,
        )
    })
    .collect();
    let title = lang.t("contact-chart-backup-bcp");
    Ok(render(
        StatusCode::OK,
        &ContinuityPage {
            chrome: Chrome::new(&ctx, Some(&user), title),
            id: institution.id,
            name: institution.name.clone(),
            backups,
            bcp,
            warnings,
            evidence,
            can_edit: principal.can_answer(institution.id),
        },
    ))
}
