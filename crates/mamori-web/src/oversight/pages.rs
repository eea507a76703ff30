//! The oversight page (`/oversight`): a fiscal year's figures for the caller's scope — by
//! state, by kind and, for the whole country, as a tile map of the prefectures with the same
//! figures in a table — and the institution search below them, each count a link to the
//! institutions it counts; the search's result as .xlsx or CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use mamori_domain::oversight::{OversightKind, YearState};
use mamori_domain::{FiscalYear, InstitutionScope, Prefecture};
use mamori_reports::ledger::Encoding;
use mamori_reports::oversight_list::{
    self, FigureLine, FigureTable, ItemFigure, ItemFigures, ListRow,
};
use mamori_store::{OversightFilter, OversightRow, StateCounts};
use serde::Deserialize;

use super::tile_map::{self, Tile};
use crate::checklist::pages::{YearLink, year_links};
use crate::http::download::attachment;
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::page::{
    Chrome, PageResult, SignedIn, day_and_time_label, fy_label, prefecture_label, render,
};
use crate::{AppState, Routes};
use mamori_app as service;
use mamori_app::oversight::{ListQuery, Summary};

pub fn routes() -> Routes {
    Routes::default()
        .get("/oversight", oversight_page)
        .get("/oversight/export.xlsx", export_xlsx)
        .get("/oversight/export.csv", export_csv)
        .get("/oversight/figures.xlsx", figures_xlsx)
}

/// The page's query: the year, the scope and the search, as the form sends them.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OversightQuery {
    year: Option<String>,
    prefecture: Option<String>,
    q: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    flagged: Option<String>,
    beds: Option<String>,
    survey: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    encoding: Option<String>,
}

/// The query read: every value checked, or the field at fault.
struct Asked {
    fiscal_year: FiscalYear,
    prefecture: Option<Prefecture>,
    list: ListQuery,
    sort_text: String,
}

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn read_query(state: &AppState, q: &OversightQuery) -> Result<Asked, AppError> {
    let fiscal_year = match non_empty(&q.year) {
        Some(text) => service::parse_fiscal_year(state, text)?,
        None => service::current_fiscal_year(state),
    };
    let prefecture = non_empty(&q.prefecture)
        .map(Prefecture::parse)
        .transpose()?;
    let sort_text = non_empty(&q.sort).unwrap_or("prefecture").to_owned();
    let (sort, descending) = service::oversight::parse_sort(&sort_text)?;
    Ok(Asked {
        fiscal_year,
        prefecture,
        sort_text,
        list: ListQuery {
            prefecture,
            filter: OversightFilter {
                query: non_empty(&q.q).map(str::to_owned),
                kind: non_empty(&q.kind).map(OversightKind::parse).transpose()?,
                state: non_empty(&q.state).map(YearState::parse).transpose()?,
                overdue_only: non_empty(&q.overdue).is_some(),
                flagged_only: non_empty(&q.flagged).is_some(),
                beds: non_empty(&q.beds)
                    .map(service::oversight::parse_bed_band)
                    .transpose()?,
                survey_answered: non_empty(&q.survey)
                    .map(service::oversight::parse_survey)
                    .transpose()?,
            },
            sort,
            descending,
            limit: Some(PAGE_SIZE),
            offset: Some((q.page.unwrap_or(1).max(1) - 1) * PAGE_SIZE),
        },
    })
}

const PAGE_SIZE: i64 = 50;

/// The query opened as [`open_query`] does, and the year's figures it asks for.
async fn open_summary(
    state: &AppState,
    principal: &mamori_domain::Principal,
    q: &OversightQuery,
) -> Result<(InstitutionScope, Asked, Summary), AppError> {
    let (scope, asked) = open_query(state, principal, q)?;
    let summary =
        service::oversight::summary(state, principal, asked.fiscal_year, asked.prefecture).await?;
    Ok((scope, asked, summary))
}

/// The caller's scope and the query read, in that order: who may look comes before what
/// they asked for.
fn open_query(
    state: &AppState,
    principal: &mamori_domain::Principal,
    q: &OversightQuery,
) -> Result<(InstitutionScope, Asked), AppError> {
    let prefecture = non_empty(&q.prefecture)
        .map(Prefecture::parse)
        .transpose()?;
    let scope = service::oversight::oversight_scope(principal, prefecture)?;
    Ok((scope, read_query(state, q)?))
}

/// The link to the page with the asked query changed by `change`.
fn link(
    asked: &Asked,
    path: &str,
    change: impl FnOnce(&mut Vec<(&'static str, String)>),
) -> String {
    let f = &asked.list.filter;
    let mut pairs: Vec<(&'static str, String)> =
        vec![("year", asked.fiscal_year.start_year().to_string())];
    let mut push = |key: &'static str, value: Option<String>| {
        if let Some(v) = value {
            pairs.push((key, v));
        }
    };
    push("prefecture", asked.prefecture.map(Prefecture::code));
    push("q", f.query.clone());
    push("kind", f.kind.map(|k| k.as_str().to_owned()));
    push("state", f.state.map(|s| s.as_str().to_owned()));
    push("overdue", f.overdue_only.then(|| "1".to_owned()));
    push("flagged", f.flagged_only.then(|| "1".to_owned()));
    push("beds", f.beds.map(bed_band_text));
    push(
        "survey",
        f.survey_answered
            .map(|a| if a { "answered" } else { "not_answered" }.to_owned()),
    );
    if asked.sort_text != "prefecture" {
        pairs.push(("sort", asked.sort_text.clone()));
    }
    change(&mut pairs);
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// A bed band as the query writes it (see [`service::oversight::parse_bed_band`]).
fn bed_band_text(band: mamori_domain::assurance::BedBand) -> String {
    match band.max_beds {
        Some(max) if max == band.min_beds => max.to_string(),
        Some(max) => format!("{}-{max}", band.min_beds),
        None => format!("{}-", band.min_beds),
    }
}

/// The bed bands the page offers: none, 1–19, and the security-assurance project's bands.
fn bed_band_choices() -> Vec<mamori_domain::assurance::BedBand> {
    use mamori_domain::assurance::{BedBand, BedBands};
    let mut bands = vec![
        BedBand {
            min_beds: 0,
            max_beds: Some(0),
        },
        BedBand {
            min_beds: 1,
            max_beds: Some(19),
        },
    ];
    bands.extend(BedBands::standard().as_slice().iter().copied());
    bands
}

/// `pairs` with `key` set to `value` (or removed, for `None`).
fn set(pairs: &mut Vec<(&'static str, String)>, key: &'static str, value: Option<String>) {
    pairs.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        pairs.push((key, v));
    }
}

/// One count, with the link to the institutions it counts.
pub struct Count {
    pub n: i64,
    pub href: String,
}

/// A line of counts: in all, then by state, then overdue.
pub struct CountsLine {
    pub label: String,
    pub institutions: Count,
    pub states: Vec<Count>,
    pub ready_share: String,
    pub overdue_targets: i64,
    pub with_overdue: Count,
    /// Open 指摘 and the institutions with one.
    pub open_remarks: i64,
    pub with_open_remarks: i64,
    /// Devices in use with a high-severity flag, the institutions with one (a link to
    /// them), and the devices by flag.
    pub flagged_devices: i64,
    pub with_flagged: Count,
    pub end_of_support: i64,
    pub known_exploited: i64,
    pub vulnerable_vpn: i64,
}

/// One inspection of the year, as the oversight page lists it.
pub struct InspectionLine {
    pub href: String,
    pub name: String,
    pub prefecture: String,
    pub when: String,
    pub notified: bool,
    pub open_remarks: i64,
}

/// An item often answered いいえ, as the page lists it, with the year before where that
/// year's form has the same item.
pub struct NoItemLine {
    pub number: String,
    pub text: String,
    pub institutions: i64,
    pub previous: Option<i64>,
}

/// The `most` items most often answered いいえ in the asked year, each with its count the
/// year before (`with_previous`): the same item by its role where it has one, else its key.
async fn no_item_lines(
    state: &AppState,
    principal: &mamori_domain::Principal,
    asked: &Asked,
    lang: Lang,
    most: i64,
    with_previous: bool,
) -> Result<Vec<NoItemLine>, AppError> {
    let now = service::oversight::items_answered_no(
        state,
        principal,
        asked.fiscal_year,
        asked.prefecture,
        most,
    )
    .await?;
    let before = if with_previous {
        service::oversight::items_answered_no(
            state,
            principal,
            asked.fiscal_year.previous(),
            asked.prefecture,
            i64::MAX,
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(now
        .into_iter()
        .map(|i| NoItemLine {
            number: i.item.number.clone(),
            text: lang.pick(&i.item.text_ja, &i.item.text_en).to_owned(),
            institutions: i.institutions,
            previous: before
                .iter()
                .find(|b| match (b.item.role, i.item.role) {
                    (Some(before), Some(now)) => before == now,
                    _ => b.item.key == i.item.key,
                })
                .map(|b| b.institutions),
        })
        .collect())
}

/// The most inspections the page lists.
const INSPECTIONS_LISTED: i64 = 200;

fn counts_line(
    asked: &Asked,
    label: String,
    counts: &StateCounts,
    scope: impl Fn(&mut Vec<(&'static str, String)>) + Copy,
) -> CountsLine {
    let count = |n: i64, state: Option<YearState>, overdue: bool| Count {
        n,
        href: link(asked, "/oversight", |pairs| {
            scope(pairs);
            set(pairs, "state", state.map(|s| s.as_str().to_owned()));
            set(pairs, "overdue", overdue.then(|| "1".to_owned()));
            set(pairs, "flagged", None);
            set(pairs, "q", None);
        }) + "#results",
    };
    CountsLine {
        label,
        institutions: count(counts.institutions, None, false),
        states: vec![
            count(counts.not_started, Some(YearState::NotStarted), false),
            count(counts.in_progress, Some(YearState::InProgress), false),
            count(counts.completed, Some(YearState::Completed), false),
            count(counts.ready, Some(YearState::Ready), false),
        ],
        ready_share: tile_map::share(counts.ready, counts.institutions),
        overdue_targets: counts.overdue_targets,
        with_overdue: count(counts.institutions_with_overdue, None, true),
        open_remarks: counts.open_remarks,
        with_open_remarks: counts.institutions_with_open_remarks,
        flagged_devices: counts.flagged_devices,
        with_flagged: Count {
            n: counts.institutions_with_flagged_devices,
            href: link(asked, "/oversight", |pairs| {
                scope(pairs);
                set(pairs, "state", None);
                set(pairs, "overdue", None);
                set(pairs, "q", None);
                set(pairs, "flagged", Some("1".to_owned()));
            }) + "#results",
        },
        end_of_support: counts.end_of_support,
        known_exploited: counts.known_exploited,
        vulnerable_vpn: counts.vulnerable_vpn,
    }
}

/// The year before's counts, in the order of the state cards.
pub struct PreviousYear {
    pub label: String,
    pub institutions: i64,
    pub states: Vec<i64>,
    pub with_overdue: i64,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ResultRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub prefecture: String,
    pub municipality: String,
    pub beds: i64,
    pub state: String,
    pub state_class: &'static str,
    pub overdue_targets: i64,
    pub flagged_devices: i64,
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct OversightPage {
    chrome: Chrome,
    scope_label: String,
    /// The year and what the page shows.
    lead: String,
    fiscal_year: i32,
    years: Vec<YearLink>,
    state_labels: Vec<String>,
    total: CountsLine,
    last_year: Option<PreviousYear>,
    kinds: Vec<CountsLine>,
    no_items: Vec<NoItemLine>,
    inspections: Vec<InspectionLine>,
    national: bool,
    tiles: Vec<Tile>,
    prefectures: Vec<CountsLine>,
    q: String,
    kind_choices: Vec<Choice>,
    state_choices: Vec<Choice>,
    prefecture_choices: Vec<Choice>,
    sort_choices: Vec<Choice>,
    overdue: bool,
    flagged: bool,
    beds_choices: Vec<Choice>,
    survey_choices: Vec<Choice>,
    rows: Vec<ResultRow>,
    found: i64,
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    export_xlsx: String,
    export_csv: String,
    export_csv_sjis: String,
    export_figures: String,
}

fn state_label(lang: Lang, state: YearState) -> String {
    lang.pick(state.label_ja(), state.label_en()).to_owned()
}

fn kind_label(lang: Lang, kind: OversightKind) -> String {
    lang.pick(kind.label_ja(), kind.label_en()).to_owned()
}

fn state_class(state: &str) -> &'static str {
    match state {
        "ready" => "ok",
        "completed" => "info",
        "in_progress" => "warn",
        _ => "muted",
    }
}

fn result_row(lang: Lang, row: OversightRow) -> ResultRow {
    let state = YearState::parse(&row.state).ok();
    ResultRow {
        id: row.id,
        name: row.name,
        kind: OversightKind::parse(&row.kind)
            .map(|k| kind_label(lang, k))
            .unwrap_or(row.kind),
        prefecture: Prefecture::parse(&row.prefecture)
            .map(|p| lang.pick(p.name_ja(), p.name_en()).to_owned())
            .unwrap_or(row.prefecture),
        municipality: row.municipality_name,
        beds: row.beds,
        state_class: state_class(&row.state),
        state: state.map(|s| state_label(lang, s)).unwrap_or(row.state),
        overdue_targets: row.overdue_targets,
        flagged_devices: row.flagged_devices,
    }
}

async fn oversight_page(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<OversightQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let (scope, asked, summary) = open_summary(&state, &principal, &q).await?;
    let found =
        service::oversight::institutions(&state, &principal, asked.fiscal_year, &asked.list)
            .await?;
    // The year before, beside this one, where the catalog has it.
    let previous_year = asked.fiscal_year.previous();
    let last_year = if state.catalog.fiscal_years().contains(&previous_year) {
        let p = service::oversight::summary(&state, &principal, previous_year, asked.prefecture)
            .await?;
        Some(PreviousYear {
            label: fy_label(lang, previous_year),
            institutions: p.total.institutions,
            states: vec![
                p.total.not_started,
                p.total.in_progress,
                p.total.completed,
                p.total.ready,
            ],
            with_overdue: p.total.institutions_with_overdue,
        })
    } else {
        None
    };
    let no_items = no_item_lines(
        &state,
        &principal,
        &asked,
        lang,
        crate::oversight::api::ITEMS_ANSWERED_NO,
        last_year.is_some(),
    )
    .await?;
    let inspections = service::oversight::inspections(
        &state,
        &principal,
        asked.fiscal_year,
        asked.prefecture,
        INSPECTIONS_LISTED,
    )
    .await?
    .into_iter()
    .map(|i| InspectionLine {
        href: format!(
            "/institutions/{}/inspection/{}/follow-up",
            i.institution_id,
            asked.fiscal_year.start_year()
        ),
        name: i.name,
        prefecture: Prefecture::parse(&i.prefecture)
            .map(|p| lang.pick(p.name_ja(), p.name_en()).to_owned())
            .unwrap_or(i.prefecture),
        when: chrono::NaiveDate::parse_from_str(&i.scheduled_on, "%Y-%m-%d").map_or(
            i.scheduled_on.clone(),
            |d| {
                let time = i
                    .starts_at
                    .as_deref()
                    .and_then(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok());
                day_and_time_label(lang, d, time)
            },
        ),
        notified: i.notified_at.is_some(),
        open_remarks: i.open_remarks,
    })
    .collect();
    let national = scope == InstitutionScope::All;
    let whole_country = principal.prefecture.is_none();
    let total = counts_line(
        &asked,
        lang.text("oversight-all-kinds").to_owned(),
        &summary.total,
        |pairs| set(pairs, "kind", None),
    );
    let kinds = summary
        .by_kind
        .iter()
        .map(|(kind, c)| {
            let k = *kind;
            counts_line(&asked, kind_label(lang, k), c, move |pairs| {
                set(pairs, "kind", Some(k.as_str().to_owned()))
            })
        })
        .collect();
    let prefectures: Vec<CountsLine> = if national {
        summary
            .by_prefecture
            .iter()
            .map(|(p, c)| {
                let p = *p;
                counts_line(&asked, prefecture_label(lang, p), c, move |pairs| {
                    set(pairs, "prefecture", Some(p.code()));
                    set(pairs, "kind", None);
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let tiles = if national {
        tile_map::tiles(|p| {
            summary
                .by_prefecture
                .iter()
                .find(|(q, _)| *q == p)
                .map_or((0, 0), |(_, c)| (c.ready, c.institutions))
        })
    } else {
        Vec::new()
    };
    let filter = &asked.list.filter;
    let choices = |values: Vec<(String, String)>, selected: Option<String>| -> Vec<Choice> {
        values
            .into_iter()
            .map(|(value, label)| Choice {
                selected: selected.as_deref() == Some(value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let kind_choices = choices(
        OversightKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), kind_label(lang, *k)))
            .collect(),
        filter.kind.map(|k| k.as_str().to_owned()),
    );
    let state_choices = choices(
        YearState::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), state_label(lang, *s)))
            .collect(),
        filter.state.map(|s| s.as_str().to_owned()),
    );
    let prefecture_choices = if whole_country {
        choices(
            Prefecture::all()
                .map(|p| (p.code(), prefecture_label(lang, p)))
                .collect(),
            asked.prefecture.map(Prefecture::code),
        )
    } else {
        Vec::new()
    };
    let beds_choices = choices(
        bed_band_choices()
            .into_iter()
            .map(|b| {
                let label = if b.max_beds == Some(0) {
                    lang.text("oversight-beds-none").to_owned()
                } else {
                    b.label().render(lang)
                };
                (bed_band_text(b), label)
            })
            .collect(),
        filter.beds.map(bed_band_text),
    );
    let survey_choices = choices(
        [
            ("answered", "oversight-survey-answered"),
            ("not_answered", "oversight-survey-not-answered"),
        ]
        .iter()
        .map(|(v, key)| ((*v).to_owned(), lang.text(key).to_owned()))
        .collect(),
        filter
            .survey_answered
            .map(|a| if a { "answered" } else { "not_answered" }.to_owned()),
    );
    let sort_choices = choices(
        [
            ("prefecture", "oversight-sort-prefecture"),
            ("name", "oversight-sort-name"),
            ("-beds", "oversight-sort-beds"),
            ("state", "oversight-sort-state"),
            ("-overdue", "oversight-sort-overdue"),
        ]
        .iter()
        .map(|(v, key)| ((*v).to_owned(), lang.text(key).to_owned()))
        .collect(),
        Some(asked.sort_text.clone()),
    );
    let page = q.page.unwrap_or(1).max(1);
    let pages = ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_link = |n: i64| {
        link(&asked, "/oversight", |pairs| {
            set(pairs, "page", Some(n.to_string()))
        }) + "#results"
    };
    let scope_label = scope_label(lang, &summary);
    let fiscal_year_label = fy_label(lang, asked.fiscal_year);
    Ok(render(
        StatusCode::OK,
        &OversightPage {
            chrome: Chrome::new(
                &ctx,
                Some(&user),
                format!("{} — {scope_label}", lang.text("oversight-title")),
            ),
            scope_label,
            lead: format!("{fiscal_year_label} · {}", lang.text("oversight-lead")),
            fiscal_year: asked.fiscal_year.start_year(),
            years: year_links(state.catalog, lang, asked.fiscal_year),
            state_labels: YearState::ALL
                .iter()
                .map(|s| state_label(lang, *s))
                .collect(),
            total,
            last_year,
            kinds,
            no_items,
            inspections,
            national,
            tiles,
            prefectures,
            q: filter.query.clone().unwrap_or_default(),
            kind_choices,
            state_choices,
            prefecture_choices,
            sort_choices,
            overdue: filter.overdue_only,
            flagged: filter.flagged_only,
            beds_choices,
            survey_choices,
            rows: found
                .items
                .into_iter()
                .map(|r| result_row(lang, r))
                .collect(),
            found: found.total,
            page,
            pages,
            previous: (page > 1).then(|| page_link(page - 1)),
            next: (page < pages).then(|| page_link(page + 1)),
            export_xlsx: link(&asked, "/oversight/export.xlsx", |_| {}),
            export_csv: link(&asked, "/oversight/export.csv", |_| {}),
            export_csv_sjis: link(&asked, "/oversight/export.csv", |pairs| {
                pairs.push(("encoding", "shift_jis".to_owned()))
            }),
            export_figures: link(&asked, "/oversight/figures.xlsx", |pairs| {
                pairs.retain(|(k, _)| matches!(*k, "year" | "prefecture"))
            }),
        },
    ))
}

/// The most institutions one export holds: a prefecture's whole list (Tokyo has about
/// 24,000); the national office narrows the country's by prefecture or kind.
const MAX_EXPORT: i64 = 50_000;

/// Every institution the search finds (up to [`MAX_EXPORT`]), as the export's rows.
async fn export_rows(
    state: &AppState,
    principal: &mamori_domain::Principal,
    lang: Lang,
    q: &OversightQuery,
) -> Result<(String, Vec<ListRow>), AppError> {
    let (scope, asked) = open_query(state, principal, q)?;
    let found = service::oversight::every_institution(
        state,
        principal,
        asked.fiscal_year,
        &asked.list,
        MAX_EXPORT,
    )
    .await?;
    if found.total > MAX_EXPORT {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            service::ErrorCode::TooManyRows,
            mamori_locale::Message::new("oversight-export-too-large")
                .with("found", found.total)
                .with("most", MAX_EXPORT),
        ));
    }
    let rows = found
        .items
        .into_iter()
        .map(|r| {
            let code = r.medical_institution_code.clone().unwrap_or_default();
            let view = result_row(lang, r);
            ListRow {
                name: view.name,
                kind: view.kind,
                prefecture: view.prefecture,
                municipality: view.municipality,
                beds: view.beds,
                medical_institution_code: code,
                state: view.state,
                overdue_targets: view.overdue_targets,
                flagged_devices: view.flagged_devices,
            }
        })
        .collect();
    Ok((file_name(&asked, scope), rows))
}

/// `institutions-2026-13`: the year and the scope (`all` for the country), in ASCII as an
/// attachment's name must be; the caller adds the extension.
fn file_name(asked: &Asked, scope: InstitutionScope) -> String {
    let scope = match scope {
        InstitutionScope::Prefecture(p) => p.code(),
        _ => "all".to_owned(),
    };
    format!("institutions-{}-{scope}", asked.fiscal_year.start_year())
}

async fn export_xlsx(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<OversightQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let (name, rows) = export_rows(&state, &user.user().principal(), lang, &q).await?;
    let bytes =
        oversight_list::export_xlsx(&rows, lang).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(attachment(
        crate::http::download::XLSX_CONTENT_TYPE,
        &format!("{name}.xlsx"),
        bytes,
    ))
}

async fn export_csv(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<OversightQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let encoding = match non_empty(&q.encoding) {
        None | Some("utf-8" | "utf8") => Encoding::Utf8,
        Some("shift_jis" | "sjis") => Encoding::ShiftJis,
        Some(other) => {
            return Err(mamori_domain::ParseError::new(
                "encoding",
                mamori_locale::Message::new("oversight-export-encoding").with("value", other),
            )
            .into());
        }
    };
    let (name, rows) = export_rows(&state, &user.user().principal(), lang, &q).await?;
    let bytes = match oversight_list::export_csv(&rows, lang, encoding) {
        Ok(bytes) => bytes,
        Err(oversight_list::ListError::Unmappable { row, column }) => {
            return Err(AppError::rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                service::ErrorCode::UnmappableCharacter,
                mamori_locale::Message::new("oversight-export-unmappable")
                    .with("row", row)
                    .with("column", lang.text(column)),
            )
            .into());
        }
        Err(e) => return Err(AppError::internal(e.to_string()).into()),
    };
    let content_type = match encoding {
        Encoding::Utf8 => "text/csv; charset=utf-8",
        Encoding::ShiftJis => "text/csv; charset=shift_jis",
    };
    Ok(attachment(content_type, &format!("{name}.csv"), bytes))
}

/// The prefecture the figures are of, or the whole country.
fn scope_label(lang: Lang, summary: &Summary) -> String {
    match summary.prefecture {
        Some(p) => prefecture_label(lang, p),
        None => lang.text("oversight-scope-all").to_owned(),
    }
}

fn figure_line(label: String, c: &StateCounts) -> FigureLine {
    FigureLine {
        label,
        institutions: c.institutions,
        states: [c.not_started, c.in_progress, c.completed, c.ready],
        with_overdue: c.institutions_with_overdue,
        overdue_targets: c.overdue_targets,
        with_open_remarks: c.institutions_with_open_remarks,
        open_remarks: c.open_remarks,
        with_flagged: c.institutions_with_flagged_devices,
        flagged: [
            c.flagged_devices,
            c.end_of_support,
            c.known_exploited,
            c.vulnerable_vpn,
        ],
    }
}

/// The year's figures of the caller's scope (or the prefecture asked) as a workbook for
/// publication: by kind, and for the country by prefecture (states, overdue target dates,
/// open 指導 and flagged devices), and the items most often answered いいえ beside the year
/// before.
async fn figures_xlsx(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<OversightQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let principal = user.user().principal();
    let (scope, asked, summary) = open_summary(&state, &principal, &q).await?;
    let scope_label = scope_label(lang, &summary);
    let mut kinds = vec![figure_line(
        lang.text("oversight-all-kinds").to_owned(),
        &summary.total,
    )];
    kinds.extend(
        summary
            .by_kind
            .iter()
            .map(|(k, c)| figure_line(kind_label(lang, *k), c)),
    );
    let prefectures: Vec<FigureLine> = summary
        .by_prefecture
        .iter()
        .map(|(p, c)| figure_line(prefecture_label(lang, *p), c))
        .collect();
    let mut tables = vec![FigureTable {
        title: lang.text("oversight-by-kind"),
        first_heading: lang.text("oversight-col-kind"),
        lines: &kinds,
    }];
    // A prefecture asked for narrows the scope: the country's table is for the whole of it.
    if scope == InstitutionScope::All {
        tables.push(FigureTable {
            title: lang.text("oversight-by-prefecture"),
            first_heading: lang.text("oversight-col-prefecture"),
            lines: &prefectures,
        });
    }
    let heading = format!(
        "{} — {scope_label} — {}",
        lang.text("oversight-title"),
        fy_label(lang, asked.fiscal_year)
    );
    let previous_year = asked.fiscal_year.previous();
    let with_previous = state.catalog.fiscal_years().contains(&previous_year);
    let no_items: Vec<ItemFigure> = no_item_lines(
        &state,
        &principal,
        &asked,
        lang,
        crate::oversight::api::ITEMS_ANSWERED_NO,
        with_previous,
    )
    .await?
    .into_iter()
    .map(|i| ItemFigure {
        number: i.number,
        text: i.text,
        institutions: i.institutions,
        previous: i.previous,
    })
    .collect();
    let items = ItemFigures {
        title: lang.text("oversight-answered-no-title"),
        year_heading: fy_label(lang, asked.fiscal_year),
        previous_heading: with_previous.then(|| fy_label(lang, previous_year)),
        lines: &no_items,
    };
    let bytes = oversight_list::figures_xlsx(&heading, &tables, &items, lang)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(attachment(
        crate::http::download::XLSX_CONTENT_TYPE,
        &format!("{}-figures.xlsx", file_name(&asked, scope)),
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_change_one_thing() {
        let asked = Asked {
            fiscal_year: FiscalYear::new(2026).expect("year"),
            prefecture: Prefecture::parse("13").ok(),
            sort_text: "-overdue".into(),
            list: ListQuery {
                filter: OversightFilter {
                    query: Some("みなと 中央".into()),
                    kind: Some(OversightKind::Hospital),
                    state: None,
                    overdue_only: true,
                    ..OversightFilter::default()
                },
                ..ListQuery::default()
            },
        };
        let href = link(&asked, "/oversight", |pairs| {
            set(pairs, "state", Some("ready".into()))
        });
        assert_eq!(
            href,
            "/oversight?year=2026&prefecture=13&q=%E3%81%BF%E3%81%AA%E3%81%A8+%E4%B8%AD%E5%A4%AE&kind=hospital&overdue=1&sort=-overdue&state=ready"
        );
    }
}
