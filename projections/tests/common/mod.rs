//! Test support: builds valid, sealed, hash-chained logs event by event, with short helpers.
#![allow(dead_code)]

use std::collections::HashMap;

use impact_events::time::parse_date;
use impact_events::*;
use uuid::Uuid;

/// The ids a creating event hands out: its own (to retract it) and its entity's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub event: Uuid,
    pub entity: Uuid,
}

/// A log under construction. Ids are deterministic (a counter), recorded_at strictly increases,
/// and every event is first admitted by the rules of `impact-events`, so the log is valid.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub events: Vec<StoredEvent>,
    state: LedgerState,
    next_id: u128,
    versions: HashMap<StreamId, u64>,
    streams: HashMap<Uuid, StreamId>,
}

pub fn date(text: &str) -> chrono::NaiveDate {
    parse_date(text).expect("a test date")
}

impl Log {
    pub fn new() -> Self {
        Log::default()
    }

    pub fn fresh_id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    /// Seals one event at the next position and returns its id.
    pub fn push(&mut self, occurred_on: &str, data: EventData) -> Uuid {
        let id = self.fresh_id();
        self.push_with_id(id, date(occurred_on), data);
        id
    }

    pub fn push_with_id(&mut self, id: Uuid, occurred_on: chrono::NaiveDate, data: EventData) {
        let stream = match &data {
            EventData::EventRetracted(retracted) => self.streams[&retracted.event_id],
            other => other
                .own_stream()
                .expect("a non-retraction has its own stream"),
        };
        let version = self.versions.entry(stream).or_default();
        *version += 1;
        let position = self.events.len() as u64 + 1;
        let placement = Placement {
            position,
            stream,
            version: *version,
            recorded_at: RecordedAt(1_700_000_000_000_000 + position as i64 * 1_000_123),
            actor: "test".to_owned(),
            prev_hash: self.events.last().map_or(Hash::GENESIS, |last| last.hash),
        };
        let event = NewEvent {
            id,
            id_from_client: true,
            occurred_on,
            data,
            expected_version: None,
            correlation_id: None,
            case_ref: None,
            note: None,
        };
        let mut request = [event];
        let admitted = admit_request(&self.state, &mut request, date("2030-12-31"));
        assert_eq!(
            admitted,
            Ok(vec![(stream, placement.version)]),
            "{request:?}"
        );
        let [event] = request;
        self.streams.insert(id, stream);
        let stored = StoredEvent::seal(event, placement);
        self.state.apply(&stored);
        self.events.push(stored);
    }

    pub fn strategy(&mut self, on: &str, from_year: i32, to_year: i32, targets: &[i64]) -> Ids {
        let strategy_id = self.fresh_id();
        let metrics = [
            (Metric::PeopleEmployed, Per::Year),
            (Metric::EnterprisesActive, Per::Period),
        ];
        let targets = metrics
            .iter()
            .zip(targets)
            .map(|((metric, per), value)| Target {
                metric: *metric,
                per: *per,
                value: *value,
            })
            .collect();
        let data = EventData::StrategyAdopted(StrategyAdopted {
            strategy_id,
            name: format!("Strategy {from_year}-{to_year}"),
            from_year,
            to_year,
            targets,
        });
        let event = self.push(on, data);
        Ids {
            event,
            entity: strategy_id,
        }
    }

    pub fn register(&mut self, on: &str, kind: EnterpriseKind, sdgs: &[u8]) -> Ids {
        let enterprise_id = self.fresh_id();
        let data = EventData::EnterpriseRegistered(EnterpriseRegistered {
            enterprise_id,
            name: format!("Enterprise {enterprise_id}"),
            kind,
            cvr: None,
            rsv: None,
            sdgs: (!sdgs.is_empty()).then(|| sdgs.to_vec()),
        });
        Ids {
            event: self.push(on, data),
            entity: enterprise_id,
        }
    }

    pub fn close(&mut self, on: &str, enterprise: Ids) -> Uuid {
        let data = EventData::EnterpriseClosed(EnterpriseClosed {
            enterprise_id: enterprise.entity,
            reason: None,
        });
        self.push(on, data)
    }

    pub fn place(&mut self, on: &str, person_ref: &str, employment_type: EmploymentType) -> Uuid {
        self.place_at(on, person_ref, employment_type, None)
    }

    /// A placement at an enterprise (its entity id), or at none.
    pub fn place_at(
        &mut self,
        on: &str,
        person_ref: &str,
        employment_type: EmploymentType,
        enterprise_id: Option<Uuid>,
    ) -> Uuid {
        self.place_ids(on, person_ref, employment_type, enterprise_id)
            .event
    }

    /// As `place_at`, with the placement's id too (to end it).
    pub fn place_ids(
        &mut self,
        on: &str,
        person_ref: &str,
        employment_type: EmploymentType,
        enterprise_id: Option<Uuid>,
    ) -> Ids {
        let placement_id = self.fresh_id();
        let data = EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
            placement_id,
            person_ref: person_ref.to_owned(),
            employment_type,
            enterprise_id,
        });
        Ids {
            event: self.push(on, data),
            entity: placement_id,
        }
    }

    pub fn end_placement(&mut self, on: &str, placement: Ids) -> Uuid {
        let data = EventData::PlacementEnded(PlacementEnded {
            placement_id: placement.entity,
            reason: PlacementEndReason::Ended,
        });
        self.push(on, data)
    }

    pub fn renew(&mut self, on: &str, agreement: Ids, valid_to: &str) -> Uuid {
        let data = EventData::AgreementRenewed(AgreementRenewed {
            agreement_id: agreement.entity,
            valid_to: date(valid_to),
        });
        self.push(on, data)
    }

    pub fn grant(&mut self, on: &str, funder: &str, amount_ore: i64, sdgs: &[u8]) -> Uuid {
        let grant_id = self.fresh_id();
        let data = EventData::GrantAwarded(GrantAwarded {
            grant_id,
            funder: funder.to_owned(),
            amount_ore,
            purpose: None,
            enterprise_id: None,
            sdgs: (!sdgs.is_empty()).then(|| sdgs.to_vec()),
        });
        self.push(on, data)
    }

    pub fn sign(&mut self, on: &str, kind: AgreementKind, valid_to: Option<&str>) -> Ids {
        let agreement_id = self.fresh_id();
        let data = EventData::AgreementSigned(AgreementSigned {
            agreement_id,
            counterparty: "Partner".to_owned(),
            kind,
            valid_to: valid_to.map(date),
        });
        Ids {
            event: self.push(on, data),
            entity: agreement_id,
        }
    }

    pub fn end(&mut self, on: &str, agreement: Ids) -> Uuid {
        let data = EventData::AgreementEnded(AgreementEnded {
            agreement_id: agreement.entity,
            reason: None,
        });
        self.push(on, data)
    }

    pub fn trial(&mut self, on: &str, kind: TrialKind, sdgs: &[u8]) -> Uuid {
        let trial_id = self.fresh_id();
        let data = EventData::TrialStarted(TrialStarted {
            trial_id,
            title: "Trial".to_owned(),
            kind,
            partners: None,
            sdgs: (!sdgs.is_empty()).then(|| sdgs.to_vec()),
        });
        self.push(on, data)
    }

    pub fn trend(&mut self, on: &str, kind: TrendKind, sdgs: &[u8]) -> Uuid {
        let trend_id = self.fresh_id();
        let data = EventData::TrendNoted(TrendNoted {
            trend_id,
            title: "Trend".to_owned(),
            kind,
            source: None,
            sdgs: (!sdgs.is_empty()).then(|| sdgs.to_vec()),
        });
        self.push(on, data)
    }

    pub fn retract(&mut self, on: &str, event: Uuid, reason: &str) -> Uuid {
        let data = EventData::EventRetracted(EventRetracted {
            event_id: event,
            reason: reason.to_owned(),
        });
        self.push(on, data)
    }

    pub fn position_of(&self, event: Uuid) -> u64 {
        self.events
            .iter()
            .find(|stored| stored.id == event)
            .expect("an event of this log")
            .position
    }

    pub fn projection(&self) -> impact_projections::Projection {
        impact_projections::Projection::fold(&self.events)
    }
}

/// Registers `count` enterprises on 1 March of `year`.
pub fn register(log: &mut Log, year: i32, count: usize) {
    for _ in 0..count {
        log.register(&format!("{year}-03-01"), EnterpriseKind::Enterprise, &[]);
    }
}

/// Places `count` different people on 1 April of `year`.
pub fn place(log: &mut Log, year: i32, count: usize) {
    for person in 0..count {
        let person_ref = format!("person-{person}");
        log.place(
            &format!("{year}-04-01"),
            &person_ref,
            EmploymentType::Ordinary,
        );
    }
}

/// The municipality's figures (CONTRACT §1): 100 people and 31 enterprises in 2022, 118 and 34
/// in 2023 (6 registered, 3 closed), under a strategy for 2022-2025 with targets 30 and 40.
pub fn reported_figures(log: &mut Log) -> Ids {
    let strategy = log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
    register(log, 2022, 31);
    place(log, 2022, 100);
    let mut registered = Vec::new();
    for _ in 0..6 {
        registered.push(log.register("2023-02-01", EnterpriseKind::Initiative, &[]));
    }
    for enterprise in &registered[..3] {
        log.close("2023-09-01", *enterprise);
    }
    place(log, 2023, 118);
    strategy
}

/// The `EventRef` CONTRACT §4 asks for, taken from the stored event's own JSON.
pub fn event_ref(event: &StoredEvent) -> serde_json::Value {
    let json = event.to_json(true);
    let members = [
        "position",
        "id",
        "type",
        "occurred_on",
        "recorded_at",
        "hash",
    ];
    members
        .iter()
        .map(|member| (member.to_string(), json[*member].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
