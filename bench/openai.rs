//! Benchmarks of the `openai` provider and of cassettes, against the OpenAI-compatible test
//! server (tests/support/openai_server.rs) on 127.0.0.1. Run with `cargo bench --bench openai`.
//!
//! - 500 cases, the server taking 50 ms per answer, concurrency 16: the wall time of the whole
//!   `evalgate run` against the limit 500 × 0.05 s / 16 (target: within 1.10×).
//! - 10,000 cases replayed from a cassette: the whole run (target: under 1 s).

#[path = "../tests/support/openai_server.rs"]
mod openai_server;
#[path = "timing.rs"]
mod timing;

use openai_server::Server;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use timing::{median, time_run};

const RUNS: usize = 5;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/openai");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let slow = Server::start(Duration::from_millis(50));
    write_suite(&dir, "latency", &slow.base_url(), 500, None);
    let latency = median(RUNS, || evalgate(&dir, "latency", "off"));
    let limit = Duration::from_secs_f64(500.0 * 0.05 / 16.0);
    println!("500 cases at 50 ms, concurrency 16 (median of {RUNS}):");
    println!(
        "  {:.3} s against the limit {:.3} s: {:.3}x (target: at most 1.10x)",
        latency.as_secs_f64(),
        limit.as_secs_f64(),
        latency.as_secs_f64() / limit.as_secs_f64()
    );

    let fast = Server::start(Duration::ZERO);
    write_suite(
        &dir,
        "replay",
        &fast.base_url(),
        10_000,
        Some("replay-cassette.jsonl"),
    );
    let recording = Instant::now();
    evalgate(&dir, "replay", "record");
    println!(
        "10,000 cases recorded in {:.2} s",
        recording.elapsed().as_secs_f64()
    );
    let replay = median(RUNS, || evalgate(&dir, "replay", "replay"));
    println!("10,000 cases replayed from a cassette (median of {RUNS}):");
    println!("  {:.3} s (target: under 1 s)", replay.as_secs_f64());
}

/// A generate suite of `cases` cases on the test server, concurrency 16.
fn write_suite(dir: &Path, name: &str, base_url: &str, cases: usize, cassette: Option<&str>) {
    let mut rows = String::new();
    for i in 0..cases {
        rows.push_str(&format!(
            "{{\"id\": \"c{i}\", \"input\": \"ok answer {i}\"}}\n"
        ));
    }
    std::fs::write(dir.join(format!("{name}.jsonl")), rows).unwrap();
    let cassette = cassette.map_or(String::new(), |c| format!("cassette = \"{c}\"\n"));
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!(
            "task = \"generate\"\ncases_file = \"{name}.jsonl\"\nsnapshot = false\n[model]\nprovider = \"openai\"\n\
             model = \"bench\"\nbase_url = \"{base_url}\"\nconcurrency = 16\nretries = 0\n{cassette}\
             [floors]\npass_rate = 1.0\n"
        ),
    )
    .unwrap();
}

fn evalgate(dir: &Path, suite: &str, mode: &str) -> Duration {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
    command
        .args([
            "run",
            &format!("{suite}.toml"),
            "--out",
            &format!("{suite}-results.json"),
        ])
        .current_dir(dir)
        .env("EVALGATE_CASSETTE", mode);
    time_run(&mut command)
}
