"""Benchmark: what encryption at rest costs on the demo (load, analyse, overview queries, a question).

    python bench/encryption.py [--analyze 500] [--repeat 5]

Each mode runs in its own process on a new database file: plain, then encrypted (SABOR_DB_KEY; without
DuckDB's httpfs/OpenSSL module this uses the mbedtls fallback, SABOR_DB_ALLOW_MBEDTLS=1, as the output
says). Not a timed test: prints the seconds of each stage and encrypted/plain ratios measured in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(db: str, n_analyze: int, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from analysis.ask import ask
    from analysis.demo import load_demo
    from analysis.insight import overview
    from analysis.ops.scoring import analyze
    from analysis.store import Store

    out: dict = {}
    t = time.perf_counter()
    s = Store.open(db)
    out["open_s"] = time.perf_counter() - t
    t = time.perf_counter()
    load_demo(s)
    out["load_demo_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = analyze(s, limit=n_analyze)
    out["analyze_s"] = time.perf_counter() - t
    out["analyzed"] = int(res.get("scored", 0)) + int(res.get("cached", 0))

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    dims = ("product", "region", "channel")
    out["overview_s"] = best(lambda: (overview.kpis(s), overview.monthly(s),
                                      [overview.by_dimension(s, d) for d in dims]))
    out["ask_s"] = best(lambda: ask(s, "¿cuántos comentarios negativos hay por región?"))
    s.cursor().execute("CHECKPOINT")
    out["encrypted"] = s.encrypted
    s.close()
    t = time.perf_counter()
    s = Store.open(db)
    out["reopen_s"] = time.perf_counter() - t
    s.close()
    out["file_mb"] = Path(db).stat().st_size / 1e6
    return out


def interleaved(plain_db: str, enc_db: str, rounds: int) -> dict:
    """The same reads on both files in one process, alternating, so that a busy machine weighs on both
    alike: median seconds of the overview queries and of a question, per file."""
    sys.path.insert(0, str(ROOT))
    import statistics

    from analysis.ask import ask
    from analysis.insight import overview
    from analysis.store import Store

    key = os.environ.pop("SABOR_DB_KEY")
    plain = Store.open(plain_db)
    os.environ["SABOR_DB_KEY"] = key
    enc = Store.open(enc_db)
    assert enc.encrypted and not plain.encrypted
    times: dict = {(m, w): [] for m in ("plain", "encrypted") for w in ("overview", "ask")}
    for _ in range(rounds):
        for mode, s in (("plain", plain), ("encrypted", enc)):
            t = time.perf_counter()
            overview.kpis(s), overview.monthly(s)
            [overview.by_dimension(s, d) for d in ("product", "region")]
            times[(mode, "overview")].append(time.perf_counter() - t)
            t = time.perf_counter()
            ask(s, "¿cuántos comentarios negativos hay por región?")
            times[(mode, "ask")].append(time.perf_counter() - t)
    med = {f"{m}_{w}_s": statistics.median(v) for (m, w), v in times.items()}
    med["overview_ratio"] = round(med["encrypted_overview_s"] / med["plain_overview_s"], 2)
    med["ask_ratio"] = round(med["encrypted_ask_s"] / med["plain_ask_s"], 2)
    return med


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyze", type=int, default=500, help="comments to score with BERT in each mode")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=20, help="alternating rounds of the interleaved reads")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--interleave", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.analyze, args.repeat)))
        return
    if args.interleave:
        print(json.dumps(interleaved(*args.interleave, args.rounds)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for mode in ("plain", "encrypted"):
            env = {k: v for k, v in os.environ.items() if k not in ("SABOR_DB_KEY", "SABOR_DB_KEY_FILE")}
            env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", SABOR_METRICS_PORT="0")
            if mode == "encrypted":
                env.update(SABOR_DB_KEY="bench-key-" + "x" * 24, SABOR_DB_ALLOW_MBEDTLS="1")
            r = subprocess.run([sys.executable, __file__, "--child", str(Path(d) / f"{mode}.duckdb"),
                                "--analyze", str(args.analyze), "--repeat", str(args.repeat)],
                               capture_output=True, text=True, env=env, check=True)
            results[mode] = json.loads(r.stdout.strip().splitlines()[-1])
            crypto = [ln for ln in r.stderr.splitlines() if "database_encrypted" in ln]
            if crypto:
                results[mode]["crypto"] = json.loads(crypto[-1]).get("crypto")
        env.update(SABOR_DB_KEY="bench-key-" + "x" * 24, SABOR_DB_ALLOW_MBEDTLS="1")
        r = subprocess.run([sys.executable, __file__, "--interleave", str(Path(d) / "plain.duckdb"),
                            str(Path(d) / "encrypted.duckdb"), "--rounds", str(args.rounds)],
                           capture_output=True, text=True, env=env, check=True)
        results["interleaved_reads"] = json.loads(r.stdout.strip().splitlines()[-1])
    p, e = results["plain"], results["encrypted"]
    ratios = {k: round(e[k] / p[k], 2) for k in p if k.endswith("_s") and p[k] > 0}
    print(json.dumps({"plain": p, "encrypted": e, "encrypted_over_plain": ratios,
                      "interleaved_reads": results["interleaved_reads"]}, indent=2))


if __name__ == "__main__":
    main()
