//! The security-assurance project (確保事業): a hospital's survey answer, the prefecture's
//! ranking and list, the hospitals that have not answered and the reminder to them, the
//! national overview, and opening a programme year.

pub mod api;
pub mod pages;
pub mod program_page;
pub mod ranking;
pub mod reminders;
