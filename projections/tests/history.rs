//! Proves `Projection::history`: the bridge `from + registered - closed == to` with every event
//! behind it listed as an `EventRef`, and the retracted events of the years, in data-driven cases.

mod common;

use common::{event_ref, reported_figures, Log};
use impact_events::{EmploymentType, EnterpriseKind::*};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    build: fn(&mut Log),
    from: i32,
    to: i32,
    /// A JSON pointer into the history.
    member: &'static str,
    /// What the member should be, given the log (for the hashes and times of its events).
    expect: fn(&Log) -> Value,
}

fn check(case: &Case) {
    let mut log = Log::new();
    (case.build)(&mut log);
    let history = log.projection().history(case.from, case.to);
    let bridge = &history.enterprises;
    assert_eq!(
        bridge.from as usize,
        bridge.from_events.len(),
        "case `{}`",
        case.name
    );
    assert_eq!(
        bridge.from + bridge.registered - bridge.closed,
        bridge.to,
        "case `{}`: the bridge does not add up",
        case.name
    );
    let history = serde_json::to_value(history).unwrap();
    let actual = history.pointer(case.member).unwrap_or(&Value::Null);
    assert_eq!(actual, &(case.expect)(&log), "case `{}`", case.name);
}

/// The EventRefs of the log's events at these positions.
fn refs(log: &Log, positions: &[usize]) -> Value {
    positions
        .iter()
        .map(|position| event_ref(&log.events[position - 1]))
        .collect()
}

#[test]
fn the_bridge() {
    let cases = [
        Case {
            name: "the reported figures: 31 + 6 - 3 = 34, people 100 to 118",
            build: |log| {
                reported_figures(log);
            },
            from: 2022,
            to: 2023,
            member: "",
            expect: |log| {
                // Positions: strategy 1, 31 registrations, 100 placements, then 2023's six
                // registrations (133-138) and three closures (139-141).
                json!({"from": 2022, "to": 2023, "as_of_position": log.events.len(),
                    "people_employed": {"from": 100, "to": 118},
                    "enterprises": {"from": 31, "registered": 6, "closed": 3, "to": 34,
                        "registered_events": refs(log, &[133, 134, 135, 136, 137, 138]),
                        "closed_events": refs(log, &[139, 140, 141]),
                        "from_events": refs(log, &(2..=32).collect::<Vec<_>>())},
                    "retracted_events": []})
            },
        },
        Case {
            name: "events of the first year are behind `from`, not listed",
            build: |log| {
                let enterprise = log.register("2022-03-01", Enterprise, &[]);
                log.register("2023-12-31", Initiative, &[]);
                log.close("2022-12-31", enterprise);
                log.register("2024-01-01", Initiative, &[]);
            },
            from: 2022,
            to: 2023,
            member: "/enterprises",
            expect: |log| {
                json!({"from": 0, "registered": 1, "closed": 0, "to": 1,
                    "registered_events": refs(log, &[2]), "closed_events": [], "from_events": []})
            },
        },
        Case {
            name: "several years: every registration and closure in (from, to]",
            build: |log| {
                let first = log.register("2020-03-01", Enterprise, &[]);
                let second = log.register("2021-03-01", Enterprise, &[]);
                log.register("2022-03-01", Initiative, &[]);
                log.close("2023-01-01", second);
                log.close("2021-06-01", first);
            },
            from: 2020,
            to: 2023,
            member: "/enterprises",
            expect: |log| {
                json!({"from": 1, "registered": 2, "closed": 2, "to": 1,
                    "registered_events": refs(log, &[2, 3]), "closed_events": refs(log, &[4, 5]),
                    "from_events": refs(log, &[1])})
            },
        },
        Case {
            name: "registered and closed within the range: listed in both",
            build: |log| {
                let enterprise = log.register("2023-03-01", Enterprise, &[]);
                log.close("2023-04-01", enterprise);
            },
            from: 2022,
            to: 2023,
            member: "/enterprises",
            expect: |log| {
                json!({"from": 0, "registered": 1, "closed": 1, "to": 0,
                    "registered_events": refs(log, &[1]), "closed_events": refs(log, &[2]),
                    "from_events": []})
            },
        },
        Case {
            name: "a retracted registration and its closure are in no term",
            build: |log| {
                let enterprise = log.register("2023-03-01", Enterprise, &[]);
                log.close("2023-04-01", enterprise);
                log.retract("2023-05-01", enterprise.event, "registered by mistake");
            },
            from: 2022,
            to: 2023,
            member: "/enterprises",
            expect: |_| {
                json!({"from": 0, "registered": 0, "closed": 0, "to": 0,
                    "registered_events": [], "closed_events": [], "from_events": []})
            },
        },
        Case {
            name: "the same year twice: nothing moves",
            build: |log| {
                let enterprise = log.register("2022-03-01", Enterprise, &[]);
                log.register("2023-03-01", Enterprise, &[]);
                log.close("2023-04-01", enterprise);
            },
            from: 2023,
            to: 2023,
            member: "/enterprises",
            expect: |log| {
                json!({"from": 1, "registered": 0, "closed": 0, "to": 1,
                    "registered_events": [], "closed_events": [], "from_events": refs(log, &[2])})
            },
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn retracted_events() {
    let cases = [
        Case {
            name: "the retracted event, the retraction and the reason",
            build: |log| {
                let placement = log.place("2023-02-01", "p1", EmploymentType::Flexjob);
                log.retract("2024-01-15", placement, "wrong person");
            },
            from: 2022,
            to: 2023,
            member: "/retracted_events",
            expect: |log| {
                let mut retracted = event_ref(&log.events[0]);
                retracted["retracted_by"] = event_ref(&log.events[1]);
                retracted["reason"] = json!("wrong person");
                json!([retracted])
            },
        },
        Case {
            name: "retracted events of [from, to] by position; others left out",
            build: |log| {
                let before = log.place("2021-12-31", "p1", EmploymentType::Ordinary);
                let enterprise = log.register("2022-01-01", Enterprise, &[]);
                let closure = log.close("2023-12-31", enterprise);
                let after = log.place("2024-01-01", "p2", EmploymentType::Ordinary);
                for event in [after, closure, before, enterprise.event] {
                    log.retract("2024-02-01", event, "wrong");
                }
            },
            from: 2022,
            to: 2023,
            member: "/retracted_events",
            expect: |log| {
                // The registration (position 2) and the closure (3), retracted at 8 and 6.
                let listed = [(2, 8), (3, 6)].map(|(position, retracted_by)| {
                    let mut retracted = event_ref(&log.events[position - 1]);
                    retracted["retracted_by"] = event_ref(&log.events[retracted_by - 1]);
                    retracted["reason"] = json!("wrong");
                    retracted
                });
                json!(listed)
            },
        },
    ];
    cases.iter().for_each(check);
}
