//! Prometheus metrics (GET /metrics), with the `prometheus-client` crate.
//!
//! One process-wide registry: the writer and the HTTP layer record into it without being
//! handed a handle, as with the `metrics` facade. Names follow Prometheus conventions: units
//! last (`_seconds`, `_events`), counters end in `_total`.

use std::sync::atomic::AtomicU64;
use std::sync::LazyLock;
use std::time::Instant;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabel {
    pub event_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// GET, POST, HEAD or other: never the request's own text.
    pub method: &'static str,
    /// A route template, or `unmatched` (unknown paths and 405s): never the request's path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub events_appended: Family<TypeLabel, Counter>,
    pub append_seconds: Histogram,
    pub batch_events: Histogram,
    pub flush_seconds: Histogram,
    pub head_position: Gauge<i64, AtomicU64Gauge>,
    pub http_requests: Family<RouteLabels, Counter>,
    pub http_request_seconds: Family<RouteLabels, Histogram>,
    pub http_shed: Family<ReasonLabel, Counter>,
    pub sse_subscribers: Gauge,
    uptime_seconds: Gauge<f64, AtomicU64>,
    started: Instant,
}

/// The atomic behind an integer gauge.
pub type AtomicU64Gauge = std::sync::atomic::AtomicI64;

fn latency_histogram() -> Histogram {
    // 50 µs to about 3 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("impact_ledger");
        let metrics = Metrics {
            events_appended: Family::default(),
            append_seconds: latency_histogram(),
            batch_events: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
            flush_seconds: latency_histogram(),
            head_position: Gauge::default(),
            http_requests: Family::default(),
            http_request_seconds: Family::new_with_constructor(latency_histogram),
            http_shed: Family::default(),
            sse_subscribers: Gauge::default(),
            uptime_seconds: Gauge::default(),
            started: Instant::now(),
            registry: Registry::default(),
        };
        metrics.register(&mut registry);
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Names and explains every metric in `registry` (once, at the start).
    fn register(&self, registry: &mut Registry) {
        let metrics = self;
        registry.register(
            "events_appended",
            "Events appended, by type",
            metrics.events_appended.clone(),
        );
        registry.register(
            "append_seconds",
            "Time from an append request reaching the writer to its answer",
            metrics.append_seconds.clone(),
        );
        registry.register(
            "writer_batch_events",
            "Events written per group commit",
            metrics.batch_events.clone(),
        );
        registry.register(
            "flush_seconds",
            "Time of one sled flush plus fdatasync",
            metrics.flush_seconds.clone(),
        );
        registry.register(
            "head_position",
            "The last durable log position",
            metrics.head_position.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            metrics.http_requests.clone(),
        );
        registry.register(
            "http_request_seconds",
            "HTTP request latency by route template and status",
            metrics.http_request_seconds.clone(),
        );
        registry.register(
            "http_shed_requests",
            "Requests answered 503 at a limit, by reason (overloaded, busy)",
            metrics.http_shed.clone(),
        );
        registry.register(
            "sse_subscribers",
            "Live subscribers to /api/v1/subscribe",
            metrics.sse_subscribers.clone(),
        );
        registry.register(
            "uptime_seconds",
            "Seconds since the process started",
            metrics.uptime_seconds.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running version", build_info);
    }

    /// Time since the process started.
    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        self.uptime_seconds
            .set(self.started.elapsed().as_secs_f64());
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// The process-wide metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
