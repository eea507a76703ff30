//! Outgoing mail through the SMTP server given at start (`--smtp-url`): the vendor
//! invitation, sent with the request that makes it, and the notifications, sent by the mail
//! pass ([`crate::mail_delivery`]). Without a server, mamori sends nothing (an invitation's
//! link is shown to be passed on). A failed send never fails the request that caused it.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mamori_locale::{Lang, Message as Sentence};

/// How long one SMTP conversation may take before the send counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("the sender address '{0}' is not a valid mailbox")]
    From(String),
    #[error("the reply-to address '{0}' is not a valid mailbox")]
    ReplyTo(String),
    #[error("the recipient address '{0}' is not a valid mailbox")]
    To(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the SMTP server did not take the message: {0}")]
    Send(String),
}

/// An SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The URL without its password, for logs.
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("reply_to", &self.reply_to.as_ref().map(Mailbox::to_string))
            .finish()
    }
}

/// What an invitation mail says.
pub struct Invitation<'a> {
    pub to: &'a str,
    pub institution_name: &'a str,
    pub vendor_name: &'a str,
    pub link: &'a str,
    pub valid_days: i64,
}

impl Mailer {
    /// A sender for `smtp://[user:password@]host[:port]` (plain, or `?tls=required` for
    /// STARTTLS) or `smtps://…` (TLS from the start), with the `from` mailbox
    /// (`mamori <noreply@example.jp>` or a bare address).
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|_| MailError::From(from.to_owned()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.trim())
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self {
            transport,
            from,
            reply_to: None,
            server: redact(smtp_url),
        })
    }

    /// The sender whose mail is answered to `reply_to` (an address or `name <address>`).
    pub fn with_reply_to(mut self, reply_to: &str) -> Result<Self, MailError> {
        self.reply_to = Some(
            reply_to
                .trim()
                .parse()
                .map_err(|_| MailError::ReplyTo(reply_to.to_owned()))?,
        );
        Ok(self)
    }

    /// The headers every mail of mamori carries, to `to`.
    fn builder(
        &self,
        to: &str,
        subject: String,
    ) -> Result<lettre::message::MessageBuilder, MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::To(to.to_owned()))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject);
        Ok(match &self.reply_to {
            Some(reply_to) => builder.reply_to(reply_to.clone()),
            None => builder,
        })
    }

    async fn deliver(&self, message: Message) -> Result<(), MailError> {
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }

    /// Sends a mail with a plain-text part and an HTML part (UTF-8; the subject encoded as
    /// RFC 2047 asks when it is not ASCII).
    pub async fn send(&self, to: &str, mail: &Composed) -> Result<(), MailError> {
        let message = self
            .builder(to, mail.subject.clone())?
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.deliver(message).await
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends the invitation, in Japanese then English.
    pub async fn send_invitation(&self, invitation: &Invitation<'_>) -> Result<(), MailError> {
        let message = self
            .builder(
                invitation.to,
                in_both_languages(invitation, "http-invitation-subject", " / "),
            )?
            .header(ContentType::TEXT_PLAIN)
            // Base64: the Japanese text and the long link reach every client unwrapped.
            .body(
                Body::new_with_encoding(
                    invitation_text(invitation),
                    ContentTransferEncoding::Base64,
                )
                .map_err(|_| MailError::Build("the text cannot be encoded".into()))?,
            )
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.deliver(message).await
    }
}

/// A mail as written: its subject and the same text as plain text and as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn invitation_text(i: &Invitation<'_>) -> String {
    format!(
        "{}\n",
        in_both_languages(i, "http-invitation-text", "\n\n----\n\n")
    )
}

/// The message `key` about an invitation, Japanese then English: the vendor's language is
/// not known.
fn in_both_languages(i: &Invitation<'_>, key: &'static str, between: &str) -> String {
    let message = Sentence::new(key)
        .with("vendor", i.vendor_name)
        .with("institution", i.institution_name)
        .with("days", i.valid_days)
        .with("link", i.link);
    format!(
        "{}{between}{}",
        message.render(Lang::Ja),
        message.render(Lang::En)
    )
}

/// The URL without the password of its credentials.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("smtp://mamori:s3cret@mail.example.jp:587?tls=required"),
            "smtp://mamori:***@mail.example.jp:587?tls=required"
        );
        assert_eq!(redact("smtp://127.0.0.1:25"), "smtp://127.0.0.1:25");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(matches!(
            Mailer::new("http://example.jp", "noreply@example.jp"),
            Err(MailError::Url(_))
        ));
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:25", "not an address"),
            Err(MailError::From(_))
        ));
        let ok = Mailer::new(
            "smtp://user:pw@127.0.0.1:2525",
            "mamori <noreply@example.jp>",
        )
        .expect("mailer");
        assert_eq!(ok.server(), "smtp://user:***@127.0.0.1:2525");
    }

    #[test]
    fn the_text_carries_the_link_in_both_languages() {
        let text = invitation_text(&Invitation {
            to: "a@example.jp",
            institution_name: "みなと中央病院",
            vendor_name: "北斗PACS",
            link: "https://mamori.example.jp/invitations/abc",
            valid_days: 14,
        });
        assert_eq!(
            text.matches("https://mamori.example.jp/invitations/abc")
                .count(),
            2
        );
        assert!(text.contains("14日間") && text.contains("14 days"));
    }
}
