"""The compositional parser: each part of a question recognised on its own and combined (no database)."""
from __future__ import annotations

import datetime as dt

import pytest

from analysis.ask.facts import Facts
from analysis.ask.intent import CannotParse, Intent
from analysis.ask.parser import parse
from analysis.ask.sql import to_sql
from tests.analysis.ask.ask_fixtures import PRODUCTS

FACTS = Facts(products=tuple(PRODUCTS), regions=("Arequipa", "Cusco", "Junín", "La Libertad", "Lima"),
              channels=("Bodega", "E-commerce / redes sociales", "Supermercado"), categories=("bebidas",),
              min_date=dt.date(2024, 1, 3), max_date=dt.date(2025, 8, 14),
              months=tuple(dt.date(2024 + (m // 12), m % 12 + 1, 1) for m in range(20)),
              brands=("Qhapaq Cola",), topics=("Precio alto", "Empaque roto"), max_year=2025)
NO_SENTIMENT = Facts(**{**FACTS.__dict__, "has_sentiment": False})


def test_or_within_a_dimension_and_across_dimensions():
    it = parse("¿Cuántas reseñas de Lima y Cusco por bodega o supermercado?", FACTS)
    assert it.filters.values == {"region": ["Lima", "Cusco"], "channel": ["Bodega", "Supermercado"]}
    sql = to_sql(it)[0]
    assert "region IN ('Lima', 'Cusco')" in sql and "channel IN ('Bodega', 'Supermercado')" in sql


@pytest.mark.parametrize("q,cond", [
    ("reviews with 1 or 2 stars", "(rating >= 1 AND rating <= 1) OR (rating >= 2 AND rating <= 2)"),
    ("reseñas con calificación de exactamente 3", "rating >= 3 AND rating <= 3"),
    ("reviews rated 4 or higher", "rating >= 4"),
    ("comentarios con al menos 4 estrellas", "rating >= 4"),
    ("reviews rated below 3", "rating < 3"),
    ("opiniones con calificación menor o igual a 2", "rating <= 2"),
    ("reseñas entre 2 y 4 estrellas", "rating >= 2 AND rating <= 4"),
    ("reviews with a rating >= 4", "rating >= 4"),
    ("How many 5-star reviews?", "rating >= 5 AND rating <= 5"),
])
def test_rating_conditions(q, cond):
    assert cond in to_sql(parse(q, FACTS))[0]


def test_a_number_next_to_a_grouping_is_a_top_n_not_a_rating():
    it = parse("Top 3 products by average rating", FACTS)
    assert (it.metric, it.group, it.order, it.top_n) == ("avg_rating", "product", "desc", 3)
    assert it.filters.rating == []
    it = parse("What are the 3 worst rated products?", FACTS)
    assert (it.group, it.order, it.top_n) == ("product", "asc", 3)


def test_words_in_the_text_quoted_or_named():
    assert parse("¿Cuántos comentarios mencionan la palabra «Postres»?", FACTS).filters.words == ["postres"]
    assert parse("how many reviews contain the word delicious", FACTS).filters.words == ["delicious"]
    assert parse("How many reviews mention 'caro'?", FACTS).filters.words == ["caro"]  # not the attribute
    assert parse("¿cuántos comentarios mencionan langosta?", FACTS).filters.words == ["langosta"]
    sql = to_sql(parse('reviews that say "postres"', FACTS))[0]
    assert r"\b(?:(?:postres|postre|postr))(?:s|es)?\b" in sql and "strip_accents(text)" in sql


def test_text_length():
    assert parse("comentarios de más de 100 caracteres", FACTS).filters.length == {
        "unit": "chars", "op": "gt", "n": 100}
    assert parse("reviews with fewer than 8 words", FACTS).filters.length == {
        "unit": "words", "op": "lt", "n": 8}
    it = parse("average number of words per review", FACTS)
    assert (it.metric, it.length_unit) == ("avg_length", "words")


@pytest.mark.parametrize("q,base,sub", [
    ("What percentage of the 2024 reviews have 5 stars?", {}, "rating"),
    ("¿Qué porcentaje de los comentarios de Lima son negativos?", {"region": ["Lima"]}, "sentiment"),
    ("¿Qué proporción de los comentarios son de Lima?", {}, "values"),
    ("¿Qué porcentaje de las reseñas tiene 1 o 2 estrellas en Lima?", {"region": ["Lima"]}, "rating"),
])
def test_share_base_and_subset(q, base, sub):
    it = parse(q, FACTS)
    assert it.metric == "share" and it.filters.values == base and getattr(it.subset, sub)


def test_share_of_an_attribute_among_complaints():
    it = parse("What share of complaints are about packaging?", FACTS)
    assert it.filters.mentions == [{"kind": "attribute", "value": None, "polarity": "negative"}]
    assert it.subset.mentions == [{"kind": "attribute", "value": "empaque", "polarity": "negative"}]


@pytest.mark.parametrize("q,start,end,by_year", [
    ("reviews in the second half of 2024", "2024-07-01", "2025-01-01", False),
    ("reseñas del primer semestre de 2025", "2025-01-01", "2025-07-01", False),
    ("reviews in Q2 2025", "2025-04-01", "2025-07-01", False),
    ("reseñas de enero a marzo de 2025", "2025-01-01", "2025-04-01", False),
    ("reviews between July and December 2024", "2024-07-01", "2025-01-01", False),
    ("reseñas entre 2024 y 2025", "2024-01-01", "2026-01-01", True),
    ("reviews in 2024", "2024-01-01", "2025-01-01", True),
    ("reviews in May 2024", "2024-05-01", "2024-06-01", False),
    ("reviews last year", "2024-01-01", "2025-01-01", True),
    ("reviews in the last 30 days", "2025-07-16", "2025-08-15", False),
])
def test_periods(q, start, end, by_year):
    it = parse(q, FACTS)
    assert (it.date_from, it.date_to, it.by_year) == (start, end, by_year)


def test_whole_years_count_by_year_so_year_only_dates_count():
    sql = to_sql(parse("reviews in 2024", FACTS))[0]
    assert "year = 2024" in sql and "date >=" not in sql


@pytest.mark.parametrize("q,group,order", [
    ("In which month was the average rating highest?", "month", "desc"),
    ("¿Qué mes tuvo menos comentarios?", "month", "asc"),
    ("comentarios por trimestre", "quarter", None),
    ("average rating by year", "year", None),
    ("Which place has the worst reviews?", "product", "asc"),
    ("distribution of ratings", "rating", None),
    ("average rating in Lima vs Cusco", "region", None),
])
def test_groupings(q, group, order):
    it = parse(q, FACTS)
    assert (it.group, it.order) == (group, order)


def test_rankings_keep_ties():
    sql = to_sql(parse("Which region has the most reviews?", FACTS))[0]
    assert "QUALIFY rank() OVER (ORDER BY count(*) DESC) <= 1" in sql


def test_distinct_count_and_total():
    it = parse("How many different countries are in the data?", FACTS)
    assert (it.metric, it.distinct_of) == ("distinct", "region")
    assert parse("how many reviews overall", FACTS).filters.empty()


def test_negative_is_the_sentiment_when_scored_and_the_rating_otherwise():
    assert parse("¿Cuántas reseñas negativas hay?", FACTS).filters.sentiment == ["negative"]
    it = parse("¿Cuántas reseñas negativas hay?", NO_SENTIMENT)
    assert it.filters.rating == [{"lo": None, "hi": 2, "lo_inc": True, "hi_inc": True}] and it.notes
    assert parse("How many negative ratings?", FACTS).filters.rating  # a rating, said so by the words


def test_typos_within_one_edit_are_corrected_and_said():
    it = parse("avergae rating in Arequpa", FACTS)
    assert it.metric == "avg_rating" and it.region == "Arequipa"
    assert "arequpa" in it.notes[0][1]


def test_topics_are_values_and_a_grouping():
    it = parse("¿Cuántos comentarios del tema Precio alto?", FACTS)
    assert it.filters.values == {"topic": ["Precio alto"]} and "topic_label = 'Precio alto'" in to_sql(it)[0]
    assert parse("comments by topic", FACTS).group == "topic"


@pytest.mark.parametrize("q", ["¿Qué opinan las mujeres del chocolate?", "What is the average price?",
                               "How many reviews in Tokyo?", "¿Cuántas regiones hay en Lima?",
                               "¿Cuál es el precio de la entrada?", "¿más quejas?"])
def test_declines(q):
    with pytest.raises(CannotParse):
        parse(q, FACTS)


def test_follow_ups_replace_what_they_name():
    first = parse("Which product had the most complaints about price in Lima?", FACTS)
    again = parse("and the top 3?", FACTS, previous=first)
    assert (again.top_n, again.region, again.attribute) == (3, "Lima", "precio")
    other = parse("y en Lima y Cusco", FACTS, previous=parse("reviews with 1 or 2 stars in 2025", FACTS))
    assert other.filters.values == {"region": ["Lima", "Cusco"]} and other.date_from == "2025-01-01"
    assert Intent.from_dict(other.to_dict()) == other


# -- food mentions --------------------------------------------------------------------------------------
FOODS = Facts(**{**FACTS.__dict__, "categories": ("bebidas", "snacks"),
                 "foods": ("chicha morada", "helado", "lúcuma", "café", "ají", "ají amarillo", "fresa",
                           "mariscos", "fruta", "cerveza"),
                 "food_families": ("bebidas frías", "postres y dulces", "frutas", "ají y picantes",
                                   "bebidas calientes", "mariscos y pescados", "bebidas alcohólicas"),
                 "has_foods": True})


def _food(it, where="filters"):
    f = getattr(it, where)
    return [{k: m[k] for k in ("kind", "value", "polarity")} for m in f.mentions if m["kind"] != "attribute"]


@pytest.mark.parametrize("q,kind,value", [
    ("¿Cuántos comentarios mencionan la chicha morada?", "food", "chicha morada"),
    ("comentarios que hablan de lúcuma", "food", "lúcuma"),
    ("reviews mentioning coffee", "food", "café"),       # the lexicon's English form
    ("How many reviews mention beer?", "food", "cerveza"),
    ("¿Cuántos comentarios hablan de mariscos en 2025?", "food_family", "mariscos y pescados"),
    ("reviews mentioning seafood", "food_family", "mariscos y pescados"),
    ("comments about cold drinks", "food_family", "bebidas frías"),
    ("¿cuántos comentarios mencionan postres?", "food_family", "postres y dulces"),
    ("how many reviews talk about spicy food", "food_family", "ají y picantes"),
    ("quejas sobre el pollo", "food_family", "aves"),    # a family named by its commonest member
    ("reviews mentioning drinks", "food_family",
     ["bebidas frías", "bebidas calientes", "bebidas alcohólicas"]),
    ("¿Cuántas reseñas mencionan comida?", "food", None),  # any food
])
def test_foods_and_families_are_mention_filters(q, kind, value):
    it = parse(q, FOODS)
    assert [(m["kind"], m["value"]) for m in _food(it)] == [(kind, value)]
    assert "foods_enriched" in to_sql(it)[0]


def test_a_food_that_is_a_product_word_is_the_product_unless_the_text_names_it():
    it = parse("¿Cuántos comentarios sobre la chicha morada hay en 2024?", FOODS)
    assert it.product == PRODUCTS[0] and not _food(it)
    assert "no como el alimento chicha morada" in it.notes[0][0]
    it = parse("¿Cuántos comentarios mencionan la chicha morada?", FOODS)
    assert it.product is None and _food(it)[0]["value"] == "chicha morada"
    assert "not the product Chicha morada" in it.notes[0][1]
    # a category of the same name: the category, unless the text names it
    assert parse("¿cuántos comentarios de snacks?", FOODS).category == "snacks"
    it = parse("¿Cuántos comentarios de la categoría bebidas mencionan bebidas frías?", FOODS)
    assert it.category == "bebidas" and _food(it)[0]["value"] == "bebidas frías"
    # a food name longer than the value's ("bebidas frías" vs the category "bebidas") is the food
    it = parse("¿Qué región tiene más quejas sobre bebidas frías?", FOODS)
    assert _food(it)[0]["value"] == "bebidas frías" and not it.filters.values
    # ranking products within one product makes no sense: the food
    it = parse("¿Qué producto tiene más quejas sobre el ají amarillo?", FOODS)
    assert it.group == "product" and _food(it) == [{"kind": "food", "value": "ají amarillo",
                                                    "polarity": "negative"}]


def test_an_attribute_word_stays_the_attribute_and_says_so():
    it = parse("¿Cuántos comentarios hablan de ají?", FOODS)
    assert it.attribute == "picante" and not _food(it)
    assert "no como el alimento ají" in it.notes[-1][0]
    assert _food(parse("comentarios que mencionan ají amarillo", FOODS))[0]["value"] == "ají amarillo"


def test_food_polarity_counts_and_shares():
    it = parse("¿Cuántas menciones negativas del helado hay?", FOODS)
    assert _food(it) == [{"kind": "food", "value": "helado", "polarity": "negative"}]
    it = parse("¿Qué porcentaje de las menciones de helado son positivas?", FOODS)
    assert it.metric == "share"
    assert _food(it) == [{"kind": "food", "value": "helado", "polarity": None}]
    assert _food(it, "subset") == [{"kind": "food", "value": "helado", "polarity": "positive"}]
    it = parse("What percentage of comments mention desserts?", FOODS)
    assert it.filters.empty() and _food(it, "subset")[0]["value"] == "postres y dulces"


@pytest.mark.parametrize("q,group,order,pol", [
    ("¿Qué familia de alimentos se menciona más?", "food_family", "desc", None),
    ("menciones por familia de alimentos", "food_family", None, None),
    ("top 5 foods mentioned in Lima", "food", "desc", None),
    ("los 5 alimentos más mencionados en 2025", "food", "desc", None),
    ("Which dish gets the most complaints?", "food", "desc", "negative"),
    ("¿Qué alimento tiene el mayor porcentaje de menciones negativas?", "food", "desc", "negative"),
    ("¿Qué bebida se menciona más?", "food", "desc", None),
])
def test_groupings_by_food_and_family(q, group, order, pol):
    it = parse(q, FOODS)
    assert (it.group, it.order, it.group_polarity) == (group, order, pol)
    sql = to_sql(it)[0]
    assert "FROM foods_enriched" in sql and ("family" if group == "food_family" else "entry") in sql


def test_which_drink_groups_the_foods_of_the_drink_families_row_by_row():
    sql = to_sql(parse("¿Qué bebida se menciona más?", FOODS))[0]
    assert "WHERE family IN ('bebidas frías', 'bebidas calientes', 'bebidas alcohólicas')" in sql


def test_typos_in_food_names():
    it = parse("¿Cuántos comentarios mencionan chicha morda?", FOODS)
    assert _food(it)[0]["value"] == "chicha morada" and "«morda» → «morada»" in it.notes[0][0]
    assert _food(parse("How many comments mention desserst?", FOODS))[0]["value"] == "postres y dulces"


def test_without_a_food_scan_families_are_words_in_the_text_or_declined():
    it = parse("¿Cuántas reseñas hablan de postres?", FACTS)
    assert it.filters.words == ["postres"] and "no se han analizado" in it.notes[0][0]
    for q in ("¿Qué familia de alimentos se menciona más?", "How many reviews mention food?",
              "quejas sobre mariscos"):
        with pytest.raises(CannotParse) as e:
            parse(q, FACTS)
        assert e.value.why == "no food mentions"


def test_food_follow_ups_replace_the_food_and_keep_the_rest():
    first = parse("¿Cuántos comentarios mencionan el helado en 2025?", FOODS)
    again = parse("¿y la lúcuma?", FOODS, previous=first)   # the food, not the product Helado de lúcuma
    assert _food(again)[0]["value"] == "lúcuma" and again.product is None and again.date_from == "2025-01-01"
    share = parse("¿Qué porcentaje de las menciones de helado son negativas?", FOODS)
    other = parse("¿y de lúcuma?", FOODS, previous=share)
    assert _food(other)[0]["value"] == "lúcuma" and _food(other, "subset")[0] == {
        "kind": "food", "value": "lúcuma", "polarity": "negative"}
    both = parse("and the price?", FOODS, previous=parse("complaints mentioning coffee", FOODS))
    assert _food(both)[0]["value"] == "café" and both.attribute == "precio"
