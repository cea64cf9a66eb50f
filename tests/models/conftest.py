"""Fixtures for the model tests: the hand-labelled taste sentences."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def taste_labels() -> pd.DataFrame:
    return pd.read_csv(DATA / "taste_labels.csv", keep_default_na=False)
