//! Outgoing mail: the vendor invitation, sent through the SMTP server given at start
//! (`--smtp-url`). Without one, mamori sends nothing and the link is shown to be passed on.
//! A failed send never fails the request: the contract and the link stand, and the page
//! says the mail did not go.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
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
    /// The URL without its password, for logs.
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
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
            server: redact(smtp_url),
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends the invitation, in Japanese then English.
    pub async fn send_invitation(&self, invitation: &Invitation<'_>) -> Result<(), MailError> {
        let to: Mailbox = invitation
            .to
            .parse()
            .map_err(|_| MailError::To(invitation.to.to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(in_both_languages(
                invitation,
                "http-invitation-subject",
                " / ",
            ))
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
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
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
