//! The contact chart (連絡体制図) editor: a plain form (no script needed) listing the people
//! inside the institution, the vendors' emergency contacts and the outside bodies, each row
//! removable, with a blank row per group to add one, and a number per row for the order of
//! calls (after 発見者; the same number means called at the same step). Left all blank, the
//! usual order is used. The drawing and its A4 print follow what is saved.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use mamori_domain::answer::parse_date;
use mamori_domain::contact_chart::{
    CallStep, CallTarget, ContactChart, ContactChartInput, ContactEntry, ContactEntryInput,
    FieldProblem, InternalContactInput, InternalRole, OutsideBody, OutsideContactInput,
    VendorContactInput,
};
use mamori_domain::vendor::ContractId;
use mamori_store::StoredContract;

use super::api as records;
use crate::http::auth::WebUser;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::{Lang, Message};
use crate::http::page::{
    AnsweredPage, Chrome, PageCtx, PageError, PageOpening, PageResult, redirect, render,
};
use crate::{AppState, Routes};
use mamori_app::today_in_japan;

pub fn routes() -> Routes {
    Routes::default()
        .get("/institutions/{id}/contact-chart/edit", editor)
        .post("/institutions/{id}/contact-chart/edit", save)
}

/// The most rows a group may carry, and the last step number.
const ROWS_MAX: usize = 60;
const STEP_MAX: u8 = 11;

/// The three groups of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Internal,
    Vendor,
    Outside,
}

impl Group {
    fn prefix(self) -> &'static str {
        match self {
            Self::Internal => "i",
            Self::Vendor => "v",
            Self::Outside => "o",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Vendor => "vendors",
            Self::Outside => "outside",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Internal => lang.text("contact-chart-inside"),
            Self::Vendor => lang.text("contact-chart-vendor"),
            Self::Outside => lang.text("contact-chart-outside-body"),
        }
    }
}

/// A choice of the form: its value, label, and whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub on: bool,
}

/// One row of the editor.
pub struct ContactRow {
    pub group: Group,
    pub index: usize,
    pub is_new: bool,
    /// Roles (checkboxes) inside; the contract or the body (a select) for the others.
    pub choices: Vec<Choice>,
    pub title: String,
    pub name: String,
    pub organisation: String,
    pub phones: String,
    pub email: String,
    pub hours: String,
    pub notes: String,
    pub step: String,
    pub remove: bool,
    pub errors: HashMap<&'static str, String>,
}

impl ContactRow {
    /// The field-name prefix: `i0`, `v2`, `o1`.
    pub fn key(&self) -> String {
        format!("{}{}", self.group.prefix(), self.index)
    }

    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    pub fn is_internal(&self) -> bool {
        self.group == Group::Internal
    }

    fn blank(group: Group, index: usize, choices: Vec<Choice>) -> Self {
        Self {
            group,
            index,
            is_new: true,
            choices,
            title: String::new(),
            name: String::new(),
            organisation: String::new(),
            phones: String::new(),
            email: String::new(),
            hours: String::new(),
            notes: String::new(),
            step: String::new(),
            remove: false,
            errors: HashMap::new(),
        }
    }

    fn with_entry(mut self, e: &ContactEntry, step: Option<usize>) -> Self {
        self.is_new = false;
        self.name = e.name.clone();
        self.organisation = e.organisation.clone();
        self.phones = e
            .phones
            .iter()
            .map(|p| p.display_ja())
            .collect::<Vec<_>>()
            .join(", ");
        self.email = e
            .email
            .as_ref()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default();
        self.hours = e.hours.as_ref().map(|h| h.label_ja()).unwrap_or_default();
        self.notes = e.notes.clone();
        self.step = step.map(|s| s.to_string()).unwrap_or_default();
        self
    }

    fn from_form(
        group: Group,
        index: usize,
        mut choices: Vec<Choice>,
        form: &HashMap<String, String>,
    ) -> Self {
        let key = format!("{}{index}", group.prefix());
        let field = |name: &str| {
            form.get(&format!("{key}_{name}"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        if group == Group::Internal {
            for c in &mut choices {
                c.on = form.contains_key(&format!("{key}_role_{}", c.value));
            }
        } else {
            let chosen = field("choice");
            for c in &mut choices {
                c.on = c.value == chosen;
            }
        }
        Self {
            group,
            index,
            is_new: field("new") == "1",
            choices,
            title: field("title"),
            name: field("name"),
            organisation: field("organisation"),
            phones: field("phones"),
            email: field("email"),
            hours: field("hours"),
            notes: field("notes"),
            step: field("step"),
            remove: form.contains_key(&format!("{key}_remove")),
            errors: HashMap::new(),
        }
    }

    fn is_blank(&self) -> bool {
        self.title.is_empty()
            && self.name.is_empty()
            && self.organisation.is_empty()
            && self.phones.is_empty()
            && self.email.is_empty()
            && self.hours.is_empty()
            && self.step.is_empty()
    }

    fn entry(&self) -> ContactEntryInput {
        ContactEntryInput {
            name: self.name.clone(),
            organisation: self.organisation.clone(),
            phones: self
                .phones
                .split([',', '、', '，'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            email: self.email.clone(),
            hours: self.hours.clone(),
            notes: self.notes.clone(),
        }
    }

    fn chosen(&self) -> Vec<&str> {
        self.choices
            .iter()
            .filter(|c| c.on)
            .map(|c| c.value.as_str())
            .collect()
    }
}

fn role_choices(lang: Lang, chosen: &[InternalRole]) -> Vec<Choice> {
    InternalRole::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: lang.pick(r.short_label_ja(), r.short_label_en()).to_owned(),
            on: chosen.contains(r),
        })
        .collect()
}

fn contract_choices(contracts: &[StoredContract], chosen: Option<ContractId>) -> Vec<Choice> {
    contracts
        .iter()
        .map(|c| Choice {
            value: c.contract.id.0.to_string(),
            label: c.contract.vendor_name.clone(),
            on: Some(c.contract.id) == chosen,
        })
        .collect()
}

fn body_choices(lang: Lang, chosen: Option<OutsideBody>) -> Vec<Choice> {
    OutsideBody::ALL
        .iter()
        .map(|b| Choice {
            value: b.as_str().to_owned(),
            label: lang.pick(b.label_ja(), b.label_en()).to_owned(),
            on: Some(*b) == chosen,
        })
        .collect()
}

/// The rows of a stored chart, each with its step counted after 発見者.
fn rows_of_chart(
    lang: Lang,
    chart: Option<&ContactChart>,
    contracts: &[StoredContract],
) -> Vec<ContactRow> {
    let mut rows = Vec::new();
    if let Some(chart) = chart {
        // Steps are shown counted after 発見者, who always comes first.
        let offset = usize::from(
            chart
                .call_order
                .first()
                .is_some_and(|s| s.targets == [CallTarget::Discoverer]),
        );
        let shown = |step: Option<usize>| step.map(|s| s - offset).filter(|s| *s > 0);
        for (i, c) in chart.internal.iter().enumerate() {
            let mut row = ContactRow::blank(Group::Internal, i, role_choices(lang, &c.roles))
                .with_entry(&c.entry, shown(chart.step_of_internal(c)));
            row.title = c.title.clone();
            rows.push(row);
        }
        for (i, c) in chart.vendors.iter().enumerate() {
            rows.push(
                ContactRow::blank(
                    Group::Vendor,
                    i,
                    contract_choices(contracts, Some(c.contract_id)),
                )
                .with_entry(&c.entry, shown(chart.step_of_vendor(c))),
            );
        }
        for (i, c) in chart.outside.iter().enumerate() {
            rows.push(
                ContactRow::blank(Group::Outside, i, body_choices(lang, Some(c.body)))
                    .with_entry(&c.entry, shown(chart.step_of_outside(c))),
            );
        }
    }
    rows
}

/// Adds a blank row to each group (none for vendors without contracts).
fn add_blank_rows(lang: Lang, rows: &mut Vec<ContactRow>, contracts: &[StoredContract]) {
    let count = |g: Group, rows: &[ContactRow]| rows.iter().filter(|r| r.group == g).count();
    let i = count(Group::Internal, rows);
    rows.push(ContactRow::blank(
        Group::Internal,
        i,
        role_choices(lang, &[]),
    ));
    if !contracts.is_empty() {
        let v = count(Group::Vendor, rows);
        let mut choices = contract_choices(contracts, None);
        if let Some(first) = choices.first_mut() {
            first.on = true;
        }
        rows.push(ContactRow::blank(Group::Vendor, v, choices));
    }
    let o = count(Group::Outside, rows);
    let mut choices = body_choices(lang, None);
    if let Some(first) = choices.first_mut() {
        first.on = true;
    }
    rows.push(ContactRow::blank(Group::Outside, o, choices));
}

#[derive(Template)]
#[template(path = "contact_chart_edit.html")]
struct EditorPage {
    chrome: Chrome,
    id: i64,
    name: String,
    revised_on: String,
    version: String,
    internal: Vec<ContactRow>,
    vendors: Vec<ContactRow>,
    outside: Vec<ContactRow>,
    has_contracts: bool,
    problems: Vec<String>,
    step_max: u8,
}

impl EditorPage {
    #[allow(clippy::too_many_arguments)]
    fn new(
        ctx: &PageCtx,
        user: &WebUser,
        institution: &mamori_store::Institution,
        revised_on: String,
        version: String,
        rows: Vec<ContactRow>,
        has_contracts: bool,
        problems: Vec<String>,
    ) -> Self {
        let (mut internal, mut vendors, mut outside) = (Vec::new(), Vec::new(), Vec::new());
        for mut r in rows {
            let list = match r.group {
                Group::Internal => &internal,
                Group::Vendor => &vendors,
                Group::Outside => &outside,
            };
            r.index = list.len();
            match r.group {
                Group::Internal => internal.push(r),
                Group::Vendor => vendors.push(r),
                Group::Outside => outside.push(r),
            }
        }
        let title = ctx.lang.t("contact-chart-edit-contact-chart");
        Self {
            chrome: Chrome::new(ctx, Some(user), title),
            id: institution.id,
            name: institution.name.clone(),
            revised_on,
            version,
            internal,
            vendors,
            outside,
            has_contracts,
            problems,
            step_max: STEP_MAX,
        }
    }
}

/// The institution's vendor contracts, which the chart's vendor rows choose from.
async fn contracts_of(
    state: &AppState,
    institution: &mamori_store::Institution,
) -> Result<Vec<StoredContract>, crate::http::page::PageError> {
    state
        .store
        .vendor_contracts_of_institution(institution.id)
        .await
        .map_err(PageError::from)
}

async fn editor(
    State(state): State<AppState>,
    PageOpening(ctx, user, _, institution): AnsweredPage,
) -> PageResult {
    let lang = ctx.lang;
    let contracts = contracts_of(&state, &institution).await?;
    let stored = records::stored_chart(&state, institution.id).await?;
    let mut rows = rows_of_chart(lang, stored.as_ref().map(|s| &s.0), &contracts);
    add_blank_rows(lang, &mut rows, &contracts);
    Ok(render(
        StatusCode::OK,
        &EditorPage::new(
            &ctx,
            &user,
            &institution,
            today_in_japan().to_string(),
            stored.map(|s| s.1).unwrap_or_default(),
            rows,
            !contracts.is_empty(),
            Vec::new(),
        ),
    ))
}

/// Which row a problem path (`internal[2].phones[0]`) is about, and which field.
fn row_of_problem<'a>(
    path: &str,
    kept: &'a [(Group, usize)],
) -> Option<(&'a (Group, usize), &'static str)> {
    let (head, rest) = path.split_once('[')?;
    let (n, field) = rest.split_once(']')?;
    let k: usize = n.parse().ok()?;
    let group = [Group::Internal, Group::Vendor, Group::Outside]
        .into_iter()
        .find(|g| g.path() == head)?;
    let row = kept.iter().filter(|(g, _)| *g == group).nth(k)?;
    let field = field.trim_start_matches('.');
    let name = field.split(['.', '[']).next().unwrap_or_default();
    let field = match name {
        "roles" | "contract_id" | "body" => "choice",
        "title" => "title",
        "organisation" => "organisation",
        "phones" => "phones",
        "email" => "email",
        "hours" => "hours",
        "step" => "step",
        _ => "name",
    };
    Some((row, field))
}

/// How many rows (or blocks) of a kind a plain-form editor sent, `max` at the most; none
/// when the count is missing or garbled.
pub(super) fn form_count(form: &HashMap<String, String>, name: &str, max: usize) -> Option<usize> {
    form.get(name)
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c <= max)
}

/// The refusal of a form without its counts: not the editor's, so nothing is stored.
pub(super) fn incomplete_form(message: &'static str) -> PageError {
    PageError::from(AppError::rejected(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::IncompleteForm,
        Message::new(message),
    ))
}

async fn save(
    State(state): State<AppState>,
    PageOpening(ctx, user, principal, institution): AnsweredPage,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let lang = ctx.lang;
    let contracts = contracts_of(&state, &institution).await?;
    let count = |name: &str| form_count(&form, name, ROWS_MAX);
    let (Some(ni), Some(nv), Some(no)) = (count("i_count"), count("v_count"), count("o_count"))
    else {
        return Err(incomplete_form("errors-incomplete-chart"));
    };
    let mut rows: Vec<ContactRow> = Vec::new();
    for i in 0..ni {
        rows.push(ContactRow::from_form(
            Group::Internal,
            i,
            role_choices(lang, &[]),
            &form,
        ));
    }
    for i in 0..nv {
        rows.push(ContactRow::from_form(
            Group::Vendor,
            i,
            contract_choices(&contracts, None),
            &form,
        ));
    }
    for i in 0..no {
        rows.push(ContactRow::from_form(
            Group::Outside,
            i,
            body_choices(lang, None),
            &form,
        ));
    }
    let revised_text = form
        .get("revised_on")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let version = form.get("version").filter(|v| !v.is_empty()).cloned();
    let mut general: Vec<String> = Vec::new();
    let revised_on = match parse_date("revised_on", &revised_text) {
        Ok(d) => Some(d),
        Err(e) => {
            general.push(format!(
                "{}: {}",
                lang.text("contact-chart-revised"),
                &e.message.render(lang)
            ));
            None
        }
    };
    // Rows kept, in order, with their steps; blank new rows and removed rows are left out.
    let mut input = ContactChartInput {
        institution_name: institution.name.clone(),
        revised_on: revised_on.unwrap_or_else(today_in_japan),
        internal: Vec::new(),
        vendors: Vec::new(),
        outside: Vec::new(),
        call_order: Vec::new(),
    };
    let mut kept: Vec<(Group, usize)> = Vec::new();
    let mut steps: BTreeMap<u8, Vec<CallTarget>> = BTreeMap::new();
    let mut row_problems = 0usize;
    for (pos, row) in rows.iter_mut().enumerate() {
        if row.remove || (row.is_new && row.is_blank()) {
            continue;
        }
        let step = if row.step.is_empty() {
            None
        } else {
            match row.step.parse::<u8>() {
                Ok(n) if (1..=STEP_MAX).contains(&n) => Some(n),
                _ => {
                    row.errors.insert(
                        "step",
                        Message::new("contact-chart-step-invalid")
                            .with("step", row.step.as_str())
                            .with("max", STEP_MAX)
                            .render(lang),
                    );
                    row_problems += 1;
                    None
                }
            }
        };
        let chosen = row.chosen();
        let target = match row.group {
            Group::Internal => {
                let roles: Vec<InternalRole> = InternalRole::ALL
                    .into_iter()
                    .filter(|r| chosen.contains(&r.as_str()))
                    .collect();
                let targets: Vec<CallTarget> = roles
                    .iter()
                    .map(|role| CallTarget::Internal { role: *role })
                    .collect();
                input.internal.push(InternalContactInput {
                    roles,
                    title: row.title.clone(),
                    entry: row.entry(),
                });
                targets
            }
            Group::Vendor => {
                let contract = chosen
                    .first()
                    .and_then(|v| v.parse::<i64>().ok())
                    .map(ContractId)
                    .unwrap_or(ContractId(0));
                input.vendors.push(VendorContactInput {
                    contract_id: contract,
                    entry: row.entry(),
                });
                vec![CallTarget::Vendor {
                    contract_id: contract,
                }]
            }
            Group::Outside => {
                let Some(body) = OutsideBody::ALL
                    .into_iter()
                    .find(|b| chosen.contains(&b.as_str()))
                else {
                    row.errors
                        .insert("choice", lang.t("contact-chart-choose-body"));
                    row_problems += 1;
                    continue;
                };
                input.outside.push(OutsideContactInput {
                    body,
                    entry: row.entry(),
                });
                vec![CallTarget::Outside { body }]
            }
        };
        kept.push((row.group, pos));
        if let Some(n) = step {
            let at = steps.entry(n).or_default();
            for t in target {
                if !at.contains(&t) {
                    at.push(t);
                }
            }
        }
    }
    if !steps.is_empty() {
        // The form has no field for a step's note (「夜間・休日は当番へ」, given through the
        // API): a step that calls the same people as a stored one keeps its note.
        let stored_steps = records::stored_chart(&state, institution.id)
            .await?
            .map(|(chart, _)| chart.call_order)
            .unwrap_or_default();
        let note_for = |targets: &[CallTarget]| {
            stored_steps
                .iter()
                .find(|s| {
                    s.targets.len() == targets.len()
                        && s.targets.iter().all(|t| targets.contains(t))
                })
                .map(|s| s.note.clone())
                .unwrap_or_default()
        };
        let discoverer = vec![CallTarget::Discoverer];
        input.call_order.push(CallStep {
            note: note_for(&discoverer),
            targets: discoverer,
        });
        input.call_order.extend(
            steps
                .into_values()
                .filter(|t| !t.is_empty())
                .map(|targets| CallStep {
                    note: note_for(&targets),
                    targets,
                }),
        );
    }
    let outcome = if row_problems > 0 || !general.is_empty() {
        Err(AppError::fields(Vec::new()))
    } else {
        records::save_chart(&state, &principal, &institution, &input, version.as_deref()).await
    };
    let status = match outcome {
        Ok(()) => {
            return Ok(redirect(&format!(
                "/institutions/{}/contact-chart",
                institution.id
            )));
        }
        Err(e) if e.refuses_access() => return Err(PageError::from(e)),
        Err(AppError::Service(mamori_app::Error::Fields(problems))) => {
            attach(lang, &mut rows, &kept, &problems, &mut general);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => {
            let d = e.detail();
            general.push(lang.pick(&d.message_ja, &d.message_en).to_owned());
            e.status()
        }
    };
    // Every row's problems are listed above the form too, named by group and row.
    let mut lines = general;
    for r in &rows {
        for m in r.errors.values() {
            lines.push(format!("{} {}: {m}", r.group.label(lang), r.index + 1));
        }
    }
    rows.retain(|r| !(r.is_new && r.is_blank()));
    add_blank_rows(lang, &mut rows, &contracts);
    Ok(render(
        status,
        &EditorPage::new(
            &ctx,
            &user,
            &institution,
            revised_text,
            version.unwrap_or_default(),
            rows,
            !contracts.is_empty(),
            lines,
        ),
    ))
}

/// Puts each problem beside its row's field; the rest (call order, the whole chart) go in
/// `general`.
fn attach(
    lang: Lang,
    rows: &mut [ContactRow],
    kept: &[(Group, usize)],
    problems: &[FieldProblem],
    general: &mut Vec<String>,
) {
    for p in problems {
        let message = p.message.render(lang);
        match row_of_problem(&p.path, kept) {
            Some(((_, pos), field)) => {
                if let Some(row) = rows.get_mut(*pos) {
                    row.errors
                        .entry(field)
                        .and_modify(|m| {
                            m.push_str(" / ");
                            m.push_str(&message);
                        })
                        .or_insert(message);
                }
            }
            None => general.push(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_find_their_rows_past_removed_ones() {
        // Rows 0 and 2 of the form kept inside, row 3 outside.
        let kept = [
            (Group::Internal, 0),
            (Group::Internal, 2),
            (Group::Outside, 3),
        ];
        assert_eq!(
            row_of_problem("internal[1].phones[0]", &kept),
            Some((&(Group::Internal, 2), "phones"))
        );
        assert_eq!(
            row_of_problem("outside[0].email", &kept),
            Some((&(Group::Outside, 3), "email"))
        );
        assert_eq!(
            row_of_problem("internal[0].roles", &kept),
            Some((&(Group::Internal, 0), "choice"))
        );
        assert_eq!(row_of_problem("call_order[1].targets[0]", &kept), None);
        assert_eq!(row_of_problem("vendors[0].name", &kept), None);
    }
}
