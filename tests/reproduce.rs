//! Reproducing and re-running: `evalgate repro SUITE::CASE` shows one case's whole exchange,
//! `evalgate run --failed` re-runs what failed last time; and how the terminal output looks:
//! colour only when asked or on a terminal, a progress bar only on a terminal outside CI.

use std::path::Path;
use std::process::{Command, Output};

fn evalgate(args: &[&str], log: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(args)
        .env("EVALGATE_TEST_LOG", log)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn show(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The case ids the model was called for, sorted ("<pid> <id>" lines of the test log); the log
/// is emptied.
fn calls(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut calls: Vec<String> = text
        .lines()
        .map(|line| line.split_once(' ').unwrap().1.to_string())
        .collect();
    // Cases run concurrently: the order of calls is not the order of cases.
    calls.sort();
    std::fs::remove_file(log).ok();
    calls
}

#[test]
fn run_failed_reruns_only_what_failed_or_errored_last_time() {
    let dir = tempfile::tempdir().unwrap();
    let (out, log) = (
        dir.path().join("results.json"),
        dir.path().join("calls.log"),
    );
    let out = out.to_str().unwrap();
    let weak = "tests/fixtures/cli/weak.toml";

    let missing = evalgate(&["run", weak, "--failed", "--out", out], &log);
    assert_eq!(missing.status.code(), Some(2), "{}", show(&missing));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("--failed: cannot read"), "{stderr}");
    assert!(
        stderr.contains("run the suites once without --failed"),
        "{stderr}"
    );

    let gates = "tests/fixtures/cli/wrong_gates.toml";
    let first = evalgate(&["run", weak, gates, "--out", out], &log);
    assert_eq!(first.status.code(), Some(1), "{}", show(&first));
    assert_eq!(calls(&log), ["fine", "invalid", "off", "right", "wrong"]);

    // Given one suite, only its failed case runs again; the other suite's failures are kept
    // in the results, so the run still fails.
    let one = evalgate(&["run", gates, "--failed", "--out", out], &log);
    assert_eq!(calls(&log), ["off"], "{}", show(&one));
    assert_eq!(one.status.code(), Some(1), "{}", show(&one));
    let results = read(out);
    let cases = |suite: usize| -> Vec<String> {
        results["suites"][suite]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c["id"].as_str().unwrap(),
                    c["verdict"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(cases(0), ["right pass", "wrong fail", "invalid fail"]);
    assert_eq!(cases(1), ["fine pass", "off fail"]);
    assert_eq!(results["suites"][0]["floors"][0]["verdict"], "fail");
    assert_eq!(results["totals"]["failed"], 2, "{}", results["totals"]);
    assert_eq!(results["totals"]["not_gating"], 2, "{}", results["totals"]);

    // Without paths, the suites of the last run. A broken floor runs again with every case it
    // counts, so a run whose floor is still broken still fails.
    let all = evalgate(&["run", "--failed", "--out", out], &log);
    assert_eq!(
        calls(&log),
        ["invalid", "off", "right", "wrong"],
        "{}",
        show(&all)
    );
    assert_eq!(all.status.code(), Some(1), "{}", show(&all));
    assert!(
        stdout(&all).contains("weak::floor::accuracy"),
        "{}",
        show(&all)
    );

    // Once everything passes, there is nothing to re-run.
    let passing = evalgate(
        &["run", "tests/fixtures/cli/labels.toml", "--out", out],
        &log,
    );
    assert_eq!(passing.status.code(), Some(0), "{}", show(&passing));
    calls(&log);
    let nothing = evalgate(
        &[
            "run",
            "tests/fixtures/cli/labels.toml",
            "--failed",
            "--out",
            out,
        ],
        &log,
    );
    assert_eq!(nothing.status.code(), Some(0), "{}", show(&nothing));
    assert!(
        stdout(&nothing).contains("nothing failed or errored in"),
        "{}",
        show(&nothing)
    );
    assert!(calls(&log).is_empty());
}

#[test]
fn repro_shows_the_whole_exchange_of_one_case() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let wrong = evalgate(
        &[
            "repro",
            "weak::wrong",
            "tests/fixtures/cli/weak.toml",
            "--color",
            "never",
        ],
        &log,
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", show(&wrong));
    assert_eq!(calls(&log), ["wrong"], "one model call, for that case only");
    let text = stdout(&wrong);
    for part in [
        "weak::wrong  (tests/fixtures/cli/weak.toml:18)\n",
        "model:      command python3 ../models/scripted.py\n",
        "parameters: {\"command\":[\"python3\",\"../models/scripted.py\"],\"protocol\":\"lines\",\"provider\":\"command\"}\n",
        "answer:     the model, called now\n",
        "input:\n  | label:positive\n",
        "output, raw:\n  | positive\n",
        "label:      ✗ positive (expected negative)\n",
        "verdict:    fail\n",
    ] {
        assert!(text.contains(part), "{part:?} missing from\n{text}");
    }

    let checks = evalgate(
        &[
            "repro",
            "close_answer::too-far",
            "tests/fixtures/translate/close_answer.toml",
        ],
        &log,
    );
    let text = stdout(&checks);
    assert!(
        text.contains("checks:\n  ✗ contains \"sea\": not found in the output\n  ✗ min_chrf 50: "),
        "{text}"
    );
    assert!(
        text.contains("closest reference:\n  | The sea is blue and vast.\n"),
        "{text}"
    );
    assert_eq!(calls(&log), ["too-far"]);

    let replayed = evalgate(&["repro", "capitals::australia"], &log);
    assert_eq!(replayed.status.code(), Some(0), "{}", show(&replayed));
    let text = stdout(&replayed);
    assert!(
        text.contains("answer:     replayed from suites/cassettes/capitals.jsonl\n"),
        "{text}"
    );
    assert!(text.contains("  ✓ contains \"Canberra\"\n"), "{text}");
    assert!(text.contains("usage:      "), "{text}");
    assert!(
        text.contains("snapshot:   matches suites/snapshots/capitals__australia.snap"),
        "{text}"
    );
    assert!(calls(&log).is_empty(), "replayed, not called");

    let misspelt = evalgate(
        &["repro", "weak::wromg", "tests/fixtures/cli/weak.toml"],
        &log,
    );
    assert_eq!(misspelt.status.code(), Some(2), "{}", show(&misspelt));
    let stderr = String::from_utf8_lossy(&misspelt.stderr);
    assert!(
        stderr.contains("error: no case is named `weak::wromg`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `weak::wrong`?"), "{stderr}");
    assert!(calls(&log).is_empty(), "a bad name calls no model");

    // A model's control characters are shown as escapes: they cannot act on the terminal.
    let nasty = evalgate(
        &[
            "repro",
            "nasty::control-characters",
            "tests/fixtures/reports/nasty.toml",
        ],
        &log,
    );
    let shown = stdout(&nasty);
    assert!(
        shown.contains("  | \\u{1b}[31mred\\u{1b}[0m nul:\\u{0} bell:\\u{7} cr:\\u{d}"),
        "{shown}"
    );
    assert!(!shown.contains(['\x1b', '\r', '\0', '\x07']), "{shown:?}");
    calls(&log);

    let floor = evalgate(
        &[
            "repro",
            "weak::floor::accuracy",
            "tests/fixtures/cli/weak.toml",
        ],
        &log,
    );
    assert_eq!(floor.status.code(), Some(2), "{}", show(&floor));
    assert!(
        String::from_utf8_lossy(&floor.stderr)
            .contains("`evalgate run --exact -f weak::floor::accuracy` runs it again"),
        "{}",
        show(&floor)
    );
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (out, log) = (dir.path().join("r.json"), dir.path().join("calls.log"));
    let out = out.to_str().unwrap();
    let run = |colour: &str| {
        let output = evalgate(
            &[
                "run",
                "tests/fixtures/cli/weak.toml",
                "--out",
                out,
                "--color",
                colour,
            ],
            &log,
        );
        stdout(&output)
    };
    let always = run("always");
    assert!(
        always.contains("0.9          \x1b[31mFAILED\x1b[0m\n"),
        "{always}"
    );
    assert!(
        always.contains("result: \x1b[31mFAILED\x1b[0m."),
        "{always}"
    );
    assert!(
        always.contains("\x1b[31m---- weak::floor::accuracy ----\x1b[0m\n"),
        "{always}"
    );
    assert!(
        always.contains("\ncounted 3 cases (3 answered, 0 errored)\n"),
        "lines without diff markers are left alone: {always}"
    );
    let never = run("never");
    assert!(!never.contains('\x1b'), "{never}");
    assert!(
        never.contains("0.9          FAILED\n"),
        "the words stay: {never}"
    );
    // Not a terminal: auto means no colour.
    let auto = run("auto");
    assert!(!auto.contains('\x1b'), "{auto}");
}

/// Runs `evalgate ARGS` on a pseudo-terminal (util-linux `script`), where standard error is a
/// terminal; returns everything the terminal showed.
fn on_a_terminal(args: &str, ci: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let command = format!(
        "{} {args} --out {}",
        env!("CARGO_BIN_EXE_evalgate"),
        out.display()
    );
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    if ci {
        script.env("CI", "true");
    } else {
        script.env_remove("CI");
    }
    let output = script
        .output()
        .expect("util-linux `script` runs commands on a pseudo-terminal for this test");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_progress_bar_only_on_a_terminal_outside_ci() {
    let slow = "run tests/fixtures/cli/slow.toml";
    let shown = on_a_terminal(slow, false);
    assert!(
        shown.contains("] 8/8 cases, 1 failed, "),
        "the bar ends full, counting the failure: {shown:?}"
    );
    assert!(shown.contains("\r\x1b[K"), "the bar is cleared: {shown:?}");
    let in_ci = on_a_terminal(slow, true);
    assert!(!in_ci.contains(" cases, "), "{in_ci:?}");
    assert!(in_ci.contains("cases  7 passed, 1 failed"), "{in_ci:?}");
    // Not a terminal at all: no bar either.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let piped = evalgate(
        &[
            "run",
            "tests/fixtures/cli/slow.toml",
            "--out",
            out.to_str().unwrap(),
        ],
        &dir.path().join("calls.log"),
    );
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("cases"),
        "{}",
        show(&piped)
    );
}
