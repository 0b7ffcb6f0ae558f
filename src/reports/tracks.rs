//! The eight strategy tracks of the committee's strategy, each with what measures it now: one
//! list for the dashboard (with links to the lists behind the figures) and the annual report.

use impact_events::{AgreementKind, TrialKind};
use impact_projections::Status;

use super::words::{Lang, NumberStyle};

/// One track: its name, the figure that measures it in the year, what the figure counts, and
/// the list (a web path) behind the figure.
pub struct Track {
    pub name: &'static str,
    pub figure: String,
    pub measure: &'static str,
    pub href: String,
}

/// The eight tracks of the strategy for `status`'s year, in the strategy's order.
pub fn tracks(lang: Lang, status: &Status) -> [Track; 8] {
    let year = status.year;
    let numbers = NumberStyle::of(lang);
    let count = |number: u64| numbers.integer(number.into());
    let agreements = |kind| {
        status
            .agreements
            .signed_by_kind
            .get(&kind)
            .copied()
            .unwrap_or(0)
    };
    let trials = |kind| status.trials.by_kind.get(&kind).copied().unwrap_or(0);
    let civil = agreements(AgreementKind::CivilSociety) + agreements(AgreementKind::Volunteering);
    let goals_carried: u64 = status.sdgs.values().sum();
    let track = |name: (&'static str, &'static str), figure: String, measure, href| Track {
        name: lang.pick(name.0, name.1),
        figure,
        measure,
        href,
    };
    [
        track(
            ("Det handler om mennesker", "It is about people"),
            count(agreements(AgreementKind::Partnership)),
            lang.pick("samarbejdsaftaler indgået", "partnership agreements signed"),
            format!("/agreements?signed={year}&kind=partnership"),
        ),
        track(
            (
                "Fundraising og forandringsteori",
                "Fundraising and theory of change",
            ),
            format!("{} kr.", numbers.kroner(status.grants.total_ore)),
            lang.pick(
                "bevilget fra puljer og fonde",
                "awarded by pools and foundations",
            ),
            format!("/grants?year={year}"),
        ),
        track(
            ("Et ekstra gear", "An extra gear"),
            count(trials(TrialKind::InternalTrial)),
            lang.pick("interne forsøg startet", "internal trials started"),
            format!("/trials?year={year}&kind=internal_trial"),
        ),
        track(
            (
                "Civilsamfund og frivillighed",
                "Civil society and volunteering",
            ),
            count(civil),
            lang.pick("aftaler indgået", "agreements signed"),
            format!("/agreements?signed={year}&kind=civil_society&kind=volunteering"),
        ),
        track(
            ("Prøvehandling", "Trial actions"),
            count(trials(TrialKind::TrialAction)),
            lang.pick("prøvehandlinger startet", "trial actions started"),
            format!("/trials?year={year}&kind=trial_action"),
        ),
        track(
            ("Verdensmålene", "The Global Goals"),
            count(goals_carried),
            lang.pick("koblinger til verdensmål", "ties to the goals"),
            format!("/reports/annual/{year}"),
        ),
        track(
            ("Trends og tilbud", "Trends and offers"),
            count(status.trends.noted),
            lang.pick("noteret", "noted"),
            format!("/trends?year={year}"),
        ),
        track(
            ("Beskæftigelse", "Employment"),
            count(status.placements.total),
            lang.pick("ansættelsesforløb", "placements"),
            format!("/placements?year={year}"),
        ),
    ]
}
