"""Shared fixtures: a real Prometheus 2.x backfilled with the synthetic scenario."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import build_scenario
from tests.generator.victoria_metrics_server import VictoriaMetricsServer
from tests.support.fuzz import load_profile
from tests.support.tls import Tls, self_signed

# HYPOTHESIS_PROFILE=ci (default: small, derandomized) or nightly (10,000 examples a target)
load_profile()


@pytest.fixture(scope="session")
def prometheus() -> Iterator[PrometheusServer]:
    """Running Prometheus with the default scenario (``.url``, ``.scenario``, ``.at``).

    Started lazily, once per session, only if a test requests it; queries should be pinned
    to ``.at`` (data after it exists on purpose).
    """
    t0 = time.monotonic()
    scenario = build_scenario()
    server = PrometheusServer(scenario)
    server.timings["build_scenario"] = time.monotonic() - t0
    server.start()  # adds "backfill" (OpenMetrics + promtool) and "start" timings
    server.timings["total"] = time.monotonic() - t0
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def victoria_metrics() -> Iterator[VictoriaMetricsServer]:
    """Running VictoriaMetrics with the default scenario, loaded through its import API; the
    same ``.url``, ``.scenario`` and ``.at`` as ``prometheus``. A missing binary fails, never
    skips."""
    t0 = time.monotonic()
    server = VictoriaMetricsServer(build_scenario())
    server.timings["build_scenario"] = time.monotonic() - t0
    server.start()  # adds "start", "import" and "queryable" timings
    server.timings["total"] = time.monotonic() - t0
    try:
        yield server
    finally:
        server.stop()


#: the Prometheus-compatible query backends the ground-truth suite runs against
BACKENDS = ("prometheus", "victoria_metrics")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> PrometheusServer | VictoriaMetricsServer:
    """Each backend in turn (a test taking it runs once per backend), loaded with the same
    scenario; ``.name`` says which, for the few figures where their semantics differ (see
    tests/generator/backend_truth.py)."""
    server: PrometheusServer | VictoriaMetricsServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for loopback fakes that must speak HTTPS."""
    return self_signed(tmp_path_factory.mktemp("tls"))
