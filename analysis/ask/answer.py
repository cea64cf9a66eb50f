"""Answer shaping: the result of a question as data, a chart kind chosen from its shape, number formatting.

Every figure in the sentence comes from the result rows (never from model prose).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

TIME_NAMES = {"month", "date", "year", "mes", "fecha", "año", "anio", "period", "periodo", "week", "semana",
              "day", "dia", "quarter", "trimestre"}


@dataclass
class Answer:
    question: str
    sql: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    answer: str = ""
    backend: str = "offline"          # 'llm' | 'offline'
    chart: str = "table"              # 'line' | 'bar' | 'number' | 'table'
    error: str | None = None          # reason code when no figure could be given
    sentence: str = ""                # the figure sentence alone (answer = sentence + notice)
    notice: str = ""                  # why the built-in answerer answered, when the LLM was wanted
    intent: dict | None = None        # parsed offline intent, reused by follow-up questions
    lang: str = "es"

    def to_json(self) -> dict:
        return {"question": self.question, "sql": self.sql, "columns": list(self.columns),
                "rows": [list(r) for r in self.rows], "answer": self.answer, "backend": self.backend}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)

    @property
    def ok(self) -> bool:
        return self.error is None


def json_value(v):
    """A JSON-safe Python value (dates as ISO strings, NaN/NA as None, numpy scalars unwrapped)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (list, tuple, np.ndarray)):
        return [json_value(x) for x in v]
    return v


def frame_rows(df: pd.DataFrame) -> tuple[list[str], list[list]]:
    cols = [str(c) for c in df.columns]
    rows = [[json_value(v) for v in rec] for rec in df.itertuples(index=False, name=None)]
    return cols, rows


def _is_time(name: str, s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if name.lower() in TIME_NAMES:
        return True
    sample = s.dropna().head(3).tolist()
    return bool(sample) and all(isinstance(x, (dt.date, pd.Timestamp)) for x in sample)


def chart_kind(df: pd.DataFrame) -> str:
    """'number' for a single value, 'line' when a time column and a number, 'bar' for one category and
    one number, else 'table'."""
    if df.shape == (1, 1):
        return "number"
    if df.empty or df.shape[1] < 2:
        return "table"
    numeric = [c for c in df.columns
               if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    times = [c for c in df.columns if _is_time(str(c), df[c])]
    if times and len(df) > 1 and any(c not in times for c in numeric):
        return "line"
    if df.shape[1] == 2 and len(numeric) == 1 and not times:
        return "bar"
    return "table"


def fmt_number(v, pct: bool = False) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and not pct and abs(v) >= 100):
        return f"{int(v):,}"
    if isinstance(v, float):
        s = f"{v:,.1f}" if pct else f"{v:,.2f}"
        return s + ("%" if pct else "")
    return str(v)






def generic_sentence(columns: list[str], rows: list[list], lang: str) -> str:
    """A sentence for SQL whose meaning we do not know (the LLM path): states the figure(s) with their
    column names, taken from the result only."""
    en = lang == "en"
    if not rows:
        return "The query returned no rows." if en else "La consulta no devolvió filas."
    if len(columns) == 1 and len(rows) == 1:
        return (f"Result: {fmt_number(rows[0][0])} ({columns[0]})." if en
                else f"Resultado: {fmt_number(rows[0][0])} ({columns[0]}).")
    if len(columns) == 2:
        head = ", ".join(f"{r[0]}: {fmt_number(r[1])}" for r in rows[:5])
        more = "" if len(rows) <= 5 else (f" (+{len(rows) - 5} more)" if en else f" (+{len(rows) - 5} más)")
        return (f"{columns[1]} by {columns[0]}: {head}{more}." if en
                else f"{columns[1]} por {columns[0]}: {head}{more}.")
    return (f"The query returned {len(rows):,} rows." if en else f"La consulta devolvió {len(rows):,} filas.")
