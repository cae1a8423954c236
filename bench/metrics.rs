//! Benchmark: build a `Confusion` from 1,000,000 (truth, prediction) pairs over 3 labels and
//! compute `classification_metrics`. Prints the median and minimum wall time over several
//! iterations. Run with `cargo bench --bench metrics`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use evalgate::metrics::{Confusion, classification_metrics};

const PAIRS: usize = 1_000_000;
const ITERATIONS: usize = 15;
const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// xorshift64 (Marsaglia 2003), fixed seed: the same pairs on every run.
struct XorShift64(u64);

impl XorShift64 {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// 70% correct, 25% another label, 5% `<invalid>`.
fn pairs() -> Vec<(usize, Option<usize>)> {
    let mut rng = XorShift64(0x9E37_79B9_7F4A_7C15);
    (0..PAIRS)
        .map(|_| {
            let truth = (rng.next() % 3) as usize;
            let roll = rng.next() % 100;
            let predicted = match roll {
                0..70 => Some(truth),
                70..95 => Some((truth + 1 + (rng.next() % 2) as usize) % 3),
                _ => None,
            };
            (truth, predicted)
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let pairs = pairs();
    let labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let mut times = Vec::with_capacity(ITERATIONS);
    let mut accuracy = 0.0;
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let mut confusion = Confusion::new(labels.clone());
        for &(truth, predicted) in black_box(&pairs) {
            confusion.add(truth, predicted);
        }
        let metrics = classification_metrics(black_box(&confusion), Some(2));
        times.push(start.elapsed());
        accuracy = black_box(metrics).accuracy;
    }
    times.sort();
    println!(
        "metrics: {PAIRS} pairs, 3 labels, {ITERATIONS} iterations: median {:.3} ms, min {:.3} ms (accuracy {accuracy:.4})",
        ms(times[ITERATIONS / 2]),
        ms(times[0]),
    );
}
