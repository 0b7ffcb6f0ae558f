//! The keys of sealed members, kept apart from the log (CONTRACT §12, ops/decisions/0005).
//!
//! One 32-byte key per sealed member of one event; destroying it erases the member's value
//! (crypto-shredding). `KeyStore` is the seam; `FileKeys` keeps the keys in `DATA/keys/`:
//! `member-keys` holds three 32-byte slots per log position, overwritten with zeros in place
//! when erased, and `pepper` the secret of the person pseudonyms, written once.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use impact_events::{Erasable, Hash};
use sha2::Sha256;

use super::StoreError;

/// A member's key: 32 random bytes. All zeros is never a key: it marks an empty slot.
pub type MemberKey = [u8; KEY_BYTES];

pub const KEY_BYTES: usize = 32;

/// Where the keys of the data dir live: `DATA/keys/`.
pub fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

/// What the ledger needs from wherever the keys of sealed members are kept.
pub trait KeyStore: Send + Sync {
    /// Stores fresh keys durably: when it returns, a crash does not lose them.
    fn store(&self, keys: &[(u64, Erasable, MemberKey)]) -> Result<(), StoreError>;

    /// The key of one member of the event at `position`; `None` when it was destroyed (or
    /// never made).
    fn key(&self, position: u64, member: Erasable) -> Result<Option<MemberKey>, StoreError>;

    /// Destroys keys durably: when it returns, the keys are gone from every file.
    fn destroy(&self, members: &[(u64, Erasable)]) -> Result<(), StoreError>;

    /// Drops every key of positions after `head`: keys of an append a crash cut short.
    fn cut_after(&self, head: u64) -> Result<(), StoreError>;

    /// The keyed pseudonym of a person: HMAC-SHA256 under the pepper of the reference as
    /// CONTRACT §8 compares it (trimmed, upper case).
    fn pseudonym(&self, person_ref: &str) -> Hash;
}

/// The header of `member-keys`; the slots follow it.
const HEADER: &[u8; 64] = b"impact-ledger member keys, format 1; 3 slots of 32 bytes each\n\n\n";
const SLOTS_PER_POSITION: u64 = 3;

/// The keys in files of the data dir.
pub struct FileKeys {
    path: PathBuf,
    file: File,
    pepper: [u8; 32],
}

impl FileKeys {
    /// Opens `DATA/keys/`, creating it (mode 0700), the pepper and the key file if missing.
    pub fn open(data: &Path) -> Result<Self, StoreError> {
        let dir = keys_dir(data);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|error| StoreError::io(&dir, error))?;
        let pepper = open_pepper(&dir)?;
        let path = dir.join("member-keys");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|error| StoreError::io(&path, error))?;
        let io = |error| StoreError::io(&path, error);
        let length = file.metadata().map_err(io)?.len();
        if length == 0 {
            file.write_all_at(HEADER, 0).map_err(io)?;
            file.sync_all().map_err(io)?;
            super::sync_path(&dir)?;
        }
        Ok(FileKeys { path, file, pepper })
    }

    fn offset(position: u64, member: Erasable) -> u64 {
        let slot = (position - 1) * SLOTS_PER_POSITION + member.slot() as u64;
        HEADER.len() as u64 + slot * KEY_BYTES as u64
    }

    fn io(&self) -> impl Fn(std::io::Error) -> StoreError + '_ {
        |error| StoreError::io(&self.path, error)
    }

    fn write_slots<'k>(
        &self,
        slots: impl Iterator<Item = (u64, Erasable, &'k MemberKey)>,
    ) -> Result<(), StoreError> {
        for (position, member, key) in slots {
            let offset = Self::offset(position, member);
            self.file.write_all_at(key, offset).map_err(self.io())?;
        }
        self.file.sync_data().map_err(self.io())
    }
}

/// Reads the pepper, or makes one: written once, atomically (temporary file, fsync, rename,
/// fsync of the dir), never changed.
fn open_pepper(dir: &Path) -> Result<[u8; 32], StoreError> {
    let path = dir.join("pepper");
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| StoreError::Corrupt {
            position: 0,
            reason: format!(
                "{} is not 32 bytes: restore it from the backup",
                path.display()
            ),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut pepper = [0; 32];
            getrandom::fill(&mut pepper)
                .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
            crate::auth::write_private_file(&path, &pepper)
                .map_err(|error| StoreError::io(&path, error))?;
            Ok(pepper)
        }
        Err(error) => Err(StoreError::io(&path, error)),
    }
}

impl KeyStore for FileKeys {
    fn store(&self, keys: &[(u64, Erasable, MemberKey)]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.write_slots(
            keys.iter()
                .map(|(position, member, key)| (*position, *member, key)),
        )
    }

    fn key(&self, position: u64, member: Erasable) -> Result<Option<MemberKey>, StoreError> {
        let mut key = [0; KEY_BYTES];
        match self
            .file
            .read_exact_at(&mut key, Self::offset(position, member))
        {
            Ok(()) => Ok((key != [0; KEY_BYTES]).then_some(key)),
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(error) => Err(self.io()(error)),
        }
    }

    fn destroy(&self, members: &[(u64, Erasable)]) -> Result<(), StoreError> {
        let zeros = [0; KEY_BYTES];
        self.write_slots(
            members
                .iter()
                .map(|(position, member)| (*position, *member, &zeros)),
        )
    }

    fn cut_after(&self, head: u64) -> Result<(), StoreError> {
        let end = HEADER.len() as u64 + head * SLOTS_PER_POSITION * KEY_BYTES as u64;
        let length = self.file.metadata().map_err(self.io())?.len();
        if length > end {
            self.file.set_len(end).map_err(self.io())?;
            self.file.sync_all().map_err(self.io())?;
        }
        Ok(())
    }

    fn pseudonym(&self, person_ref: &str) -> Hash {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.pepper).expect("HMAC takes a key of any length");
        mac.update(person_ref.trim().to_uppercase().as_bytes());
        Hash(mac.finalize().into_bytes().into())
    }
}
