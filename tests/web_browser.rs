//! The web app as a person uses it, in Debian's Chromium driven headless through WebDriver
//! (chromedriver, fantoccini): the real binary serves the demo data; a staff member logs in,
//! records every event type through its form (an ending from the agreement's page, a
//! retraction from the event's), sees a refusal explained with the values kept, corrects an
//! event, finds it in a list, opens the report; an auditor verifies the chain; both log out. On every page axe-core (from the npm registry, installed into target/ by this
//! test) must find no serious or critical WCAG 2.1 A/AA violation.
//!
//! Without chromium, chromedriver or npm the test fails and says how to install them: it
//! never passes without having run. With IMPACT_LEDGER_SCREENSHOTS=DIR it also saves the
//! Danish screenshots of the README there (ops/web-screenshots.sh).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const INSTALL: &str = "the browser tests need Debian's Chromium, its WebDriver and npm: \
    run `apt-get install -y chromium chromium-driver npm` (as root), then `cargo test` again";
/// How long to wait for a process to answer or a page to change.
const PATIENCE: Duration = Duration::from_secs(30);

/// A child process killed when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn program(name: &str) -> PathBuf {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output();
    match found {
        Ok(output) if output.status.success() => {
            PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
        }
        _ => panic!("`{name}` is not installed; {INSTALL}"),
    }
}

/// axe-core's script, installed from the npm registry into target/ when it is not there yet.
fn axe_source() -> String {
    let tools = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-tools");
    let script = tools.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        let npm = program("npm");
        let status = Command::new(npm)
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg("axe-core@4")
            .status()
            .expect("npm runs");
        assert!(
            status.success(),
            "`npm install axe-core@4` failed; {INSTALL}"
        );
    }
    std::fs::read_to_string(&script).expect("axe.min.js is readable")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real binary on a free port with the demo data and a token per role.
fn start_server(data: &Path) -> (Process, String, [String; 3]) {
    use impact_ledger::auth::{create_token, Role};
    let staff = create_token(data, "anna", Role::Staff).unwrap();
    let auditor = create_token(data, "revisor", Role::Auditor).unwrap();
    let admin = create_token(data, "admin", Role::Admin).unwrap();
    let mut child = Command::new(BINARY)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server prints where it listens")
            .unwrap();
        if let Some(address) = line.strip_prefix("impact-ledger listening on ") {
            break address.trim().to_owned();
        }
    };
    // Keep reading what it prints, so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (process, base, [staff, auditor, admin])
}

fn start_chromedriver() -> (Process, String) {
    let port = free_port();
    let child = Command::new(program("chromedriver"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("chromedriver does not start ({error}); {INSTALL}"));
    let process = Process(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < PATIENCE,
            "chromedriver did not listen within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (process, format!("http://127.0.0.1:{port}"))
}

async fn open_browser(driver: &str, profile: &Path) -> Client {
    let chromium = program("chromium");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,1000", "--lang=da",
                format!("--user-data-dir={}", profile.display())],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(driver)
        .await
        .unwrap_or_else(|error| {
            panic!("Chromium does not start through chromedriver ({error}); {INSTALL}")
        })
}

/// One browser session against one server, with axe-core ready to inject.
struct Person {
    browser: Client,
    base: String,
    axe: String,
    screenshots: Option<PathBuf>,
}

impl Person {
    async fn open(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn path(&self) -> String {
        let url = self.browser.current_url().await.unwrap();
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        path
    }

    async fn text(&self) -> String {
        self.browser
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Types into a text input or textarea, as a person would.
    async fn type_into(&self, name: &str, text: &str) {
        let input = self
            .browser
            .find(Locator::Css(&format!(
                "[name=\"{name}\"]:not([type=hidden])"
            )))
            .await
            .unwrap();
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Sets a date input (typing into one depends on the browser's locale).
    async fn set_date(&self, name: &str, date: &str) {
        let script =
            "document.querySelector('[name=\"' + arguments[0] + '\"]').value = arguments[1];";
        self.browser
            .execute(script, vec![json!(name), json!(date)])
            .await
            .unwrap();
    }

    async fn choose(&self, name: &str, value: &str) {
        let select = self
            .browser
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .unwrap();
        select.select_by_value(value).await.unwrap();
    }

    async fn tick(&self, name: &str, value: &str) {
        let css = format!("input[name=\"{name}\"][value=\"{value}\"]");
        self.browser
            .find(Locator::Css(&css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Presses the form's main button and waits for the next page.
    async fn submit(&self, css: &str) {
        let before = self.browser.find(Locator::Css("html")).await.unwrap();
        self.browser
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let started = Instant::now();
        while before.text().await.is_ok() {
            assert!(
                started.elapsed() < PATIENCE,
                "no new page after pressing {css}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// axe-core on the page: no serious or critical WCAG 2.1 A/AA violation.
    async fn check_accessible(&self, page: &str) {
        self.browser.execute(&self.axe, vec![]).await.unwrap();
        let run = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
              .then(result => done(result.violations
                .filter(violation => violation.impact === 'serious' || violation.impact === 'critical')
                .map(violation => violation.id + ' (' + violation.impact + '): ' + violation.help + ' at ' +
                  violation.nodes.slice(0, 3).map(node => node.target.join(' ')).join(', '))))
              .catch(error => done(['axe failed: ' + error]));
        "#;
        let violations = self.browser.execute_async(run, vec![]).await.unwrap();
        let violations: Vec<Value> = violations.as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{page}: axe-core found {violations:#?}"
        );
        let lang = self
            .browser
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap();
        assert!(lang.is_some(), "{page}: <html lang> is set");
    }

    async fn screenshot(&self, name: &str) {
        if let Some(dir) = &self.screenshots {
            let png = self.browser.screenshot().await.unwrap();
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(name), png).unwrap();
        }
    }

    async fn login(&self, token: &str) {
        self.open("/").await;
        assert!(
            self.path().await.starts_with("/login?next="),
            "a page without a session asks to log in"
        );
        self.check_accessible("/login").await;
        self.type_into("token", token).await;
        self.submit("button[type=submit].primary").await;
        assert_eq!(self.path().await, "/");
    }

    async fn logout(&self) {
        self.submit("form.logout button").await;
        assert_eq!(self.path().await, "/login");
        self.open("/").await;
        assert!(self.path().await.starts_with("/login"), "logged out");
    }
}

/// What a person types into each form: (input, how, value).
enum Typed {
    Text(&'static str, &'static str),
    Date(&'static str, &'static str),
    Choose(&'static str, &'static str),
    Tick(&'static str, &'static str),
}

async fn fill(person: &Person, typed: &[Typed]) {
    for item in typed {
        match item {
            Typed::Text(name, value) => person.type_into(name, value).await,
            Typed::Date(name, value) => person.set_date(name, value).await,
            Typed::Choose(name, value) => person.choose(name, value).await,
            Typed::Tick(name, value) => person.tick(name, value).await,
        }
    }
}

/// The demo's Café Kornet, an enterprise that is open, for the pickers.
async fn some_enterprise(person: &Person) -> String {
    let option = person
        .browser
        .find(Locator::Css(
            "select[name=\"enterprise_id\"] option:nth-child(2)",
        ))
        .await
        .unwrap();
    option
        .attr("value")
        .await
        .unwrap()
        .expect("an enterprise to pick")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_uses_the_web_app_in_chromium() {
    let axe = axe_source();
    let work = tempfile::tempdir().unwrap();
    let (_server, base, [staff, auditor, _admin]) = start_server(&work.path().join("data"));
    let (_driver, driver_url) = start_chromedriver();
    let browser = open_browser(&driver_url, &work.path().join("chromium")).await;
    let screenshots = std::env::var_os("IMPACT_LEDGER_SCREENSHOTS").map(PathBuf::from);
    let person = Person {
        browser,
        base,
        axe,
        screenshots,
    };
    let outcome = staff_and_auditor(&person, &staff, &auditor).await;
    person.browser.clone().close().await.unwrap();
    outcome
}

async fn staff_and_auditor(person: &Person, staff: &str, auditor: &str) {
    person.login(staff).await;
    person.open("/?year=2023").await;
    assert!(
        person.text().await.contains("118"),
        "the demo's 118 people employed in 2023"
    );
    person.check_accessible("/").await;
    person.screenshot("web-dashboard.png").await;

    record_every_type(person).await;
    refusal_keeps_the_values(person).await;
    correct_an_event(person).await;
    find_in_lists(person).await;
    end_and_retract(person).await;

    person.open("/reports/annual/2023").await;
    assert!(person
        .text()
        .await
        .contains("Socialøkonomisk årsrapport 2023"));
    person.check_accessible("/reports/annual/2023").await;
    person.screenshot("web-report.png").await;
    person.open("/?lang=en").await;
    assert!(person.text().await.contains("Overview"));
    person.open("/record").await;
    assert!(
        person.text().await.contains("Record an event"),
        "the choice is remembered"
    );
    person.check_accessible("/record (English)").await;
    person.open("/?lang=da").await;
    person.logout().await;

    person.login(auditor).await;
    person.open("/audit").await;
    person.check_accessible("/audit").await;
    person
        .submit("form[action=\"/audit\"] button.primary")
        .await;
    assert!(person.text().await.contains("Kæden er intakt"));
    person.open("/record/GrantAwarded").await;
    assert!(
        person.text().await.contains("Ingen adgang"),
        "no staff form for an auditor"
    );
    person.open("/").await;
    person.logout().await;
}

async fn record_every_type(person: &Person) {
    person.open("/record").await;
    person.check_accessible("/record").await;
    person.open("/record/PersonPlacedInEmployment").await;
    let enterprise = some_enterprise(person).await;
    let enterprise: &'static str = Box::leak(enterprise.into_boxed_str());
    let forms: Vec<(&str, Vec<Typed>)> = vec![
        (
            "EnterpriseRegistered",
            vec![
                Typed::Date("occurred_on", "2024-05-01"),
                Typed::Text("name", "Værkstedet Nørregade"),
                Typed::Choose("kind", "enterprise"),
                Typed::Text("cvr", "10150817"),
                Typed::Tick("rsv", "true"),
                Typed::Tick("sdgs", "8"),
            ],
        ),
        (
            "PersonPlacedInEmployment",
            vec![
                Typed::Date("occurred_on", "2024-05-02"),
                Typed::Text("person_ref", "sla-p-990001"),
                Typed::Choose("employment_type", "flexjob"),
                Typed::Choose("enterprise_id", enterprise),
            ],
        ),
        (
            "GrantAwarded",
            vec![
                Typed::Date("occurred_on", "2024-05-03"),
                Typed::Text("funder", "Velliv Foreningen"),
                Typed::Text("amount_kr", "150.000,50"),
                Typed::Text("purpose", "Opstart"),
            ],
        ),
        (
            "AgreementSigned",
            vec![
                Typed::Date("occurred_on", "2024-05-04"),
                Typed::Text("counterparty", "Frivilligcenter Slagelse"),
                Typed::Choose("kind", "volunteering"),
            ],
        ),
        (
            "TrialStarted",
            vec![
                Typed::Date("occurred_on", "2024-05-05"),
                Typed::Text("title", "Grønne jobs"),
                Typed::Choose("kind", "trial_action"),
            ],
        ),
        (
            "TrendNoted",
            vec![
                Typed::Date("occurred_on", "2024-05-06"),
                Typed::Text("title", "Social investering"),
                Typed::Choose("kind", "trend"),
            ],
        ),
        (
            "StrategyAdopted",
            vec![
                Typed::Date("occurred_on", "2024-05-07"),
                Typed::Text("name", "Strategi 3.0"),
                Typed::Text("from_year", "2026"),
                Typed::Text("to_year", "2029"),
                Typed::Text("people_employed_per_year", "35"),
                Typed::Text("enterprises_active_per_period", "45"),
            ],
        ),
        (
            "EnterpriseClosed",
            vec![
                Typed::Date("occurred_on", "2025-01-15"),
                Typed::Choose("enterprise_id", enterprise),
                Typed::Text("reason", "ophørt"),
            ],
        ),
    ];
    let mut landed_on = std::collections::BTreeMap::new();
    for (event_type, typed) in forms {
        let landed = record_one(person, event_type, &typed).await;
        landed_on.insert(event_type, landed);
    }
    record_catalogue_two(person, &landed_on).await;
}

/// Opens the form of `event_type`, fills it in, saves it; returns the entity page it led to.
async fn record_one(person: &Person, event_type: &str, typed: &[Typed]) -> String {
    let path = format!("/record/{event_type}");
    person.open(&path).await;
    person.check_accessible(&path).await;
    fill(person, typed).await;
    person.submit("main form button.primary").await;
    let landed = person.path().await;
    let entity_pages = [
        "/enterprises/",
        "/placements/",
        "/grants/",
        "/agreements/",
        "/trials/",
        "/trends/",
        "/strategies/",
    ];
    assert!(
        entity_pages.iter().any(|page| landed.starts_with(page)),
        "{event_type}: landed on {landed}: {}",
        person.text().await
    );
    person.check_accessible(&landed).await;
    landed
}

/// Catalogue 2's six events (CONTRACT §11), each about an entity just made, picked from its
/// form's select by id; a grant's money typed with a decimal comma; each lands on its entity's
/// page, which then shows the event.
async fn record_catalogue_two(
    person: &Person,
    landed_on: &std::collections::BTreeMap<&str, String>,
) {
    let id_of = |event_type: &str| -> &'static str {
        let path = &landed_on[event_type];
        Box::leak(path.rsplit('/').next().unwrap().to_owned().into_boxed_str())
    };
    let forms: Vec<(&str, Vec<Typed>, &str)> = vec![
        (
            "PlacementEnded",
            vec![
                Typed::Date("occurred_on", "2024-08-01"),
                Typed::Choose("placement_id", id_of("PersonPlacedInEmployment")),
                Typed::Choose("reason", "moved_on"),
            ],
            "moved_on",
        ),
        (
            "GrantPaid",
            vec![
                Typed::Date("occurred_on", "2024-06-01"),
                Typed::Choose("grant_id", id_of("GrantAwarded")),
                Typed::Text("amount_kr", "100.000,25"),
            ],
            "10000025",
        ),
        (
            "GrantReturned",
            vec![
                Typed::Date("occurred_on", "2024-07-01"),
                Typed::Choose("grant_id", id_of("GrantAwarded")),
                Typed::Text("amount_kr", "5.000,5"),
            ],
            "500050",
        ),
        (
            "AgreementRenewed",
            vec![
                Typed::Date("occurred_on", "2024-09-01"),
                Typed::Choose("agreement_id", id_of("AgreementSigned")),
                Typed::Date("valid_to", "2026-12-31"),
            ],
            "2026-12-31",
        ),
        (
            "TrialConcluded",
            vec![
                Typed::Date("occurred_on", "2024-10-01"),
                Typed::Choose("trial_id", id_of("TrialStarted")),
                Typed::Choose("outcome", "adopted"),
                Typed::Text("lessons", "Virker i praksis"),
            ],
            "Virker i praksis",
        ),
        (
            "StrategyRevised",
            vec![
                Typed::Date("occurred_on", "2024-11-01"),
                Typed::Choose("strategy_id", id_of("StrategyAdopted")),
                Typed::Text("people_employed_per_year", "40"),
                Typed::Text("retention_6m_pct_per_year", "70"),
                Typed::Text("grants_total_kr_per_year", "2.000.000"),
            ],
            "200000000",
        ),
    ];
    for (event_type, typed, stored) in forms {
        let landed = record_one(person, event_type, &typed).await;
        let entity = landed.rsplit('/').next().unwrap().to_owned();
        assert!(
            landed_on.values().any(|path| path.ends_with(&entity)),
            "{event_type} leads to the page of the entity it is about: {landed}"
        );
        // The event's own page shows it as stored (the amount in øre, exactly).
        let events = person.text().await;
        assert!(
            events.contains(&capitalised_type(event_type)),
            "{event_type} is listed on {landed}: {events}"
        );
        let link = person
            .browser
            .find_all(Locator::Css("main table a[href^=\"/events/\"]"))
            .await
            .unwrap();
        let last = link
            .last()
            .expect("the entity's events")
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        person.open(&last).await;
        let text = person.text().await;
        assert!(
            text.contains(stored),
            "{event_type} stored {stored}: {text}"
        );
    }
}

/// How an entity's page names an event type (`reports::words::event_type`, capitalised).
fn capitalised_type(event_type: &str) -> String {
    let words = match event_type {
        "PlacementEnded" => "Ansættelsesforløb ophørt",
        "GrantPaid" => "Bevilling udbetalt",
        "GrantReturned" => "Bevilling tilbagebetalt",
        "AgreementRenewed" => "Aftale fornyet",
        "TrialConcluded" => "Forsøg afsluttet",
        "StrategyRevised" => "Strategi revideret",
        other => other,
    };
    words.to_owned()
}

async fn refusal_keeps_the_values(person: &Person) {
    person.open("/record/EnterpriseRegistered").await;
    fill(
        person,
        &[
            Typed::Date("occurred_on", "2024-05-01"),
            Typed::Text("cvr", "12345678"),
            Typed::Choose("kind", "initiative"),
            Typed::Text("note", "skal stå her bagefter"),
        ],
    )
    .await;
    person.submit("main form button.primary").await;
    let summary = person
        .browser
        .find(Locator::Css(".error-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The name left empty and the CVR that fails modulus 11: both named at once.
    assert!(summary.contains("Der er 2 problemer"), "{summary}");
    let beside = person
        .browser
        .find(Locator::Css("#f-cvr-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!beside.is_empty());
    let kept = person
        .browser
        .find(Locator::Css("#f-cvr"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("12345678"));
    person.check_accessible("a refused form").await;
    person.screenshot("web-refusal.png").await;
}

async fn correct_an_event(person: &Person) {
    person.open("/record/TrendNoted").await;
    fill(
        person,
        &[
            Typed::Date("occurred_on", "2024-06-01"),
            Typed::Text("title", "Delebiler i lokalsamfundet (fejl)"),
            Typed::Choose("kind", "offer"),
        ],
    )
    .await;
    person.submit("main form button.primary").await;
    let old = person.path().await;
    person
        .browser
        .find(Locator::LinkText("Ret"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(person.path().await.ends_with("/correct"));
    person.check_accessible("a correction").await;
    fill(
        person,
        &[
            Typed::Text("retract_reason", "stavefejl i titlen"),
            Typed::Text("title", "Delebiler i lokalsamfundet"),
        ],
    )
    .await;
    person.submit("main form button.primary").await;
    assert!(person.text().await.contains("Delebiler i lokalsamfundet"));
    // The entity keeps its id: its page shows the corrected title and the retraction.
    person.open(&old).await;
    let title = person
        .browser
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Delebiler i lokalsamfundet");
    let retracted = person
        .browser
        .find(Locator::Css("tr.is-retracted"))
        .await
        .unwrap();
    assert!(retracted
        .text()
        .await
        .unwrap()
        .contains("stavefejl i titlen"));
    // The old event says it was retracted, by which event and why.
    retracted
        .find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = person
        .browser
        .find(Locator::Css(".retracted"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        notice.contains("Tilbagekaldt") && notice.contains("stavefejl i titlen"),
        "{notice}"
    );
    person.check_accessible("a retracted event").await;
}

async fn find_in_lists(person: &Person) {
    // The corrected trend is in its list once, the retracted version no longer.
    person.open("/trends").await;
    person.type_into("q", "delebiler").await;
    person.submit("form.filters button").await;
    let rows = person
        .browser
        .find_all(Locator::Css("tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{}", person.text().await);
    assert!(rows[0]
        .text()
        .await
        .unwrap()
        .contains("Delebiler i lokalsamfundet"));
    person.check_accessible("/trends?q=delebiler").await;
    // The year's enterprises are exactly those its figure counts (34 in 2023).
    person.open("/enterprises?year=2023").await;
    let rows = person
        .browser
        .find_all(Locator::Css("tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 34);
    person.check_accessible("/enterprises?year=2023").await;
    person.screenshot("web-list.png").await;
    for path in [
        "/placements?year=2023",
        "/grants?year=2023",
        "/agreements",
        "/trials",
        "/trends?year=2024",
    ] {
        person.open(path).await;
        person.check_accessible(path).await;
    }
    person
        .browser
        .find(Locator::Css("tbody tr a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(person.path().await.starts_with("/trends/"));
    person.check_accessible("a trend's page").await;
}

/// AgreementEnded through the agreement's own page, then that ending retracted from its event.
async fn end_and_retract(person: &Person) {
    person.open("/agreements?q=frivilligcenter").await;
    person
        .browser
        .find(Locator::Css("tbody tr a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let agreement = person.path().await;
    assert!(agreement.starts_with("/agreements/"), "{agreement}");
    person
        .browser
        .find(Locator::LinkText("Afslut aftalen"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(person
        .path()
        .await
        .starts_with("/record/AgreementEnded?agreement_id="));
    person.check_accessible("/record/AgreementEnded").await;
    fill(
        person,
        &[
            Typed::Date("occurred_on", "2024-06-30"),
            Typed::Text("reason", "projektet sluttede"),
        ],
    )
    .await;
    person.submit("main form button.primary").await;
    assert_eq!(
        person.path().await,
        agreement,
        "back on the agreement's page"
    );
    assert!(person.text().await.contains("Aftale ophørt"));
    // The ending is the stream's second event; retract it from its own page.
    let ending = person
        .browser
        .find(Locator::Css("tbody tr:nth-child(2) a"))
        .await
        .unwrap();
    ending.click().await.unwrap();
    person
        .browser
        .find(Locator::LinkText("Tilbagekald"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    person.check_accessible("a retraction").await;
    person
        .type_into("retract_reason", "registreret ved en fejl")
        .await;
    person.submit("main form button.warning").await;
    let notice = person
        .browser
        .find(Locator::Css(".retracted"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("registreret ved en fejl"), "{notice}");
    person.open(&agreement).await;
    let retracted = person
        .browser
        .find(Locator::Css("tr.is-retracted"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(retracted.contains("tilbagekaldt af"), "{retracted}");
}
