//! The business rules of CONTRACT §3.2 and §3.4, checked against the ledger's state.
//!
//! `LedgerState` is what the rules need to know about everything stored so far; it is rebuilt
//! from the log by `apply`, the only way it changes. A request is checked through an `Overlay`
//! that sees the state plus the earlier events of the same request, so a request can register an
//! enterprise and close it, and nothing is changed until the whole request passed.

use std::collections::HashSet;

use foldhash::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

mod catalogue2;

use crate::catalogue::*;
use crate::index::PositionIndex;
use crate::input::NewEvent;
use crate::records::Records;
use crate::stored::StoredEvent;
use crate::text::{check_clean, contains_cpr};
use crate::time::earliest_date;
pub use crate::violations::Problem;
use crate::violations::Violation;

/// The most characters a name, title, counterparty, funder or reason may have.
pub const TEXT_CHARS_MAX: usize = 500;
/// The most characters a `person_ref` may have.
pub const PERSON_REF_CHARS_MAX: usize = 64;
/// The most bytes one event's payload, note and case_ref may take encoded. Keeps every record
/// small: sled writes a large page update to a separate blob file (see store/log.rs), and a
/// ledger of figures has no use for a 16 KiB event.
pub const EVENT_BYTES_MAX: u64 = 16 * 1024;
/// The most partners a trial may name.
pub const PARTNERS_MAX: usize = 100;
/// The largest integer a payload may hold: 2^53 - 1. RFC 8785 writes numbers as IEEE doubles,
/// so beyond it a conforming canonicalizer (and any JavaScript reader) rounds: two different
/// amounts could share a hash. Within it, `stored::canonical`, RFC 8785 and Python's
/// `json.dumps` write the same digits.
pub const PAYLOAD_INTEGER_MAX: i64 = 9_007_199_254_740_991;

/// What the ledger knows about one stored event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventEntry {
    pub position: u64,
    pub stream: StreamId,
    pub is_retraction: bool,
    /// The position of the retraction that undid this event, if any.
    pub retracted_by: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entity {
    created_on: NaiveDate,
    created_by: Uuid,
    /// The id of the closing or ending event, while it stands.
    ended_by: Option<Uuid>,
    /// The date of that closing or ending.
    ended_on: Option<NaiveDate>,
    /// The creating event was retracted: the entity no longer exists.
    retracted: bool,
    /// An enterprise's CVR number, as a number (8 digits fit).
    cvr: Option<u32>,
    /// The latest-dated placement or grant at an enterprise: its date and event id. A closure
    /// may not come before it while it stands; if it was retracted the rule does not know the
    /// one before it and lets the closure pass (one slot, not a list per enterprise).
    last_activity: Option<(NaiveDate, Uuid)>,
}

impl Entity {
    fn exists(&self) -> bool {
        !self.retracted
    }
}

/// Everything the rules need to know about the stored log.
///
/// Kept small, as it holds something for every event (docs/PERFORMANCE.md, finding 5): one
/// 40-byte slot per position, and two indexes of 4-byte positions whose keys are read from the
/// slots; the positions of a stream are linked through its slots, not listed per stream.
#[derive(Clone, Debug, Default)]
pub struct LedgerState {
    /// What each position holds, index = position - 1.
    slots: Records<EventSlot>,
    /// Event id → position.
    ids: PositionIndex,
    /// Stream → its last position.
    streams: PositionIndex,
    /// Position of a retracted event → position of its retraction (few events are retracted).
    retracted_by: HashMap<u64, u64>,
    enterprises: HashMap<Uuid, Entity>,
    agreements: HashMap<Uuid, Entity>,
    /// CVR number → the enterprise that holds it and is not closed: one lookup for "one CVR,
    /// one open enterprise" (CONTRACT §8). Enterprises are few; this stays small.
    open_cvrs: HashMap<u32, Uuid>,
    /// The name of every enterprise registered with a CVR, for the answer that names a holder.
    cvr_names: HashMap<Uuid, Box<str>>,
    /// Grants, trials and strategies (catalogue 2).
    lives: catalogue2::Lives,
}

#[derive(Clone, Copy, Debug)]
struct EventSlot {
    id: Uuid,
    stream: StreamId,
    is_retraction: bool,
    /// The event created its stream's entity (a correction may create it again, CONTRACT §8).
    creates: bool,
    /// The event is a `PlacementEnded`: a placement's life is read from its slots.
    ends_placement: bool,
    /// When it happened: the start and end of a placement, read from its slots.
    occurred_on: NaiveDate,
    /// The position of the same stream's event before this one, 0 for a stream's first.
    previous: u32,
}

impl LedgerState {
    /// An empty state with room for `events` events, so a start does not regrow its maps.
    pub fn with_capacity(events: usize) -> Self {
        LedgerState {
            ids: PositionIndex::with_capacity(events),
            streams: PositionIndex::with_capacity(events),
            ..LedgerState::default()
        }
    }

    pub fn event(&self, id: &Uuid) -> Option<EventEntry> {
        let position = self.ids.get(id, |at| self.slot(at).id)?;
        let slot = self.slot(position);
        Some(EventEntry {
            position,
            stream: slot.stream,
            is_retraction: slot.is_retraction,
            retracted_by: self.retracted_by.get(&position).copied(),
        })
    }

    /// The positions of a stream's events, in version order.
    pub fn stream_positions(&self, stream: &StreamId) -> Vec<u64> {
        let mut positions: Vec<u64> = self.stream_back(stream).collect();
        positions.reverse();
        positions
    }

    /// The number of events in a stream: its version.
    pub fn stream_version(&self, stream: &StreamId) -> u64 {
        self.stream_back(stream).count() as u64
    }

    /// A stream's positions from the last to the first.
    fn stream_back(&self, stream: &StreamId) -> impl Iterator<Item = u64> + '_ {
        let last = self.streams.get(stream, |at| self.slot(at).stream);
        std::iter::successors(last, |position| {
            Some(u64::from(self.slot(*position).previous)).filter(|previous| *previous != 0)
        })
    }

    fn slot(&self, position: u64) -> &EventSlot {
        let index = usize::try_from(position - 1).expect("a position fits in memory");
        self.slots.get(index).expect("an applied position")
    }

    pub fn event_count(&self) -> usize {
        self.ids.len()
    }

    /// Takes one stored event into account. Events must be applied in position order, from
    /// position 1 without gaps, as the log holds them.
    pub fn apply(&mut self, event: &StoredEvent) {
        let position = event.position;
        assert_eq!(
            position,
            self.slots.len() as u64 + 1,
            "the rules' state takes the log in position order"
        );
        // The indexes never read the key of the position they insert: the slot follows.
        let slots = &self.slots;
        let key_at = |at: u64| *slots.get((at - 1) as usize).expect("an applied position");
        let previous = self
            .streams
            .insert(&event.stream, position, |at| key_at(at).stream);
        // An id is unique in a valid log; should one repeat, the first event keeps it.
        self.ids
            .insert_first(&event.id, position, |at| key_at(at).id);
        self.slots.push(EventSlot {
            id: event.id,
            stream: event.stream,
            is_retraction: matches!(event.data, EventData::EventRetracted(_)),
            creates: event.data.creates_stream(),
            ends_placement: matches!(event.data, EventData::PlacementEnded(_)),
            occurred_on: event.occurred_on,
            previous: previous.map_or(0, |previous| {
                u32::try_from(previous).expect("positions fit in u32")
            }),
        });
        let mut overlay = Overlay::new(self);
        overlay.take_effects(event.id, event.occurred_on, &event.data, position);
        let Changes {
            events,
            enterprises,
            agreements,
            open_cvrs,
            cvr_names,
            lives,
        } = overlay.into_changes();
        self.lives.extend(lives);
        for entry in events.into_values() {
            if let Some(retraction) = entry.retracted_by {
                self.retracted_by.insert(entry.position, retraction);
            }
        }
        self.enterprises.extend(enterprises);
        self.agreements.extend(agreements);
        for (cvr, holder) in open_cvrs {
            match holder {
                Some(enterprise_id) => self.open_cvrs.insert(cvr, enterprise_id),
                None => self.open_cvrs.remove(&cvr),
            };
        }
        self.cvr_names.extend(cvr_names);
    }

    /// The id of the latest event that created `stream`'s entity; walks the stream back, which
    /// only a creating event naming a stored id does (a conflict or a correction).
    fn creator(&self, stream: &StreamId) -> Option<Uuid> {
        self.stream_back(stream)
            .map(|position| self.slot(position))
            .find(|slot| slot.creates)
            .map(|slot| slot.id)
    }
}

/// The state as seen by one request: the stored state plus the request's earlier events.
pub struct Overlay<'a> {
    base: &'a LedgerState,
    events: HashMap<Uuid, EventEntry>,
    versions: HashMap<StreamId, u64>,
    enterprises: HashMap<Uuid, Entity>,
    agreements: HashMap<Uuid, Entity>,
    /// A CVR's holder as changed by the request; `None`: no open holder any more.
    open_cvrs: HashMap<u32, Option<Uuid>>,
    cvr_names: HashMap<Uuid, Box<str>>,
    /// The latest creating event of a stream within the request.
    creators: HashMap<StreamId, Uuid>,
    lives: catalogue2::Lives,
}

struct Changes {
    events: HashMap<Uuid, EventEntry>,
    enterprises: HashMap<Uuid, Entity>,
    agreements: HashMap<Uuid, Entity>,
    open_cvrs: HashMap<u32, Option<Uuid>>,
    cvr_names: HashMap<Uuid, Box<str>>,
    lives: catalogue2::Lives,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a LedgerState) -> Self {
        Overlay {
            base,
            events: HashMap::default(),
            versions: HashMap::default(),
            enterprises: HashMap::default(),
            agreements: HashMap::default(),
            open_cvrs: HashMap::default(),
            cvr_names: HashMap::default(),
            creators: HashMap::default(),
            lives: catalogue2::Lives::default(),
        }
    }

    fn into_changes(self) -> Changes {
        Changes {
            events: self.events,
            enterprises: self.enterprises,
            agreements: self.agreements,
            open_cvrs: self.open_cvrs,
            cvr_names: self.cvr_names,
            lives: self.lives,
        }
    }

    /// The open enterprise that holds `cvr`, if any.
    fn cvr_holder(&self, cvr: u32) -> Option<Uuid> {
        match self.open_cvrs.get(&cvr) {
            Some(holder) => *holder,
            None => self.base.open_cvrs.get(&cvr).copied(),
        }
    }

    fn cvr_name(&self, enterprise_id: &Uuid) -> String {
        self.cvr_names
            .get(enterprise_id)
            .or_else(|| self.base.cvr_names.get(enterprise_id))
            .map_or_else(String::new, |name| name.to_string())
    }

    /// Gives `cvr` to `enterprise_id` (`Some`) or takes it from `from` (`None`), leaving any
    /// other holder alone.
    fn move_cvr(&mut self, cvr: Option<u32>, enterprise_id: Uuid, open: bool) {
        let Some(cvr) = cvr else { return };
        let holder = self.cvr_holder(cvr);
        if open && holder.is_none() {
            self.open_cvrs.insert(cvr, Some(enterprise_id));
        } else if !open && holder == Some(enterprise_id) {
            self.open_cvrs.insert(cvr, None);
        }
    }

    /// The creating event of `stream` that stands (is not retracted), if any.
    fn standing_creator(&self, stream: &StreamId) -> Option<EventEntry> {
        let creator = match self.creators.get(stream) {
            Some(id) => Some(*id),
            None => self.base.creator(stream),
        }?;
        self.event(&creator)
            .filter(|entry| entry.retracted_by.is_none())
    }

    fn event(&self, id: &Uuid) -> Option<EventEntry> {
        self.events.get(id).copied().or_else(|| self.base.event(id))
    }

    fn version(&self, stream: &StreamId) -> u64 {
        match self.versions.get(stream) {
            Some(version) => *version,
            None => self.base.stream_version(stream),
        }
    }

    fn enterprise(&self, id: &Uuid) -> Option<Entity> {
        self.enterprises
            .get(id)
            .or_else(|| self.base.enterprises.get(id))
            .copied()
    }

    fn agreement(&self, id: &Uuid) -> Option<Entity> {
        self.agreements
            .get(id)
            .or_else(|| self.base.agreements.get(id))
            .copied()
    }

    /// Records what an accepted event changes for the events after it.
    fn take_effects(&mut self, id: Uuid, occurred_on: NaiveDate, data: &EventData, position: u64) {
        let created = Entity {
            created_on: occurred_on,
            created_by: id,
            ended_by: None,
            ended_on: None,
            retracted: false,
            cvr: None,
            last_activity: None,
        };
        if let Some(stream) = data.own_stream().filter(|_| data.creates_stream()) {
            self.creators.insert(stream, id);
        }
        if let EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
            enterprise_id: Some(enterprise_id),
            ..
        })
        | EventData::GrantAwarded(GrantAwarded {
            enterprise_id: Some(enterprise_id),
            ..
        }) = data
        {
            self.note_activity(*enterprise_id, occurred_on, id);
        }
        match data {
            EventData::EnterpriseRegistered(data) => {
                let cvr = data.cvr.as_deref().and_then(|cvr| cvr.parse().ok());
                let entity = Entity { cvr, ..created };
                self.enterprises.insert(data.enterprise_id, entity);
                if cvr.is_some() {
                    self.cvr_names
                        .insert(data.enterprise_id, data.name.as_str().into());
                }
                self.move_cvr(cvr, data.enterprise_id, true);
            }
            EventData::AgreementSigned(data) => {
                self.agreements.insert(data.agreement_id, created);
            }
            EventData::EnterpriseClosed(data) => {
                if let Some(mut entity) = self.enterprise(&data.enterprise_id) {
                    entity.ended_by = Some(id);
                    entity.ended_on = Some(occurred_on);
                    self.enterprises.insert(data.enterprise_id, entity);
                    self.move_cvr(entity.cvr, data.enterprise_id, false);
                }
            }
            EventData::AgreementEnded(data) => {
                if let Some(mut entity) = self.agreement(&data.agreement_id) {
                    entity.ended_by = Some(id);
                    entity.ended_on = Some(occurred_on);
                    self.agreements.insert(data.agreement_id, entity);
                }
            }
            EventData::EventRetracted(data) => self.take_retraction(data.event_id, position),
            other => self.take_effects_catalogue2(id, occurred_on, other, position),
        }
    }

    /// Keeps the latest-dated placement or grant at an enterprise, for its closure's date.
    fn note_activity(&mut self, enterprise_id: Uuid, occurred_on: NaiveDate, id: Uuid) {
        let Some(mut entity) = self.enterprise(&enterprise_id) else {
            return;
        };
        if entity
            .last_activity
            .is_none_or(|(latest, _)| occurred_on >= latest)
        {
            entity.last_activity = Some((occurred_on, id));
            self.enterprises.insert(enterprise_id, entity);
        }
    }

    /// A retraction undoes its target: a creation no longer exists, an ending no longer ends.
    fn take_retraction(&mut self, target: Uuid, position: u64) {
        let Some(mut entry) = self.event(&target) else {
            return;
        };
        entry.retracted_by = Some(position);
        self.events.insert(target, entry);
        let id = entry.stream.id;
        let is_enterprise = match entry.stream.kind {
            StreamKind::Enterprise => true,
            StreamKind::Agreement => false,
            _ => return self.take_retraction_catalogue2(entry.stream, target),
        };
        let found = if is_enterprise {
            self.enterprise(&id)
        } else {
            self.agreement(&id)
        };
        let Some(mut entity) = found else {
            return;
        };
        if entity.created_by == target {
            entity.retracted = true;
        } else if entity.ended_by == Some(target) {
            entity.ended_by = None;
            entity.ended_on = None;
        }
        if is_enterprise {
            let open = entity.exists() && entity.ended_by.is_none();
            self.move_cvr(entity.cvr, id, open);
            self.enterprises.insert(id, entity);
        } else {
            self.agreements.insert(id, entity);
        }
    }

    /// Checks one event of a request and takes it into the overlay.
    ///
    /// Returns the stream and version the event will have. A refused event is taken into the
    /// overlay too when its stream is known, so that the events after it are judged as the
    /// client meant them and report only their own problems; nothing of a refused request is
    /// ever stored.
    pub fn admit(
        &mut self,
        index: usize,
        event: &NewEvent,
        today: NaiveDate,
    ) -> Result<(StreamId, u64), Vec<Problem>> {
        let mut problems = check_alone(index, event, today);
        let stream = self.check_references(index, event, &mut problems);
        let version = stream.map(|stream| self.version(&stream) + 1);
        if let (Some(expected), Some(version)) = (event.expected_version, version) {
            let actual = version - 1;
            // Not `expected + 1`: a client may send u64::MAX.
            if expected != actual {
                let violation = Violation::VersionMismatch { expected, actual };
                problems.push(Problem::new(index, "expected_version", violation));
            }
        }
        let (Some(stream), Some(version)) = (stream, version) else {
            return Err(problems);
        };
        self.versions.insert(stream, version);
        let entry = EventEntry {
            position: 0,
            stream,
            is_retraction: matches!(event.data, EventData::EventRetracted(_)),
            retracted_by: None,
        };
        self.events.insert(event.id, entry);
        // Positions are not known yet; within a request only "is retracted" matters.
        let position = catalogue2::IN_REQUEST;
        self.take_effects(event.id, event.occurred_on, &event.data, position);
        if problems.is_empty() {
            Ok((stream, version))
        } else {
            Err(problems)
        }
    }

    /// The rules that depend on what is stored; returns the event's stream when it has one.
    fn check_references(
        &self,
        index: usize,
        event: &NewEvent,
        problems: &mut Vec<Problem>,
    ) -> Option<StreamId> {
        if let Some(stream) = event.data.own_stream() {
            if event.data.creates_stream() && self.version(&stream) > 0 {
                self.check_new_stream(index, &event.data, stream, problems);
            }
        }
        let on = event.occurred_on;
        match &event.data {
            EventData::EnterpriseRegistered(data) => self.check_cvr_free(index, data, problems),
            EventData::EnterpriseClosed(data) => {
                self.check_closing(index, on, data.enterprise_id, problems)
            }
            EventData::AgreementEnded(data) => {
                self.check_ending(index, on, data.agreement_id, problems)
            }
            EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
                enterprise_id: Some(enterprise_id),
                ..
            })
            | EventData::GrantAwarded(GrantAwarded {
                enterprise_id: Some(enterprise_id),
                ..
            }) => {
                self.check_within_life(index, on, *enterprise_id, problems);
            }
            EventData::EventRetracted(data) => return self.check_retraction(index, data, problems),
            EventData::MembersErased(data) => {
                return self.check_erasure(index, data.event_id, problems)
            }
            _ => self.check_catalogue2(index, event, problems),
        }
        event.data.own_stream()
    }

    /// A creating event needs a new stream, or one whose creating event stands retracted (a
    /// correction that keeps the entity's id, CONTRACT §8).
    fn check_new_stream(
        &self,
        index: usize,
        data: &EventData,
        stream: StreamId,
        problems: &mut Vec<Problem>,
    ) {
        let Some(creator) = self.standing_creator(&stream) else {
            return;
        };
        let field = format!("data.{}", id_field(data));
        let violation = if creator.position == 0 {
            Violation::EntityTwiceInRequest { stream }
        } else {
            Violation::EntityStored {
                stream,
                position: creator.position,
            }
        };
        problems.push(Problem::new(index, &field, violation));
    }

    /// One CVR, one open enterprise.
    fn check_cvr_free(
        &self,
        index: usize,
        data: &EnterpriseRegistered,
        problems: &mut Vec<Problem>,
    ) {
        let Some(cvr) = data.cvr.as_deref() else {
            return;
        };
        let holder = cvr
            .parse()
            .ok()
            .and_then(|number| self.cvr_holder(number))
            .filter(|holder| *holder != data.enterprise_id);
        if let Some(enterprise_id) = holder {
            let violation = Violation::CvrHeld {
                cvr: cvr.to_owned(),
                enterprise_id,
                name: self.cvr_name(&enterprise_id),
            };
            problems.push(Problem::new(index, "data.cvr", violation));
        }
    }

    /// A placement or a grant at an enterprise happens within the enterprise's life.
    fn check_within_life(
        &self,
        index: usize,
        on: NaiveDate,
        id: Uuid,
        problems: &mut Vec<Problem>,
    ) {
        match self.enterprise(&id).filter(Entity::exists) {
            None => problems.push(Problem::new(
                index,
                "data.enterprise_id",
                Violation::NoEnterprise { id },
            )),
            Some(entity) if on < entity.created_on => problems.push(Problem::new(
                index,
                "occurred_on",
                Violation::BeforeRegistration {
                    registered_on: entity.created_on,
                },
            )),
            Some(Entity {
                ended_on: Some(closed_on),
                ..
            }) if on > closed_on => problems.push(Problem::new(
                index,
                "occurred_on",
                Violation::AfterClosure { closed_on },
            )),
            Some(_) => {}
        }
    }

    fn check_closing(&self, index: usize, on: NaiveDate, id: Uuid, problems: &mut Vec<Problem>) {
        let field = "data.enterprise_id";
        match self.enterprise(&id).filter(Entity::exists) {
            None => problems.push(Problem::new(index, field, Violation::NoEnterprise { id })),
            Some(entity) if entity.ended_by.is_some() => problems.push(Problem::new(
                index,
                field,
                Violation::EnterpriseAlreadyClosed { id },
            )),
            Some(entity) if on < entity.created_on => problems.push(Problem::new(
                index,
                "occurred_on",
                Violation::BeforeRegistration {
                    registered_on: entity.created_on,
                },
            )),
            Some(entity) => {
                let standing = entity.last_activity.and_then(|(active_on, event_id)| {
                    let entry = self.event(&event_id)?;
                    (entry.retracted_by.is_none()).then_some((active_on, entry.position))
                });
                if let Some((active_on, position)) = standing.filter(|(day, _)| on < *day) {
                    let violation = Violation::BeforeActivity {
                        active_on,
                        position,
                    };
                    problems.push(Problem::new(index, "occurred_on", violation));
                }
            }
        }
    }

    fn check_ending(&self, index: usize, on: NaiveDate, id: Uuid, problems: &mut Vec<Problem>) {
        let field = "data.agreement_id";
        match self.agreement(&id).filter(Entity::exists) {
            None => problems.push(Problem::new(index, field, Violation::NoAgreement { id })),
            Some(entity) if entity.ended_by.is_some() => problems.push(Problem::new(
                index,
                field,
                Violation::AgreementAlreadyEnded { id },
            )),
            Some(entity) if on < entity.created_on => problems.push(Problem::new(
                index,
                "occurred_on",
                Violation::BeforeSigning {
                    signed_on: entity.created_on,
                },
            )),
            Some(_) => {}
        }
    }

    /// An erasure goes to the stream of the event it erases; what may be erased is the
    /// erasure endpoint's to check, with the stored event in hand (CONTRACT §12).
    fn check_erasure(
        &self,
        index: usize,
        id: Uuid,
        problems: &mut Vec<Problem>,
    ) -> Option<StreamId> {
        let Some(entry) = self.event(&id) else {
            problems.push(Problem::new(
                index,
                "data.event_id",
                Violation::NoEvent { id },
            ));
            return None;
        };
        Some(entry.stream)
    }

    fn check_retraction(
        &self,
        index: usize,
        data: &EventRetracted,
        problems: &mut Vec<Problem>,
    ) -> Option<StreamId> {
        let field = "data.event_id";
        let id = data.event_id;
        let Some(entry) = self.event(&id) else {
            problems.push(Problem::new(index, field, Violation::NoEvent { id }));
            return None;
        };
        if entry.is_retraction {
            problems.push(Problem::new(
                index,
                field,
                Violation::RetractionOfRetraction,
            ));
        } else if entry.retracted_by.is_some() {
            problems.push(Problem::new(
                index,
                field,
                Violation::AlreadyRetracted { id },
            ));
        } else {
            self.check_grant_retraction(index, entry.stream, id, problems);
            self.check_closure_retraction(index, entry.stream, id, problems);
        }
        Some(entry.stream)
    }

    /// Retracting a standing closure reopens its enterprise: refused (409) when another open
    /// enterprise now holds its CVR, so that one CVR never has two open enterprises (§8).
    fn check_closure_retraction(
        &self,
        index: usize,
        stream: StreamId,
        target: Uuid,
        problems: &mut Vec<Problem>,
    ) {
        if stream.kind != StreamKind::Enterprise {
            return;
        }
        let Some(entity) = self.enterprise(&stream.id) else {
            return;
        };
        let reopens = entity.exists() && entity.ended_by == Some(target);
        let Some(cvr) = entity.cvr.filter(|_| reopens) else {
            return;
        };
        let holder = self.cvr_holder(cvr).filter(|holder| *holder != stream.id);
        if let Some(enterprise_id) = holder {
            let violation = Violation::ReopensHeldCvr {
                cvr: format!("{cvr:08}"),
                enterprise_id,
                name: self.cvr_name(&enterprise_id),
            };
            problems.push(Problem::new(index, "data.event_id", violation));
        }
    }
}

/// Checks a request's events in order; each sees the ones before it.
///
/// Returns each event's stream and version, or every problem found in the request.
pub fn admit_request(
    state: &LedgerState,
    events: &mut [NewEvent],
    today: NaiveDate,
) -> Result<Vec<(StreamId, u64)>, Vec<Problem>> {
    let (placed, problems) = admit_each(state, events.iter().enumerate(), today);
    if problems.is_empty() {
        Ok(placed)
    } else {
        Err(problems)
    }
}

/// Every problem of the events that parsed, each with its place in the request: what a request
/// some of whose events did not parse answers besides their parse problems (CONTRACT §8, "every
/// problem at once"). Nothing of such a request is stored.
pub fn problems_of<'e>(
    state: &LedgerState,
    events: impl IntoIterator<Item = (usize, &'e NewEvent)>,
    today: NaiveDate,
) -> Vec<Problem> {
    admit_each(state, events, today).1
}

fn admit_each<'e>(
    state: &LedgerState,
    events: impl IntoIterator<Item = (usize, &'e NewEvent)>,
    today: NaiveDate,
) -> (Vec<(StreamId, u64)>, Vec<Problem>) {
    let mut overlay = Overlay::new(state);
    let mut problems = Vec::new();
    let mut placed = Vec::new();
    let mut seen_ids = HashSet::new();
    for (index, event) in events {
        if !seen_ids.insert(event.id) {
            let violation = Violation::IdTwiceInRequest { id: event.id };
            problems.push(Problem::new(index, "id", violation));
            continue;
        }
        match overlay.admit(index, event, today) {
            Ok(stream_version) => placed.push(stream_version),
            Err(found) => problems.extend(found),
        }
    }
    (placed, problems)
}

fn id_field(data: &EventData) -> &'static str {
    match data {
        EventData::StrategyAdopted(_) => "strategy_id",
        EventData::EnterpriseRegistered(_) | EventData::EnterpriseClosed(_) => "enterprise_id",
        EventData::PersonPlacedInEmployment(_) => "placement_id",
        EventData::GrantAwarded(_) => "grant_id",
        EventData::AgreementSigned(_) | EventData::AgreementEnded(_) => "agreement_id",
        EventData::TrialStarted(_) => "trial_id",
        EventData::TrendNoted(_) => "trend_id",
        EventData::PlacementEnded(_) => "placement_id",
        EventData::GrantPaid(_) | EventData::GrantReturned(_) => "grant_id",
        EventData::AgreementRenewed(_) => "agreement_id",
        EventData::TrialConcluded(_) => "trial_id",
        EventData::StrategyRevised(_) => "strategy_id",
        EventData::EventRetracted(_) | EventData::MembersErased(_) => "event_id",
    }
}

/// The rules that need nothing but the event itself and today's date.
pub fn check_alone(index: usize, event: &NewEvent, today: NaiveDate) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_date(index, event.occurred_on, today, &mut problems);
    check_size(index, event, &mut problems);
    check_payload(index, &event.data, Some(event.occurred_on), &mut problems);
    problems
}

fn check_size(index: usize, event: &NewEvent, problems: &mut Vec<Problem>) {
    let text = |text: &Option<String>| text.as_ref().map_or(0, |text| text.len() as u64);
    let bytes = crate::codec::payload_bytes(&event.data)
        .saturating_add(text(&event.note))
        .saturating_add(text(&event.case_ref));
    if bytes > EVENT_BYTES_MAX {
        let violation = Violation::EventTooLarge {
            bytes,
            bytes_max: EVENT_BYTES_MAX,
        };
        problems.push(Problem::whole(index, violation));
    }
}

fn check_date(index: usize, date: NaiveDate, today: NaiveDate, problems: &mut Vec<Problem>) {
    let violation = if date > today {
        Violation::InFuture { date, today }
    } else if date < earliest_date() {
        Violation::TooEarly {
            date,
            earliest: earliest_date(),
        }
    } else {
        return;
    };
    problems.push(Problem::new(index, "occurred_on", violation));
}

/// Writes every string of a new payload in the one form it is stored and compared in: trimmed,
/// NFC, and a `person_ref` in upper case (`sla-p-009001` and `SLA-P-009001` are one person).
pub(crate) fn normalize(data: &mut EventData) {
    use crate::text::normalize as clean;
    fn clean_option(text: &mut Option<String>) {
        if let Some(text) = text {
            clean(text);
        }
    }
    match data {
        EventData::StrategyAdopted(data) => clean(&mut data.name),
        EventData::EnterpriseRegistered(data) => {
            clean(&mut data.name);
            clean_option(&mut data.cvr);
        }
        EventData::EnterpriseClosed(data) => clean_option(&mut data.reason),
        EventData::PersonPlacedInEmployment(data) => {
            clean(&mut data.person_ref);
            if data
                .person_ref
                .bytes()
                .any(|byte| byte.is_ascii_lowercase())
            {
                data.person_ref.make_ascii_uppercase();
            }
        }
        EventData::GrantAwarded(data) => {
            clean(&mut data.funder);
            clean_option(&mut data.purpose);
        }
        EventData::AgreementSigned(data) => clean(&mut data.counterparty),
        EventData::AgreementEnded(data) => clean_option(&mut data.reason),
        EventData::TrialStarted(data) => {
            clean(&mut data.title);
            data.partners.iter_mut().flatten().for_each(clean);
        }
        EventData::TrendNoted(data) => {
            clean(&mut data.title);
            clean_option(&mut data.source);
        }
        EventData::EventRetracted(data) => clean(&mut data.reason),
        EventData::MembersErased(data) => clean(&mut data.reason),
        EventData::TrialConcluded(data) => clean_option(&mut data.lessons),
        EventData::PlacementEnded(_)
        | EventData::GrantPaid(_)
        | EventData::GrantReturned(_)
        | EventData::AgreementRenewed(_)
        | EventData::StrategyRevised(_) => {}
    }
}

/// The rules that need nothing but the payload itself (and `occurred_on`, when it could be
/// read, for an agreement's `valid_to`).
pub(crate) fn check_payload(
    index: usize,
    data: &EventData,
    occurred_on: Option<NaiveDate>,
    problems: &mut Vec<Problem>,
) {
    let mut check = Checker { index, problems };
    match data {
        EventData::StrategyAdopted(data) => check.strategy(data),
        EventData::EnterpriseRegistered(data) => {
            check.text("name", &data.name);
            if let Some(cvr) = &data.cvr {
                check.cvr(cvr);
            }
            check.sdgs(&data.sdgs);
        }
        EventData::EnterpriseClosed(data) => check.optional_text("reason", &data.reason),
        EventData::PersonPlacedInEmployment(data) => check.person_ref(&data.person_ref),
        EventData::GrantAwarded(data) => {
            check.text("funder", &data.funder);
            check.amount_ore(data.amount_ore);
            check.optional_text("purpose", &data.purpose);
            check.sdgs(&data.sdgs);
        }
        EventData::AgreementSigned(data) => {
            check.text("counterparty", &data.counterparty);
            if data
                .valid_to
                .zip(occurred_on)
                .is_some_and(|(valid_to, occurred_on)| valid_to < occurred_on)
            {
                check.problem("valid_to", Violation::ValidToBeforeSigned);
            }
        }
        EventData::AgreementEnded(data) => check.optional_text("reason", &data.reason),
        EventData::TrialStarted(data) => check.trial(data),
        EventData::TrendNoted(data) => {
            check.text("title", &data.title);
            check.optional_text("source", &data.source);
            check.sdgs(&data.sdgs);
        }
        EventData::EventRetracted(data) => check.text("reason", &data.reason),
        EventData::MembersErased(data) => check.text("reason", &data.reason),
        catalogue2 => check.catalogue2(catalogue2, occurred_on),
    }
}

struct Checker<'p> {
    index: usize,
    problems: &'p mut Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &str, violation: Violation) {
        self.problems.push(Problem::new(
            self.index,
            &format!("data.{field}"),
            violation,
        ));
    }

    fn text(&mut self, field: &str, text: &str) {
        if let Err(violation) = check_text(text, TEXT_CHARS_MAX) {
            self.problem(field, violation);
        }
    }

    fn optional_text(&mut self, field: &str, text: &Option<String>) {
        if let Some(text) = text {
            self.text(field, text);
        }
    }

    fn sdgs(&mut self, sdgs: &Option<Vec<u8>>) {
        let mut seen = HashSet::new();
        for (position, goal) in sdgs.iter().flatten().enumerate() {
            let field = format!("sdgs[{position}]");
            if !(1..=17).contains(goal) {
                self.problem(&field, Violation::NotAGoal { goal: *goal });
            } else if !seen.insert(goal) {
                self.problem(&field, Violation::GoalTwice { goal: *goal });
            }
        }
    }

    fn cvr(&mut self, cvr: &str) {
        if let Err(violation) = check_cvr(cvr) {
            self.problem("cvr", violation);
        }
    }

    fn person_ref(&mut self, person_ref: &str) {
        if let Err(violation) = check_person_ref(person_ref) {
            self.problem("person_ref", violation);
        }
    }

    fn trial(&mut self, data: &TrialStarted) {
        self.text("title", &data.title);
        if data
            .partners
            .as_ref()
            .is_some_and(|partners| partners.len() > PARTNERS_MAX)
        {
            let partners_max = PARTNERS_MAX;
            self.problem("partners", Violation::TooManyPartners { partners_max });
        }
        for (position, partner) in data.partners.iter().flatten().enumerate() {
            self.text(&format!("partners[{position}]"), partner);
        }
        self.sdgs(&data.sdgs);
    }

    fn strategy(&mut self, data: &StrategyAdopted) {
        self.text("name", &data.name);
        for (field, year) in [("from_year", data.from_year), ("to_year", data.to_year)] {
            if !crate::time::YEARS.contains(&year) {
                self.problem(field, Violation::ImplausibleYear { year });
            }
        }
        if data.from_year > data.to_year {
            self.problem("to_year", Violation::YearsReversed);
        }
        self.targets(&data.targets);
    }

    /// A strategy's targets, adopted or revised: at least one, each metric once, counted as its
    /// metric is (`Metric::per`), a value from 0 (a percentage at most 100).
    fn targets(&mut self, targets: &[Target]) {
        if targets.is_empty() {
            self.problem("targets", Violation::NoTargets);
        }
        let mut seen = HashSet::new();
        for (position, target) in targets.iter().enumerate() {
            let field = format!("targets[{position}]");
            if target.per != target.metric.per() {
                let metric = target.metric;
                self.problem(&format!("{field}.per"), Violation::WrongPer { metric });
            }
            if target.metric == Metric::RetentionSixMonthsPct && target.value > 100 {
                self.problem(&format!("{field}.value"), Violation::PercentAbove100);
            } else if target.value < 0 {
                self.problem(&format!("{field}.value"), Violation::Negative);
            } else if target.value > PAYLOAD_INTEGER_MAX {
                let max = PAYLOAD_INTEGER_MAX;
                self.problem(
                    &format!("{field}.value"),
                    Violation::IntegerTooLarge { max },
                );
            }
            if !seen.insert(target.metric) {
                self.problem(&format!("{field}.metric"), Violation::MetricTwice);
            }
        }
    }
}

/// The rules of every free text a client sends: not empty, not too long, clean (no control
/// characters, no bidi overrides, no CPR number).
pub fn check_text(text: &str, chars_max: usize) -> Result<(), Violation> {
    if text.is_empty() {
        Err(Violation::Blank)
    } else if text.chars().count() > chars_max {
        Err(Violation::TooLong { chars_max })
    } else {
        check_clean(text)
    }
}

/// A CVR number is 8 digits whose weighted sum (2,7,6,5,4,3,2,1) is divisible by 11.
pub fn check_cvr(cvr: &str) -> Result<(), Violation> {
    if cvr.len() != 8 || !cvr.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(Violation::CvrDigits);
    }
    if cvr_weighted_sum(cvr) % 11 != 0 {
        return Err(Violation::CvrChecksum {
            cvr: cvr.to_owned(),
        });
    }
    Ok(())
}

/// The sum of a CVR number's digits weighted 2,7,6,5,4,3,2,1 (of as many digits as it has).
fn cvr_weighted_sum(digits: &str) -> u32 {
    const WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
    digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum()
}

/// The CVR number that seven digits begin, or `None` when its check digit would have to be 10
/// (the register skips those).
pub fn cvr_of(seven: u32) -> Option<String> {
    let digits = format!("{seven:07}");
    let check = (11 - cvr_weighted_sum(&digits) % 11) % 11;
    (check < 10).then(|| format!("{digits}{check}"))
}

/// A person_ref is a pseudonym: 1-64 of `[A-Za-z0-9_-]`, and never holds a CPR number.
pub fn check_person_ref(person_ref: &str) -> Result<(), Violation> {
    let length = person_ref.len();
    if length == 0 || length > PERSON_REF_CHARS_MAX {
        return Err(Violation::PersonRefLength {
            chars_max: PERSON_REF_CHARS_MAX,
        });
    }
    if !person_ref
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        return Err(Violation::PersonRefCharacters);
    }
    if contains_cpr(person_ref) || is_cpr_shaped(person_ref) {
        return Err(Violation::CprNumber);
    }
    Ok(())
}

/// Ten digits, or six digits, a hyphen and four, whether or not the six form a date: a whole
/// `person_ref` of that shape is refused even when `contains_cpr` finds no real date in it.
fn is_cpr_shaped(text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    match text.len() {
        10 => digits(text),
        11 => text.as_bytes()[6] == b'-' && digits(&text[..6]) && digits(&text[7..]),
        _ => false,
    }
}
