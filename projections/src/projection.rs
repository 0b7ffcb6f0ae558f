//! The `Projection`: one incremental fold over the log, and how each event changes it.

use foldhash::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use impact_events::{
    AgreementKind, EmploymentType, EnterpriseKind, EventData, EventType, Hash, PositionIndex,
    RecordedAt, Records, StoredEvent, StrategyAdopted, TrendKind, TrialKind,
};
use uuid::Uuid;

use crate::agreements::Agreement;
use crate::enterprises::{At, Enterprise};
use crate::event_ref::EventRef;
use crate::kinds::{employment_index, trend_index, trial_index};
use crate::lists::{Lists, NONE};
use crate::retention::Lives;
use crate::years::{Goals, Years};

/// Figures derived from the events applied so far, kept up to date one event at a time.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    pub(crate) position: u64,
    /// Event id → position (the id is read from `records`), for retractions. Empty in a
    /// projection made by `Past::fold`.
    ids: PositionIndex,
    /// One record per position applied, index = position - 1: the event's envelope (to name it
    /// if it is retracted) and what it contributed. Enough to fold the figures of any earlier
    /// position again without the log (`Projection::past`).
    records: Records<Record>,
    /// Positions whose event a retraction took back.
    retracted: HashSet<u64>,
    pub(crate) years: Years,
    pub(crate) persons: Persons,
    pub(crate) funders: Interner,
    pub(crate) enterprises: Vec<Enterprise>,
    enterprise_slots: HashMap<Uuid, u32>,
    pub(crate) agreements: Vec<Agreement>,
    agreement_slots: HashMap<Uuid, u32>,
    /// In position order, so the latest-recorded strategy is found from the back.
    pub(crate) strategies: Vec<Strategy>,
    /// Every `StrategyRevised`, in position order (`Fact::Revision`).
    pub(crate) revisions: Vec<Revision>,
    /// In the order the retractions were applied.
    pub(crate) retractions: Vec<Retraction>,
    /// Each grant's amount, in the order the grants were applied (`Fact::Grant`).
    grant_amounts: Vec<i64>,
    /// Every placement's start and standing ending, for retention (`retention.rs`).
    pub(crate) lives: Lives,
    /// Placement id → its life's slot (the latest creation). Empty in a fold of the past.
    placement_slots: HashMap<Uuid, u32>,
    /// Made by `Past::fold`: it answers questions about its position, it is not folded further.
    past: bool,
    /// Names and per-year positions for the lists (`search.rs`).
    pub(crate) lists: Lists,
}

#[derive(Clone, Debug)]
pub(crate) struct Strategy {
    pub(crate) adopted: StrategyAdopted,
    pub(crate) retracted: bool,
}

/// A strategy's targets as revised, in force from `occurred_on` (CONTRACT §11).
#[derive(Clone, Debug)]
pub(crate) struct Revision {
    pub(crate) revised: impact_events::StrategyRevised,
    pub(crate) event_id: Uuid,
    pub(crate) position: u64,
    pub(crate) occurred_on: NaiveDate,
    pub(crate) retracted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Retraction {
    pub(crate) original: EventRef,
    pub(crate) retracted_by: EventRef,
    pub(crate) reason: String,
}

/// One applied event: its envelope and what it contributed (80 bytes).
#[derive(Clone, Copy, Debug)]
struct Record {
    id: Uuid,
    hash: Hash,
    recorded_at: RecordedAt,
    occurred_on: NaiveDate,
    /// `None` for a gap (a position not applied, in a fold of some events only).
    event_type: Option<EventType>,
    fact: Fact,
}

/// What an event contributed, in the compact form needed to take it back or to add it again.
///
/// Whether an event contributes is decided by the events before it only, so the facts of the
/// first N records are exactly what a fold of the first N events would find.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fact {
    Strategy(u32),
    /// A `StrategyRevised`: its slot in `Projection::revisions`.
    Revision(u32),
    Registration {
        slot: u32,
        kind: EnterpriseKind,
        goals: Goals,
    },
    Closure(u32),
    /// `enterprise` is the slot of the enterprise it names, `NONE` if none; `life` its slot
    /// in `Projection::lives`.
    Placement {
        person: u32,
        employment_type: EmploymentType,
        enterprise: u32,
        life: u32,
    },
    /// A `PlacementEnded` of the placement whose life is in this slot.
    PlacementEnding {
        life: u32,
    },
    /// The amount is kept aside (`Projection::grant_amounts[grant]`), so that every fact fits
    /// in 16 bytes and a record in 80. `partner`: it names an enterprise.
    Grant {
        funder: u32,
        goals: Goals,
        grant: u32,
        partner: bool,
    },
    Signing {
        slot: u32,
        kind: AgreementKind,
        valid_to: Option<NaiveDate>,
    },
    Ending(u32),
    /// An `AgreementRenewed` of the agreement in `slot`, to `valid_to`.
    Renewal {
        slot: u32,
        valid_to: NaiveDate,
    },
    /// `title` is the number of its title in the lists' texts.
    Trial {
        kind: TrialKind,
        goals: Goals,
        title: u32,
    },
    Trend {
        kind: TrendKind,
        title: u32,
    },
    /// A retraction contributes nothing itself, and cannot be retracted. `target` is the
    /// position it took back, 0 if it took back nothing (an unknown or already retracted
    /// event).
    Retraction {
        target: u64,
    },
    /// An event that breaks the rules and so contributes nothing: a closure of an unknown or
    /// already closed enterprise, a second creation with the same entity id, a second event
    /// with the same id.
    Nothing,
}

// A record per event: its size is the projection's memory per event (docs/PERFORMANCE.md).
const _: () = assert!(std::mem::size_of::<Record>() == 80);

impl Record {
    fn event_ref(&self, position: u64) -> EventRef {
        EventRef {
            position,
            id: self.id,
            event_type: self
                .event_type
                .expect("an event ref names an applied event"),
            occurred_on: self.occurred_on,
            recorded_at: self.recorded_at,
            hash: self.hash,
        }
    }
}

/// Strings seen many times (person refs, funder names) held once and named by a number.
///
/// The names are one `String` and a list of where each ends; the index maps a name to its
/// number + 1 and reads the name back from the text: about 15 bytes a name plus its length,
/// where an `Arc<str>` in a map and a list took about 90 (~270,000 person refs at a million
/// events; docs/PERFORMANCE.md, finding 5).
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    text: String,
    ends: Vec<usize>,
    index: PositionIndex,
}

impl Interner {
    pub(crate) fn number(&mut self, name: &str) -> u32 {
        let next = self.ends.len() as u64 + 1;
        let (text, ends) = (&self.text, &self.ends);
        let name_at = |at: u64| name_in(text, ends, at - 1);
        if let Some(known) = self.index.insert_first(&name, next, name_at) {
            return u32::try_from(known - 1).expect("fewer than 4 billion names");
        }
        self.text.push_str(name);
        self.ends.push(self.text.len());
        u32::try_from(next - 1).expect("fewer than 4 billion names")
    }

    pub(crate) fn name(&self, number: u32) -> &str {
        name_in(&self.text, &self.ends, u64::from(number))
    }
}

/// The persons placements count: numbered by the key they are counted by (a pseudonym, or the
/// person_ref itself), each with the person_ref last seen for it, which `q` searches. An erased
/// person_ref (empty) keeps the one seen before, if any, until the next start.
#[derive(Clone, Debug, Default)]
pub(crate) struct Persons {
    keys: Interner,
    refs: Interner,
    ref_of: Vec<u32>,
}

impl Persons {
    /// No person_ref known: only erased ones named the person.
    const UNKNOWN: u32 = u32::MAX;
    /// The key is the person_ref (no pseudonym given).
    const KEY: u32 = u32::MAX - 1;

    pub(crate) fn number(&mut self, key: &str, person_ref: &str) -> u32 {
        let person = self.keys.number(key);
        let index = person as usize;
        if index == self.ref_of.len() {
            self.ref_of.push(Self::UNKNOWN);
        }
        if key == person_ref {
            self.ref_of[index] = Self::KEY;
        } else if !person_ref.is_empty() {
            self.ref_of[index] = self.refs.number(person_ref);
        }
        person
    }

    /// The person_ref to search a person by; empty when only erased references named them.
    pub(crate) fn name(&self, number: u32) -> &str {
        match self.ref_of.get(number as usize) {
            Some(&Self::UNKNOWN) | None => "",
            Some(&Self::KEY) => self.keys.name(number),
            Some(&known) => self.refs.name(known),
        }
    }
}

fn name_in<'a>(text: &'a str, ends: &[usize], number: u64) -> &'a str {
    let number = number as usize;
    let start = number.checked_sub(1).map_or(0, |before| ends[before]);
    &text[start..ends[number]]
}

impl Projection {
    pub fn new() -> Self {
        Projection::default()
    }

    /// An empty projection with room for `events` events, so a start does not regrow its maps.
    pub fn with_capacity(events: usize) -> Self {
        Projection {
            ids: PositionIndex::with_capacity(events),
            ..Projection::default()
        }
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

    /// The hash of the event at `position`, if it was applied (not for a gap in a fold of
    /// some events only).
    pub fn hash_at(&self, position: u64) -> Option<Hash> {
        self.record(position)
            .filter(|record| record.event_type.is_some())
            .map(|record| record.hash)
    }

    /// When the event at `position` was recorded, if it was applied.
    pub fn recorded_at(&self, position: u64) -> Option<RecordedAt> {
        self.record(position).map(|record| record.recorded_at)
    }

    /// The last position recorded at or before `instant`, 0 if none; `recorded_at` never
    /// decreases along the log (the chain check holds it).
    pub fn position_at(&self, instant: RecordedAt) -> u64 {
        self.records
            .partition_point(|record| record.recorded_at <= instant) as u64
    }

    /// The `EventRef` of an applied event.
    pub(crate) fn event_ref(&self, position: u64) -> EventRef {
        self.record(position)
            .expect("an applied position")
            .event_ref(position)
    }

    fn record(&self, position: u64) -> Option<&Record> {
        let index = usize::try_from(position.checked_sub(1)?).ok()?;
        self.records.get(index)
    }

    /// Takes one more event into account, in constant time (amortised).
    ///
    /// Events must come in position order. An event at or below
    /// `position()` was already applied and is skipped, so feeding the same event twice
    /// changes nothing.
    pub fn apply(&mut self, event: &StoredEvent) {
        assert!(!self.past, "a projection of the past is not folded further");
        if event.position <= self.position {
            return;
        }
        // A valid log has no gaps; a fold of some of its events may. A gap is held by records
        // that contribute nothing, so that records stay indexed by position.
        while self.position + 1 < event.position {
            let before = self
                .recorded_at(self.position)
                .unwrap_or(RecordedAt(i64::MIN));
            self.position += 1;
            self.records.push(Record {
                id: Uuid::nil(),
                hash: Hash::GENESIS,
                recorded_at: before,
                occurred_on: event.occurred_on,
                event_type: None,
                fact: Fact::Nothing,
            });
        }
        self.position = event.position;
        // An event id is unique in a valid log; the first event with it stands, and a later
        // one contributes nothing. The id is indexed only once its record is there: a lookup
        // (a retraction's target, in `take`) may read the key of any indexed position.
        let first_with_id = self.position_of(&event.id).is_none();
        let fact = if first_with_id {
            self.take(event)
        } else {
            Fact::Nothing
        };
        let event_type = Some(event.data.event_type());
        self.lists
            .list_fact(event.occurred_on, &fact, event.position);
        self.records.push(Record {
            id: event.id,
            hash: event.hash,
            recorded_at: event.recorded_at,
            occurred_on: event.occurred_on,
            event_type,
            fact,
        });
        if first_with_id {
            let records = &self.records;
            let id_at = |at: u64| {
                records
                    .get((at - 1) as usize)
                    .expect("an applied position")
                    .id
            };
            self.ids.insert_first(&event.id, event.position, id_at);
        }
    }

    /// The position of the applied event with this id.
    fn position_of(&self, id: &Uuid) -> Option<u64> {
        self.ids
            .get(id, |at| self.record(at).expect("an applied position").id)
    }

    /// Adds what an event contributes and says how to take it back.
    fn take(&mut self, event: &StoredEvent) -> Fact {
        let year = event.occurred_on.year();
        match &event.data {
            EventData::StrategyAdopted(adopted) => {
                self.strategies.push(Strategy {
                    adopted: adopted.clone(),
                    retracted: false,
                });
                Fact::Strategy(slot(self.strategies.len() - 1))
            }
            EventData::EnterpriseRegistered(registered) => {
                // Registered again after its registration was retracted (a correction that
                // keeps the id, CONTRACT §8): a new slot, which the id names from now on.
                let standing = self
                    .enterprise_slots
                    .get(&registered.enterprise_id)
                    .is_some_and(|slot| !self.enterprises[*slot as usize].registration_retracted);
                if standing {
                    return Fact::Nothing;
                }
                let slot = slot(self.enterprises.len());
                self.enterprise_slots.insert(registered.enterprise_id, slot);
                let cvr = registered.cvr.as_deref();
                self.lists
                    .add_enterprise(registered.enterprise_id, &registered.name, cvr);
                let (kind, goals) = (registered.kind, Goals::from_tags(event.data.sdgs()));
                self.register(kind, goals, At::of(event));
                Fact::Registration { slot, kind, goals }
            }
            EventData::EnterpriseClosed(closed) => {
                let slot = self.enterprise_slots.get(&closed.enterprise_id).copied();
                match slot.filter(|slot| self.enterprises[*slot as usize].closure.is_none()) {
                    Some(slot) => {
                        let closure = At::of(event);
                        self.change_enterprise(slot, |enterprise| {
                            enterprise.closure = Some(closure);
                        });
                        Fact::Closure(slot)
                    }
                    None => Fact::Nothing,
                }
            }
            EventData::PersonPlacedInEmployment(placed) => {
                // By the keyed pseudonym where the store gives one (an erased person_ref still
                // counts as the person it was, CONTRACT §12), else by the reference itself.
                let key = person_key(&placed.person_ref);
                let person = match event.sealing.person {
                    Some(pseudonym) => self.persons.number(&pseudonym.to_hex(), &key),
                    None => self.persons.number(&key, &key),
                };
                let employment_type = placed.employment_type;
                let enterprise = placed
                    .enterprise_id
                    .and_then(|id| self.enterprise_slots.get(&id).copied())
                    .unwrap_or(NONE);
                self.count_placement(year, person, employment_type, enterprise, 1);
                let life = self.lives.start(event.position, event.occurred_on);
                self.placement_slots.insert(placed.placement_id, life);
                Fact::Placement {
                    person,
                    employment_type,
                    enterprise,
                    life,
                }
            }
            EventData::GrantAwarded(awarded) => {
                let funder = self.funders.number(&awarded.funder);
                let goals = Goals::from_tags(event.data.sdgs());
                self.count_grant(year, funder, awarded.amount_ore, goals, 1);
                self.grant_amounts.push(awarded.amount_ore);
                Fact::Grant {
                    funder,
                    goals,
                    grant: slot(self.grant_amounts.len() - 1),
                    partner: awarded.enterprise_id.is_some(),
                }
            }
            EventData::AgreementSigned(signed) => {
                // As for an enterprise: signed again after its signing was retracted.
                let standing = self
                    .agreement_slots
                    .get(&signed.agreement_id)
                    .is_some_and(|slot| !self.agreements[*slot as usize].retracted);
                if standing {
                    return Fact::Nothing;
                }
                let slot = slot(self.agreements.len());
                self.agreement_slots.insert(signed.agreement_id, slot);
                self.lists.add_agreement(&signed.counterparty);
                self.sign(signed.kind, At::of(event), signed.valid_to);
                Fact::Signing {
                    slot,
                    kind: signed.kind,
                    valid_to: signed.valid_to,
                }
            }
            EventData::AgreementEnded(ended) => {
                let slot = self.agreement_slots.get(&ended.agreement_id).copied();
                match slot.filter(|slot| self.agreements[*slot as usize].ended.is_none()) {
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
                    title: self.lists.text(&started.title),
                }
            }
            EventData::TrendNoted(noted) => {
                self.years.at(year).trends[trend_index(noted.kind)] += 1;
                Fact::Trend {
                    kind: noted.kind,
                    title: self.lists.text(&noted.title),
                }
            }
            // An erasure changes no figure (CONTRACT §12).
            EventData::MembersErased(_) => Fact::Nothing,
            EventData::EventRetracted(retracted) => {
                let target = self.position_of(&retracted.event_id);
                let target = target.filter(|target| self.retractable(*target));
                let Some(target) = target else {
                    return Fact::Retraction { target: 0 };
                };
                let record = *self
                    .record(target)
                    .expect("a retractable position has a record");
                self.take_back(target, record);
                self.retractions.push(Retraction {
                    original: record.event_ref(target),
                    retracted_by: EventRef::of(event),
                    reason: retracted.reason.clone(),
                });
                Fact::Retraction { target }
            }
            EventData::PlacementEnded(ended) => self.end_placement(&ended.placement_id, event),
            EventData::AgreementRenewed(renewed) => {
                let slot = self.agreement_slots.get(&renewed.agreement_id).copied();
                let running = |slot: &u32| {
                    let agreement = &self.agreements[*slot as usize];
                    !agreement.retracted && agreement.ended.is_none()
                };
                match slot.filter(running) {
                    Some(slot) => {
                        let renewal = (event.position, event.occurred_on, renewed.valid_to);
                        self.change_agreement(slot, |agreement| agreement.renewals.push(renewal));
                        Fact::Renewal {
                            slot,
                            valid_to: renewed.valid_to,
                        }
                    }
                    None => Fact::Nothing,
                }
            }
            // The grant's money paid and returned and a trial's conclusion move no figure:
            // `grants_total_ore` is what was awarded (CONTRACT §11); they are read from their
            // streams.
            EventData::StrategyRevised(revised) => {
                self.revisions.push(Revision {
                    revised: revised.clone(),
                    event_id: event.id,
                    position: event.position,
                    occurred_on: event.occurred_on,
                    retracted: false,
                });
                Fact::Revision(slot(self.revisions.len() - 1))
            }
            EventData::GrantPaid(_)
            | EventData::GrantReturned(_)
            | EventData::TrialConcluded(_) => Fact::Nothing,
        }
    }

    /// A placement ended: its life ends, if it stands and has not ended yet.
    fn end_placement(&mut self, placement_id: &Uuid, event: &StoredEvent) -> Fact {
        let life = self.placement_slots.get(placement_id).copied();
        let open = |life: &u32| {
            let life = self.lives.get(*life);
            life.ended_on.is_none() && !self.retracted.contains(&life.position)
        };
        match life.filter(open) {
            Some(life) => {
                self.lives.set_end(life, Some(event.occurred_on));
                Fact::PlacementEnding { life }
            }
            None => Fact::Nothing,
        }
    }

    /// Whether the event at `target` was applied, stands, and is not itself a retraction.
    fn retractable(&self, target: u64) -> bool {
        let applied = self
            .record(target)
            .is_some_and(|record| !matches!(record.fact, Fact::Retraction { .. }));
        applied && !self.retracted.contains(&target)
    }

    /// Takes back exactly what `record`, the event at `target`, contributed.
    fn take_back(&mut self, target: u64, record: Record) {
        self.retracted.insert(target);
        let year = record.occurred_on.year();
        match record.fact {
            Fact::Strategy(slot) => self.strategies[slot as usize].retracted = true,
            Fact::Revision(slot) => self.revisions[slot as usize].retracted = true,
            Fact::Registration { slot, .. } => {
                self.change_enterprise(slot, |enterprise| enterprise.registration_retracted = true)
            }
            Fact::Closure(slot) => self.change_enterprise(slot, |enterprise| {
                if enterprise.closure.map(|closure| closure.position) == Some(target) {
                    enterprise.closure = None;
                }
            }),
            Fact::Placement {
                person,
                employment_type,
                enterprise,
                ..
            } => self.count_placement(year, person, employment_type, enterprise, -1),
            Fact::PlacementEnding { life } => self.lives.set_end(life, None),
            Fact::Grant {
                funder,
                goals,
                grant,
                ..
            } => {
                let amount_ore = self.grant_amounts[grant as usize];
                self.count_grant(year, funder, amount_ore, goals, -1);
            }
            Fact::Signing { slot, .. } => self.change_agreement(slot, |agreement| {
                agreement.retracted = true;
            }),
            Fact::Ending(slot) => self.change_agreement(slot, |agreement| {
                if agreement.ended.map(|(id, _)| id) == Some(record.id) {
                    agreement.ended = None;
                }
            }),
            Fact::Renewal { slot, .. } => self.change_agreement(slot, |agreement| {
                agreement
                    .renewals
                    .retain(|(position, _, _)| *position != target);
            }),
            Fact::Trial { kind, goals, .. } => self.count_trial(year, kind, goals, -1),
            Fact::Trend { kind, .. } => self.years.at(year).trends[trend_index(kind)] -= 1,
            Fact::Retraction { .. } | Fact::Nothing => {}
        }
    }

    fn register(&mut self, kind: EnterpriseKind, goals: Goals, registration: At) {
        let enterprise = Enterprise {
            kind,
            goals,
            registration,
            registration_retracted: false,
            closure: None,
        };
        enterprise.count(&mut self.years, 1);
        self.enterprises.push(enterprise);
    }

    fn sign(&mut self, kind: AgreementKind, signing: At, valid_to: Option<NaiveDate>) {
        let agreement = Agreement {
            kind,
            position: signing.position,
            signed_on: signing.occurred_on,
            valid_to,
            renewals: Vec::new(),
            retracted: false,
            ended: None,
        };
        agreement.count(&mut self.years, 1);
        self.agreements.push(agreement);
    }

    /// Changes an enterprise: takes out its old contribution and adds its new one.
    fn change_enterprise(&mut self, slot: u32, change: impl FnOnce(&mut Enterprise)) {
        let enterprise = &mut self.enterprises[slot as usize];
        enterprise.count(&mut self.years, -1);
        change(enterprise);
        enterprise.count(&mut self.years, 1);
    }

    /// Changes an agreement: takes out its old contribution and adds its new one.
    fn change_agreement(&mut self, slot: u32, change: impl FnOnce(&mut Agreement)) {
        let agreement = &mut self.agreements[slot as usize];
        agreement.count(&mut self.years, -1);
        change(agreement);
        agreement.count(&mut self.years, 1);
    }

    fn count_placement(
        &mut self,
        year: i32,
        person: u32,
        kind: EmploymentType,
        enterprise: u32,
        sign: i64,
    ) {
        let totals = self.years.at(year);
        totals.count_person(person, sign);
        totals.placements[employment_index(kind)] += sign;
        self.lists.count_placement(enterprise, year, sign);
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

    /// What it takes to fold the figures at `position` (at most `position()`) again: taken
    /// quickly (full chunks of records are shared, not copied), so a caller can hold a lock
    /// for it and run the fold (`Past::fold`) after letting go.
    pub fn past(&self, position: u64) -> Past {
        self.past_of(position, None)
    }

    /// As `past`, for a fold that answers the lists too (`Projection::enterprises`, ...): it
    /// also copies the names the lists search (a few MB at a million events) and rebuilds
    /// their index by year.
    pub fn past_with_lists(&self, position: u64) -> Past {
        self.past_of(position, Some((self.lists.names(), self.persons.clone())))
    }

    fn past_of(&self, position: u64, lists: Option<(Lists, Persons)>) -> Past {
        let position = position.min(self.position);
        let records = self
            .records
            .prefix(usize::try_from(position).expect("a position fits in memory"));
        let retractions = self
            .retractions
            .iter()
            .take_while(|retraction| retraction.retracted_by.position <= position)
            .cloned()
            .collect();
        Past {
            position,
            records,
            strategies: self.strategies.iter().map(|s| s.adopted.clone()).collect(),
            revisions: self.revisions.clone(),
            retractions,
            funders: self.funders.clone(),
            grant_amounts: self.grant_amounts.clone(),
            lists,
        }
    }

    /// Whether a retraction took back the event at `position`.
    pub(crate) fn is_retracted(&self, position: u64) -> bool {
        self.retracted.contains(&position)
    }

    /// What the event at `position` contributed, if it was applied.
    pub(crate) fn fact_at(&self, position: u64) -> Option<Fact> {
        self.record(position).map(|record| record.fact)
    }

    /// The slot of the enterprise with this id (a fold of the past has no map of them, and
    /// looks through the lists' names).
    pub(crate) fn enterprise_slot(&self, id: &Uuid) -> Option<u32> {
        if let Some(slot) = self.enterprise_slots.get(id) {
            return Some(*slot);
        }
        let slot = self
            .lists
            .enterprises
            .iter()
            .position(|names| names.id == *id)?;
        Some(slot as u32).filter(|slot| (*slot as usize) < self.enterprises.len())
    }
}

/// A prefix of a projection's records and what they refer to: `Projection::past`.
#[derive(Clone, Debug)]
pub struct Past {
    position: u64,
    records: Records<Record>,
    strategies: Vec<StrategyAdopted>,
    /// Every revision the projection had; a fold takes those of its records.
    revisions: Vec<Revision>,
    /// The retractions recorded up to `position`, in order.
    retractions: Vec<Retraction>,
    funders: Interner,
    grant_amounts: Vec<i64>,
    /// For a fold that answers lists: their names, and the person refs.
    lists: Option<(Lists, Persons)>,
}

impl Past {
    /// The figures at the position, folded from the records' facts: what a fold of the first
    /// `position` events would give, without reading or decoding a single event.
    pub fn fold(self) -> Projection {
        let Past {
            position,
            records,
            strategies,
            revisions,
            retractions,
            funders,
            grant_amounts,
            lists,
        } = self;
        let (lists, persons) = lists.unwrap_or_else(|| {
            let skipped = Lists {
                skipped: true,
                ..Lists::default()
            };
            (skipped, Persons::default())
        });
        let mut past = Projection {
            position,
            funders,
            grant_amounts,
            past: true,
            lists,
            persons,
            ..Projection::default()
        };
        for (index, record) in records.iter().enumerate() {
            let at = index as u64 + 1;
            let year = record.occurred_on.year();
            past.lists.list_fact(record.occurred_on, &record.fact, at);
            match record.fact {
                Fact::Strategy(slot) => past.strategies.push(Strategy {
                    adopted: strategies[slot as usize].clone(),
                    retracted: false,
                }),
                Fact::Revision(slot) => past.revisions.push(Revision {
                    retracted: false,
                    ..revisions[slot as usize].clone()
                }),
                Fact::Registration { kind, goals, .. } => {
                    let registration = At {
                        position: at,
                        occurred_on: record.occurred_on,
                    };
                    past.register(kind, goals, registration);
                }
                Fact::Closure(slot) => {
                    let closure = At {
                        position: at,
                        occurred_on: record.occurred_on,
                    };
                    past.change_enterprise(slot, |enterprise| enterprise.closure = Some(closure));
                }
                Fact::Placement {
                    person,
                    employment_type,
                    enterprise,
                    life,
                } => {
                    past.count_placement(year, person, employment_type, enterprise, 1);
                    let started = past.lives.start(at, record.occurred_on);
                    debug_assert_eq!(started, life, "lives are started in the same order");
                }
                Fact::PlacementEnding { life } => {
                    past.lives.set_end(life, Some(record.occurred_on));
                }
                Fact::Grant {
                    funder,
                    goals,
                    grant,
                    ..
                } => {
                    let amount_ore = past.grant_amounts[grant as usize];
                    past.count_grant(year, funder, amount_ore, goals, 1);
                }
                Fact::Signing { kind, valid_to, .. } => {
                    let signing = At {
                        position: at,
                        occurred_on: record.occurred_on,
                    };
                    past.sign(kind, signing, valid_to);
                }
                Fact::Ending(slot) => {
                    let ending = (record.id, record.occurred_on);
                    past.change_agreement(slot, |agreement| agreement.ended = Some(ending));
                }
                Fact::Renewal { slot, valid_to } => {
                    let renewal = (at, record.occurred_on, valid_to);
                    past.change_agreement(slot, |agreement| agreement.renewals.push(renewal));
                }
                Fact::Trial { kind, goals, .. } => past.count_trial(year, kind, goals, 1),
                Fact::Trend { kind, .. } => past.years.at(year).trends[trend_index(kind)] += 1,
                Fact::Retraction { target } if target != 0 => {
                    let earlier = usize::try_from(target - 1)
                        .ok()
                        .and_then(|i| records.get(i));
                    past.take_back(
                        target,
                        *earlier.expect("a retraction takes back an earlier record"),
                    );
                }
                Fact::Retraction { .. } | Fact::Nothing => {}
            }
        }
        past.records = records;
        past.retractions = retractions;
        past
    }
}

/// A slot number: entities and retractions are counted in `u32`.
fn slot(index: usize) -> u32 {
    u32::try_from(index).expect("fewer than 4 billion entities")
}

/// The key a person is counted by: `person_ref` in upper case. New input is stored upper case
/// (CONTRACT §8), but logs written before that rule may hold `sla-p-1` beside `SLA-P-1`, the
/// same person; the fold counts them once. Costs nothing for a reference already upper case.
fn person_key(person_ref: &str) -> std::borrow::Cow<'_, str> {
    if person_ref.bytes().any(|byte| byte.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(person_ref.to_ascii_uppercase())
    } else {
        std::borrow::Cow::Borrowed(person_ref)
    }
}
