#![cfg(feature = "history")]
//! The run history end to end, through the `evalgate` binary: runs of the word-list sentiment
//! suite on random subsets of its tweets (noise) and with a model made to hedge (drift),
//! recorded and checked; a label-distribution shift the accuracy does not show; latency
//! growth; concurrent writers; the plots and the HTML report's trends; every bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_evalgate");

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn evalgate(dir: &Path, args: &[&str]) -> Output {
    evalgate_with(dir, args, &[])
}

fn evalgate_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("EVALGATE_HISTORY")
        .env("EVALGATE_CASSETTE", "replay")
        .env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A folder under the target directory, emptied, for what this test process shares.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `size` tweets of suites/data/tweets.jsonl, picked by a fixed-seed shuffle.
fn subset(seed: u64, size: usize) -> String {
    let text = std::fs::read_to_string(repo("suites/data/tweets.jsonl")).unwrap();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for i in (1..lines.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lines.swap(i, (state % (i as u64 + 1)) as usize);
    }
    lines.truncate(size);
    lines.join("\n") + "\n"
}

/// The sentiment suite of suites/sentiment_lexicon.toml over `cases_file`, with `command`.
fn lexicon_suite(cases_file: &str, command: &[String]) -> String {
    let command: Vec<String> = command.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "name = \"sentiment-lexicon\"\ntask = \"classify\"\n\
         labels = [\"negative\", \"neutral\", \"positive\"]\ncases_file = \"{cases_file}\"\n\
         fail_on = [\"floor\"]\n\n[model]\nprovider = \"command\"\ncommand = [{}]\n\
         prompt = \"{{{{input}}}}\"\n\n[floors]\naccuracy = 0.70\nf1_macro = 0.70\n\
         \"recall.negative\" = 0.70\nlatency_p95_ms = {{ max = 1000 }}\n",
        command.join(", ")
    )
}

/// Results of the sentiment suite, run once per test process: five runs of the word-list model
/// on different random 250-tweet subsets (they differ by sampling noise only), then one run of
/// the hedging model on another subset (a degraded model).
struct Lexicon {
    noise: Vec<PathBuf>,
    degraded: PathBuf,
}

fn lexicon() -> &'static Lexicon {
    static RUNS: OnceLock<Lexicon> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = scratch("history-lexicon");
        let plain = vec!["python3".to_string(), repo("models/lexicon.py")];
        let hedging = vec![
            "python3".to_string(),
            repo("tests/fixtures/history/hedging.py"),
            "40".to_string(),
        ];
        let mut results = Vec::new();
        for seed in 1..=6u64 {
            let cases = format!("cases-{seed}.jsonl");
            std::fs::write(dir.join(&cases), subset(seed, 250)).unwrap();
            let model = if seed == 6 { &hedging } else { &plain };
            let suite = dir.join(format!("suite-{seed}.toml"));
            std::fs::write(&suite, lexicon_suite(&cases, model)).unwrap();
            let out = dir.join(format!("results-{seed}.json"));
            let run = evalgate(&dir, &["run", path(&suite), "--out", path(&out)]);
            assert!(run.code == 0 || run.code == 1, "{}", run.show());
            results.push(out);
        }
        let degraded = results.pop().unwrap();
        Lexicon {
            noise: results,
            degraded,
        }
    })
}

fn record(dir: &Path, db: &Path, results: &[&Path]) -> Output {
    let mut args = vec!["history", "record", "--history-db", path(db)];
    args.extend(results.iter().map(|p| path(p)));
    let out = evalgate(dir, &args);
    assert_eq!(out.code, 0, "{}", out.show());
    out
}

#[test]
fn drift_fires_on_the_degraded_model_and_not_on_noise() {
    let runs = lexicon();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let noise: Vec<&Path> = runs.noise.iter().map(PathBuf::as_path).collect();
    record(dir.path(), &db, &noise);

    // Five runs that differ by their random subset only: no alert.
    let calm = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-ratio",
            "1000",
        ],
    );
    assert_eq!(calm.code, 0, "{}", calm.show());
    assert!(
        calm.stdout.starts_with("## evalgate history: no drift\n"),
        "{}",
        calm.show()
    );
    assert!(
        calm.stdout.contains("against 4 runs from"),
        "{}",
        calm.show()
    );

    // The hedging model: accuracy and the label distribution drift. Latency alerts are off in
    // these checks (`--latency-ratio 1000`): a loaded test machine's timing is not the model's;
    // latency_growth_is_an_alert tests them with a model that sleeps.
    record(dir.path(), &db, &[&runs.degraded]);
    let markdown = dir.path().join("drift.md");
    let drift = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--latency-ratio",
            "1000",
            "--history-db",
            path(&db),
            "--markdown",
            path(&markdown),
        ],
    );
    assert_eq!(drift.code, 1, "{}", drift.show());
    let text = &drift.stdout;
    assert_eq!(std::fs::read_to_string(&markdown).unwrap(), *text);
    assert!(text.starts_with("## evalgate history: drift\n"), "{text}");
    assert!(
        text.contains("#### ❌ sentiment-lexicon · `accuracy` below its baseline"),
        "{text}"
    );
    assert!(
        text.contains("#### ❌ sentiment-lexicon · the label distribution shifted"),
        "{text}"
    );
    assert!(!text.contains("latency_p95_ms` grew"), "{text}");
    // The runs compared, by time and commit, and the cases that flipped.
    assert!(text.contains("Runs compared: the latest, "), "{text}");
    assert!(text.contains("against 5 runs from "), "{text}");
    assert!(text.contains("| **latest** |"), "{text}");
    assert!(
        text.contains("#### sentiment-lexicon · cases that flipped from pass to fail ("),
        "{text}"
    );
    assert!(text.contains("| `tweet-"), "{text}");
    assert!(
        text.contains("Cases whose predicted label changed ("),
        "{text}"
    );
    let neutral_row = text
        .lines()
        .find(|l| l.starts_with("| `neutral` |"))
        .unwrap_or_else(|| panic!("no neutral row\n{text}"));
    assert!(neutral_row.contains('%'), "{neutral_row}");

    // The same history checked as it was before the degraded run: no drift.
    let before = std::fs::read_to_string(runs.noise.last().unwrap()).unwrap();
    let started: Value = serde_json::from_str(&before).unwrap();
    let until = started["started_at"].as_str().unwrap();
    let earlier = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--latency-ratio",
            "1000",
            "--history-db",
            path(&db),
            "--until",
            until,
        ],
    );
    assert_eq!(earlier.code, 0, "{}", earlier.show());

    // --metric picks what is judged; the distribution is checked whatever it says.
    let f1 = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--latency-ratio",
            "1000",
            "--history-db",
            path(&db),
            "--metric",
            "f1_macro",
        ],
    );
    assert_eq!(f1.code, 1, "{}", f1.show());
    assert!(
        f1.stdout.contains("`f1_macro` below its baseline"),
        "{}",
        f1.show()
    );
    assert!(!f1.stdout.contains("`accuracy` below"), "{}", f1.show());

    // The table, the last two runs.
    let show = evalgate(
        dir.path(),
        &[
            "history",
            "show",
            "--history-db",
            path(&db),
            "--last",
            "2",
            "--metric",
            "accuracy",
        ],
    );
    assert_eq!(show.code, 0, "{}", show.show());
    let rows: Vec<&str> = show
        .stdout
        .lines()
        .filter(|l| l.contains("sentiment-lexicon"))
        .collect();
    assert_eq!(rows.len(), 2, "{}", show.stdout);
    assert!(
        rows.iter()
            .all(|r| r.contains(" accuracy ") && r.contains("≥ 0.7")),
        "{rows:?}"
    );
    assert!(show.stdout.contains("2 runs, 1 series"), "{}", show.stdout);
}

#[test]
fn a_repeated_suite_with_a_flaky_model_is_not_drift() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let suite = repo("tests/fixtures/repeat/flaky.toml");
    for k in 0..3 {
        let out = dir.path().join(format!("flaky-{k}.json"));
        let run = evalgate(
            dir.path(),
            &[
                "run",
                &suite,
                "--out",
                path(&out),
                "--history",
                "--history-db",
                path(&db),
            ],
        );
        assert!(run.code <= 1, "{}", run.show());
        assert!(
            run.stdout.contains(&format!("history: {}", db.display())),
            "{}",
            run.show()
        );
    }
    let check = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-ratio",
            "1000",
        ],
    );
    assert_eq!(check.code, 0, "{}", check.show());
    assert!(
        check.stdout.contains("### ✅ flaky · no drift"),
        "{}",
        check.show()
    );
}

/// A classify suite on the scripted model: each case's input names the answer.
fn scripted_suite(name: &str, cases: &[(String, &str, &str)]) -> String {
    let mut text = format!(
        "name = \"{name}\"\ntask = \"classify\"\nlabels = [\"negative\", \"positive\"]\n\
         fail_on = [\"floor\"]\n\n[model]\nprovider = \"command\"\ncommand = [\"python3\", {:?}]\n\
         concurrency = 1\n\n\
         [floors]\naccuracy = 0.1\n",
        repo("tests/fixtures/models/scripted.py")
    );
    for (id, input, expected) in cases {
        text.push_str(&format!(
            "\n[[case]]\nid = \"{id}\"\ninput = \"{input}\"\nexpected = \"{expected}\"\n"
        ));
    }
    text
}

fn run_suite(dir: &Path, db: &Path, file: &str, text: &str) -> Output {
    let suite = dir.join(file);
    std::fs::write(&suite, text).unwrap();
    let out = dir.join(format!("{file}.json"));
    let run = evalgate(
        dir,
        &[
            "run",
            path(&suite),
            "--out",
            path(&out),
            "--history",
            "--history-db",
            path(db),
        ],
    );
    assert!(run.code <= 1, "{}", run.show());
    run
}

#[test]
fn a_label_shift_that_accuracy_does_not_show_is_caught() {
    // Before: every answer "positive", right for the 30 positive cases. After: every answer
    // "negative", right for the 30 negative ones. Accuracy stays 0.5; the answers flipped.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let cases = |answer: &str| -> String {
        let cases: Vec<(String, String, &str)> = (0..60)
            .map(|i| {
                let expected = if i < 30 { "positive" } else { "negative" };
                (format!("c{i}"), format!("label:{answer}"), expected)
            })
            .collect();
        let borrowed: Vec<(String, &str, &str)> = cases
            .iter()
            .map(|(id, input, expected)| (id.clone(), input.as_str(), *expected))
            .collect();
        scripted_suite("shift", &borrowed)
    };
    for k in 0..3 {
        run_suite(
            dir.path(),
            &db,
            &format!("before-{k}.toml"),
            &cases("positive"),
        );
    }
    run_suite(dir.path(), &db, "after.toml", &cases("negative"));
    let check = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-ratio",
            "1000",
        ],
    );
    assert_eq!(check.code, 1, "{}", check.show());
    let text = &check.stdout;
    assert!(
        text.contains("#### ❌ shift · the label distribution shifted"),
        "{text}"
    );
    assert!(
        !text.contains("`accuracy` below"),
        "accuracy did not move\n{text}"
    );
    // Baseline 180 positive, 0 negative; latest 0 and 60: the index and the test as
    // evalgate::stats computes them.
    let psi = evalgate::stats::population_stability_index(&[0, 180], &[60, 0]).unwrap();
    let test = evalgate::stats::chi_square_homogeneity(&[vec![0, 180], vec![60, 0]]).unwrap();
    assert!(psi > 0.2 && test.p_value < 0.01);
    assert!(
        text.contains(&format!(
            "Population stability index {} (alert above 0.2); chi-square {} with 1 degree of freedom, p = {:.2e}",
            evalgate::suite::number(psi),
            evalgate::suite::number(test.statistic),
            test.p_value
        )),
        "{text}"
    );
    assert!(
        text.contains("| `negative` | 0.0% (0) | 100.0% (60) |"),
        "{text}"
    );
    assert!(
        text.contains("| `c0` | `positive` (3 of 3 runs) | `negative` | `positive` |"),
        "{text}"
    );
    // Thresholds are settings: a PSI bar above the shift silences the alert.
    let lenient = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--latency-ratio",
            "1000",
            "--history-db",
            path(&db),
            "--psi",
            &format!("{}", psi + 1.0),
        ],
    );
    assert_eq!(lenient.code, 0, "{}", lenient.show());
}

#[test]
fn latency_growth_is_an_alert() {
    // Slow cases add 100 ms to the p95; `--latency-min-ms 60` keeps a loaded machine's jitter
    // below the alert.
    // One model process (`concurrency = 1`), so that its start slows one case of 40 and not
    // the 95th percentile; then 4 cases of 40 answer a tenth of a second late.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let cases = |slow: usize| -> String {
        let cases: Vec<(String, String)> = (0..40)
            .map(|i| {
                let how = if i < slow { "slow" } else { "label" };
                (format!("c{i}"), format!("{how}:positive"))
            })
            .collect();
        let borrowed: Vec<(String, &str, &str)> = cases
            .iter()
            .map(|(id, input)| (id.clone(), input.as_str(), "positive"))
            .collect();
        scripted_suite("latency", &borrowed)
    };
    for k in 0..2 {
        run_suite(dir.path(), &db, &format!("fast-{k}.toml"), &cases(0));
    }
    let calm = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-min-ms",
            "60",
        ],
    );
    assert_eq!(calm.code, 0, "{}", calm.show());
    // `slow:X` waits a tenth of a second before answering.
    run_suite(dir.path(), &db, "slow.toml", &cases(4));
    let check = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-min-ms",
            "60",
        ],
    );
    assert_eq!(check.code, 1, "{}", check.show());
    let text = &check.stdout;
    assert!(
        text.contains("#### ❌ latency · `latency_p95_ms` grew"),
        "{text}"
    );
    assert!(text.contains("(alert above 1.5× and 60 ms more)"), "{text}");
    let slowest: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("The cases that slowed most"))
        .filter(|l| l.starts_with("| `c"))
        .take(4)
        .collect();
    let mut ids: Vec<&str> = slowest.iter().map(|l| &l[3..6]).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["c0`", "c1`", "c2`", "c3`"], "{text}");
    assert!(!text.contains("label distribution"), "{text}");
}

/// A copy of a results.json as another run: its own start time and branch.
fn variant(source: &Path, dir: &Path, k: usize, branch: &str) -> PathBuf {
    let mut results: Value =
        serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    results["started_at"] = Value::from(format!("2026-03-{:02}T10:00:00.000Z", k + 1));
    results["git"] =
        serde_json::json!({"commit": format!("{k:040x}"), "branch": branch, "dirty": false});
    let out = dir.join(format!("variant-{k}.json"));
    std::fs::write(&out, serde_json::to_string(&results).unwrap()).unwrap();
    out
}

#[test]
fn concurrent_writers_each_record_whole_runs() {
    let runs = lexicon();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh/history.db");
    let files: Vec<PathBuf> = (0..8)
        .map(|k| variant(&runs.noise[k % runs.noise.len()], dir.path(), k, "main"))
        .collect();
    // Eight processes at once on a database none of them has created yet, and two of them
    // recording the same run.
    let mut children: Vec<_> = files
        .iter()
        .chain(std::iter::once(&files[0]))
        .map(|file| {
            Command::new(BIN)
                .args(["history", "record", "--history-db", path(&db), path(file)])
                .env_remove("EVALGATE_HISTORY")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut already = 0;
    for child in children.drain(..) {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        already += usize::from(stdout.contains("is already in"));
    }
    assert_eq!(already, 1, "the duplicate is recorded once");
    let show = evalgate(
        dir.path(),
        &[
            "history",
            "show",
            "--history-db",
            path(&db),
            "--metric",
            "accuracy",
        ],
    );
    assert_eq!(show.code, 0, "{}", show.show());
    assert!(show.stdout.contains("8 runs, 1 series"), "{}", show.stdout);
    // Every run is whole: its metrics and its cases.
    let check = evalgate(
        dir.path(),
        &[
            "history",
            "check",
            "--history-db",
            path(&db),
            "--latency-ratio",
            "1000",
        ],
    );
    assert!(check.code <= 1, "{}", check.show());
    assert!(check.stdout.contains("against 5 runs"), "{}", check.show());
}

#[test]
fn plots_and_the_html_report_show_the_trends() {
    let runs = lexicon();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let all: Vec<&Path> = runs
        .noise
        .iter()
        .chain([&runs.degraded])
        .map(PathBuf::as_path)
        .collect();
    record(dir.path(), &db, &all);

    let svg = dir.path().join("trend.svg");
    let plot = evalgate(
        dir.path(),
        &[
            "history",
            "plot",
            "--history-db",
            path(&db),
            "--out",
            path(&svg),
        ],
    );
    assert_eq!(plot.code, 0, "{}", plot.show());
    assert!(
        plot.stdout.contains("4 series over 6 runs"),
        "{}",
        plot.show()
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&text).expect("the SVG is XML");
    let charts: Vec<(String, String)> = document
        .descendants()
        .filter(|n| n.has_attribute("data-metric"))
        .map(|n| {
            (
                n.attribute("data-suite").unwrap().to_string(),
                n.attribute("data-metric").unwrap().to_string(),
            )
        })
        .collect();
    let metrics: Vec<&str> = charts.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        metrics,
        ["accuracy", "f1_macro", "latency_p95_ms", "recall.negative"]
    );
    assert!(charts.iter().all(|(s, _)| s == "sentiment-lexicon"));
    let count = |class: &str| {
        document
            .descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    };
    assert_eq!(count("point"), 4 * 6, "a point per run and series");
    assert_eq!(count("band"), 3, "intervals for all but latency");
    assert_eq!(count("floor"), 3, "the floors near their values");
    assert_eq!(
        count("floor-off"),
        1,
        "latency's ceiling of 1000 ms is named, not drawn"
    );

    let html = dir.path().join("trend.html");
    let plot = evalgate(
        dir.path(),
        &[
            "history",
            "plot",
            "--history-db",
            path(&db),
            "--out",
            path(&html),
            "--metric",
            "accuracy",
        ],
    );
    assert_eq!(plot.code, 0, "{}", plot.show());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<section class=\"series\" id=\"series-0\" data-suite=\"sentiment-lexicon\" data-metric=\"accuracy\">"));
    assert!(page.contains("content=\"default-src 'none'"), "no network");
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"));
    assert_eq!(page.matches("<tr><td>").count(), 6, "a row per run");

    let md = dir.path().join("trend.md");
    let plot = evalgate(
        dir.path(),
        &[
            "history",
            "plot",
            "--history-db",
            path(&db),
            "--out",
            path(&md),
            "--last",
            "3",
        ],
    );
    assert_eq!(plot.code, 0, "{}", plot.show());
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert_eq!(
        markdown.matches("```mermaid\nxychart-beta\n").count(),
        4,
        "{markdown}"
    );
    assert!(markdown.contains("    y-axis \"accuracy\" "), "{markdown}");
    let values = markdown
        .lines()
        .filter(|l| l.starts_with("    line ["))
        .count();
    // A value line per chart, and a floor line where the floor is near the values; the latency
    // floor (≤ 1000 ms against values under a millisecond) is named instead of drawn.
    assert_eq!(values, 7, "{markdown}");
    assert!(
        markdown.contains("(the floor ≤ 1000 is off the chart)"),
        "{markdown}"
    );
    // Mermaid merges equal x-axis labels: each run's is its own.
    for axis in markdown.lines().filter(|l| l.starts_with("    x-axis [")) {
        let labels: Vec<&str> = axis.split("\", \"").collect();
        let mut unique = labels.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{axis}");
    }

    // The HTML report: a trend panel when a history exists, the page as before when not.
    let report = dir.path().join("report.html");
    let results = path(&runs.degraded);
    let with = evalgate(
        dir.path(),
        &[
            "report",
            results,
            "--html",
            path(&report),
            "--history-db",
            path(&db),
        ],
    );
    assert_eq!(with.code, 0, "{}", with.show());
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("<div class=\"panel trend-panel\" data-suite=\"sentiment-lexicon\">"));
    assert!(page.contains("Trend over the last 6 recorded runs"));
    assert!(
        page.contains(" · this run</title>"),
        "the run itself is marked"
    );
    let plain = dir.path().join("plain.html");
    let without = evalgate(
        dir.path(),
        &[
            "report",
            results,
            "--html",
            path(&plain),
            "--history-db",
            path(&dir.path().join("none.db")),
        ],
    );
    assert_eq!(without.code, 0, "{}", without.show());
    let expected = evalgate::report::html::render(
        &evalgate::results::RunResults::read(&runs.degraded).unwrap(),
    );
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), expected);
    assert!(
        !dir.path().join("none.db").exists(),
        "a report creates no database"
    );
}

#[test]
fn run_records_after_results_and_its_report_has_the_trend() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("tiny.toml");
    std::fs::write(
        &suite,
        scripted_suite(
            "tiny",
            &[
                ("a".to_string(), "label:positive", "positive"),
                ("b".to_string(), "label:negative", "positive"),
            ],
        ),
    )
    .unwrap();
    // The default database, under the folder the command runs in.
    for k in 0..2 {
        let report = dir.path().join(format!("report-{k}.html"));
        let run = evalgate(
            dir.path(),
            &[
                "run",
                path(&suite),
                "--out",
                path(&dir.path().join("r.json")),
                "--history",
                "--html",
                path(&report),
            ],
        );
        assert!(run.code <= 1, "{}", run.show());
        let lines: Vec<&str> = run.stdout.lines().collect();
        let results_at = lines
            .iter()
            .position(|l| l.starts_with("results: "))
            .unwrap();
        assert_eq!(
            lines[results_at + 1],
            "history: .evalgate/history.db",
            "{}",
            run.show()
        );
        let page = std::fs::read_to_string(&report).unwrap();
        assert_eq!(
            page.contains("trend-panel"),
            k == 1,
            "a trend from the second run on"
        );
    }
    assert!(dir.path().join(".evalgate/history.db").is_file());
    // EVALGATE_HISTORY names another database.
    let elsewhere = dir.path().join("elsewhere.db");
    let run = evalgate_with(
        dir.path(),
        &[
            "run",
            path(&suite),
            "--out",
            path(&dir.path().join("r.json")),
            "--history",
        ],
        &[("EVALGATE_HISTORY", path(&elsewhere))],
    );
    assert!(run.code <= 1, "{}", run.show());
    assert!(
        run.stdout.contains(&format!(
            "history: {} (from EVALGATE_HISTORY)",
            elsewhere.display()
        )),
        "{}",
        run.show()
    );
}

/// Every bad input: exit 2, a message naming the file or flag, and a hint.
#[test]
fn bad_input_is_named_with_the_next_step() {
    let runs = lexicon();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("history.db");
    let db_s = path(&db).to_string();
    let missing = d.join("missing.db");
    let missing_s = path(&missing).to_string();
    let results = path(&runs.noise[0]).to_string();
    let text_file = d.join("notes.txt");
    std::fs::write(&text_file, "not a database, not results").unwrap();
    let text_s = path(&text_file).to_string();
    // A database with the schema and no runs.
    let empty = d.join("empty.db");
    let empty_s = path(&empty).to_string();
    evalgate::history::History::open(&empty, true).unwrap();
    record(d, &db, &[&runs.noise[0], &runs.noise[1]]);

    let folder = d.join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let folder_s = path(&folder).to_string();
    let suite = repo("tests/fixtures/repeat/flaky.toml");
    let from_env = [("EVALGATE_HISTORY", missing_s.as_str())];
    // The arguments, the environment, the message and the hint.
    type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["history", "show", "--history-db", &missing_s],
            &[],
            "error: no history database at ",
            "record runs first with `evalgate run --history`",
        ),
        (
            vec!["history", "check"],
            &from_env,
            "(the path is EVALGATE_HISTORY's)",
            "--history-db PATH or EVALGATE_HISTORY",
        ),
        (
            vec!["history", "check", "--history-db", &empty_s],
            &[],
            "has no runs",
            "record runs with `evalgate run --history`",
        ),
        (
            vec!["history", "show", "--history-db", &text_s],
            &[],
            "file is not a database",
            "not an evalgate history (SQLite) database",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--suite",
                "sentiment",
            ],
            &[],
            "error: --suite sentiment: no recorded run has this suite",
            "the history has: sentiment-lexicon",
        ),
        (
            vec![
                "history",
                "show",
                "--history-db",
                &db_s,
                "--metric",
                "acuracy",
            ],
            &[],
            "error: --metric acuracy: no recorded run of any suite has this metric",
            "recorded metrics: accuracy, ",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--branch",
                "nope",
            ],
            &[],
            "error: no recorded run matches --branch nope",
            "the history has 2 runs from ",
        ),
        (
            vec![
                "history",
                "show",
                "--history-db",
                &db_s,
                "--since",
                "yesterday",
            ],
            &[],
            "invalid value 'yesterday' for '--since <TIME>'",
            "give a date (2026-11-29) or an RFC 3339 time",
        ),
        (
            vec![
                "history",
                "show",
                "--history-db",
                &db_s,
                "--since",
                "2026-02-01",
                "--until",
                "2026-01-01",
            ],
            &[],
            "error: --since is after --until",
            "swap them",
        ),
        (
            vec!["history", "check", "--history-db", &db_s, "--psi", "0"],
            &[],
            "error: --psi must be a positive number, not 0",
            "0.2 is the usual threshold",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--p-value",
                "1.5",
            ],
            &[],
            "error: --p-value must be between 0 and 1 (exclusive), not 1.5",
            "0.01 is the default",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--latency-ratio",
                "0.9",
            ],
            &[],
            "error: --latency-ratio must be a number above 1, not 0.9",
            "1.5 alerts when",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--latency-min-ms",
                "-1",
            ],
            &[],
            "error: --latency-min-ms must be 0 or more, not -1",
            "20 ignores the jitter",
        ),
        (
            vec!["history", "check", "--history-db", &db_s, "--window", "0"],
            &[],
            "invalid value '0' for '--window <K>'",
            "",
        ),
        (
            vec![
                "history",
                "check",
                "--history-db",
                &db_s,
                "--markdown",
                &folder_s,
            ],
            &[],
            "error: --markdown: cannot write ",
            "choose another place with --markdown PATH",
        ),
        (
            vec![
                "history",
                "plot",
                "--history-db",
                &db_s,
                "--out",
                "trend.png",
            ],
            &[],
            "error: --out trend.png: evalgate draws .svg, .html or .md files",
            "trend.svg, trend.html (a self-contained page) or trend.md",
        ),
        (
            vec!["history", "record", "--history-db", &db_s, "nowhere.json"],
            &[],
            "error: cannot read nowhere.json",
            "name a results.json that `evalgate run` wrote",
        ),
        (
            vec!["history", "record", "--history-db", &db_s, &text_s],
            &[],
            "is not an evalgate results.json",
            "name a results.json that `evalgate run` wrote",
        ),
        (
            vec!["history", "record", "--history-db", &folder_s, &results],
            &[],
            "is a folder",
            "name a file with --history-db PATH",
        ),
        (
            vec![
                "run",
                &suite,
                "--out",
                "r.json",
                "--history",
                "--history-db",
                &folder_s,
            ],
            &[],
            "is a folder",
            "name a file with --history-db PATH",
        ),
    ];
    for (args, env, message, hint) in cases {
        let out = evalgate_with(d, &args, env);
        assert_eq!(out.code, 2, "{args:?}\n{}", out.show());
        assert!(
            out.stderr.contains(message),
            "{args:?}: want {message:?}\n{}",
            out.show()
        );
        assert!(
            out.stderr.contains(hint),
            "{args:?}: want hint {hint:?}\n{}",
            out.show()
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?}: nothing on stdout\n{}",
            out.show()
        );
    }
    // Nothing was written by the refused commands.
    assert!(!missing.exists() && !d.join("trend.png").exists() && !d.join("r.json").exists());
    let show = evalgate(
        d,
        &[
            "history",
            "show",
            "--history-db",
            &db_s,
            "--metric",
            "accuracy",
        ],
    );
    assert!(show.stdout.contains("2 runs, 1 series"), "{}", show.show());
}
