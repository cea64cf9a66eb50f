"""Terms: the words and two-word phrases of every comment, stemmed, stop words out, so that "which words
became more or less common" needs no model and works the moment a file is loaded.

A term is the stem of a word ("mariscos", "marisco" → "marisc") or of two consecutive kept words
("pollo seco" → "poll sec"); it is shown in its most frequent spelling. Comments are indexed once
(`update`), in DuckDB batches; a change of the stop words or the stemmer re-indexes everything.
"""
from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

import pandas as pd

from analysis.store import discovery

RULES = "terms-1"          # bump when the tokenisation rules below change


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from models.topics import stop_words

    return frozenset(_fold(w) for w in stop_words())


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=1)
def version() -> str:
    from importlib.metadata import version as pkg_version

    blob = "\n".join(sorted(_stop())) + RULES + pkg_version("snowballstemmer")
    return RULES + "-" + hashlib.sha256(blob.encode()).hexdigest()[:10]


def keys(words: pd.DataFrame) -> pd.DataFrame:
    """(lang, word) pairs → the same with `key`: the stem, or None for a stop word (distinct words only)."""
    import snowballstemmer

    stemmers = {"es": snowballstemmer.stemmer("spanish"), "en": snowballstemmer.stemmer("english")}
    stop = _stop()
    out = words.copy()
    folded = [_fold(w) for w in out["word"]]
    keep = [f not in stop and not f.isdigit() for f in folded]
    res = []
    for lang, f, k in zip(out["lang"], folded, keep):
        res.append(stemmers.get(lang, stemmers["es"]).stemWord(f) if k else None)
    out["key"] = res
    return out


def update(store, progress=None) -> int:
    """Index every comment not indexed yet (all of them when the rules changed). Returns how many."""
    if discovery.put_setting(store, "terms_version", version()):
        discovery.reset_terms(store)
    return discovery.index_terms(store, keys)
