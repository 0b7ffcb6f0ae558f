//! Proves CONTRACT §3.3: an event's hash is SHA-256 over the RFC 8785 canonical JSON of the event
//! without `hash`, compared with JSON built here by hand, sorted and compacted independently,
//! and with digests computed by Python's `json.dumps`; optional members are written as null;
//! the JSON form round-trips; and `Verifier` finds every kind of tampering with a chain.

mod common;

use common::{
    date, every_variant_chain, every_variant_full, every_variant_full_chain, every_variant_minimal,
    new_event, recorded_at, reseal_as_schema1, seal_chain, uuid,
};
use impact_events::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Independent of serde_jcs: keys sorted by UTF-16 code units (RFC 8785 §3.2.3), no
/// whitespace; strings and integers as serde_json writes them (the same escapes as §3.2.2.2).
fn sorted_compact(value: &Value) -> String {
    match value {
        Value::Object(members) => {
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort_by(|left, right| left.encode_utf16().cmp(right.encode_utf16()));
            let members: Vec<String> = keys
                .into_iter()
                .map(|key| {
                    format!(
                        "{}:{}",
                        Value::from(key.as_str()),
                        sorted_compact(&members[key])
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted_compact).collect();
            format!("[{}]", items.join(","))
        }
        Value::Number(number) => {
            assert!(!number.is_f64(), "stored data holds no floats");
            number.to_string()
        }
        scalar => scalar.to_string(),
    }
}

/// The hash must be the SHA-256 of `expected` (the event without `hash`, built by hand) once
/// sorted and compacted, that digest must be `python_digest`, and the ledger's canonical bytes
/// must be exactly those.
#[track_caller]
fn check_hash(event: &StoredEvent, expected: Value, python_digest: &str) {
    let expected_bytes = sorted_compact(&expected).into_bytes();
    let actual_bytes = canonical(&event.to_json(false));
    assert_eq!(
        String::from_utf8(actual_bytes).unwrap(),
        String::from_utf8(expected_bytes.clone()).unwrap()
    );
    let digest = hex::encode(Sha256::digest(&expected_bytes));
    assert_eq!(digest, python_digest, "the digest Python computed");
    assert_eq!(event.hash.to_hex(), digest);
    assert_eq!(event.compute_hash(), event.hash);
    // The export line is the same object with `hash`, also canonical.
    let mut with_hash = expected;
    with_hash["hash"] = Value::from(digest);
    assert_eq!(
        String::from_utf8(event.canonical_json()).unwrap(),
        sorted_compact(&with_hash)
    );
}

// The Python digests were computed without this project's code, from dictionaries written out
// by hand, with `hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":"),
// ensure_ascii=False).encode()).hexdigest()`.
const PYTHON_DIGEST_REGISTERED: &str =
    "9e7841f02bdd754fa583e7140525ab0a257e9f5f9c7201e49985e330b39e3938";
const PYTHON_DIGEST_GRANT: &str =
    "133682d73c161d01b715a38480c7c42fa3a298f96a6d422977c6f28c7c9e8624";

/// A registration with nothing optional, then a grant with everything optional and a note that
/// needs escaping, non-ASCII text and the largest integer a payload may hold.
fn two_event_chain() -> Vec<StoredEvent> {
    let registered = new_event(
        uuid(0xE1),
        date(2022, 3, 1),
        EventData::EnterpriseRegistered(EnterpriseRegistered {
            enterprise_id: uuid(0xE0),
            name: "Café Kronen".to_owned(),
            kind: EnterpriseKind::Enterprise,
            cvr: None,
            rsv: None,
            sdgs: None,
        }),
    );
    let mut grant = new_event(
        uuid(0x91),
        date(2023, 4, 1),
        EventData::GrantAwarded(GrantAwarded {
            grant_id: uuid(0x90),
            funder: "Fonden X".to_owned(),
            amount_ore: 9_007_199_254_740_991,
            purpose: Some("Værested".to_owned()),
            enterprise_id: Some(uuid(0xE0)),
            sdgs: Some(vec![17, 1]),
        }),
    );
    grant.correlation_id = Some(uuid(0xC0));
    grant.case_ref = Some("24-004614".to_owned());
    grant.note = Some("Fonden \"X\" \\ æøå – 😀\n\ttab \u{1} \u{7f} \u{2028}".to_owned());
    let mut chain = seal_chain(vec![registered, grant]);
    // The actor is not part of the sealed NewEvent; re-seal the grant with a non-ASCII one.
    let grant = chain.pop().unwrap();
    let placement = Placement {
        position: grant.position,
        stream: grant.stream,
        version: grant.version,
        recorded_at: grant.recorded_at,
        actor: "Jørgen Ø".to_owned(),
        prev_hash: grant.prev_hash,
    };
    let event = new_event(grant.id, grant.occurred_on, grant.data);
    let event = NewEvent {
        correlation_id: grant.correlation_id,
        case_ref: grant.case_ref,
        note: grant.note,
        ..event
    };
    chain.push(StoredEvent::seal(event, placement));
    // The digests were computed by Python for the events as the schema-1 binary sealed them;
    // a schema-1 event keeps them forever.
    reseal_as_schema1(chain)
}

#[test]
fn hash_is_sha256_of_canonical_json_without_hash() {
    let chain = two_event_chain();
    check_hash(
        &chain[0],
        json!({
            "position": 1,
            "id": "00000000-0000-0000-0000-0000000000e1",
            "stream": "enterprise-00000000-0000-0000-0000-0000000000e0",
            "version": 1,
            "type": "EnterpriseRegistered",
            "schema": 1,
            "occurred_on": "2022-03-01",
            "recorded_at": "2026-11-27T06:00:00.123456Z",
            "actor": "anna",
            "correlation_id": null,
            "case_ref": null,
            "note": null,
            "data": {
                "enterprise_id": "00000000-0000-0000-0000-0000000000e0",
                "name": "Café Kronen",
                "kind": "enterprise",
                "cvr": null,
                "rsv": null,
                "sdgs": null
            },
            "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000"
        }),
        PYTHON_DIGEST_REGISTERED,
    );
    check_hash(
        &chain[1],
        json!({
            "position": 2,
            "id": "00000000-0000-0000-0000-000000000091",
            "stream": "grant-00000000-0000-0000-0000-000000000090",
            "version": 1,
            "type": "GrantAwarded",
            "schema": 1,
            "occurred_on": "2023-04-01",
            "recorded_at": "2026-11-27T06:00:00.123457Z",
            "actor": "Jørgen Ø",
            "correlation_id": "00000000-0000-0000-0000-0000000000c0",
            "case_ref": "24-004614",
            "note": "Fonden \"X\" \\ æøå – 😀\n\ttab \u{1} \u{7f} \u{2028}",
            "data": {
                "grant_id": "00000000-0000-0000-0000-000000000090",
                "funder": "Fonden X",
                "amount_ore": 9_007_199_254_740_991_i64,
                "purpose": "Værested",
                "enterprise_id": "00000000-0000-0000-0000-0000000000e0",
                "sdgs": [17, 1]
            },
            "prev_hash": PYTHON_DIGEST_REGISTERED
        }),
        PYTHON_DIGEST_GRANT,
    );
}

#[test]
fn canonical_bytes_are_exactly_as_written_out() {
    // Byte for byte, as an auditor's script would produce it: keys sorted, no spaces, raw UTF-8,
    // control characters as \uXXXX with lower-case hex, U+007F and U+2028 unescaped.
    let chain = two_event_chain();
    let expected = concat!(
        r#"{"actor":"anna","case_ref":null,"correlation_id":null,"data":{"cvr":null,"#,
        r#""enterprise_id":"00000000-0000-0000-0000-0000000000e0","kind":"enterprise","#,
        r#""name":"Café Kronen","rsv":null,"sdgs":null},"#,
        r#""id":"00000000-0000-0000-0000-0000000000e1","note":null,"occurred_on":"2022-03-01","#,
        r#""position":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","#,
        r#""recorded_at":"2026-11-27T06:00:00.123456Z","schema":1,"#,
        r#""stream":"enterprise-00000000-0000-0000-0000-0000000000e0","#,
        r#""type":"EnterpriseRegistered","version":1}"#
    );
    assert_eq!(
        String::from_utf8(canonical(&chain[0].to_json(false))).unwrap(),
        expected
    );
    let note = "\"note\":\"Fonden \\\"X\\\" \\\\ æøå – 😀\\n\\ttab \\u0001 \u{7f} \u{2028}\"";
    let grant = String::from_utf8(canonical(&chain[1].to_json(false))).unwrap();
    assert!(grant.contains(note), "{grant}");
}

#[test]
fn integers_are_exact_up_to_the_payload_maximum() {
    // RFC 8785 writes every number as an IEEE double (§3.2.2.3): exact up to 2^53 - 1,
    // rounded beyond. That is why the rules refuse larger amounts and target values; within
    // them `canonical` and the RFC 8785 oracle (serde_jcs) write the same digits.
    let exact = |number: i64| String::from_utf8(canonical(&json!(number))).unwrap();
    let oracle =
        |number: i64| String::from_utf8(serde_jcs::to_vec(&json!(number)).unwrap()).unwrap();
    for number in [
        rules::PAYLOAD_INTEGER_MAX,
        30_000_000,
        0,
        -rules::PAYLOAD_INTEGER_MAX,
    ] {
        assert_eq!(exact(number), oracle(number), "{number}");
    }
    assert_eq!(exact(rules::PAYLOAD_INTEGER_MAX), "9007199254740991");
    assert_eq!(
        oracle(9_007_199_254_740_993),
        "9007199254740992",
        "RFC 8785 rounds above the maximum, which is why the ledger refuses such numbers"
    );
}

/// The optional members each payload type must write as null when absent.
const OPTIONAL_DATA_MEMBERS: [(&str, &[&str]); 17] = [
    ("StrategyAdopted", &[]),
    ("EnterpriseRegistered", &["cvr", "rsv", "sdgs"]),
    ("EnterpriseClosed", &["reason"]),
    ("PersonPlacedInEmployment", &["enterprise_id"]),
    ("GrantAwarded", &["purpose", "enterprise_id", "sdgs"]),
    ("AgreementSigned", &["valid_to"]),
    ("AgreementEnded", &["reason"]),
    ("TrialStarted", &["partners", "sdgs"]),
    ("TrendNoted", &["source", "sdgs"]),
    ("EventRetracted", &[]),
    ("PlacementEnded", &[]),
    ("GrantPaid", &[]),
    ("GrantReturned", &[]),
    ("AgreementRenewed", &[]),
    ("TrialConcluded", &["lessons"]),
    ("StrategyRevised", &[]),
    ("MembersErased", &[]),
];

#[test]
fn optional_members_are_null_never_omitted() {
    let envelope_members = [
        "actor",
        "case_ref",
        "correlation_id",
        "data",
        "hash",
        "id",
        "note",
        "occurred_on",
        "position",
        "prev_hash",
        "recorded_at",
        "schema",
        "stream",
        "type",
        "version",
    ];
    for event in every_variant_chain() {
        let json = event.to_json(true);
        let mut members: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(members, envelope_members);
        for member in ["correlation_id", "case_ref", "note"] {
            assert_eq!(
                json[member],
                Value::Null,
                "{member} of {}",
                event.data.type_name()
            );
        }
        let (_, optional) = OPTIONAL_DATA_MEMBERS
            .iter()
            .find(|(type_name, _)| *type_name == event.data.type_name())
            .unwrap();
        let data = json["data"].as_object().unwrap();
        for member in *optional {
            assert_eq!(
                data.get(*member),
                Some(&Value::Null),
                "data.{member} of {}",
                json["type"]
            );
        }
        // The hash covers the nulls: the canonical bytes contain them.
        let canonical = String::from_utf8(canonical(&event.to_json(false))).unwrap();
        for member in optional
            .iter()
            .chain(&["case_ref", "correlation_id", "note"])
        {
            assert!(
                canonical.contains(&format!("\"{member}\":null")),
                "{canonical}"
            );
        }
    }
    for data in every_variant_full() {
        let json = data.to_json();
        let (_, optional) = OPTIONAL_DATA_MEMBERS
            .iter()
            .find(|(type_name, _)| *type_name == data.type_name())
            .unwrap();
        for member in *optional {
            assert_ne!(
                json[*member],
                Value::Null,
                "data.{member} of {}",
                data.type_name()
            );
        }
    }
}

#[test]
fn json_form_round_trips_byte_for_byte() {
    let chains = [every_variant_chain(), every_variant_full_chain()];
    for event in chains.iter().flatten() {
        let line = event.canonical_json();
        let read_back = StoredEvent::from_json(serde_json::from_slice(&line).unwrap()).unwrap();
        assert_eq!(&read_back, event);
        assert_eq!(
            read_back.canonical_json(),
            line,
            "re-export gives the same bytes"
        );
        assert_eq!(StoredEvent::from_json(event.to_json(true)).unwrap(), *event);
    }
}

#[test]
fn json_form_refuses_what_the_ledger_never_writes() {
    let event = &every_variant_chain()[1];
    let changed = |member: &str, value: Value| {
        let mut json = event.to_json(true);
        json[member] = value;
        StoredEvent::from_json(json)
    };
    assert!(changed("extra", json!(1)).is_err());
    assert!(
        changed("hash", json!("AB".repeat(32))).is_err(),
        "upper-case hex"
    );
    assert!(changed("prev_hash", json!("00")).is_err());
    assert!(changed(
        "stream",
        json!("enterprise-00000000-0000-0000-0000-0000000000E0")
    )
    .is_err());
    assert!(changed(
        "stream",
        json!("company-00000000-0000-0000-0000-0000000000e0")
    )
    .is_err());
    assert!(changed("recorded_at", json!("2026-11-27T06:00:00.123Z")).is_err());
    assert!(changed("occurred_on", json!("2022-3-1")).is_err());
    // A schema this binary does not know: its JSON may not be what today's types write.
    assert!(changed("schema", json!(0)).is_err());
    assert!(changed("schema", json!(SCHEMA + 1)).is_err());
    assert!(
        changed("schema", json!(1)).is_ok(),
        "a schema-1 event of a schema-1 type"
    );
    assert!(
        changed("type", json!("EnterpriseClosed")).is_err(),
        "data does not fit the type"
    );
    let mut without_hash = event.to_json(true);
    without_hash.as_object_mut().unwrap().remove("hash");
    assert!(StoredEvent::from_json(without_hash).is_err());
}

/// Runs `tamper` on a valid chain of every variant and renders what the verifier says:
/// `ok <events> <head hash prefix>` or `<index in the list>: <error>`.
#[track_caller]
fn check_chain(tamper: fn(&mut Vec<StoredEvent>), expect: &str) {
    let mut chain = every_variant_chain();
    tamper(&mut chain);
    let mut verifier = Verifier::default();
    let mut outcome = None;
    for (index, event) in chain.iter().enumerate() {
        if let Err(error) = verifier.check(event) {
            outcome = Some(format!("{index}: {error}"));
            break;
        }
    }
    let outcome = outcome.unwrap_or_else(|| {
        assert_eq!(
            verifier.head_hash(),
            chain.last().map_or(Hash::GENESIS, |last| last.hash)
        );
        format!(
            "ok {} {}",
            verifier.events(),
            &verifier.head_hash().to_hex()[..8]
        )
    });
    assert!(
        outcome.starts_with(expect),
        "expected {expect:?}, got {outcome:?}"
    );
}

/// Recomputes an event's hash after tampering, as a forger would.
fn reseal(event: &mut StoredEvent) {
    event.hash = event.compute_hash();
}

#[test]
fn verifier_accepts_a_good_chain() {
    check_chain(|_| {}, "ok 17 ");
    check_chain(|chain| chain.clear(), "ok 0 00000000");
    // A chain read back from its export verifies the same.
    check_chain(
        |chain| {
            for event in chain.iter_mut() {
                *event = StoredEvent::from_json(event.to_json(true)).unwrap();
            }
        },
        "ok 17 ",
    );
}

#[test]
fn verifier_finds_tampering() {
    check_chain(
        |chain| chain[3].note = Some("added later".to_owned()),
        "3: hash does not match the event's content",
    );
    check_chain(
        |chain| {
            let EventData::GrantAwarded(grant) = &mut chain[4].data else {
                unreachable!()
            };
            grant.amount_ore += 1;
        },
        "4: hash does not match",
    );
    check_chain(
        |chain| chain[2].occurred_on = date(2023, 1, 2),
        "2: hash does not match",
    );
    check_chain(
        |chain| chain[5].actor = "mallory".to_owned(),
        "5: hash does not match",
    );
    check_chain(|chain| chain[6].hash.0[0] ^= 1, "6: hash does not match");
    // Changed and re-hashed: the next event's prev_hash no longer matches.
    check_chain(
        |chain| {
            chain[3].note = Some("added later".to_owned());
            reseal(&mut chain[3]);
        },
        "4: prev_hash does not match",
    );
    check_chain(
        |chain| drop(chain.remove(3)),
        "3: expected position 4, found 5",
    );
    check_chain(|chain| drop(chain.pop()), "ok 16 ");
    check_chain(
        |chain| drop(chain.remove(0)),
        "0: expected position 1, found 2",
    );
    check_chain(|chain| chain.swap(2, 3), "2: expected position 3, found 4");
    check_chain(
        |chain| {
            chain[7].prev_hash = chain[5].hash;
            reseal(&mut chain[7]);
        },
        "7: prev_hash does not match",
    );
    check_chain(
        |chain| {
            chain[0].prev_hash = Hash([1; 32]);
            reseal(&mut chain[0]);
        },
        "0: prev_hash does not match",
    );
    // Removed, then the rest renumbered and re-chained: caught only by the stream's versions.
    check_chain(
        |chain| {
            chain.remove(1);
            for index in 1..chain.len() {
                chain[index].position -= 1;
                chain[index].prev_hash = chain[index - 1].hash;
                reseal(&mut chain[index]);
            }
        },
        "1: stream enterprise-00000000-0000-0000-0000-0000000000e0 jumps to version 2, expected 1",
    );
    check_chain(
        |chain| {
            chain[4].recorded_at = recorded_at(-1);
            reseal(&mut chain[4]);
            for index in 5..chain.len() {
                chain[index].prev_hash = chain[index - 1].hash;
                reseal(&mut chain[index]);
            }
        },
        "4: recorded_at is earlier than the event before it",
    );
}

#[test]
fn verifier_is_unchanged_by_a_refused_event() {
    let chain = every_variant_chain();
    let mut verifier = Verifier::default();
    verifier.check(&chain[0]).unwrap();
    let mut forged = chain[1].clone();
    forged.note = Some("forged".to_owned());
    assert_eq!(verifier.check(&forged), Err(ChainError::Hash));
    assert_eq!(verifier.events(), 1);
    for event in &chain[1..] {
        verifier.check(event).unwrap();
    }
    assert_eq!(verifier.head_hash(), chain.last().unwrap().hash);
}

#[test]
fn every_minimal_payload_is_distinct_in_the_hash() {
    // The full and minimal forms of each payload hash differently: no member is left out of it.
    for (minimal, full) in every_variant_minimal()
        .into_iter()
        .zip(every_variant_full())
    {
        if minimal == full {
            continue;
        }
        let [minimal, full] = [minimal, full].map(|data| {
            let event = new_event(uuid(0xE1), date(2023, 1, 1), data);
            seal_chain(vec![event])[0].hash
        });
        assert_ne!(minimal, full);
    }
}
