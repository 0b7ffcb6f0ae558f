//! A deterministic, realistic mix of stored events for the benchmarks: the same mix as
//! `ops/bench/gen_export.py` (mostly placements, then trends, enterprises, grants, agreements,
//! trials, a few closures, endings and retractions), every event valid against the ones before.
//!
//! Shared by `events/benches/hot_paths.rs` and `projections/benches/fold.rs` (by `#[path]`).
// Each bench uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use impact_events::*;
use uuid::Uuid;

/// 2022-01-03T07:00:00Z in microseconds: the first event's `recorded_at`.
const START_MICROS: i64 = 1_641_193_200_000_000;
/// The mean gap between two events' `recorded_at`: a million events span about four years.
const GAP_MICROS_MEAN: u64 = 126_000_000;

/// What happens after the first strategy, with weights out of 1000.
const MIX: [(&str, u64); 9] = [
    ("PersonPlacedInEmployment", 560),
    ("EnterpriseRegistered", 80),
    ("EnterpriseClosed", 20),
    ("GrantAwarded", 80),
    ("AgreementSigned", 60),
    ("AgreementEnded", 15),
    ("TrialStarted", 60),
    ("TrendNoted", 115),
    ("EventRetracted", 10),
];

const FUNDERS: [&str; 4] = [
    "Socialstyrelsen",
    "Puljen til socialøkonomi",
    "Velliv Foreningen",
    "A.P. Møller Fonden",
];

/// A generator of one valid log, event after event.
pub struct Mix {
    random: u64,
    /// Whether events get real hashes (the projection does not look at them).
    hashed: bool,
    position: u64,
    prev_hash: Hash,
    recorded_at: i64,
    persons: u64,
    versions: HashMap<StreamId, u64>,
    enterprises: Vec<(Uuid, NaiveDate)>,
    open_enterprises: Vec<(Uuid, NaiveDate)>,
    open_agreements: Vec<(Uuid, NaiveDate)>,
    retractable: Vec<(Uuid, StreamId)>,
}

impl Mix {
    /// A log whose person refs are drawn from `persons` people.
    pub fn new(seed: u64, hashed: bool, persons: u64) -> Self {
        Mix {
            random: seed,
            hashed,
            position: 0,
            prev_hash: Hash::GENESIS,
            recorded_at: START_MICROS,
            persons: persons.max(10),
            versions: HashMap::new(),
            enterprises: Vec::new(),
            open_enterprises: Vec::new(),
            open_agreements: Vec::new(),
            retractable: Vec::new(),
        }
    }

    /// splitmix64: small, fast and good enough to pick a mix.
    fn next(&mut self) -> u64 {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn uuid(&mut self) -> Uuid {
        let high = u128::from(self.next()) << 64;
        let bytes = (high | u128::from(self.next())).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    fn take(
        &mut self,
        pick_from: fn(&mut Mix) -> &mut Vec<(Uuid, NaiveDate)>,
    ) -> (Uuid, NaiveDate) {
        let length = pick_from(self).len() as u64;
        let index = self.below(length) as usize;
        pick_from(self).swap_remove(index)
    }

    /// A day up to 45 days before the event is recorded, and not before `not_before`.
    fn occurred_on(&mut self, not_before: Option<NaiveDate>) -> NaiveDate {
        let recorded = RecordedAt(self.recorded_at).to_datetime().date_naive();
        let day = recorded - Days::new(self.below(46));
        not_before.map_or(day, |not_before| day.max(not_before))
    }

    fn sdgs(&mut self) -> Option<Vec<u8>> {
        if self.chance(50) {
            return None;
        }
        let first = 1 + self.below(15) as u8;
        Some((first..first + 1 + self.below(3) as u8).collect())
    }

    fn pick_type(&mut self) -> &'static str {
        if self.position == 0 {
            return "StrategyAdopted";
        }
        let mut point = self.below(1000);
        let mut name = MIX[0].0;
        for (candidate, weight) in MIX {
            if point < weight {
                name = candidate;
                break;
            }
            point -= weight;
        }
        let impossible = match name {
            "EnterpriseClosed" => self.open_enterprises.is_empty(),
            "AgreementEnded" => self.open_agreements.is_empty(),
            "EventRetracted" => self.retractable.is_empty(),
            _ => false,
        };
        if impossible {
            "PersonPlacedInEmployment"
        } else {
            name
        }
    }

    /// A new placement payload: the most common event, and the one the HTTP benchmark sends.
    pub fn placement(&mut self) -> PersonPlacedInEmployment {
        let with_enterprise = !self.enterprises.is_empty() && self.chance(40);
        let enterprise_id = if with_enterprise {
            let index = self.below(self.enterprises.len() as u64) as usize;
            Some(self.enterprises[index].0)
        } else {
            None
        };
        let types = [
            EmploymentType::Ordinary,
            EmploymentType::Ordinary,
            EmploymentType::Ordinary,
            EmploymentType::Flexjob,
            EmploymentType::WageSubsidy,
            EmploymentType::Education,
        ];
        PersonPlacedInEmployment {
            placement_id: self.uuid(),
            person_ref: format!("P-{:07}", self.below(self.persons)),
            employment_type: types[self.below(types.len() as u64) as usize],
            enterprise_id,
        }
    }

    /// The payload of the next event, with the date it occurred on and the stream it goes to.
    fn payload(&mut self, id: Uuid) -> (EventData, NaiveDate, StreamId) {
        let data = match self.pick_type() {
            "StrategyAdopted" => EventData::StrategyAdopted(StrategyAdopted {
                strategy_id: self.uuid(),
                name: "Den Socialøkonomiske Strategi 2.0".to_owned(),
                from_year: 2022,
                to_year: 2025,
                targets: vec![
                    Target {
                        metric: Metric::PeopleEmployed,
                        per: Per::Year,
                        value: 30,
                    },
                    Target {
                        metric: Metric::EnterprisesActive,
                        per: Per::Period,
                        value: 40,
                    },
                ],
            }),
            "EnterpriseRegistered" => EventData::EnterpriseRegistered(EnterpriseRegistered {
                enterprise_id: self.uuid(),
                name: format!("Café Kronen {}", self.below(1000)),
                kind: if self.chance(60) {
                    EnterpriseKind::Enterprise
                } else {
                    EnterpriseKind::Initiative
                },
                cvr: self.chance(70).then(|| "10150817".to_owned()),
                rsv: None,
                sdgs: self.sdgs(),
            }),
            "EnterpriseClosed" => {
                let (enterprise_id, registered_on) = self.take(|mix| &mut mix.open_enterprises);
                let occurred_on = self.occurred_on(Some(registered_on));
                let data = EventData::EnterpriseClosed(EnterpriseClosed {
                    enterprise_id,
                    reason: None,
                });
                let stream = data.own_stream().expect("a closure has a stream");
                return (data, occurred_on, stream);
            }
            "GrantAwarded" => EventData::GrantAwarded(GrantAwarded {
                grant_id: self.uuid(),
                funder: FUNDERS[self.below(FUNDERS.len() as u64) as usize].to_owned(),
                amount_ore: (1 + self.below(5000) as i64) * 10_000,
                purpose: None,
                enterprise_id: None,
                sdgs: self.sdgs(),
            }),
            "AgreementSigned" => EventData::AgreementSigned(AgreementSigned {
                agreement_id: self.uuid(),
                counterparty: "Frivilligcenter Slagelse".to_owned(),
                kind: AgreementKind::CivilSociety,
                valid_to: None,
            }),
            "AgreementEnded" => {
                let (agreement_id, signed_on) = self.take(|mix| &mut mix.open_agreements);
                let occurred_on = self.occurred_on(Some(signed_on));
                let data = EventData::AgreementEnded(AgreementEnded {
                    agreement_id,
                    reason: None,
                });
                let stream = data.own_stream().expect("an ending has a stream");
                return (data, occurred_on, stream);
            }
            "TrialStarted" => EventData::TrialStarted(TrialStarted {
                trial_id: self.uuid(),
                title: "Ekstra gear".to_owned(),
                kind: TrialKind::TrialAction,
                partners: None,
                sdgs: self.sdgs(),
            }),
            "TrendNoted" => EventData::TrendNoted(TrendNoted {
                trend_id: self.uuid(),
                title: "Sociale klausuler".to_owned(),
                kind: TrendKind::Trend,
                source: None,
                sdgs: self.sdgs(),
            }),
            "EventRetracted" => {
                let index = self.below(self.retractable.len() as u64) as usize;
                let (event_id, stream) = self.retractable.swap_remove(index);
                let data = EventData::EventRetracted(EventRetracted {
                    event_id,
                    reason: "indtastet to gange".to_owned(),
                });
                return (data, self.occurred_on(None), stream);
            }
            _ => EventData::PersonPlacedInEmployment(self.placement()),
        };
        let occurred_on = self.occurred_on(None);
        let stream = data.own_stream().expect("a creating event has a stream");
        match &data {
            EventData::EnterpriseRegistered(registered) => {
                let entity = (registered.enterprise_id, occurred_on);
                self.enterprises.push(entity);
                self.open_enterprises.push(entity);
            }
            EventData::AgreementSigned(signed) => {
                self.open_agreements
                    .push((signed.agreement_id, occurred_on));
            }
            EventData::StrategyAdopted(_) => {}
            _ => self.retractable.push((id, stream)),
        }
        (data, occurred_on, stream)
    }

    /// The next event of the log, sealed (hashed when the mix is `hashed`).
    pub fn next_event(&mut self) -> StoredEvent {
        let id = self.uuid();
        let (data, occurred_on, stream) = self.payload(id);
        self.position += 1;
        self.recorded_at += self.below(2 * GAP_MICROS_MEAN) as i64;
        let version = {
            let version = self.versions.entry(stream).or_insert(0);
            *version += 1;
            *version
        };
        let event = NewEvent {
            id,
            id_from_client: true,
            occurred_on,
            data,
            expected_version: None,
            correlation_id: None,
            case_ref: self.chance(30).then(|| "24-004614".to_owned()),
            note: None,
        };
        let placement = Placement {
            position: self.position,
            stream,
            version,
            recorded_at: RecordedAt(self.recorded_at),
            actor: "anna".to_owned(),
            prev_hash: self.prev_hash,
        };
        // Unhashed, every hash and prev_hash stays 64 zeros.
        let stored = if self.hashed {
            StoredEvent::seal(event, placement)
        } else {
            unhashed(event, placement)
        };
        self.prev_hash = stored.hash;
        stored
    }

    /// The first `count` events of the log.
    pub fn events(&mut self, count: usize) -> Vec<StoredEvent> {
        (0..count).map(|_| self.next_event()).collect()
    }

    /// A registered enterprise to refer to, if any.
    pub fn some_enterprise(&mut self) -> Option<Uuid> {
        let length = self.enterprises.len() as u64;
        if length == 0 {
            return None;
        }
        let index = self.below(length) as usize;
        Some(self.enterprises[index].0)
    }
}

/// A stored event without computing its hash: for benchmarks that never look at it.
fn unhashed(event: NewEvent, placement: Placement) -> StoredEvent {
    StoredEvent {
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
        sealing: Default::default(),
    }
}
