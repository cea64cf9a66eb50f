"""CSV/XLSX exports that are safe to open in a spreadsheet.

Cells starting with = + - @ (or tab/CR) are stored untouched in the database, but a spreadsheet would
run them as formulas: every export prefixes them with an apostrophe (OWASP CSV-injection advice).
"""
from __future__ import annotations

import io

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
