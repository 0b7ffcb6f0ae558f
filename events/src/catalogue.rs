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

/// Every event type name, in catalogue order.
pub const EVENT_TYPES: [&str; 17] = [
    "StrategyAdopted",
    "EnterpriseRegistered",
    "EnterpriseClosed",
    "PersonPlacedInEmployment",
    "GrantAwarded",
    "AgreementSigned",
    "AgreementEnded",
    "TrialStarted",
    "TrendNoted",
    "EventRetracted",
    "PlacementEnded",
    "GrantPaid",
    "GrantReturned",
    "AgreementRenewed",
    "TrialConcluded",
    "StrategyRevised",
    "MembersErased",
];

impl EventData {
    /// The `type` name clients send and the ledger returns.
    pub fn type_name(&self) -> &'static str {
        EVENT_TYPES[self.type_index()]
    }

    /// The index of `type_name()` in `EVENT_TYPES`.
    pub fn type_index(&self) -> usize {
        match self {
            EventData::StrategyAdopted(_) => 0,
            EventData::EnterpriseRegistered(_) => 1,
            EventData::EnterpriseClosed(_) => 2,
            EventData::PersonPlacedInEmployment(_) => 3,
            EventData::GrantAwarded(_) => 4,
            EventData::AgreementSigned(_) => 5,
            EventData::AgreementEnded(_) => 6,
            EventData::TrialStarted(_) => 7,
            EventData::TrendNoted(_) => 8,
            EventData::EventRetracted(_) => 9,
            EventData::PlacementEnded(_) => 10,
            EventData::GrantPaid(_) => 11,
            EventData::GrantReturned(_) => 12,
            EventData::AgreementRenewed(_) => 13,
            EventData::TrialConcluded(_) => 14,
            EventData::StrategyRevised(_) => 15,
            EventData::MembersErased(_) => 16,
        }
    }

    /// Parses the `data` member for the given `type`, refusing unknown fields.
    ///
    /// The error names the path inside `data` that is wrong, e.g. `targets[0].metric`.
    pub fn from_json(type_name: &str, data: serde_json::Value) -> Result<Self, DataError> {
        fn parse<T: serde::de::DeserializeOwned>(data: serde_json::Value) -> Result<T, DataError> {
            serde_path_to_error::deserialize(data).map_err(|error| {
                let message = error.inner().to_string();
                DataError::Invalid {
                    path: error_path(error.path().to_string(), &message),
                    message,
                }
            })
        }
        Ok(match type_name {
            "StrategyAdopted" => EventData::StrategyAdopted(parse(data)?),
            "EnterpriseRegistered" => EventData::EnterpriseRegistered(parse(data)?),
            "EnterpriseClosed" => EventData::EnterpriseClosed(parse(data)?),
            "PersonPlacedInEmployment" => EventData::PersonPlacedInEmployment(parse(data)?),
            "GrantAwarded" => EventData::GrantAwarded(parse(data)?),
            "AgreementSigned" => EventData::AgreementSigned(parse(data)?),
            "AgreementEnded" => EventData::AgreementEnded(parse(data)?),
            "TrialStarted" => EventData::TrialStarted(parse(data)?),
            "TrendNoted" => EventData::TrendNoted(parse(data)?),
            "EventRetracted" => EventData::EventRetracted(parse(data)?),
            "PlacementEnded" => EventData::PlacementEnded(parse(data)?),
            "GrantPaid" => EventData::GrantPaid(parse(data)?),
            "GrantReturned" => EventData::GrantReturned(parse(data)?),
            "AgreementRenewed" => EventData::AgreementRenewed(parse(data)?),
            "TrialConcluded" => EventData::TrialConcluded(parse(data)?),
            "StrategyRevised" => EventData::StrategyRevised(parse(data)?),
            "MembersErased" => EventData::MembersErased(parse(data)?),
            other => return Err(DataError::UnknownType(other.to_owned())),
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
        let (kind, id) = match self {
            EventData::StrategyAdopted(data) => (StreamKind::Strategy, data.strategy_id),
            EventData::EnterpriseRegistered(data) => (StreamKind::Enterprise, data.enterprise_id),
            EventData::EnterpriseClosed(data) => (StreamKind::Enterprise, data.enterprise_id),
            EventData::PersonPlacedInEmployment(data) => (StreamKind::Placement, data.placement_id),
            EventData::GrantAwarded(data) => (StreamKind::Grant, data.grant_id),
            EventData::AgreementSigned(data) => (StreamKind::Agreement, data.agreement_id),
            EventData::AgreementEnded(data) => (StreamKind::Agreement, data.agreement_id),
            EventData::TrialStarted(data) => (StreamKind::Trial, data.trial_id),
            EventData::TrendNoted(data) => (StreamKind::Trend, data.trend_id),
            EventData::EventRetracted(_) | EventData::MembersErased(_) => return None,
            EventData::PlacementEnded(data) => (StreamKind::Placement, data.placement_id),
            EventData::GrantPaid(data) => (StreamKind::Grant, data.grant_id),
            EventData::GrantReturned(data) => (StreamKind::Grant, data.grant_id),
            EventData::AgreementRenewed(data) => (StreamKind::Agreement, data.agreement_id),
            EventData::TrialConcluded(data) => (StreamKind::Trial, data.trial_id),
            EventData::StrategyRevised(data) => (StreamKind::Strategy, data.strategy_id),
        };
        Some(StreamId { kind, id })
    }

    /// The first schema whose catalogue has this event's type: an event of an older schema
    /// cannot be of it.
    pub fn first_schema(&self) -> u16 {
        match self {
            EventData::StrategyAdopted(_)
            | EventData::EnterpriseRegistered(_)
            | EventData::EnterpriseClosed(_)
            | EventData::PersonPlacedInEmployment(_)
            | EventData::GrantAwarded(_)
            | EventData::AgreementSigned(_)
            | EventData::AgreementEnded(_)
            | EventData::TrialStarted(_)
            | EventData::TrendNoted(_)
            | EventData::EventRetracted(_) => 1,
            EventData::PlacementEnded(_)
            | EventData::GrantPaid(_)
            | EventData::GrantReturned(_)
            | EventData::AgreementRenewed(_)
            | EventData::TrialConcluded(_)
            | EventData::StrategyRevised(_)
            | EventData::MembersErased(_) => 2,
        }
    }

    /// Whether this event brings an entity into being, and so needs a new stream.
    pub fn creates_stream(&self) -> bool {
        !matches!(
            self,
            EventData::EnterpriseClosed(_)
                | EventData::AgreementEnded(_)
                | EventData::EventRetracted(_)
                | EventData::PlacementEnded(_)
                | EventData::GrantPaid(_)
                | EventData::GrantReturned(_)
                | EventData::AgreementRenewed(_)
                | EventData::TrialConcluded(_)
                | EventData::StrategyRevised(_)
                | EventData::MembersErased(_)
        )
    }

    /// The SDG tags an event carries, if any.
    pub fn sdgs(&self) -> &[u8] {
        let sdgs = match self {
            EventData::EnterpriseRegistered(data) => &data.sdgs,
            EventData::GrantAwarded(data) => &data.sdgs,
            EventData::TrialStarted(data) => &data.sdgs,
            EventData::TrendNoted(data) => &data.sdgs,
            _ => return &[],
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
