//! Outgoing mail: the vendor invitation, sent through the SMTP server given at start
//! (`--smtp-url`). Without one, mamori sends nothing and the link is shown to be passed on.
//! A failed send never fails the request: the contract and the link stand, and the page
//! says the mail did not go.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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
            .subject(format!(
                "【mamori】{} から事業者確認用チェックリストへの招待 / Invitation from {}",
                invitation.institution_name, invitation.institution_name
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
        "{vendor} ご担当者様\n\n\
         {institution} から、mamori（医療機関のサイバーセキュリティ対策チェックリスト）で\n\
         事業者確認用チェックリストへの回答とMDS/SDSの提出をお願いする招待が届いています。\n\n\
         次のリンクを開き、ログインIDとパスワードを決めてください（{days}日間・1回限り有効）:\n\
         {link}\n\n\
         お心当たりのない場合は、このメールを破棄してください。\n\n\
         ----\n\n\
         To {vendor},\n\n\
         {institution} invites you, through mamori, to answer the vendor checklist\n\
         (事業者確認用) and to deliver your MDS/SDS.\n\n\
         Open this link and choose a login and password (valid once, for {days} days):\n\
         {link}\n\n\
         If you do not expect this invitation, please discard this mail.\n",
        vendor = i.vendor_name,
        institution = i.institution_name,
        days = i.valid_days,
        link = i.link,
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
