"""The current state of one SLO, assessed from query results (pure: results in, evidence out).

Whatever could not be measured is named in ``problems``; a missing number stays None and is
never replaced by zero."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from daemon import messages
from daemon.core.attribution import Attribution, attribute, bad_event_counter
from daemon.core.budget import Budget, compute_budget
from daemon.core.burn import (
    BURN_WINDOWS,
    ConditionState,
    PolicyState,
    burn_rate,
    evaluate_conditions,
    policy_state,
)
from daemon.core.durations import format_duration
from daemon.core.firings import Firing, MinuteSeries, detect_firings
from daemon.core.incidents import Incident
from daemon.core.slo import SloSpec
from daemon.core.windows import BudgetWindow

BURN_DOWN_POINTS = 200

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    message: str
    source_id: str | None = None

    @classmethod
    def of(
        cls, code: str, severity: Severity, source_id: str | None = None, **facts: object
    ) -> Problem:
        return cls(code, severity, messages.PROBLEMS[code].format(**facts), source_id)


@dataclass(frozen=True)
class Measurement:
    """Per-second rates of bad and total events over one range, as the backend answered them
    (None: the query returned no series), or the problem that stopped the queries."""

    bad_rate: float | None = None
    total_rate: float | None = None
    source_ids: tuple[str, ...] = ()
    failure: Problem | None = None


@dataclass(frozen=True)
class EarlierWindow:
    """A whole window before the current one: did it meet the objective?"""

    start: datetime
    end: datetime
    error_ratio: float | None
    missed: bool | None
    source_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Events:
    bad: float
    total: float


@dataclass(frozen=True)
class SloEvidence:
    spec: SloSpec
    window: BudgetWindow
    events: Events | None
    budget: Budget | None
    burn_rates: Mapping[int, float | None]
    conditions: tuple[ConditionState, ...]
    policy_state: PolicyState
    firings: tuple[Firing, ...] | None
    problems: tuple[Problem, ...]
    source_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # None when incidents or the numbers they are charged against could not be had
    attribution: Attribution | None = None
    earlier: tuple[EarlierWindow, ...] = ()
    # consumed fraction over the window so far, for the burn-down chart
    burn_down: tuple[tuple[datetime, float], ...] = ()

    @property
    def status(self) -> Literal["ok", "degraded", "unavailable"]:
        if self.budget is None:
            return "unavailable"
        return "degraded" if self.problems else "ok"


@dataclass(frozen=True)
class SloInputs:
    """Everything fetched for one SLO. ``setup`` is a problem that stopped all queries (for
    example a latency threshold with no matching bucket)."""

    budget: Measurement | None = None
    burns: Mapping[int, Measurement] = field(default_factory=dict)
    minutes: MinuteSeries | Problem | None = None
    minute_source_ids: tuple[str, ...] = ()
    setup: Problem | None = None
    # the service's incidents (None: not configured or not fetched; the pack says which)
    incidents: tuple[Incident, ...] | None = None
    # whole windows before this one, with what the backend answered for each
    earlier: tuple[tuple[BudgetWindow, Measurement], ...] = ()


def _add(problems: list[Problem], problem: Problem) -> None:
    if all(p.message != problem.message for p in problems):
        problems.append(problem)


def _assess_budget(
    spec: SloSpec, window: BudgetWindow, m: Measurement, problems: list[Problem]
) -> tuple[Events | None, Budget | None]:
    what = f"the budget window ({window.start:%Y-%m-%d %H:%M} to {window.at:%Y-%m-%d %H:%M} UTC)"
    source = m.source_ids[-1] if m.source_ids else None
    if m.failure is not None:
        _add(problems, m.failure)
        return None, None
    if m.total_rate is None:
        _add(problems, Problem.of("no_data", "error", source, what=what))
        return None, None
    if m.total_rate <= 0:
        _add(problems, Problem.of("no_traffic", "error", source, what=what))
        return None, None
    if m.bad_rate is None:
        _add(problems, Problem.of("no_error_series", "warning", m.source_ids[0], what=what))
    seconds = window.elapsed_seconds
    events = Events(bad=(m.bad_rate or 0.0) * seconds, total=m.total_rate * seconds)
    if events.total < spec.effective_min_events:
        _add(
            problems,
            Problem.of(
                "too_few_events",
                "warning",
                source,
                events=events.total,
                minimum=spec.effective_min_events,
            ),
        )
    error_ratio = (m.bad_rate or 0.0) / m.total_rate
    return events, compute_budget(spec.budget_ratio, window, error_ratio)


def _assess_burns(
    spec: SloSpec, burns: Mapping[int, Measurement], problems: list[Problem]
) -> dict[int, float | None]:
    rates: dict[int, float | None] = {}
    for seconds in BURN_WINDOWS:
        m = burns.get(seconds)
        if m is None or m.failure is not None or m.total_rate is None:
            if m is not None and m.failure is not None:
                _add(problems, m.failure)
            rates[seconds] = None
            continue
        rates[seconds] = burn_rate(m.bad_rate or 0.0, m.total_rate, spec.budget_ratio)
    return rates


def assess_slo(spec: SloSpec, window: BudgetWindow, inputs: SloInputs) -> SloEvidence:
    problems: list[Problem] = []
    events: Events | None = None
    budget: Budget | None = None
    rates: dict[int, float | None] = {s: None for s in BURN_WINDOWS}
    firings: tuple[Firing, ...] | None = None
    if inputs.setup is not None:
        problems.append(inputs.setup)
    else:
        if window.elapsed_seconds < 60:
            _add(problems, Problem.of("window_not_started", "error", start=window.start))
        elif inputs.budget is not None:
            events, budget = _assess_budget(spec, window, inputs.budget, problems)
        rates = _assess_burns(spec, inputs.burns, problems)
        if isinstance(inputs.minutes, Problem):
            _add(problems, inputs.minutes)
        elif inputs.minutes is not None:
            firings = detect_firings(
                inputs.minutes, spec.budget_ratio, window.length_seconds, window.start
            )
            missing = inputs.minutes.missing_steps
            if missing:
                _add(
                    problems,
                    Problem.of(
                        "missing_steps", "warning", missing=missing, steps=len(inputs.minutes.total)
                    ),
                )
    attribution = None
    if (
        inputs.incidents is not None
        and budget is not None
        and events is not None
        and isinstance(inputs.minutes, MinuteSeries)
    ):
        attribution = attribute(
            inputs.incidents,
            inputs.minutes,
            window,
            events.total,
            spec.budget_ratio,
            budget.minutes,
        )
    burn_down: tuple[tuple[datetime, float], ...] = ()
    if budget is not None and events is not None and isinstance(inputs.minutes, MinuteSeries):
        burn_down = _burn_down(inputs.minutes, window, events.total, spec.budget_ratio)
    conditions = evaluate_conditions(rates, window.length_seconds)
    earlier = tuple(_earlier(spec, w, m, problems) for w, m in inputs.earlier)
    sources: dict[str, tuple[str, ...]] = {}
    if inputs.budget is not None:
        sources["budget"] = inputs.budget.source_ids
    for seconds, m in inputs.burns.items():
        sources[f"burn_{format_duration(seconds)}"] = m.source_ids
    if inputs.minute_source_ids:
        sources["firings"] = inputs.minute_source_ids
    return SloEvidence(
        spec=spec,
        window=window,
        events=events,
        budget=budget,
        burn_rates=rates,
        conditions=conditions,
        policy_state=policy_state(conditions, budget.remaining_fraction if budget else None),
        firings=firings,
        problems=tuple(problems),
        source_ids=sources,
        attribution=attribution,
        earlier=earlier,
        burn_down=burn_down,
    )


def _earlier(
    spec: SloSpec, window: BudgetWindow, m: Measurement, problems: list[Problem]
) -> EarlierWindow:
    if m.failure is not None:
        _add(problems, replace(m.failure, severity="warning"))
    if m.failure is not None or not m.total_rate:
        return EarlierWindow(window.start, window.end, None, None, m.source_ids)
    ratio = (m.bad_rate or 0.0) / m.total_rate
    return EarlierWindow(window.start, window.end, ratio, ratio > spec.budget_ratio, m.source_ids)


def _burn_down(
    series: MinuteSeries, window: BudgetWindow, total_events: float, budget_ratio: float
) -> tuple[tuple[datetime, float], ...]:
    """Consumed fraction at evenly spaced instants from the window start to ``at``, on the
    scale of the budget: the last point is the consumed fraction."""
    scale = window.elapsed_fraction / (total_events * budget_ratio)
    span = window.at - window.start
    count = bad_event_counter(series)
    points = []
    for n in range(BURN_DOWN_POINTS + 1):
        t = window.start + span * n / BURN_DOWN_POINTS
        points.append((t, count(window.start, t) * scale))
    return tuple(points)
