"""Month names in Spanish and English: one definition for reading dates and for writing them."""
from __future__ import annotations

import pandas as pd

MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
             "octubre", "noviembre", "diciembre")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
ABBR_ES = tuple(m[:3] for m in MONTHS_ES)      # ene feb mar ... dic
ABBR_EN = tuple(m[:3] for m in MONTHS_EN)      # Jan Feb Mar ... Dec
# Peru writes "setiembre" (and exports abbreviate it "set"); "sept" is common in both languages.
_VARIANTS = {"setiembre": 9, "set": 9, "sept": 9}

# Full names in either language (lower case, no accents) -> month number.
FULL_NAME_NUMBER = {**{m: i + 1 for i, m in enumerate(MONTHS_ES)},
                    **{m.lower(): i + 1 for i, m in enumerate(MONTHS_EN)}, "setiembre": 9}
# Every written form a date cell may use: full names, abbreviations and variants.
MONTH_NUMBER = {**FULL_NAME_NUMBER, **{m: i + 1 for i, m in enumerate(ABBR_ES)},
                **{m.lower(): i + 1 for i, m in enumerate(ABBR_EN)}, **_VARIANTS}


def month_name(ym: str, lang: str = "es") -> str:
    """'2025-03' -> 'marzo 2025' / 'March 2025'."""
    y, m = str(ym).split("-")[:2]
    names = MONTHS_ES if lang == "es" else MONTHS_EN
    return f"{names[int(m) - 1]} {y}"


def month_abbr(value, lang: str = "es") -> str:
    """A date -> 'mar 2025' / 'Mar 2025' (the value unchanged when it is not a date)."""
    try:
        d = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    names = ABBR_EN if lang == "en" else ABBR_ES
    return f"{names[d.month - 1]} {d.year}"


def months_between(a: str, b: str) -> int:
    """Whole months from 'YYYY-MM' a to 'YYYY-MM' b (negative when b is earlier)."""
    ya, ma = map(int, str(a).split("-")[:2])
    yb, mb = map(int, str(b).split("-")[:2])
    return (yb - ya) * 12 + (mb - ma)
