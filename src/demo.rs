//! The demo data set (`impact-ledger demo`, `serve --demo`; CONTRACT §6): a deterministic,
//! believable history of Slagelse Kommune's social-economy unit from 2019 to 2026, made so that
//! the headline figures come out as the unit reported them (CONTRACT §1): 100 people employed and
//! 31 enterprises active in 2022, 118 and 34 in 2023. From 2025 it has catalogue 2's events
//! (placements ended, a grant paid and partly returned, agreements renewed, trials concluded)
//! and the committee's "Socialøkonomisk strategi 3.0" (2026-2029) with a target on every
//! metric, revised in June 2026. No event is dated after 2026-11-20, so every one is recorded
//! (two days later) in the past and the bytes never depend on the clock.
//!
//! Every id is fixed and the events are always sent as the same requests, so loading is
//! idempotent: a second load is a retry of stored ids with the same content, which the writer
//! answers with the original receipts, storing nothing. A load interrupted between requests is
//! finished by running it again (each request is atomic).
//!
//! The events are data, `demo/events.ndjson`: one `EventIn` JSON object per line, in the order
//! they are sent, read with `parse_event_in`, the path an HTTP append takes, so they are
//! normalised and checked exactly as a client's would be. Each event is recorded two days
//! after it happened (`recorded_at`), so "as of" a past moment shows what was known then.
//!
//! Ids read `64656d6f-KKKK-8000-8000-NNNNNNNNNNNN`: "demo" in ASCII, a kind (entities below
//! 0x0100, events 0xe0 and their type's place in the catalogue), the version 8 (custom) and
//! variant bits of RFC 9562, and a number whose hex digits spell decimal digits. The
//! enterprises and people are invented: persons are pseudonyms (`SLA-` and six digits), and the
//! CVR numbers were generated to pass the modulus-11 check, not looked up, so any likeness to a
//! real registration is chance. Funders and counterparties are the kinds of organisations such
//! a unit works with. To change the data set, edit the file (keep ids fixed: a changed event
//! under a stored id is a conflict) and update the export hash pinned in tests/demo.rs.

use std::path::Path;

use anyhow::Context;
use chrono::{Days, NaiveDate};
use impact_events::{parse_event_in, NewEvent, Problem, RecordedAt};
use serde_json::Value;
use uuid::Uuid;

use crate::http::events::copenhagen_today;
use crate::http::AppState;
use crate::store::writer::Clock;
use crate::store::{AppendError, AppendRequest, Writer};

/// The `actor` of every demo event.
pub const ACTOR: &str = "demo";
/// The most events one demo request carries (the API's limit, CONTRACT §3.4).
pub const REQUEST_EVENTS_MAX: usize = 1000;
/// The strategy the demo adopts, with its targets: 30 people a year, 40 enterprises.
pub const STRATEGY_NAME: &str = "Den Socialøkonomiske Strategi 2.0: Det handler om mennesker";
/// `(year, people_employed, enterprises_active)` as the unit reported them; the demo gives
/// exactly these.
pub const REPORTED: [(i32, u64, u64); 2] = [(2022, 100, 31), (2023, 118, 34)];

/// What one load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub requests: usize,
    pub events: usize,
    /// Events stored by this load.
    pub stored: usize,
    /// Events that were stored already (requests answered as retries).
    pub already_stored: usize,
}

/// A demo request the writer did not store.
#[derive(Debug, thiserror::Error)]
#[error("demo request {request} (events of {year}) was not stored: {reason}")]
pub struct DemoError {
    pub request: usize,
    pub year: i32,
    pub reason: String,
}

/// How long after an event happened the demo's unit recorded it.
pub const RECORDING_LAG_DAYS: u64 = 2;

/// When the demo's unit recorded an event that happened `occurred_on`: `RECORDING_LAG_DAYS`
/// later at 09:00 UTC, but never after `now`. So the demo's history reads as recorded over the
/// years it describes, and "as of" a past moment shows what was known then.
pub fn recorded_at(occurred_on: NaiveDate, now: chrono::DateTime<chrono::Utc>) -> RecordedAt {
    let recorded = occurred_on
        .checked_add_days(Days::new(RECORDING_LAG_DAYS))
        .and_then(|day| day.and_hms_opt(9, 0, 0))
        .map(|instant| instant.and_utc())
        .unwrap_or(now);
    RecordedAt::from_datetime(recorded.min(now))
}

/// Sends the demo to the writer, request by request, in order, each event recorded at
/// `recorded_at` of its date (the writer keeps them never earlier than the event before).
pub async fn load(writer: &Writer, today: NaiveDate) -> Result<Loaded, DemoError> {
    let mut loaded = Loaded::default();
    let now = chrono::Utc::now();
    for (request, (year, events)) in batches().into_iter().enumerate() {
        let count = events.len();
        let instants = events
            .iter()
            .map(|event| recorded_at(event.occurred_on, now))
            .collect();
        let request_in = AppendRequest {
            events,
            actor: ACTOR.to_owned(),
            today,
        };
        let appended = writer
            .append_with(request_in, Clock::At(instants))
            .await
            .map_err(|error| DemoError {
                request,
                year,
                reason: describe(error),
            })?;
        loaded.requests += 1;
        loaded.events += count;
        if appended.created {
            loaded.stored += count;
        } else {
            loaded.already_stored += count;
        }
    }
    Ok(loaded)
}

fn describe(error: AppendError) -> String {
    match error {
        AppendError::Refused(problems) => problems
            .iter()
            .map(Problem::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// `impact-ledger serve --demo`: loads the demo when the log is empty, before serving.
pub async fn load_if_empty(state: &AppState) -> anyhow::Result<Option<Loaded>> {
    if state.ledger.durable_position() != 0 {
        return Ok(None);
    }
    let loaded = load(&state.writer, copenhagen_today()).await?;
    Ok(Some(loaded))
}

/// `impact-ledger demo`: loads the demo into the data dir and prints what it did.
pub async fn run(data: &Path) -> anyhow::Result<()> {
    let state = crate::serve::open_state(data)?;
    let loaded = load(&state.writer, copenhagen_today())
        .await
        .context("loading the demo")?;
    state.ledger.store().sync().context("syncing the log")?;
    print!("{}", summary(&state, &loaded));
    Ok(())
}

/// What a load did and the headline figures of the whole log, for people.
pub fn summary(state: &AppState, loaded: &Loaded) -> String {
    state.ledger.with_read(|read| summary_of(read, loaded))
}

fn summary_of(read: &crate::store::ReadModel, loaded: &Loaded) -> String {
    let mut text = format!(
        "demo: {} events in {} requests: {} stored now, {} were stored already\n\
         log head: position {}, hash {}\n",
        loaded.events,
        loaded.requests,
        loaded.stored,
        loaded.already_stored,
        read.head_position(),
        read.head_hash().to_hex(),
    );
    for year in 2022..=2024 {
        let status = read.projection.status(year);
        text += &format!(
            "{year}: {} people employed ({} placements), {} enterprises and initiatives active\n",
            status.people_employed, status.placements.total, status.enterprises.active,
        );
    }
    text
}

/// The demo data set: one `EventIn` per line, in the order they are sent. Loading it parses
/// each line as an HTTP append would.
const EVENTS: &str = include_str!("../demo/events.ndjson");

/// The demo's requests as `EventIn` JSON, in the order they are sent, with the year of their
/// events: one request per year of `occurred_on` (split at `REQUEST_EVENTS_MAX`).
pub fn requests() -> Vec<(i32, Vec<Value>)> {
    let mut requests: Vec<(i32, Vec<Value>)> = Vec::new();
    for (number, line) in EVENTS.lines().enumerate() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("demo/events.ndjson line {}: {error}", number + 1));
        let year = event["occurred_on"]
            .as_str()
            .and_then(|date| date.get(..4))
            .and_then(|year| year.parse().ok())
            .unwrap_or_else(|| panic!("demo/events.ndjson line {}: no occurred_on", number + 1));
        match requests.last_mut() {
            Some((last, events)) if *last == year && events.len() < REQUEST_EVENTS_MAX => {
                events.push(event);
            }
            _ => requests.push((year, vec![event])),
        }
    }
    requests
}

/// The demo's requests as parsed events, ready for the writer.
pub fn batches() -> Vec<(i32, Vec<NewEvent>)> {
    requests()
        .into_iter()
        .map(|(year, events)| {
            let parsed = events
                .into_iter()
                .enumerate()
                .map(|(index, event)| {
                    let id = event["id"]
                        .as_str()
                        .and_then(|id| Uuid::parse_str(id).ok())
                        .expect("every demo event has an id");
                    parse_event_in(index, event, id)
                        .unwrap_or_else(|problems| panic!("a demo event is invalid: {problems:?}"))
                })
                .collect();
            (year, parsed)
        })
        .collect()
}
