"""Sections 2-4 of the pack from the evidence: the focus SLO, the option matrix and the
recommended posture. Only for a framed decision with measured evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from daemon.core.evidence import SloEvidence
from daemon.core.options import Option, params, score_options
from daemon.core.posture import Recommendation, recommend
from daemon.core.reliability import Reliability
from daemon.core.rules import DecisionRules
from daemon.core.signals import focus_slo, read_signals


@dataclass(frozen=True)
class DecisionHalf:
    focus_slo: str | None = None
    options: tuple[Option, ...] = ()
    recommendation: Recommendation | None = None


def decide(
    slos: Sequence[SloEvidence],
    reliability: Reliability | None,
    notes: Mapping[str, str],
    rules: DecisionRules,
    at: datetime,
    deadline: date | None,
    stakeholders: Sequence[tuple[str, str]],
    top: int,
) -> DecisionHalf:
    focus = focus_slo(slos)
    if focus is None:
        return DecisionHalf()
    signals = read_signals(focus, reliability, dict(notes), rules, at, deadline, top)
    sre = next((name for role, name in stakeholders if role == "sre"), "the SRE lead")
    p = params(signals, rules, owner=sre)
    options = score_options(p, [role for role, _ in stakeholders])
    return DecisionHalf(focus.spec.name, options, recommend(p, options, stakeholders))
