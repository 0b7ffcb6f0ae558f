//! Proves the storage codec keeps every record readable: a property test that
//! `decode(encode(e)) == e` over generated events of every variant, golden records committed as
//! bytes in `tests/golden/` that must decode to the same events and re-encode to the same bytes
//! forever, and that truncated, corrupted or garbage bytes give an error, never a panic. Over the
//! same generated events, the canonical JSON: `canonical` equals serde_jcs (RFC 8785), and
//! `write_canonical_json`, which builds no `serde_json::Value`, equals both.
//!
//! Schema 1's golden records (`tests/golden/*.bin`, format 1, with the canonical JSON that was
//! hashed beside them in `*.json`) were written by the schema-1 binary and are never rewritten:
//! they must decode, upcast and write their JSON byte for byte forever, and re-encode to the same
//! bytes through schema 1's frozen types. A property test holds every schema-1 event encoded as
//! format 1 to decode, through the upcaster, to the same event (ops/decisions/0004).
//!
//! To write today's golden files (`tests/golden/schema2/`) after adding to catalogue 2, before it
//! is released: `IMPACT_WRITE_GOLDEN=1 cargo test -p impact-events --test codec`. Schema 1's are
//! never written.

mod common;

use std::path::PathBuf;

use chrono::{DateTime, Datelike, NaiveDate};
use common::{every_variant_chain, every_variant_full_chain, reseal_as_schema1};
use impact_events::codec::{
    decode, encode, encode_schema1, DecodeError, FORMAT_SCHEMA1_BINCODE, FORMAT_SCHEMA2_BINCODE,
};
use impact_events::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

// Generators: every field over its whole type, except where the type itself is narrower than
// Rust's (dates and instants that the text forms can hold).

fn uuids() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// Any string, and as often one made mostly of what JSON escapes or writers get wrong: every
/// control character, quotes, backslash, slash, DEL, non-ASCII, emoji, U+2028 and U+2029.
fn texts() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        (0..=0x1F_u8).prop_map(char::from),
        prop::sample::select(vec![
            '"', '\\', '/', '\u{7F}', 'a', 'é', 'ø', '\u{2028}', '\u{2029}', '\u{FEFF}', '😀'
        ]),
        any::<char>(),
    ];
    prop_oneof![
        any::<String>(),
        vec(tricky, 0..16).prop_map(String::from_iter)
    ]
}

fn sdgs() -> impl Strategy<Value = Option<Vec<u8>>> {
    option::of(vec(any::<u8>(), 0..20))
}

/// Any date chrono can hold, including years beyond 9999 and before 0.
/// `valid_to` is read strictly as `YYYY-MM-DD`, so only years 0 to 9999 can be stored.
fn four_digit_years() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap().num_days_from_ce();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap()
        .num_days_from_ce();
    (first..=last).prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).unwrap())
}

fn dates() -> impl Strategy<Value = NaiveDate> {
    let days = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
    days.prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).unwrap())
}

/// Instants from 0000-01-01 to 9999-12-31: the range `recorded_at`'s text form can hold.
fn instants() -> impl Strategy<Value = RecordedAt> {
    let first = DateTime::parse_from_rfc3339("0000-01-01T00:00:00Z")
        .unwrap()
        .timestamp_micros();
    let last = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999Z")
        .unwrap()
        .timestamp_micros();
    (first..=last).prop_map(RecordedAt)
}

fn targets() -> impl Strategy<Value = Target> {
    let metrics = prop::sample::select(Metric::ALL.to_vec());
    let pers = prop_oneof![Just(Per::Year), Just(Per::Period)];
    (metrics, pers, any::<i64>()).prop_map(|(metric, per, value)| Target { metric, per, value })
}

fn payloads() -> impl Strategy<Value = EventData> {
    let enterprise_kinds = prop_oneof![
        Just(EnterpriseKind::Enterprise),
        Just(EnterpriseKind::Initiative)
    ];
    let employment_types = prop_oneof![
        Just(EmploymentType::Ordinary),
        Just(EmploymentType::Flexjob),
        Just(EmploymentType::WageSubsidy),
        Just(EmploymentType::Sheltered),
        Just(EmploymentType::Education),
        Just(EmploymentType::Other),
    ];
    let agreement_kinds = prop_oneof![
        Just(AgreementKind::Partnership),
        Just(AgreementKind::CivilSociety),
        Just(AgreementKind::Volunteering),
    ];
    let trial_kinds = prop_oneof![Just(TrialKind::InternalTrial), Just(TrialKind::TrialAction)];
    let trend_kinds = prop_oneof![Just(TrendKind::Trend), Just(TrendKind::Offer)];
    prop_oneof![
        (
            uuids(),
            texts(),
            any::<i32>(),
            any::<i32>(),
            vec(targets(), 0..4)
        )
            .prop_map(|(strategy_id, name, from_year, to_year, targets)| {
                EventData::StrategyAdopted(StrategyAdopted {
                    strategy_id,
                    name,
                    from_year,
                    to_year,
                    targets,
                })
            }),
        (
            uuids(),
            texts(),
            enterprise_kinds,
            option::of(texts()),
            option::of(any::<bool>()),
            sdgs()
        )
            .prop_map(|(enterprise_id, name, kind, cvr, rsv, sdgs)| {
                EventData::EnterpriseRegistered(EnterpriseRegistered {
                    enterprise_id,
                    name,
                    kind,
                    cvr,
                    rsv,
                    sdgs,
                })
            }),
        (uuids(), option::of(texts())).prop_map(|(enterprise_id, reason)| {
            EventData::EnterpriseClosed(EnterpriseClosed {
                enterprise_id,
                reason,
            })
        }),
        (uuids(), texts(), employment_types, option::of(uuids())).prop_map(
            |(placement_id, person_ref, employment_type, enterprise_id)| {
                EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
                    placement_id,
                    person_ref,
                    employment_type,
                    enterprise_id,
                })
            }
        ),
        (
            uuids(),
            texts(),
            any::<i64>(),
            option::of(texts()),
            option::of(uuids()),
            sdgs()
        )
            .prop_map(
                |(grant_id, funder, amount_ore, purpose, enterprise_id, sdgs)| {
                    EventData::GrantAwarded(GrantAwarded {
                        grant_id,
                        funder,
                        amount_ore,
                        purpose,
                        enterprise_id,
                        sdgs,
                    })
                }
            ),
        (
            uuids(),
            texts(),
            agreement_kinds,
            option::of(four_digit_years())
        )
            .prop_map(|(agreement_id, counterparty, kind, valid_to)| {
                EventData::AgreementSigned(AgreementSigned {
                    agreement_id,
                    counterparty,
                    kind,
                    valid_to,
                })
            }),
        (uuids(), option::of(texts())).prop_map(|(agreement_id, reason)| {
            EventData::AgreementEnded(AgreementEnded {
                agreement_id,
                reason,
            })
        }),
        (
            uuids(),
            texts(),
            trial_kinds,
            option::of(vec(texts(), 0..4)),
            sdgs()
        )
            .prop_map(|(trial_id, title, kind, partners, sdgs)| {
                EventData::TrialStarted(TrialStarted {
                    trial_id,
                    title,
                    kind,
                    partners,
                    sdgs,
                })
            }),
        (uuids(), texts(), trend_kinds, option::of(texts()), sdgs()).prop_map(
            |(trend_id, title, kind, source, sdgs)| {
                EventData::TrendNoted(TrendNoted {
                    trend_id,
                    title,
                    kind,
                    source,
                    sdgs,
                })
            }
        ),
        (uuids(), texts()).prop_map(|(event_id, reason)| {
            EventData::EventRetracted(EventRetracted { event_id, reason })
        }),
        catalogue2_payloads(),
    ]
}

/// The payloads of catalogue 2 (schema 2).
fn catalogue2_payloads() -> impl Strategy<Value = EventData> {
    let reasons = prop_oneof![
        Just(PlacementEndReason::Ended),
        Just(PlacementEndReason::MovedOn),
        Just(PlacementEndReason::DroppedOut),
        Just(PlacementEndReason::Other),
    ];
    let outcomes = prop_oneof![
        Just(TrialOutcome::Continued),
        Just(TrialOutcome::Adopted),
        Just(TrialOutcome::Stopped),
    ];
    prop_oneof![
        (uuids(), reasons).prop_map(|(placement_id, reason)| {
            EventData::PlacementEnded(PlacementEnded {
                placement_id,
                reason,
            })
        }),
        (uuids(), any::<i64>()).prop_map(|(grant_id, amount_ore)| {
            EventData::GrantPaid(GrantPaid {
                grant_id,
                amount_ore,
            })
        }),
        (uuids(), any::<i64>()).prop_map(|(grant_id, amount_ore)| {
            EventData::GrantReturned(GrantReturned {
                grant_id,
                amount_ore,
            })
        }),
        (uuids(), four_digit_years()).prop_map(|(agreement_id, valid_to)| {
            EventData::AgreementRenewed(AgreementRenewed {
                agreement_id,
                valid_to,
            })
        }),
        (uuids(), outcomes, option::of(texts())).prop_map(|(trial_id, outcome, lessons)| {
            EventData::TrialConcluded(TrialConcluded {
                trial_id,
                outcome,
                lessons,
            })
        }),
        (uuids(), vec(targets(), 0..4)).prop_map(|(strategy_id, targets)| {
            EventData::StrategyRevised(StrategyRevised {
                strategy_id,
                targets,
            })
        }),
    ]
}

fn streams() -> impl Strategy<Value = StreamId> {
    (0..StreamKind::ALL.len(), uuids()).prop_map(|(kind, id)| StreamId {
        kind: StreamKind::ALL[kind],
        id,
    })
}

fn hashes() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

prop_compose! {
    fn stored_events()(
        (position, id, stream, version, schema) in (any::<u64>(), uuids(), streams(), any::<u64>(), 1..=SCHEMA),
        (occurred_on, recorded_at, actor) in (dates(), instants(), texts()),
        (correlation_id, case_ref, note) in (option::of(uuids()), option::of(texts()), option::of(texts())),
        (data, prev_hash, hash) in (payloads(), hashes(), hashes()),
    ) -> StoredEvent {
        // An event of a type added later than its schema cannot be stored.
        let schema = schema.max(data.first_schema());
        StoredEvent {
            position, id, stream, version, schema, occurred_on, recorded_at, actor,
            correlation_id, case_ref, note, data, prev_hash, hash,
            sealing: Default::default(),
        }
    }
}

/// The event with every integer brought within what the ledger writes (at most 2^53 - 1 in
/// size), so that serde_jcs, which writes numbers as doubles, writes them exactly too.
fn with_exact_integers(mut event: StoredEvent) -> StoredEvent {
    const EXACT: u64 = 1 << 53;
    let exact = |integer: i64| integer % EXACT as i64;
    event.position %= EXACT;
    event.version %= EXACT;
    match &mut event.data {
        EventData::StrategyAdopted(data) => {
            for target in &mut data.targets {
                target.value = exact(target.value);
            }
        }
        EventData::GrantAwarded(data) => data.amount_ore = exact(data.amount_ore),
        EventData::GrantPaid(data) => data.amount_ore = exact(data.amount_ore),
        EventData::GrantReturned(data) => data.amount_ore = exact(data.amount_ore),
        EventData::StrategyRevised(data) => {
            for target in &mut data.targets {
                target.value = exact(target.value);
            }
        }
        _ => {}
    }
    event
}

/// The direct writer's bytes without and with `hash`; each must be `canonical(&to_json(..))`'s,
/// appended to what the buffer already held.
#[track_caller]
fn written_canonical_json(event: &StoredEvent) -> [Vec<u8>; 2] {
    const HELD: &[u8] = b"already in the buffer";
    [false, true].map(|with_hash| {
        let mut buffer = HELD.to_vec();
        event.write_canonical_json(with_hash, &mut buffer);
        let written = buffer.split_off(HELD.len());
        assert_eq!(buffer, HELD);
        // As text for a readable difference; `from_utf8` refuses bytes that are not UTF-8.
        assert_eq!(
            std::str::from_utf8(&written).expect("canonical JSON is UTF-8"),
            std::str::from_utf8(&canonical(&event.to_json(with_hash))).expect("UTF-8"),
            "with_hash: {with_hash}"
        );
        written
    })
}

/// The value with every integer brought within what the ledger writes (at most 2^53 - 1 in
/// size: the rules and `from_json` refuse larger ones).
fn exact_integers(value: serde_json::Value) -> serde_json::Value {
    const EXACT: u64 = 1 << 53;
    match value {
        serde_json::Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(n), _) => serde_json::Value::from(n % EXACT),
            (None, Some(n)) => serde_json::Value::from(-((n.unsigned_abs() % EXACT) as i64)),
            _ => serde_json::Value::Number(number),
        },
        serde_json::Value::Array(items) => items.into_iter().map(exact_integers).collect(),
        serde_json::Value::Object(members) => members
            .into_iter()
            .map(|(key, value)| (key, exact_integers(value)))
            .collect(),
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `canonical` writes with serde_json (sorted maps, ASCII keys, no floats, exact integers)
    /// for speed; serde_jcs, the RFC 8785 implementation, is the oracle it must equal.
    #[test]
    fn canonical_json_is_rfc8785(event in stored_events()) {
        for with_hash in [false, true] {
            let value = exact_integers(event.to_json(with_hash));
            let oracle = serde_jcs::to_vec(&value).expect("RFC 8785 bytes");
            prop_assert_eq!(canonical(&value), oracle);
        }
    }

    #[test]
    fn decode_inverts_encode(event in stored_events()) {
        let bytes = encode(&event);
        prop_assert_eq!(bytes[0], FORMAT_SCHEMA2_BINCODE);
        let decoded = decode(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&decoded, &event);
        prop_assert_eq!(encode(&decoded), bytes);
    }

    #[test]
    fn corrupted_records_never_panic(
        event in stored_events(),
        flips in vec((any::<prop::sample::Index>(), 1..=255u8), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = encode(&event);
        for (index, mask) in flips {
            let at = index.index(bytes.len());
            bytes[at] ^= mask;
        }
        check_unreadable_or_usable(&bytes);
        let cut = cut.index(bytes.len());
        check_unreadable_or_usable(&bytes[..cut]);
    }

    #[test]
    fn garbage_never_panics(garbage in vec(any::<u8>(), 0..600)) {
        check_unreadable_or_usable(&garbage);
        for format in [FORMAT_SCHEMA1_BINCODE, FORMAT_SCHEMA2_BINCODE] {
            let mut record = vec![format];
            record.extend(&garbage);
            check_unreadable_or_usable(&record);
        }
    }

    /// A schema-1 event written as the schema-1 binary wrote it (format 1) reads back, through
    /// schema 1's frozen types and the upcaster, as the same event, and so writes the same JSON.
    #[test]
    fn schema1_records_upcast_to_the_same_event(event in stored_events()) {
        prop_assume!(fits_schema1(&event.data));
        let mut event = event;
        event.schema = 1;
        let bytes = encode_schema1(&as_schema1(&event));
        prop_assert_eq!(bytes[0], FORMAT_SCHEMA1_BINCODE);
        let decoded = decode(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&decoded, &event);
        prop_assert_eq!(decoded.canonical_json(), event.canonical_json());
        // Today's encoding of the same event is format 2; both read back alike.
        prop_assert_eq!(decode(&encode(&event)).ok(), Some(decoded));
    }
}

/// Whether a payload could have been stored under schema 1: a schema-1 type, and no metric
/// added later.
fn fits_schema1(data: &EventData) -> bool {
    let schema1_metric = |target: &Target| {
        matches!(
            target.metric,
            Metric::PeopleEmployed | Metric::EnterprisesActive
        )
    };
    match data {
        EventData::StrategyAdopted(data) => data.targets.iter().all(schema1_metric),
        other => other.first_schema() == 1,
    }
}

/// Today's value as schema 1's frozen one: the frozen types have today's serde names, so
/// `serde_json` carries the value across (test only; the ledger never writes schema 1).
fn as_schema1(event: &StoredEvent) -> schema1::StoredEvent {
    let value = serde_json::to_value(event).expect("a stored event serializes");
    serde_json::from_value(value).expect("a schema-1 event has schema 1's shape")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// `write_canonical_json` writes the bytes without a `serde_json::Value`; `to_json` through
    /// `canonical` and serde_jcs are the oracles. Integers beyond 2^53 - 1 (which the ledger
    /// never stores) are compared with `canonical` only: serde_jcs writes them rounded.
    #[test]
    fn written_canonical_json_is_built_canonical_json(event in stored_events()) {
        written_canonical_json(&event);
        let event = with_exact_integers(event);
        for (with_hash, written) in [false, true].into_iter().zip(written_canonical_json(&event)) {
            let oracle = serde_jcs::to_vec(&event.to_json(with_hash)).expect("RFC 8785 bytes");
            prop_assert_eq!(&written, &oracle, "{}", String::from_utf8_lossy(&written));
        }
        prop_assert_eq!(event.canonical_json(), canonical(&event.to_json(true)));
        let without_hash = canonical(&event.to_json(false));
        prop_assert_eq!(event.compute_hash().0, <[u8; 32]>::from(Sha256::digest(without_hash)));
    }
}

/// Every variant with every optional member given and left out, dates and instants beyond the
/// years 0000 to 9999 (written by chrono, with a sign), and the extreme integers.
#[test]
fn written_canonical_json_of_chosen_events() {
    let mut events = every_variant_chain();
    events.extend(every_variant_full_chain());
    let mut extreme = every_variant_full_chain()[0].clone();
    extreme.position = u64::MAX;
    extreme.version = u64::MAX;
    extreme.schema = u16::MAX;
    extreme.occurred_on = NaiveDate::MAX;
    extreme.recorded_at = RecordedAt(253_402_300_800_000_000);
    events.push(extreme.clone());
    extreme.occurred_on = NaiveDate::MIN;
    extreme.recorded_at = RecordedAt(-62_167_219_200_000_001);
    events.push(extreme);
    for event in &events {
        written_canonical_json(event);
    }
}

/// Decoding either fails, or gives an event every part of the ledger can use: written as JSON,
/// hashed, verified.
fn check_unreadable_or_usable(bytes: &[u8]) {
    if let Ok(event) = decode(bytes) {
        let json = event.canonical_json();
        let _ = event.compute_hash();
        let _ = Verifier::default().check(&event);
        assert!(!json.is_empty());
    }
}

/// Schema 1's golden records: every variant of schema 1 with every optional member given, and
/// one with none, sealed under schema 1 as the schema-1 binary sealed them.
fn golden_events_schema1() -> Vec<(String, StoredEvent)> {
    let full = reseal_as_schema1(every_variant_full_chain())
        .into_iter()
        .map(|event| (format!("full-{}", event.data.type_name()), event));
    let minimal = reseal_as_schema1(every_variant_chain())
        .into_iter()
        .filter(|event| matches!(event.data, EventData::EnterpriseRegistered(_)))
        .map(|event| (format!("minimal-{}", event.data.type_name()), event));
    full.chain(minimal).collect()
}

/// Today's golden records: every variant of the catalogue with every optional member given, and
/// one with none.
fn golden_events() -> Vec<(String, StoredEvent)> {
    let full = every_variant_full_chain()
        .into_iter()
        .map(|event| (format!("schema2/full-{}", event.data.type_name()), event));
    let minimal = every_variant_chain()
        .into_iter()
        .map(|event| (format!("schema2/minimal-{}", event.data.type_name()), event));
    full.chain(minimal).collect()
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.bin"))
}

fn read_golden(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Schema 1's committed bytes must decode to `expected`, write the committed canonical JSON,
/// still match their hash, and be what schema 1's frozen types encode.
#[track_caller]
fn check_golden_schema1(name: &str, expected: &StoredEvent) {
    let bytes = read_golden(&golden_path(name));
    assert_eq!(bytes[0], FORMAT_SCHEMA1_BINCODE, "{name}");
    let decoded = decode(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert_eq!(&decoded, expected, "{name} decodes to another event");
    assert_eq!(
        decoded.compute_hash(),
        decoded.hash,
        "{name}: the stored hash still matches"
    );
    assert_eq!(
        encode_schema1(&as_schema1(expected)),
        bytes,
        "{name}: the frozen types"
    );
    let stored = read_golden(&golden_path(name).with_extension("json"));
    assert_eq!(
        String::from_utf8_lossy(&decoded.canonical_json()),
        String::from_utf8_lossy(&stored),
        "{name}: the canonical JSON is the stored bytes"
    );
}

/// Today's committed bytes must decode to `expected` and `expected` must encode to them.
#[track_caller]
fn check_golden(name: &str, expected: &StoredEvent) {
    let path = golden_path(name);
    if std::env::var_os("IMPACT_WRITE_GOLDEN").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, encode(expected)).unwrap();
        std::fs::write(path.with_extension("json"), expected.canonical_json()).unwrap();
    }
    let bytes = read_golden(&path);
    let decoded = decode(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert_eq!(&decoded, expected, "{name} decodes to another event");
    assert_eq!(
        decoded.compute_hash(),
        decoded.hash,
        "{name}: the stored hash still matches"
    );
    assert_eq!(encode(expected), bytes, "{name} encodes to other bytes");
    let stored = read_golden(&path.with_extension("json"));
    assert_eq!(
        decoded.canonical_json(),
        stored,
        "{name}: the canonical JSON"
    );
}

#[test]
fn golden_records_decode_forever() {
    let schema1 = golden_events_schema1();
    assert_eq!(schema1.len(), 11);
    for (name, event) in &schema1 {
        check_golden_schema1(name, event);
    }
    for (name, event) in &golden_events() {
        check_golden(name, event);
    }
    // The full golden records of each schema are a valid chain as committed.
    for golden in [schema1, golden_events()] {
        let mut verifier = Verifier::default();
        for (name, event) in golden.iter().filter(|(name, _)| name.contains("full-")) {
            verifier
                .check(event)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
        }
        assert!(verifier.events() >= 10);
    }
}

#[test]
fn truncated_records_and_trailing_bytes_are_errors() {
    for (name, event) in golden_events() {
        let bytes = encode(&event);
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut]).is_err(),
                "{name} cut at {cut} decodes"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            decode(&longer).is_err(),
            "{name} with a trailing byte decodes"
        );
    }
}

#[test]
fn format_bytes_are_checked() {
    assert!(matches!(decode(&[]), Err(DecodeError::Empty)));
    let bytes = encode(&every_variant_chain()[0]);
    for format in [0, 4, 255] {
        let mut other = bytes.clone();
        other[0] = format;
        assert!(
            matches!(decode(&other), Err(DecodeError::UnknownFormat(found)) if found == format)
        );
    }
}

/// Replaces the first occurrence of `old` in `bytes`; the value must be unmistakable.
fn replace(bytes: &mut [u8], old: &[u8], new: &[u8]) {
    let at = bytes
        .windows(old.len())
        .position(|window| window == old)
        .expect("the value occurs in the record");
    bytes[at..at + old.len()].copy_from_slice(new);
}

#[test]
fn implausible_values_are_refused_when_read() {
    let event = &every_variant_chain()[0];
    let bytes = encode(event);
    // recorded_at beyond what the text form can hold would panic wherever the event is shown.
    for micros in [
        i64::MAX,
        i64::MIN,
        253_402_300_800_000_000,
        -62_167_219_200_000_001,
    ] {
        let mut corrupt = bytes.clone();
        replace(
            &mut corrupt,
            &event.recorded_at.0.to_le_bytes(),
            &micros.to_le_bytes(),
        );
        assert!(decode(&corrupt).is_err(), "recorded_at {micros} decodes");
    }
    // A length prefix of 2^64 - 1 is refused by the record limit, not allocated.
    let mut huge = bytes.clone();
    let actor = [&4_u64.to_le_bytes()[..], b"anna"].concat();
    let forged = [&u64::MAX.to_le_bytes()[..], b"anna"].concat();
    replace(&mut huge, &actor, &forged);
    assert!(decode(&huge).is_err());
    let mut bad_date = bytes;
    replace(&mut bad_date, b"2023-01-01", b"2023-02-30");
    assert!(decode(&bad_date).is_err());
}
