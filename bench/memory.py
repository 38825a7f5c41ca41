"""The daemon's memory over many cycles with 1,000 SLOs: resident set size, and whether it grows.

``slo-prep run`` as a real process (SQLite store, Slack off: what it would post goes to its
log) with the 1,000-SLO config of ``bench/scale_data.py`` against a real Prometheus 2.x, on an
accelerated schedule: ``collect_interval`` 10 s (the shortest the config accepts) instead of
the default 60 s, so 60 cycles, an hour of the default schedule, take about 10 minutes. Burn
alerts found in the data are announced to a (pretend) SRE channel, so alert packs are drafted
and stored as in production.

RSS (``VmRSS`` of ``/proc/<pid>/status``) is sampled every few seconds, and so is the
proportional set size (``Pss`` of ``smaps_rollup``) of the daemon with its child processes
(the spawned drafting worker and multiprocessing's resource tracker): PSS splits shared pages
between the processes, so their figures add up. The report gives the
RSS at start, after the warm-up cycles, at the end, the peak (``VmHWM``), and the slope of a
least-squares line over the second half of the samples, per hour of wall time and per 60
cycles; the cycles are counted from the daemon's own ``slo_prep_cycles_total``.

    .venv/bin/python bench/memory.py [--cycles 60] [--warmup-cycles 5] [--write]
    .venv/bin/python bench/memory.py --duration 3600     # a literal hour (about 360 cycles)

Goal: at most 150 MB, no growth. Exits 1 when the daemon dies.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.scale_data import ScalePrometheus, prepare, write_slo_prep_config  # noqa: E402
from tests.runtime.daemon_process import DaemonProcess  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

RESULTS = REPO / "bench" / "results" / "memory.md"
DEFAULT_DATA = Path(tempfile.gettempdir()) / "slo-prep-scale"
DEFAULT_INTERVAL_SECONDS = 60
GOAL_MB = 150.0
_CYCLES = re.compile(r'^slo_prep_cycles_total\{outcome="(\w+)"\} ([0-9.e+]+)$', re.M)


@dataclass
class Sample:
    seconds: float
    # the daemon process alone
    rss_mb: float
    cycles: int
    # the daemon and its child processes (the drafting worker, spawned: its own interpreter)
    tree_rss_mb: float = 0.0
    tree_pss_mb: float = 0.0
    processes: int = 1


def status_mb(pid: int, field: str) -> float:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM) in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError(field)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between the processes sharing them), so the
    processes' figures add up to the memory they use together."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError("Pss")


def tree_sample(pid: int) -> tuple[float, float, int]:
    """(RSS sum, PSS sum, processes) of ``pid`` and its descendants."""
    rss = pss = 0.0
    count = 0
    for p in descendants(pid):
        try:
            rss += status_mb(p, "VmRSS")
            pss += pss_mb(p)
            count += 1
        except (OSError, KeyError):
            continue  # exited between the listing and the read
    return rss, pss, count


def cycles_done(url: str) -> tuple[int, dict[str, int]]:
    """Cycles the daemon finished, in total and by outcome, from its /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    by_outcome = {m.group(1): int(float(m.group(2))) for m in _CYCLES.finditer(text)}
    return sum(by_outcome.values()), by_outcome


def slope_per_hour(samples: list[Sample], tree: bool = False) -> float:
    """Least-squares slope of RSS (or the tree's PSS) over wall time, MB per hour."""
    xs = [s.seconds / 3600 for s in samples]
    ys = [s.tree_pss_mb if tree else s.rss_mb for s in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=60, help="measured cycles after warm-up")
    parser.add_argument("--warmup-cycles", type=int, default=5)
    parser.add_argument("--duration", type=float, default=0, help="run at least this long (s)")
    parser.add_argument("--interval", default="10s", help="schedule.collect_interval")
    parser.add_argument("--sample-every", type=float, default=2.0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="kept between runs")
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--slos-per-service", type=int, default=5)
    parser.add_argument("--no-alerts", action="store_true", help="no SRE channel: no alert packs")
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args(argv)
    interval = int(args.interval.rstrip("s"))
    # the data must reach past the end of the run: the daemon evaluates at its real clock
    expected_minutes = int(max(args.duration, (args.warmup_cycles + args.cycles) * interval * 3))
    data = prepare(
        args.data,
        args.services,
        args.slos_per_service,
        min_future_minutes=expected_minutes // 60 + 10,
    )
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with (
        tempfile.TemporaryDirectory(prefix="slo-prep-memory-") as tmp,
        ScalePrometheus(args.data / "blocks") as prom,
    ):
        work = Path(tmp)
        port = free_port()
        config = write_slo_prep_config(
            data,
            work / "slo-prep.yaml",
            prom.url,
            store_url=f"sqlite:///{work / 'slo-prep.db'}",
            http_listen=f"127.0.0.1:{port}",
            schedule={"collect_interval": args.interval},
            sre_channel=None if args.no_alerts else "C0BENCHSRE",
        )
        daemon = DaemonProcess(config, port, work / "daemon.log")
        daemon.start()
        try:
            daemon.wait_ready(timeout=120)
            assert daemon.process is not None
            pid = daemon.process.pid
            t0 = time.monotonic()
            samples: list[Sample] = []
            warm_at: Sample | None = None
            target = args.warmup_cycles + args.cycles
            while True:
                if daemon.process.poll() is not None:
                    print(f"daemon exited {daemon.process.returncode}:\n{daemon.tail()}")
                    return 1
                done, outcomes = cycles_done(daemon.url)
                sample = Sample(
                    time.monotonic() - t0, status_mb(pid, "VmRSS"), done, *tree_sample(pid)
                )
                samples.append(sample)
                if warm_at is None and done >= args.warmup_cycles:
                    warm_at = sample
                if done >= target and sample.seconds >= args.duration:
                    break
                time.sleep(args.sample_every)
            peak = status_mb(pid, "VmHWM")
            log_bytes = (work / "daemon.log").stat().st_size
        finally:
            daemon.stop()
    assert warm_at is not None
    measured = [s for s in samples if s.seconds >= warm_at.seconds]
    second_half = measured[len(measured) // 2 :]
    per_hour = slope_per_hour(second_half)
    span_h = (second_half[-1].seconds - second_half[0].seconds) / 3600
    cycles_half = second_half[-1].cycles - second_half[0].cycles
    per_60_cycles = per_hour * span_h / cycles_half * 60 if cycles_half else 0.0
    end = samples[-1]
    default_hours = end.cycles * DEFAULT_INTERVAL_SECONDS / 3600
    outcome_text = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    text = "\n".join(
        [
            f"# Daemon memory: {len(data.slos)} SLOs, collect_interval {args.interval}",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {os.cpu_count()} cores, "
            f"{platform.machine()}, Python {platform.python_version()}; load average at start "
            f"{load_start}. Alerts {'off' if args.no_alerts else 'announced (packs drafted)'}.",
            "",
            "| | |",
            "|---|---|",
            f"| cycles completed | {end.cycles} ({outcome_text}) "
            f"in {end.seconds / 60:.1f} min = {default_hours:.2f} h of the default 60 s schedule |",
            f"| daemon process: RSS at start (first sample, ready) | {samples[0].rss_mb:.1f} MB |",
            f"| RSS after {args.warmup_cycles} warm-up cycles | {warm_at.rss_mb:.1f} MB |",
            f"| RSS at the end | {end.rss_mb:.1f} MB |",
            f"| peak RSS (VmHWM) (goal <= {GOAL_MB:.0f} MB) | **{peak:.1f} MB** |",
            f"| daemon and its child processes at the end: {end.processes} processes | "
            f"RSS {end.tree_rss_mb:.1f} MB, PSS {end.tree_pss_mb:.1f} MB |",
            f"| **peak PSS of the daemon and its children** (sampled) | "
            f"**{max(s.tree_pss_mb for s in samples):.1f} MB** |",
            f"| slope of that PSS over the second half | "
            f"{slope_per_hour(second_half, tree=True):+.2f} MB/h of wall time |",
            f"| slope over the second half ({len(second_half)} samples, {cycles_half} cycles) | "
            f"{per_hour:+.2f} MB/h of wall time, {per_60_cycles:+.2f} MB per 60 cycles |",
            f"| daemon log (its Slack-off output included) | {log_bytes / 1e6:.1f} MB |",
        ]
    )
    print(text)
    if args.write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
