"""Pytest fixtures for a real Alertmanager and a real alerting Prometheus (function scope).

Use them from a test module with ``pytest_plugins = ["tests.support.alerting_fixtures"]`` (or
register them in tests/conftest.py)::

    def test_page_reaches_the_webhook(
        alertmanager_factory: AlertmanagerFactory,
        alerting_prometheus_factory: AlertingPrometheusFactory,
    ) -> None:
        am = alertmanager_factory(daemon_url + "/alertmanager/webhook", token="t0k")
        prom = alerting_prometheus_factory(am.address)
        ...

Every server a factory starts is stopped at teardown, also when the test fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from tests.support.alerting_prometheus import AlertingPrometheus
from tests.support.alertmanager_server import TEST_TOKEN, AlertmanagerServer, WebhookRecorder
from tests.support.processes import ServerProcess

_S = TypeVar("_S", bound=ServerProcess)


class AlertmanagerFactory(Protocol):
    """``alertmanager_factory(webhook_url, token=..., **AlertmanagerServer kwargs)``."""

    def __call__(
        self, webhook_url: str, token: str = TEST_TOKEN, **kwargs: Any
    ) -> AlertmanagerServer: ...


class AlertingPrometheusFactory(Protocol):
    """``alerting_prometheus_factory(alertmanager_address, **AlertingPrometheus kwargs)``."""

    def __call__(self, alertmanager_address: str, **kwargs: Any) -> AlertingPrometheus: ...


@pytest.fixture
def webhook_recorder() -> Iterator[WebhookRecorder]:
    """A running loopback webhook receiver that records every POST (``.url``, ``.wait_for``)."""
    with WebhookRecorder() as recorder:
        yield recorder


def _stopped_at_teardown(make: Callable[..., _S]) -> Iterator[Callable[..., _S]]:
    """Yields a function that makes a server with ``make`` and starts it; stops them all after."""
    started: list[_S] = []

    def start(*args: Any, **kwargs: Any) -> _S:
        server = make(*args, **kwargs)
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in reversed(started):
            server.stop()


def _alertmanager(webhook_url: str, token: str = TEST_TOKEN, **kwargs: Any) -> AlertmanagerServer:
    return AlertmanagerServer(webhook_url, token, **kwargs)


@pytest.fixture
def alertmanager_factory() -> Iterator[AlertmanagerFactory]:
    """Starts ``AlertmanagerServer``s (ready when returned)."""
    yield from _stopped_at_teardown(_alertmanager)


@pytest.fixture
def alerting_prometheus_factory() -> Iterator[AlertingPrometheusFactory]:
    """Starts ``AlertingPrometheus``es (ready when returned; the alert fires ~7-8 s later)."""
    yield from _stopped_at_teardown(AlertingPrometheus)
