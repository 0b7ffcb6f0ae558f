//! The `Projection`: one incremental fold over the log, and how each event changes it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use impact_events::{
    EmploymentType, EventData, Hash, RecordedAt, StoredEvent, StrategyAdopted, TrendKind, TrialKind,
};
use uuid::Uuid;

use crate::agreements::Agreement;
use crate::enterprises::Enterprise;
use crate::event_ref::EventRef;
use crate::kinds::{employment_index, trend_index, trial_index};
use crate::years::{Goals, Years};

/// Figures derived from the events applied so far, kept up to date one event at a time.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    pub(crate) position: u64,
    /// Every applied event by id: what a later retraction must take back.
    records: HashMap<Uuid, Record>,
    pub(crate) years: Years,
    persons: Interner,
    pub(crate) funders: Interner,
    pub(crate) enterprises: Vec<Enterprise>,
    enterprise_slots: HashMap<Uuid, usize>,
    agreements: Vec<Agreement>,
    agreement_slots: HashMap<Uuid, usize>,
    /// In position order, so the latest-recorded strategy is found from the back.
    pub(crate) strategies: Vec<Strategy>,
    /// In the order the retractions were applied.
    pub(crate) retractions: Vec<Retraction>,
}

#[derive(Clone, Debug)]
pub(crate) struct Strategy {
    pub(crate) adopted: StrategyAdopted,
    pub(crate) retracted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Retraction {
    pub(crate) original: EventRef,
    pub(crate) retracted_by: EventRef,
    pub(crate) reason: String,
}

/// One applied event: its envelope (to name it if it is retracted) and what it contributed.
#[derive(Clone, Debug)]
struct Record {
    position: u64,
    occurred_on: NaiveDate,
    recorded_at: RecordedAt,
    hash: Hash,
    event_type: &'static str,
    fact: Fact,
    retracted: bool,
}

impl Record {
    fn event_ref(&self, id: Uuid) -> EventRef {
        EventRef {
            position: self.position,
            id,
            event_type: self.event_type,
            occurred_on: self.occurred_on,
            recorded_at: self.recorded_at,
            hash: self.hash,
        }
    }
}

/// What an event contributed, in the compact form needed to take it back.
#[derive(Clone, Copy, Debug)]
enum Fact {
    Strategy(usize),
    Registration(usize),
    Closure(usize),
    Placement {
        person: u32,
        employment_type: EmploymentType,
    },
    Grant {
        funder: u32,
        amount_ore: i64,
        goals: Goals,
    },
    Signing(usize),
    Ending(usize),
    Trial {
        kind: TrialKind,
        goals: Goals,
    },
    Trend {
        kind: TrendKind,
    },
    /// A retraction contributes nothing itself, and cannot be retracted.
    Retraction,
    /// An event that breaks the rules and so contributes nothing: a closure of an unknown or
    /// already closed enterprise, a second creation with the same entity id.
    Nothing,
}

/// Strings seen many times (person refs, funder names) held once and named by a number.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    numbers: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Interner {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(number) = self.numbers.get(name) {
            return *number;
        }
        let number = u32::try_from(self.names.len()).expect("fewer than 4 billion names");
        let name: Arc<str> = Arc::from(name);
        self.names.push(Arc::clone(&name));
        self.numbers.insert(name, number);
        number
    }

    pub(crate) fn name(&self, number: u32) -> &str {
        &self.names[number as usize]
    }
}

impl Projection {
    pub fn new() -> Self {
        Projection::default()
    }

    /// Folds events, in position order, into a new projection.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a StoredEvent>) -> Self {
        let mut projection = Projection::new();
        for event in events {
            projection.apply(event);
        }
        projection
    }

    /// The position of the last applied event, 0 before the first.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Takes one more event into account, in constant time (amortised).
    ///
    /// Events must come in position order. An event at or below `position()` was already
    /// applied and is skipped, so feeding the same event twice changes nothing.
    pub fn apply(&mut self, event: &StoredEvent) {
        if event.position <= self.position {
            return;
        }
        self.position = event.position;
        if self.records.contains_key(&event.id) {
            // An event id is unique in a valid log; the first event with it stands.
            return;
        }
        let fact = self.take(event);
        let record = Record {
            position: event.position,
            occurred_on: event.occurred_on,
            recorded_at: event.recorded_at,
            hash: event.hash,
            event_type: event.data.type_name(),
            fact,
            retracted: false,
        };
        self.records.insert(event.id, record);
        if let EventData::EventRetracted(retracted) = &event.data {
            self.retract(retracted.event_id, EventRef::of(event), &retracted.reason);
        }
    }

    /// Adds what a (non-retraction) event contributes and says how to take it back.
    fn take(&mut self, event: &StoredEvent) -> Fact {
        let year = event.occurred_on.year();
        match &event.data {
            EventData::StrategyAdopted(adopted) => {
                self.strategies.push(Strategy {
                    adopted: adopted.clone(),
                    retracted: false,
                });
                Fact::Strategy(self.strategies.len() - 1)
            }
            EventData::EnterpriseRegistered(registered) => {
                if self
                    .enterprise_slots
                    .contains_key(&registered.enterprise_id)
                {
                    return Fact::Nothing;
                }
                let enterprise = Enterprise {
                    kind: registered.kind,
                    goals: Goals::from_tags(event.data.sdgs()),
                    registration: EventRef::of(event),
                    registration_retracted: false,
                    closure: None,
                };
                enterprise.count(&mut self.years, 1);
                self.enterprises.push(enterprise);
                let slot = self.enterprises.len() - 1;
                self.enterprise_slots.insert(registered.enterprise_id, slot);
                Fact::Registration(slot)
            }
            EventData::EnterpriseClosed(closed) => {
                let slot = self.enterprise_slots.get(&closed.enterprise_id).copied();
                match slot.filter(|slot| self.enterprises[*slot].closure.is_none()) {
                    Some(slot) => {
                        let closure = EventRef::of(event);
                        self.change_enterprise(slot, |enterprise| {
                            enterprise.closure = Some(closure);
                        });
                        Fact::Closure(slot)
                    }
                    None => Fact::Nothing,
                }
            }
            EventData::PersonPlacedInEmployment(placed) => {
                let person = self.persons.number(&placed.person_ref);
                let employment_type = placed.employment_type;
                self.count_placement(year, person, employment_type, 1);
                Fact::Placement {
                    person,
                    employment_type,
                }
            }
            EventData::GrantAwarded(awarded) => {
                let funder = self.funders.number(&awarded.funder);
                let goals = Goals::from_tags(event.data.sdgs());
                self.count_grant(year, funder, awarded.amount_ore, goals, 1);
                Fact::Grant {
                    funder,
                    amount_ore: awarded.amount_ore,
                    goals,
                }
            }
            EventData::AgreementSigned(signed) => {
                if self.agreement_slots.contains_key(&signed.agreement_id) {
                    return Fact::Nothing;
                }
                let agreement = Agreement {
                    kind: signed.kind,
                    signed_on: event.occurred_on,
                    valid_to: signed.valid_to,
                    retracted: false,
                    ended: None,
                };
                agreement.count(&mut self.years, 1);
                self.agreements.push(agreement);
                let slot = self.agreements.len() - 1;
                self.agreement_slots.insert(signed.agreement_id, slot);
                Fact::Signing(slot)
            }
            EventData::AgreementEnded(ended) => {
                let slot = self.agreement_slots.get(&ended.agreement_id).copied();
                match slot.filter(|slot| self.agreements[*slot].ended.is_none()) {
                    Some(slot) => {
                        let ending = (event.id, event.occurred_on);
                        self.change_agreement(slot, |agreement| agreement.ended = Some(ending));
                        Fact::Ending(slot)
                    }
                    None => Fact::Nothing,
                }
            }
            EventData::TrialStarted(started) => {
                let goals = Goals::from_tags(event.data.sdgs());
                self.count_trial(year, started.kind, goals, 1);
                Fact::Trial {
                    kind: started.kind,
                    goals,
                }
            }
            EventData::TrendNoted(noted) => {
                self.years.at(year).trends[trend_index(noted.kind)] += 1;
                Fact::Trend { kind: noted.kind }
            }
            EventData::EventRetracted(_) => Fact::Retraction,
        }
    }

    /// Takes back exactly what the retracted event contributed, and remembers the retraction.
    fn retract(&mut self, target: Uuid, retracted_by: EventRef, reason: &str) {
        let Some(record) = self.records.get_mut(&target) else {
            return;
        };
        if record.retracted || matches!(record.fact, Fact::Retraction) {
            return;
        }
        record.retracted = true;
        let original = record.event_ref(target);
        let year = original.occurred_on.year();
        let fact = record.fact;
        match fact {
            Fact::Strategy(slot) => self.strategies[slot].retracted = true,
            Fact::Registration(slot) => {
                self.change_enterprise(slot, |enterprise| enterprise.registration_retracted = true)
            }
            Fact::Closure(slot) => self.change_enterprise(slot, |enterprise| {
                if enterprise.closure.as_ref().map(|closure| closure.id) == Some(target) {
                    enterprise.closure = None;
                }
            }),
            Fact::Placement {
                person,
                employment_type,
            } => self.count_placement(year, person, employment_type, -1),
            Fact::Grant {
                funder,
                amount_ore,
                goals,
            } => self.count_grant(year, funder, amount_ore, goals, -1),
            Fact::Signing(slot) => self.change_agreement(slot, |agreement| {
                agreement.retracted = true;
            }),
            Fact::Ending(slot) => self.change_agreement(slot, |agreement| {
                if agreement.ended.map(|(id, _)| id) == Some(target) {
                    agreement.ended = None;
                }
            }),
            Fact::Trial { kind, goals } => self.count_trial(year, kind, goals, -1),
            Fact::Trend { kind } => self.years.at(year).trends[trend_index(kind)] -= 1,
            Fact::Retraction | Fact::Nothing => {}
        }
        self.retractions.push(Retraction {
            original,
            retracted_by,
            reason: reason.to_owned(),
        });
    }

    /// Changes an enterprise: takes out its old contribution and adds its new one.
    fn change_enterprise(&mut self, slot: usize, change: impl FnOnce(&mut Enterprise)) {
        let enterprise = &mut self.enterprises[slot];
        enterprise.count(&mut self.years, -1);
        change(enterprise);
        enterprise.count(&mut self.years, 1);
    }

    /// Changes an agreement: takes out its old contribution and adds its new one.
    fn change_agreement(&mut self, slot: usize, change: impl FnOnce(&mut Agreement)) {
        let agreement = &mut self.agreements[slot];
        agreement.count(&mut self.years, -1);
        change(agreement);
        agreement.count(&mut self.years, 1);
    }

    fn count_placement(&mut self, year: i32, person: u32, kind: EmploymentType, sign: i64) {
        let totals = self.years.at(year);
        totals.count_person(person, sign);
        totals.placements[employment_index(kind)] += sign;
    }

    fn count_grant(&mut self, year: i32, funder: u32, amount_ore: i64, goals: Goals, sign: i64) {
        let totals = self.years.at(year);
        totals.grants += sign;
        totals.grants_ore += i128::from(sign) * i128::from(amount_ore);
        totals.count_funder(funder, amount_ore, sign);
        for goal in goals.iter() {
            totals.goals[goal] += sign;
        }
    }

    fn count_trial(&mut self, year: i32, kind: TrialKind, goals: Goals, sign: i64) {
        let totals = self.years.at(year);
        totals.trials[trial_index(kind)] += sign;
        for goal in goals.iter() {
            totals.goals[goal] += sign;
        }
    }
}
