//! Proves with proptest, over random valid logs, that the incremental fold is the fold: a
//! projection equals a naive recount from scratch, a snapshot at N equals a fold of the first N
//! events, the history bridge always adds up, and a retraction is exactly "it never happened";
//! and that the lists of CONTRACT §9 hold exactly the entities the figures count (per year, page
//! by page), search as the words say, and "at position N" list what a fold of N events lists.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use common::Log;
use impact_events::*;
use impact_projections::{
    EnterpriseQuery, EnterpriseStatus, EntryQuery, Page, Paging, PlacementQuery, Projection,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use uuid::Uuid;

/// The years every property looks at: a margin around the years events occur in.
const YEARS: std::ops::RangeInclusive<i32> = 2019..=2027;

/// One step of a random log; the interpreter turns it into a valid event or skips it.
#[derive(Clone, Debug)]
enum Step {
    Register {
        day: u16,
        initiative: bool,
        goals: Vec<u8>,
    },
    Close {
        pick: Index,
        after_days: u16,
    },
    Place {
        day: u16,
        person: u8,
        employment_type: u8,
        /// At an open enterprise (on its registration day, so that any closure follows it).
        at: Option<Index>,
    },
    /// A `PlacementEnded` of a placement that stands and has not ended (catalogue 2).
    EndPlacement {
        pick: Index,
        after_days: u16,
    },
    /// An `AgreementRenewed` of a running agreement (catalogue 2).
    Renew {
        pick: Index,
        after_days: u16,
        valid_days: u16,
    },
    Grant {
        day: u16,
        funder: u8,
        amount_ore: i64,
        goals: Vec<u8>,
    },
    Sign {
        day: u16,
        kind: u8,
        valid_to: ValidTo,
    },
    End {
        pick: Index,
        after_days: u16,
    },
    Trial {
        day: u16,
        action: bool,
        goals: Vec<u8>,
    },
    Trend {
        day: u16,
        offer: bool,
        goals: Vec<u8>,
    },
    Strategy {
        from_year: i32,
        years: i32,
        people: i64,
        enterprises: i64,
    },
    /// A `StrategyRevised` of a strategy adopted before (catalogue 2).
    Revise {
        pick: Index,
        day: u16,
        people: i64,
        trials: i64,
    },
    Retract {
        pick: Index,
    },
}

#[derive(Clone, Debug)]
enum ValidTo {
    Open,
    DaysAfter(u16),
    YearEnd(u8),
}

fn goals() -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::subsequence((1..=17u8).collect::<Vec<_>>(), 0..3)
}

/// A day in 2020-2024, as days after 1 Jan 2020.
fn day() -> impl Strategy<Value = u16> {
    0..1826u16
}

fn step() -> impl Strategy<Value = Step> {
    let valid_to = prop_oneof![
        Just(ValidTo::Open),
        (0..900u16).prop_map(ValidTo::DaysAfter),
        (0..3u8).prop_map(ValidTo::YearEnd),
    ];
    prop_oneof![
        4 => (day(), any::<bool>(), goals())
            .prop_map(|(day, initiative, goals)| Step::Register { day, initiative, goals }),
        2 => (any::<Index>(), 0..900u16)
            .prop_map(|(pick, after_days)| Step::Close { pick, after_days }),
        5 => (day(), 0..6u8, 0..6u8, proptest::option::of(any::<Index>())).prop_map(
            |(day, person, employment_type, at)| Step::Place { day, person, employment_type, at }
        ),
        2 => (day(), 0..3u8, 1..1_000_000i64, goals()).prop_map(
            |(day, funder, amount_ore, goals)| Step::Grant { day, funder, amount_ore, goals }
        ),
        2 => (day(), 0..3u8, valid_to).prop_map(|(day, kind, valid_to)| Step::Sign {
            day, kind, valid_to
        }),
        1 => (any::<Index>(), 0..900u16)
            .prop_map(|(pick, after_days)| Step::End { pick, after_days }),
        1 => (day(), any::<bool>(), goals())
            .prop_map(|(day, action, goals)| Step::Trial { day, action, goals }),
        1 => (day(), any::<bool>(), goals())
            .prop_map(|(day, offer, goals)| Step::Trend { day, offer, goals }),
        1 => (2019..2025i32, 0..4i32, 0..10i64, 0..10i64).prop_map(
            |(from_year, years, people, enterprises)| Step::Strategy {
                from_year, years, people, enterprises
            }
        ),
        1 => (any::<Index>(), day(), 0..10i64, 0..10i64).prop_map(
            |(pick, day, people, trials)| Step::Revise { pick, day, people, trials }
        ),
        2 => (any::<Index>(), 0..400u16)
            .prop_map(|(pick, after_days)| Step::EndPlacement { pick, after_days }),
        1 => (any::<Index>(), 0..900u16, 0..900u16).prop_map(
            |(pick, after_days, valid_days)| Step::Renew { pick, after_days, valid_days }
        ),
        2 => any::<Index>().prop_map(|pick| Step::Retract { pick }),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(step(), 0..60)
}

/// What the interpreter must know to keep the log valid.
#[derive(Default)]
struct Model {
    log: Log,
    /// Registered, not retracted, not closed: with their registration date.
    open_enterprises: Vec<(common::Ids, NaiveDate)>,
    /// Signed, not retracted, not ended: with their signing date.
    running_agreements: Vec<(common::Ids, NaiveDate)>,
    /// Events that are neither retractions nor retracted.
    retractable: Vec<Uuid>,
    /// Closures and endings, to reopen their entity when one is retracted.
    endings: HashMap<Uuid, (common::Ids, NaiveDate)>,
    /// Every strategy adopted, to revise (a revision of a retracted one is never stored).
    strategies: Vec<(common::Ids, NaiveDate, i32)>,
    /// Placements that stand and have not ended, with their start.
    open_placements: Vec<(common::Ids, NaiveDate)>,
    /// Placement endings, to reopen their placement when one is retracted.
    placement_endings: HashMap<Uuid, (common::Ids, NaiveDate)>,
}

fn date_after(start: NaiveDate, days: u16) -> NaiveDate {
    start + Days::new(u64::from(days))
}

fn day_date(day: u16) -> String {
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    date_after(first, day).format("%Y-%m-%d").to_string()
}

const EMPLOYMENT_TYPES: [EmploymentType; 6] = [
    EmploymentType::Ordinary,
    EmploymentType::Flexjob,
    EmploymentType::WageSubsidy,
    EmploymentType::Sheltered,
    EmploymentType::Education,
    EmploymentType::Other,
];
const AGREEMENT_KINDS: [AgreementKind; 3] = [
    AgreementKind::Partnership,
    AgreementKind::CivilSociety,
    AgreementKind::Volunteering,
];

impl Model {
    fn take(&mut self, step: &Step) {
        let log = &mut self.log;
        let created = match step {
            Step::Register {
                day,
                initiative,
                goals,
            } => {
                let kind = if *initiative {
                    EnterpriseKind::Initiative
                } else {
                    EnterpriseKind::Enterprise
                };
                let ids = log.register(&day_date(*day), kind, goals);
                self.open_enterprises
                    .push((ids, common::date(&day_date(*day))));
                Some(ids.event)
            }
            Step::Close { pick, after_days } => {
                if self.open_enterprises.is_empty() {
                    return;
                }
                let (ids, registered_on) = self
                    .open_enterprises
                    .swap_remove(pick.index(self.open_enterprises.len()));
                let on = date_after(registered_on, *after_days);
                let closure = log.close(&on.to_string(), ids);
                self.endings.insert(closure, (ids, registered_on));
                Some(closure)
            }
            Step::Place {
                day,
                person,
                employment_type,
                at,
            } => {
                let employment_type = EMPLOYMENT_TYPES[usize::from(*employment_type)];
                // `p1` and `P1` are one person (CONTRACT §8): logs from before that rule may
                // hold both spellings, and the fold counts them once.
                let person = match person {
                    0..=2 => format!("p{person}"),
                    other => format!("P{}", other - 3),
                };
                let open = &self.open_enterprises;
                let at = at
                    .filter(|_| !open.is_empty())
                    .map(|at| open[at.index(open.len())]);
                let (on, enterprise) = match at {
                    Some((ids, registered_on)) => (registered_on.to_string(), Some(ids.entity)),
                    None => (day_date(*day), None),
                };
                let ids = log.place_ids(&on, &person, employment_type, enterprise);
                self.open_placements.push((ids, common::date(&on)));
                Some(ids.event)
            }
            Step::EndPlacement { pick, after_days } => {
                if self.open_placements.is_empty() {
                    return;
                }
                let (ids, started_on) = self
                    .open_placements
                    .swap_remove(pick.index(self.open_placements.len()));
                let ending =
                    log.end_placement(&date_after(started_on, *after_days).to_string(), ids);
                self.placement_endings.insert(ending, (ids, started_on));
                Some(ending)
            }
            Step::Renew {
                pick,
                after_days,
                valid_days,
            } => {
                if self.running_agreements.is_empty() {
                    return;
                }
                let (ids, signed_on) =
                    self.running_agreements[pick.index(self.running_agreements.len())];
                let on = date_after(signed_on, *after_days);
                let valid_to = date_after(on, *valid_days).to_string();
                Some(log.renew(&on.to_string(), ids, &valid_to))
            }
            Step::Grant {
                day,
                funder,
                amount_ore,
                goals,
            } => {
                let funder = format!("Fonden {funder}");
                Some(log.grant(&day_date(*day), &funder, *amount_ore, goals))
            }
            Step::Sign {
                day,
                kind,
                valid_to,
            } => {
                let on = common::date(&day_date(*day));
                let valid_to = match valid_to {
                    ValidTo::Open => None,
                    ValidTo::DaysAfter(days) => Some(date_after(on, *days)),
                    ValidTo::YearEnd(years) => {
                        NaiveDate::from_ymd_opt(on.year() + i32::from(*years), 12, 31)
                    }
                };
                let valid_to = valid_to.map(|date| date.to_string());
                let kind = AGREEMENT_KINDS[usize::from(*kind)];
                let ids = log.sign(&on.to_string(), kind, valid_to.as_deref());
                self.running_agreements.push((ids, on));
                Some(ids.event)
            }
            Step::End { pick, after_days } => {
                if self.running_agreements.is_empty() {
                    return;
                }
                let (ids, signed_on) = self
                    .running_agreements
                    .swap_remove(pick.index(self.running_agreements.len()));
                let ending = log.end(&date_after(signed_on, *after_days).to_string(), ids);
                self.endings.insert(ending, (ids, signed_on));
                Some(ending)
            }
            Step::Trial { day, action, goals } => {
                let kind = if *action {
                    TrialKind::TrialAction
                } else {
                    TrialKind::InternalTrial
                };
                Some(log.trial(&day_date(*day), kind, goals))
            }
            Step::Trend { day, offer, goals } => {
                let kind = if *offer {
                    TrendKind::Offer
                } else {
                    TrendKind::Trend
                };
                Some(log.trend(&day_date(*day), kind, goals))
            }
            Step::Strategy {
                from_year,
                years,
                people,
                enterprises,
            } => {
                let on = format!("{from_year}-01-15");
                let to_year = from_year + years;
                let ids = log.strategy(&on, *from_year, to_year, &[*people, *enterprises]);
                self.strategies.push((ids, common::date(&on), to_year));
                Some(ids.event)
            }
            Step::Revise {
                pick,
                day,
                people,
                trials,
            } => {
                // A revision of a standing strategy, within its life (the rules refuse others).
                let standing: Vec<(common::Ids, NaiveDate, i32)> = self
                    .strategies
                    .iter()
                    .filter(|(ids, _, _)| self.retractable.contains(&ids.event))
                    .copied()
                    .collect();
                if standing.is_empty() {
                    return;
                }
                let (ids, adopted_on, to_year) = standing[pick.index(standing.len())];
                let on = common::date(&day_date(*day)).max(adopted_on);
                if on.year() > to_year {
                    return;
                }
                let targets = [
                    (Metric::PeopleEmployed, *people),
                    (Metric::TrialsStarted, *trials),
                    (Metric::RetentionSixMonthsPct, *people * 10),
                    (Metric::AgreementsActive, *trials),
                ]
                .map(|(metric, value)| Target {
                    metric,
                    per: metric.per(),
                    value,
                })
                .to_vec();
                let revised = StrategyRevised {
                    strategy_id: ids.entity,
                    targets,
                };
                Some(log.push(&on.to_string(), EventData::StrategyRevised(revised)))
            }
            Step::Retract { pick } => {
                if self.retractable.is_empty() {
                    return;
                }
                let target = self
                    .retractable
                    .swap_remove(pick.index(self.retractable.len()));
                self.retract(target);
                None
            }
        };
        self.retractable.extend(created);
    }

    fn retract(&mut self, target: Uuid) {
        self.log.retract("2025-06-01", target, "a mistake");
        self.open_enterprises.retain(|(ids, _)| ids.event != target);
        self.running_agreements
            .retain(|(ids, _)| ids.event != target);
        self.open_placements.retain(|(ids, _)| ids.event != target);
        if let Some((ids, started_on)) = self.placement_endings.remove(&target) {
            if self.retractable.contains(&ids.event) {
                self.open_placements.push((ids, started_on));
            }
        }
        if let Some((ids, created_on)) = self.endings.remove(&target) {
            // A retracted closure or ending reopens its entity, unless that is gone too.
            let kind_of = |event: Uuid| self.log.events.iter().find(|e| e.id == event).unwrap();
            let still_there = self.retractable.contains(&ids.event);
            if still_there {
                match kind_of(ids.event).data {
                    EventData::EnterpriseRegistered(_) => {
                        self.open_enterprises.push((ids, created_on))
                    }
                    _ => self.running_agreements.push((ids, created_on)),
                }
            }
        }
    }
}

fn build(steps: &[Step]) -> Log {
    let mut model = Model::default();
    for step in steps {
        model.take(step);
    }
    model.log
}

/// Everything the projection answers for the years around the log, as JSON.
fn observe(projection: &Projection) -> Value {
    let statuses: Vec<_> = YEARS.map(|year| projection.status(year)).collect();
    let targets: Vec<_> = YEARS.map(|year| projection.targets(year)).collect();
    let retention: Vec<_> = YEARS
        .flat_map(|year| {
            let on_days =
                RETENTION_DAYS.map(|day| projection.retention_on(year, common::date(day)));
            std::iter::once(projection.retention(year)).chain(on_days)
        })
        .collect();
    let histories: Vec<_> = YEARS
        .flat_map(|from| (from..=*YEARS.end()).map(move |to| (from, to)))
        .map(|(from, to)| projection.history(from, to))
        .collect();
    json!({"position": projection.position(), "statuses": statuses, "targets": targets,
           "histories": histories, "retention": retention})
}

/// Days retention is measured on besides the fold's own as-of day (in these logs every event
/// is recorded on 2023-11-14).
const RETENTION_DAYS: [&str; 5] = [
    "2020-06-30",
    "2021-12-31",
    "2023-03-01",
    "2024-07-01",
    "2026-01-31",
];

/// Retention of `year` on the day `as_of`, recounted from scratch from CONTRACT §11's words.
fn recount_retention(events: &[StoredEvent], year: i32, as_of: NaiveDate) -> Value {
    let retracted = retracted_ids(events);
    let standing = || events.iter().filter(|event| !retracted.contains(&event.id));
    let ended_on: HashMap<Uuid, NaiveDate> = standing()
        .filter_map(|event| match &event.data {
            EventData::PlacementEnded(ended) => Some((ended.placement_id, event.occurred_on)),
            _ => None,
        })
        .collect();
    let (mut started, mut measured, mut retained) = (0u64, 0u64, 0u64);
    for event in standing().filter(|event| event.occurred_on.year() == year) {
        let EventData::PersonPlacedInEmployment(placed) = &event.data else {
            continue;
        };
        started += 1;
        let six_months = event
            .occurred_on
            .checked_add_months(chrono::Months::new(6))
            .unwrap();
        if six_months <= as_of {
            measured += 1;
            let ended_early = ended_on
                .get(&placed.placement_id)
                .is_some_and(|on| *on < six_months);
            retained += u64::from(!ended_early);
        }
    }
    // Rounded half away from zero to tenths, as the projection does.
    let pct = (measured > 0).then(|| (retained * 2000 / measured).div_ceil(2));
    json!({"year": year, "as_of": as_of, "started": started, "measured": measured,
           "retained": retained, "too_recent": started - measured,
           "retention_pct": pct.map(|tenths| tenths as f64 / 10.0)})
}

fn retracted_ids(events: &[StoredEvent]) -> HashSet<Uuid> {
    events
        .iter()
        .filter_map(|event| match &event.data {
            EventData::EventRetracted(retraction) => Some(retraction.event_id),
            _ => None,
        })
        .collect()
}

/// The status of `year` recounted from scratch, straight from the words of CONTRACT §4.
fn recount(events: &[StoredEvent], year: i32) -> Value {
    let retracted = retracted_ids(events);
    let standing: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| !retracted.contains(&event.id))
        .collect();
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let in_year = |event: &&StoredEvent| event.occurred_on.year() == year;
    let name = |kind: Value| kind.as_str().unwrap().to_owned();

    let mut persons = HashSet::new();
    let mut by_type = zeros(&[
        "ordinary",
        "flexjob",
        "wage_subsidy",
        "sheltered",
        "education",
        "other",
    ]);
    let mut grants = (0, 0i64, BTreeMap::<String, i64>::new());
    let mut trials = zeros(&["internal_trial", "trial_action"]);
    let mut trends = zeros(&["trend", "offer"]);
    let mut signed_by_kind = zeros(&["partnership", "civil_society", "volunteering"]);
    let mut goals = BTreeMap::<u8, u64>::new();
    let mut registrations = HashMap::new();
    let mut closures = HashMap::new();
    let mut signings = HashMap::new();
    let mut endings = HashMap::new();
    let mut renewals: HashMap<Uuid, Vec<(NaiveDate, u64, NaiveDate)>> = HashMap::new();
    for event in &standing {
        let this_year = in_year(event);
        match &event.data {
            EventData::PersonPlacedInEmployment(placed) if this_year => {
                persons.insert(placed.person_ref.to_uppercase());
                *by_type
                    .get_mut(&name(json!(placed.employment_type)))
                    .unwrap() += 1;
            }
            EventData::GrantAwarded(awarded) if this_year => {
                grants.0 += 1;
                grants.1 += awarded.amount_ore;
                *grants.2.entry(awarded.funder.clone()).or_default() += awarded.amount_ore;
                count_goals(&mut goals, event.data.sdgs());
            }
            EventData::TrialStarted(started) if this_year => {
                *trials.get_mut(&name(json!(started.kind))).unwrap() += 1;
                count_goals(&mut goals, event.data.sdgs());
            }
            EventData::TrendNoted(noted) if this_year => {
                *trends.get_mut(&name(json!(noted.kind))).unwrap() += 1;
            }
            EventData::EnterpriseRegistered(registered) => {
                registrations.insert(registered.enterprise_id, (*event, registered));
            }
            EventData::EnterpriseClosed(closed) => {
                closures.insert(closed.enterprise_id, event.occurred_on);
            }
            EventData::AgreementSigned(signed) => {
                signings.insert(signed.agreement_id, (event.occurred_on, signed));
            }
            EventData::AgreementEnded(ended) => {
                endings.insert(ended.agreement_id, event.occurred_on);
            }
            EventData::AgreementRenewed(renewed) => {
                let renewal = (event.occurred_on, event.position, renewed.valid_to);
                renewals
                    .entry(renewed.agreement_id)
                    .or_default()
                    .push(renewal);
            }
            _ => {}
        }
    }

    let mut active_by_kind = zeros(&["enterprise", "initiative"]);
    let (mut registered, mut closed) = (0, 0);
    for (enterprise_id, (event, registration)) in &registrations {
        let closed_on = closures.get(enterprise_id);
        registered += u64::from(event.occurred_on.year() == year);
        closed += u64::from(closed_on.is_some_and(|on| on.year() == year));
        if event.occurred_on <= year_end && closed_on.is_none_or(|on| *on > year_end) {
            *active_by_kind
                .get_mut(&name(json!(registration.kind)))
                .unwrap() += 1;
            count_goals(&mut goals, event.data.sdgs());
        }
    }
    let mut agreements_active = 0;
    for (agreement_id, (signed_on, signed)) in &signings {
        if signed_on.year() == year {
            *signed_by_kind.get_mut(&name(json!(signed.kind))).unwrap() += 1;
        }
        let not_ended = endings.get(agreement_id).is_none_or(|on| *on > year_end);
        // The valid_to in force at the year's end: the latest renewal dated by then, else the
        // signing's (CONTRACT §11).
        let renewed = renewals
            .get(agreement_id)
            .and_then(|all| all.iter().filter(|(on, _, _)| *on <= year_end).max())
            .map(|(_, _, valid_to)| *valid_to);
        let valid_to = renewed.or(signed.valid_to);
        let valid = valid_to.is_none_or(|valid_to| valid_to >= year_end);
        agreements_active += u64::from(*signed_on <= year_end && not_ended && valid);
    }

    let sum = |counts: &BTreeMap<String, u64>| counts.values().sum::<u64>();
    json!({
        "year": year, "as_of_position": events.last().map_or(0, |event| event.position),
        "people_employed": persons.len(),
        "placements": {"total": sum(&by_type), "by_type": by_type},
        "enterprises": {"active": sum(&active_by_kind), "registered": registered,
                        "closed": closed, "active_by_kind": active_by_kind},
        "agreements": {"active": agreements_active, "signed": sum(&signed_by_kind),
                       "signed_by_kind": signed_by_kind},
        "grants": {"count": grants.0, "total_ore": grants.1, "by_funder": grants.2},
        "trials": {"started": sum(&trials), "by_kind": trials},
        "trends": {"noted": sum(&trends), "by_kind": trends},
        "sdgs": goals,
    })
}

fn zeros(names: &[&str]) -> BTreeMap<String, u64> {
    names.iter().map(|name| (name.to_string(), 0)).collect()
}

fn count_goals(goals: &mut BTreeMap<u8, u64>, tags: &[u8]) {
    for goal in tags {
        *goals.entry(*goal).or_default() += 1;
    }
}

/// Drops `as_of_position` everywhere, and the named event from every `retracted_events`; and
/// retention's `as_of` day, which the retraction's own recording may move on (the counts must
/// still agree: in these logs every event is recorded on the same day).
fn without_positions(value: &mut Value, retracted: Uuid) {
    match value {
        Value::Object(members) => {
            members.remove("as_of_position");
            members.remove("as_of");
            if let Some(Value::Array(listed)) = members.get_mut("retracted_events") {
                listed.retain(|event| event["id"] != json!(retracted));
            }
            members
                .values_mut()
                .for_each(|member| without_positions(member, retracted));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| without_positions(item, retracted)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn status_equals_a_recount_from_scratch(steps in steps()) {
        let log = build(&steps);
        let projection = log.projection();
        for year in YEARS {
            let status = serde_json::to_value(projection.status(year)).unwrap();
            prop_assert_eq!(status, recount(&log.events, year), "year {}", year);
            for day in RETENTION_DAYS {
                let retention = serde_json::to_value(projection.retention_on(year, common::date(day))).unwrap();
                let expected = recount_retention(&log.events, year, common::date(day));
                prop_assert_eq!(retention, expected, "year {} on {}", year, day);
            }
        }
    }

    #[test]
    fn a_snapshot_at_n_equals_a_fold_of_the_first_n(steps in steps(), split in any::<Index>()) {
        let log = build(&steps);
        let split = split.index(log.events.len() + 1);
        let mut projection = Projection::new();
        let mut snapshot = None;
        for (applied, event) in log.events.iter().enumerate() {
            if applied == split {
                snapshot = Some(projection.clone());
            }
            projection.apply(event);
        }
        let snapshot = snapshot.unwrap_or_else(|| projection.clone());
        let prefix = Projection::fold(&log.events[..split]);
        prop_assert_eq!(observe(&snapshot), observe(&prefix));

        // The past folded from the whole projection's records (as_of without the log) is the
        // same again, for the split and for every position.
        let at = |position: usize| projection.past(position as u64).fold();
        prop_assert_eq!(observe(&at(split)), observe(&prefix));
        for position in 0..=log.events.len() {
            let folded = Projection::fold(&log.events[..position]);
            prop_assert_eq!(observe(&at(position)), observe(&folded), "position {}", position);
        }

        // Carrying on from the snapshot reaches the same state as folding everything.
        let mut resumed = snapshot;
        log.events[split..].iter().for_each(|event| resumed.apply(event));
        let whole = observe(&projection);
        prop_assert_eq!(&observe(&resumed), &whole);

        // Events already applied are skipped: feeding the log again changes nothing.
        log.events.iter().for_each(|event| projection.apply(event));
        prop_assert_eq!(observe(&projection), whole);
    }

    #[test]
    fn the_bridge_always_adds_up(steps in steps()) {
        let log = build(&steps);
        let projection = log.projection();
        let retracted: HashSet<u64> = projection
            .history(i32::MIN, i32::MAX)
            .retracted_events
            .iter()
            .map(|event| event.event.position)
            .collect();
        for from in YEARS {
            for to in from..=*YEARS.end() {
                let history = projection.history(from, to);
                let bridge = &history.enterprises;
                prop_assert_eq!(bridge.from + bridge.registered - bridge.closed, bridge.to);
                prop_assert_eq!(bridge.registered as usize, bridge.registered_events.len());
                prop_assert_eq!(bridge.from as usize, bridge.from_events.len());
                prop_assert_eq!(bridge.closed as usize, bridge.closed_events.len());
                prop_assert_eq!(bridge.from, projection.status(from).enterprises.active);
                prop_assert_eq!(bridge.to, projection.status(to).enterprises.active);
                let registered_in_range: u64 =
                    (from + 1..=to).map(|year| projection.status(year).enterprises.registered).sum();
                prop_assert_eq!(bridge.registered, registered_in_range);
                let listed = [
                    (EventType::EnterpriseRegistered, &bridge.registered_events),
                    (EventType::EnterpriseClosed, &bridge.closed_events),
                ];
                for (event_type, events) in listed {
                    prop_assert!(events.windows(2).all(|pair| pair[0].position < pair[1].position));
                    for event in events {
                        prop_assert_eq!(event.event_type, event_type);
                        prop_assert!((from + 1..=to).contains(&event.occurred_on.year()));
                        prop_assert!(!retracted.contains(&event.position));
                        let stored = &log.events[event.position as usize - 1];
                        prop_assert_eq!(event.hash, stored.hash);
                    }
                }
            }
        }
    }

    #[test]
    fn a_retraction_is_as_if_the_event_never_happened(steps in steps(), pick in any::<Index>()) {
        let log = build(&steps);
        let retracted: HashSet<Uuid> = log
            .events
            .iter()
            .filter_map(|event| match &event.data {
                EventData::EventRetracted(retraction) => Some(retraction.event_id),
                _ => None,
            })
            .collect();
        let candidates: Vec<&StoredEvent> = log
            .events
            .iter()
            .filter(|event| !matches!(event.data, EventData::EventRetracted(_)))
            .filter(|event| !retracted.contains(&event.id))
            .collect();
        prop_assume!(!candidates.is_empty());
        let target = candidates[pick.index(candidates.len())].id;

        let mut with_retraction = log.clone();
        with_retraction.retract("2026-01-01", target, "never happened");
        let never: Vec<StoredEvent> =
            log.events.iter().filter(|event| event.id != target).cloned().collect();

        let mut retracted_view = observe(&with_retraction.projection());
        let mut never_view = observe(&Projection::fold(&never));
        retracted_view["position"] = Value::Null;
        never_view["position"] = Value::Null;
        without_positions(&mut retracted_view, target);
        without_positions(&mut never_view, target);
        prop_assert_eq!(retracted_view, never_view);
    }
}

/// Every item of a list, read page by page, `size` items at a time.
fn all_pages<T>(size: u64, mut read: impl FnMut(Paging) -> Page<T>) -> Vec<T> {
    let mut items = Vec::new();
    loop {
        let paging = Paging {
            offset: items.len() as u64,
            limit: size,
        };
        let page = read(paging);
        let done = page.items.is_empty();
        items.extend(page.items);
        if done || items.len() as u64 >= page.total {
            return items;
        }
    }
}

/// Every list of every year (and of all years), with everything each hit says.
fn observe_lists(projection: &Projection) -> Value {
    let years = YEARS.map(Some).chain([None]);
    let lists: Vec<Value> = years
        .map(|year| {
            let statuses = [
                EnterpriseStatus::Active,
                EnterpriseStatus::Closed,
                EnterpriseStatus::All,
            ];
            let enterprises: Vec<String> = statuses
                .map(|status| {
                    let query = EnterpriseQuery {
                        year,
                        status: Some(status),
                        ..EnterpriseQuery::default()
                    };
                    format!("{:?}", projection.enterprises(&query))
                })
                .to_vec();
            let placements = PlacementQuery {
                year,
                ..PlacementQuery::default()
            };
            json!({
                "year": year,
                "enterprises": enterprises,
                "placements": format!("{:?}", projection.placements(&placements)),
                "grants": format!("{:?}", projection.grants(&EntryQuery { year, ..EntryQuery::default() })),
                "agreements": format!("{:?}", projection.agreements(&EntryQuery { year, ..EntryQuery::default() }.into())),
                "trials": format!("{:?}", projection.trials(&EntryQuery { year, ..EntryQuery::default() })),
                "trends": format!("{:?}", projection.trends(&EntryQuery { year, ..EntryQuery::default() })),
            })
        })
        .collect();
    Value::Array(lists)
}

fn event_at(log: &Log, position: u64) -> &StoredEvent {
    &log.events[position as usize - 1]
}

fn contains(text: &str, q: &str) -> bool {
    text.to_lowercase().contains(&q.to_lowercase())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_lists_of_a_year_are_what_its_figures_count(steps in steps(), size in 1..7u64) {
        let log = build(&steps);
        let projection = log.projection();
        for year in YEARS.map(Some).chain([None]) {
            let enterprises = all_pages(size, |paging| {
                projection.enterprises(&EnterpriseQuery { year, paging, ..EnterpriseQuery::default() })
            });
            let placements = all_pages(size, |paging| {
                projection.placements(&PlacementQuery { year, paging, ..PlacementQuery::default() })
            });
            let grants = all_pages(size, |paging| projection.grants(&EntryQuery { year, paging, ..EntryQuery::default() }));
            let agreements = all_pages(size, |paging| projection.agreements(&EntryQuery { year, paging, ..EntryQuery::default() }.into()));
            let trials = all_pages(size, |paging| projection.trials(&EntryQuery { year, paging, ..EntryQuery::default() }));
            let trends = all_pages(size, |paging| projection.trends(&EntryQuery { year, paging, ..EntryQuery::default() }));

            // An enterprise's placements are the listed placements that name it.
            for hit in &enterprises {
                let EventData::EnterpriseRegistered(registered) = &event_at(&log, hit.position).data else {
                    panic!("an enterprise hit names a registration");
                };
                let named = placements.iter().filter(|placement| matches!(
                    &event_at(&log, placement.position).data,
                    EventData::PersonPlacedInEmployment(placed) if placed.enterprise_id == Some(registered.enterprise_id)
                ));
                prop_assert_eq!(hit.placements, named.count() as u64);
            }
            let Some(year) = year else { continue };
            let status = projection.status(year);
            prop_assert_eq!(enterprises.len() as u64, status.enterprises.active, "year {}", year);
            let persons: HashSet<String> = placements
                .iter()
                .map(|hit| match &event_at(&log, hit.position).data {
                    EventData::PersonPlacedInEmployment(placed) => placed.person_ref.to_uppercase(),
                    other => panic!("a placement hit names {other:?}"),
                })
                .collect();
            prop_assert_eq!(persons.len() as u64, status.people_employed);
            prop_assert_eq!(placements.len() as u64, status.placements.total);
            let amounts: i64 = grants
                .iter()
                .map(|hit| match &event_at(&log, hit.position).data {
                    EventData::GrantAwarded(awarded) => awarded.amount_ore,
                    other => panic!("a grant hit names {other:?}"),
                })
                .sum();
            prop_assert_eq!(grants.len() as u64, status.grants.count);
            prop_assert_eq!(amounts, status.grants.total_ore);
            prop_assert_eq!(agreements.len() as u64, status.agreements.active);
            prop_assert_eq!(trials.len() as u64, status.trials.started);
            prop_assert_eq!(trends.len() as u64, status.trends.noted);
        }
    }

    #[test]
    fn the_lists_at_n_are_the_lists_of_a_fold_of_the_first_n(steps in steps(), split in any::<Index>()) {
        let log = build(&steps);
        let projection = log.projection();
        let split = split.index(log.events.len() + 1);
        let folded = Projection::fold(&log.events[..split]);
        let past = projection.past_with_lists(split as u64).fold();
        prop_assert_eq!(observe_lists(&past), observe_lists(&folded));
        prop_assert_eq!(observe_lists(&projection.past_with_lists(log.events.len() as u64).fold()),
                        observe_lists(&projection));
    }

    #[test]
    fn q_finds_what_contains_it_ignoring_case(steps in steps(), q in "(P1|p|FONDEN 1|enterprise 0000|0-0|x)") {
        let log = build(&steps);
        let projection = log.projection();
        let every_placement = projection.placements(&PlacementQuery { paging: Paging { offset: 0, limit: 1000 }, ..PlacementQuery::default() });
        let enterprise_name = |id: Uuid| log.events.iter().find_map(|event| match &event.data {
            EventData::EnterpriseRegistered(registered) if registered.enterprise_id == id => Some(registered.name.clone()),
            _ => None,
        });
        let expected: Vec<u64> = every_placement.items.iter().filter(|hit| {
            let EventData::PersonPlacedInEmployment(placed) = &event_at(&log, hit.position).data else { return false };
            let name = placed.enterprise_id.and_then(enterprise_name).unwrap_or_default();
            contains(&placed.person_ref, &q) || contains(&name, &q)
        }).map(|hit| hit.position).collect();
        let found = projection.placements(&PlacementQuery { q: Some(q.clone()), paging: Paging { offset: 0, limit: 1000 }, ..PlacementQuery::default() });
        prop_assert_eq!(found.items.iter().map(|hit| hit.position).collect::<Vec<_>>(), expected);

        let every_grant = projection.grants(&EntryQuery { paging: Paging { offset: 0, limit: 1000 }, ..EntryQuery::default() });
        let expected: Vec<u64> = every_grant.items.iter().filter(|hit| matches!(
            &event_at(&log, hit.position).data, EventData::GrantAwarded(awarded) if contains(&awarded.funder, &q)
        )).map(|hit| hit.position).collect();
        let found = projection.grants(&EntryQuery { q: Some(q.clone()), paging: Paging { offset: 0, limit: 1000 }, ..EntryQuery::default() });
        prop_assert_eq!(found.items.iter().map(|hit| hit.position).collect::<Vec<_>>(), expected);

        let every_enterprise = projection.enterprises(&EnterpriseQuery { paging: Paging { offset: 0, limit: 1000 }, ..EnterpriseQuery::default() });
        let expected: Vec<u64> = every_enterprise.items.iter().filter(|hit| matches!(
            &event_at(&log, hit.position).data, EventData::EnterpriseRegistered(registered)
                if contains(&registered.name, &q) || contains(registered.cvr.as_deref().unwrap_or(""), &q)
        )).map(|hit| hit.position).collect();
        let found = projection.enterprises(&EnterpriseQuery { q: Some(q), paging: Paging { offset: 0, limit: 1000 }, ..EnterpriseQuery::default() });
        prop_assert_eq!(found.items.iter().map(|hit| hit.position).collect::<Vec<_>>(), expected);
    }
}

/// The store's view of a log (CONTRACT §12): every placement carries the pseudonym of its
/// person: here a stand-in, the upper-case reference's bytes reversed into 32 bytes (one per
/// person, as the store's keyed hash is; the projection never computes one).
fn with_pseudonyms(events: &[StoredEvent]) -> Vec<StoredEvent> {
    let mut events = events.to_vec();
    for event in &mut events {
        if let EventData::PersonPlacedInEmployment(placed) = &event.data {
            let reference = placed.person_ref.to_uppercase();
            assert!(reference.len() <= 32, "the stand-in needs short references");
            let mut pseudonym = [0xA5; 32];
            for (at, byte) in reference.bytes().rev().enumerate() {
                pseudonym[at] = byte;
            }
            event.sealing.person = Some(Hash(pseudonym));
        }
    }
    events
}

/// `events` with an erasure of the person_ref (and note) of an earlier placement inserted
/// after each picked position, and every erased placement read as a start after the
/// erasure reads it: its person_ref gone, its pseudonym kept. Positions are counted again.
fn with_erasures(events: &[StoredEvent], picks: &[Index]) -> Vec<StoredEvent> {
    let points: HashSet<usize> = picks
        .iter()
        .map(|pick| pick.index(events.len() + 1))
        .collect();
    let mut erased = HashSet::new();
    let mut out = Vec::new();
    for (index, event) in events.iter().enumerate() {
        if points.contains(&index) {
            let target = events[..index].iter().find(|earlier| {
                matches!(earlier.data, EventData::PersonPlacedInEmployment(_))
                    && !erased.contains(&earlier.id)
            });
            if let Some(target) = target {
                erased.insert(target.id);
                let mut erasure = target.clone();
                erasure.id = Uuid::from_u128(0x000E_4A5E_0000 + index as u128);
                erasure.sealing = Sealing::default();
                erasure.data = EventData::MembersErased(MembersErased {
                    event_id: target.id,
                    members: vec!["data.person_ref".to_owned()],
                    reason: "fejl".to_owned(),
                });
                out.push(erasure);
            }
        }
        out.push(event.clone());
    }
    for (index, event) in out.iter_mut().enumerate() {
        event.position = index as u64 + 1;
        if erased.contains(&event.id) {
            Erasable::PersonRef.blank(event);
            event.note = None;
        }
    }
    out
}

/// The figures of every year, without the positions they were computed at.
fn figures(events: &[StoredEvent]) -> Value {
    let projection = Projection::fold(events);
    let mut statuses: Vec<Value> = YEARS
        .map(|year| serde_json::to_value(projection.status(year)).unwrap())
        .collect();
    for status in &mut statuses {
        if let Some(object) = status.as_object_mut() {
            object.retain(|key, _| !key.contains("position"));
        }
    }
    let retention: Vec<_> = YEARS.map(|year| projection.retention(year)).collect();
    json!({"statuses": statuses, "retention": retention})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// CONTRACT §12: any sequence of appends and erasures has the figures of the same appends
    /// without the erasures; an erased placement counts as the person it was.
    #[test]
    fn erasures_change_no_figure(steps in steps(), picks in proptest::collection::vec(any::<Index>(), 0..6)) {
        let log = build(&steps);
        let plain = with_pseudonyms(&log.events);
        let erased = with_erasures(&plain, &picks);
        prop_assert_eq!(figures(&erased), figures(&plain));
        // Counted by pseudonym, the figures are those of the references themselves.
        prop_assert_eq!(figures(&plain), figures(&log.events));
    }
}
