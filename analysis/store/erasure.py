"""Erasing a person's comments (a data-subject request): `sabor erase --match | --feedback-id | --source-id`.

One transaction removes the matching comments and every row derived from them (the one list in
`deletion.DERIVED_BY_FEEDBACK`: predictions, taste and food mentions, scans, terms, topic assignments; and
embeddings whose text no other comment has), the rejected rows of loaded files that hold the text, the
quotes of those comments in stored alert messages, and the text in the audit trail's details (a question
that quoted it). The erasure itself goes to the audit trail with counts only: no text, no ids (a comment's
id is derived from a hash of its text).

DuckDB marks the freed blocks and reuses them; a CHECKPOINT after the transaction writes the tables
without the rows. Blocks of the file not yet overwritten may still hold old bytes until reused: an
encrypted database (`analysis.store.crypto`) keeps those unreadable too.
"""
from __future__ import annotations

import json

import duckdb

from analysis.privacy import redact
from analysis.store.access import _audit
from analysis.store.core import Store
from analysis.store.deletion import DERIVED_BY_FEEDBACK, delete_feedback_rows

MIN_MATCH = 4
ERASED = "[borrado]"
_ELLIPSIS = ("…", "...")


class EraseError(ValueError):
    """Bad erase input (no criterion, two criteria, a match too short to be a person's)."""


def _criterion(match: str | None, feedback_id: str | None, source_id: str | None) -> tuple[str, str, str]:
    given = [(k, v) for k, v in (("match", match), ("feedback_id", feedback_id), ("source_id", source_id))
             if v is not None]
    if len(given) != 1:
        raise EraseError("indique exactamente uno: --match TEXTO, --feedback-id ID o --source-id ID")
    by, value = given[0]
    value = value.strip()
    if by == "match" and len(value) < MIN_MATCH:
        raise EraseError(f"--match necesita al menos {MIN_MATCH} caracteres (un correo, un nombre, una "
                         "frase del comentario): uno más corto borraría comentarios de otras personas")
    if not value:
        raise EraseError(f"--{by.replace('_', '-')} está vacío")
    where = {"match": "strpos(lower(text), lower(?)) > 0 OR lower(source_id) = lower(?)",
             "feedback_id": "feedback_id = ?", "source_id": "source_id = ?"}[by]
    return by, value, where


def _params(by: str, value: str) -> list:
    return [value, value] if by == "match" else [value]


def find(store: Store, match: str | None = None, feedback_id: str | None = None,
         source_id: str | None = None) -> dict:
    """What an erasure would remove (for --dry-run): comment count and derived rows per table."""
    by, value, where = _criterion(match, feedback_id, source_id)
    cur = store.cursor()
    ids = [r[0] for r in cur.execute(f"SELECT feedback_id FROM feedback WHERE {where}",
                                     _params(by, value)).fetchall()]
    return {"by": by, "comments": len(ids), "derived_rows": _derived_counts(cur, ids)}


def _derived_counts(cur, ids: list[str]) -> dict:
    if not ids:
        return {t: 0 for t in DERIVED_BY_FEEDBACK}
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t} WHERE feedback_id IN (SELECT unnest(?))"
                             for t in DERIVED_BY_FEEDBACK)
    return {t: int(n) for t, n in cur.execute(sql, [ids] * len(DERIVED_BY_FEEDBACK)).fetchall()}


def _fragments(quote: str) -> list[str]:
    """The pieces of an alert quote between ellipses (an excerpt cuts a comment at both ends)."""
    parts = [quote]
    for e in _ELLIPSIS:
        parts = [p for q in parts for p in q.split(e)]
    return [" ".join(p.split()) for p in parts if len(" ".join(p.split())) >= 12]


def _quotes_erased(quote: str, texts: list[str], needle: str | None) -> bool:
    if needle and needle.lower() in quote.lower():
        return True
    frags = _fragments(quote)
    return any(f in t for f in frags for t in texts) if frags else False


def _scrub_alerts(cur, texts: list[str], needle: str | None) -> int:
    flat = [" ".join(str(redact(t) or "").split()) for t in texts] + [" ".join(t.split()) for t in texts]
    changed = 0
    for alert_id, message in cur.execute("SELECT alert_id, CAST(message AS VARCHAR) FROM alerts").fetchall():
        try:
            msg = json.loads(message)
        except (TypeError, ValueError):
            continue
        quotes = msg.get("comments") if isinstance(msg, dict) else None
        if not isinstance(quotes, list):
            continue
        kept = [q for q in quotes if not (isinstance(q, str) and _quotes_erased(q, flat, needle))]
        if len(kept) != len(quotes):
            msg["comments"] = kept
            cur.execute("UPDATE alerts SET message = ? WHERE alert_id = ?",
                        [json.dumps(msg, ensure_ascii=False), alert_id])
            changed += 1
    return changed


def _scrub_audit(cur, needles: list[str]) -> int:
    """Replace the erased text inside earlier audit details (e.g. a question that quoted it)."""
    changed = 0
    needles = [n for n in needles if n and len(n) >= MIN_MATCH]
    if not needles:
        return 0
    rows = cur.execute("SELECT rowid, CAST(detail AS VARCHAR) FROM audit_log WHERE "
                       + " OR ".join(["strpos(lower(CAST(detail AS VARCHAR)), lower(?)) > 0"] * len(needles)),
                       needles).fetchall()
    for rowid, detail in rows:
        obj = json.loads(detail)
        cleaned = _replace_in(obj, needles)
        cur.execute("UPDATE audit_log SET detail = ? WHERE rowid = ?",
                    [json.dumps(cleaned, ensure_ascii=False, default=str), rowid])
        changed += 1
    return changed


def _replace_in(obj, needles: list[str]):
    if isinstance(obj, str):
        import re

        for n in needles:
            obj = re.sub(re.escape(n), ERASED, obj, flags=re.IGNORECASE)
        return obj
    if isinstance(obj, list):
        return [_replace_in(v, needles) for v in obj]
    if isinstance(obj, dict):
        return {k: _replace_in(v, needles) for k, v in obj.items()}
    return obj


def erase(store: Store, match: str | None = None, feedback_id: str | None = None,
          source_id: str | None = None, actor: str = "cli") -> dict:
    """Erase in one transaction; returns the counts recorded in the audit trail:
    {"by", "comments", "derived_rows": {table: n}, "embeddings", "rejected_rows", "alerts_scrubbed",
    "audit_entries_scrubbed"}. EraseError on bad input (nothing changed)."""
    by, value, where = _criterion(match, feedback_id, source_id)
    with store.transaction() as cur:
        found = cur.execute(f"SELECT feedback_id, text, source_id FROM feedback WHERE {where}",
                            _params(by, value)).fetchall()
        ids = [r[0] for r in found]
        texts = sorted({r[1] for r in found}, key=len, reverse=True)
        derived = _derived_counts(cur, ids)
        emb_before = cur.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
        n = delete_feedback_rows(cur, "feedback_id IN (SELECT unnest(?::VARCHAR[]))", [ids]) if ids else 0
        emb = emb_before - cur.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
        needles = ([value] if by == "match" else []) + texts + [r[2] for r in found if r[2]] + ids
        needles = [s for s in dict.fromkeys(needles) if s]
        rejected = 0
        if needles:
            cond = " OR ".join(["strpos(lower(CAST(raw AS VARCHAR)), lower(?)) > 0"] * len(needles))
            rejected = cur.execute(f"SELECT count(*) FROM rejected_rows WHERE {cond}",
                                   needles).fetchall()[0][0]
            cur.execute(f"DELETE FROM rejected_rows WHERE {cond}", needles)
        alerts = _scrub_alerts(cur, texts, value if by == "match" else None) if texts or by == "match" else 0
        audits = _scrub_audit(cur, needles)
        result = {"by": by, "comments": int(n), "derived_rows": derived, "embeddings": int(emb),
                  "rejected_rows": int(rejected), "alerts_scrubbed": alerts, "audit_entries_scrubbed": audits}
        _audit(cur, actor, "erase", result)
    try:   # rewrite the tables now rather than at the next automatic checkpoint
        cur.execute("CHECKPOINT")
    except duckdb.Error:   # another thread's transaction is open: DuckDB checkpoints later by itself
        pass
    store.refresh_gauges()
    return result
