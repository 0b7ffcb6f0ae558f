//! The service's settings: command-line flags, then environment variables, then an optional
//! TOML file (`--config`), then the defaults. Every limit has its unit last in its name.
//!
//! A value here changes the service's limits only, never what is stored: the hash chain, the
//! event format and sled's own settings are fixed for a data dir.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::store::StoreLocation;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One readable line per entry (journalctl, a terminal).
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// The settings of `serve` and `config check`. Unset flags fall through to the file.
#[derive(Clone, Debug, Default, Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below; flags and environment variables win over it.
    #[arg(long, env = "IMPACT_LEDGER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data directory: the sled log and tokens.json live here [default: ./data].
    #[arg(long, env = "IMPACT_LEDGER_DATA")]
    pub data: Option<PathBuf>,
    /// Where the log is kept: `dir` (in the data dir) or a NATS JetStream cluster,
    /// `nats://host:4222,host2:4222,...[/STREAM]` (docs/CLUSTER.md) [default: dir].
    #[arg(long, env = "IMPACT_LEDGER_STORE")]
    pub store: Option<String>,
    /// With a nats:// store: a NATS credentials file (.creds) to log in with.
    #[arg(long, env = "IMPACT_LEDGER_NATS_CREDENTIALS", value_name = "FILE")]
    pub nats_credentials: Option<PathBuf>,
    /// With a nats:// store: the CA certificate (PEM) of the servers; TLS is then required.
    #[arg(long, env = "IMPACT_LEDGER_NATS_TLS_CA", value_name = "FILE")]
    pub nats_tls_ca: Option<PathBuf>,
    /// With a nats:// store: a client certificate (PEM), for servers that verify clients.
    #[arg(long, env = "IMPACT_LEDGER_NATS_TLS_CERT", value_name = "FILE")]
    pub nats_tls_cert: Option<PathBuf>,
    /// With a nats:// store: the client certificate's key (PEM).
    #[arg(long, env = "IMPACT_LEDGER_NATS_TLS_KEY", value_name = "FILE")]
    pub nats_tls_key: Option<PathBuf>,
    /// The address to listen on, `HOST:PORT` (a host name is resolved); port 0 picks a free
    /// port (printed on start) [default: 127.0.0.1:8080].
    #[arg(long, env = "IMPACT_LEDGER_LISTEN")]
    pub listen: Option<String>,
    /// text or json log lines [default: text]; which lines is RUST_LOG's business.
    #[arg(long, env = "IMPACT_LEDGER_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// The largest request body, in bytes; beyond it 413 [default: 1048576].
    #[arg(long, env = "IMPACT_LEDGER_BODY_BYTES_MAX")]
    pub body_bytes_max: Option<usize>,
    /// Events in one append request, 1 to 1000 [default: 1000].
    #[arg(long, env = "IMPACT_LEDGER_BATCH_EVENTS_MAX")]
    pub batch_events_max: Option<usize>,
    /// Events in one page of GET /api/v1/events, 1 to 1000 [default: 1000].
    #[arg(long, env = "IMPACT_LEDGER_PAGE_EVENTS_MAX")]
    pub page_events_max: Option<usize>,
    /// How long one ordinary request may take before a 408 [default: 30000].
    #[arg(long, env = "IMPACT_LEDGER_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: Option<u64>,
    /// How long a client may take to send a request's headers before the connection is closed [default: 10000].
    #[arg(long, env = "IMPACT_LEDGER_HEADER_READ_TIMEOUT_MS")]
    pub header_read_timeout_ms: Option<u64>,
    /// Requests handled at once; beyond it 503 at once (load shedding) [default: 1024].
    #[arg(long, env = "IMPACT_LEDGER_CONCURRENCY_MAX")]
    pub concurrency_max: Option<usize>,
    /// Append requests waiting for the writer; beyond it 503 [default: 4096].
    #[arg(long, env = "IMPACT_LEDGER_QUEUE_REQUESTS_MAX")]
    pub queue_requests_max: Option<usize>,
    /// Events written by one group commit (one sled batch, one fsync) [default: 8192].
    #[arg(long, env = "IMPACT_LEDGER_GROUP_EVENTS_MAX")]
    pub group_events_max: Option<usize>,
    /// Open GET /api/v1/subscribe streams; beyond it 503 [default: 64].
    #[arg(long, env = "IMPACT_LEDGER_SUBSCRIBERS_MAX")]
    pub subscribers_max: Option<usize>,
    /// "As of" questions folded from the log at once; beyond it 503 [default: 2].
    #[arg(long, env = "IMPACT_LEDGER_FOLDS_MAX")]
    pub folds_max: Option<usize>,
    /// GET /api/v1/verify running at once (each reads the whole log); beyond it 503 [default: 1].
    #[arg(long, env = "IMPACT_LEDGER_VERIFIES_MAX")]
    pub verifies_max: Option<usize>,
    /// Connections open at once; beyond it new ones wait in the kernel's backlog [default: 2048].
    #[arg(long, env = "IMPACT_LEDGER_CONNECTIONS_MAX")]
    pub connections_max: Option<usize>,
    /// How long a client may leave an answer unread before the connection is closed [default: 30000].
    #[arg(long, env = "IMPACT_LEDGER_WRITE_TIMEOUT_MS")]
    pub write_timeout_ms: Option<u64>,
    /// GET /metrics needs a bearer token (any role) [default: false: open, like /healthz].
    #[arg(long, env = "IMPACT_LEDGER_METRICS_TOKEN_REQUIRED")]
    pub metrics_token_required: Option<bool>,
    /// Bytes the access log of person-level reads keeps (two files of half each; the oldest
    /// entries go first) [default: 8388608].
    #[arg(long, env = "IMPACT_LEDGER_ACCESS_LOG_BYTES_MAX")]
    pub access_log_bytes_max: Option<u64>,
    /// The municipality's name, printed in the annual report's page footer, e.g.
    /// "Slagelse Kommune" [default: none].
    #[arg(long, env = "IMPACT_LEDGER_MUNICIPALITY")]
    pub municipality: Option<String>,
}

/// The settings as a TOML file may hold them: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    store: Option<String>,
    nats_credentials: Option<PathBuf>,
    nats_tls_ca: Option<PathBuf>,
    nats_tls_cert: Option<PathBuf>,
    nats_tls_key: Option<PathBuf>,
    listen: Option<String>,
    log_format: Option<LogFormat>,
    body_bytes_max: Option<usize>,
    batch_events_max: Option<usize>,
    page_events_max: Option<usize>,
    request_timeout_ms: Option<u64>,
    header_read_timeout_ms: Option<u64>,
    concurrency_max: Option<usize>,
    queue_requests_max: Option<usize>,
    group_events_max: Option<usize>,
    subscribers_max: Option<usize>,
    folds_max: Option<usize>,
    verifies_max: Option<usize>,
    connections_max: Option<usize>,
    write_timeout_ms: Option<u64>,
    metrics_token_required: Option<bool>,
    access_log_bytes_max: Option<u64>,
    municipality: Option<String>,
}

/// The effective settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    pub data: PathBuf,
    pub store: StoreLocation,
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub limits: Limits,
    /// Named in the annual report's page footer.
    pub municipality: Option<String>,
}

/// Every limit of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub body_bytes_max: usize,
    pub batch_events_max: usize,
    pub page_events_max: usize,
    pub request_timeout_ms: u64,
    pub header_read_timeout_ms: u64,
    pub concurrency_max: usize,
    pub queue_requests_max: usize,
    pub group_events_max: usize,
    pub subscribers_max: usize,
    /// Folds of a log prefix (as_of / at_position) running at once: each holds a projection.
    pub folds_max: usize,
    /// Verifications of the whole chain over the API running at once.
    pub verifies_max: usize,
    /// Open connections; each holds a task and a socket, idle ones included.
    pub connections_max: usize,
    /// A write that cannot proceed this long (the client stopped reading) ends the connection.
    pub write_timeout_ms: u64,
    /// GET /metrics answers only with a token: it shows event counts by type and request
    /// counts by route, which an operator may not want open to every local user.
    pub metrics_token_required: bool,
    /// The access log of person-level reads keeps at most this many bytes (`access_log.rs`).
    pub access_log_bytes_max: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes_max: 1024 * 1024,
            batch_events_max: 1000,
            page_events_max: 1000,
            request_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            concurrency_max: 1024,
            queue_requests_max: 4096,
            group_events_max: 8192,
            subscribers_max: 64,
            folds_max: 2,
            verifies_max: 1,
            connections_max: 2048,
            write_timeout_ms: 30_000,
            metrics_token_required: false,
            access_log_bytes_max: 8 * 1024 * 1024,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("./data"),
            store: StoreLocation::DataDir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Text,
            limits: Limits::default(),
            municipality: None,
        }
    }
}

/// A nats:// store with the credentials and TLS files of the flags (and their environment
/// variables) over those of the file.
fn with_security(store: StoreLocation, args: &ServeArgs, file: &FileConfig) -> StoreLocation {
    let StoreLocation::Nats(mut location) = store else {
        return store;
    };
    let security = &mut location.security;
    let pick = |flag: &Option<PathBuf>, in_file: &Option<PathBuf>, before: &mut Option<PathBuf>| {
        if let Some(path) = flag.clone().or_else(|| in_file.clone()) {
            *before = Some(path);
        }
    };
    pick(
        &args.nats_credentials,
        &file.nats_credentials,
        &mut security.credentials,
    );
    pick(&args.nats_tls_ca, &file.nats_tls_ca, &mut security.tls_ca);
    pick(
        &args.nats_tls_cert,
        &file.nats_tls_cert,
        &mut security.tls_cert,
    );
    pick(
        &args.nats_tls_key,
        &file.nats_tls_key,
        &mut security.tls_key,
    );
    StoreLocation::Nats(location)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the config file {} is not valid", path.display()))
}

impl Config {
    /// Flags (and their environment variables) over the file over the defaults.
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let default = Config::default();
        let limits = limits_of(args, &file, &default.limits);
        let store = match args.store.as_ref().or(file.store.as_ref()) {
            Some(store) => with_security(
                StoreLocation::parse(store).map_err(anyhow::Error::msg)?,
                args,
                &file,
            ),
            None => default.store.clone(),
        };
        let config = Config {
            data: args.data.clone().or(file.data).unwrap_or(default.data),
            store,
            listen: match args.listen.as_ref().or(file.listen.as_ref()) {
                Some(listen) => resolve_listen(listen)?,
                None => default.listen,
            },
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(default.log_format),
            municipality: check_municipality(args.municipality.clone().or(file.municipality))?,
            limits,
        };
        config.limits.check()?;
        Ok(config)
    }

    /// Refuses a data dir that does not exist: `serve` would make a new, empty ledger there,
    /// which is what a mistyped path must not do quietly.
    pub fn check_data_dir(&self) -> anyhow::Result<()> {
        let data = &self.data;
        anyhow::ensure!(
            data.is_dir(),
            "the data dir {} does not exist; `serve` would create an empty ledger there. \
             Check the path, or create it (mkdir -m 700 {}) for a new ledger",
            data.display(),
            data.display()
        );
        Ok(())
    }

    /// With `--store nats://...`: connects and says how the stream stands (replicas, leader),
    /// for `impact-ledger config check`. Nothing is created.
    pub fn check_store(&self) -> anyhow::Result<String> {
        let StoreLocation::Nats(location) = &self.store else {
            return Ok(String::new());
        };
        let report = crate::store::nats::NatsStore::inspect(location)
            .with_context(|| format!("checking the store {location}"))?;
        Ok(match report {
            Some(report) => format!("# the stream, as the cluster reports it\n{report}"),
            None => format!(
                "# the stream {} does not exist yet; the first `serve` creates it\n",
                location.stream
            ),
        })
    }

    /// The effective settings as TOML, for `impact-ledger config check`.
    ///
    /// No setting is secret (tokens live hashed in the data dir, never in the config), so
    /// nothing needs masking; the token file's path is shown instead of its content.
    pub fn to_toml(&self) -> String {
        let mut text = String::from(
            "# the effective configuration: flags, then environment, then file, then defaults\n",
        );
        text.push_str(&toml::to_string(&Flat::from(self)).expect("settings serialize as TOML"));
        text.push_str(&format!(
            "# tokens: {} (SHA-256 hashes only; secrets are never stored)\n",
            self.data.join("tokens.json").display()
        ));
        text
    }
}

/// `HOST:PORT` to the first address the host resolves to (`localhost:8081`, `[::1]:8081`,
/// `127.0.0.1:0`).
fn resolve_listen(listen: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let plain = || format!("the listen address `{listen}` must be HOST:PORT, e.g. 127.0.0.1:8080");
    let (_, port) = listen.rsplit_once(':').with_context(plain)?;
    port.parse::<u16>().ok().with_context(plain)?;
    let mut addresses = listen
        .to_socket_addrs()
        .with_context(|| format!("the host of the listen address `{listen}` cannot be resolved"))?;
    addresses
        .next()
        .with_context(|| format!("the host of the listen address `{listen}` has no address"))
}

/// A name for a page footer: trimmed, one line, at most `MUNICIPALITY_CHARS_MAX` characters;
/// empty is none.
pub fn check_municipality(name: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(name) = name.map(|name| name.trim().to_owned()) else {
        return Ok(None);
    };
    anyhow::ensure!(
        name.chars().count() <= MUNICIPALITY_CHARS_MAX && !name.chars().any(char::is_control),
        "the municipality must be one line of at most {MUNICIPALITY_CHARS_MAX} characters, \
         e.g. \"Slagelse Kommune\""
    );
    Ok((!name.is_empty()).then_some(name))
}

const MUNICIPALITY_CHARS_MAX: usize = 100;

/// Each limit from its flag (or environment variable), else the file, else `limits`. The
/// struct literal names every field, so a new limit that is not picked does not compile.
fn limits_of(args: &ServeArgs, file: &FileConfig, limits: &Limits) -> Limits {
    macro_rules! each {
        ($($name:ident),* $(,)?) => {
            Limits { $($name: pick(args.$name, file.$name, limits.$name)),* }
        };
    }
    each!(
        body_bytes_max,
        batch_events_max,
        page_events_max,
        request_timeout_ms,
        header_read_timeout_ms,
        concurrency_max,
        queue_requests_max,
        group_events_max,
        subscribers_max,
        folds_max,
        verifies_max,
        connections_max,
        write_timeout_ms,
        metrics_token_required,
        access_log_bytes_max,
    )
}

fn pick<T>(flag: Option<T>, file: Option<T>, default: T) -> T {
    flag.or(file).unwrap_or(default)
}

impl Limits {
    /// Refuses limits that make no sense, or go beyond what the API promises.
    fn check(&self) -> anyhow::Result<()> {
        let counts = [
            ("body_bytes_max", self.body_bytes_max as u64),
            ("batch_events_max", self.batch_events_max as u64),
            ("page_events_max", self.page_events_max as u64),
            ("request_timeout_ms", self.request_timeout_ms),
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("concurrency_max", self.concurrency_max as u64),
            ("queue_requests_max", self.queue_requests_max as u64),
            ("group_events_max", self.group_events_max as u64),
            ("subscribers_max", self.subscribers_max as u64),
            ("folds_max", self.folds_max as u64),
            ("verifies_max", self.verifies_max as u64),
            ("connections_max", self.connections_max as u64),
            ("write_timeout_ms", self.write_timeout_ms),
            ("access_log_bytes_max", self.access_log_bytes_max),
        ];
        for (name, value) in counts {
            anyhow::ensure!(value > 0, "{name} must be greater than 0");
        }
        anyhow::ensure!(
            self.batch_events_max <= 1000,
            "batch_events_max is at most 1000 (the largest append request)"
        );
        anyhow::ensure!(
            self.page_events_max <= 1000,
            "page_events_max is at most 1000 (the largest page of GET /api/v1/events)"
        );
        anyhow::ensure!(
            self.body_bytes_max <= 64 * 1024 * 1024,
            "body_bytes_max is at most 67108864 (64 MiB)"
        );
        Ok(())
    }
}

/// The settings in the file's flat form.
#[derive(Serialize)]
struct Flat<'a> {
    data: &'a Path,
    store: &'a StoreLocation,
    listen: String,
    log_format: LogFormat,
    #[serde(flatten)]
    limits: Limits,
    #[serde(skip_serializing_if = "Option::is_none")]
    municipality: Option<&'a str>,
}

impl<'a> From<&'a Config> for Flat<'a> {
    fn from(config: &'a Config) -> Self {
        Flat {
            data: &config.data,
            store: &config.store,
            listen: config.listen.to_string(),
            log_format: config.log_format,
            limits: config.limits,
            municipality: config.municipality.as_deref(),
        }
    }
}
