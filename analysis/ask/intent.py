"""A parsed question: a measure, filters (and a share's subset), a grouping, an order and a period.

Filters combine with AND across kinds and OR within one list ("Lima y Cusco" = region IN (Lima, Cusco)).
A share is the subset's rows within the base: "qué % de las reseñas de 2024 tienen 5 estrellas" has base
{period 2024} and subset {rating 5}.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# Dimension columns a value filter or a grouping may name (feedback_enriched and the mentions views).
DIMENSIONS = ("product", "region", "channel", "category", "brand", "lang", "topic")


@dataclass
class Filters:
    values: dict[str, list[str]] = field(default_factory=dict)  # dimension -> values (OR)
    rating: list[dict] = field(default_factory=list)   # [{"lo", "hi", "lo_inc", "hi_inc"}] (OR)
    sentiment: list[str] = field(default_factory=list)  # negative | neutral | positive (OR)
    # [{"kind": attribute | food | food_family, "value": one, a list (OR) or None (any), "polarity",
    #   "scope": "row" (only when grouping by that kind: the rows themselves, "¿qué postre...?")}] (AND)
    mentions: list[dict] = field(default_factory=list)
    words: list[str] = field(default_factory=list)      # the text contains one of them (OR)
    length: dict | None = None                          # {"unit": chars|words, "op": gt|lt, "n"}

    def empty(self) -> bool:
        return not (self.values or self.rating or self.sentiment or self.mentions or self.words
                    or self.length)

    @classmethod
    def from_dict(cls, d: dict | None) -> Filters:
        d = d or {}
        return cls(**{k: d[k] for k in (f.name for f in fields(cls)) if k in d})


@dataclass
class Intent:
    metric: str = "count"       # count | avg_rating | min_rating | max_rating | share | avg_length | distinct
    length_unit: str = "chars"  # avg_length: chars | words
    distinct_of: str | None = None
    filters: Filters = field(default_factory=Filters)
    subset: Filters | None = None       # share: the rows counted within the base
    group: str | None = None    # a dimension, month | quarter | year, rating, or a mention kind (attribute,
    #                             food = the food entry, food_family)
    group_polarity: str | None = None   # group by a mention kind: only mentions of this polarity
    dim_word: str | None = None         # the word the question used for the grouping ("lugar", "country")
    order: str | None = None    # desc | asc (ranking) ; None = full breakdown
    top_n: int | None = None
    date_from: str | None = None          # ISO, inclusive
    date_to: str | None = None            # ISO, exclusive
    by_year: bool = False                 # the period is whole years: count by year (year-only dates too)
    date_label_es: str = ""
    date_label_en: str = ""
    notes: list[list[str]] = field(default_factory=list)  # readings taken: [es, en]

    # -- single-value views, for sentences and callers that ask "which region?" ------------------------
    def _one(self, dim: str) -> str | None:
        v = self.filters.values.get(dim) or []
        return v[0] if len(v) == 1 else None

    @property
    def product(self) -> str | None:
        return self._one("product")

    @property
    def region(self) -> str | None:
        return self._one("region")

    @property
    def channel(self) -> str | None:
        return self._one("channel")

    @property
    def category(self) -> str | None:
        return self._one("category")

    def _mention(self) -> dict | None:
        ms = [m for m in self.filters.mentions + (self.subset.mentions if self.subset else [])
              if m.get("kind") == "attribute"]
        return ms[-1] if ms else None

    @property
    def attribute(self) -> str | None:
        m = self._mention()
        return m["value"] if m else None

    @property
    def polarity(self) -> str | None:
        m = self._mention()
        return m.get("polarity") if m else None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("product", "region", "channel", "category", "attribute", "polarity"):
            d[k] = getattr(self, k)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Intent:
        own = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in own}
        kw["filters"] = Filters.from_dict(d.get("filters"))
        kw["subset"] = Filters.from_dict(d["subset"]) if d.get("subset") else None
        return cls(**kw)


class CannotParse(Exception):
    def __init__(self, unknown: list[str] | None = None, why: str = ""):
        self.unknown = unknown or []
        self.why = why
        super().__init__(why or " ".join(self.unknown))
