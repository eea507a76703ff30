//! The HTTP parts every feature shares: authentication and sessions, CSRF, errors and their
//! bilingual answers, compression, the language, multipart uploads and their limits,
//! the input guard, the page frame and the API's root.

pub mod api;
pub mod auth;
pub mod compress;
pub mod csrf;
pub mod download;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod input_guard;
pub mod multipart;
pub mod page;
pub mod rejections;
pub mod two_factor;
pub mod uploads;
