"""Where the deployment files are, Helm's way of combining values, the alerts, and the
metrics the daemon exposes, for tests/deploy.

No ``helm`` binary is needed: values are merged here exactly as Helm coalesces a user's
values file into the chart defaults (maps merge key by key, anything else replaces, a null
removes the key), so what the tests validate is what ``helm install -f CASE`` would render.
"""

from __future__ import annotations

import ast
import copy
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "slo-prep"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
TEMPLATES = CHART / "templates"
CI_CASES = sorted((CHART / "ci").glob("*-values.yaml"))
CHART_README = REPO / "helm" / "README.md"
RULES = CHART / "files" / "rules.yaml"
RULES_TEST = CHART / "files" / "rules.test.yaml"
RUNBOOKS = REPO / "runbooks"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
METRICS_MODULE = REPO / "daemon" / "runtime" / "metrics.py"

PROJECT_URL = "https://github.com/slo-prep/slo-prep"
RUNBOOK_URL = f"{PROJECT_URL}/blob/main/runbooks/{{name}}.md"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def mapping(value: object) -> dict[str, Any]:
    assert isinstance(value, dict), f"expected a mapping, got {type(value).__name__}"
    return value


def default_values() -> dict[str, Any]:
    return mapping(load_yaml(VALUES))


def merge_values(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of user values over chart defaults."""
    merged = copy.deepcopy(dict(defaults))
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def case_values(case: Path) -> dict[str, Any]:
    """The values ``helm install -f case`` works with. An empty case file means defaults."""
    overrides = load_yaml(case)
    return merge_values(default_values(), mapping(overrides) if overrides is not None else {})


def readme_examples() -> list[dict[str, Any]]:
    """The values files shown in helm/README.md (its yaml blocks), merged as Helm would."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", CHART_README.read_text("utf-8"), re.M | re.S)
    assert blocks, f"{CHART_README} shows no values"
    return [merge_values(default_values(), mapping(yaml.safe_load(block))) for block in blocks]


def is_sqlite(values: Mapping[str, Any]) -> bool:
    """The chart's ``slo-prep.sqlite`` helper: no store URL, or a sqlite: one. A ``${VAR}``
    counts as PostgreSQL."""
    store = mapping(values["config"]).get("store") or {}
    url = str(mapping(store).get("url") or "")
    return url == "" or url.startswith("sqlite:")


def alerts() -> list[dict[str, Any]]:
    rules = mapping(load_yaml(RULES))
    found = [
        mapping(rule)
        for group in rules["groups"]
        for rule in mapping(group)["rules"]
        if "alert" in mapping(rule)
    ]
    assert found, f"{RULES} defines no alert"
    return found


def alert_names() -> list[str]:
    return [str(rule["alert"]) for rule in alerts()]


def promtool() -> str:
    """The promtool binary; its absence fails the test (the rules would go unchecked)."""
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is not installed: the alerting rules cannot be checked. "
            "Install Debian's `prometheus` package (apt-get install prometheus).",
            pytrace=False,
        )
    return found


@dataclass(frozen=True)
class Metric:
    labels: frozenset[str]
    # words of its help text: the documented label values
    words: frozenset[str] = field(default_factory=frozenset)


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def exposed_metrics() -> tuple[dict[str, Metric], set[str]]:
    """Every series name the daemon's registry exposes, with its labels; and every string
    constant of the module (the label values it initialises)."""
    tree = ast.parse(METRICS_MODULE.read_text(encoding="utf-8"))
    metrics: dict[str, Metric] = {}
    constants = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        kind = node.func.id
        if kind not in {"Gauge", "Counter", "Histogram", "Summary"} or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        name = first.value
        second = node.args[1] if len(node.args) > 1 else None
        help_text = second.value if isinstance(second, ast.Constant) else ""
        labels = _strings(node.args[2]) if len(node.args) > 2 else []
        labels += [s for kw in node.keywords if kw.arg == "labelnames" for s in _strings(kw.value)]
        words = frozenset(re.findall(r"[a-z_]+", str(help_text)))
        if kind == "Gauge":
            series = {name: labels}
        elif kind == "Counter":
            base = name.removesuffix("_total")
            series = {f"{base}_total": labels, f"{base}_created": labels}
        else:
            series = {f"{name}_{s}": labels for s in ("sum", "count", "created")}
            if kind == "Histogram":
                series[f"{name}_bucket"] = [*labels, "le"]
            else:
                series[name] = [*labels, "quantile"]
        for series_name, series_labels in series.items():
            metrics[series_name] = Metric(frozenset(series_labels), words)
    assert metrics, f"no metric found in {METRICS_MODULE}"
    return metrics, constants
