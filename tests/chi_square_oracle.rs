//! The incomplete gamma functions, the chi-square tail, Pearson's test of homogeneity and the
//! population stability index (`src/stats/gamma.rs`) against scipy 1.17.1 and 60-digit mpmath
//! values on the same inputs.
//!
//! `tests/oracles/chi_square_cases.jsonl` is written by `tests/oracles/chi_square_oracle.py`
//! (the command to regenerate it is at its top). The tolerances, relative:
//!
//! - `regularized_gamma_p` and `regularized_gamma_q` against the exact values: 1e-13 plus
//!   5e-16 per unit of the prefactor's exponent `|a ln(x/a) + a − x|` (a double holds that
//!   exponent to about 1e-16 of itself, so no implementation can do much better; scipy's own
//!   errors are printed beside), on every value that is not subnormal; 1e-11 more for shapes
//!   `a` below 1/2 (where a small Q beside x = 1 is 1 − P), which no chi-square test uses;
//! - against scipy itself: within the sum of both libraries' bounds, i.e. twice the above,
//!   where scipy's own value is that close to the exact one;
//! - `chi_square_sf`: as `Q`, against the exact value, and twice that against scipy's
//!   `chi2.sf`;
//! - `chi_square_homogeneity`: the statistic 1e-12, the p-value 1e-12, df exactly;
//! - `population_stability_index`: 1e-12.
//!
//! Run with `--nocapture` to see the largest error of each kind.

use evalgate::stats::{
    chi_square_homogeneity, chi_square_sf, population_stability_index, regularized_gamma_p,
    regularized_gamma_q,
};
#[path = "support/oracle_json.rs"]
mod oracle_json;

use serde_json::Value;

fn cases(kind: &str) -> Vec<Value> {
    oracle_json::oracle_cases("chi_square_cases.jsonl", kind)
}

fn f(case: &Value, key: &str) -> f64 {
    oracle_json::float(case, key)
}

fn counts(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

fn relative(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs()
    }
}

/// The relative error allowed at `(a, x)`: the rounding of the prefactor's exponent, which
/// grows with its size, on top of a few ulps.
fn tolerance(a: f64, x: f64) -> f64 {
    let exponent = (a * (x / a).ln() + a - x).abs();
    // Below a = 1/2 (no chi-square test has a shape below it), Q near x = 1 comes from 1 − P
    // and keeps fewer digits when it is small.
    let small_shape = if a < 0.5 { 1e-11 } else { 0.0 };
    1e-13 + 5e-16 * exponent + small_shape
}

/// Whether a value has lost digits to the subnormal range (or is 0 there).
fn subnormal(value: f64) -> bool {
    value != 0.0 && value.abs() < f64::MIN_POSITIVE
}

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

/// The largest error seen, in units of the tolerance, with where it was.
#[derive(Default)]
struct Worst {
    ratio: f64,
    error: f64,
    at: String,
}

impl Worst {
    fn see(&mut self, error: f64, tolerance: f64, at: impl FnOnce() -> String) {
        if error / tolerance > self.ratio {
            *self = Worst {
                ratio: error / tolerance,
                error,
                at: at(),
            };
        }
    }
}

#[test]
fn incomplete_gamma_matches_mpmath_and_scipy() {
    let mut failures = Failures::default();
    let (mut exact_worst, mut scipy_worst, mut scipy_own) =
        (Worst::default(), Worst::default(), Worst::default());
    for case in cases("gamma") {
        let (a, x) = (f(&case, "a"), f(&case, "x"));
        let tolerance = tolerance(a, x);
        for (name, got, exact, scipy) in [
            (
                "P",
                regularized_gamma_p(a, x),
                f(&case, "exact_p"),
                f(&case, "p"),
            ),
            (
                "Q",
                regularized_gamma_q(a, x),
                f(&case, "exact_q"),
                f(&case, "q"),
            ),
        ] {
            if subnormal(exact) || (exact == 0.0 && subnormal(got)) {
                continue;
            }
            let error = relative(got, exact);
            exact_worst.see(error, tolerance, || format!("{name}({a}, {x})"));
            failures.check(error <= tolerance, || {
                format!(
                    "{name}({a:?}, {x:?}) = {got:?}, exact {exact:?}: relative error {error:e} > {tolerance:e}"
                )
            });
            // scipy where scipy itself is within the bound of the exact value.
            let scipy_error = relative(scipy, exact);
            scipy_own.see(scipy_error, tolerance, || format!("{name}({a}, {x})"));
            if scipy_error <= tolerance {
                let error = relative(got, scipy);
                scipy_worst.see(error, tolerance, || format!("{name}({a}, {x})"));
                failures.check(error <= 2.0 * tolerance, || {
                    format!("{name}({a:?}, {x:?}) = {got:?}, scipy {scipy:?}: {error:e}")
                });
            }
        }
    }
    for (what, worst) in [
        ("evalgate against the exact values", exact_worst),
        ("evalgate against scipy", scipy_worst),
        ("scipy against the exact values", scipy_own),
    ] {
        println!(
            "{what}: largest error {:e} ({:.2} of the tolerance) at {}",
            worst.error, worst.ratio, worst.at
        );
    }
    failures.finish("incomplete gamma");
}

#[test]
fn chi_square_tail_matches_scipy() {
    let mut failures = Failures::default();
    let (mut exact_worst, mut scipy_worst) = (Worst::default(), Worst::default());
    for case in cases("chi2_sf") {
        let (x, df) = (f(&case, "x"), f(&case, "df"));
        let got = chi_square_sf(x, df);
        let tolerance = tolerance(df / 2.0, x / 2.0);
        for (what, want, allowed, worst) in [
            ("exact", f(&case, "exact"), tolerance, &mut exact_worst),
            ("scipy", f(&case, "sf"), 2.0 * tolerance, &mut scipy_worst),
        ] {
            if subnormal(want) {
                continue;
            }
            let error = relative(got, want);
            worst.see(error, tolerance, || format!("sf({x}, {df})"));
            failures.check(error <= allowed, || {
                format!("chi_square_sf({x:?}, {df}) = {got:?}, {what} {want:?}: {error:e}")
            });
        }
    }
    for (what, worst) in [("exact values", exact_worst), ("scipy values", scipy_worst)] {
        println!(
            "chi2.sf against the {what}: largest error {:e} ({:.2} of the tolerance) at {}",
            worst.error, worst.ratio, worst.at
        );
    }
    failures.finish("chi_square_sf");
}

#[test]
fn homogeneity_test_matches_chi2_contingency() {
    let mut failures = Failures::default();
    for case in cases("contingency") {
        let table: Vec<Vec<u64>> = case["table"]
            .as_array()
            .unwrap()
            .iter()
            .map(counts)
            .collect();
        let test = chi_square_homogeneity(&table).expect("a test");
        let (statistic, p_value) = (f(&case, "statistic"), f(&case, "p_value"));
        failures.check(test.df as u64 == case["df"].as_u64().unwrap(), || {
            format!("{table:?}: df {}, scipy {}", test.df, case["df"])
        });
        failures.check(
            (test.statistic - statistic).abs() <= 1e-12 * statistic.max(1.0),
            || format!("{table:?}: statistic {}, scipy {statistic}", test.statistic),
        );
        failures.check(relative(test.p_value, p_value) <= 1e-12, || {
            format!("{table:?}: p {:e}, scipy {p_value:e}", test.p_value)
        });
    }
    failures.finish("chi-square homogeneity");
}

#[test]
fn stability_index_matches_numpy() {
    let mut failures = Failures::default();
    for case in cases("psi") {
        let (expected, actual) = (counts(&case["expected"]), counts(&case["actual"]));
        let got = population_stability_index(&expected, &actual).expect("an index");
        let want = f(&case, "psi");
        failures.check((got - want).abs() <= 1e-12 * want.max(1.0), || {
            format!("psi({expected:?}, {actual:?}) = {got}, numpy {want}")
        });
    }
    failures.finish("population stability index");
}
