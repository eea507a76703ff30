//! The language of a request (Japanese by default, English as a full second language) and
//! the page strings, from the Fluent files in `locales/`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ja",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static JA: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("ja"));
static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("en"));

/// The keys of the page strings (they take no arguments), from the Japanese file.
fn keys() -> impl Iterator<Item = &'static str> {
    include_str!("../../locales/ja/main.ftl")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
}

/// Every page string resolved once at start: a page asks for hundreds of them, and a Fluent
/// lookup formats and allocates each time.
fn resolved(lang: &'static LanguageIdentifier) -> HashMap<&'static str, &'static str> {
    keys()
        .filter_map(|key| {
            LOCALES
                .try_lookup(lang, key)
                .map(|text| (key, &*Box::leak(text.into_boxed_str())))
        })
        .collect()
}

static JA_STRINGS: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| resolved(&JA));
static EN_STRINGS: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| resolved(&EN));

pub const LANG_COOKIE: &str = "mamori_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ja" => Some(Self::Ja),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// The other language, for the switch on every page.
    pub fn other(self) -> Self {
        match self {
            Self::Ja => Self::En,
            Self::En => Self::Ja,
        }
    }

    /// The language chosen by cookie; Japanese unless English was chosen.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        crate::http::auth::session_cookie(headers, LANG_COOKIE)
            .and_then(|value| Lang::parse(&value))
            .unwrap_or_default()
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Ja => ja,
            Self::En => en,
        }
    }

    /// The page string `key`; the key itself if it is missing (a test keeps both files complete).
    pub fn t(self, key: &str) -> String {
        self.text(key).to_owned()
    }

    /// [`Lang::t`] without a copy: templates call it many times per page.
    pub fn text(self, key: &str) -> &str {
        let strings = match self {
            Self::Ja => &*JA_STRINGS,
            Self::En => &*EN_STRINGS,
        };
        strings.get(key).map_or(key, |text| &**text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let path = format!("{}/locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    #[test]
    fn japanese_and_english_have_the_same_keys() {
        let ja = keys("ja");
        let en = keys("en");
        assert!(ja.len() > 50, "the Japanese file lists the page strings");
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn lookups_use_the_language() {
        assert_eq!(Lang::Ja.t("nav-logout"), "ログアウト");
        assert_eq!(Lang::En.t("nav-logout"), "Log out");
        assert_eq!(Lang::parse("fr"), None);
    }
}
