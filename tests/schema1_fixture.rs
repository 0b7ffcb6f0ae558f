//! Proves that a data dir and an export written by the schema-1 binary (committed in
//! `tests/fixtures/schema1/`, made by `impact-ledger demo` then `export` before catalogue 2 was
//! built) open, verify, read and report with this binary, every byte of every event unchanged:
//! the real binary's `verify`, `export`, `import` and `report` on copies of the fixtures.
//!
//! These fixtures are kept forever (ops/decisions/0004). Never regenerate them: a later binary
//! that cannot read them has broken the promise they stand for.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_impact-ledger");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1")
}

fn export_fixture() -> Vec<u8> {
    std::fs::read(fixtures().join("demo-export.ndjson")).expect("the schema-1 export is committed")
}

/// Runs the binary and returns its stdout, failing with its stderr when it fails.
fn run(args: &[&str], data: &Path) -> Vec<u8> {
    let output = Command::new(BINARY)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Copies the committed data dir (sled writes on open, so the fixture is never opened itself).
fn copy_data_dir(into: &Path) -> PathBuf {
    let data = into.join("data");
    let sled = data.join("sled");
    std::fs::create_dir_all(&sled).expect("a temp dir");
    for name in ["conf", "db"] {
        std::fs::copy(fixtures().join("data/sled").join(name), sled.join(name))
            .expect("the schema-1 data dir is committed");
    }
    data
}

fn verify_says_ok(data: &Path, events: u64) {
    let said = String::from_utf8(run(&["verify"], data)).expect("utf-8");
    assert!(said.contains("ok: true"), "{said}");
    assert!(said.contains(&format!("events: {events}")), "{said}");
}

/// The figures the schema-1 demo reported: 100/31 in 2022, 118/34 in 2023.
fn report_says_the_schema1_figures(data: &Path) {
    for (year, people, enterprises) in [("2022", 100, 31), ("2023", 118, 34)] {
        let report: Value =
            serde_json::from_slice(&run(&["report", "--year", year, "--format", "json"], data))
                .expect("the report is JSON");
        assert_eq!(report["status"]["people_employed"], people, "{year}");
        assert_eq!(
            report["status"]["enterprises"]["active"], enterprises,
            "{year}"
        );
        let targets = report["targets"]["targets"].as_array().expect("targets");
        assert!(
            !targets.is_empty(),
            "{year}: the schema-1 strategy is in force"
        );
    }
}

#[test]
fn the_schema1_data_dir_opens_verifies_reports_and_exports_its_bytes() {
    let temp = tempfile::tempdir().expect("a temp dir");
    let data = copy_data_dir(temp.path());
    let fixture = export_fixture();
    let lines = fixture
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty());
    let events = lines.count() as u64;
    assert_eq!(
        events, 412,
        "the committed export is the whole schema-1 demo"
    );

    verify_says_ok(&data, events);
    assert!(
        run(&["export"], &data) == fixture,
        "the schema-1 data dir re-exports the schema-1 export byte for byte"
    );
    report_says_the_schema1_figures(&data);
}

#[test]
fn the_schema1_export_imports_verifies_reports_and_reexports_equal() {
    let temp = tempfile::tempdir().expect("a temp dir");
    let data = temp.path().join("data");
    let export = fixtures().join("demo-export.ndjson");
    let verified = Command::new(BINARY)
        .arg("verify")
        .arg("--export")
        .arg(&export)
        .output()
        .expect("verify runs");
    assert!(verified.status.success(), "{verified:?}");

    run(&["import", export.to_str().expect("a utf-8 path")], &data);
    verify_says_ok(&data, 412);
    assert!(
        run(&["export"], &data) == export_fixture(),
        "an import of the schema-1 export re-exports it byte for byte"
    );
    report_says_the_schema1_figures(&data);
}

#[test]
fn every_schema1_line_says_schema_1_and_every_type_of_schema_1_is_there() {
    let fixture = export_fixture();
    let mut types = std::collections::BTreeSet::new();
    for line in fixture
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
    {
        let event: Value = serde_json::from_slice(line).expect("a JSON line");
        assert_eq!(event["schema"], 1, "{event}");
        types.insert(event["type"].as_str().expect("a type").to_owned());
    }
    let schema1 = &impact_events::EVENT_TYPES[..10];
    assert_eq!(types.len(), schema1.len(), "{types:?}");
    assert!(
        schema1.iter().all(|name| types.contains(*name)),
        "{types:?}"
    );
}
