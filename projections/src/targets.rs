//! `Targets`: the strategy in force for a year and how far its targets are met (CONTRACT §4).
//!
//! Arithmetic is done on integers (i128) and rounded once, half away from zero, to one decimal;
//! only the final one-decimal figure becomes an `f64` for JSON.

use impact_events::{Metric, Per, Target};
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
/// Every target has `forecast`, `on_track` and `basis` (CONTRACT §11): the committee asks of
/// each whether it can be reached in the period.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetStatus {
    pub metric: Metric,
    pub per: Per,
    pub target: i64,
    /// The year's figure: a whole number for counts and øre, a one-decimal per cent for
    /// `retention_6m_pct`. Null when there is nothing to measure yet (retention with no
    /// placement of the year six months old).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub actual: Option<Actual>,
    /// actual / target × 100, one decimal; null when the target is 0 or nothing is measured.
    pub attainment_pct: Option<f64>,
    /// actual ≥ target.
    pub met: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub outlook: Option<Outlook>,
    /// For `retention_6m_pct` only: what the percentage is made of, with the placements left
    /// out because they are not six months old yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<crate::Retention>,
}

/// A figure against a target: a count (people, enterprises, øre, ...) or a per cent in tenths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actual {
    Count(i64),
    /// Tenths of a per cent: 875 is 87.5 %.
    Tenths(i64),
}

impl Actual {
    /// The figure in tenths of its unit, for comparisons and arithmetic on integers.
    pub fn tenths(self) -> i128 {
        match self {
            Actual::Count(count) => i128::from(count) * 10,
            Actual::Tenths(tenths) => i128::from(tenths),
        }
    }

    /// As JSON shows it: exact for counts below 2^53 and for every tenth.
    pub fn to_f64(self) -> f64 {
        match self {
            Actual::Count(count) => count as f64,
            Actual::Tenths(tenths) => tenths_to_f64(i128::from(tenths)),
        }
    }
}

impl Serialize for Actual {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Actual::Count(count) => serializer.serialize_i64(*count),
            Actual::Tenths(_) => serializer.serialize_f64(self.to_f64()),
        }
    }
}

/// Where a target is heading, and why: can it be reached in the period?
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outlook {
    /// The least-squares linear trend of the yearly figures in `basis`, evaluated at the
    /// period's last year; one decimal. Null with fewer than two yearly figures.
    pub forecast: Option<f64>,
    /// The forecast (as shown, one decimal) ≥ target; null when there is no forecast.
    pub on_track: Option<bool>,
    /// The figures the forecast is drawn through.
    pub basis: Basis,
}

/// The yearly figures behind a forecast.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Basis {
    /// The year the trend is evaluated at: the period's last year.
    pub forecast_year: i32,
    /// The figure of each year from the period's first year to the year asked for, as known
    /// now; a year with nothing measured (retention) is left out. The year asked for may not
    /// be over yet.
    pub points: Vec<Point>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub year: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub value: Actual,
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
                let points = self.series(target.metric, adopted.from_year, year);
                TargetStatus {
                    metric: target.metric,
                    per: target.per,
                    target: target.value,
                    actual,
                    attainment_pct: actual
                        .and_then(|actual| attainment_tenths(actual, target.value))
                        .map(tenths_to_f64),
                    met: actual.is_some_and(|actual| actual.tenths() >= tenths(target.value)),
                    outlook: Some(outlook(
                        points,
                        (adopted.from_year, adopted.to_year),
                        target,
                    )),
                    retention: (target.metric == Metric::RetentionSixMonthsPct)
                        .then(|| self.retention(year)),
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

    /// The figure of `metric` for `year` (CONTRACT §11's table), None when not measurable.
    pub fn actual(&self, metric: Metric, year: i32) -> Option<Actual> {
        let count = |count: u64| Actual::Count(i64::try_from(count).unwrap_or(i64::MAX));
        Some(match metric {
            Metric::PeopleEmployed => count(self.years.people_employed(year)),
            Metric::EnterprisesActive => {
                Actual::Count(self.years.enterprises_active(year).iter().sum())
            }
            Metric::GrantsTotalOre => Actual::Count(self.status(year).grants.total_ore),
            Metric::AgreementsActive => count(self.status(year).agreements.active),
            Metric::TrialsStarted => count(self.status(year).trials.started),
            Metric::RetentionSixMonthsPct => {
                let tenths = self.retention(year).tenths()?;
                Actual::Tenths(i64::try_from(tenths).expect("a per cent fits"))
            }
        })
    }

    /// The metric of each year from `first` to `last` that has a figure.
    fn series(&self, metric: Metric, first: i32, last: i32) -> Vec<Point> {
        match metric {
            Metric::EnterprisesActive => (first..=last)
                .zip(self.years.enterprises_active_series(first, last))
                .map(|(year, active)| Point {
                    year,
                    value: Actual::Count(active),
                })
                .collect(),
            other => (first..=last)
                .filter_map(|year| {
                    let value = self.actual(other, year)?;
                    Some(Point { year, value })
                })
                .collect(),
        }
    }
}

/// The forecast for the period's last year through `points`, and whether it reaches `target`.
fn outlook(points: Vec<Point>, (from_year, to_year): (i32, i32), target: &Target) -> Outlook {
    let steps: Vec<(i64, i128)> = points
        .iter()
        .map(|point| (i64::from(point.year - from_year), point.value.tenths()))
        .collect();
    let mut forecast = forecast_tenths(&steps, i64::from(to_year - from_year));
    if target.metric == Metric::RetentionSixMonthsPct {
        // A share stays between 0 and 100 %, whatever a straight line says.
        forecast = forecast.map(|tenths| tenths.clamp(0, 1000));
    }
    Outlook {
        forecast: forecast.map(tenths_to_f64),
        on_track: forecast.map(|forecast| forecast >= tenths(target.value)),
        basis: Basis {
            forecast_year: to_year,
            points,
        },
    }
}

fn tenths(value: i64) -> i128 {
    i128::from(value) * 10
}

/// actual × 100 / target, rounded half away from zero: the attainment in tenths of a percent.
pub(crate) fn attainment_tenths(actual: Actual, target: i64) -> Option<i128> {
    (target != 0).then(|| divide_rounded(actual.tenths() * 100, i128::from(target)))
}

/// The least-squares line through the points `(x, tenths)`, evaluated at `last_step`, in
/// tenths, rounded half away from zero. None with fewer than two points (x are distinct).
///
/// With n points, Sx = Σx, Sxx = Σx², Sv = Σv, Sxv = Σxv and D = n·Sxx − Sx²:
/// slope = (n·Sxv − Sx·Sv) / D, intercept = (Sv − slope·Sx) / n, so the value at X is
/// (Sv·D + (n·Sxv − Sx·Sv)·(n·X − Sx)) / (n·D), an exact fraction of integers.
pub(crate) fn forecast_tenths(points: &[(i64, i128)], last_step: i64) -> Option<i128> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as i128;
    let (mut sum_x, mut sum_xx, mut sum_v, mut sum_xv) = (0i128, 0i128, 0i128, 0i128);
    for (x, value) in points {
        let (x, value) = (i128::from(*x), *value);
        sum_x += x;
        sum_xx += x * x;
        sum_v += value;
        sum_xv += x * value;
    }
    let spread = n * sum_xx - sum_x * sum_x;
    let slope_numerator = n * sum_xv - sum_x * sum_v;
    let numerator = sum_v * spread + slope_numerator * (n * i128::from(last_step) - sum_x);
    Some(divide_rounded(numerator, n * spread))
}

/// numerator / denominator rounded to the nearest integer, halves away from zero.
pub(crate) fn divide_rounded(numerator: i128, denominator: i128) -> i128 {
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
pub(crate) fn tenths_to_f64(tenths: i128) -> f64 {
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
