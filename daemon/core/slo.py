"""What an SLO is, as the config declares it: objective, window, SLI."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

WINDOW_PLACEHOLDER = "{{.window}}"


@dataclass(frozen=True)
class WindowSpec:
    """A budget window: ``rolling`` over ``days``, or ``calendar`` ``month``/``quarter`` in UTC."""

    kind: Literal["rolling", "calendar"]
    days: int | None = None
    period: Literal["month", "quarter"] | None = None

    @property
    def label(self) -> str:
        return f"{self.days}d" if self.kind == "rolling" else str(self.period)


@dataclass(frozen=True)
class RatioSli:
    """Sloth-style event ratio: both templates hold ``{{.window}}`` and return a per-second rate."""

    error_query: str
    total_query: str

    kind: Literal["ratio"] = "ratio"


@dataclass(frozen=True)
class LatencySli:
    """Good events are requests faster than ``threshold_seconds``: the histogram bucket with that
    ``le``; total events are the histogram's ``_count``."""

    histogram: str
    selector: str
    threshold_seconds: float

    kind: Literal["latency"] = "latency"


Sli = RatioSli | LatencySli


@dataclass(frozen=True)
class SloSpec:
    name: str
    objective_percent: float
    window: WindowSpec
    sli: Sli
    description: str | None = None
    min_events: int | None = None

    @property
    def objective(self) -> float:
        """The objective as a fraction (99.9 -> 0.999)."""
        return self.objective_percent / 100.0

    @property
    def budget_ratio(self) -> float:
        """Allowed bad fraction, ``1 - o``. Computed in decimal so 99.9 gives 0.001, not
        0.0010000000000000009, and 43.2 budget minutes read as 43.2."""
        return float((Decimal(100) - Decimal(repr(self.objective_percent))) / Decimal(100))

    @property
    def effective_min_events(self) -> int:
        """Fewest events over the window for a meaningful ratio. By default one bad event must
        not spend more than a tenth of the budget: ``10 / (1 - o)``."""
        if self.min_events is not None:
            return self.min_events
        return max(1, round(10 / self.budget_ratio))
