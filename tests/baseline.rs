//! `evalgate run --baseline BASE.json`: regressions against an earlier run become failing tests
//! `<suite>::regression::<metric>`, judged by the tests `evalgate compare` makes at each suite's
//! confidence, and governed by `fail_on`. The runs are real: the binary on the compare fixtures
//! (tests/fixtures/compare/base and head), whose sentiment suite regresses significantly.

use evalgate::results::{RunResults, SuiteResults};
use evalgate::stats::mcnemar_exact;
use std::path::Path;
use std::process::{Command, Output};

fn evalgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compare")
        .join(name)
        .display()
        .to_string()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn suite<'a>(results: &'a RunResults, name: &str) -> &'a SuiteResults {
    results.suites.iter().find(|s| s.name == name).unwrap()
}

/// A folder holding base.json, the results of the base fixtures.
fn with_base() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = evalgate(dir.path(), &["run", &fixture("base"), "--out", "base.json"]);
    assert!(dir.path().join("base.json").is_file(), "{}", text(&base));
    dir
}

#[test]
fn significant_drops_fail_as_regression_tests() {
    let dir = with_base();
    let head = evalgate(
        dir.path(),
        &[
            "run",
            &fixture("head"),
            "--baseline",
            "base.json",
            "--out",
            "head.json",
            "--junit",
            "junit.xml",
        ],
    );
    let shown = text(&head);
    assert_eq!(head.status.code(), Some(1), "{shown}");
    let results = RunResults::read(&dir.path().join("head.json")).unwrap();

    // sentiment: 10 cases went right → wrong, 1 wrong → right.
    let sentiment = suite(&results, "sentiment");
    assert_eq!(sentiment.fail_on, ["case", "floor", "regression"]);
    let accuracy = &sentiment.regressions[0];
    assert_eq!(accuracy.test, "sentiment::regression::accuracy");
    assert_eq!(accuracy.verdict, "fail");
    assert!(accuracy.gating);
    assert_eq!(accuracy.p_value, Some(mcnemar_exact(10, 1)));
    let message = accuracy.message.as_deref().unwrap();
    assert!(
        message.starts_with(
            "accuracy regressed against the baseline: 0.9667 → 0.6897; 10 of 30 cases went right → \
             wrong and 1 wrong → right; McNemar's exact test: p = 0.0117 (< 0.05, the suite's 95% \
             confidence)\nbaseline: base.json"
        ),
        "{message}"
    );
    assert!(message.contains("10 cases passed in the baseline and not now:"));
    assert!(message.contains(&format!(
        "rerun:    evalgate run {}/sentiment.toml --exact --filter sentiment::regression::accuracy \
         --baseline base.json",
        fixture("head")
    )));
    assert!(
        shown.contains("---- sentiment::regression::accuracy ----"),
        "{shown}"
    );

    // french: chrF fell; its paired bootstrap interval lies below 0. Its pass rate moved too
    // little for McNemar (2 right → wrong, 0 back).
    let french = suite(&results, "french");
    let verdicts: Vec<(&str, &str)> = french
        .regressions
        .iter()
        .map(|r| (r.metric.as_str(), r.verdict.as_str()))
        .collect();
    assert_eq!(verdicts, [("pass_rate", "pass"), ("chrf", "fail")]);
    let chrf = french.regressions[1].interval.unwrap();
    assert!(chrf.high < 0.0, "{chrf:?}");

    // replies improved significantly: its test passes. tone: no significant change.
    assert_eq!(suite(&results, "replies").regressions[0].verdict, "pass");
    assert_eq!(suite(&results, "tone").regressions[0].verdict, "pass");
    // fresh is not in the baseline: no regression tests, and fail_on does not list them.
    let fresh = suite(&results, "fresh");
    assert!(fresh.regressions.is_empty());
    assert_eq!(fresh.fail_on, ["case", "floor"]);

    // The JUnit report has them as test cases.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<testcase name=\"sentiment::regression::accuracy\""));
    assert!(junit.contains("type=\"regression\""));
}

#[test]
fn list_names_the_regression_tests_and_fail_on_governs_them() {
    let dir = with_base();
    let list = evalgate(
        dir.path(),
        &["list", &fixture("head"), "--baseline", "base.json"],
    );
    let names = String::from_utf8_lossy(&list.stdout);
    let regressions: Vec<&str> = names
        .lines()
        .filter(|n| n.contains("::regression::"))
        .collect();
    assert_eq!(
        regressions,
        [
            "french::regression::chrf",
            "french::regression::pass_rate",
            "replies::regression::pass_rate",
            "sentiment::regression::accuracy",
            "tone::regression::accuracy",
        ]
    );

    // The same head suite with fail_on = ["case", "floor"]: the regression is reported, not
    // gating.
    let suites = dir.path().join("head");
    std::fs::create_dir(&suites).unwrap();
    for file in ["sentiment.toml", "sentiment.jsonl"] {
        let mut content = std::fs::read_to_string(Path::new(&fixture("head")).join(file)).unwrap();
        if file.ends_with(".toml") {
            content = content.replace(
                "task = \"classify\"",
                "task = \"classify\"\nfail_on = [\"floor\"]",
            );
            content = content.replace("../../models/", &format!("{}/../models/", fixture("")));
        }
        std::fs::write(suites.join(file), content).unwrap();
    }
    let run = evalgate(
        dir.path(),
        &[
            "run",
            "head",
            "--baseline",
            "base.json",
            "--out",
            "head.json",
        ],
    );
    let results = RunResults::read(&dir.path().join("head.json")).unwrap();
    // What still fails the run is the refused model call, which always does.
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert_eq!((results.totals.failed, results.totals.errored), (0, 1));
    let regression = &results.suites[0].regressions[0];
    assert_eq!(
        (regression.verdict.as_str(), regression.gating),
        ("fail", false)
    );
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("regressed (not gating)"),
        "{}",
        text(&run)
    );
}

#[test]
fn a_bad_baseline_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage.json"), "{\"schema_version\": 1}").unwrap();
    for (baseline, expected) in [
        (
            "missing.json",
            "error: --baseline: cannot read missing.json:",
        ),
        (
            "garbage.json",
            "error: --baseline: garbage.json is not an evalgate results.json",
        ),
    ] {
        let run = evalgate(
            dir.path(),
            &[
                "run",
                &fixture("head"),
                "--baseline",
                baseline,
                "--out",
                "r.json",
            ],
        );
        assert_eq!(run.status.code(), Some(2), "{}", text(&run));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("hint: name a results.json that `evalgate run` wrote"));
        assert!(!dir.path().join("r.json").exists());
    }
}

#[test]
fn failed_needs_the_baseline_again_to_judge_regressions() {
    let dir = with_base();
    let head = fixture("head");
    let first = evalgate(
        dir.path(),
        &[
            "run",
            &head,
            "--baseline",
            "base.json",
            "--out",
            "head.json",
        ],
    );
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let without = evalgate(dir.path(), &["run", "--failed", "--out", "head.json"]);
    assert_eq!(without.status.code(), Some(2), "{}", text(&without));
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(
        stderr.contains("--failed: french::regression::chrf failed against a baseline, and no --baseline is given"),
        "{stderr}"
    );
    // With it, the regression tests are judged again, on every case they count; the
    // regressions are still there.
    let again = evalgate(
        dir.path(),
        &[
            "run",
            "--failed",
            "--baseline",
            "base.json",
            "--out",
            "head.json",
        ],
    );
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    let results = RunResults::read(&dir.path().join("head.json")).unwrap();
    let accuracy = &suite(&results, "sentiment").regressions[0];
    assert_eq!(accuracy.verdict, "fail");
    // The ignored case is not paired: the same 30 cases as the full run.
    assert!(
        accuracy.summary.contains("10 of 30 cases"),
        "{}",
        accuracy.summary
    );
}
