"""A real single-node VictoriaMetrics loaded with a synthetic scenario through its import API.

Usage::

    with VictoriaMetricsServer(build_scenario()) as vm:
        requests.get(vm.url + "/api/v1/query", params={"query": "up", "time": ...})

It answers the same Prometheus HTTP query API as ``PrometheusServer`` (``.url``, ``.scenario``,
``.at``), with MetricsQL's semantics: see docs/backends.md for where they differ.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Self

from tests.generator.synthetic import Scenario
from tests.support.processes import ArgvForPort, ServerProcess

VICTORIA_METRICS = "/usr/bin/victoria-metrics"
INSTALL_HINT = "install it with `apt-get install -y victoria-metrics` (Debian 12 ships 1.79)"


class VictoriaMetricsError(RuntimeError):
    """VictoriaMetrics missing, the import failed, or the data did not become queryable."""


def import_lines(scenario: Scenario) -> Iterator[bytes]:
    """The scenario in /api/v1/import's JSON-lines form: one line per series, every sample,
    the same values and times ``write_openmetrics`` gives Prometheus (timestamps in ms)."""
    t0 = int(scenario.start.timestamp()) * 1000
    stamps = [t0 + 60_000 * k for k in range(scenario.minutes)]
    for s in scenario.series:
        line = {
            "metric": {"__name__": s.name, **s.label_dict},
            "values": scenario.cumulative(s),
            "timestamps": stamps,
        }
        yield json.dumps(line, separators=(",", ":")).encode() + b"\n"


class VictoriaMetricsServer(ServerProcess):
    """Runs VictoriaMetrics on a loopback port in a fresh data directory and imports
    ``scenario``; ``start()`` returns once every sample can be queried.

    ``at`` is the evaluation time callers should pin queries to (default: the scenario's).
    """

    name = "victoria-metrics"
    title = "VictoriaMetrics"
    log_file = "victoria-metrics.log"
    workdir_prefix = "slo-prep-vm-"
    error = VictoriaMetricsError

    def __init__(
        self,
        scenario: Scenario,
        workdir: Path | None = None,
        at: datetime | None = None,
        port: int = 0,
        ready_timeout: float = 60.0,
        queryable_timeout: float = 60.0,
    ) -> None:
        super().__init__(port=port, ready_timeout=ready_timeout, workdir=workdir)
        self.scenario = scenario
        self.at: datetime = at if at is not None else scenario.at
        self._queryable_timeout = queryable_timeout

    def _find_binary(self) -> str:
        if Path(VICTORIA_METRICS).is_file():
            return VICTORIA_METRICS
        found = shutil.which("victoria-metrics")
        if found:
            return found
        raise VictoriaMetricsError(
            f"`victoria-metrics` not found ({VICTORIA_METRICS} nor on PATH): {INSTALL_HINT}"
        )

    def _prepare(self, workdir: Path) -> list[str]:
        data = workdir / "data"
        # imported data is never re-used: a fresh directory, so nothing stale can answer
        shutil.rmtree(data, ignore_errors=True)
        return [
            f"-storageDataPath={data}",
            "-retentionPeriod=5y",
            # every answer comes from the samples, never from a result cached during the import
            "-search.disableCache",
            # the default holds back the last 30 s before now; history "now" must be visible too
            "-search.latencyOffset=0s",
            "-loggerLevel=WARN",
        ]

    def _argv_for_port(self, binary: str, flags: list[str]) -> ArgvForPort:
        def argv(port: int) -> list[str]:
            return [binary, *flags, f"-httpListenAddr=127.0.0.1:{port}"]

        return argv

    def start(self) -> Self:
        super().start()
        try:
            t0 = time.monotonic()
            self._import()
            self.timings["import"] = time.monotonic() - t0
            t0 = time.monotonic()
            self._wait_queryable()
            self.timings["queryable"] = time.monotonic() - t0
        except BaseException:
            self.stop()
            raise
        return self

    def _import(self) -> None:
        body = gzip.compress(b"".join(import_lines(self.scenario)), compresslevel=1)
        request = urllib.request.Request(
            f"{self.url}/api/v1/import",
            data=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
            # samples sit in an in-memory buffer for up to a second before a search sees them
            with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=60) as flushed:
                flushed.read()
        except urllib.error.URLError as exc:
            raise VictoriaMetricsError(f"import failed: {exc}\n{self.log}") from exc

    def _wait_queryable(self) -> None:
        """Until each series holds every sample of the scenario (an import is acknowledged
        before it is searchable)."""
        sc = self.scenario
        names = sorted({s.name for s in sc.series})
        deadline = time.monotonic() + self._queryable_timeout
        counts: list[float] = []
        while time.monotonic() < deadline:
            # one query per metric name: MetricsQL drops the name from a rollup's result, and
            # a histogram's _count and _sum would then be the same series
            counts = [
                count
                for name in names
                for count in self._values(f"count_over_time({name}[{sc.minutes}m])", sc.end)
            ]
            if len(counts) == len(sc.series) and all(c == sc.minutes for c in counts):
                return
            time.sleep(0.2)
        raise VictoriaMetricsError(
            f"imported data not queryable after {self._queryable_timeout:.0f}s: "
            f"{len(counts)} of {len(sc.series)} series, sample counts {sorted(set(counts))} "
            f"(want {sc.minutes})\n{self.log}"
        )

    def _values(self, expr: str, at: datetime) -> list[float]:
        query = urllib.parse.urlencode({"query": expr, "time": f"{at.timestamp():.3f}"})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{query}", timeout=30) as response:
            result = json.loads(response.read())["data"]["result"]
        return [float(item["value"][1]) for item in result]
