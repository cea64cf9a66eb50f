"""Run the question bank through the built-in answerer and print right / declined / wrong per dataset and
language, with the median latency of `ask` on the demo.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python -m tests.analysis.ask.bank.measure [--part dev|kept|all]
        [--show wrong|declined|all]

The datasets are loaded into temporary databases the way the tests load them: the demo through the real
ingestion with its truth as the model output and food mentions (tests/fixtures_foods.py), the RestMex file
through the real ingestion alone ("restmex") and once more with the food fixture ("restmex_foods").
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from analysis.ask import ask
from tests.analysis.ask.bank import dev, gold, kept

PARTS = {"dev": dev.BANK, "kept": kept.BANK}


def load_stores(tmp: Path) -> dict:
    from analysis.ingest import ingest_file
    from analysis.store import Store
    from tests.fixtures_foods import load_demo_with_foods, load_restmex_scored

    demo = Store.open(tmp / "demo.duckdb")
    load_demo_with_foods(demo)
    restmex = Store.open(tmp / "restmex.duckdb")
    ingest_file(restmex, gold.RESTMEX)
    restmex_foods = Store.open(tmp / "restmex_foods.duckdb")
    load_restmex_scored(restmex_foods, gold.RESTMEX)
    return {"demo": demo, "restmex": restmex, "restmex_foods": restmex_foods}


def run_bank(stores: dict, bank: dict) -> list[dict]:
    """One record per question: part key, question, grade, latency (s), the answer and the gold."""
    out = []
    for (ds, lang), items in bank.items():
        for q, d, spec in items:
            g = gold.answer(d, spec) if spec is not None else None
            t0 = time.perf_counter()
            a = ask(stores[d], q, client=None)
            dt_s = time.perf_counter() - t0
            out.append({"ds": ds, "lang": lang, "q": q, "grade": gold.grade(a, g), "s": dt_s, "answer": a,
                        "gold": g})
    return out


def table(records: list[dict]) -> str:
    rows = ["| part | right | declined | wrong | total | % right |", "|---|---:|---:|---:|---:|---:|"]
    keys = sorted({(r["ds"], r["lang"]) for r in records}) + [("all", "")]
    for ds, lang in keys:
        sel = [r for r in records if ds == "all" or (r["ds"], r["lang"]) == (ds, lang)]
        c = {k: sum(r["grade"] == k for r in sel) for k in ("right", "declined", "wrong")}
        rows.append(f"| {ds} {lang} | {c['right']} | {c['declined']} | {c['wrong']} | {len(sel)} | "
                    f"{100 * c['right'] / max(len(sel), 1):.1f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["dev", "kept", "all"], default="dev")
    ap.add_argument("--show", choices=["wrong", "declined", "all", "none"], default="wrong")
    args = ap.parse_args()
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(var, None)
    parts = ["dev", "kept"] if args.part == "all" else [args.part]
    with tempfile.TemporaryDirectory() as tmp:
        stores = load_stores(Path(tmp))
        for part in parts:
            recs = run_bank(stores, PARTS[part])
            print(f"\n## {part} ({len(recs)} questions)\n{table(recs)}")
            demo_lat = [r["s"] for r in recs if r["ds"] == "demo"]
            print(f"median latency on the demo: {1000 * statistics.median(demo_lat):.0f} ms "
                  f"(max {1000 * max(demo_lat):.0f} ms)")
            for r in recs:
                if args.show != "none" and (args.show == "all" or r["grade"] == args.show
                                            or (args.show == "wrong" and r["grade"] == "wrong")):
                    a = r["answer"]
                    print(f"- [{r['grade']}] ({r['ds']}) {r['q']}\n    -> {a.sentence[:160]}\n"
                          f"    rows={a.rows[:4]} gold={str(r['gold'])[:160]}\n    sql={a.sql[:300]}")
        for s in stores.values():
            s.close()


if __name__ == "__main__":
    main()
