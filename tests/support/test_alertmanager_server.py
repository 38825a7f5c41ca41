"""A real Prometheus fires the burn-rate page, a real Alertmanager delivers it (and its repeats
and resolution) to a loopback webhook with the Bearer token: the infrastructure the daemon's
``POST /alertmanager/webhook`` tests run against."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.generator.prometheus_server import PrometheusError
from tests.support import alertmanager_server
from tests.support.alerting_prometheus import ALERT_LABELS, ALERT_NAME, AlertingPrometheus
from tests.support.alertmanager_server import (
    TEST_TOKEN,
    AlertmanagerError,
    AlertmanagerServer,
    Delivery,
    WebhookRecorder,
    api_alert,
)

if TYPE_CHECKING:
    # imported by pytest_plugins below at run time, so pytest can still rewrite its asserts
    from tests.support.alerting_fixtures import AlertingPrometheusFactory, AlertmanagerFactory

pytest_plugins = ["tests.support.alerting_fixtures"]

# Measured: first notification ~8 s after Prometheus starts, resolution ~9-10 s after the switch.
FIRE_TIMEOUT = 30.0
RESOLVE_TIMEOUT = 30.0


def _is(status: str, alertname: str = ALERT_NAME) -> Callable[[Delivery], bool]:
    def predicate(d: Delivery) -> bool:
        return d.status == status and alertname in d.alertnames()

    return predicate


def _check_webhook_body(delivery: Delivery, status: str) -> dict[str, Any]:
    """The Alertmanager webhook v4 shape the daemon will parse; returns the one alert."""
    body = delivery.body
    assert delivery.authorization == f"Bearer {TEST_TOKEN}"
    assert delivery.path == alertmanager_server.WEBHOOK_PATH
    assert delivery.headers.get("Content-Type") == "application/json"
    assert body["version"] == "4"
    assert body["status"] == status
    assert body["receiver"] == "webhook"
    assert body["groupLabels"] == {"alertname": ALERT_NAME, "service": "checkout"}
    assert isinstance(body["groupKey"], str) and body["groupKey"]
    assert len(delivery.alerts) == 1
    alert = delivery.alerts[0]
    assert alert["status"] == status
    assert alert["labels"] == {"alertname": ALERT_NAME, **ALERT_LABELS}
    assert alert["annotations"]["summary"]
    assert isinstance(alert["fingerprint"], str) and len(alert["fingerprint"]) == 16
    datetime.fromisoformat(alert["startsAt"])
    return dict(alert)


def test_prometheus_burn_alert_fires_repeats_and_resolves_at_the_webhook(
    webhook_recorder: WebhookRecorder,
    alertmanager_factory: AlertmanagerFactory,
    alerting_prometheus_factory: AlertingPrometheusFactory,
) -> None:
    am = alertmanager_factory(webhook_recorder.url, repeat_interval="2s")
    prom = alerting_prometheus_factory(am.address)
    t0 = time.monotonic()

    try:
        first, repeat = webhook_recorder.wait_for(_is("firing"), FIRE_TIMEOUT, count=2)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{_logs(am, prom)}") from None
    fired = _check_webhook_body(first, "firing")
    assert fired["endsAt"] == "0001-01-01T00:00:00Z"  # firing: no end known yet
    assert fired["generatorURL"].startswith(prom.url)
    assert _check_webhook_body(repeat, "firing")["fingerprint"] == fired["fingerprint"]
    print(
        f"firing after {first.received_at - t0:.1f}s, repeated after {repeat.received_at - t0:.1f}s"
    )

    prom.exporter.set_error_ratio(0.0)
    t1 = time.monotonic()
    try:
        (resolved_delivery,) = webhook_recorder.wait_for(_is("resolved"), RESOLVE_TIMEOUT)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{_logs(am, prom)}") from None
    resolved = _check_webhook_body(resolved_delivery, "resolved")
    assert resolved["fingerprint"] == fired["fingerprint"]
    assert resolved["startsAt"] == fired["startsAt"]
    assert datetime.fromisoformat(resolved["endsAt"]) > datetime.fromisoformat(fired["startsAt"])
    print(f"resolved {resolved_delivery.received_at - t1:.1f}s after the switch to healthy")


def test_alert_posted_to_the_api_is_repeated_with_the_same_fingerprint_then_resolved(
    webhook_recorder: WebhookRecorder, alertmanager_factory: AlertmanagerFactory
) -> None:
    am = alertmanager_factory(webhook_recorder.url, repeat_interval="1s")
    labels = {"alertname": ALERT_NAME, **ALERT_LABELS}
    starts = datetime.now(UTC) - timedelta(seconds=30)
    am.post_alerts([api_alert(labels, {"summary": "burning"}, starts_at=starts)])

    deliveries = webhook_recorder.wait_for(_is("firing"), 15, count=2)
    fingerprints = {_check_webhook_body(d, "firing")["fingerprint"] for d in deliveries}
    assert len(fingerprints) == 1
    assert deliveries[1].received_at - deliveries[0].received_at >= 0.9
    assert [a["labels"] for a in am.alerts()] == [labels]

    am.post_alerts(
        [api_alert(labels, {"summary": "burning"}, starts_at=starts, ends_at=datetime.now(UTC))]
    )
    (resolved,) = webhook_recorder.wait_for(_is("resolved"), 15)
    assert _check_webhook_body(resolved, "resolved")["fingerprint"] in fingerprints


def test_a_missing_alertmanager_binary_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AlertmanagerError, match=r"apt-get install -y prometheus-alertmanager"):
        AlertmanagerServer("http://127.0.0.1:9/x", "t", binary=str(tmp_path / "nope")).start()

    monkeypatch.setattr(alertmanager_server, "ALERTMANAGER", str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AlertmanagerError, match=r"not found .*nor on PATH.*apt-get install"):
        AlertmanagerServer("http://127.0.0.1:9/x", "t").start()


def test_a_missing_prometheus_binary_is_a_clear_error(tmp_path: Path) -> None:
    prom = AlertingPrometheus("127.0.0.1:9", binary=str(tmp_path / "nope"))
    with pytest.raises(PrometheusError, match=r"apt-get install -y prometheus"):
        prom.start()
    assert prom.workdir is None and prom.port is None


def _logs(am: AlertmanagerServer, prom: AlertingPrometheus) -> str:
    try:
        prom_alerts: object = prom.alerts()
    except Exception as e:
        prom_alerts = e
    return (
        f"Prometheus alerts: {prom_alerts}\n--- alertmanager log ---\n{am.log}\n"
        f"--- prometheus log ---\n{prom.log}"
    )
