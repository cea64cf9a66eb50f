"""Dates and ratings as Peruvian surveys and exports write them."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest.parsing import parse_dates, parse_ratings
from analysis.ingest.schema import FEEDBACK_SYNONYMS, auto_map, normalise_header


@pytest.mark.parametrize("raw, expected, precision", [
    ("2024-03-15", "2024-03-15", "day"),
    ("2024-03-15T10:22:01Z", "2024-03-15", "day"),
    ("15/03/2024", "2024-03-15", "day"),
    ("15-03-24", "2024-03-15", "day"),
    ("15.03.2024", "2024-03-15", "day"),
    ("15 de marzo de 2024", "2024-03-15", "day"),
    ("1 de setiembre del 2024", "2024-09-01", "day"),
    ("March 15, 2024", "2024-03-15", "day"),
    ("mar-2024", "2024-03-01", "month"),
    ("ENE-2015", "2015-01-01", "month"),
    ("Marzo 2024", "2024-03-01", "month"),
    ("2024-03", "2024-03-01", "month"),
    ("1303862400", "2011-04-27", "day"),
    ("2015", "2015-01-01", "year"),
])
def test_date_formats(raw, expected, precision):
    r = parse_dates(pd.Series([raw]))
    assert str(r.dates.iloc[0])[:10] == expected
    assert r.precision.iloc[0] == precision
    assert not r.invalid.iloc[0]


def test_ambiguous_dates_are_day_first_and_counted():
    r = parse_dates(pd.Series(["03/04/2024", "13/04/2024", "03/04/2024", "04/04/2024"]))
    assert [str(d)[:10] for d in r.dates] == ["2024-04-03", "2024-04-13", "2024-04-03", "2024-04-04"]
    assert r.ambiguous == 2  # 04/04 is the same either way


def test_us_month_first_column_is_detected():
    r = parse_dates(pd.Series(["03/25/2024", "04/01/2024"]))
    assert r.month_first
    assert [str(d)[:10] for d in r.dates] == ["2024-03-25", "2024-04-01"]


def test_missing_markers_are_not_invalid_but_garbage_and_out_of_range_are():
    r = parse_dates(pd.Series(["NA", "", None, "ayer", "2108", "31/02/2024"]))
    assert r.invalid.tolist() == [False, False, False, True, True, True]


@pytest.mark.parametrize("raw, expected", [
    ("4", 4.0), ("4,5", 4.5), ("4/5", 4.0), ("8/10", 4.0), ("★★★★☆", 4.0), ("⭐⭐⭐", 3.0),
    ("5 estrellas", 5.0), ("3 stars", 3.0),
])
def test_ratings(raw, expected):
    assert parse_ratings(pd.Series([raw])).ratings.iloc[0] == expected


def test_invalid_ratings_are_flagged_not_guessed():
    r = parse_ratings(pd.Series(["-1", "excelente", "0", "3"]))
    assert r.invalid.tolist() == [True, True, True, False]


@pytest.mark.parametrize("header, canon", [
    ("Comentario del cliente", "text"), ("RESEÑA", "text"), ("Opinión", "text"), ("review_text", "text"),
    ("Fecha de respuesta", "date"), ("Calificación (1-5)", "rating"), ("Estrellas", "rating"),
    ("Departamento", "region"), ("Canal de compra", "channel"), ("Grupo de edad", "segment"),
    ("reviewRating", "rating"),
])
def test_header_synonyms(header, canon):
    m = auto_map([header, "otra columna"], FEEDBACK_SYNONYMS)
    assert m.columns.get(canon) == header, (normalise_header(header), m.columns)


def test_one_header_feeds_one_column_and_exact_beats_partial():
    m = auto_map(["Summary", "Text", "Review Title", "Date"], FEEDBACK_SYNONYMS)
    assert m.columns["text"] == "Text" and m.columns["date"] == "Date"
    assert len(set(m.columns.values())) == len(m.columns)


def test_an_outlier_never_rescales_the_column_it_is_out_of_range():
    r = parse_ratings(pd.Series(["5", "4", "1", "999", "5", "50", "6/5"]))
    assert r.scale == "1-5"
    assert r.ratings.tolist()[:3] == [5.0, 4.0, 1.0]
    assert r.out_of_range.tolist() == [False, False, False, True, False, True, True]
    assert not r.invalid.any()


@pytest.mark.parametrize("values, scale", [
    (["10", "6", "2", "8"], "1-10"), (["0", "7", "10", "3"], "0-10"), (["80", "55", "100", "20"], "0-100"),
    (["5", "4"] * 200 + ["7"], "1-5"),          # one 7 in 401 ratings is a typo, not a 1-10 survey
])
def test_a_wider_scale_needs_enough_values_on_it(values, scale):
    assert parse_ratings(pd.Series(values)).scale == scale
