//! Reading the oracle fixtures under `tests/fixtures/`: JSON lines whose numbers the reference
//! scripts printed with Python's repr, read back into the identical f64.

#![allow(dead_code)] // each test binary uses a part

use serde_json::Value;
use std::path::PathBuf;

/// The text of `tests/fixtures/<folder>/<name>`.
pub fn fixture(folder: &str, name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        folder,
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The cases of `kind` in `tests/oracles/<file>`, JSON lines read by serde_json (whose
/// `float_roundtrip` feature, on in this crate, reads Python's reprs back into the same f64).
pub fn oracle_cases(file: &str, kind: &str) -> Vec<Value> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "oracles", file]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let picked: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|c| c["kind"] == kind)
        .collect();
    assert!(!picked.is_empty(), "no {kind} cases in {}", path.display());
    picked
}

/// A number field of an oracle case.
pub fn float(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: not a number in {case}"))
}

/// The non-blank lines of a fixture, each parsed by [`parse_line`].
pub fn lines(folder: &str, name: &str) -> Vec<Value> {
    fixture(folder, name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

/// Parses one JSON line with every number outside strings turned into a string first.
///
/// Written when serde_json's float parsing was best-effort in this crate; it now has
/// `float_roundtrip` on, but the sklearn and sacreBLEU readers keep reading numbers through
/// Rust's correctly rounded `f64::from_str` ([`num`]), which does not depend on a feature.
pub fn parse_line(line: &str) -> Value {
    let mut out = String::with_capacity(line.len() + line.len() / 4);
    let (mut in_string, mut escaped, mut in_number) = (false, false, false);
    for ch in line.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            continue;
        }
        let number_char = ch == '-' || ch == '+' || ch == '.' || ch.is_ascii_alphanumeric();
        if in_number && !number_char {
            out.push('"');
            in_number = false;
        }
        if !in_number && (ch == '-' || ch.is_ascii_digit()) {
            out.push('"');
            in_number = true;
        }
        if ch == '"' {
            in_string = true;
        }
        out.push(ch);
    }
    if in_number {
        out.push('"');
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON line ({e}): {line}"))
}

/// A number that [`parse_line`] quoted.
pub fn num(v: &Value, what: &str) -> f64 {
    v.as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{what}: expected a number, got {v}"))
}

/// A whole number that [`parse_line`] quoted.
pub fn int(v: &Value, what: &str) -> u64 {
    v.as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{what}: expected an integer, got {v}"))
}

/// sacreBLEU's reference streams (`refs[k][i]`, `null` for a missing reference) as evalgate takes
/// them: per hypothesis, the references present, in stream order.
pub fn references_per_hypothesis(streams: &Value, hypotheses: usize) -> Vec<Vec<String>> {
    let streams = streams.as_array().expect("refs is an array of streams");
    (0..hypotheses)
        .map(|i| {
            streams
                .iter()
                .filter_map(|stream| stream[i].as_str().map(str::to_owned))
                .collect()
        })
        .collect()
}
