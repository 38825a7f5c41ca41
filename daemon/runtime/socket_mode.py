"""Socket Mode envelopes (``slack.mode: socket``) to the same handlers as the HTTP endpoints:
the ack carries the ephemeral reply, the work after it goes to the runtime's pool."""

from __future__ import annotations

from typing import Any

from daemon import messages as m
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.runtime.commands import CommandRequest, handle_command
from daemon.runtime.context import Runtime
from daemon.runtime.interactions import handle_interaction
from daemon.slack import socket_mode
from daemon.slack.sink import SlackSink
from daemon.slack.socket_mode import SocketModeClient


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def on_envelope(rt: Runtime, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The ack payload of one envelope (None: a plain ack)."""
    if kind == "slash_commands":
        expected = rt.config.slack.command
        command = _str(payload.get("command")) or expected
        if command != expected:
            text = m.CMD_WRONG_COMMAND.format(expected=expected, got=escape_mrkdwn(command[:40]))
            return {"response_type": "ephemeral", "text": text}
        request = CommandRequest(
            command=command,
            text=_str(payload.get("text")),
            user_id=_str(payload.get("user_id")),
            channel_id=_str(payload.get("channel_id")),
            response_url=_str(payload.get("response_url")) or None,
        )
        reply = handle_command(rt, request)
        if reply.follow_up is not None:
            rt.submit(reply.follow_up, "socket mode command")
        return {"response_type": "ephemeral", "text": reply.text}
    if kind == "interactive":
        answer = handle_interaction(rt, payload)
        if answer.follow_up is not None:
            rt.submit(answer.follow_up, "socket mode interaction")
        return answer.ack
    return None


def connect(rt: Runtime, app_token: str, sink: SlackSink) -> SocketModeClient:
    return socket_mode.connect(
        app_token, sink.client, lambda kind, payload: on_envelope(rt, kind, payload)
    )
