from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.budget import compute_budget
from daemon.core.windows import BudgetWindow, parse_window, resolve_window


def test_budget_minutes_of_the_reference_windows() -> None:
    # 99.9 % over 30 days = 43.2 min; over a 90-day quarter (Q1 2027) = 129.6 min
    rolling = resolve_window(parse_window("30d"), datetime(2026, 11, 16, tzinfo=UTC))
    assert compute_budget(0.001, rolling, 0.0).minutes == pytest.approx(43.2, rel=1e-12)
    q1 = resolve_window(parse_window("quarter"), datetime(2027, 2, 1, tzinfo=UTC))
    assert compute_budget(0.001, q1, 0.0).minutes == pytest.approx(129.6, rel=1e-12)


def test_worked_example_56_percent_in_16_percent_of_the_quarter() -> None:
    # The seed's example: 56 % of a 99.9 % quarterly budget gone in 16 % of the quarter.
    start = datetime(2027, 1, 1, tzinfo=UTC)
    end = datetime(2027, 4, 1, tzinfo=UTC)  # 90 days
    at = start + timedelta(days=14.4)  # 16 % elapsed
    window = BudgetWindow("calendar", start, end, at)
    error_ratio = 0.56 * 0.001 / 0.16  # what was measured over [start, at]
    b = compute_budget(0.001, window, error_ratio)
    assert b.consumed_fraction == pytest.approx(0.56, rel=1e-12)
    assert b.consumed_minutes == pytest.approx(0.56 * 129.6, rel=1e-12)
    assert b.remaining_fraction == pytest.approx(0.44, rel=1e-12)
    assert b.projected_fraction_at_window_end == pytest.approx(3.5, rel=1e-12)
    # linear projection reaches 100 % after 14.4 / 0.56 days
    assert b.exhaustion_at is not None
    expected = start + timedelta(days=14.4 / 0.56)
    assert abs((b.exhaustion_at - expected).total_seconds()) < 1e-3


def test_overspent_budget_goes_negative_and_is_not_clamped() -> None:
    w = resolve_window(parse_window("30d"), datetime(2026, 11, 16, tzinfo=UTC))
    b = compute_budget(0.001, w, 0.0025)
    assert b.consumed_fraction == pytest.approx(2.5)
    assert b.remaining_fraction == pytest.approx(-1.5)
    # rolling: already past 100 %, so the projection crossed it inside the window
    assert b.exhaustion_at == w.start + timedelta(days=30 / 2.5)


def test_no_exhaustion_when_projection_stays_under_budget() -> None:
    w = resolve_window(parse_window("month"), datetime(2026, 11, 16, tzinfo=UTC))
    b = compute_budget(0.001, w, 0.0009)
    assert b.projected_fraction_at_window_end == pytest.approx(0.9)
    assert b.exhaustion_at is None
    assert compute_budget(0.001, w, 0.0).exhaustion_at is None


def test_window_that_has_not_started_is_refused() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        compute_budget(0.001, resolve_window(parse_window("month"), at), 0.01)


def test_a_vanishing_burn_has_no_exhaustion_and_does_not_overflow() -> None:
    # found by hypothesis: 1e-162 of the budget would cross 100 % in 1e157 years
    w = resolve_window(parse_window("7d"), datetime(2026, 11, 16, tzinfo=UTC))
    assert compute_budget(0.1, w, 1e-162).exhaustion_at is None
