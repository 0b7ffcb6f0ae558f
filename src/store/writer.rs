//! The single writer: validates, places, chains and stores every append, with group commit.
//!
//! Requests queue on a bounded channel. The writer thread takes every request waiting (up to a
//! limit), checks each against the state that includes the requests before it, writes all the
//! accepted events in one sled batch, flushes and fsyncs once, and only then makes them visible
//! and answers. One sync serves every request of the group.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use chrono::{NaiveDate, Utc};
use impact_events::{
    admit_request, judge_retry, stored_positions, Hash, NewEvent, Placement, Problem, RecordedAt,
    Retry, StoredEvent, StreamId, Violation,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{Ledger, StoreError};
use crate::metrics::{TypeLabel, METRICS};

/// One request to append: 1 to 1000 events, all or none.
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

/// The handle requests are sent through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Queued>,
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
            ledger: ledger.clone(),
            limits,
            stopped: stopped.clone(),
        };
        thread::Builder::new()
            .name("ledger-writer".to_owned())
            .spawn(move || worker.run(receiver))
            .expect("the writer thread starts");
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
            .try_send((request, clock, reply))
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
}

/// A request the writer accepted, waiting for the group's sync.
struct Pending {
    reply: Reply,
    created: bool,
    receipts: Vec<Receipt>,
}

impl Worker {
    fn run(self, mut receiver: mpsc::Receiver<Queued>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut group = vec![first];
            let mut events = group[0].0.events.len();
            while events < self.limits.group_events_max {
                let Ok(next) = receiver.try_recv() else { break };
                events += next.0.events.len();
                group.push(next);
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

    /// Admits each request of a group, stores the accepted events with one sync, then answers.
    fn commit(&self, group: Vec<Queued>) -> Result<(), StoreError> {
        let mut sealed: Vec<StoredEvent> = Vec::new();
        let mut sizes = Vec::new();
        let mut pending = Vec::new();
        for (request, clock, reply) in group {
            let before = sealed.len();
            let admitted = self.admit(request, &clock, &mut sealed);
            sizes.push(sealed.len() - before);
            match admitted {
                Ok((created, receipts)) => pending.push(Pending {
                    reply,
                    created,
                    receipts,
                }),
                Err(problems) => {
                    let _ = reply.send(Err(AppendError::Refused(problems)));
                }
            }
        }
        if !sealed.is_empty() {
            let flush_started = std::time::Instant::now();
            if let Err(error) = self.ledger.log.append_requests(&sealed, sizes) {
                for request in pending {
                    let _ = request.reply.send(Err(AppendError::Stopped));
                }
                return Err(error);
            }
            METRICS
                .flush_seconds
                .observe(flush_started.elapsed().as_secs_f64());
            METRICS.batch_events.observe(sealed.len() as f64);
            for event in &sealed {
                let event_type = event.data.type_name();
                METRICS
                    .events_appended
                    .get_or_create(&TypeLabel { event_type })
                    .inc();
            }
            self.ledger.publish(&sealed);
            METRICS
                .head_position
                .set(self.ledger.durable_position() as i64);
        }
        for Pending {
            reply,
            created,
            receipts,
        } in pending
        {
            let _ = reply.send(Ok(Appended { created, receipts }));
        }
        Ok(())
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
            let event = StoredEvent::seal(event, placement);
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
            None => {
                let read = self.ledger.read.read().expect("read model lock");
                let last = read
                    .recorded_at(read.head_position())
                    .unwrap_or(RecordedAt(i64::MIN));
                (read.head_position(), read.head_hash(), last)
            }
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
            Problem::whole(
                index,
                Violation::StreamFull {
                    stream: *stream,
                    events_max: STREAM_EVENTS_MAX,
                },
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
