import pytest

from daemon.core.burn import BURN_WINDOWS, MWMBR, evaluate_conditions, policy_state

DAY = 86400


def test_windows_are_the_workbook_ones() -> None:
    assert [(c.severity, c.long_window, c.short_window) for c in MWMBR] == [
        ("page", "1h", "5m"),
        ("page", "6h", "30m"),
        ("ticket", "1d", "2h"),
        ("ticket", "3d", "6h"),
    ]
    assert BURN_WINDOWS == (300, 1800, 3600, 7200, 21600, 86400, 259200)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, [14.4, 6, 3, 1]), (28, [13.44, 5.6, 2.8, 0.93333333333])],
)
def test_thresholds_scale_with_the_period_as_sloth_does(days: int, expected: list[float]) -> None:
    got = [c.threshold(days * DAY) for c in MWMBR]
    assert got == pytest.approx(expected, rel=1e-9)


def test_condition_needs_both_windows_above_threshold() -> None:
    rates: dict[int, float | None] = {w: 0.0 for w in BURN_WINDOWS}
    rates[3600] = 20.0  # long window of the fast page only
    states = evaluate_conditions(rates, 30 * DAY)
    assert not any(s.firing for s in states)
    rates[300] = 14.41
    states = evaluate_conditions(rates, 30 * DAY)
    assert [s.firing for s in states] == [True, False, False, False]
    assert policy_state(states, 0.5) == "burning_fast"


def test_equal_to_threshold_is_not_firing() -> None:
    rates: dict[int, float | None] = {w: 1.0 for w in BURN_WINDOWS}
    assert policy_state(evaluate_conditions(rates, 30 * DAY), 0.5) == "healthy"


def test_policy_state_order() -> None:
    ticket = {w: 1.5 for w in BURN_WINDOWS}
    states = evaluate_conditions(ticket, 30 * DAY)
    assert policy_state(states, 0.2) == "burning_slow"
    assert policy_state(states, 0.0) == "exhausted"
    assert policy_state(states, -0.3) == "exhausted"
    unknown = evaluate_conditions({w: None for w in BURN_WINDOWS}, 30 * DAY)
    assert policy_state(unknown, None) == "unknown"
