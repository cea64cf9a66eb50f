"""Benchmark: BERTopic on 10,000 and 50,000 comments on this machine, embeddings cached.

Comments are resampled (seeded) from the demo survey plus the three real review datasets. Their
embeddings are computed once and cached in a DuckDB file by text hash and encoder version (the same
cache the app uses), so the figures printed are what a re-fit costs once comments are vectorised;
the one-off encoding speed is printed too.

    python bench/topics.py                     # 10k and 50k
    python bench/topics.py --sizes 2000        # quick check
Not a test: it takes minutes and its timings depend on the machine's load.
"""
from __future__ import annotations

import argparse
import os
import resource
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
from models.embeddings import default_encoder, text_hash
from models.topics import fit_topics

REAL = ROOT.parent / "shared" / "data" / "real"


def pool() -> list[str]:
    parts = [pd.read_csv(ROOT / "data" / "demo_feedback.csv", dtype=str)["Comentario del cliente"],
             pd.read_csv(REAL / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig")["text"],
             pd.read_csv(REAL / "restmex2021_guanajuato_es.csv")["Opinion"].str.strip('"'),
             pd.read_csv(REAL / "amazon_fine_food_en.csv")["Text"]]
    s = pd.concat(parts, ignore_index=True).dropna().astype(str).str.strip()
    return s[s.str.len() > 3].drop_duplicates().tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "sabor" / "bench_embeddings.duckdb"))
    args = ap.parse_args()
    texts = pool()
    store = Store.open(args.cache)
    hashes = [text_hash(t) for t in texts]
    enc = default_encoder()
    t0 = time.perf_counter()
    cached_before = store.scalar("SELECT count(*) FROM embeddings WHERE model_version = ?",
                                 [enc.model_version])
    embed_with_cache(store, hashes, texts, enc,
                         progress=lambda m, f: print(f"\r{m}", end="", file=sys.stderr, flush=True))
    enc_s = time.perf_counter() - t0
    new = len(set(hashes)) - cached_before
    print(f"\npool: {len(texts):,} distinct texts; encoded {max(new, 0):,} new in {enc_s:.1f} s"
          + (f" ({max(new, 1) / enc_s:.1f} texts/s)" if new > 0 else " (all cached)"))
    rng = np.random.default_rng(20251125)
    rows = []
    for n in args.sizes:
        ix = rng.choice(len(texts), size=n, replace=n > len(texts))
        t1 = time.perf_counter()
        Xn = embed_with_cache(store, [hashes[i] for i in ix], [texts[i] for i in ix], enc)   # cache lookup
        load_s = time.perf_counter() - t1
        stages = []
        res = fit_topics([texts[i] for i in ix], Xn,
                         progress=lambda m, f, st=stages: st.append((m, time.perf_counter())))
        marks = dict(stages)
        knn_s = marks["Reducción (UMAP) y agrupamiento (HDBSCAN)"] - marks["Vecinos exactos (coseno)"]
        rows.append({"docs": n, "distinct": len(set(ix.tolist())), "cache_load_s": round(load_s, 1),
                         "exact_knn_s": round(knn_s, 1), "fit_total_s": round(res.seconds, 1),
                         "topics": len(res.info),
                         "outliers_clustered": f"{res.outlier_share_clustered:.1%}",
                         "outliers_final": f"{res.outlier_share:.1%}",
                         "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})
        print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
        print("  top topics:", "; ".join(res.info["label"].head(6)), flush=True)
    print("\n" + pd.DataFrame(rows).to_string(index=False))
    print(f"(2-core machine, load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
