"""A parsed question: measure, subject, filters, grouping, order and period."""
from __future__ import annotations

from dataclasses import asdict, dataclass


# -- the intent ------------------------------------------------------------------------------------
@dataclass
class Intent:
    metric: str = "count"                 # count | avg_rating | share | distinct (values of `group`)
    attribute: str | None = None
    polarity: str | None = None           # mention polarity (with attribute)
    sentiment: str | None = None          # comment sentiment (without attribute)
    share_of_mentions: bool = False       # share base = comments mentioning the attribute
    group: str | None = None              # product | region | channel | month | attribute | category | brand
    order: str | None = None              # desc | asc (top-N) ; None = full breakdown
    top_n: int | None = None
    product: str | None = None
    region: str | None = None
    channel: str | None = None
    category: str | None = None
    date_from: str | None = None          # ISO, inclusive
    date_to: str | None = None            # ISO, exclusive
    date_label_es: str = ""
    date_label_en: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Intent:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class CannotParse(Exception):
    def __init__(self, unknown: list[str] | None = None, why: str = ""):
        self.unknown = unknown or []
        self.why = why
        super().__init__(why or " ".join(self.unknown))
