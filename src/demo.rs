//! The demo data set (`impact-ledger demo`, `serve --demo`; CONTRACT §6): a deterministic,
//! believable history of Slagelse Kommune's social-economy unit from 2019 to 2024, made so that
//! the headline figures come out as the unit reported them (CONTRACT §1): 100 people employed and
//! 31 enterprises active in 2022, 118 and 34 in 2023.
//!
//! Every id is fixed and the events are always sent as the same requests, so loading is
//! idempotent: a second load is a retry of stored ids with the same content, which the writer
//! answers with the original receipts, storing nothing. A load interrupted between requests is
//! finished by running it again (each request is atomic).
//!
//! The events are written as `EventIn` JSON and read with `parse_event_in`, the path an HTTP
//! append takes, so they are normalised and checked exactly as a client's would be.
//!
//! The enterprises and people are invented: persons are pseudonyms (`SLA-` and six digits), and
//! the CVR numbers are generated to pass the modulus-11 check, not looked up, so any likeness to
//! a real registration is chance. Funders and counterparties are the kinds of organisations
//! such a unit works with.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate};
use impact_events::{parse_event_in, NewEvent, Problem, RecordedAt};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::http::events::copenhagen_today;
use crate::http::AppState;
use crate::store::writer::Clock;
use crate::store::{AppendError, AppendRequest, Writer};

/// The `actor` of every demo event.
pub const ACTOR: &str = "demo";
/// The most events one demo request carries (the API's limit, CONTRACT §3.4).
pub const REQUEST_EVENTS_MAX: usize = 1000;
/// The strategy the demo adopts, with its targets: 30 people a year, 40 enterprises.
pub const STRATEGY_NAME: &str = "Den Socialøkonomiske Strategi 2.0: Det handler om mennesker";
/// `(year, people_employed, enterprises_active)` as the unit reported them; the demo gives
/// exactly these.
pub const REPORTED: [(i32, u64, u64); 2] = [(2022, 100, 31), (2023, 118, 34)];

/// What one load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub requests: usize,
    pub events: usize,
    /// Events stored by this load.
    pub stored: usize,
    /// Events that were stored already (requests answered as retries).
    pub already_stored: usize,
}

/// A demo request the writer did not store.
#[derive(Debug, thiserror::Error)]
#[error("demo request {request} (events of {year}) was not stored: {reason}")]
pub struct DemoError {
    pub request: usize,
    pub year: i32,
    pub reason: String,
}

/// How long after an event happened the demo's unit recorded it.
pub const RECORDING_LAG_DAYS: u64 = 2;

/// When the demo's unit recorded an event that happened `occurred_on`: `RECORDING_LAG_DAYS`
/// later at 09:00 UTC, but never after `now`. So the demo's history reads as recorded over the
/// years it describes, and "as of" a past moment shows what was known then.
pub fn recorded_at(occurred_on: NaiveDate, now: chrono::DateTime<chrono::Utc>) -> RecordedAt {
    let recorded = occurred_on
        .checked_add_days(Days::new(RECORDING_LAG_DAYS))
        .and_then(|day| day.and_hms_opt(9, 0, 0))
        .map(|instant| instant.and_utc())
        .unwrap_or(now);
    RecordedAt::from_datetime(recorded.min(now))
}

/// Sends the demo to the writer, request by request, in order, each event recorded at
/// `recorded_at` of its date (the writer keeps them never earlier than the event before).
pub async fn load(writer: &Writer, today: NaiveDate) -> Result<Loaded, DemoError> {
    let mut loaded = Loaded::default();
    let now = chrono::Utc::now();
    for (request, (year, events)) in batches().into_iter().enumerate() {
        let count = events.len();
        let instants = events
            .iter()
            .map(|event| recorded_at(event.occurred_on, now))
            .collect();
        let request_in = AppendRequest {
            events,
            actor: ACTOR.to_owned(),
            today,
        };
        let appended = writer
            .append_with(request_in, Clock::At(instants))
            .await
            .map_err(|error| DemoError {
                request,
                year,
                reason: describe(error),
            })?;
        loaded.requests += 1;
        loaded.events += count;
        if appended.created {
            loaded.stored += count;
        } else {
            loaded.already_stored += count;
        }
    }
    Ok(loaded)
}

fn describe(error: AppendError) -> String {
    match error {
        AppendError::Refused(problems) => problems
            .iter()
            .map(Problem::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// `impact-ledger serve --demo`: loads the demo when the log is empty, before serving.
pub async fn load_if_empty(state: &AppState) -> anyhow::Result<Option<Loaded>> {
    if state.ledger.durable_position() != 0 {
        return Ok(None);
    }
    let loaded = load(&state.writer, copenhagen_today()).await?;
    Ok(Some(loaded))
}

/// `impact-ledger demo`: loads the demo into the data dir and prints what it did.
pub async fn run(data: &Path) -> anyhow::Result<()> {
    let state = crate::serve::open_state(data)?;
    let loaded = load(&state.writer, copenhagen_today())
        .await
        .context("loading the demo")?;
    state.ledger.log.sync().context("syncing the log")?;
    print!("{}", summary(&state, &loaded));
    Ok(())
}

/// What a load did and the headline figures of the whole log, for people.
pub fn summary(state: &AppState, loaded: &Loaded) -> String {
    let read = state.ledger.read.read().expect("read model lock");
    let mut text = format!(
        "demo: {} events in {} requests: {} stored now, {} were stored already\n\
         log head: position {}, hash {}\n",
        loaded.events,
        loaded.requests,
        loaded.stored,
        loaded.already_stored,
        read.head_position(),
        read.head_hash().to_hex(),
    );
    for year in 2022..=2024 {
        let status = read.projection.status(year);
        text += &format!(
            "{year}: {} people employed ({} placements), {} enterprises and initiatives active\n",
            status.people_employed, status.placements.total, status.enterprises.active,
        );
    }
    text
}

/// The demo's requests as `EventIn` JSON, in the order they are sent, with the year of their
/// events.
pub fn requests() -> Vec<(i32, Vec<Value>)> {
    let mut plan = Plan::default();
    strategy(&mut plan);
    enterprises(&mut plan);
    placements(&mut plan);
    grants(&mut plan);
    agreements(&mut plan);
    trials(&mut plan);
    trends(&mut plan);
    plan.into_requests()
}

/// The demo's requests as parsed events, ready for the writer.
pub fn batches() -> Vec<(i32, Vec<NewEvent>)> {
    requests()
        .into_iter()
        .map(|(year, events)| {
            let parsed = events
                .into_iter()
                .enumerate()
                .map(|(index, event)| {
                    let id = event["id"]
                        .as_str()
                        .and_then(|id| Uuid::parse_str(id).ok())
                        .expect("every demo event has an id");
                    parse_event_in(index, event, id)
                        .unwrap_or_else(|problems| panic!("a demo event is invalid: {problems:?}"))
                })
                .collect();
            (year, parsed)
        })
        .collect()
}

// --- Ids ----------------------------------------------------------------------------------

/// Every demo id reads `64656d6f-KKKK-8000-8000-NNNNNNNNNNNN`: "demo" in ASCII, a kind, the
/// version 8 (custom) and variant bits of RFC 9562, and a number whose hex digits spell its
/// decimal digits (`...-000020220371` is placement 1 of person 37 in 2022). Entities use kinds
/// below 0x0100, events 0xe0 and their type's place in the catalogue.
fn demo_id(kind: u16, number: u64) -> Uuid {
    assert!(number < 1_000_000_000_000, "12 decimal digits at most");
    let digits = u128::from_str_radix(&number.to_string(), 16).expect("decimal digits are hex");
    let prefix: u128 = 0x6465_6d6f_0000_8000_8000_0000_0000_0000;
    Uuid::from_u128(prefix | (u128::from(kind) << 80) | digits)
}

const STRATEGY: u16 = 0x0001;
const ENTERPRISE: u16 = 0x0002;
const PLACEMENT: u16 = 0x0004;
const GRANT: u16 = 0x0005;
const AGREEMENT: u16 = 0x0006;
const TRIAL: u16 = 0x0008;
const TREND: u16 = 0x0009;

/// The id kind of an event of `type_name`.
fn event_kind(type_name: &str) -> u16 {
    let place = impact_events::EVENT_TYPES
        .iter()
        .position(|name| *name == type_name)
        .expect("a catalogue type");
    0xe001 + u16::try_from(place).expect("ten types")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid demo date")
}

/// A municipal case number (sagsnr.) of the form `YY-NNNNNN`.
fn case_ref(year: i32, number: u64) -> String {
    format!("{:02}-{:06}", year % 100, 4_000 + number * 617 % 90_000)
}

// --- The plan: events in the order they happened ------------------------------------------

#[derive(Default)]
struct Plan {
    entries: Vec<Entry>,
}

struct Entry {
    occurred_on: NaiveDate,
    /// Within a day: creations before what refers to them, endings and retractions last.
    rank: u8,
    event: Value,
}

impl Plan {
    /// Adds one event; its id is derived from its type and `number`.
    fn add(&mut self, type_name: &str, number: u64, occurred_on: NaiveDate, data: Value) -> Uuid {
        let id = demo_id(event_kind(type_name), number);
        let rank = match type_name {
            "StrategyAdopted" => 0,
            "EnterpriseRegistered" | "AgreementSigned" => 1,
            "EnterpriseClosed" | "AgreementEnded" => 3,
            "EventRetracted" => 4,
            _ => 2,
        };
        let event = json!({
            "id": id,
            "type": type_name,
            "occurred_on": occurred_on.to_string(),
            "data": data,
        });
        self.entries.push(Entry {
            occurred_on,
            rank,
            event,
        });
        id
    }

    /// Sets the envelope member `name` of the event added last.
    fn with(&mut self, name: &str, value: impl Into<Value>) {
        let entry = self.entries.last_mut().expect("an event was added");
        entry.event[name] = value.into();
    }

    /// One request per year of `occurred_on` (split at `REQUEST_EVENTS_MAX`), in date order.
    fn into_requests(mut self) -> Vec<(i32, Vec<Value>)> {
        // A stable sort: events of one day and rank keep the order they were added in.
        self.entries
            .sort_by_key(|entry| (entry.occurred_on, entry.rank));
        let mut years: BTreeMap<i32, Vec<Value>> = BTreeMap::new();
        for entry in self.entries {
            years
                .entry(entry.occurred_on.year())
                .or_default()
                .push(entry.event);
        }
        years
            .into_iter()
            .flat_map(|(year, events)| {
                events
                    .chunks(REQUEST_EVENTS_MAX)
                    .map(|chunk| (year, chunk.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

// --- The strategy ---------------------------------------------------------------------------

fn strategy(plan: &mut Plan) {
    plan.add(
        "StrategyAdopted",
        1,
        date(2021, 12, 15),
        json!({
            "strategy_id": demo_id(STRATEGY, 1),
            "name": STRATEGY_NAME,
            "from_year": 2022,
            "to_year": 2025,
            "targets": [
                {"metric": "people_employed", "per": "year", "value": 30},
                {"metric": "enterprises_active", "per": "period", "value": 40},
            ],
        }),
    );
    plan.with("case_ref", case_ref(2021, 1));
    plan.with("note", "Vedtaget af Byrådet; strategiperioden er 2022-2025");
}

// --- Enterprises and initiatives ------------------------------------------------------------

type Ymd = (i32, u32, u32);

/// One enterprise or initiative of the demo and what happens to it.
struct EnterpriseSpec {
    name: &'static str,
    kind: &'static str,
    registered: Ymd,
    /// Informal initiatives without their own CVR number have none.
    cvr: bool,
    rsv: bool,
    sdgs: &'static [u8],
    closed: Option<(Ymd, &'static str)>,
}

const fn enterprise(name: &'static str, registered: Ymd, sdgs: &'static [u8]) -> EnterpriseSpec {
    EnterpriseSpec {
        name,
        kind: "enterprise",
        registered,
        cvr: true,
        rsv: false,
        sdgs,
        closed: None,
    }
}

const fn initiative(name: &'static str, registered: Ymd, sdgs: &'static [u8]) -> EnterpriseSpec {
    EnterpriseSpec {
        kind: "initiative",
        ..enterprise(name, registered, sdgs)
    }
}

impl EnterpriseSpec {
    const fn rsv(self) -> Self {
        EnterpriseSpec { rsv: true, ..self }
    }

    const fn without_cvr(self) -> Self {
        EnterpriseSpec { cvr: false, ..self }
    }

    const fn closed(self, on: Ymd, reason: &'static str) -> Self {
        EnterpriseSpec {
            closed: Some((on, reason)),
            ..self
        }
    }

    fn registered_on(&self) -> NaiveDate {
        let (year, month, day) = self.registered;
        date(year, month, day)
    }

    fn closed_on(&self) -> Option<NaiveDate> {
        self.closed
            .map(|((year, month, day), _)| date(year, month, day))
    }

    /// Registered on or before `on` and not closed by then.
    fn active_on(&self, on: NaiveDate) -> bool {
        self.registered_on() <= on && self.closed_on().is_none_or(|closed| closed > on)
    }
}

/// 26 registered 2019-2021 (one closed in 2021: 25 active at the end of 2021); 2022: 8
/// registered, 2 closed (31); 2023: 6 registered, 3 closed (34); 2024: 3 registered, 1 closed.
const ENTERPRISES: [EnterpriseSpec; 43] = [
    enterprise("Café Fælles", (2019, 2, 11), &[8, 10]).rsv(),
    enterprise("Genbrugsbutikken Genfund, Korsør", (2019, 3, 18), &[8, 12]).rsv(),
    enterprise("Cykelværkstedet på Havnen", (2019, 4, 1), &[8, 11, 12]),
    initiative("Foreningen Grøn Have Skælskør", (2019, 5, 6), &[2, 3, 15]),
    enterprise("Vaskeriet Ren Besked ApS", (2019, 6, 24), &[8, 10]).rsv(),
    enterprise("Kantine Nord", (2019, 8, 19), &[2, 8]),
    enterprise("Møbelværkstedet Nyt Liv", (2019, 9, 9), &[8, 12]),
    initiative("Frivilligcaféen i Vemmelev", (2019, 10, 28), &[3, 10]).closed(
        (2021, 6, 30),
        "Foreningen blev nedlagt på generalforsamlingen",
    ),
    enterprise("Café Solsikken, Skælskør", (2020, 1, 20), &[8]).rsv(),
    initiative("Bybi Slagelse", (2020, 3, 2), &[11, 15]).without_cvr(),
    enterprise("Genbyg Sjælland Vest ApS", (2020, 4, 14), &[9, 11, 12]),
    enterprise("Havemændene", (2020, 5, 25), &[8, 15]).closed(
        (2024, 4, 30),
        "Overtaget af et almindeligt anlægsgartnerfirma",
    ),
    initiative("Madhuset Korsør", (2020, 8, 17), &[2, 3]),
    initiative("Tøjbyttecentralen", (2020, 9, 7), &[12]).without_cvr(),
    enterprise("Værkstedet Dalmose", (2020, 10, 12), &[8, 12]).rsv(),
    enterprise("Systuen Nål & Tråd", (2020, 11, 23), &[5, 8, 12]),
    enterprise("Boeslunde Landhandel", (2021, 1, 11), &[8, 11]).closed(
        (2023, 3, 31),
        "Butikken lukkede, fordi kundegrundlaget var for lille",
    ),
    enterprise("IT-Genbrug Vestsjælland", (2021, 2, 15), &[4, 12]).rsv(),
    initiative("Naturvejlederne på Glænø", (2021, 3, 22), &[4, 14, 15]),
    enterprise("Café Kulturhuset", (2021, 4, 19), &[8, 10])
        .closed((2022, 9, 30), "Lejemålet i kulturhuset ophørte"),
    enterprise("Cykelsmeden i Vemmelev", (2021, 5, 10), &[8]).closed(
        (2023, 8, 31),
        "Indehaveren gik på pension, og ingen overtog værkstedet",
    ),
    initiative("Ungeværkstedet Antvorskov", (2021, 6, 7), &[4, 8]),
    initiative("Fødevarefællesskabet Slagelse", (2021, 8, 23), &[2, 12]),
    enterprise("Rent Arbejde ApS", (2021, 9, 13), &[8, 10]).rsv(),
    enterprise("Genbrugsloppen Skælskør", (2021, 10, 4), &[12]).closed(
        (2022, 12, 15),
        "Lagt sammen med Genbrugsbutikken Genfund, Korsør",
    ),
    initiative("Reparationscaféen for seniorer", (2021, 11, 15), &[3, 12]).without_cvr(),
    enterprise("Kaffebaren på Slagelse Station", (2022, 2, 7), &[8, 10]).rsv(),
    enterprise(
        "Sociale Håndværkere Vestsjælland ApS",
        (2022, 3, 14),
        &[8, 11],
    ),
    initiative("Naturplejen ved Stillinge Strand", (2022, 4, 25), &[13, 15]),
    enterprise("Café Lyspunktet, Korsør", (2022, 5, 30), &[3, 8]).rsv(),
    initiative("Den Grønne Genbrugsplads", (2022, 6, 20), &[12, 13]),
    initiative("Foreningen Fælles Fodslag", (2022, 8, 29), &[3]).without_cvr(),
    enterprise("Cykeltøserne", (2022, 9, 26), &[5, 8]),
    initiative("Madspild Slagelse", (2022, 11, 7), &[2, 12]).closed(
        (2023, 11, 30),
        "Projektperioden sluttede; arbejdet fortsætter i Fødevarefællesskabet Slagelse",
    ),
    enterprise("Café Mødestedet, Skælskør", (2023, 1, 16), &[8, 10]).rsv(),
    enterprise("Genbrugsbyggeriet Korsør ApS", (2023, 3, 6), &[9, 12]),
    initiative("Lektiecaféen i Nordbyen", (2023, 4, 24), &[4, 10]).without_cvr(),
    initiative("Fællesskabsgården Hashøj", (2023, 6, 12), &[2, 3, 15]),
    enterprise("Reparatørerne ApS", (2023, 8, 21), &[8, 12]),
    enterprise("Sommercaféen ved Kobæk Strand", (2023, 10, 9), &[8, 14]),
    enterprise("Kaffe & Kage Dalmose", (2024, 1, 29), &[8]),
    initiative("Grønne Hænder Slagelse", (2024, 4, 8), &[13, 15]),
    enterprise("Genbrugsmøbler Vestsjælland ApS", (2024, 9, 16), &[8, 12]).rsv(),
];

/// The demo number of an enterprise: its place in `ENTERPRISES`, from 1.
fn enterprise_id(number: usize) -> Uuid {
    demo_id(ENTERPRISE, number as u64)
}

fn enterprise_number(name: &str) -> usize {
    1 + ENTERPRISES
        .iter()
        .position(|spec| spec.name == name)
        .expect("a demo enterprise")
}

fn enterprises(plan: &mut Plan) {
    for (place, spec) in ENTERPRISES.iter().enumerate() {
        let number = place + 1;
        plan.add(
            "EnterpriseRegistered",
            number as u64,
            spec.registered_on(),
            json!({
                "enterprise_id": enterprise_id(number),
                "name": spec.name,
                "kind": spec.kind,
                "cvr": spec.cvr.then(|| cvr(number)),
                "rsv": spec.cvr.then_some(spec.rsv),
                "sdgs": spec.sdgs,
            }),
        );
        if let (Some(closed_on), Some((_, reason))) = (spec.closed_on(), spec.closed) {
            plan.add(
                "EnterpriseClosed",
                number as u64,
                closed_on,
                json!({"enterprise_id": enterprise_id(number), "reason": reason}),
            );
        }
    }
}

/// A CVR number for demo enterprise `number`: seven digits from a fixed walk and the eighth
/// chosen so the weighted sum (2,7,6,5,4,3,2,1) is divisible by 11. A prefix whose check digit
/// would have to be 10 is skipped, as the real register does.
pub fn cvr(number: usize) -> String {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    let mut prefix = 2_500_000 + 91_373 * u32::try_from(number).expect("a small number");
    loop {
        let digits = format!("{prefix:07}");
        let sum: u32 = digits
            .bytes()
            .zip(WEIGHTS)
            .map(|(digit, weight)| u32::from(digit - b'0') * weight)
            .sum();
        let check = (11 - sum % 11) % 11;
        if check < 10 {
            return format!("{digits}{check}");
        }
        prefix += 1;
    }
}

// --- People placed in employment ------------------------------------------------------------

/// The first placement's type cycles through this table (8 ordinary, 4 wage subsidy, 3 flexjob,
/// 2 sheltered, 2 education, 1 other in 20), so the mix resembles a jobcenter's.
const EMPLOYMENT_CYCLE: [&str; 20] = [
    "ordinary",
    "wage_subsidy",
    "ordinary",
    "flexjob",
    "ordinary",
    "education",
    "wage_subsidy",
    "ordinary",
    "sheltered",
    "ordinary",
    "flexjob",
    "ordinary",
    "wage_subsidy",
    "other",
    "ordinary",
    "flexjob",
    "ordinary",
    "education",
    "wage_subsidy",
    "sheltered",
];

/// The type of a second placement in the same year: the usual next step.
fn next_step(first: &str) -> &'static str {
    match first {
        "wage_subsidy" | "education" | "ordinary" => "ordinary",
        "sheltered" | "flexjob" => "flexjob",
        _ => "wage_subsidy",
    }
}

/// The people placed each year: `(year, persons, placed twice)`. Persons 81-100 were placed in
/// 2022 and 2023, persons 181-198 in 2023 and 2024.
const PLACEMENT_YEARS: [(i32, (u32, u32), u32, u32); 3] = [
    // (year, (first person, last person), placed twice when person % modulus == remainder)
    (2022, (1, 100), 7, 0),
    (2023, (81, 198), 7, 3),
    (2024, (181, 240), 9, 0),
];

/// The person whose 2022 placement was entered twice; the copy is retracted.
const DUPLICATED_PERSON: u32 = 37;

/// The pseudonym of demo person `person`, as the case system would issue it.
pub fn person_ref(person: u32) -> String {
    // A bijection on six digits (104 729 is prime to 10^6), so numbers do not look sequential.
    let number = (u64::from(person) * 104_729 + 2_351) % 1_000_000;
    format!("SLA-{number:06}")
}

fn placements(plan: &mut Plan) {
    for (year, (first, last), modulus, remainder) in PLACEMENT_YEARS {
        for person in first..=last {
            let first_type = EMPLOYMENT_CYCLE[(person as usize * 7 + year as usize) % 20];
            let month = 1 + (person * 5 + year as u32) % 10;
            let on = date(year, month, 1 + person * 13 % 28);
            let number = placement_number(year, person, 1);
            place(plan, number, person, 1, first_type, on);
            if person % modulus == remainder {
                let later = date(year, month + 2, 1 + person * 7 % 28);
                let number = placement_number(year, person, 2);
                place(plan, number, person, 2, next_step(first_type), later);
            }
            if year == 2022 && person == DUPLICATED_PERSON {
                duplicate(plan, year, person, first_type, on);
            }
        }
    }
}

fn placement_number(year: i32, person: u32, sequence: u32) -> u64 {
    u64::try_from(year).expect("a positive year") * 1_000_000
        + u64::from(person) * 10
        + u64::from(sequence)
}

/// Places `person` as placement `number`; most placements are at an enterprise active that
/// day, chosen by the person and the `sequence` of the placement within the year.
fn place(
    plan: &mut Plan,
    number: u64,
    person: u32,
    sequence: u32,
    kind: &str,
    on: NaiveDate,
) -> Uuid {
    let at_enterprise = (person * 3 + sequence) % 5 < 3;
    let candidates: Vec<usize> = (1..=ENTERPRISES.len())
        .filter(|number| ENTERPRISES[number - 1].active_on(on))
        .collect();
    let enterprise = (at_enterprise && !candidates.is_empty()).then(|| {
        enterprise_id(candidates[(person as usize * 7 + sequence as usize * 3) % candidates.len()])
    });
    plan.add(
        "PersonPlacedInEmployment",
        number,
        on,
        json!({
            "placement_id": demo_id(PLACEMENT, number),
            "person_ref": person_ref(person),
            "employment_type": kind,
            "enterprise_id": enterprise,
        }),
    )
}

/// The one mistake of the demo: a placement entered twice, and the retraction of the copy.
fn duplicate(plan: &mut Plan, year: i32, person: u32, kind: &str, on: NaiveDate) {
    let original = demo_id(PLACEMENT, placement_number(year, person, 1));
    // The copy says the same as the original, only under a new placement id.
    let copy = place(plan, placement_number(year, person, 9), person, 1, kind, on);
    let found_on = on.checked_add_days(Days::new(16)).expect("a valid date");
    plan.add(
        "EventRetracted",
        1,
        found_on,
        json!({
            "event_id": copy,
            "reason": format!(
                "Dobbeltregistrering: ansættelsen af {} den {on} blev indtastet to gange ved en \
                 fejl; den første registrering (placement {original}) gælder",
                person_ref(person)
            ),
        }),
    );
}

// --- Grants, agreements, trials and trends --------------------------------------------------

/// `(date, funder, amount in kroner, purpose, enterprise by name, sdgs)`.
type GrantSpec = (
    Ymd,
    &'static str,
    i64,
    &'static str,
    Option<&'static str>,
    &'static [u8],
);

const GRANTS: [GrantSpec; 12] = [
    (
        (2021, 3, 15),
        "Puljen til socialøkonomi",
        450_000,
        "Opstart af et lokalt netværk for socialøkonomiske virksomheder",
        None,
        &[8, 17],
    ),
    (
        (2022, 2, 10),
        "Velliv Foreningen",
        250_000,
        "Større køkken og flere skånejobs",
        Some("Café Fælles"),
        &[8, 10],
    ),
    (
        (2022, 5, 20),
        "A.P. Møller Fonden",
        1_200_000,
        "Kompetenceløft for ledere i socialøkonomiske virksomheder",
        None,
        &[4, 8],
    ),
    (
        (2022, 9, 1),
        "Puljen til socialøkonomi",
        600_000,
        "Lærepladser for unge uden uddannelse",
        Some("Sociale Håndværkere Vestsjælland ApS"),
        &[4, 8],
    ),
    (
        (2022, 11, 14),
        "Nordea-fonden",
        175_000,
        "Sansehave for borgere med demens",
        Some("Foreningen Grøn Have Skælskør"),
        &[3, 15],
    ),
    (
        (2023, 1, 25),
        "Velliv Foreningen",
        320_000,
        "Aftenåbent værested for unge",
        Some("Café Lyspunktet, Korsør"),
        &[3, 8],
    ),
    (
        (2023, 4, 18),
        "Puljen til socialøkonomi",
        800_000,
        "Forandringsteori og effektmåling i enheden",
        None,
        &[8, 17],
    ),
    (
        (2023, 6, 30),
        "A.P. Møller Fonden",
        950_000,
        "Genbrug af byggematerialer fra kommunale nedrivninger",
        Some("Genbyg Sjælland Vest ApS"),
        &[9, 12],
    ),
    (
        (2023, 10, 5),
        "Slagelse Kommunes Landdistriktspulje",
        85_000,
        "Fællesspisning og køkkenhave",
        Some("Fællesskabsgården Hashøj"),
        &[2, 11],
    ),
    (
        (2023, 12, 1),
        "Lokale og Anlægsfonden",
        400_000,
        "Nyt værkstedslokale ved havnen",
        Some("Cykelværkstedet på Havnen"),
        &[11],
    ),
    (
        (2024, 3, 12),
        "Velliv Foreningen",
        275_000,
        "Reparation af elektronik med ledige som lærlinge",
        Some("Reparatørerne ApS"),
        &[8, 12],
    ),
    (
        (2024, 8, 20),
        "Puljen til socialøkonomi",
        500_000,
        "Socialøkonomiske hensyn i kommunale indkøb",
        None,
        &[8, 10, 12],
    ),
];

fn grants(plan: &mut Plan) {
    for (place, ((year, month, day), funder, kroner, purpose, enterprise, sdgs)) in
        GRANTS.into_iter().enumerate()
    {
        let number = place as u64 + 1;
        plan.add(
            "GrantAwarded",
            number,
            date(year, month, day),
            json!({
                "grant_id": demo_id(GRANT, number),
                "funder": funder,
                "amount_ore": kroner * 100,
                "purpose": purpose,
                "enterprise_id": enterprise.map(|name| enterprise_id(enterprise_number(name))),
                "sdgs": sdgs,
            }),
        );
        plan.with("case_ref", case_ref(year, 100 + number));
    }
}

/// `(signed, counterparty, kind, valid_to, ended: (date, reason))`.
type AgreementSpec = (
    Ymd,
    &'static str,
    &'static str,
    Option<Ymd>,
    Option<(Ymd, &'static str)>,
);

const AGREEMENTS: [AgreementSpec; 12] = [
    (
        (2020, 9, 1),
        "Slagelse Erhvervscenter",
        "partnership",
        None,
        Some((
            (2022, 12, 31),
            "Erhvervsservicen overgik til Erhvervshus Sjælland",
        )),
    ),
    (
        (2021, 6, 15),
        "Frivilligcenter Slagelse",
        "civil_society",
        None,
        None,
    ),
    (
        (2022, 1, 20),
        "Professionshøjskolen Absalon, Campus Slagelse",
        "partnership",
        Some((2024, 12, 31)),
        None,
    ),
    (
        (2022, 3, 8),
        "Dansk Røde Kors, Slagelse afdeling",
        "volunteering",
        None,
        Some((
            (2024, 6, 30),
            "Afdelingen samlede sine aktiviteter i Næstved",
        )),
    ),
    (
        (2022, 5, 2),
        "Slagelse Boligselskab",
        "partnership",
        Some((2023, 6, 30)),
        None,
    ),
    (
        (2022, 8, 15),
        "Ældre Sagen Slagelse",
        "civil_society",
        None,
        Some(((2023, 11, 30), "Aftalen blev ikke forlænget")),
    ),
    (
        (2022, 10, 3),
        "Zealand – Sjællands Erhvervsakademi",
        "partnership",
        Some((2025, 12, 31)),
        None,
    ),
    (
        (2023, 2, 1),
        "Frivillignetværket Korsør",
        "volunteering",
        None,
        None,
    ),
    (
        (2023, 4, 17),
        "ZBC Slagelse",
        "partnership",
        Some((2026, 6, 30)),
        None,
    ),
    (
        (2023, 9, 11),
        "Lions Club Skælskør",
        "civil_society",
        None,
        None,
    ),
    (
        (2024, 2, 5),
        "Skælskør Frivilligcenter",
        "volunteering",
        Some((2025, 12, 31)),
        None,
    ),
    (
        (2024, 5, 22),
        "Boligselskabet Sjælland",
        "partnership",
        None,
        None,
    ),
];

fn agreements(plan: &mut Plan) {
    for (place, ((year, month, day), counterparty, kind, valid_to, ended)) in
        AGREEMENTS.into_iter().enumerate()
    {
        let number = place as u64 + 1;
        let id = demo_id(AGREEMENT, number);
        let valid_to = valid_to.map(|(year, month, day)| date(year, month, day).to_string());
        plan.add(
            "AgreementSigned",
            number,
            date(year, month, day),
            json!({
                "agreement_id": id,
                "counterparty": counterparty,
                "kind": kind,
                "valid_to": valid_to,
            }),
        );
        plan.with("case_ref", case_ref(year, 200 + number));
        if let Some(((year, month, day), reason)) = ended {
            plan.add(
                "AgreementEnded",
                number,
                date(year, month, day),
                json!({"agreement_id": id, "reason": reason}),
            );
        }
    }
}

/// `(started, title, kind, partners, sdgs)`.
type TrialSpec = (
    Ymd,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [u8],
);

const TRIALS: [TrialSpec; 8] = [
    (
        (2022, 3, 1),
        "Fælles indgang for socialøkonomiske virksomheder i Jobcenter Slagelse",
        "internal_trial",
        &["Jobcenter Slagelse"],
        &[8, 17],
    ),
    (
        (2022, 6, 13),
        "Byggematerialer fra kommunale nedrivninger til genbrug",
        "trial_action",
        &["Genbyg Sjælland Vest ApS", "Ejendomscenter Slagelse"],
        &[9, 12],
    ),
    (
        (2022, 10, 24),
        "Overskudsmad fra skolekøkkener til fællesspisning",
        "trial_action",
        &["Madhuset Korsør", "Skolerne i Korsør"],
        &[2, 12],
    ),
    (
        (2023, 1, 9),
        "Socialøkonomiske hensyn i kommunale indkøb",
        "internal_trial",
        &["Indkøb og Udbud"],
        &[8, 12],
    ),
    (
        (2023, 5, 15),
        "Cykelværksted for børn i skolernes sommerferie",
        "trial_action",
        &["Cykeltøserne", "Slagelse Ungdomsskole"],
        &[4, 11],
    ),
    (
        (2023, 9, 4),
        "Effektmåling med forandringsteori",
        "internal_trial",
        &[],
        &[17],
    ),
    (
        (2024, 2, 19),
        "Grønne job i naturplejen",
        "trial_action",
        &[
            "Naturplejen ved Stillinge Strand",
            "Naturstyrelsen Vestsjælland",
        ],
        &[8, 15],
    ),
    (
        (2024, 9, 9),
        "Virksomhedspraktik på tværs af socialøkonomiske virksomheder",
        "internal_trial",
        &["Jobcenter Slagelse"],
        &[8, 10],
    ),
];

fn trials(plan: &mut Plan) {
    for (place, ((year, month, day), title, kind, partners, sdgs)) in TRIALS.into_iter().enumerate()
    {
        let number = place as u64 + 1;
        plan.add(
            "TrialStarted",
            number,
            date(year, month, day),
            json!({
                "trial_id": demo_id(TRIAL, number),
                "title": title,
                "kind": kind,
                "partners": (!partners.is_empty()).then_some(partners),
                "sdgs": sdgs,
            }),
        );
    }
}

/// `(noted, title, kind, source, sdgs)`.
type TrendSpec = (Ymd, &'static str, &'static str, &'static str, &'static [u8]);

const TRENDS: [TrendSpec; 10] = [
    (
        (2021, 10, 4),
        "Flere fonde kræver en forandringsteori i ansøgningen",
        "trend",
        "Fundraisingnetværket Sjælland",
        &[17],
    ),
    (
        (2022, 2, 21),
        "Gratis rådgivning om forretningsudvikling for socialøkonomiske virksomheder",
        "offer",
        "Erhvervshus Sjælland",
        &[8],
    ),
    (
        (2022, 4, 4),
        "Stigende efterspørgsel på brugte møbler og genbrugsbyggematerialer",
        "trend",
        "Branchenetværket for Cirkulær Økonomi",
        &[12],
    ),
    (
        (2022, 9, 12),
        "Kursus i at byde på offentlige opgaver med sociale klausuler",
        "offer",
        "Udbudsportalen",
        &[8, 12],
    ),
    (
        (2023, 1, 30),
        "Social bæredygtighed i virksomhedernes ESG-rapportering",
        "trend",
        "Rådet for Samfundsansvar",
        &[8, 12],
    ),
    (
        (2023, 3, 20),
        "Mentorordning for nye socialøkonomiske ledere",
        "offer",
        "Socialøkonomisk Netværk Sjælland",
        &[4, 8],
    ),
    (
        (2023, 6, 5),
        "Flere unge søger meningsfuldt frivilligt arbejde",
        "trend",
        "Center for Frivilligt Socialt Arbejde",
        &[3, 10],
    ),
    (
        (2023, 11, 13),
        "Workshop om effektmåling med SROI",
        "offer",
        "Videnscenter for Socialøkonomi",
        &[17],
    ),
    (
        (2024, 1, 22),
        "Kommuner køber flere ydelser hos socialøkonomiske virksomheder",
        "trend",
        "KL",
        &[8, 12],
    ),
    (
        (2024, 6, 10),
        "Puljemidler til grøn omstilling i foreninger",
        "offer",
        "Slagelse Kommune, Klima og Miljø",
        &[13],
    ),
];

fn trends(plan: &mut Plan) {
    for (place, ((year, month, day), title, kind, source, sdgs)) in TRENDS.into_iter().enumerate() {
        let number = place as u64 + 1;
        plan.add(
            "TrendNoted",
            number,
            date(year, month, day),
            json!({
                "trend_id": demo_id(TREND, number),
                "title": title,
                "kind": kind,
                "source": source,
                "sdgs": sdgs,
            }),
        );
    }
}
