//! `evalgate run --shard i/n` and `evalgate merge` on real runs of the binary: the fixture
//! suites of tests/fixtures (answered by tests/fixtures/models/scripted.py) and the example
//! suites under suites/ (replayed from their cassettes).
//!
//! Every case is in exactly one shard; the shards together are the unsharded run's cases; the
//! merge of the shards is the unsharded run's results (metrics and intervals bit for bit,
//! confusion matrices, slices, floor verdicts and messages, totals, exit code) once the fields
//! that differ from run to run are left out (times, latencies, git); a case's shard depends on
//! its name alone; and every wrong input is exit 2 with a message, nothing written.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_evalgate");

fn evalgate(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("CI", "true")
        .env("EVALGATE_CASSETTE", "replay")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `evalgate run SUITES ARGS --out OUT`: its exit code and results.
fn run(suites: &[&str], args: &[&str], out: &Path) -> (i32, Value) {
    let mut all = vec!["run"];
    all.extend(suites);
    all.extend(args);
    all.extend(["--out", out.to_str().unwrap()]);
    let output = evalgate(&all);
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{all:?}: exit {code}\n{}",
        text(&output.stderr)
    );
    (code, read(out))
}

/// The shard runs of `suites` split `n` ways, their files and exit codes.
fn shards(suites: &[&str], args: &[&str], n: usize, dir: &Path) -> Vec<(PathBuf, i32, Value)> {
    (1..=n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}-of-{n}.json"));
            let shard = format!("{i}/{n}");
            let mut with = args.to_vec();
            with.extend(["--shard", &shard]);
            let (code, results) = run(suites, &with, &out);
            (out, code, results)
        })
        .collect()
}

/// `evalgate merge FILES -o OUT ARGS`.
fn merge(files: &[PathBuf], out: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = vec!["merge"];
    all.extend(files.iter().map(|f| f.to_str().unwrap()));
    all.extend(["-o", out.to_str().unwrap()]);
    all.extend(args);
    evalgate(&all)
}

/// The case test names of results, by suite.
fn cases(results: &Value) -> BTreeMap<String, Vec<String>> {
    results["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|suite| {
            let names = suite["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|case| case["test"].as_str().unwrap().to_string())
                .collect();
            (suite["name"].as_str().unwrap().to_string(), names)
        })
        .collect()
}

/// Results without what differs from one run of the same cases to the next: times, git,
/// latencies and what is computed from them.
fn normalised(mut results: Value) -> Value {
    let object = results.as_object_mut().unwrap();
    for field in ["started_at", "duration_ms", "git"] {
        object.remove(field);
    }
    for suite in results["suites"].as_array_mut().unwrap() {
        let latency = |name: &str| name.starts_with("latency_");
        suite["metrics"]
            .as_object_mut()
            .unwrap()
            .retain(|name, _| !latency(name));
        for slice in suite["slices"].as_array_mut().into_iter().flatten() {
            slice["metrics"]
                .as_object_mut()
                .unwrap()
                .retain(|name, _| !latency(name));
        }
        for floor in suite["floors"].as_array_mut().unwrap() {
            if latency(floor["metric"].as_str().unwrap()) {
                let floor = floor.as_object_mut().unwrap();
                for field in ["value", "judged", "message"] {
                    floor.remove(field);
                }
            }
        }
        for case in suite["cases"].as_array_mut().unwrap() {
            case.as_object_mut().unwrap().remove("latency_ms");
            if let Some(runs) = case.get_mut("runs") {
                runs.as_object_mut().unwrap().remove("latencies_ms");
            }
        }
    }
    results
}

/// Where two JSON values differ, as paths, the first few.
fn differences(a: &Value, b: &Value, path: &str, found: &mut Vec<String>) {
    if found.len() >= 10 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => differences(p, q, &format!("{path}/{key}"), found),
                    (p, _) => found.push(format!(
                        "{path}/{key}: only in the {} run",
                        if p.is_some() { "unsharded" } else { "merged" }
                    )),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{path}[{i}]"), found);
            }
        }
        _ if a != b => found.push(format!("{path}: {a} (unsharded) against {b} (merged)")),
        _ => {}
    }
}

/// The suites a test splits and merges, with the flags every run of them gets.
const SPLIT: [(&str, &[&str], &[&str]); 7] = [
    // Classify with a failing floor, tags and wrong labels; generate with nasty outputs.
    ("reports", &["tests/fixtures/reports"], &[]),
    // Translation: corpus BLEU/chrF/TER and their bootstrap intervals, signatures.
    ("translate", &["tests/fixtures/translate"], &[]),
    // floor_mode = "lower_bound": floors held against an end of their interval.
    ("lower bound", &["tests/fixtures/confidence"], &[]),
    // Repeated cases: metrics averaged over runs, every run's latency.
    ("repeat", &["tests/fixtures/repeat"], &["--repeat", "3"]),
    // Failed model calls, which always gate.
    ("faults", &["tests/fixtures/cli/faults.toml"], &[]),
    // New snapshots (in CI nothing is written): the cases fail, their checks count as held.
    ("snapshots", &["tests/fixtures/snapshots"], &[]),
    // The example suites from their cassettes, ignored cases included.
    ("examples", &["suites"], &["--include-ignored"]),
];

#[test]
fn every_case_is_in_exactly_one_shard_and_the_merge_is_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    for (what, suites, args) in SPLIT {
        let whole_file = dir.path().join(format!("{what}-whole.json"));
        let (whole_code, whole) = run(suites, args, &whole_file);
        let whole_cases = cases(&whole);
        let counts: &[usize] = if matches!(what, "reports" | "examples") {
            &[1, 2, 3, 7]
        } else {
            &[1, 3]
        };
        for &n in counts {
            let split = dir.path().join(format!("{what}-{n}"));
            std::fs::create_dir_all(&split).unwrap();
            let shards = shards(suites, args, n, &split);
            // Every case in exactly one shard, the shard its name hashes to; together, the
            // unsharded run's cases.
            let mut union: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (i, (_, code, results)) in shards.iter().enumerate() {
                assert_eq!(
                    results["shard"],
                    serde_json::json!({"index": i + 1, "count": n}),
                    "{what}"
                );
                for suite in results["suites"].as_array().unwrap() {
                    assert!(
                        suite["floors"].as_array().unwrap().is_empty(),
                        "{what}: a shard judged a floor"
                    );
                    assert!(suite["shard_plan"].is_object(), "{what}: no shard plan");
                }
                for (suite, names) in cases(results) {
                    for name in names {
                        assert!(
                            union.entry(suite.clone()).or_default().insert(name.clone()),
                            "{what}, {n} shards: {name} is in two shards"
                        );
                    }
                }
                // A shard fails when one of its gating cases does, and only then.
                let gating_failure = results["suites"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| s["cases"].as_array().unwrap())
                    .any(|c| {
                        c["gating"] == true
                            && matches!(c["verdict"].as_str(), Some("fail" | "error"))
                    });
                assert_eq!(
                    *code,
                    i32::from(gating_failure),
                    "{what}, shard {}/{n}",
                    i + 1
                );
            }
            let whole_sets: BTreeMap<String, BTreeSet<String>> = whole_cases
                .iter()
                .map(|(suite, names)| (suite.clone(), names.iter().cloned().collect()))
                .collect();
            let union: BTreeMap<String, BTreeSet<String>> = union
                .into_iter()
                .filter(|(_, names)| !names.is_empty())
                .collect();
            assert_eq!(union, whole_sets, "{what}, {n} shards: not the run's cases");

            // The merge is the unsharded run.
            let files: Vec<PathBuf> = shards.iter().map(|(file, _, _)| file.clone()).collect();
            let merged_file = split.join("merged.json");
            let output = merge(&files, &merged_file, &[]);
            assert_eq!(
                output.status.code(),
                Some(whole_code),
                "{what}, {n} shards: the merge's exit code\n{}{}",
                text(&output.stdout),
                text(&output.stderr)
            );
            let merged = read(&merged_file);
            let mut found = Vec::new();
            differences(
                &normalised(whole.clone()),
                &normalised(merged.clone()),
                "",
                &mut found,
            );
            assert!(
                found.is_empty(),
                "{what}, {n} shards: the merge differs from the unsharded run:\n{}",
                found.join("\n")
            );
            // Latencies are the shards' own; the merge computes its latency metrics from them.
            let latencies_of = |results: &Value| -> Vec<f64> {
                let mut all: Vec<f64> = results["suites"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| s["cases"].as_array().unwrap())
                    .filter_map(|c| c["latency_ms"].as_f64())
                    .collect();
                all.sort_by(f64::total_cmp);
                all
            };
            let from_shards: Vec<f64> = {
                let mut all: Vec<f64> = shards
                    .iter()
                    .flat_map(|(_, _, r)| latencies_of(r))
                    .collect();
                all.sort_by(f64::total_cmp);
                all
            };
            assert_eq!(latencies_of(&merged), from_shards, "{what}");
        }
    }
}

#[test]
fn a_broken_floor_fails_the_merge_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let shards = shards(&["tests/fixtures/reports"], &[], 2, dir.path());
    let files: Vec<PathBuf> = shards.iter().map(|(file, _, _)| file.clone()).collect();
    let out = dir.path().join("merged.json");
    let junit = dir.path().join("junit.xml");
    let markdown = dir.path().join("summary.md");
    let html = dir.path().join("report.html");
    let output = merge(
        &files,
        &out,
        &[
            "--junit",
            junit.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
            "--color",
            "never",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("merged 2 shards; results: "), "{stdout}");
    let merged = read(&out);
    let sentiment = merged["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "sentiment")
        .unwrap();
    let accuracy = sentiment["floors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["metric"] == "accuracy")
        .unwrap();
    assert_eq!(accuracy["verdict"], "fail");
    assert_eq!(accuracy["gating"], true);
    let message = accuracy["message"].as_str().unwrap();
    let value = sentiment["metrics"]["accuracy"].as_f64().unwrap();
    let counted = sentiment["metrics_cases"].as_u64().unwrap();
    for part in [
        format!(
            "accuracy = {}, which breaks its floor ≥ 0.9",
            evalgate::suite::number(value)
        ),
        format!("counted {counted} cases ("),
        "floor:    tests/fixtures/reports/sentiment.toml:".to_string(),
        "rerun:    evalgate run tests/fixtures/reports/sentiment.toml --exact --filter sentiment::floor::accuracy".to_string(),
    ] {
        assert!(message.contains(&part), "no `{part}` in:\n{message}");
    }
    // Every report, from the merged results, as `evalgate report` writes them.
    for (flag, path) in [
        ("--junit", &junit),
        ("--markdown", &markdown),
        ("--html", &html),
    ] {
        let again = dir.path().join(format!("again-{}", &flag[2..]));
        let output = evalgate(&[
            "report",
            out.to_str().unwrap(),
            flag,
            again.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            std::fs::read_to_string(&again).unwrap(),
            "{flag}"
        );
    }
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("sentiment::floor::accuracy")
    );
}

#[test]
fn a_case_keeps_its_shard_whatever_the_filters_and_the_other_cases() {
    let list = |args: &[&str]| -> BTreeSet<String> {
        let output = evalgate(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout).lines().map(str::to_string).collect()
    };
    let n = 5;
    let shard_of = |args: &[&str]| -> BTreeMap<String, usize> {
        let mut shard_of = BTreeMap::new();
        for i in 1..=n {
            let shard = format!("{i}/{n}");
            let mut with = args.to_vec();
            with.extend(["--shard", &shard]);
            for name in list(&with) {
                assert!(shard_of.insert(name, i).is_none(), "{args:?}");
            }
        }
        shard_of
    };
    // `list --shard` names what `run --shard` runs: the cases, no floor.
    let all = shard_of(&["list", "suites"]);
    let cases: BTreeSet<String> = list(&["list", "suites"])
        .into_iter()
        .filter(|name| !name.contains("::floor::"))
        .collect();
    assert_eq!(all.keys().cloned().collect::<BTreeSet<_>>(), cases);
    // Filters choose cases; they do not move them.
    for filters in [
        &["-f", "sentiment::"][..],
        &["--skip", "tweet-1"],
        &[
            "--exact",
            "-f",
            "capitals::paris",
            "-f",
            "sentiment::tweet-27",
        ],
    ] {
        let mut args = vec!["list", "suites"];
        args.extend(filters);
        let filtered = shard_of(&args);
        assert!(!filtered.is_empty(), "{filters:?}");
        for (name, shard) in &filtered {
            assert_eq!(all.get(name), Some(shard), "{name} moved with {filters:?}");
        }
    }
    // Other cases added to a suite, or another suite beside it, move no case.
    let dir = tempfile::tempdir().unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/scripted.py");
    let suite = |cases: std::ops::Range<usize>| {
        let mut toml = format!(
            "task = \"classify\"\nlabels = [\"a\", \"b\"]\n\n[model]\nprovider = \"command\"\ncommand = [\"python3\", {:?}]\n",
            model.display().to_string()
        );
        for c in cases {
            toml.push_str(&format!(
                "\n[[case]]\nid = \"case-{c}\"\ninput = \"label:a\"\nexpected = \"a\"\n"
            ));
        }
        toml
    };
    let path = dir.path().join("grow.toml");
    std::fs::write(&path, suite(0..20)).unwrap();
    let before = shard_of(&["list", path.to_str().unwrap()]);
    std::fs::write(&path, suite(0..60)).unwrap();
    std::fs::write(dir.path().join("other.toml"), suite(0..30)).unwrap();
    let after = shard_of(&["list", dir.path().to_str().unwrap()]);
    assert_eq!(before.len(), 20);
    assert_eq!(after.len(), 90);
    for (name, shard) in &before {
        assert_eq!(after.get(name), Some(shard), "{name} moved");
    }
    // The shard is FNV-1a 64 of the name modulo the count, from 1.
    for (name, shard) in &after {
        assert_eq!(evalgate::engine::Shard::of(name, n), *shard);
    }
}

/// Exit 2, a message on stderr containing each of `parts`, nothing written at `out`.
fn refused(output: &Output, out: &Path, parts: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "no `{part}` in:\n{stderr}");
    }
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn bad_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    for (shard, message) in [
        ("0/3", "shard 0/3: I counts from 1, so it runs from 1 to 3"),
        (
            "3/2",
            "shard 3/2: there are only 2 shards, so I runs from 1 to 2",
        ),
        ("a/b", "`a/b` is not a shard: write I/N, two whole numbers"),
        (
            "1/0",
            "shard 1/0: N, the number of shards, must be at least 1",
        ),
        ("1/1001", "at most 1000 shards"),
    ] {
        let output = evalgate(&[
            "run",
            "tests/fixtures/cli/labels.toml",
            "--shard",
            shard,
            "--out",
            out.to_str().unwrap(),
        ]);
        refused(&output, &out, &[message]);
        let output = evalgate(&["list", "tests/fixtures/cli/labels.toml", "--shard", shard]);
        refused(&output, &out, &[message]);
    }
    // A shard cannot judge regressions (they need every case) nor rerun a whole run's failures.
    let output = evalgate(&[
        "run",
        "tests/fixtures/cli/labels.toml",
        "--shard",
        "1/2",
        "--baseline",
        "base.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(
        &output,
        &out,
        &["'--shard <I/N>' cannot be used with '--baseline <PATH>'"],
    );
    let output = evalgate(&[
        "run",
        "--failed",
        "--shard",
        "1/2",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(&output, &out, &["cannot be used with '--shard <I/N>'"]);
}

#[test]
fn merging_what_is_not_one_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let three = shards(&["tests/fixtures/reports"], &[], 3, dir.path());
    let files: Vec<PathBuf> = three.iter().map(|(file, _, _)| file.clone()).collect();
    let shown = |i: usize| files[i].display().to_string();
    let two = shards(&["tests/fixtures/reports"], &[], 2, dir.path());
    let out = dir.path().join("merged.json");
    let write = |name: &str, results: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string(results).unwrap()).unwrap();
        path
    };

    // A shard missing.
    let output = merge(&files[..2], &out, &[]);
    refused(
        &output,
        &out,
        &[
            &format!(
                "a shard is missing: 3/3 (given: 1/3 {}, 2/3 {})",
                shown(0),
                shown(1)
            ),
            "give the results of every shard, 1/3 to 3/3",
        ],
    );
    // A shard given twice.
    let copy = write("copy-of-2.json", &three[1].2);
    let output = merge(
        &[
            files[0].clone(),
            files[1].clone(),
            copy.clone(),
            files[2].clone(),
        ],
        &out,
        &[],
    );
    refused(
        &output,
        &out,
        &[&format!(
            "shard 2/3 is given 2 times: {}, {}",
            shown(1),
            copy.display()
        )],
    );
    // Shards of different counts.
    let output = merge(&[files[0].clone(), two[1].0.clone()], &out, &[]);
    refused(
        &output,
        &out,
        &[
            &format!(
                "the shards split different runs: {} is 1/3, {} is 2/2",
                shown(0),
                two[1].0.display()
            ),
            "the same --shard I/N count N",
        ],
    );
    // Results that are not a shard's.
    let whole = dir.path().join("whole.json");
    run(&["tests/fixtures/reports"], &[], &whole);
    let output = merge(std::slice::from_ref(&whole), &out, &[]);
    refused(
        &output,
        &out,
        &[&format!(
            "{} is not a shard's results: it has no `shard`",
            whole.display()
        )],
    );
    // Shards of other suites.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let labels = shards(&["tests/fixtures/cli/labels.toml"], &[], 3, &other);
    let output = merge(
        &[files[0].clone(), files[1].clone(), labels[2].0.clone()],
        &out,
        &[],
    );
    refused(
        &output,
        &out,
        &[&format!(
            "{} and {} ran different suites: {} has nasty, sentiment, tone; {} has labels",
            shown(0),
            labels[2].0.display(),
            shown(0),
            labels[2].0.display()
        )],
    );
    // Another floor in one shard.
    let mut changed = three[2].2.clone();
    for suite in changed["suites"].as_array_mut().unwrap() {
        if suite["name"] == "sentiment" {
            suite["shard_plan"]["floors"][0]["min"] = Value::from(0.5);
        }
    }
    let changed = write("changed-floor.json", &changed);
    let output = merge(
        &[files[0].clone(), files[1].clone(), changed.clone()],
        &out,
        &[],
    );
    refused(
        &output,
        &out,
        &[&format!(
            "suite sentiment differs between {} and {}: its floor definitions",
            shown(0),
            changed.display()
        )],
    );
    // Another evalgate.
    let mut newer = three[2].2.clone();
    newer["evalgate_version"] = Value::from("99.0.0");
    let newer = write("newer.json", &newer);
    let output = merge(
        &[files[0].clone(), files[1].clone(), newer.clone()],
        &out,
        &[],
    );
    refused(
        &output,
        &out,
        &[
            &format!("and {} by evalgate 99.0.0", newer.display()),
            "run every shard with the same evalgate",
        ],
    );
    // A case moved to another shard.
    let mut first = three[0].2.clone();
    let mut second = three[1].2.clone();
    let suite = first["suites"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| !s["cases"].as_array().unwrap().is_empty())
        .unwrap();
    let moved = first["suites"][suite]["cases"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    let name = moved["test"].as_str().unwrap().to_string();
    second["suites"][suite]["cases"]
        .as_array_mut()
        .unwrap()
        .push(moved);
    let (first, second) = (write("first.json", &first), write("second.json", &second));
    let output = merge(
        &[first.clone(), second.clone(), files[2].clone()],
        &out,
        &[],
    );
    refused(
        &output,
        &out,
        &[
            &format!(
                "{} (shard 2/3) has {name}, which falls in shard 1/3",
                second.display()
            ),
            &format!(
                "{name} is missing: shard 1/3 ({}) should have it",
                first.display()
            ),
        ],
    );
    // An output naming a shard's results; a file that is not results.
    let output = merge(&files, &files[0], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--out names a shard's results"));
    assert_eq!(
        read(&files[0]),
        three[0].2,
        "the shard's results were overwritten"
    );
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    let output = merge(std::slice::from_ref(&junk), &out, &[]);
    refused(
        &output,
        &out,
        &[&format!(
            "{} is not an evalgate results.json",
            junk.display()
        )],
    );
    // And with every shard, once, it merges.
    let output = merge(&files, &out, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(out.exists());
}
