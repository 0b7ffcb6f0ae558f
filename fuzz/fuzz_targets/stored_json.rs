//! Arbitrary bytes as an export line or an API answer: `StoredEvent::from_json` must answer Ok
//! or Err, never panic, and whatever it reads must give canonical JSON that reads back to the
//! same event and is its own canonical form, so an import re-exports to the same bytes.
#![no_main]

use impact_events::StoredEvent;
use impact_ledger_fuzz::check_stored;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    if let Ok(event) = StoredEvent::from_json(value) {
        check_stored(&event);
    }
});
