//! `/login` and `/logout`. A good token starts a new session (a new id every time, so a
//! session id planted before the login is worth nothing); too many failures from one address
//! are refused for a while (429).
//!
//! The login form has no session yet, so its CSRF token is a random value in a short-lived
//! cookie that the form repeats (double submit); a cross-site page can read neither.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;

use super::layout::{self, Problem};
use super::session::{
    client_address, cookie, local_path, random_hex, same_secret, set_cookie, Visitor, CSRF_FIELD,
    LOGIN_COOKIE, SESSION_COOKIE,
};
use super::{html as respond, lang_of, query_value, see_other, Fields, WebState};
use crate::reports::Lang;

/// How long the login form's CSRF cookie lives (seconds).
const LOGIN_FORM_SECONDS: u64 = 60 * 60;

pub async fn form(parts: Parts) -> Response {
    let lang = lang_of(&parts);
    let next = query_value(parts.uri.query(), "next");
    let next = local_path(next.as_deref());
    render(&parts.headers, lang, &next, &[], StatusCode::OK)
}

/// The form, with a fresh CSRF value in its cookie.
fn render(
    headers: &HeaderMap,
    lang: Lang,
    next: &str,
    problems: &[Problem],
    status: StatusCode,
) -> Response {
    let token = random_hex();
    let messages = layout::messages_for(problems, "token");
    let hint = lang.pick(
        "Nøglen er den hemmelige tekst, der begynder med il_, som du har fået af din administrator.",
        "The token is the secret text starting with il_ that your administrator gave you.",
    );
    let described = layout::described_by("token", true, !messages.is_empty());
    let title = lang.pick("Log ind", "Log in");
    let body = html! {
        (layout::error_summary(lang, problems))
        h1 { (title) }
        form method="post" action="/login" novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(token);
            input type="hidden" name="next" value=(next);
            (layout::group("token", lang.pick("Adgangsnøgle", "Access token"), Some(hint), &messages, html! {
                input #f-token type="password" name="token" autocomplete="current-password" spellcheck="false"
                    aria-describedby=[described] aria-invalid=[(!messages.is_empty()).then_some("true")];
            }))
            button.primary type="submit" { (title) }
        }
        p.muted { (lang.pick(
            "Har du ingen nøgle? En administrator laver en med: impact-ledger token new --role staff --name DIT-NAVN",
            "No token? An administrator makes one with: impact-ledger token new --role staff --name YOUR-NAME")) }
    };
    let here = format!(
        "/login?next={}",
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let mut response = respond(status, layout::page(lang, &here, None, title, body));
    let cookie = set_cookie(headers, LOGIN_COOKIE, &token, Some(LOGIN_FORM_SECONDS));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn submit(State(state): State<WebState>, parts: Parts, body: Bytes) -> Response {
    let lang = lang_of(&parts);
    let fields = Fields::parse(&body);
    let next = local_path(fields.get("next"));
    let expected = cookie(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    let presented = fields.get(CSRF_FIELD).unwrap_or("");
    if expected.is_empty() || !same_secret(presented, expected) {
        let problem = Problem {
            field: None,
            message: lang
                .pick(
                    "Formularen var for gammel eller kom ikke fra denne side. Prøv igen.",
                    "The form was too old or did not come from this page. Try again.",
                )
                .to_owned(),
        };
        return render(
            &parts.headers,
            lang,
            &next,
            &[problem],
            StatusCode::FORBIDDEN,
        );
    }
    let address = client_address(&parts);
    if state.logins.blocked(address) {
        let mut response = render(
            &parts.headers,
            lang,
            &next,
            &[too_many(lang)],
            StatusCode::TOO_MANY_REQUESTS,
        );
        let retry = HeaderValue::from(state.logins.window_seconds());
        response.headers_mut().insert(header::RETRY_AFTER, retry);
        return response;
    }
    let secret = fields.text("token").unwrap_or("");
    let digest = crate::auth::digest(secret);
    if secret.is_empty() || state.app.tokens.authenticate_digest(&digest).is_none() {
        state.logins.failed(address);
        let message = if secret.is_empty() {
            lang.pick("Skriv din adgangsnøgle", "Enter your access token")
        } else {
            lang.pick(
                "Adgangsnøglen er ikke gyldig",
                "The access token is not valid",
            )
        };
        let problem = Problem {
            field: Some("token".to_owned()),
            message: message.to_owned(),
        };
        return render(
            &parts.headers,
            lang,
            &next,
            &[problem],
            StatusCode::UNAUTHORIZED,
        );
    }
    // A new id at every login; a session the browser had before is ended.
    if let Some(old) = cookie(&parts.headers, SESSION_COOKIE) {
        state.sessions.end(old);
    }
    let session_id = state.sessions.start(digest);
    let mut response = see_other(&next);
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&parts.headers, SESSION_COOKIE, &session_id, None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&parts.headers, LOGIN_COOKIE, "", Some(0)),
    );
    response
}

fn too_many(lang: Lang) -> Problem {
    Problem {
        field: None,
        message: lang
            .pick(
                "For mange forkerte forsøg fra denne adresse. Vent et kvarter, og prøv igen.",
                "Too many failed attempts from this address. Wait a quarter of an hour and try again.",
            )
            .to_owned(),
    }
}

/// A page with one button, for a link to `/logout`.
pub async fn logout_form(visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let title = lang.pick("Log ud", "Log out");
    let body = html! {
        h1 { (title) }
        form method="post" action="/logout" {
            (layout::csrf(&visitor))
            button.primary type="submit" { (title) }
        }
    };
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), title, body),
    )
}

pub async fn logout(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = visitor.check_csrf(&Fields::parse(&body)) {
        return refused;
    }
    if let Some(session_id) = cookie(&headers, SESSION_COOKIE) {
        state.sessions.end(session_id);
    }
    let mut response = see_other("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&headers, SESSION_COOKIE, "", Some(0)),
    );
    response
}
