//! The language of a request: Japanese by default, English when the user chose it. The
//! sentences themselves live in the `mamori-locale` crate.

use axum::http::HeaderMap;

pub use mamori_locale::{Arg, Lang, Message};

pub const LANG_COOKIE: &str = "mamori_lang";

/// The language chosen by cookie; Japanese unless English was chosen.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    crate::http::auth::session_cookie(headers, LANG_COOKIE)
        .and_then(|value| Lang::parse(&value))
        .unwrap_or_default()
}
