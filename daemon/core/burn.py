"""Multi-window multi-burn-rate alerting (SRE Workbook table 5-8, scaled as Sloth does)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from daemon.core.durations import format_duration

Severity = Literal["page", "ticket"]


@dataclass(frozen=True)
class AlertCondition:
    """Fires while BOTH windows burn faster than ``budget_spent * period / long window``."""

    severity: Severity
    long_seconds: int
    short_seconds: int
    budget_spent: float

    @property
    def long_window(self) -> str:
        return format_duration(self.long_seconds)

    @property
    def short_window(self) -> str:
        return format_duration(self.short_seconds)

    def threshold(self, period_seconds: float) -> float:
        """Sloth's factor: 14.4 for the 1h page of a 30-day SLO, 13.44 for a 28-day one."""
        return self.budget_spent * period_seconds / self.long_seconds


MWMBR: tuple[AlertCondition, ...] = (
    AlertCondition("page", 3600, 300, 0.02),
    AlertCondition("page", 6 * 3600, 1800, 0.05),
    AlertCondition("ticket", 86400, 2 * 3600, 0.10),
    AlertCondition("ticket", 3 * 86400, 6 * 3600, 0.10),
)

BURN_WINDOWS: tuple[int, ...] = tuple(
    sorted({c.long_seconds for c in MWMBR} | {c.short_seconds for c in MWMBR})
)
LONGEST_WINDOW = max(BURN_WINDOWS)


def burn_rate(bad: float, total: float, budget_ratio: float) -> float | None:
    """(B/T) / (1 - o); None when there were no events to divide by."""
    if total <= 0:
        return None
    return bad / total / budget_ratio


@dataclass(frozen=True)
class ConditionState:
    condition: AlertCondition
    threshold: float
    long_burn_rate: float | None
    short_burn_rate: float | None

    @property
    def firing(self) -> bool:
        return holds(self.long_burn_rate, self.short_burn_rate, self.threshold)


def holds(long_rate: float | None, short_rate: float | None, threshold: float) -> bool:
    return (
        long_rate is not None
        and short_rate is not None
        and long_rate > threshold
        and short_rate > threshold
    )


def evaluate_conditions(
    burn_rates: Mapping[int, float | None], period_seconds: float
) -> tuple[ConditionState, ...]:
    """The state of every condition from burn rates keyed by window length in seconds."""
    return tuple(
        ConditionState(
            condition=c,
            threshold=c.threshold(period_seconds),
            long_burn_rate=burn_rates.get(c.long_seconds),
            short_burn_rate=burn_rates.get(c.short_seconds),
        )
        for c in MWMBR
    )


PolicyState = Literal["exhausted", "burning_fast", "burning_slow", "healthy", "unknown"]


def policy_state(
    states: tuple[ConditionState, ...], remaining_fraction: float | None
) -> PolicyState:
    """The error-budget policy reading: exhausted budget first, then page-level, then
    ticket-level burn. ``unknown`` when neither budget nor burn rates could be measured."""
    if remaining_fraction is not None and remaining_fraction <= 0:
        return "exhausted"
    if any(s.firing and s.condition.severity == "page" for s in states):
        return "burning_fast"
    if any(s.firing for s in states):
        return "burning_slow"
    measured = any(s.long_burn_rate is not None for s in states)
    if remaining_fraction is None and not measured:
        return "unknown"
    return "healthy"
