//! The store: the log behind the `Store` trait, the state derived from it, and the single writer.
//!
//! The log is the only truth. On open every record is decoded and the whole chain verified;
//! the rules' state and the read model are rebuilt from it. Nothing derived is stored.

pub mod backend;
pub mod keys;
pub mod log;
pub mod member_keys;
pub mod nats;
pub mod sealed;
pub mod segment;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use impact_events::{
    Erasable, EventData, Hash, LedgerState, RecordedAt, StoredEvent, StreamId, Verifier,
};
use impact_projections::Projection;
use uuid::Uuid;

pub use backend::{Head, Store};

use crate::vault::dir::DirVault;
use crate::vault::nats::{Bucket, NatsVault};
use crate::vault::Vault;
pub use log::{sync_path, Log};
pub use member_keys::{FileKeys, KeyStore};
pub use sealed::SealedStore;

/// Where the log is kept (`--store`): in the data dir (sled, the default) or in a NATS
/// JetStream stream that several ledger servers share (CONTRACT §14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreLocation {
    #[default]
    DataDir,
    Nats(nats::NatsLocation),
}

impl StoreLocation {
    /// Reads `dir` or `nats://host:4222,host2:4222[/STREAM]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "dir" | "" => Ok(StoreLocation::DataDir),
            nats if nats.starts_with("nats://") => {
                nats::NatsLocation::parse(nats).map(StoreLocation::Nats)
            }
            other => Err(format!(
                "--store {other:?}: give `dir` (the log in the data dir) or \
                 nats://host:4222,host2:4222,... (a NATS JetStream cluster)"
            )),
        }
    }

    /// Opens the log: the data dir's own, or the stream (created when it does not exist).
    pub fn open(&self, dir: &Path) -> Result<Box<dyn Store>, StoreError> {
        match self {
            StoreLocation::DataDir => open_dir(dir),
            StoreLocation::Nats(location) => Ok(Box::new(nats::NatsStore::open(location)?)),
        }
    }

    /// The ledger's shared records (tokens, the checkpoint key): files in the data dir, or
    /// the cluster's key-value bucket, which every ledger server of the stream shares.
    pub fn vault(&self, dir: &Path) -> Result<Arc<dyn Vault>, StoreError> {
        match self {
            StoreLocation::DataDir => Ok(Arc::new(DirVault::new(dir))),
            StoreLocation::Nats(location) => Ok(Arc::new(NatsVault::open(location, Bucket::Keys)?)),
        }
    }

    /// Where web sessions are shared between ledger servers: nowhere for a data dir (they
    /// live in the one server's memory), the cluster's sessions bucket for a stream (an
    /// entry not written for `idle` is dropped).
    pub fn sessions_vault(
        &self,
        idle: std::time::Duration,
    ) -> Result<Option<Arc<dyn Vault>>, StoreError> {
        match self {
            StoreLocation::DataDir => Ok(None),
            StoreLocation::Nats(location) => Ok(Some(Arc::new(NatsVault::open(
                location,
                Bucket::Sessions { idle },
            )?))),
        }
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::DataDir => formatter.write_str("dir"),
            StoreLocation::Nats(location) => location.fmt(formatter),
        }
    }
}

impl serde::Serialize for StoreLocation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Opens (or creates) the log kept in a data dir.
pub fn open_dir(dir: &Path) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(Log::open(dir)?))
}

/// Where a data dir keeps its log: a directory moved into place whole by an import.
pub fn log_dir(dir: &Path) -> PathBuf {
    log::sled_dir(dir)
}

/// Whether a data dir holds a log (made by a serve, a demo or an import).
pub fn holds_log(dir: &Path) -> bool {
    log::sled_dir(dir).join("conf").exists()
}
pub use writer::{AppendError, AppendRequest, Appended, Receipt, Writer};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the log at {0}: {1}")]
    Open(PathBuf, String),
    #[error("the data dir {0} is in use by another process (a running `impact-ledger serve`?)")]
    InUse(PathBuf),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("sled: {0}")]
    Sled(String),
    #[error("the log is corrupt at position {position}: {reason}; it is left as it is, restore from a verified export (ops/README.md)")]
    Corrupt { position: u64, reason: String },
    /// A conditional append found the log past the head it was validated against: another
    /// server appended first. Nothing was written; catch up and validate again.
    #[error("the log's head moved from {expected} to {head} before the append landed")]
    HeadMoved { expected: u64, head: u64 },
    /// The store cannot be reached or did not confirm in time; an append may be retried.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A commit the store cannot take in one piece.
    #[error("{0}")]
    TooLarge(String),
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
    /// The figures, kept current event by event; it also keeps each position's envelope,
    /// `recorded_at` (for `as_of`) and what the event contributed (`Projection::past`).
    pub projection: Projection,
}

impl ReadModel {
    /// An empty read model with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        ReadModel {
            projection: Projection::with_capacity(events),
        }
    }

    pub fn apply(&mut self, event: &StoredEvent) {
        self.projection.apply(event);
    }

    pub fn head_position(&self) -> u64 {
        self.projection.position()
    }

    /// The hash of the last durable event; 64 zeros before the first.
    pub fn head_hash(&self) -> Hash {
        self.projection
            .hash_at(self.head_position())
            .unwrap_or(Hash::GENESIS)
    }

    /// When the event at `position` was recorded.
    pub fn recorded_at(&self, position: u64) -> Option<RecordedAt> {
        self.projection.recorded_at(position)
    }

    /// The last position recorded at or before `instant` (0 if none).
    pub fn position_at(&self, instant: RecordedAt) -> u64 {
        self.projection.position_at(instant)
    }
}

/// The ledger shared by the writer and every reader.
pub struct Ledger {
    /// The log, behind the seam: nothing above `store/` knows which engine keeps it. Always
    /// a `SealedStore` over the engine: sealed members come out opened (ops/decisions/0005).
    log: Box<dyn Store>,
    /// The keys of sealed members and the pepper of person pseudonyms (CONTRACT §12).
    keys: Arc<dyn KeyStore>,
    /// The rules' state; the writer may have taken in events that are not durable yet.
    state: RwLock<LedgerState>,
    read: RwLock<ReadModel>,
    /// The last durable position: readers see nothing after it.
    durable: AtomicU64,
    /// Wakes live subscribers with the durable head, after the sync.
    pub head: tokio::sync::watch::Sender<u64>,
    /// Set when the verification after a start finds a record changed: appends stop.
    corrupt: AtomicBool,
    /// The Merkle tree over the log and the checkpoint key (CONTRACT §13).
    pub transparency: crate::transparency::Transparency,
}

/// Positions a reading thread reads and decodes at a time, handed on to the folding threads.
const REBUILD_CHUNK: u64 = 4096;
/// Threads reading and decoding chunks: sled's iteration and the decoding are most of a
/// start's CPU (docs/PERFORMANCE.md, finding 3), so two share them.
const REBUILD_READERS: u64 = 2;

/// Rebuilds the rules' state and the read model from the log, checking how every record links
/// to the one before (position, prev_hash, recorded_at); a break stops the start.
///
/// Two threads read and decode alternate chunks of the log; this one takes the chunks in
/// order, checks the links and hands each chunk to two folding threads, one for the rules'
/// state, one for the read model (the projection). Hashes are recomputed afterwards, in the
/// background.
/// The erasures recorded in the log: each erased event's id and members.
type Erasures = Vec<(Uuid, Vec<Erasable>)>;

/// Destroys the keys of every recorded erasure that are still present (an erasure whose key
/// outlived a crash between its append and its key's destruction).
fn settle_erasures(
    keys: &dyn KeyStore,
    state: &LedgerState,
    erasures: &Erasures,
) -> Result<(), StoreError> {
    let mut present = Vec::new();
    for (id, members) in erasures {
        let Some(entry) = state.event(id) else {
            continue;
        };
        for member in members {
            if keys.key(entry.position, *member)?.is_some() {
                present.push((entry.position, *member));
            }
        }
    }
    if present.is_empty() {
        return Ok(());
    }
    tracing::warn!(
        keys = present.len(),
        "destroying the keys of erasures recorded before a crash"
    );
    keys.destroy(&present)
}

/// The erasure an event records, if it is one.
fn erasure_of(event: &StoredEvent) -> Option<(Uuid, Vec<Erasable>)> {
    let EventData::MembersErased(erased) = &event.data else {
        return None;
    };
    let members = erased
        .members
        .iter()
        .filter_map(|path| Erasable::from_path(path))
        .collect();
    Some((erased.event_id, members))
}

fn rebuild(
    log: &dyn Store,
    last: u64,
) -> Result<(LedgerState, ReadModel, u64, Erasures), StoreError> {
    use std::sync::mpsc::sync_channel;
    std::thread::scope(|scope| {
        let (to_state, state_chunks) = sync_channel::<Arc<Vec<StoredEvent>>>(4);
        let (to_read, read_chunks) = sync_channel::<Arc<Vec<StoredEvent>>>(4);
        let capacity = usize::try_from(last).unwrap_or(0);
        let state = scope.spawn(move || {
            let mut state = LedgerState::with_capacity(capacity);
            for chunk in state_chunks {
                chunk.iter().for_each(|event| state.apply(event));
            }
            state
        });
        let read = scope.spawn(move || {
            let mut read = ReadModel::with_capacity(capacity);
            for chunk in read_chunks {
                chunk.iter().for_each(|event| read.apply(event));
            }
            read
        });
        let readers: Vec<_> = (0..REBUILD_READERS)
            .map(|first| {
                let (to_checker, chunks) = sync_channel(2);
                scope.spawn(move || {
                    let starts = (first * REBUILD_CHUNK..last)
                        .step_by((REBUILD_READERS * REBUILD_CHUNK) as usize);
                    for after in starts {
                        let until = (after + REBUILD_CHUNK).min(last);
                        let chunk = read_chunk(log, after, until);
                        let failed = chunk.is_err();
                        // The checker stops listening after the first broken chunk.
                        if to_checker.send(chunk).is_err() || failed {
                            break;
                        }
                    }
                });
                chunks
            })
            .collect();
        let mut verifier = Verifier::default();
        let mut erasures = Erasures::new();
        let mut outcome = Ok(());
        let chunk_count = last.div_ceil(REBUILD_CHUNK);
        for (number, chunks) in (0..chunk_count).zip(readers.iter().cycle()) {
            let chunk = chunks.recv().unwrap_or_else(|_| {
                Err(StoreError::Corrupt {
                    position: number * REBUILD_CHUNK + 1,
                    reason: "a reading thread stopped".to_owned(),
                })
            });
            let checked = chunk.and_then(|chunk| {
                for event in &chunk {
                    verifier
                        .check_link(event)
                        .map_err(|error| StoreError::Corrupt {
                            position: event.position,
                            reason: error.to_string(),
                        })?;
                    erasures.extend(erasure_of(event));
                }
                Ok(chunk)
            });
            match checked {
                Ok(chunk) => {
                    let chunk = Arc::new(chunk);
                    // A folding thread only stops by panicking; the join below reports it.
                    let _ = to_state.send(Arc::clone(&chunk));
                    let _ = to_read.send(chunk);
                }
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
        drop((to_state, to_read, readers));
        let state = state
            .join()
            .expect("folding the rules' state does not panic");
        let read = read.join().expect("folding the read model does not panic");
        outcome?;
        let durable = verifier.events();
        if durable != last {
            let reason = format!("the log ends at {last} but only {durable} events chain");
            return Err(StoreError::Corrupt {
                position: durable + 1,
                reason,
            });
        }
        Ok((state, read, durable, erasures))
    })
}

/// The events after `after` up to `until`, in a vector sized for them: sled's iterator has no
/// size hint, and growing the vector moved every event about twice (memmove was 4% of a start).
fn read_chunk(log: &dyn Store, after: u64, until: u64) -> Result<Vec<StoredEvent>, StoreError> {
    let mut chunk = Vec::with_capacity(usize::try_from(until - after).unwrap_or(0));
    for event in log.range(after, until) {
        chunk.push(event?);
    }
    Ok(chunk)
}

impl Ledger {
    /// Opens the data dir's own log and rebuilds everything derived, verifying the whole chain.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(open_dir(dir)?, dir)
    }

    /// Rebuilds everything derived from `log`, verifying the whole chain; `dir` holds the
    /// files that stay local (the checkpoint key).
    pub fn open_with(log: Box<dyn Store>, dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_vault(log, dir, &DirVault::new(dir))
    }

    /// `open_with`, the checkpoint key kept in `vault` (with a cluster, its bucket).
    pub fn open_with_vault(
        log: Box<dyn Store>,
        dir: &Path,
        vault: &dyn Vault,
    ) -> Result<Self, StoreError> {
        // The keys of sealed members stay in the data dir, even with a cluster: a KV bucket
        // for them (history 1, so a deleted key is gone) is not built yet (ops/decisions/0005).
        let keys: Arc<dyn KeyStore> = Arc::new(FileKeys::open(dir)?);
        let log: Box<dyn Store> = Box::new(SealedStore::new(log, Arc::clone(&keys)));
        let last = log.last_position()?;
        let (state, read, durable, erasures) = rebuild(log.as_ref(), last)?;
        // Keys of an append a crash cut short, and keys of erasures recorded just before a
        // crash: the erasure is durable first, so its keys are destroyed now (0005).
        keys.cut_after(durable)?;
        settle_erasures(keys.as_ref(), &state, &erasures)?;
        crate::metrics::METRICS.head_position.set(durable as i64);
        Ok(Ledger {
            log,
            keys,
            state: RwLock::new(state),
            read: RwLock::new(read),
            durable: AtomicU64::new(durable),
            head: tokio::sync::watch::channel(durable).0,
            corrupt: AtomicBool::new(false),
            transparency: crate::transparency::Transparency::open(dir, vault)?,
        })
    }

    /// Recomputes every hash of the log up to the head at the call, on a thread of its own.
    ///
    /// A start checks only how the records link (see `rebuild`); this finishes the check
    /// without delaying the start. Should a record prove changed, appends stop, /healthz
    /// answers 503 and the position is logged: nothing is built on a log that is not intact.
    pub fn verify_in_background(self: &Arc<Self>) {
        let ledger = Arc::clone(self);
        let until = ledger.durable_position();
        let spawned = std::thread::Builder::new()
            .name("verify-on-start".to_owned())
            .spawn(move || {
                if let Err(error) = ledger.build_and_check_tree() {
                    tracing::error!(%error, "the Merkle tree does not match the last checkpoint: appends stop");
                    ledger.corrupt.store(true, Ordering::Release);
                }
                ledger.verify_after_start(until)
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the background verification");
        }
    }

    /// Recomputes every hash up to `until`; stops appends when one is wrong.
    fn verify_after_start(&self, until: u64) {
        match crate::audit::verify_log(self.log.as_ref(), until) {
            Ok(summary) if summary.ok() => {
                tracing::info!(
                    events = summary.events,
                    "the whole chain verified after the start"
                );
            }
            Ok(summary) => {
                let broken = summary
                    .broken
                    .map(|broken| broken.to_string())
                    .unwrap_or_default();
                tracing::error!(%broken, "the log is corrupt: appends stop; see ops/README.md");
                self.corrupt.store(true, Ordering::Release);
            }
            Err(error) => {
                tracing::error!(%error, "the log could not be read to verify it: appends stop");
                self.corrupt.store(true, Ordering::Release);
            }
        }
    }

    /// Whether the background verification found the log changed or unreadable.
    pub fn is_corrupt(&self) -> bool {
        self.corrupt.load(Ordering::Acquire)
    }

    pub fn durable_position(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// The log, behind the seam, for what reads it directly: export, verify, subscribe, and
    /// events by position. Only the writer appends.
    pub fn store(&self) -> &dyn Store {
        self.log.as_ref()
    }

    /// The keys of sealed members and the pepper of person pseudonyms: for the erasure, which
    /// destroys keys once its record is durable (ops/decisions/0005).
    pub fn keys(&self) -> &dyn KeyStore {
        self.keys.as_ref()
    }

    /// `answer` asked of the read model (the projection, the head), under its read lock. The
    /// lock is held only for the call, never across an `.await` or a log read: keep `answer`
    /// short, and copy out what is needed.
    pub fn with_read<T>(&self, answer: impl FnOnce(&ReadModel) -> T) -> T {
        answer(&self.read.read().expect("read model lock"))
    }

    /// `answer` asked of the rules' state under its read lock (which the writer waits for:
    /// keep it short). The state may hold events the writer admitted that are not durable yet.
    pub fn with_state<T>(&self, answer: impl FnOnce(&LedgerState) -> T) -> T {
        answer(&self.state.read().expect("state lock"))
    }

    /// Takes the rules' state and the read model out, leaving empty ones: for
    /// `examples/rss_parts.rs`, which measures the memory each holds. The ledger answers
    /// nothing correctly afterwards.
    #[doc(hidden)]
    pub fn take_parts_for_measurement(&self) -> (LedgerState, ReadModel) {
        let state = std::mem::take(&mut *self.state.write().expect("state lock"));
        let read = std::mem::take(&mut *self.read.write().expect("read model lock"));
        (state, read)
    }

    /// The last durable event: position, hash and time (the writer's tip at its start).
    pub fn head(&self) -> Head {
        let read = self.read.read().expect("read model lock");
        let position = read.head_position();
        Head {
            position,
            hash: read.head_hash(),
            recorded_at: read.recorded_at(position),
        }
    }

    /// Rebuilds the rules' state from the durable log, dropping events the writer admitted
    /// but the store refused (a shared store's lost race): the state has no undo.
    fn reset_state(&self) -> Result<(), StoreError> {
        let durable = self.durable_position();
        let mut state = LedgerState::with_capacity(usize::try_from(durable).unwrap_or(0));
        for event in self.log.range(0, durable) {
            state.apply(&event?);
        }
        *self.state.write().expect("state lock") = state;
        Ok(())
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

    /// The durable retraction of the event `id`, if it was retracted (CONTRACT §8: wherever a
    /// retracted event is read, it says by which event, when and why).
    pub fn retraction_of(&self, id: &Uuid) -> Result<Option<StoredEvent>, StoreError> {
        let state = self.state.read().expect("state lock");
        let by = state.event(id).and_then(|entry| entry.retracted_by);
        drop(state);
        match by {
            Some(position) if position <= self.durable_position() => self.log.get(position),
            _ => Ok(None),
        }
    }

    /// Every problem the rules find in `events` (each with its place in the request), against
    /// the stored state: for a request that will be refused anyway because some of its events
    /// did not parse, so that one answer names everything to fix. Stores nothing.
    pub fn problems_of(
        &self,
        events: &[(usize, impact_events::NewEvent)],
        today: chrono::NaiveDate,
    ) -> Vec<impact_events::Problem> {
        let state = self.state.read().expect("state lock");
        let events = events.iter().map(|(index, event)| (*index, event));
        impact_events::rules::problems_of(&state, events, today)
    }

    /// The durable events of a stream, in version order.
    pub fn stream(&self, stream: &StreamId) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.stream_page(stream, 0, usize::MAX)?.0)
    }

    /// Up to `limit` durable events of a stream after version `after`, in version order, and
    /// how many durable events the stream holds in all. Reads only the events it returns.
    pub fn stream_page(
        &self,
        stream: &StreamId,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError> {
        let durable = self.durable_position();
        let positions: Vec<u64> = {
            let state = self.state.read().expect("state lock");
            let mut positions = state.stream_positions(stream);
            positions.retain(|position| *position <= durable);
            positions
        };
        let version = positions.len() as u64;
        let events = positions
            .into_iter()
            .skip(usize::try_from(after).unwrap_or(usize::MAX))
            .take(limit)
            .map(|position| {
                self.log.get(position)?.ok_or(StoreError::Corrupt {
                    position,
                    reason: "an indexed event is missing from the log".to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((events, version))
    }

    /// The projection of the first `position` durable events, for "as of" questions (the
    /// current figures are `read.projection`).
    ///
    /// Folded from the facts the read model keeps per position, not from the log; the read
    /// lock is held only to share those (docs/PERFORMANCE.md, finding 4). Takes about 0.1 µs
    /// per event: call it from a blocking context.
    pub fn projection_at(&self, position: u64) -> Projection {
        let past = self
            .read
            .read()
            .expect("read model lock")
            .projection
            .past(position);
        past.fold()
    }

    /// As `projection_at`, for a projection that also answers the lists (CONTRACT §9).
    pub fn projection_with_lists_at(&self, position: u64) -> Projection {
        let past = self
            .read
            .read()
            .expect("read model lock")
            .projection
            .past_with_lists(position);
        past.fold()
    }

    /// Up to `limit` durable events after position `after`.
    pub fn page(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.log
            .range(after, self.durable_position())
            .take(limit)
            .collect()
    }
}
