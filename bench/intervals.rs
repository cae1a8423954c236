//! Benchmark: the confidence intervals of a classify suite's metrics (Wilson for proportions,
//! a 1,000-resample bootstrap rescoring the suite for the rest), for suites of 417 (the example
//! sentiment suite's size), 10,000 and 100,000 cases over 3 labels; and of a translate suite of
//! 2,000 segments. Prints the median and minimum wall time of 5 runs each. Run with
//! `cargo bench --bench intervals`.

use evalgate::metrics::resample::{Observation, Observations};
use evalgate::metrics::translation::SegmentScorer;
use evalgate::suite::Task;
use std::hint::black_box;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn classify(cases: usize) -> Observations {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let observations = (0..cases)
        .map(|_| {
            let expected = (next() % 3) as usize;
            let predicted = match next() % 100 {
                0..70 => Some(expected),
                70..95 => Some((expected + 1) % 3),
                _ => None,
            };
            Observation::Label {
                expected,
                predicted,
            }
        })
        .collect();
    Observations {
        task: Task::Classify,
        labels: vec!["negative".into(), "neutral".into(), "positive".into()],
        positive_label: None,
        cases: observations,
        repeats: Vec::new(),
    }
}

fn translate(segments: usize) -> Observations {
    let words = [
        "le",
        "chat",
        "est",
        "sur",
        "la",
        "table",
        "il",
        "fait",
        "beau",
        "aujourd'hui",
        "nous",
        "partons",
        "demain",
        "matin",
        "pour",
        "Paris",
    ];
    let mut scorer = SegmentScorer::default();
    let cases = (0..segments)
        .map(|i| {
            let sentence = |offset: usize, length: usize| -> String {
                (0..length)
                    .map(|k| words[(i * 7 + k * 3 + offset) % words.len()])
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let (hypothesis, reference) = (sentence(0, 8 + i % 9), sentence(i % 2, 9 + i % 7));
            Observation::Checked {
                passed: i % 3 != 0,
                segment: Some(Box::new(scorer.segment(&hypothesis, &[&reference]))),
            }
        })
        .collect();
    Observations {
        task: Task::Translate,
        labels: Vec::new(),
        positive_label: None,
        cases,
        repeats: Vec::new(),
    }
}

fn time(what: &str, observations: &Observations) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(observations.intervals(0.95));
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{what:<34} median {:>9.1} ms   min {:>9.1} ms",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}

fn main() {
    time("classify, 417 cases", &classify(417));
    time("classify, 10,000 cases", &classify(10_000));
    time("classify, 100,000 cases", &classify(100_000));
    time("translate, 2,000 segments", &translate(2_000));
}
