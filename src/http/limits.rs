//! Limits as layers: a request timeout (408), load shedding beyond a concurrency limit (503),
//! and a panicking handler answered as a 500 that says nothing (the process and the log are
//! unharmed: only the writer thread writes, after validation).

use axum::response::{IntoResponse, Response};
use axum::BoxError;
use tower_http::catch_panic::CatchPanicLayer;

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::ApiError;
use crate::metrics::{ReasonLabel, METRICS};

/// What a timeout or the load shedder answers.
pub async fn limit_error(error: BoxError) -> Response {
    if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::Timeout.into_response()
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        shed("overloaded");
        ApiError::Overloaded.into_response()
    } else {
        super::error::internal(error).into_response()
    }
}

/// Seconds between two log lines about shed requests: a flood must not flood the journal
/// (journald's rate limit would then hide the lines that matter).
const SHED_LOG_INTERVAL_SECONDS: u64 = 10;

/// When the last line about shed requests was written, in seconds since the process started.
static SHED_LOGGED_AT: AtomicU64 = AtomicU64::new(0);
/// Requests shed since that line.
static SHED_SINCE_LOGGED: AtomicU64 = AtomicU64::new(0);

/// Counts a request answered 503 because the service is at a limit (`reason`: `overloaded`
/// for `concurrency_max`, `busy` for the writer's queue, the folds or the subscribers), and
/// says so at WARN at most once every `SHED_LOG_INTERVAL_SECONDS`, with how many there were.
pub fn shed(reason: &'static str) {
    METRICS
        .http_shed
        .get_or_create(&ReasonLabel { reason })
        .inc();
    let shed = SHED_SINCE_LOGGED.fetch_add(1, Ordering::Relaxed) + 1;
    // Shifted by one interval so that the first shed (`SHED_LOGGED_AT` still 0) is logged.
    let now = METRICS.uptime().as_secs() + SHED_LOG_INTERVAL_SECONDS;
    let logged_at = SHED_LOGGED_AT.load(Ordering::Relaxed);
    if now < logged_at + SHED_LOG_INTERVAL_SECONDS {
        return;
    }
    if SHED_LOGGED_AT
        .compare_exchange(logged_at, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        SHED_SINCE_LOGGED.fetch_sub(shed, Ordering::Relaxed);
        tracing::warn!(
            shed,
            reason,
            "requests answered 503 at a limit (this line at most every {SHED_LOG_INTERVAL_SECONDS} s)"
        );
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
