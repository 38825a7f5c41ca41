"""The worked example's data reproduces the seed's numbers (ground truth only, no product code)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.generator.incident_truth import (
    attribution_summary,
    attribution_truth,
    reliability_truth,
    trend_truth,
)
from tests.generator.incidents import PdIncident
from tests.generator.prometheus_server import PrometheusServer, instant_value
from tests.generator.synthetic import MINUTE, Scenario, build_scenario
from tests.generator.truth import SUMMARY_SLOS, budget_truth, events, firings_truth, summary
from tests.generator.worked_example import (
    CAPACITY,
    DEADLINE,
    DEPLOY,
    OBJECTIVE_PERCENT,
    QUARTER_START,
    RELIABILITY_WINDOW,
    SERVICE_ID,
    THIRD_PARTY,
    TIMELINE,
    TOP_TITLES,
    WINDOW,
    WORKED_AT,
    build_worked_example,
    start_worked_example_server,
    worked_incidents,
)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
THIRD_PARTY_WORDS = ("third-party", "third party", "provider", "upstream", "vendor")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The worked example's history (built once for this module)."""
    return build_worked_example()


@pytest.fixture(scope="module")
def pd() -> list[PdIncident]:
    """The PagerDuty incidents listed at WORKED_AT."""
    return worked_incidents()


def _budget(scenario: Scenario, at: datetime = WORKED_AT) -> dict[str, Any]:
    return budget_truth(scenario, "availability", OBJECTIVE_PERCENT, WINDOW, at)


def _attribution(scenario: Scenario, pd: list[PdIncident]) -> dict[str, Any]:
    return attribution_truth(
        scenario, pd, [SERVICE_ID], "availability", OBJECTIVE_PERCENT, WINDOW, WORKED_AT
    )


# ------------------------------------------------------------------------------ shape


def test_times_and_shape(scenario: Scenario) -> None:
    assert datetime(2027, 1, 15, 9, 36, tzinfo=UTC) == WORKED_AT
    assert (WORKED_AT - QUARTER_START) / timedelta(days=90) == pytest.approx(0.16)
    assert timedelta(days=90) == RELIABILITY_WINDOW
    assert date(2027, 1, 29) == DEADLINE
    assert scenario.at == WORKED_AT
    assert scenario.start == datetime(2026, 9, 15, 9, 36, tzinfo=UTC)
    assert scenario.end == WORKED_AT + 3 * HOUR
    # Q4 2026 and the 3-day pre-roll of its burn-rate windows are in the history
    assert scenario.start <= datetime(2026, 10, 1, tzinfo=UTC) - 3 * DAY
    # the same series and labels as the default scenario, so the same SLI queries work
    default = build_scenario(days_before=1, hours_after=0)
    assert [s.selector for s in scenario.series] == [s.selector for s in default.series]
    assert all(len(s.events) == scenario.minutes for s in scenario.series)


def test_incidents_match_history(scenario: Scenario, pd: list[PdIncident]) -> None:
    assert [i.created_at for i in pd] == sorted(i.created_at for i in pd)
    assert len({i.id for i in pd}) == len(pd)
    assert {i.service_id for i in pd} == {SERVICE_ID}
    assert all(i.created_at <= WORKED_AT and i.status_at(WORKED_AT) == "resolved" for i in pd)
    spans = {(i.created_at, i.resolved_at) for i in pd}
    for inc in scenario.incidents:
        if inc.start < WORKED_AT:
            assert (inc.start, inc.end) in spans, inc.describe()
        else:  # the burst after WORKED_AT: listed once PagerDuty is asked later
            later = worked_incidents(as_of=inc.end)
            assert [(i.created_at, i.resolved_at) for i in later[len(pd) :]] == [
                (inc.start, inc.end)
            ]
            assert [i.id for i in later[: len(pd)]] == [i.id for i in pd]
    assert len(pd) == len(TIMELINE) - 1


# ------------------------------------------------------------------------------ budget


def test_budget_consumed_56_percent_in_16_percent(scenario: Scenario) -> None:
    print("\n" + summary(scenario, WORKED_AT))
    b = _budget(scenario)
    assert b["window_start"] == QUARTER_START
    assert b["elapsed_fraction"] == pytest.approx(0.16)
    assert b["consumed_fraction"] == pytest.approx(0.56, abs=0.01)
    assert b["error_ratio"] == pytest.approx(0.0035, abs=0.0001)
    assert b["projected_fraction_at_window_end"] == pytest.approx(3.5, abs=0.07)
    assert b["minutes"] == pytest.approx(129.6)
    # at this pace the budget is gone about 10 days after WORKED_AT, before the deadline
    assert b["exhaustion_at"] is not None
    assert WORKED_AT < b["exhaustion_at"] < datetime.combine(DEADLINE, datetime.min.time(), UTC)
    # no other SLO of the summary projects worse (January's month window ties: same days)
    for sli, objective, window in SUMMARY_SLOS:
        other = budget_truth(scenario, sli, objective, window, WORKED_AT)
        assert other["projected_fraction_at_window_end"] <= b[
            "projected_fraction_at_window_end"
        ] * (1 + 1e-9), (sli, window)
    # the trailing quarter (Q4 2026) was quiet: it met its objective with budget to spare
    q4 = _budget(scenario, QUARTER_START - MINUTE)
    assert q4["window_start"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert q4["consumed_fraction"] < 0.5


def test_page_firings_this_quarter(scenario: Scenario) -> None:
    fired = firings_truth(scenario, "availability", OBJECTIVE_PERCENT, WINDOW, WORKED_AT)
    pages = [f for f in fired if f["severity"] == "page"]
    assert len(pages) >= 2
    assert all(f["start"] >= QUARTER_START and f["end"] is not None for f in fired)
    # every page belongs to one of the three top incidents; each of them paged
    top = [r for r in TIMELINE if r.title in TOP_TITLES]
    paged = {r.title for f in pages for r in top if r.created_at < f["start"] <= r.resolved_at}
    assert paged == set(TOP_TITLES)
    assert all(any(r.created_at < f["start"] <= r.resolved_at for r in top) for f in pages), pages


# ------------------------------------------------------------------------------ incidents


def test_mtbf_degrading_sharply_mttr_slightly(pd: list[PdIncident]) -> None:
    r = reliability_truth(pd, [SERVICE_ID], WORKED_AT, RELIABILITY_WINDOW)
    now, before = r["current"], r["trailing"]
    print(f"\ncurrent {now}\ntrailing {before}")
    assert now["incidents"] == 22 and before["incidents"] == 10
    assert now["open"] == before["open"] == 0
    assert now["mtbf_hours"] == pytest.approx(4.1 * 24)
    assert before["mtbf_hours"] == pytest.approx(9.2 * 24)
    assert now["mttr_minutes"] == pytest.approx(22.0)
    assert before["mttr_minutes"] == pytest.approx(18.0)
    assert trend_truth(now["mtbf_hours"], before["mtbf_hours"], lower_is_better=False) == (
        "degrading",
        "sharply",
    )
    assert trend_truth(now["mttr_minutes"], before["mttr_minutes"], lower_is_better=True) == (
        "degrading",
        "slightly",
    )
    # Q1 alone is busier still than the current window as a whole
    q1 = [i for i in pd if i.created_at >= QUARTER_START]
    assert len(q1) == 6


def test_top_three_incidents(scenario: Scenario, pd: list[PdIncident]) -> None:
    a = _attribution(scenario, pd)
    print("\n" + attribution_summary(a, top=6))
    rows = a["incidents"]
    assert tuple(r["title"] for r in rows[:3]) == TOP_TITLES == (DEPLOY, THIRD_PARTY, CAPACITY)
    minutes = {r["title"]: r["budget_consumed_minutes"] for r in rows[:3]}
    assert minutes[DEPLOY] == pytest.approx(30.8, abs=1.0)
    assert minutes[THIRD_PARTY] == pytest.approx(26.8, abs=1.0)
    assert minutes[CAPACITY] == pytest.approx(12.4, abs=1.0)
    assert all(r["budget_consumed_minutes"] < 1.0 for r in rows[3:])
    top_share = sum(r["budget_consumed_fraction"] for r in rows[:3]) / a["consumed"]
    assert top_share > 0.9
    assert a["consumed"] == pytest.approx(_budget(scenario)["consumed_fraction"])
    # the third-party incident is a large minority of the burn, not most of it
    third = [r for r in rows if any(w in r["title"].lower() for w in THIRD_PARTY_WORDS)]
    assert [r["title"] for r in third] == [THIRD_PARTY]
    assert 0.3 < third[0]["budget_consumed_fraction"] / a["consumed"] < 0.5


def test_two_of_top_three_have_fixes_in_flight(scenario: Scenario, pd: list[PdIncident]) -> None:
    by_id = {i.id: i for i in pd}
    top = [by_id[r["id"]] for r in _attribution(scenario, pd)["incidents"][:3]]
    notes = {i.title: i.note or "" for i in top}
    assert all(n.startswith("Root cause:") for n in notes.values())
    with_fix = [t for t, n in notes.items() if "fix" in n.lower()]
    assert sorted(with_fix) == sorted([DEPLOY, CAPACITY])
    assert "fix in review" in notes[DEPLOY]
    assert "fix in flight" in notes[CAPACITY]
    assert "third-party provider degradation" in notes[THIRD_PARTY]
    # no other Q1 incident mentions a third party
    others = [i for i in pd if i.created_at >= QUARTER_START and i.title != THIRD_PARTY]
    assert not any(
        w in f"{i.title} {i.note or ''}".lower() for i in others for w in THIRD_PARTY_WORDS
    )


# ------------------------------------------------------------------------------ real Prometheus


@pytest.fixture(scope="module")
def worked_prometheus() -> Iterator[PrometheusServer]:
    """Prometheus backfilled with the worked example (started only if a test asks)."""
    t0 = time.monotonic()
    server = start_worked_example_server()
    server.timings["total"] = time.monotonic() - t0
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.prometheus
def test_prometheus_agrees_with_truth(worked_prometheus: PrometheusServer) -> None:
    prom = worked_prometheus
    print(f"\ntimings: {prom.timings}")
    assert prom.at == WORKED_AT
    sc = prom.scenario
    bad, total = events(sc, "availability", QUARTER_START, WORKED_AT)
    rng = f"[{(WORKED_AT - QUARTER_START) // MINUTE}m]"
    got_bad = instant_value(
        prom.url,
        f'sum(increase(http_requests_total{{service="checkout",code="500"}}{rng}))',
        WORKED_AT,
    )
    got_total = instant_value(
        prom.url, f'sum(increase(http_requests_total{{service="checkout"}}{rng}))', WORKED_AT
    )
    assert got_bad == pytest.approx(bad, rel=1e-9)
    assert got_total == pytest.approx(total, rel=1e-9)
    consumed = got_bad / got_total / (1 - OBJECTIVE_PERCENT / 100) * 0.16
    assert consumed == pytest.approx(_budget(sc)["consumed_fraction"], rel=1e-9)
    assert instant_value(prom.url, 'count({__name__=~"http_.+"})', WORKED_AT) == len(sc.series)
