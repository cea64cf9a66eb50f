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


def test_a_labelled_file_goes_through_the_project_reader_and_rows_without_text_or_label_are_dropped(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text('texto;nota\nmuy rico;5\nNA;4\nsin nota;\nregular;NA\n"""caro <br />y poco""";2\n',
                 encoding="utf-8")
    df = labels.load_labelled(f, "texto", "nota")
    assert df["text"].tolist() == ["muy rico", "caro y poco"]
    assert df["cls"].tolist() == ["positive", "negative"] and df["stars"].tolist() == [5.0, 2.0]
    x = tmp_path / "l.xlsx"
    pd.DataFrame({"texto": ["muy rico", "caro"], "nota": [5.0, 2.0]}).to_excel(x, index=False)
    assert labels.load_labelled(x, "texto", "nota")["stars"].tolist() == [5.0, 2.0]
    with pytest.raises(ValueError, match="file not found"):
        labels.load_labelled(tmp_path / "none.csv", "texto", "nota")
