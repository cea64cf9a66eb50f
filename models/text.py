"""Text primitives shared by the taste attributes and the food mentions: accent folding that keeps
offsets, clause splitting, evidence cut around a cue, a clause's polarity from its probabilities. Its own
module so that models.taste and models.mentions use them without importing each other."""
from __future__ import annotations

import re
import unicodedata

import numpy as np

from models.taxonomy import POLARITIES

_FOLDED: dict[int, str] = {}      # code point -> its folded character, filled on demand


def fold(text: str) -> str:
    """Lowercase and strip accents keeping one character per character (offsets stay valid).

    Through a per-character cache and str.translate: the same result as normalising each character, ~10x
    faster (it ran for every comment)."""
    low = text.lower()
    if low.isascii():
        return low
    for ch in set(low):
        if ord(ch) > 127 and ord(ch) not in _FOLDED:
            d = unicodedata.normalize("NFD", ch)
            _FOLDED[ord(ch)] = d[0] if d and len(d[0]) == 1 else ch
    return low.translate(_FOLDED)


# Clause boundaries: sentence punctuation, commas, semicolons, line breaks and contrast words.
_SPLIT = re.compile(r"[.!?;:\n()]+|,|\s(?=(pero|aunque|sin embargo|mientras que|excepto|salvo|but|although|"
                    r"though|however|except|whereas)\b)", re.IGNORECASE)
MAX_EVIDENCE = 160


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of `text` (non-empty, stripped)."""
    spans, start = [], 0
    for m in _SPLIT.finditer(text):
        spans.append((start, m.start()))
        start = m.end() if m.group(0).strip() else m.start()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a >= 2:
            out.append((a, b))
    return out


def polarity_from_probs(p: np.ndarray, margin: float = 0.0) -> str:
    """Clause polarity from [neg, neu, pos] probabilities."""
    k = int(np.argmax(p))
    return POLARITIES[k]


def evidence_of(text: str, clause: tuple[int, int], cue_start: int) -> str:
    """The clause as evidence, cut to MAX_EVIDENCE characters around the cue in a long clause."""
    a, b = clause
    if b - a <= MAX_EVIDENCE:
        return text[a:b]
    s = max(a, min(cue_start - MAX_EVIDENCE // 2, b - MAX_EVIDENCE))
    return text[s:s + MAX_EVIDENCE]
