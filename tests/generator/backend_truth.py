"""What each query backend answers for the SLI queries, computed from the scenario's samples
(never from product code, never by asking a backend).

``truth.py`` holds the exact events; a backend answers ``rate(x[w])`` at an instant ``t`` from
the samples it holds, each the way its documentation says:

- **Prometheus 2.x** (``PROMETHEUS``) takes the samples in ``[t - w, t]`` and extrapolates their
  increase to the window's edges (by at most half a scrape interval past the outer samples, and
  never below the counter's zero). On the sample grid the outer samples are the window's edges,
  so the answer is exact; off it, a window of N scrape intervals holds N samples, N - 1
  increments, scaled by N / (N - 1); a one-interval window holds one sample and no answer.
- **VictoriaMetrics / MetricsQL** (``VICTORIA_METRICS``) takes the samples in ``(t - w, t]``
  plus the last one before the window, and does not extrapolate: ``rate`` is the increase from
  that sample to the last one divided by the time between them. Before 1.85.3 (Debian 12 ships
  1.79) ``rate`` also widens a window shorter than its look-behind for the previous sample
  (scrape interval + 1/8 for intervals over 32 s, so 67.5 s here) to that length: on the grid
  ``rate(x[1m])`` then spans two scrape intervals.

Both remove counter resets the same way for this scenario (every restart is a full drop), so
increments are the scenario's per-minute events. docs/backends.md states the consequences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tests.generator import truth
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import DURATION, MINUTE, REQUESTS, Scenario, Series
from tests.generator.victoria_metrics_server import VictoriaMetricsServer

Backend = PrometheusServer | VictoriaMetricsServer

PROMETHEUS = PrometheusServer.name
VICTORIA_METRICS = VictoriaMetricsServer.name
#: the scenario's scrape interval, in seconds
SCRAPE = 60
#: VictoriaMetrics 1.79's shortest ``rate()`` window for a 60 s scrape interval
VM_MIN_RATE_WINDOW = SCRAPE + SCRAPE / 8


@dataclass(frozen=True)
class _Samples:
    """One series as a backend holds it: raw values, and reset-free cumulative events."""

    raw: list[float]
    cumulative: list[float]


def _samples(scenario: Scenario, series: Series) -> _Samples:
    key = f"backend-truth/{series.selector}"
    if key not in scenario.cache:
        cumulative: list[float] = []
        acc: float = 0
        for e in series.events:
            acc += e
            cumulative.append(acc)
        scenario.cache[key] = _Samples(scenario.cumulative(series), cumulative)
    samples: _Samples = scenario.cache[key]
    return samples


def _offset(scenario: Scenario, t: datetime) -> float:
    """Seconds from the first sample to ``t``."""
    return (t - scenario.start).total_seconds()


def _last_at_or_before(n: int, seconds: float) -> int:
    """Index of the last of ``n`` samples at or before ``seconds`` after the first; -1 if none."""
    return min(math.floor(seconds / SCRAPE), n - 1) if seconds >= 0 else -1


def _prometheus(s: _Samples, end: float, w: float) -> float | None:
    """Prometheus 2.x ``rate(x[w])`` at ``end`` seconds after the first sample (its
    extrapolatedRate), None if it has no answer (fewer than two samples in ``[end - w, end]``)."""
    start = end - w
    first = max(0, math.ceil(start / SCRAPE))
    last = _last_at_or_before(len(s.raw), end)
    if last - first < 1:
        return None
    increase = s.cumulative[last] - s.cumulative[first]
    sampled = (last - first) * SCRAPE
    average = sampled / (last - first)
    to_start = first * SCRAPE - start
    to_end = end - last * SCRAPE
    if increase > 0 and s.raw[first] >= 0:
        # a counter is not extrapolated below zero
        to_start = min(to_start, sampled * (s.raw[first] / increase))
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    return increase * (interval / sampled) / w


def _victoria(s: _Samples, end: float, w: float) -> float | None:
    """VictoriaMetrics 1.79 ``rate(x[w])`` at ``end`` seconds after the first sample, None if
    it has no answer."""
    n = len(s.raw)
    w = max(w, VM_MIN_RATE_WINDOW)
    last = _last_at_or_before(n, end)
    before = _last_at_or_before(n, end - w)  # the sample before the window, if any
    if before >= 0:
        if last == before:
            return 0.0  # no sample in the window: the counter did not move
        return (s.cumulative[last] - s.cumulative[before]) / ((last - before) * SCRAPE)
    # nothing before the window: the first two samples in it are the span
    if last < 1:
        return None
    return (s.cumulative[last] - s.cumulative[0]) / (last * SCRAPE)


_RATE = {PROMETHEUS: _prometheus, VICTORIA_METRICS: _victoria}


def rate(backend: str, scenario: Scenario, series: Series, t: datetime, w: float) -> float | None:
    """``rate(series[w])`` at ``t`` as ``backend`` answers it."""
    return _RATE[backend](_samples(scenario, series), _offset(scenario, t), w)


def increase(
    backend: str, scenario: Scenario, series: Series, t: datetime, w: float
) -> float | None:
    """``increase(series[w])`` at ``t``: Prometheus' is its rate times the window (extrapolated);
    VictoriaMetrics' is the counter's growth from the sample before the window to the last one
    in it, never scaled, and never widened (only ``rate`` is)."""
    if backend == PROMETHEUS:
        r = rate(backend, scenario, series, t, w)
        return None if r is None else r * w
    s = _samples(scenario, series)
    end = _offset(scenario, t)
    last = _last_at_or_before(len(s.raw), end)
    if last < 0:
        return None
    before = _last_at_or_before(len(s.raw), end - w)
    # before the first sample the counter was 0 (every series starts at 0 here)
    return s.cumulative[last] - (s.cumulative[before] if before >= 0 else 0.0)


def rates(
    backend: str, scenario: Scenario, series: Series, first: datetime, steps: int, w: float
) -> list[float | None]:
    """``rate(series[w])`` at first, first + 1m, ..., first + steps minutes (a range query)."""
    s, end = _samples(scenario, series), _offset(scenario, first)
    fast = _prometheus_steps if backend == PROMETHEUS else _victoria_steps
    answer = fast(s, end, steps, w)
    if answer is not None:
        return answer
    of = _RATE[backend]
    return [of(s, end + i * SCRAPE, w) for i in range(steps + 1)]


# The same answers for a whole range at once, where every window lies inside the samples: each
# step moves every index by one, so the edges' distances stay the same (a quarter of minutes
# costs milliseconds, not seconds). None where a window reaches past the samples.


def _prometheus_steps(s: _Samples, end: float, steps: int, w: float) -> list[float | None] | None:
    n, start = len(s.raw), end - w
    first, last = math.ceil(start / SCRAPE), math.floor(end / SCRAPE)
    if first < 0 or last + steps > n - 1 or start < 0:
        return None
    if last - first < 1:
        return [None] * (steps + 1)
    sampled = (last - first) * SCRAPE
    average = sampled / (last - first)
    threshold = average * 1.1
    edge_start, to_end = first * SCRAPE - start, end - last * SCRAPE
    tail = to_end if to_end < threshold else average / 2
    out: list[float | None] = []
    cumulative, raw = s.cumulative, s.raw
    for i in range(steps + 1):
        increase = cumulative[last + i] - cumulative[first + i]
        to_start = edge_start
        if increase > 0 and raw[first + i] >= 0:
            to_start = min(to_start, sampled * (raw[first + i] / increase))
        head = to_start if to_start < threshold else average / 2
        out.append(increase * ((sampled + head + tail) / sampled) / w)
    return out


def _victoria_steps(s: _Samples, end: float, steps: int, w: float) -> list[float | None] | None:
    n = len(s.raw)
    w = max(w, VM_MIN_RATE_WINDOW)
    last, before = math.floor(end / SCRAPE), math.floor((end - w) / SCRAPE)
    if before < 0 or end - w < 0 or last + steps > n - 1:
        return None
    if last == before:
        return [0.0] * (steps + 1)
    span = (last - before) * SCRAPE
    c = s.cumulative
    return [
        (hi - lo) / span
        for hi, lo in zip(c[last : last + steps + 1], c[before : before + steps + 1], strict=True)
    ]


def _sum(rates: list[float | None]) -> float | None:
    """``sum(...)`` over series: the answers there are; none at all is no answer."""
    present = [r for r in rates if r is not None]
    return sum(present) if present else None


def sli_series(scenario: Scenario, sli: str) -> tuple[list[Series], list[Series]]:
    """The series the SLI's two queries (tests/packs.py) read: (bad or good, total); for the
    latency SLI the first are the fast buckets (bad = total - fast)."""
    if sli in ("availability", "quiet_availability"):
        service = "checkout" if sli == "availability" else "quiet"
        every = scenario.select(REQUESTS, service=service)
        return [s for s in every if s.label_dict["code"].startswith("5")], every
    if sli == "latency":
        fast = scenario.select(f"{DURATION}_bucket", service="checkout", le="0.25")
        return fast, scenario.select(f"{DURATION}_count", service="checkout")
    raise ValueError(f"unknown sli {sli!r}")


def _sli_columns(
    backend: str, scenario: Scenario, sli: str, first: datetime, steps: int, w: float
) -> tuple[list[float | None], list[float | None]]:
    """(bad, total) per-second rates as the SLI's two queries answer them at first,
    first + 1m, ..., first + steps minutes."""

    def summed(series: list[Series]) -> list[float | None]:
        columns = zip(*(rates(backend, scenario, s, first, steps, w) for s in series), strict=True)
        return [_sum(list(column)) for column in columns]

    part, every = sli_series(scenario, sli)
    total = summed(every)
    if sli != "latency":
        return summed(part), total
    fast = summed(part)
    slow = [None if c is None or f is None else c - f for c, f in zip(total, fast, strict=True)]
    return slow, total


def sli_rates(
    backend: str, scenario: Scenario, sli: str, t: datetime, w: float
) -> tuple[float | None, float | None]:
    """(bad, total) per-second rates as the SLI's two queries answer at ``t``."""
    bad, total = _sli_columns(backend, scenario, sli, t, 0, w)
    return bad[0], total[0]


def budget(
    backend: str, scenario: Scenario, sli: str, objective: float, window: str, at: datetime
) -> dict[str, Any]:
    """The budget figures and burn rates a pack drafted at ``at`` must show on ``backend``:
    each rate as answered (``sli_rates``), events as rate x seconds, as the pack defines them."""
    kind, start, end = truth.window_bounds(window, at)
    budget_ratio = 1 - objective / 100
    seconds = (at - start).total_seconds()
    elapsed = seconds / (end - start).total_seconds() if kind == "calendar" else 1.0
    bad, total = sli_rates(backend, scenario, sli, at, seconds)
    ratio = None if not total or bad is None else bad / total
    burns: dict[str, float | None] = {}
    for label, length in truth.BURN_WINDOWS.items():
        b, n = sli_rates(backend, scenario, sli, at, length.total_seconds())
        burns[label] = None if not n or b is None else (b / n) / budget_ratio
    return {
        "events": None if total is None else ((bad or 0.0) * seconds, total * seconds),
        "error_ratio": ratio,
        "consumed_fraction": None if ratio is None else ratio / budget_ratio * elapsed,
        "burn_rates": burns,
    }


def minutes(
    backend: str, scenario: Scenario, sli: str, first: datetime, at: datetime
) -> tuple[list[float | None], list[float | None]]:
    """The per-minute history a pack reads, ``rate(x[1m]) * 60`` at first, first + 1m, ... at,
    as (bad, total) lists (None where the backend has no answer)."""
    steps = round((at - first) / MINUTE)
    bad, total = _sli_columns(backend, scenario, sli, first, steps, SCRAPE)
    return (
        [None if b is None else b * SCRAPE for b in bad],
        [None if n is None else n * SCRAPE for n in total],
    )


def firings_from_minutes(
    bad: list[float | None],
    total: list[float | None],
    first: datetime,
    objective: float,
    window: str,
    at: datetime,
) -> list[dict[str, Any]]:
    """The multi-window multi-burn-rate firings a per-minute history implies (``truth``'s rules:
    both windows strictly above the threshold, evaluated every minute from the SLO window's
    start to ``at``; a missing minute counts as no events)."""
    _kind, start, end = truth.window_bounds(window, at)
    budget_ratio = 1 - objective / 100
    pb, pt = [0.0], [0.0]
    for b, n in zip(bad, total, strict=True):
        pb.append(pb[-1] + (b or 0.0))
        pt.append(pt[-1] + (n or 0.0))
    begin = max(0, -(-(start - first) // MINUTE))
    ks = range(begin, len(total))

    def above(label: str, factor: float) -> list[bool]:
        n = truth.BURN_WINDOWS[label] // MINUTE
        out = []
        for k in ks:
            lo = max(k + 1 - n, 0)
            tot = pt[k + 1] - pt[lo]
            out.append(tot > 0 and ((pb[k + 1] - pb[lo]) / tot) / budget_ratio > factor)
        return out

    firings: list[dict[str, Any]] = []
    for severity, long_w, short_w, spent in truth.ALERT_CONDITIONS:
        factor = spent * ((end - start) / truth.BURN_WINDOWS[long_w])
        holds = [
            x and y for x, y in zip(above(long_w, factor), above(short_w, factor), strict=True)
        ]
        opened: int | None = None
        for idx, on in enumerate([*holds, False]):
            if on and opened is None:
                opened = idx
            elif not on and opened is not None:
                closed = None if idx == len(holds) else first + ks[idx] * MINUTE
                firings.append(
                    {
                        "severity": severity,
                        "long_window": long_w,
                        "short_window": short_w,
                        "burn_rate_threshold": factor,
                        "start": first + ks[opened] * MINUTE,
                        "end": closed,
                    }
                )
                opened = None
    firings.sort(key=lambda f: (f["start"], f["severity"], truth.BURN_WINDOWS[f["long_window"]]))
    return firings


def history_start(window: str, at: datetime) -> datetime:
    """Where a pack's per-minute history starts: three days (the longest alert window) before
    the SLO window, on the minute grid that ends at ``at``."""
    _kind, start, _end = truth.window_bounds(window, at)
    steps = math.ceil((at - (start - timedelta(days=3))) / MINUTE)
    return at - steps * MINUTE


def firings(
    backend: str, scenario: Scenario, sli: str, objective: float, window: str, at: datetime
) -> list[dict[str, Any]]:
    """The firings a pack drafted at ``at`` must show on ``backend``."""
    first = history_start(window, at)
    bad, total = minutes(backend, scenario, sli, first, at)
    return firings_from_minutes(bad, total, first, objective, window, at)


def firings_for(
    backend: Backend, sli: str, objective: float, window: str, at: datetime
) -> list[dict[str, Any]]:
    """The firings a pack drafted on the grid at ``at`` must show on ``backend``: Prometheus
    reads the exact per-minute events (``truth.firings_truth``); VictoriaMetrics 1.79 reads
    each minute as the mean of it and the minute before, which moves most edges by a minute."""
    if backend.name == PROMETHEUS:
        return truth.firings_truth(backend.scenario, sli, objective, window, at)
    return firings(backend.name, backend.scenario, sli, objective, window, at)


def history_bad_between(backend: Backend, sli: str) -> Callable[[datetime, datetime], float] | None:
    """Bad events in (a, b], both on the grid, as a pack's per-minute history holds them: None
    on Prometheus (the exact events); on VictoriaMetrics 1.79 each minute is the mean of itself
    and the minute before, so a sum is the mean of the exact sums over (a, b] and a minute
    earlier."""
    if backend.name == PROMETHEUS:
        return None
    sc = backend.scenario

    def between(a: datetime, b: datetime) -> float:
        now = truth.events(sc, sli, a, b)[0]
        earlier = truth.events(sc, sli, a - MINUTE, b - MINUTE)[0]
        return (now + earlier) / 2

    return between


#: a word of each backend's own reason for refusing ``sum(rate(x{[30d]))``
PARSE_ERROR = {PROMETHEUS: "parse error", VICTORIA_METRICS: 'unexpected token "["'}
