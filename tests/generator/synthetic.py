"""Deterministic synthetic Prometheus history with known per-minute events.

The scenario is the single source of truth for the test-suite: it holds, per series, the
number of events that happened in every minute, plus the counter-reset minutes of each
process. Everything else (the OpenMetrics backfill file, the exact ground truth) is derived
from it. Pure Python, seeded ``random.Random``, 1-minute resolution.

Sample grid: t_k = start + k minutes, k = 0..minutes-1. The events of minute k are those in
(t_{k-1}, t_k]; minute 0 has no events so every counter starts at 0.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MINUTE = timedelta(minutes=1)

#: The evaluation time the tests pin (``at``); data exists before and after it.
AT = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)

#: Histogram bucket upper bounds, formatted like the Go client does.
LATENCY_BUCKETS: tuple[str, ...] = ("0.05", "0.1", "0.25", "0.5", "1", "+Inf")

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"


@dataclass(frozen=True)
class Incident:
    """An injected incident: what happened, when, where and how big.

    ``kind`` is "availability" (``size`` = extra share of requests answered 500) or
    "latency" (``size`` = extra share of requests slower than 0.25 s). ``severity_hint``
    says which alert class the incident was designed to trigger.
    """

    start: datetime
    end: datetime
    kind: str
    size: float
    service: str
    instances: tuple[str, ...]
    severity_hint: str

    def covers(self, t: datetime) -> bool:
        """True if minute ending at ``t`` lies inside the incident, i.e. start < t <= end."""
        return self.start < t <= self.end

    def describe(self) -> str:
        """One human-readable line."""
        return (
            f"{self.kind:<12} {self.service}/{','.join(self.instances):<4} "
            f"{self.start:%Y-%m-%d %H:%M} -> {self.end:%Y-%m-%d %H:%M} "
            f"({(self.end - self.start) / MINUTE:.0f} min) size={self.size:.2%} "
            f"[{self.severity_hint}]"
        )


@dataclass
class Series:
    """One Prometheus counter series with its per-minute events.

    ``reset_group`` names the process the series belongs to (key of ``Scenario.resets``);
    ``None`` means the series never resets.
    """

    name: str
    labels: tuple[tuple[str, str], ...]
    events: list[float]
    reset_group: str | None = None

    @property
    def label_dict(self) -> dict[str, str]:
        """Labels as a dict."""
        return dict(self.labels)

    @property
    def selector(self) -> str:
        """PromQL / OpenMetrics selector, e.g. ``http_requests_total{service="checkout"}``."""
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.name}{{{inner}}}"


@dataclass
class Scenario:
    """A generated history: series with per-minute events, resets and incidents."""

    start: datetime
    minutes: int
    at: datetime
    series: list[Series]
    resets: dict[str, list[int]]
    incidents: list[Incident] = field(default_factory=list)
    seed: int = 0
    #: memo for derived data (truth prefix sums); do not mutate events after first use
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def end(self) -> datetime:
        """Time of the last sample, t_{minutes-1}."""
        return self.time_of(self.minutes - 1)

    def time_of(self, k: int) -> datetime:
        """Sample time t_k."""
        return self.start + k * MINUTE

    def index_of(self, t: datetime) -> int:
        """k such that t_k == t (t must be on the grid and inside the history)."""
        delta = t - self.start
        if delta % MINUTE or not 0 <= delta // MINUTE < self.minutes:
            raise ValueError(f"{t} is not a sample time of this scenario")
        return delta // MINUTE

    def find(self, name: str, **labels: str) -> Series:
        """The unique series with this metric name and exactly these labels."""
        for s in self.series:
            if s.name == name and s.label_dict == labels:
                return s
        raise KeyError(f"{name}{labels}")

    def select(self, name: str, **labels: str) -> list[Series]:
        """All series with this metric name whose labels include ``labels``."""
        return [
            s
            for s in self.series
            if s.name == name and all(s.label_dict.get(k) == v for k, v in labels.items())
        ]

    def reset_minutes(self, series: Series) -> list[int]:
        """Sorted reset minutes that apply to ``series``."""
        return sorted(self.resets.get(series.reset_group, [])) if series.reset_group else []

    def cumulative(self, series: Series) -> list[float]:
        """Exposed counter values per minute, with the process restarts applied."""
        resets = set(self.reset_minutes(series))
        out: list[float] = []
        value: float = 0
        for k, e in enumerate(series.events):
            value = e if k in resets else value + e
            out.append(value)
        return out


# --------------------------------------------------------------------------- randomness


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson variate: Knuth for small lambda, rounded normal for large."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit = math.exp(-lam)
        k = 0
        p = rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _split(rng: random.Random, n: int, share: float) -> int:
    """Roughly ``share`` of ``n`` (noisy, clamped to [0, n])."""
    mean = n * share
    sd = math.sqrt(max(mean * (1 - share), 0.0))
    return min(n, max(0, round(rng.gauss(mean, sd))))


# --------------------------------------------------------------------------- scenario


def _t(at: datetime, days: float, hh: int = 0, mm: int = 0) -> datetime:
    """Time ``days`` days before ``at`` (negative = after), plus hh:mm."""
    return at - timedelta(days=days) + timedelta(hours=hh, minutes=mm)


def _incidents(at: datetime) -> list[Incident]:
    """Incidents of the default scenario, positioned relative to ``at``.

    With the default ``at`` (2026-11-16) the month starts 15 days, the quarter 46 days and
    the 30d window 30 days before it; the list covers every one of these windows.
    """

    def inc(
        days_before: float,
        minutes: int,
        kind: str,
        size: float,
        hint: str,
        instances: tuple[str, ...] = ("a", "b"),
        hh: int = 0,
        mm: int = 0,
    ) -> Incident:
        begin = _t(at, days_before, hh, mm)
        return Incident(
            start=begin,
            end=begin + minutes * MINUTE,
            kind=kind,
            size=size,
            service="checkout",
            instances=instances,
            severity_hint=hint,
        )

    av, lat = "availability", "latency"
    return [
        # before the quarter (only visible to long look-backs)
        inc(53, 30, av, 0.20, "page", hh=15, mm=10),
        inc(49, 18 * 60, av, 0.005, "ticket", hh=6),
        # in the quarter, before the 30d window
        inc(40, 25, av, 0.15, "page", hh=20, mm=40),
        inc(38, 90, lat, 0.60, "page", instances=("a",), hh=11),
        inc(36, 22 * 60, av, 0.005, "ticket", hh=2),
        # in the last 30 days
        inc(27, 40, av, 0.12, "page", hh=13, mm=5),
        inc(25, 4 * 24 * 60, lat, 0.04, "ticket", instances=("a",)),
        inc(20, 10 * 60, av, 0.008, "ticket+page6h", hh=8),
        # in the current month
        inc(13, 20, av, 0.28, "page", hh=10, mm=20),
        inc(8, 20 * 60, av, 0.005, "ticket"),
        inc(6, 6 * 60, lat, 0.25, "page6h", instances=("a",), hh=14),
        inc(4, 15, av, 0.30, "page", instances=("b",), hh=17, mm=45),
        # ongoing at ``at``: started 25 minutes before, lasts until at + 2h
        Incident(
            start=at - 25 * MINUTE,
            end=at + 2 * timedelta(hours=1),
            kind=av,
            size=0.20,
            service="checkout",
            instances=("a", "b"),
            severity_hint="page (ongoing at at)",
        ),
        # after ``at``: a big burst that code ignoring the pinned time would count
        inc(-1 / 8, 60, av, 0.50, "page (after at)"),
        inc(-1 / 8, 60, lat, 0.70, "page (after at)", instances=("a",)),
    ]


def _reset_plan(at: datetime) -> dict[str, list[datetime]]:
    """Wanted restart times per process (moved later if the drop would be invisible)."""
    return {
        "checkout/a": [
            _t(at, 45, 4, 17),
            _t(at, 28, 22, 3),
            _t(at, 11, 13, 31),
            _t(at, 2, 9, 12),
            _t(at, -1 / 12, 0, 7),
        ],
        "checkout/b": [
            _t(at, 47, 11, 45),
            _t(at, 22, 16, 20),
            _t(at, 7, 3, 55),
            _t(at, 1, 20, 10),
        ],
    }


def _ok(prev: float, event: float) -> bool:
    """Prometheus computes the exact increase across a restart iff prev > event or prev == 0."""
    return prev == 0 or prev > event


def check_resets_visible(scenario: Scenario) -> list[str]:
    """Problems with reset minutes (a reset Prometheus cannot see); empty if all fine."""
    problems = []
    for s in scenario.series:
        resets = scenario.reset_minutes(s)
        if not resets:
            continue
        cum = scenario.cumulative(s)
        for k in resets:
            if k <= 0 or not _ok(cum[k - 1], cum[k]):
                problems.append(f"{s.selector} reset at {k}: {cum[k - 1]} -> {cum[k]}")
    return problems


def build_scenario(
    at: datetime = AT,
    days_before: int = 56,
    hours_after: int = 6,
    seed: int = 7,
    incidents: list[Incident] | None = None,
    base_error: float = 0.0003,
) -> Scenario:
    """Build the default checkout/quiet scenario around evaluation time ``at``.

    History runs from ``at - days_before`` to ``at + hours_after`` (inclusive, every minute).
    ``incidents`` replaces the default incident list (positioned relative to ``at``);
    ``base_error`` is the share of checkout requests answered 500 outside incidents.
    """
    if at.tzinfo is None or at.utcoffset() != timedelta(0) or at.second or at.microsecond:
        raise ValueError("at must be a minute-aligned UTC datetime")
    rng = random.Random(seed)
    start = at - timedelta(days=days_before)
    minutes = (days_before * 24 * 60) + hours_after * 60 + 1
    incidents = _incidents(at) if incidents is None else list(incidents)
    inst_scale = {"a": 1.0, "b": 0.85}
    base_slow = 0.005  # 0.5 % of requests slower than 0.25 s

    req: dict[tuple[str, str], list[float]] = {}
    hist_buckets: list[list[float]] = [[] for _ in LATENCY_BUCKETS]
    hist_sum: list[float] = []
    times = [start + k * MINUTE for k in range(minutes)]
    covering = _covering(incidents, start, minutes)

    def share(kind: str, instance: str, k: int) -> float:
        return sum(
            i.size for i in covering.get(k, ()) if i.kind == kind and instance in i.instances
        )

    for inst, scale in inst_scale.items():
        ok: list[float] = []
        bad: list[float] = []
        for k, t in enumerate(times):
            if k == 0:
                ok.append(0)
                bad.append(0)
                if inst == "a":
                    for b in hist_buckets:
                        b.append(0)
                    hist_sum.append(0.0)
                continue
            hour = t.hour + t.minute / 60
            diurnal = 1 + 0.65 * math.sin(2 * math.pi * (hour - 9) / 24)
            weekly = 0.75 if t.weekday() >= 5 else 1.0
            lam = 1000 * scale * diurnal * weekly
            n = _poisson(rng, lam)
            p_err = min(1.0, base_error + share("availability", inst, k))
            e = min(n, _poisson(rng, n * p_err))
            ok.append(n - e)
            bad.append(e)
            if inst == "a":
                p_slow = min(1.0, base_slow + share("latency", inst, k))
                slow = min(n, _poisson(rng, n * p_slow))
                fast = n - slow
                b1 = _split(rng, fast, 0.55)
                b2 = _split(rng, fast - b1, 0.75)
                b3 = fast - b1 - b2
                b4 = _split(rng, slow, 0.6)
                b5 = _split(rng, slow - b4, 0.75)
                b6 = slow - b4 - b5
                cum = 0
                for idx, c in enumerate((b1, b2, b3, b4, b5, b6)):
                    cum += c
                    hist_buckets[idx].append(cum)
                total_ms = (
                    b1 * 30 + b2 * 75 + b3 * 160 + b4 * 350 + b5 * 700 + b6 * 1800
                ) + rng.randint(0, max(1, n))
                hist_sum.append(total_ms / 1000)
        req[(inst, "200")] = ok
        req[(inst, "500")] = bad

    series: list[Series] = []
    for inst in inst_scale:
        for code in ("200", "500"):
            series.append(
                Series(
                    REQUESTS,
                    (("service", "checkout"), ("instance", inst), ("code", code)),
                    req[(inst, code)],
                    f"checkout/{inst}",
                )
            )
    base = (("service", "checkout"), ("instance", "a"))
    for le, values in zip(LATENCY_BUCKETS, hist_buckets, strict=True):
        series.append(Series(f"{DURATION}_bucket", (*base, ("le", le)), values, "checkout/a"))
    series.append(Series(f"{DURATION}_count", base, list(hist_buckets[-1]), "checkout/a"))
    series.append(Series(f"{DURATION}_sum", base, hist_sum, "checkout/a"))

    # quiet: a handful of requests per day, no restarts
    q_ok: list[float] = [0]
    q_bad: list[float] = [0]
    for _k in range(1, minutes):
        n = 1 if rng.random() < 6 / 1440 else 0
        e = 1 if n and rng.random() < 0.1 else 0
        q_ok.append(n - e)
        q_bad.append(e)
    for code, values in (("200", q_ok), ("500", q_bad)):
        series.append(
            Series(REQUESTS, (("service", "quiet"), ("instance", "a"), ("code", code)), values)
        )

    resets: dict[str, list[int]] = {}
    for group, wanted in _reset_plan(at).items():
        members = [s for s in series if s.reset_group == group]
        ks: list[int] = []
        for when in wanted:
            k = (when - start) // MINUTE
            if 0 < k < minutes:
                ks.append(_visible_reset_after(members, ks, k, minutes))
        resets[group] = ks
    scenario = Scenario(start, minutes, at, series, resets, incidents, seed)
    problems = check_resets_visible(scenario)
    if problems:
        raise AssertionError("invisible resets: " + "; ".join(problems[:5]))
    return scenario


def _covering(
    incidents: list[Incident], start: datetime, minutes: int
) -> dict[int, list[Incident]]:
    """Minute index -> the incidents covering it, in list order (minutes covered by none absent)."""
    out: dict[int, list[Incident]] = {}
    for incident in incidents:
        first = max(1, (incident.start - start) // MINUTE)
        last = min(minutes - 1, (incident.end - start) // MINUTE + 1)
        for k in range(first, last + 1):
            if incident.covers(start + k * MINUTE):
                out.setdefault(k, []).append(incident)
    return out


def _visible_reset_after(members: list[Series], earlier: list[int], k: int, minutes: int) -> int:
    """First minute >= k where, given the ``earlier`` resets, the restart shows as a drop."""
    last = max((r for r in earlier if r < k), default=0)
    while k < minutes:
        if all(_ok(sum(s.events[last:k]), s.events[k]) for s in members):
            return k
        k += 1
    raise ValueError("no visible reset minute found")
