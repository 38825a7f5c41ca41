"""The peer: google/slo-generator and slo-prep computing the same SLO reports for 1,000 SLOs, on
the same Prometheus, in the same run.

Data: ``bench/scale_data.py`` (200 services x 5 ratio SLOs, per-minute counters from 3 days
before the current minute to hours after it, so "now" is always covered), served by a real
Prometheus 2.x on loopback that this script starts and stops.

- slo-generator, as its users run it: ``slo-generator compute -f SLO_DIR -c config.yaml`` in
  its own virtualenv (``.venv-peer``), one process over the 1,000 SLO files, method
  ``good_bad_ratio`` with its default ``increase``/``sum`` operators, no exporter, and an
  error budget policy with one step per burn window of slo-prep (5m, 30m, 1h, 2h, 6h, 1d, 3d).
  Its report lines (SLI to 6 decimals) are read from its log on stdout.
- slo-prep: ``slo-prep evaluate -c CONFIG --at T --format json``, the daemon's burn-rate cycle
  over the same 1,000 SLOs, pinned to one instant.

Both are timed as whole processes (fork to reap): slo-generator has no long-running mode that
keeps state between runs for this (its ``api`` mode computes one SLO config per request), and
a process per run is how both are scheduled (cron / CronJob vs the daemon's cycle); interpreter
start and imports are part of each side's bill.

An untimed check pass comes first (it also warms Prometheus and the page cache): both tools go
through a recording loopback proxy, which keeps the instant of every query slo-generator sends
(its Prometheus backend evaluates at the wall clock of each request, and asks the good and the
valid count at two different instants). Every number is then checked against the generator's
own truth (``scale_data.expected_rates``: Prometheus's extrapolation rule applied to the
generator's counters) at the instant each tool evaluated, and the two tools are compared with
each other. ``--runs`` timed rounds follow, alternating which tool goes first.

    .venv/bin/python bench/peer_slo_generator.py [--runs 3] [--data-dir DIR] [--setup-peer]

Exit 1 when a number is off by more than the tolerances stated in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import scale_data as sd  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "slo-prep-scale"
PEER_VENV = REPO / ".venv-peer"
#: what --setup-peer installs; the version whose report line the parser below reads
PEER_REQUIREMENTS = ("setuptools<81", "slo-generator[prometheus]==2.6.0")
LABELS = {300: "5m", 1800: "30m", 3600: "1h", 7200: "2h", 21600: "6h", 86400: "1d", 259200: "3d"}
SLO_PERIOD_SECONDS = 30 * 86400  # scale_data's SLOs are 30-day rolling
#: multi-window multi-burn-rate conditions (SRE Workbook table 5-8): severity, long and short
#: window (s), share of the period's budget spent in the long window
CONDITIONS = (
    ("page", 3600, 300, 0.02),
    ("page", 21600, 1800, 0.05),
    ("ticket", 86400, 7200, 0.10),
    ("ticket", 259200, 21600, 0.10),
)
#: slo-generator rounds the SLI to 6 decimals (report.py, ``get_sli``)
PEER_SLI_ROUNDING = 5e-7
#: float noise between Prometheus's sums and the truth's, far below one request in a window
#: (>= 1 / 500,000 of a 3-day window here)
REL_EPS = 1e-9
#: the least events slo-generator accepts in a window (constants.MIN_VALID_EVENTS)
PEER_MIN_VALID_EVENTS = 1
AS_EACH_RUNS = "slo-generator vs slo-prep (as each runs)"
MID_MINUTE = "slo-prep mid-minute vs slo-prep on the grid"
SAME_SAMPLES = "slo-generator vs slo-prep (same samples)"


def threshold(long_seconds: int, spent: float) -> float:
    return spent * SLO_PERIOD_SECONDS / long_seconds


def step_threshold(seconds: int) -> float:
    """slo-generator alerts per step, on one window: the factor of the condition whose long
    window this is, else of the one whose short window it is (5m, 30m, 2h)."""
    for _sev, long_s, _short, spent in CONDITIONS:
        if long_s == seconds:
            return threshold(long_s, spent)
    for _sev, long_s, short_s, spent in CONDITIONS:
        if short_s == seconds:
            return threshold(long_s, spent)
    raise ValueError(seconds)


# --------------------------------------------------------------------------- slo-generator


def ensure_peer(venv: Path, setup: bool) -> tuple[Path, str]:
    """The slo-generator executable in ``venv`` and its version; with ``setup``, creates the
    venv and installs it first when missing."""
    exe = venv / "bin" / "slo-generator"
    python = venv / "bin" / "python"
    if not exe.is_file():
        if not setup:
            raise SystemExit(
                f"{exe} not found. Create it with:\n  python3 -m venv {venv} && "
                f"{venv}/bin/pip install {' '.join(repr(r) for r in PEER_REQUIREMENTS)}\n"
                "or run this script with --setup-peer."
            )
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", *PEER_REQUIREMENTS], check=True
        )
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('slo-generator'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return exe, version


def peer_name(slo: sd.ScaleSlo) -> str:
    return f"{slo.service}-{slo.name}"


def peer_filters(slo: sd.ScaleSlo) -> tuple[str, str]:
    """``filter_good`` and ``filter_valid`` as its docs write them for Prometheus."""
    return f"{sd.METRIC}{slo.selector('200')}", f"{sd.METRIC}{slo.selector()}"


def peer_queries(slo: sd.ScaleSlo, seconds: int) -> tuple[str, str]:
    """The good and valid queries slo-generator sends (``PrometheusBackend._fmt_query``: the
    window appended in seconds, then each default operator wrapped around, in order)."""
    good, valid = peer_filters(slo)
    return f"sum(increase({good}[{seconds}s]))", f"sum(increase({valid}[{seconds}s]))"


def write_peer_configs(data: sd.ScaleData, directory: Path, url: str) -> tuple[Path, Path]:
    """(shared config, directory of SLO configs). No exporter anywhere: the only system
    slo-generator talks to is Prometheus."""
    q = json.dumps
    directory.mkdir(parents=True, exist_ok=True)
    shared = directory / "config.yaml"
    lines = [
        "backends:",
        "  prometheus:",
        f"    url: {q(url)}",
        "exporters: {}",
        "error_budget_policies:",
        "  default:",
        "    steps:",
    ]
    for seconds in sd.BURN_WINDOWS:
        lines += [
            f"      - name: {q(LABELS[seconds])}",
            f"        window: {seconds}",
            f"        burn_rate_threshold: {step_threshold(seconds)}",
            "        alert: true",
            f"        message_alert: {q(f'{LABELS[seconds]} burn above the alert factor')}",
            f"        message_ok: {q(f'{LABELS[seconds]} within budget')}",
        ]
    shared.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slo_dir = directory / "slos"
    slo_dir.mkdir(exist_ok=True)
    for slo in data.slos:
        good, valid = peer_filters(slo)
        goal = float(Decimal(repr(slo.objective_percent)) / 100)
        (slo_dir / f"{peer_name(slo)}.yaml").write_text(
            "\n".join(
                [
                    "apiVersion: sre.google.com/v2",
                    "kind: ServiceLevelObjective",
                    "metadata:",
                    f"  name: {q(peer_name(slo))}",
                    "  labels:",
                    f"    service_name: {q(slo.service)}",
                    f"    feature_name: {q(slo.name)}",
                    f"    slo_name: {q(slo.name)}",
                    "spec:",
                    f"  description: {q(f'{slo.service} {slo.name} availability')}",
                    "  backend: prometheus",
                    "  method: good_bad_ratio",
                    "  exporters: []",
                    "  service_level_indicator:",
                    f"    filter_good: {q(good)}",
                    f"    filter_valid: {q(valid)}",
                    f"  goal: {goal}",
                    "  error_budget_policy: default",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
    return shared, slo_dir


@dataclass(frozen=True)
class PeerReport:
    """One report line: the SLI (None when the report is invalid, with its error)."""

    sli: float | None
    reported_burn: float | None = None
    error: str | None = None


_LINE = re.compile(r"^(?:INFO|ERROR|WARNING) - (\S+)\s+\| (\S+)\s+\| (.*)$")
_VALID = re.compile(r"^SLI: (\S+)\s*% \| SLO: \S+ % \| Gap: \S+\s*% \| BR: (\S+)\s*/")


def parse_peer(stdout: str) -> dict[tuple[str, str], PeerReport]:
    """Every report line of ``slo-generator compute`` (v2.6 format), by (SLO name, step)."""
    reports: dict[tuple[str, str], PeerReport] = {}
    for line in stdout.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        name, step, rest = m.groups()
        valid = _VALID.match(rest)
        if valid:
            reports[name, step] = PeerReport(float(valid[1]) / 100, float(valid[2]))
        else:
            reports[name, step] = PeerReport(None, error=rest.strip())
    return reports


# --------------------------------------------------------------------------- recording proxy


@dataclass(frozen=True)
class Record:
    query: str
    time: float | None
    value: float | None  # the single series' value; None: no series


class RecordingProxy:
    """Forwards to Prometheus and keeps every instant query (text, ``time`` as sent, answer)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.records: list[Record] = []
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive for clients that reuse connections

            def do_GET(self) -> None:
                proxy._forward(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                proxy._forward(self, self.rfile.read(length))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        parts = urlsplit(handler.path)
        headers = {}
        if body is not None:
            headers["Content-Type"] = handler.headers.get(
                "Content-Type", "application/x-www-form-urlencoded"
            )
        request = urllib.request.Request(
            self.upstream + handler.path, data=body, method=handler.command, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as up:
                status, payload = up.status, up.read()
                ctype = up.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
            ctype = err.headers.get("Content-Type", "application/json")
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        params = parse_qs(parts.query)
        if body:
            for key, values in parse_qs(body.decode()).items():
                params.setdefault(key, []).extend(values)
        record = None
        if parts.path == "/api/v1/query" and status == 200 and "query" in params:
            result = json.loads(payload)["data"]["result"]
            record = Record(
                params["query"][0],
                float(params["time"][0]) if "time" in params else None,
                float(result[0]["value"][1]) if len(result) == 1 else None,
            )
        with self._lock:
            self.requests += 1
            if record is not None:
                self.records.append(record)

    def reset(self) -> None:
        with self._lock:
            self.records = []
            self.requests = 0


@contextmanager
def recording_proxy(upstream: str) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(upstream)
    thread = threading.Thread(target=proxy._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy._server.shutdown()
        proxy._server.server_close()


# --------------------------------------------------------------------------- processes


def prometheus_cpu_seconds(url: str) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    match = re.search(r"^process_cpu_seconds_total (\S+)$", text, re.MULTILINE)
    if not match:
        raise RuntimeError("Prometheus /metrics has no process_cpu_seconds_total")
    return float(match.group(1))


def prometheus_version(url: str) -> str:
    with urllib.request.urlopen(url + "/api/v1/status/buildinfo", timeout=10) as resp:
        return str(json.load(resp)["data"]["version"])


@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the measured process
    max_rss_mb: float
    server_cpu: float
    stdout: str


# Linux keeps the highest RSS of a process across exec, and a child forked from this process
# (which holds the generated data) starts at this process's RSS. So a small launcher forks the
# measured command, times it from fork to reap and reads its rusage with wait4.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "code": os.waitstatus_to_exitcode(status),
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""


def run_process(cmd: Sequence[str], cwd: Path, server_url: str) -> Run:
    """Runs ``cmd`` to completion through the launcher: wall time from fork to reap, CPU and
    peak RSS of the command alone, Prometheus's CPU across it."""
    env = {**os.environ, "COLORED_OUTPUT": "0", "DEBUG": "0"}
    before = prometheus_cpu_seconds(server_url)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".json") as result,
    ):
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, result.name, *map(str, cmd)]
        proc = subprocess.Popen(
            launcher, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True
        )
        try:
            proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command with it
            proc.wait()
            raise
        measured = json.loads(result.read() or "{}")
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    after = prometheus_cpu_seconds(server_url)
    if proc.returncode != 0 or measured.get("code") != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({measured}):\n{stderr[-3000:]}")
    return Run(
        measured["wall"], measured["cpu"], measured["maxrss_kb"] / 1024, after - before, stdout
    )


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def current_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class Tools:
    peer_exe: Path
    slo_prep_exe: Path
    workdir: Path

    def peer(self, shared: Path, slo_dir: Path, url: str) -> Run:
        cmd = [str(self.peer_exe), "compute", "-f", str(slo_dir), "-c", str(shared)]
        return run_process(cmd, self.workdir, url)

    def slo_prep(self, config: Path, at: datetime, url: str) -> Run:
        cmd = [str(self.slo_prep_exe), "evaluate", "-c", str(config), "--at", rfc3339(at)]
        return run_process([*cmd, "--format", "json"], self.workdir, url)


def slo_prep_burns(stdout: str) -> dict[tuple[str, str], dict[str, Any]]:
    document = json.loads(stdout)
    return {(s["service"], s["slo"]): s for s in document["slos"]}


def complete(data: sd.ScaleData, peer: dict[tuple[str, str], PeerReport], sp: dict) -> list[str]:
    """What a run left out (an empty list when every SLO and window was reported)."""
    missing = [
        f"slo-generator: no report for {peer_name(s)} {LABELS[w]}"
        for s in data.slos
        for w in sd.BURN_WINDOWS
        if (peer_name(s), LABELS[w]) not in peer
    ]
    missing += [
        f"slo-prep: no evaluation of {s.service}/{s.name}"
        for s in data.slos
        if (s.service, s.name) not in sp or not sp[s.service, s.name]["measured"]
    ]
    return missing[:20]


# --------------------------------------------------------------------------- numbers


@dataclass
class Stats:
    """Absolute and relative differences of burn rates, one row per window."""

    abs_: list[float] = field(default_factory=list)
    rel: list[float] = field(default_factory=list)
    both_absent: int = 0

    def add(self, value: float, reference: float) -> None:
        self.abs_.append(abs(value - reference))
        if reference != 0:
            self.rel.append(abs(value - reference) / abs(reference))


@dataclass
class Comparison:
    """Named comparisons, each a ``Stats`` per window label."""

    rows: dict[str, dict[str, Stats]] = field(default_factory=dict)

    def stats(self, name: str, window: int) -> Stats:
        return self.rows.setdefault(name, {}).setdefault(LABELS[window], Stats())


@dataclass
class CheckResult:
    comparison: Comparison
    failures: list[str]
    notes: dict[str, Any]


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _close(value: float | None, expected: float | None, tolerance: float) -> bool:
    if value is None or expected is None:
        return value is None and expected is None
    return abs(value - expected) <= tolerance


def _good_and_valid(
    data: sd.ScaleData, slo: sd.ScaleSlo, seconds: int, t_good: float, t_valid: float
) -> tuple[float | None, float | None]:
    """What ``sum(increase(good[W]))`` answers at ``t_good`` and ``sum(increase(all[W]))``
    at ``t_valid``, from the generator's counters (None: no series)."""
    at_good = sd.expected_rates(data, slo, seconds, _at(t_good), is_rate=False)
    at_valid = sd.expected_rates(data, slo, seconds, _at(t_valid), is_rate=False)
    good = None if at_good.total is None else at_good.total - (at_good.bad or 0.0)
    return good, at_valid.total


def _peer_model(good: float | None, valid: float | None) -> float | None:
    """The SLI slo-generator computes from those answers, in its order: ``good_bad_ratio``
    with ``filter_valid`` (no series is NO_DATA, -1; bad = valid - good), then
    ``SLOReport._validate`` (no report when both are NO_DATA or there are too few events),
    then ``get_sli`` (NO_DATA counts as 0). Not rounded: the caller allows for that."""
    no_data = -1.0
    g = good if good is not None else no_data
    bad = (valid if valid is not None else no_data) - g
    if (g, bad) == (no_data, no_data) or g + bad < PEER_MIN_VALID_EVENTS:
        return None
    g, bad = (0.0 if g == no_data else g), (0.0 if bad == no_data else bad)
    return g / (g + bad)


def check_numbers(
    data: sd.ScaleData,
    peer: dict[tuple[str, str], PeerReport],
    records: Sequence[Record],
    sp_same: dict[tuple[str, str], dict[str, Any]],
    at_same: datetime,
    sp_grid: dict[tuple[str, str], dict[str, Any]],
    at_grid: datetime,
) -> CheckResult:
    """Every SLO and window: each tool against the truth at the instant it evaluated, and the
    two against each other (see bench/README.md for the rows and tolerances)."""
    cmp = Comparison()
    failures: list[str] = []
    by_query: dict[str, Record] = {}
    for r in records:
        by_query.setdefault(r.query, r)
    minute = math.floor(at_same.timestamp() / 60) * 60
    straddles = 0
    straddle_effect = 0.0
    same_pairs_model_gap = 0.0
    conditions_same = conditions_agree = 0
    disagreements: list[str] = []
    absent = Counter[str]()

    def fail(text: str) -> None:
        if len(failures) < 30:
            failures.append(text)

    for slo in data.slos:
        name = peer_name(slo)
        sg_burns: dict[int, float | None] = {}
        all_same_minute = True
        for seconds in sd.BURN_WINDOWS:
            label = LABELS[seconds]
            where = f"{slo.service}/{slo.name} {label}"
            # --- slo-prep against the truth, at both instants it was pinned to
            truths = {}
            for tag, doc, at in (("grid", sp_grid, at_grid), ("same", sp_same, at_same)):
                truth = sd.expected_rates(data, slo, seconds, at).burn_rate
                truths[tag] = truth
                got = doc[slo.service, slo.name]["burn_rates"][label]
                if not _close(got, truth, REL_EPS * max(1.0, abs(truth or 0.0))):
                    fail(f"slo-prep at {rfc3339(at)} {where}: {got} vs truth {truth}")
                elif got is None:
                    cmp.stats(f"slo-prep ({tag}) vs truth", seconds).both_absent += 1
                else:
                    assert truth is not None
                    cmp.stats(f"slo-prep ({tag}) vs truth", seconds).add(got, truth)
            # --- the same tool 30 s later, off the sample grid: what extrapolation does
            on_grid = sp_grid[slo.service, slo.name]["burn_rates"][label]
            mid = sp_same[slo.service, slo.name]["burn_rates"][label]
            if on_grid is not None and mid is not None:
                cmp.stats(MID_MINUTE, seconds).add(mid, on_grid)
            elif on_grid is None and mid is None:
                cmp.stats(MID_MINUTE, seconds).both_absent += 1
            # --- slo-generator against the truth at the instants of its own two queries
            q_good, q_valid = peer_queries(slo, seconds)
            r_good, r_valid = by_query.get(q_good), by_query.get(q_valid)
            report = peer.get((name, label))
            if r_good is None or r_valid is None or report is None:
                fail(f"slo-generator {where}: query or report missing")
                continue
            if r_good.time is None or r_valid.time is None:
                fail(f"slo-generator {where}: a query without its time parameter")
                continue
            good, valid = _good_and_valid(data, slo, seconds, r_good.time, r_valid.time)
            for what, got, want in (("good", r_good.value, good), ("valid", r_valid.value, valid)):
                if not _close(got, want, REL_EPS * max(1.0, abs(want or 0.0))):
                    fail(f"Prometheus answered {what} {got} for {where}, truth {want}")
            model = _peer_model(good, valid)
            if not _close(report.sli, model, PEER_SLI_ROUNDING + 1e-12):
                fail(f"slo-generator {where}: SLI {report.sli} vs truth {model} ({report.error})")
            budget = slo.budget
            sg_burn = None if report.sli is None else (1 - report.sli) / budget
            sg_burns[seconds] = sg_burn
            model_burn = None if model is None else (1 - model) / budget
            if sg_burn is None:
                cmp.stats("slo-generator vs truth (its instants)", seconds).both_absent += 1
            elif model_burn is not None:
                cmp.stats("slo-generator vs truth (its instants)", seconds).add(sg_burn, model_burn)
            m_good = math.floor(r_good.time / 60)
            m_valid = math.floor(r_valid.time / 60)
            if m_good != m_valid:
                straddles += 1
                good2, valid2 = _good_and_valid(data, slo, seconds, r_valid.time, r_valid.time)
                aligned = _peer_model(good2, valid2)
                if aligned is not None and model is not None:
                    straddle_effect = max(straddle_effect, abs(aligned - model) / budget)
            # --- the two tools against each other
            sp_burn = sp_grid[slo.service, slo.name]["burn_rates"][label]
            row = AS_EACH_RUNS
            if sg_burn is not None and sp_burn is not None:
                cmp.stats(row, seconds).add(sg_burn, sp_burn)
            elif sg_burn is None and sp_burn is None:
                cmp.stats(row, seconds).both_absent += 1
                absent["both"] += 1
            else:
                absent["slo-generator only" if sg_burn is None else "slo-prep only"] += 1
            same = m_good * 60 == minute and m_valid * 60 == minute
            all_same_minute = all_same_minute and same
            if not same:
                continue
            sp_burn = sp_same[slo.service, slo.name]["burn_rates"][label]
            row = SAME_SAMPLES
            if sg_burn is None or sp_burn is None:
                if (sg_burn is None) != (sp_burn is None):
                    fail(f"{where}: same samples, one tool has a number: {sg_burn} / {sp_burn}")
                else:
                    cmp.stats(row, seconds).both_absent += 1
                continue
            assert model_burn is not None and truths["same"] is not None
            # what the truth says the two differ by: the counter clamp of the extrapolation
            # can differ between slo-generator's two instants within the minute
            gap = abs(model_burn - truths["same"])
            same_pairs_model_gap = max(same_pairs_model_gap, gap)
            allowed = PEER_SLI_ROUNDING / budget + gap + REL_EPS * max(1.0, abs(sp_burn))
            if abs(sg_burn - sp_burn) > allowed:
                fail(f"{where}: same samples, slo-generator {sg_burn} vs slo-prep {sp_burn}")
            cmp.stats(row, seconds).add(sg_burn, sp_burn)
        if all_same_minute and len(sg_burns) == len(sd.BURN_WINDOWS):
            # the multi-window conditions slo-prep fires, from slo-generator's burn rates
            states = sp_same[slo.service, slo.name]["alert_conditions"]
            for (sev, long_s, short_s, _spent), state in zip(CONDITIONS, states, strict=True):
                lb, sb = sg_burns[long_s], sg_burns[short_s]
                fires = (
                    lb is not None
                    and sb is not None
                    and lb > state["burn_rate_threshold"]
                    and sb > state["burn_rate_threshold"]
                )
                conditions_same += 1
                if fires == state["firing"]:
                    conditions_agree += 1
                elif len(disagreements) < 5:
                    disagreements.append(
                        f"{slo.service}/{slo.name} {sev} {LABELS[long_s]}/{LABELS[short_s]}"
                    )
    notes = {
        "queries_recorded": len(by_query),
        "reports": len(data.slos) * len(sd.BURN_WINDOWS),
        "straddles": straddles,
        "straddle_effect": straddle_effect,
        "same_pairs_model_gap": same_pairs_model_gap,
        "conditions_same": conditions_same,
        "conditions_agree": conditions_agree,
        "disagreements": disagreements,
        "absent": dict(absent),
        "minute": datetime.fromtimestamp(minute, UTC),
        "span": (
            min(r.time for r in by_query.values() if r.time is not None) - at_grid.timestamp(),
            max(r.time for r in by_query.values() if r.time is not None) - at_grid.timestamp(),
        ),
    }
    return CheckResult(cmp, failures, notes)


# --------------------------------------------------------------------------- report


@dataclass
class Timings:
    runs: dict[str, list[Run]] = field(
        default_factory=lambda: {"slo-generator": [], "slo-prep": []}
    )
    ratios: list[float] = field(default_factory=list)


def _med(values: Sequence[float]) -> float:
    return statistics.median(values)


def _spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def _g(value: float) -> str:
    return f"{value:.2e}" if value and (value < 1e-3 or value >= 1e4) else f"{value:.4f}"


#: comparisons shown window by window; the others (each tool against the truth) in one row
PER_WINDOW = (AS_EACH_RUNS, MID_MINUTE, SAME_SAMPLES)


def comparison_table(cmp: Comparison) -> list[str]:
    lines = [
        "| comparison | window | pairs | no number on both | max abs diff | mean abs diff "
        "| max rel diff | mean rel diff |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, per_window in cmp.rows.items():
        everything = Stats()
        for s in per_window.values():
            everything.abs_ += s.abs_
            everything.rel += s.rel
            everything.both_absent += s.both_absent
        order = list(LABELS.values())
        rows = sorted(per_window.items(), key=lambda kv: order.index(kv[0]))
        rows = rows if name in PER_WINDOW else []
        for label, s in [*rows, ("all", everything)]:
            if not s.abs_:
                cells = ["-"] * 4
            else:
                cells = [_g(max(s.abs_)), _g(statistics.fmean(s.abs_))]
                cells += [_g(max(s.rel)), _g(statistics.fmean(s.rel))] if s.rel else ["-", "-"]
            lines.append(
                f"| {name} | {label} | {len(s.abs_)} | {s.both_absent} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def report(
    timings: Timings,
    check: CheckResult,
    requests: dict[str, int],
    machine: str,
    runs: int,
    at_grid: datetime,
    at_same: datetime,
) -> str:
    sg, sp = timings.runs["slo-generator"], timings.runs["slo-prep"]
    slos = check.notes["reports"] // len(sd.BURN_WINDOWS)
    lines = [
        f"## google/slo-generator vs slo-prep, {slos:,} SLOs x {len(sd.BURN_WINDOWS)} windows",
        "",
        machine,
        "",
        f"{runs} timed runs each, alternating which goes first; wall time fork to reap.",
        "",
        "| tool | wall median (s) | wall min-max (s) | process CPU (s) | Prometheus CPU (s) "
        "| peak RSS (MB) | requests to Prometheus |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in (("slo-generator", sg), ("slo-prep", sp)):
        lines.append(
            f"| {name} | {_med([r.wall for r in rs]):.2f} | {_spread([r.wall for r in rs])} "
            f"| {_med([r.cpu for r in rs]):.2f} | {_med([r.server_cpu for r in rs]):.2f} "
            f"| {_med([r.max_rss_mb for r in rs]):.0f} | {requests[name]:,} |"
        )
    ratio = _med(timings.ratios)
    verdict = "met" if ratio >= 5 else "missed"
    lines += [
        "",
        f"slo-generator / slo-prep wall time, median of the per-round ratios: **{ratio:.2f}x** "
        f"(min-max {_spread(timings.ratios)}); goal >= 5x: {verdict}.",
        "",
        "### Equal numbers (check pass)",
        "",
        f'slo-prep pinned to {rfc3339(at_grid)} ("as each runs": the minute on the sample '
        f'grid) and to {rfc3339(at_same)} ("same samples": inside the minute in which '
        "slo-generator sent most of its queries); slo-generator at the wall clock of each "
        "query. Burn rates; slo-generator's from its SLI, (1 - SLI) / (1 - goal).",
        "",
        *comparison_table(check.comparison),
        "",
    ]
    n = check.notes
    lines += [
        f"- slo-generator sent {n['queries_recorded']:,} distinct queries, from "
        f"{n['span'][0]:+.1f} s to {n['span'][1]:+.1f} s after slo-prep's grid instant; in "
        f"{n['straddles']} of {n['reports']:,} reports its good and valid counts came from "
        f"different minutes (largest burn-rate effect {n['straddle_effect']:.4f}).",
        f"- Same samples: the largest difference the truth predicts between the two "
        f"(extrapolation's clamp at zero at two instants) is {n['same_pairs_model_gap']:.2e}.",
        f"- Multi-window conditions from slo-generator's burn rates vs slo-prep's, same "
        f"samples: {n['conditions_agree']} of {n['conditions_same']} agree"
        + (f" (differ: {', '.join(n['disagreements'])})" if n["disagreements"] else "")
        + ".",
        f"- Windows without a number (no events in them): {n['absent'].get('both', 0)} for both "
        "tools (slo-generator: 'Not enough valid events', slo-prep: a null burn rate), "
        f"{n['absent'].get('slo-generator only', 0)} for slo-generator only, "
        f"{n['absent'].get('slo-prep only', 0)} for slo-prep only.",
    ]
    if check.failures:
        lines += ["", "**Numbers out of tolerance:**", *(f"- {f}" for f in check.failures)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def machine_line(url: str, peer_version: str) -> str:
    return (
        f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"Prometheus {prometheus_version(url)} on loopback, slo-generator {peer_version}; "
        f"taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA, help=f"blocks kept here ({DEFAULT_DATA})"
    )
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--slos-per-service", type=int, default=5)
    parser.add_argument("--peer-venv", type=Path, default=PEER_VENV)
    parser.add_argument(
        "--setup-peer", action="store_true", help="create the peer venv if it is missing"
    )
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the report here")
    parser.add_argument(
        "--configs-only",
        type=Path,
        metavar="DIR",
        help="write both tools' configs for --prometheus URL into DIR and exit",
    )
    parser.add_argument("--prometheus", metavar="URL", help="with --configs-only: the server")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.configs_only:
        if not args.prometheus:
            parser.error("--configs-only needs --prometheus URL (bench/scale_data.py --serve)")
        if not (args.data_dir / "spec.json").is_file():
            parser.error(f"no data in {args.data_dir}: build it with bench/scale_data.py")
        data = sd.generate(sd.ScaleSpec.from_json((args.data_dir / "spec.json").read_text()))
        url = args.prometheus.rstrip("/")
        shared, slo_dir = write_peer_configs(data, args.configs_only / "peer", url)
        config = sd.write_slo_prep_config(data, args.configs_only / "slo-prep.yaml", url)
        print(f"{shared}\n{slo_dir}\n{config}")
        return 0
    # a plain `kill` unwinds like Ctrl-C: Prometheus stopped, temporary files removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    peer_exe, peer_version = ensure_peer(args.peer_venv, args.setup_peer)
    slo_prep_exe = Path(sys.executable).parent / "slo-prep"
    if not slo_prep_exe.is_file():
        raise SystemExit(f"{slo_prep_exe} not found: run this with the project's venv python")

    print(f"data in {args.data_dir} (built once, about 7 minutes on 2 cores) ...", file=sys.stderr)
    # each round takes a few minutes of "now": keep the data's future ahead of all of them
    data = sd.prepare(
        args.data_dir,
        args.services,
        args.slos_per_service,
        min_future_minutes=30 + 5 * args.runs,
    )
    with ExitStack() as stack:
        prom = stack.enter_context(sd.start_prometheus(args.data_dir / "blocks"))
        url = prom.url
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slo-peer-")))
        tools = Tools(peer_exe, slo_prep_exe, workdir)
        proxy = stack.enter_context(recording_proxy(url))
        configs = {}
        for via, target in (("proxy", proxy.url), ("direct", url)):
            (workdir / via).mkdir()
            configs[via] = (
                write_peer_configs(data, workdir / via / "peer", target),
                sd.write_slo_prep_config(data, workdir / via / "slo-prep.yaml", target),
            )

        print("check pass through the recording proxy ...", file=sys.stderr)
        (shared, slo_dir), sp_config = configs["proxy"]
        proxy.reset()
        peer_run = tools.peer(shared, slo_dir, url)
        records, peer_requests = list(proxy.records), proxy.requests
        peer = parse_peer(peer_run.stdout)
        minutes = Counter(math.floor(r.time / 60) * 60 for r in records if r.time is not None)
        busiest = datetime.fromtimestamp(minutes.most_common(1)[0][0], UTC)
        at_same, at_grid = busiest + timedelta(seconds=30), busiest
        proxy.reset()
        same_run = tools.slo_prep(sp_config, at_same, url)
        sp_requests = proxy.requests
        grid_run = tools.slo_prep(sp_config, at_grid, url)
        sp_same, sp_grid = slo_prep_burns(same_run.stdout), slo_prep_burns(grid_run.stdout)
        failures = complete(data, peer, sp_same) + complete(data, peer, sp_grid)
        check = check_numbers(data, peer, records, sp_same, at_same, sp_grid, at_grid)
        check.failures[:0] = failures

        timings = Timings()
        (shared, slo_dir), sp_config = configs["direct"]
        for i in range(args.runs):
            order = ("slo-generator", "slo-prep") if i % 2 == 0 else ("slo-prep", "slo-generator")
            done: dict[str, Run] = {}
            for name in order:
                print(f"round {i + 1}/{args.runs}: {name} ...", file=sys.stderr)
                if name == "slo-generator":
                    done[name] = tools.peer(shared, slo_dir, url)
                else:
                    done[name] = tools.slo_prep(sp_config, current_minute(), url)
                timings.runs[name].append(done[name])
            # a timed run must have done the whole job, or its time means nothing
            check.failures += complete(
                data,
                parse_peer(done["slo-generator"].stdout),
                slo_prep_burns(done["slo-prep"].stdout),
            )
            timings.ratios.append(done["slo-generator"].wall / done["slo-prep"].wall)
        text = report(
            timings,
            check,
            {"slo-generator": peer_requests, "slo-prep": sp_requests},
            machine_line(url, peer_version),
            args.runs,
            at_grid,
            at_same,
        )
    print(text, end="")
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    for failure in check.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
