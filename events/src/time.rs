//! The two times of an event: `occurred_on` (a calendar date) and `recorded_at` (an instant).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The instant the ledger stored an event, in whole microseconds since the Unix epoch (UTC).
///
/// Written as `2026-11-27T06:00:00.123456Z`: always UTC, always six fraction digits.
///
/// Reading one back (the storage codec) refuses instants outside the years 0000 to 9999, which
/// the text form cannot hold: a corrupt record must be a decode error, not a later panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64")]
pub struct RecordedAt(pub i64);

impl TryFrom<i64> for RecordedAt {
    type Error = String;

    fn try_from(micros: i64) -> Result<Self, Self::Error> {
        match DateTime::from_timestamp_micros(micros) {
            Some(instant) if (0..=9999).contains(&instant.year()) => Ok(RecordedAt(micros)),
            _ => Err(format!(
                "recorded_at {micros} µs is outside the years 0000 to 9999"
            )),
        }
    }
}

impl RecordedAt {
    pub fn from_datetime(instant: DateTime<Utc>) -> Self {
        RecordedAt(instant.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).expect("recorded_at is within chrono's range")
    }

    /// Parses the exact form this ledger writes; anything else is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let well_formed = text.len() == 27 && text.ends_with('Z') && text.as_bytes()[19] == b'.';
        let instant = DateTime::parse_from_rfc3339(text)
            .ok()
            .filter(|_| well_formed)
            .ok_or_else(|| format!("`{text}` is not of the form 2026-11-27T06:00:00.123456Z"))?;
        Ok(RecordedAt::from_datetime(instant.with_timezone(&Utc)))
    }
}

impl fmt::Display for RecordedAt {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.to_datetime().format("%Y-%m-%dT%H:%M:%S%.6fZ");
        write!(formatter, "{text}")
    }
}

/// The first year the ledger accepts anywhere (a date, a strategy's years, a year asked for):
/// earlier ones are almost surely typing mistakes.
pub const YEAR_FIRST: i32 = 1900;
/// The last year the ledger accepts anywhere a year is typed.
pub const YEAR_LAST: i32 = 2200;
/// `YEAR_FIRST..=YEAR_LAST`: the one range of plausible years. (The OpenAPI attributes of the
/// year parameters repeat the two numbers as literals; tests/openapi.rs holds them to these.)
pub const YEARS: std::ops::RangeInclusive<i32> = YEAR_FIRST..=YEAR_LAST;

/// The earliest `occurred_on` the ledger accepts: older dates are almost surely typing mistakes.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR_FIRST, 1, 1).expect("a valid date")
}

/// Parses an ISO calendar date written exactly as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    read_date(text).map_err(|_| format!("`{text}` is not a valid date of the form YYYY-MM-DD"))
}

/// Reads a date a client sent: `YYYY-MM-DD`, naming a day of the calendar.
pub fn read_date(text: &str) -> Result<NaiveDate, crate::violations::Violation> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| is_date_shaped(text))
        .ok_or_else(|| crate::violations::date_violation(text))
}

/// Four digits, a hyphen, two digits, a hyphen, two digits.
pub fn is_date_shaped(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(index, byte)| {
            matches!(index, 4 | 7) == (byte == b'-')
                && (index == 4 || index == 7 || byte.is_ascii_digit())
        })
}

/// Writes a date as `YYYY-MM-DD`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_at_round_trips_with_six_digits() {
        for text in ["2026-11-27T06:00:00.123456Z", "1970-01-01T00:00:00.000000Z"] {
            let parsed = RecordedAt::parse(text).unwrap();
            assert_eq!(parsed.to_string(), text);
        }
        for bad in [
            "2026-11-27T06:00:00Z",
            "2026-11-27T06:00:00.123+00:00",
            "yesterday",
        ] {
            assert!(RecordedAt::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_must_be_exactly_iso() {
        assert!(parse_date("2022-03-01").is_ok());
        for bad in [
            "2022-3-1",
            "2022-02-30",
            "01-03-2022",
            "2022-03-01T00:00",
            "+2022-03-0",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
