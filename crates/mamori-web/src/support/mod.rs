//! Support and subsidy menus (支援メニュー): search, estimates and suggestions.

pub mod api;
pub mod pages;
