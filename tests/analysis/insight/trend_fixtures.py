"""Builders of small feedback databases with known shifts, shared by the trends tests.

Mentions are written straight into `taste_mentions` under model_version 'truth-fixture' (with a matching
`predictions` row so the active views pick them up): the shift detector is what is under test, not the
BERT classifier, which is far too slow to run over tens of thousands of comments in a test.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from analysis.store import Store

FIXTURE_MODEL = "truth-fixture"


def _hash(s: pd.Series) -> pd.Series:
    return s.map(lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest())


def load_fixture(store, feedback: pd.DataFrame, mentions: pd.DataFrame, sentiment: pd.Series | None = None):
    """feedback: feedback_id, text, date, [product, category, region, channel, rating];
    mentions: feedback_id, attribute, polarity."""
    fb = feedback.copy()
    fb["date"] = pd.to_datetime(fb["date"]).dt.date
    fb["text_hash"] = _hash(fb["text"].astype(str))
    fb["dedup_key"] = fb["feedback_id"].astype(str)
    preds = pd.DataFrame({
        "feedback_id": fb["feedback_id"], "model_version": FIXTURE_MODEL,
        "sentiment": sentiment if sentiment is not None else "neutral",
        "created_at": pd.Timestamp("2026-01-01")})
    tm = mentions[["feedback_id", "attribute", "polarity"]].assign(model_version=FIXTURE_MODEL, score=1.0)
    with store.transaction() as cur:
        Store.append(cur, "feedback", fb)
        Store.append(cur, "predictions", preds)
        Store.append(cur, "taste_mentions", tm)


REGIONS = ["Lima", "Arequipa", "Cusco", "Puno", "Piura", "Trujillo", "Iquitos"]
CATEGORIES = ["bebidas", "snacks", "lácteos"]
BASE = {("dulce", "positive"): 0.10, ("dulce", "negative"): 0.04, ("picante", "positive"): 0.06,
        ("picante", "negative"): 0.03, ("precio", "negative"): 0.05, ("textura", "positive"): 0.05,
        ("salado", "negative"): 0.03}


def synthetic(n: int = 24_000, seed: int = 7, shuffle_dates: bool = False):
    """24 months (2024-01..2025-12) with two planted shifts:
    - dulce negative in bebidas in Lima+Arequipa: 4% → 16% from 2024-05 (up);
    - picante positive in the south (Arequipa, Cusco, Puno): 6% → 14% from 2025-03 (up).
    With shuffle_dates the dates are permuted across comments: same rows, no shift."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 731, n), unit="D")
    fb = pd.DataFrame({
        "feedback_id": [f"s{i:06d}" for i in range(n)], "date": day,
        "region": rng.choice(REGIONS, n), "category": rng.choice(CATEGORIES, n)})
    fb["product"] = fb["category"] + "-" + rng.choice(["a", "b"], n)
    fb["channel"] = rng.choice(["tienda", "web"], n)
    rows = []
    for (attr, pol), p in BASE.items():
        prob = np.full(n, p)
        if (attr, pol) == ("dulce", "negative"):
            m = ((fb["category"] == "bebidas") & fb["region"].isin(["Lima", "Arequipa"])
                 & (fb["date"] >= "2024-05-01"))
            prob[m.to_numpy()] = 0.16
        if (attr, pol) == ("picante", "positive"):
            m = fb["region"].isin(["Arequipa", "Cusco", "Puno"]) & (fb["date"] >= "2025-03-01")
            prob[m.to_numpy()] = 0.14
        hit = rng.random(n) < prob
        rows.append(pd.DataFrame({"feedback_id": fb.loc[hit, "feedback_id"], "attribute": attr,
                                  "polarity": pol}))
    mentions = pd.concat(rows, ignore_index=True)
    fb["text"] = "comentario " + fb["feedback_id"]
    if shuffle_dates:
        fb["date"] = rng.permutation(fb["date"].to_numpy())
    return fb, mentions


DEMO_COLUMNS = {"ID Encuesta": "feedback_id", "Fecha de respuesta": "date", "Producto": "product",
                "Marca": "brand", "Categoría": "category", "Región": "region", "Canal de compra": "channel",
                "Grupo de edad": "segment", "Comentario del cliente": "text", "Calificación (1-5)": "rating"}


def demo_frames(folder, shuffle_dates: bool = False, seed: int = 11):
    """The demo survey as (feedback, mentions, sentiment) with the generator's truth as the mentions."""
    kw = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    fb = pd.read_csv(f"{folder}/demo_feedback.csv", **kw).rename(columns=DEMO_COLUMNS)
    fb["date"] = pd.to_datetime(fb["date"], format="%d/%m/%Y")
    fb["rating"] = pd.to_numeric(fb["rating"])
    truth = pd.read_csv(f"{folder}/demo_truth.csv", **kw).rename(columns={"ID Encuesta": "feedback_id"})
    sentiment = fb[["feedback_id"]].merge(
        truth.drop_duplicates("feedback_id")[["feedback_id", "overall_sentiment"]],
        how="left")["overall_sentiment"]
    mentions = truth[truth["attribute"] != ""]
    if shuffle_dates:
        fb["date"] = np.random.default_rng(seed).permutation(fb["date"].to_numpy())
    return fb, mentions, sentiment.fillna("neutral").to_numpy()


def demo_folder(tmp_factory) -> str:
    """The committed demo CSVs; if they are not there yet, regenerate them (seeded, identical) in a temp
    dir."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[3] / "data"
    if all((data / f).is_file() for f in ("demo_feedback.csv", "demo_truth.csv", "demo_market.csv")):
        return str(data)
    import subprocess
    import sys

    out = tmp_factory.mktemp("demo")
    subprocess.run([sys.executable, str(data / "make_demo.py"), "--out", str(out)], check=True,
                   capture_output=True)
    return str(out)


def planted_shifts() -> list[dict]:
    """SHIFTS as declared by the generator (the truth the detector must recover)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "data" / "make_demo.py"
    spec = importlib.util.spec_from_file_location("sabor_make_demo", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cats = {p[0]: p[2] for p in mod.PRODUCTS}
    out = []
    for s in mod.SHIFTS:
        start = (s["ramp"] or s["after"])[0]
        out.append(dict(s, start=start, categories=sorted({cats[p] for p in s["products"]}),
                        direction="up" if s["rate"] > _base_rate(mod, s) else "down"))
    return out


def _base_rate(mod, s) -> float:
    prod = s["products"][0]
    rate, pos, neg = mod.ATTRIBUTES[s["attribute"]]
    over = mod.PROFILE[prod].get(s["attribute"])
    if over is not None:
        rate, pos, neg = over if isinstance(over, tuple) else (over, pos, neg)
    share = {"positive": pos, "negative": neg, "neutral": 1 - pos - neg}[s["polarity"]]
    return rate * share


def matches_planted(row: dict, s: dict, zone_regions: dict[str, set]) -> bool:
    """Is a result row about the planted cell (its attribute/polarity, in a segment inside the cell)?"""
    if row["key"] != s["attribute"] or row["polarity"] != s["polarity"] or row["metric"] != "share":
        return False
    regions = s["regions"]
    st, seg = row["segment_type"], row["segment"]
    if st == "product":
        return seg in s["products"]
    if st == "category":
        return seg in s["categories"]
    if st == "region":
        return regions is None or seg in regions
    if st == "zone":
        return regions is not None and zone_regions.get(seg, set()) <= set(regions)
    if st == "category_region":
        cat, reg = seg.split(" · ", 1)
        return cat in s["categories"] and (regions is None or reg in regions)
    return st == "all"


def load_demo_market(store, folder) -> pd.DataFrame:
    """demo_market.csv (wide, Spanish headers) melted into market_trends rows."""
    wide = pd.read_csv(f"{folder}/demo_market.csv", encoding="utf-8")
    long = wide.melt(id_vars=["Mes", "Producto", "Región"], var_name="metric", value_name="value")
    long = long.rename(columns={"Producto": "product", "Región": "region"})
    long["date"] = pd.to_datetime(long.pop("Mes") + "-01").dt.date
    with store.transaction() as cur:
        Store.append(cur, "market_trends", long[["date", "product", "region", "metric", "value"]])
    return long


def attach_demo_truth(store, folder) -> int:
    """For a store filled by the real ingestion (analysis.demo.load_demo): write the generator's truth
    as the mentions and sentiment. Rows are matched by file line (ENC-n is data row n = line n + 1)."""
    kw = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    truth = pd.read_csv(f"{folder}/demo_truth.csv", **kw)
    truth["source_row"] = truth["ID Encuesta"].str.slice(4).astype(int) + 1
    ids = store.query("SELECT feedback_id, source_row FROM feedback")
    t = truth.merge(ids, on="source_row")
    sent = t.drop_duplicates("feedback_id")[["feedback_id", "overall_sentiment"]]
    preds = pd.DataFrame({"feedback_id": sent["feedback_id"], "model_version": FIXTURE_MODEL,
                          "sentiment": sent["overall_sentiment"].replace("", "neutral"),
                          "created_at": pd.Timestamp("2026-01-01")})
    tm = t[t["attribute"] != ""][["feedback_id", "attribute", "polarity"]].assign(
        model_version=FIXTURE_MODEL, score=1.0)
    with store.transaction() as cur:
        Store.append(cur, "predictions", preds)
        Store.append(cur, "taste_mentions", tm)
    return len(tm)
