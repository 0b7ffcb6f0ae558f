//! Upcasting: the one place where the stored types of an older schema become today's
//! (ops/decisions/0004). One function per step, `schema N -> schema N+1`, applied by the codec
//! when a record is read; the stored bytes are never rewritten.
//!
//! An upcast keeps everything the event said, `schema` included: the event's canonical JSON,
//! and so its hash, is still the JSON its own schema wrote (`canonical_json.rs` writes a member
//! added by a later schema only for events of that schema). Upcasting is for reading into
//! today's types, never for re-hashing.

use crate::catalogue::{self as today, EventData, EventType};
use crate::schema1;
use crate::stored::StoredEvent;

/// Schema 1 -> schema 2: catalogue 2 only added event types and metrics, so every schema-1
/// payload maps field for field.
pub fn from_schema1(event: schema1::StoredEvent) -> StoredEvent {
    StoredEvent {
        position: event.position,
        id: event.id,
        stream: event.stream,
        version: event.version,
        schema: event.schema,
        occurred_on: event.occurred_on,
        recorded_at: event.recorded_at,
        actor: event.actor,
        correlation_id: event.correlation_id,
        case_ref: event.case_ref,
        note: event.note,
        data: data_from_schema1(event.data),
        prev_hash: event.prev_hash,
        hash: event.hash,
        sealing: Default::default(),
    }
}

fn data_from_schema1(data: schema1::EventData) -> EventData {
    use schema1::EventData as Old;
    match data {
        Old::StrategyAdopted(old) => EventData::StrategyAdopted(today::StrategyAdopted {
            strategy_id: old.strategy_id,
            name: old.name,
            from_year: old.from_year,
            to_year: old.to_year,
            targets: old.targets.into_iter().map(target_from_schema1).collect(),
        }),
        Old::EnterpriseRegistered(old) => {
            EventData::EnterpriseRegistered(today::EnterpriseRegistered {
                enterprise_id: old.enterprise_id,
                name: old.name,
                kind: match old.kind {
                    schema1::EnterpriseKind::Enterprise => today::EnterpriseKind::Enterprise,
                    schema1::EnterpriseKind::Initiative => today::EnterpriseKind::Initiative,
                },
                cvr: old.cvr,
                rsv: old.rsv,
                sdgs: old.sdgs,
            })
        }
        Old::EnterpriseClosed(old) => EventData::EnterpriseClosed(today::EnterpriseClosed {
            enterprise_id: old.enterprise_id,
            reason: old.reason,
        }),
        Old::PersonPlacedInEmployment(old) => {
            EventData::PersonPlacedInEmployment(today::PersonPlacedInEmployment {
                placement_id: old.placement_id,
                person_ref: old.person_ref,
                employment_type: employment_type_from_schema1(old.employment_type),
                enterprise_id: old.enterprise_id,
            })
        }
        Old::GrantAwarded(old) => EventData::GrantAwarded(today::GrantAwarded {
            grant_id: old.grant_id,
            funder: old.funder,
            amount_ore: old.amount_ore,
            purpose: old.purpose,
            enterprise_id: old.enterprise_id,
            sdgs: old.sdgs,
        }),
        other => data_from_schema1_rest(other),
    }
}

/// The second half of `data_from_schema1`, split to keep each function short.
fn data_from_schema1_rest(data: schema1::EventData) -> EventData {
    use schema1::EventData as Old;
    match data {
        Old::AgreementSigned(old) => EventData::AgreementSigned(today::AgreementSigned {
            agreement_id: old.agreement_id,
            counterparty: old.counterparty,
            kind: match old.kind {
                schema1::AgreementKind::Partnership => today::AgreementKind::Partnership,
                schema1::AgreementKind::CivilSociety => today::AgreementKind::CivilSociety,
                schema1::AgreementKind::Volunteering => today::AgreementKind::Volunteering,
            },
            valid_to: old.valid_to,
        }),
        Old::AgreementEnded(old) => EventData::AgreementEnded(today::AgreementEnded {
            agreement_id: old.agreement_id,
            reason: old.reason,
        }),
        Old::TrialStarted(old) => EventData::TrialStarted(today::TrialStarted {
            trial_id: old.trial_id,
            title: old.title,
            kind: match old.kind {
                schema1::TrialKind::InternalTrial => today::TrialKind::InternalTrial,
                schema1::TrialKind::TrialAction => today::TrialKind::TrialAction,
            },
            partners: old.partners,
            sdgs: old.sdgs,
        }),
        Old::TrendNoted(old) => EventData::TrendNoted(today::TrendNoted {
            trend_id: old.trend_id,
            title: old.title,
            kind: match old.kind {
                schema1::TrendKind::Trend => today::TrendKind::Trend,
                schema1::TrendKind::Offer => today::TrendKind::Offer,
            },
            source: old.source,
            sdgs: old.sdgs,
        }),
        Old::EventRetracted(old) => EventData::EventRetracted(today::EventRetracted {
            event_id: old.event_id,
            reason: old.reason,
        }),
        Old::StrategyAdopted(_)
        | Old::EnterpriseRegistered(_)
        | Old::EnterpriseClosed(_)
        | Old::PersonPlacedInEmployment(_)
        | Old::GrantAwarded(_) => data_from_schema1(data),
    }
}

fn target_from_schema1(target: schema1::Target) -> today::Target {
    today::Target {
        metric: match target.metric {
            schema1::Metric::PeopleEmployed => today::Metric::PeopleEmployed,
            schema1::Metric::EnterprisesActive => today::Metric::EnterprisesActive,
        },
        per: match target.per {
            schema1::Per::Year => today::Per::Year,
            schema1::Per::Period => today::Per::Period,
        },
        value: target.value,
    }
}

fn employment_type_from_schema1(kind: schema1::EmploymentType) -> today::EmploymentType {
    use schema1::EmploymentType as Old;
    match kind {
        Old::Ordinary => today::EmploymentType::Ordinary,
        Old::Flexjob => today::EmploymentType::Flexjob,
        Old::WageSubsidy => today::EmploymentType::WageSubsidy,
        Old::Sheltered => today::EmploymentType::Sheltered,
        Old::Education => today::EmploymentType::Education,
        Old::Other => today::EmploymentType::Other,
    }
}

/// The type of a schema-1 event, in today's catalogue: schema 1's types are today's first ten.
pub fn type_of_schema1(data: &schema1::EventData) -> EventType {
    use schema1::EventData as Old;
    match data {
        Old::StrategyAdopted(_) => EventType::StrategyAdopted,
        Old::EnterpriseRegistered(_) => EventType::EnterpriseRegistered,
        Old::EnterpriseClosed(_) => EventType::EnterpriseClosed,
        Old::PersonPlacedInEmployment(_) => EventType::PersonPlacedInEmployment,
        Old::GrantAwarded(_) => EventType::GrantAwarded,
        Old::AgreementSigned(_) => EventType::AgreementSigned,
        Old::AgreementEnded(_) => EventType::AgreementEnded,
        Old::TrialStarted(_) => EventType::TrialStarted,
        Old::TrendNoted(_) => EventType::TrendNoted,
        Old::EventRetracted(_) => EventType::EventRetracted,
    }
}
