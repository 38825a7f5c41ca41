"""Firings from hand-built minute series; expected edges derived by hand in the comments."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.core.firings import MinuteSeries, detect_firings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400


def _series(minutes: int, burst: range, bad_per_minute: float = 50.0) -> MinuteSeries:
    # 100 requests every minute; half of them fail during the burst
    bad = [bad_per_minute if i in burst else 0.0 for i in range(minutes)]
    return MinuteSeries(first=T0, bad=bad, total=[100.0] * minutes)


def _t(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_burst_fires_each_condition_with_hand_computed_edges() -> None:
    # 50 bad/minute for minutes 5000..5009. For a window of n minutes holding k burst minutes
    # the ratio is 50k / 100n:
    #  1h/5m  > 1.44 %: long needs k >= 2 (from 5001); short empty again at 5014
    #  6h/30m > 0.6 %:  long needs k >= 5 (from 5004); short empty at 5009 + 30 = 5039
    #  1d/2h  > 0.3 %:  long needs k >= 9 (from 5008); short empty at 5129
    #  3d/6h  > 0.1 %:  long needs k >= 9 (from 5008); short empty at 5369
    series = _series(7000, range(5000, 5010))
    got = detect_firings(series, 0.001, 30 * DAY, evaluate_from=_t(4400))
    assert [(f.severity, f.long_window, f.short_window, f.start, f.end) for f in got] == [
        ("page", "1h", "5m", _t(5001), _t(5014)),
        ("page", "6h", "30m", _t(5004), _t(5039)),
        ("ticket", "1d", "2h", _t(5008), _t(5129)),
        ("ticket", "3d", "6h", _t(5008), _t(5369)),
    ]
    assert [f.burn_rate_threshold for f in got] == [14.4, 6.0, 3.0, 1.0]


def test_firing_still_on_at_the_end_has_no_end() -> None:
    series = _series(6000, range(5990, 6000))
    got = detect_firings(series, 0.001, 30 * DAY, evaluate_from=_t(4400))
    assert got[0].severity == "page"
    assert got[0].end is None


def test_nothing_before_evaluate_from_is_reported() -> None:
    series = _series(7000, range(5000, 5010))
    assert detect_firings(series, 0.001, 30 * DAY, evaluate_from=_t(5400)) == ()


def test_condition_already_on_at_window_start_starts_there() -> None:
    series = _series(7000, range(5000, 5010))
    got = detect_firings(series, 0.001, 30 * DAY, evaluate_from=_t(5100))
    assert [(f.long_window, f.start, f.end) for f in got] == [
        ("1d", _t(5100), _t(5129)),
        ("3d", _t(5100), _t(5369)),
    ]


def test_gaps_count_as_missing_and_no_traffic_never_fires() -> None:
    total: list[float | None] = [None] * 100 + [0.0] * 100
    series = MinuteSeries(first=T0, bad=[0.0] * 200, total=total)
    assert series.missing_steps == 100
    assert detect_firings(series, 0.001, 30 * DAY, evaluate_from=T0) == ()


def _naive(series: MinuteSeries, budget: float, first: int) -> list[tuple[str, str, int, int]]:
    """The definition, minute by minute, with no prefix sums: a window's events summed afresh."""
    from daemon.core.burn import MWMBR

    def burn(i: int, minutes: int) -> float | None:
        lo = max(0, i + 1 - minutes)
        total = sum(t or 0.0 for t in series.total[lo : i + 1])
        if total <= 0:
            return None
        return sum(series.bad[lo : i + 1]) / total / budget

    out = []
    for c in MWMBR:
        threshold = c.threshold(30 * DAY)
        start = None
        for i in range(first, len(series.total)):
            long_rate, short_rate = burn(i, c.long_seconds // 60), burn(i, c.short_seconds // 60)
            on = (
                long_rate is not None
                and short_rate is not None
                and long_rate > threshold
                and short_rate > threshold
            )
            if on and start is None:
                start = i
            elif not on and start is not None:
                out.append((c.severity, c.long_window, start, i))
                start = None
        if start is not None:
            out.append((c.severity, c.long_window, start, -1))
    return sorted(out, key=lambda f: (f[2], f[0]))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.0, 5.0, 40.0]), min_size=1, max_size=400),
    st.lists(st.sampled_from([None, 0.0, 100.0, 100.0, 100.0]), min_size=400, max_size=400),
    st.integers(min_value=0, max_value=399),
)
def test_firings_equal_the_definition_minute_by_minute(
    bad: list[float], total: list[float | None], first: int
) -> None:
    bad = (bad * (400 // len(bad) + 1))[:400]
    series = MinuteSeries(first=T0, bad=bad, total=total)
    first = min(first, len(total) - 1)
    got = detect_firings(series, 0.01, 30 * DAY, evaluate_from=_t(first))
    want = _naive(series, 0.01, first)
    assert (
        sorted(
            (
                (
                    f.severity,
                    f.long_window,
                    int((f.start - T0).total_seconds()) // 60,
                    -1 if f.end is None else int((f.end - T0).total_seconds()) // 60,
                )
                for f in got
            ),
            key=lambda f: (f[2], f[0]),
        )
        == want
    )
