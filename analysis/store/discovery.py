"""Reads and writes of the discovery stages: food mentions (per model and lexicon version) and the words
and two-word phrases of each comment (terms). SQL only; the rules that decide what a food or a term is
live in `models.mentions` and `analysis.insight.terms`."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa

from analysis.store.core import Store

FOOD_COLUMNS = ["feedback_id", "model_version", "lexicon_version", "entry", "family", "polarity", "score",
                "evidence"]
SCAN_COLUMNS = ["feedback_id", "model_version", "lexicon_version"]


# --- settings ------------------------------------------------------------------------------------------

def get_setting(store: Store, key: str) -> str | None:
    return store.scalar("SELECT value FROM settings WHERE key = ?", [key])


def put_setting(store: Store, key: str, value: str) -> bool:
    """Store a setting; True when it changed."""
    if get_setting(store, key) == value:
        return False
    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])
    return True


# --- food mentions -------------------------------------------------------------------------------------

def pending_food_scans(store: Store, lexicon_version: str, limit: int | None = None) -> pd.DataFrame:
    """Comments whose active prediction has no food scan under `lexicon_version`, one per distinct text
    (duplicates take a copy afterwards, `copy_cached_foods`), shortest first."""
    sql = """
        SELECT feedback_id, text, model_version FROM (
            SELECT f.feedback_id, f.text, p.model_version,
                   row_number() OVER (PARTITION BY f.text_hash, p.model_version ORDER BY f.feedback_id) AS rk
            FROM feedback f JOIN active_predictions p USING (feedback_id)
            WHERE NOT EXISTS (SELECT 1 FROM food_scans s WHERE s.feedback_id = f.feedback_id
                              AND s.model_version = p.model_version AND s.lexicon_version = ?))
        WHERE rk = 1 ORDER BY length(text), feedback_id""" + (" LIMIT ?" if limit is not None else "")
    return store.query(sql, [lexicon_version] + ([int(limit)] if limit is not None else []))


def count_pending_food_scans(store: Store, lexicon_version: str) -> int:
    return int(store.scalar("""
        SELECT count(*) FROM active_predictions p WHERE NOT EXISTS (
            SELECT 1 FROM food_scans s WHERE s.feedback_id = p.feedback_id
            AND s.model_version = p.model_version AND s.lexicon_version = ?)""", [lexicon_version]))


def write_foods(store: Store, scans: pd.DataFrame, mentions: pd.DataFrame, cur=None) -> int:
    """Record which comments were scanned and the foods found in them, all or nothing (inside the caller's
    transaction when `cur` is given)."""
    if cur is not None:
        Store.append(cur, "food_scans", scans[SCAN_COLUMNS])
        Store.append(cur, "food_mentions", mentions.reindex(columns=FOOD_COLUMNS))
        return len(scans)
    with store.transaction() as tx:
        return write_foods(store, scans, mentions, tx)


def copy_cached_foods(store: Store, lexicon_version: str) -> int:
    """Unscanned comments whose text was already scanned under the same model and lexicon version get a
    copy of that scan and its mentions. Returns the number of comments filled."""
    with store.transaction() as cur:
        cur.execute("""
            CREATE OR REPLACE TEMP TABLE _fdonor AS
            SELECT f.feedback_id AS target, p.model_version, min(s.feedback_id) AS donor
            FROM feedback f JOIN active_predictions p USING (feedback_id)
            JOIN feedback g ON g.text_hash = f.text_hash
            JOIN food_scans s ON s.feedback_id = g.feedback_id AND s.model_version = p.model_version
                             AND s.lexicon_version = ?
            WHERE NOT EXISTS (SELECT 1 FROM food_scans x WHERE x.feedback_id = f.feedback_id
                              AND x.model_version = p.model_version AND x.lexicon_version = ?)
            GROUP BY ALL""", [lexicon_version, lexicon_version])
        n = cur.execute("SELECT count(*) FROM _fdonor").fetchall()[0][0]
        if n:
            cur.execute("""INSERT INTO food_scans SELECT target, model_version, ? FROM _fdonor""",
                        [lexicon_version])
            cur.execute("""
                INSERT INTO food_mentions
                SELECT d.target, m.model_version, m.lexicon_version, m.entry, m.family, m.polarity, m.score,
                       m.evidence
                FROM _fdonor d JOIN food_mentions m ON m.feedback_id = d.donor
                     AND m.model_version = d.model_version AND m.lexicon_version = ?""", [lexicon_version])
        cur.execute("DROP TABLE IF EXISTS _fdonor")
    return int(n)


def food_families(store: Store) -> list[str]:
    return store.query("SELECT DISTINCT family FROM active_food_mentions ORDER BY 1")["family"].tolist()


# --- terms ---------------------------------------------------------------------------------------------

# Words: letters of any script (accents kept for the readable form), digits excluded.
_WORD_RE = r"[^\p{L}]+"


def reset_terms(store: Store) -> None:
    with store.transaction() as cur:
        for t in ("feedback_terms", "term_scans", "term_labels"):
            cur.execute(f"DELETE FROM {t}")


def count_pending_terms(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM feedback f WHERE NOT EXISTS "
                            "(SELECT 1 FROM term_scans s WHERE s.feedback_id = f.feedback_id)"))


def index_terms(store: Store, keys: Callable[[pd.DataFrame], pd.DataFrame], batch: int = 200_000) -> int:
    """Tokenise comments not indexed yet and store their distinct terms. DuckDB splits the words; the
    distinct (language, word) pairs go to `keys`, which returns them with a `key` column (the stem, or None
    for a stop word); DuckDB then forms unigrams and two-word phrases of consecutive kept words.
    Returns the number of comments indexed."""
    done = 0
    while True:
        with store.transaction() as cur:
            cur.execute(f"""
                CREATE OR REPLACE TEMP TABLE _todo AS
                SELECT f.feedback_id, coalesce(f.lang, 'es') AS lang,
                       string_split_regex(lower(f.text), '{_WORD_RE}') AS words
                FROM feedback f
                WHERE NOT EXISTS (SELECT 1 FROM term_scans s WHERE s.feedback_id = f.feedback_id)
                ORDER BY f.feedback_id LIMIT {int(batch)}""")
            ids = cur.execute("SELECT count(*) FROM _todo").fetchall()[0][0]
            if not ids:
                cur.execute("DROP TABLE _todo")
                return done
            cur.execute("""
                CREATE OR REPLACE TEMP TABLE _tok AS
                SELECT feedback_id, lang, unnest(words) AS word, generate_subscripts(words, 1) AS pos
                FROM _todo""")
            words = cur.execute("SELECT DISTINCT lang, word FROM _tok WHERE length(word) >= 3").df()
            mapped = keys(words)[["lang", "word", "key"]]
            cur.register("_keys", pa.Table.from_pandas(mapped, preserve_index=False))
            try:
                cur.execute("""
                    CREATE OR REPLACE TEMP TABLE _kept AS
                    SELECT t.feedback_id, t.word, k.key,
                           row_number() OVER (PARTITION BY t.feedback_id ORDER BY t.pos) AS i
                    FROM _tok t JOIN _keys k USING (lang, word) WHERE k.key IS NOT NULL""")
            finally:
                cur.unregister("_keys")
            cur.execute("""
                CREATE OR REPLACE TEMP TABLE _terms AS
                SELECT feedback_id, key AS term, word AS surface FROM _kept
                UNION ALL
                SELECT a.feedback_id, a.key || ' ' || b.key, a.word || ' ' || b.word
                FROM _kept a JOIN _kept b ON b.feedback_id = a.feedback_id AND b.i = a.i + 1
                WHERE a.key <> b.key""")
            cur.execute("INSERT INTO feedback_terms SELECT DISTINCT feedback_id, term FROM _terms")
            cur.execute("INSERT INTO term_scans SELECT feedback_id FROM _todo")
            # The readable form of a term is its most frequent spelling; df counts comments.
            cur.execute("""
                INSERT OR REPLACE INTO term_labels
                WITH new AS (SELECT term, mode(surface) AS label, count(DISTINCT feedback_id) AS df
                             FROM _terms GROUP BY term)
                SELECT n.term, coalesce(o.label, n.label), coalesce(o.df, 0) + n.df
                FROM new n LEFT JOIN term_labels o USING (term)""")
            for t in ("_todo", "_tok", "_kept", "_terms"):
                cur.execute(f"DROP TABLE {t}")
        done += int(ids)
