//! The vault in a JetStream key-value bucket, replicated like the log's stream (three copies
//! on a three-node cluster), so every ledger server reads and writes the same records.
//!
//! The bucket keeps one value per record (`history: 1`); a purge leaves only a marker
//! without the value, on every replica. Reads go to the cluster: the callers read rarely (the
//! tokens' revision once a second, a session once per server, the checkpoint key at a start).

use std::time::Duration;

use async_nats::jetstream::kv::{self, CreateErrorKind, Operation, UpdateErrorKind};
use async_nats::jetstream::stream;
use bytes::Bytes;

use super::{check_name, Vault, Versioned};
use crate::store::nats::{
    connect_client, drop_runtime, run_on, unavailable, NatsLocation, REPLICAS_MAX,
};
use crate::store::StoreError;

/// How long opening waits for the cluster to create or find the bucket.
const BUCKET_WAIT: Duration = Duration::from_secs(20);

/// Which bucket of a ledger: its keys and tokens (kept until purged), or its web sessions
/// (dropped by the cluster when not written for their idle time).
#[derive(Clone, Copy, Debug)]
pub enum Bucket {
    Keys,
    Sessions { idle: Duration },
}

pub struct NatsVault {
    /// The client's own runtime, as `NatsStore`'s: callers are plain threads and handlers.
    runtime: Option<tokio::runtime::Runtime>,
    bucket: kv::Store,
}

impl NatsVault {
    /// Connects and finds or creates the bucket `<STREAM>_KEYS` or `<STREAM>_SESSIONS`.
    pub fn open(location: &NatsLocation, which: Bucket) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nats-vault")
            .enable_all()
            .build()
            .map_err(|error| StoreError::Unavailable(format!("starting its runtime: {error}")))?;
        let location = location.clone();
        let bucket = run_on(&runtime, async move { open_bucket(&location, which).await });
        match bucket {
            Ok(bucket) => Ok(NatsVault {
                runtime: Some(runtime),
                bucket,
            }),
            Err(error) => {
                // Dropping a runtime waits for it, which a caller on another runtime may not do.
                drop_runtime(runtime);
                Err(error)
            }
        }
    }

    fn run<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        run_on(
            self.runtime.as_ref().expect("the runtime lives until drop"),
            future,
        )
    }

    fn entry(&self, name: &str) -> Result<Option<kv::Entry>, StoreError> {
        check_name(name)?;
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        let entry = self.run(async move { bucket.entry(name).await });
        let entry = entry.map_err(|error| unavailable("reading the key-value bucket", error))?;
        Ok(entry.filter(|entry| entry.operation == Operation::Put))
    }
}

async fn open_bucket(location: &NatsLocation, which: Bucket) -> Result<kv::Store, StoreError> {
    let (context, _, cluster_size) = connect_client(location).await?;
    let (suffix, max_age) = match which {
        Bucket::Keys => ("KEYS", Duration::ZERO),
        Bucket::Sessions { idle } => ("SESSIONS", idle),
    };
    let bucket = format!("{}_{suffix}", location.stream);
    // The bucket's stream made as `create_key_value` makes it: that call first asks for the
    // account's info, which async-nats 0.51 cannot read from Debian's nats-server 2.9.
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        num_replicas: cluster_size.clamp(1, REPLICAS_MAX),
        allow_rollup: true,
        deny_delete: true,
        deny_purge: false,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    // A cluster that has just started elects its JetStream leader first: try for a while.
    let deadline = tokio::time::Instant::now() + BUCKET_WAIT;
    loop {
        let found = match context.get_or_create_stream(config.clone()).await {
            Ok(_) => context
                .get_key_value(&bucket)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match found {
            Ok(bucket) => return Ok(bucket),
            Err(error) if tokio::time::Instant::now() >= deadline => {
                let doing = format!("opening the key-value bucket {bucket}");
                return Err(unavailable(&doing, error));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

impl Vault for NatsVault {
    fn read(&self, name: &str) -> Result<Option<Versioned>, StoreError> {
        Ok(self.entry(name)?.map(|entry| Versioned {
            value: entry.value.to_vec(),
            revision: entry.revision,
        }))
    }

    fn write(&self, name: &str, value: &[u8], expected: Option<u64>) -> Result<bool, StoreError> {
        check_name(name)?;
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        let value = Bytes::copy_from_slice(value);
        let written = self.run(async move {
            match expected {
                None => match bucket.create(name, value).await {
                    Ok(_) => Ok(true),
                    Err(error) if error.kind() == CreateErrorKind::AlreadyExists => Ok(false),
                    Err(error) => Err(unavailable("writing to the key-value bucket", error)),
                },
                Some(revision) => match bucket.update(name, value, revision).await {
                    Ok(_) => Ok(true),
                    Err(error) if error.kind() == UpdateErrorKind::WrongLastRevision => Ok(false),
                    Err(error) => Err(unavailable("writing to the key-value bucket", error)),
                },
            }
        });
        written
    }

    fn purge(&self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        let purged = self.run(async move { bucket.purge(name).await });
        purged.map_err(|error| unavailable("purging from the key-value bucket", error))
    }

    fn is_shared(&self) -> bool {
        true
    }
}

impl Drop for NatsVault {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            drop_runtime(runtime);
        }
    }
}
