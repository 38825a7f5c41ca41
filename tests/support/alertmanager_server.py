"""A real Alertmanager (Debian's ``prometheus-alertmanager``) on a loopback port, and a loopback
webhook receiver that records what it delivers.

    with WebhookRecorder() as hook, AlertmanagerServer(hook.url, token="t0k") as am:
        am.post_alerts([api_alert({"alertname": "X", "service": "checkout"})])
        delivery = hook.wait_for(lambda d: d.status == "firing", timeout=10)
        assert delivery.authorization == "Bearer t0k"

The single receiver is a webhook (``send_resolved: true``, ``Authorization: Bearer <token>``)
with fast timings, so a notification arrives about ``group_wait`` after the alert and, while it
fires, is repeated on the first ``group_interval`` tick once ``repeat_interval`` has passed
(measured with the 1s tick: ``repeat_interval`` 1s repeats every 2 s, 2s every 3 s). Gossip is
off (``--cluster.listen-address=``), so there is no cluster settle delay.

Alertmanager 0.25 sends a firing alert's ``endsAt`` as ``0001-01-01T00:00:00Z`` (Go's zero time),
and fills ``startsAt`` with nanoseconds when the poster gave none.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypedDict, Unpack

import yaml

from tests.support.processes import LoopbackHTTPServer, ServerProcess

# they were defined here before tests/support/processes.py; callers may still import them from here
from tests.support.processes import launch_until_ready as launch_until_ready
from tests.support.processes import terminate as terminate

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
INSTALL_HINT = "install it with `apt-get install -y prometheus-alertmanager` (Debian ships 0.25)"
WEBHOOK_PATH = "/alertmanager/webhook"
#: the Bearer token the fixtures' Alertmanagers send unless told otherwise
TEST_TOKEN = "slo-prep-test-alertmanager-token"


class AlertmanagerError(RuntimeError):
    """Alertmanager missing, misconfigured, or not ready in time."""


def alertmanager_binary(preferred: str | None = None) -> str:
    """Path of the Alertmanager binary, or a clear error naming the apt package.

    An explicit ``preferred`` path is the only candidate (so a test can point at a missing one);
    otherwise Debian's path, then ``prometheus-alertmanager`` or upstream's ``alertmanager`` on
    PATH.
    """
    if preferred is not None:
        if Path(preferred).is_file():
            return preferred
        raise AlertmanagerError(f"Alertmanager binary {preferred} not found: {INSTALL_HINT}")
    if Path(ALERTMANAGER).is_file():
        return ALERTMANAGER
    for name in ("prometheus-alertmanager", "alertmanager"):
        found = shutil.which(name)
        if found:
            return found
    raise AlertmanagerError(
        f"`prometheus-alertmanager` not found ({ALERTMANAGER} nor on PATH): {INSTALL_HINT}"
    )


# ---------------------------------------------------------------------------- Alertmanager


class Routing(TypedDict, total=False):
    """``alertmanager_config``'s route settings, for passing them on (its defaults apply)."""

    group_by: Sequence[str]
    group_wait: str
    group_interval: str
    repeat_interval: str


def alertmanager_config(
    webhook_url: str,
    token: str,
    *,
    group_by: Sequence[str] = ("alertname", "service"),
    group_wait: str = "0s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> str:
    """Alertmanager YAML with one route and one Bearer-authenticated webhook receiver."""
    config = {
        "route": {
            "receiver": "webhook",
            "group_by": list(group_by),
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [
            {
                "name": "webhook",
                "webhook_configs": [
                    {
                        "url": webhook_url,
                        "send_resolved": True,
                        "http_config": {
                            "authorization": {"type": "Bearer", "credentials": token},
                        },
                    }
                ],
            }
        ],
    }
    return "# written by tests/support/alertmanager_server.py\n" + yaml.safe_dump(
        config, sort_keys=False
    )


class AlertmanagerServer(ServerProcess):
    """Runs ``prometheus-alertmanager`` on 127.0.0.1 with a webhook receiver at ``webhook_url``.

    ``group_by``, ``group_wait``, ``group_interval`` and ``repeat_interval`` are passed to
    ``alertmanager_config`` (defaults: by alertname and service, 0s, 1s, 1h). Durations are
    Alertmanager duration strings ("0s", "1s", "2s", "1h"). A repeated delivery of an unchanged
    group needs ``repeat_interval`` to have passed at a ``group_interval`` tick.
    ``binary=None`` finds the installed one (see ``alertmanager_binary``).
    """

    name = "prometheus-alertmanager"
    title = "Alertmanager"
    log_file = "alertmanager.log"
    workdir_prefix = "slo-prep-am-"
    error = AlertmanagerError

    def __init__(
        self,
        webhook_url: str,
        token: str,
        *,
        binary: str | None = None,
        port: int = 0,
        ready_timeout: float = 30.0,
        **routing: Unpack[Routing],
    ) -> None:
        super().__init__(port=port, ready_timeout=ready_timeout)
        self.webhook_url = webhook_url
        self.token = token
        self.config_text = alertmanager_config(webhook_url, token, **routing)
        self._binary = binary

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as Prometheus's ``alerting.alertmanagers`` targets want it."""
        return self.url.removeprefix("http://")

    def _find_binary(self) -> str:
        return alertmanager_binary(self._binary)

    def _prepare(self, workdir: Path) -> list[str]:
        config = workdir / "alertmanager.yml"
        config.write_text(self.config_text, encoding="utf-8")
        storage = workdir / "data"
        storage.mkdir()
        return [f"--config.file={config}", f"--storage.path={storage}", "--cluster.listen-address="]

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """``POST /api/v2/alerts`` (see ``api_alert`` for building one)."""
        post_alerts(self.url, alerts)

    def alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``: the alerts Alertmanager currently holds."""
        with urllib.request.urlopen(self.url + "/api/v2/alerts", timeout=10) as resp:
            body: list[dict[str, Any]] = json.loads(resp.read())
        return body


def _rfc3339(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError(f"timezone-aware datetime required, got naive {t!r}")
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def api_alert(
    labels: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    generator_url: str | None = None,
) -> dict[str, Any]:
    """One alert for ``POST /api/v2/alerts``.

    Without ``ends_at`` Alertmanager resolves it ``resolve_timeout`` (5m) after its last post;
    an ``ends_at`` in the past posts it as resolved.
    """
    alert: dict[str, Any] = {"labels": dict(labels), "annotations": dict(annotations or {})}
    if starts_at is not None:
        alert["startsAt"] = _rfc3339(starts_at)
    if ends_at is not None:
        alert["endsAt"] = _rfc3339(ends_at)
    if generator_url is not None:
        alert["generatorURL"] = generator_url
    return alert


def post_alerts(alertmanager_url: str, alerts: Sequence[Mapping[str, Any]]) -> None:
    """``POST /api/v2/alerts`` to the Alertmanager at ``alertmanager_url``."""
    request = urllib.request.Request(
        alertmanager_url + "/api/v2/alerts",
        data=json.dumps(list(alerts)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        raise AlertmanagerError(
            f"POST /api/v2/alerts: HTTP {e.code}: {e.read().decode(errors='replace')}"
        ) from e


# ---------------------------------------------------------------------------- webhook receiver


@dataclass(frozen=True)
class Delivery:
    """One POST the webhook receiver got; ``body`` is the parsed JSON (None if it was not)."""

    path: str
    authorization: str | None
    headers: dict[str, str]
    raw: bytes
    body: Any
    received_at: float  # time.monotonic()

    @property
    def status(self) -> str | None:
        """The notification's ``status`` ("firing" or "resolved")."""
        return self.body.get("status") if isinstance(self.body, dict) else None

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """The notification's ``alerts`` list."""
        alerts = self.body.get("alerts") if isinstance(self.body, dict) else None
        return alerts if isinstance(alerts, list) else []

    def alertnames(self) -> set[str]:
        """``labels.alertname`` of every alert in the notification."""
        return {str(a.get("labels", {}).get("alertname")) for a in self.alerts}


class WebhookRecorder(LoopbackHTTPServer):
    """A loopback HTTP server standing in for the daemon's webhook: records every POST.

    It answers ``response_status`` (200) to all of them; ``url`` ends in ``path``.
    """

    def __init__(self, path: str = WEBHOOK_PATH, response_status: int = 200) -> None:
        super().__init__()
        self.path = path
        self.response_status = response_status
        self._deliveries: list[Delivery] = []
        self._changed = threading.Condition()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` + ``path`` (only while running)."""
        if self._server is None:
            raise RuntimeError("webhook recorder is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    @property
    def deliveries(self) -> list[Delivery]:
        """Everything received so far, oldest first."""
        with self._changed:
            return list(self._deliveries)

    def _record(self, delivery: Delivery) -> None:
        with self._changed:
            self._deliveries.append(delivery)
            self._changed.notify_all()

    def wait_for(
        self,
        predicate: Callable[[Delivery], bool],
        timeout: float,
        *,
        count: int = 1,
        what: str = "a matching delivery",
    ) -> list[Delivery]:
        """The first ``count`` deliveries matching ``predicate``, waiting up to ``timeout`` s.

        Raises AssertionError listing what did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [d for d in self._deliveries if predicate(d)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(d.status, sorted(d.alertnames())) for d in self._deliveries]
                    raise AssertionError(
                        f"{count} x {what} not received within {timeout:.0f}s "
                        f"(got {len(found)}); all deliveries (status, alertnames): {seen}"
                    )
                self._changed.wait(left)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _recorder_handler(self)


def _recorder_handler(recorder: WebhookRecorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = None
            recorder._record(
                Delivery(
                    path=self.path,
                    authorization=self.headers.get("Authorization"),
                    headers=dict(self.headers.items()),
                    raw=raw,
                    body=body,
                    received_at=time.monotonic(),
                )
            )
            self.send_response(recorder.response_status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # pytest would show every request on stderr

    return Handler
