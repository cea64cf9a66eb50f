"""DuckDB storage: the only module that writes DDL/DML. Schema, forward migrations, views, cursors.

The database is opened once per process with external access disabled (no file, network or extension
access from SQL): ingestion reads files in Python and hands DataFrames over with `register`, so nothing
the app runs — and nothing a question turns into — can touch the file system through DuckDB.
DuckDB refuses a second connection to the same file with another configuration in one process, so every
caller shares one connection and takes its own cursor per thread.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from analysis.ops import metrics

# Forward-only migrations: (version, statements). Never edit a shipped one; append a new version.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE uploads (
            upload_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL, size_bytes BIGINT, rows_read BIGINT, rows_loaded BIGINT,
            rows_rejected BIGINT, rows_duplicate BIGINT, encoding VARCHAR, mapping JSON, report JSON,
            loaded_at TIMESTAMP NOT NULL)""",
        # feedback_id is unique by construction (derived from the de-duplicated dedup_key); no index on it:
        # an ART index costs seconds per million rows at every load.
        """CREATE TABLE feedback (
            feedback_id VARCHAR NOT NULL, text VARCHAR NOT NULL, date DATE, rating DOUBLE,
            product VARCHAR, brand VARCHAR, category VARCHAR, region VARCHAR, channel VARCHAR,
            segment VARCHAR, lang VARCHAR, text_hash VARCHAR NOT NULL, dedup_key VARCHAR NOT NULL,
            date_precision VARCHAR, source_id VARCHAR, upload_id VARCHAR, source_row BIGINT)""",
        """CREATE TABLE rejected_rows (
            upload_id VARCHAR NOT NULL, source_row BIGINT, reason VARCHAR NOT NULL, raw JSON)""",
        """CREATE TABLE predictions (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, sentiment VARCHAR NOT NULL,
            sentiment_score DOUBLE, stars_pred INTEGER, p_negative DOUBLE, p_neutral DOUBLE,
            p_positive DOUBLE, truncated BOOLEAN DEFAULT false, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (feedback_id, model_version))""",
        """CREATE TABLE taste_mentions (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
            polarity VARCHAR NOT NULL, score DOUBLE, evidence VARCHAR)""",
        """CREATE TABLE embeddings (
            text_hash VARCHAR NOT NULL, model_version VARCHAR NOT NULL, vector FLOAT[] NOT NULL,
            PRIMARY KEY (text_hash, model_version))""",
        """CREATE TABLE topic_runs (
            run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, embedding_model VARCHAR,
            n_docs BIGINT, n_topics INTEGER, outlier_share DOUBLE, params JSON, filters JSON,
            is_current BOOLEAN DEFAULT false)""",
        """CREATE TABLE topics (
            run_id VARCHAR NOT NULL, topic_id INTEGER NOT NULL, label VARCHAR, keywords VARCHAR,
            size BIGINT, PRIMARY KEY (run_id, topic_id))""",
        """CREATE TABLE feedback_topics (
            feedback_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
            prob DOUBLE, PRIMARY KEY (feedback_id, run_id))""",
        """CREATE TABLE market_trends (
            date DATE NOT NULL, product VARCHAR, category VARCHAR, region VARCHAR,
            metric VARCHAR NOT NULL, value DOUBLE NOT NULL, upload_id VARCHAR)""",
        """CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    ]),
]

# Views are recreated on every open: they hold no data, so changing one needs no migration.
VIEWS = [
    # A year-only date ("2015") keeps its year but no day: it must not count as January in monthly charts.
    """CREATE OR REPLACE VIEW dated_feedback AS
       SELECT * REPLACE (CASE WHEN date_precision = 'year' THEN NULL ELSE date END AS date),
              year(date) AS year
       FROM feedback""",
    # The newest prediction per comment wins; older model versions stay in `predictions` untouched.
    """CREATE OR REPLACE VIEW active_predictions AS
       SELECT * FROM predictions
       QUALIFY row_number() OVER (PARTITION BY feedback_id
                                  ORDER BY created_at DESC, model_version DESC) = 1""",
    """CREATE OR REPLACE VIEW active_taste_mentions AS
       SELECT m.* FROM taste_mentions m
       JOIN active_predictions p USING (feedback_id, model_version)""",
    """CREATE OR REPLACE VIEW current_topics AS
       SELECT t.* FROM topics t JOIN topic_runs r USING (run_id) WHERE r.is_current""",
    """CREATE OR REPLACE VIEW feedback_enriched AS
       SELECT f.feedback_id, f.source_id, f.text, f.date, CAST(date_trunc('month', f.date) AS DATE) AS month,
              f.year, f.rating, f.product, f.brand, f.category, f.region, f.channel,
              f.segment, f.lang, f.upload_id,
              p.sentiment, p.sentiment_score, p.stars_pred, p.model_version,
              ft.topic_id, ct.label AS topic_label,
              a.attributes, a.negative_attributes, a.positive_attributes
       FROM dated_feedback f
       LEFT JOIN active_predictions p USING (feedback_id)
       LEFT JOIN (SELECT ft.* FROM feedback_topics ft JOIN topic_runs r USING (run_id) WHERE r.is_current) ft
            USING (feedback_id)
       LEFT JOIN current_topics ct ON ct.topic_id = ft.topic_id
       LEFT JOIN (SELECT feedback_id,
                         string_agg(DISTINCT attribute, ', ' ORDER BY attribute) AS attributes,
                         string_agg(DISTINCT attribute, ', ' ORDER BY attribute)
                             FILTER (WHERE polarity = 'negative') AS negative_attributes,
                         string_agg(DISTINCT attribute, ', ' ORDER BY attribute)
                             FILTER (WHERE polarity = 'positive') AS positive_attributes
                  FROM active_taste_mentions GROUP BY feedback_id) a USING (feedback_id)""",
    # One row per taste mention, with the comment's dimensions: the table most taste questions need.
    """CREATE OR REPLACE VIEW mentions_enriched AS
       SELECT m.feedback_id, m.attribute, m.polarity, m.score, m.evidence,
              f.date, CAST(date_trunc('month', f.date) AS DATE) AS month, f.year,
              f.rating, f.product, f.brand, f.category, f.region, f.channel, f.segment, f.lang, f.text
       FROM active_taste_mentions m JOIN dated_feedback f USING (feedback_id)""",
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
# Tables and views a question may read (the "ask the data" allow-list lives with the guard, from these).
QUERYABLE = ("feedback_enriched", "mentions_enriched", "market_trends", "current_topics", "feedback",
             "predictions", "taste_mentions", "topics", "feedback_topics", "uploads")


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
        self._con = duckdb.connect(str(path), config={"enable_external_access": False})
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
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor the caller owns (for guarded queries that may be interrupted)."""
        return self._con.cursor()

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
    def data_version(self) -> str:
        """Changes whenever data that charts read changes: the key for st.cache_data. The file path is
        part of it so two databases with equal counts never share cached results."""
        row = self.cursor().execute(
            "SELECT (SELECT count(*) FROM feedback), (SELECT max(loaded_at) FROM uploads), "
            "(SELECT count(*) FROM predictions), (SELECT max(created_at) FROM predictions), "
            "(SELECT count(*) FROM taste_mentions), (SELECT count(*) FROM topic_runs), "
            "(SELECT max(created_at) FROM topic_runs WHERE is_current), (SELECT count(*) FROM market_trends)"
        ).fetchall()[0]
        return "|".join([str(self.path)] + [str(x) for x in row])

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
                "date_min": str(dmin) if dmin else None, "date_max": str(dmax) if dmax else None,
            }
            self._record_upload(cur, report, counts)
        return counts

    @staticmethod
    def _record_upload(cur, report, counts: dict) -> None:
        import json

        rep = dict(report.to_dict(), **counts)
        rep["rows_duplicate"] = rep.get("duplicates_in_file", 0) + rep.get("duplicates_in_db", 0)
        cur.execute(
            "INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [counts["upload_id"], report.kind, report.file_name, report.sha256, report.size_bytes,
             rep["rows_read"], rep["rows_loaded"], rep["rows_rejected"], rep["rows_duplicate"],
             report.encoding, json.dumps(report.mapping, ensure_ascii=False),
             json.dumps(rep, ensure_ascii=False, default=str)])

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
WITH src AS (
    SELECT *,
        md5(lower(replace(replace(replace(replace(text, ' ', ''), chr(10), ''), chr(13), ''), chr(9), '')))
            AS text_hash,
        lower(text) AS low
    FROM _src
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


# --- predictions (pipeline) ---
# Sentiment/taste results, keyed by (feedback_id, model_version). A text already scored under the same
# model version (same text_hash) is copied here in SQL instead of being run through the model again.

def pending_predictions(store: Store, model_version: str, limit: int | None = None) -> pd.DataFrame:
    """Comments with no prediction for `model_version`, one row per distinct text_hash not yet scored
    anywhere under that version (its duplicates are copied afterwards by `copy_cached_predictions`)."""
    sql = """
        SELECT feedback_id, text, text_hash FROM (
            SELECT f.feedback_id, f.text, f.text_hash,
                   row_number() OVER (PARTITION BY f.text_hash ORDER BY f.feedback_id) AS rk
            FROM feedback f
            WHERE NOT EXISTS (SELECT 1 FROM predictions p
                              WHERE p.feedback_id = f.feedback_id AND p.model_version = ?)
              AND NOT EXISTS (SELECT 1 FROM predictions p JOIN feedback g USING (feedback_id)
                              WHERE g.text_hash = f.text_hash AND p.model_version = ?))
        WHERE rk = 1 ORDER BY length(text), feedback_id""" + (" LIMIT ?" if limit is not None else "")
    params = [model_version, model_version] + ([int(limit)] if limit is not None else [])
    return store.query(sql, params)


def count_unpredicted(store: Store) -> int:
    """Comments with no prediction from any model version (what the "analyse" button offers to score)."""
    return int(store.scalar("SELECT count(*) FROM feedback f WHERE NOT EXISTS "
                            "(SELECT 1 FROM predictions p WHERE p.feedback_id = f.feedback_id)"))


def count_unscored(store: Store, model_version: str) -> int:
    return int(store.scalar(
        "SELECT count(*) FROM feedback f WHERE NOT EXISTS (SELECT 1 FROM predictions p "
        "WHERE p.feedback_id = f.feedback_id AND p.model_version = ?)", [model_version]))


def copy_cached_predictions(store: Store, model_version: str) -> int:
    """Give every unscored comment whose text was already scored under `model_version` a copy of that
    prediction and its taste mentions. Returns the number of comments filled from the cache."""
    with store.transaction() as cur:
        cur.execute("""
            CREATE OR REPLACE TEMP TABLE _donor AS
            SELECT f.feedback_id AS target, d.donor
            FROM feedback f
            JOIN (SELECT g.text_hash, min(p.feedback_id) AS donor
                  FROM predictions p JOIN feedback g USING (feedback_id)
                  WHERE p.model_version = ? GROUP BY g.text_hash) d USING (text_hash)
            WHERE NOT EXISTS (SELECT 1 FROM predictions p
                              WHERE p.feedback_id = f.feedback_id AND p.model_version = ?)""",
                    [model_version, model_version])
        n = cur.execute("SELECT count(*) FROM _donor").fetchall()[0][0]
        if n:
            cur.execute("""
                INSERT INTO predictions (feedback_id, model_version, sentiment, sentiment_score, stars_pred,
                                         p_negative, p_neutral, p_positive, truncated, created_at)
                SELECT d.target, p.model_version, p.sentiment, p.sentiment_score, p.stars_pred,
                       p.p_negative, p.p_neutral, p.p_positive, p.truncated, now()
                FROM _donor d JOIN predictions p ON p.feedback_id = d.donor AND p.model_version = ?""",
                        [model_version])
            cur.execute("""
                INSERT INTO taste_mentions (feedback_id, model_version, attribute, polarity, score, evidence)
                SELECT d.target, m.model_version, m.attribute, m.polarity, m.score, m.evidence
                FROM _donor d JOIN taste_mentions m ON m.feedback_id = d.donor AND m.model_version = ?""",
                        [model_version])
        cur.execute("DROP TABLE IF EXISTS _donor")
    return int(n)


def write_predictions(store: Store, predictions: pd.DataFrame, mentions: pd.DataFrame) -> int:
    """Insert one batch of predictions and their taste mentions, all or nothing."""
    with store.transaction() as cur:
        Store.append(cur, "predictions", predictions)
        Store.append(cur, "taste_mentions", mentions)
    return len(predictions)


def model_prediction_summary(store: Store, model_version: str) -> dict:
    """Counts for the Modelo page: comments scored by this version, by sentiment."""
    df = store.query("SELECT sentiment, count(*) AS n FROM predictions WHERE model_version = ? GROUP BY 1",
                     [model_version])
    return dict(zip(df["sentiment"], df["n"].astype(int)))


# --- topics: embedding cache and versioned topic runs (SQL only; callers pass arrays and frames) ---

def get_embeddings(store: Store, hashes: list[str], model_version: str):
    """Cached vectors for `hashes` under one model version: (found hashes, float32 matrix)."""
    import numpy as np
    import pyarrow as pa

    if not hashes:
        return [], np.zeros((0, 0), dtype=np.float32)
    # its own cursor: the thread's cursor may hold a half-read result (DuckDB 2 then refuses register)
    cur = store.new_cursor()
    name = f"_h_{uuid.uuid4().hex[:8]}"
    try:
        cur.register(name, pa.table({"text_hash": pa.array(list(dict.fromkeys(hashes)), pa.string())}))
        tbl = cur.sql(f'SELECT e.text_hash, e.vector FROM embeddings e JOIN "{name}" h USING (text_hash) '
                      "WHERE e.model_version = ?", params=[model_version]).to_arrow_table()
        cur.unregister(name)
    finally:
        cur.close()
    if tbl.num_rows == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    vec = tbl.column("vector").combine_chunks()
    flat = vec.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    return tbl.column("text_hash").to_pylist(), flat.reshape(tbl.num_rows, -1)


def put_embeddings(store: Store, hashes: list[str], vectors, model_version: str) -> int:
    """Cache vectors (already-cached hashes are left as they are)."""
    import numpy as np
    import pyarrow as pa

    if len(hashes) == 0:
        return 0
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    col = pa.ListArray.from_arrays(pa.array(np.arange(0, v.size + 1, v.shape[1], dtype=np.int32)),
                                   pa.array(v.ravel()))
    tbl = pa.table({"text_hash": pa.array(hashes, pa.string()),
                    "model_version": pa.array([model_version] * len(hashes), pa.string()),
                    "vector": col})
    name = f"_e_{uuid.uuid4().hex[:8]}"
    with store.transaction() as cur:
        cur.register(name, tbl)
        try:
            cur.execute(f'INSERT OR IGNORE INTO embeddings SELECT DISTINCT ON (text_hash) text_hash, '
                        f'model_version, vector FROM "{name}"')
        finally:
            cur.unregister(name)
    return len(hashes)


def save_topic_run(store: Store, run: dict, topics: pd.DataFrame, assignments: pd.DataFrame,
                   make_current: bool = True) -> str:
    """One fitted topic model as a new run; earlier runs stay (only the `is_current` flag moves)."""
    import json as _json

    row = pd.DataFrame([{**run,
                         "params": _json.dumps(run.get("params") or {}, ensure_ascii=False, default=str),
                         "filters": _json.dumps(run.get("filters") or {}, ensure_ascii=False, default=str),
                         "is_current": False}])
    with store.transaction() as cur:
        Store.append(cur, "topic_runs", row)
        Store.append(cur, "topics", topics.assign(run_id=run["run_id"]))
        Store.append(cur, "feedback_topics", assignments.assign(run_id=run["run_id"]))
        if make_current:
            cur.execute("UPDATE topic_runs SET is_current = (run_id = ?)", [run["run_id"]])
    return run["run_id"]


def set_current_topic_run(store: Store, run_id: str) -> None:
    with store.transaction() as cur:
        if not cur.execute("SELECT count(*) FROM topic_runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
            raise ValueError(f"No existe la ejecución de temas {run_id!r}")
        cur.execute("UPDATE topic_runs SET is_current = (run_id = ?)", [run_id])


def topic_runs(store: Store) -> pd.DataFrame:
    return store.query("SELECT run_id, created_at, embedding_model, n_docs, n_topics, outlier_share, params, "
                       "filters, is_current FROM topic_runs ORDER BY created_at DESC")
