//! The stored types of schema 1, frozen: what the schema-1 binary wrote under format byte 1.
//!
//! Never edit these types: bincode reads them by position, and the golden records in
//! `events/tests/golden/` (schema 1) and the fixtures in `tests/fixtures/schema1/` must decode
//! through them forever. Today's types live in `catalogue.rs`; `upcast.rs` turns these into them,
//! in one place (ops/decisions/0004). The envelope's value types (`Uuid`, `NaiveDate`,
//! `RecordedAt`, `Hash`, `StreamId`) are shared with every schema: their encoding is pinned by
//! the golden records of each schema, so a change to one of them fails every golden test.
//!
//! The field and variant names match today's serde names (bincode ignores names; tests use
//! this to make schema-1 values from today's through `serde_json`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::StreamId;
use crate::stored::Hash;
use crate::time::RecordedAt;

/// One event as the schema-1 binary stored it.
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
}

/// The ten facts of schema 1, in their stored order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventData {
    StrategyAdopted(StrategyAdopted),
    EnterpriseRegistered(EnterpriseRegistered),
    EnterpriseClosed(EnterpriseClosed),
    PersonPlacedInEmployment(PersonPlacedInEmployment),
    GrantAwarded(GrantAwarded),
    AgreementSigned(AgreementSigned),
    AgreementEnded(AgreementEnded),
    TrialStarted(TrialStarted),
    TrendNoted(TrendNoted),
    EventRetracted(EventRetracted),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyAdopted {
    pub strategy_id: Uuid,
    pub name: String,
    pub from_year: i32,
    pub to_year: i32,
    pub targets: Vec<Target>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub metric: Metric,
    pub per: Per,
    pub value: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    PeopleEmployed,
    EnterprisesActive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Year,
    Period,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseRegistered {
    pub enterprise_id: Uuid,
    pub name: String,
    pub kind: EnterpriseKind,
    pub cvr: Option<String>,
    pub rsv: Option<bool>,
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseKind {
    Enterprise,
    Initiative,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseClosed {
    pub enterprise_id: Uuid,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonPlacedInEmployment {
    pub placement_id: Uuid,
    pub person_ref: String,
    pub employment_type: EmploymentType,
    pub enterprise_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    Ordinary,
    Flexjob,
    WageSubsidy,
    Sheltered,
    Education,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAwarded {
    pub grant_id: Uuid,
    pub funder: String,
    pub amount_ore: i64,
    pub purpose: Option<String>,
    pub enterprise_id: Option<Uuid>,
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementSigned {
    pub agreement_id: Uuid,
    pub counterparty: String,
    pub kind: AgreementKind,
    /// Stored as chrono writes a date (`YYYY-MM-DD`) and read as strictly as schema 1 read it.
    #[serde(deserialize_with = "strict_date")]
    pub valid_to: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    Partnership,
    CivilSociety,
    Volunteering,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementEnded {
    pub agreement_id: Uuid,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialStarted {
    pub trial_id: Uuid,
    pub title: String,
    pub kind: TrialKind,
    pub partners: Option<Vec<String>>,
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialKind {
    InternalTrial,
    TrialAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendNoted {
    pub trend_id: Uuid,
    pub title: String,
    pub kind: TrendKind,
    pub source: Option<String>,
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendKind {
    Trend,
    Offer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRetracted {
    pub event_id: Uuid,
    pub reason: String,
}

fn strict_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|text| crate::time::parse_date(&text).map_err(serde::de::Error::custom))
        .transpose()
}
