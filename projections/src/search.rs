//! The lists of CONTRACT §9 as queries over the projection: a query in, a page of hits out.
//!
//! A hit names the position of the event that created the entity (its registration, signing,
//! placement, award, start or note) and what only the projection knows (a standing closure or
//! ending, placements counted at an enterprise, an enterprise's name); the caller reads the
//! entity's own fields from the stored event at that position. Retracted entities are never
//! listed: they count nowhere (CONTRACT §4), and the items of a year are exactly the entities
//! its figures count.
//!
//! Cost: one pass over the candidates (the enterprises, the agreements, or the year's
//! positions of one kind), no allocation but the page; `q` compares without allocating.

use chrono::{Datelike, NaiveDate};
use impact_events::{AgreementKind, EmploymentType, EnterpriseKind, TrendKind, TrialKind};
use uuid::Uuid;

use crate::lists::{YearEntries, NONE};
use crate::projection::{Fact, Projection};

/// Every status, in the order a form offers them.
pub const ENTERPRISE_STATUSES: [EnterpriseStatus; 3] = [
    EnterpriseStatus::Active,
    EnterpriseStatus::Closed,
    EnterpriseStatus::All,
];

/// Every grant kind.
pub const GRANT_KINDS: [GrantKind; 2] = [GrantKind::Unit, GrantKind::Partner];

/// Items per page when the caller does not say.
pub const PAGE_LIMIT_DEFAULT: u64 = 100;
/// The most items one page may hold.
pub const PAGE_LIMIT_MAX: u64 = 1000;

/// Which page of the matches: skip `offset`, then at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub offset: u64,
    pub limit: u64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            offset: 0,
            limit: PAGE_LIMIT_DEFAULT,
        }
    }
}

/// `total` matches in all; `items` the requested page of them, in list order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// Which enterprises by their closure: `Active` (not closed; with a year, at its end),
/// `Closed`, or `All`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatus {
    Active,
    Closed,
    All,
}

/// Grants by whom they went to: the unit itself (no `enterprise_id`) or a partner enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    Unit,
    Partner,
}

/// GET /api/v1/enterprises. With `year`, only enterprises registered by its end, and `status`
/// then means at its end; `status` defaults to `Active` with a year, `All` without.
#[derive(Clone, Debug, Default)]
pub struct EnterpriseQuery {
    pub year: Option<i32>,
    pub status: Option<EnterpriseStatus>,
    pub kind: Option<EnterpriseKind>,
    /// Matched, ignoring case, inside the name and the CVR.
    pub q: Option<String>,
    pub paging: Paging,
}

/// GET /api/v1/placements: with `year`, the placements that occurred in it.
#[derive(Clone, Debug, Default)]
pub struct PlacementQuery {
    pub year: Option<i32>,
    pub enterprise_id: Option<Uuid>,
    pub employment_type: Option<EmploymentType>,
    /// Matched, ignoring case, inside the person_ref and the enterprise's name.
    pub q: Option<String>,
    pub paging: Paging,
}

/// GET /api/v1/grants, /trials, /trends (`year`: occurred in it) and /agreements (`year`:
/// active at its end, as `agreements.active` counts them).
#[derive(Clone, Debug)]
pub struct EntryQuery<K> {
    pub year: Option<i32>,
    pub kind: Option<K>,
    /// Matched, ignoring case, inside the funder, counterparty or title.
    pub q: Option<String>,
    pub paging: Paging,
}

impl<K> Default for EntryQuery<K> {
    fn default() -> Self {
        EntryQuery {
            year: None,
            kind: None,
            q: None,
            paging: Paging::default(),
        }
    }
}

/// GET /api/v1/agreements, and the web's list of agreements: `year` as in `EntryQuery` (active
/// at its end, as `agreements.active` counts them), or `signed_in` a year (as
/// `agreements.signed` counts them: the flow the strategy tracks report); `kinds` any of them
/// (empty: every kind), so one track's figure of two kinds has one list.
#[derive(Clone, Debug, Default)]
pub struct AgreementQuery {
    pub year: Option<i32>,
    pub signed_in: Option<i32>,
    pub kinds: Vec<AgreementKind>,
    /// Matched, ignoring case, inside the counterparty.
    pub q: Option<String>,
    pub paging: Paging,
}

impl From<EntryQuery<AgreementKind>> for AgreementQuery {
    fn from(query: EntryQuery<AgreementKind>) -> Self {
        AgreementQuery {
            year: query.year,
            signed_in: None,
            kinds: query.kind.into_iter().collect(),
            q: query.q,
            paging: query.paging,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterpriseHit {
    /// The registration's position.
    pub position: u64,
    pub closed_on: Option<NaiveDate>,
    /// Standing placements at the enterprise: in the query's year, or in all years.
    pub placements: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementHit {
    pub position: u64,
    /// The name of the enterprise the placement names, if it names one the ledger knows.
    pub enterprise_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementHit {
    /// The signing's position.
    pub position: u64,
    pub ended_on: Option<NaiveDate>,
}

/// A grant, trial or trend: all it lists is in its stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHit {
    pub position: u64,
}

/// A search text, lower case, compared without allocating.
struct Needle(Option<String>);

impl Needle {
    fn new(q: &Option<String>) -> Self {
        let q = q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        Needle(q.map(str::to_lowercase))
    }

    /// Whether any of `texts` contains the needle, ignoring case (no needle: true).
    fn in_any(&self, texts: &[&str]) -> bool {
        match &self.0 {
            None => true,
            Some(needle) => texts.iter().any(|text| contains_folded(text, needle)),
        }
    }
}

/// Whether `haystack`, folded to lower case character by character, contains `needle`
/// (already lower case).
fn contains_folded(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
        return needle.is_empty()
            || haystack
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
    }
    haystack.char_indices().any(|(start, _)| {
        let mut rest = haystack[start..].chars().flat_map(char::to_lowercase);
        needle.chars().all(|wanted| rest.next() == Some(wanted))
    })
}

/// Counts every match and keeps the requested page of them, made into hits.
fn page<C, T>(matches: impl Iterator<Item = C>, paging: Paging, hit: impl Fn(C) -> T) -> Page<T> {
    let mut total = 0;
    let mut items = Vec::new();
    for candidate in matches {
        if total >= paging.offset && (items.len() as u64) < paging.limit {
            items.push(hit(candidate));
        }
        total += 1;
    }
    Page { total, items }
}

impl Projection {
    /// The enterprises that match, in registration order.
    pub fn enterprises(&self, query: &EnterpriseQuery) -> Page<EnterpriseHit> {
        self.lists.check_kept();
        let needle = Needle::new(&query.q);
        let default_status = match query.year {
            Some(_) => EnterpriseStatus::Active,
            None => EnterpriseStatus::All,
        };
        let status = query.status.unwrap_or(default_status);
        let matches = self
            .enterprises
            .iter()
            .enumerate()
            .filter(|(slot, enterprise)| {
                let registered = enterprise.registration.occurred_on.year();
                let closed = enterprise.closure.map(|closure| closure.occurred_on.year());
                let (existed, closed) = match query.year {
                    Some(year) => (registered <= year, closed.is_some_and(|on| on <= year)),
                    None => (true, closed.is_some()),
                };
                let in_status = match status {
                    EnterpriseStatus::Active => !closed,
                    EnterpriseStatus::Closed => closed,
                    EnterpriseStatus::All => true,
                };
                let names = self.lists.enterprises[*slot];
                enterprise.counts()
                    && existed
                    && in_status
                    && query.kind.is_none_or(|kind| kind == enterprise.kind)
                    && needle.in_any(&[self.lists.name(names.name), self.lists.name(names.cvr)])
            });
        page(matches, query.paging, |(slot, enterprise)| EnterpriseHit {
            position: enterprise.registration.position,
            closed_on: enterprise.closure.map(|closure| closure.occurred_on),
            placements: self.lists.placements_at(slot as u32, query.year),
        })
    }

    /// The placements that match, by year, then in position order.
    pub fn placements(&self, query: &PlacementQuery) -> Page<PlacementHit> {
        self.lists.check_kept();
        let needle = Needle::new(&query.q);
        let enterprise = match query.enterprise_id {
            Some(id) => match self.enterprise_slot(&id) {
                Some(slot) => Some(slot),
                None => return Page::default(),
            },
            None => None,
        };
        let matches = self
            .standing(query.year, |entries| &entries.placements)
            .filter_map(|(position, fact)| match fact {
                Fact::Placement {
                    person,
                    employment_type,
                    enterprise: at,
                    ..
                } => {
                    let wanted = query.employment_type.is_none_or(|t| t == employment_type)
                        && enterprise.is_none_or(|slot| slot == at)
                        && needle.in_any(&[self.persons.name(person), self.enterprise_name(at)]);
                    wanted.then_some((position, at))
                }
                _ => None,
            });
        page(matches, query.paging, |(position, at)| PlacementHit {
            position,
            enterprise_name: (at != NONE).then(|| self.enterprise_name(at).to_owned()),
        })
    }

    /// The grants that match, by year, then in position order.
    pub fn grants(&self, query: &EntryQuery<GrantKind>) -> Page<EntryHit> {
        self.entries(
            query,
            |entries| &entries.grants,
            |fact| match fact {
                Fact::Grant {
                    funder, partner, ..
                } => {
                    let kind = if partner {
                        GrantKind::Partner
                    } else {
                        GrantKind::Unit
                    };
                    Some((kind, self.funders.name(funder)))
                }
                _ => None,
            },
        )
    }

    /// The trials that match, by year, then in position order.
    pub fn trials(&self, query: &EntryQuery<TrialKind>) -> Page<EntryHit> {
        self.entries(
            query,
            |entries| &entries.trials,
            |fact| match fact {
                Fact::Trial { kind, title, .. } => Some((kind, self.lists.name(title))),
                _ => None,
            },
        )
    }

    /// The trends and offers that match, by year, then in position order.
    pub fn trends(&self, query: &EntryQuery<TrendKind>) -> Page<EntryHit> {
        self.entries(
            query,
            |entries| &entries.trends,
            |fact| match fact {
                Fact::Trend { kind, title } => Some((kind, self.lists.name(title))),
                _ => None,
            },
        )
    }

    /// The agreements that match, in signing order; with a year, those active at its end;
    /// with `signed_in`, those signed in that year.
    pub fn agreements(&self, query: &AgreementQuery) -> Page<AgreementHit> {
        self.lists.check_kept();
        let needle = Needle::new(&query.q);
        let matches = self
            .agreements
            .iter()
            .enumerate()
            .filter(|(slot, agreement)| {
                !agreement.retracted
                    && query
                        .year
                        .is_none_or(|year| agreement.active_at_end_of(year))
                    && query
                        .signed_in
                        .is_none_or(|year| agreement.signed_on.year() == year)
                    && (query.kinds.is_empty() || query.kinds.contains(&agreement.kind))
                    && needle.in_any(&[self.lists.name(self.lists.counterparties[*slot])])
            });
        page(matches, query.paging, |(_, agreement)| AgreementHit {
            position: agreement.position,
            ended_on: agreement.ended.map(|(_, ended_on)| ended_on),
        })
    }

    /// A year's (or every year's) standing events of one list, with their facts.
    fn standing(
        &self,
        year: Option<i32>,
        of: fn(&YearEntries) -> &Vec<u32>,
    ) -> impl Iterator<Item = (u64, Fact)> + '_ {
        self.lists
            .positions(year, of)
            .filter(|position| !self.is_retracted(*position))
            .filter_map(|position| Some((position, self.fact_at(position)?)))
    }

    /// Grants, trials or trends: `describe` gives an event's kind and searchable text.
    fn entries<'a, K: Copy + PartialEq>(
        &'a self,
        query: &EntryQuery<K>,
        of: fn(&YearEntries) -> &Vec<u32>,
        describe: impl Fn(Fact) -> Option<(K, &'a str)>,
    ) -> Page<EntryHit> {
        self.lists.check_kept();
        let needle = Needle::new(&query.q);
        let matches = self.standing(query.year, of).filter(|(_, fact)| {
            describe(*fact).is_some_and(|(kind, text)| {
                query.kind.is_none_or(|wanted| wanted == kind) && needle.in_any(&[text])
            })
        });
        page(matches, query.paging, |(position, _)| EntryHit { position })
    }

    fn enterprise_name(&self, slot: u32) -> &str {
        match self.lists.enterprises.get(slot as usize) {
            Some(names) if slot != NONE => self.lists.name(names.name),
            _ => "",
        }
    }
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            total: 0,
            items: Vec::new(),
        }
    }
}
