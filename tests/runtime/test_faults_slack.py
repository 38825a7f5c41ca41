"""Slack faults, from the fake Slack Web API to the real WebClient: 429 with ``Retry-After``
(a burst the client waits out, and a storm beyond its retries), HTTP 500, and
``msg_blocks_too_long`` (once: the message goes out in parts; always: it waits in the outbox).

For each: the pack is stored before Slack is asked, waits in the outbox while Slack refuses,
is posted exactly once after, and the daemon's metrics move the way its alerts need; promtool
replays the scraped metrics to prove ``SloPrepSlackPostsFailing``, ``SloPrepOutboxStuck`` and
``SloPrepSlackPostsRejected`` fire.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.runtime import outbox
from daemon.runtime.commands import handle_command
from daemon.runtime.context import Runtime
from daemon.runtime.outbox import Backoff
from daemon.store import question_key
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import SERVICE_CHANNEL, Clock
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
from tests.support.rule_replay import MetricsTimeline

POST = "chat.postMessage"


@pytest.fixture(autouse=True)
def _fresh_backoff() -> Iterator[None]:
    """The drain's in-memory backoff is per process: failures here must not delay other
    tests' entries (ids restart at 1 in every database)."""
    yield
    outbox._backoff.until.clear()
    outbox._backoff.delay.clear()
    outbox._backoff.unsaved.clear()


def _runtime(light_runtime: LightRuntime, prometheus: PrometheusServer) -> tuple[Runtime, Clock]:
    # a minute when nothing fires: the only posts are the question's pack
    clock = Clock(firing_then_quiet(prometheus)[1])
    return light_runtime(clock=clock), clock


def _ask(rt: Runtime, text: str) -> str:
    reply = handle_command(rt, ask(f"ask checkout {text}"))
    assert reply.follow_up is not None
    reply.follow_up()  # drafts, stores, and tries to post at once
    return rt.store.list_questions()[0].id


def _payload(rt: Runtime, question_id: str) -> dict[str, Any]:
    entry = rt.store.get_entry_by_key(question_key(question_id, 0))
    assert entry is not None
    payload: dict[str, Any] = json.loads(entry.payload)
    return payload


def test_slack_429_with_retry_after_is_waited_out_and_posted_once(
    light_runtime: LightRuntime, slack: FakeSlack, prometheus: PrometheusServer, sqlite_url: str
) -> None:
    rt, _ = _runtime(light_runtime, prometheus)
    slack.fail_next(POST, status=429, retry_after=1, count=2)
    question_id = _ask(rt, "Posted through a rate limit?")
    calls = slack.calls_to(POST)
    # refused twice, then taken: each retry waited the Retry-After second first
    assert calls[1].at - calls[0].at >= 1.0 and calls[2].at - calls[1].at >= 1.0
    assert len(parents(slack)) == 1
    assert len(slack.messages) == len(_payload(rt, question_id)["messages"])
    assert sample(rt, "slo_prep_slack_posts_total", outcome="ok") == 1
    assert sample(rt, "slo_prep_slack_posts_total", outcome="transient_error") == 0
    assert_posted_exactly_once(sqlite_url, slack)


@pytest.mark.parametrize("status", [429, 500])
def test_slack_down_keeps_the_pack_in_the_outbox_and_the_alerts_fire(
    status: int,
    light_runtime: LightRuntime,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    rt, clock = _runtime(light_runtime, prometheus)
    # a storm longer than the client's retries (429 with Retry-After: 0), or Slack failing
    slack.fail_next(POST, status=status, retry_after=0, count=10_000)
    timeline = MetricsTimeline()

    def scrape() -> None:
        outbox.update_depth(rt)  # what GET /metrics does before it answers
        timeline.scrape(rt.metrics.exposition())

    scrape()  # minute 0: before anything failed
    # one scrape a minute; the drain tries again on a backoff that doubles (5 s ... 10 min in
    # the daemon; here at minutes 2, 4, 8, 16)
    for minute in range(1, 23):
        clock.now = clock.now.replace(second=0)
        clock.advance(minutes=1)
        if minute == 1:
            question_id = _ask(rt, "Asked while Slack is down?")
        elif minute in (2, 4, 8, 16):
            assert outbox.drain(rt, Backoff()) == 0
        scrape()
    attempts = sample(rt, "slo_prep_slack_posts_total", outcome="transient_error")
    assert attempts == 5 and sample(rt, "slo_prep_slack_posts_total", outcome="ok") == 0
    assert sample(rt, "slo_prep_outbox_pending") == 1
    assert sample(rt, "slo_prep_outbox_oldest_pending_age_seconds") == 21 * 60
    entry = rt.store.get_entry_by_key(question_key(question_id, 0))
    assert entry is not None and entry.posted_at is None and entry.attempts == 5
    assert slack.messages == []
    assert [q.id for q in rt.store.list_questions()] == [question_id]

    # Slack answers again (minute 23): posted once, nothing left waiting
    slack.clear_faults()
    clock.advance(minutes=1)
    assert outbox.drain(rt, Backoff()) == 1
    scrape()
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)
    assert outbox.drain(rt, Backoff()) == 0
    assert_posted_exactly_once(sqlite_url, slack)
    # failing from minute 1: more than half the posts for 10 minutes at minute 11; the oldest
    # entry (stored at minute 1) older than 15 minutes from 17, for 5 minutes at 22, and
    # posted at 23
    failing, stuck = "SloPrepSlackPostsFailing", "SloPrepOutboxStuck"
    timeline.assert_alerts(
        {
            (failing, 10): False,
            (failing, 11): True,
            (stuck, 21): False,
            (stuck, 22): True,
            (stuck, 23): False,
            ("SloPrepSlackPostsRejected", 22): False,
        },
        tmp_path / "replay",
    )


def _blocks(messages: list[Any]) -> Counter[str]:
    return Counter(json.dumps(b, sort_keys=True) for m in messages for b in m["blocks"] or [])


def test_msg_blocks_too_long_posts_the_message_in_parts_in_its_thread(
    light_runtime: LightRuntime, slack: FakeSlack, prometheus: PrometheusServer
) -> None:
    rt, _ = _runtime(light_runtime, prometheus)
    # Slack measures the parent longer than its limit (undocumented, ~11-13k), once
    slack.fail_next(POST, error="msg_blocks_too_long", count=1)
    question_id = _ask(rt, "Too long for Slack?")
    payload = _payload(rt, question_id)
    posted = [m for m in slack.messages if m.channel == SERVICE_CHANNEL]
    tops = [m for m in posted if m.thread_ts is None]
    assert len(tops) == 1  # the first part stands where the parent would
    assert all(m.thread_ts == tops[0].ts for m in posted[1:])
    parts = len(posted) - len(payload["messages"]) + 1
    assert parts >= 2
    # every block of the pack reached Slack once, the buttons included, nothing else did
    sent = [{"blocks": m.blocks} for m in posted]
    assert _blocks(sent) == _blocks(payload["messages"])
    assert any(b.get("type") == "actions" for m in posted for b in m.blocks or [])
    entry = rt.store.get_entry_by_key(question_key(question_id, 0))
    assert entry is not None and entry.posted_at is not None
    assert sample(rt, "slo_prep_slack_posts_total", outcome="ok") == 1
    assert sample(rt, "slo_prep_slack_posts_total", outcome="permanent_error") == 0
    # a later drain posts nothing again
    assert outbox.drain(rt, Backoff()) == 0 and len(slack.messages) == len(posted)


def test_msg_blocks_too_long_every_time_keeps_the_pack_and_is_alerted(
    light_runtime: LightRuntime,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    rt, clock = _runtime(light_runtime, prometheus)
    slack.fail_next(POST, error="msg_blocks_too_long", count=10_000)
    timeline = MetricsTimeline()
    timeline.scrape(rt.metrics.exposition())
    clock.advance(minutes=1)
    question_id = _ask(rt, "Never short enough?")
    outbox.update_depth(rt)
    timeline.scrape(rt.metrics.exposition())
    # the whole message and its first part were refused: a permanent error, nothing posted
    assert sample(rt, "slo_prep_slack_posts_total", outcome="permanent_error") == 1
    assert slack.messages == []
    entry = rt.store.get_entry_by_key(question_key(question_id, 0))
    assert entry is not None and entry.posted_at is None  # kept for when Slack takes it
    assert entry.last_error == f"{POST}: msg_blocks_too_long"
    timeline.assert_alerts(
        {("SloPrepSlackPostsRejected", 0): False, ("SloPrepSlackPostsRejected", 1): True},
        tmp_path / "replay",
    )
    slack.clear_faults()
    assert outbox.drain(rt, Backoff()) == 1
    assert_posted_exactly_once(sqlite_url, slack)
