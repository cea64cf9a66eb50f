"""Benchmark (not a test): naive per-text, per-head `transformers` pipeline vs every Sabor inference path.

Same encoder weights, same heads, same texts, one run:
  naive      — a `transformers.pipeline("feature-extraction")` call per text *per head*: the sentiment head,
               the star head and, for every clause that mentions a taste attribute, one more call on the
               clause (how one would wire separate models/heads without sharing the pass), in fp32;
  torch fp32 — `models.sentiment.Analyzer.analyze` on the `transformers` model: length-sorted batches under a
               padded-token budget, one forward pass per text, clause vectors pooled from that pass;
  torch bf16 — the same where the CPU multiplies bf16 natively (AMX / AVX512-BF16), skipped elsewhere;
  onnx       — the same Analyzer on ONNX Runtime (exported, fused graph, fp32);
  onnx-int8  — the same with int8 matrix products, one scale per 16 weights and per 16 activations.

    python bench/classify.py [--n 400] [--batch-size 64] [--rounds 4] \
        [--file tripadvisor_sevilla_japanese_es.csv]
    # every path takes its turn on each of --rounds chunks, so a drift in machine speed hits all alike
    SABOR_ENCODER_DTYPE=float32 python bench/classify.py --n 400    # a CPU without bf16 instructions

Prints texts/s for each path, its ratio to the naive pipeline, its agreement with torch fp32 (sentiment,
stars), and the path `auto` picks on this machine (models/fastpath.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

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
    ap.add_argument("--rounds", type=int, default=4, help="chunks the paths take turns on")
    ap.add_argument("--skip-naive", action="store_true", help="only the Sabor paths (quick comparison)")
    args = ap.parse_args()

    from models import fastpath
    from models.encoder import Encoder, compute_dtype
    from models.sentiment import Analyzer, active_head

    df = pd.read_csv(REAL / args.file, encoding="utf-8-sig")
    texts = df[args.column].dropna().astype(str).sample(args.n, random_state=7).tolist()
    head = active_head()
    auto = Encoder(adapter=head.adapter).inference           # measured once per machine, then recorded
    paths = {"torch fp32": Analyzer(head, encoder=Encoder(adapter=head.adapter, dtype="float32"))}
    if compute_dtype() == "bfloat16":
        paths["torch bf16"] = Analyzer(head, encoder=Encoder(adapter=head.adapter, dtype="bfloat16"))
    for kind in ("onnx", "onnx-int8"):
        paths[kind] = Analyzer(head, encoder=Encoder(adapter=head.adapter, inference=kind))
    fp32 = paths["torch fp32"]
    for a in paths.values():
        a.analyze(texts[:8])                                                 # warm-up every path alike
    chosen = "torch " + compute_dtype().replace("float32", "fp32").replace("bfloat16", "bf16") \
        if auto == "torch" else auto
    print(f"encoder {fp32.encoder.version} | head {head.version} | torch threads {torch.get_num_threads()} | "
          f"compute dtype here: {compute_dtype()} | auto path here: {chosen} | {len(texts)} texts from "
          f"{args.file}")

    # Interleaved: every path (the naive one too) runs on one chunk of texts before any path sees the next,
    # so a drift in the machine's speed during the run (shared VMs) weighs on every path alike.
    step = max(1, len(texts) // args.rounds)
    chunks = [texts[i:i + step] for i in range(0, len(texts), step)]
    runs = dict(paths)
    if not args.skip_naive:
        runs["naive"] = None
    secs = {name: 0.0 for name in runs}
    parts: dict[str, list] = {name: [] for name in runs}
    for chunk in chunks:
        for name, a in runs.items():
            t0 = time.perf_counter()
            parts[name].append(naive_path(chunk, fp32) if a is None
                               else a.analyze(chunk, batch_size=args.batch_size))
            secs[name] += time.perf_counter() - t0
    res = {name: (SimpleNamespace(sentiment=np.concatenate([r.sentiment for r in parts[name]]),
                                  stars=np.concatenate([r.stars for r in parts[name]])), secs[name])
           for name in paths}
    n = len(texts)
    naive_s = None
    if not args.skip_naive:
        naive, naive_s = np.concatenate([np.asarray(x) for x in parts["naive"]]), secs["naive"]
        agree = np.mean(naive == res["torch fp32"][0].sentiment)
        print(f"{'naive pipeline fp32, per text per head':<40s}: {n / naive_s:7.1f} texts/s "
              f"({naive_s:6.1f} s)  "
              f"sentiment agreement with torch fp32 {agree:.3f}")
    ref = res["torch fp32"][0]
    for name, (r, sec) in res.items():
        ratio = (f"{naive_s / sec:5.1f}x naive" if naive_s
                 else f"{res['torch fp32'][1] / sec:4.2f}x torch fp32")
        mark = "  <- auto" if name == chosen else ""
        print(f"{'sabor ' + name:<40s}: {n / sec:7.1f} texts/s ({sec:6.1f} s)  {ratio}  "
              f"vs torch fp32: sentiment {np.mean(ref.sentiment == r.sentiment):.3f}, "
              f"stars {np.mean(ref.stars == r.stars):.3f}{mark}")
    if naive_s:
        print(f"throughput ratio (naive → sabor as chosen here, {chosen}): {naive_s / res[chosen][1]:.1f}x")
    print(f"auto record: {fastpath.choice_file()}")


if __name__ == "__main__":
    main()
