"""values.yaml and every ci/ case against values.schema.json, as ``helm install`` checks them;
wrong values are refused; the schema, the documentation and the config loader agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from daemon.config import load as config_load
from tests.deploy.chart import (
    CI_CASES,
    SCHEMA,
    VALUES,
    case_values,
    default_values,
    is_sqlite,
    merge_values,
    readme_examples,
)


def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # Helm reads draft-07; a schema that is itself malformed would accept anything
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def problems(values: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator().iter_errors(values)
    ]


def test_default_values_match_the_schema() -> None:
    assert problems(default_values()) == []


def test_there_are_ci_cases_for_each_deployment_shape() -> None:
    names = {case.name for case in CI_CASES}
    assert {
        "default-values.yaml",
        "postgres-ha-values.yaml",
        "http-mode-ingress-values.yaml",
        "existing-secret-values.yaml",
    } <= names


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_ci_case_matches_the_schema(case: Path) -> None:
    assert problems(case_values(case)) == []


def test_the_chart_readmes_examples_match_the_schema() -> None:
    for example in readme_examples():
        assert problems(example) == []


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_ci_case_passes_the_charts_own_checks(case: Path) -> None:
    # the conditions under which templates/_helpers.tpl `fail`s the render
    values = case_values(case)
    if values["replicaCount"] > 1:
        assert not is_sqlite(values), "replicaCount > 1 on SQLite: the chart refuses it"
    if values["secrets"]["existingSecret"]:
        assert not values["secrets"]["values"], "inline values beside an existing Secret"
    for var, value in values["secrets"]["values"].items():
        if value:
            assert var in values["secrets"]["keys"], f"no Secret key for {var}"


def test_the_ha_case_really_is_ha() -> None:
    values = case_values(next(c for c in CI_CASES if c.name == "postgres-ha-values.yaml"))
    assert values["replicaCount"] > 1
    assert not is_sqlite(values)
    assert values["strategy"]["type"] == "RollingUpdate"


def test_a_null_removes_a_default_key_as_helm_does() -> None:
    http_mode = case_values(next(c for c in CI_CASES if c.name == "http-mode-ingress-values.yaml"))
    assert "app_token" not in http_mode["config"]["slack"]
    assert http_mode["config"]["slack"]["bot_token"] == "${SLACK_BOT_TOKEN}"
    assert merge_values({"a": {"b": 1, "c": 2}}, {"a": {"c": None}, "d": [1]}) == {
        "a": {"b": 1},
        "d": [1],
    }


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("unknown top-level key", {"replicas": 2}, "'replicas' was unexpected"),
    ("unknown nested key", {"image": {"tags": "1.0"}}, "'tags' was unexpected"),
    ("replicaCount as text", {"replicaCount": "2"}, "is not of type 'integer'"),
    ("boolean as text", {"persistence": {"enabled": "yes"}}, "is not of type 'boolean'"),
    ("port out of range", {"service": {"port": 70000}}, "is greater than the maximum"),
    ("unknown config section", {"config": {"slak": {"mode": "socket"}}}, "'slak' was unexpected"),
    ("wrong config version", {"config": {"apiVersion": "v1"}}, "'slo-prep/v1' was expected"),
    ("config without services", {"config": {"services": []}}, "should be non-empty"),
    ("listen without a port", {"config": {"http": {"listen": "0.0.0.0"}}}, "does not match"),
    ("digest not sha256", {"image": {"digest": "latest"}}, "does not match"),
    ("bad pull policy", {"image": {"pullPolicy": "Sometimes"}}, "is not one of"),
    ("bad strategy", {"strategy": {"type": "BlueGreen"}}, "is not one of"),
    (
        "ingress path type",
        {"ingress": {"hosts": [{"host": "a", "paths": [{"path": "/", "pathType": "Any"}]}]}},
        "is not one of",
    ),
    ("env var name", {"secrets": {"keys": {"slack-token": "x"}}}, "does not match"),
    ("secret value not text", {"secrets": {"values": {"PAGERDUTY_TOKEN": 12}}}, "not of type"),
    ("size not a quantity", {"persistence": {"size": "1 GB"}}, "does not match"),
    ("peers not a list", {"networkPolicy": {"ingress": {"prometheus": {}}}}, "not of type 'array'"),
    ("egress port as text", {"networkPolicy": {"egress": {"store": {"ports": ["pg"]}}}}, "type"),
    ("scrape interval", {"serviceMonitor": {"interval": "30 seconds"}}, "does not match"),
]


@pytest.mark.parametrize(
    ("override", "expected"),
    [(override, expected) for _, override, expected in INVALID],
    ids=[name for name, _, _ in INVALID],
)
def test_wrong_values_are_refused(override: dict[str, Any], expected: str) -> None:
    found = problems(merge_values(default_values(), override))
    assert found, f"{override} was accepted"
    assert any(expected in problem for problem in found), found


def test_every_top_level_value_is_typed() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(default_values())
    for key, sub in schema["properties"].items():
        assert "type" in sub, f"{key} has no type"


def test_the_config_schema_knows_exactly_the_loaders_sections() -> None:
    # a section added to the loader must be allowed here, and a typo refused
    config = json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]["config"]
    assert config["additionalProperties"] is False
    assert set(config["properties"]) == set(config_load._TOP_KEYS)


# Free-form Kubernetes objects and the slo-prep config: documented where they are defined.
_FREE_FORM = (
    "config.",
    "strategy.",
    "podSecurityContext.",
    "securityContext.",
    "resources.",
    "livenessProbe.",
    "readinessProbe.",
    "startupProbe.",
    "secrets.keys.",
)
_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][\w.-]*):(?:\s|$)")


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key path -> 0-based line of every mapping key outside lists."""
    found: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines()):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        match = _KEY_LINE.match(line)
        if match is None:
            # a list item: nothing below it is a chart key; keep a marker that hides them
            stack.append((indent, "[]"))
            continue
        path = ".".join([name for _, name in stack] + [match["key"]])
        if "[]" not in path:
            found[path] = number
        stack.append((indent, match["key"]))
    return found


def _leaves(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict) and value:
        return [leaf for key, sub in value.items() for leaf in _leaves(sub, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def test_values_yaml_documents_every_key() -> None:
    text = VALUES.read_text(encoding="utf-8")
    lines = text.splitlines()
    where = _key_lines(text)
    undocumented = []
    for leaf in _leaves(default_values()):
        if leaf.startswith(_FREE_FORM):
            continue
        number = where[leaf]
        if number == 0 or not lines[number - 1].lstrip().startswith("#"):
            undocumented.append(leaf)
    assert undocumented == [], f"keys without a comment line right above them: {undocumented}"


def test_defaults_are_one_scheduler_on_sqlite_with_operator_objects_off() -> None:
    # the operator's CRDs may not exist in the cluster: a default install must not need them
    values = default_values()
    assert values["replicaCount"] == 1
    assert values["strategy"] == {"type": "Recreate"}
    assert is_sqlite(values)
    assert values["serviceMonitor"]["enabled"] is False
    assert values["prometheusRule"]["enabled"] is False
