"""MTTR / MTBF / trend, table-driven with hand-computed expectations."""

from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.incidents import Incident
from daemon.core.reliability import assess_reliability, reading, trend, window_stats

AT = datetime(2026, 11, 16, tzinfo=UTC)
H = timedelta(hours=1)


def inc(n: int, created: datetime, minutes: float | None) -> Incident:
    resolved = None if minutes is None else created + timedelta(minutes=minutes)
    return Incident(f"P{n}", n, f"incident {n}", f"https://pd/{n}", created, resolved, "x", "S1")


START = AT - timedelta(days=30)


@pytest.mark.parametrize(
    ("incidents", "expected"),
    [
        # (count, open, mttr minutes, mtbf hours)
        ([], (0, 0, None, None)),
        ([inc(1, START + H, 30)], (1, 0, 30.0, None)),
        ([inc(1, START + H, 30), inc(2, START + 11 * H, 90)], (2, 0, 60.0, 10.0)),
        # open incidents count for MTBF, not MTTR
        (
            [inc(1, START + H, 30), inc(2, START + 5 * H, None), inc(3, START + 9 * H, 10)],
            (3, 1, 20.0, 4.0),
        ),
        # resolved after `at` is still open at `at`
        ([inc(1, AT - H, 120)], (1, 1, None, None)),
        # created before the window: not in it even though it ends inside
        ([inc(1, START - H, 180), inc(2, START, 60)], (1, 0, 60.0, None)),
        # created exactly at the window's end: belongs to the next window
        ([inc(1, AT, 5)], (0, 0, None, None)),
    ],
)
def test_window_stats(incidents: list[Incident], expected: tuple) -> None:
    s = window_stats(incidents, START, AT, AT)
    assert (s.incidents, s.open, s.mttr_minutes, s.mtbf_hours) == expected


@pytest.mark.parametrize(
    ("current", "trailing", "lower_is_better", "expected"),
    [
        (22, 18, True, ("degrading", "slightly")),  # MTTR +22 %
        (4.1, 9.2, False, ("degrading", "sharply")),  # MTBF -55 %
        (10, 10.5, True, ("stable", "")),
        (10, 20, True, ("improving", "sharply")),
        (12, 10, False, ("improving", "slightly")),
        (None, 10, True, ("unknown", "")),
        (10, 0, True, ("unknown", "")),
        (11, 10, True, ("stable", "")),  # exactly +10 % is still stable
    ],
)
def test_trend(current, trailing, lower_is_better, expected) -> None:
    t = trend(current, trailing, lower_is_better=lower_is_better, stable=0.10, sharp=0.50)
    assert (t.direction, t.strength) == expected


def test_reading_in_the_seeds_style() -> None:
    mttr = trend(22, 18, lower_is_better=True, stable=0.1, sharp=0.5)
    mtbf = trend(4.1 * 24, 9.2 * 24, lower_is_better=False, stable=0.1, sharp=0.5)
    assert reading(mttr, mtbf) == (
        "MTBF degrading sharply, MTTR degrading slightly — "
        "frequency is the bigger problem than recovery time"
    )
    worse_recovery = trend(40, 10, lower_is_better=True, stable=0.1, sharp=0.5)
    assert reading(worse_recovery, mtbf).endswith(
        "recovery time is the bigger problem than frequency"
    )
    unknown = trend(None, 1, lower_is_better=True, stable=0.1, sharp=0.5)
    assert reading(unknown, mtbf).startswith("MTBF degrading sharply, MTTR not comparable")


def test_assess_uses_current_and_trailing_windows() -> None:
    w = timedelta(days=30)
    incidents = [
        inc(1, AT - 2 * w + H, 10),
        inc(2, AT - 2 * w + 49 * H, 10),  # trailing: MTBF 48 h
        inc(3, AT - w + H, 30),
        inc(4, AT - w + 13 * H, 30),  # current: MTBF 12 h, MTTR 30
    ]
    r = assess_reliability(incidents, AT, w.total_seconds(), stable=0.1, sharp=0.5)
    assert (r.trailing.incidents, r.trailing.mtbf_hours, r.trailing.mttr_minutes) == (2, 48.0, 10.0)
    assert (r.current.incidents, r.current.mtbf_hours, r.current.mttr_minutes) == (2, 12.0, 30.0)
    assert (r.mtbf.direction, r.mtbf.strength) == ("degrading", "sharply")
    assert (r.mttr.direction, r.mttr.strength) == ("degrading", "sharply")
    # MTBF -75 % vs MTTR +200 %: recovery moved more
    assert r.reading.endswith("recovery time is the bigger problem than frequency")
