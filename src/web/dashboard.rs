//! `/` (`?year=Y`): the two headline targets against the strategy in force, the bridge from
//! the year before, the eight strategy tracks and a chart per headline figure, each number
//! linking to the list behind it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use impact_events::Metric;
use impact_projections::{History, Status, TargetStatus, Targets};
use maud::{html, Markup};

use super::layout::{self, this_year, year_of};
use super::{html as respond, Visitor, WebState};
use crate::reports::tracks;
use crate::reports::words::{self, NumberStyle};
use crate::reports::Lang;

/// Years the charts show at most.
const CHART_YEARS_MAX: i32 = 8;

/// What the dashboard shows, taken from the live projection in one read.
pub struct Dashboard {
    pub year: i32,
    pub status: Status,
    pub targets: Option<Targets>,
    pub history: History,
    /// (year, people employed, enterprises active) for the years charted.
    pub series: Vec<(i32, u64, u64)>,
    /// When the year has no placements yet (a new year, or a first start on the demo data):
    /// the latest of the ten years before it that has, to point to.
    pub latest_with_placements: Option<i32>,
}

impl Dashboard {
    pub fn build(projection: &impact_projections::Projection, year: i32) -> Dashboard {
        let targets = projection.targets(year);
        let first = targets
            .as_ref()
            .map(|targets| targets.strategy.from_year)
            .unwrap_or(year - 3)
            .max(year - CHART_YEARS_MAX + 1);
        let series = (first..=year)
            .map(|chart_year| {
                let status = projection.status(chart_year);
                (
                    chart_year,
                    status.people_employed,
                    status.enterprises.active,
                )
            })
            .collect();
        let status = projection.status(year);
        let latest_with_placements = (status.placements.total == 0)
            .then(|| {
                (year - 10..year)
                    .rev()
                    .find(|earlier| projection.status(*earlier).placements.total > 0)
            })
            .flatten();
        Dashboard {
            year,
            latest_with_placements,
            status,
            targets,
            history: projection.history(year - 1, year),
            series,
        }
    }

    fn target(&self, metric: Metric) -> Option<&TargetStatus> {
        let targets = self.targets.as_ref()?;
        targets
            .targets
            .iter()
            .find(|target| target.metric == metric)
    }
}

pub async fn page(State(state): State<WebState>, visitor: Visitor) -> Response {
    let year = year_of(&visitor.here).unwrap_or_else(this_year);
    let dashboard = state
        .app
        .ledger
        .with_read(|read| Dashboard::build(&read.projection, year));
    let lang = visitor.lang;
    let title = format!("{} {year}", lang.pick("Overblik", "Overview"));
    let body = render(&dashboard, lang);
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), &title, body),
    )
}

fn count(lang: Lang, number: u64) -> String {
    NumberStyle::of(lang).integer(number.into())
}

pub fn render(dashboard: &Dashboard, lang: Lang) -> Markup {
    let year = dashboard.year;
    html! {
        h1 { (lang.pick("Overblik", "Overview")) " " (year) }
        form.filters method="get" action="/" {
            div.group {
                label for="f-year" { (lang.pick("År", "Year")) }
                input.short #f-year type="number" name="year" value=(year) min=(impact_events::time::YEAR_FIRST) max=(impact_events::time::YEAR_LAST);
            }
            button.secondary type="submit" { (lang.pick("Vis", "Show")) }
        }
        @if let Some(latest) = dashboard.latest_with_placements {
            p.notice {
                (lang.pick("Der er endnu ingen ansættelsesforløb i ", "There are no placements in ")) (year)
                (lang.pick(". Det seneste år med tal er ", " yet. The latest year with figures is "))
                a href=(format!("/?year={latest}")) { (latest) } "."
            }
        }
        @match &dashboard.targets {
            Some(targets) => p.lead { (targets.strategy.name) " (" (targets.strategy.from_year) "–" (targets.strategy.to_year) ")" },
            None => p.lead { (lang.pick("Ingen strategi med mål er i kraft for ", "No strategy with targets is in force for ")) (year) "." },
        }
        div.cards {
            (headline(lang, dashboard, Metric::PeopleEmployed, dashboard.status.people_employed,
                &format!("/placements?year={year}"),
                lang.pick("personer kom i beskæftigelse", "people got employment")))
            (headline(lang, dashboard, Metric::EnterprisesActive, dashboard.status.enterprises.active,
                &format!("/enterprises?year={year}"),
                lang.pick("aktive socialøkonomiske virksomheder og initiativer ultimo året", "active social-economic enterprises and initiatives at the year's end")))
        }
        (targets(lang, dashboard))
        (bridge(lang, &dashboard.history))
        (tracks(lang, dashboard))
        h2 { (lang.pick("Udvikling", "Over the years")) }
        (chart(lang, dashboard, Metric::PeopleEmployed))
        (chart(lang, dashboard, Metric::EnterprisesActive))
        p { a href=(format!("/reports/annual/{year}")) { (lang.pick("Åbn årsrapporten for ", "Open the annual report for ")) (year) } }
    }
}

fn headline(
    lang: Lang,
    dashboard: &Dashboard,
    metric: Metric,
    figure: u64,
    href: &str,
    caption: &str,
) -> Markup {
    let numbers = NumberStyle::of(lang);
    let target = dashboard.target(metric);
    html! {
        div.card {
            a.figure href=(href) { (count(lang, figure)) }
            p { strong { (caption) } }
            @match target {
                Some(target) => {
                    p { (lang.pick("Mål: ", "Target: ")) (numbers.integer(target.target.into())) " " (words::per(lang, target.per))
                        " · " (lang.pick("målopfyldelse ", "attainment "))
                        (target.attainment_pct.map(|pct| format!("{} %", numbers.one_decimal(pct))).unwrap_or_else(|| "–".to_owned())) }
                    @if target.met {
                        p.good { (lang.pick("Målet er nået", "Target met")) }
                    }
                    @if let Some(outlook) = &target.outlook {
                        p {
                            (lang.pick("Prognose for periodens sidste år: ", "Forecast for the period's last year: "))
                            @match outlook.forecast {
                                Some(forecast) => strong { (numbers.integer(forecast.round() as i128)) },
                                None => (lang.pick("kræver mindst to år", "needs at least two years")),
                            }
                            @match outlook.on_track {
                                Some(true) => { " · " span.good { (lang.pick("på sporet", "on track")) } }
                                Some(false) => { " · " span.bad { (lang.pick("ikke på sporet", "not on track")) } }
                                None => {}
                            }
                        }
                    }
                }
                None => p.muted { (lang.pick("Intet mål i kraft", "No target in force")) },
            }
        }
    }
}

fn bridge(lang: Lang, history: &History) -> Markup {
    let bridge = &history.enterprises;
    let (from, to) = (history.from, history.to);
    html! {
        h2 { (lang.pick("Fra ", "From ")) (from) (lang.pick(" til ", " to ")) (to) }
        table {
            caption.visually-hidden { (lang.pick("Broen mellem årene", "The bridge between the years")) }
            thead { tr { th scope="col" { (lang.pick("Tal", "Figure")) } th.number scope="col" { (from) } th.number scope="col" { (to) } } }
            tbody {
                tr {
                    th scope="row" { (lang.pick("Personer i beskæftigelse", "People employed")) }
                    td.number { a href=(format!("/placements?year={from}")) { (count(lang, history.people_employed.from)) } }
                    td.number { a href=(format!("/placements?year={to}")) { (count(lang, history.people_employed.to)) } }
                }
                tr {
                    th scope="row" { (lang.pick("Aktive virksomheder og initiativer", "Active enterprises and initiatives")) }
                    td.number { a href=(format!("/enterprises?year={from}")) { (count(lang, bridge.from)) } }
                    td.number { a href=(format!("/enterprises?year={to}")) { (count(lang, bridge.to)) } }
                }
            }
        }
        p {
            (count(lang, bridge.from)) " " (lang.pick("aktive ultimo ", "active at the end of ")) (from)
            " + " (count(lang, bridge.registered)) " " (lang.pick("registreret", "registered"))
            " − " (count(lang, bridge.closed)) " " (lang.pick("lukket", "closed"))
            " = " strong { (count(lang, bridge.to)) } " " (lang.pick("aktive ultimo ", "active at the end of ")) (to) "."
            @if !history.retracted_events.is_empty() {
                " " (lang.pick("Tilbagekaldte hændelser fra perioden, som ikke tæller med: ", "Retracted events of the period, which count nowhere: "))
                (count(lang, history.retracted_events.len() as u64)) "."
            }
        }
    }
}

fn tracks(lang: Lang, dashboard: &Dashboard) -> Markup {
    html! {
        h2 { (lang.pick("De otte strategispor", "The eight strategy tracks")) " " (dashboard.year) }
        ul.tracks {
            @for track in tracks::tracks(lang, &dashboard.status) {
                li {
                    strong { (track.name) }
                    a.number href=(track.href) { (track.figure) }
                    span.muted { (track.measure) }
                }
            }
        }
    }
}

/// Every target in force, and the committee's question answered for each: can it be reached in
/// the period?
fn targets(lang: Lang, dashboard: &Dashboard) -> Markup {
    let Some(targets) = &dashboard.targets else {
        return html! {};
    };
    let numbers = NumberStyle::of(lang);
    html! {
        h2 { (lang.pick("Alle mål i kraft – kan de nås i perioden?", "Every target in force – can it be reached in the period?")) }
        table {
            thead { tr {
                th scope="col" { (lang.pick("Nøgletal", "Metric")) }
                th.number scope="col" { (lang.pick("Mål", "Target")) }
                th.number scope="col" { (lang.pick("Faktisk", "Actual")) }
                th.number scope="col" { (lang.pick("Opfyldelse", "Attainment")) }
                th scope="col" { (lang.pick("Kan målet nås i perioden?", "Can it be reached in the period?")) }
            } }
            tbody {
                @for target in &targets.targets {
                    tr {
                        th scope="row" { (words::metric(lang, target.metric)) " " span.muted { (words::per(lang, target.per)) } }
                        td.number { (numbers.integer(target.target.into())) }
                        td.number { (target.actual.map_or_else(|| words::not_measured(lang).to_owned(), |actual| words::figure(lang, actual))) }
                        td.number { (target.attainment_pct.map(|pct| format!("{}\u{a0}%", numbers.one_decimal(pct))).unwrap_or_else(|| "–".to_owned())) }
                        td { (words::reachable(lang, target)) }
                    }
                }
            }
        }
    }
}

/// A bar per year with the target as a dashed line; the numbers are also in the SVG's label.
fn chart(lang: Lang, dashboard: &Dashboard, metric: Metric) -> Markup {
    let values: Vec<(i32, u64)> = dashboard
        .series
        .iter()
        .map(|(year, people, enterprises)| match metric {
            Metric::PeopleEmployed => (*year, *people),
            Metric::EnterprisesActive => (*year, *enterprises),
            other => unreachable!("the dashboard charts the two headline metrics, not {other:?}"),
        })
        .collect();
    let target = dashboard
        .target(metric)
        .map(|target| target.target.max(0) as u64);
    let top = values
        .iter()
        .map(|(_, value)| *value)
        .chain(target)
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, base) = (600u64, 220u64, 190u64);
    let slot = width / values.len().max(1) as u64;
    let scale = |value: u64| value * 160 / top;
    let name = words::metric(lang, metric);
    let described: Vec<String> = values
        .iter()
        .map(|(year, value)| format!("{year}: {value}"))
        .collect();
    let label = format!("{name}: {}", described.join(", "));
    html! {
        h3 { (capitalised(name)) }
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(label) {
            title { (label) }
            @for (index, (year, value)) in values.iter().enumerate() {
                @let x = index as u64 * slot + slot / 4;
                rect.bar-fill x=(x) y=(base - scale(*value)) width=(slot / 2) height=(scale(*value)) {}
                text x=(x + slot / 4) y=(base - scale(*value) - 6) text-anchor="middle" { (value) }
                text x=(x + slot / 4) y=(base + 20) text-anchor="middle" { (year) }
            }
            @if let Some(target) = target {
                line.target-line x1="0" x2=(width) y1=(base - scale(target)) y2=(base - scale(target)) {}
                text x=(width - 4) y=(base - scale(target) - 6) text-anchor="end" { (lang.pick("mål ", "target ")) (target) }
            }
        }
    }
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
