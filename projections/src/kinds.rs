//! Every variant of the catalogue's kind enums, so that count maps always list all of them.
//!
//! The `*_index` functions match exhaustively: a new variant in `impact-events` fails to compile
//! here until it is given a slot, and a unit test checks each `ALL` array against its index.

use std::collections::BTreeMap;

use impact_events::{AgreementKind, EmploymentType, EnterpriseKind, TrendKind, TrialKind};

pub const EMPLOYMENT_TYPES: [EmploymentType; 6] = [
    EmploymentType::Ordinary,
    EmploymentType::Flexjob,
    EmploymentType::WageSubsidy,
    EmploymentType::Sheltered,
    EmploymentType::Education,
    EmploymentType::Other,
];

pub const ENTERPRISE_KINDS: [EnterpriseKind; 2] =
    [EnterpriseKind::Enterprise, EnterpriseKind::Initiative];

pub const AGREEMENT_KINDS: [AgreementKind; 3] = [
    AgreementKind::Partnership,
    AgreementKind::CivilSociety,
    AgreementKind::Volunteering,
];

pub const TRIAL_KINDS: [TrialKind; 2] = [TrialKind::InternalTrial, TrialKind::TrialAction];

pub const TREND_KINDS: [TrendKind; 2] = [TrendKind::Trend, TrendKind::Offer];

pub(crate) fn employment_index(employment_type: EmploymentType) -> usize {
    match employment_type {
        EmploymentType::Ordinary => 0,
        EmploymentType::Flexjob => 1,
        EmploymentType::WageSubsidy => 2,
        EmploymentType::Sheltered => 3,
        EmploymentType::Education => 4,
        EmploymentType::Other => 5,
    }
}

pub(crate) fn enterprise_index(kind: EnterpriseKind) -> usize {
    match kind {
        EnterpriseKind::Enterprise => 0,
        EnterpriseKind::Initiative => 1,
    }
}

pub(crate) fn agreement_index(kind: AgreementKind) -> usize {
    match kind {
        AgreementKind::Partnership => 0,
        AgreementKind::CivilSociety => 1,
        AgreementKind::Volunteering => 2,
    }
}

pub(crate) fn trial_index(kind: TrialKind) -> usize {
    match kind {
        TrialKind::InternalTrial => 0,
        TrialKind::TrialAction => 1,
    }
}

pub(crate) fn trend_index(kind: TrendKind) -> usize {
    match kind {
        TrendKind::Trend => 0,
        TrendKind::Offer => 1,
    }
}

/// A map with one entry per variant, in declaration order, zero counts included.
pub(crate) fn every_kind<K: Ord + Copy, const N: usize>(
    all: [K; N],
    counts: &[i64; N],
) -> BTreeMap<K, u64> {
    all.into_iter()
        .zip(counts.iter().map(|count| crate::years::count(*count)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_sits_at_its_index() {
        for (slot, kind) in EMPLOYMENT_TYPES.into_iter().enumerate() {
            assert_eq!(employment_index(kind), slot);
        }
        for (slot, kind) in ENTERPRISE_KINDS.into_iter().enumerate() {
            assert_eq!(enterprise_index(kind), slot);
        }
        for (slot, kind) in AGREEMENT_KINDS.into_iter().enumerate() {
            assert_eq!(agreement_index(kind), slot);
        }
        for (slot, kind) in TRIAL_KINDS.into_iter().enumerate() {
            assert_eq!(trial_index(kind), slot);
        }
        for (slot, kind) in TREND_KINDS.into_iter().enumerate() {
            assert_eq!(trend_index(kind), slot);
        }
    }
}
