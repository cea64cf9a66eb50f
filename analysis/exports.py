"""Exports: CSV/XLSX that are safe to open in a spreadsheet, and plain JSON values of analysis results.

Cells starting with = + - @ (or tab/CR) are stored untouched in the database, but a spreadsheet would
run them as formulas: every export prefixes them with an apostrophe (OWASP CSV-injection advice).
"""
from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import numpy as np
import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.astype("string").str.startswith(_TRIGGERS).fillna(False).astype(bool)
            if mask.any():
                out[col] = s.astype(object).where(~mask, "'" + s.astype("string").astype(object))
    return out


def safe_csv_bytes(df: pd.DataFrame) -> bytes:
    # utf-8-sig so that Excel opens accents correctly.
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def safe_xlsx_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    neutralise(df).to_excel(buf, index=False)
    return buf.getvalue()


def plain(v):
    """A JSON-ready copy of an analysis result: DataFrames as lists of records, numpy scalars unwrapped,
    NaN/NA/inf as None, dates as ISO text, tuples and arrays as lists."""
    if isinstance(v, pd.DataFrame):
        return [plain(r) for r in v.to_dict("records")]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, np.ndarray, pd.Series)):
        return [plain(x) for x in (list(v) if not isinstance(v, pd.Series) else v.tolist())]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating, Decimal)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat() if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0) \
            else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v if isinstance(v, str) else str(v)
