//! The event log on disk: one sled tree keyed by big-endian position, the only source of truth.
//!
//! Durability (CONTRACT §7): sled's `flush()` writes with `sync_file_range`, which survives a crash
//! of the process but not of the machine, so every flush is followed by `sync_data()` on sled's
//! `db` file. sled's own `conf` file and the directory are synced once, when the log is created.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use impact_events::codec;
use impact_events::StoredEvent;

use super::backend::{Events, Store};
use super::keys::{key_position, position_key};
use super::StoreError;

/// sled's page cache: enough for the hot tail of the log; the log itself is read sequentially,
/// and the derived state holds what reads need (64 MiB, then 16, until issue 6 measured each in the RSS).
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

pub struct Log {
    db: sled::Db,
    events: sled::Tree,
    /// sled's main file, fsynced after every flush.
    db_file: File,
    /// sled's directory of large updates, and the files in it already fsynced.
    blobs_dir: PathBuf,
    synced_blobs: Mutex<HashSet<OsString>>,
    /// The last position written: only this process writes (sled locks the dir), so the
    /// conditional append compares with this instead of asking sled on every group.
    last: AtomicU64,
}

impl Log {
    /// Opens (or creates) the log under `dir`; sled's files live in `dir/sled`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let sled_dir = dir.join("sled");
        let created = !sled_dir.join("conf").exists();
        std::fs::create_dir_all(&sled_dir).map_err(|error| StoreError::io(&sled_dir, error))?;
        // Every option is stated: sled's defaults flush every 500 ms and cache 1 GiB. Changing
        // any of these for an existing data dir is not allowed (see ops/decisions).
        let db = sled::Config::new()
            .path(&sled_dir)
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
                _ => StoreError::Open(sled_dir.clone(), error.to_string()),
            })?;
        let events = db.open_tree("events").map_err(StoreError::sled)?;
        if created {
            db.flush().map_err(StoreError::sled)?;
            for path in [
                sled_dir.join("conf"),
                sled_dir.join("db"),
                sled_dir.clone(),
                dir.to_owned(),
            ] {
                sync_path(&path)?;
            }
        }
        let db_path = sled_dir.join("db");
        let db_file = File::open(&db_path).map_err(|error| StoreError::io(&db_path, error))?;
        let last = last_key_position(&events)?;
        Ok(Log {
            db,
            events,
            db_file,
            blobs_dir: sled_dir.join("blobs"),
            synced_blobs: Mutex::new(HashSet::new()),
            last: AtomicU64::new(last),
        })
    }

    /// Writes the events of several requests, in order, and makes them durable with one sync
    /// (sled flush, then fdatasync of its file). `sizes` are the requests' event counts.
    ///
    /// A crash leaves all or none of each request: a request of several events is one sled
    /// batch. A request of one event is one `insert`, atomic by itself: a batch would add a
    /// manifest record that sled writes and syncs on its own, one more device round trip per
    /// commit (seen with strace; docs/PERFORMANCE.md, finding 2).
    ///
    /// Unconditional: `Store::append` checks the head first. Tests that simulate a record
    /// changed on disk call this directly.
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
        let mut rest = events;
        for &size in sizes {
            let (request, after) = rest.split_at(size);
            rest = after;
            if let [event] = request {
                let (key, bytes) = encode_at(event);
                self.events.insert(key, bytes).map_err(StoreError::sled)?;
            } else if !request.is_empty() {
                let mut batch = sled::Batch::default();
                for (key, bytes) in request.iter().map(encode_at) {
                    batch.insert(&key, bytes);
                }
                self.events.apply_batch(batch).map_err(StoreError::sled)?;
            }
        }
        self.sync_all()
    }

    /// Flushes sled and fsyncs its data file: the durability barrier.
    fn sync_all(&self) -> Result<(), StoreError> {
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

impl Store for Log {
    fn append(
        &self,
        expected: u64,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError> {
        let head = self.last.load(Ordering::Acquire);
        if head != expected {
            return Err(StoreError::HeadMoved { expected, head });
        }
        let Some(last) = events.last() else {
            return Ok(());
        };
        // Pair assertion: the commit continues the log without a gap.
        assert_eq!(
            events[0].position,
            expected + 1,
            "a commit starts after the head"
        );
        self.append_requests(events, sizes)?;
        self.last.store(last.position, Ordering::Release);
        Ok(())
    }

    fn get(&self, position: u64) -> Result<Option<StoredEvent>, StoreError> {
        match self
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
            Some(self.events.range(start..=end))
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
        Ok(self.last.load(Ordering::Acquire))
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.sync_all()
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

/// An event's key and record.
fn encode_at(event: &StoredEvent) -> ([u8; 8], Vec<u8>) {
    let bytes = codec::encode(event);
    // Pair assertion: what goes to disk must read back as the same event (a sealed one
    // without its values, which only its ciphertexts hold).
    debug_assert_eq!(codec::decode(&bytes).ok(), Some(event.as_stored()));
    (position_key(event.position), bytes)
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
