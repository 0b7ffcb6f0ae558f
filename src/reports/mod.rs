//! The annual report (Socialøkonomisk årsrapport, CONTRACT §4): the status, the targets in force
//! and the bridge from the year before, as known at one log position, in three renderings:
//! JSON for programs, CSV for spreadsheets (`csv`) and a printable page for people (`html`).
//!
//! `AnnualReport::build` is pure: a projection and the head hash in, the report out.
//! `annual_report` adds what only the log knows: the hash and time of the event at the position
//! asked for, and the names behind the events the report lists (an enterprise's name is in its
//! registration event, not in the projection). The HTTP handler and the `report` command both
//! call it, so the API and the command line print the same report for the same position.

pub mod csv;
pub mod html;
pub mod tracks;
pub mod words;

use std::collections::BTreeMap;

use impact_events::{EventData, EventType, Hash, RecordedAt, StoredEvent};
use impact_projections::{EventRef, History, Projection, Status, Targets};
use serde::{Serialize, Serializer};

use crate::as_of::{answer_at, AsOf, Fold, Spelling};
use crate::store::{Ledger, StoreError};
pub use words::Lang;

/// The three renderings of the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    /// `{"status", "targets", "history", ...}` as in CONTRACT §4.
    #[default]
    Json,
    /// `section;metric;key;value` rows for a spreadsheet.
    Csv,
    /// One self-contained printable page.
    Html,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    /// How many of each list's events the rendering names: the page for people shows the first
    /// `html::EVENTS_SHOWN_MAX` of each (a large log registers thousands of enterprises a year);
    /// the downloads name every one.
    pub fn listed(self) -> Listed {
        match self {
            Format::Json | Format::Csv => Listed::Every,
            Format::Html => Listed::First(html::EVENTS_SHOWN_MAX),
        }
    }
}

/// How many events of each list of the report (registered, closed, retracted) get a label read
/// from the log: each is a read, so the page reads only those it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listed {
    Every,
    First(usize),
}

impl Listed {
    fn count(self) -> usize {
        match self {
            Listed::Every => usize::MAX,
            Listed::First(count) => count,
        }
    }
}

/// The annual report of `year`: CONTRACT §4's status, targets and history (from year − 1), as
/// known at `as_of_position`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AnnualReport {
    pub year: i32,
    pub as_of_position: u64,
    /// The hash of the event at `as_of_position` (64 zeros for an empty log): an auditor who
    /// finds this hash at that position in a verified export knows which events the report saw.
    #[serde(serialize_with = "hex")]
    #[schema(value_type = String)]
    pub head_hash: Hash,
    /// When the event at `as_of_position` was recorded; null for an empty log.
    #[serde(serialize_with = "instant")]
    #[schema(value_type = Option<String>)]
    pub head_recorded_at: Option<RecordedAt>,
    pub status: Status,
    /// Null when no strategy in force covers the year.
    pub targets: Option<Targets>,
    /// From the end of year − 1 to the end of the year.
    pub history: History,
    /// What the events listed in `history` are about, by position: the enterprise's name for a
    /// registration or closure, the funder of a grant, the title of a trial. Events without a
    /// name (a placement names only a pseudonymous person) have no entry. JSON keys are the
    /// positions as strings.
    #[schema(value_type = BTreeMap<String, String>)]
    pub event_labels: BTreeMap<u64, String>,
    /// The signed checkpoint of the log at `as_of_position` (CONTRACT §13): a C2SP signed note
    /// naming the tree size and Merkle root, so a printed report names the exact log it came
    /// from and a later one can be proved to extend it (docs/AUDIT.md).
    pub checkpoint: String,
    /// The municipality the report is made for (setting `municipality`), named in the printed
    /// pages' footer; null when it is not set.
    pub municipality: Option<String>,
}

impl AnnualReport {
    /// The report of `year` from a projection whose last event has hash `head_hash`.
    pub fn build(projection: &Projection, year: i32, head_hash: Hash) -> AnnualReport {
        AnnualReport {
            year,
            as_of_position: projection.position(),
            head_hash,
            head_recorded_at: None,
            status: projection.status(year),
            targets: projection.targets(year),
            history: projection.history(year - 1, year),
            event_labels: BTreeMap::new(),
            checkpoint: String::new(),
            municipality: None,
        }
    }

    /// The events the report lists (the bridge's registrations and closures, the retracted
    /// events and the retractions), the first of each list as `listed` says.
    pub fn listed_events(&self, listed: Listed) -> impl Iterator<Item = &EventRef> {
        let count = listed.count();
        let enterprises = &self.history.enterprises;
        let retracted = self
            .history
            .retracted_events
            .iter()
            .take(count)
            .flat_map(|retracted| [&retracted.event, &retracted.retracted_by]);
        enterprises
            .registered_events
            .iter()
            .take(count)
            .chain(enterprises.closed_events.iter().take(count))
            .chain(retracted)
    }

    /// The label of the event at `position`, if it has one.
    pub fn label(&self, position: u64) -> Option<&str> {
        self.event_labels.get(&position).map(String::as_str)
    }

    /// The JSON rendering.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a report serializes")
    }
}

/// The report of `year` as of log position `position` (`None`: the durable head), with the
/// head's hash and time and the labels of the listed events read from the log (as many as
/// `listed` says: `Format::listed` of the rendering asked for).
///
/// Reads the log: call it from a blocking context.
pub fn annual_report(
    ledger: &Ledger,
    year: i32,
    position: Option<u64>,
    listed: Listed,
) -> Result<AnnualReport, StoreError> {
    let mut report = answer_at(ledger, position, Fold::Figures, |projection| {
        // 64 zeros before the first event, as the chain's first `prev_hash`.
        let head_hash = projection
            .hash_at(projection.position())
            .unwrap_or(Hash::GENESIS);
        AnnualReport::build(projection, year, head_hash)
    });
    // The event at a durable position never changes: a second short read is the same read.
    let head_recorded_at = ledger.with_read(|read| read.recorded_at(report.as_of_position));
    report.head_recorded_at = head_recorded_at;
    report.event_labels = labels(ledger, &report, listed)?;
    report.checkpoint = checkpoint_at(ledger, report.as_of_position)?;
    Ok(report)
}

/// `impact-ledger report`: opens the data dir (verifying the chain), folds the log up to the
/// position asked for and prints the report on stdout.
pub fn command(args: &crate::cli::ReportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;

    let data = &args.data.data;
    // Opening a missing dir would create an empty ledger and print an empty report.
    anyhow::ensure!(
        crate::store::holds_log(data),
        "no ledger in {}; give --data DIR or set IMPACT_LEDGER_DATA",
        data.display()
    );
    let ledger = Ledger::open(data).with_context(|| {
        format!(
            "opening the ledger in {}; if `impact-ledger serve` is running on it, ask it for \
             the report instead: GET /api/v1/reports/annual/{}",
            data.display(),
            args.year
        )
    })?;
    let as_of = AsOf::from_parts(args.as_of.as_deref(), args.at_position)
        .and_then(|as_of| Ok((as_of, as_of.position(&ledger)?)))
        .map_err(|error| anyhow::anyhow!(error.message(Spelling::Flag)))?;
    let position = match as_of {
        (AsOf::Instant(_), Some(0)) => {
            let text = args.as_of.as_deref().unwrap_or_default();
            anyhow::bail!("{}", before_the_first_event(&ledger, text)?)
        }
        (_, position) => position,
    };
    let mut report = annual_report(&ledger, args.year, position, args.format.listed())
        .context("reading the log")?;
    report.municipality = crate::config::check_municipality(args.municipality.clone())?;
    let bytes = match args.format {
        Format::Json => report.to_json(),
        Format::Csv => csv::render(&report, args.lang, args.sep),
        Format::Html => html::render(&report, args.lang, html::Downloads::Commands).into_bytes(),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes).context("writing the report")?;
    stdout.flush().context("writing the report")
}

/// What to say when `--as-of` names a moment before anything was recorded: a report of zeros
/// would look like a real answer.
fn before_the_first_event(ledger: &Ledger, as_of: &str) -> anyhow::Result<String> {
    Ok(match ledger.store().get(1)? {
        Some(first) => format!(
            "nothing was recorded at or before {as_of}: the first event was recorded at {}; \
             give a later --as-of",
            first.recorded_at
        ),
        None => format!("nothing was recorded at or before {as_of}: the log is empty"),
    })
}

/// The signed checkpoint at `position`, a durable position (a size error cannot happen).
fn checkpoint_at(ledger: &Ledger, position: u64) -> Result<String, StoreError> {
    use crate::transparency::TransparencyError;
    ledger
        .checkpoint(Some(position))
        .map_err(|error| match error {
            TransparencyError::Store(error) => error,
            other => StoreError::Corrupt {
                position,
                reason: other.to_string(),
            },
        })
}

/// Reads each listed event from the log and names what it is about.
fn labels(
    ledger: &Ledger,
    report: &AnnualReport,
    listed: Listed,
) -> Result<BTreeMap<u64, String>, StoreError> {
    let mut labels = BTreeMap::new();
    for event_ref in report.listed_events(listed) {
        if !has_label(event_ref.event_type) || labels.contains_key(&event_ref.position) {
            continue;
        }
        let Some(event) = ledger.store().get(event_ref.position)? else {
            continue;
        };
        if let Some(label) = label_of(ledger, &event)? {
            labels.insert(event_ref.position, label);
        }
    }
    Ok(labels)
}

/// Whether an event of this type has a label: a name it carries or the name of the entity it
/// is about. A placement and its ending name a person (a pseudonym, never shown in the
/// report); a retraction is about an event, not an entity.
fn has_label(event_type: EventType) -> bool {
    match event_type {
        EventType::PersonPlacedInEmployment
        | EventType::PlacementEnded
        | EventType::EventRetracted
        | EventType::MembersErased => false,
        EventType::StrategyAdopted
        | EventType::EnterpriseRegistered
        | EventType::EnterpriseClosed
        | EventType::GrantAwarded
        | EventType::AgreementSigned
        | EventType::AgreementEnded
        | EventType::TrialStarted
        | EventType::TrendNoted
        | EventType::GrantPaid
        | EventType::GrantReturned
        | EventType::AgreementRenewed
        | EventType::TrialConcluded
        | EventType::StrategyRevised => true,
    }
}

/// The name an event carries, or the name of the entity it is about.
fn label_of(ledger: &Ledger, event: &StoredEvent) -> Result<Option<String>, StoreError> {
    let label = match &event.data {
        EventData::StrategyAdopted(adopted) => adopted.name.clone(),
        EventData::EnterpriseRegistered(registered) => registered.name.clone(),
        EventData::GrantAwarded(awarded) => awarded.funder.clone(),
        EventData::AgreementSigned(signed) => signed.counterparty.clone(),
        EventData::TrialStarted(started) => started.title.clone(),
        EventData::TrendNoted(noted) => noted.title.clone(),
        // A closure or an ending is about the entity its stream's first event created.
        EventData::EnterpriseClosed(_)
        | EventData::AgreementEnded(_)
        | EventData::PlacementEnded(_)
        | EventData::GrantPaid(_)
        | EventData::GrantReturned(_)
        | EventData::AgreementRenewed(_)
        | EventData::TrialConcluded(_)
        | EventData::StrategyRevised(_) => {
            let creation = ledger.stream(&event.stream)?.into_iter().next();
            match creation.filter(|creation| creation.position != event.position) {
                Some(creation) => return label_of(ledger, &creation),
                None => return Ok(None),
            }
        }
        EventData::PersonPlacedInEmployment(_)
        | EventData::EventRetracted(_)
        | EventData::MembersErased(_) => return Ok(None),
    };
    Ok(Some(label))
}

fn hex<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hash.to_hex())
}

fn instant<S: Serializer>(instant: &Option<RecordedAt>, serializer: S) -> Result<S::Ok, S::Error> {
    match instant {
        Some(instant) => serializer.collect_str(instant),
        None => serializer.serialize_none(),
    }
}
