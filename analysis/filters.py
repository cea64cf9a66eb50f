"""The sidebar filters, as a value every page and query shares, and its SQL WHERE clause."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    products: tuple[str, ...] = field(default_factory=tuple)
    regions: tuple[str, ...] = field(default_factory=tuple)
    channels: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("date_from", "date_to"):
            d[k] = d[k].isoformat() if d[k] else None
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def where(f: Filters | None, alias: str = "") -> tuple[str, list]:
    """SQL predicate (always valid, 'TRUE' when empty) and its parameters, for a table with the
    canonical columns `date`, `product`, `region`, `channel`."""
    if f is None:
        return "TRUE", []
    p = f"{alias}." if alias else ""
    parts, params = [], []
    if f.date_from:
        parts.append(f"{p}date >= ?")
        params.append(f.date_from)
    if f.date_to:
        parts.append(f"{p}date <= ?")
        params.append(f.date_to)
    for col, values in (("product", f.products), ("region", f.regions), ("channel", f.channels)):
        if values:
            parts.append(f"{p}{col} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    return (" AND ".join(parts) or "TRUE"), params
