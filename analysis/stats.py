"""The statistics every finding rests on: two-proportion tests, mean differences, multiple-testing
corrections. Vectorised numpy: callers pass arrays of counts, never rows."""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

Z95 = 1.959963984540054            # two-sided 95 %
Z95_ONE_SIDED = 1.6448536269514722  # one-sided 95 %


def two_proportion(k0, n0, k1, n1, z_crit: float = Z95):
    """Pooled two-proportion z-test, vectorised. Returns (p0, p1, diff, ci_low, ci_high, z, p)."""
    k0, n0, k1, n1 = (np.asarray(x, dtype=float) for x in (k0, n0, k1, n1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p0, p1 = k0 / n0, k1 / n1
        pool = (k0 + k1) / (n0 + n1)
        se = np.sqrt(pool * (1 - pool) * (1 / n0 + 1 / n1))
        z = np.where(se > 0, (p1 - p0) / se, 0.0)
        se_u = np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    diff = p1 - p0
    return p0, p1, diff, diff - z_crit * se_u, diff + z_crit * se_u, z, 2 * norm.sf(np.abs(z))


def mean_diff(s1, ss1, n1, s0, ss0, n0, z: float = Z95):
    """Difference of means (group 1 - group 0) from sums, with a Welch normal-approximation CI."""
    s1, ss1, n1, s0, ss0, n0 = (np.asarray(x, dtype=float) for x in (s1, ss1, n1, s0, ss0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        v1 = (ss1 - n1 * m1 ** 2) / (n1 - 1)
        v0 = (ss0 - n0 * m0 ** 2) / (n0 - 1)
        se = np.sqrt(np.clip(v1, 0, None) / n1 + np.clip(v0, 0, None) / n0)
    d = m1 - m0
    return m1, m0, d, d - z * se, d + z * se


def bh_qvalues(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN stays NaN and is not counted as a test."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def holm(p) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN stays NaN and is not counted as a test."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m:
        pv = p[ok]
        order = np.argsort(pv)
        adj = np.minimum(1.0, np.maximum.accumulate(pv[order] * (m - np.arange(m))))
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    return out
