"""The taste taxonomy: one list of attributes that the lexicon and the English names both cover."""
from __future__ import annotations

from models import taste, taxonomy


def test_every_attribute_has_an_english_name_and_a_lexicon():
    assert len(taxonomy.ATTRIBUTES) == 15 and list(taxonomy.ATTRIBUTE_EN) == list(taxonomy.ATTRIBUTES)
    assert set(taste.LEXICON) == set(taxonomy.ATTRIBUTES) and taste.ATTRIBUTES is taxonomy.ATTRIBUTES
    assert taxonomy.POLARITIES == ("negative", "neutral", "positive")


def test_questions_and_recommendations_know_every_attribute():
    from analysis.ask.vocabulary import ATTR_OF
    from analysis.insight.wording import ACTIONS

    assert set(ATTR_OF.values()) == set(taxonomy.ATTRIBUTES)
    assert set(ACTIONS) == set(taxonomy.ATTRIBUTES)
