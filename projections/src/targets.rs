//! `Targets`: the strategy in force for a year and how far its targets are met (CONTRACT §4).
//!
//! Arithmetic is done on integers (i128) and rounded once, half away from zero, to one decimal;
//! only the final one-decimal figure becomes an `f64` for JSON.

use impact_events::{Metric, Per};
use serde::Serialize;
use uuid::Uuid;

use chrono::Datelike;

use crate::projection::{Projection, Revision, Strategy};

/// The targets in force for `year` and the actual figures against them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Targets {
    pub year: i32,
    pub as_of_position: u64,
    pub strategy: StrategyRef,
    /// The revision (`StrategyRevised`) every listed target comes from: the latest standing
    /// revision of the strategy in force from a date on or before the year's end. Null: the
    /// targets are those the strategy was adopted with.
    pub revision: Option<RevisionRef>,
    /// In the order the strategy (or its revision) lists them.
    pub targets: Vec<TargetStatus>,
}

/// Which `StrategyRevised` a year's targets come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionRef {
    pub event_id: Uuid,
    pub position: u64,
    /// In force from this date on.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub occurred_on: chrono::NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrategyRef {
    pub strategy_id: Uuid,
    pub name: String,
    pub from_year: i32,
    pub to_year: i32,
}

/// One target against the actual figure.
///
/// A `per: period` target also has `forecast` and `on_track` (both null before the period's
/// second year); a `per: year` target has neither member, as in CONTRACT §4.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetStatus {
    pub metric: Metric,
    pub per: Per,
    pub target: i64,
    /// Null for a metric this build does not measure yet (`retention_6m_pct`: issue 14).
    pub actual: Option<i64>,
    /// actual / target × 100, one decimal; null when the target is 0.
    pub attainment_pct: Option<f64>,
    /// actual ≥ target.
    pub met: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub outlook: Option<Outlook>,
}

/// Where a period target is heading.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outlook {
    /// The least-squares linear trend of the actual figure over the years from the period's
    /// first year to the year asked for, evaluated at the period's last year; one decimal.
    pub forecast: Option<f64>,
    /// The forecast (as shown, one decimal) ≥ target; null when there is no forecast.
    pub on_track: Option<bool>,
}

impl Projection {
    /// The targets in force for `year`: those of the latest-recorded, non-retracted strategy
    /// whose period covers it. None when no strategy covers the year.
    pub fn targets(&self, year: i32) -> Option<Targets> {
        let strategy = self.strategy_in_force(year)?;
        let adopted = &strategy.adopted;
        let revision = self.revision_in_force(adopted.strategy_id, year);
        let in_force = revision.map_or(&adopted.targets, |revision| &revision.revised.targets);
        let targets = in_force
            .iter()
            .map(|target| {
                let actual = self.actual(target.metric, year);
                let outlook = (target.per == Per::Period && actual.is_some()).then(|| {
                    let series = self.series(target.metric, adopted.from_year, year);
                    let last_step = i64::from(adopted.to_year) - i64::from(adopted.from_year);
                    outlook(&series, last_step, target.value)
                });
                TargetStatus {
                    metric: target.metric,
                    per: target.per,
                    target: target.value,
                    actual,
                    attainment_pct: actual
                        .and_then(|actual| attainment_tenths(actual, target.value))
                        .map(tenths_to_f64),
                    met: actual.is_some_and(|actual| actual >= target.value),
                    outlook,
                }
            })
            .collect();
        Some(Targets {
            year,
            as_of_position: self.position,
            strategy: StrategyRef {
                strategy_id: adopted.strategy_id,
                name: adopted.name.clone(),
                from_year: adopted.from_year,
                to_year: adopted.to_year,
            },
            revision: revision.map(|revision| RevisionRef {
                event_id: revision.event_id,
                position: revision.position,
                occurred_on: revision.occurred_on,
            }),
            targets,
        })
    }

    /// The latest-recorded standing revision of `strategy_id` in force by the end of `year`.
    fn revision_in_force(&self, strategy_id: Uuid, year: i32) -> Option<&Revision> {
        self.revisions.iter().rev().find(|revision| {
            !revision.retracted
                && revision.revised.strategy_id == strategy_id
                && revision.occurred_on.year() <= year
        })
    }

    fn strategy_in_force(&self, year: i32) -> Option<&Strategy> {
        self.strategies.iter().rev().find(|strategy| {
            let adopted = &strategy.adopted;
            !strategy.retracted && (adopted.from_year..=adopted.to_year).contains(&year)
        })
    }

    fn actual(&self, metric: Metric, year: i32) -> Option<i64> {
        let count = |count: u64| i64::try_from(count).unwrap_or(i64::MAX);
        Some(match metric {
            Metric::PeopleEmployed => count(self.years.people_employed(year)),
            Metric::EnterprisesActive => self.years.enterprises_active(year).iter().sum(),
            Metric::GrantsTotalOre => self.status(year).grants.total_ore,
            Metric::AgreementsActive => count(self.status(year).agreements.active),
            Metric::TrialsStarted => count(self.status(year).trials.started),
            Metric::RetentionSixMonthsPct => return None,
        })
    }

    /// The metric at the end of each year from `first` to `last`.
    fn series(&self, metric: Metric, first: i32, last: i32) -> Vec<i64> {
        match metric {
            Metric::EnterprisesActive => self.years.enterprises_active_series(first, last),
            other => (first..=last)
                .filter_map(|year| self.actual(other, year))
                .collect(),
        }
    }
}

fn outlook(series: &[i64], last_step: i64, target: i64) -> Outlook {
    let forecast = forecast_tenths(series, last_step);
    Outlook {
        forecast: forecast.map(tenths_to_f64),
        on_track: forecast.map(|tenths| tenths >= i128::from(target) * 10),
    }
}

/// actual × 1000 / target, rounded half away from zero: the attainment in tenths of a percent.
pub(crate) fn attainment_tenths(actual: i64, target: i64) -> Option<i128> {
    (target != 0).then(|| divide_rounded(i128::from(actual) * 1000, i128::from(target)))
}

/// The least-squares line through `(x, series[x])` for x = 0, 1, ..., evaluated at
/// `last_step`, in tenths, rounded half away from zero. None with fewer than two points.
///
/// With n points, Sx = Σx, Sxx = Σx², Sv = Σv, Sxv = Σxv and D = n·Sxx − Sx²:
/// slope = (n·Sxv − Sx·Sv) / D, intercept = (Sv − slope·Sx) / n, so the value at X is
/// (Sv·D + (n·Sxv − Sx·Sv)·(n·X − Sx)) / (n·D), an exact fraction of integers.
pub(crate) fn forecast_tenths(series: &[i64], last_step: i64) -> Option<i128> {
    if series.len() < 2 {
        return None;
    }
    let n = series.len() as i128;
    let (mut sum_x, mut sum_xx, mut sum_v, mut sum_xv) = (0i128, 0i128, 0i128, 0i128);
    for (x, value) in series.iter().enumerate() {
        let (x, value) = (x as i128, i128::from(*value));
        sum_x += x;
        sum_xx += x * x;
        sum_v += value;
        sum_xv += x * value;
    }
    let spread = n * sum_xx - sum_x * sum_x;
    let slope_numerator = n * sum_xv - sum_x * sum_v;
    let numerator = sum_v * spread + slope_numerator * (n * i128::from(last_step) - sum_x);
    Some(divide_rounded(numerator * 10, n * spread))
}

/// numerator / denominator rounded to the nearest integer, halves away from zero.
fn divide_rounded(numerator: i128, denominator: i128) -> i128 {
    let (numerator, denominator) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// A count of tenths as the one-decimal number JSON shows; exact below 2^53 tenths.
fn tenths_to_f64(tenths: i128) -> f64 {
    tenths as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        let cases = [
            (5, 2, 3),
            (-5, 2, -3),
            (4, 3, 1),
            (-4, 3, -1),
            (5, -2, -3),
            (7, 7, 1),
            (0, 3, 0),
            (14, 4, 4),
            (-14, 4, -4),
        ];
        for (numerator, denominator, expected) in cases {
            assert_eq!(
                divide_rounded(numerator, denominator),
                expected,
                "{numerator}/{denominator}"
            );
        }
    }
}
