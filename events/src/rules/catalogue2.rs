//! The rules of catalogue 2 (CONTRACT §11): what happened after a placement, a grant, an
//! agreement, a trial and a strategy was recorded. Each event names something that must exist
//! (its creating event stands), must not be over (ended, concluded), and must not happen before
//! it began; a grant's money paid less returned stays between 0 and what was awarded.
//!
//! Placements are many (most of the log), so the rules keep nothing per placement: a placement's
//! life is read back from the slots of its stream (two or three events). Grants, trials and
//! strategies are few and kept in maps.

use chrono::{Datelike, NaiveDate};
use foldhash::HashMap;
use uuid::Uuid;

use super::{Checker, Entity, LedgerState, Overlay, Problem, PAYLOAD_INTEGER_MAX};
use crate::catalogue::*;
use crate::input::NewEvent;
use crate::violations::Violation;

/// The position `take_effects` is given for an event of a request (not yet placed).
pub(super) const IN_REQUEST: u64 = u64::MAX;

/// A grant's life: awarded, and the money that moved since (paid > 0, returned < 0), by event.
#[derive(Clone, Debug)]
pub(super) struct GrantLife {
    entity: Entity,
    awarded_ore: i64,
    movements: Vec<(Uuid, i64)>,
}

impl GrantLife {
    fn balance_ore(&self) -> i64 {
        self.movements.iter().map(|(_, amount)| amount).sum()
    }
}

/// A strategy's life: adopted on a date, for a period of years.
#[derive(Clone, Copy, Debug)]
pub(super) struct StrategyLife {
    entity: Entity,
    to_year: i32,
}

/// The catalogue-2 entities the rules keep, stored or changed by a request.
#[derive(Clone, Debug, Default)]
pub(super) struct Lives {
    /// Changed by the current request only; stored ones are read from the slots.
    placements: HashMap<Uuid, Entity>,
    grants: HashMap<Uuid, GrantLife>,
    trials: HashMap<Uuid, Entity>,
    strategies: HashMap<Uuid, StrategyLife>,
}

impl Lives {
    /// Takes a request's (or one applied event's) changes; placements stay derived.
    pub(super) fn extend(&mut self, changes: Lives) {
        self.grants.extend(changes.grants);
        self.trials.extend(changes.trials);
        self.strategies.extend(changes.strategies);
    }
}

fn created(id: Uuid, on: NaiveDate) -> Entity {
    Entity {
        created_on: on,
        created_by: id,
        ended_by: None,
        ended_on: None,
        retracted: false,
        cvr: None,
        last_activity: None,
    }
}

impl LedgerState {
    /// A stored placement's life, read from its stream: the standing creation and the standing
    /// ending after it, if any.
    fn placement(&self, id: Uuid) -> Option<Entity> {
        let stream = StreamId {
            kind: StreamKind::Placement,
            id,
        };
        let mut life = None;
        for position in self.stream_positions(&stream) {
            let slot = self.slot(position);
            if slot.is_retraction || self.retracted_by.contains_key(&position) {
                continue;
            }
            if slot.creates {
                life = Some(created(slot.id, slot.occurred_on));
            } else if let Some(life) = life.as_mut().filter(|_| slot.ends_placement) {
                life.ended_by = Some(slot.id);
                life.ended_on = Some(slot.occurred_on);
            }
        }
        life
    }
}

impl Overlay<'_> {
    fn placement(&self, id: Uuid) -> Option<Entity> {
        match self.lives.placements.get(&id) {
            Some(life) => Some(*life),
            None => self.base.placement(id),
        }
    }

    fn grant(&self, id: Uuid) -> Option<GrantLife> {
        self.lives
            .grants
            .get(&id)
            .or_else(|| self.base.lives.grants.get(&id))
            .cloned()
    }

    fn trial(&self, id: Uuid) -> Option<Entity> {
        self.lives
            .trials
            .get(&id)
            .or_else(|| self.base.lives.trials.get(&id))
            .copied()
    }

    fn strategy(&self, id: Uuid) -> Option<StrategyLife> {
        self.lives
            .strategies
            .get(&id)
            .or_else(|| self.base.lives.strategies.get(&id))
            .copied()
    }

    /// What a creating or catalogue-2 event changes for the events after it.
    pub(super) fn take_effects_catalogue2(
        &mut self,
        id: Uuid,
        on: NaiveDate,
        data: &EventData,
        position: u64,
    ) {
        match data {
            // Stored placements are read from the slots; only a request's are kept here.
            EventData::PersonPlacedInEmployment(data) if position == IN_REQUEST => {
                self.lives
                    .placements
                    .insert(data.placement_id, created(id, on));
            }
            EventData::PlacementEnded(data) if position == IN_REQUEST => {
                if let Some(mut life) = self.placement(data.placement_id) {
                    life.ended_by = Some(id);
                    life.ended_on = Some(on);
                    self.lives.placements.insert(data.placement_id, life);
                }
            }
            EventData::GrantAwarded(data) => {
                let life = GrantLife {
                    entity: created(id, on),
                    awarded_ore: data.amount_ore,
                    movements: Vec::new(),
                };
                self.lives.grants.insert(data.grant_id, life);
            }
            EventData::GrantPaid(GrantPaid {
                grant_id,
                amount_ore,
            }) => self.move_money(*grant_id, id, *amount_ore),
            EventData::GrantReturned(GrantReturned {
                grant_id,
                amount_ore,
            }) => self.move_money(*grant_id, id, -amount_ore),
            EventData::TrialStarted(data) => {
                self.lives.trials.insert(data.trial_id, created(id, on));
            }
            EventData::TrialConcluded(data) => {
                if let Some(mut life) = self.trial(data.trial_id) {
                    life.ended_by = Some(id);
                    life.ended_on = Some(on);
                    self.lives.trials.insert(data.trial_id, life);
                }
            }
            EventData::StrategyAdopted(data) => {
                let life = StrategyLife {
                    entity: created(id, on),
                    to_year: data.to_year,
                };
                self.lives.strategies.insert(data.strategy_id, life);
            }
            _ => {}
        }
    }

    fn move_money(&mut self, grant_id: Uuid, event_id: Uuid, amount_ore: i64) {
        if let Some(mut life) = self.grant(grant_id) {
            life.movements.push((event_id, amount_ore));
            self.lives.grants.insert(grant_id, life);
        }
    }

    /// A retraction of an event in a catalogue-2 entity's stream undoes it there.
    pub(super) fn take_retraction_catalogue2(&mut self, stream: StreamId, target: Uuid) {
        let id = stream.id;
        let undo = |life: &mut Entity| {
            if life.created_by == target {
                life.retracted = true;
            } else if life.ended_by == Some(target) {
                life.ended_by = None;
                life.ended_on = None;
            }
        };
        match stream.kind {
            // Stored placements read retractions from the slots; a request's are kept here.
            StreamKind::Placement => {
                if let Some(mut life) = self.placement(id) {
                    undo(&mut life);
                    self.lives.placements.insert(id, life);
                }
            }
            StreamKind::Grant => {
                if let Some(mut life) = self.grant(id) {
                    undo(&mut life.entity);
                    life.movements.retain(|(event, _)| *event != target);
                    self.lives.grants.insert(id, life);
                }
            }
            StreamKind::Trial => {
                if let Some(mut life) = self.trial(id) {
                    undo(&mut life);
                    self.lives.trials.insert(id, life);
                }
            }
            StreamKind::Strategy => {
                if let Some(mut life) = self.strategy(id) {
                    undo(&mut life.entity);
                    self.lives.strategies.insert(id, life);
                }
            }
            _ => {}
        }
    }

    /// The rules of the catalogue-2 events that depend on what is stored.
    pub(super) fn check_catalogue2(
        &self,
        index: usize,
        event: &NewEvent,
        problems: &mut Vec<Problem>,
    ) {
        let on = event.occurred_on;
        let mut push =
            |field: &str, violation| problems.push(Problem::new(index, field, violation));
        match &event.data {
            EventData::PlacementEnded(data) => {
                let id = data.placement_id;
                match self.placement(id).filter(|life| life.exists()) {
                    None => push("data.placement_id", Violation::NoPlacement { id }),
                    Some(life) if life.ended_by.is_some() => {
                        push("data.placement_id", Violation::PlacementAlreadyEnded { id })
                    }
                    Some(life) if on < life.created_on => push(
                        "occurred_on",
                        Violation::BeforePlacement {
                            placed_on: life.created_on,
                        },
                    ),
                    Some(_) => {}
                }
            }
            // An amount that is not positive is refused by `Checker::amount_ore` already.
            EventData::GrantPaid(data) => {
                let amount_ore = data.amount_ore.max(0);
                self.check_money(on, data.grant_id, amount_ore, &mut push)
            }
            EventData::GrantReturned(data) => {
                let amount_ore = data.amount_ore.max(0);
                self.check_money(on, data.grant_id, -amount_ore, &mut push)
            }
            EventData::AgreementRenewed(data) => {
                let id = data.agreement_id;
                match self.agreement(&id).filter(|life| life.exists()) {
                    None => push("data.agreement_id", Violation::NoAgreement { id }),
                    Some(life) if life.ended_by.is_some() => {
                        push("data.agreement_id", Violation::AgreementAlreadyEnded { id })
                    }
                    Some(life) if on < life.created_on => push(
                        "occurred_on",
                        Violation::BeforeSigning {
                            signed_on: life.created_on,
                        },
                    ),
                    Some(_) => {}
                }
            }
            EventData::TrialConcluded(data) => {
                let id = data.trial_id;
                match self.trial(id).filter(|life| life.exists()) {
                    None => push("data.trial_id", Violation::NoTrial { id }),
                    Some(life) if life.ended_by.is_some() => {
                        push("data.trial_id", Violation::TrialAlreadyConcluded { id })
                    }
                    Some(life) if on < life.created_on => push(
                        "occurred_on",
                        Violation::BeforeTrialStart {
                            started_on: life.created_on,
                        },
                    ),
                    Some(_) => {}
                }
            }
            EventData::StrategyRevised(data) => {
                self.check_revision(on, data.strategy_id, &mut push)
            }
            _ => {}
        }
    }

    /// A payment (`amount_ore` > 0) or return (< 0) keeps paid less returned within 0 and the
    /// award, and comes on or after the award.
    fn check_money(
        &self,
        on: NaiveDate,
        id: Uuid,
        amount_ore: i64,
        push: &mut impl FnMut(&str, Violation),
    ) {
        let Some(life) = self.grant(id).filter(|life| life.entity.exists()) else {
            push("data.grant_id", Violation::NoGrant { id });
            return;
        };
        if on < life.entity.created_on {
            let awarded_on = life.entity.created_on;
            push("occurred_on", Violation::BeforeAward { awarded_on });
        }
        if amount_ore == 0 {
            return;
        }
        let balance_ore = life.balance_ore();
        let after = balance_ore.saturating_add(amount_ore);
        if after > life.awarded_ore {
            let awarded_ore = life.awarded_ore;
            let balance_ore = after;
            push(
                "data.amount_ore",
                Violation::PaidBeyondAward {
                    awarded_ore,
                    balance_ore,
                },
            );
        } else if after < 0 {
            push(
                "data.amount_ore",
                Violation::ReturnedBeyondPaid { balance_ore },
            );
        }
    }

    fn check_revision(&self, on: NaiveDate, id: Uuid, push: &mut impl FnMut(&str, Violation)) {
        match self.strategy(id).filter(|life| life.entity.exists()) {
            None => push("data.strategy_id", Violation::NoStrategy { id }),
            Some(life) if on < life.entity.created_on => push(
                "occurred_on",
                Violation::BeforeAdoption {
                    adopted_on: life.entity.created_on,
                },
            ),
            Some(life) if on.year() > life.to_year => push(
                "occurred_on",
                Violation::RevisionAfterPeriod {
                    to_year: life.to_year,
                },
            ),
            Some(_) => {}
        }
    }

    /// Retracting a payment or return must leave the grant's balance within 0 and the award.
    pub(super) fn check_grant_retraction(
        &self,
        index: usize,
        stream: StreamId,
        target: Uuid,
        problems: &mut Vec<Problem>,
    ) {
        if stream.kind != StreamKind::Grant {
            return;
        }
        let Some(life) = self.grant(stream.id).filter(|life| life.entity.exists()) else {
            return;
        };
        let Some((_, amount)) = life.movements.iter().find(|(event, _)| *event == target) else {
            return;
        };
        let after = life.balance_ore() - amount;
        if after < 0 || after > life.awarded_ore {
            let violation = Violation::RetractionBreaksGrant;
            problems.push(Problem::new(index, "data.event_id", violation));
        }
    }
}

impl Checker<'_> {
    /// The rules of a catalogue-2 payload that need nothing but the payload.
    pub(super) fn catalogue2(&mut self, data: &EventData, occurred_on: Option<NaiveDate>) {
        match data {
            EventData::GrantPaid(GrantPaid { amount_ore, .. })
            | EventData::GrantReturned(GrantReturned { amount_ore, .. }) => {
                self.amount_ore(*amount_ore)
            }
            EventData::AgreementRenewed(data)
                if occurred_on.is_some_and(|on| data.valid_to < on) =>
            {
                self.problem("valid_to", Violation::ValidToBeforeRenewal);
            }
            EventData::TrialConcluded(data) => self.optional_text("lessons", &data.lessons),
            EventData::StrategyRevised(data) => self.targets(&data.targets),
            _ => {}
        }
    }

    pub(super) fn amount_ore(&mut self, amount_ore: i64) {
        if amount_ore <= 0 {
            self.problem("amount_ore", Violation::AmountNotPositive);
        } else if amount_ore > PAYLOAD_INTEGER_MAX {
            let max = PAYLOAD_INTEGER_MAX;
            self.problem("amount_ore", Violation::IntegerTooLarge { max });
        }
    }
}
