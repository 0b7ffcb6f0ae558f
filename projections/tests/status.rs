//! Proves each counting rule of CONTRACT §4 for `Projection::status`: each case builds a small
//! valid log, folds it, and compares one member of the status JSON with what the rule says.

mod common;

use common::Log;
use impact_events::{AgreementKind::*, EmploymentType::*, EnterpriseKind::*, TrendKind, TrialKind};
use impact_projections::Projection;
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    build: fn(&mut Log),
    year: i32,
    /// A JSON pointer into the status, e.g. `/enterprises`.
    member: &'static str,
    expect: Value,
}

fn check(case: &Case) {
    let mut log = Log::new();
    (case.build)(&mut log);
    let status = serde_json::to_value(log.projection().status(case.year)).unwrap();
    let actual = status.pointer(case.member).unwrap_or(&Value::Null);
    assert_eq!(actual, &case.expect, "case `{}`", case.name);
}

#[test]
fn the_empty_ledger_lists_every_kind_with_zero() {
    let status = serde_json::to_value(Projection::new().status(2023)).unwrap();
    let expect = json!({
        "year": 2023, "as_of_position": 0, "people_employed": 0,
        "placements": {"total": 0, "by_type": {"ordinary": 0, "flexjob": 0, "wage_subsidy": 0,
                                               "sheltered": 0, "education": 0, "other": 0}},
        "enterprises": {"active": 0, "registered": 0, "closed": 0,
                        "active_by_kind": {"enterprise": 0, "initiative": 0}},
        "agreements": {"active": 0, "signed": 0,
                       "signed_by_kind": {"partnership": 0, "civil_society": 0, "volunteering": 0}},
        "grants": {"count": 0, "total_ore": 0, "by_funder": {}},
        "trials": {"started": 0, "by_kind": {"internal_trial": 0, "trial_action": 0}},
        "trends": {"noted": 0, "by_kind": {"trend": 0, "offer": 0}},
        "sdgs": {}
    });
    assert_eq!(status, expect);
}

#[test]
fn sdg_keys_are_strings_in_numeric_order() {
    let mut log = Log::new();
    log.grant("2023-05-01", "Fonden X", 100, &[10, 8, 12]);
    let text = serde_json::to_string(&log.projection().status(2023).sdgs).unwrap();
    assert_eq!(text, r#"{"8":1,"10":1,"12":1}"#);
}

#[test]
fn as_of_position_is_the_last_applied_event() {
    let mut log = Log::new();
    log.place("2023-01-01", "p1", Ordinary);
    log.place("2023-01-02", "p2", Ordinary);
    assert_eq!(log.projection().status(2023).as_of_position, 2);
    assert_eq!(log.projection().position(), 2);
}

#[test]
fn an_event_id_used_again_counts_nothing_and_the_first_event_stands() {
    let mut log = Log::new();
    let first = log.place("2023-01-10", "p1", Ordinary);
    // Not a valid log (the rules refuse it): the projection still takes it without panicking.
    let again = impact_events::EventData::PersonPlacedInEmployment(
        impact_events::PersonPlacedInEmployment {
            placement_id: uuid::Uuid::from_u128(7),
            person_ref: "p2".to_owned(),
            employment_type: Flexjob,
            enterprise_id: None,
        },
    );
    log.push_with_id(first, common::date("2023-02-01"), again);
    let status = serde_json::to_value(log.projection().status(2023)).unwrap();
    assert_eq!(status["people_employed"], json!(1));
    assert_eq!(status["placements"]["total"], json!(1));
    assert_eq!(status["placements"]["by_type"]["flexjob"], json!(0));
}

#[test]
fn people_and_placements() {
    let cases = [
        Case {
            name: "a person placed twice in one year counts once",
            build: |log| {
                log.place("2023-01-10", "p1", Ordinary);
                log.place("2023-06-01", "p1", Flexjob);
                log.place("2023-03-01", "p2", Ordinary);
            },
            year: 2023,
            member: "/people_employed",
            expect: json!(2),
        },
        Case {
            name: "every placement counts in placements, by type",
            build: |log| {
                log.place("2023-01-10", "p1", Ordinary);
                log.place("2023-06-01", "p1", Flexjob);
                log.place("2023-03-01", "p2", Ordinary);
                log.place("2023-12-31", "p3", Other);
            },
            year: 2023,
            member: "/placements",
            expect: json!({"total": 4, "by_type": {"ordinary": 2, "flexjob": 1,
                "wage_subsidy": 0, "sheltered": 0, "education": 0, "other": 1}}),
        },
        Case {
            name: "a placement counts only in the year it occurred",
            build: |log| {
                log.place("2022-12-31", "p1", Ordinary);
                log.place("2023-01-01", "p2", Ordinary);
                log.place("2024-01-01", "p3", Ordinary);
            },
            year: 2023,
            member: "/people_employed",
            expect: json!(1),
        },
        Case {
            name: "a retracted placement counts nowhere",
            build: |log| {
                let wrong = log.place("2023-02-01", "p1", Sheltered);
                log.place("2023-03-01", "p2", Ordinary);
                log.retract("2023-04-01", wrong, "wrong person");
            },
            year: 2023,
            member: "/placements",
            expect: json!({"total": 1, "by_type": {"ordinary": 1, "flexjob": 0,
                "wage_subsidy": 0, "sheltered": 0, "education": 0, "other": 0}}),
        },
        Case {
            name: "a person with one of two placements retracted still counts",
            build: |log| {
                let wrong = log.place("2023-02-01", "p1", Ordinary);
                log.place("2023-03-01", "p1", Ordinary);
                log.retract("2023-04-01", wrong, "entered twice");
            },
            year: 2023,
            member: "/people_employed",
            expect: json!(1),
        },
        Case {
            name: "a person with every placement retracted does not count",
            build: |log| {
                let first = log.place("2023-02-01", "p1", Ordinary);
                let second = log.place("2023-03-01", "p1", Education);
                log.retract("2023-04-01", first, "wrong");
                log.retract("2023-04-01", second, "wrong");
            },
            year: 2023,
            member: "/people_employed",
            expect: json!(0),
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn enterprises() {
    let cases = [
        Case {
            name: "registered and closed in the same year: not active at its end",
            build: |log| {
                let enterprise = log.register("2023-02-01", Enterprise, &[]);
                log.close("2023-11-30", enterprise);
            },
            year: 2023,
            member: "/enterprises",
            expect: json!({"active": 0, "registered": 1, "closed": 1,
                "active_by_kind": {"enterprise": 0, "initiative": 0}}),
        },
        Case {
            name: "registered and closed in the same year: nothing the year after",
            build: |log| {
                let enterprise = log.register("2023-02-01", Enterprise, &[]);
                log.close("2023-11-30", enterprise);
            },
            year: 2024,
            member: "/enterprises",
            expect: json!({"active": 0, "registered": 0, "closed": 0,
                "active_by_kind": {"enterprise": 0, "initiative": 0}}),
        },
        Case {
            name: "closed on 31 Dec is not active at the end of that year",
            build: |log| {
                let enterprise = log.register("2022-05-01", Initiative, &[]);
                log.close("2023-12-31", enterprise);
            },
            year: 2023,
            member: "/enterprises",
            expect: json!({"active": 0, "registered": 0, "closed": 1,
                "active_by_kind": {"enterprise": 0, "initiative": 0}}),
        },
        Case {
            name: "active in the years between registration and closure, by kind",
            build: |log| {
                let closing = log.register("2021-05-01", Initiative, &[]);
                log.register("2022-12-31", Enterprise, &[]);
                log.register("2023-01-01", Enterprise, &[]);
                log.register("2024-01-01", Enterprise, &[]);
                log.close("2024-01-01", closing);
            },
            year: 2023,
            member: "/enterprises",
            expect: json!({"active": 3, "registered": 1, "closed": 0,
                "active_by_kind": {"enterprise": 2, "initiative": 1}}),
        },
        Case {
            name: "a retracted closure opens the enterprise again",
            build: |log| {
                let enterprise = log.register("2022-05-01", Enterprise, &[]);
                let closure = log.close("2023-03-01", enterprise);
                log.retract("2023-04-01", closure, "it did not close");
            },
            year: 2023,
            member: "/enterprises",
            expect: json!({"active": 1, "registered": 0, "closed": 0,
                "active_by_kind": {"enterprise": 1, "initiative": 0}}),
        },
        Case {
            name: "an enterprise closed again after a retracted closure",
            build: |log| {
                let enterprise = log.register("2022-05-01", Enterprise, &[]);
                let closure = log.close("2023-03-01", enterprise);
                log.retract("2023-04-01", closure, "wrong date");
                log.close("2024-03-01", enterprise);
            },
            year: 2023,
            member: "/enterprises/active",
            expect: json!(1),
        },
        Case {
            name: "the closure of a retracted registration counts nowhere",
            build: |log| {
                let enterprise = log.register("2023-01-05", Enterprise, &[]);
                log.close("2023-06-01", enterprise);
                log.retract("2023-07-01", enterprise.event, "never existed");
            },
            year: 2023,
            member: "/enterprises",
            expect: json!({"active": 0, "registered": 0, "closed": 0,
                "active_by_kind": {"enterprise": 0, "initiative": 0}}),
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn agreements() {
    let cases = [
        Case {
            name: "valid_to before the year's end: signed, not active",
            build: |log| {
                log.sign("2023-01-01", Partnership, Some("2023-12-30"));
            },
            year: 2023,
            member: "/agreements",
            expect: json!({"active": 0, "signed": 1,
                "signed_by_kind": {"partnership": 1, "civil_society": 0, "volunteering": 0}}),
        },
        Case {
            name: "valid_to on 31 Dec: active that year",
            build: |log| {
                log.sign("2023-01-01", Partnership, Some("2023-12-31"));
            },
            year: 2023,
            member: "/agreements/active",
            expect: json!(1),
        },
        Case {
            name: "valid_to on 31 Dec: not active the year after",
            build: |log| {
                log.sign("2023-01-01", Partnership, Some("2023-12-31"));
            },
            year: 2024,
            member: "/agreements/active",
            expect: json!(0),
        },
        Case {
            name: "valid_to in a later year: active until the year before it",
            build: |log| {
                log.sign("2021-01-01", CivilSociety, Some("2024-06-30"));
            },
            year: 2023,
            member: "/agreements",
            expect: json!({"active": 1, "signed": 0,
                "signed_by_kind": {"partnership": 0, "civil_society": 0, "volunteering": 0}}),
        },
        Case {
            name: "without valid_to: active every year after signing",
            build: |log| {
                log.sign("2019-03-01", Volunteering, None);
            },
            year: 2030,
            member: "/agreements/active",
            expect: json!(1),
        },
        Case {
            name: "ended: not active from the year it ended",
            build: |log| {
                let agreement = log.sign("2022-03-01", Volunteering, None);
                log.end("2023-05-01", agreement);
            },
            year: 2023,
            member: "/agreements/active",
            expect: json!(0),
        },
        Case {
            name: "ended: still active the year before it ended",
            build: |log| {
                let agreement = log.sign("2022-03-01", Volunteering, None);
                log.end("2023-05-01", agreement);
            },
            year: 2022,
            member: "/agreements/active",
            expect: json!(1),
        },
        Case {
            name: "a retracted ending: active again",
            build: |log| {
                let agreement = log.sign("2022-03-01", Volunteering, None);
                let ending = log.end("2023-05-01", agreement);
                log.retract("2023-06-01", ending, "it goes on");
            },
            year: 2023,
            member: "/agreements/active",
            expect: json!(1),
        },
        Case {
            name: "a retracted signing counts nowhere",
            build: |log| {
                let agreement = log.sign("2023-03-01", Partnership, None);
                log.retract("2023-06-01", agreement.event, "not signed after all");
            },
            year: 2023,
            member: "/agreements",
            expect: json!({"active": 0, "signed": 0,
                "signed_by_kind": {"partnership": 0, "civil_society": 0, "volunteering": 0}}),
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn grants_trials_and_trends() {
    let cases = [
        Case {
            name: "grants: count, total øre and per funder",
            build: |log| {
                log.grant("2023-02-01", "Fonden X", 10_000_000, &[]);
                log.grant("2023-05-01", "Fonden X", 20_000_000, &[]);
                log.grant("2023-06-01", "Puljen Y", 20_000_000, &[]);
                log.grant("2022-06-01", "Puljen Z", 5, &[]);
            },
            year: 2023,
            member: "/grants",
            expect: json!({"count": 3, "total_ore": 50_000_000,
                "by_funder": {"Fonden X": 30_000_000, "Puljen Y": 20_000_000}}),
        },
        Case {
            name: "a funder whose only grant is retracted disappears",
            build: |log| {
                log.grant("2023-02-01", "Fonden X", 10_000_000, &[]);
                let wrong = log.grant("2023-05-01", "Puljen Y", 20_000_000, &[]);
                log.retract("2023-06-01", wrong, "application refused");
            },
            year: 2023,
            member: "/grants",
            expect: json!({"count": 1, "total_ore": 10_000_000,
                "by_funder": {"Fonden X": 10_000_000}}),
        },
        Case {
            name: "trials by kind",
            build: |log| {
                log.trial("2023-02-01", TrialKind::InternalTrial, &[]);
                log.trial("2023-03-01", TrialKind::TrialAction, &[]);
                let wrong = log.trial("2023-03-01", TrialKind::TrialAction, &[]);
                log.trial("2023-04-01", TrialKind::TrialAction, &[]);
                log.retract("2023-05-01", wrong, "duplicate");
            },
            year: 2023,
            member: "/trials",
            expect: json!({"started": 3, "by_kind": {"internal_trial": 1, "trial_action": 2}}),
        },
        Case {
            name: "trends by kind",
            build: |log| {
                log.trend("2023-02-01", TrendKind::Trend, &[]);
                log.trend("2023-03-01", TrendKind::Trend, &[]);
                log.trend("2023-03-01", TrendKind::Offer, &[]);
                log.trend("2024-01-01", TrendKind::Offer, &[]);
            },
            year: 2023,
            member: "/trends",
            expect: json!({"noted": 3, "by_kind": {"trend": 2, "offer": 1}}),
        },
    ];
    cases.iter().for_each(check);
}

#[test]
fn sdgs() {
    let cases = [
        Case {
            name: "active enterprises, grants and trials of the year; not trends",
            build: |log| {
                log.register("2021-01-01", Enterprise, &[8, 10]);
                let closed = log.register("2021-01-01", Initiative, &[8, 17]);
                log.close("2022-06-01", closed);
                log.grant("2023-01-01", "Fonden X", 100, &[8]);
                log.grant("2022-01-01", "Fonden X", 100, &[3]);
                log.trial("2023-01-01", TrialKind::InternalTrial, &[12]);
                log.trend("2023-01-01", TrendKind::Trend, &[1]);
            },
            year: 2023,
            member: "/sdgs",
            expect: json!({"8": 2, "10": 1, "12": 1}),
        },
        Case {
            name: "an enterprise's goals count from its registration year on",
            build: |log| {
                log.register("2023-12-31", Enterprise, &[5]);
            },
            year: 2024,
            member: "/sdgs",
            expect: json!({"5": 1}),
        },
        Case {
            name: "retracted carriers of a goal count nowhere",
            build: |log| {
                let enterprise = log.register("2023-01-01", Enterprise, &[5]);
                let grant = log.grant("2023-01-01", "Fonden X", 100, &[5]);
                let trial = log.trial("2023-01-01", TrialKind::TrialAction, &[5, 6]);
                log.trial("2023-01-01", TrialKind::TrialAction, &[6]);
                for event in [enterprise.event, grant, trial] {
                    log.retract("2023-02-01", event, "wrong");
                }
            },
            year: 2023,
            member: "/sdgs",
            expect: json!({"6": 1}),
        },
    ];
    cases.iter().for_each(check);
}
