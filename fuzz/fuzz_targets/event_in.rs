//! Arbitrary bytes as a request body: parse every event (`parse_event_in`), check the request
//! against a small stored ledger (`admit_request`), and if it is admitted, seal and apply it as
//! the writer does. Nothing may panic, and every event admitted must store and read back intact.
#![no_main]

use impact_ledger_fuzz::{check_stored, ledger, store, uuid};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The most events a request may carry (CONTRACT §3.4).
const BATCH_EVENTS_MAX: usize = 1000;

fuzz_target!(|bytes: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    // A whole body `{"events": [...]}`, a bare list, or one event.
    let values = match body {
        Value::Object(mut object) if object.contains_key("events") => {
            match object.remove("events") {
                Some(Value::Array(values)) => values,
                _ => return,
            }
        }
        Value::Array(values) => values,
        other => vec![other],
    };
    let mut events = Vec::new();
    for (index, value) in values.into_iter().take(BATCH_EVENTS_MAX).enumerate() {
        // A fresh id as the server would draw one, but fixed so a crash replays.
        if let Ok(event) = impact_events::parse_event_in(index, value, uuid(0xF000 + index as u128))
        {
            events.push(event);
        }
    }
    if events.is_empty() {
        return;
    }
    let mut ledger = ledger().clone();
    match store(&mut ledger, events) {
        Ok(stored) => stored.iter().for_each(check_stored),
        Err(problems) => assert!(!problems.is_empty(), "a refusal names its problems"),
    }
});
