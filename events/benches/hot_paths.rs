//! Criterion benchmarks of the pure hot paths (issue 6): what every append does (parse, validate
//! against a state of 100k events, seal: canonical JSON + SHA-256, encode), and what every start
//! and import does per event (decode, verify the chain, rebuild the rules' state).
//!
//! `cargo bench -p impact-events --bench hot_paths`; ops/bench/run.sh runs the service-level
//! numbers. Benchmarks are never part of `cargo test`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use impact_events::{
    admit_request, codec, parse_event_in, EventData, LedgerState, NewEvent, StoredEvent, Verifier,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod mix;
use mix::Mix;

/// The size of the stored state a request is validated against.
const STATE_EVENTS: usize = 100_000;
/// Events per iteration of the per-event start benchmarks.
const CHUNK_EVENTS: usize = 1000;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("a valid date")
}

/// What a client sends for one new placement, as the HTTP handler hands it on.
fn placement_json(mix: &mut Mix) -> serde_json::Value {
    let mut placement = mix.placement();
    placement.enterprise_id = mix.some_enterprise();
    serde_json::json!({
        "id": mix.uuid(),
        "type": "PersonPlacedInEmployment",
        "occurred_on": "2026-11-02",
        "data": EventData::PersonPlacedInEmployment(placement).to_json(),
        "case_ref": "24-004614",
    })
}

/// A state of `STATE_EVENTS` events and the mix that made it (to make more valid events).
fn stored_state() -> (LedgerState, Mix) {
    let mut mix = Mix::new(6, false, STATE_EVENTS as u64 / 3);
    let mut state = LedgerState::default();
    for _ in 0..STATE_EVENTS {
        state.apply(&mix.next_event());
    }
    (state, mix)
}

fn parse(value: serde_json::Value) -> NewEvent {
    parse_event_in(0, value, Uuid::nil()).expect("the placement is valid")
}

fn validation(criterion: &mut Criterion) {
    let (state, mut mix) = stored_state();
    let mut group = criterion.benchmark_group("validate");
    group.throughput(Throughput::Elements(1));
    let value = placement_json(&mut mix);
    group.bench_function("parse_event_in/placement", |bench| {
        bench.iter_batched(|| value.clone(), parse, BatchSize::SmallInput)
    });
    let event = parse(value.clone());
    group.bench_function("admit_request/placement/state_100k", |bench| {
        bench.iter_batched_ref(
            || [event.clone()],
            |events| admit_request(black_box(&state), events, today()).expect("admitted"),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("parse_and_admit/placement/state_100k", |bench| {
        bench.iter_batched(
            || value.clone(),
            |value| {
                let mut events = [parse(value)];
                admit_request(&state, &mut events, today()).expect("admitted")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn sealing(criterion: &mut Criterion) {
    let mut mix = Mix::new(7, true, 1000);
    let events = mix.events(2000);
    let placement = events
        .iter()
        .rev()
        .find(|event| matches!(event.data, EventData::PersonPlacedInEmployment(_)))
        .expect("the mix has placements")
        .clone();
    let enterprise = events
        .iter()
        .rev()
        .find(|event| matches!(event.data, EventData::EnterpriseRegistered(_)))
        .expect("the mix has enterprises")
        .clone();
    let mut group = criterion.benchmark_group("seal");
    group.throughput(Throughput::Elements(1));
    for (name, event) in [("placement", &placement), ("enterprise", &enterprise)] {
        group.bench_function(format!("to_json/{name}"), |bench| {
            bench.iter(|| black_box(event).to_json(false))
        });
        let value = event.to_json(false);
        group.bench_function(format!("canonical/{name}"), |bench| {
            bench.iter(|| impact_events::canonical(black_box(&value)))
        });
        // serde_jcs, which `canonical` used before b899393, stays the oracle (a dev-dependency):
        // the same bytes, and its cost next to `canonical`'s (docs/PERFORMANCE.md, finding 1).
        assert_eq!(
            serde_jcs::to_vec(&value).expect("jcs"),
            impact_events::canonical(&value)
        );
        group.bench_function(format!("serde_jcs/{name}"), |bench| {
            bench.iter(|| serde_jcs::to_vec(black_box(&value)).expect("jcs"))
        });
        let bytes = impact_events::canonical(&value);
        group.bench_function(format!("sha256/{name}"), |bench| {
            bench.iter(|| Sha256::digest(black_box(&bytes)))
        });
        // What `compute_hash` and `canonical_json` write now, into a reused buffer: the
        // `to_json` + `canonical` pair above without the `serde_json::Value`.
        let mut buffer = Vec::with_capacity(bytes.len());
        event.write_canonical_json(false, &mut buffer);
        assert_eq!(buffer, bytes);
        group.bench_function(format!("write_canonical_json/{name}"), |bench| {
            bench.iter(|| {
                buffer.clear();
                black_box(event).write_canonical_json(false, &mut buffer);
            })
        });
        group.bench_function(format!("compute_hash/{name}"), |bench| {
            bench.iter(|| black_box(event).compute_hash())
        });
        group.bench_function(format!("canonical_json_line/{name}"), |bench| {
            bench.iter(|| black_box(event).canonical_json())
        });
    }
    let line = placement.canonical_json();
    group.bench_function("from_json_line/placement", |bench| {
        bench.iter(|| {
            let value: serde_json::Value = serde_json::from_slice(black_box(&line)).expect("json");
            StoredEvent::from_json(value).expect("a stored event")
        })
    });
    group.finish();

    let mut group = criterion.benchmark_group("codec");
    group.throughput(Throughput::Elements(1));
    let bytes = codec::encode(&placement);
    group.bench_function("encode/placement", |bench| {
        bench.iter(|| codec::encode(black_box(&placement)))
    });
    group.bench_function("decode/placement", |bench| {
        bench.iter(|| codec::decode(black_box(&bytes)).expect("decodes"))
    });
    group.finish();
}

/// Per event of `Ledger::open`: decode, check the chain (which rehashes), rebuild the state.
fn start(criterion: &mut Criterion) {
    let mut mix = Mix::new(8, true, CHUNK_EVENTS as u64 / 3);
    let events = mix.events(CHUNK_EVENTS);
    let records: Vec<Vec<u8>> = events.iter().map(codec::encode).collect();
    let mut group = criterion.benchmark_group("start");
    group.throughput(Throughput::Elements(CHUNK_EVENTS as u64));
    group.bench_function("decode", |bench| {
        bench.iter(|| {
            for record in &records {
                black_box(codec::decode(record).expect("decodes"));
            }
        })
    });
    group.bench_function("verifier_check", |bench| {
        bench.iter(|| {
            let mut verifier = Verifier::default();
            for event in &events {
                verifier.check(event).expect("the chain holds");
            }
            verifier
        })
    });
    group.bench_function("state_apply", |bench| {
        bench.iter(|| {
            let mut state = LedgerState::default();
            for event in &events {
                state.apply(event);
            }
            state
        })
    });
    group.bench_function("decode_verify_apply", |bench| {
        bench.iter(|| {
            let mut verifier = Verifier::default();
            let mut state = LedgerState::default();
            for record in &records {
                let event = codec::decode(record).expect("decodes");
                verifier.check(&event).expect("the chain holds");
                state.apply(&event);
            }
            state
        })
    });
    group.finish();
}

criterion_group!(benches, validation, sealing, start);
criterion_main!(benches);
