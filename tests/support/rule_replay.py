"""Replays what a daemon's ``/metrics`` showed against the chart's alerting rules with
``promtool test rules``: does the alert the runbooks promise fire for what really happened?

Each ``scrape`` is one minute of replay time (promtool's ``time()`` starts at 0). Counters and
gauges keep the values scraped. Gauges holding a Unix time (``*_timestamp_seconds``) are
moved onto the replay clock: a value first seen at scrape ``i`` becomes ``60 * i`` (0, never,
stays 0), so ``time() - slo_prep_cycle_last_success_timestamp_seconds`` measures the same
number of scrapes as it did live. The rules are ``helm/slo-prep/files/rules.yaml`` with only
their annotations removed (promtool would otherwise compare their rendered text): expression,
``for`` and labels are the shipped ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parents[2] / "helm" / "slo-prep" / "files" / "rules.yaml"
# the labels a ServiceMonitor gives every scraped series
TARGET = {"job": "slo-prep", "namespace": "faults", "service": "slo-prep", "pod": "slo-prep-0"}
_SKIP_SUFFIXES = ("_bucket", "_sum", "_count", "_created")

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]


class MetricsTimeline:
    def __init__(self) -> None:
        self.scrapes: list[dict[SeriesKey, float]] = []

    def scrape(self, exposition: bytes | str) -> None:
        """Record one scrape of ``/metrics`` (one minute of replay time)."""
        text = exposition.decode() if isinstance(exposition, bytes) else exposition
        samples: dict[SeriesKey, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name.endswith(_SKIP_SUFFIXES):
                    continue
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        self.scrapes.append(samples)

    def values(self, name: str, **labels: str) -> list[float | None]:
        """The scraped values of one series, one per scrape (None where it was absent)."""
        key = (name, tuple(sorted(labels.items())))
        return [s.get(key) for s in self.scrapes]

    def input_series(self) -> list[dict[str, str]]:
        keys = sorted({k for s in self.scrapes for k in s})
        series = []
        for name, labels in keys:
            raw = [s.get((name, labels)) for s in self.scrapes]
            if name.endswith("_timestamp_seconds"):
                raw = _onto_replay_clock(raw)
            selector = ",".join(
                f"{k}={json.dumps(v)}" for k, v in {**TARGET, **dict(labels)}.items()
            )
            values = " ".join("_" if v is None else repr(float(v)) for v in raw)
            series.append({"series": f"{name}{{{selector}}}", "values": values})
        return series

    def assert_alerts(self, expected: Mapping[tuple[str, int], bool], workdir: Path) -> None:
        """promtool checks, for each (alert name, replay minute), that the alert fires (True)
        or not (False) at that minute, with the labels the rule gives it; one run for all."""
        rules = _rules_without_annotations()
        labels = {r["alert"]: r["labels"] for r in rules}
        cases = []
        for (alertname, minute), fires in sorted(expected.items()):
            case: dict[str, Any] = {"eval_time": f"{minute}m", "alertname": alertname}
            target = {k: TARGET[k] for k in ("job", "namespace", "service")}
            case["exp_alerts"] = [{"exp_labels": target | labels[alertname]}] if fires else []
            cases.append(case)
        workdir.mkdir(parents=True, exist_ok=True)
        rules_file = workdir / "rules.yaml"
        rules_file.write_text(yaml.safe_dump({"groups": [{"name": "slo-prep", "rules": rules}]}))
        suite = {
            "rule_files": [str(rules_file)],
            "evaluation_interval": "1m",
            "tests": [
                {"interval": "1m", "input_series": self.input_series(), "alert_rule_test": cases}
            ],
        }
        test_file = workdir / "replay.test.yaml"
        test_file.write_text(yaml.safe_dump(suite, width=1_000_000))
        promtool = shutil.which("promtool")
        assert promtool is not None, "promtool is missing: apt-get install -y prometheus"
        done = subprocess.run(
            [promtool, "test", "rules", str(test_file)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{test_file}:\n{done.stdout}{done.stderr}"


def _onto_replay_clock(raw: list[float | None]) -> list[float | None]:
    first_seen: dict[float, int] = {}
    for i, value in enumerate(raw):
        if value is not None and value not in first_seen:
            first_seen[value] = i
    return [None if v is None else (0.0 if v == 0 else 60.0 * first_seen[v]) for v in raw]


def _rules_without_annotations() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    rules = [dict(rule) for group in document["groups"] for rule in group["rules"]]
    for rule in rules:
        rule.pop("annotations", None)
    return rules
