//! The audit trail: recompute the hash chain, export the log as NDJSON, restore it from one.
//!
//! An export is one line per stored event, in position order: the event's canonical JSON
//! (`StoredEvent::canonical_json`, RFC 8785) followed by `\n`. The API (`GET /api/v1/export`)
//! and the command line (`impact-ledger export`) both write it with `export_batch`, so the two
//! are byte-identical. Every check reads one event at a time: memory stays constant however
//! long the log, apart from the verifier's version per stream.
//!
//! A line is good when it parses, reads back as a stored event, is byte for byte its own
//! canonical form (so a re-export is identical) and passes `Verifier::check`. Since positions
//! start at 1 and have no gaps, line N of a good export holds position N: the first bad line
//! and the first bad position are the same number.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use impact_events::{Hash, StoredEvent, Verifier};

use crate::store::{Store, StoreError};

/// Events read from the log per chunk of an export (API and CLI) and per import batch.
pub const EXPORT_BATCH_EVENTS: usize = 1024;

/// A line longer than this is not an event: the largest stored record is 4 MiB of bincode,
/// and a request body, which holds the event's JSON, is at most 1 MiB.
pub const LINE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Where and why the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    /// The position the chain expected where it broke.
    pub position: u64,
    /// The line of the export, when checking an export.
    pub line: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "line {line}: {}", self.reason),
            None => write!(formatter, "position {}: {}", self.position, self.reason),
        }
    }
}

/// The outcome of a verification: the good prefix of the chain and where it broke, if it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Events that verified, from position 1.
    pub events: u64,
    /// The hash of the last event that verified (64 zeros when none did).
    pub head_hash: Hash,
    pub broken: Option<Break>,
}

impl Summary {
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }

    /// The answer of `GET /api/v1/verify`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "ok": self.ok(),
            "events": self.events,
            "head_position": self.events,
            "head_hash": self.head_hash.to_hex(),
            "first_bad_position": self.broken.as_ref().map(|broken| broken.position),
        });
        if let Some(broken) = &self.broken {
            object["error"] = serde_json::Value::String(broken.to_string());
        }
        object
    }

    /// The summary the command line prints: one `key: value` per line, as ops/verify_export.py.
    pub fn to_text(&self) -> String {
        let first_bad = match &self.broken {
            Some(broken) => broken.position.to_string(),
            None => "null".to_owned(),
        };
        let mut text = format!(
            "ok: {}\nevents: {}\nhead_position: {}\nhead_hash: {}\nfirst_bad_position: {first_bad}\n",
            self.ok(),
            self.events,
            self.events,
            self.head_hash.to_hex(),
        );
        if let Some(broken) = &self.broken {
            text.push_str(&format!("error: {broken}\n"));
        }
        text
    }
}

/// Checks events one at a time, in order: the chain (`Verifier`) and the canonical form.
#[derive(Debug, Default)]
pub struct Checker {
    verifier: Verifier,
}

impl Checker {
    /// The position (and line) the next event must have.
    fn next_position(&self) -> u64 {
        self.verifier.events() + 1
    }

    fn broken(&self, line: bool, reason: String) -> Break {
        let position = self.next_position();
        Break {
            position,
            line: line.then_some(position),
            reason,
        }
    }

    /// Checks an event read from the log: its export line must read back as the same event.
    pub fn check_event(&mut self, event: &StoredEvent) -> Result<(), Break> {
        let line = event.canonical_json();
        let reread = serde_json::from_slice(&line)
            .map_err(|error| error.to_string())
            .and_then(StoredEvent::from_json);
        if !reread
            .as_ref()
            .is_ok_and(|reread| reread.same_as_json_of(event))
        {
            let reason = "the event does not read back from its JSON form".to_owned();
            return Err(self.broken(false, reason));
        }
        self.verifier
            .check(event)
            .map_err(|error| self.broken(false, error.to_string()))
    }

    /// Checks one line of an export (without its `\n`) and returns the event it holds.
    pub fn check_line(&mut self, line: &[u8]) -> Result<StoredEvent, Break> {
        let value: serde_json::Value = serde_json::from_slice(line)
            .map_err(|error| self.broken(true, format!("not valid JSON: {error}")))?;
        let event = StoredEvent::from_json(value)
            .map_err(|error| self.broken(true, format!("not a stored event: {error}")))?;
        if event.canonical_json() != line {
            let reason = "the line is not the event's canonical JSON (RFC 8785): \
                          it was reformatted or edited"
                .to_owned();
            return Err(self.broken(true, reason));
        }
        self.verifier
            .check(&event)
            .map_err(|error| self.broken(true, error.to_string()))?;
        Ok(event)
    }

    /// A break found outside `check_*`: at the position the chain expects next.
    pub fn break_here(&self, line: bool, reason: String) -> Break {
        self.broken(line, reason)
    }

    pub fn finish(self, broken: Option<Break>) -> Summary {
        Summary {
            events: self.verifier.events(),
            head_hash: self.verifier.head_hash(),
            broken,
        }
    }
}

/// Recomputes the chain of the log from position 1 to `until`.
///
/// A record that does not decode, or a missing one, is a break; only a failure to read at all
/// (the store, the disk) is an error.
pub fn verify_log(log: &dyn Store, until: u64) -> Result<Summary, StoreError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    Ok(verify_log_unless(log, until, &never)?.expect("never cancelled"))
}

/// `verify_log` that stops early, with `None`, once `cancelled` is set (its client went away).
pub fn verify_log_unless(
    log: &dyn Store,
    until: u64,
    cancelled: &std::sync::atomic::AtomicBool,
) -> Result<Option<Summary>, StoreError> {
    let mut checker = Checker::default();
    for event in log.range(0, until) {
        if event.as_ref().is_ok_and(|event| event.position % 1024 == 0)
            && cancelled.load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(None);
        }
        let event = match event {
            Ok(event) => event,
            Err(StoreError::Corrupt { position, reason }) => {
                let reason = format!("the record at position {position} does not decode: {reason}");
                let broken = checker.break_here(false, reason);
                return Ok(Some(checker.finish(Some(broken))));
            }
            Err(error) => return Err(error),
        };
        if let Err(broken) = checker.check_event(&event) {
            return Ok(Some(checker.finish(Some(broken))));
        }
    }
    if checker.next_position() <= until {
        let reason = format!("the log should hold events up to position {until}, but ends here");
        let broken = checker.break_here(false, reason);
        return Ok(Some(checker.finish(Some(broken))));
    }
    Ok(Some(checker.finish(None)))
}

/// Appends up to `events_max` export lines of the events after `after`, up to `until`.
///
/// Returns the position of the last event written (`after` when there was none).
pub fn export_batch(
    log: &dyn Store,
    after: u64,
    until: u64,
    events_max: usize,
    out: &mut Vec<u8>,
) -> Result<u64, StoreError> {
    let mut last = after;
    for event in log.range(after, until).take(events_max) {
        let event = event?;
        event.write_canonical_json(true, out);
        out.push(b'\n');
        last = event.position;
    }
    Ok(last)
}

/// Why the next line of an export could not be had.
#[derive(Debug)]
pub enum LineError {
    /// The file breaks the format (a line too long, no newline at the end).
    Broken(String),
    Io(std::io::Error),
}

/// Reads an export line by line, each without its `\n`, in bounded memory.
pub struct ExportLines<R> {
    reader: R,
    line: Vec<u8>,
}

impl<R: BufRead> ExportLines<R> {
    pub fn new(reader: R) -> Self {
        ExportLines {
            reader,
            line: Vec::new(),
        }
    }

    /// The next line; `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        self.line.clear();
        let limit = LINE_BYTES_MAX as u64 + 1;
        let read = Read::take(&mut self.reader, limit)
            .read_until(b'\n', &mut self.line)
            .map_err(LineError::Io)?;
        if read == 0 {
            return Ok(None);
        }
        match self.line.pop() {
            Some(b'\n') => Ok(Some(&self.line)),
            _ if read as u64 >= limit => Err(LineError::Broken(format!(
                "the line is longer than {LINE_BYTES_MAX} bytes"
            ))),
            _ => Err(LineError::Broken(
                "the file ends in the middle of this line (no newline): it was truncated"
                    .to_owned(),
            )),
        }
    }
}

/// Verifies an export read from `reader`; `each` sees every event that verified.
pub fn verify_export<R: BufRead>(
    reader: R,
    mut each: impl FnMut(StoredEvent) -> anyhow::Result<()>,
) -> anyhow::Result<Summary> {
    let mut lines = ExportLines::new(reader);
    let mut checker = Checker::default();
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(checker.finish(None)),
            Err(LineError::Broken(reason)) => {
                let broken = checker.break_here(true, reason);
                return Ok(checker.finish(Some(broken)));
            }
            Err(LineError::Io(error)) => return Err(error).context("reading the export"),
        };
        match checker.check_line(line) {
            Ok(event) => each(event)?,
            Err(broken) => return Ok(checker.finish(Some(broken))),
        }
    }
}

// The command line: `impact-ledger export`, `verify` and `import` (CONTRACT §6).

/// Opens the log of an existing data dir, refusing to create one.
pub fn open_existing_log(dir: &Path) -> anyhow::Result<Box<dyn Store>> {
    anyhow::ensure!(
        crate::store::holds_log(dir),
        "{} holds no log (no {})",
        dir.display(),
        crate::store::log_dir(dir).display()
    );
    let log = crate::store::open_dir(dir).with_context(|| {
        format!(
            "opening the log in {}; if `impact-ledger serve` is running on it, \
             use GET /api/v1/export or /api/v1/verify instead",
            dir.display()
        )
    })?;
    sealed_log(log, dir)
}

/// The log with its key layer: sealed members come out opened where their keys exist
/// (ops/decisions/0005).
fn sealed_log(log: Box<dyn Store>, keys_in: &Path) -> anyhow::Result<Box<dyn Store>> {
    let keys = crate::store::FileKeys::open(keys_in)
        .with_context(|| format!("opening the keys in {}", keys_in.display()))?;
    Ok(Box::new(crate::store::SealedStore::new(
        log,
        Arc::new(keys),
    )))
}

/// `impact-ledger export`: every stored event to `out`, as the API's export.
pub fn export_command(dir: &Path, out: impl Write) -> anyhow::Result<u64> {
    let log = open_existing_log(dir)?;
    let until = log.last_position()?;
    let mut out = std::io::BufWriter::new(out);
    let mut chunk = Vec::new();
    let mut after = 0;
    while after < until {
        chunk.clear();
        let last = export_batch(log.as_ref(), after, until, EXPORT_BATCH_EVENTS, &mut chunk)?;
        anyhow::ensure!(last > after, "the log has no events after position {after}");
        out.write_all(&chunk).context("writing the export")?;
        after = last;
    }
    out.flush().context("writing the export")?;
    Ok(after)
}

/// `impact-ledger verify --data DIR`: the chain of a data dir's log, read record by record.
///
/// It opens only the log (not the ledger, which refuses a broken chain) so that it can say
/// where the chain breaks.
pub fn verify_data_command(dir: &Path) -> anyhow::Result<Summary> {
    let log = open_existing_log(dir)?;
    let until = log.last_position()?;
    Ok(verify_log(log.as_ref(), until)?)
}

/// `impact-ledger verify --export FILE`.
pub fn verify_export_command(file: &Path) -> anyhow::Result<Summary> {
    let reader = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    verify_export(BufReader::new(reader), |_| Ok(()))
}

/// Where an import is written before it is moved into place, and how it is moved.
struct Staging {
    /// The directory the new log is written in (as `staging/` and the store's log directory in it).
    dir: PathBuf,
    /// Renamed into place when the whole file verified.
    from: PathBuf,
    to: PathBuf,
}

impl Staging {
    /// Picks the staging place for `target`, which must not hold a log.
    ///
    /// Without a target dir, the import is built in a sibling directory renamed to the target
    /// at the end. With a target dir (e.g. one holding only `tokens.json`), the log is built in
    /// `target/.import-<pid>/` and the log directory in it is renamed into `target/`, so the
    /// other files stay.
    fn for_target(target: &Path) -> anyhow::Result<Self> {
        let log_dir = crate::store::log_dir(target);
        anyhow::ensure!(
            !log_dir.exists(),
            "{} already holds a log ({}); import restores only into a data dir without one, \
             and it was left as it was. An existing log, even an empty one, is never \
             replaced: move it away first if that is what you mean",
            target.display(),
            log_dir.display()
        );
        let pid = std::process::id();
        if target.exists() {
            let dir = target.join(format!(".import-{pid}"));
            return Ok(Staging {
                from: crate::store::log_dir(&dir),
                to: log_dir,
                dir,
            });
        }
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a directory name", target.display()))?;
        let mut staging_name = std::ffi::OsString::from(".");
        staging_name.push(name);
        staging_name.push(format!(".import-{pid}"));
        let dir = parent_of(target).join(staging_name);
        Ok(Staging {
            from: dir.clone(),
            to: target.to_owned(),
            dir,
        })
    }

    /// Copies the target's pepper, if it has one, to the keys being built: the export's
    /// pseudonyms must have been made with it (ops/decisions/0005).
    fn adopt_pepper(&self, target: &Path) -> anyhow::Result<()> {
        let pepper = crate::store::member_keys::keys_dir(target).join("pepper");
        if !pepper.exists() {
            return Ok(());
        }
        let keys = crate::store::member_keys::keys_dir(&self.dir);
        std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
        std::fs::copy(&pepper, keys.join("pepper"))
            .with_context(|| format!("copying {}", pepper.display()))?;
        Ok(())
    }

    /// Moves the new keys into an existing target's `keys/` (a new target gets them with the
    /// staging dir itself): the key file, and the pepper if the target had none.
    fn commit_keys(&self) -> anyhow::Result<()> {
        let target = parent_of(&self.to);
        let (from, to) = (
            crate::store::member_keys::keys_dir(&self.dir),
            crate::store::member_keys::keys_dir(target),
        );
        std::fs::create_dir_all(&to).with_context(|| format!("creating {}", to.display()))?;
        for name in ["member-keys", "pepper"] {
            if name == "pepper" && to.join(name).exists() {
                std::fs::remove_file(from.join(name))?;
                continue;
            }
            std::fs::rename(from.join(name), to.join(name))
                .with_context(|| format!("moving {} into {}", name, to.display()))?;
        }
        std::fs::remove_dir(&from)?;
        Ok(crate::store::sync_path(&to)?)
    }

    /// Makes every file of the new log durable, then moves it into place.
    fn commit(&self) -> anyhow::Result<()> {
        sync_tree(&self.dir)?;
        if self.dir != self.from {
            self.commit_keys()?;
        }
        std::fs::rename(&self.from, &self.to)
            .with_context(|| format!("moving {} to {}", self.from.display(), self.to.display()))?;
        crate::store::sync_path(parent_of(&self.to))?;
        if self.dir != self.from {
            std::fs::remove_dir(&self.dir)
                .with_context(|| format!("removing {}", self.dir.display()))?;
        }
        Ok(())
    }

    fn abandon(&self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(%error, dir = %self.dir.display(), "removing the abandoned import");
        }
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// fsyncs every file under `dir`, then the directories themselves.
fn sync_tree(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            crate::store::sync_path(&path)?;
        }
    }
    Ok(crate::store::sync_path(dir)?)
}

/// `impact-ledger import FILE --data DIR`: restores an export into a data dir without a log.
///
/// Every line is verified before it is written; nothing appears in `DIR` unless the whole file
/// verified and was synced (see `Staging`). On a broken file the summary says where, and the
/// target is left as it was.
pub fn import_command(file: &Path, target: &Path) -> anyhow::Result<Summary> {
    let reader = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let staging = Staging::for_target(target)?;
    let written = staging
        .adopt_pepper(target)
        .and_then(|()| write_staged(BufReader::new(reader), &staging.dir));
    let outcome = match written {
        Ok(summary) if summary.ok() => staging.commit().map(|()| summary),
        other => other,
    };
    if !matches!(&outcome, Ok(summary) if summary.ok()) {
        staging.abandon();
    }
    outcome
}

/// Verifies the export and writes it, in batches, into a new log in `dir`.
/// The keys of the new log are made in `dir` too (`Staging::commit` moves them into place).
fn write_staged(reader: impl BufRead, dir: &Path) -> anyhow::Result<Summary> {
    let log = crate::store::open_dir(dir)
        .with_context(|| format!("creating a log in {}", dir.display()))?;
    let keys = Arc::new(crate::store::FileKeys::open(dir)?);
    let log = crate::store::SealedStore::new(log, Arc::clone(&keys) as _);
    let mut foreign = None;
    let summary = import_checked(reader, &log, |event| {
        if foreign.is_none() && !crate::store::sealed::pseudonym_is_ours(keys.as_ref(), event) {
            foreign = Some(event.position);
        }
    })?;
    if let (true, Some(position)) = (summary.ok(), foreign) {
        anyhow::bail!(
            "the pseudonym of data.person_ref at position {position} was made with another \
             pepper than this data dir's: a person would count twice. Copy keys/pepper from \
             the data dir the export came from (or its backup) into DIR/keys/pepper first"
        );
    }
    Ok(summary)
}

/// Verifies the export and appends it, in batches, to `log`, which must be empty.
pub fn import_into(reader: impl BufRead, log: &dyn Store) -> anyhow::Result<Summary> {
    import_checked(reader, log, |_| ())
}

/// As `import_into`, showing `check` each verified event before it is written.
fn import_checked(
    reader: impl BufRead,
    log: &dyn Store,
    mut check: impl FnMut(&StoredEvent),
) -> anyhow::Result<Summary> {
    let mut batch = Vec::with_capacity(EXPORT_BATCH_EVENTS);
    let mut head = log.last_position()?;
    anyhow::ensure!(
        head == 0,
        "the log already holds {head} events; import needs an empty one"
    );
    let mut flush = |batch: &mut Vec<StoredEvent>| -> anyhow::Result<()> {
        log.append(head, batch, &[batch.len()])?;
        head += batch.len() as u64;
        batch.clear();
        Ok(())
    };
    let summary = verify_export(reader, |event| {
        check(&event);
        batch.push(event);
        if batch.len() == EXPORT_BATCH_EVENTS {
            flush(&mut batch)?;
        }
        Ok(())
    })?;
    if summary.ok() && !batch.is_empty() {
        flush(&mut batch)?;
    }
    log.sync()?;
    Ok(summary)
}
