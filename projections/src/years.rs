//! Per-year aggregates: what the standing events that occurred in one calendar year add up to.
//!
//! Every field is a signed sum of contributions, so an entity's contribution can be taken out
//! again (sign -1) when a closure, an ending or a retraction changes it. Figures that hold at
//! the end of a year (active enterprises, active agreements, the goals of active enterprises) are
//! kept as changes against the year before and summed over the years up to the one asked for.

use std::collections::BTreeMap;

use foldhash::HashMap;

/// Slots for goals 1 to 17; slot 0 is unused so a goal is its own index.
pub(crate) const GOAL_SLOTS: usize = 18;

/// A set of UN Sustainable Development Goals (1-17) as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Goals(u32);

impl Goals {
    /// Goals outside 1-17 cannot be stored (the rules refuse them) and are ignored here.
    pub(crate) fn from_tags(tags: &[u8]) -> Self {
        let bits = tags
            .iter()
            .filter(|goal| (1..=17).contains(*goal))
            .fold(0, |bits, goal| bits | (1u32 << goal));
        Goals(bits)
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = usize> {
        (1..GOAL_SLOTS).filter(move |goal| self.0 & (1 << goal) != 0)
    }
}

/// How many standing grants of a year one funder gave, and how much.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FunderTotal {
    pub(crate) grants: i64,
    pub(crate) ore: i128,
}

/// The contributions of the events that occurred in one calendar year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct YearTotals {
    /// Standing placements per interned person_ref; its length is people_employed.
    pub(crate) persons: HashMap<u32, u32>,
    pub(crate) placements: [i64; 6],
    pub(crate) enterprises_registered: i64,
    pub(crate) enterprises_closed: i64,
    /// Active enterprises at the end of this year minus the end of the year before, per kind.
    pub(crate) enterprises_change: [i64; 2],
    /// The same change for the goals that active enterprises carry.
    pub(crate) enterprise_goals_change: [i64; GOAL_SLOTS],
    pub(crate) agreements_signed: [i64; 3],
    /// Active agreements at the end of this year minus the end of the year before.
    pub(crate) agreements_change: i64,
    pub(crate) grants: i64,
    /// Sums of øre are i128 so that adding and taking out grants can never overflow (one grant
    /// is at most 2^53 - 1 øre); they are shown as i64, saturating, by `ore`.
    pub(crate) grants_ore: i128,
    /// Keyed by interned funder name; a funder leaves the map when its last grant is retracted.
    pub(crate) funders: HashMap<u32, FunderTotal>,
    pub(crate) trials: [i64; 2],
    pub(crate) trends: [i64; 2],
    /// Goals carried by the grants and trials of this year.
    pub(crate) goals: [i64; GOAL_SLOTS],
}

impl YearTotals {
    pub(crate) fn people_employed(&self) -> u64 {
        self.persons.len() as u64
    }

    /// Adds (sign 1) or takes out (sign -1) one placement of a person.
    pub(crate) fn count_person(&mut self, person: u32, sign: i64) {
        let placements = self.persons.entry(person).or_default();
        if sign > 0 {
            *placements += 1;
        } else {
            *placements = placements.saturating_sub(1);
        }
        if *placements == 0 {
            self.persons.remove(&person);
        }
    }

    pub(crate) fn count_funder(&mut self, funder: u32, amount_ore: i64, sign: i64) {
        let total = self.funders.entry(funder).or_default();
        total.grants += sign;
        total.ore += i128::from(sign) * i128::from(amount_ore);
        if total.grants <= 0 {
            self.funders.remove(&funder);
        }
    }
}

/// The totals of every year that any event occurred in, in year order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Years(BTreeMap<i32, YearTotals>);

impl Years {
    pub(crate) fn at(&mut self, year: i32) -> &mut YearTotals {
        self.0.entry(year).or_default()
    }

    pub(crate) fn get(&self, year: i32) -> Option<&YearTotals> {
        self.0.get(&year)
    }

    /// The totals of every year up to and including `year`, oldest first.
    pub(crate) fn up_to(&self, year: i32) -> impl Iterator<Item = (i32, &YearTotals)> {
        self.0.range(..=year).map(|(year, totals)| (*year, totals))
    }

    pub(crate) fn people_employed(&self, year: i32) -> u64 {
        self.get(year).map_or(0, YearTotals::people_employed)
    }

    /// Enterprises active at the end of `year`, per kind.
    pub(crate) fn enterprises_active(&self, year: i32) -> [i64; 2] {
        let mut active = [0; 2];
        for (_, totals) in self.up_to(year) {
            add(&mut active, &totals.enterprises_change);
        }
        active
    }

    /// Enterprises active at the end of each year from `first` to `last`, both included.
    pub(crate) fn enterprises_active_series(&self, first: i32, last: i32) -> Vec<i64> {
        let mut changes = self.up_to(last).peekable();
        let mut active = 0;
        let mut series = Vec::new();
        for year in first..=last {
            while let Some((_, totals)) = changes.next_if(|(change_year, _)| *change_year <= year) {
                active += totals.enterprises_change.iter().sum::<i64>();
            }
            series.push(active);
        }
        series
    }
}

/// Adds one array of counts into another, slot by slot.
pub(crate) fn add<const N: usize>(into: &mut [i64; N], counts: &[i64; N]) {
    for (total, count) in into.iter_mut().zip(counts) {
        *total += count;
    }
}

/// A count for output. Sums of contributions never go below zero; if one did, that is a bug in
/// this crate, caught by the tests, and the figure shows 0 rather than wrapping around.
pub(crate) fn count(sum: i64) -> u64 {
    debug_assert!(sum >= 0, "a count went below zero: {sum}");
    u64::try_from(sum).unwrap_or(0)
}

/// A sum of øre for output: i64, saturating at its bounds (over 92 billion billion øre).
pub(crate) fn ore(sum: i128) -> i64 {
    i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX })
}
