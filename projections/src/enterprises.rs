//! What the projection remembers about one enterprise, and what it adds to the yearly totals.

use chrono::Datelike;
use impact_events::EnterpriseKind;

use crate::kinds::enterprise_index;
use crate::years::{Goals, Years};

/// Where an event is in the log and the day it happened: enough to count it, and to name it
/// (`Projection::event_ref`) when a history lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) position: u64,
    pub(crate) occurred_on: chrono::NaiveDate,
}

impl At {
    pub(crate) fn of(event: &impact_events::StoredEvent) -> Self {
        At {
            position: event.position,
            occurred_on: event.occurred_on,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Enterprise {
    pub(crate) kind: EnterpriseKind,
    pub(crate) goals: Goals,
    /// The registering event; its `EventRef` is read from the projection's records.
    pub(crate) registration: At,
    /// The registration was retracted: the enterprise, and any closure of it, counts nowhere.
    pub(crate) registration_retracted: bool,
    /// The closure that stands (not retracted), if any.
    pub(crate) closure: Option<At>,
}

impl Enterprise {
    /// Whether the enterprise counts at all; a closure counts only when this holds, so
    /// `active(A) + registered(A, B] - closed(A, B] == active(B)` holds by construction.
    pub(crate) fn counts(&self) -> bool {
        !self.registration_retracted
    }

    /// Adds (sign 1) or takes out (sign -1) everything this enterprise contributes.
    pub(crate) fn count(&self, years: &mut Years, sign: i64) {
        if !self.counts() {
            return;
        }
        let kind = enterprise_index(self.kind);
        let registered = years.at(self.registration.occurred_on.year());
        registered.enterprises_registered += sign;
        registered.enterprises_change[kind] += sign;
        for goal in self.goals.iter() {
            registered.enterprise_goals_change[goal] += sign;
        }
        if let Some(closure) = &self.closure {
            let closed = years.at(closure.occurred_on.year());
            closed.enterprises_closed += sign;
            closed.enterprises_change[kind] -= sign;
            for goal in self.goals.iter() {
                closed.enterprise_goals_change[goal] -= sign;
            }
        }
    }
}
