//! Memory of the derived state at 1M events, and a start-like fold to profile (issue 6).
//!
//! `cargo bench -p impact-projections --bench memory` prints how much resident memory a
//! `LedgerState` and a `Projection` of 1M mix events take (VmRSS before and after building each;
//! Linux only), and how long building and cloning them takes. With `-- start-path N` it only
//! does, for N events, what a start did per event before the hashes moved to the background
//! (decode, `Verifier::check`, `LedgerState::apply`, `Projection::apply`), for
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='memory::start_path'`.
//! With `-- lists` it times the lists of CONTRACT §9 on the 1M projection (a page of 100 from
//! each list, with and without a year and `q`, and a past fold made for lists).
//! Not a criterion benchmark: one measurement, printed. Never part of `cargo test`.

use std::hint::black_box;
use std::time::Instant;

use impact_events::{codec, LedgerState, Verifier};
use impact_projections::{EnterpriseQuery, EntryQuery, PlacementQuery, Projection};

#[path = "../../events/benches/mix/mod.rs"]
mod mix;
use mix::Mix;

const EVENTS: usize = 1_000_000;

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kilobytes| kilobytes.parse::<f64>().ok())
        .map_or(f64::NAN, |kilobytes| kilobytes / 1024.0)
}

fn nanoseconds_per_event(started: Instant, events: usize) -> f64 {
    started.elapsed().as_nanos() as f64 / events as f64
}

fn memory() {
    let events = Mix::new(6, false, EVENTS as u64 / 3).events(EVENTS);
    println!("{EVENTS} mix events held: {:.0} MB resident", resident_mb());

    let before = resident_mb();
    let started = Instant::now();
    let mut state = LedgerState::with_capacity(EVENTS);
    events.iter().for_each(|event| state.apply(event));
    let per_event = nanoseconds_per_event(started, EVENTS);
    let size = resident_mb() - before;
    println!("LedgerState: {size:.0} MB, apply {per_event:.0} ns/event");

    let before = resident_mb();
    let started = Instant::now();
    let mut projection = Projection::with_capacity(EVENTS);
    events.iter().for_each(|event| projection.apply(event));
    let per_event = nanoseconds_per_event(started, EVENTS);
    let size = resident_mb() - before;
    println!("Projection: {size:.0} MB, apply {per_event:.0} ns/event");
    let started = Instant::now();
    let copy = black_box(projection.clone());
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    println!("Projection::clone: {millis:.0} ms");
    // An "as of" question: the figures at a past position, folded from the records' facts.
    for position in [EVENTS as u64 - 1, EVENTS as u64 / 2] {
        let started = Instant::now();
        let past = projection.past(position);
        let taken = started.elapsed().as_secs_f64() * 1000.0;
        let folded = black_box(past.fold());
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        println!(
            "Projection::past({position}): {taken:.1} ms to take, {millis:.0} ms with the fold"
        );
        drop(folded);
    }
    // All kept until here, so none is measured in memory another one freed.
    drop(black_box((state, projection, copy)));
}

#[inline(never)]
fn start_path(records: &[Vec<u8>]) -> (LedgerState, Projection) {
    let mut verifier = Verifier::default();
    let mut state = LedgerState::default();
    let mut projection = Projection::new();
    for record in records {
        let event = codec::decode(record).expect("the record decodes");
        verifier.check(&event).expect("the chain holds");
        state.apply(&event);
        projection.apply(&event);
    }
    (state, projection)
}

/// Milliseconds per call of `answer`, the best of five, and what it answered.
fn best_of_five<T>(mut answer: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..5 {
        let started = Instant::now();
        last = Some(black_box(answer()));
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    (best, last.expect("five calls"))
}

/// A list query that answers its total.
type Total<'a> = Box<dyn Fn() -> u64 + 'a>;

fn lists() {
    let events = Mix::new(6, false, EVENTS as u64 / 3).events(EVENTS);
    let before = resident_mb();
    let mut projection = Projection::with_capacity(EVENTS);
    events.iter().for_each(|event| projection.apply(event));
    println!("Projection with lists: {:.0} MB", resident_mb() - before);
    let queries = [
        (None, None),
        (Some(2023), None),
        (None, Some("kronen 12")),
        (Some(2023), Some("p-00001")),
    ];
    for (year, q) in queries {
        let q = q.map(str::to_owned);
        let p = &projection;
        let placements = PlacementQuery {
            year,
            q: q.clone(),
            ..PlacementQuery::default()
        };
        let enterprises = EnterpriseQuery {
            year,
            q: q.clone(),
            ..EnterpriseQuery::default()
        };
        let entries = EntryQuery {
            year,
            q: q.clone(),
            ..EntryQuery::default()
        };
        let entries_too = EntryQuery {
            year,
            q: q.clone(),
            ..EntryQuery::default()
        };
        let lists: [(&str, Total<'_>); 4] = [
            ("placements", Box::new(|| p.placements(&placements).total)),
            (
                "enterprises",
                Box::new(|| p.enterprises(&enterprises).total),
            ),
            ("trends", Box::new(|| p.trends(&entries).total)),
            ("grants", Box::new(|| p.grants(&entries_too).total)),
        ];
        for (list, answer) in lists {
            let (millis, total) = best_of_five(answer);
            println!("{list} year {year:?} q {q:?}: {millis:.1} ms, total {total}");
        }
    }
    for position in [EVENTS as u64 - 1, EVENTS as u64 / 2] {
        let (figures, _) = best_of_five(|| projection.past(position).fold().position());
        let (lists, _) = best_of_five(|| projection.past_with_lists(position).fold().position());
        println!("past({position}) folded: {figures:.0} ms for figures, {lists:.0} ms for lists");
    }
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.iter().any(|argument| argument == "lists") {
        return lists();
    }
    let start = arguments
        .iter()
        .position(|argument| argument == "start-path");
    match start {
        Some(index) => {
            let events = arguments
                .get(index + 1)
                .and_then(|count| count.parse().ok())
                .unwrap_or(20_000);
            let mut mix = Mix::new(8, true, events as u64 / 3);
            let records: Vec<Vec<u8>> = (0..events)
                .map(|_| codec::encode(&mix.next_event()))
                .collect();
            let started = Instant::now();
            black_box(start_path(&records));
            let per_event = nanoseconds_per_event(started, events);
            println!("start path: {events} events, {per_event:.0} ns/event");
        }
        None => memory(),
    }
}
