//! The `evalgate` binary on fixture suites whose models are real child processes
//! (tests/fixtures/models/scripted.py): exit codes, the terminal summary, results.json, filters,
//! and every way a model process can fail.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The results file, if the run wrote one.
    results: Option<Value>,
    /// "<pid> <case id>" per model call, in call order.
    calls: Vec<String>,
    /// What the run left in its scratch folder.
    dir: tempfile::TempDir,
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/cli/{name}")
}

fn evalgate(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let log = dir.path().join("calls.log");
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if args.first() == Some(&"run") && !args.contains(&"--out") {
        all.extend(["--out".to_string(), out.display().to_string()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(&all)
        .env("EVALGATE_TEST_LOG", &log)
        .output()
        .unwrap();
    let results = std::fs::read_to_string(&out)
        .ok()
        .map(|text| serde_json::from_str(&text).unwrap());
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        results,
        calls,
        dir,
    }
}

impl Run {
    fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- calls {:?}",
            self.code, self.stdout, self.stderr, self.calls
        )
    }

    fn suite(&self, name: &str) -> &Value {
        let suites = self.results.as_ref().expect("results.json was written")["suites"]
            .as_array()
            .unwrap();
        suites
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no suite {name}\n{}", self.show()))
    }

    fn case(&self, suite: &str, id: &str) -> &Value {
        let cases = self.suite(suite)["cases"].as_array().unwrap();
        cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}\n{}", self.show()))
    }
}

#[test]
fn passing_suite_exits_0_and_writes_results() {
    let run = evalgate(&["run", &fixture("labels.toml")]);
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert!(run.stdout.contains("labels · classify · tests/fixtures/cli/labels.toml · command: python3 ../models/scripted.py"), "{}", run.show());
    assert!(
        run.stdout
            .contains("  cases  3 passed, 0 failed, 0 errored\n"),
        "{}",
        run.show()
    );
    assert!(run.stdout.contains("  floor  accuracy"), "{}", run.show());
    assert!(
        run.stdout
            .contains("result: ok. 5 passed; 0 failed; 0 errored; 0 ignored"),
        "{}",
        run.show()
    );

    let results = run.results.as_ref().unwrap();
    assert_eq!(results["schema_version"], 1);
    assert_eq!(results["evalgate_version"], env!("CARGO_PKG_VERSION"));
    assert!(results["started_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(results["totals"]["passed"], 5);
    let suite = run.suite("labels");
    assert_eq!(suite["task"], "classify");
    assert_eq!(suite["metrics"]["accuracy"], 1.0);
    assert_eq!(suite["metrics"]["recall.neutral"], 1.0);
    assert_eq!(suite["metrics"]["error_rate"], 0.0);
    assert_eq!(
        suite["confusion_matrix"]["predicted"],
        serde_json::json!(["negative", "neutral", "positive", "<invalid>"])
    );
    assert_eq!(
        suite["confusion_matrix"]["counts"],
        serde_json::json!([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    );
    assert_eq!(suite["floors"][0]["metric"], "accuracy");
    assert_eq!(suite["floors"][0]["verdict"], "pass");
    assert_eq!(suite["floors"][0]["line"], 11);

    let inline = run.case("labels", "inline");
    assert_eq!(inline["output"], "Neutral.");
    assert_eq!(inline["predicted"], "neutral");
    assert_eq!(inline["verdict"], "pass");
    assert_eq!(inline["tags"], serde_json::json!(["inline"]));
    let csv = run.case("labels", "pos");
    assert_eq!(csv["file"], "tests/fixtures/cli/labels.csv");
    assert_eq!(csv["line"], 2);
    assert_eq!(csv["tags"], serde_json::json!(["short", "happy"]));
    assert_eq!(csv["vars"], serde_json::json!({"source": "csv"}));
    assert!(csv["latency_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn results_go_to_target_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("labels.toml"));
    let status = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", suite.to_str().unwrap()])
        .current_dir(dir.path())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let written = dir.path().join("target/evalgate/results.json");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(written).unwrap()).unwrap();
    assert_eq!(results["suites"][0]["name"], "labels");
}

#[test]
fn broken_floor_exits_1_with_its_offenders() {
    let run = evalgate(&["run", &fixture("weak.toml")]);
    assert_eq!(run.code, Some(1), "{}", run.show());
    assert!(
        run.stdout.contains(
            "---- weak::floor::accuracy ----\naccuracy = 0.3333, which breaks its floor ≥ 0.9\n"
        ),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("  weak::wrong  expected negative, predicted positive  \"label:positive\""),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("  weak::invalid  expected negative, predicted <invalid>"),
        "{}",
        run.show()
    );
    assert!(run.stdout.contains("rerun:    evalgate run tests/fixtures/cli/weak.toml --exact --filter weak::floor::accuracy"), "{}", run.show());
    // fail_on = ["floor"]: the wrong cases are reported, not gating.
    assert!(
        !run.stdout.contains("---- weak::wrong ----"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("2 failed without gating (fail_on = [\"floor\"])"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("result: FAILED. 1 passed; 1 failed; 0 errored; 0 ignored; 2 not gating"),
        "{}",
        run.show()
    );
    let invalid = run.case("weak", "invalid");
    assert_eq!(invalid["predicted"], "<invalid>");
    assert_eq!(invalid["verdict"], "fail");
    assert_eq!(invalid["gating"], false);
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .contains("<invalid> (the output names none of: negative, positive)")
    );
    assert_eq!(
        run.suite("weak")["confusion_matrix"]["counts"],
        serde_json::json!([[0, 1, 1], [0, 1, 0]])
    );
}

#[test]
fn exact_filter_runs_one_case_and_calls_its_model_once() {
    let run = evalgate(&[
        "run",
        &fixture("faults.toml"),
        "--exact",
        "--filter",
        "faults::a-fine",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.calls.len(), 1, "{}", run.show());
    assert!(run.calls[0].ends_with(" a-fine"));
    let cases = run.suite("faults")["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1);
}

#[test]
fn list_prints_test_names() {
    let run = evalgate(&["list", &fixture("weak.toml"), &fixture("labels.toml")]);
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(
        run.stdout,
        "labels::floor::accuracy\nlabels::floor::latency_max_ms\nlabels::inline\nlabels::neg\nlabels::pos\n\
         weak::floor::accuracy\nweak::invalid\nweak::right\nweak::wrong\n"
    );
    assert!(run.calls.is_empty(), "listing calls no model");
    let filtered = evalgate(&["list", &fixture("weak.toml"), "-f", "floor"]);
    assert_eq!(filtered.stdout, "weak::floor::accuracy\n");
}

#[test]
fn crashes_timeouts_and_garbage_fail_only_their_case() {
    let run = evalgate(&["run", &fixture("faults.toml")]);
    assert_eq!(run.code, Some(1), "{}", run.show());
    let verdict = |id: &str| {
        run.case("faults", id)["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let error = |id: &str| {
        run.case("faults", id)["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    for id in ["a-fine", "c-after-crash", "g-noisy"] {
        assert_eq!(verdict(id), "pass", "{id}\n{}", run.show());
    }
    for id in ["b-crash", "d-hang", "e-garbage", "f-refuse"] {
        assert_eq!(verdict(id), "error", "{id}\n{}", run.show());
    }
    assert!(
        error("b-crash").starts_with("the model process exited before answering (exit status 3)"),
        "{}",
        error("b-crash")
    );
    assert!(
        error("b-crash").contains("  | boom: crashing on purpose"),
        "stderr is kept: {}",
        error("b-crash")
    );
    assert!(
        error("d-hang").starts_with("the model process gave no answer within 1 s (timeout_s)"),
        "{}",
        error("d-hang")
    );
    assert!(
        error("e-garbage").contains("a line that is not a response: \"this is not json\""),
        "{}",
        error("e-garbage")
    );
    assert_eq!(
        error("f-refuse"),
        "the model reported an error: model refused"
    );
    assert_eq!(run.case("faults", "g-noisy")["output"], "noisy");

    // One process at a time: a crash, a timeout and garbage each cost the process, and the next
    // case starts a fresh one; a reported error does not.
    let pids: Vec<&str> = run
        .calls
        .iter()
        .map(|c| c.split(' ').next().unwrap())
        .collect();
    let ids: Vec<&str> = run
        .calls
        .iter()
        .map(|c| c.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "a-fine",
            "b-crash",
            "c-after-crash",
            "d-hang",
            "e-garbage",
            "f-refuse",
            "g-noisy"
        ]
    );
    assert_eq!(pids[0], pids[1]);
    assert_ne!(pids[1], pids[2], "restarted after the crash");
    assert_eq!(pids[2], pids[3]);
    assert_ne!(pids[3], pids[4], "restarted after the timeout");
    assert_ne!(pids[4], pids[5], "restarted after garbage");
    assert_eq!(pids[5], pids[6], "a reported error keeps the process");
    assert!(
        run.stdout
            .contains("result: FAILED. 3 passed; 0 failed; 4 errored"),
        "{}",
        run.show()
    );
}

#[test]
fn once_protocol_runs_a_process_per_case() {
    let run = evalgate(&["run", &fixture("once.toml")]);
    assert_eq!(run.code, Some(1), "{}", run.show());
    assert_eq!(
        run.case("once", "fine")["verdict"],
        "pass",
        "{}",
        run.show()
    );
    assert_eq!(run.case("once", "fine")["output"], "hello");
    let refuse = run.case("once", "refuse")["error"].as_str().unwrap();
    assert!(
        refuse.starts_with("the model process failed: exit status 1"),
        "{refuse}"
    );
    assert!(refuse.contains("  | model refused"), "{refuse}");
    let hang = run.case("once", "hang")["error"].as_str().unwrap();
    assert!(
        hang.starts_with("the model process gave no answer within 1 s"),
        "{hang}"
    );
    let pids: std::collections::BTreeSet<&str> = run
        .calls
        .iter()
        .map(|c| c.split(' ').next().unwrap())
        .collect();
    assert_eq!(pids.len(), 3, "a process per case: {:?}", run.calls);
    assert!(
        run.calls.iter().any(|c| c.ends_with(" fine")),
        "EVALGATE_CASE names the case: {:?}",
        run.calls
    );
}

#[test]
fn bad_suites_exit_2_with_every_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "task = \"generate\"\nfoo = 1\n[model]\nprovider = \"command\"\ncommand = [\"python3\"]\n[[case]]\ninput = \"x\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "task = [\n").unwrap();
    let run = evalgate(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(
        run.stderr
            .contains("error: unknown key `foo` in a suite file"),
        "{}",
        run.show()
    );
    assert!(run.stderr.contains("a.toml:2:1"), "{}", run.show());
    assert!(
        run.stderr.contains("error: TOML syntax error"),
        "{}",
        run.show()
    );
    assert!(run.stderr.contains("b.toml:"), "{}", run.show());
    assert!(run.stderr.ends_with("2 problems found\n"), "{}", run.show());
    assert!(run.results.is_none(), "no results.json for bad input");
    assert!(run.stdout.is_empty(), "{}", run.show());
    assert!(run.calls.is_empty(), "no model was called");
    assert_eq!(
        std::fs::read_dir(run.dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn fn_provider_needs_the_harness() {
    let run = evalgate(&["run", &fixture("uses-fn.toml")]);
    assert_eq!(run.code, Some(2), "{}", run.show());
    assert!(run.stderr.contains("provider `fn` runs a Rust closure registered on evalgate::Harness, which exists only under `cargo test`"), "{}", run.show());
    assert!(run.stderr.contains("uses-fn.toml:4:12"), "{}", run.show());
}

#[test]
fn usage_errors_exit_2() {
    let missing = evalgate(&["run", "no/such/suites"]);
    assert_eq!(missing.code, Some(2), "{}", missing.show());
    assert!(
        missing
            .stderr
            .contains("error: no such file or folder: no/such/suites"),
        "{}",
        missing.show()
    );

    let flag = evalgate(&["run", "--no-such-flag"]);
    assert_eq!(flag.code, Some(2), "{}", flag.show());
    assert!(flag.stderr.contains("--no-such-flag"), "{}", flag.show());

    let nothing = evalgate(&["run", &fixture("weak.toml"), "-f", "nothing-matches-this"]);
    assert_eq!(nothing.code, Some(2), "{}", nothing.show());
    assert!(
        nothing
            .stderr
            .contains("error: no test matches the filters"),
        "{}",
        nothing.show()
    );

    let unwritable = evalgate(&[
        "run",
        &fixture("labels.toml"),
        "--out",
        "/proc/evalgate/results.json",
    ]);
    assert_eq!(unwritable.code, Some(2), "{}", unwritable.show());
    assert!(
        unwritable
            .stderr
            .contains("error: cannot write results to /proc/evalgate/results.json"),
        "{}",
        unwritable.show()
    );
    // Checked before any model runs: nothing is printed and no model is called.
    assert!(unwritable.stdout.is_empty(), "{}", unwritable.show());
    assert!(unwritable.calls.is_empty(), "{}", unwritable.show());

    let folder = tempfile::tempdir().unwrap();
    let into_folder = evalgate(&[
        "run",
        &fixture("labels.toml"),
        "--out",
        folder.path().to_str().unwrap(),
    ]);
    assert_eq!(into_folder.code, Some(2), "{}", into_folder.show());
    assert!(
        into_folder.stderr.contains(": it is a folder"),
        "{}",
        into_folder.show()
    );
    assert!(into_folder.calls.is_empty(), "{}", into_folder.show());
}

#[test]
fn default_paths_read_suites_folder() {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir(&suites).unwrap();
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/scripted.py");
    std::fs::write(
        suites.join("one.toml"),
        format!("task = \"generate\"\nsnapshot = false\n[model]\nprovider = \"command\"\ncommand = [{:?}]\n[[case]]\nid = \"x\"\ninput = \"hi\"\nequals = \"hi\"\n", model.display().to_string()),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("list")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "one::x\n");
}

#[test]
fn a_model_that_stops_reading_times_out_instead_of_hanging() {
    // A request larger than a pipe's buffer to a process that never reads its stdin.
    for protocol in ["lines", "once"] {
        let dir = tempfile::tempdir().unwrap();
        let model =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/scripted.py");
        let input = "x".repeat(200_000);
        std::fs::write(
            dir.path().join("deaf.toml"),
            format!(
                "task = \"generate\"\nsnapshot = false\n[model]\nprovider = \"command\"\ncommand = [{:?}, \"deaf\"]\n\
                 protocol = \"{protocol}\"\ntimeout_s = 0.5\n[[case]]\nid = \"big\"\ninput = \"{input}\"\n",
                model.display().to_string()
            ),
        )
        .unwrap();
        let run = evalgate(&["run", dir.path().join("deaf.toml").to_str().unwrap()]);
        assert_eq!(run.code, Some(1), "{protocol}: {}", run.show());
        let error = run.case("deaf", "big")["error"].as_str().unwrap();
        assert!(
            error.starts_with("the model process gave no answer within 0.5 s"),
            "{protocol}: {error}"
        );
    }
}

#[test]
fn a_suite_named_by_bare_file_name_runs_in_its_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli");
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", "labels.toml", "--out"])
        .arg(scratch.path().join("results.json"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("result: ok. 5 passed"), "{stdout}");
}

#[test]
fn a_failed_model_call_gates_even_when_wrong_answers_do_not() {
    let run = evalgate(&["run", &fixture("errors-gate.toml")]);
    assert_eq!(run.code, Some(1), "{}", run.show());
    let refused = run.case("errors-gate", "refused");
    assert_eq!(refused["verdict"], "error");
    assert_eq!(refused["gating"], true);
    assert!(run.stdout.contains("---- errors-gate::refused ----\nthe model call failed: the model reported an error: model refused"), "{}", run.show());
    assert!(
        run.stdout
            .contains("result: FAILED. 2 passed; 0 failed; 1 errored"),
        "{}",
        run.show()
    );
}

#[test]
fn answers_out_of_step_are_never_taken_for_another_case() {
    let run = evalgate(&["run", &fixture("twice.toml")]);
    for id in ["one", "two", "three", "four"] {
        let case = run.case("twice", id);
        match case["verdict"].as_str().unwrap() {
            "pass" => assert_eq!(case["output"], id, "{}", run.show()),
            "error" => assert!(
                case["error"]
                    .as_str()
                    .unwrap()
                    .contains("its answers are out of step"),
                "{}",
                run.show()
            ),
            other => panic!("{id}: {other}\n{}", run.show()),
        }
    }
    assert_eq!(run.case("twice", "one")["verdict"], "pass");
}

#[test]
fn a_timeout_kills_what_the_model_started() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("grandchild.pid");
    std::fs::write(
        dir.path().join("spawner.toml"),
        "task = \"generate\"\nsnapshot = false\n[model]\nprovider = \"command\"\nprotocol = \"once\"\ntimeout_s = 0.5\n\
         command = [\"sh\", \"-c\", \"sleep 30 & echo $! > grandchild.pid; wait\"]\n\
         [[case]]\nid = \"spawns\"\ninput = \"x\"\n",
    )
    .unwrap();
    let run = evalgate(&["run", dir.path().join("spawner.toml").to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.show());
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    // The grandchild, reparented when its shell died, must be gone (or at most a zombie).
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let running = state.split_whitespace().nth(2).is_some_and(|s| s != "Z");
    assert!(!running, "the model's own child {pid} still runs: {state}");
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["list", &fixture("labels.toml")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_suite_named_twice_is_loaded_once() {
    let run = evalgate(&[
        "list",
        &fixture("weak.toml"),
        &fixture("weak.toml"),
        "tests/fixtures/cli/./weak.toml",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.show());
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.show());
}
