//! The log on a NATS JetStream stream (CONTRACT §14): the second implementation of `Store`.
//!
//! One stream holds the log, one message per commit (or per run of whole requests, when a
//! commit is larger than the server's max payload): each event's storage record (the codec's,
//! as sled keeps it), prefixed by its length. Every message is published with
//! `Nats-Expected-Last-Sequence`, so it lands only on the head the writer validated against;
//! on a lost race the caller gets `HeadMoved` and the writer catches up and validates again.
//!
//! Every server follows the stream live with an ordered consumer into `Mirror`, the stream's
//! events in memory by position: reads never go to the network, and the writer learns of
//! other servers' appends through `on_foreign_append`.

use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, context::PublishErrorKind, stream};
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use impact_events::{codec, StoredEvent};

use super::backend::{Events, Store};
use super::StoreError;

/// How long a connect, a publish or a read of the stream may take before the store is called
/// unavailable (the writer answers 503; nothing is acknowledged).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening may take to read the existing stream into memory.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// How long opening waits for the cluster to create or find the stream.
const STREAM_WAIT: Duration = Duration::from_secs(20);
/// Room left in a message for the headers.
const HEADER_BYTES: usize = 1024;
/// The header of a message whose last request goes on in the next message.
const CONTINUES_HEADER: &str = "Impact-Ledger-Continues";
/// The smallest max payload the servers may have: the largest event as stored (its payload,
/// note and case_ref at most `EVENT_BYTES_MAX`, plus the envelope) must fit one message.
const PAYLOAD_MIN: usize = 64 * 1024;
/// Replicas of a new stream at most (CONTRACT §14: three).
pub(crate) const REPLICAS_MAX: usize = 3;

/// Where a JetStream log is: the servers to try, the stream's name, and how to prove who we
/// are to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatsLocation {
    pub servers: Vec<String>,
    pub stream: String,
    pub security: NatsSecurity,
}

/// Credentials and TLS for the connection to the NATS servers, passed to the client as they
/// are (docs/CLUSTER.md). Each is a file; none set means a plain connection without login.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NatsSecurity {
    /// A NATS credentials file (`.creds`: a user JWT and its NKey seed).
    pub credentials: Option<std::path::PathBuf>,
    /// The CA certificate (PEM) the servers' certificates are checked against; setting it
    /// requires TLS.
    pub tls_ca: Option<std::path::PathBuf>,
    /// A client certificate and its key (PEM), for servers that verify clients.
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
}

impl NatsSecurity {
    /// The settings of the environment: `IMPACT_LEDGER_NATS_CREDENTIALS`,
    /// `IMPACT_LEDGER_NATS_TLS_CA`, `IMPACT_LEDGER_NATS_TLS_CERT`, `IMPACT_LEDGER_NATS_TLS_KEY`.
    pub fn from_env() -> Self {
        let path = |name: &str| std::env::var_os(name).map(std::path::PathBuf::from);
        NatsSecurity {
            credentials: path("IMPACT_LEDGER_NATS_CREDENTIALS"),
            tls_ca: path("IMPACT_LEDGER_NATS_TLS_CA"),
            tls_cert: path("IMPACT_LEDGER_NATS_TLS_CERT"),
            tls_key: path("IMPACT_LEDGER_NATS_TLS_KEY"),
        }
    }

    /// The client's options with these set.
    async fn apply(
        &self,
        mut options: async_nats::ConnectOptions,
    ) -> Result<async_nats::ConnectOptions, StoreError> {
        if let Some(credentials) = &self.credentials {
            options = options
                .credentials_file(credentials)
                .await
                .map_err(|error| {
                    let doing = format!("reading the NATS credentials {}", credentials.display());
                    unavailable(&doing, error)
                })?;
        }
        if let Some(ca) = &self.tls_ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                options = options.add_client_certificate(cert.clone(), key.clone());
            }
            (None, None) => {}
            _ => {
                return Err(StoreError::Unavailable(
                    "a NATS client certificate needs both nats_tls_cert and nats_tls_key"
                        .to_owned(),
                ))
            }
        }
        Ok(options)
    }
}

/// The default stream name; a `/NAME` after the last server names another.
pub const DEFAULT_STREAM: &str = "IMPACT_LEDGER";

impl NatsLocation {
    /// Reads `nats://host:4222,host2:4222[/STREAM]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("nats://")
            .ok_or_else(|| format!("{text:?} is not a nats:// address"))?;
        let (hosts, stream) = match rest.split_once('/') {
            Some((hosts, stream)) => (hosts, stream),
            None => (rest, DEFAULT_STREAM),
        };
        let stream_ok = !stream.is_empty()
            && stream
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || "_-".contains(character));
        if !stream_ok {
            return Err(format!(
                "the stream name {stream:?} may hold only letters, digits, _ and -"
            ));
        }
        let servers: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .map(|host| format!("nats://{}", host.trim_start_matches("nats://")))
            .collect();
        if servers.is_empty() {
            return Err(format!("{text:?} names no server (nats://host:4222,...)"));
        }
        Ok(NatsLocation {
            servers,
            stream: stream.to_owned(),
            security: NatsSecurity::from_env(),
        })
    }

    /// The subject the stream's messages are published on.
    fn subject(&self) -> String {
        format!("impact-ledger.{}", self.stream)
    }
}

impl std::fmt::Display for NatsLocation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hosts: Vec<&str> = self
            .servers
            .iter()
            .map(|server| server.trim_start_matches("nats://"))
            .collect();
        write!(formatter, "nats://{}/{}", hosts.join(","), self.stream)
    }
}

/// Callback the writer registers to hear of another server's append.
type Wake = Box<dyn Fn() + Send + Sync>;

/// The stream's events in memory, by position, as the follower and the writer learn of them.
#[derive(Default)]
struct Mirror {
    log: RwLock<Taken>,
    /// Signalled whenever `log` grows, for those waiting for a sequence.
    grown: Condvar,
    grown_lock: Mutex<()>,
    wake: Mutex<Option<Wake>>,
}

#[derive(Default)]
struct Taken {
    /// The record of position `index + 1`, a slice of its message.
    events: Vec<Bytes>,
    /// The records of a commit whose last request goes on in the next message
    /// (`CONTINUES_HEADER`): held back until that message arrives, so a request is seen
    /// whole or not at all. A message that starts at the log's head instead abandons them
    /// (the server that published them died or lost the race between its messages).
    pending: Vec<Bytes>,
    /// The stream sequence of the last message taken in.
    sequence: u64,
    /// Set when a message does not continue the log: every call fails from then on.
    broken: Option<StoreError>,
}

impl Mirror {
    /// Takes in message `sequence`; one already taken in is ignored. `continues` says the
    /// message's last request goes on in the next one. Returns whether the log grew.
    fn take_in(&self, sequence: u64, payload: &Bytes, continues: bool) -> Result<bool, StoreError> {
        let mut copy = self.log.write().expect("mirror lock");
        if let Some(broken) = &copy.broken {
            return Err(clone_error(broken));
        }
        if sequence <= copy.sequence {
            return Ok(false);
        }
        let head = copy.events.len() as u64;
        if sequence != copy.sequence + 1 {
            let reason = format!(
                "message {sequence} of the stream follows message {} here",
                copy.sequence
            );
            return Err(self.break_at(&mut copy, head + 1, reason));
        }
        let goes_on = head + copy.pending.len() as u64 + 1;
        let first = match first_position(payload) {
            Ok(first) if first == goes_on => first,
            Ok(first) if first == head + 1 => {
                copy.pending.clear();
                first
            }
            Ok(first) => {
                let reason = format!("a message starts at position {first}");
                return Err(self.break_at(&mut copy, head + 1, reason));
            }
            Err(reason) => return Err(self.break_at(&mut copy, head + 1, reason)),
        };
        let records = match split_records(payload, first) {
            Ok(records) => records,
            Err(reason) => return Err(self.break_at(&mut copy, first, reason)),
        };
        copy.sequence = sequence;
        copy.pending.extend(records);
        if continues {
            return Ok(false);
        }
        let complete = std::mem::take(&mut copy.pending);
        copy.events.extend(complete);
        drop(copy);
        let _guard = self.grown_lock.lock().expect("mirror wait lock");
        self.grown.notify_all();
        Ok(true)
    }

    fn break_at(&self, copy: &mut Taken, position: u64, reason: String) -> StoreError {
        let error = StoreError::Corrupt { position, reason };
        copy.broken = Some(clone_error(&error));
        error
    }

    /// The last position and the stream sequence of its message.
    fn head(&self) -> Result<(u64, u64), StoreError> {
        let copy = self.log.read().expect("mirror lock");
        match &copy.broken {
            Some(broken) => Err(clone_error(broken)),
            None => Ok((copy.events.len() as u64, copy.sequence)),
        }
    }

    /// Waits until message `sequence` is taken in, at most `timeout`.
    fn wait_for(&self, sequence: u64, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut guard = self.grown_lock.lock().expect("mirror wait lock");
        loop {
            if self.head().map_or(true, |(_, taken)| taken >= sequence) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            let step = left.min(Duration::from_millis(50));
            guard = self.grown.wait_timeout(guard, step).expect("wait").0;
        }
    }
}

/// `StoreError` is not `Clone` (it holds an io::Error); a broken mirror repeats its cause.
fn clone_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Corrupt { position, reason } => StoreError::Corrupt {
            position: *position,
            reason: reason.clone(),
        },
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// The position the first record of a message says it is at.
fn first_position(payload: &Bytes) -> Result<u64, String> {
    let record = payload
        .get(4..)
        .zip(payload.get(..4))
        .and_then(|(rest, length)| {
            let length = u32::from_le_bytes(length.try_into().expect("4 bytes")) as usize;
            rest.get(..length)
        })
        .ok_or_else(|| "a message of the stream holds no whole record".to_owned())?;
    let event = codec::decode(record).map_err(|error| error.to_string())?;
    Ok(event.position)
}

/// The records of a message, checked to be the events at `first`, `first + 1`, ...
fn split_records(payload: &Bytes, first: u64) -> Result<Vec<Bytes>, String> {
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < payload.len() {
        let length_end = offset + 4;
        let Some(length) = payload.get(offset..length_end) else {
            return Err("a message ends inside a record's length".to_owned());
        };
        let length = u32::from_le_bytes(length.try_into().expect("4 bytes")) as usize;
        let Some(record) = payload.get(length_end..length_end + length) else {
            return Err("a message ends inside a record".to_owned());
        };
        let position = first + records.len() as u64;
        let event = decode_at(position, record)?;
        debug_assert_eq!(event.position, position);
        records.push(payload.slice(length_end..length_end + length));
        offset = length_end + length;
    }
    if records.is_empty() {
        return Err("a message of the stream holds no event".to_owned());
    }
    Ok(records)
}

fn decode_at(position: u64, record: &[u8]) -> Result<StoredEvent, String> {
    let event = codec::decode(record).map_err(|error| error.to_string())?;
    // Pair assertion: the record must say it is the event at the place it is read from.
    if event.position != position {
        return Err(format!("the record here says position {}", event.position));
    }
    Ok(event)
}

/// A log kept in a JetStream stream that several ledger servers may append to.
pub struct NatsStore {
    /// The client's own runtime: the writer and the readers call from plain threads. Taken
    /// on drop, to shut it down without blocking (a drop may happen on another runtime).
    runtime: Option<tokio::runtime::Runtime>,
    context: jetstream::Context,
    stream: stream::Stream,
    subject: String,
    mirror: Arc<Mirror>,
    /// The largest message the servers take.
    payload_max: usize,
    follower: tokio::task::JoinHandle<()>,
}

/// What `config check` reports of the stream.
#[derive(Clone, Debug)]
pub struct StreamReport {
    pub stream: String,
    pub replicas: usize,
    pub leader: Option<String>,
    /// The servers that hold a copy besides the leader, and whether each is current.
    pub followers: Vec<(String, bool)>,
    pub messages: u64,
}

impl StreamReport {
    fn of(info: stream::Info) -> Self {
        let cluster = info.cluster.unwrap_or_default();
        StreamReport {
            stream: info.config.name,
            replicas: info.config.num_replicas,
            leader: cluster.leader,
            followers: cluster
                .replicas
                .into_iter()
                .map(|replica| (replica.name, replica.current))
                .collect(),
            messages: info.state.messages,
        }
    }
}

impl std::fmt::Display for StreamReport {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(formatter, "stream: {}", self.stream)?;
        writeln!(formatter, "replicas: {}", self.replicas)?;
        let leader = self
            .leader
            .as_deref()
            .unwrap_or("none (no quorum: appends are refused)");
        writeln!(formatter, "leader: {leader}")?;
        for (name, current) in &self.followers {
            let state = if *current { "current" } else { "behind" };
            writeln!(formatter, "follower: {name} ({state})")?;
        }
        writeln!(formatter, "commits: {}", self.messages)
    }
}

impl NatsStore {
    /// Connects, creates the stream when it does not exist, and reads it into memory.
    pub fn open(location: &NatsLocation) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nats-store")
            .enable_all()
            .build()
            .map_err(|error| StoreError::Unavailable(format!("starting its runtime: {error}")))?;
        match Self::open_on(&runtime, location) {
            Ok(mut store) => {
                store.runtime = Some(runtime);
                Ok(store)
            }
            Err(error) => {
                // Dropping a runtime waits for it, which a caller on another runtime may not do.
                drop_runtime(runtime);
                Err(error)
            }
        }
    }

    /// `open`'s work on the client's runtime: the store without its runtime yet.
    fn open_on(
        runtime: &tokio::runtime::Runtime,
        location: &NatsLocation,
    ) -> Result<Self, StoreError> {
        let owned = location.clone();
        let (context, stream, payload_max) = run_on(runtime, async move { connect(&owned).await })?;
        let mirror = Arc::new(Mirror::default());
        let last = run_on(runtime, last_sequence(stream.clone()))?;
        let follower = runtime.spawn(follow(stream.clone(), Arc::clone(&mirror)));
        if !mirror.wait_for(last, LOAD_TIMEOUT) {
            follower.abort();
            return Err(StoreError::Unavailable(format!(
                "the stream {} was not read within {} s",
                location.stream,
                LOAD_TIMEOUT.as_secs()
            )));
        }
        mirror.head()?;
        Ok(NatsStore {
            runtime: None,
            context,
            stream,
            subject: location.subject(),
            mirror,
            payload_max,
            follower,
        })
    }

    /// Runs `future` on the client's runtime and waits for it.
    fn run<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        run_on(
            self.runtime.as_ref().expect("the runtime lives until drop"),
            future,
        )
    }

    /// The stream's replicas, leader and size.
    pub fn report(&self) -> Result<StreamReport, StoreError> {
        let mut stream = self.stream.clone();
        let info = self.run(async move { stream.info().await.cloned() });
        let info = info.map_err(|error| unavailable("reading the stream's info", error))?;
        Ok(StreamReport::of(info))
    }

    /// Connects and reports the stream without reading or creating it (`config check`);
    /// `None` when the stream does not exist yet (the first `serve` creates it).
    pub fn inspect(location: &NatsLocation) -> Result<Option<StreamReport>, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| StoreError::Unavailable(format!("starting its runtime: {error}")))?;
        let location = location.clone();
        let inspected = std::thread::spawn(move || {
            runtime.block_on(async move {
                let (context, _, _) = connect_client(&location).await?;
                let found = context.get_stream(&location.stream).await;
                match found {
                    Ok(mut stream) => {
                        let info = stream.info().await.cloned();
                        let info =
                            info.map_err(|error| unavailable("reading the stream", error))?;
                        Ok(Some(StreamReport::of(info)))
                    }
                    Err(error) if is_not_found(&error.kind()) => Ok(None),
                    Err(error) => Err(unavailable("looking for the stream", error)),
                }
            })
        });
        inspected
            .join()
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the check panicked".to_owned())))
    }

    /// Publishes one message on the stream after message `expected`; its sequence.
    fn publish(&self, expected: u64, payload: Bytes, continues: bool) -> Result<u64, StoreError> {
        let context = self.context.clone();
        let subject = self.subject.clone();
        let acked = self.run(async move {
            let mut message = jetstream::message::PublishMessage::build()
                .payload(payload)
                .expected_last_sequence(expected);
            if continues {
                message = message.header(CONTINUES_HEADER, "yes");
            }
            context.send_publish(subject, message).await?.await
        });
        match acked {
            Ok(ack) => Ok(ack.sequence),
            Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => {
                Err(StoreError::HeadMoved {
                    expected,
                    head: expected + 1,
                })
            }
            Err(error) if error.kind() == PublishErrorKind::MaxPayloadExceeded => Err(
                StoreError::TooLarge(format!("the NATS servers refused a message: {error}")),
            ),
            Err(error) => Err(unavailable("publishing to the stream", error)),
        }
    }

    /// The commit as messages within the servers' max payload, each flagged whether its
    /// last request goes on in the next one. Whole requests share a message while they fit;
    /// a request larger than a message is cut between its events.
    fn messages(&self, events: &[StoredEvent], sizes: &[usize]) -> Vec<(Bytes, bool)> {
        let limit = self.payload_max.saturating_sub(HEADER_BYTES);
        let mut messages = Vec::new();
        let mut message = BytesMut::new();
        let mut rest = events;
        for &size in sizes {
            let (request, after) = rest.split_at(size);
            rest = after;
            let records: Vec<Vec<u8>> = request.iter().map(codec::encode).collect();
            let bytes: usize = records.iter().map(|record| record.len() + 4).sum();
            if !message.is_empty() && message.len() + bytes > limit {
                messages.push((std::mem::take(&mut message).freeze(), false));
            }
            for record in records {
                // Never true for the first record of a message: open checked that the
                // largest event fits one (`PAYLOAD_MIN`).
                if !message.is_empty() && message.len() + record.len() + 4 > limit {
                    messages.push((std::mem::take(&mut message).freeze(), true));
                }
                message.put_u32_le(u32::try_from(record.len()).expect("a record under 4 GiB"));
                message.put_slice(&record);
            }
        }
        if !message.is_empty() {
            messages.push((message.freeze(), false));
        }
        messages
    }

    /// After a lost race: reads the messages the follower has not delivered yet, so the
    /// writer sees the new head at once.
    fn catch_up(&self) -> Result<(), StoreError> {
        let last = self.run(last_sequence(self.stream.clone()))?;
        if self.mirror.wait_for(last, Duration::from_millis(200)) {
            return Ok(());
        }
        let (_, mut taken) = self.mirror.head()?;
        while taken < last {
            let stream = self.stream.clone();
            let sequence = taken + 1;
            let message = self.run(async move { stream.get_raw_message(sequence).await });
            let message = message.map_err(|error| unavailable("reading the stream", error))?;
            let continues = message.headers.get(CONTINUES_HEADER).is_some();
            self.mirror.take_in(sequence, &message.payload, continues)?;
            taken = sequence;
        }
        Ok(())
    }
}

impl Drop for NatsStore {
    fn drop(&mut self) {
        self.follower.abort();
        if let Some(runtime) = self.runtime.take() {
            drop_runtime(runtime);
        }
    }
}

fn is_not_found(kind: &jetstream::context::GetStreamErrorKind) -> bool {
    matches!(kind, jetstream::context::GetStreamErrorKind::JetStream(error)
        if error.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
}

/// Runs `future` on `runtime` and waits for it, from any thread: also from a thread of
/// another runtime (a request handler), where `block_on` would panic.
pub(crate) fn run_on<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = sender.send(future.await);
    });
    receiver.recv().expect("the store's runtime answers")
}

/// Shuts a client's runtime down without waiting: also from a task of another runtime, where
/// a plain drop would panic.
pub(crate) fn drop_runtime(runtime: tokio::runtime::Runtime) {
    runtime.shutdown_background();
}

pub(crate) fn unavailable(doing: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{doing}: {error}"))
}

/// Connects to the servers and finds or creates the stream; the max payload they take.
/// A JetStream context on the servers, the max payload they take and how many they are.
pub(crate) async fn connect_client(
    location: &NatsLocation,
) -> Result<(jetstream::Context, usize, usize), StoreError> {
    let options = async_nats::ConnectOptions::new()
        .connection_timeout(REQUEST_TIMEOUT)
        .request_timeout(Some(REQUEST_TIMEOUT))
        .name("impact-ledger");
    let options = location.security.apply(options).await?;
    let servers: Vec<async_nats::ServerAddr> = location
        .servers
        .iter()
        .map(|server| server.parse())
        .collect::<Result<_, _>>()
        .map_err(|error| unavailable("reading the server addresses", error))?;
    let client = options
        .connect(servers.clone())
        .await
        .map_err(|error| unavailable(&format!("connecting to {location}"), error))?;
    let info = client.server_info();
    let payload_max = info.max_payload;
    let cluster_size = servers.len().max(info.connect_urls.len());
    let mut context = jetstream::new(client);
    context.set_timeout(REQUEST_TIMEOUT);
    Ok((context, payload_max, cluster_size))
}

/// Connects to the servers and finds or creates the stream; the max payload they take.
async fn connect(
    location: &NatsLocation,
) -> Result<(jetstream::Context, stream::Stream, usize), StoreError> {
    let (context, payload_max, cluster_size) = connect_client(location).await?;
    if payload_max < PAYLOAD_MIN {
        return Err(StoreError::Unavailable(format!(
            "the NATS servers take messages of at most {payload_max} bytes, too few for the \
             largest event: set max_payload to at least {PAYLOAD_MIN} in their configuration"
        )));
    }
    let config = stream::Config {
        name: location.stream.clone(),
        subjects: vec![location.subject()],
        storage: stream::StorageType::File,
        num_replicas: cluster_size.clamp(1, REPLICAS_MAX),
        // The log is never changed in place or cut short.
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    };
    // A cluster that has just started elects its JetStream leader first: try for a while.
    let deadline = tokio::time::Instant::now() + STREAM_WAIT;
    loop {
        match context.get_or_create_stream(config.clone()).await {
            Ok(stream) => return Ok((context, stream, payload_max)),
            Err(error) if tokio::time::Instant::now() >= deadline => {
                let doing = format!("opening the stream {}", location.stream);
                return Err(unavailable(&doing, error));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn last_sequence(mut stream: stream::Stream) -> Result<u64, StoreError> {
    let info = stream
        .info()
        .await
        .map_err(|error| unavailable("reading the stream's info", error))?;
    Ok(info.state.last_sequence)
}

/// Follows the stream from its first message, taking every message into the mirror and
/// waking the writer for messages other servers appended. Restarts after a failure.
async fn follow(stream: stream::Stream, mirror: Arc<Mirror>) {
    loop {
        if let Err(error) = follow_once(&stream, &mirror).await {
            tracing::warn!(%error, "following the stream stopped; following again");
        }
        if mirror.head().is_err() {
            tracing::error!("the stream does not continue the log: following stops");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn follow_once(stream: &stream::Stream, mirror: &Mirror) -> Result<(), StoreError> {
    let (_, taken) = mirror.head()?;
    let config = consumer::push::OrderedConfig {
        deliver_subject: format!("_INBOX.impact-ledger.{}", uuid::Uuid::new_v4().simple()),
        deliver_policy: consumer::DeliverPolicy::ByStartSequence {
            start_sequence: taken + 1,
        },
        ..Default::default()
    };
    let ordered = stream
        .create_consumer(config)
        .await
        .map_err(|error| unavailable("creating the ordered consumer", error))?;
    let mut messages = ordered
        .messages()
        .await
        .map_err(|error| unavailable("following the stream", error))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|error| unavailable("following the stream", error))?;
        let sequence = message
            .info()
            .map_err(|error| unavailable("reading a message's sequence", error))?
            .stream_sequence;
        let continues = message
            .headers
            .as_ref()
            .is_some_and(|headers| headers.get(CONTINUES_HEADER).is_some());
        if mirror.take_in(sequence, &message.payload, continues)? {
            if let Some(wake) = mirror.wake.lock().expect("wake lock").as_ref() {
                wake();
            }
        }
    }
    Ok(())
}

impl Store for NatsStore {
    fn append(
        &self,
        expected: u64,
        events: &[StoredEvent],
        sizes: &[usize],
    ) -> Result<(), StoreError> {
        let (head, mut sequence) = self.mirror.head()?;
        if head != expected {
            return Err(StoreError::HeadMoved { expected, head });
        }
        for (message, continues) in self.messages(events, sizes) {
            match self.publish(sequence, message.clone(), continues) {
                Ok(landed) => {
                    self.mirror.take_in(landed, &message, continues)?;
                    sequence = landed;
                }
                Err(StoreError::HeadMoved { .. }) => {
                    self.catch_up()?;
                    let (head, _) = self.mirror.head()?;
                    return Err(StoreError::HeadMoved { expected, head });
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn get(&self, position: u64) -> Result<Option<StoredEvent>, StoreError> {
        let record = {
            let copy = self.mirror.log.read().expect("mirror lock");
            let index = usize::try_from(position).unwrap_or(usize::MAX);
            match index
                .checked_sub(1)
                .and_then(|index| copy.events.get(index))
            {
                Some(record) => record.clone(),
                None => return Ok(None),
            }
        };
        decode_at(position, &record)
            .map(Some)
            .map_err(|reason| StoreError::Corrupt { position, reason })
    }

    fn range(&self, after: u64, until: u64) -> Events<'_> {
        let records: Vec<Bytes> = {
            let copy = self.mirror.log.read().expect("mirror lock");
            let end = usize::try_from(until)
                .unwrap_or(usize::MAX)
                .min(copy.events.len());
            let start = usize::try_from(after).unwrap_or(usize::MAX).min(end);
            copy.events[start..end].to_vec()
        };
        Box::new(
            records
                .into_iter()
                .zip(after + 1..)
                .map(|(record, position)| {
                    decode_at(position, &record)
                        .map_err(|reason| StoreError::Corrupt { position, reason })
                }),
        )
    }

    fn last_position(&self) -> Result<u64, StoreError> {
        Ok(self.mirror.head()?.0)
    }

    /// Every acknowledged message is stored on a majority of the stream's replicas already.
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn messages_behind(&self) -> Result<Option<u64>, StoreError> {
        let last = self.run(last_sequence(self.stream.clone()))?;
        let (_, taken) = self.mirror.head()?;
        Ok(Some(last.saturating_sub(taken)))
    }

    fn on_foreign_append(&self, wake: Box<dyn Fn() + Send + Sync>) {
        *self.mirror.wake.lock().expect("wake lock") = Some(wake);
    }
}
