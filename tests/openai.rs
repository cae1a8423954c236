//! The `openai` provider against a fault-injecting OpenAI-compatible server on 127.0.0.1
//! (tests/support/openai_server.rs), through the `evalgate` binary: retries, Retry-After,
//! timeouts, resets, garbage, failing fast on 4xx, bounded concurrency, the request it sends,
//! and an API key that never appears in anything the run writes.

#[path = "support/deadline.rs"]
mod deadline;
#[path = "support/openai_server.rs"]
mod openai_server;

use openai_server::Server;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CANARY: &str = "sk-canary-3f9d2a7c1b";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    results: Value,
}

impl Run {
    fn case(&self, id: &str) -> &Value {
        let cases = self.results["suites"][0]["cases"].as_array().unwrap();
        cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}: {}", self.stdout))
    }
}

fn suite(dir: &Path, model: &str, cases: &[(&str, &str, Option<&str>)]) {
    let mut text = format!(
        "task = \"generate\"\nsnapshot = false\n[model]\n{model}\nprompt = \"{{{{input}}}}\"\n"
    );
    for (id, input, equals) in cases {
        text.push_str(&format!("[[case]]\nid = \"{id}\"\ninput = \"{input}\"\n"));
        if let Some(equals) = equals {
            text.push_str(&format!("equals = \"{equals}\"\n"));
        }
    }
    std::fs::write(dir.join("suite.toml"), text).unwrap();
}

fn run(dir: &Path, key: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
    command
        .args(["run", "suite.toml", "--out", "results.json"])
        .current_dir(dir)
        .env("EVALGATE_CASSETTE", "off")
        .env_remove("OPENAI_BASE_URL");
    match key {
        Some(key) => command.env("OPENAI_API_KEY", key),
        None => command.env_remove("OPENAI_API_KEY"),
    };
    // Every fault here ends within its timeouts and retries: a run that takes longer hangs.
    let output = deadline::output_within(&mut command, Duration::from_secs(60));
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap_or_else(|_| {
        panic!(
            "no results.json: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        results: serde_json::from_str(&results).unwrap(),
    }
}

/// `[model]` for the test server: 2 retries, a short backoff, a 1 s timeout unless `extra` sets
/// its own.
fn model(server: &Server, extra: &str) -> String {
    let timeout = if extra.contains("timeout_s") {
        ""
    } else {
        "timeout_s = 1\n"
    };
    format!(
        "provider = \"openai\"\nmodel = \"test-model\"\nbase_url = \"{}\"\nretries = 2\nbackoff_s = 0.01\n{timeout}{extra}",
        server.base_url()
    )
}

#[test]
fn every_fault_ends_as_pass_fail_or_error_with_its_cause() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("plain", "ok hello", Some("hello")),
        ("wrong", "ok goodbye", Some("hello")),
        ("rate-limited", "429 then ok", Some("recovered")),
        ("server-error", "500 twice", Some("recovered")),
        ("overloaded", "503 always", None),
        ("reset", "reset once", Some("recovered")),
        ("hung", "hang once", Some("recovered")),
        ("truncated", "truncate once", Some("recovered")),
        ("garbage", "invalid always", None),
        ("slow", "slow", Some("slow")),
        ("unauthorized", "401", None),
        ("bad-request", "400", None),
        ("asks-too-long", "429 for 120", None),
        ("echoes-key", "echo auth", None),
        ("long-401", "401 long", None),
        ("bad-utf8", "bad utf8", None),
        ("odd-usage", "odd usage", None),
    ];
    suite(dir.path(), &model(&server, "concurrency = 4"), &cases);
    let run = run(dir.path(), Some(CANARY));
    assert_eq!(run.code, Some(1), "{}", run.stdout);

    let verdict = |id: &str| run.case(id)["verdict"].as_str().unwrap().to_string();
    let attempts = |id: &str| run.case(id)["attempts"].as_u64().unwrap();
    let error = |id: &str| {
        run.case(id)["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for (id, expected_attempts) in [
        ("plain", 1),
        ("rate-limited", 2),
        ("server-error", 3),
        ("reset", 2),
        ("hung", 2),
        ("truncated", 2),
        ("slow", 1),
    ] {
        assert_eq!(verdict(id), "pass", "{id}: {}", run.case(id));
        assert_eq!(attempts(id), expected_attempts, "{id}: retries are counted");
    }
    assert_eq!(
        verdict("wrong"),
        "fail",
        "a wrong answer is a failure, not an error"
    );
    assert_eq!(run.case("wrong")["output"], "goodbye");

    assert_eq!(verdict("overloaded"), "error");
    assert_eq!(attempts("overloaded"), 3);
    assert_eq!(
        error("overloaded"),
        "the server answered 503: The engine is currently overloaded (after 3 attempts)"
    );
    assert_eq!(verdict("garbage"), "error");
    assert_eq!(attempts("garbage"), 3);
    assert!(
        error("garbage").starts_with("the server's answer is not a chat completion"),
        "{}",
        error("garbage")
    );

    // Other 4xx fail at once, with the server's message and without the key.
    assert_eq!(attempts("unauthorized"), 1);
    assert_eq!(
        error("unauthorized"),
        "the server answered 401: Incorrect API key provided: [API key redacted]."
    );
    assert_eq!(attempts("bad-request"), 1);
    assert_eq!(
        error("bad-request"),
        "the server answered 400: max_tokens is too large"
    );
    assert_eq!(attempts("asks-too-long"), 1);
    assert!(
        error("asks-too-long")
            .ends_with("it asked to retry after 120 s, longer than evalgate waits (60 s)"),
        "{}",
        error("asks-too-long")
    );

    // The key is struck from what the server sends back before anything is cut or kept.
    assert_eq!(
        run.case("echoes-key")["output"],
        "Bearer [API key redacted]"
    );
    assert_eq!(attempts("long-401"), 1);
    assert!(
        error("long-401").ends_with("x [API key redacted]"),
        "{}",
        error("long-401")
    );
    // Odd but usable answers are answers.
    assert_eq!(run.case("bad-utf8")["output"], "caf\u{fffd}\u{fffd}");
    assert_eq!(
        run.case("odd-usage")["usage"],
        serde_json::json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
    );

    assert_eq!(server.count("503 always"), 3);
    assert_eq!(server.count("401"), 1);
    for id in ["plain", "slow"] {
        let case = run.case(id);
        assert_eq!(case["usage"]["total_tokens"], 13);
        assert_eq!(case["finish_reason"], "stop");
        assert_eq!(case["system_fingerprint"], "fp_test");
    }
    let suite = &run.results["suites"][0];
    assert!(suite["metrics"]["tokens_total"].as_f64().unwrap() >= 13.0 * 8.0);
    assert_eq!(suite["model"]["provider"], "openai");
    assert_eq!(suite["model"]["identity"], "test-model");

    // The key went to the server and nowhere else.
    assert!(
        server
            .served()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {CANARY}")))
    );
    let written = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
    for (what, text) in [
        ("results.json", &written),
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
    ] {
        assert!(!text.contains(CANARY), "the API key leaked into {what}");
    }
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    suite(
        dir.path(),
        &model(&server, "timeout_s = 5"),
        &[("dated", "429 date", Some("recovered"))],
    );
    let run = run(dir.path(), None);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let served = server.served();
    assert_eq!(served.len(), 2);
    let waited = served[1].at - served[0].at;
    // The date is two seconds ahead at one-second resolution: the wait is between 1 and 2 s.
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}, before the date"
    );
    assert!(waited < Duration::from_secs(3), "retried after {waited:?}");
}

#[test]
fn the_request_carries_the_model_parameters() {
    let server = Server::start(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let extra = "system = \"You are terse.\"\ntemperature = 0.2\nmax_tokens = 16\nseed = 7";
    suite(
        dir.path(),
        &model(&server, extra),
        &[("one", "ok yes", Some("yes"))],
    );
    let run = run(dir.path(), None);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let served = server.served();
    let body = &served[0].body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 16);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["stream"], false);
    assert_eq!(
        body["messages"],
        serde_json::json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "ok yes"},
        ])
    );
    assert_eq!(
        served[0].authorization, None,
        "no key, no Authorization header (local servers)"
    );
}

#[test]
fn concurrency_is_bounded_per_provider() {
    let server = Server::start(Duration::from_millis(100));
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, String)> = (0..12)
        .map(|i| (format!("c{i}"), format!("ok {i}")))
        .collect();
    let cases: Vec<(&str, &str, Option<&str>)> = cases
        .iter()
        .map(|(id, input)| (id.as_str(), input.as_str(), None))
        .collect();
    suite(dir.path(), &model(&server, "concurrency = 3"), &cases);
    let run = run(dir.path(), None);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(
        server.most_in_flight(),
        3,
        "at most `concurrency` requests at once, and that many used"
    );
}

#[test]
fn a_server_that_is_not_there_is_an_error_after_retries() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let model = format!(
        "provider = \"openai\"\nmodel = \"m\"\nbase_url = \"http://{closed}/v1\"\nretries = 1\nbackoff_s = 0.01"
    );
    suite(dir.path(), &model, &[("nobody", "ok hi", None)]);
    let run = run(dir.path(), None);
    assert_eq!(run.code, Some(1));
    let case = run.case("nobody");
    assert_eq!(case["verdict"], "error");
    assert_eq!(case["attempts"], 2);
    let error = case["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "connection to http://{closed}/v1/chat/completions failed"
        )),
        "{error}"
    );
}
