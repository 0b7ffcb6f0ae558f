//! Proves the audit trail: every kind of tampering with an export (a changed field, a removed,
//! reordered or truncated event, a line that is not JSON or not canonical, a forged hash) is
//! caught with the right first bad position by both the real binary (`verify --export`) and the
//! standard-library Python checker (`ops/verify_export.py`); the API's export is byte-identical
//! to the CLI's; export → import → export gives the same bytes; import refuses a broken file or
//! a dir that holds a log and leaves the target exactly as it was; GET /verify finds a record
//! tampered with in the sled log, and so does `verify --data`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use impact_events::StoredEvent;
use impact_ledger::auth::{self, Role};
use impact_ledger::http::AppState;
use impact_ledger::store::{Log, SealedStore};
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const PYTHON_CHECKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/verify_export.py");

/// Trend events appended after the sample, so an export spans several read batches.
const BULK_EVENTS: usize = 2100;

/// A ledger in a temporary data dir, served through the router in this process.
struct TestLedger {
    state: Option<AppState>,
    staff: String,
    auditor: String,
    dir: TempDir,
}

impl TestLedger {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let staff = auth::create_token(dir.path(), "anna", Role::Staff).expect("staff token");
        let auditor =
            auth::create_token(dir.path(), "revisor", Role::Auditor).expect("auditor token");
        let state = impact_ledger::serve::open_state(dir.path()).expect("the ledger opens");
        TestLedger {
            state: Some(state),
            staff,
            auditor,
            dir,
        }
    }

    fn state(&self) -> &AppState {
        self.state.as_ref().expect("the ledger is open")
    }

    fn router(&self) -> Router {
        impact_ledger::http::router(self.state().clone())
    }

    async fn send(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&body).expect("JSON"))
            }
            None => Body::empty(),
        };
        let response = self
            .router()
            .oneshot(builder.body(body).expect("a request"))
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
            body,
        }
    }

    async fn append_ok(&self, events: Vec<Value>) {
        let body = json!({ "events": events });
        let answer = self
            .send(Method::POST, "/api/v1/events", &self.staff, Some(body))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }

    /// The sample events and a bulk of trends after them.
    async fn filled() -> Self {
        let ledger = TestLedger::new();
        ledger.append_ok(sample_events()).await;
        ledger.append_ok(vec![retraction()]).await;
        for chunk in bulk_trends().chunks(1000) {
            ledger.append_ok(chunk.to_vec()).await;
        }
        ledger
    }

    /// Drops the ledger and waits until sled's lock on the data dir is released.
    fn close(&mut self) {
        self.state = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Log::open(self.dir.path()).is_err() {
            assert!(Instant::now() < deadline, "the ledger never closed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

fn id(number: u128) -> String {
    uuid::Uuid::from_u128(number).to_string()
}

fn event(kind: &str, occurred_on: &str, data: Value) -> Value {
    json!({ "type": kind, "occurred_on": occurred_on, "data": data })
}

/// Eight events of several types, with text outside ASCII (the Python checker must write it
/// as UTF-8, not as `\u` escapes).
fn sample_events() -> Vec<Value> {
    let mut placement = event(
        "PersonPlacedInEmployment",
        "2022-05-01",
        json!({"placement_id": id(0xB1), "person_ref": "P-0002", "employment_type": "ordinary"}),
    );
    placement["id"] = json!(id(0x6));
    let mut registered = event(
        "EnterpriseRegistered",
        "2022-02-01",
        json!({"enterprise_id": id(0xE1), "name": "Café Kronen", "kind": "enterprise",
               "sdgs": [8, 10]}),
    );
    registered["note"] = json!("Første samarbejde — æøå \"citat\"");
    vec![
        event(
            "StrategyAdopted",
            "2022-01-10",
            json!({"strategy_id": id(0x51), "name": "Det handler om mennesker",
                   "from_year": 2022, "to_year": 2025,
                   "targets": [{"metric": "people_employed", "per": "year", "value": 30},
                               {"metric": "enterprises_active", "per": "period", "value": 40}]}),
        ),
        registered,
        event(
            "EnterpriseRegistered",
            "2022-03-01",
            json!({"enterprise_id": id(0xE2), "name": "Genbrugshuset", "kind": "initiative"}),
        ),
        event(
            "PersonPlacedInEmployment",
            "2022-04-01",
            json!({"placement_id": id(0xB0), "person_ref": "P-0001",
                   "employment_type": "flexjob", "enterprise_id": id(0xE1)}),
        ),
        event(
            "GrantAwarded",
            "2022-06-01",
            json!({"grant_id": id(0x90), "funder": "Fonden X", "amount_ore": 30_000_000}),
        ),
        placement,
        event(
            "EnterpriseClosed",
            "2023-01-31",
            json!({"enterprise_id": id(0xE2), "reason": "merged"}),
        ),
    ]
}

fn retraction() -> Value {
    event(
        "EventRetracted",
        "2023-02-01",
        json!({"event_id": id(0x6), "reason": "entered twice"}),
    )
}

fn bulk_trends() -> Vec<Value> {
    (0..BULK_EVENTS)
        .map(|index| {
            event(
                "TrendNoted",
                "2023-03-01",
                json!({"trend_id": id(0x1_0000 + index as u128), "title": format!("trend {index}"),
                       "kind": "trend"}),
            )
        })
        .collect()
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(BINARY)
        .args(args)
        .args(paths)
        .env("RUST_LOG", "warn")
        .env_remove("IMPACT_LEDGER_DATA")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cli_export(data: &Path) -> Vec<u8> {
    let output = run(&["export", "--data"], &[data]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    output.stdout
}

/// The lines of an export, without their newlines.
fn split_lines(export: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = export
        .split(|byte| *byte == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(
        lines.pop(),
        Some(Vec::new()),
        "an export ends with a newline"
    );
    lines
}

fn join_lines(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|line| [line.as_slice(), b"\n"].concat())
        .collect()
}

fn replace_in(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let line = text(line);
    assert!(line.contains(from), "`{from}` is not in {line}");
    line.replacen(from, to, 1).into_bytes()
}

/// Changes the grant's amount and seals the event again with a correct hash of its own: only
/// the next event's `prev_hash` still tells.
fn forge(line: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(line).expect("JSON");
    value["data"]["amount_ore"] = json!(90_000_000);
    let mut forged = StoredEvent::from_json(value).expect("a stored event");
    forged.hash = forged.compute_hash();
    forged.canonical_json()
}

/// One way to tamper with an export, and what both checkers must say about it.
struct Case {
    name: &'static str,
    tamper: fn(Vec<Vec<u8>>) -> Vec<u8>,
    /// `None`: the export is good.
    first_bad_position: Option<u64>,
    /// Part of the reason the binary gives.
    reason: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "untouched",
            tamper: |lines| join_lines(&lines),
            first_bad_position: None,
            reason: "",
        },
        Case {
            name: "changed actor",
            tamper: |mut lines| {
                lines[2] = replace_in(&lines[2], "\"actor\":\"anna\"", "\"actor\":\"mona\"");
                join_lines(&lines)
            },
            first_bad_position: Some(3),
            reason: "hash does not match",
        },
        Case {
            name: "changed amount",
            tamper: |mut lines| {
                lines[4] = replace_in(&lines[4], "30000000", "30000001");
                join_lines(&lines)
            },
            first_bad_position: Some(5),
            reason: "hash does not match",
        },
        Case {
            name: "changed amount with a recomputed hash",
            tamper: |mut lines| {
                lines[4] = forge(&lines[4]);
                join_lines(&lines)
            },
            first_bad_position: Some(6),
            reason: "prev_hash",
        },
        Case {
            name: "removed event",
            tamper: |mut lines| {
                lines.remove(3);
                join_lines(&lines)
            },
            first_bad_position: Some(4),
            reason: "expected position 4",
        },
        Case {
            name: "swapped events",
            tamper: |mut lines| {
                lines.swap(1, 2);
                join_lines(&lines)
            },
            first_bad_position: Some(2),
            reason: "expected position 2",
        },
        Case {
            name: "truncated in the middle of a line",
            tamper: |lines| {
                let mut bytes = join_lines(&lines[..6]);
                bytes.extend_from_slice(&lines[6][..lines[6].len() / 2]);
                bytes
            },
            first_bad_position: Some(7),
            reason: "truncated",
        },
        Case {
            name: "truncated before the last newline",
            tamper: |lines| {
                let mut bytes = join_lines(&lines);
                bytes.pop();
                bytes
            },
            first_bad_position: Some(BULK_EVENTS as u64 + 8),
            reason: "truncated",
        },
        Case {
            name: "a line that is not JSON",
            tamper: |mut lines| {
                lines[1] = b"{\"position\":2,".to_vec();
                join_lines(&lines)
            },
            first_bad_position: Some(2),
            reason: "line 2: not valid JSON",
        },
        Case {
            name: "an empty line",
            tamper: |mut lines| {
                lines.insert(5, Vec::new());
                join_lines(&lines)
            },
            first_bad_position: Some(6),
            reason: "line 6: not valid JSON",
        },
        Case {
            name: "a reformatted line with the same content",
            tamper: |mut lines| {
                lines[2] = replace_in(&lines[2], ",\"id\":", ", \"id\": ");
                join_lines(&lines)
            },
            first_bad_position: Some(3),
            reason: "canonical",
        },
    ]
}

/// What a checker printed, as its `key: value` lines.
fn summary_of(output: &Output) -> BTreeMap<String, String> {
    text(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn check_verdict(checker: &str, case: &Case, output: &Output) {
    let summary = summary_of(output);
    let shown = format!(
        "{checker} on `{}`:\n{}{}",
        case.name,
        text(&output.stdout),
        text(&output.stderr)
    );
    let expected = case
        .first_bad_position
        .map_or("null".to_owned(), |position| position.to_string());
    assert_eq!(
        summary.get("first_bad_position"),
        Some(&expected),
        "{shown}"
    );
    assert_eq!(
        output.status.code(),
        Some(if case.first_bad_position.is_some() {
            1
        } else {
            0
        }),
        "{shown}"
    );
    let ok = if case.first_bad_position.is_some() {
        "false"
    } else {
        "true"
    };
    assert_eq!(summary.get("ok").map(String::as_str), Some(ok), "{shown}");
}

#[tokio::test]
async fn every_kind_of_tampering_is_found_by_the_binary_and_by_the_python_checker() {
    let mut ledger = TestLedger::filled().await;
    ledger.close();
    let export = cli_export(ledger.dir.path());
    let work = tempfile::tempdir().expect("a temporary directory");
    for case in cases() {
        let file = work.path().join("export.ndjson");
        std::fs::write(&file, (case.tamper)(split_lines(&export))).expect("written");

        let binary = run(&["verify", "--export"], &[&file]);
        check_verdict("verify --export", &case, &binary);
        if let Some(position) = case.first_bad_position {
            let stderr = text(&binary.stderr);
            assert!(stderr.contains(case.reason), "{}: {stderr}", case.name);
            assert!(
                stderr.contains(&format!("first bad position {position}")),
                "{}: {stderr}",
                case.name
            );
        }

        let python = Command::new("python3")
            .arg(PYTHON_CHECKER)
            .arg(&file)
            .output()
            .expect("python3 runs");
        check_verdict("ops/verify_export.py", &case, &python);
    }
}

#[tokio::test]
async fn the_api_export_is_the_cli_export_and_verify_agrees() {
    let mut ledger = TestLedger::filled().await;
    let events = BULK_EVENTS as u64 + 8;

    let answer = ledger
        .send(Method::GET, "/api/v1/export", &ledger.auditor, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/x-ndjson");
    assert_eq!(answer.headers["x-ledger-head-position"], events.to_string());
    let api_export = answer.body.to_vec();
    let lines = split_lines(&api_export);
    assert_eq!(lines.len() as u64, events);
    let last: Value = serde_json::from_slice(lines.last().expect("a line")).expect("JSON");

    let verify = ledger
        .send(Method::GET, "/api/v1/verify", &ledger.auditor, None)
        .await;
    assert_eq!(verify.status, StatusCode::OK);
    let verify: Value = serde_json::from_slice(&verify.body).expect("JSON");
    let expected = json!({"ok": true, "events": events, "head_position": events,
                          "head_hash": last["hash"], "first_bad_position": null});
    assert_eq!(verify, expected);
    assert_eq!(
        answer.headers["x-ledger-head-hash"],
        last["hash"].as_str().unwrap()
    );

    for path in ["/api/v1/export", "/api/v1/verify"] {
        let answer = ledger.send(Method::GET, path, &ledger.staff, None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "staff on {path}");
    }

    ledger.close();
    assert!(
        cli_export(ledger.dir.path()) == api_export,
        "CLI and API exports differ"
    );
    let verify = run(&["verify", "--data"], &[ledger.dir.path()]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let summary = summary_of(&verify);
    assert_eq!(summary["events"], events.to_string());
    assert_eq!(summary["head_hash"], last["hash"].as_str().unwrap());
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("a readable dir") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                files.insert(path.clone(), b"<dir>".to_vec());
                pending.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable dir")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn export_import_export_is_byte_identical_and_a_bad_import_changes_nothing() {
    let mut ledger = TestLedger::filled().await;
    ledger.close();
    let original = ledger.dir.path();
    let export = cli_export(original);
    let work = tempfile::tempdir().expect("a temporary directory");
    let file = work.path().join("export.ndjson");
    std::fs::write(&file, &export).expect("written");

    // Into a dir holding only the original's pepper (CONTRACT §12: the export's pseudonyms were
    // made with it; import refuses to make new ones that would count a person twice).
    let restored = work.path().join("restored");
    std::fs::create_dir_all(restored.join("keys")).expect("created");
    let pepper = original.join("keys/pepper");
    std::fs::copy(&pepper, restored.join("keys/pepper")).expect("copied");
    let import = run(&["import"], &[&file, Path::new("--data"), &restored]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    assert!(cli_export(&restored) == export, "the re-export differs");
    assert_eq!(names_in(work.path()), ["export.ndjson", "restored"]);

    // Into a dir with only tokens: the tokens stay, the log arrives.
    let with_tokens = work.path().join("with-tokens");
    std::fs::create_dir(&with_tokens).expect("created");
    let auditor = auth::create_token(&with_tokens, "revisor", Role::Auditor).expect("a token");
    std::fs::create_dir(with_tokens.join("keys")).expect("created");
    std::fs::copy(&pepper, with_tokens.join("keys/pepper")).expect("copied");
    let import = run(&["import"], &[&file, Path::new("--data"), &with_tokens]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    assert_eq!(names_in(&with_tokens), ["keys", "sled", "tokens.json"]);

    // Without the pepper the export's pseudonyms were made with: refused, nothing left behind.
    let without_pepper = work.path().join("without-pepper");
    let import = run(&["import"], &[&file, Path::new("--data"), &without_pepper]);
    assert!(!import.status.success());
    assert!(
        text(&import.stderr).contains("keys/pepper"),
        "{}",
        text(&import.stderr)
    );
    assert!(!without_pepper.exists());
    assert!(cli_export(&with_tokens) == export, "the re-export differs");

    // Refusals: a tampered file, into a missing dir or a dir with only tokens; any file into a
    // dir that holds a log. Each leaves everything exactly as it was.
    let tampered = work.path().join("tampered.ndjson");
    let mut lines = split_lines(&export);
    lines[BULK_EVENTS] = replace_in(&lines[BULK_EVENTS], "trend", "trand");
    std::fs::write(&tampered, join_lines(&lines)).expect("written");
    let only_tokens = work.path().join("only-tokens");
    std::fs::create_dir(&only_tokens).expect("created");
    auth::create_token(&only_tokens, "revisor", Role::Auditor).expect("a token");
    let missing = work.path().join("missing");
    let refusals: [(&Path, &Path, &str); 4] = [
        (&tampered, &missing, "first bad position 2101"),
        (&tampered, &only_tokens, "first bad position 2101"),
        (&file, original, "already holds a log"),
        (&file, &restored, "already holds a log"),
    ];
    for (file, target, reason) in refusals {
        let before = snapshot(work.path());
        let original_before = snapshot(original);
        let import = run(&["import"], &[file, Path::new("--data"), target]);
        let stderr = text(&import.stderr);
        assert_eq!(
            import.status.code(),
            Some(1),
            "{}: {stderr}",
            target.display()
        );
        assert!(stderr.contains(reason), "{}: {stderr}", target.display());
        assert!(
            snapshot(work.path()) == before,
            "{} changed",
            work.path().display()
        );
        assert!(
            snapshot(original) == original_before,
            "the original changed"
        );
    }
    assert!(!missing.exists());

    // The restored ledger opens (verifying its chain) and answers with the same head.
    let state = impact_ledger::serve::open_state(&with_tokens).expect("the restored ledger opens");
    let request = Request::get("/api/v1/verify")
        .header(header::AUTHORIZATION, format!("Bearer {auditor}"))
        .body(Body::empty())
        .expect("a request");
    let response = impact_ledger::http::router(state)
        .oneshot(request)
        .await
        .expect("infallible");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let verify: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["events"], BULK_EVENTS as u64 + 8);
}

#[tokio::test]
async fn a_record_changed_in_the_log_is_found_by_get_verify_and_verify_data() {
    let mut ledger = TestLedger::filled().await;
    let log = ledger.state().ledger.store();
    let mut changed = log.get(4).expect("readable").expect("stored");
    changed.actor = "mona".to_owned();
    // Written behind the ledger's back, as someone with access to the disk could.
    let engine: &dyn std::any::Any = log;
    let sealed = engine.downcast_ref::<SealedStore>().expect("the key layer");
    let engine: &dyn std::any::Any = sealed.inner();
    let sled = engine.downcast_ref::<Log>().expect("the data dir's log");
    sled.append_requests(&[changed], &[1]).expect("written");

    let answer = ledger
        .send(Method::GET, "/api/v1/verify", &ledger.auditor, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let verify: Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(verify["ok"], false, "{verify}");
    assert_eq!(verify["events"], 3);
    assert_eq!(verify["first_bad_position"], 4);
    let error = verify["error"].as_str().expect("an error text");
    assert!(error.contains("hash does not match"), "{error}");

    ledger.close();
    let output = run(&["verify", "--data"], &[ledger.dir.path()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(summary_of(&output)["first_bad_position"], "4");
    // The ledger opens (a start checks only how records link), then its background
    // verification finds the changed record and stops appends.
    let state = impact_ledger::serve::open_state(ledger.dir.path()).expect("the ledger opens");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !state.ledger.is_corrupt() {
        assert!(
            std::time::Instant::now() < deadline,
            "the background verification finds it"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        state.writer.is_stopped(),
        "no append is taken on a changed log"
    );
}

#[test]
fn verify_and_export_refuse_a_dir_without_a_log_and_create_nothing() {
    let work = tempfile::tempdir().expect("a temporary directory");
    let missing = work.path().join("nothing-here");
    for args in [["verify", "--data"], ["export", "--data"]] {
        let output = run(&args, &[&missing]);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            text(&output.stderr).contains("holds no log"),
            "{}",
            text(&output.stderr)
        );
    }
    assert!(names_in(work.path()).is_empty());
}
