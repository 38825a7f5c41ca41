"""Helpers shared by the tests that draft real packs: configs pointing at a test backend, and
the schema check every produced pack goes through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from daemon.schema import pack_schema

RATIO_SLI = {
    "error_query": 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))',
    "total_query": 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))',
}
LATENCY_SLI = {
    "latency": {
        "histogram": "http_request_duration_seconds",
        "selector": '{service="checkout"}',
        "threshold_seconds": 0.25,
    }
}
QUIET_SLI = {
    "error_query": 'sum(rate(http_requests_total{service="quiet",code="500"}[{{.window}}]))',
    "total_query": 'sum(rate(http_requests_total{service="quiet"}[{{.window}}]))',
}


def slo(name: str, objective: float, window: str, sli: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "objective": objective, "window": window, "sli": sli}


def write_config(
    directory: Path, url: str, services: dict[str, list[dict[str, Any]]], **prometheus: Any
) -> Path:
    """A config file (JSON is YAML) with the given services and their SLOs."""
    document = {
        "apiVersion": "slo-prep/v1",
        "prometheus": {"url": url, "retries": 0, "timeout_seconds": 10, **prometheus},
        "services": [{"name": name, "slos": slos} for name, slos in services.items()],
    }
    path = directory / "slo-prep.yaml"
    path.write_text(json.dumps(document, indent=2))
    return path


def validated(document: dict[str, Any]) -> dict[str, Any]:
    """The document, after checking it against the published pack schema."""
    validator = jsonschema.Draft202012Validator(
        pack_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)
    return document
