"""Kubernetes manifests: schema-valid (kubernetes-validate, strict, offline schemas) and wired together."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.deployment.conftest import DEPLOY, ROOT

K8S = DEPLOY / "kubernetes"
FILES = ["configmap.yaml", "secret.example.yaml", "pvc.yaml", "deployment.yaml", "service.yaml",
         "cronjob.yaml"]


def validator():
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate missing: pip install -r requirements-dev.txt", pytrace=False)
    return kubernetes_validate


def load(name: str) -> dict:
    (doc,) = [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return doc


@pytest.mark.parametrize("name", FILES)
def test_manifest_is_valid_against_the_kubernetes_schema(name):
    kv = validator()
    for doc in yaml.safe_load_all((K8S / name).read_text()):
        kv.validate(doc, kv.latest_version(), strict=True)  # raises ValidationError on any problem


def test_kustomization_lists_every_manifest_but_the_secret():
    k = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(k["resources"]) == set(FILES) - {"secret.example.yaml"}
    assert all((K8S / r).is_file() for r in k["resources"])


def test_single_replica_recreate_because_duckdb_is_single_writer():
    text = (K8S / "deployment.yaml").read_text()
    dep = load("deployment.yaml")
    assert dep["spec"]["replicas"] == 1 and dep["spec"]["strategy"]["type"] == "Recreate"
    comment = text[:text.index("replicas:")]
    assert "DuckDB" in comment and "single writer" in comment
    assert load("pvc.yaml")["spec"]["accessModes"] == ["ReadWriteOnce"]


def _container(dep: dict) -> dict:
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return c


def test_probes_resources_and_scrape_annotations():
    dep = load("deployment.yaml")
    c = _container(dep)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8501, "api": 8600, "metrics": 9108}
    for probe in ("startupProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == "/_stcore/health" and ports[get["port"]] == 8501, probe
    # ready = the API answers with the database and the model ready (it is public: no token in a probe)
    get = c["readinessProbe"]["httpGet"]
    assert get["path"] == "/api/v1/health" and ports[get["port"]] == 8600
    res = c["resources"]
    assert res["requests"]["memory"] == "2.5Gi" and res["limits"]["memory"] == "5Gi"
    assert "cpu" in res["requests"] and "cpu" in res["limits"]
    ann = dep["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and int(ann["prometheus.io/port"]) == ports["metrics"]
    assert ann["prometheus.io/path"] == "/metrics"


def test_pod_runs_as_the_image_user_with_the_volume_writable():
    dockerfile = (ROOT / "Dockerfile").read_text()
    image_uid = int(re.findall(r"^USER (\d+)", dockerfile, re.MULTILINE)[-1])
    spec = load("deployment.yaml")["spec"]["template"]["spec"]
    sc = spec["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == image_uid and sc["fsGroup"] == image_uid
    c = _container(load("deployment.yaml"))
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]
              if "persistentVolumeClaim" in v}
    assert claims[next(n for n, p in mounts.items() if p == "/data")] == load("pvc.yaml")["metadata"]["name"]


def test_config_secret_and_service_are_wired_to_the_deployment():
    dep, svc, cm, secret = load("deployment.yaml"), load("service.yaml"), load("configmap.yaml"), \
        load("secret.example.yaml")
    c = _container(dep)
    assert [e["configMapRef"]["name"] for e in c["envFrom"]] == [cm["metadata"]["name"]]
    key = next(e for e in c["env"] if e["name"] == "OPENAI_API_KEY")["valueFrom"]["secretKeyRef"]
    assert key["name"] == secret["metadata"]["name"] and key["key"] in secret["stringData"]
    assert key["optional"] is True, "without a key the app must still start (offline ask mode)"
    # The example never carries a real key.
    assert all(v in ("", None) for v in secret["stringData"].values())
    data = cm["data"]
    assert data["SABOR_DB"].startswith("/data/") and data["SABOR_METRICS_ADDR"] == "0.0.0.0"
    assert data["SABOR_METRICS_PORT"] == "9108" and "OPENAI_API_KEY" not in data
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert svc["spec"]["selector"].items() <= labels.items()
    container_ports = {p["name"] for p in c["ports"]}
    assert {p["targetPort"] for p in svc["spec"]["ports"]} <= container_ports
    assert {p["port"] for p in svc["spec"]["ports"]} == {8501, 8600, 9108}
    assert data["SABOR_API_ADDR"] == "0.0.0.0" and data["SABOR_API_PORT"] == "8600"


def test_kubernetes_validate_rejects_a_broken_manifest():
    # Guard against a validator that silently accepts anything (e.g. schemas missing offline).
    kv = validator()
    dep = load("deployment.yaml")
    dep["spec"]["replicas"] = "uno"
    _container(dep)["unknownField"] = True
    with pytest.raises(kv.ValidationError):
        kv.validate(dep, kv.latest_version(), strict=True)


def test_the_refresh_cronjob_runs_sabor_refresh_on_the_apps_volume_one_at_a_time():
    text = (K8S / "cronjob.yaml").read_text()
    cj, dep, svc = load("cronjob.yaml"), load("deployment.yaml"), load("service.yaml")
    spec = cj["spec"]
    assert spec["concurrencyPolicy"] == "Forbid" and spec["schedule"].split()[0] == "*/15"
    # shipped suspended, and the comment says why: the app holds the single DuckDB writer
    assert spec["suspend"] is True and "ONE writer" in text and "SABOR_INBOX" in text and "exits 75" in text
    job = spec["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and job["backoffLimit"] == 0
    (c,) = pod["containers"]
    app = _container(dep)
    assert c["image"] == app["image"] and "command" not in c             # the image's entry point stays
    assert c["args"][:4] == ["sabor", "refresh", "--inbox", "/data/inbox"] and "json" in c["args"]
    assert c["envFrom"] == app["envFrom"]
    secret = load("secret.example.yaml")
    for e in c["env"]:
        ref = e["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
        assert ref["optional"] is True
    assert {e["name"] for e in c["env"]} <= {e["name"] for e in app["env"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]
              if "persistentVolumeClaim" in v}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert claims[next(n for n, p in mounts.items() if p == "/data")] == load("pvc.yaml")["metadata"]["name"]
    assert pod["securityContext"] == dep["spec"]["template"]["spec"]["securityContext"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    # its pods are never behind the dashboard's Service; they prefer the app's node (ReadWriteOnce volume)
    labels = job["template"]["metadata"]["labels"]
    assert not svc["spec"]["selector"].items() <= labels.items()
    (pref,) = pod["affinity"]["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    app_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pref["podAffinityTerm"]["labelSelector"]["matchLabels"].items() <= app_labels.items()
    cm = load("configmap.yaml")["data"]
    assert cm["SABOR_INBOX"] == ""
    assert "SABOR_SMTP_PASSWORD" not in cm and "SABOR_ALERT_WEBHOOK_URL" not in cm
