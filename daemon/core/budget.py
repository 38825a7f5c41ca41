"""Error-budget arithmetic (Google SRE Workbook; formulas in FACTS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from daemon.core.windows import BudgetWindow


@dataclass(frozen=True)
class Budget:
    minutes: float
    error_ratio: float
    consumed_fraction: float
    consumed_minutes: float
    # negative when overspent: an overspend is evidence, clamping would hide it
    remaining_fraction: float
    projected_fraction_at_window_end: float
    exhaustion_at: datetime | None


def compute_budget(budget_ratio: float, window: BudgetWindow, error_ratio: float) -> Budget:
    """Budget state of ``window`` given the error ratio B/T over [start, at].

    ``window.elapsed_fraction`` must be positive: at the very start of a calendar window
    nothing can be measured yet, and the caller says so instead of calling this.
    """
    elapsed = window.elapsed_fraction
    if elapsed <= 0:
        raise ValueError("budget needs a window that has started")
    minutes = budget_ratio * window.length_seconds / 60.0
    consumed = error_ratio / budget_ratio * elapsed
    exhaustion_at: datetime | None = None
    if consumed > 0:
        # consumed(t) = consumed * (t - start) / (at - start) reaches 1.0 this long after start;
        # compared in seconds first, since a tiny burn puts it past any representable date
        crossing = window.elapsed_seconds / consumed
        if crossing <= window.length_seconds:
            exhaustion_at = window.start + timedelta(seconds=crossing)
    return Budget(
        minutes=minutes,
        error_ratio=error_ratio,
        consumed_fraction=consumed,
        consumed_minutes=consumed * minutes,
        remaining_fraction=1.0 - consumed,
        projected_fraction_at_window_end=consumed / elapsed,
        exhaustion_at=exhaustion_at,
    )
