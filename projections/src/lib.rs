//! Pure folds from impact-ledger events to the figures of CONTRACT §4: a year's `Status`, the
//! `Targets` in force and their attainment, and the `History` bridge between two years.
//!
//! Architecture Invariant: no IO, no clock, no randomness, no async. Everything here is a
//! function of the events applied, so any figure can be rebuilt from the log alone, and the
//! figures "as of" position N are those of a projection fed the first N events.
//!
//! # Incremental aggregates
//!
//! `Projection::apply` takes one event at a time, in position order, and never replays the
//! log. It keeps, per calendar year of `occurred_on`, signed sums of what the standing events
//! contribute (`years::YearTotals`): placements by type with a count of placements per person
//! (so people_employed is the number of persons with a count above zero), registrations and
//! closures, agreements signed, grants by funder, trials, trends and SDG tags. Figures that hold
//! at the end of a year (active enterprises and agreements, the goals active enterprises carry)
//! are stored as the change against the year before; `status`, `targets` and `history` sum those
//! changes over the years up to the one asked for, which costs the number of distinct years,
//! not the number of events.
//!
//! Enterprises and agreements are entities whose contribution depends on later events. Each is
//! kept with what decides its contribution (registration, standing closure; signing, valid_to,
//! standing ending), and every change goes through one step: take out its old contribution,
//! change it, add its new one. A closure counts only while the registration stands, so the
//! history identity `active(A) + registered(A, B] - closed(A, B] == active(B)` holds by
//! construction.
//!
//! # Retractions
//!
//! Every applied event is remembered by id with its envelope and a compact record of what it
//! contributed (`Fact`). An `EventRetracted` takes back exactly that contribution: a placement,
//! grant, trial or trend is subtracted; a retracted registration or signing makes the entity
//! count nowhere (with any closure of it); a retracted closure or ending reopens the entity; a
//! retracted strategy is no longer in force. The retraction is also listed, with its reason, in
//! `History::retracted_events`.
//!
//! # Output
//!
//! `Status`, `Targets` and `History` serialize to the JSON of CONTRACT §4, field for field, with
//! `as_of_position` = `position()`. Count maps (`by_type`, `active_by_kind`, `signed_by_kind`,
//! `by_kind`) list every variant, zeros included, in catalogue order. `by_funder` is by name;
//! `sdgs` has string keys "1".."17" in numeric order and only goals counted at least once.
//! Money is integer øre; the only floats are `attainment_pct`, `forecast` and the retention
//! percentage, computed on integers and rounded once to one decimal, half away from zero. Every
//! target has `forecast`, `on_track` and the `basis` they are drawn from (CONTRACT §4, §11).
//!
//! # Catalogue 2
//!
//! Retention (`retention.rs`) keeps one `Life` per placement (start, standing ending) and the
//! placements started per year; it is measured on the day the last folded event was recorded,
//! so it is a function of the position like every other figure. A renewal extends an agreement
//! from its date on (`agreements.rs`: the years an agreement is active are ranges, one per
//! `valid_to` in force).
//!
//! # Cost
//!
//! Measured with 1M synthetic events (release build, this machine kind): `apply` about 1.5 µs
//! per event, `status` about 1 µs, `history` about 2 ms with 100k enterprises (it walks the
//! enterprises), and some 300 MB, mostly the record per event id that a retraction may need.
//! `Clone` copies all of it (0.5 s at 1M events): fold a prefix for "as of" questions instead.
//!
//! # Lists
//!
//! `Projection::enterprises`, `placements`, `grants`, `agreements`, `trials` and `trends`
//! answer the lists of CONTRACT §9 (`search.rs`): a query in, a `Page` of hits out, each hit the
//! position of the entity's creating event, so the caller reads the entity's own fields from
//! the stored event. The items of a year are exactly what its figures count. A fold of the past
//! answers lists only when made by `Projection::past_with_lists`; `past` keeps the figures'
//! fold as lean as before.
//!
//! # Events that break the rules
//!
//! `impact-events` refuses invalid events before they are stored, so a stored log obeys its
//! rules (a closure follows its registration, at most one standing closure, ids are unique).
//! Should an event break them anyway, the projection does not panic: an event that refers to
//! nothing it knows, or creates an entity id again, contributes nothing.

mod agreements;
mod enterprises;
mod event_ref;
mod history;
mod kinds;
mod lists;
mod projection;
mod retention;
mod search;
mod status;
mod targets;
mod years;

pub use event_ref::EventRef;
pub use history::{EnterpriseBridge, History, PeopleBridge, RetractedEvent};
pub use kinds::{AGREEMENT_KINDS, EMPLOYMENT_TYPES, ENTERPRISE_KINDS, TREND_KINDS, TRIAL_KINDS};
pub use projection::{Past, Projection};
pub use retention::{six_months_after, Retention};
pub use search::{
    AgreementHit, AgreementQuery, EnterpriseHit, EnterpriseQuery, EnterpriseStatus, EntryHit,
    EntryQuery, GrantKind, Page, Paging, PlacementHit, PlacementQuery, ENTERPRISE_STATUSES,
    GRANT_KINDS, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX,
};
pub use status::{
    AgreementCounts, EnterpriseCounts, GrantTotals, PlacementCounts, Status, TrendCounts,
    TrialCounts,
};
pub use targets::{Actual, Basis, Outlook, Point, RevisionRef, StrategyRef, TargetStatus, Targets};

/// The service shares one projection between threads and keeps copies of it.
const _: fn() = || {
    fn shared<T: Send + Sync + Clone + Default>() {}
    shared::<Projection>();
};
