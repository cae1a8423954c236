#!/usr/bin/env python3
"""Reference values for evalgate's statistics (src/stats.rs), checked by tests/stats_oracle.rs.

Regenerate, from the repository root, in a virtual environment outside the repository:

    python3 -m venv ../.venv-oracle
    ../.venv-oracle/bin/pip install -r tests/oracles/stats-requirements.txt
    ../.venv-oracle/bin/python tests/oracles/stats_oracle.py > tests/oracles/stats_cases.jsonl

Writes one JSON object per line, by "kind":

    wilson      statsmodels' proportion_confint(successes, trials, alpha=1 - confidence,
                method="wilson") -> low, high
    mcnemar     statsmodels' mcnemar([[a, b], [c, d]], exact=True).pvalue -> pvalue; and
                "exact": the same p-value, 2 * sum_{i <= min(b, c)} C(b + c, i) / 2^(b + c)
                capped at 1, with mpmath at 60 significant digits, rounded once to the nearest
                f64 (subnormals included). scipy computes the binomial CDF in f64 and flushes
                a subnormal CDF to 0 before statsmodels doubles it; "exact" is the value
                there.
    quantile    scipy's norm.ppf(p) -> z; and "exact": the root of mpmath's ncdf(z) = p at 60
                digits, rounded to the nearest f64
    percentile  numpy's quantile(values, q) (method="linear", the default; q a fraction) of
                a sorted array, for each q in qs -> expected
    rng         the first outputs of SplitMix64-seeded xoshiro256** and of Lemire's bounded
                draw, by the transliteration of the reference C code below (no library has
                this generator): next_u64 for a seed, and below(n) sequences
    bootstrap   a percentile bootstrap of a mean (and of a paired difference of means) run
                here with that generator: resample indices, the statistic with exact sums of
                whole numbers, numpy's quantile at (1 - c) / 2 and 1 - (1 - c) / 2

Floats are printed with Python's repr, so they parse into the identical f64.
"""

import json
import sys
from importlib.metadata import version

import mpmath
import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

mpmath.mp.dps = 60

MASK = (1 << 64) - 1
DEFAULT_SEED = 0x6576616C67617465  # b"evalgate", big-endian: src/stats.rs's DEFAULT_SEED


def emit(obj):
    print(json.dumps(obj))


# --- Wilson ---------------------------------------------------------------------------------

WILSON_COUNTS = [
    (0, 1), (1, 1), (0, 2), (1, 2), (2, 2), (1, 3), (2, 3), (0, 10), (10, 10), (3, 7),
    (5, 10), (7, 9), (50, 100), (81, 100), (99, 100), (0, 1000), (1, 1000), (500, 1000),
    (999, 1000), (1000, 1000), (12345, 20000), (0, 1000000), (1, 1000000), (314159, 1000000),
    (999999, 1000000), (1000000, 1000000), (123456789, 987654321),
]
CONFIDENCES = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999]


def wilson_cases():
    for successes, trials in WILSON_COUNTS:
        for confidence in CONFIDENCES:
            low, high = proportion_confint(
                successes, trials, alpha=1 - confidence, method="wilson"
            )
            emit({"kind": "wilson", "successes": successes, "trials": trials,
                  "confidence": confidence, "low": float(low), "high": float(high)})


# --- McNemar --------------------------------------------------------------------------------


def mcnemar_exact(b, c):
    """2 * P(X <= min(b, c)), X ~ Binomial(b + c, 1/2), capped at 1, at 60 digits."""
    n, k = b + c, min(b, c)
    if n == 0 or b == c:
        return 1.0
    # From the largest term C(n, k) down: C(n, i - 1) = C(n, i) * i / (n - i + 1).
    term = mpmath.binomial(n, k)
    total = term
    i = k
    while i > 0:
        term = term * i / (n - i + 1)
        total += term
        if term < total * mpmath.mpf(10) ** -70:
            break
        i -= 1
    p = 2 * total / mpmath.mpf(2) ** n
    return float(min(p, mpmath.mpf(1)))


def mcnemar_pairs():
    pairs = [(b, c) for b in range(13) for c in range(13)]  # small, ties, one side zero
    pairs += [(0, 0), (30, 30), (1000, 1000), (500000, 500000), (4, 5), (500000, 500001)]
    pairs += [(0, n) for n in (20, 50, 100, 500, 1000, 1022, 1023, 1024, 1073, 1074, 1075,
                               1076, 1100, 2000, 1000000)]
    pairs += [(1, 1000), (1, 1060), (1, 1080), (3, 1090), (5, 1000), (10, 1000), (100, 1000),
              (100, 1500), (300, 2000), (200, 2000), (10, 1200)]
    pairs += [(500, 560), (560, 500), (10000, 10300), (10300, 10000), (400000, 401000),
              (499500, 500500), (490000, 510000), (495000, 505000), (100000, 900000)]
    # p-values just above and below 1e-300 at four sizes.
    pairs += [(223, 1777), (222, 1778), (3168, 6832), (3167, 6833), (44146, 55854),
              (44145, 55855), (481469, 518531), (481468, 518532)]
    # A spread of p-values at moderate and large n.
    pairs += [(k, 2000 - k) for k in (250, 400, 600, 800, 900, 950, 980, 999)]
    pairs += [(k, 1000000 - k) for k in (485000, 490000, 495000, 498000, 499000, 499900)]
    return pairs


def mcnemar_cases():
    for b, c in mcnemar_pairs():
        result = mcnemar([[11, b], [c, 17]], exact=True)
        emit({"kind": "mcnemar", "b": b, "c": c, "pvalue": float(result.pvalue),
              "exact": mcnemar_exact(b, c)})


# --- Normal quantile ------------------------------------------------------------------------


def quantile_exact(p):
    p = mpmath.mpf(p)
    z = mpmath.mpf(float(stats.norm.ppf(float(p))))
    for _ in range(8):
        z -= (mpmath.ncdf(z) - p) / mpmath.npdf(z)
    return float(z)


def quantile_points():
    points = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-16, 1e-10, 1e-8, 1e-6, 1e-4, 1e-3,
              0.005, 0.01, 0.02425, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.49,
              0.499999, 0.5, 0.500001, 0.51, 0.6, 0.7, 0.75, 0.8, 0.9, 0.925, 0.95, 0.975,
              0.99, 0.995, 0.999, 1 - 1e-6, 1 - 1e-10, 1 - 1e-15, 0.075 + 1e-12]
    # The tails of the confidences an interval uses, as wilson() computes them.
    points += [(1 - c) / 2 for c in CONFIDENCES]
    points += [1 - (1 - c) / 2 for c in CONFIDENCES]
    rng = np.random.default_rng(20260101)
    points += [float(x) for x in rng.uniform(0, 1, 200)]
    points += [float(x) for x in 10 ** rng.uniform(-300, -1, 50)]
    points += [1 - float(x) for x in 10 ** rng.uniform(-15, -1, 50)]
    return points


def quantile_cases():
    for p in quantile_points():
        emit({"kind": "quantile", "p": p, "z": float(stats.norm.ppf(p)),
              "exact": quantile_exact(p)})


# --- Percentiles ----------------------------------------------------------------------------


def percentile_arrays():
    rng = np.random.default_rng(7)
    return [
        [5.0],
        [1.0, 2.0],
        [1.0, 2.0, 3.0, 4.0],
        [0.0, 0.0, 1.0, 1.0, 1.0],
        [-3.5, -1.25, 0.0, 2.0, 1e10],
        [0.1, 0.2, 0.30000000000000004, 0.7, 0.9],
        sorted(float(x) for x in rng.normal(0.0, 1.0, 10)),
        sorted(float(x) for x in rng.normal(0.8, 0.05, 1000)),
        sorted(float(x) for x in rng.integers(0, 5, 37) / 37),
    ]


PERCENTILE_QS = [0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 0.9, 0.95,
                 0.975, 0.99, 0.995, 1.0]
PERCENTILE_QS += [(1 - c) / 2 for c in CONFIDENCES] + [1 - (1 - c) / 2 for c in CONFIDENCES]


def percentile_cases():
    for values in percentile_arrays():
        emit({"kind": "percentile", "values": values, "qs": PERCENTILE_QS,
              "expected": [float(np.quantile(np.array(values), q)) for q in PERCENTILE_QS]})


# --- The generator and the bootstrap --------------------------------------------------------


class Rng:
    """SplitMix64 seeding xoshiro256**, and Lemire's bounded draw, as src/stats.rs."""

    def __init__(self, seed):
        x = seed & MASK
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next_u64(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next_u64() * n
        if (m & MASK) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK) < threshold:
                m = self.next_u64() * n
        return m >> 64


RNG_SEEDS = [0, 1, 42, DEFAULT_SEED, MASK]
BELOW_RANGES = [1, 2, 3, 10, 1000, 2**32 + 15, 2**63 + 1, MASK]


def rng_cases():
    for seed in RNG_SEEDS:
        rng = Rng(seed)
        emit({"kind": "rng", "seed": seed, "next_u64": [rng.next_u64() for _ in range(8)]})
    for seed in (0, DEFAULT_SEED):
        for n in BELOW_RANGES:
            rng = Rng(seed)
            emit({"kind": "rng", "seed": seed, "below": n,
                  "values": [rng.below(n) for _ in range(50)]})


def bootstrap(n, resamples, confidence, seed, statistic):
    rng = Rng(seed)
    values = []
    for _ in range(resamples):
        indices = [rng.below(n) for _ in range(n)]
        values.append(statistic(indices))
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.sort(np.array(values)), [tail, 1 - tail])
    return float(low), float(high)


def bootstrap_cases():
    rng = np.random.default_rng(11)
    datasets = [
        [3],
        [0, 1, 1, 0, 1],
        [int(x) for x in rng.integers(0, 2, 30)],
        [int(x) for x in rng.integers(0, 10, 200)],
    ]
    for data in datasets:
        n = len(data)
        for resamples, confidence, seed in [(1000, 0.95, DEFAULT_SEED), (200, 0.9, 42),
                                            (1, 0.95, 0)]:
            # Sums of whole numbers are exact, so the mean is the same f64 in Rust and here.
            low, high = bootstrap(n, resamples, confidence, seed,
                                  lambda ix: sum(float(data[i]) for i in ix) / len(ix))
            emit({"kind": "bootstrap", "data": data, "resamples": resamples,
                  "confidence": confidence, "seed": seed, "low": low, "high": high})
    # Paired: base and head over the same items, the statistic mean(head) - mean(base).
    base = [int(x) for x in rng.integers(0, 2, 60)]
    head = [b if rng.uniform() < 0.8 else 1 - b for b in base]
    for resamples, confidence, seed in [(1000, 0.95, DEFAULT_SEED), (500, 0.99, 7)]:
        def delta(ix):
            n = len(ix)
            return sum(float(head[i]) for i in ix) / n - sum(float(base[i]) for i in ix) / n
        low, high = bootstrap(len(base), resamples, confidence, seed, delta)
        emit({"kind": "paired_bootstrap", "base": base, "head": head, "resamples": resamples,
              "confidence": confidence, "seed": seed, "low": low, "high": high})


def main():
    emit({"kind": "versions", "python": sys.version.split()[0],
          **{name: version(name) for name in ("numpy", "scipy", "statsmodels", "mpmath")}})
    wilson_cases()
    mcnemar_cases()
    quantile_cases()
    percentile_cases()
    rng_cases()
    bootstrap_cases()


if __name__ == "__main__":
    main()
