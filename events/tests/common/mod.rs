//! Events shared by the test files: one of every variant, and a sealed chain of them.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use chrono::NaiveDate;
use impact_events::*;
use uuid::Uuid;

pub fn uuid(number: u128) -> Uuid {
    Uuid::from_u128(number)
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// 2026-11-27T06:00:00.123456Z plus `micros`.
pub fn recorded_at(micros: i64) -> RecordedAt {
    RecordedAt(1_795_759_200_123_456 + micros)
}

/// One payload of every variant, in catalogue order, every optional member left out; the
/// retraction retracts event `uuid(0xE1)`.
pub fn every_variant_minimal() -> Vec<EventData> {
    vec![
        EventData::StrategyAdopted(StrategyAdopted {
            strategy_id: uuid(0x51),
            name: "Strategi 2.0".to_owned(),
            from_year: 2022,
            to_year: 2025,
            targets: vec![Target {
                metric: Metric::PeopleEmployed,
                per: Per::Year,
                value: 30,
            }],
        }),
        EventData::EnterpriseRegistered(EnterpriseRegistered {
            enterprise_id: uuid(0xE0),
            name: "Café Kronen".to_owned(),
            kind: EnterpriseKind::Enterprise,
            cvr: None,
            rsv: None,
            sdgs: None,
        }),
        EventData::EnterpriseClosed(EnterpriseClosed {
            enterprise_id: uuid(0xE0),
            reason: None,
        }),
        EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
            placement_id: uuid(0xB0),
            person_ref: "P-0001".to_owned(),
            employment_type: EmploymentType::Flexjob,
            enterprise_id: None,
        }),
        EventData::GrantAwarded(GrantAwarded {
            grant_id: uuid(0x90),
            funder: "Fonden X".to_owned(),
            amount_ore: 30_000_000,
            purpose: None,
            enterprise_id: None,
            sdgs: None,
        }),
        EventData::AgreementSigned(AgreementSigned {
            agreement_id: uuid(0xA0),
            counterparty: "Frivilligcenter Slagelse".to_owned(),
            kind: AgreementKind::CivilSociety,
            valid_to: None,
        }),
        EventData::AgreementEnded(AgreementEnded {
            agreement_id: uuid(0xA0),
            reason: None,
        }),
        EventData::TrialStarted(TrialStarted {
            trial_id: uuid(0x70),
            title: "Ekstra gear".to_owned(),
            kind: TrialKind::TrialAction,
            partners: None,
            sdgs: None,
        }),
        EventData::TrendNoted(TrendNoted {
            trend_id: uuid(0xD0),
            title: "Sociale klausuler".to_owned(),
            kind: TrendKind::Offer,
            source: None,
            sdgs: None,
        }),
        EventData::EventRetracted(EventRetracted {
            event_id: uuid(0xE1),
            reason: "entered twice".to_owned(),
        }),
        // Catalogue 2 (schema 2), appended in catalogue order.
        EventData::PlacementEnded(PlacementEnded {
            placement_id: uuid(0xB0),
            reason: PlacementEndReason::MovedOn,
        }),
        EventData::GrantPaid(GrantPaid {
            grant_id: uuid(0x90),
            amount_ore: 20_000_000,
        }),
        EventData::GrantReturned(GrantReturned {
            grant_id: uuid(0x90),
            amount_ore: 5_000_000,
        }),
        EventData::AgreementRenewed(AgreementRenewed {
            agreement_id: uuid(0xA0),
            valid_to: date(2027, 12, 31),
        }),
        EventData::TrialConcluded(TrialConcluded {
            trial_id: uuid(0x70),
            outcome: TrialOutcome::Adopted,
            lessons: None,
        }),
        EventData::StrategyRevised(StrategyRevised {
            strategy_id: uuid(0x51),
            targets: vec![Target {
                metric: Metric::RetentionSixMonthsPct,
                per: Per::Year,
                value: 70,
            }],
        }),
        EventData::MembersErased(MembersErased {
            event_id: uuid(0xE0),
            members: vec!["note".to_owned(), "data.person_ref".to_owned()],
            reason: "skrevet på forkert sag".to_owned(),
        }),
    ]
}

/// One payload of every variant with every optional member given.
pub fn every_variant_full() -> Vec<EventData> {
    every_variant_minimal()
        .into_iter()
        .map(|data| match data {
            EventData::StrategyAdopted(mut data) => {
                data.targets.push(Target {
                    metric: Metric::EnterprisesActive,
                    per: Per::Period,
                    value: 40,
                });
                EventData::StrategyAdopted(data)
            }
            EventData::EnterpriseRegistered(data) => {
                EventData::EnterpriseRegistered(EnterpriseRegistered {
                    cvr: Some("10150817".to_owned()),
                    rsv: Some(true),
                    sdgs: Some(vec![8, 10]),
                    ..data
                })
            }
            EventData::EnterpriseClosed(data) => EventData::EnterpriseClosed(EnterpriseClosed {
                reason: Some("merged".to_owned()),
                ..data
            }),
            EventData::PersonPlacedInEmployment(data) => {
                EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
                    enterprise_id: Some(uuid(0xE0)),
                    ..data
                })
            }
            EventData::GrantAwarded(data) => EventData::GrantAwarded(GrantAwarded {
                purpose: Some("Værested".to_owned()),
                enterprise_id: Some(uuid(0xE0)),
                sdgs: Some(vec![1, 17]),
                ..data
            }),
            EventData::AgreementSigned(data) => EventData::AgreementSigned(AgreementSigned {
                valid_to: Some(date(2025, 12, 31)),
                ..data
            }),
            EventData::AgreementEnded(data) => EventData::AgreementEnded(AgreementEnded {
                reason: Some("done".to_owned()),
                ..data
            }),
            EventData::TrialStarted(data) => EventData::TrialStarted(TrialStarted {
                partners: Some(vec!["Jobcenter".to_owned(), "Erhverv".to_owned()]),
                sdgs: Some(vec![]),
                ..data
            }),
            EventData::TrendNoted(data) => EventData::TrendNoted(TrendNoted {
                source: Some("KL".to_owned()),
                sdgs: Some(vec![12]),
                ..data
            }),
            EventData::TrialConcluded(data) => EventData::TrialConcluded(TrialConcluded {
                lessons: Some("Fælles indgang virker\n\"igen\"".to_owned()),
                ..data
            }),
            EventData::StrategyRevised(mut data) => {
                for metric in [Metric::GrantsTotalOre, Metric::AgreementsActive] {
                    let per = metric.per();
                    data.targets.push(Target {
                        metric,
                        per,
                        value: 5,
                    });
                }
                EventData::StrategyRevised(data)
            }
            unchanged => unchanged,
        })
        .collect()
}

/// A new event with a plain envelope: no correlation id, case_ref or note.
pub fn new_event(id: Uuid, occurred_on: NaiveDate, data: EventData) -> NewEvent {
    NewEvent {
        id,
        id_from_client: true,
        occurred_on,
        data,
        expected_version: None,
        correlation_id: None,
        case_ref: None,
        note: None,
    }
}

/// Seals events into a valid chain: positions from 1, versions per stream, each `prev_hash`
/// the hash before it. A retraction goes to the stream of the event it names.
pub fn seal_chain(events: Vec<NewEvent>) -> Vec<StoredEvent> {
    let mut chain: Vec<StoredEvent> = Vec::new();
    for event in events {
        let stream = match &event.data {
            EventData::EventRetracted(EventRetracted { event_id, .. })
            | EventData::MembersErased(MembersErased { event_id, .. }) => {
                let target = chain.iter().find(|stored| stored.id == *event_id);
                target.expect("a retraction names an earlier event").stream
            }
            other => other.own_stream().unwrap(),
        };
        let version = chain
            .iter()
            .filter(|stored| stored.stream == stream)
            .count() as u64
            + 1;
        let placement = Placement {
            position: chain.len() as u64 + 1,
            stream,
            version,
            recorded_at: recorded_at(chain.len() as i64),
            actor: "anna".to_owned(),
            prev_hash: chain.last().map_or(Hash::GENESIS, |last| last.hash),
        };
        chain.push(StoredEvent::seal(event, placement));
    }
    chain
}

/// Every minimal payload as one valid chain; the retraction retracts the registration.
pub fn every_variant_chain() -> Vec<StoredEvent> {
    let events = every_variant_minimal()
        .into_iter()
        .enumerate()
        .map(|(index, data)| new_event(uuid(0xE1 + index as u128 - 1), date(2023, 1, 1), data))
        .collect();
    seal_chain(events)
}

/// Every full payload as one valid chain, each with a full envelope; the retraction retracts the
/// registration.
pub fn every_variant_full_chain() -> Vec<StoredEvent> {
    let events = every_variant_full()
        .into_iter()
        .enumerate()
        .map(|(index, data)| {
            let mut event = new_event(uuid(0xE0 + index as u128), date(2024, 2, 29), data);
            event.correlation_id = Some(uuid(0xC0));
            event.case_ref = Some("24-004614".to_owned());
            event.note = Some("Jørgen ringede\n\"igen\"".to_owned());
            event
        })
        .collect();
    seal_chain(events)
}

/// The chain as the schema-1 binary sealed it: every event of schema 1 (types added later are
/// left out), with `schema` 1 and the hashes that gives, linked again.
pub fn reseal_as_schema1(chain: Vec<StoredEvent>) -> Vec<StoredEvent> {
    let mut resealed: Vec<StoredEvent> = Vec::new();
    for mut event in chain
        .into_iter()
        .filter(|event| event.data.first_schema() == 1)
    {
        event.schema = 1;
        event.position = resealed.len() as u64 + 1;
        event.prev_hash = resealed.last().map_or(Hash::GENESIS, |last| last.hash);
        event.hash = event.compute_hash();
        resealed.push(event);
    }
    resealed
}
