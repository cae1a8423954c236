//! Nondeterministic models: `repeat = N` runs each case N times, a case passes when its pass
//! rate meets `min_pass_rate`, flaky cases (mixed verdicts) are reported, metrics are the mean
//! over the runs with a bootstrap interval, and each run is recorded in the cassette apart.

use evalgate::results::RunResults;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in a copy of tests/fixtures/repeat (the cassette is written there).
fn run(dir: &Path, args: &[&str], cassette: &str) -> (Output, RunResults) {
    let out = dir.join("results.json");
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("run")
        .arg(dir.join("repeat"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .env("EVALGATE_CASSETTE", cassette)
        .env("EVALGATE_TEST_LOG", dir.join("calls.log"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let results = RunResults::read(&out).unwrap_or_else(|e| {
        panic!("{e}\n{}", String::from_utf8_lossy(&output.stderr));
    });
    (output, results)
}

fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("repeat")).unwrap();
    std::fs::copy(
        "tests/fixtures/repeat/flaky.toml",
        dir.path().join("repeat/flaky.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(
        "tests/fixtures/models/scripted.py",
        dir.path().join("models/scripted.py"),
    )
    .unwrap();
    dir
}

fn calls(dir: &Path) -> usize {
    let log = dir.join("calls.log");
    let count = std::fs::read_to_string(&log).map_or(0, |t| t.lines().count());
    let _ = std::fs::remove_file(log);
    count
}

#[test]
fn each_case_runs_n_times_and_passes_on_its_pass_rate() {
    let dir = fixture_copy();
    let (output, results) = run(dir.path(), &[], "record");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(calls(dir.path()), 16, "4 cases × 4 runs");
    let suite = &results.suites[0];
    assert_eq!((suite.repeat, suite.min_pass_rate), (4, Some(0.75)));
    let summary: Vec<(&str, &str, usize, bool)> = suite
        .cases
        .iter()
        .map(|c| {
            let runs = c.runs.as_ref().unwrap();
            assert_eq!(runs.count, 4);
            assert_eq!(runs.outputs.len(), 4);
            (c.id.as_str(), c.verdict.as_str(), runs.passed, runs.flaky)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("steady", "pass", 4, false),
            ("mostly-right", "pass", 3, true),
            ("mostly-wrong", "fail", 1, true),
            ("always-wrong", "fail", 0, false),
        ]
    );
    let mostly_wrong = &suite.cases[2];
    assert_eq!(
        mostly_wrong.runs.as_ref().unwrap().verdicts,
        ["fail", "pass", "fail", "fail"]
    );
    let message = mostly_wrong.message.as_deref().unwrap();
    assert!(
        message.starts_with(
            "passed 1 of 4 runs: pass rate 0.25, below min_pass_rate 0.75 (flaky: its runs \
             disagree)\nthe first run that did not pass:\nexpected: positive\nactual:   negative"
        ),
        "{message}"
    );
    // The accuracy of each run: 0.5, 0.75, 0.5, 0.25; the suite's is their mean, with a
    // bootstrap interval (runs of one case are not independent draws: no Wilson).
    assert_eq!(suite.metrics["accuracy"], 0.5);
    assert_eq!(suite.intervals["accuracy"].method, "bootstrap");
    // The confusion matrix counts every run: 16 answers.
    let counts = &suite.confusion_matrix.as_ref().unwrap().counts;
    assert_eq!(counts.iter().flatten().sum::<u64>(), 16);
    assert!(
        stdout.contains(
            "  runs   each case ran 4 times (min_pass_rate 0.75); 2 flaky: \
             flaky::mostly-right (3/4), flaky::mostly-wrong (1/4)"
        ),
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1));

    // Every run was recorded apart and replays without the model.
    let cassette =
        std::fs::read_to_string(dir.path().join("repeat/cassettes/flaky.jsonl")).unwrap();
    assert_eq!(cassette.lines().count(), 16);
    assert!(
        cassette.contains("\"test\":\"flaky::mostly-wrong#4\""),
        "{cassette}"
    );
    let (_, replayed) = run(dir.path(), &[], "replay");
    assert_eq!(calls(dir.path()), 0);
    let runs = |r: &RunResults| -> Vec<(Vec<String>, Vec<Option<String>>)> {
        r.suites[0]
            .cases
            .iter()
            .map(|c| {
                let runs = c.runs.as_ref().unwrap();
                (runs.verdicts.clone(), runs.outputs.clone())
            })
            .collect()
    };
    assert_eq!(runs(&replayed), runs(&results));
    assert!(replayed.suites[0].cases.iter().all(|c| c.replayed));
}

#[test]
fn the_repeat_flag_overrides_the_suites() {
    let dir = fixture_copy();
    let (_, results) = run(dir.path(), &["--repeat", "2"], "off");
    assert_eq!(calls(dir.path()), 8);
    let suite = &results.suites[0];
    assert_eq!(suite.repeat, 2);
    // Two runs: mostly-wrong passed once (0.5 < 0.75), mostly-right twice.
    let passed: Vec<usize> = suite
        .cases
        .iter()
        .map(|c| c.runs.as_ref().unwrap().passed)
        .collect();
    assert_eq!(passed, [2, 2, 1, 0]);

    let (_, once) = run(dir.path(), &["--repeat", "1"], "off");
    assert!(once.suites[0].cases.iter().all(|c| c.runs.is_none()));
    assert_eq!(once.suites[0].intervals["accuracy"].method, "wilson");
}

#[test]
fn a_case_whose_every_miss_is_a_failed_call_errs_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", "tests/fixtures/repeat/refusing.toml", "--out"])
        .arg(dir.path().join("results.json"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let results = RunResults::read(&dir.path().join("results.json")).unwrap();
    let refused = &results.suites[0].cases[0];
    assert_eq!(refused.verdict, "error");
    assert!(refused.gating, "a failed call gates whatever fail_on says");
    assert_eq!(refused.runs.as_ref().unwrap().verdicts, ["error"; 3]);
    assert_eq!(output.status.code(), Some(1));
}

/// Runs the compare fixtures of repeated suites and compares them.
fn compare_repeated(dir: &Path) -> (Output, serde_json::Value) {
    for side in ["base", "head"] {
        Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .arg("run")
            .arg(format!("tests/fixtures/compare_repeat/{side}"))
            .arg("--out")
            .arg(dir.join(format!("{side}.json")))
            .output()
            .unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("compare")
        .arg(dir.join("base.json"))
        .arg(dir.join("head.json"))
        .arg("--json")
        .arg(dir.join("comparison.json"))
        .output()
        .unwrap();
    let json = std::fs::read_to_string(dir.join("comparison.json")).unwrap();
    (output, serde_json::from_str(&json).unwrap())
}

#[test]
fn repeated_runs_are_compared_run_for_run() {
    // Base answers right on runs 1-3 of every case, head on runs 2-4: each case passes in both
    // and every metric's mean over the runs is the same. Compared on the first runs alone this
    // would be 24 cases right → wrong.
    let dir = tempfile::tempdir().unwrap();
    let (output, comparison) = compare_repeated(dir.path());
    assert_eq!(output.status.code(), Some(0), "{comparison}");
    let suite = &comparison["suites"][0];
    assert_eq!(suite["verdict"], "unchanged");
    assert_eq!(suite["mcnemar"]["right_to_wrong"], 0);
    let f1 = suite["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "f1_macro")
        .unwrap();
    assert_eq!(f1["delta"], 0.0);
    assert_eq!(f1["interval"]["low"], 0.0);
    assert_eq!(f1["interval"]["high"], 0.0);
}

#[test]
fn failed_reruns_as_many_runs_as_the_run_it_failed_in() {
    let dir = fixture_copy();
    let (_, first) = run(dir.path(), &["--repeat", "2"], "off");
    assert_eq!(first.suites[0].repeat, 2);
    calls(dir.path());
    // Without --repeat, the failed cases run twice again, as they did.
    let (again, rerun) = run(dir.path(), &["--failed"], "off");
    assert_eq!(
        rerun.suites[0].repeat,
        2,
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(calls(dir.path()), 4, "2 failed cases × 2 runs");
    // Another --repeat would judge them differently from the rest: refused.
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("run")
        .arg(dir.path().join("repeat"))
        .args(["--failed", "--repeat", "3", "--out"])
        .arg(dir.path().join("results.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--failed --repeat 3: the last run ran each case of flaky 2 times"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: re-run with the same --repeat"),
        "{stderr}"
    );
}
