"""The Store: one DuckDB connection per process, opened with external access disabled (no file, network
or extension access from SQL): ingestion reads files in Python and hands DataFrames over with
`register`, so nothing the app runs — and nothing a question turns into — can touch the file system
through DuckDB. DuckDB refuses a second connection to the same file with another configuration in one
process, so every caller shares one connection and takes its own cursor per thread."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from analysis.ops import metrics
from analysis.store.schema import MIGRATIONS, VIEWS

if TYPE_CHECKING:          # pandas/pyarrow are imported where rows are written: opening stays light
    import pandas as pd


def default_db_path() -> Path:
    env = os.environ.get("SABOR_DB")
    return Path(env).expanduser() if env else Path.home() / ".sabor" / "sabor.duckdb"


class Store:
    """One DuckDB database. Use `Store.open(path)`; it returns the process-wide instance for that file."""

    _instances: dict[str, Store] = {}
    _open_lock = threading.Lock()

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        from analysis.store import crypto

        # SABOR_DB_KEY: an encrypted file, attached to an in-memory DuckDB as catalog `sabor` (crypto.py)
        self._con, self._catalog = crypto.connect(path, crypto.encryption_key())
        self.encrypted = self._catalog is not None
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._migrate()

    @classmethod
    def open(cls, path: str | Path | None = None) -> Store:
        p = Path(path).expanduser().resolve() if path else default_db_path().resolve()
        with cls._open_lock:
            inst = cls._instances.get(str(p))
            if inst is None:
                inst = cls(p)
                cls._instances[str(p)] = inst
            return inst

    def close(self) -> None:
        with self._open_lock:
            self._instances.pop(str(self.path), None)
        self._con.close()

    # -- connections -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (one DuckDB connection is not safe to share across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self.new_cursor()
            self._local.cur = cur
        return cur

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor the caller owns (for guarded queries that may be interrupted)."""
        cur = self._con.cursor()
        if self._catalog:   # each DuckDB cursor has its own default catalog
            cur.execute(f"USE {self._catalog}")
        return cur

    def query(self, sql: str, params: list | tuple | None = None, kind: str = "app") -> pd.DataFrame:
        start = time.perf_counter()
        try:
            return self.cursor().execute(sql, params or []).df()
        finally:
            metrics.QUERY_SECONDS.labels(kind=kind).observe(time.perf_counter() - start)

    def scalar(self, sql: str, params: list | tuple | None = None):
        # fetchall, not fetchone: DuckDB 2 keeps a half-read result open on the cursor, and the next
        # `register` on it then fails with "Resource In Use".
        rows = self.cursor().execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self):
        """All-or-nothing write: on any exception the database is exactly as before."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        cur = self.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMP NOT NULL)")
        current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as tx:
                for stmt in statements:
                    tx.execute(stmt)
                tx.execute("INSERT INTO schema_version VALUES (?, now())", [version])
        for view in VIEWS:
            cur.execute(view)

    def schema_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM schema_version"))

    # -- generic writes (callers pass DataFrames; SQL stays here) ---------------------------
    @staticmethod
    def append(cur: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
        """Insert a DataFrame by column name inside the caller's transaction."""
        if df.empty:
            return 0
        name = f"_in_{uuid.uuid4().hex[:8]}"
        cur.register(name, df)
        try:
            cur.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM "{name}"')
        finally:
            cur.unregister(name)
        return len(df)

    # -- facts for the UI -------------------------------------------------------------------
    # What `data_version` watches, (figure, source): read in one UNION ALL (as scalar subqueries of one
    # SELECT, DuckDB takes several times longer, and every question reads this).
    _VERSION_PARTS = (
        ("count(*)", "feedback"), ("max(loaded_at)", "uploads"), ("count(*)", "predictions"),
        ("max(created_at)", "predictions"), ("count(*)", "taste_mentions"), ("count(*)", "topic_runs"),
        ("max(created_at)", "topic_runs WHERE is_current"), ("count(*)", "market_trends"),
        ("count(*)", "food_scans"), ("count(*)", "food_mentions"),
        ("max(value)", "settings WHERE key = 'food_lexicon_version'"),
        # comments loaded after a topic fit join its nearest topic without a new run (add_topic_assignments)
        ("count(*)", "feedback_topics"))

    def data_version(self) -> str:
        """Changes whenever data that charts read changes: the key for st.cache_data. The file path is
        part of it so two databases with equal counts never share cached results."""
        sql = " UNION ALL ".join(f"SELECT {k} AS k, CAST({expr} AS VARCHAR) AS v FROM {src}"
                                 for k, (expr, src) in enumerate(self._VERSION_PARTS))
        rows = self.cursor().execute(f"SELECT v FROM ({sql}) ORDER BY k").fetchall()
        return "|".join([str(self.path)] + [str(r[0]) for r in rows])

    def feedback_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM feedback"))

    def refresh_gauges(self) -> None:
        metrics.FEEDBACK_ROWS.set(self.feedback_count())
        try:
            metrics.DB_SIZE_BYTES.set(self.path.stat().st_size)
        except OSError:
            pass

    # -- loads (one transaction each: on any error nothing of the file is kept) --------------
    def load_feedback(self, rows: pd.DataFrame, rejected: pd.DataFrame, report) -> dict:
        """Insert prepared feedback rows, skipping duplicates (same normalised text + date + product,
        in the file or already loaded). Hashing, language detection and de-duplication run in SQL.
        `feedback_id` is derived from that key, so it is stable and never collides across files; the
        file's own id column is kept as `source_id`."""
        import pandas as pd
        import pyarrow as pa

        upload_id = uuid.uuid4().hex
        cols = ["source_row", "source_id", "text", "date", "date_precision", "rating", "product", "brand",
                "category", "region", "channel", "segment", "lang"]
        src = rows.reindex(columns=cols)
        text_cols = [c for c in cols if c not in ("source_row", "date", "rating")]
        src = src.astype({c: "string" for c in text_cols}).assign(date=pd.to_datetime(src["date"]),
                                                                   rating=src["rating"].astype(float))
        with self.transaction() as cur:
            # The stage holds only keys and flags; the text is read once more from the input, not copied
            # twice.
            cur.register("_src", pa.Table.from_pandas(src, preserve_index=False))
            try:
                cur.execute(_STAGE_FEEDBACK_SQL)
                status = dict(cur.execute("SELECT status, count(*) FROM _stage GROUP BY status").fetchall())
                cur.execute("""INSERT INTO feedback BY NAME
                    SELECT s.feedback_id, i.source_id, i.text, CAST(i.date AS DATE) AS date, i.rating,
                           i.product, i.brand, i.category, i.region, i.channel, i.segment, s.lang,
                           s.text_hash, s.dedup_key, i.date_precision, i.source_row, ? AS upload_id
                    FROM _src i JOIN _stage s USING (source_row) WHERE s.status = 'ok'""", [upload_id])
                dmin, dmax = cur.execute("""SELECT min(CAST(i.date AS DATE)), max(CAST(i.date AS DATE))
                    FROM _src i JOIN _stage s USING (source_row)
                    WHERE s.status = 'ok' AND i.date_precision IN ('day', 'month')""").fetchall()[0]
            finally:
                cur.unregister("_src")
            if len(rejected):
                self.append(cur, "rejected_rows", rejected.assign(upload_id=upload_id)[
                    ["upload_id", "source_row", "reason", "raw"]])
            cur.execute("DROP TABLE _stage")
            counts = {
                "upload_id": upload_id, "rows_loaded": int(status.get("ok", 0)),
                "duplicates_in_file": int(status.get("dup_file", 0)),
                "duplicates_in_db": int(status.get("dup_db", 0)),
                "rows_rejected": len(rejected),
                "rejected_by_reason": {str(k): int(v) for k, v in rejected["reason"].value_counts().items()},
                "date_min": str(dmin) if dmin else None, "date_max": str(dmax) if dmax else None,
            }
            self._record_upload(cur, report, counts)
        return counts

    def load_market(self, rows: pd.DataFrame, rejected: pd.DataFrame, report) -> dict:
        """Insert monthly market rows; a (month, product, category, region, metric) already loaded is
        skipped as a duplicate."""
        upload_id = uuid.uuid4().hex
        src = rows.reindex(columns=["source_row", "date", "product", "category", "region", "metric", "value"])
        with self.transaction() as cur:
            cur.register("_msrc", src)
            try:
                cur.execute("""CREATE TEMP TABLE _mstage AS
                    SELECT s.*, CASE WHEN EXISTS (
                        SELECT 1 FROM market_trends m WHERE m.date = s.date AND m.metric = s.metric
                          AND m.product IS NOT DISTINCT FROM s.product
                          AND m.category IS NOT DISTINCT FROM s.category
                          AND m.region IS NOT DISTINCT FROM s.region) THEN 'dup_db' ELSE 'ok' END AS status
                    FROM _msrc s""")
            finally:
                cur.unregister("_msrc")
            status = dict(cur.execute("SELECT status, count(*) FROM _mstage GROUP BY status").fetchall())
            cur.execute("""INSERT INTO market_trends BY NAME
                SELECT date, product, category, region, metric, value, ? AS upload_id
                FROM _mstage WHERE status = 'ok'""", [upload_id])
            dmin, dmax = cur.execute("SELECT min(date), max(date) FROM _mstage "
                                     "WHERE status='ok'").fetchall()[0]
            cur.execute("DROP TABLE _mstage")
            if len(rejected):
                self.append(cur, "rejected_rows", rejected.assign(upload_id=upload_id)[
                    ["upload_id", "source_row", "reason", "raw"]])
            counts = {
                "upload_id": upload_id, "rows_loaded": int(status.get("ok", 0)),
                "duplicates_in_db": int(status.get("dup_db", 0)),
                "rows_rejected": len(rejected),
                "rejected_by_reason": {str(k): int(v) for k, v in rejected["reason"].value_counts().items()},
                "date_min": str(dmin) if dmin else None, "date_max": str(dmax) if dmax else None,
            }
            self._record_upload(cur, report, counts)
        return counts

    @staticmethod
    def _record_upload(cur, report, counts: dict) -> None:

        rep = dict(report.to_dict(), **counts)
        rep["rows_duplicate"] = rep.get("duplicates_in_file", 0) + rep.get("duplicates_in_db", 0)
        cur.execute(
            "INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [counts["upload_id"], report.kind, report.file_name, report.sha256, report.size_bytes,
             rep["rows_read"], rep["rows_loaded"], rep["rows_rejected"], rep["rows_duplicate"],
             report.encoding, json.dumps(report.mapping, ensure_ascii=False),
             json.dumps(rep, ensure_ascii=False, default=str)])

    def upload_of_file(self, sha256: str) -> dict | None:
        """The earliest upload still in the database of a file with these bytes (any path: page, CLI, API,
        inbox), else None: {"upload_id", "file_name", "kind", "loaded_at", "number" (its place in the
        load history, 1 = first), "report" (its load report as a dict)}. A deleted upload no longer counts,
        so a file can be loaded again after its load was deleted."""
        rows = self.cursor().execute("""
            SELECT upload_id, file_name, kind, loaded_at, report,
                   (SELECT count(*) FROM uploads o WHERE o.loaded_at <= u.loaded_at) AS number
            FROM uploads u WHERE sha256 = ? ORDER BY loaded_at LIMIT 1""", [sha256]).fetchall()
        if not rows:
            return None
        upload_id, file_name, kind, loaded_at, report, number = rows[0]
        return {"upload_id": upload_id, "file_name": file_name, "kind": kind, "loaded_at": loaded_at,
                "number": int(number), "report": json.loads(report) if report else {}}

    def uploads(self) -> pd.DataFrame:
        return self.query("SELECT upload_id, kind, file_name, rows_read, rows_loaded, rows_rejected, "
                          "rows_duplicate, encoding, loaded_at FROM uploads ORDER BY loaded_at DESC")

    def rejected_for(self, upload_id: str) -> pd.DataFrame:
        return self.query("SELECT source_row, reason, raw FROM rejected_rows WHERE upload_id = ? "
                          "ORDER BY source_row", [upload_id])


# Normalised text for de-duplication: case and all whitespace ignored (literal replaces: a regex or
# accent-folding pass costs seconds per million rows). Language: one RE2 match per language on frequent
# function words; only comments that match both are counted word by word.
_ES_RE = r"\b(de|que|el|la|los|las|muy|y|es|con|pero|está|para|por|una|lo|le|sabor|rico|nada)\b"


_EN_RE = r"\b(the|and|is|it|this|was|of|to|for|with|but|very|not|my|you|they|taste|good|great|too)\b"


_STAGE_FEEDBACK_SQL = f"""
CREATE TEMP TABLE _stage AS
WITH lowered AS (
    SELECT *, lower(text) AS low FROM _src
), src AS (
    -- the lowered text is computed once (lowering and removing whitespace commute: the same hash as
    -- md5(lower(<text without spaces, tabs, CR, LF>)))
    SELECT *, md5(replace(replace(replace(replace(low, ' ', ''), chr(10), ''), chr(13), ''), chr(9), ''))
            AS text_hash
    FROM lowered
), keyed AS (
    SELECT *, md5(text_hash || '|' || coalesce(CAST(date AS VARCHAR), '') || '|'
                  || coalesce(lower(trim(product)), '')) AS dedup_key,
           regexp_matches(low, '{_ES_RE}') AS es, regexp_matches(low, '{_EN_RE}') AS en
    FROM src
), flagged AS (
    SELECT k.*, 'fb_' || substr(k.dedup_key, 1, 20) AS fid,
           row_number() OVER (PARTITION BY k.dedup_key ORDER BY k.source_row) AS dup_rank,
           (f.dedup_key IS NOT NULL) AS in_db
    FROM keyed k
    LEFT JOIN (SELECT DISTINCT dedup_key FROM feedback) f ON f.dedup_key = k.dedup_key
)
SELECT source_row, fid AS feedback_id, text_hash, dedup_key,
       coalesce(lang, CASE
           WHEN es AND NOT en THEN 'es'
           WHEN en AND NOT es THEN 'en'
           WHEN NOT es AND NOT en THEN NULL
           WHEN len(regexp_extract_all(low, '{_EN_RE}')) > len(regexp_extract_all(low, '{_ES_RE}')) THEN 'en'
           ELSE 'es' END) AS lang,
       CASE WHEN dup_rank > 1 THEN 'dup_file' WHEN in_db THEN 'dup_db' ELSE 'ok' END AS status
FROM flagged
"""
