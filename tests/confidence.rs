//! Confidence intervals in a real run (the `evalgate` binary on tests/fixtures/confidence/):
//! Wilson for proportions, a fixed-seed bootstrap for the rest, and floors judged on the end of
//! the interval with `floor_mode = "lower_bound"`.

use evalgate::results::RunResults;
use evalgate::stats::wilson;
use std::process::{Command, Output};

fn run(out: &std::path::Path) -> (Output, RunResults) {
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", "tests/fixtures/confidence", "--out"])
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let results = RunResults::read(out).unwrap();
    (output, results)
}

#[test]
fn floors_judged_on_the_lower_bound_need_the_interval_above_them() {
    let dir = tempfile::tempdir().unwrap();
    let (output, results) = run(&dir.path().join("results.json"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");

    let (low, high) = wilson(9, 10, 0.95).unwrap();
    for suite in &results.suites {
        assert_eq!(suite.confidence, 0.95);
        let accuracy = &suite.intervals["accuracy"];
        assert_eq!((accuracy.low, accuracy.high), (low, high), "{}", suite.name);
        assert_eq!(accuracy.method, "wilson");
        assert_eq!(suite.intervals["f1_macro"].method, "bootstrap");
    }
    let by_value = results
        .suites
        .iter()
        .find(|s| s.name == "by_value")
        .unwrap();
    assert_eq!(by_value.floor_mode, "value");
    assert!(
        by_value
            .floors
            .iter()
            .all(|f| f.verdict == "pass" && f.judged.is_none())
    );

    let by_bound = results
        .suites
        .iter()
        .find(|s| s.name == "by_lower_bound")
        .unwrap();
    assert_eq!(by_bound.floor_mode, "lower_bound");
    let accuracy = &by_bound.floors[0];
    assert_eq!((accuracy.value, accuracy.judged), (Some(0.9), Some(low)));
    assert_eq!(accuracy.verdict, "fail");
    // A maximum is held against the high end.
    let error_rate = &by_bound.floors[1];
    assert_eq!(error_rate.judged, Some(wilson(0, 10, 0.95).unwrap().1));
    assert_eq!(error_rate.verdict, "fail");
    assert!(
        stdout.contains(
            "accuracy = 0.9, 95% interval [0.5958, 0.9821], whose low end 0.5958 breaks its \
             floor ≥ 0.8 (floor_mode = \"lower_bound\")"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("floors judged on the end of their 95% interval nearer the bound"));
    // With a minimum and a maximum, each bound is held against its own end: the maximum 0.85
    // against the high end, 0.9821, which breaks it.
    let both = results
        .suites
        .iter()
        .find(|s| s.name == "both_bounds")
        .unwrap();
    let floor = &both.floors[0];
    assert_eq!((floor.judged, floor.verdict.as_str()), (Some(high), "fail"));
    assert!(
        stdout.contains("whose high end 0.9821 breaks its floor ≥ 0.1 and ≤ 0.85"),
        "{stdout}"
    );
    assert!(stdout.contains("floor  accuracy          0.9  [0.5958, 0.9821]  ≥ 0.8          ok"));
}

#[test]
fn bootstrap_intervals_are_the_same_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first) = run(&dir.path().join("first.json"));
    let (_, second) = run(&dir.path().join("second.json"));
    for (a, b) in first.suites.iter().zip(&second.suites) {
        assert_eq!(a.intervals, b.intervals);
    }
    // The bootstrap's figures, pinned: its generator and percentiles are fixed, so they are the
    // same on every machine (a change here is a change of method).
    let f1 = &first.suites[0].intervals["f1_macro"];
    assert_eq!(
        (format!("{:.4}", f1.low), format!("{:.4}", f1.high)),
        ("0.6703".to_string(), "1.0000".to_string()),
        "{f1:?}"
    );
}
