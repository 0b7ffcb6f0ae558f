//! Proves that what fuzzing found (fuzz/, docs/RELIABILITY.md) stays fixed: a stored event's
//! JSON whose integers canonical JSON cannot write exactly (beyond ±(2^53 − 1), in the envelope
//! or the payload) is refused by `StoredEvent::from_json`, naming the member, while the largest
//! exact integer still reads back and round-trips through its canonical JSON.

mod common;

use common::every_variant_full_chain;
use impact_events::*;
use serde_json::{json, Value};

/// The canonical JSON of the chain's grant, with `member` (a path of object keys) set to `number`.
fn grant_with(member: &[&str], number: Value) -> Value {
    let chain = every_variant_full_chain();
    let grant = chain
        .iter()
        .find(|event| matches!(event.data, EventData::GrantAwarded(_)))
        .expect("the chain has a grant");
    let mut value: Value = serde_json::from_slice(&grant.canonical_json()).expect("JSON");
    let (last, parents) = member.split_last().expect("a member");
    let mut object = &mut value;
    for parent in parents {
        object = &mut object[*parent];
    }
    object[*last] = number;
    value
}

#[test]
fn integers_beyond_what_canonical_json_holds_are_refused() {
    // The first crash: an export line with version 33337333333333331 read back as ...332.
    let cases = [
        (
            &["version"][..],
            json!(33_337_333_333_333_331_u64),
            "version",
        ),
        (
            &["position"][..],
            json!(9_007_199_254_740_992_u64),
            "position",
        ),
        (
            &["data", "amount_ore"][..],
            json!(9_007_199_254_740_993_i64),
            "data.amount_ore",
        ),
        (
            &["data", "amount_ore"][..],
            json!(-9_007_199_254_740_992_i64),
            "data.amount_ore",
        ),
    ];
    for (member, number, named) in cases {
        let error = StoredEvent::from_json(grant_with(member, number.clone()))
            .expect_err("an inexact integer is refused");
        assert!(error.starts_with(named), "{number} at {named}: {error}");
    }
}

#[test]
fn the_largest_exact_integer_reads_back_and_round_trips() {
    let value = grant_with(&["data", "amount_ore"], json!(9_007_199_254_740_991_i64));
    let event = StoredEvent::from_json(value).expect("2^53 - 1 is exact");
    let again: Value = serde_json::from_slice(&event.canonical_json()).expect("JSON");
    assert_eq!(StoredEvent::from_json(again), Ok(event));
}
