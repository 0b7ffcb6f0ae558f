//! `impact-ledger serve`: open the ledger, start the writer, answer HTTP until told to stop.

use std::path::Path;
use std::sync::Arc;

use std::time::Duration;

use anyhow::Context;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::access_log::AccessLog;
use crate::auth::{self, Role, Tokens};
use crate::config::{Config, Limits};
use crate::http::{self, AppState};
use crate::store::writer::WriterLimits;
use crate::store::{Ledger, StoreLocation, Writer};

/// Opens the data dir with the default limits and builds what the router needs.
pub fn open_state(data: &Path) -> anyhow::Result<AppState> {
    open_state_with(data, Limits::default())
}

/// Opens the data dir and builds what the router needs, with these limits.
pub fn open_state_with(data: &Path, limits: Limits) -> anyhow::Result<AppState> {
    open_state_on(data, &StoreLocation::DataDir, limits)
}

/// Opens the log at `store` (the data dir's own, or a shared stream) and builds what the
/// router needs; the data dir keeps the local files (tokens, access log, checkpoint key).
pub fn open_state_on(
    data: &Path,
    store: &StoreLocation,
    limits: Limits,
) -> anyhow::Result<AppState> {
    create_private_dir(data)?;
    let log = store
        .open(data)
        .with_context(|| format!("opening the log at {store}"))?;
    let vault = store
        .vault(data)
        .with_context(|| format!("opening the tokens and keys of {store}"))?;
    let ledger = Ledger::open_with_vault(log, data, vault.as_ref());
    let ledger = Arc::new(ledger.context("opening the ledger")?);
    ledger.verify_in_background();
    let writer_limits = WriterLimits {
        queue_requests_max: limits.queue_requests_max,
        group_events_max: limits.group_events_max,
    };
    let writer = Writer::start(ledger.clone(), writer_limits);
    let tokens = Arc::new(Tokens::open_in(vault)?);
    let session_idle = crate::web::Settings::default().session_idle;
    let shared_sessions = store
        .sessions_vault(session_idle)
        .with_context(|| format!("opening the web sessions of {store}"))?;
    let access_log = AccessLog::open(data, limits.access_log_bytes_max)
        .with_context(|| format!("opening the access log in {}", data.display()))?;
    Ok(AppState {
        access_log: Arc::new(access_log),
        ledger,
        writer,
        tokens,
        limits,
        subscribers: Default::default(),
        folds: Arc::new(tokio::sync::Semaphore::new(limits.folds_max)),
        verifies: Arc::new(tokio::sync::Semaphore::new(limits.verifies_max)),
        municipality: None,
        shared_sessions,
    })
}

/// Creates the data dir (and any missing parent) readable by its owner only: it holds
/// person_refs and the token file. A dir that exists is left as it is.
pub fn create_private_dir(data: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data)
        .with_context(|| format!("creating the data dir {}", data.display()))
}

/// On a data dir with no token at all, makes an admin token and prints it once.
pub fn first_admin_token(data: &Path, tokens: &Tokens) -> anyhow::Result<()> {
    if !tokens.is_empty() {
        return Ok(());
    }
    let secret = match auth::create_token_in(tokens.vault(), "admin", Role::Admin) {
        Ok(secret) => secret,
        // Another ledger server of the cluster, starting at the same time, made it first.
        Err(error) => {
            tokens.reload()?;
            return if tokens.is_empty() {
                Err(error)
            } else {
                Ok(())
            };
        }
    };
    tokens.reload()?;
    println!("No tokens existed, so an admin token named `admin` was made. It is shown only now:");
    println!("admin token: {secret}");
    println!(
        "Make more with: {} token new --role staff|auditor|committee|admin --name NAME --data {}",
        this_command(),
        data.display()
    );
    Ok(())
}

/// How to run this binary again from a shell: `impact-ledger` when that is what PATH finds,
/// else its own path (after `cargo run` it lies in target/, not on PATH), quoted if it has
/// spaces.
pub fn this_command() -> String {
    let Ok(exe) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "impact-ledger".to_owned();
    };
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("impact-ledger"))
            .find(|candidate| candidate.is_file())
    });
    let found = on_path.and_then(|found| std::fs::canonicalize(found).ok());
    if found.as_ref() == Some(&exe) {
        return "impact-ledger".to_owned();
    }
    let path = exe.display().to_string();
    if path.contains(char::is_whitespace) {
        format!("'{path}'")
    } else {
        path
    }
}

/// Serves until SIGTERM or Ctrl-C; with `demo`, an empty log first gets the demo data set.
pub async fn serve(config: &Config, demo: bool) -> anyhow::Result<()> {
    let data = &config.data;
    // Before anything is made (a token, the demo data): a busy port is said plainly.
    let listener = bind(config.listen).await?;
    let mut state = open_state_on(data, &config.store, config.limits)?;
    state.municipality = config.municipality.as_deref().map(Arc::from);
    first_admin_token(data, &state.tokens)?;
    if demo {
        match crate::demo::load_if_empty(&state).await? {
            Some(loaded) => print!("{}", crate::demo::summary(&state, &loaded)),
            None => println!("the log is not empty, so the demo data set was not loaded"),
        }
    }
    let ledger = state.ledger.clone();
    let address = listener.local_addr()?;
    tracing::info!(%address, head_position = ledger.durable_position(), "serving");
    // Before the ready line: a SIGTERM sent as soon as it is printed must stop the server
    // gracefully, not kill it (a signal without a handler yet takes the default action).
    let shutdown = shutdown_signal().context("installing the signal handlers")?;
    // Before the ready line: scripts and tests stop reading stdout at the ready line, and a
    // line printed after it would meet a closed pipe.
    println!(
        "Open http://{address}/ in a browser and log in with a token: the admin token printed \
         when it was made, or a new one from `{} token new --role staff --name NAME --data {}`",
        this_command(),
        data.display()
    );
    println!("impact-ledger listening on http://{address}");
    let subscribers = state.subscribers.clone();
    accept_until_shutdown(listener, http::router(state), &config.limits, shutdown).await;
    // Subscriptions never end by themselves; they are ended so the graceful shutdown can finish.
    subscribers.close();
    // Every acknowledged append was durable already; this last sync is for the store's own state.
    ledger.store().sync().context("final sync")?;
    tracing::info!("stopped");
    Ok(())
}

/// Binds the listen address; a port in use is said in plain words.
async fn bind(listen: std::net::SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {} is busy: another program (perhaps another impact-ledger) listens on {listen}; \
             stop it or choose another address with --listen",
            listen.port()
        ),
        Err(error) => Err(error).with_context(|| format!("cannot listen on {listen}")),
    }
}

/// How long connections in flight may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// Accepts connections until SIGTERM or Ctrl-C, then lets those in flight finish.
///
/// A hand-written loop rather than `axum::serve`, because only hyper's own connection builder
/// can bound how long a client may take to send its headers (slowloris).
///
/// At most `connections_max` connections are open: beyond it the loop stops accepting, and new
/// connections wait in the kernel's backlog until one closes (idle ones close after
/// `header_read_timeout_ms`). A write that cannot proceed for `write_timeout_ms` (a client that
/// stopped reading) ends its connection, so an unread answer does not hold memory for ever.
async fn accept_until_shutdown(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: &Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let header_read_timeout = Duration::from_millis(limits.header_read_timeout_ms);
    let write_timeout = Duration::from_millis(limits.write_timeout_ms);
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(write_timeout));
        // The client's address, for the web login's per-address limit (`web::session`).
        let with_peer = tower::Layer::layer(
            &axum::Extension(axum::extract::ConnectInfo(peer)),
            router.clone(),
        );
        let service = TowerToHyperService::new(with_peer);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(Box::pin(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after the grace period are dropped");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is called,
/// not when the future is first polled, so no signal sent after that moment is missed.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}
