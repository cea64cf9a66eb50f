"""Training labels: stars or class words to classes, and the bilingual refusal of anything else."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import labels


@pytest.mark.parametrize("values", [["1", "2", "7"], ["bueno", "regular", "??"], ["0.5", "3", "4"]])
def test_unmappable_labels_raise_a_bilingual_message(values):
    with pytest.raises(ValueError) as e:
        labels.map_labels(pd.Series(values))
    assert "Etiquetas no reconocidas" in str(e.value) and "Unrecognised labels" in str(e.value)


def test_labels_map_from_stars_and_words():
    cls, stars = labels.map_labels(pd.Series([1, 2, 3, 4, 5]))
    assert cls.tolist() == ["negative", "negative", "neutral", "positive", "positive"]
    cls, stars = labels.map_labels(pd.Series(["Positivo", "neutral", "NEG"]))
    assert cls.tolist() == ["positive", "neutral", "negative"] and np.isnan(stars).all()
