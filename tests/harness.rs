//! The harness as `cargo test` and nextest drive it.
//!
//! This test binary is its own fixture: with `EVALGATE_HARNESS_FIXTURE=<folder>` in the
//! environment it is a user's `tests/suites.rs` over the suites in that folder, with a few `fn`
//! models; without it, its tests run that fixture as a child process with libtest's arguments
//! and check what it prints and which model calls it makes (each call is appended to the file
//! named by `EVALGATE_CALL_LOG`).

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::time::Duration;

const FIXTURE: &str = "EVALGATE_HARNESS_FIXTURE";
const CALL_LOG: &str = "EVALGATE_CALL_LOG";

type Check = fn() -> Result<(), Failed>;

fn main() -> ExitCode {
    if let Some(dir) = std::env::var_os(FIXTURE) {
        return fixture(PathBuf::from(dir));
    }
    let tests: &[(&str, Check)] = &[
        (
            "list_names_every_case_and_floor",
            list_names_every_case_and_floor,
        ),
        (
            "list_terse_formats_for_nextest",
            list_terse_formats_for_nextest,
        ),
        (
            "exact_case_calls_only_its_model",
            exact_case_calls_only_its_model,
        ),
        (
            "floor_runs_every_counted_case_once",
            floor_runs_every_counted_case_once,
        ),
        (
            "whole_run_calls_each_case_once",
            whole_run_calls_each_case_once,
        ),
        (
            "include_ignored_counts_in_floors",
            include_ignored_counts_in_floors,
        ),
        (
            "ignored_runs_only_ignored_cases",
            ignored_runs_only_ignored_cases,
        ),
        (
            "generate_failure_shows_diff_and_rerun",
            generate_failure_shows_diff_and_rerun,
        ),
        (
            "classify_failure_shows_labels_and_output",
            classify_failure_shows_labels_and_output,
        ),
        (
            "floor_failure_lists_offending_cases",
            floor_failure_lists_offending_cases,
        ),
        (
            "model_faults_fail_only_their_case",
            model_faults_fail_only_their_case,
        ),
        (
            "broken_suite_file_is_a_failing_test",
            broken_suite_file_is_a_failing_test,
        ),
        (
            "snapshots_follow_insta_under_cargo_test",
            snapshots_follow_insta_under_cargo_test,
        ),
        (
            "a_baseline_adds_regression_tests",
            a_baseline_adds_regression_tests,
        ),
        (
            "evalgate_results_gets_what_ran",
            evalgate_results_gets_what_ran,
        ),
    ];
    let trials = tests
        .iter()
        .map(|(name, test)| Trial::test(*name, *test))
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}

/// A user's harness with models whose behaviour the tests know.
fn fixture(dir: PathBuf) -> ExitCode {
    evalgate::Harness::from_dir(dir)
        .model("keyword", |req: &evalgate::Request| {
            log_call(req);
            Ok(if req.input.contains("good") {
                "positive"
            } else if req.input.contains("bad") {
                "negative"
            } else {
                "Positive."
            })
        })
        .model("echo", |req: &evalgate::Request| {
            log_call(req);
            Ok(req.prompt.clone())
        })
        .model("faulty", |req: &evalgate::Request| {
            log_call(req);
            match req.input.as_str() {
                "panic" => panic!("model exploded"),
                "error" => Err("quota exceeded".into()),
                "hang" => {
                    std::thread::sleep(Duration::from_secs(5));
                    Ok("too late".to_string())
                }
                _ => Ok(req.input.clone()),
            }
        })
        .run()
}

fn log_call(req: &evalgate::Request) {
    if let Some(path) = std::env::var_os(CALL_LOG) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(format!("{}::{}\n", req.suite, req.case_id).as_bytes())
            .unwrap();
    }
}

/// One run of the fixture: its exit code, stdout, stderr and the model calls it made.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    calls: Vec<String>,
}

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/harness")
        .join(name)
}

fn run(dir: &str, args: &[&str]) -> Run {
    run_with(&fixture_dir(dir), args, &[])
}

/// Runs the fixture over the suites in `dir`, with extra environment.
fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let log = std::env::temp_dir().join(format!(
        "evalgate-calls-{}-{}",
        std::process::id(),
        args.join("_").replace(['/', ':', ' '], "-")
    ));
    let _ = std::fs::remove_file(&log);
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env(FIXTURE, dir)
        .env(CALL_LOG, &log)
        .env_remove("RUST_BACKTRACE")
        .env_remove("CI")
        .env_remove("INSTA_UPDATE")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("INSTA_PENDING_DIR")
        .env_remove("INSTA_WORKSPACE_ROOT")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let mut calls: Vec<String> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    calls.sort();
    let _ = std::fs::remove_file(&log);
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
        calls,
    }
}

fn check(condition: bool, what: &str, run: &Run) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(format!(
            "{what}\n--- exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}\n--- calls: {:?}",
            run.code, run.stdout, run.stderr, run.calls
        )
        .into())
    }
}

fn contains(run: &Run, needle: &str) -> Result<(), Failed> {
    check(
        run.stdout.contains(needle),
        &format!("stdout lacks {needle:?}"),
        run,
    )
}

/// Checks libtest's line for one test (it pads names to align the verdicts).
fn outcome(run: &Run, test: &str, verdict: &str) -> Result<(), Failed> {
    let found = run
        .stdout
        .lines()
        .any(|line| line.split_whitespace().collect::<Vec<_>>() == ["test", test, "...", verdict]);
    check(found, &format!("no line `test {test} ... {verdict}`"), run)
}

fn list_names_every_case_and_floor() -> Result<(), Failed> {
    let run = run("basic", &["--list"]);
    check(run.code == Some(0), "--list succeeds", &run)?;
    let mut names: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .collect();
    names.sort();
    let expected = [
        "echo::bonjour",
        "echo::floor::pass_rate",
        "echo::hello",
        "faults::errs",
        "faults::fine",
        "faults::hangs",
        "faults::panics",
        "mood::floor::accuracy",
        "mood::floor::f1_macro",
        "mood::floor::recall.negative",
        "mood::happy",
        "mood::sad",
        "mood::sarcasm",
        "mood::unsure",
    ];
    check(names == expected, &format!("listed {names:?}"), &run)?;
    check(run.calls.is_empty(), "listing calls no model", &run)
}

fn list_terse_formats_for_nextest() -> Result<(), Failed> {
    // nextest lists tests with these two calls and parses `name: test` lines.
    let all = run("basic", &["--list", "--format", "terse"]);
    check(
        all.stdout.lines().count() == 14 && all.stdout.lines().all(|l| l.ends_with(": test")),
        "terse list",
        &all,
    )?;
    let ignored = run("basic", &["--list", "--format", "terse", "--ignored"]);
    check(
        ignored.stdout.trim() == "mood::sarcasm: test",
        "only the ignored case with --ignored",
        &ignored,
    )
}

fn exact_case_calls_only_its_model() -> Result<(), Failed> {
    // nextest runs one process per test with exactly these arguments.
    let run = run("basic", &["--exact", "echo::hello", "--nocapture"]);
    check(run.code == Some(0), "the case passes", &run)?;
    check(
        run.calls == ["echo::hello"],
        "one model call, for that case only",
        &run,
    )?;
    outcome(&run, "echo::hello", "ok")
}

fn floor_runs_every_counted_case_once() -> Result<(), Failed> {
    let run = run("basic", &["--exact", "mood::floor::accuracy"]);
    check(
        run.code == Some(0),
        "2 of 3 counted cases right: accuracy 0.667 ≥ 0.6",
        &run,
    )?;
    check(
        run.calls == ["mood::happy", "mood::sad", "mood::unsure"],
        "every counted case once, not the ignored one",
        &run,
    )
}

fn whole_run_calls_each_case_once() -> Result<(), Failed> {
    let run = run("basic", &["mood::", "--test-threads", "4"]);
    check(
        run.calls == ["mood::happy", "mood::sad", "mood::unsure"],
        "case and floor tests share one call per case",
        &run,
    )?;
    outcome(&run, "mood::floor::f1_macro", "ok")?;
    outcome(&run, "mood::sarcasm", "ignored")?;
    outcome(&run, "mood::unsure", "FAILED")?;
    check(run.code == Some(101), "a failed case fails the run", &run)
}

fn include_ignored_counts_in_floors() -> Result<(), Failed> {
    let run = run("basic", &["mood::floor::", "--include-ignored"]);
    check(
        run.calls.len() == 4 && run.calls.contains(&"mood::sarcasm".to_string()),
        "the ignored case runs",
        &run,
    )?;
    outcome(&run, "mood::floor::f1_macro", "FAILED")?;
    contains(&run, "f1_macro = 0.5, which breaks its floor ≥ 0.6")
}

fn ignored_runs_only_ignored_cases() -> Result<(), Failed> {
    let run = run("basic", &["--ignored"]);
    check(
        run.calls == ["mood::sarcasm"],
        "only the ignored case is called",
        &run,
    )?;
    outcome(&run, "mood::sarcasm", "FAILED")?;
    // The rerun of an ignored case must include it, or it would not run.
    contains(
        &run,
        "rerun:    cargo test -p evalgate --test harness -- --exact mood::sarcasm --include-ignored",
    )
}

fn generate_failure_shows_diff_and_rerun() -> Result<(), Failed> {
    let run = run("basic", &["--exact", "echo::bonjour"]);
    check(run.code == Some(101), "the case fails", &run)?;
    contains(
        &run,
        "1 of 1 checks failed:\n  ✗ equals: the output differs from the expected text:\n    [fr] bonjour[- le monde-]",
    )?;
    contains(&run, "output:\n  | [fr] bonjour\n")?;
    contains(&run, "input:    \"bonjour\"")?;
    contains(&run, "echo.toml:21\n")?;
    contains(
        &run,
        "rerun:    cargo test -p evalgate --test harness -- --exact echo::bonjour",
    )
}

fn classify_failure_shows_labels_and_output() -> Result<(), Failed> {
    let run = run("basic", &["--exact", "mood::unsure"]);
    contains(
        &run,
        "expected: negative\nactual:   positive\ndiff:     [-negative-]{+Positive.+}\noutput:   \"Positive.\"\ninput:    \"an odd day\"",
    )
}

fn floor_failure_lists_offending_cases() -> Result<(), Failed> {
    let run = run(
        "basic",
        &[
            "--exact",
            "mood::floor::recall.negative",
            "--include-ignored",
        ],
    );
    contains(
        &run,
        "recall.negative = 0.3333, which breaks its floor ≥ 0.5",
    )?;
    contains(&run, "counted 4 cases (4 answered, 0 errored)")?;
    contains(&run, "2 `negative` cases were predicted otherwise:")?;
    contains(
        &run,
        "  mood::unsure  expected negative, predicted positive  \"an odd day\"",
    )?;
    contains(
        &run,
        "  mood::sarcasm  expected negative, predicted positive  \"oh good, rain\"",
    )?;
    contains(
        &run,
        "rerun:    cargo test -p evalgate --test harness -- --exact mood::floor::recall.negative",
    )
}

fn model_faults_fail_only_their_case() -> Result<(), Failed> {
    let run = run("basic", &["faults::"]);
    check(run.code == Some(101), "faulty cases fail", &run)?;
    outcome(&run, "faults::fine", "ok")?;
    contains(
        &run,
        "the model call failed: model `faulty` panicked: model exploded",
    )?;
    contains(
        &run,
        "the model call failed: model `faulty` returned an error: quota exceeded",
    )?;
    contains(
        &run,
        "the model call failed: model `faulty` gave no answer within 0.5 s (timeout_s)",
    )?;
    contains(&run, "test result: FAILED. 1 passed; 3 failed")?;
    check(
        !run.stderr.contains("panicked at"),
        "the model's panic is not printed by the panic hook",
        &run,
    )
}

fn broken_suite_file_is_a_failing_test() -> Result<(), Failed> {
    let listed = run("broken", &["--list"]);
    check(
        listed.code == Some(0),
        "--list works with a broken suite",
        &listed,
    )?;
    contains(&listed, "typo::suite_file: test")?;
    contains(&listed, "echo::hello: test")?;
    let run = run("broken", &[]);
    check(run.code == Some(101), "the broken file fails the run", &run)?;
    outcome(&run, "typo::suite_file", "FAILED")?;
    outcome(&run, "echo::hello", "ok")?;
    contains(&run, "error: unknown key `desciption` in a suite file")?;
    contains(&run, "typo.toml:4:1")?;
    contains(&run, "error: unknown metric `acuracy` in [floors]")?;
    contains(&run, "= hint: did you mean `accuracy`?")?;
    contains(
        &run,
        "error: expected label `c` of case `case-1` is not one of the labels",
    )?;
    contains(&run, "3 problems found")
}

fn snapshots_follow_insta_under_cargo_test() -> Result<(), Failed> {
    // On a copy, so the pending files land in a scratch folder that is the project root.
    let project = tempfile::tempdir().unwrap();
    let suites = project.path().join("suites");
    std::fs::create_dir(&suites).unwrap();
    std::fs::copy(
        fixture_dir("snapshots").join("greet.toml"),
        suites.join("greet.toml"),
    )
    .unwrap();
    let root = project.path().to_str().unwrap();
    let pending = suites.join("snapshots/greet__there.snap.new");

    // In CI: the new snapshot fails the case and nothing is written.
    let ci = run_with(
        &suites,
        &["greet::there"],
        &[("CI", "true"), ("INSTA_WORKSPACE_ROOT", root)],
    );
    outcome(&ci, "greet::there", "FAILED")?;
    contains(&ci, "snapshot: new, nothing accepted yet at ")?;
    contains(&ci, "  | hi there\n")?;
    contains(&ci, "then cargo insta review")?;
    check(!pending.exists(), "CI writes no pending snapshot", &ci)?;

    // Locally: insta leaves the pending snapshot for `cargo insta review`.
    let local = run_with(
        &suites,
        &["greet::there"],
        &[("INSTA_WORKSPACE_ROOT", root)],
    );
    outcome(&local, "greet::there", "FAILED")?;
    check(pending.exists(), "a .snap.new is left", &local)?;
    let written = std::fs::read_to_string(&pending).unwrap();
    check(
        written.starts_with("---\nsource: suites/greet.toml\n"),
        &format!("the suite is the source: {written}"),
        &local,
    )?;

    // Accepted with the CLI, read by the harness: both tools share the files.
    let accepted = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["accept", "--path", suites.to_str().unwrap()])
        .current_dir(project.path())
        .output()
        .unwrap();
    check(accepted.status.success(), "evalgate accept", &local)?;
    let green = run_with(
        &suites,
        &["greet::there"],
        &[("CI", "true"), ("INSTA_WORKSPACE_ROOT", root)],
    );
    outcome(&green, "greet::there", "ok")?;

    // INSTA_FORCE_PASS passes a changed snapshot (and writes it pending).
    std::fs::write(
        suites.join("greet.toml"),
        std::fs::read_to_string(suites.join("greet.toml"))
            .unwrap()
            .replace("hi {{input}}", "hello {{input}}"),
    )
    .unwrap();
    let forced = run_with(
        &suites,
        &["greet::there"],
        &[("INSTA_FORCE_PASS", "1"), ("INSTA_WORKSPACE_ROOT", root)],
    );
    outcome(&forced, "greet::there", "ok")?;
    check(
        pending.exists(),
        "forced through, still pending for review",
        &forced,
    )
}

/// EVALGATE_BASELINE: regression tests against an earlier run, as `evalgate run --baseline`
/// makes them (the compare fixtures: the head sentiment suite regresses significantly).
fn a_baseline_adds_regression_tests() -> Result<(), Failed> {
    let compare = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare");
    let dir = tempfile::tempdir()?;
    let base = dir.path().join("base.json");
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("run")
        .arg(compare.join("base"))
        .arg("--out")
        .arg(&base)
        .output()?;
    let base = base.to_str().unwrap();
    let head = compare.join("head");

    let listed = run_with(&head, &["--list"], &[("EVALGATE_BASELINE", base)]);
    contains(&listed, "sentiment::regression::accuracy: test")?;
    contains(&listed, "french::regression::chrf: test")?;
    let without = run_with(&head, &["--list"], &[]);
    check(
        !without.stdout.contains("::regression::"),
        "no baseline, no regression tests",
        &without,
    )?;

    let regressed = run_with(
        &head,
        &["--exact", "sentiment::regression::accuracy"],
        &[("EVALGATE_BASELINE", base)],
    );
    check(
        regressed.code == Some(101),
        "the regression fails the test",
        &regressed,
    )?;
    contains(
        &regressed,
        "accuracy regressed against the baseline: 0.9667 → 0.6897; 10 of 30 cases went right → wrong",
    )?;
    contains(
        &regressed,
        &format!("rerun:    EVALGATE_BASELINE={base} cargo test"),
    )?;
    let held = run_with(
        &head,
        &["--exact", "tone::regression::accuracy"],
        &[("EVALGATE_BASELINE", base)],
    );
    check(held.code == Some(0), "no significant change passes", &held)?;

    let missing = run_with(
        &head,
        &["--exact", "evalgate::baseline"],
        &[("EVALGATE_BASELINE", "missing.json")],
    );
    check(
        missing.code == Some(101),
        "a missing baseline is a failing test",
        &missing,
    )?;
    contains(&missing, "EVALGATE_BASELINE: cannot read missing.json")
}

/// EVALGATE_RESULTS: the harness writes the results of what ran, as `evalgate run` does, for
/// the reports and the GitHub Action.
fn evalgate_results_gets_what_ran() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("results.json");
    let shown = path.to_str().unwrap();
    let run = run_with(
        &fixture_dir("basic"),
        &["mood::", "--test-threads", "2"],
        &[("EVALGATE_RESULTS", shown)],
    );
    let results = evalgate::results::RunResults::read(&path)?;
    let mood = results.suites.iter().find(|s| s.name == "mood");
    let Some(mood) = mood else {
        return check(false, "results.json has the mood suite", &run);
    };
    let cases: Vec<(&str, &str)> = mood
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.verdict.as_str()))
        .collect();
    check(
        cases == [("happy", "pass"), ("sad", "pass"), ("unsure", "fail")],
        &format!("the cases that ran, with their verdicts: {cases:?}"),
        &run,
    )?;
    check(mood.floors.len() == 3, "the floors that ran", &run)?;
    check(
        results.suites.len() == 1,
        "suites that did not run are left out",
        &run,
    )?;

    // One case alone: only it.
    let one = run_with(
        &fixture_dir("basic"),
        &["--exact", "mood::happy"],
        &[("EVALGATE_RESULTS", shown)],
    );
    let results = evalgate::results::RunResults::read(&path)?;
    check(
        results.suites[0].cases.len() == 1 && results.suites[0].floors.is_empty(),
        "only the case that ran",
        &one,
    )
}
