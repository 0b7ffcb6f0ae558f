//! What the ledger stores and returns (`StoredEvent`, CONTRACT §3.3), its canonical JSON and hash.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::canonical_json;
use crate::catalogue::{EventData, StreamId, SCHEMA};
use crate::input::NewEvent;
use crate::rules::PAYLOAD_INTEGER_MAX;
use crate::sealing::{self, Erasable, Sealed, Sealing, Secrets};
use crate::time::{format_date, parse_date, RecordedAt};

/// A SHA-256 digest; written as 64 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of the first event: 64 zeros.
    pub const GENESIS: Hash = Hash([0; 32]);

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Result<Self, String> {
        let lower = text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        let mut bytes = [0; 32];
        match hex::decode_to_slice(text, &mut bytes) {
            Ok(()) if lower => Ok(Hash(bytes)),
            _ => Err(format!("`{text}` is not 64 lower-case hex digits")),
        }
    }
}

/// Room for the canonical JSON of an ordinary event (530 to 760 bytes with its hash in the
/// tests' events), so writing one does not grow the buffer.
const CANONICAL_BYTES_TYPICAL: usize = 1024;

/// One event as the ledger stored it: never changed after it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub position: u64,
    pub id: Uuid,
    pub stream: StreamId,
    pub version: u64,
    pub schema: u16,
    pub occurred_on: NaiveDate,
    pub recorded_at: RecordedAt,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub case_ref: Option<String>,
    pub note: Option<String>,
    pub data: EventData,
    pub prev_hash: Hash,
    pub hash: Hash,
    /// Its sealed members and the person it counts for (ops/decisions/0005): beside the event,
    /// never encoded with it (`codec.rs` writes the members of a format-3 record itself).
    #[serde(skip)]
    pub sealing: Sealing,
}

/// Where an accepted event goes and who sent it: what the writer adds to a `NewEvent`.
#[derive(Clone, Debug)]
pub struct Placement {
    pub position: u64,
    pub stream: StreamId,
    pub version: u64,
    pub recorded_at: RecordedAt,
    pub actor: String,
    pub prev_hash: Hash,
}

impl StoredEvent {
    /// Seals an accepted event as events were sealed before erasure existed: its plaintext is
    /// hashed. For tests and tools that build old logs; the writer uses `seal_with`.
    pub fn seal(event: NewEvent, placement: Placement) -> Self {
        Self::seal_with(event, placement, None)
    }

    /// Seals an accepted event: fills in the envelope, seals its erasable members under the
    /// given salts (when `secrets` is given, CONTRACT §12) and computes its hash.
    pub fn seal_with(event: NewEvent, placement: Placement, secrets: Option<&Secrets>) -> Self {
        let mut stored = StoredEvent {
            position: placement.position,
            id: event.id,
            stream: placement.stream,
            version: placement.version,
            schema: SCHEMA,
            occurred_on: event.occurred_on,
            recorded_at: placement.recorded_at,
            actor: placement.actor,
            correlation_id: event.correlation_id,
            case_ref: event.case_ref,
            note: event.note,
            data: event.data,
            prev_hash: placement.prev_hash,
            hash: Hash::GENESIS,
            sealing: Sealing::default(),
        };
        if let Some(secrets) = secrets {
            sealing::seal(&mut stored, secrets);
        }
        stored.hash = stored.compute_hash();
        stored
    }

    /// The JSON object of CONTRACT §3.3, with or without its `hash` member.
    pub fn to_json(&self, with_hash: bool) -> serde_json::Value {
        let mut object = serde_json::json!({
            "position": self.position,
            "id": self.id,
            "stream": self.stream.to_string(),
            "version": self.version,
            "type": self.data.type_name(),
            "schema": self.schema,
            "occurred_on": format_date(self.occurred_on),
            "recorded_at": self.recorded_at.to_string(),
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "case_ref": self.case_ref,
            "note": self.note,
            "data": self.data.to_json(),
            "prev_hash": self.prev_hash.to_hex(),
        });
        if with_hash {
            object["hash"] = serde_json::Value::String(self.hash.to_hex());
        }
        if self.sealing.is_sealed() {
            sealing::write_json(self, &mut object, false);
        }
        object
    }

    /// The event as the codec keeps it: its sealed values taken out (their ciphertexts hold
    /// them) and every member closed. An unsealed event is itself.
    pub fn as_stored(&self) -> StoredEvent {
        let mut stored = self.clone();
        for sealed in &mut stored.sealing.members {
            sealed.salt = None;
        }
        for sealed in &self.sealing.members {
            sealed.member.blank(&mut stored);
        }
        stored
    }

    /// Whether `other` says what this event's JSON says: all but what the JSON never carries
    /// (the ciphertexts of sealed members and the person a placement is counted by).
    pub fn same_as_json_of(&self, other: &StoredEvent) -> bool {
        let bare = |event: &StoredEvent| {
            let mut bare = event.clone();
            bare.sealing.person = None;
            for sealed in &mut bare.sealing.members {
                sealed.ciphertext.clear();
            }
            bare
        };
        bare(self) == bare(other)
    }

    /// The JSON the hash of a sealed event is over: its values and salts left out, its
    /// commitments in (ops/decisions/0005).
    fn hashed_json(&self) -> serde_json::Value {
        let mut object = self.to_json(false);
        sealing::write_json(self, &mut object, true);
        object
    }

    /// RFC 8785 canonical JSON of the whole event: one line of the export.
    pub fn canonical_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(CANONICAL_BYTES_TYPICAL);
        self.write_canonical_json(true, &mut out);
        out
    }

    /// Appends `canonical(&self.to_json(with_hash))` to `out`, without building the JSON value
    /// (`canonical_json` module): what sealing, verifying and exporting every event costs.
    pub fn write_canonical_json(&self, with_hash: bool, out: &mut Vec<u8>) {
        if self.sealing.is_sealed() {
            // The sealed form goes through the oracle's `Value` (ops/decisions/0005).
            out.extend_from_slice(&canonical(&self.to_json(with_hash)));
            return;
        }
        canonical_json::write_event(self, with_hash, out);
    }

    /// SHA-256 over the canonical JSON of the event without its `hash` member.
    pub fn compute_hash(&self) -> Hash {
        if self.sealing.is_sealed() {
            return Hash(Sha256::digest(canonical(&self.hashed_json())).into());
        }
        let mut bytes = Vec::with_capacity(CANONICAL_BYTES_TYPICAL);
        self.write_canonical_json(false, &mut bytes);
        Hash(Sha256::digest(bytes).into())
    }

    /// Whether this binary knows the event's schema, and its type existed in that schema: what
    /// reading a record or an export line checks, since the hashed JSON is its schema's.
    pub fn schema_is_known(&self) -> Result<(), String> {
        if !(1..=SCHEMA).contains(&self.schema) {
            return Err(format!(
                "schema {} is unknown: this binary reads schemas 1 to {SCHEMA}",
                self.schema
            ));
        }
        let first = self.data.first_schema();
        if self.schema < first {
            return Err(format!(
                "{} does not exist in schema {}: it was added in schema {first}",
                self.data.type_name(),
                self.schema
            ));
        }
        Ok(())
    }

    /// Whether a retried `NewEvent` says the same as this stored one.
    ///
    /// What the server sets (position, recorded_at, actor) and `expected_version`, which only
    /// guarded the first attempt, are not compared.
    pub fn same_content(&self, event: &NewEvent) -> bool {
        self.id == event.id
            && self.occurred_on == event.occurred_on
            && self.data == event.data
            && self.correlation_id == event.correlation_id
            && self.case_ref == event.case_ref
            && self.note == event.note
    }

    /// Reads a stored event back from its JSON form (an export line or an API answer).
    ///
    /// The hash is read, not checked: `chain::Verifier` does that. An integer the canonical
    /// form cannot write exactly is refused (`exact_integers`).
    pub fn from_json(value: serde_json::Value) -> Result<Self, String> {
        exact_integers(&value, &mut String::new())?;
        let mut raw: StoredEventJson = serde_path_to_error::deserialize(value)
            .map_err(|error| format!("{}: {}", error.path(), error.inner()))?;
        let members = read_sealed(raw.sealed.take(), &mut raw.data)?;
        let data = EventData::from_json(&raw.type_name, raw.data)
            .map_err(|error| format!("data: {error}"))?;
        let mut event = StoredEvent {
            position: raw.position,
            id: raw.id,
            stream: raw.stream.parse()?,
            version: raw.version,
            schema: raw.schema,
            occurred_on: parse_date(&raw.occurred_on)?,
            recorded_at: RecordedAt::parse(&raw.recorded_at)?,
            actor: raw.actor,
            correlation_id: raw.correlation_id,
            case_ref: raw.case_ref,
            note: raw.note,
            data,
            prev_hash: Hash::from_hex(&raw.prev_hash)?,
            hash: Hash::from_hex(&raw.hash)?,
            sealing: Sealing::default(),
        };
        event.sealing.person = members
            .iter()
            .find(|sealed| sealed.member == Erasable::PersonRef)
            .and_then(|sealed| sealed.pseudonym);
        event.sealing.members = members;
        check_sealed_values(&event)?;
        event
            .schema_is_known()
            .map_err(|error| format!("schema: {error}"))?;
        Ok(event)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredEventJson {
    position: u64,
    id: Uuid,
    stream: String,
    version: u64,
    #[serde(rename = "type")]
    type_name: String,
    schema: u16,
    occurred_on: String,
    recorded_at: String,
    actor: String,
    correlation_id: Option<Uuid>,
    case_ref: Option<String>,
    note: Option<String>,
    data: serde_json::Value,
    prev_hash: String,
    hash: String,
    /// Only in events stored under the erasure scheme (ops/decisions/0005).
    #[serde(default)]
    sealed: Option<BTreeMap<String, SealedJson>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedJson {
    commitment: String,
    pseudonym: Option<String>,
    salt: Option<String>,
}

/// Reads the `sealed` member of an event's JSON. An erased `data.person_ref` is `null`, which
/// the payload's own type cannot read: it is read as empty, as the codec keeps it.
fn read_sealed(
    sealed: Option<BTreeMap<String, SealedJson>>,
    data: &mut serde_json::Value,
) -> Result<Vec<Sealed>, String> {
    let mut members = Vec::new();
    for (path, entry) in sealed.unwrap_or_default() {
        let member = Erasable::from_path(&path)
            .ok_or_else(|| format!("sealed.{path}: not a member that can be sealed"))?;
        let hex_of =
            |text: &str| Hash::from_hex(text).map_err(|error| format!("sealed.{path}: {error}"));
        let salt = entry
            .salt
            .as_deref()
            .map(hex_of)
            .transpose()?
            .map(|salt| salt.0);
        if member == Erasable::PersonRef && salt.is_none() && data["person_ref"].is_null() {
            data["person_ref"] = serde_json::Value::String(String::new());
        }
        members.push(Sealed {
            member,
            commitment: hex_of(&entry.commitment)?,
            pseudonym: entry.pseudonym.as_deref().map(hex_of).transpose()?,
            ciphertext: Vec::new(),
            salt,
        });
    }
    members.sort_by_key(|sealed| sealed.member);
    Ok(members)
}

/// An open member has its value and a salt; an erased one has neither.
fn check_sealed_values(event: &StoredEvent) -> Result<(), String> {
    for sealed in &event.sealing.members {
        let value = sealed.member.value(event);
        let has_value = value.is_some_and(|value| !value.is_empty());
        if sealed.is_open() != has_value {
            return Err(format!(
                "sealed.{}: an open member has a value and a salt, an erased one neither",
                sealed.member.path()
            ));
        }
    }
    Ok(())
}

/// Refuses an integer beyond ±(2^53 − 1) anywhere in `value`, naming where (`path`).
///
/// RFC 8785 writes every number as an IEEE double, so such an integer would be canonicalized,
/// and hashed, rounded: the event read would not be the event its canonical JSON says. The
/// ledger never stores one (positions and versions stay far below, payload integers are capped
/// at `PAYLOAD_INTEGER_MAX`), so one in an export was put there by hand. Found by fuzzing.
fn exact_integers(value: &serde_json::Value, path: &mut String) -> Result<(), String> {
    match value {
        serde_json::Value::Number(number) => {
            let limit = PAYLOAD_INTEGER_MAX.unsigned_abs();
            let beyond = match (number.as_u64(), number.as_i64()) {
                (Some(unsigned), _) => unsigned > limit,
                (None, Some(signed)) => signed.unsigned_abs() > limit,
                (None, None) => false,
            };
            if beyond {
                return Err(format!(
                    "{path}: {number} is beyond ±{PAYLOAD_INTEGER_MAX}, which canonical JSON \
                     cannot write exactly"
                ));
            }
            Ok(())
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(index, item)| {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                let checked = exact_integers(item, path);
                path.truncate(length);
                checked
            })
        }
        serde_json::Value::Object(members) => members.iter().try_for_each(|(name, member)| {
            let length = path.len();
            path.push_str(if length == 0 { "" } else { "." });
            path.push_str(name);
            let checked = exact_integers(member, path);
            path.truncate(length);
            checked
        }),
        _ => Ok(()),
    }
}

/// RFC 8785 (JCS) canonical bytes of a JSON value the ledger wrote.
///
/// For what a stored event holds, serde_json's own compact output already is RFC 8785: its
/// `Map` is a `BTreeMap` (sorted keys; CI fails if `serde_json/preserve_order` is ever turned
/// on), every key is ASCII (so UTF-8 and UTF-16 key orders agree), there are no floats, every
/// integer is at most 2^53 - 1 (the rules and `from_json` refuse larger), and both escape
/// strings alike. It is 15-20 times faster than serde_jcs (docs/PERFORMANCE.md, finding 1);
/// serde_jcs stays the oracle in a property test (`events/tests/codec.rs`).
pub fn canonical(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a JSON value always serializes")
}
