"""Burn alerts from Prometheus Alertmanager's webhook and from Prometheus' ``ALERTS`` series.

Pure parsing: the HTTP layer hands over the raw body and headers, and answers 400 on a
``WebhookError`` and 401 when ``check_bearer`` says no.

Webhook payload (``webhook_config``, version "4")::

    {"version": "4", "groupKey": str, "truncatedAlerts": int, "status": "firing|resolved",
     "receiver": str, "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
     "externalURL": str,
     "alerts": [{"status": "firing|resolved", "labels": {}, "annotations": {},
                 "startsAt": rfc3339, "endsAt": rfc3339, "generatorURL": str,
                 "fingerprint": str}]}

Alertmanager zeroes ``endsAt`` (``0001-01-01T00:00:00Z``) of every alert that is not resolved.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from daemon.core.alerts import BurnAlert, map_labels, sorted_labels

WEBHOOK_VERSION = "4"

# RFC 3339 date-time: a "T" (or "t"/space, RFC 3339 5.6 note), optional fraction, mandatory offset.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})\Z"
)


class WebhookError(ValueError):
    """The webhook body is not an Alertmanager v4 payload; the HTTP layer answers 400."""


def parse_rfc3339(value: str) -> datetime | None:
    """An aware UTC datetime; None for Go's zero time (``0001-01-01T00:00:00Z``).

    Fractions finer than a microsecond (Go sends nanoseconds) are truncated."""
    match = _RFC3339.match(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if offset in ("Z", "z") else offset
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micro}{offset}"
    parsed = datetime.fromisoformat(text)  # raises ValueError on 2023-02-30 and the like
    if parsed.year == 1 and parsed.replace(tzinfo=None) == datetime(1, 1, 1):
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:30:00+02:00 is before year 1 in UTC
        raise ValueError(f"timestamp out of range: {value!r}") from None


def _require(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise WebhookError(f"{where}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise WebhookError(
            f"{where}: {key!r} must be a {_KIND_NAMES.get(kind, kind.__name__)}, "
            f"got {type(value).__name__}"
        )
    return value


_KIND_NAMES: dict[type, str] = {dict: "JSON object", list: "JSON array", str: "string"}


def _status(obj: Mapping[str, Any], where: str) -> Literal["firing", "resolved"]:
    status = _require(obj, "status", str, where)
    if status == "firing":
        return "firing"
    if status == "resolved":
        return "resolved"
    raise WebhookError(f"{where}: status must be 'firing' or 'resolved', got {status!r}")


def _string_map(obj: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value: dict[str, Any] = _require(obj, key, dict, where)
    for name, item in value.items():
        if not isinstance(item, str):
            raise WebhookError(f"{where}: {key}.{name} must be a string")
    return value


def _time(obj: Mapping[str, Any], key: str, where: str) -> datetime | None:
    raw: str = _require(obj, key, str, where)
    try:
        return parse_rfc3339(raw)
    except ValueError as exc:
        raise WebhookError(f"{where}: {key}: {exc}") from None


def _webhook_alert(alert: Any, where: str, service_label: str) -> BurnAlert:
    if not isinstance(alert, dict):
        raise WebhookError(f"{where} must be a JSON object")
    status = _status(alert, where)
    labels = _string_map(alert, "labels", where)
    starts_at = _time(alert, "startsAt", where)
    if starts_at is None:
        raise WebhookError(f"{where}: startsAt is the zero time")
    ends_at = _time(alert, "endsAt", where)
    fingerprint = alert.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise WebhookError(f"{where}: 'fingerprint' must be a string")
    service, severity = map_labels(labels, service_label)
    return BurnAlert(
        source="alertmanager",
        fingerprint=fingerprint or None,
        service=service,
        severity=severity,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        labels=sorted_labels(labels),
        alertname=labels.get("alertname", ""),
    )


def parse_webhook(body: bytes, service_label: str = "service") -> list[BurnAlert]:
    """The alerts of one Alertmanager webhook notification, in payload order.

    Raises ``WebhookError`` (a ``ValueError``) naming the first problem found."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WebhookError(f"webhook body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise WebhookError(f"webhook body is not JSON: {exc}") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise WebhookError(f"webhook body cannot be read: {exc}") from None
    except RecursionError:
        raise WebhookError("webhook body is nested too deeply to read") from None
    if not isinstance(payload, dict):
        raise WebhookError(f"webhook body must be a JSON object, got {type(payload).__name__}")
    where = "webhook"
    version = _require(payload, "version", str, where)
    if version != WEBHOOK_VERSION:
        raise WebhookError(
            f"webhook: unsupported version {version!r} (Alertmanager sends {WEBHOOK_VERSION!r})"
        )
    _require(payload, "groupKey", str, where)
    _require(payload, "receiver", str, where)
    _status(payload, where)
    alerts: list[Any] = _require(payload, "alerts", list, where)
    return [
        _webhook_alert(alert, f"webhook: alerts[{index}]", service_label)
        for index, alert in enumerate(alerts)
    ]


def check_bearer(headers: Mapping[str, str], token: str) -> bool:
    """True iff ``Authorization: Bearer <token>`` is present exactly once.

    Header name and auth scheme are case-insensitive (RFC 9110 5.1, 11.1); the token is compared
    in constant time. An empty configured token never authenticates anyone."""
    if not token:
        return False
    values = [value for name, value in headers.items() if name.lower() == "authorization"]
    if len(values) != 1:
        return False
    scheme, _, credentials = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode("utf-8"), token.encode("utf-8"))


def alerts_from_series(result: list[dict[str, Any]], service_label: str) -> list[BurnAlert]:
    """Firing alerts from an instant query of ``ALERTS{alertstate="firing", ...}``.

    ``result`` is the vector Prometheus returns (``[{"metric": {...}, "value": [ts, "1"]}]``).
    ``starts_at`` is the sample time: the series says the alert fires, not since when.
    Series that are not firing (``pending``) are skipped; ``__name__`` and ``alertstate``
    are not alert labels and are dropped. A malformed entry raises ``ValueError``."""
    alerts: list[BurnAlert] = []
    for index, series in enumerate(result):
        where = f"ALERTS result[{index}]"
        metric = series.get("metric") if isinstance(series, dict) else None
        value = series.get("value") if isinstance(series, dict) else None
        if not isinstance(metric, dict) or not all(isinstance(v, str) for v in metric.values()):
            raise ValueError(f"{where}: 'metric' must be an object of string labels")
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(f"{where}: 'value' must be [timestamp, value]")
        if metric.get("alertstate", "firing") != "firing":
            continue
        try:
            at = datetime.fromtimestamp(float(value[0]), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError(f"{where}: bad sample time {value[0]!r}") from None
        labels = {k: v for k, v in metric.items() if k not in ("__name__", "alertstate")}
        service, severity = map_labels(labels, service_label)
        alerts.append(
            BurnAlert(
                source="alerts_series",
                fingerprint=None,
                service=service,
                severity=severity,
                status="firing",
                starts_at=at,
                ends_at=None,
                labels=sorted_labels(labels),
                alertname=labels.get("alertname", ""),
            )
        )
    return alerts
