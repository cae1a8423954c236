//! Benchmark: a 2,000-case classify suite through the `command` provider (`lines` protocol)
//! with a trivial model, timed as a whole `evalgate run`, against the same 2,000 requests piped
//! straight into the same model with no harness. The difference, per case, is what evalgate
//! adds beyond the model's own time: loading the suite, rendering prompts, the protocol,
//! judging, metrics, results.json and the summary. Run with `cargo bench --bench command_run`.

#[path = "timing.rs"]
mod timing;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timing::{median, time_run};

const CASES: usize = 2_000;
const ITERATIONS: usize = 7;
const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// A trivial model: answers every request at once. Python, as a user's model might be.
const MODEL: &str = r#"import json, sys
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"output": request["input"].split()[-1]}), flush=True)
"#;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/command_run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.py"), MODEL).unwrap();
    let mut cases = String::new();
    for i in 0..CASES {
        let label = LABELS[i % 3];
        cases.push_str(&format!("{{\"id\": \"c{i}\", \"input\": \"case number {i} says {label}\", \"expected\": \"{label}\"}}\n"));
    }
    std::fs::write(dir.join("cases.jsonl"), &cases).unwrap();
    for concurrency in [1, 2] {
        let suite = dir.join(format!("bench_c{concurrency}.toml"));
        std::fs::write(
            &suite,
            format!(
                "task = \"classify\"\nlabels = [\"negative\", \"neutral\", \"positive\"]\ncases_file = \"cases.jsonl\"\n\
                 [model]\nprovider = \"command\"\ncommand = [\"python3\", \"model.py\"]\nconcurrency = {concurrency}\n\
                 prompt = \"Classify: {{{{input}}}}\"\n[floors]\naccuracy = 1.0\nf1_macro = 1.0\n"
            ),
        )
        .unwrap();
    }

    let direct = median(ITERATIONS, || pipe_directly(&dir));
    let harness_1 = median(ITERATIONS, || {
        evalgate_run(&dir.join("bench_c1.toml"), &dir)
    });
    let harness_2 = median(ITERATIONS, || {
        evalgate_run(&dir.join("bench_c2.toml"), &dir)
    });
    let per_case =
        |total: Duration| (total.as_secs_f64() - direct.as_secs_f64()) * 1000.0 / CASES as f64;
    println!("{CASES} cases, median of {ITERATIONS} runs");
    println!(
        "  model alone (requests piped in, one process):  {:>8.1} ms",
        ms(direct)
    );
    println!(
        "  evalgate run, concurrency 1:                   {:>8.1} ms  overhead {:.4} ms/case",
        ms(harness_1),
        per_case(harness_1)
    );
    println!(
        "  evalgate run, concurrency 2:                   {:>8.1} ms",
        ms(harness_2)
    );
    println!("target: overhead under 1 ms per case beyond the model's time");
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The model's own time: start it, pipe the same requests through it one at a time, as the
/// `lines` protocol does, and read every answer.
fn pipe_directly(dir: &Path) -> Duration {
    let started = Instant::now();
    let mut child = Command::new("python3")
        .arg("model.py")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut answer = String::new();
    for i in 0..CASES {
        let label = LABELS[i % 3];
        let input = format!("case number {i} says {label}");
        let request = format!(
            "{{\"suite\":\"bench\",\"id\":\"c{i}\",\"input\":\"{input}\",\"prompt\":\"Classify: {input}\",\"vars\":{{}}}}\n"
        );
        stdin.write_all(request.as_bytes()).unwrap();
        stdin.flush().unwrap();
        answer.clear();
        stdout.read_line(&mut answer).unwrap();
    }
    drop(stdin);
    child.wait().unwrap();
    started.elapsed()
}

fn evalgate_run(suite: &Path, dir: &Path) -> Duration {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
    command
        .args(["run", suite.to_str().unwrap(), "--out"])
        .arg(dir.join("results.json"));
    time_run(&mut command)
}
