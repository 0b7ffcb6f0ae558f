//! Proves `Projection::targets`: which strategy is in force, attainment and its rounding, and the
//! least-squares forecast, each case checked against figures worked out by hand.

mod common;

use common::{place, register, reported_figures, Log};
use impact_events::EnterpriseKind;
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    build: fn(&mut Log),
    year: i32,
    /// A JSON pointer into the targets; the whole answer is `null` when none is in force.
    member: &'static str,
    expect: Value,
}

fn check(case: &Case) {
    let mut log = Log::new();
    (case.build)(&mut log);
    let targets = serde_json::to_value(log.projection().targets(case.year)).unwrap();
    let mut actual = targets.pointer(case.member).unwrap_or(&Value::Null).clone();
    // A case that does not name the forecast's basis is not about it (`forecast_basis` is).
    if let (Value::Object(actual), Value::Object(expect)) = (&mut actual, &case.expect) {
        if !expect.contains_key("basis") {
            actual.remove("basis");
        }
    }
    assert_eq!(actual, case.expect, "case `{}`", case.name);
}

#[test]
fn the_reported_figures_give_the_design_example() {
    let mut log = Log::new();
    let strategy = reported_figures(&mut log);
    let targets = log
        .projection()
        .targets(2023)
        .expect("a strategy is in force");
    let expect = json!({
        "year": 2023, "as_of_position": log.events.len(),
        "strategy": {"strategy_id": strategy.entity, "name": "Strategy 2022-2025",
                     "from_year": 2022, "to_year": 2025},
        "revision": null,
        "targets": [
            {"metric": "people_employed", "per": "year", "target": 30, "actual": 118,
             "attainment_pct": 393.3, "met": true, "forecast": 154.0, "on_track": true,
             "basis": {"forecast_year": 2025, "points": [{"year": 2022, "value": 100},
                                                         {"year": 2023, "value": 118}]}},
            {"metric": "enterprises_active", "per": "period", "target": 40, "actual": 34,
             "attainment_pct": 85.0, "met": false, "forecast": 40.0, "on_track": true,
             "basis": {"forecast_year": 2025, "points": [{"year": 2022, "value": 31},
                                                         {"year": 2023, "value": 34}]}}]
    });
    assert_eq!(serde_json::to_value(&targets).unwrap(), expect);
    let text = serde_json::to_string(&targets).unwrap();
    assert!(
        text.contains(r#""attainment_pct":85.0,"met":false,"forecast":40.0"#),
        "{text}"
    );
}

#[test]
fn strategy_in_force() {
    let cases = [
        Case {
            name: "no strategy at all",
            build: |log| place(log, 2023, 1),
            year: 2023,
            member: "",
            expect: Value::Null,
        },
        Case {
            name: "a year before the period",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
            },
            year: 2021,
            member: "",
            expect: Value::Null,
        },
        Case {
            name: "a year after the period",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
            },
            year: 2026,
            member: "",
            expect: Value::Null,
        },
        Case {
            name: "the last year of the period",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
            },
            year: 2025,
            member: "/strategy/name",
            expect: json!("Strategy 2022-2025"),
        },
        Case {
            name: "a later strategy covering the year replaces the earlier",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                log.strategy("2023-06-01", 2022, 2025, &[35, 45]);
            },
            year: 2023,
            member: "/targets/0/target",
            expect: json!(35),
        },
        Case {
            name: "the latest recorded wins, not the latest occurred_on",
            build: |log| {
                log.strategy("2023-06-01", 2022, 2025, &[30, 40]);
                log.strategy("2022-01-10", 2022, 2025, &[35, 45]);
            },
            year: 2023,
            member: "/targets/1/target",
            expect: json!(45),
        },
        Case {
            name: "a later strategy not covering the year leaves the earlier in force",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                log.strategy("2023-06-01", 2024, 2027, &[50, 60]);
            },
            year: 2023,
            member: "/targets/0/target",
            expect: json!(30),
        },
        Case {
            name: "a later strategy covers its own years",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                log.strategy("2023-06-01", 2024, 2027, &[50, 60]);
            },
            year: 2024,
            member: "/strategy/name",
            expect: json!("Strategy 2024-2027"),
        },
        Case {
            name: "a retracted replacement gives the earlier strategy back",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                let replacement = log.strategy("2023-06-01", 2022, 2025, &[35, 45]);
                log.retract("2023-07-01", replacement.event, "not adopted");
            },
            year: 2023,
            member: "/targets/0/target",
            expect: json!(30),
        },
        Case {
            name: "a retracted only strategy: none in force",
            build: |log| {
                let strategy = log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                log.retract("2023-07-01", strategy.event, "not adopted");
            },
            year: 2023,
            member: "",
            expect: Value::Null,
        },
        Case {
            name: "a strategy with one target lists one",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30]);
            },
            year: 2023,
            member: "/targets/1",
            expect: Value::Null,
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn attainment() {
    let cases = [
        Case {
            name: "a third: 33.3",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                place(log, 2023, 10);
            },
            year: 2023,
            member: "/targets/0",
            // 0 in 2022, 10 in 2023: slope 10, so 30 in 2025, the target.
            expect: json!({"metric": "people_employed", "per": "year", "target": 30,
                "actual": 10, "attainment_pct": 33.3, "met": false,
                "forecast": 30.0, "on_track": true}),
        },
        Case {
            name: "two thirds rounds up: 66.7",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                place(log, 2023, 20);
            },
            year: 2023,
            member: "/targets/0/attainment_pct",
            expect: json!(66.7),
        },
        Case {
            name: "a half tenth rounds away from zero: 1/16 = 6.25 gives 6.3",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[16, 40]);
                place(log, 2023, 1);
            },
            year: 2023,
            member: "/targets/0/attainment_pct",
            expect: json!(6.3),
        },
        Case {
            name: "exactly met: 100.0 and met",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[3, 40]);
                place(log, 2023, 3);
            },
            year: 2023,
            member: "/targets/0",
            expect: json!({"metric": "people_employed", "per": "year", "target": 3,
                "actual": 3, "attainment_pct": 100.0, "met": true,
                "forecast": 9.0, "on_track": true}),
        },
        Case {
            name: "nothing yet: 0.0",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
            },
            year: 2023,
            member: "/targets/0/attainment_pct",
            expect: json!(0.0),
        },
        Case {
            name: "a target of 0: no attainment, met",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[0, 40]);
            },
            year: 2023,
            member: "/targets/0",
            expect: json!({"metric": "people_employed", "per": "year", "target": 0,
                "actual": 0, "attainment_pct": null, "met": true,
                "forecast": 0.0, "on_track": true}),
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn forecast() {
    let cases = [
        Case {
            name: "the first year of the period: no forecast",
            build: |log| {
                log.strategy("2022-01-10", 2022, 2025, &[30, 40]);
                register(log, 2022, 31);
            },
            year: 2022,
            member: "/targets/1",
            expect: json!({"metric": "enterprises_active", "per": "period", "target": 40,
                "actual": 31, "attainment_pct": 77.5, "met": false,
                "forecast": null, "on_track": null}),
        },
        Case {
            // 10, 12, 17 at x = 0, 1, 2: mean 13, slope 7/2; at x = 4: 13 + 3.5 × 3 = 23.5.
            name: "three years, forecast just below the target",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2024, &[30, 24]);
                register(log, 2020, 10);
                register(log, 2021, 2);
                register(log, 2022, 5);
            },
            year: 2022,
            member: "/targets/1",
            expect: json!({"metric": "enterprises_active", "per": "period", "target": 24,
                "actual": 17, "attainment_pct": 70.8, "met": false,
                "forecast": 23.5, "on_track": false}),
        },
        Case {
            name: "three years, forecast above the target",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2024, &[30, 23]);
                register(log, 2020, 10);
                register(log, 2021, 2);
                register(log, 2022, 5);
            },
            year: 2022,
            member: "/targets/1/on_track",
            expect: json!(true),
        },
        Case {
            // 1, 2, 2: mean 5/3, slope 1/2; at x = 3: 5/3 + 1/2 × 2 = 2.667, shown as 2.7.
            name: "a forecast that is not a whole tenth is rounded",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2023, &[30, 3]);
                register(log, 2020, 1);
                register(log, 2021, 1);
            },
            year: 2022,
            member: "/targets/1/forecast",
            expect: json!(2.7),
        },
        Case {
            // 2.667 rounds to 2.7, which is what the reader sees; on_track compares that.
            name: "on_track compares the forecast as shown",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2023, &[30, 3]);
                register(log, 2020, 1);
                register(log, 2021, 1);
            },
            year: 2022,
            member: "/targets/1/on_track",
            expect: json!(false),
        },
        Case {
            // 4, 2 (two of four closed in 2021): slope -2; at x = 3: 4 - 6 = -2.
            name: "a falling trend may forecast below zero",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2023, &[30, 1]);
                let first = log.register("2020-03-01", EnterpriseKind::Enterprise, &[]);
                let second = log.register("2020-03-01", EnterpriseKind::Enterprise, &[]);
                register(log, 2020, 2);
                log.close("2021-05-01", first);
                log.close("2021-05-01", second);
            },
            year: 2021,
            member: "/targets/1/forecast",
            expect: json!(-2.0),
        },
        Case {
            // Years without any event still count as points: 5, 5, 5, 9 → slope 1.2,
            // mean 6; at x = 3: 6 + 1.2 × 1.5 = 7.8.
            name: "quiet years are points of the trend too",
            build: |log| {
                log.strategy("2020-01-10", 2020, 2023, &[30, 8]);
                register(log, 2020, 5);
                register(log, 2023, 4);
            },
            year: 2023,
            member: "/targets/1/forecast",
            expect: json!(7.8),
        },
    ];
    cases.iter().for_each(check);
}

/// A `StrategyRevised` replaces the targets from the year of its `occurred_on` on; /targets names
/// the revision; retracting it brings the adopted targets back.
#[test]
fn a_revision_changes_the_targets_in_force_from_its_year_and_says_so() {
    use impact_events::{EventData, Metric, StrategyRevised, Target};
    let mut log = Log::new();
    let strategy = log.strategy("2022-01-15", 2022, 2025, &[30, 40]);
    let targets = [
        (Metric::PeopleEmployed, 35),
        (Metric::GrantsTotalOre, 50_000_000),
    ]
    .map(|(metric, value)| Target {
        metric,
        per: metric.per(),
        value,
    })
    .to_vec();
    let revised = StrategyRevised {
        strategy_id: strategy.entity,
        targets,
    };
    let revision = log.push("2024-09-01", EventData::StrategyRevised(revised));
    let answer = |log: &Log, year: i32| {
        serde_json::to_value(log.projection().targets(year).expect("in force")).unwrap()
    };
    let before = answer(&log, 2023);
    assert_eq!(
        before["revision"],
        Value::Null,
        "2023 keeps the adopted targets"
    );
    assert_eq!(before["targets"][1]["metric"], "enterprises_active");
    let after = answer(&log, 2024);
    assert_eq!(after["revision"]["event_id"], json!(revision));
    assert_eq!(after["revision"]["occurred_on"], "2024-09-01");
    assert_eq!(after["revision"]["position"], 2);
    let metrics: Vec<&Value> = after["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["metric"])
        .collect();
    assert_eq!(
        metrics,
        [&json!("people_employed"), &json!("grants_total_ore")]
    );
    assert_eq!(after["targets"][1]["actual"], 0, "no grant awarded in 2024");
    log.retract("2024-10-01", revision, "the committee did not adopt it");
    assert_eq!(answer(&log, 2024)["revision"], Value::Null);
    assert_eq!(answer(&log, 2024)["targets"][0]["target"], 30);
}
