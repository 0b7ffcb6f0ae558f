//! What the lists of CONTRACT §9 need beyond the figures: the searchable names of the entities,
//! and per year the positions of the placements, grants, trials and trends that occurred in it.
//!
//! Everything else a list shows is either already in the projection (an enterprise's
//! registration and standing closure, an agreement's signing and ending, each event's `Fact`
//! in its record) or read from the stored event at the listed position by the caller, so a
//! list costs little memory: about 4 bytes per placement, grant, trial and trend (its
//! position), 24 bytes per enterprise (its id and the numbers of its name and CVR), 4 per
//! agreement, and each distinct name once (docs/PERFORMANCE.md).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use foldhash::HashMap;
use uuid::Uuid;

use crate::projection::{Fact, Interner};

/// A text number that names no text (an enterprise without a CVR, a placement without an
/// enterprise).
pub(crate) const NONE: u32 = u32::MAX;

/// The positions of the events of one kind that occurred in one year, in position order.
#[derive(Clone, Debug, Default)]
pub(crate) struct YearEntries {
    pub(crate) placements: Vec<u32>,
    pub(crate) grants: Vec<u32>,
    pub(crate) trials: Vec<u32>,
    pub(crate) trends: Vec<u32>,
}

/// Which of a year's lists an event belongs in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Listed {
    Placement,
    Grant,
    Trial,
    Trend,
}

/// An enterprise's id and the numbers of its name and CVR in `Lists::texts`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EnterpriseNames {
    pub(crate) id: Uuid,
    pub(crate) name: u32,
    pub(crate) cvr: u32,
}

/// The lists' part of a projection.
///
/// A fold of the past made for figures only (`Past::fold`) skips it; one made for lists
/// (`Projection::past_with_lists`) keeps it, with the names copied from the projection it
/// came from (entity numbers are the same in both).
#[derive(Clone, Debug, Default)]
pub(crate) struct Lists {
    /// Set in a fold of the past made for figures only: its lists are empty, not answers.
    pub(crate) skipped: bool,
    /// Enterprise names, CVRs, counterparties and titles, each distinct text once.
    pub(crate) texts: Interner,
    /// Per enterprise slot.
    pub(crate) enterprises: Vec<EnterpriseNames>,
    /// Per agreement slot: the number of its counterparty in `texts`.
    pub(crate) counterparties: Vec<u32>,
    pub(crate) years: BTreeMap<i32, YearEntries>,
    /// Standing placements per enterprise slot and year of `occurred_on`.
    pub(crate) enterprise_placements: HashMap<(u32, i32), u32>,
}

impl Lists {
    /// A text's number, interning it if it is new.
    pub(crate) fn text(&mut self, text: &str) -> u32 {
        self.texts.number(text)
    }

    pub(crate) fn name(&self, number: u32) -> &str {
        if number == NONE {
            ""
        } else {
            self.texts.name(number)
        }
    }

    /// Notes the names of the enterprise at the next slot.
    pub(crate) fn add_enterprise(&mut self, id: Uuid, name: &str, cvr: Option<&str>) {
        let name = self.text(name);
        let cvr = cvr.map_or(NONE, |cvr| self.text(cvr));
        self.enterprises.push(EnterpriseNames { id, name, cvr });
    }

    pub(crate) fn add_agreement(&mut self, counterparty: &str) {
        let counterparty = self.text(counterparty);
        self.counterparties.push(counterparty);
    }

    /// Files the event at `position` under its year, if its fact is one a year lists.
    pub(crate) fn list_fact(&mut self, occurred_on: NaiveDate, fact: &Fact, position: u64) {
        let listed = match fact {
            Fact::Placement { .. } => Listed::Placement,
            Fact::Grant { .. } => Listed::Grant,
            Fact::Trial { .. } => Listed::Trial,
            Fact::Trend { .. } => Listed::Trend,
            _ => return,
        };
        self.list(occurred_on.year(), listed, position);
    }

    fn list(&mut self, year: i32, listed: Listed, position: u64) {
        if self.skipped {
            return;
        }
        let position = u32::try_from(position).expect("positions fit in 32 bits");
        let entries = self.years.entry(year).or_default();
        match listed {
            Listed::Placement => entries.placements.push(position),
            Listed::Grant => entries.grants.push(position),
            Listed::Trial => entries.trials.push(position),
            Listed::Trend => entries.trends.push(position),
        }
    }

    /// Adds (sign 1) or takes out (sign -1) a placement at an enterprise.
    pub(crate) fn count_placement(&mut self, enterprise: u32, year: i32, sign: i64) {
        if self.skipped || enterprise == NONE {
            return;
        }
        let count = self
            .enterprise_placements
            .entry((enterprise, year))
            .or_default();
        *count = if sign > 0 {
            *count + 1
        } else {
            count.saturating_sub(1)
        };
    }

    /// Standing placements at an enterprise in `year`, or in every year.
    pub(crate) fn placements_at(&self, enterprise: u32, year: Option<i32>) -> u64 {
        let count = |year: i32| {
            self.enterprise_placements
                .get(&(enterprise, year))
                .map_or(0, |count| u64::from(*count))
        };
        match year {
            Some(year) => count(year),
            None => self.years.keys().map(|year| count(*year)).sum(),
        }
    }

    /// The positions of one kind of event, in `year` or in every year (years in order).
    pub(crate) fn positions(
        &self,
        year: Option<i32>,
        of: fn(&YearEntries) -> &Vec<u32>,
    ) -> impl Iterator<Item = u64> + '_ {
        let years = match year {
            Some(year) => self.years.range(year..=year),
            None => self.years.range(..),
        };
        years.flat_map(move |(_, entries)| of(entries).iter().map(|at| u64::from(*at)))
    }

    /// The names a fold of the past needs to answer lists: everything but the year index and
    /// the counts, which the fold rebuilds from the records.
    pub(crate) fn names(&self) -> Lists {
        Lists {
            skipped: false,
            texts: self.texts.clone(),
            enterprises: self.enterprises.clone(),
            counterparties: self.counterparties.clone(),
            years: BTreeMap::new(),
            enterprise_placements: HashMap::default(),
        }
    }

    /// Refuses to answer a list from a fold of the past made for figures only.
    pub(crate) fn check_kept(&self) {
        assert!(
            !self.skipped,
            "lists are answered by the live projection or Projection::past_with_lists"
        );
    }
}
