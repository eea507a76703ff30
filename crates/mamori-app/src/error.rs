//! The refusals and faults of a use case. Each says what is wrong in Japanese and English;
//! the web tier turns them into its answers (status, JSON or page) and the command line
//! prints the English.

use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::{AnswerError, ParseError};
use mamori_locale::{Lang, Message};
use mamori_store::StoreError;

use crate::ErrorCode;

/// What kind of refusal a [`Error::Rejected`] is, so that every caller answers it alike
/// (the web tier: 404, 409, 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// What was named does not exist (or is outside the caller's scope).
    NotFound,
    /// The request is well formed but clashes with what is stored.
    Conflict,
    /// A value of the request is not acceptable.
    Invalid,
    /// What was sent is larger than may be kept.
    TooLarge,
    /// What was sent is of a kind that is not kept.
    UnsupportedType,
}

/// An error of a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid value for {}: {}", .0.field, .0.message.render(Lang::En))]
    Invalid(ParseError),
    #[error("{code}: {}", message.render(Lang::En))]
    Rejected {
        refusal: Refusal,
        code: ErrorCode,
        message: Message,
    },
    #[error("answer refused: {0}")]
    Answer(AnswerError),
    /// Problems with fields of a structured input, each with its path.
    #[error("{} invalid field(s)", .0.len())]
    Fields(Vec<FieldProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::Invalid(e)
    }
}

impl From<AnswerError> for Error {
    fn from(e: AnswerError) -> Self {
        Self::Answer(e)
    }
}

impl Error {
    pub fn rejected(refusal: Refusal, code: ErrorCode, message: Message) -> Self {
        Self::Rejected {
            refusal,
            code,
            message,
        }
    }

    /// The English message a person is shown (the command line prints it); a fault of
    /// mamori itself keeps its detail for the log.
    pub fn message_en(&self) -> String {
        match self {
            Self::NotFound | Self::Store(StoreError::NotFound) => {
                Message::new("errors-not-found").render(Lang::En)
            }
            Self::Forbidden => Message::new("errors-forbidden").render(Lang::En),
            Self::Invalid(e) => e.message.render(Lang::En),
            Self::Rejected { message, .. } => message.render(Lang::En),
            Self::Answer(e) => e.message().render(Lang::En),
            Self::Fields(problems) => problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message.render(Lang::En)))
                .collect::<Vec<_>>()
                .join("\n"),
            Self::Store(StoreError::Conflict(what)) => Message::new("errors-conflict")
                .with("what", what.as_str())
                .render(Lang::En),
            Self::Store(_) | Self::Internal(_) => Message::new("errors-internal").render(Lang::En),
        }
    }
}
