"""The bundled demo data: reproducible, big and varied enough, planted shifts real, README truthful."""
from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
FILES = ("demo_feedback.csv", "demo_truth.csv", "demo_market.csv")
TAXONOMY = {"dulce", "salado", "picante", "ácido", "amargo", "sabor", "aroma", "textura", "frescura",
            "temperatura", "precio", "porción", "empaque", "saludable", "ingredientes"}
REGIONS = {"Lima", "Arequipa", "Cusco", "Piura", "La Libertad", "Loreto", "Junín", "Lambayeque"}
EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
PHONE = re.compile(r"\b9\d{2} ?\d{3} ?\d{3}\b")
DNI = re.compile(r"\b\d{8}\b")


def _generator():
    spec = importlib.util.spec_from_file_location("make_demo", DATA / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def gen():
    return _generator()


@pytest.fixture(scope="module")
def demo(gen):
    fb, truth, market = gen.read_outputs(DATA)
    fb["month"] = pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y").dt.strftime("%Y-%m")
    fb["stars"] = pd.to_numeric(fb["Calificación (1-5)"], errors="coerce")
    per = truth.drop_duplicates("ID Encuesta").set_index("ID Encuesta")
    fb["lang"] = fb["ID Encuesta"].map(per["lang"])
    fb["sentiment"] = fb["ID Encuesta"].map(per["overall_sentiment"])
    fb["pii"] = fb["ID Encuesta"].map(per["pii"])
    return fb, truth, market


def _has(fb: pd.DataFrame, truth: pd.DataFrame, attribute: str, polarity: str) -> pd.Series:
    ids = truth.loc[(truth["attribute"] == attribute) & (truth["polarity"] == polarity), "ID Encuesta"]
    return fb["ID Encuesta"].isin(ids)


def test_regenerates_byte_identically(tmp_path):
    run = subprocess.run([sys.executable, str(DATA / "make_demo.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    for name in FILES:
        assert _sha(tmp_path / name) == _sha(DATA / name), f"{name} changed: rerun python data/make_demo.py"


def test_size_coverage_and_spanish_headers(demo):
    fb, truth, _ = demo
    assert list(fb.columns[:10]) == ["ID Encuesta", "Fecha de respuesta", "Producto", "Marca", "Categoría",
                                     "Región", "Canal de compra", "Grupo de edad", "Comentario del cliente",
                                     "Calificación (1-5)"]
    assert len(fb) >= 6000 and fb["ID Encuesta"].is_unique
    assert sorted(fb["month"].unique()) == [str(p) for p in pd.period_range("2024-01", "2025-12", freq="M")]
    assert fb["Producto"].nunique() == 10 and set(fb["Región"]) == REGIONS
    assert fb["Canal de compra"].nunique() == 3
    assert set(fb["Grupo de edad"]) == {"18-24", "25-34", "35-44", "45+"}
    assert fb.groupby("Producto")[["Marca", "Categoría"]].nunique().eq(1).all().all()
    assert fb["Región"].value_counts().index[0] == "Lima"
    monthly = fb.groupby("month").size()
    assert monthly.max() / monthly.min() < 1.3, "volume per month should be roughly constant"
    assert set(truth["ID Encuesta"]) == set(fb["ID Encuesta"])
    assert 0.80 <= (fb["lang"] == "es").mean() <= 0.90
    stars = fb["stars"].dropna()
    assert stars.between(1, 5).all() and stars.mean() > 3.3, "reviews should skew positive"


def test_truth_uses_the_taxonomy(demo):
    _, truth, _ = demo
    tagged = truth[truth["attribute"] != ""]
    assert set(tagged["attribute"]) == TAXONOMY
    assert set(tagged["polarity"]) == {"positive", "negative", "neutral"}
    empty = (truth["attribute"] == "").groupby(truth["ID Encuesta"]).agg(["sum", "size"])
    assert 0.10 <= (empty["sum"] > 0).mean() <= 0.40, "some comments must carry no taste attribute"
    # The empty marker row never sits beside real clauses of the same comment.
    assert ((empty["sum"] == 0) | (empty["size"] == 1)).all()


def test_texts_are_varied_and_mixed(demo):
    fb, truth, _ = demo
    texts = fb["Comentario del cliente"]
    assert texts.nunique() / len(texts) >= 0.90
    assert texts.str.len().between(5, 600).all()
    pols = truth[truth["attribute"] != ""].groupby("ID Encuesta")["polarity"].agg(set)
    mixed = pols.map(lambda s: {"positive", "negative"} <= s).mean()
    assert mixed >= 0.05, "comments like 'el sabor está bravazo pero el empaque se rompe' must exist"
    es = texts[fb["lang"] == "es"].str.lower()
    for word in ("bravazo", "chévere", "buenazo", "empalagoso", "riquísimo", "al toque", "yapa", "caserito"):
        assert es.str.contains(word, regex=False).sum() >= 10, word
    clause_variants = truth[truth["attribute"] != ""].groupby(["attribute", "polarity"])["clause"].nunique()
    assert clause_variants.median() >= 4, "each attribute needs several phrasings"


def test_rating_agrees_with_text(demo):
    fb = demo[0]
    mean = fb.groupby("sentiment")["stars"].mean()
    assert mean["negative"] + 1.5 < mean["positive"]
    assert mean["negative"] < mean["neutral"] < mean["positive"]


def test_pii_only_where_declared(demo):
    fb = demo[0]
    text = fb["Comentario del cliente"]
    declared = fb["pii"] != ""
    assert 0.003 <= declared.mean() <= 0.01
    for kind, pattern in (("email", EMAIL), ("phone", PHONE), ("dni", DNI)):
        rows = fb["pii"] == kind
        assert rows.sum() >= 5 and text[rows].str.contains(pattern).all(), kind
    clean = text[~declared]
    assert not clean.str.contains(EMAIL).any() and not clean.str.contains(r"\d{8}").any()


def test_readme_numbers_match_the_data(demo, gen):
    fb = demo[0]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- stats:start -->\n(.*?)\n<!-- stats:end -->", readme, re.DOTALL)
    assert block, "README lost its stats markers"
    fresh = gen.stats_block(*gen.read_outputs(DATA))
    assert block.group(1) == fresh, "README numbers are stale: run python data/make_demo.py --update-readme"
    assert f"comentarios: {len(fb)};" in block.group(1)


@pytest.mark.parametrize("key", ["S1", "S2", "S3", "S4"])
def test_planted_shift_is_visible(demo, gen, key):
    fb, truth, _ = demo
    s = next(x for x in gen.SHIFTS if x["key"] == key)
    hit = _has(fb, truth, s["attribute"], s["polarity"])
    in_prod = fb["Producto"].isin(s["products"])
    seg = in_prod & fb["Región"].isin(s["regions"]) if s["regions"] else in_prod
    ctrl = in_prod & ~fb["Región"].isin(s["regions"]) if s["regions"] else ~in_prod
    before = fb["month"].between(*s["before"])
    after = fb["month"].between(*s["after"])
    assert fb.loc[seg].groupby("month").size().min() >= 40, "too few comments per month to be significant"
    share = {name: hit[mask].mean() for name, mask in
             (("seg_b", seg & before), ("seg_a", seg & after),
              ("ctl_b", ctrl & before), ("ctl_a", ctrl & after))}
    rising = s["polarity"] == "negative" or s["key"] == "S2"
    if rising:
        assert share["seg_a"] >= 2.5 * share["seg_b"], share
    else:
        assert share["seg_a"] <= 0.5 * share["seg_b"], share
    assert abs(share["ctl_a"] - share["ctl_b"]) < 0.03, f"control moved: {share}"
    # Complaints pull the stars down; praise (S2 spice) lifts them.
    stars_b, stars_a = fb.loc[seg & before, "stars"].mean(), fb.loc[seg & after, "stars"].mean()
    good_news = s["polarity"] == "positive" and rising
    assert (stars_a > stars_b) if good_news else (stars_a < stars_b)


def test_other_attributes_stay_flat(demo, gen):
    """Per product, every (attribute, polarity) not planted keeps its 2024 rate in 2025."""
    fb, truth, _ = demo
    tagged = truth[truth["attribute"] != ""]
    flags = pd.crosstab(tagged["ID Encuesta"], [tagged["attribute"], tagged["polarity"]]).clip(upper=1)
    flags = flags.reindex(fb["ID Encuesta"], fill_value=0).set_axis(fb.index)
    keys = [fb["Producto"], fb["month"].str[:4]]
    rate, n = flags.groupby(keys).mean(), flags.groupby(keys).size()
    p = flags.groupby(fb["Producto"]).mean()
    r24, r25 = rate.xs("2024", level=1), rate.xs("2025", level=1)
    n24, n25 = n.xs("2024", level=1), n.xs("2025", level=1)
    se = np.sqrt(p * (1 - p)).mul(np.sqrt(1 / n24 + 1 / n25), axis=0).replace(0, np.inf)
    z = ((r25 - r24) / se).abs().stack([0, 1])
    planted = [(p, s["attribute"], s["polarity"]) for s in gen.SHIFTS for p in s["products"]]
    z = z.drop(index=[k for k in planted if k in z.index])
    assert len(z) > 300 and z.max() < 4.0, f"unplanted shift in {z.idxmax()}: z={z.max():.1f}"


def test_market_agrees_with_the_shifts(demo, gen):
    _, _, market = demo
    assert list(market.columns) == ["Mes", "Producto", "Región", "Índice de ventas", "Interés de búsqueda",
                                    "Precio promedio (S/)"]
    assert len(market) == 10 * 8 * 24 and not market.duplicated(["Mes", "Producto", "Región"]).any()
    assert market["Interés de búsqueda"].between(0, 100).all() and (market["Precio promedio (S/)"] > 0).all()

    def mean(product, regions, col, first, last):
        sel = ((market["Producto"] == product) & market["Región"].isin(regions)
               & market["Mes"].between(first, last))
        return market.loc[sel, col].mean()

    south, rest = ["Arequipa", "Cusco"], sorted(REGIONS - {"Arequipa", "Cusco"})
    salsa, chicha, galletas = gen.SALSA, gen.CHICHA, gen.GALLETAS
    base = mean(salsa, south, "Interés de búsqueda", "2024-01", "2025-01")
    # Searches lead the comments: already up in 2025-02, a month before the spice comments rise.
    assert mean(salsa, south, "Interés de búsqueda", "2025-02", "2025-02") > base + 10
    assert mean(salsa, south, "Interés de búsqueda", "2025-03", "2025-12") > base + 25
    assert mean(salsa, south, "Índice de ventas", "2025-03", "2025-12") > 1.15 * mean(
        salsa, south, "Índice de ventas", "2024-01", "2025-01")
    flat = mean(salsa, rest, "Interés de búsqueda", "2025-03", "2025-12")
    assert abs(flat / mean(salsa, rest, "Interés de búsqueda", "2024-01", "2025-01") - 1) < 0.1
    assert mean(chicha, ["Lima", "Arequipa"], "Índice de ventas", "2025-01", "2025-12") < 0.92 * mean(
        chicha, ["Lima", "Arequipa"], "Índice de ventas", "2024-01", "2024-06")
    assert mean(galletas, sorted(REGIONS), "Índice de ventas", "2025-11", "2025-12") < 0.92 * mean(
        galletas, sorted(REGIONS), "Índice de ventas", "2025-01", "2025-10")
