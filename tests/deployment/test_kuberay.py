"""The KubeRay RayJob (deployment/kubernetes/rayjob.yaml): valid against KubeRay's RayJob v1 schema (strict:
an unknown field is an error, as with `kubectl --validate=strict`), its pod templates valid Kubernetes
(kubernetes-validate, strict), and it runs `sabor analyze --engine ray` beside the app's volume and config."""
from __future__ import annotations

import copy
import json
import shlex

import pytest
import yaml

from tests.deployment.conftest import DEPLOY, ROOT
from tests.deployment.test_kubernetes import load, validator

K8S = DEPLOY / "kubernetes"
SCHEMA = ROOT / "tests" / "deployment" / "data" / "kuberay_rayjob_v1.schema.json"


def _strict(schema):
    """The CRD's structural schema with unknown fields forbidden wherever properties are listed (the API
    server prunes them silently; strict field validation refuses them)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _validate_rayjob(doc: dict) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    schema.pop("$comment", None)
    jsonschema.Draft7Validator(_strict(schema)).validate(doc)
    kv = validator()
    spec = doc["spec"]["rayClusterSpec"]
    templates = [spec["headGroupSpec"]["template"]] + [g["template"] for g in spec["workerGroupSpecs"]]
    for t in templates:
        kv.validate({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": t},
                    kv.latest_version(), strict=True)


def rayjob() -> dict:
    (doc,) = [d for d in yaml.safe_load_all((K8S / "rayjob.yaml").read_text()) if d]
    return doc


def test_rayjob_is_valid_against_the_kuberay_schema_and_kubernetes():
    doc = rayjob()
    assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayJob"
    _validate_rayjob(doc)


@pytest.mark.parametrize("breakage", ["unknown_spec_field", "replicas_text", "bad_pod_field", "flag_text"])
def test_the_validation_rejects_a_broken_rayjob(breakage):
    import jsonschema

    doc = copy.deepcopy(rayjob())
    spec = doc["spec"]
    if breakage == "unknown_spec_field":
        spec["entrypointt"] = spec["entrypoint"]
    elif breakage == "replicas_text":
        spec["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"] = "cuatro"
    elif breakage == "bad_pod_field":
        spec["rayClusterSpec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["imagen"] = "x"
    else:
        spec["shutdownAfterJobFinishes"] = "sí"
    with pytest.raises((jsonschema.ValidationError, validator().ValidationError)):
        _validate_rayjob(doc)


def test_rayjob_runs_the_ray_engine_on_the_apps_volume_and_config():
    doc, dep, pvc, cm = rayjob(), load("deployment.yaml"), load("pvc.yaml"), load("configmap.yaml")
    spec = doc["spec"]
    argv = shlex.split(spec["entrypoint"])
    assert argv[:4] == ["sabor", "analyze", "--engine", "ray"]
    assert argv[argv.index("--address") + 1] == "auto"          # the cluster the job runs on
    assert spec["shutdownAfterJobFinishes"] is True
    app = dep["spec"]["template"]["spec"]["containers"][0]
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"ray[data]=={spec['rayClusterSpec']['rayVersion']}" in requirements
    head = spec["rayClusterSpec"]["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"             # the driver only: actors on workers
    groups = spec["rayClusterSpec"]["workerGroupSpecs"]
    pods = [head["template"]["spec"]] + [g["template"]["spec"] for g in groups]
    for pod in pods:
        (c,) = pod["containers"]
        assert c["image"] == app["image"] and c["envFrom"] == app["envFrom"]
        assert pod["securityContext"] == dep["spec"]["template"]["spec"]["securityContext"]
    # only the head (the one DuckDB writer) mounts the database volume
    claims = [v["persistentVolumeClaim"]["claimName"] for pod in pods for v in pod.get("volumes", [])
              if "persistentVolumeClaim" in v]
    assert claims == [pvc["metadata"]["name"]]
    (head_c,) = head["template"]["spec"]["containers"]
    assert {m["mountPath"] for m in head_c["volumeMounts"]} >= {"/data"}
    assert cm["data"]["SABOR_DB"].startswith("/data/")
    text = (K8S / "rayjob.yaml").read_text()
    assert "ONE writer" in text and "scaled" in text
    assert "rayjob.yaml" not in (K8S / "kustomization.yaml").read_text()
