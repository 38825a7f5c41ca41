"""A real Prometheus that scrapes a loopback exporter, fires a Sloth-shaped burn-rate page alert
and sends it to an Alertmanager.

    with AlertingPrometheus(am.address) as prom:  # am: a running AlertmanagerServer
        ...                                        # CheckoutErrorBudgetBurn fires in ~7-8 s
        prom.exporter.set_error_ratio(0.0)         # ... and resolves ~9-10 s later

The exporter serves ``http_requests_total{service="checkout",code="200"|"500"}`` growing at
``requests_per_second`` with ``error_ratio`` of them 500s (10 % by default, 100x the 0.1 %
budget of a 99.9 % SLO). The rule is Sloth's page alert with its windows shrunk to ``window``,
so it needs most of ``window`` of healthy traffic to resolve.

Most of the ~7 s to the first notification is Prometheus's service discovery: both the scrape
target and the Alertmanager reach their managers on the discovery managers' first 5 s tick
(not configurable in 2.42). Alerts evaluated before the notifier knows an Alertmanager are
dropped, hence ``--rules.alert.resend-delay=1s`` (default 1m) so a firing alert is re-sent
every second.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import yaml

from tests.generator.prometheus_server import INSTALL_HINT, PROMETHEUS, PrometheusError, _binary
from tests.support.processes import LoopbackHTTPServer, ServerProcess

ALERT_NAME = "CheckoutErrorBudgetBurn"
SERVICE = "checkout"
#: the error budget of a 99.9 % availability SLO
ERROR_BUDGET = 0.001
#: Sloth's page threshold for its 1h/5m window pair: 2 % of a 30-day budget spent in 1 h
BURN_FACTOR = 14.4
#: labels the alert carries (Sloth adds ``sloth_severity`` itself to its page alerts)
ALERT_LABELS = {
    "severity": "page",
    "service": SERVICE,
    "sloth_service": SERVICE,
    "sloth_slo": "availability",
    "sloth_severity": "page",
}


class BurnRateExporter(LoopbackHTTPServer):
    """A loopback ``/metrics`` endpoint whose request counters grow with wall time.

    The counters are integrated on every read, so switching ``error_ratio`` changes their slope
    from that moment on without any reset.
    """

    def __init__(
        self, service: str = SERVICE, requests_per_second: float = 100.0, error_ratio: float = 0.1
    ) -> None:
        super().__init__()
        self.service = service
        self.requests_per_second = requests_per_second
        self._ratio = error_ratio
        self._ok = 0.0
        self._errors = 0.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    @property
    def error_ratio(self) -> float:
        """Share of new requests that are 500s."""
        return self._ratio

    def set_error_ratio(self, ratio: float) -> None:
        """From now on ``ratio`` of the requests are 500s (0.0: healthy, the alert resolves)."""
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"error ratio must be within [0, 1], got {ratio}")
        with self._lock:
            self._advance()
            self._ratio = ratio

    def _advance(self) -> None:
        now = time.monotonic()
        served = (now - self._last) * self.requests_per_second
        self._last = now
        self._errors += served * self._ratio
        self._ok += served * (1.0 - self._ratio)

    def metrics_text(self) -> str:
        """The Prometheus text exposition of the counters as of now."""
        with self._lock:
            self._advance()
            ok, errors = int(self._ok), int(self._errors)
        series = f'http_requests_total{{service="{self.service}",code='
        return (
            "# HELP http_requests_total Requests served, by status code.\n"
            "# TYPE http_requests_total counter\n"
            f'{series}"200"}} {ok}\n'
            f'{series}"500"}} {errors}\n'
        )

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, a scrape target (only while running)."""
        if self._server is None:
            raise RuntimeError("exporter is not running")
        return f"127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _exporter_handler(self)


def _exporter_handler(exporter: BurnRateExporter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = exporter.metrics_text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line a second on pytest's stderr otherwise

    return Handler


def burn_rate_expr(window: str = "10s", service: str = SERVICE) -> str:
    """Sloth's page condition on one shrunken window: error ratio > 14.4 x budget."""
    sel = f'http_requests_total{{service="{service}"'
    return (
        f'(sum(rate({sel},code=~"5.."}}[{window}])) / sum(rate({sel}}}[{window}])))'
        f" > ({BURN_FACTOR} * {ERROR_BUDGET})"
    )


def rules_yaml(window: str = "10s", for_: str = "0s") -> str:
    """The rules file: one group with the ``CheckoutErrorBudgetBurn`` page alert."""
    rule = {
        "alert": ALERT_NAME,
        "expr": burn_rate_expr(window),
        "for": for_,
        "labels": ALERT_LABELS,
        "annotations": {
            "summary": f"{SERVICE} availability SLO error budget burn rate is too fast.",
            # exercises Prometheus's templating, as Sloth's own annotations do
            "description": "Error ratio {{ $value | humanizePercentage }} over " + window + ".",
        },
    }
    groups = {"groups": [{"name": f"slo-prep-{SERVICE}-burn", "rules": [rule]}]}
    return "# written by tests/support/alerting_prometheus.py\n" + yaml.safe_dump(
        groups, sort_keys=False
    )


def prometheus_yaml(alertmanager_address: str, exporter_address: str, rules_file: Path) -> str:
    """Prometheus config: 1 s scrape and evaluation, one Alertmanager, one scrape job."""
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "alerting": {
            "alertmanagers": [
                {"api_version": "v2", "static_configs": [{"targets": [alertmanager_address]}]}
            ]
        },
        "rule_files": [str(rules_file)],
        "scrape_configs": [
            {"job_name": SERVICE, "static_configs": [{"targets": [exporter_address]}]}
        ],
    }
    return "# written by tests/support/alerting_prometheus.py\n" + yaml.safe_dump(
        config, sort_keys=False
    )


class AlertingPrometheus(ServerProcess):
    """Runs Prometheus on 127.0.0.1 scraping its own ``BurnRateExporter`` (``.exporter``) and
    alerting the Alertmanager at ``alertmanager_address`` (``127.0.0.1:PORT``).

    ``window`` is the burn-rate range (also how long a switch to healthy takes to resolve);
    ``for_`` is the rule's ``for``. ``binary=None`` uses the installed ``prometheus``.
    """

    name = "prometheus"
    title = "Prometheus"
    log_file = "prometheus.log"
    workdir_prefix = "slo-prep-alerting-prom-"
    error = PrometheusError

    def __init__(
        self,
        alertmanager_address: str,
        *,
        error_ratio: float = 0.1,
        requests_per_second: float = 100.0,
        window: str = "10s",
        for_: str = "0s",
        binary: str | None = None,
        port: int = 0,
        ready_timeout: float = 30.0,
    ) -> None:
        super().__init__(port=port, ready_timeout=ready_timeout)
        self.alertmanager_address = alertmanager_address.removeprefix("http://")
        self.exporter = BurnRateExporter(
            requests_per_second=requests_per_second, error_ratio=error_ratio
        )
        self.rules_text = rules_yaml(window, for_)
        self._binary = binary

    def _find_binary(self) -> str:
        if self._binary is None:
            return _binary(PROMETHEUS, "prometheus")
        if Path(self._binary).is_file():
            return self._binary
        raise PrometheusError(f"Prometheus binary {self._binary} not found: {INSTALL_HINT}")

    def _prepare(self, workdir: Path) -> list[str]:
        """Start the exporter, write config and rules."""
        self.exporter.start()
        rules = workdir / "rules.yml"
        rules.write_text(self.rules_text, encoding="utf-8")
        config = workdir / "prometheus.yml"
        config.write_text(
            prometheus_yaml(self.alertmanager_address, self.exporter.address, rules),
            encoding="utf-8",
        )
        return [
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            "--rules.alert.resend-delay=1s",
        ]

    def stop(self) -> None:
        """Stop Prometheus (SIGTERM, then SIGKILL) and the exporter; remove the temp dir."""
        super().stop()
        self.exporter.stop()

    def alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v1/alerts``: Prometheus's pending and firing alerts."""
        with urllib.request.urlopen(self.url + "/api/v1/alerts", timeout=10) as resp:
            body = json.loads(resp.read())
        alerts: list[dict[str, Any]] = body["data"]["alerts"]
        return alerts
