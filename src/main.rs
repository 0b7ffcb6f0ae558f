use anyhow::Context;
use clap::Parser;
use std::path::Path;
use std::process::ExitCode;

use impact_ledger::audit;
use impact_ledger::auth;
use impact_ledger::cli::{Cli, Command, ConfigCommand, TokenCommand};
use impact_ledger::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: see the note at the dependency in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Threads for blocking reads (verify, export, subscribers catching up, folds).
const BLOCKING_THREADS_MAX: usize = 256;

/// Errors are printed here, as plain sentences: `anyhow`'s own report (a `main` returning
/// `Result`) adds a stack trace whenever RUST_BACKTRACE is set, which a user error never needs.
fn main() -> ExitCode {
    // Owner-only files: the data dir holds person_refs and the token file. systemd's
    // UMask=0077 does the same; this covers a start by hand.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Serve { settings, demo } = &cli.command {
        let config = Config::resolve(settings)?;
        init_logs(config.log_format);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            // Under the systemd unit's TasksMax=512 (ops/impact-ledger.service).
            .max_blocking_threads(BLOCKING_THREADS_MAX)
            .build()
            .context("starting the runtime")?;
        return runtime.block_on(impact_ledger::serve::serve(&config, *demo));
    }
    init_logs(LogFormat::Text);
    match cli.command {
        Command::Serve { .. } => unreachable!("served above"),
        Command::Config {
            command: ConfigCommand::Check { settings },
        } => {
            let config = Config::resolve(&settings)?;
            print!("{}", config.to_toml());
            config.check_data_dir()?;
            print!("{}", config.check_store()?);
            Ok(())
        }
        Command::Demo { data } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(impact_ledger::demo::run(&data.data))
        }
        Command::Token { command } => token(command),
        Command::Report(args) => impact_ledger::reports::command(&args),
        Command::Export { data } => {
            audit::export_command(&data.data, std::io::stdout().lock())?;
            Ok(())
        }
        Command::Verify {
            checkpoint: Some(checkpoint),
            data,
            export,
            against,
            key,
        } => verify_checkpoint(
            &checkpoint,
            &data.data,
            export.as_deref(),
            against.as_deref(),
            key.as_deref(),
        ),
        Command::Verify { data, export, .. } => verify(&data.data, export.as_deref()),
        Command::Import { file, data } => import(&file, &data.data),
        Command::Erase(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(impact_ledger::erasure::run(args))
        }
    }
}

/// Logs go to stderr, filtered by RUST_LOG (default `info`), as text or JSON lines.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs.json().init(),
    }
}

/// Prints the summary on stdout; a broken chain is an error (exit 1) that says where it breaks.
fn verify(data: &Path, export: Option<&Path>) -> anyhow::Result<()> {
    let summary = match export {
        Some(file) => audit::verify_export_command(file)?,
        None => audit::verify_data_command(data)?,
    };
    print!("{}", summary.to_text());
    match summary.broken {
        Some(broken) => anyhow::bail!("{broken} (first bad position {})", broken.position),
        None => Ok(()),
    }
}

/// `verify --checkpoint`: prints what was proved; any failure is an error (exit 1) in words.
fn verify_checkpoint(
    checkpoint: &Path,
    data: &Path,
    export: Option<&Path>,
    against: Option<&str>,
    key: Option<&str>,
) -> anyhow::Result<()> {
    use impact_ledger::transparency::verify::{verify_checkpoint, Against};
    let against = match (export, against) {
        (Some(file), _) => Against::Export(file),
        (None, Some(url)) => Against::Server(url),
        (None, None) => Against::DataDir(data),
    };
    print!("{}", verify_checkpoint(checkpoint, against, key)?);
    Ok(())
}

fn import(file: &Path, data: &Path) -> anyhow::Result<()> {
    let summary = audit::import_command(file, data)?;
    if let Some(broken) = summary.broken {
        anyhow::bail!(
            "{broken} (first bad position {}); nothing was imported and {} was left as it was",
            broken.position,
            data.display()
        );
    }
    eprintln!(
        "imported {} events into {}; head hash {}",
        summary.events,
        data.display(),
        summary.head_hash.to_hex()
    );
    Ok(())
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::New {
            role,
            name,
            data,
            store,
        } => {
            let secret = auth::create_token_in(store.vault(&data.data)?.as_ref(), &name, role)?;
            println!("{secret}");
            eprintln!(
                "token `{name}` ({}) created; the secret above is shown only once",
                role.as_str()
            );
        }
        TokenCommand::Revoke {
            name,
            force,
            data,
            store,
        } => {
            let vault = store.vault(&data.data)?;
            anyhow::ensure!(
                auth::revoke_token_in(vault.as_ref(), &name, force)?,
                "no token is named `{name}`"
            );
            eprintln!("token `{name}` revoked");
        }
        TokenCommand::List { data, store } => {
            for token in auth::list_tokens_in(store.vault(&data.data)?.as_ref())? {
                println!(
                    "{}\t{}\t{}",
                    token.name,
                    token.role.as_str(),
                    token.created_at
                );
            }
        }
    }
    Ok(())
}
