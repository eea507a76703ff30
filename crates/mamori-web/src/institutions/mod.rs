//! Institutions (施設): the list, an institution's page, creating and editing one, adding users.

pub mod api;
pub mod pages;
