"""Test fixture: food mentions for stores whose comments were not scored by the model.

The scoring pass (`analysis.ops.scoring`) finds foods with `models.mentions.find_foods` and takes each
food's polarity from the encoder's reading of its clause: far too slow for tests over thousands of comments.
Here the foods are found by the same `find_foods` (the real lexicon, default version) and the polarity comes
from a stand-in:

- demo (`demo_food_frame`): the polarity of the truth clause (data/demo_truth.csv) that contains the food's
  words, the first such clause in the truth file's order; 'neutral' when no truth clause contains them
  ("Sobre la chicha morada: ..." names the product outside any planted clause);
- RestMex (`restmex_food_frame`): the review's rating (1-2 negative, 3 neutral, 4-5 positive), the same
  reading `load_restmex_scored` writes as the review's sentiment.

A food named twice in one clause counts once (as `find_foods` reports it). `add_foods` records every comment
with a prediction of `model_version` as scanned under the lexicon's version and sets the
`food_lexicon_version` setting, so the `active_food_mentions` / `foods_enriched` views show them exactly as
after a real scoring run. The question bank's gold answers are computed with pandas from the same frames
(tests/analysis/ask/bank/gold.py): what is tested is the answerer's parsing and SQL, not the lexicon.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.store import Store
from tests.fixtures_truth import DATA, FIXTURE_MODEL, load_demo_with_truth, read_truth

RATING_MODEL = "rating-fixture"
FOOD_COLUMNS = ["source_id", "entry", "family", "polarity", "evidence"]


def _lexicon():
    from models.mentions import default_lexicon

    return default_lexicon()


def rating_polarity(rating) -> str:
    r = pd.to_numeric(rating, errors="coerce")
    if pd.isna(r):
        return "neutral"
    return "negative" if r <= 2 else "positive" if r >= 4 else "neutral"


def _frame(texts: pd.Series, polarity_of) -> pd.DataFrame:
    """One row per food mention of each text (index = source id); `polarity_of(source_id, text, mention)`."""
    from models.mentions import find_foods

    lex = _lexicon()
    rows = []
    for sid, text in texts.items():
        for m in find_foods(text, lexicon=lex):
            rows.append((str(sid), m.entry, m.family, polarity_of(str(sid), text, m), text[m.start:m.end]))
    return pd.DataFrame(rows, columns=FOOD_COLUMNS)


@lru_cache(maxsize=None)
def demo_food_frame() -> pd.DataFrame:
    fb = pd.read_csv(DATA / "demo_feedback.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    texts = fb.set_index("ID Encuesta")["Comentario del cliente"].str.strip()
    truth = read_truth()
    truth = truth[truth["clause"] != ""]
    clauses = {sid: list(zip(g["clause"].str.lower(), g["polarity"]))
               for sid, g in truth.groupby("ID Encuesta")}

    def polarity(sid: str, text: str, m) -> str:
        low = text.lower()
        for clause, pol in clauses.get(sid, []):
            at = low.find(clause)
            while at >= 0:
                if at <= m.start and m.end <= at + len(clause):
                    return pol
                at = low.find(clause, at + 1)
        return "neutral"

    return _frame(texts[~texts.index.duplicated()], polarity)


@lru_cache(maxsize=None)
def restmex_food_frame(path: str) -> pd.DataFrame:
    r = pd.read_csv(path, dtype=str, keep_default_na=False)
    texts = r.set_index("index")["Opinion"].str.strip()
    ratings = r.set_index("index")["Label"]
    return _frame(texts[~texts.index.duplicated()], lambda sid, text, m: rating_polarity(ratings.get(sid)))


def add_foods(store: Store, frame: pd.DataFrame, model_version: str) -> dict:
    """Write scans (every comment with a prediction of `model_version`), the frame's mentions and the
    lexicon-version setting, in one transaction."""
    lex_version = _lexicon().version
    ids = store.query("SELECT f.feedback_id, f.source_id FROM feedback f JOIN predictions p "
                      "USING (feedback_id) WHERE p.model_version = ?", [model_version])
    scans = pd.DataFrame({"feedback_id": ids["feedback_id"], "model_version": model_version,
                          "lexicon_version": lex_version})
    m = frame.merge(ids, on="source_id")
    mentions = pd.DataFrame({"feedback_id": m["feedback_id"], "model_version": model_version,
                             "lexicon_version": lex_version, "entry": m["entry"], "family": m["family"],
                             "polarity": m["polarity"], "score": 1.0, "evidence": m["evidence"]})
    with store.transaction() as cur:
        Store.append(cur, "food_scans", scans)
        Store.append(cur, "food_mentions", mentions)
        cur.execute("INSERT OR REPLACE INTO settings VALUES ('food_lexicon_version', ?)", [lex_version])
    return {"scanned": len(scans), "food_mentions": len(mentions)}


def load_demo_with_foods(store: Store) -> dict:
    """The demo with its truth as the model output (tests/fixtures_truth.py) and food mentions."""
    counts = load_demo_with_truth(store)
    counts.update(add_foods(store, demo_food_frame(), FIXTURE_MODEL))
    return counts


def load_restmex_scored(store: Store, path: str | Path) -> dict:
    """The RestMex file through the real ingestion, 'scored' without a model: each review's sentiment read
    from its rating (1-2 negative, 3 neutral, 4-5 positive; no taste mentions) and its food mentions."""
    from analysis.ingest import ingest_file

    ingest_file(store, Path(path))
    fb = store.query("SELECT feedback_id, rating FROM feedback")
    preds = pd.DataFrame({"feedback_id": fb["feedback_id"], "model_version": RATING_MODEL,
                          "sentiment": [rating_polarity(r) for r in fb["rating"]],
                          "created_at": pd.Timestamp("2026-01-01")})
    with store.transaction() as cur:
        Store.append(cur, "predictions", preds)
    counts = {"feedback": len(fb), "predictions": len(preds)}
    counts.update(add_foods(store, restmex_food_frame(str(path)), RATING_MODEL))
    return counts
