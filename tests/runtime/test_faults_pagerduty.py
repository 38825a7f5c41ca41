"""PagerDuty faults, from the loopback fake PagerDuty (HTTPS, checked against PagerDuty's
OpenAPI spec) to the real client: a storm of 429s with ``Retry-After``, 500s, and 401 (a
revoked key).

For each: the incident poll gives up after its bounded retries (obeying ``Retry-After``, never
hammering), the cycle is not disturbed, a pack drafted meanwhile keeps its Prometheus evidence
and says the incident section is missing, nothing is posted twice, the next poll after the
fault reads the incidents again, and ``slo_prep_collector_requests_total{collector=
"pagerduty",outcome="error"}`` moves; promtool replays the scraped metrics to prove
``SloPrepPagerDutyFailing`` fires."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon import messages as m
from daemon.runtime import jobs, outbox
from daemon.runtime.commands import handle_command
from daemon.runtime.context import Runtime
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import Clock, daemon_config
from tests.runtime.faults import (
    DocumentRuntime,
    assert_posted_exactly_once,
    latest_document,
    parents,
    sample,
)
from tests.runtime.test_commands import ask
from tests.runtime.test_jobs import firing_then_quiet
from tests.support.fake_pagerduty import FakePagerDuty, fake_pagerduty, incident
from tests.support.fake_slack import FakeSlack
from tests.support.rule_replay import MetricsTimeline
from tests.support.tls import Tls

TOKEN = "pd-test-token"
SERVICE_ID = "PCHKOUT"
RETRIES = 2
RETRY_AFTER = 1
ERRORS = {"collector": "pagerduty", "outcome": "error"}


@pytest.fixture(autouse=True)
def _fresh_backoff() -> Iterator[None]:
    yield
    outbox._backoff.until.clear()
    outbox._backoff.delay.clear()
    outbox._backoff.unsaved.clear()


def _incidents(now: datetime) -> list[dict[str, Any]]:
    """Five incidents in the 30 days before ``now`` and one older: the poll must count five."""
    days = (1, 3, 8, 15, 29, 45)
    return [
        incident(
            f"PINC{d:03d}",
            n + 1,
            f"checkout errors ({d} days ago)",
            now - timedelta(days=d),
            now - timedelta(days=d) + timedelta(minutes=40),
            SERVICE_ID,
        )
        for n, d in enumerate(days)
    ]


def _runtime(
    document_runtime: DocumentRuntime,
    prometheus: PrometheusServer,
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    tls: Tls,
    sqlite_url: str,
    clock: Clock,
) -> Runtime:
    document = daemon_config(prometheus.url, slack.api_url, sqlite_url)
    document["pagerduty"] = {
        "url": pagerduty.url,
        "token": TOKEN,
        "retries": RETRIES,
        "max_retry_wait_seconds": RETRY_AFTER,
        "timeout_seconds": 5,
        "ca_file": str(tls.cert),
    }
    service = document["services"][0]
    service["pagerduty_service_ids"] = [SERVICE_ID]
    service["reliability_window"] = "30d"
    service["slos"] = [s for s in service["slos"] if s["name"] == "availability"]
    return document_runtime(document, clock)


def _break(pagerduty: FakePagerDuty, fault: str) -> None:
    if fault == "429":
        pagerduty.fail_next(429, count=10_000, headers={"Retry-After": str(RETRY_AFTER)})
    elif fault == "500":
        pagerduty.fail_next(500, count=10_000)
    else:
        pagerduty.set_token("rotated-key")  # ours was revoked


def _mend(pagerduty: FakePagerDuty) -> None:
    pagerduty.clear_faults()
    pagerduty.set_token(TOKEN)


@pytest.mark.parametrize("fault", ["429", "500", "401"])
def test_pagerduty_failing_leaves_the_incident_section_out_and_says_so(
    fault: str,
    document_runtime: DocumentRuntime,
    prometheus: PrometheusServer,
    slack: FakeSlack,
    tls: Tls,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    clock = Clock(firing_then_quiet(prometheus)[1])
    with fake_pagerduty(_incidents(clock.now), token=TOKEN, tls=tls) as pagerduty:
        rt = _runtime(document_runtime, prometheus, slack, pagerduty, tls, sqlite_url, clock)
        timeline = MetricsTimeline()
        timeline.scrape(rt.metrics.exposition())
        _break(pagerduty, fault)
        started = time.monotonic()
        jobs.poll_incidents(rt)
        took = time.monotonic() - started
        requests = [r for r in pagerduty.requests if r.path == "/incidents"]
        # 401 stops at once; 429 and 5xx are retried RETRIES times, no more
        assert len(requests) == (1 if fault == "401" else 1 + RETRIES)
        assert {r.status for r in requests} == {int(fault)}
        if fault == "429":  # each retry waited for Retry-After first
            gaps = [b.time - a.time for a, b in itertools.pairwise(requests)]
            assert min(gaps) >= RETRY_AFTER
        assert took < RETRIES * RETRY_AFTER + 5
        assert sample(rt, "slo_prep_collector_requests_total", **ERRORS) == 1
        assert "checkout" not in rt.incident_counts  # no count made up
        jobs.collect_cycle(rt)  # Prometheus evidence is unaffected
        assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 1

        reply = handle_command(rt, ask("ask checkout Ship without incident data?"))
        assert reply.follow_up is not None
        reply.follow_up()
        question_id = rt.store.list_questions()[0].id
        document = latest_document(rt, question_id)
        assert [p["code"] for p in document["problems"]] == ["incidents_unavailable"]
        assert document["reliability"] is None
        slo = document["slos"][0]
        assert slo["budget"] is not None and slo["top_incidents"] is None
        posted = json.dumps([[x.text, x.blocks] for x in slack.messages])
        assert m.INCIDENTS_UNAVAILABLE.split(":")[0] in posted
        assert len(parents(slack)) == 1
        assert_posted_exactly_once(sqlite_url, slack)

        if fault == "401":
            # a revoked key stays revoked: one scrape a minute, one poll a minute
            for _ in range(16):
                clock.advance(minutes=1)
                jobs.poll_incidents(rt)
                timeline.scrape(rt.metrics.exposition())
            failing = "SloPrepPagerDutyFailing"
            # every poll failing from minute 1: more than half for 15 minutes at minute 16
            timeline.assert_alerts({(failing, 15): False, (failing, 16): True}, tmp_path / "replay")

        _mend(pagerduty)
        jobs.poll_incidents(rt)
        assert rt.incident_counts["checkout"] == 5
        assert (
            sample(rt, "slo_prep_collector_requests_total", collector="pagerduty", outcome="ok")
            == 1
        )
        assert pagerduty.violations == []
