//! The vault in the data dir: one file `<name>.json` per record, mode 0600, replaced
//! atomically. The revision is the file's modification time in nanoseconds.
//!
//! Only one ledger server uses a data dir, and the offline commands write while it runs only
//! what it re-reads (the tokens), so a conditional write here checks the revision but does not
//! lock: two `token new` typed at the same instant are not a case to design for.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::{check_name, Vault, Versioned};
use crate::store::StoreError;

pub struct DirVault {
    dir: PathBuf,
}

impl DirVault {
    pub fn new(dir: &Path) -> Self {
        DirVault {
            dir: dir.to_owned(),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }
}

/// A file's modification time in nanoseconds (at least 1), as its revision.
fn revision_of(metadata: &std::fs::Metadata) -> u64 {
    let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX).max(1)
}

fn not_found(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::NotFound
}

impl Vault for DirVault {
    fn read(&self, name: &str) -> Result<Option<Versioned>, StoreError> {
        let path = self.path(name)?;
        let read = std::fs::File::open(&path).and_then(|file| {
            let revision = revision_of(&file.metadata()?);
            let mut value = Vec::new();
            std::io::Read::read_to_end(&mut &file, &mut value)?;
            Ok(Versioned { value, revision })
        });
        match read {
            Ok(record) => Ok(Some(record)),
            Err(error) if not_found(&error) => Ok(None),
            Err(error) => Err(StoreError::io(&path, error)),
        }
    }

    fn revision(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let path = self.path(name)?;
        match std::fs::metadata(&path) {
            Ok(metadata) => Ok(Some(revision_of(&metadata))),
            Err(error) if not_found(&error) => Ok(None),
            Err(error) => Err(StoreError::io(&path, error)),
        }
    }

    fn write(&self, name: &str, value: &[u8], expected: Option<u64>) -> Result<bool, StoreError> {
        let path = self.path(name)?;
        if self.revision(name)? != expected {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.dir).map_err(|error| StoreError::io(&self.dir, error))?;
        crate::auth::write_private_file(&path, value)
            .map_err(|error| StoreError::io(&path, error))?;
        Ok(true)
    }

    /// A file removed is gone (the data dir's backups are the operator's to erase).
    fn purge(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if not_found(&error) => Ok(()),
            Err(error) => Err(StoreError::io(&path, error)),
        }
    }

    fn is_shared(&self) -> bool {
        false
    }
}
