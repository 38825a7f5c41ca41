"""Idempotency and dedup keys: built here only, so every caller spells them the same way.

Components are percent-encoded, so ``("a:b", "c")`` and ``("a", "b:c")`` never collide.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote


def _part(value: str) -> str:
    if not value:
        raise ValueError("key components must not be empty")
    return quote(value, safe="")


def question_key(question_id: str, refresh_no: int) -> str:
    """Outbox key of a question's pack: refresh 0 is the registration pack."""
    if refresh_no < 0:
        raise ValueError(f"refresh_no must be >= 0, got {refresh_no}")
    return f"question:{_part(question_id)}:refresh:{refresh_no}"


def alert_key(fingerprint_or_service: str, severity: str, hour: datetime) -> str:
    """Outbox key of a burn alert: at most one post per alert, severity and UTC hour."""
    if hour.tzinfo is None or hour.utcoffset() is None:
        raise ValueError(f"naive datetime {hour!r}: pass an aware (UTC) datetime")
    bucket = hour.astimezone(UTC).strftime("%Y-%m-%dT%HZ")
    return f"alert:{_part(fingerprint_or_service)}:{_part(severity)}:{bucket}"


def dedup_key(fingerprint: str | None, service: str, severity: str) -> str:
    """``alert_dedup`` key: the Alertmanager fingerprint if there is one, else service+severity."""
    if fingerprint:
        return f"fp:{_part(fingerprint)}"
    return f"svc:{_part(service)}:{_part(severity)}"
