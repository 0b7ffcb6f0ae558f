//! Proves the rules of CONTRACT §3.1, §3.2 and §3.4 through `parse_event_in` and `admit_request`:
//! each case is stored history plus a request, both as client JSON, and `check` renders the
//! outcome (each event's stream and version, or every problem with its index, field and status)
//! as lines compared against the expected ones.

use chrono::NaiveDate;
use impact_events::*;
use serde_json::{json, Value};
use uuid::Uuid;

/// The `today` every case is checked against (the caller's date in Copenhagen).
const TODAY: &str = "2024-06-15";
/// Ids are `ID_PREFIX` + three hex digits; rendered outcomes write the prefix as `#`.
const ID_PREFIX: &str = "00000000-0000-0000-0000-000000000";
/// A CVR number that passes the modulus-11 check: 1·2+0·7+1·6+5·5+0·4+8·3+1·2+7·1 = 66 = 6·11.
const CVR_VALID: &str = "10150817";

/// Checks `request` against the state built from `given` and compares the outcome with `expect`.
///
/// `given` events are admitted one request at a time, sealed and applied, as the writer does;
/// they must pass. Their ids are `#1xx` (`xx` = their place in `given`, in hex), the request's
/// are `#2xx` unless the event sets its own. Each expected line is a prefix of the rendered
/// line: `"<index> <stream> v<version> <data>"` when the request passes, otherwise
/// `"<index> <field or -> <409|422> <message>"` for every problem, in order.
#[track_caller]
fn check(given: &[Value], request: &[Value], expect: &[&str]) {
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let mut state = LedgerState::default();
    let mut prev_hash = Hash::GENESIS;
    for (index, value) in given.iter().enumerate() {
        let fresh_id = short_id(&format!("1{index:02x}"));
        let mut events = vec![parse_event_in(0, value.clone(), fresh_id)
            .unwrap_or_else(|problems| panic!("given[{index}] does not parse: {problems:?}"))];
        let placed = admit_request(&state, &mut events, today)
            .unwrap_or_else(|problems| panic!("given[{index}] is refused: {problems:?}"));
        let (stream, version) = placed[0];
        let stored = StoredEvent::seal(
            events.remove(0),
            Placement {
                position: index as u64 + 1,
                stream,
                version,
                recorded_at: RecordedAt(1_700_000_000_000_000 + index as i64),
                actor: "anna".to_owned(),
                prev_hash,
            },
        );
        prev_hash = stored.hash;
        state.apply(&stored);
    }
    let rendered = render(&state, request, today);
    let matches = rendered.len() == expect.len()
        && rendered
            .iter()
            .zip(expect)
            .all(|(line, expected)| line.starts_with(expected));
    assert!(
        matches,
        "\nexpected (prefixes):\n  {}\nactual:\n  {}\n",
        expect.join("\n  "),
        rendered.join("\n  ")
    );
}

/// Parses every event of the request and then admits them all; when some do not parse, their
/// problems and every problem of the ones that did are listed in event order, as the server
/// answers (`rules::problems_of`).
fn render(state: &LedgerState, request: &[Value], today: NaiveDate) -> Vec<String> {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (index, value) in request.iter().enumerate() {
        let fresh_id = short_id(&format!("2{index:02x}"));
        match parse_event_in(index, value.clone(), fresh_id) {
            Ok(event) => events.push((index, event)),
            Err(found) => problems.extend(found),
        }
    }
    let outcome = if problems.is_empty() {
        let mut events: Vec<NewEvent> = events.drain(..).map(|(_, event)| event).collect();
        let outcome = admit_request(state, &mut events, today);
        let events = events.into_iter().enumerate().collect();
        (outcome, events)
    } else {
        let parsed = events.iter().map(|(index, event)| (*index, event));
        problems.extend(rules::problems_of(state, parsed, today));
        problems.sort_by_key(|problem| problem.index);
        (Err(problems), events)
    };
    let (outcome, events): (_, Vec<(usize, NewEvent)>) = outcome;
    let lines: Vec<String> = match outcome {
        Ok(placed) => placed
            .iter()
            .zip(&events)
            .map(|((stream, version), (index, event))| {
                format!("{index} {stream} v{version} {}", event.data.to_json())
            })
            .collect(),
        Err(problems) => problems
            .iter()
            .map(|problem| {
                format!(
                    "{} {} {} {}",
                    problem
                        .index
                        .map_or("-".to_owned(), |index| index.to_string()),
                    problem.field.as_deref().unwrap_or("-"),
                    if problem.conflict { 409 } else { 422 },
                    problem.message
                )
            })
            .collect(),
    };
    lines
        .into_iter()
        .map(|line| line.replace(ID_PREFIX, "#"))
        .collect()
}

fn short_id(short: &str) -> Uuid {
    Uuid::parse_str(&id(short)).unwrap()
}

/// The full id written `#<short>` in rendered outcomes; `short` is three hex digits.
fn id(short: &str) -> String {
    assert_eq!(short.len(), 3, "short ids are three hex digits");
    format!("{ID_PREFIX}{short}")
}

// Events as a client writes them, valid unless changed with `with` or `with_data`.

fn event(type_name: &str, occurred_on: &str, data: Value) -> Value {
    json!({"type": type_name, "occurred_on": occurred_on, "data": data})
}

/// Sets (or, with `null`, writes as null) envelope members.
fn with(mut event: Value, members: Value) -> Value {
    for (key, value) in members.as_object().unwrap() {
        event[key] = value.clone();
    }
    event
}

/// Sets members of `data`.
fn with_data(mut event: Value, members: Value) -> Value {
    for (key, value) in members.as_object().unwrap() {
        event["data"][key] = value.clone();
    }
    event
}

/// Leaves out a member of `data`.
fn without_data(mut event: Value, key: &str) -> Value {
    event["data"].as_object_mut().unwrap().remove(key);
    event
}

fn strategy(strategy: &str) -> Value {
    event(
        "StrategyAdopted",
        "2022-01-01",
        json!({
            "strategy_id": id(strategy),
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

fn register(enterprise: &str) -> Value {
    event(
        "EnterpriseRegistered",
        "2022-03-01",
        json!({"enterprise_id": id(enterprise), "name": "Café Kronen", "kind": "enterprise"}),
    )
}

fn close(enterprise: &str) -> Value {
    event(
        "EnterpriseClosed",
        "2023-06-30",
        json!({"enterprise_id": id(enterprise)}),
    )
}

fn place(placement: &str) -> Value {
    event(
        "PersonPlacedInEmployment",
        "2023-02-01",
        json!({"placement_id": id(placement), "person_ref": "P-0001", "employment_type": "ordinary"}),
    )
}

fn grant(grant: &str) -> Value {
    event(
        "GrantAwarded",
        "2023-04-01",
        json!({"grant_id": id(grant), "funder": "Fonden X", "amount_ore": 30_000_000}),
    )
}

fn sign(agreement: &str) -> Value {
    event(
        "AgreementSigned",
        "2022-05-01",
        json!({"agreement_id": id(agreement), "counterparty": "Frivilligcenter Slagelse", "kind": "partnership"}),
    )
}

fn end(agreement: &str) -> Value {
    event(
        "AgreementEnded",
        "2023-05-01",
        json!({"agreement_id": id(agreement)}),
    )
}

fn trial(trial: &str) -> Value {
    event(
        "TrialStarted",
        "2023-01-10",
        json!({"trial_id": id(trial), "title": "Ekstra gear i jobcentret", "kind": "internal_trial"}),
    )
}

fn trend(trend: &str) -> Value {
    event(
        "TrendNoted",
        "2023-03-03",
        json!({"trend_id": id(trend), "title": "Kommunale indkøb med sociale klausuler", "kind": "trend"}),
    )
}

fn retract(target: &str) -> Value {
    event(
        "EventRetracted",
        "2023-08-01",
        json!({"event_id": id(target), "reason": "entered twice"}),
    )
}

#[test]
fn every_valid_event_type_is_admitted_into_its_own_stream() {
    check(
        &[],
        &[
            strategy("501"),
            register("e01"),
            close("e01"),
            place("b01"),
            grant("901"),
            sign("a01"),
            end("a01"),
            trial("701"),
            trend("d01"),
            retract("203"),
        ],
        &[
            "0 strategy-#501 v1",
            "1 enterprise-#e01 v1",
            "2 enterprise-#e01 v2",
            "3 placement-#b01 v1",
            "4 grant-#901 v1",
            "5 agreement-#a01 v1",
            "6 agreement-#a01 v2",
            "7 trial-#701 v1",
            "8 trend-#d01 v1",
            "9 placement-#b01 v2",
        ],
    );
}

#[test]
fn unknown_members_and_types_are_refused() {
    let cases: &[(Value, &str)] = &[
        (
            with(register("e01"), json!({"typo": 1})),
            "0 typo 422 there is no member typo here; check the spelling (the members are id, type,",
        ),
        (
            with_data(register("e01"), json!({"nmae": "Café"})),
            "0 data.nmae 422 there is no member nmae here",
        ),
        (
            with_data(
                strategy("501"),
                json!({"targets": [{"metric": "people_employed", "per": "year", "value": 1, "unit": "people"}]}),
            ),
            "0 data.targets[0].unit 422 there is no member unit here; check the spelling (the members are metric, per and value)",
        ),
        (
            event("EnterpriseRegisterd", "2022-03-01", json!({})),
            "0 type 422 there is no event type EnterpriseRegisterd; use StrategyAdopted, ",
        ),
        (
            event("enterprise_registered", "2022-03-01", json!({})),
            "0 type 422 there is no event type",
        ),
        (
            json!({"occurred_on": "2022-03-01", "data": {}}),
            "0 type 422 type is missing; it is required",
        ),
        (
            json!({"type": "EnterpriseClosed", "data": {}}),
            "0 occurred_on 422 occurred_on is missing",
        ),
        (
            without_data(register("e01"), "name"),
            "0 data.name 422 name is missing",
        ),
        (
            with(register("e01"), json!({"id": "not-a-uuid"})),
            "0 id 422",
        ),
        (
            with(register("e01"), json!({"correlation_id": 7})),
            "0 correlation_id 422",
        ),
        (
            with(register("e01"), json!({"expected_version": -1})),
            "0 expected_version 422",
        ),
        (
            with(register("e01"), json!({"data": null})),
            "0 data 422 must be an object in curly braces {...}",
        ),
    ];
    for (request, expect) in cases {
        check(&[], std::slice::from_ref(request), &[expect]);
    }
}

#[test]
fn every_parse_problem_of_a_request_is_listed() {
    let bad_date_and_data = with_data(
        with(register("e01"), json!({"occurred_on": "2022-3-1"})),
        json!({"kind": "company"}),
    );
    check(
        &[],
        &[
            register("e02"),
            bad_date_and_data,
            with(close("e02"), json!({"note": " "})),
        ],
        &[
            "1 occurred_on 422 2022-3-1 is not a date written YYYY-MM-DD",
            "1 data.kind 422 \"company\" is not allowed here; use enterprise or initiative",
            "2 note 422 must not be empty",
        ],
    );
}

#[test]
fn occurred_on_is_a_real_date_between_1900_and_today() {
    let on = |date: &str| with(register("e01"), json!({ "occurred_on": date }));
    check(&[], &[on(TODAY)], &["0 enterprise-#e01 v1"]);
    check(&[], &[on("1900-01-01")], &["0 enterprise-#e01 v1"]);
    check(
        &[],
        &[on("2024-06-16")],
        &["0 occurred_on 422 2024-06-16 is in the future (today is 2024-06-15"],
    );
    check(
        &[],
        &[on("1899-12-31")],
        &["0 occurred_on 422 1899-12-31 is before 1900-01-01"],
    );
    for bad in [
        "2022-3-1",
        "01-03-2022",
        "2022-03-01T00:00:00Z",
        " 2022-03-01",
        "",
    ] {
        let expected = format!("0 occurred_on 422 {bad} is not a date written YYYY-MM-DD");
        check(&[], &[on(bad)], &[&expected]);
    }
    // Written right, but no such day: said so, not "invalid".
    for bad in ["2023-02-29", "2026-02-30", "2022-13-01", "2022-04-31"] {
        let expected = format!("0 occurred_on 422 {bad} does not exist in the calendar");
        check(&[], &[on(bad)], &[&expected]);
    }
    check(
        &[],
        &[with(register("e01"), json!({"occurred_on": 20220301}))],
        &["0 occurred_on 422 must be a date written YYYY-MM-DD, e.g. 2024-03-01"],
    );
}

#[test]
fn envelope_texts_are_trimmed_and_bounded() {
    let long_note = "x".repeat(1000);
    let too_long_note = "x".repeat(1001);
    check(
        &[],
        &[with(
            register("e01"),
            json!({"note": long_note, "case_ref": " 24-004614 "}),
        )],
        &["0 enterprise-#e01 v1"],
    );
    check(
        &[],
        &[with(register("e01"), json!({"note": too_long_note}))],
        &["0 note 422 must be at most 1000 characters"],
    );
    // Characters, not bytes: 1000 × "ø" is 2000 bytes and allowed.
    check(
        &[],
        &[with(register("e01"), json!({"note": "ø".repeat(1000)}))],
        &["0 enterprise-#e01 v1"],
    );
    check(
        &[],
        &[with(register("e01"), json!({"case_ref": "\t "}))],
        &["0 case_ref 422 must not be empty"],
    );
    check(
        &[],
        &[with(
            register("e01"),
            json!({"note": null, "case_ref": null, "correlation_id": null, "id": null, "expected_version": null}),
        )],
        &["0 enterprise-#e01 v1"],
    );
}

#[test]
fn payload_strings_are_trimmed_and_must_not_be_blank() {
    check(
        &[],
        &[with_data(
            register("e01"),
            json!({"name": "  Café Kronen \n", "cvr": " 10150817 "}),
        )],
        &[
            r##"0 enterprise-#e01 v1 {"cvr":"10150817","enterprise_id":"#e01","kind":"enterprise","name":"Café Kronen","##,
        ],
    );
    let blank = " \t\n";
    let cases: &[(Value, &str)] = &[
        (
            with_data(strategy("501"), json!({"name": blank})),
            "0 data.name 422 must not be empty",
        ),
        (
            with_data(register("e01"), json!({"name": ""})),
            "0 data.name 422 must not be empty",
        ),
        (
            with_data(grant("901"), json!({"funder": blank})),
            "0 data.funder 422 must not be empty",
        ),
        (
            with_data(grant("901"), json!({"purpose": blank})),
            "0 data.purpose 422 must not be empty",
        ),
        (
            with_data(sign("a01"), json!({"counterparty": blank})),
            "0 data.counterparty 422 must not be empty",
        ),
        (
            with_data(trial("701"), json!({"title": blank})),
            "0 data.title 422 must not be empty",
        ),
        (
            with_data(trial("701"), json!({"partners": ["Jobcenter", blank]})),
            "0 data.partners[1] 422 must not be empty",
        ),
        (
            with_data(trend("d01"), json!({"title": blank})),
            "0 data.title 422 must not be empty",
        ),
        (
            with_data(trend("d01"), json!({"source": blank})),
            "0 data.source 422 must not be empty",
        ),
        (
            with_data(retract("100"), json!({"reason": blank})),
            "0 data.reason 422 must not be empty",
        ),
        (
            with_data(register("e01"), json!({"name": "x".repeat(501)})),
            "0 data.name 422 must be at most 500 characters",
        ),
    ];
    for (request, expect) in cases {
        check(&[register("e09")], std::slice::from_ref(request), &[expect]);
    }
    check(
        &[register("e01")],
        &[with_data(close("e01"), json!({"reason": blank}))],
        &["0 data.reason 422 must not be empty"],
    );
    check(
        &[sign("a01")],
        &[with_data(end("a01"), json!({"reason": blank}))],
        &["0 data.reason 422 must not be empty"],
    );
}

#[test]
fn cvr_is_eight_digits_passing_modulus_11() {
    let with_cvr = |cvr: Value| with_data(register("e01"), json!({ "cvr": cvr }));
    for valid in [CVR_VALID, "29403473", "25313763", "55133018", "12345674"] {
        check(&[], &[with_cvr(json!(valid))], &["0 enterprise-#e01 v1"]);
    }
    check(&[], &[with_cvr(Value::Null)], &["0 enterprise-#e01 v1"]);
    for wrong_check_digit in ["10150818", "12345678", "00000001"] {
        check(
            &[],
            &[with_cvr(json!(wrong_check_digit))],
            &[
                "0 data.cvr 422 {wrong_check_digit} fails the CVR modulus-11 check"
                    .replace("{wrong_check_digit}", wrong_check_digit)
                    .as_str(),
            ],
        );
    }
    for malformed in [
        "1015081",
        "101508170",
        "1015 0817",
        "1O150817",
        "DK10150817",
        "١٠١٥٠٨١٧",
        "",
    ] {
        check(
            &[],
            &[with_cvr(json!(malformed))],
            &["0 data.cvr 422 a CVR number is exactly 8 digits"],
        );
    }
    check(
        &[],
        &[with_cvr(json!(10150817))],
        &["0 data.cvr 422 must be text in double quotes"],
    );
}

#[test]
fn person_ref_is_a_pseudonym_and_never_a_cpr_number() {
    let with_ref = |person_ref: &str| with_data(place("b01"), json!({ "person_ref": person_ref }));
    let sixty_four = "a".repeat(64);
    let sixty_five = "a".repeat(65);
    for valid in [
        "P-0001",
        "a",
        "abc_DEF-123",
        sixty_four.as_str(),
        "123456789",
        "01019012345",
        "010190_1234",
        "0101901-234",
    ] {
        check(&[], &[with_ref(valid)], &["0 placement-#b01 v1"]);
    }
    for bad_length in ["", "   ", sixty_five.as_str()] {
        check(
            &[],
            &[with_ref(bad_length)],
            &["0 data.person_ref 422 must be 1 to 64 characters"],
        );
    }
    for bad_charset in ["P 0001", "Jørgen", "a.b", "a/b", "P+1", "é"] {
        check(
            &[],
            &[with_ref(bad_charset)],
            &["0 data.person_ref 422 may only hold letters A-Z, digits, _ and -"],
        );
    }
    for cpr in [
        "0101901234",
        "010190-1234",
        " 3112999999 ",
        "0000000000",
        "CPR-0101901234",
        "sla-p-010190-1234",
    ] {
        check(
            &[],
            &[with_ref(cpr)],
            &["0 data.person_ref 422 holds what looks like a CPR number"],
        );
    }
}

#[test]
fn employment_type_is_one_of_six() {
    for employment_type in [
        "ordinary",
        "flexjob",
        "wage_subsidy",
        "sheltered",
        "education",
        "other",
    ] {
        check(
            &[],
            &[with_data(
                place("b01"),
                json!({ "employment_type": employment_type }),
            )],
            &["0 placement-#b01 v1"],
        );
    }
    for wrong in ["fleksjob", "Ordinary", "wage-subsidy", ""] {
        check(
            &[],
            &[with_data(place("b01"), json!({ "employment_type": wrong }))],
            &[&format!(
                "0 data.employment_type 422 \"{wrong}\" is not allowed here; use ordinary, flexjob,"
            )],
        );
    }
}

#[test]
fn kinds_are_closed_lists() {
    let cases: &[(Value, &[&str], &str)] = &[
        (register("e01"), &["enterprise", "initiative"], "company"),
        (
            sign("a01"),
            &["partnership", "civil_society", "volunteering"],
            "civil-society",
        ),
        (trial("701"), &["internal_trial", "trial_action"], "pilot"),
        (trend("d01"), &["trend", "offer"], "Trend"),
    ];
    for (base, valid, wrong) in cases {
        for kind in *valid {
            check(
                &[],
                &[with_data(base.clone(), json!({ "kind": kind }))],
                &["0 "],
            );
        }
        check(
            &[],
            &[with_data(base.clone(), json!({ "kind": wrong }))],
            &[&format!(
                "0 data.kind 422 \"{wrong}\" is not allowed here; use "
            )],
        );
    }
}

#[test]
fn amount_ore_is_a_positive_integer() {
    let with_amount = |amount: Value| with_data(grant("901"), json!({ "amount_ore": amount }));
    check(&[], &[with_amount(json!(1))], &["0 grant-#901 v1"]);
    // The largest integer every JSON reader (and RFC 8785's IEEE doubles) holds exactly.
    check(
        &[],
        &[with_amount(json!(9_007_199_254_740_991_i64))],
        &["0 grant-#901 v1"],
    );
    for not_positive in [json!(0), json!(-1), json!(i64::MIN)] {
        check(
            &[],
            &[with_amount(not_positive)],
            &["0 data.amount_ore 422 must be a whole number of øre greater than 0"],
        );
    }
    // Beyond 2^53 the canonical JSON of the hash would round the amount (see tests/hashing.rs).
    check(
        &[],
        &[with_amount(json!(9_007_199_254_740_993_i64))],
        &["0 data.amount_ore 422 must be at most 9007199254740991"],
    );
    for float in [json!(1.5), json!(100.0), json!(1e3)] {
        check(
            &[],
            &[with_amount(float)],
            &["0 data.amount_ore 422 must be a whole number of øre, e.g. 15000050 for 150.000,50 kr."],
        );
    }
    check(
        &[],
        &[with_amount(json!("100"))],
        &["0 data.amount_ore 422 must be a whole number of øre, e.g."],
    );
    check(
        &[],
        &[with_amount(json!(u64::MAX))],
        &["0 data.amount_ore 422 must be a whole number of øre, e.g."],
    );
}

#[test]
fn sdgs_are_goals_1_to_17_listed_once() {
    let bases = [register("e01"), grant("901"), trial("701"), trend("d01")];
    for base in bases {
        let with_sdgs = |sdgs: Value| with_data(base.clone(), json!({ "sdgs": sdgs }));
        check(&[], &[with_sdgs(json!([1, 8, 17]))], &["0 "]);
        check(&[], &[with_sdgs(json!([]))], &["0 "]);
        check(&[], &[with_sdgs(Value::Null)], &["0 "]);
        check(
            &[],
            &[with_sdgs(json!([8, 0, 18]))],
            &[
                "0 data.sdgs[1] 422 0 is not a UN goal; the goals are 1 to 17",
                "0 data.sdgs[2] 422 18 is not a UN goal",
            ],
        );
        check(
            &[],
            &[with_sdgs(json!([8, 10, 8]))],
            &["0 data.sdgs[2] 422 goal 8 is listed twice"],
        );
        for unreadable in [json!([-1]), json!([256]), json!([8.0]), json!(["8"])] {
            check(
                &[],
                &[with_sdgs(unreadable)],
                &["0 data.sdgs[0] 422 must be a UN goal number from 1 to 17"],
            );
        }
        check(
            &[],
            &[with_sdgs(json!(8))],
            &["0 data.sdgs 422 must be a list in square brackets [...]"],
        );
    }
}

#[test]
fn strategy_targets_pair_metric_and_period() {
    let with_targets = |targets: Value| with_data(strategy("501"), json!({ "targets": targets }));
    check(
        &[],
        &[with_targets(
            json!([{"metric": "people_employed", "per": "year", "value": 0}]),
        )],
        &["0 strategy-#501 v1"],
    );
    check(
        &[],
        &[with_targets(json!([
            {"metric": "people_employed", "per": "period", "value": 30},
            {"metric": "enterprises_active", "per": "year", "value": 40}
        ]))],
        &[
            "0 data.targets[0].per 422 people_employed is counted per year",
            "0 data.targets[1].per 422 enterprises_active is counted per period",
        ],
    );
    check(
        &[],
        &[with_targets(
            json!([{"metric": "enterprises_active", "per": "period", "value": -1}]),
        )],
        &["0 data.targets[0].value 422 must not be negative"],
    );
    check(
        &[],
        &[with_targets(
            json!([{"metric": "enterprises_active", "per": "period", "value": 9_007_199_254_740_992_i64}]),
        )],
        &["0 data.targets[0].value 422 must be at most 9007199254740991"],
    );
    check(
        &[],
        &[with_targets(
            json!([{"metric": "enterprises_active", "per": "period", "value": 40.5}]),
        )],
        &["0 data.targets[0].value 422 must be a whole number, e.g. 30"],
    );
    check(
        &[],
        &[with_targets(
            json!([{"metric": "grants_won", "per": "year", "value": 1}]),
        )],
        &["0 data.targets[0].metric 422 \"grants_won\" is not allowed here; use people_employed, enterprises_active, retention_6m_pct, grants_total_ore, agreements_active or trials_started"],
    );
    check(
        &[],
        &[with_targets(
            json!([{"metric": "people_employed", "per": "month", "value": 1}]),
        )],
        &["0 data.targets[0].per 422 \"month\" is not allowed here; use year or period"],
    );
    check(
        &[],
        &[with_targets(json!([
            {"metric": "people_employed", "per": "year", "value": 30},
            {"metric": "people_employed", "per": "year", "value": 35}
        ]))],
        &["0 data.targets[1].metric 422 this metric already has a target"],
    );
    check(
        &[],
        &[with_targets(json!([]))],
        &["0 data.targets 422 a strategy needs at least one target"],
    );
}

#[test]
fn strategy_years_run_forwards() {
    let years =
        |from: i64, to: i64| with_data(strategy("501"), json!({"from_year": from, "to_year": to}));
    check(&[], &[years(2022, 2022)], &["0 strategy-#501 v1"]);
    check(
        &[],
        &[years(2026, 2025)],
        &["0 data.to_year 422 must not be before from_year"],
    );
    check(
        &[],
        &[years(22, 2025)],
        &["0 data.from_year 422 22 is not a plausible year"],
    );
    check(
        &[],
        &[years(2022, 99_999_999_999)],
        &["0 data.to_year 422 must be a year written as a whole number"],
    );
}

#[test]
fn creating_events_need_a_new_stream() {
    let creations = [
        (strategy("501"), "data.strategy_id", "strategy-#501"),
        (register("e01"), "data.enterprise_id", "enterprise-#e01"),
        (place("b01"), "data.placement_id", "placement-#b01"),
        (grant("901"), "data.grant_id", "grant-#901"),
        (sign("a01"), "data.agreement_id", "agreement-#a01"),
        (trial("701"), "data.trial_id", "trial-#701"),
        (trend("d01"), "data.trend_id", "trend-#d01"),
    ];
    for (creation, field, stream) in creations {
        // Sent again with a new event id: the entity is stored, and where is said.
        let already = format!(
            "0 {field} 409 {stream} is already stored (its first event is at position 1); to \
             correct it, retract that event in the same request"
        );
        check(
            std::slice::from_ref(&creation),
            std::slice::from_ref(&creation),
            &[&already],
        );
        // The same entity id twice in one request: the second one is refused.
        let again = format!(
            "1 {field} 422 {stream} is already created by an earlier event of this request"
        );
        check(&[], &[creation.clone(), creation.clone()], &[&again]);
        // A correction: once its creating event is retracted, the id may be created again, in
        // the same stream (version 3), in the same request as the retraction or later.
        let recreated = format!("0 {stream} v3");
        check(
            &[creation.clone(), retract("100")],
            std::slice::from_ref(&creation),
            &[&recreated],
        );
        check(
            std::slice::from_ref(&creation),
            &[retract("100"), creation.clone()],
            &[&format!("0 {stream} v2"), &format!("1 {stream} v3")],
        );
        // The retracted creation stays retracted: created again, the standing one is the new.
        let stored_again =
            format!("0 {field} 409 {stream} is already stored (its first event is at position 3)");
        check(
            &[creation.clone(), retract("100"), creation.clone()],
            std::slice::from_ref(&creation),
            &[&stored_again],
        );
    }
}

#[test]
fn closing_an_enterprise_needs_one_that_is_registered_and_open() {
    check(
        &[register("e01")],
        &[close("e01")],
        &["0 enterprise-#e01 v2"],
    );
    check(
        &[],
        &[close("e01")],
        &["0 data.enterprise_id 422 no enterprise #e01 is registered"],
    );
    check(
        &[register("e01"), close("e01")],
        &[close("e01")],
        &["0 data.enterprise_id 422 enterprise #e01 is already closed"],
    );
    // Registered 2022-03-01: closing the same day is fine, the day before is not.
    check(
        &[register("e01")],
        &[with(close("e01"), json!({"occurred_on": "2022-03-01"}))],
        &["0 enterprise-#e01 v2"],
    );
    check(
        &[register("e01")],
        &[with(close("e01"), json!({"occurred_on": "2022-02-28"}))],
        &["0 occurred_on 422 must not be before the enterprise's registration on 2022-03-01"],
    );
    // A close that was retracted no longer closes: the enterprise can be closed again.
    check(
        &[register("e01"), close("e01"), retract("101")],
        &[close("e01")],
        &["0 enterprise-#e01 v4"],
    );
    // Retracting the registration means the enterprise was never there.
    check(
        &[register("e01"), retract("100")],
        &[close("e01")],
        &["0 data.enterprise_id 422 no enterprise #e01 is registered"],
    );
    // Another stream's entity with the same id is not an enterprise.
    check(
        &[sign("e01")],
        &[close("e01")],
        &["0 data.enterprise_id 422 no enterprise #e01 is registered"],
    );
}

#[test]
fn ending_an_agreement_needs_one_that_is_signed_and_running() {
    check(&[sign("a01")], &[end("a01")], &["0 agreement-#a01 v2"]);
    check(
        &[],
        &[end("a01")],
        &["0 data.agreement_id 422 no agreement #a01 is signed"],
    );
    check(
        &[sign("a01"), end("a01")],
        &[end("a01")],
        &["0 data.agreement_id 422 agreement #a01 has already ended"],
    );
    check(
        &[sign("a01"), end("a01"), retract("101")],
        &[end("a01")],
        &["0 agreement-#a01 v4"],
    );
    check(
        &[sign("a01"), retract("100")],
        &[end("a01")],
        &["0 data.agreement_id 422 no agreement #a01 is signed"],
    );
    check(
        &[sign("a01")],
        &[with(end("a01"), json!({"occurred_on": "2022-04-30"}))],
        &["0 occurred_on 422 must not be before the agreement was signed on 2022-05-01"],
    );
    check(
        &[],
        &[with_data(sign("a01"), json!({"valid_to": "2022-04-30"}))],
        &["0 data.valid_to 422 must not be before the agreement was signed"],
    );
    check(
        &[],
        &[with_data(sign("a01"), json!({"valid_to": "2025-12-31"}))],
        &["0 agreement-#a01 v1"],
    );
    check(
        &[],
        &[with_data(sign("a01"), json!({"valid_to": "2025-02-30"}))],
        &["0 data.valid_to 422"],
    );
}

#[test]
fn placements_and_grants_name_an_existing_enterprise() {
    for base in [place("b01"), grant("901")] {
        let at =
            |enterprise: &str| with_data(base.clone(), json!({ "enterprise_id": id(enterprise) }));
        check(&[register("e01")], &[at("e01")], &["0 "]);
        check(
            &[],
            &[with_data(base.clone(), json!({"enterprise_id": null}))],
            &["0 "],
        );
        check(
            &[],
            &[at("e01")],
            &["0 data.enterprise_id 422 no enterprise #e01 is registered"],
        );
        check(
            &[register("e01"), retract("100")],
            &[at("e01")],
            &["0 data.enterprise_id 422 no enterprise #e01 is registered"],
        );
        check(
            &[],
            &[register("e01"), at("e01")],
            &["0 enterprise-#e01 v1", "1 "],
        );
    }
}

#[test]
fn retractions_name_a_standing_event_and_say_why() {
    // The retraction joins the stream of the event it retracts.
    check(
        &[register("e01")],
        &[retract("100")],
        &["0 enterprise-#e01 v2"],
    );
    check(&[grant("901")], &[retract("100")], &["0 grant-#901 v2"]);
    check(
        &[],
        &[retract("100")],
        &["0 data.event_id 422 no event #100 is stored"],
    );
    check(
        &[register("e01"), retract("100")],
        &[retract("101")],
        &["0 data.event_id 422 a retraction cannot itself be retracted"],
    );
    check(
        &[register("e01"), retract("100")],
        &[retract("100")],
        &["0 data.event_id 422 event #100 is already retracted"],
    );
    check(
        &[register("e01")],
        &[retract("100"), retract("100")],
        &["1 data.event_id 422 event #100 is already retracted"],
    );
    check(
        &[register("e01")],
        &[without_data(retract("100"), "reason")],
        &["0 data.reason 422 reason is missing; it is required"],
    );
    check(
        &[register("e01")],
        &[with_data(retract("100"), json!({"reason": null}))],
        &["0 data.reason 422 must be text in double quotes"],
    );
}

#[test]
fn a_request_sees_its_own_earlier_events() {
    check(
        &[],
        &[
            register("e01"),
            with(close("e01"), json!({"occurred_on": "2022-03-02"})),
        ],
        &["0 enterprise-#e01 v1", "1 enterprise-#e01 v2"],
    );
    check(
        &[],
        &[sign("a01"), end("a01"), end("a01")],
        &["2 data.agreement_id 422 agreement #a01 has already ended"],
    );
    // Register, retract the registration, then close: the close finds no enterprise.
    check(
        &[],
        &[register("e01"), retract("200"), close("e01")],
        &["2 data.enterprise_id 422 no enterprise #e01 is registered"],
    );
    check(
        &[],
        &[register("e01"), close("e01"), retract("201"), close("e01")],
        &[
            "0 enterprise-#e01 v1",
            "1 enterprise-#e01 v2",
            "2 enterprise-#e01 v3",
            "3 enterprise-#e01 v4",
        ],
    );
    // An event refused earlier in the request is still seen by the later ones, so each event
    // reports only its own problems (nothing of the request is stored).
    check(
        &[],
        &[
            with_data(register("e01"), json!({"cvr": "10150818"})),
            close("e01"),
        ],
        &["0 data.cvr 422 10150818 fails the CVR modulus-11 check"],
    );
}

#[test]
fn every_problem_is_listed_with_its_index() {
    check(
        &[register("e01")],
        &[
            place("b01"),
            with_data(grant("901"), json!({"amount_ore": 0, "sdgs": [18]})),
            trial("701"),
            register("e01"),
        ],
        &[
            "1 data.amount_ore 422 must be a whole number of øre greater than 0",
            "1 data.sdgs[0] 422 18 is not a UN goal",
            "3 data.enterprise_id 409 enterprise-#e01 is already stored (its first event is at position 1)",
        ],
    );
}

#[test]
fn expected_version_must_match_the_stream() {
    let expecting =
        |event: Value, version: Value| with(event, json!({ "expected_version": version }));
    check(
        &[],
        &[expecting(register("e01"), json!(0))],
        &["0 enterprise-#e01 v1"],
    );
    check(
        &[],
        &[expecting(register("e01"), json!(1))],
        &["0 expected_version 409 expected version 1, but the stream is at version 0"],
    );
    check(
        &[register("e01")],
        &[expecting(close("e01"), json!(1))],
        &["0 enterprise-#e01 v2"],
    );
    check(
        &[register("e01")],
        &[expecting(close("e01"), json!(0))],
        &["0 expected_version 409 expected version 0, but the stream is at version 1"],
    );
    check(
        &[register("e01")],
        &[expecting(close("e01"), json!(u64::MAX))],
        &["0 expected_version 409 expected version 18446744073709551615, but the stream is at version 1"],
    );
    // Within a request, the version counts the request's earlier events.
    check(
        &[],
        &[register("e01"), expecting(close("e01"), json!(1))],
        &["0 enterprise-#e01 v1", "1 enterprise-#e01 v2"],
    );
    // A retraction's version is that of the retracted event's stream.
    check(
        &[register("e01"), close("e01")],
        &[expecting(retract("101"), json!(2))],
        &["0 enterprise-#e01 v3"],
    );
    check(
        &[register("e01"), close("e01")],
        &[expecting(retract("101"), json!(1))],
        &["0 expected_version 409 expected version 1, but the stream is at version 2"],
    );
}

#[test]
fn an_event_id_appears_once_per_request() {
    let same_id = json!({ "id": id("abc") });
    check(
        &[],
        &[
            with(register("e01"), same_id.clone()),
            with(register("e02"), same_id.clone()),
        ],
        &["1 id 422 event id #abc appears more than once in this request"],
    );
    check(
        &[],
        &[
            with(register("e01"), same_id),
            with(retract("abc"), json!({})),
        ],
        &["0 enterprise-#e01 v1", "1 enterprise-#e01 v2"],
    );
}

/// Checks whether a retry of `given` (the same client id) says the same as what was stored.
#[track_caller]
fn check_retry(given: Value, retry: Value, expect_same: bool) {
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let fresh = short_id("fff");
    let state = LedgerState::default();
    let mut events = vec![parse_event_in(0, given, fresh).unwrap()];
    let (stream, version) = admit_request(&state, &mut events, today).unwrap()[0];
    let placement = Placement {
        position: 1,
        stream,
        version,
        recorded_at: RecordedAt(1_700_000_000_000_000),
        actor: "anna".to_owned(),
        prev_hash: Hash::GENESIS,
    };
    let stored = StoredEvent::seal(events.remove(0), placement);
    let retried = parse_event_in(0, retry, fresh).unwrap();
    assert_eq!(
        stored.same_content(&retried),
        expect_same,
        "{stored:?}\n{retried:?}"
    );
}

#[test]
fn a_retry_is_recognised_by_its_content() {
    let client_id = json!({ "id": id("c11") });
    let given = with(
        with_data(register("e01"), json!({"name": " Café Kronen "})),
        client_id,
    );
    // The stored event holds the trimmed name; a retry of the same request is the same content.
    check_retry(given.clone(), given.clone(), true);
    check_retry(
        given.clone(),
        with(given.clone(), json!({"expected_version": 0})),
        true,
    );
    check_retry(
        given.clone(),
        with_data(given.clone(), json!({"name": "Café Kronen"})),
        true,
    );
    check_retry(
        given.clone(),
        with_data(given.clone(), json!({"name": "Café Kronen II"})),
        false,
    );
    check_retry(
        given.clone(),
        with(given.clone(), json!({"note": "other"})),
        false,
    );
    check_retry(
        given.clone(),
        with(given, json!({"occurred_on": "2022-03-02"})),
        false,
    );
}

// CONTRACT §8, rules at the door.

/// Every free-text member a client sends, each set to `text` on an otherwise valid event.
fn every_free_text(text: &str) -> Vec<(Value, &'static str)> {
    let texts = |event: Value, member: &str| with_data(event, json!({ member: text }));
    vec![
        (texts(strategy("501"), "name"), "data.name"),
        (texts(register("e02"), "name"), "data.name"),
        (texts(close("e01"), "reason"), "data.reason"),
        (texts(grant("901"), "funder"), "data.funder"),
        (texts(grant("901"), "purpose"), "data.purpose"),
        (texts(sign("a02"), "counterparty"), "data.counterparty"),
        (texts(end("a01"), "reason"), "data.reason"),
        (texts(trial("701"), "title"), "data.title"),
        (
            with_data(
                trial("701"),
                json!({ "partners": ["Slagelse Bibliotek", text] }),
            ),
            "data.partners[1]",
        ),
        (texts(trend("d01"), "title"), "data.title"),
        (texts(trend("d01"), "source"), "data.source"),
        (texts(retract("100"), "reason"), "data.reason"),
        (with(grant("901"), json!({ "note": text })), "note"),
        (with(grant("901"), json!({ "case_ref": text })), "case_ref"),
    ]
}

/// The events `every_free_text` needs stored first: the enterprise, agreement and event named.
fn free_text_given() -> Vec<Value> {
    vec![grant("9ff"), register("e01"), sign("a01")]
}

#[test]
fn no_cpr_number_in_any_free_text() {
    let given = free_text_given();
    for cpr in [
        "Borger 010190-1234, Jens Hansen",
        "0101901234",
        "cpr 010190 1234",
        "født 290200-4321",
    ] {
        for (event, field) in every_free_text(cpr) {
            let expected = format!("0 {field} 422 holds what looks like a CPR number");
            check(&given, &[event], &[&expected]);
        }
    }
    for harmless in [
        "aftale 2024-000123",
        "sagsnr. 24-004614",
        "320190-1234 er ingen dato",
        "290201-1234 heller ikke",
        "konto 12345678901234",
        "tlf. 58 57 36 00",
    ] {
        for (event, field) in every_free_text(harmless) {
            assert_admitted(&given, event, &format!("{harmless} in {field}"));
        }
    }
}

#[test]
fn no_control_character_or_bidi_override_in_any_free_text() {
    let given = free_text_given();
    for (text, code_point) in [
        ("Café\u{0}", "U+0000"),
        ("\u{1b}[31mrød", "U+001B"),
        ("bip\u{7}", "U+0007"),
        ("slet\u{7f}", "U+007F"),
        ("a\u{85}b", "U+0085"),
        ("txt.exe\u{202e}fdp", "U+202E"),
        ("\u{2066}isolate", "U+2066"),
        ("to\nlinjer", "U+000A"),
    ] {
        for (event, field) in every_free_text(text) {
            let expected = format!(
                "0 {field} 422 holds the invisible control character {code_point}; type the text again"
            );
            check(&given, &[event], &[&expected]);
        }
    }
}

#[test]
fn names_are_stored_nfc_normalised_and_person_refs_upper_case() {
    let decomposed = with_data(register("e01"), json!({"name": " Cafe\u{301} Kronen "}));
    check(
        &[],
        &[decomposed],
        &[
            r##"0 enterprise-#e01 v1 {"cvr":null,"enterprise_id":"#e01","kind":"enterprise","name":"Café Kronen""##,
        ],
    );
    let noted = with(
        grant("901"),
        json!({"note": "Fonde\u{301}t", "case_ref": " 24-1 "}),
    );
    let mut events = vec![parse_event_in(0, noted, short_id("200")).unwrap()];
    assert_eq!(events[0].note.as_deref(), Some("Fond\u{e9}t"));
    assert_eq!(events[0].case_ref.as_deref(), Some("24-1"));
    admit_request(&LedgerState::default(), &mut events, today()).unwrap();
    let lower = with_data(place("b01"), json!({"person_ref": " sla-p-009001 "}));
    check(
        &[],
        &[lower],
        &[
            r##"0 placement-#b01 v1 {"employment_type":"ordinary","enterprise_id":null,"person_ref":"SLA-P-009001""##,
        ],
    );
}

#[test]
fn one_cvr_one_open_enterprise() {
    let holder = with_data(
        register("e01"),
        json!({"cvr": CVR_VALID, "name": "Café Kronen"}),
    );
    let second = with_data(register("e02"), json!({"cvr": CVR_VALID}));
    let held = "0 data.cvr 409 CVR 10150817 belongs to the open enterprise Café Kronen (#e01); close it first";
    check(
        std::slice::from_ref(&holder),
        std::slice::from_ref(&second),
        &[held],
    );
    // In one request the second registration sees the first.
    let held_here = "1 data.cvr 409 CVR 10150817 belongs to the open enterprise Café Kronen (#e01)";
    check(&[], &[holder.clone(), second.clone()], &[held_here]);
    // Closed, or its registration retracted: the number is free.
    check(
        &[holder.clone(), close("e01")],
        std::slice::from_ref(&second),
        &["0 enterprise-#e02 v1"],
    );
    check(
        &[holder.clone(), retract("100")],
        std::slice::from_ref(&second),
        &["0 enterprise-#e02 v1"],
    );
    // Its closure retracted: open again, and holding the number again.
    check(
        &[holder.clone(), close("e01"), retract("101")],
        std::slice::from_ref(&second),
        &["0 data.cvr 409 CVR 10150817 belongs to the open enterprise Café Kronen (#e01)"],
    );
    // Without a CVR, or with another, nothing is held.
    let other = with_data(register("e03"), json!({"cvr": "25913736"}));
    check(
        std::slice::from_ref(&holder),
        &[register("e02"), other],
        &["0 enterprise-#e02 v1", "1 "],
    );
}

#[test]
fn placements_and_grants_happen_within_the_enterprises_life() {
    // Registered 2022-03-01, closed 2023-06-30.
    let at = |event: Value, occurred_on: &str| {
        with(
            with_data(event, json!({"enterprise_id": id("e01")})),
            json!({"occurred_on": occurred_on}),
        )
    };
    let open = [register("e01")];
    let closed = [register("e01"), close("e01")];
    for event in [place("b01"), grant("901")] {
        for on in ["2022-03-01", "2023-06-30"] {
            assert_admitted(&closed, at(event.clone(), on), on);
        }
        assert_admitted(&open, at(event.clone(), "2024-06-15"), "open");
        check(
            &closed,
            &[at(event.clone(), "2022-02-28")],
            &["0 occurred_on 422 must not be before the enterprise's registration on 2022-03-01"],
        );
        check(
            &closed,
            &[at(event.clone(), "2023-07-01")],
            &["0 occurred_on 422 must not be after the enterprise's closure on 2023-06-30"],
        );
        // A retracted closure no longer bounds it.
        let reopened = [register("e01"), close("e01"), retract("101")];
        assert_admitted(&reopened, at(event.clone(), "2024-01-01"), "reopened");
    }
}

#[test]
fn every_problem_of_every_event_is_listed_with_the_stored_state() {
    // Event 0 does not parse; the others do, and their problems against what is stored are
    // listed too, in the order of the events.
    check(
        &[register("e01"), close("e01")],
        &[
            with_data(grant("901"), json!({"amount_ore": 150000.5})),
            with(
                with_data(place("b01"), json!({"enterprise_id": id("e01")})),
                json!({"occurred_on": "2024-01-01"}),
            ),
            close("e01"),
            retract("1ff"),
        ],
        &[
            "0 data.amount_ore 422 must be a whole number of øre, e.g. 15000050 for 150.000,50 kr.",
            "1 occurred_on 422 must not be after the enterprise's closure on 2023-06-30",
            "2 data.enterprise_id 422 enterprise #e01 is already closed",
            "3 data.event_id 422 no event #1ff is stored",
        ],
    );
}

#[test]
fn a_correction_retracts_and_records_again_in_one_request() {
    let wrong = with_data(place("b01"), json!({"employment_type": "ordinary"}));
    let right = with_data(place("b01"), json!({"employment_type": "wage_subsidy"}));
    check(
        std::slice::from_ref(&wrong),
        &[retract("100"), right.clone()],
        &[
            "0 placement-#b01 v2",
            r##"1 placement-#b01 v3 {"employment_type":"wage_subsidy""##,
        ],
    );
    // A registration corrected: what named the enterprise still finds it.
    let renamed = with_data(register("e01"), json!({"name": "Café Kronen ApS"}));
    check(
        &[register("e01")],
        &[retract("100"), renamed, close("e01")],
        &[
            "0 enterprise-#e01 v2",
            "1 enterprise-#e01 v3",
            "2 enterprise-#e01 v4",
        ],
    );
    // Without the retraction, the entity is stored: a 409 that says where.
    check(
        std::slice::from_ref(&wrong),
        std::slice::from_ref(&right),
        &["0 data.placement_id 409 placement-#b01 is already stored (its first event is at position 1)"],
    );
}

#[test]
fn a_retry_is_judged_by_a_pure_rule() {
    let given = [grant("901")];
    let state = state_of(&given);
    let stored = stored_of(&given);
    let same = parse_event_in(
        0,
        with(grant("901"), json!({"id": id("100")})),
        short_id("fff"),
    )
    .unwrap();
    let changed = parse_event_in(
        0,
        with(
            with_data(grant("901"), json!({"funder": "Fonden Y"})),
            json!({"id": id("100")}),
        ),
        short_id("fff"),
    )
    .unwrap();
    let new = parse_event_in(
        1,
        with(grant("902"), json!({"id": id("2aa")})),
        short_id("fff"),
    )
    .unwrap();
    assert_eq!(
        stored_positions(&state, std::slice::from_ref(&same)),
        vec![Some(1)]
    );
    assert_eq!(
        judge_retry(std::slice::from_ref(&same), &[Some(&stored[0])]),
        Ok(Retry::Repeat)
    );
    assert_eq!(
        judge_retry(std::slice::from_ref(&new), &[None]),
        Ok(Retry::New)
    );
    let conflicts = judge_retry(&[changed, new], &[Some(&stored[0]), None]).unwrap_err();
    let codes: Vec<(Option<usize>, &str)> = conflicts
        .iter()
        .map(|problem| (problem.index, problem.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            (Some(0), "id-stored-other-content"),
            (Some(1), "retry-partly-new")
        ]
    );
    assert!(conflicts.iter().all(|problem| problem.conflict));
    assert!(conflicts[0]
        .message
        .contains("already stored at position 1 with other content"));
}

/// Asserts that `event` alone is admitted after `given`.
#[track_caller]
fn assert_admitted(given: &[Value], event: Value, case: &str) {
    let mut events = vec![parse_event_in(0, event, short_id("200"))
        .unwrap_or_else(|problems| panic!("{case}: {problems:?}"))];
    let state = state_of(given);
    if let Err(problems) = admit_request(&state, &mut events, today()) {
        panic!("{case}: {problems:?}");
    }
}

/// The state after `given`, each admitted and applied as the writer does.
fn state_of(given: &[Value]) -> LedgerState {
    let mut state = LedgerState::default();
    for event in stored_of(given) {
        state.apply(&event);
    }
    state
}

/// `given` admitted one by one and sealed at positions 1, 2, ...
fn stored_of(given: &[Value]) -> Vec<StoredEvent> {
    let mut state = LedgerState::default();
    let mut prev_hash = Hash::GENESIS;
    let mut stored = Vec::new();
    for (index, value) in given.iter().enumerate() {
        let mut events =
            vec![parse_event_in(0, value.clone(), short_id(&format!("1{index:02x}"))).unwrap()];
        let (stream, version) = admit_request(&state, &mut events, today()).unwrap()[0];
        let event = StoredEvent::seal(
            events.remove(0),
            Placement {
                position: index as u64 + 1,
                stream,
                version,
                recorded_at: RecordedAt(1_700_000_000_000_000 + index as i64),
                actor: "anna".to_owned(),
                prev_hash,
            },
        );
        prev_hash = event.hash;
        state.apply(&event);
        stored.push(event);
    }
    stored
}

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

#[test]
fn cvr_of_completes_seven_digits_with_the_check_digit() {
    assert_eq!(rules::cvr_of(1015081).as_deref(), Some(CVR_VALID));
    let made: Vec<String> = (2_000_000..2_000_100).filter_map(rules::cvr_of).collect();
    assert!(made.len() > 80, "most stems have a check digit");
    for cvr in made {
        assert_eq!(rules::check_cvr(&cvr), Ok(()), "{cvr}");
    }
}

// Catalogue 2 (CONTRACT §11): what happened after a placement, a grant, an agreement, a trial and
// a strategy was recorded.

fn end_placement(placement: &str) -> Value {
    event(
        "PlacementEnded",
        "2023-09-01",
        json!({"placement_id": id(placement), "reason": "moved_on"}),
    )
}

fn pay(grant: &str, amount_ore: i64) -> Value {
    event(
        "GrantPaid",
        "2023-05-01",
        json!({"grant_id": id(grant), "amount_ore": amount_ore}),
    )
}

fn give_back(grant: &str, amount_ore: i64) -> Value {
    event(
        "GrantReturned",
        "2023-12-01",
        json!({"grant_id": id(grant), "amount_ore": amount_ore}),
    )
}

fn renew(agreement: &str) -> Value {
    event(
        "AgreementRenewed",
        "2023-04-01",
        json!({"agreement_id": id(agreement), "valid_to": "2026-12-31"}),
    )
}

fn conclude(trial: &str) -> Value {
    event(
        "TrialConcluded",
        "2023-11-30",
        json!({"trial_id": id(trial), "outcome": "adopted", "lessons": "Én indgang virker"}),
    )
}

fn revise(strategy: &str) -> Value {
    event(
        "StrategyRevised",
        "2024-03-01",
        json!({"strategy_id": id(strategy), "targets": [
            {"metric": "people_employed", "per": "year", "value": 40},
            {"metric": "retention_6m_pct", "per": "year", "value": 75},
            {"metric": "grants_total_ore", "per": "year", "value": 100_000_000},
            {"metric": "agreements_active", "per": "period", "value": 12},
            {"metric": "trials_started", "per": "year", "value": 4}
        ]}),
    )
}

#[test]
fn a_placement_ends_once_not_before_it_started() {
    check(
        &[place("b01")],
        &[end_placement("b01")],
        &[r##"0 placement-#b01 v2 {"placement_id":"#b01","reason":"moved_on"}"##],
    );
    check(
        &[],
        &[end_placement("b01")],
        &["0 data.placement_id 422 no placement #b01 is recorded"],
    );
    check(
        &[place("b01"), end_placement("b01")],
        &[end_placement("b01")],
        &["0 data.placement_id 422 placement #b01 has already ended"],
    );
    // Placed 2023-02-01: ending the same day is fine, the day before is not.
    check(
        &[place("b01")],
        &[with(
            end_placement("b01"),
            json!({"occurred_on": "2023-01-31"}),
        )],
        &["0 occurred_on 422 must not be before the placement started on 2023-02-01"],
    );
    // Placed and ended in one request; a second ending in it is refused.
    check(
        &[],
        &[place("b01"), end_placement("b01"), end_placement("b01")],
        &["2 data.placement_id 422 placement #b01 has already ended"],
    );
    // A retracted ending no longer ends; a retracted placement was never there.
    check(
        &[place("b01"), end_placement("b01"), retract("101")],
        &[end_placement("b01")],
        &["0 placement-#b01 v4"],
    );
    check(
        &[place("b01"), retract("100")],
        &[end_placement("b01")],
        &["0 data.placement_id 422 no placement #b01 is recorded"],
    );
    // The correction as one request: retract the stored ending and end it again.
    check(
        &[place("b01"), end_placement("b01")],
        &[
            retract("101"),
            with_data(end_placement("b01"), json!({"reason": "dropped_out"})),
        ],
        &["0 placement-#b01 v3", "1 placement-#b01 v4"],
    );
    check(
        &[place("b01")],
        &[with_data(end_placement("b01"), json!({"reason": "fired"}))],
        &["0 data.reason 422"],
    );
    check(
        &[place("b01")],
        &[with(end_placement("b01"), json!({"expected_version": 0}))],
        &["0 expected_version 409 expected version 0, but the stream is at version 1"],
    );
}

#[test]
fn grant_money_paid_less_returned_stays_within_the_award() {
    // Awarded 30,000,000 øre.
    check(
        &[grant("901")],
        &[
            pay("901", 20_000_000),
            pay("901", 10_000_000),
            give_back("901", 30_000_000),
        ],
        &["0 grant-#901 v2", "1 grant-#901 v3", "2 grant-#901 v4"],
    );
    check(
        &[grant("901"), pay("901", 20_000_000)],
        &[pay("901", 10_000_001)],
        &["0 data.amount_ore 422 paid less returned would come to 30000001 øre, more than the 30000000 øre awarded"],
    );
    check(
        &[grant("901"), pay("901", 20_000_000)],
        &[give_back("901", 20_000_001)],
        &["0 data.amount_ore 422 only 20000000 øre of the grant is paid and not returned"],
    );
    // Money returned may be paid again, within the award.
    check(
        &[
            grant("901"),
            pay("901", 30_000_000),
            give_back("901", 5_000_000),
        ],
        &[pay("901", 5_000_000)],
        &["0 grant-#901 v4"],
    );
    check(
        &[],
        &[pay("901", 1)],
        &["0 data.grant_id 422 no grant #901 is awarded"],
    );
    check(
        &[grant("901"), retract("100")],
        &[give_back("901", 1)],
        &["0 data.grant_id 422 no grant #901 is awarded"],
    );
    check(
        &[grant("901")],
        &[with(pay("901", 1), json!({"occurred_on": "2023-03-31"}))],
        &["0 occurred_on 422 must not be before the grant was awarded on 2023-04-01"],
    );
    for amount in [json!(0), json!(-5)] {
        check(
            &[grant("901")],
            &[with_data(pay("901", 1), json!({ "amount_ore": amount }))],
            &["0 data.amount_ore 422 must be a whole number of øre greater than 0"],
        );
    }
    check(
        &[grant("901")],
        &[with_data(give_back("901", 1), json!({"amount_ore": 1.5}))],
        &["0 data.amount_ore 422 must be a whole number of øre, e.g."],
    );
}

#[test]
fn retracting_grant_money_keeps_the_balance_within_the_award() {
    // Paid 30M then 5M back: retracting the payment would leave -5M paid.
    check(
        &[
            grant("901"),
            pay("901", 30_000_000),
            give_back("901", 5_000_000),
        ],
        &[retract("101")],
        &["0 data.event_id 422 retracting this would leave the grant with less than nothing paid"],
    );
    // Retracting the return first, then the payment, is fine; so is a payment paid again.
    check(
        &[
            grant("901"),
            pay("901", 30_000_000),
            give_back("901", 5_000_000),
        ],
        &[retract("102"), retract("101"), pay("901", 30_000_000)],
        &["0 grant-#901 v4", "1 grant-#901 v5", "2 grant-#901 v6"],
    );
    // Paid 30M, 5M back, 5M again: retracting the return would make 35M of 30M.
    check(
        &[
            grant("901"),
            pay("901", 30_000_000),
            give_back("901", 5_000_000),
            pay("901", 5_000_000),
        ],
        &[retract("102")],
        &["0 data.event_id 422 retracting this would leave the grant"],
    );
}

#[test]
fn an_agreement_is_renewed_while_it_runs() {
    check(
        &[sign("a01")],
        &[renew("a01")],
        &[r##"0 agreement-#a01 v2 {"agreement_id":"#a01","valid_to":"2026-12-31"}"##],
    );
    check(
        &[],
        &[renew("a01")],
        &["0 data.agreement_id 422 no agreement #a01 is signed"],
    );
    check(
        &[sign("a01"), end("a01")],
        &[renew("a01")],
        &["0 data.agreement_id 422 agreement #a01 has already ended"],
    );
    check(
        &[sign("a01")],
        &[with(renew("a01"), json!({"occurred_on": "2022-04-30"}))],
        &["0 occurred_on 422 must not be before the agreement was signed on 2022-05-01"],
    );
    check(
        &[sign("a01")],
        &[with_data(renew("a01"), json!({"valid_to": "2023-03-31"}))],
        &["0 data.valid_to 422 must not be before the renewal (occurred_on)"],
    );
    check(
        &[sign("a01")],
        &[without_data(renew("a01"), "valid_to")],
        &["0 data.valid_to 422"],
    );
    check(
        &[sign("a01")],
        &[with_data(renew("a01"), json!({"valid_to": "2026-2-1"}))],
        &["0 data.valid_to 422"],
    );
}

#[test]
fn a_trial_concludes_once_not_before_it_started() {
    check(&[trial("701")], &[conclude("701")], &["0 trial-#701 v2"]);
    check(
        &[],
        &[conclude("701")],
        &["0 data.trial_id 422 no trial #701 is started"],
    );
    check(
        &[trial("701"), conclude("701")],
        &[conclude("701")],
        &["0 data.trial_id 422 trial #701 is already concluded"],
    );
    check(
        &[trial("701")],
        &[with(conclude("701"), json!({"occurred_on": "2023-01-09"}))],
        &["0 occurred_on 422 must not be before the trial started on 2023-01-10"],
    );
    check(
        &[trial("701")],
        &[with_data(conclude("701"), json!({"outcome": "maybe"}))],
        &["0 data.outcome 422"],
    );
    check(
        &[trial("701")],
        &[with_data(conclude("701"), json!({"lessons": "  "}))],
        &["0 data.lessons 422 must not be empty"],
    );
    // Lessons are optional.
    check(
        &[trial("701")],
        &[without_data(conclude("701"), "lessons")],
        &[r##"0 trial-#701 v2 {"lessons":null,"outcome":"adopted","trial_id":"#701"}"##],
    );
}

#[test]
fn a_strategy_is_revised_within_its_period_with_targets_counted_as_their_metric() {
    check(
        &[strategy("501")],
        &[revise("501")],
        &["0 strategy-#501 v2"],
    );
    check(
        &[],
        &[revise("501")],
        &["0 data.strategy_id 422 no strategy #501 is adopted"],
    );
    check(
        &[strategy("501")],
        &[with(revise("501"), json!({"occurred_on": "2021-12-31"}))],
        &["0 occurred_on 422 must not be before the strategy was adopted on 2022-01-01"],
    );
    // The period 2022-2025 is over at the end of 2025 (checked with a strategy ending 2023).
    check(
        &[with_data(strategy("501"), json!({"to_year": 2023}))],
        &[revise("501")],
        &["0 occurred_on 422 the strategy's period ended in 2023"],
    );
    let targets = |targets: Value| with_data(revise("501"), json!({ "targets": targets }));
    check(
        &[strategy("501")],
        &[targets(json!([]))],
        &["0 data.targets 422 a strategy needs at least one target"],
    );
    check(
        &[strategy("501")],
        &[targets(
            json!([{"metric": "retention_6m_pct", "per": "year", "value": 101}]),
        )],
        &["0 data.targets[0].value 422 a percentage is at most 100"],
    );
    check(
        &[strategy("501")],
        &[targets(
            json!([{"metric": "agreements_active", "per": "year", "value": 3}]),
        )],
        &["0 data.targets[0].per 422 agreements_active is counted per period"],
    );
    check(
        &[strategy("501")],
        &[targets(
            json!([{"metric": "trials_started", "per": "period", "value": 3}]),
        )],
        &["0 data.targets[0].per 422 trials_started is counted per year"],
    );
    check(
        &[strategy("501")],
        &[targets(json!([
            {"metric": "grants_total_ore", "per": "year", "value": 1},
            {"metric": "grants_total_ore", "per": "year", "value": 2}
        ]))],
        &["0 data.targets[1].metric 422 this metric already has a target in this strategy"],
    );
    check(
        &[strategy("501")],
        &[targets(
            json!([{"metric": "happiness", "per": "year", "value": 3}]),
        )],
        &["0 data.targets[0].metric 422"],
    );
    // A retracted adoption leaves nothing to revise.
    check(
        &[strategy("501"), retract("100")],
        &[revise("501")],
        &["0 data.strategy_id 422 no strategy #501 is adopted"],
    );
}
