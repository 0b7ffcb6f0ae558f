//! Proves the real binary keeps what it acknowledged across a restart: `token new`, `serve` on a
//! free port, append over HTTP, read back, stop with SIGTERM, start again, read the same events
//! with the same hashes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");

struct Server {
    child: Child,
    base: String,
    /// The admin token printed on a first start, if one was.
    admin_token: Option<String>,
    /// The line saying how to log in and make a token.
    how_to_log_in: String,
}

impl Server {
    /// Starts `impact-ledger serve` on port 0 and waits for the line naming its address.
    fn start(data: &Path) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut admin_token = None;
        let mut how_to_log_in = String::new();
        let base = loop {
            let line = lines
                .next()
                .expect("the server prints its address")
                .expect("utf-8");
            if let Some(secret) = line.strip_prefix("admin token: ") {
                admin_token = Some(secret.to_owned());
            }
            if line.starts_with("Open http://") {
                how_to_log_in = line.clone();
            }
            if let Some(address) = line.strip_prefix("impact-ledger listening on ") {
                break address.to_owned();
            }
        };
        Server {
            child,
            base,
            admin_token,
            how_to_log_in,
        }
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("the server exits");
        assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_new(data: &Path, role: &str, name: &str) -> String {
    let output = Command::new(BINARY)
        .args(["token", "new", "--role", role, "--name", name, "--data"])
        .arg(data)
        .output()
        .expect("token new runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(
        secret.starts_with("il_") && secret.len() == 67,
        "secret: {secret}"
    );
    secret
}

fn get(base: &str, path: &str, token: &str) -> serde_json::Value {
    let mut response = ureq::get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("GET answers 200");
    response.body_mut().read_json().expect("a JSON body")
}

fn post_events(base: &str, token: &str, events: serde_json::Value) -> (u16, serde_json::Value) {
    let response = ureq::post(&format!("{base}/api/v1/events"))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(serde_json::json!({ "events": events }))
        .expect("POST answers");
    let status = response.status().as_u16();
    let body = response.into_body().read_json().expect("a JSON body");
    (status, body)
}

/// `serve` says how to make a token with a command that runs as printed, also where the binary
/// is not the `impact-ledger` on PATH (here, as after `cargo run`, it lies in target/).
#[test]
fn the_token_command_serve_prints_runs_as_printed() {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = Server::start(data.path());
    let hint = &server.how_to_log_in;
    let command = hint
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("a command in backticks: {hint}"))
        .replace("NAME", "kommando");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(
        std::fs::canonicalize(words[0]).ok(),
        std::fs::canonicalize(BINARY).ok(),
        "the binary by its path: {command}"
    );
    let output = Command::new(words[0])
        .args(&words[1..])
        .output()
        .expect("the printed command runs");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // The server re-reads tokens.json at most once a second.
    let answered = (0..50).find_map(|_| {
        let response = ureq::get(&format!("{}/api/v1/status/2024", server.base))
            .header("Authorization", &format!("Bearer {secret}"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .expect("GET answers");
        if response.status() == 200 {
            return Some(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        None
    });
    assert!(answered.is_some(), "the token it made works on this server");
    server.stop();
}

#[test]
fn acknowledged_events_survive_a_restart_unchanged() {
    let data = tempfile::tempdir().expect("a temp dir");
    let staff = token_new(data.path(), "staff", "anna");
    let auditor = token_new(data.path(), "auditor", "revisor");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.path().join("tokens.json"))
            .expect("tokens.json")
            .permissions(),
    );
    assert_eq!(
        mode & 0o777,
        0o600,
        "tokens.json is readable by its owner only"
    );

    let server = Server::start(data.path());
    let events = serde_json::json!([
        {"type": "EnterpriseRegistered", "occurred_on": "2022-03-01",
         "data": {"enterprise_id": "11111111-1111-4111-8111-111111111111", "name": "Café Kvisten",
                  "kind": "enterprise", "cvr": "10150817", "sdgs": [8, 10]}},
        {"type": "PersonPlacedInEmployment", "occurred_on": "2022-04-02",
         "data": {"placement_id": "22222222-2222-4222-8222-222222222222", "person_ref": "P-0001",
                  "employment_type": "flexjob",
                  "enterprise_id": "11111111-1111-4111-8111-111111111111"}}
    ]);
    let (status, receipts) = post_events(&server.base, &staff, events);
    assert_eq!(status, 201, "{receipts}");
    let before = get(&server.base, "/api/v1/events", &auditor);
    assert_eq!(before["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(before["events"][0]["actor"], "anna");
    assert_eq!(before["events"][1]["hash"], receipts["events"][1]["hash"]);
    server.stop();

    let server = Server::start(data.path());
    let after = get(&server.base, "/api/v1/events", &auditor);
    assert_eq!(
        after, before,
        "the log reads back byte for byte after a restart"
    );
    let (status, _) = post_events(
        &server.base,
        &staff,
        serde_json::json!([{"type": "EnterpriseClosed", "occurred_on": "2023-01-05",
            "data": {"enterprise_id": "11111111-1111-4111-8111-111111111111"}}]),
    );
    assert_eq!(status, 201, "the chain continues after a restart");
    let chained = get(&server.base, "/api/v1/events?after=2", &auditor);
    assert_eq!(
        chained["events"][0]["prev_hash"],
        before["events"][1]["hash"]
    );
    server.stop();
}

#[test]
fn first_serve_prints_an_admin_token_once_and_it_works_at_once() {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = Server::start(data.path());
    let secret = server
        .admin_token
        .clone()
        .expect("an admin token was printed");
    let page = get(&server.base, "/api/v1/events", &secret);
    assert_eq!(page["events"], serde_json::json!([]));
    server.stop();

    let server = Server::start(data.path());
    assert_eq!(server.admin_token, None, "no second admin token is made");
    server.stop();
}

fn status_of(base: &str, path: &str, token: &str) -> u16 {
    ureq::get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("the server answers")
        .status()
        .as_u16()
}

#[test]
fn a_token_made_or_revoked_while_serving_takes_effect_without_a_restart() {
    let data = tempfile::tempdir().expect("a temp dir");
    let _admin = token_new(data.path(), "admin", "admin");
    let server = Server::start(data.path());

    let late = token_new(data.path(), "staff", "late");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while status_of(&server.base, "/api/v1/events", &late) != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "a new token works within seconds"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    let output = Command::new(BINARY)
        .args(["token", "revoke", "--name", "late", "--data"])
        .arg(data.path())
        .output()
        .expect("token revoke runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while status_of(&server.base, "/api/v1/events", &late) != 401 {
        assert!(
            std::time::Instant::now() < deadline,
            "a revoked token is refused within seconds"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.stop();
}
