//! evalgate's statistics (`src/stats.rs`) against scipy 1.17.1, statsmodels 0.15.0 and numpy
//! 2.4.6 on the same inputs, and against 60-digit mpmath values where the libraries themselves
//! round.
//!
//! `tests/oracles/stats_cases.jsonl` is written by `tests/oracles/stats_oracle.py` (the
//! command to regenerate it is at its top). The tolerances:
//!
//! - `wilson`: 1e-12 absolute against statsmodels' `proportion_confint(method="wilson")`;
//! - `mcnemar_exact`: 1e-9 relative against statsmodels' `mcnemar(exact=True)` for p-values of
//!   1e-300 and more (below, scipy flushes its binomial CDF to 0 before statsmodels doubles
//!   it), and against the exact value everywhere: 1e-9 relative, plus one subnormal step
//!   (2^-1074) where the exact value is subnormal; 0 only where the exact value is 0;
//! - `normal_quantile`: 1e-15 relative against scipy's `norm.ppf` and against the exact value;
//! - `percentile`, the generator and the bootstrap: bit for bit (numpy's `quantile` and a
//!   Python transliteration of the generator).
//!
//! Run with `--nocapture` to see the largest error of each kind.

use evalgate::stats::{
    Rng, bootstrap_interval, mcnemar_exact, normal_quantile, paired_bootstrap_delta, percentile,
    wilson,
};
#[path = "support/oracle_json.rs"]
mod oracle_json;

use serde_json::Value;

fn cases(kind: &str) -> Vec<Value> {
    oracle_json::oracle_cases("stats_cases.jsonl", kind)
}

fn f(case: &Value, key: &str) -> f64 {
    oracle_json::float(case, key)
}

fn u(case: &Value, key: &str) -> u64 {
    case[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key}: not an unsigned integer in {case}"))
}

fn floats(case: &Value, key: &str) -> Vec<f64> {
    case[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: not an array in {case}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// `|got − want| / |want|`, and 0 for two equal values (zeros included).
fn relative(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs()
    }
}

/// Collects every failure, so that one run shows all of them.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }

    fn finish(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{what}: {} failures:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

#[test]
fn wilson_matches_statsmodels() {
    let mut failures = Failures::default();
    let mut max_error = 0.0f64;
    for case in cases("wilson") {
        let (successes, trials) = (u(&case, "successes"), u(&case, "trials"));
        let confidence = f(&case, "confidence");
        let (low, high) = wilson(successes, trials, confidence).expect("an interval");
        for (name, got, want) in [
            ("low", low, f(&case, "low")),
            ("high", high, f(&case, "high")),
        ] {
            let error = (got - want).abs();
            max_error = max_error.max(error);
            failures.check(error <= 1e-12, || {
                format!("wilson({successes}, {trials}, {confidence}).{name}: {got:?}, statsmodels {want:?}")
            });
        }
    }
    println!("wilson: largest absolute error against statsmodels {max_error:e}");
    failures.finish("wilson");
}

#[test]
fn mcnemar_matches_statsmodels_and_the_exact_value() {
    let mut failures = Failures::default();
    let (mut max_statsmodels, mut max_exact) = (0.0f64, 0.0f64);
    for case in cases("mcnemar") {
        let (b, c) = (u(&case, "b"), u(&case, "c"));
        let got = mcnemar_exact(b, c);
        let statsmodels = f(&case, "pvalue");
        if statsmodels >= 1e-300 {
            let error = relative(got, statsmodels);
            max_statsmodels = max_statsmodels.max(error);
            failures.check(error <= 1e-9, || {
                format!("mcnemar_exact({b}, {c}) = {got:e}, statsmodels {statsmodels:e} (relative error {error:e})")
            });
        }
        let exact = f(&case, "exact");
        let tolerance = if exact >= f64::MIN_POSITIVE {
            let error = relative(got, exact);
            max_exact = max_exact.max(error);
            1e-9 * exact
        } else {
            // Subnormal: one step of 2^-1074 more.
            1e-9 * exact + f64::from_bits(1)
        };
        failures.check((got - exact).abs() <= tolerance, || {
            format!("mcnemar_exact({b}, {c}) = {got:e}, exact {exact:e}")
        });
        failures.check(got != 0.0 || exact == 0.0, || {
            format!("mcnemar_exact({b}, {c}) = 0, exact {exact:e}")
        });
    }
    println!(
        "mcnemar_exact: largest relative error against statsmodels (p >= 1e-300) \
         {max_statsmodels:e}, against the exact value (normal range) {max_exact:e}"
    );
    failures.finish("mcnemar_exact");
}

#[test]
fn normal_quantile_matches_scipy_and_the_exact_value() {
    let mut failures = Failures::default();
    let (mut max_scipy, mut max_exact) = (0.0f64, 0.0f64);
    for case in cases("quantile") {
        let p = f(&case, "p");
        let got = normal_quantile(p);
        for (source, want, max) in [
            ("scipy", f(&case, "z"), &mut max_scipy),
            ("exact", f(&case, "exact"), &mut max_exact),
        ] {
            let error = relative(got, want);
            *max = max.max(error);
            failures.check(error <= 1e-15, || {
                format!(
                    "normal_quantile({p:e}) = {got:?}, {source} {want:?} (relative error {error:e})"
                )
            });
        }
    }
    println!(
        "normal_quantile: largest relative error against scipy {max_scipy:e}, against the \
         exact value {max_exact:e}"
    );
    failures.finish("normal_quantile");
}

#[test]
fn percentile_matches_numpy_bit_for_bit() {
    let mut failures = Failures::default();
    for case in cases("percentile") {
        let values = floats(&case, "values");
        for (q, want) in floats(&case, "qs")
            .into_iter()
            .zip(floats(&case, "expected"))
        {
            let got = percentile(&values, q);
            failures.check(got.to_bits() == want.to_bits(), || {
                format!(
                    "percentile(<{} values>, {q:?}) = {got:?}, numpy {want:?}",
                    values.len()
                )
            });
        }
    }
    failures.finish("percentile");
}

#[test]
fn rng_matches_the_reference_transliteration() {
    let mut failures = Failures::default();
    for case in cases("rng") {
        let seed = u(&case, "seed");
        let mut rng = Rng::new(seed);
        if let Some(expected) = case.get("next_u64") {
            let got: Vec<u64> = (0..expected.as_array().unwrap().len())
                .map(|_| rng.next_u64())
                .collect();
            let want: Vec<u64> = serde_json::from_value(expected.clone()).unwrap();
            failures.check(got == want, || {
                format!("seed {seed:#x}: next_u64 {got:x?}, expected {want:x?}")
            });
        } else {
            let Ok(n) = usize::try_from(u(&case, "below")) else {
                continue; // a range wider than this platform's usize
            };
            let want: Vec<usize> = serde_json::from_value(case["values"].clone()).unwrap();
            let got: Vec<usize> = (0..want.len()).map(|_| rng.below(n)).collect();
            failures.check(got == want, || {
                format!("seed {seed:#x}: below({n}) {got:?}, expected {want:?}")
            });
        }
    }
    failures.finish("rng");
}

/// The mean of `data` over `indices`: sums of whole numbers, exact, so the same f64 as the
/// oracle's.
fn mean(data: &[f64], indices: &[usize]) -> f64 {
    indices.iter().map(|&i| data[i]).sum::<f64>() / indices.len() as f64
}

#[test]
fn bootstrap_matches_the_oracle_bit_for_bit() {
    let mut failures = Failures::default();
    for case in cases("bootstrap") {
        let data = floats(&case, "data");
        let (resamples, confidence, seed) = (
            u(&case, "resamples") as usize,
            f(&case, "confidence"),
            u(&case, "seed"),
        );
        let got = bootstrap_interval(data.len(), resamples, confidence, seed, |ix| {
            mean(&data, ix)
        });
        let want = Some((f(&case, "low"), f(&case, "high")));
        failures.check(got == want, || {
            format!(
                "bootstrap of the mean of {} values ({resamples}, {confidence}, {seed:#x}): \
                 {got:?}, expected {want:?}",
                data.len()
            )
        });
    }
    for case in cases("paired_bootstrap") {
        let (base, head) = (floats(&case, "base"), floats(&case, "head"));
        let (resamples, confidence, seed) = (
            u(&case, "resamples") as usize,
            f(&case, "confidence"),
            u(&case, "seed"),
        );
        let got = paired_bootstrap_delta(base.len(), resamples, confidence, seed, |ix| {
            (mean(&base, ix), mean(&head, ix))
        });
        let want = Some((f(&case, "low"), f(&case, "high")));
        failures.check(got == want, || {
            format!("paired bootstrap ({resamples}, {confidence}, {seed:#x}): {got:?}, expected {want:?}")
        });
    }
    failures.finish("bootstrap");
}
