//! Proves the command-line edges of issue 12 and the binary's own hardening of issue 18 with
//! the real binary on 127.0.0.1: a data dir made 0700 with owner-only files; `serve` on a busy
//! port says so and makes nothing; `--listen localhost:0` is accepted; `config check` refuses
//! a missing data dir; the last admin token is kept without --force; `søren` is a token name;
//! `report` on a dir a server holds, and `report --as-of` before the first event, say so
//! plainly, with no stack trace even under RUST_BACKTRACE=1; `connections_max` holds; a client
//! that stops reading is cut off after `write_timeout_ms`.

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

/// A client that stops reading its answer is cut off after `write_timeout_ms` (issue 18,
/// finding 2): it subscribes to 12,000 events (about 6.6 MB, more than loopback's socket
/// buffers hold) with a small receive window and reads nothing for 2 s; then what the buffers
/// held ends in an end of stream. Without the timeout the live stream would stay open for ever.
#[test]
fn a_client_that_stops_reading_is_cut_off() {
    let data = tempfile::tempdir().expect("a temp dir");
    let output = run(
        &["token", "new", "--role", "staff", "--name", "anna"],
        data.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let token = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let server = Server::start(data.path(), &["--write-timeout-ms", "300"]);
    let base = format!("http://{}", server.address);
    for request in 0..12 {
        let events: Vec<serde_json::Value> = (0..1000)
            .map(|index| {
                serde_json::json!({"type": "TrendNoted", "occurred_on": "2023-03-01",
                    "data": {"trend_id": uuid::Uuid::from_u128(request * 1000 + index + 1),
                             "title": format!("trend {index} {}", "x".repeat(450)), "kind": "trend"}})
            })
            .collect();
        let response = ureq::post(&format!("{base}/api/v1/events"))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(serde_json::json!({ "events": events }))
            .expect("stored");
        assert_eq!(response.status().as_u16(), 201);
    }
    // A small receive window, so that the server's writes stall soon (loopback buffers are
    // megabytes by default).
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let address: std::net::SocketAddr = server.address.parse().expect("an address");
    socket.connect(&address.into()).expect("a connection");
    let mut stream: TcpStream = socket.into();
    let request = format!(
        "GET /api/v1/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("a write");
    std::thread::sleep(Duration::from_secs(2));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let mut received = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    let ended = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(read) => received += read,
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "the stream stayed open after {received} bytes");
    assert!(
        received < 6_000_000,
        "all {received} bytes came: the client never stalled the server"
    );
}
