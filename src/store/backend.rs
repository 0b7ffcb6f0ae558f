//! The store as a seam: what the ledger needs from the engine that keeps its log.
//!
//! Everything above this trait (the writer, `Ledger::open` and its rebuild, export, verify,
//! import, the demo) talks to a `dyn Store` and never names the engine. Two engines implement
//! it: `log::Log` (sled in the data dir, the default) and `nats::NatsStore` (a JetStream stream,
//! CONTRACT §14). `tests/store_contract.rs` holds the contract as tests, run against both.

use impact_events::{Hash, RecordedAt, StoredEvent};

use super::StoreError;

/// The last event of the log: what the next event links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// 0 when the log is empty.
    pub position: u64,
    /// `Hash::GENESIS` when the log is empty.
    pub hash: Hash,
    /// `None` when the log is empty.
    pub recorded_at: Option<RecordedAt>,
}

impl Head {
    pub const EMPTY: Head = Head {
        position: 0,
        hash: Hash::GENESIS,
        recorded_at: None,
    };

    /// The head after `event`.
    pub fn of(event: &StoredEvent) -> Head {
        Head {
            position: event.position,
            hash: event.hash,
            recorded_at: Some(event.recorded_at),
        }
    }
}

/// Events read back from a store, in position order.
pub type Events<'a> = Box<dyn Iterator<Item = Result<StoredEvent, StoreError>> + 'a>;

/// An append-only log of sealed events at positions 1, 2, 3, ...
///
/// Only the ledger's writer appends; readers may read at any time. A `Store` is called once
/// per group commit on the hot path, never once per event. A tool or a test that needs the
/// engine itself downcasts through `Any` (`&dyn Store as &dyn Any`).
pub trait Store: std::any::Any + Send + Sync {
    /// Appends one commit: the sealed events of one or more requests, in order (`sizes` are
    /// the requests' event counts). Lands only if the log's last position is still `expected`,
    /// the head the events were validated and chained against; otherwise nothing is written
    /// and the answer is `StoreError::HeadMoved` (another server appended first).
    ///
    /// When it returns `Ok` the commit is durable, and a crash leaves all or none of each
    /// request.
    fn append(
        &self,
        expected: u64,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError>;

    /// One event; `None` past the end of the log.
    fn get(&self, position: u64) -> Result<Option<StoredEvent>, StoreError>;

    /// The events after position `after`, in order, up to and including `until` (fewer when
    /// the log ends first).
    fn range(&self, after: u64, until: u64) -> Events<'_>;

    /// The position of the last stored event, 0 when the log is empty.
    fn last_position(&self) -> Result<u64, StoreError>;

    /// Waits until everything appended so far is durable, and writes the engine's own state
    /// out (a clean shutdown).
    fn sync(&self) -> Result<(), StoreError>;

    /// Whether other servers append to this log too: then a commit can lose a race
    /// (`StoreError::HeadMoved`) and the writer must be able to admit it again.
    fn is_shared(&self) -> bool {
        false
    }

    /// Registers what to call when another server appended to a shared store, so the writer
    /// folds its events in while idle. A store of its own never calls it.
    fn on_foreign_append(&self, wake: Box<dyn Fn() + Send + Sync>) {
        let _ = wake;
    }

    /// For a shared store: how many messages the cluster holds that this server has not
    /// received yet (asks the cluster; `/healthz` reports it as the server's lag). `None` for
    /// a store of its own, which is never behind.
    fn messages_behind(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    /// The last event's position, hash and time, as the log has it.
    fn head(&self) -> Result<Head, StoreError> {
        let position = self.last_position()?;
        if position == 0 {
            return Ok(Head::EMPTY);
        }
        let event = self.get(position)?.ok_or(StoreError::Corrupt {
            position,
            reason: "the last event of the log cannot be read".to_owned(),
        })?;
        Ok(Head::of(&event))
    }
}
