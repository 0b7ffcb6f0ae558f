//! Runs every example of docs/STAFF_GUIDE.md, in order, against a real ledger through the
//! router (one fresh ledger for the Danish part, one for the English), and compares each answer
//! the guide shows with the real one: so the guide's requests work and its messages are the
//! ledger's own words.
//!
//! An example is a `curl` command in a `sh` block (headers, method, path and a heredoc body are
//! read from it; `$TOKEN` is a staff token). The answer it shows is the next fenced block when
//! that starts with a status: `201 {...}` (receipts: id, position, stream and version are
//! compared), `422 {...}` (a problem document: type, title, status, detail and every error), or
//! a `text` block `200` followed by `Header: value` lines. An example without an answer block
//! must succeed (2xx).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, TestLedger};
use serde_json::Value;

const GUIDE: &str = include_str!("../docs/STAFF_GUIDE.md");

/// One request of the guide and the answer it shows, if any.
#[derive(Debug)]
struct Example {
    /// The line of the guide the command starts on, for messages.
    line: usize,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    shown: Option<Shown>,
}

#[derive(Debug)]
enum Shown {
    Json {
        status: u16,
        body: Value,
    },
    Headers {
        status: u16,
        headers: Vec<(String, String)>,
    },
}

/// A fenced block: its language, its first line number and its lines.
struct Block<'g> {
    language: &'g str,
    line: usize,
    lines: Vec<&'g str>,
}

fn blocks(text: &str, first_line: usize) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut open: Option<Block<'_>> = None;
    for (offset, line) in text.lines().enumerate() {
        match (open.take(), line.strip_prefix("```")) {
            (None, Some(language)) => {
                open = Some(Block {
                    language: language.trim(),
                    line: first_line + offset + 1,
                    lines: Vec::new(),
                });
            }
            (Some(block), Some(_)) => blocks.push(block),
            (Some(mut block), None) => {
                block.lines.push(line);
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The examples of one part of the guide, in order.
fn examples(text: &str, first_line: usize) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut last_was_request = false;
    for block in blocks(text, first_line) {
        if block.language == "sh" {
            let found = commands(&block);
            last_was_request = !found.is_empty();
            examples.extend(found);
            continue;
        }
        if let (true, Some(shown)) = (last_was_request, shown_answer(&block)) {
            let example = examples.last_mut().expect("a request before its answer");
            assert!(example.shown.is_none(), "line {}: two answers", block.line);
            example.shown = Some(shown);
        }
        last_was_request = false;
    }
    examples
}

/// The `curl` commands of a `sh` block (lines ending in `\` continue a command).
fn commands(block: &Block<'_>) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut lines = block.lines.iter().enumerate();
    while let Some((offset, first)) = lines.next() {
        if !first.trim_start().starts_with("curl ") {
            continue;
        }
        let mut command = first.trim_end_matches('\\').to_owned();
        let mut current = *first;
        while current.ends_with('\\') {
            let (_, next) = lines.next().expect("a continued line");
            command.push(' ');
            command.push_str(next.trim_end_matches('\\'));
            current = next;
        }
        let body = command.contains("<<'EOF'").then(|| {
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, line)| *line)
                .take_while(|line| *line != "EOF")
                .collect();
            body.join("\n")
        });
        examples.push(parse_curl(&command, body, block.line + offset));
    }
    examples
}

/// Splits a command line into words, honouring single and double quotes.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for character in command.chars() {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if open == character => quote = None,
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(character),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn parse_curl(command: &str, body: Option<String>, line: usize) -> Example {
    let words = words(command);
    let mut method = Method::GET;
    let mut headers = Vec::new();
    let mut path = None;
    let mut at = 1;
    while at < words.len() {
        match words[at].as_str() {
            "-X" => {
                method = words[at + 1].parse().expect("a method");
                at += 1;
            }
            "-H" => {
                let (name, value) = words[at + 1].split_once(':').expect("Name: value");
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
                at += 1;
            }
            "--data-binary" => at += 1,
            word if word.starts_with("$LEDGER") => {
                path = Some(word.trim_start_matches("$LEDGER").to_owned());
            }
            _ => {}
        }
        at += 1;
    }
    let path = path.unwrap_or_else(|| panic!("line {line}: a curl without $LEDGER"));
    Example {
        line,
        method,
        path,
        headers,
        body,
        shown: None,
    }
}

/// The answer a block shows, when it starts with a status.
fn shown_answer(block: &Block<'_>) -> Option<Shown> {
    let first = block.lines.first()?;
    let (status, rest) = first.split_once(' ').unwrap_or((first, ""));
    let status: u16 = status
        .parse()
        .ok()
        .filter(|status| (100..600).contains(status))?;
    if block.language == "text" {
        let headers = block.lines[1..]
            .iter()
            .map(|line| {
                let (name, value) = line.split_once(':').expect("Header: value");
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        return Some(Shown::Headers { status, headers });
    }
    let text = std::iter::once(rest)
        .chain(block.lines[1..].iter().copied())
        .collect::<Vec<_>>()
        .join("\n");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("line {}: the answer is not JSON: {error}", block.line));
    Some(Shown::Json { status, body })
}

async fn run(ledger: &TestLedger, example: &Example) -> Answer {
    let mut request = Request::builder()
        .method(example.method.clone())
        .uri(&example.path);
    for (name, value) in &example.headers {
        request = request.header(name, value.replace("$TOKEN", &ledger.staff));
    }
    let body = example.body.clone().map_or_else(Body::empty, Body::from);
    ledger.send(request.body(body).expect("a request")).await
}

/// Compares a real answer with the one the guide shows; `Err` says what differs.
fn compare(answer: &Answer, shown: &Option<Shown>) -> Result<(), String> {
    let status = answer.status.as_u16();
    let text = String::from_utf8_lossy(&answer.body);
    match shown {
        None if answer.status.is_success() => Ok(()),
        None => Err(format!("{status} {text}")),
        Some(Shown::Headers {
            status: expected,
            headers,
        }) => {
            if *expected != status {
                return Err(format!("status {status}, not {expected}: {text}"));
            }
            for (name, value) in headers {
                let real = answer.headers.get(name).and_then(|real| real.to_str().ok());
                if real != Some(value.as_str()) {
                    return Err(format!("header {name}: {real:?}, not {value}"));
                }
            }
            Ok(())
        }
        Some(Shown::Json {
            status: expected,
            body,
        }) => {
            let real: Value = serde_json::from_slice(&answer.body).map_err(|_| text.to_string())?;
            if *expected != status || !same(body, &real) {
                return Err(format!("the real answer is:\n{status} {real}"));
            }
            Ok(())
        }
    }
}

/// The shown answer agrees with the real one in what does not change from run to run.
fn same(shown: &Value, real: &Value) -> bool {
    let members = |value: &Value, names: &[&str]| -> Vec<Value> {
        names.iter().map(|name| value[name].clone()).collect()
    };
    if let Some(receipts) = shown["events"].as_array() {
        let real_receipts = real["events"].as_array().cloned().unwrap_or_default();
        let keys = ["id", "position", "stream", "version"];
        return receipts.len() == real_receipts.len()
            && receipts
                .iter()
                .zip(&real_receipts)
                .all(|(shown, real)| members(shown, &keys) == members(real, &keys));
    }
    members(shown, &["type", "title", "status", "detail", "errors"])
        == members(real, &["type", "title", "status", "detail", "errors"])
}

/// Runs one part of the guide (from its heading to the next part) on a fresh ledger.
async fn check_part(heading: &str, next: Option<&str>) -> usize {
    let start = GUIDE.find(heading).expect("the part's heading");
    let end = next.map_or(GUIDE.len(), |next| {
        GUIDE.find(next).expect("the next heading")
    });
    let first_line = GUIDE[..start].lines().count();
    let examples = examples(&GUIDE[start..end], first_line);
    let ledger = TestLedger::new();
    let mut failures = Vec::new();
    for example in &examples {
        let answer = run(&ledger, example).await;
        if let Err(difference) = compare(&answer, &example.shown) {
            failures.push(format!(
                "line {} ({} {}): {difference}",
                example.line, example.method, example.path
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples of {heading} differ:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
    let (status, _, verify) = ledger.get("/api/v1/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verify["ok"], true, "{verify}");
    examples.len()
}

#[tokio::test]
async fn every_example_of_the_danish_part_runs_as_shown() {
    let count = check_part("## Dansk", Some("## English")).await;
    assert!(count >= 20, "only {count} examples found");
}

#[tokio::test]
async fn every_example_of_the_english_part_runs_as_shown() {
    let count = check_part("## English", None).await;
    assert!(count >= 20, "only {count} examples found");
}

#[test]
fn every_code_the_guide_names_is_a_rule_of_the_ledger() {
    // The tables list codes as `code`: each must be a real one (they are stable; messages may
    // be reworded).
    let known = impact_events::violations::CODES;
    let named: Vec<&str> = GUIDE
        .lines()
        .filter(|line| line.starts_with("| `") && line.contains("` |"))
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .filter(|code| *code != "code")
        .collect();
    assert!(named.len() >= 10, "the tables name {} codes", named.len());
    for code in named {
        assert!(known.contains(&code), "`{code}` is no code of the ledger");
    }
}
