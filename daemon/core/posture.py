"""The recommended posture: a primary option picked by the first matching rule, a fallback
with when to fall back, every other option kept as an alternative or rejected with a reason,
the position each stakeholder will likely take with the data argument that answers it, and
what the manager advocates for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from daemon import messages
from daemon.core.options import Option, Params


@dataclass(frozen=True)
class Position:
    role: str
    name: str
    favours: str
    position: str


@dataclass(frozen=True)
class Recommendation:
    primary: str
    rule_id: str
    why: tuple[str, ...]
    fallbacks: tuple[tuple[str, str], ...]
    alternatives: tuple[tuple[str, str], ...]
    rejected: tuple[tuple[str, str], ...]
    positions: tuple[Position, ...]
    advocate: str


# (rule id, applies, primary, fallback): the first rule that applies and whose options are
# both in the matrix wins
PostureRule = tuple[str, Callable[[Params], bool], str, str]
POSTURE_RULES: tuple[PostureRule, ...] = (
    (
        "posture.third_party",
        lambda p: (p.s.third_party_share or 0.0) >= p.rules.thresholds.third_party_share,
        "O6",
        "O3",
    ),
    (
        "posture.chronic",
        lambda p: p.burning and p.s.earlier_misses >= p.rules.thresholds.chronic_misses,
        "O5",
        "O3",
    ),
    (
        "posture.deadline_inside_freeze",
        lambda p: p.burning and p.freeze_outlasts_deadline,
        "O2",
        "O3",
    ),
    (
        "posture.burning",
        lambda p: p.burning or p.s.policy_state in ("exhausted", "burning_fast", "burning_slow"),
        "O3",
        "O2",
    ),
    ("posture.healthy", lambda p: True, "O1", "O3"),
)


def _why(p: Params, primary: str) -> tuple[str, ...]:
    s, facts = p.s, p.facts()
    why = [messages.WHY_PROJECTION.format(window=s.window_label, **facts)]
    if s.page_firings or s.ticket_firings or s.policy_state != "healthy":
        why.append(
            messages.WHY_POLICY.format(
                policy_state=s.policy_state, pages=s.page_firings, tickets=s.ticket_firings
            )
        )
    if s.reliability_reading:
        why.append(messages.WHY_TREND.format(reading=s.reliability_reading))
    if s.known_cause_share is not None:
        known_enough = s.known_cause_share >= p.rules.thresholds.known_cause_share
        template = messages.WHY_KNOWN_CAUSES if known_enough else messages.WHY_UNKNOWN_CAUSES
        why.append(
            template.format(
                known=s.known_cause_incidents, top=s.top_incidents, share=s.known_cause_share
            )
        )
    if s.earlier_measured:
        why.append(
            messages.WHY_EARLIER.format(misses=s.earlier_misses, measured=s.earlier_measured)
        )
    why.append(messages.WHY_PRIMARY[primary].format(**facts))
    return tuple(why)


def _disposition(p: Params, option: str) -> tuple[str, str]:
    """('rejected' | 'alternative', reason) for an option that is neither primary nor fallback."""
    th = p.rules.thresholds
    facts = {**p.facts(), "misses": p.s.earlier_misses, "needed": th.chronic_misses}
    if option == "O4":
        return "rejected", messages.REJECT_EXTEND.format(**facts)
    if option == "O5" and p.s.earlier_misses < th.chronic_misses:
        return "rejected", messages.REJECT_LOWER.format(**facts)
    return "alternative", messages.ALTERNATIVE[option].format(**facts)


def _favours(role: str, p: Params, primary: str, ids: Sequence[str]) -> str:
    wanted = {
        "product": "O1",
        "sre": "O3" if p.burning else "O1",
        "qa": "O3" if p.burning else "O1",
    }.get(role, primary)
    return wanted if wanted in ids else primary


def recommend(
    p: Params, options: Sequence[Option], stakeholders: Sequence[tuple[str, str]]
) -> Recommendation:
    ids = [o.id for o in options]
    rule_id, _, primary, fallback = next(
        r for r in POSTURE_RULES if r[1](p) and r[2] in ids and r[3] in ids
    )
    facts = p.facts()
    alternatives: list[tuple[str, str]] = []
    rejected: list[tuple[str, str]] = []
    for option in ids:
        if option in (primary, fallback):
            continue
        kind, reason = _disposition(p, option)
        (rejected if kind == "rejected" else alternatives).append((option, reason))
    positions = []
    for role, name in stakeholders:
        favours = _favours(role, p, primary, ids)
        template = messages.POSITIONS.get(role, messages.POSITION_OTHER)
        positions.append(
            Position(
                role, name, favours, template.format(favours=favours, primary=primary, **facts)
            )
        )
    return Recommendation(
        primary=primary,
        rule_id=rule_id,
        why=_why(p, primary),
        fallbacks=((fallback, messages.FALLBACK_WHEN[(primary, fallback)].format(**facts)),),
        alternatives=tuple(alternatives),
        rejected=tuple(rejected),
        positions=tuple(positions),
        advocate=messages.ADVOCATE.format(
            primary=primary,
            fallback=fallback,
            when=messages.FALLBACK_SHORT[(primary, fallback)].format(**facts),
        ),
    )
