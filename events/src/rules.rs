//! The business rules of DESIGN §3.2 and §3.4, checked against the ledger's state.
//!
//! `LedgerState` is what the rules need to know about everything stored so far; it is rebuilt
//! from the log by `apply`, the only way it changes. A request is checked through an `Overlay`
//! that sees the state plus the earlier events of the same request, so a request can register an
//! enterprise and close it, and nothing is changed until the whole request passed.

use std::collections::HashSet;

use foldhash::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::catalogue::*;
use crate::index::PositionIndex;
use crate::input::NewEvent;
use crate::records::Records;
use crate::stored::StoredEvent;
use crate::time::earliest_date;

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
/// Strategy years outside this range are typing mistakes.
pub const STRATEGY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// The largest integer a payload may hold: 2^53 - 1. RFC 8785 writes numbers as IEEE doubles,
/// so beyond it a conforming canonicalizer (and any JavaScript reader) rounds: two different
/// amounts could share a hash. Within it, `stored::canonical`, RFC 8785 and Python's
/// `json.dumps` write the same digits.
pub const PAYLOAD_INTEGER_MAX: i64 = 9_007_199_254_740_991;

/// One thing wrong with one event of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The event's place in the request, from 0.
    pub index: usize,
    /// The member at fault, e.g. `data.cvr` or `expected_version`.
    pub field: Option<String>,
    pub message: String,
    /// A conflict with what is already stored (409) rather than a broken rule (422).
    pub conflict: bool,
}

impl Problem {
    /// A broken rule in the member `field` of event `index`.
    pub fn new(index: usize, field: &str, message: impl Into<String>) -> Self {
        Problem {
            index,
            field: Some(field.to_owned()),
            message: message.into(),
            conflict: false,
        }
    }

    /// A broken rule about event `index` as a whole.
    pub fn whole(index: usize, message: impl Into<String>) -> Self {
        Problem {
            index,
            field: None,
            message: message.into(),
            conflict: false,
        }
    }

    fn conflict(index: usize, field: &str, message: impl Into<String>) -> Self {
        Problem {
            conflict: true,
            ..Problem::new(index, field, message)
        }
    }
}

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
    /// The creating event was retracted: the entity no longer exists.
    retracted: bool,
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
}

#[derive(Clone, Copy, Debug)]
struct EventSlot {
    id: Uuid,
    stream: StreamId,
    is_retraction: bool,
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
        } = overlay.into_changes();
        for entry in events.into_values() {
            if let Some(retraction) = entry.retracted_by {
                self.retracted_by.insert(entry.position, retraction);
            }
        }
        self.enterprises.extend(enterprises);
        self.agreements.extend(agreements);
    }
}

/// The state as seen by one request: the stored state plus the request's earlier events.
pub struct Overlay<'a> {
    base: &'a LedgerState,
    events: HashMap<Uuid, EventEntry>,
    versions: HashMap<StreamId, u64>,
    enterprises: HashMap<Uuid, Entity>,
    agreements: HashMap<Uuid, Entity>,
}

struct Changes {
    events: HashMap<Uuid, EventEntry>,
    enterprises: HashMap<Uuid, Entity>,
    agreements: HashMap<Uuid, Entity>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a LedgerState) -> Self {
        Overlay {
            base,
            events: HashMap::default(),
            versions: HashMap::default(),
            enterprises: HashMap::default(),
            agreements: HashMap::default(),
        }
    }

    fn into_changes(self) -> Changes {
        Changes {
            events: self.events,
            enterprises: self.enterprises,
            agreements: self.agreements,
        }
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
            retracted: false,
        };
        match data {
            EventData::EnterpriseRegistered(data) => {
                self.enterprises.insert(data.enterprise_id, created);
            }
            EventData::AgreementSigned(data) => {
                self.agreements.insert(data.agreement_id, created);
            }
            EventData::EnterpriseClosed(data) => {
                if let Some(mut entity) = self.enterprise(&data.enterprise_id) {
                    entity.ended_by = Some(id);
                    self.enterprises.insert(data.enterprise_id, entity);
                }
            }
            EventData::AgreementEnded(data) => {
                if let Some(mut entity) = self.agreement(&data.agreement_id) {
                    entity.ended_by = Some(id);
                    self.agreements.insert(data.agreement_id, entity);
                }
            }
            EventData::EventRetracted(data) => self.take_retraction(data.event_id, position),
            _ => {}
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
        let (table, base) = match entry.stream.kind {
            StreamKind::Enterprise => (&mut self.enterprises, &self.base.enterprises),
            StreamKind::Agreement => (&mut self.agreements, &self.base.agreements),
            _ => return,
        };
        let Some(mut entity) = table.get(&id).or_else(|| base.get(&id)).copied() else {
            return;
        };
        if entity.created_by == target {
            entity.retracted = true;
        } else if entity.ended_by == Some(target) {
            entity.ended_by = None;
        }
        table.insert(id, entity);
    }

    /// Checks one event of a request and, if it passes, takes it into the overlay.
    ///
    /// Returns the stream and version the event will have.
    pub fn admit(
        &mut self,
        index: usize,
        event: &mut NewEvent,
        today: NaiveDate,
    ) -> Result<(StreamId, u64), Vec<Problem>> {
        let mut problems = Vec::new();
        problems.extend(check_alone(index, event, today));
        let stream = self.check_references(index, event, &mut problems);
        let version = stream.map(|stream| self.version(&stream) + 1);
        if let (Some(expected), Some(version)) = (event.expected_version, version) {
            let actual = version - 1;
            // Not `expected + 1`: a client may send u64::MAX.
            if expected != actual {
                problems.push(Problem::conflict(
                    index,
                    "expected_version",
                    format!("expected version {expected}, but the stream is at version {actual}"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let (stream, version) = (stream.expect("no problems"), version.expect("no problems"));
        self.versions.insert(stream, version);
        let entry = EventEntry {
            position: 0,
            stream,
            is_retraction: matches!(event.data, EventData::EventRetracted(_)),
            retracted_by: None,
        };
        self.events.insert(event.id, entry);
        // Positions are not known yet; within a request only "is retracted" matters.
        self.take_effects(event.id, event.occurred_on, &event.data, u64::MAX);
        Ok((stream, version))
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
                problems.push(Problem::conflict(
                    index,
                    &format!("data.{}", id_field(&event.data)),
                    format!(
                        "{stream} already exists; a new {} needs a new id",
                        stream.kind.prefix()
                    ),
                ));
            }
        }
        match &event.data {
            EventData::EnterpriseClosed(data) => {
                self.check_closing(index, event.occurred_on, data.enterprise_id, problems)
            }
            EventData::AgreementEnded(data) => {
                self.check_ending(index, event.occurred_on, data.agreement_id, problems)
            }
            EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
                enterprise_id: Some(enterprise_id),
                ..
            })
            | EventData::GrantAwarded(GrantAwarded {
                enterprise_id: Some(enterprise_id),
                ..
            }) => {
                self.check_enterprise_exists(index, *enterprise_id, problems);
            }
            EventData::EventRetracted(data) => return self.check_retraction(index, data, problems),
            _ => {}
        }
        event.data.own_stream()
    }

    fn check_enterprise_exists(&self, index: usize, id: Uuid, problems: &mut Vec<Problem>) {
        if self.enterprise(&id).is_none_or(|entity| entity.retracted) {
            let message = format!("no enterprise {id} is registered");
            problems.push(Problem::new(index, "data.enterprise_id", message));
        }
    }

    fn check_closing(&self, index: usize, on: NaiveDate, id: Uuid, problems: &mut Vec<Problem>) {
        let field = "data.enterprise_id";
        match self.enterprise(&id).filter(|entity| !entity.retracted) {
            None => problems.push(Problem::new(
                index,
                field,
                format!("no enterprise {id} is registered"),
            )),
            Some(entity) if entity.ended_by.is_some() => problems.push(Problem::new(
                index,
                field,
                format!("enterprise {id} is already closed"),
            )),
            Some(entity) if on < entity.created_on => problems.push(Problem::new(
                index,
                "occurred_on",
                format!(
                    "must not be before the enterprise's registration on {}",
                    entity.created_on
                ),
            )),
            Some(_) => {}
        }
    }

    fn check_ending(&self, index: usize, on: NaiveDate, id: Uuid, problems: &mut Vec<Problem>) {
        let field = "data.agreement_id";
        match self.agreement(&id).filter(|entity| !entity.retracted) {
            None => problems.push(Problem::new(
                index,
                field,
                format!("no agreement {id} is signed"),
            )),
            Some(entity) if entity.ended_by.is_some() => problems.push(Problem::new(
                index,
                field,
                format!("agreement {id} has already ended"),
            )),
            Some(entity) if on < entity.created_on => problems.push(Problem::new(
                index,
                "occurred_on",
                format!(
                    "must not be before the agreement was signed on {}",
                    entity.created_on
                ),
            )),
            Some(_) => {}
        }
    }

    fn check_retraction(
        &self,
        index: usize,
        data: &EventRetracted,
        problems: &mut Vec<Problem>,
    ) -> Option<StreamId> {
        let field = "data.event_id";
        let target = data.event_id;
        let Some(entry) = self.event(&target) else {
            problems.push(Problem::new(
                index,
                field,
                format!("no event {target} is stored"),
            ));
            return None;
        };
        if entry.is_retraction {
            problems.push(Problem::new(
                index,
                field,
                "a retraction cannot itself be retracted",
            ));
        } else if entry.retracted_by.is_some() {
            problems.push(Problem::new(
                index,
                field,
                format!("event {target} is already retracted"),
            ));
        }
        Some(entry.stream)
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
    let mut overlay = Overlay::new(state);
    let mut problems = Vec::new();
    let mut placed = Vec::with_capacity(events.len());
    let mut seen_ids = HashSet::new();
    for (index, event) in events.iter_mut().enumerate() {
        if !seen_ids.insert(event.id) {
            let message = format!(
                "event id {} appears more than once in this request",
                event.id
            );
            problems.push(Problem::new(index, "id", message));
            continue;
        }
        match overlay.admit(index, event, today) {
            Ok(stream_version) => placed.push(stream_version),
            Err(found) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(placed)
    } else {
        Err(problems)
    }
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
        EventData::EventRetracted(_) => "event_id",
    }
}

/// The rules that need nothing but the event itself and today's date.
pub fn check_alone(index: usize, event: &NewEvent, today: NaiveDate) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_date(index, event.occurred_on, today, &mut problems);
    check_size(index, event, &mut problems);
    check_payload(index, &event.data, event.occurred_on, &mut problems);
    problems
}

fn check_size(index: usize, event: &NewEvent, problems: &mut Vec<Problem>) {
    let text = |text: &Option<String>| text.as_ref().map_or(0, |text| text.len() as u64);
    let bytes = crate::codec::payload_bytes(&event.data)
        .saturating_add(text(&event.note))
        .saturating_add(text(&event.case_ref));
    if bytes > EVENT_BYTES_MAX {
        let message =
            format!("the event takes {bytes} bytes; one event may take at most {EVENT_BYTES_MAX}");
        problems.push(Problem::whole(index, message));
    }
}

fn check_date(index: usize, date: NaiveDate, today: NaiveDate, problems: &mut Vec<Problem>) {
    if date > today {
        let message = format!("{date} is in the future (today is {today} in Copenhagen)");
        problems.push(Problem::new(index, "occurred_on", message));
    } else if date < earliest_date() {
        let message = format!("{date} is before {}; check the year", earliest_date());
        problems.push(Problem::new(index, "occurred_on", message));
    }
}

/// Trims every string of a payload, so that what is stored is what was meant.
pub(crate) fn normalize(data: &mut EventData) {
    fn trim(text: &mut String) {
        let trimmed = text.trim();
        if trimmed.len() != text.len() {
            *text = trimmed.to_owned();
        }
    }
    fn trim_option(text: &mut Option<String>) {
        if let Some(text) = text {
            trim(text);
        }
    }
    match data {
        EventData::StrategyAdopted(data) => trim(&mut data.name),
        EventData::EnterpriseRegistered(data) => {
            trim(&mut data.name);
            trim_option(&mut data.cvr);
        }
        EventData::EnterpriseClosed(data) => trim_option(&mut data.reason),
        EventData::PersonPlacedInEmployment(data) => trim(&mut data.person_ref),
        EventData::GrantAwarded(data) => {
            trim(&mut data.funder);
            trim_option(&mut data.purpose);
        }
        EventData::AgreementSigned(data) => trim(&mut data.counterparty),
        EventData::AgreementEnded(data) => trim_option(&mut data.reason),
        EventData::TrialStarted(data) => {
            trim(&mut data.title);
            data.partners.iter_mut().flatten().for_each(trim);
        }
        EventData::TrendNoted(data) => {
            trim(&mut data.title);
            trim_option(&mut data.source);
        }
        EventData::EventRetracted(data) => trim(&mut data.reason),
    }
}

/// The rules that need nothing but the event itself.
fn check_payload(
    index: usize,
    data: &EventData,
    occurred_on: NaiveDate,
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
            if data.amount_ore <= 0 {
                check.problem("amount_ore", "must be a whole number of øre greater than 0");
            } else if data.amount_ore > PAYLOAD_INTEGER_MAX {
                check.problem(
                    "amount_ore",
                    format!("must be at most {PAYLOAD_INTEGER_MAX} øre"),
                );
            }
            check.optional_text("purpose", &data.purpose);
            check.sdgs(&data.sdgs);
        }
        EventData::AgreementSigned(data) => {
            check.text("counterparty", &data.counterparty);
            if data.valid_to.is_some_and(|valid_to| valid_to < occurred_on) {
                check.problem(
                    "valid_to",
                    "must not be before the agreement was signed (occurred_on)",
                );
            }
        }
        EventData::AgreementEnded(data) => check.optional_text("reason", &data.reason),
        EventData::TrialStarted(data) => {
            check.text("title", &data.title);
            if data
                .partners
                .as_ref()
                .is_some_and(|partners| partners.len() > PARTNERS_MAX)
            {
                check.problem("partners", format!("at most {PARTNERS_MAX} partners"));
            }
            for (position, partner) in data.partners.iter().flatten().enumerate() {
                check.text(&format!("partners[{position}]"), partner);
            }
            check.sdgs(&data.sdgs);
        }
        EventData::TrendNoted(data) => {
            check.text("title", &data.title);
            check.optional_text("source", &data.source);
            check.sdgs(&data.sdgs);
        }
        EventData::EventRetracted(data) => check.text("reason", &data.reason),
    }
}

struct Checker<'p> {
    index: usize,
    problems: &'p mut Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems
            .push(Problem::new(self.index, &format!("data.{field}"), message));
    }

    fn text(&mut self, field: &str, text: &str) {
        if text.is_empty() {
            self.problem(field, "must not be empty");
        } else if text.chars().count() > TEXT_CHARS_MAX {
            self.problem(
                field,
                format!("must be at most {TEXT_CHARS_MAX} characters"),
            );
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
            if !(1..=17).contains(goal) {
                self.problem(
                    &format!("sdgs[{position}]"),
                    format!("{goal} is not a UN goal; goals are 1 to 17"),
                );
            } else if !seen.insert(goal) {
                self.problem(
                    &format!("sdgs[{position}]"),
                    format!("goal {goal} is listed twice"),
                );
            }
        }
    }

    fn cvr(&mut self, cvr: &str) {
        if let Err(message) = check_cvr(cvr) {
            self.problem("cvr", message);
        }
    }

    fn person_ref(&mut self, person_ref: &str) {
        if let Err(message) = check_person_ref(person_ref) {
            self.problem("person_ref", message);
        }
    }

    fn strategy(&mut self, data: &StrategyAdopted) {
        self.text("name", &data.name);
        for (field, year) in [("from_year", data.from_year), ("to_year", data.to_year)] {
            if !STRATEGY_YEARS.contains(&year) {
                self.problem(field, format!("{year} is not a plausible year"));
            }
        }
        if data.from_year > data.to_year {
            self.problem("to_year", "must not be before from_year");
        }
        if data.targets.is_empty() {
            self.problem("targets", "a strategy needs at least one target");
        }
        let mut seen = HashSet::new();
        for (position, target) in data.targets.iter().enumerate() {
            let field = format!("targets[{position}]");
            match (target.metric, target.per) {
                (Metric::PeopleEmployed, Per::Year) | (Metric::EnterprisesActive, Per::Period) => {}
                (Metric::PeopleEmployed, Per::Period) => self.problem(
                    &format!("{field}.per"),
                    "people_employed is counted per year",
                ),
                (Metric::EnterprisesActive, Per::Year) => self.problem(
                    &format!("{field}.per"),
                    "enterprises_active is counted per period",
                ),
            }
            if target.value < 0 {
                self.problem(&format!("{field}.value"), "must not be negative");
            } else if target.value > PAYLOAD_INTEGER_MAX {
                self.problem(
                    &format!("{field}.value"),
                    format!("must be at most {PAYLOAD_INTEGER_MAX}"),
                );
            }
            if !seen.insert(target.metric) {
                self.problem(
                    &format!("{field}.metric"),
                    "this metric already has a target in this strategy",
                );
            }
        }
    }
}

/// A CVR number is 8 digits whose weighted sum (2,7,6,5,4,3,2,1) is divisible by 11.
pub fn check_cvr(cvr: &str) -> Result<(), String> {
    if cvr.len() != 8 || !cvr.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("a CVR number is exactly 8 digits".to_owned());
    }
    const WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
    let sum: u32 = cvr
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    if sum % 11 != 0 {
        return Err(format!(
            "{cvr} fails the CVR modulus-11 check; check for a typing mistake"
        ));
    }
    Ok(())
}

/// A person_ref is a pseudonym: 1-64 of `[A-Za-z0-9_-]`, and never shaped like a CPR number.
pub fn check_person_ref(person_ref: &str) -> Result<(), String> {
    let length = person_ref.len();
    if length == 0 || length > PERSON_REF_CHARS_MAX {
        return Err(format!("must be 1 to {PERSON_REF_CHARS_MAX} characters"));
    }
    if !person_ref
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        return Err("may only hold letters A-Z, digits, '_' and '-'".to_owned());
    }
    if is_cpr_shaped(person_ref) {
        return Err(
            "looks like a CPR number; send the pseudonymous reference from the case system, never a CPR number"
                .to_owned(),
        );
    }
    Ok(())
}

/// Ten digits, or six digits, a dash and four digits.
fn is_cpr_shaped(text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    match text.len() {
        10 => digits(text),
        11 => text.as_bytes()[6] == b'-' && digits(&text[..6]) && digits(&text[7..]),
        _ => false,
    }
}
