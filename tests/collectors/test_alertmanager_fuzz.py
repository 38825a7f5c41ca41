"""Fuzzing the Alertmanager webhook parser: a v4 payload built from the schema parses into the
alerts it describes (the expectation follows from how the payload was built), and any other
body, near-valid or garbage, is a ``WebhookError`` naming what is wrong, never another
exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from collectors.alertmanager import WebhookError, parse_webhook
from tests.support.fuzz import any_text, fuzz, hostile_fragment, json_values, marked_text, mutated

SERVICE_LABEL = "service"
label_values = st.one_of(
    st.sampled_from(["checkout", "payments", "", "page", "CRITICAL", " Warning "]),
    marked_text(),
    hostile_fragment,
    any_text,
)
label_names = st.sampled_from(
    ["alertname", "service", "sloth_service", "severity", "sloth_severity", "team"]
)
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timedelta(minutes=minutes))


@st.composite
def rfc3339(draw: st.DrawFn) -> tuple[str, datetime]:
    """A timestamp as Alertmanager may write it (any offset, nanoseconds) and its instant."""
    instant = draw(instants)
    offset = draw(offsets)
    local = instant.astimezone(UTC).replace(tzinfo=None) + offset
    nanos = draw(st.integers(0, 999))
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    zone = (
        "Z"
        if not minutes and draw(st.booleans())
        else f"{sign}{minutes // 60:02}:{minutes % 60:02}"
    )
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond:06}{nanos:03}" + zone
    return text, instant


def _first(labels: dict[str, str], *names: str) -> str | None:
    return next((labels[n] for n in names if labels.get(n)), None)


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return {"critical": "page", "warning": "ticket"}.get(lowered, lowered)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A valid v4 payload and, per alert, what the parser must make of it."""
    alerts, expected = [], []
    for _ in range(draw(st.integers(0, 4))):
        labels = draw(st.dictionaries(label_names | any_text, label_values, max_size=5))
        status = draw(st.sampled_from(["firing", "resolved"]))
        starts, starts_at = draw(rfc3339())
        if draw(st.booleans()):
            ends, ends_at = "0001-01-01T00:00:00Z", None
        else:
            ends, ends_at = draw(rfc3339())
        fingerprint = draw(st.none() | st.text("0123456789abcdef", max_size=16))
        alert = {
            "status": status,
            "labels": labels,
            "annotations": draw(st.dictionaries(any_text, any_text, max_size=2)),
            "startsAt": starts,
            "endsAt": ends,
            "generatorURL": draw(any_text),
        }
        if fingerprint is not None:
            alert["fingerprint"] = fingerprint
        alerts.append(alert)
        expected.append(
            {
                "status": status,
                "service": _first(labels, SERVICE_LABEL, "sloth_service"),
                "severity": _severity(_first(labels, "severity", "sloth_severity")),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "fingerprint": fingerprint or None,
                "labels": tuple(sorted(labels.items())),
                "alertname": labels.get("alertname", ""),
            }
        )
    payload = {
        "version": "4",
        "groupKey": draw(any_text),
        "truncatedAlerts": draw(st.integers(0, 5)),
        "status": draw(st.sampled_from(["firing", "resolved"])),
        "receiver": draw(any_text),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": draw(any_text),
        "alerts": alerts,
    }
    return payload, expected


@fuzz(ci=150)
@given(built=payloads())
def test_a_valid_payload_parses_into_the_alerts_it_describes(
    built: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    payload, expected = built
    alerts = parse_webhook(json.dumps(payload).encode(), SERVICE_LABEL)
    got = [
        {
            "status": a.status,
            "service": a.service,
            "severity": a.severity,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "fingerprint": a.fingerprint,
            "labels": a.labels,
            "alertname": a.alertname,
        }
        for a in alerts
    ]
    # the generator's instants are whole microseconds: the nanoseconds it added are dropped
    assert got == expected
    assert all(a.source == "alertmanager" for a in alerts)


def _body(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


@fuzz(ci=200)
@given(
    body=st.one_of(
        payloads().flatmap(lambda built: mutated(built[0])),
        json_values,
        st.binary(max_size=300),
    )
)
@example(body=b"[" * 100_000)
@example(body=b'{"version": ' + b"1" * 5000 + b"}")
@example(body=b"\xff\xfe")
@example(
    body={
        "version": "4",
        "groupKey": "",
        "receiver": "",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {},
                "startsAt": "0001-01-01T00:30:00+02:00",
                "endsAt": "",
            }
        ],
    }
)
def test_any_body_is_alerts_or_a_webhook_error(body: Any) -> None:
    try:
        alerts = parse_webhook(_body(body), SERVICE_LABEL)
    except WebhookError as error:
        assert str(error).startswith("webhook"), error
        return
    assert isinstance(body, dict) and len(alerts) == len(body["alerts"])
