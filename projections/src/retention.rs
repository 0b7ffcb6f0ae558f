//! Retention (`retention_6m_pct`, CONTRACT §11): of the placements started in a year, how many
//! were still not ended six months after their start.
//!
//! The projection keeps one `Life` per placement (its start, its standing ending) and, per year
//! of start, the lives that began then; a question about year Y walks only Y's placements.
//! Retention depends on the day it is asked on (a placement is measured only once it is six
//! months old), and a fold has no clock: the day is the date of the `recorded_at` of the last
//! event applied (UTC), the moment "as of" which every other figure is answered too.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// One placement's life: when it started and when it ended, if a standing `PlacementEnded`
/// says so. Retracted placements keep their life; `Projection::is_retracted` of `position`
/// says they count nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Life {
    pub(crate) position: u64,
    pub(crate) started_on: NaiveDate,
    pub(crate) ended_on: Option<NaiveDate>,
}

/// Every placement's life, in the order the placements were applied, and which started when.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lives {
    lives: Vec<Life>,
    by_year: BTreeMap<i32, Vec<u32>>,
}

impl Lives {
    /// A placement started: its slot (`Fact::Placement::life`).
    pub(crate) fn start(&mut self, position: u64, started_on: NaiveDate) -> u32 {
        let slot = u32::try_from(self.lives.len()).expect("fewer than 4 billion placements");
        self.lives.push(Life {
            position,
            started_on,
            ended_on: None,
        });
        self.by_year
            .entry(started_on.year())
            .or_default()
            .push(slot);
        slot
    }

    pub(crate) fn get(&self, slot: u32) -> &Life {
        &self.lives[slot as usize]
    }

    pub(crate) fn set_end(&mut self, slot: u32, ended_on: Option<NaiveDate>) {
        self.lives[slot as usize].ended_on = ended_on;
    }

    /// The lives of the placements started in `year`, retracted ones included.
    pub(crate) fn started_in(&self, year: i32) -> impl Iterator<Item = &Life> {
        let slots = self.by_year.get(&year).map_or(&[][..], Vec::as_slice);
        slots.iter().map(|slot| &self.lives[*slot as usize])
    }
}

/// Retention of the placements started in `year`, as of `as_of` (CONTRACT §11).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retention {
    pub year: i32,
    /// The day the figure is measured on: the date (UTC) the last event folded was recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub as_of: Option<NaiveDate>,
    /// Placements started in the year, not retracted.
    pub started: u64,
    /// Those six months old or more on `as_of`: the base of the percentage.
    pub measured: u64,
    /// Of `measured`, those not ended before the day six calendar months after their start.
    pub retained: u64,
    /// Started, but not yet six months old on `as_of`: left out of both counts.
    pub too_recent: u64,
    /// retained / measured × 100, one decimal; null when nothing is measured yet.
    pub retention_pct: Option<f64>,
}

impl Retention {
    /// The percentage in tenths, rounded half away from zero; None when nothing is measured.
    pub fn tenths(&self) -> Option<i128> {
        (self.measured > 0).then(|| {
            crate::targets::divide_rounded(
                i128::from(self.retained) * 1000,
                i128::from(self.measured),
            )
        })
    }
}

/// The day a placement started on `started_on` turns six months old: the same day six
/// calendar months later, or the month's last day when it has no such day (31 Aug → 28/29 Feb).
pub fn six_months_after(started_on: NaiveDate) -> NaiveDate {
    started_on
        .checked_add_months(Months::new(6))
        .unwrap_or(NaiveDate::MAX)
}

/// Counts retention over `lives` (those of one year), leaving out the positions `retracted`.
pub(crate) fn measure<'a>(
    year: i32,
    as_of: Option<NaiveDate>,
    lives: impl Iterator<Item = &'a Life>,
    retracted: impl Fn(u64) -> bool,
) -> Retention {
    let (mut started, mut measured, mut retained) = (0, 0, 0);
    for life in lives.filter(|life| !retracted(life.position)) {
        started += 1;
        let six_months = six_months_after(life.started_on);
        if as_of.is_some_and(|as_of| six_months <= as_of) {
            measured += 1;
            retained += u64::from(life.ended_on.is_none_or(|ended| ended >= six_months));
        }
    }
    let mut retention = Retention {
        year,
        as_of,
        started,
        measured,
        retained,
        too_recent: started - measured,
        retention_pct: None,
    };
    retention.retention_pct = retention.tenths().map(crate::targets::tenths_to_f64);
    retention
}

impl crate::Projection {
    /// Retention of the placements started in `year`, as of the date the last event folded
    /// was recorded (UTC): the figure of `retention_6m_pct`.
    pub fn retention(&self, year: i32) -> Retention {
        let as_of = self
            .recorded_at(self.position)
            .map(|recorded_at| recorded_at.to_datetime().date_naive());
        self.measure_retention(year, as_of)
    }

    /// Retention of the placements started in `year`, measured on the day `as_of`.
    pub fn retention_on(&self, year: i32, as_of: NaiveDate) -> Retention {
        self.measure_retention(year, Some(as_of))
    }

    fn measure_retention(&self, year: i32, as_of: Option<NaiveDate>) -> Retention {
        let lives = self.lives.started_in(year);
        measure(year, as_of, lives, |position| self.is_retracted(position))
    }
}
