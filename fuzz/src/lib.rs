//! What the fuzz targets share: a small ledger to check requests against, and the properties
//! every stored event must keep however it was made.
//!
//! The ids of the ledger's entities are small numbers (`00000000-0000-0000-0000-0000000000e0`
//! and so on) that the seed corpus uses too, so the fuzzer reaches the rules that look at
//! what is stored (closing an enterprise, ending an agreement, retracting) from the first run.

use std::sync::OnceLock;

use chrono::NaiveDate;
use impact_events::codec::{decode, encode};
use impact_events::*;
use uuid::Uuid;

/// "Today" for the not-in-the-future rule: fixed, so a crash replays.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).expect("a valid date")
}

pub fn uuid(number: u128) -> Uuid {
    Uuid::from_u128(number)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

/// The stored ledger the requests are checked against, and its head.
#[derive(Clone)]
pub struct Ledger {
    pub state: LedgerState,
    pub head_hash: Hash,
    pub head_position: u64,
    pub head_recorded_at: RecordedAt,
}

/// A strategy, two enterprises (0xE1 closed), two agreements (0xA1 ended), a placement, a grant,
/// a trial, a trend, and a retraction of the trend (0xD0 retracted by 0xF1).
fn payloads() -> Vec<(u128, NaiveDate, EventData)> {
    let enterprise = |id: u128| {
        EventData::EnterpriseRegistered(EnterpriseRegistered {
            enterprise_id: uuid(id),
            name: "Café Kronen".to_owned(),
            kind: EnterpriseKind::Enterprise,
            cvr: Some("10150817".to_owned()),
            rsv: Some(true),
            sdgs: Some(vec![8, 10]),
        })
    };
    let agreement = |id: u128| {
        EventData::AgreementSigned(AgreementSigned {
            agreement_id: uuid(id),
            counterparty: "Frivilligcenter".to_owned(),
            kind: AgreementKind::CivilSociety,
            valid_to: Some(date(2025, 12, 31)),
        })
    };
    vec![
        (
            0x51,
            date(2022, 1, 1),
            EventData::StrategyAdopted(StrategyAdopted {
                strategy_id: uuid(0x51),
                name: "Strategi 2.0".to_owned(),
                from_year: 2022,
                to_year: 2025,
                targets: vec![Target {
                    metric: Metric::PeopleEmployed,
                    per: Per::Year,
                    value: 30,
                }],
            }),
        ),
        (0xE0E0, date(2022, 3, 1), enterprise(0xE0)),
        (0xE1E1, date(2022, 3, 1), enterprise(0xE1)),
        (
            0xE1C1,
            date(2023, 3, 1),
            EventData::EnterpriseClosed(EnterpriseClosed {
                enterprise_id: uuid(0xE1),
                reason: None,
            }),
        ),
        (0xA0A0, date(2022, 4, 1), agreement(0xA0)),
        (0xA1A1, date(2022, 4, 1), agreement(0xA1)),
        (
            0xA1C1,
            date(2023, 4, 1),
            EventData::AgreementEnded(AgreementEnded {
                agreement_id: uuid(0xA1),
                reason: Some("done".to_owned()),
            }),
        ),
        (
            0xB0B0,
            date(2023, 5, 1),
            EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
                placement_id: uuid(0xB0),
                person_ref: "P-0001".to_owned(),
                employment_type: EmploymentType::Flexjob,
                enterprise_id: Some(uuid(0xE0)),
            }),
        ),
        (
            0x9090,
            date(2023, 6, 1),
            EventData::GrantAwarded(GrantAwarded {
                grant_id: uuid(0x90),
                funder: "Fonden X".to_owned(),
                amount_ore: 30_000_000,
                purpose: None,
                enterprise_id: None,
                sdgs: Some(vec![1, 17]),
            }),
        ),
        (
            0x7070,
            date(2023, 7, 1),
            EventData::TrialStarted(TrialStarted {
                trial_id: uuid(0x70),
                title: "Ekstra gear".to_owned(),
                kind: TrialKind::TrialAction,
                partners: Some(vec!["Jobcenter".to_owned()]),
                sdgs: None,
            }),
        ),
        (
            0xD0D0,
            date(2023, 8, 1),
            EventData::TrendNoted(TrendNoted {
                trend_id: uuid(0xD0),
                title: "Sociale klausuler".to_owned(),
                kind: TrendKind::Offer,
                source: None,
                sdgs: None,
            }),
        ),
        (
            0xF1,
            date(2023, 9, 1),
            EventData::EventRetracted(EventRetracted {
                event_id: uuid(0xD0D0),
                reason: "entered twice".to_owned(),
            }),
        ),
    ]
}

/// The ledger, built once through the same rules and sealing a server uses.
pub fn ledger() -> &'static Ledger {
    static LEDGER: OnceLock<Ledger> = OnceLock::new();
    LEDGER.get_or_init(|| {
        let mut ledger = Ledger {
            state: LedgerState::default(),
            head_hash: Hash::GENESIS,
            head_position: 0,
            head_recorded_at: RecordedAt(1_700_000_000_000_000),
        };
        for (id, occurred_on, data) in payloads() {
            let event = NewEvent {
                id: uuid(id),
                id_from_client: true,
                occurred_on,
                data,
                expected_version: None,
                correlation_id: None,
                case_ref: None,
                note: None,
            };
            let stored = store(&mut ledger, vec![event])
                .expect("the fuzz ledger's own events obey the rules");
            assert_eq!(stored.len(), 1);
        }
        ledger
    })
}

/// Admits a request against the ledger and, if it passes, seals and applies its events, as the
/// writer does. Returns the stored events, or the problems.
pub fn store(
    ledger: &mut Ledger,
    mut events: Vec<NewEvent>,
) -> Result<Vec<StoredEvent>, Vec<Problem>> {
    let placed = admit_request(&ledger.state, &mut events, today())?;
    assert_eq!(
        placed.len(),
        events.len(),
        "one placement per admitted event"
    );
    let mut stored = Vec::with_capacity(events.len());
    for (event, (stream, version)) in events.into_iter().zip(placed) {
        ledger.head_position += 1;
        ledger.head_recorded_at = RecordedAt(ledger.head_recorded_at.0 + 1);
        let placement = Placement {
            position: ledger.head_position,
            stream,
            version,
            recorded_at: ledger.head_recorded_at,
            actor: "fuzz".to_owned(),
            prev_hash: ledger.head_hash,
        };
        let event = StoredEvent::seal(event, placement);
        ledger.head_hash = event.hash;
        ledger.state.apply(&event);
        stored.push(event);
    }
    Ok(stored)
}

/// What must hold for every stored event: its canonical JSON (the API's answer and the export
/// line) reads back to the same event and is its own canonical form, its hash is the hash of
/// that JSON, and the storage codec round-trips it.
pub fn check_stored(event: &StoredEvent) {
    let canonical = event.canonical_json();
    let value: serde_json::Value =
        serde_json::from_slice(&canonical).expect("canonical JSON parses");
    let reread = StoredEvent::from_json(value.clone()).expect("canonical JSON reads back");
    assert_eq!(
        &reread, event,
        "canonical JSON reads back to the same event"
    );
    assert_eq!(
        canonical,
        impact_events::canonical(&value),
        "canonical JSON is canonical"
    );
    assert_eq!(reread.compute_hash(), event.compute_hash());
    let bytes = encode(event);
    assert_eq!(&decode(&bytes).expect("an encoded event decodes"), event);
}
