"""Test fixture: the demo survey loaded through the real ingestion, with the generator's truth as the
model output.

`load_demo_with_truth(store)` ingests data/demo_feedback.csv and data/demo_market.csv exactly as a user
would (`analysis.demo.load_demo`), then fills `predictions` and `taste_mentions` from data/demo_truth.csv
under model_version 'truth-fixture' instead of running the BERT classifier (far too slow for tests over
13k comments). Downstream code (trends, insights, reports) then reads the same facts the generator planted,
so a test failure is about that code, not about classifier recall.

The file's id column "ID Encuesta" is stored as `feedback.source_id`; truth rows are matched on it.
Sentiment = the truth's overall_sentiment; mention score 1.0; evidence = the clause text.
With `shuffle_dates=True` the comment dates are permuted (seeded) in a temporary copy of the CSV before
ingestion: same rows, same mentions, no trend left in time.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.store import Store

FIXTURE_MODEL = "truth-fixture"
DATA = Path(__file__).resolve().parents[1] / "data"
DATE_COL = "Fecha de respuesta"


def read_truth() -> pd.DataFrame:
    return pd.read_csv(DATA / "demo_truth.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def load_demo_with_truth(store: Store, shuffle_dates: bool = False, tmp_dir: str | Path | None = None,
                         seed: int = 11) -> dict:
    """Ingest the demo (feedback + market) and write the truth as predictions/mentions. Returns counts."""
    from analysis.ingest import ingest_file

    if shuffle_dates:
        if tmp_dir is None:
            raise ValueError("shuffle_dates needs tmp_dir for the shuffled copy of the CSV")
        fb = pd.read_csv(DATA / "demo_feedback.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        fb[DATE_COL] = np.random.default_rng(seed).permutation(fb[DATE_COL].to_numpy())
        path = Path(tmp_dir) / "demo_feedback_shuffled.csv"
        fb.to_csv(path, index=False, encoding="utf-8")
        ingest_file(store, path, kind="feedback")
        ingest_file(store, DATA / "demo_market.csv", kind="market")
    else:
        from analysis.demo import load_demo

        load_demo(store)
    ids = store.query("SELECT feedback_id, source_id FROM feedback WHERE source_id IS NOT NULL")
    truth = read_truth().rename(columns={"ID Encuesta": "source_id"}).merge(ids, on="source_id")
    per_comment = truth.drop_duplicates("feedback_id")
    preds = pd.DataFrame({"feedback_id": per_comment["feedback_id"], "model_version": FIXTURE_MODEL,
                          "sentiment": per_comment["overall_sentiment"].replace("", "neutral"),
                          "created_at": pd.Timestamp("2026-01-01")})
    m = truth[truth["attribute"] != ""]
    mentions = pd.DataFrame({"feedback_id": m["feedback_id"], "model_version": FIXTURE_MODEL,
                             "attribute": m["attribute"], "polarity": m["polarity"], "score": 1.0,
                             "evidence": m["clause"]})
    with store.transaction() as cur:
        Store.append(cur, "predictions", preds)
        Store.append(cur, "taste_mentions", mentions)
    return {"feedback": len(ids), "predictions": len(preds), "mentions": len(mentions)}
