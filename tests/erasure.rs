//! Proves CONTRACT §12 through the real binary and real sled: after `POST /api/v1/erasures` a
//! personal value is in no file under the data dir (searched byte for byte, before and after a
//! restart, and after thousands of appends and a reopen have made sled rewrite its files), no
//! answer shows it (event, page, stream, lists, export), the export verifies with
//! `ops/verify_export.py` and `impact-ledger verify`, an export made before the erasure still
//! verifies, and every figure is as it was. Also the answers an erasure can get (201, 403, 404,
//! 409, 422). And a kill -9 during erasures, four cycles: after each restart every note is either
//! readable with no erasure recorded or gone with its erasure recorded, and the chain verifies.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");

/// Values no other byte sequence in a data dir could contain by chance.
const NOTE: &str = "Borger Jens Quarkelund, ring efter kl. 14";
const PERSON: &str = "P-QX7731";
const CASE: &str = "24-QZ-9913";
/// A name that is not personal data: stored in the clear, so the search must find it.
const CONTROL: &str = "Kontrolcafeen Zyxwvu";

struct Server {
    child: Child,
    base: String,
}

impl Server {
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
        let base = loop {
            let line = lines.next().expect("an address line").expect("utf-8");
            if let Some(address) = line.strip_prefix("impact-ledger listening on ") {
                break address.to_owned();
            }
        };
        Server { child, base }
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.expect("kill runs").success());
        assert!(self.child.wait().expect("the server exits").success());
    }

    /// GET without a body, POST with one.
    fn call(&self, path: &str, token: &str, body: Option<Value>) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let authorization = format!("Bearer {token}");
        let response = match body {
            None => ureq::get(&url)
                .header("Authorization", &authorization)
                .config()
                .http_status_as_error(false)
                .build()
                .call(),
            Some(body) => ureq::post(&url)
                .header("Authorization", &authorization)
                .config()
                .http_status_as_error(false)
                .build()
                .send_json(body),
        }
        .expect("the server answers");
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().expect("a body");
        (status, text)
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let (status, text) = self.call(path, token, None);
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    fn text(&self, path: &str, token: &str) -> String {
        let (status, text) = self.call(path, token, None);
        assert_eq!(status, 200, "GET {path}: {text}");
        text
    }

    fn append(&self, token: &str, events: Value) -> Value {
        let (status, text) = self.call("/api/v1/events", token, Some(json!({ "events": events })));
        assert_eq!(status, 201, "{text}");
        serde_json::from_str(&text).expect("JSON")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(data: &Path, role: &str, name: &str) -> String {
    let output = Command::new(BINARY)
        .args(["token", "new", "--role", role, "--name", name, "--data"])
        .arg(data)
        .output()
        .expect("token new runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// Every file under `dir` that contains `needle` (its UTF-8 bytes, in upper, lower or given
/// case, or as UTF-16), as `grep -r` would find it.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let forms: Vec<Vec<u8>> = [
        needle.to_owned(),
        needle.to_uppercase(),
        needle.to_lowercase(),
    ]
    .into_iter()
    .flat_map(|form| {
        let utf16: Vec<u8> = form.encode_utf16().flat_map(u16::to_le_bytes).collect();
        [form.into_bytes(), utf16]
    })
    .collect();
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("a readable dir") {
                pending.push(entry.expect("an entry").path());
            }
            continue;
        }
        let bytes = std::fs::read(&path).expect("a readable file");
        let hit = forms.iter().any(|form| {
            bytes
                .windows(form.len())
                .any(|window| window == form.as_slice())
        });
        if hit {
            found.push(path.display().to_string());
        }
    }
    found
}

fn verify_with_python(export: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("ops/verify_export.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(export)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "verify_export.py: {text}");
    text
}

fn verify_with_binary(args: &[&str], path: &Path) {
    let output = Command::new(BINARY)
        .arg("verify")
        .args(args)
        .arg(path)
        .output()
        .expect("verify runs");
    assert!(
        output.status.success(),
        "impact-ledger verify: {} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn enterprise_id(number: u32) -> String {
    format!("00000000-0000-4000-8000-{number:012}")
}

fn seed_events() -> Value {
    json!([
        {"type": "EnterpriseRegistered", "occurred_on": "2023-01-10",
         "data": {"enterprise_id": enterprise_id(1), "name": CONTROL, "kind": "enterprise"}},
        {"id": ERASED,
         "type": "PersonPlacedInEmployment", "occurred_on": "2023-02-01", "note": NOTE,
         "case_ref": CASE,
         "data": {"placement_id": enterprise_id(2), "person_ref": PERSON,
                  "employment_type": "flexjob", "enterprise_id": enterprise_id(1)}},
        {"type": "PersonPlacedInEmployment", "occurred_on": "2023-03-01",
         "data": {"placement_id": enterprise_id(3), "person_ref": PERSON,
                  "employment_type": "ordinary"}},
    ])
}

/// What must not change: the figures of 2023, now and at position 3.
fn figures(server: &Server, token: &str) -> Vec<Value> {
    [
        "/api/v1/status/2023",
        "/api/v1/status/2023?at_position=3",
        "/api/v1/history?from=2022&to=2023",
    ]
    .into_iter()
    .map(|path| {
        let mut answer = server.get(path, token);
        answer
            .as_object_mut()
            .map(|object| object.remove("as_of_position"));
        answer
    })
    .collect()
}

/// The placement whose note, person_ref and case_ref are erased.
const ERASED: &str = "11111111-1111-4111-8111-111111111111";

/// A running server on a new data dir holding `seed_events()`, with a staff and an admin token.
fn seeded() -> (tempfile::TempDir, String, String, Server) {
    let data = tempfile::tempdir().expect("a temp dir");
    let staff = token(data.path(), "staff", "anna");
    let admin = token(data.path(), "admin", "ib");
    let server = Server::start(data.path());
    server.append(&staff, seed_events());
    (data, staff, admin, server)
}

#[test]
fn an_erased_value_is_gone_from_every_file_and_every_answer() {
    let (data, staff, admin, server) = seeded();
    let id = ERASED;
    let before = server.get(&format!("/api/v1/events/{id}"), &staff);
    assert_eq!(
        before["note"], NOTE,
        "the value is readable before: {before}"
    );
    assert_eq!(before["data"]["person_ref"], PERSON);
    let figures_before = figures(&server, &staff);
    assert_eq!(
        figures_before[0]["people_employed"], 1,
        "one person: {}",
        figures_before[0]
    );
    // Sealed members are encrypted from the start; the clear control name proves the search.
    assert!(
        !files_containing(data.path(), CONTROL).is_empty(),
        "the search finds clear text"
    );
    for value in [NOTE, PERSON, CASE] {
        assert_eq!(
            files_containing(data.path(), value),
            Vec::<String>::new(),
            "{value}"
        );
    }
    let export_before = data.path().join("../export-before.ndjson");
    std::fs::write(&export_before, server.text("/api/v1/export", &admin)).expect("written");

    let erasure = json!({"event_id": id, "members": ["note", "data.person_ref", "case_ref"],
                         "reason": "written into the wrong case"});
    let (status, text) = server.call("/api/v1/erasures", &admin, Some(erasure));
    assert_eq!(status, 201, "{text}");
    let receipt: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(receipt["position"], 4, "{receipt}");

    let after = server.get(&format!("/api/v1/events/{id}"), &staff);
    assert_eq!(after["hash"], before["hash"], "the hash is unchanged");
    let said = erasure_headers(&server, id, &staff);
    assert_eq!(
        said,
        [
            ("erased-by-position", "4".to_owned()),
            ("erased-by-actor", "UTF-8''ib".to_owned()),
            (
                "erased-members",
                "case_ref, note, data.person_ref".to_owned()
            ),
            (
                "erasure-reason",
                "UTF-8''written%20into%20the%20wrong%20case".to_owned()
            ),
        ],
        "who, which members and why, beside the event"
    );
    assert_eq!(after["note"], Value::Null);
    assert_eq!(after["data"]["person_ref"], Value::Null);
    assert_eq!(after["sealed"]["note"]["salt"], Value::Null, "{after}");
    assert_eq!(
        figures(&server, &staff),
        figures_before,
        "every figure is unchanged"
    );
    let export_after = data.path().join("../export-after.ndjson");
    let export = server.text("/api/v1/export", &admin);
    std::fs::write(&export_after, &export).expect("written");
    let answers = [
        export,
        server.text("/api/v1/events?after=0", &staff),
        server.text(
            &format!("/api/v1/streams/placement-{}", enterprise_id(2)),
            &staff,
        ),
        server.text("/api/v1/placements?year=2023", &staff),
        server.text("/api/v1/reports/annual/2023?format=json", &staff),
    ];
    for answer in &answers {
        for value in [NOTE, PERSON, CASE] {
            let erased_only = value != PERSON || !answer.contains("employment_type\":\"ordinary");
            // The second placement names the same person and was not erased.
            if erased_only {
                assert!(!answer.contains(value), "{value} in {answer}");
            }
        }
    }
    assert!(verify_with_python(&export_after).contains("events: 4"));
    assert!(verify_with_python(&export_before).contains("events: 3"));
    verify_with_binary(&["--export"], &export_after);
    for value in [NOTE, PERSON, CASE] {
        assert_eq!(
            files_containing(data.path(), value),
            Vec::<String>::new(),
            "{value}"
        );
    }

    // Thousands of appends make sled write new segments and rewrite old ones; then restart.
    for batch in 0..4u32 {
        let events: Vec<Value> = (0..500u32)
            .map(|index| {
                json!({"type": "EnterpriseRegistered", "occurred_on": "2023-05-01",
                       "note": format!("fyld {batch}-{index}"),
                       "data": {"enterprise_id": enterprise_id(1000 + batch * 500 + index),
                                "name": format!("Fyld {batch}-{index}"), "kind": "initiative"}})
            })
            .collect();
        server.append(&staff, Value::Array(events));
    }
    server.stop();
    verify_with_binary(&["--data"], data.path());
    let server = Server::start(data.path());
    let restarted = server.get(&format!("/api/v1/events/{id}"), &staff);
    assert_eq!(
        restarted["note"],
        Value::Null,
        "still erased after a restart"
    );
    assert_eq!(server.get("/api/v1/status/2023?at_position=3", &staff), {
        let mut past = figures_before[1].clone();
        past["as_of_position"] = json!(3);
        past
    });
    let people = server.get("/api/v1/status/2023", &staff)["people_employed"].clone();
    assert_eq!(
        people, 1,
        "the erased person still counts once, as the same person"
    );
    server.stop();
    for value in [NOTE, PERSON, CASE] {
        assert_eq!(
            files_containing(data.path(), value),
            Vec::<String>::new(),
            "{value}"
        );
    }
}

#[test]
fn an_erasure_is_refused_in_plain_words() {
    let (_data, staff, admin, server) = seeded();
    let id = ERASED;
    let erase = |token: &str, body: Value| server.call("/api/v1/erasures", token, Some(body));
    let body = |members: Value| json!({"event_id": id, "members": members, "reason": "fejl"});
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (&staff, body(json!(["note"])), 403, ""),
        (
            &admin,
            json!({"event_id": enterprise_id(99), "members": ["note"], "reason": "x"}),
            404,
            "no event",
        ),
        (
            &admin,
            body(json!(["data.employment_type"])),
            422,
            "cannot be erased",
        ),
        (&admin, body(json!([])), 422, "at least one member"),
        (
            &admin,
            json!({"event_id": id, "members": ["note"], "reason": " "}),
            422,
            "reason",
        ),
        (&admin, body(json!(["note"])), 201, ""),
        (&admin, body(json!(["note"])), 409, "already erased"),
        (
            &admin,
            json!({"event_id": id, "members": ["note"]}),
            422,
            "reason is missing",
        ),
        (
            &admin,
            json!({"event_id": "nr 7", "members": "note", "reason": "x", "who": "me"}),
            422,
            "there is no member who",
        ),
    ];
    for (token, request, status, words) in cases {
        let (got, text) = erase(token, request.clone());
        assert_eq!(got, status, "{request}: {text}");
        assert!(text.contains(words), "{request}: {text}");
    }
    // The control enterprise has no note: nothing to erase.
    let first = server.get("/api/v1/events?after=0&limit=1", &staff)["events"][0]["id"].clone();
    let (got, text) = erase(
        &admin,
        json!({"event_id": first, "members": ["note"], "reason": "x"}),
    );
    assert_eq!(got, 409, "{text}");
    assert!(text.contains("holds no value"), "{text}");
    server.stop();
}

/// The `Erased-*` headers of `GET /events/{id}` that do not vary with the clock or ids.
fn erasure_headers(server: &Server, id: &str, token: &str) -> Vec<(&'static str, String)> {
    let response = ureq::get(&format!("{}/api/v1/events/{id}", server.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("the event");
    let headers = response.headers();
    assert!(headers.contains_key("erased-by"), "{headers:?}");
    assert!(headers.contains_key("erased-at"), "{headers:?}");
    [
        "erased-by-position",
        "erased-by-actor",
        "erased-members",
        "erasure-reason",
    ]
    .into_iter()
    .map(|name| {
        let value = headers
            .get(name)
            .map(|value| value.to_str().expect("ASCII"));
        (name, value.unwrap_or("absent").to_owned())
    })
    .collect()
}

/// POSTs one erasure, the answer's status, or `None` when the server was killed under it.
fn erase_quietly(base: &str, admin: &str, id: &str) -> Option<u16> {
    let body = json!({"event_id": id, "members": ["note"], "reason": "crash test"});
    ureq::post(&format!("{base}/api/v1/erasures"))
        .header("Authorization", &format!("Bearer {admin}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(body)
        .ok()
        .map(|response| response.status().as_u16())
}

/// Eight placements with a note each, ids unique to `cycle`.
fn noted_placements(cycle: u32) -> (Vec<String>, Value) {
    let ids: Vec<String> = (0..8)
        .map(|n| format!("22222222-2222-4222-8222-{:012}", cycle * 100 + n))
        .collect();
    let events = ids
        .iter()
        .map(|id| {
            json!({"id": id, "type": "PersonPlacedInEmployment", "occurred_on": "2023-04-01",
                   "note": format!("Notat {id}"),
                   "data": {"placement_id": id, "person_ref": format!("P-{id}"),
                            "employment_type": "ordinary"}})
        })
        .collect();
    (ids, Value::Array(events))
}

/// After a restart: each note is readable with no erasure recorded, or gone with its erasure
/// recorded; never a key gone without its erasure. The chain verifies. Returns the erased count.
fn erased_or_not(server: &Server, (staff, admin): (&str, &str), ids: &[String]) -> usize {
    let page = server.get("/api/v1/events?after=0&limit=1000", staff);
    let events = page["events"].as_array().expect("a page of events");
    let recorded: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|event| event["type"] == "MembersErased")
        .filter_map(|event| event["data"]["event_id"].as_str())
        .collect();
    for id in ids {
        let event = server.get(&format!("/api/v1/events/{id}"), staff);
        let readable = event["note"] == format!("Notat {id}");
        assert!(
            readable != recorded.contains(id.as_str()),
            "{id}: note readable {readable}, erasure recorded {}: {event}",
            recorded.contains(id.as_str())
        );
    }
    let verify = server.get("/api/v1/verify", admin);
    assert_eq!(verify["ok"], true, "{verify}");
    ids.iter()
        .filter(|id| recorded.contains(id.as_str()))
        .count()
}

/// The kill -9 test of CONTRACT §12: erasures run while the real binary is killed with SIGKILL
/// at a varying moment, four cycles (a few seconds in all).
#[test]
fn a_kill_during_erasures_leaves_each_erased_or_not() {
    let (data, staff, admin, mut server) = seeded();
    let mut erased = 0;
    for cycle in 0..4 {
        let (ids, events) = noted_placements(cycle);
        server.append(&staff, events);
        let (base, token, to_erase) = (server.base.clone(), admin.clone(), ids.clone());
        let eraser = std::thread::spawn(move || {
            for id in &to_erase {
                if erase_quietly(&base, &token, id).is_none() {
                    break;
                }
            }
        });
        // A varying moment: the clock's nanoseconds pick 0-39 ms into the erasures.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .subsec_nanos();
        std::thread::sleep(std::time::Duration::from_millis(u64::from(nanos % 40)));
        server.child.kill().expect("SIGKILL sent");
        server.child.wait().expect("the server is gone");
        eraser.join().expect("the eraser ends");
        server = Server::start(data.path());
        erased += erased_or_not(&server, (&staff, &admin), &ids);
        eprintln!("cycle {cycle}: {erased} notes erased so far");
    }
    assert!(erased > 0, "the erasures ran before the kills");
    server.stop();
}
