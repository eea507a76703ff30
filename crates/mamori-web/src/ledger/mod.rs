//! The device ledger (機器台帳): import, edit, risk flags and exports.

pub mod api;
pub mod flag_counts;
pub mod pages;
