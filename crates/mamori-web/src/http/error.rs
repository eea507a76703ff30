//! Errors as answers: every refusal says what is wrong, in Japanese and English, with a
//! 4xx status; only a fault of mamori itself is a 500, and its detail goes to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::contact_chart::FieldProblem;
use mamori_domain::{AnswerError, ParseError};
use mamori_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::i18n::{Lang, Message};
pub use mamori_app::ErrorCode;
use mamori_app::{Error, Refusal};

/// An error as the web tier answers it: a use case's (the same for the API, the pages and
/// the CLI), or a refusal of the HTTP tier's own.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Service(#[from] mamori_app::Error),
    #[error("not signed in")]
    Unauthenticated,
    /// A refusal with a status of its own (400, 403, 413, 415, 503 …).
    #[error("{code}: {}", .message.render(Lang::En))]
    Rejected {
        status: StatusCode,
        code: ErrorCode,
        message: Message,
    },
    /// Too many attempts: refused until `retry_after_seconds` have passed (429 with
    /// `Retry-After`).
    #[error("{code}: {}", .message.render(Lang::En))]
    Throttled {
        code: ErrorCode,
        message: Message,
        retry_after_seconds: u64,
    },
}

impl From<ParseError> for AppError {
    fn from(e: ParseError) -> Self {
        Self::Service(e.into())
    }
}

impl From<AnswerError> for AppError {
    fn from(e: AnswerError) -> Self {
        Self::Service(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `target_date_on_yes`.
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
    /// The field of the request at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault, for structured inputs (contact chart, backup records).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FieldProblemJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblemJson {
    /// Where, e.g. `internal[0].phones[1]`.
    pub path: String,
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

impl AppError {
    pub fn rejected(status: StatusCode, code: ErrorCode, message: Message) -> Self {
        Self::Rejected {
            status,
            code,
            message,
        }
    }

    /// What was named does not exist, or is outside the caller's scope.
    pub fn not_found() -> Self {
        Self::Service(Error::NotFound)
    }

    pub fn forbidden() -> Self {
        Self::Service(Error::Forbidden)
    }

    pub fn invalid(e: ParseError) -> Self {
        Self::Service(Error::Invalid(e))
    }

    /// Problems with fields of a structured input, each with its path.
    pub fn fields(problems: Vec<FieldProblem>) -> Self {
        Self::Service(Error::Fields(problems))
    }

    /// A fault of mamori itself: its detail goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Service(Error::Internal(detail.into()))
    }

    /// A refusal of access (403, or 404 outside the caller's scope), which a page shows as
    /// the error page rather than on the form that was sent.
    pub fn refuses_access(&self) -> bool {
        matches!(self, Self::Service(Error::Forbidden | Error::NotFound))
    }

    /// The sentence of the error in the reader's language.
    pub fn message_in(&self, lang: Lang) -> String {
        match self {
            Self::Rejected { message, .. }
            | Self::Throttled { message, .. }
            | Self::Service(Error::Rejected { message, .. }) => message.render(lang),
            _ => {
                let d = self.detail();
                lang.pick(&d.message_ja, &d.message_en).to_owned()
            }
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Service(e) => match e {
                Error::NotFound | Error::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
                Error::Forbidden => StatusCode::FORBIDDEN,
                Error::Invalid(_) | Error::Answer(_) | Error::Fields(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Error::Rejected { refusal, .. } => match refusal {
                    Refusal::NotFound => StatusCode::NOT_FOUND,
                    Refusal::Conflict => StatusCode::CONFLICT,
                    Refusal::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                    Refusal::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                },
                Error::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
                Error::Store(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Rejected { status, .. } => *status,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let fixed = |code: ErrorCode, message: Message| {
            (
                code.as_str(),
                message.render(Lang::Ja),
                message.render(Lang::En),
                None,
            )
        };
        let (code, ja, en, field): (&str, String, String, Option<String>) = match self {
            Self::Service(e) => match e {
                Error::NotFound | Error::Store(StoreError::NotFound) => {
                    fixed(ErrorCode::NotFound, Message::new("errors-not-found"))
                }
                Error::Forbidden => fixed(ErrorCode::Forbidden, Message::new("errors-forbidden")),
                Error::Invalid(e) => (
                    "invalid_value",
                    e.message.render(Lang::Ja),
                    e.message.render(Lang::En),
                    Some(e.field.to_owned()),
                ),
                Error::Rejected { code, message, .. } => fixed(*code, message.clone()),
                Error::Answer(e) => (
                    e.code(),
                    e.message().render(Lang::Ja),
                    e.message().render(Lang::En),
                    None,
                ),
                Error::Fields(problems) => {
                    let lines = |lang: Lang| {
                        problems
                            .iter()
                            .map(|p| format!("{}: {}", p.path, p.message.render(lang)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    (
                        "invalid_fields",
                        lines(Lang::Ja),
                        lines(Lang::En),
                        problems.first().map(|p| p.path.clone()),
                    )
                }
                Error::Store(StoreError::Conflict(what)) => fixed(
                    ErrorCode::Conflict,
                    Message::new("errors-conflict").with("what", what),
                ),
                Error::Store(_) | Error::Internal(_) => {
                    fixed(ErrorCode::InternalError, Message::new("errors-internal"))
                }
            },
            Self::Unauthenticated => fixed(
                ErrorCode::Unauthenticated,
                Message::new("errors-unauthenticated"),
            ),
            Self::Rejected { code, message, .. } | Self::Throttled { code, message, .. } => {
                fixed(*code, message.clone())
            }
        };
        let problems = match self {
            Self::Service(Error::Fields(problems)) => problems
                .iter()
                .map(|p| FieldProblemJson {
                    path: p.path.clone(),
                    code: p.code.to_owned(),
                    message_ja: p.message.render(Lang::Ja),
                    message_en: p.message.render(Lang::En),
                })
                .collect(),
            _ => Vec::new(),
        };
        ErrorDetail {
            code: code.to_owned(),
            message_ja: ja,
            message_en: en,
            field,
            problems,
        }
    }

    /// Seconds a client should wait before trying again, for a 429.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// Adds the headers the error calls for (`Retry-After`) to an answer made of it.
    pub fn decorate(&self, response: &mut Response) {
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds.max(1)),
            );
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}

/// The JSON form of an error, for the API.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let mut response = (
            self.0.status(),
            Json(ErrorBody {
                error: self.0.detail(),
            }),
        )
            .into_response();
        self.0.decorate(&mut response);
        if self.0.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
