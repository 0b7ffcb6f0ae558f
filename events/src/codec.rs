//! The storage codec: the one module that names bincode (CONTRACT §7, ops/decisions/0001, 0004).
//!
//! Each record is one format byte followed by the bincode encoding of a stored event under one
//! explicit set of options. The format byte names the catalogue whose frozen types the bytes
//! are: format 1 is schema 1's `schema1::StoredEvent`, format 2 is today's `StoredEvent`
//! (catalogue 2). Reading a record decodes it into the types of its format and upcasts them to
//! today's in one place (`upcast.rs`); old records are never rewritten. A new catalogue or a new
//! encoding gets a new format byte.

use bincode::Options;

use crate::schema1;
use crate::sealing::{Erasable, Sealed};
use crate::stored::StoredEvent;
use crate::upcast;

/// Format 1: schema 1's frozen types, bincode 1.3.3, little-endian, fixed-width integers, no
/// trailing bytes. Written by the schema-1 binary only.
pub const FORMAT_SCHEMA1_BINCODE: u8 = 1;

/// Format 2: today's types (catalogue 2) under the same bincode options. What is written now.
pub const FORMAT_SCHEMA2_BINCODE: u8 = 2;

/// Format 3: an event stored under the erasure scheme (ops/decisions/0005): today's
/// `StoredEvent` with its sealed values blanked, followed by its sealed members (commitment,
/// pseudonym, ciphertext), under the same bincode options. No sealed value is in the bytes.
pub const FORMAT_SEALED_BINCODE: u8 = 3;

/// A record larger than this is corruption: a request body is at most 1 MiB.
pub const RECORD_BYTES_MAX: u64 = 4 * 1024 * 1024;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_little_endian()
        .with_fixint_encoding()
        .reject_trailing_bytes()
        .with_limit(RECORD_BYTES_MAX)
}

/// Why stored bytes could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the record is empty")]
    Empty,
    #[error("unknown record format byte {0}")]
    UnknownFormat(u8),
    #[error("the record does not decode: {0}")]
    Bincode(String),
    #[error("{0}")]
    Schema(String),
}

/// The encoded size of a payload: what `rules` bounds so that no record nears the limit.
pub fn payload_bytes(data: &crate::catalogue::EventData) -> u64 {
    options().serialized_size(data).unwrap_or(u64::MAX)
}

/// Encodes a stored event under today's format. The rules bound every event's payload and
/// envelope (`rules::EVENT_BYTES_MAX`) far below `RECORD_BYTES_MAX`, so this cannot fail.
pub fn encode(event: &StoredEvent) -> Vec<u8> {
    if event.sealing.is_sealed() {
        return encode_sealed(event);
    }
    let mut bytes = vec![FORMAT_SCHEMA2_BINCODE];
    options()
        .serialize_into(&mut bytes, event)
        .expect("a stored event always encodes within the record limit");
    bytes
}

/// A sealed event without its values: each open member must already carry its ciphertext (the
/// store's key layer puts it there), or its value would be lost.
fn encode_sealed(event: &StoredEvent) -> Vec<u8> {
    let mut blank = event.clone();
    for sealed in &event.sealing.members {
        assert!(
            !sealed.is_open() || !sealed.ciphertext.is_empty(),
            "{} of the event at position {} reached the codec unencrypted",
            sealed.member.path(),
            event.position
        );
        sealed.member.blank(&mut blank);
    }
    let mut bytes = vec![FORMAT_SEALED_BINCODE];
    options()
        .serialize_into(&mut bytes, &(&blank, &event.sealing.members))
        .expect("a stored event always encodes within the record limit");
    bytes
}

/// Encodes a schema-1 event exactly as the schema-1 binary wrote it (format 1): for the
/// fixtures and tests that hold old records readable, never used by the ledger to write.
pub fn encode_schema1(event: &schema1::StoredEvent) -> Vec<u8> {
    let mut bytes = vec![FORMAT_SCHEMA1_BINCODE];
    options()
        .serialize_into(&mut bytes, event)
        .expect("a schema-1 event always encodes within the record limit");
    bytes
}

/// Reads a record of any format into today's types (the pair of `encode`'s assertions: a
/// record whose `schema` its format could not have written is corruption).
pub fn decode(bytes: &[u8]) -> Result<StoredEvent, DecodeError> {
    let (format, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    let bincode_error = |error: bincode::Error| DecodeError::Bincode(error.to_string());
    let event = match *format {
        FORMAT_SCHEMA1_BINCODE => {
            let old: schema1::StoredEvent = options().deserialize(body).map_err(bincode_error)?;
            if old.schema != 1 {
                return Err(DecodeError::Schema(format!(
                    "a format-1 record holds schema {}, which format 1 never wrote",
                    old.schema
                )));
            }
            upcast::from_schema1(old)
        }
        FORMAT_SCHEMA2_BINCODE => options().deserialize(body).map_err(bincode_error)?,
        FORMAT_SEALED_BINCODE => {
            let (mut event, members): (StoredEvent, Vec<Sealed>) =
                options().deserialize(body).map_err(bincode_error)?;
            event.sealing.person = members
                .iter()
                .find(|sealed| sealed.member == Erasable::PersonRef)
                .and_then(|sealed| sealed.pseudonym);
            event.sealing.members = members;
            event
        }
        other => return Err(DecodeError::UnknownFormat(other)),
    };
    event.schema_is_known().map_err(DecodeError::Schema)?;
    Ok(event)
}
