//! Each user's notification settings: the address mail goes to, the language it is written
//! in, and per kind of notification whether it comes by mail at once, in a daily digest or
//! in the app only. A user is offered the kinds that reach their role; a new インシデントかも?
//! case always goes to the desk at once.

use mamori_domain::contact_chart::{EmailAddress, FieldProblem};
use mamori_domain::notification::{Delivery, Rule};
use mamori_domain::{InstitutionKind, Principal, Role};
use mamori_locale::{Lang, Message};
use mamori_store::MailSettings;

use crate::{App, Error};

/// A user's settings, every kind that reaches their role with its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub email: Option<String>,
    pub language: Lang,
    pub kinds: Vec<(Rule, Delivery)>,
}

/// A change of settings as given: what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    /// The new address; an empty text removes it (no mail then).
    pub email: Option<String>,
    pub language: Option<String>,
    /// Kind and delivery by their wire names.
    pub kinds: Vec<(String, String)>,
}

/// Who a user is, as far as the kinds they are offered go: their role and, at an
/// institution, its kind.
#[derive(Debug, Clone, Copy)]
struct Audience {
    role: Role,
    kind: Option<InstitutionKind>,
}

impl Audience {
    async fn of(app: &App, principal: &Principal) -> Result<Self, Error> {
        let kind = match principal.institution_id {
            Some(id) => app.store.institution(id).await?.map(|i| i.kind),
            None => None,
        };
        Ok(Self {
            role: principal.role,
            kind,
        })
    }

    fn offered(self, rule: Rule) -> bool {
        rule.reaches(self.role, self.kind)
    }
}

/// The kinds of notification a user of `role`, at an institution of `kind`, is offered.
pub fn kinds_for(role: Role, kind: Option<InstitutionKind>) -> impl Iterator<Item = Rule> {
    Rule::ALL.into_iter().filter(move |r| r.reaches(role, kind))
}

/// The user's settings.
pub async fn settings(app: &App, principal: &Principal) -> Result<Settings, Error> {
    let stored = app.store.mail_settings(principal.user_id).await?;
    Ok(view(&stored, Audience::of(app, principal).await?))
}

fn view(stored: &MailSettings, audience: Audience) -> Settings {
    let chosen = |rule: Rule| {
        if rule.always_at_once() {
            return Delivery::MailNow;
        }
        stored
            .deliveries
            .iter()
            .find(|(r, _)| *r == rule)
            .map_or_else(Delivery::default, |(_, d)| *d)
    };
    Settings {
        email: stored.email.clone(),
        language: Lang::parse(&stored.language).unwrap_or_default(),
        kinds: kinds_for(audience.role, audience.kind)
            .map(|r| (r, chosen(r)))
            .collect(),
    }
}

/// Saves a change of the user's settings; every field that is refused is named, and nothing
/// is saved then.
pub async fn save_settings(
    app: &App,
    principal: &Principal,
    change: SettingsChange,
) -> Result<Settings, Error> {
    let user_id = principal.user_id;
    let audience = Audience::of(app, principal).await?;
    let mut stored = app.store.mail_settings(user_id).await?;
    let mut problems = Vec::new();
    if let Some(text) = change.email {
        if text.trim().is_empty() {
            stored.email = None;
        } else {
            match EmailAddress::parse(&text) {
                Ok(address) => stored.email = Some(address.to_string()),
                Err(e) => problems.push(FieldProblem::new("email", e.code(), e.message())),
            }
        }
    }
    if let Some(code) = change.language {
        match Lang::parse(code.trim()) {
            Some(lang) => stored.language = lang.code().to_owned(),
            None => problems.push(FieldProblem::new(
                "language",
                "language_unknown",
                Message::new("notifications-settings-language-unknown"),
            )),
        }
    }
    for (kind, delivery) in change.kinds {
        let path = format!("kinds.{kind}");
        let Some(rule) = Rule::parse(&kind).filter(|r| audience.offered(*r)) else {
            problems.push(FieldProblem::new(
                path,
                "notification_kind_unknown",
                Message::new("notifications-settings-kind-unknown").with("kind", kind),
            ));
            continue;
        };
        let Some(delivery) = Delivery::parse(&delivery) else {
            problems.push(FieldProblem::new(
                path,
                "notification_delivery_unknown",
                Message::new("notifications-settings-delivery-unknown"),
            ));
            continue;
        };
        if rule.always_at_once() && delivery != Delivery::MailNow {
            problems.push(FieldProblem::new(
                path,
                "notification_always_at_once",
                Message::new("notifications-settings-always-at-once"),
            ));
            continue;
        }
        stored.deliveries.retain(|(r, _)| *r != rule);
        stored.deliveries.push((rule, delivery));
    }
    if !problems.is_empty() {
        return Err(Error::Fields(problems));
    }
    app.store.save_mail_settings(user_id, &stored).await?;
    Ok(view(&stored, audience))
}
