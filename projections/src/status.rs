//! `Status`: the figures of one year (CONTRACT §4, `GET /api/v1/status/{year}`).

use std::collections::BTreeMap;

use impact_events::{AgreementKind, EmploymentType, EnterpriseKind, TrendKind, TrialKind};
use serde::Serialize;

use crate::kinds::{
    every_kind, AGREEMENT_KINDS, EMPLOYMENT_TYPES, ENTERPRISE_KINDS, TREND_KINDS, TRIAL_KINDS,
};
use crate::projection::Projection;
use crate::years::{add, count, ore, YearTotals, GOAL_SLOTS};

/// The figures of one calendar year, as known at `as_of_position`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub year: i32,
    pub as_of_position: u64,
    /// Distinct person_refs with at least one placement in the year.
    pub people_employed: u64,
    pub placements: PlacementCounts,
    pub enterprises: EnterpriseCounts,
    pub agreements: AgreementCounts,
    pub grants: GrantTotals,
    pub trials: TrialCounts,
    pub trends: TrendCounts,
    /// Goal (1-17) to how many active enterprises, grants and trials of the year carry it.
    /// Only goals with a count above zero; JSON keys are the goal numbers as strings, in
    /// numeric order ("8" before "10").
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, u64>))]
    pub sdgs: BTreeMap<u8, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacementCounts {
    pub total: u64,
    /// Every employment type, zero counts included, in catalogue order.
    pub by_type: BTreeMap<EmploymentType, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseCounts {
    /// Registered on or before 31 Dec and not closed on or before it.
    pub active: u64,
    pub registered: u64,
    pub closed: u64,
    pub active_by_kind: BTreeMap<EnterpriseKind, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementCounts {
    /// Signed on or before 31 Dec, not ended on or before it, valid_to absent or on/after it.
    pub active: u64,
    pub signed: u64,
    pub signed_by_kind: BTreeMap<AgreementKind, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantTotals {
    pub count: u64,
    pub total_ore: i64,
    /// Funder name to total øre awarded in the year, by name.
    pub by_funder: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrialCounts {
    pub started: u64,
    pub by_kind: BTreeMap<TrialKind, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendCounts {
    pub noted: u64,
    pub by_kind: BTreeMap<TrendKind, u64>,
}

impl Projection {
    /// The figures of `year`. Costs one pass over the years up to `year`, never over events.
    pub fn status(&self, year: i32) -> Status {
        let empty = YearTotals::default();
        let totals = self.years.get(year).unwrap_or(&empty);
        let mut active_by_kind = [0; 2];
        let mut agreements_active = 0;
        let mut goals = totals.goals;
        for (_, earlier) in self.years.up_to(year) {
            add(&mut active_by_kind, &earlier.enterprises_change);
            add(&mut goals, &earlier.enterprise_goals_change);
            agreements_active += earlier.agreements_change;
        }
        Status {
            year,
            as_of_position: self.position,
            people_employed: totals.people_employed(),
            placements: PlacementCounts {
                total: count(totals.placements.iter().sum()),
                by_type: every_kind(EMPLOYMENT_TYPES, &totals.placements),
            },
            enterprises: EnterpriseCounts {
                active: count(active_by_kind.iter().sum()),
                registered: count(totals.enterprises_registered),
                closed: count(totals.enterprises_closed),
                active_by_kind: every_kind(ENTERPRISE_KINDS, &active_by_kind),
            },
            agreements: AgreementCounts {
                active: count(agreements_active),
                signed: count(totals.agreements_signed.iter().sum()),
                signed_by_kind: every_kind(AGREEMENT_KINDS, &totals.agreements_signed),
            },
            grants: self.grant_totals(totals),
            trials: TrialCounts {
                started: count(totals.trials.iter().sum()),
                by_kind: every_kind(TRIAL_KINDS, &totals.trials),
            },
            trends: TrendCounts {
                noted: count(totals.trends.iter().sum()),
                by_kind: every_kind(TREND_KINDS, &totals.trends),
            },
            sdgs: goal_counts(&goals),
        }
    }

    fn grant_totals(&self, totals: &YearTotals) -> GrantTotals {
        let by_funder = totals
            .funders
            .iter()
            .map(|(funder, total)| (self.funders.name(*funder).to_owned(), ore(total.ore)))
            .collect();
        GrantTotals {
            count: count(totals.grants),
            total_ore: ore(totals.grants_ore),
            by_funder,
        }
    }
}

fn goal_counts(goals: &[i64; GOAL_SLOTS]) -> BTreeMap<u8, u64> {
    (1..GOAL_SLOTS)
        .filter(|goal| goals[*goal] > 0)
        .map(|goal| (goal as u8, count(goals[goal])))
        .collect()
}
