//! The command line (docs/CONTRACT.md §6).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::config::ServeArgs;
use crate::reports::csv::Separator;
use crate::reports::{Format, Lang};

#[derive(Debug, Parser)]
#[command(
    name = "impact-ledger",
    version,
    about = "An event-sourced, hash-chained ledger for social-economy figures"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct DataDir {
    /// The data directory: the sled log and tokens.json live here.
    #[arg(long, env = "IMPACT_LEDGER_DATA", default_value = "./data")]
    pub data: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve {
        #[command(flatten)]
        settings: ServeArgs,
        /// Load the demo data set first if the log is empty, to try the service out.
        #[arg(long)]
        demo: bool,
    },
    /// Show the effective configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Load the demo data set (Slagelse 2019-2026, strategies 2.0 and 3.0); loading it again changes nothing.
    Demo {
        #[command(flatten)]
        data: DataDir,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the annual report of a year to stdout, computed offline from the data dir.
    Report(ReportArgs),
    /// Write every stored event to stdout as NDJSON, byte-identical to GET /api/v1/export.
    Export {
        #[command(flatten)]
        data: DataDir,
    },
    /// Recompute the hash chain of a data dir or an export; exit 1 naming the first bad position.
    Verify {
        #[command(flatten)]
        data: DataDir,
        /// Check this export file instead of the data dir (`--data` is then not read).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
        /// Check a signed checkpoint (from a report, or saved from GET /api/v1/checkpoint):
        /// its signature, the root of the tree of its size, and that the head extends it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// With --checkpoint: ask the server at this URL (http://host:port) for the proofs
        /// instead of reading a data dir or an export.
        #[arg(
            long,
            value_name = "URL",
            requires = "checkpoint",
            conflicts_with = "export"
        )]
        against: Option<String>,
        /// With --checkpoint: the ledger's public key (the text of GET /api/v1/checkpoint/key,
        /// or a file holding it); needed with --export and --against, a data dir has its own.
        #[arg(long, value_name = "KEY", requires = "checkpoint")]
        key: Option<String>,
    },
    /// Restore an export into a data dir without a log, verifying every line first.
    Import {
        /// The export (NDJSON) to restore.
        file: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
    /// Erase personal members of a stored event (CONTRACT §12); the erasure is recorded in the
    /// ledger. Run with the service stopped; with it running, use POST /api/v1/erasures.
    Erase(EraseArgs),
}

/// `impact-ledger erase`: what to erase and why.
#[derive(Debug, Args)]
pub struct EraseArgs {
    #[command(flatten)]
    pub data: DataDir,
    /// The id of the stored event.
    #[arg(long, value_name = "UUID")]
    pub event: uuid::Uuid,
    /// A member to erase: note, case_ref or data.person_ref; give it once per member.
    #[arg(long = "member", value_name = "MEMBER", required = true)]
    pub members: Vec<String>,
    /// Why: kept in the ledger with the erasure.
    #[arg(long)]
    pub reason: String,
    /// Who erases: the erasure's `actor`.
    #[arg(long, default_value = "admin")]
    pub actor: String,
}

/// `impact-ledger report`: the annual report without a server.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The calendar year the report is for; the bridge starts at the end of the year before.
    #[arg(long, value_parser = clap::value_parser!(i32).range(i64::from(impact_events::time::YEAR_FIRST)..=i64::from(impact_events::time::YEAR_LAST)))]
    pub year: i32,
    /// json for programs, csv for spreadsheets, html for printing.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// The language of the labels of csv and html.
    #[arg(long, value_enum, default_value = "da")]
    pub lang: Lang,
    /// The csv separator: semicolon with decimal comma and BOM (Danish Excel) or comma (RFC 4180).
    #[arg(long, value_enum, default_value = "semicolon")]
    pub sep: Separator,
    /// Report as known then: only events recorded at or before this RFC 3339 instant count.
    #[arg(long, value_name = "INSTANT", conflicts_with = "at_position")]
    pub as_of: Option<String>,
    /// Report as known at this log position (the position an earlier report states).
    #[arg(long, value_name = "POSITION")]
    pub at_position: Option<u64>,
    /// The municipality's name for the page footer of the html report, e.g. "Slagelse Kommune".
    #[arg(long, env = "IMPACT_LEDGER_MUNICIPALITY")]
    pub municipality: Option<String>,
    #[command(flatten)]
    pub data: DataDir,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the settings `serve` would use with these flags, environment and file, or say
    /// what is wrong with them (exit 1).
    Check {
        #[command(flatten)]
        settings: ServeArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret once on stdout.
    New {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: Role,
        /// Who holds it; becomes `actor` on every event it appends.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Remove a token; requests with it get 401 within a second, and its open streams end.
    Revoke {
        /// The token's name.
        #[arg(long)]
        name: String,
        /// Revoke it even if it is the last admin token.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List tokens: names, roles and creation times, never secrets.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        store: StoreArg,
    },
}

/// Where the tokens are, for the token commands: beside the log.
#[derive(Debug, Clone, Args)]
pub struct StoreArg {
    /// `dir` (tokens.json in the data dir) or the ledger's NATS cluster,
    /// `nats://host:4222,...[/STREAM]`: its key-value bucket, which every ledger server of
    /// the cluster reads (docs/CLUSTER.md) [default: dir].
    #[arg(long, env = "IMPACT_LEDGER_STORE")]
    pub store: Option<String>,
}

impl StoreArg {
    /// The vault the tokens are kept in.
    pub fn vault(
        &self,
        data: &std::path::Path,
    ) -> anyhow::Result<std::sync::Arc<dyn crate::vault::Vault>> {
        let location = crate::store::StoreLocation::parse(self.store.as_deref().unwrap_or("dir"))
            .map_err(anyhow::Error::msg)?;
        location
            .vault(data)
            .map_err(|error| anyhow::anyhow!("opening the tokens of {location}: {error}"))
    }
}
