//! The report as CSV: one figure a row, `section;metric;key;value`.
//!
//! The default is what Danish Excel opens with a double click: semicolons, a decimal comma
//! (393,3), UTF-8 with a byte order mark (without it Excel reads æøå as Latin-1) and CRLF line
//! ends. `Separator::Comma` gives plain RFC 4180 instead: commas, a decimal point, no BOM.
//! Numbers are never grouped in thousands, so a spreadsheet reads them as numbers.
//!
//! CSV injection (OWASP): every field that is not a plain number is quoted, so a separator of
//! the other kind inside a name (`Acme;=1+2+3` in the comma file) stays inside its cell even
//! when the file is opened with the other separator; and an apostrophe is put before `=`, `+`,
//! `-` or `@` where it starts a field or follows any `,` `;` tab, CR or LF, and before a
//! leading tab or CR, so that a spreadsheet shows the text instead of running it as a formula,
//! whichever separator it splits on.

use impact_projections::{Actual, TargetStatus};

use super::words::{self, Lang, NumberStyle};
use super::AnnualReport;

/// The field separator of the CSV rendering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Separator {
    /// Semicolons, decimal comma and a BOM: Danish Excel.
    #[default]
    Semicolon,
    /// Commas and a decimal point, no BOM: RFC 4180.
    Comma,
}

impl Separator {
    pub fn parse(text: &str) -> Option<Separator> {
        match text {
            "semicolon" => Some(Separator::Semicolon),
            "comma" => Some(Separator::Comma),
            _ => None,
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Separator::Semicolon => b';',
            Separator::Comma => b',',
        }
    }

    fn numbers(self) -> NumberStyle {
        let decimal_mark = match self {
            Separator::Semicolon => ',',
            Separator::Comma => '.',
        };
        NumberStyle {
            decimal_mark,
            thousands: None,
        }
    }
}

/// One cell of the value column, written according to the separator.
enum Value {
    Count(i128),
    OneDecimal(Option<f64>),
    /// A forecast of a count: a whole number, as the HTML writes it.
    Forecast(Option<f64>),
    Ore(i64),
    Kroner(i64),
    YesNo(Option<bool>),
    Text(String),
}

struct Row {
    section: &'static str,
    metric: String,
    key: String,
    value: Value,
}

/// Collects rows, with the section set once for a run of them.
struct Rows {
    rows: Vec<Row>,
    section: &'static str,
}

impl Rows {
    fn section(&mut self, section: &'static str) {
        self.section = section;
    }

    fn push(&mut self, metric: impl Into<String>, key: impl Into<String>, value: Value) {
        self.rows.push(Row {
            section: self.section,
            metric: metric.into(),
            key: key.into(),
            value,
        });
    }

    fn count(&mut self, metric: impl Into<String>, key: impl Into<String>, count: impl Into<i128>) {
        self.push(metric, key, Value::Count(count.into()));
    }
}

/// The CSV bytes of the report.
pub fn render(report: &AnnualReport, lang: Lang, separator: Separator) -> Vec<u8> {
    let mut bytes = Vec::new();
    if separator == Separator::Semicolon {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(separator.delimiter())
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::NonNumeric)
        .from_writer(bytes);
    let header = [
        lang.pick("sektion", "section"),
        lang.pick("nøgletal", "metric"),
        lang.pick("nøgle", "key"),
        lang.pick("værdi", "value"),
    ];
    writer.write_record(header).expect("writing to memory");
    let numbers = separator.numbers();
    for row in rows(report, lang) {
        let value = match row.value {
            Value::Count(count) => count.to_string(),
            Value::OneDecimal(value) => value.map(|v| numbers.one_decimal(v)).unwrap_or_default(),
            Value::Forecast(value) => value.map(|v| numbers.forecast(v)).unwrap_or_default(),
            Value::Ore(ore) => ore.to_string(),
            Value::Kroner(ore) => numbers.kroner(ore),
            Value::YesNo(answer) => answer
                .map(|yes| {
                    if yes {
                        lang.pick("ja", "yes")
                    } else {
                        lang.pick("nej", "no")
                    }
                })
                .unwrap_or_default()
                .to_owned(),
            Value::Text(text) => defused(text),
        };
        let record = [
            row.section.to_owned(),
            defused(row.metric),
            defused(row.key),
            value,
        ];
        writer.write_record(&record).expect("writing to memory");
    }
    writer.into_inner().expect("flushing to memory")
}

/// Text a spreadsheet would take for a formula, made inert with an apostrophe: at the start,
/// and after every character a spreadsheet might split cells at.
fn defused(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cell_start = true;
    for character in text.chars() {
        let formula = matches!(character, '=' | '+' | '-' | '@');
        if (cell_start && formula) || (out.is_empty() && matches!(character, '\t' | '\r')) {
            out.push('\'');
        }
        out.push(character);
        cell_start = matches!(character, ',' | ';' | '\t' | '\r' | '\n');
    }
    out
}

fn rows(report: &AnnualReport, lang: Lang) -> Vec<Row> {
    let mut rows = Rows {
        rows: Vec::new(),
        section: "",
    };
    report_rows(&mut rows, report, lang);
    status_rows(&mut rows, report, lang);
    target_rows(&mut rows, report, lang);
    bridge_rows(&mut rows, report, lang);
    rows.rows
}

fn report_rows(rows: &mut Rows, report: &AnnualReport, lang: Lang) {
    rows.section(lang.pick("rapport", "report"));
    rows.count(lang.pick("år", "year"), "", report.year);
    if let Some(municipality) = &report.municipality {
        let name = Value::Text(municipality.clone());
        rows.push(lang.pick("kommune", "municipality"), "", name);
    }
    rows.count(
        lang.pick("logposition", "log position"),
        "",
        report.as_of_position,
    );
    rows.push(
        lang.pick("hoved-hash", "head hash"),
        "",
        Value::Text(report.head_hash.to_hex()),
    );
    // The signed note one line a row (a CSV row is one line), keyed by line number: the values
    // joined by newlines, with a final one, are the note exactly as signed.
    for (number, line) in report.checkpoint.lines().enumerate() {
        let metric = lang.pick("signeret checkpoint", "signed checkpoint");
        rows.push(
            metric,
            (number + 1).to_string(),
            Value::Text(line.to_owned()),
        );
    }
    // In Copenhagen time, written as the HTML writes it.
    let recorded_at = report.head_recorded_at.map(|at| words::instant(lang, at));
    rows.push(
        lang.pick("seneste registrering", "last recorded"),
        "",
        Value::Text(recorded_at.unwrap_or_default()),
    );
}

fn status_rows(rows: &mut Rows, report: &AnnualReport, lang: Lang) {
    let status = &report.status;
    employment_rows(rows, status, lang);
    enterprise_rows(rows, status, lang);
    agreement_rows(rows, status, lang);
    grant_rows(rows, status, lang);
    trial_and_trend_rows(rows, status, lang);
    rows.section(lang.pick("verdensmål", "sustainable development goals"));
    for (goal, count) in &status.sdgs {
        let name = words::sdg(lang, *goal).unwrap_or_default();
        rows.count(format!("{goal}. {name}"), goal.to_string(), *count);
    }
}

fn employment_rows(rows: &mut Rows, status: &impact_projections::Status, lang: Lang) {
    rows.section(lang.pick("beskæftigelse", "employment"));
    rows.count(
        lang.pick("personer i beskæftigelse", "people employed"),
        "",
        status.people_employed,
    );
    rows.count(
        lang.pick("ansættelsesforløb i alt", "placements"),
        "",
        status.placements.total,
    );
    for (employment_type, count) in &status.placements.by_type {
        let key = words::employment_type(lang, *employment_type);
        rows.count(
            lang.pick("ansættelsesforløb efter type", "placements by type"),
            key,
            *count,
        );
    }
}

fn enterprise_rows(rows: &mut Rows, status: &impact_projections::Status, lang: Lang) {
    let enterprises = &status.enterprises;
    rows.section(lang.pick("virksomheder", "enterprises"));
    rows.count(
        lang.pick("aktive ultimo året", "active at year end"),
        "",
        enterprises.active,
    );
    rows.count(
        lang.pick("registreret i året", "registered in the year"),
        "",
        enterprises.registered,
    );
    rows.count(
        lang.pick("lukket i året", "closed in the year"),
        "",
        enterprises.closed,
    );
    for (kind, count) in &enterprises.active_by_kind {
        let key = words::enterprise_kind(lang, *kind);
        rows.count(
            lang.pick("aktive efter type", "active by kind"),
            key,
            *count,
        );
    }
}

fn agreement_rows(rows: &mut Rows, status: &impact_projections::Status, lang: Lang) {
    let agreements = &status.agreements;
    rows.section(lang.pick("aftaler", "agreements"));
    rows.count(
        lang.pick("aktive ultimo året", "active at year end"),
        "",
        agreements.active,
    );
    rows.count(
        lang.pick("indgået i året", "signed in the year"),
        "",
        agreements.signed,
    );
    for (kind, count) in &agreements.signed_by_kind {
        let key = words::agreement_kind(lang, *kind);
        rows.count(
            lang.pick("indgået efter type", "signed by kind"),
            key,
            *count,
        );
    }
}

fn grant_rows(rows: &mut Rows, status: &impact_projections::Status, lang: Lang) {
    let grants = &status.grants;
    rows.section(lang.pick("bevillinger", "grants"));
    rows.count(lang.pick("antal", "count"), "", grants.count);
    rows.push(
        lang.pick("i alt (kr.)", "total (DKK)"),
        "",
        Value::Kroner(grants.total_ore),
    );
    rows.push(
        lang.pick("i alt (øre)", "total (øre)"),
        "",
        Value::Ore(grants.total_ore),
    );
    for (funder, ore) in &grants.by_funder {
        let metric = lang.pick("efter bevillingsgiver (kr.)", "by funder (DKK)");
        rows.push(metric, funder.clone(), Value::Kroner(*ore));
        let metric = lang.pick("efter bevillingsgiver (øre)", "by funder (øre)");
        rows.push(metric, funder.clone(), Value::Ore(*ore));
    }
}

fn trial_and_trend_rows(rows: &mut Rows, status: &impact_projections::Status, lang: Lang) {
    rows.section(lang.pick("forsøg", "trials"));
    rows.count(
        lang.pick("startet i året", "started in the year"),
        "",
        status.trials.started,
    );
    for (kind, count) in &status.trials.by_kind {
        let key = words::trial_kind(lang, *kind);
        rows.count(
            lang.pick("startet efter type", "started by kind"),
            key,
            *count,
        );
    }

    rows.section(lang.pick("trends og tilbud", "trends and offers"));
    rows.count(
        lang.pick("noteret i året", "noted in the year"),
        "",
        status.trends.noted,
    );
    for (kind, count) in &status.trends.by_kind {
        let key = words::trend_kind(lang, *kind);
        rows.count(
            lang.pick("noteret efter type", "noted by kind"),
            key,
            *count,
        );
    }
}

fn target_rows(rows: &mut Rows, report: &AnnualReport, lang: Lang) {
    rows.section(lang.pick("mål", "targets"));
    let Some(targets) = &report.targets else {
        let none = lang.pick("ingen strategi i kraft", "no strategy in force");
        rows.push(
            lang.pick("strategi", "strategy"),
            "",
            Value::Text(none.to_owned()),
        );
        return;
    };
    let strategy = &targets.strategy;
    rows.push(
        lang.pick("strategi", "strategy"),
        "",
        Value::Text(strategy.name.clone()),
    );
    rows.count(
        lang.pick("strategi fra år", "strategy from year"),
        "",
        strategy.from_year,
    );
    rows.count(
        lang.pick("strategi til år", "strategy to year"),
        "",
        strategy.to_year,
    );
    for target in &targets.targets {
        one_target_rows(rows, target, strategy.to_year, lang);
    }
}

/// The rows of one target; its forecast is for `to_year`, the strategy's last year.
fn one_target_rows(rows: &mut Rows, target: &TargetStatus, to_year: i32, lang: Lang) {
    let metric = words::metric(lang, target.metric);
    let per = words::per(lang, target.per);
    rows.push(
        metric,
        lang.pick("gælder", "per"),
        Value::Text(per.to_owned()),
    );
    rows.count(metric, lang.pick("mål", "target"), target.target);
    match target.actual {
        Some(Actual::Count(actual)) => rows.count(metric, lang.pick("faktisk", "actual"), actual),
        Some(actual @ Actual::Tenths(_)) => rows.push(
            metric,
            lang.pick("faktisk (%)", "actual (%)"),
            Value::OneDecimal(Some(actual.to_f64())),
        ),
        None => rows.push(
            metric,
            lang.pick("faktisk", "actual"),
            Value::Text(words::not_measured(lang).to_owned()),
        ),
    }
    let attainment = Value::OneDecimal(target.attainment_pct);
    rows.push(
        metric,
        lang.pick("målopfyldelse (%)", "attainment (%)"),
        attainment,
    );
    rows.push(
        metric,
        lang.pick("opfyldt", "met"),
        Value::YesNo(Some(target.met)),
    );
    if let Some(outlook) = &target.outlook {
        let year = to_year;
        let forecast = format!("{} {year}", lang.pick("prognose", "forecast"));
        rows.push(metric, forecast, Value::Forecast(outlook.forecast));
        rows.push(
            metric,
            lang.pick("på sporet", "on track"),
            Value::YesNo(outlook.on_track),
        );
    }
}

fn bridge_rows(rows: &mut Rows, report: &AnnualReport, lang: Lang) {
    let history = &report.history;
    let (from, to) = (history.from, history.to);
    let bridge = &history.enterprises;
    rows.section(lang.pick("bro", "bridge"));
    let metric = lang.pick("personer i beskæftigelse", "people employed");
    rows.count(metric, from.to_string(), history.people_employed.from);
    rows.count(metric, to.to_string(), history.people_employed.to);
    let metric = lang.pick("aktive virksomheder", "active enterprises");
    let end_of = lang.pick("ultimo", "end of");
    rows.count(metric, format!("{end_of} {from}"), bridge.from);
    let registered = lang.pick("registreret", "registered");
    rows.count(metric, format!("{registered} {to}"), bridge.registered);
    let closed = lang.pick("lukket", "closed");
    rows.count(metric, format!("{closed} {to}"), bridge.closed);
    rows.count(metric, format!("{end_of} {to}"), bridge.to);
    let registered = lang.pick("registreret hændelse", "registered event");
    let closed = lang.pick("lukket hændelse", "closed event");
    let listed = [
        (registered, &bridge.registered_events),
        (closed, &bridge.closed_events),
    ];
    for (metric, events) in listed {
        for event in events {
            let label = report.label(event.position).unwrap_or_default();
            let value = format!("{label} ({}, {})", event.occurred_on, event.hash.to_hex());
            rows.push(metric, event.position.to_string(), Value::Text(value));
        }
    }

    rows.section(lang.pick("tilbagekaldte hændelser", "retracted events"));
    for retracted in &history.retracted_events {
        let event = &retracted.event;
        let what = words::event_type(lang, event.event_type);
        let metric = match report.label(event.position) {
            Some(label) => format!("{what}: {label}"),
            None => what.to_owned(),
        };
        let value = format!(
            "{} ({} {})",
            retracted.reason,
            lang.pick("tilbagekaldt ved position", "retracted at position"),
            retracted.retracted_by.position
        );
        rows.push(metric, event.position.to_string(), Value::Text(value));
    }
}

#[cfg(test)]
mod tests {
    use super::defused;

    #[test]
    fn formulas_are_defused_at_the_start_and_after_every_cell_break() {
        let cases = [
            ("=1+2", "'=1+2"),
            ("Acme;=1+2+3", "Acme;'=1+2+3"),
            ("Acme,@SUM(9+9)", "Acme,'@SUM(9+9)"),
            ("a\t+b\r-c\n@d", "a\t'+b\r'-c\n'@d"),
            ("\tleading tab", "'\tleading tab"),
            ("Fonden X", "Fonden X"),
            ("Fonden = X - Y", "Fonden = X - Y"),
        ];
        for (text, expected) in cases {
            assert_eq!(defused(text.to_owned()), expected, "{text:?}");
        }
    }
}
