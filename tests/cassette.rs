//! Cassettes through the `evalgate` binary: recording, replaying offline, the modes and their
//! defaults, replay misses, pruning, many processes recording into one cassette, SIGKILL in the
//! middle of a recording, and an API key that never reaches a file.

#[path = "support/deadline.rs"]
mod deadline;
#[path = "support/openai_server.rs"]
mod openai_server;

use openai_server::Server;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const CANARY: &str = "sk-canary-8e41b05d77";

/// A suite on the test server (or, with `None`, on a port where nobody listens) with a cassette.
fn write_suite(dir: &Path, base_url: Option<&str>, inputs: &[&str]) {
    let base_url = base_url.map_or_else(|| format!("http://{}/v1", closed_port()), String::from);
    let mut text = format!(
        "name = \"s\"\ntask = \"generate\"\nsnapshot = false\n[model]\nprovider = \"openai\"\nmodel = \"test-model\"\n\
         base_url = \"{base_url}\"\nretries = 0\ntimeout_s = 5\nconcurrency = 4\n\
         cassette = \"cassettes/s.jsonl\"\nprompt = \"{{{{input}}}}\"\n"
    );
    for (i, input) in inputs.iter().enumerate() {
        text.push_str(&format!(
            "[[case]]\nid = \"c{i}\"\ninput = \"ok {input}\"\nequals = \"{input}\"\n"
        ));
    }
    std::fs::write(dir.join("suite.toml"), text).unwrap();
}

fn closed_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn evalgate(dir: &Path, mode: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
    command
        .args(args)
        .current_dir(dir)
        .env("OPENAI_API_KEY", CANARY)
        .env_remove("CI");
    match mode {
        Some(mode) => command.env("EVALGATE_CASSETTE", mode),
        None => command.env_remove("EVALGATE_CASSETTE"),
    };
    command
}

struct Run {
    output: Output,
    results: Option<Value>,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn cases(&self) -> Vec<Value> {
        self.results.as_ref().expect("results")["suites"][0]["cases"]
            .as_array()
            .unwrap()
            .clone()
    }
    fn case(&self, id: &str) -> Value {
        self.cases().into_iter().find(|c| c["id"] == id).unwrap()
    }
}

fn run(dir: &Path, mode: Option<&str>, extra: &[&str]) -> Run {
    let mut args = vec!["run", "suite.toml", "--out", "results.json"];
    args.extend(extra);
    let _ = std::fs::remove_file(dir.join("results.json"));
    let output = deadline::output_within(&mut evalgate(dir, mode, &args), Duration::from_secs(60));
    let results = std::fs::read_to_string(dir.join("results.json"))
        .ok()
        .map(|text| serde_json::from_str(&text).unwrap());
    Run { output, results }
}

fn cassette(dir: &Path) -> PathBuf {
    dir.join("cassettes/s.jsonl")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn record_once_then_replay_offline() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["b", "a", "c"]);
    let recorded = run(dir.path(), Some("record"), &[]);
    assert_eq!(recorded.code(), Some(0), "{}", recorded.stdout());
    assert_eq!(server.served().len(), 3);
    let entries = lines(&cassette(dir.path()));
    let tests: Vec<&str> = entries
        .iter()
        .map(|e| e["test"].as_str().unwrap())
        .collect();
    assert_eq!(tests, ["s::c0", "s::c1", "s::c2"], "sorted by test");
    assert_eq!(entries[0]["output"], "b");
    assert_eq!(entries[0]["request"], serde_json::json!({"prompt": "ok b"}));
    assert_eq!(
        entries[0]["parameters"],
        serde_json::json!({"provider": "openai", "model": "test-model"})
    );
    assert_eq!(entries[0]["usage"]["total_tokens"], 13);

    // Offline: the suite now points at a port where nobody listens.
    write_suite(dir.path(), None, &["b", "a", "c"]);
    let replayed = run(dir.path(), Some("replay"), &[]);
    assert_eq!(replayed.code(), Some(0), "{}", replayed.stdout());
    for case in replayed.cases() {
        assert_eq!(case["verdict"], "pass");
        assert_eq!(case["replayed"], true);
        assert_eq!(case["attempts"], 0);
        assert_eq!(case["usage"]["total_tokens"], 13);
    }
    assert_eq!(
        replayed.results.as_ref().unwrap()["cassette_mode"],
        "replay"
    );
}

#[test]
fn rerecording_unchanged_answers_rewrites_the_same_bytes() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["x", "y", "z", "w"]);
    assert_eq!(run(dir.path(), Some("record"), &[]).code(), Some(0));
    let first = std::fs::read(cassette(dir.path())).unwrap();
    assert_eq!(run(dir.path(), Some("record"), &[]).code(), Some(0));
    assert_eq!(
        server.served().len(),
        8,
        "record calls the model every time"
    );
    assert_eq!(std::fs::read(cassette(dir.path())).unwrap(), first);
}

#[test]
fn a_replay_miss_names_the_case_and_how_to_record_it() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a"]);
    assert_eq!(run(dir.path(), Some("record"), &[]).code(), Some(0));
    write_suite(dir.path(), Some(&server.base_url()), &["a", "new"]);
    let replayed = run(dir.path(), Some("replay"), &[]);
    assert_eq!(replayed.code(), Some(1), "{}", replayed.stdout());
    assert_eq!(server.served().len(), 1, "replay never calls the model");
    assert_eq!(replayed.case("c0")["verdict"], "pass");
    let missed = replayed.case("c1");
    assert_eq!(missed["verdict"], "error");
    let message = missed["message"].as_str().unwrap();
    assert!(message.contains("no recording of this case in the cassette ./cassettes/s.jsonl (EVALGATE_CASSETTE=replay)"), "{message}");
    assert!(
        message.contains(
            "record:   EVALGATE_CASSETTE=record evalgate run suite.toml --exact --filter s::c1"
        ),
        "{message}"
    );
}

#[test]
fn auto_replays_what_it_has_and_records_the_rest() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a", "b"]);
    assert_eq!(run(dir.path(), Some("auto"), &[]).code(), Some(0));
    assert_eq!(server.served().len(), 2);
    write_suite(dir.path(), Some(&server.base_url()), &["a", "b", "c"]);
    let second = run(dir.path(), Some("auto"), &[]);
    assert_eq!(second.code(), Some(0));
    assert_eq!(
        server.served().len(),
        3,
        "only the new case called the model"
    );
    assert_eq!(second.case("c1")["replayed"], true);
    assert_eq!(second.case("c2")["replayed"], Value::Null);
    assert_eq!(lines(&cassette(dir.path())).len(), 3);
}

#[test]
fn off_ignores_cassettes_entirely() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a"]);
    assert_eq!(run(dir.path(), Some("off"), &[]).code(), Some(0));
    assert_eq!(server.served().len(), 1);
    assert!(!cassette(dir.path()).exists(), "off writes nothing");
}

#[test]
fn the_default_mode_is_replay_in_ci_and_auto_elsewhere() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a"]);
    let in_ci = evalgate(dir.path(), None, &["run", "suite.toml", "--out", "r.json"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(
        in_ci.status.code(),
        Some(1),
        "CI replays, and nothing is recorded yet"
    );
    assert_eq!(server.served().len(), 0);
    let local = run(dir.path(), None, &[]);
    assert_eq!(local.code(), Some(0));
    assert_eq!(local.results.as_ref().unwrap()["cassette_mode"], "auto");
    assert_eq!(server.served().len(), 1);
}

#[test]
fn bad_modes_and_broken_cassettes_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), None, &["a"]);
    let bad_mode = run(dir.path(), Some("sometimes"), &[]);
    assert_eq!(bad_mode.code(), Some(2));
    assert!(
        bad_mode
            .stderr()
            .contains("error: EVALGATE_CASSETTE=sometimes is not a cassette mode"),
        "{}",
        bad_mode.stderr()
    );

    std::fs::create_dir_all(dir.path().join("cassettes")).unwrap();
    std::fs::write(
        cassette(dir.path()),
        "{\"key\": \"0\", \"test\": \"s::c0\"}\n",
    )
    .unwrap();
    let broken = run(dir.path(), Some("replay"), &[]);
    assert_eq!(broken.code(), Some(2), "{}", broken.stderr());
    assert!(
        broken.stderr().contains(
            "error: line 1 of the cassette is not a recording: missing field `parameters`"
        ),
        "{}",
        broken.stderr()
    );
    assert!(
        broken.stderr().contains("cassettes/s.jsonl:1:1"),
        "{}",
        broken.stderr()
    );
    assert!(broken.results.is_none());
}

#[test]
fn prune_drops_recordings_no_case_uses() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a", "b", "c"]);
    assert_eq!(run(dir.path(), Some("record"), &[]).code(), Some(0));
    write_suite(dir.path(), Some(&server.base_url()), &["a", "c"]);
    let pruned = evalgate(dir.path(), None, &["cassette", "prune", "suite.toml"])
        .output()
        .unwrap();
    assert_eq!(pruned.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&pruned.stdout),
        "./cassettes/s.jsonl: kept 2, dropped 1\n"
    );
    let outputs: Vec<Value> = lines(&cassette(dir.path()))
        .iter()
        .map(|e| e["output"].clone())
        .collect();
    assert_eq!(outputs, ["a", "c"]);
}

#[test]
fn prune_judges_only_the_suites_it_is_given() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(suites.join("sub")).unwrap();
    // Two suites share one cassette, spelling its path differently.
    let model = |cassette: &str| {
        format!(
            "[model]\nprovider = \"openai\"\nmodel = \"m\"\nbase_url = \"{}\"\ncassette = \"{cassette}\"\nprompt = \"{{{{input}}}}\"\n",
            server.base_url()
        )
    };
    let one = |cases: &str| {
        format!(
            "name = \"one\"\ntask = \"generate\"\nsnapshot = false\n{}{cases}",
            model("cassettes/shared.jsonl")
        )
    };
    std::fs::write(
        suites.join("one.toml"),
        one("[[case]]\ninput = \"ok a\"\n[[case]]\ninput = \"ok b\"\n"),
    )
    .unwrap();
    std::fs::write(
        suites.join("sub/two.toml"),
        format!(
            "name = \"two\"\ntask = \"generate\"\nsnapshot = false\n{}[[case]]\ninput = \"ok c\"\n",
            model("../cassettes/shared.jsonl")
        ),
    )
    .unwrap();
    assert!(
        evalgate(dir.path(), Some("record"), &["run", "--out", "r.json"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let shared = suites.join("cassettes/shared.jsonl");
    assert_eq!(lines(&shared).len(), 3);

    let prune = |args: &[&str]| {
        let mut all = vec!["cassette", "prune"];
        all.extend(args);
        let output = evalgate(dir.path(), None, &all).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // Both suites, both spellings: one cassette, nothing to drop.
    assert_eq!(
        prune(&[]),
        (
            Some(0),
            "suites/cassettes/shared.jsonl: kept 3, dropped 0\n".into(),
            String::new()
        )
    );
    // One suite named: the other suite's recording is not its to judge.
    std::fs::write(suites.join("one.toml"), one("[[case]]\ninput = \"ok a\"\n")).unwrap();
    assert_eq!(
        prune(&["suites/one.toml"]).1,
        "suites/cassettes/shared.jsonl: kept 2, dropped 1\n"
    );
    let left: Vec<Value> = lines(&shared).iter().map(|e| e["output"].clone()).collect();
    assert_eq!(left, ["a", "c"]);
}

#[test]
fn prune_reads_every_cassette_before_writing_any() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Duration::ZERO);
    write_suite(dir.path(), Some(&server.base_url()), &["a", "b"]);
    assert_eq!(run(dir.path(), Some("record"), &[]).code(), Some(0));
    write_suite(dir.path(), Some(&server.base_url()), &["a"]);
    let before = std::fs::read(cassette(dir.path())).unwrap();
    // A second suite whose cassette is broken.
    std::fs::write(
        dir.path().join("other.toml"),
        "name = \"other\"\ntask = \"generate\"\nsnapshot = false\n[model]\nprovider = \"fn\"\nname = \"x\"\ncassette = \"broken.jsonl\"\n[[case]]\ninput = \"i\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.jsonl"), "garbage\n").unwrap();
    let output = evalgate(
        dir.path(),
        None,
        &["cassette", "prune", "suite.toml", "other.toml"],
    )
    .output()
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.jsonl:1:1"));
    assert_eq!(
        std::fs::read(cassette(dir.path())).unwrap(),
        before,
        "nothing pruned before every cassette was read"
    );
}

#[test]
fn a_cassette_that_cannot_be_written_stops_a_recording_before_it_starts() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a"]);
    std::fs::write(
        dir.path().join("cassettes"),
        "a file where the folder should be",
    )
    .unwrap();
    let recorded = run(dir.path(), Some("record"), &[]);
    assert_eq!(recorded.code(), Some(2), "{}", recorded.stderr());
    assert!(
        recorded
            .stderr()
            .contains("error: cannot read cassette ./cassettes/s.jsonl: Not a directory"),
        "{}",
        recorded.stderr()
    );
    assert_eq!(server.served().len(), 0, "no model was called");
    assert!(recorded.results.is_none());
}

#[test]
fn many_processes_record_into_one_cassette() {
    let server = Server::start(Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..8).map(|i| format!("answer{i}")).collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    write_suite(dir.path(), Some(&server.base_url()), &inputs);
    // One process per case, all at once, as nextest runs tests.
    let children: Vec<_> = (0..8)
        .map(|i| {
            let test = format!("s::c{i}");
            let out = format!("r{i}.json");
            evalgate(
                dir.path(),
                Some("record"),
                &["run", "suite.toml", "--exact", "-f", &test, "--out", &out],
            )
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let entries = lines(&cassette(dir.path()));
    assert_eq!(
        entries.len(),
        8,
        "every process's recording survives the others"
    );
    let replayed = run(dir.path(), Some("replay"), &[]);
    assert_eq!(replayed.code(), Some(0), "{}", replayed.stdout());
}

#[test]
fn a_recording_killed_at_any_moment_leaves_a_cassette_that_replays() {
    // 200 cases at 40 ms, 4 at a time: about 2 s of recording, saved every 200 ms. Each kill
    // lands in the middle of it, after some saves.
    let server = Server::start(Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..200).map(|i| format!("v{i}")).collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    write_suite(dir.path(), Some(&server.base_url()), &inputs);
    let mut saved = Vec::new();
    for delay in [500, 800, 1100] {
        let _ = std::fs::remove_file(cassette(dir.path()));
        let mut child = evalgate(
            dir.path(),
            Some("record"),
            &["run", "suite.toml", "--out", "r.json"],
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        assert!(
            child.try_wait().unwrap().is_none(),
            "the recording ended before the kill"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let entries = lines(&cassette(dir.path())); // every line parses
        assert!(
            !entries.is_empty() && entries.len() < 200,
            "a partial recording: {}",
            entries.len()
        );
        saved.push(entries.len());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("cassettes"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n != "s.jsonl")
            .collect();
        assert!(
            leftovers.len() <= 1,
            "at most the one temporary being written: {leftovers:?}"
        );
    }
    assert!(
        saved.windows(2).all(|w| w[0] <= w[1]),
        "later kills saved more: {saved:?}"
    );
    let before = server.served().len();
    let finished = run(dir.path(), Some("auto"), &[]);
    assert_eq!(finished.code(), Some(0), "{}", finished.stdout());
    assert_eq!(lines(&cassette(dir.path())).len(), 200);
    let replayed = finished
        .cases()
        .iter()
        .filter(|c| c["replayed"] == true)
        .count();
    assert_eq!(
        replayed,
        saved[saved.len() - 1],
        "what was saved before the kill is reused"
    );
    assert_eq!(server.served().len() - before, 200 - replayed);
}

#[test]
fn the_api_key_reaches_no_file() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), Some(&server.base_url()), &["a", "b"]);
    // And two answers that carry the key back: a server echoing the header, and an error.
    let mut suite = std::fs::read_to_string(dir.path().join("suite.toml")).unwrap();
    suite.push_str("[[case]]\nid = \"echo\"\ninput = \"echo auth\"\n[[case]]\nid = \"denied\"\ninput = \"401 long\"\n");
    std::fs::write(dir.path().join("suite.toml"), suite).unwrap();
    let recorded = run(dir.path(), Some("record"), &[]);
    assert_eq!(recorded.code(), Some(1), "the 401 fails its case");
    assert_eq!(recorded.case("echo")["output"], "Bearer [API key redacted]");
    assert_eq!(
        lines(&cassette(dir.path())).len(),
        3,
        "the echo was recorded, redacted"
    );
    assert!(
        server
            .served()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {CANARY}")))
    );
    let mut scanned = 0;
    for entry in walkdir::WalkDir::new(dir.path()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(CANARY),
                "the key is in {}",
                entry.path().display()
            );
            scanned += 1;
        }
    }
    assert!(scanned >= 3, "suite, results and cassette were scanned");
    assert!(!recorded.stdout().contains(CANARY) && !recorded.stderr().contains(CANARY));
}

#[test]
fn cassettes_work_for_command_models_too() {
    let dir = tempfile::tempdir().unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/scripted.py");
    let log = dir.path().join("calls.log");
    std::fs::write(
        dir.path().join("suite.toml"),
        format!(
            "name = \"s\"\ntask = \"generate\"\nsnapshot = false\n[model]\nprovider = \"command\"\ncommand = [{:?}]\n\
             cassette = \"cassettes/s.jsonl\"\n[[case]]\nid = \"c0\"\ninput = \"hello\"\nequals = \"hello\"\n",
            model.display().to_string()
        ),
    )
    .unwrap();
    let record = evalgate(
        dir.path(),
        Some("record"),
        &["run", "suite.toml", "--out", "r.json"],
    )
    .env("EVALGATE_TEST_LOG", &log)
    .output()
    .unwrap();
    assert!(record.status.success());
    let replay = evalgate(
        dir.path(),
        Some("replay"),
        &["run", "suite.toml", "--out", "r.json"],
    )
    .env("EVALGATE_TEST_LOG", &log)
    .output()
    .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        1,
        "replay started no process"
    );
    let entry = &lines(&cassette(dir.path()))[0];
    assert_eq!(entry["parameters"]["provider"], "command");
}
