//! Training (研修): the content library, sessions and registration, attendance, the yearly
//! record, and the operator's editing of courses, sessions and lecturers.

pub mod api;
pub mod edit_pages;
pub mod pages;
