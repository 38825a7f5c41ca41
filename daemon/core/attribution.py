"""Which incidents spent the budget, and how much burned with no incident open.

Bad events inside an incident come from the per-minute history the pack already holds for
firings: on the sample grid that equals ``rate(bad[duration])`` evaluated at the incident's end
(the tests check it against Prometheus), without one query per incident. No baseline is
subtracted: an incident is charged every bad event during it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from daemon.core.firings import STEP_SECONDS, MinuteSeries
from daemon.core.incidents import Incident
from daemon.core.windows import BudgetWindow


@dataclass(frozen=True)
class IncidentBudget:
    incident: Incident
    bad_events: float
    consumed_fraction: float
    consumed_minutes: float


@dataclass(frozen=True)
class Attribution:
    """Every incident overlapping the window, most expensive first, and the rest."""

    incidents: tuple[IncidentBudget, ...]
    unattributed_bad_events: float
    unattributed_fraction: float
    unattributed_minutes: float


class _Events:
    """Bad events in any (a, b], from per-minute counts. A step only partly inside counts in
    proportion: a counter cannot say when within a scrape interval its events happened."""

    def __init__(self, series: MinuteSeries) -> None:
        self._first = series.first
        self._prefix = [0.0]
        for value in series.bad:
            self._prefix.append(self._prefix[-1] + value)

    def _upto(self, t: datetime) -> float:
        """Events in (-inf, t]."""
        position = (t - self._first).total_seconds() / STEP_SECONDS + 1
        whole = int(position // 1)
        last = len(self._prefix) - 1
        if whole >= last:
            return self._prefix[last]
        if whole < 0:
            return 0.0
        partial = position - whole
        step = self._prefix[whole + 1] - self._prefix[whole]
        return self._prefix[whole] + partial * step

    def between(self, a: datetime, b: datetime) -> float:
        return max(0.0, self._upto(b) - self._upto(a)) if b > a else 0.0


def _union(intervals: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def attribute(
    incidents: Sequence[Incident],
    series: MinuteSeries,
    window: BudgetWindow,
    total_events: float,
    budget_ratio: float,
    budget_minutes: float,
) -> Attribution:
    """Each incident's share of the budget: its bad events in (created, resolved] clipped to the
    window, over the window's total events times (1 - o), times the elapsed fraction, so that
    shares add up to the consumed fraction for calendar windows too."""
    events = _Events(series)
    scale = window.elapsed_fraction / (total_events * budget_ratio)
    charged: list[IncidentBudget] = []
    spans: list[tuple[datetime, datetime]] = []
    for incident in incidents:
        a = max(incident.created_at, window.start)
        b = min(incident.end_at(window.at), window.at)
        if b <= a:
            continue
        spans.append((a, b))
        bad = events.between(a, b)
        charged.append(IncidentBudget(incident, bad, bad * scale, bad * scale * budget_minutes))
    inside = sum(events.between(a, b) for a, b in _union(spans))
    outside = max(0.0, events.between(window.start, window.at) - inside)
    charged.sort(key=lambda c: (-c.consumed_minutes, c.incident.created_at))
    return Attribution(tuple(charged), outside, outside * scale, outside * scale * budget_minutes)


def bad_event_counter(series: MinuteSeries) -> Callable[[datetime, datetime], float]:
    """``count(a, b)``: bad events in (a, b], partial steps in proportion."""
    return _Events(series).between
