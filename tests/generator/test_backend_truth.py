"""backend_truth.py against the real backends it describes, and against the exact truth where
the two must agree."""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.generator import backend_truth, truth
from tests.generator.backend_truth import PROMETHEUS, VICTORIA_METRICS, Backend
from tests.generator.synthetic import AT, DURATION, MINUTE, REQUESTS, Scenario, build_scenario

BACKENDS = (PROMETHEUS, VICTORIA_METRICS)
#: instants on and off the sample grid, one right at a restart of checkout/a
OFF = (0, 5, 20, 45)
WINDOWS = (60, 90, 120, 300, 3600, 30 * 86400, 60 * 86400)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario()


def _answer(url: str, expr: str, at: datetime) -> float | None:
    """The one value of an instant query, None when empty (asked of the server directly)."""
    query = urllib.parse.urlencode({"query": expr, "time": f"{at.timestamp():.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=30) as response:
        result = json.loads(response.read())["data"]["result"]
    assert len(result) <= 1, (expr, result)
    return float(result[0]["value"][1]) if result else None


def _window(seconds: int) -> str:
    return f"{seconds}s"


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.prometheus
def test_rate_and_increase_are_what_each_backend_answers(backend: Backend) -> None:
    sc = backend.scenario
    restart = sc.time_of(
        sc.reset_minutes(sc.find(REQUESTS, service="checkout", instance="a", code="200"))[2]
    )
    picks = [
        sc.find(REQUESTS, service="checkout", instance="a", code="500"),
        sc.find(REQUESTS, service="checkout", instance="b", code="200"),
        sc.find(f"{DURATION}_bucket", service="checkout", instance="a", le="0.25"),
    ]
    instants = [base + timedelta(seconds=s) for base in (AT, restart) for s in OFF]
    # near the first sample: windows reach before the history
    instants.append(sc.start + timedelta(minutes=3, seconds=20))
    differ = 0
    for series in picks:
        for t in instants:
            for w in WINDOWS:
                for fn, model in (
                    ("rate", backend_truth.rate),
                    ("increase", backend_truth.increase),
                ):
                    got = _answer(backend.url, f"{fn}({series.selector}[{_window(w)}])", t)
                    want = model(backend.name, sc, series, t, w)
                    assert _close(got, want), (fn, series.selector, t, w, got, want)
                    other = PROMETHEUS if backend.name == VICTORIA_METRICS else VICTORIA_METRICS
                    differ += not _close(want, model(other, sc, series, t, w))
    # the two backends' semantics are not the same model: most of these answers differ
    assert differ > len(picks) * len(instants) * len(WINDOWS)


@pytest.mark.parametrize("name", BACKENDS)
def test_ranges_equal_each_instant(scenario: Scenario, name: str) -> None:
    series = scenario.find(REQUESTS, service="checkout", instance="a", code="200")
    for first in (AT - timedelta(days=3), AT + timedelta(seconds=5), scenario.start):
        for w in (60, 300, 3600):
            for off in (0, 20):
                start = first + timedelta(seconds=off)
                each = [
                    backend_truth.rate(name, scenario, series, start + i * MINUTE, w)
                    for i in range(200)
                ]
                assert backend_truth.rates(name, scenario, series, start, 199, w) == each


@pytest.mark.parametrize(
    ("sli", "objective", "window", "at"),
    [
        ("availability", 99.9, "30d", AT),
        ("latency", 99.0, "28d", datetime(2026, 11, 10, 7, 13, tzinfo=UTC)),
    ],
)
def test_on_the_grid_prometheus_is_the_exact_truth(
    scenario: Scenario, sli: str, objective: float, window: str, at: datetime
) -> None:
    budget = backend_truth.budget(PROMETHEUS, scenario, sli, objective, window, at)
    exact = truth.budget_truth(scenario, sli, objective, window, at)
    assert _close(budget["error_ratio"], exact["error_ratio"])
    assert all(_close(budget["burn_rates"][k], v) for k, v in exact["burn_rates"].items())
    assert backend_truth.firings(PROMETHEUS, scenario, sli, objective, window, at) == (
        truth.firings_truth(scenario, sli, objective, window, at)
    )


def test_victoria_metrics_reads_each_minute_as_a_two_minute_mean(scenario: Scenario) -> None:
    """On the grid, VictoriaMetrics 1.79's rate(x[1m]) spans the two scrape intervals before t."""
    first = AT - timedelta(hours=2)
    bad, total = backend_truth.minutes(VICTORIA_METRICS, scenario, "availability", first, AT)
    for i, (b, n) in enumerate(zip(bad, total, strict=True)):
        t = first + i * MINUTE
        now = truth.events(scenario, "availability", t - MINUTE, t)
        before = truth.events(scenario, "availability", t - 2 * MINUTE, t - MINUTE)
        assert _close(b, (now[0] + before[0]) / 2) and _close(n, (now[1] + before[1]) / 2)
