"""BurnAlert helpers: label mapping, dedup keys, the announce window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.alerts import BurnAlert, dedup_key, map_labels, should_announce

AT = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


def _alert(fingerprint: str | None, service: str | None, severity: str | None) -> BurnAlert:
    return BurnAlert(
        source="alertmanager",
        fingerprint=fingerprint,
        service=service,
        severity=severity,
        status="firing",
        starts_at=AT,
        ends_at=None,
        labels=(("alertname", "CheckoutAvailabilityBurn"),),
        alertname="CheckoutAvailabilityBurn",
    )


@pytest.mark.parametrize(
    ("labels", "service_label", "expected"),
    [
        # Sloth's own labels, values kept as they are.
        ({"sloth_service": "checkout", "sloth_severity": "page"}, "service", ("checkout", "page")),
        (
            {"sloth_service": "checkout", "sloth_severity": "ticket"},
            "service",
            ("checkout", "ticket"),
        ),
        # Plain labels win over Sloth's.
        (
            {"service": "api", "sloth_service": "checkout", "severity": "critical"},
            "service",
            ("api", "page"),
        ),
        ({"service": "api", "severity": "warning"}, "service", ("api", "ticket")),
        ({"service": "api", "severity": "WARNING"}, "service", ("api", "ticket")),
        ({"service": "api", "severity": "Critical"}, "service", ("api", "page")),
        ({"service": "api", "severity": "PAGE"}, "service", ("api", "page")),
        # Anything else is kept, lowercased.
        ({"service": "api", "severity": "Info"}, "service", ("api", "info")),
        # severity wins over sloth_severity.
        ({"severity": "warning", "sloth_severity": "page"}, "service", (None, "ticket")),
        # A configured service label.
        ({"app": "web", "service": "api"}, "app", ("web", None)),
        ({"service": "api", "sloth_service": "checkout"}, "app", ("checkout", None)),
        # Empty values are absent values in Prometheus.
        (
            {"service": "", "sloth_service": "checkout", "severity": ""},
            "service",
            ("checkout", None),
        ),
        ({}, "service", (None, None)),
    ],
)
def test_map_labels(
    labels: dict[str, str], service_label: str, expected: tuple[str | None, str | None]
) -> None:
    assert map_labels(labels, service_label) == expected


def test_map_labels_default_service_label() -> None:
    assert map_labels({"service": "api", "severity": "critical"}) == ("api", "page")


def test_dedup_key_is_the_fingerprint_when_present() -> None:
    assert dedup_key(_alert("1a30ba71cca2921f", "checkout", "page")) == "1a30ba71cca2921f"


def test_dedup_key_without_fingerprint() -> None:
    key = dedup_key(_alert(None, "checkout", "page"))
    assert key == "checkout|page|CheckoutAvailabilityBurn"


def test_dedup_key_empty_fingerprint_counts_as_missing() -> None:
    assert dedup_key(_alert("", "checkout", "page")) == "checkout|page|CheckoutAvailabilityBurn"


def test_dedup_key_missing_service_and_severity() -> None:
    assert dedup_key(_alert(None, None, None)) == "||CheckoutAvailabilityBurn"


def test_dedup_key_same_alert_from_webhook_and_series_without_fingerprint() -> None:
    a = _alert(None, "checkout", "page")
    b = BurnAlert(
        source="alerts_series",
        fingerprint=None,
        service="checkout",
        severity="page",
        status="firing",
        starts_at=AT + timedelta(minutes=3),
        ends_at=None,
        labels=(),
        alertname="CheckoutAvailabilityBurn",
    )
    assert dedup_key(a) == dedup_key(b)


@pytest.mark.parametrize(
    ("previous", "now", "expected"),
    [
        (None, AT, True),
        (AT, AT, False),
        (AT, AT + timedelta(minutes=59, seconds=59), False),
        (AT, AT + timedelta(hours=1), True),
        (AT, AT + timedelta(hours=5), True),
    ],
)
def test_should_announce(previous: datetime | None, now: datetime, expected: bool) -> None:
    assert should_announce(previous, now) is expected


def test_should_announce_custom_window() -> None:
    assert should_announce(AT, AT + timedelta(minutes=10), within=timedelta(minutes=5))
    assert not should_announce(AT, AT + timedelta(minutes=10), within=timedelta(minutes=15))


def test_burn_alert_is_hashable_and_label_map() -> None:
    alert = _alert(None, "checkout", "page")
    assert {alert: 1}[alert] == 1
    assert alert.label_map == {"alertname": "CheckoutAvailabilityBurn"}
