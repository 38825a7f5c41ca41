"""The prep pack as one value, and its JSON form (the contract; schema in daemon/schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from daemon.core.durations import format_duration
from daemon.core.evidence import Problem, SloEvidence
from daemon.core.slo import LatencySli, RatioSli

SCHEMA_VERSION = "1.0"

PackStatus = Literal["NO_DECISION_FRAMED", "DRAFT", "MISSING_SLO"]


@dataclass(frozen=True)
class Source:
    """One query as sent: its text, backend and evaluation time (or range and step)."""

    id: str
    kind: Literal["instant", "range"]
    query: str
    backend: str
    time: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    step_seconds: int | None = None
    round_trips: int = 1


@dataclass(frozen=True)
class Decision:
    question: str | None = None
    deadline: date | None = None


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


def _slo(e: SloEvidence) -> dict[str, Any]:
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
        "problems": [_problem(p) for p in e.problems],
        "source_ids": {k: list(v) for k, v in e.source_ids.items()},
    }


def _source(s: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "kind": s.kind, "query": s.query, "backend": s.backend}
    if s.kind == "instant":
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
        },
        "slos": [_slo(e) for e in pack.slos],
        "sources": [_source(s) for s in pack.sources],
        "problems": [_problem(p) for p in pack.problems],
    }
