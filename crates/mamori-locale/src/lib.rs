//! Every sentence mamori shows a user, in Japanese (the default) and English, as Fluent
//! messages in `locales/{ja,en}/*.ftl`.
//!
//! Code never holds a sentence: it names a message by its key and gives its arguments
//! ([`Message`]), and this crate resolves it with the Fluent bundle of the reader's
//! language. Messages without arguments are resolved once at start ([`text`]), because a
//! page asks for hundreds of them.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The files of sentences, one per area, each in both languages. A test checks that every
/// `.ftl` file on disk is listed here and that both languages have the same messages.
const FILES: &[(&str, &str, &str)] = &[
    (
        "main",
        include_str!("../locales/ja/main.ftl"),
        include_str!("../locales/en/main.ftl"),
    ),
    (
        "errors",
        include_str!("../locales/ja/errors.ftl"),
        include_str!("../locales/en/errors.ftl"),
    ),
    (
        "http",
        include_str!("../locales/ja/http.ftl"),
        include_str!("../locales/en/http.ftl"),
    ),
    (
        "institutions",
        include_str!("../locales/ja/institutions.ftl"),
        include_str!("../locales/en/institutions.ftl"),
    ),
    (
        "checklist",
        include_str!("../locales/ja/checklist.ftl"),
        include_str!("../locales/en/checklist.ftl"),
    ),
    (
        "evidence",
        include_str!("../locales/ja/evidence.ftl"),
        include_str!("../locales/en/evidence.ftl"),
    ),
    (
        "inspection",
        include_str!("../locales/ja/inspection.ftl"),
        include_str!("../locales/en/inspection.ftl"),
    ),
    (
        "ledger",
        include_str!("../locales/ja/ledger.ftl"),
        include_str!("../locales/en/ledger.ftl"),
    ),
    (
        "vendors",
        include_str!("../locales/ja/vendors.ftl"),
        include_str!("../locales/en/vendors.ftl"),
    ),
    (
        "contact-chart",
        include_str!("../locales/ja/contact-chart.ftl"),
        include_str!("../locales/en/contact-chart.ftl"),
    ),
    (
        "assurance",
        include_str!("../locales/ja/assurance.ftl"),
        include_str!("../locales/en/assurance.ftl"),
    ),
    (
        "training",
        include_str!("../locales/ja/training.ftl"),
        include_str!("../locales/en/training.ftl"),
    ),
    (
        "support",
        include_str!("../locales/ja/support.ftl"),
        include_str!("../locales/en/support.ftl"),
    ),
    (
        "incidents",
        include_str!("../locales/ja/incidents.ftl"),
        include_str!("../locales/en/incidents.ftl"),
    ),
    (
        "domain",
        include_str!("../locales/ja/domain.ftl"),
        include_str!("../locales/en/domain.ftl"),
    ),
    (
        "domain-assurance",
        include_str!("../locales/ja/domain-assurance.ftl"),
        include_str!("../locales/en/domain-assurance.ftl"),
    ),
    (
        "domain-device",
        include_str!("../locales/ja/domain-device.ftl"),
        include_str!("../locales/en/domain-device.ftl"),
    ),
    (
        "domain-input",
        include_str!("../locales/ja/domain-input.ftl"),
        include_str!("../locales/en/domain-input.ftl"),
    ),
    (
        "domain-labels",
        include_str!("../locales/ja/domain-labels.ftl"),
        include_str!("../locales/en/domain-labels.ftl"),
    ),
    (
        "domain-support",
        include_str!("../locales/ja/domain-support.ftl"),
        include_str!("../locales/en/domain-support.ftl"),
    ),
    (
        "domain-continuity",
        include_str!("../locales/ja/domain-continuity.ftl"),
        include_str!("../locales/en/domain-continuity.ftl"),
    ),
    (
        "domain-incident",
        include_str!("../locales/ja/domain-incident.ftl"),
        include_str!("../locales/en/domain-incident.ftl"),
    ),
    (
        "domain-records",
        include_str!("../locales/ja/domain-records.ftl"),
        include_str!("../locales/en/domain-records.ftl"),
    ),
    (
        "reports",
        include_str!("../locales/ja/reports.ftl"),
        include_str!("../locales/en/reports.ftl"),
    ),
    (
        "operator",
        include_str!("../locales/ja/operator.ftl"),
        include_str!("../locales/en/operator.ftl"),
    ),
    (
        "oversight",
        include_str!("../locales/ja/oversight.ftl"),
        include_str!("../locales/en/oversight.ftl"),
    ),
    (
        "follow-up",
        include_str!("../locales/ja/follow-up.ftl"),
        include_str!("../locales/en/follow-up.ftl"),
    ),
    (
        "notifications",
        include_str!("../locales/ja/notifications.ftl"),
        include_str!("../locales/en/notifications.ftl"),
    ),
];

/// The language a user reads: Japanese unless English was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

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

    /// Picks the text in this language: only for text that comes in both languages from
    /// data (a catalog entry, a record with a Japanese and an English name), never for a
    /// sentence written in code.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Ja => ja,
            Self::En => en,
        }
    }

    /// The message `key` without arguments; the key itself if it is missing (a test keeps
    /// every key used by the code present in both languages).
    pub fn t(self, key: &str) -> String {
        self.text(key).to_owned()
    }

    /// [`Lang::t`] without a copy: templates call it many times per page.
    pub fn text(self, key: &str) -> &str {
        text(self, key)
    }
}

/// A value given to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Number(i64),
    /// Another message, rendered in the same language (a sentence that quotes a reason).
    Message(Box<Message>),
}

impl From<Message> for Arg {
    fn from(value: Message) -> Self {
        Arg::Message(Box::new(value))
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Arg::Text(value.clone())
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Arg::Number(i64::try_from(value).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_arg!(i32, i64, u8, u16, u32, u64, usize);

/// A sentence named by its key, with its arguments: what code hands to the reader's
/// language instead of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// Adds the argument `$name`.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// The sentence in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        format(lang, self.key, &self.args)
    }

    /// The sentence in Japanese, then in English, for an operator's console and log, which
    /// have no reader's language.
    pub fn render_both(&self) -> String {
        format!("{} / {}", self.render(Lang::Ja), self.render(Lang::En))
    }
}

struct Sentences {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
    /// Messages without arguments, resolved once.
    plain: HashMap<(Lang, &'static str), &'static str>,
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id = match lang {
        Lang::Ja => unic_langid::langid!("ja"),
        Lang::En => unic_langid::langid!("en"),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they would show in plain-text mail and
    // in spreadsheet cells.
    bundle.set_use_isolating(false);
    for (name, ja, en) in FILES {
        let source = match lang {
            Lang::Ja => ja,
            Lang::En => en,
        };
        let resource = match FluentResource::try_new((*source).to_owned()) {
            Ok(resource) => resource,
            Err((_, errors)) => panic!("locales/{}/{name}.ftl: {errors:?}", lang.code()),
        };
        if let Err(errors) = bundle.add_resource(resource) {
            panic!("locales/{}/{name}.ftl: {errors:?}", lang.code());
        }
    }
    bundle
}

/// The keys of one language's messages, read by Fluent's own parser.
fn keys(lang: Lang) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for (_, ja, en) in FILES {
        let source: &'static str = match lang {
            Lang::Ja => ja,
            Lang::En => en,
        };
        let resource = match fluent_syntax::parser::parse(source) {
            Ok(resource) => resource,
            Err((resource, _)) => resource,
        };
        for entry in resource.body {
            if let fluent_syntax::ast::Entry::Message(message) = entry {
                keys.push(message.id.name);
            }
        }
    }
    keys
}

static SENTENCES: LazyLock<Sentences> = LazyLock::new(|| {
    let bundles: HashMap<Lang, FluentBundle<FluentResource>> = Lang::ALL
        .into_iter()
        .map(|lang| (lang, bundle(lang)))
        .collect();
    let mut plain = HashMap::new();
    for lang in Lang::ALL {
        let bundle = &bundles[&lang];
        for key in keys(lang) {
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors);
            // A message that needs arguments is not plain: it is formatted on each use.
            if errors.is_empty() {
                plain.insert((lang, key), &*Box::leak(text.into_owned().into_boxed_str()));
            }
        }
    }
    Sentences { bundles, plain }
});

/// The message `key` without arguments in `lang`; the key itself if it is missing.
pub fn text(lang: Lang, key: &str) -> &str {
    SENTENCES.plain.get(&(lang, key)).map_or(key, |text| text)
}

/// The message `key` in `lang` with `args`; the key itself if it is missing.
pub fn format(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let bundle = &SENTENCES.bundles[&lang];
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        return key.to_owned();
    };
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        let value: FluentValue = match value {
            Arg::Text(text) => FluentValue::from(text.as_str()),
            Arg::Number(number) => FluentValue::from(*number),
            Arg::Message(message) => FluentValue::from(message.render(lang)),
        };
        fluent_args.set(*name, value);
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

#[cfg(test)]
mod tests;
