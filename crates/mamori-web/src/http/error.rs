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

/// An error of the service layer, shared by the API, the pages and the CLI.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid value for {}: {}", .0.field, .0.message.render(crate::http::i18n::Lang::En))]
    Invalid(ParseError),
    #[error("{code}: {message_en}")]
    Rejected {
        status: StatusCode,
        code: &'static str,
        message_ja: String,
        message_en: String,
    },
    /// Too many attempts: refused until `retry_after_seconds` have passed (429 with
    /// `Retry-After`).
    #[error("{code}: {message_en}")]
    Throttled {
        code: &'static str,
        message_ja: String,
        message_en: String,
        retry_after_seconds: u64,
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

impl From<ParseError> for AppError {
    fn from(e: ParseError) -> Self {
        Self::Invalid(e)
    }
}

impl From<AnswerError> for AppError {
    fn from(e: AnswerError) -> Self {
        Self::Answer(e)
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
    pub fn rejected(
        status: StatusCode,
        code: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::Rejected {
            status,
            code,
            message_ja: ja.into(),
            message_en: en.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Invalid(_) | Self::Answer(_) | Self::Fields(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Rejected { status, .. } => *status,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            Self::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let (code, ja, en, field): (&str, String, String, Option<String>) = match self {
            Self::NotFound | Self::Store(StoreError::NotFound) => (
                "not_found",
                "見つかりません".into(),
                "Not found".into(),
                None,
            ),
            Self::Unauthenticated => (
                "unauthenticated",
                "ログインが必要です".into(),
                "You need to log in".into(),
                None,
            ),
            Self::Forbidden => (
                "forbidden",
                "この操作を行う権限がありません".into(),
                "You are not allowed to do this".into(),
                None,
            ),
            Self::Invalid(e) => (
                "invalid_value",
                e.message.render(crate::http::i18n::Lang::Ja),
                e.message.render(crate::http::i18n::Lang::En),
                Some(e.field.to_owned()),
            ),
            Self::Rejected {
                code,
                message_ja,
                message_en,
                ..
            }
            | Self::Throttled {
                code,
                message_ja,
                message_en,
                ..
            } => (code, message_ja.clone(), message_en.clone(), None),
            Self::Answer(e) => (
                e.code(),
                e.message().render(crate::http::i18n::Lang::Ja),
                e.message().render(crate::http::i18n::Lang::En),
                None,
            ),
            Self::Fields(problems) => (
                "invalid_fields",
                problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {}",
                            p.path,
                            p.message.render(crate::http::i18n::Lang::Ja)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {}",
                            p.path,
                            p.message.render(crate::http::i18n::Lang::En)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                problems.first().map(|p| p.path.clone()),
            ),
            Self::Store(StoreError::Conflict(what)) => (
                "conflict",
                format!("「{what}」は既に使われています"),
                format!("'{what}' is already taken"),
                None,
            ),
            Self::Store(_) | Self::Internal(_) => (
                "internal_error",
                "サーバ内部でエラーが発生しました。時間をおいて再度お試しください".into(),
                "An internal error occurred; please try again later".into(),
                None,
            ),
        };
        let problems = match self {
            Self::Fields(problems) => problems
                .iter()
                .map(|p| FieldProblemJson {
                    path: p.path.clone(),
                    code: p.code.to_owned(),
                    message_ja: p.message.render(crate::http::i18n::Lang::Ja),
                    message_en: p.message.render(crate::http::i18n::Lang::En),
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
