"""One refresh: load the inbox -> score pending comments -> topics (new comments join, or a refit when
enough arrived) -> scan trends -> evaluate alert rules and deliver -> a run record.

`run_refresh` runs the stages in order in one process (`sabor refresh`, `sabor watch --refresh`, the app
with SABOR_INBOX); `run_stage` runs one stage of a run another process started (`sabor refresh --stage X
--run-id R`, one Airflow task per stage). Every stage reads its inputs from the database, so each can be
rerun alone. Idempotent: a second refresh in a row loads nothing (the inbox is empty and bytes already
loaded are never loaded again), scores nothing, rescans nothing (the trend scan is keyed by the data's
version, the dimensions and the day) and alerts nothing (every series told is recorded).
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from analysis.ops import metrics
from analysis.ops.logs import get_logger
from analysis.store import discovery
from analysis.store import refresh as rstore

log = get_logger("sabor.refresh")
STAGES = ("inbox", "score", "topics", "trends", "alerts")
FP_KEY, FP_RUN_KEY = "refresh_trends_fingerprint", "refresh_trends_run"
_RUN_LOCK = threading.Lock()     # one refresh at a time in a process (the app's thread, a button, the CLI)


@dataclass
class RefreshConfig:
    inbox: Path | None = None
    rules_file: str | None = None
    skip: frozenset = frozenset()              # stages not to run
    dimensions: tuple[str, ...] | None = None  # None: SABOR_REFRESH_DIMENSIONS, plus those the rules need
    topics_refit_after: int = 2000             # new comments since the topic fit that trigger a refit
    lang: str = "es"
    trigger: str = "cli"
    channels: list | None = None               # None: from the environment (analysis.ops.notify)
    retry: object | None = None                # notify.RetryPolicy; None: from the environment
    today: date | None = None
    sleep: Callable[[float], None] = time.sleep
    files: list | None = field(default=None, repr=False)   # a batch the watcher already found ready

    @classmethod
    def from_env(cls, **kw) -> RefreshConfig:
        e = os.environ
        dims = tuple(d.strip() for d in e.get("SABOR_REFRESH_DIMENSIONS", "").split(",") if d.strip()) or None
        base = dict(topics_refit_after=int(e.get("SABOR_TOPICS_REFIT_AFTER", 2000)), dimensions=dims,
                    lang=e.get("SABOR_ALERT_LANG", "es"), rules_file=e.get("SABOR_ALERT_RULES") or None)
        if e.get("SABOR_REFRESH_SKIP"):
            base["skip"] = frozenset(s.strip() for s in e["SABOR_REFRESH_SKIP"].split(",") if s.strip())
        base.update({k: v for k, v in kw.items() if v is not None})
        return cls(**base)


def new_run_id() -> str:
    return "rf_" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "_" + uuid.uuid4().hex[:6]


# --- stages ----------------------------------------------------------------------------------------------

def stage_inbox(store, run_id: str, cfg: RefreshConfig) -> tuple[dict, dict]:
    from analysis.ops.inbox import Inbox

    if cfg.inbox is None:
        return {"skipped": "sin carpeta de entrada (--inbox o SABOR_INBOX)"}, {}
    inbox = Inbox.from_env(cfg.inbox)
    inbox.check()
    files = cfg.files if cfg.files is not None else inbox.wait_ready(sleep=cfg.sleep)
    res = inbox.process(store, files, run_id)
    counts = {k: res[k] for k in ("files_loaded", "files_failed", "files_duplicate", "rows_loaded")}
    return res, counts


def stage_score(store, run_id: str, cfg: RefreshConfig) -> tuple[dict, dict]:
    from analysis.ops import scoring
    from analysis.store import count_unscored

    version = scoring.active_model_version()
    pending = count_unscored(store, version)
    if not pending:       # the encoder is not even loaded when there is nothing to score
        return {"model_version": version, "scored": 0, "cached": 0, "pending": 0}, {}
    res = scoring.analyze(store)
    return res, {"scored": int(res["scored"]) + int(res["cached"])}


def topic_action(has_run: bool, n_docs_at_fit: int, n_now: int, refit_after: int, min_docs: int) -> str:
    """What the topics stage does: 'off' (refit_after <= 0), 'too_few', 'fit' (no topics yet), 'refit'
    (at least `refit_after` comments arrived since the fit) or 'assign' (new comments join the nearest
    topic). Pure."""
    if refit_after <= 0:
        return "off"
    if not has_run:
        return "fit" if n_now >= min_docs else "too_few"
    return "refit" if n_now - n_docs_at_fit >= refit_after else "assign"


def stage_topics(store, run_id: str, cfg: RefreshConfig) -> tuple[dict, dict]:
    from analysis.insight import topics

    run = topics.current_run(store)
    n_now = store.feedback_count()
    action = topic_action(run is not None, int(run["n_docs"]) if run else 0, n_now, cfg.topics_refit_after,
                          topics.MIN_DOCS)
    out: dict = {"action": action, "comments": n_now}
    if action == "fit":
        out |= topics.ensure_current(store)
    elif action == "refit":
        out |= {"assigned": topics.assign_new(store), **topics.refit_topics(store)}
    elif action == "assign":
        out["assigned"] = topics.assign_new(store)
    return out, {}


def _fingerprint(store, dims: tuple[str, ...], today: date | None) -> str:
    key = "|".join([store.data_version(), ",".join(dims), str(today or date.today())])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def scan_dimensions(store, cfg: RefreshConfig, rules: list) -> tuple[str, ...]:
    from analysis.insight import alerts, trends

    wanted = set(cfg.dimensions or trends.BY_CHOICES) | set(alerts.dimensions_for(rules))
    return tuple(d for d in trends.BY_CHOICES if d in wanted)


def stage_trends(store, run_id: str, cfg: RefreshConfig) -> tuple[dict, dict]:
    from analysis.insight import alerts, trends

    rules = alerts.all_rules(store, cfg.rules_file)
    dims = scan_dimensions(store, cfg, rules)
    fp = _fingerprint(store, dims, cfg.today)
    last_run = discovery.get_setting(store, FP_RUN_KEY)
    if discovery.get_setting(store, FP_KEY) == fp and last_run:
        n = len(rstore.shifts_of_run(store, last_run))
        return {"dimensions": list(dims), "unchanged": True, "shifts_run": last_run, "shifts_found": n}, \
            {"shifts_found": n}
    frames, per_dim = [], {}
    for dim in dims:
        scan = trends.shift_scan(store, by=dim, today=cfg.today)
        sig = scan[scan["significant"]]
        per_dim[dim] = int(len(sig))
        if len(sig):
            frames.append(sig.assign(end_month=sig["after_to"]))
    shifts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=rstore.SHIFT_COLUMNS)
    rstore.save_shifts(store, run_id, shifts)
    discovery.put_setting(store, FP_KEY, fp)
    discovery.put_setting(store, FP_RUN_KEY, run_id)
    return {"dimensions": list(dims), "unchanged": False, "shifts_run": run_id, "shifts_found": len(shifts),
            "by_dimension": per_dim}, {"shifts_found": len(shifts)}


def stage_alerts(store, run_id: str, cfg: RefreshConfig) -> tuple[dict, dict]:
    from analysis.insight import alerts
    from analysis.ops import notify

    rules = alerts.all_rules(store, cfg.rules_file)
    run = rstore.get_run(store, run_id) or {"stages": {}}
    # the shifts this run's trend stage found, else those of the last scan (the stage may be skipped)
    shifts_run = ((run["stages"].get("trends") or {}).get("shifts_run")
                  or discovery.get_setting(store, FP_RUN_KEY))
    shifts = (rstore.shifts_of_run(store, shifts_run) if shifts_run
              else pd.DataFrame(columns=rstore.SHIFT_COLUMNS))
    channels = cfg.channels if cfg.channels is not None else notify.channels_from_env()
    matched = alerts.match(rules, shifts)
    new = []
    for a in alerts.group(matched, rstore.alerted_series(store)):
        msg = alerts.build_message(store, a, cfg.lang)
        alert_id = alerts.alert_id_for(a["series_keys"])
        record = {"alert_id": alert_id, "run_id": run_id, "dimension": a["dimension"], "key": a["key"],
                  "direction": a["direction"], "start_month": a["lead"]["start_month"],
                  "headline": msg["headline"], "rules": a["rules"], "message": msg}
        created = rstore.create_alert(store, record, a["series_keys"], [c.name for c in channels])
        if created:
            new.append({"alert_id": alert_id, "headline": msg["headline"], "sentence": msg["sentence"],
                        "rules": a["rules"], "series": len(a["series_keys"])})
    delivered = notify.deliver_due(store, channels, cfg.retry, sleep=cfg.sleep)
    for a in new:
        a["deliveries"] = rstore.delivery_status(store, a["alert_id"])
    out = {"rules": len([r for r in rules if r.enabled]), "shifts_run": shifts_run, "matched": len(matched),
           "alerts": new, "channels": [c.name for c in channels], "deliveries": delivered}
    if not channels:
        out["warning"] = "no hay canales configurados (SABOR_ALERT_WEBHOOK_URL, SABOR_SMTP_HOST)"
    return out, {"alerts_new": len(new), "alerts_sent": len(delivered["alerts_sent"]),
                 "deliveries_failed": delivered["failed"]}


def current_shifts(store, dimensions: tuple[str, ...], today: date | None = None) -> pd.DataFrame:
    """Significant shifts of `dimensions`: those of the latest scan when it covered them, else scanned now
    (for the dashboard's rule preview before any refresh ran)."""
    from analysis.insight import trends

    last = discovery.get_setting(store, FP_RUN_KEY)
    run = rstore.get_run(store, last) if last else None
    scanned = set((run or {}).get("stages", {}).get("trends", {}).get("dimensions", []))
    if run and set(dimensions) <= scanned:
        shifts = rstore.shifts_of_run(store, last)
        return shifts[shifts["dimension"].isin(dimensions)].reset_index(drop=True)
    frames = []
    for dim in dimensions:
        scan = trends.shift_scan(store, by=dim, today=today)
        sig = scan[scan["significant"]]
        if len(sig):
            frames.append(sig.assign(end_month=sig["after_to"])[rstore.SHIFT_COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=rstore.SHIFT_COLUMNS)


STAGE_FUNCS = {"inbox": stage_inbox, "score": stage_score, "topics": stage_topics, "trends": stage_trends,
               "alerts": stage_alerts}


# --- runs ------------------------------------------------------------------------------------------------

def _status(run: dict) -> str:
    return "partial" if (run.get("files_failed") or run.get("deliveries_failed")) else "ok"


def run_stage(store, stage: str, run_id: str, cfg: RefreshConfig) -> dict:
    """Run one stage of run `run_id` (created if new) and record it; the last stage closes the run."""
    if stage not in STAGE_FUNCS:
        raise ValueError(f"etapa desconocida '{stage}': use una de {', '.join(STAGES)}")
    rstore.start_run(store, run_id, cfg.trigger)
    t0 = time.perf_counter()
    if stage in cfg.skip:
        result, counts = {"skipped": "omitida por configuración"}, {}
    else:
        try:
            result, counts = STAGE_FUNCS[stage](store, run_id, cfg)
        except Exception as e:
            secs = round(time.perf_counter() - t0, 3)
            rstore.record_stage(store, run_id, stage, {"error": f"{type(e).__name__}: {e}", "seconds": secs})
            run = rstore.get_run(store, run_id)
            total = sum(float(s.get("seconds", 0)) for s in run["stages"].values())
            rstore.finish_run(store, run_id, "failed", total, f"{stage}: {type(e).__name__}: {e}"[:500])
            metrics.REFRESH_RUNS.labels(outcome="failed").inc()
            log.error("refresh_stage_failed", extra={"run_id": run_id, "stage": stage,
                                                     "error": f"{type(e).__name__}: {str(e)[:300]}"})
            raise
    result = dict(result, seconds=round(time.perf_counter() - t0, 3))
    rstore.record_stage(store, run_id, stage, result, **counts)
    log.info("refresh_stage", extra={"run_id": run_id, "stage": stage,
                                     "duration_ms": result["seconds"] * 1000, **counts})
    if stage == STAGES[-1]:
        run = rstore.get_run(store, run_id)
        total = sum(float(s.get("seconds", 0)) for s in run["stages"].values())
        status = _status(run)
        rstore.finish_run(store, run_id, status, total)
        metrics.REFRESH_RUNS.labels(outcome=status).inc()
        metrics.REFRESH_SECONDS.observe(total)
    return result


def run_refresh(store, cfg: RefreshConfig | None = None, run_id: str | None = None) -> dict:
    """Every stage in order; returns the summary (`summary`)."""
    cfg = cfg or RefreshConfig.from_env()
    run_id = run_id or new_run_id()
    with _RUN_LOCK:
        for stage in STAGES:
            run_stage(store, stage, run_id, cfg)
    return summary(store, run_id)


def summary(store, run_id: str) -> dict:
    """What `sabor refresh --format json` prints: the run's counts, its stages, the files and the alerts."""
    run = rstore.get_run(store, run_id)
    stages = run["stages"]
    out = {k: run.get(k) for k in ("run_id", "status", "trigger")}
    out |= {k: int(run.get(k) or 0) for k in rstore.RUN_COUNTS}
    out["seconds"] = run.get("seconds")
    out["files"] = (stages.get("inbox") or {}).get("files", [])
    out["alerts"] = (stages.get("alerts") or {}).get("alerts", [])
    out["stages"] = stages
    return out


# --- in the app: SABOR_INBOX ---------------------------------------------------------------------------

def start_in_app(store, inbox_dir: str | Path | None = None, interval_s: float | None = None,
                 stop: threading.Event | None = None) -> threading.Thread | None:
    """The app's own collection (DuckDB has one writer, so while the app runs this is how files flow in):
    watch SABOR_INBOX and run a refresh for each batch of complete files, and every
    SABOR_REFRESH_INTERVAL seconds (default 3600; 0 = only when files arrive) to retry deliveries and
    catch a month that became complete. Shares the app's lock with the background analysis job."""
    from analysis.ops import jobs
    from analysis.ops.inbox import Inbox, watch

    inbox_dir = inbox_dir or os.environ.get("SABOR_INBOX")
    if not inbox_dir:
        return None
    interval_s = float(os.environ.get("SABOR_REFRESH_INTERVAL", 3600)) if interval_s is None else interval_s
    inbox = Inbox.from_env(inbox_dir)
    Path(inbox.root).mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    last = {"at": time.monotonic()}

    def refresh(files) -> None:
        with jobs.WORK_LOCK:
            run_refresh(store, RefreshConfig.from_env(inbox=inbox.root, trigger="app", files=files))
        last["at"] = time.monotonic()

    def handle(batch) -> None:
        refresh(batch)

    def loop() -> None:
        ticker = threading.Thread(target=watch, args=(inbox, handle, stop), name="sabor-inbox", daemon=True)
        ticker.start()
        while interval_s > 0 and not stop.wait(min(interval_s, 60)):
            if time.monotonic() - last["at"] >= interval_s:
                try:
                    refresh([])
                except Exception as e:  # noqa: BLE001 - the next interval tries again
                    log.warning("refresh_in_app_failed", extra={"error": f"{type(e).__name__}: {e}"[:300]})
        ticker.join()

    t = threading.Thread(target=loop, name="sabor-refresh", daemon=True)
    t.start()
    return t
