"""PagerDuty incidents that match a synthetic scenario's SLI history.

``pagerduty_incidents(scenario)`` is the incident list a fake PagerDuty serves: one incident
per injected scenario ``Incident`` (same start and end, on the 1-minute grid) plus a few extra
ones that exercise the edge cases of MTTR/MTBF and budget attribution (short incidents
without extra errors, incidents before the Prometheus history, an incident spanning the 30d
window start, a partially overlapping pair, incidents on another service). Everything is
positioned relative to ``scenario.at`` and deterministic.

``many_incidents(...)`` is a large random (seeded) list for performance measurements.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.generator.synthetic import AT, MINUTE, Incident, Scenario

#: PagerDuty service id of the checkout service (the scenario's SLIs).
CHECKOUT_SERVICE_ID = "PCHKOUT"
#: Another service on the same account; its incidents must be filtered out by service_ids[].
OTHER_SERVICE_ID = "POTHER1"

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class PdIncident:
    """One PagerDuty incident as the product sees it (times are UTC)."""

    id: str
    number: int
    title: str
    created_at: datetime
    resolved_at: datetime | None
    service_id: str
    urgency: str
    note: str | None = None

    def status_at(self, t: datetime) -> str:
        """Status at ``t``: "resolved" if resolved at or before ``t``, else "open"."""
        return "resolved" if self.resolved_at is not None and self.resolved_at <= t else "open"

    def describe(self) -> str:
        """One human-readable line."""
        end = "open" if self.resolved_at is None else f"{self.resolved_at:%Y-%m-%d %H:%M}"
        minutes = (
            ""
            if self.resolved_at is None
            else f" ({(self.resolved_at - self.created_at) / MINUTE:.0f} min)"
        )
        return (
            f"#{self.number:<4} {self.id} {self.service_id} {self.urgency:<4} "
            f"{self.created_at:%Y-%m-%d %H:%M} -> {end}{minutes} {self.title}"
        )


@dataclass(frozen=True)
class _Draft:
    """An incident before ids/numbers are assigned and before ``as_of`` is applied."""

    title: str
    created_at: datetime
    resolved_at: datetime
    service_id: str
    urgency: str
    note: str | None = None


def pd_id(*parts: object) -> str:
    """Deterministic PagerDuty-style id: "Q" + 6 uppercase alphanumerics (hash of ``parts``)."""
    digest = int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8])
    chars = []
    for _ in range(6):
        digest, r = divmod(digest, len(_ALNUM))
        chars.append(_ALNUM[r])
    return "Q" + "".join(chars)


def _on_grid(t: datetime) -> bool:
    return t.second == 0 and t.microsecond == 0


_NOTES = (
    "Root cause: bad deploy of checkout (connection pool size 0); rolled back.",
    "Root cause: payment provider returned 503s during their maintenance window.",
    "Root cause: database failover; primary lost its volume.",
    "Root cause: cache stampede after a config push flushed the session cache.",
)


def _from_scenario(incident: Incident, index: int) -> _Draft:
    """The PagerDuty incident an injected scenario incident produced."""
    if not (_on_grid(incident.start) and _on_grid(incident.end)):
        raise ValueError(f"scenario incident not minute-aligned: {incident.describe()}")
    paged = "page" in incident.severity_hint
    if incident.kind == "availability":
        title = "checkout 5xx surge" if paged else "checkout elevated 5xx rate"
    elif incident.kind == "latency":
        title = "checkout latency regression" if paged else "checkout slow responses"
    else:
        raise ValueError(f"unknown incident kind {incident.kind!r}")
    note = _NOTES[index % len(_NOTES)] if paged and index % 2 == 0 else None
    return _Draft(
        title=title,
        created_at=incident.start,
        resolved_at=incident.end,
        service_id=CHECKOUT_SERVICE_ID,
        urgency="high" if paged else "low",
        note=note,
    )


def _extras(at: datetime) -> list[_Draft]:
    """The extra incidents (edge cases), positioned relative to ``at``.

    With the default AT (2026-11-16 00:00) the 30d window starts 2026-10-17 00:00 and the
    trailing 30d window is [2026-09-17, 2026-10-17); the Prometheus history starts 09-21.
    """

    def when(days_before: int, hh: int = 0, mm: int = 0) -> datetime:
        return at - timedelta(days=days_before) + timedelta(hours=hh, minutes=mm)

    def draft(
        title: str,
        start: datetime,
        minutes: int,
        service: str = CHECKOUT_SERVICE_ID,
        urgency: str = "high",
        note: str | None = None,
    ) -> _Draft:
        return _Draft(title, start, start + minutes * MINUTE, service, urgency, note)

    c = CHECKOUT_SERVICE_ID
    o = OTHER_SERVICE_ID
    return [
        # trailing window; the first one is before the Prometheus history even starts
        draft("checkout deploy rollback", when(57, 9), 35, c, "high",
              "Root cause: schema migration locked the orders table."),
        draft("checkout synthetic check failing (false alarm)", when(44, 14, 30), 20, c, "low"),
        # spans the 30d window start (created in the trailing window, resolved in the current)
        draft("checkout payment provider timeouts", when(31, 23), 180, c, "high",
              "Root cause: payment provider DNS change; no 5xx served, retries absorbed it."),
        # short incidents without extra errors in the SLI (attribute ~baseline only)
        draft("checkout health-check flapping", when(17, 3, 10), 12, c, "low"),
        draft("checkout error-rate alert (no customer impact)", when(10, 21, 40), 8, c, "high"),
        draft("checkout synthetic monitor misconfigured", when(2, 11), 18, c, "high",
              "Root cause: synthetic monitor pointed at staging; no customer impact."),
        # partially overlaps the scenario's 20 h "elevated 5xx" incident (day -8, 00:00-20:00)
        draft("checkout payment callback 5xx", when(8, 14), 9 * 60 + 30, c, "high"),
        # another service: must be filtered out by service_ids[]
        draft("search indexer lag", when(33, 5), 45, o, "low"),
        draft("email queue backlog", when(6, 15), 120, o, "high",
              "Root cause: SMTP relay rate limit."),
        draft("inventory sync failing", at - 60 * MINUTE, 3 * 60, o, "high"),
    ]  # fmt: skip


def _finalize(drafts: list[_Draft], as_of: datetime) -> list[PdIncident]:
    """Number all drafts by creation time, then keep those created by ``as_of``."""
    ordered = sorted(drafts, key=lambda d: (d.created_at, d.service_id, d.title))
    out: list[PdIncident] = []
    ids: set[str] = set()
    for number, d in enumerate(ordered, start=1):
        ident = pd_id(d.service_id, d.created_at.isoformat(), d.title, number)
        if ident in ids:  # pragma: no cover - astronomically unlikely
            raise AssertionError(f"duplicate incident id {ident}")
        ids.add(ident)
        if d.created_at > as_of:
            continue
        resolved = d.resolved_at if d.resolved_at <= as_of else None
        out.append(
            PdIncident(
                id=ident,
                number=number,
                title=d.title,
                created_at=d.created_at,
                resolved_at=resolved,
                service_id=d.service_id,
                urgency=d.urgency,
                note=d.note,
            )
        )
    return out


def pagerduty_incidents(scenario: Scenario, as_of: datetime | None = None) -> list[PdIncident]:
    """The incidents PagerDuty lists at ``as_of`` (default ``scenario.at``), oldest first.

    Incidents created after ``as_of`` are not listed; those resolved after it are open
    (``resolved_at`` None). Numbers and ids do not depend on ``as_of``.
    """
    as_of = scenario.at if as_of is None else as_of
    drafts = [_from_scenario(i, n) for n, i in enumerate(scenario.incidents)]
    drafts += _extras(scenario.at)
    return _finalize(drafts, as_of)


def many_incidents(
    n: int = 500,
    days: int = 90,
    at: datetime = AT,
    seed: int = 1,
    service_id: str = CHECKOUT_SERVICE_ID,
) -> list[PdIncident]:
    """``n`` random incidents created in the last ``days`` days, all resolved by ``at``.

    Durations are 5 min .. 6 h, all times on the minute grid; sorted by creation time.
    """
    if not _on_grid(at):
        raise ValueError("at must be minute-aligned")
    rng = random.Random(seed)
    span = days * 24 * 60
    drafts: list[_Draft] = []
    for _ in range(n):
        minutes = rng.randint(5, 6 * 60)
        begin = rng.randint(minutes, span)  # minutes before ``at``; resolved <= at
        created = at - begin * MINUTE
        high = rng.random() < 0.6
        drafts.append(
            _Draft(
                title=rng.choice(
                    ("checkout 5xx surge", "checkout latency regression", "checkout degraded")
                ),
                created_at=created,
                resolved_at=created + minutes * MINUTE,
                service_id=service_id,
                urgency="high" if high else "low",
                note=rng.choice(_NOTES) if rng.random() < 0.3 else None,
            )
        )
    return _finalize(drafts, at)


def summary(incidents: list[PdIncident]) -> str:
    """One line per incident."""
    return "\n".join(i.describe() for i in incidents)
