//! Oversight (監督) for inspectors, prefecture officers and the national office: a fiscal
//! year's figures for their scope and the search over its institutions.

pub mod api;
pub mod pages;
pub mod tile_map;
