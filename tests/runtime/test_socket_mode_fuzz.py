"""Fuzzing the Socket Mode envelope handler (``on_envelope``): any envelope type with any payload
is acknowledged with nothing, an ephemeral reply or modal errors, never an exception, and the
work after the ack crashes nothing, queries no user text and posts no secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from daemon.runtime.packs import ACTION_DECIDE, ACTION_REFRESH
from daemon.runtime.socket_mode import on_envelope
from daemon.store import StoreError
from tests.runtime.conftest import ASK_CHANNEL, MANAGER, RuntimeFactory, settle
from tests.runtime.fuzz_rig import Rig, injected, rig
from tests.runtime.test_http_fuzz import (
    RESPONSE_URL,
    STORED,
    block_actions,
    command_fields,
    view_submissions,
)
from tests.store.conftest import postgres_server  # noqa: F401  (fixture)
from tests.store.postgres_server import PostgresServer
from tests.support.fake_slack import FakeSlack
from tests.support.fuzz import any_text, fuzz, json_values, mostly, mutated
from tests.support.tls import Tls

KINDS = ("slash_commands", "interactive", "events_api", "hello", "disconnect")


@pytest.fixture(scope="module")
def fuzz_rig(tmp_path_factory: pytest.TempPathFactory, tls: Tls) -> Iterator[Rig]:
    with rig(tmp_path_factory.mktemp("socket-fuzz"), tls) as found:
        yield found


def _resolve(rig: Rig, value: Any) -> Any:
    """The stand-ins of the strategies replaced by the fake's URL and stored ids, at any depth."""
    if isinstance(value, dict):
        return {k: _resolve(rig, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(rig, v) for v in value]
    if isinstance(value, str):
        value = value.replace(RESPONSE_URL, rig.slack.response_url("socket"))
        ids = [q.id for q in rig.rt.store.list_questions(limit=len(STORED))]
        for index, stand_in in enumerate(STORED):
            if ids:
                value = value.replace(stand_in, ids[index % len(ids)])
    return value


payloads = st.one_of(
    command_fields.flatmap(lambda doc: mutated(doc)),
    block_actions.flatmap(lambda doc: mutated(doc)),
    view_submissions.flatmap(lambda doc: mutated(doc)),
    st.dictionaries(any_text, json_values, max_size=4),
)


@fuzz(ci=60)
@given(
    kind=mostly(st.sampled_from(["slash_commands", "interactive"]), st.sampled_from(KINDS)),
    payload=payloads,
)
@example(kind="interactive", payload={"type": "block_actions", "user": "U1", "actions": {}})
@example(kind="interactive", payload={"type": "view_submission", "user": {"id": 7}, "view": 1})
@example(
    kind="slash_commands",
    payload={
        "command": "/slo-prep",
        "text": "ask payments \ud800?",
        "user_id": MANAGER,
        "channel_id": ASK_CHANNEL,
    },
)
@example(kind="slash_commands", payload={"command": ["/slo-prep"], "text": {"a": 1}})
def test_any_envelope_is_acknowledged(fuzz_rig: Rig, kind: str, payload: Any) -> None:
    if not isinstance(payload, dict):
        payload = {"payload": payload}
    ack = on_envelope(fuzz_rig.rt, kind, _resolve(fuzz_rig, payload))
    if ack is not None:
        if "text" in ack:
            assert ack["response_type"] == "ephemeral"
            assert injected(ack["text"]) == [], ack["text"]
        else:
            assert ack["response_action"] == "errors"
            assert all(injected(text) == [] for text in ack["errors"].values()), ack
    fuzz_rig.settle()
    fuzz_rig.check_queries(fuzz_rig.prometheus.taken())
    fuzz_rig.check_posts()


def test_a_question_id_no_store_can_hold_never_reaches_it(
    make_runtime: RuntimeFactory,
    postgres_server: PostgresServer,  # noqa: F811
    slack: FakeSlack,
) -> None:
    """A button's value is whatever the client sent. On SQLite (where the fuzz targets run) a
    NUL in it finds no question; PostgreSQL refuses it with an error, which escaped from the
    envelope handler before ids were checked ahead of the store."""
    rt = make_runtime(store_url=postgres_server.url(postgres_server.create_database()))
    with pytest.raises(StoreError):
        rt.store.get_question("Q-\x00")  # why the id must be checked before the store
    for action in (ACTION_REFRESH, ACTION_DECIDE):
        payload = {
            "type": "block_actions",
            "user": {"id": MANAGER},
            "channel": {"id": ASK_CHANNEL},
            "response_url": slack.response_url("nul"),
            "actions": [{"action_id": action, "value": "Q-\x00<!channel>"}],
        }
        assert on_envelope(rt, "interactive", payload) is None
    settle(rt)
    texts = [r.get("text", "") for r in slack.responses]
    assert len(texts) == 2 and all(t.startswith("There is no question *Q-") for t in texts)
    assert all(injected(t) == [] for t in texts), texts
