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
    /// The signing was retracted: the agreement counts nowhere.
    pub(crate) retracted: bool,
    /// The id and date of the ending that stands (not retracted), if any.
    pub(crate) ended: Option<(Uuid, NaiveDate)>,
}

impl Agreement {
    /// The first year at whose end the agreement is no longer active, if it ever stops.
    ///
    /// Active at the end of Y needs "not ended on or before 31 Dec Y" (ended in a later year)
    /// and "valid_to on or after 31 Dec Y" (valid_to is 31 Dec Y or in a later year).
    fn inactive_from(&self) -> Option<i32> {
        let ended = self.ended.map(|(_, ended_on)| ended_on.year());
        let expired = self.valid_to.map(|valid_to| {
            let last_day_of_year = valid_to.month() == 12 && valid_to.day() == 31;
            valid_to.year() + i32::from(last_day_of_year)
        });
        match (ended, expired) {
            (Some(ended), Some(expired)) => Some(ended.min(expired)),
            (ended, expired) => ended.or(expired),
        }
    }

    /// Whether it counts among `agreements.active` of `year`: signed by its end and not
    /// inactive from that year on (the years `count` adds it to).
    pub(crate) fn active_at_end_of(&self, year: i32) -> bool {
        let signed = self.signed_on.year();
        let inactive_from = self.inactive_from().unwrap_or(i32::MAX);
        !self.retracted && signed <= year && year < inactive_from
    }

    /// Adds (sign 1) or takes out (sign -1) everything this agreement contributes.
    pub(crate) fn count(&self, years: &mut Years, sign: i64) {
        if self.retracted {
            return;
        }
        let signed_year = self.signed_on.year();
        let signed = years.at(signed_year);
        signed.agreements_signed[agreement_index(self.kind)] += sign;
        match self.inactive_from() {
            None => signed.agreements_change += sign,
            Some(inactive_from) if inactive_from > signed_year => {
                signed.agreements_change += sign;
                years.at(inactive_from).agreements_change -= sign;
            }
            // Signed and stopped within the same year: never active at a year's end.
            Some(_) => {}
        }
    }
}
