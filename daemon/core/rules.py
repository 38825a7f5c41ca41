"""The decision rules' data: thresholds and option parameters, all overridable in config.

Defaults reproduce the SLO negotiation workflow's worked example (56 % of a quarterly budget in
16 % of the quarter → freeze then ship, defer as fallback, extension and SLO cut rejected)."""

from __future__ import annotations

from dataclasses import dataclass, field

OPTION_IDS = ("O1", "O2", "O3", "O4", "O5", "O6")
HORIZONS = ("quarter", "two-quarters", "indefinite")


@dataclass(frozen=True)
class Thresholds:
    # projected consumption at window end from which the budget will not last the window
    burning_projection: float = 1.0
    # ... from which shipping on the original timeline is a high user impact
    severe_projection: float = 2.0
    # share of the consumed budget from third-party incidents that makes O6 an option
    third_party_share: float = 0.5
    # share of the attributed burn with a recorded root cause: "fixes in flight"
    known_cause_share: float = 0.5
    # earlier windows that missed the objective before lowering the SLO is recommendable
    chronic_misses: int = 2


@dataclass(frozen=True)
class OptionSettings:
    enabled: tuple[str, ...] = OPTION_IDS
    titles: tuple[tuple[str, str], ...] = ()  # (option id, title) overrides
    freeze_days: int = 7
    # default: a quarter of the window's budget, rounded to whole minutes
    extension_minutes: float | None = None
    # default: five times the error budget (99.9 → 99.5, 99 → 95)
    lower_objective: float | None = None
    # O6's named owner; default: the sre stakeholder
    exception_owner: str | None = None
    third_party_keywords: tuple[str, ...] = (
        "third-party",
        "third party",
        "provider",
        "upstream",
        "vendor",
    )


@dataclass(frozen=True)
class DecisionRules:
    thresholds: Thresholds = field(default_factory=Thresholds)
    options: OptionSettings = field(default_factory=OptionSettings)
