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

/// A track's name and what its figure counts (Danish, English), and the list behind it, with
/// `{year}` for the year: in the strategy's order, the order of `figures`.
type TrackText = (
    (&'static str, &'static str),
    (&'static str, &'static str),
    &'static str,
);

const TRACKS: [TrackText; 8] = [
    (
        ("Det handler om mennesker", "It is about people"),
        ("samarbejdsaftaler indgået", "partnership agreements signed"),
        "/agreements?signed={year}&kind=partnership",
    ),
    (
        (
            "Fundraising og forandringsteori",
            "Fundraising and theory of change",
        ),
        (
            "bevilget fra puljer og fonde",
            "awarded by pools and foundations",
        ),
        "/grants?year={year}",
    ),
    (
        ("Et ekstra gear", "An extra gear"),
        ("interne forsøg startet", "internal trials started"),
        "/trials?year={year}&kind=internal_trial",
    ),
    (
        (
            "Civilsamfund og frivillighed",
            "Civil society and volunteering",
        ),
        ("aftaler indgået", "agreements signed"),
        "/agreements?signed={year}&kind=civil_society&kind=volunteering",
    ),
    (
        ("Prøvehandling", "Trial actions"),
        ("prøvehandlinger startet", "trial actions started"),
        "/trials?year={year}&kind=trial_action",
    ),
    (
        ("Verdensmålene", "The Global Goals"),
        ("koblinger til verdensmål", "ties to the goals"),
        "/reports/annual/{year}",
    ),
    (
        ("Trends og tilbud", "Trends and offers"),
        ("noteret", "noted"),
        "/trends?year={year}",
    ),
    (
        ("Beskæftigelse", "Employment"),
        ("ansættelsesforløb", "placements"),
        "/placements?year={year}",
    ),
];

/// The eight tracks of the strategy for `status`'s year, in the strategy's order.
pub fn tracks(lang: Lang, status: &Status) -> [Track; 8] {
    let year = status.year.to_string();
    let mut figures = figures(lang, status).into_iter();
    TRACKS.map(|(name, measure, href)| Track {
        name: lang.pick(name.0, name.1),
        figure: figures.next().expect("a figure for every track"),
        measure: lang.pick(measure.0, measure.1),
        href: href.replace("{year}", &year),
    })
}

/// The figure of each track, in the order of `TRACKS`.
fn figures(lang: Lang, status: &Status) -> [String; 8] {
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
    [
        count(agreements(AgreementKind::Partnership)),
        format!("{} kr.", numbers.kroner(status.grants.total_ore)),
        count(trials(TrialKind::InternalTrial)),
        count(civil),
        count(trials(TrialKind::TrialAction)),
        count(goals_carried),
        count(status.trends.noted),
        count(status.placements.total),
    ]
}
