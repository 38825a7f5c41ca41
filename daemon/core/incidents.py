"""Incidents as the core sees them, whatever tracker they came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Incident:
    id: str
    number: int
    title: str
    url: str
    created_at: datetime
    resolved_at: datetime | None
    status: str
    service_id: str
    urgency: str | None = None
    # root cause / notes as configured (latest note, a custom field); never invented
    note: str | None = None

    def resolved_by(self, at: datetime) -> bool:
        return self.resolved_at is not None and self.resolved_at <= at

    def end_at(self, at: datetime) -> datetime:
        """Its end as known at ``at``: the resolution, or ``at`` while it is still open."""
        return self.resolved_at if self.resolved_at is not None and self.resolved_by(at) else at
