""" "What changed since the last pack": the lines a refresh posts above the new pack.

Pure, from two pack documents (``pack_to_json`` output) of the same service; Slack mrkdwn with
every name from config or PagerDuty escaped. Compares per SLO (by name): budget consumed (in
percentage points of the budget, or "a new window started" when the window moved on), policy
state, burn-rate firings that started after the previous pack, and incidents that entered the
top contributors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from daemon import messages as m
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.render.environment import pct, when

Doc = Mapping[str, Any]


def _slos(doc: Doc) -> dict[str, Doc]:
    return {str(s["name"]): s for s in doc.get("slos") or [] if isinstance(s, Mapping)}


def _consumed(slo: Doc) -> float | None:
    budget = slo.get("budget")
    if not isinstance(budget, Mapping):
        return None
    value = budget.get("consumed_fraction")
    return float(value) if isinstance(value, int | float) else None


def _points(delta: float) -> str:
    # percentage points of the budget, signed: "+3.2 pp"
    return f"{delta * 100:+.1f} pp"


def budget_delta(previous: Doc, current: Doc) -> float | None:
    """Consumed fraction now minus then: a rolling window always compares (it slides); a
    calendar one only within the same window, not across a new month or quarter."""
    before_window, window = previous.get("window") or {}, current.get("window") or {}
    rolling = before_window.get("kind") == window.get("kind") == "rolling"
    if not rolling and before_window.get("start") != window.get("start"):
        return None
    before, after = _consumed(previous), _consumed(current)
    if before is None or after is None:
        return None
    return after - before


def new_firings(previous_at: str, current: Doc) -> list[Doc]:
    """Firings of ``current`` that started after the previous pack was evaluated, or were
    still firing then (the ISO times compare as text: both are UTC with the same format)."""
    firings = current.get("firings") or []
    return [f for f in firings if isinstance(f, Mapping) and str(f.get("start")) > previous_at]


def _incident_ids(doc: Doc) -> dict[str, Doc]:
    found: dict[str, Doc] = {}
    for slo in doc.get("slos") or []:
        for incident in slo.get("top_incidents") or []:
            if isinstance(incident, Mapping) and incident.get("id"):
                found.setdefault(str(incident["id"]), incident)
    return found


def what_changed(previous: Doc, current: Doc) -> list[str]:
    """The mrkdwn lines: a heading, then one bullet per change (or "no change")."""
    lines = [
        m.POST_WHAT_CHANGED.format(
            previous=when(previous.get("evaluated_at")), current=when(current.get("evaluated_at"))
        )
    ]
    bullets: list[str] = []
    before_slos = _slos(previous)
    previous_at = str(previous.get("evaluated_at"))
    for name, slo in _slos(current).items():
        shown = escape_mrkdwn(name)
        before = before_slos.get(name)
        if before is None:
            continue
        consumed = _consumed(slo)
        delta = budget_delta(before, slo)
        if delta is not None and abs(delta) >= 0.0005:
            bullets.append(
                m.POST_CHANGE_BUDGET.format(slo=shown, consumed=pct(consumed), delta=_points(delta))
            )
        elif delta is None and consumed is not None and _consumed(before) is not None:
            bullets.append(m.POST_CHANGE_NEW_WINDOW.format(slo=shown, consumed=pct(consumed)))
        if before.get("policy_state") != slo.get("policy_state"):
            bullets.append(
                m.POST_CHANGE_STATE.format(
                    slo=shown,
                    before=escape_mrkdwn(str(before.get("policy_state"))),
                    after=escape_mrkdwn(str(slo.get("policy_state"))),
                )
            )
        fresh = new_firings(previous_at, slo)
        if fresh:
            latest = max(str(f.get("start")) for f in fresh)
            bullets.append(
                m.POST_CHANGE_FIRINGS.format(slo=shown, count=len(fresh), start=when(latest))
            )
    old = _incident_ids(previous)
    added = [i for key, i in _incident_ids(current).items() if key not in old]
    if added:
        bullets.append(m.POST_CHANGE_INCIDENTS.format(incidents=_incident_list(added)))
    return lines + (bullets or [m.POST_CHANGE_NOTHING])


def _incident_list(incidents: Sequence[Doc]) -> str:
    return ", ".join(
        f"#{escape_mrkdwn(str(i.get('number')))} {escape_mrkdwn(str(i.get('title')))}"
        for i in incidents
    )
