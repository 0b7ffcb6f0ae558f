use anyhow::Context;
use clap::Parser;
use impact_ledger::auth;
use impact_ledger::cli::{Cli, Command, TokenCommand};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve { data, listen, demo } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(impact_ledger::serve::serve(&data.data, listen, demo))
        }
        Command::Demo { data } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(impact_ledger::demo::run(&data.data))
        }
        Command::Token { command } => token(command),
    }
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::New { role, name, data } => {
            let secret = auth::create_token(&data.data, &name, role)?;
            println!("{secret}");
            eprintln!(
                "token `{name}` ({}) created; the secret above is shown only once",
                role.as_str()
            );
        }
        TokenCommand::Revoke { name, data } => {
            anyhow::ensure!(
                auth::revoke_token(&data.data, &name)?,
                "no token is named `{name}`"
            );
            eprintln!("token `{name}` revoked");
        }
        TokenCommand::List { data } => {
            for token in auth::list_tokens(&data.data)? {
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
