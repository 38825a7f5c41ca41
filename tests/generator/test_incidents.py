"""Self-tests of the PagerDuty incident generator and its reliability/attribution truth."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.generator.incident_truth import (
    attribution_summary,
    attribution_truth,
    reliability_truth,
    trend_truth,
)
from tests.generator.incidents import (
    CHECKOUT_SERVICE_ID,
    OTHER_SERVICE_ID,
    PdIncident,
    many_incidents,
    pagerduty_incidents,
)
from tests.generator.synthetic import AT, MINUTE, Scenario, build_scenario
from tests.generator.truth import budget_truth, events, window_bounds

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
W30 = timedelta(days=30)
C, OTH = CHECKOUT_SERVICE_ID, OTHER_SERVICE_ID


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The default scenario (built once for this module)."""
    return build_scenario()


@pytest.fixture(scope="module")
def pd(scenario: Scenario) -> list[PdIncident]:
    """The PagerDuty incident list at AT."""
    return pagerduty_incidents(scenario)


# ------------------------------------------------------------------- reliability_truth


def _inc(created: datetime, minutes: int | None, service: str = C, number: int = 1) -> PdIncident:
    """Incident created at ``created``, resolved ``minutes`` later (None: open)."""
    resolved = None if minutes is None else created + minutes * MINUTE
    return PdIncident(f"QT{number:05d}", number, "t", created, resolved, service, "high")


def _stats(n: int, mttr: float | None, mtbf: float | None, open_: int = 0) -> dict[str, Any]:
    return {"incidents": n, "mttr_minutes": mttr, "mtbf_hours": mtbf, "open": open_}


NONE = _stats(0, None, None)

RELIABILITY_CASES: list[tuple[str, list[PdIncident], dict[str, Any], dict[str, Any]]] = [
    ("zero", [], NONE, NONE),
    ("one resolved", [_inc(AT - 2 * DAY, 45)], _stats(1, 45.0, None), NONE),
    (
        "two resolved",
        [_inc(AT - 10 * DAY, 30, number=1), _inc(AT - 4 * DAY, 90, number=2)],
        _stats(2, 60.0, 144.0),
        NONE,
    ),
    (
        "open counts in MTBF not MTTR",
        [_inc(AT - 5 * DAY, 20, number=1), _inc(AT - HOUR, None, number=2)],
        _stats(2, 20.0, 119.0, open_=1),
        NONE,
    ),
    (
        "resolved after at is open at at",
        [_inc(AT - 30 * MINUTE, 90)],
        _stats(1, None, None, open_=1),
        NONE,
    ),
    (
        "resolved exactly at at is resolved",
        [_inc(AT - 30 * MINUTE, 30)],
        _stats(1, 30.0, None),
        NONE,
    ),
    (
        "spans the window edge: counted where created",
        [_inc(AT - W30 - HOUR, 180)],
        NONE,
        _stats(1, 180.0, None),
    ),
    (
        "window bounds: [at-W, at) and [at-2W, at-W)",
        [
            _inc(AT - 2 * W30 - MINUTE, 10, number=1),  # before trailing: ignored
            _inc(AT - 2 * W30, 10, number=2),  # first minute of trailing
            _inc(AT - W30 - MINUTE, 20, number=3),  # last minute of trailing
            _inc(AT - W30, 30, number=4),  # first minute of current
            _inc(AT, 5, number=5),  # created at at: not in current
        ],
        _stats(1, 30.0, None),
        _stats(2, 15.0, (30 * 24 * 60 - 1) / 60),
    ),
    (
        "other service filtered",
        [_inc(AT - 3 * DAY, 60, number=1), _inc(AT - 2 * DAY, None, OTH, number=2)],
        _stats(1, 60.0, None),
        NONE,
    ),
    (
        "trailing vs current",
        [
            _inc(AT - 50 * DAY, 60, number=1),
            _inc(AT - 45 * DAY, 120, number=2),
            _inc(AT - 40 * DAY, None, number=3),  # never resolved: open in trailing
            _inc(AT - 20 * DAY, 10, number=4),
            _inc(AT - 8 * DAY, 20, number=5),
            _inc(AT - 2 * DAY, 60, number=6),
        ],
        _stats(3, 30.0, 216.0),
        _stats(3, 90.0, 120.0, open_=1),
    ),
]


@pytest.mark.parametrize(
    ("incidents", "current", "trailing"),
    [case[1:] for case in RELIABILITY_CASES],
    ids=[case[0] for case in RELIABILITY_CASES],
)
def test_reliability_truth(
    incidents: list[PdIncident], current: dict[str, Any], trailing: dict[str, Any]
) -> None:
    got = reliability_truth(incidents, [C], AT, W30)
    assert got == {"current": current, "trailing": trailing}


def test_reliability_truth_several_services() -> None:
    incidents = [_inc(AT - 3 * DAY, 60, C, 1), _inc(AT - 2 * DAY, 30, OTH, 2)]
    assert reliability_truth(incidents, [C, OTH], AT, W30)["current"] == _stats(2, 45.0, 24.0)
    assert reliability_truth(incidents, ["PNOPE"], AT, W30)["current"] == NONE


def test_reliability_truth_of_default_incidents(pd: list[PdIncident]) -> None:
    """Hand-computed from the incident list (see ``summary(pagerduty_incidents(...))``)."""
    got = reliability_truth(pd, [C], AT, W30)
    # trailing [09-17, 10-17): 8 checkout incidents, 09-20 09:00 .. 10-16 23:00 (638 h)
    assert got["trailing"] == _stats(8, (35 + 30 + 1080 + 20 + 25 + 90 + 1320 + 180) / 8, 638 / 7)
    # current [10-17, 11-16): 12 checkout incidents, 10-20 13:05 .. 11-15 23:35 (634.5 h)
    resolved = (40, 5760, 600, 12, 20, 8, 1200, 570, 360, 15, 18)
    assert got["current"] == _stats(12, sum(resolved) / 11, 634.5 / 11, open_=1)


# ------------------------------------------------------------------------- trend_truth

TREND_CASES: list[tuple[float | None, float | None, bool, tuple[str, str]]] = [
    (None, 10.0, True, ("unknown", "")),
    (10.0, None, True, ("unknown", "")),
    (None, None, False, ("unknown", "")),
    (10.0, 0.0, True, ("unknown", "")),
    (0.0, 0.0, False, ("unknown", "")),
    (100.0, 100.0, True, ("stable", "")),
    (110.0, 100.0, True, ("stable", "")),  # exactly +10 %: not beyond
    (90.0, 100.0, True, ("stable", "")),  # exactly -10 %
    (111.0, 100.0, True, ("degrading", "slightly")),
    (149.0, 100.0, True, ("degrading", "slightly")),
    (150.0, 100.0, True, ("degrading", "sharply")),  # exactly +50 %
    (300.0, 100.0, True, ("degrading", "sharply")),
    (80.0, 100.0, True, ("improving", "slightly")),
    (50.0, 100.0, True, ("improving", "sharply")),
    (0.0, 100.0, True, ("improving", "sharply")),
    # MTBF: higher is better
    (105.0, 100.0, False, ("stable", "")),
    (80.0, 100.0, False, ("degrading", "slightly")),
    (40.0, 100.0, False, ("degrading", "sharply")),
    (120.0, 100.0, False, ("improving", "slightly")),
    (200.0, 100.0, False, ("improving", "sharply")),
]


@pytest.mark.parametrize(("current", "trailing", "lower_is_better", "expected"), TREND_CASES)
def test_trend_truth(
    current: float | None, trailing: float | None, lower_is_better: bool, expected: tuple[str, str]
) -> None:
    assert trend_truth(current, trailing, lower_is_better) == expected


def test_trend_truth_thresholds_are_parameters() -> None:
    assert trend_truth(120.0, 100.0, True, stable=0.25) == ("stable", "")
    assert trend_truth(120.0, 100.0, True, sharp=0.2) == ("degrading", "sharply")
    assert trend_truth(130.0, 100.0, True, stable=0.25, sharp=0.4) == ("degrading", "slightly")


# ------------------------------------------------------------------ pagerduty_incidents


def _overlaps(x: PdIncident, y: PdIncident, at: datetime) -> bool:
    return x.created_at < (y.resolved_at or at) and y.created_at < (x.resolved_at or at)


def test_pagerduty_incidents_shape(scenario: Scenario, pd: list[PdIncident]) -> None:
    assert pd == pagerduty_incidents(scenario), "not deterministic"
    for i in pd:
        for t in (i.created_at, i.resolved_at):
            assert t is None or (t.second == 0 and t.microsecond == 0), i.describe()
        assert i.created_at <= AT, i.describe()
        assert i.resolved_at is None or i.created_at < i.resolved_at <= AT, i.describe()
        assert re.fullmatch(r"Q[0-9A-Z]{6}", i.id), i.id
        assert i.urgency in ("high", "low")
    assert len({i.id for i in pd}) == len(pd)
    numbers = [i.number for i in pd]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert [i.created_at for i in pd] == sorted(i.created_at for i in pd)
    assert any(i.note and i.note.startswith("Root cause:") for i in pd)
    assert any(i.note is None for i in pd)


def test_pagerduty_incidents_follow_the_scenario(scenario: Scenario, pd: list[PdIncident]) -> None:
    """Every scenario incident created by AT is listed with its own start and end."""
    mine = {(i.created_at, i.resolved_at) for i in pd if i.service_id == C}
    for inc in scenario.incidents:
        if inc.start > AT:
            assert not any(i.created_at == inc.start for i in pd)
        else:
            assert (inc.start, inc.end if inc.end <= AT else None) in mine, inc.describe()


def test_pagerduty_incidents_edge_cases(pd: list[PdIncident]) -> None:
    checkout = [i for i in pd if i.service_id == C]
    ongoing = [i for i in checkout if i.resolved_at is None]
    assert [(i.created_at, i.status_at(AT)) for i in ongoing] == [(AT - 25 * MINUTE, "open")]
    assert all(i.status_at(AT) == "resolved" for i in checkout if i not in ongoing)
    pairs = [
        (x, y) for n, x in enumerate(checkout) for y in checkout[n + 1 :] if _overlaps(x, y, AT)
    ]
    assert len(pairs) == 1, [(x.describe(), y.describe()) for x, y in pairs]
    edge = AT - W30
    spanning = [i for i in checkout if i.created_at < edge < (i.resolved_at or AT)]
    assert [i.created_at for i in spanning] == [edge - HOUR]
    trailing = [i for i in checkout if AT - 2 * W30 <= i.created_at < edge]
    assert len(trailing) >= 2
    other = [i for i in pd if i.service_id == OTH]
    assert len(other) >= 3 and any(i.resolved_at is None for i in other)
    short = [i for i in checkout if i.resolved_at and i.resolved_at - i.created_at <= 20 * MINUTE]
    assert len(short) >= 3


def test_pagerduty_incidents_as_of(scenario: Scenario, pd: list[PdIncident]) -> None:
    later = pagerduty_incidents(scenario, as_of=AT + 6 * HOUR)
    by_id = {i.id: i for i in later}
    assert len(later) > len(pd)
    for i in pd:
        assert by_id[i.id].number == i.number and by_id[i.id].created_at == i.created_at
        if i.resolved_at is None:
            assert by_id[i.id].resolved_at is not None
    assert {i.created_at for i in later} - {i.created_at for i in pd} == {AT + 3 * HOUR}
    earlier = pagerduty_incidents(scenario, as_of=AT - 30 * DAY)
    assert all(i.created_at <= AT - 30 * DAY for i in earlier)
    open_then = [i.created_at for i in earlier if i.resolved_at is None]
    assert open_then == [AT - 30 * DAY - HOUR]


def test_many_incidents() -> None:
    incs = many_incidents()
    assert len(incs) == 500 and incs == many_incidents()
    assert many_incidents(seed=2) != incs
    assert len({i.id for i in incs}) == 500
    for i in incs:
        assert i.resolved_at is not None and AT - 90 * DAY <= i.created_at < i.resolved_at <= AT
        assert 5 * MINUTE <= i.resolved_at - i.created_at <= 6 * HOUR
        assert i.created_at.second == 0 and i.service_id == C
    assert [i.number for i in incs] == list(range(1, 501))


# ------------------------------------------------------------------- attribution_truth


@pytest.mark.parametrize(
    ("sli", "objective", "window"),
    [("availability", 99.9, "30d"), ("availability", 99.9, "month"), ("latency", 99.0, "quarter")],
)
def test_attribution_identity(
    scenario: Scenario, pd: list[PdIncident], sli: str, objective: float, window: str
) -> None:
    got = attribution_truth(scenario, pd, [C], sli, objective, window, AT)
    budget = budget_truth(scenario, sli, objective, window, AT)
    assert got["consumed"] == pytest.approx(budget["consumed_fraction"], abs=1e-12)
    assert got["consumed_minutes"] == pytest.approx(budget["consumed_minutes"], abs=1e-9)
    union, rest = got["attributed_union"], got["unattributed"]
    assert union["consumed_fraction"] + rest["consumed_fraction"] == pytest.approx(
        got["consumed"], abs=1e-9
    )
    assert union["bad_events"] + rest["bad_events"] == got["bad_events"]
    # the partial overlap makes the plain sum larger than the union
    plain = sum(r["bad_events"] for r in got["incidents"])
    assert plain > union["bad_events"]
    minutes = [r["budget_consumed_minutes"] for r in got["incidents"]]
    assert minutes == sorted(minutes, reverse=True)
    for r in got["incidents"]:
        assert r["budget_consumed_minutes"] == pytest.approx(
            r["budget_consumed_fraction"] * got["budget_minutes"], rel=1e-12
        )


def test_attribution_availability_30d(scenario: Scenario, pd: list[PdIncident]) -> None:
    got = attribution_truth(scenario, pd, [C], "availability", 99.9, "30d", AT)
    print("\n" + attribution_summary(got))
    rows = {r["id"]: r for r in got["incidents"]}
    listed = {i.id: i for i in pd}
    start = AT - W30
    # only checkout incidents overlapping (start, AT]
    expected = {
        i.id
        for i in pd
        if i.service_id == C and i.created_at < AT and (i.resolved_at or AT) > start
    }
    assert set(rows) == expected
    # the big injected 5xx incidents dominate: top 5 hold > 60 % of the consumed budget
    top = got["incidents"][:5]
    assert all("5xx" in r["title"] for r in top)
    assert sum(r["budget_consumed_fraction"] for r in top) > 0.6 * got["consumed"]
    # the edge-spanning incident is clipped to the window start
    (spanning,) = [r for r in got["incidents"] if r["start"] < start]
    end = listed[spanning["id"]].resolved_at
    assert end is not None
    assert spanning["bad_events"] == events(scenario, "availability", start, end)[0]
    assert spanning["bad_events"] < events(scenario, "availability", spanning["start"], end)[0]
    # the ongoing one is open and counted up to AT
    (ongoing,) = [r for r in got["incidents"] if r["status"] == "open"]
    assert ongoing["end"] is None
    assert ongoing["bad_events"] == events(scenario, "availability", AT - 25 * MINUTE, AT)[0]
    # quiet incidents (no injected errors) attribute about the baseline (0.03 %) only
    injected = [(i.start, i.end) for i in scenario.incidents]
    for r in got["incidents"]:
        inc = listed[r["id"]]
        b = inc.resolved_at or AT
        if not any(s < b and inc.created_at < e for s, e in injected):
            bad, total = events(scenario, "availability", max(inc.created_at, start), b)
            assert bad / total < 0.001, r
            assert r["budget_consumed_minutes"] < 0.05, r


def test_attribution_ignores_other_services(scenario: Scenario, pd: list[PdIncident]) -> None:
    only = attribution_truth(scenario, pd, [C], "availability", 99.9, "30d", AT)
    both = attribution_truth(scenario, pd, [C, OTH], "availability", 99.9, "30d", AT)
    assert len(both["incidents"]) > len(only["incidents"])
    assert both["unattributed"]["bad_events"] < only["unattributed"]["bad_events"]
    none = attribution_truth(scenario, pd, [], "availability", 99.9, "30d", AT)
    assert none["incidents"] == [] and none["unattributed"]["bad_events"] == none["bad_events"]


def test_attribution_calendar_window_scales_by_elapsed(
    scenario: Scenario, pd: list[PdIncident]
) -> None:
    got = attribution_truth(scenario, pd, [C], "latency", 99.0, "quarter", AT)
    _kind, start, end = window_bounds("quarter", AT)
    assert got["elapsed_fraction"] == (AT - start) / (end - start) < 1
    top = got["incidents"][0]
    assert top["title"] == "checkout slow responses"
    expected = top["bad_events"] / got["total_events"] / 0.01 * got["elapsed_fraction"]
    assert top["budget_consumed_fraction"] == pytest.approx(expected, rel=1e-12)
