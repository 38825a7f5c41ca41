"""The chart rendered and linted by Helm itself, through helm-python-sdk (Helm's Go SDK as a
native library: no ``helm`` binary, no cluster). Without that package these tests skip and
the text-level checks in test_templates.py are what remains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Helm's own Go SDK (no helm binary can be installed here): a dev dependency, so a missing
# install fails the suite instead of skipping the only real render of the chart
import helm_python as helm
import pytest
import yaml

from tests.deploy.chart import CHART, CI_CASES, RULES, case_values, default_values, mapping
from tests.deploy.pod import pod_environment, validate

RELEASE = "slo-prep"
NAMESPACE = "slo-prep"


def render(
    case: Path | None = None, overrides: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every object ``helm template`` would print, values given as ``-f case``."""
    values: dict[str, Any] = {}
    if case is not None:
        values = helm.values_from_yaml(case.read_text(encoding="utf-8")) or {}
    values.update(overrides or {})
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return [
        mapping(document)
        for path, text in sorted(manifests.items())
        if not path.endswith("NOTES.txt")
        for document in yaml.safe_load_all(text)
        if document
    ]


def the(kind: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {str(o["kind"]) for o in objects}


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_helm_lint_is_clean(case: Path) -> None:
    values = helm.values_from_yaml(case.read_text(encoding="utf-8")) or {}
    report = helm.lint(str(CHART), values, strict=True, kube_version="v1.30.0")
    assert report["errors"] == []
    # severity 1 is information (e.g. "icon is recommended"); 2 and up are problems
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_rendered_configmap_passes_validate_config(case: Path, tmp_path: Path) -> None:
    objects = render(case)
    config = the("ConfigMap", objects)["data"]["config.yaml"]
    result = validate(config, pod_environment(case_values(case)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_rendered_pod_is_hardened(case: Path) -> None:
    objects = render(case)
    pod = the("Deployment", objects)["spec"]["template"]
    spec = pod["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (container,) = spec["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["limits"]["memory"]
    assert len(pod["metadata"]["annotations"]["checksum/config"]) == 64
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert set(mounts) == {"/etc/slo-prep", "/data", "/tmp"}
    port = container["ports"][0]["containerPort"]
    listen = case_values(case)["config"]["http"]["listen"]
    assert listen.endswith(f":{port}")


def test_default_install() -> None:
    objects = render()
    assert kinds(objects) == {
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "Secret",
        "Service",
        "ServiceAccount",
    }
    deployment = the("Deployment", objects)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert (
        volumes["data"]["persistentVolumeClaim"]["claimName"]
        == the("PersistentVolumeClaim", objects)["metadata"]["name"]
    )
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["name"] for e in env} == set(default_values()["secrets"]["keys"])


def test_postgres_ha_has_no_volume_claim_and_monitoring_objects() -> None:
    objects = render(CHART / "ci" / "postgres-ha-values.yaml")
    assert "PersistentVolumeClaim" not in kinds(objects)
    assert "Secret" not in kinds(objects)
    assert {"ServiceMonitor", "PrometheusRule"} <= kinds(objects)
    deployment = the("Deployment", objects)
    assert deployment["spec"]["replicas"] == 3
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes["data"]
    # the PrometheusRule carries rules.yaml exactly
    assert the("PrometheusRule", objects)["spec"] == yaml.safe_load(RULES.read_text("utf-8"))
    endpoint = the("ServiceMonitor", objects)["spec"]["endpoints"][0]
    assert {"action": "replace", "targetLabel": "job", "replacement": "slo-prep"} in endpoint[
        "relabelings"
    ]


def test_http_mode_ingress_and_inline_secret() -> None:
    objects = render(CHART / "ci" / "http-mode-ingress-values.yaml")
    ingress = the("Ingress", objects)
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert paths == ["/slack"]
    secret = the("Secret", objects)
    assert set(secret["data"]) == {"slack-bot-token", "slack-signing-secret"}


def test_existing_secret_is_referenced_and_not_created() -> None:
    objects = render(CHART / "ci" / "existing-secret-values.yaml")
    assert "Secret" not in kinds(objects)
    assert "PersistentVolumeClaim" not in kinds(objects)
    env = the("Deployment", objects)["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env}
    assert refs["SLACK_BOT_TOKEN"] == {
        "name": "slo-prep-from-vault",
        "key": "bot",
        "optional": True,
    }


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_network_policy_has_no_rule_open_to_everyone(case: Path) -> None:
    policies = [o for o in render(case) if o["kind"] == "NetworkPolicy"]
    for policy in policies:
        for rule in policy["spec"].get("ingress") or []:
            assert rule.get("from"), f"ingress rule open to every source: {rule}"
        for rule in policy["spec"].get("egress") or []:
            assert rule.get("to"), f"egress rule open to every destination: {rule}"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"replicaCount": 2}, "needs a PostgreSQL store"),
        ({"replicas": 2}, "'replicas' not allowed"),
        ({"replicaCount": "2"}, "want integer"),
        ({"secrets": {"existingSecret": "s", "values": {"SLACK_BOT_TOKEN": "x"}}}, "must be empty"),
        ({"config": {"http": {"listen": "0.0.0.0:0"}}}, "port from 1 to 65535"),
    ],
)
def test_helm_refuses(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(helm.HelmError) as caught:
        render(overrides=overrides)
    assert expected in str(getattr(caught.value, "detail", caught.value))
