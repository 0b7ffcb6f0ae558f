//! The frame of every page: the header with navigation by role, a skip link, the language
//! switch and logout; the error summary and form fields in the manner of GOV.UK and Det Fælles
//! Designsystem (labels above inputs, one summary at the top, each message beside its field).

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::session::{Visitor, CSRF_FIELD};
use super::{html as respond, query_value};
use crate::auth::Role;
use crate::http::caller::{AUDITOR_ADMIN, STAFF_ADMIN};
use crate::reports::Lang;

/// One problem to show: the input it belongs to (its `name`), if any, and the message.
#[derive(Clone, Debug)]
pub struct Problem {
    pub field: Option<String>,
    pub message: String,
}

/// The whole page around `main`. `visitor` is absent on the login page.
pub fn page(
    lang: Lang,
    here: &str,
    visitor: Option<&Visitor>,
    title: &str,
    main: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (lang.pick("Socialøkonomisk regnskab", "Social economy ledger")) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                a.skip href="#main" { (lang.pick("Gå til indhold", "Skip to content")) }
                header.top {
                    div.bar {
                        a.brand href="/" { (lang.pick("Socialøkonomisk regnskab", "Social economy ledger")) }
                        (switch(lang, here))
                        @if let Some(visitor) = visitor {
                            form.logout method="post" action="/logout" {
                                input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf);
                                span.who { (visitor.caller.name) " (" (role_name(lang, visitor.caller.role)) ")" }
                                button.link type="submit" { (lang.pick("Log ud", "Log out")) }
                            }
                        }
                    }
                    @if let Some(visitor) = visitor {
                        (navigation(lang, visitor))
                    }
                }
                main #main tabindex="-1" { (main) }
            }
        }
    }
}

pub fn role_name(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Staff => lang.pick("medarbejder", "staff"),
        Role::Auditor => lang.pick("revisor", "auditor"),
        Role::Admin => lang.pick("administrator", "admin"),
        Role::Committee => lang.pick("udvalgsmedlem", "committee member"),
    }
}

/// The link to the same page in the other language.
fn switch(lang: Lang, here: &str) -> Markup {
    let (other, label) = match lang {
        Lang::Da => (Lang::En, "English"),
        Lang::En => (Lang::Da, "Dansk"),
    };
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != "lang")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    pairs.push(("lang".to_owned(), other.tag().to_owned()));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    html! { a.lang href=(format!("{path}?{query}")) lang=(other.tag()) hreflang=(other.tag()) { (label) } }
}

fn navigation(lang: Lang, visitor: &Visitor) -> Markup {
    let mut links = vec![
        ("/", lang.pick("Overblik", "Overview")),
        ("/enterprises", lang.pick("Virksomheder", "Enterprises")),
        ("/placements", lang.pick("Ansættelsesforløb", "Placements")),
        ("/grants", lang.pick("Bevillinger", "Grants")),
        ("/agreements", lang.pick("Aftaler", "Agreements")),
        ("/trials", lang.pick("Forsøg", "Trials")),
        ("/trends", lang.pick("Trends", "Trends")),
        ("/reports", lang.pick("Årsrapport", "Annual report")),
    ];
    if visitor.is(STAFF_ADMIN) {
        links.push(("/record", lang.pick("Registrér", "Record")));
    }
    if visitor.is(AUDITOR_ADMIN) {
        links.push(("/audit", lang.pick("Revision", "Audit")));
    }
    let here = visitor.here.split('?').next().unwrap_or("/");
    html! {
        nav aria-label=(lang.pick("Hovedmenu", "Main menu")) {
            ul {
                @for (href, label) in links {
                    @let current = here == href || (href != "/" && here.starts_with(href));
                    li { a href=(href) aria-current=[current.then_some("page")] { (label) } }
                }
            }
        }
    }
}

/// "There is a problem" or "There are 3 problems", in the page's language.
fn problems_heading(lang: Lang, count: usize) -> String {
    match count {
        1 => lang
            .pick("Der er et problem", "There is a problem")
            .to_owned(),
        _ => match lang {
            Lang::Da => format!("Der er {count} problemer"),
            Lang::En => format!("There are {count} problems"),
        },
    }
}

/// One summary of every problem at the top of a form, each linking to its input.
pub fn error_summary(lang: Lang, problems: &[Problem]) -> Markup {
    if problems.is_empty() {
        return html! {};
    }
    html! {
        div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
            h2 #error-summary-title { (problems_heading(lang, problems.len())) }
            ul {
                @for problem in problems {
                    li {
                        @match &problem.field {
                            Some(field) => a href=(format!("#f-{field}")) { (problem.message) },
                            None => (problem.message),
                        }
                    }
                }
            }
        }
    }
}

/// The messages for input `name`.
pub fn messages_for<'a>(problems: &'a [Problem], name: &str) -> Vec<&'a str> {
    problems
        .iter()
        .filter(|problem| problem.field.as_deref() == Some(name))
        .map(|problem| problem.message.as_str())
        .collect()
}

/// A labelled form group: the label above, a hint, the messages, then the control. The
/// control must have `id="f-{name}"` and `aria-describedby` from `described_by`.
pub fn group(
    name: &str,
    label: &str,
    hint: Option<&str>,
    messages: &[&str],
    control: Markup,
) -> Markup {
    html! {
        div class={"group" @if !messages.is_empty() { " group-error" }} {
            label for=(format!("f-{name}")) { (label) }
            @if let Some(hint) = hint {
                p.hint #(format!("f-{name}-hint")) { (hint) }
            }
            @for message in messages {
                p.error-message #(format!("f-{name}-error")) {
                    span.visually-hidden { "Fejl: " } (message)
                }
            }
            (control)
        }
    }
}

/// The ids that describe input `name`: its hint and its message, when there are any.
pub fn described_by(name: &str, hint: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("f-{name}-hint"));
    }
    if error {
        ids.push(format!("f-{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The hidden CSRF member of every form.
pub fn csrf(visitor: &Visitor) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf); }
}

/// A short page with a heading and a message, for refusals.
pub fn message(visitor: &Visitor, status: StatusCode, title: &str, text: &str) -> Response {
    let lang = visitor.lang;
    let body = html! {
        h1 { (title) }
        p { (text) }
        p { a href="/" { (lang.pick("Til overblikket", "To the overview")) } }
    };
    respond(
        status,
        page(lang, &visitor.here, Some(visitor), title, body),
    )
}

pub fn forbidden(visitor: &Visitor) -> Response {
    let lang = visitor.lang;
    message(
        visitor,
        StatusCode::FORBIDDEN,
        lang.pick("Ingen adgang", "Not allowed"),
        lang.pick(
            "Din rolle giver ikke adgang til denne side eller handling.",
            "Your role does not allow this page or action.",
        ),
    )
}

pub fn csrf_refused(visitor: &Visitor) -> Response {
    let lang = visitor.lang;
    message(
        visitor,
        StatusCode::FORBIDDEN,
        lang.pick("Formularen kunne ikke godkendes", "The form could not be accepted"),
        lang.pick(
            "Formularen manglede sit sikkerhedsfelt eller var fra en tidligere session. Intet er gemt. Åbn siden igen og prøv igen.",
            "The form lacked its security field or came from an earlier session. Nothing was stored. Open the page again and retry.",
        ),
    )
}

pub fn not_found(visitor: &Visitor, what: &str) -> Response {
    let lang = visitor.lang;
    message(
        visitor,
        StatusCode::NOT_FOUND,
        lang.pick("Ikke fundet", "Not found"),
        what,
    )
}

/// Something failed on our side (the cause was logged where it happened).
pub fn failure(visitor: &Visitor) -> Response {
    let lang = visitor.lang;
    message(
        visitor,
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.pick("Der skete en fejl", "Something went wrong"),
        lang.pick("Prøv igen om lidt.", "Try again in a moment."),
    )
}

/// The `year` of a query, if it is a year the API accepts.
pub fn year_of(here: &str) -> Option<i32> {
    let query = here.split_once('?').map(|(_, query)| query);
    query_value(query, "year")
        .and_then(|text| text.parse().ok())
        .filter(|year| crate::http::figures::YEARS.contains(year))
}

/// An instant as wall-clock time in Copenhagen, where the readers are: "2026-12-02 11:05:03".
pub fn copenhagen_time(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant
        .with_timezone(&chrono_tz::Europe::Copenhagen)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The current year where the unit works.
pub fn this_year() -> i32 {
    use chrono::Datelike;
    crate::http::events::copenhagen_today().year()
}

/// The page's only style: constant, so it is written as it is. Colours meet WCAG AA contrast
/// on white (text 4.5:1 or more); focus is a thick yellow and black ring, as GOV.UK's.
const STYLESHEET: &str = r#"
:root { --ink: #0b0c0c; --muted: #484f56; --rule: #b1b4b6; --soft: #f3f2f1; --link: #1d4f91;
  --accent: #1f4e79; --error: #b0221a; --good: #1f6b3a; --warn: #8a5a00; --focus: #ffdd00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 1rem/1.5 "Source Sans 3", "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-variant-numeric: tabular-nums; }
a { color: var(--link); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, main:focus-visible, .error-summary:focus {
  outline: 3px solid var(--focus); outline-offset: 0; box-shadow: 0 0 0 6px var(--ink); }
main:focus { outline: none; box-shadow: none; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--focus); color: var(--ink); padding: .5rem 1rem; z-index: 9; }
.skip:focus { left: 0; }
header.top { background: var(--accent); color: #fff; }
.bar { max-width: 72rem; margin: 0 auto; padding: .6rem 1rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
.brand { color: #fff; font-weight: 700; font-size: 1.15rem; text-decoration: none; margin-right: auto; }
header .lang, header .who { color: #fff; }
.logout { display: flex; gap: .75rem; align-items: center; margin: 0; }
button.link { background: none; border: 0; color: #fff; text-decoration: underline; font: inherit; cursor: pointer; padding: 0; }
nav { background: #fff; border-bottom: 1px solid var(--rule); }
nav ul { max-width: 72rem; margin: 0 auto; padding: 0 1rem; list-style: none; display: flex; flex-wrap: wrap; gap: 0 1.25rem; }
nav a { display: inline-block; padding: .6rem 0; font-weight: 600; }
nav a[aria-current] { color: var(--ink); border-bottom: 4px solid var(--accent); text-decoration: none; }
main { display: block; max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: .2rem 0 1rem; }
h2 { font-size: 1.4rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.lead { font-size: 1.15rem; color: var(--muted); }
.muted { color: var(--muted); }
.group { margin: 0 0 1.5rem; }
.group-error { border-left: 5px solid var(--error); padding-left: .9rem; }
label, legend { display: block; font-weight: 700; margin-bottom: .25rem; }
fieldset { border: 0; padding: 0; margin: 0; }
.hint { color: var(--muted); margin: 0 0 .35rem; }
.error-message { color: var(--error); font-weight: 700; margin: 0 0 .35rem; }
input[type=text], input[type=date], input[type=number], input[type=password], select, textarea {
  font: inherit; border: 2px solid var(--ink); padding: .35rem .5rem; width: 100%; max-width: 32rem; background: #fff; color: var(--ink); }
input.short { max-width: 12rem; }
.group-error input, .group-error select, .group-error textarea { border-color: var(--error); }
textarea { min-height: 5rem; }
.checks { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
.checks label { font-weight: 400; display: inline-flex; gap: .35rem; align-items: center; }
.checks input { width: 1.25rem; height: 1.25rem; }
button.primary, a.button { font: inherit; font-weight: 700; background: #00703c; color: #fff; border: 0; box-shadow: 0 2px 0 #002d18; padding: .5rem 1rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { font: inherit; background: var(--soft); color: var(--ink); border: 0; box-shadow: 0 2px 0 #858686; padding: .5rem 1rem; cursor: pointer; }
button.warning { font: inherit; font-weight: 700; background: var(--error); color: #fff; border: 0; box-shadow: 0 2px 0 #55150b; padding: .5rem 1rem; cursor: pointer; }
.error-summary { border: 5px solid var(--error); padding: 1rem 1.25rem; margin: 0 0 2rem; }
.error-summary h2 { margin-top: 0; }
.error-summary a { color: var(--error); font-weight: 700; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.notice { border-left: 5px solid var(--accent); background: var(--soft); padding: .75rem 1rem; margin: 0 0 1.5rem; }
.retracted { border-left: 5px solid var(--error); background: #fbeceb; padding: .75rem 1rem; margin: 0 0 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1.5rem; }
caption { text-align: left; font-weight: 700; padding: 0 0 .5rem; }
th, td { text-align: left; padding: .45rem .6rem .45rem 0; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); }
td.number, th.number { text-align: right; }
tr.is-retracted td { color: var(--muted); text-decoration: line-through; }
tr.is-retracted td.status { text-decoration: none; color: var(--error); font-weight: 700; }
code, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: .9rem; word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.card { border-top: 5px solid var(--accent); background: var(--soft); padding: 1rem; }
.card .figure { font-size: 2.6rem; font-weight: 700; line-height: 1.1; display: block; color: var(--ink); }
.card p { margin: .25rem 0; }
.good { color: var(--good); font-weight: 700; }
.bad { color: var(--error); font-weight: 700; }
.tracks { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: .75rem; list-style: none; padding: 0; }
.tracks li { border: 1px solid var(--rule); padding: .75rem; }
.tracks .number { font-size: 1.6rem; font-weight: 700; display: block; }
svg.chart { width: 100%; max-width: 40rem; height: auto; display: block; }
svg .bar-fill { fill: var(--accent); } svg .target-line { stroke: var(--error); stroke-width: 2; stroke-dasharray: 6 3; }
svg text { fill: var(--ink); font-size: 13px; font-family: inherit; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.5rem; }
dl.facts dt { font-weight: 700; } dl.facts dd { margin: 0; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; margin: 0 0 1.5rem; }
.filters .group { margin: 0; }
.pager { display: flex; gap: 1.5rem; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: 1.5rem 0; }
"#;
