//! The write-ahead segments in front of sled: where an append becomes durable
//! (ops/decisions/0006).
//!
//! Two preallocated files, `write-ahead-0` and `write-ahead-1`, in the log's directory. One is
//! active: each group commit appends one frame to it (its events, checksummed) and makes it
//! durable with one `fdatasync`, a single device round trip, since the file is written over
//! in place and its size does not change. sled is written in memory and flushed behind it.
//! When the active file is full the writer starts the other one, with a header naming a new
//! epoch and the position its frames continue from, but only once sled was synced past what
//! that file held; otherwise the active file grows (slower syncs, nothing lost).
//!
//! On a start the frames sled may have lost are replayed into it: from the newest file whose
//! base sled holds (or the older one first), every frame in order, as long as it is whole (its
//! checksum), continues the chain (position and hash of the one before) and is of this epoch.
//! The first frame that is not ends the replay: each frame is written only after the one
//! before was synced, so nothing behind a torn frame was ever acknowledged.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use impact_events::Hash;

use super::StoreError;

/// A new file's preallocated size: zeros written and synced once, so that later writes in
/// place need no metadata. A file grows beyond it when sled's sync lags (it then keeps its size).
pub const FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The names of the two files, in the log's directory.
pub const FILE_NAMES: [&str; 2] = ["write-ahead-0", "write-ahead-1"];

const HEADER_BYTES: usize = 64;
const HEADER_MAGIC: [u8; 4] = *b"ILWS";
const FORMAT: u32 = 1;
const FRAME_HEADER_BYTES: usize = 96;
const FRAME_MAGIC: [u8; 4] = *b"ILWF";
/// A frame longer than this is garbage: a group holds at most 8,192 events of at most 16 KiB
/// (`group_events_max`, `EVENT_BYTES_MAX`); the configuration may raise the first.
const FRAME_BYTES_MAX: u64 = 1 << 31;

/// What a file's header says: its epoch and where its frames continue the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Counts up by one at every switch of files; the newer file has the larger epoch.
    pub epoch: u64,
    /// The position the file's first frame continues from, and that event's hash.
    pub base: u64,
    pub base_hash: Hash,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut bytes = [0u8; HEADER_BYTES];
        bytes[0..4].copy_from_slice(&HEADER_MAGIC);
        bytes[4..8].copy_from_slice(&FORMAT.to_le_bytes());
        bytes[12..20].copy_from_slice(&self.epoch.to_le_bytes());
        bytes[20..28].copy_from_slice(&self.base.to_le_bytes());
        bytes[28..60].copy_from_slice(&self.base_hash.0);
        let checksum = crc32fast::hash(&bytes[12..]);
        bytes[8..12].copy_from_slice(&checksum.to_le_bytes());
        bytes
    }

    /// `None` for anything but a whole header of this format (zeros, a torn write).
    fn decode(bytes: &[u8; HEADER_BYTES]) -> Option<Header> {
        let ok = bytes[0..4] == HEADER_MAGIC
            && u32_at(bytes, 4) == FORMAT
            && u32_at(bytes, 8) == crc32fast::hash(&bytes[12..]);
        ok.then(|| Header {
            epoch: u64_at(bytes, 12),
            base: u64_at(bytes, 20),
            base_hash: hash_at(bytes, 28),
        })
    }
}

/// The events of one group commit, as written: the encoded records, in position order, and the
/// requests' event counts (a request is replayed into sled as one batch, all or none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub first: u64,
    /// The hash of the event before the first, and of the last.
    pub prev_hash: Hash,
    pub last_hash: Hash,
    pub sizes: Vec<usize>,
    pub records: Vec<Vec<u8>>,
}

impl Frame {
    pub fn last(&self) -> u64 {
        self.first + self.records.len() as u64 - 1
    }

    /// Appends the frame's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + FRAME_HEADER_BYTES, 0);
        for size in &self.sizes {
            out.extend_from_slice(&(*size as u32).to_le_bytes());
        }
        for record in &self.records {
            out.extend_from_slice(&(record.len() as u32).to_le_bytes());
            out.extend_from_slice(record);
        }
        let payload = (out.len() - start - FRAME_HEADER_BYTES) as u64;
        let header = &mut out[start..start + FRAME_HEADER_BYTES];
        header[0..4].copy_from_slice(&FRAME_MAGIC);
        header[8..16].copy_from_slice(&payload.to_le_bytes());
        header[16..24].copy_from_slice(&self.first.to_le_bytes());
        header[24..28].copy_from_slice(&(self.records.len() as u32).to_le_bytes());
        header[28..32].copy_from_slice(&(self.sizes.len() as u32).to_le_bytes());
        header[32..64].copy_from_slice(&self.prev_hash.0);
        header[64..96].copy_from_slice(&self.last_hash.0);
        let checksum = crc32fast::hash(&out[start + 8..]);
        out[start + 4..start + 8].copy_from_slice(&checksum.to_le_bytes());
    }

    /// Reads the frame at `offset` of `file` (`length` bytes long); `None` unless it is whole
    /// and well formed. Returns the frame and the offset after it.
    fn read(file: &File, offset: u64, length: u64) -> Result<Option<(Frame, u64)>, std::io::Error> {
        if offset + FRAME_HEADER_BYTES as u64 > length {
            return Ok(None);
        }
        let mut header = [0u8; FRAME_HEADER_BYTES];
        file.read_exact_at(&mut header, offset)?;
        let payload = u64_at(&header, 8);
        if header[0..4] != FRAME_MAGIC || payload > FRAME_BYTES_MAX {
            return Ok(None);
        }
        let end = offset + FRAME_HEADER_BYTES as u64 + payload;
        if end > length {
            return Ok(None);
        }
        let mut bytes = header.to_vec();
        bytes.resize(FRAME_HEADER_BYTES + payload as usize, 0);
        file.read_exact_at(
            &mut bytes[FRAME_HEADER_BYTES..],
            offset + FRAME_HEADER_BYTES as u64,
        )?;
        if u32_at(&bytes, 4) != crc32fast::hash(&bytes[8..]) {
            return Ok(None);
        }
        Ok(Frame::parse(&bytes).map(|frame| (frame, end)))
    }

    /// The frame in `bytes` (checksum already checked); `None` if its parts do not add up.
    fn parse(bytes: &[u8]) -> Option<Frame> {
        let count = u32_at(bytes, 24) as usize;
        let requests = u32_at(bytes, 28) as usize;
        let mut rest = &bytes[FRAME_HEADER_BYTES..];
        let mut sizes = Vec::with_capacity(requests.min(rest.len() / 4));
        for _ in 0..requests {
            sizes.push(take_u32(&mut rest)? as usize);
        }
        let mut records = Vec::with_capacity(count.min(rest.len() / 4));
        for _ in 0..count {
            let length = take_u32(&mut rest)? as usize;
            let record = rest.get(..length)?;
            records.push(record.to_vec());
            rest = &rest[length..];
        }
        let whole = rest.is_empty() && count > 0 && sizes.iter().sum::<usize>() == count;
        whole.then(|| Frame {
            first: u64_at(bytes, 16),
            prev_hash: hash_at(bytes, 32),
            last_hash: hash_at(bytes, 64),
            sizes,
            records,
        })
    }
}

/// The file frames go to now.
#[derive(Clone, Copy, Debug)]
struct Active {
    slot: usize,
    header: Header,
    /// Where the next frame goes, and the file's length.
    offset: u64,
    length: u64,
}

/// The two files and which one is active. Only the writer appends (through `Log`'s lock).
pub struct Segments {
    files: [File; 2],
    paths: [PathBuf; 2],
    headers: [Option<Header>; 2],
    /// `None` until the first frame after opening: that frame starts a new epoch.
    active: Option<Active>,
    /// The last event written: the base of the next epoch.
    tip: (u64, Hash),
    /// Reused for every frame (a group's frame can be large: trimmed after one that was).
    buffer: Vec<u8>,
}

/// What a frame write did: a new epoch's base, if it started one. sled must be synced up to
/// there before the file that was active can be written again.
pub type Switched = Option<u64>;

impl Segments {
    /// Opens the two files in `dir`, creating (zero-filled, synced) those that do not exist.
    pub fn open(dir: &Path) -> Result<Segments, StoreError> {
        let paths = FILE_NAMES.map(|name| dir.join(name));
        let mut created = false;
        let mut open = |path: &Path| -> Result<File, StoreError> {
            if !path.exists() {
                create_zeroed(path)?;
                created = true;
            }
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|error| StoreError::io(path, error))
        };
        let files = [open(&paths[0])?, open(&paths[1])?];
        if created {
            super::log::sync_path(dir)?;
        }
        let mut headers = [None, None];
        for (slot, file) in files.iter().enumerate() {
            let mut bytes = [0u8; HEADER_BYTES];
            match file.read_exact_at(&mut bytes, 0) {
                Ok(()) => headers[slot] = Header::decode(&bytes),
                Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {}
                Err(error) => return Err(StoreError::io(&paths[slot], error)),
            }
        }
        Ok(Segments {
            files,
            paths,
            headers,
            active: None,
            tip: (0, Hash::GENESIS),
            buffer: Vec::new(),
        })
    }

    /// The frames to replay into a log whose last position is `last`: every whole frame that
    /// continues the chain, from a file whose base the log holds. `hash_of` answers the hash of
    /// the log's event at a position (`None` past its end).
    ///
    /// Frames at or before `last` are compared with the log once, at `last` or at their end;
    /// a difference is corruption. A gap between the log and the frames is too: acknowledged
    /// events would be missing.
    pub fn recover(
        &self,
        last: u64,
        hash_of: &dyn Fn(u64) -> Result<Option<Hash>, StoreError>,
    ) -> Result<Vec<Frame>, StoreError> {
        let plan = self.plan(last, hash_of)?;
        let mut frames = Vec::new();
        let mut cursor = match plan.first() {
            Some(&slot) => {
                let header = self.headers[slot].expect("planned files have headers");
                (header.base, header.base_hash)
            }
            None => return Ok(frames),
        };
        for &slot in &plan {
            let header = self.headers[slot].expect("planned files have headers");
            // The older file of two ends where the newer begins.
            if cursor != (header.base, header.base_hash) {
                let why = "does not begin where the older write-ahead file ends";
                return Err(self.corrupt(slot, header.base + 1, why));
            }
            cursor = self.read_frames(slot, cursor, &mut frames)?;
        }
        self.compare(last, &frames, hash_of)?;
        frames.retain(|frame| frame.last() > last);
        Ok(frames)
    }

    /// Which files to replay, oldest first: the newest whose base the log holds, or the older
    /// one and then the newest.
    fn plan(
        &self,
        last: u64,
        hash_of: &dyn Fn(u64) -> Result<Option<Hash>, StoreError>,
    ) -> Result<Vec<usize>, StoreError> {
        let holds = |header: &Header| -> Result<bool, StoreError> {
            if header.base > last {
                return Ok(false);
            }
            let hash = if header.base == 0 {
                Some(Hash::GENESIS)
            } else {
                hash_of(header.base)?
            };
            Ok(hash == Some(header.base_hash))
        };
        let mut slots: Vec<usize> = (0..2)
            .filter(|&slot| self.headers[slot].is_some())
            .collect();
        slots.sort_by_key(|&slot| std::cmp::Reverse(self.headers[slot].map(|h| h.epoch)));
        let Some(&newest) = slots.first() else {
            return Ok(Vec::new());
        };
        let newest_header = self.headers[newest].expect("has a header");
        if holds(&newest_header)? {
            return Ok(vec![newest]);
        }
        if let Some(&older) = slots.get(1) {
            let older_header = self.headers[older].expect("has a header");
            if older_header.epoch + 1 == newest_header.epoch && holds(&older_header)? {
                return Ok(vec![older, newest]);
            }
        }
        Err(self.corrupt(
            newest,
            last + 1,
            &format!(
                "the log ends at {last}, and the write-ahead file continues from {}",
                newest_header.base
            ),
        ))
    }

    /// Reads the whole, chained frames of one file from `cursor` on; returns the new cursor.
    fn read_frames(
        &self,
        slot: usize,
        mut cursor: (u64, Hash),
        frames: &mut Vec<Frame>,
    ) -> Result<(u64, Hash), StoreError> {
        let file = &self.files[slot];
        let io = |error| StoreError::io(&self.paths[slot], error);
        let length = file.metadata().map_err(io)?.len();
        let mut offset = HEADER_BYTES as u64;
        while let Some((frame, next)) = Frame::read(file, offset, length).map_err(io)? {
            if frame.first != cursor.0 + 1 || frame.prev_hash != cursor.1 {
                break; // a frame of an older epoch, or of another history
            }
            cursor = (frame.last(), frame.last_hash);
            frames.push(frame);
            offset = next;
        }
        Ok(cursor)
    }

    /// The frames agree with the log where they overlap: one hash compared, at the last
    /// position both hold (the hashes chain, so every earlier event agrees too).
    fn compare(
        &self,
        last: u64,
        frames: &[Frame],
        hash_of: &dyn Fn(u64) -> Result<Option<Hash>, StoreError>,
    ) -> Result<(), StoreError> {
        let overlap = frames.iter().rev().find_map(|frame| {
            if frame.last() <= last {
                return Some((frame.last(), frame.last_hash));
            }
            // The frame crosses the log's end: the hash of the event at `last` is the frame's
            // `prev_hash` or that of one of its records.
            let before = usize::try_from((last + 1).checked_sub(frame.first)?).ok()?;
            Some(match before {
                0 => (frame.first - 1, frame.prev_hash),
                _ => (last, record_hash(&frame.records[before - 1])),
            })
        });
        match overlap {
            Some((position, hash)) if position > 0 && hash_of(position)? != Some(hash) => {
                Err(StoreError::Corrupt {
                    position,
                    reason: "the log and its write-ahead file hold different events here"
                        .to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    /// After recovery: the log's last event, what the next epoch starts from.
    pub fn set_tip(&mut self, position: u64, hash: Hash) {
        self.tip = (position, hash);
    }

    /// Writes one frame (not synced: `sync` does). Starts a new epoch in the other file when
    /// this is the first frame since opening, or when the active file is full and sled was
    /// synced up to `synced` past what the other file holds.
    pub fn write(&mut self, frame: &Frame, synced: u64) -> Result<Switched, StoreError> {
        assert_eq!(frame.first, self.tip.0 + 1, "a frame continues the tip");
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        frame.encode_into(&mut buffer);
        let switched = self.write_bytes(&mut buffer, synced);
        if buffer.capacity() > FILE_BYTES as usize {
            buffer = Vec::new();
        }
        self.buffer = buffer;
        let switched = switched?;
        self.tip = (frame.last(), frame.last_hash);
        Ok(switched)
    }

    fn write_bytes(&mut self, frame: &mut Vec<u8>, synced: u64) -> Result<Switched, StoreError> {
        let switch = match &self.active {
            None => true,
            Some(active) => {
                let full = active.offset + frame.len() as u64 > active.length;
                full && synced >= active.header.base
            }
        };
        if switch {
            let header = self.start_epoch()?;
            frame.splice(0..0, header.encode());
        }
        let active = self.active.as_mut().expect("an active file");
        // A new epoch's header goes in the same write as its first frame: one sync for both.
        let at = if switch { 0 } else { active.offset };
        self.files[active.slot]
            .write_all_at(frame, at)
            .map_err(|error| StoreError::io(&self.paths[active.slot], error))?;
        active.offset = at + frame.len() as u64;
        active.length = active.length.max(active.offset);
        Ok(switch.then_some(active.header.base))
    }

    /// Makes the next epoch active in the file not active now (the older one), based on the tip.
    fn start_epoch(&mut self) -> Result<Header, StoreError> {
        let epoch = self
            .headers
            .iter()
            .flatten()
            .map(|h| h.epoch)
            .max()
            .unwrap_or(0)
            + 1;
        let slot = match &self.active {
            Some(active) => 1 - active.slot,
            None => (0..2)
                .min_by_key(|&slot| self.headers[slot].map_or(0, |h| h.epoch))
                .expect("two files"),
        };
        let header = Header {
            epoch,
            base: self.tip.0,
            base_hash: self.tip.1,
        };
        let length = self.files[slot]
            .metadata()
            .map_err(|error| StoreError::io(&self.paths[slot], error))?
            .len();
        self.headers[slot] = Some(header);
        self.active = Some(Active {
            slot,
            header,
            offset: HEADER_BYTES as u64,
            length,
        });
        Ok(header)
    }

    /// Makes what was written durable: one `fdatasync` of the active file.
    pub fn sync(&self) -> Result<(), StoreError> {
        let Some(active) = &self.active else {
            return Ok(());
        };
        self.files[active.slot]
            .sync_data()
            .map_err(|error| StoreError::io(&self.paths[active.slot], error))
    }

    /// After sled was synced up to the tip (a clean stop): a new, empty epoch in the other file,
    /// synced, so that the next start reads no frames.
    pub fn reset(&mut self) -> Result<(), StoreError> {
        let header = self.start_epoch()?;
        let active = self.active.expect("just started");
        self.files[active.slot]
            .write_all_at(&header.encode(), 0)
            .map_err(|error| StoreError::io(&self.paths[active.slot], error))?;
        self.sync()
    }

    fn corrupt(&self, slot: usize, position: u64, why: &str) -> StoreError {
        StoreError::Corrupt {
            position,
            reason: format!("{}: {why}", self.paths[slot].display()),
        }
    }
}

/// The hash a record says it has (its last 32 bytes are not it: the codec decides; so this
/// decodes).
fn record_hash(record: &[u8]) -> Hash {
    impact_events::codec::decode(record).map_or(Hash::GENESIS, |event| event.hash)
}

/// Creates `path` filled with `FILE_BYTES` zeros and synced, so later writes need no metadata.
fn create_zeroed(path: &Path) -> Result<(), StoreError> {
    let io = |error| StoreError::io(path, error);
    let partial = path.with_extension("new");
    let file = File::create(&partial).map_err(io)?;
    let zeros = vec![0u8; 1024 * 1024];
    for chunk in 0..FILE_BYTES / zeros.len() as u64 {
        file.write_all_at(&zeros, chunk * zeros.len() as u64)
            .map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn hash_at(bytes: &[u8], at: usize) -> Hash {
    Hash(bytes[at..at + 32].try_into().expect("32 bytes"))
}

fn take_u32(rest: &mut &[u8]) -> Option<u32> {
    let (head, tail) = rest.split_first_chunk::<4>()?;
    *rest = tail;
    Some(u32::from_le_bytes(*head))
}
