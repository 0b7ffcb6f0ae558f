//! The hash chain: each event names the hash of the one before it (CONTRACT §3.3).

use std::collections::HashMap;

use crate::catalogue::StreamId;
use crate::stored::{Hash, StoredEvent};
use crate::time::RecordedAt;

/// Why the chain breaks at an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("expected position {expected}, found {found}: an event is missing or out of order")]
    Position { expected: u64, found: u64 },
    #[error("prev_hash does not match the hash of the event before it")]
    PrevHash,
    #[error("hash does not match the event's content: it was changed after it was stored")]
    Hash,
    #[error("{0}")]
    Commitment(String),
    #[error("recorded_at is earlier than the event before it")]
    RecordedAt,
    #[error("stream {stream} jumps to version {found}, expected {expected}")]
    Version {
        stream: StreamId,
        expected: u64,
        found: u64,
    },
}

/// Checks stored events one at a time, in order, in constant memory per stream.
#[derive(Debug)]
pub struct Verifier {
    next_position: u64,
    head_hash: Hash,
    last_recorded_at: RecordedAt,
    versions: HashMap<StreamId, u64>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            next_position: 1,
            head_hash: Hash::GENESIS,
            last_recorded_at: RecordedAt(i64::MIN),
            versions: HashMap::new(),
        }
    }
}

impl Verifier {
    /// Takes the next event checking only how it links to the one before: its position, its
    /// `prev_hash` and its `recorded_at`. It does not recompute the hash or follow stream
    /// versions, so it is cheap; a verifier fed this way must only ever be fed this way.
    ///
    /// Catches a removed, reordered or cut-off event; a record changed in place is caught by
    /// `check` (the service runs it in the background after a start).
    pub fn check_link(&mut self, event: &StoredEvent) -> Result<(), ChainError> {
        if event.position != self.next_position {
            return Err(ChainError::Position {
                expected: self.next_position,
                found: event.position,
            });
        }
        if event.prev_hash != self.head_hash {
            return Err(ChainError::PrevHash);
        }
        if event.recorded_at < self.last_recorded_at {
            return Err(ChainError::RecordedAt);
        }
        self.next_position += 1;
        self.head_hash = event.hash;
        self.last_recorded_at = event.recorded_at;
        Ok(())
    }

    /// Takes the next event; on error the verifier is left as it was before it.
    pub fn check(&mut self, event: &StoredEvent) -> Result<(), ChainError> {
        if event.position != self.next_position {
            return Err(ChainError::Position {
                expected: self.next_position,
                found: event.position,
            });
        }
        if event.prev_hash != self.head_hash {
            return Err(ChainError::PrevHash);
        }
        if event.compute_hash() != event.hash {
            return Err(ChainError::Hash);
        }
        if let Err(member) = crate::sealing::check_commitments(event) {
            return Err(ChainError::Commitment(member));
        }
        if event.recorded_at < self.last_recorded_at {
            return Err(ChainError::RecordedAt);
        }
        let expected = self.versions.get(&event.stream).copied().unwrap_or(0) + 1;
        if event.version != expected {
            return Err(ChainError::Version {
                stream: event.stream,
                expected,
                found: event.version,
            });
        }
        self.versions.insert(event.stream, expected);
        self.next_position += 1;
        self.head_hash = event.hash;
        self.last_recorded_at = event.recorded_at;
        Ok(())
    }

    /// How many events passed so far.
    pub fn events(&self) -> u64 {
        self.next_position - 1
    }

    /// The hash of the last event that passed (64 zeros before the first).
    pub fn head_hash(&self) -> Hash {
        self.head_hash
    }
}
