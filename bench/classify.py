"""Benchmark (not a test): naive per-text, per-head `transformers` pipeline vs Sabor's batched path.

Same encoder weights, same heads, same texts, one run:
  naive  — a `transformers.pipeline("feature-extraction")` call per text *per head*: the sentiment head,
           the star head and, for every clause that mentions a taste attribute, one more call on the
           clause (how one would wire separate models/heads without sharing the pass);
  sabor  — `models.sentiment.Analyzer.analyze`: length-sorted batches with dynamic padding, one
           forward pass per text under `torch.inference_mode`, clause vectors pooled from that pass.

    python bench/classify.py [--n 200] [--batch-size 64] [--file tripadvisor_sevilla_japanese_es.csv]

Prints texts/s for both and the throughput ratio; also how often the two paths agree on the sentiment.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import torch

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def naive_path(texts, analyzer):
    from transformers import PreTrainedTokenizerFast, pipeline

    from models import taste
    from models.encoder import PREFIX

    enc = analyzer.encoder
    tok = PreTrainedTokenizerFast(tokenizer_file=str(enc.path / "tokenizer.json"), bos_token="<s>",
                                  eos_token="</s>", pad_token="<pad>", unk_token="<unk>", model_max_length=512)
    fe = pipeline("feature-extraction", model=enc.model, tokenizer=tok, device=-1)

    def embed(t: str) -> np.ndarray:
        h = np.asarray(fe(PREFIX + t, tokenize_kwargs={"truncation": True, "max_length": 512}))[0]  # (tokens, 384)
        v = h.mean(0)
        return v / np.linalg.norm(v)

    head = analyzer.head
    out = []
    for t in texts:
        sentiment = head.predict(embed(t)[None]).sentiment[0]                # call 1: sentiment head
        _stars = head.stars(embed(t)[None])[0]                               # call 2: star head
        clauses = taste.split_clauses(t)
        for m in taste.find_mentions(t, clauses):                            # one call per mention
            a, b = clauses[m.clause]
            head.probs(embed(t[a:b])[None])
        out.append(sentiment)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--file", default="tripadvisor_sevilla_japanese_es.csv")
    ap.add_argument("--column", default="text")
    args = ap.parse_args()

    from models.sentiment import Analyzer

    df = pd.read_csv(REAL / args.file, encoding="utf-8-sig")
    texts = df[args.column].dropna().astype(str).sample(args.n, random_state=7).tolist()
    analyzer = Analyzer()
    analyzer.analyze(texts[:8])                                              # warm-up both paths alike
    print(f"encoder {analyzer.encoder.version} | head {analyzer.version} | torch threads "
          f"{torch.get_num_threads()} | {len(texts)} texts from {args.file}")

    t0 = time.perf_counter()
    res = analyzer.analyze(texts, batch_size=args.batch_size)
    sabor_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    naive = naive_path(texts, analyzer)
    naive_s = time.perf_counter() - t0

    agree = float(np.mean(np.array(naive) == res.sentiment))
    print(f"naive pipeline, per text per head : {len(texts) / naive_s:7.1f} texts/s ({naive_s:.1f} s)")
    print(f"sabor batched single pass        : {len(texts) / sabor_s:7.1f} texts/s ({sabor_s:.1f} s)")
    print(f"throughput ratio                 : {naive_s / sabor_s:7.1f}x")
    print(f"sentiment agreement naive vs sabor: {agree:.3f}")


if __name__ == "__main__":
    main()
