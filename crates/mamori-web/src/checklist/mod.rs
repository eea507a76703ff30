//! The checklist (チェックリスト) of an institution and fiscal year: answering, history, print.

pub mod api;
pub mod evidence;
pub mod pages;
