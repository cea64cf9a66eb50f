"""Topic quality on every real corpus we have: how many topics, the largest share, unassigned comments,
whether a second fit gives the same assignments, and a few labels (the table in the README).

    python bench/topics_quality.py                       # every corpus (minutes: 100k+ comments to embed)
    python bench/topics_quality.py --only tripadvisor     # one corpus

Embeddings are cached (by text hash and encoder version) in ~/.cache/sabor/bench-topics.duckdb, so a
re-run only pays the fits. Corpora: ../shared/data/real (TripAdvisor Sevilla, Rest-Mex, Amazon) and
../shared/data/train (Guía Óleo 20k and 50k samples, Domicilios delivery 20k, Domicilios comments).
Not a test: it takes minutes and its timings depend on the machine's load.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd

from analysis.insight.topics import embed_with_cache
from analysis.store import Store
from models.embeddings import text_hash
from models.topics import fit_topics

SHARED = ROOT.parent / "shared" / "data"


def _texts(s: pd.Series, n: int | None = None, seed: int = 7) -> list[str]:
    s = s.dropna().astype(str).str.replace(r"<br\s*/?>", " ", regex=True)
    s = s.str.strip().str.strip('"').str.strip()
    s = s[s.str.len() > 15].drop_duplicates()
    return (s.sample(n, random_state=seed) if n and len(s) > n else s).tolist()


CORPORA = {
    "tripadvisor": lambda: _texts(pd.read_csv(SHARED / "real" / "tripadvisor_sevilla_japanese_es.csv",
                                              encoding="utf-8-sig")["text"]),
    "restmex": lambda: _texts(pd.read_csv(SHARED / "real" / "restmex2021_guanajuato_es.csv")["Opinion"]),
    "amazon": lambda: _texts(pd.read_csv(SHARED / "real" / "amazon_fine_food_en.csv")["Text"]),
    "domicilios-comentarios": lambda: _texts(
        pd.read_csv(SHARED / "train" / "domicilios_bogota_user_comments_es.csv")["text"]),
    "domicilios-20k": lambda: _texts(
        pd.read_csv(SHARED / "train" / "domicilios_bogota_delivery_es.csv")["Comments"], 20_000),
    "guiaoleo-20k": lambda: _texts(
        pd.read_csv(SHARED / "train" / "guiaoleo_buenosaires_restaurants_es.csv")["text"], 20_000),
    "guiaoleo-50k": lambda: _texts(
        pd.read_csv(SHARED / "train" / "guiaoleo_buenosaires_restaurants_es.csv")["text"], 50_000),
}


def measure(name: str, store: Store) -> dict:
    texts = CORPORA[name]()
    X = embed_with_cache(store, [text_hash(t) for t in texts], texts)
    t0 = time.perf_counter()
    a = fit_topics(texts, X)
    seconds = time.perf_counter() - t0
    b = fit_topics(texts, X)
    sizes = pd.Series(a.topics).value_counts(normalize=True)
    return {"corpus": name, "comments": len(texts), "topics": len(a.info),
            "largest": f"{sizes.max():.1%}", "unassigned": f"{(a.topics == -1).mean():.1%}",
            "same on refit": bool(np.array_equal(a.topics, b.topics)), "fit s": round(seconds),
            "labels": " / ".join(a.info["label"].head(3))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", choices=list(CORPORA))
    args = ap.parse_args()
    cache = Path.home() / ".cache" / "sabor" / "bench-topics.duckdb"
    cache.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(cache)
    rows = []
    for name in args.only or CORPORA:
        rows.append(measure(name, store))
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
