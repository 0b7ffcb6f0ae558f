//! The idempotent retry of CONTRACT §3.4: a request whose event ids are already stored with the
//! same content is answered with the original positions and stores nothing; the same id with
//! other content is a conflict.

use crate::input::NewEvent;
use crate::rules::LedgerState;
use crate::stored::StoredEvent;
use crate::violations::{Problem, Violation};

/// What a request is, seen against what is stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Retry {
    /// No event id of the request is stored: check and store it.
    New,
    /// Every event is stored with the same content: answer with these, store nothing.
    Repeat,
}

/// The positions of the request's events whose client-chosen ids are already stored.
pub fn stored_positions(state: &LedgerState, events: &[NewEvent]) -> Vec<Option<u64>> {
    events
        .iter()
        .map(|event| {
            event
                .id_from_client
                .then(|| state.event(&event.id))
                .flatten()
                .map(|entry| entry.position)
        })
        .collect()
}

/// Judges a request from the stored events its ids name (`stored[i]` for `events[i]`, `None`
/// where the id is new): new, a repeat, or conflicts naming each event that differs.
pub fn judge_retry(
    events: &[NewEvent],
    stored: &[Option<&StoredEvent>],
) -> Result<Retry, Vec<Problem>> {
    assert_eq!(events.len(), stored.len(), "one stored entry per event");
    if stored.iter().all(Option::is_none) {
        return Ok(Retry::New);
    }
    let problems: Vec<Problem> = events
        .iter()
        .zip(stored)
        .enumerate()
        .filter_map(|(index, (event, stored))| {
            let violation = match stored {
                None => Violation::RetryPartlyNew,
                Some(stored) if stored.same_content(event) => return None,
                Some(stored) => Violation::IdStoredOtherContent {
                    id: event.id,
                    position: stored.position,
                },
            };
            Some(Problem::new(index, "id", violation))
        })
        .collect();
    if problems.is_empty() {
        Ok(Retry::Repeat)
    } else {
        Err(problems)
    }
}
