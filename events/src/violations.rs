//! Every way a request can be refused: one variant per rule, with the values it is about, a
//! stable `code`, and its words in Danish and English, written here and nowhere else.
//!
//! The API answers in English unless the client asks for Danish (`Accept-Language: da`); the
//! web app shows the Danish words beside each form field. Messages say what the member must be
//! in plain words: never a Rust type or a parser's internals.

use std::fmt;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::catalogue::{Metric, Per, StreamId};

/// The language a violation is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    Danish,
    #[default]
    English,
}

impl Language {
    /// The first language of an `Accept-Language` header this ledger speaks; English otherwise.
    pub fn from_accept_language(header: &str) -> Self {
        let mut weighted: Vec<(u16, Language)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|piece| piece.trim().strip_prefix("q="))
                    .map_or(1000, thousandths);
                let primary = tag.split('-').next().unwrap_or_default().to_owned();
                match primary.as_str() {
                    "da" => Some((quality, Language::Danish)),
                    "en" => Some((quality, Language::English)),
                    _ => None,
                }
            })
            .collect();
        // Stable: of equal weights, the one written first wins.
        weighted.sort_by_key(|(quality, _)| std::cmp::Reverse(*quality));
        weighted
            .first()
            .filter(|(quality, _)| *quality > 0)
            .map_or(Language::English, |(_, language)| *language)
    }
}

/// An `Accept-Language` weight (`q=0.5`) in thousandths, without floating point; 0 if unreadable.
fn thousandths(weight: &str) -> u16 {
    let (whole, fraction) = weight.split_once('.').unwrap_or((weight, ""));
    let digits = format!("{fraction:0<3}");
    match (whole.parse::<u16>(), digits.get(..3).map(str::parse::<u16>)) {
        (Ok(whole), Some(Ok(fraction))) if whole <= 1 => (whole * 1000 + fraction).min(1000),
        _ => 0,
    }
}

/// What a member must hold, told from its name, for "must be ..." messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// `amount_ore`.
    AmountOre,
    /// `from_year`, `to_year`.
    Year,
    /// `expected_version`.
    Version,
    /// A target's `value`.
    WholeNumber,
    /// One of `sdgs`.
    Goal,
    /// Any `*_id` and `id`.
    Uuid,
    /// `occurred_on`, `valid_to`.
    Date,
    /// `rsv`.
    Boolean,
    /// `targets`, `partners`, `sdgs`.
    List,
    /// `data`, one of `targets`, the body.
    Object,
    Text,
}

impl Expected {
    /// What the member named by the last part of `path` must hold.
    pub fn of_member(path: &str) -> Self {
        let last = path.rsplit('.').next().unwrap_or(path);
        let (name, in_list) = match last.split_once('[') {
            Some((name, _)) => (name, true),
            None => (last, false),
        };
        match (name, in_list) {
            ("sdgs", true) => Expected::Goal,
            ("targets", true) | ("data", _) | ("", _) => Expected::Object,
            ("partners", true) => Expected::Text,
            ("sdgs" | "targets" | "partners", false) => Expected::List,
            ("amount_ore", _) => Expected::AmountOre,
            ("from_year" | "to_year", _) => Expected::Year,
            ("expected_version", _) => Expected::Version,
            ("value", _) => Expected::WholeNumber,
            ("id", _) => Expected::Uuid,
            (name, _) if name.ends_with("_id") => Expected::Uuid,
            ("occurred_on" | "valid_to", _) => Expected::Date,
            ("rsv", _) => Expected::Boolean,
            _ => Expected::Text,
        }
    }

    fn words(self, language: Language) -> &'static str {
        use Language::*;
        match (self, language) {
            (Expected::AmountOre, English) => {
                "must be a whole number of øre, e.g. 15000050 for 150.000,50 kr."
            }
            (Expected::AmountOre, Danish) => {
                "skal være et helt antal øre, fx 15000050 for 150.000,50 kr."
            }
            (Expected::Year, English) => "must be a year written as a whole number, e.g. 2024",
            (Expected::Year, Danish) => "skal være et årstal skrevet som et helt tal, fx 2024",
            (Expected::Version, English) => "must be a whole number, 0 or more",
            (Expected::Version, Danish) => "skal være et helt tal, 0 eller mere",
            (Expected::WholeNumber, English) => "must be a whole number, e.g. 30",
            (Expected::WholeNumber, Danish) => "skal være et helt tal, fx 30",
            (Expected::Goal, English) => "must be a UN goal number from 1 to 17",
            (Expected::Goal, Danish) => "skal være et verdensmål: et tal fra 1 til 17",
            (Expected::Uuid, English) => {
                "must be an id of 32 hex digits in the form 7c0e2a4b-1d3f-4a5b-8c6d-9e0f1a2b3c4d"
            }
            (Expected::Uuid, Danish) => {
                "skal være et id på 32 hex-cifre på formen 7c0e2a4b-1d3f-4a5b-8c6d-9e0f1a2b3c4d"
            }
            (Expected::Date, English) => "must be a date written YYYY-MM-DD, e.g. 2024-03-01",
            (Expected::Date, Danish) => "skal være en dato skrevet ÅÅÅÅ-MM-DD, fx 2024-03-01",
            (Expected::Boolean, English) => "must be true or false",
            (Expected::Boolean, Danish) => "skal være true eller false",
            (Expected::List, English) => "must be a list in square brackets [...]",
            (Expected::List, Danish) => "skal være en liste i firkantede parenteser [...]",
            (Expected::Object, English) => "must be an object in curly braces {...}",
            (Expected::Object, Danish) => "skal være et objekt i krøllede parenteser {...}",
            (Expected::Text, English) => "must be text in double quotes",
            (Expected::Text, Danish) => "skal være tekst i dobbelte anførselstegn",
        }
    }
}

/// Every `Violation::code`, in the order of the variants.
pub const CODES: [&str; 82] = [
    "not-utf8",
    "not-json",
    "body-not-object",
    "events-missing",
    "events-not-list",
    "events-empty",
    "too-many-events",
    "unknown-request-member",
    "event-not-object",
    "duplicate-member",
    "missing-member",
    "unknown-member",
    "not-one-of",
    "unknown-type",
    "wrong-kind",
    "not-a-date",
    "no-such-date",
    "blank",
    "too-long",
    "control-character",
    "cpr-number",
    "person-ref-length",
    "person-ref-characters",
    "cvr-digits",
    "cvr-checksum",
    "in-future",
    "too-early",
    "event-too-large",
    "amount-not-positive",
    "integer-too-large",
    "negative",
    "not-a-goal",
    "goal-twice",
    "implausible-year",
    "years-reversed",
    "no-targets",
    "wrong-per",
    "metric-twice",
    "valid-to-before-signed",
    "too-many-partners",
    "id-twice-in-request",
    "entity-twice-in-request",
    "no-enterprise",
    "enterprise-closed",
    "before-registration",
    "after-closure",
    "no-agreement",
    "agreement-ended",
    "before-signing",
    "no-event",
    "retraction-of-retraction",
    "already-retracted",
    "not-erasable",
    "no-members",
    "already-erased",
    "nothing-to-erase",
    "stored-before-erasure",
    "stream-full",
    "entity-stored",
    "version-mismatch",
    "cvr-held",
    "id-stored-other-content",
    "retry-partly-new",
    "stored-unreadable",
    "no-placement",
    "placement-ended",
    "before-placement",
    "no-grant",
    "before-award",
    "paid-beyond-award",
    "returned-beyond-paid",
    "retraction-breaks-grant",
    "valid-to-before-renewal",
    "no-trial",
    "trial-concluded",
    "before-trial-start",
    "no-strategy",
    "before-adoption",
    "revision-after-period",
    "percent-above-100",
    "reopens-held-cvr",
    "before-activity",
];

/// One broken rule or conflict, with the values it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    // The request as a whole.
    /// The body is not UTF-8 text.
    NotUtf8,
    /// The body is not JSON; `detail` is where the reader stopped.
    NotJson {
        detail: String,
    },
    BodyNotObject,
    EventsMissing,
    EventsNotList,
    EventsEmpty {
        events_max: usize,
    },
    TooManyEvents {
        count: usize,
        events_max: usize,
    },
    /// A member of the body other than `events`.
    UnknownRequestMember {
        name: String,
    },

    // The shape of a member.
    EventNotObject,
    DuplicateMember {
        name: String,
    },
    MissingMember {
        name: String,
    },
    UnknownMember {
        name: String,
        allowed: Vec<String>,
    },
    NotOneOf {
        value: String,
        allowed: Vec<String>,
    },
    UnknownType {
        name: String,
        known: Vec<String>,
    },
    WrongKind {
        expected: Expected,
    },
    NotADate {
        text: String,
    },
    NoSuchDate {
        text: String,
    },

    // Text.
    Blank,
    TooLong {
        chars_max: usize,
    },
    ControlCharacter {
        code_point: u32,
    },
    CprNumber,
    PersonRefLength {
        chars_max: usize,
    },
    PersonRefCharacters,
    CvrDigits,
    CvrChecksum {
        cvr: String,
    },

    // Numbers and dates of one event.
    InFuture {
        date: NaiveDate,
        today: NaiveDate,
    },
    TooEarly {
        date: NaiveDate,
        earliest: NaiveDate,
    },
    EventTooLarge {
        bytes: u64,
        bytes_max: u64,
    },
    AmountNotPositive,
    IntegerTooLarge {
        max: i64,
    },
    Negative,
    NotAGoal {
        goal: u8,
    },
    GoalTwice {
        goal: u8,
    },
    ImplausibleYear {
        year: i32,
    },
    YearsReversed,
    NoTargets,
    WrongPer {
        metric: Metric,
    },
    MetricTwice,
    ValidToBeforeSigned,
    TooManyPartners {
        partners_max: usize,
    },
    IdTwiceInRequest {
        id: Uuid,
    },
    EntityTwiceInRequest {
        stream: StreamId,
    },

    // What is stored.
    NoEnterprise {
        id: Uuid,
    },
    EnterpriseAlreadyClosed {
        id: Uuid,
    },
    BeforeRegistration {
        registered_on: NaiveDate,
    },
    AfterClosure {
        closed_on: NaiveDate,
    },
    NoAgreement {
        id: Uuid,
    },
    AgreementAlreadyEnded {
        id: Uuid,
    },
    BeforeSigning {
        signed_on: NaiveDate,
    },
    NoEvent {
        id: Uuid,
    },
    RetractionOfRetraction,
    AlreadyRetracted {
        id: Uuid,
    },
    /// An erasure names a member that cannot hold personal data (CONTRACT §12).
    NotErasable {
        member: String,
    },
    /// An erasure names no member.
    NoMembers,
    /// The member was erased already.
    AlreadyErased {
        member: String,
    },
    /// The member holds no value.
    NothingToErase {
        member: String,
    },
    /// The event was stored before erasure existed: its plaintext is hashed.
    StoredBeforeErasure {
        member: String,
    },
    /// The stream already holds the most events one entity may have (a close/retract loop).
    StreamFull {
        stream: StreamId,
        events_max: u64,
    },

    // Conflicts with what is stored (409).
    EntityStored {
        stream: StreamId,
        position: u64,
    },
    VersionMismatch {
        expected: u64,
        actual: u64,
    },
    CvrHeld {
        cvr: String,
        enterprise_id: Uuid,
        name: String,
    },
    IdStoredOtherContent {
        id: Uuid,
        position: u64,
    },
    RetryPartlyNew,
    StoredUnreadable,

    // Catalogue 2 (CONTRACT §11): the lives of placements, grants, agreements, trials, strategies.
    NoPlacement {
        id: Uuid,
    },
    PlacementAlreadyEnded {
        id: Uuid,
    },
    BeforePlacement {
        placed_on: NaiveDate,
    },
    NoGrant {
        id: Uuid,
    },
    BeforeAward {
        awarded_on: NaiveDate,
    },
    /// Paid less returned would exceed what was awarded.
    PaidBeyondAward {
        awarded_ore: i64,
        balance_ore: i64,
    },
    /// More would be returned than is paid and not yet returned.
    ReturnedBeyondPaid {
        balance_ore: i64,
    },
    /// Retracting a payment or return would leave the grant's balance below 0 or above the award.
    RetractionBreaksGrant,
    ValidToBeforeRenewal,
    NoTrial {
        id: Uuid,
    },
    TrialAlreadyConcluded {
        id: Uuid,
    },
    BeforeTrialStart {
        started_on: NaiveDate,
    },
    NoStrategy {
        id: Uuid,
    },
    BeforeAdoption {
        adopted_on: NaiveDate,
    },
    RevisionAfterPeriod {
        to_year: i32,
    },
    PercentAbove100,
    /// Retracting this closure would reopen an enterprise whose CVR another open enterprise
    /// now holds (a conflict, 409).
    ReopensHeldCvr {
        cvr: String,
        enterprise_id: Uuid,
        name: String,
    },
    /// A closure dated before a placement or grant stored at the enterprise.
    BeforeActivity {
        active_on: NaiveDate,
        position: u64,
    },
}

impl Violation {
    /// A conflict with what is stored (409) rather than a broken rule (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Violation::EntityStored { .. }
                | Violation::VersionMismatch { .. }
                | Violation::CvrHeld { .. }
                | Violation::ReopensHeldCvr { .. }
                | Violation::IdStoredOtherContent { .. }
                | Violation::RetryPartlyNew
                | Violation::StoredUnreadable
                | Violation::AlreadyErased { .. }
                | Violation::NothingToErase { .. }
                | Violation::StoredBeforeErasure { .. }
        )
    }

    /// A stable name for the rule, for programs and for the staff guide's table.
    pub fn code(&self) -> &'static str {
        use Violation::*;
        match self {
            NotUtf8 => "not-utf8",
            NotJson { .. } => "not-json",
            BodyNotObject => "body-not-object",
            EventsMissing => "events-missing",
            EventsNotList => "events-not-list",
            EventsEmpty { .. } => "events-empty",
            TooManyEvents { .. } => "too-many-events",
            UnknownRequestMember { .. } => "unknown-request-member",
            EventNotObject => "event-not-object",
            DuplicateMember { .. } => "duplicate-member",
            MissingMember { .. } => "missing-member",
            UnknownMember { .. } => "unknown-member",
            NotOneOf { .. } => "not-one-of",
            UnknownType { .. } => "unknown-type",
            WrongKind { .. } => "wrong-kind",
            NotADate { .. } => "not-a-date",
            NoSuchDate { .. } => "no-such-date",
            Blank => "blank",
            TooLong { .. } => "too-long",
            ControlCharacter { .. } => "control-character",
            CprNumber => "cpr-number",
            PersonRefLength { .. } => "person-ref-length",
            PersonRefCharacters => "person-ref-characters",
            CvrDigits => "cvr-digits",
            CvrChecksum { .. } => "cvr-checksum",
            InFuture { .. } => "in-future",
            TooEarly { .. } => "too-early",
            EventTooLarge { .. } => "event-too-large",
            AmountNotPositive => "amount-not-positive",
            IntegerTooLarge { .. } => "integer-too-large",
            Negative => "negative",
            NotAGoal { .. } => "not-a-goal",
            GoalTwice { .. } => "goal-twice",
            ImplausibleYear { .. } => "implausible-year",
            YearsReversed => "years-reversed",
            NoTargets => "no-targets",
            WrongPer { .. } => "wrong-per",
            MetricTwice => "metric-twice",
            ValidToBeforeSigned => "valid-to-before-signed",
            TooManyPartners { .. } => "too-many-partners",
            IdTwiceInRequest { .. } => "id-twice-in-request",
            EntityTwiceInRequest { .. } => "entity-twice-in-request",
            NoEnterprise { .. } => "no-enterprise",
            EnterpriseAlreadyClosed { .. } => "enterprise-closed",
            BeforeRegistration { .. } => "before-registration",
            AfterClosure { .. } => "after-closure",
            NoAgreement { .. } => "no-agreement",
            AgreementAlreadyEnded { .. } => "agreement-ended",
            BeforeSigning { .. } => "before-signing",
            NoEvent { .. } => "no-event",
            RetractionOfRetraction => "retraction-of-retraction",
            AlreadyRetracted { .. } => "already-retracted",
            NotErasable { .. } => "not-erasable",
            NoMembers => "no-members",
            AlreadyErased { .. } => "already-erased",
            NothingToErase { .. } => "nothing-to-erase",
            StoredBeforeErasure { .. } => "stored-before-erasure",
            StreamFull { .. } => "stream-full",
            EntityStored { .. } => "entity-stored",
            VersionMismatch { .. } => "version-mismatch",
            CvrHeld { .. } => "cvr-held",
            IdStoredOtherContent { .. } => "id-stored-other-content",
            RetryPartlyNew => "retry-partly-new",
            StoredUnreadable => "stored-unreadable",
            NoPlacement { .. } => "no-placement",
            PlacementAlreadyEnded { .. } => "placement-ended",
            BeforePlacement { .. } => "before-placement",
            NoGrant { .. } => "no-grant",
            BeforeAward { .. } => "before-award",
            PaidBeyondAward { .. } => "paid-beyond-award",
            ReturnedBeyondPaid { .. } => "returned-beyond-paid",
            RetractionBreaksGrant => "retraction-breaks-grant",
            ValidToBeforeRenewal => "valid-to-before-renewal",
            NoTrial { .. } => "no-trial",
            TrialAlreadyConcluded { .. } => "trial-concluded",
            BeforeTrialStart { .. } => "before-trial-start",
            NoStrategy { .. } => "no-strategy",
            BeforeAdoption { .. } => "before-adoption",
            RevisionAfterPeriod { .. } => "revision-after-period",
            PercentAbove100 => "percent-above-100",
            ReopensHeldCvr { .. } => "reopens-held-cvr",
            BeforeActivity { .. } => "before-activity",
        }
    }

    /// The message in the given language: what is wrong and what to send instead.
    pub fn render(&self, language: Language) -> String {
        match language {
            Language::English => self.english(),
            Language::Danish => self.danish(),
        }
    }

    fn english(&self) -> String {
        self.request_english()
            .or_else(|| self.shape_english())
            .or_else(|| self.event_english())
            .unwrap_or_else(|| self.stored_english())
    }

    fn danish(&self) -> String {
        self.request_danish()
            .or_else(|| self.shape_danish())
            .or_else(|| self.event_danish())
            .unwrap_or_else(|| self.stored_danish())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.english())
    }
}

/// `a, b or c`.
fn listed(items: &[String], or: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {or} {last}", rest.join(", ")),
    }
}

fn character(code_point: u32) -> String {
    format!("U+{code_point:04X}")
}

impl Violation {
    fn request_english(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            NotUtf8 => "the body is not UTF-8 text; save the file as UTF-8 (in Notepad: \
                        Save as, Encoding: UTF-8) and send it again"
                .to_owned(),
            NotJson { detail } => format!("the body is not valid JSON: {detail}"),
            BodyNotObject => "the body must be an object: {\"events\": [...]}".to_owned(),
            EventsMissing => "the body must have the member events: {\"events\": [...]}".to_owned(),
            EventsNotList => "must be a list of events in square brackets [...]".to_owned(),
            EventsEmpty { events_max } => {
                format!("the list is empty; send 1 to {events_max} events per request")
            }
            TooManyEvents { count, events_max } => {
                format!("{count} events; send 1 to {events_max} events per request")
            }
            UnknownRequestMember { name } => {
                format!(
                    "the body has no member {name}; it holds only events: {{\"events\": [...]}}"
                )
            }
            _ => return None,
        })
    }

    fn request_danish(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            NotUtf8 => "indholdet er ikke UTF-8-tekst; gem filen som UTF-8 (i Notesblok: Gem \
                        som, Kodning: UTF-8) og send den igen"
                .to_owned(),
            NotJson { detail } => format!("indholdet er ikke gyldig JSON: {detail}"),
            BodyNotObject => "indholdet skal være et objekt: {\"events\": [...]}".to_owned(),
            EventsMissing => "indholdet skal have feltet events: {\"events\": [...]}".to_owned(),
            EventsNotList => {
                "skal være en liste af hændelser i firkantede parenteser [...]".to_owned()
            }
            EventsEmpty { events_max } => {
                format!("listen er tom; send 1 til {events_max} hændelser pr. anmodning")
            }
            TooManyEvents { count, events_max } => {
                format!("{count} hændelser; send 1 til {events_max} hændelser pr. anmodning")
            }
            UnknownRequestMember { name } => {
                format!(
                    "indholdet har intet felt {name}; det rummer kun events: {{\"events\": [...]}}"
                )
            }
            _ => return None,
        })
    }

    fn shape_english(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            EventNotObject => "each event must be an object in curly braces {...}".to_owned(),
            DuplicateMember { name } => {
                format!("{name} is written twice; write each member once")
            }
            MissingMember { name } => format!("{name} is missing; it is required"),
            UnknownMember { name, allowed } => format!(
                "there is no member {name} here; check the spelling (the members are {})",
                listed(allowed, "and")
            ),
            NotOneOf { value, allowed } => {
                format!(
                    "\"{value}\" is not allowed here; use {}",
                    listed(allowed, "or")
                )
            }
            UnknownType { name, known } => {
                format!("there is no event type {name}; use {}", listed(known, "or"))
            }
            WrongKind { expected } => expected.words(Language::English).to_owned(),
            NotADate { text } => {
                format!("{text} is not a date written YYYY-MM-DD, e.g. 2024-03-01")
            }
            NoSuchDate { text } => format!("{text} does not exist in the calendar"),
            Blank => {
                "must not be empty; leave the member out or send null if it is optional".to_owned()
            }
            TooLong { chars_max } => format!("must be at most {chars_max} characters"),
            ControlCharacter { code_point } => format!(
                "holds the invisible control character {}; type the text again without it (no \
                 line breaks, tabs or direction marks)",
                character(*code_point)
            ),
            CprNumber => "holds what looks like a CPR number; never write a CPR number in the \
                          ledger (use the pseudonymous reference from the case system)"
                .to_owned(),
            PersonRefLength { chars_max } => format!("must be 1 to {chars_max} characters"),
            PersonRefCharacters => "may only hold letters A-Z, digits, _ and -".to_owned(),
            CvrDigits => "a CVR number is exactly 8 digits, without spaces".to_owned(),
            CvrChecksum { cvr } => {
                format!("{cvr} fails the CVR modulus-11 check; check for a typing mistake")
            }
            _ => return None,
        })
    }

    fn shape_danish(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            EventNotObject => {
                "hver hændelse skal være et objekt i krøllede parenteser {...}".to_owned()
            }
            DuplicateMember { name } => {
                format!("{name} står der to gange; skriv hvert felt én gang")
            }
            MissingMember { name } => format!("{name} mangler; feltet er påkrævet"),
            UnknownMember { name, allowed } => format!(
                "feltet {name} findes ikke her; tjek stavningen (felterne er {})",
                listed(allowed, "og")
            ),
            NotOneOf { value, allowed } => {
                format!(
                    "\"{value}\" er ikke tilladt her; brug {}",
                    listed(allowed, "eller")
                )
            }
            UnknownType { name, known } => {
                format!(
                    "hændelsestypen {name} findes ikke; brug {}",
                    listed(known, "eller")
                )
            }
            WrongKind { expected } => expected.words(Language::Danish).to_owned(),
            NotADate { text } => {
                format!("{text} er ikke en dato skrevet ÅÅÅÅ-MM-DD, fx 2024-03-01")
            }
            NoSuchDate { text } => format!("{text} findes ikke i kalenderen"),
            Blank => {
                "må ikke være tom; udelad feltet eller send null, hvis det er valgfrit".to_owned()
            }
            TooLong { chars_max } => format!("må højst være {chars_max} tegn"),
            ControlCharacter { code_point } => format!(
                "indeholder det usynlige kontroltegn {}; skriv teksten igen uden det (ingen \
                 linjeskift, tabulatorer eller retningstegn)",
                character(*code_point)
            ),
            CprNumber => "indeholder noget, der ligner et CPR-nummer; skriv aldrig et \
                          CPR-nummer i ledgeren (brug den pseudonyme henvisning fra sagssystemet)"
                .to_owned(),
            PersonRefLength { chars_max } => format!("skal være 1 til {chars_max} tegn"),
            PersonRefCharacters => "må kun indeholde bogstaverne A-Z, cifre, _ og -".to_owned(),
            CvrDigits => "et CVR-nummer er præcis 8 cifre uden mellemrum".to_owned(),
            CvrChecksum { cvr } => {
                format!("{cvr} består ikke CVR-nummerets modulus 11-kontrol; tjek for en tastefejl")
            }
            _ => return None,
        })
    }
}

fn metric_name(metric: Metric) -> &'static str {
    metric.name()
}

fn metric_per(metric: Metric, language: Language) -> &'static str {
    match (metric.per(), language) {
        (Per::Year, Language::English) => "per year",
        (Per::Period, Language::English) => "per period",
        (Per::Year, Language::Danish) => "pr. år (year)",
        (Per::Period, Language::Danish) => "for hele perioden (period)",
    }
}

impl Violation {
    fn event_english(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            InFuture { date, today } => {
                format!("{date} is in the future (today is {today} in Copenhagen)")
            }
            TooEarly { date, earliest } => format!("{date} is before {earliest}; check the year"),
            EventTooLarge { bytes, bytes_max } => format!(
                "the event takes {bytes} bytes; one event may take at most {bytes_max}; \
                 shorten the texts"
            ),
            AmountNotPositive => "must be a whole number of øre greater than 0".to_owned(),
            IntegerTooLarge { max } => format!("must be at most {max}"),
            Negative => "must not be negative".to_owned(),
            NotAGoal { goal } => format!("{goal} is not a UN goal; the goals are 1 to 17"),
            GoalTwice { goal } => format!("goal {goal} is listed twice"),
            ImplausibleYear { year } => format!("{year} is not a plausible year"),
            YearsReversed => "must not be before from_year".to_owned(),
            NoTargets => "a strategy needs at least one target".to_owned(),
            WrongPer { metric } => format!(
                "{} is counted {}",
                metric_name(*metric),
                metric_per(*metric, Language::English)
            ),
            MetricTwice => "this metric already has a target in this strategy".to_owned(),
            ValidToBeforeSigned => {
                "must not be before the agreement was signed (occurred_on)".to_owned()
            }
            TooManyPartners { partners_max } => format!("at most {partners_max} partners"),
            IdTwiceInRequest { id } => {
                format!("event id {id} appears more than once in this request")
            }
            EntityTwiceInRequest { stream } => format!(
                "{stream} is already created by an earlier event of this request; a new one \
                 needs a new id"
            ),
            _ => return None,
        })
    }

    fn event_danish(&self) -> Option<String> {
        use Violation::*;
        Some(match self {
            InFuture { date, today } => {
                format!("{date} ligger i fremtiden (i dag er {today} i København)")
            }
            TooEarly { date, earliest } => format!("{date} er før {earliest}; tjek årstallet"),
            EventTooLarge { bytes, bytes_max } => format!(
                "hændelsen fylder {bytes} bytes; en hændelse må højst fylde {bytes_max}; \
                 gør teksterne kortere"
            ),
            AmountNotPositive => "skal være et helt antal øre over 0".to_owned(),
            IntegerTooLarge { max } => format!("må højst være {max}"),
            Negative => "må ikke være negativ".to_owned(),
            NotAGoal { goal } => format!("{goal} er ikke et verdensmål; målene er 1 til 17"),
            GoalTwice { goal } => format!("mål {goal} står der to gange"),
            ImplausibleYear { year } => format!("{year} er ikke et sandsynligt årstal"),
            YearsReversed => "må ikke være før from_year".to_owned(),
            NoTargets => "en strategi skal have mindst ét mål".to_owned(),
            WrongPer { metric } => format!(
                "{} tælles {}",
                metric_name(*metric),
                metric_per(*metric, Language::Danish)
            ),
            MetricTwice => "dette mål har allerede en målsætning i strategien".to_owned(),
            ValidToBeforeSigned => "må ikke være før aftalen blev indgået (occurred_on)".to_owned(),
            TooManyPartners { partners_max } => format!("højst {partners_max} partnere"),
            IdTwiceInRequest { id } => {
                format!("hændelses-id {id} står mere end én gang i anmodningen")
            }
            EntityTwiceInRequest { stream } => format!(
                "{stream} oprettes allerede af en tidligere hændelse i anmodningen; en ny skal \
                 have et nyt id"
            ),
            _ => return None,
        })
    }

    fn stored_english(&self) -> String {
        use Violation::*;
        match self {
            NoEnterprise { id } => format!("no enterprise {id} is registered"),
            EnterpriseAlreadyClosed { id } => format!("enterprise {id} is already closed"),
            BeforeRegistration { registered_on } => {
                format!("must not be before the enterprise's registration on {registered_on}")
            }
            AfterClosure { closed_on } => {
                format!("must not be after the enterprise's closure on {closed_on}")
            }
            NoAgreement { id } => format!("no agreement {id} is signed"),
            AgreementAlreadyEnded { id } => format!("agreement {id} has already ended"),
            BeforeSigning { signed_on } => {
                format!("must not be before the agreement was signed on {signed_on}")
            }
            NoEvent { id } => format!("no event {id} is stored"),
            RetractionOfRetraction => "a retraction cannot itself be retracted".to_owned(),
            AlreadyRetracted { id } => format!("event {id} is already retracted"),
            NotErasable { member } => format!(
                "{member} cannot be erased; the members that can hold personal data are \
                 note, case_ref and data.person_ref"
            ),
            NoMembers => "name at least one member to erase, e.g. [\"note\"]".to_owned(),
            AlreadyErased { member } => format!("{member} of this event is already erased"),
            NothingToErase { member } => format!("{member} of this event holds no value"),
            StoredBeforeErasure { member } => format!(
                "{member} cannot be erased: the event was stored before erasure existed, so \
                 its hash is over the plaintext and erasing it would break the chain; \
                 retract the event instead, and ask an administrator about the backups"
            ),
            StreamFull { stream, events_max } => format!(
                "{stream} already holds {events_max} events, the most one entity may have; \
                 an entity changed this often is a mistake: ask an administrator"
            ),
            EntityStored { stream, position } => format!(
                "{stream} is already stored (its first event is at position {position}); \
                 to correct it, retract that event in the same request, or use a new id for \
                 something new"
            ),
            VersionMismatch { expected, actual } => {
                format!("expected version {expected}, but the stream is at version {actual}")
            }
            CvrHeld {
                cvr,
                enterprise_id,
                name,
            } => format!(
                "CVR {cvr} belongs to the open enterprise {name} ({enterprise_id}); close it \
                 first, or check the number"
            ),
            IdStoredOtherContent { id, position } => format!(
                "event id {id} is already stored at position {position} with other content; \
                 a new event needs a new id"
            ),
            RetryPartlyNew => "this event is new, but others of the request are already \
                               stored: retry the original request unchanged, or send new \
                               events alone"
                .to_owned(),
            StoredUnreadable => "the stored event could not be read".to_owned(),
            other => other.catalogue2_english(),
        }
    }

    fn catalogue2_english(&self) -> String {
        use Violation::*;
        match self {
            NoPlacement { id } => format!("no placement {id} is recorded"),
            PlacementAlreadyEnded { id } => format!("placement {id} has already ended"),
            BeforePlacement { placed_on } => {
                format!("must not be before the placement started on {placed_on}")
            }
            NoGrant { id } => format!("no grant {id} is awarded"),
            BeforeAward { awarded_on } => {
                format!("must not be before the grant was awarded on {awarded_on}")
            }
            PaidBeyondAward {
                awarded_ore,
                balance_ore,
            } => format!(
                "paid less returned would come to {balance_ore} øre, more than the \
                 {awarded_ore} øre awarded; check the amount"
            ),
            ReturnedBeyondPaid { balance_ore } => format!(
                "only {balance_ore} øre of the grant is paid and not returned; more cannot \
                 go back"
            ),
            RetractionBreaksGrant => "retracting this would leave the grant with less than \
                                      nothing paid, or more paid than awarded; retract the \
                                      later payment or return first"
                .to_owned(),
            ValidToBeforeRenewal => "must not be before the renewal (occurred_on)".to_owned(),
            NoTrial { id } => format!("no trial {id} is started"),
            TrialAlreadyConcluded { id } => format!("trial {id} is already concluded"),
            BeforeTrialStart { started_on } => {
                format!("must not be before the trial started on {started_on}")
            }
            NoStrategy { id } => format!("no strategy {id} is adopted"),
            BeforeAdoption { adopted_on } => {
                format!("must not be before the strategy was adopted on {adopted_on}")
            }
            RevisionAfterPeriod { to_year } => format!(
                "the strategy's period ended in {to_year}; a revision must take effect \
                 within it"
            ),
            PercentAbove100 => "a percentage is at most 100".to_owned(),
            ReopensHeldCvr {
                cvr,
                enterprise_id,
                name,
            } => format!(
                "retracting this closure would reopen an enterprise with CVR {cvr}, which the \
                 open enterprise {name} ({enterprise_id}) now holds; close or correct that one \
                 first"
            ),
            BeforeActivity {
                active_on,
                position,
            } => format!(
                "a placement or grant at this enterprise is stored for {active_on} (position \
                 {position}); the closure must be on or after that day"
            ),
            other => unreachable!("{other:?} is written by an earlier group"),
        }
    }

    fn stored_danish(&self) -> String {
        use Violation::*;
        match self {
            NoEnterprise { id } => format!("der er ingen registreret virksomhed {id}"),
            EnterpriseAlreadyClosed { id } => format!("virksomhed {id} er allerede lukket"),
            BeforeRegistration { registered_on } => {
                format!("må ikke være før virksomhedens registrering den {registered_on}")
            }
            AfterClosure { closed_on } => {
                format!("må ikke være efter virksomhedens lukning den {closed_on}")
            }
            NoAgreement { id } => format!("der er ingen indgået aftale {id}"),
            AgreementAlreadyEnded { id } => format!("aftale {id} er allerede ophørt"),
            BeforeSigning { signed_on } => {
                format!("må ikke være før aftalen blev indgået den {signed_on}")
            }
            NoEvent { id } => format!("der er ingen gemt hændelse {id}"),
            RetractionOfRetraction => "en tilbagekaldelse kan ikke selv tilbagekaldes".to_owned(),
            AlreadyRetracted { id } => format!("hændelse {id} er allerede tilbagekaldt"),
            NotErasable { member } => format!(
                "{member} kan ikke slettes; de felter, der kan indeholde personoplysninger, er \
                 note, case_ref og data.person_ref"
            ),
            NoMembers => "angiv mindst ét felt, der skal slettes, fx [\"note\"]".to_owned(),
            AlreadyErased { member } => format!("{member} i denne hændelse er allerede slettet"),
            NothingToErase { member } => format!("{member} i denne hændelse har ingen værdi"),
            StoredBeforeErasure { member } => format!(
                "{member} kan ikke slettes: hændelsen blev gemt, før sletning fandtes, så dens \
                 hash er over klarteksten, og en sletning ville bryde kæden; tilbagekald \
                 hændelsen i stedet, og spørg en administrator om sikkerhedskopierne"
            ),
            StreamFull { stream, events_max } => format!(
                "{stream} har allerede {events_max} hændelser, det højeste antal for én enhed; \
                 en enhed, der ændres så tit, er en fejl: kontakt en administrator"
            ),
            EntityStored { stream, position } => format!(
                "{stream} er allerede gemt (dens første hændelse har position {position}); \
                 tilbagekald den hændelse i samme anmodning for at rette den, eller brug et \
                 nyt id til noget nyt"
            ),
            VersionMismatch { expected, actual } => {
                format!("forventede version {expected}, men strømmen har version {actual}")
            }
            CvrHeld {
                cvr,
                enterprise_id,
                name,
            } => format!(
                "CVR {cvr} tilhører den åbne virksomhed {name} ({enterprise_id}); luk den \
                 først, eller tjek nummeret"
            ),
            IdStoredOtherContent { id, position } => format!(
                "hændelses-id {id} er allerede gemt på position {position} med andet indhold; \
                 en ny hændelse skal have et nyt id"
            ),
            RetryPartlyNew => "denne hændelse er ny, men andre i anmodningen er allerede \
                               gemt: send den oprindelige anmodning uændret, eller send nye \
                               hændelser for sig"
                .to_owned(),
            StoredUnreadable => "den gemte hændelse kunne ikke læses".to_owned(),
            other => other.catalogue2_danish(),
        }
    }

    fn catalogue2_danish(&self) -> String {
        use Violation::*;
        match self {
            NoPlacement { id } => format!("der er ingen registreret ansættelse {id}"),
            PlacementAlreadyEnded { id } => format!("ansættelse {id} er allerede ophørt"),
            BeforePlacement { placed_on } => {
                format!("må ikke være før ansættelsen begyndte den {placed_on}")
            }
            NoGrant { id } => format!("der er ingen bevilling {id}"),
            BeforeAward { awarded_on } => {
                format!("må ikke være før bevillingen blev givet den {awarded_on}")
            }
            PaidBeyondAward {
                awarded_ore,
                balance_ore,
            } => format!(
                "udbetalt minus tilbagebetalt ville blive {balance_ore} øre, mere end de \
                 {awarded_ore} øre, der er bevilget; tjek beløbet"
            ),
            ReturnedBeyondPaid { balance_ore } => format!(
                "kun {balance_ore} øre af bevillingen er udbetalt og ikke tilbagebetalt; mere \
                 kan ikke gå tilbage"
            ),
            RetractionBreaksGrant => "en tilbagekaldelse af denne ville give bevillingen mindre \
                                      end intet udbetalt eller mere udbetalt end bevilget; \
                                      tilbagekald den senere udbetaling eller tilbagebetaling \
                                      først"
                .to_owned(),
            ValidToBeforeRenewal => "må ikke være før fornyelsen (occurred_on)".to_owned(),
            NoTrial { id } => format!("der er ingen startet afprøvning {id}"),
            TrialAlreadyConcluded { id } => format!("afprøvning {id} er allerede afsluttet"),
            BeforeTrialStart { started_on } => {
                format!("må ikke være før afprøvningen startede den {started_on}")
            }
            NoStrategy { id } => format!("der er ingen vedtaget strategi {id}"),
            BeforeAdoption { adopted_on } => {
                format!("må ikke være før strategien blev vedtaget den {adopted_on}")
            }
            RevisionAfterPeriod { to_year } => format!(
                "strategiperioden sluttede i {to_year}; en revision skal gælde inden for den"
            ),
            PercentAbove100 => "en procentsats er højst 100".to_owned(),
            ReopensHeldCvr {
                cvr,
                enterprise_id,
                name,
            } => format!(
                "hvis lukningen tilbagekaldes, åbner en virksomhed med CVR {cvr} igen, men det \
                 nummer har den åbne virksomhed {name} ({enterprise_id}) nu; luk eller ret den \
                 først"
            ),
            BeforeActivity {
                active_on,
                position,
            } => format!(
                "der er gemt en ansættelse eller bevilling ved virksomheden den {active_on} \
                 (position {position}); lukningen skal være den dag eller senere"
            ),
            other => unreachable!("{other:?} is written by an earlier group"),
        }
    }
}

/// Reads a serde error about the member at `path` as a violation in plain words.
///
/// serde names a missing or unknown member, or an unknown variant, in its message; every other
/// message (wrong JSON kind, a number out of range, a bad UUID) becomes "must be ..." told
/// from the member's name, so that no Rust type or parser wording reaches a client.
pub fn from_serde(path: &str, message: &str) -> Violation {
    let quoted: Vec<String> = message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let first = quoted.first().cloned().unwrap_or_default();
    if message.starts_with("missing field") {
        Violation::MissingMember { name: first }
    } else if message.starts_with("unknown field") {
        Violation::UnknownMember {
            name: first,
            allowed: quoted[1..].to_vec(),
        }
    } else if message.starts_with("unknown variant") {
        Violation::NotOneOf {
            value: first,
            allowed: quoted.get(1..).unwrap_or_default().to_vec(),
        }
    } else if message.starts_with("duplicate field") {
        Violation::DuplicateMember { name: first }
    } else if Expected::of_member(path) == Expected::Date && !message.starts_with("invalid type") {
        // `strict_date` reports through serde with the words of `read_date`.
        date_violation(&first)
    } else {
        Violation::WrongKind {
            expected: Expected::of_member(path),
        }
    }
}

/// Why `text` is not a date: a wrong form, or a right form naming no day of the calendar.
pub fn date_violation(text: &str) -> Violation {
    if crate::time::is_date_shaped(text) {
        Violation::NoSuchDate {
            text: text.to_owned(),
        }
    } else {
        Violation::NotADate {
            text: text.to_owned(),
        }
    }
}

/// One thing wrong with a request: the event (`index`, absent for the request as a whole), the
/// member at fault, and the violation, with its code and its English words ready to serialize.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The event's place in the request, from 0; absent when the request as a whole is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The member at fault, e.g. `data.cvr`, `expected_version` or `events`.
    pub field: Option<String>,
    /// The rule, stable for programs, e.g. `cpr-number` (`Violation::code`).
    pub code: &'static str,
    /// What to fix, in the language of the answer.
    pub message: String,
    /// A conflict with what is already stored (409) rather than a broken rule (422).
    pub conflict: bool,
    /// The rule broken, with its values, to render in another language.
    #[serde(skip)]
    pub violation: Violation,
}

impl Problem {
    /// A broken rule in the member `field` of event `index`.
    pub fn new(index: usize, field: &str, violation: Violation) -> Self {
        Problem::at(Some(index), Some(field), violation)
    }

    /// A broken rule about event `index` as a whole.
    pub fn whole(index: usize, violation: Violation) -> Self {
        Problem::at(Some(index), None, violation)
    }

    /// A problem of the request itself, about its member `field` (`events`), not of one event.
    pub fn request(field: &str, violation: Violation) -> Self {
        Problem::at(None, Some(field), violation)
    }

    fn at(index: Option<usize>, field: Option<&str>, violation: Violation) -> Self {
        Problem {
            index,
            field: field.map(str::to_owned),
            code: violation.code(),
            message: violation.render(Language::English),
            conflict: violation.is_conflict(),
            violation,
        }
    }

    /// The same problem with its message in `language`.
    pub fn in_language(mut self, language: Language) -> Self {
        self.message = self.violation.render(language);
        self
    }
}

/// `events[2].data.cvr: <message>`, `events[2]: <message>` or `events: <message>`.
impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, &self.field) {
            (Some(index), Some(field)) => write!(formatter, "events[{index}].{field}: "),
            (Some(index), None) => write!(formatter, "events[{index}]: "),
            (None, Some(field)) => write!(formatter, "{field}: "),
            (None, None) => Ok(()),
        }?;
        formatter.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::StreamKind;

    /// One violation of every variant.
    fn every_variant() -> Vec<Violation> {
        use Violation::*;
        let id = Uuid::nil();
        let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let text = || "x".to_owned();
        let stream = StreamId {
            kind: StreamKind::Grant,
            id,
        };
        vec![
            NotUtf8,
            NotJson { detail: text() },
            BodyNotObject,
            EventsMissing,
            EventsNotList,
            EventsEmpty { events_max: 1000 },
            TooManyEvents {
                count: 1001,
                events_max: 1000,
            },
            UnknownRequestMember { name: text() },
            EventNotObject,
            DuplicateMember { name: text() },
            MissingMember { name: text() },
            UnknownMember {
                name: text(),
                allowed: vec![text()],
            },
            NotOneOf {
                value: text(),
                allowed: vec![text(), text()],
            },
            UnknownType {
                name: text(),
                known: vec![text()],
            },
            WrongKind {
                expected: Expected::AmountOre,
            },
            NotADate { text: text() },
            NoSuchDate { text: text() },
            Blank,
            TooLong { chars_max: 500 },
            ControlCharacter { code_point: 27 },
            CprNumber,
            PersonRefLength { chars_max: 64 },
            PersonRefCharacters,
            CvrDigits,
            CvrChecksum { cvr: text() },
            InFuture { date, today: date },
            TooEarly {
                date,
                earliest: date,
            },
            EventTooLarge {
                bytes: 2,
                bytes_max: 1,
            },
            AmountNotPositive,
            IntegerTooLarge { max: 9 },
            Negative,
            NotAGoal { goal: 18 },
            GoalTwice { goal: 8 },
            ImplausibleYear { year: 22 },
            YearsReversed,
            NoTargets,
            WrongPer {
                metric: Metric::PeopleEmployed,
            },
            MetricTwice,
            ValidToBeforeSigned,
            TooManyPartners { partners_max: 100 },
            IdTwiceInRequest { id },
            EntityTwiceInRequest { stream },
            NoEnterprise { id },
            EnterpriseAlreadyClosed { id },
            BeforeRegistration {
                registered_on: date,
            },
            AfterClosure { closed_on: date },
            NoAgreement { id },
            AgreementAlreadyEnded { id },
            BeforeSigning { signed_on: date },
            NoEvent { id },
            RetractionOfRetraction,
            AlreadyRetracted { id },
            NotErasable { member: text() },
            NoMembers,
            AlreadyErased { member: text() },
            NothingToErase { member: text() },
            StoredBeforeErasure { member: text() },
            StreamFull {
                stream,
                events_max: 1000,
            },
            EntityStored {
                stream,
                position: 4,
            },
            VersionMismatch {
                expected: 0,
                actual: 1,
            },
            CvrHeld {
                cvr: text(),
                enterprise_id: id,
                name: text(),
            },
            IdStoredOtherContent { id, position: 4 },
            RetryPartlyNew,
            StoredUnreadable,
            NoPlacement { id },
            PlacementAlreadyEnded { id },
            BeforePlacement { placed_on: date },
            NoGrant { id },
            BeforeAward { awarded_on: date },
            PaidBeyondAward {
                awarded_ore: 1,
                balance_ore: 2,
            },
            ReturnedBeyondPaid { balance_ore: 1 },
            RetractionBreaksGrant,
            ValidToBeforeRenewal,
            NoTrial { id },
            TrialAlreadyConcluded { id },
            BeforeTrialStart { started_on: date },
            NoStrategy { id },
            BeforeAdoption { adopted_on: date },
            RevisionAfterPeriod { to_year: 2029 },
            PercentAbove100,
            ReopensHeldCvr {
                cvr: text(),
                enterprise_id: id,
                name: text(),
            },
            BeforeActivity {
                active_on: date,
                position: 7,
            },
        ]
    }

    #[test]
    fn every_variant_has_its_listed_code_and_words_in_both_languages() {
        let every = every_variant();
        let codes: Vec<&str> = every.iter().map(Violation::code).collect();
        assert_eq!(
            codes, CODES,
            "CODES lists every code once, in variant order"
        );
        for violation in &every {
            let (english, danish) = (
                violation.render(Language::English),
                violation.render(Language::Danish),
            );
            assert!(!english.is_empty() && !danish.is_empty(), "{violation:?}");
            assert_ne!(english, danish, "{violation:?} is not translated");
            for internal in [
                "i64",
                "u64",
                "invalid type",
                "floating point",
                "UUID",
                "struct",
                "variant",
            ] {
                assert!(!english.contains(internal), "{english}");
            }
            assert!(
                !english.ends_with('.') || english.ends_with("kr."),
                "{english}"
            );
        }
    }

    #[test]
    fn accept_language_picks_danish_or_english() {
        for (header, language) in [
            ("da", Language::Danish),
            ("da-DK,da;q=0.9,en;q=0.8", Language::Danish),
            ("en-GB, da;q=0.5", Language::English),
            ("de, da;q=0.3", Language::Danish),
            ("fr", Language::English),
            ("da;q=0", Language::English),
            ("", Language::English),
        ] {
            assert_eq!(Language::from_accept_language(header), language, "{header}");
        }
    }
}
