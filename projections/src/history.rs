//! `History`: the bridge between two years (CONTRACT §4, `GET /api/v1/history`).

use chrono::Datelike;
use serde::Serialize;

use crate::event_ref::EventRef;
use crate::projection::Projection;
use crate::years::count;

/// How the figures moved from the end of year `from` to the end of year `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    pub from: i32,
    pub to: i32,
    pub as_of_position: u64,
    pub people_employed: PeopleBridge,
    pub enterprises: EnterpriseBridge,
    /// Every retracted event whose occurred_on year is in [from, to], by position.
    pub retracted_events: Vec<RetractedEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeopleBridge {
    pub from: u64,
    pub to: u64,
}

/// `from + registered - closed == to`, with every registration and closure behind the middle
/// terms listed. registered and closed cover occurred_on years in (from, to].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseBridge {
    pub from: u64,
    pub registered: u64,
    pub closed: u64,
    pub to: u64,
    pub registered_events: Vec<EventRef>,
    pub closed_events: Vec<EventRef>,
    /// The registrations behind `from`: every enterprise active at the end of year `from`.
    pub from_events: Vec<EventRef>,
}

/// A retracted event: its own `EventRef` members, plus the retraction and its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetractedEvent {
    #[serde(flatten)]
    pub event: EventRef,
    pub retracted_by: EventRef,
    pub reason: String,
}

impl Projection {
    /// The bridge from the end of year `from` to the end of year `to`.
    ///
    /// Meant for `from <= to` (the API refuses the rest). With `from == to` nothing moves; with
    /// `from > to` the lists are empty and `from`/`to` are the two years' figures, so the
    /// identity does not hold for a reversed range.
    pub fn history(&self, from: i32, to: i32) -> History {
        let within = |occurred_on: chrono::NaiveDate| {
            let year = occurred_on.year();
            from < year && year <= to
        };
        let mut registered_events = Vec::new();
        let mut closed_events = Vec::new();
        let mut from_events = Vec::new();
        for enterprise in self.enterprises.iter().filter(|e| e.counts()) {
            let registered_by_from = enterprise.registration.occurred_on.year() <= from;
            let closed_by_from = enterprise
                .closure
                .as_ref()
                .is_some_and(|c| c.occurred_on.year() <= from);
            if registered_by_from && !closed_by_from {
                from_events.push(self.event_ref(enterprise.registration.position));
            }
            if within(enterprise.registration.occurred_on) {
                registered_events.push(self.event_ref(enterprise.registration.position));
            }
            if let Some(closure) = enterprise.closure.filter(|c| within(c.occurred_on)) {
                closed_events.push(self.event_ref(closure.position));
            }
        }
        // Enterprises are kept in registration order; closures come in any order.
        closed_events.sort_by_key(|event| event.position);
        let mut retracted_events: Vec<RetractedEvent> = self
            .retractions
            .iter()
            .filter(|retraction| (from..=to).contains(&retraction.original.occurred_on.year()))
            .map(|retraction| RetractedEvent {
                event: retraction.original.clone(),
                retracted_by: retraction.retracted_by.clone(),
                reason: retraction.reason.clone(),
            })
            .collect();
        retracted_events.sort_by_key(|retracted| retracted.event.position);
        History {
            from,
            to,
            as_of_position: self.position,
            people_employed: PeopleBridge {
                from: self.years.people_employed(from),
                to: self.years.people_employed(to),
            },
            enterprises: EnterpriseBridge {
                from: count(self.years.enterprises_active(from).iter().sum()),
                registered: registered_events.len() as u64,
                closed: closed_events.len() as u64,
                to: count(self.years.enterprises_active(to).iter().sum()),
                registered_events,
                closed_events,
                from_events,
            },
            retracted_events,
        }
    }
}
