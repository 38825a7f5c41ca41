"""Packs drafted from each real backend (Prometheus, VictoriaMetrics), checked against the
generator's own ground truth, and where the backends differ against tests/generator/backend_truth.py
(docs/backends.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.prometheus import PrometheusCollector
from daemon.app import build_prometheus
from daemon.config import load_config
from daemon.core.pack import Decision, pack_to_json
from daemon.drafting import draft_pack
from tests.generator import backend_truth, truth
from tests.generator.backend_truth import Backend
from tests.generator.synthetic import AT
from tests.packs import LATENCY_SLI, QUIET_SLI, RATIO_SLI, slo, validated, write_config
from tests.support.counting_proxy import counting_proxy

pytestmark = pytest.mark.prometheus

REL = 1e-9
LATER = datetime(2026, 11, 10, 7, 13, tzinfo=UTC)  # another instant on the sample grid

CASES = [
    # (truth SLI, objective, window, evaluation time)
    ("availability", 99.9, "30d", AT),
    ("availability", 99.9, "month", AT),
    ("availability", 99.9, "quarter", AT),
    ("latency", 99.0, "quarter", AT),
    ("latency", 99.0, "28d", AT),
    ("availability", 99.5, "month", LATER),
    ("latency", 99.0, "28d", LATER),
]
SLIS = {"availability": RATIO_SLI, "latency": LATENCY_SLI, "quiet_availability": QUIET_SLI}


def _draft(
    config_path: Path, service: str, at: datetime, prom: PrometheusCollector | None = None
) -> dict[str, Any]:
    config = load_config(config_path)
    collector = prom or build_prometheus(config.prometheus)
    pack = draft_pack(config, service, at, Decision(), collector, "slo-prep test")
    return validated(pack_to_json(pack))


@pytest.fixture(scope="module")
def packs(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, float, str, datetime], dict[str, Any]]:
    """One pack per evaluation time holding every case's SLO, drafted once for the module."""
    out = {}
    for at in sorted({case[3] for case in CASES}):
        cases = [c for c in CASES if c[3] == at]
        slos = [slo(f"s{n}", c[1], c[2], SLIS[c[0]]) for n, c in enumerate(cases)]
        path = write_config(tmp_path_factory.mktemp("cfg"), backend.url, {"checkout": slos})
        document = _draft(path, "checkout", at)
        for case, entry in zip(cases, document["slos"], strict=True):
            out[case] = entry
    return out


def _ids(case: tuple[str, float, str, datetime]) -> str:
    return f"{case[0]}-{case[1]}-{case[2]}-{case[3]:%m%dT%H%M}"


def _close(got: float | None, want: float | None) -> bool:
    if want is None or got is None:
        return got is want
    return math.isclose(got, want, rel_tol=REL, abs_tol=1e-15)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_budget_numbers_equal_ground_truth(packs: dict, backend: Backend, case) -> None:
    sli, objective, window, at = case
    want = truth.budget_truth(backend.scenario, sli, objective, window, at)
    got = packs[case]
    assert got["status"] == "ok", got["problems"]
    assert got["window"]["kind"] == want["window_kind"]
    assert _time(got["window"]["start"]) == want["window_start"]
    assert _time(got["window"]["end"]) == want["window_end"]
    assert _close(got["window"]["elapsed_fraction"], want["elapsed_fraction"])
    budget = got["budget"]
    for key in (
        "minutes",
        "error_ratio",
        "consumed_fraction",
        "consumed_minutes",
        "remaining_fraction",
        "projected_fraction_at_window_end",
    ):
        assert _close(budget[key], want[key]), (key, budget[key], want[key])
    got_exhaustion, want_exhaustion = _time(budget["exhaustion_at"]), want["exhaustion_at"]
    if want_exhaustion is None:
        assert got_exhaustion is None
    else:
        assert got_exhaustion is not None
        assert abs((got_exhaustion - want_exhaustion).total_seconds()) < 0.01
    bad, total = truth.events(backend.scenario, sli, want["window_start"], at)
    assert _close(got["events"]["bad"], bad) and _close(got["events"]["total"], total)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_burn_rates_equal_ground_truth(packs: dict, backend: Backend, case) -> None:
    sli, objective, window, at = case
    want = truth.budget_truth(backend.scenario, sli, objective, window, at)["burn_rates"]
    got = packs[case]["burn_rates"]
    assert set(got) == set(want)
    for label, rate in want.items():
        assert _close(got[label], rate), (label, got[label], rate)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_firings_equal_ground_truth(packs: dict, backend: Backend, case) -> None:
    sli, objective, window, at = case
    want = backend_truth.firings_for(backend, sli, objective, window, at)
    got = packs[case]["firings"]
    assert len(got) == len(want), (len(got), len(want))

    def key(f: dict[str, Any]) -> tuple[str, str, str]:
        return (f["severity"], f["long_window"], f["short_window"])

    for g, w in zip(
        sorted(got, key=lambda f: (key(f), f["start"])),
        sorted(want, key=lambda f: (key(f), f["start"])),
        strict=True,
    ):
        assert key(g) == key(w)
        assert _close(g["burn_rate_threshold"], w["burn_rate_threshold"])
        assert abs((_time(g["start"]) - w["start"]).total_seconds()) <= 60
        if w["end"] is None:
            assert g["end"] is None
        else:
            assert abs((_time(g["end"]) - w["end"]).total_seconds()) <= 60


def test_the_scenario_makes_every_kind_of_firing(packs: dict) -> None:
    firings = packs[("availability", 99.9, "30d", AT)]["firings"]
    assert {f["severity"] for f in firings} == {"page", "ticket"}
    assert any(f["end"] is None for f in firings)


def test_policy_state_and_conditions_follow_the_burn_rates(packs: dict) -> None:
    availability = packs[("availability", 99.9, "30d", AT)]
    # 110 % of the 30-day budget is gone: the policy reads exhausted
    assert availability["budget"]["remaining_fraction"] < 0
    assert availability["policy_state"] == "exhausted"
    firing = [c for c in availability["alert_conditions"] if c["firing"]]
    assert {(c["long_window"], c["short_window"]) for c in firing} == {("1h", "5m"), ("6h", "30m")}
    still_open = {
        (f["long_window"], f["short_window"]) for f in availability["firings"] if not f["end"]
    }
    assert still_open == {("1h", "5m"), ("6h", "30m")}


def test_every_query_is_pinned_to_the_evaluation_time(backend: Backend, tmp_path: Path) -> None:
    path = write_config(tmp_path, backend.url, {"checkout": [slo("a", 99.9, "month", RATIO_SLI)]})
    document = _draft(path, "checkout", AT)
    assert document["evaluated_at"] == "2026-11-16T00:00:00Z"
    for source in document["sources"]:
        assert source.get("time", source.get("end")) == "2026-11-16T00:00:00Z"
        assert source["backend"] == backend.url
    # data after AT exists and is much worse: a pack that ignored --at would differ
    later = _draft(path, "checkout", AT + timedelta(hours=6))
    assert (
        later["slos"][0]["budget"]["consumed_fraction"]
        > document["slos"][0]["budget"]["consumed_fraction"]
    )


def _points(window_start: datetime, at: datetime) -> int:
    """Minute-grid points from three days before the window to ``at``, both included."""
    return int((at - (window_start - timedelta(days=3))).total_seconds()) // 60 + 1


@pytest.mark.parametrize(
    ("window", "start"),
    [("30d", AT - timedelta(days=30)), ("quarter", datetime(2026, 10, 1, tzinfo=UTC))],
)
def test_round_trips_grow_only_with_range_chunks(
    backend: Backend, tmp_path: Path, window: str, start: datetime
) -> None:
    with counting_proxy(backend.url) as proxy:
        path = write_config(tmp_path, proxy.url, {"checkout": [slo("a", 99.9, window, RATIO_SLI)]})
        document = _draft(path, "checkout", AT)
    chunks = -(-_points(start, AT) // 11_000)
    # budget (bad, total) + 7 burn windows x (bad, total) + 2 earlier windows x (bad, total)
    # instant queries, then the bad and total per-minute series, each in `chunks` requests
    assert proxy.paths["/api/v1/query"] == 2 + 7 * 2 + 2 * 2
    assert proxy.paths["/api/v1/query_range"] == 2 * chunks
    assert sum(s.get("round_trips", 1) for s in document["sources"]) == proxy.total


def test_too_few_events_is_said_and_numbers_still_exact(backend: Backend, tmp_path: Path) -> None:
    path = write_config(tmp_path, backend.url, {"quiet": [slo("a", 99.0, "30d", QUIET_SLI)]})
    got = _draft(path, "quiet", AT)["slos"][0]
    want = truth.budget_truth(backend.scenario, "quiet_availability", 99.0, "30d", AT)
    assert [p["code"] for p in got["problems"]] == ["too_few_events"]
    assert got["status"] == "degraded"
    assert _close(got["budget"]["consumed_fraction"], want["consumed_fraction"])


def test_missing_latency_bucket_names_the_buckets(backend: Backend, tmp_path: Path) -> None:
    sli = {"latency": {**LATENCY_SLI["latency"], "threshold_seconds": 0.3}}
    path = write_config(tmp_path, backend.url, {"checkout": [slo("a", 99, "30d", sli)]})
    got = _draft(path, "checkout", AT)["slos"][0]
    assert got["status"] == "unavailable" and got["budget"] is None
    assert [p["code"] for p in got["problems"]] == ["missing_bucket"]
    assert "0.05, 0.1, 0.25, 0.5, 1, +Inf" in got["problems"][0]["message"]


def test_query_error_is_reported_with_the_backends_reason(backend: Backend, tmp_path: Path) -> None:
    sli = {"error_query": "sum(rate(x{[{{.window}}]))", "total_query": RATIO_SLI["total_query"]}
    path = write_config(tmp_path, backend.url, {"checkout": [slo("a", 99.9, "30d", sli)]})
    got = _draft(path, "checkout", AT)["slos"][0]
    assert got["budget"] is None and got["firings"] is None
    assert got["problems"][0]["code"] == "query_error"
    assert backend_truth.PARSE_ERROR[backend.name] in got["problems"][0]["message"]
    assert all(rate is None for rate in got["burn_rates"].values())


def test_no_data_is_not_a_zero(backend: Backend, tmp_path: Path) -> None:
    sli = {
        "error_query": 'sum(rate(nope_total{code="500"}[{{.window}}]))',
        "total_query": "sum(rate(nope_total[{{.window}}]))",
    }
    path = write_config(tmp_path, backend.url, {"checkout": [slo("a", 99.9, "30d", sli)]})
    got = _draft(path, "checkout", AT)["slos"][0]
    assert got["budget"] is None and got["events"] is None
    assert "no_data" in [p["code"] for p in got["problems"]]
    assert got["policy_state"] == "unknown"
    assert got["firings"] is None, "an empty history is not 'no firings'"


def test_slos_sharing_an_sli_share_their_queries(backend: Backend, tmp_path: Path) -> None:
    # config order: the 30-day SLO first, the quarter (earlier start) second
    slos = [slo("a", 99.9, "30d", RATIO_SLI), slo("b", 99.5, "quarter", RATIO_SLI)]
    with counting_proxy(backend.url) as proxy:
        path = write_config(tmp_path, proxy.url, {"checkout": slos})
        document = _draft(path, "checkout", AT)
    # two budgets and two pairs of earlier windows (different ranges), one set of 7 x 2
    # burn-rate queries
    assert proxy.paths["/api/v1/query"] == 2 * 2 + 2 * 2 * 2 + 7 * 2
    # one per-minute history, the quarter's (the widest), serves both SLOs
    quarter_chunks = -(-_points(datetime(2026, 10, 1, tzinfo=UTC), AT) // 11_000)
    assert proxy.paths["/api/v1/query_range"] == 2 * quarter_chunks
    a, b = document["slos"]
    assert [a["name"], b["name"]] == ["a", "b"]
    assert a["source_ids"]["burn_5m"] == b["source_ids"]["burn_5m"]
    assert a["source_ids"]["firings"] == b["source_ids"]["firings"]
    # shared answers still scale by each SLO's own budget (0.1 % vs 0.5 %) and window
    assert math.isclose(a["burn_rates"]["1h"], 5 * b["burn_rates"]["1h"], rel_tol=1e-9)
    for entry, objective, window in ((a, 99.9, "30d"), (b, 99.5, "quarter")):
        want = backend_truth.firings_for(backend, "availability", objective, window, AT)
        assert [(f["severity"], f["long_window"]) for f in entry["firings"]] == [
            (f["severity"], f["long_window"]) for f in want
        ]
        assert all(
            abs((_time(g["start"]) - w["start"]).total_seconds()) <= 60
            for g, w in zip(entry["firings"], want, strict=True)
        )


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_alert_conditions_now_follow_the_truth(packs: dict, backend: Backend, case) -> None:
    sli, objective, window, at = case
    want = truth.budget_truth(backend.scenario, sli, objective, window, at)
    period = want["window_end"] - want["window_start"]
    got = {
        (c["severity"], c["long_window"], c["short_window"]): c
        for c in packs[case]["alert_conditions"]
    }
    assert len(got) == len(truth.ALERT_CONDITIONS)
    firing_now = False
    for severity, long_w, short_w, spent in truth.ALERT_CONDITIONS:
        condition = got[(severity, long_w, short_w)]
        threshold = spent * (period / truth.BURN_WINDOWS[long_w])
        assert _close(condition["burn_rate_threshold"], threshold)
        long_rate, short_rate = want["burn_rates"][long_w], want["burn_rates"][short_w]
        assert _close(condition["long_burn_rate"], long_rate)
        assert _close(condition["short_burn_rate"], short_rate)
        holds = long_rate > threshold and short_rate > threshold
        assert condition["firing"] is holds
        firing_now = firing_now or holds
    # a condition firing now is an open firing in the history, and vice versa
    open_firings = {
        (f["severity"], f["long_window"], f["short_window"])
        for f in packs[case]["firings"]
        if f["end"] is None
    }
    assert open_firings == {k for k, c in got.items() if c["firing"]}
    expected_state = (
        "exhausted"
        if want["remaining_fraction"] <= 0
        else "burning_fast"
        if any(c["firing"] and c["severity"] == "page" for c in got.values())
        else "burning_slow"
        if firing_now
        else "healthy"
    )
    assert packs[case]["policy_state"] == expected_state


def test_earlier_windows_equal_the_truth(packs: dict, backend: Backend) -> None:
    got = packs[("availability", 99.9, "month", AT)]["earlier_windows"]
    october = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert [_time(got[0]["start"]), _time(got[0]["end"])] == list(october)
    bad, total = truth.events(backend.scenario, "availability", *october)
    assert _close(got[0]["error_ratio"], bad / total)
    assert got[0]["missed"] is (bad / total > 0.001)
    # September starts before the generated history: Prometheus extrapolates, so it is only
    # checked for its bounds; August has no data at all and says so with a null
    assert _time(got[1]["start"]) == datetime(2026, 9, 1, tzinfo=UTC)


def test_a_packs_queries_are_in_flight_together_and_cited_in_order(
    backend: Backend, tmp_path: Path
) -> None:
    from daemon.drafting import PACK_CONCURRENCY

    slos = [slo("a", 99.9, "30d", RATIO_SLI), slo("b", 99.0, "quarter", LATENCY_SLI)]
    with counting_proxy(backend.url) as proxy:
        proxy.delay_seconds = 0.05  # a network: each answer takes a while
        path = write_config(tmp_path, proxy.url, {"checkout": slos})
        document = _draft(path, "checkout", AT)
        assert 2 <= proxy.max_in_flight <= PACK_CONCURRENCY
    # nothing asked twice or in vain: every request on the wire is a cited source
    assert sum(s.get("round_trips", 1) for s in document["sources"]) == proxy.total
    # ids follow the order in which the pack reads the answers, not the order they came back
    ids = [s["id"] for s in document["sources"]]
    assert ids == [f"q{n}" for n in range(1, len(ids) + 1)]
    queries = [s["query"] for s in document["sources"]]
    latency_lookup = next(i for i, q in enumerate(queries) if q.startswith("group by (le)"))
    # the quarter's SLO comes first (earliest window start), its bucket lookup before its rates
    assert latency_lookup == 0
    assert document["slos"][1]["budget"] is not None and document["slos"][0]["budget"] is not None
