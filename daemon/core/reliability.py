"""MTTR / MTBF for a window against the trailing one, and a one-line reading of the trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Literal

from daemon import messages
from daemon.core.incidents import Incident

Direction = Literal["improving", "stable", "degrading", "unknown"]
Strength = Literal["sharply", "slightly", ""]


@dataclass(frozen=True)
class WindowStats:
    start: datetime
    end: datetime
    incidents: int
    open: int
    mttr_minutes: float | None
    mtbf_hours: float | None


@dataclass(frozen=True)
class Trend:
    direction: Direction
    strength: Strength
    change: float | None


@dataclass(frozen=True)
class Reliability:
    window_seconds: float
    current: WindowStats
    trailing: WindowStats
    mttr: Trend
    mtbf: Trend
    reading: str


def window_stats(
    incidents: Sequence[Incident], start: datetime, end: datetime, at: datetime
) -> WindowStats:
    """Incidents created in [start, end): MTTR over those resolved by ``at``; MTBF as the mean
    gap between consecutive starts, open incidents included (they are failures too)."""
    inside = sorted(
        (i for i in incidents if start <= i.created_at < end), key=lambda i: i.created_at
    )
    resolved = [i for i in inside if i.resolved_by(at)]
    mttr = (
        fmean((i.end_at(at) - i.created_at).total_seconds() / 60 for i in resolved)
        if resolved
        else None
    )
    mtbf = (
        (inside[-1].created_at - inside[0].created_at).total_seconds() / 3600 / (len(inside) - 1)
        if len(inside) >= 2
        else None
    )
    return WindowStats(start, end, len(inside), len(inside) - len(resolved), mttr, mtbf)


def trend(
    current: float | None,
    trailing: float | None,
    *,
    lower_is_better: bool,
    stable: float,
    sharp: float,
) -> Trend:
    """Relative change against the trailing window; beyond ``stable`` it is a direction, at or
    beyond ``sharp`` a sharp one."""
    if current is None or trailing is None or trailing == 0:
        return Trend("unknown", "", None)
    change = (current - trailing) / trailing
    if abs(change) <= stable:
        return Trend("stable", "", change)
    worse = change > 0 if lower_is_better else change < 0
    return Trend(
        "degrading" if worse else "improving",
        "sharply" if abs(change) >= sharp else "slightly",
        change,
    )


def _phrase(metric: str, t: Trend) -> str:
    if t.direction == "unknown":
        return messages.TREND_NOT_COMPARABLE.format(metric=metric)
    return " ".join(part for part in (metric, t.direction, t.strength) if part)


def reading(mttr: Trend, mtbf: Trend) -> str:
    """The seed's one-liner: "MTBF degrading sharply, MTTR degrading slightly — frequency is the
    bigger problem than recovery time"."""
    head = f"{_phrase('MTBF', mtbf)}, {_phrase('MTTR', mttr)}"
    directions = {mttr.direction, mtbf.direction}
    if mttr.direction == "degrading" and mtbf.direction == "degrading":
        assert mttr.change is not None and mtbf.change is not None
        # MTBF falls toward 0 and MTTR grows without bound: compare how far each moved
        worse_frequency = abs(mtbf.change) >= abs(mttr.change)
        tail = messages.TREND_FREQUENCY_WORSE if worse_frequency else messages.TREND_RECOVERY_WORSE
    elif mtbf.direction == "degrading":
        tail = messages.TREND_FREQUENCY_ONLY
    elif mttr.direction == "degrading":
        tail = messages.TREND_RECOVERY_ONLY
    elif "unknown" in directions:
        tail = messages.TREND_UNKNOWN
    elif "improving" in directions:
        tail = messages.TREND_IMPROVING
    else:
        tail = messages.TREND_STABLE
    return f"{head} — {tail}"


def assess_reliability(
    incidents: Sequence[Incident],
    at: datetime,
    window_seconds: float,
    *,
    stable: float,
    sharp: float,
) -> Reliability:
    """``current`` = [at - W, at), ``trailing`` = [at - 2W, at - W)."""
    w = timedelta(seconds=window_seconds)
    current = window_stats(incidents, at - w, at, at)
    trailing = window_stats(incidents, at - 2 * w, at - w, at)
    mttr = trend(
        current.mttr_minutes,
        trailing.mttr_minutes,
        lower_is_better=True,
        stable=stable,
        sharp=sharp,
    )
    mtbf = trend(
        current.mtbf_hours, trailing.mtbf_hours, lower_is_better=False, stable=stable, sharp=sharp
    )
    return Reliability(window_seconds, current, trailing, mttr, mtbf, reading(mttr, mtbf))
