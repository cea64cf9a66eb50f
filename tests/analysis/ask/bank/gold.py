"""Gold answers for the question bank, computed with pandas from the CSV files.

A question's gold is a small spec (see `Spec`): a measure, filters (AND across keys, OR within a list), an
optional grouping and ordering. This module reads the CSV files itself (never the database, never the
answerer's SQL) and applies the same documented rules the ingestion applies: one row kept per identical
comment (text folded for case, accents and spacing + date + product), literal quotes around a text
removed, a year-only date kept as its year with no day, a year outside 1990..2100 rejected.

Semantics the bank relies on (and the answerer must share):
- a whole-year period counts a comment by its year (year-only dates included); any finer period by date;
- a word filter matches the whole word or its plural (+s/+es), ignoring case and accents;
- text length is in characters of the stored text (or in words, split on whitespace);
- "negative/positive reviews" on data scored for sentiment = the sentiment; on data without sentiment it is
  read from the rating (<= 2 / >= 4) and the spec says so with `rating`;
- groupings drop missing values; a month is its first day (ISO), a quarter 'YYYY-Qn', a year an integer;
- a ranking keeps ties: every key whose rank (min method) is within n;
- food mentions (`food` filters, groupings by `entry` / `family`) are read from the frames the test fixture
  writes into the database (tests/fixtures_foods.py: the real lexicon over the comment texts, polarity from
  the demo's truth clauses or RestMex's rating); counts and shares of foods are of comments, not of mention
  rows. Dataset "restmex_foods" is the RestMex file as that fixture scores it (sentiment read from the
  rating), "restmex" the file as ingested (no model output, no food scan).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[4]
DEMO_FEEDBACK = ROOT / "data" / "demo_feedback.csv"
DEMO_TRUTH = ROOT / "data" / "demo_truth.csv"
REAL_DIR = (ROOT.parent / "shared" / "data" / "real").resolve()
RESTMEX = REAL_DIR / "restmex2021_guanajuato_es.csv"


@dataclass
class Spec:
    m: str = "count"            # count | avg | min | max | share | len_chars | len_words | distinct
    f: dict = field(default_factory=dict)    # filters of the whole question (the base of a share)
    sub: dict = field(default_factory=dict)  # share only: the subset's extra filters
    col: str | None = None      # distinct: the column counted
    g: str | None = None        # grouping column
    o: str | None = None        # 'desc' | 'asc'
    n: int = 1
    apol: str | None = None     # g='attribute' | 'entry' | 'family': polarity of the mentions counted


def fold(t: str) -> str:
    t = unicodedata.normalize("NFKD", str(t).lower())
    return "".join(c for c in t if not unicodedata.combining(c))


def word_stems(w: str) -> list[str]:
    """The forms a word filter looks for, each then allowed a plural ending (+s/+es): the word as asked,
    and without its own plural ending ("postres" -> "postre", "flores" -> "flor")."""
    w = fold(w).strip()
    out = [w]
    if w.endswith("es") and len(w) > 4:
        out.append(w[:-2])
    if w.endswith("s") and len(w) > 3:
        out.append(w[:-1])
    return sorted(set(out), key=len, reverse=True)


def _dedup(f: pd.DataFrame) -> pd.DataFrame:
    key = f["text"].str.strip().str.replace(r"\s+", " ", regex=True).map(fold)
    d = f["date"].astype("string").fillna("") + "|" + f["year"].astype("string").fillna("")
    return f.loc[~pd.DataFrame({"k": key, "d": d, "p": f["product"].fillna("")}).duplicated()].copy()


@lru_cache(maxsize=None)
def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    fb = pd.read_csv(DEMO_FEEDBACK, dtype=str, keep_default_na=False)
    truth = pd.read_csv(DEMO_TRUTH, dtype=str, keep_default_na=False)
    f = pd.DataFrame({
        "fid": fb["ID Encuesta"], "text": fb["Comentario del cliente"].str.strip(),
        "date": pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y"),
        "rating": pd.to_numeric(fb["Calificación (1-5)"], errors="coerce"),
        "product": fb["Producto"], "region": fb["Región"], "channel": fb["Canal de compra"],
        "brand": fb["Marca"], "category": fb["Categoría"]})
    f["year"] = f["date"].dt.year
    f = _dedup(f)
    sent = truth.drop_duplicates("ID Encuesta").set_index("ID Encuesta")["overall_sentiment"]
    f["sentiment"] = f["fid"].map(sent).replace("", "neutral")
    m = truth.loc[truth["attribute"] != "", ["ID Encuesta", "attribute", "polarity"]]
    m = m.rename(columns={"ID Encuesta": "fid"})
    return _finish(f), m[m["fid"].isin(f["fid"])]


@lru_cache(maxsize=None)
def restmex() -> tuple[pd.DataFrame, pd.DataFrame]:
    r = pd.read_csv(RESTMEX, dtype=str, keep_default_na=False)
    text = r["Opinion"].str.strip().str.replace(r'(?s)^"(.*)"$', r"\1", regex=True).str.strip()
    raw = r["Date"].str.strip()
    full = pd.to_datetime(raw.where(raw.str.contains("/")), format="%d/%m/%Y", errors="coerce")
    year_only = pd.to_numeric(raw.where(raw.str.fullmatch(r"\d{4}")), errors="coerce")
    year = full.dt.year.astype("Float64").fillna(year_only.astype("Float64"))
    country = r["Country"].str.strip().replace({"N/I": None, "": None})
    f = pd.DataFrame({"fid": r["index"], "text": text, "date": full, "year": year,
                      "rating": pd.to_numeric(r["Label"], errors="coerce"),
                      "product": r["Place"].str.strip(), "region": country})
    f = f[f["year"].between(1990, 2100)]
    f = _dedup(f)
    f["sentiment"] = None
    for c in ("channel", "brand", "category"):
        f[c] = None
    return _finish(f), pd.DataFrame(columns=["fid", "attribute", "polarity"])


def _finish(f: pd.DataFrame) -> pd.DataFrame:
    f = f.reset_index(drop=True)
    f["month"] = f["date"].dt.to_period("M").dt.to_timestamp()
    f["quarter"] = (f["date"].dt.year.astype("Int64").astype("string") + "-Q"
                    + f["date"].dt.quarter.astype("Int64").astype("string"))
    f["year"] = f["year"].astype("Int64")
    f["folded"] = f["text"].map(fold)
    return f


@lru_cache(maxsize=None)
def restmex_foods() -> tuple[pd.DataFrame, pd.DataFrame]:
    from tests.fixtures_foods import rating_polarity

    f, m = restmex()
    f = f.copy()
    f["sentiment"] = f["rating"].map(rating_polarity)
    return f, m


DATASETS = {"demo": demo, "restmex": restmex, "restmex_foods": restmex_foods}


@lru_cache(maxsize=None)
def foods(dataset: str) -> pd.DataFrame:
    """One row per food mention (fid, entry, family, polarity) of the dataset's kept comments."""
    from tests.fixtures_foods import demo_food_frame, restmex_food_frame

    cols = ["fid", "entry", "family", "polarity"]
    if dataset == "demo":
        fr = demo_food_frame()
    elif dataset == "restmex_foods":
        fr = restmex_food_frame(str(RESTMEX))
    else:
        return pd.DataFrame(columns=cols)
    fr = fr.rename(columns={"source_id": "fid"})[cols]
    f, _ = DATASETS[dataset]()
    return fr[fr["fid"].isin(set(f["fid"]))].reset_index(drop=True)


def _mask(f: pd.DataFrame, m: pd.DataFrame, flt: dict, fd: pd.DataFrame | None = None) -> pd.Series:
    mask = pd.Series(True, index=f.index)
    for k, v in flt.items():
        if k in ("product", "region", "channel", "brand", "category", "sentiment"):
            mask &= f[k].isin(v)
        elif k == "rating":
            part = pd.Series(False, index=f.index)
            for lo, hi in v:
                part |= f["rating"].between(lo if lo is not None else -1e9, hi if hi is not None else 1e9)
            mask &= part
        elif k == "period":
            kind, a, b = v
            if kind == "year":
                mask &= f["year"].between(a, b).fillna(False).astype(bool)
            else:
                mask &= ((f["date"] >= pd.Timestamp(a)) & (f["date"] < pd.Timestamp(b))).fillna(False)
        elif k == "mention":
            for attr, pol in v:
                mm = m[m["attribute"] == attr]
                if pol:
                    mm = mm[mm["polarity"] == pol]
                mask &= f["fid"].isin(set(mm["fid"]))
        elif k == "food":
            # [(column 'entry' | 'family' | None for any food, value or list of values (OR), polarity)]
            for col, val, pol in v:
                ff = fd
                if col is not None:
                    ff = ff[ff[col].isin([val] if isinstance(val, str) else list(val))]
                if pol:
                    ff = ff[ff["polarity"] == pol]
                mask &= f["fid"].isin(set(ff["fid"]))
        elif k == "word":
            pat = "|".join(rf"\b(?:{'|'.join(re.escape(s) for s in word_stems(w))})(?:s|es)?\b" for w in v)
            mask &= f["folded"].str.contains(pat, regex=True)
        elif k == "length":
            unit, op, n = v
            ln = f["text"].str.len() if unit == "chars" else f["text"].str.split().str.len()
            mask &= (ln > n) if op == "gt" else (ln < n)
        else:
            raise KeyError(k)
    return mask


def _measure(sp: Spec, df: pd.DataFrame, hit: pd.Series | None):
    if sp.m == "count":
        return len(df)
    if sp.m in ("avg", "min", "max"):
        r = df["rating"].dropna()
        if r.empty:
            return None
        return round(float(r.mean()), 2) if sp.m == "avg" else float(getattr(r, sp.m)())
    if sp.m == "share":
        return round(100.0 * float(hit.loc[df.index].sum()) / len(df), 1) if len(df) else None
    if sp.m == "len_chars":
        return round(float(df["text"].str.len().mean()), 1) if len(df) else None
    if sp.m == "len_words":
        return round(float(df["text"].str.split().str.len().mean()), 1) if len(df) else None
    if sp.m == "distinct":
        return int(df[sp.col].nunique())
    raise KeyError(sp.m)


def answer(dataset: str, sp: Spec):
    """('value', v) | ('table', {key: v}) | ('ranked', {key: v} of the kept keys, n, asc)."""
    f, m = DATASETS[dataset]()
    fd = foods(dataset)
    base = f[_mask(f, m, sp.f, fd)]
    hit = _mask(f, m, sp.sub, fd) if sp.m == "share" else None
    if sp.g is None:
        return ("value", _measure(sp, base, hit))
    if sp.g in ("entry", "family"):
        # one row per food (or family): comments mentioning it; a share = those with a mention of polarity
        # apol among them; an average = the rating of the comments mentioning it
        ff = fd[fd["fid"].isin(set(base["fid"]))]
        if sp.m == "share":
            allc = ff.groupby(sp.g)["fid"].nunique()
            polc = ff[ff["polarity"] == sp.apol].groupby(sp.g)["fid"].nunique()
            s = (100.0 * polc.reindex(allc.index, fill_value=0) / allc).round(1)
        elif sp.m == "avg":
            rating = base.set_index("fid")["rating"]
            s = ff.drop_duplicates(["fid", sp.g]).assign(r=lambda d: d["fid"].map(rating)).groupby(
                sp.g)["r"].mean().dropna().round(2)
        else:
            if sp.apol:
                ff = ff[ff["polarity"] == sp.apol]
            s = ff.groupby(sp.g)["fid"].nunique()
    elif sp.g == "attribute":
        mm = m[m["fid"].isin(set(base["fid"]))]
        if sp.apol:
            mm = mm[mm["polarity"] == sp.apol]
        s = mm.groupby("attribute")["fid"].nunique()
    else:
        keyed = base[base[sp.g].notna()]
        s = keyed.groupby(sp.g, sort=True).apply(lambda d: _measure(sp, d, hit), include_groups=False)
        s = s.dropna()
    if sp.g == "month":
        s.index = [k.date().isoformat() for k in s.index]
    elif sp.g == "year":
        s.index = [int(k) for k in s.index]
    if sp.o is None:
        return ("table", s.to_dict())
    ranks = s.rank(method="min", ascending=(sp.o == "asc"))
    kept = s[ranks <= sp.n]
    return ("ranked", kept.to_dict(), sp.n, sp.o == "asc")


def _close(a, b, tol) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) <= tol
    except (TypeError, ValueError):
        return False


def grade(ans, gold) -> str:
    """'right', 'declined' or 'wrong'. A must-decline question (gold None) is right when declined and wrong
    when answered with a figure. Scalars read the first column of one row; groups read (key, value) from the
    first two columns of every row."""
    if ans.error == "cannot_answer" and not ans.rows:
        return "right" if gold is None else "declined"
    if gold is None or ans.error:
        return "wrong"
    tol = 0.051
    kind = gold[0]
    rows = ans.rows
    if kind == "value":
        if gold[1] is None:
            ok = not rows or (len(rows) == 1 and rows[0][0] is None)
        else:
            ok = len(rows) == 1 and _close(rows[0][0], gold[1], 0 if isinstance(gold[1], int) else tol)
        return "right" if ok else "wrong"
    got = {}
    for r in rows:
        if len(r) < 2:
            return "wrong"
        got[str(r[0])] = r[1]
    want = {str(k): v for k, v in gold[1].items()}
    ok = set(got) == set(want) and all(_close(got[k], v, tol) for k, v in want.items())
    return "right" if ok else "wrong"


# -- helpers the bank files use to write specs compactly ------------------------------------------
def Q(text: str, ds: str, m: str = "count", **kw) -> tuple[str, str, Spec]:
    return (text, ds, Spec(m=m, **kw))


def D(text: str, ds: str) -> tuple[str, str, None]:
    """A question that must be declined (no figure is the right answer)."""
    return (text, ds, None)


def Y(a: int, b: int | None = None) -> tuple:
    return ("year", a, b if b is not None else a)


def R(a: str, b: str) -> tuple:
    return ("date", a, b)


NEG, POS, NEU = ["negative"], ["positive"], ["neutral"]
CHICHA, COLA = "Chicha morada embotellada 500 ml", "Gaseosa Qhapaq Cola 500 ml"
CAFE = "Café de Chanchamayo 250 g"
HELADO, YOGUR, GALLETAS = "Helado de lúcuma 1 L", "Yogur bebible de fresa 1 L", "Galletas de kiwicha"
CHOCO, CHIFLES, SALSA = "Chocolate de Cusco 70% cacao", "Chifles de plátano", "Salsa de ají amarillo 400 g"
CAMOTE = "Snacks de camote"
BOD, SUP, ECO = "Bodega", "Supermercado", "E-commerce / redes sociales"
MOMIAS, BESO, PIPILA = "Museo de las Momias", "Callejón del Beso", "Monumento Pípila"
ALHON, UNI, JARDIN = "Alhóndiga", "Universidad de Guanajuato", "Jardín de la Unión"
TEATRO, DIEGO = "Teatro Juárez", "Casa de Diego Rivera"
MERCADO, BASILICA = "Mercado Hidalgo", "Basilica Colegiata"


def E(entry: str, pol: str | None = None) -> tuple:
    """A food filter on one entry (as stored: 'chicha morada', 'café')."""
    return ("entry", entry, pol)


def F(family, pol: str | None = None) -> tuple:
    """A food filter on a family (or a list of families, OR)."""
    return ("family", family, pol)


ANY_FOOD = (None, None, None)
DRINKS = ["bebidas frías", "bebidas calientes", "bebidas alcohólicas"]
