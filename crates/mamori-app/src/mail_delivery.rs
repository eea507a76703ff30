//! The mail pass: notifications by mail, each exactly as its recipient chose — a mail of its
//! own at once, one digest a day, or none (in the app only). A new incident case goes to
//! the desk at once whatever they chose.
//!
//! A pass routes the notifications written since the last (they are the outbox: written with
//! the change that causes them, or by the scheduler), makes the day's digests once it is
//! morning in Japan, then leases the mails due and sends them. A failed send is tried again
//! after 1, 5, 30 and 120 minutes; after the fifth attempt the mail counts as failed and the
//! national office sees it. The pass takes the time as an argument: the server gives the
//! clock's, the tests move it.

use askama::Template;
use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use mamori_domain::Role;
use mamori_domain::notification::mail_retry_after;
use mamori_locale::{Lang, Message};
use mamori_store::{FailedMail, LeasedMail, StoredNotification};

use crate::mail::{Composed, Mailer};
use crate::notifications::{Notification, day, view};
use crate::time::stamp;
use crate::{App, Error};

/// How long a sender holds the mails it leased: a sender that dies leaves them to another
/// after this.
pub const MAIL_LEASE: Duration = Duration::minutes(10);

/// Notifications older than this when first routed are not mailed (mail was off then).
const STALE_AFTER: Duration = Duration::days(2);

/// The hour (Japan time) from which the day's digests are made.
pub const DIGEST_HOUR: u32 = 7;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailReport {
    /// Mails made for single notifications.
    pub made: u64,
    /// Digests made.
    pub digests: u64,
    pub sent: u64,
    /// Attempts that failed and will be tried again.
    pub retried: u64,
    /// Mails that failed after their last attempt.
    pub failed: u64,
}

/// Where the links of a mail point: the server's public address.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `base` (`https://mamori.example.jp`, no trailing slash).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn to(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The notification settings page, linked from every mail.
    pub fn settings(&self) -> String {
        self.to("/notifications/settings")
    }
}

/// How long one pass goes on leasing and sending, well within the passes' lease (5
/// minutes): a day with tens of thousands of notices goes out in a few passes, not one
/// batch a minute.
pub const MAIL_PASS_BUDGET: std::time::Duration = std::time::Duration::from_secs(4 * 60);

/// Routes, makes the digests and sends what is due at `now`, batch after batch, for at most
/// [`MAIL_PASS_BUDGET`].
pub async fn run_mail_pass(
    app: &App,
    mailer: &Mailer,
    links: &Links,
    now: DateTime<Utc>,
) -> Result<MailReport, Error> {
    run_mail_pass_within(app, mailer, links, now, MAIL_PASS_BUDGET).await
}

/// [`run_mail_pass`], leasing no new batch once `budget` has gone by (the benchmark measures
/// a slice of a long pass).
pub async fn run_mail_pass_within(
    app: &App,
    mailer: &Mailer,
    links: &Links,
    now: DateTime<Utc>,
    budget: std::time::Duration,
) -> Result<MailReport, Error> {
    let started = std::time::Instant::now();
    let mut report = MailReport {
        made: route(app, now).await?,
        digests: make_digests(app, now).await?,
        ..MailReport::default()
    };
    // Each mail leased is then sent, or due again only later: the batches run out.
    while started.elapsed() < budget {
        let batch = lease_due(app, now).await?;
        if batch.is_empty() {
            break;
        }
        // Several at once: each SMTP exchange mostly waits (on the server, and on the
        // network's acknowledgements), so one at a time leaves the sender idle.
        for group in batch.chunks(MAILS_AT_ONCE) {
            let sends: Vec<_> = group
                .iter()
                .map(|mail| send_leased(app, mailer, links, mail, now))
                .collect();
            for outcome in futures_util::future::join_all(sends).await {
                match outcome? {
                    Sent::Yes => report.sent += 1,
                    Sent::Later => report.retried += 1,
                    Sent::Never => report.failed += 1,
                }
            }
        }
    }
    Ok(report)
}

/// How many mails a pass sends at once (the SMTP connections it holds).
const MAILS_AT_ONCE: usize = 8;

/// How a send went.
enum Sent {
    Yes,
    /// Failed; tried again later.
    Later,
    /// Failed at its last attempt.
    Never,
}

/// Sends one leased mail and records how it went.
async fn send_leased(
    app: &App,
    mailer: &Mailer,
    links: &Links,
    mail: &LeasedMail,
    now: DateTime<Utc>,
) -> Result<Sent, Error> {
    match deliver(app, mailer, links, mail).await {
        Ok(()) => {
            app.store.mail_sent(mail.id, &stamp(now)).await?;
            Ok(Sent::Yes)
        }
        Err(error) => {
            let attempts = u32::try_from(mail.attempts).unwrap_or(u32::MAX);
            let next = mail_retry_after(attempts).map(|wait| stamp(now + wait));
            tracing::warn!(mail = mail.id, attempts, error = %error, "a mail was not sent");
            app.store
                .mail_not_sent(mail.id, &error, next.as_deref())
                .await?;
            Ok(if next.is_some() {
                Sent::Later
            } else {
                Sent::Never
            })
        }
    }
}

/// Routes the notifications written since the last pass; gives the mails made.
pub async fn route(app: &App, now: DateTime<Utc>) -> Result<u64, Error> {
    Ok(app
        .store
        .route_notifications(&stamp(now), &stamp(now - STALE_AFTER))
        .await?)
}

/// From [`DIGEST_HOUR`] in Japan, makes today's digest of each user with notifications of
/// the days before waiting; gives the number made.
pub async fn make_digests(app: &App, now: DateTime<Utc>) -> Result<u64, Error> {
    let japan = now + Duration::hours(9);
    if japan.hour() < DIGEST_HOUR {
        return Ok(0);
    }
    let today = japan.date_naive();
    let start_of_day = today.and_time(NaiveTime::MIN).and_utc() - Duration::hours(9);
    Ok(app
        .store
        .make_digests(&today.to_string(), &stamp(start_of_day), &stamp(now))
        .await?)
}

/// Leases the mails due at `now` (counting the attempt).
pub async fn lease_due(app: &App, now: DateTime<Utc>) -> Result<Vec<LeasedMail>, Error> {
    Ok(app
        .store
        .lease_mails(&stamp(now), &stamp(now + MAIL_LEASE))
        .await?)
}

/// Writes and sends one leased mail; the error's text when it did not go.
pub async fn deliver(
    app: &App,
    mailer: &Mailer,
    links: &Links,
    mail: &LeasedMail,
) -> Result<(), String> {
    let Some(to) = mail.email.as_deref() else {
        return Err("the recipient has no mail address any more".to_owned());
    };
    let composed = compose(app, links, mail)
        .await
        .map_err(|e| e.message_en())?;
    mailer.send(to, &composed).await.map_err(|e| e.to_string())
}

/// The mail's subject and text, in its recipient's language.
pub async fn compose(app: &App, links: &Links, mail: &LeasedMail) -> Result<Composed, Error> {
    let lang = Lang::parse(&mail.language).unwrap_or(Lang::Ja);
    let rows: Vec<StoredNotification> = match mail.notification_id {
        Some(id) => vec![app.store.mailed_notification(id).await?],
        None => app.store.digest_notifications(mail.id).await?,
    };
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        entries.push(Entry::new(&view(app, row).await?, links, lang));
    }
    let subject = match (mail.digest_day.as_deref(), entries.as_slice()) {
        (None, [one]) => Message::new("mail-subject").with("title", one.title.as_str()),
        (digest_day, _) => {
            let on = digest_day
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(day)
                .unwrap_or_else(|| Message::new("mail-digest-undated"));
            Message::new("mail-digest-subject")
                .with("count", entries.len())
                .with("date", on)
        }
    };
    let lead = if mail.digest_day.is_some() {
        Message::new("mail-digest-lead").with("count", entries.len())
    } else {
        Message::new("mail-lead")
    };
    let body = Body {
        lang: lang.code(),
        lead: lead.render(lang),
        entries,
        open: Message::new("mail-open").render(lang),
        footer: Message::new("mail-footer").render(lang),
        settings: links.settings(),
    };
    Ok(Composed {
        subject: subject.render(lang),
        text: body.text(),
        html: body
            .render()
            .map_err(|e| Error::Internal(format!("mail template: {e}")))?,
    })
}

/// One notification as a mail shows it.
struct Entry {
    title: String,
    about: String,
    link: Option<String>,
}

impl Entry {
    fn new(n: &Notification, links: &Links, lang: Lang) -> Self {
        Self {
            title: n.title.render(lang),
            about: n.about.as_ref().map(|a| a.render(lang)).unwrap_or_default(),
            link: n.link.as_deref().map(|l| links.to(l)),
        }
    }
}

/// The body of a mail: the HTML part from the template, the plain-text part from
/// [`Body::text`]; the same words in both.
#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"></head>
<body style="font-family: sans-serif; line-height: 1.6">
<p>{{ lead }}</p>
{% for entry in entries %}<div style="margin: 1em 0; padding-left: .8em; border-left: 3px solid #1f5f8b">
<p style="margin: 0"><strong>{{ entry.title }}</strong></p>
{% if !entry.about.is_empty() %}<p style="margin: 0">{{ entry.about }}</p>{% endif %}
{% if let Some(link) = entry.link %}<p style="margin: 0"><a href="{{ link }}">{{ open }}</a></p>{% endif %}
</div>
{% endfor %}<hr>
<p style="font-size: small; color: #555">{{ footer }}<br><a href="{{ settings }}">{{ settings }}</a></p>
</body></html>
"#
)]
struct Body {
    lang: &'static str,
    lead: String,
    entries: Vec<Entry>,
    open: String,
    footer: String,
    settings: String,
}

impl Body {
    fn text(&self) -> String {
        let mut text = format!("{}\n", self.lead);
        for entry in &self.entries {
            text.push_str(&format!("\n■ {}\n", entry.title));
            if !entry.about.is_empty() {
                text.push_str(&format!("  {}\n", entry.about));
            }
            if let Some(link) = &entry.link {
                text.push_str(&format!("  {link}\n"));
            }
        }
        text.push_str(&format!("\n-- \n{}\n{}\n", self.footer, self.settings));
        text
    }
}

/// The mails that failed after their last attempt, newest first: the national office's to
/// see (a wrong address, a mail server refusing).
pub async fn failed_mails(app: &App, role: Role) -> Result<Vec<FailedMail>, Error> {
    if role != Role::NationalAdmin {
        return Err(Error::Forbidden);
    }
    Ok(app.store.failed_mails().await?)
}

/// How many mails failed after their last attempt (the national office's count; 0 for
/// everyone else, who may not see them).
pub async fn failed_mail_count(app: &App, role: Role) -> Result<i64, Error> {
    if role != Role::NationalAdmin {
        return Ok(0);
    }
    Ok(app.store.failed_mail_count().await?)
}

/// Sends a failed mail again from the next pass, with its attempts counted afresh.
pub async fn retry_failed_mail(app: &App, role: Role, id: i64) -> Result<(), Error> {
    if role != Role::NationalAdmin {
        return Err(Error::Forbidden);
    }
    if app.store.retry_failed_mail(id, &stamp(Utc::now())).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
