"""The option matrix: 3-5 options, each scored on user impact, reversibility and the cost to
every stakeholder role by a named rule that reads the signals. Never free text, never random."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from daemon import messages
from daemon.core.rules import DecisionRules
from daemon.core.signals import Signals

Level = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class Score:
    level: Level
    reason: str
    rule_id: str


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    impact: Score
    reversibility: Score
    stakeholder_cost: tuple[tuple[str, Score], ...]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        costs = tuple(s.rule_id for _, s in self.stakeholder_cost)
        return (self.impact.rule_id, self.reversibility.rule_id, *costs)


@dataclass(frozen=True)
class Params:
    """Every number a rule or a title may quote, derived once."""

    s: Signals
    rules: DecisionRules
    freeze_days: int
    extension_minutes: float
    lower_objective: float
    owner: str

    @property
    def burning(self) -> bool:
        return self.s.projected >= self.rules.thresholds.burning_projection

    @property
    def severe(self) -> bool:
        return self.s.projected >= self.rules.thresholds.severe_projection

    @property
    def freeze_outlasts_deadline(self) -> bool:
        return self.s.days_to_deadline is not None and self.s.days_to_deadline <= self.freeze_days

    def facts(self) -> dict[str, object]:
        return {
            "projected": self.s.projected,
            "consumed": self.s.consumed,
            "elapsed": self.s.elapsed,
            "freeze_days": self.freeze_days,
            "extension_minutes": self.extension_minutes,
            "objective": self.s.objective_percent,
            "lower_objective": self.lower_objective,
            "owner": self.owner,
            "policy_state": self.s.policy_state,
            "days_to_deadline": self.s.days_to_deadline or 0.0,
            "third_party_share": self.s.third_party_share or 0.0,
        }


Rule = Callable[[Params], tuple[Level, str]]


def _pick(condition: bool, yes: tuple[Level, str], no: tuple[Level, str]) -> tuple[Level, str]:
    return yes if condition else no


# rule id -> (level, message key). Keys in messages.RULE_REASONS carry the "why".
IMPACT: dict[str, Rule] = {
    "O1": lambda p: (
        ("high", "impact.ship.severe")
        if p.severe or p.s.policy_state in ("exhausted", "burning_fast")
        else _pick(p.burning, ("medium", "impact.ship.burning"), ("low", "impact.ship.healthy"))
    ),
    "O2": lambda p: ("low", "impact.defer"),
    "O3": lambda p: _pick(p.severe, ("medium", "impact.freeze.severe"), ("low", "impact.freeze")),
    "O4": lambda p: _pick(p.burning, ("medium", "impact.extend.burning"), ("low", "impact.extend")),
    "O5": lambda p: ("medium", "impact.lower"),
    "O6": lambda p: ("low", "impact.exception"),
}
REVERSIBILITY: dict[str, Rule] = {
    "O1": lambda p: ("high", "reversibility.ship"),
    "O2": lambda p: ("high", "reversibility.defer"),
    "O3": lambda p: ("high", "reversibility.freeze"),
    "O4": lambda p: ("low", "reversibility.extend"),
    "O5": lambda p: ("low", "reversibility.lower"),
    "O6": lambda p: ("medium", "reversibility.exception"),
}
COST: dict[tuple[str, str], Rule] = {
    ("O1", "product"): lambda p: ("low", "cost.ship.product"),
    ("O1", "sre"): lambda p: _pick(
        p.burning, ("high", "cost.ship.sre.burning"), ("medium", "cost.ship.sre")
    ),
    ("O1", "qa"): lambda p: ("medium", "cost.ship.qa"),
    ("O2", "product"): lambda p: ("high", "cost.defer.product"),
    ("O2", "sre"): lambda p: ("low", "cost.defer.sre"),
    ("O2", "qa"): lambda p: ("low", "cost.defer.qa"),
    ("O3", "product"): lambda p: _pick(
        p.freeze_outlasts_deadline,
        ("high", "cost.freeze.product.deadline"),
        ("medium", "cost.freeze.product"),
    ),
    ("O3", "sre"): lambda p: ("medium", "cost.freeze.sre"),
    ("O3", "qa"): lambda p: ("low", "cost.freeze.qa"),
    ("O4", "product"): lambda p: ("low", "cost.extend.product"),
    ("O4", "sre"): lambda p: ("high", "cost.extend.sre"),
    ("O4", "qa"): lambda p: ("medium", "cost.extend.qa"),
    ("O5", "product"): lambda p: ("medium", "cost.lower.product"),
    ("O5", "sre"): lambda p: ("high", "cost.lower.sre"),
    ("O5", "qa"): lambda p: ("medium", "cost.lower.qa"),
    ("O6", "product"): lambda p: ("low", "cost.exception.product"),
    ("O6", "sre"): lambda p: ("medium", "cost.exception.sre"),
    ("O6", "qa"): lambda p: ("low", "cost.exception.qa"),
}
# roles without rules of their own are scored as the closest known role
ROLE_ALIASES = {"eng": "qa", "engineering": "qa", "dev": "qa", "development": "qa", "ops": "sre"}


def _score(rule: Rule, p: Params) -> Score:
    level, key = rule(p)
    return Score(level, messages.RULE_REASONS[key].format(**p.facts()), key)


def _cost(option: str, role: str, p: Params) -> Score:
    rule = COST.get((option, ROLE_ALIASES.get(role, role)))
    if rule is None:
        return Score(
            "medium",
            messages.RULE_REASONS["cost.unknown_role"].format(role=role),
            "cost.unknown_role",
        )
    return _score(rule, p)


def params(s: Signals, rules: DecisionRules, owner: str) -> Params:
    o = rules.options
    return Params(
        s=s,
        rules=rules,
        freeze_days=o.freeze_days,
        extension_minutes=(
            o.extension_minutes if o.extension_minutes is not None else round(s.budget_minutes / 4)
        ),
        lower_objective=(
            o.lower_objective
            if o.lower_objective is not None
            else round(100 - 5 * (100 - s.objective_percent), 3)
        ),
        owner=o.exception_owner or owner,
    )


def offered(p: Params) -> tuple[str, ...]:
    """Which options the matrix holds, 3 to 5: O6 only when third parties caused the burn; when
    six qualify, the SLO cut goes unless earlier windows missed too, else the extension."""
    th = p.rules.thresholds
    enabled = [o for o in p.rules.options.enabled]
    third_party = (p.s.third_party_share or 0.0) >= th.third_party_share
    ids = [o for o in enabled if o != "O6" or third_party]
    if len(ids) > 5:
        chronic = p.s.earlier_misses >= th.chronic_misses
        ids.remove("O4" if chronic else "O5")
    return tuple(ids)


def score_options(p: Params, roles: Sequence[str]) -> tuple[Option, ...]:
    titles = dict(p.rules.options.titles)
    return tuple(
        Option(
            id=o,
            title=titles.get(o) or messages.OPTION_TITLES[o].format(**p.facts()),
            impact=_score(IMPACT[o], p),
            reversibility=_score(REVERSIBILITY[o], p),
            stakeholder_cost=tuple((role, _cost(o, role, p)) for role in roles),
        )
        for o in offered(p)
    )
