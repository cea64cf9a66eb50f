"""Prometheus config and alert rules, checked by the real promtool (Debian package `prometheus`)."""
from __future__ import annotations

import subprocess

import yaml

from tests.deployment.conftest import DEPLOY

PROM = DEPLOY / "prometheus"


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=PROM, capture_output=True, text=True, timeout=60, check=False)


def test_promtool_check_config(promtool):
    r = _run([promtool, "check", "config", "prometheus.yml"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_promtool_check_rules(promtool):
    r = _run([promtool, "check", "rules", "alert.rules"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_promtool_rule_unit_tests_pass(promtool):
    r = _run([promtool, "test", "rules", "alert.rules.test.yml"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def _alerts() -> dict[str, dict]:
    rules = yaml.safe_load((PROM / "alert.rules").read_text())
    return {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}


def test_required_alerts_exist_with_severity_and_help():
    alerts = _alerts()
    for name in ("SaborDown", "SaborIngestRejectsHigh", "SaborUploadErrorsSpike", "SaborInferenceLatencyHigh",
                 "SaborLLMErrors", "SaborSQLGuardRejectionsSpike", "SaborSentimentDrift",
                 "SaborDBVolumeNearlyFull", "SaborNoNewFeedback", "SaborAlertDeliveriesFailing"):
        assert name in alerts, f"missing alert {name}"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"].get("summary") and rule["annotations"].get("description"), name


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    spec = yaml.safe_load((PROM / "alert.rules.test.yml").read_text())
    fired, quiet = set(), set()
    for case in spec["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = set(_alerts())
    assert names - fired == set(), f"alerts never shown to fire in a unit test: {sorted(names - fired)}"
    assert names - quiet == set(), f"alerts never shown to stay quiet in a unit test: {sorted(names - quiet)}"


def test_every_alert_is_explained_in_the_operations_guide():
    guide = (DEPLOY / "README.md").read_text()
    missing = [a for a in _alerts() if a not in guide]
    assert not missing, f"deployment/README.md does not explain: {missing}"


def test_kubernetes_discovery_example_is_a_valid_config(promtool, tmp_path):
    # The commented Kubernetes job in prometheus.yml must be valid once uncommented (it replaces the
    # static one).
    text = (PROM / "prometheus.yml").read_text()
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if x.strip() == "# - job_name: sabor")
    block = []
    for x in lines[start:]:
        if not x.strip().startswith("#") or not x.startswith("  #"):
            break
        block.append(x.replace("  # ", "  ", 1) if x.startswith("  # ") else x)
    cfg = yaml.safe_load(text)
    cfg["scrape_configs"] = yaml.safe_load("\n".join(block))
    cfg["rule_files"] = [str(PROM / "alert.rules")]
    job = cfg["scrape_configs"][0]
    assert job["job_name"] == "sabor" and job.pop("kubernetes_sd_configs") == [{"role": "pod"}]
    # Debian's Prometheus build leaves out Kubernetes discovery, so promtool checks the rest of the job
    # (the relabelling that maps the prometheus.io/* annotations) with a static target in its place.
    job["static_configs"] = [{"targets": ["127.0.0.1:9108"]}]
    (tmp_path / "k8s.yml").write_text(yaml.safe_dump(cfg))
    r = subprocess.run([promtool, "check", "config", str(tmp_path / "k8s.yml")], capture_output=True,
                       text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
