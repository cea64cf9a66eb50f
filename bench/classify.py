"""Benchmark (not a test): naive per-text, per-head `transformers` pipeline vs Sabor's batched path.

Same encoder weights, same heads, same texts, one run:
  naive  — a `transformers.pipeline("feature-extraction")` call per text *per head*: the sentiment head,
           the star head and, for every clause that mentions a taste attribute, one more call on the
           clause (how one would wire separate models/heads without sharing the pass), in fp32 (the default);
  sabor  — `models.sentiment.Analyzer.analyze`: length-sorted batches under a padded-token budget, one
           forward pass per text under `torch.inference_mode`, clause vectors pooled from that pass; run
           twice, in fp32 and in the compute dtype Sabor picks for this CPU (bf16 where AMX/AVX512-BF16
           multiply it natively), so the gain of each step shows.

    python bench/classify.py [--n 200] [--batch-size 64] [--file tripadvisor_sevilla_japanese_es.csv]

Prints texts/s for each path, the throughput ratios, and how often the paths agree on the sentiment.
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
                                  eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                                  model_max_length=512)
    fe = pipeline("feature-extraction", model=enc.model, tokenizer=tok, device=-1)

    def embed(t: str) -> np.ndarray:
        h = np.asarray(fe(PREFIX + t,
                          tokenize_kwargs={"truncation": True, "max_length": 512}))[0]  # (tokens, 384)
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

    from models.encoder import Encoder, compute_dtype
    from models.sentiment import Analyzer, active_head

    df = pd.read_csv(REAL / args.file, encoding="utf-8-sig")
    texts = df[args.column].dropna().astype(str).sample(args.n, random_state=7).tolist()
    head = active_head()
    fp32 = Analyzer(head, encoder=Encoder(adapter=head.adapter, dtype="float32"))
    auto = compute_dtype()
    fast = Analyzer(head, encoder=Encoder(adapter=head.adapter)) if auto != "float32" else fp32
    for a in {id(fp32): fp32, id(fast): fast}.values():
        a.analyze(texts[:8])                                                 # warm-up every path alike
    print(f"encoder {fp32.encoder.version} | head {head.version} | torch threads {torch.get_num_threads()} | "
          f"compute dtype here: {auto} | {len(texts)} texts from {args.file}")

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    res32, s32 = timed(lambda: fp32.analyze(texts, batch_size=args.batch_size))
    resf, sf = ((res32, s32) if fast is fp32
                else timed(lambda: fast.analyze(texts, batch_size=args.batch_size)))
    naive, naive_s = timed(lambda: naive_path(texts, fp32))
    n = len(texts)
    print(f"naive pipeline fp32, per text per head : {n / naive_s:7.1f} texts/s ({naive_s:.1f} s)")
    print(f"sabor batched single pass, fp32        : {n / s32:7.1f} texts/s ({s32:.1f} s)  "
          f"ratio {naive_s / s32:.1f}x")
    if fast is not fp32:
        print(f"sabor batched single pass, {auto:<12s}: {n / sf:7.1f} texts/s ({sf:.1f} s)  "
              f"ratio {naive_s / sf:.1f}x")
    print(f"sentiment agreement naive vs sabor fp32: {np.mean(np.array(naive) == res32.sentiment):.3f}; "
          f"sabor fp32 vs {auto}: {np.mean(res32.sentiment == resf.sentiment):.3f}; "
          f"stars fp32 vs {auto}: {np.mean(res32.stars == resf.stars):.3f}")
    print(f"throughput ratio (naive → sabor as shipped here): {naive_s / sf:.1f}x")


if __name__ == "__main__":
    main()
