"""Labelled reviews for training: reading a user's file, mapping stars or class words to classes, and the
shared real review files the shipped head is trained on."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

_CLASS_WORDS = {word: cls for cls, words in {
    "negative": ("negative", "negativo", "negativa", "neg", "malo"),
    "neutral": ("neutral", "neutro", "neutra", "neu", "mixed"),
    "positive": ("positive", "positivo", "positiva", "pos", "bueno"),
}.items() for word in words}


def stars_to_class(stars: np.ndarray) -> np.ndarray:
    s = np.asarray(stars, dtype=float)
    return np.where(s <= 2, "negative", np.where(s == 3, "neutral", "positive"))


def map_labels(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Labels → (class array, stars array with NaN where unknown).

    Accepts stars 1–5 (1–2 negative, 3 neutral, 4–5 positive) or class words in Spanish/English.
    Anything else raises ValueError naming the offending values.
    """
    raw = values.astype("string").str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    if num.notna().all():
        bad = sorted(set(num[~num.isin([1, 2, 3, 4, 5])].tolist()))
        if bad:
            raise ValueError(
                f"Etiquetas no reconocidas {bad[:5]}: se esperan estrellas 1–5 o negativo/neutro/positivo. "
                f"/ Unrecognised labels {bad[:5]}: expected stars 1-5 or negative/neutral/positive.")
        stars = num.to_numpy(dtype=float)
        return stars_to_class(stars), stars
    words = raw.str.lower().map(_CLASS_WORDS)
    if words.isna().any():
        bad = sorted(set(raw[words.isna()].fillna("<vacío/empty>").tolist()))[:5]
        raise ValueError(
            f"Etiquetas no reconocidas {bad}: se esperan estrellas 1–5 o negativo/neutro/positivo. "
            f"/ Unrecognised labels {bad}: expected stars 1-5 or negative/neutral/positive.")
    return words.to_numpy(dtype=object).astype(str), np.full(len(raw), np.nan)


def clean_text(s: pd.Series) -> pd.Series:
    """Undo the quirks of the shared files: literal wrapping quotes (Rest-Mex), <br /> tags (Amazon)."""
    s = s.astype("string").fillna("")
    s = s.str.replace(r"<br\s*/?>", " ", regex=True)
    s = s.str.replace(r'^\s*"+|"+\s*$', "", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


# Cells pandas' CSV reader takes for missing by default. Rows whose text or label is one of them were
# always dropped; the shipped head's split counts its rows without them.
MISSING_CELLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                 "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def load_labelled(path: str | Path, text_column: str, label_column: str) -> pd.DataFrame:
    """A labelled file (any format the project reader takes) → rows of text, label, cls, stars."""
    # Imported here: the ingest package also loads the DuckDB store, which label mapping does not need.
    from analysis.ingest.readers import IngestError, read_table

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"No existe el archivo / file not found: {p}")
    try:
        df = read_table(p.read_bytes(), p.name).df
    except IngestError as e:
        raise ValueError(str(e)) from None
    for col in (text_column, label_column):
        if col not in df.columns:
            raise ValueError(f"Columna '{col}' no encontrada; hay: {list(df.columns)} / "
                             f"column '{col}' not found")
    df = df[[text_column, label_column]].rename(columns={text_column: "text", label_column: "label"})
    df = df.mask(df.isin(MISSING_CELLS))
    df["text"] = clean_text(df["text"])
    df = df[(df["text"].str.len() > 0) & df["label"].notna()].reset_index(drop=True)
    if df.empty:
        raise ValueError("No hay filas con texto y etiqueta / no rows with both text and label")
    df["cls"], df["stars"] = map_labels(df["label"])
    return df


# The shared real review files (see ../shared/data/real/README.md): (file, text col, rating col, lang)
SHARED_FILES = [
    ("tripadvisor_sevilla_japanese_es.csv", "text", "review_rating", "es"),
    ("restmex2021_guanajuato_es.csv", "Opinion", "Label", "es"),
    ("amazon_fine_food_en.csv", "Text", "Score", "en"),
]


def load_shared(real_dir: str | Path) -> pd.DataFrame:
    parts = []
    for name, tcol, lcol, lang in SHARED_FILES:
        d = load_labelled(Path(real_dir) / name, tcol, lcol)
        d["source"], d["lang"] = name.split("_")[0], lang
        parts.append(d)
    df = pd.concat(parts, ignore_index=True)
    return df.drop_duplicates("text").reset_index(drop=True)


def shared_frame(real_dir: str | Path, english_limit: int | None = None) -> pd.DataFrame:
    """All Spanish rows + English rows (first `english_limit` of a seeded shuffle) of the shared files."""
    df = load_shared(real_dir)
    es = df[df["lang"] == "es"]
    en = df[df["lang"] == "en"].sample(frac=1.0, random_state=13)       # same order as the cache warm-up
    if english_limit is not None:
        en = en.head(english_limit)
    return pd.concat([es, en], ignore_index=True)
