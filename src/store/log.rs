//! The event log on disk: one sled tree keyed by big-endian position, the only source of truth,
//! with write-ahead segments in front of it as the point where an append becomes durable.
//!
//! Durability (CONTRACT §7, ops/decisions/0006): an append writes its group's frame to the
//! active write-ahead file (`segment.rs`) and sled's tree, then `fdatasync`s that file once: one
//! device round trip, and only then is it acknowledged. sled is flushed and its `db` file
//! fsynced behind it by a thread of its own (the checkpointer), batched, before a write-ahead
//! file is written over. A start replays the frames sled may have lost. sled's own `conf` file
//! and the directory are synced once, when the log is created.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use impact_events::codec;
use impact_events::{Hash, StoredEvent};

use super::backend::{Events, Store};
use super::keys::{key_position, position_key};
use super::segment::{Frame, Segments};
use super::StoreError;

/// sled's page cache: enough for the hot tail of the log; the log itself is read sequentially,
/// and the derived state holds what reads need (64 MiB, then 16, until issue 6 measured each in the RSS).
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

pub struct Log {
    sled: Arc<Sled>,
    /// The write-ahead files; locked by the writer for each append (one writer: no contention).
    segments: Mutex<Segments>,
    checkpoints: Arc<Checkpoints>,
    checkpointer: Option<std::thread::JoinHandle<()>>,
}

/// sled and its files, shared with the checkpointer.
struct Sled {
    db: sled::Db,
    events: sled::Tree,
    /// sled's main file, fsynced after every flush.
    db_file: File,
    /// sled's directory of large updates, and the files in it already fsynced.
    blobs_dir: PathBuf,
    synced_blobs: Mutex<HashSet<OsString>>,
    /// One flush at a time (the checkpointer's and a clean stop's).
    sync_lock: Mutex<()>,
    /// The last position written: only this process writes (sled locks the dir), so the
    /// conditional append compares with this instead of asking sled on every group.
    last: AtomicU64,
}

/// What the checkpointer is asked for and has done.
#[derive(Default)]
struct Checkpoints {
    state: Mutex<CheckpointState>,
    wake: Condvar,
}

#[derive(Default)]
struct CheckpointState {
    /// sled must be synced at least up to here: a write-ahead file holds events up to it.
    wanted: u64,
    /// sled was flushed and fsynced with every event up to here.
    synced: u64,
    /// A flush or fsync failed: every later append fails (the writer stops).
    failure: Option<String>,
    stop: bool,
}

impl Log {
    /// Opens (or creates) the log under `dir`; sled's files live in `dir/sled`, and so do the
    /// write-ahead files. Replays into sled what only they hold.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let sled_dir = dir.join("sled");
        let (db, events) = open_sled(dir, &sled_dir)?;
        let db_path = sled_dir.join("db");
        let db_file = File::open(&db_path).map_err(|error| StoreError::io(&db_path, error))?;
        let sled = Arc::new(Sled {
            db,
            events,
            db_file,
            blobs_dir: sled_dir.join("blobs"),
            synced_blobs: Mutex::new(HashSet::new()),
            sync_lock: Mutex::new(()),
            last: AtomicU64::new(0),
        });
        let mut segments = Segments::open(&sled_dir)?;
        let mut last = last_key_position(&sled.events)?;
        let frames = segments.recover(last, &|position| sled.hash_at(position))?;
        for frame in &frames {
            last = sled.replay(last, frame)?;
        }
        if !frames.is_empty() {
            sled.sync_all()?;
            tracing::info!(
                frames = frames.len(),
                last,
                "replayed the write-ahead file into the log"
            );
        }
        segments.set_tip(last, sled.hash_at(last)?.unwrap_or(Hash::GENESIS));
        sled.last.store(last, Ordering::Release);
        let checkpoints = Arc::new(Checkpoints::default());
        checkpoints.state.lock().expect("checkpoint lock").synced = last;
        let checkpointer = {
            let (sled, checkpoints) = (Arc::clone(&sled), Arc::clone(&checkpoints));
            std::thread::Builder::new()
                .name("ledger-checkpoint".to_owned())
                .spawn(move || checkpoints.run(&sled))
                .map_err(|error| StoreError::io(&sled_dir, error))?
        };
        Ok(Log {
            sled,
            segments: Mutex::new(segments),
            checkpoints,
            checkpointer: Some(checkpointer),
        })
    }

    /// Writes the events of several requests, in order, and makes them durable with one
    /// `fdatasync` of the write-ahead file. `sizes` are the requests' event counts.
    ///
    /// A crash leaves all or none of each request: the group's frame is checksummed whole, and
    /// a request of several events is one sled batch (one of one event is one `insert`).
    ///
    /// Unconditional: `Store::append` checks the head first. Tests that simulate a record
    /// changed on disk call this directly with a position already written: that is written to
    /// sled and synced the way the log was before the write-ahead files.
    pub fn append_requests(
        &self,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError> {
        assert_eq!(
            sizes.iter().sum::<usize>(),
            events.len(),
            "the sizes cover every event"
        );
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        let records: Vec<Vec<u8>> = events.iter().map(encode).collect();
        let sizes: Vec<usize> = sizes.iter().copied().filter(|size| *size > 0).collect();
        let mut segments = self.segments.lock().expect("segments lock");
        if first.position != self.sled.last.load(Ordering::Acquire) + 1 {
            drop(segments);
            self.sled.insert(first.position, &records, &sizes)?;
            return self.sled.sync_all();
        }
        let frame = Frame {
            first: first.position,
            prev_hash: first.prev_hash,
            last_hash: last.hash,
            sizes,
            records,
        };
        let switched = segments.write(&frame, self.checkpoints.synced()?)?;
        self.sled
            .insert(frame.first, &frame.records, &frame.sizes)?;
        segments.sync()?;
        self.sled.last.store(last.position, Ordering::Release);
        drop(segments);
        if let Some(base) = switched {
            self.checkpoints.want(base);
        }
        Ok(())
    }

    /// Flushes sled and fsyncs it up to the last append, then starts an empty write-ahead
    /// epoch: a clean stop, after which a start replays nothing.
    fn sync_everything(&self) -> Result<(), StoreError> {
        let mut segments = self.segments.lock().expect("segments lock");
        let through = self.sled.last.load(Ordering::Acquire);
        self.sled.sync_all()?;
        self.checkpoints.synced_through(through);
        segments.reset()
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.checkpoints.stop();
        if let Some(checkpointer) = self.checkpointer.take() {
            let _ = checkpointer.join();
        }
    }
}

/// Opens sled with every option stated; a new log's files and directories are synced once.
fn open_sled(dir: &Path, sled_dir: &Path) -> Result<(sled::Db, sled::Tree), StoreError> {
    let created = !sled_dir.join("conf").exists();
    std::fs::create_dir_all(sled_dir).map_err(|error| StoreError::io(sled_dir, error))?;
    // Every option is stated: sled's defaults flush every 500 ms and cache 1 GiB. Changing
    // any of these for an existing data dir is not allowed (see ops/decisions).
    let db = sled::Config::new()
        .path(sled_dir)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(None)
        .mode(sled::Mode::HighThroughput)
        .use_compression(false)
        .open()
        .map_err(|error| match &error {
            // sled's lock on its `db` file: another process has the data dir open. sled
            // says so only in the message (kind Other, sled 0.34.7 config.rs).
            sled::Error::Io(io) if io.to_string().starts_with("could not acquire lock") => {
                StoreError::InUse(dir.to_owned())
            }
            _ => StoreError::Open(sled_dir.to_owned(), error.to_string()),
        })?;
    let events = db.open_tree("events").map_err(StoreError::sled)?;
    if created {
        db.flush().map_err(StoreError::sled)?;
        for path in [
            sled_dir.join("conf"),
            sled_dir.join("db"),
            sled_dir.to_owned(),
            dir.to_owned(),
        ] {
            sync_path(&path)?;
        }
    }
    Ok((db, events))
}

impl Sled {
    /// Inserts encoded records from position `first` on: one `insert` per request of one
    /// event, one batch per larger request (all or none after a crash).
    fn insert(&self, first: u64, records: &[Vec<u8>], sizes: &[usize]) -> Result<(), StoreError> {
        let mut position = first;
        let mut rest = records;
        for &size in sizes {
            let (request, after) = rest.split_at(size);
            rest = after;
            if let [record] = request {
                let key = position_key(position);
                self.events
                    .insert(key, &record[..])
                    .map_err(StoreError::sled)?;
            } else {
                let mut batch = sled::Batch::default();
                for (offset, record) in request.iter().enumerate() {
                    batch.insert(&position_key(position + offset as u64), &record[..]);
                }
                self.events.apply_batch(batch).map_err(StoreError::sled)?;
            }
            position += size as u64;
        }
        Ok(())
    }

    /// Writes the part of a replayed frame after `last` into sled, checking every record
    /// decodes as the event at its position and links to the one before; returns the new last.
    fn replay(&self, last: u64, frame: &Frame) -> Result<u64, StoreError> {
        let mut prev_hash = frame.prev_hash;
        let mut sizes = Vec::new();
        let mut position = frame.first;
        for &size in &frame.sizes {
            let kept = (position..position + size as u64)
                .filter(|p| *p > last)
                .count();
            if kept > 0 {
                sizes.push(kept);
            }
            position += size as u64;
        }
        for (index, record) in frame.records.iter().enumerate() {
            let position = frame.first + index as u64;
            let event = decode_at(position, record)?;
            if event.prev_hash != prev_hash {
                let reason = "a write-ahead record does not link to the one before".to_owned();
                return Err(StoreError::Corrupt { position, reason });
            }
            prev_hash = event.hash;
        }
        let skipped = usize::try_from(last.saturating_sub(frame.first - 1)).unwrap_or(usize::MAX);
        let first = frame.first.max(last + 1);
        self.insert(
            first,
            &frame.records[skipped.min(frame.records.len())..],
            &sizes,
        )?;
        Ok(frame.last().max(last))
    }

    /// The hash of the event at `position`, `None` past the end.
    fn hash_at(&self, position: u64) -> Result<Option<Hash>, StoreError> {
        if position == 0 {
            return Ok(Some(Hash::GENESIS));
        }
        match self
            .events
            .get(position_key(position))
            .map_err(StoreError::sled)?
        {
            Some(bytes) => Ok(Some(decode_at(position, &bytes)?.hash)),
            None => Ok(None),
        }
    }

    /// Flushes sled and fsyncs its data file and any new blob file.
    fn sync_all(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.sync_lock.lock().expect("sync lock");
        self.db.flush().map_err(StoreError::sled)?;
        self.db_file
            .sync_data()
            .map_err(|error| StoreError::io(Path::new("sled/db"), error))?;
        self.sync_blobs()
    }
    /// fsyncs sled's blob files that are new since the last sync, and their directory.
    ///
    /// sled writes an update larger than a quarter segment to a file of its own in `blobs/`
    /// and never fsyncs it (found in review with strace). The rules keep events far smaller,
    /// so `blobs/` stays empty in practice; this makes durability not depend on that.
    fn sync_blobs(&self) -> Result<(), StoreError> {
        let entries = match std::fs::read_dir(&self.blobs_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(StoreError::io(&self.blobs_dir, error)),
        };
        let mut synced = self.synced_blobs.lock().expect("synced blobs lock");
        let mut present = HashSet::new();
        let mut new_files = false;
        for entry in entries {
            let entry = entry.map_err(|error| StoreError::io(&self.blobs_dir, error))?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                sync_path(&entry.path())?;
                new_files = true;
            }
            present.insert(name);
        }
        if new_files {
            sync_path(&self.blobs_dir)?;
        }
        *synced = present;
        Ok(())
    }
}

impl Checkpoints {
    /// The checkpointer's loop: syncs sled whenever asked for more than it has synced.
    fn run(&self, sled: &Sled) {
        loop {
            let mut state = self.state.lock().expect("checkpoint lock");
            while !state.stop && state.wanted <= state.synced {
                state = self.wake.wait(state).expect("checkpoint lock");
            }
            if state.stop {
                return;
            }
            drop(state);
            // Everything inserted before the flush starts is in it.
            let through = sled.last.load(Ordering::Acquire);
            let synced = sled.sync_all();
            let mut state = self.state.lock().expect("checkpoint lock");
            match synced {
                Ok(()) => state.synced = state.synced.max(through),
                Err(error) => {
                    tracing::error!(%error, "syncing sled behind the write-ahead file failed");
                    state.failure = Some(error.to_string());
                    return;
                }
            }
        }
    }

    /// Asks for sled to be synced up to `position`.
    fn want(&self, position: u64) {
        let mut state = self.state.lock().expect("checkpoint lock");
        state.wanted = state.wanted.max(position);
        self.wake.notify_one();
    }

    /// How far sled is synced, or the checkpointer's failure.
    fn synced(&self) -> Result<u64, StoreError> {
        let state = self.state.lock().expect("checkpoint lock");
        match &state.failure {
            Some(failure) => Err(StoreError::Sled(failure.clone())),
            None => Ok(state.synced),
        }
    }

    fn synced_through(&self, position: u64) {
        let mut state = self.state.lock().expect("checkpoint lock");
        state.synced = state.synced.max(position);
    }

    fn stop(&self) {
        self.state.lock().expect("checkpoint lock").stop = true;
        self.wake.notify_one();
    }
}

impl Store for Log {
    fn append(
        &self,
        expected: u64,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError> {
        let head = self.sled.last.load(Ordering::Acquire);
        if head != expected {
            return Err(StoreError::HeadMoved { expected, head });
        }
        let Some(first) = events.first() else {
            return Ok(());
        };
        // Pair assertion: the commit continues the log without a gap.
        assert_eq!(
            first.position,
            expected + 1,
            "a commit starts after the head"
        );
        self.append_requests(events, sizes)
    }

    fn get(&self, position: u64) -> Result<Option<StoredEvent>, StoreError> {
        match self
            .sled
            .events
            .get(position_key(position))
            .map_err(StoreError::sled)?
        {
            Some(bytes) => decode_at(position, &bytes).map(Some),
            None => Ok(None),
        }
    }

    fn range(&self, after: u64, until: u64) -> Events<'_> {
        let start = position_key(after.saturating_add(1));
        let end = position_key(until);
        let iter = if after >= until {
            None
        } else {
            Some(self.sled.events.range(start..=end))
        };
        Box::new(iter.into_iter().flatten().map(|entry| {
            let (key, bytes) = entry.map_err(StoreError::sled)?;
            let position = key_position(&key).ok_or(StoreError::Corrupt {
                position: 0,
                reason: format!("a key of {} bytes in the events tree", key.len()),
            })?;
            decode_at(position, &bytes)
        }))
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        Ok(self.sled.last.load(Ordering::Acquire))
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.sync_everything()
    }
}

/// The position of the last key of the events tree, 0 when it is empty.
fn last_key_position(events: &sled::Tree) -> Result<u64, StoreError> {
    match events.last().map_err(StoreError::sled)? {
        None => Ok(0),
        // A malformed last key must stop the start, not make the log look empty.
        Some((key, _)) => key_position(&key).ok_or(StoreError::Corrupt {
            position: 0,
            reason: format!(
                "the last key of the events tree has {} bytes, not 8",
                key.len()
            ),
        }),
    }
}

/// An event's record.
fn encode(event: &StoredEvent) -> Vec<u8> {
    let bytes = codec::encode(event);
    // Pair assertion: what goes to disk must read back as the same event (a sealed one
    // without its values, which only its ciphertexts hold).
    debug_assert_eq!(codec::decode(&bytes).ok(), Some(event.as_stored()));
    bytes
}

fn decode_at(position: u64, bytes: &[u8]) -> Result<StoredEvent, StoreError> {
    let event = codec::decode(bytes).map_err(|error| StoreError::Corrupt {
        position,
        reason: error.to_string(),
    })?;
    // Pair assertion: the record must say it is the event at the key it is stored under.
    if event.position != position {
        let reason = format!("the record at this key says position {}", event.position);
        return Err(StoreError::Corrupt { position, reason });
    }
    Ok(event)
}

/// fsyncs a file or a directory.
pub fn sync_path(path: &Path) -> Result<(), StoreError> {
    let file = File::open(path).map_err(|error| StoreError::io(path, error))?;
    file.sync_all().map_err(|error| StoreError::io(path, error))
}

/// The path of sled's files inside a data dir.
pub fn sled_dir(dir: &Path) -> PathBuf {
    dir.join("sled")
}
