"""Alert rules: parsing and validation (YAML and the dashboard form), matching against trend rows, one alert
per story, and series never told twice. Pure functions, no database."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.insight import alerts
from analysis.insight.alerts import RuleError, parse_rule, rules_from_yaml

YAML = """
rules:
  - name: Empaque roto
    dimension: attribute
    key: empaque
    polarity: negative
    direction: up
    min_effect_pp: 5
    max_q: 0.01
    min_volume: 100
  - name: Cualquier cosa en el sur
    segment: sur
    recent_months: 6
"""


def row(**kw) -> dict:
    base = {"dimension": "attribute", "key": "empaque", "polarity": "negative", "metric": "share",
            "segment_type": "product", "segment": "Galletas de kiwicha", "direction": "up",
            "start_month": "2025-10", "end_month": "2025-12", "rate_before": 0.017, "rate_after": 0.265,
            "effect": 0.248, "q": 1e-30, "k_before": 20, "n_before": 1157, "k_after": 44, "n_after": 166,
            "tier": 2}
    return base | kw


def test_yaml_rules_parse_with_defaults_and_round_trip():
    a, b = rules_from_yaml(YAML, source="reglas.yaml")
    assert (a.dimension, a.key, a.polarity, a.direction) == ("attribute", ("empaque",), "negative", "up")
    assert (a.min_effect_pp, a.max_q, a.min_volume, a.source) == (5.0, 0.01, 100, "reglas.yaml")
    assert (b.dimension, b.key, b.polarity, b.segment, b.recent_months) == ("any", (), "any", ("sur",), 6)
    assert b.max_q == 0.05 and a.rule_id.startswith("y_") and a.rule_id != b.rule_id
    again = rules_from_yaml(alerts.rules_to_yaml([a, b]), source="reglas.yaml")
    assert [r.spec() for r in again] == [a.spec(), b.spec()]
    assert [r.rule_id for r in again] == [a.rule_id, b.rule_id]     # stable ids for YAML rules


@pytest.mark.parametrize("entry, words", [
    ({"dimension": "attribute"}, "name"),
    ({"name": "x", "dimension": "sabores"}, "dimension"),
    ({"name": "x", "direction": "sideways"}, "direction"),
    ({"name": "x", "max_q": 2}, "max_q"),
    ({"name": "x", "min_effect_pp": "mucho"}, "min_effect_pp"),
    ({"name": "x", "min_volumen": 10}, "min_volumen"),
    ({"name": "x", "enabled": "si"}, "enabled"),
])
def test_invalid_rules_are_refused_naming_the_field(entry, words):
    with pytest.raises(RuleError) as e:
        parse_rule(entry)
    assert words in str(e.value)


def test_yaml_errors_are_one_line_reasons():
    with pytest.raises(RuleError, match="YAML no válido"):
        rules_from_yaml("rules: [name: : x", source="r.yaml")
    with pytest.raises(RuleError, match="repetidos"):
        rules_from_yaml("rules:\n  - name: A\n  - name: a\n")
    with pytest.raises(RuleError, match="lista"):
        rules_from_yaml("rules: 3")
    assert rules_from_yaml("") == [] and rules_from_yaml("rules: []") == []


def test_each_field_of_a_rule_filters_the_shifts():
    rule = parse_rule({"name": "r", "dimension": "attribute", "key": ["Empaque", "dulce"],
                       "polarity": "negative", "metric": "share", "segment_type": "product",
                       "segment": "galletas de KIWICHA",
                       "direction": "up", "min_effect_pp": 10, "max_q": 0.01, "min_volume": 100})
    assert alerts.rule_matches(rule, row())                 # keys and segments: case and accents ignored
    for change in ({"dimension": "mention"}, {"key": "picante"}, {"polarity": "positive"},
                   {"metric": "negative_share"}, {"segment_type": "category"}, {"segment": "Lima"},
                   {"direction": "down", "effect": -0.248}, {"effect": 0.05}, {"q": 0.02}, {"n_after": 99}):
        assert not alerts.rule_matches(rule, row(**change)), change
    assert not alerts.rule_matches(parse_rule({"name": "off", "enabled": False}), row())
    recent = parse_rule({"name": "reciente", "recent_months": 3})
    assert alerts.rule_matches(recent, row())                                   # 2025-10 .. 2025-12
    assert not alerts.rule_matches(recent, row(start_month="2025-06"))
    down = parse_rule({"name": "bajadas", "direction": "down", "min_effect_pp": 5})
    assert alerts.rule_matches(down, row(direction="down", effect=-0.06))    # effect is |after - before|


def test_match_lists_every_rule_that_matched():
    rules = rules_from_yaml(YAML) + [parse_rule({"name": "Todo"})]
    shifts = pd.DataFrame([row(), row(key="dulce", q=0.001, n_after=50),
                           row(segment="sur", segment_type="zone")])
    m = alerts.match(rules, shifts)
    assert m["rules"].tolist() == [["Empaque roto", "Todo"], ["Todo"],
                                   ["Empaque roto", "Cualquier cosa en el sur", "Todo"]]
    assert alerts.match([], shifts).empty and alerts.match(rules, shifts.iloc[0:0]).empty


def test_one_alert_per_story_led_by_its_most_significant_series():
    shifts = pd.DataFrame([
        row(segment_type="category", segment="dulces", q=1e-20),
        row(q=1e-30),                                                               # the lead
        row(polarity="all", q=1e-10),                                               # any mention: same story
        row(metric="negative_share", segment_type="all", segment="todos", q=1e-5),
        row(key="dulce", segment="Lima", segment_type="region", q=1e-8),            # another story
        row(polarity="positive", q=1e-3),                                           # praise: another story
    ])
    groups = alerts.group(alerts.match([parse_rule({"name": "Todo"})], shifts))
    assert [(g["key"], g["polarity"]) for g in groups] == [("empaque", "negative"), ("dulce", "negative"),
                                                           ("empaque", "positive")]
    lead = groups[0]
    assert lead["lead"]["segment"] == "Galletas de kiwicha" and len(lead["series_keys"]) == 4
    assert [o["segment"] for o in lead["others"]] == ["dulces", "Galletas de kiwicha", "todos"]
    assert lead["rules"] == ["Todo"]


def test_series_told_before_are_never_alerted_again_but_a_reversal_is():
    shifts = pd.DataFrame([row(), row(segment_type="category", segment="dulces", q=1e-20)])
    matched = alerts.match([parse_rule({"name": "Todo"})], shifts)
    first = alerts.group(matched)
    told = set(first[0]["series_keys"])
    assert alerts.group(matched, told) == []
    # a new segment of the same story is new information; the told one is not repeated
    more = alerts.match([parse_rule({"name": "Todo"})], pd.concat([shifts, pd.DataFrame([row(
        segment_type="region", segment="Cusco", q=1e-4)])]))
    (g,) = alerts.group(more, told)
    assert g["lead"]["segment"] == "Cusco" and g["others"] == []
    reversed_ = alerts.match([parse_rule({"name": "Todo"})],
                             pd.DataFrame([row(direction="down", effect=-0.2)]))
    assert len(alerts.group(reversed_, told)) == 1
    assert alerts.alert_id_for(first[0]["series_keys"]) == alerts.alert_id_for(first[0]["series_keys"][::-1])


def test_dimensions_scanned_follow_the_rules():
    assert alerts.dimensions_for(rules_from_yaml(YAML)) == alerts.DIMENSIONS       # one rule says any
    assert alerts.dimensions_for([parse_rule({"name": "a", "dimension": "term"}),
                                  parse_rule({"name": "b", "dimension": "attribute"}),
                                  parse_rule({"name": "c", "dimension": "region", "enabled": False})]) == \
        ("attribute", "term")


def test_alert_sentence_states_the_shift_with_its_numbers():
    from analysis.insight.wording import alert_sentence, alert_title

    s = alert_sentence(row())
    assert s == ("empaque negativo ↑ en Galletas de kiwicha desde octubre 2025: 1.7% → 26.5% de los "
                 "comentarios (44 de 166 desde entonces; +24.8 pp; q = 1e-30).")
    en = alert_sentence(row(metric="negative_share", direction="down", effect=-0.1, segment_type="all"), "en")
    assert en.startswith("empaque (complaints) ↓ since October 2025")
    assert "of its mentions are complaints" in en
    assert "−10.0 pp" in en and "44 of 166 since then" in en
    assert alert_title(row()).startswith("Sabor · nuevo cambio: empaque negativo ↑")
