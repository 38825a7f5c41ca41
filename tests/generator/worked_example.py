"""The SLO negotiation prep workflow's worked example as data: Prometheus history + PagerDuty.

The seed example: a quarterly 99.9 % availability SLO for ``checkout`` has consumed 56 % of its
budget 16 % into the quarter (projected ~350 % at quarter end), burn-rate alerts paged this
quarter, MTBF is degrading sharply and MTTR slightly, and the top three incidents are a
third-party payment provider degradation, a deploy regression and a capacity miss, two of them
with reliability fixes in flight. Question: "Can we ship Feature X in 2 weeks given current SLO
posture?" (deadline two weeks after the evaluation time).

Everything comes from one table, ``TIMELINE``: each row is a PagerDuty incident and, when it
hurt users, the errors (or slow requests) it injects into the Prometheus history; so
``build_worked_example()`` and ``worked_incidents()`` agree by construction.

Evaluation time ``WORKED_AT`` = 2027-01-15 09:36 UTC, 14.4 of the 90 days of Q1 2027 (16 %).
History runs 2026-09-15 09:36 .. WORKED_AT + 3 h (Q4 2026 and the 3-day pre-roll before it
exist; a 45-minute burst after WORKED_AT catches code that ignores the pinned time).

Reliability windows: the product's window W defaults to the first SLO window's length, 90 days
for this quarter, so "current" is [WORKED_AT - 90 d, WORKED_AT) = [2026-10-17 09:36, ...) and
"trailing" is [2026-07-19 09:36, 2026-10-17 09:36). Incidents come every 9.2 days in the
trailing window (10 incidents, MTTR 18 min) and every 4.1 days in the current one (22
incidents, MTTR 22 min); the first trailing incidents predate the Prometheus history. Q4 2026's
incidents are small (its quarterly budget ends about a fifth spent); Q1's three big ones spend
the budget: deploy regression ~31, third-party ~27, capacity miss ~12 of the 129.6 budget
minutes, each paging (1h/5m and 6h/30m conditions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.generator.incidents import CHECKOUT_SERVICE_ID, PdIncident, pd_id
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import MINUTE, Incident, Scenario, build_scenario

#: Evaluation time: 16 % (14.4 days) into Q1 2027, on the minute grid.
WORKED_AT = datetime(2027, 1, 15, 9, 36, tzinfo=UTC)
QUARTER_START = datetime(2027, 1, 1, tzinfo=UTC)
QUARTER_END = datetime(2027, 4, 1, tzinfo=UTC)
#: History before / after WORKED_AT: from 2026-09-15 09:36 to 12:36 on WORKED_AT's day.
DAYS_BEFORE = 122
HOURS_AFTER = 3
#: Share of checkout requests answered 500 outside incidents (0.01 %).
BASE_ERROR = 0.0001
SEED = 2027

SERVICE = "checkout"
SERVICE_ID = CHECKOUT_SERVICE_ID
OBJECTIVE_PERCENT = 99.9
WINDOW = "quarter"
#: The product's default reliability window for a quarterly SLO: the quarter's length.
RELIABILITY_WINDOW = QUARTER_END - QUARTER_START
QUESTION = "Can we ship Feature X in 2 weeks given current SLO posture?"
DEADLINE: date = (WORKED_AT + timedelta(days=14)).date()

#: promtool reads its whole input once per block range; its largest range (2h * 3^9, ~4.5
#: years) holds the whole history in one block, one pass (the default 1458h takes four).
MAX_BLOCK_DURATION = "39366h"

THIRD_PARTY = "payment provider 5xx surge (third-party)"
DEPLOY = "cart-service deploy regression"
CAPACITY = "inventory-cache cold-start latency"
#: The three incidents that spend the Q1 budget, largest first.
TOP_TITLES = (DEPLOY, THIRD_PARTY, CAPACITY)


@dataclass(frozen=True)
class Row:
    """One PagerDuty incident and what it did to the checkout SLIs.

    ``impact``: (kind, size) pairs injected into the history over [created, created + minutes]
    ("availability": extra share of requests answered 500; "latency": extra share slower than
    0.25 s), on both instances; empty for incidents without user impact.
    """

    title: str
    created_at: datetime
    minutes: int
    urgency: str
    impact: tuple[tuple[str, float], ...] = ()
    note: str | None = None

    @property
    def resolved_at(self) -> datetime:
        return self.created_at + self.minutes * MINUTE


def _t(month_day_time: str, year: int = 2026) -> datetime:
    """``"10-19 01:16"`` -> that UTC minute of ``year``."""
    return datetime.strptime(f"{year}-{month_day_time}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


AV, LAT = "availability", "latency"
SURGE, ELEVATED, SLOW = (
    "checkout 5xx surge",
    "checkout elevated 5xx rate",
    "checkout slow responses",
)
LAT_REG, FLAP = "checkout latency regression", "checkout health-check flapping"

#: Every checkout incident of 2026-07-19 .. WORKED_AT, oldest first, plus one after WORKED_AT.
TIMELINE: tuple[Row, ...] = (
    # trailing reliability window [2026-07-19 09:36, 2026-10-17 09:36): 10 incidents 9.2 days
    # apart on average (82.8 days first to last), 180 minutes in all (MTTR 18 min)
    Row(ELEVATED, _t("07-21 21:08"), 15, "low"),
    Row(SURGE, _t("07-31 03:40"), 22, "high",
        note="Root cause: bad config push to the checkout pool; rolled back."),
    Row(FLAP, _t("08-09 14:15"), 12, "low"),
    Row(LAT_REG, _t("08-18 08:30"), 25, "high"),
    Row(SURGE, _t("08-27 19:05"), 18, "high"),
    Row(ELEVATED, _t("09-05 11:50"), 20, "low"),
    Row("checkout synthetic check failing (false alarm)", _t("09-14 06:25"), 14, "low"),
    # ... the Prometheus history starts 2026-09-15 09:36
    Row(SURGE, _t("09-23 15:45"), 19, "high", ((AV, 0.08),)),
    # Q4 2026 starts 10-01
    Row(SLOW, _t("10-03 10:10"), 16, "low", ((LAT, 0.10),)),
    Row(ELEVATED, _t("10-12 16:20"), 19, "low", ((AV, 0.03),)),
    # current reliability window [2026-10-17 09:36, WORKED_AT): 22 incidents 4.1 days apart
    # on average (86.1 days first to last), 484 minutes in all (MTTR 22 min)
    Row(SURGE, _t("10-19 01:16"), 24, "high", ((AV, 0.10),)),
    Row(ELEVATED, _t("10-23 13:30"), 18, "low", ((AV, 0.03),)),
    Row(LAT_REG, _t("10-28 09:05"), 31, "high", ((LAT, 0.35),)),
    Row(FLAP, _t("11-01 22:40"), 15, "low"),
    Row(SURGE, _t("11-06 16:20"), 22, "high", ((AV, 0.08),),
        note="Root cause: connection pool exhausted after a config push; limits raised."),
    Row(ELEVATED, _t("11-10 11:45"), 27, "low", ((AV, 0.03),)),
    Row("checkout synthetic check failing (false alarm)", _t("11-15 04:10"), 12, "low"),
    Row(SURGE, _t("11-19 18:30"), 20, "high", ((AV, 0.07),)),
    Row(SLOW, _t("11-24 10:15"), 25, "low", ((LAT, 0.10),)),
    Row(ELEVATED, _t("11-28 14:50"), 17, "low", ((AV, 0.04),)),
    Row(SURGE, _t("12-03 08:20"), 30, "high", ((AV, 0.06),),
        note="Root cause: database failover during planned maintenance."),
    Row(LAT_REG, _t("12-07 21:35"), 19, "high", ((LAT, 0.30),)),
    Row(FLAP, _t("12-12 12:00"), 14, "low"),
    Row(ELEVATED, _t("12-16 15:25"), 23, "low", ((AV, 0.04),)),
    Row(SURGE, _t("12-21 07:45"), 16, "high", ((AV, 0.08),)),
    Row(ELEVATED, _t("12-26 19:10"), 21, "low", ((AV, 0.03),)),
    # Q1 2027 (from 01-01): six incidents, three of them spend the budget
    Row(ELEVATED, _t("01-02 16:30", 2027), 14, "low", ((AV, 0.03),)),
    Row(THIRD_PARTY, _t("01-04 15:10", 2027), 36, "high", ((AV, 0.415),),
        note="Root cause: third-party provider degradation (payment provider status page "
        "confirmed elevated 5xx for all merchants)."),
    Row(SLOW, _t("01-06 20:30", 2027), 18, "low", ((LAT, 0.20),)),
    Row(DEPLOY, _t("01-08 14:05", 2027), 42, "high", ((AV, 0.412),),
        note="Root cause: missing migration assertion in canary; fix in review."),
    Row(CAPACITY, _t("01-11 11:20", 2027), 28, "high", ((AV, 0.29), (LAT, 0.50)),
        note="Root cause: capacity planning miss; pre-warming fix in flight."),
    Row(FLAP, _t("01-13 03:40", 2027), 12, "low"),
    # after WORKED_AT (not listed by PagerDuty at WORKED_AT; visible to unpinned queries)
    Row(SURGE, WORKED_AT + 60 * MINUTE, 45, "high", ((AV, 0.50),)),
)  # fmt: skip


def scenario_incidents() -> list[Incident]:
    """The injected incidents: every TIMELINE row with an impact inside the history."""
    history_start = WORKED_AT - timedelta(days=DAYS_BEFORE)
    out = []
    for row in TIMELINE:
        if row.created_at < history_start:
            continue
        for kind, size in row.impact:
            out.append(
                Incident(
                    start=row.created_at,
                    end=row.resolved_at,
                    kind=kind,
                    size=size,
                    service=SERVICE,
                    instances=("a", "b"),
                    severity_hint=f"{row.urgency}: {row.title}",
                )
            )
    return out


def build_worked_example() -> Scenario:
    """The worked example's history (same series and labels as ``build_scenario()``)."""
    return build_scenario(
        at=WORKED_AT,
        days_before=DAYS_BEFORE,
        hours_after=HOURS_AFTER,
        seed=SEED,
        incidents=scenario_incidents(),
        base_error=BASE_ERROR,
    )


def worked_incidents(as_of: datetime = WORKED_AT) -> list[PdIncident]:
    """The PagerDuty incidents (service PCHKOUT) listed at ``as_of``, oldest first.

    Numbered 1.. by creation over the whole TIMELINE (numbers and ids do not depend on
    ``as_of``); incidents created after ``as_of`` are left out, those resolved after it are
    open (``resolved_at`` None).
    """
    out = []
    for number, row in enumerate(TIMELINE, start=1):
        if row.created_at > as_of:
            continue
        out.append(
            PdIncident(
                id=pd_id(SERVICE_ID, row.created_at.isoformat(), row.title, number),
                number=number,
                title=row.title,
                created_at=row.created_at,
                resolved_at=row.resolved_at if row.resolved_at <= as_of else None,
                service_id=SERVICE_ID,
                urgency=row.urgency,
                note=row.note,
            )
        )
    return out


def start_worked_example_server(
    directory: Path | str | None = None, port: int = 0
) -> PrometheusServer:
    """Backfill ``build_worked_example()`` and start Prometheus; evaluation time WORKED_AT.

    ``directory=None`` uses a temporary directory removed on ``stop()``; a given directory is
    kept and its blocks re-used by the next call. The caller must ``stop()`` the server.
    """
    return PrometheusServer(
        build_worked_example(),
        workdir=None if directory is None else Path(directory),
        at=WORKED_AT,
        port=port,
        max_block_duration=MAX_BLOCK_DURATION,
    ).start()
