//! Proves the runbook's backup and restore steps (ops/README.md) work as written: it runs the real
//! `ops/backup.sh` and `ops/restore.sh` with bash, without systemd, against the real binary
//! serving a demo data dir on a free port, and checks every file they leave against
//! `GET /api/v1/export`, the offline `export`, the verifiers and a restart. It also checks that a
//! tampered export, or a service still running, is refused with the data dir left untouched.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");
const BACKUP_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/backup.sh");
const RESTORE_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/restore.sh");
const VERIFY_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/verify_export.py");

/// Longest any one command may take before the test kills it and fails.
const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

/// A running `impact-ledger serve`; killed on drop, so a failing assertion leaves no process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `serve` on port 0, reads the address line, then polls /healthz until it answers.
    fn start(data: &Path) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        // From here on, a panic drops the guard and kills the child.
        let mut server = Server {
            child,
            base: String::new(),
        };
        let mut lines = BufReader::new(stdout).lines();
        server.base = loop {
            let line = lines
                .next()
                .expect("the server prints its address")
                .expect("utf-8");
            assert!(
                !line.starts_with("admin token: "),
                "tokens existed, so no admin token may be made"
            );
            if let Some(address) = line.strip_prefix("impact-ledger listening on ") {
                break address.to_owned();
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = ureq::get(&format!("{}/healthz", server.base)).call();
            if matches!(&answer, Ok(response) if response.status() == 200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "/healthz did not answer 200 within 10 s: {answer:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// SIGTERM, as systemd stops it, and a clean exit within the deadline.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = wait_until(&mut self.child, Duration::from_secs(30), "serve");
        assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child with a deadline; kills it and panics past the deadline.
fn wait_until(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a command did.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn assert_ok(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs a command with no stdin, its output in files under `scratch` (no pipe a stuck process
/// could hold open), bounded by COMMAND_DEADLINE.
fn run(mut command: Command, scratch: &Path, what: &str) -> Ran {
    let out_path = scratch.join("command.stdout");
    let err_path = scratch.join("command.stderr");
    let out = fs::File::create(&out_path).expect("stdout file");
    let err = fs::File::create(&err_path).expect("stderr file");
    // Only what the test passes: the scripts' own environment variables must not leak in.
    for name in [
        "IMPACT_LEDGER_URL",
        "IMPACT_LEDGER_TOKEN_FILE",
        "IMPACT_LEDGER_BACKUP_DIR",
        "IMPACT_LEDGER_RETENTION_DAYS",
        "IMPACT_LEDGER_BIN",
        "IMPACT_LEDGER_VERIFY_PY",
        "IMPACT_LEDGER_DATA",
        "CREDENTIALS_DIRECTORY",
    ] {
        command.env_remove(name);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|error| panic!("{what} starts: {error}"));
    let status = wait_until(&mut child, COMMAND_DEADLINE, what);
    Ran {
        status,
        stdout: fs::read_to_string(&out_path).expect("stdout"),
        stderr: fs::read_to_string(&err_path).expect("stderr"),
    }
}

fn binary(args: &[&str], data: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).arg("--data").arg(data);
    command
}

/// `bash ops/backup.sh` as the timer's unit runs it, with a file instead of the credential.
fn backup(scratch: &Path, base: &str, token_file: &Path, dir: &Path) -> Ran {
    let mut command = Command::new("bash");
    command
        .arg(BACKUP_SH)
        .args(["--url", base, "--token-file"])
        .arg(token_file)
        .arg("--dir")
        .arg(dir)
        .args(["--bin", BINARY, "--verify-py", VERIFY_PY]);
    run(command, scratch, "backup.sh")
}

/// `bash ops/restore.sh` without systemd: the test stops and starts the service itself.
fn restore(scratch: &Path, data: &Path, export: &Path) -> Ran {
    let mut command = Command::new("bash");
    command
        .arg(RESTORE_SH)
        .args(["--no-systemd", "--no-start", "--yes", "--data"])
        .arg(data)
        .args(["--bin", BINARY, "--verify-py", VERIFY_PY])
        .arg(export);
    run(command, scratch, "restore.sh")
}

fn token_new(scratch: &Path, data: &Path, role: &str, name: &str) -> String {
    let ran = run(
        binary(&["token", "new", "--role", role, "--name", name], data),
        scratch,
        "token new",
    );
    ran.assert_ok("token new");
    let secret = ran.stdout.trim().to_owned();
    assert!(secret.starts_with("il_"), "secret: {secret}");
    secret
}

/// GET /api/v1/export: the body's bytes and the head position and hash headers.
fn api_export(base: &str, token: &str) -> (Vec<u8>, u64, String) {
    let mut response = ureq::get(&format!("{base}/api/v1/export"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("GET /api/v1/export answers 200");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("the export names {name}"))
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let position = header("x-ledger-head-position").parse().expect("a number");
    let hash = header("x-ledger-head-hash");
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .expect("the whole export");
    (body, position, hash)
}

fn get_json(base: &str, path: &str, token: &str) -> serde_json::Value {
    let mut response = ureq::get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    response.body_mut().read_json().expect("a JSON body")
}

/// The offline `impact-ledger export --data` (the service must be stopped).
fn offline_export(scratch: &Path, data: &Path) -> Vec<u8> {
    let ran = run(binary(&["export"], data), scratch, "export --data");
    ran.assert_ok("export --data");
    fs::read(scratch.join("command.stdout")).expect("the export's bytes")
}

/// The dated backups in `dir`, oldest first (their names sort by time).
fn dated_backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the backup dir")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("impact-ledger-") && name.ends_with(".ndjson")
        })
        .collect();
    found.sort();
    found
}

/// Entries next to the data dir whose names start with `prefix` (`data.before-restore-` ...).
fn siblings(data: &Path, prefix: &str) -> Vec<PathBuf> {
    let parent = data.parent().expect("a parent");
    let mut found: Vec<PathBuf> = fs::read_dir(parent)
        .expect("the parent dir")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|name| name.starts_with(prefix))
        })
        .collect();
    found.sort();
    found
}

/// Every file and directory under `root`: relative path -> (mode, content; None for a dir).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, Option<Vec<u8>>)> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, (u32, Option<Vec<u8>>)>) {
        for entry in fs::read_dir(dir).expect("readable") {
            let path = entry.expect("an entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let relative = path.strip_prefix(root).expect("under root").to_owned();
            let mode = meta.permissions().mode();
            if meta.is_dir() {
                into.insert(relative, (mode, None));
                walk(root, &path, into);
            } else {
                into.insert(relative, (mode, Some(fs::read(&path).expect("readable"))));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The last line's `hash`: the head hash of an export.
fn last_hash(export: &[u8]) -> String {
    let text = std::str::from_utf8(export).expect("utf-8");
    let last = text.lines().last().expect("at least one line");
    let event: serde_json::Value = serde_json::from_str(last).expect("JSON");
    event["hash"].as_str().expect("a hash").to_owned()
}

#[test]
fn the_runbooks_backup_and_restore_run_as_written() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let scratch = tmp.path().join("scratch");
    fs::create_dir(&scratch).expect("scratch");
    let data = tmp.path().join("data");
    let backups = tmp.path().join("backups");

    // 1. A data dir with the demo, the backup's auditor token in a 0600 file, a staff token.
    let ran = run(binary(&["demo"], &data), &scratch, "demo");
    ran.assert_ok("demo");
    // "log head: position N, hash H"
    let demo_head = ran
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("log head: position "))
        .map(|rest| rest.replacen(", hash ", " ", 1))
        .expect("demo prints its head");
    let auditor = token_new(&scratch, &data, "auditor", "backup");
    let staff = token_new(&scratch, &data, "staff", "anna");
    let token_file = tmp.path().join("backup.token");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&token_file)
        .and_then(|mut file| writeln!(file, "{auditor}"))
        .expect("the token file");
    let server = Server::start(&data);

    // 2. The first backup: a dated file equal to the API's export, with its checks beside it.
    let ran = backup(&scratch, &server.base, &token_file, &backups);
    ran.assert_ok("the first backup");
    let after_first = epoch_seconds();
    let found = dated_backups(&backups);
    assert_eq!(found.len(), 1, "one dated backup: {found:?}");
    let first = found[0].clone();
    let first_name = first.file_name().unwrap().to_str().unwrap().to_owned();
    let first_bytes = fs::read(&first).expect("the backup");
    let (exported, head_position, head_hash) = api_export(&server.base, &auditor);
    assert!(
        first_bytes == exported,
        "the backup equals GET /api/v1/export byte for byte"
    );
    assert_eq!(
        format!("{head_position} {head_hash}"),
        demo_head,
        "the backup ends where the demo left the log"
    );
    assert_eq!(lines(&first_bytes) as u64, head_position);
    assert_eq!(last_hash(&first_bytes), head_hash);
    assert!(
        ran.stdout.contains(&format!(
            "backup ok: {} events={head_position} bytes={} head_hash={head_hash}",
            first.display(),
            first_bytes.len()
        )),
        "the last line says what was kept:\n{}",
        ran.stdout
    );
    let verify_file = fs::read_to_string(backups.join(format!("{first_name}.verify"))).unwrap();
    assert_eq!(
        verify_file.matches("ok: true").count(),
        2,
        "both verifiers said ok:\n{verify_file}"
    );
    assert!(verify_file.contains(&format!("x-ledger-head-hash: {head_hash}")));
    assert_eq!(
        fs::read_link(backups.join("latest.ndjson")).unwrap(),
        PathBuf::from(&first_name)
    );
    assert!(
        !fs::read_dir(&backups).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".partial")),
        "no partial file is left"
    );
    // The runbook's "check each backup" commands, as an auditor runs them.
    let mut sha = Command::new("sha256sum");
    sha.current_dir(&backups)
        .args(["-c", &format!("{first_name}.sha256")]);
    run(sha, &scratch, "sha256sum -c").assert_ok("sha256sum -c");
    let mut verify = Command::new(BINARY);
    verify.args(["verify", "--export"]).arg(&first);
    let ran = run(verify, &scratch, "verify --export");
    ran.assert_ok("verify --export");
    assert!(ran.stdout.contains("ok: true"), "{}", ran.stdout);
    assert!(ran.stdout.contains(&format!("head_hash: {head_hash}")));
    let mut python = Command::new("python3");
    python.arg(VERIFY_PY).arg(&first);
    let ran = run(python, &scratch, "verify_export.py");
    ran.assert_ok("verify_export.py");
    assert!(ran.stdout.contains(&format!("head_hash: {head_hash}")));

    // One more event, then the second backup: the first must be its prefix, one line shorter.
    let response = ureq::post(&format!("{}/api/v1/events", server.base))
        .header("Authorization", &format!("Bearer {staff}"))
        .send_json(serde_json::json!({"events": [{
            "type": "EnterpriseRegistered", "occurred_on": "2024-03-01",
            "data": {"enterprise_id": "77777777-7777-4777-8777-777777777777",
                     "name": "Backup Test ApS", "kind": "enterprise", "sdgs": [8]}}]}))
        .expect("the append is stored");
    assert_eq!(response.status(), 201);
    // Backups are named to the second: the next one must not be in the same second.
    while epoch_seconds() <= after_first {
        std::thread::sleep(Duration::from_millis(20));
    }
    backup(&scratch, &server.base, &token_file, &backups).assert_ok("the second backup");
    let found = dated_backups(&backups);
    assert_eq!(found.len(), 2, "two dated backups: {found:?}");
    assert_eq!(found[0], first, "the first backup is kept");
    let second = found[1].clone();
    let second_bytes = fs::read(&second).expect("the backup");
    let (exported, second_position, second_hash) = api_export(&server.base, &auditor);
    assert!(second_bytes == exported, "equal to the API's export");
    assert_eq!(lines(&second_bytes), lines(&first_bytes) + 1);
    assert_eq!(second_position, head_position + 1);
    assert_eq!(last_hash(&second_bytes), second_hash);
    assert!(second_bytes.starts_with(&first_bytes));
    assert_eq!(fs::read(&first).unwrap(), first_bytes, "unchanged");
    assert_eq!(
        fs::read_link(backups.join("latest.ndjson")).unwrap(),
        PathBuf::from(second.file_name().unwrap())
    );

    // 3a. A restore while the service still runs is refused: sled's lock guards the data dir.
    let ran = restore(&scratch, &data, &first);
    assert!(!ran.status.success(), "refused:\n{}", ran.stdout);
    assert!(
        ran.stderr.contains("is the service still running?"),
        "{}",
        ran.stderr
    );
    assert!(siblings(&data, "data.").is_empty(), "no new directory");
    assert_eq!(api_export(&server.base, &auditor).0, second_bytes);
    server.stop();

    // 3b. A tampered export is refused before anything is touched: one digit of one date, on
    // line 201.
    let before = snapshot(&data);
    let mut tampered = first_bytes.clone();
    let middle = {
        let text = std::str::from_utf8(&first_bytes).unwrap();
        let line_start = text
            .match_indices('\n')
            .nth(199)
            .map(|(at, _)| at + 1)
            .unwrap();
        line_start + text[line_start..].find("\"occurred_on\":\"").unwrap() + 18
    };
    tampered[middle] = b'0' + (tampered[middle] - b'0' + 1) % 10;
    assert_eq!(
        tampered
            .iter()
            .zip(&first_bytes)
            .filter(|(a, b)| a != b)
            .count(),
        1
    );
    let tampered_path = tmp.path().join("tampered.ndjson");
    fs::write(&tampered_path, &tampered).unwrap();
    let ran = restore(&scratch, &data, &tampered_path);
    assert!(!ran.status.success(), "refused:\n{}", ran.stdout);
    assert!(
        ran.stderr.contains("the export does not verify")
            && ran.stderr.contains("first_bad_position: 201"),
        "{}",
        ran.stderr
    );
    assert!(
        snapshot(&data) == before,
        "the data dir is byte for byte as it was"
    );
    assert!(siblings(&data, "data.").is_empty(), "no new directory");

    // 3c. The restore itself, from the first (older) backup, so the swap is visible: the live
    // log has one event more than the export.
    restore(&scratch, &data, &first).assert_ok("restore.sh");
    let kept = siblings(&data, "data.before-restore-");
    assert_eq!(kept.len(), 1, "the old data dir is kept: {kept:?}");
    assert_eq!(
        siblings(&data, "data.").len(),
        1,
        "no restore-* dir is left behind"
    );
    let old = &kept[0];
    assert!(
        offline_export(&scratch, old) == second_bytes,
        "the kept dir holds the old log, all of it"
    );
    assert_eq!(
        fs::read(data.join("tokens.json")).unwrap(),
        fs::read(old.join("tokens.json")).unwrap(),
        "tokens.json is carried over"
    );
    assert_eq!(
        fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(
        offline_export(&scratch, &data) == first_bytes,
        "the data dir now holds the restored log"
    );

    // 4. Started again, the service serves exactly the backup, and the old token still works.
    let server = Server::start(&data);
    let (exported, position, hash) = api_export(&server.base, &auditor);
    assert!(
        exported == first_bytes,
        "GET /api/v1/export equals the backup"
    );
    assert_eq!(
        (position, hash.as_str()),
        (head_position, head_hash.as_str())
    );
    let verified = get_json(&server.base, "/api/v1/verify", &auditor);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["head_position"], head_position);
    assert_eq!(verified["head_hash"], head_hash.as_str());
    assert_eq!(verified["first_bad_position"], serde_json::Value::Null);
    let health = get_json(&server.base, "/healthz", &auditor);
    assert_eq!(health["head_position"], head_position);

    // After a restore from an older backup, the next backup fails its continuity check (rightly)
    // until the newer backups are moved into a subfolder, as the runbook says.
    let ran = backup(&scratch, &server.base, &token_file, &backups);
    assert!(!ran.status.success(), "refused:\n{}", ran.stdout);
    assert!(
        ran.stderr
            .contains("is not the beginning of today's export"),
        "{}",
        ran.stderr
    );
    assert_eq!(dated_backups(&backups).len(), 2, "no dated file is added");
    let superseded = backups.join("superseded");
    fs::create_dir(&superseded).unwrap();
    let second_name = second.file_name().unwrap().to_str().unwrap().to_owned();
    for suffix in ["", ".sha256", ".verify"] {
        let name = format!("{second_name}{suffix}");
        fs::rename(backups.join(&name), superseded.join(&name)).unwrap();
    }
    // A last backup as long as today's export but with one byte of history different (the
    // tampered copy under the second backup's name) is refused too: the byte comparison.
    fs::write(backups.join(&second_name), &tampered).unwrap();
    let ran = backup(&scratch, &server.base, &token_file, &backups);
    assert!(!ran.status.success(), "refused:\n{}", ran.stdout);
    assert!(
        ran.stderr.contains(&format!(
            "{second_name} is not the beginning of today's export"
        )),
        "{}",
        ran.stderr
    );
    assert_eq!(dated_backups(&backups).len(), 2, "no dated file is added");
    fs::remove_file(backups.join(&second_name)).unwrap();
    backup(&scratch, &server.base, &token_file, &backups).assert_ok("the backup after moving");
    let found = dated_backups(&backups);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], first);
    assert!(fs::read(&found[1]).unwrap() == first_bytes);
    server.stop();
}
