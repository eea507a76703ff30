//! The backup and BCP editor: a plain form (no script needed) with one block per backup
//! record, a blank block to add one, a box to remove each, and the BCP for cyber attacks.
//! Every refused field is named beside the field, in the user's language.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use mamori_domain::answer::parse_date;
use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::continuity::{
    BackupFrequency, BackupLocation, BackupRecord, BcpRecord, BcpState, RestoreTest,
};
use mamori_domain::vendor::SystemKind;

use super::api::{self as records, ContinuityRecords};
use super::editor::{form_count, incomplete_form};
use crate::http::error::AppError;
use crate::http::i18n::{Lang, Message};
use crate::http::page::{
    AnsweredPage, Chrome, PageError, PageOpening, PageResult, redirect, render,
};
use crate::{AppState, Routes};
use mamori_app::today_in_japan;

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/continuity/edit", editor)
        .post("/institutions/{id}/continuity/edit", save)
}

const LOCATIONS: [(BackupLocation, &str); 4] = [
    (BackupLocation::Offline, "offline"),
    (BackupLocation::Offsite, "offsite"),
    (BackupLocation::Cloud, "cloud"),
    (BackupLocation::Onsite, "onsite"),
];

const FREQUENCIES: [(BackupFrequency, &str); 7] = [
    (BackupFrequency::Continuous, "continuous"),
    (BackupFrequency::Daily, "daily"),
    (BackupFrequency::Weekly, "weekly"),
    (BackupFrequency::Monthly, "monthly"),
    (BackupFrequency::Quarterly, "quarterly"),
    (BackupFrequency::Yearly, "yearly"),
    (BackupFrequency::Irregular, "irregular"),
];

/// The most backup blocks a form may carry.
const BLOCKS_MAX: usize = 50;

/// A choice of the form: its value, label, and whether it is chosen.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub on: bool,
}

/// One backup block of the form, as shown (stored values, or what was sent).
#[derive(Default)]
pub struct BackupBlock {
    pub index: usize,
    pub is_new: bool,
    pub systems: Vec<Choice>,
    pub data: String,
    pub locations: Vec<Choice>,
    pub write_once: bool,
    pub generations: String,
    pub encrypted: bool,
    pub frequencies: Vec<Choice>,
    pub restore_on: String,
    pub restore_minutes: String,
    pub restore_ok: bool,
    pub notes: String,
    pub remove: bool,
    /// Messages by field name (`systems`, `locations`, `generations`, …).
    pub errors: HashMap<&'static str, String>,
}

impl BackupBlock {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn new(lang: Lang, index: usize, record: Option<&BackupRecord>) -> Self {
        let systems = SystemKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: lang.pick(k.label_ja(), k.label_en()).to_owned(),
                on: record.is_some_and(|r| r.systems.contains(k)),
            })
            .collect();
        let locations = LOCATIONS
            .iter()
            .map(|(l, v)| Choice {
                value: v,
                label: lang.pick(l.label_ja(), l.label_en()).to_owned(),
                on: record.is_some_and(|r| r.locations.contains(l)),
            })
            .collect();
        let frequency = record.map_or(BackupFrequency::Daily, |r| r.frequency);
        let frequencies = FREQUENCIES
            .iter()
            .map(|(f, v)| Choice {
                value: v,
                label: lang.pick(f.label_ja(), f.label_en()).to_owned(),
                on: *f == frequency,
            })
            .collect();
        let test = record.and_then(|r| r.last_restore_test);
        Self {
            index,
            is_new: record.is_none(),
            systems,
            data: record.map(|r| r.data.clone()).unwrap_or_default(),
            locations,
            write_once: record.is_some_and(|r| r.write_once),
            generations: record
                .map(|r| r.generations.to_string())
                .unwrap_or_default(),
            encrypted: record.is_some_and(|r| r.encrypted),
            frequencies,
            restore_on: test.map(|t| t.on.to_string()).unwrap_or_default(),
            restore_minutes: test
                .map(|t| t.duration_minutes.to_string())
                .unwrap_or_default(),
            restore_ok: test.is_none_or(|t| t.succeeded),
            notes: record.map(|r| r.notes.clone()).unwrap_or_default(),
            remove: false,
            errors: HashMap::new(),
        }
    }

    /// The block as sent in the form.
    fn from_form(lang: Lang, index: usize, form: &HashMap<String, String>) -> Self {
        let field = |name: &str| {
            form.get(&format!("b{index}_{name}"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let ticked = |name: &str| form.contains_key(&format!("b{index}_{name}"));
        let mut block = Self::new(lang, index, None);
        block.is_new = field("new") == "1";
        for c in &mut block.systems {
            c.on = ticked(&format!("sys_{}", c.value));
        }
        for c in &mut block.locations {
            c.on = ticked(&format!("loc_{}", c.value));
        }
        let frequency = field("frequency");
        for c in &mut block.frequencies {
            c.on = c.value == frequency;
        }
        block.data = field("data");
        block.write_once = ticked("write_once");
        block.generations = field("generations");
        block.encrypted = ticked("encrypted");
        block.restore_on = field("restore_on");
        block.restore_minutes = field("restore_minutes");
        block.restore_ok = ticked("restore_ok");
        block.notes = field("notes");
        block.remove = ticked("remove");
        block
    }

    /// Nothing entered: a new block left blank is not a record.
    fn is_blank(&self) -> bool {
        !self.systems.iter().any(|c| c.on)
            && !self.locations.iter().any(|c| c.on)
            && self.data.is_empty()
            && self.generations.is_empty()
            && self.restore_on.is_empty()
            && self.restore_minutes.is_empty()
            && self.notes.is_empty()
    }

    /// The record, or the problems of its fields (`backups[i].field`).
    fn record(&mut self, lang: Lang, today: NaiveDate) -> Result<BackupRecord, Vec<FieldProblem>> {
        let path = |f: &str| format!("backups[{}].{f}", self.index);
        let mut problems = Vec::new();
        let generations = match self.generations.parse::<u16>() {
            Ok(n) if (1..=999).contains(&n) => n,
            _ if self.generations.is_empty() => {
                problems.push(FieldProblem::new(
                    path("generations"),
                    "required",
                    mamori_locale::Message::new(
                        "contact-chart-give-number-generations-past-copies",
                    ),
                ));
                0
            }
            _ => {
                problems.push(FieldProblem::new(
                    path("generations"),
                    "invalid",
                    Message::new("contact-chart-generations-invalid")
                        .with("generations", self.generations.as_str()),
                ));
                0
            }
        };
        let frequency = FREQUENCIES
            .iter()
            .zip(&self.frequencies)
            .find(|(_, c)| c.on)
            .map(|((f, _), _)| *f);
        if frequency.is_none() {
            problems.push(FieldProblem::new(
                path("frequency"),
                "required",
                mamori_locale::Message::new("contact-chart-choose-how-often-backup-taken"),
            ));
        }
        let restore = match (self.restore_on.is_empty(), self.restore_minutes.is_empty()) {
            (true, true) => None,
            (true, false) => {
                problems.push(FieldProblem::new(
                    path("last_restore_test.on"),
                    "required",
                    mamori_locale::Message::new("contact-chart-restore-duration-give-date-restore"),
                ));
                None
            }
            (false, _) => {
                let on = match parse_date("restore_on", &self.restore_on) {
                    Ok(d) if d > today => {
                        problems.push(FieldProblem::new(
                            path("last_restore_test.on"),
                            "in_future",
                            Message::new("contact-chart-restore-in-future")
                                .with("date", d.to_string()),
                        ));
                        None
                    }
                    Ok(d) => Some(d),
                    Err(e) => {
                        problems.push(FieldProblem::new(
                            path("last_restore_test.on"),
                            "invalid_date",
                            e.message,
                        ));
                        None
                    }
                };
                let minutes = match self.restore_minutes.parse::<u32>() {
                    Ok(m) => Some(m),
                    Err(_) => {
                        problems.push(FieldProblem::new(
                            path("last_restore_test.duration_minutes"),
                            "invalid",
                            mamori_locale::Message::new("contact-chart-give-how-long-restore-took"),
                        ));
                        None
                    }
                };
                on.zip(minutes).map(|(on, duration_minutes)| RestoreTest {
                    on,
                    duration_minutes,
                    succeeded: self.restore_ok,
                })
            }
        };
        let record = BackupRecord {
            systems: SystemKind::ALL
                .iter()
                .zip(&self.systems)
                .filter(|(_, c)| c.on)
                .map(|(k, _)| *k)
                .collect(),
            data: self.data.clone(),
            locations: LOCATIONS
                .iter()
                .zip(&self.locations)
                .filter(|(_, c)| c.on)
                .map(|((l, _), _)| *l)
                .collect(),
            write_once: self.write_once,
            generations: generations.max(1),
            encrypted: self.encrypted,
            frequency: frequency.unwrap_or(BackupFrequency::Irregular),
            last_restore_test: restore,
            notes: self.notes.clone(),
        };
        // The record's own rules, with the field names of this block.
        for p in record.problems(today) {
            let p = FieldProblem {
                path: path(&p.path),
                ..p
            };
            if problems.iter().any(|q| q.path == p.path) {
                continue;
            }
            problems.push(p);
        }
        for p in &problems {
            let field = p.path.rsplit_once("].").map_or(p.path.as_str(), |(_, f)| f);
            let key = match field {
                "systems" => "systems",
                "locations" => "locations",
                "generations" => "generations",
                "frequency" => "frequency",
                "last_restore_test.on" => "restore_on",
                "last_restore_test.duration_minutes" => "restore_minutes",
                _ => "notes",
            };
            self.errors.insert(key, p.message.render(lang));
        }
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(problems)
        }
    }
}

/// The BCP part of the form.
pub struct BcpBlock {
    pub states: Vec<Choice>,
    pub date: String,
    pub last_drill: String,
    pub notes: String,
    pub errors: HashMap<&'static str, String>,
}

impl BcpBlock {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn states(lang: Lang, chosen: &str) -> Vec<Choice> {
        [
            ("", "contact-chart-not-recorded"),
            ("established", "contact-chart-established"),
            ("drafting", "contact-chart-drafting"),
            ("not_started", "contact-chart-not-started"),
        ]
        .into_iter()
        .map(|(value, key)| Choice {
            value,
            label: lang.t(key),
            on: value == chosen,
        })
        .collect()
    }

    fn new(lang: Lang, bcp: Option<&BcpRecord>) -> Self {
        let (state, date) = match bcp.map(|b| b.state) {
            None => ("", String::new()),
            Some(BcpState::Established { on }) => ("established", on.to_string()),
            Some(BcpState::Drafting { target }) => ("drafting", target.to_string()),
            Some(BcpState::NotStarted) => ("not_started", String::new()),
        };
        Self {
            states: Self::states(lang, state),
            date,
            last_drill: bcp
                .and_then(|b| b.last_drill.map(|d| d.to_string()))
                .unwrap_or_default(),
            notes: bcp.map(|b| b.notes.clone()).unwrap_or_default(),
            errors: HashMap::new(),
        }
    }

    fn from_form(lang: Lang, form: &HashMap<String, String>) -> Self {
        let field = |name: &str| {
            form.get(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            states: Self::states(lang, &field("bcp_state")),
            date: field("bcp_date"),
            last_drill: field("bcp_last_drill"),
            notes: field("bcp_notes"),
            errors: HashMap::new(),
        }
    }

    fn record(
        &mut self,
        lang: Lang,
        today: NaiveDate,
    ) -> Result<Option<BcpRecord>, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let state = self.states.iter().find(|c| c.on).map_or("", |c| c.value);
        let mut date = |field: &'static str, text: &str, past: bool| -> Option<NaiveDate> {
            if text.is_empty() {
                return None;
            }
            match parse_date(field, text) {
                Ok(d) if past && d > today => {
                    problems.push(FieldProblem::new(
                        format!("bcp.{field}"),
                        "in_future",
                        Message::new("contact-chart-date-in-future").with("date", d.to_string()),
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(FieldProblem::new(
                        format!("bcp.{field}"),
                        "invalid_date",
                        e.message,
                    ));
                    None
                }
            }
        };
        let established = state == "established";
        let on = date("date", &self.date.clone(), established);
        let last_drill = date("last_drill", &self.last_drill.clone(), true);
        let state = match state {
            "" => None,
            "established" | "drafting" => match on {
                Some(d) if established => Some(BcpState::Established { on: d }),
                Some(d) => Some(BcpState::Drafting { target: d }),
                None => {
                    if !problems.iter().any(|p| p.path == "bcp.date") {
                        problems.push(if established {
                            FieldProblem::new(
                                "bcp.date",
                                "required",
                                mamori_locale::Message::new(
                                    "contact-chart-give-date-bcp-was-established",
                                ),
                            )
                        } else {
                            FieldProblem::new(
                                "bcp.date",
                                "required",
                                mamori_locale::Message::new(
                                    "contact-chart-give-target-date-bcp-being",
                                ),
                            )
                        });
                    }
                    None
                }
            },
            _ => Some(BcpState::NotStarted),
        };
        if self.notes.chars().count() > 300 {
            problems.push(FieldProblem::new(
                "bcp.notes",
                "too_long",
                mamori_locale::Message::new("contact-chart-notes-must-be-at-most"),
            ));
        }
        for p in &problems {
            let key = match p.path.as_str() {
                "bcp.date" => "date",
                "bcp.last_drill" => "last_drill",
                _ => "notes",
            };
            self.errors.insert(key, p.message.render(lang));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(state.map(|state| BcpRecord {
            state,
            last_drill,
            notes: self.notes.clone(),
        }))
    }
}

/// Where a problem is, as the form shows it: 「バックアップ 2」, 「BCP」.
fn where_label(lang: Lang, path: &str) -> String {
    if let Some(rest) = path.strip_prefix("backups[")
        && let Some((n, _)) = rest.split_once(']')
        && let Ok(n) = n.parse::<usize>()
    {
        return Message::new("contact-chart-backup-number")
            .with("number", n + 1)
            .render(lang);
    }
    if path.starts_with("bcp") {
        return "BCP".to_owned();
    }
    path.to_owned()
}

#[derive(Template)]
#[template(path = "continuity_edit.html")]
struct EditorPage {
    chrome: Chrome,
    id: i64,
    name: String,
    version: String,
    blocks: Vec<BackupBlock>,
    bcp: BcpBlock,
    problems: Vec<String>,
    today: String,
}

async fn editor(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AnsweredPage,
) -> PageResult {
    let lang = ctx.lang;
    let (records, version) = records::stored_continuity(&state, institution.id).await?;
    let mut blocks: Vec<BackupBlock> = records
        .backups
        .iter()
        .enumerate()
        .map(|(i, r)| BackupBlock::new(lang, i, Some(r)))
        .collect();
    blocks.push(BackupBlock::new(lang, blocks.len(), None));
    let title = lang.t("contact-chart-edit-backup-bcp");
    Ok(render(
        StatusCode::OK,
        &EditorPage {
            chrome: Chrome::new(&ctx, Some(&user), title),
            id: institution.id,
            name: institution.name.clone(),
            version: version.unwrap_or_default(),
            blocks,
            bcp: BcpBlock::new(lang, records.bcp.as_ref()),
            problems: Vec::new(),
            today: today_in_japan().to_string(),
        },
    ))
}

async fn save(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): AnsweredPage,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let lang = ctx.lang;
    let today = today_in_japan();
    // Without its count the form is not the editor's: refuse rather than store an empty
    // record set.
    let Some(count) = form_count(&form, "count", BLOCKS_MAX) else {
        return Err(incomplete_form("errors-incomplete-records"));
    };
    let mut blocks: Vec<BackupBlock> = (0..count)
        .map(|i| BackupBlock::from_form(lang, i, &form))
        .collect();
    let mut problems = Vec::new();
    let mut backups = Vec::new();
    for block in &mut blocks {
        if block.remove || (block.is_new && block.is_blank()) {
            continue;
        }
        match block.record(lang, today) {
            Ok(r) => backups.push(r),
            Err(p) => problems.extend(p),
        }
    }
    let mut bcp_block = BcpBlock::from_form(lang, &form);
    let bcp = match bcp_block.record(lang, today) {
        Ok(b) => b,
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let version = form.get("version").filter(|v| !v.is_empty()).cloned();
    let outcome = if problems.is_empty() {
        let records = ContinuityRecords { backups, bcp };
        records::save_continuity(
            &state,
            &principal,
            &institution,
            &records,
            version.as_deref(),
        )
        .await
    } else {
        Err(AppError::fields(problems))
    };
    let (status, lines) = match outcome {
        Ok(()) => {
            return Ok(redirect(&format!(
                "/institutions/{}/continuity",
                institution.id
            )));
        }
        Err(e) if e.refuses_access() => return Err(PageError::from(e)),
        Err(AppError::Service(mamori_app::Error::Fields(problems))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}",
                        where_label(lang, &p.path),
                        &p.message.render(lang)
                    )
                })
                .collect(),
        ),
        Err(e) => {
            let d = e.detail();
            (
                e.status(),
                vec![lang.pick(&d.message_ja, &d.message_en).to_owned()],
            )
        }
    };
    // Keep what was sent, removed blocks included (unticked), and one blank block.
    blocks.retain(|b| !(b.is_new && b.is_blank()));
    for (i, b) in blocks.iter_mut().enumerate() {
        b.index = i;
    }
    let next = blocks.len();
    blocks.push(BackupBlock::new(lang, next, None));
    let title = lang.t("contact-chart-edit-backup-bcp");
    Ok(render(
        status,
        &EditorPage {
            chrome: Chrome::new(&ctx, Some(&user), title),
            id: institution.id,
            name: institution.name.clone(),
            version: version.unwrap_or_default(),
            blocks,
            bcp: bcp_block,
            problems: lines,
            today: today.to_string(),
        },
    ))
}
