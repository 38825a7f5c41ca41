"""Clock jumps: the wall clock leaps days ahead (a suspended VM, an NTP step) and back again
(an NTP correction). The refresh job must post one refresh, not one per missed day, nothing
twice after the clock comes back, and no age may go negative."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from daemon.runtime import jobs, outbox
from daemon.runtime.commands import handle_command
from daemon.runtime.outbox import Backoff
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import Clock
from tests.runtime.faults import (  # noqa: F401  (fixtures)
    LightRuntime,
    assert_posted_exactly_once,
    light_runtime_fixture,
    parents,
    sample,
)
from tests.runtime.test_commands import ask
from tests.runtime.test_jobs import firing_then_quiet
from tests.support.fake_slack import FakeSlack


@pytest.fixture(autouse=True)
def _fresh_backoff() -> Iterator[None]:
    yield
    outbox._backoff.until.clear()
    outbox._backoff.delay.clear()
    outbox._backoff.unsaved.clear()


def test_clock_jumps_forward_and_back(
    light_runtime: LightRuntime,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    sqlite_url: str,
) -> None:
    # three days before the scenario's end, so every jump below still has data
    start = firing_then_quiet(prometheus)[1]
    assert start + timedelta(days=3) <= prometheus.at
    clock = Clock(start)
    rt = light_runtime(clock=clock)
    reply = handle_command(rt, ask("ask checkout Does a clock jump repost the pack?"))
    assert reply.follow_up is not None
    reply.follow_up()
    question = rt.store.list_questions()[0]
    assert len(rt.store.packs_for_question(question.id)) == 1

    # three days ahead at once: one refresh, not three, and only once
    clock.advance(days=3)
    slack.fail_next("chat.postMessage", status=500, count=10_000)  # it waits in the outbox
    jobs.refresh_questions(rt)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 2
    outbox.update_depth(rt)
    assert sample(rt, "slo_prep_outbox_pending") == 1
    assert sample(rt, "slo_prep_outbox_oldest_pending_age_seconds") == 0

    # two days back: nothing is due (the last pack is "in the future"), no age below zero
    clock.advance(days=-2)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 2
    outbox.update_depth(rt)
    assert sample(rt, "slo_prep_outbox_oldest_pending_age_seconds") == 0
    jobs.collect_cycle(rt)  # the cycle runs at the earlier time as well
    assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 1

    # Slack answers again: the refresh goes out once, in the pack's thread
    slack.clear_faults()
    assert outbox.drain(rt, Backoff()) == 1
    # forward again to just after the refresh: still nothing due, nothing reposted
    clock.advance(days=2, hours=1)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 2
    # and a day after it: the next daily refresh, one
    clock.advance(days=1)
    jobs.refresh_questions(rt)
    assert len(rt.store.packs_for_question(question.id)) == 3
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)
    assert [q.id for q in rt.store.list_questions()] == [question.id]
