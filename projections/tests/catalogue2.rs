//! Proves catalogue 2's folds on logs worked out by hand: retention (`retention_6m_pct`) by
//! CONTRACT §11's definition, its target and forecast, and renewals extending an agreement
//! from their date on; each figure checked against the count written beside it.

mod common;

use common::{date, Log};
use impact_events::*;
use serde_json::json;
use uuid::Uuid;

/// Placements of 2022 (and one of 2023) with endings; see each line for what it counts as.
fn placements(log: &mut Log) -> Uuid {
    let place = |log: &mut Log, on: &str| log.place_ids(on, "p", EmploymentType::Ordinary, None);
    // Never ended: retained.
    place(log, "2022-01-15");
    // Ended the day before its six-month day (2022-09-01): not retained.
    let early = place(log, "2022-03-01");
    let early_end = log.end_placement("2022-08-31", early);
    // Ended on its six-month day: it lasted six months, retained.
    let on_the_day = place(log, "2022-03-01");
    log.end_placement("2022-09-01", on_the_day);
    // 31 Aug turns six months old on 28 Feb; ended the day before: not retained.
    let august = place(log, "2022-08-31");
    log.end_placement("2023-02-27", august);
    // Six months old on 2023-06-30: retained from that day on.
    place(log, "2022-12-31");
    // Retracted: counts nowhere.
    let retracted = place(log, "2022-12-31");
    log.retract("2023-01-05", retracted.event, "wrong person");
    // Another year's.
    place(log, "2023-02-01");
    early_end
}

#[test]
fn retention_counts_what_stayed_six_months_and_leaves_out_the_too_recent() {
    let mut log = Log::new();
    let early_end = placements(&mut log);
    let on = |log: &Log, day: &str| {
        serde_json::to_value(log.projection().retention_on(2022, date(day))).unwrap()
    };
    assert_eq!(
        on(&log, "2023-06-30"),
        json!({"year": 2022, "as_of": "2023-06-30", "started": 5, "measured": 5,
               "retained": 3, "too_recent": 0, "retention_pct": 60.0})
    );
    // A day earlier the last placement is not six months old: left out, and said so.
    assert_eq!(
        on(&log, "2023-06-29"),
        json!({"year": 2022, "as_of": "2023-06-29", "started": 5, "measured": 4,
               "retained": 2, "too_recent": 1, "retention_pct": 50.0})
    );
    // Before any placement is six months old there is no percentage.
    assert_eq!(on(&log, "2022-07-14")["retention_pct"], json!(null));
    assert_eq!(on(&log, "2022-07-15")["measured"], json!(1));
    // Retracting an ending makes its placement retained again.
    log.retract("2023-07-01", early_end, "it did not end");
    assert_eq!(on(&log, "2023-06-30")["retained"], json!(4));
    assert_eq!(on(&log, "2023-06-30")["retention_pct"], json!(80.0));
}

#[test]
fn retention_is_measured_on_the_day_the_last_event_was_recorded() {
    let mut log = Log::new();
    placements(&mut log);
    let projection = log.projection();
    // Every event of these logs is recorded on 2023-11-14.
    let recorded_on = log
        .events
        .last()
        .unwrap()
        .recorded_at
        .to_datetime()
        .date_naive();
    assert_eq!(recorded_on, date("2023-11-14"));
    assert_eq!(
        projection.retention(2022),
        projection.retention_on(2022, recorded_on)
    );
    assert_eq!(projection.retention(2023).measured, 1);
    // The fold of the past measures on its own last day, as a fold of that prefix does.
    let past = projection.past(3).fold();
    let prefix = impact_projections::Projection::fold(&log.events[..3]);
    assert_eq!(past.retention(2022), prefix.retention(2022));
}

#[test]
fn a_retention_target_is_met_attained_and_forecast_in_per_cent() {
    let mut log = Log::new();
    let strategy_id = log.fresh_id();
    let targets = vec![Target {
        metric: Metric::RetentionSixMonthsPct,
        per: Per::Year,
        value: 75,
    }];
    let adopted = StrategyAdopted {
        strategy_id,
        name: "Strategi 2022-2025".to_owned(),
        from_year: 2022,
        to_year: 2025,
        targets,
    };
    log.push("2022-01-10", EventData::StrategyAdopted(adopted));
    placements(&mut log);
    let answer = |year: i32| serde_json::to_value(log.projection().targets(year)).unwrap();
    // 2022: 3 of 5 = 60.0 % against 75: 80.0 % attained.
    assert_eq!(
        answer(2022)["targets"][0],
        json!({"metric": "retention_6m_pct", "per": "year", "target": 75, "actual": 60.0,
               "attainment_pct": 80.0, "met": false, "forecast": null, "on_track": null,
               "basis": {"forecast_year": 2025, "points": [{"year": 2022, "value": 60.0}]},
               "retention": {"year": 2022, "as_of": "2023-11-14", "started": 5, "measured": 5,
                             "retained": 3, "too_recent": 0, "retention_pct": 60.0}})
    );
    // 2023: 1 of 1; the trend 60 → 100 would pass 100 %, a share cannot: the forecast stops
    // at 100.0.
    let target = &answer(2023)["targets"][0];
    assert_eq!(target["actual"], json!(100.0));
    assert_eq!(target["attainment_pct"], json!(133.3));
    assert_eq!(target["forecast"], json!(100.0));
    assert_eq!(target["on_track"], json!(true));
    // A year with nothing six months old yet has no figure, and no point in the basis.
    assert_eq!(answer(2024)["targets"][0]["actual"], json!(null));
    assert_eq!(answer(2024)["targets"][0]["met"], json!(false));
    assert_eq!(
        answer(2024)["targets"][0]["basis"]["points"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_renewal_extends_an_agreement_from_its_date_on() {
    let active = |log: &Log| -> Vec<u64> {
        let projection = log.projection();
        (2022..=2026)
            .map(|year| projection.status(year).agreements.active)
            .collect()
    };
    let mut log = Log::new();
    let agreement = log.sign("2022-03-01", AgreementKind::Partnership, Some("2022-06-30"));
    assert_eq!(active(&log), [0, 0, 0, 0, 0], "expired within 2022");

    // Renewed within 2022 to the end of 2023: active at the end of 2022 and 2023.
    let renewal = log.renew("2022-05-01", agreement, "2023-12-31");
    assert_eq!(active(&log), [1, 1, 0, 0, 0]);

    // Renewed again in 2025, after it had lapsed: 2024 stays inactive; history is not
    // rewritten by a later renewal.
    let second = log.renew("2025-02-01", agreement, "2026-12-31");
    assert_eq!(active(&log), [1, 1, 0, 1, 1]);

    // Retracting the first renewal brings back the signing's end date for 2022-2024.
    log.retract("2025-03-01", renewal, "typed in the wrong agreement");
    assert_eq!(active(&log), [0, 0, 0, 1, 1]);

    // An ending still ends it, whatever a renewal said.
    log.end("2026-05-01", agreement);
    assert_eq!(active(&log), [0, 0, 0, 1, 0]);
    log.retract("2026-06-01", second, "not renewed after all");
    assert_eq!(active(&log), [0, 0, 0, 0, 0]);

    // The agreements list of a year holds what its figure counts.
    let mut log = Log::new();
    let agreement = log.sign("2022-03-01", AgreementKind::Partnership, Some("2022-06-30"));
    log.renew("2023-01-10", agreement, "2024-12-31");
    let projection = log.projection();
    for year in 2022..=2025 {
        let query: impact_projections::EntryQuery<AgreementKind> = impact_projections::EntryQuery {
            year: Some(year),
            ..impact_projections::EntryQuery::default()
        };
        let listed = projection.agreements(&query.into()).total;
        assert_eq!(listed, projection.status(year).agreements.active, "{year}");
    }
    assert_eq!(projection.status(2024).agreements.active, 1);
}
