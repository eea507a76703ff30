//! The contact chart for incidents (連絡体制図), checklist item 3(1): 「インシデント発生時に
//! おける組織内と外部関係機関（事業者、厚生労働省、警察等）への連絡体制図がある。」
//!
//! The inspector sees the chart itself (立入検査の手引き: 「連絡体制図の有無を、現物を見て確認
//! してください」). mamori keeps it structured: the people inside the institution and their
//! roles, each contracted vendor's emergency contact, the outside bodies, and the order of
//! calls; it validates every phone number and e-mail address, and says what is missing for
//! the chart to be complete.
//!
//! Two shapes: [`ContactChartInput`] is what a form or an API client sends (plain strings);
//! [`ContactChartInput::parse`] turns it into a [`ContactChart`] of checked values, or returns
//! every problem with its field path (`internal[2].phones[0]`).

mod chart;
mod email;
mod hours;
mod input;
mod phone;
mod status;
#[cfg(test)]
pub(crate) mod tests;
mod to_input;

pub use crate::field_problem::FieldProblem;
pub use chart::{
    CallStep, CallTarget, ContactChart, ContactEntry, InternalContact, InternalRole, OutsideBody,
    OutsideContact, VendorContact, default_call_order, mhlw_preset,
};
pub use email::{EmailAddress, EmailError};
pub use hours::Hours;
pub use input::{
    ContactChartInput, ContactEntryInput, InternalContactInput, OutsideContactInput,
    VendorContactInput,
};
pub use phone::{PhoneError, PhoneNumber};
pub use status::{ChartGap, ChartGapReport, ChartState, ChartStatus, chart_status};
