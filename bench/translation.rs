//! Benchmark: corpus BLEU + chrF + TER over 2,000 sentence pairs, against sacreBLEU's own time
//! on the same pairs. Run with `cargo bench --bench translation`.
//!
//! The pairs are the two 2,000-sentence corpora of the sacreBLEU fixtures, whose scores the
//! oracle tests check: `corpus_2000` of tests/fixtures/sacrebleu/cases_bleu_chrf.jsonl (English
//! words, 12 per sentence on average) and of cases_ter.jsonl (made-up accented words, 20 per
//! sentence; TER's cost grows faster than the length). evalgate scores each ITERATIONS times in
//! this process; `bench/sacrebleu_time.py` scores it as many times with sacreBLEU in Python
//! (`$SACREBLEU_PYTHON`, default `python3`), timing only the scoring. Both print the median; the
//! ratio is sacreBLEU's median over evalgate's. The scores must agree to 1e-9.

use evalgate::metrics::translation::{corpus_bleu, corpus_chrf, corpus_ter};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CORPORA: [&str; 2] = [
    "tests/fixtures/sacrebleu/cases_bleu_chrf.jsonl",
    "tests/fixtures/sacrebleu/cases_ter.jsonl",
];
const CORPUS_ID: &str = "corpus_2000";
const ITERATIONS: usize = 5;

/// The corpus in sacreBLEU's layout: hypotheses and reference streams.
fn corpus(cases: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(cases).expect("run from the repository root");
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|case| case["id"] == CORPUS_ID)
        .unwrap_or_else(|| panic!("{cases} has no case {CORPUS_ID}"))
}

fn strings(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// sacreBLEU's reference streams as evalgate takes them: per hypothesis, the references present
/// (a `null` in a stream is a missing reference).
fn per_hypothesis(streams: &serde_json::Value, hypotheses: usize) -> Vec<Vec<&str>> {
    let streams = streams.as_array().unwrap();
    (0..hypotheses)
        .map(|i| {
            streams
                .iter()
                .filter_map(|stream| stream[i].as_str())
                .collect()
        })
        .collect()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    for (index, cases) in CORPORA.iter().enumerate() {
        println!("{CORPUS_ID} of {cases}:");
        compare(&corpus(cases), index);
    }
}

/// Times both on one corpus and prints the figures; exits if sacreBLEU cannot be run.
fn compare(corpus: &serde_json::Value, index: usize) {
    let hypotheses = strings(&corpus["hyps"]);
    let references = per_hypothesis(&corpus["refs"], hypotheses.len());
    let pairs = hypotheses.len();

    let mut times = Vec::with_capacity(ITERATIONS);
    let mut scores = (0.0, 0.0, 0.0);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        scores = (
            corpus_bleu(black_box(&hypotheses), black_box(&references)).score,
            corpus_chrf(black_box(&hypotheses), black_box(&references), 0),
            corpus_ter(black_box(&hypotheses), black_box(&references)).score,
        );
        times.push(ms(started.elapsed()));
    }
    let ours = median(times.clone());
    println!(
        "  evalgate:  BLEU + chrF + TER over {pairs} pairs: median {ours:.1} ms, min {:.1} ms \
         (BLEU {:.4}, chrF {:.4}, TER {:.4})",
        times.iter().copied().fold(f64::INFINITY, f64::min),
        scores.0,
        scores.1,
        scores.2
    );

    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    let scratch = Path::new(&target).join("bench/translation");
    std::fs::create_dir_all(&scratch).unwrap();
    let file = scratch.join(format!("corpus-{index}.json"));
    std::fs::write(&file, corpus.to_string()).unwrap();
    let python = std::env::var("SACREBLEU_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .arg("bench/sacrebleu_time.py")
        .arg(&file)
        .arg(ITERATIONS.to_string())
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        other => {
            let why = match other {
                Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
                Err(error) => error.to_string(),
            };
            eprintln!(
                "sacreBLEU could not be timed with `{python}`: {why}\n\
                 set SACREBLEU_PYTHON to a Python with sacrebleu 2.6.0, e.g.\n  \
                 python3 -m venv ../.oracle-venv && \
                 ../.oracle-venv/bin/pip install -r tests/oracles/requirements.txt\n  \
                 SACREBLEU_PYTHON=../.oracle-venv/bin/python cargo bench --bench translation"
            );
            std::process::exit(1);
        }
    };
    let theirs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let their_times: Vec<f64> = theirs["times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    let their_median = median(their_times);
    println!(
        "  sacreBLEU {}: median {their_median:.1} ms (BLEU {:.4}, chrF {:.4}, TER {:.4})",
        theirs["sacrebleu"].as_str().unwrap_or("?"),
        theirs["bleu"].as_f64().unwrap(),
        theirs["chrf"].as_f64().unwrap(),
        theirs["ter"].as_f64().unwrap()
    );
    for (name, ours, theirs) in [
        ("BLEU", scores.0, &theirs["bleu"]),
        ("chrF", scores.1, &theirs["chrf"]),
        ("TER", scores.2, &theirs["ter"]),
    ] {
        let theirs = theirs.as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= 1e-9,
            "{name} differs: evalgate {ours}, sacreBLEU {theirs}"
        );
    }
    println!(
        "  ratio: evalgate is {:.1}x faster (target: at least 10x)",
        their_median / ours
    );
}
