"""A question set over the demo data, gold answers computed independently with pandas from the CSV files.

The database is the demo feedback loaded by the real ingestion, with `predictions`/`taste_mentions` filled
from data/demo_truth.csv (see ask_fixtures.py), so both sides read the same facts. Relative dates are
anchored on the latest date in the data (2025-12-31): last quarter = Oct–Dec 2025, last month = Dec 2025,
"desde junio"/"since June" = from 2025-06-01, "en octubre" = Oct 2025, last year = 2024.
The built-in answerer must get >= 85% right, and answer "no puedo responder" for the rest (never a wrong
number). Questions whose gold is None must be declined.
"""
from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from analysis.ask import ask
from tests.analysis.ask.ask_fixtures import truth_frames

CHICHA, COLA, CAFE = ("Chicha morada embotellada 500 ml", "Gaseosa Qhapaq Cola 500 ml",
                      "Café de Chanchamayo 250 g")
HELADO, YOGUR, GALLETAS = "Helado de lúcuma 1 L", "Yogur bebible de fresa 1 L", "Galletas de kiwicha"
CHOCO, CHIFLES, SALSA = "Chocolate de Cusco 70% cacao", "Chifles de plátano", "Salsa de ají amarillo 400 g"


# -- gold: pandas over the CSV files --------------------------------------------------------------
class Gold:
    def __init__(self):
        fb, truth = truth_frames()
        f = pd.DataFrame({
            "fid": fb["ID Encuesta"], "text": fb["Comentario del cliente"],
            "date": pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y"),
            "rating": pd.to_numeric(fb["Calificación (1-5)"], errors="coerce"),
            "product": fb["Producto"], "region": fb["Región"], "channel": fb["Canal de compra"]})
        # The ingestion keeps one of identical comments (same text ignoring case/accents/spacing, date,
        # product).
        key = f["text"].str.strip().str.replace(r"\s+", " ", regex=True).str.lower().map(
            lambda t: "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c)))
        f = f.loc[~pd.DataFrame({"k": key, "d": f["date"], "p": f["product"]}).duplicated()].copy()
        f["month"] = f["date"].dt.to_period("M").dt.to_timestamp()
        sent = truth.drop_duplicates("ID Encuesta").set_index("ID Encuesta")["overall_sentiment"]
        f["sentiment"] = f["fid"].map(sent)
        self.F = f
        m = truth.loc[truth["attribute"] != "", ["ID Encuesta", "attribute", "polarity"]]
        self.M = m.rename(columns={"ID Encuesta": "fid"}).merge(f, on="fid")

    @staticmethod
    def sel(df, product=None, region=None, channel=None, start=None, end=None):
        mask = pd.Series(True, index=df.index)
        for col, v in (("product", product), ("region", region), ("channel", channel)):
            if v is not None:
                mask &= df[col] == v
        if start:
            mask &= df["date"] >= pd.Timestamp(start)
        if end:
            mask &= df["date"] < pd.Timestamp(end)
        return df[mask]

    def with_attr(self, attribute, polarity=None):
        m = self.M[self.M["attribute"] == attribute]
        if polarity:
            m = m[m["polarity"] == polarity]
        return set(m["fid"])

    def comments(self, attribute=None, polarity=None, sentiment=None, **flt):
        df = self.sel(self.F, **flt)
        if attribute:
            df = df[df["fid"].isin(self.with_attr(attribute, polarity))]
        if sentiment:
            df = df[df["sentiment"] == sentiment]
        return df

    def count(self, **kw):
        return ("value", len(self.comments(**kw)))

    def avg(self, **kw):
        return ("value", round(float(self.comments(**kw)["rating"].mean()), 2))

    def share(self, attribute=None, polarity=None, sentiment=None, **flt):
        base = self.comments(**flt)
        hit = self.comments(attribute=attribute, polarity=polarity, sentiment=sentiment, **flt)
        return ("value", round(100 * len(hit) / len(base), 1))

    def share_of_mentions(self, attribute, polarity, **flt):
        base = self.comments(attribute=attribute, **flt)
        hit = self.comments(attribute=attribute, polarity=polarity, **flt)
        return ("value", round(100 * len(hit) / len(base), 1))

    def by(self, dim, how="count", **kw):
        df = self.comments(**{k: v for k, v in kw.items() if k != "share_sentiment"})
        values = sorted(self.F[dim].dropna().unique())
        if how == "count":
            s = df.groupby(dim).size().reindex(values, fill_value=0)
        elif how == "avg":
            s = df.groupby(dim)["rating"].mean().round(2).reindex(values)
        else:  # share of a sentiment within each group
            s = (df.groupby(dim)["sentiment"]
                 .apply(lambda x: round(100 * (x == kw["share_sentiment"]).mean(), 1))
                 .reindex(values))
        return s

    def by_attribute(self, polarity, **flt):
        m = self.sel(self.M, **flt)
        m = m[m["polarity"] == polarity]
        return m.groupby("attribute")["fid"].nunique()

    def top(self, s: pd.Series, n=1, asc=False):
        s = s.dropna()
        if n == 1:
            best = s.min() if asc else s.max()
            return ("top", set(s[s == best].index), float(best))
        return ("ranked", s.to_dict(), n, asc)

    def series(self, s: pd.Series):
        return ("table", {k.date().isoformat() if hasattr(k, "date") else k: v for k, v in s.items()})

    def table(self, s: pd.Series):
        return ("table", s.to_dict())


Y24, Y25 = {"start": "2024-01-01", "end": "2025-01-01"}, {"start": "2025-01-01", "end": "2026-01-01"}
LASTQ, OCT, DEC = {"start": "2025-10-01", "end": "2026-01-01"}, \
    {"start": "2025-10-01", "end": "2025-11-01"}, {"start": "2025-12-01", "end": "2026-01-01"}
SINCE_JUNE, LAST6 = {"start": "2025-06-01", "end": "2026-01-01"}, {"start": "2025-07-01", "end": "2026-01-01"}


def monthly(g, how, **kw):
    df = g.comments(**{k: v for k, v in kw.items() if k != "share_sentiment"})
    if how == "count":
        s = df.groupby("month").size()
    elif how == "avg":
        s = df.groupby("month")["rating"].mean().round(2)
    else:
        s = df.groupby("month")["sentiment"].apply(
            lambda x: round(100 * (x == kw["share_sentiment"]).mean(), 1))
    return g.series(s)


QUESTIONS = [
    # -- Spanish ------------------------------------------------------------------------------------
    ("¿Cuál fue la calificación promedio en Arequipa en 2024?", lambda g: g.avg(region="Arequipa", **Y24)),
    ("¿Qué producto tuvo más quejas por empaque el último trimestre?",
     lambda g: g.top(g.by("product", attribute="empaque", polarity="negative", **LASTQ))),
    ("¿Cuántos comentarios hubo en Lima en 2025?", lambda g: g.count(region="Lima", **Y25)),
    ("¿Cuántas quejas sobre el precio tuvo la chicha morada en 2025?",
     lambda g: g.count(attribute="precio", polarity="negative", product=CHICHA, **Y25)),
    ("¿Qué región menciona más el sabor picante desde junio?",
     lambda g: g.top(g.by("region", attribute="picante", **SINCE_JUNE))),
    ("¿Qué porcentaje de comentarios son negativos en Cusco?",
     lambda g: g.share(sentiment="negative", region="Cusco")),
    ("¿Cómo evolucionó la calificación promedio por mes en 2025?", lambda g: monthly(g, "avg", **Y25)),
    ("¿Cuántos comentarios negativos hubo en el canal Bodega en octubre?",
     lambda g: g.count(sentiment="negative", channel="Bodega", **OCT)),
    ("¿Cuáles son los 3 productos con mejor calificación promedio?",
     lambda g: g.top(g.by("product", "avg"), n=3)),
    ("¿Qué canal tiene la peor calificación promedio?", lambda g: g.top(g.by("channel", "avg"), asc=True)),
    ("¿Qué porcentaje de las menciones de precio son negativas en Lima?",
     lambda g: g.share_of_mentions("precio", "negative", region="Lima")),
    ("¿Cuántas quejas por dulzor tuvo la Qhapaq Cola en el último trimestre?",
     lambda g: g.count(attribute="dulce", polarity="negative", product=COLA, **LASTQ)),
    ("¿Qué atributo tiene más quejas en 2025?", lambda g: g.top(g.by_attribute("negative", **Y25))),
    ("Tendencia mensual de quejas por precio en 2024",
     lambda g: monthly(g, "count", attribute="precio", polarity="negative", **Y24)),
    ("¿Cuántos elogios del aroma recibió el café de Chanchamayo?",
     lambda g: g.count(attribute="aroma", polarity="positive", product=CAFE)),
    ("¿Qué porcentaje de comentarios mencionan el empaque en Piura?",
     lambda g: g.share(attribute="empaque", region="Piura")),
    ("¿Cuál es la calificación promedio del helado de lúcuma en el supermercado?",
     lambda g: g.avg(product=HELADO, channel="Supermercado")),
    ("¿Cuántos comentarios positivos hubo en La Libertad el último mes?",
     lambda g: g.count(sentiment="positive", region="La Libertad", **DEC)),
    ("Calificación promedio de la salsa de ají amarillo en Arequipa desde junio",
     lambda g: g.avg(product=SALSA, region="Arequipa", **SINCE_JUNE)),
    ("¿Qué región tuvo más comentarios sobre la frescura del yogur en 2024?",
     lambda g: g.top(g.by("region", attribute="frescura", product=YOGUR, **Y24))),
    ("¿Qué opinan los jóvenes de 18 a 24 años del chocolate?", None),
    ("¿Cuál fue el producto con menos quejas por porción en 2025?",
     lambda g: g.top(g.by("product", attribute="porción", polarity="negative", **Y25), asc=True)),
    ("¿Cuántos comentarios hubo en Ayacucho?", None),
    ("¿Cuál es la calificación promedio por canal en 2024?",
     lambda g: g.table(g.by("channel", "avg", **Y24))),
    ("¿Cuántos productos hay en los datos?", lambda g: ("value", g.F["product"].nunique())),
    # -- English ------------------------------------------------------------------------------------
    ("What was the average rating in Cusco in 2025?", lambda g: g.avg(region="Cusco", **Y25)),
    ("Which region mentions spicy flavours most since June?",
     lambda g: g.top(g.by("region", attribute="picante", **SINCE_JUNE))),
    ("How many complaints about packaging did the kiwicha cookies get in October?",
     lambda g: g.count(attribute="empaque", polarity="negative", product=GALLETAS, **OCT)),
    ("What share of comments in Lima mention price?", lambda g: g.share(attribute="precio", region="Lima")),
    ("Top 3 products by average rating", lambda g: g.top(g.by("product", "avg"), n=3)),
    ("How many negative comments were there last quarter?", lambda g: g.count(sentiment="negative", **LASTQ)),
    ("Which channel had the most complaints about price in 2024?",
     lambda g: g.top(g.by("channel", attribute="precio", polarity="negative", **Y24))),
    ("Monthly trend of the share of negative comments in 2025",
     lambda g: monthly(g, "share", share_sentiment="negative", **Y25)),
    ("What percentage of comments about sweetness are negative for the chicha morada?",
     lambda g: g.share_of_mentions("dulce", "negative", product=CHICHA)),
    ("Average rating of the Qhapaq Cola in Junín since June 2024",
     lambda g: g.avg(product=COLA, region="Junín", start="2024-06-01", end="2026-01-01")),
    ("How many comments mention the texture of the plantain chips in 2025?",
     lambda g: g.count(attribute="textura", product=CHIFLES, **Y25)),
    ("Which product had the fewest complaints about flavour last year?",
     lambda g: g.top(g.by("product", attribute="sabor", polarity="negative", **Y24), asc=True)),
    ("Number of complaints about price in Loreto by month in 2025",
     lambda g: monthly(g, "count", attribute="precio", polarity="negative", region="Loreto", **Y25)),
    ("Which region has the highest average rating?", lambda g: g.top(g.by("region", "avg"))),
    ("How many reviews did the strawberry yogurt get via supermarket in 2024?",
     lambda g: g.count(product=YOGUR, channel="Supermercado", **Y24)),
    ("What percentage of comments are positive by region?",
     lambda g: g.table(g.by("region", "share", share_sentiment="positive"))),
    ("How many complaints about healthiness were there in Lambayeque in the last 6 months?",
     lambda g: g.count(attribute="saludable", polarity="negative", region="Lambayeque", **LAST6)),
    ("Which attribute gets the most praise for the ají amarillo sauce?",
     lambda g: g.top(g.by_attribute("positive", product=SALSA))),
    ("Who are the customers that complained the most?", None),
    ("How many regions had complaints about bitterness last month?",
     lambda g: ("value", g.comments(attribute="amargo", polarity="negative", **DEC)["region"].nunique())),
    ("What is the average price of the chocolate?", None),
]


def _close(a, b, tol) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tol


def grade(answer, gold) -> str:
    """'right', 'declined' or 'wrong'."""
    if answer.error == "cannot_answer" and not answer.rows:
        return "declined"
    if gold is None or answer.error or not answer.rows:
        return "wrong"
    kind = gold[0]
    tol = 0.011 if any(isinstance(r[-1], float) for r in answer.rows) else 0
    rows = answer.rows
    if kind == "value":
        # a share comes with its counts beside it (pct, n, base): the figure is the first column
        ok = (len(rows) == 1 and (len(rows[0]) == 1 or answer.columns[0] == "pct")
              and _close(rows[0][0], gold[1], max(tol, 0.051 if answer.columns[0] == "pct" else tol)))
    elif kind == "top":
        ok = len(rows) == 1 and rows[0][0] in gold[1] and _close(rows[0][1], gold[2], max(tol, 0.051))
    elif kind == "ranked":
        full, n, asc = gold[1], gold[2], gold[3]
        best = sorted(full.values(), reverse=not asc)[:n]
        ok = (len(rows) == n and all(_close(r[1], b, 0.011) for r, b in zip(rows, best))
              and all(r[0] in full and _close(full[r[0]], r[1], 0.011) for r in rows))
    else:  # table / series: every key and value
        want = {k: v for k, v in gold[1].items() if not pd.isna(v)}
        got = {str(r[0]): r[1] for r in rows}
        ok = (set(got) == {str(k) for k in want}
              and all(_close(got[str(k)], v, 0.051) for k, v in want.items()))
    return "right" if ok else "wrong"


@pytest.fixture(scope="module")
def gold():
    return Gold()


def test_question_set_is_bilingual_and_big_enough():
    from analysis.ask.vocabulary import detect_lang

    langs = [detect_lang(q) for q, _ in QUESTIONS]
    assert len(QUESTIONS) >= 40
    assert langs.count("es") >= len(QUESTIONS) / 2 and langs.count("en") >= 20
    assert langs[:25] == ["es"] * 25 and langs[25:] == ["en"] * (len(QUESTIONS) - 25)


def test_builtin_answerer_on_the_question_set(demo_truth_store, gold, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    results = []
    for q, gold_fn in QUESTIONS:
        a = ask(demo_truth_store, q)
        assert a.backend == "offline"
        g = gold_fn(gold) if gold_fn else None
        results.append((q, grade(a, g), a.rows[:3], g if g is None or g[0] != "table" else "table", a.sql))
    wrong = [r for r in results if r[1] == "wrong"]
    right = sum(r[1] == "right" for r in results)
    report = "\n".join(f"{r[1]:8} {r[0]} -> {r[2]} gold={r[3]}\n         {r[4]}"
                       for r in results if r[1] != "right")
    print(f"\nbuilt-in answerer: {right}/{len(results)} right, {len(results) - right - len(wrong)} declined, "
          f"{len(wrong)} wrong\n{report}")
    assert not wrong, f"wrong answers:\n{report}"
    assert right / len(results) >= 0.85, f"{right}/{len(results)} right\n{report}"
    # every must-decline question was declined with the plain sentence
    for q, gold_fn in QUESTIONS:
        if gold_fn is None:
            a = ask(demo_truth_store, q)
            assert a.answer.startswith(("No puedo responder esa pregunta todavía",
                                        "I can't answer that question yet"))


def test_grader_catches_a_wrong_number(gold):
    from analysis.ask.answer import Answer

    g = gold.count(region="Lima", **Y25)
    assert grade(Answer("q", columns=["comments"], rows=[[g[1]]]), g) == "right"
    assert grade(Answer("q", columns=["comments"], rows=[[g[1] + 1]]), g) == "wrong"
    top = gold.top(gold.by("region", "avg"))
    assert grade(Answer("q", columns=["region", "avg_rating"], rows=[["Nowhere", top[2]]]), top) == "wrong"
    ranked = gold.top(gold.by("product", "avg"), n=3)
    rows = sorted(ranked[1].items(), key=lambda kv: kv[1], reverse=True)[1:4]
    assert grade(Answer("q", columns=["product", "avg_rating"], rows=[list(r) for r in rows]),
                 ranked) == "wrong"
    assert grade(Answer("q", error="cannot_answer"), g) == "declined"


def test_follow_ups_on_the_demo(demo_truth_store, gold, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    first = ask(demo_truth_store, "¿Cuál fue la calificación promedio en Arequipa en 2024?")
    second = ask(demo_truth_store, "¿y en Cusco?", history=[first])
    assert grade(second, gold.avg(region="Cusco", **Y24)) == "right"
    third = ask(demo_truth_store, "and in 2025?", history=[first, second])
    assert grade(third, gold.avg(region="Cusco", **Y25)) == "right"
    top = ask(demo_truth_store, "Which product had the most complaints about price in Lima?")
    assert grade(top, gold.top(gold.by("product", attribute="precio", polarity="negative",
                                       region="Lima"))) == "right"
    again = ask(demo_truth_store, "and in Piura?", history=[top])
    assert grade(again, gold.top(gold.by("product", attribute="precio", polarity="negative",
                                         region="Piura"))) == "right"
