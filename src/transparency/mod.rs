//! Transparency (CONTRACT §13): the Merkle tree over the log, its proofs, and checkpoints signed
//! as C2SP signed notes with the ledger's Ed25519 key.
//!
//! The tree (`impact_events::merkle::MerkleTree`) follows the durable head lazily: whoever asks
//! for a root or a proof first adds the events published since the last one (one leaf hash and,
//! amortised, one node hash each), so the writer does no hashing for it and a proof for an event
//! is there as soon as its append was answered. A background thread builds it after a start.
//! The tree keeps the hashes of subtrees of 256 leaves and more (about 256 KB at 1M events); a
//! proof recomputes the lower levels it needs from the event hashes the read model holds.
//!
//! The checkpoint key is made on first use and kept 0600 in `checkpoint-key.json` beside
//! `tokens.json`, so the server and the offline `report` command sign alike; Ed25519 is
//! deterministic, so the same tree size always gives the same signed note.

pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use impact_events::merkle::{self, Leaves, MerkleTree, ProofError, Source};
use impact_events::Hash;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Ledger, ReadModel, StoreError};
use crate::vault::dir::DirVault;
use crate::vault::Vault;

/// The C2SP signature type of Ed25519 signed notes.
const ED25519: u8 = 0x01;
/// The file of the checkpoint key, in the data dir.
const KEY_FILE: &str = "checkpoint-key.json";
/// The key's record in the vault (`KEY_FILE` in a data dir).
const KEY_RECORD: &str = "checkpoint-key";
/// The last checkpoint signed at a start, checked against the tree at the next start.
const LAST_FILE: &str = "checkpoint-last.txt";
/// Event hashes copied out of the read model per lock while the tree catches up.
const CATCH_UP_CHUNK: u64 = 4096;

/// Why a tree size, a position or a checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransparencyError {
    #[error("a tree size must be 1 or more: a tree of 0 events proves nothing")]
    EmptyTree,
    #[error("tree size {size} is beyond the head of the log ({head} events)")]
    BeyondHead { size: u64, head: u64 },
    #[error("position {position} is not inside a tree of {size} events (positions 1 to {size})")]
    PositionOutside { position: u64, size: u64 },
    #[error("`from` ({from}) must not be larger than `to` ({to})")]
    Reversed { from: u64, to: u64 },
    #[error("{0}")]
    Checkpoint(String),
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key file: the log's name (the checkpoints' origin and the key name) and its secret.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    name: String,
    ed25519_seed_hex: String,
}

/// The ledger's checkpoint signing key and the name it signs under.
pub struct CheckpointKey {
    name: String,
    signing: SigningKey,
}

impl CheckpointKey {
    /// Reads the key of the data dir `dir`; an error if it has none.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(KEY_FILE);
        let bytes = std::fs::read(&path).map_err(|error| {
            anyhow::anyhow!(
                "cannot read the checkpoint key {} ({error}); give the ledger's public key with --key",
                path.display()
            )
        })?;
        Ok(Self::parse(&bytes)?)
    }

    /// Reads the key of the data dir `dir`, making it first if there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self, StoreError> {
        Self::open_or_create_in(&DirVault::new(dir))
    }

    /// Reads the key kept in `vault` (the data dir's file, or the cluster's bucket), making
    /// it first if there is none. Two servers making it at once keep the one written first.
    pub fn open_or_create_in(vault: &dyn Vault) -> Result<Self, StoreError> {
        for _ in 0..2 {
            match vault.read(KEY_RECORD)? {
                Some(record) => return Self::parse(&record.value),
                None => {
                    if let Some(key) = Self::create(vault)? {
                        return Ok(key);
                    }
                }
            }
        }
        Err(StoreError::Unavailable(
            "the checkpoint key was made elsewhere but cannot be read".to_owned(),
        ))
    }

    fn parse(bytes: &[u8]) -> Result<Self, StoreError> {
        let invalid = |reason: String| StoreError::Open(KEY_FILE.into(), reason);
        let file: KeyFile = serde_json::from_slice(bytes)
            .map_err(|error| invalid(format!("not a checkpoint key file: {error}")))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(&file.ed25519_seed_hex, &mut seed)
            .map_err(|_| invalid("`ed25519_seed_hex` is not 64 hex digits".to_owned()))?;
        check_key_name(&file.name).map_err(invalid)?;
        Ok(CheckpointKey {
            name: file.name,
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// A new random key, named `impact-ledger/<16 hex digits of its public key's SHA-256>`;
    /// `None` when another server wrote one first.
    fn create(vault: &dyn Vault) -> Result<Option<Self>, StoreError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
        let signing = SigningKey::from_bytes(&seed);
        let public = Sha256::digest(signing.verifying_key().as_bytes());
        let name = format!("impact-ledger/{}", hex::encode(&public[..8]));
        let file = KeyFile {
            name: name.clone(),
            ed25519_seed_hex: hex::encode(seed),
        };
        let bytes = serde_json::to_vec_pretty(&file).expect("a key file serializes");
        if !vault.write(KEY_RECORD, &bytes, None)? {
            return Ok(None);
        }
        tracing::info!(%name, "made the checkpoint signing key");
        Ok(Some(CheckpointKey { name, signing }))
    }

    /// The log's name: the origin line of its checkpoints and the key name of its signatures.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The C2SP note-verifier string: `<name>+<hex key id>+<base64(0x01 || public key)>`.
    pub fn verifier(&self) -> String {
        NoteVerifier {
            name: self.name.clone(),
            key: self.signing.verifying_key(),
        }
        .to_string()
    }

    /// The checkpoint of a tree as a signed note: its text, a blank line, one signature line.
    pub fn sign(&self, size: u64, root: &Hash) -> String {
        let text = checkpoint_text(&self.name, size, root);
        let signature = self.signing.sign(text.as_bytes());
        let verifier = NoteVerifier {
            name: self.name.clone(),
            key: self.signing.verifying_key(),
        };
        let mut signed = verifier.key_id().to_vec();
        signed.extend_from_slice(&signature.to_bytes());
        format!("{text}\n— {} {}\n", self.name, BASE64.encode(signed))
    }
}

/// Key names must be non-empty, without spaces or `+` (C2SP signed-note).
fn check_key_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+');
    valid
        .then_some(())
        .ok_or_else(|| format!("`{name}` is not a key name: no spaces or `+`, not empty"))
}

/// The C2SP tlog-checkpoint text: origin, tree size, base64 root hash, each on its line.
fn checkpoint_text(origin: &str, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", BASE64.encode(root.0))
}

/// Writes a file only the service's user may read, atomically, as the token file is written.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    crate::auth::write_private_file(path, bytes).map_err(|error| StoreError::io(path, error))
}

/// A public key that verifies checkpoints: what `GET /api/v1/checkpoint/key` gives.
#[derive(Clone, Debug)]
pub struct NoteVerifier {
    pub name: String,
    pub key: VerifyingKey,
}

/// A checkpoint whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl NoteVerifier {
    /// The key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
    pub fn key_id(&self) -> [u8; 4] {
        let mut hasher = Sha256::new();
        hasher.update(self.name.as_bytes());
        hasher.update([b'\n', ED25519]);
        hasher.update(self.key.as_bytes());
        let digest = hasher.finalize();
        [digest[0], digest[1], digest[2], digest[3]]
    }

    /// Reads a note-verifier string `<name>+<hex key id>+<base64(0x01 || public key)>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // The name and the key id hold no `+`; the base64 key may.
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let [name, id, key] = parts[..] else {
            return Err("a verifier key is `<name>+<key id>+<base64 key>`".to_owned());
        };
        check_key_name(name)?;
        let key = BASE64
            .decode(key)
            .map_err(|_| "the verifier key's last part is not base64".to_owned())?;
        let Some((&ED25519, public)) = key.split_first() else {
            return Err("the verifier key is not an Ed25519 key (type 0x01)".to_owned());
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| "the verifier key is not a valid Ed25519 point".to_owned())?;
        let verifier = NoteVerifier {
            name: name.to_owned(),
            key,
        };
        if hex::encode(verifier.key_id()) != id {
            return Err(format!(
                "the key id {id} does not belong to this name and key"
            ));
        }
        Ok(verifier)
    }

    /// Checks a signed checkpoint: a signature line of this key that verifies, and a text
    /// that is a checkpoint.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, String> {
        parse_checkpoint(self.verify_note(note)?)
    }

    /// Checks a signed note: a signature line of this key that verifies; returns its text.
    pub fn verify_note<'a>(&self, note: &'a str) -> Result<&'a str, String> {
        let Some(split) = note.rfind("\n\n") else {
            return Err("not a signed note: no blank line before the signatures".to_owned());
        };
        let (text, signatures) = (&note[..=split], &note[split + 2..]);
        let prefix = format!("— {} ", self.name);
        let mut known = 0;
        for line in signatures.lines() {
            let Some(encoded) = line.strip_prefix(&prefix) else {
                continue;
            };
            let bytes = BASE64.decode(encoded).unwrap_or_default();
            if bytes.len() != 68 || bytes[..4] != self.key_id() {
                continue;
            }
            known += 1;
            let signature = ed25519_dalek::Signature::from_slice(&bytes[4..])
                .map_err(|_| "a signature line cannot be read".to_owned())?;
            if self.key.verify(text.as_bytes(), &signature).is_err() {
                return Err("the signature does not match the checkpoint: its text was changed after signing".to_owned());
            }
        }
        if known == 0 {
            return Err(format!(
                "the checkpoint is not signed by the key {self}: it was signed by another key"
            ));
        }
        Ok(text)
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut key = vec![ED25519];
        key.extend_from_slice(self.key.as_bytes());
        let id = hex::encode(self.key_id());
        write!(formatter, "{}+{id}+{}", self.name, BASE64.encode(key))
    }
}

/// Reads the text of a checkpoint: origin, size, base64 root.
fn parse_checkpoint(text: &str) -> Result<Checkpoint, String> {
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err("a checkpoint has three lines: origin, tree size, root hash".to_owned());
    };
    let size = size
        .parse::<u64>()
        .map_err(|_| format!("the tree size `{size}` is not a number"))?;
    let root: [u8; 32] = BASE64
        .decode(root)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| "the root hash is not 32 bytes of base64".to_owned())?;
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root: Hash(root),
    })
}

/// The tree and the key, kept by the `Ledger`.
pub struct Transparency {
    pub key: CheckpointKey,
    tree: Mutex<MerkleTree>,
    dir: PathBuf,
}

/// The read model's event hashes as the tree's leaves (leaf index N is position N + 1).
struct EventHashes<'a>(&'a ReadModel);

impl Leaves for EventHashes<'_> {
    fn leaf_hashes(&self, start: u64, end: u64, out: &mut Vec<Hash>) {
        for position in start + 1..=end {
            let hash = self
                .0
                .projection
                .hash_at(position)
                .expect("a durable event");
            out.push(merkle::leaf_hash(&hash.0));
        }
    }
}

impl Transparency {
    /// The tree, with the key kept in `vault`; `dir` keeps the last checkpoint of this server.
    pub fn open(dir: &Path, vault: &dyn Vault) -> Result<Self, StoreError> {
        Ok(Transparency {
            key: CheckpointKey::open_or_create_in(vault)?,
            tree: Mutex::new(MerkleTree::default()),
            dir: dir.to_owned(),
        })
    }
}

/// A proof that the event at `position` is in the tree of `tree_size` events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub position: u64,
    /// `position - 1`: RFC 9162 counts leaves from 0.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// SHA-256(0x00 || the event's 32-byte hash), lowercase hex.
    pub leaf_hash: String,
    /// The audit path, from the leaf's sibling up, lowercase hex.
    pub hashes: Vec<String>,
}

/// A proof that the tree of `from` events is a prefix of the tree of `to` events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    /// RFC 9162 PROOF(from, D[to]), lowercase hex; empty when `from` equals `to`.
    pub hashes: Vec<String>,
}

fn hexes(hashes: Vec<Hash>) -> Vec<String> {
    hashes.into_iter().map(Hash::to_hex).collect()
}

impl Ledger {
    /// The tree caught up to the durable head, and the read model for its lower levels.
    ///
    /// Lock order: the tree, then the read model (never the other way round).
    fn tree(&self) -> MutexGuard<'_, MerkleTree> {
        let mut tree = self.transparency.tree.lock().expect("tree lock");
        let head = self.durable_position();
        let mut events = Vec::new();
        while tree.size() < head {
            let until = head.min(tree.size() + CATCH_UP_CHUNK);
            // Copy the event hashes under the read lock and hash them after it: the writer's
            // publish waits for the lock, never for the hashing.
            events.clear();
            self.with_read(|read| {
                for position in tree.size() + 1..=until {
                    events.push(read.projection.hash_at(position).expect("a durable event"));
                }
            });
            for event in &events {
                tree.push(merkle::leaf_hash(&event.0));
            }
        }
        tree
    }

    /// Answers from the tree caught up to the head, with the read model's event hashes as
    /// the leaves it does not keep.
    fn with_tree<T>(
        &self,
        answer: impl FnOnce(&Source<'_, EventHashes<'_>>, &ReadModel) -> T,
    ) -> T {
        let tree = self.tree();
        self.with_read(|read| answer(&tree.with(&EventHashes(read)), read))
    }

    /// Refuses a tree size of 0 or beyond the durable head.
    fn check_size(&self, size: u64) -> Result<(), TransparencyError> {
        let head = self.durable_position();
        match size {
            0 => Err(TransparencyError::EmptyTree),
            size if size > head => Err(TransparencyError::BeyondHead { size, head }),
            _ => Ok(()),
        }
    }

    /// The root hash of the tree of the first `size` events (the empty root for 0).
    pub fn tree_root(&self, size: u64) -> Result<Hash, TransparencyError> {
        if size != 0 {
            self.check_size(size)?;
        }
        Ok(self.with_tree(|tree, _| merkle::root(tree, size)))
    }

    /// The signed checkpoint of the tree of `size` events (the head when `None`; an empty
    /// log has a checkpoint of size 0).
    pub fn checkpoint(&self, size: Option<u64>) -> Result<String, TransparencyError> {
        let size = size.unwrap_or_else(|| self.durable_position());
        let root = self.tree_root(size)?;
        Ok(self.transparency.key.sign(size, &root))
    }

    pub fn inclusion_proof(
        &self,
        position: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, TransparencyError> {
        self.check_size(tree_size)?;
        if position == 0 || position > tree_size {
            return Err(TransparencyError::PositionOutside {
                position,
                size: tree_size,
            });
        }
        let (event, hashes) = self.with_tree(|tree, read| {
            let event = read.projection.hash_at(position).expect("a durable event");
            (event, merkle::path(tree, position - 1, tree_size))
        });
        Ok(InclusionProof {
            position,
            leaf_index: position - 1,
            tree_size,
            leaf_hash: merkle::leaf_hash(&event.0).to_hex(),
            hashes: hexes(hashes),
        })
    }

    pub fn consistency_proof(
        &self,
        from: u64,
        to: u64,
    ) -> Result<ConsistencyProof, TransparencyError> {
        self.check_size(from)?;
        self.check_size(to)?;
        if from > to {
            return Err(TransparencyError::Reversed { from, to });
        }
        let hashes = self.with_tree(|tree, _| merkle::proof(tree, from, to));
        Ok(ConsistencyProof {
            from,
            to,
            hashes: hexes(hashes),
        })
    }

    /// Checks a signed checkpoint of this ledger against its log: signed by its key, a size
    /// not beyond the head, the same root at that size. Returns the checkpoint.
    pub fn check_checkpoint(&self, note: &str) -> Result<Checkpoint, TransparencyError> {
        let verifier = NoteVerifier::parse(&self.transparency.key.verifier())
            .map_err(TransparencyError::Checkpoint)?;
        let checkpoint = verifier
            .verify(note)
            .map_err(TransparencyError::Checkpoint)?;
        let root = self.tree_root(checkpoint.size)?;
        if root != checkpoint.root {
            return Err(TransparencyError::Checkpoint(format!(
                "the log's tree of {} events has the root {}, not the checkpoint's {}: \
                 the history behind the checkpoint was changed",
                checkpoint.size,
                BASE64.encode(root.0),
                BASE64.encode(checkpoint.root.0)
            )));
        }
        Ok(checkpoint)
    }

    /// After a start: builds the tree, checks the checkpoint remembered at the last start
    /// against it, and remembers the head's. A mismatch means the log was rewritten between
    /// the two starts.
    pub fn build_and_check_tree(&self) -> Result<(), TransparencyError> {
        let started = std::time::Instant::now();
        let head = self.durable_position();
        let kept = self.tree().kept_hashes();
        tracing::info!(
            events = head,
            kept_hashes = kept,
            seconds = started.elapsed().as_secs_f64(),
            "built the Merkle tree"
        );
        let last = self.transparency.dir.join(LAST_FILE);
        match std::fs::read_to_string(&last) {
            Ok(note) => {
                let checkpoint = self.check_checkpoint(&note)?;
                tracing::info!(
                    size = checkpoint.size,
                    "the checkpoint of the last start still holds"
                );
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(StoreError::io(&last, error).into()),
        }
        let note = self.checkpoint(None)?;
        write_private(&last, note.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the C2SP signed-note specification: its verifier key and signed note.
    const EXAMPLE_KEY: &str =
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const EXAMPLE_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    #[test]
    fn the_specification_example_verifies_and_a_changed_text_does_not() {
        let verifier = NoteVerifier::parse(EXAMPLE_KEY).expect("the example key reads");
        assert_eq!(verifier.to_string(), EXAMPLE_KEY);
        assert_eq!(
            verifier.verify_note(EXAMPLE_NOTE),
            Ok("This is an example message.\n")
        );
        let changed = EXAMPLE_NOTE.replace("example message", "example massage");
        assert!(verifier
            .verify_note(&changed)
            .unwrap_err()
            .contains("changed after signing"));
    }

    #[test]
    fn a_made_key_signs_checkpoints_its_verifier_reads_and_no_other_key_does() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let key = CheckpointKey::open_or_create(dir.path()).expect("a key");
        let again = CheckpointKey::open_or_create(dir.path()).expect("the same key");
        assert_eq!(key.verifier(), again.verifier());
        let note = key.sign(42, &Hash([7; 32]));
        assert_eq!(
            note,
            again.sign(42, &Hash([7; 32])),
            "Ed25519 is deterministic"
        );
        let verifier = NoteVerifier::parse(&key.verifier()).expect("its verifier");
        let checkpoint = verifier.verify(&note).expect("it verifies");
        assert_eq!(
            (checkpoint.origin.as_str(), checkpoint.size, checkpoint.root),
            (key.name(), 42, Hash([7; 32]))
        );
        let other = NoteVerifier::parse(EXAMPLE_KEY).expect("another key");
        assert!(other
            .verify(&note)
            .unwrap_err()
            .contains("signed by another key"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
