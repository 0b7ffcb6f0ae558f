//! What the projection remembers about one agreement, and what it adds to the yearly totals.

use chrono::{Datelike, NaiveDate};
use impact_events::AgreementKind;
use uuid::Uuid;

use crate::kinds::agreement_index;
use crate::years::Years;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Agreement {
    pub(crate) kind: AgreementKind,
    /// The signing's position.
    pub(crate) position: u64,
    pub(crate) signed_on: NaiveDate,
    pub(crate) valid_to: Option<NaiveDate>,
    /// The standing renewals, in the order applied: each `(position, occurred_on, valid_to)`.
    pub(crate) renewals: Vec<(u64, NaiveDate, NaiveDate)>,
    /// The signing was retracted: the agreement counts nowhere.
    pub(crate) retracted: bool,
    /// The id and date of the ending that stands (not retracted), if any.
    pub(crate) ended: Option<(Uuid, NaiveDate)>,
}

/// The first year at whose end an agreement valid to `valid_to` is no longer active: valid_to
/// must be 31 Dec Y or later to be active at the end of Y.
fn expires_from(valid_to: NaiveDate) -> i32 {
    let last_day_of_year = valid_to.month() == 12 && valid_to.day() == 31;
    valid_to.year() + i32::from(last_day_of_year)
}

impl Agreement {
    /// The years at whose end the agreement is active, as half-open ranges `[from, until)`
    /// (`until` None: no end), oldest first.
    ///
    /// Active at the end of Y needs: signed on or before 31 Dec Y, not ended on or before it,
    /// and the `valid_to` in force at the end of Y absent or on/after 31 Dec Y. The `valid_to`
    /// in force is that of the latest standing renewal dated in Y or before (CONTRACT §11: a
    /// renewal extends the agreement from its `occurred_on`, it does not rewrite the years
    /// before it), else the signing's. Between renewals an expired agreement may be inactive
    /// for some years and active again after.
    fn active_years(&self) -> Vec<(i32, Option<i32>)> {
        if self.retracted {
            return Vec::new();
        }
        let ended = self.ended.map(|(_, ended_on)| ended_on.year());
        let mut renewals: Vec<(NaiveDate, u64, NaiveDate)> = self
            .renewals
            .iter()
            .map(|(position, on, valid_to)| (*on, *position, *valid_to))
            .collect();
        renewals.sort();
        // Segments of years with one valid_to in force: the signing's, then each renewal's
        // (the year's latest renewal by date, then by position).
        let mut segments = vec![(self.signed_on.year(), self.valid_to)];
        for (renewed_on, _, valid_to) in renewals {
            let year = renewed_on.year();
            match segments.last_mut() {
                Some(last) if last.0 >= year => last.1 = Some(valid_to),
                _ => segments.push((year, Some(valid_to))),
            }
        }
        let mut active = Vec::new();
        for (index, (from, valid_to)) in segments.iter().enumerate() {
            let next = segments.get(index + 1).map(|(year, _)| *year);
            let until = [next, valid_to.map(expires_from), ended]
                .into_iter()
                .flatten()
                .min();
            if until.is_none_or(|until| until > *from) {
                active.push((*from, until));
            }
        }
        active
    }

    /// Whether it counts among `agreements.active` of `year`.
    pub(crate) fn active_at_end_of(&self, year: i32) -> bool {
        self.active_years()
            .iter()
            .any(|(from, until)| *from <= year && until.is_none_or(|until| year < until))
    }

    /// Adds (sign 1) or takes out (sign -1) everything this agreement contributes.
    pub(crate) fn count(&self, years: &mut Years, sign: i64) {
        if self.retracted {
            return;
        }
        years.at(self.signed_on.year()).agreements_signed[agreement_index(self.kind)] += sign;
        for (from, until) in self.active_years() {
            years.at(from).agreements_change += sign;
            if let Some(until) = until {
                years.at(until).agreements_change -= sign;
            }
        }
    }
}
