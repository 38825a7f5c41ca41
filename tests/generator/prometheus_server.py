"""A real Prometheus 2.x server backfilled with a synthetic scenario.

Usage::

    with PrometheusServer(build_scenario()) as prom:
        requests.get(prom.url + "/api/v1/query", params={"query": "up", "time": ...})

or, for a demo that keeps its data directory, ``start_demo_server(Path("demo-data"))`` (also
runnable as ``python -m tests.generator.prometheus_server DIR [--port N]``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from tests.generator.openmetrics import write_openmetrics
from tests.generator.synthetic import AT, Scenario, build_scenario
from tests.support.processes import ServerProcess
from tests.support.processes import free_port as free_port  # imported from here by tests, bench/

PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
INSTALL_HINT = "install it with `apt-get install -y prometheus` (Debian ships 2.42)"

_CONFIG = """\
# written by tests/generator/prometheus_server.py: no scrape jobs, backfilled data only
global:
  scrape_interval: 1m
  evaluation_interval: 1m
scrape_configs: []
"""


class PrometheusError(RuntimeError):
    """Prometheus/promtool missing, backfill failed, or the server did not become ready."""


def _binary(preferred: str, name: str) -> str:
    """Path of a Prometheus binary, or a clear error naming the apt package."""
    if Path(preferred).is_file():
        return preferred
    found = shutil.which(name)
    if found:
        return found
    raise PrometheusError(f"`{name}` not found ({preferred} nor on PATH): {INSTALL_HINT}")


#: promtool's default block span here; it rounds down to 2h * 3^k (1458h = 60.75 days).
MAX_BLOCK_DURATION = "1458h"


def backfill(
    scenario: Scenario, workdir: Path, max_block_duration: str = MAX_BLOCK_DURATION
) -> Path:
    """Write the scenario as OpenMetrics and build TSDB blocks; returns the data directory.

    promtool reads the whole file once per block range, so a longer ``max_block_duration``
    (e.g. "4374h", 182 days) backfills long histories faster."""
    promtool = _binary(PROMTOOL, "promtool")
    workdir.mkdir(parents=True, exist_ok=True)
    om = write_openmetrics(scenario, workdir / "scenario.om")
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    proc = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={max_block_duration}",
            str(om),
            str(data),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise PrometheusError(
            f"promtool backfill failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    om.unlink()  # ~100 MB, not needed once the blocks exist
    return data


class PrometheusServer(ServerProcess):
    """Backfills ``scenario`` into a fresh TSDB and runs Prometheus on a loopback port.

    ``workdir=None`` uses a temporary directory that is removed on ``stop()``; a given
    ``workdir`` is kept (its blocks are re-used if built from the same scenario). ``at`` is
    the evaluation time callers should pin queries to (default: the scenario's ``at``);
    ``max_block_duration`` is passed to ``backfill``.
    """

    name = "prometheus"
    title = "Prometheus"
    log_file = "prometheus.log"
    workdir_prefix = "slo-prep-prom-"
    error = PrometheusError
    terminate_timeout = 15.0
    # it has no rules, so it sends no links to fix
    external_url = False

    def __init__(
        self,
        scenario: Scenario,
        workdir: Path | None = None,
        at: datetime | None = None,
        port: int = 0,
        ready_timeout: float = 60.0,
        max_block_duration: str = MAX_BLOCK_DURATION,
    ) -> None:
        super().__init__(port=port, ready_timeout=ready_timeout, workdir=workdir)
        self.scenario = scenario
        self.at: datetime = at if at is not None else scenario.at
        self._max_block_duration = max_block_duration

    def _find_binary(self) -> str:
        prometheus = _binary(PROMETHEUS, "prometheus")
        _binary(PROMTOOL, "promtool")
        return prometheus

    def _prepare(self, workdir: Path) -> list[str]:
        """Backfill (unless already done in a kept workdir) and write the config."""
        t0 = time.monotonic()
        data = workdir / "data"
        marker = workdir / "scenario.id"
        wanted = _scenario_id(self.scenario)
        reuse = data.is_dir() and marker.is_file() and marker.read_text() == wanted
        if not reuse:
            shutil.rmtree(data, ignore_errors=True)
            marker.unlink(missing_ok=True)
            data = backfill(self.scenario, workdir, self._max_block_duration)
            marker.write_text(wanted, encoding="utf-8")
        self.timings["backfill"] = time.monotonic() - t0
        config = workdir / "prometheus.yml"
        config.write_text(_CONFIG, encoding="utf-8")
        return [
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=3650d",
        ]


def _scenario_id(scenario: Scenario) -> str:
    """Identity of a generated scenario (to decide whether kept blocks can be re-used)."""
    return (
        f"start={scenario.start.isoformat()} minutes={scenario.minutes} "
        f"at={scenario.at.isoformat()} seed={scenario.seed} "
        f"totals={[sum(s.events) for s in scenario.series]} resets={scenario.resets}\n"
    )


def start_demo_server(
    directory: Path | str, at: datetime = AT, port: int = 0, days_before: int = 56
) -> PrometheusServer:
    """Build the default scenario around ``at``, backfill it into ``directory`` and start it.

    The directory is kept (a second call re-uses its blocks). The caller must ``stop()``
    the returned server.
    """
    return PrometheusServer(
        build_scenario(at=at, days_before=days_before), workdir=Path(directory), at=at, port=port
    ).start()


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m tests.generator.prometheus_server DIR [--port N]``; runs until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--days-before", type=int, default=56, help="history before AT")
    parser.add_argument(
        "--at",
        default=None,
        help="the history's end: RFC 3339, or 'now' (for a daemon, whose clock is real); "
        "default: the scenario's fixed evaluation time",
    )
    args = parser.parse_args(argv)
    at = AT
    if args.at == "now":
        at = datetime.now(UTC).replace(second=0, microsecond=0)
    elif args.at:
        at = datetime.fromisoformat(args.at).astimezone(UTC).replace(second=0, microsecond=0)
    server = start_demo_server(args.directory, at=at, port=args.port, days_before=args.days_before)

    def _on_sigterm(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_sigterm)
    print(f"Prometheus ready at {server.url} (evaluation time {server.at.isoformat()})", flush=True)
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def instant_value(url: str, expr: str, at: datetime) -> float:
    """The single value of an instant query evaluated at ``at``, asked of Prometheus directly
    (test-side checks must not go through the product's own collector)."""
    query = urllib.parse.urlencode({"query": expr, "time": f"{at.timestamp():.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=30) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    result = body["data"]["result"]
    assert len(result) == 1, (expr, result)
    return float(result[0]["value"][1])
