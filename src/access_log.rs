//! The access log of person-level reads (CONTRACT §9, docs/SECURITY.md): who read a list of
//! placements, when, and with which query. It is not the ledger: nothing in it is hashed or
//! exported, and it is bounded in size.
//!
//! Two files of JSON lines in the data dir: `access-log.ndjson` (the newest entries) and
//! `access-log.1.ndjson` (the ones before). When the newest file would grow past half of
//! `access_log_bytes_max` it replaces the older one and a new one is started, so the two never
//! hold more than the bound and the oldest entries are the ones dropped. Each entry is synced
//! to disk before the list is answered: a read that cannot be logged is not answered.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Role};

const NEWEST: &str = "access-log.ndjson";
const OLDER: &str = "access-log.1.ndjson";

/// One person-level read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessEntry {
    /// 1, 2, 3, ... in the order of the reads; never reused, also across the two files.
    pub sequence: u64,
    /// When it was read, UTC.
    #[schema(format = DateTime)]
    pub at: String,
    /// The name of the token that read it.
    pub actor: String,
    #[schema(value_type = String, example = "staff")]
    pub role: Role,
    /// The path that was read, e.g. `/api/v1/placements`.
    pub path: String,
    /// The query as it was sent, e.g. `year=2023&q=sla`; empty without one.
    pub query: String,
    /// How many entities matched the query.
    pub total: u64,
}

struct Newest {
    file: File,
    bytes: u64,
    next_sequence: u64,
}

pub struct AccessLog {
    dir: PathBuf,
    bytes_max: u64,
    newest: Mutex<Newest>,
}

impl AccessLog {
    /// Opens (or starts) the access log in `dir`, keeping at most `bytes_max` bytes of it.
    pub fn open(dir: &Path, bytes_max: u64) -> io::Result<Self> {
        let entries = read_entries(dir)?;
        let next_sequence = entries.last().map_or(1, |entry| entry.sequence + 1);
        let path = dir.join(NEWEST);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let bytes = file.metadata()?.len();
        Ok(AccessLog {
            dir: dir.to_owned(),
            bytes_max,
            newest: Mutex::new(Newest {
                file,
                bytes,
                next_sequence,
            }),
        })
    }

    /// Writes one entry and syncs it; returns it with its sequence number.
    pub fn record(
        &self,
        caller: &Caller,
        path: &str,
        query: &str,
        total: u64,
    ) -> io::Result<AccessEntry> {
        let mut newest = self.newest.lock().expect("access log lock");
        let entry = AccessEntry {
            sequence: newest.next_sequence,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: caller.name.clone(),
            role: caller.role,
            path: path.to_owned(),
            query: query.to_owned(),
            total,
        };
        let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
        line.push(b'\n');
        let line_bytes = line.len() as u64;
        if newest.bytes > 0 && newest.bytes + line_bytes > self.bytes_max / 2 {
            self.rotate(&mut newest)?;
        }
        newest.file.write_all(&line)?;
        newest.file.sync_data()?;
        newest.bytes += line_bytes;
        newest.next_sequence += 1;
        Ok(entry)
    }

    /// The newest file becomes the older one (dropping the older one's entries).
    fn rotate(&self, newest: &mut Newest) -> io::Result<()> {
        let path = self.dir.join(NEWEST);
        std::fs::rename(&path, self.dir.join(OLDER))?;
        newest.file = OpenOptions::new().create(true).append(true).open(&path)?;
        newest.bytes = 0;
        File::open(&self.dir)?.sync_all()
    }

    /// Up to `limit` entries with a sequence below `before` (all without it), newest first,
    /// and the `before` of the next page (None on the last).
    pub fn page(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> io::Result<(Vec<AccessEntry>, Option<u64>)> {
        // Held so that no rotation happens while the files are read.
        let _newest = self.newest.lock().expect("access log lock");
        let mut entries = read_entries(&self.dir)?;
        entries.retain(|entry| before.is_none_or(|before| entry.sequence < before));
        let more = entries.len() > limit;
        let page: Vec<AccessEntry> = entries.into_iter().rev().take(limit).collect();
        let next = page.last().map(|entry| entry.sequence).filter(|_| more);
        Ok((page, next))
    }
}

/// Every entry of both files, oldest first. A line that does not parse (the end of a line
/// cut by a crash) is skipped: the access log is a record of reads, not the ledger.
fn read_entries(dir: &Path) -> io::Result<Vec<AccessEntry>> {
    let mut entries = Vec::new();
    for name in [OLDER, NEWEST] {
        let file = match File::open(dir.join(name)) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for line in BufReader::new(file).lines() {
            if let Ok(entry) = serde_json::from_str::<AccessEntry>(&line?) {
                entries.push(entry);
            }
        }
    }
    Ok(entries)
}
