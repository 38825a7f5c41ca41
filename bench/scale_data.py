"""Shared data for the benchmarks at scale: 1,000 SLOs (200 services x 5) with exact truth.

The generator is the single source of truth. Each SLO has two per-minute counter series,

    bench_requests_total{service="svc-000",slo="s0",code="200"}
    bench_requests_total{service="svc-000",slo="s0",code="500"}

whose traffic follows a daily wave and whose error ratio changes over time (a base ratio below
the budget plus incidents: ongoing, a few hours old, days old), so some burn windows of an SLO
are high while others are low. A few SLOs lose all traffic around the anchor, so some windows
have no events at all. The history runs from 3 days and 2 hours before the anchor (the
longest burn window is 3 days) to 6 hours after it, so the windows stay full while a benchmark
runs against "now".

From it:

- ``backfill``: the series as OpenMetrics, turned into TSDB blocks by
  ``promtool tsdb create-blocks-from openmetrics``, in a directory that later runs re-use;
- ``write_slo_prep_config``: an slo-prep config with one ratio SLO per generated SLO;
- ``expected_rates`` / ``expected_burn``: what Prometheus 2.x answers for
  ``sum(rate(...[W]))`` (and ``increase``) at any evaluation time, computed from the generator's
  own counters with Prometheus's extrapolation rule (exact on the 1-minute grid, where the
  range holds a sample at both ends);
- ``ScalePrometheus``: a Prometheus on a free loopback port serving those blocks, optionally
  with a rules file, with ``--web.enable-lifecycle`` so rules can be swapped by a reload.

Run it to build (or re-use) the data and print where it is::

    .venv/bin/python bench/scale_data.py DIR [--services 200] [--slos-per-service 5] [--serve]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.request
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.processes import ServerProcess  # noqa: E402

METRIC = "bench_requests_total"
MINUTE = 60
#: the burn windows slo-prep evaluates (and Sloth records), in seconds
BURN_WINDOWS: tuple[int, ...] = (300, 1800, 3600, 7200, 21600, 86400, 259200)
#: history before the anchor: the longest burn window, and two hours to spare
HISTORY_MINUTES = 3 * 1440 + 120
#: history after the anchor: benchmarks evaluate at "now", which moves on while they run
FUTURE_MINUTES = 6 * 60
#: objectives the SLOs of a service cycle through (percent)
OBJECTIVES: tuple[float, ...] = (99.9, 99.5, 99.0, 99.95, 99.9)
SLO_WINDOW = "30d"
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"


@dataclass(frozen=True)
class ScaleSpec:
    """What to generate. ``anchor`` is a whole minute, UTC (default: the current minute)."""

    anchor: datetime
    services: int = 200
    slos_per_service: int = 5
    seed: int = 7
    history_minutes: int = HISTORY_MINUTES
    future_minutes: int = FUTURE_MINUTES

    @staticmethod
    def now(**kwargs: int) -> ScaleSpec:
        anchor = datetime.now(UTC).replace(second=0, microsecond=0)
        return ScaleSpec(anchor=anchor, **kwargs)

    @property
    def start(self) -> datetime:
        """The first sample (every counter is 0 there)."""
        return self.anchor - timedelta(minutes=self.history_minutes)

    @property
    def end(self) -> datetime:
        """The last sample."""
        return self.anchor + timedelta(minutes=self.future_minutes)

    @property
    def minutes(self) -> int:
        """Samples per series."""
        return self.history_minutes + self.future_minutes + 1

    def to_json(self) -> str:
        fields = asdict(self)
        fields["anchor"] = self.anchor.isoformat()
        return json.dumps(fields, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> ScaleSpec:
        fields = json.loads(text)
        fields["anchor"] = datetime.fromisoformat(fields["anchor"])
        return ScaleSpec(**fields)


@dataclass(frozen=True)
class Incident:
    """Extra error ratio ``extra`` during minutes ``first``..``last`` (grid indexes)."""

    first: int
    last: int
    extra: float


@dataclass
class ScaleSlo:
    """One generated SLO: its labels, objective and cumulative counters per grid minute."""

    service: str
    name: str
    objective_percent: float
    incidents: tuple[Incident, ...]
    #: cumulative requests answered 200 / 500, index k = sample at start + k minutes
    good: array[int] = field(repr=False)
    bad: array[int] = field(repr=False)

    @property
    def budget(self) -> float:
        return 1 - self.objective_percent / 100

    def selector(self, code: str | None = None) -> str:
        labels = f'service="{self.service}",slo="{self.name}"'
        if code is not None:
            labels += f',code="{code}"'
        return "{" + labels + "}"

    @property
    def error_query(self) -> str:
        """The SLI's bad-event rate, as an slo-prep / Sloth template."""
        matchers = f'service="{self.service}",slo="{self.name}",code=~"5.."'
        return f"sum(rate({METRIC}{{{matchers}}}[{{{{.window}}}}]))"

    @property
    def total_query(self) -> str:
        return f"sum(rate({METRIC}{self.selector()}[{{{{.window}}}}]))"


@dataclass
class ScaleData:
    spec: ScaleSpec
    slos: list[ScaleSlo]

    @property
    def services(self) -> list[str]:
        return list(dict.fromkeys(s.service for s in self.slos))

    def slo(self, service: str, name: str) -> ScaleSlo:
        for s in self.slos:
            if s.service == service and s.name == name:
                return s
        raise KeyError((service, name))

    def time_of(self, k: int) -> datetime:
        return self.spec.start + timedelta(minutes=k)


def service_name(i: int) -> str:
    return f"svc-{i:03d}"


def slo_name(j: int) -> str:
    return f"s{j}"


def _incidents(rng: random.Random, spec: ScaleSpec, budget: float) -> tuple[Incident, ...]:
    """0-3 incidents, placed so that the burn windows of different SLOs disagree."""
    a = spec.history_minutes
    found: list[Incident] = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        kind = rng.choice(("ongoing", "recent", "hours", "days", "anywhere"))
        if kind == "ongoing":  # started a little before the anchor, lasts into the future
            first = a - rng.randint(3, 90)
            last = a + rng.randint(30, spec.future_minutes)
        elif kind == "recent":  # over within the last hour
            last = a - rng.randint(1, 60)
            first = last - rng.randint(5, 45)
        elif kind == "hours":
            last = a - rng.randint(120, 600)
            first = last - rng.randint(30, 180)
        elif kind == "days":
            last = a - rng.randint(1440, 4000)
            first = last - rng.randint(60, 480)
        else:
            first = rng.randint(1, spec.minutes - 2)
            last = first + rng.randint(5, 240)
        extra = min(0.5, budget * rng.uniform(1.0, 60.0))
        found.append(Incident(max(first, 1), min(last, spec.minutes - 1), extra))
    return tuple(found)


def _slo(spec: ScaleSpec, i: int, j: int) -> ScaleSlo:
    service, name = service_name(i), slo_name(j)
    # a string seed is hashed with SHA-512: the same on every machine and Python run
    rng = random.Random(f"{spec.seed}/{service}/{name}")
    objective = OBJECTIVES[j % len(OBJECTIVES)]
    budget = 1 - objective / 100
    per_minute = rng.uniform(100, 2000)
    phase = rng.uniform(0, 2 * math.pi)
    base_ratio = budget * rng.uniform(0.05, 0.9)
    incidents = _incidents(rng, spec, budget)
    # about 1 SLO in 50 loses all traffic around the anchor: windows with no events at all
    gap = (
        (spec.history_minutes - rng.randint(10, 40), spec.history_minutes + rng.randint(5, 30))
        if rng.random() < 0.02
        else (0, -1)
    )
    # the minute of day of the first sample, so the wave follows wall-clock days
    day0 = (spec.start.hour * 60 + spec.start.minute) / 1440
    good = array("q", [0])
    bad = array("q", [0])
    g = b = 0
    ratio_at = [base_ratio] * spec.minutes
    for inc in incidents:
        for k in range(inc.first, inc.last + 1):
            ratio_at[k] += inc.extra
    two_pi = 2 * math.pi
    uniform = rng.random
    for k in range(1, spec.minutes):
        if gap[0] <= k <= gap[1]:
            good.append(g)
            bad.append(b)
            continue
        wave = 1 + 0.35 * math.sin(two_pi * (day0 + k / 1440) + phase)
        total = max(1, int(per_minute * wave * (0.95 + 0.1 * uniform())))
        errors = min(total, int(total * min(ratio_at[k], 1.0) + uniform()))
        g += total - errors
        b += errors
        good.append(g)
        bad.append(b)
    return ScaleSlo(service, name, objective, incidents, good, bad)


def generate(spec: ScaleSpec) -> ScaleData:
    """Every SLO's counters (about 5 s for 1,000 SLOs)."""
    return ScaleData(
        spec,
        [_slo(spec, i, j) for i in range(spec.services) for j in range(spec.slos_per_service)],
    )


# --------------------------------------------------------------------------- truth


def _extrapolated(
    counter: Sequence[int], spec: ScaleSpec, window_seconds: float, at: datetime, is_rate: bool
) -> float | None:
    """Prometheus 2.x ``rate``/``increase`` of one counter series over ``[at - W, at]``
    (``extrapolatedRate`` in promql/functions.go: both range ends inclusive, extrapolation to
    the range ends by at most 1.1 sample intervals, and not below zero for a counter). None
    when fewer than two samples fall in the range (Prometheus returns no series then)."""
    end_ms = round(at.timestamp() * 1000)
    start_ms = end_ms - round(window_seconds * 1000)
    t0_ms = round(spec.start.timestamp() * 1000)
    step = MINUTE * 1000
    first = max(0, -((t0_ms - start_ms) // step))  # ceil((start - t0) / step)
    last = min(spec.minutes - 1, (end_ms - t0_ms) // step)
    if last - first < 1:
        return None
    v_first, v_last = float(counter[first]), float(counter[last])
    result = v_last - v_first  # no counter resets in generated data
    t_first, t_last = t0_ms + first * step, t0_ms + last * step
    to_start = (t_first - start_ms) / 1000
    to_end = (end_ms - t_last) / 1000
    sampled = (t_last - t_first) / 1000
    average = sampled / (last - first)
    if result > 0 and v_first >= 0:
        to_zero = sampled * (v_first / result)
        to_start = min(to_start, to_zero)
    threshold = average * 1.1
    extrapolate_to = sampled
    extrapolate_to += to_start if to_start < threshold else average / 2
    extrapolate_to += to_end if to_end < threshold else average / 2
    result = result * (extrapolate_to / sampled)
    if is_rate:
        result = result / window_seconds
    return result


@dataclass(frozen=True)
class Expected:
    """What ``sum(rate(bad[W]))`` and ``sum(rate(total[W]))`` answer (None: no series)."""

    bad: float | None
    total: float | None
    budget: float

    @property
    def error_ratio(self) -> float | None:
        if self.total is None or self.total <= 0:
            return None
        return (self.bad or 0.0) / self.total

    @property
    def burn_rate(self) -> float | None:
        ratio = self.error_ratio
        return None if ratio is None else ratio / self.budget


def _sum(values: Sequence[float | None]) -> float | None:
    """PromQL ``sum``: no series in, no series out; in label order (code 200, then 500)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    total = present[0]
    for v in present[1:]:
        total += v
    return total


def expected_rates(
    data: ScaleData, slo: ScaleSlo, window_seconds: float, at: datetime, is_rate: bool = True
) -> Expected:
    """The SLO's ``sum(rate(...[W]))`` of bad and of all requests at ``at`` (``increase``
    with ``is_rate=False``)."""
    bad = _extrapolated(slo.bad, data.spec, window_seconds, at, is_rate)
    good = _extrapolated(slo.good, data.spec, window_seconds, at, is_rate)
    return Expected(bad=bad, total=_sum([good, bad]), budget=slo.budget)


def expected_burn(data: ScaleData, slo: ScaleSlo, at: datetime) -> dict[int, Expected]:
    """Every burn window of the SLO at ``at``, keyed by window length in seconds."""
    return {w: expected_rates(data, slo, w, at) for w in BURN_WINDOWS}


def exact_events(slo: ScaleSlo, data: ScaleData, a: datetime, b: datetime) -> tuple[int, int]:
    """(bad, total) events of the grid minutes k with a < t_k <= b (no extrapolation): what a
    window "really" held, for reports that compare extrapolated answers with it."""
    lo = max(0, min(data.spec.minutes - 1, math.floor((a - data.spec.start).total_seconds() / 60)))
    hi = max(0, min(data.spec.minutes - 1, math.floor((b - data.spec.start).total_seconds() / 60)))
    bad = slo.bad[hi] - slo.bad[lo]
    return bad, bad + slo.good[hi] - slo.good[lo]


# --------------------------------------------------------------------------- backfill


def _openmetrics_lines(data: ScaleData) -> Iterator[str]:
    stamps = [str(int(data.time_of(k).timestamp())) for k in range(data.spec.minutes)]
    yield f"# TYPE {METRIC.removesuffix('_total')} counter\n"
    for slo in data.slos:
        for code, counter in (("200", slo.good), ("500", slo.bad)):
            head = f"{METRIC}{slo.selector(code)} "
            # promtool drops out-of-order samples: each series whole and in time order
            yield "".join(f"{head}{v} {t}\n" for v, t in zip(counter, stamps, strict=True))
    yield "# EOF\n"


def backfill(data: ScaleData, directory: Path) -> Path:
    """TSDB blocks of ``data`` in ``directory/blocks`` (re-used when built from the same spec);
    returns that directory. Never served directly: ``ScalePrometheus`` links its blocks into a
    fresh storage directory per run, so runs (and rule outputs) never touch it."""
    directory.mkdir(parents=True, exist_ok=True)
    blocks = directory / "blocks"
    marker = directory / "spec.json"
    wanted = data.spec.to_json()
    if blocks.is_dir() and marker.is_file() and marker.read_text() == wanted:
        return blocks
    shutil.rmtree(blocks, ignore_errors=True)
    marker.unlink(missing_ok=True)
    om = directory / "scale.om"
    with om.open("w", encoding="utf-8") as fh:
        fh.writelines(_openmetrics_lines(data))
    tmp = directory / "blocks.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    proc = subprocess.run(
        [_binary(PROMTOOL), "tsdb", "create-blocks-from", "openmetrics", str(om), str(tmp)],
        capture_output=True,
        text=True,
        check=False,
    )
    om.unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"promtool backfill failed (rc={proc.returncode}):\n{proc.stderr}")
    tmp.rename(blocks)
    marker.write_text(wanted, encoding="utf-8")
    return blocks


def prepare(
    directory: Path,
    services: int = 200,
    slos_per_service: int = 5,
    *,
    min_future_minutes: int = 60,
    seed: int = 7,
) -> ScaleData:
    """The generated data and its blocks in ``directory``: the kept ones if they were built
    with the same sizes and still reach ``min_future_minutes`` past now, else new ones
    anchored at the current minute."""
    marker = directory / "spec.json"
    now = datetime.now(UTC)
    if marker.is_file() and (directory / "blocks").is_dir():
        kept = ScaleSpec.from_json(marker.read_text())
        fresh_enough = kept.end - now >= timedelta(minutes=min_future_minutes) and (
            now - kept.start >= timedelta(seconds=max(BURN_WINDOWS) + 60)
        )
        same = (kept.services, kept.slos_per_service, kept.seed) == (
            services,
            slos_per_service,
            seed,
        )
        if fresh_enough and same:
            data = generate(kept)
            backfill(data, directory)
            return data
    data = generate(ScaleSpec.now(services=services, slos_per_service=slos_per_service, seed=seed))
    backfill(data, directory)
    return data


# --------------------------------------------------------------------------- config


def write_slo_prep_config(
    data: ScaleData,
    path: Path,
    prometheus_url: str,
    *,
    prometheus_options: dict[str, object] | None = None,
    store_url: str | None = None,
    schedule: dict[str, str] | None = None,
    http_listen: str | None = None,
    slack_output_dir: str | None = None,
    sre_channel: str | None = None,
) -> Path:
    """An slo-prep config with every generated SLO (30-day window, ratio SLI), one service per
    generated service, Slack off. JSON strings are valid YAML scalars, hence ``json.dumps``."""
    q = json.dumps
    lines = ["apiVersion: slo-prep/v1", "prometheus:", f"  url: {q(prometheus_url)}"]
    lines += [f"  {k}: {q(v)}" for k, v in (prometheus_options or {}).items()]
    if store_url is not None:
        lines += ["store:", f"  url: {q(store_url)}"]
    if http_listen is not None:
        lines += ["http:", f"  listen: {q(http_listen)}"]
    lines += ["slack:", '  mode: "off"']
    if slack_output_dir is not None:
        lines.append(f"  output_dir: {q(slack_output_dir)}")
    if sre_channel is not None:
        lines.append(f"  sre_channel: {q(sre_channel)}")
    if schedule:
        lines.append("schedule:")
        lines += [f"  {k}: {q(v)}" for k, v in schedule.items()]
    lines.append("services:")
    for service in data.services:
        lines += [f"  - name: {q(service)}", "    slos:"]
        for slo in (s for s in data.slos if s.service == service):
            lines += [
                f"      - name: {q(slo.name)}",
                f"        objective: {slo.objective_percent}",
                f"        window: {SLO_WINDOW}",
                "        sli:",
                f"          error_query: {q(slo.error_query)}",
                f"          total_query: {q(slo.total_query)}",
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sloth_rules(data: ScaleData) -> str:
    """Sloth-shaped recording rules for every SLO: one group per SLO holding the seven
    ``slo:sli_error:ratio_rate<W>`` rules, each ``sum(rate(bad[W])) / sum(rate(total[W]))``
    (what ``sloth generate`` writes for an events-ratio SLI), as a rules file."""
    from_seconds = {300: "5m", 1800: "30m", 3600: "1h", 7200: "2h", 21600: "6h"}
    from_seconds |= {86400: "1d", 259200: "3d"}
    out = ["groups:"]
    for slo in data.slos:
        sloth_id = f"{slo.service}-{slo.name}"
        out += [f"  - name: sloth-slo-sli-recordings-{sloth_id}", "    rules:"]
        for seconds in BURN_WINDOWS:
            w = from_seconds[seconds]
            bad = slo.error_query.replace("{{.window}}", w)
            total = slo.total_query.replace("{{.window}}", w)
            out += [
                f"      - record: slo:sli_error:ratio_rate{w}",
                f"        expr: {json.dumps(f'({bad})' + chr(10) + f'/({total})')}",
                "        labels:",
                f"          sloth_id: {json.dumps(sloth_id)}",
                f"          sloth_service: {json.dumps(slo.service)}",
                f"          sloth_slo: {json.dumps(slo.name)}",
                f"          sloth_window: {json.dumps(w)}",
            ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- Prometheus


def _binary(path: str) -> str:
    if Path(path).is_file():
        return path
    found = shutil.which(Path(path).name)
    if found:
        return found
    raise RuntimeError(f"{Path(path).name} not found: apt-get install -y prometheus")


class ScalePrometheus(ServerProcess):
    """Prometheus on a free loopback port over the blocks of ``blocks`` (hard-linked into a
    fresh storage directory, so the kept blocks are never written to), with ``rules`` loaded
    from ``rules_file`` if given; ``reload()`` re-reads that file (lifecycle API)."""

    name = "prometheus"
    title = "Prometheus"
    log_file = "prometheus.log"
    workdir_prefix = "slo-prep-scale-prom-"
    error = RuntimeError
    terminate_timeout = 30.0
    external_url = False

    def __init__(
        self,
        blocks: Path,
        *,
        rules_file: Path | None = None,
        evaluation_interval: str = "1m",
        port: int = 0,
        ready_timeout: float = 120.0,
    ) -> None:
        super().__init__(port=port, ready_timeout=ready_timeout)
        self.blocks = blocks
        self.rules_file = rules_file
        self.evaluation_interval = evaluation_interval

    def _find_binary(self) -> str:
        return _binary(PROMETHEUS)

    def _prepare(self, workdir: Path) -> list[str]:
        storage = workdir / "data"
        # hard links: no copy of the blocks; Prometheus replaces block files, never edits them
        shutil.copytree(self.blocks, storage, copy_function=os.link)
        config = self._write_config(workdir)
        return [
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            "--storage.tsdb.retention.time=3650d",
            "--web.enable-lifecycle",
        ]

    def __enter__(self) -> ScalePrometheus:
        # ``with start_prometheus(...)``: already started, so entering must not start a second
        # server (the first would be left running, unowned)
        return self if self.process is not None else self.start()

    def reload(self) -> None:
        """Re-read the config and rules file (POST /-/reload)."""
        request = urllib.request.Request(self.url + "/-/reload", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()

    def set_rules(self, rules_file: Path | None) -> None:
        """Load ``rules_file`` (or none) and reload."""
        assert self.workdir is not None
        self.rules_file = rules_file
        self._write_config(self.workdir)
        self.reload()

    def _write_config(self, workdir: Path) -> Path:
        config = workdir / "prometheus.yml"
        rules = f"rule_files: [{json.dumps(str(self.rules_file))}]\n" if self.rules_file else ""
        config.write_text(
            "global:\n"
            "  scrape_interval: 1m\n"
            f"  evaluation_interval: {self.evaluation_interval}\n"
            "scrape_configs: []\n"
            # the blocks reach into the future: without an out-of-order window the head
            # refuses samples older than the newest block, so every recorded result would be
            # discarded (and logged, one line each)
            "storage:\n  tsdb:\n    out_of_order_time_window: 1d\n" + rules,
            encoding="utf-8",
        )
        return config


def start_prometheus(
    blocks: Path,
    *,
    rules_file: Path | None = None,
    evaluation_interval: str = "1m",
    port: int = 0,
) -> ScalePrometheus:
    """A started ``ScalePrometheus``; the caller must ``stop()`` it (or use ``with``)."""
    return ScalePrometheus(
        blocks, rules_file=rules_file, evaluation_interval=evaluation_interval, port=port
    ).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--slos-per-service", type=int, default=5)
    parser.add_argument("--min-future-minutes", type=int, default=60)
    parser.add_argument("--serve", action="store_true", help="then serve it until Ctrl-C")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", type=Path, help="also write an slo-prep config here")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    data = prepare(
        args.directory,
        args.services,
        args.slos_per_service,
        min_future_minutes=args.min_future_minutes,
    )
    spec = data.spec
    print(
        f"{len(data.slos)} SLOs, {2 * len(data.slos)} series x {spec.minutes} minutes, "
        f"{spec.start:%Y-%m-%d %H:%M} .. {spec.end:%Y-%m-%d %H:%M} UTC "
        f"(anchor {spec.anchor:%H:%M}); blocks in {args.directory / 'blocks'} "
        f"({time.monotonic() - t0:.1f} s)",
        flush=True,
    )
    if not args.serve:
        return 0
    with start_prometheus(args.directory / "blocks", port=args.port) as prom:
        if args.config:
            write_slo_prep_config(data, args.config, prom.url)
        print(f"Prometheus ready at {prom.url}", flush=True)
        try:
            while prom.process is not None and prom.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
