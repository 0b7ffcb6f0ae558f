//! What a client sends (`EventIn`, DESIGN §3.1), read into a typed, normalised `NewEvent`.

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::catalogue::{error_path, DataError, EventData};
use crate::rules::{normalize, Problem};
use crate::time::parse_date;

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
    let raw: EventInJson = serde_path_to_error::deserialize(value).map_err(|error| {
        let message = error.inner().to_string();
        let path = error_path(error.path().to_string(), &message);
        vec![if path == "." {
            Problem::whole(index, message)
        } else {
            Problem::new(index, &path, message)
        }]
    })?;
    let mut problems = Vec::new();
    let occurred_on = parse_date(&raw.occurred_on)
        .map_err(|message| problems.push(Problem::new(index, "occurred_on", message)))
        .ok();
    let data = EventData::from_json(&raw.type_name, raw.data)
        .map(|mut data| {
            // Normalised once, here, so a retry compares equal to what was stored.
            normalize(&mut data);
            data
        })
        .map_err(|error| problems.push(data_problem(index, error)))
        .ok();
    let case_ref = optional_text(
        index,
        "case_ref",
        raw.case_ref,
        CASE_REF_CHARS_MAX,
        &mut problems,
    );
    let note = optional_text(index, "note", raw.note, NOTE_CHARS_MAX, &mut problems);
    match (occurred_on, data) {
        (Some(occurred_on), Some(data)) if problems.is_empty() => Ok(NewEvent {
            id: raw.id.unwrap_or(fresh_id),
            id_from_client: raw.id.is_some(),
            occurred_on,
            data,
            expected_version: raw.expected_version,
            correlation_id: raw.correlation_id,
            case_ref,
            note,
        }),
        _ => Err(problems),
    }
}

fn data_problem(index: usize, error: DataError) -> Problem {
    match error {
        DataError::UnknownType(_) => Problem::new(index, "type", error.to_string()),
        DataError::Invalid { path, message } => {
            let field = if path == "." {
                "data".to_owned()
            } else {
                format!("data.{path}")
            };
            Problem::new(index, &field, message)
        }
    }
}

/// Trims an optional envelope string: blank becomes a problem, too long becomes a problem.
fn optional_text(
    index: usize,
    field: &str,
    text: Option<String>,
    chars_max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let trimmed = text?.trim().to_owned();
    if trimmed.is_empty() {
        problems.push(Problem::new(
            index,
            field,
            "must not be blank; leave it out or send null",
        ));
    } else if trimmed.chars().count() > chars_max {
        problems.push(Problem::new(
            index,
            field,
            format!("must be at most {chars_max} characters"),
        ));
    }
    Some(trimmed)
}
