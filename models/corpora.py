"""The Spanish (and one English) review corpora the sentiment and star heads are trained and measured on,
each read into one frame: text, stars (1–5, NaN when the corpus has none), cls (negative / neutral /
positive), corpus, lang, row (the row's position in its file).

How each rating scale is mapped (also written into the model card, `SCALE_NOTES`):
- Guía Óleo (Buenos Aires) has no overall score: each review rates comida, servicio and ambiente 1–4
  (1 malo, 2 bueno, 3 muy bueno, 4 excelente). Overall = mean of the three (1, 1.33, …, 4), mapped
  linearly onto 1–5 and rounded: stars = round(1 + (mean − 1) · 4/3), so means 1–1.33 → 1, 1.67–2 → 2,
  2.33–2.67 → 3, 3–3.33 → 4, 3.67–4 → 5. The food score alone (`comida`) is kept as a column: it is what
  the taste side reads, not the overall label (a "comida 4, servicio 1" review reads mixed, not glowing).
- Domicilios delivery (Bogotá): `Rankings` 10–50 = stars × 10. Whole stars only; half stars (15…45) and
  the ~90 odd values (43, 47…) are dropped: a 2.5 or 3.5 is neither class.
- Domicilios user comments: `Rating` 0–100 = stars × 20 (checked on the 191 long comments also in the
  delivery file: 20 ↔ 10, 40 ↔ 20, 60 ↔ 30, 80 ↔ 40, 100 ↔ 50); odd tens are half stars: dropped, like 0–10.
- TripAdvisor Sevilla, Rest-Mex: stars 1–5 as given. Amazon Fine Food (English): `Score` 1–5.
- SemEval-2016 ES: sentences whose opinion targets all carry one polarity (POS / NEU / NEG) get that
  class; sentences with mixed or no targets are left out; no stars.
- Classes from stars everywhere: 1–2 negative, 3 neutral, 4–5 positive.

Texts are cleaned as `models.labels.clean_text` does (wrapping quotes, <br />, runs of whitespace) and
de-duplicated inside each corpus on a normalised form (lowercase, letters and digits only), keeping the
first occurrence. Licences are research-only or unknown: these files are read here for training and
measurement and never copied into the product.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from models.labels import clean_text, stars_to_class

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "shared" / "data" / "train"
REAL_DIR = ROOT / "shared" / "data" / "real"

# The Spanish corpora with star ratings: the leave-one-corpus-out evaluation runs over these.
RATED_ES = ("guiaoleo", "domicilios", "domicilios_users", "tripadvisor", "restmex")
ALL = RATED_ES + ("semeval", "amazon")
NAMES = {"guiaoleo": "Guía Óleo (Buenos Aires restaurants)", "domicilios": "Domicilios (Bogotá delivery)",
         "domicilios_users": "Domicilios user comments (Bogotá)",
         "tripadvisor": "TripAdvisor Sevilla (sushi restaurants)",
         "restmex": "Rest-Mex 2021 (Guanajuato tourist sites)",
         "semeval": "SemEval-2016 ES restaurant sentences (Spain)", "amazon": "Amazon Fine Food (English)"}
SCALE_NOTES = {
    "guiaoleo": ("comida, servicio, ambiente 1–4 each, no overall: overall = their mean, stars = "
                 "round(1 + (mean − 1) × 4/3) (means 1–1.33 → 1, 1.67–2 → 2, 2.33–2.67 → 3, 3–3.33 → 4, "
                 "3.67–4 → 5)"),
    "domicilios": "Rankings 10–50 = stars × 10; half stars (15…45) and odd values dropped",
    "domicilios_users": "Rating 0–100 = stars × 20; half stars (30, 50, 70, 90) and 0–10 dropped",
    "tripadvisor": "review_rating 1–5 as given",
    "restmex": "Label 1–5 as given",
    "semeval": ("sentence class = the one polarity of all its opinion targets (POS/NEU/NEG); mixed or "
                "target-less sentences left out; no stars"),
    "amazon": "Score 1–5 as given (English)",
}
CLASS_RULE = "stars 1–2 negative, 3 neutral, 4–5 positive"


_NON_WORD = re.compile(r"[\W_]+")


def norm_text(s: pd.Series) -> pd.Series:
    """The form duplicates are found on: lowercase, runs of non-letters → one space."""
    return pd.Series([_NON_WORD.sub(" ", str(t).lower()).strip() for t in s], index=s.index, dtype=object)


def _frame(text: pd.Series, stars, corpus: str, lang: str = "es", extra: dict | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"text": clean_text(text).to_numpy(dtype=object),
                       "stars": np.asarray(stars, dtype=float), "row": np.arange(len(text))})
    for k, v in (extra or {}).items():
        df[k] = np.asarray(v)
    df = df[df["text"].str.len() > 0]
    df = df[df["stars"].isin([1, 2, 3, 4, 5]) | ("cls" in df and df["stars"].isna())]
    if "cls" not in df:
        df["cls"] = stars_to_class(df["stars"].to_numpy())
    df["corpus"], df["lang"] = corpus, lang
    df["norm"] = norm_text(df["text"]).to_numpy(dtype=object)
    df = df.loc[~df["norm"].duplicated()]
    cols = ["text", "stars", "cls", "corpus", "lang", "row", "norm"]
    cols += [k for k in (extra or {}) if k != "cls"]
    return df[cols].reset_index(drop=True)


def _guiaoleo(train_dir: Path) -> pd.DataFrame:
    g = pd.read_csv(train_dir / "guiaoleo_buenosaires_restaurants_es.csv", keep_default_na=False,
                    dtype={"text": str})
    mean = g[["comida", "servicio", "ambiente"]].astype(float).mean(axis=1)
    # The means are thirds; + 1e-9 keeps round-half-even from touching them (no mean maps to x.5).
    stars = np.floor(1 + (mean - 1) * 4 / 3 + 0.5 + 1e-9)
    return _frame(g["text"], stars, "guiaoleo", extra={"comida": g["comida"].astype(int)})


def _domicilios(train_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(train_dir / "domicilios_bogota_delivery_es.csv", keep_default_na=False,
                    dtype={"Comments": str})
    r = pd.to_numeric(d["Rankings"], errors="coerce")
    stars = np.where(r.isin([10, 20, 30, 40, 50]), r / 10, np.nan)
    out = _frame(d["Comments"], stars, "domicilios")
    return out


def _domicilios_users(train_dir: Path) -> pd.DataFrame:
    u = pd.read_csv(train_dir / "domicilios_bogota_user_comments_es.csv", keep_default_na=False,
                    dtype={"text": str})
    r = pd.to_numeric(u["Rating"], errors="coerce")
    stars = np.where(r.isin([20, 40, 60, 80, 100]), r / 20, np.nan)
    return _frame(u["text"], stars, "domicilios_users", extra={"category": u["Category"].astype(str)})


def _real(real_dir: Path, name: str, tcol: str, lcol: str, corpus: str, lang: str, **kw) -> pd.DataFrame:
    df = pd.read_csv(real_dir / name, keep_default_na=False, dtype={tcol: str}, **kw)
    stars = pd.to_numeric(df[lcol], errors="coerce")
    return _frame(df[tcol], stars, corpus, lang)


def read_semeval(path: Path) -> list[tuple[str, list[str]]]:
    """SemEval file → (sentence text, polarities of its opinion targets) per sentence.

    One token a line, `token<TAB>tag<TAB>NIL`; tags `O` or `T-POS` / `T-NEU` / `T-NEG` (no B/I: a run of
    equal T- tags is one target); a blank line ends a sentence."""
    out, toks, pols, prev = [], [], [], "O"
    for line in path.read_text(encoding="utf-8").split("\n") + [""]:
        if not line.strip():
            if toks:
                out.append((_detok(toks), pols))
            toks, pols, prev = [], [], "O"
            continue
        tok, tag = line.split("\t")[:2]
        toks.append(tok)
        if tag != "O" and tag != prev:
            pols.append(tag.split("-", 1)[1])
        prev = tag
    return out


def _detok(tokens: list[str]) -> str:
    s = " ".join(tokens)
    s = re.sub(r"\s+([.,;:!?)\]»])", r"\1", s)
    s = re.sub(r"([(\[«¿¡])\s+", r"\1", s)
    return s


def _semeval(train_dir: Path) -> pd.DataFrame:
    texts, cls = [], []
    for part in ("train", "dev", "test"):
        for text, pols in read_semeval(train_dir / "semeval2016_es_restaurants" / f"gold-es-{part}.txt"):
            if pols and len(set(pols)) == 1:
                texts.append(text)
                cls.append({"POS": "positive", "NEU": "neutral", "NEG": "negative"}[pols[0]])
    return _frame(pd.Series(texts), np.full(len(texts), np.nan), "semeval", extra={"cls": cls})


def load_corpus(name: str, train_dir: str | Path | None = None, real_dir: str | Path | None = None,
                ) -> pd.DataFrame:
    train_dir, real_dir = Path(train_dir or TRAIN_DIR), Path(real_dir or REAL_DIR)
    if name == "guiaoleo":
        return _guiaoleo(train_dir)
    if name == "domicilios":
        return _domicilios(train_dir)
    if name == "domicilios_users":
        return _domicilios_users(train_dir)
    if name == "semeval":
        return _semeval(train_dir)
    if name == "tripadvisor":
        return _real(real_dir, "tripadvisor_sevilla_japanese_es.csv", "text", "review_rating", name, "es",
                     encoding="utf-8-sig")
    if name == "restmex":
        return _real(real_dir, "restmex2021_guanajuato_es.csv", "Opinion", "Label", name, "es")
    if name == "amazon":
        return _real(real_dir, "amazon_fine_food_en.csv", "Text", "Score", name, "en")
    raise ValueError(f"unknown corpus {name!r}; known: {', '.join(ALL)}")


def load_all(names=ALL, train_dir=None, real_dir=None) -> dict[str, pd.DataFrame]:
    return {n: load_corpus(n, train_dir, real_dir) for n in names}
