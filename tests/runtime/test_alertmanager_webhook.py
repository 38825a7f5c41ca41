"""Burn alerts from Alertmanager's webhook to the SRE channel: a real Prometheus fires a
Sloth-shaped page, a real Alertmanager routes it to the running daemon, which posts one pack,
ignores the repeats and replies in the thread when it resolves."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.packs import RATIO_SLI, slo
from tests.runtime.conftest import SRE_CHANNEL, WEBHOOK_TOKEN, DaemonFactory
from tests.runtime.daemon_process import DaemonProcess, request
from tests.runtime.test_daemon import wait_for
from tests.support.fake_slack import FakeSlack

if TYPE_CHECKING:
    from tests.support.alerting_fixtures import AlertingPrometheusFactory, AlertmanagerFactory

pytest_plugins = ["tests.support.alerting_fixtures"]

# an SLO that never burns (50 %): the daemon's own evaluation stays quiet, so every post
# here comes from the webhook
QUIET = {
    "services": [
        {
            "name": "checkout",
            "slack_channel": "C0CHECKOUT",
            "slos": [slo("availability", 50.0, "30d", RATIO_SLI)],
        }
    ]
}


def announcements(slack: FakeSlack) -> list[Any]:
    return [
        m
        for m in slack.messages
        if m.channel == SRE_CHANNEL and m.thread_ts is None and "Burn alert" in (m.text or "")
    ]


def resolved_in_thread(slack: FakeSlack, parent: Any) -> bool:
    return any(m.thread_ts == parent.ts and "*Resolved:*" in (m.text or "") for m in slack.messages)


def webhook_body(status: str, fingerprint: str = "1a30ba71cca2921f") -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alert = {
        "status": status,
        "labels": {
            "alertname": "CheckoutErrorBudgetBurn",
            "service": "checkout",
            "severity": "page",
        },
        "annotations": {"summary": "checkout burns its budget"},
        "startsAt": now,
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else now,
        "generatorURL": "http://127.0.0.1/graph",
        "fingerprint": fingerprint,
    }
    return json.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="CheckoutErrorBudgetBurn"}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "slo-prep",
            "groupLabels": {"alertname": "CheckoutErrorBudgetBurn"},
            "commonLabels": alert["labels"],
            "commonAnnotations": {},
            "externalURL": "http://127.0.0.1:9093",
            "alerts": [alert],
        }
    ).encode()


def post(proc: DaemonProcess, body: bytes, token: str = WEBHOOK_TOKEN) -> int:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return request(proc.url + "/alertmanager/webhook", body, headers).status


def test_webhook_needs_the_token_and_posts_once_within_15s(
    daemon: DaemonFactory, slack: FakeSlack
) -> None:
    proc: DaemonProcess = daemon(extra=QUIET)
    proc.wait_ready()
    assert post(proc, webhook_body("firing"), token="wrong") == 401
    no_auth = request(proc.url + "/alertmanager/webhook", webhook_body("firing"))
    assert no_auth.status == 401
    assert post(proc, b'{"version": "3"}') == 400
    time.sleep(1)
    assert announcements(slack) == []
    sent = time.monotonic()
    assert post(proc, webhook_body("firing")) == 200
    assert post(proc, webhook_body("firing")) == 200  # delivered twice: posted once
    wait_for(lambda: bool(announcements(slack)), 15, "the SRE announcement")
    latency = announcements(slack)[0].at - sent
    print(f"\nwebhook to post: {latency * 1000:.0f} ms")
    assert latency < 15
    time.sleep(6)  # a drain later
    assert len(announcements(slack)) == 1
    assert post(proc, webhook_body("resolved")) == 200
    parent = announcements(slack)[0]
    wait_for(lambda: resolved_in_thread(slack, parent), 15, "the resolution in the thread")
    assert proc.terminate() == 0


def test_a_real_alertmanager_routes_a_real_burn_alert(
    daemon: DaemonFactory,
    slack: FakeSlack,
    alertmanager_factory: AlertmanagerFactory,
    alerting_prometheus_factory: AlertingPrometheusFactory,
) -> None:
    proc: DaemonProcess = daemon(extra=QUIET)
    proc.wait_ready()
    am = alertmanager_factory(
        proc.url + "/alertmanager/webhook", token=WEBHOOK_TOKEN, repeat_interval="2s"
    )
    prom = alerting_prometheus_factory(am.address)
    wait_for(lambda: bool(announcements(slack)), 45, "the announcement of the real alert")
    parent = announcements(slack)[0]
    assert parent.text == "Burn alert: checkout (page)"
    assert "CheckoutErrorBudgetBurn" in json.dumps(parent.blocks)
    # Alertmanager repeats the notification every few seconds: still one announcement
    time.sleep(8)
    assert len(announcements(slack)) == 1
    prom.exporter.set_error_ratio(0.0)
    wait_for(lambda: resolved_in_thread(slack, parent), 45, "the resolution in the thread")
    assert proc.terminate() == 0
