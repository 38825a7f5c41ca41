"""The collect cycle at scale: 1,000 SLOs' burn rates, slo-prep vs Prometheus's own rules.

Both sides evaluate the same thing on the same data, in one run, on one Prometheus 2.x:

- **rules**: the Sloth-shaped recording rules of every SLO (one group per SLO holding the seven
  ``slo:sli_error:ratio_rate<W>`` rules, ``sum(rate(bad[W])) / sum(rate(total[W]))``), loaded
  by a reload; once every group has been evaluated twice more, the figure is
  ``sum(prometheus_rule_group_last_duration_seconds)`` over those groups: Prometheus's own time
  for one evaluation of all of them. Then a reload without rules, so rule evaluation does not
  compete with the cycle.
- **slo-prep**: ``daemon.drafting.evaluate_cycle`` called in-process with the config's services
  (what the daemon's collect job calls), after a warm-up call. In-process, because a daemon
  runs its cycle in a process that is already up: starting Python and loading a 1,000-SLO
  config is not part of a cycle. Its figure is the wall time of one call, which includes the
  assessment of every SLO's conditions.

The two alternate, round by round. Before the timed rounds an untimed check pass sends one
cycle through a counting loopback proxy (``tests/support/counting_proxy.py``): requests per
cycle, and every burn rate against the generator's truth (``bench/scale_data.py``). The
query-by-query path (``batch_size`` 1, one request at a time: the cycle before batching) is
timed too, as a reference (``--unbatched-rounds 0`` leaves it out).

    .venv/bin/python bench/cycle_scale.py [--rounds 5] [--data DIR] [--write]

Prints a Markdown report; ``--write`` also saves it to bench/results/cycle_scale.md. Exits 1
when a number differs from the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.scale_data import (  # noqa: E402
    BURN_WINDOWS,
    ScaleData,
    ScalePrometheus,
    expected_burn,
    prepare,
    sloth_rules,
    write_slo_prep_config,
)
from daemon.app import build_prometheus  # noqa: E402
from daemon.config.load import load_config  # noqa: E402
from daemon.config.model import Config  # noqa: E402
from daemon.drafting import CycleEvaluation, evaluate_cycle  # noqa: E402
from tests.support.counting_proxy import counting_proxy  # noqa: E402

RESULTS = REPO / "bench" / "results" / "cycle_scale.md"
DEFAULT_DATA = Path(tempfile.gettempdir()) / "slo-prep-scale"
GOAL = 1.5


def _get(url: str, path: str, **params: str) -> object:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=120) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def _metrics(url: str) -> dict[str, dict[str, float]]:
    """Prometheus's own ``prometheus_rule_group_*`` series from its ``/metrics`` page, by
    metric name and rule group."""
    wanted = (
        "prometheus_rule_group_last_duration_seconds",
        "prometheus_rule_group_iterations_total",
        "prometheus_rule_group_iterations_missed_total",
        "prometheus_rule_evaluation_failures_total",
    )
    out: dict[str, dict[str, float]] = {name: {} for name in wanted}
    with urllib.request.urlopen(url + "/metrics", timeout=60) as response:
        for raw in response.read().decode().splitlines():
            name, _, rest = raw.partition("{")
            if name not in out or "sloth-slo-sli-recordings-" not in rest:
                continue
            labels, _, value = rest.rpartition("} ")
            group = labels.split('rule_group="', 1)[1].split('"', 1)[0]
            out[name][group] = float(value)
    return out


@dataclass
class RulesRound:
    seconds: float
    groups: int
    missed: float
    failures: float
    # Prometheus's CPU time over one evaluation interval with the rules loaded: each group is
    # evaluated once in it
    cpu: float


def rules_round(
    prom: ScalePrometheus, rules_file: Path, groups: int, timeout: float, interval: float
) -> RulesRound:
    """Load the rules, wait until every group has been evaluated twice, read the sum of their
    last evaluation durations and Prometheus's CPU time over the next interval, unload them."""
    assert prom.process is not None
    prom.set_rules(rules_file)
    deadline = time.monotonic() + timeout
    try:
        while True:
            m = _metrics(prom.url)
            iterations = m["prometheus_rule_group_iterations_total"]
            if len(iterations) == groups and min(iterations.values()) >= 2:
                durations = m["prometheus_rule_group_last_duration_seconds"]
                cpu0 = _cpu_seconds(prom.process.pid)
                time.sleep(interval)
                cpu = _cpu_seconds(prom.process.pid) - cpu0
                return RulesRound(
                    seconds=sum(durations.values()),
                    groups=len(durations),
                    missed=sum(m["prometheus_rule_group_iterations_missed_total"].values()),
                    failures=sum(m["prometheus_rule_evaluation_failures_total"].values()),
                    cpu=cpu,
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"rules not evaluated twice within {timeout:.0f}s "
                    f"({len(iterations)} of {groups} groups seen)"
                )
            time.sleep(1)
    finally:
        prom.set_rules(None)


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CycleRound:
    seconds: float
    prometheus_cpu: float
    requests: int


def cycle_round(
    config: Config, prom: ScalePrometheus, batch_size: int, concurrency: int
) -> tuple[CycleRound, CycleEvaluation]:
    collector = build_prometheus(config.prometheus)
    assert prom.process is not None
    cpu0 = _cpu_seconds(prom.process.pid)
    t0 = time.perf_counter()
    result = evaluate_cycle(
        config.services,
        datetime.now(UTC),
        collector,
        batch_size=batch_size,
        max_concurrency=concurrency,
    )
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds(prom.process.pid) - cpu0
    return CycleRound(seconds, cpu, result.requests), result


@dataclass
class Check:
    requests_on_wire: int
    requests_reported: int
    posts: int
    compared: int
    worst_relative: float
    mismatches: list[str] = field(default_factory=list)


def check_pass(
    data: ScaleData, config_dir: Path, prom: ScalePrometheus, batch_size: int, concurrency: int
) -> Check:
    """One cycle through the counting proxy, every burn rate against the truth."""
    with counting_proxy(prom.url) as proxy:
        path = write_slo_prep_config(
            data,
            config_dir / "check.yaml",
            proxy.url,
            prometheus_options={"batch_size": batch_size, "max_concurrency": concurrency},
        )
        config = load_config(path)
        at = datetime.now(UTC)
        result = evaluate_cycle(
            config.services,
            at,
            build_prometheus(config.prometheus),
            batch_size=batch_size,
            max_concurrency=concurrency,
        )
        check = Check(proxy.total, result.requests, len(proxy.bodies), 0, 0.0)
    for service, evidence in result.evidence.items():
        for e in evidence:
            expected = expected_burn(data, data.slo(service, e.spec.name), at)
            for p in e.problems:
                if p.severity == "error":
                    check.mismatches.append(f"{service}/{e.spec.name}: {p.message}")
            for seconds in BURN_WINDOWS:
                want, got = expected[seconds].burn_rate, e.burn_rates[seconds]
                check.compared += 1
                if (want is None) != (got is None):
                    check.mismatches.append(f"{service}/{e.spec.name} {seconds}s: {got} != {want}")
                elif want is not None and got is not None:
                    rel = abs(got - want) / max(abs(want), 1e-12)
                    check.worst_relative = max(check.worst_relative, rel)
                    if rel > 1e-9:
                        check.mismatches.append(
                            f"{service}/{e.spec.name} {seconds}s: {got} != {want}"
                        )
    if check.requests_on_wire != check.requests_reported:
        check.mismatches.append(
            f"requests: {check.requests_reported} reported, {check.requests_on_wire} on the wire"
        )
    return check


def _span(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def report(
    args: argparse.Namespace,
    data: ScaleData,
    rules: list[RulesRound],
    cycles: list[CycleRound],
    unbatched: list[CycleRound],
    check: Check,
    load: tuple[str, str],
) -> str:
    rule_s = [r.seconds for r in rules]
    cycle_s = [c.seconds for c in cycles]
    ratio = statistics.median(cycle_s) / statistics.median(rule_s)
    queries = len(data.slos) * 2 * len(BURN_WINDOWS)
    lines = [
        f"# Cycle at scale: {len(data.slos)} SLOs ({data.spec.services} services x "
        f"{data.spec.slos_per_service})",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"Prometheus {_prometheus_version()}; load average at start {load[0]}, at end {load[1]}. "
        f"{args.rounds} rounds, alternating; batch_size {args.batch_size}, "
        f"max_concurrency {args.concurrency}.",
        "",
        "| | median (min-max) |",
        "|---|---|",
        f"| Prometheus rules: sum of `prometheus_rule_group_last_duration_seconds` over "
        f"{rules[0].groups} groups | {_span(rule_s)} |",
        f"| slo-prep `evaluate_cycle` wall time | {_span(cycle_s)} |",
        f"| ratio slo-prep / rules (goal <= {GOAL}x) | **{ratio:.2f}x** |",
        f"| Prometheus CPU time: one evaluation of every rule group (one interval) | "
        f"{_span([r.cpu for r in rules])} |",
        f"| Prometheus CPU time: during one slo-prep cycle | "
        f"{_span([c.prometheus_cpu for c in cycles])} |",
    ]
    if unbatched:
        lines.append(
            f"| reference: query by query, one at a time (`batch_size: 1`, "
            f"`max_concurrency: 1`), {unbatched[0].requests} requests | "
            f"{_span([c.seconds for c in unbatched])} |"
        )
    lines += [
        "",
        f"Requests per cycle: {check.requests_on_wire} on the wire "
        f"({check.posts} POST forms) for {queries} distinct queries "
        f"({queries / max(check.requests_on_wire, 1):.0f} per request); "
        f"slo-prep reported {check.requests_reported}.",
        f"Numbers: {check.compared} burn rates compared with the generator's truth, worst "
        f"relative difference {check.worst_relative:.1e}, "
        f"{len(check.mismatches)} mismatches.",
        f"Rules: {sum(r.missed for r in rules):.0f} missed iterations, "
        f"{sum(r.failures for r in rules):.0f} evaluation failures over the rounds.",
    ]
    return "\n".join(lines) + "\n"


def _prometheus_version() -> str:
    import subprocess

    out = subprocess.run(
        ["prometheus", "--version"], capture_output=True, text=True, check=False
    ).stdout
    return out.split()[2] if out.startswith("prometheus, version") else "?"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--unbatched-rounds", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="kept between runs")
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--slos-per-service", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--evaluation-interval", default="30s", help="the rule groups' interval")
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS}")
    args = parser.parse_args(argv)
    load_start = _load()
    print(f"data in {args.data} ...", file=sys.stderr, flush=True)
    data = prepare(args.data, args.services, args.slos_per_service, min_future_minutes=30)
    with tempfile.TemporaryDirectory(prefix="slo-prep-cycle-") as tmp:
        work = Path(tmp)
        rules_file = work / "sloth-rules.yml"
        rules_file.write_text(sloth_rules(data), encoding="utf-8")
        with ScalePrometheus(
            args.data / "blocks", evaluation_interval=args.evaluation_interval
        ) as prom:
            config = load_config(
                write_slo_prep_config(
                    data,
                    work / "slo-prep.yaml",
                    prom.url,
                    prometheus_options={
                        "batch_size": args.batch_size,
                        "max_concurrency": args.concurrency,
                    },
                )
            )
            print("check pass ...", file=sys.stderr, flush=True)
            check = check_pass(data, work, prom, args.batch_size, args.concurrency)
            for line in check.mismatches[:20]:
                print("MISMATCH", line, file=sys.stderr)
            cycle_round(config, prom, args.batch_size, args.concurrency)  # warm-up
            rules: list[RulesRound] = []
            cycles: list[CycleRound] = []
            timeout = 10 * _seconds(args.evaluation_interval) + 120
            for n in range(args.rounds):
                # alternate which side goes first
                order = ("rules", "cycle") if n % 2 == 0 else ("cycle", "rules")
                for side in order:
                    if side == "rules":
                        rules.append(
                            rules_round(
                                prom,
                                rules_file,
                                len(data.slos),
                                timeout,
                                _seconds(args.evaluation_interval),
                            )
                        )
                    else:
                        cycles.append(
                            cycle_round(config, prom, args.batch_size, args.concurrency)[0]
                        )
                print(
                    f"round {n + 1}: rules {rules[-1].seconds:.2f} s, "
                    f"cycle {cycles[-1].seconds:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
            unbatched = [cycle_round(config, prom, 1, 1)[0] for _ in range(args.unbatched_rounds)]
    text = report(args, data, rules, cycles, unbatched, check, (load_start, _load()))
    print(text)
    if args.write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
    return 1 if check.mismatches else 0


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]]


if __name__ == "__main__":
    raise SystemExit(main())
