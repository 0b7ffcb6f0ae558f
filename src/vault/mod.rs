//! The vault: small named records every ledger server of one ledger must share (CONTRACT
//! §14): the token hashes, the checkpoint key, the web sessions; later the erasure keys.
//!
//! With the log in the data dir they are files there (`dir::DirVault`, as before: `tokens.json`,
//! `checkpoint-key.json`; sessions stay in memory). With the log in a NATS JetStream cluster
//! they are entries of key-value buckets replicated like the stream (`nats::NatsVault`), so
//! any server answers any request: a token made on one works on all, a web session started on
//! one is valid on all. Nothing above this trait knows which it has.

pub mod dir;
pub mod nats;

use crate::store::StoreError;

/// A record as read, with the revision a conditional write names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub value: Vec<u8>,
    /// Changes whenever the record is written; never 0.
    pub revision: u64,
}

/// Named records, each written whole.
///
/// Names are 1 to 200 characters of `a-z A-Z 0-9 - _ .` (what both engines accept).
pub trait Vault: Send + Sync {
    /// The record, or `None` when there is none (never written, or purged).
    fn read(&self, name: &str) -> Result<Option<Versioned>, StoreError>;

    /// The record's revision without its value (cheap: a file's modification time, an
    /// entry's sequence); `None` when there is none.
    fn revision(&self, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.read(name)?.map(|record| record.revision))
    }

    /// Writes the record if it is still at `expected` (`None`: only if there is none yet).
    /// Returns false, writing nothing, when another writer came first: read again, decide
    /// again. The record is durable when this returns.
    fn write(&self, name: &str, value: &[u8], expected: Option<u64>) -> Result<bool, StoreError>;

    /// Removes the record and every earlier value of it, on every copy (an erased key must
    /// leave no history behind).
    fn purge(&self, name: &str) -> Result<(), StoreError>;

    /// Whether other ledger servers read and write the same records (then web sessions are
    /// kept here too).
    fn is_shared(&self) -> bool;
}

/// Refuses a name neither engine takes.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let valid = (1..=200).contains(&name.len())
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character))
        && !name.starts_with('.')
        && !name.ends_with('.');
    if valid {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "{name:?} is not a vault record name"
        )))
    }
}
