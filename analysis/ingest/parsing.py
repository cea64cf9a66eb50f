"""Parsing of dates and ratings as people write them in Peru (and as exports write them).

Columns repeat values heavily (a few thousand distinct dates in a million rows), so each function
parses the distinct values once and maps them back: Python per distinct value, vectorised per row.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.months import MONTH_NUMBER

MONTHS = MONTH_NUMBER
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"
                  r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?$")
_ISO_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_TEXT_DMY = re.compile(rf"^(\d{{1,2}})\s*(?:de\s+|-|/|\s)\s*({_MONTH_RE})\.?"
                       rf"\s*(?:de\s+|del\s+|-|/|,|\s)\s*(\d{{4}}|\d{{2}})$")
_TEXT_MDY = re.compile(rf"^({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})$")
_TEXT_MY = re.compile(rf"^({_MONTH_RE})\.?\s*(?:de\s+|del\s+|-|/|\s)\s*(\d{{4}}|\d{{2}})$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
_EPOCH = re.compile(r"^\d{9,10}(?:\.0+)?$")
_EPOCH_MS = re.compile(r"^\d{12,13}$")

MIN_YEAR, MAX_YEAR = 1990, 2100
# Cells that mean "no value" in exports from R, Excel, SPSS and survey tools.
MISSING = ("", "na", "n/a", "nan", "nat", "null", "none", "-", "--", "n/i", "s/d", "sin dato")


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", s.strip().lower())


def _year2(y: str) -> int:
    v = int(y)
    return v + 2000 if len(y) == 2 and v < 70 else (v + 1900 if len(y) == 2 else v)


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


@dataclass
class DateParse:
    dates: pd.Series            # datetime64 (NaT where missing/invalid)
    precision: pd.Series        # 'day' | 'month' | 'year' | None
    invalid: pd.Series          # bool: non-empty but not understood (or out of range)
    formats: dict[str, int] = field(default_factory=dict)
    ambiguous: int = 0          # dd/mm vs mm/dd both possible, resolved day-first
    month_first: bool = False   # the column was detected as US mm/dd/yyyy


def _parse_one(v: str, month_first: bool) -> tuple[date | None, str | None, str]:
    """-> (date, precision, format name). Format 'invalid' when not understood."""
    s = _fold(v)
    if m := _ISO.match(s):
        return _mk(int(m[1]), int(m[2]), int(m[3])), "day", "iso"
    if m := _NUMERIC_DMY.match(s):
        a, b, y = int(m[1]), int(m[2]), _year2(m[3])
        d, mo = (b, a) if month_first else (a, b)
        return _mk(y, mo, d), "day", "mm/dd/yyyy" if month_first else "dd/mm/yyyy"
    if m := _YMD_SLASH.match(s):
        return _mk(int(m[1]), int(m[2]), int(m[3])), "day", "yyyy/mm/dd"
    if m := _TEXT_DMY.match(s):
        return _mk(_year2(m[3]), MONTHS[m[2]], int(m[1])), "day", "dd de mes de yyyy"
    if m := _TEXT_MDY.match(s):
        return _mk(int(m[3]), MONTHS[m[1]], int(m[2])), "day", "month dd, yyyy"
    if m := _TEXT_MY.match(s):
        return _mk(_year2(m[2]), MONTHS[m[1]], 1), "month", "mes-yyyy"
    if m := _ISO_MONTH.match(s):
        return _mk(int(m[1]), int(m[2]), 1), "month", "yyyy-mm"
    if m := _YEAR.match(s):
        return _mk(int(m[1]), 1, 1), "year", "yyyy"
    if _EPOCH.match(s):
        return datetime.fromtimestamp(float(s), tz=UTC).date(), "day", "unix"
    if _EPOCH_MS.match(s):
        return datetime.fromtimestamp(int(s) / 1000, tz=UTC).date(), "day", "unix ms"
    return None, None, "invalid"


def parse_dates(col: pd.Series) -> DateParse:
    """Parse a column of dates written in any supported way. Day-first when ambiguous."""
    if pd.api.types.is_datetime64_any_dtype(col):
        dt = pd.to_datetime(col, errors="coerce")
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
        prec = pd.Series(np.where(dt.notna(), "day", None), index=col.index, dtype=object)
        return DateParse(dt.astype("datetime64[us]"), prec, pd.Series(False, index=col.index),
                         {"fecha de Excel": int(dt.notna().sum())})
    s = col.astype("string").str.strip()
    present = s.notna() & ~s.str.lower().isin(MISSING)
    uniques = pd.unique(s[present])
    # Month-first only when some value cannot be day-first (second part > 12) and none needs day-first.
    firsts, seconds = [], []
    for u in uniques:
        if m := _NUMERIC_DMY.match(_fold(u)):
            firsts.append(int(m[1]))
            seconds.append(int(m[2]))
    month_first = bool(seconds) and max(seconds) > 12 and max(firsts) <= 12
    ambiguous_values = {u for u in uniques if (m := _NUMERIC_DMY.match(_fold(u)))
                        and int(m[1]) <= 12 and int(m[2]) <= 12 and m[1] != m[2]}
    table: dict[str, tuple] = {}
    for u in uniques:
        d, p, fmt = _parse_one(u, month_first)
        if d is not None and not (MIN_YEAR <= d.year <= MAX_YEAR):
            d, p, fmt = None, None, "out_of_range"
        if d is None and fmt not in ("invalid", "out_of_range"):
            fmt = "invalid"
        table[u] = (d, p, fmt)
    # Map back by position: factorize once, index arrays of per-distinct results (no per-row Python).
    codes, keys = pd.factorize(s.where(present))
    res = [table[k] for k in keys] + [(None, None, None)]
    d_arr = pd.to_datetime(pd.Series([r[0] for r in res], dtype=object),
                           errors="coerce").to_numpy("datetime64[us]")
    dates = pd.Series(d_arr[codes], index=s.index)
    precision = pd.Series(np.array([r[1] for r in res], dtype=object)[codes], index=s.index)
    fmts = pd.Series(np.array([r[2] for r in res], dtype=object)[codes], index=s.index)
    invalid = present & dates.isna()
    formats = {k: int(v) for k, v in fmts[present].value_counts().items()}
    ambiguous = int(s.isin(ambiguous_values).sum())
    return DateParse(dates, precision.where(dates.notna(), None), invalid.fillna(False).astype(bool),
                     formats, ambiguous, month_first)


@dataclass
class RatingParse:
    ratings: pd.Series          # float 1..5 or NaN
    invalid: pd.Series          # bool: non-empty but not a usable rating (not a number, 0, negative)
    scale: str = "1-5"          # '1-5', '1-10', '0-10', '0-100' (normalised to 1-5)
    out_of_range: pd.Series | None = None  # bool: a number above the scale (999 on 1-5, 6/5): row rejected


# A wider scale is read only when enough values need it: at least this many, and this share of the numbers.
# One typo (50 on a 1-5 survey) must not turn every 5 into 2.5.
SCALE_MIN_VALUES, SCALE_MIN_SHARE = 2, 0.01


_FRACTION = re.compile(r"^(\d+(?:[.,]\d+)?)\s*/\s*(\d+)$")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:estrellas?|stars?|puntos|pts|\*)?$")
_STARS_FULL = "★⭐✭✮✯✰"
_STARS_EMPTY = "☆✩"


def _rating_one(v: str) -> tuple[float | None, int | None]:
    """-> (value, denominator if written as a fraction)."""
    s = _fold(v) if not any(c in v for c in _STARS_FULL + _STARS_EMPTY) else v.strip()
    if any(c in s for c in _STARS_FULL + _STARS_EMPTY):
        full = sum(s.count(c) for c in _STARS_FULL)
        return (float(full), 5) if full else (None, None)
    if m := _FRACTION.match(s):
        return float(m[1].replace(",", ".")), int(m[2])
    if m := _NUMBER.match(s):
        return float(m[1].replace(",", ".")), None
    return None, None


def _scale_of(plain: pd.Series) -> str:
    """The scale the bulk of the plain numbers is on. Values beyond 100 are evidence of nothing."""
    n = int(plain.notna().sum())
    if not n:
        return "1-5"
    need = max(SCALE_MIN_VALUES, SCALE_MIN_SHARE * n)
    if ((plain > 10) & (plain <= 100)).sum() >= need:
        return "0-100"
    if ((plain > 5) & (plain <= 10)).sum() >= need:
        return "0-10" if (plain == 0).any() else "1-10"
    return "1-5"


def parse_ratings(col: pd.Series) -> RatingParse:
    """Ratings as 1-5 floats. A column whose plain numbers go above 5 — enough of them, see
    SCALE_MIN_VALUES — is read as a 1-10 (or 0-10, 0-100) scale and normalised; fractions like 8/10 use
    their own denominator. A number above its scale is out of range (the row is rejected with that reason),
    never a reason to rescale the others."""
    s = col.astype("string").str.strip()
    present = s.notna() & ~s.str.lower().isin(MISSING)
    codes, keys = pd.factorize(s.where(present))
    res = [_rating_one(k) for k in keys] + [(None, None)]
    vals = pd.Series(np.array([np.nan if r[0] is None else r[0] for r in res], dtype=float)[codes],
                     index=s.index)
    den = pd.Series(np.array([np.nan if r[1] is None else r[1] for r in res], dtype=float)[codes],
                    index=s.index)
    plain = vals.where(den.isna())
    scale = _scale_of(plain)
    # x/d and plain numbers on a wider scale both become x * 5 / d (8/10 -> 4 stars), floored at 1.
    width = {"1-5": 5.0, "1-10": 10.0, "0-10": 10.0, "0-100": 100.0}[scale]
    denom = den.fillna(width)
    above = (present & (vals > denom)).fillna(False).astype(bool)
    out = (vals * 5 / denom).where(denom == 5, (vals * 5 / denom).clip(lower=1))
    out = out.round(2)
    bad = present & ~above & (out.isna() | (out < 1) | (out > 5))
    # A rating of exactly 0 on a 1-5 scale, or "-1" placeholders, are unusable, not rescaled.
    out = out.where(~bad & ~above)
    return RatingParse(out, bad.fillna(False).astype(bool), scale, above)


def age_to_segment(col: pd.Series) -> pd.Series | None:
    """If a segment column holds plain ages (e.g. 34, -1 unknown), bucket them into age groups."""
    nums = pd.to_numeric(col, errors="coerce")
    filled = col.astype("string").str.strip().replace("", pd.NA).notna()
    if filled.sum() == 0 or nums[filled].notna().mean() < 0.95:
        return None
    bins = [-np.inf, 0, 17, 24, 34, 44, 54, np.inf]
    labels = ["", "<18", "18-24", "25-34", "35-44", "45-54", "55+"]
    cut = pd.cut(nums, bins=bins, labels=labels, right=True).astype(object)
    return cut.where((cut != "") & nums.notna(), None)


def clean_text(s: pd.Series) -> pd.Series:
    # Arrow string kernels (RE2, vectorised): a Python regex per row costs seconds per million rows.
    arr = pa.array(s.astype("string").fillna(""), type=pa.large_string())
    # Each rewrite only when some row needs it: a search is a fraction of the cost of a rewrite that copies
    # every string (seconds per million rows).
    if pc.any(pc.match_substring(arr, "<br", ignore_case=True)).as_py():
        arr = pc.replace_substring_regex(arr, r"(?i)<br\s*/?>", " ")
    arr = pc.utf8_trim_whitespace(arr)
    # Some exports wrap every value in literal quotes ("""texto""" in the CSV).
    if pc.any(pc.and_(pc.starts_with(arr, '"'), pc.ends_with(arr, '"'))).as_py():
        arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r'(?s)^"(.*)"$', r"\1"))
    return pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype).astype("string"), index=s.index)


_NULLISH = {"", "n/i", "n/a", "na", "null", "none", "-", "nan", "s/d"}


def clean_dim(s: pd.Series) -> pd.Series:
    """Trim, collapse spaces, unwrap quotes, blank -> None. Dimensions repeat a handful of values, so
    each distinct value is cleaned once."""
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    if len(uniques) > 5000:  # an id-like column: trim vectorised instead of per distinct value
        t = s.astype("string").str.strip()
        return t.astype(object).where(~t.str.lower().isin(_NULLISH).fillna(True), None)
    cleaned = []
    for u in uniques:
        v = re.sub(r"\s+", " ", str(u)).strip()
        v = v[1:-1].strip() if len(v) >= 2 and v[0] == v[-1] == '"' else v
        cleaned.append(None if v.lower() in _NULLISH else v)
    table = np.array(cleaned + [None], dtype=object)  # code -1 (missing) -> last slot
    return pd.Series(table[codes], index=s.index, dtype=object)
