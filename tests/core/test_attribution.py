"""Budget attribution from per-minute counts, with hand-computed expectations."""

from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.attribution import attribute
from daemon.core.firings import MinuteSeries
from daemon.core.incidents import Incident
from daemon.core.windows import BudgetWindow

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _t(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def inc(n: int, start: float, end: float | None) -> Incident:
    return Incident(f"P{n}", n, "t", "u", _t(start), None if end is None else _t(end), "x", "S")


# one bad event every minute, plus 10 more per minute in minutes 101..110 (an outage)
BAD = [1.0 + (10.0 if 101 <= i <= 110 else 0.0) for i in range(201)]
SERIES = MinuteSeries(first=T0, bad=BAD, total=[1000.0] * 201)
# rolling window (50, 200]: 150 minutes, 150 + 100 = 250 bad events, 150,000 total
WINDOW = BudgetWindow("rolling", _t(50), _t(200), _t(200))
TOTAL = 150_000.0


def test_incident_is_charged_its_bad_events_and_the_rest_is_unattributed() -> None:
    got = attribute([inc(1, 100, 110)], SERIES, WINDOW, TOTAL, 0.01, 100.0)
    (only,) = got.incidents
    # minutes 101..110: 10 x 11 = 110 bad events; budget 1 % of 150,000 = 1,500 events
    assert only.bad_events == pytest.approx(110)
    assert only.consumed_fraction == pytest.approx(110 / 1500)
    assert only.consumed_minutes == pytest.approx(110 / 1500 * 100)
    assert got.unattributed_bad_events == pytest.approx(250 - 110)
    assert got.unattributed_fraction + only.consumed_fraction == pytest.approx(250 / 1500)


def test_overlapping_incidents_are_not_double_counted_in_the_unattributed_burn() -> None:
    got = attribute([inc(1, 100, 106), inc(2, 103, 110)], SERIES, WINDOW, TOTAL, 0.01, 100.0)
    assert [c.incident.id for c in got.incidents] == ["P2", "P1"]  # 77 vs 66 events
    assert [c.bad_events for c in got.incidents] == pytest.approx([77, 66])
    assert got.unattributed_bad_events == pytest.approx(250 - 110)


def test_clipped_to_the_window_and_open_incidents_run_to_at() -> None:
    got = attribute([inc(1, 40, 60), inc(2, 190, None)], SERIES, WINDOW, TOTAL, 0.01, 100.0)
    by_id = {c.incident.id: c.bad_events for c in got.incidents}
    assert by_id == pytest.approx({"P1": 10, "P2": 10})  # (50, 60] and (190, 200]


def test_incidents_outside_the_window_are_not_listed() -> None:
    got = attribute([inc(1, 10, 40), inc(2, 200, 220)], SERIES, WINDOW, TOTAL, 0.01, 100.0)
    assert got.incidents == ()
    assert got.unattributed_bad_events == pytest.approx(250)


def test_off_grid_edges_count_partial_minutes_in_proportion() -> None:
    # (100.5, 101.5]: half of minute 101 (11 events) and half of minute 102 (11 events)
    got = attribute([inc(1, 100.5, 101.5)], SERIES, WINDOW, TOTAL, 0.01, 100.0)
    assert got.incidents[0].bad_events == pytest.approx(11.0)


def test_calendar_window_shares_add_up_to_the_consumed_fraction() -> None:
    window = BudgetWindow("calendar", _t(50), _t(350), _t(200))  # half elapsed
    got = attribute([inc(1, 100, 110)], SERIES, window, TOTAL, 0.01, 200.0)
    consumed = 250 / TOTAL / 0.01 * 0.5
    total_share = got.incidents[0].consumed_fraction + got.unattributed_fraction
    assert total_share == pytest.approx(consumed)
