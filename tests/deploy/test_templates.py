"""The chart's templates, read as text: the files the issue lists exist, their template
blocks balance, and the hardening the Deployment and NetworkPolicy promise is in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.chart import CHART, TEMPLATES, default_values, load_yaml, mapping

TEMPLATE_FILES = [
    "_helpers.tpl",
    "deployment.yaml",
    "configmap.yaml",
    "secret.yaml",
    "pvc.yaml",
    "service.yaml",
    "ingress.yaml",
    "networkpolicy.yaml",
    "servicemonitor.yaml",
    "prometheusrule.yaml",
    "NOTES.txt",
]
_OPEN = re.compile(r"\{\{-?\s*(if|with|range|define|block)\b")
_CLOSE = re.compile(r"\{\{-?\s*end\b")


def text(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def test_chart_yaml() -> None:
    chart = mapping(load_yaml(CHART / "Chart.yaml"))
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "slo-prep"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"]


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_template_exists(name: str) -> None:
    assert (TEMPLATES / name).is_file()


@pytest.mark.parametrize("path", sorted(TEMPLATES.iterdir()), ids=lambda p: p.name)
def test_template_blocks_balance(path: Path) -> None:
    # without helm here, an unclosed `if` would only show at install time
    source = path.read_text(encoding="utf-8")
    assert len(_OPEN.findall(source)) == len(_CLOSE.findall(source))
    assert source.count("{{") == source.count("}}")


def test_the_pod_is_hardened() -> None:
    deployment = text("deployment.yaml")
    assert "automountServiceAccountToken: false" in deployment
    assert "toYaml .Values.podSecurityContext" in deployment
    assert "toYaml .Values.securityContext" in deployment
    assert "automountServiceAccountToken: false" in text("serviceaccount.yaml")
    values = default_values()
    pod, container = values["podSecurityContext"], values["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["runAsNonRoot"] is True
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["privileged"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["resources"]["requests"] and values["resources"]["limits"]["memory"]


def test_the_pod_has_probes_a_rolling_config_and_its_writable_paths() -> None:
    deployment = text("deployment.yaml")
    values = default_values()
    assert values["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert values["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert f"{probe}:" in deployment and f".Values.{probe}" in deployment
    assert 'checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml")' in deployment
    for mount in ("/etc/slo-prep", "/data", "/tmp"):
        assert f"mountPath: {mount}" in deployment
    assert '"/etc/slo-prep/config.yaml"' in deployment
    assert "secretKeyRef" in deployment and "optional: true" in deployment


def test_one_scheduler_is_enforced() -> None:
    helpers = text("_helpers.tpl")
    assert re.search(r'gt \(int \.Values\.replicaCount\) 1\) \(include "slo-prep\.sqlite"', helpers)
    assert "{{- fail " in helpers
    assert text("deployment.yaml").startswith('{{- include "slo-prep.validate" . }}')
    assert 'include "slo-prep.sqlite"' in text("pvc.yaml")


def test_network_policy_covers_both_directions_and_dns() -> None:
    policy = text("networkpolicy.yaml")
    assert "- Ingress" in policy and "- Egress" in policy
    assert "port: 53\n          protocol: UDP" in policy
    assert "port: 53\n          protocol: TCP" in policy
    assert "ipBlock:" in policy and "port: 443" in policy


def test_network_policy_never_renders_an_empty_peer_list() -> None:
    # `from: []` / `to: []` means everyone: each rule must sit under its own guard
    lines = text("networkpolicy.yaml").splitlines()
    for number, line in enumerate(lines):
        if line.strip() in ("- from:", "- to:"):
            above = [lines[i].strip() for i in range(max(0, number - 3), number)]
            assert any(a.startswith(("{{- with", "{{- if")) for a in above), (
                f"networkpolicy.yaml:{number + 1} is not guarded"
            )


def test_the_ingress_exposes_only_slacks_paths_by_default() -> None:
    ingress = default_values()["ingress"]
    assert ingress["enabled"] is False
    paths = [p["path"] for host in ingress["hosts"] for p in host["paths"]]
    assert paths and all(path.startswith("/slack") for path in paths)


def test_monitoring_objects_are_optional() -> None:
    assert text("servicemonitor.yaml").startswith("{{- if .Values.serviceMonitor.enabled }}")
    assert text("prometheusrule.yaml").startswith("{{- if .Values.prometheusRule.enabled }}")
    assert text("ingress.yaml").startswith("{{- if .Values.ingress.enabled }}")


def test_notes_tell_how_to_check_health_and_draft() -> None:
    notes = text("NOTES.txt")
    assert "/healthz" in notes and "/readyz" in notes
    assert "slo-prep draft" in notes
