"""Exact ground truth computed from a scenario's per-minute events (never from product code).

Semantics (what Prometheus 2.42 computes exactly when evaluated on the sample grid): the
events of a range [a, b] are the events of the minutes k with a < t_k <= b.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tests.generator.synthetic import DURATION, MINUTE, REQUESTS, Scenario

SLIS = ("availability", "latency", "quiet_availability")

#: Burn-rate windows reported by ``budget_truth`` (label -> length).
BURN_WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}

#: Multi-window multi-burn-rate alert conditions (SRE Workbook, as Sloth generates them):
#: (severity, long window, short window, share of the period's budget spent in the long window).
ALERT_CONDITIONS: tuple[tuple[str, str, str, float], ...] = (
    ("page", "1h", "5m", 0.02),
    ("page", "6h", "30m", 0.05),
    ("ticket", "1d", "2h", 0.10),
    ("ticket", "3d", "6h", 0.10),
)


@dataclass
class _Prefix:
    """Prefix sums of bad and total events: P[i] = sum of minutes 0..i-1."""

    bad: list[float]
    total: list[float]


def _prefix(values: list[float]) -> list[float]:
    out: list[float] = [0]
    acc: float = 0
    for v in values:
        acc += v
        out.append(acc)
    return out


def _sli_events(scenario: Scenario, sli: str) -> tuple[list[float], list[float]]:
    """Per-minute (bad, total) events of an SLI."""
    if sli == "availability" or sli == "quiet_availability":
        service = "checkout" if sli == "availability" else "quiet"
        all_series = scenario.select(REQUESTS, service=service)
        bad_series = [s for s in all_series if s.label_dict["code"] == "500"]
        bad = [sum(col) for col in zip(*(s.events for s in bad_series), strict=True)]
        total = [sum(col) for col in zip(*(s.events for s in all_series), strict=True)]
        return bad, total
    if sli == "latency":
        count = scenario.find(f"{DURATION}_count", service="checkout", instance="a").events
        fast = scenario.find(
            f"{DURATION}_bucket", service="checkout", instance="a", le="0.25"
        ).events
        return [c - f for c, f in zip(count, fast, strict=True)], list(count)
    raise ValueError(f"unknown sli {sli!r}; expected one of {SLIS}")


def _get_prefix(scenario: Scenario, sli: str) -> _Prefix:
    key = f"truth-prefix/{sli}"
    if key not in scenario.cache:
        bad, total = _sli_events(scenario, sli)
        scenario.cache[key] = _Prefix(_prefix(bad), _prefix(total))
    prefix: _Prefix = scenario.cache[key]
    return prefix


def _first_index_after(scenario: Scenario, t: datetime) -> int:
    """Smallest k with t_k > t, clamped to [0, minutes]."""
    k = (t - scenario.start) // MINUTE + 1
    return min(max(k, 0), scenario.minutes)


def events(scenario: Scenario, sli: str, a: datetime, b: datetime) -> tuple[float, float]:
    """(bad, total) events of ``sli`` in the range [a, b], i.e. minutes with a < t_k <= b."""
    p = _get_prefix(scenario, sli)
    lo = _first_index_after(scenario, a)
    hi = _first_index_after(scenario, b)
    if hi <= lo:
        return 0, 0
    return p.bad[hi] - p.bad[lo], p.total[hi] - p.total[lo]


def _budget_of(objective_percent: float) -> float:
    return 1 - objective_percent / 100


_ROLLING = re.compile(r"^(\d+)d$")


def window_bounds(window: str, at: datetime) -> tuple[str, datetime, datetime]:
    """(kind, start, end) of an SLO window: "Nd" rolling [at - N d, at]; "month"/"quarter"
    calendar UTC periods [period start, next period start) containing ``at``."""
    m = _ROLLING.match(window)
    if m:
        return "rolling", at - timedelta(days=int(m.group(1))), at
    if window in ("month", "quarter"):
        first_month = at.month if window == "month" else 3 * ((at.month - 1) // 3) + 1
        start = at.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
        step = 1 if window == "month" else 3
        year, month = divmod(first_month - 1 + step, 12)
        end = start.replace(year=start.year + year, month=month + 1)
        return "calendar", start, end
    raise ValueError(f"unsupported window {window!r} (use 'Nd', 'month' or 'quarter')")


def _burn(bad: float, total: float, budget: float) -> float | None:
    return None if total == 0 else (bad / total) / budget


def budget_truth(
    scenario: Scenario, sli: str, objective_percent: float, window: str, at: datetime
) -> dict[str, Any]:
    """Error-budget numbers at ``at`` (see module docstring for the events convention).

    If the SLI has no events in [window_start, at], ``error_ratio`` and everything derived
    from it is None.
    """
    kind, start, end = window_bounds(window, at)
    budget = _budget_of(objective_percent)
    length = end - start
    elapsed = (at - start) / length if kind == "calendar" else 1.0
    bad, total = events(scenario, sli, start, at)
    error_ratio = None if total == 0 else bad / total
    consumed = None if error_ratio is None else error_ratio / budget * elapsed
    exhaustion: datetime | None = None
    if consumed is not None and consumed > 0:
        candidate = start + (at - start) / consumed
        exhaustion = candidate if candidate <= end else None
    return {
        "window_kind": kind,
        "window_start": start,
        "window_end": end,
        "elapsed_fraction": elapsed,
        "minutes": budget * (length / MINUTE),
        "error_ratio": error_ratio,
        "consumed_fraction": consumed,
        "consumed_minutes": None if consumed is None else consumed * budget * (length / MINUTE),
        "remaining_fraction": None if consumed is None else 1 - consumed,
        "projected_fraction_at_window_end": (
            None if consumed is None or elapsed == 0 else consumed / elapsed
        ),
        "exhaustion_at": exhaustion,
        "burn_rates": {
            label: _burn(*events(scenario, sli, at - w, at), budget)
            for label, w in BURN_WINDOWS.items()
        },
    }


def firings_truth(
    scenario: Scenario, sli: str, objective_percent: float, window: str, at: datetime
) -> list[dict[str, Any]]:
    """Maximal intervals where each multi-window multi-burn-rate condition held.

    Evaluated at every minute from the window start to ``at`` inclusive; a condition holds
    when both windows' burn rate is strictly above the threshold (no events -> not holding).
    ``end`` is the first evaluation minute where it no longer holds, None if it holds at ``at``.
    """
    _kind, start, end = window_bounds(window, at)
    budget = _budget_of(objective_percent)
    period = end - start
    p = _get_prefix(scenario, sli)
    first = max(0, -(-(start - scenario.start) // MINUTE))  # ceil: first grid minute >= start
    last = scenario.index_of(at)
    ks = range(first, last + 1)

    def above(w: str, factor: float) -> list[bool]:
        """Per evaluation minute: burn rate over the trailing window ``w`` > factor."""
        n = BURN_WINDOWS[w] // MINUTE
        pb, pt = p.bad, p.total
        out = []
        for k in ks:
            lo = max(k + 1 - n, 0)
            tot = pt[k + 1] - pt[lo]
            out.append(tot > 0 and ((pb[k + 1] - pb[lo]) / tot) / budget > factor)
        return out

    firings: list[dict[str, Any]] = []
    for severity, long_w, short_w, spent in ALERT_CONDITIONS:
        factor = spent * (period / BURN_WINDOWS[long_w])
        holds = [
            x and y for x, y in zip(above(long_w, factor), above(short_w, factor), strict=True)
        ]
        begin: int | None = None
        for idx, h in enumerate(holds):
            if h and begin is None:
                begin = idx
            elif not h and begin is not None:
                firings.append(
                    _firing(scenario, severity, long_w, short_w, factor, ks[begin], ks[idx])
                )
                begin = None
        if begin is not None:
            firings.append(_firing(scenario, severity, long_w, short_w, factor, ks[begin], None))
    firings.sort(key=lambda f: (f["start"], f["severity"], BURN_WINDOWS[f["long_window"]]))
    return firings


def _firing(
    scenario: Scenario,
    severity: str,
    long_w: str,
    short_w: str,
    factor: float,
    k_start: int,
    k_end: int | None,
) -> dict[str, Any]:
    return {
        "severity": severity,
        "long_window": long_w,
        "short_window": short_w,
        "burn_rate_threshold": factor,
        "start": scenario.time_of(k_start),
        "end": None if k_end is None else scenario.time_of(k_end),
    }


#: The SLOs the summary reports: (sli, objective percent, window).
SUMMARY_SLOS: tuple[tuple[str, float, str], ...] = (
    ("availability", 99.9, "30d"),
    ("availability", 99.9, "month"),
    ("availability", 99.9, "quarter"),
    ("latency", 99.0, "quarter"),
)


def summary(scenario: Scenario, at: datetime) -> str:
    """Human-readable shape of the scenario: incidents, resets, budgets and firings at ``at``."""
    lines = [
        f"scenario {scenario.start:%Y-%m-%d %H:%M} .. {scenario.end:%Y-%m-%d %H:%M} UTC, "
        f"{scenario.minutes} minutes x {len(scenario.series)} series, at={at:%Y-%m-%d %H:%M}",
        "incidents:",
        *(f"  {i.describe()}" for i in scenario.incidents),
        "resets:",
        *(
            f"  {group}: " + ", ".join(f"{scenario.time_of(k):%m-%d %H:%M}" for k in ks)
            for group, ks in scenario.resets.items()
        ),
        "budgets at at:",
    ]
    for sli, objective, window in SUMMARY_SLOS:
        b = budget_truth(scenario, sli, objective, window, at)
        fired = firings_truth(scenario, sli, objective, window, at)
        pages = sum(f["severity"] == "page" for f in fired)
        ongoing = sum(f["end"] is None for f in fired)
        exhaustion = b["exhaustion_at"]
        lines.append(
            f"  {sli} {objective}% {window}: error_ratio={b['error_ratio']:.5f} "
            f"consumed={b['consumed_fraction']:.1%} ({b['consumed_minutes']:.1f} of "
            f"{b['minutes']:.1f} min) projected={b['projected_fraction_at_window_end']:.1%} "
            f"exhaustion={'-' if exhaustion is None else f'{exhaustion:%Y-%m-%d %H:%M}'} "
            f"firings={len(fired)} (page {pages}, ticket {len(fired) - pages}, "
            f"ongoing {ongoing})"
        )
    return "\n".join(lines)
