//! The impact-ledger event catalogue: typed events, the rules they must obey, their canonical
//! JSON, the hash chain and the storage codec.
//!
//! Architecture Invariant: this crate does no IO and reads no clock and no randomness. The
//! caller passes in "today", `recorded_at` and fresh ids.
#![deny(clippy::float_arithmetic)]

mod canonical_json;
pub mod catalogue;
pub mod chain;
pub mod codec;
pub mod index;
pub mod input;
pub mod merkle;
pub mod records;
pub mod retry;
pub mod rules;
pub mod schema1;
pub mod sealing;
pub mod stored;
pub mod text;
pub mod time;
pub mod upcast;
pub mod violations;

pub use catalogue::*;
pub use chain::{ChainError, Verifier};
pub use index::PositionIndex;
pub use input::{parse_event_in, parse_event_in_parts, read_request, NewEvent, RequestError};
pub use records::Records;
pub use retry::{judge_retry, stored_positions, Retry};
pub use rules::{admit_request, LedgerState};
pub use sealing::{Erasable, Sealed, Sealing, Secrets};
pub use stored::{canonical, Hash, Placement, StoredEvent};
pub use time::RecordedAt;
pub use violations::{Language, Problem, Violation};
