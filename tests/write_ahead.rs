//! The write-ahead files in front of sled (ops/decisions/0006) replay exactly the whole,
//! chained frames after the log's end: a torn tail, a bad checksum, a reordered or duplicated
//! frame ends the replay; a replay twice gives the same log; the other file is written over
//! only once sled was synced past it; a log that does not meet the files stops the start. The
//! files are real files in a temp dir, the log is real sled where a test needs it.

use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::Path;

mod common;

use impact_events::{codec, Hash, LedgerState, StoredEvent};
use impact_ledger::store::segment::{Frame, Segments, FILE_BYTES, FILE_NAMES};
use impact_ledger::store::{Log, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// A valid chain of `count` placements.
fn chain(count: u64) -> Vec<StoredEvent> {
    let mut state = LedgerState::default();
    let mut events: Vec<StoredEvent> = Vec::new();
    for position in 1..=count {
        let value = json!({"type": "PersonPlacedInEmployment", "occurred_on": "2023-05-01",
            "data": {"placement_id": Uuid::from_u128(u128::from(position) << 64),
                     "person_ref": format!("P-{position}"), "employment_type": "ordinary"}});
        common::seal_next(&mut state, &mut events, value);
    }
    events
}

/// The events cut into frames of `per_frame`, each one request.
fn frames(events: &[StoredEvent], per_frame: usize) -> Vec<Frame> {
    events
        .chunks(per_frame)
        .map(|group| Frame {
            first: group[0].position,
            prev_hash: group[0].prev_hash,
            last_hash: group[group.len() - 1].hash,
            sizes: vec![group.len()],
            records: group.iter().map(codec::encode).collect(),
        })
        .collect()
}

fn encoded(frame: &Frame) -> Vec<u8> {
    let mut bytes = Vec::new();
    frame.encode_into(&mut bytes);
    bytes
}

/// A log that holds the first `last` events of `events`, as `recover` asks it.
struct FakeLog {
    hashes: HashMap<u64, Hash>,
    last: u64,
}

impl FakeLog {
    fn holding(events: &[StoredEvent], last: u64) -> Self {
        let hashes = events
            .iter()
            .take(last as usize)
            .map(|event| (event.position, event.hash))
            .collect();
        FakeLog { hashes, last }
    }

    fn recover(&self, segments: &Segments) -> Result<Vec<Frame>, StoreError> {
        segments.recover(self.last, &|position| {
            Ok(match position {
                0 => Some(Hash::GENESIS),
                _ => self.hashes.get(&position).copied(),
            })
        })
    }
}

/// Writes `frames` (after a log ending at `base`) to fresh files in `dir`, each synced.
fn write(dir: &Path, base: &[StoredEvent], frames: &[Frame], synced: u64) -> Segments {
    let mut segments = Segments::open(dir).expect("opens");
    let tip = base
        .last()
        .map_or((0, Hash::GENESIS), |e| (e.position, e.hash));
    segments.set_tip(tip.0, tip.1);
    for frame in frames {
        segments.write(frame, synced).expect("written");
        segments.sync().expect("synced");
    }
    segments
}

fn file(dir: &Path, slot: usize) -> std::fs::File {
    let path = dir.join(FILE_NAMES[slot]);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("the file")
}

/// Where frame `index` of `frames` lies in a file begun with them (after the 64-byte header).
fn offset_of(frames: &[Frame], index: usize) -> u64 {
    64 + frames[..index]
        .iter()
        .map(|f| encoded(f).len() as u64)
        .sum::<u64>()
}

/// Frames of the first epoch: in the file with the lower number, since both start empty.
const FIRST: usize = 0;

#[test]
fn every_whole_frame_after_the_log_is_replayed_and_only_those() {
    let events = chain(12);
    let frames = frames(&events, 3);
    let dir = tempfile::tempdir().unwrap();
    drop(write(dir.path(), &[], &frames, 0));
    let segments = Segments::open(dir.path()).unwrap();
    // A log that holds none, some, part of a frame, or all of them.
    for (last, expected) in [(0, 4), (3, 3), (4, 3), (11, 1), (12, 0)] {
        let replayed = FakeLog::holding(&events, last).recover(&segments).unwrap();
        assert_eq!(replayed.len(), expected, "log ending at {last}");
        assert_eq!(replayed, frames[4 - expected..], "log ending at {last}");
    }
}

/// What a test does to a frame's bytes.
type Damage = fn(&mut Vec<u8>);

#[test]
fn a_torn_or_corrupt_frame_ends_the_replay() {
    let events = chain(12);
    let frames = frames(&events, 3);
    // (what is done to frame 2's bytes, how many frames are replayed)
    let cases: [(&str, Damage); 4] = [
        ("the tail torn off (zeros)", |bytes| {
            let half = bytes.len() / 2;
            bytes[half..].fill(0);
        }),
        ("one byte of a record changed", |bytes| {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }),
        ("its length grown past the file", |bytes| {
            bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        }),
        ("its checksum wrong", |bytes| bytes[4] ^= 0x80),
    ];
    for (what, damage) in cases {
        let dir = tempfile::tempdir().unwrap();
        drop(write(dir.path(), &[], &frames, 0));
        let mut bytes = encoded(&frames[2]);
        damage(&mut bytes);
        file(dir.path(), FIRST)
            .write_all_at(&bytes, offset_of(&frames, 2))
            .unwrap();
        let segments = Segments::open(dir.path()).unwrap();
        let replayed = FakeLog::holding(&events, 0).recover(&segments).unwrap();
        assert_eq!(replayed, frames[..2], "{what}: only the frames before it");
    }
}

#[test]
fn a_reordered_or_duplicated_frame_is_not_accepted() {
    let events = chain(12);
    let frames = frames(&events, 3);
    // Frames 1 and 2 swapped (the same size): the replay stops before them.
    let dir = tempfile::tempdir().unwrap();
    drop(write(dir.path(), &[], &frames, 0));
    let (one, two) = (encoded(&frames[1]), encoded(&frames[2]));
    assert_eq!(one.len(), two.len());
    let swapped = [two, one].concat();
    let file_0 = file(dir.path(), FIRST);
    file_0
        .write_all_at(&swapped, offset_of(&frames, 1))
        .unwrap();
    let segments = Segments::open(dir.path()).unwrap();
    let replayed = FakeLog::holding(&events, 0).recover(&segments).unwrap();
    assert_eq!(replayed, frames[..1]);

    // Frame 1 written again after frame 3, then frame 3 again: neither is taken twice.
    let dir = tempfile::tempdir().unwrap();
    drop(write(dir.path(), &[], &frames, 0));
    let again = [encoded(&frames[1]), encoded(&frames[3])].concat();
    file(dir.path(), FIRST)
        .write_all_at(&again, offset_of(&frames, 4))
        .unwrap();
    let segments = Segments::open(dir.path()).unwrap();
    let replayed = FakeLog::holding(&events, 0).recover(&segments).unwrap();
    assert_eq!(replayed, frames);

    // A frame of another history (the same positions, another chain) is not replayed either.
    let other = chain(13)[1..].to_vec(); // prev_hash of its first is not GENESIS
    let dir = tempfile::tempdir().unwrap();
    let mut segments = Segments::open(dir.path()).unwrap();
    segments.set_tip(0, Hash::GENESIS);
    let mut foreign = self::frames(&other, 3).remove(0);
    foreign.first = 1;
    segments.write(&foreign, 0).unwrap();
    segments.sync().unwrap();
    drop(segments);
    let segments = Segments::open(dir.path()).unwrap();
    assert_eq!(FakeLog::holding(&events, 0).recover(&segments).unwrap(), []);
}

#[test]
fn a_log_that_does_not_meet_the_files_stops_the_start() {
    let events = chain(12);
    let frames = frames(&events, 3);
    // The files continue from position 6; a log that ends at 4 misses 5 and 6.
    let dir = tempfile::tempdir().unwrap();
    drop(write(dir.path(), &events[..6], &frames[2..], 0));
    let segments = Segments::open(dir.path()).unwrap();
    let error = FakeLog::holding(&events, 4).recover(&segments).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { position: 5, .. }),
        "{error}"
    );
    // A log whose event 9 differs from the file's: which one is right cannot be told.
    let mut log = FakeLog::holding(&events, 9);
    log.hashes.insert(9, Hash([7; 32]));
    let error = log.recover(&segments).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { position: 9, .. }),
        "{error}"
    );
}

#[test]
fn the_other_file_is_written_over_only_once_sled_is_synced_past_it() {
    // More than three files' worth, in frames of 600 events.
    let events = chain(60_000);
    let frames = frames(&events, 600);
    let dir = tempfile::tempdir().unwrap();
    let mut segments = Segments::open(dir.path()).unwrap();
    segments.set_tip(0, Hash::GENESIS);
    // Never synced: the first file full, the second (empty: nothing to sync) is started, and
    // then it grows past its size, since sled never synced what the first holds.
    let mut switches = Vec::new();
    for frame in &frames {
        switches.push(segments.write(frame, 0).unwrap());
        segments.sync().unwrap();
    }
    let file_length =
        |dir: &Path, slot: usize| std::fs::metadata(dir.join(FILE_NAMES[slot])).unwrap().len();
    let total: u64 = frames.iter().map(|frame| encoded(frame).len() as u64).sum();
    assert!(
        total > 3 * FILE_BYTES,
        "the test writes more than three files hold"
    );
    let started: Vec<u64> = switches.iter().flatten().copied().collect();
    assert_eq!(
        started.len(),
        2,
        "the first frame and the first full file: {started:?}"
    );
    assert_eq!(started[0], 0, "the first frame starts an epoch");
    assert_eq!(file_length(dir.path(), 0), FILE_BYTES);
    assert!(
        file_length(dir.path(), 1) > 2 * FILE_BYTES,
        "the second file grew"
    );
    drop(segments);

    // Synced as the writer goes: the files take turns, each new epoch based on the tip.
    let dir = tempfile::tempdir().unwrap();
    let mut segments = Segments::open(dir.path()).unwrap();
    segments.set_tip(0, Hash::GENESIS);
    let mut bases = Vec::new();
    for frame in &frames {
        if let Some(base) = segments.write(frame, frame.first - 1).unwrap() {
            bases.push(base);
        }
        segments.sync().unwrap();
    }
    assert!(bases.len() >= 3, "{bases:?}");
    assert!(bases.windows(2).all(|pair| pair[0] < pair[1]), "{bases:?}");
    assert_eq!(
        file_length(dir.path(), 0),
        FILE_BYTES,
        "written over in place"
    );
    assert_eq!(
        file_length(dir.path(), 1),
        FILE_BYTES,
        "written over in place"
    );
    drop(segments);
    // A log that has everything up to the newest epoch's base replays only the newest file;
    // one that has everything up to the one before replays both, in order.
    let segments = Segments::open(dir.path()).unwrap();
    let (newest, older) = (bases[bases.len() - 1], bases[bases.len() - 2]);
    let from_newest = FakeLog::holding(&events, newest)
        .recover(&segments)
        .unwrap();
    assert_eq!(from_newest[0].first, newest + 1);
    assert_eq!(from_newest.last().unwrap().last(), 60_000);
    let from_older = FakeLog::holding(&events, older).recover(&segments).unwrap();
    assert_eq!(from_older[0].first, older + 1);
    assert_eq!(from_older.last().unwrap().last(), 60_000);
    // A log behind both files' bases: acknowledged events would be missing.
    let error = FakeLog::holding(&events, older - 1)
        .recover(&segments)
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
}

/// Opens the log once the one opened before has let go of sled's lock.
fn open_log(dir: &Path) -> Log {
    for _ in 0..100 {
        match Log::open(dir) {
            Err(StoreError::InUse(_)) => std::thread::sleep(std::time::Duration::from_millis(50)),
            opened => return opened.expect("opens"),
        }
    }
    Log::open(dir).expect("opens")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_log_missing_what_the_file_holds_gets_it_back_and_again_changes_nothing() {
    let events = chain(40);
    let dir = tempfile::tempdir().unwrap();
    let crashed = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    log.append(0, &events[..10], &[10]).unwrap();
    // A clean sync: sled has 1-10. The state of sled at this moment is what a crash keeps.
    log.sync().unwrap();
    copy_dir(&dir.path().join("sled"), &crashed.path().join("sled"));
    // Then requests of one and of several events, durable in the write-ahead file only.
    log.append(10, &events[10..11], &[1]).unwrap();
    log.append(11, &events[11..25], &[4, 10]).unwrap();
    log.append(25, &events[25..40], &[15]).unwrap();
    for name in FILE_NAMES {
        let from = dir.path().join("sled").join(name);
        std::fs::copy(from, crashed.path().join("sled").join(name)).unwrap();
    }
    drop(log);
    for start in 1..=3 {
        let log = open_log(crashed.path());
        assert_eq!(log.last_position().unwrap(), 40, "start {start}");
        let stored: Vec<StoredEvent> = log.range(0, 40).collect::<Result<_, _>>().unwrap();
        assert_eq!(stored, events, "start {start}: every event, once, in order");
        drop(log);
    }
}
