//! The store: the sled log, the state derived from it, and the single writer.
//!
//! The log is the only truth. On open every record is decoded and the whole chain verified;
//! the rules' state and the read model are rebuilt from it. Nothing derived is stored.

pub mod keys;
pub mod log;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use impact_events::{Hash, LedgerState, RecordedAt, StoredEvent, StreamId, Verifier};
use impact_projections::Projection;
use uuid::Uuid;

pub use log::Log;
pub use writer::{AppendError, AppendRequest, Appended, Receipt, Writer};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the log at {0}: {1}")]
    Open(PathBuf, String),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("sled: {0}")]
    Sled(String),
    #[error("the log is corrupt at position {position}: {reason}; it is left as it is, restore from a verified export (ops/README.md)")]
    Corrupt { position: u64, reason: String },
}

impl StoreError {
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_owned(),
            error,
        }
    }

    pub fn sled(error: sled::Error) -> Self {
        StoreError::Sled(error.to_string())
    }
}

/// What readers see: only events that are durable.
#[derive(Debug, Default)]
pub struct ReadModel {
    /// `recorded_at` of each durable event, index = position - 1 (for `as_of`).
    pub recorded_at: Vec<RecordedAt>,
    pub head_hash: Hash,
    /// The figures, kept current event by event.
    pub projection: Projection,
}

impl ReadModel {
    pub fn apply(&mut self, event: &StoredEvent) {
        self.recorded_at.push(event.recorded_at);
        self.head_hash = event.hash;
        self.projection.apply(event);
    }

    pub fn head_position(&self) -> u64 {
        self.recorded_at.len() as u64
    }

    /// The last position recorded at or before `instant` (0 if none).
    pub fn position_at(&self, instant: RecordedAt) -> u64 {
        self.recorded_at
            .partition_point(|recorded_at| *recorded_at <= instant) as u64
    }
}

/// The ledger shared by the writer and every reader.
pub struct Ledger {
    pub log: Log,
    /// The rules' state; the writer may have taken in events that are not durable yet.
    pub state: RwLock<LedgerState>,
    pub read: RwLock<ReadModel>,
    /// The last durable position: readers see nothing after it.
    durable: AtomicU64,
    /// Wakes live subscribers with the durable head, after the sync.
    pub head: tokio::sync::watch::Sender<u64>,
}

impl Ledger {
    /// Opens the data dir and rebuilds everything derived, verifying the whole chain.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let log = Log::open(dir)?;
        let mut state = LedgerState::default();
        let mut read = ReadModel::default();
        let mut verifier = Verifier::default();
        let last = log.last_position()?;
        for event in log.range(0, last) {
            let event = event?;
            verifier
                .check(&event)
                .map_err(|error| StoreError::Corrupt {
                    position: event.position,
                    reason: error.to_string(),
                })?;
            state.apply(&event);
            read.apply(&event);
        }
        let durable = verifier.events();
        if durable != last {
            let reason = format!("the log ends at {last} but only {durable} events chain");
            return Err(StoreError::Corrupt {
                position: durable + 1,
                reason,
            });
        }
        crate::metrics::METRICS.head_position.set(durable as i64);
        Ok(Ledger {
            log,
            state: RwLock::new(state),
            read: RwLock::new(read),
            durable: AtomicU64::new(durable),
            head: tokio::sync::watch::channel(durable).0,
        })
    }

    pub fn durable_position(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Makes events up to `position` visible; called by the writer after the sync.
    fn publish(&self, events: &[StoredEvent]) {
        let mut read = self.read.write().expect("read model lock");
        for event in events {
            read.apply(event);
        }
        let head = read.head_position();
        drop(read);
        self.durable.store(head, Ordering::Release);
        self.head.send_replace(head);
    }

    /// A durable event by id.
    pub fn event_by_id(&self, id: &Uuid) -> Result<Option<StoredEvent>, StoreError> {
        let entry = self.state.read().expect("state lock").event(id);
        match entry {
            Some(entry) if entry.position <= self.durable_position() => {
                self.log.get(entry.position)
            }
            _ => Ok(None),
        }
    }

    /// The durable events of a stream, in version order.
    pub fn stream(&self, stream: &StreamId) -> Result<Vec<StoredEvent>, StoreError> {
        let durable = self.durable_position();
        let positions: Vec<u64> = {
            let state = self.state.read().expect("state lock");
            let positions = state.stream_positions(stream);
            positions
                .iter()
                .copied()
                .take_while(|position| *position <= durable)
                .collect()
        };
        positions
            .into_iter()
            .map(|position| {
                self.log.get(position)?.ok_or(StoreError::Corrupt {
                    position,
                    reason: "an indexed event is missing from the log".to_owned(),
                })
            })
            .collect()
    }

    /// The projection of the first `position` events, folded from the log.
    ///
    /// Used for "as of" questions; the current figures are `read.projection`.
    pub fn projection_at(&self, position: u64) -> Result<Projection, StoreError> {
        let mut projection = Projection::new();
        for event in self.log.range(0, position.min(self.durable_position())) {
            projection.apply(&event?);
        }
        Ok(projection)
    }

    /// Up to `limit` durable events after position `after`.
    pub fn page(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.log
            .range(after, self.durable_position())
            .take(limit)
            .collect()
    }
}
