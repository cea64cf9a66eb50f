"""Every metric the Grafana dashboard and the alert rules use is really exported by the app.

The exporter runs in-process (analysis.ops.metrics.start_exporter on a free loopback port); the app's code
paths that exist touch some metrics for real, every labelled metric gets one child so its samples show,
then /metrics is scraped over HTTP and the names (and grouping labels) are checked.
"""
from __future__ import annotations

import json
import re

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from tests.deployment.conftest import DEPLOY, METRIC_RE, scrape

DASHBOARD = DEPLOY / "grafana" / "dashboard.json"
RULES = DEPLOY / "prometheus" / "alert.rules"


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append(t["expr"])
        for sub in p.get("panels", []):
            out.extend(t["expr"] for t in sub.get("targets", []))
    return out


def rule_exprs() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


@pytest.fixture(scope="module")
def scraped(exporter, store) -> dict[str, set[str]]:
    """Sample name -> label names seen in a real scrape of the exporter."""
    from analysis.ops import metrics

    # Real code paths available to this area: a DuckDB query and the storage gauges.
    store.query("SELECT count(*) FROM feedback", kind="test")
    store.refresh_gauges()
    metrics.FEEDBACK_ROWS_INGESTED.labels(kind="feedback").inc(3)
    metrics.INFERENCE_SECONDS.labels(model="sentiment").observe(0.3)
    for obj in vars(metrics).values():
        if isinstance(obj, MetricWrapperBase) and obj._labelnames:
            obj.labels(*["test"] * len(obj._labelnames))
    families = text_string_to_metric_families(scrape(*exporter))
    out: dict[str, set[str]] = {}
    for fam in families:
        for s in fam.samples:
            out.setdefault(s.name, set()).update(s.labels)
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from analysis.store import Store

    s = Store.open(tmp_path_factory.mktemp("db") / "sabor.duckdb")
    yield s
    s.close()


def _names(exprs: list[str]) -> set[str]:
    return {m for e in exprs for m in METRIC_RE.findall(e)}


def test_dashboard_metric_names_are_exported(scraped):
    names = _names(dashboard_exprs())
    assert len(names) >= 20, "the dashboard should cover the app's metrics"
    missing = sorted(n for n in names if n not in scraped)
    assert not missing, f"dashboard queries metrics the app does not export: {missing}"


def test_alert_metric_names_are_exported(scraped):
    names = _names(rule_exprs())
    missing = sorted(n for n in names if n not in scraped)
    assert not missing, f"alert rules use metrics the app does not export: {missing}"


def test_grouping_labels_exist_on_their_metrics(scraped):
    # "sum by (model) (rate(sabor_x[...]))": each label in by() must be a label of sabor_x.
    pat = re.compile(r"by \(([^)]*)\) \((?:rate|increase)\((\w+)")
    checked = 0
    for expr in dashboard_exprs() + rule_exprs():
        for labels, metric in pat.findall(expr):
            for label in (x.strip() for x in labels.split(",")):
                assert label in scraped.get(metric, set()), f"{metric} has no label {label!r}: {expr}"
                checked += 1
    assert checked >= 10


def test_storage_gauges_report_real_values(scraped, exporter, store):
    values = {s.name: s.value for f in text_string_to_metric_families(scrape(*exporter)) for s in f.samples}
    assert values["sabor_db_size_bytes"] == store.path.stat().st_size > 0
    assert 0 < values["sabor_db_volume_free_bytes"] <= values["sabor_db_volume_capacity_bytes"]
    assert values["sabor_feedback_rows"] == 0


def test_dashboard_is_importable_grafana_json():
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and len(dash["uid"]) <= 40 and dash["title"]
    assert isinstance(dash["schemaVersion"], int)
    inputs = {i["name"]: i for i in dash["__inputs"]}
    assert (inputs["DS_PROMETHEUS"]["type"] == "datasource"
            and inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus")
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in dash["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${DS_PROMETHEUS}" and t["expr"].strip(), p["title"]
    # No two panels overlap on the grid (Grafana would silently move them).
    cells = set()
    for p in dash["panels"]:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['title']!r} overlaps another"
                cells.add((x, y))


def test_dashboard_has_the_operational_panels():
    text = " ".join(dashboard_exprs())
    for metric in ("sabor_feedback_rows_ingested_total", "sabor_ingest_rows_rejected_total",
                   "sabor_inference_seconds_bucket", "sabor_inference_texts_total",
                   "sabor_prediction_cache_hits_total", "sabor_ask_requests_total",
                   "sabor_llm_request_seconds_bucket", "sabor_llm_errors_total",
                   "sabor_sql_guard_rejections_total", "sabor_page_views_total", "sabor_active_sessions",
                   "sabor_topic_model_fit_seconds", "sabor_sentiment_drift", "sabor_db_size_bytes"):
        assert metric in text, f"no dashboard panel shows {metric}"
