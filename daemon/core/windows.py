"""Budget windows: parse ``30d`` / ``month`` / ``quarter`` and resolve them at an instant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from daemon.core.slo import WindowSpec

_ROLLING = re.compile(r"^([1-9]\d*)d$")
MAX_ROLLING_DAYS = 366


def parse_window(text: str) -> WindowSpec:
    """``Nd`` (rolling), ``month`` or ``quarter`` (calendar, UTC); ValueError otherwise."""
    if text in ("month", "quarter"):
        return WindowSpec(kind="calendar", period=text)  # type: ignore[arg-type]
    match = _ROLLING.match(text)
    if not match:
        raise ValueError(f"must be a rolling window like 30d, or month, or quarter (got {text!r})")
    days = int(match.group(1))
    if days > MAX_ROLLING_DAYS:
        raise ValueError(f"rolling window must be at most {MAX_ROLLING_DAYS}d (got {text!r})")
    return WindowSpec(kind="rolling", days=days)


@dataclass(frozen=True)
class BudgetWindow:
    """The budget window in force at ``at``: rolling [at - W, at], calendar [period start, end]."""

    kind: str
    start: datetime
    end: datetime
    at: datetime

    @property
    def length_seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def elapsed_seconds(self) -> float:
        return (self.at - self.start).total_seconds()

    @property
    def elapsed_fraction(self) -> float:
        return self.elapsed_seconds / self.length_seconds


def _month_start(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def resolve_window(spec: WindowSpec, at: datetime) -> BudgetWindow:
    if at.tzinfo is None:
        raise ValueError("evaluation time must be timezone-aware")
    at = at.astimezone(UTC)
    if spec.kind == "rolling":
        assert spec.days is not None
        return BudgetWindow("rolling", at - timedelta(days=spec.days), at, at)
    months = 1 if spec.period == "month" else 3
    first_month = at.month if months == 1 else 3 * ((at.month - 1) // 3) + 1
    start = _month_start(at.year, first_month)
    return BudgetWindow("calendar", start, _month_start(at.year, first_month + months), at)


def earlier_windows(spec: WindowSpec, window: BudgetWindow, count: int) -> list[BudgetWindow]:
    """The ``count`` whole windows before this one, most recent first: the previous months or
    quarters, or the rolling spans [start - W, start], [start - 2W, start - W], ..."""
    out: list[BudgetWindow] = []
    end = window.start
    for _ in range(count):
        if spec.kind == "rolling":
            assert spec.days is not None
            start = end - timedelta(days=spec.days)
        else:
            start = resolve_window(spec, end - timedelta(seconds=1)).start
        out.append(BudgetWindow(window.kind, start, end, end))
        end = start
    return out
