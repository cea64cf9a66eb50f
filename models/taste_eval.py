"""Taste attributes measured against hand-labelled sentences (tests/data/README.md): per-attribute
precision, recall and polarity agreement.

    python -m models.taste_eval tests/data/taste_labels_v2.csv --half unseen [--lexical-only] [--json]

Detection is scored per (sentence, attribute): found and labelled = hit, found and not labelled = false
alarm, labelled and not found = miss. Polarity is scored on the hits whose label is + or − (a 0 label,
"mentioned without a judgement", has no polarity to agree with), with the Analyzer of the active head
(clause vectors + lexical cues), unless `--lexical-only` (then only sentences' lexical cues, no model).
"""
from __future__ import annotations

import argparse
import json
from collections import Counter

import pandas as pd

from models.taxonomy import ATTRIBUTES

SIGN = {"positive": "+", "negative": "-", "neutral": "0"}


def parse_labels(labels: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in str(labels).split(";"))):
        attr, sign = part.split(":")
        out[attr.strip()] = sign.strip()
    return out


def predict(texts: list[str], analyzer=None) -> list[dict[str, str]]:
    """attribute → sign per text: with an Analyzer (the product's path), else lexical cues only."""
    if analyzer is not None:
        res = analyzer.analyze(texts)
        return [{r["attribute"]: SIGN[r["polarity"]] for r in rows} for rows in res.attributes]
    from models import taste

    out = []
    for t in texts:
        found: dict[str, str] = {}
        for m in taste.find_mentions(t):
            if m.attribute not in found or m.lexical == "negative":
                found[m.attribute] = SIGN.get(m.lexical, "?")
        out.append(found)
    return out


def score(gold: list[dict[str, str]], pred: list[dict[str, str]]) -> dict:
    tp, fp, fn, pol_ok, pol_n = Counter(), Counter(), Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        for a in set(g) | set(p):
            if a in g and a in p:
                tp[a] += 1
                if g[a] in "+-":
                    pol_n[a] += 1
                    pol_ok[a] += p[a] == g[a]
            elif a in p:
                fp[a] += 1
            else:
                fn[a] += 1
    ratio = lambda a, b: round(a / b, 4) if b else None
    by = {}
    for a in ATTRIBUTES:
        if tp[a] + fp[a] + fn[a]:
            by[a] = {"gold": tp[a] + fn[a], "found": tp[a] + fp[a], "hits": tp[a],
                     "precision": ratio(tp[a], tp[a] + fp[a]), "recall": ratio(tp[a], tp[a] + fn[a]),
                     "polarity": ratio(pol_ok[a], pol_n[a]), "polarity_n": pol_n[a]}
    T, F, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro = {"gold": T + N, "found": T + F, "hits": T, "precision": ratio(T, T + F),
             "recall": ratio(T, T + N), "polarity": ratio(sum(pol_ok.values()), sum(pol_n.values())),
             "polarity_n": sum(pol_n.values())}
    return {"sentences": len(gold), "micro": micro, "by_attribute": by}


def evaluate(df: pd.DataFrame, analyzer=None) -> dict:
    return score([parse_labels(x) for x in df["labels"]], predict(df["text"].tolist(), analyzer))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--half", choices=("dev", "unseen"), default=None)
    ap.add_argument("--lexical-only", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    df = pd.read_csv(args.file, keep_default_na=False)
    if args.half:
        df = df[df["half"] == args.half]
    analyzer = None
    if not args.lexical_only:
        from models.sentiment import Analyzer

        analyzer = Analyzer()
    res = evaluate(df, analyzer)
    if args.json:
        print(json.dumps(res, indent=1, ensure_ascii=False))
        return
    m = res["micro"]
    print(f"{res['sentences']} sentences: precision {m['precision']}, recall {m['recall']}, "
          f"polarity {m['polarity']} ({m['polarity_n']})")
    for a, r in res["by_attribute"].items():
        print(f"  {a:12s} gold {r['gold']:3d} found {r['found']:3d} P {r['precision']} R {r['recall']} "
              f"pol {r['polarity']} ({r['polarity_n']})")


if __name__ == "__main__":
    main()
