"""A daemon runtime wired to real parts: the scenario's Prometheus (queries pinned to its
evaluation time by the runtime's clock), a store on SQLite or PostgreSQL, and the loopback
Slack fake with the real ``WebClient``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.config import load_config
from daemon.runtime.context import Runtime
from daemon.runtime.run import build_runtime
from tests.generator.prometheus_server import PrometheusServer
from tests.packs import LATENCY_SLI, RATIO_SLI, slo
from tests.support.fake_slack import FakeSlack, fake_slack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_TOKEN = "am-webhook-token"
SERVICE_CHANNEL = "C0CHECKOUT"
SRE_CHANNEL = "C0SREPAGES"
ASK_CHANNEL = "C0ASKEDHERE"
MANAGER = "U0MANAGER1"
OUTSIDER = "U0OUTSIDER"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def daemon_config(
    url: str,
    slack_url: str,
    store_url: str,
    *,
    managers: list[str] | None = None,
    alerts_match: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    service: dict[str, Any] = {
        "name": "checkout",
        "slack_channel": SERVICE_CHANNEL,
        "stakeholders": [
            {"role": "product", "name": "Pat"},
            {"role": "sre", "name": "Sam"},
        ],
        "slos": [
            slo("availability", 99.9, "30d", RATIO_SLI),
            slo("latency", 99.0, "quarter", LATENCY_SLI),
        ],
    }
    if managers is not None:
        service["managers"] = managers
    document: dict[str, Any] = {
        "apiVersion": "slo-prep/v1",
        "prometheus": {"url": url, "retries": 0, "timeout_seconds": 10},
        "store": {"url": store_url},
        "http": {"listen": "127.0.0.1:0"},
        "slack": {
            "mode": "http",
            "api_url": slack_url,
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "sre_channel": SRE_CHANNEL,
        },
        "alertmanager": {"token": WEBHOOK_TOKEN},
        "services": [service, {"name": "payments"}],
    }
    if alerts_match is not None:
        document["alerts"] = {"match": alerts_match}
    document.update(extra or {})
    return document


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'slo-prep.db'}"


DocumentRuntime = Callable[[dict[str, Any], Clock], Runtime]


@pytest.fixture(name="document_runtime")
def document_runtime_fixture(tmp_path: Path) -> Iterator[DocumentRuntime]:
    """Builds runtimes from a whole config document (closed at teardown)."""
    built: list[Runtime] = []

    def make(document: dict[str, Any], clock: Clock) -> Runtime:
        path = tmp_path / f"config-{len(built)}.yaml"
        path.write_text(json.dumps(document))
        rt = build_runtime(load_config(str(path)), out=io.StringIO(), clock=clock, post_interval=0)
        rt.leadership.check()
        built.append(rt)
        return rt

    yield make
    for rt in built:
        rt.work.shutdown(wait=True)
        rt.leadership.release()
        rt.store.close()


@pytest.fixture
def make_runtime(
    prometheus: PrometheusServer,
    slack: FakeSlack,
    sqlite_url: str,
    document_runtime: DocumentRuntime,
) -> RuntimeFactory:
    """Builds runtimes (closed at teardown); keyword arguments go to ``daemon_config``, plus
    ``store_url`` and ``clock``."""

    def make(
        *,
        store_url: str | None = None,
        clock: Clock | None = None,
        prometheus_url: str | None = None,
        **options: Any,
    ) -> Runtime:
        document = daemon_config(
            prometheus_url or prometheus.url, slack.api_url, store_url or sqlite_url, **options
        )
        return document_runtime(document, clock or Clock(prometheus.at))

    return make


def settle(rt: Runtime) -> None:
    """Wait for the work submitted after acks (drafting, posting) to finish."""
    from concurrent.futures import ThreadPoolExecutor

    pool = rt.work
    assert isinstance(pool, ThreadPoolExecutor)
    pool.shutdown(wait=True)
    rt.work = ThreadPoolExecutor(4)


@pytest.fixture(scope="session")
def live_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """The scenario's history ending at the current minute: for daemon processes, whose clock
    is the real one."""
    from datetime import UTC

    from tests.generator.prometheus_server import start_demo_server

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    server = start_demo_server(tmp_path_factory.mktemp("live-prometheus"), at=now, days_before=35)
    try:
        yield server
    finally:
        server.stop()


DaemonFactory = Callable[..., Any]


@pytest.fixture
def daemon(
    live_prometheus: PrometheusServer, slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> Iterator[DaemonFactory]:
    """Starts ``slo-prep run`` processes (killed at teardown); keyword arguments go to
    ``daemon_config``, plus ``store_url`` and ``args`` (extra command-line arguments)."""
    from tests.generator.prometheus_server import free_port
    from tests.runtime.daemon_process import DaemonProcess

    started: list[DaemonProcess] = []

    def start(*, store_url: str | None = None, port: int | None = None, **options: Any) -> Any:
        document = daemon_config(
            live_prometheus.url, slack.api_url, store_url or sqlite_url, **options
        )
        port = port or free_port()
        document["http"] = {"listen": f"127.0.0.1:{port}"}
        path = tmp_path / f"daemon-{len(started)}.yaml"
        path.write_text(json.dumps(document))
        process = DaemonProcess(path, port, tmp_path / f"daemon-{len(started)}.log")
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()
