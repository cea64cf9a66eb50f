"""What one uploaded file changed: its comments by month, the shifts that became significant or stopped
being so, and the topics that grew — the summary Cargar datos shows once the file is analysed.

`significant_shifts` is taken just before the load (the state the user knew); `summarize` compares it
with the state after the file was scored. Shifts are identified by their series (dimension, key, polarity,
metric, segment) and direction, so a shift that only moved its start month is not "new".
"""
from __future__ import annotations

import pandas as pd

from analysis.insight import trends
from analysis.insight.recommendations import content_link

SHIFT_DIMS = ("attribute", "mention", "topic")
SERIES = ["dimension", "key", "polarity", "metric", "segment_type", "segment", "direction"]
KEEP = SERIES + ["start_month", "rate_before", "rate_after", "effect", "q"]
MIN_NEW_IN_TOPIC = 5     # a topic "grew" only with at least this many of the file's comments in it


def significant_shifts(store, dims: tuple[str, ...] = SHIFT_DIMS) -> pd.DataFrame:
    """Every significant shift over the whole history, for the dimensions the model feeds."""
    parts = []
    for by in dims:
        df = trends.shift_scan(store, by)
        if len(df):
            parts.append(df.loc[df["significant"], KEEP])
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=KEEP))


def comments_by_month(store, upload_id: str) -> pd.DataFrame:
    """month (first day, or NaT for undated), comments — of this upload only."""
    return store.query("""
        SELECT CAST(date_trunc('month', date) AS DATE) AS month, count(*) AS comments
        FROM feedback WHERE upload_id = ? GROUP BY ALL ORDER BY month NULLS LAST""", [upload_id])


def topics_grown(store, upload_id: str, top: int = 5) -> pd.DataFrame:
    """Topics whose share among the file's comments is above their share among the earlier comments:
    label, n_new, share_new, share_before, growth (points), sorted by growth. Empty when the file is the
    first one or its comments have no topic yet."""
    df = store.query("""
        SELECT t.topic_id, t.label,
               count(*) FILTER (WHERE f.upload_id = ?) AS n_new,
               count(*) FILTER (WHERE f.upload_id IS DISTINCT FROM ?) AS n_before
        FROM current_topic_assignments a JOIN feedback f USING (feedback_id)
        JOIN current_topics t USING (topic_id)
        WHERE a.topic_id >= 0
        GROUP BY ALL""", [upload_id, upload_id], kind="topics")
    cols = ["topic_id", "label", "n_new", "share_new", "share_before", "growth"]
    if df.empty or not df["n_new"].sum() or not df["n_before"].sum():
        return pd.DataFrame(columns=cols)
    df["share_new"] = df["n_new"] / df["n_new"].sum()
    df["share_before"] = df["n_before"] / df["n_before"].sum()
    df["growth"] = (df["share_new"] - df["share_before"]) * 100
    grown = df[(df["growth"] > 0) & (df["n_new"] >= MIN_NEW_IN_TOPIC)]
    return grown.sort_values(["growth", "topic_id"], ascending=[False, True]).head(top)[cols] \
        .reset_index(drop=True)


def _diff(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows of `a` whose series and direction are not in `b`."""
    if a.empty:
        return a
    if b.empty:
        return a.copy()
    keys_b = set(map(tuple, b[SERIES].astype(str).to_numpy()))
    mask = [tuple(r) not in keys_b for r in a[SERIES].astype(str).to_numpy()]
    return a[mask].copy()


def summarize(store, before: pd.DataFrame, upload_id: str, after: pd.DataFrame | None = None) -> dict:
    """{"by_month", "new_shifts", "ended_shifts", "topics"}: what the upload `upload_id` changed against
    the significant shifts `before` it was loaded. Each shift row carries a `link` to Tendencias."""
    after = significant_shifts(store) if after is None else after

    def linked(df: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(link=[content_link(r) for r in df.to_dict("records")])
        if len(df):
            df = df.sort_values("effect", key=lambda s: s.abs(), ascending=False)
        return df.reset_index(drop=True)

    return {"by_month": comments_by_month(store, upload_id), "new_shifts": linked(_diff(after, before)),
            "ended_shifts": linked(_diff(before, after)), "topics": topics_grown(store, upload_id)}
