"""Reads and writes of regular collection and shift alerts (SQL only): refresh runs, the files the inbox
took, the significant shifts a run found, alert rules, alerts and their deliveries.

Never twice: an alert is created in one transaction with the series it tells (`alert_series`, primary
key) and one delivery row per channel; a delivery is marked 'sending' (committed) before each attempt, so a
process that dies mid-send leaves 'sending' behind, which the next run turns into 'unknown' instead of
sending again.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd

from analysis.store.core import Store

RUN_COUNTS = ("files_loaded", "files_failed", "files_duplicate", "rows_loaded", "scored", "shifts_found",
              "alerts_new", "alerts_sent", "deliveries_failed")
SHIFT_COLUMNS = ["dimension", "key", "polarity", "metric", "segment_type", "segment", "direction",
                 "start_month", "end_month", "rate_before", "rate_after", "effect", "q", "k_before",
                 "n_before", "k_after", "n_after", "tier"]


def _now() -> datetime:
    """UTC, naive (the TIMESTAMP columns hold UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- refresh runs ----------------------------------------------------------------------------------------

def start_run(store: Store, run_id: str, trigger: str) -> bool:
    """Record a run as started; False when the run already exists (a stage of an orchestrated run)."""
    with store.transaction() as cur:
        if cur.execute("SELECT count(*) FROM refresh_runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
            return False
        cur.execute("INSERT INTO refresh_runs (run_id, started_at, trigger, status, stages) "
                    "VALUES (?, ?, ?, 'running', '{}')", [run_id, _now(), trigger])
    return True


def get_run(store: Store, run_id: str) -> dict | None:
    df = store.query("SELECT * FROM refresh_runs WHERE run_id = ?", [run_id])
    if df.empty:
        return None
    row = df.astype(object).where(df.notna(), None).iloc[0].to_dict()
    row["stages"] = json.loads(row["stages"]) if row.get("stages") else {}
    return row


def record_stage(store: Store, run_id: str, stage: str, result: dict, **counts) -> None:
    """Store one stage's result in the run (stages JSON) and add its counts to the run's totals."""
    unknown = set(counts) - set(RUN_COUNTS)
    if unknown:
        raise ValueError(f"unknown run counts: {sorted(unknown)}")
    with store.transaction() as cur:
        raw = cur.execute("SELECT stages FROM refresh_runs WHERE run_id = ?", [run_id]).fetchall()
        stages = json.loads(raw[0][0]) if raw and raw[0][0] else {}
        stages[stage] = result
        sets = ", ".join(f"{k} = coalesce({k}, 0) + ?" for k in counts)
        cur.execute(f"UPDATE refresh_runs SET stages = ?{', ' + sets if sets else ''} WHERE run_id = ?",
                    [json.dumps(stages, ensure_ascii=False, default=str), *counts.values(), run_id])


def finish_run(store: Store, run_id: str, status: str, seconds: float, error: str | None = None) -> None:
    """Close a run; `seconds` is the time its stages took (an orchestrated run's stages may run far
    apart, so this is their sum, not finished - started)."""
    with store.transaction() as cur:
        cur.execute("UPDATE refresh_runs SET status = ?, error = ?, finished_at = ?, "
                    "seconds = ? WHERE run_id = ?",
                    [status, error, _now(), round(float(seconds), 3), run_id])


def refresh_runs(store: Store, limit: int = 20) -> pd.DataFrame:
    return store.query(f"""SELECT run_id, started_at, finished_at, trigger, status, files_loaded,
                                  files_failed, files_duplicate, rows_loaded, scored, shifts_found,
                                  alerts_new, alerts_sent, deliveries_failed, seconds, error
                           FROM refresh_runs ORDER BY started_at DESC, run_id DESC LIMIT {int(limit)}""")


# --- inbox -----------------------------------------------------------------------------------------------

def loaded_at(store: Store, sha256: str):
    """When a file with these bytes was loaded (any path: upload, CLI, inbox), else None (the same
    answer as `ingest_bytes` gives: `Store.upload_of_file`)."""
    prev = store.upload_of_file(sha256)
    return None if prev is None else prev["loaded_at"]


def record_inbox_file(store: Store, row: dict) -> None:
    cols = ["sha256", "file_name", "kind", "status", "upload_id", "rows_loaded", "reason", "moved_to",
            "seen_at", "run_id"]
    with store.transaction() as cur:
        cur.execute(f"INSERT INTO inbox_files ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [row.get(c) for c in cols])


def inbox_files(store: Store, limit: int = 50) -> pd.DataFrame:
    return store.query(f"""SELECT seen_at, file_name, kind, status, rows_loaded, reason, moved_to, run_id
                           FROM inbox_files ORDER BY seen_at DESC LIMIT {int(limit)}""")


# --- shifts found by a run -------------------------------------------------------------------------------

def save_shifts(store: Store, run_id: str, shifts: pd.DataFrame, keep_runs: int = 20) -> int:
    """Store a run's significant shifts; only the latest `keep_runs` runs' shifts are kept."""
    df = shifts.reindex(columns=SHIFT_COLUMNS).assign(run_id=run_id)
    with store.transaction() as cur:
        cur.execute("DELETE FROM refresh_shifts WHERE run_id = ?", [run_id])
        Store.append(cur, "refresh_shifts", df)
        cur.execute("""DELETE FROM refresh_shifts WHERE run_id NOT IN (
                           SELECT s.run_id FROM (SELECT DISTINCT run_id FROM refresh_shifts) s
                           JOIN refresh_runs r USING (run_id)
                           ORDER BY r.started_at DESC LIMIT ?) AND run_id <> ?""", [int(keep_runs), run_id])
    return len(df)


def shifts_of_run(store: Store, run_id: str) -> pd.DataFrame:
    return store.query(f"SELECT {', '.join(SHIFT_COLUMNS)} FROM refresh_shifts WHERE run_id = ? "
                       "ORDER BY q, dimension, key", [run_id])


# --- alert rules (those edited in the dashboard; YAML rules are read from their file) -------------------

def list_rules(store: Store) -> list[dict]:
    df = store.query("SELECT rule_id, name, enabled, spec, updated_at FROM alert_rules ORDER BY created_at, "
                     "rule_id")
    return [{"rule_id": r["rule_id"], "name": r["name"], "enabled": bool(r["enabled"]),
             "spec": json.loads(r["spec"]), "updated_at": r["updated_at"]} for r in df.to_dict("records")]


def save_rule(store: Store, rule_id: str, name: str, enabled: bool, spec: dict) -> None:
    now = _now()
    with store.transaction() as cur:
        exists = cur.execute("SELECT count(*) FROM alert_rules WHERE rule_id = ?", [rule_id]).fetchall()[0][0]
        if exists:
            cur.execute("UPDATE alert_rules SET name = ?, enabled = ?, spec = ?, updated_at = ? "
                        "WHERE rule_id = ?",
                        [name, enabled, json.dumps(spec, ensure_ascii=False), now, rule_id])
        else:
            cur.execute("INSERT INTO alert_rules VALUES (?, ?, ?, ?, ?, ?)",
                        [rule_id, name, enabled, json.dumps(spec, ensure_ascii=False), now, now])


def delete_rule(store: Store, rule_id: str) -> bool:
    with store.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM alert_rules WHERE rule_id = ?", [rule_id]).fetchall()[0][0]
        cur.execute("DELETE FROM alert_rules WHERE rule_id = ?", [rule_id])
    return bool(n)


# --- alerts and deliveries -------------------------------------------------------------------------------

def alerted_series(store: Store) -> set[str]:
    return set(store.query("SELECT series_key FROM alert_series")["series_key"])


def create_alert(store: Store, alert: dict, series_keys: list[str], channels: list[str]) -> bool:
    """Record a new alert, the series it tells and a pending delivery per channel, all or nothing. False
    (nothing written) when any of its series was already told by another alert."""
    with store.transaction() as cur:
        if series_keys:
            marks = ", ".join("?" * len(series_keys))
            seen = cur.execute(f"SELECT count(*) FROM alert_series WHERE series_key IN ({marks})",
                               series_keys).fetchall()[0][0]
            if seen:
                return False
        cur.execute("""INSERT INTO alerts (alert_id, created_at, run_id, dimension, key, direction,
                                           start_month, headline, rules, message)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [alert["alert_id"], _now(), alert.get("run_id"), alert["dimension"], alert["key"],
                     alert["direction"], alert["start_month"], alert["headline"],
                     json.dumps(alert.get("rules", []), ensure_ascii=False),
                     json.dumps(alert["message"], ensure_ascii=False, default=str)])
        for k in series_keys:
            cur.execute("INSERT INTO alert_series VALUES (?, ?)", [k, alert["alert_id"]])
        for ch in channels:
            cur.execute("INSERT INTO alert_deliveries (alert_id, channel, status, attempts, next_attempt_at) "
                        "VALUES (?, ?, 'pending', 0, ?)", [alert["alert_id"], ch, _now()])
    return True


def recover_interrupted(store: Store) -> int:
    """Deliveries left 'sending' by a process that died mid-send: the message may have gone out, so they
    become 'unknown' and are never sent again automatically."""
    with store.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM alert_deliveries WHERE status = 'sending'").fetchall()[0][0]
        if n:
            cur.execute("UPDATE alert_deliveries SET status = 'unknown', last_error = 'interrumpido durante "
                        "el envío: puede haber llegado; no se reenvía' WHERE status = 'sending'")
    return int(n)


def due_deliveries(store: Store, max_attempts: int, now: datetime | None = None) -> pd.DataFrame:
    """Deliveries to attempt now: pending, or failed with attempts left and their backoff elapsed."""
    return store.query("""SELECT d.alert_id, d.channel, d.status, d.attempts, a.message
                          FROM alert_deliveries d JOIN alerts a USING (alert_id)
                          WHERE (d.status = 'pending' OR (d.status = 'failed' AND d.attempts < ?))
                            AND coalesce(d.next_attempt_at, TIMESTAMP '1970-01-01') <= ?
                          ORDER BY a.created_at, d.alert_id, d.channel""",
                       [int(max_attempts), now or _now()])


def mark_sending(store: Store, alert_id: str, channel: str) -> None:
    with store.transaction() as cur:
        cur.execute("UPDATE alert_deliveries SET status = 'sending', attempts = attempts + 1, "
                    "last_attempt_at = ? WHERE alert_id = ? AND channel = ?", [_now(), alert_id, channel])


def mark_sent(store: Store, alert_id: str, channel: str) -> None:
    with store.transaction() as cur:
        cur.execute("UPDATE alert_deliveries SET status = 'sent', sent_at = ?, last_error = NULL, "
                    "next_attempt_at = NULL WHERE alert_id = ? AND channel = ?", [_now(), alert_id, channel])


def mark_failed(store: Store, alert_id: str, channel: str, error: str, retry_in_s: float | None) -> None:
    """A failed attempt: retried after `retry_in_s` by a later run, or given up when None."""
    status = "failed" if retry_in_s is not None else "gave_up"
    nxt = _now() + timedelta(seconds=retry_in_s) if retry_in_s is not None else None
    with store.transaction() as cur:
        cur.execute("UPDATE alert_deliveries SET status = ?, last_error = ?, next_attempt_at = ? "
                    "WHERE alert_id = ? AND channel = ?", [status, error[:500], nxt, alert_id, channel])


def delivery_status(store: Store, alert_id: str) -> dict[str, dict]:
    df = store.query("SELECT channel, status, attempts, last_error FROM alert_deliveries WHERE alert_id = ?",
                     [alert_id])
    return {r["channel"]: {k: r[k] for k in ("status", "attempts", "last_error")}
            for r in df.to_dict("records")}


def alerts_sent(store: Store, limit: int = 50) -> pd.DataFrame:
    """Latest alerts with the state of each channel's delivery (one row per alert)."""
    return store.query(f"""
        SELECT a.created_at, a.alert_id, a.headline, a.dimension, a.key, a.direction, a.start_month,
               json_extract_string(a.message, '$.link') AS link, a.run_id,
               string_agg(d.channel || ': ' || d.status || CASE WHEN d.attempts > 1
                          THEN ' (' || d.attempts || ' intentos)' ELSE '' END, ', ' ORDER BY d.channel)
                   AS deliveries
        FROM alerts a LEFT JOIN alert_deliveries d USING (alert_id)
        GROUP BY ALL ORDER BY a.created_at DESC, a.alert_id LIMIT {int(limit)}""")


def alert_message(store: Store, alert_id: str) -> dict | None:
    raw = store.scalar("SELECT message FROM alerts WHERE alert_id = ?", [alert_id])
    return json.loads(raw) if raw else None
