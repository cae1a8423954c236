//! evalgate side by side with promptfoo, on the same machine, the same suites and the same
//! models; the goals of issue 10. Run with
//!
//!     cargo bench --bench versus                 # everything; writes bench/RESULTS.md
//!     cargo bench --bench versus -- --quick      # smoke run: small suites, one repetition
//!
//! Other flags: `--reps N` (repetitions, default 3), `--only abcdef` (some scenarios),
//! `--no-promptfoo` (evalgate alone). Only a whole run (no `--quick`, no `--only`) writes
//! bench/RESULTS.md; the others write target/bench/versus/RESULTS.md.
//!
//! It installs promptfoo and the Node.js it needs from npm, pinned, under target/bench/
//! (bench/versus/promptfoo.rs); writes each suite for both tools under target/bench/versus/;
//! serves both the same model, a Python program (bench/versus/model.py: evalgate's `command`
//! provider, promptfoo's `exec:`) and an OpenAI-compatible server on 127.0.0.1 with a set
//! latency (bench/versus/server.rs: evalgate's `openai` provider, promptfoo's `openai:chat`);
//! runs the tools in turn, each repetition starting with the other tool, and reports the median
//! wall time and peak memory of each (bench/versus/measure.rs) with the ratio
//! evalgate / promptfoo.
//!
//! Scenarios and goals:
//! (a) 2,000-case classify through the program: evalgate ≥ 20× faster than promptfoo;
//! (b) 2,000 cases over HTTP, 0 ms latency, concurrency 16: ≥ 20× faster;
//! (c) 500 cases at 50 ms, concurrency 16: within 1.10× of 500 × 0.05 / 16 s;
//! (d) 10,000 cases replayed from a cassette (promptfoo: from its cache): under 1 s;
//! (e) metrics over 1,000,000 predictions (the workload of bench/metrics.rs): under 0.2 s;
//! (f) clean `cargo test --no-run` of a user crate on evalgate against the same crate on the
//!     design card's crates (bench/versus/compile.rs): at most 1.3×.

#[path = "versus/compile.rs"]
mod compile;
#[path = "versus/measure.rs"]
mod measure;
#[path = "versus/promptfoo.rs"]
mod promptfoo;
#[path = "versus/server.rs"]
mod server;

use evalgate::metrics::{Confusion, classification_metrics};
use measure::{Sample, median};
use promptfoo::Promptfoo;
use server::Server;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const LABELS: [&str; 3] = ["negative", "neutral", "positive"];
const PROMPT: &str = "Classify: {{input}}";

struct Options {
    quick: bool,
    reps: usize,
    only: Option<String>,
    promptfoo: bool,
}

/// Cases per scenario.
struct Sizes {
    command: usize,
    http: usize,
    latency: usize,
    replay: usize,
    pairs: usize,
}

/// What the scenarios share.
struct Bench {
    root: PathBuf,
    work: PathBuf,
    python: String,
    model: PathBuf,
    evalgate: PathBuf,
    promptfoo: Option<Promptfoo>,
    reps: usize,
}

/// One timed run of one configuration.
type Run<'a> = Box<dyn FnMut() -> Result<Sample, String> + 'a>;

/// One configuration of one tool, and its runs.
struct Row {
    name: String,
    samples: Vec<Sample>,
    error: Option<String>,
}

/// A scenario's report: a Markdown table and its goal.
struct Section {
    title: String,
    body: String,
    goal: String,
    measured: String,
    verdict: Verdict,
}

#[derive(Clone, Copy, PartialEq)]
enum Verdict {
    Met,
    Missed,
    NotMeasured,
    /// `--quick`: sizes other than the goal's.
    NotJudged,
}

impl Verdict {
    fn of(ok: bool) -> Verdict {
        if ok { Verdict::Met } else { Verdict::Missed }
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "not measured",
            Verdict::NotJudged => "not judged (--quick)",
        }
    }
}

fn main() {
    let options = parse_options();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench/versus");
    std::fs::create_dir_all(&work).unwrap();
    let sizes = if options.quick {
        Sizes {
            command: 100,
            http: 300,
            latency: 64,
            replay: 1_000,
            pairs: 1_000_000,
        }
    } else {
        Sizes {
            command: 2_000,
            http: 2_000,
            latency: 500,
            replay: 10_000,
            pairs: 1_000_000,
        }
    };
    let wants = |key: char| match &options.only {
        Some(only) => only.contains(key),
        None => !(options.quick && key == 'f'),
    };
    let load_before = load_average();
    let started = Instant::now();

    let promptfoo = if options.promptfoo && "abcd".chars().any(wants) {
        match Promptfoo::install(&root, &work.join("promptfoo-home")) {
            Ok(promptfoo) => Some(promptfoo),
            Err(error) if options.quick => {
                eprintln!("promptfoo left out: {error}");
                None
            }
            Err(error) => panic!("{error}\n(`-- --quick` or `-- --no-promptfoo` runs without it)"),
        }
    } else {
        None
    };
    let python = match std::env::var("EVALGATE_BENCH_PYTHON") {
        Ok(python) => python,
        // The interpreter itself, not a shim (pyenv's costs ~100 ms a start).
        Err(_) => promptfoo::output(
            Command::new("python3").args(["-c", "import sys; print(sys.executable)"]),
        )
        .expect("python3"),
    };
    let bench = Bench {
        model: root.join("bench/versus/model.py"),
        evalgate: PathBuf::from(env!("CARGO_BIN_EXE_evalgate")),
        root: root.clone(),
        work: work.clone(),
        python,
        promptfoo,
        reps: options.reps,
    };
    bench.warm_up();

    let mut sections = Vec::new();
    if wants('a') {
        sections.push(command_model(&bench, sizes.command));
    }
    let fast = Server::start(Duration::ZERO);
    if wants('b') {
        sections.push(http(&bench, &fast, sizes.http));
    }
    if wants('c') {
        let slow = Server::start(Duration::from_millis(50));
        sections.push(latency(&bench, &slow, sizes.latency));
    }
    if wants('d') {
        sections.push(replay(&bench, &fast, sizes.replay));
    }
    if wants('e') {
        sections.push(metrics(sizes.pairs));
    }
    if wants('f') {
        sections.push(build(&bench));
    }

    if options.quick {
        for section in &mut sections {
            section.verdict = Verdict::NotJudged;
        }
    }
    let whole = !options.quick && options.only.is_none();
    let out = if whole {
        root.join("bench/RESULTS.md")
    } else {
        work.join("RESULTS.md")
    };
    let report = report(&bench, &options, &sections, &load_before, started.elapsed());
    std::fs::write(&out, report).unwrap();
    println!("\nsummary:");
    for section in &sections {
        println!(
            "  {}: {} ({}; goal: {})",
            section.title,
            section.verdict.text(),
            section.measured,
            section.goal
        );
    }
    println!(
        "written: {} ({:.0} s in all)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}

fn parse_options() -> Options {
    let mut options = Options {
        quick: false,
        reps: 3,
        only: None,
        promptfoo: true,
    };
    let mut args = std::env::args().skip(1);
    let mut reps = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {} // cargo bench passes it
            "--quick" => options.quick = true,
            "--no-promptfoo" => options.promptfoo = false,
            "--reps" => reps = Some(args.next().and_then(|n| n.parse().ok()).expect("--reps N")),
            "--only" => options.only = Some(args.next().expect("--only LETTERS, e.g. --only ab")),
            other => panic!("unknown argument {other}; see bench/versus.rs"),
        }
    }
    options.reps = reps.unwrap_or(if options.quick { 1 } else { 3 }).max(1);
    options
}

impl Bench {
    /// A scenario's folder, emptied.
    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `evalgate run SUITE` in `dir`, cassettes in `mode`.
    fn evalgate(&self, dir: &Path, suite: &str, mode: &str) -> Command {
        let mut command = Command::new(&self.evalgate);
        command
            .args(["run", suite, "--color", "never", "--out"])
            .arg(format!("results-{}.json", suite.trim_end_matches(".toml")))
            .current_dir(dir)
            .env("EVALGATE_CASSETTE", mode)
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL");
        command
    }

    /// One untimed run of each tool, so that the first timed run does not pay for reading
    /// node_modules or the binary from disk.
    fn warm_up(&self) {
        let dir = self.dir("warm-up");
        write_cases(&dir, 10);
        let server = Server::start(Duration::ZERO);
        std::fs::write(
            dir.join("warm.toml"),
            openai_suite(&server.base_url(), 4, None),
        )
        .unwrap();
        measure::run(
            &mut self.evalgate(&dir, "warm.toml", "off"),
            &dir.join("evalgate.log"),
        )
        .unwrap();
        if let Some(promptfoo) = &self.promptfoo {
            std::fs::write(
                dir.join("promptfooconfig.yaml"),
                promptfoo_config(&openai_provider(&server.base_url()), 10),
            )
            .unwrap();
            measure::run(
                &mut promptfoo.eval(&dir, 4, false),
                &dir.join("promptfoo.log"),
            )
            .unwrap();
            check_promptfoo(&dir, 10).unwrap();
        }
    }

    /// Runs every row `reps` times, the rows in turn, each repetition in the reverse order of
    /// the one before. A row that fails once is not run again; its error is reported.
    fn interleave(&self, rows: Vec<(String, Run<'_>)>) -> Vec<Row> {
        let mut runs: Vec<_> = rows
            .into_iter()
            .map(|(name, run)| {
                (
                    Row {
                        name,
                        samples: Vec::new(),
                        error: None,
                    },
                    run,
                )
            })
            .collect();
        for rep in 0..self.reps {
            let mut order: Vec<usize> = (0..runs.len()).collect();
            if rep % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let (row, run) = &mut runs[i];
                if row.error.is_some() {
                    continue;
                }
                match run() {
                    Ok(sample) => {
                        println!(
                            "  {:<52} {:>9}  {:>9}",
                            row.name,
                            secs(sample.wall),
                            mib(sample.peak)
                        );
                        row.samples.push(sample);
                    }
                    Err(error) => {
                        println!("  {:<52} FAILED: {error}", row.name);
                        row.error = Some(error);
                    }
                }
            }
        }
        runs.into_iter().map(|(row, _)| row).collect()
    }
}

impl Row {
    fn wall(&self) -> Option<f64> {
        self.measured()
            .then(|| median(&self.samples.iter().map(|s| s.wall).collect::<Vec<_>>()))
    }

    fn peak(&self) -> Option<f64> {
        self.measured().then(|| {
            median(
                &self
                    .samples
                    .iter()
                    .map(|s| s.peak as f64)
                    .collect::<Vec<_>>(),
            )
        })
    }

    fn measured(&self) -> bool {
        self.error.is_none() && !self.samples.is_empty()
    }

    /// The table row: median wall time (every run's), median peak memory.
    fn cells(&self) -> String {
        match &self.error {
            Some(error) => format!(
                "| {} | failed: {} | |\n",
                self.name,
                error.lines().next().unwrap_or("")
            ),
            None if self.samples.is_empty() => format!("| {} | not run | |\n", self.name),
            None => {
                let runs: Vec<String> = self.samples.iter().map(|s| secs(s.wall)).collect();
                format!(
                    "| {} | {} ({}) | {} |\n",
                    self.name,
                    secs(self.wall().unwrap()),
                    runs.join(", "),
                    mib(self.peak().unwrap() as u64)
                )
            }
        }
    }
}

/// The ratio row of a table: evalgate's medians over promptfoo's.
fn ratio_cells(name: &str, evalgate: &Row, promptfoo: &Row) -> String {
    match (
        evalgate.wall(),
        promptfoo.wall(),
        evalgate.peak(),
        promptfoo.peak(),
    ) {
        (Some(ew), Some(pw), Some(ep), Some(pp)) => format!(
            "| {name} | {:.4} ({} faster) | {:.3} |\n",
            ew / pw,
            times(pw / ew),
            ep / pp
        ),
        _ => format!("| {name} | n/a | n/a |\n"),
    }
}

const TABLE_HEAD: &str =
    "| run | wall time: median (each run) | peak memory: median |\n|---|---|---|\n";

// ---------------------------------------------------------------------------------------------
// Suites for both tools.
// ---------------------------------------------------------------------------------------------

/// Case `i`: its input and the label the model must answer.
fn case(i: usize) -> (String, &'static str) {
    let label = LABELS[i % 3];
    (format!("case number {i} says {label}"), label)
}

/// evalgate's cases file.
fn write_cases(dir: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        let (input, label) = case(i);
        writeln!(
            text,
            r#"{{"id": "c{i}", "input": "{input}", "expected": "{label}"}}"#
        )
        .unwrap();
    }
    std::fs::write(dir.join("cases.jsonl"), text).unwrap();
}

/// An evalgate classify suite on `cases.jsonl`; every case must be right.
fn suite(model: &str) -> String {
    format!(
        "task = \"classify\"\nlabels = [\"negative\", \"neutral\", \"positive\"]\ncases_file = \"cases.jsonl\"\n\n\
         [model]\n{model}prompt = \"{PROMPT}\"\n\n[floors]\naccuracy = 1.0\n"
    )
}

/// promptfoo sends `temperature: 0` and `max_tokens: 1024` unless told otherwise; evalgate's
/// suites send the same, so both servers' requests are alike.
fn openai_suite(base_url: &str, concurrency: usize, cassette: Option<&str>) -> String {
    let cassette = cassette.map_or(String::new(), |c| format!("cassette = \"{c}\"\n"));
    suite(&format!(
        "provider = \"openai\"\nmodel = \"bench\"\nbase_url = \"{base_url}\"\nconcurrency = {concurrency}\n\
         temperature = 0\nmax_tokens = 1024\n{cassette}"
    ))
}

fn openai_provider(base_url: &str) -> String {
    format!(
        "  - id: openai:chat:bench\n    config:\n      apiBaseUrl: \"{base_url}\"\n      apiKey: unused\n      \
         temperature: 0\n      max_tokens: 1024\n"
    )
}

/// promptfoo's configuration: the same prompt, the same cases, and for each the check that
/// matches evalgate's classify label check here (the answer is exactly the label).
fn promptfoo_config(provider: &str, n: usize) -> String {
    let mut text =
        format!("description: versus\nprompts:\n  - \"{PROMPT}\"\nproviders:\n{provider}tests:\n");
    for i in 0..n {
        let (input, label) = case(i);
        write!(
            text,
            "  - description: c{i}\n    vars:\n      input: \"{input}\"\n    assert:\n      - type: equals\n        value: {label}\n"
        )
        .unwrap();
    }
    text
}

/// promptfoo exits 0 when every test passed; its results.json must say so for all `n`.
fn check_promptfoo(dir: &Path, n: usize) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("results.json"))
        .map_err(|e| format!("results.json: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("results.json: {e}"))?;
    let stats = &json["results"]["stats"];
    if stats["successes"].as_u64() == Some(n as u64) {
        Ok(())
    } else {
        Err(format!("promptfoo's stats: {stats}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------

/// (a) classify through the program: evalgate's `lines` and `once` protocols, promptfoo's `exec:`.
fn command_model(bench: &Bench, n: usize) -> Section {
    const CONCURRENCY: usize = 4; // promptfoo's default -j
    let title = format!("(a) {} cases through a command model", thousands(n));
    println!("\n{title}");
    let dir = bench.dir("a-command");
    write_cases(&dir, n);
    let model = bench.model.display();
    for protocol in ["lines", "once"] {
        std::fs::write(
            dir.join(format!("{protocol}.toml")),
            suite(&format!(
                "provider = \"command\"\ncommand = [\"{}\", \"{model}\", \"--{protocol}\"]\nprotocol = \"{protocol}\"\n\
                 concurrency = {CONCURRENCY}\n",
                bench.python
            )),
        )
        .unwrap();
    }
    let mut rows: Vec<(String, Run<'_>)> = vec![
        (
            format!("evalgate, `command` (`lines`), concurrency {CONCURRENCY}"),
            Box::new(|| {
                measure::run(
                    &mut bench.evalgate(&dir, "lines.toml", "off"),
                    &dir.join("lines.log"),
                )
            }),
        ),
        (
            format!("evalgate, `command` (`once`), concurrency {CONCURRENCY}"),
            Box::new(|| {
                measure::run(
                    &mut bench.evalgate(&dir, "once.toml", "off"),
                    &dir.join("once.log"),
                )
            }),
        ),
    ];
    if let Some(promptfoo) = &bench.promptfoo {
        let provider = format!("  - id: \"exec: {} {model}\"\n", bench.python);
        std::fs::write(
            dir.join("promptfooconfig.yaml"),
            promptfoo_config(&provider, n),
        )
        .unwrap();
        rows.push((
            format!("promptfoo, `exec:`, `-j {CONCURRENCY}`"),
            Box::new(|| {
                let sample = measure::run(
                    &mut promptfoo.eval(&dir, CONCURRENCY, false),
                    &dir.join("promptfoo.log"),
                )?;
                check_promptfoo(&dir, n).map(|()| sample)
            }),
        ));
    }
    let rows = bench.interleave(rows);
    let mut body = String::from(TABLE_HEAD);
    for row in &rows {
        body.push_str(&row.cells());
    }
    let mut measured = "promptfoo not run".to_string();
    let mut verdict = Verdict::NotMeasured;
    if rows.len() == 3 {
        body.push_str(&ratio_cells(
            "evalgate `lines` / promptfoo",
            &rows[0],
            &rows[2],
        ));
        body.push_str(&ratio_cells(
            "evalgate `once` / promptfoo",
            &rows[1],
            &rows[2],
        ));
        if let (Some(e), Some(p)) = (rows[0].wall(), rows[2].wall()) {
            measured = format!(
                "{} faster (`lines`); {} with `once`",
                times(p / e),
                times(p / rows[1].wall().unwrap_or(f64::NAN))
            );
            verdict = Verdict::of(p / e >= 20.0);
        }
    }
    body.push_str(
        "\nThe model is bench/versus/model.py, started as the interpreter itself (not a shim). \
         `lines` (evalgate's default) keeps one model process per worker; `once` and promptfoo's \
         `exec:` start a process per case, so both are bound by Python's start-up; the goal is judged \
         on `lines`, the way evalgate runs a command model unless told otherwise.\n",
    );
    Section {
        title,
        body,
        goal: "evalgate ≥ 20× faster".into(),
        measured,
        verdict,
    }
}

/// (b) HTTP at 0 ms, concurrency 16.
fn http(bench: &Bench, server: &Server, n: usize) -> Section {
    let title = format!(
        "(b) {} cases over HTTP, 0 ms latency, concurrency 16",
        thousands(n)
    );
    println!("\n{title}");
    let (rows, body) = http_rows(bench, server, n, "b-http");
    let mut measured = "promptfoo not run".to_string();
    let mut verdict = Verdict::NotMeasured;
    if let (Some(e), Some(p)) = (rows[0].wall(), rows.get(1).and_then(Row::wall)) {
        measured = format!("{} faster", times(p / e));
        verdict = Verdict::of(p / e >= 20.0);
    }
    Section {
        title,
        body,
        goal: "evalgate ≥ 20× faster".into(),
        measured,
        verdict,
    }
}

/// (c) 50 ms a request, concurrency 16, against the limit n × 0.05 / 16.
fn latency(bench: &Bench, server: &Server, n: usize) -> Section {
    let title = format!("(c) {} cases at 50 ms, concurrency 16", thousands(n));
    println!("\n{title}");
    let (rows, mut body) = http_rows(bench, server, n, "c-latency");
    let limit = n as f64 * 0.05 / 16.0;
    writeln!(body, "\nThe limit, {n} × 0.05 s / 16: {limit:.4} s.\n").unwrap();
    for row in &rows {
        if let Some(wall) = row.wall() {
            writeln!(body, "- {}: {:.3}× the limit", row.name, wall / limit).unwrap();
        }
    }
    let (measured, verdict) = match rows[0].wall() {
        Some(wall) => (
            format!("{:.3}× the limit ({})", wall / limit, secs(wall)),
            Verdict::of(wall / limit <= 1.10),
        ),
        None => ("failed".into(), Verdict::Missed),
    };
    Section {
        title,
        body,
        goal: "evalgate within 1.10× of the limit".into(),
        measured,
        verdict,
    }
}

/// The rows of (b) and (c): the same suite for both tools, live, on `server`.
fn http_rows(bench: &Bench, server: &Server, n: usize, name: &str) -> (Vec<Row>, String) {
    let dir = bench.dir(name);
    write_cases(&dir, n);
    std::fs::write(
        dir.join("http.toml"),
        openai_suite(&server.base_url(), 16, None),
    )
    .unwrap();
    let mut rows: Vec<(String, Run<'_>)> = vec![(
        "evalgate, `openai`, concurrency 16".into(),
        Box::new(|| {
            measure::run(
                &mut bench.evalgate(&dir, "http.toml", "off"),
                &dir.join("evalgate.log"),
            )
        }),
    )];
    if let Some(promptfoo) = &bench.promptfoo {
        std::fs::write(
            dir.join("promptfooconfig.yaml"),
            promptfoo_config(&openai_provider(&server.base_url()), n),
        )
        .unwrap();
        rows.push((
            "promptfoo, `openai:chat`, `-j 16 --no-cache`".into(),
            Box::new(|| {
                let sample = measure::run(
                    &mut promptfoo.eval(&dir, 16, false),
                    &dir.join("promptfoo.log"),
                )?;
                check_promptfoo(&dir, n).map(|()| sample)
            }),
        ));
    }
    let rows = bench.interleave(rows);
    let mut body = String::from(TABLE_HEAD);
    for row in &rows {
        body.push_str(&row.cells());
    }
    if rows.len() == 2 {
        body.push_str(&ratio_cells("evalgate / promptfoo", &rows[0], &rows[1]));
    }
    (rows, body)
}

/// (d) Replayed answers: evalgate from a cassette recorded just before, promptfoo from the
/// cache a first run filled. The server must see no request while they are timed.
fn replay(bench: &Bench, server: &Server, n: usize) -> Section {
    let title = format!("(d) {} cases replayed", thousands(n));
    println!("\n{title}");
    let dir = bench.dir("d-replay");
    write_cases(&dir, n);
    std::fs::write(
        dir.join("replay.toml"),
        openai_suite(&server.base_url(), 16, Some("cassette.jsonl")),
    )
    .unwrap();
    let mut notes = String::new();
    let recorded = measure::run(
        &mut bench.evalgate(&dir, "replay.toml", "record"),
        &dir.join("record.log"),
    )
    .expect("recording the cassette");
    writeln!(
        notes,
        "- evalgate recorded the cassette in {} (not timed below).",
        secs(recorded.wall)
    )
    .unwrap();
    let unchanged = |before: usize| {
        let after = server.served();
        if after == before {
            Ok(())
        } else {
            Err(format!("{} requests reached the server", after - before))
        }
    };
    let mut rows: Vec<(String, Run<'_>)> = vec![(
        "evalgate, `EVALGATE_CASSETTE=replay`".into(),
        Box::new(|| {
            let before = server.served();
            let sample = measure::run(
                &mut bench.evalgate(&dir, "replay.toml", "replay"),
                &dir.join("evalgate.log"),
            )?;
            unchanged(before).map(|()| sample)
        }),
    )];
    if let Some(promptfoo) = &bench.promptfoo {
        std::fs::write(
            dir.join("promptfooconfig.yaml"),
            promptfoo_config(&openai_provider(&server.base_url()), n),
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(promptfoo.cache());
        match measure::run(&mut promptfoo.eval(&dir, 16, true), &dir.join("fill.log")) {
            Ok(filled) => writeln!(
                notes,
                "- promptfoo filled its cache in {} (not timed below).",
                secs(filled.wall)
            )
            .unwrap(),
            Err(error) => writeln!(notes, "- promptfoo could not fill its cache: {error}").unwrap(),
        }
        rows.push((
            "promptfoo, from its cache, `-j 16`".into(),
            Box::new(|| {
                let before = server.served();
                let sample = measure::run(
                    &mut promptfoo.eval(&dir, 16, true),
                    &dir.join("promptfoo.log"),
                )?;
                check_promptfoo(&dir, n)?;
                unchanged(before).map(|()| sample)
            }),
        ));
    }
    let rows = bench.interleave(rows);
    let mut body = String::from(TABLE_HEAD);
    for row in &rows {
        body.push_str(&row.cells());
    }
    if rows.len() == 2 {
        body.push_str(&ratio_cells("evalgate / promptfoo", &rows[0], &rows[1]));
    }
    body.push('\n');
    body.push_str(&notes);
    let (measured, verdict) = match rows[0].wall() {
        Some(wall) => (secs(wall), Verdict::of(wall < 1.0)),
        None => ("failed".into(), Verdict::Missed),
    };
    Section {
        title,
        body,
        goal: "evalgate under 1 s".into(),
        measured,
        verdict,
    }
}

/// (e) The workload of bench/metrics.rs, in this process: a `Confusion` over 3 labels from
/// `pairs` seeded (truth, prediction) pairs, then `classification_metrics`; 15 times.
fn metrics(pairs: usize) -> Section {
    const ITERATIONS: usize = 15;
    let title = format!("(e) metrics over {} predictions", thousands(pairs));
    println!("\n{title}");
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let data: Vec<(usize, Option<usize>)> = (0..pairs)
        .map(|_| {
            let truth = (next() % 3) as usize;
            let predicted = match next() % 100 {
                0..70 => Some(truth),
                70..95 => Some((truth + 1 + (next() % 2) as usize) % 3),
                _ => None,
            };
            (truth, predicted)
        })
        .collect();
    let labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let mut times = Vec::new();
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        let mut confusion = Confusion::new(labels.clone());
        for &(truth, predicted) in black_box(&data) {
            confusion.add(truth, predicted);
        }
        black_box(classification_metrics(black_box(&confusion), Some(2)));
        times.push(started.elapsed().as_secs_f64());
    }
    let (mid, min) = (
        median(&times),
        times.iter().cloned().fold(f64::INFINITY, f64::min),
    );
    println!("  median {:.3} ms, min {:.3} ms", mid * 1e3, min * 1e3);
    let body = format!(
        "| run | median of {ITERATIONS} | minimum |\n|---|---|---|\n\
         | evalgate: `Confusion::add` × {}, `classification_metrics` | {:.3} ms | {:.3} ms |\n\n\
         In this process, as bench/metrics.rs does (70% right, 25% another label, 5% `<invalid>`). \
         promptfoo has no counterpart: it counts passed and failed tests, and computes no \
         confusion matrix, precision, recall or F1.\n",
        thousands(pairs),
        mid * 1e3,
        min * 1e3
    );
    Section {
        title,
        body,
        goal: "under 0.2 s".into(),
        measured: format!("{:.1} ms", mid * 1e3),
        verdict: Verdict::of(mid < 0.2),
    }
}

/// (f) Clean `cargo test --no-run` of the two user crates, in turn.
fn build(bench: &Bench) -> Section {
    let title = "(f) clean `cargo test --no-run` of a user crate".to_string();
    println!("\n{title}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = bench.work.join("build");
    let projects = compile::prepare(&bench.root, &dir, &cargo).expect("the user crates");
    let evalgate_target = dir.join("target-evalgate");
    let cards_target = dir.join("target-design-card");
    let rows: Vec<(String, Run<'_>)> = vec![
        (
            "on evalgate (`default-features = false`)".into(),
            Box::new(|| {
                measure::run(
                    &mut compile::clean_build(&cargo, &projects.evalgate, &evalgate_target),
                    &dir.join("evalgate.log"),
                )
            }),
        ),
        (
            "on the design card's crates".into(),
            Box::new(|| {
                measure::run(
                    &mut compile::clean_build(&cargo, &projects.cards, &cards_target),
                    &dir.join("design-card.log"),
                )
            }),
        ),
    ];
    let rows = bench.interleave(rows);
    let mut body = String::from(TABLE_HEAD);
    for row in &rows {
        body.push_str(&row.cells());
    }
    let (measured, verdict) = match (rows[0].wall(), rows[1].wall()) {
        (Some(e), Some(c)) => {
            writeln!(
                body,
                "| evalgate / design card | {:.3}× | {:.3}× |",
                e / c,
                rows[0].peak().unwrap() / rows[1].peak().unwrap()
            )
            .unwrap();
            (format!("{:.2}×", e / c), Verdict::of(e / c <= 1.3))
        }
        _ => ("failed".into(), Verdict::Missed),
    };
    body.push_str(
        "\nDebug profile, `--offline` after one untimed `cargo fetch`, each crate in a target folder of \
         its own emptied before every build, both locked to evalgate's Cargo.lock versions. Peak memory \
         is cargo's and rustc's together.\n",
    );
    Section {
        title,
        body,
        goal: "at most 1.3×".into(),
        measured,
        verdict,
    }
}

// ---------------------------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------------------------

fn report(
    bench: &Bench,
    options: &Options,
    sections: &[Section],
    load_before: &str,
    took: Duration,
) -> String {
    let mut text = String::from("# evalgate and promptfoo, side by side\n\n");
    let mut command = String::from("cargo bench --bench versus");
    if options.quick || options.only.is_some() || options.reps != 3 || !options.promptfoo {
        // The flags this run was given.
        command.push_str(" --");
        if options.quick {
            command.push_str(" --quick");
        }
        if options.reps != if options.quick { 1 } else { 3 } {
            write!(command, " --reps {}", options.reps).unwrap();
        }
        if let Some(only) = &options.only {
            write!(command, " --only {only}").unwrap();
        }
        if !options.promptfoo {
            command.push_str(" --no-promptfoo");
        }
    }
    writeln!(
        text,
        "Written by `{command}` ({}, {:.0} s in all); run it again to regenerate this file. \
         What it does and why: bench/versus.rs and bench/README.md.\n",
        shell("date -u +'%Y-%m-%d %H:%M UTC'"),
        took.as_secs_f64()
    )
    .unwrap();
    text.push_str("## Machine\n\n");
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:").map(|m| {
                m.trim()
                    .trim_end_matches(" kB")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0);
    writeln!(
        text,
        "- CPU: {cores} cores ({cpu}); memory {:.1} GiB",
        memory / 1024.0 / 1024.0
    )
    .unwrap();
    writeln!(
        text,
        "- OS: {}, kernel {}",
        shell(". /etc/os-release && echo $PRETTY_NAME"),
        shell("uname -r")
    )
    .unwrap();
    writeln!(text, "- {}; {}", shell("rustc -V"), shell("cargo -V")).unwrap();
    writeln!(
        text,
        "- Python {} for the command model (the interpreter itself, not a wrapper on PATH)",
        shell(&format!(
            "{} -c 'import platform; print(platform.python_version())'",
            bench.python
        ))
    )
    .unwrap();
    match &bench.promptfoo {
        Some(p) => writeln!(
            text,
            "- promptfoo {} from npm, on Node.js {} (npm package `node-{}-{}`), installed with npm {}",
            p.version,
            p.node_version,
            std::env::consts::OS.replace("macos", "darwin"),
            std::env::consts::ARCH.replace("x86_64", "x64").replace("aarch64", "arm64"),
            p.npm_version
        )
        .unwrap(),
        None => text.push_str("- promptfoo: not run\n"),
    }
    writeln!(
        text,
        "- load average (1, 5, 15 min) before: {load_before}; after: {}",
        load_average()
    )
    .unwrap();
    writeln!(
        text,
        "\nMedians of {} runs per row, the tools taking turns (each repetition starts with the tool \
         that went last). Wall time is from start to exit of the whole command. Peak memory is the \
         resident memory of the tool and every process it started (the model's Python processes, \
         cargo's rustc), summed and sampled every 10 ms, and at least the exact peak of the largest \
         process (`ru_maxrss`, as `/usr/bin/time -f %M` reports it). Both tools write their results \
         to a JSON file; promptfoo runs with `--no-write` (nothing in its database), `--no-table`, \
         `--no-progress-bar` and, unless it replays, `--no-cache`; telemetry, update checks and \
         sharing are off.\n",
        bench.reps
    )
    .unwrap();
    text.push_str("## Goals\n\n| scenario | goal | measured | verdict |\n|---|---|---|---|\n");
    for section in sections {
        writeln!(
            text,
            "| {} | {} | {} | {} |",
            section.title,
            section.goal,
            section.measured,
            section.verdict.text()
        )
        .unwrap();
    }
    for section in sections {
        write!(text, "\n## {}\n\n{}", section.title, section.body).unwrap();
    }
    text
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(", ")
}

fn shell(script: &str) -> String {
    promptfoo::output(Command::new("sh").args(["-c", script])).unwrap_or_else(|e| e)
}

fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.1} s")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1024.0 / 1024.0)
}

/// A speed-up: "355×", "1.3×".
fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.1}×")
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
