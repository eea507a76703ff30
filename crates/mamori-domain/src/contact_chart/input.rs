//! What a form or an API client sends ([`ContactChartInput`]) and its parsing into a
//! [`ContactChart`], with every problem and its field path.

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use super::chart::{
    CallStep, CallTarget, ContactChart, ContactEntry, InternalContact, InternalRole, OutsideBody,
    OutsideContact, VendorContact, default_call_order, vendor_name,
};
use super::email::EmailAddress;
use super::hours::{HOURS_TEXT_MAX, Hours};
use super::phone::PhoneNumber;
use crate::field_problem::FieldProblem;
use crate::vendor::{ContractId, VendorContract};

/// An entry as sent by a form or an API client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactEntryInput {
    pub name: String,
    pub organisation: String,
    pub phones: Vec<String>,
    pub email: String,
    pub hours: String,
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InternalContactInput {
    pub roles: Vec<InternalRole>,
    pub title: String,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContactInput {
    pub contract_id: ContractId,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideContactInput {
    pub body: OutsideBody,
    #[serde(flatten)]
    pub entry: ContactEntryInput,
}

/// The chart as sent by a form or an API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChartInput {
    pub institution_name: String,
    pub revised_on: NaiveDate,
    #[serde(default)]
    pub internal: Vec<InternalContactInput>,
    #[serde(default)]
    pub vendors: Vec<VendorContactInput>,
    #[serde(default)]
    pub outside: Vec<OutsideContactInput>,
    /// Empty: the default order ([`default_call_order`]) is used.
    #[serde(default)]
    pub call_order: Vec<CallStep>,
}

/// Limits that keep a chart printable and an input bounded.
const NAME_MAX: usize = 100;
const NOTES_MAX: usize = 300;
const PHONES_MAX: usize = 5;
const ENTRIES_MAX: usize = 100;
const STEPS_MAX: usize = 12;

fn too_long(path: String, what: Message, max: usize) -> FieldProblem {
    FieldProblem::new(
        path,
        "too_long",
        mamori_locale::Message::new("domain-records-field-most-characters")
            .with("max", crate::arg(max))
            .with("what", what),
    )
}

fn parse_entry(
    path: &str,
    input: &ContactEntryInput,
    problems: &mut Vec<FieldProblem>,
) -> ContactEntry {
    let name = input.name.trim().to_owned();
    let organisation = input.organisation.trim().to_owned();
    if name.is_empty() && organisation.is_empty() {
        problems.push(FieldProblem::new(
            format!("{path}.name"),
            "required",
            mamori_locale::Message::new("domain-records-field-name-organisation-required"),
        ));
    }
    if name.chars().count() > NAME_MAX {
        problems.push(too_long(
            format!("{path}.name"),
            Message::new("domain-records-field-what-name"),
            NAME_MAX,
        ));
    }
    if organisation.chars().count() > NAME_MAX {
        problems.push(too_long(
            format!("{path}.organisation"),
            Message::new("domain-records-field-what-organisation"),
            NAME_MAX,
        ));
    }
    if input.phones.len() > PHONES_MAX {
        problems.push(FieldProblem::new(
            format!("{path}.phones"),
            "too_many",
            mamori_locale::Message::new("domain-records-field-most-phone-numbers")
                .with("phones-max", crate::arg(PHONES_MAX)),
        ));
    }
    let mut phones = Vec::new();
    for (i, raw) in input.phones.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match PhoneNumber::parse(raw) {
            Ok(p) => phones.push(p),
            Err(e) => problems.push(FieldProblem::new(
                format!("{path}.phones[{i}]"),
                e.code(),
                mamori_locale::Message::new("domain-records-field-phone-number")
                    .with("raw", crate::arg(raw.trim()))
                    .with("message", e.message()),
            )),
        }
    }
    let email = if input.email.trim().is_empty() {
        None
    } else {
        match EmailAddress::parse(&input.email) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(FieldProblem::new(
                    format!("{path}.email"),
                    e.code(),
                    mamori_locale::Message::new("domain-records-field-mail-address")
                        .with("email", crate::arg(input.email.trim()))
                        .with("message", e.message()),
                ));
                None
            }
        }
    };
    let hours = Hours::parse(&input.hours);
    if let Some(Hours::Text { text }) = &hours
        && text.chars().count() > HOURS_TEXT_MAX
    {
        problems.push(too_long(
            format!("{path}.hours"),
            Message::new("domain-records-field-what-hours"),
            HOURS_TEXT_MAX,
        ));
    }
    let notes = input.notes.trim().to_owned();
    if notes.chars().count() > NOTES_MAX {
        problems.push(too_long(
            format!("{path}.notes"),
            Message::new("domain-records-field-what-notes"),
            NOTES_MAX,
        ));
    }
    ContactEntry {
        name,
        organisation,
        phones,
        email,
        hours,
        notes,
    }
}

impl ContactChartInput {
    /// Checks every field and returns the chart, or every problem with its path. `contracts`
    /// are the institution's vendor contracts: a vendor contact must name one of them.
    pub fn parse(&self, contracts: &[VendorContract]) -> Result<ContactChart, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let institution_name = self.institution_name.trim().to_owned();
        if institution_name.is_empty() {
            problems.push(FieldProblem::new(
                "institution_name",
                "required",
                mamori_locale::Message::new("domain-records-field-institution-s-name-required"),
            ));
        } else if institution_name.chars().count() > NAME_MAX {
            problems.push(too_long(
                "institution_name".into(),
                Message::new("domain-records-field-what-institution-s-name"),
                NAME_MAX,
            ));
        }
        let total = self.internal.len() + self.vendors.len() + self.outside.len();
        if total > ENTRIES_MAX {
            problems.push(FieldProblem::new(
                "",
                "too_many_entries",
                mamori_locale::Message::new("domain-records-field-most-entries-all-given")
                    .with("entries-max", crate::arg(ENTRIES_MAX))
                    .with("total", crate::arg(total)),
            ));
        }
        let internal = self
            .internal
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let path = format!("internal[{i}]");
                if c.roles.is_empty() {
                    problems.push(FieldProblem::new(
                        format!("{path}.roles"),
                        "required",
                        mamori_locale::Message::new("domain-records-field-choose-least-one-role"),
                    ));
                }
                if c.title.trim().chars().count() > NAME_MAX {
                    problems.push(too_long(
                        format!("{path}.title"),
                        Message::new("domain-records-field-what-title"),
                        NAME_MAX,
                    ));
                }
                let mut roles = c.roles.clone();
                roles.sort();
                roles.dedup();
                InternalContact {
                    roles,
                    title: c.title.trim().to_owned(),
                    entry: parse_entry(&path, &c.entry, &mut problems),
                }
            })
            .collect::<Vec<_>>();
        let vendors = self
            .vendors
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let path = format!("vendors[{i}]");
                if !contracts.iter().any(|k| k.id == c.contract_id) {
                    problems.push(FieldProblem::new(
                        format!("{path}.contract_id"),
                        "unknown_contract",
                        mamori_locale::Message::new(
                            "domain-records-field-contract-one-institution-s",
                        )
                        .with("contract-id", crate::arg(c.contract_id)),
                    ));
                }
                let mut entry = c.entry.clone();
                // The organisation defaults to the contract's vendor name.
                if entry.organisation.trim().is_empty()
                    && let Some(name) = vendor_name(contracts, c.contract_id)
                {
                    entry.organisation = name.to_owned();
                }
                VendorContact {
                    contract_id: c.contract_id,
                    entry: parse_entry(&path, &entry, &mut problems),
                }
            })
            .collect::<Vec<_>>();
        let outside = self
            .outside
            .iter()
            .enumerate()
            .map(|(i, c)| OutsideContact {
                body: c.body,
                entry: parse_entry(&format!("outside[{i}]"), &c.entry, &mut problems),
            })
            .collect::<Vec<_>>();
        let mut chart = ContactChart {
            institution_name,
            revised_on: self.revised_on,
            internal,
            vendors,
            outside,
            call_order: self.call_order.clone(),
        };
        if chart.call_order.is_empty() {
            chart.call_order = default_call_order(&chart);
        } else {
            check_call_order(&chart, &mut problems);
        }
        if problems.is_empty() {
            Ok(chart)
        } else {
            Err(problems)
        }
    }
}

fn check_call_order(chart: &ContactChart, problems: &mut Vec<FieldProblem>) {
    if chart.call_order.len() > STEPS_MAX {
        problems.push(FieldProblem::new(
            "call_order",
            "too_many",
            mamori_locale::Message::new("domain-records-field-most-steps-call-order")
                .with("steps-max", crate::arg(STEPS_MAX)),
        ));
    }
    for (i, step) in chart.call_order.iter().enumerate() {
        if step.targets.is_empty() {
            problems.push(FieldProblem::new(
                format!("call_order[{i}].targets"),
                "required",
                mamori_locale::Message::new("domain-records-field-step-has-nobody-call")
                    .with("i", crate::arg(i + 1)),
            ));
        }
        if step.note.chars().count() > NOTES_MAX {
            problems.push(too_long(
                format!("call_order[{i}].note"),
                Message::new("domain-records-field-what-note"),
                NOTES_MAX,
            ));
        }
        for (j, target) in step.targets.iter().enumerate() {
            let path = format!("call_order[{i}].targets[{j}]");
            let (reached, message) = match target {
                CallTarget::Discoverer => (true, Message::new("domain-empty")),
                CallTarget::Internal { role } => (
                    chart.internal.iter().any(|c| c.roles.contains(role)),
                    Message::new("domain-records-field-role-not-on-chart")
                        .with("role", role.label()),
                ),
                CallTarget::AllVendors => (
                    !chart.vendors.is_empty(),
                    Message::new("domain-records-field-no-vendor-on-chart"),
                ),
                CallTarget::Vendor { contract_id } => (
                    chart.vendors.iter().any(|v| v.contract_id == *contract_id),
                    Message::new("domain-records-field-vendor-not-on-chart")
                        .with("contract", contract_id.to_string()),
                ),
                CallTarget::Outside { body } => (
                    chart.outside.iter().any(|c| c.body == *body),
                    Message::new("domain-records-field-body-not-on-chart")
                        .with("body", body.label()),
                ),
            };
            if !reached {
                problems.push(FieldProblem::new(path, "target_not_on_chart", message));
            }
        }
    }
}
