"""Orchestration of the model stages over the database and over files.

Classification part: `analyze` scores every comment without a prediction for the active model
version (cached by text hash: a text already scored under that version is copied in SQL, never
re-scored), `classify_file` scores a CSV/XLSX outside the database (`sabor classify`).
The encoder is loaded once per process, lazily, behind a lock (`get_analyzer`).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import store as store_mod
from analysis.ops import metrics
from analysis.store import discovery

Progress = Callable[[int, int], None] | None

_ANALYZER = None
_ANALYZER_LOCK = threading.Lock()


def get_analyzer():
    """The process-wide analyzer (encoder + active head + taste), loaded on first use."""
    global _ANALYZER
    from models.sentiment import Analyzer, active_head

    with _ANALYZER_LOCK:
        head = active_head()
        if _ANALYZER is None or _ANALYZER.head.version != head.version:
            # A newer head was trained: get_encoder keeps the loaded encoder unless the head brings its own
            # adapter.
            _ANALYZER = Analyzer(head)
        # published on every use, not only at load: one series, the path that does the work now
        enc = _ANALYZER.encoder
        metrics.INFERENCE_PATH.clear()
        metrics.INFERENCE_PATH.labels(path=getattr(enc, "inference", "torch"),
                                      device=getattr(enc, "device", "cpu"),
                                      dtype=str(getattr(enc, "dtype", ""))).set(1)
        return _ANALYZER


def active_model_version() -> str:
    """The newest head in models/registry, else the no-training baseline's version string."""
    from models.sentiment import active_head

    return active_head().version


def _food_frames(ids, foods: list, version: str, lexicon_version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scans, mentions) rows of one batch: every comment is recorded as scanned, found foods or not."""
    scans = pd.DataFrame({"feedback_id": list(ids), "model_version": version,
                          "lexicon_version": lexicon_version})
    rows = [{"feedback_id": fid, "model_version": version, "lexicon_version": lexicon_version,
             "entry": f["entry"], "family": f["family"], "polarity": f["polarity"], "score": f["score"],
             "evidence": f["evidence"]}
            for fid, fs in zip(ids, foods) for f in fs]
    return scans, pd.DataFrame(rows, columns=discovery.FOOD_COLUMNS)


def _frames(batch: pd.DataFrame, res, version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    now = datetime.now(UTC).replace(tzinfo=None)
    preds = pd.DataFrame({
        "feedback_id": batch["feedback_id"].to_numpy(), "model_version": version,
        "sentiment": res.sentiment.astype(str), "sentiment_score": res.score.astype(float),
        "stars_pred": res.stars.astype("int32"), "p_negative": res.probs[:, 0], "p_neutral": res.probs[:, 1],
        "p_positive": res.probs[:, 2], "truncated": res.truncated.astype(bool), "created_at": now})
    rows = [{"feedback_id": fid, "model_version": version, "attribute": a["attribute"],
             "polarity": a["polarity"], "score": a["score"], "evidence": a["evidence"]}
            for fid, attrs in zip(batch["feedback_id"], res.attributes) for a in attrs]
    mentions = pd.DataFrame(rows, columns=["feedback_id", "model_version", "attribute", "polarity", "score",
                                           "evidence"])
    return preds, mentions


def _observe(version: str, res, seconds: float) -> None:
    metrics.INFERENCE_SECONDS.labels(model=version).observe(seconds)
    metrics.INFERENCE_TEXTS.labels(model=version).inc(len(res.sentiment))
    metrics.INFERENCE_TRUNCATED.labels(model=version).inc(int(res.truncated.sum()))
    metrics.PREDICTION_UNCERTAIN.labels(model=version).inc(int(_uncertain(res).sum()))
    for s, n in zip(*np.unique(res.sentiment.astype(str), return_counts=True)):
        metrics.SENTIMENT_PREDICTIONS.labels(model=version, sentiment=s).inc(int(n))


def _uncertain(res) -> np.ndarray:
    """Rows whose assigned class has a probability under the threshold (with ordinal heads the assigned
    class is the band of the predicted stars, not always the most probable of the three)."""
    from models.sentiment import UNCERTAIN_BELOW, class_confidence

    return class_confidence(res.probs, res.sentiment) < UNCERTAIN_BELOW


def scan_foods(store, analyzer, lexicon_version: str, batch_size: int = 64, stop=None) -> int:
    """Food mentions for comments scored before the lexicon changed (or before foods existed): one more
    encoder pass over them, predictions untouched. Returns how many comments were scanned."""
    from models.mentions import find_foods

    todo = discovery.pending_food_scans(store, lexicon_version)
    lexicon = analyzer.lexicon
    # Only comments that name a food need the encoder (for the polarity of its clause).
    has_food = np.array([bool(find_foods(t, lexicon=lexicon)) for t in todo["text"]], dtype=bool)
    for version, part in todo[~has_food].groupby("model_version"):
        discovery.write_foods(store, *_food_frames(part["feedback_id"], [[]] * len(part), version,
                                                   lexicon_version))
    todo = todo[has_food]
    for s in range(0, len(todo), batch_size):
        if stop is not None and stop.is_set():
            return s
        batch = todo.iloc[s:s + batch_size]
        res = analyzer.analyze(batch["text"].tolist(), batch_size=batch_size)
        for version, part in batch.assign(_i=range(len(batch))).groupby("model_version"):
            scans, foods = _food_frames(part["feedback_id"], [res.foods[i] for i in part["_i"]], version,
                                        lexicon_version)
            discovery.write_foods(store, scans, foods)
    discovery.copy_cached_foods(store, lexicon_version)
    return int(len(has_food))


def _test_throttle(batch_size: int) -> tuple[int, float]:
    """TEST ONLY: SABOR_TEST_SCORE_BATCH (comments per batch) and SABOR_TEST_SCORE_PAUSE_S (seconds of sleep
    after each batch) slow the background scorer down so a browser test can visit pages while scoring is
    deterministically in progress (tests/e2e/test_walkthrough.py). Honoured only here; never set them in
    production: they only make scoring slower."""
    import os

    try:
        batch = int(os.environ.get("SABOR_TEST_SCORE_BATCH", "") or batch_size)
        pause = float(os.environ.get("SABOR_TEST_SCORE_PAUSE_S", "") or 0.0)
    except ValueError:
        return batch_size, 0.0
    return max(batch, 1), max(pause, 0.0)


def analyze(store, progress: Progress = None, batch_size: int = 64, limit: int | None = None,
            stop: threading.Event | None = None) -> dict:
    """Score every comment in `feedback` that has no prediction for the active model version.

    Returns {"model_version", "scored", "cached", "truncated", "seconds", "pending", "stopped"}: `scored`
    texts went through the model, `cached` comments were copied from an identical text already scored under
    this version, `pending` is what is left when `limit` or `stop` ended the run early. `progress(done,
    total)` is called after each batch (done/total in comments scored by the model). `stop` (see
    analysis.ops.shutdown) is looked at between batches: each batch is committed on its own, so a stop
    keeps every finished batch and the next run scores only the rest.
    """
    t0 = time.perf_counter()
    batch_size, pause = _test_throttle(batch_size)
    analyzer = get_analyzer()
    version = analyzer.version
    lexicon_version = analyzer.lexicon.version
    discovery.put_setting(store, "food_lexicon_version", lexicon_version)
    cached = store_mod.copy_cached_predictions(store, version, lexicon_version)
    todo = store_mod.pending_predictions(store, version, limit)
    total, scored, truncated = len(todo), 0, 0
    metrics.SCORING_WORKERS.labels(engine="local").set(1)
    if progress:
        progress(0, total)
    # pending_predictions returns texts ordered by length: consecutive batches pad little.
    stopped = False
    for s in range(0, total, batch_size):
        if stop is not None and stop.is_set():
            stopped = True
            break
        batch = todo.iloc[s:s + batch_size]
        tb = time.perf_counter()
        res = analyzer.analyze(batch["text"].tolist(), batch_size=batch_size)
        _observe(version, res, time.perf_counter() - tb)
        preds, mentions = _frames(batch, res, version)
        scans, foods = _food_frames(batch["feedback_id"], res.foods, version, lexicon_version)
        store_mod.write_predictions(store, preds, mentions, scans, foods)
        scored += len(batch)
        truncated += int(res.truncated.sum())
        metrics.SCORING_THROUGHPUT.labels(engine="local").set(scored / max(time.perf_counter() - t0, 1e-9))
        if progress:
            progress(scored, total)
        if pause and s + batch_size < total:
            time.sleep(pause)
    # Duplicates of the texts just scored (same text_hash) take their copy now.
    cached += store_mod.copy_cached_predictions(store, version, lexicon_version)
    foods_rescanned = 0 if stopped else scan_foods(store, analyzer, lexicon_version, batch_size, stop)
    if cached:
        metrics.PREDICTION_CACHE_HITS.labels(model=version).inc(cached)
    return {"model_version": version, "scored": scored, "cached": cached, "truncated": truncated,
            "foods_rescanned": foods_rescanned, "lexicon_version": lexicon_version,
            "seconds": round(time.perf_counter() - t0, 3),
            "pending": store_mod.count_unscored(store, version),
            "stopped": bool(stop is not None and stop.is_set())}


# ---------------------------------------------------------------------------------------------------
# Files (sabor classify)
# ---------------------------------------------------------------------------------------------------
def _read_any(path: Path) -> pd.DataFrame:
    """The file through the same reader as `sabor ingest` (same delimiter, encoding and format rules)."""
    from analysis.ingest.readers import IngestError, check_size, read_table

    if not path.is_file():
        raise ValueError(f"No existe el archivo / file not found: {path}")
    try:
        check_size(path.stat().st_size, path.name)
        return read_table(path.read_bytes(), path.name).df
    except IngestError as e:
        raise ValueError(str(e)) from None


def classify_file(input_path, text_column: str, output_path, progress: Progress = None,
                  batch_size: int = 64) -> dict:
    """Add `sentiment`, `sentiment_score`, `stars_pred` and `attributes` to a CSV/XLSX file.

    `attributes` is one readable cell per row, attribute:sign pairs joined by "; " in taxonomy order,
    sign + positive, - negative, 0 neutral: e.g. "dulce:-; sabor:+; empaque:-" ("" when none).
    Identical texts are scored once. The output format follows `output_path`'s suffix (.xlsx or CSV).
    """
    from models.taste import format_attributes

    t0 = time.perf_counter()
    src, out = Path(input_path), Path(output_path)
    df = _read_any(src)
    if text_column not in df.columns:
        raise ValueError(f"Columna de texto '{text_column}' no encontrada; columnas: {list(df.columns)} / "
                         f"text column '{text_column}' not found")
    texts = df[text_column].astype("string").fillna("").str.strip()
    uniq = pd.unique(texts[texts != ""])
    analyzer = get_analyzer()
    version = analyzer.version
    # Sort by length so each batch pads little; results are mapped back by text.
    order = sorted(range(len(uniq)), key=lambda i: len(uniq[i]))
    uniq = [uniq[i] for i in order]
    res_by_text: dict[str, tuple] = {}
    truncated = 0
    if progress:
        progress(0, len(uniq))
    for s in range(0, len(uniq), batch_size):
        chunk = uniq[s:s + batch_size]
        tb = time.perf_counter()
        res = analyzer.analyze(chunk, batch_size=batch_size)
        _observe(version, res, time.perf_counter() - tb)
        truncated += int(res.truncated.sum())
        for i, t in enumerate(chunk):
            res_by_text[t] = (res.sentiment[i], round(float(res.score[i]), 4), int(res.stars[i]),
                              format_attributes(res.attributes[i]))
        if progress:
            progress(min(s + batch_size, len(uniq)), len(uniq))
    empty = (None, None, None, "")
    vals = [res_by_text.get(t, empty) for t in texts]
    df["sentiment"] = [v[0] for v in vals]
    df["sentiment_score"] = [v[1] for v in vals]
    df["stars_pred"] = pd.array([v[2] for v in vals], dtype="Int64")
    df["attributes"] = [v[3] for v in vals]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Through the one neutraliser every export uses: a cell such as =HYPERLINK(...) from the input file
    # (or a comment) is written as text, never as a live spreadsheet formula.
    from analysis.exports import safe_csv_bytes, safe_xlsx_bytes

    out.write_bytes(safe_xlsx_bytes(df) if out.suffix.lower() == ".xlsx" else safe_csv_bytes(df))
    counts = pd.Series(df["sentiment"]).value_counts().to_dict()
    return {"input": str(src), "output": str(out), "rows": len(df), "scored": len(uniq),
            "empty": int((texts == "").sum()), "truncated": truncated, "model_version": version,
            "sentiment_counts": {k: int(v) for k, v in counts.items()},
            "seconds": round(time.perf_counter() - t0, 3)}
