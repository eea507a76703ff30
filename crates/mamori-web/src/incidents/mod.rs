//! Incident consultation (インシデントかも?): reporting a case, first steps, the desk's replies.

pub mod api;
pub mod pages;
