"""Alertmanager webhook parsing, the bearer check and the ALERTS series mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from collectors.alertmanager import (
    WebhookError,
    alerts_from_series,
    check_bearer,
    parse_rfc3339,
    parse_webhook,
)
from daemon.core.alerts import dedup_key

# Shaped as Alertmanager's webhook_config documents it (version 4), one alert from a
# Sloth-generated rule, one from a hand-written rule, as a group notification.
FIRING: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}/{sloth_slo=~".+"}:{alertname="CheckoutAvailabilityBurn"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "slo-prep",
    "groupLabels": {"alertname": "CheckoutAvailabilityBurn"},
    "commonLabels": {"alertname": "CheckoutAvailabilityBurn"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager.example.org:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "CheckoutAvailabilityBurn",
                "sloth_id": "checkout-requests-availability",
                "sloth_service": "checkout",
                "sloth_severity": "page",
                "sloth_slo": "requests-availability",
            },
            "annotations": {
                "summary": "High error budget burn for checkout-requests-availability",
                "title": "(page) checkout requests-availability SLO error budget burn rate",
            },
            "startsAt": "2026-11-16T09:52:26.739266876+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=%28slo%3Asli_error"
            "%3Aratio_rate5m%7Bsloth_id%3D%22checkout-requests-availability%22%7D%29&g0.tab=1",
            "fingerprint": "1a30ba71cca2921f",
        },
        {
            "status": "resolved",
            "labels": {
                "alertname": "CheckoutAvailabilityBurn",
                "service": "payments",
                "severity": "warning",
                "team": "billing",
            },
            "annotations": {"description": "payments is burning its error budget"},
            "startsAt": "2026-11-16T06:00:00.5Z",
            "endsAt": "2026-11-16T07:45:12Z",
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up&g0.tab=1",
            "fingerprint": "c6eadffa33fcdf37",
        },
    ],
}


def _body(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


def _with(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(json.dumps(FIRING))
    payload.update(changes)
    return payload


def _alert0(**changes: Any) -> dict[str, Any]:
    payload = _with()
    payload["alerts"] = [{**payload["alerts"][0], **changes}]
    return payload


# --- parse_webhook ---------------------------------------------------------------------


def test_parse_webhook_sloth_alert_firing() -> None:
    sloth, _ = parse_webhook(_body(FIRING))
    assert sloth.source == "alertmanager"
    assert sloth.status == "firing"
    assert sloth.fingerprint == "1a30ba71cca2921f"
    assert sloth.service == "checkout"
    assert sloth.severity == "page"
    assert sloth.alertname == "CheckoutAvailabilityBurn"
    assert sloth.starts_at == datetime(2026, 11, 16, 7, 52, 26, 739266, tzinfo=UTC)
    assert sloth.ends_at is None
    assert sloth.labels == (
        ("alertname", "CheckoutAvailabilityBurn"),
        ("sloth_id", "checkout-requests-availability"),
        ("sloth_service", "checkout"),
        ("sloth_severity", "page"),
        ("sloth_slo", "requests-availability"),
    )
    assert dedup_key(sloth) == "1a30ba71cca2921f"


def test_parse_webhook_plain_alert_resolved() -> None:
    _, plain = parse_webhook(_body(FIRING))
    assert plain.status == "resolved"
    assert plain.service == "payments"
    assert plain.severity == "ticket"
    assert plain.starts_at == datetime(2026, 11, 16, 6, 0, 0, 500000, tzinfo=UTC)
    assert plain.ends_at == datetime(2026, 11, 16, 7, 45, 12, tzinfo=UTC)
    assert dict(plain.labels)["team"] == "billing"


def test_parse_webhook_service_label() -> None:
    _, plain = parse_webhook(_body(FIRING), service_label="team")
    assert plain.service == "billing"


def test_parse_webhook_resolved_group() -> None:
    payload = _with(status="resolved")
    for alert in payload["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2026-11-16T10:15:00.000+00:00"
    alerts = parse_webhook(_body(payload))
    assert [a.status for a in alerts] == ["resolved", "resolved"]
    assert {a.ends_at for a in alerts} == {datetime(2026, 11, 16, 10, 15, tzinfo=UTC)}


def test_parse_webhook_without_fingerprint() -> None:
    payload = _with()
    del payload["alerts"][0]["fingerprint"]
    payload["alerts"][1]["fingerprint"] = ""
    sloth, plain = parse_webhook(_body(payload))
    assert sloth.fingerprint is None and plain.fingerprint is None
    assert dedup_key(sloth) == "checkout|page|CheckoutAvailabilityBurn"
    assert dedup_key(plain) == "payments|ticket|CheckoutAvailabilityBurn"


def test_parse_webhook_empty_alerts() -> None:
    assert parse_webhook(_body(_with(alerts=[]))) == []


def test_parse_webhook_ignores_unknown_keys() -> None:
    payload = _with(orgId=1)
    payload["alerts"][0]["silenceURL"] = "http://x"
    assert len(parse_webhook(_body(payload))) == 2


def test_webhook_error_is_a_value_error() -> None:
    assert issubclass(WebhookError, ValueError)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (_body({k: v for k, v in FIRING.items() if k != "version"}), "missing key 'version'"),
        (_body(_with(version="3")), "unsupported version '3'"),
        (_body(_with(version=4)), "'version' must be a string"),
        (_body({k: v for k, v in FIRING.items() if k != "alerts"}), "missing key 'alerts'"),
        (_body({k: v for k, v in FIRING.items() if k != "groupKey"}), "missing key 'groupKey'"),
        (_body({k: v for k, v in FIRING.items() if k != "receiver"}), "missing key 'receiver'"),
        (_body(_with(alerts={})), "'alerts' must be a JSON array"),
        (_body(_with(status="pending")), "status must be 'firing' or 'resolved'"),
        (_body(_with(alerts=["x"])), "alerts[0] must be a JSON object"),
        (_body(_alert0(status="suppressed")), "alerts[0]: status must be"),
        (_body(_alert0(labels=None)), "alerts[0]: 'labels' must be a JSON object"),
        (_body(_alert0(labels={"alertname": 1})), "labels.alertname must be a string"),
        (_body(_alert0(startsAt="yesterday")), "startsAt: not an RFC 3339 timestamp"),
        (_body(_alert0(startsAt="2026-11-16T09:52:26")), "not an RFC 3339 timestamp"),
        (_body(_alert0(startsAt="2026-02-30T09:52:26Z")), "startsAt"),
        (_body(_alert0(startsAt="0001-01-01T00:00:00Z")), "startsAt is the zero time"),
        (_body(_alert0(startsAt="0001-01-01T00:30:00+02:00")), "out of range"),
        (_body(_alert0(endsAt=None)), "'endsAt' must be a string"),
        (_body(_alert0(fingerprint=12)), "'fingerprint' must be a string"),
    ],
)
def test_parse_webhook_rejects(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError) as info:
        parse_webhook(body)
    assert message in str(info.value)


def test_missing_alert_key_message_names_the_alert() -> None:
    payload = _with()
    del payload["alerts"][1]["startsAt"]
    with pytest.raises(WebhookError) as info:
        parse_webhook(_body(payload))
    assert str(info.value) == "webhook: alerts[1]: missing key 'startsAt'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-08-03T09:52:26.739266876+02:00", datetime(2018, 8, 3, 7, 52, 26, 739266, UTC)),
        ("2023-02-06T13:08:45.828Z", datetime(2023, 2, 6, 13, 8, 45, 828000, UTC)),
        ("2023-02-06T13:08:45Z", datetime(2023, 2, 6, 13, 8, 45, tzinfo=UTC)),
        ("2023-02-06t13:08:45z", datetime(2023, 2, 6, 13, 8, 45, tzinfo=UTC)),
        ("2023-02-06T13:08:45-05:30", datetime(2023, 2, 6, 18, 38, 45, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_parse_rfc3339(text: str, expected: datetime | None) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


def test_parse_rfc3339_keeps_the_instant() -> None:
    offset = timezone(timedelta(hours=2))
    assert parse_rfc3339("2026-11-16T09:00:00+02:00") == datetime(2026, 11, 16, 9, tzinfo=offset)


# --- check_bearer -----------------------------------------------------------------------

TOKEN = "s3cret-t0ken"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, True),
        ({"authorization": f"Bearer {TOKEN}"}, True),
        ({"AUTHORIZATION": f"Bearer {TOKEN}"}, True),
        ({"Authorization": f"bearer {TOKEN}"}, True),
        ({"Authorization": f"BEARER {TOKEN}"}, True),
        ({"Authorization": f"Bearer  {TOKEN} "}, True),
        ({"Authorization": "Bearer wrong"}, False),
        ({"Authorization": f"Bearer {TOKEN}x"}, False),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, False),
        ({"Authorization": f"Basic {TOKEN}"}, False),
        ({"Authorization": TOKEN}, False),
        ({"Authorization": "Bearer"}, False),
        ({"Authorization": "Bearer "}, False),
        ({"Authorization": ""}, False),
        ({"X-Token": TOKEN}, False),
        ({}, False),
        ({"Authorization": "Bearer tökén"}, False),
        ({"Authorization": f"Bearer {TOKEN}", "authorization": "Bearer other"}, False),
    ],
)
def test_check_bearer(headers: dict[str, str], expected: bool) -> None:
    assert check_bearer(headers, TOKEN) is expected


def test_check_bearer_empty_token_never_matches() -> None:
    assert not check_bearer({"Authorization": "Bearer "}, "")
    assert not check_bearer({"Authorization": "Bearer"}, "")


def test_check_bearer_non_ascii_token() -> None:
    assert check_bearer({"Authorization": "Bearer tökén"}, "tökén")


# --- alerts_from_series -----------------------------------------------------------------

SAMPLE_AT = 1795340400.123


def _series(metric: dict[str, str], ts: Any = SAMPLE_AT) -> dict[str, Any]:
    return {"metric": metric, "value": [ts, "1"]}


def test_alerts_from_series() -> None:
    result = [
        _series(
            {
                "__name__": "ALERTS",
                "alertname": "CheckoutAvailabilityBurn",
                "alertstate": "firing",
                "sloth_service": "checkout",
                "sloth_severity": "page",
                "sloth_slo": "requests-availability",
            }
        ),
        _series(
            {
                "__name__": "ALERTS",
                "alertname": "PaymentsLatencyBurn",
                "alertstate": "firing",
                "service": "payments",
                "severity": "warning",
            }
        ),
    ]
    sloth, plain = alerts_from_series(result, "service")
    at = datetime.fromtimestamp(SAMPLE_AT, UTC)
    assert sloth.source == "alerts_series"
    assert sloth.fingerprint is None
    assert sloth.status == "firing"
    assert sloth.starts_at == at and sloth.starts_at.tzinfo is UTC
    assert sloth.ends_at is None
    assert (sloth.service, sloth.severity) == ("checkout", "page")
    assert sloth.alertname == "CheckoutAvailabilityBurn"
    assert sloth.labels == (
        ("alertname", "CheckoutAvailabilityBurn"),
        ("sloth_service", "checkout"),
        ("sloth_severity", "page"),
        ("sloth_slo", "requests-availability"),
    )
    assert dedup_key(sloth) == "checkout|page|CheckoutAvailabilityBurn"
    assert (plain.service, plain.severity, plain.alertname) == (
        "payments",
        "ticket",
        "PaymentsLatencyBurn",
    )


def test_alerts_from_series_service_label_and_string_timestamp() -> None:
    (alert,) = alerts_from_series(
        [_series({"alertname": "A", "alertstate": "firing", "app": "web"}, ts="1795340400")],
        "app",
    )
    assert alert.service == "web"
    assert alert.starts_at == datetime.fromtimestamp(1795340400, UTC)


def test_alerts_from_series_skips_pending() -> None:
    result = [_series({"alertname": "A", "alertstate": "pending", "service": "x"})]
    assert alerts_from_series(result, "service") == []


def test_alerts_from_series_empty() -> None:
    assert alerts_from_series([], "service") == []


@pytest.mark.parametrize(
    "entry",
    [
        {"value": [SAMPLE_AT, "1"]},
        {"metric": {"alertname": "A"}},
        {"metric": {"alertname": "A"}, "value": [SAMPLE_AT]},
        {"metric": {"alertname": 1}, "value": [SAMPLE_AT, "1"]},
        {"metric": {"alertname": "A"}, "value": ["soon", "1"]},
        {"metric": {"alertname": "A"}, "value": [None, "1"]},
    ],
)
def test_alerts_from_series_rejects_malformed(entry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"ALERTS result\[0\]"):
        alerts_from_series([entry], "service")
