"""Prometheus faults: a fault-injecting proxy in front of the real Prometheus (503, an answer
slower than the timeout, a body that is not JSON, JSON cut short, a dropped connection), and a
real Prometheus process killed in the middle of a cycle, then started again on its data.

For each: the daemon keeps running (the next cycle works once Prometheus does), nothing
registered is lost, nothing is posted twice, the pack says Prometheus could not answer, and
``slo_prep_cycles_total{outcome="degraded"}`` moves; for the outage, promtool replays the
scraped metrics to prove ``SloPrepCycleStale`` fires and clears.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.runtime import jobs
from daemon.runtime.commands import handle_command
from tests.generator import truth
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import SRE_CHANNEL, Clock, RuntimeFactory
from tests.runtime.faults import (
    assert_posted_exactly_once,
    latest_document,
    parents,
    sample,
    slo_problem_codes,
)
from tests.runtime.test_commands import ask
from tests.runtime.test_jobs import firing_severities, firing_then_quiet
from tests.support.fake_slack import FakeSlack
from tests.support.fault_proxy import FaultKind, FaultProxy
from tests.support.rule_replay import MetricsTimeline

TIMEOUT = 1.0
# the pack's words for each fault (daemon/messages.py), with the backend named where it is
SAID = {
    "status": "answered HTTP 503",
    "delay": "could not be reached",
    "malformed": "not a Prometheus response",
    "truncated": "not a Prometheus response",
    "reset": "could not be reached",
}


@pytest.fixture
def proxy(prometheus: PrometheusServer) -> Iterator[FaultProxy]:
    with FaultProxy(prometheus.url) as running:
        yield running


def _prometheus_config(url: str) -> dict[str, object]:
    return {"prometheus": {"url": url, "retries": 0, "timeout_seconds": TIMEOUT}}


def _posted_text(slack: FakeSlack) -> str:
    return json.dumps([[m.text, m.blocks] for m in slack.messages])


@pytest.mark.parametrize("kind", list(SAID))
def test_a_failing_prometheus_degrades_the_cycle_and_the_pack_says_so(
    kind: FaultKind,
    make_runtime: RuntimeFactory,
    slack: FakeSlack,
    proxy: FaultProxy,
    prometheus: PrometheusServer,
    sqlite_url: str,
) -> None:
    # a minute when nothing fires: no alert pack to draft, the cycle is only the evaluation
    rt = make_runtime(
        clock=Clock(firing_then_quiet(prometheus)[1]), extra=_prometheus_config(proxy.url)
    )
    proxy.fail(kind, status=503, seconds=3 * TIMEOUT)
    started = time.monotonic()
    jobs.collect_cycle(rt)
    # a sick backend costs the cycle one timeout at most, not one per query
    assert time.monotonic() - started < 2 * TIMEOUT + 1
    assert proxy.served(kind) >= 1 and proxy.served("forwarded") == 0
    assert sample(rt, "slo_prep_cycles_total", outcome="degraded") == 1
    assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 0
    errors = {"collector": "prometheus", "outcome": "error"}
    assert sample(rt, "slo_prep_collector_requests_total", **errors) == 1
    assert sample(rt, "slo_prep_cycle_last_success_timestamp_seconds") == 0
    rt.health.scheduler_running = True  # as under the scheduler
    assert rt.health.report(leader=True)[0]  # an outage is no reason to restart the daemon

    # a question asked meanwhile is kept, and its pack says what is missing and why
    reply = handle_command(rt, ask("ask checkout Ship while Prometheus is sick?"))
    assert reply.follow_up is not None
    reply.follow_up()
    question = rt.store.list_questions()[0]
    document = latest_document(rt, question.id)
    assert slo_problem_codes(document) == {
        "availability": ["unreachable"],
        "latency": ["unreachable"],
    }
    for slo in document["slos"]:
        assert slo["status"] == "unavailable" and slo["budget"] is None  # never a zero
        assert SAID[kind] in slo["problems"][0]["message"]
    assert SAID[kind] in _posted_text(slack)
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)

    # Prometheus answers again: the next cycle evaluates every SLO
    proxy.clear()
    jobs.collect_cycle(rt)
    assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 1
    assert sample(rt, "slo_prep_cycle_last_success_timestamp_seconds") > 0
    assert proxy.served("forwarded") > 0
    assert [q.id for q in rt.store.list_questions()] == [question.id]
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)


def _private_prometheus(shared: PrometheusServer, workdir: Path, port: int = 0) -> PrometheusServer:
    """A Prometheus of our own on a copy of the session's blocks (same scenario, same truth),
    so killing it disturbs no other test. Started again on the same ``workdir`` and ``port``
    it serves the same data, as a restarted pod on its volume does."""
    assert shared.workdir is not None
    data = workdir / "data"
    if not data.exists():
        data.mkdir(parents=True)
        for block in (shared.workdir / "data").iterdir():
            if (block / "meta.json").is_file():
                shutil.copytree(block, data / block.name)
        shutil.copy(shared.workdir / "scenario.id", workdir / "scenario.id")
    server = PrometheusServer(shared.scenario, workdir=workdir, at=shared.at, port=port)
    return server.start()


def test_prometheus_killed_mid_cycle_and_restarted(
    make_runtime: RuntimeFactory,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    tmp_path: Path,
    sqlite_url: str,
) -> None:
    last_firing, _ = firing_then_quiet(prometheus)
    expected = firing_severities(prometheus, last_firing)
    assert expected, "the scenario must fire at this minute"
    clock = Clock(last_firing)
    private = _private_prometheus(prometheus, tmp_path / "prometheus")
    port = private.port
    assert port is not None
    timeline = MetricsTimeline()
    try:
        with FaultProxy(private.url) as proxy:
            rt = make_runtime(clock=clock, extra=_prometheus_config(proxy.url))
            jobs.collect_cycle(rt)  # Prometheus alive: the burn alerts are announced
            timeline.scrape(rt.metrics.exposition())
            announced = [m.text or "" for m in parents(slack, SRE_CHANNEL)]
            assert sorted(announced) == sorted(f"Burn alert: checkout ({s})" for s in expected)

            # a healthy cycle (nothing new to announce) shows how many queries a cycle sends
            before = len(proxy.requests)
            jobs.collect_cycle(rt)
            timeline.scrape(rt.metrics.exposition())
            per_cycle = len(proxy.requests) - before
            assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 2

            # the next cycle: Prometheus is killed (SIGKILL) when half its queries are answered
            kill_at = len(proxy.requests) + per_cycle // 2 + 1

            def kill(number: int) -> None:
                if number == kill_at and private.process is not None:
                    private.process.kill()
                    private.process.wait(10)

            proxy.before_forward = kill
            jobs.collect_cycle(rt)
            timeline.scrape(rt.metrics.exposition())
            answered = [done for _, done in proxy.requests[before + per_cycle : kill_at - 1]]
            assert answered == ["forwarded"] * (per_cycle // 2)  # it died mid-cycle
            assert proxy.requests[kill_at - 1][1] == "dropped"
            assert sample(rt, "slo_prep_cycles_total", outcome="degraded") == 1
            # while it is down: every cycle degraded, nothing resolved, nothing announced again
            for _ in range(20):
                jobs.collect_cycle(rt)
                timeline.scrape(rt.metrics.exposition())
            assert sample(rt, "slo_prep_cycles_total", outcome="degraded") == 21
            assert not [m for m in slack.messages if m.text and "*Resolved:*" in m.text]
            assert {a.state for a in rt.store.alerts_firing_from("evaluation")} == {"firing"}
            reply = handle_command(rt, ask("ask checkout Asked during the outage?"))
            assert reply.follow_up is not None
            reply.follow_up()
            question = rt.store.list_questions()[0]
            outage_pack = latest_document(rt, question.id)
            codes = slo_problem_codes(outage_pack).values()
            assert {code for slo in codes for code in slo} == {"unreachable"}

            # started again on its data and port: the daemon picks it up by itself
            private = _private_prometheus(prometheus, tmp_path / "prometheus", port=port)
            jobs.collect_cycle(rt)
            timeline.scrape(rt.metrics.exposition())
            assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 3
            jobs.refresh_questions(rt)  # nothing due yet: the outage pack stays the latest
            clock.advance(hours=24)
            jobs.refresh_questions(rt)
            refreshed = latest_document(rt, question.id)
    finally:
        private.stop()

    # the refresh after the restart has the numbers again, equal to the generator's truth
    want = truth.budget_truth(prometheus.scenario, "availability", 99.9, "30d", clock.now)
    got = next(s for s in refreshed["slos"] if s["name"] == "availability")
    assert got["status"] != "unavailable"
    assert got["budget"]["consumed_fraction"] == pytest.approx(want["consumed_fraction"], rel=1e-9)
    # one announcement per alert, one pack per question: nothing posted twice
    assert sorted(m.text or "" for m in parents(slack, SRE_CHANNEL)) == sorted(announced)
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)
    # the daemon's own alert, one scrape a minute: the last complete cycle at minute 1, so
    # more than 15 minutes without one from minute 17, firing after its 5m `for` at 22, and
    # silent again at 23, the first cycle after the restart
    workdir = tmp_path / "replay"
    assert len(timeline.scrapes) == 24
    stale = "SloPrepCycleStale"
    timeline.assert_alerts({(stale, 21): False, (stale, 22): True, (stale, 23): False}, workdir)
