//! Criterion benchmarks of the projection (issue 6): `Projection::apply` per event over the
//! realistic mix (the cost of every append's publish, of the rebuild on start, and of an "as of"
//! answer, which folds the log prefix), and `status`, `targets`, `history` and `clone` on a
//! projection of 1M events (built once, in a few seconds).
//!
//! `cargo bench -p impact-projections --bench fold`. Never part of `cargo test`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impact_projections::Projection;

#[path = "../../events/benches/mix/mod.rs"]
mod mix;
use mix::Mix;

/// Events per iteration of the fold benchmark.
const FOLD_EVENTS: usize = 100_000;
/// The size of the log the read benchmarks ask.
const LARGE_EVENTS: usize = 1_000_000;

fn fold(criterion: &mut Criterion) {
    let events = Mix::new(6, false, FOLD_EVENTS as u64 / 3).events(FOLD_EVENTS);
    let mut group = criterion.benchmark_group("projection");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FOLD_EVENTS as u64));
    group.bench_function("apply/100k_mix", |bench| {
        bench.iter(|| Projection::fold(black_box(&events)))
    });
    group.finish();
}

fn reads(criterion: &mut Criterion) {
    // Streamed into the projection: the million events are never held at once.
    let mut mix = Mix::new(6, false, LARGE_EVENTS as u64 / 3);
    let mut projection = Projection::new();
    for _ in 0..LARGE_EVENTS {
        projection.apply(&mix.next_event());
    }
    let mut group = criterion.benchmark_group("projection_1m");
    group.bench_function("status/2023", |bench| {
        bench.iter(|| black_box(&projection).status(2023))
    });
    group.bench_function("targets/2023", |bench| {
        bench.iter(|| black_box(&projection).targets(2023))
    });
    group.sample_size(10);
    group.bench_function("history/2022_2023", |bench| {
        bench.iter(|| black_box(&projection).history(2022, 2023))
    });
    // What a snapshot of the projection would cost to take (see docs/PERFORMANCE.md).
    group.bench_function("clone", |bench| {
        bench.iter(|| black_box(&projection).clone())
    });
    group.finish();
}

criterion_group!(benches, fold, reads);
criterion_main!(benches);
