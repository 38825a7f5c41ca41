"""A burn-rate alert as the daemon sees it, whatever told us about it.

Alertmanager's webhook, the ``ALERTS`` series of Prometheus and the daemon's own evaluation
all end up as a ``BurnAlert``; everything downstream (dedup, announcing) works on that alone.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

AlertSource = Literal["alertmanager", "alerts_series", "evaluation"]
AlertStatus = Literal["firing", "resolved"]

DEFAULT_SERVICE_LABEL = "service"
ANNOUNCE_WITHIN = timedelta(hours=1)

# Sloth labels its alerts with page/ticket; most hand-written rules use critical/warning.
_SEVERITY_ALIASES = {"critical": "page", "warning": "ticket"}


@dataclass(frozen=True)
class BurnAlert:
    """One alert. ``ends_at`` is None while it fires; ``labels`` are sorted (name, value) pairs."""

    source: AlertSource
    fingerprint: str | None
    service: str | None
    severity: str | None
    status: AlertStatus
    starts_at: datetime
    ends_at: datetime | None
    labels: tuple[tuple[str, str], ...]
    alertname: str

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def sorted_labels(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def normalise_severity(value: str) -> str:
    """``critical`` -> ``page``, ``warning`` -> ``ticket``; anything else lowercased as is."""
    lowered = value.strip().lower()
    return _SEVERITY_ALIASES.get(lowered, lowered)


def _first(labels: Mapping[str, str], *names: str) -> str | None:
    # Prometheus treats an empty label value as an absent label.
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return None


def map_labels(
    labels: Mapping[str, str], service_label: str = DEFAULT_SERVICE_LABEL
) -> tuple[str | None, str | None]:
    """(service, severity) of an alert's labels.

    Service: ``service_label``, else Sloth's ``sloth_service``. Severity: ``severity``, else
    Sloth's ``sloth_severity``, normalised by ``normalise_severity``. Empty values count as
    absent."""
    service = _first(labels, service_label, "sloth_service")
    severity = _first(labels, "severity", "sloth_severity")
    return service, (normalise_severity(severity) if severity is not None else None)


def dedup_key(alert: BurnAlert) -> str:
    """Alertmanager's fingerprint when there is one, else ``service|severity|alertname``
    (a missing service or severity is an empty field)."""
    if alert.fingerprint:
        return alert.fingerprint
    return f"{alert.service or ''}|{alert.severity or ''}|{alert.alertname}"


def should_announce(
    previous_posted_at: datetime | None,
    now: datetime,
    within: timedelta = ANNOUNCE_WITHIN,
) -> bool:
    """True unless the same alert was announced less than ``within`` before ``now``."""
    if previous_posted_at is None:
        return True
    return now - previous_posted_at >= within
