//! Arbitrary bytes as a stored record: `codec::decode` must answer Ok or Err, never panic, and
//! whatever decodes must re-encode to bytes that decode to the same event, and be servable
//! (its canonical JSON built, as every read of the log does).
#![no_main]

use impact_events::codec::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(event) = decode(bytes) else {
        return;
    };
    let encoded = encode(&event);
    let again = decode(&encoded).expect("a re-encoded record decodes");
    assert_eq!(
        again, event,
        "encode(decode(bytes)) decodes to the same event"
    );
    assert_eq!(encode(&again), encoded, "encoding is stable");
    // Every read of the log (page, stream, export, verify) builds the canonical JSON and hash.
    let _ = event.canonical_json();
    let _ = event.compute_hash();
});
