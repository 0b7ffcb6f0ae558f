//! Proves that nothing acknowledged is lost when the server is killed with SIGKILL: 16 writers
//! append through the real binary, the parent kills it at a random moment, restarts it, and
//! checks that every acknowledged event is at its position with its hash, that no id appears
//! twice, that the chain verifies, and that retrying an acknowledged request is idempotent.
//!
//! Harness-less, in the style of sled's `tests/test_crash_recovery.rs`. Cycles: 5 by default,
//! `IMPACT_CRASH_CYCLES=100` for a long run; `IMPACT_CRASH_SEED` replays a run.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use impact_events::{StoredEvent, Verifier};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const WRITERS: usize = 16;

/// One acknowledged request: what was sent and what the server answered.
#[derive(Clone)]
struct Acknowledged {
    body: serde_json::Value,
    id: String,
    position: u64,
    hash: String,
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// The caller kills and waits for the child; clippy cannot see past the return.
#[allow(clippy::zombie_processes)]
fn start(data: &Path) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .expect("utf-8");
        if let Some(base) = line.strip_prefix("impact-ledger listening on ") {
            return (child, base.to_owned());
        }
    }
}

fn token(data: &Path) -> String {
    let output = Command::new(BINARY)
        .args([
            "token", "new", "--role", "admin", "--name", "crash", "--data",
        ])
        .arg(data)
        .output()
        .expect("token new runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

fn post(
    base: &str,
    token: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), String> {
    let response = ureq::post(&format!("{base}/api/v1/events"))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .send_json(body)
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .read_json()
        .map_err(|error| error.to_string())?;
    Ok((status, body))
}

/// One writer: appends placements until told to stop or the server dies.
fn write_until_killed(
    base: String,
    token: String,
    seed: u64,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Acknowledged>>>,
) {
    let mut random = Random(seed | 1);
    while !stop.load(Ordering::Relaxed) {
        // Fresh ids each time: the kill times come from the seed, the ids must never repeat.
        let id = uuid::Uuid::new_v4().to_string();
        let body = serde_json::json!({"events": [{
            "id": id,
            "type": "PersonPlacedInEmployment",
            "occurred_on": "2023-06-01",
            "data": {"placement_id": uuid::Uuid::new_v4(), "person_ref": format!("P-{}", random.next() % 500),
                     "employment_type": "ordinary"}
        }]});
        match post(&base, &token, &body) {
            Ok((201, answer)) => {
                let receipt = &answer["events"][0];
                log.lock().expect("log lock").push(Acknowledged {
                    body,
                    id,
                    position: receipt["position"].as_u64().expect("a position"),
                    hash: receipt["hash"].as_str().expect("a hash").to_owned(),
                });
            }
            Ok((status, answer)) => panic!("an append answered {status}: {answer}"),
            Err(_) => return, // the server was killed mid-request: not acknowledged
        }
    }
}

/// Every event of the log, read over HTTP.
fn read_log(base: &str, token: &str) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let mut response = ureq::get(&format!("{base}/api/v1/events?after={after}&limit=1000"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("a page");
        let page: serde_json::Value = response.body_mut().read_json().expect("JSON");
        events.extend(page["events"].as_array().expect("events").iter().cloned());
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => return events,
        }
    }
}

fn check(base: &str, token: &str, acknowledged: &[Acknowledged], cycle: usize) {
    let events = read_log(base, token);
    let mut verifier = Verifier::default();
    let mut ids = HashSet::new();
    for value in &events {
        let event = StoredEvent::from_json(value.clone()).expect("a stored event reads back");
        verifier.check(&event).unwrap_or_else(|error| {
            panic!("cycle {cycle}: chain breaks at {}: {error}", event.position)
        });
        assert!(
            ids.insert(event.id),
            "cycle {cycle}: id {} appears twice",
            event.id
        );
    }
    for ack in acknowledged {
        let stored = events.get(ack.position as usize - 1).unwrap_or_else(|| {
            panic!(
                "cycle {cycle}: acknowledged position {} is missing (log has {})",
                ack.position,
                events.len()
            )
        });
        assert_eq!(
            stored["id"],
            ack.id.as_str(),
            "cycle {cycle}: position {}",
            ack.position
        );
        assert_eq!(
            stored["hash"],
            ack.hash.as_str(),
            "cycle {cycle}: position {}",
            ack.position
        );
    }
    if let Some(ack) = acknowledged.last() {
        let (status, answer) = post(base, token, &ack.body).expect("a retry answers");
        assert_eq!(
            status, 200,
            "cycle {cycle}: a retry of an acknowledged request: {answer}"
        );
        assert_eq!(answer["events"][0]["position"], ack.position);
        assert_eq!(answer["events"][0]["hash"], ack.hash.as_str());
    }
}

fn main() {
    let cycles: usize = std::env::var("IMPACT_CRASH_CYCLES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("IMPACT_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_nanos() as u64
                | 1
        });
    println!("crash test: {cycles} cycles, seed {seed} (IMPACT_CRASH_SEED={seed} replays the kill times)");
    let mut random = Random(seed);
    let data = tempfile::tempdir().expect("a temp dir");
    let token = token(data.path());
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    for cycle in 1..=cycles {
        let (mut child, base) = start(data.path());
        check(
            &base,
            &token,
            &acknowledged.lock().expect("log lock"),
            cycle,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (base, token, stop, log) = (
                    base.clone(),
                    token.clone(),
                    stop.clone(),
                    acknowledged.clone(),
                );
                let seed = random.next() ^ writer as u64;
                thread::spawn(move || write_until_killed(base, token, seed, stop, log))
            })
            .collect();
        thread::sleep(Duration::from_millis(50 + random.next() % 400));
        child.kill().expect("SIGKILL");
        child.wait().expect("the server is gone");
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.join().expect("a writer thread ends cleanly");
        }
        let count = acknowledged.lock().expect("log lock").len();
        println!("cycle {cycle}: killed with {count} acknowledged events so far");
    }
    let (mut child, base) = start(data.path());
    let acknowledged = acknowledged.lock().expect("log lock").clone();
    check(&base, &token, &acknowledged, cycles + 1);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(
        !acknowledged.is_empty(),
        "the writers got no append acknowledged at all"
    );
    println!(
        "crash test: {cycles} cycles, {} acknowledged events all present, chain verified, in {:.1} s",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
    println!("1 passed, 0 failed");
}
