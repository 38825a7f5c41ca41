from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.durations import format_duration, parse_duration
from daemon.core.slo import WindowSpec
from daemon.core.windows import parse_window, resolve_window


def test_parse_window_forms() -> None:
    assert parse_window("30d") == WindowSpec(kind="rolling", days=30)
    assert parse_window("month") == WindowSpec(kind="calendar", period="month")
    assert parse_window("quarter") == WindowSpec(kind="calendar", period="quarter")


@pytest.mark.parametrize("text", ["0d", "30", "4w", "month ", "1000d", "-3d", "quarterly"])
def test_parse_window_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text)


def test_rolling_window_is_at_minus_w_to_at() -> None:
    at = datetime(2026, 11, 16, 12, 30, tzinfo=UTC)
    w = resolve_window(parse_window("28d"), at)
    assert (w.start, w.end, w.kind) == (at - timedelta(days=28), at, "rolling")
    assert w.elapsed_fraction == 1.0


def test_month_window_sixteenth_of_a_31_day_month() -> None:
    w = resolve_window(parse_window("month"), datetime(2026, 10, 16, tzinfo=UTC))
    assert w.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert w.end == datetime(2026, 11, 1, tzinfo=UTC)
    assert w.elapsed_fraction == pytest.approx(15 / 31, rel=1e-15)


def test_december_month_and_q4_end_in_next_year() -> None:
    at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert resolve_window(parse_window("month"), at).end == datetime(2027, 1, 1, tzinfo=UTC)
    q = resolve_window(parse_window("quarter"), at)
    assert (q.start, q.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("month", "start_month"), [(1, 1), (3, 1), (4, 4), (6, 4), (7, 7), (9, 7), (10, 10), (12, 10)]
)
def test_quarter_starts(month: int, start_month: int) -> None:
    w = resolve_window(parse_window("quarter"), datetime(2027, month, 5, tzinfo=UTC))
    assert w.start == datetime(2027, start_month, 1, tzinfo=UTC)


def test_other_timezones_are_converted_to_utc() -> None:
    from zoneinfo import ZoneInfo

    # 00:30 on Nov 1 in Berlin is still October in UTC
    at = datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert resolve_window(parse_window("month"), at).start == datetime(2026, 10, 1, tzinfo=UTC)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve_window(parse_window("month"), datetime(2026, 11, 1))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300, "5m"), (3600, "1h"), (86400, "1d"), (30 * 86400, "30d"), (90, "90s"), (1.5, "1500ms")],
)
def test_durations_round_trip(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
