"""Exact ground truth for incident reliability (MTTR/MTBF, trends) and budget attribution.

Computed from the incident list and the scenario's per-minute events only (never from
product code). Events follow ``truth.events``: the events of a range [a, b] are those of the
minutes k with a < t_k <= b. An incident covers [created_at, resolved_at], or
[created_at, at] while it is open at ``at``.

Tolerance for off-grid times: the generator's incidents sit on the 1-minute grid, so the
numbers here are exact. Real PagerDuty times are to the second, and a scrape-based counter
cannot tell when inside a scrape interval an event happened: any estimate of the bad events
inside an incident is uncertain by up to the events of one scrape interval at each end of the
incident (two intervals' worth in all), so compare against this truth with that slack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tests.generator.incidents import PdIncident
from tests.generator.synthetic import MINUTE, Scenario
from tests.generator.truth import events, window_bounds

HOUR = timedelta(hours=1)


def _of_services(incidents: list[PdIncident], service_ids: list[str]) -> list[PdIncident]:
    wanted = set(service_ids)
    return [i for i in incidents if i.service_id in wanted]


def _resolved_at(incident: PdIncident, at: datetime) -> bool:
    return incident.resolved_at is not None and incident.resolved_at <= at


def _window_stats(incidents: list[PdIncident], at: datetime) -> dict[str, Any]:
    resolved = [i for i in incidents if _resolved_at(i, at)]
    mttr: float | None = None
    if resolved:
        mttr = sum((i.resolved_at - i.created_at) / MINUTE for i in resolved if i.resolved_at)
        mttr /= len(resolved)
    mtbf: float | None = None
    if len(incidents) >= 2:
        created = sorted(i.created_at for i in incidents)
        mtbf = (created[-1] - created[0]) / HOUR / (len(incidents) - 1)
    return {
        "incidents": len(incidents),
        "mttr_minutes": mttr,
        "mtbf_hours": mtbf,
        "open": len(incidents) - len(resolved),
    }


def reliability_truth(
    incidents: list[PdIncident], service_ids: list[str], at: datetime, window: timedelta
) -> dict[str, dict[str, Any]]:
    """MTTR/MTBF/open counts of the current [at - W, at) and trailing [at - 2W, at - W) windows.

    An incident belongs to the window of its ``created_at``. MTTR (minutes) averages the
    incidents resolved at ``at``; MTBF (hours) is (last created - first created) / (n - 1)
    over all incidents of the window, open ones included.
    """
    mine = _of_services(incidents, service_ids)

    def within(lo: datetime, hi: datetime) -> list[PdIncident]:
        return [i for i in mine if lo <= i.created_at < hi]

    return {
        "current": _window_stats(within(at - window, at), at),
        "trailing": _window_stats(within(at - 2 * window, at - window), at),
    }


def trend_truth(
    current: float | None,
    trailing: float | None,
    lower_is_better: bool,
    stable: float = 0.10,
    sharp: float = 0.50,
) -> tuple[str, str]:
    """(direction, strength) of a metric's change from the trailing to the current window.

    direction: "unknown" (a value missing or trailing 0), "stable", "improving", "degrading";
    strength: "" for stable/unknown, "sharply" if |change| >= sharp, else "slightly".
    """
    if current is None or trailing is None or trailing == 0:
        return "unknown", ""
    change = (current - trailing) / trailing
    if abs(change) <= stable:
        return "stable", ""
    rising = change > 0
    worse = rising if lower_is_better else not rising
    direction = "degrading" if worse else "improving"
    return direction, "sharply" if abs(change) >= sharp else "slightly"


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Union of half-open (a, b] intervals as disjoint sorted intervals."""
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def attribution_truth(
    scenario: Scenario,
    incidents: list[PdIncident],
    service_ids: list[str],
    sli: str,
    objective_percent: float,
    window: str,
    at: datetime,
    bad_between: Callable[[datetime, datetime], float] | None = None,
) -> dict[str, Any]:
    """Share of the SLO's error budget each incident consumed, and the unattributed rest.

    Window [start, at] as in ``truth.budget_truth``; T, B = total and bad events in it;
    consumed = B / T / (1 - o) * elapsed. An incident's share is its bad events in
    (max(created, start), min(resolved or at, at)] / T / (1 - o) * elapsed, so the shares of
    disjoint event sets add up to ``consumed``. Unattributed = bad events outside the union of
    the clipped incident intervals. If T == 0, the fractions and minutes are None.

    ``bad_between(a, b)`` replaces the exact bad events in (a, b] of the incidents and of the
    unattributed rest (T and B stay exact), for a backend whose per-minute history reads them
    otherwise (tests/generator/backend_truth.py).
    """
    _kind, start, end = window_bounds(window, at)
    elapsed = (at - start) / (end - start)
    budget = 1 - objective_percent / 100
    budget_minutes = budget * ((end - start) / MINUTE)
    bad_total, total = events(scenario, sli, start, at)

    def bad_in(a: datetime, b: datetime) -> float:
        return events(scenario, sli, a, b)[0] if bad_between is None else bad_between(a, b)

    def fraction(bad: float) -> float | None:
        return None if total == 0 else bad / total / budget * elapsed

    def minutes(bad: float) -> float | None:
        f = fraction(bad)
        return None if f is None else f * budget_minutes

    rows: list[dict[str, Any]] = []
    clipped: list[tuple[datetime, datetime]] = []
    for inc in _of_services(incidents, service_ids):
        resolved = _resolved_at(inc, at)
        finish = inc.resolved_at if resolved and inc.resolved_at else at
        a, b = max(inc.created_at, start), min(finish, at)
        if not a < b:
            continue
        clipped.append((a, b))
        bad = bad_in(a, b)
        rows.append(
            {
                "id": inc.id,
                "number": inc.number,
                "title": inc.title,
                "start": inc.created_at,
                "end": inc.resolved_at if resolved else None,
                "status": "resolved" if resolved else "open",
                "bad_events": bad,
                "budget_consumed_fraction": fraction(bad),
                "budget_consumed_minutes": minutes(bad),
            }
        )
    rows.sort(key=lambda r: (-(r["budget_consumed_minutes"] or 0.0), r["start"], r["number"]))

    union_bad = sum(bad_in(a, b) for a, b in _merge(clipped))
    outside = (bad_total if bad_between is None else bad_between(start, at)) - union_bad
    return {
        "window_start": start,
        "window_end": end,
        "elapsed_fraction": elapsed,
        "budget_minutes": budget_minutes,
        "total_events": total,
        "bad_events": bad_total,
        "consumed": fraction(bad_total),
        "consumed_minutes": minutes(bad_total),
        "incidents": rows,
        "attributed_union": {
            "bad_events": union_bad,
            "consumed_fraction": fraction(union_bad),
            "consumed_minutes": minutes(union_bad),
        },
        "unattributed": {
            "bad_events": outside,
            "consumed_fraction": fraction(outside),
            "consumed_minutes": minutes(outside),
        },
    }


def attribution_summary(result: dict[str, Any], top: int = 5) -> str:
    """Short human-readable summary of ``attribution_truth``."""
    lines = [
        f"window {result['window_start']:%Y-%m-%d %H:%M} .. {result['window_end']:%Y-%m-%d %H:%M}"
        f" consumed={result['consumed']:.2%} ({result['consumed_minutes']:.2f} of "
        f"{result['budget_minutes']:.1f} budget min), {len(result['incidents'])} incidents"
    ]
    for r in result["incidents"][:top]:
        lines.append(
            f"  #{r['number']:<3} {r['id']} {r['start']:%m-%d %H:%M} {r['status']:<8} "
            f"bad={r['bad_events']:>7.0f} {r['budget_consumed_minutes']:8.2f} min "
            f"({r['budget_consumed_fraction']:.2%}) {r['title']}"
        )
    u = result["unattributed"]
    a = result["attributed_union"]
    lines.append(
        f"  attributed (union) {a['consumed_minutes']:.2f} min, "
        f"unattributed bad={u['bad_events']:.0f} {u['consumed_minutes']:.2f} min "
        f"({u['consumed_fraction']:.2%})"
    )
    return "\n".join(lines)
