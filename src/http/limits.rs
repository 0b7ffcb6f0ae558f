//! Limits as layers: a request timeout (408), load shedding beyond a concurrency limit (503),
//! and a panicking handler answered as a 500 that says nothing (the process and the log are
//! unharmed: only the writer thread writes, after validation).

use axum::response::{IntoResponse, Response};
use axum::BoxError;
use tower_http::catch_panic::CatchPanicLayer;

use super::error::ApiError;

/// What a timeout or the load shedder answers.
pub async fn limit_error(error: BoxError) -> Response {
    if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::Timeout.into_response()
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::Overloaded.into_response()
    } else {
        super::error::internal(error).into_response()
    }
}

type PanicHandler = fn(Box<dyn std::any::Any + Send>) -> Response;

/// A panic in a handler becomes a 500 problem; the panic itself is logged.
pub fn catch_panic() -> CatchPanicLayer<PanicHandler> {
    CatchPanicLayer::custom(panicked as PanicHandler)
}

fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    super::error::internal(format!("a handler panicked: {message}")).into_response()
}
