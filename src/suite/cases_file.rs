//! Cases files: JSONL (one object per line) and CSV (a header row), beside a suite's inline cases.
//!
//! Known fields are `id`, `input`, `expected`, `tags` (a JSON array, or `;`-separated in CSV),
//! `reference` (JSONL: or `references`, an array; CSV: the column repeated once per reference),
//! `min_chrf` and `min_bleu`; every other field becomes a template var. Rows keep their line
//! number for messages.

use crate::diagnostic::{Diagnostic, Location, MAX_PROBLEMS_SHOWN, capped};
use std::collections::BTreeMap;
use std::path::Path;

/// The fields a row gives its case; every other field is a template var.
pub const KNOWN_FIELDS: [&str; 8] = [
    "id",
    "input",
    "expected",
    "tags",
    "reference",
    "references",
    "min_chrf",
    "min_bleu",
];

/// A row of a cases file, before the suite validates it.
#[derive(Debug)]
pub struct Row {
    pub location: Location,
    pub id: Option<String>,
    pub input: Option<String>,
    pub expected: Option<String>,
    pub references: Vec<String>,
    pub min_chrf: Option<f64>,
    pub min_bleu: Option<f64>,
    pub tags: Vec<String>,
    pub vars: BTreeMap<String, String>,
}

/// Reads a cases file.
pub fn read(path: &Path) -> Result<Vec<Row>, Vec<Diagnostic>> {
    read_any(path).map_err(|problems| capped(problems, path, MAX_PROBLEMS_SHOWN))
}

fn read_any(path: &Path) -> Result<Vec<Row>, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|error| {
        vec![Diagnostic::new(format!(
            "cannot read cases file {}: {error}",
            path.display()
        ))]
    })?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        vec![
            Diagnostic::new("cases file is not valid UTF-8")
                .at(Location::of_span(
                    path,
                    &String::from_utf8_lossy(&error.into_bytes()),
                    at..at,
                ))
                .hint("save the file as UTF-8"),
        ]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl") => read_jsonl(text, path),
        Some("csv") => read_csv(text, path),
        _ => Err(vec![Diagnostic::new(format!(
            "cases file {} is neither .jsonl nor .csv",
            path.display()
        ))]),
    }
}

fn read_jsonl(text: &str, file: &Path) -> Result<Vec<Row>, Vec<Diagnostic>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row_location = || {
            let mut location = Location::line(file, number, 1);
            location.source_line = Some(line.to_string());
            location.width = line.chars().count();
            location
        };
        let object = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(other) => {
                problems.push(
                    Diagnostic::new(format!(
                        "line {number} of the cases file is a JSON {}, not an object",
                        json_kind(&other)
                    ))
                    .at(row_location())
                    .hint(r#"write one object per line: {"id": "...", "input": "...", "expected": "..."}"#),
                );
                continue;
            }
            Err(error) => {
                // serde_json counts bytes and names its own line 1; the message names ours.
                let byte = error.column().saturating_sub(1).min(line.len());
                let byte = (0..=byte)
                    .rev()
                    .find(|b| line.is_char_boundary(*b))
                    .unwrap_or(0);
                let mut location = row_location();
                location.column = line[..byte].chars().count() + 1;
                location.width = 1;
                let text = error.to_string();
                let what = text
                    .rsplit_once(" at line ")
                    .map_or(text.as_str(), |(what, _)| what);
                problems.push(
                    Diagnostic::new(format!(
                        "malformed JSON on line {number} of the cases file: {what}"
                    ))
                    .at(location)
                    .hint("each line must be one complete JSON object"),
                );
                continue;
            }
        };
        let mut row = Row::new(row_location());
        let given = |key: &str| object.get(key).is_some_and(|v| !v.is_null());
        if given("reference") && given("references") {
            problems.push(both_references(row_location()));
        }
        for (key, value) in object {
            let text = match (key.as_str(), value) {
                (list @ ("tags" | "references"), serde_json::Value::Array(items)) => {
                    if list == "references" && items.is_empty() {
                        problems.push(
                            Diagnostic::new("field `references` is empty")
                                .at(row_location())
                                .hint("give at least one reference translation"),
                        );
                    }
                    for item in items {
                        match item {
                            serde_json::Value::String(text) if list == "tags" => {
                                row.tags.push(text)
                            }
                            serde_json::Value::String(text) => row.references.push(text),
                            other => problems.push(
                                Diagnostic::new(format!(
                                    "every item of `{list}` must be a string, found a JSON {}",
                                    json_kind(&other)
                                ))
                                .at(row_location()),
                            ),
                        }
                    }
                    continue;
                }
                (_, serde_json::Value::Null) => continue,
                ("references", other) => {
                    problems.push(field_error(row_location(), "references", &other));
                    continue;
                }
                // Typed as in a suite file: a reference is text, a sentence score a number.
                (
                    "reference",
                    other @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)),
                )
                | (
                    "min_chrf" | "min_bleu",
                    other @ (serde_json::Value::String(_) | serde_json::Value::Bool(_)),
                ) => {
                    problems.push(field_error(row_location(), &key, &other));
                    continue;
                }
                (_, serde_json::Value::String(s)) => s,
                (_, value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    value.to_string()
                }
                (_, other) => {
                    problems.push(field_error(row_location(), &key, &other));
                    continue;
                }
            };
            row.assign(key, text, &mut problems);
        }
        rows.push(row);
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn field_error(location: Location, key: &str, value: &serde_json::Value) -> Diagnostic {
    let wanted = match key {
        "tags" | "references" => "an array of strings",
        "reference" => "a string",
        "min_chrf" | "min_bleu" => "a number",
        _ => "a string, number or boolean",
    };
    Diagnostic::new(format!(
        "field `{key}` must be {wanted}, found a JSON {}",
        json_kind(value)
    ))
    .at(location)
}

fn both_references(location: Location) -> Diagnostic {
    Diagnostic::new("the row has both `reference` and `references`")
        .at(location)
        .hint("put every reference in `references`: [\"...\", \"...\"]")
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

impl Row {
    fn new(location: Location) -> Row {
        Row {
            location,
            id: None,
            input: None,
            expected: None,
            references: Vec::new(),
            min_chrf: None,
            min_bleu: None,
            tags: Vec::new(),
            vars: BTreeMap::new(),
        }
    }

    fn assign(&mut self, key: String, value: String, problems: &mut Vec<Diagnostic>) {
        match key.as_str() {
            "id" => self.id = Some(value),
            "input" => self.input = Some(value),
            "expected" => self.expected = Some(value),
            "tags" => {
                self.tags = value
                    .split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect()
            }
            "reference" => self.references.push(value),
            "references" => problems.push(
                Diagnostic::new("a CSV cases file cannot hold a list in `references`")
                    .at(self.location.clone())
                    .hint("name the column `reference`, and repeat it once per reference"),
            ),
            "min_chrf" | "min_bleu" => {
                let parsed = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
                let problem = match parsed {
                    None => Some((
                        format!("field `{key}` must be a number, found {value:?}"),
                        "write a sentence score from 0 to 100",
                    )),
                    Some(score) => super::floor::sentence_score_problem(&key, score),
                };
                match problem {
                    Some((message, hint)) => problems.push(
                        Diagnostic::new(message)
                            .at(self.location.clone())
                            .hint(hint),
                    ),
                    None if key == "min_chrf" => self.min_chrf = parsed,
                    None => self.min_bleu = parsed,
                }
            }
            _ => {
                self.vars.insert(key, value);
            }
        }
    }
}

fn read_csv(text: &str, file: &Path) -> Result<Vec<Row>, Vec<Diagnostic>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let line_text = |number: usize| {
        text.lines()
            .nth(number.saturating_sub(1))
            .unwrap_or("")
            .to_string()
    };
    let at_line = |number: usize| {
        let mut location = Location::line(file, number, 1);
        location.source_line = Some(line_text(number));
        location.width = location
            .source_line
            .as_ref()
            .map_or(1, |l| l.chars().count());
        location
    };
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return Err(vec![csv_error(file, &error, &at_line)]),
    };
    if !headers.iter().any(|h| h.trim() == "input") {
        return Err(vec![
            Diagnostic::new("the CSV cases file has no `input` column")
                .at(at_line(1))
                .hint("the first row must be a header naming the columns, e.g. id,input,expected"),
        ]);
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(csv_error(file, &error, &at_line));
                continue;
            }
        };
        let number = record.position().map_or(0, |p| p.line() as usize);
        let mut row = Row::new(at_line(number));
        for (header, value) in headers.iter().zip(record.iter()) {
            let header = header.trim();
            let known_and_empty = matches!(
                header,
                "id" | "expected" | "tags" | "reference" | "min_chrf" | "min_bleu"
            ) && value.is_empty();
            if !known_and_empty {
                row.assign(header.to_string(), value.to_string(), &mut problems);
            }
        }
        rows.push(row);
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn csv_error(file: &Path, error: &csv::Error, at_line: &dyn Fn(usize) -> Location) -> Diagnostic {
    let line = error.position().map_or(1, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "row on line {line} of the CSV cases file has {len} fields, the header has {expected_len}"
        ),
        _ => format!("malformed CSV on line {line}: {error}"),
    };
    let location = if line > 0 {
        at_line(line)
    } else {
        Location::line(file, 1, 1)
    };
    Diagnostic::new(message)
        .at(location)
        .hint("quote fields that contain commas or quotes, RFC 4180 style")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_keep_line_numbers_and_vars() {
        let text = "{\"id\":\"a\",\"input\":\"hi\",\"expected\":\"x\",\"tags\":[\"t\"],\"lang\":\"en\",\"n\":3}\n\n{\"input\":\"yo\"}\n";
        let rows = read_jsonl(text, Path::new("c.jsonl")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id.as_deref(), Some("a"));
        assert_eq!(rows[0].tags, ["t"]);
        assert_eq!(rows[0].vars["lang"], "en");
        assert_eq!(rows[0].vars["n"], "3");
        assert_eq!(rows[1].location.line, 3);
    }

    #[test]
    fn references_come_as_a_jsonl_list_or_repeated_csv_columns() {
        let jsonl = "{\"input\":\"Yes.\",\"references\":[\"Oui.\",\"Si.\"],\"min_chrf\":40}\n\
                     {\"input\":\"No.\",\"reference\":\"Non.\",\"min_bleu\":12.5}\n";
        let rows = read_jsonl(jsonl, Path::new("c.jsonl")).unwrap();
        assert_eq!(rows[0].references, ["Oui.", "Si."]);
        assert_eq!(rows[0].min_chrf, Some(40.0));
        assert_eq!(rows[1].references, ["Non."]);
        assert_eq!(rows[1].min_bleu, Some(12.5));
        assert!(rows[1].vars.is_empty(), "known fields are not vars");

        let csv = "id,input,reference,reference,min_chrf\na,Hi,Salut,Bonjour,30\nb,Yes,Oui,,\n";
        let rows = read_csv(csv, Path::new("c.csv")).unwrap();
        assert_eq!(rows[0].references, ["Salut", "Bonjour"]);
        assert_eq!(rows[0].min_chrf, Some(30.0));
        assert_eq!(rows[1].references, ["Oui"], "an empty cell is no reference");
        assert_eq!(rows[1].min_chrf, None);
    }

    #[test]
    fn csv_tags_split_on_semicolons() {
        let text = "id,input,expected,tags,lang\na,\"hi, there\",x,short;greeting,en\n,yo,,,\n";
        let rows = read_csv(text, Path::new("c.csv")).unwrap();
        assert_eq!(rows[0].input.as_deref(), Some("hi, there"));
        assert_eq!(rows[0].tags, ["short", "greeting"]);
        assert_eq!(rows[1].id, None);
        assert_eq!(rows[1].location.line, 3);
        assert_eq!(rows[1].vars["lang"], "");
    }
}
