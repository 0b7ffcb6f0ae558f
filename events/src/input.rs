//! What a client sends (`EventIn`, CONTRACT §3.1), read into a typed, normalised `NewEvent`.

use std::cell::RefCell;

use chrono::NaiveDate;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::catalogue::{error_path, DataError, EventData, EVENT_TYPES};
use crate::rules::{check_text, normalize};
use crate::time::read_date;
use crate::violations::{from_serde, Problem, Violation};

/// The most characters a `note` may have.
pub const NOTE_CHARS_MAX: usize = 1000;
/// The most characters a `case_ref` may have.
pub const CASE_REF_CHARS_MAX: usize = 64;

/// An event as the client wrote it, before any rule is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventInJson {
    #[serde(default)]
    id: Option<Uuid>,
    #[serde(rename = "type")]
    type_name: String,
    occurred_on: String,
    data: serde_json::Value,
    #[serde(default)]
    expected_version: Option<u64>,
    #[serde(default)]
    correlation_id: Option<Uuid>,
    #[serde(default)]
    case_ref: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// An event that parsed and is ready to be checked against the ledger's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// The client's id, or one the server chose for it.
    pub id: Uuid,
    /// Whether the client chose the id (only then can a retry be recognised).
    pub id_from_client: bool,
    pub occurred_on: NaiveDate,
    pub data: EventData,
    pub expected_version: Option<u64>,
    pub correlation_id: Option<Uuid>,
    pub case_ref: Option<String>,
    pub note: Option<String>,
}

/// Reads one `EventIn` JSON value; `index` is its place in the request, for error messages.
///
/// `fresh_id` is used when the client sent no id: the caller supplies it, so this stays pure.
pub fn parse_event_in(
    index: usize,
    value: serde_json::Value,
    fresh_id: Uuid,
) -> Result<NewEvent, Vec<Problem>> {
    match parse_event_in_parts(index, value, fresh_id) {
        (Some(event), problems) if problems.is_empty() => Ok(event),
        (Some(event), mut problems) => {
            crate::rules::check_payload(index, &event.data, Some(event.occurred_on), &mut problems);
            Err(problems)
        }
        (None, problems) => Err(problems),
    }
}

/// Reads one `EventIn` JSON value as far as it goes: its problems, and the event to check
/// against the rules and what is stored whenever only its envelope text (`note`, `case_ref`)
/// was refused, left out of it. A clerk who wrote a CPR number in a note then hears at once
/// that the placement is also dated before its enterprise existed (CONTRACT §8: every problem
/// at once), not on the second try.
pub fn parse_event_in_parts(
    index: usize,
    value: serde_json::Value,
    fresh_id: Uuid,
) -> (Option<NewEvent>, Vec<Problem>) {
    let raw: EventInJson = match serde_path_to_error::deserialize(value) {
        Ok(raw) => raw,
        Err(error) => {
            let message = error.inner().to_string();
            let path = error_path(error.path().to_string(), &message);
            let problem = if path == "." {
                Problem::whole(index, Violation::EventNotObject)
            } else {
                Problem::new(index, &path, from_serde(&path, &message))
            };
            return (None, vec![problem]);
        }
    };
    let mut problems = Vec::new();
    let occurred_on = read_date(&raw.occurred_on)
        .map_err(|violation| problems.push(Problem::new(index, "occurred_on", violation)))
        .ok();
    let data = client_type(&raw.type_name)
        .and_then(|()| EventData::from_json(&raw.type_name, raw.data))
        .map(|mut data| {
            // Normalised once, here, so a retry compares equal to what was stored.
            normalize(&mut data);
            data
        })
        .map_err(|error| problems.push(data_problem(index, error)))
        .ok();
    let envelope_problems = problems.len();
    let case_ref = optional_text(
        index,
        "case_ref",
        raw.case_ref,
        CASE_REF_CHARS_MAX,
        &mut problems,
    );
    let note = optional_text(index, "note", raw.note, NOTE_CHARS_MAX, &mut problems);
    let (occurred_on, data) = match (occurred_on, data) {
        (Some(occurred_on), Some(data)) => (occurred_on, data),
        (_, data) => {
            // Nothing of this request will be stored; the payload's own rules are listed too,
            // so one answer names everything to fix.
            if let Some(data) = &data {
                crate::rules::check_payload(index, data, None, &mut problems);
            }
            return (None, problems);
        }
    };
    // A refused note or case_ref is left out: the rest of the event is what it says.
    let clean = |text: Option<String>, field: &str| {
        let refused = problems[envelope_problems..]
            .iter()
            .any(|problem| problem.field.as_deref() == Some(field));
        text.filter(|_| !refused)
    };
    let event = NewEvent {
        id: raw.id.unwrap_or(fresh_id),
        id_from_client: raw.id.is_some(),
        occurred_on,
        data,
        expected_version: raw.expected_version,
        correlation_id: raw.correlation_id,
        case_ref: clean(case_ref, "case_ref"),
        note: clean(note, "note"),
    };
    (Some(event), problems)
}

/// The ledger's own erasure event is appended by `POST /api/v1/erasures` only (CONTRACT §12):
/// a client sending it is answered as for a type it cannot send.
fn client_type(type_name: &str) -> Result<(), DataError> {
    match type_name {
        ERASURE_TYPE => Err(DataError::UnknownType(type_name.to_owned())),
        _ => Ok(()),
    }
}

const ERASURE_TYPE: &str = "MembersErased";

fn data_problem(index: usize, error: DataError) -> Problem {
    match error {
        DataError::UnknownType(name) => {
            let known = EVENT_TYPES
                .iter()
                .filter(|name| **name != ERASURE_TYPE)
                .map(|name| (*name).to_owned())
                .collect();
            Problem::new(index, "type", Violation::UnknownType { name, known })
        }
        DataError::Invalid { path, message } => {
            let field = if path == "." {
                "data".to_owned()
            } else {
                format!("data.{path}")
            };
            Problem::new(index, &field, from_serde(&path, &message))
        }
    }
}

/// Cleans an optional envelope string: blank, too long or unclean text becomes a problem.
fn optional_text(
    index: usize,
    field: &str,
    text: Option<String>,
    chars_max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut text = text?;
    crate::text::normalize(&mut text);
    if let Err(violation) = check_text(&text, chars_max) {
        problems.push(Problem::new(index, field, violation));
    }
    Some(text)
}

/// Why a request body was not read: it is not JSON text at all (400), or its shape or its
/// members are wrong (422).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    Unreadable(Violation),
    Refused(Vec<Problem>),
}

/// Reads an append's body `{"events": [...]}` into its events' JSON values.
///
/// Refuses what serde_json alone lets through: a member written twice at any level (serde_json
/// keeps the last, a proxy or log may keep the first). Problems of the request as a whole name
/// the member `events` and no event.
pub fn read_request(body: &[u8], events_max: usize) -> Result<Vec<Value>, RequestError> {
    let text =
        std::str::from_utf8(body).map_err(|_| RequestError::Unreadable(Violation::NotUtf8))?;
    let value = read_json(text)?;
    let Value::Object(members) = value else {
        return Err(request_problem(Violation::BodyNotObject));
    };
    let mut problems = Vec::new();
    if !members.contains_key("events") {
        problems.push(Problem::request("events", Violation::EventsMissing));
    }
    for name in members.keys().filter(|name| *name != "events") {
        let violation = Violation::UnknownRequestMember { name: name.clone() };
        problems.push(Problem::request(name, violation));
    }
    if !problems.is_empty() {
        return Err(RequestError::Refused(problems));
    }
    let Some(Value::Array(events)) = members.into_iter().next().map(|(_, events)| events) else {
        return Err(request_problem(Violation::EventsNotList));
    };
    if events.is_empty() {
        return Err(request_problem(Violation::EventsEmpty { events_max }));
    }
    if events.len() > events_max {
        let count = events.len();
        return Err(request_problem(Violation::TooManyEvents {
            count,
            events_max,
        }));
    }
    Ok(events)
}

fn request_problem(violation: Violation) -> RequestError {
    RequestError::Refused(vec![Problem::request("events", violation)])
}

/// Parses JSON text as serde_json would, refusing a member written twice in one object.
fn read_json(text: &str) -> Result<Value, RequestError> {
    let duplicate = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_str(text);
    let read = Strict {
        path: Path::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    match (read, duplicate.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(path)) => Err(RequestError::Refused(vec![duplicate_problem(&path)])),
        (Err(error), None) => Err(RequestError::Unreadable(Violation::NotJson {
            detail: error.to_string(),
        })),
    }
}

/// `events[3].data.name` → event 3, member `data.name`; `events` → the request's member.
fn duplicate_problem(path: &str) -> Problem {
    let name = path.rsplit('.').next().unwrap_or(path).to_owned();
    let violation = Violation::DuplicateMember { name };
    let in_event = path
        .strip_prefix("events[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(index, rest)| Some((index.parse().ok()?, rest.strip_prefix('.')?)));
    match in_event {
        Some((index, field)) => Problem::new(index, field, violation),
        None => Problem::request(path, violation),
    }
}

/// Where a value sits in the body, as links to its parent on the stack: written out as
/// `events[3].data.name` only when a member is written twice, so reading allocates nothing
/// for it.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Member(&'p Path<'p>, &'p str),
    Item(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn write(&self, text: &mut String) {
        match self {
            Path::Root => {}
            Path::Member(Path::Root, name) => text.push_str(name),
            Path::Member(parent, name) => {
                parent.write(text);
                text.push('.');
                text.push_str(name);
            }
            Path::Item(parent, index) => {
                parent.write(text);
                text.push_str(&format!("[{index}]"));
            }
        }
    }
}

/// Builds a `serde_json::Value`, noting the path of the first member written twice.
struct Strict<'d, 'p> {
    path: Path<'p>,
    duplicate: &'d RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let seed = Strict {
                path: Path::Item(&self.path, items.len()),
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let path = Path::Member(&self.path, &name);
            if members.contains_key(&name) {
                let mut written = String::new();
                path.write(&mut written);
                *self.duplicate.borrow_mut() = Some(written);
                return Err(serde::de::Error::custom("a member is written twice"));
            }
            let seed = Strict {
                path,
                duplicate: self.duplicate,
            };
            let value = map.next_value_seed(seed)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> Vec<(Option<usize>, Option<String>, &'static str)> {
        match read_request(body.as_bytes(), 1000) {
            Err(RequestError::Refused(problems)) => problems
                .into_iter()
                .map(|problem| (problem.index, problem.field, problem.code))
                .collect(),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_member_written_twice_is_named_by_its_path_at_any_depth() {
        let nested = r#"{"events":[{},{"data":{"targets":[{"metric":1,"metric":2}]}}]}"#;
        let field = Some("data.targets[0].metric".to_owned());
        assert_eq!(refused(nested), [(Some(1), field, "duplicate-member")]);
        let top = r#"{"events":[],"events":[{}]}"#;
        let field = Some("events".to_owned());
        assert_eq!(refused(top), [(None, field, "duplicate-member")]);
        // The same name in two objects is no duplicate.
        let apart = r#"{"events":[{"a":{"x":1},"b":{"x":1}}]}"#;
        assert_eq!(
            read_request(apart.as_bytes(), 1000).map(|events| events.len()),
            Ok(1)
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_or_not_json_is_unreadable() {
        let latin1 = b"{\"events\":[{\"note\":\"Caf\xe9\"}]}";
        assert_eq!(
            read_request(latin1, 1000),
            Err(RequestError::Unreadable(Violation::NotUtf8))
        );
        let trailing = read_request(b"{\"events\":[{}]} x", 1000);
        assert!(matches!(
            trailing,
            Err(RequestError::Unreadable(Violation::NotJson { .. }))
        ));
    }
}
