"""One encoder per test session: loading it costs seconds, so every slow test shares it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def encoder():
    from models.encoder import get_encoder

    return get_encoder()


@pytest.fixture(scope="session")
def analyzer(encoder):
    from models.sentiment import Analyzer, active_head

    head = active_head()
    # The shipped head may carry its own adapted encoder; only the base one can be shared.
    return Analyzer(head, encoder=encoder if head.adapter is None else None)


@pytest.fixture(scope="session")
def taste_labels() -> pd.DataFrame:
    return pd.read_csv(DATA / "taste_labels.csv", keep_default_na=False)
