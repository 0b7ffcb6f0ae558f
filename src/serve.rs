//! `impact-ledger serve`: open the ledger, start the writer, answer HTTP until told to stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::auth::{self, Role, Tokens};
use crate::http::{self, ApiLimits, AppState};
use crate::store::writer::WriterLimits;
use crate::store::{Ledger, Writer};

/// Requests that may wait for the writer; beyond it appends get 503 (load shedding).
pub const QUEUE_REQUESTS_MAX: usize = 4096;
/// Events one group commit writes at most.
pub const GROUP_EVENTS_MAX: usize = 8192;

/// Opens the data dir and builds what the router needs.
pub fn open_state(data: &Path) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let ledger = Arc::new(Ledger::open(data).context("opening the ledger")?);
    let limits = WriterLimits {
        queue_requests_max: QUEUE_REQUESTS_MAX,
        group_events_max: GROUP_EVENTS_MAX,
    };
    let writer = Writer::start(ledger.clone(), limits);
    let tokens = Arc::new(Tokens::open(data)?);
    Ok(AppState {
        ledger,
        writer,
        tokens,
        limits: ApiLimits::default(),
        subscribers: Default::default(),
    })
}

/// On a data dir with no token at all, makes an admin token and prints it once.
pub fn first_admin_token(data: &Path, tokens: &Tokens) -> anyhow::Result<()> {
    if !tokens.is_empty() {
        return Ok(());
    }
    let secret = auth::create_token(data, "admin", Role::Admin)?;
    tokens.reload()?;
    println!("No tokens existed, so an admin token named `admin` was made. It is shown only now:");
    println!("admin token: {secret}");
    println!(
        "Make more with: impact-ledger token new --role staff|auditor|admin --name NAME --data {}",
        data.display()
    );
    Ok(())
}

/// Serves until SIGTERM or Ctrl-C; with `demo`, an empty log first gets the demo data set.
pub async fn serve(data: &Path, listen: SocketAddr, demo: bool) -> anyhow::Result<()> {
    let state = open_state(data)?;
    first_admin_token(data, &state.tokens)?;
    if demo {
        match crate::demo::load_if_empty(&state).await? {
            Some(loaded) => print!("{}", crate::demo::summary(&state, &loaded)),
            None => println!("the log is not empty, so the demo data set was not loaded"),
        }
    }
    let ledger = state.ledger.clone();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, head_position = ledger.durable_position(), "serving");
    println!("impact-ledger listening on http://{address}");
    // Subscriptions never end by themselves; they are ended so the graceful shutdown can finish.
    let subscribers = state.subscribers.clone();
    let shutdown = async move {
        shutdown_signal().await;
        subscribers.close();
    };
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    // Every acknowledged append was synced already; this last sync is for sled's own state.
    ledger.log.sync().context("final sync")?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
