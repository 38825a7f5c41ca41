"""A loopback fake of Slack's Socket Mode WebSocket for the real ``SocketModeClient``.

Slack's side of Socket Mode is two pieces: ``apps.connections.open`` (a Web API method, in
``FakeSlack``) hands out a single-use ``wss://`` URL, and the WebSocket behind it pushes
envelopes the app must acknowledge. This module is the WebSocket, on plain ``ws://``
127.0.0.1 (slack_sdk's builtin client speaks TLS only to port 443 and plain TCP to any other
port, whatever the scheme says, so a loopback ``wss://`` would never work with it).

    with fake_slack() as slack, fake_socket_mode(slack) as socket_mode:
        client = SocketModeClient(
            app_token=slack.app_token,
            web_client=WebClient(token=slack.token, base_url=slack.api_url),
        )
        client.socket_mode_request_listeners.append(listener)
        client.connect()
        envelope_id = socket_mode.send_slash_command("/slo", "status checkout")
        ack = socket_mode.wait_ack(envelope_id)  # ack.payload, ack.elapsed
        client.close()

Wire shapes, from https://api.slack.com/apis/connections/socket (mirrored at
docs.slack.dev/apis/events-api/using-socket-mode) and the envelopes recorded in
python-slack-sdk's tests/slack_sdk/socket_mode/mock_socket_mode_server.py:

* on connect: ``{"type": "hello", "num_connections": n, "debug_info": {"host", "started",
  "build_number", "approximate_connection_time"}, "connection_info": {"app_id"}}``;
* an envelope: ``{"envelope_id": uuid, "payload": {...}, "type": "slash_commands" |
  "interactive" | "events_api", "accepts_response_payload": bool}``, and for ``events_api``
  also ``"retry_attempt": 0, "retry_reason": ""`` (a redelivery says e.g. ``1, "timeout"``);
* the app's ack: ``{"envelope_id": ..., "payload": {...}}``, payload optional;
* before Slack drops a connection: ``{"type": "disconnect", "reason": "refresh_requested" |
  "warning" | "link_disabled", "debug_info": {"host": ...}}``.

Not emulated: Slack's own redelivery of an unacknowledged ``events_api`` envelope (send it
again with ``retry_attempt``/``retry_reason`` to test that), the 3-second ack deadline (check
``Ack.elapsed``), the 10-connection limit, and what Slack answers a reused or unknown ticket
(this fake refuses the handshake with HTTP 401).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import Event
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.fake_slack import APP_ID, BOT_USER_ID, TEAM_ID, FakeSlack

ACK_DEADLINE = 3.0  # seconds Slack waits for an ack before it gives up or redelivers
DEBUG_HOST = "applink-fake-1"
APPROXIMATE_CONNECTION_TIME = 18_060  # seconds, as Slack reports it
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# Interactive payloads Slack sends with accepts_response_payload false (nothing to answer).
_NO_RESPONSE_PAYLOADS = frozenset({"shortcut", "message_action"})


@dataclass(frozen=True)
class Envelope:
    envelope_id: str
    type: str
    message: dict[str, Any]  # the whole frame as sent
    connection: int  # index into FakeSocketMode.connections
    sent_at: float  # time.monotonic()


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # None: acked without a payload
    message: dict[str, Any]  # the whole frame as received
    connection: int
    elapsed: float  # seconds from sending the envelope to receiving this ack


@dataclass
class Connection:
    """One WebSocket connection the client opened, open or closed."""

    index: int
    ticket: str
    opened_at: float
    hello: dict[str, Any] = field(default_factory=dict)
    closed_at: float | None = None
    close_code: int | None = None
    closing: bool = False  # the fake decided to drop it: no new envelopes go there
    ws: _CountingConnection | None = field(default=None, repr=False, compare=False)

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.closing

    @property
    def client_pings(self) -> int:
        """Ping frames the client sent on this connection so far."""
        return self.ws.pings_received if self.ws is not None else 0


class _CountingConnection(ServerConnection):
    """Counts the client's pings: websockets answers them itself and keeps no tally."""

    pings_received = 0

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            self.pings_received += 1
        super().process_event(event)


class FakeSocketMode:
    def __init__(
        self,
        app_id: str = APP_ID,
        *,
        ping_interval: float | None = 1.0,
        ping_timeout: float | None = 10.0,
    ) -> None:
        """``ping_interval``: how often the server pings each connection (None: never), as
        Slack's servers do (@slack/socket-mode gives up on a connection without them). A short
        interval also wakes the builtin client's 3-second blocking read, which otherwise holds
        up ``client.close()`` and a refresh's switch to the new connection by up to 3 s."""
        self.app_id = app_id
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.url = ""  # ws://127.0.0.1:PORT/link/, set by start()
        self.connections: list[Connection] = []
        self.envelopes: list[Envelope] = []
        self.acks: list[Ack] = []
        self.stray: list[str] = []  # client frames that are not acks
        self.rejected_tickets: list[str] = []
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            # the builtin client offers no extensions; compression would only be noise
            compression=None,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            # the builtin client drops the TCP connection instead of echoing a close frame
            close_timeout=1.0,
            create_connection=_CountingConnection,
        )
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-socket-mode", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()  # closes open connections (1001) and joins their handlers
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- apps.connections.open -----------------------------------------------------------------

    def issue_url(self) -> str:
        ticket = str(uuid.uuid4())
        with self._cond:
            self._tickets.add(ticket)
        return f"{self.url}?ticket={ticket}&app_id={self.app_id}"

    # --- scripting -----------------------------------------------------------------------------

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Push one envelope to the newest open connection (waiting up to ``timeout`` for one,
        e.g. while the client reconnects) and return its ``envelope_id``."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"Socket Mode envelopes are {ENVELOPE_TYPES}, not {type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") not in _NO_RESPONSE_PAYLOADS
            )
        envelope_id = envelope_id or str(uuid.uuid4())
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api" or retry_attempt is not None or retry_reason is not None:
            message["retry_attempt"] = retry_attempt or 0
            message["retry_reason"] = retry_reason or ""
        with self._cond:
            if not self._cond.wait_for(self._newest_open, timeout):
                raise TimeoutError(f"no open Socket Mode connection within {timeout}s")
            record = self._newest_open()
            assert record is not None and record.ws is not None
            ws = record.ws
            # recorded before sending: the ack may beat the return of send()
            self.envelopes.append(
                Envelope(envelope_id, type, message, record.index, time.monotonic())
            )
        ws.send(json.dumps(message))
        return envelope_id

    def send_slash_command(self, command: str, text: str = "", **fields: Any) -> str:
        return self.send_envelope(
            "slash_commands", slash_command(command, text, app_id=self.app_id, **fields)
        )

    def send_interactive(self, payload: dict[str, Any], **kwargs: Any) -> str:
        return self.send_envelope("interactive", payload, **kwargs)

    def send_event(self, event: dict[str, Any], **kwargs: Any) -> str:
        return self.send_envelope("events_api", event_callback(event, app_id=self.app_id), **kwargs)

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        with self._cond:
            if not self._cond.wait_for(lambda: self._ack(envelope_id) is not None, timeout):
                acked = [a.envelope_id for a in self.acks]
                raise TimeoutError(
                    f"no ack for envelope {envelope_id} within {timeout}s (acked: {acked})"
                )
            ack = self._ack(envelope_id)
            assert ack is not None
            return ack

    def ack_for(self, envelope_id: str) -> Ack | None:
        """The ack so far, without waiting: to check an envelope was never acked."""
        with self._cond:
            return self._ack(envelope_id)

    def wait_connections(self, count: int, timeout: float = 5.0) -> list[Connection]:
        """Wait until ``count`` connections in all have been greeted; return them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._greeted() >= count, timeout):
                raise TimeoutError(
                    f"{self._greeted()} Socket Mode connection(s), not {count}, in {timeout}s"
                )
            return list(self.connections)

    def open_connections(self) -> list[Connection]:
        with self._cond:
            return [c for c in self.connections if c.open and c.hello]

    def disconnect_all(
        self, reason: str = "refresh_requested", close: bool = True, timeout: float = 5.0
    ) -> None:
        """Do what Slack does when it refreshes connections: send ``disconnect`` to every open
        connection, then (``close``) close it. With ``close=False`` the client must drop the
        old connection itself. Waits up to ``timeout`` for at least one open connection."""
        targets = self._open_sockets(timeout, closing=close)
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": DEBUG_HOST}}
        )
        for ws in targets:
            try:
                ws.send(message)
            except ConnectionClosed:
                continue
        if close:
            for ws in targets:
                ws.close()

    def drop_all(self, code: int = CloseCode.GOING_AWAY, timeout: float = 5.0) -> None:
        """Close every open connection with no ``disconnect`` message first, as a Slack
        restart or a network fault would."""
        for ws in self._open_sockets(timeout, closing=True):
            ws.close(code)

    def ping(self, timeout: float = 5.0) -> float:
        """Ping the newest open connection; the round trip in seconds once the client pongs."""
        ws = self._open_sockets(timeout, closing=False)[-1]
        started = time.monotonic()
        if not ws.ping().wait(timeout):
            raise TimeoutError(f"no pong within {timeout}s")
        return time.monotonic() - started

    # --- server side ---------------------------------------------------------------------------

    def _check_ticket(self, ws: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = parse_qs(split.query).get("ticket", [""])[0]
        with self._cond:
            if split.path == "/link/" and ticket in self._tickets:
                self._tickets.discard(ticket)  # the URL is single use
                return None
            self.rejected_tickets.append(ticket)
        return ws.respond(HTTPStatus.UNAUTHORIZED, "unknown or used ticket\n")

    def _handle(self, ws: ServerConnection) -> None:
        assert isinstance(ws, _CountingConnection)
        assert ws.request is not None
        ticket = parse_qs(urlsplit(ws.request.path).query).get("ticket", [""])[0]
        with self._cond:
            record = Connection(len(self.connections), ticket, time.monotonic(), ws=ws)
            self.connections.append(record)
            hello = {
                "type": "hello",
                "num_connections": sum(1 for c in self.connections if c.open),
                "debug_info": {
                    "host": DEBUG_HOST,
                    "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                    "build_number": 1,
                    "approximate_connection_time": APPROXIMATE_CONNECTION_TIME,
                },
                "connection_info": {"app_id": self.app_id},
            }
        try:
            ws.send(json.dumps(hello))
            with self._cond:
                # only greeted connections get envelopes: Slack never sends one before hello
                record.hello = hello
                self._cond.notify_all()
            for frame in ws:
                self._receive(record, frame)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                record.closed_at = time.monotonic()
                record.close_code = ws.close_code
                self._cond.notify_all()

    def _receive(self, record: Connection, frame: str | bytes) -> None:
        now = time.monotonic()
        text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            message = None
        with self._cond:
            if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
                self.stray.append(text)
                return
            envelope_id = message["envelope_id"]
            sent = next((e for e in self.envelopes if e.envelope_id == envelope_id), None)
            if sent is None:
                self.stray.append(text)
                return
            payload = message.get("payload")
            self.acks.append(
                Ack(
                    envelope_id,
                    payload if isinstance(payload, dict) else None,
                    message,
                    record.index,
                    now - sent.sent_at,
                )
            )
            self._cond.notify_all()

    def _open_sockets(self, timeout: float, *, closing: bool) -> list[_CountingConnection]:
        # client.connect() returns on the 101 answer, maybe before _handle has registered
        # and greeted the connection: wait for it rather than miss it
        with self._cond:
            if not self._cond.wait_for(self._newest_open, timeout):
                raise TimeoutError(f"no open Socket Mode connection within {timeout}s")
            records = [c for c in self.connections if c.open and c.hello and c.ws is not None]
            if closing:
                for record in records:
                    record.closing = True
            return [c.ws for c in records if c.ws is not None]

    def _newest_open(self) -> Connection | None:
        return next((c for c in reversed(self.connections) if c.open and c.hello), None)

    def _greeted(self) -> int:
        return sum(1 for c in self.connections if c.hello)

    def _ack(self, envelope_id: str) -> Ack | None:
        return next((a for a in self.acks if a.envelope_id == envelope_id), None)


# --- payloads, as Slack fills them ---------------------------------------------------------------


def slash_command(
    command: str, text: str = "", *, app_id: str = APP_ID, **fields: Any
) -> dict[str, Any]:
    """A slash command's form fields as Socket Mode delivers them: a JSON object of strings
    (``is_enterprise_install`` included, as the string ``"false"``)."""
    trigger = uuid.uuid4().hex
    payload: dict[str, Any] = {
        "token": "fake-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": "C0SLOPREP1",
        "channel_name": "slo-prep",
        "user_id": "U0ASKER001",
        "user_name": "asker",
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.com/commands/{TEAM_ID}/1/{trigger[:24]}",
        "trigger_id": f"1.2.{trigger}",
    }
    payload.update(fields)
    return payload


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": "asker", "name": "asker", "team_id": TEAM_ID}


def block_actions(
    action_id: str,
    value: str = "",
    *,
    block_id: str = "actions",
    channel_id: str = "C0SLOPREP1",
    message_ts: str = "1700000001.000001",
    user_id: str = "U0ASKER001",
    app_id: str = APP_ID,
    **fields: Any,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button click on a bot message."""
    trigger = uuid.uuid4().hex
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": app_id,
        "token": "fake-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"1.2.{trigger}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "slo-prep"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "B0FAKEBOT1",
            "text": "",
            "ts": message_ts,
        },
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/1/{trigger[:24]}",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    payload.update(fields)
    return payload


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    private_metadata: str = "",
    user_id: str = "U0ASKER001",
    app_id: str = APP_ID,
    **fields: Any,
) -> dict[str, Any]:
    """A ``view_submission`` payload; ``values`` is ``view.state.values`` (block_id ->
    action_id -> element state, e.g. ``{"type": "plain_text_input", "value": "..."}``)."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": _user(user_id),
        "api_app_id": app_id,
        "token": "fake-verification-token",
        "trigger_id": f"1.2.{uuid.uuid4().hex}",
        "view": {
            "id": "V0FAKEVIEW",
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1700000000.fakehash",
            "title": {"type": "plain_text", "text": "slo-prep"},
            "app_id": app_id,
            "bot_id": "B0FAKEBOT1",
        },
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }
    payload.update(fields)
    return payload


def event_callback(event: dict[str, Any], *, app_id: str = APP_ID) -> dict[str, Any]:
    """The Events API wrapper around ``event`` (e.g. ``{"type": "app_mention", ...}``)."""
    now = int(time.time())
    return {
        "token": "fake-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"1-{event.get('type', 'event')}-{TEAM_ID}",
    }


@contextmanager
def fake_socket_mode(
    slack: FakeSlack, *, ping_interval: float | None = 1.0
) -> Iterator[FakeSocketMode]:
    """A running ``FakeSocketMode`` attached to ``slack`` (its ``apps.connections.open`` hands
    out this server's URLs), stopped and detached on exit. Close clients before leaving."""
    server = FakeSocketMode(ping_interval=ping_interval)
    server.start()
    slack.socket_mode = server
    try:
        yield server
    finally:
        slack.socket_mode = None
        server.stop()
