//! "As of": which moment of the log a question is about (now, an instant, a log position),
//! read in one place for the API, the web pages and the `report` command, and the one place
//! that chooses between the live projection and a fold of the log's prefix.
//!
//! It lives beside the `Ledger` rather than in it so that `src/store/` keeps to the log and
//! the read model; it asks the `Ledger` only through `with_read` and `projection_at`.

use impact_events::RecordedAt;
use impact_projections::Projection;

use crate::store::{Ledger, ReadModel};

/// Which moment of the log to answer for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AsOf {
    /// The durable head: the live projection answers.
    #[default]
    Live,
    /// Only events recorded at or before this instant count.
    Instant(RecordedAt),
    /// Only events at or before this log position count.
    Position(u64),
}

/// How the two parameters are spelled where they were given, for the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// The API's and the web's query: `as_of`, `at_position`.
    Query,
    /// The command line: `--as-of`, `--at-position`.
    Flag,
}

impl Spelling {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Spelling::Query => ("`as_of`", "`at_position`"),
            Spelling::Flag => ("--as-of", "--at-position"),
        }
    }
}

/// Why an "as of" cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsOfError {
    Both,
    NotInstant(String),
    NotPosition(String),
    PastHead { position: u64, head: u64 },
}

impl AsOfError {
    /// What to fix, in the words of where the parameters were given.
    pub fn message(&self, spelling: Spelling) -> String {
        let (as_of, at_position) = spelling.names();
        match self {
            AsOfError::Both => format!("give {as_of} or {at_position}, not both"),
            AsOfError::NotInstant(text) => format!(
                "{as_of} must be an RFC 3339 instant such as 2024-01-31T12:00:00Z, not `{text}`"
            ),
            AsOfError::NotPosition(text) => {
                format!("{at_position} must be a log position (0 or more), not `{text}`")
            }
            AsOfError::PastHead { position, head } => {
                format!("{at_position} {position} is past the end of the log (its head is {head})")
            }
        }
    }
}

impl AsOf {
    /// Reads the two optional texts of a query; neither means `Live`.
    pub fn parse(as_of: Option<&str>, at_position: Option<&str>) -> Result<Self, AsOfError> {
        let at_position = at_position
            .map(|text| {
                text.parse::<u64>()
                    .map_err(|_| AsOfError::NotPosition(text.to_owned()))
            })
            .transpose()?;
        Self::from_parts(as_of, at_position)
    }

    /// As `parse`, with the position already a number (the command line's).
    pub fn from_parts(as_of: Option<&str>, at_position: Option<u64>) -> Result<Self, AsOfError> {
        match (as_of, at_position) {
            (Some(_), Some(_)) => Err(AsOfError::Both),
            (Some(text), None) => {
                let instant = chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|_| AsOfError::NotInstant(text.to_owned()))?;
                Ok(AsOf::Instant(RecordedAt::from_datetime(
                    instant.with_timezone(&chrono::Utc),
                )))
            }
            (None, Some(position)) => Ok(AsOf::Position(position)),
            (None, None) => Ok(AsOf::Live),
        }
    }

    /// The log position this names in `read`, or `None` for the head. An instant before the
    /// first event is position 0; a position past the head is refused.
    pub fn position_in(&self, read: &ReadModel) -> Result<Option<u64>, AsOfError> {
        match *self {
            AsOf::Live => Ok(None),
            AsOf::Instant(instant) => Ok(Some(read.position_at(instant))),
            AsOf::Position(position) => {
                let head = read.head_position();
                if position > head {
                    return Err(AsOfError::PastHead { position, head });
                }
                Ok(Some(position))
            }
        }
    }

    /// As `position_in`, under the ledger's read lock.
    pub fn position(&self, ledger: &Ledger) -> Result<Option<u64>, AsOfError> {
        ledger.with_read(|read| self.position_in(read))
    }
}

/// What a fold of the past must be able to answer: figures only, or the lists too
/// (`Ledger::projection_with_lists_at`: it copies the names the lists search).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    Figures,
    Lists,
}

/// The live-or-fold choice: `answer` on the live projection when `position` is the head (or
/// `None`), under the read lock; otherwise `answer` handed back with the position to fold, so
/// the caller can fold where folding belongs (the blocking pool, under a fold permit).
pub fn answer_live<T, F>(ledger: &Ledger, position: Option<u64>, answer: F) -> Result<T, (u64, F)>
where
    F: FnOnce(&Projection) -> T,
{
    ledger.with_read(|read| match position {
        Some(position) if position != read.head_position() => Err((position, answer)),
        _ => Ok(answer(&read.projection)),
    })
}

/// The projection of the first `position` events, folded for `fold`. Folds the recorded
/// facts (no log read, but a core for up to ~0.1 µs per event): call it from a blocking context.
pub fn fold_at(ledger: &Ledger, position: u64, fold: Fold) -> Projection {
    match fold {
        Fold::Figures => ledger.projection_at(position),
        Fold::Lists => ledger.projection_with_lists_at(position),
    }
}

/// `answer` on the projection at `position` (`None`: the head): the live one, or a fold.
/// Call it from a blocking context.
pub fn answer_at<T>(
    ledger: &Ledger,
    position: Option<u64>,
    fold: Fold,
    answer: impl FnOnce(&Projection) -> T,
) -> T {
    match answer_live(ledger, position, answer) {
        Ok(answered) => answered,
        Err((position, answer)) => answer(&fold_at(ledger, position, fold)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_of`, `at_position`, and what they are read as or the message they get.
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        Result<AsOf, &'static str>,
    );

    /// Every way the two texts can be given, with what they are read as or the message the
    /// API gives for them.
    #[test]
    fn parse_reads_or_refuses_in_words() {
        let cases: [Case; 6] = [
            (None, None, Ok(AsOf::Live)),
            (None, Some("7"), Ok(AsOf::Position(7))),
            (
                Some("2024-01-31T12:00:00Z"),
                None,
                Ok(AsOf::Instant(RecordedAt::from_datetime(
                    "2024-01-31T12:00:00Z".parse().expect("an instant"),
                ))),
            ),
            (
                Some("x"),
                Some("1"),
                Err("give `as_of` or `at_position`, not both"),
            ),
            (
                Some("soon"),
                None,
                Err("`as_of` must be an RFC 3339 instant such as 2024-01-31T12:00:00Z, not `soon`"),
            ),
            (
                None,
                Some("-1"),
                Err("`at_position` must be a log position (0 or more), not `-1`"),
            ),
        ];
        for (as_of, at_position, expected) in cases {
            let read =
                AsOf::parse(as_of, at_position).map_err(|error| error.message(Spelling::Query));
            assert_eq!(
                read,
                expected.map_err(str::to_owned),
                "{as_of:?} {at_position:?}"
            );
        }
    }

    #[test]
    fn the_command_line_is_named_by_its_flags() {
        let error = AsOfError::PastHead {
            position: 9,
            head: 3,
        };
        assert_eq!(
            error.message(Spelling::Flag),
            "--at-position 9 is past the end of the log (its head is 3)"
        );
    }
}
