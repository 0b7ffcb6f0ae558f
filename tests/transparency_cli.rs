//! Proves the transparency audit trail with the real binary and the independent script:
//! `report` offline and `serve` give the same signed checkpoint for the same position;
//! `verify --checkpoint` accepts it against the data dir, an export and the running server,
//! and refuses, in words, a checkpoint signed by another key, a log whose history changed, a
//! size beyond the head and a tampered note; `ops/verify_proofs.py` (standard library plus
//! `cryptography`) checks the signatures, the consistency of 2024's report with 2023's and an
//! inclusion proof against the running server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/verify_proofs.py");

fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeds(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `args`, which must fail (exit 1) saying `words`.
fn refuses(args: &[&str], words: &str) {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?}: {}",
        stdout(&output)
    );
    let said = stderr(&output);
    assert!(
        said.contains(words),
        "{args:?} said `{said}`, not `{words}`"
    );
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// A data dir with the demo data set, and an export of it.
fn demo_ledger(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let data = dir.join(name);
    succeeds(&["demo", "--data", path(&data)]);
    let export = dir.join(format!("{name}.ndjson"));
    let lines = succeeds(&["export", "--data", path(&data)]);
    std::fs::write(&export, lines).expect("the export is written");
    (data, export)
}

/// A ledger whose history differs from `export`'s at its first event: the note changed and
/// every hash after it sealed again (the chain is whole, the history is not the same), imported
/// into a new data dir.
fn rewritten_ledger(dir: &Path, export: &Path, name: &str) -> (PathBuf, PathBuf) {
    const RESEAL: &str = r#"
import hashlib, json, sys
previous = "0" * 64
with open(sys.argv[1], encoding="utf-8") as source, open(sys.argv[2], "w", encoding="utf-8") as out:
    for number, line in enumerate(source):
        event = json.loads(line)
        if number == 0:
            event["note"] = "another history"
        event["prev_hash"] = previous
        del event["hash"]
        hashed = json.loads(json.dumps(event))
        for member, entry in hashed.get("sealed", {}).items():
            *outer, name = member.split(".")
            holder = hashed[outer[0]] if outer else hashed
            holder[name] = None
            del entry["salt"]
        canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event["hash"] = previous = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        out.write(json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
"#;
    let rewritten = dir.join(format!("{name}.ndjson"));
    let output = Command::new("python3")
        .args(["-c", RESEAL, path(export), path(&rewritten)])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.join(name);
    // The export's pseudonyms were made with its data dir's pepper (CONTRACT §12).
    std::fs::create_dir_all(data.join("keys")).expect("created");
    let pepper = export.with_extension("").join("keys/pepper");
    std::fs::copy(pepper, data.join("keys/pepper")).expect("the pepper is copied");
    succeeds(&["import", path(&rewritten), "--data", path(&data)]);
    // Its key is made on first use: a report signs its checkpoint.
    succeeds(&["report", "--year", "2023", "--data", path(&data)]);
    (data, rewritten)
}

/// The checkpoint of the offline report of `year` at `position`, written to `file`.
fn report_checkpoint(data: &Path, year: &str, position: u64, file: &Path) -> String {
    let position = position.to_string();
    let report = succeeds(&[
        "report",
        "--year",
        year,
        "--at-position",
        &position,
        "--data",
        path(data),
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).expect("a JSON report");
    let note = report["checkpoint"]
        .as_str()
        .expect("a checkpoint")
        .to_owned();
    std::fs::write(file, &note).expect("the checkpoint is written");
    note
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data", path(data)])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = loop {
            let line = lines.next().expect("the address line").expect("UTF-8");
            if let Some(base) = line.strip_prefix("impact-ledger listening on ") {
                break base.to_owned();
            }
        };
        Server { child, base }
    }

    fn get(&self, path: &str) -> String {
        ureq::get(format!("{}{path}", self.base))
            .call()
            .expect("the server answers")
            .body_mut()
            .read_to_string()
            .expect("a text body")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python(args: &[&str]) -> Output {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .expect("python3 is installed");
    assert!(
        probe.status.success(),
        "ops/verify_proofs.py needs the `cryptography` package: pip install cryptography"
    );
    Command::new("python3")
        .arg(SCRIPT)
        .args(args)
        .output()
        .expect("the script runs")
}

#[test]
fn checkpoints_verify_offline_online_and_with_the_script_and_forgeries_are_refused() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let dir = scratch.path();
    let (data, export) = demo_ledger(dir, "ledger");
    let head = std::fs::read_to_string(&export)
        .expect("export")
        .lines()
        .count() as u64;
    let (old, new) = (dir.join("2023.txt"), dir.join("2024.txt"));
    let old_note = report_checkpoint(&data, "2023", head / 2, &old);
    report_checkpoint(&data, "2024", head, &new);

    let verified = succeeds(&["verify", "--checkpoint", path(&old), "--data", path(&data)]);
    assert!(
        verified.contains(&format!("checkpoint of {} events verified", head / 2)),
        "{verified}"
    );
    refuses(
        &[
            "verify",
            "--checkpoint",
            path(&old),
            "--export",
            path(&export),
        ],
        "--key",
    );

    let server = Server::start(&data);
    let key = server.get("/api/v1/checkpoint/key");
    let served = server.get(&format!("/api/v1/checkpoint?tree_size={}", head / 2));
    assert_eq!(
        served, old_note,
        "the server signs what the offline report signed"
    );
    let key = key.trim();
    let online = succeeds(&[
        "verify",
        "--checkpoint",
        path(&old),
        "--against",
        &server.base,
        "--key",
        key,
    ]);
    assert!(online.contains("extends it"), "{online}");
    succeeds(&[
        "verify",
        "--checkpoint",
        path(&old),
        "--export",
        path(&export),
        "--key",
        key,
    ]);

    let third = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .nth(2)
        .unwrap()
        .to_owned();
    let third: serde_json::Value = serde_json::from_str(&third).unwrap();
    let checked = python(&[
        "--key",
        key,
        "--checkpoint",
        path(&old),
        "--new",
        path(&new),
        "--url",
        &server.base,
        "--position",
        "3",
        "--event-hash",
        third["hash"].as_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert!(
        checked.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        said.contains("consistent") && said.contains("included"),
        "{said}"
    );

    let tampered = dir.join("tampered.txt");
    let size_line = format!("\n{}\n", head / 2);
    let forged = old_note.replacen(&size_line, &format!("\n{}\n", head / 2 - 1), 1);
    assert_ne!(forged, old_note);
    std::fs::write(&tampered, forged).unwrap();
    let checked = python(&["--key", key, "--checkpoint", path(&tampered)]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&checked.stdout).contains("changed after signing"));
    drop(server);

    refuses(
        &[
            "verify",
            "--checkpoint",
            path(&tampered),
            "--data",
            path(&data),
        ],
        "changed after signing",
    );
    // Another ledger: the demo's history with its first event's note changed and the chain
    // sealed again from there, imported into a data dir of its own (so under another key).
    let (other, other_export) = rewritten_ledger(dir, &export, "other");
    refuses(
        &["verify", "--checkpoint", path(&old), "--data", path(&other)],
        "signed by another key",
    );
    refuses(
        &[
            "verify",
            "--checkpoint",
            path(&old),
            "--export",
            path(&other_export),
            "--key",
            key,
        ],
        "the history behind the checkpoint was changed",
    );
    let short = dir.join("short.ndjson");
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .take((head / 2 - 1) as usize)
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&short, lines.concat()).unwrap();
    refuses(
        &[
            "verify",
            "--checkpoint",
            path(&old),
            "--export",
            path(&short),
            "--key",
            key,
        ],
        &format!("the log has only {}", head / 2 - 1),
    );
}
