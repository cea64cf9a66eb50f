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
