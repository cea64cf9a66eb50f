"""Readiness: can this process serve? The database opens (migrated) and the model is there and loads.

Liveness is Streamlit's own `/_stcore/health`; this is the deeper check behind `sabor health` and
`python -m analysis.ops.health` (the container entry point runs it before serving).
It never raises: every check reports `ok` and, when not ok, a one-line reason in Spanish.
Also here: the model-quality gauge `sabor_sentiment_drift` (`watch_quality`).
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

_LOCK_PID = re.compile(r"Conflicting lock is held in .*\(PID (\d+)\)")


def _database(store_path: str | Path | None) -> dict[str, Any]:
    from analysis.store import Store, default_db_path

    path = Path(store_path).expanduser() if store_path else default_db_path()
    start = time.perf_counter()
    try:
        store = Store.open(path)
        info = {"ok": True, "path": str(path), "schema_version": store.schema_version(),
                "feedback_rows": int(store.scalar("SELECT count(*) FROM feedback"))}
        store.refresh_gauges()
        # What is analysed of what is loaded: the state every dashboard page shows (ops/readiness).
        from analysis.ops import readiness as data_readiness

        info["data"] = data_readiness.compute(store).to_dict()
    except Exception as e:  # noqa: BLE001 - any failure is a readiness answer, not a crash
        m = _LOCK_PID.search(str(e))
        if m:
            # DuckDB allows one writer process: the running app holds the file, so it did open it.
            return {"ok": True, "path": str(path), "in_use_by_pid": int(m.group(1)),
                    "detail": f"abierta por el proceso {m.group(1)} (la app en marcha)"}
        return {"ok": False, "path": str(path),
                "error": f"no se pudo abrir la base de datos {path}: {type(e).__name__}: {e}"}
    info["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return info


def _model(deep: bool) -> dict[str, Any]:
    from analysis.ops import scoring

    start = time.perf_counter()
    try:
        version = scoring.active_model_version()
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": f"no se pudo determinar el modelo activo: {type(e).__name__}: {e}"}
    if not version:
        return {"ok": False, "error": "no hay un modelo activo configurado"}
    info: dict[str, Any] = {"ok": True, "version": str(version)}
    try:
        from models import encoder

        weights = encoder.model_cache_dir() / "encoder" / encoder.encoder_version() / "model.safetensors"
        info["weights_converted"] = weights.is_file()
        if not deep and not weights.is_file():
            # Not fatal: the first use converts them (needs ~10 s and disk), but a container should not.
            info["detail"] = f"pesos aún no convertidos en {weights.parent} (se convertirán al primer uso)"
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "version": str(version), "error": f"pesos del modelo no disponibles: {e}"}
    try:
        from models import fastpath

        info["inference"] = fastpath.describe()
    except fastpath.InferenceConfigError as e:
        return {**info, "ok": False, "error": str(e)}
    if deep:
        try:
            scoring.get_analyzer()
        except Exception as e:  # noqa: BLE001
            return {**info, "ok": False, "error": f"el modelo no carga: {type(e).__name__}: {e}"}
        info["loaded"] = True
        info["inference"] = fastpath.describe()
    info["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return info


def readiness(store_path: str | Path | None = None, deep: bool = False) -> dict[str, Any]:
    """{"ready": bool, "ok": (same), "checks": {"database": {...}, "model": {...}}, "ms": float}.

    deep=True also loads the analyzer (the BERT encoder and heads): seconds and ~1 GB of RAM, so it is
    for start-up checks, not for a probe every few seconds.
    """
    start = time.perf_counter()
    db = _database(store_path)
    model = _model(deep)
    ready = bool(db["ok"] and model["ok"])
    return {"ready": ready, "ok": ready, "checks": {"database": db, "model": model},
            "ms": round((time.perf_counter() - start) * 1000, 1)}


# -- model quality for Prometheus ----------------------------------------------------------------
_DRIFT_SQL = """
    WITH d AS (SELECT f.date, p.sentiment
               FROM active_predictions p JOIN dated_feedback f USING (feedback_id)
               WHERE f.date IS NOT NULL),
         top AS (SELECT max(date) AS last FROM d)
    SELECT CASE WHEN d.date > top.last - INTERVAL 7 DAY THEN 'recent' ELSE 'base' END AS win,
           d.sentiment, count(*) AS n
    FROM d, top
    WHERE d.date > top.last - INTERVAL 37 DAY
    GROUP BY ALL"""
DRIFT_MIN_ROWS = 30   # fewer comments in either window: the mix is noise, report nothing


def sentiment_drift(store) -> float | None:
    """Total variation distance between the sentiment mix of the last 7 days of comments and that of
    the 30 days before them (dates of the comments, anchored at the newest one, so a historical file
    is judged on its own timeline). 0 = same mix, 1 = disjoint. None when a window has too few rows."""
    df = store.query(_DRIFT_SQL, kind="quality")
    if df.empty:
        return None
    mix = df.pivot_table(index="sentiment", columns="win", values="n", aggfunc="sum", fill_value=0)
    if (not {"recent", "base"} <= set(mix.columns)
            or min(mix["recent"].sum(), mix["base"].sum()) < DRIFT_MIN_ROWS):
        return None
    shares = mix / mix.sum()
    return float(0.5 * (shares["recent"] - shares["base"]).abs().sum())


def watch_quality(store, max_age_s: float = 60.0) -> None:
    """Make `sabor_sentiment_drift` computed at scrape time from this store (at most once a minute)."""
    from analysis.ops import metrics

    cache = {"at": float("-inf"), "value": float("nan")}

    def current() -> float:
        if time.monotonic() - cache["at"] > max_age_s:
            try:
                v = sentiment_drift(store)
            except Exception:  # noqa: BLE001 - a scrape must never fail because of the database
                v = None
            cache.update(at=time.monotonic(), value=float("nan") if v is None else v)
        return cache["value"]

    metrics.SENTIMENT_DRIFT.set_function(current)


# -- freshness for Prometheus ----------------------------------------------------------------------
def newest_feedback_age(store, now: float | None = None) -> float | None:
    """Seconds since the date of the newest comment dated to the day (its midnight, UTC); None when no
    comment has a day. Comment dates, not load times: a feed that keeps delivering only old or repeated
    rows is as stale as one that stopped."""
    from datetime import UTC, datetime

    newest = store.scalar("SELECT max(date) FROM feedback WHERE date_precision = 'day'")
    if newest is None:
        return None
    midnight = datetime(newest.year, newest.month, newest.day, tzinfo=UTC).timestamp()
    return max(0.0, (time.time() if now is None else now) - midnight)


def watch_freshness(store, max_age_s: float = 60.0) -> None:
    """Make `sabor_newest_feedback_age_seconds` computed at scrape time from this store (the query runs at
    most once a minute; the age itself is always current)."""
    from analysis.ops import metrics

    cache = {"at": float("-inf"), "newest": None}

    def current() -> float:
        if time.monotonic() - cache["at"] > max_age_s:
            try:
                age = newest_feedback_age(store)
                cache["newest"] = None if age is None else time.time() - age
            except Exception:  # noqa: BLE001 - a scrape must never fail because of the database
                cache["newest"] = None
            cache["at"] = time.monotonic()
        return float("nan") if cache["newest"] is None else max(0.0, time.time() - cache["newest"])

    metrics.NEWEST_FEEDBACK_AGE.set_function(current)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m analysis.health",
                                 description="Comprueba que Sabor está listo: base de datos y modelo.")
    ap.add_argument("--db", help="archivo DuckDB (por defecto SABOR_DB o ~/.sabor/sabor.duckdb)")
    ap.add_argument("--deep", action="store_true", help="además carga el modelo en memoria")
    args = ap.parse_args(argv)
    result = readiness(args.db, deep=args.deep)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ready"] else 1

