"""The burn-rate report of one evaluation cycle as JSON: what ``slo-prep evaluate`` prints and
what the daemon decides its burn alerts from, for every SLO at one pinned instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from daemon.core.durations import format_duration
from daemon.core.evidence import SloEvidence
from daemon.core.pack import rfc3339

REPORT_VERSION = "1.0"


def _slo(service: str, e: SloEvidence) -> dict[str, Any]:
    budget_ratio = e.spec.budget_ratio
    return {
        "service": service,
        "slo": e.spec.name,
        "objective_percent": e.spec.objective_percent,
        "window": e.spec.window.label,
        # burn rate * (1 - objective): kept next to the burn rate so tools that report an
        # SLI or an error ratio compare without redoing the budget arithmetic
        "error_ratios": {
            format_duration(s): None if r is None else r * budget_ratio
            for s, r in sorted(e.burn_rates.items())
        },
        "burn_rates": {format_duration(s): r for s, r in sorted(e.burn_rates.items())},
        "alert_conditions": [
            {
                "severity": c.condition.severity,
                "long_window": c.condition.long_window,
                "short_window": c.condition.short_window,
                "burn_rate_threshold": c.threshold,
                "firing": c.firing,
            }
            for c in e.conditions
        ],
        "policy_state": e.policy_state,
        "measured": not any(p.severity == "error" for p in e.problems),
        "problems": [
            {"code": p.code, "severity": p.severity, "message": p.message} for p in e.problems
        ],
    }


def burn_report_to_json(
    at: datetime,
    evaluated: Sequence[tuple[str, Sequence[SloEvidence]]],
    config_source: str,
    generator: str,
) -> dict[str, Any]:
    """``evaluated``: (service name, its SLOs' evidence) in config order."""
    slos = [_slo(service, e) for service, evidence in evaluated for e in evidence]
    return {
        "report_version": REPORT_VERSION,
        "evaluated_at": rfc3339(at),
        "config": config_source,
        "generator": generator,
        "services": len(evaluated),
        "slo_count": len(slos),
        "unmeasured": sum(1 for s in slos if not s["measured"]),
        "firing": [
            {
                "service": s["service"],
                "slo": s["slo"],
                "severity": c["severity"],
                "windows": f"{c['long_window']}/{c['short_window']}",
            }
            for s in slos
            for c in s["alert_conditions"]
            if c["firing"]
        ],
        "slos": slos,
    }
