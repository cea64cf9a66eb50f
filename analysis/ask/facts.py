"""What the answerer knows of the data before parsing: distinct values, the dated span and which measures
the data can answer (cached per database version)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analysis.store import rollups


# -- facts from the data (distinct values and date range) -------------------------------------------
@dataclass(frozen=True)
class Facts:
    products: tuple[str, ...]
    regions: tuple[str, ...]
    channels: tuple[str, ...]
    categories: tuple[str, ...]
    min_date: dt.date | None
    max_date: dt.date | None
    months: tuple[dt.date, ...]  # first day of every month that has data
    brands: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    has_sentiment: bool = True    # comments were scored for sentiment (else "negative" is read from ratings)
    has_rating: bool = True
    max_year: int | None = None   # may be later than max_date: a year-only date has a year and no day
    foods: tuple[str, ...] = ()          # food entries mentioned in the comments (foods_enriched.entry)
    food_families: tuple[str, ...] = ()  # their families
    has_foods: bool = False       # comments were scanned for foods under the lexicon in use
    food_unscanned: int = 0       # comments not (yet) scanned for foods, when some were

    def values(self, dim: str) -> tuple[str, ...]:
        return {"product": self.products, "region": self.regions, "channel": self.channels,
                "category": self.categories, "brand": self.brands, "topic": self.topics,
                "food": self.foods, "food_family": self.food_families}.get(dim, ())


_FACTS_CACHE: dict[tuple[str, str], Facts] = {}


def load_facts(store) -> Facts:
    key = (str(store.path), store.data_version())
    f = _FACTS_CACHE.get(key)
    if f is not None:
        return f

    # the written-down copies of feedback_enriched and foods_enriched (same rows): ~10 queries over the views
    # cost ~1 s each at 1M comments, over the copies milliseconds (analysis/store/rollups.py)
    enriched = rollups.enriched_table(store)
    foods = "cached_foods_enriched"

    def distinct(col: str, view: str = enriched) -> tuple[str, ...]:
        df = store.query(f"SELECT DISTINCT {col} AS v FROM {view} WHERE {col} IS NOT NULL ORDER BY 1",
                         kind="ask")
        return tuple(str(v) for v in df["v"])

    rng = store.query("SELECT min(date) AS lo, max(date) AS hi, max(year) AS y, count(sentiment) AS s, "
                      f"count(rating) AS r FROM {enriched}", kind="ask").iloc[0]
    months = store.query("SELECT DISTINCT CAST(date_trunc('month', date) AS DATE) AS m "
                         f"FROM {enriched} WHERE date IS NOT NULL ORDER BY 1", kind="ask")["m"]
    # comments whose food mentions are known (scanned under the lexicon in use), and all comments
    scans = store.query("SELECT (SELECT count(*) FROM active_food_scans) AS scanned, "
                        "(SELECT count(*) FROM feedback) AS n", kind="ask").iloc[0]
    scanned = int(scans["scanned"])
    f = Facts(distinct("product"), distinct("region"), distinct("channel"), distinct("category"),
              _to_date(rng["lo"]), _to_date(rng["hi"]), tuple(_to_date(m) for m in months),
              brands=distinct("brand"), topics=distinct("topic_label"),
              has_sentiment=bool(rng["s"]), has_rating=bool(rng["r"]),
              max_year=None if pd.isna(rng["y"]) else int(rng["y"]),
              foods=distinct("entry", foods), food_families=distinct("family", foods),
              has_foods=scanned > 0, food_unscanned=max(int(scans["n"]) - scanned, 0) if scanned else 0)
    _FACTS_CACHE.clear()
    _FACTS_CACHE[key] = f
    return f


def _to_date(v) -> dt.date | None:
    if v is None or pd.isna(v):
        return None
    return pd.Timestamp(v).date()
