//! results.json against its committed JSON Schema (schema/results.schema.json, draft 2020-12),
//! on real runs of the binary that together fill every optional part: a classifier with a
//! confusion matrix, tags and wrong answers; model faults; translation with several references;
//! snapshots; an OpenAI-compatible model replayed from a cassette with token usage. The schema
//! forbids unknown fields, so a field added to the results without the schema fails here.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/results.schema.json");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let index = compiler
        .compile(path.to_str().unwrap(), &mut schemas)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"));
    (schemas, index)
}

/// results.json of `evalgate run ARGS`, whatever the run's verdict.
fn results(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("results.json");
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .env("CI", "true")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "no results from {args:?}: exit {:?}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn validate(results: &Value, what: &str) {
    let (schemas, index) = schema();
    if let Err(error) = schemas.validate(results, index) {
        panic!("{what}: results.json does not follow the schema:\n{error:#}");
    }
}

#[test]
fn real_runs_follow_the_schema() {
    let runs = [
        ("classify", vec!["run", "tests/fixtures/cli/labels.toml"]),
        ("faults", vec!["run", "tests/fixtures/cli/faults.toml"]),
        ("translate", vec!["run", "tests/fixtures/translate"]),
        ("lower bound", vec!["run", "tests/fixtures/confidence"]),
        (
            "repeat",
            vec!["run", "tests/fixtures/repeat", "--repeat", "3"],
        ),
        ("examples", vec!["run", "suites", "--include-ignored"]),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (what, args) in runs {
        let results = results(&args);
        validate(&results, what);
        for suite in results["suites"].as_array().unwrap() {
            seen.extend(suite.as_object().unwrap().keys().cloned());
            for floor in suite["floors"].as_array().unwrap() {
                seen.extend(
                    floor
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(|k| format!("floor.{k}")),
                );
            }
            for case in suite["cases"].as_array().unwrap() {
                seen.extend(
                    case.as_object()
                        .unwrap()
                        .keys()
                        .map(|k| format!("case.{k}")),
                );
            }
        }
    }
    // The runs above must exercise the optional parts, or the test proves less than it says.
    for field in [
        "confusion_matrix",
        "signatures",
        "slices",
        "intervals",
        "floor.judged",
        "repeat",
        "min_pass_rate",
        "case.runs",
        "labels",
        "case.expected",
        "case.references",
        "case.similarity",
        "case.predicted",
        "case.failed_checks",
        "case.error",
        "case.usage",
        "case.replayed",
        "case.snapshot",
        "case.message",
        "case.tags",
        "case.vars",
    ] {
        assert!(seen.contains(field), "no run produced `{field}`");
    }
}

#[test]
fn the_schema_rejects_what_results_never_hold() {
    let valid = results(&["run", "tests/fixtures/cli/labels.toml"]);
    validate(&valid, "the unchanged results");
    let (schemas, index) = schema();
    type Break = fn(&mut Value);
    let broken: [(&str, Break); 5] = [
        ("an unknown top-level field", |r| {
            r["surprise"] = Value::from(1);
        }),
        ("another schema version", |r| {
            r["schema_version"] = Value::from(2);
        }),
        ("an unknown verdict", |r| {
            r["suites"][0]["cases"][0]["verdict"] = Value::from("maybe");
        }),
        ("a negative count", |r| {
            r["totals"]["passed"] = Value::from(-1);
        }),
        ("a case without its test name", |r| {
            r["suites"][0]["cases"][0]
                .as_object_mut()
                .unwrap()
                .remove("test");
        }),
    ];
    for (what, break_it) in broken {
        let mut results = valid.clone();
        break_it(&mut results);
        assert!(
            schemas.validate(&results, index).is_err(),
            "the schema accepts {what}"
        );
    }
}

#[test]
fn a_run_against_a_baseline_follows_the_schema() {
    let base = results(&["run", "tests/fixtures/compare/base"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.json");
    std::fs::write(&path, serde_json::to_string(&base).unwrap()).unwrap();
    let head = results(&[
        "run",
        "tests/fixtures/compare/head",
        "--baseline",
        path.to_str().unwrap(),
    ]);
    validate(&head, "against a baseline");
    let fields: std::collections::BTreeSet<String> = head["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["regressions"].as_array().cloned().unwrap_or_default())
        .flat_map(|r| r.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
        .collect();
    for field in ["p_value", "interval", "message", "base", "head"] {
        assert!(fields.contains(field), "no regression test has `{field}`");
    }
}

/// results.json of `evalgate ARGS` (a merge), whatever its verdict.
fn merged(args: &[&str], dir: &Path) -> Value {
    let out = dir.join("merged.json");
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .env("CI", "true")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "no results from {args:?}: exit {:?}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(&text).unwrap()
}

#[test]
fn shard_runs_and_their_merge_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (what, suites, extra) in [
        ("reports", "tests/fixtures/reports", vec![]),
        ("repeat", "tests/fixtures/repeat", vec!["--repeat", "3"]),
    ] {
        let mut files = Vec::new();
        for shard in ["1/2", "2/2"] {
            let mut args = vec!["run", suites, "--shard", shard];
            args.extend(&extra);
            let results = results(&args);
            validate(&results, &format!("{what}, shard {shard}"));
            seen.extend(results.as_object().unwrap().keys().cloned());
            for suite in results["suites"].as_array().unwrap() {
                if let Some(plan) = suite["shard_plan"].as_object() {
                    seen.extend(plan.keys().map(|k| format!("shard_plan.{k}")));
                }
                for case in suite["cases"].as_array().unwrap() {
                    if let Some(runs) = case["runs"].as_object() {
                        seen.extend(runs.keys().map(|k| format!("runs.{k}")));
                    }
                }
            }
            let file = dir.path().join(format!("{what}-{}.json", &shard[..1]));
            std::fs::write(&file, serde_json::to_string(&results).unwrap()).unwrap();
            files.push(file.to_str().unwrap().to_string());
        }
        let mut args = vec!["merge"];
        args.extend(files.iter().map(String::as_str));
        let merged = merged(&args, dir.path());
        validate(&merged, &format!("{what}, merged"));
        assert!(
            merged.get("shard").is_none(),
            "{what}: the merge is no shard"
        );
        let suites = merged["suites"].as_array().unwrap();
        assert!(
            suites.iter().all(|s| s.get("shard_plan").is_none()),
            "{what}: a merged suite keeps its shard plan"
        );
        assert!(
            suites
                .iter()
                .any(|s| !s["floors"].as_array().unwrap().is_empty()),
            "{what}: the merge judged no floor"
        );
    }
    for field in [
        "shard",
        "shard_plan.cases",
        "shard_plan.floors",
        "runs.latencies_ms",
    ] {
        assert!(seen.contains(field), "no shard run produced `{field}`");
    }
}
