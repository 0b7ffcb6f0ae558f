//! Proves the lists of CONTRACT §9 over real HTTP through `router()` with real sled in a temp dir:
//! on the demo data each year's lists hold exactly what /status counts (31/34 enterprises,
//! 100/118 people); each list, filter, `q`, page and `as_of`/`at_position` answers as the
//! words say; retracted entities are not listed; bad parameters are 400 in plain words; every
//! role may list; reads of placements are written to the access log, which only auditors and
//! admins read, newest first, and which stays within its bound.

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use impact_ledger::auth::{self, Role};
use impact_ledger::config::Limits;
use impact_ledger::http::AppState;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

struct Fixture {
    router: Router,
    state: AppState,
    staff: String,
    auditor: String,
    admin: String,
    // Dropped last: the ledger must be closed before its directory goes.
    _dir: TempDir,
}

impl Fixture {
    fn new(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let staff = auth::create_token(dir.path(), "anna", Role::Staff).expect("a token");
        let auditor = auth::create_token(dir.path(), "revisor", Role::Auditor).expect("a token");
        let admin = auth::create_token(dir.path(), "admin", Role::Admin).expect("a token");
        let state =
            impact_ledger::serve::open_state_with(dir.path(), limits).expect("the ledger opens");
        Fixture {
            router: impact_ledger::http::router(state.clone()),
            state,
            staff,
            auditor,
            admin,
            _dir: dir,
        }
    }

    async fn demo() -> Self {
        let fixture = Fixture::new(Limits::default());
        let today = impact_ledger::http::events::copenhagen_today();
        impact_ledger::demo::load(&fixture.state.writer, today)
            .await
            .expect("the demo loads");
        fixture
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).expect("a request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, json)
    }

    /// GET as `token`, which must answer 200.
    async fn get_as(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn get(&self, path: &str) -> Value {
        self.get_as(&self.auditor, path).await
    }

    /// Every item of a list, read page by page, `size` at a time.
    async fn all(&self, path: &str, size: u64) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items: Vec<Value> = Vec::new();
        loop {
            let page_path = format!("{path}{separator}limit={size}&offset={}", items.len());
            let page = self.get(&page_path).await;
            let page_items = page["items"].as_array().expect("items").clone();
            let done = page_items.is_empty();
            items.extend(page_items);
            if done || items.len() as u64 >= page["total"].as_u64().expect("total") {
                assert_eq!(
                    items.len() as u64,
                    page["total"].as_u64().unwrap(),
                    "{path}"
                );
                return items;
            }
        }
    }

    async fn append(&self, events: Vec<Value>) -> Vec<Value> {
        let body = json!({ "events": events });
        let (status, answer) = self
            .send(
                Method::POST,
                "/api/v1/events",
                Some(&self.staff),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer["events"].as_array().expect("receipts").clone()
    }
}

fn total(page: &Value) -> u64 {
    page["total"].as_u64().expect("a total")
}

fn field(items: &[Value], name: &str) -> Vec<Value> {
    items.iter().map(|item| item[name].clone()).collect()
}

#[tokio::test]
async fn on_the_demo_data_each_years_lists_hold_what_its_figures_count() {
    let demo = Fixture::demo().await;
    for (year, people, enterprises) in [(2022, 100, 31), (2023, 118, 34)] {
        let status = demo.get(&format!("/api/v1/status/{year}")).await;
        assert_eq!(status["people_employed"], people);
        assert_eq!(status["enterprises"]["active"], enterprises);

        let active = demo
            .all(&format!("/api/v1/enterprises?year={year}"), 7)
            .await;
        assert_eq!(active.len(), enterprises);
        let placements = demo
            .all(&format!("/api/v1/placements?year={year}"), 1000)
            .await;
        let persons: HashSet<String> = placements
            .iter()
            .map(|item| {
                item["person_ref"]
                    .as_str()
                    .expect("a person_ref")
                    .to_owned()
            })
            .collect();
        assert_eq!(persons.len(), people, "distinct person_refs of {year}");
        assert_eq!(
            placements.len() as u64,
            status["placements"]["total"].as_u64().unwrap()
        );

        let grants = demo.all(&format!("/api/v1/grants?year={year}"), 3).await;
        assert_eq!(
            grants.len() as u64,
            status["grants"]["count"].as_u64().unwrap()
        );
        let ore: i64 = grants
            .iter()
            .map(|grant| grant["amount_ore"].as_i64().unwrap())
            .sum();
        assert_eq!(ore, status["grants"]["total_ore"].as_i64().unwrap());
        let counted = [
            ("agreements", "agreements", "active"),
            ("trials", "trials", "started"),
            ("trends", "trends", "noted"),
        ];
        for (list, figure, member) in counted {
            let page = demo
                .get(&format!("/api/v1/{list}?year={year}&limit=0"))
                .await;
            assert_eq!(page["total"], status[figure][member], "{list} of {year}");
            assert_eq!(page["items"], json!([]), "limit=0 gives the total only");
        }

        // An enterprise's placements of the year are the year's placements that name it.
        for enterprise in &active {
            let id = enterprise["enterprise_id"].as_str().unwrap();
            let named = placements
                .iter()
                .filter(|item| item["enterprise_id"] == id)
                .count();
            assert_eq!(enterprise["placements"], named, "{enterprise}");
            assert!(placements
                .iter()
                .filter(|item| item["enterprise_id"] == id)
                .all(|item| item["enterprise_name"] == enterprise["name"]));
        }
    }
}

/// A small log through the API: what each list must show of it.
async fn small_log(fixture: &Fixture) -> Vec<Value> {
    let cafe = "5d3b0c1e-0000-4000-8000-000000000001";
    let works = "5d3b0c1e-0000-4000-8000-000000000002";
    let placement = |id: u32, person: &str, on: &str, employment_type: &str, at: Option<&str>| {
        json!({"type": "PersonPlacedInEmployment", "occurred_on": on,
               "data": {"placement_id": format!("7a000000-0000-4000-8000-{id:012}"), "person_ref": person,
                        "employment_type": employment_type, "enterprise_id": at}})
    };
    fixture.append(vec![
        json!({"type": "EnterpriseRegistered", "occurred_on": "2022-02-01",
               "data": {"enterprise_id": cafe, "name": "Café Kronen", "kind": "enterprise",
                        "cvr": "10150817", "rsv": true, "sdgs": [8, 10]}}),
        json!({"type": "EnterpriseRegistered", "occurred_on": "2022-03-01",
               "data": {"enterprise_id": works, "name": "Grønt Værksted", "kind": "initiative"}}),
        placement(1, "SLA-P-000001", "2022-04-01", "flexjob", Some(cafe)),
        placement(2, "SLA-P-000002", "2022-05-01", "ordinary", Some(works)),
        placement(3, "SLA-P-000003", "2023-01-10", "ordinary", None),
        json!({"type": "EnterpriseClosed", "occurred_on": "2023-06-30",
               "data": {"enterprise_id": works, "reason": "stopped"}}),
        json!({"type": "GrantAwarded", "occurred_on": "2022-06-01",
               "data": {"grant_id": "6a000000-0000-4000-8000-000000000001", "funder": "Velliv Foreningen",
                        "amount_ore": 15000050, "purpose": "café", "enterprise_id": cafe, "sdgs": [8]}}),
        json!({"type": "GrantAwarded", "occurred_on": "2022-07-01",
               "data": {"grant_id": "6a000000-0000-4000-8000-000000000002", "funder": "Socialstyrelsen",
                        "amount_ore": 500000}}),
        json!({"type": "AgreementSigned", "occurred_on": "2022-01-15",
               "data": {"agreement_id": "5a000000-0000-4000-8000-000000000001", "counterparty": "Røde Kors Slagelse",
                        "kind": "volunteering", "valid_to": "2022-12-31"}}),
        json!({"type": "AgreementSigned", "occurred_on": "2022-01-20",
               "data": {"agreement_id": "5a000000-0000-4000-8000-000000000002", "counterparty": "Jobcenter Slagelse",
                        "kind": "partnership"}}),
        json!({"type": "TrialStarted", "occurred_on": "2022-09-01",
               "data": {"trial_id": "4a000000-0000-4000-8000-000000000001", "title": "Fælles køkken",
                        "kind": "trial_action", "partners": ["Jobcenter Slagelse"]}}),
        json!({"type": "TrendNoted", "occurred_on": "2023-02-01",
               "data": {"trend_id": "3a000000-0000-4000-8000-000000000001", "title": "Grøn omstilling",
                        "kind": "offer", "source": "KL"}}),
    ])
    .await
}

#[tokio::test]
async fn each_list_shows_its_entities_and_filters_them() {
    let fixture = Fixture::new(Limits::default());
    small_log(&fixture).await;

    let all = fixture.get("/api/v1/enterprises").await;
    assert_eq!(total(&all), 2);
    let cafe = &all["items"][0];
    assert_eq!(cafe["name"], "Café Kronen");
    assert_eq!(cafe["cvr"], "10150817");
    assert_eq!(cafe["rsv"], true);
    assert_eq!(cafe["sdgs"], json!([8, 10]));
    assert_eq!(cafe["registered_on"], "2022-02-01");
    assert_eq!(cafe["closed_on"], Value::Null);
    assert_eq!(cafe["placements"], 1);
    assert_eq!(cafe["position"], 1);
    assert_eq!(all["items"][1]["closed_on"], "2023-06-30");
    assert_eq!(all["as_of_position"], 12);

    let names = |page: &Value| field(page["items"].as_array().unwrap(), "name");
    let cases = [
        ("year=2022", vec!["Café Kronen", "Grønt Værksted"]),
        ("year=2023", vec!["Café Kronen"]),
        ("year=2023&status=closed", vec!["Grønt Værksted"]),
        (
            "year=2023&status=all",
            vec!["Café Kronen", "Grønt Værksted"],
        ),
        ("year=2021", vec![]),
        ("status=active", vec!["Café Kronen"]),
        ("kind=initiative", vec!["Grønt Værksted"]),
        ("q=GRØNT", vec!["Grønt Værksted"]),
        ("q=caf%C3%A9%20k", vec!["Café Kronen"]),
        ("q=5081", vec!["Café Kronen"]),
        ("q=nothing", vec![]),
        ("limit=1&offset=1", vec!["Grønt Værksted"]),
    ];
    for (query, expected) in cases {
        let page = fixture.get(&format!("/api/v1/enterprises?{query}")).await;
        assert_eq!(
            names(&page),
            expected.iter().map(|name| json!(name)).collect::<Vec<_>>(),
            "{query}"
        );
    }

    let placements = fixture.get("/api/v1/placements?year=2022").await;
    assert_eq!(total(&placements), 2);
    let first = &placements["items"][0];
    assert_eq!(first["person_ref"], "SLA-P-000001");
    assert_eq!(first["employment_type"], "flexjob");
    assert_eq!(first["enterprise_name"], "Café Kronen");
    assert_eq!(first["occurred_on"], "2022-04-01");
    assert_eq!(first["position"], 3);
    let refs = |page: &Value| field(page["items"].as_array().unwrap(), "person_ref");
    let cases = [
        ("", vec!["SLA-P-000001", "SLA-P-000002", "SLA-P-000003"]),
        (
            "?employment_type=ordinary",
            vec!["SLA-P-000002", "SLA-P-000003"],
        ),
        (
            "?enterprise_id=5d3b0c1e-0000-4000-8000-000000000002",
            vec!["SLA-P-000002"],
        ),
        (
            "?enterprise_id=5d3b0c1e-0000-4000-8000-000000000009",
            vec![],
        ),
        ("?q=p-000003", vec!["SLA-P-000003"]),
        ("?q=v%C3%A6rksted", vec!["SLA-P-000002"]),
        ("?year=2023", vec!["SLA-P-000003"]),
    ];
    for (query, expected) in cases {
        let page = fixture.get(&format!("/api/v1/placements{query}")).await;
        assert_eq!(
            refs(&page),
            expected.iter().map(|r| json!(r)).collect::<Vec<_>>(),
            "{query}"
        );
    }

    let grants = fixture.get("/api/v1/grants?year=2022").await;
    assert_eq!(
        field(grants["items"].as_array().unwrap(), "funder"),
        [json!("Velliv Foreningen"), json!("Socialstyrelsen")]
    );
    assert_eq!(grants["items"][0]["amount_ore"], 15000050);
    assert_eq!(grants["items"][0]["purpose"], "café");
    let unit = fixture.get("/api/v1/grants?kind=unit").await;
    assert_eq!(
        field(unit["items"].as_array().unwrap(), "funder"),
        [json!("Socialstyrelsen")]
    );
    let partner = fixture.get("/api/v1/grants?kind=partner&q=velliv").await;
    assert_eq!(total(&partner), 1);

    // The volunteering agreement runs to 31 Dec 2022: active at the end of 2022, not 2023.
    let counterparties = |page: &Value| field(page["items"].as_array().unwrap(), "counterparty");
    let active_2022 = fixture.get("/api/v1/agreements?year=2022").await;
    assert_eq!(
        counterparties(&active_2022),
        [json!("Røde Kors Slagelse"), json!("Jobcenter Slagelse")]
    );
    let active_2023 = fixture.get("/api/v1/agreements?year=2023").await;
    assert_eq!(counterparties(&active_2023), [json!("Jobcenter Slagelse")]);
    let volunteering = fixture
        .get("/api/v1/agreements?kind=volunteering&q=r%C3%98de")
        .await;
    assert_eq!(volunteering["items"][0]["valid_to"], "2022-12-31");
    assert_eq!(volunteering["items"][0]["signed_on"], "2022-01-15");

    let trials = fixture
        .get("/api/v1/trials?kind=trial_action&q=k%C3%B8kken")
        .await;
    assert_eq!(trials["items"][0]["title"], "Fælles køkken");
    assert_eq!(
        trials["items"][0]["partners"],
        json!(["Jobcenter Slagelse"])
    );
    assert_eq!(
        total(&fixture.get("/api/v1/trials?kind=internal_trial").await),
        0
    );
    let trends = fixture.get("/api/v1/trends?year=2023&kind=offer").await;
    assert_eq!(trends["items"][0]["source"], "KL");
    assert_eq!(total(&fixture.get("/api/v1/trends?year=2022").await), 0);
}

#[tokio::test]
async fn retracted_entities_are_not_listed_and_the_past_is_listed_as_it_was() {
    let fixture = Fixture::new(Limits::default());
    let receipts = small_log(&fixture).await;
    let placement = receipts[2]["id"].as_str().unwrap();
    let closure = receipts[5]["id"].as_str().unwrap();
    let retract = |id: &str| {
        json!({"type": "EventRetracted", "occurred_on": "2024-01-05",
                                    "data": {"event_id": id, "reason": "entered by mistake"}})
    };
    fixture
        .append(vec![retract(placement), retract(closure)])
        .await;

    let placements = fixture.get("/api/v1/placements").await;
    assert_eq!(
        field(placements["items"].as_array().unwrap(), "person_ref"),
        [json!("SLA-P-000002"), json!("SLA-P-000003")]
    );
    let enterprises = fixture.get("/api/v1/enterprises?year=2023").await;
    assert_eq!(
        total(&enterprises),
        2,
        "the closure was retracted: both are active"
    );
    assert_eq!(enterprises["items"][0]["placements"], 0);

    // At position 12 (before the retractions) the list is what it was then, also by as_of.
    let before = fixture.get("/api/v1/placements?at_position=12").await;
    assert_eq!(total(&before), 3);
    assert_eq!(before["as_of_position"], 12);
    let at_position = fixture
        .get("/api/v1/enterprises?year=2023&at_position=12")
        .await;
    assert_eq!(total(&at_position), 1);
    let recorded_at = fixture.get("/api/v1/events?after=11&limit=1").await["events"][0]
        ["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_of = fixture
        .get(&format!(
            "/api/v1/enterprises?year=2023&as_of={}",
            recorded_at.replace('+', "%2B")
        ))
        .await;
    assert_eq!(as_of["items"], at_position["items"]);
    // A past fold finds an enterprise by id without the live projection's map.
    let works = "5d3b0c1e-0000-4000-8000-000000000002";
    let at_works = fixture
        .get(&format!(
            "/api/v1/placements?enterprise_id={works}&at_position=12"
        ))
        .await;
    assert_eq!(
        field(at_works["items"].as_array().unwrap(), "person_ref"),
        [json!("SLA-P-000002")]
    );
    assert_eq!(at_works["items"][0]["enterprise_name"], "Grønt Værksted");
    let before_works = fixture
        .get(&format!(
            "/api/v1/placements?enterprise_id={works}&at_position=1"
        ))
        .await;
    assert_eq!(total(&before_works), 0, "not registered yet at position 1");
    assert_eq!(
        total(&fixture.get("/api/v1/enterprises?at_position=0").await),
        0
    );
    assert_eq!(
        total(
            &fixture
                .get("/api/v1/enterprises?as_of=2000-01-01T00:00:00Z")
                .await
        ),
        0
    );
    let status = fixture.get("/api/v1/status/2023?at_position=12").await;
    assert_eq!(status["enterprises"]["active"], total(&at_position));
}

#[tokio::test]
async fn bad_parameters_are_refused_in_plain_words() {
    let fixture = Fixture::new(Limits::default());
    small_log(&fixture).await;
    let cases = [
        (
            "/api/v1/enterprises?yaer=2023",
            "unknown query parameter `yaer`",
        ),
        (
            "/api/v1/enterprises?year=twenty",
            "`year` must be a year from 1900 to 2200",
        ),
        (
            "/api/v1/enterprises?status=open",
            "`status` must be one of active, closed, all, not `open`",
        ),
        (
            "/api/v1/enterprises?kind=firm",
            "`kind` must be one of enterprise, initiative",
        ),
        (
            "/api/v1/enterprises?limit=1001",
            "`limit` must be a whole number from 0 to 1000",
        ),
        (
            "/api/v1/enterprises?offset=-1",
            "`offset` must be a whole number",
        ),
        (
            "/api/v1/enterprises?year=2022&year=2023",
            "give `year` only once",
        ),
        (
            "/api/v1/placements?employment_type=fleksjob",
            "one of ordinary, flexjob, wage_subsidy",
        ),
        (
            "/api/v1/placements?enterprise_id=42",
            "`enterprise_id` must be an id such as",
        ),
        (
            "/api/v1/placements?status=active",
            "unknown query parameter `status`",
        ),
        (
            "/api/v1/grants?kind=own",
            "`kind` must be one of unit, partner",
        ),
        (
            "/api/v1/agreements?kind=friendship",
            "partnership, civil_society, volunteering",
        ),
        ("/api/v1/trials?kind=x", "internal_trial, trial_action"),
        ("/api/v1/trends?kind=x", "trend, offer"),
        ("/api/v1/trends?at_position=99", "past the end of the log"),
        (
            "/api/v1/trends?at_position=1&as_of=2024-01-01T00:00:00Z",
            "not both",
        ),
        (
            "/api/v1/trends?as_of=yesterday",
            "`as_of` must be an RFC 3339 instant",
        ),
        (
            "/api/v1/access-log?before=x",
            "`before` must be a sequence number",
        ),
    ];
    let long_q = format!("/api/v1/grants?q={}", "a".repeat(201));
    for (path, words) in cases
        .iter()
        .copied()
        .chain([(long_q.as_str(), "at most 200 characters")])
    {
        let (status, problem) = fixture
            .send(Method::GET, path, Some(&fixture.admin), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(words), "{path}: {detail}");
    }
}

#[tokio::test]
async fn every_role_lists_and_only_auditors_and_admins_read_the_access_log() {
    let fixture = Fixture::new(Limits::default());
    small_log(&fixture).await;
    for list in [
        "enterprises",
        "placements",
        "grants",
        "agreements",
        "trials",
        "trends",
    ] {
        let path = format!("/api/v1/{list}");
        for token in [&fixture.staff, &fixture.auditor, &fixture.admin] {
            assert!(total(&fixture.get_as(token, &path).await) > 0, "{path}");
        }
        let (status, _) = fixture.send(Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, problem) = fixture
        .send(
            Method::GET,
            "/api/v1/access-log",
            Some(&fixture.staff),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, _) = fixture
        .send(Method::GET, "/api/v1/access-log", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    fixture.get_as(&fixture.admin, "/api/v1/access-log").await;
}

#[tokio::test]
async fn reads_of_placements_are_in_the_access_log_newest_first() {
    let fixture = Fixture::new(Limits::default());
    small_log(&fixture).await;
    let empty = fixture.get("/api/v1/access-log").await;
    assert_eq!(empty, json!({"entries": [], "next_before": null}));

    fixture
        .get_as(&fixture.staff, "/api/v1/placements?year=2022&q=sla")
        .await;
    fixture.get_as(&fixture.admin, "/api/v1/placements").await;
    fixture.get_as(&fixture.staff, "/api/v1/enterprises").await;
    let (status, _) = fixture
        .send(
            Method::GET,
            "/api/v1/placements?year=x",
            Some(&fixture.staff),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let log = fixture.get("/api/v1/access-log").await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        2,
        "only the two reads of placements that were answered: {log}"
    );
    let (newest, oldest) = (&entries[0], &entries[1]);
    assert_eq!(newest["sequence"], 2);
    assert_eq!(newest["actor"], "admin");
    assert_eq!(newest["role"], "admin");
    assert_eq!(newest["query"], "");
    assert_eq!(newest["total"], 3);
    assert_eq!(oldest["actor"], "anna");
    assert_eq!(oldest["role"], "staff");
    assert_eq!(oldest["path"], "/api/v1/placements");
    assert_eq!(oldest["query"], "year=2022&q=sla");
    assert_eq!(oldest["total"], 2);
    assert!(chrono::DateTime::parse_from_rfc3339(oldest["at"].as_str().unwrap()).is_ok());

    let first = fixture.get("/api/v1/access-log?limit=1").await;
    assert_eq!(first["entries"][0]["sequence"], 2);
    assert_eq!(first["next_before"], 2);
    let second = fixture.get("/api/v1/access-log?limit=1&before=2").await;
    assert_eq!(second["entries"][0]["sequence"], 1);
    assert_eq!(second["next_before"], Value::Null);
}

#[tokio::test]
async fn the_access_log_keeps_within_its_bound_and_drops_the_oldest() {
    let bytes_max = 4096;
    let limits = Limits {
        access_log_bytes_max: bytes_max,
        ..Limits::default()
    };
    let fixture = Fixture::new(limits);
    small_log(&fixture).await;
    let reads: u64 = 60;
    for read in 0..reads {
        fixture
            .get_as(&fixture.staff, &format!("/api/v1/placements?q=read-{read}"))
            .await;
    }
    let dir = fixture._dir.path();
    let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |meta| meta.len());
    let bytes = size("access-log.ndjson") + size("access-log.1.ndjson");
    assert!(bytes <= bytes_max, "{bytes} bytes on disk");
    let log = fixture.get("/api/v1/access-log?limit=1000").await;
    let entries = log["entries"].as_array().unwrap();
    assert!(
        entries.len() > 5 && (entries.len() as u64) < reads,
        "{} entries kept",
        entries.len()
    );
    assert_eq!(entries[0]["query"], format!("q=read-{}", reads - 1));
    assert_eq!(entries[0]["sequence"], reads);
    let sequences: Vec<u64> = entries
        .iter()
        .map(|entry| entry["sequence"].as_u64().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|pair| pair[0] == pair[1] + 1),
        "{sequences:?}"
    );

    // A restart carries the sequence on.
    let reopened = impact_ledger::access_log::AccessLog::open(dir, bytes_max).expect("reopens");
    let caller = auth::Caller {
        name: "anna".to_owned(),
        role: Role::Staff,
    };
    let entry = reopened
        .record(&caller, "/api/v1/placements", "", 0)
        .expect("records");
    assert_eq!(entry.sequence, reads + 1);
}

/// A schema, through its `$ref` if it is one.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn property_names(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn key_names(value: &Value) -> Vec<String> {
    let mut names: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_openapi_document_describes_each_list_as_it_answers() {
    let fixture = Fixture::new(Limits::default());
    small_log(&fixture).await;
    fixture.get("/api/v1/placements").await;
    let (_, document) = fixture
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    for list in [
        "enterprises",
        "placements",
        "grants",
        "agreements",
        "trials",
        "trends",
        "access-log",
    ] {
        let path = format!("/api/v1/{list}");
        let answer = fixture.get(&path).await;
        let ok = &document["paths"][&path]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        let page = resolve(&document, ok);
        assert_eq!(property_names(page), key_names(&answer), "{path}");
        let (many, first) = if list == "access-log" {
            ("entries", &answer["entries"][0])
        } else {
            ("items", &answer["items"][0])
        };
        let item = resolve(&document, &page["properties"][many]["items"]);
        assert_eq!(property_names(item), key_names(first), "{path} {many}");
    }
}
