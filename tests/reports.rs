//! Proves the annual report (CONTRACT §4-§6) through the real router over real sled, and through
//! the real binary: a small log is appended with POST /api/v1/events, then every rendering is
//! read back the way its reader would (JSON parsed, CSV parsed with the csv crate as Danish
//! Excel and as RFC 4180, HTML searched for the figures, for what belongs in the committee's
//! body and what in the auditor's appendix "Kontrolspor", and for anything unsafe), as of now
//! and as of a past position, and `impact-ledger report` must print the same report.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use impact_ledger::auth::{self, Role};
use serde_json::{json, Value};
use tower::ServiceExt;

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HOSTILE: &str = "<script>alert(1)</script>";
const BOM: &str = "\u{feff}";

// ---------------------------------------------------------------------------------------------
// The log: a strategy of 2022-2025 (4 people a year, 5 enterprises over the period), three
// enterprises and two people in 2022; in 2023 two more enterprises (one with a hostile name), one
// closed, four people (one placement entered twice and retracted), two grants, an agreement, a
// trial, a trend. So 2023 reads: 4 people (100 %), 3 + 2 − 1 = 4 enterprises (80 %, forecast 6.0
// for 2025, on track), grants 1.234.567,89 kr. + 200.000,00 kr.

fn id(number: u32) -> String {
    format!("00000000-0000-4000-8000-{number:012}")
}

fn event(kind: &str, occurred_on: &str, data: Value) -> Value {
    json!({ "type": kind, "occurred_on": occurred_on, "data": data })
}

fn register(number: u32, name: &str, occurred_on: &str) -> Value {
    let data =
        json!({"enterprise_id": id(number), "name": name, "kind": "enterprise", "sdgs": [8]});
    event("EnterpriseRegistered", occurred_on, data)
}

fn place(number: u32, person: &str, employment_type: &str, occurred_on: &str) -> Value {
    let data = json!({
        "placement_id": id(number), "person_ref": person, "employment_type": employment_type
    });
    event("PersonPlacedInEmployment", occurred_on, data)
}

/// The events up to the end of 2022; the report "as of" their last position sees only these.
fn events_2022() -> Vec<Value> {
    let strategy = json!({
        "strategy_id": id(1),
        "name": "Den Socialøkonomiske Strategi 2.0",
        "from_year": 2022,
        "to_year": 2025,
        "targets": [
            {"metric": "people_employed", "per": "year", "value": 4},
            {"metric": "enterprises_active", "per": "period", "value": 5}
        ]
    });
    vec![
        event("StrategyAdopted", "2022-01-15", strategy),
        register(11, "Café Æblegården", "2022-02-01"),
        register(12, "Genbrug Korsør", "2022-03-01"),
        register(13, "Boeslunde Landhandel", "2022-04-01"),
        place(21, "P-1", "ordinary", "2022-05-01"),
        place(22, "P-2", "flexjob", "2022-06-01"),
    ]
}

fn events_2023() -> Vec<Value> {
    vec![
        register(14, HOSTILE, "2023-02-01"),
        register(15, "Sommercaféen, Kobæk", "2023-03-01"),
        event(
            "EnterpriseClosed",
            "2023-05-01",
            json!({"enterprise_id": id(11), "reason": "lukket"}),
        ),
        place(23, "P-1", "ordinary", "2023-01-10"),
        place(24, "P-3", "flexjob", "2023-02-10"),
        place(25, "P-4", "wage_subsidy", "2023-03-10"),
        place(26, "P-5", "ordinary", "2023-04-10"),
        // Entered twice by mistake; retracted below.
        json!({
            "id": id(99), "type": "PersonPlacedInEmployment", "occurred_on": "2023-04-10",
            "data": {"placement_id": id(27), "person_ref": "P-5", "employment_type": "ordinary"}
        }),
        event(
            "EventRetracted",
            "2023-04-11",
            json!({"event_id": id(99), "reason": "Dobbeltregistrering"}),
        ),
        event(
            "GrantAwarded",
            "2023-06-01",
            json!({"grant_id": id(31), "funder": "Fonden X", "amount_ore": 123_456_789_i64, "sdgs": [10]}),
        ),
        event(
            "GrantAwarded",
            "2023-07-01",
            json!({"grant_id": id(32), "funder": "=Puljen Y", "amount_ore": 20_000_000}),
        ),
        event(
            "AgreementSigned",
            "2023-08-01",
            json!({"agreement_id": id(41), "counterparty": "Frivilligcenter", "kind": "volunteering"}),
        ),
        event(
            "TrialStarted",
            "2023-09-01",
            json!({"trial_id": id(51), "title": "Prøvehandling", "kind": "trial_action", "sdgs": [8, 10]}),
        ),
        event(
            "TrendNoted",
            "2023-10-01",
            json!({"trend_id": id(61), "title": "Grøn omstilling", "kind": "offer"}),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The ledger under test.

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the body is UTF-8")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }
}

struct TestLedger {
    router: Router,
    staff: String,
    auditor: String,
    /// Held to wait, before the binary opens the directory, until the router has let go.
    ledger: Arc<impact_ledger::store::Ledger>,
    /// Hash of the event at each position, index = position - 1, from the append receipts.
    hashes: Vec<String>,
    dir: tempfile::TempDir,
}

impl TestLedger {
    /// A ledger holding the whole log, appended in two requests (2022, then 2023).
    async fn with_log() -> TestLedger {
        TestLedger::with_log_for(None).await
    }

    /// The same, served as for `municipality` (the setting the printed footer names).
    async fn with_log_for(municipality: Option<&str>) -> TestLedger {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let staff = auth::create_token(dir.path(), "anna", Role::Staff).expect("a staff token");
        let auditor =
            auth::create_token(dir.path(), "revisor", Role::Auditor).expect("an auditor token");
        let mut state = impact_ledger::serve::open_state(dir.path()).expect("the ledger opens");
        state.municipality = municipality.map(Arc::from);
        let ledger = state.ledger.clone();
        let mut this = TestLedger {
            router: impact_ledger::http::router(state),
            staff,
            auditor,
            ledger,
            hashes: Vec::new(),
            dir,
        };
        this.append(events_2022()).await;
        this.append(events_2023()).await;
        this
    }

    async fn append(&mut self, events: Vec<Value>) {
        let body = serde_json::to_vec(&json!({ "events": events })).expect("JSON");
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.staff))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a request");
        let answer = self.send(request).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        for receipt in answer.json()["events"].as_array().expect("receipts") {
            self.hashes
                .push(receipt["hash"].as_str().expect("a hash").to_owned());
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: body.to_vec(),
        }
    }

    /// GET `path` with the auditor token (a role that cannot append: reading is for all).
    async fn get(&self, path: &str) -> Answer {
        self.get_as(path, Some(&self.auditor)).await
    }

    async fn get_as(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = Request::builder().uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).expect("a request"))
            .await
    }

    fn head_position(&self) -> u64 {
        self.hashes.len() as u64
    }

    /// Lets go of the data dir so that another process can open it.
    fn close(self) -> tempfile::TempDir {
        let TestLedger {
            router,
            ledger,
            dir,
            ..
        } = self;
        drop(router);
        // The writer thread holds the ledger until it sees that every handle to it is gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&ledger) > 1 {
            assert!(Instant::now() < deadline, "the ledger is still held");
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(ledger);
        dir
    }
}

fn report_path(year: i32, query: &str) -> String {
    format!("/api/v1/reports/annual/{year}?{query}")
}

// ---------------------------------------------------------------------------------------------
// JSON

#[tokio::test]
async fn json_is_status_targets_and_history_with_the_head_it_was_computed_from() {
    let ledger = TestLedger::with_log().await;
    let answer = ledger.get(&report_path(2023, "format=json")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
    let report = answer.json();

    let status = &report["status"];
    assert_eq!(status["year"], 2023);
    assert_eq!(status["people_employed"], 4);
    assert_eq!(status["enterprises"]["active"], 4);
    assert_eq!(status["grants"]["total_ore"], 143_456_789);
    let targets = &report["targets"]["targets"];
    assert_eq!(targets[0]["attainment_pct"], 100.0);
    assert_eq!(targets[1]["attainment_pct"], 80.0);
    assert_eq!(targets[1]["forecast"], 6.0);
    assert_eq!(targets[1]["on_track"], true);
    let bridge = &report["history"]["enterprises"];
    assert_eq!(
        (
            report["history"]["from"].clone(),
            report["history"]["to"].clone()
        ),
        (json!(2022), json!(2023))
    );
    let terms: Vec<u64> = ["from", "registered", "closed", "to"]
        .iter()
        .map(|term| bridge[term].as_u64().expect("a count"))
        .collect();
    assert_eq!(terms, [3, 2, 1, 4]);
    assert_eq!(
        report["history"]["retracted_events"][0]["reason"],
        "Dobbeltregistrering"
    );

    let head = ledger.head_position();
    assert_eq!(report["as_of_position"], head);
    assert_eq!(report["head_hash"], ledger.hashes[head as usize - 1]);
    // The names behind the bridge come from the registrations; JSON carries them as they are.
    let registered = bridge["registered_events"][0]["position"].to_string();
    assert_eq!(report["event_labels"][registered], HOSTILE);
    let closed = bridge["closed_events"][0]["position"].to_string();
    assert_eq!(report["event_labels"][closed], "Café Æblegården");

    // The default format is JSON; a year no strategy covers has targets null, not a 404.
    let default = ledger.get(&report_path(2023, "")).await.json();
    assert_eq!(default, report);
    let uncovered = ledger.get(&report_path(2030, "")).await;
    assert_eq!(uncovered.status, StatusCode::OK);
    assert_eq!(uncovered.json()["targets"], Value::Null);
}

#[tokio::test]
async fn as_of_a_past_position_the_report_is_what_was_known_then() {
    let ledger = TestLedger::with_log().await;
    let end_of_2022 = events_2022().len() as u64;
    let cases: [(String, u64, &str, u64); 3] = [
        (
            format!("at_position={end_of_2022}"),
            end_of_2022,
            ledger.hashes[end_of_2022 as usize - 1].as_str(),
            0,
        ),
        ("at_position=0".to_owned(), 0, GENESIS, 0),
        (
            format!("at_position={}", ledger.head_position()),
            ledger.head_position(),
            ledger.hashes.last().unwrap().as_str(),
            4,
        ),
    ];
    for (query, position, hash, people_2023) in cases {
        let report = ledger.get(&report_path(2023, &query)).await.json();
        assert_eq!(report["as_of_position"], position, "{query}");
        assert_eq!(report["head_hash"], hash, "{query}");
        assert_eq!(report["status"]["people_employed"], people_2023, "{query}");
    }
    // As of the end of 2022 the 2022 report already has its bridge.
    let query = format!("at_position={end_of_2022}");
    let report = ledger.get(&report_path(2022, &query)).await.json();
    assert_eq!(report["history"]["enterprises"]["to"], 3);
    assert_eq!(report["status"]["people_employed"], 2);
    // An instant before anything was recorded sees nothing.
    let report = ledger
        .get(&report_path(2023, "as_of=2000-01-01T00:00:00Z"))
        .await
        .json();
    assert_eq!(
        (
            report["as_of_position"].clone(),
            report["head_hash"].clone()
        ),
        (json!(0), json!(GENESIS))
    );
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Parses CSV bytes into rows; every row must have the four columns.
fn parse_csv(bytes: &[u8], delimiter: u8) -> Vec<[String; 4]> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes);
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV record");
            assert_eq!(record.len(), 4, "{record:?}");
            [0, 1, 2, 3].map(|column| record[column].to_owned())
        })
        .collect()
}

/// The value of the one row with this section, metric and key.
fn value<'a>(rows: &'a [[String; 4]], section: &str, metric: &str, key: &str) -> &'a str {
    let found: Vec<&[String; 4]> = rows
        .iter()
        .filter(|row| row[0] == section && row[1] == metric && row[2] == key)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "rows for {section};{metric};{key}: {found:?}"
    );
    &found[0][3]
}

#[tokio::test]
async fn csv_opens_in_danish_excel_and_says_every_figure() {
    let ledger = TestLedger::with_log().await;
    let answer = ledger.get(&report_path(2023, "format=csv")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        answer.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"aarsrapport-2023.csv\""
    );
    let text = answer.text();
    assert!(text.starts_with(BOM), "Excel needs the BOM to read UTF-8");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let rows = parse_csv(text.trim_start_matches(BOM).as_bytes(), b';');
    assert_eq!(rows[0], ["sektion", "nøgletal", "nøgle", "værdi"]);

    let head = ledger.head_position().to_string();
    let hash = ledger.hashes.last().unwrap().as_str();
    let people = "personer i beskæftigelse";
    let enterprises = "aktive socialøkonomiske virksomheder og initiativer";
    let expected: &[(&str, &str, &str, &str)] = &[
        ("rapport", "logposition", "", &head),
        ("rapport", "hoved-hash", "", hash),
        ("beskæftigelse", people, "", "4"),
        (
            "beskæftigelse",
            "ansættelsesforløb efter type",
            "fleksjob",
            "1",
        ),
        (
            "beskæftigelse",
            "ansættelsesforløb efter type",
            "løntilskud",
            "1",
        ),
        ("virksomheder", "aktive ultimo året", "", "4"),
        ("virksomheder", "lukket i året", "", "1"),
        ("aftaler", "indgået efter type", "frivillighed", "1"),
        ("bevillinger", "i alt (kr.)", "", "1434567,89"),
        (
            "bevillinger",
            "efter bevillingsgiver (kr.)",
            "Fonden X",
            "1234567,89",
        ),
        (
            "bevillinger",
            "efter bevillingsgiver (øre)",
            "Fonden X",
            "123456789",
        ),
        // A funder starting with `=` is text to Excel, not a formula.
        (
            "bevillinger",
            "efter bevillingsgiver (kr.)",
            "'=Puljen Y",
            "200000,00",
        ),
        ("forsøg", "startet efter type", "prøvehandlinger", "1"),
        ("trends og tilbud", "noteret efter type", "tilbud", "1"),
        ("verdensmål", "10. Mindre ulighed", "10", "2"),
        ("mål", people, "målopfyldelse (%)", "100,0"),
        ("mål", enterprises, "målopfyldelse (%)", "80,0"),
        // A forecast of a count is a count.
        ("mål", enterprises, "prognose 2025", "6"),
        ("mål", enterprises, "på sporet", "ja"),
        ("bro", "aktive virksomheder", "ultimo 2022", "3"),
        ("bro", "aktive virksomheder", "registreret 2023", "2"),
        ("bro", "aktive virksomheder", "lukket 2023", "1"),
        ("bro", "aktive virksomheder", "ultimo 2023", "4"),
    ];
    for (section, metric, key, expected) in expected {
        assert_eq!(
            value(&rows, section, metric, key),
            *expected,
            "{section};{metric};{key}"
        );
    }
    let retracted = rows.iter().find(|row| row[0] == "tilbagekaldte hændelser");
    assert!(retracted.is_some_and(|row| row[3].starts_with("Dobbeltregistrering")));
    // The last registration in Copenhagen time, written as the HTML writes it.
    let recorded = value(&rows, "rapport", "seneste registrering", "");
    assert!(
        recorded.contains(" kl. ") && !recorded.contains('Z'),
        "{recorded}"
    );
    let html = ledger.get(&report_path(2023, "format=html")).await;
    let page = html.text();
    assert!(
        page.contains(recorded),
        "the HTML does not say {recorded:?}"
    );
}

#[tokio::test]
async fn csv_with_sep_comma_is_plain_rfc_4180_in_english() {
    let ledger = TestLedger::with_log().await;
    let answer = ledger
        .get(&report_path(2023, "format=csv&sep=comma&lang=en"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let text = answer.text();
    assert!(!text.starts_with(BOM));
    let rows = parse_csv(text.as_bytes(), b',');
    assert_eq!(rows[0], ["section", "metric", "key", "value"]);
    let enterprises = "active social-economic enterprises and initiatives";
    let expected: &[(&str, &str, &str, &str)] = &[
        ("employment", "people employed", "", "4"),
        ("grants", "by funder (DKK)", "Fonden X", "1234567.89"),
        ("targets", enterprises, "attainment (%)", "80.0"),
        ("targets", enterprises, "on track", "yes"),
    ];
    for (section, metric, key, expected) in expected {
        assert_eq!(
            value(&rows, section, metric, key),
            *expected,
            "{section},{metric},{key}"
        );
    }
    // A name with a comma is quoted, and reads back whole.
    assert!(text.contains("\"Sommercaféen, Kobæk ("));
    let listed = rows
        .iter()
        .find(|row| row[1] == "registered event" && row[3].starts_with("Sommercaféen"));
    assert!(listed.is_some_and(|row| row[3].starts_with("Sommercaféen, Kobæk (2023-03-01, ")));
}

// ---------------------------------------------------------------------------------------------
// HTML

#[tokio::test]
async fn html_is_one_self_contained_page_that_escapes_what_events_say() {
    let ledger = TestLedger::with_log().await;
    let answer = ledger.get(&report_path(2023, "format=html")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    let page = answer.text();
    let hash = ledger.hashes.last().unwrap();
    let must_contain = [
        "<html lang=\"da\">",
        "<title>Socialøkonomisk årsrapport 2023</title>",
        // The bridge, as one equation for screen readers and as its four terms.
        "3 + 2 − 1 = 4",
        "Café Æblegården",
        "1.234.567,89\u{a0}kr.",
        "1.434.567,89\u{a0}kr.",
        "100,0\u{a0}%",
        "80,0\u{a0}%",
        "Dobbeltregistrering",
        "Mindre ulighed",
        "GET /api/v1/verify",
        hash,
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<svg",
        "@media print",
    ];
    for expected in must_contain {
        assert!(page.contains(expected), "the page lacks {expected:?}");
    }
    let lower = page.to_lowercase();
    for forbidden in [
        "<script", "http://", "https://", "<link", "<img", "@import", "url(",
    ] {
        assert!(
            !lower.contains(forbidden),
            "the page contains {forbidden:?}"
        );
    }

    let english = ledger.get(&report_path(2023, "format=html&lang=en")).await;
    let page = english.text();
    for expected in [
        "<html lang=\"en\">",
        "<title>Social economy annual report 2023</title>",
        "DKK\u{a0}1,234,567.89",
        "Reduced inequalities",
    ] {
        assert!(
            page.contains(expected),
            "the English page lacks {expected:?}"
        );
    }
}

/// The body is for the committee: prose, tables and charts, with the words the clerks use
/// ("ansættelsesforløb"), counts without decimals and no retraction. Positions, hashes, the
/// signed checkpoint, the retraction and the commands are in the appendix "Kontrolspor". When
/// printed, every page's footer names the municipality, the report and its date, and numbers
/// the pages.
#[tokio::test]
async fn html_body_is_for_the_committee_and_the_audit_trail_for_the_auditor() {
    let ledger = TestLedger::with_log_for(Some("Slagelse Kommune")).await;
    let html = ledger.get(&report_path(2023, "format=html")).await;
    let page = html.text();
    let (body, trail) = page
        .split_once("id=\"kontrolspor\"")
        .expect("the page has the appendix Kontrolspor");
    assert!(
        trail.contains(">Kontrolspor<"),
        "the appendix is titled Kontrolspor"
    );
    let checkpoint = ledger.get(&report_path(2023, "format=json")).await.json()["checkpoint"]
        .as_str()
        .expect("a checkpoint")
        .to_owned();
    let origin = checkpoint.lines().next().expect("an origin line");
    let head_hash = ledger.hashes.last().unwrap().as_str();
    for expected in [
        head_hash,
        origin,
        "GET /api/v1/verify",
        "impact-ledger report --year 2023",
        "Tilbagekaldte hændelser",
        "Dobbeltregistrering",
        "Café Æblegården",
    ] {
        assert!(trail.contains(expected), "the appendix lacks {expected:?}");
    }
    for expected in [
        "Slagelse Kommune",
        "Ansættelsesforløb i 2023",
        "Café Æblegården",
        "80,0\u{a0}%",
        // The forecast of 6.0 enterprises, in the targets table, as a count.
        "<td class=\"number\">6</td>",
        // The committee's question, answered per target with the forecast and its basis.
        "Kan målene nås i perioden?",
        "Ja, hvis udviklingen fortsætter: prognosen for 2025 er 6 mod målet 5 \
         (lineær tendens gennem årenes tal, 2022: 3; 2023: 4).",
        "Ja, hvis udviklingen fortsætter: prognosen for 2025 er 8 mod målet 4",
        // The eight tracks, each with what measures it now.
        "De otte strategispor",
        "Måles nu ved",
        "Prøvehandling",
        "prøvehandlinger startet",
    ] {
        assert!(body.contains(expected), "the body lacks {expected:?}");
    }
    let hash_prefixes = ledger.hashes.iter().map(|hash| &hash[..8]);
    let unwanted = [
        "GET /api",
        "impact-ledger report",
        "impact-ledger verify",
        "Dobbeltregistrering",
        origin,
        "6,0",
    ];
    for unwanted in unwanted.into_iter().chain(hash_prefixes) {
        assert!(!body.contains(unwanted), "the body shows {unwanted:?}");
    }
    assert!(!page.to_lowercase().contains("placering"));
    assert!(!page.contains("trukket tilbage"));
    // Printed: the footer (an @page margin box) names who, what and when; pages are numbered.
    let (_, margins) = page
        .split_once("@bottom-left { content: ")
        .expect("a footer");
    // `·` is written as the CSS escape `\b7 `, whose space ends the escape.
    let footer = "\"Slagelse Kommune \\b7  Socialøkonomisk årsrapport 2023 \\b7  opgjort ";
    assert!(margins.starts_with(footer), "{margins}");
    assert!(margins.contains("\"Side \" counter(page) \" af \" counter(pages)"));

    let english = ledger.get(&report_path(2023, "format=html&lang=en")).await;
    let english = english.text();
    assert!(english.contains(">Audit trail<") && english.contains("\"Page \" counter(page)"));
    assert!(english.contains(
        "Yes, if the trend holds: the forecast for 2025 is 8 against the target 4 \
         (a linear trend through the yearly figures, 2022: 2; 2023: 4)."
    ));
    assert!(english.contains("The eight strategy tracks"));
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[tokio::test]
async fn bad_parameters_are_400_problems_and_a_token_is_needed() {
    let ledger = TestLedger::with_log().await;
    let cases = [
        (
            report_path(2023, "format=pdf"),
            StatusCode::BAD_REQUEST,
            "format",
        ),
        (
            report_path(2023, "lang=de"),
            StatusCode::BAD_REQUEST,
            "lang",
        ),
        (
            report_path(2023, "format=csv&sep=tab"),
            StatusCode::BAD_REQUEST,
            "sep",
        ),
        (
            report_path(2023, "at_position=999"),
            StatusCode::BAD_REQUEST,
            "at_position",
        ),
        (
            report_path(2023, "as_of=yesterday"),
            StatusCode::BAD_REQUEST,
            "as_of",
        ),
        (
            "/api/v1/reports/annual/twenty?".to_owned(),
            StatusCode::BAD_REQUEST,
            "year",
        ),
        (report_path(1066, ""), StatusCode::BAD_REQUEST, "year"),
    ];
    for (path, status, named) in cases {
        let answer = ledger.get(&path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            "application/problem+json"
        );
        let detail = answer.json()["detail"].as_str().unwrap_or("").to_owned();
        assert!(detail.contains(named), "{path}: {detail}");
    }
    let anonymous = ledger.get_as(&report_path(2023, ""), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let staff = ledger
        .get_as(&report_path(2023, "format=html"), Some(&ledger.staff))
        .await;
    assert_eq!(staff.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// The command line

fn run(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BINARY)
        .arg("report")
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stdout_of(data: &Path, args: &[&str]) -> Vec<u8> {
    let output = run(data, args);
    assert!(
        output.status.success(),
        "report {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[tokio::test]
async fn the_report_command_prints_what_the_api_answers() {
    let ledger = TestLedger::with_log().await;
    let end_of_2022 = events_2022().len().to_string();
    let queries = [
        ("format=json", vec!["--format", "json"]),
        ("format=csv", vec!["--format", "csv"]),
        (
            "format=csv&sep=comma&lang=en",
            vec!["--format", "csv", "--sep", "comma", "--lang", "en"],
        ),
        ("format=html", vec!["--format", "html"]),
        (
            "format=html&lang=en",
            vec!["--format", "html", "--lang", "en"],
        ),
    ];
    let mut answers = Vec::new();
    for (query, _) in &queries {
        answers.push(ledger.get(&report_path(2023, query)).await.body);
    }
    let past = ledger
        .get(&report_path(2023, &format!("at_position={end_of_2022}")))
        .await
        .body;
    let data = ledger.close();

    for ((query, args), answer) in queries.iter().zip(&answers) {
        let mut args = args.clone();
        args.extend(["--year", "2023"]);
        assert!(
            stdout_of(data.path(), &args) == *answer,
            "report {args:?} differs from ?{query}"
        );
    }
    let printed = stdout_of(
        data.path(),
        &["--year", "2023", "--at-position", &end_of_2022],
    );
    assert_eq!(printed, past);
    // Mistakes are refused with a message, and a missing data dir is not made empty.
    let missing = data.path().join("nothing-here");
    // A moment before the first event is said, not answered with a report of zeros.
    let refusals: [(&Path, &[&str], &str); 6] = [
        (
            data.path(),
            &["--year", "2023", "--as-of", "2000-01-01T00:00:00Z"],
            "nothing was recorded at or before 2000-01-01T00:00:00Z",
        ),
        (&missing, &["--year", "2023"], "no ledger"),
        (
            data.path(),
            &["--year", "2023", "--at-position", "999"],
            "past the end",
        ),
        (
            data.path(),
            &["--year", "2023", "--as-of", "soon"],
            "RFC 3339",
        ),
        (data.path(), &["--year", "2023", "--format", "pdf"], "pdf"),
        (
            data.path(),
            &["--year", "2023", "--municipality", "Slagelse\nKommune"],
            "one line",
        ),
    ];
    for (dir, args, message) in refusals {
        let output = run(dir, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "report {args:?} succeeded");
        assert!(stderr.contains(message), "report {args:?}: {stderr}");
    }
    assert!(!missing.exists());
    // A municipality is typed by whoever runs the server: in the page's CSS it stays a string.
    let hostile = format!("Kommune\"; }} body {{ color: red }} </style>{HOSTILE}");
    let args = [
        "--year",
        "2023",
        "--format",
        "html",
        "--municipality",
        &hostile,
    ];
    let page = String::from_utf8(stdout_of(data.path(), &args)).expect("UTF-8");
    assert!(page.contains("&lt;script&gt;") && page.contains("\"Kommune\\22 \\3b  \\7d  body"));
    assert!(!page.to_lowercase().contains("<script") && page.matches("</style>").count() == 2);
}

/// Issue 18, finding 4: a funder whose name hides a formula behind the other separator
/// (`Acme;=1+2+3` in the comma file, `Acme,@SUM(9+9)` in the semicolon file) is inert however
/// the file is split: every cell a naive reader gets by splitting a line at `,` or at `;`
/// (ignoring quotes, as a spreadsheet opened with the other separator does) starts with no
/// `=`, `+`, `@`, or `-` before a non-digit.
#[tokio::test]
async fn csv_formulas_are_inert_whichever_separator_splits_the_line() {
    let mut ledger = TestLedger::with_log().await;
    let hostile = ["Acme;=1+2+3", "Acme,@SUM(9+9)", "Plain; -x+1", "Fund,+1;-2"];
    let grants = hostile
        .iter()
        .enumerate()
        .map(|(index, funder)| {
            event(
                "GrantAwarded",
                "2023-09-01",
                json!({"grant_id": id(90 + index as u32), "funder": funder, "amount_ore": 100}),
            )
        })
        .collect();
    ledger.append(grants).await;
    for (query, delimiter) in [("format=csv", b';'), ("format=csv&sep=comma", b',')] {
        let answer = ledger.get(&report_path(2023, query)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        let text = answer.text().trim_start_matches(BOM);
        for line in text.lines() {
            for cell in line.split([',', ';']) {
                let cell = cell.trim_matches('"');
                let mut characters = cell.chars();
                let first = characters.next();
                let dangerous = match first {
                    Some('=' | '+' | '@') => true,
                    Some('-') => !characters.next().is_some_and(|next| next.is_ascii_digit()),
                    _ => false,
                };
                assert!(
                    !dangerous,
                    "{query}: the cell `{cell}` of `{line}` is a formula"
                );
            }
        }
        // Read with its own separator, each name comes back whole, quoted and defused.
        let rows = parse_csv(text.as_bytes(), delimiter);
        for (funder, defused) in hostile.iter().zip([
            "Acme;'=1+2+3",
            "Acme,'@SUM(9+9)",
            "Plain; -x+1",
            "Fund,'+1;'-2",
        ]) {
            assert!(
                rows.iter().any(|row| row[2] == defused),
                "{query}: no row names {funder} as {defused}"
            );
        }
    }
}
