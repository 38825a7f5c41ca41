"""Socket Mode: slack_sdk's real SocketModeClient, connected through apps.connections.open to
the loopback WebSocket fake, fed the envelopes Slack sends; the daemon's handlers answer in the
ack and post the pack afterwards. Also the buttons and the decision modal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from daemon.runtime.interactions import (
    DECIDE_VIEW,
    NOTE_ACTION,
    NOTE_BLOCK,
    OPTION_ACTION,
    OPTION_BLOCK,
)
from daemon.runtime.packs import ACTION_DECIDE, ACTION_REFRESH
from daemon.runtime.socket_mode import connect
from daemon.slack.sink import SlackSink
from tests.generator import truth
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import MANAGER, SERVICE_CHANNEL, RuntimeFactory, settle
from tests.runtime.test_daemon import wait_for
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import (
    FakeSocketMode,
    block_actions,
    fake_socket_mode,
    slash_command,
    view_submission,
)


def decision(question_id: str, option: str, note: str | None = None) -> dict[str, Any]:
    """The decision modal submitted with ``option`` (and a note)."""
    values: dict[str, dict[str, dict[str, Any]]] = {
        OPTION_BLOCK: {
            OPTION_ACTION: {"type": "static_select", "selected_option": {"value": option}}
        }
    }
    if note is not None:
        values[NOTE_BLOCK] = {NOTE_ACTION: {"type": "plain_text_input", "value": note}}
    return view_submission(DECIDE_VIEW, values, private_metadata=question_id, user_id=MANAGER)


@pytest.fixture
def socket(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSocketMode]:
    # slack_sdk's client reads proxy variables even when told not to
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert "HTTPS_PROXY" not in os.environ
    with fake_socket_mode(slack) as server:
        yield server


def test_a_command_over_socket_mode_is_acked_then_its_pack_posted(
    make_runtime: RuntimeFactory,
    slack: FakeSlack,
    socket: FakeSocketMode,
    prometheus: PrometheusServer,
) -> None:
    rt = make_runtime()
    sink = rt.sink
    assert isinstance(sink, SlackSink)
    client = connect(rt, slack.app_token, sink)
    try:
        envelope = socket.send_envelope(
            "slash_commands",
            slash_command(
                "/slo-prep",
                "ask checkout Ship over the socket? by 2026-12-01",
                user_id=MANAGER,
                response_url=slack.response_url("ask"),
            ),
        )
        ack = socket.wait_ack(envelope)
        assert ack.elapsed < 3
        assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
        assert "Registered *Q-" in ack.payload["text"]
        question = rt.store.list_questions()[0]
        assert question.question == "Ship over the socket?"
        wait_for(
            lambda: any(
                m.channel == SERVICE_CHANNEL and m.thread_ts is None for m in slack.messages
            ),
            30,
            "the pack",
        )
        settle(rt)
        parent = next(m for m in slack.messages if m.channel == SERVICE_CHANNEL)

        # status answers later through the response_url
        status = socket.send_envelope(
            "slash_commands",
            slash_command("/slo-prep", "status checkout", response_url=slack.response_url("s")),
        )
        assert "Measuring" in (socket.wait_ack(status).payload or {}).get("text", "")
        wait_for(lambda: bool(slack.responses), 15, "the status reply")
        assert slack.responses[0]["response_type"] == "ephemeral"
        assert slack.responses[0]["text"].startswith("*checkout* — availability:")
        # the one-liner's figures are the generator's truth at the runtime's clock
        for sli, objective, window in (("availability", 99.9, "30d"), ("latency", 99.0, "quarter")):
            want = truth.budget_truth(prometheus.scenario, sli, objective, window, prometheus.at)
            used = f"{want['consumed_fraction'] * 100:.1f} % of the budget used"
            assert f"{sli}: {used}" in slack.responses[0]["text"]

        # the Refresh button: a refresh in the thread
        before = len(slack.messages)
        refresh = socket.send_envelope(
            "interactive",
            block_actions(
                ACTION_REFRESH, question.id, user_id=MANAGER, response_url=slack.response_url("r")
            ),
        )
        socket.wait_ack(refresh)
        wait_for(lambda: len(rt.store.packs_for_question(question.id)) == 2, 30, "refresh")
        settle(rt)
        assert all(m.thread_ts == parent.ts for m in slack.messages[before:])

        # Record decision: the modal opens with the pack's options; submitting records it
        decide = socket.send_envelope(
            "interactive", block_actions(ACTION_DECIDE, question.id, user_id=MANAGER)
        )
        socket.wait_ack(decide)
        wait_for(lambda: bool(slack.views), 10, "the modal")
        view = slack.views[0]
        offered = [o["value"] for o in view["blocks"][1]["element"]["options"]]
        assert offered and all(o.startswith("O") for o in offered)
        submitted = socket.send_envelope(
            "interactive", decision(question.id, offered[0], note="agreed")
        )
        assert socket.wait_ack(submitted).payload in (None, {})
        settle(rt)
        decided = rt.store.get_question(question.id)
        assert decided is not None and decided.decided_option == offered[0]
        assert decided.decision_note == "agreed"
        assert any(
            "Decision recorded" in (m.text or "") and m.thread_ts == parent.ts
            for m in slack.messages
        )
        # deciding again: the modal shows why, nothing changes
        again = socket.send_envelope("interactive", decision(question.id, offered[0]))
        answer = socket.wait_ack(again).payload or {}
        assert answer["response_action"] == "errors" and "already decided" in str(answer)

        # anything else is acknowledged and ignored
        event = socket.send_envelope("events_api", {"type": "event_callback", "event": {}})
        assert socket.wait_ack(event).payload in (None, {})
    finally:
        client.close()
