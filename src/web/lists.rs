//! The lists behind the figures (CONTRACT §9 and §10): `/enterprises`, `/placements`, `/grants`,
//! `/agreements`, `/trials`, `/trends`. Each is a `<table>` with one `<tbody>` row per item,
//! filtered by `year`, `q` and a kind, a page at a time.
//!
//! The items come from the API's own list functions (`http::lists`, the projections' queries):
//! the year's items are exactly the entities its figures count. A placement list is a read of
//! person-level data, so it is written to the access log as the API's is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use impact_projections::{
    AgreementQuery, EnterpriseQuery, EnterpriseStatus, EntryQuery, GrantKind, Paging,
    PlacementQuery,
};
use maud::{html, Markup};
use serde::Serialize;

use super::layout;
use super::record::Choice;
use super::{html as respond, query_value, Visitor, WebState};
use crate::http::caller::STAFF_AUDITOR_ADMIN;
use crate::http::error::ApiError;
use crate::http::figures::{AsOf, YEARS};
use crate::http::lists::{
    list_agreements, list_enterprises, list_grants, list_placements, list_trends, list_trials,
    ListPage,
};
use crate::reports::words::NumberStyle;
use crate::reports::Lang;

/// Rows per page.
const PAGE_ROWS: u64 = 50;
/// The longest search text taken.
const Q_CHARS_MAX: usize = 200;

/// What a list page was asked for.
struct Asked {
    year: Option<i32>,
    q: Option<String>,
    offset: u64,
    query: Option<String>,
}

impl Asked {
    fn of(visitor: &Visitor) -> Asked {
        let query = visitor
            .here
            .split_once('?')
            .map(|(_, query)| query.to_owned());
        let get = |name: &str| {
            query_value(query.as_deref(), name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        Asked {
            year: get("year")
                .and_then(|text| text.parse().ok())
                .filter(|year| YEARS.contains(year)),
            q: get("q").map(|q| q.chars().take(Q_CHARS_MAX).collect()),
            offset: get("offset")
                .and_then(|text| text.parse().ok())
                .unwrap_or(0),
            query,
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        query_value(self.query.as_deref(), name).filter(|value| !value.is_empty())
    }

    fn paging(&self) -> Paging {
        Paging {
            offset: self.offset,
            limit: PAGE_ROWS,
        }
    }

    /// The query of a grant, agreement, trial or trend list.
    fn entry_query<K: Copy + Serialize>(&self, kinds: &[K]) -> EntryQuery<K> {
        EntryQuery {
            year: self.year,
            kind: self.choice("kind", kinds),
            q: self.q.clone(),
            paging: self.paging(),
        }
    }

    /// The `kind` select, showing the kind asked for.
    fn kind_filter(&self, lang: Lang, label: &str, choices: &[Choice]) -> Markup {
        select(lang, "kind", label, choices, self.get("kind").as_deref())
    }

    /// A catalogue value named as the API writes it (e.g. `wage_subsidy`).
    fn choice<T: Copy + Serialize>(&self, name: &str, choices: &[T]) -> Option<T> {
        let text = self.get(name)?;
        choice_named(&text, choices)
    }

    /// Every catalogue value `name` is given as (it may be repeated).
    fn choices<T: Copy + Serialize>(&self, name: &str, choices: &[T]) -> Vec<T> {
        self.all(name)
            .iter()
            .filter_map(|text| choice_named(text, choices))
            .collect()
    }

    /// Every value of `name` in the query.
    fn all(&self, name: &str) -> Vec<String> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .collect()
    }
}

/// The catalogue value written `text` (e.g. `wage_subsidy`), if it is one of `choices`.
fn choice_named<T: Copy + Serialize>(text: &str, choices: &[T]) -> Option<T> {
    choices.iter().copied().find(|choice| {
        serde_json::to_value(choice)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .as_deref()
            == Some(text)
    })
}

/// A list page's table: its column headings and one row of cells per item.
struct Table {
    title: String,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Markup>>,
    total: u64,
    as_of_position: u64,
}

fn render(visitor: &Visitor, asked: &Asked, filters: Markup, table: Table) -> Response {
    let lang = visitor.lang;
    let numbers = NumberStyle::of(lang);
    let path = visitor.here.split('?').next().unwrap_or("/").to_owned();
    let pager = |offset: u64| {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(asked.query.as_deref().unwrap_or("").as_bytes())
                .filter(|(key, _)| key != "offset" && key != "lang")
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
        pairs.push(("offset".to_owned(), offset.to_string()));
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{path}?{query}")
    };
    let shown_to = (asked.offset + table.rows.len() as u64).min(table.total);
    let body = html! {
        h1 { (table.title) }
        form.filters method="get" action=(path) role="search" {
            div.group {
                label for="f-year" { (lang.pick("År", "Year")) }
                input.short #f-year type="number" name="year" min=(impact_events::time::YEAR_FIRST) max=(impact_events::time::YEAR_LAST) value=[asked.year];
            }
            div.group {
                label for="f-q" { (lang.pick("Søg", "Search")) }
                input #f-q type="text" name="q" value=[asked.q.as_deref()];
            }
            (filters)
            button.secondary type="submit" { (lang.pick("Vis", "Show")) }
        }
        p role="status" {
            strong { (numbers.integer(table.total.into())) } " " (lang.pick("fundet", "found"))
            @if table.total > 0 { " · " (lang.pick("viser ", "showing ")) (asked.offset + 1) "–" (shown_to) }
            " · " span.muted { (lang.pick("til og med position ", "up to position ")) (table.as_of_position) }
        }
        table {
            caption.visually-hidden { (table.title) }
            thead { tr { @for column in &table.columns { th scope="col" { (column) } } } }
            tbody {
                @for row in &table.rows {
                    tr { @for cell in row { td { (cell) } } }
                }
            }
        }
        nav.pager aria-label=(lang.pick("Sider", "Pages")) {
            @if asked.offset > 0 {
                a href=(pager(asked.offset.saturating_sub(PAGE_ROWS))) { (lang.pick("Forrige side", "Previous page")) }
            }
            @if shown_to < table.total {
                a href=(pager(asked.offset + PAGE_ROWS)) { (lang.pick("Næste side", "Next page")) }
            }
        }
    };
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(visitor), &table.title, body),
    )
}

/// A select of catalogue values with their Danish and English labels.
fn select(lang: Lang, name: &str, label: &str, choices: &[Choice], chosen: Option<&str>) -> Markup {
    html! {
        div.group {
            label for=(format!("f-{name}")) { (label) }
            select #(format!("f-{name}")) name=(name) {
                option value="" { (lang.pick("Alle", "All")) }
                @for choice in choices {
                    option value=(choice.value) selected[chosen == Some(choice.value)] { (lang.pick(choice.da, choice.en)) }
                }
            }
        }
    }
}

fn refused(visitor: &Visitor, error: ApiError) -> Response {
    match error {
        ApiError::BadRequest(message) => layout::message(
            visitor,
            StatusCode::BAD_REQUEST,
            visitor
                .lang
                .pick("Forespørgslen kan ikke læses", "The request cannot be read"),
            &message,
        ),
        ApiError::Overloaded | ApiError::Busy => layout::message(
            visitor,
            StatusCode::SERVICE_UNAVAILABLE,
            visitor.lang.pick("Optaget", "Busy"),
            visitor
                .lang
                .pick("Prøv igen om lidt.", "Try again in a moment."),
        ),
        other => {
            tracing::error!(?other, "a list page");
            layout::failure(visitor)
        }
    }
}

/// An item's name, linked to its detail page for those who may read its events (the
/// committee reads the lists, not the events behind them).
fn detail(visitor: &Visitor, href: &str, text: &str) -> Markup {
    html! {
        @if visitor.is(STAFF_AUDITOR_ADMIN) { a href=(href) { (text) } } @else { (text) }
    }
}

fn date(date: Option<chrono::NaiveDate>) -> Markup {
    html! { @match date { Some(date) => (date.to_string()), None => "–" } }
}

pub(super) fn label_of(lang: Lang, choices: &[Choice], value: impl Serialize) -> String {
    let text = serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    choices
        .iter()
        .find(|choice| choice.value == text)
        .map(|choice| lang.pick(choice.da, choice.en).to_owned())
        .unwrap_or(text)
}

fn table<T>(
    title: String,
    columns: Vec<&'static str>,
    page: ListPage<T>,
    row: impl Fn(&T) -> Vec<Markup>,
) -> Table {
    Table {
        title,
        columns,
        rows: page.items.iter().map(row).collect(),
        total: page.total,
        as_of_position: page.as_of_position,
    }
}

const STATUSES: &[Choice] = &[
    Choice {
        value: "active",
        da: "Aktive",
        en: "Active",
    },
    Choice {
        value: "closed",
        da: "Lukkede",
        en: "Closed",
    },
    Choice {
        value: "all",
        da: "Alle",
        en: "All",
    },
];

pub async fn enterprises(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    let status = asked.get("status").and_then(|text| match text.as_str() {
        "active" => Some(EnterpriseStatus::Active),
        "closed" => Some(EnterpriseStatus::Closed),
        "all" => Some(EnterpriseStatus::All),
        _ => None,
    });
    let query = EnterpriseQuery {
        year: asked.year,
        status,
        kind: asked.choice("kind", &impact_projections::ENTERPRISE_KINDS),
        q: asked.q.clone(),
        paging: asked.paging(),
    };
    let page = match list_enterprises(&state.app, &AsOf::default(), query).await {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let kinds = super::record::ENTERPRISE_KINDS;
    let columns = vec![
        lang.pick("Navn", "Name"),
        lang.pick("Type", "Kind"),
        "CVR",
        lang.pick("Registreret", "Registered"),
        lang.pick("Lukket", "Closed"),
        lang.pick("Ansættelsesforløb", "Placements"),
    ];
    let title = lang
        .pick("Virksomheder og initiativer", "Enterprises and initiatives")
        .to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(
                &visitor,
                &format!("/enterprises/{}", item.enterprise_id),
                &item.name,
            ),
            html! { (label_of(lang, kinds, item.kind)) },
            html! { (item.cvr.as_deref().unwrap_or("–")) },
            date(Some(item.registered_on)),
            date(item.closed_on),
            html! { a href=(format!("/placements?enterprise_id={}", item.enterprise_id)) { (item.placements) } },
        ]
    });
    let filters = html! {
        (asked.kind_filter(lang, lang.pick("Type", "Kind"), kinds))
        (select(lang, "status", lang.pick("Status", "Status"), STATUSES, asked.get("status").as_deref()))
    };
    render(&visitor, &asked, filters, table)
}

pub async fn placements(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    let enterprise_id = asked
        .get("enterprise_id")
        .and_then(|text| uuid::Uuid::parse_str(&text).ok());
    let query = PlacementQuery {
        year: asked.year,
        enterprise_id,
        employment_type: asked.choice("employment_type", &impact_projections::EMPLOYMENT_TYPES),
        q: asked.q.clone(),
        paging: asked.paging(),
    };
    let query_text = asked.query.clone().unwrap_or_default();
    let page = match list_placements(
        &state.app,
        &visitor.caller,
        &AsOf::default(),
        query,
        &query_text,
    )
    .await
    {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let types = super::record::EMPLOYMENT_TYPES;
    let columns = vec![
        lang.pick("Person", "Person"),
        lang.pick("Beskæftigelsesform", "Employment type"),
        lang.pick("Virksomhed", "Enterprise"),
        lang.pick("Dato", "Date"),
    ];
    let title = lang
        .pick("Ansættelsesforløb", "Placements in employment")
        .to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(
                &visitor,
                &format!("/placements/{}", item.placement_id),
                &item.person_ref,
            ),
            html! { (label_of(lang, types, item.employment_type)) },
            html! { @match (&item.enterprise_id, &item.enterprise_name) {
                (Some(id), Some(name)) => (detail(&visitor, &format!("/enterprises/{id}"), name)),
                _ => "–",
            } },
            date(Some(item.occurred_on)),
        ]
    });
    let filters = html! {
        (select(lang, "employment_type", lang.pick("Beskæftigelsesform", "Employment type"), types, asked.get("employment_type").as_deref()))
        @if let Some(id) = enterprise_id { input type="hidden" name="enterprise_id" value=(id); }
    };
    render(&visitor, &asked, filters, table)
}

const GRANT_KINDS: &[Choice] = &[
    Choice {
        value: "unit",
        da: "Til enheden selv",
        en: "To the unit itself",
    },
    Choice {
        value: "partner",
        da: "Til en partner",
        en: "To a partner",
    },
];

pub async fn grants(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    let query = asked.entry_query(&[GrantKind::Unit, GrantKind::Partner]);
    let page = match list_grants(&state.app, &AsOf::default(), query).await {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let numbers = NumberStyle::of(lang);
    let columns = vec![
        lang.pick("Bevillingsgiver", "Funder"),
        lang.pick("Beløb", "Amount"),
        lang.pick("Formål", "Purpose"),
        lang.pick("Dato", "Date"),
    ];
    let title = lang.pick("Bevillinger", "Grants").to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(
                &visitor,
                &format!("/grants/{}", item.grant_id),
                &item.funder,
            ),
            html! { (numbers.kroner(item.amount_ore)) " kr." },
            html! { (item.purpose.as_deref().unwrap_or("–")) },
            date(Some(item.occurred_on)),
        ]
    });
    let filters = asked.kind_filter(lang, lang.pick("Modtager", "Recipient"), GRANT_KINDS);
    render(&visitor, &asked, filters, table)
}

pub async fn agreements(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    // `signed=Y`: the agreements signed in Y, as the strategy tracks count them (`year` is
    // those active at Y's end); `kind` may be given more than once (a track of two kinds).
    let signed_in = asked
        .get("signed")
        .and_then(|text| text.trim().parse().ok())
        .filter(|year| YEARS.contains(year));
    let query = AgreementQuery {
        year: asked.year,
        signed_in,
        kinds: asked.choices("kind", &impact_projections::AGREEMENT_KINDS),
        q: asked.q.clone(),
        paging: asked.paging(),
    };
    let page = match list_agreements(&state.app, &AsOf::default(), query).await {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let kinds = super::record::AGREEMENT_KINDS;
    let columns = vec![
        lang.pick("Aftalepart", "Counterparty"),
        lang.pick("Type", "Kind"),
        lang.pick("Indgået", "Signed"),
        lang.pick("Gælder til", "Valid to"),
        lang.pick("Ophørt", "Ended"),
    ];
    let title = lang.pick("Aftaler", "Agreements").to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(
                &visitor,
                &format!("/agreements/{}", item.agreement_id),
                &item.counterparty,
            ),
            html! { (label_of(lang, kinds, item.kind)) },
            date(Some(item.signed_on)),
            date(item.valid_to),
            date(item.ended_on),
        ]
    });
    // Checkboxes rather than a select: a track of two kinds asks for both, and a new search
    // from this form keeps them.
    let chosen = asked.all("kind");
    let filters = html! {
        fieldset.group {
            legend { (lang.pick("Type", "Kind")) }
            div.checks {
                @for choice in kinds {
                    label {
                        input type="checkbox" name="kind" value=(choice.value) checked[chosen.iter().any(|kind| kind == choice.value)];
                        (lang.pick(choice.da, choice.en))
                    }
                }
            }
        }
        div.group {
            label for="f-signed" { (lang.pick("Indgået i år", "Signed in year")) }
            input.short #f-signed type="number" name="signed" min=(impact_events::time::YEAR_FIRST) max=(impact_events::time::YEAR_LAST) value=[signed_in];
        }
    };
    render(&visitor, &asked, filters, table)
}

pub async fn trials(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    let query = asked.entry_query(&impact_projections::TRIAL_KINDS);
    let page = match list_trials(&state.app, &AsOf::default(), query).await {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let kinds = super::record::TRIAL_KINDS;
    let columns = vec![
        lang.pick("Titel", "Title"),
        lang.pick("Type", "Kind"),
        lang.pick("Partnere", "Partners"),
        lang.pick("Dato", "Date"),
    ];
    let title = lang.pick("Forsøg", "Trials").to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(&visitor, &format!("/trials/{}", item.trial_id), &item.title),
            html! { (label_of(lang, kinds, item.kind)) },
            html! { (item.partners.join(", ")) },
            date(Some(item.occurred_on)),
        ]
    });
    let filters = asked.kind_filter(lang, lang.pick("Type", "Kind"), kinds);
    render(&visitor, &asked, filters, table)
}

pub async fn trends(State(state): State<WebState>, visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let asked = Asked::of(&visitor);
    let query = asked.entry_query(&impact_projections::TREND_KINDS);
    let page = match list_trends(&state.app, &AsOf::default(), query).await {
        Ok(page) => page,
        Err(error) => return refused(&visitor, error),
    };
    let kinds = super::record::TREND_KINDS;
    let columns = vec![
        lang.pick("Titel", "Title"),
        lang.pick("Type", "Kind"),
        lang.pick("Kilde", "Source"),
        lang.pick("Dato", "Date"),
    ];
    let title = lang
        .pick("Trends og tilbud", "Trends and offers")
        .to_owned();
    let table = table(title, columns, page, |item| {
        vec![
            detail(&visitor, &format!("/trends/{}", item.trend_id), &item.title),
            html! { (label_of(lang, kinds, item.kind)) },
            html! { (item.source.as_deref().unwrap_or("–")) },
            date(Some(item.occurred_on)),
        ]
    });
    let filters = asked.kind_filter(lang, lang.pick("Type", "Kind"), kinds);
    render(&visitor, &asked, filters, table)
}
