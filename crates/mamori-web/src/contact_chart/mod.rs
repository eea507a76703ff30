//! The contact chart (連絡体制図) editor and the backup and BCP editor (continuity).

pub mod api;
pub mod continuity;
pub mod editor;
pub mod pages;
