//! A real SMTP server on loopback for the mail tests: Debian's `python3-aiosmtpd`, whose
//! Mailbox handler writes each message it takes into a Maildir; the tests read the messages
//! back with a MIME parser (`mail-parser`), headers decoded, each part apart.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The interpreter that has Debian's aiosmtpd (`MAMORI_TEST_PYTHON` to use another).
fn python() -> String {
    std::env::var("MAMORI_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

/// An aiosmtpd process on a port of its own, killed when dropped.
pub(crate) struct MailServer {
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
    child: Child,
}

/// One message as received.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedMail {
    pub raw: String,
    pub to: Vec<String>,
    pub subject: String,
    pub reply_to: Option<String>,
    pub text: String,
    pub html: String,
}

impl MailServer {
    /// Starts the server and waits until it takes connections.
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The handler makes the Maildir: it must not exist yet.
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (apt-get install python3-aiosmtpd)");
        let server = Self {
            port,
            maildir,
            _dir: dir,
            child,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order received.
    pub(crate) fn messages(&self) -> Vec<ReceivedMail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok();
                (modified, e.path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| parse(&std::fs::read(path).expect("a message file")))
            .collect()
    }

    /// The messages received for `address`.
    pub(crate) fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn parse(bytes: &[u8]) -> ReceivedMail {
    use mail_parser::MessageParser;
    let message = MessageParser::default()
        .parse(bytes)
        .expect("a MIME message");
    let addresses = |a: Option<&mail_parser::Address>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    ReceivedMail {
        raw: String::from_utf8_lossy(bytes).into_owned(),
        to: addresses(message.to()),
        subject: message.subject().unwrap_or_default().to_owned(),
        reply_to: addresses(message.reply_to()).into_iter().next(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
    }
}
