#!/usr/bin/env python3
"""Reference values for the incomplete gamma functions and the chi-square tests of
src/stats/gamma.rs, checked by tests/chi_square_oracle.rs.

Regenerate, from the repository root, with scipy in a virtual environment outside the
repository (the one of stats_oracle.py will do):

    python3 -m venv ../.venv-oracle
    ../.venv-oracle/bin/pip install -r tests/oracles/stats-requirements.txt
    ../.venv-oracle/bin/python tests/oracles/chi_square_oracle.py > tests/oracles/chi_square_cases.jsonl

Writes one JSON object per line, by "kind":

    gamma        scipy.special's gammainc(a, x) -> p and gammaincc(a, x) -> q; and
                 "exact_p", "exact_q": the same at 60 significant digits by mpmath (its upper
                 gamma, and a power series for P below a + 1), rounded once to the nearest f64
                 (0 where it underflows)
    chi2_sf      scipy.stats' chi2.sf(x, df) -> sf; and "exact": Q(df / 2, x / 2) by mpmath
    contingency  scipy.stats' chi2_contingency(table, correction=False) on the table without
                 its all-zero columns -> statistic, df, p_value ("table" keeps those columns)
    psi          the population stability index sum((a - e) * ln(a / e)) over proportions
                 with half a count added to every category, by numpy -> psi

Floats are printed with Python's repr, so they parse into the identical f64.
"""

import json
import sys
from importlib.metadata import version

import mpmath
import numpy as np
from scipy import special, stats

mpmath.mp.dps = 60


def emit(obj):
    print(json.dumps(obj))


def exact_q(a, x):
    """Q(a, x) by mpmath's upper incomplete gamma, regularized, at 60 digits."""
    return mpmath.gammainc(mpmath.mpf(a), mpmath.mpf(x), mpmath.inf, regularized=True)


def exact_p(a, x):
    """P(a, x) at 60 digits: below a + 1 by the power series x^a e^-x / Gamma(a + 1) *
    sum x^n / ((a + 1) ... (a + n)) (mpmath's own lower gamma does not converge there for
    large a), above it as 1 - Q (at least about 1/2 there, so nothing is lost)."""
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    if x >= a + 1:
        return 1 - exact_q(a, x)
    term = total = mpmath.mpf(1)
    n = a
    while term > total * mpmath.mpf(10) ** -70:
        n += 1
        term = term * x / n
        total += term
    return mpmath.exp(a * mpmath.log(x) - x - mpmath.loggamma(a + 1)) * total


# --- P(a, x) and Q(a, x) --------------------------------------------------------------------

SHAPES = [0.01, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.5, 5.0, 7.5, 10.0, 14.5, 15.0, 15.5, 20.0,
          33.3, 50.0, 100.0, 250.5, 500.0, 1000.0, 1e4, 1e5, 1e6]
RATIOS = [1e-3, 0.1, 0.5, 0.8, 0.9, 0.99, 1.0, 1.01, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0]
ABSOLUTE = [1e-10, 1e-3, 0.1, 1.0, 10.0, 100.0, 700.0]


def gamma_points():
    points = []
    for a in SHAPES:
        xs = [a * r for r in RATIOS] + ABSOLUTE
        # Either side of the switch from the series to the continued fraction.
        xs += [a + 1.0, a + 1.0 - 1e-9 * (a + 1.0), a + 1.0 + 1e-9 * (a + 1.0)]
        for x in xs:
            points.append((a, float(x)))
    rng = np.random.default_rng(20261129)
    for _ in range(150):
        a = float(10 ** rng.uniform(-1, 3))
        x = float(a * 10 ** rng.uniform(-1.5, 1.0))
        points.append((a, x))
    return points


def gamma_cases():
    for a, x in gamma_points():
        emit({"kind": "gamma", "a": a, "x": x,
              "p": float(special.gammainc(a, x)), "q": float(special.gammaincc(a, x)),
              "exact_p": float(exact_p(a, x)), "exact_q": float(exact_q(a, x))})


# --- The chi-square survival function -------------------------------------------------------

DFS = [1, 2, 3, 4, 5, 6, 7, 9, 10, 15, 20, 50, 100, 1000]
TAILS = [0.9, 0.5, 0.1, 0.05, 0.01, 1e-3, 1e-6, 1e-10, 1e-20, 1e-50, 1e-100, 1e-300]


def chi2_cases():
    for df in DFS:
        xs = [float(stats.chi2.isf(p, df)) for p in TAILS]
        xs += [0.001, 0.5, 1.0, 3.84, 6.63, 10.0, 100.0, 1000.0]
        for x in xs:
            exact = float(exact_q(mpmath.mpf(df) / 2, mpmath.mpf(x) / 2))
            emit({"kind": "chi2_sf", "x": x, "df": df, "sf": float(stats.chi2.sf(x, df)),
                  "exact": exact})


# --- Tests of homogeneity and the stability index -------------------------------------------

TABLES = [
    [[10, 20, 30], [10, 20, 30]],
    [[10, 20, 30], [30, 20, 10]],
    [[1, 2], [3, 4]],
    [[120, 45, 250, 2], [30, 9, 40, 0]],
    # A baseline of five runs pooled against the latest run: the same model, then one that
    # answers "neutral" far more often.
    [[760, 330, 990, 0], [152, 66, 198, 0]],
    [[760, 330, 990, 0], [101, 190, 125, 0]],
    # An empty column (a label no run predicted) is left out.
    [[5, 0, 7], [9, 0, 2]],
    [[40, 60], [55, 45], [50, 50]],
    [[1000, 1], [1000, 30]],
    [[3, 3, 3, 3, 3, 3], [1, 2, 3, 4, 5, 6]],
]


def contingency_cases():
    for table in TABLES:
        array = np.array(table)
        kept = array[:, array.sum(axis=0) > 0]
        if kept.shape[1] < 2:
            continue
        statistic, p, dof, _ = stats.chi2_contingency(kept, correction=False)
        emit({"kind": "contingency", "table": table, "statistic": float(statistic),
              "df": int(dof), "p_value": float(p)})


PSI_PAIRS = [
    ([10, 20, 30], [10, 20, 30]),
    ([10, 20, 30], [20, 40, 60]),
    ([50, 50], [90, 10]),
    ([760, 330, 990, 0], [152, 66, 198, 0]),
    ([760, 330, 990, 0], [101, 190, 125, 0]),
    ([100, 0, 0], [0, 0, 100]),
    ([1, 1, 1, 1], [4, 0, 0, 0]),
]


def psi(expected, actual):
    e = np.array(expected, dtype=float) + 0.5
    a = np.array(actual, dtype=float) + 0.5
    e /= e.sum()
    a /= a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def psi_cases():
    for expected, actual in PSI_PAIRS:
        emit({"kind": "psi", "expected": expected, "actual": actual,
              "psi": psi(expected, actual)})


def main():
    emit({"kind": "versions", "python": sys.version.split()[0],
          **{name: version(name) for name in ("numpy", "scipy", "mpmath")}})
    gamma_cases()
    chi2_cases()
    contingency_cases()
    psi_cases()


if __name__ == "__main__":
    main()
