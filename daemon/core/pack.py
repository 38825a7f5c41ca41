"""The prep pack as one value, and its JSON form (the contract; schema in daemon/schema)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from daemon.core.attribution import Attribution
from daemon.core.audit import build_audit
from daemon.core.durations import format_duration
from daemon.core.evidence import Problem, SloEvidence
from daemon.core.invariants import violations
from daemon.core.options import Option, Score
from daemon.core.posture import Recommendation
from daemon.core.reliability import Reliability, Trend, WindowStats
from daemon.core.rules import DecisionRules
from daemon.core.slo import LatencySli, RatioSli
from daemon.errors import PackInvariantError

SCHEMA_VERSION = "1.2"

PackStatus = Literal["NO_DECISION_FRAMED", "DRAFT", "MISSING_SLO"]


@dataclass(frozen=True)
class Source:
    """One query as sent: its text, backend and evaluation time (or range and step)."""

    id: str
    kind: Literal["instant", "range", "pagerduty"]
    # PromQL text, or for PagerDuty the endpoint ("GET /incidents")
    query: str
    backend: str
    time: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    step_seconds: int | None = None
    round_trips: int = 1
    params: tuple[tuple[str, str], ...] = ()
    status: int | None = None


@dataclass(frozen=True)
class Decision:
    question: str | None = None
    deadline: date | None = None
    horizon: str | None = None
    # (role, name) of everyone at the table, from the service's config
    stakeholders: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Pack:
    status: PackStatus
    service: str
    evaluated_at: datetime
    slos: tuple[SloEvidence, ...]
    decision: Decision
    sources: tuple[Source, ...]
    config_source: str
    config_sha256: str
    generator: str
    problems: tuple[Problem, ...] = ()
    reliability: Reliability | None = None
    top_incidents: int = 5
    # root cause / notes per incident id, as configured; never invented
    notes: Mapping[str, str] = field(default_factory=dict)
    focus_slo: str | None = None
    options: tuple[Option, ...] = ()
    recommendation: Recommendation | None = None
    rules: DecisionRules = field(default_factory=DecisionRules)

    @property
    def measured(self) -> bool:
        """Whether at least one SLO has budget numbers."""
        return any(s.budget is not None for s in self.slos)


def pack_status(question: str | None) -> PackStatus:
    return "DRAFT" if question and question.strip() else "NO_DECISION_FRAMED"


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace(".000+00:00", "Z").replace("+00:00", "Z")


def _sli(evidence: SloEvidence) -> dict[str, Any]:
    sli = evidence.spec.sli
    if isinstance(sli, RatioSli):
        return {"kind": "ratio", "error_query": sli.error_query, "total_query": sli.total_query}
    assert isinstance(sli, LatencySli)
    return {
        "kind": "latency",
        "histogram": sli.histogram,
        "selector": sli.selector,
        "threshold_seconds": sli.threshold_seconds,
    }


def _problem(p: Problem) -> dict[str, Any]:
    return {"code": p.code, "severity": p.severity, "message": p.message, "source_id": p.source_id}


def _slo(e: SloEvidence, top: int, notes: Mapping[str, str]) -> dict[str, Any]:
    b = e.budget
    return {
        "name": e.spec.name,
        "description": e.spec.description,
        "objective": e.spec.objective_percent,
        "sli": _sli(e),
        "status": e.status,
        "window": {
            "kind": e.window.kind,
            "label": e.spec.window.label,
            "start": rfc3339(e.window.start),
            "end": rfc3339(e.window.end),
            "elapsed_fraction": e.window.elapsed_fraction,
        },
        "events": None if e.events is None else {"bad": e.events.bad, "total": e.events.total},
        "budget": None
        if b is None
        else {
            "minutes": b.minutes,
            "consumed_minutes": b.consumed_minutes,
            "consumed_fraction": b.consumed_fraction,
            "remaining_fraction": b.remaining_fraction,
            "error_ratio": b.error_ratio,
            "projected_fraction_at_window_end": b.projected_fraction_at_window_end,
            "exhaustion_at": rfc3339(b.exhaustion_at),
        },
        "burn_rates": {format_duration(s): r for s, r in sorted(e.burn_rates.items())},
        "alert_conditions": [
            {
                "severity": c.condition.severity,
                "long_window": c.condition.long_window,
                "short_window": c.condition.short_window,
                "burn_rate_threshold": c.threshold,
                "long_burn_rate": c.long_burn_rate,
                "short_burn_rate": c.short_burn_rate,
                "firing": c.firing,
            }
            for c in e.conditions
        ],
        "policy_state": e.policy_state,
        "firings": None
        if e.firings is None
        else [
            {
                "severity": f.severity,
                "long_window": f.long_window,
                "short_window": f.short_window,
                "burn_rate_threshold": f.burn_rate_threshold,
                "start": rfc3339(f.start),
                "end": rfc3339(f.end),
            }
            for f in e.firings
        ],
        "earlier_windows": [
            {
                "start": rfc3339(w.start),
                "end": rfc3339(w.end),
                "error_ratio": w.error_ratio,
                "missed": w.missed,
                "source_ids": list(w.source_ids),
            }
            for w in e.earlier
        ],
        "burn_down": [{"t": rfc3339(t), "consumed_fraction": v} for t, v in e.burn_down],
        "top_incidents": _top_incidents(e.attribution, top, notes),
        "unattributed": None
        if e.attribution is None
        else {
            "bad_events": e.attribution.unattributed_bad_events,
            "consumed_fraction": e.attribution.unattributed_fraction,
            "consumed_minutes": e.attribution.unattributed_minutes,
        },
        "problems": [_problem(p) for p in e.problems],
        "source_ids": {k: list(v) for k, v in e.source_ids.items()},
    }


def _top_incidents(
    attribution: Attribution | None, top: int, notes: Mapping[str, str]
) -> list[dict[str, Any]] | None:
    if attribution is None:
        return None
    return [
        {
            "id": c.incident.id,
            "number": c.incident.number,
            "title": c.incident.title,
            "url": c.incident.url,
            "start": rfc3339(c.incident.created_at),
            "end": rfc3339(c.incident.resolved_at),
            "status": c.incident.status,
            "note": notes.get(c.incident.id),
            "bad_events": c.bad_events,
            "budget_consumed_minutes": c.consumed_minutes,
            "budget_consumed_fraction": c.consumed_fraction,
        }
        for c in attribution.incidents[:top]
    ]


def _stats(s: WindowStats) -> dict[str, Any]:
    return {
        "start": rfc3339(s.start),
        "end": rfc3339(s.end),
        "incidents": s.incidents,
        "open": s.open,
        "mttr_minutes": s.mttr_minutes,
        "mtbf_hours": s.mtbf_hours,
    }


def _trend(t: Trend) -> dict[str, Any]:
    return {"direction": t.direction, "strength": t.strength or None, "change": t.change}


def _reliability(r: Reliability | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "window": format_duration(r.window_seconds),
        "current": _stats(r.current),
        "trailing": _stats(r.trailing),
        "trend": {"mttr": _trend(r.mttr), "mtbf": _trend(r.mtbf), "reading": r.reading},
    }


def _source(s: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "kind": s.kind, "query": s.query, "backend": s.backend}
    if s.kind == "pagerduty":
        params: dict[str, Any] = {}
        for key, value in s.params:
            if key.endswith("[]"):  # PagerDuty's repeated filters (service_ids[], statuses[])
                params.setdefault(key, []).append(value)
            else:
                params[key] = value
        out.update(time=rfc3339(s.time), params=params, status=s.status)
    elif s.kind == "instant":
        out["time"] = rfc3339(s.time)
    else:
        out.update(
            start=rfc3339(s.start),
            end=rfc3339(s.end),
            step_seconds=s.step_seconds,
            round_trips=s.round_trips,
        )
    return out


def pack_to_json(pack: Pack) -> dict[str, Any]:
    """The pack's JSON document, with its audit appendix; refuses a pack that breaks an
    invariant (3-5 options, a distinct fallback, reasons, positions, every number audited)."""
    document = _document(pack)
    document["audit"] = build_audit(document, pack.rules)
    broken = violations(document)
    if broken:
        raise PackInvariantError(broken)
    return document


def _document(pack: Pack) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "status": pack.status,
        "service": pack.service,
        "evaluated_at": rfc3339(pack.evaluated_at),
        "generated_by": pack.generator,
        "config": {"source": pack.config_source, "sha256": pack.config_sha256},
        "decision": {
            "question": pack.decision.question,
            "deadline": pack.decision.deadline.isoformat() if pack.decision.deadline else None,
            "horizon": pack.decision.horizon,
            "stakeholders": [{"role": r, "name": n} for r, n in pack.decision.stakeholders],
            "focus_slo": pack.focus_slo,
        },
        "reliability": _reliability(pack.reliability),
        "slos": [_slo(e, pack.top_incidents, pack.notes) for e in pack.slos],
        "options": [_option(o) for o in pack.options],
        "recommendation": _recommendation(pack.recommendation),
        "sources": [_source(s) for s in pack.sources],
        "problems": [_problem(p) for p in pack.problems],
    }


def _score(s: Score) -> dict[str, Any]:
    return {"level": s.level, "reason": s.reason, "rule_id": s.rule_id}


def _option(o: Option) -> dict[str, Any]:
    return {
        "id": o.id,
        "title": o.title,
        "impact": _score(o.impact),
        "reversibility": _score(o.reversibility),
        "stakeholder_cost": {role: _score(score) for role, score in o.stakeholder_cost},
        "rule_ids": list(o.rule_ids),
    }


def _recommendation(r: Recommendation | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "primary": r.primary,
        "rule_id": r.rule_id,
        "why": list(r.why),
        "fallbacks": [{"option": o, "when": when} for o, when in r.fallbacks],
        "alternatives": [{"option": o, "reason": why} for o, why in r.alternatives],
        "rejected": [{"option": o, "reason": why} for o, why in r.rejected],
        "stakeholder_positions": [
            {"role": p.role, "name": p.name, "favours": p.favours, "position": p.position}
            for p in r.positions
        ],
        "advocate": r.advocate,
    }
