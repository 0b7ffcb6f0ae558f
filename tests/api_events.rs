//! Proves the HTTP contract of appending and reading events (CONTRACT §3 and §5) through the real
//! router over real sled in a temporary directory: every rule of §3.2 is a row of one table run
//! by one `check` function, every status code of §5 is a row of another, each refusal is shown to
//! store nothing (GET /api/v1/events before and after), and the hash chain the API returns is
//! recomputed here with sha2 and sorted compact JSON, without the store's code.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{Days, NaiveDate};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use common::{Answer, TestLedger, ADMIN, STAFF};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The body limit of CONTRACT §5: 1 MiB.
const BODY_BYTES_MAX: usize = 1024 * 1024;
/// The `index` a row expects of a problem of the request as a whole: there is none.
const REQUEST: u64 = u64::MAX;

// ---------------------------------------------------------------------------------------------
// Events, written as a client writes them.

fn fresh() -> String {
    Uuid::new_v4().to_string()
}

/// A CVR number no other enterprise of this test binary holds (one CVR, one open enterprise).
fn fresh_cvr() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(2_000_000);
    loop {
        let seven = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(cvr) = impact_events::rules::cvr_of(seven) {
            return cvr;
        }
    }
}

fn event(kind: &str, occurred_on: &str, data: Value) -> Value {
    json!({ "type": kind, "occurred_on": occurred_on, "data": data })
}

/// Sets (or with `Value::Null` still sets) one member of the envelope.
fn with(mut event: Value, member: &str, value: impl Into<Value>) -> Value {
    event[member] = value.into();
    event
}

/// Sets one member of `data`.
fn with_data(mut event: Value, member: &str, value: impl Into<Value>) -> Value {
    event["data"][member] = value.into();
    event
}

fn without(mut event: Value, member: &str) -> Value {
    event.as_object_mut().expect("an object").remove(member);
    event
}

fn without_data(mut event: Value, member: &str) -> Value {
    event["data"]
        .as_object_mut()
        .expect("an object")
        .remove(member);
    event
}

fn strategy(strategy_id: &str) -> Value {
    event(
        "StrategyAdopted",
        "2022-01-15",
        json!({
            "strategy_id": strategy_id,
            "name": "Den Socialøkonomiske Strategi 2.0",
            "from_year": 2022,
            "to_year": 2025,
            "targets": [
                {"metric": "people_employed", "per": "year", "value": 30},
                {"metric": "enterprises_active", "per": "period", "value": 40}
            ]
        }),
    )
}

fn registered(enterprise_id: &str) -> Value {
    event(
        "EnterpriseRegistered",
        "2022-03-01",
        json!({
            "enterprise_id": enterprise_id,
            "name": "Café Æblehaven",
            "kind": "enterprise",
            "cvr": fresh_cvr(),
            "rsv": true,
            "sdgs": [8, 10]
        }),
    )
}

fn closed(enterprise_id: &str, occurred_on: &str) -> Value {
    event(
        "EnterpriseClosed",
        occurred_on,
        json!({ "enterprise_id": enterprise_id, "reason": "lukket" }),
    )
}

fn placed(placement_id: &str, person_ref: &str) -> Value {
    event(
        "PersonPlacedInEmployment",
        "2022-04-01",
        json!({
            "placement_id": placement_id,
            "person_ref": person_ref,
            "employment_type": "flexjob"
        }),
    )
}

fn granted(grant_id: &str) -> Value {
    event(
        "GrantAwarded",
        "2022-05-01",
        json!({ "grant_id": grant_id, "funder": "Fonden X", "amount_ore": 30_000_000 }),
    )
}

fn signed(agreement_id: &str) -> Value {
    event(
        "AgreementSigned",
        "2022-03-01",
        json!({
            "agreement_id": agreement_id,
            "counterparty": "Frivilligcenter Slagelse",
            "kind": "partnership"
        }),
    )
}

fn ended(agreement_id: &str, occurred_on: &str) -> Value {
    event(
        "AgreementEnded",
        occurred_on,
        json!({ "agreement_id": agreement_id }),
    )
}

fn trial(trial_id: &str) -> Value {
    event(
        "TrialStarted",
        "2022-06-01",
        json!({ "trial_id": trial_id, "title": "Prøvehandling", "kind": "internal_trial" }),
    )
}

fn trend(trend_id: &str) -> Value {
    event(
        "TrendNoted",
        "2022-07-01",
        json!({ "trend_id": trend_id, "title": "Grøn omstilling", "kind": "trend" }),
    )
}

fn retraction(event_id: &str) -> Value {
    event(
        "EventRetracted",
        "2022-08-01",
        json!({ "event_id": event_id, "reason": "entered by mistake" }),
    )
}

/// An event with the client's own id, so that later events can name it.
fn identified(id: &str, event: Value) -> Value {
    with(event, "id", id)
}

fn batch(events: Vec<Value>) -> Value {
    json!({ "events": events })
}

fn today_in_copenhagen() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Copenhagen)
        .date_naive()
}

// ---------------------------------------------------------------------------------------------
// What is stored before the rule table runs: one entity in every state a rule asks about.

struct Given {
    strategy: String,
    enterprise: String,
    enterprise_registration: String,
    closed_enterprise: String,
    /// An enterprise whose registration was retracted: it no longer exists.
    retracted_enterprise: String,
    /// The retracted registration, and the retraction that undid it.
    retracted_event: String,
    retraction_event: String,
    placement: String,
    grant: String,
    agreement: String,
    ended_agreement: String,
    trial: String,
    trend: String,
    /// An event no row refuses to retract; one row retracts it.
    retractable_event: String,
}

impl Given {
    fn new() -> Self {
        Given {
            strategy: fresh(),
            enterprise: fresh(),
            enterprise_registration: fresh(),
            closed_enterprise: fresh(),
            retracted_enterprise: fresh(),
            retracted_event: fresh(),
            retraction_event: fresh(),
            placement: fresh(),
            grant: fresh(),
            agreement: fresh(),
            ended_agreement: fresh(),
            trial: fresh(),
            trend: fresh(),
            retractable_event: fresh(),
        }
    }

    fn events(&self) -> Vec<Value> {
        vec![
            strategy(&self.strategy),
            identified(&self.enterprise_registration, registered(&self.enterprise)),
            registered(&self.closed_enterprise),
            closed(&self.closed_enterprise, "2022-09-01"),
            identified(
                &self.retracted_event,
                registered(&self.retracted_enterprise),
            ),
            identified(&self.retraction_event, retraction(&self.retracted_event)),
            placed(&self.placement, "P-0001"),
            granted(&self.grant),
            signed(&self.agreement),
            signed(&self.ended_agreement),
            ended(&self.ended_agreement, "2022-10-01"),
            trial(&self.trial),
            trend(&self.trend),
            identified(&self.retractable_event, trial(&fresh())),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// The rule table (CONTRACT §3.1, §3.2, §3.4) and its one `check`.

struct Case {
    name: &'static str,
    body: Value,
    status: StatusCode,
    /// `(index, field)` of every problem expected; an empty field means the event as a whole.
    problems: Vec<(u64, &'static str)>,
}

fn accepted(name: &'static str, events: Vec<Value>) -> Case {
    Case {
        name,
        body: batch(events),
        status: StatusCode::CREATED,
        problems: Vec::new(),
    }
}

fn refused(name: &'static str, events: Vec<Value>, problems: &[(u64, &'static str)]) -> Case {
    refused_body(name, batch(events), problems)
}

fn refused_body(name: &'static str, body: Value, problems: &[(u64, &'static str)]) -> Case {
    Case {
        name,
        body,
        status: StatusCode::UNPROCESSABLE_ENTITY,
        problems: problems.to_vec(),
    }
}

fn conflict(name: &'static str, events: Vec<Value>, problems: &[(u64, &'static str)]) -> Case {
    Case {
        name,
        body: batch(events),
        status: StatusCode::CONFLICT,
        problems: problems.to_vec(),
    }
}

fn envelope_cases() -> Vec<Case> {
    let today = today_in_copenhagen();
    let tomorrow = today + Days::new(1);
    let long_note = "n".repeat(1000);
    let too_long_note = "n".repeat(1001);
    let twice = fresh();
    vec![
        accepted(
            "every envelope member",
            vec![trial(&fresh())
                .pipe(|event| identified(&fresh(), event))
                .pipe(|event| with(event, "correlation_id", fresh()))
                .pipe(|event| with(event, "case_ref", "24-004614"))
                .pipe(|event| with(event, "note", "noted by the unit"))
                .pipe(|event| with(event, "expected_version", 0))],
        ),
        accepted(
            "optional envelope members as null",
            vec![trial(&fresh())
                .pipe(|event| with(event, "id", Value::Null))
                .pipe(|event| with(event, "correlation_id", Value::Null))
                .pipe(|event| with(event, "case_ref", Value::Null))
                .pipe(|event| with(event, "note", Value::Null))
                .pipe(|event| with(event, "expected_version", Value::Null))],
        ),
        refused(
            "an unknown envelope member",
            vec![with(trial(&fresh()), "colour", "red")],
            &[(0, "colour")],
        ),
        refused(
            "an unknown event type",
            vec![event("EnterpriseOpened", "2022-03-01", json!({}))],
            &[(0, "type")],
        ),
        refused(
            "no type",
            vec![without(trial(&fresh()), "type")],
            &[(0, "type")],
        ),
        refused(
            "no occurred_on",
            vec![without(trial(&fresh()), "occurred_on")],
            &[(0, "occurred_on")],
        ),
        refused(
            "no data",
            vec![without(trial(&fresh()), "data")],
            &[(0, "data")],
        ),
        refused(
            "data that is not an object",
            vec![with(trial(&fresh()), "data", "trial")],
            &[(0, "data")],
        ),
        refused(
            "an event that is not an object",
            vec![json!("TrialStarted")],
            &[(0, "")],
        ),
        refused(
            "occurred_on that is no date",
            vec![with(trial(&fresh()), "occurred_on", "2022-02-30")],
            &[(0, "occurred_on")],
        ),
        refused(
            "occurred_on not written YYYY-MM-DD",
            vec![with(trial(&fresh()), "occurred_on", "01-03-2022")],
            &[(0, "occurred_on")],
        ),
        refused(
            "occurred_on tomorrow in Copenhagen",
            vec![with(trial(&fresh()), "occurred_on", tomorrow.to_string())],
            &[(0, "occurred_on")],
        ),
        refused(
            "occurred_on far in the future",
            vec![with(trial(&fresh()), "occurred_on", "2999-01-01")],
            &[(0, "occurred_on")],
        ),
        accepted(
            "occurred_on today in Copenhagen",
            vec![with(trial(&fresh()), "occurred_on", today.to_string())],
        ),
        refused(
            "occurred_on before 1900",
            vec![with(trial(&fresh()), "occurred_on", "1899-12-31")],
            &[(0, "occurred_on")],
        ),
        refused(
            "an id that is not a UUID",
            vec![with(trial(&fresh()), "id", "42")],
            &[(0, "id")],
        ),
        refused(
            "a correlation_id that is not a UUID",
            vec![with(trial(&fresh()), "correlation_id", "abc")],
            &[(0, "correlation_id")],
        ),
        accepted(
            "a note of 1000 characters",
            vec![with(trial(&fresh()), "note", long_note)],
        ),
        refused(
            "a note of 1001 characters",
            vec![with(trial(&fresh()), "note", too_long_note)],
            &[(0, "note")],
        ),
        refused(
            "a blank case_ref",
            vec![with(trial(&fresh()), "case_ref", "   ")],
            &[(0, "case_ref")],
        ),
        refused(
            "a negative expected_version",
            vec![with(trial(&fresh()), "expected_version", -1)],
            &[(0, "expected_version")],
        ),
        refused(
            "the same event id twice in one request",
            vec![
                identified(&twice, trial(&fresh())),
                identified(&twice, trial(&fresh())),
            ],
            &[(1, "id")],
        ),
    ]
}

fn expected_version_cases(given: &Given) -> Vec<Case> {
    let enterprise = fresh();
    let other = fresh();
    vec![
        accepted(
            "expected_version 0 on a new stream",
            vec![with(trial(&fresh()), "expected_version", 0)],
        ),
        conflict(
            "expected_version 1 on a new stream",
            vec![with(trial(&fresh()), "expected_version", 1)],
            &[(0, "expected_version")],
        ),
        conflict(
            "expected_version behind a stored stream",
            vec![with(
                closed(&given.enterprise, "2022-12-01"),
                "expected_version",
                0,
            )],
            &[(0, "expected_version")],
        ),
        conflict(
            "expected_version ahead of a stored stream",
            vec![with(
                closed(&given.enterprise, "2022-12-01"),
                "expected_version",
                2,
            )],
            &[(0, "expected_version")],
        ),
        conflict(
            "the largest expected_version (once an overflow that stopped the writer)",
            vec![with(trial(&fresh()), "expected_version", u64::MAX)],
            &[(0, "expected_version")],
        ),
        accepted(
            "expected_version counting an earlier event of the request",
            vec![
                with(registered(&enterprise), "expected_version", 0),
                with(closed(&enterprise, "2022-12-01"), "expected_version", 1),
            ],
        ),
        conflict(
            "expected_version ignoring an earlier event of the request",
            vec![
                registered(&other),
                with(closed(&other, "2022-12-01"), "expected_version", 0),
            ],
            &[(1, "expected_version")],
        ),
    ]
}

fn strategy_cases(given: &Given) -> Vec<Case> {
    let targets = |targets: Value| with_data(strategy(&fresh()), "targets", targets);
    vec![
        accepted("a strategy", vec![strategy(&fresh())]),
        accepted(
            "a strategy of one year",
            vec![strategy(&fresh())
                .pipe(|event| with_data(event, "from_year", 2024))
                .pipe(|event| with_data(event, "to_year", 2024))],
        ),
        accepted(
            "a target of 0",
            vec![targets(
                json!([{"metric": "people_employed", "per": "year", "value": 0}]),
            )],
        ),
        refused(
            "from_year after to_year",
            vec![with_data(strategy(&fresh()), "from_year", 2026)],
            &[(0, "data.to_year")],
        ),
        refused(
            "people_employed per period",
            vec![targets(
                json!([{"metric": "people_employed", "per": "period", "value": 30}]),
            )],
            &[(0, "data.targets[0].per")],
        ),
        refused(
            "enterprises_active per year",
            vec![targets(
                json!([{"metric": "enterprises_active", "per": "year", "value": 40}]),
            )],
            &[(0, "data.targets[0].per")],
        ),
        refused(
            "a negative target",
            vec![targets(
                json!([{"metric": "people_employed", "per": "year", "value": -1}]),
            )],
            &[(0, "data.targets[0].value")],
        ),
        refused(
            "a target of 2^53",
            vec![targets(
                json!([{"metric": "people_employed", "per": "year", "value": 9_007_199_254_740_992_i64}]),
            )],
            &[(0, "data.targets[0].value")],
        ),
        refused(
            "an unknown metric",
            vec![targets(
                json!([{"metric": "people_happy", "per": "year", "value": 1}]),
            )],
            &[(0, "data.targets[0].metric")],
        ),
        refused(
            "a target value that is not an integer",
            vec![targets(
                json!([{"metric": "people_employed", "per": "year", "value": 30.5}]),
            )],
            &[(0, "data.targets[0].value")],
        ),
        refused(
            "a blank strategy name",
            vec![with_data(strategy(&fresh()), "name", " ")],
            &[(0, "data.name")],
        ),
        conflict(
            "a strategy id used again",
            vec![strategy(&given.strategy)],
            &[(0, "data.strategy_id")],
        ),
    ]
}

fn enterprise_registered_cases(given: &Given) -> Vec<Case> {
    let twice = fresh();
    let cvr = |cvr: Value| with_data(registered(&fresh()), "cvr", cvr);
    let sdgs = |sdgs: Value| with_data(registered(&fresh()), "sdgs", sdgs);
    vec![
        accepted("an enterprise with a valid CVR", vec![registered(&fresh())]),
        accepted(
            "an enterprise without optional members",
            vec![registered(&fresh())
                .pipe(|event| without_data(event, "cvr"))
                .pipe(|event| without_data(event, "rsv"))
                .pipe(|event| without_data(event, "sdgs"))
                .pipe(|event| with_data(event, "kind", "initiative"))],
        ),
        accepted("a CVR of null", vec![cvr(Value::Null)]),
        accepted("another valid CVR", vec![cvr(json!("29403473"))]),
        refused(
            "a CVR failing modulus 11",
            vec![cvr(json!("10150818"))],
            &[(0, "data.cvr")],
        ),
        refused(
            "a CVR of 7 digits",
            vec![cvr(json!("1015081"))],
            &[(0, "data.cvr")],
        ),
        refused(
            "a CVR of 9 digits",
            vec![cvr(json!("101508170"))],
            &[(0, "data.cvr")],
        ),
        refused(
            "a CVR with a letter",
            vec![cvr(json!("1015O817"))],
            &[(0, "data.cvr")],
        ),
        refused(
            "a CVR as a number",
            vec![cvr(json!(10150817))],
            &[(0, "data.cvr")],
        ),
        refused(
            "an unknown enterprise kind",
            vec![with_data(registered(&fresh()), "kind", "company")],
            &[(0, "data.kind")],
        ),
        refused(
            "SDG 0 and 18",
            vec![sdgs(json!([0, 18]))],
            &[(0, "data.sdgs[0]"), (0, "data.sdgs[1]")],
        ),
        refused(
            "an SDG listed twice",
            vec![sdgs(json!([8, 8]))],
            &[(0, "data.sdgs[1]")],
        ),
        refused(
            "rsv that is not a boolean",
            vec![with_data(registered(&fresh()), "rsv", "yes")],
            &[(0, "data.rsv")],
        ),
        refused(
            "a blank name",
            vec![with_data(registered(&fresh()), "name", "   ")],
            &[(0, "data.name")],
        ),
        refused(
            "no name",
            vec![without_data(registered(&fresh()), "name")],
            &[(0, "data.name")],
        ),
        refused(
            "an unknown data member",
            vec![with_data(registered(&fresh()), "email", "a@b.dk")],
            &[(0, "data.email")],
        ),
        refused(
            "an enterprise_id that is not a UUID",
            vec![registered("cafe")],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "every problem of one event",
            vec![registered(&fresh())
                .pipe(|event| with_data(event, "cvr", "10150818"))
                .pipe(|event| with_data(event, "sdgs", json!([18])))
                .pipe(|event| with_data(event, "name", ""))],
            &[(0, "data.cvr"), (0, "data.sdgs[0]"), (0, "data.name")],
        ),
        conflict(
            "an enterprise id used again",
            vec![registered(&given.enterprise)],
            &[(0, "data.enterprise_id")],
        ),
        conflict(
            "a closed enterprise registered again",
            vec![registered(&given.closed_enterprise)],
            &[(0, "data.enterprise_id")],
        ),
        // Registering a retracted enterprise again is a correction and is allowed (CONTRACT §8);
        // a bad second event keeps this row from storing it, so later rows still find it
        // retracted: only the second event's problem is listed.
        refused(
            "a retracted enterprise registered again is no problem",
            vec![
                registered(&given.retracted_enterprise),
                with_data(registered(&fresh()), "cvr", "10150818"),
            ],
            &[(1, "data.cvr")],
        ),
        refused(
            "an enterprise id twice in one request",
            vec![registered(&twice), registered(&twice)],
            &[(1, "data.enterprise_id")],
        ),
    ]
}

fn enterprise_closed_cases(given: &Given) -> Vec<Case> {
    let [same_day, no_reason, reclosed, closed_twice, closed_early] =
        [fresh(), fresh(), fresh(), fresh(), fresh()];
    let closing = fresh();
    vec![
        accepted(
            "closing an enterprise registered earlier in the request, on the same day",
            vec![registered(&same_day), closed(&same_day, "2022-03-01")],
        ),
        accepted(
            "closing without a reason",
            vec![
                registered(&no_reason),
                without_data(closed(&no_reason, "2022-04-01"), "reason"),
            ],
        ),
        accepted(
            "closing again after the closing was retracted",
            vec![
                registered(&reclosed),
                identified(&closing, closed(&reclosed, "2022-04-01")),
                retraction(&closing),
                closed(&reclosed, "2022-05-01"),
            ],
        ),
        refused(
            "closing an unknown enterprise",
            vec![closed(&fresh(), "2022-04-01")],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "closing a closed enterprise",
            vec![closed(&given.closed_enterprise, "2022-12-01")],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "closing twice in one request",
            vec![
                registered(&closed_twice),
                closed(&closed_twice, "2022-04-01"),
                closed(&closed_twice, "2022-05-01"),
            ],
            &[(2, "data.enterprise_id")],
        ),
        refused(
            "closing before the registration in the same request",
            vec![
                registered(&closed_early),
                closed(&closed_early, "2022-02-28"),
            ],
            &[(1, "occurred_on")],
        ),
        refused(
            "closing a stored enterprise before its registration",
            vec![closed(&given.enterprise, "2022-02-28")],
            &[(0, "occurred_on")],
        ),
        refused(
            "closing an enterprise whose registration was retracted",
            vec![closed(&given.retracted_enterprise, "2022-12-01")],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "a blank reason",
            vec![with_data(
                closed(&given.enterprise, "2022-12-01"),
                "reason",
                " ",
            )],
            &[(0, "data.reason")],
        ),
    ]
}

fn placement_cases(given: &Given) -> Vec<Case> {
    let enterprise = fresh();
    let retracted = fresh();
    let registration = fresh();
    let person_ref = |person_ref: &str| placed(&fresh(), person_ref);
    let at = |enterprise: &str| with_data(placed(&fresh(), "P-0002"), "enterprise_id", enterprise);
    vec![
        accepted("a placement", vec![person_ref("P-2022_0001")]),
        accepted(
            "a person_ref of 64 characters",
            vec![person_ref(&"p".repeat(64))],
        ),
        accepted(
            "a person_ref of 9 digits (not CPR-shaped)",
            vec![person_ref("010190123")],
        ),
        accepted(
            "a placement at a stored enterprise",
            vec![at(&given.enterprise)],
        ),
        accepted(
            "a placement at an enterprise registered earlier in the request",
            vec![registered(&enterprise), at(&enterprise)],
        ),
        accepted(
            "every employment type",
            [
                "ordinary",
                "flexjob",
                "wage_subsidy",
                "sheltered",
                "education",
                "other",
            ]
            .into_iter()
            .map(|kind| with_data(placed(&fresh(), "P-0003"), "employment_type", kind))
            .collect(),
        ),
        refused(
            "a CPR number as person_ref",
            vec![person_ref("0101901234")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "a CPR number with a dash as person_ref",
            vec![person_ref("010190-1234")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "a CPR number with spaces around it",
            vec![person_ref(" 0101901234 ")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "a person_ref of 65 characters",
            vec![person_ref(&"p".repeat(65))],
            &[(0, "data.person_ref")],
        ),
        refused(
            "a person_ref with a space inside",
            vec![person_ref("P 0001")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "a person_ref with a letter outside A-Z",
            vec![person_ref("Søren")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "an empty person_ref",
            vec![person_ref("")],
            &[(0, "data.person_ref")],
        ),
        refused(
            "an unknown employment type",
            vec![with_data(
                placed(&fresh(), "P-0004"),
                "employment_type",
                "fleksjob",
            )],
            &[(0, "data.employment_type")],
        ),
        refused(
            "a placement at an unknown enterprise",
            vec![at(&fresh())],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "a placement at an enterprise whose registration was retracted",
            vec![at(&given.retracted_enterprise)],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "a placement at an enterprise whose registration was retracted earlier in the request",
            vec![
                identified(&registration, registered(&retracted)),
                retraction(&registration),
                at(&retracted),
            ],
            &[(2, "data.enterprise_id")],
        ),
        conflict(
            "a placement id used again",
            vec![placed(&given.placement, "P-0001")],
            &[(0, "data.placement_id")],
        ),
    ]
}

fn grant_cases(given: &Given) -> Vec<Case> {
    let amount = |amount: Value| with_data(granted(&fresh()), "amount_ore", amount);
    vec![
        accepted("a grant the unit won", vec![granted(&fresh())]),
        accepted(
            "a grant a partner won, with every member",
            vec![granted(&fresh())
                .pipe(|event| with_data(event, "enterprise_id", given.enterprise.as_str()))
                .pipe(|event| with_data(event, "purpose", "opstart"))
                .pipe(|event| with_data(event, "sdgs", json!([1, 17])))],
        ),
        accepted("a grant of 1 øre", vec![amount(json!(1))]),
        accepted(
            "a grant of 2^53 - 1 øre, the largest integer JSON numbers hold exactly",
            vec![amount(json!(9_007_199_254_740_991_i64))],
        ),
        refused(
            "a grant of 2^53 øre",
            vec![amount(json!(9_007_199_254_740_992_i64))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "a grant beyond 64 bits",
            vec![amount(json!(u64::MAX))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "a grant of 0 øre",
            vec![amount(json!(0))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "a negative grant",
            vec![amount(json!(-100))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "an amount with a fraction",
            vec![amount(json!(1.5))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "an amount as a string",
            vec![amount(json!("100"))],
            &[(0, "data.amount_ore")],
        ),
        refused(
            "a blank funder",
            vec![with_data(granted(&fresh()), "funder", "")],
            &[(0, "data.funder")],
        ),
        refused(
            "a grant to an unknown enterprise",
            vec![with_data(granted(&fresh()), "enterprise_id", fresh())],
            &[(0, "data.enterprise_id")],
        ),
        refused(
            "a grant with SDG 18",
            vec![with_data(granted(&fresh()), "sdgs", json!([18]))],
            &[(0, "data.sdgs[0]")],
        ),
        conflict(
            "a grant id used again",
            vec![granted(&given.grant)],
            &[(0, "data.grant_id")],
        ),
    ]
}

fn agreement_cases(given: &Given) -> Vec<Case> {
    let [ended_once, ended_twice, ended_early] = [fresh(), fresh(), fresh()];
    vec![
        accepted(
            "an agreement of every kind, one with valid_to",
            vec![
                with_data(signed(&fresh()), "valid_to", "2025-12-31"),
                with_data(signed(&fresh()), "kind", "civil_society"),
                with_data(signed(&fresh()), "kind", "volunteering"),
            ],
        ),
        accepted(
            "valid_to on the day of signing",
            vec![with_data(signed(&fresh()), "valid_to", "2022-03-01")],
        ),
        refused(
            "an unknown agreement kind",
            vec![with_data(signed(&fresh()), "kind", "contract")],
            &[(0, "data.kind")],
        ),
        refused(
            "valid_to before the signing",
            vec![with_data(signed(&fresh()), "valid_to", "2022-02-28")],
            &[(0, "data.valid_to")],
        ),
        refused(
            "valid_to that is no date",
            vec![with_data(signed(&fresh()), "valid_to", "soon")],
            &[(0, "data.valid_to")],
        ),
        refused(
            "a blank counterparty",
            vec![with_data(signed(&fresh()), "counterparty", "  ")],
            &[(0, "data.counterparty")],
        ),
        conflict(
            "an agreement id used again",
            vec![signed(&given.agreement)],
            &[(0, "data.agreement_id")],
        ),
        accepted(
            "signing and ending in one request",
            vec![signed(&ended_once), ended(&ended_once, "2023-01-01")],
        ),
        refused(
            "ending an unknown agreement",
            vec![ended(&fresh(), "2023-01-01")],
            &[(0, "data.agreement_id")],
        ),
        refused(
            "ending an ended agreement",
            vec![ended(&given.ended_agreement, "2023-01-01")],
            &[(0, "data.agreement_id")],
        ),
        refused(
            "ending twice in one request",
            vec![
                signed(&ended_twice),
                ended(&ended_twice, "2023-01-01"),
                ended(&ended_twice, "2023-02-01"),
            ],
            &[(2, "data.agreement_id")],
        ),
        refused(
            "ending before the signing",
            vec![signed(&ended_early), ended(&ended_early, "2022-02-28")],
            &[(1, "occurred_on")],
        ),
    ]
}

fn trial_and_trend_cases(given: &Given) -> Vec<Case> {
    vec![
        accepted(
            "a trial with partners and SDGs",
            vec![trial(&fresh())
                .pipe(|event| with_data(event, "kind", "trial_action"))
                .pipe(|event| with_data(event, "partners", json!(["Jobcenter", "Røde Kors"])))
                .pipe(|event| with_data(event, "sdgs", json!([3, 8])))],
        ),
        refused(
            "an unknown trial kind",
            vec![with_data(trial(&fresh()), "kind", "pilot")],
            &[(0, "data.kind")],
        ),
        refused(
            "a blank partner",
            vec![with_data(
                trial(&fresh()),
                "partners",
                json!(["Jobcenter", " "]),
            )],
            &[(0, "data.partners[1]")],
        ),
        refused(
            "a blank trial title",
            vec![with_data(trial(&fresh()), "title", "")],
            &[(0, "data.title")],
        ),
        conflict(
            "a trial id used again",
            vec![trial(&given.trial)],
            &[(0, "data.trial_id")],
        ),
        accepted(
            "an offer with a source",
            vec![trend(&fresh())
                .pipe(|event| with_data(event, "kind", "offer"))
                .pipe(|event| with_data(event, "source", "KL"))],
        ),
        refused(
            "an unknown trend kind",
            vec![with_data(trend(&fresh()), "kind", "fad")],
            &[(0, "data.kind")],
        ),
        refused(
            "a blank source",
            vec![with_data(trend(&fresh()), "source", " ")],
            &[(0, "data.source")],
        ),
        conflict(
            "a trend id used again",
            vec![trend(&given.trend)],
            &[(0, "data.trend_id")],
        ),
    ]
}

fn retraction_cases(given: &Given) -> Vec<Case> {
    let [in_request, retracted_twice, target] = [fresh(), fresh(), fresh()];
    let first_retraction = fresh();
    vec![
        accepted(
            "retracting a stored event",
            vec![retraction(&given.retractable_event)],
        ),
        accepted(
            "retracting an event of the same request",
            vec![
                identified(&in_request, trial(&fresh())),
                retraction(&in_request),
            ],
        ),
        refused(
            "a retraction without a reason",
            vec![without_data(
                retraction(&given.enterprise_registration),
                "reason",
            )],
            &[(0, "data.reason")],
        ),
        refused(
            "a retraction with a blank reason",
            vec![with_data(
                retraction(&given.enterprise_registration),
                "reason",
                "  ",
            )],
            &[(0, "data.reason")],
        ),
        refused(
            "retracting an unknown event",
            vec![retraction(&fresh())],
            &[(0, "data.event_id")],
        ),
        refused(
            "retracting a retraction",
            vec![retraction(&given.retraction_event)],
            &[(0, "data.event_id")],
        ),
        refused(
            "retracting a retracted event",
            vec![retraction(&given.retracted_event)],
            &[(0, "data.event_id")],
        ),
        refused(
            "retracting twice in one request",
            vec![
                identified(&retracted_twice, trial(&fresh())),
                retraction(&retracted_twice),
                retraction(&retracted_twice),
            ],
            &[(2, "data.event_id")],
        ),
        refused(
            "retracting a retraction of the same request",
            vec![
                identified(&target, trial(&fresh())),
                identified(&first_retraction, retraction(&target)),
                retraction(&first_retraction),
            ],
            &[(2, "data.event_id")],
        ),
    ]
}

fn request_cases(given: &Given) -> Vec<Case> {
    let trials = |count: usize| (0..count).map(|_| trial(&fresh())).collect::<Vec<_>>();
    vec![
        accepted("a request of 1000 events", trials(1000)),
        // Problems of the request as a whole name its member and no event (CONTRACT §8).
        refused(
            "a request of 1001 events",
            trials(1001),
            &[(REQUEST, "events")],
        ),
        refused("an empty request", Vec::new(), &[(REQUEST, "events")]),
        refused_body(
            "a body that is a list",
            json!([trial(&fresh())]),
            &[(REQUEST, "events")],
        ),
        refused_body("a body that is null", Value::Null, &[(REQUEST, "events")]),
        refused_body(
            "a body without events",
            json!({ "evnts": [trial(&fresh())] }),
            &[(REQUEST, "events"), (REQUEST, "evnts")],
        ),
        refused_body(
            "events that are not a list",
            json!({ "events": trial(&fresh()) }),
            &[(REQUEST, "events")],
        ),
        refused_body(
            "a body with an unknown member",
            json!({ "events": [trial(&fresh())], "dry_run": true }),
            &[(REQUEST, "dry_run")],
        ),
        refused(
            "problems in several events, each with its index",
            vec![
                with_data(registered(&fresh()), "cvr", "10150818"),
                trial(&fresh()),
                placed(&fresh(), "0101901234"),
            ],
            &[(0, "data.cvr"), (2, "data.person_ref")],
        ),
        refused(
            "the third event bad: none is stored",
            vec![
                trial(&fresh()),
                trend(&fresh()),
                placed(&fresh(), "010190-1234"),
            ],
            &[(2, "data.person_ref")],
        ),
        refused(
            "a conflict and a broken rule together are a 422 listing both",
            vec![
                registered(&given.enterprise),
                with_data(registered(&fresh()), "cvr", "10150818"),
            ],
            &[(0, "data.enterprise_id"), (1, "data.cvr")],
        ),
        conflict(
            "two conflicts together are a 409 listing both",
            vec![strategy(&given.strategy), trend(&given.trend)],
            &[(0, "data.strategy_id"), (1, "data.trend_id")],
        ),
    ]
}

/// Lets a row build an event step by step without a temporary variable.
trait Pipe: Sized {
    fn pipe<T>(self, step: impl FnOnce(Self) -> T) -> T {
        step(self)
    }
}

impl<T> Pipe for T {}

/// The one place the rule table calls the API: posts the case's body as staff and compares
/// the answer, and what GET /api/v1/events shows before and after, with what the case expects.
async fn check(ledger: &TestLedger, case: &Case) -> Result<(), String> {
    let before = ledger.head().await;
    let answer = ledger
        .send(post_json(
            &ledger.staff,
            serde_json::to_vec(&case.body).unwrap(),
        ))
        .await;
    let after = ledger.head().await;
    if answer.status != case.status {
        return Err(format!(
            "status {} instead of {}: {}",
            answer.status,
            case.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    if case.status.is_success() {
        return check_receipts(&answer, &case.body, before.0, after.0);
    }
    let document = problem_document(&answer, case.status)?;
    if after != before {
        return Err(format!(
            "a refused request changed the log: {before:?} -> {after:?}"
        ));
    }
    let mut expected: Vec<(u64, Option<String>)> = case
        .problems
        .iter()
        .map(|(index, field)| (*index, (!field.is_empty()).then(|| field.to_string())))
        .collect();
    expected.sort();
    let mut found = problems_of(&document)?;
    found.sort();
    if found != expected {
        return Err(format!(
            "problems {found:?} instead of {expected:?}: {document}"
        ));
    }
    Ok(())
}

/// A 2xx append: one receipt per event, at consecutive new positions, and the log grew by that.
fn check_receipts(
    answer: &Answer,
    body: &Value,
    before: usize,
    after: usize,
) -> Result<(), String> {
    if answer.content_type() != "application/json" {
        return Err(format!("content type {:?}", answer.content_type()));
    }
    let sent = body["events"].as_array().map_or(0, Vec::len);
    let document = answer.json();
    let receipts = document["events"].as_array().ok_or("no receipts")?;
    if receipts.len() != sent || after != before + sent {
        return Err(format!(
            "{} receipts for {sent} events, log {before} -> {after}",
            receipts.len()
        ));
    }
    for (offset, receipt) in receipts.iter().enumerate() {
        let position = (before + offset + 1) as u64;
        if receipt["position"] != json!(position) {
            return Err(format!(
                "receipt {offset} is not at position {position}: {receipt}"
            ));
        }
    }
    Ok(())
}

/// The `(index, field)` of every entry of `errors`, each with a message.
fn problems_of(document: &Value) -> Result<Vec<(u64, Option<String>)>, String> {
    let errors = document["errors"]
        .as_array()
        .ok_or_else(|| format!("no `errors` list: {document}"))?;
    errors
        .iter()
        .map(|error| {
            // A problem of the request as a whole has no index.
            let index = match &error["index"] {
                Value::Null => REQUEST,
                index => index.as_u64().ok_or("an index that is not a number")?,
            };
            let message = error["message"].as_str().unwrap_or("");
            if message.trim().is_empty() {
                return Err(format!("an error without a message: {error}"));
            }
            let field = match &error["field"] {
                Value::Null => None,
                Value::String(field) => Some(field.clone()),
                other => return Err(format!("a field that is not a string: {other}")),
            };
            Ok((index, field))
        })
        .collect()
}

/// An RFC 9457 problem document with the answer's status; returns its JSON.
fn problem_document(answer: &Answer, status: StatusCode) -> Result<Value, String> {
    if answer.content_type() != "application/problem+json" {
        return Err(format!(
            "content type {:?} for a {status}",
            answer.content_type()
        ));
    }
    let document: Value = serde_json::from_slice(&answer.body)
        .map_err(|error| format!("a problem document that is not JSON: {error}"))?;
    for member in ["type", "title", "detail"] {
        let text = document[member].as_str().unwrap_or("");
        if text.trim().is_empty() {
            return Err(format!("no `{member}` in {document}"));
        }
    }
    if document["status"] != json!(status.as_u16()) {
        return Err(format!("`status` is not {}: {document}", status.as_u16()));
    }
    if status == StatusCode::UNAUTHORIZED {
        let challenge = answer
            .headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !challenge.starts_with("Bearer") {
            return Err(format!(
                "a 401 without `WWW-Authenticate: Bearer`: {challenge:?}"
            ));
        }
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && !answer.headers.contains_key(header::ALLOW) {
        return Err("a 405 without `Allow`".to_owned());
    }
    Ok(document)
}

fn post_json(token: &str, body: Vec<u8>) -> Request<Body> {
    Request::post("/api/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a valid request")
}

/// Runs every row against one ledger, in order, and reports every row that failed.
async fn run(ledger: &TestLedger, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(failure) = check(ledger, case).await {
            failures.push(format!("{}: {failure}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

async fn given_ledger() -> (TestLedger, Given) {
    let ledger = TestLedger::new();
    let given = Given::new();
    ledger.append_ok(given.events()).await;
    (ledger, given)
}

#[tokio::test]
async fn envelope_rules() {
    let (ledger, _) = given_ledger().await;
    run(&ledger, envelope_cases()).await;
}

#[tokio::test]
async fn expected_version_rules() {
    let (ledger, given) = given_ledger().await;
    run(&ledger, expected_version_cases(&given)).await;
}

#[tokio::test]
async fn catalogue_rules() {
    let (ledger, given) = given_ledger().await;
    let cases = [
        strategy_cases(&given),
        enterprise_registered_cases(&given),
        enterprise_closed_cases(&given),
        placement_cases(&given),
        grant_cases(&given),
        agreement_cases(&given),
        trial_and_trend_cases(&given),
        retraction_cases(&given),
    ];
    run(&ledger, cases.into_iter().flatten().collect()).await;
}

#[tokio::test]
async fn request_rules() {
    let (ledger, given) = given_ledger().await;
    run(&ledger, request_cases(&given)).await;
}

// ---------------------------------------------------------------------------------------------
// Every status code of §5, with a problem document, and nothing stored.

#[derive(Clone, Copy)]
enum Token {
    None,
    Unknown,
    Staff,
    Auditor,
    /// An `Authorization` header written out, for schemes other than a good bearer token.
    Header(&'static str),
}

struct StatusCase {
    name: &'static str,
    method: Method,
    path: String,
    token: Token,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
}

fn get_as(
    name: &'static str,
    path: impl Into<String>,
    token: Token,
    status: StatusCode,
) -> StatusCase {
    StatusCase {
        name,
        method: Method::GET,
        path: path.into(),
        token,
        content_type: None,
        body: Vec::new(),
        status,
    }
}

fn post_as(
    name: &'static str,
    token: Token,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
) -> StatusCase {
    StatusCase {
        name,
        method: Method::POST,
        path: "/api/v1/events".to_owned(),
        token,
        content_type,
        body: body.into(),
        status,
    }
}

/// A valid append body padded with JSON whitespace to exactly `bytes` bytes.
fn padded_body(bytes: usize) -> Vec<u8> {
    let mut body = serde_json::to_vec(&batch(vec![trial(&fresh())])).unwrap();
    assert!(body.len() < bytes);
    body.resize(bytes, b' ');
    body
}

fn status_cases(stored_event: &str) -> Vec<StatusCase> {
    use StatusCode as S;
    let json = Some("application/json");
    let good = || serde_json::to_vec(&batch(vec![trial(&fresh())])).unwrap();
    vec![
        post_as(
            "truncated JSON",
            Token::Staff,
            json,
            "{\"events\": [",
            S::BAD_REQUEST,
        ),
        post_as(
            "not JSON at all",
            Token::Staff,
            json,
            "events=1",
            S::BAD_REQUEST,
        ),
        post_as("an empty body", Token::Staff, json, "", S::BAD_REQUEST),
        post_as(
            "JSON with a trailing comma",
            Token::Staff,
            json,
            "{\"events\": [],}",
            S::BAD_REQUEST,
        ),
        get_as(
            "after=abc",
            "/api/v1/events?after=abc",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "after=-1",
            "/api/v1/events?after=-1",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "limit=0",
            "/api/v1/events?limit=0",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "limit=1001",
            "/api/v1/events?limit=1001",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "limit=ten",
            "/api/v1/events?limit=ten",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "an event id that is not a UUID",
            "/api/v1/events/42",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "a stream name of no known form",
            "/api/v1/streams/shop-42",
            Token::Staff,
            S::BAD_REQUEST,
        ),
        get_as(
            "GET without a token",
            "/api/v1/events",
            Token::None,
            S::UNAUTHORIZED,
        ),
        get_as(
            "GET of one event without a token",
            format!("/api/v1/events/{stored_event}"),
            Token::None,
            S::UNAUTHORIZED,
        ),
        get_as(
            "GET with an unknown token",
            "/api/v1/events",
            Token::Unknown,
            S::UNAUTHORIZED,
        ),
        get_as(
            "GET with basic auth",
            "/api/v1/events",
            Token::Header("Basic YW5uYTpzZWNyZXQ="),
            S::UNAUTHORIZED,
        ),
        get_as(
            "GET with an empty bearer token",
            "/api/v1/events",
            Token::Header("Bearer "),
            S::UNAUTHORIZED,
        ),
        post_as(
            "POST without a token",
            Token::None,
            json,
            good(),
            S::UNAUTHORIZED,
        ),
        post_as(
            "POST with an unknown token",
            Token::Unknown,
            json,
            good(),
            S::UNAUTHORIZED,
        ),
        post_as(
            "an auditor appending",
            Token::Auditor,
            json,
            good(),
            S::FORBIDDEN,
        ),
        get_as(
            "an unknown event id",
            format!("/api/v1/events/{}", fresh()),
            Token::Staff,
            S::NOT_FOUND,
        ),
        get_as(
            "an unknown stream",
            format!("/api/v1/streams/enterprise-{}", fresh()),
            Token::Staff,
            S::NOT_FOUND,
        ),
        get_as(
            "an unknown path",
            "/api/v1/nothing",
            Token::Staff,
            S::NOT_FOUND,
        ),
        get_as(
            "an unknown version",
            "/api/v2/events",
            Token::Staff,
            S::NOT_FOUND,
        ),
        StatusCase {
            method: Method::DELETE,
            ..get_as(
                "DELETE of the log",
                "/api/v1/events",
                Token::Staff,
                S::METHOD_NOT_ALLOWED,
            )
        },
        StatusCase {
            method: Method::PUT,
            ..get_as(
                "PUT of a stored event",
                format!("/api/v1/events/{stored_event}"),
                Token::Staff,
                S::METHOD_NOT_ALLOWED,
            )
        },
        post_as(
            "a body of 1 MiB and one byte",
            Token::Staff,
            json,
            padded_body(BODY_BYTES_MAX + 1),
            S::PAYLOAD_TOO_LARGE,
        ),
        post_as(
            "a body of 5 MiB",
            Token::Staff,
            json,
            padded_body(5 * BODY_BYTES_MAX),
            S::PAYLOAD_TOO_LARGE,
        ),
        post_as(
            "no content type",
            Token::Staff,
            None,
            good(),
            S::UNSUPPORTED_MEDIA_TYPE,
        ),
        post_as(
            "text/plain",
            Token::Staff,
            Some("text/plain"),
            good(),
            S::UNSUPPORTED_MEDIA_TYPE,
        ),
        post_as(
            "a form",
            Token::Staff,
            Some("application/x-www-form-urlencoded"),
            good(),
            S::UNSUPPORTED_MEDIA_TYPE,
        ),
        post_as(
            "JSON that breaks the schema",
            Token::Staff,
            json,
            "{\"events\": []}",
            S::UNPROCESSABLE_ENTITY,
        ),
    ]
}

#[tokio::test]
async fn every_status_code_comes_with_a_problem_document_and_stores_nothing() {
    let ledger = TestLedger::new();
    let stored = fresh();
    ledger
        .append_ok(vec![identified(&stored, trial(&fresh()))])
        .await;
    let cases = status_cases(&stored);
    let mut failures = Vec::new();
    for case in &cases {
        let before = ledger.head().await;
        let answer = ledger.send(status_request(&ledger, case)).await;
        let after = ledger.head().await;
        let outcome = if answer.status != case.status {
            Err(format!(
                "status {} instead of {}: {}",
                answer.status,
                case.status,
                String::from_utf8_lossy(&answer.body)
            ))
        } else if after != before {
            Err(format!("the log changed: {before:?} -> {after:?}"))
        } else {
            problem_document(&answer, case.status).map(drop)
        };
        if let Err(failure) = outcome {
            failures.push(format!("{}: {failure}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn status_request(ledger: &TestLedger, case: &StatusCase) -> Request<Body> {
    let mut builder = Request::builder()
        .method(case.method.clone())
        .uri(&case.path);
    let authorization = match case.token {
        Token::None => None,
        Token::Unknown => Some(format!("Bearer il_{}", "0".repeat(64))),
        Token::Staff => Some(format!("Bearer {}", ledger.staff)),
        Token::Auditor => Some(format!("Bearer {}", ledger.auditor)),
        Token::Header(value) => Some(value.to_owned()),
    };
    if let Some(authorization) = authorization {
        builder = builder.header(header::AUTHORIZATION, authorization);
    }
    if let Some(content_type) = case.content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    builder
        .body(Body::from(case.body.clone()))
        .expect("a valid request")
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let ledger = TestLedger::new();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let request = Request::get("/api/v1/events")
            .header(
                header::AUTHORIZATION,
                format!("{scheme} {}", ledger.auditor),
            )
            .body(Body::empty())
            .unwrap();
        let answer = ledger.send(request).await;
        assert_eq!(answer.status, StatusCode::OK, "scheme {scheme}");
    }
}

#[tokio::test]
async fn a_body_of_exactly_1_mib_is_read() {
    let ledger = TestLedger::new();
    let answer = ledger
        .send(post_json(&ledger.staff, padded_body(BODY_BYTES_MAX)))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(ledger.head().await.0, 1);
}

#[tokio::test]
async fn a_json_content_type_with_parameters_is_json() {
    let ledger = TestLedger::new();
    let request = Request::post("/api/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {}", ledger.staff))
        .header(header::CONTENT_TYPE, "Application/JSON; charset=utf-8")
        .body(Body::from(
            serde_json::to_vec(&batch(vec![trial(&fresh())])).unwrap(),
        ))
        .unwrap();
    let answer = ledger.send(request).await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_expected_version_conflict_states_the_actual_version() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let closing = fresh();
    ledger
        .append_ok(vec![
            registered(&enterprise),
            identified(&closing, closed(&enterprise, "2022-05-01")),
        ])
        .await;
    let retracting_close = with(retraction(&closing), "expected_version", 1);
    let before = ledger.head().await;
    let (status, headers, document) = ledger.append(vec![retracting_close]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{document}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    let detail = document["detail"].as_str().unwrap();
    assert!(
        detail.contains("version 2"),
        "the detail names version 2: {detail}"
    );
    let message = document["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("version 2"), "{message}");
    assert_eq!(document["errors"][0]["field"], "expected_version");
    assert_eq!(ledger.head().await, before);
}

// ---------------------------------------------------------------------------------------------
// Idempotent retries and atomic requests (§3.4).

#[tokio::test]
async fn a_retry_with_the_same_ids_returns_the_original_receipts_and_stores_nothing() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let events = vec![
        identified(
            &fresh(),
            with(registered(&enterprise), "expected_version", 0),
        ),
        identified(
            &fresh(),
            with_data(
                placed(&fresh(), "P-0001"),
                "enterprise_id",
                enterprise.as_str(),
            ),
        ),
        identified(&fresh(), with(granted(&fresh()), "note", "  trimmed  ")),
    ];
    let (status, _, first) = ledger.append(events.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Something else is stored in between; the retry must still answer as the first time.
    ledger.append_ok(vec![trial(&fresh())]).await;
    let before = ledger.head().await;

    let (status, headers, second) = ledger.append(events.clone()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(second, first, "the retry's receipts are the original ones");
    assert_eq!(ledger.head().await, before, "a retry stores nothing");

    let (status, _, third) = ledger.append(events).await;
    assert_eq!((status, &third), (StatusCode::OK, &first));
    assert_eq!(ledger.head().await, before);
}

#[tokio::test]
async fn the_same_request_sent_twice_at_once_is_stored_once() {
    let ledger = TestLedger::new();
    let events = vec![
        identified(&fresh(), trial(&fresh())),
        identified(&fresh(), trend(&fresh())),
    ];
    let (first, second) = tokio::join!(ledger.append(events.clone()), ledger.append(events));
    let mut statuses = [first.0.as_u16(), second.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{} / {}", first.2, second.2);
    assert_eq!(first.2, second.2, "both answers carry the same receipts");
    assert_eq!(ledger.head().await.0, 2);
}

#[tokio::test]
async fn the_same_id_with_other_content_is_a_conflict() {
    let ledger = TestLedger::new();
    let id = fresh();
    let trial_id = fresh();
    let original = identified(&id, trial(&trial_id));
    ledger.append_ok(vec![original.clone()]).await;
    let cases = vec![
        conflict(
            "another note",
            vec![with(original.clone(), "note", "changed")],
            &[(0, "id")],
        ),
        conflict(
            "another occurred_on",
            vec![with(original.clone(), "occurred_on", "2022-06-02")],
            &[(0, "id")],
        ),
        conflict(
            "another type",
            vec![identified(&id, trend(&trial_id))],
            &[(0, "id")],
        ),
        conflict(
            "a stored id alongside a new event",
            vec![original.clone(), trial(&fresh())],
            &[(1, "id")],
        ),
    ];
    run(&ledger, cases).await;
}

#[tokio::test]
async fn a_request_whose_third_event_is_bad_stores_none() {
    let ledger = TestLedger::new();
    let ids = [fresh(), fresh(), fresh()];
    let events = vec![
        identified(&ids[0], trial(&fresh())),
        identified(&ids[1], trend(&fresh())),
        identified(&ids[2], with_data(registered(&fresh()), "cvr", "10150818")),
    ];
    let (status, _, document) = ledger.append(events.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{document}");
    assert_eq!(
        document["errors"].as_array().unwrap().len(),
        1,
        "{document}"
    );
    assert_eq!(document["errors"][0]["index"], 2);
    assert_eq!(ledger.head().await, (0, None));
    for id in &ids {
        let (status, _, _) = ledger.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "event {id} must not be stored"
        );
    }
    // The same first two events are new events afterwards: nothing of the refusal remains.
    let receipts = ledger.append_ok(events[..2].to_vec()).await;
    assert_eq!(receipts[0]["position"], 1);
    assert_eq!(receipts[1]["position"], 2);
}

// ---------------------------------------------------------------------------------------------
// Reading: roles, one event, streams, pages.

#[tokio::test]
async fn staff_and_admin_append_as_themselves_and_every_role_reads() {
    let ledger = TestLedger::new();
    ledger.append_ok(vec![trial(&fresh())]).await;
    let body = batch(vec![trial(&fresh())]);
    let (status, _, _) = ledger
        .request(
            Method::POST,
            "/api/v1/events",
            Some(&ledger.admin),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for token in [&ledger.staff, &ledger.auditor, &ledger.admin] {
        let (status, headers, page) = ledger
            .request(Method::GET, "/api/v1/events", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let actors: Vec<&Value> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| &event["actor"])
            .collect();
        assert_eq!(actors, [STAFF, ADMIN]);
    }
}

#[tokio::test]
async fn a_stored_event_is_the_receipt_and_the_sent_event_with_every_member() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let sent = registered(&enterprise)
        .pipe(|event| with_data(event, "name", "  Café Æblehaven  "))
        .pipe(|event| without_data(event, "rsv"))
        .pipe(|event| without_data(event, "sdgs"));
    let cvr = sent["data"]["cvr"].clone();
    let receipts = ledger.append_ok(vec![sent]).await;
    let receipt = &receipts[0];
    let id = receipt["id"].as_str().unwrap();
    let (status, headers, stored) = ledger.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");

    let mut members: Vec<&str> = stored
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    let mut contract = [
        "position",
        "id",
        "stream",
        "version",
        "type",
        "schema",
        "occurred_on",
        "recorded_at",
        "actor",
        "correlation_id",
        "case_ref",
        "note",
        "data",
        "prev_hash",
        "hash",
    ];
    contract.sort_unstable();
    assert_eq!(members, contract);
    for member in ["id", "position", "stream", "version", "recorded_at", "hash"] {
        assert_eq!(stored[member], receipt[member], "{member} of the receipt");
    }
    assert_eq!(stored["position"], 1);
    assert_eq!(stored["stream"], format!("enterprise-{enterprise}"));
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["type"], "EnterpriseRegistered");
    assert_eq!(stored["schema"], impact_events::SCHEMA);
    assert_eq!(stored["occurred_on"], "2022-03-01");
    assert_eq!(stored["actor"], STAFF);
    for member in ["correlation_id", "case_ref", "note"] {
        assert_eq!(stored[member], Value::Null, "{member} is present as null");
    }
    assert_eq!(stored["prev_hash"], GENESIS);
    assert!(is_hex_64(&stored["hash"]), "{}", stored["hash"]);
    assert!(
        is_recorded_at(&stored["recorded_at"]),
        "{}",
        stored["recorded_at"]
    );
    assert_eq!(
        stored["data"],
        json!({
            "enterprise_id": enterprise,
            "name": "Café Æblehaven",
            "kind": "enterprise",
            "cvr": cvr,
            "rsv": null,
            "sdgs": null
        }),
        "strings are trimmed and absent optional members are null"
    );
}

#[tokio::test]
async fn a_stream_lists_its_events_in_version_order_retractions_included() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let closing = fresh();
    ledger.append_ok(vec![registered(&enterprise)]).await;
    ledger.append_ok(vec![trial(&fresh())]).await;
    ledger
        .append_ok(vec![identified(
            &closing,
            closed(&enterprise, "2022-05-01"),
        )])
        .await;
    let receipts = ledger.append_ok(vec![retraction(&closing)]).await;
    let name = format!("enterprise-{enterprise}");
    assert_eq!(
        receipts[0]["stream"], name,
        "a retraction joins its target's stream"
    );
    assert_eq!(receipts[0]["version"], 3);

    let (status, headers, stream) = ledger.get(&format!("/api/v1/streams/{name}")).await;
    assert_eq!(status, StatusCode::OK, "{stream}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(stream["stream"], name);
    assert_eq!(stream["version"], 3);
    let events = stream["events"].as_array().unwrap();
    let summary: Vec<(u64, u64, &str)> = events
        .iter()
        .map(|event| {
            (
                event["version"].as_u64().unwrap(),
                event["position"].as_u64().unwrap(),
                event["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 1, "EnterpriseRegistered"),
            (2, 3, "EnterpriseClosed"),
            (3, 4, "EventRetracted")
        ]
    );
    let all = ledger.all_events().await;
    for event in events {
        let position = event["position"].as_u64().unwrap() as usize;
        assert_eq!(
            event,
            &all[position - 1],
            "the stream shows the stored event"
        );
    }
    // Beside the events, never in them: the closure was retracted, by which event and why.
    let retractions = stream["retractions"].as_object().unwrap();
    assert_eq!(retractions.len(), 1, "{stream}");
    let closure = &retractions[&closing.to_string()];
    assert_eq!(closure["id"], events[2]["id"]);
    assert_eq!(closure["position"], 4);
    assert_eq!(closure["reason"], events[2]["data"]["reason"]);
    let (status, _, _) = ledger
        .get(&format!(
            "/api/v1/streams/enterprise-{}",
            enterprise.to_uppercase()
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only the canonical spelling names a stream"
    );
}

#[tokio::test]
async fn pages_follow_after_and_limit_and_end_with_next_after_null() {
    let ledger = TestLedger::new();
    ledger
        .append_ok((0..25).map(|_| trial(&fresh())).collect())
        .await;
    let positions = |page: &Value| -> Vec<u64> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["position"].as_u64().unwrap())
            .collect()
    };
    let span = |first: u64, last: u64| (first..=last).collect::<Vec<u64>>();
    let expectations = [
        ("", span(1, 25), Value::Null),
        ("?limit=10", span(1, 10), json!(10)),
        ("?after=10&limit=10", span(11, 20), json!(20)),
        ("?after=20&limit=10", span(21, 25), Value::Null),
        ("?after=20&limit=5", span(21, 25), Value::Null),
        ("?after=24&limit=1000", span(25, 25), Value::Null),
        ("?after=25", Vec::new(), Value::Null),
        ("?after=1000000", Vec::new(), Value::Null),
    ];
    for (query, expected, next_after) in expectations {
        let (status, _, page) = ledger.get(&format!("/api/v1/events{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(positions(&page), expected, "{query}");
        assert_eq!(page["next_after"], next_after, "{query}");
    }
    // Following next_after from the start visits every event once.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (_, _, page) = ledger
            .get(&format!("/api/v1/events?after={after}&limit=7"))
            .await;
        seen.extend(positions(&page));
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
}

#[tokio::test]
async fn one_event_is_the_same_as_in_the_page() {
    let ledger = TestLedger::new();
    ledger
        .append_ok(vec![trial(&fresh()), trend(&fresh()), granted(&fresh())])
        .await;
    for event in ledger.all_events().await {
        let id = event["id"].as_str().unwrap();
        let (status, _, one) = ledger.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one, event);
    }
}

// ---------------------------------------------------------------------------------------------
// The hash chain, recomputed without the store's code (CONTRACT §3.3).

/// The value with every object's members in sorted order, rebuilt here so the check does not
/// depend on how serde_json's map happens to be configured.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|left, right| left.0.cmp(right.0));
            Value::Object(
                members
                    .into_iter()
                    .map(|(key, value)| (key.clone(), sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// `json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
fn canonical_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(&sorted(value)).expect("JSON serializes")
}

/// CONTRACT §12: a sealed event's hash is over its values written as null and its `sealed`
/// entries without their salts, once each open value matches its commitment.
fn hashed_form(mut event: Value) -> Value {
    let sealed = event.get("sealed").cloned().unwrap_or(Value::Null);
    for (path, entry) in sealed.as_object().into_iter().flatten() {
        let pointer = format!("/{}", path.replace('.', "/"));
        let value = event.pointer_mut(&pointer).expect("a sealed member");
        if let Some(salt) = entry["salt"].as_str() {
            let mut digest = Sha256::new();
            digest.update(hex::decode(salt).expect("hex"));
            digest.update(value.as_str().expect("a sealed value is text"));
            assert_eq!(
                hex::encode(digest.finalize()),
                entry["commitment"],
                "{path}"
            );
        }
        *value = Value::Null;
        event["sealed"][path]
            .as_object_mut()
            .expect("an entry")
            .remove("salt");
    }
    event
}

fn has_no_float(value: &Value) -> bool {
    match value {
        Value::Number(number) => !number.is_f64(),
        Value::Object(map) => map.values().all(has_no_float),
        Value::Array(items) => items.iter().all(has_no_float),
        _ => true,
    }
}

fn is_hex_64(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.len() == 64
            && text
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly six fraction digits.
fn is_recorded_at(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.len() == 27
            && text.ends_with('Z')
            && text.as_bytes()[19] == b'.'
            && chrono::NaiveDateTime::parse_from_str(&text[..26], "%Y-%m-%dT%H:%M:%S%.6f").is_ok()
    })
}

/// Text JSON must escape (quote, backslash, tab, newline, U+0001) and text it must not (U+007F,
/// U+2028, non-ASCII letters).
/// Control characters are refused at the door (CONTRACT §8); their escapes are proved on stored
/// events in events/tests/hashing.rs.
const NOTE_WITH_ESCAPES: &str = "Søren's \"café\" with\\escapes and a\u{2028}line";

/// A log with every type, both token names, non-ASCII text, escapes and absent optionals.
fn varied_events() -> Vec<Vec<Value>> {
    let enterprise = fresh();
    let agreement = fresh();
    let placement_event = fresh();
    vec![
        vec![strategy(&fresh()), registered(&enterprise)],
        vec![
            identified(
                &placement_event,
                with_data(
                    placed(&fresh(), "P-0001"),
                    "enterprise_id",
                    enterprise.as_str(),
                ),
            ),
            with_data(granted(&fresh()), "amount_ore", 9_007_199_254_740_991_i64)
                .pipe(|event| with(event, "note", NOTE_WITH_ESCAPES)),
            signed(&agreement)
                .pipe(|event| with_data(event, "valid_to", "2025-12-31"))
                .pipe(|event| with(event, "case_ref", "24-004614"))
                .pipe(|event| with(event, "correlation_id", fresh())),
        ],
        vec![ended(&agreement, "2023-01-01")],
        vec![
            with_data(
                trial(&fresh()),
                "partners",
                json!(["Jobcenter", "Røde Kors"]),
            ),
            trend(&fresh()),
            retraction(&placement_event),
            closed(&enterprise, "2023-06-30"),
        ],
    ]
}

#[tokio::test]
async fn the_hash_chain_recomputes_from_the_api_alone() {
    let ledger = TestLedger::new();
    for (index, events) in varied_events().into_iter().enumerate() {
        let token = if index % 2 == 0 {
            &ledger.staff
        } else {
            &ledger.admin
        };
        let (status, _, body) = ledger
            .request(
                Method::POST,
                "/api/v1/events",
                Some(token),
                Some(batch(events)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Pages of 3 make the chain cross page boundaries.
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let (_, _, page) = ledger
            .get(&format!("/api/v1/events?after={after}&limit=3"))
            .await;
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(events.len(), 10);

    let mut previous_hash = GENESIS.to_owned();
    let mut previous_recorded_at = String::new();
    let mut stream_versions = std::collections::HashMap::new();
    for (offset, event) in events.iter().enumerate() {
        let position = event["position"].as_u64().unwrap();
        assert_eq!(
            position,
            offset as u64 + 1,
            "positions are 1-based and gap-free"
        );
        assert!(has_no_float(event), "no floats in stored data: {event}");
        assert_eq!(
            event["prev_hash"],
            previous_hash.as_str(),
            "prev_hash at {position}"
        );

        let mut unhashed = event.clone();
        let hash = unhashed
            .as_object_mut()
            .unwrap()
            .remove("hash")
            .expect("a hash member");
        assert!(is_hex_64(&hash), "{hash}");
        let recomputed = hex::encode(Sha256::digest(canonical_bytes(&hashed_form(unhashed))));
        assert_eq!(hash, recomputed.as_str(), "the hash of position {position}");

        let recorded_at = event["recorded_at"].as_str().unwrap().to_owned();
        assert!(is_recorded_at(&event["recorded_at"]), "{recorded_at}");
        assert!(
            recorded_at >= previous_recorded_at,
            "recorded_at never goes back"
        );
        let version = stream_versions
            .entry(event["stream"].as_str().unwrap().to_owned())
            .or_insert(0);
        *version += 1;
        assert_eq!(
            event["version"], *version,
            "versions are 1-based and gap-free per stream"
        );

        // What the API returns for one event is exactly the bytes that were hashed, plus hash.
        let id = event["id"].as_str().unwrap();
        let one = ledger
            .send(
                Request::get(format!("/api/v1/events/{id}"))
                    .header(header::AUTHORIZATION, format!("Bearer {}", ledger.auditor))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            one.body.as_ref(),
            canonical_bytes(event).as_slice(),
            "position {position}"
        );

        previous_hash = recomputed;
        previous_recorded_at = recorded_at;
    }
    let note = &events[3]["note"];
    assert_eq!(note, NOTE_WITH_ESCAPES, "text is stored as sent");
    assert_eq!(events[3]["data"]["amount_ore"], 9_007_199_254_740_991_i64);
    let signed = &events[4];
    assert_eq!(signed["data"]["valid_to"], "2025-12-31");
    assert!(events[1]["data"]["cvr"]
        .as_str()
        .is_some_and(|cvr| cvr.len() == 8));
    assert_eq!(
        events[2]["data"]["enterprise_id"],
        events[1]["data"]["enterprise_id"]
    );
    assert_eq!(events[0]["actor"], STAFF);
    assert_eq!(events[2]["actor"], ADMIN);
}
