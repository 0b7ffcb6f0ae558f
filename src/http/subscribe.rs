//! GET /api/v1/subscribe: Server-Sent Events, one stored event per message, live.
//!
//! Each message is `id: <position>` and `data: <the event's canonical JSON>`. A subscriber
//! starts after `?after=N` or, when reconnecting, after its `Last-Event-ID`; it first catches
//! up from the log, then waits on `ledger.head`, the watch channel the writer sends the
//! durable head to after each sync. Sending on a watch channel never waits for a receiver, and
//! every subscriber reads the log itself, so a slow subscriber slows nobody but itself.
//!
//! The number of subscribers is bounded (`ApiLimits::subscribers_max`; 503 beyond it), and on
//! shutdown every subscription ends so the server can stop.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use impact_events::StoredEvent;
use serde::Deserialize;
use tokio::sync::watch;

use super::caller::{StillValid, STAFF_AUDITOR_ADMIN};
use super::error::ApiError;
use super::AppState;
use crate::auth::Caller;
use crate::store::Ledger;

/// A comment is sent this often on a quiet stream, so proxies keep the connection open.
pub const KEEP_ALIVE_SECONDS: u64 = 15;
/// How often a quiet stream checks that its token was not revoked.
pub const TOKEN_CHECK_SECONDS: u64 = 1;
/// Events a subscriber reads from the log at a time while catching up.
pub const SUBSCRIBE_BATCH_EVENTS: usize = 256;

/// The live subscriptions: how many there are, and the signal that ends them all.
#[derive(Clone, Debug)]
pub struct Subscribers {
    active: Arc<AtomicUsize>,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Subscribers {
    fn default() -> Self {
        Subscribers {
            active: Arc::default(),
            closing: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Subscribers {
    /// How many subscriptions are open.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Ends every subscription (and refuses new ones): called when the server shuts down.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Takes a place, or `None` when `subscribers_max` are open already.
    fn enter(&self, subscribers_max: usize) -> Option<Place> {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                (active < subscribers_max).then_some(active + 1)
            })
            .ok()?;
        Some(Place {
            active: self.active.clone(),
        })
    }
}

/// One subscriber's place; given back when its stream is dropped (the client went away).
struct Place {
    active: Arc<AtomicUsize>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Deserialize)]
pub struct SubscribeQuery {
    after: Option<u64>,
}

/// Server-Sent Events: one stored event per message with `id: <position>`, catch-up then live.
#[utoipa::path(get, path = "/api/v1/subscribe", tag = "events", security(("bearer" = [])),
    params(
        ("after" = Option<u64>, Query, description = "start after this position; a `Last-Event-ID` header wins"),
        ("Last-Event-ID" = Option<u64>, Header, nullable = false, description = "resume after this position"),
    ),
    responses(
        (status = 200, description = "the event stream: one message per stored event", body = super::openapi::SubscribeMessage, content_type = "text/event-stream"),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "too many subscribers", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: axum::http::Uri,
    query: Result<Query<SubscribeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &["after"])?;
    caller.allow(STAFF_AUDITOR_ADMIN)?;
    let still_valid = StillValid::new(&state, &headers, &caller);
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    // Both are checked, though the header wins: a bad `after` is refused, not ignored.
    let after = super::check_position("after", query.after.unwrap_or(0))?;
    let after = match last_event_id(&headers)? {
        Some(position) => super::check_position("Last-Event-ID", position)?,
        None => after,
    };
    let subscribers_max = state.limits.subscribers_max;
    let place = state
        .subscribers
        .enter(subscribers_max)
        .ok_or(ApiError::TooManySubscribers { subscribers_max })?;
    let closing = state.subscribers.closing.subscribe();
    let subscription = Subscription {
        head: state.ledger.head.subscribe(),
        ledger: state.ledger,
        after,
        pending: VecDeque::new(),
        closing,
        still_valid,
        _place: place,
    };
    let events = futures_util::stream::unfold(subscription, Subscription::next);
    let keep_alive = KeepAlive::new()
        .interval(Duration::from_secs(KEEP_ALIVE_SECONDS))
        .text("keep-alive");
    Ok(Sse::new(events).keep_alive(keep_alive).into_response())
}

/// The `Last-Event-ID` a reconnecting client sends: the last position it received.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::BadRequest("Last-Event-ID must be a log position (a number)".to_owned())
        })
}

struct Subscription {
    ledger: Arc<Ledger>,
    /// The last position sent.
    after: u64,
    /// Read from the log, not sent yet.
    pending: VecDeque<StoredEvent>,
    head: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    /// Checked before every message and every `TOKEN_CHECK_SECONDS` while quiet.
    still_valid: StillValid,
    _place: Place,
}

impl Subscription {
    /// The next message; `None` ends the stream (shutdown, or the log could not be read).
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if !self.still_valid.check() {
                tracing::info!(
                    after = self.after,
                    "a subscription ended: its token was revoked"
                );
                return None;
            }
            if let Some(event) = self.pending.pop_front() {
                self.after = event.position;
                return Some((Ok(message(&event)), self));
            }
            let durable = *self.head.borrow_and_update();
            if durable > self.after {
                self.pending = self.read(durable).await?;
                continue;
            }
            tokio::select! {
                changed = self.head.changed() => changed.ok()?,
                _ = self.closing.changed() => return None,
                () = tokio::time::sleep(Duration::from_secs(TOKEN_CHECK_SECONDS)) => {}
            }
        }
    }

    /// Reads the next batch after `self.after`, up to the durable head.
    async fn read(&self, durable: u64) -> Option<VecDeque<StoredEvent>> {
        let ledger = self.ledger.clone();
        let after = self.after;
        let read = tokio::task::spawn_blocking(move || {
            ledger
                .store()
                .range(after, durable)
                .take(SUBSCRIBE_BATCH_EVENTS)
                .collect::<Result<VecDeque<_>, _>>()
        })
        .await;
        match read {
            Ok(Ok(events)) if !events.is_empty() => Some(events),
            Ok(Ok(_)) => {
                tracing::error!(
                    after,
                    durable,
                    "a subscriber found no events below the head"
                );
                None
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "a subscriber could not read the log");
                None
            }
            Err(error) => {
                tracing::error!(%error, "a subscriber's read failed");
                None
            }
        }
    }
}

fn message(event: &StoredEvent) -> Event {
    let json = String::from_utf8(event.canonical_json()).expect("canonical JSON is UTF-8");
    Event::default().id(event.position.to_string()).data(json)
}
