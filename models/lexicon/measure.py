"""Measure the food lexicon: held-out SemEval recall/precision, corpus hit rates and speed.

    PYTHONPATH=. .venv/bin/python models/lexicon/measure.py semeval     # recall + precision (held-out)
    PYTHONPATH=. .venv/bin/python models/lexicon/measure.py corpora     # hits per 1,000, top 20, speed
    PYTHONPATH=. .venv/bin/python models/lexicon/measure.py export      # rewrite the test-data snapshots

`semeval` reads the SemEval-2016 test file when it is there (../shared/data/train/...), else the snapshot
in tests/data/semeval_test_food_sentences.csv; `export` (re)writes that snapshot and appends to
tests/data/semeval_test_food_hits_judged.csv any new hit as an unjudged row (is_food empty), so a person
can judge it; judged rows are never changed.
"""
from __future__ import annotations

import csv
import random
import sys
import time
from collections import Counter
from pathlib import Path

from models.mentions import find_foods, load_lexicon

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"    # ../shared beside the repository, as the tests expect
SEMEVAL_TEST = SHARED / "train/semeval2016_es_restaurants/gold-es-test.txt"
DATA = ROOT / "tests/data"
TARGETS = DATA / "semeval_test_food_targets.csv"
SENTENCES = DATA / "semeval_test_food_sentences.csv"
JUDGED = DATA / "semeval_test_food_hits_judged.csv"
CORPORA = {
    "guiaoleo": (SHARED / "train/guiaoleo_buenosaires_restaurants_es.csv", "text"),
    "domicilios": (SHARED / "train/domicilios_bogota_delivery_es.csv", "Comments"),
    "tripadvisor": (SHARED / "real/tripadvisor_sevilla_japanese_es.csv", "text"),
}


def semeval_sentences(path: Path = SEMEVAL_TEST) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(text, [(target, start, end)]) per sentence; tokens joined by one space, targets = runs of T-*."""
    out, toks = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            token, tag = line.split("\t")[:2]
            toks.append((token, tag))
            continue
        if not toks:
            continue
        text, spans, cur = "", [], None
        for token, tag in toks:
            if text:
                text += " "
            a, b = len(text), len(text) + len(token)
            text += token
            if tag.startswith("T-"):
                cur = [a, b] if cur is None else [cur[0], b]
            elif cur is not None:
                spans.append(tuple(cur))
                cur = None
        if cur is not None:
            spans.append(tuple(cur))
        out.append((text, [(text[a:b].lower(), a, b) for a, b in spans]))
        toks = []
    return out


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def recall(sentences: list[tuple[int, str, str, int, int]], labels: dict[str, bool], lex) -> tuple:
    """Food-target occurrences with a find_foods hit overlapping them, over all food-target occurrences."""
    found = total = 0
    missed = Counter()
    cache: dict[str, list] = {}
    for _, text, target, a, b in sentences:
        if not labels.get(target):
            continue
        if text not in cache:
            cache[text] = find_foods(text, lexicon=lex)
        hits = cache[text]
        total += 1
        if any(m.start < b and m.end > a for m in hits):
            found += 1
        else:
            missed[target] += 1
    return found, total, missed


def precision(judged: list[dict], lex) -> tuple:
    """Judged hits the detector still produces that are foods, over judged hits it still produces."""
    good = produced = 0
    wrong = []
    for row in judged:
        if row["is_food"] == "":
            continue
        hits = find_foods(row["text"], lexicon=lex)
        if any(m.start == int(row["start"]) and m.end == int(row["end"]) for m in hits):
            produced += 1
            good += row["is_food"] == "1"
            if row["is_food"] == "0":
                wrong.append(f"{row['cue']} ({row['entry']})")
    return good, produced, wrong


def _snapshot_rows() -> list[tuple[int, str, str, int, int]]:
    if SEMEVAL_TEST.exists():
        return [(i, text, t, a, b)
                for i, (text, spans) in enumerate(semeval_sentences()) for t, a, b in spans]
    return [(int(r["sent_id"]), r["text"], r["target"], int(r["start"]), int(r["end"]))
            for r in _read(SENTENCES)]


def cmd_semeval() -> None:
    lex = load_lexicon(extra="")
    labels = {r["target"]: r["is_food"] == "1" for r in _read(TARGETS)}
    found, total, missed = recall(_snapshot_rows(), labels, lex)
    judged = _read(JUDGED)
    good, produced, wrong = precision(judged, lex)
    print(f"lexicon {lex.version}: {len(lex)} entries")
    print(f"recall    {found}/{total} = {found / total:.3f}  (food-target occurrences found in their "
          "sentence)")
    print(f"precision {good}/{produced} = {good / produced:.3f}  (judged hits that are foods)")
    print("missed:", ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in missed.most_common()))
    print("false hits:", ", ".join(wrong))


def cmd_export(sample: int = 0) -> None:
    """Rewrite the sentence snapshot (sentences with a food target or a hit) and extend the judged file."""
    lex = load_lexicon(extra="")
    labels = {r["target"]: r["is_food"] == "1" for r in _read(TARGETS)}
    sents = semeval_sentences()
    keep = []
    hits_rows = []
    for i, (text, spans) in enumerate(sents):
        hits = find_foods(text, lexicon=lex)
        if any(labels.get(t) for t, _, _ in spans):
            keep += [(i, text, t, a, b) for t, a, b in spans]
        for m in hits:
            hits_rows.append({"sent_id": i, "text": text, "cue": m.cue, "start": m.start, "end": m.end,
                              "entry": m.entry, "family": m.family})
    with open(SENTENCES, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sent_id", "text", "target", "start", "end"])
        w.writerows(keep)
    old = _read(JUDGED) if JUDGED.exists() else []
    seen = {(r["sent_id"], r["start"], r["end"]) for r in old}
    new = [r for r in hits_rows if (str(r["sent_id"]), str(r["start"]), str(r["end"])) not in seen]
    if sample:
        new = random.Random(2016).sample(new, min(sample, len(new)))
    fields = ["sent_id", "text", "cue", "start", "end", "entry", "family", "is_food", "note"]
    with open(JUDGED, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(old)
        new.sort(key=lambda r: (r["sent_id"], r["start"]))
        w.writerows({**r, "is_food": "", "note": ""} for r in new)
    print(f"{len(keep)} target occurrences in {SENTENCES.name}; {len(hits_rows)} hits, "
          f"{len(new)} added to judge")


def cmd_corpora(n: int = 10_000) -> None:
    import pandas as pd

    lex = load_lexicon(extra="")
    mixed = []
    for name, (path, col) in CORPORA.items():
        texts = pd.read_csv(path, encoding="utf-8-sig", usecols=[col])[col].dropna().astype(str).tolist()
        texts = random.Random(0).sample(texts, min(n, len(texts)))
        mixed += texts[: n // 3]
        found = [find_foods(t, lexicon=lex) for t in texts]
        hits = sum(map(len, found))
        top = Counter(m.entry for f in found for m in f).most_common(20)
        print(f"{name}: {len(texts)} comments, {1000 * hits / len(texts):.0f} hits per 1,000 comments")
        print("   top 20:", ", ".join(f"{e} {c}" for e, c in top))
    t0 = time.perf_counter()
    for t in mixed:
        find_foods(t, lexicon=lex)
    dt = time.perf_counter() - t0
    avg = sum(map(len, mixed)) / len(mixed)
    print(f"speed: {len(mixed)} mixed comments (avg {avg:.0f} chars) in {dt:.2f} s")
    t0 = time.perf_counter()
    load_lexicon(extra="")
    print(f"load_lexicon: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "semeval"
    if cmd == "export":
        cmd_export(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    elif cmd == "corpora":
        cmd_corpora()
    else:
        cmd_semeval()
