"""Benchmark: what the pages run, over 1,000,000 synthetic comments with synthetic predictions and mentions.

    nice -n 10 .venv/bin/python bench/queries.py [--rows 1000000] [--repeat 3] [--db PATH]

The comments (the demo's texts, products, regions and channels over 36 months), one prediction each, taste
attributes (~0.9 per comment) and food scans/mentions (~0.35 per comment) are written straight into a new
store (no model runs), then each page's work is timed through the same functions the pages call: the
overview (KPIs, monthly series, products and regions), the trend scan (attributes, food mentions), the top-N
breakdown, the drill-down to comments (overview and trends), and the ask answerer on ten questions. Prints
a Markdown table: first run (cold) and best of `--repeat`, against the issue's targets (each under 500 ms,
the trend scan under 3 s). Not a test: the machine is shared, so only this table's numbers are quoted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.filters import Filters  # noqa: E402
from analysis.store import Store  # noqa: E402

MODEL = "bench-synthetic-v1"
LEXICON = "bench-lexicon"
FOODS = [("chicha morada", "bebidas"), ("ceviche", "pescados y mariscos"), ("lomo saltado", "carnes"),
         ("ají amarillo", "ajíes"), ("chocolate", "dulces"), ("lúcuma", "frutas"), ("papa", "tubérculos"),
         ("quinua", "granos andinos"), ("pisco", "bebidas"), ("anticucho", "carnes")]

ASK_OUTCOMES: list[list[str]] = []     # per run of the ten questions: "answered" or the error code
QUESTIONS = [
    "¿Cuántos comentarios hay en Lima?",
    "¿Cuál es la calificación promedio en Cusco?",
    "¿Qué producto tiene más quejas?",
    "¿Cuántas quejas por dulce hubo en 2025?",
    "What share of comments are negative?",
    "¿Qué región tiene más comentarios negativos?",
    "¿Cómo evolucionó el sentimiento por mes en 2025?",
    "¿Cuántos comentarios mencionan la chicha morada?",
    "Which attribute gets the most complaints?",
    "¿Qué porcentaje de comentarios sobre la Chicha morada embotellada 500 ml son positivos?",
]


def build(store: Store, rows: int, seed: int = 5) -> None:
    from models.taxonomy import ATTRIBUTES

    rng = np.random.default_rng(seed)
    demo = pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str)
    pick = rng.integers(0, len(demo), rows)
    days = pd.date_range("2023-01-01", "2025-12-31", freq="D")
    date = days[rng.integers(0, len(days), rows)]
    fid = np.char.add("fb_", np.char.zfill(np.arange(rows).astype(str), 12))
    text = demo["Comentario del cliente"].to_numpy()[pick] + " #" + rng.integers(0, 50, rows).astype(str)
    fb = pd.DataFrame({
        "feedback_id": fid, "text": text, "date": date, "rating": rng.integers(1, 6, rows).astype(float),
        "product": demo["Producto"].to_numpy()[pick], "brand": demo["Marca"].to_numpy()[pick],
        "category": demo["Categoría"].to_numpy()[pick],
        "region": demo["Región"].to_numpy()[rng.integers(0, len(demo), rows)],
        "channel": demo["Canal de compra"].to_numpy()[rng.integers(0, len(demo), rows)],
        "segment": demo["Grupo de edad"].to_numpy()[rng.integers(0, len(demo), rows)],
        "lang": "es", "date_precision": "day", "source_row": np.arange(2, rows + 2), "upload_id": "bench"})
    sentiment = rng.choice(np.array(["negative", "neutral", "positive"]), rows, p=[0.3, 0.2, 0.5])
    p_pos = rng.random(rows)
    preds = pd.DataFrame({"feedback_id": fid, "model_version": MODEL, "sentiment": sentiment,
                          "sentiment_score": p_pos * 2 - 1,
                          "stars_pred": rng.integers(1, 6, rows).astype("int32"),
                          "p_negative": (1 - p_pos) / 2, "p_neutral": (1 - p_pos) / 2, "p_positive": p_pos,
                          "truncated": False, "created_at": pd.Timestamp("2026-01-01")})
    # taste attributes: 0-2 per comment, complaints about "dulce" growing over the last year (a real shift)
    n_attr = rng.choice([0, 1, 2], rows, p=[0.35, 0.4, 0.25])
    idx = np.repeat(np.arange(rows), n_attr)
    attrs = np.array(ATTRIBUTES)[rng.integers(0, len(ATTRIBUTES), len(idx))]
    pol = rng.choice(np.array(["negative", "neutral", "positive"]), len(idx), p=[0.35, 0.15, 0.5])
    late = date[idx] >= pd.Timestamp("2025-01-01")
    pol = np.where(late & (attrs == "dulce") & (rng.random(len(idx)) < 0.3), "negative", pol)
    mentions = pd.DataFrame({"feedback_id": fid[idx], "model_version": MODEL, "attribute": attrs,
                             "polarity": pol, "score": rng.random(len(idx)), "evidence": "…"})
    mentions = mentions.drop_duplicates(["feedback_id", "attribute"])
    n_food = rng.choice([0, 1], rows, p=[0.65, 0.35])
    fidx = np.repeat(np.arange(rows), n_food)
    food = rng.integers(0, len(FOODS), len(fidx))
    foods = pd.DataFrame({"feedback_id": fid[fidx], "model_version": MODEL, "lexicon_version": LEXICON,
                          "entry": [FOODS[i][0] for i in food], "family": [FOODS[i][1] for i in food],
                          "polarity": rng.choice(np.array(["negative", "neutral", "positive"]), len(fidx)),
                          "score": rng.random(len(fidx)), "evidence": "…"})
    scans = pd.DataFrame({"feedback_id": fid, "model_version": MODEL, "lexicon_version": LEXICON})
    with store.transaction() as cur:
        cur.register("_fb", fb)
        cur.execute("""INSERT INTO feedback BY NAME
                       SELECT * REPLACE (CAST(date AS DATE) AS date), md5(lower(text)) AS text_hash,
                              md5(feedback_id) AS dedup_key FROM _fb""")
        cur.unregister("_fb")
        for table, df in (("predictions", preds), ("taste_mentions", mentions), ("food_mentions", foods),
                          ("food_scans", scans)):
            Store.append(cur, table, df)
        cur.execute("INSERT OR REPLACE INTO settings VALUES ('food_lexicon_version', ?)", [LEXICON])
        cur.execute("""INSERT INTO uploads VALUES ('bench', 'feedback', 'bench.csv', 'x', 0, ?, ?, 0, 0,
                       'utf-8', '{}', '{}', now())""", [rows, rows])
    store.cursor().execute("CHECKPOINT")


def steps(store: Store) -> list[tuple[str, float, object]]:
    """(name, target seconds, callable) for what the pages run."""
    from analysis.ask import ask
    from analysis.insight import overview, trends

    f = Filters()
    lima = Filters(regions=("Lima",))

    def ask_all():
        out = [ask(store, q, client=None) for q in QUESTIONS]
        ASK_OUTCOMES.append([a.error or "answered" for a in out])
        return out

    def ask_each():
        times = []
        for q in QUESTIONS:
            t = time.perf_counter()
            ask(store, q, client=None)
            times.append(time.perf_counter() - t)
        return max(times)

    return [
        ("overview: KPIs", 0.5, lambda: overview.kpis(store, f)),
        ("overview: monthly series", 0.5, lambda: overview.monthly(store, f)),
        ("overview: monthly series, Lima", 0.5, lambda: overview.monthly(store, lima)),
        ("top-N: products (20)", 0.5, lambda: overview.by_dimension(store, "product", f)),
        ("top-N: regions (20)", 0.5, lambda: overview.by_dimension(store, "region", f)),
        ("filter options (sidebar)", 0.5, lambda: overview.filter_options(store)),
        ("drill-down: comments of a month and product", 0.5,
         lambda: overview.verbatims(store, f, month="2025-06-01",
                                    product="Chicha morada embotellada 500 ml")),
        ("drill-down: comments behind a trend point", 0.5,
         lambda: trends.verbatims(store, "attribute", "dulce", "negative", month="2025-06-01")),
        ("comments page (API, 50 newest)", 0.5, lambda: overview.comments_page(store, f)),
        ("trend scan: attributes", 3.0, lambda: trends.trend_view(store, "attribute", f)),
        ("trend scan: food mentions", 3.0, lambda: trends.trend_view(store, "mention", f)),
        ("ask: slowest of ten questions", 0.5, ask_each),
        ("ask: ten questions in all", None, ask_all),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", help="keep the synthetic store here (default: a temporary directory)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench_queries.duckdb"
        fresh = not path.exists()
        store = Store.open(path)
        t = time.perf_counter()
        if fresh:
            build(store, args.rows)
        n = store.feedback_count()
        n_taste = store.scalar("SELECT count(*) FROM taste_mentions")
        print(f"store: {n:,} comments, {n_taste:,} taste mentions, "
              f"{store.scalar('SELECT count(*) FROM food_mentions'):,} food mentions "
              f"({'built' if fresh else 'reused'} in {time.perf_counter() - t:.1f} s)\n")
        print("| page work | target | first (s) | best of {} (s) | ok |".format(args.repeat))
        print("|---|---:|---:|---:|:---:|")
        for name, target, fn in steps(store):
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = fn()
                dt = time.perf_counter() - t
                times.append(out if name.startswith("ask: slowest") else dt)
            best = min(times)
            ok = "" if target is None else ("yes" if best < target else "NO")
            tgt = "" if target is None else f"< {target:g} s"
            print(f"| {name} | {tgt} | {times[0]:.3f} | {best:.3f} | {ok} |")
        for i, outcomes in enumerate(ASK_OUTCOMES, 1):
            counts = {k: outcomes.count(k) for k in dict.fromkeys(outcomes)}
            print(f"ask run {i}: {counts}")
        print("\n'first' is the first run in this process (cold); the dashboard then caches each result "
              "by data_version.")
        store.close()


if __name__ == "__main__":
    main()
