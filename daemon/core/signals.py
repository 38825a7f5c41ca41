"""What the decision rules read from the evidence, computed once and cited by every rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from daemon.core.evidence import SloEvidence
from daemon.core.reliability import Reliability, Trend
from daemon.core.rules import DecisionRules


@dataclass(frozen=True)
class Signals:
    focus: str
    objective_percent: float
    window_label: str
    budget_minutes: float
    consumed: float
    elapsed: float
    projected: float
    policy_state: str
    page_firings: int
    ticket_firings: int
    mttr: Trend | None
    mtbf: Trend | None
    reliability_reading: str | None
    top_incidents: int
    known_cause_incidents: int
    known_cause_share: float | None
    third_party_share: float | None
    days_to_deadline: float | None
    earlier_measured: int
    earlier_misses: int


def focus_slo(slos: Sequence[SloEvidence]) -> SloEvidence | None:
    """The SLO under most pressure: the highest projection among those with a budget."""
    measured = [s for s in slos if s.budget is not None]
    if not measured:
        return None
    return max(measured, key=lambda s: s.budget.projected_fraction_at_window_end if s.budget else 0)


def _mentions(text: str | None, keywords: Sequence[str]) -> bool:
    lowered = (text or "").lower()
    return any(k.lower() in lowered for k in keywords)


def read_signals(
    focus: SloEvidence,
    reliability: Reliability | None,
    notes: dict[str, str] | Sequence[tuple[str, str]],
    rules: DecisionRules,
    at: datetime,
    deadline: date | None,
    top: int,
) -> Signals:
    budget = focus.budget
    assert budget is not None, "the focus SLO has a budget"
    notes = dict(notes)
    firings = focus.firings or ()
    shown = focus.attribution.incidents[:top] if focus.attribution else ()
    known = [c for c in shown if notes.get(c.incident.id)]
    attributed = sum(c.consumed_fraction for c in shown)
    keywords = rules.options.third_party_keywords
    third = [
        c
        for c in (focus.attribution.incidents if focus.attribution else ())
        if _mentions(c.incident.title, keywords) or _mentions(notes.get(c.incident.id), keywords)
    ]
    consumed = budget.consumed_fraction
    days: float | None = None
    if deadline is not None:
        due = datetime(deadline.year, deadline.month, deadline.day, tzinfo=at.tzinfo)
        days = (due - at).total_seconds() / 86400
    earlier = [w for w in focus.earlier if w.error_ratio is not None]
    return Signals(
        focus=focus.spec.name,
        objective_percent=focus.spec.objective_percent,
        window_label=focus.spec.window.label,
        budget_minutes=budget.minutes,
        consumed=consumed,
        elapsed=focus.window.elapsed_fraction,
        projected=budget.projected_fraction_at_window_end,
        policy_state=focus.policy_state,
        page_firings=sum(1 for f in firings if f.severity == "page"),
        ticket_firings=sum(1 for f in firings if f.severity == "ticket"),
        mttr=reliability.mttr if reliability else None,
        mtbf=reliability.mtbf if reliability else None,
        reliability_reading=reliability.reading if reliability else None,
        top_incidents=len(shown),
        known_cause_incidents=len(known),
        known_cause_share=(
            sum(c.consumed_fraction for c in known) / attributed if attributed > 0 else None
        ),
        third_party_share=(
            sum(c.consumed_fraction for c in third) / consumed
            if focus.attribution is not None and consumed > 0
            else None
        ),
        days_to_deadline=days,
        earlier_measured=len(earlier),
        earlier_misses=sum(1 for w in earlier if w.missed),
    )
