//! Erasing personal members of a stored event (CONTRACT §12, ops/decisions/0005): the one path
//! `POST /api/v1/erasures` and `impact-ledger erase` share.
//!
//! The order survives a crash at any point: the erasure is appended durably first, then the
//! keys are destroyed; a start destroys the keys of every recorded erasure still present
//! (`store::settle_erasures`). So a key is never gone without its erasure recorded.

use std::sync::Arc;

use chrono::NaiveDate;
use impact_events::rules::check_alone;
use impact_events::{
    Erasable, EventData, MembersErased, NewEvent, Problem, StoredEvent, Violation,
};
use uuid::Uuid;

use crate::store::{AppendError, AppendRequest, Appended, Ledger, StoreError, Writer};

/// What an admin asks to erase.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The stored event whose members are erased.
    pub event_id: Uuid,
    /// Named as problems name them: `note`, `case_ref`, `data.person_ref`.
    pub members: Vec<String>,
    /// Why: kept in the ledger with the erasure.
    pub reason: String,
}

/// Why an erasure was not recorded.
#[derive(Debug)]
pub enum ErasureError {
    /// No stored event has the id.
    NotFound(Uuid),
    /// A member cannot be erased, or the request is incomplete (422).
    Refused(Vec<Problem>),
    /// A member was erased already, holds nothing, or is hashed as plaintext (409).
    Conflict(Vec<Problem>),
    Append(AppendError),
    Store(StoreError),
}

impl From<StoreError> for ErasureError {
    fn from(error: StoreError) -> Self {
        ErasureError::Store(error)
    }
}

/// Records the erasure, then destroys the members' keys. Answers the erasure's receipt.
pub async fn erase(
    ledger: &Arc<Ledger>,
    writer: &Writer,
    actor: &str,
    request: ErasureRequest,
    today: NaiveDate,
) -> Result<Appended, ErasureError> {
    let members = erasable_members(&request.members)?;
    let event = ledger
        .event_by_id(&request.event_id)?
        .ok_or(ErasureError::NotFound(request.event_id))?;
    check_open(&event, &members)?;
    let erasure = NewEvent {
        id: Uuid::new_v4(),
        id_from_client: false,
        occurred_on: today,
        data: EventData::MembersErased(MembersErased {
            event_id: request.event_id,
            members: members
                .iter()
                .map(|member| member.path().to_owned())
                .collect(),
            reason: request.reason.trim().to_owned(),
        }),
        expected_version: None,
        correlation_id: None,
        case_ref: None,
        note: None,
    };
    // The reason is free text like any other: not blank, no CPR number, no control characters.
    let problems: Vec<_> = check_alone(0, &erasure, today)
        .into_iter()
        .map(|problem| Problem::request("reason", problem.violation))
        .collect();
    if !problems.is_empty() {
        return Err(ErasureError::Refused(problems));
    }
    let append = AppendRequest {
        events: vec![erasure],
        actor: actor.to_owned(),
        today,
    };
    let appended = writer.append(append).await.map_err(ErasureError::Append)?;
    // Durable now: only then is a key destroyed.
    let keys: Vec<_> = members
        .iter()
        .map(|member| (event.position, *member))
        .collect();
    ledger.keys().destroy(&keys)?;
    tracing::info!(
        position = event.position,
        members = keys.len(),
        "erased members of an event"
    );
    Ok(appended)
}

/// The named members, each once, in `Erasable` order; a name that is not erasable is a 422.
fn erasable_members(names: &[String]) -> Result<Vec<Erasable>, ErasureError> {
    if names.is_empty() {
        let problem = Problem::request("members", Violation::NoMembers);
        return Err(ErasureError::Refused(vec![problem]));
    }
    let mut members = Vec::new();
    let mut problems = Vec::new();
    for (index, name) in names.iter().enumerate() {
        match Erasable::from_path(name.trim()) {
            Some(member) => members.push(member),
            None => problems.push(Problem::request(
                &format!("members[{index}]"),
                Violation::NotErasable {
                    member: name.clone(),
                },
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ErasureError::Refused(problems));
    }
    members.sort();
    members.dedup();
    Ok(members)
}

/// Each member must be sealed and still open: holding a value the chain hashes a
/// commitment of.
fn check_open(event: &StoredEvent, members: &[Erasable]) -> Result<(), ErasureError> {
    let mut problems = Vec::new();
    for member in members {
        let path = member.path().to_owned();
        let has_value = member.value(event).is_some_and(|value| !value.is_empty());
        let violation = match event.sealing.member(*member) {
            Some(sealed) if sealed.is_open() => continue,
            Some(_) => Violation::AlreadyErased { member: path },
            None if has_value => Violation::StoredBeforeErasure { member: path },
            None => Violation::NothingToErase { member: path },
        };
        problems.push(Problem::request("members", violation));
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(ErasureError::Conflict(problems)),
    }
}

/// The erasures recorded of `event`, in the order they were made: they are in its stream.
pub fn erasures_of(ledger: &Ledger, event: &StoredEvent) -> Result<Vec<StoredEvent>, StoreError> {
    let stream = ledger.stream(&event.stream)?;
    Ok(stream
        .into_iter()
        .filter(|other| matches!(&other.data, EventData::MembersErased(erased) if erased.event_id == event.id))
        .collect())
}

/// `impact-ledger erase`: the same erasure as the API's, on a data dir the service is not
/// running on. Prints the erasure's receipt.
pub async fn run(args: crate::cli::EraseArgs) -> anyhow::Result<()> {
    crate::auth::check_name(&args.actor)?;
    let state = crate::serve::open_state(&args.data.data)?;
    let request = ErasureRequest {
        event_id: args.event,
        members: args.members,
        reason: args.reason,
    };
    let today = crate::http::events::copenhagen_today();
    let appended = erase(&state.ledger, &state.writer, &args.actor, request, today)
        .await
        .map_err(|error| anyhow::anyhow!(describe(error)))?;
    state.ledger.store().sync()?;
    for receipt in appended.receipts {
        println!(
            "erased: recorded at position {} ({}), hash {}",
            receipt.position, receipt.recorded_at, receipt.hash
        );
    }
    Ok(())
}

/// An erasure refused, in the words the API's problems use.
fn describe(error: ErasureError) -> String {
    let problems = |problems: Vec<Problem>| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    match error {
        ErasureError::NotFound(id) => format!("no event {id} is stored"),
        ErasureError::Refused(found) | ErasureError::Conflict(found) => problems(found),
        ErasureError::Append(AppendError::Refused(found)) => problems(found),
        ErasureError::Append(other) => format!("the ledger cannot take the erasure: {other:?}"),
        ErasureError::Store(error) => error.to_string(),
    }
}
