"""The fake Socket Mode server drives the real ``slack_sdk`` builtin ``SocketModeClient``."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.fake_slack import APP_ID, FakeSlack, fake_slack
from tests.support.fake_socket_mode import (
    ACK_DEADLINE,
    FakeSocketMode,
    block_actions,
    fake_socket_mode,
    view_submission,
)

BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

Listener = Callable[[BaseSocketModeClient, SocketModeRequest], None]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack(token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
def socket_mode(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with fake_socket_mode(slack, ping_interval=0.2) as server:
        yield server


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # SocketModeClient picks a proxy up from the environment and then tunnels with TLS
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def web_client(slack: FakeSlack, token: str | None = BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=slack.api_url, timeout=5)


def new_client(
    slack: FakeSlack, app_token: str = APP_TOKEN, ping_interval: float = 5
) -> SocketModeClient:
    return SocketModeClient(
        app_token=app_token, web_client=web_client(slack), ping_interval=ping_interval
    )


def close(client: SocketModeClient) -> None:
    # close() joins the message processor, which polls its queue with a 1 s timeout; marking
    # the client closed and queueing None (which the processor skips) ends that poll at once
    client.closed = True
    client.message_queue.put(None)
    client.close()


@pytest.fixture
def client(slack: FakeSlack, socket_mode: FakeSocketMode) -> Iterator[SocketModeClient]:
    smc = new_client(slack)
    try:
        yield smc
    finally:
        close(smc)


class Recorder:
    """A request listener that keeps every request and, unless told not to, acks it."""

    def __init__(self, answer: Callable[[SocketModeRequest], Any] | None = None) -> None:
        self.requests: list[SocketModeRequest] = []
        self.answer = answer
        self.seen = threading.Event()

    def __call__(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        self.seen.set()
        if self.answer is not None:
            payload = self.answer(request)
            client.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
            )


def ephemeral(request: SocketModeRequest) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": f"you asked: {request.payload['text']}"}


# --- apps.connections.open ---------------------------------------------------------------------


def test_connections_open_answers_a_socket_url_for_the_app_token(
    slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    response = web_client(slack, token=None).apps_connections_open(app_token=APP_TOKEN)
    url = response["url"]
    assert url.startswith(socket_mode.url + "?ticket=")
    assert url.endswith(f"&app_id={APP_ID}")
    assert url.startswith("ws://127.0.0.1:")
    assert slack.calls[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert web_client(slack).apps_connections_open(app_token=APP_TOKEN)["url"] != url


@pytest.mark.parametrize(
    ("token", "error"),
    [(BOT_TOKEN, "not_allowed_token_type"), ("xapp-wrong", "invalid_auth")],
    ids=["bot-token", "wrong-app-token"],
)
def test_connections_open_refuses_other_tokens(
    slack: FakeSlack, socket_mode: FakeSocketMode, token: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        web_client(slack).apps_connections_open(app_token=token)
    assert excinfo.value.response["error"] == error


def test_connections_open_refuses_the_app_token_as_a_form_parameter(
    slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    # slack_sdk always moves the token into the header, so post the form by hand
    request = urllib.request.Request(
        slack.api_url + "apps.connections.open", data=f"token={APP_TOKEN}".encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response) == {"ok": False, "error": "invalid_auth"}


def test_the_app_token_cannot_call_bot_methods(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        web_client(slack, token=APP_TOKEN).chat_postMessage(channel="C0SLOPREP1", text="hi")
    assert excinfo.value.response["error"] == "not_allowed_token_type"


def test_connections_open_without_a_socket_server_fails(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        web_client(slack).apps_connections_open(app_token=APP_TOKEN)
    assert excinfo.value.response["error"] == "socket_mode_not_attached"


def test_a_socket_url_is_single_use(slack: FakeSlack, socket_mode: FakeSocketMode) -> None:
    url = web_client(slack).apps_connections_open(app_token=APP_TOKEN)["url"]
    with connect(url, open_timeout=5) as ws:
        hello = json.loads(ws.recv(timeout=5))
    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert hello["num_connections"] == 1
    assert set(hello["debug_info"]) >= {"host", "approximate_connection_time"}
    with pytest.raises(InvalidStatus) as excinfo, connect(url, open_timeout=5):
        pass
    assert excinfo.value.response.status_code == 401


# --- the real SocketModeClient -----------------------------------------------------------------


def test_a_slash_command_reaches_the_listener_and_its_response_is_the_ack(
    slack: FakeSlack, socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    messages: list[dict[str, Any]] = []
    client.message_listeners.append(lambda _client, message, _raw: messages.append(message))
    recorder = Recorder(answer=ephemeral)
    client.socket_mode_request_listeners.append(recorder)
    client.connect()

    envelope_id = socket_mode.send_slash_command("/slo", "status checkout")
    ack = socket_mode.wait_ack(envelope_id)

    assert [c.method for c in slack.calls] == ["apps.connections.open"]
    (request,) = recorder.requests
    assert request.type == "slash_commands"
    assert request.envelope_id == envelope_id
    assert request.accepts_response_payload is True
    assert request.payload["command"] == "/slo"
    assert request.payload["text"] == "status checkout"
    assert request.payload["api_app_id"] == APP_ID
    assert ack.payload == {"response_type": "ephemeral", "text": "you asked: status checkout"}
    assert ack.message == {"envelope_id": envelope_id, "payload": ack.payload}
    assert ack.elapsed < ACK_DEADLINE
    assert messages[0]["type"] == "hello"  # Slack greets before the first envelope
    assert socket_mode.stray == []


def test_interactive_envelopes_block_actions_and_view_submission(
    socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    def answer(request: SocketModeRequest) -> dict[str, Any] | None:
        if request.payload["type"] == "view_submission":
            return {"response_action": "errors", "errors": {"service": "unknown service"}}
        return None  # a button click is acked with nothing

    recorder = Recorder(answer=answer)
    client.socket_mode_request_listeners.append(recorder)
    client.connect()

    clicked = socket_mode.send_interactive(block_actions("refresh_pack", "checkout"))
    submitted = socket_mode.send_interactive(
        view_submission(
            "ask_modal",
            {"service": {"service_input": {"type": "plain_text_input", "value": "nope"}}},
        )
    )

    assert socket_mode.wait_ack(clicked).message == {"envelope_id": clicked}
    assert socket_mode.wait_ack(submitted).payload == {
        "response_action": "errors",
        "errors": {"service": "unknown service"},
    }
    by_id = {r.envelope_id: r for r in recorder.requests}
    assert by_id[clicked].type == "interactive"
    assert by_id[clicked].payload["actions"][0]["action_id"] == "refresh_pack"
    assert by_id[clicked].payload["actions"][0]["value"] == "checkout"
    assert by_id[submitted].payload["view"]["callback_id"] == "ask_modal"
    assert by_id[submitted].accepts_response_payload is True


def test_events_api_envelopes_carry_the_retry_fields(
    socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    recorder = Recorder(answer=lambda _request: None)
    client.socket_mode_request_listeners.append(recorder)
    client.connect()

    first = socket_mode.send_event({"type": "app_mention", "text": "<@U0FAKEBOT1> hi"})
    again = socket_mode.send_event(
        {"type": "app_mention", "text": "<@U0FAKEBOT1> hi"}, retry_attempt=1, retry_reason="timeout"
    )
    socket_mode.wait_ack(first)
    socket_mode.wait_ack(again)

    by_id = {r.envelope_id: r for r in recorder.requests}
    assert (by_id[first].retry_attempt, by_id[first].retry_reason) == (0, "")
    assert (by_id[again].retry_attempt, by_id[again].retry_reason) == (1, "timeout")
    assert by_id[first].accepts_response_payload is False
    assert by_id[first].payload["event"]["type"] == "app_mention"


def test_an_envelope_nobody_acks_stays_unacked(
    socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    recorder = Recorder(answer=None)  # the builtin client never acks on its own
    client.socket_mode_request_listeners.append(recorder)
    client.connect()

    envelope_id = socket_mode.send_slash_command("/slo", "ignored")
    assert recorder.seen.wait(5)
    with pytest.raises(TimeoutError):
        socket_mode.wait_ack(envelope_id, timeout=0.5)
    assert socket_mode.ack_for(envelope_id) is None


def test_the_client_reconnects_after_disconnect_all(
    slack: FakeSlack, socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    client.socket_mode_request_listeners.append(Recorder(answer=ephemeral))
    client.connect()
    before = socket_mode.wait_ack(socket_mode.send_slash_command("/slo", "before"))

    socket_mode.disconnect_all()
    after = socket_mode.wait_ack(socket_mode.send_slash_command("/slo", "after"))

    first, second = socket_mode.wait_connections(2)
    assert (before.connection, after.connection) == (0, 1)
    assert not first.open and second.open
    assert after.payload == {"response_type": "ephemeral", "text": "you asked: after"}
    assert len(slack.calls_to("apps.connections.open")) == 2
    assert socket_mode.rejected_tickets == []


def test_after_a_disconnect_message_alone_the_client_drops_the_old_connection(
    socket_mode: FakeSocketMode, client: SocketModeClient
) -> None:
    client.socket_mode_request_listeners.append(Recorder(answer=ephemeral))
    client.connect()

    socket_mode.disconnect_all(close=False)

    first, second = socket_mode.wait_connections(2)
    ack = socket_mode.wait_ack(socket_mode.send_slash_command("/slo", "after"))
    assert ack.connection == second.index
    assert first.ws is not None and first.ws.wait_closed(5)
    assert socket_mode.open_connections() == [second]


def test_a_dropped_connection_is_replaced_at_the_next_ping_check(
    slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    # with no disconnect message only the client's monitor notices, every ping_interval
    smc = new_client(slack, ping_interval=0.3)
    try:
        smc.socket_mode_request_listeners.append(Recorder(answer=ephemeral))
        smc.connect()
        socket_mode.wait_connections(1)
        socket_mode.drop_all()
        socket_mode.wait_connections(2, timeout=5)
        assert socket_mode.wait_ack(socket_mode.send_slash_command("/slo", "x")).connection == 1
    finally:
        close(smc)


def test_ping_pong_both_ways(socket_mode: FakeSocketMode, client: SocketModeClient) -> None:
    client.connect()
    (connection,) = socket_mode.wait_connections(1)
    assert socket_mode.ping() < 1.0  # the client pongs the server's pings
    assert connection.client_pings >= 1  # and pings on its own as it connects


def test_a_bot_token_as_the_app_token_never_connects(
    slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    smc = new_client(slack, app_token=BOT_TOKEN)
    try:
        with pytest.raises(SlackApiError) as excinfo:
            smc.connect()
    finally:
        close(smc)
    assert excinfo.value.response["error"] == "not_allowed_token_type"
    assert socket_mode.connections == []
