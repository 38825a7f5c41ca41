"""The outbox: stored before posted, posted once, resumed where a failure stopped it."""

from __future__ import annotations

import json

from daemon.runtime import outbox
from daemon.runtime.outbox import Backoff
from daemon.runtime.packs import enqueue_reply
from tests.runtime.conftest import SERVICE_CHANNEL, RuntimeFactory
from tests.support.fake_slack import FakeSlack


def _pack_payload(n: int) -> str:
    messages = [
        {
            "text": f"part {i}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"part {i}"}}],
        }
        for i in range(n)
    ]
    return json.dumps({"kind": "pack", "messages": messages, "chart": None})


def test_a_failed_post_stays_pending_and_is_counted(
    make_runtime: RuntimeFactory, slack: FakeSlack
) -> None:
    rt = make_runtime()
    slack.fail_next("chat.postMessage", error="internal_error", count=10)
    entry, created = rt.store.enqueue(
        "k", channel=SERVICE_CHANNEL, payload=_pack_payload(3), now=rt.now()
    )
    assert created
    backoff = Backoff()
    assert outbox.drain(rt, backoff) == 0
    failed = rt.store.get_entry(entry.id)
    assert failed is not None and failed.posted_at is None and failed.attempts == 1
    assert failed.last_error == "chat.postMessage: internal_error"
    sample = rt.metrics.registry.get_sample_value
    assert sample("slo_prep_slack_posts_total", {"outcome": "transient_error"}) == 1
    assert sample("slo_prep_outbox_pending") == 1
    # backing off: the next drain does not hammer Slack
    calls = len(slack.calls_to("chat.postMessage"))
    outbox.drain(rt, backoff)
    assert len(slack.calls_to("chat.postMessage")) == calls


def test_progress_is_kept_so_a_retry_continues_the_thread(
    make_runtime: RuntimeFactory, slack: FakeSlack
) -> None:
    rt = make_runtime()
    entry, _ = rt.store.enqueue(
        "k", channel=SERVICE_CHANNEL, payload=_pack_payload(4), now=rt.now()
    )
    # parent and first reply go out, the second reply is refused for good this time
    real_post = rt.sink.post
    sent: list[str] = []

    def post_twice_then_fail(channel: str, message: object, thread_ts: str | None) -> str:
        if len(sent) == 2:
            slack.fail_next("chat.postMessage", error="channel_not_found")
        ts = real_post(channel, message, thread_ts)  # type: ignore[arg-type]
        sent.append(ts)
        return ts

    rt.sink.post = post_twice_then_fail  # type: ignore[method-assign]
    outbox.drain(rt, Backoff())
    assert [m.text for m in slack.messages] == ["part 0", "part 1"]
    half = rt.store.get_entry(entry.id)
    assert half is not None and half.posted_at is None
    assert json.loads(half.progress or "{}")["sent"] == 2
    rt.sink.post = real_post  # type: ignore[method-assign]
    outbox.drain(rt, Backoff())
    texts = [m.text for m in slack.messages]
    assert texts == ["part 0", "part 1", "part 2", "part 3"]  # the parent was not reposted
    parent = slack.messages[0]
    assert all(m.thread_ts == parent.ts for m in slack.messages[1:])
    done = rt.store.get_entry(entry.id)
    assert done is not None and done.posted_at is not None
    outbox.drain(rt, Backoff())
    assert len(slack.messages) == 4  # posted entries are never posted again


def test_a_reply_waits_for_its_parent(make_runtime: RuntimeFactory, slack: FakeSlack) -> None:
    rt = make_runtime()
    enqueue_reply(rt, "reply", "parent", SERVICE_CHANNEL, ["the reply"])
    outbox.drain(rt, Backoff())
    assert slack.messages == []
    rt.store.enqueue("parent", channel=SERVICE_CHANNEL, payload=_pack_payload(1), now=rt.now())
    outbox.drain(rt, Backoff())
    assert [m.text for m in slack.messages] == ["part 0", "the reply"]
    assert slack.messages[1].thread_ts == slack.messages[0].ts


def test_only_the_leader_posts(make_runtime: RuntimeFactory, slack: FakeSlack) -> None:
    leader = make_runtime()
    standby = make_runtime()
    assert leader.leadership.is_leader and not standby.leadership.is_leader
    standby.store.enqueue("k", channel=SERVICE_CHANNEL, payload=_pack_payload(1), now=standby.now())
    assert outbox.drain(standby, Backoff()) == 0
    assert slack.messages == []
    assert outbox.drain(leader, Backoff()) == 1
    assert len(slack.messages) == 1


def test_backoff_grows_and_clears() -> None:
    backoff = Backoff()
    assert backoff.ready(1)
    backoff.failed(1)
    assert not backoff.ready(1) and backoff.delay[1] == 5.0
    backoff.failed(1)
    assert backoff.delay[1] == 10.0
    for _ in range(20):
        backoff.failed(1)
    assert backoff.delay[1] == 600.0
    backoff.clear(1)
    assert backoff.ready(1)
