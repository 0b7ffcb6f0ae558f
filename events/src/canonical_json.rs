//! The canonical JSON of a stored event (RFC 8785), written straight from its fields.
//!
//! `canonical(&event.to_json(..))` first builds a `serde_json::Value` tree: about 15
//! allocations, chrono's formatter and two hex strings per event, 70% of `compute_hash`
//! (docs/PERFORMANCE.md, finding 1). This writes the same bytes into one buffer. It is not a
//! canonicalizer of its own: serde_json still writes every string, integer, option and list,
//! so the escapes are the ones `stored::canonical` relies on. Written here by hand are only the
//! order of object members, which is fixed per struct and so needs no sorting at run time, and
//! the ASCII text of dates, instants, stream names and hashes.
//!
//! `StoredEvent::to_json` stays the oracle: a property test in `events/tests/codec.rs` compares
//! the two, and serde_jcs, over events of every variant. Each payload is destructured without
//! `..`, so a new field does not compile until it is written here too.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use serde::Serialize;

use crate::catalogue::{
    AgreementEnded, AgreementRenewed, AgreementSigned, EnterpriseClosed, EnterpriseRegistered,
    EventData, EventRetracted, GrantAwarded, GrantPaid, GrantReturned, MembersErased,
    PersonPlacedInEmployment, PlacementEnded, StrategyAdopted, StrategyRevised, StreamId, Target,
    TrendNoted, TrialConcluded, TrialStarted,
};
use crate::stored::{Hash, StoredEvent};
use crate::time::{format_date, RecordedAt};

/// Appends the canonical JSON of `event`, with or without its `hash` member, to `out`.
pub(crate) fn write_event(event: &StoredEvent, with_hash: bool, out: &mut Vec<u8>) {
    let StoredEvent {
        position,
        id,
        stream,
        version,
        schema,
        occurred_on,
        recorded_at,
        actor,
        correlation_id,
        case_ref,
        note,
        data,
        prev_hash,
        hash,
        sealing: _,
    } = event;
    let mut object = Object::open(out);
    object.member("actor", actor);
    object.member("case_ref", case_ref);
    object.member("correlation_id", correlation_id);
    write_data(data, object.key("data"));
    if with_hash {
        write_hash(*hash, object.key("hash"));
    }
    object.member("id", id);
    object.member("note", note);
    write_date(*occurred_on, object.key("occurred_on"));
    object.member("position", position);
    write_hash(*prev_hash, object.key("prev_hash"));
    write_instant(*recorded_at, object.key("recorded_at"));
    object.member("schema", schema);
    write_stream(*stream, object.key("stream"));
    object.member("type", data.type_name());
    object.member("version", version);
    object.close();
}

/// The payload as `EventData::to_json` has it: every field, `None` as null, members sorted.
fn write_data(data: &EventData, out: &mut Vec<u8>) {
    let mut object = Object::open(out);
    match data {
        EventData::StrategyAdopted(StrategyAdopted {
            strategy_id,
            name,
            from_year,
            to_year,
            targets,
        }) => {
            object.member("from_year", from_year);
            object.member("name", name);
            object.member("strategy_id", strategy_id);
            write_targets(targets, object.key("targets"));
            object.member("to_year", to_year);
        }
        EventData::EnterpriseRegistered(EnterpriseRegistered {
            enterprise_id,
            name,
            kind,
            cvr,
            rsv,
            sdgs,
        }) => {
            object.member("cvr", cvr);
            object.member("enterprise_id", enterprise_id);
            object.member("kind", kind);
            object.member("name", name);
            object.member("rsv", rsv);
            object.member("sdgs", sdgs);
        }
        EventData::EnterpriseClosed(EnterpriseClosed {
            enterprise_id,
            reason,
        }) => {
            object.member("enterprise_id", enterprise_id);
            object.member("reason", reason);
        }
        EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
            placement_id,
            person_ref,
            employment_type,
            enterprise_id,
        }) => {
            object.member("employment_type", employment_type);
            object.member("enterprise_id", enterprise_id);
            object.member("person_ref", person_ref);
            object.member("placement_id", placement_id);
        }
        EventData::GrantAwarded(GrantAwarded {
            grant_id,
            funder,
            amount_ore,
            purpose,
            enterprise_id,
            sdgs,
        }) => {
            object.member("amount_ore", amount_ore);
            object.member("enterprise_id", enterprise_id);
            object.member("funder", funder);
            object.member("grant_id", grant_id);
            object.member("purpose", purpose);
            object.member("sdgs", sdgs);
        }
        EventData::AgreementSigned(AgreementSigned {
            agreement_id,
            counterparty,
            kind,
            valid_to,
        }) => {
            object.member("agreement_id", agreement_id);
            object.member("counterparty", counterparty);
            object.member("kind", kind);
            // Through chrono's `Serialize`, as `to_json` writes it: rare enough not to matter.
            object.member("valid_to", valid_to);
        }
        EventData::AgreementEnded(AgreementEnded {
            agreement_id,
            reason,
        }) => {
            object.member("agreement_id", agreement_id);
            object.member("reason", reason);
        }
        EventData::TrialStarted(TrialStarted {
            trial_id,
            title,
            kind,
            partners,
            sdgs,
        }) => {
            object.member("kind", kind);
            object.member("partners", partners);
            object.member("sdgs", sdgs);
            object.member("title", title);
            object.member("trial_id", trial_id);
        }
        EventData::TrendNoted(TrendNoted {
            trend_id,
            title,
            kind,
            source,
            sdgs,
        }) => {
            object.member("kind", kind);
            object.member("sdgs", sdgs);
            object.member("source", source);
            object.member("title", title);
            object.member("trend_id", trend_id);
        }
        EventData::EventRetracted(EventRetracted { event_id, reason }) => {
            object.member("event_id", event_id);
            object.member("reason", reason);
        }
        EventData::MembersErased(MembersErased {
            event_id,
            members,
            reason,
        }) => {
            object.member("event_id", event_id);
            object.member("members", members);
            object.member("reason", reason);
        }
        EventData::PlacementEnded(_)
        | EventData::GrantPaid(_)
        | EventData::GrantReturned(_)
        | EventData::AgreementRenewed(_)
        | EventData::TrialConcluded(_)
        | EventData::StrategyRevised(_) => write_data_catalogue2(data, &mut object),
    }
    object.close();
}

/// The payloads added by catalogue 2 (schema 2).
fn write_data_catalogue2(data: &EventData, object: &mut Object<'_>) {
    match data {
        EventData::PlacementEnded(PlacementEnded {
            placement_id,
            reason,
        }) => {
            object.member("placement_id", placement_id);
            object.member("reason", reason);
        }
        EventData::GrantPaid(GrantPaid {
            grant_id,
            amount_ore,
        })
        | EventData::GrantReturned(GrantReturned {
            grant_id,
            amount_ore,
        }) => {
            object.member("amount_ore", amount_ore);
            object.member("grant_id", grant_id);
        }
        EventData::AgreementRenewed(AgreementRenewed {
            agreement_id,
            valid_to,
        }) => {
            object.member("agreement_id", agreement_id);
            object.member("valid_to", valid_to);
        }
        EventData::TrialConcluded(TrialConcluded {
            trial_id,
            outcome,
            lessons,
        }) => {
            object.member("lessons", lessons);
            object.member("outcome", outcome);
            object.member("trial_id", trial_id);
        }
        EventData::StrategyRevised(StrategyRevised {
            strategy_id,
            targets,
        }) => {
            object.member("strategy_id", strategy_id);
            write_targets(targets, object.key("targets"));
        }
        EventData::StrategyAdopted(_)
        | EventData::EnterpriseRegistered(_)
        | EventData::EnterpriseClosed(_)
        | EventData::PersonPlacedInEmployment(_)
        | EventData::GrantAwarded(_)
        | EventData::AgreementSigned(_)
        | EventData::AgreementEnded(_)
        | EventData::TrialStarted(_)
        | EventData::TrendNoted(_)
        | EventData::EventRetracted(_)
        | EventData::MembersErased(_) => unreachable!("write_data writes the others' payloads"),
    }
}

fn write_targets(targets: &[Target], out: &mut Vec<u8>) {
    out.push(b'[');
    for (index, Target { metric, per, value }) in targets.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let mut object = Object::open(out);
        object.member("metric", metric);
        object.member("per", per);
        object.member("value", value);
        object.close();
    }
    out.push(b']');
}

/// A JSON object being written. Members must come in sorted key order, which debug builds
/// (and so every test) check; keys are plain ASCII identifiers, so they need no escaping and
/// their byte order is RFC 8785's UTF-16 order.
struct Object<'out> {
    out: &'out mut Vec<u8>,
    previous_key: Option<&'static str>,
}

impl<'out> Object<'out> {
    fn open(out: &'out mut Vec<u8>) -> Self {
        out.push(b'{');
        Object {
            out,
            previous_key: None,
        }
    }

    /// Writes `"key":` and gives the buffer to write the member's value into.
    fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        debug_assert!(
            self.previous_key.is_none_or(|previous| previous < key),
            "`{key}` is written out of order"
        );
        if self.previous_key.is_some() {
            self.out.push(b',');
        }
        self.previous_key = Some(key);
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A member whose value serde_json writes: a string, integer, boolean, option, list or
    /// unit enum variant, never a struct (its fields would come in declaration order).
    fn member<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        serde_json::to_writer(self.key(key), value)
            .expect("strings, integers and lists always serialize to JSON");
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn write_hash(hash: Hash, out: &mut Vec<u8>) {
    let mut hex = [0; 64];
    hex::encode_to_slice(hash.0, &mut hex).expect("32 bytes are 64 hex digits");
    out.push(b'"');
    out.extend_from_slice(&hex);
    out.push(b'"');
}

fn write_stream(stream: StreamId, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(stream.kind.prefix().as_bytes());
    out.push(b'-');
    let id = stream.id.hyphenated();
    out.extend_from_slice(id.encode_lower(&mut uuid::Uuid::encode_buffer()).as_bytes());
    out.push(b'"');
}

/// `format_date`'s `YYYY-MM-DD` without chrono's formatter; other years (a sign and five or
/// more digits) are left to `format_date` itself.
fn write_date(date: NaiveDate, out: &mut Vec<u8>) {
    if !(0..=9999).contains(&date.year()) {
        serde_json::to_writer(out, &format_date(date)).expect("a string serializes to JSON");
        return;
    }
    out.push(b'"');
    write_calendar_date(date, out);
    out.push(b'"');
}

/// `RecordedAt`'s `Display` (`%Y-%m-%dT%H:%M:%S%.6fZ`) without chrono's formatter; instants
/// outside the years 0000 to 9999, which the codec refuses, are left to `Display` itself.
fn write_instant(recorded_at: RecordedAt, out: &mut Vec<u8>) {
    let instant = DateTime::from_timestamp_micros(recorded_at.0)
        .filter(|instant| (0..=9999).contains(&instant.year()));
    let Some(instant) = instant else {
        serde_json::to_writer(out, &recorded_at.to_string()).expect("a string serializes to JSON");
        return;
    };
    out.push(b'"');
    write_calendar_date(instant.date_naive(), out);
    out.push(b'T');
    write_digits(instant.hour(), 2, out);
    out.push(b':');
    write_digits(instant.minute(), 2, out);
    out.push(b':');
    write_digits(instant.second(), 2, out);
    out.push(b'.');
    write_digits(instant.timestamp_subsec_micros(), 6, out);
    out.extend_from_slice(b"Z\"");
}

/// `YYYY-MM-DD` of a date in the years 0000 to 9999.
fn write_calendar_date(date: NaiveDate, out: &mut Vec<u8>) {
    write_digits(date.year().unsigned_abs(), 4, out);
    out.push(b'-');
    write_digits(date.month(), 2, out);
    out.push(b'-');
    write_digits(date.day(), 2, out);
}

/// Writes the last `width` decimal digits of `value`, zero-padded.
fn write_digits(value: u32, width: u32, out: &mut Vec<u8>) {
    for place in (0..width).rev() {
        let digit = value / 10_u32.pow(place) % 10;
        out.push(b'0' + digit as u8);
    }
}
