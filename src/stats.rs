//! The statistics of the regression gate, written out by hand and checked against the reference
//! implementations on the same inputs (`tests/stats_oracle.rs`, with fixtures written by
//! `tests/oracles/stats_oracle.py` from scipy, statsmodels and numpy):
//!
//! - [`wilson`]: the Wilson score interval of a proportion, as statsmodels'
//!   `proportion_confint(method="wilson")`, on [`normal_quantile`] (scipy's `norm.ppf`);
//! - [`mcnemar_exact`]: the exact McNemar test of two runs over the same cases, as statsmodels'
//!   `mcnemar(exact=True)`, accurate far into the tail and for large counts;
//! - [`Rng`], [`bootstrap_interval`], [`paired_bootstrap_delta`] and [`percentile`]: a percentile
//!   bootstrap with a fixed seed, so an interval is the same on every run and every platform,
//!   its percentiles interpolated as numpy's default (`method="linear"`).
//!
//! - [`gamma`]: the regularized incomplete gamma functions, the chi-square distribution's tail,
//!   Pearson's chi-square test of homogeneity and the population stability index, against
//!   scipy and mpmath (`tests/chi_square_oracle.rs`), for the drift checks of the run history.
//!
//! Every function is pure: no printing, no global state, no clock.

use std::f64::consts::{FRAC_1_SQRT_2, LN_2, PI};

pub mod gamma;

pub use gamma::{
    ChiSquare, chi_square_homogeneity, chi_square_sf, population_stability_index,
    regularized_gamma_p, regularized_gamma_q,
};

/// The confidence of an interval when a suite does not set one.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// How many resamples a bootstrap draws when a suite does not say.
pub const DEFAULT_RESAMPLES: usize = 1000;

/// The bootstrap's seed when a suite does not set one: the bytes of `"evalgate"` in ASCII,
/// big-endian (`0x6576616c67617465`). Changing it changes every reported bootstrap interval.
pub const DEFAULT_SEED: u64 = 0x6576_616c_6761_7465;

// ---------------------------------------------------------------------------------------------
// The normal quantile
// ---------------------------------------------------------------------------------------------

/// The quantile function (inverse CDF) of the standard normal distribution: the `z` with
/// `P(Z <= z) = p`, as scipy's `norm.ppf(p)`.
///
/// Wichura's algorithm AS 241 (`PPND16`, Applied Statistics 37(3), 1988), whose rational
/// approximations are accurate to about 1e-16 but lose a few ulps to rounding, followed by one
/// Newton step on Φ computed with Cody's erf/erfc, which brings the result within a few ulps of
/// the exact quantile (4 at most seen, about half of the results correctly rounded). scipy's
/// own `ndtri` is within about 3 ulps of the exact value too, so the two agree to 1e-15
/// relative (the oracle tests; 9.4e-16 the largest difference seen over 300,000 random points
/// in `[1e-320, 1 - 1e-16]`), not bit for bit. `p = 0` gives `-inf`, `p = 1` gives `+inf`, and
/// `p` outside `[0, 1]` or NaN gives NaN, as scipy.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        // The central region: a rational function of r = 0.425² - q².
        let r = 0.180625 - q * q;
        let z = q * horner(r, &AS241_A) / horner(r, &AS241_B);
        // One Newton step on Φ(z) − 1/2 = erf(z/√2)/2 against q (exact), both small near the
        // centre, so that the residual keeps its relative accuracy.
        let residual = 0.5 * erf_small(z * FRAC_1_SQRT_2) - q;
        return z - residual / normal_density(z);
    }
    // The tails: a rational function of sqrt(-ln(tail probability)). `1 - p` is exact here
    // (p > 0.5), so both tails are as accurate as the lower one; z is the lower tail's quantile.
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let mut z = -if r <= 5.0 {
        let r = r - 1.6;
        horner(r, &AS241_C) / horner(r, &AS241_D)
    } else {
        let r = r - 5.0;
        horner(r, &AS241_E) / horner(r, &AS241_F)
    };
    if tail > NEWTON_TAIL_MIN {
        // One Newton step on Φ(z) = erfc(−z/√2)/2 against the tail probability.
        let residual = 0.5 * erfc_positive(-z * FRAC_1_SQRT_2) - tail;
        z -= residual / normal_density(z);
    }
    if q < 0.0 { z } else { -z }
}

/// Below this tail probability Φ(z) would be computed near the subnormal range, where it has
/// fewer digits than AS 241's own value: no refinement there.
const NEWTON_TAIL_MIN: f64 = 1e-290;

/// The standard normal density.
fn normal_density(z: f64) -> f64 {
    (-0.5 * z * z).exp() * FRAC_1_SQRT_2PI
}

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// erf(x) for |x| <= 1.02 (the central region of [`normal_quantile`], |z| <= 1.44), to a few
/// ulps relative: Cody's rational approximation on |x| <= 0.46875, `1 − erfc` above.
fn erf_small(x: f64) -> f64 {
    let y = x.abs();
    if y <= 0.46875 {
        let ysq = y * y;
        let num = horner(ysq, &CODY_A);
        let den = horner(ysq, &CODY_B);
        return x * num / den;
    }
    let value = 1.0 - erfc_positive(y);
    if x < 0.0 { -value } else { value }
}

/// erfc(x) for x > 0.46875, to a few ulps relative: W. J. Cody, "Rational Chebyshev
/// approximations for the error function", Math. Comp. 23 (1969), as in his CALERF. The factor
/// exp(−x²) is taken as exp(−s²) exp(−(x − s)(x + s)) with s = x rounded down to 1/16, so that
/// x² is never rounded as a whole.
fn erfc_positive(x: f64) -> f64 {
    debug_assert!(x > 0.46875);
    if x >= 26.6 {
        // Below the smallest subnormal f64.
        return 0.0;
    }
    let scaled = if x <= 4.0 {
        horner(x, &CODY_C) / horner(x, &CODY_D)
    } else {
        let inv_sq = 1.0 / (x * x);
        let ratio = inv_sq * horner(inv_sq, &CODY_P) / horner(inv_sq, &CODY_Q);
        (FRAC_1_SQRT_PI - ratio) / x
    };
    let s = (x * 16.0).trunc() / 16.0;
    let del = (x - s) * (x + s);
    (-s * s).exp() * (-del).exp() * scaled
}

/// 1/√π.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

// Cody's coefficients, lowest degree first (his arrays reordered for [`horner`]).
// erf(x) = x A(x²)/B(x²) on |x| <= 0.46875.
#[allow(clippy::excessive_precision)]
const CODY_A: [f64; 5] = [
    3.20937758913846947e3,
    3.77485237685302021e2,
    1.13864154151050156e2,
    3.16112374387056560e0,
    1.85777706184603153e-1,
];
#[allow(clippy::excessive_precision)]
const CODY_B: [f64; 5] = [
    2.84423683343917062e3,
    1.28261652607737228e3,
    2.44024637934444173e2,
    2.36012909523441209e1,
    1.0,
];
// erfc(x) exp(x²) = C(x)/D(x) on 0.46875 < x <= 4.
#[allow(clippy::excessive_precision)]
const CODY_C: [f64; 9] = [
    1.23033935479799725e3,
    2.05107837782607147e3,
    1.71204761263407058e3,
    8.81952221241769090e2,
    2.98635138197400131e2,
    6.61191906371416295e1,
    8.88314979438837594e0,
    5.64188496988670089e-1,
    2.15311535474403846e-8,
];
#[allow(clippy::excessive_precision)]
const CODY_D: [f64; 9] = [
    1.23033935480374942e3,
    3.43936767414372164e3,
    4.36261909014324716e3,
    3.29079923573345963e3,
    1.62138957456669019e3,
    5.37181101862009858e2,
    1.17693950891312499e2,
    1.57449261107098347e1,
    1.0,
];
// erfc(x) exp(x²) x = 1/√π − P(1/x²)/(x² Q(1/x²)) on x > 4.
#[allow(clippy::excessive_precision)]
const CODY_P: [f64; 6] = [
    6.58749161529837803e-4,
    1.60837851487422766e-2,
    1.25781726111229246e-1,
    3.60344899949804439e-1,
    3.05326634961232344e-1,
    1.63153871373020978e-2,
];
#[allow(clippy::excessive_precision)]
const CODY_Q: [f64; 6] = [
    2.33520497626869185e-3,
    6.05183413124413191e-2,
    5.27905102951428412e-1,
    1.87295284992346047e0,
    2.56852019228982242e0,
    1.0,
];

/// `c[0] + c[1] x + c[2] x² + ...`, evaluated by Horner's rule from the highest degree.
fn horner(x: f64, coefficients: &[f64]) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

// AS 241's coefficients, lowest degree first. The denominators' constant term is 1.
#[allow(clippy::excessive_precision)]
const AS241_A: [f64; 8] = [
    3.3871328727963666080e0,
    1.3314166789178437745e+2,
    1.9715909503065514427e+3,
    1.3731693765509461125e+4,
    4.5921953931549871457e+4,
    6.7265770927008700853e+4,
    3.3430575583588128105e+4,
    2.5090809287301226727e+3,
];
#[allow(clippy::excessive_precision)]
const AS241_B: [f64; 8] = [
    1.0,
    4.2313330701600911252e+1,
    6.8718700749205790830e+2,
    5.3941960214247511077e+3,
    2.1213794301586595867e+4,
    3.9307895800092710610e+4,
    2.8729085735721942674e+4,
    5.2264952788528545610e+3,
];
#[allow(clippy::excessive_precision)]
const AS241_C: [f64; 8] = [
    1.42343711074968357734e0,
    4.63033784615654529590e0,
    5.76949722146069140550e0,
    3.64784832476320460504e0,
    1.27045825245236838258e0,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
];
#[allow(clippy::excessive_precision)]
const AS241_D: [f64; 8] = [
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
];
#[allow(clippy::excessive_precision)]
const AS241_E: [f64; 8] = [
    6.65790464350110377720e0,
    5.46378491116411436990e0,
    1.78482653991729133580e0,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
];
#[allow(clippy::excessive_precision)]
const AS241_F: [f64; 8] = [
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
];

// ---------------------------------------------------------------------------------------------
// Wilson score interval
// ---------------------------------------------------------------------------------------------

/// The Wilson score interval of `successes` out of `trials` at `confidence` (e.g. 0.95):
/// `(low, high)`, as statsmodels'
/// `proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")`, within 1e-12
/// (the same formula in the same order of operations, clipped to `[0, 1]` as statsmodels does;
/// the bound at 0 or `trials` successes exactly 0 or 1).
///
/// None when `trials` is 0, when `successes > trials`, or when `confidence` is not strictly
/// between 0 and 1.
pub fn wilson(successes: u64, trials: u64, confidence: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let n = trials as f64;
    let share = successes as f64 / n;
    // statsmodels: alpha = 1 - confidence; crit = norm.isf(alpha / 2) = -norm.ppf(alpha / 2).
    let alpha = 1.0 - confidence;
    let crit = -normal_quantile(alpha / 2.0);
    let crit2 = crit * crit;
    let denom = 1.0 + crit2 / n;
    let center = (share + crit2 / (2.0 * n)) / denom;
    let dist = crit * (share * (1.0 - share) / n + crit2 / (4.0 * (n * n))).sqrt() / denom;
    // At 0 successes the lower bound is exactly 0, and at `trials` the upper bound exactly 1:
    // the formula gives them up to rounding only (statsmodels may print 2.8e-17 or
    // 0.9999999999999999 there).
    let low = if successes == 0 {
        0.0
    } else {
        (center - dist).clamp(0.0, 1.0)
    };
    let high = if successes == trials {
        1.0
    } else {
        (center + dist).clamp(0.0, 1.0)
    };
    Some((low, high))
}

// ---------------------------------------------------------------------------------------------
// Exact McNemar test
// ---------------------------------------------------------------------------------------------

/// The two-sided exact McNemar p-value of two runs over the same cases, from the discordant
/// counts: `b` cases that passed in the first run and failed in the second, `c` the reverse.
///
/// Equal to statsmodels' `mcnemar([[a, b], [c, d]], exact=True).pvalue`, that is
/// `min(1, 2 * P(X <= min(b, c)))` with `X ~ Binomial(b + c, 1/2)`; 1 when `b + c == 0`.
///
/// The tail is computed in log space and never as a difference of large numbers: the largest
/// term, `P(X = k)` with `k = min(b, c)`, by Loader's saddle-point form (no log-factorials of
/// large arguments, whose rounding alone would exceed 1e-9 relative at a million trials), and
/// the sum of the terms below it relative to it, by the recurrence
/// `P(X = i - 1) = P(X = i) * i / (n - i + 1)`, which decreases geometrically or faster. The
/// result is within 1e-9 relative of scipy for p-values down to 1e-300 and `b + c` up to (at
/// least) a million; the oracle tests see 3e-12 at most against scipy and 1e-12 against the
/// exact value (the error grows with `|ln p|`, as the rounding of a logarithm near -690 does).
/// A subnormal p-value keeps the digits a subnormal has, and the result is 0.0 only when the
/// exact p-value rounds to 0 (scipy flushes some subnormal p-values to 0 already).
/// The cost grows as `sqrt(b + c)`; counts are exact as f64 up to 2^53.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let k = b.min(c);
    let n = u128::from(b) + u128::from(c);
    if b == c {
        // P(X <= n/2) > 1/2 for a symmetric binomial, so the doubled tail is at least 1.
        return 1.0;
    }
    if k == 0 {
        // 2 * (1/2)^n, exact: a power of two (subnormal from n = 1024, 0 from n = 1076).
        return power_of_half(n - 1);
    }
    let n = n as f64;
    let k = k as f64;
    let ln_p = LN_2 + ln_binomial_pmf_half(k, n) + tail_ratio_sum(k, n).ln();
    ln_p.exp().min(1.0)
}

/// `2^-e` exactly: normal down to 2^-1022, subnormal down to 2^-1074, then 0 (2^-1075 is the
/// tie between 0 and the smallest subnormal, which rounds to even: 0).
fn power_of_half(e: u128) -> f64 {
    match e {
        0..=1022 => f64::from_bits(((1023 - e) as u64) << 52),
        1023..=1074 => f64::from_bits(1u64 << (1074 - e)),
        _ => 0.0,
    }
}

/// `ln P(X = k)` for `X ~ Binomial(n, 1/2)`, `0 < k < n`, after Loader (2000), "Fast and
/// Accurate Computation of Binomial Probabilities":
///
/// `P(X = k) = exp(δ(n) − δ(k) − δ(n−k) − D(k, n/2) − D(n−k, n/2)) · sqrt(n / (2π k (n−k)))`
///
/// with δ the Stirling remainder ([`stirling_error`]) and D the deviance term ([`deviance`]).
/// Every piece is small or of the size of the result's own logarithm, so the result is accurate
/// to a few ulps of `|ln P|` however large n is.
fn ln_binomial_pmf_half(k: f64, n: f64) -> f64 {
    let half = n / 2.0;
    let exponent = stirling_error(n)
        - stirling_error(k)
        - stirling_error(n - k)
        - deviance(k, half)
        - deviance(n - k, half);
    // ln(2π k (n − k) / n), with (n − k)/n as 1 − k/n.
    let ln_f = (2.0 * PI).ln() + k.ln() + (-k / n).ln_1p();
    exponent - 0.5 * ln_f
}

/// `sum_{i <= k} P(X = i) / P(X = k)` for `X ~ Binomial(n, 1/2)` and `k < n/2`: at least 1,
/// summed from the largest term down until the rest cannot matter.
fn tail_ratio_sum(k: f64, n: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let mut i = k;
    while i > 0.0 {
        // P(X = i - 1) / P(X = i) = i / (n - i + 1) < 1 for i <= n/2, and falling with i.
        let ratio = i / (n - i + 1.0);
        term *= ratio;
        sum += term;
        // The terms left are below term * ratio / (1 - ratio) (a geometric bound, as the ratio
        // only falls); stop when that is far below the last bit of the sum.
        if term * ratio < sum * 1e-18 * (1.0 - ratio) {
            break;
        }
        i -= 1.0;
    }
    sum
}

/// Stirling's remainder `δ(x) = ln(x!) − (x + ½) ln x + x − ½ ln(2π)` for a whole `x >= 1`:
/// tabulated up to 15, its asymptotic series above (truncation error below 1e-16 at 16).
fn stirling_error(x: f64) -> f64 {
    // δ(1) ..= δ(15), to the nearest f64 (computed with 40 significant digits).
    const TABLE: [f64; 15] = [
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ];
    if x <= 15.0 {
        return TABLE[x as usize - 1];
    }
    stirling_series(x)
}

/// Stirling's remainder `δ(x)` by its asymptotic series, for any real `x >= 15` (truncation
/// error below 1e-16 there; fewer terms as `x` grows).
fn stirling_series(x: f64) -> f64 {
    // 1/12, 1/360, 1/1260, 1/1680, 1/1188: the series 1/(12x) − 1/(360x³) + 1/(1260x⁵) − ...
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let xx = x * x;
    if x > 500.0 {
        (S0 - S1 / xx) / x
    } else if x > 80.0 {
        (S0 - (S1 - S2 / xx) / xx) / x
    } else if x > 35.0 {
        (S0 - (S1 - (S2 - S3 / xx) / xx) / xx) / x
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / xx) / xx) / xx) / xx) / x
    }
}

/// The deviance term `D(x, m) = x ln(x / m) + m − x` (>= 0), without the cancellation of that
/// formula when x is near m: there, with `v = (x − m)/(x + m)`, it is the series
/// `(x − m) v + 2x (v³/3 + v⁵/5 + ...)`, whose terms fall by v² <= 1/100 each.
fn deviance(x: f64, m: f64) -> f64 {
    deviance_within(x, m, 0.1)
}

/// [`deviance`], by the series wherever `|v| < reach`. The series keeps a few ulps of `D`
/// (its second part, of the sign of v, is at most |v|/3 of the first), while the direct formula
/// loses the rounding of `x / m` times `x`: up to 0.5 the series is the better of the two, at
/// some 30 terms.
fn deviance_within(x: f64, m: f64, reach: f64) -> f64 {
    let diff = x - m;
    if diff.abs() < reach * (x + m) {
        let mut v = diff / (x + m);
        let mut sum = diff * v;
        let mut power = 2.0 * x * v;
        v *= v;
        let mut j = 3.0;
        loop {
            power *= v;
            let next = sum + power / j;
            if next == sum {
                return next;
            }
            sum = next;
            j += 2.0;
        }
    }
    x * (x / m).ln() + m - x
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// A small deterministic pseudo-random generator: xoshiro256** (Blackman and Vigna), its state
/// seeded from one `u64` by SplitMix64, as its authors recommend.
///
/// Fixed-seed and reproducible: the same seed gives the same sequence on every platform and
/// build (only 64-bit integer arithmetic, no floating point, no dependence on `usize`'s width).
/// For seed 0 the first three [`Rng::next_u64`] values are `0x99ec5f36cb75f2b4`,
/// `0xbf6e1f784956452a` and `0x1a5f849d4933e6e0`. Not for cryptography.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose state is the first four outputs of SplitMix64 from `seed` (never all
    /// zero, which xoshiro must avoid).
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut splitmix = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            state: [splitmix(), splitmix(), splitmix(), splitmix()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n`, without bias: Lemire's multiply-and-reject ("Fast Random
    /// Integer Generation in an Interval", 2019) on 64-bit draws, so the sequence is the same
    /// where `usize` has 32 bits. Usually one draw; a draw is rejected with probability below
    /// `n / 2^64`.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0): the range is empty");
        let range = n as u64;
        let mut product = u128::from(self.next_u64()) * u128::from(range);
        if (product as u64) < range {
            // 2^64 mod n: the low halves below it belong to the over-represented values.
            let threshold = range.wrapping_neg() % range;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(range);
            }
        }
        (product >> 64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Percentiles and the bootstrap
// ---------------------------------------------------------------------------------------------

/// The `q`-quantile (`q` a fraction in `[0, 1]`, e.g. 0.025) of `sorted` (ascending, no NaN),
/// interpolated linearly between order statistics: numpy's default, bit for bit equal to
/// `np.quantile(sorted, q)` (`method="linear"`), and so to `np.percentile(sorted, 100 * q)`
/// whenever `100 * q / 100 == q` in floating point.
///
/// The position is `h = (len − 1) q`; with `i = floor(h)` and `t = h − i`, the value is
/// `x[i] + (x[i+1] − x[i]) t` for `t < 0.5` and `x[i+1] − (x[i+1] − x[i]) (1 − t)` otherwise
/// (numpy's two-sided form, exact at both ends). NaN when `sorted` is empty or `q` is outside
/// `[0, 1]` or NaN.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(
        sorted.windows(2).all(|w| w[0] <= w[1]),
        "percentile: the values must be sorted ascending, without NaN"
    );
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let last = sorted.len() - 1;
    let position = last as f64 * q;
    if position >= last as f64 {
        return sorted[last];
    }
    let below = position.floor();
    let t = position - below;
    let i = below as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// A percentile bootstrap interval of a statistic over `n` items (e.g. cases).
///
/// Draws `resamples` samples of `n` indices into `0..n` with replacement (each index
/// [`Rng::below`]`(n)` in turn, from [`Rng::new`]`(seed)`), evaluates `statistic` on each, and
/// returns the `(1 − c)/2` and `(1 + c)/2` quantiles of the values by [`percentile`], i.e.
/// numpy's `np.quantile(values, [(1 - c) / 2, 1 - (1 - c) / 2])`. The same arguments give the same
/// interval on every run and platform.
///
/// None when `n` or `resamples` is 0, when `confidence` is not strictly between 0 and 1, or when
/// the statistic gives NaN on any resample (an undefined value is not silently dropped: that
/// would bias the interval towards the resamples where it is defined). Infinities are kept.
pub fn bootstrap_interval<F: FnMut(&[usize]) -> f64>(
    n: usize,
    resamples: usize,
    confidence: f64,
    seed: u64,
    mut statistic: F,
) -> Option<(f64, f64)> {
    if n == 0 || resamples == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut indices = vec![0; n];
    let mut values = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for index in &mut indices {
            *index = rng.below(n);
        }
        let value = statistic(&indices);
        if value.is_nan() {
            return None;
        }
        values.push(value);
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some((percentile(&values, tail), percentile(&values, 1.0 - tail)))
}

/// A paired bootstrap interval of the difference `head − base` of a statistic between two runs
/// over the same `n` items: `statistic(indices)` returns `(base, head)` computed on the same
/// resampled indices, so that the items' pairing is kept. Otherwise exactly
/// [`bootstrap_interval`] on `head − base` (same draws, same percentiles, same None cases,
/// a NaN in either value included). An interval that excludes 0 is a difference at that
/// confidence.
pub fn paired_bootstrap_delta<F: FnMut(&[usize]) -> (f64, f64)>(
    n: usize,
    resamples: usize,
    confidence: f64,
    seed: u64,
    mut statistic: F,
) -> Option<(f64, f64)> {
    bootstrap_interval(n, resamples, confidence, seed, |indices| {
        let (base, head) = statistic(indices);
        head - base
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_first_values_are_fixed() {
        // The documented sequence for seed 0 (SplitMix64 into xoshiro256**), also written by
        // the Python transliteration in tests/oracles/stats_oracle.py.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0x99ec_5f36_cb75_f2b4);
        assert_eq!(rng.next_u64(), 0xbf6e_1f78_4956_452a);
        assert_eq!(rng.next_u64(), 0x1a5f_849d_4933_e6e0);
    }

    #[test]
    fn rng_same_seed_same_sequence() {
        let mut a = Rng::new(DEFAULT_SEED);
        let mut b = Rng::new(DEFAULT_SEED);
        let first: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        let mut c = Rng::new(DEFAULT_SEED + 1);
        let other: Vec<u64> = (0..100).map(|_| c.next_u64()).collect();
        assert_ne!(first, other);
    }

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut rng = Rng::new(7);
        for n in [1usize, 2, 3, 7, 10, 1000] {
            let mut seen = vec![0usize; n];
            for _ in 0..20 * n + 100 {
                let x = rng.below(n);
                assert!(x < n, "below({n}) gave {x}");
                seen[x] += 1;
            }
            assert!(seen.iter().all(|&s| s > 0), "below({n}) missed a value");
        }
        // Ranges near the top of u64, where rejection actually happens.
        let big = usize::MAX / 3 * 2;
        for _ in 0..1000 {
            assert!(rng.below(big) < big);
        }
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = Rng::new(DEFAULT_SEED);
        let mut counts = [0u32; 6];
        let draws = 60_000;
        for _ in 0..draws {
            counts[rng.below(6)] += 1;
        }
        // Each count is Binomial(60000, 1/6): mean 10000, sd ~91; 6 sd of slack.
        for count in counts {
            assert!((9_450..=10_550).contains(&count), "{counts:?}");
        }
    }

    #[test]
    #[should_panic(expected = "below(0)")]
    fn below_zero_panics() {
        Rng::new(1).below(0);
    }

    #[test]
    fn percentile_interpolates_like_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&x, 0.0), 1.0);
        assert_eq!(percentile(&x, 1.0), 4.0);
        assert_eq!(percentile(&x, 0.5), 2.5);
        assert_eq!(percentile(&x, 0.25), 1.75);
        assert_eq!(percentile(&[5.0], 0.3), 5.0);
        assert!(percentile(&[], 0.5).is_nan());
        assert!(percentile(&x, -0.1).is_nan());
        assert!(percentile(&x, 1.1).is_nan());
        assert!(percentile(&x, f64::NAN).is_nan());
    }

    fn mean_of(data: &[f64]) -> impl FnMut(&[usize]) -> f64 + '_ {
        |indices| indices.iter().map(|&i| data[i]).sum::<f64>() / indices.len() as f64
    }

    #[test]
    fn bootstrap_is_deterministic() {
        let data: Vec<f64> = (0..50).map(|i| ((i * 37) % 11) as f64).collect();
        let a = bootstrap_interval(50, 500, 0.9, 42, mean_of(&data));
        let b = bootstrap_interval(50, 500, 0.9, 42, mean_of(&data));
        assert_eq!(a, b);
        let c = bootstrap_interval(50, 500, 0.9, 43, mean_of(&data));
        assert_ne!(a, c);
    }

    #[test]
    fn bootstrap_covers_the_mean() {
        // 0, 1, ..., 99: mean 49.5, sd 28.9, so the mean's standard error is ~2.9 and a 95%
        // interval is about 49.5 ± 5.7.
        let data: Vec<f64> = (0..100).map(f64::from).collect();
        let (low, high) = bootstrap_interval(
            data.len(),
            DEFAULT_RESAMPLES,
            DEFAULT_CONFIDENCE,
            DEFAULT_SEED,
            mean_of(&data),
        )
        .unwrap();
        assert!(low < 49.5 && 49.5 < high, "({low}, {high})");
        let width = high - low;
        assert!((9.0..14.0).contains(&width), "width {width}");
        // A wider confidence gives a wider interval from the same draws.
        let (low99, high99) =
            bootstrap_interval(data.len(), 1000, 0.99, DEFAULT_SEED, mean_of(&data)).unwrap();
        assert!(low99 <= low && high <= high99);
    }

    #[test]
    fn bootstrap_of_a_constant_is_that_constant() {
        let interval = bootstrap_interval(10, 100, 0.95, 1, |_| 0.75);
        assert_eq!(interval, Some((0.75, 0.75)));
    }

    #[test]
    fn bootstrap_edge_cases() {
        let constant = |_: &[usize]| 1.0;
        assert_eq!(bootstrap_interval(0, 100, 0.95, 1, constant), None);
        assert_eq!(bootstrap_interval(10, 0, 0.95, 1, constant), None);
        for confidence in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(bootstrap_interval(10, 10, confidence, 1, constant), None);
        }
        // One NaN among the resamples fails the whole interval.
        let mut calls = 0;
        let sometimes_nan = |_: &[usize]| {
            calls += 1;
            if calls == 7 { f64::NAN } else { 1.0 }
        };
        assert_eq!(bootstrap_interval(10, 10, 0.95, 1, sometimes_nan), None);
        // n = 1: every resample is [0].
        let only_zero = bootstrap_interval(1, 20, 0.95, 1, |ix: &[usize]| {
            assert_eq!(ix, [0]);
            3.0
        });
        assert_eq!(only_zero, Some((3.0, 3.0)));
    }

    #[test]
    fn paired_bootstrap_is_the_bootstrap_of_the_difference() {
        let base: Vec<f64> = (0..40).map(|i| f64::from(i % 2)).collect();
        let head: Vec<f64> = (0..40).map(|i| f64::from(u8::from(i % 4 != 0))).collect();
        let paired = paired_bootstrap_delta(40, 300, 0.95, 9, |ix| {
            (mean_of(&base)(ix), mean_of(&head)(ix))
        });
        let direct = bootstrap_interval(40, 300, 0.95, 9, |ix| {
            mean_of(&head)(ix) - mean_of(&base)(ix)
        });
        assert_eq!(paired, direct);
        let (low, high) = paired.unwrap();
        assert!(low > 0.0 && high > low, "({low}, {high})");
    }

    #[test]
    fn wilson_edge_cases() {
        assert_eq!(wilson(0, 0, 0.95), None);
        assert_eq!(wilson(3, 2, 0.95), None);
        for confidence in [0.0, 1.0, -0.1, 2.0, f64::NAN] {
            assert_eq!(wilson(1, 2, confidence), None);
        }
        let (low, high) = wilson(0, 10, 0.95).unwrap();
        assert_eq!(low, 0.0);
        assert!(high > 0.0 && high < 1.0);
        let (low, high) = wilson(10, 10, 0.95).unwrap();
        assert!(low > 0.0 && low < 1.0);
        assert_eq!(high, 1.0);
    }

    #[test]
    fn mcnemar_edge_cases() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        assert_eq!(mcnemar_exact(0, 1), 1.0);
        assert_eq!(mcnemar_exact(0, 3), 0.25);
        assert_eq!(mcnemar_exact(7, 7), 1.0);
        // Symmetric in b and c.
        assert_eq!(mcnemar_exact(3, 17), mcnemar_exact(17, 3));
        // 2 * 2^-1100 underflows f64; 2 * 2^-1000 does not.
        assert_eq!(mcnemar_exact(0, 1100), 0.0);
        assert_eq!(mcnemar_exact(0, 1000), 2f64.powi(-999));
        // 2 * 1062 * 2^-1060 is subnormal, and kept.
        assert!(mcnemar_exact(1, 1060) > 0.0);
        assert_eq!(mcnemar_exact(1, 1100), 0.0);
        // Huge counts stay quick and sane.
        let p = mcnemar_exact(u64::from(u32::MAX), u64::from(u32::MAX) + 1);
        assert!(p > 0.99 && p <= 1.0, "{p}");
    }

    #[test]
    fn normal_quantile_edge_cases() {
        assert_eq!(normal_quantile(0.5), 0.0);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan());
        assert!(normal_quantile(1.1).is_nan());
        assert!(normal_quantile(f64::NAN).is_nan());
        // Symmetric where p and 1 − p are both exact.
        for p in [0.25, 0.125, 0.4375, 2f64.powi(-20), 2f64.powi(-50)] {
            assert_eq!(normal_quantile(p), -normal_quantile(1.0 - p), "{p}");
        }
    }
}
