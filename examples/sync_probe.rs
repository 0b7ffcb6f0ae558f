//! What one durable commit of one 300-byte record costs on this disk, by way of making it
//! durable (ops/decisions/0006): the options weighed for issue 19, measured interleaved.
//!
//! `cargo run --release --example sync_probe -- DIR [SECONDS] [ROUNDS]` runs each way for
//! SECONDS (default 2), ROUNDS times (default 3) in turn, in a fresh sled under DIR, and prints
//! commits per second per round and the median of each. The ways:
//!
//! - `fdatasync`: the record overwritten in a preallocated file, then `fdatasync` (the floor).
//! - `o_dsync`: the same file opened `O_DSYNC`; `pwrite` returns when the record is durable.
//! - `append`: appended to a growing file, then `fdatasync` (each sync also commits the size).
//! - `sled_flush`: a sled insert, then `flush()` (`sync_file_range`: not durable on a power cut).
//! - `sled_flush_fdatasync`: the same, then `fdatasync` of sled's file (the ledger before 0006).
//! - `segment_then_sled`: `fdatasync` of the record in a preallocated segment, then a sled
//!   insert with no flush (0006's acknowledgement path; sled is flushed behind it).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

const RECORD_BYTES: usize = 300;
const FILE_BYTES: u64 = 64 * 1024 * 1024;
const WAYS: [&str; 6] = [
    "fdatasync",
    "o_dsync",
    "append",
    "sled_flush",
    "sled_flush_fdatasync",
    "segment_then_sled",
];

fn preallocated(path: &Path, flags: i32) -> File {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .custom_flags(flags)
        .open(path)
        .expect("the probe file opens");
    let zeros = vec![0u8; 1024 * 1024];
    for chunk in 0..FILE_BYTES / zeros.len() as u64 {
        file.write_all_at(&zeros, chunk * zeros.len() as u64)
            .expect("zeros written");
    }
    file.sync_all().expect("the probe file synced");
    file
}

/// Commits per second of one way during `seconds`.
fn measure(way: &str, dir: &Path, seconds: f64) -> f64 {
    let record = [b'x'; RECORD_BYTES];
    let path = dir.join(format!("probe-{way}"));
    let sled_dir = dir.join(format!("sled-{way}"));
    let file = match way {
        "o_dsync" => Some(preallocated(&path, libc::O_DSYNC)),
        "append" => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .expect("opens"),
        ),
        "sled_flush" | "sled_flush_fdatasync" => None,
        _ => Some(preallocated(&path, 0)),
    };
    let needs_sled = way.starts_with("sled") || way == "segment_then_sled";
    let db = needs_sled.then(|| {
        sled::Config::new()
            .path(&sled_dir)
            .cache_capacity(4 * 1024 * 1024)
            .flush_every_ms(None)
            .mode(sled::Mode::HighThroughput)
            .open()
            .expect("sled opens")
    });
    let db_file = needs_sled.then(|| File::open(sled_dir.join("db")).expect("sled's db file"));
    let (mut commits, mut offset) = (0u64, 0u64);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline {
        commits += 1;
        let key = commits.to_be_bytes();
        match way {
            "fdatasync" | "segment_then_sled" | "o_dsync" => {
                let file = file.as_ref().expect("a file");
                offset = if offset + RECORD_BYTES as u64 > FILE_BYTES {
                    0
                } else {
                    offset
                };
                file.write_all_at(&record, offset).expect("written");
                offset += RECORD_BYTES as u64;
                if way != "o_dsync" {
                    file.sync_data().expect("synced");
                }
                if let Some(db) = &db {
                    db.insert(key, &record[..]).expect("inserted");
                }
            }
            "append" => {
                let mut file = file.as_ref().expect("a file");
                std::io::Write::write_all(&mut file, &record).expect("written");
                file.sync_data().expect("synced");
            }
            _ => {
                let db = db.as_ref().expect("sled");
                db.insert(key, &record[..]).expect("inserted");
                db.flush().expect("flushed");
                if way == "sled_flush_fdatasync" {
                    db_file.as_ref().expect("db").sync_data().expect("synced");
                }
            }
        }
    }
    let rate = commits as f64 / started.elapsed().as_secs_f64();
    drop((db, db_file, file));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir_all(&sled_dir);
    rate
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: sync_probe DIR [SECONDS] [ROUNDS]");
    let seconds: f64 = args
        .next()
        .map_or(2.0, |text| text.parse().expect("seconds"));
    let rounds: usize = args.next().map_or(3, |text| text.parse().expect("rounds"));
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("the probe dir");
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); WAYS.len()];
    for round in 1..=rounds {
        for (way, rates) in WAYS.iter().zip(&mut rates) {
            let rate = measure(way, dir, seconds);
            println!("round {round} {way:<22} {rate:>9.0} commits/s");
            rates.push(rate);
        }
    }
    println!("medians of {rounds} rounds of {seconds} s:");
    for (way, rates) in WAYS.iter().zip(&mut rates) {
        println!("{way:<22} {:>9.0} commits/s", median(rates));
    }
}
