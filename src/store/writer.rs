//! The single writer: validates, places, chains and stores every append, with group commit.
//!
//! Requests queue on a bounded channel. The writer thread takes every request waiting (up to a
//! limit), checks each against the state that includes the requests before it, appends all the
//! accepted events to the store as one commit (one sync), and only then makes them visible and
//! answers. One sync serves every request of the group.
//!
//! The writer owns the chain tip. A commit is conditional on it: against a store that several
//! servers append to, a commit that lost the race is admitted again on the new head (the rules'
//! state is rebuilt without the refused events first), up to `COMMIT_ATTEMPTS` times.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use chrono::{NaiveDate, Utc};
use impact_events::sealing::SALT_BYTES;
use impact_events::{
    admit_request, judge_retry, stored_positions, EventData, Hash, NewEvent, Placement, Problem,
    RecordedAt, Retry, Secrets, StoredEvent, StreamId, Violation,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{Head, KeyStore, Ledger, StoreError};
use crate::metrics::{TypeLabel, METRICS};

/// One request to append: 1 to 1000 events, all or none.
#[derive(Clone, Debug, Default)]
pub struct AppendRequest {
    pub events: Vec<NewEvent>,
    /// The token name that becomes every event's `actor`.
    pub actor: String,
    /// "Today" in Copenhagen, for the not-in-the-future rule.
    pub today: NaiveDate,
}

/// Where an appended event went.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: Uuid,
    pub position: u64,
    pub stream: String,
    pub version: u64,
    pub recorded_at: String,
    pub hash: String,
}

impl Receipt {
    fn of(event: &StoredEvent) -> Self {
        Receipt {
            id: event.id,
            position: event.position,
            stream: event.stream.to_string(),
            version: event.version,
            recorded_at: event.recorded_at.to_string(),
            hash: event.hash.to_hex(),
        }
    }
}

#[derive(Debug)]
pub struct Appended {
    /// False when the request was a retry of one already stored: nothing new was written.
    pub created: bool,
    pub receipts: Vec<Receipt>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Rule violations and conflicts; nothing was stored.
    #[error("the request was refused")]
    Refused(Vec<Problem>),
    /// The queue is full: the client should retry shortly.
    #[error("the writer's queue is full")]
    Busy,
    /// A storage failure stopped the writer; nothing more is accepted until a restart.
    #[error("the writer has stopped after a storage failure")]
    Stopped,
}

type Reply = oneshot::Sender<Result<Appended, AppendError>>;

/// When the events of a request are recorded: now (every append of the service), or at given
/// past instants, one per event (the demo data set only, so that its history reads as recorded
/// over the years it describes). Either way never earlier than the event before.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    Now,
    At(Vec<RecordedAt>),
}

impl Clock {
    /// The `recorded_at` of the request's event `index`, before the never-earlier rule.
    fn recorded_at(&self, index: usize) -> RecordedAt {
        match self {
            Clock::At(instants) => instants[index],
            Clock::Now => RecordedAt::from_datetime(Utc::now()),
        }
    }
}

/// A request in the writer's queue.
type Queued = (AppendRequest, Clock, Reply);

/// What the writer is asked to do.
enum Job {
    Append(Queued),
    /// Another server appended to the shared store: fold its events in.
    CatchUp,
}

/// The handle requests are sent through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    stopped: Arc<AtomicBool>,
    ledger: Arc<Ledger>,
}

/// Limits of the writer.
#[derive(Clone, Copy, Debug)]
pub struct WriterLimits {
    /// Requests that may wait for the writer before new ones get 503.
    pub queue_requests_max: usize,
    /// Events written by one group commit at most.
    pub group_events_max: usize,
}

impl Writer {
    /// Starts the writer thread. It ends when every `Writer` handle is dropped.
    pub fn start(ledger: Arc<Ledger>, limits: WriterLimits) -> Self {
        let (queue, receiver) = mpsc::channel(limits.queue_requests_max);
        let stopped = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            tip: ledger.head(),
            ledger: ledger.clone(),
            limits,
            stopped: stopped.clone(),
        };
        thread::Builder::new()
            .name("ledger-writer".to_owned())
            .spawn(move || worker.run(receiver))
            .expect("the writer thread starts");
        let weak = queue.downgrade();
        ledger.log.on_foreign_append(Box::new(move || {
            // A full queue means the writer is busy and catches up before its next group.
            if let Some(queue) = weak.upgrade() {
                let _ = queue.try_send(Job::CatchUp);
            }
        }));
        Writer {
            queue,
            stopped,
            ledger,
        }
    }

    /// Whether the writer stopped after a storage failure or a panic.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire) || self.ledger.is_corrupt()
    }

    pub async fn append(&self, request: AppendRequest) -> Result<Appended, AppendError> {
        self.append_with(request, Clock::Now).await
    }

    /// `append` with events recorded at the instants of `clock` (one per event): for the demo
    /// data set. Every other append is recorded now.
    pub async fn append_with(
        &self,
        request: AppendRequest,
        clock: Clock,
    ) -> Result<Appended, AppendError> {
        if let Clock::At(instants) = &clock {
            assert_eq!(
                instants.len(),
                request.events.len(),
                "one instant per event"
            );
        }
        if self.is_stopped() {
            return Err(AppendError::Stopped);
        }
        let started = std::time::Instant::now();
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Job::Append((request, clock, reply)))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => AppendError::Busy,
                mpsc::error::TrySendError::Closed(_) => AppendError::Stopped,
            })?;
        let answered = answer.await.unwrap_or(Err(AppendError::Stopped));
        METRICS
            .append_seconds
            .observe(started.elapsed().as_secs_f64());
        answered
    }
}

struct Worker {
    ledger: Arc<Ledger>,
    limits: WriterLimits,
    stopped: Arc<AtomicBool>,
    /// The last durable event: what the next commit links to. Only the writer moves it.
    tip: Head,
}

/// Tries of one group against a store several servers append to, before its requests get 503:
/// each lost race means another server appended first, so the next try sees its events.
const COMMIT_ATTEMPTS: usize = 8;

/// A request of the group being committed; `reply` is taken when it is answered.
struct Entry {
    request: AppendRequest,
    clock: Clock,
    reply: Option<Reply>,
    /// Admitted before in a commit that lost its race; part of it may have landed.
    tried: bool,
}

/// A request the writer accepted, waiting for the group's sync: its entry and its answer.
struct Pending {
    entry: usize,
    created: bool,
    receipts: Vec<Receipt>,
}

impl Worker {
    fn run(mut self, mut receiver: mpsc::Receiver<Job>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut group = Vec::new();
            let mut events = 0;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                if let Job::Append(queued) = job {
                    events += queued.0.events.len();
                    group.push(queued);
                }
                if events < self.limits.group_events_max {
                    next = receiver.try_recv().ok();
                }
            }
            // A panic here would leave undurable events in the rules' state: stop, as for a
            // storage failure, rather than take appends on top of them.
            let committed =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.commit(group)));
            let failure = match committed {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error.to_string(),
                Err(_) => "the writer panicked".to_owned(),
            };
            tracing::error!(%failure, "the writer stops taking appends; restart the service");
            self.stopped.store(true, Ordering::Release);
            receiver.close();
        }
    }

    /// Commits a group: admits each request, stores the accepted events with one sync, then
    /// answers. Against a shared store a lost race is tried again on the new head.
    fn commit(&mut self, group: Vec<Queued>) -> Result<(), StoreError> {
        let mut entries: Vec<Entry> = group
            .into_iter()
            .map(|(request, clock, reply)| Entry {
                request,
                clock,
                reply: Some(reply),
                tried: false,
            })
            .collect();
        for attempt in 1..=COMMIT_ATTEMPTS {
            self.catch_up()?;
            match self.try_commit(&mut entries) {
                Ok(()) => return Ok(()),
                Err(StoreError::HeadMoved { expected, head }) if attempt < COMMIT_ATTEMPTS => {
                    tracing::debug!(expected, head, attempt, "lost a race for the head: again");
                    entries.iter_mut().for_each(|entry| entry.tried = true);
                    self.ledger.reset_state()?;
                }
                // The store could not be reached or stays contended: nothing is acknowledged,
                // the clients retry (with the same ids, a retry that did land is recognised).
                Err(error @ (StoreError::HeadMoved { .. } | StoreError::Unavailable(_))) => {
                    tracing::warn!(%error, "a group of appends was not stored: 503");
                    self.answer_all(&mut entries, || AppendError::Busy);
                    return self.ledger.reset_state();
                }
                Err(StoreError::TooLarge(reason)) => {
                    tracing::warn!(%reason, "a group of appends is too large for the store");
                    self.answer_all(&mut entries, || AppendError::Busy);
                    return self.ledger.reset_state();
                }
                Err(error) => {
                    self.answer_all(&mut entries, || AppendError::Stopped);
                    return Err(error);
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// One try of a group on the current tip.
    fn try_commit(&mut self, entries: &mut [Entry]) -> Result<(), StoreError> {
        let shared = self.ledger.log.is_shared();
        let mut sealed: Vec<StoredEvent> = Vec::new();
        let mut sizes = Vec::new();
        let mut pending = Vec::new();
        for (index, entry) in entries.iter_mut().enumerate() {
            if entry.reply.is_none() {
                continue;
            }
            // A shared store may refuse the commit; the request is then admitted again, so
            // only then is it copied (never on the single-server path).
            let request = if shared {
                again(entry)
            } else {
                std::mem::take(&mut entry.request)
            };
            let before = sealed.len();
            let admitted = self.admit(request, &entry.clock, &mut sealed);
            // Ids the server chose found stored on a retry: the part of the commit that landed.
            let landed = entry.tried && entry.request.events.iter().all(|e| !e.id_from_client);
            let admitted = admitted.map(|(created, receipts)| (created || landed, receipts));
            sizes.push(sealed.len() - before);
            match admitted {
                Ok((created, receipts)) => pending.push(Pending {
                    entry: index,
                    created,
                    receipts,
                }),
                Err(problems) => answer(entry, Err(AppendError::Refused(problems))),
            }
        }
        if !sealed.is_empty() {
            self.store(&sealed, &sizes)?;
        }
        for Pending {
            entry,
            created,
            receipts,
        } in pending
        {
            answer(&mut entries[entry], Ok(Appended { created, receipts }));
        }
        Ok(())
    }

    /// Writes the sealed events with one sync, then makes them visible.
    fn store(&mut self, sealed: &[StoredEvent], sizes: &[usize]) -> Result<(), StoreError> {
        let flush_started = std::time::Instant::now();
        self.ledger.log.append(self.tip.position, sealed, sizes)?;
        METRICS
            .flush_seconds
            .observe(flush_started.elapsed().as_secs_f64());
        METRICS.batch_events.observe(sealed.len() as f64);
        for event in sealed {
            let event_type = event.data.type_name();
            METRICS
                .events_appended
                .get_or_create(&TypeLabel { event_type })
                .inc();
        }
        self.tip = Head::of(sealed.last().expect("a commit has events"));
        self.ledger.publish(sealed);
        METRICS
            .head_position
            .set(self.ledger.durable_position() as i64);
        Ok(())
    }

    /// Folds in what other servers appended to a shared store since the tip, checking that it
    /// links on; with a store of its own the writer's tip is always the log's head.
    fn catch_up(&mut self) -> Result<(), StoreError> {
        let last = self.ledger.log.last_position()?;
        if last <= self.tip.position {
            return Ok(());
        }
        let foreign: Vec<StoredEvent> = self
            .ledger
            .log
            .range(self.tip.position, last)
            .collect::<Result<_, _>>()?;
        for event in &foreign {
            let links = event.position == self.tip.position + 1 && event.prev_hash == self.tip.hash;
            if !links {
                return Err(StoreError::Corrupt {
                    position: event.position,
                    reason: "an event appended by another server does not link to the one before"
                        .to_owned(),
                });
            }
            self.tip = Head::of(event);
        }
        let mut state = self.ledger.state.write().expect("state lock");
        foreign.iter().for_each(|event| state.apply(event));
        drop(state);
        self.ledger.publish(&foreign);
        Ok(())
    }

    /// Answers every request of the group not answered yet.
    fn answer_all(&self, entries: &mut [Entry], error: impl Fn() -> AppendError) {
        for entry in entries {
            answer(entry, Err(error()));
        }
    }

    /// Checks one request; on success seals its events into `sealed` and the rules' state.
    fn admit(
        &self,
        mut request: AppendRequest,
        clock: &Clock,
        sealed: &mut Vec<StoredEvent>,
    ) -> Result<(bool, Vec<Receipt>), Vec<Problem>> {
        if let Some(receipts) = self.replay(&request.events, sealed)? {
            return Ok((false, receipts));
        }
        let mut state = self.ledger.state.write().expect("state lock");
        let places = admit_request(&state, &mut request.events, request.today)?;
        stream_cap(&places)?;
        let mut receipts = Vec::with_capacity(places.len());
        let events = request.events.into_iter().zip(places).enumerate();
        for (index, (event, (stream, version))) in events {
            let recorded_at = clock.recorded_at(index);
            let placement = self.place(sealed, stream, version, &request.actor, recorded_at);
            let secrets = secrets_for(self.ledger.keys.as_ref(), &event);
            let event = StoredEvent::seal_with(event, placement, secrets.as_ref());
            state.apply(&event);
            receipts.push(Receipt::of(&event));
            sealed.push(event);
        }
        Ok((true, receipts))
    }

    /// The next position, the chain link and a `recorded_at` never earlier than the last one.
    fn place(
        &self,
        sealed: &[StoredEvent],
        stream: StreamId,
        version: u64,
        actor: &str,
        recorded_at: RecordedAt,
    ) -> Placement {
        let (position, prev_hash, last_recorded_at) = match sealed.last() {
            Some(event) => (event.position, event.hash, event.recorded_at),
            None => (
                self.tip.position,
                self.tip.hash,
                self.tip.recorded_at.unwrap_or(RecordedAt(i64::MIN)),
            ),
        };
        Placement {
            position: position + 1,
            stream,
            version,
            recorded_at: recorded_at.max(last_recorded_at),
            actor: actor.to_owned(),
            prev_hash: if position == 0 {
                Hash::GENESIS
            } else {
                prev_hash
            },
        }
    }

    /// Recognises a retry (`impact_events::judge_retry`): every event id already stored with
    /// the same content.
    ///
    /// Returns the original receipts, `None` when no id is known, or the conflicts.
    fn replay(
        &self,
        events: &[NewEvent],
        sealed: &[StoredEvent],
    ) -> Result<Option<Vec<Receipt>>, Vec<Problem>> {
        let known = {
            let state = self.ledger.state.read().expect("state lock");
            stored_positions(&state, events)
        };
        if known.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut stored = Vec::with_capacity(known.len());
        for (index, position) in known.iter().enumerate() {
            let loaded = position
                .map(|position| self.load(position, sealed))
                .transpose()
                .map_err(|error| {
                    tracing::error!(%error, "reading a stored event for a retry");
                    vec![Problem::new(index, "id", Violation::StoredUnreadable)]
                })?;
            stored.push(loaded);
        }
        let stored_refs: Vec<Option<&StoredEvent>> = stored.iter().map(Option::as_ref).collect();
        match judge_retry(events, &stored_refs)? {
            Retry::New => Ok(None),
            Retry::Repeat => Ok(Some(stored.iter().flatten().map(Receipt::of).collect())),
        }
    }

    /// An event of this group that is not written yet, or one from the log.
    fn load(&self, position: u64, sealed: &[StoredEvent]) -> Result<StoredEvent, StoreError> {
        if let Some(event) = sealed.iter().find(|event| event.position == position) {
            return Ok(event.clone());
        }
        self.ledger.log.get(position)?.ok_or(StoreError::Corrupt {
            position,
            reason: "an indexed event is missing from the log".to_owned(),
        })
    }
}

/// A copy of the request to admit (a shared store may refuse the commit). After a lost race
/// its ids are judged as a retry's even when the server chose them: a commit of several
/// messages may have landed in part, and a stored id the server chose can only be this one's.
/// Fresh salts and the person's pseudonym for an event with a value in an erasable member
/// (CONTRACT §12); `None` for one without, which is stored as before.
fn secrets_for(keys: &dyn KeyStore, event: &NewEvent) -> Option<Secrets> {
    let person_ref = match &event.data {
        EventData::PersonPlacedInEmployment(placed) => Some(placed.person_ref.as_str()),
        _ => None,
    };
    if event.note.is_none() && event.case_ref.is_none() && person_ref.is_none() {
        return None;
    }
    let mut salts = [[0; SALT_BYTES]; 3];
    for salt in &mut salts {
        getrandom::fill(salt).expect("the operating system gives randomness");
    }
    Some(Secrets {
        salts,
        pseudonym: person_ref.map(|person_ref| keys.pseudonym(person_ref)),
    })
}

fn again(entry: &Entry) -> AppendRequest {
    let mut request = entry.request.clone();
    if entry.tried {
        request
            .events
            .iter_mut()
            .for_each(|event| event.id_from_client = true);
    }
    request
}

/// Sends a request its answer, once.
fn answer(entry: &mut Entry, answer: Result<Appended, AppendError>) {
    if let Some(reply) = entry.reply.take() {
        let _ = reply.send(answer);
    }
}

/// The most events one stream may hold. A real entity has a handful (registered, closed, a
/// closure retracted, closed again); without a cap, closing and retracting in a loop grows one
/// stream without bound (issue 18, finding 2). Checked from the versions the rules assigned,
/// so it costs nothing per event.
pub const STREAM_EVENTS_MAX: u64 = 1000;

/// Refuses (422) an event that would be past `STREAM_EVENTS_MAX` in its stream.
fn stream_cap(places: &[(StreamId, u64)]) -> Result<(), Vec<Problem>> {
    let problems: Vec<Problem> = places
        .iter()
        .enumerate()
        .filter(|(_, (_, version))| *version > STREAM_EVENTS_MAX)
        .map(|(index, (stream, _))| {
            let violation = Violation::StreamFull {
                stream: *stream,
                events_max: STREAM_EVENTS_MAX,
            };
            Problem::whole(index, violation)
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
