//! The regularized incomplete gamma functions, the chi-square distribution's tail built on
//! them, Pearson's chi-square test of homogeneity and the population stability index: what
//! `evalgate history check` needs to say whether a classifier's label distribution moved.
//!
//! Checked against scipy (`gammainc`, `gammaincc`, `chi2.sf`, `chi2_contingency`) and against
//! 60-digit mpmath values by `tests/chi_square_oracle.rs`, with fixtures written by
//! `tests/oracles/chi_square_oracle.py`.
//!
//! # Method
//!
//! `P(a, x) = γ(a, x) / Γ(a)` and `Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x)`, for `a > 0`,
//! `x >= 0`. Both are a prefactor `x^a e^−x / Γ(a)` times a sum that converges fast on one side
//! of `x = a + 1`:
//!
//! - `x < a + 1`: the power series `P = x^a e^−x / Γ(a + 1) · Σ x^n / ((a + 1) ⋯ (a + n))`,
//!   whose terms fall once `a + n > x`, i.e. at once; then `Q = 1 − P`;
//! - `x >= a + 1`: Legendre's continued fraction for `Q`, evaluated by the modified Lentz
//!   method; then `P = 1 − Q`.
//!
//! On each side the function computed directly is the smaller or of moderate size, and the
//! complement is at least about 0.08 for `a >= 1/2` (every chi-square with one degree of
//! freedom or more), so neither loses relative accuracy by the subtraction.
//!
//! The prefactor is where naive code loses digits: `a ln x − x − ln Γ(a)` subtracts numbers
//! of size `a ln a` to leave a small one when `x` is near `a`. It is computed instead as
//! `sqrt(a / 2π) · exp(−D(a, x) − δ(a))`, with `D(a, x) = a ln(a / x) + x − a` evaluated by a
//! series without cancellation for `x` within a factor 3 of `a` (the deviance term of the
//! binomial code above) and
//! `δ(a)` Stirling's remainder (`ln Γ(a + 1) = (a + ½) ln a − a + ½ ln 2π + δ(a)`), a small
//! number computed by its asymptotic series at `a >= 16` and, below, by the recurrence
//! `δ(a) = δ(a + 1) + (a + ½) ln(1 + 1/a) − 1`. Every piece is small or the size of the
//! result's own logarithm, so the prefactor has the accuracy the logarithm allows.
//!
//! The series and the fraction need about `10 √a` steps when `x` is near `a` and far fewer
//! elsewhere: thousands at `a = 10⁶`, a handful for the chi-square tests of a few labels.

use super::{deviance_within, stirling_series};
use std::f64::consts::PI;

/// Relative size of the last term or factor at which a sum or fraction stops.
const EPSILON: f64 = 1e-17;
/// Stops runaway loops on arguments far outside the tested range (never reached for
/// `a <= 10⁸`, where convergence takes some 10⁵ steps).
const MAX_STEPS: usize = 10_000_000;
/// Lentz's guard against a zero denominator.
const TINY: f64 = 1e-300;

/// The regularized lower incomplete gamma function `P(a, x) = γ(a, x) / Γ(a)`, as scipy's
/// `gammainc(a, x)`: the probability that a gamma variable of shape `a` (scale 1) is at most
/// `x`. NaN for `a <= 0`, `x < 0` or NaN arguments; 0 at `x = 0`, 1 at `x = ∞`.
pub fn regularized_gamma_p(a: f64, x: f64) -> f64 {
    match split(a, x) {
        Split::Invalid => f64::NAN,
        Split::Zero => 0.0,
        Split::Infinite => 1.0,
        Split::Series(p) => p,
        Split::Fraction(q) => 1.0 - q,
    }
}

/// The regularized upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x)`,
/// as scipy's `gammaincc(a, x)`, accurate in relative terms however small it gets (down to
/// the subnormal range). NaN for `a <= 0`, `x < 0` or NaN arguments; 1 at `x = 0`, 0 at
/// `x = ∞`.
pub fn regularized_gamma_q(a: f64, x: f64) -> f64 {
    match split(a, x) {
        Split::Invalid => f64::NAN,
        Split::Zero => 1.0,
        Split::Infinite => 0.0,
        Split::Series(p) => 1.0 - p,
        Split::Fraction(q) => q,
    }
}

/// The survival function of the chi-square distribution with `df` degrees of freedom at
/// `statistic`: `P(X >= statistic)`, the p-value of a chi-square test, as scipy's
/// `chi2.sf(statistic, df)`. It is `Q(df / 2, statistic / 2)`; 1 for a statistic of 0 or less,
/// NaN for `df <= 0` or NaN arguments.
pub fn chi_square_sf(statistic: f64, df: f64) -> f64 {
    if statistic.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if statistic <= 0.0 {
        return 1.0;
    }
    regularized_gamma_q(df / 2.0, statistic / 2.0)
}

/// Which side of `x = a + 1` the arguments fall on, with the value computed there.
enum Split {
    Invalid,
    Zero,
    Infinite,
    /// `P(a, x)` by the power series.
    Series(f64),
    /// `Q(a, x)` by the continued fraction.
    Fraction(f64),
}

fn split(a: f64, x: f64) -> Split {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 || a.is_infinite() {
        return Split::Invalid;
    }
    if x == 0.0 {
        return Split::Zero;
    }
    if x.is_infinite() {
        return Split::Infinite;
    }
    if x < a + 1.0 {
        Split::Series(lower_series(a, x))
    } else {
        Split::Fraction(upper_fraction(a, x))
    }
}

/// `x^a e^−x / Γ(a)`, as `sqrt(a / 2π) exp(−D(a, x) − δ(a))` (see the module's notes).
fn prefactor(a: f64, x: f64) -> f64 {
    (a / (2.0 * PI)).sqrt() * (-deviance_within(a, x, 0.5) - stirling_remainder(a)).exp()
}

/// `P(a, x)` for `x < a + 1`: `x^a e^−x / Γ(a) · (1/a) Σ_n x^n / ((a + 1) ⋯ (a + n))`.
fn lower_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = a;
    for _ in 0..MAX_STEPS {
        n += 1.0;
        term *= x / n;
        sum += term;
        if term < sum * EPSILON {
            break;
        }
    }
    (prefactor(a, x) * sum / a).min(1.0)
}

/// `Q(a, x)` for `x >= a + 1`: `x^a e^−x / Γ(a)` times Legendre's continued fraction
/// `1 / (x + 1 − a − 1 (1 − a) / (x + 3 − a − 2 (2 − a) / (x + 5 − a − ⋯)))`, by the modified
/// Lentz method.
fn upper_fraction(a: f64, x: f64) -> f64 {
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut fraction = d;
    for i in 1..MAX_STEPS {
        let i = i as f64;
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        fraction *= step;
        if (step - 1.0).abs() < EPSILON * 4.0 {
            break;
        }
    }
    (prefactor(a, x) * fraction).min(1.0)
}

/// Stirling's remainder `δ(a) = ln Γ(a + 1) − (a + ½) ln a + a − ½ ln 2π` for any real
/// `a > 0`: the asymptotic series from 16 up (truncated below 1.1e-16), and below it the recurrence
/// `δ(a) = δ(a + 1) + (a + ½) ln(1 + 1/a) − 1`, whose terms are small positive numbers.
fn stirling_remainder(a: f64) -> f64 {
    let mut z = a;
    let mut sum = 0.0;
    while z < 16.0 {
        sum += (z + 0.5) * (1.0 / z).ln_1p() - 1.0;
        z += 1.0;
    }
    sum + stirling_series(z)
}

/// Pearson's chi-square test of homogeneity on a table of counts: do the rows (e.g. the
/// baseline runs' predictions and the latest run's) come from one distribution over the
/// columns (the labels)?
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// `Σ (observed − expected)² / expected`, the expected counts from the margins.
    pub statistic: f64,
    /// `(rows − 1)(columns − 1)`, counting only columns with a count in some row.
    pub df: usize,
    /// [`chi_square_sf`]`(statistic, df)`; 1 when `df` is 0.
    pub p_value: f64,
}

/// Pearson's chi-square test of homogeneity (no continuity correction), as scipy's
/// `chi2_contingency(table, correction=False)` on the table without its all-zero columns.
/// Columns empty in every row are left out (scipy refuses them); a table with fewer than two
/// rows, or a row without counts, gives None. One remaining column gives a statistic of 0,
/// `df` 0 and a p-value of 1.
pub fn chi_square_homogeneity(table: &[Vec<u64>]) -> Option<ChiSquare> {
    let columns = table.iter().map(Vec::len).max().unwrap_or(0);
    let count = |row: &Vec<u64>, j: usize| row.get(j).copied().unwrap_or(0) as f64;
    let row_totals: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    if table.len() < 2 || row_totals.contains(&0.0) {
        return None;
    }
    let column_totals: Vec<f64> = (0..columns)
        .map(|j| table.iter().map(|r| count(r, j)).sum())
        .collect();
    let total: f64 = row_totals.iter().sum();
    let used: Vec<usize> = (0..columns).filter(|j| column_totals[*j] > 0.0).collect();
    let mut statistic = 0.0;
    for (row, row_total) in table.iter().zip(&row_totals) {
        for &j in &used {
            let expected = row_total * column_totals[j] / total;
            let difference = count(row, j) - expected;
            statistic += difference * difference / expected;
        }
    }
    let df = (table.len() - 1) * used.len().saturating_sub(1);
    let p_value = if df == 0 {
        1.0
    } else {
        chi_square_sf(statistic, df as f64)
    };
    Some(ChiSquare {
        statistic: if df == 0 { 0.0 } else { statistic },
        df,
        p_value,
    })
}

/// The count a category gets added in both distributions of [`population_stability_index`],
/// so that a label never seen on one side gives a finite index (a Jeffreys-style half count).
pub const PSI_SMOOTHING: f64 = 0.5;

/// The population stability index of a distribution `actual` against a `expected` one, both
/// as counts over the same categories: `Σ (a_i − e_i) ln(a_i / e_i)` over the proportions, each
/// count first increased by [`PSI_SMOOTHING`]. 0 for the same proportions; by the usual rule
/// of thumb below 0.1 is stable, 0.1 to 0.2 a moderate shift and above 0.2 a large one.
/// None when either side has no counts or the lengths differ.
pub fn population_stability_index(expected: &[u64], actual: &[u64]) -> Option<f64> {
    if expected.len() != actual.len() || expected.is_empty() {
        return None;
    }
    let (e_total, a_total) = (
        expected.iter().sum::<u64>() as f64,
        actual.iter().sum::<u64>() as f64,
    );
    if e_total == 0.0 || a_total == 0.0 {
        return None;
    }
    let k = expected.len() as f64;
    let e_denominator = e_total + PSI_SMOOTHING * k;
    let a_denominator = a_total + PSI_SMOOTHING * k;
    let index = expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let e = (e as f64 + PSI_SMOOTHING) / e_denominator;
            let a = (a as f64 + PSI_SMOOTHING) / a_denominator;
            (a - e) * (a / e).ln()
        })
        .sum();
    Some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        assert_eq!(regularized_gamma_p(2.0, 0.0), 0.0);
        assert_eq!(regularized_gamma_q(2.0, 0.0), 1.0);
        assert_eq!(regularized_gamma_p(2.0, f64::INFINITY), 1.0);
        assert_eq!(regularized_gamma_q(2.0, f64::INFINITY), 0.0);
        for (a, x) in [
            (0.0, 1.0),
            (-1.0, 1.0),
            (1.0, -1.0),
            (f64::NAN, 1.0),
            (1.0, f64::NAN),
        ] {
            assert!(regularized_gamma_p(a, x).is_nan(), "P({a}, {x})");
            assert!(regularized_gamma_q(a, x).is_nan(), "Q({a}, {x})");
        }
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
        assert!(chi_square_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn closed_forms() {
        // Q(1, x) = e^−x; chi-square with 2 degrees of freedom: sf(s) = e^(−s/2).
        for x in [0.01f64, 0.5, 1.0, 2.0, 7.5, 30.0, 200.0, 700.0] {
            // The exponent x − ln x − 1 holds about 1e-16 of itself.
            let tolerance = 1e-14 + 5e-16 * x;
            let q = regularized_gamma_q(1.0, x);
            assert!(
                (q / (-x).exp() - 1.0).abs() < tolerance,
                "Q(1, {x}) = {q:e}"
            );
            let sf = chi_square_sf(2.0 * x, 2.0);
            assert!(
                (sf / (-x).exp() - 1.0).abs() < tolerance,
                "sf({}, 2) = {sf:e}",
                2.0 * x
            );
        }
        // Q(2, x) = (1 + x) e^−x.
        for x in [0.1f64, 1.0, 3.0, 50.0] {
            let want = (1.0 + x) * (-x).exp();
            assert!((regularized_gamma_q(2.0, x) / want - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn stirling_remainder_matches_the_table() {
        // The recurrence below 15 against δ(1) ..= δ(15) tabulated from 40-digit values.
        for k in 1..=15 {
            let (got, want) = (
                stirling_remainder(k as f64),
                super::super::stirling_error(k as f64),
            );
            assert!(
                (got - want).abs() < 4e-16,
                "δ({k}): {got:e}, table {want:e}"
            );
        }
    }

    #[test]
    fn homogeneity_of_equal_rows_is_perfect() {
        let test = chi_square_homogeneity(&[vec![10, 20, 0, 30], vec![20, 40, 0, 60]]).unwrap();
        assert_eq!(test.df, 2, "the empty column is left out");
        assert!(test.statistic.abs() < 1e-12);
        assert!((test.p_value - 1.0).abs() < 1e-12);
        let single = chi_square_homogeneity(&[vec![5, 0], vec![7, 0]]).unwrap();
        assert_eq!((single.df, single.p_value), (0, 1.0));
        assert!(chi_square_homogeneity(&[vec![1, 2]]).is_none());
        assert!(chi_square_homogeneity(&[vec![1, 2], vec![0, 0]]).is_none());
    }

    #[test]
    fn stability_index() {
        assert_eq!(population_stability_index(&[10, 20], &[10, 20]), Some(0.0));
        // The half counts move proportional counts apart a little.
        let proportional = population_stability_index(&[10, 20], &[20, 40]).unwrap();
        assert!(proportional > 0.0 && proportional < 1e-4, "{proportional}");
        assert!(population_stability_index(&[10, 20], &[0, 0]).is_none());
        assert!(population_stability_index(&[10], &[10, 2]).is_none());
        let shifted = population_stability_index(&[50, 50], &[90, 10]).unwrap();
        assert!(shifted > 0.2, "{shifted}");
    }
}
