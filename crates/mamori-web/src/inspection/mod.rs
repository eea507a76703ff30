//! The on-site inspection (立入検査): verdict, findings and observations.

pub mod api;
pub mod pages;
