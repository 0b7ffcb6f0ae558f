//! NATS servers for the tests: `nats-server -js` processes on free 127.0.0.1 ports, with a
//! cluster route between them when there are several, storage in a fresh temp dir, killed
//! when dropped. Debian's `nats-server` must be installed (`.ci/run` installs it).
//!
//! Each test file uses only part of this module, so unused items are allowed here.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (free when asked; the server binds it right after).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

struct Node {
    name: String,
    client_port: u16,
    cluster_port: u16,
    process: Option<Child>,
}

pub struct Cluster {
    nodes: Vec<Node>,
    dir: tempfile::TempDir,
    /// The servers' max_payload, when not their default (1 MiB).
    payload_max: Option<usize>,
}

impl Cluster {
    /// Starts `size` servers (1 = one server without a cluster) and waits until each
    /// accepts connections.
    pub fn start(size: usize) -> Cluster {
        Self::start_with(size, None)
    }

    /// `start` with the servers' `max_payload` set to `payload_max` bytes.
    pub fn start_with(size: usize, payload_max: Option<usize>) -> Cluster {
        let found = Command::new("nats-server").arg("--version").output();
        assert!(
            found.is_ok_and(|output| output.status.success()),
            "these tests need Debian's nats-server on PATH: apt-get install -y nats-server"
        );
        let nodes = (0..size)
            .map(|index| Node {
                name: format!("n{index}"),
                client_port: free_port(),
                cluster_port: free_port(),
                process: None,
            })
            .collect();
        let mut cluster = Cluster {
            nodes,
            dir: tempfile::tempdir().expect("a temp dir"),
            payload_max,
        };
        for index in 0..size {
            cluster.restart(index);
        }
        cluster
    }

    /// Starts node `index` again (on its ports and storage), waiting until it listens.
    pub fn restart(&mut self, index: usize) {
        let routes: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("nats://127.0.0.1:{}", node.cluster_port))
            .collect();
        let node = &self.nodes[index];
        let storage = self.dir.path().join(&node.name);
        let mut command = Command::new("nats-server");
        command
            .args(["-js", "-a", "127.0.0.1", "-n", &node.name])
            .args(["-p", &node.client_port.to_string()])
            .arg("-sd")
            .arg(&storage)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(payload_max) = self.payload_max {
            let file = self.dir.path().join(format!("{}.conf", node.name));
            std::fs::write(&file, format!("max_payload: {payload_max}\n")).expect("written");
            command.arg("-c").arg(file);
        }
        if self.nodes.len() > 1 {
            command
                .args(["--cluster_name", "ledger-test"])
                .args([
                    "--cluster",
                    &format!("nats://127.0.0.1:{}", node.cluster_port),
                ])
                .args(["--routes", &routes.join(",")]);
        }
        let process = command.spawn().expect("nats-server starts");
        let port = node.client_port;
        self.nodes[index].process = Some(process);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server on {port} did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// kill -9 of node `index`.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut process) = self.nodes[index].process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// The server name of node `index` (as a stream's leader is reported).
    pub fn name(&self, index: usize) -> &str {
        &self.nodes[index].name
    }

    /// `nats://` with every node, and the stream's name.
    pub fn url(&self, stream: &str) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.client_port))
            .collect();
        format!("nats://{}/{stream}", hosts.join(","))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill(index);
        }
    }
}
