"""Shared fixtures: a real Prometheus 2.x backfilled with the synthetic scenario."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import build_scenario
from tests.support.tls import Tls, self_signed


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
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for loopback fakes that must speak HTTPS."""
    return self_signed(tmp_path_factory.mktemp("tls"))
