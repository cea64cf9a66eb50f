"""Sentiment and taste results, keyed by (feedback_id, model_version). A text already scored under the
same model version (same text_hash) is copied in SQL instead of being run through the model again."""
from __future__ import annotations

import pandas as pd

from analysis.store.core import Store


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


def copy_cached_predictions(store: Store, model_version: str, lexicon_version: str | None = None) -> int:
    """Give every unscored comment whose text was already scored under `model_version` a copy of that
    prediction, its taste mentions and (when the donor has one under `lexicon_version`) its food scan.
    Returns the number of comments filled from the cache."""
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
            if lexicon_version is not None:
                cur.execute("""
                    INSERT INTO food_scans SELECT d.target, s.model_version, s.lexicon_version
                    FROM _donor d JOIN food_scans s ON s.feedback_id = d.donor AND s.model_version = ?
                         AND s.lexicon_version = ?""", [model_version, lexicon_version])
                cur.execute("""
                    INSERT INTO food_mentions
                    SELECT d.target, m.model_version, m.lexicon_version, m.entry, m.family, m.polarity,
                           m.score, m.evidence
                    FROM _donor d JOIN food_mentions m ON m.feedback_id = d.donor AND m.model_version = ?
                         AND m.lexicon_version = ?""", [model_version, lexicon_version])
        cur.execute("DROP TABLE IF EXISTS _donor")
    return int(n)


def write_predictions(store: Store, predictions: pd.DataFrame, mentions: pd.DataFrame,
                      food_scans: pd.DataFrame | None = None, foods: pd.DataFrame | None = None) -> int:
    """Insert one batch of predictions, their taste mentions and (when given) their food scan, all or
    nothing: a comment is never left with a prediction but a half-written analysis."""
    from analysis.store.discovery import write_foods

    with store.transaction() as cur:
        Store.append(cur, "predictions", predictions)
        Store.append(cur, "taste_mentions", mentions)
        if food_scans is not None:
            write_foods(store, food_scans, foods if foods is not None else pd.DataFrame(), cur)
    return len(predictions)


def model_prediction_summary(store: Store, model_version: str) -> dict:
    """Counts for the Modelo page: comments scored by this version, by sentiment."""
    df = store.query("SELECT sentiment, count(*) AS n FROM predictions WHERE model_version = ? GROUP BY 1",
                     [model_version])
    return dict(zip(df["sentiment"], df["n"].astype(int)))


def model_uncertain_count(store: Store, model_version: str, below: float) -> int:
    """Comments this version scored with a probability under `below` for the class it gave them."""
    df = store.query(
        "SELECT count(*) AS n FROM predictions WHERE model_version = ? AND (CASE sentiment "
        "WHEN 'negative' THEN p_negative WHEN 'neutral' THEN p_neutral ELSE p_positive END) < ?",
        [model_version, below])
    return int(df["n"].iloc[0])
