"""AppTest for the Alertas page: rules edited in the dashboard (and those of a YAML file shown beside them),
a preview against the current shifts, the last refresh runs, the inbox files and the alerts sent."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.insight import alerts
from analysis.ops.refresh import RefreshConfig, run_refresh
from analysis.store import Store
from analysis.store import refresh as rstore
from tests.analysis.ops.test_refresh import RULES
from tests.conftest import ROOT

PAGE = str(ROOT / "dashboard" / "views" / "alertas.py")


@pytest.fixture(autouse=True)
def no_channels(monkeypatch):
    for k in ("SABOR_ALERT_WEBHOOK_URL", "SABOR_SMTP_HOST", "SABOR_ALERT_RULES"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def demo(demo_truth_copy, monkeypatch):
    monkeypatch.setenv("SABOR_DB", str(demo_truth_copy))
    s = Store.open(demo_truth_copy)
    yield s
    s.close()


def test_empty_database_explains_channels_rules_and_history(db_path):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("No hay canales configurados" in i.value for i in at.info)
    captions = " ".join(c.value for c in at.caption)
    assert "Aún no hay reglas" in captions and "Aún no hubo actualizaciones" in captions
    assert "Aún no hay alertas" in captions


def test_a_rule_made_in_the_form_is_stored_previewed_edited_and_deleted(demo):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.text_input(key="al_name___new__").set_value("Empaque roto")
    at.selectbox(key="al_dim___new__").set_value("attribute")
    at.text_input(key="al_key___new__").set_value("empaque")
    at.selectbox(key="al_pol___new__").set_value("negative")
    at.selectbox(key="al_dir___new__").set_value("up")
    at.number_input(key="al_eff___new__").set_value(5.0)
    at.number_input(key="al_vol___new__").set_value(100)
    at.button[0].click().run()                                   # the form's submit button
    assert not at.exception
    (rule,) = alerts.dashboard_rules(demo)
    assert (rule.name, rule.dimension, rule.key, rule.polarity, rule.direction) == \
        ("Empaque roto", "attribute", ("empaque",), "negative", "up")
    assert (rule.min_effect_pp, rule.min_volume, rule.max_q) == (5.0, 100, 0.05)
    assert any("guardada" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert table["regla"].tolist() == ["Empaque roto"] and table["origen"].tolist() == ["panel"]
    # preview: what the rule matches now, before any refresh (scanned on the fly)
    at.button(key="al_preview").click().run()
    assert not at.exception
    pv = at.dataframe[-1].value
    assert "empaque negativo ↑ en Galletas de kiwicha desde octubre 2025" in pv["headline"].tolist()
    assert not pv["ya avisado"].any()
    # edit it: the form is preset with the rule, a change is stored under the same id
    at.selectbox(key="al_pick").set_value(rule.rule_id).run()
    assert at.text_input(key=f"al_name_{rule.rule_id}").value == "Empaque roto"
    at.number_input(key=f"al_eff_{rule.rule_id}").set_value(8.0)
    at.button[0].click().run()
    (edited,) = alerts.dashboard_rules(demo)
    assert edited.rule_id == rule.rule_id and edited.min_effect_pp == 8.0
    at.button(key="al_delete").click().run()
    assert not at.exception and alerts.dashboard_rules(demo) == []


def test_an_invalid_rule_is_refused_with_the_reason(demo):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button[0].click().run()                                   # no name
    assert not at.exception
    assert any("nombre" in e.value for e in at.error) and alerts.dashboard_rules(demo) == []


def test_runs_inbox_files_and_alerts_sent_after_a_refresh(demo, tmp_path, monkeypatch):
    rules = tmp_path / "reglas.yaml"
    rules.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("SABOR_ALERT_RULES", str(rules))
    box = tmp_path / "entrada"
    box.mkdir()
    (box / "roto.pdf").write_bytes(b"%PDF-1.4")
    out = run_refresh(demo, RefreshConfig(inbox=box, rules_file=str(rules), dimensions=("attribute",),
                                          skip=frozenset({"score", "topics"}), channels=[]))
    assert out["alerts_new"] == 1 and out["files_failed"] == 1
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    rules_table = frames[0]
    assert rules_table["origen"].tolist() == [str(rules)]            # YAML rules listed, not editable
    assert at.selectbox(key="al_pick").options == ["+ Nueva regla"]
    runs = next(f for f in frames if "run_id" in f.columns and "status" in f.columns)
    assert runs["run_id"].tolist() == [out["run_id"]] and runs["status"].tolist() == ["partial"]
    inbox = next(f for f in frames if "moved_to" in f.columns)
    assert inbox["file_name"].tolist() == ["roto.pdf"] and inbox["status"].tolist() == ["failed"]
    sent = next(f for f in frames if "headline" in f.columns and "deliveries" in f.columns)
    assert sent["headline"].tolist() == ["empaque negativo ↑ en Galletas de kiwicha desde octubre 2025"]
    assert sent["link"].iloc[0].endswith("segment=Galletas+de+kiwicha")
    assert rstore.alerts_sent(demo)["alert_id"].tolist() == sent["alert_id"].tolist()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and any(s.value == "Alerts sent" for s in at.subheader)
