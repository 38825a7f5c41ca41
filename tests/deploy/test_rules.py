"""The chart's alerting rules: promtool checks and unit-tests them for real, every alert is
covered both ways, and every metric and label they read exists in daemon/runtime/metrics.py."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.deploy.chart import (
    CHART,
    DOCKERFILE,
    PROJECT_URL,
    RULES,
    RULES_TEST,
    RUNBOOK_URL,
    TEMPLATES,
    alert_names,
    alerts,
    exposed_metrics,
    load_yaml,
    mapping,
    promtool,
)

SEVERITIES = {"critical", "warning"}
# labels Prometheus adds to every scraped series (ServiceMonitor targets), not the daemon
TARGET_LABELS = {"job", "namespace", "service", "pod", "instance", "container", "endpoint"}
_SELECTOR = re.compile(r"\b(slo_prep_[a-z0-9_]+)\b(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_check_rules() -> None:
    result = _run("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_test_rules() -> None:
    result = _run("test", "rules", RULES_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _rule_tests() -> list[dict[str, Any]]:
    suite = mapping(load_yaml(RULES_TEST))
    assert suite["rule_files"] == [RULES.name]
    return [mapping(case) for test in suite["tests"] for case in mapping(test)["alert_rule_test"]]


@pytest.mark.parametrize("name", alert_names())
def test_every_alert_is_unit_tested_firing_and_silent(name: str) -> None:
    cases = [case for case in _rule_tests() if case["alertname"] == name]
    assert any(case.get("exp_alerts") for case in cases), f"no test where {name} fires"
    assert any(not case.get("exp_alerts") for case in cases), f"no test where {name} is silent"


def test_alert_names_are_literal_and_unique() -> None:
    names = alert_names()
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"SloPrep[A-Z][A-Za-z]+", name), name


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_has_severity_summary_description_and_runbook(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in SEVERITIES
    annotations = rule["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    assert annotations["summary"].strip() and annotations["description"].strip()
    assert annotations["runbook_url"] == RUNBOOK_URL.format(name=rule["alert"])


def test_the_rules_file_has_no_helm_template_syntax() -> None:
    # the PrometheusRule includes the file unrendered: only Prometheus' own templates may appear
    text = RULES.read_text(encoding="utf-8")
    for template in re.findall(r"\{\{.*?\}\}", text):
        assert re.fullmatch(r"\{\{ \$(labels\.[a-z_]+|value)( \| [a-zA-Z]+)? \}\}", template), (
            template
        )
    assert ".Values" not in text and ".Release" not in text


def test_the_prometheusrule_template_includes_the_file() -> None:
    template = (TEMPLATES / "prometheusrule.yaml").read_text(encoding="utf-8")
    assert '.Files.Get "files/rules.yaml"' in template


def test_the_job_the_rules_select_is_the_one_the_servicemonitor_sets() -> None:
    monitor = (TEMPLATES / "servicemonitor.yaml").read_text(encoding="utf-8")
    assert re.search(r"targetLabel: job\s+replacement: slo-prep\b", monitor)
    jobs = set(re.findall(r'job="([^"]*)"', RULES.read_text(encoding="utf-8")))
    assert jobs == {"slo-prep"}


def test_the_project_url_is_the_same_everywhere() -> None:
    chart = mapping(load_yaml(CHART / "Chart.yaml"))
    assert chart["home"] == PROJECT_URL
    assert f'org.opencontainers.image.source="{PROJECT_URL}"' in DOCKERFILE.read_text(
        encoding="utf-8"
    )


def _selectors() -> list[tuple[str, str, str, str, str]]:
    """(alert, metric, label, operator, value) for every slo_prep_* metric in an expression;
    label, operator and value are empty for a bare metric name."""
    found = []
    for rule in alerts():
        for metric, matchers in _SELECTOR.findall(str(rule["expr"])):
            found.append((str(rule["alert"]), metric, "", "", ""))
            for label, op, value in _MATCHER.findall(matchers):
                found.append((str(rule["alert"]), metric, label, op, value))
    return found


def test_every_metric_in_the_rules_exists_in_the_daemon() -> None:
    metrics, _ = exposed_metrics()
    used = {(alert, metric) for alert, metric, *_ in _selectors()}
    missing = sorted(f"{alert}: {metric}" for alert, metric in used if metric not in metrics)
    assert missing == [], f"not exposed by daemon/runtime/metrics.py: {missing}"
    # the rules do read the daemon's metrics, not only `up`
    assert len({metric for _, metric in used}) >= 8


def test_every_label_the_rules_match_exists_on_its_metric() -> None:
    metrics, constants = exposed_metrics()
    wrong = []
    for alert, metric, label, op, value in _selectors():
        if not label or label in TARGET_LABELS or metric not in metrics:
            continue
        if label not in metrics[metric].labels:
            wrong.append(f"{alert}: {metric} has no label {label}")
        # an exact value must be one the daemon sets or documents in the metric's help
        elif op == "=" and value not in constants and value not in metrics[metric].words:
            wrong.append(f"{alert}: {metric}{{{label}={value!r}}} is never set")
    assert wrong == []
