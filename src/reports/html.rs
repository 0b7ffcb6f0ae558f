//! The report as one printable page: self-contained HTML with inline CSS and inline SVG, no
//! scripts, no fonts or images from elsewhere, so it prints and archives the same forever.
//!
//! maud escapes every value written into the page; only the constant stylesheet is written
//! as it is. Names of enterprises and funders come from events, which anyone with a staff token
//! writes, so nothing from an event ever reaches the page unescaped.

use impact_events::{Hash, Metric, Per};
use impact_projections::{EventRef, TargetStatus, Targets};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::tracks;
use super::words::{self, Lang, NumberStyle};
use super::AnnualReport;

/// Attainment beyond this is drawn as a full bar with a break mark; the number is still shown.
const BAR_PERCENT_MAX: f64 = 150.0;
/// SVG units of the bar track, which stands for 0 to `BAR_PERCENT_MAX` percent.
const BAR_WIDTH: f64 = 480.0;
/// Hash digits shown in the audit trail's tables; it has the head hash in full.
const HASH_PREFIX_DIGITS: usize = 8;
/// The most events a table of the page names (registered, closed, retracted): a municipality
/// has a few dozen enterprises, but a large log registers thousands a year, and a page of
/// all of them is megabytes that nobody reads. The CSV and JSON renderings name every one.
pub const EVENTS_SHOWN_MAX: usize = 50;

/// Where a capped table points for the rest: links to this report's CSV and JSON (served
/// over HTTP), or the commands that make them (a page printed by `impact-ledger report`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Downloads {
    Linked,
    Commands,
}

/// The page, as a string of HTML.
pub fn render(report: &AnnualReport, lang: Lang, downloads: Downloads) -> String {
    let page = Page {
        report,
        lang,
        numbers: NumberStyle::of(lang),
        downloads,
    };
    page.document().into_string()
}

struct Page<'a> {
    report: &'a AnnualReport,
    lang: Lang,
    numbers: NumberStyle,
    downloads: Downloads,
}

impl Page<'_> {
    fn pick<'w>(&self, danish: &'w str, english: &'w str) -> &'w str {
        self.lang.pick(danish, english)
    }

    fn count(&self, count: impl Into<i128>) -> String {
        self.numbers.integer(count.into())
    }

    fn percent(&self, value: Option<f64>) -> String {
        match value {
            Some(value) => format!("{}\u{a0}%", self.numbers.one_decimal(value)),
            None => "–".to_owned(),
        }
    }

    fn kroner(&self, ore: i64) -> String {
        let amount = self.numbers.kroner(ore);
        match self.lang {
            Lang::Da => format!("{amount}\u{a0}kr."),
            Lang::En => format!("DKK\u{a0}{amount}"),
        }
    }

    fn title(&self) -> String {
        let year = self.report.year;
        match self.lang {
            Lang::Da => format!("Socialøkonomisk årsrapport {year}"),
            Lang::En => format!("Social economy annual report {year}"),
        }
    }

    fn document(&self) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(self.lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="generator" content="impact-ledger";
                    title { (self.title()) }
                    style { (PreEscaped(STYLESHEET)) }
                    style { (PreEscaped(self.print_margins())) }
                }
                body {
                    // The body is for the committee: prose, tables and charts. Positions,
                    // hashes, retractions and commands are for the auditor, in the appendix.
                    main.page {
                        (self.masthead())
                        (self.headline())
                        (self.attainment())
                        (self.tracks())
                        (self.bridge())
                        (self.employment_and_enterprises())
                        (self.grants())
                        (self.activities())
                        (self.goals())
                        p.colophon { (self.colophon()) }
                    }
                    (self.audit_trail())
                }
            }
        }
    }

    fn masthead(&self) -> Markup {
        let report = self.report;
        let strategy = report.targets.as_ref().map(|targets| &targets.strategy);
        html! {
            header.masthead {
                @if let Some(strategy) = strategy {
                    p.kicker {
                        (strategy.name) " · " (strategy.from_year) "–" (strategy.to_year)
                    }
                } @else {
                    p.kicker { (self.pick("Ingen strategi i kraft", "No strategy in force")) }
                }
                h1 { (self.title()) }
                p.meta {
                    @if let Some(municipality) = &report.municipality {
                        (municipality) " · "
                    }
                    @match report.head_recorded_at {
                        Some(recorded_at) => {
                            (self.pick("Opgjort med alt registreret til og med ", "Covers everything recorded up to "))
                            (words::instant(self.lang, recorded_at))
                        }
                        None => { (self.pick("Intet er registreret endnu", "Nothing is recorded yet")) }
                    }
                    " · " (self.pick("Kontrolspor i bilaget", "Audit trail in the appendix"))
                }
            }
        }
    }

    fn headline(&self) -> Markup {
        let report = self.report;
        let status = &report.status;
        let year = report.year;
        let people = self.pick(
            "personer kom i beskæftigelse i ",
            "people got employment in ",
        );
        let enterprises = self.pick(
            "aktive socialøkonomiske virksomheder og initiativer ultimo ",
            "active social-economic enterprises and initiatives at the end of ",
        );
        html! {
            section.headline {
                (self.headline_card(
                    status.people_employed,
                    &format!("{people}{year}"),
                    self.target(Metric::PeopleEmployed),
                ))
                (self.headline_card(
                    status.enterprises.active,
                    &format!("{enterprises}{year}"),
                    self.target(Metric::EnterprisesActive),
                ))
            }
        }
    }

    fn target(&self, metric: Metric) -> Option<&TargetStatus> {
        let targets = self.report.targets.as_ref()?;
        targets
            .targets
            .iter()
            .find(|target| target.metric == metric)
    }

    fn headline_card(&self, figure: u64, caption: &str, target: Option<&TargetStatus>) -> Markup {
        html! {
            div.card {
                div.figure { (self.count(figure)) }
                div.caption { (caption) }
                div.versus {
                    @match target {
                        Some(target) => {
                            (self.pick("Mål: ", "Target: ")) strong { (self.count(target.target)) } " "
                            (words::per(self.lang, target.per)) " · "
                            (self.percent(target.attainment_pct))
                        }
                        None => { (self.pick("Intet mål i kraft", "No target in force")) }
                    }
                }
            }
        }
    }

    fn attainment(&self) -> Markup {
        let Some(targets) = &self.report.targets else {
            return html! {};
        };
        html! {
            section {
                h2 { (self.pick("Målopfyldelse", "Attainment of targets")) }
                (self.target_table(targets))
                @for target in &targets.targets {
                    (self.target_bar(targets, target))
                }
                h3 { (self.pick("Kan målene nås i perioden?", "Can the targets be reached in the period?")) }
                ul.reachable {
                    @for target in &targets.targets {
                        li { strong { (capitalised(words::metric(self.lang, target.metric))) } ": "
                            (words::reachable(self.lang, target)) }
                    }
                }
                p.note {
                    (self.pick(
                        "Den lodrette streg er målet (100 %). Søjler over 150 % er afkortet; tallet står til højre.",
                        "The vertical line is the target (100 %). Bars beyond 150 % are cut short; the number is on the right.",
                    ))
                }
            }
        }
    }

    /// The eight strategy tracks and the figure that measures each now.
    fn tracks(&self) -> Markup {
        html! {
            section {
                h2 { (self.pick("De otte strategispor", "The eight strategy tracks")) }
                table.tracks {
                    thead { tr {
                        th scope="col" { (self.pick("Spor", "Track")) }
                        th.number scope="col" { (self.pick("Tal", "Figure")) }
                        th scope="col" { (self.pick("Måles nu ved", "Measured now by")) }
                    } }
                    tbody {
                        @for track in tracks::tracks(self.lang, &self.report.status) {
                            tr {
                                th scope="row" { (track.name) }
                                td.number { (track.figure) }
                                td { (track.measure) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every target in force, one row each: a strategy with more targets gets more rows.
    fn target_table(&self, targets: &Targets) -> Markup {
        let lang = self.lang;
        let to_year = targets.strategy.to_year;
        html! {
            table.targets {
                thead { tr {
                    th scope="col" { (self.pick("Nøgletal", "Metric")) }
                    th.number scope="col" { (self.pick("Mål", "Target")) }
                    th.number scope="col" { (self.pick("Faktisk", "Actual")) }
                    th.number scope="col" { (self.pick("Opfyldelse", "Attainment")) }
                    th.number scope="col" { (self.pick("Prognose ", "Forecast ")) (to_year) }
                    th scope="col" { (self.pick("Vurdering", "Assessment")) }
                } }
                tbody {
                    @for target in &targets.targets {
                        @let outlook = target.outlook.as_ref();
                        tr {
                            th scope="row" { (capitalised(words::metric(lang, target.metric)))
                                " " span.muted { (words::per(lang, target.per)) } }
                            td.number { (self.count(target.target)) }
                            td.number { (target.actual.map_or_else(
                                || words::not_measured(lang).to_owned(),
                                |actual| words::figure(lang, actual),
                            )) }
                            td.number.nowrap { (self.percent(target.attainment_pct)) }
                            td.number { @match outlook.and_then(|outlook| outlook.forecast) {
                                Some(forecast) => { (self.numbers.forecast(forecast)) }
                                None => { "–" }
                            } }
                            td { (self.assessment(target)) }
                        }
                    }
                }
            }
        }
    }

    /// Met, on track or not, in words (the colours of the bars say the same).
    fn assessment(&self, target: &TargetStatus) -> Markup {
        let on_track = target.outlook.as_ref().and_then(|outlook| outlook.on_track);
        html! {
            @match (target.met, on_track) {
                (true, _) => { span.good { (self.pick("opfyldt", "met")) } }
                (false, Some(true)) => { span.good { (self.pick("på sporet", "on track")) } }
                (false, Some(false)) => { span.bad { (self.pick("ikke på sporet", "not on track")) } }
                (false, None) if target.per == Per::Year => { span.bad { (self.pick("ikke opfyldt", "not met")) } }
                (false, None) => { span.muted { (self.pick("endnu uafgjort", "not decided yet")) } }
            }
        }
    }

    fn target_bar(&self, targets: &Targets, target: &TargetStatus) -> Markup {
        let lang = self.lang;
        let outlook = target.outlook.as_ref();
        let forecast = outlook.and_then(|outlook| outlook.forecast);
        let on_track = outlook.and_then(|outlook| outlook.on_track);
        let state = match (target.met, on_track) {
            (true, _) => "met",
            (false, Some(true)) => "on-track",
            (false, Some(false)) => "behind",
            (false, None) if target.per == Per::Year => "behind",
            (false, None) => "open",
        };
        html! {
            div.target {
                div.target-head {
                    span.target-name { (capitalised(words::metric(lang, target.metric))) }
                    span.target-figures {
                        (self.pick("faktisk ", "actual ")) strong {
                            (target.actual.map_or_else(
                                || words::not_measured(lang).to_owned(),
                                |actual| words::figure(lang, actual),
                            ))
                        }
                        " · " (self.pick("mål ", "target ")) strong { (self.count(target.target)) }
                        " " (words::per(lang, target.per))
                    }
                }
                (self.bar_svg(target, state, forecast))
                @if let Some(outlook) = outlook {
                    p.outlook {
                        (self.pick("Prognose for ", "Forecast for ")) (targets.strategy.to_year) ": "
                        @match forecast {
                            Some(forecast) => { strong { (self.numbers.forecast(forecast)) } }
                            None => { (self.pick("kræver mindst to år", "needs at least two years")) }
                        }
                        @match outlook.on_track {
                            Some(true) => { " · " span.good { (self.pick("på sporet", "on track")) } }
                            Some(false) => { " · " span.bad { (self.pick("ikke på sporet", "not on track")) } }
                            None => {}
                        }
                        " " span.muted { (self.pick("(lineær tendens siden ", "(linear trend since "))
                            (targets.strategy.from_year) ")" }
                    }
                }
            }
        }
    }

    /// The bar: a track for 0-150 %, the attainment, the target line and the forecast.
    fn bar_svg(&self, target: &TargetStatus, state: &str, forecast: Option<f64>) -> Markup {
        let percent = target.attainment_pct.unwrap_or(0.0);
        let width = bar_x(percent);
        let capped = percent > BAR_PERCENT_MAX;
        let target_x = bar_x(100.0);
        let forecast_x = forecast
            .filter(|_| target.target > 0)
            .map(|forecast| bar_x(forecast * 100.0 / target.target as f64));
        let label = format!(
            "{}: {}",
            capitalised(words::metric(self.lang, target.metric)),
            self.percent(target.attainment_pct)
        );
        html! {
            svg.bar viewBox="0 0 640 46" role="img" aria-label=(label) {
                title { (label) }
                rect.track x="0" y="12" width=(svg_number(BAR_WIDTH)) height="20" rx="3" {}
                rect class={"fill " (state)} x="0" y="12" width=(svg_number(width)) height="20" rx="3" {}
                @if capped {
                    path.break d=(format!("M{0} 10 L{1} 34 M{2} 10 L{3} 34",
                        svg_number(BAR_WIDTH - 26.0), svg_number(BAR_WIDTH - 32.0),
                        svg_number(BAR_WIDTH - 18.0), svg_number(BAR_WIDTH - 24.0))) {}
                }
                @if let Some(forecast_x) = forecast_x {
                    line.forecast x1=(svg_number(forecast_x)) x2=(svg_number(forecast_x)) y1="8" y2="36" {}
                }
                line.goal x1=(svg_number(target_x)) x2=(svg_number(target_x)) y1="4" y2="40" {}
                text.goal-label x=(svg_number(target_x)) y="45" text-anchor="middle" { "100 %" }
                text.percent x=(svg_number(BAR_WIDTH + 14.0)) y="28" { (self.percent(target.attainment_pct)) }
            }
        }
    }

    fn bridge(&self) -> Markup {
        let history = &self.report.history;
        let bridge = &history.enterprises;
        let (from, to) = (history.from, history.to);
        let equation = format!(
            "{} + {} − {} = {}",
            self.count(bridge.from),
            self.count(bridge.registered),
            self.count(bridge.closed),
            self.count(bridge.to)
        );
        html! {
            section.flows {
                h2 { (self.pick("Fra ", "From ")) (from) (self.pick(" til ", " to ")) (to) ": "
                    (self.pick("aktive virksomheder og initiativer", "active enterprises and initiatives")) }
                div.bridge role="img" aria-label=(equation) title=(equation) {
                    (self.term(bridge.from, &format!("{} {from}", self.pick("aktive ultimo", "active at the end of")), "start"))
                    span.operator { "+" }
                    (self.term(bridge.registered, &format!("{} {to}", self.pick("registreret i", "registered in")), "plus"))
                    span.operator { "−" }
                    (self.term(bridge.closed, &format!("{} {to}", self.pick("lukket i", "closed in")), "minus"))
                    span.operator { "=" }
                    (self.term(bridge.to, &format!("{} {to}", self.pick("aktive ultimo", "active at the end of")), "result"))
                }
                div.columns {
                    div {
                        h3 { (self.pick("Registreret i ", "Registered in ")) (to) }
                        (self.event_table(&bridge.registered_events, false))
                    }
                    div {
                        h3 { (self.pick("Lukket i ", "Closed in ")) (to) }
                        (self.event_table(&bridge.closed_events, false))
                    }
                }
            }
        }
    }

    fn term(&self, figure: u64, caption: &str, class: &str) -> Markup {
        html! {
            div class={"term " (class)} {
                span.term-figure { (self.count(figure)) }
                span.term-caption { (caption) }
            }
        }
    }

    /// The enterprises of a bridge term by name and date, the first `EVENTS_SHOWN_MAX`;
    /// `traced` adds each event's log position and hash, for the audit trail (the body leaves
    /// them out).
    fn event_table(&self, events: &[EventRef], traced: bool) -> Markup {
        if events.is_empty() {
            return html! { p.muted { (self.pick("Ingen.", "None.")) } };
        }
        let shown = &events[..events.len().min(EVENTS_SHOWN_MAX)];
        html! {
            table.events {
                thead { tr {
                    th scope="col" { (self.pick("Navn", "Name")) }
                    th scope="col" { (self.pick("Dato", "Date")) }
                    @if traced {
                        th.number scope="col" { (self.pick("Position", "Position")) }
                        th scope="col" { "Hash" }
                    }
                } }
                tbody {
                    @for event in shown {
                        tr {
                            td { (self.report.label(event.position).unwrap_or("–")) }
                            td.nowrap { (event.occurred_on) }
                            @if traced {
                                td.number { (event.position) }
                                td.hash { (hash_prefix(event.hash)) }
                            }
                        }
                    }
                }
            }
            (self.rest(shown.len(), events.len()))
        }
    }

    /// Under a table cut at `EVENTS_SHOWN_MAX` rows: how many there are, and where every one
    /// of them is named.
    fn rest(&self, shown: usize, total: usize) -> Markup {
        if shown >= total {
            return html! {};
        }
        let report = self.report;
        let (shown, total) = (self.count(shown as u64), self.count(total as u64));
        let download = |format: &str| {
            format!(
                "?format={format}&at_position={}&lang={}",
                report.as_of_position,
                self.lang.tag()
            )
        };
        let command = |format: &str| {
            format!(
                "impact-ledger report --year {} --at-position {} --format {format}",
                report.year, report.as_of_position
            )
        };
        html! {
            p.note.rest {
                (self.pick("Viser de første ", "Showing the first ")) (shown)
                (self.pick(" af ", " of ")) strong { (total) } ". "
                (self.pick("Alle står i rapportens downloads: ", "All of them are in the report's downloads: "))
                @match self.downloads {
                    Downloads::Linked => {
                        a href=(download("csv")) { "CSV" } " · " a href=(download("json")) { "JSON" }
                    }
                    Downloads::Commands => {
                        code { (command("csv")) } (self.pick(" eller ", " or ")) code { (command("json")) }
                    }
                }
            }
        }
    }

    fn employment_and_enterprises(&self) -> Markup {
        let report = self.report;
        let status = &report.status;
        let history = &report.history;
        let lang = self.lang;
        html! {
            section.columns {
                div {
                    h2 { (self.pick("Beskæftigelse", "Employment")) }
                    table.figures {
                        tr { th { (self.pick("Personer i beskæftigelse ", "People employed ")) (history.from) }
                             td.number { (self.count(history.people_employed.from)) } }
                        tr { th { (self.pick("Personer i beskæftigelse ", "People employed ")) (history.to) }
                             td.number { strong { (self.count(history.people_employed.to)) } } }
                        tr.sum { th { (self.pick("Ansættelsesforløb i ", "Placements in ")) (report.year) }
                             td.number { (self.count(status.placements.total)) } }
                        @for (employment_type, count) in &status.placements.by_type {
                            tr.sub { th { (words::employment_type(lang, *employment_type)) }
                                     td.number { (self.count(*count)) } }
                        }
                    }
                }
                div {
                    h2 { (self.pick("Virksomheder og initiativer", "Enterprises and initiatives")) }
                    table.figures {
                        tr { th { (self.pick("Aktive ultimo ", "Active at the end of ")) (report.year) }
                             td.number { strong { (self.count(status.enterprises.active)) } } }
                        @for (kind, count) in &status.enterprises.active_by_kind {
                            tr.sub { th { (words::enterprise_kind(lang, *kind)) }
                                     td.number { (self.count(*count)) } }
                        }
                        tr.sum { th { (self.pick("Registreret i ", "Registered in ")) (report.year) }
                             td.number { (self.count(status.enterprises.registered)) } }
                        tr { th { (self.pick("Lukket i ", "Closed in ")) (report.year) }
                             td.number { (self.count(status.enterprises.closed)) } }
                    }
                }
            }
        }
    }

    fn grants(&self) -> Markup {
        let grants = &self.report.status.grants;
        let year = self.report.year;
        html! {
            section {
                h2 { (self.pick("Fundraising: bevillinger fra puljer og fonde", "Fundraising: grants from pools and foundations")) }
                @if grants.by_funder.is_empty() {
                    p.muted { (self.pick("Ingen bevillinger i ", "No grants in ")) (year) "." }
                } @else {
                    table.money {
                        thead { tr {
                            th { (self.pick("Bevillingsgiver", "Funder")) }
                            th.number { (self.pick("Beløb", "Amount")) }
                        } }
                        tbody {
                            @for (funder, ore) in &grants.by_funder {
                                tr { td { (funder) } td.number.nowrap { (self.kroner(*ore)) } }
                            }
                        }
                        tfoot { tr {
                            th { (self.pick("I alt", "Total")) " (" (self.count(grants.count)) " "
                                (if grants.count == 1 { self.pick("bevilling", "grant") } else { self.pick("bevillinger", "grants") }) ")" }
                            td.number.nowrap { (self.kroner(grants.total_ore)) }
                        } }
                    }
                }
            }
        }
    }

    fn activities(&self) -> Markup {
        let status = &self.report.status;
        let year = self.report.year;
        let lang = self.lang;
        html! {
            section.three {
                div {
                    h2 { (self.pick("Aftaler", "Agreements")) }
                    table.figures {
                        tr { th { (self.pick("Aktive ultimo ", "Active at the end of ")) (year) }
                             td.number { strong { (self.count(status.agreements.active)) } } }
                        tr.sum { th { (self.pick("Indgået i ", "Signed in ")) (year) }
                             td.number { (self.count(status.agreements.signed)) } }
                        @for (kind, count) in &status.agreements.signed_by_kind {
                            tr.sub { th { (words::agreement_kind(lang, *kind)) } td.number { (self.count(*count)) } }
                        }
                    }
                }
                div {
                    h2 { (self.pick("Forsøg", "Trials")) }
                    table.figures {
                        tr { th { (self.pick("Startet i ", "Started in ")) (year) }
                             td.number { strong { (self.count(status.trials.started)) } } }
                        @for (kind, count) in &status.trials.by_kind {
                            tr.sub { th { (words::trial_kind(lang, *kind)) } td.number { (self.count(*count)) } }
                        }
                    }
                }
                div {
                    h2 { (self.pick("Trends og tilbud", "Trends and offers")) }
                    table.figures {
                        tr { th { (self.pick("Noteret i ", "Noted in ")) (year) }
                             td.number { strong { (self.count(status.trends.noted)) } } }
                        @for (kind, count) in &status.trends.by_kind {
                            tr.sub { th { (words::trend_kind(lang, *kind)) } td.number { (self.count(*count)) } }
                        }
                    }
                }
            }
        }
    }

    fn goals(&self) -> Markup {
        let sdgs = &self.report.status.sdgs;
        html! {
            section {
                h2 { (self.pick("Verdensmålene", "The Sustainable Development Goals")) }
                @if sdgs.is_empty() {
                    p.muted { (self.pick("Ingen løsninger er knyttet til verdensmålene.", "No solutions are tied to the goals.")) }
                } @else {
                    p.note { (self.pick(
                        "Antal aktive virksomheder samt årets bevillinger og forsøg, der bærer hvert mål.",
                        "How many active enterprises, and grants and trials of the year, carry each goal.",
                    )) }
                    ul.goals {
                        @for (goal, count) in sdgs {
                            li.goal style=(format!("--goal:{}", sdg_colour(*goal))) {
                                span.goal-number { (goal) }
                                span.goal-name { (words::sdg(self.lang, *goal).unwrap_or("")) }
                                span.goal-count { (self.count(*count)) }
                            }
                        }
                    }
                }
            }
        }
    }

    fn retracted_events(&self) -> Markup {
        let history = &self.report.history;
        html! {
            section {
                h3 { (self.pick("Tilbagekaldte hændelser", "Retracted events")) }
                @if history.retracted_events.is_empty() {
                    p.muted { (self.pick("Ingen hændelser fra ", "No events from ")) (history.from) "–" (history.to)
                        (self.pick(" er tilbagekaldt.", " were retracted.")) }
                } @else {
                    p.note { (self.pick(
                        "Fejl rettes aldrig i loggen; de tilbagekaldes af en ny hændelse med en begrundelse og tælles ingen steder.",
                        "Mistakes are never edited in the log; a new event retracts them with a reason, and they count nowhere.",
                    )) }
                    table.events {
                        thead { tr {
                            th scope="col" { (self.pick("Hændelse", "Event")) }
                            th scope="col" { (self.pick("Dato", "Date")) }
                            th.number scope="col" { (self.pick("Position", "Position")) }
                            th scope="col" { (self.pick("Begrundelse", "Reason")) }
                            th.number scope="col" { (self.pick("Tilbagekaldt ved position", "Retracted at position")) }
                        } }
                        tbody {
                            @for retracted in history.retracted_events.iter().take(EVENTS_SHOWN_MAX) {
                                tr {
                                    td {
                                        (capitalised(words::event_type(self.lang, retracted.event.event_type)))
                                        @if let Some(label) = self.report.label(retracted.event.position) {
                                            ": " (label)
                                        }
                                    }
                                    td.nowrap { (retracted.event.occurred_on) }
                                    td.number { (retracted.event.position) }
                                    td { (retracted.reason) }
                                    td.number { (retracted.retracted_by.position) }
                                }
                            }
                        }
                    }
                    (self.rest(history.retracted_events.len().min(EVENTS_SHOWN_MAX), history.retracted_events.len()))
                }
            }
        }
    }

    /// The appendix for the auditor: which log the figures came from, how to prove it, and
    /// every event the report lists with its position and hash. It starts on a page of its own.
    fn audit_trail(&self) -> Markup {
        let report = self.report;
        let bridge = &report.history.enterprises;
        let to = report.history.to;
        html! {
            section.page.appendix aria-labelledby="kontrolspor" {
                p.kicker { (self.pick("Bilag", "Appendix")) }
                h2 #kontrolspor { (self.pick("Kontrolspor", "Audit trail")) }
                p { (self.pick(
                    "Til revisionen: hvilken log tallene er beregnet af, hvordan det efterprøves, og hver hændelse rapporten nævner, med position og hash.",
                    "For the auditor: which log the figures were computed from, how to check it, and every event the report names, with its position and hash.",
                )) }
                (self.log_identity())
                (self.how_to_check())
                section {
                    h3 { (self.pick("Registreret i ", "Registered in ")) (to) }
                    (self.event_table(&bridge.registered_events, true))
                    h3 { (self.pick("Lukket i ", "Closed in ")) (to) }
                    (self.event_table(&bridge.closed_events, true))
                }
                (self.retracted_events())
            }
        }
    }

    fn log_identity(&self) -> Markup {
        let report = self.report;
        html! {
            section {
                h3 { (self.pick("Loggen", "The log")) }
                table.figures {
                    tr { th scope="row" { (self.pick("Til og med position", "Up to and including position")) }
                         td.number { strong { (report.as_of_position) } } }
                    @if let Some(recorded_at) = report.head_recorded_at {
                        tr { th scope="row" { (self.pick("Seneste registrering", "Last recorded")) }
                             td.number { (words::instant(self.lang, recorded_at)) } }
                    }
                }
                p { (self.pick("Hændelsens hash på den position:", "The hash of the event at that position:")) }
                p.head-hash { code { (report.head_hash.to_hex()) } }
                p {
                    (self.pick("Loggens signerede checkpoint (Merkle-træets størrelse og rod, C2SP signed note; docs/AUDIT.md viser, hvordan man beviser, at en senere rapport bygger videre på denne):",
                        "The log's signed checkpoint (the Merkle tree's size and root, a C2SP signed note; docs/AUDIT.md shows how to prove that a later report extends this one):"))
                }
                pre.checkpoint { (report.checkpoint) }
            }
        }
    }

    fn how_to_check(&self) -> Markup {
        let report = self.report;
        let position = report.as_of_position;
        let before = position.saturating_sub(1);
        html! {
            section {
                h3 { (self.pick("Sådan efterprøves det", "How to check it")) }
                ul.steps {
                    li { code { "GET /api/v1/verify" }
                        (self.pick(" (rolle revisor eller admin) skal svare ", " (role auditor or admin) must answer "))
                        code { "\"ok\": true" } "." }
                    li { (self.pick("Hændelsen på position ", "The event at position ")) (position) " ("
                        code { (format!("GET /api/v1/events?after={before}&limit=1")) } ") "
                        (self.pick("skal have netop denne hash.", "must have exactly this hash.")) }
                    li { (self.pick("Uden server: ", "Offline: ")) code { "impact-ledger verify --data DIR" }
                        (self.pick(" og ", " and "))
                        code { (format!("impact-ledger report --year {} --at-position {position} --format html", report.year)) }
                        (self.pick(", der danner denne rapport igen.", ", which makes this report again.")) }
                }
            }
        }
    }

    /// Who, what and as of when: the running footer of every printed page, and the last line
    /// of the body on screen.
    fn colophon(&self) -> String {
        let report = self.report;
        let mut parts = Vec::new();
        if let Some(municipality) = &report.municipality {
            parts.push(municipality.clone());
        }
        parts.push(self.title());
        if let Some(recorded_at) = report.head_recorded_at {
            let date = words::date(self.lang, recorded_at);
            parts.push(format!("{} {date}", self.pick("opgjort", "as of")));
        }
        parts.join(" · ")
    }

    /// The printed pages' margins: the colophon bottom left, "Side 2 af 5" bottom right.
    /// The colophon names a municipality someone typed, so it is written as a CSS string with
    /// everything but letters, digits and spaces escaped: it cannot end the string or the
    /// `<style>` element.
    fn print_margins(&self) -> String {
        let (page, of) = (self.pick("Side ", "Page "), self.pick(" af ", " of "));
        format!(
            "@page {{ @bottom-left {{ content: {}; }} @bottom-right {{ content: {} counter(page) {} counter(pages); }} }}",
            css_string(&self.colophon()),
            css_string(page),
            css_string(of),
        )
    }
}

/// The x of a percentage on the bar, capped at `BAR_PERCENT_MAX`.
fn bar_x(percent: f64) -> f64 {
    percent.clamp(0.0, BAR_PERCENT_MAX) / BAR_PERCENT_MAX * BAR_WIDTH
}

fn svg_number(value: f64) -> String {
    format!("{value:.1}")
}

fn hash_prefix(hash: Hash) -> String {
    let mut text = hash.to_hex();
    text.truncate(HASH_PREFIX_DIGITS);
    text.push('…');
    text
}

/// Text as a quoted CSS string: letters, digits and spaces as they are, the rest as hex escapes.
fn css_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        if character.is_alphanumeric() || character == ' ' {
            quoted.push(character);
        } else {
            quoted.push_str(&format!("\\{:x} ", u32::from(character)));
        }
    }
    quoted.push('"');
    quoted
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The UN's colour of each goal, so the tags look like the icons readers know. It marks the
/// tag's edge; the text is dark on light, since white on several of these colours (yellow,
/// orange) is below WCAG AA contrast.
fn sdg_colour(goal: u8) -> &'static str {
    const COLOURS: [&str; 17] = [
        "#e5243b", "#dda63a", "#4c9f38", "#c5192d", "#ff3a21", "#26bde2", "#fcc30b", "#a21942",
        "#fd6925", "#dd1367", "#fd9d24", "#bf8b2e", "#3f7e44", "#0a97d9", "#56c02b", "#00689d",
        "#19486a",
    ];
    usize::from(goal)
        .checked_sub(1)
        .and_then(|index| COLOURS.get(index))
        .copied()
        .unwrap_or("#5a6878")
}

/// The page's only style: constant, so it is written as it is.
const STYLESHEET: &str = r#"
@page { size: A4; margin: 14mm 14mm 18mm;
  @bottom-left { font: 8pt sans-serif; color: #5d6b79; }
  @bottom-right { font: 8pt sans-serif; color: #5d6b79; } }
:root {
  --ink: #1c2630; --muted: #5d6b79; --rule: #d6dde4; --soft: #f2f5f8; --accent: #1f4e79;
  --met: #2e7d4f; --on-track: #c98a06; --behind: #b3392f; --open: #6b7f93;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; background: #e6eaee; color: var(--ink);
  font: 10.5pt/1.45 "Source Sans 3", "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
.page { max-width: 210mm; margin: 0 auto; background: #fff; padding: 14mm 15mm 12mm; }
h1 { font-size: 23pt; line-height: 1.15; margin: 0.1em 0 0.25em; color: var(--accent); letter-spacing: -0.01em; }
h2 { font-size: 12.5pt; margin: 0 0 0.45em; color: var(--accent); }
h3 { font-size: 10.5pt; margin: 0.6em 0 0.3em; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
section { margin: 0 0 7mm; }
p { margin: 0.3em 0; }
.masthead { border-bottom: 2.5pt solid var(--accent); padding-bottom: 3mm; margin-bottom: 6mm; }
.kicker { margin: 0; color: var(--muted); font-size: 10pt; text-transform: uppercase; letter-spacing: 0.06em; }
.meta { color: var(--muted); font-size: 9.5pt; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 9pt; }
.good { color: var(--met); font-weight: 600; }
.bad { color: var(--behind); font-weight: 600; }
.headline { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm; }
.card { background: var(--soft); border-left: 4pt solid var(--accent); padding: 3.5mm 4.5mm; }
.figure { font-size: 34pt; font-weight: 700; line-height: 1; color: var(--accent); }
.caption { margin-top: 1.5mm; font-weight: 600; }
.versus { margin-top: 1.5mm; color: var(--muted); font-size: 9.5pt; }
.versus strong { color: var(--ink); }
.target { margin: 0 0 3mm; }
.target-head { display: flex; justify-content: space-between; align-items: baseline; gap: 4mm; }
.target-name { font-weight: 600; }
.target-figures { color: var(--muted); font-size: 9.5pt; white-space: nowrap; }
.target-figures strong { color: var(--ink); }
svg.bar { display: block; width: 100%; height: auto; margin-top: 1mm; }
svg.bar .track { fill: #e4e9ee; }
svg.bar .fill.met { fill: var(--met); }
svg.bar .fill.on-track { fill: var(--on-track); }
svg.bar .fill.behind { fill: var(--behind); }
svg.bar .fill.open { fill: var(--open); }
svg.bar .break { stroke: #fff; stroke-width: 4; }
svg.bar .goal { stroke: var(--ink); stroke-width: 2; }
svg.bar .forecast { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.bar .goal-label { font-size: 9px; fill: var(--muted); font-family: inherit; }
svg.bar .percent { font-size: 16px; font-weight: 700; fill: var(--ink); font-family: inherit; }
.outlook { font-size: 9.5pt; margin-top: 0; }
.bridge { display: flex; align-items: stretch; gap: 2.5mm; margin: 2mm 0 1mm; }
.term { flex: 1; background: var(--soft); padding: 2.5mm 3mm; text-align: center; border-top: 3pt solid var(--accent); }
.term.plus { border-top-color: var(--met); }
.term.minus { border-top-color: var(--behind); }
.term.result { background: var(--accent); color: #fff; }
.term-figure { display: block; font-size: 22pt; font-weight: 700; line-height: 1.1; }
.term-caption { display: block; font-size: 8.5pt; }
.term:not(.result) .term-caption { color: var(--muted); }
.operator { align-self: center; font-size: 20pt; font-weight: 700; color: var(--muted); }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 7mm; }
.three { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 6mm; }
table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
th, td { text-align: left; padding: 1.1mm 1.5mm; border-bottom: 0.5pt solid var(--rule); vertical-align: baseline; }
thead th { font-size: 8.5pt; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; border-bottom: 1pt solid var(--ink); }
table.figures th { font-weight: 400; }
tr.sub th { padding-left: 5mm; color: var(--muted); }
tr.sub td { color: var(--muted); }
tr.sum th, tr.sum td { border-top: 1pt solid var(--rule); }
tfoot th, tfoot td { font-weight: 700; border-top: 1pt solid var(--ink); border-bottom: none; }
.number { text-align: right; }
.nowrap { white-space: nowrap; }
.hash, code { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 8.5pt; }
.goals { list-style: none; padding: 0; margin: 1mm 0 0; display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 2mm; }
.goal { display: flex; align-items: center; gap: 2mm; background: var(--soft); color: var(--ink); border-left: 5mm solid var(--goal); padding: 1.5mm 2.5mm; font-size: 9pt; }
.goal-number { font-weight: 800; font-size: 13pt; min-width: 6mm; }
.goal-name { flex: 1; line-height: 1.2; }
.goal-count { font-weight: 700; background: #fff; padding: 0 1.8mm; }
.colophon { border-top: 1pt solid var(--rule); padding-top: 2mm; margin-top: 4mm; font-size: 8.5pt; color: var(--muted); }
.appendix { margin-top: 8mm; font-size: 9.5pt; }
.appendix h2 { font-size: 16pt; }
.appendix section { margin: 0 0 5mm; }
.steps { margin: 0.3em 0; padding-left: 5mm; }
.steps li { margin: 0.25em 0; }
table.targets { margin: 0 0 4mm; }
table.targets tbody th { font-weight: 600; }
.checkpoint { font-size: 8pt; white-space: pre-wrap; word-break: break-all; background: var(--soft); padding: 1mm 2mm; }
.head-hash code { font-size: 9pt; color: var(--ink); background: var(--soft); padding: 1mm 2mm; display: inline-block; word-break: break-all; }
@media screen and (max-width: 220mm) {
  body { background: #fff; }
}
@media print {
  body { background: #fff; }
  .page { max-width: none; padding: 0; }
  section, .card, .target, tr, .bridge { break-inside: avoid; }
  section.flows { break-inside: auto; }
  .appendix { break-before: page; margin-top: 0; }
  .colophon { display: none; }
  h2, h3 { break-after: avoid; }
}
"#;
