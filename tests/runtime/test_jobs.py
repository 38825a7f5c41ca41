"""The scheduled jobs as plain functions: the cycle's own burn-rate evaluation against the
generator's truth, announcements and resolutions, outages, refreshes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from daemon.runtime import jobs
from daemon.runtime.commands import handle_command
from tests.generator import truth
from tests.generator.prometheus_server import PrometheusServer, free_port
from tests.runtime.conftest import (
    SERVICE_CHANNEL,
    SRE_CHANNEL,
    Clock,
    RuntimeFactory,
)
from tests.runtime.test_commands import ask
from tests.support.fake_slack import FakeSlack

# the SLOs of the test config: (sli, objective, window)
SLOS = (("availability", 99.9, "30d"), ("latency", 99.0, "quarter"))


def intervals(prometheus: PrometheusServer) -> list[tuple[str, datetime, datetime]]:
    """(severity, start, end) of every burn-rate firing before the evaluation time (truth).
    Whether a condition holds depends only on the trailing windows and the SLO period, so the
    intervals found at the evaluation time hold for every earlier minute of the window."""
    at = prometheus.at
    found = []
    for sli, objective, window in SLOS:
        for f in truth.firings_truth(prometheus.scenario, sli, objective, window, at):
            found.append((f["severity"], f["start"], f["end"] or at + timedelta(minutes=1)))
    return found


def firing_severities(prometheus: PrometheusServer, at: datetime) -> set[str]:
    return {sev for sev, start, end in intervals(prometheus) if start <= at < end}


def firing_then_quiet(prometheus: PrometheusServer) -> tuple[datetime, datetime]:
    """The last minute of a firing, and the first minute after it when nothing fires."""
    spans = intervals(prometheus)
    for _, _, end in sorted(spans, key=lambda s: s[2], reverse=True):
        if end <= prometheus.at and not any(start <= end < stop for _, start, stop in spans):
            return end - timedelta(minutes=1), end
    raise AssertionError("no firing in the scenario ends before its evaluation time")


def sre_posts(slack: FakeSlack) -> list[object]:
    return [m for m in slack.messages if m.channel == SRE_CHANNEL and m.thread_ts is None]


def test_the_cycle_announces_what_fires_once_and_resolves_in_the_thread(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: PrometheusServer
) -> None:
    last_firing, quiet = firing_then_quiet(prometheus)
    clock = Clock(last_firing)
    rt = make_runtime(clock=clock)
    expected = firing_severities(prometheus, last_firing)
    jobs.collect_cycle(rt)
    posts = sre_posts(slack)
    headers = sorted(p.text for p in posts)  # type: ignore[attr-defined]
    assert headers == sorted(f"Burn alert: checkout ({s})" for s in expected)
    body = json.dumps(posts[0].blocks)  # type: ignore[attr-defined]
    assert "NO_DECISION_FRAMED" in body and "/slo-prep ask checkout" in body
    sample = rt.metrics.registry.get_sample_value
    assert sample("slo_prep_cycles_total", {"outcome": "ok"}) == 1
    assert sample("slo_prep_alerts_announced_total") == len(expected)
    # the next cycle sees the same: nothing posted again
    jobs.collect_cycle(rt)
    assert len(sre_posts(slack)) == len(expected)
    # a minute later nothing fires (truth): one resolution per alert, in its thread
    clock.now = quiet
    jobs.collect_cycle(rt)
    resolutions = [m for m in slack.messages if m.text and m.text.startswith("*Resolved:*")]
    assert len(resolutions) == len(expected)
    parents = {p.ts for p in posts}  # type: ignore[attr-defined]
    assert {r.thread_ts for r in resolutions} == parents
    jobs.collect_cycle(rt)
    assert len([m for m in slack.messages if m.text and "*Resolved:*" in m.text]) == len(expected)


def test_an_open_question_makes_the_alert_pack_a_full_pack(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: PrometheusServer
) -> None:
    rt = make_runtime()
    handle_command(rt, ask("ask checkout Can we ship the new checkout?"))
    question = rt.store.list_questions()[0]
    jobs.collect_cycle(rt)
    post = sre_posts(slack)[0]
    body = json.dumps(post.blocks)  # type: ignore[attr-defined]
    assert f"Open question *{question.id}*" in body
    assert "Can we ship the new checkout?" in body and "NO_DECISION_FRAMED" not in body


def test_prometheus_down_keeps_the_daemon_running_and_resolves_nothing(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: PrometheusServer
) -> None:
    clock = Clock(firing_then_quiet(prometheus)[0])
    rt = make_runtime(clock=clock)
    jobs.collect_cycle(rt)
    announced = len(sre_posts(slack))
    # the same store, seen from a daemon whose Prometheus does not answer
    down = make_runtime(clock=clock, prometheus_url=f"http://127.0.0.1:{free_port()}")
    clock.now = firing_then_quiet(prometheus)[1]
    jobs.collect_cycle(down)
    sample = down.metrics.registry.get_sample_value
    assert sample("slo_prep_cycles_total", {"outcome": "degraded"}) == 1
    assert (
        sample("slo_prep_collector_requests_total", {"collector": "prometheus", "outcome": "error"})
        == 1
    )
    assert down.health.last_cycle_outcome == "degraded"
    down.health.scheduler_running = True  # as under the scheduler
    healthy, _ = down.health.report(leader=True)
    assert healthy  # an outage of a source is not a reason to restart the daemon
    assert not [m for m in slack.messages if m.text and "*Resolved:*" in m.text]
    assert len(sre_posts(slack)) == announced
    assert {a.state for a in rt.store.alerts_firing_from("evaluation")} == {"firing"}


def test_refresh_job_posts_a_lost_registration_then_daily_and_before_the_deadline(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: PrometheusServer
) -> None:
    clock = Clock(prometheus.at)
    rt = make_runtime(clock=clock)
    # stored, acknowledged, then the daemon died before drafting: no outbox entry
    reply = handle_command(rt, ask("ask checkout Can we ship? by 2026-11-18"))
    question = rt.store.list_questions()[0]
    assert reply.follow_up is not None  # never run
    jobs.refresh_questions(rt)
    parents = [m for m in slack.messages if m.channel == SERVICE_CHANNEL and m.thread_ts is None]
    assert len(parents) == 1
    count = len(slack.messages)
    jobs.refresh_questions(rt)  # nothing due
    assert len(slack.messages) == count
    clock.advance(hours=24)  # the daily refresh (2026-11-17 00:00)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 2
    clock.now = datetime.fromisoformat("2026-11-17T23:10:00+00:00")  # 50 min before
    jobs.refresh_questions(rt)
    packs = rt.store.packs_for_question(question.id)
    assert len(packs) == 3
    deadline_note = [
        m for m in slack.messages if m.text and "before the decision deadline" in m.text
    ]
    assert len(deadline_note) == 1 and deadline_note[0].thread_ts == parents[0].ts
    clock.advance(minutes=20)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 3  # once
