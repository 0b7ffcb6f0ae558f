//! The storage codec: the one module that names bincode (DESIGN §7, ops/decisions).
//!
//! Each record is one format byte followed by the bincode encoding of a `StoredEvent` under one
//! explicit set of options. A new encoding gets a new format byte; old bytes stay readable.

use bincode::Options;

use crate::stored::StoredEvent;

/// Format 1: bincode 1.3.3, little-endian, fixed-width integers, no trailing bytes.
pub const FORMAT_BINCODE_V1: u8 = 1;

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
}

/// The encoded size of a payload: what `rules` bounds so that no record nears the limit.
pub fn payload_bytes(data: &crate::catalogue::EventData) -> u64 {
    options().serialized_size(data).unwrap_or(u64::MAX)
}

/// Encodes a stored event. The rules bound every event's payload and envelope
/// (`rules::EVENT_BYTES_MAX`) far below `RECORD_BYTES_MAX`, so this cannot fail.
pub fn encode(event: &StoredEvent) -> Vec<u8> {
    let mut bytes = vec![FORMAT_BINCODE_V1];
    options()
        .serialize_into(&mut bytes, event)
        .expect("a stored event always encodes within the record limit");
    bytes
}

pub fn decode(bytes: &[u8]) -> Result<StoredEvent, DecodeError> {
    let (format, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    match *format {
        FORMAT_BINCODE_V1 => options()
            .deserialize(body)
            .map_err(|error| DecodeError::Bincode(error.to_string())),
        other => Err(DecodeError::UnknownFormat(other)),
    }
}
