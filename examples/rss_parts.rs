//! Where the resident memory of an opened ledger goes (docs/PERFORMANCE.md, finding 5).
//!
//! `cargo run --release --example rss_parts -- DATA_DIR` opens the ledger, lets the allocator
//! return what the start freed, then drops the rules' state, the read model and the rest one
//! by one, printing VmRSS after each. `-- DATA_DIR log` only opens sled and iterates the log.
//! Linux only (reads /proc/self/status). Uses the binary's allocator, so the figures are the
//! server's.

use impact_ledger::store::{Ledger, Log, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn resident_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kilobytes| kilobytes.parse::<u64>().ok())
        .map_or(0, |kilobytes| kilobytes / 1024)
}

/// mimalloc returns freed pages a second after the free, and only when it is called again.
fn settle() {
    for _ in 0..30 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let churn: Vec<Vec<u8>> = (0..1000).map(|size| vec![0; 64 + size]).collect();
        drop(std::hint::black_box(churn));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: rss_parts DATA_DIR [log]")?);
    println!("before: {} MB", resident_mb());
    if args.next().as_deref() == Some("log") {
        let log = Log::open(&dir)?;
        let events = log.range(0, log.last_position()?).count();
        println!(
            "sled opened, {events} events iterated: {} MB",
            resident_mb()
        );
        return Ok(());
    }
    let ledger = Ledger::open(&dir)?;
    println!("opened: {} MB", resident_mb());
    settle();
    println!("settled: {} MB", resident_mb());
    let (state, read) = ledger.take_parts_for_measurement();
    drop(state);
    settle();
    println!("without the rules' state: {} MB", resident_mb());
    drop(read);
    settle();
    println!("without the read model: {} MB", resident_mb());
    drop(ledger);
    settle();
    println!("without sled: {} MB", resident_mb());
    Ok(())
}
