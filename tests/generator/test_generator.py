"""Self-tests of the synthetic generator, its ground truth and the real-Prometheus fixture."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.generator.openmetrics import write_openmetrics
from tests.generator.prometheus_server import PrometheusServer, instant_value
from tests.generator.synthetic import (
    AT,
    DURATION,
    MINUTE,
    REQUESTS,
    Scenario,
    Series,
    build_scenario,
    check_resets_visible,
)
from tests.generator.truth import (
    budget_truth,
    events,
    firings_truth,
    summary,
    window_bounds,
)

# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The default scenario (built once for this module)."""
    return build_scenario()


@pytest.fixture(scope="module")
def om_file(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The scenario written as OpenMetrics."""
    path = write_openmetrics(scenario, tmp_path_factory.mktemp("om") / "scenario.om")
    yield path
    path.unlink()


# ------------------------------------------------------------------------------ scenario


def test_scenario_shape(scenario: Scenario) -> None:
    assert scenario.start == AT - timedelta(days=56)
    assert scenario.end == AT + timedelta(hours=6)
    assert scenario.minutes == 56 * 1440 + 6 * 60 + 1
    assert len(scenario.series) == 14
    for s in scenario.series:
        assert len(s.events) == scenario.minutes, s.selector
        assert s.events[0] == 0, s.selector
        assert min(s.events) >= 0, s.selector
    # histogram consistency: buckets cumulative per minute, count == +Inf
    base = {"service": "checkout", "instance": "a"}
    buckets = [
        scenario.find(f"{DURATION}_bucket", **base, le=le).events
        for le in ("0.05", "0.1", "0.25", "0.5", "1", "+Inf")
    ]
    count = scenario.find(f"{DURATION}_count", **base).events
    assert count == buckets[-1]
    for lower, upper in itertools.pairwise(buckets):
        assert all(a <= b for a, b in zip(lower, upper, strict=True))
    # histogram counts every request of instance a
    ok = scenario.find(REQUESTS, service="checkout", instance="a", code="200").events
    bad = scenario.find(REQUESTS, service="checkout", instance="a", code="500").events
    assert [x + y for x, y in zip(ok, bad, strict=True)] == count
    # quiet really is quiet: a handful per day
    quiet = events(scenario, "quiet_availability", AT - timedelta(days=30), AT)[1]
    assert 30 <= quiet <= 400


def test_incidents_cover_every_window(scenario: Scenario) -> None:
    kinds = {i.kind for i in scenario.incidents}
    assert kinds == {"availability", "latency"}
    ongoing = [i for i in scenario.incidents if i.start < AT < i.end]
    assert ongoing and ongoing[0].kind == "availability"
    assert any(i.start > AT for i in scenario.incidents), "a burst after AT must exist"
    for window in ("30d", "month", "quarter"):
        _kind, start, _end = window_bounds(window, AT)
        assert any(start < i.start < AT for i in scenario.incidents), window
    assert any(i.start < window_bounds("quarter", AT)[1] for i in scenario.incidents)


def test_resets_declared_and_visible(scenario: Scenario) -> None:
    assert set(scenario.resets) == {"checkout/a", "checkout/b"}
    a, b = scenario.resets["checkout/a"], scenario.resets["checkout/b"]
    assert len(a) >= 3 and len(b) >= 3
    assert not set(a) & set(b)
    assert any(scenario.time_of(k) > AT - timedelta(days=30) for k in a + b)
    assert check_resets_visible(scenario) == []


def test_deterministic() -> None:
    s1 = build_scenario(days_before=3, hours_after=1)
    s2 = build_scenario(days_before=3, hours_after=1)
    s3 = build_scenario(days_before=3, hours_after=1, seed=8)
    assert [s.events for s in s1.series] == [s.events for s in s2.series]
    assert [s.events for s in s1.series] != [s.events for s in s3.series]


# ------------------------------------------------------------------------------ OpenMetrics


def test_openmetrics_file(scenario: Scenario, om_file: Path) -> None:
    text = om_file.read_text()
    assert text.endswith("\n# EOF\n")
    lines = text.splitlines()
    assert lines[-1] == "# EOF"
    families: list[str] = []
    per_series: dict[str, list[tuple[int, float]]] = {}
    order: list[str] = []
    for line in lines[:-1]:
        if line.startswith("# TYPE "):
            families.append(line)
            continue
        assert not line.startswith("#"), line
        selector, value, ts = line.rsplit(" ", 2)
        if selector not in per_series:
            per_series[selector] = []
            order.append(selector)
        elif order[-1] != selector:
            pytest.fail(f"samples of {selector} are not contiguous")
        per_series[selector].append((int(ts), float(value)))
    assert families == [
        "# TYPE http_requests counter",
        "# TYPE http_request_duration_seconds histogram",
    ]
    assert set(per_series) == {s.selector for s in scenario.series}
    t0 = int(scenario.start.timestamp())
    for s in scenario.series:
        samples = per_series[s.selector]
        assert len(samples) == scenario.minutes, s.selector
        assert [ts for ts, _ in samples] == list(range(t0, t0 + 60 * scenario.minutes, 60))
        values = [v for _, v in samples]
        assert values[0] == 0
        resets = set(scenario.reset_minutes(s))
        for k in range(1, len(values)):
            if k in resets:
                assert values[k] < values[k - 1] or values[k - 1] == 0, (s.selector, k)
                assert values[k] == s.events[k], (s.selector, k)
            else:
                assert values[k] >= values[k - 1], (s.selector, k)
                assert abs(values[k] - values[k - 1] - s.events[k]) <= 1e-6, (s.selector, k)


# ------------------------------------------------------------------------------ truth (toy)


def _toy(errors: dict[int, int], minutes: int = 5 * 1440, per_minute: int = 100) -> Scenario:
    """A hand-made checkout service: ``per_minute`` requests, ``errors[k]`` of them 500."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ok: list[float] = [0.0, *(per_minute - errors.get(k, 0) for k in range(1, minutes))]
    bad: list[float] = [0.0, *(errors.get(k, 0) for k in range(1, minutes))]
    labels = (("service", "checkout"), ("instance", "a"))
    series = [
        Series(REQUESTS, (*labels, ("code", "200")), ok),
        Series(REQUESTS, (*labels, ("code", "500")), bad),
    ]
    return Scenario(start, minutes, start + (minutes - 1) * MINUTE, series, {})


def test_truth_on_hand_made_burst() -> None:
    burst = range(2 * 1440 + 600, 2 * 1440 + 630)  # 30 minutes at 50 % errors
    toy = _toy(dict.fromkeys(burst, 50))
    at = toy.time_of(4 * 1440)
    assert events(toy, "availability", toy.start, at) == (1500, 4 * 1440 * 100)
    assert events(toy, "availability", at, at) == (0, 0)
    assert events(toy, "availability", at - MINUTE, at) == (0, 100)
    # a < t_k <= b: the first burst minute belongs to (t_{k-1}, t_k]
    first = toy.time_of(burst[0])
    assert events(toy, "availability", first - MINUTE, first) == (50, 100)
    assert events(toy, "availability", first, first + MINUTE) == (50, 100)

    fired = firings_truth(toy, "availability", 99.9, "3d", at)
    page_1h = [f for f in fired if f["long_window"] == "1h"]
    # 3d window: threshold 0.02 * 72 = 1.44; one bad minute gives burn 100 (5m) and 8.3
    # (1h), so it fires at once; it ends when the 5m window no longer sees the burst
    threshold = 0.02 * 72
    assert page_1h == [
        {
            "severity": "page",
            "long_window": "1h",
            "short_window": "5m",
            "burn_rate_threshold": pytest.approx(threshold),
            "start": toy.time_of(burst[0]),
            "end": toy.time_of(burst[-1] + 5),
        }
    ]
    assert all(f["end"] is not None for f in fired)

    truth = budget_truth(toy, "availability", 99.9, "3d", at)
    ratio = 1500 / (3 * 1440 * 100)
    assert truth["window_kind"] == "rolling"
    assert truth["error_ratio"] == pytest.approx(ratio)
    assert truth["consumed_fraction"] == pytest.approx(ratio / 0.001)
    assert truth["minutes"] == pytest.approx(3 * 1440 * 0.001)
    assert truth["burn_rates"]["1d"] == pytest.approx(0.0)
    assert truth["burn_rates"]["3d"] == pytest.approx(ratio / 0.001)


def test_window_bounds() -> None:
    nov = datetime(2026, 11, 16, tzinfo=UTC)
    dec = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert window_bounds("month", nov)[1:] == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert window_bounds("quarter", nov)[1:] == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert window_bounds("month", dec)[2] == datetime(2027, 1, 1, tzinfo=UTC)
    assert window_bounds("28d", nov) == ("rolling", nov - timedelta(days=28), nov)
    with pytest.raises(ValueError):
        window_bounds("week", nov)


# ------------------------------------------------------------------------------ scenario truth


def test_scenario_firings_and_budgets(scenario: Scenario) -> None:
    print("\n" + summary(scenario, AT))
    fired = firings_truth(scenario, "availability", 99.9, "30d", AT)
    start = AT - timedelta(days=30)
    assert all(start <= f["start"] <= AT for f in fired)
    assert any(f["severity"] == "page" for f in fired)
    assert any(f["severity"] == "ticket" for f in fired)
    assert any(f["end"] is None for f in fired)
    assert {f["burn_rate_threshold"] for f in fired} <= {14.4, 6.0, 3.0, 1.0}
    assert firings_truth(scenario, "latency", 99, "quarter", AT)
    for sli, objective, window in (
        ("availability", 99.9, "30d"),
        ("availability", 99.9, "month"),
        ("availability", 99.9, "quarter"),
        ("latency", 99, "quarter"),
    ):
        consumed = budget_truth(scenario, sli, objective, window, AT)["consumed_fraction"]
        assert 0.3 <= consumed <= 1.5, (sli, window, consumed)
    # data after AT changes the numbers (code ignoring the pinned time gets caught)
    later = budget_truth(scenario, "availability", 99.9, "30d", AT + timedelta(hours=6))
    now = budget_truth(scenario, "availability", 99.9, "30d", AT)
    assert later["consumed_fraction"] > now["consumed_fraction"] + 0.2


# ------------------------------------------------------------------------------ real Prometheus


@pytest.mark.prometheus
def test_backfill_lost_no_samples(prometheus: PrometheusServer) -> None:
    sc = prometheus.scenario
    assert instant_value(prometheus.url, 'count({__name__=~"http_.+"})', prometheus.at) == len(
        sc.series
    )
    picks = [
        sc.find(REQUESTS, service="checkout", instance="a", code="500"),
        sc.find(REQUESTS, service="checkout", instance="b", code="200"),
        sc.find(f"{DURATION}_bucket", service="checkout", instance="a", le="0.25"),
        sc.find(f"{DURATION}_sum", service="checkout", instance="a"),
        sc.find(REQUESTS, service="quiet", instance="a", code="200"),
    ]
    for s in picks:
        cum = sc.cumulative(s)
        ks = {0, 1, sc.minutes // 3, sc.index_of(prometheus.at), sc.minutes - 1}
        for r in sc.reset_minutes(s)[:2]:
            ks |= {r - 1, r}
        for k in sorted(ks):
            got = instant_value(prometheus.url, s.selector, sc.time_of(k))
            assert got == cum[k], (s.selector, k, got, cum[k])


@pytest.mark.prometheus
def test_increase_is_exact(prometheus: PrometheusServer) -> None:
    sc, at = prometheus.scenario, prometheus.at
    bad, total = events(sc, "availability", at - timedelta(days=30), at)
    got_bad = instant_value(
        prometheus.url, 'sum(increase(http_requests_total{service="checkout",code="500"}[30d]))', at
    )
    assert got_bad == pytest.approx(bad, rel=1e-9)
    got_total = instant_value(
        prometheus.url, 'sum(increase(http_requests_total{service="checkout"}[30d]))', at
    )
    assert got_total == pytest.approx(total, rel=1e-9)
    # latency over the quarter so far (crosses histogram resets)
    q_start = window_bounds("quarter", at)[1]
    slow, count = events(sc, "latency", q_start, at)
    rng = f"[{(at - q_start) // MINUTE}m]"
    got_count = instant_value(
        prometheus.url, f"sum(increase(http_request_duration_seconds_count{rng}))", at
    )
    got_fast = instant_value(
        prometheus.url, f'sum(increase(http_request_duration_seconds_bucket{{le="0.25"}}{rng}))', at
    )
    assert got_count == pytest.approx(count, rel=1e-9)
    assert got_count - got_fast == pytest.approx(slow, rel=1e-9)
    # short window inside the ongoing incident
    b5, t5 = events(sc, "availability", at - timedelta(minutes=5), at)
    ratio = instant_value(
        prometheus.url,
        'sum(rate(http_requests_total{service="checkout",code="500"}[5m]))'
        ' / sum(rate(http_requests_total{service="checkout"}[5m]))',
        at,
    )
    assert ratio == pytest.approx(b5 / t5, rel=1e-9)


@pytest.mark.prometheus
def test_firing_edges_agree_with_prometheus(prometheus: PrometheusServer) -> None:
    """At every truth firing start (and the minute before) PromQL burn rates agree."""
    sc, at = prometheus.scenario, prometheus.at
    budget = 1 - 99.9 / 100

    def burn(window: str, t: datetime) -> float:
        expr = (
            f'sum(increase(http_requests_total{{service="checkout",code="500"}}[{window}]))'
            f' / sum(increase(http_requests_total{{service="checkout"}}[{window}]))'
        )
        return instant_value(prometheus.url, expr, t) / budget

    fired = firings_truth(sc, "availability", 99.9, "30d", at)
    window_start = window_bounds("30d", at)[1]
    assert fired
    for f in fired:
        factor = f["burn_rate_threshold"]
        edges = [(f["start"], True)]
        if f["start"] > window_start:  # a firing may be cut at the window start
            edges.append((f["start"] - MINUTE, False))
        if f["end"] is not None:
            edges += [(f["end"], False), (f["end"] - MINUTE, True)]
        for t, expected in edges:
            holds = burn(f["long_window"], t) > factor and burn(f["short_window"], t) > factor
            assert holds is expected, (f, t)


def test_missing_binaries_raise_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.generator import prometheus_server as ps

    monkeypatch.setattr(ps, "PROMETHEUS", "/nonexistent/prometheus")
    monkeypatch.setattr("shutil.which", lambda _name: None)
    toy = _toy({}, minutes=10)
    with pytest.raises(ps.PrometheusError, match="apt-get install -y prometheus"):
        PrometheusServer(toy).start()
