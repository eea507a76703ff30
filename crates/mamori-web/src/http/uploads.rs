//! How many imports of uploaded files run at once. Reading a workbook can take ~100 MiB
//! (a 100,000-row ledger, see docs/PERFORMANCE.md); the server reads at most
//! [`WebConfig::max_concurrent_imports`](crate::WebConfig::max_concurrent_imports) at a time,
//! per process, and answers the others 429 with `Retry-After` at once rather than queue them
//! (a queue would hold every waiting upload's bytes).

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppState;
use crate::http::error::ErrorCode;
use crate::http::error::{ApiError, AppError};
use crate::http::i18n::Message;

/// The seconds a client is asked to wait before trying again.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// The places for `n` imports at once (at least one).
pub fn import_slots(n: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(n.max(1)))
}

/// A place among the imports running now, held until it is dropped; the 429 refusal when
/// every place is taken.
pub fn import_permit(state: &AppState) -> Result<OwnedSemaphorePermit, AppError> {
    state.imports.clone().try_acquire_owned().map_err(|_| {
        let n = state.config.max_concurrent_imports.max(1);
        AppError::rejected(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyImports,
            Message::new("errors-too-many-imports")
                .with("n", n)
                .with("retry_after_seconds", RETRY_AFTER_SECONDS),
        )
    })
}

/// Adds `Retry-After` to a 429 answer.
pub fn retry_later(mut response: Response) -> Response {
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

/// An API handler's place among the imports, or its JSON 429 answer with `Retry-After`.
pub fn api_import_permit(state: &AppState) -> Result<OwnedSemaphorePermit, Box<Response>> {
    import_permit(state).map_err(|e| Box::new(retry_later(ApiError(e).into_response())))
}
