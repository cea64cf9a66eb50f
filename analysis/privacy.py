"""PII redaction for text that leaves the machine (comment rows sent to an LLM when the user allows it).

Finds e-mail addresses, Peruvian phone numbers (9-digit mobiles starting with 9, optionally +51, with
spaces or dashes), card numbers (13-19 digits that pass the Luhn check), RUC (11 digits starting
10/15/17/20) and DNI (8 digits), and replaces each with a placeholder such as "[EMAIL]".
Order matters: longer numbers are matched before the shorter ones they contain.
"""
from __future__ import annotations

import re

import pandas as pd

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 13-19 digits, optionally in groups separated by single spaces or dashes.
CARD_RE = re.compile(r"(?<![\d+])\d(?:[ \-]?\d){12,18}(?!\d)")
# +51 / 0051 / 51 prefix optional; mobile numbers are 9 digits starting with 9 (9XX XXX XXX, 9XXX-XXXXX...).
PHONE_RE = re.compile(r"(?:(?:\+|\b00)\s?51[\s\-]?|\b51[\s\-]?|(?<!\d))9(?:[\s\-]?\d){8}(?!\d)")
RUC_RE = re.compile(r"(?<!\d)(?:10|15|17|20)\d{9}(?!\d)")
DNI_RE = re.compile(r"(?<![\d\-/.,])\d{8}(?!\d)(?![\-/.,]\d)")

PLACEHOLDERS = {"email": "[EMAIL]", "card": "[TARJETA]", "ruc": "[RUC]", "phone": "[TELÉFONO]",
                "dni": "[DNI]"}


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_sub(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return PLACEHOLDERS["card"] if luhn_ok(digits) else m.group(0)


def redact(text: str | None) -> str | None:
    """The text with every PII match replaced by its placeholder (None stays None)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return text
    s = str(text)
    s = EMAIL_RE.sub(PLACEHOLDERS["email"], s)
    s = CARD_RE.sub(_card_sub, s)
    s = RUC_RE.sub(PLACEHOLDERS["ruc"], s)
    s = PHONE_RE.sub(PLACEHOLDERS["phone"], s)
    s = DNI_RE.sub(PLACEHOLDERS["dni"], s)
    return s


def redact_series(s: pd.Series) -> pd.Series:
    """Vectorised redaction of a text column (pandas' regex replace; the Luhn check runs only on
    candidates)."""
    out = s.astype("string")
    out = out.str.replace(EMAIL_RE, PLACEHOLDERS["email"], regex=True)
    out = out.str.replace(CARD_RE, _card_sub, regex=True)
    out = out.str.replace(RUC_RE, PLACEHOLDERS["ruc"], regex=True)
    out = out.str.replace(PHONE_RE, PLACEHOLDERS["phone"], regex=True)
    out = out.str.replace(DNI_RE, PLACEHOLDERS["dni"], regex=True)
    return out


def redact_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text column of `df` redacted; numbers and dates untouched."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = redact_series(out[col]).astype(object)
    return out


def redact_obj(obj):
    """Every string inside nested dicts/lists/tuples redacted (keys too); numbers and the shape untouched."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {redact_obj(k): redact_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(redact_obj(v) for v in obj)
    return obj


def contains_pii(text: str) -> bool:
    return redact(text) != text
