//! E-mail addresses: checked enough to catch typing mistakes.

use std::fmt;

use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::text::fold::fold;

/// Why an e-mail address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("an e-mail address has exactly one '@'")]
    At,
    #[error("the part before '@' is empty or has characters not allowed there")]
    Local,
    #[error("the domain after '@' is not valid (e.g. example.jp)")]
    Domain,
    #[error("the e-mail address is longer than 254 characters")]
    TooLong,
}

impl EmailError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "email_empty",
            Self::At => "email_at",
            Self::Local => "email_local_part",
            Self::Domain => "email_domain",
            Self::TooLong => "email_too_long",
        }
    }

    pub fn message(&self) -> Message {
        Message::new(match self {
            Self::Empty => "domain-records-email-empty",
            Self::At => "domain-records-email-at",
            Self::Local => "domain-records-email-local",
            Self::Domain => "domain-records-email-domain",
            Self::TooLong => "domain-records-email-too-long",
        })
    }
}

/// A checked e-mail address; the domain is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(pub(super) String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let folded = fold(text);
        let t = folded.trim();
        if t.is_empty() {
            return Err(EmailError::Empty);
        }
        if t.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let mut parts = t.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !local_ok {
            return Err(EmailError::Local);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !domain_ok {
            return Err(EmailError::Domain);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::text_conversions!(EmailAddress, EmailError, |address| address.0);
