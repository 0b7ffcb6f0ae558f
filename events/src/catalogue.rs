//! The event catalogue, today's (schema 2: CONTRACT §3.2 and §11): one enum of past-tense facts.
//!
//! These types are the storage format of format byte 2: the codec encodes `EventData` by variant
//! index and every payload field in declaration order. Append new variants at the end only,
//! never reorder. Schema 1's types are frozen in `schema1.rs`; how a schema is added is
//! ops/decisions/0004.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The schema number written into every event stored now. An event keeps the schema it was
/// stored under forever (it is hashed); older ones are read through `upcast.rs`.
pub const SCHEMA: u16 = 2;

/// A fact that happened in the world, with its payload.
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
    // Catalogue 2 (schema 2, CONTRACT §11): appended, never reordered.
    PlacementEnded(PlacementEnded),
    GrantPaid(GrantPaid),
    GrantReturned(GrantReturned),
    AgreementRenewed(AgreementRenewed),
    TrialConcluded(TrialConcluded),
    StrategyRevised(StrategyRevised),
    // Erasure (CONTRACT §12, ops/decisions/0005): appended, never reordered.
    MembersErased(MembersErased),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrategyAdopted {
    pub strategy_id: Uuid,
    pub name: String,
    pub from_year: i32,
    pub to_year: i32,
    pub targets: Vec<Target>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    pub metric: Metric,
    pub per: Per,
    pub value: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Metric {
    PeopleEmployed,
    EnterprisesActive,
    // Catalogue 2: appended, never reordered.
    /// Placements started in a year still not ended six months later, in per cent.
    #[serde(rename = "retention_6m_pct")]
    RetentionSixMonthsPct,
    GrantsTotalOre,
    AgreementsActive,
    TrialsStarted,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::PeopleEmployed,
        Metric::EnterprisesActive,
        Metric::RetentionSixMonthsPct,
        Metric::GrantsTotalOre,
        Metric::AgreementsActive,
        Metric::TrialsStarted,
    ];

    /// The name clients send and the ledger writes.
    pub fn name(self) -> &'static str {
        match self {
            Metric::PeopleEmployed => "people_employed",
            Metric::EnterprisesActive => "enterprises_active",
            Metric::RetentionSixMonthsPct => "retention_6m_pct",
            Metric::GrantsTotalOre => "grants_total_ore",
            Metric::AgreementsActive => "agreements_active",
            Metric::TrialsStarted => "trials_started",
        }
    }

    /// How a target of this metric is counted: a yearly flow or rate per year, a standing
    /// number (active at a year's end) per period.
    pub fn per(self) -> Per {
        match self {
            Metric::PeopleEmployed
            | Metric::RetentionSixMonthsPct
            | Metric::GrantsTotalOre
            | Metric::TrialsStarted => Per::Year,
            Metric::EnterprisesActive | Metric::AgreementsActive => Per::Period,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Per {
    Year,
    Period,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRegistered {
    pub enterprise_id: Uuid,
    pub name: String,
    pub kind: EnterpriseKind,
    #[serde(default)]
    pub cvr: Option<String>,
    #[serde(default)]
    pub rsv: Option<bool>,
    #[serde(default)]
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EnterpriseKind {
    Enterprise,
    Initiative,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseClosed {
    pub enterprise_id: Uuid,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonPlacedInEmployment {
    pub placement_id: Uuid,
    pub person_ref: String,
    pub employment_type: EmploymentType,
    #[serde(default)]
    pub enterprise_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EmploymentType {
    Ordinary,
    Flexjob,
    WageSubsidy,
    Sheltered,
    Education,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantAwarded {
    pub grant_id: Uuid,
    pub funder: String,
    pub amount_ore: i64,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub enterprise_id: Option<Uuid>,
    #[serde(default)]
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementSigned {
    pub agreement_id: Uuid,
    pub counterparty: String,
    pub kind: AgreementKind,
    /// Read as strictly as `occurred_on` (`YYYY-MM-DD`); stored and written as a date.
    #[serde(default, deserialize_with = "strict_date")]
    pub valid_to: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgreementKind {
    Partnership,
    CivilSociety,
    Volunteering,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementEnded {
    pub agreement_id: Uuid,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrialStarted {
    pub trial_id: Uuid,
    pub title: String,
    pub kind: TrialKind,
    #[serde(default)]
    pub partners: Option<Vec<String>>,
    #[serde(default)]
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TrialKind {
    InternalTrial,
    TrialAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendNoted {
    pub trend_id: Uuid,
    pub title: String,
    pub kind: TrendKind,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub sdgs: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TrendKind {
    Trend,
    Offer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRetracted {
    pub event_id: Uuid,
    pub reason: String,
}

/// Named members of a stored event were erased (CONTRACT §12): their keys are destroyed. It
/// holds no value, only which members (`note`, `case_ref`, `data.person_ref`) and why. Only
/// `POST /api/v1/erasures` and `impact-ledger erase` append it, never `/events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersErased {
    pub event_id: Uuid,
    pub members: Vec<String>,
    pub reason: String,
}

/// Why a placement ended (catalogue 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PlacementEndReason {
    Ended,
    MovedOn,
    DroppedOut,
    Other,
}

/// A placement ended: what retention counts (CONTRACT §11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacementEnded {
    pub placement_id: Uuid,
    pub reason: PlacementEndReason,
}

/// Money of an awarded grant that arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantPaid {
    pub grant_id: Uuid,
    pub amount_ore: i64,
}

/// Money of a paid grant that went back to the funder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantReturned {
    pub grant_id: Uuid,
    pub amount_ore: i64,
}

/// An agreement renewed to a new end date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementRenewed {
    pub agreement_id: Uuid,
    /// Read as strictly as `occurred_on` (`YYYY-MM-DD`).
    #[serde(deserialize_with = "strict_required_date")]
    pub valid_to: NaiveDate,
}

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TrialOutcome {
    Continued,
    Adopted,
    Stopped,
}

/// A trial concluded, with what was learnt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrialConcluded {
    pub trial_id: Uuid,
    pub outcome: TrialOutcome,
    #[serde(default)]
    pub lessons: Option<String>,
}

/// The political targets of a strategy changed mid-period, in force from `occurred_on` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrategyRevised {
    pub strategy_id: Uuid,
    pub targets: Vec<Target>,
}

/// Reads a required date written exactly as `YYYY-MM-DD`.
fn strict_required_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    crate::time::parse_date(&text).map_err(serde::de::Error::custom)
}

/// Reads an optional date written exactly as `YYYY-MM-DD`, in JSON and in stored records alike
/// (chrono writes a date as that string in both).
fn strict_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|text| crate::time::parse_date(&text).map_err(serde::de::Error::custom))
        .transpose()
}

/// The type of an event: the one table every per-type decision is read from.
///
/// Adding a type: a variant here (at the end, as in `EventData`), then follow the compiler
/// through every exhaustive `match` on it; ARCHITECTURE.md has the checklist and
/// `events/tests/event_types.rs` walks every type through every place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    StrategyAdopted,
    EnterpriseRegistered,
    EnterpriseClosed,
    PersonPlacedInEmployment,
    GrantAwarded,
    AgreementSigned,
    AgreementEnded,
    TrialStarted,
    TrendNoted,
    EventRetracted,
    // Catalogue 2 (schema 2, CONTRACT §11): appended, never reordered.
    PlacementEnded,
    GrantPaid,
    GrantReturned,
    AgreementRenewed,
    TrialConcluded,
    StrategyRevised,
    // Erasure (CONTRACT §12): appended, never reordered.
    MembersErased,
}

impl EventType {
    /// Every type, in catalogue order (`EventType::ALL[t.index()] == t`).
    pub const ALL: [EventType; 17] = [
        EventType::StrategyAdopted,
        EventType::EnterpriseRegistered,
        EventType::EnterpriseClosed,
        EventType::PersonPlacedInEmployment,
        EventType::GrantAwarded,
        EventType::AgreementSigned,
        EventType::AgreementEnded,
        EventType::TrialStarted,
        EventType::TrendNoted,
        EventType::EventRetracted,
        EventType::PlacementEnded,
        EventType::GrantPaid,
        EventType::GrantReturned,
        EventType::AgreementRenewed,
        EventType::TrialConcluded,
        EventType::StrategyRevised,
        EventType::MembersErased,
    ];

    /// The `type` name clients send and the ledger returns.
    pub const fn name(self) -> &'static str {
        match self {
            EventType::StrategyAdopted => "StrategyAdopted",
            EventType::EnterpriseRegistered => "EnterpriseRegistered",
            EventType::EnterpriseClosed => "EnterpriseClosed",
            EventType::PersonPlacedInEmployment => "PersonPlacedInEmployment",
            EventType::GrantAwarded => "GrantAwarded",
            EventType::AgreementSigned => "AgreementSigned",
            EventType::AgreementEnded => "AgreementEnded",
            EventType::TrialStarted => "TrialStarted",
            EventType::TrendNoted => "TrendNoted",
            EventType::EventRetracted => "EventRetracted",
            EventType::PlacementEnded => "PlacementEnded",
            EventType::GrantPaid => "GrantPaid",
            EventType::GrantReturned => "GrantReturned",
            EventType::AgreementRenewed => "AgreementRenewed",
            EventType::TrialConcluded => "TrialConcluded",
            EventType::StrategyRevised => "StrategyRevised",
            EventType::MembersErased => "MembersErased",
        }
    }

    /// The type of a `type` name, exactly as written (names are case-sensitive).
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|event_type| event_type.name() == name)
    }

    /// The type's place in the catalogue (and `EventData`'s variant index).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The first schema whose catalogue has this type: an event of an older schema cannot be
    /// of it.
    pub const fn first_schema(self) -> u16 {
        match self {
            EventType::StrategyAdopted
            | EventType::EnterpriseRegistered
            | EventType::EnterpriseClosed
            | EventType::PersonPlacedInEmployment
            | EventType::GrantAwarded
            | EventType::AgreementSigned
            | EventType::AgreementEnded
            | EventType::TrialStarted
            | EventType::TrendNoted
            | EventType::EventRetracted => 1,
            EventType::PlacementEnded
            | EventType::GrantPaid
            | EventType::GrantReturned
            | EventType::AgreementRenewed
            | EventType::TrialConcluded
            | EventType::StrategyRevised
            | EventType::MembersErased => 2,
        }
    }

    /// Whether an event of this type brings an entity into being, and so needs a new stream.
    pub const fn creates_stream(self) -> bool {
        match self {
            EventType::StrategyAdopted
            | EventType::EnterpriseRegistered
            | EventType::PersonPlacedInEmployment
            | EventType::GrantAwarded
            | EventType::AgreementSigned
            | EventType::TrialStarted
            | EventType::TrendNoted => true,
            EventType::EnterpriseClosed
            | EventType::AgreementEnded
            | EventType::EventRetracted
            | EventType::PlacementEnded
            | EventType::GrantPaid
            | EventType::GrantReturned
            | EventType::AgreementRenewed
            | EventType::TrialConcluded
            | EventType::StrategyRevised
            | EventType::MembersErased => false,
        }
    }

    /// The kind of stream an event of this type belongs to; `None` for a retraction, which
    /// belongs to the stream of the event it retracts.
    pub const fn stream_kind(self) -> Option<StreamKind> {
        Some(match self {
            EventType::StrategyAdopted | EventType::StrategyRevised => StreamKind::Strategy,
            EventType::EnterpriseRegistered | EventType::EnterpriseClosed => StreamKind::Enterprise,
            EventType::PersonPlacedInEmployment | EventType::PlacementEnded => {
                StreamKind::Placement
            }
            EventType::GrantAwarded | EventType::GrantPaid | EventType::GrantReturned => {
                StreamKind::Grant
            }
            EventType::AgreementSigned
            | EventType::AgreementEnded
            | EventType::AgreementRenewed => StreamKind::Agreement,
            EventType::TrialStarted | EventType::TrialConcluded => StreamKind::Trial,
            EventType::TrendNoted => StreamKind::Trend,
            EventType::EventRetracted | EventType::MembersErased => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Written as its name, as the `type` member of an event.
impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Every event type name, in catalogue order.
pub const EVENT_TYPES: [&str; 17] = {
    let mut names = [""; 17];
    let mut index = 0;
    while index < names.len() {
        names[index] = EventType::ALL[index].name();
        index += 1;
    }
    names
};

impl EventData {
    /// The type of this event.
    pub fn event_type(&self) -> EventType {
        match self {
            EventData::StrategyAdopted(_) => EventType::StrategyAdopted,
            EventData::EnterpriseRegistered(_) => EventType::EnterpriseRegistered,
            EventData::EnterpriseClosed(_) => EventType::EnterpriseClosed,
            EventData::PersonPlacedInEmployment(_) => EventType::PersonPlacedInEmployment,
            EventData::GrantAwarded(_) => EventType::GrantAwarded,
            EventData::AgreementSigned(_) => EventType::AgreementSigned,
            EventData::AgreementEnded(_) => EventType::AgreementEnded,
            EventData::TrialStarted(_) => EventType::TrialStarted,
            EventData::TrendNoted(_) => EventType::TrendNoted,
            EventData::EventRetracted(_) => EventType::EventRetracted,
            EventData::PlacementEnded(_) => EventType::PlacementEnded,
            EventData::GrantPaid(_) => EventType::GrantPaid,
            EventData::GrantReturned(_) => EventType::GrantReturned,
            EventData::AgreementRenewed(_) => EventType::AgreementRenewed,
            EventData::TrialConcluded(_) => EventType::TrialConcluded,
            EventData::StrategyRevised(_) => EventType::StrategyRevised,
            EventData::MembersErased(_) => EventType::MembersErased,
        }
    }

    /// The `type` name clients send and the ledger returns.
    pub fn type_name(&self) -> &'static str {
        self.event_type().name()
    }

    /// Parses the `data` member for the given `type`, refusing unknown fields.
    ///
    /// The error names the path inside `data` that is wrong, e.g. `targets[0].metric`.
    pub fn from_json(type_name: &str, data: serde_json::Value) -> Result<Self, DataError> {
        let event_type = EventType::from_name(type_name)
            .ok_or_else(|| DataError::UnknownType(type_name.to_owned()))?;
        EventData::parse(event_type, data)
    }

    /// Parses the `data` member of an event of `event_type`, refusing unknown fields.
    pub fn parse(event_type: EventType, data: serde_json::Value) -> Result<Self, DataError> {
        fn parse<T: serde::de::DeserializeOwned>(data: serde_json::Value) -> Result<T, DataError> {
            serde_path_to_error::deserialize(data).map_err(|error| {
                let message = error.inner().to_string();
                DataError::Invalid {
                    path: error_path(error.path().to_string(), &message),
                    message,
                }
            })
        }
        Ok(match event_type {
            EventType::StrategyAdopted => EventData::StrategyAdopted(parse(data)?),
            EventType::EnterpriseRegistered => EventData::EnterpriseRegistered(parse(data)?),
            EventType::EnterpriseClosed => EventData::EnterpriseClosed(parse(data)?),
            EventType::PersonPlacedInEmployment => {
                EventData::PersonPlacedInEmployment(parse(data)?)
            }
            EventType::GrantAwarded => EventData::GrantAwarded(parse(data)?),
            EventType::AgreementSigned => EventData::AgreementSigned(parse(data)?),
            EventType::AgreementEnded => EventData::AgreementEnded(parse(data)?),
            EventType::TrialStarted => EventData::TrialStarted(parse(data)?),
            EventType::TrendNoted => EventData::TrendNoted(parse(data)?),
            EventType::EventRetracted => EventData::EventRetracted(parse(data)?),
            EventType::PlacementEnded => EventData::PlacementEnded(parse(data)?),
            EventType::GrantPaid => EventData::GrantPaid(parse(data)?),
            EventType::GrantReturned => EventData::GrantReturned(parse(data)?),
            EventType::AgreementRenewed => EventData::AgreementRenewed(parse(data)?),
            EventType::TrialConcluded => EventData::TrialConcluded(parse(data)?),
            EventType::StrategyRevised => EventData::StrategyRevised(parse(data)?),
            EventType::MembersErased => EventData::MembersErased(parse(data)?),
        })
    }

    /// The payload as JSON, every optional member written as `null`.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            EventData::StrategyAdopted(data) => serde_json::to_value(data),
            EventData::EnterpriseRegistered(data) => serde_json::to_value(data),
            EventData::EnterpriseClosed(data) => serde_json::to_value(data),
            EventData::PersonPlacedInEmployment(data) => serde_json::to_value(data),
            EventData::GrantAwarded(data) => serde_json::to_value(data),
            EventData::AgreementSigned(data) => serde_json::to_value(data),
            EventData::AgreementEnded(data) => serde_json::to_value(data),
            EventData::TrialStarted(data) => serde_json::to_value(data),
            EventData::TrendNoted(data) => serde_json::to_value(data),
            EventData::EventRetracted(data) => serde_json::to_value(data),
            EventData::PlacementEnded(data) => serde_json::to_value(data),
            EventData::GrantPaid(data) => serde_json::to_value(data),
            EventData::GrantReturned(data) => serde_json::to_value(data),
            EventData::AgreementRenewed(data) => serde_json::to_value(data),
            EventData::TrialConcluded(data) => serde_json::to_value(data),
            EventData::StrategyRevised(data) => serde_json::to_value(data),
            EventData::MembersErased(data) => serde_json::to_value(data),
        };
        // Payloads hold only strings, integers, booleans, lists and plain structs.
        value.expect("catalogue payloads always serialize to JSON")
    }

    /// The stream this event belongs to, when it can be told from the payload alone.
    ///
    /// A retraction belongs to the stream of the event it retracts, which only the ledger knows.
    pub fn own_stream(&self) -> Option<StreamId> {
        let kind = self.event_type().stream_kind()?;
        let id = match self {
            EventData::StrategyAdopted(data) => data.strategy_id,
            EventData::EnterpriseRegistered(data) => data.enterprise_id,
            EventData::EnterpriseClosed(data) => data.enterprise_id,
            EventData::PersonPlacedInEmployment(data) => data.placement_id,
            EventData::GrantAwarded(data) => data.grant_id,
            EventData::AgreementSigned(data) => data.agreement_id,
            EventData::AgreementEnded(data) => data.agreement_id,
            EventData::TrialStarted(data) => data.trial_id,
            EventData::TrendNoted(data) => data.trend_id,
            EventData::EventRetracted(_) | EventData::MembersErased(_) => return None,
            EventData::PlacementEnded(data) => data.placement_id,
            EventData::GrantPaid(data) => data.grant_id,
            EventData::GrantReturned(data) => data.grant_id,
            EventData::AgreementRenewed(data) => data.agreement_id,
            EventData::TrialConcluded(data) => data.trial_id,
            EventData::StrategyRevised(data) => data.strategy_id,
        };
        Some(StreamId { kind, id })
    }

    /// The first schema whose catalogue has this event's type.
    pub fn first_schema(&self) -> u16 {
        self.event_type().first_schema()
    }

    /// Whether this event brings an entity into being, and so needs a new stream.
    pub fn creates_stream(&self) -> bool {
        self.event_type().creates_stream()
    }

    /// The SDG tags an event carries, if any.
    pub fn sdgs(&self) -> &[u8] {
        let sdgs = match self {
            EventData::EnterpriseRegistered(data) => &data.sdgs,
            EventData::GrantAwarded(data) => &data.sdgs,
            EventData::TrialStarted(data) => &data.sdgs,
            EventData::TrendNoted(data) => &data.sdgs,
            EventData::StrategyAdopted(_)
            | EventData::EnterpriseClosed(_)
            | EventData::PersonPlacedInEmployment(_)
            | EventData::AgreementSigned(_)
            | EventData::AgreementEnded(_)
            | EventData::EventRetracted(_)
            | EventData::PlacementEnded(_)
            | EventData::GrantPaid(_)
            | EventData::GrantReturned(_)
            | EventData::AgreementRenewed(_)
            | EventData::TrialConcluded(_)
            | EventData::StrategyRevised(_)
            | EventData::MembersErased(_) => return &[],
        };
        sdgs.as_deref().unwrap_or(&[])
    }
}

/// The path of the member at fault: serde names a missing member in its message only, on the
/// object that lacks it, so the member's name is added to the path ("." is the root).
pub(crate) fn error_path(path: String, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match missing {
        Some(member) if path == "." => member.to_owned(),
        Some(member) => format!("{path}.{member}"),
        None => path,
    }
}

/// Why a `data` member could not be read as the payload of its type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("unknown event type `{0}`; known types are {types}", types = EVENT_TYPES.join(", "))]
    UnknownType(String),
    #[error("{message}")]
    Invalid { path: String, message: String },
}

/// The kind of entity a stream is about; the prefix of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StreamKind {
    Strategy,
    Enterprise,
    Placement,
    Grant,
    Agreement,
    Trial,
    Trend,
}

impl StreamKind {
    pub const ALL: [StreamKind; 7] = [
        StreamKind::Strategy,
        StreamKind::Enterprise,
        StreamKind::Placement,
        StreamKind::Grant,
        StreamKind::Agreement,
        StreamKind::Trial,
        StreamKind::Trend,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            StreamKind::Strategy => "strategy",
            StreamKind::Enterprise => "enterprise",
            StreamKind::Placement => "placement",
            StreamKind::Grant => "grant",
            StreamKind::Agreement => "agreement",
            StreamKind::Trial => "trial",
            StreamKind::Trend => "trend",
        }
    }

    /// The regular expression a stream name matches (the OpenAPI document's pattern):
    /// a kind's prefix, a hyphen and a lower-case hyphenated UUID.
    pub fn name_pattern() -> String {
        let prefixes: Vec<&str> = StreamKind::ALL.iter().map(|kind| kind.prefix()).collect();
        format!(
            "^({})-[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$",
            prefixes.join("|")
        )
    }
}

/// A stream name such as `enterprise-<uuid>`, held as 17 bytes rather than a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId {
    pub kind: StreamKind,
    pub id: Uuid,
}

impl fmt::Display for StreamId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}-{}", self.kind.prefix(), self.id.hyphenated())
    }
}

impl std::str::FromStr for StreamId {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let (prefix, id) = name
            .split_once('-')
            .ok_or_else(|| format!("stream `{name}` is not of the form <kind>-<uuid>"))?;
        let kind = StreamKind::ALL
            .into_iter()
            .find(|kind| kind.prefix() == prefix)
            .ok_or_else(|| format!("unknown stream kind `{prefix}`"))?;
        let id = Uuid::parse_str(id).map_err(|_| format!("`{id}` is not a UUID"))?;
        // Only the canonical lower-case hyphenated spelling names a stream.
        if id.hyphenated().to_string() != name[prefix.len() + 1..] {
            return Err(format!(
                "stream `{name}` must use a lower-case hyphenated UUID"
            ));
        }
        Ok(StreamId { kind, id })
    }
}
