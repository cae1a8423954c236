//! End to end against a live LLM: SmolLM2-135M-Instruct served by models/serve_llm.py behind
//! its OpenAI-compatible API. `.ci/run` installs the model, starts the server and runs this test
//! with `--ignored` and `EVALGATE_LIVE_BASE_URL` set; it records the model's answers into a
//! fresh cassette, then replays them with the server out of reach.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, mode: &str) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", "suite.toml", "--out", "results.json"])
        .current_dir(dir)
        .env("EVALGATE_CASSETTE", mode)
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{mode}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

fn write_suite(dir: &Path, base_url: &str) {
    let suite = format!(
        r#"name = "live"
task = "classify"
labels = ["negative", "neutral", "positive"]
label_pattern = '(?i)\b(negative|neutral|positive)\b'
fail_on = ["floor"]

[model]
provider = "openai"
model = "smollm2-135m-instruct"
base_url = "{base_url}"
temperature = 0
max_tokens = 8
timeout_s = 60
cassette = "cassette.jsonl"
prompt = """Classify the sentiment of this text as negative, neutral or positive.
Answer with one word.

{{{{input}}}}"""

[floors]
error_rate = {{ max = 0 }}

[[case]]
id = "loved"
input = "I loved this movie, it was wonderful!"
expected = "positive"

[[case]]
id = "awful"
input = "This was an awful, miserable experience."
expected = "negative"

[[case]]
id = "bus"
input = "The bus leaves at nine."
expected = "neutral"
"#
    );
    std::fs::write(dir.join("suite.toml"), suite).unwrap();
}

#[test]
#[ignore = "needs a live LLM: .ci/run starts models/serve_llm.py and sets EVALGATE_LIVE_BASE_URL"]
fn record_from_a_live_llm_then_replay_offline() {
    let base_url = std::env::var("EVALGATE_LIVE_BASE_URL")
        .expect("EVALGATE_LIVE_BASE_URL names the server models/serve_llm.py started");
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), &base_url);
    let live = run(dir.path(), "record");
    let live_cases = live["suites"][0]["cases"].as_array().unwrap().clone();
    for case in &live_cases {
        assert_ne!(case["verdict"], "error", "{case}");
        assert!(!case["output"].as_str().unwrap().is_empty(), "{case}");
        assert_eq!(case["attempts"], 1, "{case}");
        assert!(
            case["usage"]["total_tokens"].as_u64().unwrap() > 0,
            "{case}"
        );
        assert!(case["finish_reason"].is_string(), "{case}");
        assert!(case["system_fingerprint"].is_string(), "{case}");
        assert!(case["latency_ms"].as_f64().unwrap() > 0.0);
    }
    let recorded = std::fs::read_to_string(dir.path().join("cassette.jsonl")).unwrap();
    assert_eq!(recorded.lines().count(), 3);

    // The server out of reach: every answer comes from the cassette, unchanged.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    write_suite(dir.path(), &format!("http://{closed}/v1"));
    let replayed = run(dir.path(), "replay");
    let replayed_cases = replayed["suites"][0]["cases"].as_array().unwrap();
    for (live, replayed) in live_cases.iter().zip(replayed_cases) {
        assert_eq!(replayed["output"], live["output"]);
        assert_eq!(replayed["predicted"], live["predicted"]);
        assert_eq!(replayed["usage"], live["usage"]);
        assert_eq!(replayed["replayed"], true);
    }
    let quality = |results: &Value| -> Vec<(String, Value)> {
        let metrics = results["suites"][0]["metrics"].as_object().unwrap();
        metrics
            .iter()
            .filter(|(name, _)| !name.starts_with("latency_"))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    };
    assert_eq!(
        quality(&replayed),
        quality(&live),
        "the same metrics, latency aside"
    );
}
