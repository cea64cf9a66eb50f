"""Head fitting and decision tuning."""
from __future__ import annotations

import numpy as np

from models import heads


def test_ordinal_cuts_improve_exact_accuracy_over_plain_rounding():
    rng = np.random.default_rng(1)
    stars = rng.integers(1, 6, 2000)
    ev = 3 + 0.5 * (stars - 3) + rng.normal(0, 0.3, 2000)      # compressed toward the middle, as heads are
    cuts = heads.tune_cuts(ev, stars)
    tuned = np.mean(1 + np.searchsorted(cuts, ev, side="right") == stars)
    plain = np.mean(np.clip(np.rint(ev), 1, 5) == stars)
    assert tuned > plain + 0.1
