"""The statistics every finding rests on, checked against values worked by hand."""
import numpy as np
import pytest

from analysis import stats


def test_benjamini_hochberg_and_two_proportion_known_values():
    q = stats.bh_qvalues([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])
    # 30/100 vs 45/100: pooled p = .375, se = sqrt(.375*.625*.02) = .068465, z = 2.19089
    _p0, _p1, diff, lo, hi, z, p = stats.two_proportion(30, 100, 45, 100)
    assert z == pytest.approx(2.19089, abs=1e-4) and p == pytest.approx(0.02846, abs=1e-4)
    assert lo < diff < hi and diff == pytest.approx(0.15)


def test_holm_is_step_down_and_never_below_raw_p():
    # p sorted: .01*3=.03, .02*2=.04, .04*1=.04 (monotone); NaN is not counted as a test
    adj = stats.holm([0.04, 0.01, np.nan, 0.02])
    np.testing.assert_allclose(adj[[1, 3, 0]], [0.03, 0.04, 0.04])
    assert np.isnan(adj[2])


def test_mean_difference_from_sums_matches_direct_computation():
    rng = np.random.default_rng(3)
    a, b = rng.normal(4.2, 0.8, 200), rng.normal(3.9, 1.1, 300)
    m1, m0, d, lo, hi = stats.mean_diff(a.sum(), (a * a).sum(), len(a), b.sum(), (b * b).sum(), len(b))
    assert (m1 == pytest.approx(a.mean()) and m0 == pytest.approx(b.mean())
            and d == pytest.approx(a.mean() - b.mean()))
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert hi - lo == pytest.approx(2 * stats.Z95 * se)
