//! Proves the command-line edges of issue 12 and the binary's own hardening of issue 18 with
//! the real binary on 127.0.0.1: a data dir made 0700 with owner-only files; `serve` on a busy
//! port says so and makes nothing; `--listen localhost:0` is accepted; `config check` refuses
//! a missing data dir; the last admin token is kept without --force; `søren` is a token name;
//! `report` on a dir a server holds, and `report --as-of` before the first event, say so
//! plainly, with no stack trace even under RUST_BACKTRACE=1; `connections_max` holds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");

fn run(args: &[&str], data: &Path) -> Output {
    Command::new(BINARY)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failure a user caused: exit 1, a sentence, no stack trace.
fn assert_plain_failure(output: &Output, words: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains(words), "`{words}` not in: {text}");
    assert!(!text.to_lowercase().contains("backtrace"), "{text}");
    assert!(!text.contains("WouldBlock"), "{text}");
}

/// `serve` with these extra arguments, until its ready line.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines.next().expect("a ready line").expect("utf-8");
            if let Some(address) = line.strip_prefix("impact-ledger listening on http://") {
                break address.to_owned();
            }
        };
        Server { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_data_dir_and_everything_in_it_is_for_its_owner_only() {
    let parent = tempfile::tempdir().expect("a temp dir");
    let data = parent.path().join("new");
    let output = run(&["demo"], &data);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode(&data), 0o700);
    let mut checked = 0;
    let mut pending = vec![data];
    while let Some(path) = pending.pop() {
        assert_eq!(
            mode(&path) & 0o077,
            0,
            "{} is {:o}",
            path.display(),
            mode(&path)
        );
        checked += 1;
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable") {
                pending.push(entry.expect("an entry").path());
            }
        }
    }
    assert!(checked >= 4, "only {checked} paths");
}

#[test]
fn serve_on_a_busy_port_says_so_and_makes_no_token() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = busy.local_addr().expect("an address").to_string();
    let data = tempfile::tempdir().expect("a temp dir");
    let output = run(&["serve", "--listen", &address], data.path());
    assert_plain_failure(&output, "is busy");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("admin token"));
    assert!(!data.path().join("tokens.json").exists());
}

#[test]
fn config_check_resolves_host_names_and_refuses_a_missing_data_dir() {
    let data = tempfile::tempdir().expect("a temp dir");
    let output = run(
        &["config", "check", "--listen", "localhost:8081"],
        data.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("listen = \"127.0.0.1:8081\"") || text.contains("listen = \"[::1]:8081\""),
        "{text}"
    );
    let output = run(&["config", "check", "--listen", "no-port"], data.path());
    assert_plain_failure(&output, "must be HOST:PORT");
    let output = run(
        &["config", "check"],
        Path::new("/nonexistent/impact-ledger"),
    );
    assert_plain_failure(&output, "does not exist");
}

#[test]
fn the_last_admin_token_is_kept_and_names_may_be_danish() {
    let data = tempfile::tempdir().expect("a temp dir");
    for (role, name) in [("admin", "admin"), ("staff", "søren")] {
        let output = run(
            &["token", "new", "--role", role, "--name", name],
            data.path(),
        );
        assert!(output.status.success(), "{name}: {}", stderr(&output));
    }
    let output = run(
        &["token", "new", "--role", "staff", "--name", "a b"],
        data.path(),
    );
    assert_plain_failure(&output, "a token name is 1 to 64 letters");
    let output = run(&["token", "revoke", "--name", "admin"], data.path());
    assert_plain_failure(&output, "last admin token");
    let output = run(&["token", "list"], data.path());
    assert!(String::from_utf8_lossy(&output.stdout).contains("admin\tadmin"));
    let output = run(
        &["token", "revoke", "--name", "admin", "--force"],
        data.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn report_explains_a_held_data_dir_and_a_moment_before_the_first_event() {
    let data = tempfile::tempdir().expect("a temp dir");
    let output = run(&["demo"], data.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let early = [
        "report",
        "--year",
        "2023",
        "--as-of",
        "2000-01-01T00:00:00Z",
    ];
    assert_plain_failure(
        &run(&early, data.path()),
        "nothing was recorded at or before",
    );
    let server = Server::start(data.path(), &[]);
    let output = run(&["report", "--year", "2023"], data.path());
    assert_plain_failure(&output, "in use by another process");
    assert!(stderr(&output).contains("GET /api/v1/reports/annual/2023"));
    drop(server);
}

/// Sends a GET /healthz on `stream` and waits up to `wait` for the start of an answer.
fn answered_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("a write");
    stream.set_read_timeout(Some(wait)).expect("a timeout");
    let mut buffer = [0u8; 64];
    matches!(stream.read(&mut buffer), Ok(read) if read > 0)
}

#[test]
fn connections_beyond_connections_max_wait_until_one_closes() {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = Server::start(data.path(), &["--connections-max", "2"]);
    let connect = || TcpStream::connect(&server.address).expect("a connection");
    let mut first = connect();
    assert!(answered_within(&mut first, Duration::from_secs(10)));
    let second = connect();
    // The accept loop has taken both permits; the third waits in the backlog.
    std::thread::sleep(Duration::from_millis(200));
    let mut third = connect();
    assert!(!answered_within(&mut third, Duration::from_millis(700)));
    drop(first);
    drop(second);
    assert!(answered_within(&mut third, Duration::from_secs(10)));
}
