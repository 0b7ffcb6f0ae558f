//! `EventRef`: how a projection points at the events behind a figure (CONTRACT §4).

use chrono::NaiveDate;
use impact_events::{time::format_date, EventType, Hash, RecordedAt, StoredEvent};
use serde::{Serialize, Serializer};
use uuid::Uuid;

/// One stored event, named well enough for an auditor to find it and check its hash.
///
/// Serializes as `{position, id, type, occurred_on, recorded_at, hash}` with the date as
/// `YYYY-MM-DD`, the instant in the ledger's six-digit UTC form and the hash as 64 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRef {
    pub position: u64,
    pub id: Uuid,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub event_type: EventType,
    #[serde(serialize_with = "date")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub occurred_on: NaiveDate,
    #[serde(serialize_with = "instant")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub recorded_at: RecordedAt,
    #[serde(serialize_with = "hex")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
    pub hash: Hash,
}

impl EventRef {
    pub fn of(event: &StoredEvent) -> Self {
        EventRef {
            position: event.position,
            id: event.id,
            event_type: event.data.event_type(),
            occurred_on: event.occurred_on,
            recorded_at: event.recorded_at,
            hash: event.hash,
        }
    }
}

fn date<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_date(*date))
}

fn instant<S: Serializer>(instant: &RecordedAt, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(instant)
}

fn hex<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hash.to_hex())
}
