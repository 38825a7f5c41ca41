"""The collect cycle's batched burn-rate evaluation (``evaluate_cycle``) against a real
Prometheus: the numbers of the query-by-query path and of the generator's own counters, the
requests on the wire, a broken SLO among good ones, and an outage in the middle of a cycle."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.scale_data import (
    BURN_WINDOWS,
    ScaleData,
    ScalePrometheus,
    expected_burn,
    prepare,
    write_slo_prep_config,
)
from collectors.prometheus import connect
from daemon.config.load import load_config
from daemon.config.model import ServiceConfig
from daemon.core.durations import format_duration
from daemon.core.evidence import SloEvidence
from daemon.drafting import CycleEvaluation, evaluate_burns, evaluate_cycle
from daemon.messages import QUERY_NOT_SINGLE
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.truth import budget_truth
from tests.packs import LATENCY_SLI, QUIET_SLI, RATIO_SLI, slo, write_config
from tests.support.counting_proxy import CountingProxy, counting_proxy

SERVICES = 4
SLOS_PER_SERVICE = 3
# queries per SLO: bad and total for each burn window
PER_SLO = 2 * len(BURN_WINDOWS)


@dataclass
class Scale:
    data: ScaleData
    prometheus: ScalePrometheus
    directory: Path


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scale]:
    """12 generated SLOs (4 services x 3) on their own Prometheus, anchored at this minute."""
    directory = tmp_path_factory.mktemp("scale")
    data = prepare(directory / "data", SERVICES, SLOS_PER_SERVICE)
    with ScalePrometheus(directory / "data" / "blocks") as server:
        yield Scale(data, server, directory)


def _services(scale: Scale, url: str, name: str = "slo-prep.yaml") -> list[ServiceConfig]:
    path = write_slo_prep_config(
        scale.data, scale.directory / name, url, prometheus_options={"retries": 0}
    )
    return list(load_config(path).services)


def _assert_truth(scale: Scale, cycle: CycleEvaluation, at: datetime) -> int:
    """Every burn rate equals the generator's; returns how many were checked."""
    checked = 0
    for service, evidence in cycle.evidence.items():
        for e in evidence:
            expected = expected_burn(scale.data, scale.data.slo(service, e.spec.name), at)
            assert not [p for p in e.problems if p.severity == "error"], e.problems
            for seconds in BURN_WINDOWS:
                want, got = expected[seconds].burn_rate, e.burn_rates[seconds]
                assert (got is None) == (want is None), (service, e.spec.name, seconds, got)
                if want is not None:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
                checked += 1
    return checked


def _assert_cites_alone(scale: Scale, cycle: CycleEvaluation) -> None:
    """Each burn window cites the query as it would be sent alone: the SLO's own template,
    filled for that window, at the cycle's instant."""
    for service, evidence in cycle.evidence.items():
        by_id = {s.id: s for s in cycle.sources[service]}
        for e in evidence:
            generated = scale.data.slo(service, e.spec.name)
            for seconds in BURN_WINDOWS:
                bad_id, total_id = e.source_ids[f"burn_{format_duration(seconds)}"]
                w = format_duration(seconds)
                assert by_id[bad_id].query == generated.error_query.replace("{{.window}}", w)
                assert by_id[total_id].query == generated.total_query.replace("{{.window}}", w)
                assert by_id[bad_id].kind == "instant"


def _alone(services: list[ServiceConfig], at: datetime, url: str) -> dict[str, object]:
    collector = connect(url, timeout_seconds=30, retries=0, headers={})
    return {s.name: evaluate_burns(s, at, collector) for s in services}


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=17.123)])
def test_batches_answer_what_each_query_answers_alone_and_the_truth(
    scale: Scale, offset: timedelta
) -> None:
    at = scale.data.spec.anchor + offset
    with counting_proxy(scale.prometheus.url) as proxy:
        services = _services(scale, proxy.url)
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        cycle = evaluate_cycle(services, at, collector, batch_size=4, max_concurrency=3)
        sent = proxy.total
        bodies = list(proxy.bodies)
    distinct = SERVICES * SLOS_PER_SERVICE * PER_SLO
    assert sent == cycle.requests == math.ceil(distinct / 4)
    assert len(bodies) == sent  # every batch went as a POST form
    assert all(urllib.parse.parse_qs(b.decode())["time"] for b in bodies)
    assert _assert_truth(scale, cycle, at) == distinct // 2
    assert cycle.evidence == _alone(services, at, scale.prometheus.url)
    _assert_cites_alone(scale, cycle)


def test_batch_size_one_sends_each_query_alone(scale: Scale) -> None:
    at = scale.data.spec.anchor
    with counting_proxy(scale.prometheus.url) as proxy:
        services = _services(scale, proxy.url)
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        cycle = evaluate_cycle(services, at, collector, batch_size=1, max_concurrency=2)
        assert proxy.bodies == []
        assert proxy.total == cycle.requests == SERVICES * SLOS_PER_SERVICE * PER_SLO
    _assert_truth(scale, cycle, at)
    assert cycle.evidence == _alone(services, at, scale.prometheus.url)


def _broken_config(scale: Scale, url: str) -> list[ServiceConfig]:
    """The generated config plus a service whose first SLO's template does not parse and whose
    second SLO's total query returns one series per status code."""
    good = scale.data.slo("svc-000", "s0")
    broken = {
        "does-not-parse": {
            "error_query": good.error_query.replace('"}', '"', 1),
            "total_query": good.total_query,
        },
        "several-series": {
            "error_query": good.error_query,
            "total_query": good.total_query.replace("sum(rate(", "sum by (code) (rate(", 1),
        },
    }
    services = _services(scale, url)
    path = write_config(
        scale.directory,
        url,
        {"broken": [slo(name, 99.9, "30d", sli) for name, sli in broken.items()]},
    )
    return [*load_config(path).services, *services]


def test_a_broken_slo_does_not_blind_the_others(scale: Scale) -> None:
    at = scale.data.spec.anchor
    with counting_proxy(scale.prometheus.url) as proxy:
        services = _broken_config(scale, proxy.url)
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        # one SLO's 14 queries per batch: the unparseable SLO's batch is rejected whole
        cycle = evaluate_cycle(services, at, collector, batch_size=PER_SLO, max_concurrency=2)
        sent = proxy.total
    does_not_parse, several = cycle.evidence["broken"]
    # the rejected batch was re-sent query by query: only the bad query's 7 windows fail
    assert {p.code for p in does_not_parse.problems if p.severity == "error"} == {"query_error"}
    assert all(v is None for v in does_not_parse.burn_rates.values())
    assert {p.code for p in several.problems if p.severity == "error"} == {"query_error"}
    assert any(QUERY_NOT_SINGLE.format(count=2) in p.message for p in several.problems)
    good = {name: e for name, e in cycle.evidence.items() if name != "broken"}
    _assert_truth(scale, CycleEvaluation(good, cycle.sources, cycle.requests), at)
    # the broken SLOs share one template each with svc-000/s0: 7 windows of 2 new templates
    distinct = (SERVICES * SLOS_PER_SERVICE + 1) * PER_SLO
    assert sent == cycle.requests == distinct // PER_SLO + PER_SLO
    # and the broken SLOs read as they do query by query
    alone = _alone(services, at, scale.prometheus.url)["broken"]
    assert isinstance(alone, tuple)
    _same_problems(cycle.evidence["broken"], alone)


def _same_problems(batched: tuple[SloEvidence, ...], alone: tuple[SloEvidence, ...]) -> None:
    for b, a in zip(batched, alone, strict=True):
        assert [(p.code, p.severity, p.message) for p in b.problems] == [
            (p.code, p.severity, p.message) for p in a.problems
        ]
        assert b.burn_rates == a.burn_rates


def test_an_outage_mid_cycle_fails_the_services_it_reaches(scale: Scale) -> None:
    at = scale.data.spec.anchor
    with counting_proxy(scale.prometheus.url) as proxy:
        services = _services(scale, proxy.url)
        # the third service's batches meet a 503; with one request at a time, in order
        proxy.unavailable_when = lambda body: b"svc-002" in body
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        cycle = evaluate_cycle(services, at, collector, batch_size=PER_SLO, max_concurrency=1)
        sent = proxy.total
    # two services' batches, then the one that failed; the rest failed fast, unsent
    assert sent == cycle.requests == 2 * SLOS_PER_SERVICE + 1
    measured = {
        name
        for name, evidence in cycle.evidence.items()
        if not any(p.severity == "error" for e in evidence for p in e.problems)
    }
    assert measured == {"svc-000", "svc-001"}
    for name in ("svc-002", "svc-003"):
        for e in cycle.evidence[name]:
            assert {p.code for p in e.problems if p.severity == "error"} == {"unreachable"}
            assert all(v is None for v in e.burn_rates.values())
    _assert_truth(
        scale,
        CycleEvaluation({n: cycle.evidence[n] for n in measured}, cycle.sources, 0),
        at,
    )


def test_latency_slis_are_batched_too(prometheus: PrometheusServer, tmp_path: Path) -> None:
    """The synthetic scenario's checkout (ratio and latency SLIs, one SLI shared by two SLOs)
    and quiet services: the bucket lookups and the windows batched, as the truth says."""
    path = write_config(
        tmp_path,
        prometheus.url,
        {
            "checkout": [
                slo("availability", 99.9, "30d", RATIO_SLI),
                slo("availability-quarter", 99.9, "quarter", RATIO_SLI),
                slo("latency", 99.0, "quarter", LATENCY_SLI),
            ],
            "quiet": [slo("availability", 99.5, "30d", QUIET_SLI)],
        },
    )
    services = list(load_config(path).services)
    at = prometheus.at
    with counting_proxy(prometheus.url) as proxy:
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        cycle = evaluate_cycle(services, at, collector, batch_size=10, max_concurrency=2)
        sent = proxy.total
    # one bucket lookup; 3 distinct SLIs x 14 queries in batches of 10
    assert sent == cycle.requests == 1 + math.ceil(3 * PER_SLO / 10)
    collector = connect(prometheus.url, timeout_seconds=30, retries=0, headers={})
    assert cycle.evidence == {s.name: evaluate_burns(s, at, collector) for s in services}
    truth_of = {
        ("checkout", "availability"): ("availability", 99.9, "30d"),
        ("checkout", "availability-quarter"): ("availability", 99.9, "quarter"),
        ("checkout", "latency"): ("latency", 99.0, "quarter"),
        ("quiet", "availability"): ("quiet_availability", 99.5, "30d"),
    }
    for service, evidence in cycle.evidence.items():
        for e in evidence:
            sli, objective, window = truth_of[(service, e.spec.name)]
            truth = budget_truth(prometheus.scenario, sli, objective, window, at)["burn_rates"]
            for seconds in BURN_WINDOWS:
                want = truth[format_duration(seconds)]
                got = e.burn_rates[seconds]
                assert (got is None) == (want is None)
                if want is not None:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_tagged_groups_the_answer_by_key_and_goes_as_a_post(scale: Scale) -> None:
    proxy: CountingProxy
    with counting_proxy(scale.prometheus.url) as proxy:
        collector = connect(proxy.url, timeout_seconds=30, retries=0, headers={})
        groups = collector.tagged(
            'label_replace(vector(1), "k", "a", "", "")'
            ' or label_replace(vector(2), "k", "b", "", "")',
            scale.data.spec.anchor,
            "k",
        )
        assert {k: [v for _, v in rows] for k, rows in groups.items()} == {"a": [1.0], "b": [2.0]}
        assert proxy.total == 1 and len(proxy.bodies) == 1
