//! Sealed members: personal values the chain hashes as commitments (CONTRACT §12,
//! ops/decisions/0005).
//!
//! An event stored under the erasure scheme keeps each erasable value (`case_ref`, `note`,
//! `data.person_ref`) out of what is hashed: the hash covers SHA-256(salt || value), the
//! commitment. The value and its salt are kept encrypted by the store, under a key of their
//! own; destroying the key erases the value and leaves the chain intact. This module is pure:
//! the salts, the pseudonym and the ciphertexts come from outside (src/store/keys.rs).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalogue::EventData;
use crate::stored::{Hash, StoredEvent};

/// The length of a salt, in bytes.
pub const SALT_BYTES: usize = 32;

/// A member that can hold personal data and so is stored sealed. Encoded by index in format-3
/// records: append new members at the end, never reorder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Erasable {
    CaseRef,
    Note,
    PersonRef,
}

impl Erasable {
    pub const ALL: [Erasable; 3] = [Erasable::CaseRef, Erasable::Note, Erasable::PersonRef];

    /// The member's name as problems and erasure requests name it.
    pub fn path(self) -> &'static str {
        match self {
            Erasable::CaseRef => "case_ref",
            Erasable::Note => "note",
            Erasable::PersonRef => "data.person_ref",
        }
    }

    pub fn from_path(path: &str) -> Option<Self> {
        Erasable::ALL
            .into_iter()
            .find(|member| member.path() == path)
    }

    /// Which of an event's three key slots the member's key is kept in: `case_ref`, `note`,
    /// and the one erasable member of the event's payload.
    pub fn slot(self) -> usize {
        match self {
            Erasable::CaseRef => 0,
            Erasable::Note => 1,
            Erasable::PersonRef => 2,
        }
    }

    /// The member's value in `event`, if it has one.
    pub fn value(self, event: &StoredEvent) -> Option<&str> {
        match (self, &event.data) {
            (Erasable::CaseRef, _) => event.case_ref.as_deref(),
            (Erasable::Note, _) => event.note.as_deref(),
            (Erasable::PersonRef, EventData::PersonPlacedInEmployment(placed)) => {
                Some(&placed.person_ref)
            }
            (Erasable::PersonRef, _) => None,
        }
    }

    /// Puts a value back into `event` (an opened member).
    pub fn set(self, event: &mut StoredEvent, value: String) {
        match (self, &mut event.data) {
            (Erasable::CaseRef, _) => event.case_ref = Some(value),
            (Erasable::Note, _) => event.note = Some(value),
            (Erasable::PersonRef, EventData::PersonPlacedInEmployment(placed)) => {
                placed.person_ref = value
            }
            (Erasable::PersonRef, _) => {}
        }
    }

    /// Takes the value out of `event`: what the codec writes to the log in its place.
    pub fn blank(self, event: &mut StoredEvent) {
        match (self, &mut event.data) {
            (Erasable::CaseRef, _) => event.case_ref = None,
            (Erasable::Note, _) => event.note = None,
            (Erasable::PersonRef, EventData::PersonPlacedInEmployment(placed)) => {
                placed.person_ref.clear()
            }
            (Erasable::PersonRef, _) => {}
        }
    }
}

/// One sealed member of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub member: Erasable,
    /// SHA-256(salt || UTF-8 value): what the chain hashes.
    pub commitment: Hash,
    /// For `data.person_ref`: the keyed pseudonym of the person, hashed, so an erased reference
    /// still counts as the same person.
    pub pseudonym: Option<Hash>,
    /// The AEAD ciphertext of salt || value, as the log keeps it; empty where the event was
    /// read from JSON or the member was erased before an import.
    pub ciphertext: Vec<u8>,
    /// The salt, when the member is open (its value is in the event); `None` when erased.
    /// Never stored by the codec: it travels inside the ciphertext.
    #[serde(skip)]
    pub salt: Option<[u8; SALT_BYTES]>,
}

impl Sealed {
    pub fn is_open(&self) -> bool {
        self.salt.is_some()
    }
}

/// What an event carries beside its hashed fields: its sealed members, and the person it
/// counts for. Never encoded as part of the event (the codec writes the members itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sealing {
    /// In `Erasable` order; empty for an event stored before the scheme.
    pub members: Vec<Sealed>,
    /// The keyed pseudonym the projections count a placement's person by; set by the store
    /// (for an old event, from its plaintext). `None`: count by `person_ref` itself.
    pub person: Option<Hash>,
}

impl Sealing {
    pub fn is_sealed(&self) -> bool {
        !self.members.is_empty()
    }

    pub fn member(&self, member: Erasable) -> Option<&Sealed> {
        self.members.iter().find(|sealed| sealed.member == member)
    }
}

/// What the writer hands to `StoredEvent::seal_with` for a new event: fresh random salts, one
/// per member, and the pseudonym of its person_ref, if it has one.
#[derive(Clone, Debug)]
pub struct Secrets {
    pub salts: [[u8; SALT_BYTES]; 3],
    pub pseudonym: Option<Hash>,
}

/// SHA-256(salt || UTF-8 bytes of value).
pub fn commit(salt: &[u8; SALT_BYTES], value: &str) -> Hash {
    let mut digest = Sha256::new();
    digest.update(salt);
    digest.update(value.as_bytes());
    Hash(digest.finalize().into())
}

/// Seals every erasable member `event` has a value in.
pub(crate) fn seal(event: &mut StoredEvent, secrets: &Secrets) {
    let members = Erasable::ALL
        .into_iter()
        .filter_map(|member| {
            let value = member.value(event)?;
            let salt = secrets.salts[member.slot()];
            Some(Sealed {
                member,
                commitment: commit(&salt, value),
                pseudonym: (member == Erasable::PersonRef)
                    .then_some(secrets.pseudonym)
                    .flatten(),
                ciphertext: Vec::new(),
                salt: Some(salt),
            })
        })
        .collect();
    event.sealing.members = members;
    if event.sealing.person.is_none() {
        event.sealing.person = secrets.pseudonym;
    }
}

/// Adds the `sealed` member to the event's JSON and writes each erased member as `null`;
/// `hashed` leaves out the values and salts altogether: the form the hash is over.
pub(crate) fn write_json(event: &StoredEvent, object: &mut serde_json::Value, hashed: bool) {
    let mut sealed = serde_json::Map::new();
    for member in &event.sealing.members {
        if hashed || !member.is_open() {
            set_null(object, member.member);
        }
        let mut entry = serde_json::json!({
            "commitment": member.commitment.to_hex(),
            "pseudonym": member.pseudonym.map(Hash::to_hex),
        });
        if !hashed {
            entry["salt"] = member.salt.map(hex::encode).into();
        }
        sealed.insert(member.member.path().to_owned(), entry);
    }
    object["sealed"] = serde_json::Value::Object(sealed);
}

fn set_null(object: &mut serde_json::Value, member: Erasable) {
    match member.path().split_once('.') {
        Some((outer, inner)) => object[outer][inner] = serde_json::Value::Null,
        None => object[member.path()] = serde_json::Value::Null,
    }
}

/// Checks that every open member's value and salt give its commitment: what a verifier does
/// before hashing the hashed form. Names the member that does not.
pub fn check_commitments(event: &StoredEvent) -> Result<(), String> {
    for sealed in &event.sealing.members {
        let value = sealed.member.value(event);
        match (sealed.salt, value) {
            (Some(salt), Some(value)) if commit(&salt, value) == sealed.commitment => {}
            (Some(_), _) => {
                return Err(format!(
                    "{}: its value and salt do not give its commitment: it was changed",
                    sealed.member.path()
                ))
            }
            (None, _) => {}
        }
    }
    Ok(())
}
