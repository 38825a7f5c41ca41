"""What the fault-injection tests share: reading the daemon's metrics, the posts that reached
the fake Slack, the packs the store kept, and runtimes built from a config document the test
shapes itself (PagerDuty, short timeouts)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from daemon.runtime.context import Runtime
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import (
    SERVICE_CHANNEL,
    Clock,
    DocumentRuntime,
    daemon_config,
)
from tests.support.fake_slack import FakeSlack, Message

LightRuntime = Callable[..., Runtime]


def sample(rt: Runtime, name: str, **labels: str) -> float:
    """A sample of the runtime's own registry (0 when the series does not exist yet)."""
    return rt.metrics.registry.get_sample_value(name, labels) or 0.0


def parents(slack: FakeSlack, channel: str = SERVICE_CHANNEL) -> list[Message]:
    return [m for m in slack.messages if m.channel == channel and m.thread_ts is None]


def _content(text: object, blocks: object) -> str:
    return json.dumps([text, blocks], sort_keys=True)


def outbox_rows(store_url: str) -> list[dict[str, Any]]:
    """Every outbox entry, read with a connection of the test's own (not the store's code)."""
    import sqlalchemy as sa

    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM outbox ORDER BY id")).mappings().all()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def assert_posted_exactly_once(store_url: str, slack: FakeSlack) -> int:
    """What Slack holds is exactly what the outbox says went out: every message of every
    posted entry once (of an entry still pending, the ones its progress counts), parents as
    later refreshes updated them, replies in their entry's thread. A repost would be one
    message too many, a lost post one too few. Returns how many messages that is."""
    expected: Counter[str] = Counter()
    updated: dict[str, dict[str, Any]] = {}
    parents_by_key: dict[str, str] = {}
    for row in outbox_rows(store_url):
        payload = json.loads(row["payload"])
        progress = json.loads(row["progress"] or "{}")
        sent = len(payload["messages"]) if row["posted_at"] else int(progress.get("sent", 0))
        messages = list(payload["messages"][:sent])
        if row["thread_of"] is None and sent:
            parents_by_key[row["idempotency_key"]] = _content(
                messages[0].get("text"), messages[0].get("blocks")
            )
        if progress.get("updated") and row["thread_of"] is not None:
            updated[row["thread_of"]] = payload["update_parent"]
        expected.update(_content(m.get("text"), m.get("blocks")) for m in messages)
    for key, message in updated.items():
        # chat.update replaced the parent's content where it stands in Slack
        expected[parents_by_key[key]] -= 1
        expected[_content(message.get("text"), message.get("blocks"))] += 1
    posted = [m for m in slack.messages if not m.ephemeral]
    actual = Counter(_content(m.text, m.blocks) for m in posted)
    extra, missing = actual - expected, expected - actual
    assert not extra and not missing, f"posted twice: {list(extra)}; never posted: {list(missing)}"
    tops = {m.ts for m in posted if m.thread_ts is None}
    assert all(m.thread_ts in tops for m in posted if m.thread_ts is not None)
    return len(posted)


def latest_document(rt: Runtime, question_id: str) -> dict[str, Any]:
    stored = rt.store.packs_for_question(question_id)
    assert stored, f"no pack stored for {question_id}"
    document: dict[str, Any] = json.loads(stored[-1].document)
    return document


def slo_problem_codes(document: dict[str, Any]) -> dict[str, list[str]]:
    return {s["name"]: [p["code"] for p in s["problems"]] for s in document["slos"]}


@pytest.fixture(name="light_runtime")
def light_runtime_fixture(
    document_runtime: DocumentRuntime,
    prometheus: PrometheusServer,
    slack: FakeSlack,
    sqlite_url: str,
) -> LightRuntime:
    """A runtime like ``make_runtime``'s whose service has only its 30-day availability SLO:
    a pack costs a third of the time, and the faults under test are the same. Keyword
    arguments: ``clock``, ``store_url``, ``prometheus_url``, ``extra`` (top-level config keys)."""

    def make(
        *,
        clock: Clock,
        store_url: str | None = None,
        prometheus_url: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Runtime:
        document = daemon_config(
            prometheus_url or prometheus.url, slack.api_url, store_url or sqlite_url, extra=extra
        )
        service = document["services"][0]
        service["slos"] = [s for s in service["slos"] if s["name"] == "availability"]
        return document_runtime(document, clock)

    return make
