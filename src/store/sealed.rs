//! The key layer between the ledger and the engine that keeps its log (ops/decisions/0005).
//!
//! `SealedStore` wraps any `Store`. Appending, it encrypts each open sealed member of an event
//! (ChaCha20-Poly1305 under a fresh key of its own, the associated data the event's id and the
//! member's path) and stores the keys durably **before** the engine appends: no plaintext of
//! a sealed member reaches the engine, and no acknowledged event lacks its keys. Reading, it
//! opens each sealed member whose key still exists, and gives every placement the pseudonym of
//! its person (an old event's computed from its plaintext), so the projections count by it.

use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use impact_events::sealing::SALT_BYTES;
use impact_events::{Erasable, EventData, StoredEvent};

use super::backend::{Events, Head, Store};
use super::member_keys::{KeyStore, MemberKey, KEY_BYTES};
use super::StoreError;

/// Keys made for an append: each member's position, member and key.
type NewKeys = Vec<(u64, Erasable, MemberKey)>;

/// A `Store` whose sealed members are encrypted on the way in and opened on the way out.
pub struct SealedStore {
    inner: Box<dyn Store>,
    keys: Arc<dyn KeyStore>,
}

impl SealedStore {
    pub fn new(inner: Box<dyn Store>, keys: Arc<dyn KeyStore>) -> Self {
        SealedStore { inner, keys }
    }

    /// The engine below, for tools that must name it (`&dyn Any` downcasts).
    pub fn inner(&self) -> &dyn Store {
        self.inner.as_ref()
    }

    /// Opens what can be opened of a stored event; an erased member stays empty.
    fn open(&self, mut event: StoredEvent) -> Result<StoredEvent, StoreError> {
        let mut opened = Vec::new();
        for sealed in &event.sealing.members {
            if sealed.is_open() || sealed.ciphertext.is_empty() {
                continue;
            }
            let Some(key) = self.keys.key(event.position, sealed.member)? else {
                continue;
            };
            let plain = decrypt(&key, &event, sealed.member, &sealed.ciphertext)?;
            opened.push((sealed.member, plain));
        }
        for (member, (salt, value)) in opened {
            member.set(&mut event, value);
            let sealed = event
                .sealing
                .members
                .iter_mut()
                .find(|sealed| sealed.member == member);
            sealed.expect("opened from the event's own members").salt = Some(salt);
        }
        if event.sealing.person.is_none() {
            if let EventData::PersonPlacedInEmployment(placed) = &event.data {
                event.sealing.person = Some(self.keys.pseudonym(&placed.person_ref));
            }
        }
        Ok(event)
    }

    /// The events as the engine keeps them: each open member encrypted under a new key, and
    /// the keys to store first.
    fn encrypt(&self, events: &[StoredEvent]) -> Result<(Vec<StoredEvent>, NewKeys), StoreError> {
        let mut keys = Vec::new();
        let mut encrypted = events.to_vec();
        for event in &mut encrypted {
            let members = std::mem::take(&mut event.sealing.members);
            let mut sealed_members = Vec::with_capacity(members.len());
            for mut sealed in members {
                if let (Some(salt), true) = (sealed.salt, sealed.ciphertext.is_empty()) {
                    let key = fresh_key()?;
                    let value = sealed.member.value(event).unwrap_or_default();
                    sealed.ciphertext = encrypt(&key, event, sealed.member, &salt, value);
                    keys.push((event.position, sealed.member, key));
                }
                sealed_members.push(sealed);
            }
            event.sealing.members = sealed_members;
        }
        Ok((encrypted, keys))
    }
}

/// Whether a sealed `data.person_ref` has the pseudonym this data dir's pepper gives its value
/// (an event without one has nothing to compare). An export's pseudonyms made under another
/// pepper would count one person twice: import refuses them (ops/decisions/0005).
pub fn pseudonym_is_ours(keys: &dyn KeyStore, event: &StoredEvent) -> bool {
    let Some(sealed) = event.sealing.member(Erasable::PersonRef) else {
        return true;
    };
    match (
        sealed.pseudonym,
        sealed.is_open(),
        Erasable::PersonRef.value(event),
    ) {
        (Some(pseudonym), true, Some(value)) => pseudonym == keys.pseudonym(value),
        _ => true,
    }
}

fn fresh_key() -> Result<MemberKey, StoreError> {
    let mut key = [0; KEY_BYTES];
    while key == [0; KEY_BYTES] {
        getrandom::fill(&mut key)
            .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
    }
    Ok(key)
}

/// The associated data: a ciphertext opens only in its own event and member.
fn associated(event: &StoredEvent, member: Erasable) -> Vec<u8> {
    let mut data = event.id.as_bytes().to_vec();
    data.extend_from_slice(member.path().as_bytes());
    data
}

/// Each key encrypts one message only, so the nonce can be constant (ops/decisions/0005).
const NONCE: [u8; 12] = [0; 12];

fn encrypt(
    key: &MemberKey,
    event: &StoredEvent,
    member: Erasable,
    salt: &[u8; SALT_BYTES],
    value: &str,
) -> Vec<u8> {
    let mut message = Vec::with_capacity(SALT_BYTES + value.len());
    message.extend_from_slice(salt);
    message.extend_from_slice(value.as_bytes());
    let aad = associated(event, member);
    let payload = Payload {
        msg: &message,
        aad: &aad,
    };
    ChaCha20Poly1305::new(key.into())
        .encrypt(Nonce::from_slice(&NONCE), payload)
        .expect("ChaCha20-Poly1305 encrypts any message below 256 GiB")
}

fn decrypt(
    key: &MemberKey,
    event: &StoredEvent,
    member: Erasable,
    ciphertext: &[u8],
) -> Result<([u8; SALT_BYTES], String), StoreError> {
    let corrupt = |reason: &str| StoreError::Corrupt {
        position: event.position,
        reason: format!("{} {reason}", member.path()),
    };
    let aad = associated(event, member);
    let payload = Payload {
        msg: ciphertext,
        aad: &aad,
    };
    let message = ChaCha20Poly1305::new(key.into())
        .decrypt(Nonce::from_slice(&NONCE), payload)
        .map_err(|_| {
            corrupt("does not open with its key: the key file does not belong to this log")
        })?;
    let (salt, value) = message
        .split_at_checked(SALT_BYTES)
        .ok_or_else(|| corrupt("opens shorter than its salt"))?;
    let value = String::from_utf8(value.to_vec())
        .map_err(|_| corrupt("opens to text that is not UTF-8"))?;
    Ok((salt.try_into().expect("split at the salt's length"), value))
}

impl Store for SealedStore {
    fn append(
        &self,
        expected: u64,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError> {
        if !events.iter().any(|event| event.sealing.is_sealed()) {
            return self.inner.append(expected, events, sizes);
        }
        let (encrypted, keys) = self.encrypt(events)?;
        // The keys first: an event acknowledged is never without its keys.
        self.keys.store(&keys)?;
        self.inner.append(expected, &encrypted, sizes)
    }

    fn get(&self, position: u64) -> Result<Option<StoredEvent>, StoreError> {
        self.inner
            .get(position)?
            .map(|event| self.open(event))
            .transpose()
    }

    fn range(&self, after: u64, until: u64) -> Events<'_> {
        Box::new(
            self.inner
                .range(after, until)
                .map(move |event| event.and_then(|event| self.open(event))),
        )
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        self.inner.last_position()
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync()
    }

    fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }

    fn on_foreign_append(&self, wake: Box<dyn Fn() + Send + Sync>) {
        self.inner.on_foreign_append(wake)
    }

    fn messages_behind(&self) -> Result<Option<u64>, StoreError> {
        self.inner.messages_behind()
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.inner.head()
    }
}
