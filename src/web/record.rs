//! `/record/{EventType}`: one form per event type for staff and admins (CONTRACT §10).
//!
//! Inputs are named as the members of CONTRACT §3 (`name`, `kind`, `cvr`, `occurred_on`, ...);
//! the form is turned into the same `EventIn` JSON a client would send and handed to
//! `http::events::submit`, the API's one path to the writer. Ids are made by the server when
//! the form is first shown and carried in hidden inputs, so sending the same form twice is an
//! idempotent retry, not a second entity. Amounts are typed in kroner with a decimal comma and
//! converted to øre with integer arithmetic only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use impact_events::{EventType, StreamId};
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::layout::{self, Problem};
use super::{html as respond, query_value, see_other, Fields, Visitor, WebState};
use crate::http::caller::STAFF_ADMIN;
use crate::http::error::ApiError;
use crate::reports::Lang;
use impact_events::{Metric, Per};

/// How an input is shown and read.
#[derive(Clone, Copy, Debug)]
pub enum Control {
    Text,
    Long,
    Date,
    /// A whole number (years, target values).
    Whole,
    Choice(&'static [Choice]),
    /// An open enterprise, picked by name and CVR.
    Enterprise,
    /// A placement, grant, agreement, trial or strategy, picked by what names it.
    Pick(Picker),
    /// Kroner with a decimal comma, sent as `amount_ore`.
    Kroner,
    YesNo,
    /// Checkboxes for the Global Goals 1-17.
    Goals,
    /// One item per line.
    Lines,
}

/// The entities a catalogue 2 event is about (CONTRACT §11), each picked from a select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picker {
    Placement,
    Grant,
    Agreement,
    Trial,
    Strategy,
}

#[derive(Clone, Copy, Debug)]
pub struct Choice {
    pub value: &'static str,
    pub da: &'static str,
    pub en: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct Input {
    pub name: &'static str,
    pub da: &'static str,
    pub en: &'static str,
    pub hint: Option<(&'static str, &'static str)>,
    pub control: Control,
    pub required: bool,
}

/// One event type's form.
#[derive(Debug)]
pub struct Form {
    pub event_type: EventType,
    pub da: &'static str,
    pub en: &'static str,
    /// The data member that holds the id of the entity the event creates, if it creates one.
    pub creates: Option<&'static str>,
    pub inputs: &'static [Input],
}

const fn input(
    name: &'static str,
    da: &'static str,
    en: &'static str,
    control: Control,
    required: bool,
) -> Input {
    Input {
        name,
        da,
        en,
        hint: None,
        control,
        required,
    }
}

const fn hinted(
    name: &'static str,
    da: &'static str,
    en: &'static str,
    hint: (&'static str, &'static str),
    control: Control,
    required: bool,
) -> Input {
    Input {
        name,
        da,
        en,
        hint: Some(hint),
        control,
        required,
    }
}

const fn choice(value: &'static str, da: &'static str, en: &'static str) -> Choice {
    Choice { value, da, en }
}

pub const ENTERPRISE_KINDS: &[Choice] = &[
    choice(
        "enterprise",
        "Socialøkonomisk virksomhed",
        "Social-economic enterprise",
    ),
    choice(
        "initiative",
        "Socialøkonomisk initiativ",
        "Social-economic initiative",
    ),
];
pub const EMPLOYMENT_TYPES: &[Choice] = &[
    choice("ordinary", "Ordinær beskæftigelse", "Ordinary employment"),
    choice("flexjob", "Fleksjob", "Flexjob"),
    choice("wage_subsidy", "Løntilskud", "Wage subsidy"),
    choice("sheltered", "Skånejob", "Sheltered job"),
    choice("education", "Uddannelse", "Education"),
    choice("other", "Andet", "Other"),
];
pub const AGREEMENT_KINDS: &[Choice] = &[
    choice("partnership", "Samarbejdsaftale", "Partnership agreement"),
    choice("civil_society", "Civilsamfund", "Civil society"),
    choice("volunteering", "Frivillighed", "Volunteering"),
];
pub const TRIAL_KINDS: &[Choice] = &[
    choice(
        "internal_trial",
        "Internt forsøg (et ekstra gear)",
        "Internal trial (an extra gear)",
    ),
    choice("trial_action", "Prøvehandling", "Trial action"),
];
pub const TREND_KINDS: &[Choice] = &[
    choice("trend", "Trend", "Trend"),
    choice("offer", "Tilbud", "Offer"),
];

pub const PLACEMENT_END_REASONS: &[Choice] = &[
    choice("ended", "Ophørt", "Ended"),
    choice(
        "moved_on",
        "Videre i andet job eller uddannelse",
        "Moved on (to a job or education)",
    ),
    choice("dropped_out", "Faldet fra", "Dropped out"),
    choice("other", "Andet", "Other"),
];
pub const TRIAL_OUTCOMES: &[Choice] = &[
    choice("continued", "Fortsætter", "Continued"),
    choice("adopted", "Gjort til drift", "Adopted"),
    choice("stopped", "Stoppet", "Stopped"),
];

/// The target inputs of a strategy's forms and the metric each sets (CONTRACT §11): a
/// whole number, or kroner for the money metric (sent in øre).
const TARGET_INPUTS: [(&str, Metric); 6] = [
    ("people_employed_per_year", Metric::PeopleEmployed),
    ("enterprises_active_per_period", Metric::EnterprisesActive),
    ("retention_6m_pct_per_year", Metric::RetentionSixMonthsPct),
    ("grants_total_kr_per_year", Metric::GrantsTotalOre),
    ("agreements_active_per_period", Metric::AgreementsActive),
    ("trials_started_per_year", Metric::TrialsStarted),
];

const REASON: Input = input("reason", "Begrundelse", "Reason", Control::Long, false);
const AMOUNT: Input = hinted(
    "amount_kr",
    "Beløb i kroner",
    "Amount in kroner",
    ("Fx 150.000,50", "E.g. 150.000,50"),
    Control::Kroner,
    true,
);
const PICK_GRANT: Input = input(
    "grant_id",
    "Bevilling",
    "Grant",
    Control::Pick(Picker::Grant),
    true,
);
const GOALS: Input = input("sdgs", "Verdensmål", "Global Goals", Control::Goals, false);
const ENTERPRISE_OPTIONAL: Input = hinted(
    "enterprise_id",
    "Virksomhed",
    "Enterprise",
    (
        "Den virksomhed eller det initiativ, det skete i.",
        "The enterprise or initiative where it happened.",
    ),
    Control::Enterprise,
    false,
);

/// Every form, in the order of the catalogue, the retraction last.
pub const FORMS: &[Form] = &[
    Form {
        event_type: EventType::EnterpriseRegistered,
        da: "Registrér virksomhed eller initiativ",
        en: "Register an enterprise or initiative",
        creates: Some("enterprise_id"),
        inputs: &[
            input("name", "Navn", "Name", Control::Text, true),
            input(
                "kind",
                "Type",
                "Kind",
                Control::Choice(ENTERPRISE_KINDS),
                true,
            ),
            hinted(
                "cvr",
                "CVR-nummer",
                "CVR number",
                ("8 cifre.", "8 digits."),
                Control::Text,
                false,
            ),
            input(
                "rsv",
                "Registreret socialøkonomisk virksomhed (RSV)",
                "Registered under the RSV scheme",
                Control::YesNo,
                false,
            ),
            GOALS,
        ],
    },
    Form {
        event_type: EventType::EnterpriseClosed,
        da: "Luk virksomhed eller initiativ",
        en: "Close an enterprise or initiative",
        creates: None,
        inputs: &[
            input(
                "enterprise_id",
                "Virksomhed",
                "Enterprise",
                Control::Enterprise,
                true,
            ),
            REASON,
        ],
    },
    Form {
        event_type: EventType::PersonPlacedInEmployment,
        da: "Registrér ansættelsesforløb",
        en: "Record a placement in employment",
        creates: Some("placement_id"),
        inputs: &[
            hinted(
                "person_ref",
                "Personreference",
                "Person reference",
                (
                    "Pseudonym fra sagssystemet, fx SLA-P-009001. Aldrig et CPR-nummer.",
                    "The case system's pseudonym, e.g. SLA-P-009001. Never a CPR number.",
                ),
                Control::Text,
                true,
            ),
            input(
                "employment_type",
                "Beskæftigelsesform",
                "Employment type",
                Control::Choice(EMPLOYMENT_TYPES),
                true,
            ),
            ENTERPRISE_OPTIONAL,
        ],
    },
    Form {
        event_type: EventType::GrantAwarded,
        da: "Registrér bevilling",
        en: "Record a grant",
        creates: Some("grant_id"),
        inputs: &[
            input("funder", "Bevillingsgiver", "Funder", Control::Text, true),
            hinted(
                "amount_kr",
                "Beløb i kroner",
                "Amount in kroner",
                ("Fx 150.000,50", "E.g. 150.000,50"),
                Control::Kroner,
                true,
            ),
            input("purpose", "Formål", "Purpose", Control::Long, false),
            ENTERPRISE_OPTIONAL,
            GOALS,
        ],
    },
    Form {
        event_type: EventType::AgreementSigned,
        da: "Registrér aftale",
        en: "Record an agreement",
        creates: Some("agreement_id"),
        inputs: &[
            input(
                "counterparty",
                "Aftalepart",
                "Counterparty",
                Control::Text,
                true,
            ),
            input(
                "kind",
                "Type",
                "Kind",
                Control::Choice(AGREEMENT_KINDS),
                true,
            ),
            input("valid_to", "Gælder til", "Valid to", Control::Date, false),
        ],
    },
    Form {
        event_type: EventType::AgreementEnded,
        da: "Afslut aftale",
        en: "End an agreement",
        creates: None,
        inputs: &[
            input(
                "agreement_id",
                "Aftale",
                "Agreement",
                Control::Pick(Picker::Agreement),
                true,
            ),
            REASON,
        ],
    },
    Form {
        event_type: EventType::TrialStarted,
        da: "Registrér forsøg",
        en: "Record a trial",
        creates: Some("trial_id"),
        inputs: &[
            input("title", "Titel", "Title", Control::Text, true),
            input("kind", "Type", "Kind", Control::Choice(TRIAL_KINDS), true),
            hinted(
                "partners",
                "Partnere",
                "Partners",
                ("Én pr. linje.", "One per line."),
                Control::Lines,
                false,
            ),
            GOALS,
        ],
    },
    Form {
        event_type: EventType::TrendNoted,
        da: "Notér trend eller tilbud",
        en: "Note a trend or offer",
        creates: Some("trend_id"),
        inputs: &[
            input("title", "Titel", "Title", Control::Text, true),
            input("kind", "Type", "Kind", Control::Choice(TREND_KINDS), true),
            input("source", "Kilde", "Source", Control::Text, false),
            GOALS,
        ],
    },
    Form {
        event_type: EventType::StrategyAdopted,
        da: "Registrér vedtaget strategi",
        en: "Record an adopted strategy",
        creates: Some("strategy_id"),
        inputs: &[
            input("name", "Navn", "Name", Control::Text, true),
            input("from_year", "Første år", "First year", Control::Whole, true),
            input("to_year", "Sidste år", "Last year", Control::Whole, true),
            input(
                "people_employed_per_year",
                "Mål: personer i beskæftigelse pr. år",
                "Target: people employed per year",
                Control::Whole,
                true,
            ),
            input(
                "enterprises_active_per_period",
                "Mål: aktive virksomheder og initiativer i perioden",
                "Target: active enterprises and initiatives over the period",
                Control::Whole,
                true,
            ),
        ],
    },
    Form {
        event_type: EventType::PlacementEnded,
        da: "Registrér ophørt ansættelsesforløb",
        en: "End a placement",
        creates: None,
        inputs: &[
            input(
                "placement_id",
                "Ansættelsesforløb",
                "Placement",
                Control::Pick(Picker::Placement),
                true,
            ),
            input(
                "reason",
                "Hvordan det ophørte",
                "How it ended",
                Control::Choice(PLACEMENT_END_REASONS),
                true,
            ),
        ],
    },
    Form {
        event_type: EventType::GrantPaid,
        da: "Registrér udbetaling af bevilling",
        en: "Record money paid out on a grant",
        creates: None,
        inputs: &[PICK_GRANT, AMOUNT],
    },
    Form {
        event_type: EventType::GrantReturned,
        da: "Registrér tilbagebetaling af bevilling",
        en: "Record money of a grant paid back",
        creates: None,
        inputs: &[PICK_GRANT, AMOUNT],
    },
    Form {
        event_type: EventType::AgreementRenewed,
        da: "Forny aftale",
        en: "Renew an agreement",
        creates: None,
        inputs: &[
            input(
                "agreement_id",
                "Aftale",
                "Agreement",
                Control::Pick(Picker::Agreement),
                true,
            ),
            input(
                "valid_to",
                "Gælder nu til",
                "Now valid to",
                Control::Date,
                true,
            ),
        ],
    },
    Form {
        event_type: EventType::TrialConcluded,
        da: "Afslut forsøg",
        en: "Conclude a trial",
        creates: None,
        inputs: &[
            input(
                "trial_id",
                "Forsøg",
                "Trial",
                Control::Pick(Picker::Trial),
                true,
            ),
            input(
                "outcome",
                "Udfald",
                "Outcome",
                Control::Choice(TRIAL_OUTCOMES),
                true,
            ),
            input("lessons", "Erfaringer", "Lessons", Control::Long, false),
        ],
    },
    Form {
        event_type: EventType::StrategyRevised,
        da: "Registrér reviderede mål for en strategi",
        en: "Record revised targets of a strategy",
        creates: None,
        inputs: &[
            hinted(
                "strategy_id",
                "Strategi",
                "Strategy",
                (
                    "De nye mål gælder fra datoen ovenfor. Udfyld de mål, strategien har nu.",
                    "The new targets apply from the date above. Fill in the targets the strategy has now.",
                ),
                Control::Pick(Picker::Strategy),
                true,
            ),
            input(
                "people_employed_per_year",
                "Mål: personer i beskæftigelse pr. år",
                "Target: people employed per year",
                Control::Whole,
                false,
            ),
            input(
                "enterprises_active_per_period",
                "Mål: aktive virksomheder og initiativer i perioden",
                "Target: active enterprises and initiatives over the period",
                Control::Whole,
                false,
            ),
            hinted(
                "retention_6m_pct_per_year",
                "Mål: fastholdelse efter 6 måneder i procent pr. år",
                "Target: retention after 6 months in per cent per year",
                (
                    "Andelen af årets ansættelsesforløb, der ikke er afsluttet 6 måneder senere, fx 70.",
                    "The share of the year's placements not ended 6 months later, e.g. 70.",
                ),
                Control::Whole,
                false,
            ),
            hinted(
                "grants_total_kr_per_year",
                "Mål: bevillinger i kroner pr. år",
                "Target: grants in kroner per year",
                ("Fx 2.000.000", "E.g. 2.000.000"),
                Control::Kroner,
                false,
            ),
            input(
                "agreements_active_per_period",
                "Mål: aktive aftaler i perioden",
                "Target: active agreements over the period",
                Control::Whole,
                false,
            ),
            input(
                "trials_started_per_year",
                "Mål: forsøg startet pr. år",
                "Target: trials started per year",
                Control::Whole,
                false,
            ),
        ],
    },
    Form {
        event_type: EventType::EventRetracted,
        da: "Tilbagekald hændelse",
        en: "Retract an event",
        creates: None,
        inputs: &[
            hinted(
                "event_id",
                "Hændelsens id",
                "The event's id",
                (
                    "Lettest fra hændelsens side: vælg \"Tilbagekald\".",
                    "Easiest from the event's page: choose \"Retract\".",
                ),
                Control::Text,
                true,
            ),
            input("reason", "Begrundelse", "Reason", Control::Long, true),
        ],
    },
];

/// The envelope inputs every form has after its own.
const ENVELOPE: &[Input] = &[
    hinted(
        "case_ref",
        "Sagsnummer",
        "Case number",
        ("Fx 24-004614.", "E.g. 24-004614."),
        Control::Text,
        false,
    ),
    hinted(
        "note",
        "Note",
        "Note",
        (
            "Skriv aldrig CPR-numre eller navne på borgere.",
            "Never write CPR numbers or citizens' names.",
        ),
        Control::Long,
        false,
    ),
];

const OCCURRED_ON: Input = hinted(
    "occurred_on",
    "Dato",
    "Date",
    (
        "Den dag det skete, ikke i fremtiden.",
        "The day it happened, not in the future.",
    ),
    Control::Date,
    true,
);

/// The form of the type named `event_type`, or the page saying there is none (404).
fn form_for(visitor: &Visitor, event_type: &str) -> Result<&'static Form, Response> {
    EventType::from_name(event_type)
        .and_then(form_of)
        .ok_or_else(|| {
            let lang = visitor.lang;
            layout::not_found(
                visitor,
                lang.pick(
                    "Der er ingen formular for den hændelsestype.",
                    "There is no form for that event type.",
                ),
            )
        })
}

/// The form staff record an event of `event_type` with: every type has one
/// (`tests/event_types.rs` checks it).
pub fn form_of(event_type: EventType) -> Option<&'static Form> {
    FORMS.iter().find(|form| form.event_type == event_type)
}

/// `/record`: the forms a staff member can open.
pub async fn index(visitor: Visitor) -> Response {
    if let Err(refused) = visitor.require(STAFF_ADMIN) {
        return refused;
    }
    let lang = visitor.lang;
    let title = lang.pick("Registrér en hændelse", "Record an event");
    let body = html! {
        h1 { (title) }
        p.lead { (lang.pick("Vælg hvad der er sket. Alt gemmes i loggen og kan ikke ændres bagefter, kun tilbagekaldes.",
            "Choose what happened. Everything is kept in the log and cannot be changed afterwards, only retracted.")) }
        ul {
            @for form in FORMS {
                li { a href=(format!("/record/{}", form.event_type)) { (lang.pick(form.da, form.en)) } }
            }
        }
    };
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), title, body),
    )
}

/// What a form is shown with: the values typed (or prefilled) and the problems found.
pub struct Filled {
    pub values: Fields,
    pub problems: Vec<Problem>,
}

pub async fn form(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(event_type): Path<String>,
) -> Response {
    if let Err(refused) = visitor.require(STAFF_ADMIN) {
        return refused;
    }
    let form = match form_for(&visitor, &event_type) {
        Ok(form) => form,
        Err(page) => return page,
    };
    // Links may prefill members, e.g. /record/EnterpriseClosed?enterprise_id=...
    let query = visitor.here.split_once('?').map(|(_, query)| query);
    let mut values = Vec::new();
    for input in form.inputs.iter().chain(ENVELOPE) {
        if let Some(value) = query_value(query, input.name) {
            values.push((input.name.to_owned(), value));
        }
    }
    values.push(("id".to_owned(), Uuid::new_v4().to_string()));
    if let Some(member) = form.creates {
        values.push((member.to_owned(), Uuid::new_v4().to_string()));
    }
    let filled = Filled {
        values: Fields(values),
        problems: Vec::new(),
    };
    show(&state, &visitor, form, &filled, StatusCode::OK).await
}

pub async fn submit(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(event_type): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    if let Err(refused) = visitor.check_csrf(&fields) {
        return refused;
    }
    if let Err(refused) = visitor.require(STAFF_ADMIN) {
        return refused;
    }
    let form = match form_for(&visitor, &event_type) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let event = match event_in(form, &fields, visitor.lang) {
        Ok(event) => event,
        Err(problems) => {
            let filled = Filled {
                values: fields,
                problems,
            };
            return show(
                &state,
                &visitor,
                form,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match super::append(&state, &visitor, vec![event]).await {
        Ok(appended) => {
            let event_id = appended
                .receipts
                .first()
                .map(|receipt| receipt.id.to_string())
                .unwrap_or_default();
            see_other(&after_success(form, &fields, &event_id))
        }
        Err(error) => refused(&state, &visitor, form, fields, error).await,
    }
}

/// Where a stored form leads: the page of the entity it created or closed, else the event's.
fn after_success(form: &Form, fields: &Fields, event_id: &str) -> String {
    let entity = form.event_type.stream_kind().and_then(|kind| {
        // Every payload names its entity `<kind>_id`: `enterprise_id`, `grant_id`, ...
        let id = Uuid::parse_str(fields.text(&format!("{}_id", kind.prefix()))?).ok()?;
        Some(super::entity::path_of(&StreamId { kind, id }))
    });
    entity.unwrap_or_else(|| format!("/events/{event_id}"))
}

/// A refusal: rule problems beside their inputs (422 or 409), anything else as one message.
async fn refused(
    state: &WebState,
    visitor: &Visitor,
    form: &Form,
    fields: Fields,
    error: ApiError,
) -> Response {
    let lang = visitor.lang;
    let (status, problems) = match error {
        ApiError::Unprocessable(problems) => (StatusCode::UNPROCESSABLE_ENTITY, problems),
        ApiError::Conflict(problems) => (StatusCode::CONFLICT, problems),
        ApiError::Forbidden { .. } => return layout::forbidden(visitor),
        ApiError::Busy | ApiError::Unavailable | ApiError::Overloaded => {
            let message = lang.pick(
                "Hovedbogen kan ikke gemme lige nu. Intet er gemt; prøv igen om lidt.",
                "The ledger cannot store right now. Nothing was stored; try again in a moment.",
            );
            let filled = Filled {
                values: fields,
                problems: vec![Problem {
                    field: None,
                    message: message.to_owned(),
                }],
            };
            return show(
                state,
                visitor,
                form,
                &filled,
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await;
        }
        other => {
            tracing::error!(?other, "a web form met an unexpected refusal");
            return layout::failure(visitor);
        }
    };
    let problems = problems
        .into_iter()
        .map(|problem| {
            let input = problem
                .field
                .as_deref()
                .and_then(|field| input_of(form, field, &fields));
            // A required input left empty: plain words rather than the API's "send null".
            let empty = input.is_some_and(|name| fields.text(name).is_none());
            let message = if empty {
                lang.pick("Udfyld feltet", "Fill in this field").to_owned()
            } else {
                problem.message
            };
            Problem {
                field: input.map(str::to_owned),
                message,
            }
        })
        .collect();
    show(
        state,
        visitor,
        form,
        &Filled {
            values: fields,
            problems,
        },
        status,
    )
    .await
}

/// The input a problem's `field` (`data.name`, `occurred_on`, `data.sdgs[2]`,
/// `data.targets[1].value`) belongs to in the form filled with `fields`.
pub fn input_of(form: &Form, field: &str, fields: &Fields) -> Option<&'static str> {
    let member = field.strip_prefix("data.").unwrap_or(field);
    let member = member.split(['[', '.']).next().unwrap_or(member);
    let member = match member {
        "amount_ore" => "amount_kr",
        "targets" => return target_input(form, field, fields),
        other => other,
    };
    form.inputs
        .iter()
        .chain(ENVELOPE)
        .chain(std::iter::once(&OCCURRED_ON))
        .find(|input| input.name == member)
        .map(|input| input.name)
}

/// The target input behind `data.targets[i]`: the i-th target input filled in (as
/// `strategy_targets` lists them), or the first of the form when the list itself is at fault.
fn target_input(form: &Form, field: &str, fields: &Fields) -> Option<&'static str> {
    let mut offered = TARGET_INPUTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| form.inputs.iter().any(|input| input.name == *name));
    let index = field
        .split_once('[')
        .and_then(|(_, rest)| rest.split(']').next())
        .and_then(|index| index.parse::<usize>().ok());
    match index {
        Some(index) => offered
            .filter(|name| fields.text(name).is_some())
            .nth(index),
        None => offered.next(),
    }
}

/// The `EventIn` JSON of a filled form, or the problems found before sending it.
pub fn event_in(form: &Form, fields: &Fields, lang: Lang) -> Result<Value, Vec<Problem>> {
    let mut data = Map::new();
    let mut problems = Vec::new();
    if let Some(member) = form.creates {
        data.insert(member.to_owned(), json!(fields.text(member).unwrap_or("")));
    }
    for input in form.inputs {
        match read_input(input, fields, lang) {
            Ok(Some((member, value))) => {
                data.insert(member.to_owned(), value);
            }
            Ok(None) => {}
            Err(message) => problems.push(Problem {
                field: Some(input.name.to_owned()),
                message,
            }),
        }
    }
    if matches!(
        form.event_type,
        EventType::StrategyAdopted | EventType::StrategyRevised
    ) {
        strategy_targets(&mut data);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut event = json!({
        "type": form.event_type.name(),
        "occurred_on": fields.get("occurred_on").unwrap_or("").trim(),
        "data": Value::Object(data),
    });
    if let Some(id) = fields.text("id") {
        event["id"] = json!(id);
    }
    if let Some(text) = fields.text("case_ref") {
        event["case_ref"] = json!(text);
    }
    if let Some(text) = fields.text("note") {
        event["note"] = json!(one_line(text));
    }
    Ok(event)
}

/// The target inputs filled in become the catalogue's `targets` list, in `TARGET_INPUTS`
/// order, each counted as its metric is (`Metric::per`).
fn strategy_targets(data: &mut Map<String, Value>) {
    let mut targets = Vec::new();
    for (name, metric) in TARGET_INPUTS {
        if let Some(value) = data.remove(name) {
            let per = match metric.per() {
                Per::Year => "year",
                Per::Period => "period",
            };
            targets.push(json!({"metric": metric.name(), "per": per, "value": value}));
        }
    }
    data.insert("targets".to_owned(), Value::Array(targets));
}

/// One input's member and JSON value; `None` for an optional input left empty.
fn read_input(
    input: &Input,
    fields: &Fields,
    lang: Lang,
) -> Result<Option<(&'static str, Value)>, String> {
    let text = fields.text(input.name);
    let value = match (input.control, text) {
        (Control::YesNo, _) => Some(json!(text == Some("true"))),
        (Control::Goals, _) => {
            let goals: Vec<u8> = fields
                .all(input.name)
                .iter()
                .filter_map(|goal| goal.parse().ok())
                .collect();
            (!goals.is_empty()).then(|| json!(goals))
        }
        (Control::Lines, Some(text)) => {
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect();
            Some(json!(lines))
        }
        // A textarea invites line breaks, which the ledger refuses in every text (control
        // characters): the lines are joined with a space, as the clerk meant them.
        (Control::Long, Some(text)) => Some(json!(one_line(text))),
        (Control::Whole, Some(text)) => Some(json!(text.parse::<i64>().map_err(|_| {
            lang.pick(
                "Skriv et helt tal, fx 2026",
                "Enter a whole number, e.g. 2026",
            )
            .to_owned()
        })?)),
        (Control::Kroner, Some(text)) => {
            let ore =
                parse_kroner(text).map_err(|message| lang.pick(message.0, message.1).to_owned())?;
            // `amount_kr` is the event's `amount_ore`; a target in kroner stays under its
            // input's name until `strategy_targets` makes it a target in øre.
            let member = if input.name == "amount_kr" {
                "amount_ore"
            } else {
                input.name
            };
            return Ok(Some((member, json!(ore))));
        }
        (Control::Kroner, None) if input.required => {
            return Err(lang
                .pick(
                    "Skriv beløbet i kroner, fx 150.000,50",
                    "Enter the amount in kroner, e.g. 150.000,50",
                )
                .to_owned());
        }
        (Control::Whole, None) if input.required => {
            return Err(lang
                .pick("Skriv et helt tal", "Enter a whole number")
                .to_owned());
        }
        // A required text left empty is sent empty, so the rules say what is missing.
        (_, None) if input.required => Some(json!("")),
        (_, None) => None,
        (_, Some(text)) => Some(json!(text)),
    };
    Ok(value.map(|value| (input.name, value)))
}

/// The lines of a textarea as one line: each trimmed, the empty ones left out, joined by a
/// space.
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Kroner as typed in Denmark ("150.000,50", "150000", "1.000") to øre, exactly: integer
/// arithmetic only. A point separates thousands (groups of three), a comma the øre.
pub fn parse_kroner(text: &str) -> Result<i64, (&'static str, &'static str)> {
    const FORMAT: (&str, &str) = (
        "Skriv beløbet i kroner med decimalkomma, fx 150.000,50",
        "Enter the amount in kroner with a decimal comma, e.g. 150.000,50",
    );
    let text = text
        .trim()
        .trim_end_matches("kr.")
        .trim_end_matches("kr")
        .trim();
    let (whole, fraction) = text.split_once(',').unwrap_or((text, ""));
    let groups: Vec<&str> = whole.split('.').collect();
    let grouped_well = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|group| group.len() == 3));
    let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !grouped_well || !groups.iter().all(|group| digits_only(group)) {
        return Err(FORMAT);
    }
    if fraction.len() > 2 || !digits_only(fraction) || (text.contains(',') && fraction.is_empty()) {
        return Err(FORMAT);
    }
    let kroner: i64 = groups.concat().parse().map_err(|_| FORMAT)?;
    let ore: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| FORMAT)? * 10,
        _ => fraction.parse().map_err(|_| FORMAT)?,
    };
    kroner
        .checked_mul(100)
        .and_then(|value| value.checked_add(ore))
        .ok_or(("Beløbet er for stort", "The amount is too large"))
}

/// Renders the form with its values and problems.
pub async fn show(
    state: &WebState,
    visitor: &Visitor,
    form: &Form,
    filled: &Filled,
    status: StatusCode,
) -> Response {
    let options = options(state, visitor, form).await;
    let lang = visitor.lang;
    let title = lang.pick(form.da, form.en);
    let body = html! {
        (layout::error_summary(lang, &labelled(form, &filled.problems, lang)))
        h1 { (title) }
        form method="post" action=(format!("/record/{}", form.event_type)) novalidate {
            (layout::csrf(visitor))
            @if let Some(id) = filled.values.get("id") { input type="hidden" name="id" value=(id); }
            @if let Some(member) = form.creates {
                @if let Some(id) = filled.values.get(member) { input type="hidden" name=(member) value=(id); }
            }
            (all_fields(form, filled, lang, &options))
            button.primary type="submit" { (lang.pick("Gem", "Save")) }
        }
    };
    respond(
        status,
        layout::page(lang, &visitor.here, Some(visitor), title, body),
    )
}

/// One input with its label, hint and messages, showing the value typed.
pub fn field(input: &Input, filled: &Filled, lang: Lang, options: &Options) -> Markup {
    let name = input.name;
    let messages = layout::messages_for(&filled.problems, name);
    let hint = input.hint.map(|(da, en)| lang.pick(da, en));
    let described = layout::described_by(name, hint.is_some(), !messages.is_empty());
    let invalid = (!messages.is_empty()).then_some("true");
    let value = filled.values.get(name).unwrap_or("");
    let id = format!("f-{name}");
    let label = if input.required {
        lang.pick(input.da, input.en).to_owned()
    } else {
        format!(
            "{} {}",
            lang.pick(input.da, input.en),
            lang.pick("(valgfri)", "(optional)")
        )
    };
    let control = match input.control {
        Control::Text | Control::Kroner => html! {
            input #(id) type="text" name=(name) value=(value) aria-describedby=[described] aria-invalid=[invalid]
                inputmode=[matches!(input.control, Control::Kroner).then_some("decimal")];
        },
        Control::Whole => html! {
            input.short #(id) type="text" inputmode="numeric" name=(name) value=(value) aria-describedby=[described] aria-invalid=[invalid];
        },
        Control::Date => html! {
            input.short #(id) type="date" name=(name) value=(value) aria-describedby=[described] aria-invalid=[invalid];
        },
        Control::Long | Control::Lines => html! {
            textarea #(id) name=(name) rows="3" aria-describedby=[described] aria-invalid=[invalid] { (value) }
        },
        Control::Choice(choices) => html! {
            select #(id) name=(name) aria-describedby=[described] aria-invalid=[invalid] {
                option value="" { (lang.pick("Vælg", "Choose")) }
                @for choice in choices {
                    option value=(choice.value) selected[value == choice.value] { (lang.pick(choice.da, choice.en)) }
                }
            }
        },
        Control::Enterprise | Control::Pick(_) => {
            let choices = options.of(input.control);
            // A value not among the choices (an entity older than the newest the picker
            // lists, named by a link or a correction) stays chosen, shown by its id.
            let unlisted = (!value.is_empty()
                && !choices
                    .iter()
                    .any(|(choice, _)| choice.to_string() == value))
            .then_some(value);
            html! {
                select #(id) name=(name) aria-describedby=[described] aria-invalid=[invalid] {
                    option value="" { (if input.required { lang.pick("Vælg", "Choose") } else { lang.pick("Ingen", "None") }) }
                    @if let Some(value) = unlisted { option value=(value) selected { (value) } }
                    @for (choice, label) in choices {
                        @let option_value = choice.to_string();
                        option value=(option_value) selected[value == option_value] { (label) }
                    }
                }
            }
        }
        Control::YesNo => html! {
            div.checks { label { input #(id) type="checkbox" name=(name) value="true" checked[value == "true"]; (lang.pick("Ja", "Yes")) } }
        },
        Control::Goals => return goals(input, filled, lang, &messages),
    };
    layout::group(name, &label, hint, &messages, control)
}

fn goals(input: &Input, filled: &Filled, lang: Lang, messages: &[&str]) -> Markup {
    let chosen = filled.values.all(input.name);
    html! {
        fieldset class={"group" @if !messages.is_empty() { " group-error" }} #(format!("f-{}", input.name)) {
            legend { (lang.pick(input.da, input.en)) " " (lang.pick("(valgfri)", "(optional)")) }
            @for message in messages { p.error-message { (message) } }
            div.checks {
                @for goal in 1u8..=17 {
                    @let value = goal.to_string();
                    label title=(crate::reports::words::sdg(lang, goal).unwrap_or("")) {
                        input type="checkbox" name=(input.name) value=(value) checked[chosen.contains(&value.as_str())];
                        (goal) " " (crate::reports::words::sdg(lang, goal).unwrap_or(""))
                    }
                }
            }
        }
    }
}

/// The choices of a form's pickers, each (id, label), sorted by label.
#[derive(Debug, Default)]
pub struct Options {
    enterprises: Vec<(Uuid, String)>,
    picked: Vec<(Picker, Vec<(Uuid, String)>)>,
}

impl Options {
    fn of(&self, control: Control) -> &[(Uuid, String)] {
        match control {
            Control::Enterprise => &self.enterprises,
            Control::Pick(picker) => self
                .picked
                .iter()
                .find(|(listed, _)| *listed == picker)
                .map_or(&[], |(_, choices)| choices.as_slice()),
            _ => &[],
        }
    }
}

/// Loads the choices of every picker `form` has (none for a form without one).
pub async fn options(state: &WebState, visitor: &Visitor, form: &Form) -> Options {
    let mut options = Options::default();
    for input in form.inputs {
        match input.control {
            Control::Enterprise => options.enterprises = open_enterprises(state).await,
            Control::Pick(picker) => {
                let choices = pick_options(state, visitor, picker).await;
                options.picked.push((picker, choices));
            }
            _ => {}
        }
    }
    options
}

/// The newest `PAGE_LIMIT_MAX` items of a list (its last page of that size), each as (id,
/// label): a large log has more placements than a select can offer, and the one to end is
/// most likely recent.
async fn newest<T, F, Fut>(
    fetch: F,
    choice: impl Fn(T) -> (Uuid, String),
) -> Result<Vec<(Uuid, String)>, ApiError>
where
    F: Fn(impact_projections::Paging) -> Fut,
    Fut: std::future::Future<Output = Result<crate::http::lists::ListPage<T>, ApiError>>,
{
    let limit = impact_projections::PAGE_LIMIT_MAX;
    let paging = |offset| impact_projections::Paging { offset, limit };
    let mut page = fetch(paging(0)).await?;
    if page.total > limit {
        page = fetch(paging(page.total - limit)).await?;
    }
    Ok(page.items.into_iter().map(choice).collect())
}

/// A grant, trial or trend query for one page of everything.
fn every<K>(paging: impact_projections::Paging) -> impact_projections::EntryQuery<K> {
    impact_projections::EntryQuery {
        paging,
        ..Default::default()
    }
}

/// The choices of one picker, sorted by label (none if the list cannot be read: the form
/// still shows, and its select says to choose).
async fn pick_options(state: &WebState, visitor: &Visitor, picker: Picker) -> Vec<(Uuid, String)> {
    match listed_choices(state, visitor, picker).await {
        Ok(mut choices) => {
            choices.sort_by_key(|(_, label)| label.to_lowercase());
            choices
        }
        Err(error) => {
            tracing::error!(?error, ?picker, "listing the choices of a picker");
            Vec::new()
        }
    }
}

/// The choices of one picker, from the API's own lists (`http::lists`; a placement picker is
/// a person-level read and is written to the access log as such).
async fn listed_choices(
    state: &WebState,
    visitor: &Visitor,
    picker: Picker,
) -> Result<Vec<(Uuid, String)>, ApiError> {
    use crate::http::lists::{list_agreements, list_grants, list_placements, list_trials};
    use impact_projections::{AgreementQuery, PlacementQuery};
    let (app, now, lang) = (
        &state.app,
        crate::http::figures::AsOf::default(),
        visitor.lang,
    );
    let kroner = |ore| crate::reports::words::NumberStyle::of(lang).kroner(ore);
    match picker {
        Picker::Placement => {
            let query = |paging| PlacementQuery {
                paging,
                ..Default::default()
            };
            let fetch = |paging| {
                list_placements(
                    app,
                    &visitor.caller,
                    &now,
                    query(paging),
                    "picker=PlacementEnded",
                )
            };
            newest(fetch, |item| {
                let at = item.enterprise_name.unwrap_or_else(|| "–".to_owned());
                (
                    item.placement_id,
                    format!("{} · {at} · {}", item.person_ref, item.occurred_on),
                )
            })
            .await
        }
        Picker::Grant => {
            let fetch = |paging| list_grants(app, &now, every(paging));
            newest(fetch, |item| {
                let amount = kroner(item.amount_ore);
                (
                    item.grant_id,
                    format!("{} · {amount} kr. · {}", item.funder, item.occurred_on),
                )
            })
            .await
        }
        Picker::Agreement => {
            let query = |paging| AgreementQuery {
                paging,
                ..Default::default()
            };
            newest(
                |paging| list_agreements(app, &now, query(paging)),
                |item| {
                    let kind = super::lists::label_of(lang, AGREEMENT_KINDS, item.kind);
                    (
                        item.agreement_id,
                        format!("{} · {kind} · {}", item.counterparty, item.signed_on),
                    )
                },
            )
            .await
        }
        Picker::Trial => {
            let fetch = |paging| list_trials(app, &now, every(paging));
            newest(fetch, |item| {
                (
                    item.trial_id,
                    format!("{} · {}", item.title, item.occurred_on),
                )
            })
            .await
        }
        Picker::Strategy => Ok(strategies(state)),
    }
}

/// Years before and after this one whose strategy in force the strategy picker offers.
const STRATEGY_YEARS_AROUND: i32 = 10;

/// The strategies in force in the years around this one: those a revision can be about.
fn strategies(state: &WebState) -> Vec<(Uuid, String)> {
    state.app.ledger.with_read(strategies_in)
}

fn strategies_in(read: &crate::store::ReadModel) -> Vec<(Uuid, String)> {
    let now = super::layout::this_year();
    let mut found: Vec<(Uuid, String)> = Vec::new();
    for year in now - STRATEGY_YEARS_AROUND..=now + STRATEGY_YEARS_AROUND {
        let Some(targets) = read.projection.targets(year) else {
            continue;
        };
        let strategy = targets.strategy;
        if !found.iter().any(|(id, _)| *id == strategy.strategy_id) {
            let label = format!(
                "{} ({}–{})",
                strategy.name, strategy.from_year, strategy.to_year
            );
            found.push((strategy.strategy_id, label));
        }
    }
    found
}

/// The enterprises that are open now, by name, with their CVR, for the pickers: the API's
/// own enterprise list (`http::lists`), at most a page of the largest size.
pub async fn open_enterprises(state: &WebState) -> Vec<(Uuid, String)> {
    let query = impact_projections::EnterpriseQuery {
        status: Some(impact_projections::EnterpriseStatus::Active),
        paging: impact_projections::Paging {
            offset: 0,
            limit: impact_projections::PAGE_LIMIT_MAX,
        },
        ..Default::default()
    };
    let as_of = crate::http::figures::AsOf::default();
    let page = match crate::http::lists::list_enterprises(&state.app, &as_of, query).await {
        Ok(page) => page,
        Err(error) => {
            tracing::error!(?error, "listing the enterprises for a picker");
            return Vec::new();
        }
    };
    let mut options: Vec<(Uuid, String)> = page
        .items
        .into_iter()
        .map(|item| {
            let label = match &item.cvr {
                Some(cvr) => format!("{} (CVR {cvr})", item.name),
                None => item.name,
            };
            (item.enterprise_id, label)
        })
        .collect();
    options.sort_by_key(|option| option.1.to_lowercase());
    options
}

/// The date, the form's own inputs and the envelope's, in that order.
pub fn all_fields(form: &Form, filled: &Filled, lang: Lang, options: &Options) -> Markup {
    html! {
        (field(&OCCURRED_ON, filled, lang, options))
        @for input in form.inputs { (field(input, filled, lang, options)) }
        @for input in ENVELOPE { (field(input, filled, lang, options)) }
    }
}

/// The form's values for a stored event, for its correction: every member as it was typed.
pub fn values_of(form: &Form, event: &impact_events::StoredEvent) -> Vec<(String, String)> {
    let data = event.data.to_json();
    let mut values = vec![("occurred_on".to_owned(), event.occurred_on.to_string())];
    for (member, value) in [("case_ref", &event.case_ref), ("note", &event.note)] {
        if let Some(value) = value {
            values.push((member.to_owned(), value.clone()));
        }
    }
    if let Some(member) = form.creates {
        if let Some(id) = data.get(member).and_then(Value::as_str) {
            values.push((member.to_owned(), id.to_owned()));
        }
    }
    for input in form.inputs {
        values.extend(input_values(input, &data));
    }
    values
}

fn input_values(input: &Input, data: &Value) -> Vec<(String, String)> {
    let name = input.name.to_owned();
    let target = |metric: &str| {
        data["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|target| target["metric"] == metric)
            .and_then(|target| target["value"].as_i64())
    };
    let kroner = |ore| crate::reports::words::NumberStyle::DANISH.kroner(ore);
    let metric = TARGET_INPUTS
        .iter()
        .find(|(target_input, _)| *target_input == input.name)
        .map(|(_, metric)| *metric);
    let text = match (input.control, input.name) {
        (Control::Kroner, _) if metric.is_some() => {
            metric.and_then(|metric| target(metric.name())).map(kroner)
        }
        (_, _) if metric.is_some() => metric
            .and_then(|metric| target(metric.name()))
            .map(|value| value.to_string()),
        (Control::Kroner, _) => data["amount_ore"].as_i64().map(kroner),
        (Control::Goals, _) => {
            let goals = data[input.name].as_array().into_iter().flatten();
            return goals.map(|goal| (name.clone(), goal.to_string())).collect();
        }
        (Control::Lines, _) => data[input.name].as_array().map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        }),
        (_, member) => match &data[member] {
            Value::String(text) => Some(text.clone()),
            Value::Bool(flag) => flag.then(|| "true".to_owned()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        },
    };
    text.map(|text| vec![(name, text)]).unwrap_or_default()
}

/// The problems as the summary lists them: each named by its input's label, so a message such
/// as "must not be empty" says what must not be.
pub fn labelled(form: &Form, problems: &[Problem], lang: Lang) -> Vec<Problem> {
    problems
        .iter()
        .map(|problem| {
            let input = form
                .inputs
                .iter()
                .chain(ENVELOPE)
                .chain(std::iter::once(&OCCURRED_ON))
                .find(|input| Some(input.name) == problem.field.as_deref());
            let message = match input {
                Some(input) => format!("{}: {}", lang.pick(input.da, input.en), problem.message),
                None => problem.message.clone(),
            };
            Problem {
                field: problem.field.clone(),
                message,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_kroner;

    #[test]
    fn kroner_with_a_decimal_comma_become_exact_ore() {
        let cases: &[(&str, Option<i64>)] = &[
            ("150.000,50", Some(15_000_050)),
            ("150000,5", Some(15_000_050)),
            ("150000", Some(15_000_000)),
            ("1.000", Some(100_000)),
            ("0,01", Some(1)),
            (" 2.500,00 kr.", Some(250_000)),
            ("92.233.720.368.547.758,07", Some(i64::MAX)),
            ("92.233.720.368.547.758,08", None),
            ("150.5", None),
            ("150,505", None),
            ("1.00,00", None),
            ("12,", None),
            ("-5", None),
            ("1e5", None),
            ("", None),
            ("150 000", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_kroner(text).ok(), *expected, "{text}");
        }
    }
}
