"""What one pack costs: slo-prep's drafting vs. the naive way to get the same alert firings.

For a 30d rolling, a calendar-quarter and a 90d rolling ratio SLO, both whole processes are run
side by side, interleaved run by run, against a real Prometheus 2.x holding the synthetic
scenario of the tests:

- slo-prep:  ``slo-prep draft checkout -c CONFIG --at AT --format json``
- baseline:  ``python bench/naive_firings.py checkout -c CONFIG --at AT`` (range queries of
  every burn-rate window at every minute, evaluated by Prometheus)

One untimed pass first sends both through a counting loopback proxy: it checks the round trips
each process reports against what crossed the wire, checks that both found the same firings,
and warms Prometheus and the page cache. Then ``--runs`` timed rounds follow.

    .venv/bin/python bench/pack_cost.py [--runs N] [--prometheus URL] [--write]

Prints a Markdown report; ``--write`` also saves it to bench/results/latest.md.
``--configs-only DIR --prometheus URL`` writes DIR/{30d,quarter,90d}/slo-prep.yaml and exits
(for timing one pair with hyperfine or /usr/bin/time, see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.packs import RATIO_SLI, slo, write_config  # noqa: E402
from tests.support.counting_proxy import counting_proxy  # noqa: E402

AT = "2026-11-16T00:00:00Z"  # the scenario's evaluation time
SERVICE = "checkout"
OBJECTIVE = 99.9
WINDOWS = ("30d", "quarter", "90d")
VARIANTS = ("slo-prep", "baseline")
HISTORY_DAYS = 96  # enough history for a full 90d window plus the 3 days before it
RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


# --------------------------------------------------------------------------- Prometheus


@contextmanager
def scenario_prometheus(data_dir: Path | None) -> Iterator[str]:
    """Runs ``python -m tests.generator.prometheus_server`` and yields its URL."""
    with ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slo-bench-")))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.generator.prometheus_server",
                str(data_dir),
                "--days-before",
                str(HISTORY_DAYS),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            assert proc.stdout is not None
            url = None
            for line in proc.stdout:
                match = re.search(r"Prometheus ready at (\S+)", line)
                if match:
                    url = match.group(1)
                    break
            if url is None:
                raise SystemExit(f"the scenario Prometheus did not start (rc={proc.wait()})")
            yield url
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def prometheus_cpu_seconds(url: str) -> float | None:
    """The server's own process_cpu_seconds_total (None if /metrics is not reachable)."""
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    match = re.search(r"^process_cpu_seconds_total (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def prometheus_version(url: str) -> str:
    try:
        with urllib.request.urlopen(url + "/api/v1/status/buildinfo", timeout=5) as resp:
            return str(json.load(resp)["data"]["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


# --------------------------------------------------------------------------- processes


@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the measured process
    max_rss_mb: float
    server_cpu: float | None
    stdout: str


def run_process(cmd: Sequence[str], server_url: str | None = None) -> Run:
    """Runs ``cmd`` to completion; wall time from fork to reap, rusage from wait4."""
    before = prometheus_cpu_seconds(server_url) if server_url else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-2000:]}")
    after = prometheus_cpu_seconds(server_url) if server_url else None
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        server_cpu=None if before is None or after is None else after - before,
        stdout=stdout,
    )


PREROLL: list[str] = []  # ["--preroll"] with --baseline-preroll


def command(variant: str, config: Path) -> list[str]:
    if variant == "slo-prep":
        exe = str(Path(sys.executable).with_name("slo-prep"))
        return [exe, "draft", SERVICE, "-c", str(config), "--at", AT, "--format", "json"]
    script = str(REPO / "bench" / "naive_firings.py")
    return [sys.executable, script, SERVICE, "-c", str(config), "--at", AT, *PREROLL]


def reported_round_trips(variant: str, document: dict[str, Any]) -> int:
    if variant == "baseline":
        return int(document["round_trips"])
    # an instant query is one request; a range source says how many chunks it took
    return sum(int(s.get("round_trips") or 1) for s in document["sources"])


def firings(variant: str, document: dict[str, Any]) -> list[tuple[str, ...]]:
    keys = ("severity", "long_window", "short_window", "start", "end")
    found = document["slos"][0]["firings"] or []
    return sorted(tuple(str(f[k]) for k in keys) for f in found)


def write_configs(directory: Path, url: str) -> dict[str, Path]:
    paths = {}
    for window in WINDOWS:
        sub = directory / window
        sub.mkdir(parents=True, exist_ok=True)
        services = {SERVICE: [slo("availability", OBJECTIVE, window, RATIO_SLI)]}
        paths[window] = write_config(sub, url, services, timeout_seconds=60)
    return paths


# --------------------------------------------------------------------------- measuring


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)
    round_trips: int = 0
    on_wire: int = 0
    firings: list[tuple[str, ...]] = field(default_factory=list)
    minutes: int = 0


def check_pass(url: str, workdir: Path, cells: dict[tuple[str, str], Cell]) -> None:
    """One untimed pass through a counting proxy (also the warm-up)."""
    with counting_proxy(url) as proxy:
        configs = write_configs(workdir / "proxied", proxy.url)
        for window in WINDOWS:
            for variant in VARIANTS:
                proxy.reset()
                run = run_process(command(variant, configs[window]))
                document = json.loads(run.stdout)
                cell = cells[window, variant]
                cell.round_trips = reported_round_trips(variant, document)
                cell.on_wire = proxy.total
                cell.firings = firings(variant, document)
                if variant == "slo-prep":
                    ranges = [s for s in document["sources"] if s["kind"] == "range"]
                    start = datetime.fromisoformat(ranges[0]["start"].replace("Z", "+00:00"))
                    end = datetime.fromisoformat(ranges[0]["end"].replace("Z", "+00:00"))
                    cell.minutes = int((end - start).total_seconds() // 60) + 1
                else:
                    cell.minutes = int(document["slos"][0]["evaluated_minutes"])
                print(
                    f"  check {window:>7} {variant:<8} {run.wall:6.2f}s "
                    f"round trips {cell.round_trips} (wire {cell.on_wire}), "
                    f"{len(cell.firings)} firings",
                    file=sys.stderr,
                )


def timed_rounds(
    url: str, configs: dict[str, Path], runs: int, cells: dict[tuple[str, str], Cell]
) -> None:
    for i in range(runs):
        for window in WINDOWS:
            # alternate which goes first so neither always follows the other
            order = VARIANTS if i % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                run = run_process(command(variant, configs[window]), server_url=url)
                cells[window, variant].runs.append(run)
                print(
                    f"  run {i + 1}/{runs} {window:>7} {variant:<8} {run.wall:6.2f}s",
                    file=sys.stderr,
                )


# --------------------------------------------------------------------------- report


def _med(values: Sequence[float]) -> float:
    return statistics.median(values)


def _spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def report(cells: dict[tuple[str, str], Cell], runs: int, machine: str) -> str:
    lines = [
        "## Pack cost: slo-prep vs. naive per-minute burn rates",
        "",
        f"{runs} timed runs of each process, interleaved pair by pair, after one untimed "
        "check pass.",
        "",
        machine,
        "",
        "| window | variant | wall median (s) | wall min-max (s) | process CPU (s) "
        "| Prometheus CPU (s) | peak RSS (MB) | round trips (reported / on the wire) "
        "| minutes queried |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for window in WINDOWS:
        for variant in VARIANTS:
            c = cells[window, variant]
            walls = [r.wall for r in c.runs]
            server = [r.server_cpu for r in c.runs if r.server_cpu is not None]
            lines.append(
                f"| {window} | {variant} | {_med(walls):.2f} | {_spread(walls)} "
                f"| {_med([r.cpu for r in c.runs]):.2f} "
                f"| {f'{_med(server):.2f}' if server else 'n/a'} "
                f"| {_med([r.max_rss_mb for r in c.runs]):.0f} "
                f"| {c.round_trips} / {c.on_wire} | {c.minutes:,} |"
            )
    lines += [
        "",
        "| window | slo-prep / baseline wall, median of pairs (min-max) "
        "| round trips slo-prep : baseline | same firings |",
        "|---|---:|---:|---|",
    ]
    for window in WINDOWS:
        ours, base = cells[window, "slo-prep"], cells[window, "baseline"]
        ratios = [a.wall / b.wall for a, b in zip(ours.runs, base.runs, strict=True)]
        same = "yes" if ours.firings == base.firings else "**no**"
        lines.append(
            f"| {window} | {_med(ratios):.3f} ({_spread(ratios, '{:.3f}')}) "
            f"| {ours.round_trips} : {base.round_trips} "
            f"| {same} ({len(ours.firings)} vs {len(base.firings)}) |"
        )
    lines += [
        "",
        "| scaling from 30d | slo-prep wall median (s) | x 30d | slo-prep round trips "
        "| baseline wall median (s) | x 30d | baseline round trips |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ref = {v: _med([r.wall for r in cells["30d", v].runs]) for v in VARIANTS}
    for window in WINDOWS:
        row = [window]
        for variant in VARIANTS:
            wall = _med([r.wall for r in cells[window, variant].runs])
            row += [
                f"{wall:.2f}",
                f"{wall / ref[variant]:.2f}",
                f"{cells[window, variant].round_trips}",
            ]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        f"All queries pinned to {AT}; ratio SLO ({OBJECTIVE}%) on `{SERVICE}`. The scenario "
        f"holds {HISTORY_DAYS} days before that instant, so every window, 90d included, is "
        "fully backed by 1-minute data.",
    ]
    return "\n".join(lines) + "\n"


def machine_line(url: str) -> str:
    return (
        f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"Prometheus {prometheus_version(url)} on loopback; "
        f"taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--prometheus", metavar="URL", help="use this server (with the data)")
    parser.add_argument(
        "--data-dir", type=Path, help="keep the started Prometheus' blocks here (default: temp)"
    )
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument(
        "--configs-only", type=Path, metavar="DIR", help="write the configs for --prometheus, exit"
    )
    parser.add_argument(
        "--baseline-preroll",
        action="store_true",
        help="let the baseline also fetch the 3 days before the window, as slo-prep must",
    )
    args = parser.parse_args(argv)
    if args.baseline_preroll:
        PREROLL.append("--preroll")
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.configs_only:
        if not args.prometheus:
            parser.error("--configs-only needs --prometheus URL")
        for path in write_configs(args.configs_only, args.prometheus.rstrip("/")).values():
            print(path)
        return 0

    with ExitStack() as stack:
        if args.prometheus:
            url = args.prometheus.rstrip("/")
        else:
            print("starting the scenario Prometheus ...", file=sys.stderr)
            url = stack.enter_context(scenario_prometheus(args.data_dir))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slo-bench-cfg-")))
        cells = {(w, v): Cell() for w in WINDOWS for v in VARIANTS}
        print("checking round trips and firings through a counting proxy ...", file=sys.stderr)
        check_pass(url, workdir, cells)
        timed_rounds(url, write_configs(workdir / "direct", url), args.runs, cells)
        text = report(cells, args.runs, machine_line(url))

    print(text, end="")
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS.relative_to(REPO)}", file=sys.stderr)
    problems = [
        f"{w} {v}: reported {c.round_trips} round trips, proxy saw {c.on_wire}"
        for (w, v), c in cells.items()
        if c.round_trips != c.on_wire
    ] + [
        f"{w}: slo-prep and the baseline found different firings"
        for w in WINDOWS
        if cells[w, "slo-prep"].firings != cells[w, "baseline"].firings
    ]
    for problem in problems:
        print(f"WARNING: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
