//! The store contract (tests/store/contract.rs) holds for the sled log of a data dir: each
//! property runs against a real sled log in a temp dir, reopened from disk where it says so.

#[path = "store/contract.rs"]
mod contract;

use impact_ledger::store::{Log, Store};

/// Sled logs in one temp dir, a subdirectory per name.
struct Sled(tempfile::TempDir);

impl contract::Opener for Sled {
    fn open(&self, name: &str) -> Box<dyn Store> {
        let dir = self.0.path().join(name);
        // sled's threads of a log just dropped may hold its lock a moment longer.
        for _ in 0..100 {
            if let Ok(log) = Log::open(&dir) {
                return Box::new(log);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Box::new(Log::open(&dir).expect("opens"))
    }
}

fn sled() -> Sled {
    Sled(tempfile::tempdir().expect("a temp dir"))
}

#[test]
fn sled_append_then_read_back() {
    contract::append_then_read_back(&sled());
}

#[test]
fn sled_append_on_a_stale_head_is_refused() {
    contract::append_on_a_stale_head_is_refused(&sled());
}

#[test]
fn sled_range_reads() {
    contract::range_reads(&sled());
}

#[test]
fn sled_head_after_reopen() {
    contract::head_after_reopen(&sled());
}

#[test]
fn sled_a_commit_is_atomic() {
    contract::a_commit_is_atomic(&sled());
}
